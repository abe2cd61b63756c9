// SPDX-License-Identifier: MIT
/*
 * test_guest_netcfg.c - guest-tools/rtnl.c, netcfg.c and extdhcp.c's lease
 * reader: how a lease reaches the kernel and resolv.conf
 *
 * rtnetlink requests are built into buffers and read back attribute by
 * attribute (MAC, MTU, up; address with its lease as lifetime and its
 * broadcast; default route with metric); acknowledgements and address dumps
 * are parsed, including truncated, oversized and garbage answers.
 * resolv.conf text comes from the lease and is written atomically, also
 * through a symlink. udhcpc's environment becomes a lease, with every
 * malformed variable left out rather than trusted.
 */
#include "extdhcp.h"
#include "netcfg.h"
#include "rtnl.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <unistd.h>

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* The payload of attribute @type in @m after a body of @body bytes. */
static const void *attr(const struct rtnl_req *m, size_t body, unsigned short type, size_t *len)
{
	size_t off = NLMSG_LENGTH(body);

	off = NLMSG_ALIGN(off);
	while (off + sizeof(struct rtattr) <= m->len) {
		struct rtattr rta;

		memcpy(&rta, m->buf + off, sizeof(rta));
		assert_true(rta.rta_len >= sizeof(rta));
		assert_true(off + rta.rta_len <= m->len);
		if (rta.rta_type == type) {
			*len = rta.rta_len - RTA_LENGTH(0);
			return m->buf + off + RTA_LENGTH(0);
		}
		off += RTA_ALIGN(rta.rta_len);
	}
	return NULL;
}

static void test_requests(void **state)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	struct rtnl_req m;
	struct nlmsghdr h;
	struct ifinfomsg ifi;
	struct ifaddrmsg ifa;
	struct rtmsg rt;
	struct ifa_cacheinfo ci;
	const uint8_t *v;
	uint32_t u32;
	size_t len = 0;

	(void)state;
	assert_int_equal(rtnl_link_req(&m, 7, mac, 1500, RTNL_UP), 0);
	memcpy(&h, m.buf, sizeof(h));
	assert_int_equal(h.nlmsg_type, RTM_NEWLINK);
	assert_int_equal(h.nlmsg_len, m.len);
	assert_true(h.nlmsg_flags & NLM_F_ACK);
	memcpy(&ifi, NLMSG_DATA((struct nlmsghdr *)m.buf), sizeof(ifi));
	assert_int_equal(ifi.ifi_index, 7);
	assert_int_equal(ifi.ifi_change, IFF_UP);
	assert_int_equal(ifi.ifi_flags, IFF_UP);
	v = attr(&m, sizeof(ifi), IFLA_ADDRESS, &len);
	assert_non_null(v);
	assert_int_equal(len, 6);
	assert_memory_equal(v, mac, 6);
	v = attr(&m, sizeof(ifi), IFLA_MTU, &len);
	assert_non_null(v);
	memcpy(&u32, v, 4);
	assert_int_equal(u32, 1500);
	/* Only the MTU, link state untouched. */
	assert_int_equal(rtnl_link_req(&m, 7, NULL, 9000, RTNL_KEEP), 0);
	memcpy(&ifi, NLMSG_DATA((struct nlmsghdr *)m.buf), sizeof(ifi));
	assert_int_equal(ifi.ifi_change, 0);
	assert_null(attr(&m, sizeof(ifi), IFLA_ADDRESS, &len));

	assert_int_equal(rtnl_addr_req(&m, true, 7, ip("192.168.127.3"), 24, 3600), 0);
	memcpy(&h, m.buf, sizeof(h));
	assert_int_equal(h.nlmsg_type, RTM_NEWADDR);
	assert_true(h.nlmsg_flags & NLM_F_REPLACE);
	memcpy(&ifa, NLMSG_DATA((struct nlmsghdr *)m.buf), sizeof(ifa));
	assert_int_equal(ifa.ifa_prefixlen, 24);
	assert_int_equal(ifa.ifa_index, 7);
	v = attr(&m, sizeof(ifa), IFA_BROADCAST, &len);
	assert_non_null(v);
	assert_memory_equal(v, &(struct in_addr){ ip("192.168.127.255").s_addr }, 4);
	v = attr(&m, sizeof(ifa), IFA_CACHEINFO, &len);
	assert_non_null(v);
	memcpy(&ci, v, sizeof(ci));
	assert_int_equal(ci.ifa_valid, 3600);
	assert_int_equal(ci.ifa_prefered, 3600);
	assert_int_equal(rtnl_addr_req(&m, true, 7, ip("10.0.0.1"), 33, 1), -EINVAL);
	assert_int_equal(rtnl_addr_req(&m, false, 7, ip("10.0.0.1"), 32, 0), 0);
	memcpy(&h, m.buf, sizeof(h));
	assert_int_equal(h.nlmsg_type, RTM_DELADDR);
	assert_null(attr(&m, sizeof(ifa), IFA_CACHEINFO, &len));

	assert_int_equal(rtnl_route_req(&m, true, 7, ip("192.168.127.1"), 50), 0);
	memcpy(&rt, NLMSG_DATA((struct nlmsghdr *)m.buf), sizeof(rt));
	assert_int_equal(rt.rtm_dst_len, 0);
	assert_int_equal(rt.rtm_protocol, RTPROT_DHCP);
	v = attr(&m, sizeof(rt), RTA_PRIORITY, &len);
	assert_non_null(v);
	memcpy(&u32, v, 4);
	assert_int_equal(u32, 50);
	v = attr(&m, sizeof(rt), RTA_GATEWAY, &len);
	assert_non_null(v);
	assert_memory_equal(v, &(struct in_addr){ ip("192.168.127.1").s_addr }, 4);
}

/* Append one message to @buf at *@o. */
static void put_msg(uint8_t *buf, size_t *o, uint16_t type, const void *body, size_t blen)
{
	struct nlmsghdr h = { .nlmsg_len = (uint32_t)NLMSG_LENGTH(blen), .nlmsg_type = type };

	memcpy(buf + *o, &h, sizeof(h));
	memcpy(buf + *o + NLMSG_HDRLEN, body, blen);
	*o += NLMSG_ALIGN(h.nlmsg_len);
}

static size_t addr_msg(uint8_t *body, int ifindex, const char *a, uint8_t prefix)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET,
				 .ifa_prefixlen = prefix,
				 .ifa_index = (uint32_t)ifindex };
	struct rtattr rta = { .rta_len = RTA_LENGTH(4), .rta_type = IFA_LOCAL };
	struct in_addr x = ip(a);

	memcpy(body, &ifa, sizeof(ifa));
	memcpy(body + NLMSG_ALIGN(sizeof(ifa)), &rta, sizeof(rta));
	memcpy(body + NLMSG_ALIGN(sizeof(ifa)) + RTA_LENGTH(0), &x, 4);
	return NLMSG_ALIGN(sizeof(ifa)) + RTA_SPACE(4);
}

static void test_answers(void **state)
{
	uint32_t aligned[512];
	uint8_t *buf = (uint8_t *)aligned, body[64];
	struct nlmsgerr e = { .error = -EEXIST };
	struct rtnl_addr out[2];
	size_t o = 0, n = 0, blen;
	uint64_t seed = 17;

	(void)state;
	put_msg(buf, &o, NLMSG_ERROR, &e, sizeof(e));
	assert_int_equal(rtnl_parse_ack(buf, o), -EEXIST);
	e.error = 0;
	o = 0;
	put_msg(buf, &o, NLMSG_ERROR, &e, sizeof(e));
	assert_int_equal(rtnl_parse_ack(buf, o), 0);
	assert_int_equal(rtnl_parse_ack(buf, 10), -EPROTO);
	assert_int_equal(rtnl_parse_ack(buf, NLMSG_HDRLEN + 2), -EPROTO);
	e.error = 5; /* positive: not an errno */
	o = 0;
	put_msg(buf, &o, NLMSG_ERROR, &e, sizeof(e));
	assert_int_equal(rtnl_parse_ack(buf, o), -EPROTO);

	/* A dump: two of ours, one of another link, then DONE. */
	o = 0;
	blen = addr_msg(body, 7, "192.168.127.3", 24);
	put_msg(buf, &o, RTM_NEWADDR, body, blen);
	blen = addr_msg(body, 8, "10.0.0.2", 8);
	put_msg(buf, &o, RTM_NEWADDR, body, blen);
	blen = addr_msg(body, 7, "192.168.127.9", 32);
	put_msg(buf, &o, RTM_NEWADDR, body, blen);
	assert_int_equal(rtnl_parse_addr_dump(buf, o, 7, out, &n, 2), 0);
	assert_int_equal(n, 2);
	assert_int_equal(out[0].addr.s_addr, ip("192.168.127.3").s_addr);
	assert_int_equal(out[0].prefix, 24);
	assert_int_equal(out[1].prefix, 32);
	/* More than fit: counted up to the array, no overflow. */
	assert_int_equal(rtnl_parse_addr_dump(buf, o, 7, out, &n, 2), 0);
	assert_int_equal(n, 2);
	n = 0;
	put_msg(buf, &o, NLMSG_DONE, &e, 4);
	assert_int_equal(rtnl_parse_addr_dump(buf, o, 7, out, &n, 2), 1);
	/* An error in a dump, a message longer than the buffer, garbage. */
	n = 0;
	o = 0;
	e.error = -EPERM;
	put_msg(buf, &o, NLMSG_ERROR, &e, sizeof(e));
	assert_int_equal(rtnl_parse_addr_dump(buf, o, 7, out, &n, 2), -EPERM);
	o = 0;
	blen = addr_msg(body, 7, "192.168.127.3", 24);
	put_msg(buf, &o, RTM_NEWADDR, body, blen);
	assert_int_equal(rtnl_parse_addr_dump(buf, o - 4, 7, out, &n, 2), -EPROTO);
	for (int i = 0; i < 20000; i++) {
		size_t len = rng_range(&seed, 0, 256);
		int r;

		rng_fill(&seed, buf, len);
		n = 0;
		r = rtnl_parse_addr_dump(buf, len, 7, out, &n, 2);
		assert_true(r <= 1);
		assert_true(n <= 2);
		(void)rtnl_parse_ack(buf, len);
	}
}

static void test_resolv_text(void **state)
{
	struct dhcpc_lease l = { 0 };
	char buf[NETCFG_RESOLV_MAX];

	(void)state;
	assert_int_equal(netcfg_resolv_text(&l, "tap0", buf, sizeof(buf)), 0);
	l.dns[0] = ip("192.168.127.1");
	l.dns[1] = ip("10.0.0.53");
	l.ndns = 2;
	snprintf(l.domain, sizeof(l.domain), "corp.example");
	assert_true(netcfg_resolv_text(&l, "tap0", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "tap0"));
	assert_non_null(strstr(buf, "\nsearch corp.example\nnameserver 192.168.127.1\n"
				    "nameserver 10.0.0.53\n"));
	snprintf(l.search, sizeof(l.search), "a.example b.example");
	assert_true(netcfg_resolv_text(&l, "tap0", buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "search a.example b.example\n"));
	assert_int_equal(netcfg_resolv_text(&l, "tap0", buf, 40), -ENOSPC);
}

static void test_write_file(void **state)
{
	char dir[] = "/tmp/test_guest_netcfg.XXXXXX";
	char path[128], link[128], got[64] = "";
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	snprintf(link, sizeof(link), "%s/link.conf", dir);
	assert_int_equal(netcfg_write_file(path, "one\n", 4), 0);
	assert_int_equal(symlink(path, link), 0);
	/* Through the symlink: the target changes, the link stays a link. */
	assert_int_equal(netcfg_write_file(link, "two\n", 4), 0);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	assert_string_equal(got, "two\n");
	assert_int_equal(readlink(link, got, sizeof(got)) > 0, 1);
	assert_int_equal(netcfg_write_file("/nonexistent-dir/x", "a", 1), -ENOENT);
	unlink(link);
	unlink(path);
	rmdir(dir);
}

struct env {
	const char *const *kv; /* "name", "value", ..., NULL */
};

static const char *fake_getenv(void *ctx, const char *name)
{
	const struct env *e = ctx;

	for (size_t i = 0; e->kv[i]; i += 2)
		if (!strcmp(e->kv[i], name))
			return e->kv[i + 1];
	return NULL;
}

static void test_udhcpc_env(void **state)
{
	static const char *const full[] = {
		"ip",	    "192.168.127.3",
		"subnet",   "255.255.255.0",
		"router",   "192.168.127.1 192.168.127.254",
		"dns",	    "192.168.127.1 junk 10.0.0.53 1.1.1.1 8.8.8.8",
		"domain",   "corp.example",
		"search",   "a.example bad;name b.example",
		"mtu",	    "9000",
		"lease",    "120",
		"serverid", "192.168.127.1",
		NULL,
	};
	static const char *const minimal[] = { "ip", "10.1.2.3", "mask", "16", NULL };
	static const char *const hostile[] = {
		"ip",  "10.1.2.3", "subnet", "255.0.255.0", "router", "nope",
		"mtu", "12",	   "lease",  "99999999999", "domain", "x\nnameserver 6.6.6.6",
		NULL,
	};
	static const char *const noip[] = { "ip", "300.1.1.1", NULL };
	struct env e = { full };
	struct dhcpc_lease l;

	(void)state;
	assert_int_equal(extdhcp_lease_from_env(fake_getenv, &e, &l), 0);
	assert_int_equal(l.addr.s_addr, ip("192.168.127.3").s_addr);
	assert_int_equal(l.prefix, 24);
	assert_int_equal(l.router.s_addr, ip("192.168.127.1").s_addr);
	assert_int_equal(l.ndns, 3);
	assert_int_equal(l.dns[1].s_addr, ip("10.0.0.53").s_addr);
	assert_string_equal(l.domain, "corp.example");
	assert_string_equal(l.search, "a.example b.example");
	assert_int_equal(l.mtu, 9000);
	assert_int_equal(l.lease_s, 120);
	assert_int_equal(l.server.s_addr, ip("192.168.127.1").s_addr);

	e.kv = minimal;
	assert_int_equal(extdhcp_lease_from_env(fake_getenv, &e, &l), 0);
	assert_int_equal(l.prefix, 16);
	assert_int_equal(l.router.s_addr, 0);
	assert_int_equal(l.lease_s, DHCPC_LEASE_DEFAULT_S);

	e.kv = hostile;
	assert_int_equal(extdhcp_lease_from_env(fake_getenv, &e, &l), 0);
	assert_int_equal(l.prefix, 24); /* non-contiguous mask ignored */
	assert_int_equal(l.router.s_addr, 0);
	assert_int_equal(l.mtu, 0);
	assert_int_equal(l.lease_s, DHCPC_LEASE_DEFAULT_S);
	assert_string_equal(l.domain, "");

	e.kv = (const char *const[]){ "ip", "10.1.2.3", "mtu", "65535", NULL };
	assert_int_equal(extdhcp_lease_from_env(fake_getenv, &e, &l), 0);
	assert_int_equal(l.mtu, DHCPC_MTU_MAX); /* frames must fit a uint16 length */

	e.kv = noip;
	assert_int_equal(extdhcp_lease_from_env(fake_getenv, &e, &l), -EINVAL);
	e.kv = (const char *const[]){ NULL };
	assert_int_equal(extdhcp_lease_from_env(fake_getenv, &e, &l), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_requests),    cmocka_unit_test(test_answers),
		cmocka_unit_test(test_resolv_text), cmocka_unit_test(test_write_file),
		cmocka_unit_test(test_udhcpc_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
