// SPDX-License-Identifier: MIT
/*
 * conn.c - non-blocking frame I/O on one connection
 *
 * Byte streams read into the decoder's buffer and get their frames handed
 * out in place. Message transports read each message into a buffer one byte
 * larger than the largest frame accepted, so an oversized datagram shows up
 * as a full buffer (or MSG_TRUNC) and is counted and dropped; the transport
 * keeps its message boundaries, so nothing needs closing.
 *
 * Legacy vfkit clients announce themselves with a datagram starting "VFKT";
 * it carries no frame and is swallowed.
 */
#include "conn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSGBUF_SIZE (STREAM_FRAME_MAX + 1)

int stream_conn_init(struct stream_conn *c, int rfd, int wfd, enum stream_framing framing,
		     bool is_socket)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->rfd = rfd;
	c->wfd = wfd;
	c->framing = framing;
	c->is_socket = is_socket;
	if (is_socket) {
		socklen_t optlen = sizeof(c->sotype);

		if (getsockopt(rfd, SOL_SOCKET, SO_TYPE, &c->sotype, &optlen) < 0)
			return -errno;
	}
	if (framing == STREAM_FRAMING_MSG) {
		c->msgbuf = malloc(MSGBUF_SIZE);
		if (!c->msgbuf)
			return -ENOMEM;
	} else {
		r = stream_decoder_init(&c->rx, framing);
		if (r < 0)
			return r;
	}
	r = stream_txq_init(&c->tx, framing, STREAM_TXQ_BYTES);
	if (r < 0) {
		free(c->msgbuf);
		stream_decoder_free(&c->rx);
		return r;
	}
	return 0;
}

void stream_conn_close(struct stream_conn *c)
{
	if (c->rfd >= 0)
		close(c->rfd);
	if (c->wfd >= 0 && c->wfd != c->rfd)
		close(c->wfd);
	c->rfd = c->wfd = -1;
	stream_decoder_free(&c->rx);
	stream_txq_free(&c->tx);
	free(c->msgbuf);
	c->msgbuf = NULL;
}

/* On byte streams the decoder counts frames, bytes and runts. */
static void sync_rx_stats(struct stream_conn *c)
{
	c->stats.rx_frames = c->rx.stats.frames;
	c->stats.rx_bytes = c->rx.stats.bytes;
	c->stats.rx_runts = c->rx.stats.runts;
}

static int read_stream(struct stream_conn *c, stream_frame_cb cb, void *ctx)
{
	int frames = 0;

	for (int i = 0; i < STREAM_READ_BUDGET; i++) {
		size_t room;
		uint8_t *space = stream_decoder_space(&c->rx, &room);
		ssize_t n = read(c->rfd, space, room);
		int r;

		if (n == 0)
			return -ESHUTDOWN;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return frames;
			return -errno;
		}
		r = stream_decoder_commit(&c->rx, (size_t)n, cb, ctx);
		sync_rx_stats(c);
		if (r < 0) {
			c->stats.rx_oversize++;
			return r;
		}
		frames += r;
		/* A short read means the fd is drained for now. */
		if ((size_t)n < room)
			return frames;
	}
	return frames;
}

static bool peer_equal(const struct stream_conn *c, const struct sockaddr_storage *a,
		       socklen_t alen)
{
	return c->has_peer && c->peerlen == alen && !memcmp(&c->peer, a, alen);
}

static int read_msgs(struct stream_conn *c, stream_frame_cb cb, void *ctx)
{
	int frames = 0;

	for (int i = 0; i < STREAM_READ_BUDGET; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		if (c->is_socket)
			n = recvfrom(c->rfd, c->msgbuf, MSGBUF_SIZE, MSG_TRUNC,
				     c->learn_peer ? (struct sockaddr *)&from : NULL,
				     c->learn_peer ? &fromlen : NULL);
		else
			n = read(c->rfd, c->msgbuf, MSGBUF_SIZE);
		/* Zero bytes is end of stream on SEQPACKET and taps, but just an
		 * empty datagram (a runt) on SOCK_DGRAM. */
		if (n == 0 && c->sotype != SOCK_DGRAM)
			return -ESHUTDOWN;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return frames;
			/* A datagram peer that went away is not our failure. */
			if (c->learn_peer && (errno == ECONNREFUSED || errno == ENOTCONN))
				continue;
			return -errno;
		}
		if (c->learn_peer && fromlen > 0 && !peer_equal(c, &from, fromlen)) {
			memcpy(&c->peer, &from, fromlen);
			c->peerlen = fromlen;
			c->has_peer = true;
		}
		if (n >= 4 && !memcmp(c->msgbuf, "VFKT", 4) && n < STREAM_FRAME_MIN) {
			c->stats.rx_handshakes++;
			continue;
		}
		if ((size_t)n >= MSGBUF_SIZE) {
			c->stats.rx_oversize++;
			continue;
		}
		if (n < STREAM_FRAME_MIN) {
			c->stats.rx_runts++;
			continue;
		}
		c->stats.rx_frames++;
		c->stats.rx_bytes += (uint64_t)n;
		frames++;
		cb(ctx, c->msgbuf, (size_t)n);
	}
	return frames;
}

int stream_conn_read(struct stream_conn *c, stream_frame_cb cb, void *ctx)
{
	if (c->framing == STREAM_FRAMING_MSG)
		return read_msgs(c, cb, ctx);
	return read_stream(c, cb, ctx);
}

int stream_conn_feed(struct stream_conn *c, const uint8_t *bytes, size_t len, stream_frame_cb cb,
		     void *ctx)
{
	int r = stream_decoder_feed(&c->rx, bytes, len, cb, ctx);

	sync_rx_stats(c);
	if (r == -EMSGSIZE)
		c->stats.rx_oversize++;
	return r;
}

int stream_conn_send(struct stream_conn *c, const uint8_t *frame, size_t len)
{
	if (c->learn_peer && !c->has_peer)
		return -ENOTCONN;
	return stream_txq_push(&c->tx, frame, len);
}

/* One message out. Return: 0 sent (or dropped for a vanished peer), -EAGAIN, -errno. */
static int send_msg(struct stream_conn *c, struct iovec *iov, size_t cnt)
{
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = cnt };
	ssize_t n;

	if (c->learn_peer) {
		mh.msg_name = &c->peer;
		mh.msg_namelen = c->peerlen;
	}
	do {
		n = c->is_socket ? sendmsg(c->wfd, &mh, MSG_NOSIGNAL)
				 : writev(c->wfd, iov, (int)cnt);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return 0;
	if (errno == EAGAIN || errno == ENOBUFS)
		return -EAGAIN;
	/* Datagram peer gone, or tap link down: drop what was meant for it
	 * rather than fail the port. */
	if (c->learn_peer || (!c->is_socket && errno == EIO))
		return 0;
	return -errno;
}

int stream_conn_send_now(struct stream_conn *c, const uint8_t *frame, size_t len)
{
	struct iovec iov = { .iov_base = (void *)frame, .iov_len = len };
	int r;

	if (c->framing != STREAM_FRAMING_MSG || stream_txq_pending(&c->tx))
		return stream_conn_send(c, frame, len);
	if (c->learn_peer && !c->has_peer)
		return -ENOTCONN;
	if (len > STREAM_FRAME_MAX)
		return -EMSGSIZE;
	r = send_msg(c, &iov, 1);
	if (r == -EAGAIN)
		return stream_conn_send(c, frame, len);
	if (r == 0) {
		c->tx.stats.frames++;
		c->tx.stats.bytes += len;
	}
	return r;
}

static int flush_stream(struct stream_conn *c)
{
	while (stream_txq_pending(&c->tx)) {
		struct iovec iov[2];
		int cnt = stream_txq_peek_bytes(&c->tx, iov);
		ssize_t n = writev(c->wfd, iov, cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		stream_txq_consume(&c->tx, (size_t)n);
	}
	return 0;
}

static int flush_msgs(struct stream_conn *c)
{
	while (stream_txq_pending(&c->tx)) {
		struct iovec iov[2];
		int cnt = stream_txq_peek_msg(&c->tx, iov);
		int r = send_msg(c, iov, (size_t)cnt);

		if (r < 0)
			return r;
		stream_txq_pop_msg(&c->tx);
	}
	return 0;
}

int stream_conn_flush(struct stream_conn *c)
{
	if (c->framing == STREAM_FRAMING_MSG)
		return flush_msgs(c);
	return flush_stream(c);
}
