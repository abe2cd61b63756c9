// SPDX-License-Identifier: MIT
/*
 * print.c - vgatectl's human tables, one function per API answer
 *
 * Theory of operation
 *
 * A printer walks the yajl tree of one answer and fills a struct table:
 * rows of cells, copied, with control characters replaced by '?' so that a
 * name a guest chose (a DHCP hostname) cannot move the terminal's cursor.
 * table_print() then sizes each column to its widest cell (counted in
 * UTF-8 characters, not bytes), separates columns by two spaces and never
 * pads the last one, so lines carry no trailing blanks and `awk` can split
 * them.
 *
 * Shapes are checked before anything is printed: a printer whose answer is
 * not what the route documents returns -EPROTO and prints nothing, so a
 * script never reads half a table. Optional members (gvproxy lacks vgate's
 * counters, a zone may lack "DefaultIP") show as "-" instead.
 *
 * Empty lists print their header alone: "no rows" is an answer too.
 */
#include "print.h"

#include "json_tree.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct table {
	size_t ncols, nrows, cap;
	char **cells; /* nrows * ncols */
	int err;      /* first failure, sticky */
};

static void table_init(struct table *t, size_t ncols)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
}

static void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

/* A copy of @s with control characters replaced. */
static char *cell_dup(const char *s)
{
	char *c = strdup(s ? s : "");

	for (char *p = c; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return c;
}

/* Append one row of t->ncols cells (NULL cells print as ""). */
static void table_add(struct table *t, const char *const *row)
{
	if (t->err)
		return;
	if (t->nrows == t->cap) {
		size_t ncap = t->cap ? 2 * t->cap : 16;
		char **nc = realloc(t->cells, ncap * t->ncols * sizeof(*nc));

		if (!nc) {
			t->err = -ENOMEM;
			return;
		}
		t->cells = nc;
		t->cap = ncap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		char *d = cell_dup(row[c]);

		if (!d) {
			for (size_t k = 0; k < c; k++)
				free(t->cells[t->nrows * t->ncols + k]);
			t->err = -ENOMEM;
			return;
		}
		t->cells[t->nrows * t->ncols + c] = d;
	}
	t->nrows++;
}

/* Characters, not bytes, so UTF-8 names keep the columns straight. */
static size_t text_width(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

/* Print and free @t. Return: 0 or the first failure. */
static int table_print(struct table *t, FILE *f)
{
	size_t width[PRINT_COLS_MAX] = { 0 };
	int err = t->err;

	for (size_t r = 0; !err && r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t w = text_width(t->cells[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; !err && r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];

			fputs(cell, f);
			if (c + 1 < t->ncols)
				fprintf(f, "%*s", (int)(width[c] - text_width(cell) + 2), "");
		}
		fputc('\n', f);
	}
	table_free(t);
	return err;
}

/* A scalar as text: strings as they are, numbers as sent, null as "-". */
static const char *val_text(yajl_val v)
{
	if (!v || YAJL_IS_NULL(v))
		return "-";
	if (YAJL_IS_STRING(v))
		return YAJL_GET_STRING(v);
	if (YAJL_IS_NUMBER(v))
		return v->u.number.r;
	if (YAJL_IS_TRUE(v))
		return "true";
	if (YAJL_IS_FALSE(v))
		return "false";
	return YAJL_IS_ARRAY(v) ? "[...]" : "{...}";
}

/* Like val_text(), but "" also becomes "-" (an empty MAC, no DefaultIP). */
static const char *val_or_dash(yajl_val v)
{
	const char *s = val_text(v);

	return *s ? s : "-";
}

/* Is @v an array whose every element is an object? */
static bool array_of_objects(yajl_val v)
{
	if (!YAJL_IS_ARRAY(v))
		return false;
	for (size_t i = 0; i < v->u.array.len; i++)
		if (!YAJL_IS_OBJECT(v->u.array.values[i]))
			return false;
	return true;
}

int print_object(FILE *f, yajl_val v)
{
	struct table t;

	if (!YAJL_IS_OBJECT(v))
		return -EPROTO;
	table_init(&t, 2);
	for (size_t i = 0; i < v->u.object.len; i++)
		table_add(&t,
			  (const char *[]){ v->u.object.keys[i], val_text(v->u.object.values[i]) });
	return table_print(&t, f);
}

int print_forwards(FILE *f, yajl_val v)
{
	struct table t;

	if (!array_of_objects(v))
		return -EPROTO;
	table_init(&t, 3);
	table_add(&t, (const char *[]){ "LOCAL", "REMOTE", "PROTOCOL" });
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val o = v->u.array.values[i];

		table_add(&t, (const char *[]){ val_or_dash(json_tree_get(o, "local")),
						val_or_dash(json_tree_get(o, "remote")),
						val_or_dash(json_tree_get(o, "protocol")) });
	}
	return table_print(&t, f);
}

int print_leases(FILE *f, yajl_val v)
{
	struct table t;

	if (!array_of_objects(v))
		return -EPROTO;
	table_init(&t, 4);
	table_add(&t, (const char *[]){ "IP", "MAC", "HOSTNAME", "EXPIRES" });
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val o = v->u.array.values[i], exp = json_tree_get(o, "expires");
		char expires[48];

		if (YAJL_IS_TRUE(json_tree_get(o, "static")))
			snprintf(expires, sizeof(expires), "static");
		else if (YAJL_IS_NUMBER(exp))
			snprintf(expires, sizeof(expires), "%ss", exp->u.number.r);
		else
			snprintf(expires, sizeof(expires), "-");
		table_add(&t,
			  (const char *[]){ val_or_dash(json_tree_get(o, "ip")),
					    val_or_dash(json_tree_get(o, "mac")),
					    val_or_dash(json_tree_get(o, "hostname")), expires });
	}
	return table_print(&t, f);
}

int print_dhcp_leases(FILE *f, yajl_val v)
{
	struct table t;

	if (!YAJL_IS_OBJECT(v))
		return -EPROTO;
	table_init(&t, 2);
	table_add(&t, (const char *[]){ "IP", "MAC" });
	for (size_t i = 0; i < v->u.object.len; i++)
		table_add(&t, (const char *[]){ v->u.object.keys[i],
						val_or_dash(v->u.object.values[i]) });
	return table_print(&t, f);
}

int print_dns_zones(FILE *f, yajl_val v)
{
	struct table t;

	if (!array_of_objects(v))
		return -EPROTO;
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val recs = json_tree_get(v->u.array.values[i], "Records");

		if (recs && !YAJL_IS_NULL(recs) && !array_of_objects(recs))
			return -EPROTO;
	}
	table_init(&t, 4);
	table_add(&t, (const char *[]){ "ZONE", "NAME", "IP", "IPV6" });
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val z = v->u.array.values[i], recs = json_tree_get(z, "Records");
		const char *zone = val_or_dash(json_tree_get(z, "Name"));
		const char *def = val_or_dash(json_tree_get(z, "DefaultIP"));
		size_t n = YAJL_IS_ARRAY(recs) ? recs->u.array.len : 0;

		for (size_t k = 0; k < n; k++) {
			yajl_val r = recs->u.array.values[k], re = json_tree_get(r, "Regexp");
			char name[512];

			if (YAJL_IS_STRING(re) && *YAJL_GET_STRING(re))
				snprintf(name, sizeof(name), "regexp %s", YAJL_GET_STRING(re));
			else
				snprintf(name, sizeof(name), "%s",
					 val_or_dash(json_tree_get(r, "Name")));
			table_add(&t,
				  (const char *[]){ zone, name, val_or_dash(json_tree_get(r, "IP")),
						    val_or_dash(json_tree_get(r, "IPv6")) });
		}
		if (strcmp(def, "-") != 0)
			table_add(&t, (const char *[]){ zone, "*", def, "-" });
		else if (n == 0)
			table_add(&t, (const char *[]){ zone, "-", "-", "-" });
	}
	return table_print(&t, f);
}

int print_version(FILE *f, yajl_val v)
{
	yajl_val ver = json_tree_get(v, "version"), lwip = json_tree_get(v, "lwip");

	if (!YAJL_IS_STRING(ver))
		return -EPROTO;
	fprintf(f, "vgate %s", val_or_dash(ver));
	if (YAJL_IS_STRING(lwip) && *YAJL_GET_STRING(lwip))
		fprintf(f, " (lwIP %s)", YAJL_GET_STRING(lwip));
	fputc('\n', f);
	return 0;
}

int print_ports(FILE *f, yajl_val v)
{
	static const char *const keys[] = { "port",	 "transport", "mac",
					    "rx_frames", "rx_bytes",  "tx_frames",
					    "tx_bytes",	 "tx_drops",  "rx_runts" };
	static const char *const head[] = { "PORT",	 "TRANSPORT", "MAC",
					    "RX_FRAMES", "RX_BYTES",  "TX_FRAMES",
					    "TX_BYTES",	 "TX_DROPS",  "RX_RUNTS" };
	struct table t;

	if (!array_of_objects(v))
		return -EPROTO;
	table_init(&t, sizeof(keys) / sizeof(keys[0]));
	table_add(&t, head);
	for (size_t i = 0; i < v->u.array.len; i++) {
		const char *row[sizeof(keys) / sizeof(keys[0])];

		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			row[k] = val_or_dash(json_tree_get(v->u.array.values[i], keys[k]));
		table_add(&t, row);
	}
	return table_print(&t, f);
}

int print_flow_counters(FILE *f, yajl_val stats)
{
	static const char *const proto[][6] = {
		{ "tcp", "TCPFlows", "TCPFlowsOpened", "TCPRefused", "TCPBytesToHost",
		  "TCPBytesToGuest" },
		{ "udp", "UDPFlows", "UDPFlowsOpened", "UDPRefused", "UDPBytesToHost",
		  "UDPBytesToGuest" },
	};
	struct table t;

	if (!YAJL_IS_OBJECT(stats))
		return -EPROTO;
	table_init(&t, 6);
	table_add(&t, (const char *[]){ "PROTOCOL", "OPEN", "OPENED", "REFUSED", "BYTES_TO_HOST",
					"BYTES_TO_GUEST" });
	for (size_t i = 0; i < sizeof(proto) / sizeof(proto[0]); i++) {
		const char *row[6] = { proto[i][0] };

		for (size_t k = 1; k < 6; k++)
			row[k] = val_or_dash(json_tree_get(stats, proto[i][k]));
		table_add(&t, row);
	}
	return table_print(&t, f);
}

int print_rows(FILE *f, yajl_val v)
{
	const char *head[PRINT_COLS_MAX], *row[PRINT_COLS_MAX];
	char upper[PRINT_COLS_MAX][64];
	struct table t;
	yajl_val first;
	size_t ncols;

	if (!array_of_objects(v))
		return -EPROTO;
	if (v->u.array.len == 0)
		return 0;
	first = v->u.array.values[0];
	ncols = first->u.object.len < PRINT_COLS_MAX ? first->u.object.len : PRINT_COLS_MAX;
	if (ncols == 0)
		return 0;
	for (size_t c = 0; c < ncols; c++) {
		const char *k = first->u.object.keys[c];
		size_t n = 0;

		for (; k[n] && n + 1 < sizeof(upper[c]); n++)
			upper[c][n] = k[n] >= 'a' && k[n] <= 'z' ? (char)(k[n] - 32) : k[n];
		upper[c][n] = '\0';
		head[c] = upper[c];
	}
	table_init(&t, ncols);
	table_add(&t, head);
	for (size_t i = 0; i < v->u.array.len; i++) {
		for (size_t c = 0; c < ncols; c++)
			row[c] = val_or_dash(
				json_tree_get(v->u.array.values[i], first->u.object.keys[c]));
		table_add(&t, row);
	}
	return table_print(&t, f);
}
