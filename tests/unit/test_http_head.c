// SPDX-License-Identifier: MIT
/*
 * test_http_head.c - stream/http_head.c: finding and splitting a request head
 *
 * The parser sees whatever a peek at the socket returned: a request head,
 * often followed by the first frames of the connection it opens. It must
 * report exactly the head's length (so the caller consumes only the head),
 * split method, path and query, ask for more bytes while the blank line has
 * not arrived, and give up on heads that are too long, contain NUL bytes or
 * do not start with a request line. CRLF and bare LF line endings are both
 * accepted.
 */
#include "http_head.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>

#define CONNECT_HEAD "POST /connect HTTP/1.1\r\nHost: \r\nContent-Length: 0\r\n\r\n"

static void test_connect(void **state)
{
	struct http_head h;

	(void)state;
	assert_int_equal(http_head_parse(CONNECT_HEAD, strlen(CONNECT_HEAD), &h), 0);
	assert_string_equal(h.method, "POST");
	assert_string_equal(h.path, "/connect");
	assert_string_equal(h.query, "");
	assert_int_equal(h.head_len, strlen(CONNECT_HEAD));
}

/* Bytes behind the head are not part of it. */
static void test_connect_trailing(void **state)
{
	char buf[sizeof(CONNECT_HEAD) + 300];
	size_t hl = strlen(CONNECT_HEAD);
	struct http_head h;

	(void)state;
	memcpy(buf, CONNECT_HEAD, hl);
	/* Frame-like bytes, including CR, LF and blank-line lookalikes. */
	for (size_t i = 0; i < 300; i++)
		buf[hl + i] = (char)(1 + i % 255);
	memcpy(buf + hl + 20, "\r\n\r\n\n\n", 6);
	for (size_t extra = 0; extra <= 300; extra++) {
		assert_int_equal(http_head_parse(buf, hl + extra, &h), 0);
		assert_int_equal(h.head_len, hl);
		assert_string_equal(h.path, "/connect");
	}
}

/*
 * The frames behind a /connect head are binary: an LE16 length below 256 and
 * the Ethernet header contain NUL bytes. Those are not part of the head and
 * must not make it malformed.
 */
static void test_connect_trailing_frame(void **state)
{
	char buf[sizeof(CONNECT_HEAD) + 2 + 60];
	size_t hl = strlen(CONNECT_HEAD);
	struct http_head h;

	(void)state;
	memcpy(buf, CONNECT_HEAD, hl);
	buf[hl] = 60; /* LE16 length 60 */
	buf[hl + 1] = 0;
	memset(buf + hl + 2, 0xff, 6); /* broadcast destination */
	memcpy(buf + hl + 8, "\x5a\x94\xef\xe4\x0c\xee\x08\x06", 8);
	memset(buf + hl + 16, 0, 46); /* ARP body, zero padded */
	assert_int_equal(http_head_parse(buf, sizeof(buf), &h), 0);
	assert_int_equal(h.head_len, hl);
	assert_string_equal(h.method, "POST");
	assert_string_equal(h.path, "/connect");
}

static void test_query(void **state)
{
	static const char req[] = "GET /tunnel?ip=1.2.3.4&port=22 HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_head h;

	(void)state;
	assert_int_equal(http_head_parse(req, strlen(req), &h), 0);
	assert_string_equal(h.method, "GET");
	assert_string_equal(h.path, "/tunnel");
	assert_string_equal(h.query, "ip=1.2.3.4&port=22");
	assert_int_equal(h.head_len, strlen(req));

	assert_int_equal(http_head_parse("GET /x? HTTP/1.0\r\n\r\n", 20, &h), 0);
	assert_string_equal(h.path, "/x");
	assert_string_equal(h.query, "");

	assert_int_equal(http_head_parse("GET /a?b?c=/d HTTP/1.1\r\n\r\n", 26, &h), 0);
	assert_string_equal(h.path, "/a");
	assert_string_equal(h.query, "b?c=/d");

	assert_int_equal(http_head_parse("GET / HTTP/1.1\r\n\r\n", 18, &h), 0);
	assert_string_equal(h.path, "/");
	assert_string_equal(h.query, "");
}

/* Every strict prefix of a head: wait for more. */
static void test_incomplete(void **state)
{
	static const char *const reqs[] = {
		CONNECT_HEAD,
		"GET /tunnel?ip=1.2.3.4&port=22 HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\n\n",
		"GET / HTTP/1.1\nHost: a\n\n",
	};
	struct http_head h;

	(void)state;
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		size_t len = strlen(reqs[i]);

		for (size_t n = 0; n < len; n++) {
			int r = http_head_parse(reqs[i], n, &h);

			if (r != -EAGAIN)
				fail_msg("request %zu, prefix %zu: got %d, want -EAGAIN", i, n, r);
		}
		assert_int_equal(http_head_parse(reqs[i], len, &h), 0);
		assert_int_equal(h.head_len, len);
	}
}

static void test_too_big(void **state)
{
	size_t big = 3 * HTTP_HEAD_MAX;
	char *buf = malloc(big);
	struct http_head h;
	size_t hl;

	(void)state;
	assert_non_null(buf);
	hl = (size_t)snprintf(buf, big, "GET / HTTP/1.1\r\nX-Pad: ");
	memset(buf + hl, 'a', big - hl);
	/* One byte short of the limit: could still end in time. */
	assert_int_equal(http_head_parse(buf, HTTP_HEAD_MAX - 1, &h), -EAGAIN);
	assert_int_equal(http_head_parse(buf, HTTP_HEAD_MAX, &h), -E2BIG);
	assert_int_equal(http_head_parse(buf, big, &h), -E2BIG);

	/* A blank line beyond the limit does not count. */
	memcpy(buf + HTTP_HEAD_MAX + 10, "\r\n\r\n", 4);
	assert_int_equal(http_head_parse(buf, big, &h), -E2BIG);

	/* A head that ends exactly at the limit is fine. */
	memcpy(buf + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	assert_int_equal(http_head_parse(buf, big, &h), 0);
	assert_int_equal(h.head_len, HTTP_HEAD_MAX);
	free(buf);
}

static void test_nul(void **state)
{
	static const char req[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t len = strlen(req);
	char buf[64];
	struct http_head h;

	(void)state;
	/* A NUL anywhere in the head, complete or not. */
	for (size_t pos = 0; pos < len; pos++) {
		memcpy(buf, req, len);
		buf[pos] = '\0';
		assert_int_equal(http_head_parse(buf, len, &h), -EPROTO);
		assert_int_equal(http_head_parse(buf, pos + 1, &h), -EPROTO);
	}
}

static void test_bad_request_line(void **state)
{
	static const char *const bad[] = {
		"\r\n\r\n",
		"\n\n",
		"GET\r\n\r\n",
		"GET /\r\n\r\n",
		"GET / \r\n\r\n",
		"GET / FTP/1.0\r\n\r\n",
		"GET / HTTP/2\r\n\r\n",
		"GET / HTTP/1\r\n\r\n",
		"GET / http/1.1\r\n\r\n",
		" / HTTP/1.1\r\n\r\n",
		"GET  HTTP/1.1\r\n\r\n",
		"GET  / HTTP/1.1\r\n\r\n",
		"GET ?x HTTP/1.1\r\n\r\n",
		"GET x HTTP/1.1\r\n\r\n",
		"GET http://host/ HTTP/1.1\r\n\r\n",
		"GET /a b HTTP/1.1\r\n\r\n",
		"THISMETHODISWAYTOOLONG / HTTP/1.1\r\n\r\n",
		"\r\nGET / HTTP/1.1\r\n\r\n",
		"GET\t/\tHTTP/1.1\r\n\r\n",
		"Host: x\r\nGET / HTTP/1.1\r\n\r\n",
	};
	struct http_head h;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = http_head_parse(bad[i], strlen(bad[i]), &h);

		if (r != -EPROTO)
			fail_msg("request %zu: got %d, want -EPROTO", i, r);
	}
}

/* Path and query each have a fixed buffer: longest fits, one more is refused. */
static void test_long_path_query(void **state)
{
	char *buf = malloc(HTTP_HEAD_MAX);
	struct http_head h;
	size_t n;

	(void)state;
	assert_non_null(buf);

	n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'p', sizeof(h.path) - 2);
	n += sizeof(h.path) - 2;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n\r\n");
	assert_int_equal(http_head_parse(buf, n, &h), 0);
	assert_int_equal(strlen(h.path), sizeof(h.path) - 1);

	n = (size_t)sprintf(buf, "GET /");
	memset(buf + n, 'p', sizeof(h.path) - 1);
	n += sizeof(h.path) - 1;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n\r\n");
	assert_int_equal(http_head_parse(buf, n, &h), -EPROTO);

	n = (size_t)sprintf(buf, "GET /t?");
	memset(buf + n, 'q', sizeof(h.query) - 1);
	n += sizeof(h.query) - 1;
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n\r\n");
	assert_int_equal(http_head_parse(buf, n, &h), 0);
	assert_int_equal(strlen(h.query), sizeof(h.query) - 1);

	n = (size_t)sprintf(buf, "GET /t?");
	memset(buf + n, 'q', sizeof(h.query));
	n += sizeof(h.query);
	n += (size_t)sprintf(buf + n, " HTTP/1.1\r\n\r\n");
	assert_int_equal(http_head_parse(buf, n, &h), -EPROTO);

	n = (size_t)sprintf(buf, "%.*s / HTTP/1.1\r\n\r\n", (int)sizeof(h.method) - 1,
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
	assert_int_equal(http_head_parse(buf, n, &h), 0);
	assert_int_equal(strlen(h.method), sizeof(h.method) - 1);
	free(buf);
}

static void test_bare_lf(void **state)
{
	static const char req[] = "POST /connect HTTP/1.1\nHost: \nContent-Length: 0\n\n";
	static const char mixed[] = "GET /tunnel?ip=10.0.0.2&port=22 HTTP/1.0\r\nHost: a\n\r\n";
	char buf[128];
	size_t len = strlen(req);
	struct http_head h;

	(void)state;
	assert_int_equal(http_head_parse(req, len, &h), 0);
	assert_int_equal(h.head_len, len);
	assert_string_equal(h.method, "POST");
	assert_string_equal(h.path, "/connect");

	/* With trailing bytes, including more line feeds. */
	memcpy(buf, req, len);
	memcpy(buf + len, "\n\nxyz", 5);
	assert_int_equal(http_head_parse(buf, len + 5, &h), 0);
	assert_int_equal(h.head_len, len);

	assert_int_equal(http_head_parse(mixed, strlen(mixed), &h), 0);
	assert_int_equal(h.head_len, strlen(mixed));
	assert_string_equal(h.path, "/tunnel");
	assert_string_equal(h.query, "ip=10.0.0.2&port=22");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_connect),
		cmocka_unit_test(test_connect_trailing),
		cmocka_unit_test(test_connect_trailing_frame),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_bad_request_line),
		cmocka_unit_test(test_long_path_query),
		cmocka_unit_test(test_bare_lf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
