// SPDX-License-Identifier: MIT
/*
 * gapi.c - build forwarder API requests, read the forward list
 *
 * Answers are parsed by common/'s HTTP client parser (http_client_parse(),
 * the one vgatectl and the libvirt hook use), called on what has arrived
 * so far after every read.
 */
#include "gapi.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

bool gapi_token_valid(const char *t)
{
	if (!t || !*t)
		return false;
	for (; *t; t++)
		if ((unsigned char)*t <= ' ' || (unsigned char)*t >= 0x7f)
			return false;
	return true;
}

int gapi_build_request(char *buf, size_t cap, const char *method, const char *path,
		       const char *host, const char *token, const char *body)
{
	size_t blen = body ? strlen(body) : 0;
	int n;

	n = snprintf(buf, cap,
		     "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: vgate-guest\r\n"
		     "Connection: close\r\n%s%s%s%s%zu\r\n\r\n%s",
		     method, path, host, token && *token ? "Authorization: Bearer " : "",
		     token && *token ? token : "", token && *token ? "\r\n" : "",
		     body ? "Content-Type: application/json\r\nContent-Length: "
			  : "Content-Length: ",
		     blen, body ? body : "");
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

/* --- the list scanner ---------------------------------------------------- */

struct scan {
	const char *s;
	size_t len, pos;
};

/* ws() - skip JSON whitespace */
static void ws(struct scan *sc)
{
	while (sc->pos < sc->len && strchr(" \t\r\n", sc->s[sc->pos]))
		sc->pos++;
}

/* eat() - consume @c after whitespace, if it is next */
static bool eat(struct scan *sc, char c)
{
	ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == c) {
		sc->pos++;
		return true;
	}
	return false;
}

/* A JSON string into @out (escapes decoded; \uXXXX beyond ASCII as '?'). */
static int string(struct scan *sc, char *out, size_t cap)
{
	size_t o = 0;

	if (!eat(sc, '"'))
		return -EPROTO;
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos++];

		if (c == '"') {
			out[o] = '\0';
			return 0;
		}
		if ((unsigned char)c < 0x20)
			return -EPROTO;
		if (c == '\\') {
			if (sc->pos >= sc->len)
				return -EPROTO;
			c = sc->s[sc->pos++];
			switch (c) {
			case '"':
			case '\\':
			case '/':
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u': {
				unsigned v = 0;

				if (sc->len - sc->pos < 4)
					return -EPROTO;
				for (int i = 0; i < 4; i++) {
					char h = sc->s[sc->pos++];
					int d = h >= '0' && h <= '9'   ? h - '0'
						: h >= 'a' && h <= 'f' ? h - 'a' + 10
						: h >= 'A' && h <= 'F' ? h - 'A' + 10
								       : -1;

					if (d < 0)
						return -EPROTO;
					v = v * 16 + (unsigned)d;
				}
				c = v && v < 0x80 ? (char)v : '?';
				break;
			}
			default:
				return -EPROTO;
			}
		}
		if (o + 1 >= cap)
			return -EPROTO;
		out[o++] = c;
	}
	return -EPROTO;
}

/* A scalar that is not a string: number, true, false, null. */
static int scalar(struct scan *sc)
{
	size_t start;

	ws(sc);
	start = sc->pos;
	while (sc->pos < sc->len && strchr("0123456789+-.eEtruefalsn", sc->s[sc->pos]))
		sc->pos++;
	return sc->pos > start ? 0 : -EPROTO;
}

int gapi_parse_forwards(const char *body, size_t len, gapi_forward_cb cb, void *ctx)
{
	struct scan sc = { .s = body, .len = len };
	int count = 0;

	if (!eat(&sc, '['))
		return -EPROTO;
	if (eat(&sc, ']'))
		goto done;
	do {
		char local[GAPI_STR_MAX] = "", remote[GAPI_STR_MAX] = "", proto[GAPI_STR_MAX] = "";

		if (!eat(&sc, '{'))
			return -EPROTO;
		if (!eat(&sc, '}')) {
			do {
				char key[GAPI_STR_MAX], val[GAPI_STR_MAX];
				char *dst = NULL;

				if (string(&sc, key, sizeof(key)) < 0 || !eat(&sc, ':'))
					return -EPROTO;
				ws(&sc);
				if (sc.pos < sc.len && sc.s[sc.pos] == '"') {
					if (string(&sc, val, sizeof(val)) < 0)
						return -EPROTO;
					if (!strcmp(key, "local"))
						dst = local;
					else if (!strcmp(key, "remote"))
						dst = remote;
					else if (!strcmp(key, "protocol"))
						dst = proto;
					if (dst)
						memcpy(dst, val, strlen(val) + 1);
				} else if (scalar(&sc) < 0) {
					return -EPROTO;
				}
			} while (eat(&sc, ','));
			if (!eat(&sc, '}'))
				return -EPROTO;
		}
		cb(ctx, local, remote, proto);
		count++;
	} while (eat(&sc, ','));
	if (!eat(&sc, ']'))
		return -EPROTO;
done:
	ws(&sc);
	return sc.pos == sc.len ? count : -EPROTO;
}
