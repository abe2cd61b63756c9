// SPDX-License-Identifier: MIT
/*
 * test_api_json.c - backend/api_json.c: every API body and the dns/add parser
 *
 * Each builder gets hand-made inputs and its output is compared with a
 * golden string: both are parsed with yajl_tree and compared key by key
 * (object members in any order, arrays in order, numbers by their text),
 * so a failure names the first path that differs. The gvproxy routes'
 * goldens are the shapes of ../shared/reference/gvproxy.md; every list
 * route is also checked empty ("[]", or "{}" for the lease map). Every JSON
 * body must end in exactly one newline, as Go's encoder writes.
 *
 * The Prometheus text is checked line by line: HELP and TYPE before each
 * family's samples, counter names ending in _total, label escaping.
 *
 * The dns/add parser is run on good bodies (gvproxy's shape, Go's
 * case-insensitive keys, nulls, unknown keys) whose result goes through
 * dns_zone_replace() and back out through api_json_dns_zones(), and on a
 * table of bad bodies, each of which must fail with -EINVAL and a one-line
 * reason naming the problem. Under ASan/LSan nothing may leak, including
 * the compiled regexps of a parsed zone that is freed instead of applied.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "api_json.h"
#include "dns_wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

static const uint8_t mac_ee[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
static const uint8_t mac_01[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0x01 };
static const uint8_t mac_02[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0x02 };
static const uint8_t mac_03[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0x03 };

static uint32_t hip(const char *s) /* host order */
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return ntohl(a.s_addr);
}

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* --- key-by-key comparison ------------------------------------------------------ */

/* Compare @a with @b; on a difference write its path to @where and return false. */
static bool same(yajl_val a, yajl_val b, char *where, size_t cap)
{
	size_t used = strlen(where);

	if (a->type != b->type) {
		snprintf(where + used, cap - used, ": type %d, want %d", a->type, b->type);
		return false;
	}
	switch (a->type) {
	case yajl_t_string:
		if (strcmp(a->u.string, b->u.string) != 0) {
			snprintf(where + used, cap - used, ": \"%s\", want \"%s\"", a->u.string,
				 b->u.string);
			return false;
		}
		return true;
	case yajl_t_number:
		if (strcmp(a->u.number.r, b->u.number.r) != 0) {
			snprintf(where + used, cap - used, ": %s, want %s", a->u.number.r,
				 b->u.number.r);
			return false;
		}
		return true;
	case yajl_t_object:
		for (size_t i = 0; i < b->u.object.len; i++) {
			const char *path[] = { b->u.object.keys[i], NULL };
			yajl_val v = yajl_tree_get(a, path, yajl_t_any);

			snprintf(where + used, cap - used, ".%s", b->u.object.keys[i]);
			if (!v) {
				snprintf(where + strlen(where), cap - strlen(where), ": missing");
				return false;
			}
			if (!same(v, b->u.object.values[i], where, cap))
				return false;
			where[used] = '\0';
		}
		if (a->u.object.len != b->u.object.len) {
			for (size_t i = 0; i < a->u.object.len; i++) {
				const char *path[] = { a->u.object.keys[i], NULL };

				if (!yajl_tree_get(b, path, yajl_t_any)) {
					snprintf(where + used, cap - used, ".%s: unexpected key",
						 a->u.object.keys[i]);
					return false;
				}
			}
			snprintf(where + used, cap - used, ": duplicate keys");
			return false;
		}
		return true;
	case yajl_t_array:
		if (a->u.array.len != b->u.array.len) {
			snprintf(where + used, cap - used, ": %zu elements, want %zu",
				 a->u.array.len, b->u.array.len);
			return false;
		}
		for (size_t i = 0; i < a->u.array.len; i++) {
			snprintf(where + used, cap - used, "[%zu]", i);
			if (!same(a->u.array.values[i], b->u.array.values[i], where, cap))
				return false;
			where[used] = '\0';
		}
		return true;
	default:
		return true; /* true, false, null: the type says it all */
	}
}

/* @body (a builder's output, freed here) must equal @golden key by key. */
#define assert_json(body, golden) assert_json_at((body), (golden), __LINE__)
static void assert_json_at(char *body, const char *golden, int line)
{
	char err[256], where[512] = "$";
	yajl_val a, b;
	size_t n;

	assert_non_null(body);
	n = strlen(body);
	if (n < 2 || body[n - 1] != '\n' || body[n - 2] == '\n')
		fail_msg("line %d: body does not end in one newline: %s", line, body);
	a = yajl_tree_parse(body, err, sizeof(err));
	if (!a)
		fail_msg("line %d: body is not JSON (%s): %s", line, err, body);
	b = yajl_tree_parse(golden, err, sizeof(err));
	if (!b)
		fail_msg("line %d: golden is not JSON (%s): %s", line, err, golden);
	if (!same(a, b, where, sizeof(where)))
		fail_msg("line %d: %s\n got:  %s want: %s", line, where, body, golden);
	yajl_tree_free(a);
	yajl_tree_free(b);
	free(body);
}

/* The comparison itself must catch what it is for. */
static void test_compare_catches(void **state)
{
	static const char *const pairs[][2] = {
		{ "{\"a\":1}", "{\"a\":2}" },
		{ "{\"a\":1}", "{\"b\":1}" },
		{ "{\"a\":1,\"b\":2}", "{\"a\":1}" },
		{ "[1,2]", "[2,1]" },
		{ "[]", "{}" },
		{ "{\"a\":\"\"}", "{\"a\":null}" },
		{ "[[]]", "[[1]]" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		char err[128], where[256] = "$";
		yajl_val a = yajl_tree_parse(pairs[i][0], err, sizeof(err));
		yajl_val b = yajl_tree_parse(pairs[i][1], err, sizeof(err));

		assert_non_null(a);
		assert_non_null(b);
		assert_false(same(a, b, where, sizeof(where)));
		yajl_tree_free(a);
		yajl_tree_free(b);
	}
}

/* --- /stats --------------------------------------------------------------------- */

static void fill_stats(struct api_stats *s)
{
	/* Every counter a distinct value, so a key wired to the wrong field shows. */
	uint64_t *v = (uint64_t *)s;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		v[i] = 1000 + i;
	s->bytes_sent = 123456789012ULL;
	s->bytes_received = 98765;
}

static const char stats_golden[] =
	"{\"BytesSent\":123456789012,\"BytesReceived\":98765,\"FramesSent\":1002,"
	"\"FramesReceived\":1003,\"VMs\":1004,\"TxDrops\":1005,\"Runts\":1006,\"Oversize\":1007,"
	"\"PortsFull\":1008,\"BadHandshakes\":1009,\"UnknownUnicast\":1010,"
	"\"MACTableFull\":1011,\"GatewayFrames\":1012,\"GatewayMalformed\":1013,"
	"\"NotForGateway\":1014,\"ARPReplies\":1015,\"ICMPEchoReplies\":1016,"
	"\"DHCPOffers\":1017,\"DHCPAcks\":1018,\"DHCPNaks\":1019,\"DHCPExhausted\":1020,"
	"\"DHCPLeases\":1021,\"DNSQueries\":1022,\"DNSLocalAnswers\":1023,"
	"\"DNSNXDomain\":1024,\"DNSForwarded\":1025,\"DNSServfail\":1026,\"TCPFlows\":1027,"
	"\"TCPFlowsOpened\":1028,\"TCPRefused\":1029,\"TCPRefusedPolicy\":1030,"
	"\"TCPRefusedHost\":1031,\"TCPConnectTimeouts\":1032,\"TCPCapped\":1033,"
	"\"TCPBytesToHost\":1034,\"TCPBytesToGuest\":1035,\"UDPFlows\":1036,"
	"\"UDPFlowsOpened\":1037,\"UDPRefused\":1038,\"UDPDropped\":1039,"
	"\"UDPBytesToHost\":1040,\"UDPBytesToGuest\":1041,\"ICMPRelayed\":1042,"
	"\"ICMPReplies\":1043,\"ICMPRefused\":1044}";

static void test_stats(void **state)
{
	struct api_stats s;
	char *body;

	(void)state;
	fill_stats(&s);
	assert_int_equal(api_json_stats(&s, &body), 0);
	/* gvproxy's two keys lead, as clients that scan the text expect. */
	assert_true(!strncmp(body, "{\"BytesSent\":123456789012,\"BytesReceived\":98765,", 48));
	assert_json(body, stats_golden);

	memset(&s, 0, sizeof(s));
	s.bytes_sent = UINT64_MAX; /* beyond what a long long holds */
	assert_int_equal(api_json_stats(&s, &body), 0);
	assert_non_null(strstr(body, "\"BytesSent\":18446744073709551615,"));
	free(body);
}

/* --- leases --------------------------------------------------------------------- */

/*
 * 192.168.127.0/24 with the gateway and host alias reserved: .2 static for
 * mac_ee; .3 bound to mac_01 at t=1000 for an hour ("vm1"); .4 only
 * offered to mac_02; .5 bound to mac_03 for 1 s at t=0 (expired by t=1000).
 */
static void lease_fixture(struct lease_table *t)
{
	uint32_t ip;

	assert_int_equal(lease_table_init(t, hip("192.168.127.0"), 24), 0);
	assert_int_equal(lease_reserve(t, hip("192.168.127.1")), 0);
	assert_int_equal(lease_reserve(t, hip("192.168.127.254")), 0);
	assert_int_equal(lease_add_static(t, mac_ee, hip("192.168.127.2")), 0);
	assert_int_equal(lease_request(t, mac_01, hip("192.168.127.3"), 1000, 3600000, "vm1"), 0);
	assert_int_equal(lease_offer(t, mac_02, hip("192.168.127.4"), 1000, &ip), 0);
	assert_int_equal(ip, hip("192.168.127.4"));
	assert_int_equal(lease_request(t, mac_03, hip("192.168.127.5"), 0, 1000, "gone"), 0);
}

static void test_dhcp_leases(void **state)
{
	struct lease_table t;
	char *body;

	(void)state;
	lease_fixture(&t);
	assert_int_equal(api_json_dhcp_leases(&t, 1000, &body), 0);
	assert_json(body, "{\"192.168.127.2\":\"5a:94:ef:e4:0c:ee\","
			  "\"192.168.127.3\":\"5a:94:ef:e4:0c:01\"}");
	/* Before .5 expired it is listed too. */
	assert_int_equal(api_json_dhcp_leases(&t, 500, &body), 0);
	assert_json(body, "{\"192.168.127.2\":\"5a:94:ef:e4:0c:ee\","
			  "\"192.168.127.3\":\"5a:94:ef:e4:0c:01\","
			  "\"192.168.127.5\":\"5a:94:ef:e4:0c:03\"}");
	lease_table_free(&t);

	/* Empty: a fresh table, and one never initialised. */
	assert_int_equal(lease_table_init(&t, hip("192.168.127.0"), 24), 0);
	assert_int_equal(api_json_dhcp_leases(&t, 0, &body), 0);
	assert_string_equal(body, "{}\n");
	free(body);
	lease_table_free(&t);
	memset(&t, 0, sizeof(t));
	assert_int_equal(api_json_dhcp_leases(&t, 0, &body), 0);
	assert_string_equal(body, "{}\n");
	free(body);
}

static void test_v1_leases(void **state)
{
	struct lease_table t;
	struct lease *s;
	char *body;

	(void)state;
	lease_fixture(&t);
	/* 3599.5 s left: rounded up. A hostname byte outside ASCII shows as '?'. */
	s = lease_slot(&t, hip("192.168.127.3"));
	assert_non_null(s);
	memcpy(s->hostname, "vm\x01\xff", 5);
	assert_int_equal(api_json_leases(&t, 1500, &body), 0);
	assert_json(body, "[{\"ip\":\"192.168.127.2\",\"mac\":\"5a:94:ef:e4:0c:ee\","
			  "\"hostname\":\"\",\"expires\":null,\"static\":true},"
			  "{\"ip\":\"192.168.127.3\",\"mac\":\"5a:94:ef:e4:0c:01\","
			  "\"hostname\":\"vm??\",\"expires\":3600,\"static\":false}]");
	assert_int_equal(api_json_leases(&t, 3600000, &body), 0);
	assert_json(body, "[{\"ip\":\"192.168.127.2\",\"mac\":\"5a:94:ef:e4:0c:ee\","
			  "\"hostname\":\"\",\"expires\":null,\"static\":true},"
			  "{\"ip\":\"192.168.127.3\",\"mac\":\"5a:94:ef:e4:0c:01\","
			  "\"hostname\":\"vm??\",\"expires\":1,\"static\":false}]");
	lease_table_free(&t);

	memset(&t, 0, sizeof(t));
	assert_int_equal(api_json_leases(&t, 0, &body), 0);
	assert_string_equal(body, "[]\n");
	free(body);
}

/* --- DNS zones ------------------------------------------------------------------ */

static void test_dns_all(void **state)
{
	struct dns_zones *z = calloc(1, sizeof(*z));
	struct in_addr gw = ip4("192.168.127.1"), host = ip4("192.168.127.254");
	struct in_addr web = ip4("192.168.127.10"), def = ip4("192.168.127.20");
	struct in6_addr db6;
	char *body;

	(void)state;
	assert_non_null(z);
	dns_zones_init(z);
	assert_int_equal(api_json_dns_zones(z, &body), 0);
	assert_string_equal(body, "[]\n");
	free(body);

	/* The reference's example first. */
	assert_int_equal(dns_zone_add_record(z, "containers.internal.", "gateway", NULL, &gw, NULL),
			 0);
	assert_int_equal(api_json_dns_zones(z, &body), 0);
	assert_json(body, "[{\"Name\":\"containers.internal.\",\"Records\":[{\"Name\":\"gateway\","
			  "\"IP\":\"192.168.127.1\"}],\"DefaultIP\":\"\"}]");

	assert_int_equal(dns_zone_add_record(z, "containers.internal", "host", NULL, &host, NULL),
			 0);
	assert_int_equal(inet_pton(AF_INET6, "fd00::3", &db6), 1);
	assert_int_equal(dns_zone_add_record(z, "lab.internal.", "db", NULL, &gw, &db6), 0);
	assert_int_equal(dns_zone_add_record(z, "lab.internal.", "v6only", NULL, NULL, &db6), 0);
	assert_int_equal(dns_zone_add_record(z, "lab.internal.", NULL, "^web[0-9]+$", &web, NULL),
			 0);
	assert_int_equal(dns_zone_set_default(z, "lab.internal.", &def), 0);
	assert_int_equal(dns_zone_set_default(z, "empty.internal.", NULL), 0);
	assert_int_equal(api_json_dns_zones(z, &body), 0);
	assert_json(body, "[{\"Name\":\"containers.internal.\",\"Records\":["
			  "{\"Name\":\"gateway\",\"IP\":\"192.168.127.1\"},"
			  "{\"Name\":\"host\",\"IP\":\"192.168.127.254\"}],\"DefaultIP\":\"\"},"
			  "{\"Name\":\"lab.internal.\",\"Records\":["
			  "{\"Name\":\"db\",\"IP\":\"192.168.127.1\",\"IPv6\":\"fd00::3\"},"
			  "{\"Name\":\"v6only\",\"IP\":\"\",\"IPv6\":\"fd00::3\"},"
			  "{\"Name\":\"\",\"IP\":\"192.168.127.10\",\"Regexp\":\"^web[0-9]+$\"}],"
			  "\"DefaultIP\":\"192.168.127.20\"},"
			  "{\"Name\":\"empty.internal.\",\"Records\":[],\"DefaultIP\":\"\"}]");
	dns_zones_free(z);
	free(z);
}

/* --- /v1 ------------------------------------------------------------------------ */

static void test_health_version(void **state)
{
	char *body;

	(void)state;
	assert_int_equal(api_json_health(42, 3, &body), 0);
	assert_json(body, "{\"status\":\"ok\",\"uptime\":42,\"vms\":3}");
	assert_int_equal(api_json_version("0.1.0", "vgate-tuned", &body), 0);
	assert_json(body, "{\"version\":\"0.1.0\",\"lwip\":\"vgate-tuned\"}");
	assert_int_equal(api_json_version(NULL, NULL, &body), 0);
	assert_json(body, "{\"version\":\"\",\"lwip\":\"\"}");
}

static void test_ports(void **state)
{
	struct api_port_info p[2] = {
		{ .port = 1,
		  .transport = "qemu",
		  .mac_known = true,
		  .rx_frames = 10,
		  .rx_bytes = 1000,
		  .tx_frames = 20,
		  .tx_bytes = 2000,
		  .tx_drops = 3,
		  .rx_runts = 4 },
		{ .port = 7, .transport = "connect" },
	};
	char *body;

	(void)state;
	memcpy(p[0].mac, mac_ee, 6);
	assert_int_equal(api_json_ports(p, 2, &body), 0);
	/* The shape http_port.c wrote before the API moved here. */
	assert_json(body, "[{\"port\":1,\"transport\":\"qemu\",\"mac\":\"5a:94:ef:e4:0c:ee\","
			  "\"rx_frames\":10,\"rx_bytes\":1000,\"tx_frames\":20,\"tx_bytes\":2000,"
			  "\"tx_drops\":3,\"rx_runts\":4},"
			  "{\"port\":7,\"transport\":\"connect\",\"mac\":\"\",\"rx_frames\":0,"
			  "\"rx_bytes\":0,\"tx_frames\":0,\"tx_bytes\":0,\"tx_drops\":0,"
			  "\"rx_runts\":0}]");
	assert_int_equal(api_json_ports(NULL, 0, &body), 0);
	assert_string_equal(body, "[]\n");
	free(body);
}

/* GET /v1/flows: one shape for every kind of flow; [] when there is none. */
static void test_flows(void **state)
{
	struct flow_info tcp = {
		.proto = "tcp",
		.kind = "outbound",
		.gip = htonl(0xc0a87f02),
		.gport = 40000,
		.dip = htonl(0xc0a87ffe),
		.dport = 80,
		.hip = htonl(0x7f000001),
		.hport = 80,
		.state = "established",
		.to_host_bytes = 5,
		.to_guest_bytes = 6,
		.age_ms = 1234,
		.idle_ms = -1,
	};
	struct flow_info ping = {
		.proto = "icmp",
		.kind = "outbound",
		.gip = htonl(0xc0a87f02),
		.gport = 7,
		.dip = htonl(0x01020304),
		.hip = htonl(0x01020304),
		.state = "active",
		.to_host_bytes = 64,
		.idle_ms = 10,
	};
	struct flow_info fwd = {
		.proto = "udp",
		.kind = "forward",
		.gip = htonl(0xc0a87f02),
		.gport = 53,
		.local = "127.0.0.1:5353",
		.state = "active",
		.to_guest_bytes = 40,
		.age_ms = 3,
		.idle_ms = 2,
	};
	struct api_flows *f;
	char *body;

	(void)state;
	f = api_json_flows_begin();
	assert_non_null(f);
	api_json_flow(&tcp, f);
	api_json_flow(&ping, f);
	api_json_flow(&fwd, f);
	assert_int_equal(api_json_flows_end(f, &body), 0);
	assert_json(
		body,
		"[{\"proto\":\"tcp\",\"kind\":\"outbound\",\"guest\":\"192.168.127.2:40000\","
		"\"destination\":\"192.168.127.254:80\",\"host\":\"127.0.0.1:80\",\"local\":\"\","
		"\"state\":\"established\",\"to_host_bytes\":5,\"to_guest_bytes\":6,"
		"\"age_ms\":1234,\"idle_ms\":null},"
		"{\"proto\":\"icmp\",\"kind\":\"outbound\",\"guest\":\"192.168.127.2\","
		"\"destination\":\"1.2.3.4\",\"host\":\"1.2.3.4\",\"local\":\"\","
		"\"state\":\"active\",\"to_host_bytes\":64,\"to_guest_bytes\":0,"
		"\"age_ms\":0,\"idle_ms\":10},"
		"{\"proto\":\"udp\",\"kind\":\"forward\",\"guest\":\"192.168.127.2:53\","
		"\"destination\":\"\",\"host\":\"\",\"local\":\"127.0.0.1:5353\","
		"\"state\":\"active\",\"to_host_bytes\":0,\"to_guest_bytes\":40,"
		"\"age_ms\":3,\"idle_ms\":2}]");
	f = api_json_flows_begin();
	assert_non_null(f);
	assert_int_equal(api_json_flows_end(f, &body), 0);
	assert_string_equal(body, "[]\n");
	free(body);
}

static int cam_deliver(void *ctx, unsigned port, const uint8_t *frame, size_t len)
{
	(void)ctx;
	(void)port;
	(void)frame;
	(void)len;
	return 0;
}

/* GET /cam: gvproxy's MAC -> switch port map. */
static void test_cam(void **state)
{
	static const uint8_t gw[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
	uint8_t frame[60] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee
	};
	struct vswitch *sw = calloc(1, sizeof(*sw));
	char *body;
	int p;

	(void)state;
	assert_non_null(sw);
	switch_init(sw, gw, cam_deliver, NULL, NULL);
	switch_port_add_gateway(sw);
	assert_int_equal(api_json_cam(sw, &body), 0);
	assert_string_equal(body, "{}\n");
	free(body);
	p = switch_port_add(sw);
	switch_input(sw, (unsigned)p, frame, sizeof(frame), 0);
	assert_int_equal(api_json_cam(sw, &body), 0);
	assert_string_equal(body, "{\"5a:94:ef:e4:0c:ee\":1}\n");
	free(body);
	free(sw);
}

static void test_nat_egress(void **state)
{
	struct egress *e = calloc(1, sizeof(*e));
	char *body;

	(void)state;
	assert_non_null(e);
	assert_int_equal(api_json_nat(e, &body), 0);
	assert_string_equal(body, "[]\n");
	free(body);
	assert_int_equal(api_json_egress(e, &body), 0);
	assert_json(body, "{\"allow\":[],\"deny\":[],\"allow_link_local\":false,"
			  "\"refused\":{\"tcp\":0,\"udp\":0,\"icmp\":0}}");

	assert_int_equal(egress_nat_add(e, ip4("192.168.127.254").s_addr, ip4("127.0.0.1").s_addr),
			 0);
	assert_int_equal(egress_nat_add(e, ip4("192.168.127.253").s_addr, ip4("10.0.0.5").s_addr),
			 0);
	assert_int_equal(egress_rule_parse("10.0.0.0/8", &e->allow[e->nallow++]), 0);
	assert_int_equal(egress_rule_parse("1.2.3.4:443", &e->allow[e->nallow++]), 0);
	assert_int_equal(egress_rule_parse("10.1.0.0/16", &e->deny[e->ndeny++]), 0);
	assert_int_equal(egress_rule_parse("0.0.0.0/0:25", &e->deny[e->ndeny++]), 0);
	e->allow_link_local = true;
	e->refused[EGRESS_TCP] = 5;
	e->refused[EGRESS_UDP] = 6;
	e->refused[EGRESS_ICMP] = 7;
	assert_int_equal(api_json_nat(e, &body), 0);
	assert_json(body, "[{\"virtual\":\"192.168.127.254\",\"real\":\"127.0.0.1\"},"
			  "{\"virtual\":\"192.168.127.253\",\"real\":\"10.0.0.5\"}]");
	assert_int_equal(api_json_egress(e, &body), 0);
	assert_json(body, "{\"allow\":[\"10.0.0.0/8\",\"1.2.3.4/32:443\"],"
			  "\"deny\":[\"10.1.0.0/16\",\"0.0.0.0/0:25\"],\"allow_link_local\":true,"
			  "\"refused\":{\"tcp\":5,\"udp\":6,\"icmp\":7}}");

	/* What is printed parses back to the same rule. */
	for (unsigned i = 0; i < e->nallow; i++) {
		struct egress_rule r;
		char buf[64];
		int prefix = __builtin_popcount(ntohl(e->allow[i].mask));
		struct in_addr a = { .s_addr = e->allow[i].net };

		snprintf(buf, sizeof(buf), "%s/%d", inet_ntoa(a), prefix);
		if (e->allow[i].port)
			snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), ":%u",
				 e->allow[i].port);
		assert_int_equal(egress_rule_parse(buf, &r), 0);
		assert_memory_equal(&r, &e->allow[i], sizeof(r));
	}
	free(e);
}

/* --- /metrics ------------------------------------------------------------------- */

static void test_metrics(void **state)
{
	struct api_stats s;
	struct api_port_info p[2] = {
		{ .port = 1,
		  .transport = "qemu",
		  .mac_known = true,
		  .rx_frames = 10,
		  .tx_bytes = 77 },
		{ .port = 2, .transport = "we\"ird\\", .rx_runts = 9 },
	};
	char *text, *line, *save = NULL, family[128] = "";
	bool help = false, type = false;
	unsigned samples = 0;

	(void)state;
	fill_stats(&s);
	memcpy(p[0].mac, mac_ee, 6);
	assert_int_equal(api_metrics_text(&s, p, 2, &text), 0);
	assert_non_null(strstr(text, "# HELP vgate_bytes_sent_total Bytes the switch delivered to "
				     "VM ports.\n# TYPE vgate_bytes_sent_total counter\n"
				     "vgate_bytes_sent_total 123456789012\n"));
	assert_non_null(strstr(text, "# TYPE vgate_vms gauge\nvgate_vms 1004\n"));
	assert_non_null(strstr(text, "# TYPE vgate_tcp_flows gauge\nvgate_tcp_flows 1027\n"));
	assert_non_null(strstr(text, "\nvgate_icmp_refused_total 1044\n"));
	assert_non_null(strstr(text, "\nvgate_port_rx_frames_total{port=\"1\",transport=\"qemu\","
				     "mac=\"5a:94:ef:e4:0c:ee\"} 10\n"));
	assert_non_null(strstr(text, "\nvgate_port_tx_bytes_total{port=\"1\",transport=\"qemu\","
				     "mac=\"5a:94:ef:e4:0c:ee\"} 77\n"));
	assert_non_null(strstr(text, "\nvgate_port_rx_runts_total{port=\"2\",transport=\"we\\\"ird"
				     "\\\\\",mac=\"\"} 9\n"));
	assert_int_equal(text[strlen(text) - 1], '\n');

	/* Every sample belongs to the family whose HELP and TYPE precede it. */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128];

		if (!strncmp(line, "# HELP ", 7)) {
			assert_true(sscanf(line + 7, "%127s", family) == 1);
			help = true;
			type = false;
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			char kind[16];

			assert_true(help);
			assert_int_equal(sscanf(line + 7, "%127s %15s", name, kind), 2);
			assert_string_equal(name, family);
			assert_true(!strcmp(kind, "counter") || !strcmp(kind, "gauge"));
			if (!strcmp(kind, "counter"))
				assert_non_null(strstr(family, "_total"));
			type = true;
			continue;
		}
		assert_true(help && type);
		assert_true(!strncmp(line, family, strlen(family)));
		assert_true(line[strlen(family)] == ' ' || line[strlen(family)] == '{');
		samples++;
	}
	/* 45 counters, 6 per-port families of 2 ports. */
	assert_int_equal(samples, 45 + 6 * 2);
	free(text);

	/* No ports: no per-port families at all. */
	assert_int_equal(api_metrics_text(&s, NULL, 0, &text), 0);
	assert_null(strstr(text, "vgate_port_"));
	free(text);
}

/* --- POST /services/dns/add ----------------------------------------------------- */

/* Parse @body, apply it to @z, return api_json_dns_zones(@z). */
static char *add_zone(struct dns_zones *z, const char *body)
{
	struct dns_zone zone;
	char err[256], *out;

	if (api_json_parse_dns_zone(body, strlen(body), &zone, err, sizeof(err)) != 0)
		fail_msg("parse failed: %s: %s", err, body);
	assert_int_equal(dns_zone_replace(z, &zone), 0);
	assert_int_equal(api_json_dns_zones(z, &out), 0);
	return out;
}

static void test_dns_add(void **state)
{
	struct dns_zones *z = calloc(1, sizeof(*z));
	struct in_addr a;
	struct in6_addr a6;

	(void)state;
	assert_non_null(z);
	dns_zones_init(z);
	/* The reference's shape, as gvproxy's /services/dns/all returns it. */
	assert_json(add_zone(z, "{\"Name\":\"containers.internal.\",\"Records\":[{\"Name\":"
				"\"gateway\",\"IP\":\"192.168.127.1\"}],\"DefaultIP\":\"\"}"),
		    "[{\"Name\":\"containers.internal.\",\"Records\":[{\"Name\":\"gateway\","
		    "\"IP\":\"192.168.127.1\"}],\"DefaultIP\":\"\"}]");
	/* Same zone again: new records first, the old one kept; Go's
	 * case-insensitive keys, unknown keys ignored, a name without the dot. */
	assert_json(add_zone(z, "{\"name\":\"Containers.Internal\",\"records\":[{\"NAME\":\"Host\","
				"\"ip\":\"192.168.127.254\",\"ttl\":5}],\"extra\":[1,{}]}"),
		    "[{\"Name\":\"containers.internal.\",\"Records\":["
		    "{\"Name\":\"host\",\"IP\":\"192.168.127.254\"},"
		    "{\"Name\":\"gateway\",\"IP\":\"192.168.127.1\"}],\"DefaultIP\":\"\"}]");
	/* Regexp, IPv6, DefaultIP, nulls for optional keys. */
	assert_json(add_zone(z,
			     "{\"Name\":\"lab.internal.\",\"DefaultIP\":\"192.168.127.20\","
			     "\"Records\":[{\"Regexp\":\"^web[0-9]+$\",\"IP\":\"192.168.127.10\","
			     "\"Name\":null},{\"Name\":\"db\",\"IP\":null,\"IPv6\":\"fd00::3\"}]}"),
		    "[{\"Name\":\"containers.internal.\",\"Records\":["
		    "{\"Name\":\"host\",\"IP\":\"192.168.127.254\"},"
		    "{\"Name\":\"gateway\",\"IP\":\"192.168.127.1\"}],\"DefaultIP\":\"\"},"
		    "{\"Name\":\"lab.internal.\",\"Records\":["
		    "{\"Name\":\"\",\"IP\":\"192.168.127.10\",\"Regexp\":\"^web[0-9]+$\"},"
		    "{\"Name\":\"db\",\"IP\":\"\",\"IPv6\":\"fd00::3\"}],"
		    "\"DefaultIP\":\"192.168.127.20\"}]");
	/* The applied zone answers. */
	assert_int_equal(dns_zones_lookup(z, "web12.lab.internal.", DNS_TYPE_A, &a, NULL),
			 DNS_ZONE_ANSWER);
	assert_int_equal(a.s_addr, ip4("192.168.127.10").s_addr);
	assert_int_equal(dns_zones_lookup(z, "db.lab.internal.", DNS_TYPE_AAAA, NULL, &a6),
			 DNS_ZONE_ANSWER);
	assert_int_equal(dns_zones_lookup(z, "other.lab.internal.", DNS_TYPE_A, &a, NULL),
			 DNS_ZONE_ANSWER);
	assert_int_equal(a.s_addr, ip4("192.168.127.20").s_addr);
	/* No records, null Records, empty DefaultIP: the zone exists, empty. */
	assert_json(
		add_zone(z, "{\"Name\":\"empty.internal.\",\"Records\":null,\"DefaultIP\":null}"),
		"[{\"Name\":\"containers.internal.\",\"Records\":["
		"{\"Name\":\"host\",\"IP\":\"192.168.127.254\"},"
		"{\"Name\":\"gateway\",\"IP\":\"192.168.127.1\"}],\"DefaultIP\":\"\"},"
		"{\"Name\":\"lab.internal.\",\"Records\":["
		"{\"Name\":\"\",\"IP\":\"192.168.127.10\",\"Regexp\":\"^web[0-9]+$\"},"
		"{\"Name\":\"db\",\"IP\":\"\",\"IPv6\":\"fd00::3\"}],"
		"\"DefaultIP\":\"192.168.127.20\"},"
		"{\"Name\":\"empty.internal.\",\"Records\":[],\"DefaultIP\":\"\"}]");
	dns_zones_free(z);
	free(z);
}

/* A parsed zone that is not applied is freed with its compiled regexps. */
static void test_dns_add_free(void **state)
{
	static const char body[] = "{\"Name\":\"x.\",\"Records\":[{\"Regexp\":\"a|b\",\"IP\":"
				   "\"1.2.3.4\"},{\"Regexp\":\"c+\",\"IP\":\"1.2.3.5\"}]}";
	struct dns_zone zone;
	char err[128];

	(void)state;
	assert_int_equal(api_json_parse_dns_zone(body, strlen(body), &zone, err, sizeof(err)), 0);
	assert_string_equal(zone.name, "x.");
	assert_int_equal(zone.nrecords, 2);
	assert_true(zone.records[0].has_regexp);
	api_dns_zone_free(&zone);
	assert_null(zone.records);
	assert_int_equal(zone.nrecords, 0);
}

static void test_dns_add_bad(void **state)
{
	static const struct {
		const char *body;
		const char *why; /* must appear in the error */
	} bad[] = {
		{ "", "invalid JSON" },
		{ "{", "invalid JSON" },
		{ "{\"Name\":\"a.\"} x", "invalid JSON" },
		{ "{\"Name\":\"a.\"}{}", "invalid JSON" },
		{ "[]", "must be a JSON object" },
		{ "\"a.\"", "must be a JSON object" },
		{ "null", "must be a JSON object" },
		{ "{}", "missing zone \"Name\"" },
		{ "{\"Name\":\"\"}", "missing zone \"Name\"" },
		{ "{\"Name\":null}", "missing zone \"Name\"" },
		{ "{\"Records\":[]}", "missing zone \"Name\"" },
		{ "{\"Name\":5}", "\"Name\" must be a string" },
		{ "{\"Name\":[\"a.\"]}", "\"Name\" must be a string" },
		{ "{\"Name\":\"bad name!\"}", "bad zone Name \"bad name!\"" },
		{ "{\"Name\":\"a..b\"}", "bad zone Name" },
		{ "{\"Name\":\"a.\",\"DefaultIP\":7}", "\"DefaultIP\" must be a string" },
		{ "{\"Name\":\"a.\",\"DefaultIP\":\"1.2.3\"}", "bad DefaultIP \"1.2.3\"" },
		{ "{\"Name\":\"a.\",\"DefaultIP\":\"fd00::1\"}", "bad DefaultIP" },
		{ "{\"Name\":\"a.\",\"Records\":{}}", "\"Records\" must be a list" },
		{ "{\"Name\":\"a.\",\"Records\":\"x\"}", "\"Records\" must be a list" },
		{ "{\"Name\":\"a.\",\"Records\":[5]}", "record 0 is not an object" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"x\",\"IP\":\"1.1.1.1\"},null]}",
		  "record 1 is not an object" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"x\"}]}",
		  "record 0 needs an IP or IPv6" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"x\",\"IP\":\"\"}]}",
		  "record 0 needs an IP or IPv6" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"IP\":\"1.1.1.1\"}]}",
		  "record 0 needs a Name or a Regexp" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"\",\"Regexp\":\"\",\"IP\":\"1.1.1.1\"}"
		  "]}",
		  "record 0 needs a Name or a Regexp" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":1,\"IP\":\"1.1.1.1\"}]}",
		  "record 0: \"Name\" must be a string" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"x\",\"IP\":[1]}]}",
		  "record 0: \"IP\" must be a string" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"x\",\"IP\":\"1.1.1.1\",\"IPv6\":true}]"
		  "}",
		  "record 0: \"IPv6\" must be a string" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Regexp\":{},\"IP\":\"1.1.1.1\"}]}",
		  "record 0: \"Regexp\" must be a string" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"x\",\"IP\":\"300.1.1.1\"}]}",
		  "record 0: bad IP \"300.1.1.1\"" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"x\",\"IP\":\"fd00::1\"}]}",
		  "record 0: bad IP" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"x\",\"IPv6\":\"fd00:::1:zz\"}]}",
		  "record 0: bad IPv6" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Regexp\":\"(\",\"IP\":\"1.1.1.1\"}]}",
		  "record 0: bad Regexp \"(\": " },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Regexp\":\"a{2,1}\",\"IP\":\"1.1.1.1\"}]}",
		  "bad Regexp" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"a b\",\"IP\":\"1.1.1.1\"}]}",
		  "record 0: bad Name \"a b\"" },
		{ "{\"Name\":\"a.\",\"Records\":[{\"Name\":\"x.\",\"IP\":\"1.1.1.1\"}]}",
		  "record 0: bad Name" },
		/* A newline in the input must not split the one-line error. */
		{ "{\"Name\":\"a\\nb\"}", "bad zone Name \"a?b\"" },
		{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
		  "nested deeper than" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct dns_zone zone;
		char err[256];
		int r = api_json_parse_dns_zone(bad[i].body, strlen(bad[i].body), &zone, err,
						sizeof(err));

		if (r != -EINVAL || !strstr(err, bad[i].why))
			fail_msg("%s: got %d \"%s\", want -EINVAL \"%s\"", bad[i].body, r, err,
				 bad[i].why);
		assert_null(strchr(err, '\n'));
		assert_null(zone.records);
	}
}

/* A zone body with @n records. Return: its length; *@out malloc'd. */
static size_t zone_with_records(int n, char **out)
{
	size_t cap = 128 + (size_t)n * 40, off = 0;
	char *body = malloc(cap);

	assert_non_null(body);
	off += (size_t)snprintf(body + off, cap - off, "{\"Name\":\"big.\",\"Records\":[");
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(body + off, cap - off,
					"%s{\"Name\":\"h%d\",\"IP\":\"10.0.0.1\"}", i ? "," : "",
					i);
	off += (size_t)snprintf(body + off, cap - off, "]}");
	assert_true(off < cap);
	*out = body;
	return off;
}

static void test_dns_add_limits(void **state)
{
	static const char nul_body[] = "{\"Name\":\"a.\"}\0{\"Name\":\"b.\"}";
	struct dns_zone zone;
	char err[256], *body, *deep;
	size_t len;

	(void)state;
	/* A NUL inside the body is refused, not silently cut. */
	assert_int_equal(
		api_json_parse_dns_zone(nul_body, sizeof(nul_body) - 1, &zone, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "NUL"));

	/* One record over the per-zone limit, then exactly at it. */
	len = zone_with_records(DNS_ZONE_RECORDS_MAX + 1, &body);
	assert_int_equal(api_json_parse_dns_zone(body, len, &zone, err, sizeof(err)), -ENOSPC);
	assert_non_null(strstr(err, "too many records"));
	free(body);
	len = zone_with_records(DNS_ZONE_RECORDS_MAX, &body);
	assert_int_equal(api_json_parse_dns_zone(body, len, &zone, err, sizeof(err)), 0);
	assert_int_equal(zone.nrecords, DNS_ZONE_RECORDS_MAX);
	api_dns_zone_free(&zone);
	free(body);

	/* A whole 64 KiB body of nesting: refused before yajl recurses into it. */
	deep = malloc(64 * 1024);
	assert_non_null(deep);
	memset(deep, '[', 32 * 1024);
	memset(deep + 32 * 1024, ']', 32 * 1024);
	assert_int_equal(api_json_parse_dns_zone(deep, 64 * 1024, &zone, err, sizeof(err)),
			 -EINVAL);
	/* Brackets inside strings do not count. */
	memcpy(deep, "{\"Name\":\"a.\",\"x\":\"", 18);
	memset(deep + 18, '[', 1000);
	memcpy(deep + 1018, "\"}", 3);
	assert_int_equal(api_json_parse_dns_zone(deep, strlen(deep), &zone, err, sizeof(err)), 0);
	api_dns_zone_free(&zone);
	free(deep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare_catches), cmocka_unit_test(test_stats),
		cmocka_unit_test(test_dhcp_leases),	cmocka_unit_test(test_v1_leases),
		cmocka_unit_test(test_dns_all),		cmocka_unit_test(test_health_version),
		cmocka_unit_test(test_ports),		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_nat_egress),	cmocka_unit_test(test_cam),
		cmocka_unit_test(test_metrics),		cmocka_unit_test(test_dns_add),
		cmocka_unit_test(test_dns_add_free),	cmocka_unit_test(test_dns_add_bad),
		cmocka_unit_test(test_dns_add_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
