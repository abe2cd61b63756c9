// SPDX-License-Identifier: MIT
/*
 * test_csum.c - the DNAT shim's incremental checksum updates (RFC 1624 in
 * backend/net.c): on random IPv4/TCP packets, rewriting an address and a
 * port with csum_replace32/csum_replace16 must give exactly the checksums
 * a full recomputation gives, including the corner values 0x0000/0xffff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "net.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Full TCP checksum over pseudo header + segment. */
static uint16_t tcp_full(const uint8_t *iph, const uint8_t *seg, size_t len)
{
	uint8_t pseudo[12];
	uint32_t s;

	memcpy(pseudo, iph + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	pseudo[10] = (uint8_t)(len >> 8);
	pseudo[11] = (uint8_t)len;
	s = csum_partial(pseudo, 12, 0);
	s = csum_partial(seg, len, s);
	return (uint16_t)~csum_fold(s);
}

static void make_packet(uint8_t *p, size_t seglen)
{
	uint8_t *seg = p + 20;

	for (size_t i = 0; i < 20 + seglen; i++)
		p[i] = (uint8_t)rnd();
	p[0] = 0x45;
	wr16(p + 2, (uint16_t)(20 + seglen));
	p[9] = 6;
	wr16(p + 10, 0);
	wr16(p + 10, ip_checksum(p, 20));
	seg[12] = 5 << 4;
	wr16(seg + 16, 0);
	wr16(seg + 16, tcp_full(p, seg, seglen));
}

static void test_random_rewrites(void **state)
{
	uint8_t p[20 + 1500];

	(void)state;
	for (int iter = 0; iter < 200000; iter++) {
		size_t seglen = 20 + rnd() % 1480;
		uint8_t *seg = p + 20;
		bool dst = rnd() & 1;
		uint32_t old_ip, new_ip = rnd();
		uint16_t old_port, new_port = (uint16_t)rnd();
		uint8_t *ipf = p + (dst ? 16 : 12), *portf = seg + (dst ? 2 : 0);

		if (iter % 7 == 0)
			new_ip = 0;
		if (iter % 11 == 0)
			new_port = 0xffff;
		make_packet(p, seglen);
		memcpy(&old_ip, ipf, 4);
		old_port = rd16(portf);

		memcpy(ipf, &new_ip, 4);
		csum_replace32(p + 10, old_ip, new_ip);
		wr16(portf, new_port);
		csum_replace32(seg + 16, old_ip, new_ip);
		csum_replace16(seg + 16, old_port, new_port);

		/* The header verifies, and the TCP checksum equals a fresh one. */
		assert_int_equal(ip_checksum(p, 20), 0);
		{
			uint16_t got = rd16(seg + 16);
			uint16_t want;

			wr16(seg + 16, 0);
			want = tcp_full(p, seg, seglen);
			/* 0x0000 and 0xffff are the same one's-complement value. */
			if (!((got == want) || (got == 0xffff && want == 0) ||
			      (got == 0 && want == 0xffff)))
				fail_msg("iteration %d: incremental %04x, full %04x", iter, got,
					 want);
		}
	}
}

static void test_identity_and_known_vector(void **state)
{
	uint8_t sum[2];

	(void)state;
	/* Replacing a value by itself changes nothing (up to 0/ffff). */
	wr16(sum, 0x1234);
	csum_replace16(sum, 0xabcd, 0xabcd);
	assert_int_equal(rd16(sum), 0x1234);
	/* RFC 1624 section 4 example: HC = 0xdd2f, m = 0x5555 -> 0x3285 gives 0x0000. */
	wr16(sum, 0xdd2f);
	csum_replace16(sum, 0x5555, 0x3285);
	assert_true(rd16(sum) == 0x0000 || rd16(sum) == 0xffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_rewrites),
		cmocka_unit_test(test_identity_and_known_vector),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
