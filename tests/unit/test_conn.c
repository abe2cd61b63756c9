// SPDX-License-Identifier: MIT
/*
 * test_conn.c - stream/conn.c: frame I/O over real non-blocking fds
 *
 * Two stream_conns on the ends of an AF_UNIX socketpair (SOCK_STREAM with
 * BE32 or LE16 framing, SOCK_SEQPACKET or SOCK_DGRAM with one frame per
 * message), or on two pipes the way stdio is wired. What one side sends and
 * flushes must come out of the other side's read, whole and in order, even
 * when the socket buffer fills and flush has to be resumed. End of stream,
 * oversized lengths, runts, a peer that never reads, the vfkit "VFKT"
 * datagram on a learnt-peer socket and read-ahead bytes handed over with
 * stream_conn_feed() are covered as well.
 */
#include "conn.h"
#include "testutil.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Pump iterations before a test gives up on frames arriving. */
#define PUMP_MAX 100000

struct transport {
	int type;
	enum stream_framing framing;
};

static const struct transport stream_be32 = { SOCK_STREAM, STREAM_FRAMING_BE32 };
static const struct transport stream_le16 = { SOCK_STREAM, STREAM_FRAMING_LE16 };
static const struct transport seqpacket = { SOCK_SEQPACKET, STREAM_FRAMING_MSG };
static const struct transport dgram = { SOCK_DGRAM, STREAM_FRAMING_MSG };

/*
 * Everything a test holds, released by teardown even when an assertion
 * fails half way: both connections (fds included), the collector, a scratch
 * buffer and a temporary directory for socket paths.
 */
struct fixture {
	const struct transport *t;
	struct stream_conn a; /* sends, in most tests */
	struct stream_conn b; /* receives */
	struct collect c;
	uint8_t *buf;
	char dir[32]; /* holds sockets "srv" and "cli" when set */
};

static void conn_blank(struct stream_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->rfd = c->wfd = -1;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->t = *state;
	conn_blank(&f->a);
	conn_blank(&f->b);
	collect_init(&f->c);
	*state = f;
	return 0;
}

static void dir_path(const struct fixture *f, const char *name, char *out, size_t cap)
{
	assert_true((size_t)snprintf(out, cap, "%s/%s", f->dir, name) < cap);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[64];

	stream_conn_close(&f->a);
	stream_conn_close(&f->b);
	collect_free(&f->c);
	free(f->buf);
	if (f->dir[0]) {
		dir_path(f, "srv", path, sizeof(path));
		unlink(path);
		dir_path(f, "cli", path, sizeof(path));
		unlink(path);
		rmdir(f->dir);
	}
	free(f);
	return 0;
}

/* (Re)open a and b on the ends of a fresh non-blocking socketpair. */
static void pair_open(struct fixture *f, int type, enum stream_framing framing)
{
	int fds[2];

	stream_conn_close(&f->a);
	stream_conn_close(&f->b);
	assert_int_equal(socketpair(AF_UNIX, type, 0, fds), 0);
	assert_int_equal(fd_set_nonblock(fds[0]), 0);
	assert_int_equal(fd_set_nonblock(fds[1]), 0);
	assert_int_equal(stream_conn_init(&f->a, fds[0], fds[0], framing, true), 0);
	assert_int_equal(stream_conn_init(&f->b, fds[1], fds[1], framing, true), 0);
}

static struct fixture *fixture_open(void **state)
{
	struct fixture *f = *state;

	pair_open(f, f->t->type, f->t->framing);
	return f;
}

/*
 * Flush @tx and read @rx until @rx has collected @want frames and @tx has
 * nothing queued. Every flush must succeed or say -EAGAIN, every read must
 * return a frame count.
 */
static void pump(struct stream_conn *tx, struct stream_conn *rx, struct collect *c, size_t want)
{
	for (int i = 0; i < PUMP_MAX; i++) {
		int f = stream_conn_flush(tx);
		int r;

		assert_true(f == 0 || f == -EAGAIN);
		r = stream_conn_read(rx, collect_cb, c);
		assert_true(r >= 0);
		if (f == 0 && c->n >= want)
			break;
	}
	assert_int_equal(stream_txq_pending(&tx->tx), 0);
	assert_int_equal(c->n, want);
}

/* Read until the connection reports an error; return it. */
static int read_until_error(struct stream_conn *rx, struct collect *c)
{
	for (int i = 0; i < PUMP_MAX; i++) {
		int r = stream_conn_read(rx, collect_cb, c);

		if (r < 0)
			return r;
	}
	fail_msg("connection never reported an error");
	return 0;
}

static void write_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

/* Frames of many sizes, up to the framing's maximum, arrive whole. */
static void test_roundtrip(void **state)
{
	struct fixture *f = fixture_open(state);
	size_t max = stream_framing_max(f->t->framing);
	size_t lens[300];
	size_t n = 0, bytes = 0;
	uint64_t rng = 1234;

	f->buf = malloc(STREAM_FRAME_MAX);
	assert_non_null(f->buf);
	for (size_t i = 0; i < 200; i++)
		lens[n++] = rng_range(&rng, STREAM_FRAME_MIN, 1514);
	lens[n++] = STREAM_FRAME_MIN;
	lens[n++] = 9000;
	lens[n++] = 65535;
	lens[n++] = max;
	lens[n++] = 60;

	for (size_t i = 0; i < n; i++) {
		pattern_fill(f->buf, lens[i], (uint32_t)i);
		assert_int_equal(stream_conn_send(&f->a, f->buf, lens[i]), 0);
		bytes += lens[i];
		/* Flush now and then, so some frames share a write. */
		if (i % 7 == 0) {
			int r = stream_conn_flush(&f->a);

			assert_true(r == 0 || r == -EAGAIN);
		}
		assert_true(stream_conn_read(&f->b, collect_cb, &f->c) >= 0);
	}
	pump(&f->a, &f->b, &f->c, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(f->c.lens[i], lens[i]);
		pattern_check(collect_frame(&f->c, i), lens[i], (uint32_t)i);
	}
	assert_int_equal(f->b.stats.rx_frames, n);
	assert_int_equal(f->b.stats.rx_bytes, bytes);
	assert_int_equal(f->b.stats.rx_runts, 0);
	assert_int_equal(f->b.stats.rx_oversize, 0);
	assert_int_equal(f->a.tx.stats.frames, n);
	assert_int_equal(f->a.tx.stats.bytes, bytes);
	assert_int_equal(f->a.tx.stats.drops, 0);

	/* And the other way. */
	collect_reset(&f->c);
	pattern_fill(f->buf, 100, 77);
	assert_int_equal(stream_conn_send(&f->b, f->buf, 100), 0);
	pump(&f->b, &f->a, &f->c, 1);
	pattern_check(collect_frame(&f->c, 0), 100, 77);
}

/* Byte-stream wire bytes are exactly header + frame. */
static void test_wire_bytes(void **state)
{
	struct fixture *f = fixture_open(state);
	uint8_t frame[20], got[64], hdr[4];
	int h = stream_framing_header(f->t->framing, sizeof(frame), hdr);

	pattern_fill(frame, sizeof(frame), 3);
	assert_int_equal(stream_conn_send(&f->a, frame, sizeof(frame)), 0);
	assert_int_equal(stream_conn_flush(&f->a), 0);
	assert_int_equal(read(f->b.rfd, got, sizeof(got)), h + (int)sizeof(frame));
	assert_memory_equal(got, hdr, (size_t)h);
	assert_memory_equal(got + h, frame, sizeof(frame));
}

static void test_send_errors(void **state)
{
	struct fixture *f = fixture_open(state);
	size_t max = stream_framing_max(f->t->framing);

	f->buf = calloc(1, STREAM_FRAME_MAX + 1);
	assert_non_null(f->buf);
	assert_int_equal(stream_conn_send(&f->a, f->buf, 0), -EINVAL);
	assert_int_equal(stream_conn_send(&f->a, f->buf, max + 1), -EMSGSIZE);
	assert_int_equal(stream_txq_pending(&f->a.tx), 0);
	assert_int_equal(stream_conn_flush(&f->a), 0);
}

/* Frames sent before the peer closes are delivered, then -ESHUTDOWN. */
static void test_eof(void **state)
{
	struct fixture *f = fixture_open(state);
	uint8_t frame[100];

	pattern_fill(frame, sizeof(frame), 1);
	assert_int_equal(stream_conn_send(&f->a, frame, sizeof(frame)), 0);
	pattern_fill(frame, 50, 2);
	assert_int_equal(stream_conn_send(&f->a, frame, 50), 0);
	assert_int_equal(stream_conn_flush(&f->a), 0);
	stream_conn_close(&f->a);
	assert_int_equal(read_until_error(&f->b, &f->c), -ESHUTDOWN);
	assert_int_equal(f->c.n, 2);
	pattern_check(collect_frame(&f->c, 0), 100, 1);
	pattern_check(collect_frame(&f->c, 1), 50, 2);
	/* Still shut down when asked again. */
	assert_int_equal(stream_conn_read(&f->b, collect_cb, &f->c), -ESHUTDOWN);
}

/* EOF after a header and part of a frame: -ESHUTDOWN, nothing emitted. */
static void test_eof_mid_frame(void **state)
{
	struct fixture *f = *state;
	uint8_t wire[4 + 100];
	int h = stream_framing_header(f->t->framing, 100, wire);

	pattern_fill(wire + h, 100, 1);
	for (size_t cut = 1; cut < (size_t)h + 100; cut += 13) {
		pair_open(f, f->t->type, f->t->framing);
		write_all(f->a.wfd, wire, cut);
		assert_int_equal(stream_conn_read(&f->b, collect_cb, &f->c), 0);
		stream_conn_close(&f->a);
		assert_int_equal(read_until_error(&f->b, &f->c), -ESHUTDOWN);
		assert_int_equal(f->c.n, 0);
	}
}

static const uint8_t be32_oversize[] = { 0x00, 0x02, 0x00, 0x01 }; /* 128 KiB + 1 */

static void test_oversize_be32(void **state)
{
	struct fixture *f = fixture_open(state);

	write_all(f->a.wfd, be32_oversize, sizeof(be32_oversize));
	assert_int_equal(read_until_error(&f->b, &f->c), -EMSGSIZE);
	assert_int_equal(f->b.stats.rx_oversize, 1);
	assert_int_equal(f->c.n, 0);
}

/* Frames that precede the bad length in the same read are still counted. */
static void test_oversize_after_frame(void **state)
{
	struct fixture *f = fixture_open(state);
	uint8_t wire[4 + 60 + 4];

	assert_int_equal(stream_framing_header(STREAM_FRAMING_BE32, 60, wire), 4);
	pattern_fill(wire + 4, 60, 1);
	memcpy(wire + 64, be32_oversize, 4);
	write_all(f->a.wfd, wire, sizeof(wire));
	assert_int_equal(read_until_error(&f->b, &f->c), -EMSGSIZE);
	assert_int_equal(f->c.n, 1);
	assert_int_equal(f->b.stats.rx_oversize, 1);
	assert_int_equal(f->b.stats.rx_frames, f->c.n);
	assert_int_equal(f->b.stats.rx_bytes, 60);
}

static void test_stream_runts(void **state)
{
	struct fixture *f = fixture_open(state);
	enum stream_framing framing = f->t->framing;
	uint8_t wire[64];
	size_t len = 0;
	int h;

	for (size_t r = 0; r < 3; r++) {
		h = stream_framing_header(framing, r * 5, wire + len);
		memset(wire + len + h, 0xaa, r * 5);
		len += (size_t)h + r * 5;
	}
	h = stream_framing_header(framing, 20, wire + len);
	pattern_fill(wire + len + h, 20, 4);
	len += (size_t)h + 20;

	write_all(f->a.wfd, wire, len);
	assert_int_equal(stream_conn_read(&f->b, collect_cb, &f->c), 1);
	assert_int_equal(f->b.stats.rx_runts, 3);
	assert_int_equal(f->b.stats.rx_frames, 1);
	pattern_check(collect_frame(&f->c, 0), 20, 4);
}

/* Message transports: runts and oversized messages dropped, not fatal. */
static void test_msg_runt_oversize(void **state)
{
	struct fixture *f = fixture_open(state);
	size_t big = STREAM_FRAME_MAX + 1;
	int sndbuf = 4 * 1024 * 1024;

	f->buf = malloc(big + 100);
	assert_non_null(f->buf);
	assert_int_equal(setsockopt(f->a.wfd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)), 0);

	pattern_fill(f->buf, 13, 1);
	write_all(f->a.wfd, f->buf, 13);
	pattern_fill(f->buf, big, 2);
	write_all(f->a.wfd, f->buf, big);
	pattern_fill(f->buf, big + 100, 3);
	write_all(f->a.wfd, f->buf, big + 100);
	pattern_fill(f->buf, 14, 4);
	write_all(f->a.wfd, f->buf, 14);
	pattern_fill(f->buf, STREAM_FRAME_MAX, 5);
	write_all(f->a.wfd, f->buf, STREAM_FRAME_MAX);

	assert_int_equal(stream_conn_read(&f->b, collect_cb, &f->c), 2);
	assert_int_equal(f->b.stats.rx_runts, 1);
	assert_int_equal(f->b.stats.rx_oversize, 2);
	assert_int_equal(f->b.stats.rx_frames, 2);
	assert_int_equal(f->c.lens[0], 14);
	pattern_check(collect_frame(&f->c, 0), 14, 4);
	assert_int_equal(f->c.lens[1], STREAM_FRAME_MAX);
	pattern_check(collect_frame(&f->c, 1), STREAM_FRAME_MAX, 5);
	/* Nothing more, and the connection is still fine. */
	assert_int_equal(stream_conn_read(&f->b, collect_cb, &f->c), 0);
}

/*
 * A connected datagram socket has no end of stream: an empty datagram is a
 * runt like any other, not a reason to close the port.
 */
static void test_dgram_empty(void **state)
{
	struct fixture *f = fixture_open(state);
	uint8_t frame[20];

	assert_int_equal(send(f->a.wfd, "", 0, 0), 0);
	pattern_fill(frame, sizeof(frame), 1);
	write_all(f->a.wfd, frame, sizeof(frame));
	assert_int_equal(stream_conn_read(&f->b, collect_cb, &f->c), 1);
	assert_int_equal(f->b.stats.rx_runts, 1);
}

/*
 * The peer never reads: flush says -EAGAIN, the queue fills to its cap and
 * no further, sends are dropped and counted. When the peer finally reads,
 * every frame that was accepted arrives intact and in order.
 */
static void test_peer_never_reads(void **state)
{
	struct fixture *f = fixture_open(state);
	enum { N = 4000, LEN = 1500 };
	static bool accepted[N];
	uint8_t frame[LEN];
	size_t naccepted = 0, nagain = 0, ndropped = 0;

	for (uint32_t i = 0; i < N; i++) {
		int r;

		pattern_fill(frame, LEN, i);
		r = stream_conn_send(&f->a, frame, LEN);
		assert_true(r == 0 || r == -ENOBUFS);
		accepted[i] = r == 0;
		naccepted += r == 0;
		ndropped += r == -ENOBUFS;
		r = stream_conn_flush(&f->a);
		assert_true(r == 0 || r == -EAGAIN);
		nagain += r == -EAGAIN;
		assert_true(stream_txq_pending(&f->a.tx) <= f->a.tx.cap);
		assert_int_equal(f->a.tx.cap, STREAM_TXQ_BYTES);
	}
	assert_true(nagain > 0);
	assert_true(ndropped > 0);
	assert_int_equal(f->a.tx.stats.drops, ndropped);
	assert_int_equal(f->a.tx.stats.frames, naccepted);
	/* The ring is as full as a frame allows. */
	assert_true(stream_txq_pending(&f->a.tx) + LEN + 4 > STREAM_TXQ_BYTES);

	pump(&f->a, &f->b, &f->c, naccepted);
	for (uint32_t i = 0, j = 0; i < N; i++) {
		if (!accepted[i])
			continue;
		assert_int_equal(f->c.lens[j], LEN);
		pattern_check(collect_frame(&f->c, j), LEN, i);
		j++;
	}
}

/* Bytes read past a /connect head, then the rest from the socket. */
static void test_feed_readahead(void **state)
{
	struct fixture *f = fixture_open(state);
	enum stream_framing framing = f->t->framing;
	uint8_t wire[3 * (4 + 200)];
	size_t len = 0, cut;

	for (uint32_t i = 0; i < 3; i++) {
		int h = stream_framing_header(framing, 100 + i * 50, wire + len);

		pattern_fill(wire + len + h, 100 + i * 50, i);
		len += (size_t)h + 100 + i * 50;
	}
	cut = stream_framing_hdrlen(framing) + 100 + 30; /* into the second frame */

	assert_int_equal(stream_conn_feed(&f->b, wire, cut, collect_cb, &f->c), 1);
	assert_int_equal(f->b.stats.rx_frames, 1);
	write_all(f->a.wfd, wire + cut, len - cut);
	assert_int_equal(stream_conn_read(&f->b, collect_cb, &f->c), 2);
	assert_int_equal(f->c.n, 3);
	for (uint32_t i = 0; i < 3; i++)
		pattern_check(collect_frame(&f->c, i), 100 + i * 50, i);
	assert_int_equal(f->b.stats.rx_frames, 3);
	assert_int_equal(f->b.stats.rx_bytes, 100 + 150 + 200);

	/* Feeding nothing is harmless; feeding only a header byte leaves it held. */
	assert_int_equal(stream_conn_feed(&f->b, wire, 0, collect_cb, &f->c), 0);
	assert_int_equal(stream_conn_feed(&f->b, wire, 1, collect_cb, &f->c), 0);
	assert_true(stream_decoder_partial(&f->b.rx));
}

static void test_feed_oversize(void **state)
{
	struct fixture *f = fixture_open(state);

	assert_int_equal(stream_conn_feed(&f->b, be32_oversize, 4, collect_cb, &f->c), -EMSGSIZE);
	assert_int_equal(f->b.stats.rx_oversize, 1);
}

/* stdio: separate read and write fds, plain pipes, not sockets. */
static void test_pipes(void **state)
{
	struct fixture *f = *state;
	uint8_t frame[3000];
	int ab[2], ba[2];

	assert_int_equal(pipe(ab), 0);
	assert_int_equal(pipe(ba), 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fd_set_nonblock(ab[i]), 0);
		assert_int_equal(fd_set_nonblock(ba[i]), 0);
	}
	assert_int_equal(stream_conn_init(&f->a, ba[0], ab[1], f->t->framing, false), 0);
	assert_int_equal(stream_conn_init(&f->b, ab[0], ba[1], f->t->framing, false), 0);
	for (uint32_t i = 0; i < 100; i++) {
		pattern_fill(frame, 14 + i * 29, i);
		assert_int_equal(stream_conn_send(&f->a, frame, 14 + i * 29), 0);
	}
	pump(&f->a, &f->b, &f->c, 100);
	for (uint32_t i = 0; i < 100; i++)
		pattern_check(collect_frame(&f->c, i), 14 + i * 29, i);

	collect_reset(&f->c);
	pattern_fill(frame, 64, 1000);
	assert_int_equal(stream_conn_send(&f->b, frame, 64), 0);
	pump(&f->b, &f->a, &f->c, 1);
	pattern_check(collect_frame(&f->c, 0), 64, 1000);

	/* Closing the writer is end of stream for the reader. */
	stream_conn_close(&f->a);
	assert_int_equal(read_until_error(&f->b, &f->c), -ESHUTDOWN);
}

static int bind_dgram(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(fd_set_nonblock(fd), 0);
	return fd;
}

static void send_to(int fd, const char *path, const void *buf, size_t len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(sa.sun_path, path);
	assert_int_equal(sendto(fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)), (ssize_t)len);
}

/*
 * An unconnected unixgram server (vfkit): "VFKT" datagrams of 4 to 8 bytes
 * are swallowed, the sender becomes the peer, and replies go to it. The
 * client's fd is kept in f->b so teardown closes it.
 */
static void test_learn_peer_vfkt(void **state)
{
	struct fixture *f = *state;
	struct stream_conn *s = &f->a;
	char srv[64], cli[64];
	uint8_t frame[60], got[200];
	int sfd, cfd;

	strcpy(f->dir, "/tmp/vgate-test-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	dir_path(f, "srv", srv, sizeof(srv));
	dir_path(f, "cli", cli, sizeof(cli));
	sfd = bind_dgram(srv);
	assert_int_equal(stream_conn_init(s, sfd, sfd, STREAM_FRAMING_MSG, true), 0);
	s->learn_peer = true;
	cfd = bind_dgram(cli);
	f->b.rfd = f->b.wfd = cfd;

	/* No peer yet: nothing to send to. */
	pattern_fill(frame, sizeof(frame), 1);
	assert_int_equal(stream_conn_send(s, frame, sizeof(frame)), -ENOTCONN);
	assert_int_equal(stream_conn_read(s, collect_cb, &f->c), 0);

	for (size_t len = 4; len <= 8; len++)
		send_to(cfd, srv, "VFKT\x01\x02\x03\x04", len);
	assert_int_equal(stream_conn_read(s, collect_cb, &f->c), 0);
	assert_int_equal(s->stats.rx_handshakes, 5);
	assert_int_equal(s->stats.rx_runts, 0);
	assert_int_equal(f->c.n, 0);
	assert_true(s->has_peer);

	/* Replies reach the learnt peer. */
	assert_int_equal(stream_conn_send(s, frame, sizeof(frame)), 0);
	assert_int_equal(stream_conn_flush(s), 0);
	assert_int_equal(recv(cfd, got, sizeof(got), 0), (ssize_t)sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));

	/* Frames from the peer come through; a short non-VFKT one is a runt. */
	send_to(cfd, srv, "VFK", 3);
	pattern_fill(frame, sizeof(frame), 2);
	send_to(cfd, srv, frame, sizeof(frame));
	assert_int_equal(stream_conn_read(s, collect_cb, &f->c), 1);
	assert_int_equal(s->stats.rx_runts, 1);
	assert_int_equal(s->stats.rx_handshakes, 5);
	pattern_check(collect_frame(&f->c, 0), sizeof(frame), 2);

	/* The peer goes away: what was queued for it is dropped, not fatal. */
	stream_conn_close(&f->b);
	unlink(cli);
	assert_int_equal(stream_conn_send(s, frame, sizeof(frame)), 0);
	assert_int_equal(stream_conn_flush(s), 0);
	assert_int_equal(stream_txq_pending(&s->tx), 0);
}

/* A test run on transport @t, named after both. */
#define NAME(fn, t) #fn "/" #t
#define TEST_ON(fn, t)                                       \
	{                                                    \
		NAME(fn, t), fn, setup, teardown, (void *)&t \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST_ON(test_roundtrip, stream_be32),
		TEST_ON(test_roundtrip, stream_le16),
		TEST_ON(test_roundtrip, seqpacket),
		TEST_ON(test_roundtrip, dgram),
		TEST_ON(test_wire_bytes, stream_be32),
		TEST_ON(test_wire_bytes, stream_le16),
		TEST_ON(test_send_errors, stream_be32),
		TEST_ON(test_send_errors, stream_le16),
		TEST_ON(test_send_errors, seqpacket),
		TEST_ON(test_eof, stream_be32),
		TEST_ON(test_eof, stream_le16),
		TEST_ON(test_eof, seqpacket),
		TEST_ON(test_eof_mid_frame, stream_be32),
		TEST_ON(test_eof_mid_frame, stream_le16),
		TEST_ON(test_oversize_be32, stream_be32),
		TEST_ON(test_oversize_after_frame, stream_be32),
		TEST_ON(test_stream_runts, stream_be32),
		TEST_ON(test_stream_runts, stream_le16),
		TEST_ON(test_msg_runt_oversize, seqpacket),
		TEST_ON(test_msg_runt_oversize, dgram),
		TEST_ON(test_dgram_empty, dgram),
		TEST_ON(test_peer_never_reads, stream_be32),
		TEST_ON(test_peer_never_reads, stream_le16),
		TEST_ON(test_peer_never_reads, seqpacket),
		TEST_ON(test_peer_never_reads, dgram),
		TEST_ON(test_feed_readahead, stream_be32),
		TEST_ON(test_feed_readahead, stream_le16),
		TEST_ON(test_feed_oversize, stream_be32),
		TEST_ON(test_pipes, stream_be32),
		TEST_ON(test_pipes, stream_le16),
		TEST_ON(test_learn_peer_vfkt, dgram),
	};

	/* As the daemon does: a closed peer is an error code, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
