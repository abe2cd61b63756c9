// SPDX-License-Identifier: MIT
/*
 * test_switch.c - backend/switch.c: learning, forwarding, aging, port removal,
 * table bounds and the counters the API reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "switch.h"

#include <errno.h>
#include <string.h>

static const uint8_t gw[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* What the switch delivered, per port. */
static unsigned delivered[SWITCH_PORTS_MAX];
static unsigned learned_calls;
static int refuse_port = -1;

static int deliver(void *ctx, unsigned port, const uint8_t *frame, size_t len)
{
	(void)ctx;
	(void)frame;
	(void)len;
	if ((int)port == refuse_port)
		return -ENOBUFS;
	delivered[port]++;
	return 0;
}

static void learned(void *ctx, unsigned port, const uint8_t mac[6])
{
	(void)ctx;
	(void)port;
	(void)mac;
	learned_calls++;
}

static struct vswitch sw;

static int setup(void **state)
{
	(void)state;
	memset(delivered, 0, sizeof(delivered));
	learned_calls = 0;
	refuse_port = -1;
	switch_init(&sw, gw, deliver, learned, NULL);
	switch_port_add_gateway(&sw);
	return 0;
}

static void mac_n(uint8_t mac[6], unsigned n)
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(n >> 24);
	mac[3] = (uint8_t)(n >> 16);
	mac[4] = (uint8_t)(n >> 8);
	mac[5] = (uint8_t)n;
}

static void frame(uint8_t f[64], const uint8_t dst[6], const uint8_t src[6])
{
	memset(f, 0, 64);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
}

static void test_broadcast_floods_all_but_sender(void **state)
{
	uint8_t f[64], a[6];
	int p1 = switch_port_add(&sw), p2 = switch_port_add(&sw), p3 = switch_port_add(&sw);

	(void)state;
	mac_n(a, 1);
	frame(f, bcast, a);
	switch_input(&sw, (unsigned)p1, f, sizeof(f), 0);
	assert_int_equal(delivered[p1], 0);
	assert_int_equal(delivered[p2], 1);
	assert_int_equal(delivered[p3], 1);
	assert_int_equal(delivered[SWITCH_GATEWAY_PORT], 1);
	assert_int_equal(switch_lookup(&sw, a), p1);
	assert_int_equal(learned_calls, 1);
}

static void test_unicast_after_learning(void **state)
{
	uint8_t f[64], a[6], b[6];
	int p1 = switch_port_add(&sw), p2 = switch_port_add(&sw);

	(void)state;
	mac_n(a, 1);
	mac_n(b, 2);
	frame(f, a, b);
	/* a unknown yet: dropped and counted */
	switch_input(&sw, (unsigned)p2, f, sizeof(f), 0);
	assert_int_equal(delivered[p1], 0);
	assert_int_equal(sw.stats.unknown_unicast, 1);
	frame(f, bcast, a);
	switch_input(&sw, (unsigned)p1, f, sizeof(f), 0);
	frame(f, a, b);
	switch_input(&sw, (unsigned)p2, f, sizeof(f), 0);
	assert_int_equal(delivered[p1], 1);
	assert_int_equal(sw.port_stats[p1].tx_frames, 1);
	assert_int_equal(sw.port_stats[p2].rx_frames, 2);
	assert_int_equal(sw.stats.vm_rx_bytes, 3 * 64);
}

static void test_gateway_mac_goes_to_gateway(void **state)
{
	uint8_t f[64], a[6];
	int p1 = switch_port_add(&sw);

	(void)state;
	mac_n(a, 1);
	frame(f, gw, a);
	switch_input(&sw, (unsigned)p1, f, sizeof(f), 0);
	assert_int_equal(delivered[SWITCH_GATEWAY_PORT], 1);
	/* the gateway's own frames are not learnt, and reach the VM */
	frame(f, a, gw);
	switch_input(&sw, SWITCH_GATEWAY_PORT, f, sizeof(f), 0);
	assert_int_equal(delivered[p1], 1);
	assert_int_equal(switch_lookup(&sw, gw), -ENOENT);
}

static void test_hairpin_and_group_source(void **state)
{
	uint8_t f[64], a[6], grp[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	int p1 = switch_port_add(&sw);

	(void)state;
	mac_n(a, 1);
	frame(f, bcast, a);
	switch_input(&sw, (unsigned)p1, f, sizeof(f), 0);
	frame(f, a, a);
	switch_input(&sw, (unsigned)p1, f, sizeof(f), 0);
	assert_int_equal(sw.stats.hairpin, 1);
	frame(f, bcast, grp);
	switch_input(&sw, (unsigned)p1, f, sizeof(f), 0);
	assert_int_equal(switch_lookup(&sw, grp), -ENOENT);
}

static void test_move_and_remove(void **state)
{
	uint8_t f[64], a[6];
	int p1 = switch_port_add(&sw), p2 = switch_port_add(&sw);

	(void)state;
	mac_n(a, 7);
	frame(f, bcast, a);
	switch_input(&sw, (unsigned)p1, f, sizeof(f), 0);
	switch_input(&sw, (unsigned)p2, f, sizeof(f), 0);
	assert_int_equal(switch_lookup(&sw, a), p2);
	assert_int_equal(sw.stats.moves, 1);
	switch_port_remove(&sw, (unsigned)p2);
	assert_int_equal(switch_lookup(&sw, a), -ENOENT);
	assert_int_equal(sw.entries, 0);
	/* a removed port gets nothing and its number is reused */
	assert_int_equal(switch_port_add(&sw), p2);
}

static void test_aging(void **state)
{
	uint8_t f[64], a[6], b[6];
	int p1 = switch_port_add(&sw);

	(void)state;
	mac_n(a, 1);
	mac_n(b, 2);
	frame(f, bcast, a);
	switch_input(&sw, (unsigned)p1, f, sizeof(f), 1000);
	frame(f, bcast, b);
	switch_input(&sw, (unsigned)p1, f, sizeof(f), 1000 + SWITCH_MAC_AGE_MS);
	assert_int_equal(switch_age(&sw, 1001 + SWITCH_MAC_AGE_MS), 1);
	assert_int_equal(switch_lookup(&sw, a), -ENOENT);
	assert_int_equal(switch_lookup(&sw, b), p1);
}

static void test_table_bound_and_integrity(void **state)
{
	uint8_t f[64], m[6];
	int p1 = switch_port_add(&sw), p2 = switch_port_add(&sw);

	(void)state;
	for (unsigned i = 0; i < SWITCH_MACS_MAX + 100; i++) {
		mac_n(m, i);
		frame(f, bcast, m);
		switch_input(&sw, (unsigned)(i % 2 ? p2 : p1), f, sizeof(f), 0);
	}
	assert_int_equal(sw.entries, SWITCH_MACS_MAX);
	assert_int_equal(sw.stats.table_full, 100);
	/* remove one port's half; every other entry must still be found
	 * (backward-shift deletion keeps probe runs intact) */
	switch_port_remove(&sw, (unsigned)p1);
	for (unsigned i = 0; i < SWITCH_MACS_MAX; i++) {
		mac_n(m, i);
		assert_int_equal(switch_lookup(&sw, m), i % 2 ? p2 : -ENOENT);
	}
	assert_int_equal(sw.entries, SWITCH_MACS_MAX / 2);
}

static void test_ports_exhausted_and_drops(void **state)
{
	uint8_t f[64], a[6];
	int p;

	(void)state;
	for (unsigned i = 1; i < SWITCH_PORTS_MAX; i++)
		assert_true(switch_port_add(&sw) > 0);
	assert_int_equal(switch_port_add(&sw), -ENOSPC);
	assert_int_equal(switch_port_count(&sw), SWITCH_PORTS_MAX);
	refuse_port = 2;
	mac_n(a, 1);
	frame(f, bcast, a);
	switch_input(&sw, 1, f, sizeof(f), 0);
	assert_int_equal(sw.port_stats[2].tx_drops, 1);
	assert_int_equal(sw.stats.vm_tx_drops, 1);
	p = 3;
	assert_int_equal(sw.port_stats[p].tx_frames, 1);
}

static void test_runt_and_inactive_port_ignored(void **state)
{
	uint8_t f[64], a[6];

	(void)state;
	mac_n(a, 1);
	frame(f, bcast, a);
	switch_input(&sw, 5, f, sizeof(f), 0); /* not added */
	switch_input(&sw, SWITCH_PORTS_MAX + 3, f, sizeof(f), 0);
	assert_int_equal(sw.stats.vm_rx_frames, 0);
	assert_int_equal(switch_port_add(&sw), 1);
	switch_input(&sw, 1, f, 13, 0);
	assert_int_equal(sw.stats.vm_rx_frames, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_broadcast_floods_all_but_sender, setup),
		cmocka_unit_test_setup(test_unicast_after_learning, setup),
		cmocka_unit_test_setup(test_gateway_mac_goes_to_gateway, setup),
		cmocka_unit_test_setup(test_hairpin_and_group_source, setup),
		cmocka_unit_test_setup(test_move_and_remove, setup),
		cmocka_unit_test_setup(test_aging, setup),
		cmocka_unit_test_setup(test_table_bound_and_integrity, setup),
		cmocka_unit_test_setup(test_ports_exhausted_and_drops, setup),
		cmocka_unit_test_setup(test_runt_and_inactive_port_ignored, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
