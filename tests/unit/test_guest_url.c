// SPDX-License-Identifier: MIT
/*
 * test_guest_url.c - guest-tools/gurl.c: vgate-guest's -url
 *
 * Every form vgate-guest dials (vsock with a CID and path, unix, tcp with
 * and without a path, stdio with its query turned into flags, in order,
 * %-decoded), the request head each socket URL opens with, and the ways a
 * URL is refused: schemes that cannot be dialled, vsock without a CID, tcp
 * without a host or port, request paths that could split the request line,
 * bad %-escapes, too many or too long stdio arguments, truncated input,
 * garbage bytes, NULL.
 */
#include "gurl.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>

static struct gurl u; /* large: keep it off the stack */

static void test_default_vsock(void **state)
{
	char buf[512];
	int n;

	(void)state;
	assert_int_equal(gurl_parse("vsock://2:1024/connect", &u), 0);
	assert_int_equal(u.kind, GURL_SOCKET);
	assert_int_equal(u.sock.scheme, STREAM_URL_VSOCK);
	assert_int_equal(u.sock.cid, 2);
	assert_int_equal(u.sock.port, 1024);
	assert_string_equal(u.http_path, "/connect");
	n = gurl_request(&u, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "POST /connect HTTP/1.1\r\n"));
	assert_non_null(strstr(buf, "Content-Length: 0\r\n\r\n"));
	assert_string_equal(buf + n - 4, "\r\n\r\n");
	assert_string_equal(gurl_describe(&u, buf, sizeof(buf)), "vsock://2:1024/connect");

	/* Without a path: /connect all the same (there is no raw vsock peer). */
	assert_int_equal(gurl_parse("vsock://3:5000", &u), 0);
	assert_int_equal(u.sock.cid, 3);
	assert_string_equal(u.http_path, "/connect");
	assert_int_equal(gurl_parse("vsock://2:1024/other/path?x=1", &u), 0);
	assert_string_equal(u.http_path, "/other/path?x=1");
}

static void test_unix_and_tcp(void **state)
{
	char buf[512];

	(void)state;
	assert_int_equal(gurl_parse("unix:///run/vgate/api.sock", &u), 0);
	assert_int_equal(u.sock.scheme, STREAM_URL_UNIX);
	assert_string_equal(u.sock.path, "/run/vgate/api.sock");
	assert_string_equal(u.http_path, "/connect");
	assert_string_equal(gurl_describe(&u, buf, sizeof(buf)), "unix:///run/vgate/api.sock");

	assert_int_equal(gurl_parse("tcp://10.0.0.1:5000", &u), 0);
	assert_int_equal(u.sock.scheme, STREAM_URL_TCP);
	assert_string_equal(u.sock.host, "10.0.0.1");
	assert_int_equal(u.sock.port, 5000);
	assert_string_equal(u.http_path, "/connect");
	assert_true(gurl_request(&u, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "Host: 10.0.0.1:5000\r\n"));

	assert_int_equal(gurl_parse("tcp://[fd00::1]:80/connect", &u), 0);
	assert_string_equal(u.sock.host, "fd00::1");
	assert_true(gurl_request(&u, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "Host: [fd00::1]:80\r\n"));
	assert_string_equal(gurl_describe(&u, buf, sizeof(buf)), "tcp://[fd00::1]:80/connect");
}

static void test_stdio(void **state)
{
	(void)state;
	assert_int_equal(gurl_parse("stdio:/usr/bin/vgate?listen-stdio=accept&debug&mtu=1500", &u),
			 0);
	assert_int_equal(u.kind, GURL_STDIO);
	assert_string_equal(u.prog, "/usr/bin/vgate");
	assert_int_equal(u.nargs, 3);
	assert_string_equal(u.args[0], "-listen-stdio=accept");
	assert_string_equal(u.args[1], "-debug");
	assert_string_equal(u.args[2], "-mtu=1500");

	/* %-escapes and '+' decode; empty pieces are nothing; '=' in values stays. */
	assert_int_equal(
		gurl_parse("stdio:/opt/my%20dir/gvproxy?log-file=%2Ftmp%2Fa+b&&x=a=b&k=", &u), 0);
	assert_string_equal(u.prog, "/opt/my dir/gvproxy");
	assert_int_equal(u.nargs, 3);
	assert_string_equal(u.args[0], "-log-file=/tmp/a b");
	assert_string_equal(u.args[1], "-x=a=b");
	assert_string_equal(u.args[2], "-k=");

	/* A bare name is looked up on $PATH; stdio:///p is stdio:/p. */
	assert_int_equal(gurl_parse("stdio:gvproxy", &u), 0);
	assert_string_equal(u.prog, "gvproxy");
	assert_int_equal(u.nargs, 0);
	assert_int_equal(gurl_parse("stdio:///usr/bin/vgate?", &u), 0);
	assert_string_equal(u.prog, "/usr/bin/vgate");
	assert_int_equal(u.nargs, 0);
}

static void test_refused(void **state)
{
	(void)state;
	assert_int_equal(gurl_parse(NULL, &u), -EINVAL);
	assert_int_equal(gurl_parse("", &u), -EINVAL);
	assert_int_equal(gurl_parse("garbage", &u), -EINVAL);
	assert_int_equal(gurl_parse("http://1.2.3.4/connect", &u), -EPROTONOSUPPORT);
	assert_int_equal(gurl_parse("unixgram:///tmp/x", &u), -EPROTONOSUPPORT);
	assert_int_equal(gurl_parse("unixpacket:///tmp/x", &u), -EPROTONOSUPPORT);
	/* vsock needs a CID to dial; tcp a host and a port. */
	assert_int_equal(gurl_parse("vsock://:1024/connect", &u), -EINVAL);
	assert_int_equal(gurl_parse("vsock://x:1024", &u), -EINVAL);
	assert_int_equal(gurl_parse("tcp://:5000", &u), -EINVAL);
	assert_int_equal(gurl_parse("tcp://1.2.3.4", &u), -EINVAL);
	assert_int_equal(gurl_parse("tcp://1.2.3.4:0", &u), -EINVAL);
	assert_int_equal(gurl_parse("tcp://1.2.3.4:65536", &u), -EINVAL);
	assert_int_equal(gurl_parse("unix://", &u), -EINVAL);
	/* A path that would split the request line or head. */
	assert_int_equal(gurl_parse("tcp://1.2.3.4:80/a b", &u), -EINVAL);
	assert_int_equal(gurl_parse("tcp://1.2.3.4:80/a\r\nX: y", &u), -EINVAL);
	assert_int_equal(gurl_parse("vsock://2:1024/\x7f", &u), -EINVAL);
	/* stdio: no program, bad escapes, an escaped NUL, a key that is a flag. */
	assert_int_equal(gurl_parse("stdio:", &u), -EINVAL);
	assert_int_equal(gurl_parse("stdio:?a=b", &u), -EINVAL);
	assert_int_equal(gurl_parse("stdio://host/prog", &u), -EINVAL);
	assert_int_equal(gurl_parse("stdio:/p?a=%zz", &u), -EINVAL);
	assert_int_equal(gurl_parse("stdio:/p?a=%4", &u), -EINVAL);
	assert_int_equal(gurl_parse("stdio:/p?a=%", &u), -EINVAL);
	assert_int_equal(gurl_parse("stdio:/p%00x", &u), -EINVAL);
	assert_int_equal(gurl_parse("stdio:/p?=v", &u), -EINVAL);
	assert_int_equal(gurl_parse("stdio:/p?-debug", &u), -EINVAL);
}

static void test_oversized(void **state)
{
	static char s[16384];
	size_t o;

	(void)state;
	/* 32 arguments fit, 33 do not. */
	o = (size_t)snprintf(s, sizeof(s), "stdio:/p?");
	for (int i = 0; i < GURL_ARGS_MAX; i++)
		o += (size_t)snprintf(s + o, sizeof(s) - o, "k%d=v&", i);
	assert_int_equal(gurl_parse(s, &u), 0);
	assert_int_equal(u.nargs, GURL_ARGS_MAX);
	snprintf(s + o, sizeof(s) - o, "one=more");
	assert_int_equal(gurl_parse(s, &u), -E2BIG);

	/* An argument longer than GURL_ARG_LEN. */
	o = (size_t)snprintf(s, sizeof(s), "stdio:/p?k=");
	memset(s + o, 'a', GURL_ARG_LEN);
	s[o + GURL_ARG_LEN] = '\0';
	assert_int_equal(gurl_parse(s, &u), -ENAMETOOLONG);

	/* A program path longer than GURL_PROG_LEN. */
	o = (size_t)snprintf(s, sizeof(s), "stdio:/");
	memset(s + o, 'p', GURL_PROG_LEN);
	s[o + GURL_PROG_LEN] = '\0';
	assert_int_equal(gurl_parse(s, &u), -ENAMETOOLONG);

	/* A request path longer than GURL_HTTP_PATH_LEN. */
	o = (size_t)snprintf(s, sizeof(s), "tcp://1.2.3.4:80/");
	memset(s + o, 'c', GURL_HTTP_PATH_LEN);
	s[o + GURL_HTTP_PATH_LEN] = '\0';
	assert_int_equal(gurl_parse(s, &u), -ENAMETOOLONG);

	/* A unix path that cannot fit sun_path. */
	o = (size_t)snprintf(s, sizeof(s), "unix:///");
	memset(s + o, 'u', 200);
	s[o + 200] = '\0';
	assert_int_equal(gurl_parse(s, &u), -ENAMETOOLONG);
}

static void test_truncations_and_garbage(void **state)
{
	static const char *const good[] = {
		"vsock://2:1024/connect",
		"unix:///run/vgate/api.sock",
		"tcp://[fd00::1]:80/connect",
		"stdio:/usr/bin/vgate?listen-stdio=accept&debug&log-file=%2Ftmp%2Fl",
	};
	uint64_t seed = 42;
	char s[256];

	(void)state;
	/* Every prefix of a good URL parses or is refused, never crashes. */
	for (size_t k = 0; k < sizeof(good) / sizeof(good[0]); k++) {
		size_t n = strlen(good[k]);

		for (size_t cut = 0; cut <= n; cut++) {
			int r;

			memcpy(s, good[k], cut);
			s[cut] = '\0';
			r = gurl_parse(s, &u);
			assert_true(r == 0 || r == -EINVAL || r == -EPROTONOSUPPORT ||
				    r == -ENAMETOOLONG);
		}
	}
	/* Random bytes behind each scheme. */
	for (int i = 0; i < 20000; i++) {
		static const char *const pre[] = { "vsock://", "unix://", "tcp://", "stdio:", "" };
		size_t p = (size_t)rng_range(&seed, 0, 4), n = strlen(pre[p]);
		size_t len = rng_range(&seed, 0, 100);
		int r;

		memcpy(s, pre[p], n);
		for (size_t j = 0; j < len; j++)
			s[n + j] = (char)rng_range(&seed, 1, 255);
		s[n + len] = '\0';
		r = gurl_parse(s, &u);
		assert_true(r <= 0);
		if (r == 0 && u.kind == GURL_STDIO)
			assert_true(u.nargs <= GURL_ARGS_MAX);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_vsock),
		cmocka_unit_test(test_unix_and_tcp),
		cmocka_unit_test(test_stdio),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_truncations_and_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
