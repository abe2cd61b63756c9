// SPDX-License-Identifier: MIT
/*
 * test_qmp_listeners.c - backend/qmp_listeners.c: the body and the URL of
 * POST /v1/listeners, checked before anything is opened
 *
 * The body parser takes {"url": ...} with an optional "kind":"qemu" and
 * refuses every other shape with a reason (truncated, garbage, NUL bytes,
 * deep nesting, wrong types, unknown keys, over-long URLs). The URL check
 * allows unix:// below a permitted directory without ".", ".." or empty
 * components, and tcp:// on loopback addresses only. (The route itself,
 * with a real daemon, is in tests/e2e/t_qmp_follow.sh.)
 */
#include "qmp_listeners.h"
#include "testutil.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <stdio.h>

struct vgate *vg;

static int parse(const char *body, char *url, size_t cap, char *err, size_t errlen)
{
	return qmp_listeners_parse(body, strlen(body), url, cap, err, errlen);
}

static void test_parse_ok(void **state)
{
	char url[QMP_LISTENERS_URL_MAX + 1], err[256];

	(void)state;
	assert_int_equal(
		parse("{\"url\":\"unix:///run/vgate/q.sock\"}", url, sizeof(url), err, sizeof(err)),
		0);
	assert_string_equal(url, "unix:///run/vgate/q.sock");
	assert_int_equal(parse(" {\"kind\": \"qemu\", \"url\": \"tcp://127.0.0.1:5555\"}\n", url,
			       sizeof(url), err, sizeof(err)),
			 0);
	assert_string_equal(url, "tcp://127.0.0.1:5555");
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *body;
		const char *why;
	} bad[] = {
		{ "", "invalid JSON" },
		{ "{\"url\":\"unix:///a\"", "invalid JSON" },
		{ "{\"url\":\"unix:///a\"} x", "invalid JSON" },
		{ "nonsense", "invalid JSON" },
		{ "[\"unix:///a\"]", "JSON object" },
		{ "\"unix:///a\"", "JSON object" },
		{ "{}", "url: missing" },
		{ "{\"kind\":\"qemu\"}", "url: missing" },
		{ "{\"url\":5}", "url: must be a string" },
		{ "{\"url\":null}", "url: must be a string" },
		{ "{\"url\":\"unix:///a\",\"kind\":\"vpnkit\"}", "only \"qemu\"" },
		{ "{\"url\":\"unix:///a\",\"kind\":1}", "only \"qemu\"" },
		{ "{\"url\":\"unix:///a\",\"path\":\"/b\"}", "unknown key \"path\"" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
		  "deep" },
	};
	char url[QMP_LISTENERS_URL_MAX + 1], err[256];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = '\0';
		assert_int_equal(parse(bad[i].body, url, sizeof(url), err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].why))
			fail_msg("'%s': error '%s' lacks '%s'", bad[i].body, err, bad[i].why);
	}
	/* NUL bytes inside the body. */
	assert_int_equal(
		qmp_listeners_parse("{\"url\":\"a\0b\"}", 13, url, sizeof(url), err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "NUL"));
}

static void test_parse_long(void **state)
{
	char body[QMP_LISTENERS_URL_MAX + 64], url[QMP_LISTENERS_URL_MAX + 1], err[256];
	size_t n;

	(void)state;
	n = (size_t)snprintf(body, sizeof(body), "{\"url\":\"unix:///");
	memset(body + n, 'a', QMP_LISTENERS_URL_MAX);
	snprintf(body + n + QMP_LISTENERS_URL_MAX, sizeof(body) - n - QMP_LISTENERS_URL_MAX, "\"}");
	assert_int_equal(parse(body, url, sizeof(url), err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long"));
	/* A small output buffer is respected too. */
	assert_int_equal(parse("{\"url\":\"unix:///run/vgate/q.sock\"}", url, 8, err, sizeof(err)),
			 -EINVAL);
}

static void test_check(void **state)
{
	const char *const dirs[] = { "/run/vgate", "/tmp/x/" };
	static const struct {
		const char *url;
		int ok;
		const char *why;
	} cases[] = {
		{ "unix:///run/vgate/q.sock", 1, NULL },
		{ "unix:///run/vgate/sub/q.sock", 1, NULL },
		{ "unix:///tmp/x/q.sock", 1, NULL },
		{ "tcp://127.0.0.1:5555", 1, NULL },
		{ "tcp://127.9.9.9:5555", 1, NULL },
		{ "tcp://[::1]:5555", 1, NULL },
		{ "unix:///run/vgate", 0, "permitted" },
		{ "unix:///run/vgate/", 0, "permitted" },
		{ "unix:///run/vgatex/q.sock", 0, "permitted" },
		{ "unix:///etc/q.sock", 0, "permitted" },
		{ "unix:///run/vgate/../q.sock", 0, "permitted" },
		{ "unix:///run/vgate/./q.sock", 0, "permitted" },
		{ "unix:///run/vgate//q.sock", 0, "permitted" },
		{ "unix://run/vgate/q.sock", 0, "absolute" },
		{ "tcp://0.0.0.0:5555", 0, "loopback" },
		{ "tcp://:5555", 0, "loopback" },
		{ "tcp://192.168.1.1:5555", 0, "loopback" },
		{ "tcp://[::]:5555", 0, "loopback" },
		{ "tcp://localhost:5555", 0, "loopback" },
		{ "tcp://127.0.0.1:5555/connect", 0, "no path" },
		{ "tcp://127.0.0.1:0", 0, "not a unix" },
		{ "unixgram:///run/vgate/q.sock", 0, "unix:// or tcp://" },
		{ "unixpacket:///run/vgate/q.sock", 0, "unix:// or tcp://" },
		{ "vsock://:1024", 0, "unix:// or tcp://" },
		{ "http://x", 0, "not a unix" },
		{ "/run/vgate/q.sock", 0, "not a unix" },
		{ "", 0, "not a unix" },
	};
	struct stream_url u;
	char err[512], longurl[200];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int r;

		err[0] = '\0';
		r = qmp_listeners_check(cases[i].url, dirs, 2, &u, err, sizeof(err));
		if (cases[i].ok) {
			if (r != 0)
				fail_msg("%s refused: %s", cases[i].url, err);
			continue;
		}
		if (r != -EINVAL || !strstr(err, cases[i].why))
			fail_msg("%s: %d '%s', wanted '%s'", cases[i].url, r, err, cases[i].why);
	}
	/* No permitted directory at all: no unix listener. */
	assert_int_equal(
		qmp_listeners_check("unix:///run/vgate/q.sock", dirs, 0, &u, err, sizeof(err)),
		-EINVAL);
	snprintf(longurl, sizeof(longurl), "unix:///run/vgate/%0150d", 0);
	assert_int_equal(qmp_listeners_check(longurl, dirs, 2, &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "too long"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_long),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
