// SPDX-License-Identifier: MIT
/*
 * test_tap_api.c - backend/taps_api.c and backend/packet_port.c: what the
 * /v1/taps routes accept before anything touches the kernel
 *
 * Tap names: 1 to 15 bytes (IFNAMSIZ) of letters, digits, '_', '-' and
 * '.', not starting with '-' or '.', never a '%' template, '/', ':' or
 * white space. Bodies: {"name": NAME}, {} or nothing for a creation,
 * {"name": NAME} for a removal; everything else (truncated, garbage, NUL
 * bytes, deep nesting, wrong types, unknown keys, over-long names) is
 * refused with a reason. The answers' JSON has the documented keys. (The
 * routes with a real daemon, taps and QEMU are in
 * tests/e2e/t_libvirt_hotplug.sh.)
 */
#include "taps_api.h"
#include "testutil.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <stdio.h>
#include <yajl/yajl_tree.h>

struct vgate *vg;

static void test_name_ok(void **state)
{
	static const char *const good[] = {
		"vgtap0", "t", "0", "_x", "a-b", "a.b", "a_b", "ABCdef123", "abcdefghijklmno",
	};
	static const char *const bad[] = {
		"",	   "-a",   ".",	  "..",	 ".a",	 "a/b", "a b",	"a\tb", "a:0",
		"vgtap%d", "a\"b", "a<b", "a'b", "a\\b", "é",	"a\nb", "a,b",	"abcdefghijklmnop",
		"a;b",	   "a&b",  "a=b", "a*b",
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		if (!packet_tap_name_ok(good[i]))
			fail_msg("'%s' refused", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (packet_tap_name_ok(bad[i]))
			fail_msg("'%s' accepted", bad[i]);
	assert_false(packet_tap_name_ok(NULL));
	assert_int_equal(PACKET_TAP_NAME_MAX, 15);
}

static int parse(const char *body, bool need, char *name, char *err, size_t errlen)
{
	return taps_api_parse(body, strlen(body), need, name, err, errlen);
}

static void test_parse_ok(void **state)
{
	char name[IFNAMSIZ], err[256];

	(void)state;
	assert_int_equal(parse("{\"name\":\"vgtap3\"}", true, name, err, sizeof(err)), 0);
	assert_string_equal(name, "vgtap3");
	assert_int_equal(
		parse(" {\"name\" : \"abcdefghijklmno\"}\r\n", false, name, err, sizeof(err)), 0);
	assert_string_equal(name, "abcdefghijklmno");
	/* A creation may leave the name to vgate. */
	strcpy(name, "junk");
	assert_int_equal(parse("{}", false, name, err, sizeof(err)), 0);
	assert_string_equal(name, "");
	strcpy(name, "junk");
	assert_int_equal(parse("", false, name, err, sizeof(err)), 0);
	assert_string_equal(name, "");
	assert_int_equal(parse(" \n\t", false, name, err, sizeof(err)), 0);
	assert_string_equal(name, "");
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *body;
		bool need;
		const char *why;
	} bad[] = {
		{ "", true, "name: missing" },
		{ "  ", true, "name: missing" },
		{ "{}", true, "name: missing" },
		{ "{\"name\":\"vgtap0\"", false, "invalid JSON" },
		{ "{\"name\":\"vgtap0", true, "invalid JSON" },
		{ "{\"name\":", true, "invalid JSON" },
		{ "{", false, "invalid JSON" },
		{ "{\"name\":\"a\"} x", false, "invalid JSON" },
		{ "nonsense", false, "invalid JSON" },
		{ "\xff\xfe", false, "invalid JSON" },
		{ "[\"vgtap0\"]", false, "JSON object" },
		{ "\"vgtap0\"", true, "JSON object" },
		{ "5", false, "JSON object" },
		{ "null", false, "JSON object" },
		{ "{\"name\":5}", false, "must be a string" },
		{ "{\"name\":null}", true, "must be a string" },
		{ "{\"name\":[\"a\"]}", true, "must be a string" },
		{ "{\"name\":{}}", true, "must be a string" },
		{ "{\"name\":\"\"}", true, "1 to 15" },
		{ "{\"name\":\"abcdefghijklmnop\"}", true, "1 to 15" },
		{ "{\"name\":\"a/b\"}", false, "1 to 15" },
		{ "{\"name\":\"..\"}", false, "1 to 15" },
		{ "{\"name\":\"-x\"}", false, "1 to 15" },
		{ "{\"name\":\"vgtap%d\"}", false, "1 to 15" },
		{ "{\"name\":\"a b\"}", false, "1 to 15" },
		{ "{\"name\":\"a\\u0000b\"}", false, "u0000" },
		{ "{\"name\":\"a\\u0020\"}", false, "1 to 15" },
		{ "{\"nam\":\"x\"}", false, "unknown key \"nam\"" },
		{ "{\"name\":\"x\",\"mtu\":1500}", false, "unknown key \"mtu\"" },
		{ "{\"name\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":{\"j\":"
		  "{\"k\":{\"l\":{\"m\":{\"n\":{\"o\":{\"p\":{\"q\":1}}}}}}}}}}}}}}}}}}",
		  false, "deep" },
	};
	char name[IFNAMSIZ], err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		strcpy(name, "junk");
		if (parse(bad[i].body, bad[i].need, name, err, sizeof(err)) != -EINVAL)
			fail_msg("'%s' accepted", bad[i].body);
		if (!strstr(err, bad[i].why))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].body, err, bad[i].why);
		assert_string_equal(name, "");
	}
	/* NUL bytes inside the body; a body cut short inside a string. */
	assert_int_equal(taps_api_parse("{\"name\":\"a\0b\"}", 14, false, name, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	assert_int_equal(taps_api_parse("{\"name\":\"vgtap0\"}", 12, true, name, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "invalid JSON"));
	/* A tiny error buffer is respected. */
	assert_int_equal(parse("{\"nam\":\"x\"}", false, name, err, 4), -EINVAL);
	assert_int_equal(strlen(err), 3);
}

static void test_parse_oversized(void **state)
{
	char name[IFNAMSIZ], err[256];
	size_t big = 70 * 1024, n;
	char *body = malloc(big + 32);

	(void)state;
	assert_non_null(body);
	/* A name far over IFNAMSIZ. */
	n = (size_t)sprintf(body, "{\"name\":\"");
	memset(body + n, 'a', big);
	strcpy(body + n + big, "\"}");
	assert_int_equal(parse(body, true, name, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "1 to 15"));
	assert_string_equal(name, "");
	/* A long key, and a long run of white space before the object. */
	n = (size_t)sprintf(body, "{\"");
	memset(body + n, 'k', big);
	strcpy(body + n + big, "\":1}");
	assert_int_equal(parse(body, false, name, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key"));
	memset(body, ' ', big);
	strcpy(body + big, "{\"name\":\"t0\"}");
	assert_int_equal(parse(body, true, name, err, sizeof(err)), 0);
	assert_string_equal(name, "t0");
	free(body);
}

/* Random bytes never crash the parser, and never leave a name behind on failure. */
static void test_parse_garbage(void **state)
{
	static const char alphabet[] = "{}[]\":,namev0123 \\u\x01\xff";
	char body[64], name[IFNAMSIZ], err[256];
	uint32_t seed = 12345;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		size_t len = 1 + (seed % (sizeof(body) - 1));

		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			body[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		seed = seed * 1103515245u + 12345u;
		if (taps_api_parse(body, len, round & 1, name, err, sizeof(err)) < 0)
			assert_string_equal(name, "");
		else
			assert_true(!name[0] || packet_tap_name_ok(name));
	}
}

static void test_json(void **state)
{
	struct taps_api_info t[2] = {
		{ .name = "vgtap0",
		  .ifindex = 7,
		  .port = 3,
		  .carrier = 1,
		  .mac_known = true,
		  .mac = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee },
		  .rx_frames = 5,
		  .tx_frames = 6 },
		{ .name = "t1", .ifindex = 8, .port = -1, .carrier = -1 },
	};
	char *out, ebuf[128];
	yajl_val j, o;

	(void)state;
	assert_int_equal(taps_api_json(t, 2, true, false, false, &out), 0);
	assert_non_null(strchr(out, '\n'));
	j = yajl_tree_parse(out, ebuf, sizeof(ebuf));
	assert_non_null(j);
	assert_true(YAJL_IS_ARRAY(j));
	assert_int_equal(j->u.array.len, 2);
	o = j->u.array.values[0];
	assert_string_equal(
		YAJL_GET_STRING(yajl_tree_get(o, (const char *[]){ "name", NULL }, yajl_t_string)),
		"vgtap0");
	assert_string_equal(
		YAJL_GET_STRING(yajl_tree_get(o, (const char *[]){ "mac", NULL }, yajl_t_string)),
		"5a:94:ef:e4:0c:ee");
	assert_true(
		YAJL_IS_TRUE(yajl_tree_get(o, (const char *[]){ "carrier", NULL }, yajl_t_any)));
	assert_int_equal(
		YAJL_GET_INTEGER(yajl_tree_get(o, (const char *[]){ "port", NULL }, yajl_t_number)),
		3);
	assert_null(yajl_tree_get(o, (const char *[]){ "created", NULL }, yajl_t_any));
	o = j->u.array.values[1];
	assert_true(YAJL_IS_NULL(yajl_tree_get(o, (const char *[]){ "port", NULL }, yajl_t_any)));
	assert_true(YAJL_IS_NULL(yajl_tree_get(o, (const char *[]){ "mac", NULL }, yajl_t_any)));
	assert_true(
		YAJL_IS_NULL(yajl_tree_get(o, (const char *[]){ "carrier", NULL }, yajl_t_any)));
	yajl_tree_free(j);
	free(out);

	assert_int_equal(taps_api_json(t, 1, false, true, true, &out), 0);
	j = yajl_tree_parse(out, ebuf, sizeof(ebuf));
	assert_non_null(j);
	assert_true(YAJL_IS_OBJECT(j));
	assert_true(
		YAJL_IS_TRUE(yajl_tree_get(j, (const char *[]){ "created", NULL }, yajl_t_any)));
	yajl_tree_free(j);
	free(out);

	assert_int_equal(taps_api_json(NULL, 0, true, false, false, &out), 0);
	assert_string_equal(out, "[]\n");
	free(out);
	/* One object means exactly one tap. */
	assert_int_equal(taps_api_json(t, 2, false, true, false, &out), -EINVAL);
	assert_null(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_ok),	      cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),     cmocka_unit_test(test_parse_oversized),
		cmocka_unit_test(test_parse_garbage), cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
