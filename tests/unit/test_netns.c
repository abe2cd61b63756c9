// SPDX-License-Identifier: MIT
/*
 * test_netns.c - backend/netns.c's MAC parser (the namespace work itself is
 * proven end to end by tests/e2e/t_netns_ping.sh).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "netns.h"

static void test_mac_parse(void **state)
{
	static const uint8_t want[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
	uint8_t mac[6];

	(void)state;
	assert_int_equal(mac_parse("5a:94:ef:e4:0c:ee", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_int_equal(mac_parse("5A:94:EF:E4:0C:EE", mac), 0);
	assert_memory_equal(mac, want, 6);
	assert_true(mac_parse("5a:94:ef:e4:0c", mac) < 0);
	assert_true(mac_parse("5a:94:ef:e4:0c:ee:ff", mac) < 0);
	assert_true(mac_parse("5a:94:ef:e4:0c:e", mac) < 0);
	assert_true(mac_parse("5a-94-ef-e4-0c-ee", mac) < 0);
	assert_true(mac_parse("zz:94:ef:e4:0c:ee", mac) < 0);
	assert_true(mac_parse("", mac) < 0);
	assert_true(mac_parse(NULL, mac) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
