/* SPDX-License-Identifier: MIT */
/*
 * glink.h - the link from vgate-guest to vgate, redialled for ever
 *
 * States (one at a time):
 *   WAITING     no connection; the next dial is at the deadline (backoff)
 *   CONNECTING  a non-blocking connect is in flight (socket URLs)
 *   REQUEST     connected; the "POST /connect" head is being written
 *   UP          uint16 LE frames flow both ways (stdio: from the spawn on)
 *   STOPPED     glink_stop() was called; nothing more happens
 *
 * Any error (EOF, a reset, vgate going away in the middle of a frame, an
 * oversized length, the stdio peer exiting, a connect or request that takes
 * longer than GLINK_CONNECT_TIMEOUT_MS) closes the connection and schedules
 * the next dial: GLINK_BACKOFF_FIRST_MS doubling to GLINK_BACKOFF_MAX_MS,
 * back to the first step once a connection has carried a frame or lasted
 * GLINK_BACKOFF_MAX_MS. While waiting the link holds no fd and costs no CPU.
 * A TCP link has Nagle off and keepalives on, so a peer that vanished
 * without a reset is noticed too.
 *
 * Output goes through stream/'s bounded queue (STREAM_TXQ_BYTES): the
 * caller checks glink_room() before reading more from the tap, so the
 * queue throttles the tap instead of dropping.
 */
#ifndef VGATE_GLINK_H
#define VGATE_GLINK_H

#include "conn.h"
#include "gloop.h"
#include "gurl.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define GLINK_BACKOFF_FIRST_MS 100
#define GLINK_BACKOFF_MAX_MS 5000
#define GLINK_CONNECT_TIMEOUT_MS 10000
/* TCP links: keepalive probes after 30 s idle, every 10 s, 3 unanswered = dead. */
#define GLINK_KEEPALIVE_IDLE_S 30
#define GLINK_KEEPALIVE_INTVL_S 10
#define GLINK_KEEPALIVE_COUNT 3
/* Room one more frame needs in the output queue (uint16 length + frame). */
#define GLINK_FRAME_ROOM (2 + STREAM_FRAME_MAX_LE16)

enum glink_state { GLINK_WAITING, GLINK_CONNECTING, GLINK_REQUEST, GLINK_UP, GLINK_STOPPED };

struct glink_ops {
	void (*frame)(void *ctx, const uint8_t *frame, size_t len); /* from vgate */
	void (*up)(void *ctx);
	void (*down)(void *ctx);
	void (*writable)(void *ctx); /* the output queue drained */
};

struct glink_stats {
	uint64_t dials;
	uint64_t ups;
	uint64_t losses;
	uint64_t tx_frames;
	uint64_t tx_drops; /* frames offered while not up, or with a full queue */
};

struct glink {
	struct gurl url;
	char desc[GURL_PROG_LEN + 32];
	struct gloop *loop;
	const struct glink_ops *ops;
	void *ctx;
	enum glink_state state;
	int fd;		    /* the socket (CONNECTING, REQUEST; UP: also conn.rfd) */
	int wfd;	    /* stdio: the pipe to the peer's stdin */
	bool wr_on;	    /* EPOLLOUT is being waited for */
	bool in_read;	    /* inside stream_conn_read(): the decoder is in use */
	bool flush_pending; /* a flush asked for while in_read */
	bool have_conn;
	struct stream_conn conn;
	pid_t child;	 /* the stdio peer */
	pid_t old_child; /* a previous stdio peer, told to exit, not reaped yet */
	char req[512];
	size_t req_len, req_off;
	uint64_t deadline;
	uint64_t backoff_ms;
	uint64_t up_since;
	bool got_frame;
	bool logged_failure; /* the current outage was reported */
	struct glink_stats stats;
};

/* glink_init() - a link to @url in @loop; nothing is dialled yet */
void glink_init(struct glink *l, const struct gurl *url, struct gloop *loop,
		const struct glink_ops *ops, void *ctx);

/* glink_start() - dial now */
void glink_start(struct glink *l, uint64_t now);

/*
 * glink_send() - queue a frame for vgate (written by glink_flush())
 * Return: 0, -ENOTCONN (not up: dropped), -ENOBUFS (queue full: dropped).
 */
int glink_send(struct glink *l, const uint8_t *frame, size_t len);

/* glink_flush() - write what is queued; waits for EPOLLOUT if it must */
void glink_flush(struct glink *l, uint64_t now);

/* glink_room() - bytes the output queue can still take (0 unless up) */
size_t glink_room(const struct glink *l);

/* glink_event() - one of the link's fds (GLOOP_LINK_RD / _WR) is ready */
void glink_event(struct glink *l, enum gloop_kind kind, uint32_t events, uint64_t now);

/* glink_timer() - call when the clock reaches glink_deadline() */
void glink_timer(struct glink *l, uint64_t now);
uint64_t glink_deadline(const struct glink *l);

/*
 * glink_child_exited() - a child was reaped; if it is the stdio peer, the
 * link is down
 * Return: true when @pid was the link's.
 */
bool glink_child_exited(struct glink *l, pid_t pid, int status, uint64_t now);

/* glink_stop() - close for good; a stdio peer gets SIGTERM */
void glink_stop(struct glink *l);

/* glink_child() - the stdio peer still running (0 if none) */
pid_t glink_child(const struct glink *l);

#endif
