// SPDX-License-Identifier: MIT
/*
 * test_dhcp_opts.c - the DHCP option walker shared by the server and
 * vgate-guest's client: areas, overload, truncation, garbage
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dhcp_opts.h"

#include <errno.h>
#include <string.h>

struct seen {
	uint8_t codes[64];
	size_t lens[64];
	unsigned n;
	int fail_at; /* code whose visit returns -EPERM, or -1 */
};

static int visit(void *ctx, uint8_t code, const uint8_t *data, size_t len)
{
	struct seen *s = ctx;

	(void)data;
	if (code == s->fail_at)
		return -EPERM;
	if (s->n < 64) {
		s->codes[s->n] = code;
		s->lens[s->n] = len;
	}
	s->n++;
	return 0;
}

static uint8_t msg[576];

static int walk(size_t len, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	s->fail_at = -1;
	return dhcp_opts_walk(msg, len, visit, s);
}

static void test_areas_and_overload(void **state)
{
	struct seen s;
	uint8_t *o = msg + DHCP_OPTS_OFFSET;

	(void)state;
	memset(msg, 0, sizeof(msg));
	/* pad, 53=1, overload 3, end; then file: 12 "ab" end; sname: 61 len 1 */
	memcpy(o, (const uint8_t[]){ 0, 53, 1, 1, 52, 1, 3, 255 }, 8);
	memcpy(msg + 108, (const uint8_t[]){ 12, 2, 'a', 'b', 52, 1, 1, 255 }, 8);
	memcpy(msg + 44, (const uint8_t[]){ 61, 1, 7 }, 3); /* no end: the area runs out */
	assert_int_equal(walk(DHCP_OPTS_OFFSET + 8, &s), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.codes[0], 53);
	assert_int_equal(s.codes[1], 12); /* file before sname */
	assert_int_equal(s.lens[1], 2);
	assert_int_equal(s.codes[2], 61);
	/* no overload: the file field is not read */
	o[6] = 0; /* overload value 0: invalid */
	assert_int_equal(walk(DHCP_OPTS_OFFSET + 8, &s), -EBADMSG);
	memcpy(o, (const uint8_t[]){ 53, 1, 1, 255 }, 4);
	assert_int_equal(walk(DHCP_OPTS_OFFSET + 4, &s), 0);
	assert_int_equal(s.n, 1);
	/* the callback's error stops the walk */
	memset(&s, 0, sizeof(s));
	s.fail_at = 53;
	assert_int_equal(dhcp_opts_walk(msg, DHCP_OPTS_OFFSET + 4, visit, &s), -EPERM);
}

static void test_truncated_and_garbage(void **state)
{
	struct seen s;
	uint8_t *o = msg + DHCP_OPTS_OFFSET;
	uint32_t x = 12345;

	(void)state;
	memset(msg, 0, sizeof(msg));
	assert_int_equal(walk(DHCP_OPTS_OFFSET - 1, &s), -EBADMSG);
	assert_int_equal(walk(DHCP_OPTS_OFFSET, &s), 0); /* no options at all */
	memcpy(o, (const uint8_t[]){ 53, 1, 1, 12, 5, 'a' }, 6);
	for (size_t cut = 1; cut <= 6; cut++) {
		int r = walk(DHCP_OPTS_OFFSET + cut, &s);

		/* a cut inside an option is an error; at a boundary it is not */
		assert_int_equal(r, cut == 3 ? 0 : -EBADMSG);
	}
	memcpy(o, (const uint8_t[]){ 52, 2, 1, 1 }, 4); /* overload of length 2 */
	assert_int_equal(walk(DHCP_OPTS_OFFSET + 4, &s), -EBADMSG);
	/* garbage: never reads outside the message, never crashes */
	for (int i = 0; i < 20000; i++) {
		size_t len = DHCP_OPTS_OFFSET + (x % 300);

		for (size_t k = 0; k < sizeof(msg); k++) {
			x = x * 1103515245u + 12345u;
			msg[k] = (uint8_t)(x >> 16);
		}
		(void)walk(len, &s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_areas_and_overload),
		cmocka_unit_test(test_truncated_and_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
