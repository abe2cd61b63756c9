// SPDX-License-Identifier: MIT
/*
 * test_vgatectl.c - backend/ctl/: vgatectl's HTTP client, bodies and tables
 *
 * The answer parser on whole answers and on every byte split of them
 * (Content-Length, chunked with extensions and trailers, until EOF, 1xx in
 * front), and every way an answer is refused (bad status line, truncation,
 * oversized head or body, conflicting lengths, NUL bytes, bad chunk
 * framing). The request side against a forked server on a real unix
 * socket, and the connect failures that make vgatectl exit 3. The JSON
 * bodies byte for byte, with the words they refuse. Each table printer on
 * the API's documented shapes (output compared line by line), on missing
 * members, and on wrong shapes, where nothing may be printed.
 */
#include "http_client.h"
#include "json_tree.h"
#include "print.h"
#include "request_body.h"
#include "testutil.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- the answer parser -------------------------------------------------------- */

/* Parse @s whole, and check that every shorter prefix asks for more. */
static int parse_all(const char *s, bool eof, struct http_client_response *r)
{
	size_t len = strlen(s);

	for (size_t k = 0; k < len; k++) {
		struct http_client_response p;
		int err = http_client_parse(s, k, false, &p);

		assert_int_equal(err, -EAGAIN);
	}
	return http_client_parse(s, len, eof, r);
}

static void test_parse_content_length(void **state)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				"Content-Length: 8\r\n\r\n{\"a\":1}\nextra";
	struct http_client_response r;

	(void)state;
	assert_int_equal(http_client_parse(a, strlen(a), false, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/json");
	assert_int_equal(r.body_len, 8);
	assert_string_equal(r.body, "{\"a\":1}\n");
	/* What follows the body is not the answer's. */
	assert_int_equal(r.consumed, strlen(a) - strlen("extra"));
	http_client_response_free(&r);

	/* Byte by byte, and header names in any case. */
	assert_int_equal(parse_all("HTTP/1.0 404 Not Found\r\ncontent-length: 19\r\n\r\n"
				   "404 page not found\n",
				   false, &r),
			 0);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.body, "404 page not found\n");
	http_client_response_free(&r);

	/* An empty body, and bare LF line ends. */
	assert_int_equal(parse_all("HTTP/1.1 200 OK\nContent-Length: 0\n\n", false, &r), 0);
	assert_int_equal(r.body_len, 0);
	assert_string_equal(r.body, "");
	http_client_response_free(&r);

	/* A NUL in the body is the body's business. */
	assert_int_equal(http_client_parse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\na\0b", 41,
					   false, &r),
			 0);
	assert_int_equal(r.body_len, 3);
	assert_memory_equal(r.body, "a\0b", 3);
	http_client_response_free(&r);

	/* The same length twice is fine. */
	assert_int_equal(parse_all("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n"
				   "\r\nx",
				   false, &r),
			 0);
	assert_string_equal(r.body, "x");
	http_client_response_free(&r);
}

static void test_parse_chunked(void **state)
{
	static const char a[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				"5;ext=1\r\n{\"a\":\r\nA\r\n 123456789\r\n1\r\n}\r\n0\r\n"
				"X-Trailer: t\r\n\r\n";
	struct http_client_response r;

	(void)state;
	assert_int_equal(parse_all(a, false, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "{\"a\": 123456789}");
	assert_int_equal(r.body_len, 16);
	assert_int_equal(r.consumed, strlen(a));
	http_client_response_free(&r);

	/* "gzip, chunked" is chunked too; an empty chunked body. */
	assert_int_equal(parse_all("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
				   "0\r\n\r\n",
				   false, &r),
			 0);
	assert_int_equal(r.body_len, 0);
	http_client_response_free(&r);
}

static void test_parse_until_eof_and_1xx(void **state)
{
	static const char a[] =
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Internal Server Error\r\n"
		"\r\nproxy not found\n";
	static const char b[] = "HTTP/1.1 204 No Content\r\n\r\n";
	struct http_client_response r;

	(void)state;
	/* No length: the body runs to EOF, so without EOF it is never complete. */
	assert_int_equal(http_client_parse(a, strlen(a), false, &r), -EAGAIN);
	assert_int_equal(http_client_parse(a, strlen(a), true, &r), 0);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body, "proxy not found\n");
	http_client_response_free(&r);

	/* 204 has no body whatever follows. */
	assert_int_equal(http_client_parse(b, strlen(b), false, &r), 0);
	assert_int_equal(r.status, 204);
	assert_int_equal(r.body_len, 0);
	http_client_response_free(&r);
}

static void test_parse_refused(void **state)
{
	static const char *const bad[] = {
		"HTTP/2 200 OK\r\n\r\n",
		"HTTP/1.1 20 OK\r\n\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"HTTP/1.1 099 Low\r\n\r\n",
		"SSH-2.0-OpenSSH\r\n\r\n",
		"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
		"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n",
	};
	struct http_client_response r;
	char big[HTTP_CLIENT_HEAD_MAX + 64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		print_message("%s\n", bad[i]);
		assert_int_equal(http_client_parse(bad[i], strlen(bad[i]), true, &r), -EPROTO);
	}
	/* A NUL inside the head. */
	assert_int_equal(http_client_parse("HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n", 27, true, &r),
			 -EPROTO);
	/* Truncated at EOF: in the head, in a sized body, in a chunk. */
	assert_int_equal(http_client_parse("HTTP/1.1 200 OK\r\nCont", 22, true, &r), -EPROTO);
	assert_int_equal(
		http_client_parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 40, true, &r),
		-EPROTO);
	assert_int_equal(http_client_parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
					   "5\r\nab",
					   51, true, &r),
			 -EPROTO);
	/* A body over the maximum, announced or chunked. */
	snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nContent-Length: %u\r\n\r\n",
		 HTTP_CLIENT_BODY_MAX + 1);
	assert_int_equal(http_client_parse(big, strlen(big), false, &r), -E2BIG);
	snprintf(big, sizeof(big),
		 "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n");
	assert_int_equal(http_client_parse(big, strlen(big), false, &r), -E2BIG);
	snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n",
		 HTTP_CLIENT_BODY_MAX + 1);
	assert_int_equal(http_client_parse(big, strlen(big), false, &r), -E2BIG);
	/* A head that never ends. */
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(big + 20, 'a', sizeof(big) - 20);
	assert_int_equal(http_client_parse(big, sizeof(big), false, &r), -E2BIG);
	assert_int_equal(http_client_parse(big, HTTP_CLIENT_HEAD_MAX - 1, false, &r), -EAGAIN);
}

/* --- the request, against a forked server ---------------------------------------- */

static void test_request_round_trip(void **state)
{
	char dir[] = "/tmp/vgatectl-test.XXXXXX", path[64], req[4096];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct http_client_response r;
	int lfd, status;
	bool connected;
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/api.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The server: read the whole request, check it, answer in two writes. */
		static const char want[] = "POST /services/dns/add HTTP/1.1\r\n";
		int c = accept(lfd, NULL, NULL);
		size_t n = 0;
		ssize_t k;
		const char *body;

		while (c >= 0 && n < sizeof(req) - 1 &&
		       (k = read(c, req + n, sizeof(req) - 1 - n)) > 0) {
			n += (size_t)k;
			req[n] = '\0';
			body = strstr(req, "\r\n\r\n");
			if (body && strlen(body + 4) >= 12)
				break;
		}
		req[n] = '\0';
		if (strncmp(req, want, strlen(want)) != 0 ||
		    !strstr(req, "\r\nContent-Length: 12\r\n") ||
		    !strstr(req, "\r\nConnection: close\r\n") ||
		    !strstr(req, "\r\n\r\n{\"Name\":\"z\"}"))
			_exit(1);
		if (write(c, "HTTP/1.1 400 Bad Request\r\nContent-Le", 36) != 36 ||
		    write(c, "ngth: 6\r\n\r\nbad z\n", 17) != 17)
			_exit(2);
		_exit(0);
	}
	close(lfd);
	assert_int_equal(http_client_request(path, "POST", "/services/dns/add", "{\"Name\":\"z\"}",
					     12, 5000, &connected, &r),
			 0);
	assert_true(connected);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "bad z\n");
	http_client_response_free(&r);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	/* Nobody listens any more: refused, and not "connected". */
	assert_int_equal(http_client_request(path, "GET", "/stats", NULL, 0, 1000, &connected, &r),
			 -ECONNREFUSED);
	assert_false(connected);
	unlink(path);
	rmdir(dir);
}

static void test_request_cannot_connect(void **state)
{
	char longpath[200];
	struct http_client_response r;
	bool connected = true;

	(void)state;
	assert_int_equal(http_client_request("/nonexistent/vgate/api.sock", "GET", "/stats", NULL,
					     0, 1000, &connected, &r),
			 -ENOENT);
	assert_false(connected);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	connected = true;
	assert_int_equal(
		http_client_request(longpath, "GET", "/stats", NULL, 0, 1000, &connected, &r),
		-ENAMETOOLONG);
	assert_false(connected);
}

/* --- request bodies ---------------------------------------------------------------- */

static void test_body_forwarder(void **state)
{
	char *s;

	(void)state;
	assert_int_equal(request_body_expose("127.0.0.1:8080", "192.168.127.2:80", "tcp", &s), 0);
	assert_string_equal(s, "{\"local\":\"127.0.0.1:8080\",\"remote\":\"192.168.127.2:80\","
			       "\"protocol\":\"tcp\"}");
	free(s);
	/* Quotes and backslashes are escaped by yajl, not by hand. */
	assert_int_equal(request_body_unexpose("/tmp/a\"b\\c", "unix", &s), 0);
	assert_string_equal(s, "{\"local\":\"/tmp/a\\\"b\\\\c\",\"protocol\":\"unix\"}");
	free(s);
	assert_int_equal(request_body_expose("\xff", ":80", "tcp", &s), -EINVAL);
	assert_null(s);
}

static void test_body_zone(void **state)
{
	static const char *const recs[] = { "db=192.168.127.3", "v6=fd00::3", "*=192.168.127.9" };
	static const char *const bad[][2] = {
		{ "db", "a record is NAME=IP" },
		{ "=1.2.3.4", "a record is NAME=IP" },
		{ "db=", "a record is NAME=IP" },
		{ "db=1.2.3", "is not an IPv4 or IPv6 address" },
		{ "*=fd00::1", "the default (*) must be an IPv4 address" },
	};
	char err[256], *s;

	(void)state;
	assert_int_equal(request_body_zone("lab.internal.", recs, 3, &s, err, sizeof(err)), 0);
	assert_string_equal(s, "{\"Name\":\"lab.internal.\",\"Records\":["
			       "{\"Name\":\"db\",\"IP\":\"192.168.127.3\"},"
			       "{\"Name\":\"v6\",\"IPv6\":\"fd00::3\"}],"
			       "\"DefaultIP\":\"192.168.127.9\"}");
	free(s);
	/* NAME may itself hold '=': the address is after the last one. */
	assert_int_equal(request_body_zone("z", (const char *const[]){ "a=b=10.0.0.1" }, 1, &s, err,
					   sizeof(err)),
			 0);
	assert_string_equal(
		s, "{\"Name\":\"z\",\"Records\":[{\"Name\":\"a=b\",\"IP\":\"10.0.0.1\"}]}");
	free(s);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_int_equal(request_body_zone("z", &bad[i][0], 1, &s, err, sizeof(err)),
				 -EINVAL);
		assert_null(s);
		assert_non_null(strstr(err, bad[i][1]));
	}
	assert_int_equal(request_body_zone("", recs, 1, &s, err, sizeof(err)), -EINVAL);
}

static void test_body_file(void **state)
{
	char path[] = "/tmp/vgatectl-zone.XXXXXX", err[256], *s;
	size_t len;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"Name\":\"z.\"}\n", 14), 14);
	assert_int_equal(request_body_read_file(path, &s, &len, err, sizeof(err)), 0);
	assert_int_equal(len, 14);
	assert_string_equal(s, "{\"Name\":\"z.\"}\n");
	free(s);
	/* Not an object; not JSON. */
	assert_int_equal(ftruncate(fd, 0), 0);
	assert_int_equal(pwrite(fd, "[1]", 3, 0), 3);
	assert_int_equal(request_body_read_file(path, &s, &len, err, sizeof(err)), -EINVAL);
	assert_int_equal(pwrite(fd, "{x}", 3, 0), 3);
	assert_int_equal(request_body_read_file(path, &s, &len, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid JSON"));
	/* Over the limit. */
	assert_int_equal(ftruncate(fd, REQUEST_BODY_FILE_MAX + 1), 0);
	assert_int_equal(request_body_read_file(path, &s, &len, err, sizeof(err)), -EFBIG);
	close(fd);
	unlink(path);
	assert_int_equal(request_body_read_file(path, &s, &len, err, sizeof(err)), -ENOENT);
}

static void test_json_tree_bounds(void **state)
{
	char deep[2 * JSON_TREE_DEPTH_MAX + 8], err[128];
	size_t n = 0;
	yajl_val v;

	(void)state;
	for (int i = 0; i <= JSON_TREE_DEPTH_MAX; i++)
		deep[n++] = '[';
	for (int i = 0; i <= JSON_TREE_DEPTH_MAX; i++)
		deep[n++] = ']';
	assert_null(json_tree_parse(deep, n, err, sizeof(err)));
	assert_non_null(strstr(err, "nested"));
	/* One level less parses; brackets inside strings do not count. */
	assert_non_null(v = json_tree_parse(deep + 1, n - 2, err, sizeof(err)));
	yajl_tree_free(v);
	assert_non_null(v = json_tree_parse("[\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"]", 40, err,
					    sizeof(err)));
	yajl_tree_free(v);
	assert_null(json_tree_parse("{\"a\":\0}", 7, err, sizeof(err)));
	assert_null(json_tree_parse("{", 1, err, sizeof(err)));
	assert_non_null(strstr(err, "invalid JSON"));
}

/* --- tables ------------------------------------------------------------------------ */

/* Run @printer on @json; return what it printed (malloc'd) and its result in *@rc. */
static char *render(int (*printer)(FILE *, yajl_val), const char *json, int *rc)
{
	char err[128], *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	yajl_val v = json_tree_parse(json, strlen(json), err, sizeof(err));

	assert_non_null(f);
	assert_non_null(v);
	*rc = printer(f, v);
	fclose(f);
	yajl_tree_free(v);
	return buf;
}

static void expect_table(int (*printer)(FILE *, yajl_val), const char *json, const char *want)
{
	int rc;
	char *got = render(printer, json, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(got, want);
	free(got);
}

static void expect_refused(int (*printer)(FILE *, yajl_val), const char *json)
{
	int rc;
	char *got = render(printer, json, &rc);

	assert_int_equal(rc, -EPROTO);
	assert_string_equal(got, "");
	free(got);
}

static void test_print_object(void **state)
{
	(void)state;
	expect_table(print_object, "{\"BytesSent\":12,\"VMs\":1,\"x\":null,\"ok\":true}\n",
		     "BytesSent  12\n"
		     "VMs        1\n"
		     "x          -\n"
		     "ok         true\n");
	expect_table(print_object, "{}", "");
	expect_refused(print_object, "[1]");
}

static void test_print_forwards(void **state)
{
	(void)state;
	expect_table(print_forwards,
		     "[{\"local\":\":2222\",\"remote\":\"192.168.127.2:22\",\"protocol\":\"tcp\"},"
		     "{\"local\":\"/tmp/s.sock\",\"remote\":\"tcp://192.168.127.2:80\","
		     "\"protocol\":\"unix\"}]",
		     "LOCAL        REMOTE                  PROTOCOL\n"
		     ":2222        192.168.127.2:22        tcp\n"
		     "/tmp/s.sock  tcp://192.168.127.2:80  unix\n");
	/* gvproxy's empty list: the header alone. */
	expect_table(print_forwards, "[]", "LOCAL  REMOTE  PROTOCOL\n");
	expect_refused(print_forwards, "{}");
	expect_refused(print_forwards, "[1]");
}

static void test_print_leases(void **state)
{
	(void)state;
	expect_table(print_leases,
		     "[{\"ip\":\"192.168.127.2\",\"mac\":\"5a:94:ef:e4:0c:ee\",\"hostname\":\"\","
		     "\"expires\":null,\"static\":true},"
		     "{\"ip\":\"192.168.127.3\",\"mac\":\"5a:94:ef:e4:0c:ef\",\"hostname\":"
		     "\"b\\u001b[2Jx\","
		     "\"expires\":3599,\"static\":false}]",
		     "IP             MAC                HOSTNAME  EXPIRES\n"
		     "192.168.127.2  5a:94:ef:e4:0c:ee  -         static\n"
		     "192.168.127.3  5a:94:ef:e4:0c:ef  b?[2Jx    3599s\n");
	expect_table(print_dhcp_leases, "{\"192.168.127.2\":\"5a:94:ef:e4:0c:ee\"}",
		     "IP             MAC\n"
		     "192.168.127.2  5a:94:ef:e4:0c:ee\n");
	expect_table(print_dhcp_leases, "{}", "IP  MAC\n");
	expect_refused(print_leases, "{}");
	expect_refused(print_dhcp_leases, "[]");
}

static void test_print_dns(void **state)
{
	(void)state;
	expect_table(
		print_dns_zones,
		"[{\"Name\":\"containers.internal.\",\"Records\":[{\"Name\":\"gateway\","
		"\"IP\":\"192.168.127.1\"}],\"DefaultIP\":\"\"},"
		"{\"Name\":\"lab.\",\"Records\":[{\"Name\":\"\",\"IP\":\"10.0.0.4\","
		"\"Regexp\":\"^web[0-9]+$\"},{\"Name\":\"v6\",\"IP\":\"\",\"IPv6\":\"fd00::3\"}],"
		"\"DefaultIP\":\"10.0.0.9\"},"
		"{\"Name\":\"empty.\",\"Records\":[],\"DefaultIP\":\"\"}]",
		"ZONE                  NAME                IP             IPV6\n"
		"containers.internal.  gateway             192.168.127.1  -\n"
		"lab.                  regexp ^web[0-9]+$  10.0.0.4       -\n"
		"lab.                  v6                  -              fd00::3\n"
		"lab.                  *                   10.0.0.9       -\n"
		"empty.                -                   -              -\n");
	expect_refused(print_dns_zones, "[{\"Name\":\"z\",\"Records\":[1]}]");
	expect_refused(print_dns_zones, "{}");
}

static void test_print_version_ports_flows(void **state)
{
	(void)state;
	expect_table(print_version, "{\"version\":\"0.1.0\",\"lwip\":\"vgate-tuned\"}",
		     "vgate 0.1.0 (lwIP vgate-tuned)\n");
	expect_table(print_version, "{\"version\":\"0.1.0\"}", "vgate 0.1.0\n");
	expect_refused(print_version, "{\"version\":1}");

	expect_table(
		print_ports,
		"[{\"port\":1,\"transport\":\"qemu\",\"mac\":\"5a:94:ef:e4:0c:ee\","
		"\"rx_frames\":10,\"rx_bytes\":1000,\"tx_frames\":9,\"tx_bytes\":900,"
		"\"tx_drops\":0,\"rx_runts\":0},"
		"{\"port\":2,\"transport\":\"netns\",\"mac\":\"\"}]",
		"PORT  TRANSPORT  MAC                RX_FRAMES  RX_BYTES  TX_FRAMES  TX_BYTES  "
		"TX_DROPS  RX_RUNTS\n"
		"1     qemu       5a:94:ef:e4:0c:ee  10         1000      9          900       "
		"0         0\n"
		"2     netns      -                  -          -         -          -         "
		"-         -\n");

	/* gvproxy's /stats has none of vgate's flow counters: dashes. */
	expect_table(print_flow_counters,
		     "{\"TCPFlows\":2,\"TCPFlowsOpened\":5,\"TCPRefused\":1,\"TCPBytesToHost\":10,"
		     "\"TCPBytesToGuest\":20,\"UDPFlows\":0}",
		     "PROTOCOL  OPEN  OPENED  REFUSED  BYTES_TO_HOST  BYTES_TO_GUEST\n"
		     "tcp       2     5       1        10             20\n"
		     "udp       0     -       -        -              -\n");
	expect_refused(print_flow_counters, "[]");
}

static void test_print_rows(void **state)
{
	(void)state;
	expect_table(print_rows,
		     "[{\"protocol\":\"tcp\",\"guest\":\"192.168.127.2:4000\",\"bytes\":5},"
		     "{\"protocol\":\"udp\",\"bytes\":7,\"extra\":1}]",
		     "PROTOCOL  GUEST               BYTES\n"
		     "tcp       192.168.127.2:4000  5\n"
		     "udp       -                   7\n");
	expect_table(print_rows, "[]", "");
	expect_refused(print_rows, "[[]]");
}

/* UTF-8 names keep columns straight: widths count characters. */
static void test_print_utf8(void **state)
{
	(void)state;
	expect_table(print_object, "{\"h\\u00e9\":1,\"abcd\":2}",
		     "h\xc3\xa9    1\n"
		     "abcd  2\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_content_length),
		cmocka_unit_test(test_parse_chunked),
		cmocka_unit_test(test_parse_until_eof_and_1xx),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_request_round_trip),
		cmocka_unit_test(test_request_cannot_connect),
		cmocka_unit_test(test_body_forwarder),
		cmocka_unit_test(test_body_zone),
		cmocka_unit_test(test_body_file),
		cmocka_unit_test(test_json_tree_bounds),
		cmocka_unit_test(test_print_object),
		cmocka_unit_test(test_print_forwards),
		cmocka_unit_test(test_print_leases),
		cmocka_unit_test(test_print_dns),
		cmocka_unit_test(test_print_version_ports_flows),
		cmocka_unit_test(test_print_rows),
		cmocka_unit_test(test_print_utf8),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
