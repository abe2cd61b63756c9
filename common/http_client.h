/* SPDX-License-Identifier: MIT */
/*
 * http_client.h - one HTTP/1.1 request over a unix socket, for vgatectl
 *
 * http_client_request() connects, sends one request with Content-Length
 * and "Connection: close", and reads the whole answer within a deadline.
 * http_client_parse() is the answer's parser on its own, so it can be
 * tested on byte buffers: it is called again on the growing buffer after
 * every read until it says the answer is complete.
 */
#ifndef VGATE_HTTP_CLIENT_H
#define VGATE_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

/* Largest response head (status line and headers) accepted. */
#define HTTP_CLIENT_HEAD_MAX 16384
/* Largest response body accepted (after de-chunking). */
#define HTTP_CLIENT_BODY_MAX (16u << 20)
/* Largest request body sent (the API itself refuses more than 64 KiB). */
#define HTTP_CLIENT_REQUEST_MAX (1u << 20)

struct http_client_response {
	int status;		/* 200, 404, ... */
	char content_type[128]; /* "" when absent */
	char *body;		/* malloc'd, NUL-terminated; never NULL once parsed */
	size_t body_len;	/* bytes in body, without the NUL */
	size_t consumed;	/* bytes of the input the answer took */
};

/*
 * http_client_parse() - parse an HTTP/1.x answer at the start of @buf
 * @eof: no more bytes will come (the peer closed); an answer without
 *       Content-Length or chunking ends there, any other is truncated
 * @r: filled on success; r->body must be freed with http_client_response_free()
 *
 * Informational (1xx) answers in front of the real one are skipped.
 * Return: 0; -EAGAIN when more bytes are needed; -EPROTO for a malformed or
 * truncated answer; -E2BIG when the head or body is over its maximum;
 * -ENOMEM.
 */
int http_client_parse(const char *buf, size_t len, bool eof, struct http_client_response *r);

/*
 * http_client_request() - send @method @path with @body to the unix socket
 * @socket_path and read the answer into @r
 * @body: may be NULL (then @body_len is 0); sent as application/json
 * @timeout_ms: for the whole exchange, connect included
 *
 * Return: 0 with @r filled (any status); -errno of connect() (and
 * -ENAMETOOLONG for a path that does not fit sun_path) when the daemon
 * could not be reached, with *@connected false; after connecting, -ETIMEDOUT,
 * -ECONNRESET, -EPROTO, -E2BIG or another -errno with *@connected true.
 */
int http_client_request(const char *socket_path, const char *method, const char *path,
			const char *body, size_t body_len, int timeout_ms, bool *connected,
			struct http_client_response *r);

void http_client_response_free(struct http_client_response *r);

#endif
