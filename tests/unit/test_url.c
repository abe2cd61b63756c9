// SPDX-License-Identifier: MIT
/*
 * test_url.c - stream/url.c: gvproxy endpoint URLs
 *
 * Every scheme with its accepted forms (paths, IPv4, [IPv6], empty host,
 * vsock any-CID and CID with a "/connect" suffix), and every way a URL can
 * be refused: unknown scheme, missing or out-of-range port, a unix path
 * that does not fit sun_path, empty, garbage, NULL.
 */
#include "url.h"
#include "testutil.h"

#include <errno.h>
#include <sys/un.h>

static void test_unix_schemes(void **state)
{
	struct stream_url u;

	(void)state;
	assert_int_equal(stream_url_parse("unix:///p", &u), 0);
	assert_int_equal(u.scheme, STREAM_URL_UNIX);
	assert_string_equal(u.path, "/p");
	assert_string_equal(u.suffix, "");

	assert_int_equal(stream_url_parse("unixpacket:///run/bess.sock", &u), 0);
	assert_int_equal(u.scheme, STREAM_URL_UNIXPACKET);
	assert_string_equal(u.path, "/run/bess.sock");

	assert_int_equal(stream_url_parse("unixgram:///tmp/vfkit.sock", &u), 0);
	assert_int_equal(u.scheme, STREAM_URL_UNIXGRAM);
	assert_string_equal(u.path, "/tmp/vfkit.sock");

	/* A unix path is taken whole: colons and slashes are not special. */
	assert_int_equal(stream_url_parse("unix:///a:b/c:80/connect", &u), 0);
	assert_string_equal(u.path, "/a:b/c:80/connect");
	assert_string_equal(u.suffix, "");
}

static void test_unix_path_length(void **state)
{
	char s[16 + STREAM_URL_PATH_MAX + 8];
	struct stream_url u;
	struct sockaddr_un sa;

	(void)state;
	assert_int_equal(STREAM_URL_PATH_MAX, sizeof(sa.sun_path));

	/* The longest path that still fits with its NUL. */
	strcpy(s, "unix://");
	memset(s + 7, 'a', STREAM_URL_PATH_MAX - 1);
	s[7 + STREAM_URL_PATH_MAX - 1] = '\0';
	assert_int_equal(stream_url_parse(s, &u), 0);
	assert_int_equal(strlen(u.path), STREAM_URL_PATH_MAX - 1);

	/* One more byte does not. */
	memset(s + 7, 'a', STREAM_URL_PATH_MAX);
	s[7 + STREAM_URL_PATH_MAX] = '\0';
	assert_int_equal(stream_url_parse(s, &u), -ENAMETOOLONG);

	strcpy(s, "unixgram://");
	memset(s + 11, 'b', STREAM_URL_PATH_MAX + 5);
	s[11 + STREAM_URL_PATH_MAX + 5] = '\0';
	assert_int_equal(stream_url_parse(s, &u), -ENAMETOOLONG);
}

static void test_unix_empty_path(void **state)
{
	struct stream_url u;

	(void)state;
	assert_int_equal(stream_url_parse("unix://", &u), -EINVAL);
	assert_int_equal(stream_url_parse("unixpacket://", &u), -EINVAL);
	assert_int_equal(stream_url_parse("unixgram://", &u), -EINVAL);
}

static void test_tcp(void **state)
{
	struct stream_url u;

	(void)state;
	assert_int_equal(stream_url_parse("tcp://127.0.0.1:80", &u), 0);
	assert_int_equal(u.scheme, STREAM_URL_TCP);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 80);
	assert_string_equal(u.suffix, "");

	assert_int_equal(stream_url_parse("tcp://[::1]:80", &u), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 80);

	assert_int_equal(stream_url_parse("tcp://[fe80::1:2]:65535/connect", &u), 0);
	assert_string_equal(u.host, "fe80::1:2");
	assert_int_equal(u.port, 65535);
	assert_string_equal(u.suffix, "/connect");

	assert_int_equal(stream_url_parse("tcp://:80", &u), 0);
	assert_string_equal(u.host, "");
	assert_int_equal(u.port, 80);

	assert_int_equal(stream_url_parse("tcp://localhost:1/connect", &u), 0);
	assert_string_equal(u.host, "localhost");
	assert_int_equal(u.port, 1);
	assert_string_equal(u.suffix, "/connect");
}

static void test_tcp_bad_port(void **state)
{
	static const char *const bad[] = {
		/* No port, or an empty one. */
		"tcp://127.0.0.1",
		"tcp://127.0.0.1:",
		"tcp://127.0.0.1:/x",
		"tcp://:",
		"tcp://",
		"tcp://[::1]",
		"tcp://[::1]:",
		/* Out of range: one past the top, far past it, and 0. */
		"tcp://127.0.0.1:65536",
		"tcp://127.0.0.1:99999999999999999999",
		"tcp://127.0.0.1:0",
		/* Not a plain decimal number. */
		"tcp://127.0.0.1:-1",
		"tcp://127.0.0.1:+80",
		"tcp://127.0.0.1:8 0",
		"tcp://127.0.0.1:80x",
		"tcp://127.0.0.1:0x50",
		/* Broken brackets. */
		"tcp://[::1]80",
		"tcp://[::1:80",
	};
	struct stream_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = stream_url_parse(bad[i], &u);

		if (r != -EINVAL)
			fail_msg("%s: got %d, want -EINVAL", bad[i], r);
	}
}

static void test_tcp_long_parts(void **state)
{
	char s[512];
	struct stream_url u;

	(void)state;
	/* Host too long for its buffer. */
	strcpy(s, "tcp://");
	memset(s + 6, 'h', STREAM_URL_HOST_MAX);
	strcpy(s + 6 + STREAM_URL_HOST_MAX, ":80");
	assert_int_equal(stream_url_parse(s, &u), -ENAMETOOLONG);

	/* Suffix too long for its buffer. */
	strcpy(s, "tcp://1.2.3.4:80/");
	memset(s + 17, 's', sizeof(u.suffix));
	s[17 + sizeof(u.suffix)] = '\0';
	assert_int_equal(stream_url_parse(s, &u), -ENAMETOOLONG);

	/* Longest suffix that fits. */
	s[16 + sizeof(u.suffix) - 1] = '\0';
	assert_int_equal(stream_url_parse(s, &u), 0);
	assert_int_equal(strlen(u.suffix), sizeof(u.suffix) - 1);
}

static void test_vsock(void **state)
{
	struct stream_url u;

	(void)state;
	assert_int_equal(stream_url_parse("vsock://:1024", &u), 0);
	assert_int_equal(u.scheme, STREAM_URL_VSOCK);
	assert_true(u.any_cid);
	assert_int_equal(u.port, 1024);
	assert_string_equal(u.suffix, "");

	assert_int_equal(stream_url_parse("vsock://2:1024/connect", &u), 0);
	assert_false(u.any_cid);
	assert_int_equal(u.cid, 2);
	assert_int_equal(u.port, 1024);
	assert_string_equal(u.suffix, "/connect");

	assert_int_equal(stream_url_parse("vsock://4294967295:1", &u), 0);
	assert_int_equal(u.cid, 4294967295u);
	assert_false(u.any_cid);

	assert_int_equal(stream_url_parse("vsock://0:1", &u), 0);
	assert_int_equal(u.cid, 0);
	assert_false(u.any_cid);
}

static void test_vsock_bad(void **state)
{
	static const char *const bad[] = {
		/* No port. */
		"vsock://",
		"vsock://2",
		"vsock://2:",
		"vsock://:",
		/* Out of range: port past 16 bits, CID past 32 bits. */
		"vsock://:65536",
		"vsock://4294967296:1024",
		/* A CID must be a number. */
		"vsock://-1:1024",
		"vsock://host:1024",
		"vsock://[::1]:1024",
		"vsock://2:x",
	};
	struct stream_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = stream_url_parse(bad[i], &u);

		if (r != -EINVAL)
			fail_msg("%s: got %d, want -EINVAL", bad[i], r);
	}
}

static void test_unknown_scheme(void **state)
{
	static const char *const unknown[] = {
		"http://127.0.0.1:80",
		"udp://1.2.3.4:5",
		"UNIX:///p",
		"unix+x:///p",
		"://x",
		"stdio://",
		"tcp6://[::1]:80",
	};
	struct stream_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		int r = stream_url_parse(unknown[i], &u);

		if (r != -EPROTONOSUPPORT)
			fail_msg("%s: got %d, want -EPROTONOSUPPORT", unknown[i], r);
	}
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"",
		" ",
		"garbage",
		"unix:",
		"unix:/p",
		"unix",
		"tcp:127.0.0.1:80",
		"/tmp/sock",
		"127.0.0.1:80",
		":",
		"\xff\xfe",
	};
	struct stream_url u;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = stream_url_parse(bad[i], &u);

		if (r != -EINVAL)
			fail_msg("\"%s\": got %d, want -EINVAL", bad[i], r);
	}
	assert_int_equal(stream_url_parse(NULL, &u), -EINVAL);
}

/* A failed parse leaves no half-filled fields behind. */
static void test_cleared(void **state)
{
	struct stream_url u;

	(void)state;
	assert_int_equal(stream_url_parse("tcp://1.2.3.4:80/connect", &u), 0);
	assert_int_equal(stream_url_parse("unix:///x", &u), 0);
	assert_string_equal(u.host, "");
	assert_int_equal(u.port, 0);
	assert_string_equal(u.suffix, "");
	assert_int_equal(stream_url_parse(NULL, &u), -EINVAL);
	assert_string_equal(u.path, "");
}

static void test_scheme_name(void **state)
{
	(void)state;
	assert_string_equal(stream_url_scheme_name(STREAM_URL_UNIX), "unix://");
	assert_string_equal(stream_url_scheme_name(STREAM_URL_UNIXPACKET), "unixpacket://");
	assert_string_equal(stream_url_scheme_name(STREAM_URL_UNIXGRAM), "unixgram://");
	assert_string_equal(stream_url_scheme_name(STREAM_URL_TCP), "tcp://");
	assert_string_equal(stream_url_scheme_name(STREAM_URL_VSOCK), "vsock://");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* Unix sockets. */
		cmocka_unit_test(test_unix_schemes),
		cmocka_unit_test(test_unix_path_length),
		cmocka_unit_test(test_unix_empty_path),
		/* TCP. */
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_tcp_bad_port),
		cmocka_unit_test(test_tcp_long_parts),
		/* vsock. */
		cmocka_unit_test(test_vsock),
		cmocka_unit_test(test_vsock_bad),
		/* Anything else. */
		cmocka_unit_test(test_unknown_scheme),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_cleared),
		cmocka_unit_test(test_scheme_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
