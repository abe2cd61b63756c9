// SPDX-License-Identifier: MIT
/*
 * test_udp_flow_table.c - backend/udp_flow_table.c: insert, lookup, remove,
 * expiry order, the total and per-guest caps, many flows, hash collisions.
 *
 * The table is pure (no sockets, no clock), so every test drives it with
 * explicit times. Collisions are forced with a one-bucket table, where
 * every key shares the chain; the same scenarios then run against a large
 * table and must give the same answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "udp_flow_table.h"

#include "flow_info.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Guest addresses (any distinct values do). */
#define GUEST_A 0x0202a8c0u
#define GUEST_B 0x0302a8c0u

static struct udp_flow_key key(uint32_t gip, uint16_t gport, uint32_t dip, uint16_t dport)
{
	struct udp_flow_key k;

	memset(&k, 0, sizeof(k));
	k.gip = gip;
	k.gport = gport;
	k.dip = dip;
	k.dport = dport;
	return k;
}

/* Walk the expiry list from the oldest end: sorted, linked both ways, complete. */
static void check_list(const struct udp_flow_table *t)
{
	const struct udp_flow_entry *e, *prev = NULL;
	unsigned n = 0;

	for (e = udp_flow_table_oldest(t); e; e = e->newer) {
		assert_ptr_equal(e->older, prev);
		if (prev)
			assert_true(prev->last_ms <= e->last_ms);
		assert_ptr_equal(udp_flow_table_lookup(t, &e->key), e);
		prev = e;
		n++;
	}
	assert_ptr_equal(t->newest, prev);
	assert_int_equal(n, udp_flow_table_count(t));
}

static void insert_lookup_remove(unsigned nbuckets)
{
	struct udp_flow_table t;
	struct udp_flow_entry e[3];
	struct udp_flow_key k;

	memset(e, 0, sizeof(e));
	assert_int_equal(udp_flow_table_init(&t, 16, 16, nbuckets, 1234), 0);
	e[0].key = key(GUEST_A, 1000, htonl(0x7f000001), 53);
	e[1].key = key(GUEST_A, 1001, htonl(0x7f000001), 53); /* differs in guest port */
	e[2].key = key(GUEST_A, 1000, htonl(0x7f000001), 54); /* differs in destination port */
	for (int i = 0; i < 3; i++)
		assert_int_equal(udp_flow_table_insert(&t, &e[i], 100 + (uint64_t)i), 0);
	assert_int_equal(udp_flow_table_count(&t), 3);
	for (int i = 0; i < 3; i++)
		assert_ptr_equal(udp_flow_table_lookup(&t, &e[i].key), &e[i]);
	k = key(GUEST_B, 1000, htonl(0x7f000001), 53); /* differs in guest address */
	assert_null(udp_flow_table_lookup(&t, &k));
	k = key(GUEST_A, 1000, htonl(0x7f000002), 53); /* differs in destination address */
	assert_null(udp_flow_table_lookup(&t, &k));

	/* The same key twice is refused, and the first stays. */
	{
		struct udp_flow_entry dup;

		memset(&dup, 0, sizeof(dup));
		dup.key = e[1].key;
		assert_int_equal(udp_flow_table_insert(&t, &dup, 200), -EEXIST);
		assert_ptr_equal(udp_flow_table_lookup(&t, &e[1].key), &e[1]);
	}
	assert_int_equal(udp_flow_table_guest_flows(&t, GUEST_A), 3);
	check_list(&t);

	udp_flow_table_remove(&t, &e[1]);
	assert_null(udp_flow_table_lookup(&t, &e[1].key));
	assert_ptr_equal(udp_flow_table_lookup(&t, &e[0].key), &e[0]);
	assert_ptr_equal(udp_flow_table_lookup(&t, &e[2].key), &e[2]);
	assert_int_equal(udp_flow_table_count(&t), 2);
	assert_int_equal(udp_flow_table_guest_flows(&t, GUEST_A), 2);
	check_list(&t);

	/* Remove the head and the tail of the list; re-insert a removed key. */
	udp_flow_table_remove(&t, &e[0]);
	udp_flow_table_remove(&t, &e[2]);
	assert_int_equal(udp_flow_table_count(&t), 0);
	assert_null(udp_flow_table_oldest(&t));
	assert_int_equal(udp_flow_table_sweep_delay(&t, 0, 1000, 10), -1);
	assert_int_equal(udp_flow_table_guest_flows(&t, GUEST_A), 0);
	assert_int_equal(udp_flow_table_insert(&t, &e[2], 300), 0);
	assert_ptr_equal(udp_flow_table_lookup(&t, &e[2].key), &e[2]);
	check_list(&t);
	udp_flow_table_remove(&t, &e[2]);
	udp_flow_table_fini(&t);
}

static void test_insert_lookup_remove(void **state)
{
	(void)state;
	insert_lookup_remove(64);
}

static void test_collisions(void **state)
{
	(void)state;
	/* One bucket: every key collides, the chain must still tell them apart. */
	insert_lookup_remove(1);
}

static void test_expiry(void **state)
{
	struct udp_flow_table t;
	struct udp_flow_entry e[4];

	(void)state;
	memset(e, 0, sizeof(e));
	assert_int_equal(udp_flow_table_init(&t, 16, 16, 16, 7), 0);
	for (int i = 0; i < 4; i++) {
		e[i].key = key(GUEST_A, (uint16_t)(2000 + i), htonl(0x0a000001), 9);
		assert_int_equal(udp_flow_table_insert(&t, &e[i], 1000 + 100 * (uint64_t)i), 0);
	}
	/* The next sweep: when e[0] idles out, but never sooner than the minimum. */
	assert_int_equal(udp_flow_table_sweep_delay(&t, 1500, 1000, 10), 500);
	assert_int_equal(udp_flow_table_sweep_delay(&t, 1995, 1000, 10), 10);
	assert_int_equal(udp_flow_table_sweep_delay(&t, 5000, 1000, 10), 10);
	/* Idle 1000 ms: at 1999 nothing, at 2000 only e[0]. */
	assert_null(udp_flow_table_expired(&t, 1999, 1000));
	assert_ptr_equal(udp_flow_table_expired(&t, 2000, 1000), &e[0]);

	/* Activity on e[0] moves it to the newest end. */
	udp_flow_table_touch(&t, &e[0], 2000);
	assert_int_equal(e[0].last_ms, 2000);
	assert_ptr_equal(udp_flow_table_oldest(&t), &e[1]);
	check_list(&t);
	assert_null(udp_flow_table_expired(&t, 2099, 1000));

	/* Expire everything idle at 2250: e[1] and e[2], in that order. */
	{
		struct udp_flow_entry *x;
		unsigned n = 0;

		while ((x = udp_flow_table_expired(&t, 2250, 1000))) {
			assert_ptr_equal(x, n == 0 ? &e[1] : &e[2]);
			udp_flow_table_remove(&t, x);
			n++;
		}
		assert_int_equal(n, 2);
	}
	assert_int_equal(udp_flow_table_count(&t), 2);
	assert_ptr_equal(udp_flow_table_oldest(&t), &e[3]);
	check_list(&t);

	/* A clock that steps back does not break the order. */
	udp_flow_table_touch(&t, &e[3], 500);
	assert_int_equal(e[3].last_ms, 2000);
	check_list(&t);
	/* A time before the entry's own activity never expires it. */
	assert_null(udp_flow_table_expired(&t, 100, 0));

	/* Touching the newest entry only moves its time forward. */
	udp_flow_table_touch(&t, &e[3], 5000);
	assert_int_equal(e[3].last_ms, 5000);
	assert_ptr_equal(udp_flow_table_oldest(&t), &e[0]);
	check_list(&t);

	udp_flow_table_remove(&t, &e[0]);
	udp_flow_table_remove(&t, &e[3]);
	assert_null(udp_flow_table_expired(&t, UINT64_MAX, 0));
	udp_flow_table_fini(&t);
}

static void test_caps(void **state)
{
	struct udp_flow_table t;
	struct udp_flow_entry a[4], b[3], c;

	(void)state;
	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(&c, 0, sizeof(c));
	assert_int_equal(udp_flow_table_init(&t, 6, 3, 8, 99), 0);
	for (int i = 0; i < 4; i++)
		a[i].key = key(GUEST_A, (uint16_t)(3000 + i), htonl(0x7f000001), 7);
	for (int i = 0; i < 3; i++)
		b[i].key = key(GUEST_B, (uint16_t)(3000 + i), htonl(0x7f000001), 7);
	c.key = key(0x0402a8c0u, 1, htonl(0x7f000001), 7);

	/* Per guest: the fourth flow of guest A is refused, B is not affected. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(udp_flow_table_insert(&t, &a[i], 10), 0);
	assert_int_equal(udp_flow_table_insert(&t, &a[3], 10), -EDQUOT);
	assert_null(udp_flow_table_lookup(&t, &a[3].key));
	assert_int_equal(udp_flow_table_guest_flows(&t, GUEST_A), 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(udp_flow_table_insert(&t, &b[i], 10), 0);

	/* Total: six flows, a third guest's first is refused. */
	assert_int_equal(udp_flow_table_count(&t), 6);
	assert_int_equal(udp_flow_table_insert(&t, &c, 10), -ENOSPC);
	assert_int_equal(udp_flow_table_guest_flows(&t, c.key.gip), 0);

	/* Room comes back when flows go. */
	udp_flow_table_remove(&t, &a[0]);
	assert_int_equal(udp_flow_table_insert(&t, &a[3], 11), 0);
	udp_flow_table_remove(&t, &b[0]);
	assert_int_equal(udp_flow_table_insert(&t, &c, 11), 0);
	assert_int_equal(udp_flow_table_guest_flows(&t, GUEST_A), 3);
	assert_int_equal(udp_flow_table_guest_flows(&t, GUEST_B), 2);
	assert_int_equal(udp_flow_table_guest_flows(&t, c.key.gip), 1);
	check_list(&t);

	/* fini with entries inside frees the table's own records (ASan checks). */
	udp_flow_table_fini(&t);
}

static void test_zero_caps(void **state)
{
	struct udp_flow_table t;
	struct udp_flow_entry e;

	(void)state;
	memset(&e, 0, sizeof(e));
	e.key = key(GUEST_A, 1, 1, 1);
	assert_int_equal(udp_flow_table_init(&t, 0, 10, 4, 0), 0);
	assert_int_equal(udp_flow_table_insert(&t, &e, 0), -ENOSPC);
	udp_flow_table_fini(&t);
	assert_int_equal(udp_flow_table_init(&t, 10, 0, 4, 0), 0);
	assert_int_equal(udp_flow_table_insert(&t, &e, 0), -EDQUOT);
	udp_flow_table_fini(&t);
	/* A finished (or never initialised) table answers without crashing. */
	assert_null(udp_flow_table_lookup(&t, &e.key));
	assert_int_equal(udp_flow_table_guest_flows(&t, GUEST_A), 0);
}

/* Deterministic PRNG (xorshift32) so a failure repeats. */
static uint32_t rnd(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void many_flows(unsigned nbuckets)
{
	enum { N = 5000, GUESTS = 5 };
	struct udp_flow_table t;
	struct udp_flow_entry *e = calloc(N, sizeof(*e));
	uint32_t s = 0x1234567;
	unsigned removed = 0;

	assert_non_null(e);
	assert_int_equal(udp_flow_table_init(&t, N, N / GUESTS, nbuckets, 42), 0);
	for (unsigned i = 0; i < N; i++) {
		e[i].key = key(htonl(0xc0a87f02 + i % GUESTS), (uint16_t)(10000 + i / GUESTS),
			       htonl(0x7f000001), (uint16_t)(i % 7 + 1));
		assert_int_equal(udp_flow_table_insert(&t, &e[i], i), 0);
	}
	assert_int_equal(udp_flow_table_count(&t), N);
	for (unsigned g = 0; g < GUESTS; g++)
		assert_int_equal(udp_flow_table_guest_flows(&t, htonl(0xc0a87f02 + g)), N / GUESTS);
	{
		struct udp_flow_entry extra;

		memset(&extra, 0, sizeof(extra));
		extra.key = key(htonl(0xc0a87f02), 1, 1, 1);
		assert_int_equal(udp_flow_table_insert(&t, &extra, N), -ENOSPC);
	}

	/* Touch a random half at later times, remove a random third. */
	for (unsigned i = 0; i < N / 2; i++)
		udp_flow_table_touch(&t, &e[rnd(&s) % N], N + i);
	for (unsigned i = 0; i < N; i++) {
		if (rnd(&s) % 3 == 0) {
			udp_flow_table_remove(&t, &e[i]);
			e[i].key.gport = 0; /* mark removed */
			removed++;
		}
	}
	assert_int_equal(udp_flow_table_count(&t), N - removed);
	check_list(&t);
	for (unsigned i = 0; i < N; i++) {
		struct udp_flow_key k =
			key(htonl(0xc0a87f02 + i % GUESTS), (uint16_t)(10000 + i / GUESTS),
			    htonl(0x7f000001), (uint16_t)(i % 7 + 1));

		assert_ptr_equal(udp_flow_table_lookup(&t, &k), e[i].key.gport ? &e[i] : NULL);
	}

	/* Everything expires, oldest first. */
	{
		struct udp_flow_entry *x;
		uint64_t last = 0;
		unsigned n = 0;

		while ((x = udp_flow_table_expired(&t, 1000000, 1000))) {
			assert_true(x->last_ms >= last);
			last = x->last_ms;
			udp_flow_table_remove(&t, x);
			n++;
		}
		assert_int_equal(n, N - removed);
	}
	assert_int_equal(udp_flow_table_count(&t), 0);
	for (unsigned g = 0; g < GUESTS; g++)
		assert_int_equal(udp_flow_table_guest_flows(&t, htonl(0xc0a87f02 + g)), 0);
	udp_flow_table_fini(&t);
	free(e);
}

static void test_many_flows(void **state)
{
	(void)state;
	many_flows(8192);
}

static void test_many_flows_few_buckets(void **state)
{
	(void)state;
	many_flows(4); /* long chains: every bucket holds over a thousand flows */
}

static void visit_fill(const struct udp_flow_entry *e, struct flow_info *fi)
{
	fi->proto = "udp";
	fi->hport = e->key.dport;
}

static void visit_collect(const struct flow_info *fi, void *arg)
{
	struct flow_info *out = arg;
	unsigned n = out[0].gport++; /* out[0] counts, out[1..] are the visits */

	out[1 + n] = *fi;
}

/* /v1/flows walks the table oldest first, with ages, idle times and bytes. */
static void test_visit(void **state)
{
	struct udp_flow_table t;
	struct udp_flow_entry e[2];
	struct flow_info got[3];

	(void)state;
	memset(e, 0, sizeof(e));
	memset(got, 0, sizeof(got));
	assert_int_equal(udp_flow_table_init(&t, 8, 8, 4, 1), 0);
	udp_flow_table_visit(&t, 0, visit_fill, visit_collect, got);
	assert_int_equal(got[0].gport, 0);
	e[0].key = key(1, 1000, 9, 53);
	e[1].key = key(1, 1001, 9, 53);
	e[0].to_host_bytes = 99; /* insert clears it */
	assert_int_equal(udp_flow_table_insert(&t, &e[1], 100), 0);
	assert_int_equal(udp_flow_table_insert(&t, &e[0], 200), 0);
	assert_int_equal(e[0].to_host_bytes, 0);
	e[1].to_host_bytes = 40;
	e[1].to_guest_bytes = 60;
	udp_flow_table_touch(&t, &e[1], 250);
	udp_flow_table_visit(&t, 300, visit_fill, visit_collect, got);
	assert_int_equal(got[0].gport, 2);
	assert_int_equal(got[1].gport, 1000); /* e[0]: active at 200, older than e[1] */
	assert_int_equal(got[1].age_ms, 100);
	assert_int_equal(got[1].idle_ms, 100);
	assert_int_equal(got[2].gport, 1001);
	assert_int_equal(got[2].age_ms, 200);
	assert_int_equal(got[2].idle_ms, 50);
	assert_int_equal(got[2].to_host_bytes, 40);
	assert_int_equal(got[2].to_guest_bytes, 60);
	assert_string_equal(got[2].proto, "udp");
	assert_string_equal(got[2].kind, "outbound");
	assert_int_equal(got[2].hport, 53);
	udp_flow_table_remove(&t, &e[0]);
	udp_flow_table_remove(&t, &e[1]);
	udp_flow_table_fini(&t);
}

static void test_bucket_rounding(void **state)
{
	struct udp_flow_table t;

	(void)state;
	assert_int_equal(udp_flow_table_init(&t, 1, 1, 0, 0), 0);
	assert_int_equal(t.mask, 0);
	udp_flow_table_fini(&t);
	assert_int_equal(udp_flow_table_init(&t, 1, 1, 1000, 0), 0);
	assert_int_equal(t.mask, 1023);
	udp_flow_table_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_insert_lookup_remove),
		cmocka_unit_test(test_collisions),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_zero_caps),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_many_flows_few_buckets),
		cmocka_unit_test(test_bucket_rounding),
		cmocka_unit_test(test_visit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
