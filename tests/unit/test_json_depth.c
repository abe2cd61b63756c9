// SPDX-License-Identifier: MIT
/*
 * test_json_depth.c - common/json_depth.c: nesting is counted outside
 * strings only, escapes inside strings are skipped, and the bound is exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "json_depth.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool ok(const char *s, unsigned max)
{
	return json_nesting_ok(s, strlen(s), max);
}

static void test_depths(void **state)
{
	(void)state;
	assert_true(ok("", 0));
	assert_true(ok("1", 0));
	assert_false(ok("[]", 0));
	assert_true(ok("[]", 1));
	assert_true(ok("{\"a\":[1,{\"b\":2}]}", 3));
	assert_false(ok("{\"a\":[1,{\"b\":2}]}", 2));
	/* Siblings do not add up. */
	assert_true(ok("[[],[],[[]]]", 3));
}

static void test_strings_and_escapes(void **state)
{
	(void)state;
	assert_true(ok("[\"[[[[[[\"]", 1));
	assert_true(ok("[\"a\\\"[[[[\"]", 1));
	assert_true(ok("[\"\\\\\",[1]]", 2));
	assert_false(ok("[\"\\\\\",[1]]", 1));
	/* Unbalanced closers never underflow. */
	assert_true(ok("]]]]][", 1));
}

static void test_huge(void **state)
{
	size_t n = 1 << 20;
	char *s = malloc(n);

	(void)state;
	assert_non_null(s);
	memset(s, '[', n);
	assert_false(json_nesting_ok(s, n, JSON_DEPTH_MAX));
	memset(s, ' ', n);
	s[0] = '[';
	assert_true(json_nesting_ok(s, n, JSON_DEPTH_MAX));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_depths),
		cmocka_unit_test(test_strings_and_escapes),
		cmocka_unit_test(test_huge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
