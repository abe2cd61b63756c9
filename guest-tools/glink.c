// SPDX-License-Identifier: MIT
/*
 * glink.c - dial vgate, send the /connect head, carry frames, redial
 *
 * The framing, decoding and the bounded output queue are stream/'s
 * (conn.h); this file owns only the connection's life. A socket is
 * registered once as GLOOP_LINK_RD, for EPOLLIN and, while output waits,
 * EPOLLOUT. A stdio peer has two pipes: its stdout as GLOOP_LINK_RD, its
 * stdin as GLOOP_LINK_WR (registered with no events until output waits, so
 * that the peer closing it still shows up as EPOLLERR).
 *
 * An AF_VSOCK socket is opened only when -url names vsock: tests never do.
 */
#include "glink.h"

#include "child.h"
#include "log.h"
#include "sock.h"

#include <errno.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define COMP "link"

void glink_init(struct glink *l, const struct gurl *url, struct gloop *loop,
		const struct glink_ops *ops, void *ctx)
{
	memset(l, 0, sizeof(*l));
	l->url = *url;
	gurl_describe(url, l->desc, sizeof(l->desc));
	l->loop = loop;
	l->ops = ops;
	l->ctx = ctx;
	l->fd = l->wfd = -1;
	l->state = GLINK_WAITING;
	l->deadline = GLOOP_NEVER;
	l->backoff_ms = GLINK_BACKOFF_FIRST_MS;
}

/* close_all() - close the connection's fds; a stdio peer gets SIGTERM */
static void close_all(struct glink *l)
{
	if (l->have_conn) {
		gloop_del(l->loop, l->conn.rfd);
		if (l->conn.wfd != l->conn.rfd)
			gloop_del(l->loop, l->conn.wfd);
		stream_conn_close(&l->conn);
		l->have_conn = false;
	} else if (l->fd >= 0) {
		gloop_del(l->loop, l->fd);
		close(l->fd);
	}
	l->fd = l->wfd = -1;
	l->wr_on = false;
	l->flush_pending = false;
	if (l->child > 0) {
		kill(l->child, SIGTERM);
		l->old_child = l->child;
		l->child = 0;
	}
}

/* The connection failed or ended: close it and schedule the next dial. */
static void lose(struct glink *l, uint64_t now, const char *why)
{
	bool was_up = l->state == GLINK_UP;

	close_all(l);
	if (was_up) {
		l->stats.losses++;
		if (l->got_frame || now - l->up_since >= GLINK_BACKOFF_MAX_MS)
			l->backoff_ms = GLINK_BACKOFF_FIRST_MS;
		log_warn(COMP, "link to %s lost: %s; redialling", l->desc, why);
		l->logged_failure = true;
	} else if (!l->logged_failure) {
		log_warn(COMP, "cannot reach %s: %s; retrying (every %d s at most)", l->desc, why,
			 GLINK_BACKOFF_MAX_MS / 1000);
		l->logged_failure = true;
	} else {
		log_debug(COMP, "%s: %s", l->desc, why);
	}
	l->state = GLINK_WAITING;
	l->deadline = now + l->backoff_ms;
	l->backoff_ms *= 2;
	if (l->backoff_ms > GLINK_BACKOFF_MAX_MS)
		l->backoff_ms = GLINK_BACKOFF_MAX_MS;
	if (was_up && l->ops->down)
		l->ops->down(l->ctx);
}

/* on_frame() - a frame decoded from vgate: note the link works, pass it on */
static void on_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct glink *l = ctx;

	l->got_frame = true;
	l->ops->frame(l->ctx, frame, len);
}

/* go_up() - the connection carries frames from now on */
static void go_up(struct glink *l, uint64_t now)
{
	l->state = GLINK_UP;
	l->deadline = GLOOP_NEVER;
	l->up_since = now;
	l->got_frame = false;
	l->stats.ups++;
	log_info(COMP, "connected to %s", l->desc);
	l->logged_failure = false;
	if (l->ops->up)
		l->ops->up(l->ctx);
}

/* vsock_connect() - start a non-blocking AF_VSOCK connect. Return: fd or -errno. */
static int vsock_connect(const struct stream_url *u)
{
	struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = u->cid, .svm_port = u->port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* dial_stdio() - spawn the stdio peer; up at once (no request) */
static void dial_stdio(struct glink *l, uint64_t now)
{
	char *argv[GURL_ARGS_MAX + 2];
	int rfd, wfd, r;
	pid_t pid;

	argv[0] = l->url.prog;
	for (unsigned i = 0; i < l->url.nargs; i++)
		argv[i + 1] = l->url.args[i];
	argv[l->url.nargs + 1] = NULL;
	r = child_spawn_stdio(l->url.prog, argv, &pid, &rfd, &wfd);
	if (r < 0) {
		lose(l, now, strerror(-r));
		return;
	}
	l->child = pid;
	r = stream_conn_init(&l->conn, rfd, wfd, STREAM_FRAMING_LE16, false);
	l->have_conn = true; /* stream_conn_close() now owns the fds */
	if (!r)
		r = gloop_add(l->loop, rfd, EPOLLIN, GLOOP_LINK_RD);
	if (!r)
		r = gloop_add(l->loop, wfd, 0, GLOOP_LINK_WR);
	if (r < 0) {
		lose(l, now, strerror(-r));
		return;
	}
	log_debug(COMP, "spawned %s (pid %d)", l->url.prog, (int)pid);
	go_up(l, now);
}

/*
 * Frames go out in batches already, so Nagle would only delay the last one;
 * keepalives notice a peer that vanished without a reset within about a
 * minute.
 */
static void tune_tcp(int fd)
{
	int one = 1, idle = GLINK_KEEPALIVE_IDLE_S, intvl = GLINK_KEEPALIVE_INTVL_S,
	    cnt = GLINK_KEEPALIVE_COUNT;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

/* dial() - start a connection to l->url */
static void dial(struct glink *l, uint64_t now)
{
	int fd, r;

	l->stats.dials++;
	if (l->old_child > 0)
		kill(l->old_child, SIGKILL); /* a peer that ignored SIGTERM */
	if (l->url.kind == GURL_STDIO) {
		dial_stdio(l, now);
		return;
	}
	if (l->url.sock.scheme == STREAM_URL_VSOCK)
		fd = vsock_connect(&l->url.sock);
	else
		fd = sock_connect(&l->url.sock);
	if (fd < 0) {
		lose(l, now, strerror(-fd));
		return;
	}
	l->fd = fd;
	if (l->url.sock.scheme == STREAM_URL_TCP)
		tune_tcp(fd);
	r = gloop_add(l->loop, fd, EPOLLOUT, GLOOP_LINK_RD);
	if (r < 0) {
		lose(l, now, strerror(-r));
		return;
	}
	l->state = GLINK_CONNECTING;
	l->deadline = now + GLINK_CONNECT_TIMEOUT_MS;
	r = gurl_request(&l->url, l->req, sizeof(l->req));
	l->req_len = r > 0 ? (size_t)r : 0;
	l->req_off = 0;
}

void glink_start(struct glink *l, uint64_t now)
{
	dial(l, now);
}

/* Write the rest of the request head; up once it is all out. */
static void send_request(struct glink *l, uint64_t now)
{
	int r;

	while (l->req_off < l->req_len) {
		ssize_t n = send(l->fd, l->req + l->req_off, l->req_len - l->req_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			lose(l, now, strerror(errno));
			return;
		}
		l->req_off += (size_t)n;
	}
	r = stream_conn_init(&l->conn, l->fd, l->fd, STREAM_FRAMING_LE16, true);
	if (r < 0) {
		lose(l, now, strerror(-r));
		return;
	}
	l->have_conn = true;
	r = gloop_mod(l->loop, l->fd, EPOLLIN, GLOOP_LINK_RD);
	if (r < 0) {
		lose(l, now, strerror(-r));
		return;
	}
	go_up(l, now);
}

/* set_wr() - wait for the link to become writable, or stop waiting */
static void set_wr(struct glink *l, bool on)
{
	if (l->wr_on == on)
		return;
	l->wr_on = on;
	if (l->url.kind == GURL_STDIO)
		gloop_mod(l->loop, l->conn.wfd, on ? EPOLLOUT : 0, GLOOP_LINK_WR);
	else
		gloop_mod(l->loop, l->conn.rfd, EPOLLIN | (on ? EPOLLOUT : 0), GLOOP_LINK_RD);
}

void glink_flush(struct glink *l, uint64_t now)
{
	int r;

	if (l->state != GLINK_UP)
		return;
	if (l->in_read) {
		/* A frame handler queued a reply: a failing flush must not free
		 * the decoder stream_conn_read() is walking. */
		l->flush_pending = true;
		return;
	}
	r = stream_conn_flush(&l->conn);
	if (r == 0)
		set_wr(l, false);
	else if (r == -EAGAIN)
		set_wr(l, true);
	else
		lose(l, now, strerror(-r));
}

int glink_send(struct glink *l, const uint8_t *frame, size_t len)
{
	int r;

	if (l->state != GLINK_UP) {
		l->stats.tx_drops++;
		return -ENOTCONN;
	}
	r = stream_conn_send(&l->conn, frame, len);
	if (r < 0)
		l->stats.tx_drops++;
	else
		l->stats.tx_frames++;
	return r;
}

size_t glink_room(const struct glink *l)
{
	if (l->state != GLINK_UP)
		return 0;
	return l->conn.tx.cap - stream_txq_pending(&l->conn.tx);
}

/* read_frames() - read and hand out what vgate sent; a read error loses the link */
static void read_frames(struct glink *l, uint64_t now)
{
	int r;

	l->in_read = true;
	r = stream_conn_read(&l->conn, on_frame, l);
	l->in_read = false;
	if (r >= 0) {
		if (l->flush_pending) {
			l->flush_pending = false;
			glink_flush(l, now);
		}
		return;
	}
	if (r == -ESHUTDOWN)
		lose(l, now,
		     stream_decoder_partial(&l->conn.rx)
			     ? "vgate went away in the middle of a frame"
			     : "vgate closed the connection");
	else if (r == -EMSGSIZE)
		lose(l, now, "vgate announced a frame longer than 65535 bytes");
	else
		lose(l, now, strerror(-r));
}

void glink_event(struct glink *l, enum gloop_kind kind, uint32_t events, uint64_t now)
{
	int r;

	switch (l->state) {
	case GLINK_WAITING:
	case GLINK_STOPPED:
		return;
	case GLINK_CONNECTING:
		r = sock_connect_result(l->fd);
		if (r < 0) {
			lose(l, now, strerror(-r));
			return;
		}
		if (events & (EPOLLERR | EPOLLHUP)) {
			lose(l, now, "connection refused");
			return;
		}
		l->state = GLINK_REQUEST;
		send_request(l, now);
		return;
	case GLINK_REQUEST:
		if (events & (EPOLLERR | EPOLLHUP)) {
			lose(l, now, "connection closed during the request");
			return;
		}
		send_request(l, now);
		return;
	case GLINK_UP:
		break;
	}
	if (kind == GLOOP_LINK_WR) {
		if (events & EPOLLERR) {
			lose(l, now, "the stdio peer closed its input");
			return;
		}
		glink_flush(l, now);
		if (l->state == GLINK_UP && l->ops->writable)
			l->ops->writable(l->ctx);
		return;
	}
	if (events & EPOLLOUT) {
		glink_flush(l, now);
		if (l->state != GLINK_UP)
			return;
		if (l->ops->writable)
			l->ops->writable(l->ctx);
	}
	if (l->state == GLINK_UP && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		read_frames(l, now);
}

void glink_timer(struct glink *l, uint64_t now)
{
	if (now < l->deadline)
		return;
	switch (l->state) {
	case GLINK_WAITING:
		dial(l, now);
		return;
	case GLINK_CONNECTING:
	case GLINK_REQUEST:
		lose(l, now, "timed out");
		return;
	case GLINK_UP:
	case GLINK_STOPPED:
		return;
	}
}

uint64_t glink_deadline(const struct glink *l)
{
	switch (l->state) {
	case GLINK_WAITING:
	case GLINK_CONNECTING:
	case GLINK_REQUEST:
		return l->deadline;
	case GLINK_UP:
	case GLINK_STOPPED:
		break;
	}
	return GLOOP_NEVER;
}

bool glink_child_exited(struct glink *l, pid_t pid, int status, uint64_t now)
{
	char how[64];

	if (pid == l->old_child) {
		l->old_child = 0;
		return true;
	}
	if (pid != l->child || pid <= 0)
		return false;
	l->child = 0;
	child_describe_status(status, how, sizeof(how));
	if (l->state == GLINK_UP) {
		char why[96];

		snprintf(why, sizeof(why), "the stdio peer exited (%s)", how);
		lose(l, now, why);
	}
	return true;
}

void glink_stop(struct glink *l)
{
	pid_t child = l->child;

	l->child = 0; /* close_all() must not forget it: the caller waits for it */
	close_all(l);
	l->child = child;
	if (child > 0)
		kill(child, SIGTERM);
	l->state = GLINK_STOPPED;
	l->deadline = GLOOP_NEVER;
}

pid_t glink_child(const struct glink *l)
{
	return l->child;
}
