// SPDX-License-Identifier: MIT
/*
 * taps_api.c - /v1/taps: create, list and remove taps at run time
 *
 * Theory of operation
 *
 * libvirt 9.0 cannot hot-plug the NIC types that reach vgate through a
 * socket, but it can hot-plug a tap that exists already. This file keeps
 * the table of such taps (at most TAPS_MAX) and serves the routes that
 * change it; packet_port.c does the work on the kernel's side.
 *
 * Each table slot is free or holds a tap vgate created: its name, its
 * interface index (a device of that name with another index is not ours)
 * and its switch port, or none once the port has closed (a socket error,
 * the tap deleted under vgate); the tap stays in the table until it is
 * removed, and asking for it again gives it a new port.
 *
 *   create  parse; an existing entry of that name answers "created":false;
 *           else packet_tap_create() (an existing device is never taken
 *           over), then packet_port_open(); a port that cannot be opened
 *           deletes the tap again.
 *   remove  packet_tap_claim() first: while QEMU still has the tap open it
 *           fails with EBUSY and nothing changes (409); otherwise the port
 *           closes, packet_tap_release() removes the tap, the slot is freed.
 *   exit    every port closes and every tap is deleted, one still open in
 *           QEMU through rtnetlink (its NIC is dead without vgate anyway).
 *
 * The routes are for the host's API sockets only: a guest must not make
 * network devices on the host.
 */
#include "taps_api.h"

#include "api.h"
#include "json_depth.h"
#include "json_tree.h"
#include "log.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define COMP "api"
#define ROUTE "/v1/taps"
#define ROUTE_REMOVE "/v1/taps/remove"
#define ERR_MAX 512

struct tap_entry {
	bool used;
	char name[IFNAMSIZ];
	int ifindex;
	struct port *port; /* NULL once closed */
};

static struct {
	struct tap_entry taps[TAPS_MAX];
	bool route_added, remove_added;
} ta;

/* --- parsing and bodies (no daemon state) -------------------------------------------- */

static __attribute__((format(printf, 3, 4))) int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

int taps_api_parse(const char *body, size_t len, bool need_name, char name[IFNAMSIZ], char *err,
		   size_t errlen)
{
	yajl_val root;
	int r = 0;

	name[0] = '\0';
	if (memchr(body, '\0', len))
		return bad(err, errlen, "%s", "a NUL byte in the body");
	if (blank(body, len))
		return need_name ? bad(err, errlen, "%s",
				       "name: missing (e.g. {\"name\":\"vgtap0\"})")
				 : 0;
	/* yajl hands strings over NUL-terminated: "a\u0000b" would arrive as "a". */
	if (memmem(body, len, "\\u0000", 6))
		return bad(err, errlen, "%s", "a \\u0000 escape in the body");
	r = json_object_parse(body, len, JSON_DEPTH_MAX, &root, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < root->u.object.len && !r; i++) {
		const char *k = root->u.object.keys[i];
		yajl_val v = root->u.object.values[i];

		if (strcmp(k, "name") != 0)
			r = bad(err, errlen, "unknown key \"%.64s\"", k);
		else if (!YAJL_IS_STRING(v))
			r = bad(err, errlen, "%s", "name: must be a string");
		else if (!packet_tap_name_ok(v->u.string))
			r = bad(err, errlen,
				"name \"%.32s\": 1 to %d letters, digits, '_', '-' or '.', "
				"starting with a letter, digit or '_'",
				v->u.string, PACKET_TAP_NAME_MAX);
		else
			snprintf(name, IFNAMSIZ, "%s", v->u.string);
	}
	yajl_tree_free(root);
	if (!r && need_name && !name[0])
		r = bad(err, errlen, "%s", "name: missing (e.g. {\"name\":\"vgtap0\"})");
	if (r < 0)
		name[0] = '\0';
	return r;
}

/* A yajl generator whose first failure sticks, checked once at the end. */
struct gen {
	yajl_gen g;
	bool failed;
};

static void gen_ok(struct gen *w, yajl_gen_status s)
{
	if (s != yajl_gen_status_ok)
		w->failed = true;
}

static void gen_str(struct gen *w, const char *s)
{
	if (!w->failed)
		gen_ok(w, yajl_gen_string(w->g, (const unsigned char *)s, strlen(s)));
}

static void gen_num(struct gen *w, const char *key, long long v)
{
	char num[24];

	gen_str(w, key);
	snprintf(num, sizeof(num), "%lld", v);
	if (!w->failed)
		gen_ok(w, yajl_gen_number(w->g, num, strlen(num)));
}

static void gen_bool(struct gen *w, const char *key, bool v)
{
	gen_str(w, key);
	if (!w->failed)
		gen_ok(w, yajl_gen_bool(w->g, v));
}

static void gen_null(struct gen *w, const char *key)
{
	gen_str(w, key);
	if (!w->failed)
		gen_ok(w, yajl_gen_null(w->g));
}

static void gen_tap(struct gen *w, const struct taps_api_info *t, bool with_created, bool created)
{
	char mac[18];

	if (!w->failed)
		gen_ok(w, yajl_gen_map_open(w->g));
	gen_str(w, "name");
	gen_str(w, t->name);
	gen_num(w, "ifindex", t->ifindex);
	if (t->port >= 0)
		gen_num(w, "port", t->port);
	else
		gen_null(w, "port");
	if (t->carrier >= 0)
		gen_bool(w, "carrier", t->carrier > 0);
	else
		gen_null(w, "carrier");
	if (t->mac_known) {
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", t->mac[0], t->mac[1],
			 t->mac[2], t->mac[3], t->mac[4], t->mac[5]);
		gen_str(w, "mac");
		gen_str(w, mac);
	} else {
		gen_null(w, "mac");
	}
	gen_num(w, "rx_frames", (long long)t->rx_frames);
	gen_num(w, "tx_frames", (long long)t->tx_frames);
	if (with_created)
		gen_bool(w, "created", created);
	if (!w->failed)
		gen_ok(w, yajl_gen_map_close(w->g));
}

/* The generated text plus a newline into *@out; frees the generator. */
static int gen_finish(struct gen *w, char **out)
{
	const unsigned char *buf;
	size_t len;
	int r = -ENOMEM;

	*out = NULL;
	if (!w->failed && yajl_gen_get_buf(w->g, &buf, &len) == yajl_gen_status_ok) {
		*out = malloc(len + 2);
		if (*out) {
			memcpy(*out, buf, len);
			(*out)[len] = '\n';
			(*out)[len + 1] = '\0';
			r = 0;
		}
	}
	yajl_gen_free(w->g);
	return r;
}

int taps_api_json(const struct taps_api_info *t, size_t n, bool array, bool with_created,
		  bool created, char **out)
{
	struct gen w = { .g = yajl_gen_alloc(NULL) };

	*out = NULL;
	if (!w.g)
		return -ENOMEM;
	if (array) {
		gen_ok(&w, yajl_gen_array_open(w.g));
		for (size_t i = 0; i < n; i++)
			gen_tap(&w, &t[i], false, false);
		if (!w.failed)
			gen_ok(&w, yajl_gen_array_close(w.g));
	} else if (n == 1) {
		gen_tap(&w, t, with_created, created);
	} else {
		yajl_gen_free(w.g);
		return -EINVAL;
	}
	return gen_finish(&w, out);
}

/* --- the table ----------------------------------------------------------------------- */

static struct tap_entry *find(const char *name)
{
	for (unsigned i = 0; i < TAPS_MAX; i++)
		if (ta.taps[i].used && !strcmp(ta.taps[i].name, name))
			return &ta.taps[i];
	return NULL;
}

static struct tap_entry *free_slot(void)
{
	for (unsigned i = 0; i < TAPS_MAX; i++)
		if (!ta.taps[i].used)
			return &ta.taps[i];
	return NULL;
}

/* port_close() of a tap's port, whoever called it: the tap stays, portless. */
static void port_closed(struct port *p)
{
	for (unsigned i = 0; i < TAPS_MAX; i++) {
		if (ta.taps[i].used && ta.taps[i].port == p) {
			ta.taps[i].port = NULL;
			log_info(COMP, "tap %s: its port closed (the tap stays until removed)",
				 ta.taps[i].name);
		}
	}
}

static void info_of(const struct tap_entry *e, struct taps_api_info *t)
{
	memset(t, 0, sizeof(*t));
	t->name = e->name;
	t->ifindex = e->ifindex;
	t->port = e->port ? e->port->id : -1;
	t->carrier = packet_tap_carrier(e->name);
	if (t->carrier < 0)
		t->carrier = -1;
	if (e->port && e->port->id >= 0) {
		const struct switch_port_stats *st = &vg->sw.port_stats[e->port->id];

		t->mac_known = e->port->mac_known;
		memcpy(t->mac, e->port->mac, 6);
		t->rx_frames = st->rx_frames;
		t->tx_frames = st->tx_frames;
	}
}

/* --- the routes ---------------------------------------------------------------------- */

static int reply_json(struct api_reply *rep, char *body)
{
	rep->body = body;
	rep->content_type = "application/json";
	return 0;
}

static int route_list(struct api_reply *rep)
{
	struct taps_api_info t[TAPS_MAX];
	size_t n = 0;
	char *body;
	int r;

	for (unsigned i = 0; i < TAPS_MAX; i++)
		if (ta.taps[i].used)
			info_of(&ta.taps[i], &t[n++]);
	r = taps_api_json(t, n, true, false, false, &body);
	return r < 0 ? r : reply_json(rep, body);
}

static int reply_tap(struct api_reply *rep, const struct tap_entry *e, bool created)
{
	struct taps_api_info t;
	char *body;
	int r;

	info_of(e, &t);
	r = taps_api_json(&t, 1, false, true, created, &body);
	return r < 0 ? r : reply_json(rep, body);
}

/* Give @e a port. Return: 0, or an HTTP status with @err filled. */
static unsigned open_port(struct tap_entry *e, char *err, size_t errlen)
{
	int r = packet_port_open(e->name, e->ifindex, port_closed, &e->port); /* logs */

	if (!r)
		return 0;
	e->port = NULL;
	snprintf(err, errlen, "tap %s: cannot attach it to the switch: %s", e->name,
		 r == -ENOSPC ? "every switch port is in use" : strerror(-r));
	return r == -ENOSPC ? 409 : 500;
}

/* Create tap @name. Return: 0, -EEXIST (the name is taken), or an HTTP status (negated). */
static int create_one(const char *name, int *ifindex, char *err, size_t errlen)
{
	int r = packet_tap_create(name, vg->cfg.mtu, ifindex, err, errlen);

	if (r == -EEXIST || r == 0)
		return r;
	log_warn(COMP, "POST %s: %s", ROUTE, err);
	if (r == -EPERM || r == -EACCES) {
		char why[ERR_MAX / 2];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen,
			 "vgate may not create taps (it needs CAP_NET_ADMIN and access to "
			 "/dev/net/tun): %.*s",
			 (int)(ERR_MAX / 2 - 1), why);
		return -403;
	}
	return -500;
}

static int route_create(const struct api_request *req, struct api_reply *rep)
{
	char name[IFNAMSIZ], err[ERR_MAX] = "";
	struct tap_entry *e;
	unsigned status;
	int r, ifindex = 0;

	r = taps_api_parse(req->body, req->body_len, false, name, err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return api_reply_text(rep, 400, err);
	e = name[0] ? find(name) : NULL;
	if (e) {
		if (!e->port) {
			status = open_port(e, err, sizeof(err));
			if (status)
				return api_reply_text(rep, status, err);
		}
		return reply_tap(rep, e, false);
	}
	e = free_slot();
	if (!e) {
		snprintf(err, sizeof(err), "this vgate has %d taps already", TAPS_MAX);
		return api_reply_text(rep, 400, err);
	}
	if (name[0]) {
		r = create_one(name, &ifindex, err, sizeof(err));
	} else {
		r = -EEXIST;
		for (unsigned i = 0; i < TAPS_AUTO_MAX && r == -EEXIST; i++) {
			snprintf(name, sizeof(name), "%s%u", TAPS_AUTO_PREFIX, i);
			if (find(name) || if_nametoindex(name))
				continue;
			r = create_one(name, &ifindex, err, sizeof(err));
		}
		if (r == -EEXIST)
			snprintf(err, sizeof(err), "no free name %s0 to %s%d", TAPS_AUTO_PREFIX,
				 TAPS_AUTO_PREFIX, TAPS_AUTO_MAX - 1);
	}
	if (r == -EEXIST)
		return api_reply_text(rep, 409, err);
	if (r < 0)
		return api_reply_text(rep, (unsigned)-r, err);
	*e = (struct tap_entry){ .used = true, .ifindex = ifindex };
	snprintf(e->name, sizeof(e->name), "%s", name);
	status = open_port(e, err, sizeof(err));
	if (status) {
		packet_tap_delete(e->name, e->ifindex, true);
		memset(e, 0, sizeof(*e));
		return api_reply_text(rep, status, err);
	}
	log_info(COMP, "tap %s (index %d) created through the API, switch port %d", e->name,
		 e->ifindex, e->port->id);
	return reply_tap(rep, e, true);
}

static int route_remove(const struct api_request *req, struct api_reply *rep)
{
	char name[IFNAMSIZ], err[ERR_MAX] = "", *body;
	struct tap_entry *e;
	int fd, r;

	r = taps_api_parse(req->body, req->body_len, true, name, err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return api_reply_text(rep, 400, err);
	e = find(name);
	if (!e) {
		snprintf(err, sizeof(err), "no tap %s made by this vgate", name);
		return api_reply_text(rep, 404, err);
	}
	fd = packet_tap_claim(e->name, e->ifindex);
	if (fd == -EBUSY) {
		snprintf(err, sizeof(err),
			 "tap %s is still open in another process (QEMU): unplug the NIC first",
			 name);
		return api_reply_text(rep, 409, err);
	}
	if (fd < 0 && fd != -ENODEV) {
		snprintf(err, sizeof(err), "tap %s: %s", name, strerror(-fd));
		log_warn(COMP, "%s %s: %s", req->method, req->path, err);
		return api_reply_text(rep, 500, err);
	}
	if (e->port) {
		struct port *p = e->port;

		e->port = NULL; /* not "lost": port_closed() need not say so */
		port_close(p, "tap removed through the API");
	}
	r = fd >= 0 ? packet_tap_release(fd) : 0;
	if (r < 0)
		log_warn(COMP, "tap %s: clearing its persistent flag: %s", name, strerror(-r));
	log_info(COMP, "tap %s removed through the API%s", name,
		 fd == -ENODEV ? " (it was gone already)" : "");
	memset(e, 0, sizeof(*e));
	body = malloc(64);
	if (!body)
		return -ENOMEM;
	snprintf(body, 64, "{\"name\":\"%s\",\"removed\":true}\n", name);
	return reply_json(rep, body);
}

static int route_taps(const struct api_request *req, struct api_reply *rep)
{
	if (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD"))
		return route_list(rep);
	if (!strcmp(req->method, "POST"))
		return route_create(req, rep);
	if (!strcmp(req->method, "DELETE"))
		return route_remove(req, rep);
	return api_reply_text(rep, 405, "method not allowed");
}

/* --- start and stop ------------------------------------------------------------------ */

int taps_api_init(void)
{
	int r = api_route_add(ROUTE, 0, route_taps);

	if (!r) {
		ta.route_added = true;
		r = api_route_add(ROUTE_REMOVE, API_ROUTE_POST, route_remove);
	}
	if (r < 0) {
		log_err(COMP, "cannot add the %s routes: %s", ROUTE, strerror(-r));
		return r;
	}
	ta.remove_added = true;
	return 0;
}

void taps_api_fini(void)
{
	for (unsigned i = 0; i < TAPS_MAX; i++) {
		struct tap_entry *e = &ta.taps[i];
		int r;

		if (!e->used)
			continue;
		if (e->port) {
			struct port *p = e->port;

			e->port = NULL;
			port_close(p, "shutting down");
		}
		r = packet_tap_delete(e->name, e->ifindex, true);
		if (r < 0)
			log_warn(COMP, "tap %s: cannot delete it: %s", e->name, strerror(-r));
		else
			log_info(COMP, "tap %s deleted", e->name);
		memset(e, 0, sizeof(*e));
	}
	if (ta.remove_added)
		api_route_remove(ROUTE_REMOVE);
	if (ta.route_added)
		api_route_remove(ROUTE);
	memset(&ta, 0, sizeof(ta));
}
