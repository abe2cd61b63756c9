// SPDX-License-Identifier: MIT
/*
 * test_lease.c - backend/lease.c: table bounds, reserved and static
 * addresses, the offer/request/release/decline life cycle, expiry of offers,
 * bindings and quarantines, pool exhaustion with thousands of clients, and a
 * /16 table.
 *
 * Addresses are host order throughout, as lease.h wants them. A table is
 * checked after the heavy tests for the invariant lease.c promises: no MAC
 * holds more than one OFFERED or BOUND slot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "lease.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define NET24 IP(192, 168, 127, 0)
#define HOUR_MS (3600ull * 1000)

static void mac_of(unsigned n, uint8_t mac[6])
{
	mac[0] = 0x02; /* locally administered */
	mac[1] = 0x00;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

/* 192.168.127.0/24 with the gateway (.1) and the host alias (.254) reserved. */
static void table_24(struct lease_table *t)
{
	assert_int_equal(lease_table_init(t, NET24, 24), 0);
	assert_int_equal(lease_reserve(t, IP(192, 168, 127, 1)), 0);
	assert_int_equal(lease_reserve(t, IP(192, 168, 127, 254)), 0);
}

static unsigned count_state(const struct lease_table *t, enum lease_state st)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < t->nslots; i++)
		n += t->slots[i].state == st;
	return n;
}

static int cmp_mac(const void *a, const void *b)
{
	return memcmp(a, b, 6);
}

/* No MAC holds two OFFERED/BOUND slots. */
static void check_one_slot_per_mac(const struct lease_table *t)
{
	uint8_t(*macs)[6] = calloc(t->nslots, 6);
	size_t n = 0;

	assert_non_null(macs);
	for (uint32_t i = 0; i < t->nslots; i++) {
		const struct lease *s = &t->slots[i];

		if (s->state == LEASE_OFFERED || s->state == LEASE_BOUND)
			memcpy(macs[n++], s->mac, 6);
	}
	qsort(macs, n, 6, cmp_mac);
	for (size_t i = 1; i < n; i++)
		assert_memory_not_equal(macs[i - 1], macs[i], 6);
	free(macs);
}

static void test_init_bounds(void **state)
{
	struct lease_table t;

	(void)state;
	assert_int_equal(lease_table_init(&t, NET24, 15), -EINVAL);
	assert_null(t.slots);
	assert_int_equal(lease_table_init(&t, NET24, 31), -EINVAL);
	assert_int_equal(lease_table_init(&t, NET24, 0), -EINVAL);
	assert_int_equal(lease_table_init(&t, NET24, 32), -EINVAL);

	assert_int_equal(lease_table_init(&t, IP(10, 1, 2, 3), 30), 0);
	assert_int_equal(t.nslots, 2);
	assert_int_equal(lease_slot_ip(&t, 0), IP(10, 1, 2, 1));
	assert_int_equal(lease_slot_ip(&t, 1), IP(10, 1, 2, 2));
	lease_table_free(&t);

	/* Host bits of @net are ignored. */
	assert_int_equal(lease_table_init(&t, IP(192, 168, 127, 77), 24), 0);
	assert_int_equal(t.net, NET24);
	assert_int_equal(t.nslots, 254);
	assert_int_equal(t.prefix, 24);
	assert_int_equal(t.nstatic, 0);
	assert_int_equal(count_state(&t, LEASE_FREE), 254);
	lease_table_free(&t);
	lease_table_free(&t); /* harmless twice */

	assert_int_equal(lease_table_init(&t, IP(10, 0, 0, 0), 16), 0);
	assert_int_equal(t.nslots, 65534);
	lease_table_free(&t);
}

static void test_slot_mapping(void **state)
{
	struct lease_table t;

	(void)state;
	assert_int_equal(lease_table_init(&t, NET24, 24), 0);
	assert_ptr_equal(lease_slot(&t, IP(192, 168, 127, 1)), &t.slots[0]);
	assert_ptr_equal(lease_slot(&t, IP(192, 168, 127, 254)), &t.slots[253]);
	assert_int_equal(lease_slot_ip(&t, 253), IP(192, 168, 127, 254));
	assert_null(lease_slot(&t, NET24));
	assert_null(lease_slot(&t, IP(192, 168, 127, 255)));
	assert_null(lease_slot(&t, IP(192, 168, 128, 2)));
	assert_null(lease_slot(&t, 0));
	assert_int_equal(lease_reserve(&t, NET24), -EINVAL);
	assert_int_equal(lease_reserve(&t, IP(192, 168, 127, 255)), -EINVAL);
	assert_int_equal(lease_reserve(&t, IP(10, 0, 0, 1)), -EINVAL);
	lease_table_free(&t);
}

static void test_reserved_never_offered(void **state)
{
	struct lease_table t;
	uint8_t mac[6];
	uint32_t ip;
	bool seen[256] = { false };

	(void)state;
	table_24(&t);
	for (unsigned i = 0; i < 252; i++) {
		mac_of(i, mac);
		/* Half of them ask for a reserved address, which is ignored. */
		assert_int_equal(lease_offer(&t, mac, i % 2 ? IP(192, 168, 127, 1) : 0, 0, &ip), 0);
		assert_int_equal(ip & 0xffffff00, NET24);
		assert_true((ip & 0xff) >= 2 && (ip & 0xff) <= 253);
		assert_false(seen[ip & 0xff]);
		seen[ip & 0xff] = true;
	}
	mac_of(252, mac);
	assert_int_equal(lease_offer(&t, mac, 0, 0, &ip), -ENOSPC);
	assert_int_equal(lease_offer(&t, mac, IP(192, 168, 127, 254), 0, &ip), -ENOSPC);
	assert_int_equal(count_state(&t, LEASE_RESERVED), 2);
	assert_int_equal(count_state(&t, LEASE_OFFERED), 252);

	/* Nobody may bind a reserved address. */
	assert_int_equal(lease_request(&t, mac, IP(192, 168, 127, 1), 0, HOUR_MS, NULL), -EINVAL);
	assert_int_equal(lease_request(&t, mac, IP(192, 168, 127, 254), 0, HOUR_MS, NULL), -EINVAL);
	check_one_slot_per_mac(&t);
	lease_table_free(&t);
}

static void test_static_lease(void **state)
{
	struct lease_table t;
	uint8_t a[6], b[6], c[6], d[6];
	uint32_t ip;

	(void)state;
	mac_of(0xa, a);
	mac_of(0xb, b);
	mac_of(0xc, c);
	mac_of(0xd, d);
	table_24(&t);
	assert_int_equal(lease_add_static(&t, a, IP(192, 168, 127, 2)), 0);
	assert_int_equal(t.nstatic, 1);

	/* Another MAC never gets it, even by asking. */
	assert_int_equal(lease_offer(&t, b, IP(192, 168, 127, 2), 0, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 3));
	assert_int_equal(lease_request(&t, b, IP(192, 168, 127, 2), 0, HOUR_MS, NULL), -EADDRINUSE);
	assert_int_equal(lease_release(&t, b, IP(192, 168, 127, 2)), -ENOENT);
	assert_int_equal(lease_decline(&t, b, IP(192, 168, 127, 2), 0), -ENOENT);

	/* Its owner gets it whatever it asks for, and cannot bind elsewhere. */
	assert_int_equal(lease_offer(&t, a, IP(192, 168, 127, 50), 0, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 2));
	assert_int_equal(lease_slot(&t, IP(192, 168, 127, 50))->state, LEASE_FREE);
	assert_int_equal(lease_request(&t, a, IP(192, 168, 127, 7), 0, HOUR_MS, NULL), -EADDRINUSE);
	assert_int_equal(lease_request(&t, a, IP(192, 168, 127, 2), 0, HOUR_MS, "vm-a"), 0);
	assert_string_equal(lease_slot(&t, IP(192, 168, 127, 2))->hostname, "vm-a");
	assert_true(lease_slot(&t, IP(192, 168, 127, 2))->is_static);
	assert_int_equal(lease_slot(&t, IP(192, 168, 127, 2))->state, LEASE_BOUND);

	/* It never expires and cannot be released or declined. */
	assert_int_equal(lease_expire(&t, UINT64_MAX), 1); /* b's offer */
	assert_int_equal(lease_find_mac(&t, a, UINT64_MAX), IP(192, 168, 127, 2));
	assert_int_equal(lease_release(&t, a, IP(192, 168, 127, 2)), -ENOENT);
	assert_int_equal(lease_decline(&t, a, IP(192, 168, 127, 2), 0), -ENOENT);
	assert_int_equal(lease_find_mac(&t, a, 0), IP(192, 168, 127, 2));

	/* Errors. */
	assert_int_equal(lease_add_static(&t, b, IP(192, 168, 127, 1)), -EINVAL);
	assert_int_equal(lease_add_static(&t, b, IP(192, 168, 127, 255)), -EINVAL);
	assert_int_equal(lease_add_static(&t, b, IP(10, 0, 0, 2)), -EINVAL);
	assert_int_equal(lease_add_static(&t, b, IP(192, 168, 127, 2)), -EEXIST);
	assert_int_equal(lease_add_static(&t, a, IP(192, 168, 127, 9)), -EEXIST);
	assert_int_equal(lease_add_static(&t, a, IP(192, 168, 127, 2)), -EEXIST);
	assert_int_equal(t.nstatic, 1);

	/* A static lease takes over an address another MAC holds... */
	assert_int_equal(lease_request(&t, c, IP(192, 168, 127, 9), 0, HOUR_MS, NULL), 0);
	assert_int_equal(lease_add_static(&t, d, IP(192, 168, 127, 9)), 0);
	assert_int_equal(lease_find_mac(&t, c, 0), 0);
	assert_int_equal(lease_request(&t, c, IP(192, 168, 127, 9), 0, HOUR_MS, NULL), -EADDRINUSE);
	/* ...and frees the dynamic lease its own MAC had. */
	assert_int_equal(lease_request(&t, b, IP(192, 168, 127, 20), 0, HOUR_MS, NULL), 0);
	assert_int_equal(lease_add_static(&t, b, IP(192, 168, 127, 21)), 0);
	assert_int_equal(lease_slot(&t, IP(192, 168, 127, 20))->state, LEASE_FREE);
	assert_int_equal(lease_find_mac(&t, b, 0), IP(192, 168, 127, 21));
	assert_int_equal(t.nstatic, 3);

	/* Reserving a static address removes the static lease. */
	assert_int_equal(lease_reserve(&t, IP(192, 168, 127, 21)), 0);
	assert_int_equal(t.nstatic, 2);
	assert_int_equal(lease_find_mac(&t, b, 0), 0);
	check_one_slot_per_mac(&t);
	lease_table_free(&t);
}

static void test_static_max(void **state)
{
	struct lease_table t;
	uint8_t mac[6];

	(void)state;
	assert_int_equal(lease_table_init(&t, IP(10, 0, 0, 0), 16), 0);
	for (unsigned i = 0; i < LEASE_STATIC_MAX; i++) {
		mac_of(i, mac);
		assert_int_equal(lease_add_static(&t, mac, IP(10, 0, 0, 2) + i), 0);
	}
	mac_of(LEASE_STATIC_MAX, mac);
	assert_int_equal(lease_add_static(&t, mac, IP(10, 0, 100, 1)), -ENOSPC);
	assert_int_equal(t.nstatic, LEASE_STATIC_MAX);
	lease_table_free(&t);
}

static void test_requested_address(void **state)
{
	struct lease_table t;
	uint8_t a[6], b[6], c[6];
	uint32_t ip;

	(void)state;
	mac_of(1, a);
	mac_of(2, b);
	mac_of(3, c);
	table_24(&t);

	/* Honoured when free. */
	assert_int_equal(lease_offer(&t, a, IP(192, 168, 127, 100), 0, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 100));
	/* Not when offered to another MAC: the lowest free one instead. */
	assert_int_equal(lease_offer(&t, b, IP(192, 168, 127, 100), 0, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 2));
	/* Not when bound to another MAC. */
	assert_int_equal(lease_request(&t, a, IP(192, 168, 127, 100), 0, HOUR_MS, NULL), 0);
	assert_int_equal(lease_offer(&t, c, IP(192, 168, 127, 100), 0, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 3));
	/* Outside the subnet, network, broadcast: ignored. */
	assert_int_equal(lease_offer(&t, c, IP(10, 0, 0, 5), 0, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 3));
	lease_table_free(&t);

	table_24(&t);
	mac_of(4, c);
	assert_int_equal(lease_offer(&t, c, IP(192, 168, 127, 255), 0, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 2));
	/* An offer to another MAC that has run out may be taken. */
	assert_int_equal(lease_offer(&t, a, IP(192, 168, 127, 60), 0, &ip), 0);
	assert_int_equal(lease_offer(&t, b, IP(192, 168, 127, 60), LEASE_OFFER_HOLD_MS, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 60));
	/* A MAC that holds an offer keeps it, whatever it asks for next. */
	assert_int_equal(lease_offer(&t, b, IP(192, 168, 127, 70), LEASE_OFFER_HOLD_MS, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 60));
	check_one_slot_per_mac(&t);
	lease_table_free(&t);
}

static void test_request(void **state)
{
	struct lease_table t;
	uint8_t a[6], b[6];
	uint32_t ip;
	char longname[100];
	struct lease *s;

	(void)state;
	mac_of(1, a);
	mac_of(2, b);
	table_24(&t);

	assert_int_equal(lease_offer(&t, a, 0, 0, &ip), 0);
	assert_int_equal(lease_request(&t, b, ip, 0, HOUR_MS, NULL), -EADDRINUSE);
	assert_int_equal(lease_request(&t, a, ip, 1000, HOUR_MS, "vm-a"), 0);
	s = lease_slot(&t, ip);
	assert_int_equal(s->state, LEASE_BOUND);
	assert_false(s->is_static);
	assert_memory_equal(s->mac, a, 6);
	assert_int_equal(s->expires_ms, 1000 + HOUR_MS);
	assert_string_equal(s->hostname, "vm-a");
	assert_int_equal(lease_find_mac(&t, a, 1000), ip);
	assert_int_equal(lease_find_mac(&t, b, 1000), 0);

	/* Another MAC's bound address. */
	assert_int_equal(lease_request(&t, b, ip, 2000, HOUR_MS, NULL), -EADDRINUSE);
	/* Not a host of the subnet, or reserved. */
	assert_int_equal(lease_request(&t, b, IP(10, 0, 0, 2), 0, HOUR_MS, NULL), -EINVAL);
	assert_int_equal(lease_request(&t, b, NET24, 0, HOUR_MS, NULL), -EINVAL);
	assert_int_equal(lease_request(&t, b, IP(192, 168, 127, 255), 0, HOUR_MS, NULL), -EINVAL);
	assert_int_equal(lease_request(&t, b, IP(192, 168, 127, 1), 0, HOUR_MS, NULL), -EINVAL);

	/* Without an offer first (INIT-REBOOT): a free address is fine. */
	assert_int_equal(lease_request(&t, b, IP(192, 168, 127, 77), 0, HOUR_MS, NULL), 0);
	assert_string_equal(lease_slot(&t, IP(192, 168, 127, 77))->hostname, "");

	/* Renewal extends; a long hostname is cut to 63 bytes. */
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_int_equal(lease_request(&t, a, ip, 5000, HOUR_MS, longname), 0);
	assert_int_equal(s->expires_ms, 5000 + HOUR_MS);
	assert_int_equal(strlen(s->hostname), LEASE_HOSTNAME_MAX);

	/* A huge lease time saturates instead of wrapping. */
	assert_int_equal(lease_request(&t, a, ip, 5000, UINT64_MAX, NULL), 0);
	assert_int_equal(s->expires_ms, UINT64_MAX);
	assert_int_equal(lease_find_mac(&t, a, UINT64_MAX - 1), ip);
	lease_table_free(&t);
}

static void test_release(void **state)
{
	struct lease_table t;
	uint8_t a[6], b[6];
	uint32_t ip, ip2;

	(void)state;
	mac_of(1, a);
	mac_of(2, b);
	table_24(&t);
	assert_int_equal(lease_offer(&t, a, 0, 0, &ip), 0);
	assert_int_equal(lease_release(&t, a, ip), -ENOENT); /* only offered */
	assert_int_equal(lease_request(&t, a, ip, 0, HOUR_MS, "x"), 0);
	assert_int_equal(lease_release(&t, b, ip), -ENOENT);
	assert_int_equal(lease_release(&t, a, IP(10, 0, 0, 1)), -ENOENT);
	assert_int_equal(lease_release(&t, a, ip), 0);
	assert_int_equal(lease_slot(&t, ip)->state, LEASE_FREE);
	assert_string_equal(lease_slot(&t, ip)->hostname, "");
	assert_int_equal(lease_find_mac(&t, a, 0), 0);
	assert_int_equal(lease_release(&t, a, ip), -ENOENT);

	/* The address is at once available to others. */
	assert_int_equal(lease_offer(&t, b, 0, 0, &ip2), 0);
	assert_int_equal(ip2, ip);
	lease_table_free(&t);
}

static void test_decline(void **state)
{
	struct lease_table t;
	uint8_t a[6], b[6];
	uint32_t ip, ip2;
	const uint64_t t0 = 5000;

	(void)state;
	mac_of(1, a);
	mac_of(2, b);
	table_24(&t);
	assert_int_equal(lease_offer(&t, a, 0, 0, &ip), 0);
	assert_int_equal(lease_request(&t, a, ip, 0, HOUR_MS, NULL), 0);
	assert_int_equal(lease_decline(&t, b, ip, t0), -ENOENT);
	assert_int_equal(lease_decline(&t, a, IP(192, 168, 127, 200), t0), -ENOENT);
	assert_int_equal(lease_decline(&t, a, ip, t0), 0);
	assert_int_equal(lease_slot(&t, ip)->state, LEASE_DECLINED);
	assert_int_equal(lease_find_mac(&t, a, t0), 0);

	/* Quarantined: nobody gets it, the decliner included. */
	assert_int_equal(lease_offer(&t, a, ip, t0, &ip2), 0);
	assert_int_not_equal(ip2, ip);
	assert_int_equal(lease_offer(&t, b, ip, t0, &ip2), 0);
	assert_int_not_equal(ip2, ip);
	assert_int_equal(lease_request(&t, b, ip, t0, HOUR_MS, NULL), -EADDRINUSE);
	assert_int_equal(lease_request(&t, a, ip, t0, HOUR_MS, NULL), -EADDRINUSE);
	assert_int_equal(lease_release(&t, a, ip), -ENOENT);

	/* Until the quarantine ends. */
	assert_int_equal(lease_expire(&t, t0 + LEASE_DECLINE_HOLD_MS - 1), 2); /* the two offers */
	assert_int_equal(lease_slot(&t, ip)->state, LEASE_DECLINED);
	assert_int_equal(lease_expire(&t, t0 + LEASE_DECLINE_HOLD_MS), 1);
	assert_int_equal(lease_slot(&t, ip)->state, LEASE_FREE);
	assert_int_equal(lease_offer(&t, b, 0, t0 + LEASE_DECLINE_HOLD_MS, &ip2), 0);
	assert_int_equal(ip2, ip);

	/* An offer can be declined as well. */
	assert_int_equal(lease_decline(&t, b, ip, t0 + LEASE_DECLINE_HOLD_MS), 0);
	assert_int_equal(lease_slot(&t, ip)->state, LEASE_DECLINED);
	lease_table_free(&t);
}

static void test_bound_expiry(void **state)
{
	struct lease_table t;
	uint8_t a[6], b[6];
	uint32_t ip, ip2;
	const uint64_t t0 = 1000, lease_ms = 10000;

	(void)state;
	mac_of(1, a);
	mac_of(2, b);
	table_24(&t);
	assert_int_equal(lease_offer(&t, a, 0, t0, &ip), 0);
	assert_int_equal(lease_request(&t, a, ip, t0, lease_ms, NULL), 0);
	assert_int_equal(lease_find_mac(&t, a, t0 + lease_ms - 1), ip);
	assert_int_equal(lease_expire(&t, t0 + lease_ms - 1), 0);
	assert_int_equal(lease_request(&t, b, ip, t0 + lease_ms - 1, lease_ms, NULL), -EADDRINUSE);
	assert_int_equal(lease_find_mac(&t, a, t0 + lease_ms), 0);

	/* Past its time the address is free, swept or not. */
	assert_int_equal(lease_offer(&t, b, ip, t0 + lease_ms, &ip2), 0);
	assert_int_equal(ip2, ip);
	assert_int_equal(lease_request(&t, b, ip, t0 + lease_ms, lease_ms, NULL), 0);
	assert_int_equal(lease_find_mac(&t, b, t0 + lease_ms), ip);
	assert_int_equal(lease_expire(&t, t0 + 2 * lease_ms), 1);
	assert_int_equal(count_state(&t, LEASE_FREE), 252);

	/* A client back after its lease ran out gets its old address again. */
	assert_int_equal(lease_request(&t, a, IP(192, 168, 127, 40), 0, lease_ms, NULL), 0);
	assert_int_equal(lease_offer(&t, a, 0, 5 * lease_ms, &ip2), 0);
	assert_int_equal(ip2, IP(192, 168, 127, 40));
	assert_int_equal(lease_slot(&t, ip2)->state, LEASE_OFFERED);
	lease_table_free(&t);
}

static void test_offer_hold(void **state)
{
	struct lease_table t;
	uint8_t a[6], b[6];
	uint32_t ip, ip2;

	(void)state;
	mac_of(1, a);
	mac_of(2, b);
	table_24(&t);
	assert_int_equal(lease_offer(&t, a, 0, 0, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 2));
	assert_int_equal(lease_slot(&t, ip)->expires_ms, LEASE_OFFER_HOLD_MS);
	assert_int_equal(lease_find_mac(&t, a, 0), 0); /* offered is not bound */

	assert_int_equal(lease_offer(&t, b, 0, LEASE_OFFER_HOLD_MS - 1, &ip2), 0);
	assert_int_equal(ip2, IP(192, 168, 127, 3));
	assert_int_equal(lease_release(&t, b, ip2), -ENOENT);
	lease_table_free(&t);

	table_24(&t);
	assert_int_equal(lease_offer(&t, a, 0, 0, &ip), 0);
	assert_int_equal(lease_expire(&t, LEASE_OFFER_HOLD_MS - 1), 0);
	assert_int_equal(lease_offer(&t, b, 0, LEASE_OFFER_HOLD_MS, &ip2), 0);
	assert_int_equal(ip2, ip);
	assert_int_equal(lease_request(&t, a, ip, LEASE_OFFER_HOLD_MS, HOUR_MS, NULL), -EADDRINUSE);
	assert_int_equal(lease_expire(&t, 2 * LEASE_OFFER_HOLD_MS), 1);
	assert_int_equal(count_state(&t, LEASE_FREE), 252);

	/* Repeated DISCOVERs refresh one offer, they do not take more. */
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(lease_offer(&t, a, 0, (uint64_t)i * 1000, &ip), 0);
		assert_int_equal(ip, IP(192, 168, 127, 2));
	}
	assert_int_equal(count_state(&t, LEASE_OFFERED), 1);
	assert_int_equal(lease_slot(&t, ip)->expires_ms, 999000 + LEASE_OFFER_HOLD_MS);
	lease_table_free(&t);
}

static void test_mac_moves(void **state)
{
	struct lease_table t;
	uint8_t a[6];
	uint32_t ip;

	(void)state;
	mac_of(1, a);
	table_24(&t);
	assert_int_equal(lease_offer(&t, a, 0, 0, &ip), 0);
	assert_int_equal(lease_request(&t, a, ip, 0, HOUR_MS, "vm"), 0);
	assert_int_equal(lease_request(&t, a, IP(192, 168, 127, 50), 10, HOUR_MS, "vm"), 0);
	assert_int_equal(lease_slot(&t, ip)->state, LEASE_FREE);
	assert_int_equal(lease_find_mac(&t, a, 10), IP(192, 168, 127, 50));

	/* A bound client's DISCOVER is answered with its binding, unchanged. */
	assert_int_equal(lease_offer(&t, a, IP(192, 168, 127, 60), 20, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 50));
	assert_int_equal(lease_slot(&t, ip)->state, LEASE_BOUND);
	assert_int_equal(lease_slot(&t, ip)->expires_ms, 10 + HOUR_MS);

	/* Moving away from an offer frees the offer. */
	assert_int_equal(lease_release(&t, a, ip), 0);
	assert_int_equal(lease_offer(&t, a, 0, 30, &ip), 0);
	assert_int_equal(ip, IP(192, 168, 127, 2));
	assert_int_equal(lease_request(&t, a, IP(192, 168, 127, 99), 40, HOUR_MS, NULL), 0);
	assert_int_equal(lease_slot(&t, ip)->state, LEASE_FREE);
	assert_int_equal(count_state(&t, LEASE_FREE), 251);
	check_one_slot_per_mac(&t);
	lease_table_free(&t);
}

static void test_many_macs(void **state)
{
	struct lease_table t;
	uint8_t mac[6];
	uint32_t ip;
	unsigned got = 0, full = 0;

	(void)state;
	table_24(&t);
	/* 10000 MACs at once: 252 addresses, then -ENOSPC for everyone else. */
	for (unsigned i = 0; i < 10000; i++) {
		int r;

		mac_of(i, mac);
		r = lease_offer(&t, mac, 0, 0, &ip);
		if (r == 0) {
			assert_int_equal(lease_request(&t, mac, ip, 0, HOUR_MS, "h"), 0);
			got++;
		} else {
			assert_int_equal(r, -ENOSPC);
			full++;
		}
	}
	assert_int_equal(got, 252);
	assert_int_equal(full, 10000 - 252);
	assert_int_equal(count_state(&t, LEASE_BOUND), 252);
	assert_int_equal(count_state(&t, LEASE_RESERVED), 2);
	check_one_slot_per_mac(&t);

	/* Everything comes back when the leases run out. */
	assert_int_equal(lease_expire(&t, HOUR_MS), 252);
	assert_int_equal(count_state(&t, LEASE_FREE), 252);

	/* Churn: short leases, a new MAC every 100 ms, some release early. */
	for (unsigned i = 0; i < 10000; i++) {
		uint64_t now = HOUR_MS + (uint64_t)i * 100;

		mac_of(100000 + i, mac);
		assert_int_equal(lease_offer(&t, mac, 0, now, &ip), 0);
		assert_int_equal(lease_request(&t, mac, ip, now, 20000, NULL), 0);
		if (i % 3 == 0)
			assert_int_equal(lease_release(&t, mac, ip), 0);
		if (i % 50 == 0)
			lease_expire(&t, now);
	}
	check_one_slot_per_mac(&t);
	assert_true(count_state(&t, LEASE_BOUND) <= 252);
	lease_expire(&t, UINT64_MAX);
	assert_int_equal(count_state(&t, LEASE_FREE), 252);
	assert_int_equal(count_state(&t, LEASE_RESERVED), 2);
	lease_table_free(&t);
}

static void test_slash16(void **state)
{
	struct lease_table t;
	uint8_t mac[6];
	uint32_t ip;

	(void)state;
	assert_int_equal(lease_table_init(&t, IP(10, 0, 0, 0), 16), 0);
	assert_int_equal(t.nslots, 65534);
	assert_int_equal(lease_reserve(&t, IP(10, 0, 0, 1)), 0);
	assert_int_equal(lease_reserve(&t, IP(10, 0, 255, 254)), 0);
	assert_ptr_equal(lease_slot(&t, IP(10, 0, 255, 254)), &t.slots[65533]);
	assert_null(lease_slot(&t, IP(10, 0, 255, 255)));
	assert_null(lease_slot(&t, IP(10, 1, 0, 1)));

	mac_of(1, mac);
	assert_int_equal(lease_offer(&t, mac, 0, 0, &ip), 0);
	assert_int_equal(ip, IP(10, 0, 0, 2));
	mac_of(2, mac);
	assert_int_equal(lease_offer(&t, mac, IP(10, 0, 200, 7), 0, &ip), 0);
	assert_int_equal(ip, IP(10, 0, 200, 7));
	assert_int_equal(lease_request(&t, mac, ip, 0, HOUR_MS, NULL), 0);
	mac_of(3, mac);
	assert_int_equal(lease_request(&t, mac, IP(10, 0, 255, 253), 0, HOUR_MS, NULL), 0);
	assert_int_equal(lease_find_mac(&t, mac, 0), IP(10, 0, 255, 253));
	assert_int_equal(lease_request(&t, mac, IP(10, 0, 255, 255), 0, HOUR_MS, NULL), -EINVAL);
	assert_int_equal(lease_request(&t, mac, IP(10, 0, 255, 254), 0, HOUR_MS, NULL), -EINVAL);
	assert_int_equal(lease_request(&t, mac, IP(10, 1, 0, 5), 0, HOUR_MS, NULL), -EINVAL);

	/* A thousand clients across the table. */
	for (unsigned i = 0; i < 1000; i++) {
		mac_of(1000 + i, mac);
		assert_int_equal(lease_offer(&t, mac, IP(10, 0, 0, 0) + 64 * i + 5, 0, &ip), 0);
		assert_int_equal(ip, IP(10, 0, 0, 0) + 64 * i + 5);
		assert_int_equal(lease_request(&t, mac, ip, 0, HOUR_MS, NULL), 0);
	}
	assert_int_equal(count_state(&t, LEASE_BOUND), 1002);
	assert_int_equal(lease_expire(&t, HOUR_MS), 1003);
	lease_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_bounds),
		cmocka_unit_test(test_slot_mapping),
		cmocka_unit_test(test_reserved_never_offered),
		cmocka_unit_test(test_static_lease),
		cmocka_unit_test(test_static_max),
		cmocka_unit_test(test_requested_address),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_decline),
		cmocka_unit_test(test_bound_expiry),
		cmocka_unit_test(test_offer_hold),
		cmocka_unit_test(test_mac_moves),
		cmocka_unit_test(test_many_macs),
		cmocka_unit_test(test_slash16),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
