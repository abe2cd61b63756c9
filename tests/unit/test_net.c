// SPDX-License-Identifier: MIT
/*
 * test_net.c - backend/net.c: the Ethernet, IPv4 and UDP parsers, the
 * RFC 1071 checksum helpers and the frame builders.
 *
 * Every parser is fed each prefix of a valid packet from a heap buffer of
 * exactly that length, so a read past the end shows up under ASan, and is
 * checked against version, IHL, total-length and checksum faults. The
 * builders' output is taken apart byte by byte and its checksums verified
 * with a reference implementation written here (64-bit accumulator, folded
 * once at the end), independent of csum_partial(). UDP checksums are
 * recomputed over the pseudo header, including the RFC 768 rule that a
 * computed zero goes out as 0xffff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t mac_a[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
static const uint8_t mac_b[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
/* An empty payload: the builders take a valid pointer even for zero bytes (memmove). */
static const uint8_t nothing[1];

/* Reference one's-complement sum: words big-endian, odd byte padded, folded at the end. */
static uint16_t ref_sum(const uint8_t *p, size_t len, uint64_t acc)
{
	for (size_t i = 0; i < len; i++)
		acc += i % 2 ? p[i] : (uint64_t)p[i] << 8;
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint16_t)acc;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* The UDP checksum of a datagram at @u (as found in the frame) recomputed from scratch. */
static uint16_t ref_udp_sum(uint32_t src, uint32_t dst, const uint8_t *u, size_t ulen)
{
	uint8_t pseudo[12];

	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = IPPROTO_UDP_;
	pseudo[10] = (uint8_t)(ulen >> 8);
	pseudo[11] = (uint8_t)ulen;
	return ref_sum(u, ulen, ref_sum(pseudo, sizeof(pseudo), 0));
}

/*
 * A 20-byte IPv4 header + 8-byte UDP header + 4 bytes of payload, header
 * checksum filled in by ref_sum().
 */
static size_t make_ipv4_udp(uint8_t *p)
{
	/* TOS 0x10, 32 bytes, id 0x1234, DF, TTL 64, UDP, 192.168.127.2 -> .1 */
	static const uint8_t ip[20] = { 0x45, 0x10, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11,
					0x00, 0x00, 192,  168,	127,  2,    192,  168,	127,  1 };
	/* 54321 -> 53, 12 bytes, no checksum, "abcd" */
	static const uint8_t udp[12] = { 0xd4, 0x31, 0x00, 0x35, 0x00, 0x0c,
					 0x00, 0x00, 'a',  'b',	 'c',  'd' };

	memcpy(p, ip, sizeof(ip));
	memcpy(p + sizeof(ip), udp, sizeof(udp));
	wr16(p + 10, (uint16_t)~ref_sum(p, 20, 0));
	return sizeof(ip) + sizeof(udp);
}

static void test_eth_parse(void **state)
{
	uint8_t f[64];
	struct eth_view e;

	(void)state;
	memset(f, 0xa5, sizeof(f));
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	wr16(f + 12, ETHERTYPE_ARP);
	assert_int_equal(eth_parse(f, sizeof(f), &e), 0);
	assert_ptr_equal(e.dst, f);
	assert_ptr_equal(e.src, f + 6);
	assert_int_equal(e.type, ETHERTYPE_ARP);
	assert_ptr_equal(e.payload, f + 14);
	assert_int_equal(e.len, sizeof(f) - 14);
	/* a bare header is a frame with an empty payload */
	assert_int_equal(eth_parse(f, 14, &e), 0);
	assert_int_equal(e.len, 0);
}

static void test_eth_parse_truncated(void **state)
{
	struct eth_view e;

	(void)state;
	for (size_t len = 0; len < ETH_HLEN_; len++) {
		uint8_t *b = malloc(len ? len : 1);

		assert_non_null(b);
		memset(b, 0xff, len);
		assert_int_equal(eth_parse(b, len, &e), -EBADMSG);
		free(b);
	}
}

static void test_ipv4_parse_valid(void **state)
{
	uint8_t p[64];
	size_t n = make_ipv4_udp(p);
	struct ipv4_view ip;

	(void)state;
	assert_int_equal(ipv4_parse(p, n, true, &ip), 0);
	assert_int_equal(ip.ihl, 20);
	assert_int_equal(ip.tos, 0x10);
	assert_int_equal(ip.tot_len, 32);
	assert_int_equal(ip.id, 0x1234);
	assert_int_equal(ip.frag, 0x4000);
	assert_int_equal(ip.ttl, 64);
	assert_int_equal(ip.proto, IPPROTO_UDP_);
	assert_int_equal(ip.src, ip4("192.168.127.2"));
	assert_int_equal(ip.dst, ip4("192.168.127.1"));
	assert_ptr_equal(ip.hdr, p);
	assert_ptr_equal(ip.payload, p + 20);
	assert_int_equal(ip.len, 12);
	assert_true(ipv4_is_whole(&ip));
}

static void test_ipv4_parse_truncated(void **state)
{
	uint8_t p[64];
	size_t n = make_ipv4_udp(p);
	struct ipv4_view ip;

	(void)state;
	for (size_t len = 0; len < n; len++) {
		uint8_t *b = malloc(len ? len : 1);

		assert_non_null(b);
		memcpy(b, p, len);
		assert_int_equal(ipv4_parse(b, len, true, &ip), -EBADMSG);
		assert_int_equal(ipv4_parse(b, len, false, &ip), -EBADMSG);
		free(b);
	}
}

static void test_ipv4_parse_bad_version_and_ihl(void **state)
{
	uint8_t p[64];
	size_t n = make_ipv4_udp(p);
	struct ipv4_view ip;

	(void)state;
	for (unsigned v = 0; v < 16; v++) {
		if (v == 4)
			continue;
		p[0] = (uint8_t)(v << 4 | 5);
		assert_int_equal(ipv4_parse(p, n, false, &ip), -EBADMSG);
	}
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		p[0] = (uint8_t)(0x40 | ihl);
		assert_int_equal(ipv4_parse(p, n, false, &ip), -EBADMSG);
	}
	/* IHL 15 (60 bytes) is more than tot_len (32) */
	p[0] = 0x4f;
	assert_int_equal(ipv4_parse(p, n, false, &ip), -EBADMSG);
}

static void test_ipv4_parse_tot_len(void **state)
{
	uint8_t p[64];
	size_t n = make_ipv4_udp(p);
	struct ipv4_view ip;

	(void)state;
	/* shorter than the header */
	for (uint16_t t = 0; t < 20; t++) {
		wr16(p + 2, t);
		assert_int_equal(ipv4_parse(p, n, false, &ip), -EBADMSG);
	}
	/* exactly the header: an empty payload */
	wr16(p + 2, 20);
	assert_int_equal(ipv4_parse(p, n, false, &ip), 0);
	assert_int_equal(ip.len, 0);
	/* beyond the buffer */
	wr16(p + 2, (uint16_t)(n + 1));
	assert_int_equal(ipv4_parse(p, n, false, &ip), -EBADMSG);
	wr16(p + 2, 0xffff);
	assert_int_equal(ipv4_parse(p, n, false, &ip), -EBADMSG);
}

static void test_ipv4_parse_trailing_padding(void **state)
{
	uint8_t p[64];
	size_t n = make_ipv4_udp(p);
	struct ipv4_view ip;

	(void)state;
	memset(p + n, 0, sizeof(p) - n);
	assert_int_equal(ipv4_parse(p, sizeof(p), true, &ip), 0);
	assert_int_equal(ip.tot_len, n);
	assert_int_equal(ip.len, n - 20);
}

static void test_ipv4_parse_checksum(void **state)
{
	uint8_t p[64];
	size_t n = make_ipv4_udp(p);
	struct ipv4_view ip;

	(void)state;
	p[11] ^= 0x01;
	assert_int_equal(ipv4_parse(p, n, true, &ip), -EBADMSG);
	assert_int_equal(ipv4_parse(p, n, false, &ip), 0);
	assert_int_equal(ip.len, 12);
	/* a changed field (TTL) is caught too */
	p[11] ^= 0x01;
	p[8]--;
	assert_int_equal(ipv4_parse(p, n, true, &ip), -EBADMSG);
}

static void test_ipv4_parse_options(void **state)
{
	/* IHL 6, 32 bytes, UDP, 10.0.0.2 -> 10.0.0.1 */
	static const uint8_t hdr[20] = { 0x46, 0, 0,  32, 0, 1, 0,  0, 64, IPPROTO_UDP_,
					 0,    0, 10, 0,  0, 2, 10, 0, 0,  1 };
	static const uint8_t nop_nop_nop_eol[4] = { 1, 1, 1, 0 };
	uint8_t p[64] = { 0 };
	struct ipv4_view ip;

	(void)state;
	memcpy(p, hdr, sizeof(hdr));
	memcpy(p + 20, nop_nop_nop_eol, 4);
	wr16(p + 10, (uint16_t)~ref_sum(p, 24, 0));
	assert_int_equal(ipv4_parse(p, 32, true, &ip), 0);
	assert_int_equal(ip.ihl, 24);
	assert_ptr_equal(ip.payload, p + 24);
	assert_int_equal(ip.len, 8);
	/* the checksum covers the options */
	p[22] = 7;
	assert_int_equal(ipv4_parse(p, 32, true, &ip), -EBADMSG);
}

static void test_ipv4_is_whole(void **state)
{
	struct ipv4_view ip = { 0 };

	(void)state;
	ip.frag = 0x4000; /* DF only */
	assert_true(ipv4_is_whole(&ip));
	ip.frag = 0x2000; /* MF: first of several */
	assert_false(ipv4_is_whole(&ip));
	ip.frag = 0x0001; /* last fragment */
	assert_false(ipv4_is_whole(&ip));
	ip.frag = 0x8000; /* reserved bit: not a fragment marker */
	assert_true(ipv4_is_whole(&ip));
}

static void test_udp_parse(void **state)
{
	uint8_t p[64];
	size_t n = make_ipv4_udp(p);
	struct udp_view u;

	(void)state;
	assert_int_equal(udp_parse(p + 20, n - 20, &u), 0);
	assert_int_equal(u.sport, 0xd431);
	assert_int_equal(u.dport, 53);
	assert_ptr_equal(u.payload, p + 28);
	assert_int_equal(u.len, 4);
	assert_memory_equal(u.payload, "abcd", 4);
	/* trailing bytes beyond the UDP length are not payload */
	assert_int_equal(udp_parse(p + 20, n - 20 + 10, &u), 0);
	assert_int_equal(u.len, 4);
	/* an empty datagram */
	wr16(p + 24, 8);
	assert_int_equal(udp_parse(p + 20, 8, &u), 0);
	assert_int_equal(u.len, 0);
}

static void test_udp_parse_bad(void **state)
{
	uint8_t p[64];
	size_t n = make_ipv4_udp(p);
	struct udp_view u;

	(void)state;
	for (size_t len = 0; len < n - 20; len++) {
		uint8_t *b = malloc(len ? len : 1);

		assert_non_null(b);
		memcpy(b, p + 20, len);
		assert_int_equal(udp_parse(b, len, &u), -EBADMSG);
		free(b);
	}
	for (uint16_t ul = 0; ul < UDP_HLEN; ul++) {
		wr16(p + 24, ul);
		assert_int_equal(udp_parse(p + 20, n - 20, &u), -EBADMSG);
	}
	wr16(p + 24, (uint16_t)(n - 20 + 1));
	assert_int_equal(udp_parse(p + 20, n - 20, &u), -EBADMSG);
}

/* A minimum-size (60-byte) Ethernet frame with padding after a short IPv4 packet. */
static void test_padded_frame_chain(void **state)
{
	uint8_t f[60];
	struct eth_view e;
	struct ipv4_view ip;
	struct udp_view u;

	(void)state;
	memset(f, 0, sizeof(f));
	memcpy(f, mac_a, 6);
	memcpy(f + 6, mac_b, 6);
	wr16(f + 12, ETHERTYPE_IPV4);
	make_ipv4_udp(f + 14);
	assert_int_equal(eth_parse(f, sizeof(f), &e), 0);
	assert_int_equal(e.len, 46);
	assert_int_equal(ipv4_parse(e.payload, e.len, true, &ip), 0);
	assert_int_equal(ip.len, 12);
	assert_int_equal(udp_parse(ip.payload, ip.len, &u), 0);
	assert_int_equal(u.len, 4);
	assert_memory_equal(u.payload, "abcd", 4);
}

static void test_csum_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: the sum is 2ddf0, folded ddf2, checksum 220d */
	static const uint8_t b[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	(void)state;
	assert_int_equal(csum_partial(b, sizeof(b), 0), 0x2ddf0);
	assert_int_equal(csum_fold(0x2ddf0), 0xddf2);
	assert_int_equal(ip_checksum(b, sizeof(b)), 0x220d);
	/* sums can be accumulated in pieces of even length */
	assert_int_equal(csum_fold(csum_partial(b + 4, 4, csum_partial(b, 4, 0))), 0xddf2);
	assert_int_equal(csum_fold(csum_partial(b + 2, 6, csum_partial(b, 2, 0))), 0xddf2);
}

static void test_csum_known_header(void **state)
{
	/* The textbook IPv4 header, checksum b861 */
	uint8_t h[] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
			0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7 };

	(void)state;
	assert_int_equal(ip_checksum(h, sizeof(h)), 0xb861);
	wr16(h + 10, 0xb861);
	assert_int_equal(ip_checksum(h, sizeof(h)), 0);
}

static void test_csum_odd_lengths(void **state)
{
	uint8_t b[301];
	uint64_t s = 0x9e3779b97f4a7c15ull;

	(void)state;
	assert_int_equal(csum_partial((const uint8_t[]){ 0x01 }, 1, 0), 0x0100);
	assert_int_equal(csum_partial((const uint8_t[]){ 0x00, 0x01, 0xf2 }, 3, 0), 0xf201);
	assert_int_equal(ip_checksum((const uint8_t[]){ 0xab }, 1), (uint16_t)~0xab00);
	assert_int_equal(csum_partial(b, 0, 7), 7);
	assert_int_equal(ip_checksum(b, 0), 0xffff);
	for (size_t i = 0; i < sizeof(b); i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		b[i] = (uint8_t)s;
	}
	for (size_t len = 0; len <= sizeof(b); len++)
		assert_int_equal(ip_checksum(b, len), (uint16_t)~ref_sum(b, len, 0));
}

static void test_csum_fold(void **state)
{
	(void)state;
	assert_int_equal(csum_fold(0), 0);
	assert_int_equal(csum_fold(0xffff), 0xffff);
	assert_int_equal(csum_fold(0x10000), 1);
	/* needs two rounds: 0xffff + 1 carries again */
	assert_int_equal(csum_fold(0x1ffff), 1);
	assert_int_equal(csum_fold(0xffffffff), 0xffff);
	/* all-ones data checksums to zero */
	assert_int_equal(ip_checksum((const uint8_t[]){ 0xff, 0xff, 0xff, 0xff }, 4), 0);
}

static void test_byte_order_helpers(void **state)
{
	uint8_t b[4] = { 0 };

	(void)state;
	wr16(b, 0x1234);
	assert_int_equal(b[0], 0x12);
	assert_int_equal(b[1], 0x34);
	assert_int_equal(rd16(b), 0x1234);
	b[2] = 0xfe;
	b[3] = 0xdc;
	assert_int_equal(rd32be(b), 0x1234fedcu);
}

/* Check an Ethernet + IPv4 header written by the builders. */
static void check_ipv4_frame(const uint8_t *f, size_t n, uint8_t proto, uint32_t src, uint32_t dst,
			     size_t plen)
{
	const uint8_t *h = f + 14;
	uint32_t a;

	assert_int_equal(n, 14 + 20 + plen);
	assert_memory_equal(f, mac_b, 6);
	assert_memory_equal(f + 6, mac_a, 6);
	assert_int_equal(rd16(f + 12), ETHERTYPE_IPV4);
	assert_int_equal(h[0], 0x45);
	assert_int_equal(h[1], 0);
	assert_int_equal(rd16(h + 2), 20 + plen);
	assert_int_equal(rd16(h + 6), 0); /* DF clear, no fragment */
	assert_int_equal(h[8], 64);
	assert_int_equal(h[9], proto);
	memcpy(&a, h + 12, 4);
	assert_int_equal(a, src);
	memcpy(&a, h + 16, 4);
	assert_int_equal(a, dst);
	assert_int_equal(ref_sum(h, 20, 0), 0xffff);
}

static void test_build_udp4(void **state)
{
	uint8_t f[256], pl[37];
	uint32_t src = ip4("192.168.127.1"), dst = ip4("192.168.127.2");
	struct eth_view e;
	struct ipv4_view ip;
	struct udp_view u;
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(i * 7 + 3);
	memset(f, 0xee, sizeof(f));
	n = net_build_udp4(f, sizeof(f), mac_b, mac_a, src, 53, dst, 40000, pl, sizeof(pl));
	assert_int_equal(n, 14 + 20 + 8 + sizeof(pl));
	check_ipv4_frame(f, (size_t)n, IPPROTO_UDP_, src, dst, 8 + sizeof(pl));
	assert_int_equal(rd16(f + 34), 53);
	assert_int_equal(rd16(f + 36), 40000);
	assert_int_equal(rd16(f + 38), 8 + sizeof(pl));
	assert_int_not_equal(rd16(f + 40), 0);
	assert_int_equal(ref_udp_sum(src, dst, f + 34, 8 + sizeof(pl)), 0xffff);
	assert_memory_equal(f + 42, pl, sizeof(pl));
	/* nothing written past the frame */
	assert_int_equal(f[n], 0xee);
	/* and our own parsers accept it */
	assert_int_equal(eth_parse(f, (size_t)n, &e), 0);
	assert_int_equal(ipv4_parse(e.payload, e.len, true, &ip), 0);
	assert_int_equal(udp_parse(ip.payload, ip.len, &u), 0);
	assert_int_equal(u.len, sizeof(pl));
}

static void test_build_udp4_ip_id_changes(void **state)
{
	uint8_t f1[64], f2[64];
	uint32_t src = ip4("10.0.0.1"), dst = ip4("10.0.0.2");

	(void)state;
	assert_int_equal(net_build_udp4(f1, sizeof(f1), mac_b, mac_a, src, 1, dst, 2, nothing, 0),
			 42);
	assert_int_equal(net_build_udp4(f2, sizeof(f2), mac_b, mac_a, src, 1, dst, 2, nothing, 0),
			 42);
	assert_int_equal((uint16_t)(rd16(f1 + 18) + 1), rd16(f2 + 18));
	check_ipv4_frame(f2, 42, IPPROTO_UDP_, src, dst, 8);
	assert_int_equal(ref_udp_sum(src, dst, f2 + 34, 8), 0xffff);
}

static void test_build_udp4_zero_checksum_sent_as_ffff(void **state)
{
	uint8_t f[64], pl[2] = { 0, 0 };
	uint32_t src = ip4("192.168.127.1"), dst = ip4("192.168.127.2");
	uint16_t c;

	(void)state;
	assert_int_equal(net_build_udp4(f, sizeof(f), mac_b, mac_a, src, 67, dst, 68, pl, 2), 44);
	c = rd16(f + 40);
	/* a payload word equal to that checksum makes the one's-complement sum 0xffff */
	pl[0] = (uint8_t)(c >> 8);
	pl[1] = (uint8_t)c;
	assert_int_equal(net_build_udp4(f, sizeof(f), mac_b, mac_a, src, 67, dst, 68, pl, 2), 44);
	assert_int_equal(rd16(f + 40), 0xffff);
	assert_int_equal(ref_udp_sum(src, dst, f + 34, 10), 0xffff);
}

static void test_build_udp4_payload_in_place(void **state)
{
	uint8_t f[1500], want[1000];
	uint32_t src = ip4("192.168.127.1"), dst = ip4("192.168.127.9");
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(i ^ (i >> 3));
	memset(f, 0, sizeof(f));
	memcpy(f + 42, want, sizeof(want));
	n = net_build_udp4(f, sizeof(f), mac_b, mac_a, src, 53, dst, 1234, f + 42, sizeof(want));
	assert_int_equal(n, 42 + sizeof(want));
	assert_memory_equal(f + 42, want, sizeof(want));
	check_ipv4_frame(f, (size_t)n, IPPROTO_UDP_, src, dst, 8 + sizeof(want));
	assert_int_equal(ref_udp_sum(src, dst, f + 34, 8 + sizeof(want)), 0xffff);
}

static void test_build_udp4_limits(void **state)
{
	const size_t max_pl = 65535 - 20 - 8;
	uint8_t *f = malloc(14 + 65535 + 1), small[64];
	uint32_t src = ip4("192.168.127.1"), dst = ip4("192.168.127.2");
	int n;

	(void)state;
	assert_non_null(f);
	memset(f, 0x5c, 14 + 65535 + 1);
	/* the largest datagram an IPv4 packet holds, payload already in place */
	n = net_build_udp4(f, 14 + 65535, mac_b, mac_a, src, 1, dst, 2, f + 42, max_pl);
	assert_int_equal(n, 14 + 65535);
	assert_int_equal(rd16(f + 16), 65535);
	assert_int_equal(rd16(f + 38), 65535 - 20);
	assert_int_equal(ref_sum(f + 14, 20, 0), 0xffff);
	assert_int_equal(ref_udp_sum(src, dst, f + 34, 65535 - 20), 0xffff);
	assert_int_equal(f[14 + 65535], 0x5c);
	/* one more byte does not fit in tot_len */
	assert_int_equal(
		net_build_udp4(f, 14 + 65535 + 1, mac_b, mac_a, src, 1, dst, 2, f + 42, max_pl + 1),
		-EMSGSIZE);
	free(f);

	/* capacity: one byte short fails without writing, exact fits */
	memset(small, 0x77, sizeof(small));
	assert_int_equal(net_build_udp4(small, 42 + 9, mac_b, mac_a, src, 1, dst, 2,
					(const uint8_t *)"0123456789", 10),
			 -ENOSPC);
	for (size_t i = 0; i < sizeof(small); i++)
		assert_int_equal(small[i], 0x77);
	assert_int_equal(net_build_udp4(small, 42 + 10, mac_b, mac_a, src, 1, dst, 2,
					(const uint8_t *)"0123456789", 10),
			 52);
	assert_int_equal(net_build_udp4(small, 41, mac_b, mac_a, src, 1, dst, 2, nothing, 0),
			 -ENOSPC);
	assert_int_equal(net_build_udp4(small, 0, mac_b, mac_a, src, 1, dst, 2, nothing, 0),
			 -ENOSPC);
}

static void test_build_ipv4(void **state)
{
	uint8_t f[128], pl[13];
	uint32_t src = ip4("172.16.0.1"), dst = ip4("172.16.9.200");
	int n;

	(void)state;
	for (size_t i = 0; i < sizeof(pl); i++)
		pl[i] = (uint8_t)(0xc0 + i);
	memset(f, 0xee, sizeof(f));
	n = net_build_ipv4(f, sizeof(f), mac_b, mac_a, IPPROTO_ICMP_, src, dst, pl, sizeof(pl));
	assert_int_equal(n, 34 + sizeof(pl));
	check_ipv4_frame(f, (size_t)n, IPPROTO_ICMP_, src, dst, sizeof(pl));
	assert_memory_equal(f + 34, pl, sizeof(pl));
	assert_int_equal(f[n], 0xee);
	/* the payload may already sit at its final offset */
	n = net_build_ipv4(f, sizeof(f), mac_b, mac_a, IPPROTO_TCP_, dst, src, f + 34, sizeof(pl));
	assert_int_equal(n, 34 + sizeof(pl));
	check_ipv4_frame(f, (size_t)n, IPPROTO_TCP_, dst, src, sizeof(pl));
	assert_memory_equal(f + 34, pl, sizeof(pl));
	/* an empty payload */
	assert_int_equal(net_build_ipv4(f, 34, mac_b, mac_a, 253, src, dst, nothing, 0), 34);
	check_ipv4_frame(f, 34, 253, src, dst, 0);
}

static void test_build_ipv4_limits(void **state)
{
	uint8_t f[64];
	uint8_t *big;
	uint32_t src = ip4("172.16.0.1"), dst = ip4("172.16.0.2");

	(void)state;
	memset(f, 0x77, sizeof(f));
	assert_int_equal(net_build_ipv4(f, 34 + 9, mac_b, mac_a, 1, src, dst,
					(const uint8_t *)"0123456789", 10),
			 -ENOSPC);
	for (size_t i = 0; i < sizeof(f); i++)
		assert_int_equal(f[i], 0x77);
	assert_int_equal(net_build_ipv4(f, 33, mac_b, mac_a, 1, src, dst, nothing, 0), -ENOSPC);

	big = calloc(1, 14 + 65536);
	assert_non_null(big);
	assert_int_equal(
		net_build_ipv4(big, 14 + 65535, mac_b, mac_a, 1, src, dst, big + 34, 65535 - 20),
		14 + 65535);
	assert_int_equal(rd16(big + 16), 65535);
	assert_int_equal(ref_sum(big + 14, 20, 0), 0xffff);
	assert_int_equal(net_build_ipv4(big, 14 + 65536, mac_b, mac_a, 1, src, dst, big + 34,
					65535 - 20 + 1),
			 -EMSGSIZE);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_parse),
		cmocka_unit_test(test_eth_parse_truncated),
		cmocka_unit_test(test_ipv4_parse_valid),
		cmocka_unit_test(test_ipv4_parse_truncated),
		cmocka_unit_test(test_ipv4_parse_bad_version_and_ihl),
		cmocka_unit_test(test_ipv4_parse_tot_len),
		cmocka_unit_test(test_ipv4_parse_trailing_padding),
		cmocka_unit_test(test_ipv4_parse_checksum),
		cmocka_unit_test(test_ipv4_parse_options),
		cmocka_unit_test(test_ipv4_is_whole),
		cmocka_unit_test(test_udp_parse),
		cmocka_unit_test(test_udp_parse_bad),
		cmocka_unit_test(test_padded_frame_chain),
		cmocka_unit_test(test_csum_rfc1071_example),
		cmocka_unit_test(test_csum_known_header),
		cmocka_unit_test(test_csum_odd_lengths),
		cmocka_unit_test(test_csum_fold),
		cmocka_unit_test(test_byte_order_helpers),
		cmocka_unit_test(test_build_udp4),
		cmocka_unit_test(test_build_udp4_ip_id_changes),
		cmocka_unit_test(test_build_udp4_zero_checksum_sent_as_ffff),
		cmocka_unit_test(test_build_udp4_payload_in_place),
		cmocka_unit_test(test_build_udp4_limits),
		cmocka_unit_test(test_build_ipv4),
		cmocka_unit_test(test_build_ipv4_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
