/* SPDX-License-Identifier: MIT */
/*
 * api.h - the HTTP API: libmicrohttpd inside vgate's own event loop
 *
 * vgate accepts API connections itself (http_port.c peeks at the request
 * head so /connect can be served raw) and hands every other connection,
 * head still unread, to api_add_connection(). From then on
 * libmicrohttpd owns the socket: it reads the request, api.c routes it
 * and builds the body (api_json.c), MHD writes the answer and keeps the
 * connection alive or closes it.
 *
 * Routes served here (gvproxy's paths, keys, status codes and error
 * texts; vgate's own under /v1):
 *   GET  /stats, /services/dhcp/leases, /leases, /services/dns/all
 *   POST /services/dns/add                         (else 400 "post only")
 *   GET  /v1/health, /v1/version, /v1/ports, /v1/leases, /v1/nat,
 *        /v1/egress, /metrics                      (else 405)
 *   anything else: 404 "404 page not found\n"
 * Other parts add routes with api_route_add() (the forwarder routes
 * /services/forwarder/{all,expose,unexpose} belong to forward.c).
 */
#ifndef VGATE_API_H
#define VGATE_API_H

#include "loop.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A request body larger than this is answered 413 (or the connection closed). */
#define API_BODY_MAX (64 * 1024)
/* Connections MHD serves at once; more are closed at once (counted). */
#define API_CONNECTIONS_MAX 128
/* A connection idle this long is closed (slow clients included). */
#define API_CONNECTION_TIMEOUT_S 30
/* Per-connection memory MHD may use: bounds the request head. */
#define API_CONNECTION_MEMORY (32 * 1024)
/* Routes other files may add with api_route_add(). */
#define API_ROUTES_MAX 16

/* What a route handler sees of a request. */
struct api_request {
	const char *method;
	const char *path; /* decoded, without the query string */
	const char *body; /* NUL-terminated; "" when there is none */
	size_t body_len;
	const struct sockaddr *peer; /* the address given to api_add_connection() */
	socklen_t peer_len;
	bool full_api; /* false: the in-network API (gateway:80) */
	void *conn;    /* private: for api_request_header() */
};

/* What a route handler answers; api.c turns it into the HTTP response. */
struct api_reply {
	unsigned status;	  /* 0 means 200 */
	const char *content_type; /* static string; NULL: none for an empty body, else
				   * gvproxy's "text/plain; charset=utf-8" */
	char *body;		  /* malloc'd (api.c frees it) or NULL for an empty body */
	size_t body_len;	  /* 0: strlen(body) */
};

/*
 * api_route_fn - a route handler
 * Fill @rep and return 0; a negative errno answers 500 with its text.
 */
typedef int (*api_route_fn)(const struct api_request *req, struct api_reply *rep);

enum api_route_flags {
	API_ROUTE_POST = 1 << 0,  /* other methods: 400 "post only\n", as gvproxy */
	API_ROUTE_GET = 1 << 1,	  /* other methods than GET and HEAD: 405 */
	API_ROUTE_GUEST = 1 << 2, /* also served on the in-network API (full_api false) */
};

/*
 * api_init() - start libmicrohttpd (no listening socket, no thread, its
 * epoll fd in vg->loop as REF_API)
 * @version: what /v1/version reports
 * Return: 0 or -errno.
 */
int api_init(const char *version);

/* api_fini() - close every API connection and stop the daemon */
void api_fini(void);

/*
 * api_add_connection() - serve HTTP on an accepted socket
 * @fd: the socket; its request head must still be unread. MHD owns it
 *	after the call whatever the result (it is closed on failure).
 * @sa, @salen: the peer, as route handlers will see it; NULL to ask
 *	getpeername()
 * @full_api: true for the host's -listen/-services sockets (every route);
 *	false for the in-network API, which serves API_ROUTE_GUEST routes only
 * Return: 0; -ENFILE (API_CONNECTIONS_MAX reached); -ENOMEM; -ENOTCONN
 * (api_init() not called).
 */
int api_add_connection(int fd, const struct sockaddr *sa, socklen_t salen, bool full_api);

/* api_handle() - REF_API: MHD's epoll fd is readable; run MHD */
void api_handle(struct loop_ref *ref, uint32_t events);

/*
 * api_timeout_ms() - how long MHD may wait at most (MHD_get_timeout)
 * api.c already keeps a loop timer armed to this, so the loop need not
 * add it to its own timeout; it is here for callers that drive MHD by
 * hand (tests).
 * Return: milliseconds, or -1 when MHD has nothing timed.
 */
int api_timeout_ms(void);

/*
 * api_route_add() - serve @path with @fn
 * @flags: enum api_route_flags
 * Return: 0; -EEXIST (already routed, built-in routes included);
 * -ENOSPC (API_ROUTES_MAX); -EINVAL (a path not starting with '/').
 */
int api_route_add(const char *path, unsigned flags, api_route_fn fn);

/* api_route_remove() - forget a route api_route_add() added. Return: 0 or -ENOENT. */
int api_route_remove(const char *path);

/* Value of request header @name (case-insensitive), or NULL. */
const char *api_request_header(const struct api_request *req, const char *name);

/*
 * api_reply_text() - a plain-text answer, gvproxy's http.Error style:
 * @text plus a trailing newline, "text/plain; charset=utf-8"
 * Return: 0 or -ENOMEM.
 */
int api_reply_text(struct api_reply *rep, unsigned status, const char *text);

#endif
