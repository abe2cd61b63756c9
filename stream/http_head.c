// SPDX-License-Identifier: MIT
/*
 * http_head.c - split "METHOD /path?query HTTP/1.x" and find the head's end
 */
#include "http_head.h"

#include <errno.h>
#include <string.h>

static const char *find_end(const char *buf, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n')
			return buf + i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return buf + i + 3;
	}
	return NULL;
}

static int copy_token(char *dst, size_t cap, const char *s, size_t n)
{
	if (!n || n >= cap)
		return -EPROTO;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

int http_head_parse(const char *buf, size_t len, struct http_head *h)
{
	const char *end, *eol, *sp1, *sp2, *q;
	size_t scan = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;

	memset(h, 0, sizeof(*h));
	end = find_end(buf, scan);
	if (!end) {
		if (memchr(buf, '\0', scan))
			return -EPROTO;
		return len >= HTTP_HEAD_MAX ? -E2BIG : -EAGAIN;
	}
	h->head_len = (size_t)(end - buf);
	/* Only the head is text: whatever follows it (frames) may hold NULs. */
	if (memchr(buf, '\0', h->head_len))
		return -EPROTO;

	eol = memchr(buf, '\n', h->head_len);
	sp1 = memchr(buf, ' ', (size_t)(eol - buf));
	if (!sp1)
		return -EPROTO;
	sp2 = memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1));
	if (!sp2 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0)
		return -EPROTO;
	if (copy_token(h->method, sizeof(h->method), buf, (size_t)(sp1 - buf)) < 0)
		return -EPROTO;
	q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
	if (q) {
		if ((size_t)(sp2 - q - 1) >= sizeof(h->query))
			return -EPROTO;
		memcpy(h->query, q + 1, (size_t)(sp2 - q - 1));
		h->query[sp2 - q - 1] = '\0';
	} else {
		q = sp2;
	}
	if (copy_token(h->path, sizeof(h->path), sp1 + 1, (size_t)(q - sp1 - 1)) < 0)
		return -EPROTO;
	if (h->path[0] != '/')
		return -EPROTO;
	return 0;
}
