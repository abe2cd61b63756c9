// SPDX-License-Identifier: MIT
/*
 * test_api.c - backend/api.c: routing, methods, limits and libmicrohttpd's
 * place in vgate's loop
 *
 * Each test builds the daemon's state the way main.c does (options_parse()
 * and config_build() for a default config, the loop, the switch with its
 * gateway port, the DHCP server's lease table) and defines the global `vg`
 * itself (main.c is not linked). api_init() puts MHD's epoll fd into the
 * loop; a request is then written on one end of a socketpair whose other
 * end went to api_add_connection(), and the test pumps the loop by hand:
 * epoll_wait() on vg->loop, api_handle() for REF_API, and api_handle()
 * again whenever api_timeout_ms() says MHD is due, which is what the loop
 * timer api.c arms would do. The answer is read back and its status line,
 * headers and body checked.
 *
 * Covered: every built-in route answers (JSON that parses, the right
 * Content-Type), keep-alive across requests, gvproxy's texts for 404 and
 * "post only", 405 for /v1 routes, %00 in a path, bodies at and over
 * API_BODY_MAX (413 before the body for a Content-Length, a closed
 * connection for a chunked body), dns/add changing what dns/all shows and
 * what the zone table answers, routes added with api_route_add() (body,
 * peer, headers, errors, the in-network scope), the connection limit, a
 * malformed request, an idle connection's timeout being armed, and
 * api_add_connection() before api_init(). Under ASan every test ends with
 * api_fini(), so a leaked connection or body shows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api.h"
#include "dhcp_server.h"
#include "dns_wire.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

struct vgate *vg;

/* How long a test waits for an answer before failing. */
#define WAIT_MS 3000

static int no_deliver(void *ctx, unsigned port, const uint8_t *frame, size_t len)
{
	(void)ctx;
	(void)port;
	(void)frame;
	(void)len;
	return 0;
}

static int setup(void **state)
{
	char *argv[] = { "vgate", NULL };
	struct vgate_options o;

	(void)state;
	vg = calloc(1, sizeof(*vg));
	assert_non_null(vg);
	assert_int_equal(options_parse(&o, 1, argv), 0);
	assert_int_equal(config_build(&vg->cfg, &o), 0);
	assert_int_equal(loop_init(&vg->loop), 0);
	switch_init(&vg->sw, vg->cfg.gateway_mac, no_deliver, NULL, NULL);
	switch_port_add_gateway(&vg->sw);
	assert_int_equal(dhcp_server_init(), 0);
	assert_int_equal(api_init("9.8.7-test"), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	api_fini();
	dhcp_server_fini();
	loop_fini(&vg->loop);
	config_free(&vg->cfg);
	free(vg);
	vg = NULL;
	return 0;
}

/* One turn of the loop as far as the API is concerned. */
static void pump(int wait_ms)
{
	struct epoll_event ev[8];
	int t = api_timeout_ms(), n;

	if (t < 0 || t > wait_ms)
		t = wait_ms;
	n = epoll_wait(vg->loop.epfd, ev, 8, t);
	for (int i = 0; i < n; i++) {
		struct loop_ref *ref = ev[i].data.ptr;

		if (ref->kind == REF_API)
			api_handle(ref, ev[i].events);
	}
	if (api_timeout_ms() == 0)
		api_handle(NULL, 0);
}

/* A connection handed to the API: returns the client's end. */
static int connect_api(bool full_api, const struct sockaddr *sa, socklen_t salen)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(api_add_connection(sv[0], sa, salen, full_api), 0);
	return sv[1];
}

/* Write all of @buf, pumping the loop while the socket is full. */
static void send_all(int fd, const char *buf, size_t len)
{
	size_t off = 0;
	int spins = 0;

	while (off < len) {
		ssize_t n = write(fd, buf + off, len - off);

		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		assert_true(n < 0 && errno == EAGAIN);
		pump(10);
		assert_true(++spins < WAIT_MS / 10);
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static void send_str(int fd, const char *s)
{
	send_all(fd, s, strlen(s));
}

struct answer {
	int status;	    /* 0: the connection closed without one */
	char head[8192];    /* status line and headers, NUL-terminated */
	char body[1 << 17]; /* NUL-terminated */
	size_t body_len;
	bool closed; /* EOF seen after (or instead of) the answer */
};

/* Bytes read past one answer (pipelining), kept for the next read_answer(). */
static struct {
	int fd;
	size_t len;
	char buf[1 << 16];
} carry = { .fd = -1 };

/* Read one complete answer (by Content-Length) or EOF, pumping the loop. */
static void read_answer(int fd, struct answer *a)
{
	static char buf[sizeof(a->head) + sizeof(a->body)];
	size_t len = 0;
	int waited = 0;

	memset(a, 0, sizeof(*a));
	if (carry.fd == fd) {
		memcpy(buf, carry.buf, carry.len);
		len = carry.len;
	}
	carry.fd = -1;
	for (;;) {
		ssize_t n = len ? 0 : -1;
		char *end;

		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			size_t head = (size_t)(end - buf) + 4, want;

			assert_non_null(cl);
			want = strtoul(cl + 17, NULL, 10);
			if (len >= head + want) {
				assert_true(head < sizeof(a->head));
				memcpy(a->head, buf, head);
				a->head[head] = '\0';
				memcpy(a->body, buf + head, want);
				a->body[want] = '\0';
				a->body_len = want;
				assert_int_equal(sscanf(buf, "HTTP/1.%*d %d", &a->status), 1);
				if (len > head + want) {
					assert_true(len - head - want <= sizeof(carry.buf));
					carry.fd = fd;
					carry.len = len - head - want;
					memcpy(carry.buf, buf + head + want, carry.len);
				}
				return;
			}
		}
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0) {
			a->closed = true;
			assert_true(len == 0 || !"connection closed mid-answer");
			return;
		}
		assert_int_equal(errno, EAGAIN);
		pump(10);
		waited += 10;
		if (waited > WAIT_MS)
			fail_msg("no answer within %d ms; got %zu bytes: %.200s", WAIT_MS, len,
				 buf);
	}
}

/* Everything the server writes until it closes (at most @cap - 1 bytes). */
static size_t read_until_closed(int fd, char *out, size_t cap)
{
	size_t len = 0;

	for (int waited = 0; waited < WAIT_MS; waited += 10) {
		ssize_t n = read(fd, out + len, cap - 1 - len);

		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		assert_int_equal(errno, EAGAIN);
		pump(10);
	}
	out[len] = '\0';
	return len;
}

/* After an answer: does the server close (true) or keep the connection? */
static bool server_closes(int fd)
{
	for (int waited = 0; waited < 300; waited += 10) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n == 0)
			return true;
		assert_true(n < 0 && errno == EAGAIN);
		pump(10);
	}
	return false;
}

static const char *header(const struct answer *a, const char *name, char *out, size_t cap)
{
	char key[64];
	const char *p, *e;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	p = strcasestr(a->head, key);
	if (!p)
		return NULL;
	p += strlen(key);
	e = strstr(p, "\r\n");
	snprintf(out, cap, "%.*s", (int)(e - p), p);
	return out;
}

/* One request on a fresh full-API connection; closes it afterwards. */
static void request(const char *req, struct answer *a)
{
	int fd = connect_api(true, NULL, 0);

	send_all(fd, req, strlen(req));
	read_answer(fd, a);
	close(fd);
}

static void get(const char *path, struct answer *a)
{
	char req[512];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	request(req, a);
}

static void post(const char *path, const char *body, struct answer *a)
{
	char *req;
	size_t n = strlen(body) + 256;

	req = malloc(n);
	assert_non_null(req);
	snprintf(req, n, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s", path,
		 strlen(body), body);
	request(req, a);
	free(req);
}

static void assert_text(const struct answer *a, int status, const char *text)
{
	char ct[128];

	assert_int_equal(a->status, status);
	assert_string_equal(a->body, text);
	assert_non_null(header(a, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "text/plain; charset=utf-8");
}

static void assert_json_answer(const struct answer *a)
{
	char ct[128], err[128];
	yajl_val v;

	assert_int_equal(a->status, 200);
	assert_non_null(header(a, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "application/json");
	v = yajl_tree_parse(a->body, err, sizeof(err));
	if (!v)
		fail_msg("not JSON (%s): %s", err, a->body);
	yajl_tree_free(v);
}

static struct answer ans;

/* --- tests ------------------------------------------------------------------------ */

static void test_health(void **state)
{
	(void)state;
	get("/v1/health", &ans);
	assert_json_answer(&ans);
	assert_string_equal(ans.body, "{\"status\":\"ok\",\"uptime\":0,\"vms\":0}\n");
	get("/v1/version", &ans);
	assert_json_answer(&ans);
	assert_non_null(strstr(ans.body, "\"version\":\"9.8.7-test\""));
	/* A query string does not change the route. */
	get("/v1/health?verbose=1", &ans);
	assert_int_equal(ans.status, 200);
}

static void test_every_route(void **state)
{
	static const char *const json[] = {
		"/stats",     "/services/dhcp/leases",
		"/leases",    "/services/dns/all",
		"/v1/ports",  "/v1/leases",
		"/v1/nat",    "/v1/egress",
		"/v1/health", "/v1/version",
	};
	char ct[128];

	(void)state;
	for (size_t i = 0; i < sizeof(json) / sizeof(json[0]); i++) {
		get(json[i], &ans);
		assert_json_answer(&ans);
	}
	get("/stats", &ans);
	assert_true(starts_with(ans.body, "{\"BytesSent\":0,\"BytesReceived\":0,"));
	get("/services/dns/all", &ans);
	assert_non_null(strstr(ans.body,
			       "{\"Name\":\"containers.internal.\",\"Records\":[{\"Name\":"
			       "\"gateway\",\"IP\":\"192.168.127.1\"}"));
	get("/v1/nat", &ans);
	assert_string_equal(ans.body,
			    "[{\"virtual\":\"192.168.127.254\",\"real\":\"127.0.0.1\"}]\n");
	get("/v1/ports", &ans);
	assert_string_equal(ans.body, "[]\n");
	get("/metrics", &ans);
	assert_int_equal(ans.status, 200);
	assert_non_null(header(&ans, "Content-Type", ct, sizeof(ct)));
	assert_string_equal(ct, "text/plain; version=0.0.4; charset=utf-8");
	assert_non_null(strstr(ans.body, "# TYPE vgate_bytes_sent_total counter\n"));
	/* gvproxy's GET routes take any method, as gvproxy's do. */
	post("/stats", "", &ans);
	assert_json_answer(&ans);
}

static void test_leases_follow_table(void **state)
{
	static const uint8_t mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0x42 };

	(void)state;
	get("/services/dhcp/leases", &ans);
	assert_int_equal(ans.status, 200);
	assert_int_equal(
		lease_request(&dhcp_server_leases, mac, 0xc0a87f09, now_ms(), 3600000, "vm9"), 0);
	get("/services/dhcp/leases", &ans);
	assert_non_null(strstr(ans.body, "\"192.168.127.9\":\"5a:94:ef:e4:0c:42\""));
	get("/leases", &ans);
	assert_non_null(strstr(ans.body, "\"192.168.127.9\":\"5a:94:ef:e4:0c:42\""));
	get("/v1/leases", &ans);
	assert_non_null(strstr(ans.body,
			       "{\"ip\":\"192.168.127.9\",\"mac\":\"5a:94:ef:e4:0c:42\","
			       "\"hostname\":\"vm9\",\"expires\":3600,\"static\":false}"));
	get("/stats", &ans);
	assert_non_null(strstr(ans.body, "\"DHCPLeases\":"));
}

static void test_not_found(void **state)
{
	static const char *const paths[] = {
		"/nope",       "/",
		"/stats/",     "/STATS",
		"/stats%00",   "/v1/../stats",
		"/v1/health/", "/services/forwarder/all",
		"/tunnel",     "/services/forwarder/expose",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		get(paths[i], &ans);
		assert_text(&ans, 404, "404 page not found\n");
	}
	/* Go's http.Error also says nosniff. */
	{
		char v[64];

		assert_non_null(header(&ans, "X-Content-Type-Options", v, sizeof(v)));
		assert_string_equal(v, "nosniff");
	}
}

static void test_methods(void **state)
{
	char allow[64];

	(void)state;
	get("/services/dns/add", &ans);
	assert_text(&ans, 400, "post only\n");
	request("PUT /services/dns/add HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", &ans);
	assert_text(&ans, 400, "post only\n");
	post("/v1/health", "", &ans);
	assert_text(&ans, 405, "method not allowed\n");
	assert_non_null(header(&ans, "Allow", allow, sizeof(allow)));
	assert_string_equal(allow, "GET, HEAD");
	request("DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n", &ans);
	assert_int_equal(ans.status, 405);
	/* HEAD: the headers of GET, no body. */
	{
		int fd = connect_api(true, NULL, 0);
		char buf[4096];
		ssize_t n = 0;
		const char *req =
			"HEAD /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

		send_all(fd, req, strlen(req));
		for (int waited = 0; waited < WAIT_MS && !strstr(buf, "\r\n\r\n"); waited += 10) {
			ssize_t r = read(fd, buf + n, sizeof(buf) - 1 - (size_t)n);

			if (r > 0)
				n += r;
			buf[n] = '\0';
			pump(10);
		}
		assert_true(!strncmp(buf, "HTTP/1.1 200", 12));
		assert_non_null(strstr(buf, "\r\n\r\n"));
		assert_string_equal(strstr(buf, "\r\n\r\n"), "\r\n\r\n");
		close(fd);
	}
}

static void test_keep_alive(void **state)
{
	int fd;
	const char *req = "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n";

	(void)state;
	fd = connect_api(true, NULL, 0);
	for (int i = 0; i < 3; i++) {
		send_all(fd, req, strlen(req));
		read_answer(fd, &ans);
		assert_int_equal(ans.status, 200);
	}
	assert_false(server_closes(fd));
	/* Two requests in one write (pipelined). */
	{
		char two[256];

		snprintf(two, sizeof(two), "%sGET /nope HTTP/1.1\r\nHost: x\r\n\r\n", req);
		send_all(fd, two, strlen(two));
		read_answer(fd, &ans);
		assert_int_equal(ans.status, 200);
		read_answer(fd, &ans);
		assert_int_equal(ans.status, 404);
	}
	/* Connection: close is honoured. */
	send_str(fd, "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
	read_answer(fd, &ans);
	assert_int_equal(ans.status, 200);
	assert_true(server_closes(fd));
	close(fd);
}

static void test_dns_add(void **state)
{
	struct in_addr a;

	(void)state;
	post("/services/dns/add",
	     "{\"Name\":\"lab.internal.\",\"Records\":[{\"Name\":\"db\",\"IP\":\"192.168.127.30\"},"
	     "{\"Regexp\":\"^web[0-9]+$\",\"IP\":\"192.168.127.31\"}],\"DefaultIP\":\"\"}",
	     &ans);
	assert_int_equal(ans.status, 200);
	assert_int_equal(ans.body_len, 0);
	get("/services/dns/all", &ans);
	assert_non_null(strstr(ans.body, "{\"Name\":\"lab.internal.\",\"Records\":["
					 "{\"Name\":\"db\",\"IP\":\"192.168.127.30\"},"
					 "{\"Name\":\"\",\"IP\":\"192.168.127.31\","
					 "\"Regexp\":\"^web[0-9]+$\"}],\"DefaultIP\":\"\"}"));
	/* The live table answers, as the DNS server will. */
	assert_int_equal(
		dns_zones_lookup(&vg->cfg.zones, "web7.lab.internal.", DNS_TYPE_A, &a, NULL),
		DNS_ZONE_ANSWER);
	assert_int_equal(ntohl(a.s_addr), 0xc0a87f1f);

	/* Replace: new records first, the old one kept. */
	post("/services/dns/add",
	     "{\"Name\":\"containers.internal.\",\"Records\":[{\"Name\":\"gateway\",\"IP\":"
	     "\"192.168.127.99\"},{\"Name\":\"extra\",\"IP\":\"192.168.127.98\"}]}",
	     &ans);
	assert_int_equal(ans.status, 200);
	get("/services/dns/all", &ans);
	assert_non_null(strstr(ans.body, "{\"Name\":\"containers.internal.\",\"Records\":["
					 "{\"Name\":\"gateway\",\"IP\":\"192.168.127.99\"},"
					 "{\"Name\":\"extra\",\"IP\":\"192.168.127.98\"},"
					 "{\"Name\":\"host\",\"IP\":\"192.168.127.254\"}]"));

	/* Errors: 400, plain text, one line, trailing newline. */
	post("/services/dns/add", "{\"Name\":5}", &ans);
	assert_text(&ans, 400, "\"Name\" must be a string\n");
	post("/services/dns/add", "not json", &ans);
	assert_int_equal(ans.status, 400);
	assert_true(starts_with(ans.body, "invalid JSON: "));
	assert_int_equal(ans.body[ans.body_len - 1], '\n');
	assert_true(strchr(ans.body, '\n') == ans.body + ans.body_len - 1);
	post("/services/dns/add", "", &ans);
	assert_int_equal(ans.status, 400);
	post("/services/dns/add",
	     "{\"Name\":\"x.\",\"Records\":[{\"Regexp\":\"(\",\"IP\":\"1.1.1.1\"}]}", &ans);
	assert_int_equal(ans.status, 400);
	assert_true(starts_with(ans.body, "record 0: bad Regexp \"(\": "));
	/* A failed add changed nothing. */
	get("/services/dns/all", &ans);
	assert_null(strstr(ans.body, "\"x.\""));
}

static void test_dns_add_table_full(void **state)
{
	char body[128];

	(void)state;
	for (int i = (int)vg->cfg.zones.n; i < DNS_ZONES_MAX; i++) {
		snprintf(body, sizeof(body),
			 "{\"Name\":\"z%d.\",\"Records\":[{\"Name\":\"a\",\"IP\":\"10.0.0.1\"}]}",
			 i);
		post("/services/dns/add", body, &ans);
		assert_int_equal(ans.status, 200);
	}
	post("/services/dns/add", "{\"Name\":\"onemore.\"}", &ans);
	assert_int_equal(ans.status, 400);
	assert_non_null(strstr(ans.body, "DNS table full"));
	/* Replacing an existing zone still works. */
	post("/services/dns/add", "{\"Name\":\"z5.\"}", &ans);
	assert_int_equal(ans.status, 200);
}

/* A body of exactly @len bytes: a valid zone padded with spaces. */
static char *padded_zone(size_t len)
{
	static const char zone[] = "{\"Name\":\"pad.internal.\"}";
	char *b = malloc(len + 1);

	assert_non_null(b);
	assert_true(len >= sizeof(zone) - 1);
	memset(b, ' ', len);
	memcpy(b, zone, sizeof(zone) - 1);
	b[len] = '\0';
	return b;
}

static void test_body_limits(void **state)
{
	char *body;
	int fd;

	(void)state;
	/* Exactly API_BODY_MAX: accepted. */
	body = padded_zone(API_BODY_MAX);
	post("/services/dns/add", body, &ans);
	assert_int_equal(ans.status, 200);
	free(body);

	/* One more byte, announced: 413 before any of it is sent, then closed. */
	fd = connect_api(true, NULL, 0);
	{
		char req[256];

		snprintf(req, sizeof(req),
			 "POST /services/dns/add HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n",
			 API_BODY_MAX + 1);
		send_all(fd, req, strlen(req));
	}
	read_answer(fd, &ans);
	assert_text(&ans, 413, "request body too large\n");
	assert_true(server_closes(fd));
	close(fd);
	/*
	 * A Content-Length beyond 64 bits: MHD answers it itself (413, its
	 * own HTML) before our handler runs, and closes.
	 */
	fd = connect_api(true, NULL, 0);
	send_str(fd, "POST /services/dns/add HTTP/1.1\r\nHost: x\r\nContent-Length: "
		     "99999999999999999999999\r\n\r\n");
	{
		char raw[2048];

		read_until_closed(fd, raw, sizeof(raw));
		assert_true(starts_with(raw, "HTTP/1.1 413 "));
	}
	close(fd);

	/* Chunked and growing past the limit: closed, no answer. */
	fd = connect_api(true, NULL, 0);
	{
		const char *head = "POST /services/dns/add HTTP/1.1\r\nHost: x\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n";
		char chunk[4096 + 16];
		int n = snprintf(chunk, sizeof(chunk), "1000\r\n");
		int closed = 0;

		memset(chunk + n, ' ', 4096);
		memcpy(chunk + n + 4096, "\r\n", 2);
		send_all(fd, head, strlen(head));
		for (int i = 0; i < API_BODY_MAX / 4096 + 4 && !closed; i++) {
			ssize_t w = write(fd, chunk, (size_t)n + 4098);

			if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
				closed = 1;
			pump(10);
		}
		read_answer(fd, &ans);
		assert_int_equal(ans.status, 0);
		assert_true(ans.closed);
	}
	close(fd);

	/* The daemon still serves. */
	get("/v1/health", &ans);
	assert_int_equal(ans.status, 200);
}

static void test_malformed(void **state)
{
	char big[40 * 1024];
	int n;

	(void)state;
	request("GARBAGE\r\n\r\n", &ans);
	assert_true(ans.status == 400 || (ans.status == 0 && ans.closed));
	request("GET /v1/health HTTP/9.9\r\nHost: x\r\n\r\n", &ans);
	assert_true(ans.status >= 400 || (ans.status == 0 && ans.closed));
	/* A head over the per-connection memory: refused, not buffered. */
	n = snprintf(big, sizeof(big), "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ");
	memset(big + n, 'a', sizeof(big) - (size_t)n - 5);
	memcpy(big + sizeof(big) - 5, "\r\n\r\n", 5);
	{
		int fd = connect_api(true, NULL, 0);

		send_all(fd, big, strlen(big));
		read_answer(fd, &ans);
		assert_true(ans.status == 431 || ans.status == 413 || ans.status == 414 ||
			    (ans.status == 0 && ans.closed));
		close(fd);
	}
	get("/v1/health", &ans);
	assert_int_equal(ans.status, 200);
}

/* --- routes added by other files ---------------------------------------------------- */

static char seen_peer[64];
static char seen_auth[64];

static int echo_route(const struct api_request *req, struct api_reply *rep)
{
	const char *auth = api_request_header(req, "authorization");
	char *b = malloc(req->body_len + 64);

	seen_peer[0] = '\0';
	if (req->peer && req->peer->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)req->peer;

		snprintf(seen_peer, sizeof(seen_peer), "%s:%u", inet_ntoa(sin->sin_addr),
			 ntohs(sin->sin_port));
	}
	snprintf(seen_auth, sizeof(seen_auth), "%s", auth ? auth : "");
	if (!b)
		return -ENOMEM;
	snprintf(b, req->body_len + 64, "%s %s %s %s", req->method, req->path,
		 req->full_api ? "full" : "guest", req->body);
	rep->body = b;
	rep->content_type = "text/x-echo";
	return 0;
}

static int fail_route(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	(void)rep;
	return -EIO;
}

static int gvproxy_error_route(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	return api_reply_text(rep, 500, "proxy already running for tcp on :6443");
}

static void test_route_add(void **state)
{
	char path[32];

	(void)state;
	assert_int_equal(api_route_add("/services/forwarder/expose",
				       API_ROUTE_POST | API_ROUTE_GUEST, echo_route),
			 0);
	assert_int_equal(api_route_add("/services/forwarder/expose", 0, echo_route), -EEXIST);
	assert_int_equal(api_route_add("/stats", 0, echo_route), -EEXIST);
	assert_int_equal(api_route_add("stats", 0, echo_route), -EINVAL);
	assert_int_equal(api_route_add("/x", 0, NULL), -EINVAL);
	assert_int_equal(api_route_add("/fail", 0, fail_route), 0);
	assert_int_equal(api_route_add("/gverr", 0, gvproxy_error_route), 0);

	post("/services/forwarder/expose", "{\"local\":\":8080\"}", &ans);
	assert_int_equal(ans.status, 200);
	assert_string_equal(ans.body, "POST /services/forwarder/expose full {\"local\":\":8080\"}");
	get("/services/forwarder/expose", &ans);
	assert_text(&ans, 400, "post only\n");
	get("/fail", &ans);
	assert_text(&ans, 500, "Input/output error\n");
	get("/gverr", &ans);
	assert_text(&ans, 500, "proxy already running for tcp on :6443\n");

	/* Fill the table, then remove from the middle: the rest still route. */
	for (int i = 3; i < API_ROUTES_MAX; i++) {
		snprintf(path, sizeof(path), "/r%d", i);
		assert_int_equal(api_route_add(path, 0, echo_route), 0);
	}
	assert_int_equal(api_route_add("/onemore", 0, echo_route), -ENOSPC);
	assert_int_equal(api_route_remove("/fail"), 0);
	assert_int_equal(api_route_remove("/fail"), -ENOENT);
	get("/fail", &ans);
	assert_int_equal(ans.status, 404);
	get("/r9", &ans);
	assert_string_equal(ans.body, "GET /r9 full ");
	get("/gverr", &ans);
	assert_int_equal(ans.status, 500);
}

static void test_guest_scope(void **state)
{
	struct sockaddr_in guest = { .sin_family = AF_INET, .sin_port = htons(40000) };
	const char *req = "POST /services/forwarder/expose HTTP/1.1\r\nHost: 192.168.127.1\r\n"
			  "Authorization: Bearer s3cret\r\nContent-Length: 2\r\n\r\n{}";
	int fd;

	(void)state;
	guest.sin_addr.s_addr = htonl(0xc0a87f02);
	assert_int_equal(api_route_add("/services/forwarder/expose",
				       API_ROUTE_POST | API_ROUTE_GUEST, echo_route),
			 0);
	assert_int_equal(api_route_add("/hostonly", 0, echo_route), 0);

	fd = connect_api(false, (const struct sockaddr *)&guest, sizeof(guest));
	send_all(fd, req, strlen(req));
	read_answer(fd, &ans);
	assert_int_equal(ans.status, 200);
	assert_string_equal(ans.body, "POST /services/forwarder/expose guest {}");
	assert_string_equal(seen_peer, "192.168.127.2:40000");
	assert_string_equal(seen_auth, "Bearer s3cret");
	/* Everything else is invisible from the guest's side. */
	send_str(fd, "GET /stats HTTP/1.1\r\nHost: x\r\n\r\n");
	read_answer(fd, &ans);
	assert_text(&ans, 404, "404 page not found\n");
	send_str(fd, "GET /hostonly HTTP/1.1\r\nHost: x\r\n\r\n");
	read_answer(fd, &ans);
	assert_int_equal(ans.status, 404);
	close(fd);

	/* The host's side sees both, with getpeername()'s unix peer. */
	post("/services/forwarder/expose", "{}", &ans);
	assert_string_equal(ans.body, "POST /services/forwarder/expose full {}");
	assert_string_equal(seen_peer, "");
	get("/hostonly", &ans);
	assert_int_equal(ans.status, 200);
}

static void test_connection_limit(void **state)
{
	int fds[API_CONNECTIONS_MAX], sv[2];
	char c;

	(void)state;
	for (int i = 0; i < API_CONNECTIONS_MAX; i++)
		fds[i] = connect_api(true, NULL, 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(api_add_connection(sv[0], NULL, 0, true), -ENFILE);
	/* MHD closed the refused socket. */
	assert_int_equal(read(sv[1], &c, 1), 0);
	close(sv[1]);
	/* Connections that are open still answer. */
	send_str(fds[7], "GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n");
	read_answer(fds[7], &ans);
	assert_int_equal(ans.status, 200);
	/* Once some close, new ones are taken again. */
	for (int i = 0; i < 8; i++)
		close(fds[i]);
	for (int i = 0; i < 20; i++)
		pump(5);
	get("/v1/health", &ans);
	assert_int_equal(ans.status, 200);
	for (int i = 8; i < API_CONNECTIONS_MAX; i++)
		close(fds[i]);
}

static void test_timeout_armed(void **state)
{
	int fd, t;

	(void)state;
	assert_int_equal(api_timeout_ms(), -1); /* no connection: nothing timed */
	fd = connect_api(true, NULL, 0);
	pump(0);
	t = api_timeout_ms();
	assert_true(t > 0 && t <= API_CONNECTION_TIMEOUT_S * 1000);
	/* A half-sent head keeps the connection waiting, not answered. */
	send_str(fd, "GET /v1/health HTTP/1.1\r\nHo");
	for (int i = 0; i < 5; i++)
		pump(5);
	t = api_timeout_ms();
	assert_true(t > 0 && t <= API_CONNECTION_TIMEOUT_S * 1000);
	send_str(fd, "st: x\r\n\r\n");
	read_answer(fd, &ans);
	assert_int_equal(ans.status, 200);
	close(fd);
}

static void test_not_started(void **state)
{
	int sv[2];
	char c;

	(void)state;
	api_fini();
	api_fini(); /* twice is harmless */
	assert_int_equal(api_timeout_ms(), -1);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(api_add_connection(sv[0], NULL, 0, true), -ENOTCONN);
	assert_int_equal(read(sv[1], &c, 1), 0);
	close(sv[1]);
	assert_int_equal(api_init("again"), 0);
	assert_int_equal(api_init("twice"), -EALREADY);
	get("/v1/version", &ans);
	assert_non_null(strstr(ans.body, "\"again\""));
}

/* Connections still open at api_fini() are closed and freed (ASan checks). */
static void test_fini_with_open_connections(void **state)
{
	int a, b;

	(void)state;
	a = connect_api(true, NULL, 0);
	b = connect_api(true, NULL, 0);
	send_str(a,
		 "POST /services/dns/add HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{\"Na");
	send_str(b, "GET /v1/health HTTP/1.1\r\n");
	for (int i = 0; i < 5; i++)
		pump(5);
	api_fini();
	assert_true(server_closes(a));
	assert_true(server_closes(b));
	close(a);
	close(b);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_health),
		T(test_every_route),
		T(test_leases_follow_table),
		T(test_not_found),
		T(test_methods),
		T(test_keep_alive),
		T(test_dns_add),
		T(test_dns_add_table_full),
		T(test_body_limits),
		T(test_malformed),
		T(test_route_add),
		T(test_guest_scope),
		T(test_connection_limit),
		T(test_timeout_armed),
		T(test_not_started),
		T(test_fini_with_open_connections),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
