/* SPDX-License-Identifier: MIT */
/*
 * gurl.h - vgate-guest's -url: where the guest's frames go
 *
 *   vsock://CID:PORT[/path]   AF_VSOCK to the host (default vsock://2:1024/connect)
 *   unix:///path              a unix stream socket (vgate -listen unix://...)
 *   tcp://host:port[/path]    TCP, numeric host or [v6]
 *   stdio:/prog?k=v&k2&...    spawn /prog with "-k=v" "-k2" ... and carry the
 *                             frames over its stdin/stdout (no request at all)
 *
 * Socket URLs open with "POST <path> HTTP/1.1" (the URL's path, "/connect"
 * when it has none), after which uint16 LE frames flow both ways; stdio
 * carries uint16 LE frames from the first byte. gvforwarder turned the query
 * of a stdio URL into "-k=v" arguments in a random order; vgate-guest keeps
 * the order written, and a bare key ("debug") becomes "-debug".
 */
#ifndef VGATE_GURL_H
#define VGATE_GURL_H

#include "url.h"

#include <stddef.h>

/* Arguments a stdio URL may pass, and the longest one. */
#define GURL_ARGS_MAX 32
#define GURL_ARG_LEN 256
/* Longest program path and HTTP request path. */
#define GURL_PROG_LEN 1024
#define GURL_HTTP_PATH_LEN 128

enum gurl_kind {
	GURL_SOCKET, /* unix, tcp or vsock stream */
	GURL_STDIO,  /* a spawned program's stdin/stdout */
};

struct gurl {
	enum gurl_kind kind;
	struct stream_url sock;			/* GURL_SOCKET */
	char http_path[GURL_HTTP_PATH_LEN];	/* GURL_SOCKET: what is POSTed */
	char prog[GURL_PROG_LEN];		/* GURL_STDIO */
	char args[GURL_ARGS_MAX][GURL_ARG_LEN]; /* GURL_STDIO: "-k=v", in order */
	unsigned nargs;
};

/*
 * gurl_parse() - parse a -url value
 * @s: the URL as given
 * @u: filled on success
 * Return: 0; -EPROTONOSUPPORT for a scheme vgate-guest cannot dial
 * (unixgram, unixpacket, anything unknown); -ENAMETOOLONG when a part does
 * not fit; -E2BIG for more than GURL_ARGS_MAX query arguments; -EINVAL for
 * anything else malformed (no port, vsock without a CID, a request path with
 * spaces or control bytes, a bad %-escape, an empty program).
 */
int gurl_parse(const char *s, struct gurl *u);

/*
 * gurl_request() - the request head that opens a socket URL's stream
 * @u: a parsed GURL_SOCKET URL
 * @buf: where to write it
 * @cap: size of @buf
 * Return: its length, or -ENOSPC.
 */
int gurl_request(const struct gurl *u, char *buf, size_t cap);

/*
 * gurl_describe() - a short human form of @u for logs ("unix:///p", "stdio:/prog")
 * Return: @buf.
 */
const char *gurl_describe(const struct gurl *u, char *buf, size_t cap);

#endif
