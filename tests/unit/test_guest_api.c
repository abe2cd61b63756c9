// SPDX-License-Identifier: MIT
/*
 * test_guest_api.c - guest-tools/gapi.c and agent.c's pure parts: the
 * forwarder API as the auto-forward agent speaks it
 *
 * Requests are built with and without a token; answers are parsed whole,
 * in pieces (every split point), with Content-Length, chunked or to the
 * close, and refused when malformed, cut short or oversized. The forward
 * list scanner reads vgate's /services/forwarder/all and refuses anything
 * else. The agent's filters: port lists, loopback-only ports, UDP clients
 * on the ephemeral range, the DHCP client port, host port offsets.
 */
#include "agent.h"
#include "gapi.h"
#include "http_client.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>

static void test_build(void **state)
{
	char buf[GAPI_REQ_MAX];
	const char *body = "{\"local\":\"127.0.0.1:80\",\"remote\":\":80\",\"protocol\":\"tcp\"}";
	char want[64];
	int n;

	(void)state;
	n = gapi_build_request(buf, sizeof(buf), "POST", "/services/forwarder/expose",
			       "192.168.127.1", "tok", body);
	assert_true(n > 0);
	assert_int_equal((size_t)n, strlen(buf));
	assert_non_null(strstr(buf, "POST /services/forwarder/expose HTTP/1.1\r\n"));
	assert_non_null(strstr(buf, "Host: 192.168.127.1\r\n"));
	assert_non_null(strstr(buf, "Authorization: Bearer tok\r\n"));
	assert_non_null(strstr(buf, "Connection: close\r\n"));
	snprintf(want, sizeof(want), "Content-Length: %zu\r\n\r\n{\"local\"", strlen(body));
	assert_non_null(strstr(buf, want));
	assert_string_equal(buf + n - strlen(body), body);
	n = gapi_build_request(buf, sizeof(buf), "GET", "/services/forwarder/all", "gw", NULL,
			       NULL);
	assert_true(n > 0);
	assert_null(strstr(buf, "Authorization"));
	assert_non_null(strstr(buf, "Content-Length: 0\r\n\r\n"));
	assert_int_equal(gapi_build_request(buf, 40, "GET", "/x", "gw", NULL, NULL), -ENOSPC);
	assert_true(gapi_token_valid("abc-123_XYZ"));
	assert_false(gapi_token_valid(""));
	assert_false(gapi_token_valid("a b"));
	assert_false(gapi_token_valid("a\r\nX: y"));
}

/* The answers the agent reads, through common/'s parser (tested at length
 * in test_vgatectl.c): what the agent relies on. */
static int parse(const char *s, bool eof, struct http_client_response *r)
{
	return http_client_parse(s, strlen(s), eof, r);
}

static void test_responses(void **state)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX: y\r\n\r\n[]";
	static const char err[] = "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 45\r\n\r\n"
				  "proxy already running for tcp on 127.0.0.1:80\n";
	static const char chunked[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				      "4\r\n[{\"a\r\n3;ext=1\r\n\":1\r\n2\r\n}]\r\n0\r\n\r\n";
	struct http_client_response r;

	(void)state;
	assert_int_equal(parse(ok, false, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 2);
	assert_memory_equal(r.body, "[]", 2);
	http_client_response_free(&r);
	assert_int_equal(parse(err, false, &r), 0);
	assert_int_equal(r.status, 500);
	assert_non_null(strstr(r.body, "already running"));
	http_client_response_free(&r);
	assert_int_equal(parse(chunked, false, &r), 0);
	assert_int_equal(r.body_len, 9);
	assert_memory_equal(r.body, "[{\"a\":1}]", 9);
	http_client_response_free(&r);
	assert_int_equal(http_client_parse(ok, 20, false, &r), -EAGAIN);
	assert_int_equal(http_client_parse(ok, 20, true, &r), -EPROTO);
}

static void test_bad_responses(void **state)
{
	static char big[20000];
	char copy[512];
	struct http_client_response r;
	uint64_t seed = 9;

	(void)state;
	assert_int_equal(parse("SSH-2.0-OpenSSH\r\n\r\n", true, &r), -EPROTO);
	/* A head that never ends. */
	memset(big, 'a', sizeof(big));
	assert_int_equal(http_client_parse(big, sizeof(big), false, &r), -E2BIG);
	/* Garbage never crashes. */
	for (int i = 0; i < 20000; i++) {
		size_t len = rng_range(&seed, 0, 200);

		strcpy(copy, "HTTP/1.1 200 OK\r\n");
		rng_fill(&seed, (uint8_t *)copy + 17, len);
		if (http_client_parse(copy, 17 + len, i & 1, &r) == 0) {
			assert_true(r.body_len <= len);
			http_client_response_free(&r);
		}
	}
}

struct fwd_seen {
	char local[4][GAPI_STR_MAX], remote[4][GAPI_STR_MAX], proto[4][GAPI_STR_MAX];
	int n;
};

static void seen_cb(void *ctx, const char *local, const char *remote, const char *protocol)
{
	struct fwd_seen *s = ctx;

	if (s->n < 4) {
		snprintf(s->local[s->n], GAPI_STR_MAX, "%s", local);
		snprintf(s->remote[s->n], GAPI_STR_MAX, "%s", remote);
		snprintf(s->proto[s->n], GAPI_STR_MAX, "%s", protocol);
	}
	s->n++;
}

static int scan(const char *s, struct fwd_seen *seen)
{
	memset(seen, 0, sizeof(*seen));
	return gapi_parse_forwards(s, strlen(s), seen_cb, seen);
}

static void test_forward_list(void **state)
{
	struct fwd_seen s;
	uint64_t seed = 1;
	char g[256];

	(void)state;
	assert_int_equal(scan("[]", &s), 0);
	assert_int_equal(scan(" [ ] \n", &s), 0);
	assert_int_equal(
		scan("[{\"local\":\"127.0.0.1:8080\",\"remote\":\"192.168.127.2:8080\","
		     "\"protocol\":"
		     "\"tcp\"},{\"local\":\"\\/tmp\\/x.sock\",\"protocol\":\"unix\",\"n\":12,"
		     "\"b\":true,\"z\":null,\"remote\":\"tcp:\\/\\/192.168.127.2:22\"}]",
		     &s),
		2);
	assert_string_equal(s.local[0], "127.0.0.1:8080");
	assert_string_equal(s.remote[0], "192.168.127.2:8080");
	assert_string_equal(s.proto[0], "tcp");
	assert_string_equal(s.local[1], "/tmp/x.sock");
	assert_string_equal(s.remote[1], "tcp://192.168.127.2:22");
	assert_string_equal(s.proto[1], "unix");
	assert_int_equal(scan("[{}]", &s), 1);
	assert_string_equal(s.local[0], "");
	assert_int_equal(scan("[{\"local\":\"\\u0041\\u00e9\"}]", &s), 1);
	assert_string_equal(s.local[0], "A?");

	/* Not a list of flat objects: refused. */
	assert_int_equal(scan("", &s), -EPROTO);
	assert_int_equal(scan("{}", &s), -EPROTO);
	assert_int_equal(scan("[", &s), -EPROTO);
	assert_int_equal(scan("[{\"local\":\"a\"}", &s), -EPROTO);
	assert_int_equal(scan("[{\"local\":\"a}]", &s), -EPROTO);
	assert_int_equal(scan("[{\"local\":{\"x\":1}}]", &s), -EPROTO);
	assert_int_equal(scan("[{\"local\":[1]}]", &s), -EPROTO);
	assert_int_equal(scan("[{\"local\" \"a\"}]", &s), -EPROTO);
	assert_int_equal(scan("[{\"local\":\"\\q\"}]", &s), -EPROTO);
	assert_int_equal(scan("[{\"local\":\"\\u12\"}]", &s), -EPROTO);
	assert_int_equal(scan("[{\"local\":\"a\nb\"}]", &s), -EPROTO);
	assert_int_equal(scan("[]x", &s), -EPROTO);
	assert_int_equal(scan("[1]", &s), -EPROTO);
	/* A string longer than the scanner keeps. */
	{
		static char longs[GAPI_STR_MAX + 32];
		size_t o = (size_t)snprintf(longs, sizeof(longs), "[{\"local\":\"");

		memset(longs + o, 'a', GAPI_STR_MAX);
		snprintf(longs + o + GAPI_STR_MAX, sizeof(longs) - o - GAPI_STR_MAX, "\"}]");
		assert_int_equal(scan(longs, &s), -EPROTO);
	}
	for (int i = 0; i < 20000; i++) {
		size_t len = rng_range(&seed, 0, sizeof(g) - 1);

		for (size_t k = 0; k < len; k++)
			g[k] = "[]{}\",:\\ulocaremot01"[rng_range(&seed, 0, 20)];
		g[len] = '\0';
		(void)scan(g, &s);
	}
}

static void test_ranges(void **state)
{
	struct agent_range r[4];

	(void)state;
	assert_int_equal(agent_parse_ranges("", r, 4), 0);
	assert_int_equal(agent_parse_ranges("80,8000-8100,udp:53,tcp:22", r, 4), 4);
	assert_true(r[0].tcp && r[0].udp && r[0].lo == 80 && r[0].hi == 80);
	assert_true(r[1].lo == 8000 && r[1].hi == 8100);
	assert_true(!r[2].tcp && r[2].udp && r[2].lo == 53);
	assert_true(r[3].tcp && !r[3].udp && r[3].lo == 22);
	assert_int_equal(agent_parse_ranges("1,2,3,4,5", r, 4), -E2BIG);
	assert_int_equal(agent_parse_ranges("0", r, 4), -EINVAL);
	assert_int_equal(agent_parse_ranges("65536", r, 4), -EINVAL);
	assert_int_equal(agent_parse_ranges("100-10", r, 4), -EINVAL);
	assert_int_equal(agent_parse_ranges("80,", r, 4), -EINVAL);
	assert_int_equal(agent_parse_ranges("sctp:80", r, 4), -EINVAL);
	assert_int_equal(agent_parse_ranges("8-", r, 4), -EINVAL);
	assert_int_equal(agent_parse_ranges("-8", r, 4), -EINVAL);
	assert_int_equal(agent_parse_ranges("123456", r, 4), -EINVAL);
}

static void test_wanted(void **state)
{
	struct agent_config cfg;
	char buf[64];

	(void)state;
	agent_config_default(&cfg);
	assert_true(agent_port_wanted(&cfg, AGENT_TCP, 8080, false, 32768, 60999));
	assert_false(agent_port_wanted(&cfg, AGENT_TCP, 8080, true, 32768, 60999));
	assert_true(agent_port_wanted(&cfg, AGENT_TCP, 40000, false, 32768, 60999));
	/* UDP: clients live on the ephemeral range; 68 is the DHCP client. */
	assert_true(agent_port_wanted(&cfg, AGENT_UDP, 5353, false, 32768, 60999));
	assert_false(agent_port_wanted(&cfg, AGENT_UDP, 40000, false, 32768, 60999));
	assert_false(agent_port_wanted(&cfg, AGENT_UDP, 68, false, 32768, 60999));
	cfg.expose_loopback = true;
	assert_true(agent_port_wanted(&cfg, AGENT_TCP, 8080, true, 32768, 60999));
	/* Include and exclude. */
	agent_parse_ranges("udp:40000,8000-8100", cfg.include, AGENT_RANGES_MAX);
	cfg.n_include = 2;
	agent_parse_ranges("8050", cfg.exclude, AGENT_RANGES_MAX);
	cfg.n_exclude = 1;
	assert_true(agent_port_wanted(&cfg, AGENT_UDP, 40000, false, 32768, 60999));
	assert_false(agent_port_wanted(&cfg, AGENT_TCP, 40000, false, 32768, 60999));
	assert_true(agent_port_wanted(&cfg, AGENT_TCP, 8001, false, 32768, 60999));
	assert_false(agent_port_wanted(&cfg, AGENT_TCP, 8050, false, 32768, 60999));
	assert_false(agent_port_wanted(&cfg, AGENT_TCP, 80, false, 32768, 60999));
	/* Protocols switched off. */
	agent_config_default(&cfg);
	cfg.udp = false;
	assert_false(agent_port_wanted(&cfg, AGENT_UDP, 53, false, 32768, 60999));
	/* Offsets that leave the port range: not wanted. */
	cfg.port_offset = 1000;
	assert_false(agent_port_wanted(&cfg, AGENT_TCP, 65000, false, 32768, 60999));
	assert_int_equal(agent_local_spec(&cfg, 65000, buf, sizeof(buf)), -ERANGE);
	assert_int_equal(agent_local_spec(&cfg, 80, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "127.0.0.1:1080");
	cfg.port_offset = 0;
	snprintf(cfg.host_ip, sizeof(cfg.host_ip), "::1");
	assert_int_equal(agent_local_spec(&cfg, 80, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "[::1]:80");
	cfg.host_ip[0] = '\0';
	assert_int_equal(agent_local_spec(&cfg, 80, buf, sizeof(buf)), 0);
	assert_string_equal(buf, ":80");
	assert_int_equal(agent_local_spec(&cfg, 80, buf, 3), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build),	      cmocka_unit_test(test_responses),
		cmocka_unit_test(test_bad_responses), cmocka_unit_test(test_forward_list),
		cmocka_unit_test(test_ranges),	      cmocka_unit_test(test_wanted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
