// SPDX-License-Identifier: MIT
/*
 * test_icmp.c - backend/icmp.c: echo replies from the gateway's addresses.
 *
 * icmp_build_echo_reply() is fed echo requests built here byte by byte and
 * its reply is compared field by field with what RFC 792 asks: type 0, the
 * request's identifier, sequence and data unchanged, a valid ICMP checksum
 * (recomputed with a reference sum written here, odd lengths included), and
 * an IPv4 header from the address that was pinged back to the sender with a
 * valid header checksum. Anything that is not a well-formed echo request is
 * refused. icmp_echo_input() runs against a test-owned `vg` (main.c is not
 * linked) whose switch keeps the frames delivered to the guest's port.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway.h"
#include "icmp.h"
#include "lwip_glue.h"
#include "net.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct vgate *vg;

static const uint8_t gw_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
static const uint8_t guest_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint8_t last[2048];
static size_t last_len;
static unsigned deliveries;
static int guest_port;

static int deliver(void *ctx, unsigned port, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (port != (unsigned)guest_port)
		return 0;
	assert_true(len <= sizeof(last));
	memcpy(last, frame, len);
	last_len = len;
	deliveries++;
	return 0;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Reference one's-complement sum: words big-endian, odd byte padded, folded at the end. */
static uint16_t ref_sum(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc += i % 2 ? p[i] : (uint64_t)p[i] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/*
 * An Ethernet frame from the guest with an IPv4 echo request (@ihl header
 * bytes, options zero) from @src to @dst carrying @dlen bytes of data.
 * Return: frame length.
 */
static size_t make_echo(uint8_t *f, uint32_t src, uint32_t dst, unsigned ihl, size_t dlen)
{
	uint8_t *h = f + 14, *icmp = h + ihl;

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	wr16(f + 12, ETHERTYPE_IPV4);
	memset(h, 0, ihl);
	h[0] = (uint8_t)(0x40 | ihl / 4);
	wr16(h + 2, (uint16_t)(ihl + ICMP_HLEN + dlen));
	wr16(h + 4, 0xbeef);
	wr16(h + 6, 0x4000);
	h[8] = 64;
	h[9] = IPPROTO_ICMP_;
	memcpy(h + 12, &src, 4);
	memcpy(h + 16, &dst, 4);
	wr16(h + 10, (uint16_t)~ref_sum(h, ihl));
	icmp[0] = ICMP_ECHO_REQUEST;
	icmp[1] = 0;
	wr16(icmp + 2, 0);
	wr16(icmp + 4, 0x1c2d);
	wr16(icmp + 6, 0x0007);
	for (size_t i = 0; i < dlen; i++)
		icmp[8 + i] = (uint8_t)(i * 13 + dlen);
	wr16(icmp + 2, (uint16_t)~ref_sum(icmp, ICMP_HLEN + dlen));
	return 14 + ihl + ICMP_HLEN + dlen;
}

static void view_of(const uint8_t *f, size_t n, struct eth_view *e, struct ipv4_view *ip)
{
	assert_int_equal(eth_parse(f, n, e), 0);
	assert_int_equal(ipv4_parse(e->payload, e->len, true, ip), 0);
}

/* Recompute the ICMP checksum over the (edited) message in place. */
static void refresh_icmp_csum(const struct ipv4_view *ip)
{
	uint8_t *icmp = (uint8_t *)ip->payload;

	wr16(icmp + 2, 0);
	wr16(icmp + 2, (uint16_t)~ref_sum(icmp, ip->len));
}

/* Check @r as the reply to the echo request @req from @to_mac. */
static void check_reply(const uint8_t *r, int n, const struct ipv4_view *req,
			const uint8_t to_mac[6])
{
	const uint8_t *h = r + 14, *icmp = r + 34;
	uint32_t a;

	assert_int_equal(n, 14 + 20 + req->len);
	assert_memory_equal(r, to_mac, 6);
	assert_memory_equal(r + 6, gw_mac, 6);
	assert_int_equal(rd16(r + 12), ETHERTYPE_IPV4);
	assert_int_equal(h[0], 0x45);
	assert_int_equal(rd16(h + 2), 20 + req->len);
	assert_int_equal(h[9], IPPROTO_ICMP_);
	assert_true(h[8] > 0);
	memcpy(&a, h + 12, 4);
	assert_int_equal(a, req->dst);
	memcpy(&a, h + 16, 4);
	assert_int_equal(a, req->src);
	assert_int_equal(ref_sum(h, 20), 0xffff);
	assert_int_equal(icmp[0], ICMP_ECHO_REPLY);
	assert_int_equal(icmp[1], 0);
	/* identifier, sequence and data unchanged */
	assert_memory_equal(icmp + 4, req->payload + 4, req->len - 4);
	assert_int_equal(ref_sum(icmp, req->len), 0xffff);
}

static void test_reply_to_real_request(void **state)
{
	/* A Linux ping: 56 data bytes (a timestamp and 0x10.. counting up) */
	uint8_t f[128], out[256], want[64];
	struct eth_view e;
	struct ipv4_view ip;
	size_t n = make_echo(f, ip4("192.168.127.2"), ip4("192.168.127.1"), 20, 56);
	uint16_t want_csum;
	int r;

	(void)state;
	for (size_t i = 0; i < 56; i++)
		f[42 + i] = (uint8_t)(i < 8 ? 0x60 + i : 0x10 + i - 8);
	view_of(f, n, &e, &ip);
	refresh_icmp_csum(&ip);
	/* the checksum the reply must carry: over the request with type 0 */
	memcpy(want, ip.payload, ip.len);
	want[0] = ICMP_ECHO_REPLY;
	want[2] = want[3] = 0;
	want_csum = (uint16_t)~ref_sum(want, ip.len);
	memset(out, 0xee, sizeof(out));
	r = icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &ip);
	check_reply(out, r, &ip, guest_mac);
	assert_int_equal(rd16(out + 34 + 2), want_csum);
	assert_int_equal(rd16(out + 34 + 4), 0x1c2d);
	assert_int_equal(rd16(out + 34 + 6), 0x0007);
	assert_memory_equal(out + 42, f + 42, 56);
	assert_int_equal(out[r], 0xee);
	/* the request was not touched */
	assert_int_equal(ip.payload[0], ICMP_ECHO_REQUEST);
}

static void test_odd_and_empty_payloads(void **state)
{
	uint8_t f[1600], out[1600];
	struct eth_view e;
	struct ipv4_view ip;

	(void)state;
	for (size_t dlen = 0; dlen <= 1472; dlen += dlen < 80 ? 1 : 97) {
		size_t n = make_echo(f, ip4("192.168.127.2"), ip4("192.168.127.1"), 20, dlen);
		int r;

		view_of(f, n, &e, &ip);
		r = icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &ip);
		check_reply(out, r, &ip, guest_mac);
	}
}

static void test_reply_from_pinged_address(void **state)
{
	uint8_t f[128], out[128];
	struct eth_view e;
	struct ipv4_view ip;
	size_t n = make_echo(f, ip4("192.168.127.77"), ip4("192.168.127.254"), 20, 3);
	int r;

	(void)state;
	view_of(f, n, &e, &ip);
	r = icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &ip);
	check_reply(out, r, &ip, guest_mac);
	assert_memory_equal(out + 26, (const uint8_t *)&ip.dst, 4);
	assert_memory_equal(out + 30, (const uint8_t *)&ip.src, 4);
}

static void test_request_with_ip_options(void **state)
{
	uint8_t f[128], out[128];
	struct eth_view e;
	struct ipv4_view ip;
	size_t n = make_echo(f, ip4("192.168.127.2"), ip4("192.168.127.1"), 28, 11);
	int r;

	(void)state;
	view_of(f, n, &e, &ip);
	assert_int_equal(ip.ihl, 28);
	r = icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &ip);
	/* the reply carries no options */
	check_reply(out, r, &ip, guest_mac);
}

static void test_largest_request(void **state)
{
	const size_t dlen = 65535 - 20 - 8;
	uint8_t *f = malloc(14 + 65535), *out = malloc(14 + 65535);
	struct eth_view e;
	struct ipv4_view ip;
	int r;

	(void)state;
	assert_non_null(f);
	assert_non_null(out);
	view_of(f, make_echo(f, ip4("192.168.127.2"), ip4("192.168.127.1"), 20, dlen), &e, &ip);
	r = icmp_build_echo_reply(out, 14 + 65535, guest_mac, gw_mac, &ip);
	check_reply(out, r, &ip, guest_mac);
	free(f);
	free(out);
}

static void test_not_an_echo_request(void **state)
{
	static const uint8_t types[] = { ICMP_ECHO_REPLY, 3, 5, 11, 13, 17, 255 };
	uint8_t f[128], out[128];
	struct eth_view e;
	struct ipv4_view ip;
	size_t n = make_echo(f, ip4("192.168.127.2"), ip4("192.168.127.1"), 20, 8);

	(void)state;
	view_of(f, n, &e, &ip);
	for (size_t i = 0; i < sizeof(types); i++) {
		((uint8_t *)ip.payload)[0] = types[i];
		refresh_icmp_csum(&ip);
		assert_int_equal(icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &ip),
				 -EBADMSG);
	}
	/* an echo request with a nonzero code */
	((uint8_t *)ip.payload)[0] = ICMP_ECHO_REQUEST;
	((uint8_t *)ip.payload)[1] = 1;
	refresh_icmp_csum(&ip);
	assert_int_equal(icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &ip), -EBADMSG);
	((uint8_t *)ip.payload)[1] = 0;
	refresh_icmp_csum(&ip);
	assert_true(icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &ip) > 0);
}

static void test_bad_checksum_and_short(void **state)
{
	uint8_t f[128], out[128];
	struct eth_view e;
	struct ipv4_view ip;
	size_t n = make_echo(f, ip4("192.168.127.2"), ip4("192.168.127.1"), 20, 9);

	(void)state;
	view_of(f, n, &e, &ip);
	((uint8_t *)ip.payload)[2] ^= 0x40;
	assert_int_equal(icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &ip), -EBADMSG);
	((uint8_t *)ip.payload)[2] ^= 0x40;
	/* a flipped data bit */
	((uint8_t *)ip.payload)[16] ^= 0x01;
	assert_int_equal(icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &ip), -EBADMSG);
	((uint8_t *)ip.payload)[16] ^= 0x01;
	/* shorter than an ICMP header (with a checksum that would verify) */
	for (size_t len = 0; len < ICMP_HLEN; len++) {
		uint8_t *icmp = malloc(len ? len : 1);
		struct ipv4_view short_ip = ip;

		assert_non_null(icmp);
		memcpy(icmp, ip.payload, len);
		short_ip.payload = icmp;
		short_ip.len = len;
		if (len >= 4) {
			wr16(icmp + 2, 0);
			wr16(icmp + 2, (uint16_t)~ref_sum(icmp, len));
		}
		assert_int_equal(
			icmp_build_echo_reply(out, sizeof(out), guest_mac, gw_mac, &short_ip),
			-EBADMSG);
		free(icmp);
	}
}

static void test_no_space(void **state)
{
	uint8_t f[128], out[128];
	struct eth_view e;
	struct ipv4_view ip;
	size_t n = make_echo(f, ip4("192.168.127.2"), ip4("192.168.127.1"), 20, 21);
	size_t need = 14 + 20 + 8 + 21;

	(void)state;
	view_of(f, n, &e, &ip);
	memset(out, 0xee, sizeof(out));
	assert_int_equal(icmp_build_echo_reply(out, need - 1, guest_mac, gw_mac, &ip), -ENOSPC);
	for (size_t i = 0; i < sizeof(out); i++)
		assert_int_equal(out[i], 0xee);
	assert_int_equal(icmp_build_echo_reply(out, 0, guest_mac, gw_mac, &ip), -ENOSPC);
	assert_int_equal(icmp_build_echo_reply(out, need, guest_mac, gw_mac, &ip), (int)need);
	check_reply(out, (int)need, &ip, guest_mac);
}

static int setup_vg(void **state)
{
	uint8_t f[60] = { 0 };

	(void)state;
	vg = calloc(1, sizeof(*vg));
	assert_non_null(vg);
	vg->cfg.gateway_ip = ip4("192.168.127.1");
	memcpy(vg->cfg.gateway_mac, gw_mac, 6);
	switch_init(&vg->sw, gw_mac, deliver, NULL, NULL);
	switch_port_add_gateway(&vg->sw);
	guest_port = switch_port_add(&vg->sw);
	assert_true(guest_port > 0);
	memcpy(f, bcast, 6);
	memcpy(f + 6, guest_mac, 6);
	wr16(f + 12, ETHERTYPE_ARP);
	switch_input(&vg->sw, (unsigned)guest_port, f, sizeof(f), 0);
	memset(&gw_stats, 0, sizeof(gw_stats));
	last_len = 0;
	deliveries = 0;
	return 0;
}

static int teardown_vg(void **state)
{
	(void)state;
	free(vg);
	vg = NULL;
	return 0;
}

static void test_echo_input(void **state)
{
	uint8_t f[256];
	struct eth_view e;
	struct ipv4_view ip;
	size_t n = make_echo(f, ip4("192.168.127.2"), ip4("192.168.127.1"), 20, 32);

	(void)state;
	view_of(f, n, &e, &ip);
	icmp_echo_input(&e, &ip);
	assert_int_equal(deliveries, 1);
	assert_int_equal(gw_stats.icmp_replies, 1);
	check_reply(last, (int)last_len, &ip, guest_mac);
}

static void test_echo_input_refuses(void **state)
{
	uint8_t f[256];
	struct eth_view e;
	struct ipv4_view ip;
	size_t n = make_echo(f, ip4("192.168.127.2"), ip4("192.168.127.1"), 20, 32);

	(void)state;
	view_of(f, n, &e, &ip);
	/* a fragment (MF set) is counted, not answered */
	ip.frag = 0x2000;
	icmp_echo_input(&e, &ip);
	assert_int_equal(gw_stats.fragments, 1);
	ip.frag = 0x0004;
	icmp_echo_input(&e, &ip);
	assert_int_equal(gw_stats.fragments, 2);
	/* a bad checksum is ignored */
	ip.frag = 0;
	((uint8_t *)ip.payload)[9] ^= 0x80;
	icmp_echo_input(&e, &ip);
	assert_int_equal(gw_stats.ignored, 1);
	assert_int_equal(deliveries, 0);
	assert_int_equal(gw_stats.icmp_replies, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_to_real_request),
		cmocka_unit_test(test_odd_and_empty_payloads),
		cmocka_unit_test(test_reply_from_pinged_address),
		cmocka_unit_test(test_request_with_ip_options),
		cmocka_unit_test(test_largest_request),
		cmocka_unit_test(test_not_an_echo_request),
		cmocka_unit_test(test_bad_checksum_and_short),
		cmocka_unit_test(test_no_space),
		cmocka_unit_test_setup_teardown(test_echo_input, setup_vg, teardown_vg),
		cmocka_unit_test_setup_teardown(test_echo_input_refuses, setup_vg, teardown_vg),
	};

	/*
	 * icmp.o pulls in gateway.o and with it lwIP, which needs sys_now() from
	 * lwip_glue.o; the link line lists libvgate.a before liblwip.a, so
	 * reference lwip_glue.o from here to have it linked in.
	 */
	(void)vgate_lwip_flavour();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
