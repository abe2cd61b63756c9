// SPDX-License-Identifier: MIT
/*
 * qmp_listeners.c - /v1/listeners: list vgate's listeners, open a QEMU
 * listener at run time
 *
 * Theory of operation
 *
 * A hot-plugged NIC (vgatectl attach) needs a socket its netdev can
 * connect to; this route lets the client ask the running daemon for one
 * instead of restarting it with another -listen-qemu. Opening a listener
 * is transport_listen(LISTENER_QEMU, url), exactly what the flag does, so
 * a listener opened here behaves like one from the command line: any
 * number of QEMUs may connect, it is closed and its socket file removed
 * at exit. There is no route to close one: listeners are cheap, bounded
 * (QMP_LISTENERS_API_MAX opened here, VGATE_LISTENERS_MAX in all), and a
 * hot-unplugged NIC only drops its connection.
 *
 * What the API may create is restricted the way unix port forwards are
 * (forward.c), because the API socket's owner is not necessarily allowed
 * to put sockets anywhere the daemon can (and sock_listen() replaces a
 * stale socket it finds at the path): unix paths only below the
 * directory of one of vgate's own unix API sockets or $XDG_RUNTIME_DIR
 * (both resolved at start), with the socket's parent directory resolved
 * again at creation so a symlink cannot lead elsewhere; TCP only on
 * loopback addresses, since a QEMU listener on a public address would
 * hand the virtual network to anyone who connects.
 *
 * Asking again for a URL vgate already serves with a QEMU listener is not
 * an error: the answer says "created":false, so clients can ask
 * unconditionally.
 */
#include "qmp_listeners.h"

#include "api.h"
#include "forward_table.h"
#include "json_depth.h"
#include "json_tree.h"
#include "log.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#define COMP "api"
#define ROUTE "/v1/listeners"
#define ERR_MAX 512

static struct {
	char *dirs[QMP_LISTENERS_DIRS_MAX];
	unsigned ndirs;
	unsigned opened; /* through the API, over the daemon's life */
	bool route_added;
} ql;

/* --- parsing and checking (no daemon state) ----------------------------------------- */

static __attribute__((format(printf, 3, 4))) int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int qmp_listeners_parse(const char *body, size_t len, char *url, size_t urlcap, char *err,
			size_t errlen)
{
	yajl_val root, v;
	bool have_url = false;
	int r = 0;

	if (memchr(body, '\0', len))
		return bad(err, errlen, "%s", "a NUL byte in the body");
	r = json_object_parse(body, len, JSON_DEPTH_MAX, &root, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; i < root->u.object.len && !r; i++) {
		const char *k = root->u.object.keys[i];

		v = root->u.object.values[i];
		if (!strcmp(k, "url")) {
			if (!YAJL_IS_STRING(v))
				r = bad(err, errlen, "%s", "url: must be a string");
			else if (strlen(v->u.string) >= urlcap ||
				 strlen(v->u.string) > QMP_LISTENERS_URL_MAX)
				r = bad(err, errlen, "%s", "url: too long");
			else {
				snprintf(url, urlcap, "%s", v->u.string);
				have_url = true;
			}
		} else if (!strcmp(k, "kind")) {
			if (!YAJL_IS_STRING(v) || strcmp(v->u.string, "qemu") != 0)
				r = bad(err, errlen, "%s",
					"kind: only \"qemu\" listeners can be opened at run time");
		} else {
			r = bad(err, errlen, "unknown key \"%.64s\"", k);
		}
	}
	yajl_tree_free(root);
	if (!r && !have_url)
		r = bad(err, errlen, "%s",
			"url: missing (e.g. {\"url\":\"unix:///run/vgate/q.sock\"})");
	return r;
}

static bool loopback_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
}

int qmp_listeners_check(const char *url, const char *const *dirs, unsigned ndirs,
			struct stream_url *u, char *err, size_t errlen)
{
	int r = stream_url_parse(url, u);

	if (r == -ENAMETOOLONG)
		return bad(err, errlen, "url %s: too long for a unix socket path", url);
	if (r < 0)
		return bad(err, errlen, "url %s: not a unix:///PATH or tcp://HOST:PORT URL", url);
	if (u->scheme != STREAM_URL_UNIX && u->scheme != STREAM_URL_TCP)
		return bad(err, errlen, "url %s: QEMU listeners are unix:// or tcp://", url);
	if (u->suffix[0])
		return bad(err, errlen, "url %s: no path after HOST:PORT", url);
	if (u->scheme == STREAM_URL_TCP) {
		if (!loopback_host(u->host))
			return bad(err, errlen,
				   "url %s: TCP listeners opened through the API must be on a "
				   "loopback address (127.0.0.0/8 or [::1])",
				   url);
		return 0;
	}
	if (u->path[0] != '/')
		return bad(err, errlen, "url %s: the path must be absolute", url);
	if (!fwd_path_permitted(u->path, dirs, ndirs))
		return bad(err, errlen,
			   "url %s: not below a permitted directory (the API socket's directory "
			   "or $XDG_RUNTIME_DIR), or a \".\", \"..\" or empty component",
			   url);
	return 0;
}

/* --- the route ------------------------------------------------------------------------ */

/* Is the socket's parent directory, resolved now, still below a permitted one? */
static bool parent_still_permitted(const char *path)
{
	char copy[sizeof(((struct sockaddr_un *)0)->sun_path)], real[PATH_MAX],
		full[PATH_MAX + sizeof(copy) + 2];
	char *base;

	snprintf(copy, sizeof(copy), "%s", path);
	base = strrchr(copy, '/');
	if (!base)
		return false;
	*base++ = '\0';
	if (!realpath(copy[0] ? copy : "/", real))
		return false;
	snprintf(full, sizeof(full), "%s/%s", strcmp(real, "/") ? real : "", base);
	return fwd_path_permitted(full, (const char *const *)ql.dirs, ql.ndirs);
}

static const char *kind_name(enum listener_kind k)
{
	switch (k) {
	case LISTENER_QEMU:
		return "qemu";
	case LISTENER_VPNKIT:
		return "vpnkit";
	case LISTENER_API:
		return "api";
	case LISTENER_SERVICES:
		return "services";
	case LISTENER_BESS:
		return "bess";
	}
	return "?";
}

/* The QEMU listener serving the same address as @u, if any. */
static const struct listener *find_qemu(const struct stream_url *u)
{
	for (unsigned i = 0; i < vg->n_listeners; i++) {
		const struct listener *l = vg->listeners[i];

		if (l->kind != LISTENER_QEMU || l->url.scheme != u->scheme)
			continue;
		if (u->scheme == STREAM_URL_UNIX && !strcmp(l->url.path, u->path))
			return l;
		if (u->scheme == STREAM_URL_TCP && l->url.port == u->port &&
		    !strcmp(l->url.host, u->host))
			return l;
	}
	return NULL;
}

/* A yajl generator whose first failure sticks, checked once at the end. */
struct gen {
	yajl_gen g;
	bool failed;
};

static void gen_str(struct gen *w, const char *s)
{
	if (!w->failed &&
	    yajl_gen_string(w->g, (const unsigned char *)s, strlen(s)) != yajl_gen_status_ok)
		w->failed = true;
}

static void gen_u64(struct gen *w, const char *key, uint64_t v)
{
	char num[24];

	gen_str(w, key);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	if (!w->failed && yajl_gen_number(w->g, num, strlen(num)) != yajl_gen_status_ok)
		w->failed = true;
}

static void gen_call(struct gen *w, yajl_gen_status (*fn)(yajl_gen))
{
	if (!w->failed && fn(w->g) != yajl_gen_status_ok)
		w->failed = true;
}

/* Hand the generated text over as the reply's body (with a newline). */
static int gen_reply(struct gen *w, struct api_reply *rep)
{
	const unsigned char *buf;
	size_t len;
	int r = -ENOMEM;

	if (!w->failed && yajl_gen_get_buf(w->g, &buf, &len) == yajl_gen_status_ok) {
		rep->body = malloc(len + 2);
		if (rep->body) {
			memcpy(rep->body, buf, len);
			rep->body[len] = '\n';
			rep->body[len + 1] = '\0';
			rep->body_len = len + 1;
			rep->content_type = "application/json";
			r = 0;
		}
	}
	yajl_gen_free(w->g);
	return r;
}

static int gen_open(struct gen *w)
{
	w->failed = false;
	w->g = yajl_gen_alloc(NULL);
	return w->g ? 0 : -ENOMEM;
}

static int route_list(struct api_reply *rep)
{
	struct gen w;

	if (gen_open(&w) < 0)
		return -ENOMEM;
	gen_call(&w, yajl_gen_array_open);
	for (unsigned i = 0; i < vg->n_listeners; i++) {
		const struct listener *l = vg->listeners[i];

		gen_call(&w, yajl_gen_map_open);
		gen_str(&w, "kind");
		gen_str(&w, kind_name(l->kind));
		gen_str(&w, "url");
		gen_str(&w, l->spec);
		gen_u64(&w, "accepted", l->accepted);
		gen_u64(&w, "refused", l->refused);
		gen_call(&w, yajl_gen_map_close);
	}
	gen_call(&w, yajl_gen_array_close);
	return gen_reply(&w, rep);
}

static int reply_opened(struct api_reply *rep, const char *url, bool created)
{
	struct gen w;

	if (gen_open(&w) < 0)
		return -ENOMEM;
	gen_call(&w, yajl_gen_map_open);
	gen_str(&w, "kind");
	gen_str(&w, "qemu");
	gen_str(&w, "url");
	gen_str(&w, url);
	gen_str(&w, "created");
	if (!w.failed && yajl_gen_bool(w.g, created) != yajl_gen_status_ok)
		w.failed = true;
	gen_call(&w, yajl_gen_map_close);
	return gen_reply(&w, rep);
}

static int route_open(const struct api_request *req, struct api_reply *rep)
{
	char url[QMP_LISTENERS_URL_MAX + 1], err[ERR_MAX];
	struct stream_url u;
	int r;

	r = qmp_listeners_parse(req->body, req->body_len, url, sizeof(url), err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return api_reply_text(rep, 400, err);
	if (qmp_listeners_check(url, (const char *const *)ql.dirs, ql.ndirs, &u, err, sizeof(err)) <
	    0)
		return api_reply_text(rep, 400, err);
	if (find_qemu(&u))
		return reply_opened(rep, url, false);
	if (ql.opened >= QMP_LISTENERS_API_MAX) {
		snprintf(err, sizeof(err), "at most %d listeners can be opened through the API",
			 QMP_LISTENERS_API_MAX);
		return api_reply_text(rep, 400, err);
	}
	if (u.scheme == STREAM_URL_UNIX && !parent_still_permitted(u.path)) {
		snprintf(err, sizeof(err),
			 "url %.200s: the directory does not resolve to a permitted one", url);
		return api_reply_text(rep, 400, err);
	}
	r = transport_listen(LISTENER_QEMU, url); /* logs why it failed */
	if (r == -EADDRINUSE || r == -EEXIST) {
		snprintf(err, sizeof(err), "url %.200s: %s", url,
			 r == -EADDRINUSE ? "address in use (another process is serving it)"
					  : "the path exists and is not a socket");
		return api_reply_text(rep, 409, err);
	}
	if (r == -ENOSPC) {
		snprintf(err, sizeof(err), "vgate has %d listeners already", VGATE_LISTENERS_MAX);
		return api_reply_text(rep, 400, err);
	}
	if (r < 0) {
		snprintf(err, sizeof(err), "url %.200s: %s", url, strerror(-r));
		return api_reply_text(rep, 500, err);
	}
	ql.opened++;
	log_info(COMP, "QEMU listener %s opened through the API", url);
	return reply_opened(rep, url, true);
}

static int route_listeners(const struct api_request *req, struct api_reply *rep)
{
	if (!strcmp(req->method, "GET") || !strcmp(req->method, "HEAD"))
		return route_list(rep);
	if (!strcmp(req->method, "POST"))
		return route_open(req, rep);
	return api_reply_text(rep, 405, "method not allowed");
}

/* --- start and stop ----------------------------------------------------------------- */

static void permit_dir(const char *dir)
{
	char real[PATH_MAX];

	if (ql.ndirs >= QMP_LISTENERS_DIRS_MAX || !dir || dir[0] != '/' || !realpath(dir, real))
		return;
	for (unsigned i = 0; i < ql.ndirs; i++)
		if (!strcmp(ql.dirs[i], real))
			return;
	ql.dirs[ql.ndirs] = strdup(real);
	if (ql.dirs[ql.ndirs])
		ql.ndirs++;
}

static void permit_api_dirs(const struct opt_list *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct stream_url u;

		if (stream_url_parse(l->v[i], &u) == 0 && u.scheme == STREAM_URL_UNIX)
			permit_dir(dirname(u.path));
	}
}

int qmp_listeners_init(void)
{
	int r;

	if (vg->opt) {
		permit_api_dirs(&vg->opt->listen);
		permit_api_dirs(&vg->opt->services);
	}
	permit_dir(getenv("XDG_RUNTIME_DIR"));
	r = api_route_add(ROUTE, 0, route_listeners);
	if (r < 0) {
		log_err(COMP, "cannot add the %s route: %s", ROUTE, strerror(-r));
		return r;
	}
	ql.route_added = true;
	return 0;
}

void qmp_listeners_fini(void)
{
	if (ql.route_added)
		api_route_remove(ROUTE);
	for (unsigned i = 0; i < ql.ndirs; i++)
		free(ql.dirs[i]);
	memset(&ql, 0, sizeof(ql));
}
