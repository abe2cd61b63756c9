// SPDX-License-Identifier: MIT
/*
 * framing.c - length-prefixed Ethernet frames over byte streams
 *
 * The decoder keeps a fixed buffer of STREAM_RXBUF_SIZE bytes. Reads land
 * after the bytes already held; complete frames are handed out in place (no
 * copy) and whatever partial frame remains is moved to the front once per
 * commit. Because the buffer holds at least one maximal frame plus its
 * header, a valid stream can always make progress.
 */
#include "framing.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

size_t stream_framing_hdrlen(enum stream_framing framing)
{
	switch (framing) {
	case STREAM_FRAMING_BE32:
		return 4;
	case STREAM_FRAMING_LE16:
		return 2;
	case STREAM_FRAMING_MSG:
		return 0;
	}
	return 0;
}

size_t stream_framing_max(enum stream_framing framing)
{
	return framing == STREAM_FRAMING_LE16 ? STREAM_FRAME_MAX_LE16 : STREAM_FRAME_MAX;
}

const char *stream_framing_name(enum stream_framing framing)
{
	switch (framing) {
	case STREAM_FRAMING_BE32:
		return "be32";
	case STREAM_FRAMING_LE16:
		return "le16";
	case STREAM_FRAMING_MSG:
		return "message";
	}
	return "?";
}

int stream_framing_header(enum stream_framing framing, size_t len, uint8_t *hdr)
{
	if (len > stream_framing_max(framing))
		return -EMSGSIZE;
	switch (framing) {
	case STREAM_FRAMING_BE32:
		hdr[0] = (uint8_t)(len >> 24);
		hdr[1] = (uint8_t)(len >> 16);
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		return 4;
	case STREAM_FRAMING_LE16:
		hdr[0] = (uint8_t)len;
		hdr[1] = (uint8_t)(len >> 8);
		return 2;
	case STREAM_FRAMING_MSG:
		return 0;
	}
	return -EINVAL;
}

int stream_decoder_init(struct stream_decoder *d, enum stream_framing framing)
{
	memset(d, 0, sizeof(*d));
	/* Message transports keep their own boundaries: no decoder. */
	if (framing == STREAM_FRAMING_MSG)
		return -EINVAL;
	d->framing = framing;
	d->buf = malloc(STREAM_RXBUF_SIZE);
	if (!d->buf)
		return -ENOMEM;
	d->cap = STREAM_RXBUF_SIZE;
	return 0;
}

void stream_decoder_free(struct stream_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
	d->cap = d->len = 0;
}

uint8_t *stream_decoder_space(struct stream_decoder *d, size_t *room)
{
	*room = d->cap - d->len;
	return d->buf + d->len;
}

bool stream_decoder_partial(const struct stream_decoder *d)
{
	return d->len > 0;
}

static size_t frame_length(enum stream_framing framing, const uint8_t *p)
{
	if (framing == STREAM_FRAMING_BE32)
		return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
	return (size_t)p[0] | (size_t)p[1] << 8;
}

int stream_decoder_commit(struct stream_decoder *d, size_t n, stream_frame_cb cb, void *ctx)
{
	size_t hdr = stream_framing_hdrlen(d->framing);
	size_t max = stream_framing_max(d->framing);
	size_t off = 0;
	int frames = 0;

	d->len += n;
	while (d->len - off >= hdr) {
		size_t flen = frame_length(d->framing, d->buf + off);

		if (flen > max) {
			d->len = 0;
			return -EMSGSIZE;
		}
		if (d->len - off - hdr < flen)
			break;
		if (flen < STREAM_FRAME_MIN) {
			d->stats.runts++;
		} else {
			d->stats.frames++;
			d->stats.bytes += flen;
			frames++;
			cb(ctx, d->buf + off + hdr, flen);
		}
		off += hdr + flen;
	}
	if (off) {
		memmove(d->buf, d->buf + off, d->len - off);
		d->len -= off;
	}
	return frames;
}

int stream_decoder_feed(struct stream_decoder *d, const uint8_t *bytes, size_t len,
			stream_frame_cb cb, void *ctx)
{
	int total = 0;

	while (len) {
		size_t room;
		uint8_t *space = stream_decoder_space(d, &room);
		size_t n = len < room ? len : room;
		int r;

		if (!n)
			return -ENOBUFS;
		memcpy(space, bytes, n);
		r = stream_decoder_commit(d, n, cb, ctx);
		if (r < 0)
			return r;
		total += r;
		bytes += n;
		len -= n;
	}
	return total;
}
