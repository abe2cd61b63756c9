// SPDX-License-Identifier: MIT
/*
 * txq.c - a bounded ring of outgoing frames
 */
#include "txq.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REC_HDR sizeof(uint32_t)

int stream_txq_init(struct stream_txq *q, enum stream_framing framing, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->framing = framing;
	q->buf = malloc(cap);
	if (!q->buf)
		return -ENOMEM;
	q->cap = cap;
	return 0;
}

void stream_txq_free(struct stream_txq *q)
{
	free(q->buf);
	q->buf = NULL;
	q->cap = q->head = q->len = 0;
}

static void ring_write(struct stream_txq *q, const uint8_t *src, size_t n)
{
	size_t tail = (q->head + q->len) % q->cap;
	size_t first = q->cap - tail;

	if (first > n)
		first = n;
	memcpy(q->buf + tail, src, first);
	memcpy(q->buf, src + first, n - first);
	q->len += n;
}

static void ring_read(const struct stream_txq *q, size_t off, uint8_t *dst, size_t n)
{
	size_t pos = (q->head + off) % q->cap;
	size_t first = q->cap - pos;

	if (first > n)
		first = n;
	memcpy(dst, q->buf + pos, first);
	memcpy(dst + first, q->buf, n - first);
}

static int ring_iov(const struct stream_txq *q, size_t off, size_t n, struct iovec iov[2])
{
	size_t pos = (q->head + off) % q->cap;
	size_t first = q->cap - pos;

	if (!n)
		return 0;
	iov[0].iov_base = q->buf + pos;
	if (first >= n) {
		iov[0].iov_len = n;
		return 1;
	}
	iov[0].iov_len = first;
	iov[1].iov_base = q->buf;
	iov[1].iov_len = n - first;
	return 2;
}

int stream_txq_push(struct stream_txq *q, const uint8_t *frame, size_t len)
{
	uint8_t hdr[4];
	size_t hlen;

	if (!len)
		return -EINVAL;
	if (q->framing == STREAM_FRAMING_MSG) {
		uint32_t rec = (uint32_t)len;

		if (len > STREAM_FRAME_MAX)
			return -EMSGSIZE;
		memcpy(hdr, &rec, REC_HDR);
		hlen = REC_HDR;
	} else {
		int r = stream_framing_header(q->framing, len, hdr);

		if (r < 0)
			return r;
		hlen = (size_t)r;
	}
	if (q->cap - q->len < hlen + len) {
		q->stats.drops++;
		return -ENOBUFS;
	}
	ring_write(q, hdr, hlen);
	ring_write(q, frame, len);
	q->stats.frames++;
	q->stats.bytes += len;
	return 0;
}

int stream_txq_peek_bytes(const struct stream_txq *q, struct iovec iov[2])
{
	return ring_iov(q, 0, q->len, iov);
}

static size_t first_record_len(const struct stream_txq *q)
{
	uint32_t rec;

	ring_read(q, 0, (uint8_t *)&rec, REC_HDR);
	return rec;
}

int stream_txq_peek_msg(const struct stream_txq *q, struct iovec iov[2])
{
	if (q->len < REC_HDR)
		return 0;
	return ring_iov(q, REC_HDR, first_record_len(q), iov);
}

void stream_txq_consume(struct stream_txq *q, size_t n)
{
	if (n > q->len)
		n = q->len;
	q->head = (q->head + n) % q->cap;
	q->len -= n;
	if (!q->len)
		q->head = 0;
}

void stream_txq_pop_msg(struct stream_txq *q)
{
	if (q->len >= REC_HDR)
		stream_txq_consume(q, REC_HDR + first_record_len(q));
}
