// SPDX-License-Identifier: MIT
/*
 * http_port.c - API connections before they become anything else
 *
 * An accepted -listen/-services connection starts in PORT_HTTP_HEAD. Its
 * request head is peeked (MSG_PEEK, edge-triggered so old bytes do not wake
 * the loop again) until the blank line arrives, within HTTP_HEAD_MAX bytes
 * and PORT_HANDSHAKE_TIMEOUT_MS. Then:
 *
 *   POST /connect (on -listen only)  exactly the head is consumed, no
 *        response is written (gvforwarder reads none), and the connection
 *        becomes a LE16 switch port: frames that came with the request are
 *        still in the socket and are the first the decoder sees.
 *   anything else  handed, head unread, to libmicrohttpd (api.c), which
 *        serves the HTTP API; a malformed head gets 400 here and is closed.
 */
#include "api.h"
#include "http_head.h"
#include "log.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define COMP "api"

static void reply(struct port *p, const char *status, const char *type, const char *body)
{
	char head[256];
	struct iovec iov[2];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, strlen(body));

	if (n <= 0 || (size_t)n >= sizeof(head))
		return;
	iov[0] = (struct iovec){ .iov_base = head, .iov_len = (size_t)n };
	iov[1] = (struct iovec){ .iov_base = (void *)body, .iov_len = strlen(body) };
	/* A fresh socket's buffer takes a reply this small in one go. */
	if (writev(p->conn.wfd, iov, 2) < 0)
		log_debug(COMP, "%s: reply lost: %s", p->name, strerror(errno));
}

void http_port_head(struct port *p)
{
	char buf[HTTP_HEAD_MAX];
	struct http_head h;
	ssize_t n;
	int r, fd;

	n = recv(p->conn.rfd, buf, sizeof(buf), MSG_PEEK);
	if (n == 0) {
		port_close(p, "closed before a request");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			port_close(p, strerror(errno));
		return;
	}
	r = http_head_parse(buf, (size_t)n, &h);
	if (r == -EAGAIN)
		return;
	if (r < 0) {
		vg->drops.bad_handshakes++;
		reply(p, "400 Bad Request", "text/plain", "malformed request\n");
		port_close(p, "malformed HTTP request");
		return;
	}
	if (!strcmp(h.path, "/connect") && p->allow_connect) {
		/* Consume the head only; frames behind it stay for the decoder. */
		n = recv(p->conn.rfd, buf, h.head_len, 0);
		if (n != (ssize_t)h.head_len) {
			port_close(p, "short read of request head");
			return;
		}
		if (port_attach(p, PORT_RUNNING) < 0) {
			port_close(p, "refused");
			return;
		}
		/* Frames may already be waiting, and no new edge will say so. */
		port_handle(p, EPOLLIN);
		return;
	}
	/* Everything else is libmicrohttpd's (api.c): the head is still unread. */
	fd = p->conn.rfd;
	loop_del(&vg->loop, fd);	/* before MHD puts the fd in its own epoll set */
	p->events = 0;			/* so port_close() does not loop_del again */
	p->conn.rfd = p->conn.wfd = -1; /* so port_close() does not close it */
	port_close(p, "handed to the HTTP API");
	api_add_connection(fd, NULL, 0, true);
}
