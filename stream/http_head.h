/* SPDX-License-Identifier: MIT */
/*
 * http_head.h - find and split an HTTP/1.x request head
 *
 * Used to recognise the raw routes (/connect, /tunnel) before any HTTP
 * library sees the connection: the caller peeks at the socket, learns how
 * long the head is and what it asks for, then consumes exactly the head so
 * that frames sent right behind it stay in the socket.
 */
#ifndef VGATE_HTTP_HEAD_H
#define VGATE_HTTP_HEAD_H

#include <stddef.h>

/* Largest request head accepted. */
#define HTTP_HEAD_MAX 8192

struct http_head {
	char method[16];
	char path[1024]; /* without the query string */
	char query[1024];
	size_t head_len; /* bytes up to and including the blank line */
};

/*
 * http_head_parse() - parse the request head at the start of @buf
 * Return: 0; -EAGAIN when the blank line has not arrived yet (and @len is
 * below HTTP_HEAD_MAX); -E2BIG when it did not arrive within HTTP_HEAD_MAX;
 * -EPROTO for a malformed request line or a NUL byte.
 */
int http_head_parse(const char *buf, size_t len, struct http_head *h);

#endif
