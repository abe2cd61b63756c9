// SPDX-License-Identifier: MIT
/*
 * test_icmp_relay.c - backend/icmp_relay.c: rebuilding a guest's echo
 * reply from what a ping socket returned.
 *
 * A ping socket hands back the ICMP header and data with the kernel's
 * identifier. icmp_relay_build_reply() must give the guest a frame from
 * the address it pinged (not the translated one) with its own identifier,
 * the reply's sequence and data unchanged, a valid ICMP checksum (checked
 * against a reference sum written here, odd lengths included) and a valid
 * IPv4 header; built in place or from another buffer. Anything that is not
 * an echo reply is refused, as is a frame that does not fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "icmp.h"
#include "icmp_relay.h"
#include "lwip_glue.h"
#include "net.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

struct vgate *vg;

static const uint8_t gw_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
static const uint8_t guest_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* Reference one's-complement sum: words big-endian, odd byte padded. */
static uint16_t ref_sum(const uint8_t *p, size_t len)
{
	uint64_t acc = 0;

	for (size_t i = 0; i < len; i++)
		acc += i % 2 ? p[i] : (uint64_t)p[i] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

/* An echo reply as a ping socket returns it: kernel id 0x0042, @seq, @dlen bytes. */
static size_t make_reply(uint8_t *p, uint16_t seq, size_t dlen)
{
	p[0] = ICMP_ECHO_REPLY;
	p[1] = 0;
	wr16(p + 2, 0);
	wr16(p + 4, 0x0042);
	wr16(p + 6, seq);
	for (size_t i = 0; i < dlen; i++)
		p[8 + i] = (uint8_t)(i * 7 + 3);
	wr16(p + 2, (uint16_t)~ref_sum(p, ICMP_HLEN + dlen));
	return ICMP_HLEN + dlen;
}

static void check_frame(const uint8_t *f, int n, const uint8_t *reply, size_t len, uint32_t from,
			uint32_t to, uint16_t id)
{
	const uint8_t *h = f + 14, *icmp = f + 34;
	struct eth_view e;
	struct ipv4_view ip;

	assert_int_equal(n, 14 + 20 + (int)len);
	assert_int_equal(eth_parse(f, (size_t)n, &e), 0);
	assert_memory_equal(e.dst, guest_mac, 6);
	assert_memory_equal(e.src, gw_mac, 6);
	assert_int_equal(e.type, ETHERTYPE_IPV4);
	assert_int_equal(ipv4_parse(e.payload, e.len, true, &ip), 0);
	assert_int_equal(ip.proto, IPPROTO_ICMP_);
	assert_int_equal(ip.src, from);
	assert_int_equal(ip.dst, to);
	assert_int_equal(ip.len, len);
	assert_true(h[8] > 0);
	assert_int_equal(icmp[0], ICMP_ECHO_REPLY);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(rd16(icmp + 4), id);
	assert_int_equal(rd16(icmp + 6), rd16(reply + 6));
	assert_memory_equal(icmp + 8, reply + 8, len - 8);
	assert_int_equal(ref_sum(icmp, len), 0xffff);
}

static void test_rebuild(void **state)
{
	static uint8_t out[70000];
	uint8_t reply[2000];
	uint32_t from = ip4("192.168.127.200"), to = ip4("192.168.127.2");
	const size_t sizes[] = { 0, 1, 7, 56, 1471, 1472 };

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = make_reply(reply, (uint16_t)(i + 1), sizes[i]);
		int n = icmp_relay_build_reply(out, sizeof(out), guest_mac, gw_mac, from, to,
					       0xabcd, reply, len);

		check_frame(out, n, reply, len, from, to, 0xabcd);
	}
}

static void test_in_place(void **state)
{
	static uint8_t out[2000];
	uint8_t copy[1000];
	uint32_t from = ip4("10.1.2.3"), to = ip4("192.168.127.3");
	size_t len = make_reply(out + 34, 0xfffe, 333);
	int n;

	(void)state;
	memcpy(copy, out + 34, len);
	n = icmp_relay_build_reply(out, sizeof(out), guest_mac, gw_mac, from, to, 1, out + 34, len);
	check_frame(out, n, copy, len, from, to, 1);
}

static void test_refused(void **state)
{
	uint8_t out[200], reply[100];
	size_t len = make_reply(reply, 1, 20);

	(void)state;
	/* Too short for the ICMP header. */
	assert_int_equal(icmp_relay_build_reply(out, sizeof(out), guest_mac, gw_mac, 1, 2, 3, reply,
						ICMP_HLEN - 1),
			 -EBADMSG);
	/* Not an echo reply. */
	reply[0] = ICMP_ECHO_REQUEST;
	assert_int_equal(
		icmp_relay_build_reply(out, sizeof(out), guest_mac, gw_mac, 1, 2, 3, reply, len),
		-EBADMSG);
	reply[0] = ICMP_DEST_UNREACH;
	assert_int_equal(
		icmp_relay_build_reply(out, sizeof(out), guest_mac, gw_mac, 1, 2, 3, reply, len),
		-EBADMSG);
	reply[0] = ICMP_ECHO_REPLY;
	reply[1] = 1; /* code must be 0 */
	assert_int_equal(
		icmp_relay_build_reply(out, sizeof(out), guest_mac, gw_mac, 1, 2, 3, reply, len),
		-EBADMSG);
	reply[1] = 0;
	/* Does not fit: one byte short, and a buffer smaller than the headers. */
	assert_int_equal(icmp_relay_build_reply(out, 14 + 20 + len - 1, guest_mac, gw_mac, 1, 2, 3,
						reply, len),
			 -ENOSPC);
	assert_int_equal(icmp_relay_build_reply(out, 10, guest_mac, gw_mac, 1, 2, 3, reply, len),
			 -ENOSPC);
	assert_int_equal(
		icmp_relay_build_reply(out, 14 + 20 + len, guest_mac, gw_mac, 1, 2, 3, reply, len),
		(int)(14 + 20 + len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rebuild),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_refused),
	};

	/* icmp_relay.o pulls in gateway.o and lwIP, which needs lwip_glue.o:
	 * reference it so the archive member is linked. */
	(void)vgate_lwip_flavour();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
