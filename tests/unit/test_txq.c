// SPDX-License-Identifier: MIT
/*
 * test_txq.c - stream/txq.c: the bounded output ring
 *
 * Byte-stream queues (BE32, LE16) must hand out exactly the wire bytes
 * (header + frame) of what was pushed, in order, across any wrap of the
 * ring and any partial consume; message queues must hand out each frame
 * whole, one record at a time. A small ring and a random model make the
 * wrap-around happen often. A full ring drops and counts, never grows.
 */
#include "txq.h"
#include "testutil.h"

#include <errno.h>

static const enum stream_framing be32 = STREAM_FRAMING_BE32;
static const enum stream_framing le16 = STREAM_FRAMING_LE16;

static enum stream_framing state_framing(void **state)
{
	return *(const enum stream_framing *)*state;
}

/* Concatenate what peek_bytes hands out; returns its length. */
static size_t peek_all(const struct stream_txq *q, uint8_t *out)
{
	struct iovec iov[2];
	int cnt = stream_txq_peek_bytes(q, iov);
	size_t n = 0;

	assert_true(cnt >= 0 && cnt <= 2);
	for (int i = 0; i < cnt; i++) {
		assert_true(iov[i].iov_len > 0);
		assert_true((uint8_t *)iov[i].iov_base >= q->buf);
		assert_true((uint8_t *)iov[i].iov_base + iov[i].iov_len <= q->buf + q->cap);
		memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	return n;
}

static void test_einval_emsgsize(void **state)
{
	static const enum stream_framing all[] = { STREAM_FRAMING_BE32, STREAM_FRAMING_LE16,
						   STREAM_FRAMING_MSG };
	uint8_t *big = calloc(1, STREAM_FRAME_MAX + 2);

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < 3; i++) {
		struct stream_txq q;
		size_t max = stream_framing_max(all[i]);

		/* Room for anything, so only the size rules can refuse. */
		assert_int_equal(stream_txq_init(&q, all[i], 4 * STREAM_FRAME_MAX), 0);
		assert_int_equal(stream_txq_push(&q, big, 0), -EINVAL);
		assert_int_equal(stream_txq_push(&q, big, max + 1), -EMSGSIZE);
		assert_int_equal(stream_txq_push(&q, big, STREAM_FRAME_MAX + 1), -EMSGSIZE);
		assert_int_equal(stream_txq_pending(&q), 0);
		assert_int_equal(q.stats.drops, 0);
		assert_int_equal(q.stats.frames, 0);
		assert_int_equal(stream_txq_push(&q, big, max), 0);
		assert_int_equal(q.stats.frames, 1);
		assert_int_equal(q.stats.bytes, max);
		stream_txq_free(&q);
	}
	free(big);
}

static void test_empty(void **state)
{
	struct iovec iov[2];
	struct stream_txq q;

	(void)state;
	assert_int_equal(stream_txq_init(&q, STREAM_FRAMING_BE32, 64), 0);
	assert_int_equal(stream_txq_pending(&q), 0);
	assert_int_equal(stream_txq_peek_bytes(&q, iov), 0);
	stream_txq_consume(&q, 10);
	assert_int_equal(stream_txq_pending(&q), 0);
	stream_txq_free(&q);

	assert_int_equal(stream_txq_init(&q, STREAM_FRAMING_MSG, 64), 0);
	assert_int_equal(stream_txq_peek_msg(&q, iov), 0);
	stream_txq_pop_msg(&q);
	assert_int_equal(stream_txq_pending(&q), 0);
	stream_txq_free(&q);
}

/* Exact wire bytes of one queued frame. */
static void test_bytes_exact(void **state)
{
	uint8_t frame[20], out[64];
	struct stream_txq q;

	(void)state;
	pattern_fill(frame, sizeof(frame), 5);

	assert_int_equal(stream_txq_init(&q, be32, 64), 0);
	assert_int_equal(stream_txq_push(&q, frame, 20), 0);
	assert_int_equal(stream_txq_pending(&q), 24);
	assert_int_equal(peek_all(&q, out), 24);
	assert_memory_equal(out, "\x00\x00\x00\x14", 4);
	assert_memory_equal(out + 4, frame, 20);
	stream_txq_free(&q);

	assert_int_equal(stream_txq_init(&q, le16, 64), 0);
	assert_int_equal(stream_txq_push(&q, frame, 20), 0);
	assert_int_equal(stream_txq_pending(&q), 22);
	assert_int_equal(peek_all(&q, out), 22);
	assert_memory_equal(out, "\x14\x00", 2);
	assert_memory_equal(out + 2, frame, 20);
	stream_txq_free(&q);
}

/* Fill to the byte, then one more is dropped; consume makes room again. */
static void test_bytes_full(void **state)
{
	enum stream_framing f = state_framing(state);
	size_t hdr = stream_framing_hdrlen(f);
	uint8_t frame[64], out[64];
	struct stream_txq q;

	pattern_fill(frame, sizeof(frame), 1);
	assert_int_equal(stream_txq_init(&q, f, 64), 0);
	assert_int_equal(stream_txq_push(&q, frame, 64 - hdr), 0);
	assert_int_equal(stream_txq_pending(&q), 64);
	assert_int_equal(stream_txq_push(&q, frame, 1), -ENOBUFS);
	assert_int_equal(q.stats.drops, 1);
	assert_int_equal(q.stats.frames, 1);
	assert_int_equal(q.stats.bytes, 64 - hdr);
	assert_int_equal(stream_txq_pending(&q), 64);

	/* Bigger than the ring: dropped even when empty. */
	stream_txq_consume(&q, 64);
	assert_int_equal(stream_txq_pending(&q), 0);
	assert_int_equal(stream_txq_push(&q, frame, 64 - hdr + 1), -ENOBUFS);
	assert_int_equal(q.stats.drops, 2);

	/* Partial consume frees exactly that much. */
	assert_int_equal(stream_txq_push(&q, frame, 30), 0);
	assert_int_equal(stream_txq_push(&q, frame, 64 - 2 * hdr - 30), 0);
	assert_int_equal(stream_txq_push(&q, frame, 1), -ENOBUFS);
	stream_txq_consume(&q, hdr);
	assert_int_equal(stream_txq_push(&q, frame, 1), -ENOBUFS);
	stream_txq_consume(&q, 1);
	assert_int_equal(stream_txq_push(&q, frame, 1), 0);
	assert_int_equal(q.stats.drops, 4);
	assert_int_equal(stream_txq_pending(&q), 64);

	/* Over-consume clamps. */
	stream_txq_consume(&q, 1000);
	assert_int_equal(stream_txq_pending(&q), 0);
	assert_int_equal(peek_all(&q, out), 0);
	stream_txq_free(&q);
}

/* A wrapped frame comes out as two iovecs joined in the right order. */
static void test_bytes_wrap(void **state)
{
	enum stream_framing f = state_framing(state);
	size_t hdr = stream_framing_hdrlen(f);
	uint8_t a[40], b[40], out[64], want[64];
	struct iovec iov[2];
	struct stream_txq q;

	pattern_fill(a, sizeof(a), 1);
	pattern_fill(b, sizeof(b), 2);
	assert_int_equal(stream_txq_init(&q, f, 64), 0);
	assert_int_equal(stream_txq_push(&q, a, 40), 0);
	stream_txq_consume(&q, 35);
	assert_int_equal(stream_txq_push(&q, b, 40), 0);
	assert_int_equal(stream_txq_peek_bytes(&q, iov), 2);
	assert_int_equal(stream_txq_pending(&q), 5 + hdr + 40 + hdr);

	memcpy(want, a + 40 - (5 + hdr), 5 + hdr);
	assert_int_equal(stream_framing_header(f, 40, want + 5 + hdr), (int)hdr);
	memcpy(want + 5 + 2 * hdr, b, 40);
	assert_int_equal(peek_all(&q, out), 5 + 2 * hdr + 40);
	assert_memory_equal(out, want, 5 + 2 * hdr + 40);
	stream_txq_free(&q);
}

/*
 * Random pushes and partial consumes on a small ring checked against a
 * plain byte FIFO: the ring wraps at every possible offset.
 */
static void test_bytes_model(void **state)
{
	enum stream_framing f = state_framing(state);
	size_t hdr = stream_framing_hdrlen(f);
	enum { CAP = 97, MODEL = 1 << 20 };
	uint8_t *model = malloc(MODEL);
	uint8_t frame[CAP], out[CAP];
	size_t mhead = 0, mlen = 0;
	uint64_t rng = 7, drops = 0, frames = 0, bytes = 0;
	unsigned int wraps = 0;
	struct stream_txq q;

	assert_non_null(model);
	assert_int_equal(stream_txq_init(&q, f, CAP), 0);
	for (uint32_t step = 0; step < 20000; step++) {
		if (rng_next(&rng) % 2) {
			size_t len = rng_range(&rng, 1, 60);
			int r;

			pattern_fill(frame, len, step);
			r = stream_txq_push(&q, frame, len);
			if (mlen + hdr + len > CAP) {
				assert_int_equal(r, -ENOBUFS);
				drops++;
			} else {
				assert_int_equal(r, 0);
				assert_true(mhead + mlen + hdr + len <= MODEL);
				stream_framing_header(f, len, model + mhead + mlen);
				memcpy(model + mhead + mlen + hdr, frame, len);
				mlen += hdr + len;
				frames++;
				bytes += len;
			}
		} else {
			size_t n = rng_range(&rng, 0, mlen + 3);

			stream_txq_consume(&q, n);
			if (n > mlen)
				n = mlen;
			mhead += n;
			mlen -= n;
		}
		assert_int_equal(stream_txq_pending(&q), mlen);
		assert_true(q.len <= q.cap);
		assert_int_equal(q.cap, CAP);
		if (mlen && q.head + mlen > CAP)
			wraps++;
		assert_int_equal(peek_all(&q, out), mlen);
		if (mlen)
			assert_memory_equal(out, model + mhead, mlen);
		if (mhead > MODEL / 2) {
			memmove(model, model + mhead, mlen);
			mhead = 0;
		}
	}
	assert_int_equal(q.stats.drops, drops);
	assert_int_equal(q.stats.frames, frames);
	assert_int_equal(q.stats.bytes, bytes);
	assert_true(drops > 0);
	assert_true(wraps > 100);
	stream_txq_free(&q);
	free(model);
}

/* Concatenate the first record's frame as peek_msg hands it out. */
static size_t peek_msg_all(const struct stream_txq *q, uint8_t *out, int *cnt)
{
	struct iovec iov[2];
	size_t n = 0;

	*cnt = stream_txq_peek_msg(q, iov);
	assert_true(*cnt >= 0 && *cnt <= 2);
	for (int i = 0; i < *cnt; i++) {
		assert_true(iov[i].iov_len > 0);
		assert_true((uint8_t *)iov[i].iov_base >= q->buf);
		assert_true((uint8_t *)iov[i].iov_base + iov[i].iov_len <= q->buf + q->cap);
		memcpy(out + n, iov[i].iov_base, iov[i].iov_len);
		n += iov[i].iov_len;
	}
	return n;
}

static void test_msg_basic(void **state)
{
	uint8_t a[14], b[50], out[64];
	struct stream_txq q;
	int cnt;

	(void)state;
	pattern_fill(a, sizeof(a), 1);
	pattern_fill(b, sizeof(b), 2);
	assert_int_equal(stream_txq_init(&q, STREAM_FRAMING_MSG, 128), 0);
	assert_int_equal(stream_txq_push(&q, a, sizeof(a)), 0);
	assert_int_equal(stream_txq_push(&q, b, sizeof(b)), 0);
	assert_int_equal(peek_msg_all(&q, out, &cnt), sizeof(a));
	assert_int_equal(cnt, 1);
	assert_memory_equal(out, a, sizeof(a));
	/* Peeking does not consume. */
	assert_int_equal(peek_msg_all(&q, out, &cnt), sizeof(a));
	stream_txq_pop_msg(&q);
	assert_int_equal(peek_msg_all(&q, out, &cnt), sizeof(b));
	assert_memory_equal(out, b, sizeof(b));
	stream_txq_pop_msg(&q);
	assert_int_equal(stream_txq_pending(&q), 0);
	assert_int_equal(peek_msg_all(&q, out, &cnt), 0);
	assert_int_equal(cnt, 0);
	stream_txq_free(&q);
}

/*
 * Random pushes and pops on a small message ring against a FIFO of frames:
 * both the 4-byte record header and the frame wrap at every offset.
 */
static void test_msg_model(void **state)
{
	enum { CAP = 101, SLOTS = 64 };
	struct {
		uint32_t seq;
		size_t len;
	} fifo[SLOTS];
	size_t fhead = 0, fcount = 0, used = 0;
	uint8_t frame[CAP], out[CAP];
	uint64_t rng = 99, drops = 0;
	unsigned int split_frames = 0, split_headers = 0;
	struct stream_txq q;

	(void)state;
	assert_int_equal(stream_txq_init(&q, STREAM_FRAMING_MSG, CAP), 0);
	for (uint32_t step = 0; step < 20000; step++) {
		int cnt;

		if (rng_next(&rng) % 2) {
			size_t len = rng_range(&rng, 1, 50);
			int r;

			pattern_fill(frame, len, step);
			r = stream_txq_push(&q, frame, len);
			if (used + 4 + len > CAP) {
				assert_int_equal(r, -ENOBUFS);
				drops++;
			} else {
				assert_int_equal(r, 0);
				assert_true(fcount < SLOTS);
				fifo[(fhead + fcount) % SLOTS].seq = step;
				fifo[(fhead + fcount) % SLOTS].len = len;
				fcount++;
				used += 4 + len;
			}
		} else if (fcount) {
			if (q.head + 4 > CAP)
				split_headers++;
			stream_txq_pop_msg(&q);
			used -= 4 + fifo[fhead].len;
			fhead = (fhead + 1) % SLOTS;
			fcount--;
		}
		assert_int_equal(stream_txq_pending(&q), used);
		assert_true(q.len <= q.cap);
		if (fcount) {
			size_t n = peek_msg_all(&q, out, &cnt);

			assert_int_equal(n, fifo[fhead].len);
			pattern_check(out, n, fifo[fhead].seq);
			if (cnt == 2)
				split_frames++;
		} else {
			assert_int_equal(peek_msg_all(&q, out, &cnt), 0);
		}
	}
	assert_int_equal(q.stats.drops, drops);
	assert_true(drops > 0);
	assert_true(split_frames > 50);
	assert_true(split_headers > 20);
	stream_txq_free(&q);
}

static void test_msg_full(void **state)
{
	uint8_t frame[64];
	struct stream_txq q;

	(void)state;
	pattern_fill(frame, sizeof(frame), 3);
	assert_int_equal(stream_txq_init(&q, STREAM_FRAMING_MSG, 64), 0);
	assert_int_equal(stream_txq_push(&q, frame, 60), 0);
	assert_int_equal(stream_txq_pending(&q), 64);
	assert_int_equal(stream_txq_push(&q, frame, 1), -ENOBUFS);
	assert_int_equal(q.stats.drops, 1);
	stream_txq_pop_msg(&q);
	assert_int_equal(stream_txq_push(&q, frame, 61), -ENOBUFS);
	assert_int_equal(q.stats.drops, 2);
	assert_int_equal(q.stats.frames, 1);
	assert_int_equal(q.stats.bytes, 60);
	stream_txq_free(&q);
}

/* The default-sized ring under a flood: never holds more than its cap. */
static void test_bounded_flood(void **state)
{
	enum stream_framing f = state_framing(state);
	static uint8_t frame[1514];
	size_t hdr = f == STREAM_FRAMING_MSG ? sizeof(uint32_t) : stream_framing_hdrlen(f);
	struct stream_txq q;
	uint64_t ok = 0;

	assert_int_equal(stream_txq_init(&q, f, STREAM_TXQ_BYTES), 0);
	for (int i = 0; i < 10000; i++) {
		int r = stream_txq_push(&q, frame, sizeof(frame));

		assert_true(r == 0 || r == -ENOBUFS);
		ok += r == 0;
		assert_true(stream_txq_pending(&q) <= STREAM_TXQ_BYTES);
		assert_int_equal(q.cap, STREAM_TXQ_BYTES);
	}
	assert_int_equal(ok, STREAM_TXQ_BYTES / (sizeof(frame) + hdr));
	assert_int_equal(q.stats.drops, 10000 - ok);
	stream_txq_free(&q);
}

/* A test run with @state pointing at framing @f, named after both. */
#define NAME(fn, f) #fn "/" #f
#define TEST_ON(fn, f)                                  \
	{                                               \
		NAME(fn, f), fn, NULL, NULL, (void *)&f \
	}

int main(void)
{
	static const enum stream_framing msg = STREAM_FRAMING_MSG;
	const struct CMUnitTest tests[] = {
		/* Argument checks. */
		cmocka_unit_test(test_einval_emsgsize),
		cmocka_unit_test(test_empty),
		/* Byte streams. */
		cmocka_unit_test(test_bytes_exact),
		TEST_ON(test_bytes_full, be32),
		TEST_ON(test_bytes_full, le16),
		TEST_ON(test_bytes_wrap, be32),
		TEST_ON(test_bytes_wrap, le16),
		TEST_ON(test_bytes_model, be32),
		TEST_ON(test_bytes_model, le16),
		/* Messages. */
		cmocka_unit_test(test_msg_basic),
		cmocka_unit_test(test_msg_model),
		cmocka_unit_test(test_msg_full),
		/* The default ring under load. */
		TEST_ON(test_bounded_flood, be32),
		TEST_ON(test_bounded_flood, le16),
		TEST_ON(test_bounded_flood, msg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
