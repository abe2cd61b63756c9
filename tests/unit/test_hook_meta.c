// SPDX-License-Identifier: MIT
/*
 * test_hook_meta.c - libvirt-hook/meta.c: the vgate metadata parser
 *
 * Good documents (the README's example, every attribute and element,
 * several networks, shared networks, both NIC wirings) parse into the
 * values they say. Bad ones are refused with a message naming the
 * problem: unknown elements and attributes, foreign namespaces, stray
 * text, bad addresses and CIDRs, ports out of range, duplicate forwards,
 * leases and zones, addresses outside the subnet, two vgate elements,
 * DOCTYPEs with internal and external entities (nothing is expanded or
 * fetched), truncated, oversized and garbage input, and every truncation
 * of a good document. The QEMU option splitter on escaped commas.
 */
#include "meta.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#define QNS "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"

static struct meta_domain dom;
static char err[1024];

/* A domain document around @meta (the <metadata> content) and @devices. */
static int parse_with(const char *meta, const char *devices, const char *qemu_args)
{
	char doc[16384];

	snprintf(doc, sizeof(doc),
		 "<domain type='qemu' " QNS "><name>vm1</name>"
		 "<metadata>%s</metadata><devices>%s</devices>"
		 "<qemu:commandline>%s</qemu:commandline></domain>",
		 meta, devices ? devices : "", qemu_args ? qemu_args : "");
	return meta_parse(doc, strlen(doc), &dom, err, sizeof(err));
}

static int parse_meta(const char *meta)
{
	return parse_with(meta, NULL, NULL);
}

/* @meta must be refused with a message containing @want. */
static void refused(const char *meta, const char *want)
{
	int r = parse_meta(meta);

	if (r != -EINVAL || !strstr(err, want))
		fail_msg("metadata %s: got %d '%s', want -EINVAL with '%s'", meta, r, err, want);
}

#define NET(attrs, body) \
	"<vgate:network xmlns:vgate='urn:vgate:libvirt:1' " attrs ">" body "</vgate:network>"

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_readme_example(void **state)
{
	(void)state;
	assert_int_equal(
		parse_meta("<vgate:network xmlns:vgate=\"urn:vgate:libvirt:1\" mtu=\"65520\">"
			   "  <vgate:forward proto=\"tcp\" host=\"127.0.0.1:2222\" guest=\"22\"/>"
			   "  <vgate:forward proto=\"udp\" host=\"127.0.0.1:5353\" guest=\"53\"/>"
			   "  <vgate:dns zone=\"lab.internal.\"><vgate:record name=\"db\" "
			   "ip=\"192.168.127.3\"/></vgate:dns>"
			   "  <vgate:nat virtual=\"192.168.127.254\" real=\"127.0.0.1\"/>"
			   "</vgate:network>"),
		0);
	assert_true(dom.has_vgate);
	assert_string_equal(dom.name, "vm1");
	assert_int_equal(dom.nnets, 1);
	assert_int_equal(dom.nets[0].mtu, 65520);
	assert_int_equal(dom.nets[0].nforwards, 2);
	assert_int_equal(dom.nets[0].forwards[0].proto, META_TCP);
	assert_string_equal(dom.nets[0].forwards[0].host, "127.0.0.1:2222");
	assert_string_equal(dom.nets[0].forwards[0].guest_ip, "");
	assert_int_equal(dom.nets[0].forwards[0].guest_port, 22);
	assert_int_equal(dom.nets[0].forwards[1].proto, META_UDP);
	assert_int_equal(dom.nets[0].nzones, 1);
	assert_string_equal(dom.nets[0].zones[0].name, "lab.internal.");
	assert_int_equal(dom.nets[0].nrecords, 1);
	assert_string_equal(dom.nets[0].records[0].name, "db");
	assert_string_equal(dom.nets[0].records[0].ip, "192.168.127.3");
	assert_int_equal(dom.nets[0].nnat, 1);
	assert_int_equal(dom.nets[0].nat_virtual[0], ip("192.168.127.254"));
	assert_int_equal(dom.nets[0].nat_real[0], ip("127.0.0.1"));
	/* Defaults from the subnet. */
	assert_int_equal(dom.nets[0].subnet, ip("192.168.127.0"));
	assert_int_equal(dom.nets[0].prefix, 24);
	assert_int_equal(dom.nets[0].gateway_ip, ip("192.168.127.1"));
	assert_int_equal(dom.nets[0].guest_ip, ip("192.168.127.2"));
	assert_int_equal(dom.nets[0].host_ip, ip("192.168.127.254"));
}

static void test_every_attribute(void **state)
{
	(void)state;
	assert_int_equal(
		parse_meta(NET(
			"id='b' port='40001' subnet='10.0.2.77/24' gateway='10.0.2.1' "
			"gateway-mac='5A:94:EF:E4:0C:DD' guest-ip='10.0.2.15' host-ip='10.0.2.2' "
			"mtu='1500' lease-time='600' domain='lab.test' host-loopback='yes' "
			"link-local='no' guest-api='yes' guest-api-token='/etc/vgate/token' "
			"tcp-connect-timeout='5' udp-idle-timeout='60' debug='yes'",
			"<!-- comments are fine -->"
			"<vgate:forward host='[::1]:8443' guest='10.0.2.16:443'/>"
			"<vgate:forward proto='unix' host='/run/vgate/vm1/docker.sock' "
			"guest='2375'/>"
			"<vgate:forward proto='udp' host=':5353' guest='53'/>"
			"<vgate:lease mac='52:54:00:00:00:02' ip='10.0.2.16'/>"
			"<vgate:dns zone='a.test.' default='10.0.2.9'>"
			"<vgate:record regexp='^web[0-9]+$' ip='10.0.2.20' ipv6='fd00::20'/>"
			"<vgate:record name='v6only' ipv6='fd00::21'/></vgate:dns>"
			"<vgate:search domain='a.test'/><vgate:upstream server='127.0.0.53'/>"
			"<vgate:upstream server='[::1]:5353'/><vgate:upstream "
			"server='10.0.0.1:53'/>"
			"<vgate:virtual-ip ip='10.0.2.3'/>"
			"<vgate:egress allow='10.0.0.0/8'/><vgate:egress deny='0.0.0.0/0:25'/>")),
		0);
	{
		const struct meta_net *n = &dom.nets[0];
		static const uint8_t gwmac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };

		assert_string_equal(n->id, "b");
		assert_int_equal(n->port, 40001);
		assert_int_equal(n->subnet, ip("10.0.2.0"));
		assert_int_equal(n->guest_ip, ip("10.0.2.15"));
		assert_int_equal(n->host_ip, ip("10.0.2.2"));
		assert_memory_equal(n->gateway_mac, gwmac, 6);
		assert_int_equal(n->lease_time, 600);
		assert_string_equal(n->dhcp_domain, "lab.test");
		assert_int_equal(n->host_loopback, META_YES);
		assert_int_equal(n->link_local, META_NO);
		assert_int_equal(n->debug, META_YES);
		assert_string_equal(n->guest_api_token, "/etc/vgate/token");
		assert_int_equal(n->tcp_connect_timeout, 5);
		assert_int_equal(n->udp_idle_timeout, 60);
		assert_int_equal(n->nforwards, 3);
		assert_string_equal(n->forwards[0].guest_ip, "10.0.2.16");
		assert_int_equal(n->forwards[1].proto, META_UNIX);
		assert_int_equal(n->nleases, 1);
		assert_int_equal(n->nrecords, 2);
		assert_string_equal(n->records[0].regexp, "^web[0-9]+$");
		assert_string_equal(n->zones[0].default_ip, "10.0.2.9");
		assert_int_equal(n->nupstream, 3);
		assert_int_equal(n->nallow, 1);
		assert_int_equal(n->ndeny, 1);
		assert_int_equal(n->nvips, 1);
	}
}

static void test_host_alias_default_follows_subnet(void **state)
{
	(void)state;
	assert_int_equal(parse_meta(NET("subnet='172.20.0.0/16'", "")), 0);
	assert_int_equal(dom.nets[0].gateway_ip, ip("172.20.0.1"));
	assert_int_equal(dom.nets[0].guest_ip, ip("172.20.0.2"));
	assert_int_equal(dom.nets[0].host_ip, ip("172.20.255.254"));
}

static void test_several_networks(void **state)
{
	(void)state;
	assert_int_equal(parse_meta("<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'>"
				    "<vgate:network/>"
				    "<vgate:network id='second' subnet='10.9.0.0/24'/>"
				    "<vgate:network name='lab'/>"
				    "</vgate:networks>"),
			 0);
	assert_int_equal(dom.nnets, 3);
	assert_string_equal(dom.nets[1].id, "second");
	assert_string_equal(dom.nets[2].name, "lab");
	refused("<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'/>", "holds no");
	refused("<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'><vgate:network/>"
		"<vgate:network/></vgate:networks>",
		"give all but the first an id");
	refused("<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'><vgate:network id='a'/>"
		"<vgate:network id='a'/></vgate:networks>",
		"two networks have id a");
	refused("<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'><vgate:network name='x'/>"
		"<vgate:network name='x'/></vgate:networks>",
		"declared twice");
	refused("<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'><vgate:network port='4000'/>"
		"<vgate:network id='b' port='4000'/></vgate:networks>",
		"two networks listen on port 4000");
	refused("<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'><vgate:network>"
		"<vgate:forward host=':80' guest='80'/></vgate:network><vgate:network id='b'>"
		"<vgate:forward host=':80' guest='8080'/></vgate:network></vgate:networks>",
		"same host :80");
	refused("<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'><vgate:network id='b'/>"
		"<vgate:network/></vgate:networks>",
		"must come first");
	refused("<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'><vgate:forward host=':1' "
		"guest='1'/></vgate:networks>",
		"only <vgate:network>");
}

static void test_no_vgate_metadata(void **state)
{
	(void)state;
	assert_int_equal(parse_meta("<other xmlns='urn:x'/>"), 0);
	assert_false(dom.has_vgate);
	assert_false(meta_quick_check("<domain><name>a</name></domain>", 30));
	assert_true(meta_quick_check("xx urn:vgate:libvirt:1 yy", 25));
}

static void test_bad_structure(void **state)
{
	(void)state;
	refused(NET("", "<vgate:frobnicate/>"), "unknown element");
	refused(NET("colour='red'", ""), "unknown attribute colour");
	refused(NET("", "<vgate:forward host=':1' guest='1' extra='x'/>"),
		"unknown attribute extra");
	refused(NET("", "<other:forward xmlns:other='urn:other' host=':1' guest='1'/>"),
		"not in namespace");
	refused(NET("", "hello"), "text is not allowed");
	refused(NET("", "<![CDATA[x]]>"), "unexpected content");
	refused(NET("", "<vgate:forward host=':1' guest='1'>x</vgate:forward>"),
		"text is not allowed");
	refused(NET("", "<vgate:forward host=':1' guest='1'><vgate:lease/></vgate:forward>"),
		"takes no child elements");
	refused(NET("vgate:mtu='1500'", ""), "take no prefix");
	refused("<vgate:frob xmlns:vgate='urn:vgate:libvirt:1'/>", "must be <vgate:network>");
	refused(NET("", "") NET("", ""), "libvirt allows one");
	refused(NET("", "<vgate:dns zone='a.'><vgate:forward host=':1' guest='1'/></vgate:dns>"),
		"only record");
}

static void test_bad_values(void **state)
{
	(void)state;
	refused(NET("mtu='65521'", ""), "mtu must be a number from 576 to 65520");
	refused(NET("mtu='-1'", ""), "mtu must be");
	refused(NET("mtu='1500x'", ""), "mtu must be");
	refused(NET("port='0'", ""), "port must be a number from 1 to 65535");
	refused(NET("port='70000'", ""), "port must be");
	refused(NET("subnet='10.0.0.0/8'", ""), "from /16 to /30");
	refused(NET("subnet='10.0.0.0'", ""), "subnet");
	refused(NET("subnet='300.0.0.0/24'", ""), "subnet");
	refused(NET("gateway='192.168.128.1'", ""), "gateway 192.168.128.1 is not a host address");
	refused(NET("guest-ip='192.168.127.255'", ""), "guest-ip 192.168.127.255");
	refused(NET("host-ip='192.168.127.0'", ""), "host-ip 192.168.127.0");
	refused(NET("guest-ip='192.168.127.1'", ""), "three addresses");
	refused(NET("gateway='1.2.3'", ""), "not an IPv4 address");
	refused(NET("gateway-mac='01:00:5e:00:00:01'", ""), "not a unicast MAC");
	refused(NET("gateway-mac='52:54:00:00:00'", ""), "not a unicast MAC");
	refused(NET("host-loopback='maybe'", ""), "yes or no");
	refused(NET("guest-api-token='token'", ""), "absolute file path");
	refused(NET("guest-api='no' guest-api-token='/t'", ""), "contradict");
	refused(NET("name='../x'", ""), "name '../x'");
	refused(NET("name='a/b'", ""), "name 'a/b'");
	refused(NET("id='.hidden'", ""), "id '.hidden'");
	refused(NET("name='lab' id='x'", ""), "takes no id");
	refused(NET("name='lab' guest-ip='192.168.127.5'", ""), "<vgate:lease>");
	refused(NET("name='aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'", ""), "at most 32");
	refused(NET("domain='bad domain'", ""), "not a DNS name");
	refused(NET("lease-time='59'", ""), "lease-time");
}

static void test_bad_forwards(void **state)
{
	(void)state;
	refused(NET("", "<vgate:forward host='127.0.0.1:65536' guest='22'/>"),
		"port from 1 to 65535");
	refused(NET("", "<vgate:forward host='127.0.0.1:0' guest='22'/>"), "host '127.0.0.1:0'");
	refused(NET("", "<vgate:forward host='127.0.0.1' guest='22'/>"), "host '127.0.0.1'");
	refused(NET("", "<vgate:forward host='localhost:80' guest='22'/>"), "host 'localhost:80'");
	refused(NET("", "<vgate:forward host='[::1]' guest='22'/>"), "host '[::1]'");
	refused(NET("", "<vgate:forward host=':22' guest='0'/>"), "from 1 to 65535");
	refused(NET("", "<vgate:forward host=':22' guest='65536'/>"), "from 1 to 65535");
	refused(NET("", "<vgate:forward host=':22' guest='x:22'/>"), "PORT or IPv4:PORT");
	refused(NET("", "<vgate:forward host=':22' guest='10.0.0.2:22'/>"),
		"not a guest address of the subnet");
	refused(NET("", "<vgate:forward host=':22' guest='192.168.127.1:22'/>"),
		"not a guest address");
	refused(NET("", "<vgate:forward host=':22'/>"), "needs a guest attribute");
	refused(NET("", "<vgate:forward guest='22'/>"), "needs a host attribute");
	refused(NET("", "<vgate:forward proto='sctp' host=':22' guest='22'/>"), "tcp, udp or unix");
	refused(NET("", "<vgate:forward proto='unix' host='rel/path' guest='22'/>"),
		"absolute socket path");
	refused(NET("", "<vgate:forward proto='unix' host='/run/../etc/x' guest='22'/>"),
		"absolute socket path");
	refused(NET("", "<vgate:forward host=':22' guest='22'/><vgate:forward proto='tcp' "
			"host=':22' guest='23'/>"),
		"duplicate forward tcp :22");
	/* The same host port over another protocol is another forward. */
	assert_int_equal(parse_meta(NET("", "<vgate:forward host=':53' guest='53'/>"
					    "<vgate:forward proto='udp' host=':53' guest='53'/>")),
			 0);
}

static void test_bad_other_elements(void **state)
{
	(void)state;
	refused(NET("", "<vgate:lease mac='52:54:00:00:00:01' ip='192.168.127.1'/>"),
		"not a free host address");
	refused(NET("", "<vgate:lease mac='52:54:00:00:00:01' ip='10.1.1.1'/>"), "lease 10.1.1.1");
	refused(NET("", "<vgate:lease mac='52:54:00:00:00:01' ip='192.168.127.3'/>"
			"<vgate:lease mac='52:54:00:00:00:01' ip='192.168.127.4'/>"),
		"a second lease for");
	refused(NET("", "<vgate:lease mac='52:54:00:00:00:01' ip='192.168.127.3'/>"
			"<vgate:lease mac='52:54:00:00:00:02' ip='192.168.127.3'/>"),
		"a second lease of");
	refused(NET("", "<vgate:lease mac='zz:54:00:00:00:01' ip='192.168.127.3'/>"), "mac");
	refused(NET("", "<vgate:dns/>"), "needs a zone attribute");
	refused(NET("", "<vgate:dns zone='a b'/>"), "not a DNS name");
	refused(NET("", "<vgate:dns zone='a.'/><vgate:dns zone='A.'/>"), "given twice");
	refused(NET("", "<vgate:dns zone='a.'><vgate:record name='x'/></vgate:dns>"),
		"needs ip or ipv6");
	refused(NET("", "<vgate:dns zone='a.'><vgate:record ip='1.2.3.4'/></vgate:dns>"),
		"exactly one of name and regexp");
	refused(NET("", "<vgate:dns zone='a.'><vgate:record name='x.y' ip='1.2.3.4'/></vgate:dns>"),
		"one DNS label");
	refused(NET("", "<vgate:dns zone='a.'><vgate:record name='x' ip='1.2.3.4.5'/></vgate:dns>"),
		"not an IPv4 address");
	refused(NET("",
		    "<vgate:dns zone='a.'><vgate:record name='x' ipv6='fd00::1::2'/></vgate:dns>"),
		"not an IPv6 address");
	refused(NET("", "<vgate:nat virtual='1.2.3.4'/>"), "needs a real attribute");
	refused(NET("", "<vgate:nat virtual='1.2.3.4' real='x'/>"), "real 'x'");
	refused(NET("", "<vgate:nat virtual='1.2.3.4' real='127.0.0.1'/>"
			"<vgate:nat virtual='1.2.3.4' real='127.0.0.2'/>"),
		"given twice");
	refused(NET("", "<vgate:egress/>"), "exactly one of allow and deny");
	refused(NET("", "<vgate:egress allow='10.0.0.0/8' deny='10.0.0.0/8'/>"), "exactly one");
	refused(NET("", "<vgate:egress allow='10.0.0.0/33'/>"), "CIDR[:PORT]");
	refused(NET("", "<vgate:egress deny='10.0.0.0/8:0'/>"), "CIDR[:PORT]");
	refused(NET("", "<vgate:upstream server='dns.example'/>"), "ADDR or ADDR:PORT");
	refused(NET("", "<vgate:search domain=''/>"), "not a DNS name");
	refused(NET("", "<vgate:virtual-ip ip='10.0.0.1'/>"), "not a host address");
	refused(NET("", "<vgate:virtual-ip ip='192.168.127.1'/>"), "not a host address");
}

static void test_limits(void **state)
{
	char meta[65536], *p = meta;

	(void)state;
	p += sprintf(p, "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'>");
	for (int i = 0; i <= META_FORWARDS_MAX; i++)
		p += sprintf(p, "<vgate:forward host=':%d' guest='%d'/>", 1000 + i, i + 1);
	sprintf(p, "</vgate:network>");
	refused(meta, "more than 64 forwards");

	p = meta;
	p += sprintf(p, "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'>");
	for (int i = 0; i <= META_LIST_MAX; i++)
		p += sprintf(p, "<vgate:search domain='d%d.test'/>", i);
	sprintf(p, "</vgate:network>");
	refused(meta, "more than 16");

	/* A value longer than any field. */
	{
		char val[301], doc[1024];

		memset(val, 'a', 300);
		val[300] = '\0';
		snprintf(doc, sizeof(doc), NET("domain='%s'", ""), val);
		refused(doc, "too long");
	}
}

static void test_entities_and_dtds(void **state)
{
	static const char *const docs[] = {
		/* internal entity, billion laughs */
		"<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY a 'aaaaaaaaaa'>"
		"<!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c "
		"'&b;&b;&b;&b;&b;&b;&b;&b;'>]>"
		"<domain><name>x</name><metadata><vgate:network xmlns:vgate='urn:vgate:libvirt:1' "
		"domain='&c;'/></metadata></domain>",
		/* external entity (a file) */
		"<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
		"<domain><name>x</name><metadata><vgate:network xmlns:vgate='urn:vgate:libvirt:1'>"
		"&x;</vgate:network></metadata></domain>",
		/* external entity (the network) and an external DTD */
		"<?xml version='1.0'?><!DOCTYPE domain SYSTEM 'http://127.0.0.1:1/x.dtd' "
		"[<!ENTITY x SYSTEM 'http://127.0.0.1:1/x'>]><domain><name>&x;</name><metadata>"
		"<vgate:network xmlns:vgate='urn:vgate:libvirt:1'/></metadata></domain>",
		/* parameter entities */
		"<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY % p SYSTEM 'file:///etc/passwd'> "
		"%p;]>"
		"<domain><name>x</name></domain>",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		int r = meta_parse(docs[i], strlen(docs[i]), &dom, err, sizeof(err));

		assert_int_equal(r, -EINVAL);
		assert_null(strstr(err, "root:"));
		if (!strstr(err, "DOCTYPE") && !strstr(err, "not well-formed"))
			fail_msg("document %zu: %s", i, err);
	}
	/* An undeclared entity is not well-formed. */
	assert_int_equal(parse_meta(NET("domain='&undefined;'", "")), -EINVAL);
	assert_non_null(strstr(err, "not well-formed"));
	/* Predefined entities and character references are plain text. */
	assert_int_equal(
		parse_meta(NET("", "<vgate:dns zone='a.'><vgate:record regexp='^a&amp;&#98;$' "
				   "ip='1.2.3.4'/></vgate:dns>")),
		0);
	assert_string_equal(dom.nets[0].records[0].regexp, "^a&b$");
}

static void test_garbage(void **state)
{
	static const char good[] =
		"<domain><name>vm1</name><metadata><vgate:network "
		"xmlns:vgate='urn:vgate:libvirt:1' "
		"mtu='9000'><vgate:forward host='127.0.0.1:8080' guest='80'/></vgate:network>"
		"</metadata></domain>";
	static char big[META_XML_MAX + 2];
	uint8_t junk[512];
	uint32_t seed = 7;

	(void)state;
	assert_int_equal(meta_parse(good, strlen(good), &dom, err, sizeof(err)), 0);
	/* Every truncation fails cleanly (or, cut after the root, is the same document). */
	for (size_t k = 0; k < strlen(good); k++) {
		int r = meta_parse(good, k, &dom, err, sizeof(err));

		assert_int_equal(r, -EINVAL);
	}
	assert_int_equal(meta_parse("", 0, &dom, err, sizeof(err)), -EINVAL);
	assert_int_equal(meta_parse("<a>\0</a>", 8, &dom, err, sizeof(err)), -EINVAL);
	assert_int_equal(meta_parse("<network/>", 10, &dom, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not a libvirt <domain>"));
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(junk); i++) {
			seed = seed * 1103515245u + 12345u;
			junk[i] = (uint8_t)(seed >> 16);
		}
		assert_int_equal(
			meta_parse((const char *)junk, sizeof(junk), &dom, err, sizeof(err)),
			-EINVAL);
	}
	memset(big, ' ', sizeof(big));
	assert_int_equal(meta_parse(big, sizeof(big), &dom, err, sizeof(err)), -E2BIG);
	/* Deep nesting inside <metadata> is only libxml2's business, and bounded there. */
	{
		char *deep = malloc(300000), *p = deep;

		assert_non_null(deep);
		p += sprintf(p, "<domain><name>x</name><metadata>");
		for (int i = 0; i < 20000; i++)
			p += sprintf(p, "<a>");
		sprintf(p, "</metadata></domain>");
		assert_int_equal(meta_parse(deep, strlen(deep), &dom, err, sizeof(err)), -EINVAL);
		free(deep);
	}
}

static void test_nics(void **state)
{
	(void)state;
	assert_int_equal(
		parse_with(
			NET("port='40001'", ""),
			"<interface type='client'><mac address='52:54:00:aa:bb:cc'/>"
			"<source address='127.0.0.1' port='40001'/><alias name='net0'/></interface>"
			"<interface type='client'><source address='10.0.0.1' port='40001'/>"
			"</interface><interface type='network'><source network='default'/>"
			"</interface>",
			"<qemu:arg value='-device'/>"
			"<qemu:arg value='virtio-net-pci,netdev=vg0,mac=52:54:00:00:00:01'/>"
			"<qemu:arg value='-netdev'/>"
			"<qemu:arg value='stream,id=vg0,server=off,addr.type=unix,"
			"addr.path=/run/vgate/a,,b/qemu.sock'/>"
			"<qemu:arg value='-netdev'/><qemu:arg value='user,id=u0'/>"
			"<qemu:arg value='-netdev'/>"
			"<qemu:arg value='stream,id=vg1,server=on,addr.type=unix,addr.path=/x'/>"),
		0);
	assert_int_equal(dom.nnics, 3);
	assert_int_equal(dom.nics[0].kind, META_NIC_TCP);
	assert_int_equal(dom.nics[0].port, 40001);
	assert_true(dom.nics[0].has_mac);
	assert_string_equal(dom.nics[0].id, "net0");
	assert_int_equal(dom.nics[1].kind, META_NIC_STREAM);
	assert_string_equal(dom.nics[1].id, "vg0");
	assert_string_equal(dom.nics[1].path, "/run/vgate/a,b/qemu.sock");
	assert_false(dom.nics[1].server);
	assert_true(dom.nics[1].has_mac);
	assert_int_equal(dom.nics[1].mac[5], 1);
	assert_true(dom.nics[2].server);
	assert_false(dom.nics[2].has_mac);
	/* A bad MAC on a vgate NIC is an error. */
	assert_int_equal(parse_with(NET("", ""), NULL,
				    "<qemu:arg value='-netdev'/><qemu:arg value='stream,id=n,"
				    "addr.type=unix,addr.path=/p'/><qemu:arg value='-device'/>"
				    "<qemu:arg value='virtio-net-pci,netdev=n,mac=nope'/>"),
			 -EINVAL);
	assert_non_null(strstr(err, "mac 'nope'"));
}

static void test_dac_label_and_element(void **state)
{
	static const char doc[] = "<domain><name>d</name><seclabel type='dynamic' model='dac'>"
				  "<label>+64055:+108</label></seclabel></domain>";
	static const char el[] = "<vgate:network xmlns:vgate='urn:vgate:libvirt:1' mtu='1500'>"
				 "<vgate:forward host=':80' guest='80'/></vgate:network>";

	(void)state;
	assert_int_equal(meta_parse(doc, strlen(doc), &dom, err, sizeof(err)), 0);
	assert_string_equal(dom.dac_label, "+64055:+108");
	assert_int_equal(meta_parse_element(el, strlen(el), &dom, err, sizeof(err)), 0);
	assert_true(dom.has_vgate);
	assert_int_equal(dom.nets[0].mtu, 1500);
	assert_int_equal(meta_parse_element("<x/>", 4, &dom, err, sizeof(err)), -EINVAL);
}

static void test_qemu_opts(void **state)
{
	char v[64];

	(void)state;
	assert_int_equal(
		meta_qemu_opts_get("stream,id=a,addr.path=/x,,y,,z", "addr.path", v, sizeof(v)), 0);
	assert_string_equal(v, "/x,y,z");
	assert_int_equal(meta_qemu_opts_get("stream,id=a", "type", v, sizeof(v)), 0);
	assert_string_equal(v, "stream");
	assert_int_equal(meta_qemu_opts_get("id=a,stream", "type", v, sizeof(v)), -ENOENT);
	assert_int_equal(meta_qemu_opts_get("stream,id=a", "addr", v, sizeof(v)), -ENOENT);
	assert_int_equal(meta_qemu_opts_get("stream,ida=b,id=c", "id", v, sizeof(v)), 0);
	assert_string_equal(v, "c");
	assert_int_equal(meta_qemu_opts_get("x,id=0123456789", "id", v, 5), -ENAMETOOLONG);
	assert_int_equal(meta_qemu_opts_get("", "id", v, sizeof(v)), -ENOENT);
	assert_int_equal(meta_qemu_opts_get(",,,,,", "id", v, sizeof(v)), -ENOENT);
}

static void test_domain_names(void **state)
{
	(void)state;
	assert_true(meta_domain_name_ok("vm1"));
	assert_true(meta_domain_name_ok("my vm, the first"));
	assert_false(meta_domain_name_ok(""));
	assert_false(meta_domain_name_ok(".."));
	assert_false(meta_domain_name_ok(".x"));
	assert_false(meta_domain_name_ok("a/b"));
	assert_false(meta_domain_name_ok("a\nb"));
	assert_false(meta_domain_name_ok(
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_example),
		cmocka_unit_test(test_every_attribute),
		cmocka_unit_test(test_host_alias_default_follows_subnet),
		cmocka_unit_test(test_several_networks),
		cmocka_unit_test(test_no_vgate_metadata),
		cmocka_unit_test(test_bad_structure),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_bad_forwards),
		cmocka_unit_test(test_bad_other_elements),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_entities_and_dtds),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_nics),
		cmocka_unit_test(test_dac_label_and_element),
		cmocka_unit_test(test_qemu_opts),
		cmocka_unit_test(test_domain_names),
	};
	int r;

	xmlInitParser();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return r;
}
