// SPDX-License-Identifier: MIT
/*
 * test_framing.c - stream/framing.c: length-prefixed frame decoding
 *
 * Every decoder test runs for both byte-stream framings (BE32 and LE16). A
 * stream of frames is built with stream_framing_header() and fed back in
 * every way a socket could deliver it: split at every byte boundary, one
 * byte at a time, all at once, and through the space/commit interface the
 * connection code uses. Runts must be counted and skipped without losing
 * sync, oversized lengths must stop the stream, and random garbage is
 * checked against a reference parser so the decoder never hands out a frame
 * its header did not announce.
 */
#include "framing.h"
#include "testutil.h"

#include <errno.h>

static const enum stream_framing be32 = STREAM_FRAMING_BE32;
static const enum stream_framing le16 = STREAM_FRAMING_LE16;

static enum stream_framing state_framing(void **state)
{
	return *(const enum stream_framing *)*state;
}

/* A stream under construction: wire bytes plus the frames it should yield. */
struct wire {
	uint8_t *buf;
	size_t len;
	size_t cap;
	/* Frames of at least STREAM_FRAME_MIN bytes, and their total length. */
	size_t nframes;
	size_t fbytes;
	size_t nrunts;
	/* Offset just past each record (good or runt). */
	size_t ends[1024];
	size_t nrec;
};

static void wire_init(struct wire *w)
{
	memset(w, 0, sizeof(*w));
	w->cap = 4096;
	w->buf = malloc(w->cap);
	assert_non_null(w->buf);
}

static void wire_free(struct wire *w)
{
	free(w->buf);
}

/* Append a frame of @len bytes, content pattern_fill(@seq). */
static void wire_add(struct wire *w, enum stream_framing f, size_t len, uint32_t seq)
{
	uint8_t hdr[4];
	int h = stream_framing_header(f, len, hdr);

	assert_true(h > 0);
	while (w->len + (size_t)h + len > w->cap) {
		w->cap *= 2;
		w->buf = realloc(w->buf, w->cap);
		assert_non_null(w->buf);
	}
	memcpy(w->buf + w->len, hdr, (size_t)h);
	pattern_fill(w->buf + w->len + h, len, seq);
	w->len += (size_t)h + len;
	if (len < STREAM_FRAME_MIN) {
		w->nrunts++;
	} else {
		w->nframes++;
		w->fbytes += len;
	}
	assert_true(w->nrec < sizeof(w->ends) / sizeof(w->ends[0]));
	w->ends[w->nrec++] = w->len;
}

static bool wire_at_boundary(const struct wire *w, size_t off)
{
	if (off == 0)
		return true;
	for (size_t i = 0; i < w->nrec; i++)
		if (w->ends[i] == off)
			return true;
	return false;
}

/*
 * Check the collected frames against what wire_add() put in, given the
 * sequence numbers used for good frames are their index among all records
 * and runts are skipped.
 */
static void check_frames(const struct collect *c, const uint32_t *seqs, const size_t *lens,
			 size_t n)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		if (lens[i] < STREAM_FRAME_MIN)
			continue;
		assert_true(j < c->n);
		assert_int_equal(c->lens[j], lens[i]);
		pattern_check(collect_frame(c, j), lens[i], seqs[i]);
		j++;
	}
	assert_int_equal(c->n, j);
}

/* The frames most tests stream: sizes around every edge, runts included. */
static const size_t mixed_lens[] = { 14, 60, 0, 1514, 13, 15, 64, 1, 300, 9000, 14, 255, 256 };
#define MIXED_N (sizeof(mixed_lens) / sizeof(mixed_lens[0]))

static void build_mixed(struct wire *w, enum stream_framing f, uint32_t *seqs)
{
	wire_init(w);
	for (size_t i = 0; i < MIXED_N; i++) {
		seqs[i] = (uint32_t)(100 + i);
		wire_add(w, f, mixed_lens[i], seqs[i]);
	}
}

static void test_hdrlen_max_name(void **state)
{
	(void)state;
	assert_int_equal(stream_framing_hdrlen(STREAM_FRAMING_BE32), 4);
	assert_int_equal(stream_framing_hdrlen(STREAM_FRAMING_LE16), 2);
	assert_int_equal(stream_framing_hdrlen(STREAM_FRAMING_MSG), 0);
	assert_int_equal(stream_framing_max(STREAM_FRAMING_BE32), 128 * 1024);
	assert_int_equal(stream_framing_max(STREAM_FRAMING_LE16), 65535);
	assert_int_equal(stream_framing_max(STREAM_FRAMING_MSG), 128 * 1024);
	assert_string_equal(stream_framing_name(STREAM_FRAMING_BE32), "be32");
	assert_string_equal(stream_framing_name(STREAM_FRAMING_LE16), "le16");
	assert_string_equal(stream_framing_name(STREAM_FRAMING_MSG), "message");
}

static void test_header_be32(void **state)
{
	uint8_t hdr[4];

	(void)state;
	assert_int_equal(stream_framing_header(be32, 0, hdr), 4);
	assert_memory_equal(hdr, "\x00\x00\x00\x00", 4);
	assert_int_equal(stream_framing_header(be32, 14, hdr), 4);
	assert_memory_equal(hdr, "\x00\x00\x00\x0e", 4);
	assert_int_equal(stream_framing_header(be32, 1514, hdr), 4);
	assert_memory_equal(hdr, "\x00\x00\x05\xea", 4);
	assert_int_equal(stream_framing_header(be32, 0x1a2b3, hdr), 4);
	assert_memory_equal(hdr, "\x00\x01\xa2\xb3", 4);
	assert_int_equal(stream_framing_header(be32, STREAM_FRAME_MAX, hdr), 4);
	assert_memory_equal(hdr, "\x00\x02\x00\x00", 4);
	assert_int_equal(stream_framing_header(be32, STREAM_FRAME_MAX + 1, hdr), -EMSGSIZE);
	assert_int_equal(stream_framing_header(be32, 0x01020304, hdr), -EMSGSIZE);
	assert_int_equal(stream_framing_header(be32, SIZE_MAX, hdr), -EMSGSIZE);
}

static void test_header_le16(void **state)
{
	uint8_t hdr[4];

	(void)state;
	assert_int_equal(stream_framing_header(le16, 0, hdr), 2);
	assert_memory_equal(hdr, "\x00\x00", 2);
	assert_int_equal(stream_framing_header(le16, 14, hdr), 2);
	assert_memory_equal(hdr, "\x0e\x00", 2);
	assert_int_equal(stream_framing_header(le16, 1514, hdr), 2);
	assert_memory_equal(hdr, "\xea\x05", 2);
	assert_int_equal(stream_framing_header(le16, 0x1234, hdr), 2);
	assert_memory_equal(hdr, "\x34\x12", 2);
	assert_int_equal(stream_framing_header(le16, 65535, hdr), 2);
	assert_memory_equal(hdr, "\xff\xff", 2);
	assert_int_equal(stream_framing_header(le16, 65536, hdr), -EMSGSIZE);
	assert_int_equal(stream_framing_header(le16, STREAM_FRAME_MAX, hdr), -EMSGSIZE);
	assert_int_equal(stream_framing_header(STREAM_FRAMING_MSG, 1514, hdr), 0);
	assert_int_equal(stream_framing_header(STREAM_FRAMING_MSG, STREAM_FRAME_MAX + 1, hdr),
			 -EMSGSIZE);
}

/* Frames written by hand, so the decoder is not only checked against our encoder. */
static void check_two_frames(enum stream_framing f, const uint8_t *wire, size_t len)
{
	struct stream_decoder d;
	struct collect c;

	collect_init(&c);
	assert_int_equal(stream_decoder_init(&d, f), 0);
	assert_int_equal(stream_decoder_feed(&d, wire, len, collect_cb, &c), 2);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.lens[0], 14);
	assert_memory_equal(collect_frame(&c, 0), "abcdefghijklmn", 14);
	assert_int_equal(c.lens[1], 15);
	assert_memory_equal(collect_frame(&c, 1), "ABCDEFGHIJKLMNO", 15);
	assert_int_equal(d.stats.frames, 2);
	assert_int_equal(d.stats.bytes, 29);
	assert_int_equal(d.stats.runts, 0);
	assert_false(stream_decoder_partial(&d));
	stream_decoder_free(&d);
	collect_free(&c);
}

static void test_decode_be32_bytes(void **state)
{
	static const uint8_t wire[] = "\x00\x00\x00\x0e"
				      "abcdefghijklmn"
				      "\x00\x00\x00\x0f"
				      "ABCDEFGHIJKLMNO";

	(void)state;
	check_two_frames(be32, wire, sizeof(wire) - 1);
}

static void test_decode_le16_bytes(void **state)
{
	static const uint8_t wire[] = "\x0e\x00"
				      "abcdefghijklmn"
				      "\x0f\x00"
				      "ABCDEFGHIJKLMNO";

	(void)state;
	check_two_frames(le16, wire, sizeof(wire) - 1);
}

/* Feed the mixed stream split in two at every byte boundary. */
static void test_split_every_point(void **state)
{
	enum stream_framing f = state_framing(state);
	uint32_t seqs[MIXED_N];
	struct stream_decoder d;
	struct collect c;
	struct wire w;

	build_mixed(&w, f, seqs);
	collect_init(&c);
	for (size_t k = 0; k <= w.len; k++) {
		int r1, r2;

		collect_reset(&c);
		assert_int_equal(stream_decoder_init(&d, f), 0);
		r1 = stream_decoder_feed(&d, w.buf, k, collect_cb, &c);
		assert_true(r1 >= 0);
		assert_int_equal((size_t)r1, c.n);
		assert_int_equal(stream_decoder_partial(&d), !wire_at_boundary(&w, k));
		r2 = stream_decoder_feed(&d, w.buf + k, w.len - k, collect_cb, &c);
		assert_true(r2 >= 0);
		assert_int_equal((size_t)(r1 + r2), w.nframes);
		check_frames(&c, seqs, mixed_lens, MIXED_N);
		assert_int_equal(d.stats.frames, w.nframes);
		assert_int_equal(d.stats.bytes, w.fbytes);
		assert_int_equal(d.stats.runts, w.nrunts);
		assert_false(stream_decoder_partial(&d));
		stream_decoder_free(&d);
	}
	collect_free(&c);
	wire_free(&w);
}

/* Split at every pair of points (i < j): three pieces. */
static void test_split_every_pair(void **state)
{
	enum stream_framing f = state_framing(state);
	static const size_t lens[] = { 14, 2, 20, 0, 15 };
	uint32_t seqs[5];
	struct stream_decoder d;
	struct collect c;
	struct wire w;

	wire_init(&w);
	for (size_t i = 0; i < 5; i++) {
		seqs[i] = (uint32_t)i;
		wire_add(&w, f, lens[i], seqs[i]);
	}
	collect_init(&c);
	assert_int_equal(stream_decoder_init(&d, f), 0);
	for (size_t i = 0; i <= w.len; i++) {
		for (size_t j = i; j <= w.len; j++) {
			collect_reset(&c);
			memset(&d.stats, 0, sizeof(d.stats));
			assert_true(stream_decoder_feed(&d, w.buf, i, collect_cb, &c) >= 0);
			assert_true(stream_decoder_feed(&d, w.buf + i, j - i, collect_cb, &c) >= 0);
			assert_true(stream_decoder_feed(&d, w.buf + j, w.len - j, collect_cb, &c) >=
				    0);
			check_frames(&c, seqs, lens, 5);
			assert_int_equal(d.stats.runts, 2);
			assert_false(stream_decoder_partial(&d));
		}
	}
	stream_decoder_free(&d);
	collect_free(&c);
	wire_free(&w);
}

static void test_one_byte_at_a_time(void **state)
{
	enum stream_framing f = state_framing(state);
	uint32_t seqs[MIXED_N];
	struct stream_decoder d;
	struct collect c;
	struct wire w;
	size_t total = 0;

	build_mixed(&w, f, seqs);
	collect_init(&c);
	assert_int_equal(stream_decoder_init(&d, f), 0);
	for (size_t k = 0; k < w.len; k++) {
		int r = stream_decoder_feed(&d, w.buf + k, 1, collect_cb, &c);

		assert_true(r == 0 || r == 1);
		/* A frame comes out exactly when its last byte goes in. */
		if (r == 1)
			assert_true(wire_at_boundary(&w, k + 1));
		total += (size_t)r;
		assert_int_equal(stream_decoder_partial(&d), !wire_at_boundary(&w, k + 1));
	}
	assert_int_equal(total, w.nframes);
	check_frames(&c, seqs, mixed_lens, MIXED_N);
	assert_int_equal(d.stats.runts, w.nrunts);
	stream_decoder_free(&d);
	collect_free(&c);
	wire_free(&w);
}

/* The read path: bytes land in stream_decoder_space() and get committed. */
static void test_space_commit(void **state)
{
	enum stream_framing f = state_framing(state);
	uint32_t seqs[MIXED_N];
	struct stream_decoder d;
	struct collect c;
	struct wire w;
	size_t off = 0, total = 0;
	uint64_t rng = 0x5eed;

	build_mixed(&w, f, seqs);
	collect_init(&c);
	assert_int_equal(stream_decoder_init(&d, f), 0);
	while (off < w.len) {
		size_t room;
		uint8_t *space = stream_decoder_space(&d, &room);
		size_t n = rng_range(&rng, 1, 700);
		int r;

		assert_non_null(space);
		assert_true(room > 0);
		if (n > room)
			n = room;
		if (n > w.len - off)
			n = w.len - off;
		memcpy(space, w.buf + off, n);
		r = stream_decoder_commit(&d, n, collect_cb, &c);
		assert_true(r >= 0);
		total += (size_t)r;
		off += n;
	}
	assert_int_equal(total, w.nframes);
	check_frames(&c, seqs, mixed_lens, MIXED_N);
	assert_false(stream_decoder_partial(&d));
	stream_decoder_free(&d);
	collect_free(&c);
	wire_free(&w);
}

static void test_many_frames_one_feed(void **state)
{
	enum stream_framing f = state_framing(state);
	enum { N = 1000 };
	static size_t lens[N];
	static uint32_t seqs[N];
	struct stream_decoder d;
	struct collect c;
	struct wire w;
	uint64_t rng = 42;

	wire_init(&w);
	for (size_t i = 0; i < N; i++) {
		lens[i] = rng_range(&rng, STREAM_FRAME_MIN, 200);
		seqs[i] = (uint32_t)i;
		wire_add(&w, f, lens[i], seqs[i]);
	}
	collect_init(&c);
	assert_int_equal(stream_decoder_init(&d, f), 0);
	assert_int_equal(stream_decoder_feed(&d, w.buf, w.len, collect_cb, &c), N);
	check_frames(&c, seqs, lens, N);
	assert_int_equal(d.stats.frames, N);
	assert_int_equal(d.stats.bytes, w.fbytes);
	assert_int_equal(d.stats.runts, 0);
	assert_false(stream_decoder_partial(&d));
	stream_decoder_free(&d);
	collect_free(&c);
	wire_free(&w);
}

/* Every runt length, each between two good frames: all skipped, in sync. */
static void test_runts(void **state)
{
	enum stream_framing f = state_framing(state);
	size_t lens[2 * STREAM_FRAME_MIN + 1];
	uint32_t seqs[2 * STREAM_FRAME_MIN + 1];
	size_t n = 0;
	struct stream_decoder d;
	struct collect c;
	struct wire w;

	wire_init(&w);
	for (size_t r = 0; r < STREAM_FRAME_MIN; r++) {
		lens[n] = 20 + r;
		seqs[n] = (uint32_t)n;
		wire_add(&w, f, lens[n], seqs[n]);
		n++;
		lens[n] = r;
		seqs[n] = (uint32_t)n;
		wire_add(&w, f, lens[n], seqs[n]);
		n++;
	}
	lens[n] = STREAM_FRAME_MIN;
	seqs[n] = (uint32_t)n;
	wire_add(&w, f, lens[n], seqs[n]);
	n++;

	collect_init(&c);
	assert_int_equal(stream_decoder_init(&d, f), 0);
	assert_int_equal(stream_decoder_feed(&d, w.buf, w.len, collect_cb, &c),
			 STREAM_FRAME_MIN + 1);
	check_frames(&c, seqs, lens, n);
	assert_int_equal(d.stats.runts, STREAM_FRAME_MIN);
	assert_int_equal(d.stats.frames, STREAM_FRAME_MIN + 1);
	assert_false(stream_decoder_partial(&d));
	stream_decoder_free(&d);
	collect_free(&c);
	wire_free(&w);
}

/* Zero-length records only: no frames, every one a runt, nothing held. */
static void test_zero_length_frames(void **state)
{
	enum stream_framing f = state_framing(state);
	uint8_t zeros[4 * 50] = { 0 };
	size_t hdr = stream_framing_hdrlen(f);
	struct stream_decoder d;
	struct collect c;

	collect_init(&c);
	assert_int_equal(stream_decoder_init(&d, f), 0);
	assert_int_equal(stream_decoder_feed(&d, zeros, 50 * hdr, collect_cb, &c), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(d.stats.runts, 50);
	assert_int_equal(d.stats.frames, 0);
	assert_false(stream_decoder_partial(&d));
	/* Half a header more: held as partial, not counted yet. */
	assert_int_equal(stream_decoder_feed(&d, zeros, 1, collect_cb, &c), 0);
	assert_true(stream_decoder_partial(&d));
	assert_int_equal(d.stats.runts, 50);
	assert_int_equal(stream_decoder_feed(&d, zeros, hdr - 1, collect_cb, &c), 0);
	assert_int_equal(d.stats.runts, 51);
	assert_false(stream_decoder_partial(&d));
	stream_decoder_free(&d);
	collect_free(&c);
}

static void test_partial(void **state)
{
	enum stream_framing f = state_framing(state);
	size_t hdr = stream_framing_hdrlen(f);
	struct stream_decoder d;
	struct collect c;
	struct wire w;

	wire_init(&w);
	wire_add(&w, f, 100, 1);
	collect_init(&c);
	assert_int_equal(stream_decoder_init(&d, f), 0);
	assert_false(stream_decoder_partial(&d));
	assert_int_equal(stream_decoder_feed(&d, w.buf, 0, collect_cb, &c), 0);
	assert_false(stream_decoder_partial(&d));
	assert_int_equal(stream_decoder_feed(&d, w.buf, 1, collect_cb, &c), 0);
	assert_true(stream_decoder_partial(&d));
	assert_int_equal(stream_decoder_feed(&d, w.buf + 1, hdr - 1, collect_cb, &c), 0);
	assert_true(stream_decoder_partial(&d));
	assert_int_equal(stream_decoder_feed(&d, w.buf + hdr, 99, collect_cb, &c), 0);
	assert_true(stream_decoder_partial(&d));
	assert_int_equal(c.n, 0);
	assert_int_equal(stream_decoder_feed(&d, w.buf + hdr + 99, 1, collect_cb, &c), 1);
	assert_false(stream_decoder_partial(&d));
	pattern_check(collect_frame(&c, 0), 100, 1);
	stream_decoder_free(&d);
	collect_free(&c);
	wire_free(&w);
}

static void test_oversize_be32(void **state)
{
	static const uint8_t over[] = { 0x00, 0x02, 0x00, 0x01 }; /* 128 KiB + 1 */
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff };
	struct stream_decoder d;
	struct collect c;
	struct wire w;

	(void)state;
	collect_init(&c);

	/* The header alone is enough to know the stream is broken. */
	assert_int_equal(stream_decoder_init(&d, be32), 0);
	assert_int_equal(stream_decoder_feed(&d, over, 4, collect_cb, &c), -EMSGSIZE);
	assert_int_equal(c.n, 0);
	stream_decoder_free(&d);

	assert_int_equal(stream_decoder_init(&d, be32), 0);
	assert_int_equal(stream_decoder_feed(&d, huge, 4, collect_cb, &c), -EMSGSIZE);
	stream_decoder_free(&d);

	/* Header split across feeds. */
	assert_int_equal(stream_decoder_init(&d, be32), 0);
	assert_int_equal(stream_decoder_feed(&d, over, 3, collect_cb, &c), 0);
	assert_int_equal(stream_decoder_feed(&d, over + 3, 1, collect_cb, &c), -EMSGSIZE);
	stream_decoder_free(&d);

	/* Good frames before it in the same feed are still delivered. */
	wire_init(&w);
	wire_add(&w, be32, 60, 7);
	wire_add(&w, be32, 70, 8);
	memcpy(w.buf + w.len, over, 4); /* wire_init left room */
	w.len += 4;
	assert_int_equal(stream_decoder_init(&d, be32), 0);
	assert_int_equal(stream_decoder_feed(&d, w.buf, w.len, collect_cb, &c), -EMSGSIZE);
	assert_int_equal(c.n, 2);
	pattern_check(collect_frame(&c, 0), 60, 7);
	pattern_check(collect_frame(&c, 1), 70, 8);
	stream_decoder_free(&d);

	collect_free(&c);
	wire_free(&w);
}

/* The largest frame each framing allows passes, whole and in pieces. */
static void test_max_frame(void **state)
{
	enum stream_framing f = state_framing(state);
	size_t max = stream_framing_max(f);
	struct stream_decoder d;
	struct collect c;
	struct wire w;

	wire_init(&w);
	wire_add(&w, f, max, 1);
	wire_add(&w, f, max, 2);
	wire_add(&w, f, 14, 3);
	collect_init(&c);

	assert_int_equal(stream_decoder_init(&d, f), 0);
	assert_int_equal(stream_decoder_feed(&d, w.buf, w.len, collect_cb, &c), 3);
	assert_int_equal(c.n, 3);
	assert_int_equal(c.lens[0], max);
	pattern_check(collect_frame(&c, 0), max, 1);
	pattern_check(collect_frame(&c, 1), max, 2);
	pattern_check(collect_frame(&c, 2), 14, 3);
	assert_false(stream_decoder_partial(&d));
	stream_decoder_free(&d);

	for (size_t chunk = 1000; chunk <= 70000; chunk += 23000) {
		collect_reset(&c);
		assert_int_equal(stream_decoder_init(&d, f), 0);
		for (size_t off = 0; off < w.len; off += chunk) {
			size_t n = w.len - off < chunk ? w.len - off : chunk;

			assert_true(stream_decoder_feed(&d, w.buf + off, n, collect_cb, &c) >= 0);
		}
		assert_int_equal(c.n, 3);
		pattern_check(collect_frame(&c, 1), max, 2);
		stream_decoder_free(&d);
	}
	collect_free(&c);
	wire_free(&w);
}

static void test_le16_65535(void **state)
{
	static const uint8_t hdr[] = { 0xff, 0xff };
	uint8_t *frame = malloc(65535);
	struct stream_decoder d;
	struct collect c;

	(void)state;
	assert_non_null(frame);
	pattern_fill(frame, 65535, 9);
	collect_init(&c);
	assert_int_equal(stream_decoder_init(&d, le16), 0);
	assert_int_equal(stream_decoder_feed(&d, hdr, 2, collect_cb, &c), 0);
	assert_true(stream_decoder_partial(&d));
	assert_int_equal(stream_decoder_feed(&d, frame, 65535, collect_cb, &c), 1);
	assert_int_equal(c.lens[0], 65535);
	assert_memory_equal(collect_frame(&c, 0), frame, 65535);
	assert_int_equal(d.stats.bytes, 65535);
	stream_decoder_free(&d);
	collect_free(&c);
	free(frame);
}

/*
 * Reference parser for the garbage test: what a correct decoder must emit
 * for @buf, and whether it must stop with -EMSGSIZE.
 */
static bool reference_parse(enum stream_framing f, const uint8_t *buf, size_t len,
			    struct collect *want, size_t *consumed)
{
	size_t hdr = stream_framing_hdrlen(f);
	size_t max = stream_framing_max(f);
	size_t off = 0;

	while (len - off >= hdr) {
		const uint8_t *p = buf + off;
		size_t flen;

		if (f == STREAM_FRAMING_BE32)
			flen = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
		else
			flen = (size_t)p[0] | (size_t)p[1] << 8;

		if (flen > max) {
			*consumed = off;
			return true;
		}
		if (len - off - hdr < flen)
			break;
		if (flen >= STREAM_FRAME_MIN)
			collect_cb(want, p + hdr, flen);
		off += hdr + flen;
	}
	*consumed = off;
	return false;
}

/* Garbage: mostly plausible headers with random lengths, or pure noise. */
static size_t make_garbage(uint64_t *rng, enum stream_framing f, uint8_t *buf, size_t cap)
{
	size_t max = stream_framing_max(f);
	size_t len = 0;

	if (rng_next(rng) % 4 == 0) {
		len = rng_range(rng, 0, 4096);
		rng_fill(rng, buf, len);
		return len;
	}
	while (len + 4 < cap && rng_next(rng) % 16) {
		size_t flen;
		uint8_t hdr[4];
		int h;

		switch (rng_next(rng) % 8) {
		case 0:
			flen = rng_range(rng, 0, STREAM_FRAME_MIN);
			break;
		case 1:
			flen = rng_range(rng, max - 8, max);
			break;
		case 2:
			/* Occasionally oversized (BE32 only: LE16 cannot express it). */
			flen = rng_range(rng, 0, max + 16);
			break;
		default:
			flen = rng_range(rng, 0, 600);
			break;
		}
		if (flen > max) {
			hdr[0] = (uint8_t)(flen >> 24);
			hdr[1] = (uint8_t)(flen >> 16);
			hdr[2] = (uint8_t)(flen >> 8);
			hdr[3] = (uint8_t)flen;
			h = f == STREAM_FRAMING_BE32 ? 4 : 2;
			if (h == 2)
				rng_fill(rng, hdr, 2);
		} else {
			h = stream_framing_header(f, flen, hdr);
		}
		memcpy(buf + len, hdr, (size_t)h);
		len += (size_t)h;
		if (flen > cap - len)
			flen = cap - len; /* truncated: leaves a partial frame */
		rng_fill(rng, buf + len, flen);
		len += flen;
	}
	return len;
}

static void check_sane_cb(void *ctx, const uint8_t *frame, size_t len)
{
	struct collect *c = ctx;

	assert_true(len >= STREAM_FRAME_MIN);
	assert_true(len <= STREAM_FRAME_MAX);
	collect_cb(c, frame, len);
}

static void test_garbage(void **state)
{
	enum stream_framing f = state_framing(state);
	enum { CAP = 3 * STREAM_FRAME_MAX };
	uint8_t *buf = malloc(CAP);
	uint64_t rng = f == STREAM_FRAMING_BE32 ? 0xdeadbeef : 0xfeedface;
	struct stream_decoder d;
	struct collect got, want;

	assert_non_null(buf);
	collect_init(&got);
	collect_init(&want);
	assert_int_equal(stream_decoder_init(&d, f), 0);
	for (int round = 0; round < 600; round++) {
		size_t len = make_garbage(&rng, f, buf, CAP);
		size_t consumed, off = 0;
		bool want_err;
		int r = 0;

		collect_reset(&got);
		collect_reset(&want);
		want_err = reference_parse(f, buf, len, &want, &consumed);
		stream_decoder_free(&d);
		assert_int_equal(stream_decoder_init(&d, f), 0);
		while (off < len) {
			size_t n;

			switch (rng_next(&rng) % 4) {
			case 0:
				n = 1;
				break;
			case 1:
				n = rng_range(&rng, 1, 16);
				break;
			case 2:
				n = rng_range(&rng, 1, 70000);
				break;
			default:
				n = rng_range(&rng, 1, 2000);
				break;
			}
			if (n > len - off)
				n = len - off;
			r = stream_decoder_feed(&d, buf + off, n, check_sane_cb, &got);
			off += n;
			if (r < 0)
				break;
		}
		if (want_err) {
			assert_int_equal(r, -EMSGSIZE);
		} else {
			assert_true(r >= 0);
			assert_int_equal(stream_decoder_partial(&d), consumed != len);
		}
		assert_int_equal(got.n, want.n);
		for (size_t i = 0; i < got.n; i++) {
			assert_int_equal(got.lens[i], want.lens[i]);
			assert_memory_equal(collect_frame(&got, i), collect_frame(&want, i),
					    got.lens[i]);
		}
	}
	stream_decoder_free(&d);
	collect_free(&got);
	collect_free(&want);
	free(buf);
}

/* A test run with @state pointing at framing @f, named after both. */
#define NAME(fn, f) #fn "/" #f
#define TEST_ON(fn, f)                                  \
	{                                               \
		NAME(fn, f), fn, NULL, NULL, (void *)&f \
	}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hdrlen_max_name),
		cmocka_unit_test(test_header_be32),
		cmocka_unit_test(test_header_le16),
		cmocka_unit_test(test_decode_be32_bytes),
		cmocka_unit_test(test_decode_le16_bytes),
		TEST_ON(test_split_every_point, be32),
		TEST_ON(test_split_every_point, le16),
		TEST_ON(test_split_every_pair, be32),
		TEST_ON(test_split_every_pair, le16),
		TEST_ON(test_one_byte_at_a_time, be32),
		TEST_ON(test_one_byte_at_a_time, le16),
		TEST_ON(test_space_commit, be32),
		TEST_ON(test_space_commit, le16),
		TEST_ON(test_many_frames_one_feed, be32),
		TEST_ON(test_many_frames_one_feed, le16),
		TEST_ON(test_runts, be32),
		TEST_ON(test_runts, le16),
		TEST_ON(test_zero_length_frames, be32),
		TEST_ON(test_zero_length_frames, le16),
		TEST_ON(test_partial, be32),
		TEST_ON(test_partial, le16),
		cmocka_unit_test(test_oversize_be32),
		TEST_ON(test_max_frame, be32),
		TEST_ON(test_max_frame, le16),
		cmocka_unit_test(test_le16_65535),
		TEST_ON(test_garbage, be32),
		TEST_ON(test_garbage, le16),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
