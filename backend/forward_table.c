// SPDX-License-Identifier: MIT
/*
 * forward_table.c - the port forwards as data: specs, checks, the table
 *
 * Theory of operation. A forward request travels through three pure steps
 * before forward.c opens anything:
 *
 *   1. fwd_request_parse() reads the JSON body with yajl's callback parser
 *      rather than its tree: the tree keeps strings NUL-terminated and so
 *      would silently cut "/run/x\u0000/../y" short, while the callbacks
 *      hand over every string with its length. Only a top-level object is
 *      accepted; keys match as Go's encoding/json matches struct fields
 *      (case-insensitively), unknown keys are skipped whatever their value,
 *      a wrong type is Go's "cannot unmarshal" error.
 *   2. fwd_remote_fill() is gvproxy's remote(): a tcp or udp remote of
 *      ":PORT" means the caller's own address.
 *   3. fwd_spec_parse() checks both ends and fills a struct fwd_spec with
 *      everything forward.c needs (bind address, guest address and port).
 *      Nothing is resolved: hosts are IP literals (and "localhost"), so no
 *      check ever blocks on DNS.
 *
 * The table is an unsorted array of at most FWD_MAX entries keyed by
 * (protocol, local string exactly as given), which is gvproxy's key:
 * "127.0.0.1:8080" and ":8080" are different forwards (the second one then
 * fails to bind). /all sorts a copy of the pointers on each call.
 *
 * Errors: every function that can refuse writes a one-line reason into
 * the caller's buffer, without a trailing newline (api_reply_text() adds
 * it).
 */
#include "forward_table.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/un.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

/* Deepest nesting an expose body may have (unknown keys may hold objects). */
#define FWD_JSON_DEPTH_MAX 32

static int ferr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ferr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *fwd_proto_name(enum fwd_proto p)
{
	switch (p) {
	case FWD_TCP:
		return "tcp";
	case FWD_UDP:
		return "udp";
	case FWD_UNIX:
		return "unix";
	}
	return "?";
}

/* Print @s of @len bytes for an error message: NUL and controls as '?'. */
static void printable(char *out, size_t cap, const char *s, size_t len)
{
	size_t i;

	if (!cap)
		return;
	for (i = 0; i < len && i + 1 < cap; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	out[i] = '\0';
}

int fwd_proto_parse(const char *s, size_t len, enum fwd_proto *p, char *err, size_t errlen)
{
	char shown[FWD_STR_MAX + 1];

	if (len == 0 || (len == 3 && !memcmp(s, "tcp", 3))) {
		*p = FWD_TCP;
		return 0;
	}
	if (len == 3 && !memcmp(s, "udp", 3)) {
		*p = FWD_UDP;
		return 0;
	}
	if (len == 4 && !memcmp(s, "unix", 4)) {
		*p = FWD_UNIX;
		return 0;
	}
	printable(shown, sizeof(shown), s, len);
	ferr(err, errlen, "unknown protocol %s", shown);
	return -EPROTONOSUPPORT;
}

/* --- request bodies ----------------------------------------------------------- */

enum req_key {
	KEY_NONE = -1,
	KEY_LOCAL,
	KEY_REMOTE,
	KEY_PROTOCOL,
};

static const char *const key_names[] = { "local", "remote", "protocol" };

struct req_parse {
	struct fwd_request *req;
	unsigned depth;	  /* 1 inside the top-level object */
	enum req_key key; /* the top-level key whose value comes next */
	bool top_seen;	  /* the top-level value has started */
	char *err;
	size_t errlen;
	bool failed;
};

static int wrong_type(struct req_parse *ps, const char *type)
{
	if (ps->depth == 0)
		ferr(ps->err, ps->errlen, "json: cannot unmarshal %s into Go value of type request",
		     type);
	else
		ferr(ps->err, ps->errlen,
		     "json: cannot unmarshal %s into Go struct field request.%s of type string",
		     type, key_names[ps->key]);
	ps->failed = true;
	return 0;
}

/* A scalar (not a string) arrives. Return: yajl's continue flag. */
static int on_scalar(struct req_parse *ps, const char *type, bool is_null)
{
	if (ps->depth == 0) {
		ps->top_seen = true;
		return is_null ? 1 : wrong_type(ps, type);
	}
	if (ps->depth == 1 && ps->key != KEY_NONE && !is_null)
		return wrong_type(ps, type);
	return 1;
}

static int cb_null(void *ctx)
{
	return on_scalar(ctx, "null", true);
}

static int cb_bool(void *ctx, int v)
{
	(void)v;
	return on_scalar(ctx, "bool", false);
}

static int cb_number(void *ctx, const char *s, size_t len)
{
	(void)s;
	(void)len;
	return on_scalar(ctx, "number", false);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
	struct req_parse *ps = ctx;
	char *dst;
	size_t *dlen;

	if (ps->depth == 0) {
		ps->top_seen = true;
		return wrong_type(ps, "string");
	}
	if (ps->depth != 1 || ps->key == KEY_NONE)
		return 1;
	if (len > FWD_STR_MAX) {
		ferr(ps->err, ps->errlen, "%s: longer than %d bytes", key_names[ps->key],
		     FWD_STR_MAX);
		ps->failed = true;
		return 0;
	}
	switch (ps->key) {
	case KEY_LOCAL:
		dst = ps->req->local;
		dlen = &ps->req->local_len;
		break;
	case KEY_REMOTE:
		dst = ps->req->remote;
		dlen = &ps->req->remote_len;
		break;
	default:
		dst = ps->req->protocol;
		dlen = &ps->req->protocol_len;
		break;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	*dlen = len;
	return 1;
}

static int cb_start(struct req_parse *ps, bool map)
{
	if (ps->depth == 0) {
		ps->top_seen = true;
		if (!map)
			return wrong_type(ps, "array");
	} else if (ps->depth == 1 && ps->key != KEY_NONE) {
		return wrong_type(ps, map ? "object" : "array");
	}
	if (++ps->depth > FWD_JSON_DEPTH_MAX) {
		ferr(ps->err, ps->errlen, "invalid JSON: nested deeper than %d",
		     FWD_JSON_DEPTH_MAX);
		ps->failed = true;
		return 0;
	}
	return 1;
}

static int cb_start_map(void *ctx)
{
	return cb_start(ctx, true);
}

static int cb_start_array(void *ctx)
{
	return cb_start(ctx, false);
}

static int cb_end(void *ctx)
{
	struct req_parse *ps = ctx;

	ps->depth--;
	return 1;
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t len)
{
	struct req_parse *ps = ctx;

	if (ps->depth != 1)
		return 1;
	ps->key = KEY_NONE;
	for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
		if (strlen(key_names[i]) == len && !strncasecmp((const char *)s, key_names[i], len))
			ps->key = (enum req_key)i;
	return 1;
}

static const yajl_callbacks req_callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_bool,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end,
};

int fwd_request_parse(const char *body, size_t len, struct fwd_request *req, char *err,
		      size_t errlen)
{
	struct req_parse ps = { .req = req, .key = KEY_NONE, .err = err, .errlen = errlen };
	yajl_handle h;
	yajl_status st;
	size_t i;

	memset(req, 0, sizeof(*req));
	if (errlen)
		err[0] = '\0';
	for (i = 0; i < len && strchr(" \t\r\n", body[i]) && body[i]; i++)
		;
	if (i == len)
		return ferr(err, errlen, "EOF");
	h = yajl_alloc(&req_callbacks, NULL, &ps);
	if (!h)
		return -ENOMEM;
	st = yajl_parse(h, (const unsigned char *)body, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st != yajl_status_ok && !ps.failed) {
		unsigned char *msg = yajl_get_error(h, 0, (const unsigned char *)body, len);

		ferr(err, errlen, "invalid JSON: %s", msg ? (const char *)msg : "parse error");
		if (msg)
			yajl_free_error(h, msg);
		ps.failed = true;
	}
	yajl_free(h);
	if (ps.failed) {
		err[strcspn(err, "\n")] = '\0';
		memset(req, 0, sizeof(*req));
		return -EINVAL;
	}
	return 0;
}

/* --- addresses ---------------------------------------------------------------- */

/* Decimal port 1-65535. Return: the port or -1. */
static int port_parse(const char *s, size_t len)
{
	unsigned long v = 0;

	if (!len || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

/*
 * Split "host:port" / "[host]:port" as Go's net.SplitHostPort does.
 * Return: 0 with @host (copied, brackets removed) and @port (pointer into
 * @s); -EINVAL with @err in Go's words.
 */
static int split_host_port(const char *s, char *host, size_t hcap, const char **port, char *err,
			   size_t errlen)
{
	const char *colon = strrchr(s, ':');
	size_t hlen;

	if (!colon)
		return ferr(err, errlen, "address %s: missing port in address", s);
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (!end)
			return ferr(err, errlen, "address %s: missing ']' in address", s);
		if (end[1] != ':' || end + 1 != colon)
			return ferr(err, errlen, "address %s: %s", s,
				    end[1] ? "too many colons in address"
					   : "missing port in address");
		hlen = (size_t)(end - s - 1);
		if (hlen >= hcap)
			return ferr(err, errlen, "address %s: host too long", s);
		memcpy(host, s + 1, hlen);
	} else {
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen))
			return ferr(err, errlen, "address %s: too many colons in address", s);
		if (memchr(s, '[', hlen) || memchr(s, ']', hlen))
			return ferr(err, errlen, "address %s: unexpected '[' or ']' in address", s);
		if (hlen >= hcap)
			return ferr(err, errlen, "address %s: host too long", s);
		memcpy(host, s, hlen);
	}
	host[hlen] = '\0';
	*port = colon + 1;
	return 0;
}

int fwd_remote_fill(const char *s, size_t len, uint32_t caller, char *out, size_t cap, char *err,
		    size_t errlen)
{
	char host[64], shown[FWD_STR_MAX + 1];
	const char *port = NULL;
	int n;

	printable(shown, sizeof(shown), s, len);
	if (memchr(s, '\0', len))
		return ferr(err, errlen, "remote: contains a NUL byte");
	if (split_host_port(shown, host, sizeof(host), &port, err, errlen) < 0)
		return -EINVAL;
	if (host[0]) {
		if (len >= cap)
			return -ENAMETOOLONG;
		memcpy(out, s, len);
		out[len] = '\0';
		return 0;
	}
	inet_ntop(AF_INET, &caller, host, sizeof(host));
	n = snprintf(out, cap, "%s:%s", host, port);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

/* Check a guest "IPv4:PORT" against the network. */
static int guest_addr_parse(const char *what, const char *s, const struct fwd_net *net,
			    struct fwd_spec *spec, char *err, size_t errlen)
{
	char host[64];
	const char *port = NULL;
	struct in_addr a;
	int p;

	if (split_host_port(s, host, sizeof(host), &port, err, errlen) < 0)
		return -EINVAL;
	if (inet_pton(AF_INET, host, &a) != 1)
		return ferr(err, errlen, "invalid %s address %s: not an IPv4 address", what, s);
	p = port ? port_parse(port, strlen(port)) : -1;
	if (p < 0)
		return ferr(err, errlen, "invalid %s address %s: port must be 1-65535", what, s);
	if ((a.s_addr & net->netmask) != net->subnet)
		return ferr(err, errlen, "invalid %s address %s: not inside the virtual network",
			    what, s);
	if (a.s_addr == net->gateway || a.s_addr == net->subnet ||
	    a.s_addr == (net->subnet | ~net->netmask))
		return ferr(err, errlen, "invalid %s address %s: not a guest address", what, s);
	spec->rip = a.s_addr;
	spec->rport = (uint16_t)p;
	return 0;
}

/* tcp/udp local: "IP:PORT", "[IPv6]:PORT", ":PORT", "localhost:PORT". */
static int inet_local_parse(const char *s, struct fwd_spec *spec, char *err, size_t errlen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&spec->sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&spec->sa;
	const char *proto = fwd_proto_name(spec->proto);
	char host[64];
	const char *port = NULL;
	int p;

	if (split_host_port(s, host, sizeof(host), &port, err, errlen) < 0) {
		char why[FWD_STR_MAX + 64];

		snprintf(why, sizeof(why), "%s", err);
		return ferr(err, errlen, "listen %s: %s", proto, why);
	}
	p = port ? port_parse(port, strlen(port)) : -1;
	if (p < 0)
		return ferr(err, errlen, "listen %s %s: port must be 1-65535", proto, s);
	memset(&spec->sa, 0, sizeof(spec->sa));
	if (!host[0]) {
		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_any;
		s6->sin6_port = htons((uint16_t)p);
		spec->salen = sizeof(*s6);
		spec->dual_stack = true;
		return 0;
	}
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof(host), "127.0.0.1");
	if (s[0] != '[' && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)p);
		spec->salen = sizeof(*s4);
		return 0;
	}
	if (s[0] == '[' && inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)p);
		spec->salen = sizeof(*s6);
		return 0;
	}
	return ferr(err, errlen, "listen %s %s: host must be an IP address, [IPv6] or localhost",
		    proto, s);
}

bool fwd_path_permitted(const char *path, const char *const *dirs, unsigned ndirs)
{
	const char *c;

	if (path[0] != '/')
		return false;
	/* Every component non-empty, and neither "." nor "..". */
	for (c = path + 1;;) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[n])
			break;
		c += n + 1;
	}
	for (unsigned i = 0; i < ndirs; i++) {
		size_t dl = strlen(dirs[i]);

		while (dl && dirs[i][dl - 1] == '/')
			dl--;
		if (dirs[i][0] == '/' && !strncmp(path, dirs[i], dl) && path[dl] == '/' &&
		    path[dl + 1])
			return true;
	}
	return false;
}

static int unix_local_parse(const char *s, const char *const *dirs, unsigned ndirs,
			    struct fwd_spec *spec, char *err, size_t errlen)
{
	struct sockaddr_un *su = (struct sockaddr_un *)&spec->sa;
	size_t len = strlen(s);

	if (s[0] != '/')
		return ferr(err, errlen, "listen unix %s: the path must be absolute", s);
	if (len >= sizeof(su->sun_path))
		return ferr(err, errlen, "listen unix %s: the path is longer than %zu bytes", s,
			    sizeof(su->sun_path) - 1);
	if (!fwd_path_permitted(s, dirs, ndirs))
		return ferr(err, errlen,
			    "listen unix %s: not below a permitted directory (the API socket's "
			    "directory or $XDG_RUNTIME_DIR), or a \".\", \"..\" or empty component",
			    s);
	memset(&spec->sa, 0, sizeof(spec->sa));
	su->sun_family = AF_UNIX;
	memcpy(su->sun_path, s, len + 1);
	spec->salen = (socklen_t)sizeof(*su);
	return 0;
}

int fwd_spec_parse(enum fwd_proto proto, const char *local, size_t local_len, const char *remote,
		   size_t remote_len, const struct fwd_net *net, const char *const *dirs,
		   unsigned ndirs, struct fwd_spec *spec, char *err, size_t errlen)
{
	memset(spec, 0, sizeof(*spec));
	spec->proto = proto;
	if (local_len > FWD_STR_MAX || remote_len > FWD_STR_MAX)
		return ferr(err, errlen, "local or remote longer than %d bytes", FWD_STR_MAX);
	if (memchr(local, '\0', local_len))
		return ferr(err, errlen, "local: contains a NUL byte");
	if (memchr(remote, '\0', remote_len))
		return ferr(err, errlen, "remote: contains a NUL byte");
	memcpy(spec->local, local, local_len);
	memcpy(spec->remote, remote, remote_len);
	if (!local_len)
		return ferr(err, errlen, "local: missing");
	if (proto == FWD_UNIX) {
		if (unix_local_parse(spec->local, dirs, ndirs, spec, err, errlen) < 0)
			return -EINVAL;
		if (strncmp(spec->remote, "tcp://", 6) != 0) {
			const char *colon = strstr(spec->remote, "://");

			if (!colon)
				return ferr(err, errlen, "remote %s: want tcp://IP:PORT",
					    spec->remote);
			return ferr(err, errlen,
				    "remote protocol for unix forwarder is not implemented: %.*s",
				    (int)(colon - spec->remote), spec->remote);
		}
		return guest_addr_parse("remote", spec->remote + 6, net, spec, err, errlen);
	}
	if (inet_local_parse(spec->local, spec, err, errlen) < 0)
		return -EINVAL;
	return guest_addr_parse("remote", spec->remote, net, spec, err, errlen);
}

/* --- the table ------------------------------------------------------------------ */

struct fwd_entry *fwd_table_find(const struct fwd_table *t, enum fwd_proto proto, const char *local)
{
	for (unsigned i = 0; i < t->n; i++)
		if (t->v[i]->spec.proto == proto && !strcmp(t->v[i]->spec.local, local))
			return t->v[i];
	return NULL;
}

int fwd_table_add(struct fwd_table *t, const struct fwd_spec *spec, void *owner,
		  struct fwd_entry **out)
{
	struct fwd_entry *e;

	if (fwd_table_find(t, spec->proto, spec->local))
		return -EEXIST;
	if (t->n >= FWD_MAX)
		return -ENOSPC;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->spec = *spec;
	e->owner = owner;
	t->v[t->n++] = e;
	if (out)
		*out = e;
	return 0;
}

void fwd_table_remove(struct fwd_table *t, struct fwd_entry *e)
{
	for (unsigned i = 0; i < t->n; i++) {
		if (t->v[i] == e) {
			t->v[i] = t->v[--t->n];
			t->v[t->n] = NULL;
			free(e);
			return;
		}
	}
}

void fwd_table_clear(struct fwd_table *t)
{
	while (t->n)
		fwd_table_remove(t, t->v[t->n - 1]);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fwd_entry *x = *(const struct fwd_entry *const *)a;
	const struct fwd_entry *y = *(const struct fwd_entry *const *)b;
	int c = strcmp(x->spec.local, y->spec.local);

	return c ? c : strcmp(fwd_proto_name(x->spec.proto), fwd_proto_name(y->spec.proto));
}

static bool gen_str(yajl_gen g, const char *s)
{
	return yajl_gen_string(g, (const unsigned char *)s, strlen(s)) == yajl_gen_status_ok;
}

int fwd_table_json(const struct fwd_table *t, char **out)
{
	const struct fwd_entry **sorted = NULL;
	const unsigned char *buf;
	yajl_gen g = yajl_gen_alloc(NULL);
	size_t len;
	bool ok;
	int r = -ENOMEM;

	*out = NULL;
	if (!g)
		return -ENOMEM;
	if (t->n) {
		sorted = malloc(t->n * sizeof(const struct fwd_entry *));
		if (!sorted)
			goto done;
		memcpy(sorted, t->v, t->n * sizeof(const struct fwd_entry *));
		qsort(sorted, t->n, sizeof(const struct fwd_entry *), entry_cmp);
	}
	ok = yajl_gen_array_open(g) == yajl_gen_status_ok;
	for (unsigned i = 0; ok && i < t->n; i++) {
		const struct fwd_spec *s = &sorted[i]->spec;

		ok = yajl_gen_map_open(g) == yajl_gen_status_ok && gen_str(g, "local") &&
		     gen_str(g, s->local) && gen_str(g, "remote") && gen_str(g, s->remote) &&
		     gen_str(g, "protocol") && gen_str(g, fwd_proto_name(s->proto)) &&
		     yajl_gen_map_close(g) == yajl_gen_status_ok;
	}
	ok = ok && yajl_gen_array_close(g) == yajl_gen_status_ok &&
	     yajl_gen_get_buf(g, &buf, &len) == yajl_gen_status_ok;
	if (ok) {
		*out = malloc(len + 2);
		if (*out) {
			memcpy(*out, buf, len);
			(*out)[len] = '\n';
			(*out)[len + 1] = '\0';
			r = 0;
		}
	}
done:
	free(sorted);
	yajl_gen_free(g);
	return r;
}
