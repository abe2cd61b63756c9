/* SPDX-License-Identifier: MIT */
/*
 * testutil.h - helpers shared by the unit tests
 *
 * A frame collector (a stream_frame_cb that keeps a copy of every frame it
 * is handed, so a test can compare what came out with what went in), a
 * deterministic PRNG so randomised tests fail the same way every run, and a
 * pattern fill that makes every test frame's bytes depend on its number and
 * length, so a frame delivered out of order, truncated or spliced with its
 * neighbour never compares equal by accident.
 */
#ifndef VGATE_TESTUTIL_H
#define VGATE_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

struct collect {
	size_t n;      /* frames collected */
	size_t *lens;  /* length of each */
	size_t *offs;  /* offset of each in data */
	size_t slots;  /* entries allocated in lens and offs */
	uint8_t *data; /* the frames, back to back */
	size_t used;   /* bytes used in data */
	size_t cap;    /* bytes allocated for data */
};

static inline void collect_init(struct collect *c)
{
	memset(c, 0, sizeof(*c));
}

static inline void collect_free(struct collect *c)
{
	free(c->lens);
	free(c->offs);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

static inline void collect_reset(struct collect *c)
{
	c->n = 0;
	c->used = 0;
}

/* A stream_frame_cb: @ctx is a struct collect. */
static inline void collect_cb(void *ctx, const uint8_t *frame, size_t len)
{
	struct collect *c = ctx;

	if (c->n == c->slots) {
		c->slots = c->slots ? 2 * c->slots : 64;
		c->lens = realloc(c->lens, c->slots * sizeof(*c->lens));
		c->offs = realloc(c->offs, c->slots * sizeof(*c->offs));
		assert_non_null(c->lens);
		assert_non_null(c->offs);
	}
	if (c->used + len > c->cap) {
		while (c->used + len > c->cap)
			c->cap = c->cap ? 2 * c->cap : 65536;
		c->data = realloc(c->data, c->cap);
		assert_non_null(c->data);
	}
	memcpy(c->data + c->used, frame, len);
	c->lens[c->n] = len;
	c->offs[c->n] = c->used;
	c->used += len;
	c->n++;
}

static inline const uint8_t *collect_frame(const struct collect *c, size_t i)
{
	return c->data + c->offs[i];
}

/* xorshift64*: small, deterministic, good enough to pick lengths and bytes. */
static inline uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Uniform-ish in [lo, hi]. */
static inline size_t rng_range(uint64_t *s, size_t lo, size_t hi)
{
	return lo + (size_t)(rng_next(s) % (hi - lo + 1));
}

static inline void rng_fill(uint64_t *s, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(rng_next(s) >> 56);
}

/* Fill a frame whose content identifies frame @seq of @len bytes. */
static inline void pattern_fill(uint8_t *buf, size_t len, uint32_t seq)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i * 7 + (i >> 8) + len);
	if (len >= 4) {
		buf[0] = (uint8_t)(seq >> 24);
		buf[1] = (uint8_t)(seq >> 16);
		buf[2] = (uint8_t)(seq >> 8);
		buf[3] = (uint8_t)seq;
	}
}

/* Assert that @frame is pattern_fill(seq, len). */
static inline void pattern_check(const uint8_t *frame, size_t len, uint32_t seq)
{
	uint8_t *want = malloc(len ? len : 1);

	assert_non_null(want);
	pattern_fill(want, len, seq);
	assert_memory_equal(frame, want, len);
	free(want);
}

#endif
