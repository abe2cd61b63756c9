/* SPDX-License-Identifier: MIT */
/*
 * txq.h - a bounded output queue of frames for one connection
 *
 * Frames bound for a peer are copied into a fixed-size ring and written out
 * in batches (one writev per flush for byte streams). When the peer stops
 * reading, the ring fills and further frames are dropped and counted: memory
 * per connection never grows past the ring's capacity, and a slow VM never
 * stalls the switch or its neighbours.
 *
 * On byte streams the ring holds wire bytes (length header + frame), so a
 * partial write simply advances the read position. On message transports it
 * holds records (a 32-bit host-order length, then the frame); each record is
 * sent as one message.
 */
#ifndef VGATE_TXQ_H
#define VGATE_TXQ_H

#include "framing.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Default capacity of a connection's output ring. */
#define STREAM_TXQ_BYTES (2 * 1024 * 1024)

struct stream_txq_stats {
	uint64_t frames; /* frames accepted into the queue */
	uint64_t bytes;	 /* frame bytes accepted */
	uint64_t drops;	 /* frames dropped because the queue was full */
};

struct stream_txq {
	enum stream_framing framing;
	uint8_t *buf;
	size_t cap;
	size_t head; /* offset of the first queued byte */
	size_t len;  /* bytes queued */
	struct stream_txq_stats stats;
};

/* Return: 0 or -ENOMEM. */
int stream_txq_init(struct stream_txq *q, enum stream_framing framing, size_t cap);
void stream_txq_free(struct stream_txq *q);

/*
 * stream_txq_push() - queue one frame
 * Return: 0, -ENOBUFS when full (the frame is dropped and counted), or
 * -EMSGSIZE when the framing cannot carry it.
 */
int stream_txq_push(struct stream_txq *q, const uint8_t *frame, size_t len);

static inline size_t stream_txq_pending(const struct stream_txq *q)
{
	return q->len;
}

/*
 * stream_txq_peek_bytes() - for byte streams: up to two iovecs covering the
 * queued bytes
 * Return: number of iovecs filled (0 when empty).
 */
int stream_txq_peek_bytes(const struct stream_txq *q, struct iovec iov[2]);

/*
 * stream_txq_peek_msg() - for message transports: iovecs covering the first
 * record's frame
 * Return: number of iovecs filled (0 when empty).
 */
int stream_txq_peek_msg(const struct stream_txq *q, struct iovec iov[2]);

/* Drop @n bytes (streams) from the front. */
void stream_txq_consume(struct stream_txq *q, size_t n);

/* Drop the first record (messages). */
void stream_txq_pop_msg(struct stream_txq *q);

#endif
