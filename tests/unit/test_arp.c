// SPDX-License-Identifier: MIT
/*
 * test_arp.c - backend/arp.c: the ARP parser and reply builder, the guests'
 * neighbour table (learning, refresh, what is never learnt, eviction of the
 * stalest entry when full) and arp_input() answering for the gateway's
 * addresses only.
 *
 * arp_input() reads the daemon's global `vg` (defined in main.c, which the
 * test does not link) and answers through gateway_output(), which hands the
 * frame to vg->sw as the gateway's port. The test defines `vg`, gives it a
 * hand-filled config and a real switch whose deliver callback keeps the
 * last frame per port, so a reply is checked as the guest would see it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "arp.h"
#include "gateway.h"
#include "lwip_glue.h"
#include "net.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct vgate *vg;

static const uint8_t gw_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
static const uint8_t guest_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* The last frame the switch delivered, and to which port. */
static uint8_t last[128];
static size_t last_len;
static int last_port = -1;
static unsigned deliveries;
static int guest_port;

static int deliver(void *ctx, unsigned port, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (port == SWITCH_GATEWAY_PORT)
		return 0;
	assert_true(len <= sizeof(last));
	memcpy(last, frame, len);
	last_len = len;
	last_port = (int)port;
	deliveries++;
	return 0;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void msleep(unsigned ms)
{
	struct timespec ts = { 0, (long)ms * 1000000 };

	nanosleep(&ts, NULL);
}

/* An ARP request from @sha/@spa asking for @tpa. */
static void make_arp(uint8_t p[ARP_PKT_LEN], uint16_t op, const uint8_t sha[6], uint32_t spa,
		     uint32_t tpa)
{
	wr16(p, 1);
	wr16(p + 2, ETHERTYPE_IPV4);
	p[4] = 6;
	p[5] = 4;
	wr16(p + 6, op);
	memcpy(p + 8, sha, 6);
	memcpy(p + 14, &spa, 4);
	memset(p + 18, 0, 6);
	memcpy(p + 24, &tpa, 4);
}

static int setup(void **state)
{
	uint8_t f[60] = { 0 };

	(void)state;
	vg = calloc(1, sizeof(*vg));
	assert_non_null(vg);
	vg->cfg.gateway_ip = ip4("192.168.127.1");
	vg->cfg.host_ip = ip4("192.168.127.254");
	vg->cfg.vips[0] = ip4("192.168.127.253");
	vg->cfg.nvips = 1;
	vg->cfg.device_ip = ip4("192.168.127.2");
	memcpy(vg->cfg.gateway_mac, gw_mac, 6);
	switch_init(&vg->sw, gw_mac, deliver, NULL, NULL);
	switch_port_add_gateway(&vg->sw);
	guest_port = switch_port_add(&vg->sw);
	assert_true(guest_port > 0);
	/* the switch learns where the guest is from one broadcast */
	memcpy(f, bcast, 6);
	memcpy(f + 6, guest_mac, 6);
	wr16(f + 12, ETHERTYPE_ARP);
	switch_input(&vg->sw, (unsigned)guest_port, f, sizeof(f), 0);
	memset(&gw_stats, 0, sizeof(gw_stats));
	memset(last, 0, sizeof(last));
	last_len = 0;
	last_port = -1;
	deliveries = 0;
	arp_reset();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	arp_reset();
	free(vg);
	vg = NULL;
	return 0;
}

static void test_parse_request(void **state)
{
	uint8_t p[ARP_PKT_LEN];
	struct arp_packet a;

	(void)state;
	make_arp(p, 1, guest_mac, ip4("192.168.127.2"), ip4("192.168.127.1"));
	memset(p + 18, 0x77, 6);
	assert_int_equal(arp_parse(p, sizeof(p), &a), 0);
	assert_int_equal(a.op, 1);
	assert_memory_equal(a.sha, guest_mac, 6);
	assert_int_equal(a.spa, ip4("192.168.127.2"));
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(a.tha[i], 0x77);
	assert_int_equal(a.tpa, ip4("192.168.127.1"));
}

static void test_parse_padded_and_other_ops(void **state)
{
	uint8_t p[46] = { 0 }; /* the payload of a minimum-size Ethernet frame */
	struct arp_packet a;

	(void)state;
	make_arp(p, 2, guest_mac, ip4("10.0.0.2"), ip4("10.0.0.1"));
	assert_int_equal(arp_parse(p, sizeof(p), &a), 0);
	assert_int_equal(a.op, 2);
	/* the parser leaves the opcode to its caller */
	wr16(p + 6, 9);
	assert_int_equal(arp_parse(p, sizeof(p), &a), 0);
	assert_int_equal(a.op, 9);
}

static void test_parse_truncated(void **state)
{
	uint8_t p[ARP_PKT_LEN];
	struct arp_packet a;

	(void)state;
	make_arp(p, 1, guest_mac, ip4("192.168.127.2"), ip4("192.168.127.1"));
	for (size_t len = 0; len < ARP_PKT_LEN; len++) {
		uint8_t *b = malloc(len ? len : 1);

		assert_non_null(b);
		memcpy(b, p, len);
		assert_int_equal(arp_parse(b, len, &a), -EBADMSG);
		free(b);
	}
}

static void test_parse_wrong_types(void **state)
{
	uint8_t p[ARP_PKT_LEN];
	struct arp_packet a;

	(void)state;
	make_arp(p, 1, guest_mac, ip4("192.168.127.2"), ip4("192.168.127.1"));
	wr16(p, 6); /* IEEE 802 */
	assert_int_equal(arp_parse(p, sizeof(p), &a), -EBADMSG);
	wr16(p, 0x0100); /* Ethernet, byte-swapped */
	assert_int_equal(arp_parse(p, sizeof(p), &a), -EBADMSG);
	wr16(p, 1);
	wr16(p + 2, ETHERTYPE_IPV6);
	assert_int_equal(arp_parse(p, sizeof(p), &a), -EBADMSG);
	wr16(p + 2, ETHERTYPE_IPV4);
	p[4] = 8;
	assert_int_equal(arp_parse(p, sizeof(p), &a), -EBADMSG);
	p[4] = 6;
	p[5] = 16;
	assert_int_equal(arp_parse(p, sizeof(p), &a), -EBADMSG);
	p[5] = 4;
	assert_int_equal(arp_parse(p, sizeof(p), &a), 0);
}

static void test_build_reply_exact(void **state)
{
	/* Ethernet: to the asker, from us, ARP */
	static const uint8_t eth[14] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0x5a,
					 0x94, 0xef, 0xe4, 0x0c, 0xdd, 0x08, 0x06 };
	/* Ethernet/IPv4, reply */
	static const uint8_t hdr[8] = { 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02 };
	/* sender: us, as the address asked for */
	static const uint8_t sender[10] = {
		0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd, 192, 168, 127, 254
	};
	/* target: the asker */
	static const uint8_t target[10] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 192, 168, 127, 7 };
	uint8_t want[42];
	const uint8_t asker[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x02 };
	struct arp_packet req = { .op = 1 };
	uint8_t out[64];

	(void)state;
	memcpy(want, eth, 14);
	memcpy(want + 14, hdr, 8);
	memcpy(want + 22, sender, 10);
	memcpy(want + 32, target, 10);
	memcpy(req.sha, asker, 6);
	memset(req.tha, 0x33, 6);
	req.spa = ip4("192.168.127.7");
	req.tpa = ip4("192.168.127.254");
	memset(out, 0xee, sizeof(out));
	assert_int_equal(arp_build_reply(out, sizeof(out), gw_mac, req.tpa, &req), 42);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(out[42], 0xee);
	/* exactly 42 bytes fit; 41 do not, and nothing is written */
	memset(out, 0xee, sizeof(out));
	assert_int_equal(arp_build_reply(out, 41, gw_mac, req.tpa, &req), -ENOSPC);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xee);
	assert_int_equal(arp_build_reply(out, 42, gw_mac, req.tpa, &req), 42);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(arp_build_reply(out, 0, gw_mac, req.tpa, &req), -ENOSPC);
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

static uint32_t ip_n(unsigned n)
{
	return htonl(0x0a000000u + n);
}

static void test_learn_lookup_update(void **state)
{
	uint8_t m[6], got[6];

	(void)state;
	assert_int_equal(arp_lookup(ip4("192.168.127.2"), got), -ENOENT);
	arp_learn(ip4("192.168.127.2"), guest_mac);
	assert_int_equal(arp_lookup(ip4("192.168.127.2"), got), 0);
	assert_memory_equal(got, guest_mac, 6);
	/* the guest changed its MAC: the newer one wins */
	mac_n(m, 7);
	arp_learn(ip4("192.168.127.2"), m);
	assert_int_equal(arp_lookup(ip4("192.168.127.2"), got), 0);
	assert_memory_equal(got, m, 6);
	assert_int_equal(arp_lookup(ip4("192.168.127.3"), got), -ENOENT);
	arp_reset();
	assert_int_equal(arp_lookup(ip4("192.168.127.2"), got), -ENOENT);
}

static void test_learn_ignores_unspecified_and_group(void **state)
{
	const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
	uint8_t got[6];

	(void)state;
	arp_learn(0, guest_mac); /* an ARP probe's sender */
	assert_int_equal(arp_lookup(0, got), -ENOENT);
	arp_learn(ip4("192.168.127.9"), bcast);
	arp_learn(ip4("192.168.127.9"), mcast);
	assert_int_equal(arp_lookup(ip4("192.168.127.9"), got), -ENOENT);
	/* nor does a group MAC overwrite a known unicast one */
	arp_learn(ip4("192.168.127.9"), guest_mac);
	arp_learn(ip4("192.168.127.9"), mcast);
	assert_int_equal(arp_lookup(ip4("192.168.127.9"), got), 0);
	assert_memory_equal(got, guest_mac, 6);
}

static void test_full_table_evicts_stalest(void **state)
{
	uint8_t m[6], got[6];

	(void)state;
	for (unsigned i = 0; i < ARP_NEIGH_MAX; i++) {
		mac_n(m, i);
		arp_learn(ip_n(i), m);
	}
	for (unsigned i = 0; i < ARP_NEIGH_MAX; i++) {
		assert_int_equal(arp_lookup(ip_n(i), got), 0);
		mac_n(m, i);
		assert_memory_equal(got, m, 6);
	}
	msleep(3);
	mac_n(m, ARP_NEIGH_MAX);
	arp_learn(ip_n(ARP_NEIGH_MAX), m);
	assert_int_equal(arp_lookup(ip_n(ARP_NEIGH_MAX), got), 0);
	assert_memory_equal(got, m, 6);
	/* the first learnt went; the rest stayed */
	assert_int_equal(arp_lookup(ip_n(0), got), -ENOENT);
	for (unsigned i = 1; i < ARP_NEIGH_MAX; i++)
		assert_int_equal(arp_lookup(ip_n(i), got), 0);
}

static void test_refresh_protects_from_eviction(void **state)
{
	uint8_t m[6], got[6];

	(void)state;
	mac_n(m, 0);
	arp_learn(ip_n(0), m);
	msleep(3);
	for (unsigned i = 1; i < ARP_NEIGH_MAX; i++) {
		mac_n(m, i);
		arp_learn(ip_n(i), m);
	}
	msleep(3);
	mac_n(m, 0);
	arp_learn(ip_n(0), m); /* seen again: now the freshest */
	mac_n(m, ARP_NEIGH_MAX);
	arp_learn(ip_n(ARP_NEIGH_MAX), m);
	assert_int_equal(arp_lookup(ip_n(0), got), 0);
	assert_int_equal(arp_lookup(ip_n(1), got), -ENOENT);
	assert_int_equal(arp_lookup(ip_n(ARP_NEIGH_MAX), got), 0);
	for (unsigned i = 2; i < ARP_NEIGH_MAX; i++)
		assert_int_equal(arp_lookup(ip_n(i), got), 0);
}

/* A request for each of the gateway's addresses is answered, as that address. */
static void test_input_answers_gateway_addresses(void **state)
{
	const char *const ours[] = { "192.168.127.1", "192.168.127.254", "192.168.127.253" };
	uint8_t p[ARP_PKT_LEN], want[42], got[6];
	struct arp_packet req;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		make_arp(p, 1, guest_mac, ip4("192.168.127.2"), ip4(ours[i]));
		assert_int_equal(arp_input(p, sizeof(p)), 0);
		assert_int_equal(deliveries, i + 1);
		assert_int_equal(last_port, guest_port);
		assert_int_equal(last_len, 42);
		assert_int_equal(arp_parse(p, sizeof(p), &req), 0);
		assert_int_equal(arp_build_reply(want, sizeof(want), gw_mac, ip4(ours[i]), &req),
				 42);
		assert_memory_equal(last, want, 42);
		assert_int_equal(gw_stats.arp_replies, i + 1);
		assert_int_equal(gw_stats.out_frames, i + 1);
	}
	/* the asker was learnt on the way */
	assert_int_equal(arp_lookup(ip4("192.168.127.2"), got), 0);
	assert_memory_equal(got, guest_mac, 6);
}

static void test_input_ignores_other_targets(void **state)
{
	uint8_t p[ARP_PKT_LEN], got[6];

	(void)state;
	/* another guest's address, the device address, the network and broadcast */
	make_arp(p, 1, guest_mac, ip4("192.168.127.2"), ip4("192.168.127.3"));
	assert_int_equal(arp_input(p, sizeof(p)), 0);
	make_arp(p, 1, guest_mac, ip4("192.168.127.3"), ip4("192.168.127.2"));
	assert_int_equal(arp_input(p, sizeof(p)), 0);
	make_arp(p, 1, guest_mac, ip4("192.168.127.2"), ip4("8.8.8.8"));
	assert_int_equal(arp_input(p, sizeof(p)), 0);
	assert_int_equal(deliveries, 0);
	assert_int_equal(gw_stats.arp_replies, 0);
	/* but the senders were learnt */
	assert_int_equal(arp_lookup(ip4("192.168.127.3"), got), 0);
	/* an unknown opcode for our address: learnt from, not answered */
	make_arp(p, 3, guest_mac, ip4("192.168.127.4"), ip4("192.168.127.1"));
	assert_int_equal(arp_input(p, sizeof(p)), 0);
	assert_int_equal(deliveries, 0);
	assert_int_equal(arp_lookup(ip4("192.168.127.4"), got), 0);
}

static void test_input_reply_goes_to_lwip(void **state)
{
	uint8_t p[ARP_PKT_LEN], got[6];

	(void)state;
	make_arp(p, 2, guest_mac, ip4("192.168.127.2"), ip4("192.168.127.1"));
	assert_int_equal(arp_input(p, sizeof(p)), 1);
	assert_int_equal(deliveries, 0);
	assert_int_equal(arp_lookup(ip4("192.168.127.2"), got), 0);
	assert_memory_equal(got, guest_mac, 6);
}

static void test_input_malformed(void **state)
{
	uint8_t p[ARP_PKT_LEN], got[6];

	(void)state;
	make_arp(p, 1, guest_mac, ip4("192.168.127.2"), ip4("192.168.127.1"));
	assert_int_equal(arp_input(p, ARP_PKT_LEN - 1), 0);
	p[5] = 6;
	assert_int_equal(arp_input(p, sizeof(p)), 0);
	assert_int_equal(gw_stats.malformed, 2);
	assert_int_equal(deliveries, 0);
	assert_int_equal(arp_lookup(ip4("192.168.127.2"), got), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parse_request, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_padded_and_other_ops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_wrong_types, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_reply_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_lookup_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_learn_ignores_unspecified_and_group, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_full_table_evicts_stalest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_protects_from_eviction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_input_answers_gateway_addresses, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_input_ignores_other_targets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_reply_goes_to_lwip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_input_malformed, setup, teardown),
	};

	/*
	 * arp.o pulls in gateway.o and with it lwIP, which needs sys_now() from
	 * lwip_glue.o; the link line lists libvgate.a before liblwip.a, so
	 * reference lwip_glue.o from here to have it linked in.
	 */
	(void)vgate_lwip_flavour();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
