// SPDX-License-Identifier: MIT
/*
 * test_dns_zone.c - backend/dns_zone.c: the gateway's local DNS zones
 *
 * Lookups as the DNS server makes them, with names in dns_decode_name()'s
 * form: exact labels, case folding at insertion, the zone's own name, regexp
 * records, DefaultIP, and the three outcomes (answer, NXDOMAIN, forward)
 * including a record that lacks the asked type. Then the edges: the table
 * and per-zone limits, refused names and patterns, and dns_zone_replace()
 * (order, kept records, DefaultIP, failures leaving the table unchanged).
 * Run under ASan/LSan, every test also checks that each compiled regex is
 * released exactly once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dns_wire.h"
#include "dns_zone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_MX 15
#define TYPE_TXT 16

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

static struct in6_addr ip6(const char *s)
{
	struct in6_addr a;

	assert_int_equal(inet_pton(AF_INET6, s, &a), 1);
	return a;
}

static int setup(void **state)
{
	struct dns_zones *z = malloc(sizeof(*z));

	if (!z)
		return -1;
	dns_zones_init(z);
	*state = z;
	return 0;
}

static int teardown(void **state)
{
	dns_zones_free(*state);
	free(*state);
	return 0;
}

/* Expect @qname/@qtype to be answered with the IPv4 address @want. */
static void expect_a(const struct dns_zones *z, const char *qname, const char *want)
{
	struct in_addr a = { 0 }, w = ip4(want);

	assert_int_equal(dns_zones_lookup(z, qname, DNS_TYPE_A, &a, NULL), DNS_ZONE_ANSWER);
	assert_int_equal(a.s_addr, w.s_addr);
}

static void expect_aaaa(const struct dns_zones *z, const char *qname, const char *want)
{
	struct in6_addr a, w = ip6(want);

	memset(&a, 0, sizeof(a));
	assert_int_equal(dns_zones_lookup(z, qname, DNS_TYPE_AAAA, NULL, &a), DNS_ZONE_ANSWER);
	assert_memory_equal(&a, &w, sizeof(a));
}

static enum dns_zone_result look(const struct dns_zones *z, const char *qname, uint16_t qtype)
{
	struct in_addr a;
	struct in6_addr aaaa;

	return dns_zones_lookup(z, qname, qtype, &a, &aaaa);
}

static void add_a(struct dns_zones *z, const char *zone, const char *label, const char *re,
		  const char *addr)
{
	struct in_addr a = ip4(addr);

	assert_int_equal(dns_zone_add_record(z, zone, label, re, &a, NULL), 0);
}

/* gvproxy's default zone. */
static void add_default_zones(struct dns_zones *z)
{
	add_a(z, "containers.internal.", "gateway", NULL, "192.168.127.1");
	add_a(z, "containers.internal.", "host", NULL, "192.168.127.254");
	add_a(z, "docker.internal.", "gateway", NULL, "192.168.127.1");
	add_a(z, "docker.internal.", "host", NULL, "192.168.127.254");
}

static void test_exact(void **state)
{
	struct dns_zones *z = *state;

	add_default_zones(z);
	assert_int_equal(z->n, 2);
	expect_a(z, "gateway.containers.internal.", "192.168.127.1");
	expect_a(z, "host.containers.internal.", "192.168.127.254");
	expect_a(z, "host.docker.internal.", "192.168.127.254");
	/* A deeper name is not the label "host". */
	assert_int_equal(look(z, "x.host.containers.internal.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
	/* Nor is a longer label ending in it. */
	assert_int_equal(look(z, "myhost.containers.internal.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
	/* NULL outputs are allowed for the type not asked. */
	assert_int_equal(dns_zones_lookup(z, "host.docker.internal.", DNS_TYPE_A, NULL, NULL),
			 DNS_ZONE_ANSWER);

	/* A label of several parts. */
	add_a(z, "containers.internal", "a.b", NULL, "10.0.0.9");
	expect_a(z, "a.b.containers.internal.", "10.0.0.9");
	assert_int_equal(look(z, "b.containers.internal.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
}

static void test_case_insensitive(void **state)
{
	struct dns_zones *z = *state;

	add_a(z, "Containers.INTERNAL", "GateWay", NULL, "192.168.127.1");
	assert_int_equal(z->n, 1);
	assert_string_equal(z->zones[0].name, "containers.internal.");
	assert_string_equal(z->zones[0].records[0].name, "gateway");
	/* Query names arrive lower-cased by dns_decode_name(). */
	expect_a(z, "gateway.containers.internal.", "192.168.127.1");
	/* The same zone however it is spelled. */
	add_a(z, "containers.internal.", "host", NULL, "192.168.127.254");
	assert_int_equal(z->n, 1);
	assert_int_equal(z->zones[0].nrecords, 2);

	/* Patterns match case-insensitively (REG_ICASE). */
	add_a(z, "apps.test", NULL, "^WEB[0-9]+$", "10.1.1.1");
	expect_a(z, "web12.apps.test.", "10.1.1.1");
}

static void test_zone_apex(void **state)
{
	struct dns_zones *z = *state;
	struct in_addr d = ip4("192.168.127.5");

	add_default_zones(z);
	/* The zone's own name is in the zone, and has no record. */
	assert_int_equal(look(z, "containers.internal.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
	/* A name that merely ends in the same characters is not. */
	assert_int_equal(look(z, "xcontainers.internal.", DNS_TYPE_A), DNS_ZONE_FORWARD);
	assert_int_equal(look(z, "internal.", DNS_TYPE_A), DNS_ZONE_FORWARD);
	assert_int_equal(look(z, ".", DNS_TYPE_A), DNS_ZONE_FORWARD);

	/* DefaultIP covers the apex. */
	assert_int_equal(dns_zone_set_default(z, "docker.internal", &d), 0);
	expect_a(z, "docker.internal.", "192.168.127.5");

	/* So does a pattern that matches it. */
	add_a(z, "containers.internal", NULL, "^$", "192.168.127.9");
	expect_a(z, "containers.internal.", "192.168.127.9");
	assert_int_equal(look(z, "nope.containers.internal.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
}

static void test_regexp(void **state)
{
	struct dns_zones *z = *state;

	/* CRC's wildcard zone. */
	add_a(z, "apps-crc.testing", NULL, ".*", "192.168.127.2");
	expect_a(z, "console-openshift-console.apps-crc.testing.", "192.168.127.2");
	expect_a(z, "a.b.c.apps-crc.testing.", "192.168.127.2");
	assert_int_equal(look(z, "apps-crc.testing.example.", DNS_TYPE_A), DNS_ZONE_FORWARD);

	/* The pattern sees the name without the zone, as gvproxy's does. */
	add_a(z, "test", NULL, "^api$", "10.0.0.1");
	add_a(z, "test", NULL, "^db[0-9]$", "10.0.0.2");
	add_a(z, "test", NULL, "^x\\.y$", "10.0.0.4");
	expect_a(z, "x.y.test.", "10.0.0.4");
	expect_a(z, "api.test.", "10.0.0.1");
	expect_a(z, "db7.test.", "10.0.0.2");
	assert_int_equal(look(z, "xapi.test.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
	assert_int_equal(look(z, "dbx.test.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
	/* Unanchored patterns match anywhere, as regexec does. */
	add_a(z, "other", NULL, "mid", "10.0.0.3");
	expect_a(z, "amidst.other.", "10.0.0.3");

	/* Records are tried in order: the first one that answers wins. */
	add_a(z, "test", "db1", NULL, "10.0.0.99");
	expect_a(z, "db1.test.", "10.0.0.2");

	assert_true(z->zones[1].records[0].has_regexp);
	assert_string_equal(z->zones[1].records[0].regexp, "^api$");
	assert_string_equal(z->zones[1].records[0].name, "");
}

static void test_default_ip(void **state)
{
	struct dns_zones *z = *state;
	struct in_addr d = ip4("192.168.127.7");

	add_default_zones(z);
	assert_int_equal(dns_zone_set_default(z, "containers.internal", &d), 0);
	expect_a(z, "anything.containers.internal.", "192.168.127.7");
	expect_a(z, "a.b.c.containers.internal.", "192.168.127.7");
	/* Records still come first. */
	expect_a(z, "gateway.containers.internal.", "192.168.127.1");
	/* DefaultIP is an A record: other types go upstream. */
	assert_int_equal(look(z, "anything.containers.internal.", DNS_TYPE_AAAA), DNS_ZONE_FORWARD);
	assert_int_equal(look(z, "anything.containers.internal.", TYPE_MX), DNS_ZONE_FORWARD);
	/* Other zones are unaffected. */
	assert_int_equal(look(z, "anything.docker.internal.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);

	/* Cleared. */
	assert_int_equal(dns_zone_set_default(z, "containers.internal.", NULL), 0);
	assert_false(z->zones[0].has_default);
	assert_int_equal(look(z, "anything.containers.internal.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);

	/* Setting it creates a zone with no records. */
	assert_int_equal(dns_zone_set_default(z, "wild.test", &d), 0);
	assert_int_equal(z->n, 3);
	assert_int_equal(z->zones[2].nrecords, 0);
	expect_a(z, "x.wild.test.", "192.168.127.7");
	/* Even clearing creates it (an empty zone answers NXDOMAIN). */
	assert_int_equal(dns_zone_set_default(z, "empty.test", NULL), 0);
	assert_int_equal(z->n, 4);
	assert_int_equal(look(z, "x.empty.test.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
}

static void test_nxdomain_and_forward(void **state)
{
	struct dns_zones *z = *state;

	add_default_zones(z);
	/* Unknown names inside a zone do not exist, whatever the type. */
	assert_int_equal(look(z, "nope.containers.internal.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
	assert_int_equal(look(z, "nope.containers.internal.", DNS_TYPE_AAAA), DNS_ZONE_NXDOMAIN);
	assert_int_equal(look(z, "nope.containers.internal.", TYPE_MX), DNS_ZONE_NXDOMAIN);

	/* Names outside every zone go upstream. */
	assert_int_equal(look(z, "example.com.", DNS_TYPE_A), DNS_ZONE_FORWARD);
	assert_int_equal(look(z, "host.containers.internal.example.", DNS_TYPE_A),
			 DNS_ZONE_FORWARD);

	/* A record without the asked type: upstream, as gvproxy does. */
	assert_int_equal(look(z, "host.containers.internal.", DNS_TYPE_AAAA), DNS_ZONE_FORWARD);
	assert_int_equal(look(z, "host.containers.internal.", TYPE_MX), DNS_ZONE_FORWARD);
	assert_int_equal(look(z, "host.containers.internal.", TYPE_TXT), DNS_ZONE_FORWARD);

	/* An empty table forwards everything. */
	dns_zones_free(z);
	assert_int_equal(z->n, 0);
	assert_int_equal(look(z, "host.containers.internal.", DNS_TYPE_A), DNS_ZONE_FORWARD);
}

static void test_aaaa(void **state)
{
	struct dns_zones *z = *state;
	struct in_addr a = ip4("192.168.127.254");
	struct in6_addr a6 = ip6("fd00::fe"), b6 = ip6("fd00::2");

	assert_int_equal(dns_zone_add_record(z, "containers.internal", "host", NULL, &a, &a6), 0);
	assert_int_equal(dns_zone_add_record(z, "containers.internal", "v6only", NULL, NULL, &b6),
			 0);
	expect_a(z, "host.containers.internal.", "192.168.127.254");
	expect_aaaa(z, "host.containers.internal.", "fd00::fe");
	expect_aaaa(z, "v6only.containers.internal.", "fd00::2");
	assert_int_equal(look(z, "v6only.containers.internal.", DNS_TYPE_A), DNS_ZONE_FORWARD);

	/* An A-only record shadows nothing: a later record with AAAA answers. */
	add_a(z, "mixed.test", NULL, "^m$", "10.0.0.1");
	assert_int_equal(dns_zone_add_record(z, "mixed.test", "m", NULL, NULL, &b6), 0);
	expect_a(z, "m.mixed.test.", "10.0.0.1");
	expect_aaaa(z, "m.mixed.test.", "fd00::2");
}

static void test_longest_zone(void **state)
{
	struct dns_zones *z = *state;
	struct in_addr d = ip4("10.9.9.9");

	/* The parent zone is added first and catches everything in it... */
	assert_int_equal(dns_zone_set_default(z, "internal", &d), 0);
	add_default_zones(z);
	expect_a(z, "foo.internal.", "10.9.9.9");
	/* ...but a name in a child zone belongs to the child. */
	assert_int_equal(look(z, "foo.containers.internal.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
	expect_a(z, "host.containers.internal.", "192.168.127.254");
	expect_a(z, "containersx.internal.", "10.9.9.9");

	/* The order zones were added in does not matter. */
	assert_int_equal(dns_zone_set_default(z, "test", &d), 0);
	add_a(z, "a.b.test", "x", NULL, "10.0.0.1");
	assert_int_equal(dns_zone_set_default(z, "b.test", &d), 0);
	expect_a(z, "x.a.b.test.", "10.0.0.1");
	assert_int_equal(look(z, "y.a.b.test.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
	expect_a(z, "y.b.test.", "10.9.9.9");
}

static void test_limits(void **state)
{
	struct dns_zones *z = *state;
	struct in_addr a = ip4("10.0.0.1"), d = ip4("10.0.0.2");
	char zone[32], label[32], re[64];

	for (int i = 0; i < DNS_ZONES_MAX; i++) {
		snprintf(zone, sizeof(zone), "z%d.test", i);
		assert_int_equal(dns_zone_add_record(z, zone, "a", NULL, &a, NULL), 0);
	}
	assert_int_equal(z->n, DNS_ZONES_MAX);
	assert_int_equal(dns_zone_add_record(z, "one-more.test", "a", NULL, &a, NULL), -ENOSPC);
	assert_int_equal(dns_zone_add_record(z, "one-more.test", NULL, "x", &a, NULL), -ENOSPC);
	assert_int_equal(dns_zone_set_default(z, "one-more.test", &d), -ENOSPC);
	assert_int_equal(z->n, DNS_ZONES_MAX);
	/* Existing zones still take records. */
	assert_int_equal(dns_zone_add_record(z, "z63.test", "b", NULL, &a, NULL), 0);
	assert_int_equal(dns_zone_set_default(z, "z0.test", &d), 0);
	dns_zones_free(z);

	/* Records per zone, half of them patterns, all still found after the
	 * array has grown many times. */
	for (int i = 0; i < DNS_ZONE_RECORDS_MAX; i++) {
		struct in_addr ai = { .s_addr = htonl(0x0a000000u + (uint32_t)i) };

		if (i % 2) {
			snprintf(re, sizeof(re), "^r%d$", i);
			assert_int_equal(dns_zone_add_record(z, "big", NULL, re, &ai, NULL), 0);
		} else {
			snprintf(label, sizeof(label), "l%d", i);
			assert_int_equal(dns_zone_add_record(z, "big", label, NULL, &ai, NULL), 0);
		}
	}
	assert_int_equal(z->zones[0].nrecords, DNS_ZONE_RECORDS_MAX);
	assert_int_equal(dns_zone_add_record(z, "big", "last", NULL, &a, NULL), -ENOSPC);
	assert_int_equal(dns_zone_add_record(z, "big", NULL, "^last", &a, NULL), -ENOSPC);
	assert_int_equal(z->zones[0].nrecords, DNS_ZONE_RECORDS_MAX);
	expect_a(z, "l0.big.", "10.0.0.0");
	expect_a(z, "r1.big.", "10.0.0.1");
	expect_a(z, "l1022.big.", "10.0.3.254");
	expect_a(z, "r1023.big.", "10.0.3.255");
	assert_int_equal(look(z, "last.big.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
}

static void test_invalid(void **state)
{
	struct dns_zones *z = *state;
	struct in_addr a = ip4("10.0.0.1");
	struct in6_addr a6 = ip6("fd00::1");
	char longname[300], re[300];

	/* Bad patterns. */
	assert_int_equal(dns_zone_add_record(z, "t", NULL, "(", &a, NULL), -EINVAL);
	assert_int_equal(dns_zone_add_record(z, "t", NULL, "[a-", &a, NULL), -EINVAL);
	assert_int_equal(dns_zone_add_record(z, "t", NULL, "a{2,1}", &a, NULL), -EINVAL);
	assert_int_equal(dns_zone_add_record(z, "t", NULL, "", &a, NULL), -EINVAL);
	memset(re, 'a', 256);
	re[256] = '\0';
	assert_int_equal(dns_zone_add_record(z, "t", NULL, re, &a, NULL), -EINVAL);
	re[255] = '\0'; /* the longest pattern that fits */
	assert_int_equal(dns_zone_add_record(z, "t", NULL, re, &a, NULL), 0);
	dns_zones_free(z);

	/* Label xor pattern; at least one address. */
	assert_int_equal(dns_zone_add_record(z, "t", NULL, NULL, &a, NULL), -EINVAL);
	assert_int_equal(dns_zone_add_record(z, "t", "x", ".*", &a, NULL), -EINVAL);
	assert_int_equal(dns_zone_add_record(z, "t", "x", NULL, NULL, NULL), -EINVAL);
	assert_int_equal(dns_zone_add_record(z, NULL, "x", NULL, &a, NULL), -EINVAL);

	/* Names a decoded query name could never equal. */
	static const char *const bad_zones[] = { "",	".",   "a..b",	".a",
						 "a b", "a/b", "a.b..", "\\046" };
	for (size_t i = 0; i < sizeof(bad_zones) / sizeof(bad_zones[0]); i++) {
		assert_int_equal(dns_zone_add_record(z, bad_zones[i], "x", NULL, &a, &a6), -EINVAL);
		assert_int_equal(dns_zone_set_default(z, bad_zones[i], &a), -EINVAL);
	}
	static const char *const bad_labels[] = { "", ".", "x.", ".x", "a..b", "a b", "*", "x.y." };
	for (size_t i = 0; i < sizeof(bad_labels) / sizeof(bad_labels[0]); i++)
		assert_int_equal(dns_zone_add_record(z, "t", bad_labels[i], NULL, &a, NULL),
				 -EINVAL);
	assert_int_equal(dns_zone_set_default(z, NULL, &a), -EINVAL);

	/* Labels of 63 bytes, not 64. */
	memset(longname, 'a', 64);
	longname[64] = '\0';
	assert_int_equal(dns_zone_add_record(z, "t", longname, NULL, &a, NULL), -EINVAL);
	assert_int_equal(dns_zone_add_record(z, longname, "x", NULL, &a, NULL), -EINVAL);
	/* Zone names longer than a wire name: 4 * 64 - 1 characters. */
	for (int i = 0; i < 4; i++) {
		memset(longname + 64 * i, 'a', 63);
		longname[64 * i + 63] = '.';
	}
	longname[255] = '\0';
	assert_int_equal(dns_zone_add_record(z, longname, "x", NULL, &a, NULL), -EINVAL);

	/* Nothing was created by any of that. */
	assert_int_equal(z->n, 0);

	/* '_' and '-' are fine, as in SRV-style and ordinary names. */
	assert_int_equal(dns_zone_add_record(z, "my-zone.test", "_svc-1", NULL, &a, NULL), 0);
	expect_a(z, "_svc-1.my-zone.test.", "10.0.0.1");
	/* 253 characters: the longest zone name. */
	longname[253] = '\0';
	assert_int_equal(dns_zone_set_default(z, longname, &a), 0);
}

/* A zone built the way the HTTP handler does: in a scratch table. */
static void build_src(struct dns_zones *tmp, const char *zone)
{
	struct in6_addr b6 = ip6("fd00::9");
	struct in_addr d = ip4("10.0.0.200");

	dns_zones_init(tmp);
	add_a(tmp, zone, "host", NULL, "10.0.0.9");
	add_a(tmp, zone, "new", NULL, "10.0.0.10");
	assert_int_equal(dns_zone_add_record(tmp, zone, NULL, "^r", NULL, &b6), 0);
	assert_int_equal(dns_zone_set_default(tmp, zone, &d), 0);
}

static void test_replace(void **state)
{
	struct dns_zones *z = *state, tmp;
	const struct dns_zone *zn;

	add_a(z, "docker.internal", "gateway", NULL, "10.0.0.1");
	add_a(z, "containers.internal", "gateway", NULL, "10.0.0.1");
	add_a(z, "containers.internal", "host", NULL, "10.0.0.2");
	add_a(z, "containers.internal", NULL, "^r", "10.0.0.3");
	add_a(z, "containers.internal", NULL, "^s", "10.0.0.4");

	build_src(&tmp, "Containers.Internal");
	assert_int_equal(dns_zone_replace(z, &tmp.zones[0]), 0);
	/* The source was moved out of: freeing its table frees nothing twice. */
	assert_null(tmp.zones[0].records);
	assert_int_equal(tmp.zones[0].nrecords, 0);
	dns_zones_free(&tmp);

	assert_int_equal(z->n, 2);
	zn = &z->zones[1];
	assert_string_equal(zn->name, "containers.internal.");
	/* New records first, then the old ones whose key is not among them:
	 * "host" and the "^r" pattern were replaced and freed. */
	assert_int_equal(zn->nrecords, 5);
	assert_string_equal(zn->records[0].name, "host");
	assert_string_equal(zn->records[1].name, "new");
	assert_string_equal(zn->records[2].regexp, "^r");
	assert_false(zn->records[2].has_a);
	assert_string_equal(zn->records[3].name, "gateway");
	assert_string_equal(zn->records[4].regexp, "^s");
	expect_a(z, "host.containers.internal.", "10.0.0.9");
	expect_a(z, "gateway.containers.internal.", "10.0.0.1");
	expect_a(z, "s1.containers.internal.", "10.0.0.4");
	expect_aaaa(z, "r1.containers.internal.", "fd00::9");
	/* The old "^r" is gone: its A answer with it, so A goes upstream. */
	assert_int_equal(look(z, "r1.containers.internal.", DNS_TYPE_A), DNS_ZONE_FORWARD);
	/* DefaultIP came with the new zone. */
	expect_a(z, "other.containers.internal.", "10.0.0.200");
	/* The other zone is untouched. */
	expect_a(z, "gateway.docker.internal.", "10.0.0.1");
	/* Records can still be added after a replace (the array was resized). */
	for (int i = 0; i < 40; i++) {
		char label[16];

		snprintf(label, sizeof(label), "n%d", i);
		add_a(z, "containers.internal", label, NULL, "10.0.0.77");
	}
	expect_a(z, "n39.containers.internal.", "10.0.0.77");

	/* A zone that did not exist is added. */
	build_src(&tmp, "fresh.test.");
	assert_int_equal(dns_zone_replace(z, &tmp.zones[0]), 0);
	dns_zones_free(&tmp);
	assert_int_equal(z->n, 3);
	assert_string_equal(z->zones[2].name, "fresh.test.");
	assert_int_equal(z->zones[2].nrecords, 3);
	expect_a(z, "new.fresh.test.", "10.0.0.10");

	/* A replacement without records or DefaultIP keeps the old records
	 * and clears DefaultIP. */
	dns_zones_init(&tmp);
	assert_int_equal(dns_zone_set_default(&tmp, "fresh.test", NULL), 0);
	assert_int_equal(dns_zone_replace(z, &tmp.zones[0]), 0);
	dns_zones_free(&tmp);
	assert_int_equal(z->zones[2].nrecords, 3);
	assert_false(z->zones[2].has_default);
	assert_int_equal(look(z, "other.fresh.test.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);
}

/* A source zone assembled by hand, outside any table. */
static void test_replace_hand_built(void **state)
{
	struct dns_zones *z = *state;
	struct dns_zone src;

	add_a(z, "hand.test", NULL, "^x", "10.0.0.1");
	memset(&src, 0, sizeof(src));
	snprintf(src.name, sizeof(src.name), "HAND.test");
	src.records = calloc(1, sizeof(*src.records));
	assert_non_null(src.records);
	src.nrecords = 1;
	src.records[0].has_regexp = true;
	snprintf(src.records[0].regexp, sizeof(src.records[0].regexp), "^x");
	assert_int_equal(regcomp(&src.records[0].re, "^x", REG_EXTENDED | REG_ICASE | REG_NOSUB),
			 0);
	src.records[0].has_a = true;
	src.records[0].a = ip4("10.0.0.2");

	assert_int_equal(dns_zone_replace(z, &src), 0);
	assert_null(src.records);
	assert_int_equal(z->n, 1);
	assert_int_equal(z->zones[0].nrecords, 1);
	expect_a(z, "x.hand.test.", "10.0.0.2");
}

static void test_replace_limits(void **state)
{
	struct dns_zones *z = *state, tmp;
	char zone[32], label[32];

	/* A full table takes a replacement for an existing zone, not a new one. */
	for (int i = 0; i < DNS_ZONES_MAX; i++) {
		snprintf(zone, sizeof(zone), "z%d.test", i);
		add_a(z, zone, "a", NULL, "10.0.0.1");
	}
	build_src(&tmp, "z5.test");
	assert_int_equal(dns_zone_replace(z, &tmp.zones[0]), 0);
	dns_zones_free(&tmp);
	expect_a(z, "host.z5.test.", "10.0.0.9");
	expect_a(z, "a.z5.test.", "10.0.0.1");

	build_src(&tmp, "new.test");
	assert_int_equal(dns_zone_replace(z, &tmp.zones[0]), -ENOSPC);
	/* Consumed even on failure: nothing left for the caller to free. */
	assert_null(tmp.zones[0].records);
	dns_zones_free(&tmp);
	assert_int_equal(z->n, DNS_ZONES_MAX);
	assert_int_equal(look(z, "host.new.test.", DNS_TYPE_A), DNS_ZONE_FORWARD);
	dns_zones_free(z);

	/* Old records kept plus new ones over the per-zone limit: refused,
	 * and the old zone is left exactly as it was. */
	for (int i = 0; i < DNS_ZONE_RECORDS_MAX - 2; i++) {
		snprintf(label, sizeof(label), "o%d", i);
		add_a(z, "big", label, NULL, "10.0.0.1");
	}
	build_src(&tmp, "big");
	assert_int_equal(dns_zone_replace(z, &tmp.zones[0]), -ENOSPC);
	dns_zones_free(&tmp);
	assert_int_equal(z->zones[0].nrecords, DNS_ZONE_RECORDS_MAX - 2);
	assert_false(z->zones[0].has_default);
	expect_a(z, "o0.big.", "10.0.0.1");
	assert_int_equal(look(z, "host.big.", DNS_TYPE_A), DNS_ZONE_NXDOMAIN);

	/* Replacing three old records with three new ones fits exactly. */
	dns_zones_init(&tmp);
	add_a(&tmp, "big", "o0", NULL, "10.0.0.5");
	add_a(&tmp, "big", "o1", NULL, "10.0.0.5");
	add_a(&tmp, "big", "o2", NULL, "10.0.0.5");
	add_a(&tmp, "big", "n0", NULL, "10.0.0.6");
	add_a(&tmp, "big", "n1", NULL, "10.0.0.6");
	assert_int_equal(dns_zone_replace(z, &tmp.zones[0]), 0);
	dns_zones_free(&tmp);
	assert_int_equal(z->zones[0].nrecords, DNS_ZONE_RECORDS_MAX);
	expect_a(z, "o1.big.", "10.0.0.5");
	expect_a(z, "n1.big.", "10.0.0.6");
	expect_a(z, "o3.big.", "10.0.0.1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exact, setup, teardown),
		cmocka_unit_test_setup_teardown(test_case_insensitive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zone_apex, setup, teardown),
		cmocka_unit_test_setup_teardown(test_regexp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_ip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nxdomain_and_forward, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aaaa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_longest_zone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_hand_built, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_limits, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
