// SPDX-License-Identifier: MIT
/*
 * test_notify.c - backend/notify.c: the event lines gvproxy's listeners
 * parse, byte for byte, and the bounded buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "notify.h"

#include <errno.h>

static void test_ready(void **state)
{
	char buf[160];

	(void)state;
	assert_int_equal(notify_format(NOTIFY_READY, NULL, buf, sizeof(buf)), 30);
	assert_string_equal(buf, "{\"notification_type\":\"ready\"}\n");
}

static void test_with_mac(void **state)
{
	static const uint8_t mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
	char buf[160];

	(void)state;
	assert_true(notify_format(NOTIFY_CONNECTION_ESTABLISHED, mac, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"notification_type\":\"connection_established\","
				 "\"mac_address\":\"5a:94:ef:e4:0c:ee\"}\n");
	assert_true(notify_format(NOTIFY_CONNECTION_CLOSED, mac, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"notification_type\":\"connection_closed\","
				 "\"mac_address\":\"5a:94:ef:e4:0c:ee\"}\n");
	assert_true(notify_format(NOTIFY_HYPERVISOR_ERROR, NULL, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, "{\"notification_type\":\"hypervisor_error\"}\n");
}

static void test_too_small(void **state)
{
	char buf[10];

	(void)state;
	assert_int_equal(notify_format(NOTIFY_READY, NULL, buf, sizeof(buf)), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ready),
		cmocka_unit_test(test_with_mac),
		cmocka_unit_test(test_too_small),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
