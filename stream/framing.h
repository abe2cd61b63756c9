/* SPDX-License-Identifier: MIT */
/*
 * framing.h - Ethernet frames over byte streams and message sockets
 *
 * Every transport vgate speaks carries raw Ethernet II frames (no FCS, no
 * virtio-net header) in one of three framings:
 *
 *   STREAM_FRAMING_BE32  uint32 big-endian length, then the frame
 *                        (QEMU -netdev stream / socket)
 *   STREAM_FRAMING_LE16  uint16 little-endian length, then the frame
 *                        (vpnkit, /connect, stdio, vsock from gvforwarder)
 *   STREAM_FRAMING_MSG   one message (datagram, SEQPACKET record, tap read)
 *                        is one frame
 *
 * The decoder is a pure function of the bytes it is fed: the caller appends
 * whatever arrived to the decoder's buffer and the decoder hands out every
 * complete frame, keeping a partial one for the next call. Frames shorter
 * than an Ethernet header are runts (counted and skipped: the stream stays in
 * sync); a length over the framing's maximum means the peer is broken or
 * hostile, and the connection must be closed because the stream cannot be
 * resynchronised.
 */
#ifndef VGATE_FRAMING_H
#define VGATE_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum stream_framing {
	STREAM_FRAMING_BE32,
	STREAM_FRAMING_LE16,
	STREAM_FRAMING_MSG,
};

/* Smallest frame: an Ethernet header. */
#define STREAM_FRAME_MIN 14
/* Largest frame accepted on any transport (and on BE32 streams). */
#define STREAM_FRAME_MAX (128 * 1024)
/* LE16 lengths cannot exceed this. */
#define STREAM_FRAME_MAX_LE16 65535
/* Decoder buffer: one maximal frame plus header, plus room to batch. */
#define STREAM_RXBUF_SIZE (2 * STREAM_FRAME_MAX + 8)

struct stream_decoder_stats {
	uint64_t frames;
	uint64_t bytes;
	uint64_t runts;
};

struct stream_decoder {
	enum stream_framing framing;
	uint8_t *buf;
	size_t cap;
	size_t len;
	struct stream_decoder_stats stats;
};

/* Called once per complete frame; @frame is valid only during the call. */
typedef void (*stream_frame_cb)(void *ctx, const uint8_t *frame, size_t len);

/*
 * stream_decoder_init() - allocate a decoder's buffer
 * @framing: BE32 or LE16 (MSG transports need no decoder)
 * Return: 0, -EINVAL for STREAM_FRAMING_MSG, or -ENOMEM.
 */
int stream_decoder_init(struct stream_decoder *d, enum stream_framing framing);
void stream_decoder_free(struct stream_decoder *d);

/* Where the next read(2) should put its bytes, and how many fit. */
uint8_t *stream_decoder_space(struct stream_decoder *d, size_t *room);

/*
 * stream_decoder_commit() - account @n bytes placed in the space and emit
 * every complete frame through @cb
 * Return: number of frames emitted, or -EMSGSIZE when a length exceeds the
 * framing's maximum (the connection must be closed).
 */
int stream_decoder_commit(struct stream_decoder *d, size_t n, stream_frame_cb cb, void *ctx);

/*
 * stream_decoder_feed() - copy @len bytes in and decode (for tests and for
 * bytes that arrived before the framing started, such as /connect read-ahead)
 * Return: as stream_decoder_commit(), or -ENOBUFS if they do not fit.
 */
int stream_decoder_feed(struct stream_decoder *d, const uint8_t *bytes, size_t len,
			stream_frame_cb cb, void *ctx);

/* True when the decoder holds part of a frame. */
bool stream_decoder_partial(const struct stream_decoder *d);

/* Header length of @framing: 4, 2 or 0. */
size_t stream_framing_hdrlen(enum stream_framing framing);

/* Largest frame @framing can carry. */
size_t stream_framing_max(enum stream_framing framing);

/*
 * stream_framing_header() - write the length header for a frame of @len
 * bytes into @hdr (at least 4 bytes)
 * Return: header length, or -EMSGSIZE if @len cannot be framed.
 */
int stream_framing_header(enum stream_framing framing, size_t len, uint8_t *hdr);

const char *stream_framing_name(enum stream_framing framing);

#endif
