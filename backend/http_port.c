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
 *   /tunnel?ip=A&port=N  exactly the head is consumed, the two bytes "OK"
 *        are written (gvproxy's answer: no status line), and the connection
 *        is relayed to A:N dialled from the gateway inside the virtual
 *        network (forward_relay.c: back-pressure, half-close, RST). A must
 *        be a host of the subnet other than the gateway's own addresses;
 *        anything else is 400.
 *   anything else  handed, head unread, to libmicrohttpd (api.c), which
 *        serves the HTTP API; a malformed head gets 400 here and is closed.
 */
#include "api.h"
#include "forward_relay.h"
#include "http_head.h"
#include "log.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
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

/* Tunnels opened through /tunnel; the relay layer frees them at exit. */
static struct fwd_relay_group tunnels;

/* Parse "ip=A&port=N" (any order, other keys ignored). Return: 0 or -EINVAL. */
static int tunnel_target(const char *query, uint32_t *ip, uint16_t *port)
{
	char q[sizeof(((struct http_head *)0)->query)];
	bool have_ip = false, have_port = false;
	char *save = NULL;

	snprintf(q, sizeof(q), "%s", query);
	for (char *kv = strtok_r(q, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		unsigned long v;
		struct in_addr a;

		if (!strncmp(kv, "ip=", 3)) {
			if (inet_pton(AF_INET, kv + 3, &a) != 1)
				return -EINVAL;
			*ip = a.s_addr;
			have_ip = true;
		} else if (!strncmp(kv, "port=", 5)) {
			if (parse_uint(kv + 5, 1, 65535, &v) < 0)
				return -EINVAL;
			*port = (uint16_t)v;
			have_port = true;
		}
	}
	if (!have_ip || !have_port)
		return -EINVAL;
	/* Inside the virtual network, and not the gateway itself. */
	if ((*ip & vg->cfg.netmask) != vg->cfg.subnet || config_is_gateway_addr(&vg->cfg, *ip) ||
	    (*ip & ~vg->cfg.netmask) == 0 || (*ip & ~vg->cfg.netmask) == ~vg->cfg.netmask)
		return -EINVAL;
	return 0;
}

/* Take the port's fd away from it (the port closes without closing it). */
static int port_take_fd(struct port *p, const char *why)
{
	int fd = p->conn.rfd;

	loop_del(&vg->loop, fd);
	p->events = 0;			/* so port_close() does not loop_del again */
	p->conn.rfd = p->conn.wfd = -1; /* so port_close() does not close it */
	port_close(p, why);
	return fd;
}

static void tunnel_open(struct port *p, const struct http_head *h)
{
	char buf[HTTP_HEAD_MAX];
	uint32_t ip = 0;
	uint16_t port = 0;
	int fd, r;

	if (tunnel_target(h->query, &ip, &port) < 0) {
		reply(p, "400 Bad Request", "text/plain",
		      "tunnel needs ip= (a guest address) and port= (1-65535)\n");
		port_close(p, "bad /tunnel request");
		return;
	}
	/* Consume the head only: bytes sent behind it belong to the tunnel. */
	if (recv(p->conn.rfd, buf, h->head_len, 0) != (ssize_t)h->head_len ||
	    send(p->conn.wfd, "OK", 2, MSG_NOSIGNAL | MSG_DONTWAIT) != 2) {
		port_close(p, "tunnel setup failed");
		return;
	}
	fd = port_take_fd(p, "tunnel");
	r = fwd_relay_connect(&tunnels, fd, ip, port);
	if (r < 0)
		log_warn(COMP, "tunnel to port %u: %s", port, strerror(-r));
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
	if (!strcmp(h.path, "/tunnel")) {
		tunnel_open(p, &h);
		return;
	}
	/* Everything else is libmicrohttpd's (api.c): the head is still unread.
	 * The fd leaves vgate's epoll set before MHD puts it in its own. */
	fd = port_take_fd(p, "handed to the HTTP API");
	api_add_connection(fd, NULL, 0, true);
}

void http_port_foreach(flow_visit_fn fn, void *arg)
{
	static const struct flow_info tunnel = { .kind = "tunnel", .local = "/tunnel" };

	fwd_relay_group_foreach(&tunnels, &tunnel, fn, arg);
}
