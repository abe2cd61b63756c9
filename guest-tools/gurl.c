// SPDX-License-Identifier: MIT
/*
 * gurl.c - parse vgate-guest's -url
 *
 * Socket schemes go through stream/url.c, which already knows unix, tcp and
 * vsock; this file adds what only a dialling guest needs: the HTTP path to
 * POST (checked so it cannot split the request line), a CID that is really
 * there for vsock, and the stdio: form, whose query string becomes the
 * spawned program's arguments. Everything is decoded into fixed-size fields
 * of struct gurl; nothing is allocated.
 */
#include "gurl.h"

#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define STDIO_PREFIX "stdio:"
#define DEFAULT_HTTP_PATH "/connect"

/*
 * unescape() - %-decode @len bytes of @s into @out (NUL-terminated)
 * @plus_space: turn '+' into ' ' (query strings, as Go's url.Query does)
 * Return: 0, -ENAMETOOLONG, or -EINVAL for a bad escape or an escaped NUL.
 */
static int unescape(const char *s, size_t len, bool plus_space, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi, lo;

			if (i + 2 >= len)
				return -EINVAL;
			hi = hex_digit(s[i + 1]);
			lo = hex_digit(s[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (char)(hi * 16 + lo);
			if (!c)
				return -EINVAL;
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (o + 1 >= cap)
			return -ENAMETOOLONG;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

/* One "k=v" or "k" of a stdio query, appended as "-k=v" / "-k". */
static int add_query_arg(struct gurl *u, const char *s, size_t len)
{
	char key[GURL_ARG_LEN], val[GURL_ARG_LEN];
	const char *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;
	int r, n;

	if (!len)
		return 0; /* "a=b&&c": an empty piece is nothing */
	if (u->nargs >= GURL_ARGS_MAX)
		return -E2BIG;
	r = unescape(s, klen, true, key, sizeof(key));
	if (r < 0)
		return r;
	if (!key[0] || key[0] == '-')
		return -EINVAL;
	if (eq) {
		r = unescape(eq + 1, len - klen - 1, true, val, sizeof(val));
		if (r < 0)
			return r;
		n = snprintf(u->args[u->nargs], GURL_ARG_LEN, "-%s=%s", key, val);
	} else {
		n = snprintf(u->args[u->nargs], GURL_ARG_LEN, "-%s", key);
	}
	if (n < 0 || n >= GURL_ARG_LEN)
		return -ENAMETOOLONG;
	u->nargs++;
	return 0;
}

/* parse_stdio() - "stdio:" was seen; the program and its query arguments */
static int parse_stdio(const char *rest, struct gurl *u)
{
	const char *q = strchr(rest, '?');
	size_t plen = q ? (size_t)(q - rest) : strlen(rest);
	int r;

	u->kind = GURL_STDIO;
	/* "stdio:///prog" is the same program as "stdio:/prog". */
	if (plen >= 3 && !strncmp(rest, "///", 3)) {
		rest += 2;
		plen -= 2;
	} else if (plen >= 2 && !strncmp(rest, "//", 2)) {
		return -EINVAL; /* stdio://host/... names no program */
	}
	if (!plen)
		return -EINVAL;
	r = unescape(rest, plen, false, u->prog, sizeof(u->prog));
	if (r < 0)
		return r;
	if (!q)
		return 0;
	for (const char *p = q + 1;;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);

		r = add_query_arg(u, p, len);
		if (r < 0)
			return r;
		if (!amp)
			return 0;
		p = amp + 1;
	}
}

/* The request path goes on the request line: printable, no spaces. */
static int set_http_path(struct gurl *u, const char *suffix)
{
	const char *p = *suffix ? suffix : DEFAULT_HTTP_PATH;
	size_t n = strlen(p);

	if (p[0] != '/')
		return -EINVAL;
	if (n >= sizeof(u->http_path))
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
			return -EINVAL;
	memcpy(u->http_path, p, n + 1);
	return 0;
}

int gurl_parse(const char *s, struct gurl *u)
{
	int r;

	memset(u, 0, sizeof(*u));
	if (!s || !*s)
		return -EINVAL;
	if (!strncmp(s, STDIO_PREFIX, strlen(STDIO_PREFIX)))
		return parse_stdio(s + strlen(STDIO_PREFIX), u);

	u->kind = GURL_SOCKET;
	r = stream_url_parse(s, &u->sock);
	if (r < 0)
		return r;
	switch (u->sock.scheme) {
	case STREAM_URL_UNIX:
		/* The whole rest is the socket path: there is no room for an
		 * HTTP path, so it is always /connect. */
		return set_http_path(u, "");
	case STREAM_URL_TCP:
		if (!u->sock.host[0])
			return -EINVAL; /* a dialler needs somewhere to dial */
		return set_http_path(u, u->sock.suffix);
	case STREAM_URL_VSOCK:
		if (u->sock.any_cid)
			return -EINVAL;
		return set_http_path(u, u->sock.suffix);
	case STREAM_URL_UNIXPACKET:
	case STREAM_URL_UNIXGRAM:
		return -EPROTONOSUPPORT;
	}
	return -EINVAL;
}

int gurl_request(const struct gurl *u, char *buf, size_t cap)
{
	char host[STREAM_URL_HOST_MAX + 16];
	int n;

	if (u->sock.scheme == STREAM_URL_TCP)
		snprintf(host, sizeof(host), strchr(u->sock.host, ':') ? "[%s]:%u" : "%s:%u",
			 u->sock.host, u->sock.port);
	else
		snprintf(host, sizeof(host), "vgate");
	n = snprintf(buf, cap,
		     "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vgate-guest\r\n"
		     "Content-Length: 0\r\n\r\n",
		     u->http_path, host);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

const char *gurl_describe(const struct gurl *u, char *buf, size_t cap)
{
	const struct stream_url *s = &u->sock;

	if (u->kind == GURL_STDIO)
		snprintf(buf, cap, "stdio:%s", u->prog);
	else if (s->scheme == STREAM_URL_UNIX)
		snprintf(buf, cap, "unix://%s", s->path);
	else if (s->scheme == STREAM_URL_TCP)
		snprintf(buf, cap, strchr(s->host, ':') ? "tcp://[%s]:%u%s" : "tcp://%s:%u%s",
			 s->host, s->port, u->http_path);
	else
		snprintf(buf, cap, "vsock://%u:%u%s", s->cid, s->port, u->http_path);
	return buf;
}
