// SPDX-License-Identifier: MIT
/*
 * gapi.c - build forwarder API requests, parse the answers
 *
 * The response parser works on what has arrived so far and says whether it
 * is complete; the connection code calls it after every read. Header names
 * are matched case-insensitively; the only headers that matter are
 * Content-Length and Transfer-Encoding.
 */
#include "gapi.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HEAD_MAX 16384

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

/* Position just past the blank line ending the head, or 0 if not there. */
static size_t head_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Decimal of exactly the bytes [s, s+n) (surrounding spaces allowed). */
static int parse_size(const char *s, size_t n, size_t *out)
{
	size_t v = 0, i = 0;
	bool any = false;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (SIZE_MAX - 9) / 10)
			return -EPROTO;
		v = v * 10 + (size_t)(s[i] - '0');
		any = true;
	}
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	if (!any || i != n)
		return -EPROTO;
	*out = v;
	return 0;
}

/* header_is() - is @line the header @name? Point @val at its value. */
static bool header_is(const char *line, size_t len, const char *name, const char **val,
		      size_t *vlen)
{
	size_t n = strlen(name);

	if (len <= n || line[n] != ':' || strncasecmp(line, name, n) != 0)
		return false;
	*val = line + n + 1;
	*vlen = len - n - 1;
	return true;
}

/* Decode a chunked body at @buf[off..len) in place. */
static int dechunk(char *buf, size_t off, size_t len, bool eof, size_t *out_len)
{
	size_t in = off, out = off;

	for (;;) {
		const char *nl = memchr(buf + in, '\n', len - in);
		size_t size = 0, digits = 0;

		if (!nl)
			return eof ? -EPROTO : -EAGAIN;
		for (const char *p = buf + in; p < nl; p++) {
			int d = *p >= '0' && *p <= '9'	 ? *p - '0'
				: *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
				: *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
							 : -1;

			if (d < 0)
				break; /* chunk extensions or the CR */
			if (++digits > 8)
				return -EPROTO;
			size = size * 16 + (size_t)d;
		}
		if (!digits)
			return -EPROTO;
		in = (size_t)(nl - buf) + 1;
		if (!size) {
			*out_len = out - off;
			return 0; /* trailers are not needed */
		}
		if (size > len - in)
			return eof ? -EPROTO : -EAGAIN;
		memmove(buf + out, buf + in, size);
		out += size;
		in += size;
		/* CRLF after the data */
		if (in < len && buf[in] == '\r')
			in++;
		if (in >= len)
			return eof ? -EPROTO : -EAGAIN;
		if (buf[in] != '\n')
			return -EPROTO;
		in++;
	}
}

int gapi_parse_response(char *buf, size_t len, bool eof, struct gapi_resp *r)
{
	size_t end = head_end(buf, len), pos, clen = 0;
	bool have_clen = false, chunked = false;
	const char *nl;

	memset(r, 0, sizeof(*r));
	if (!end) {
		if (len > HEAD_MAX)
			return -E2BIG;
		return eof ? -EPROTO : -EAGAIN;
	}
	if (end > HEAD_MAX)
		return -E2BIG;
	/* "HTTP/1.x NNN reason" */
	if (len < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ' || buf[9] < '1' ||
	    buf[9] > '5' || buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
		return -EPROTO;
	if (len > 12 && buf[12] != ' ' && buf[12] != '\r' && buf[12] != '\n')
		return -EPROTO;
	r->status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	nl = memchr(buf, '\n', end);
	pos = (size_t)(nl - buf) + 1;
	while (pos < end) {
		const char *line = buf + pos, *val;
		size_t llen, vlen;

		nl = memchr(line, '\n', end - pos);
		llen = (size_t)(nl - line);
		if (llen && line[llen - 1] == '\r')
			llen--;
		if (!llen)
			break;
		if (memchr(line, '\0', llen))
			return -EPROTO;
		if (header_is(line, llen, "Content-Length", &val, &vlen)) {
			if (parse_size(val, vlen, &clen) < 0)
				return -EPROTO;
			have_clen = true;
		} else if (header_is(line, llen, "Transfer-Encoding", &val, &vlen)) {
			while (vlen && (*val == ' ' || *val == '\t')) {
				val++;
				vlen--;
			}
			if (vlen >= 7 && !strncasecmp(val, "chunked", 7))
				chunked = true;
		}
		pos = (size_t)(nl - buf) + 1;
	}
	r->body_off = end;
	if (chunked)
		return dechunk(buf, end, len, eof, &r->body_len);
	if (have_clen) {
		if (clen > len - end)
			return eof ? -EPROTO : -EAGAIN;
		r->body_len = clen;
		return 0;
	}
	/* 204 and 304 have no body; otherwise it runs to the close. */
	if (r->status == 204 || r->status == 304) {
		r->body_len = 0;
		return 0;
	}
	if (!eof)
		return -EAGAIN;
	r->body_len = len - end;
	return 0;
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
