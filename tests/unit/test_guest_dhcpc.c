// SPDX-License-Identifier: MIT
/*
 * test_guest_dhcpc.c - guest-tools/dhcpc.c and dhcpc_wire.c: the builtin
 * DHCP client
 *
 * The state machine is driven with a fake clock and hand-made server
 * replies through every transition: discovery with bounded backoff and the
 * silence warning, offer and request, the lease's clock (T1 renew unicast,
 * T2 rebind broadcast, expiry), NAKs, the link coming back (INIT-REBOOT),
 * a server moving the address, release. The wire half is checked on byte
 * buffers: messages built, replies parsed (options, overload, search lists
 * with compression), frames wrapped and unwrapped with checksums, and every
 * kind of bad input: truncated, oversized, looping, unsafe names, garbage.
 */
#include "dhcpc.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x21 };
static const uint8_t gw_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
static struct dhcpc c;

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a;
}

/* --- a fake server -------------------------------------------------------------- */

struct reply_spec {
	uint8_t type;
	uint32_t xid;
	const uint8_t *chaddr;
	const char *yiaddr;
	const char *server; /* option 54, or NULL */
	uint32_t lease;	    /* option 51 when non-zero */
	bool no_lease;
	uint16_t mtu; /* option 26; 0 for 1500 */
};

static size_t put_opt(uint8_t *b, size_t o, uint8_t code, const void *v, uint8_t len)
{
	b[o] = code;
	b[o + 1] = len;
	memcpy(b + o + 2, v, len);
	return o + 2 + len;
}

static size_t make_reply(uint8_t *b, size_t cap, const struct reply_spec *s)
{
	struct in_addr a;
	uint16_t m = s->mtu ? s->mtu : 1500;
	uint8_t mask[4] = { 255, 255, 255, 0 }, mtu[2] = { (uint8_t)(m >> 8), (uint8_t)m };
	uint32_t lease = htonl(s->lease);
	size_t o = 240;

	assert_true(cap >= 576);
	memset(b, 0, 576);
	b[0] = 2;
	b[1] = 1;
	b[2] = 6;
	b[4] = (uint8_t)(s->xid >> 24);
	b[5] = (uint8_t)(s->xid >> 16);
	b[6] = (uint8_t)(s->xid >> 8);
	b[7] = (uint8_t)s->xid;
	if (s->yiaddr) {
		a = ip(s->yiaddr);
		memcpy(b + 16, &a, 4);
	}
	memcpy(b + 28, s->chaddr ? s->chaddr : mac, 6);
	b[236] = 99;
	b[237] = 130;
	b[238] = 83;
	b[239] = 99;
	o = put_opt(b, o, 53, &s->type, 1);
	if (s->server) {
		a = ip(s->server);
		o = put_opt(b, o, 54, &a, 4);
	}
	o = put_opt(b, o, 1, mask, 4);
	a = ip("192.168.127.1");
	o = put_opt(b, o, 3, &a, 4);
	o = put_opt(b, o, 6, &a, 4);
	o = put_opt(b, o, 26, mtu, 2);
	if (!s->no_lease)
		o = put_opt(b, o, 51, &lease, 4);
	b[o++] = 255;
	return o;
}

static unsigned feed(const struct reply_spec *s, uint64_t now)
{
	uint8_t buf[1024];
	struct dhcpc_reply r;
	size_t n = make_reply(buf, sizeof(buf), s);

	assert_int_equal(dhcpc_parse_reply(buf, n, &r), 0);
	return dhcpc_input(&c, &r, gw_mac, now);
}

/* Value of option @code in the message c->out, or NULL. */
static const uint8_t *out_opt(uint8_t code, uint8_t *len)
{
	for (size_t i = 240; i + 1 < c.out_len;) {
		if (c.out[i] == 0) {
			i++;
			continue;
		}
		if (c.out[i] == 255)
			return NULL;
		if (c.out[i] == code) {
			*len = c.out[i + 1];
			return c.out + i + 2;
		}
		i += 2 + (size_t)c.out[i + 1];
	}
	return NULL;
}

static uint8_t out_type(void)
{
	uint8_t len = 0;
	const uint8_t *v = out_opt(53, &len);

	assert_non_null(v);
	assert_int_equal(len, 1);
	return v[0];
}

static uint32_t out_xid(void)
{
	return (uint32_t)c.out[4] << 24 | (uint32_t)c.out[5] << 16 | (uint32_t)c.out[6] << 8 |
	       c.out[7];
}

static bool out_has_addr(uint8_t code, const char *want)
{
	uint8_t len = 0;
	const uint8_t *v = out_opt(code, &len);
	struct in_addr a = ip(want);

	return v && len == 4 && !memcmp(v, &a, 4);
}

static void ciaddr_is(const char *want)
{
	struct in_addr a = ip(want);

	assert_memory_equal(c.out + 12, &a, 4);
}

/* Start and get bound to .3 with @lease seconds at @now. */
static void bind_lease(uint32_t lease, uint64_t now)
{
	struct reply_spec s = { .type = DHCPC_OFFER,
				.yiaddr = "192.168.127.3",
				.server = "192.168.127.1",
				.lease = lease };

	dhcpc_init(&c, mac, "guest-1", 1234);
	assert_int_equal(dhcpc_start(&c, now), DHCPC_ACT_SEND);
	s.xid = c.xid;
	assert_int_equal(feed(&s, now), DHCPC_ACT_SEND);
	s.type = DHCPC_ACK;
	assert_int_equal(feed(&s, now), DHCPC_ACT_BIND);
	assert_int_equal(c.state, DHCPC_BOUND);
}

/* --- the state machine --------------------------------------------------------- */

static void test_discover_backoff(void **state)
{
	uint64_t now = 1000, prev_gap = 0;
	unsigned silent = 0;
	uint32_t xid;

	(void)state;
	dhcpc_init(&c, mac, "guest-1", 99);
	assert_int_equal(c.state, DHCPC_IDLE);
	assert_true(dhcpc_deadline(&c) == DHCPC_NEVER);
	assert_int_equal(dhcpc_timer(&c, now), 0);

	assert_int_equal(dhcpc_start(&c, now), DHCPC_ACT_SEND);
	assert_int_equal(c.state, DHCPC_SELECTING);
	assert_int_equal(out_type(), DHCPC_DISCOVER);
	assert_false(c.out_unicast);
	assert_int_equal(c.out_dst.s_addr, 0xffffffffu);
	assert_int_equal(c.out_src.s_addr, 0);
	assert_memory_equal(c.out + 28, mac, 6);
	assert_int_equal(c.out_len, 300); /* padded to the BOOTP minimum */
	xid = out_xid();
	/* Nothing before the deadline. */
	assert_int_equal(dhcpc_timer(&c, dhcpc_deadline(&c) - 1), 0);
	/* Retransmissions: same xid, gaps doubling to the cap, one warning. */
	for (int i = 0; i < 12; i++) {
		uint64_t d = dhcpc_deadline(&c), gap = d - now;
		unsigned act;

		assert_true(gap >= prev_gap);
		assert_true(gap <= DHCPC_RETRY_MAX_MS);
		prev_gap = gap;
		now = d;
		act = dhcpc_timer(&c, now);
		assert_true(act & DHCPC_ACT_SEND);
		if (act & DHCPC_ACT_SILENT)
			silent++;
		assert_int_equal(out_xid(), xid);
		assert_int_equal(out_type(), DHCPC_DISCOVER);
	}
	assert_int_equal(prev_gap, DHCPC_RETRY_MAX_MS);
	assert_int_equal(silent, 1);
	assert_int_equal(c.stats.sent, 13);
}

static void test_offer_request_ack(void **state)
{
	struct reply_spec s = { .type = DHCPC_OFFER,
				.yiaddr = "192.168.127.3",
				.server = "192.168.127.1",
				.lease = 3600 };
	uint8_t len = 0;

	(void)state;
	dhcpc_init(&c, mac, "guest-1", 7);
	dhcpc_start(&c, 0);
	/* Not ours: another xid, another MAC, no server id, an unusable address. */
	s.xid = c.xid + 1;
	assert_int_equal(feed(&s, 10), 0);
	s.xid = c.xid;
	s.chaddr = gw_mac;
	assert_int_equal(feed(&s, 10), 0);
	s.chaddr = NULL;
	s.server = NULL;
	assert_int_equal(feed(&s, 10), 0);
	s.server = "192.168.127.1";
	s.yiaddr = "255.255.255.255";
	assert_int_equal(feed(&s, 10), 0);
	s.yiaddr = "192.168.127.3";
	/* An ACK while selecting is not expected. */
	s.type = DHCPC_ACK;
	assert_int_equal(feed(&s, 10), 0);
	assert_int_equal(c.stats.ignored, 5);

	s.type = DHCPC_OFFER;
	assert_int_equal(feed(&s, 10), DHCPC_ACT_SEND);
	assert_int_equal(c.state, DHCPC_REQUESTING);
	assert_int_equal(out_type(), DHCPC_REQUEST);
	assert_true(out_has_addr(50, "192.168.127.3"));
	assert_true(out_has_addr(54, "192.168.127.1"));
	assert_non_null(out_opt(12, &len));
	assert_int_equal(len, 7);
	ciaddr_is("0.0.0.0");

	/* An ACK from another server than the one we asked is not ours. */
	s.type = DHCPC_ACK;
	s.server = "192.168.127.9";
	assert_int_equal(feed(&s, 20), 0);
	s.server = "192.168.127.1";
	assert_int_equal(feed(&s, 20), DHCPC_ACT_BIND);
	assert_int_equal(c.lease.addr.s_addr, ip("192.168.127.3").s_addr);
	assert_int_equal(c.lease.prefix, 24);
	assert_int_equal(c.lease.router.s_addr, ip("192.168.127.1").s_addr);
	assert_int_equal(c.lease.ndns, 1);
	assert_int_equal(c.lease.mtu, 1500);
	assert_int_equal(c.lease.lease_s, 3600);
	assert_memory_equal(c.lease.server_mac, gw_mac, 6);
	assert_true(dhcpc_deadline(&c) == 20 + 1800 * 1000);
	/* Bound: more ACKs change nothing. */
	assert_int_equal(feed(&s, 30), 0);
}

static void test_request_timeouts_and_nak(void **state)
{
	struct reply_spec s = { .type = DHCPC_OFFER,
				.yiaddr = "192.168.127.3",
				.server = "192.168.127.1",
				.lease = 3600 };
	uint64_t now = 0;
	uint32_t xid;

	(void)state;
	dhcpc_init(&c, mac, NULL, 7);
	dhcpc_start(&c, now);
	s.xid = c.xid;
	feed(&s, now);
	/* Four REQUESTs in all, then discovery again with a new xid. */
	for (int i = 1; i < DHCPC_REQUEST_TRIES; i++) {
		now = dhcpc_deadline(&c);
		assert_int_equal(dhcpc_timer(&c, now), DHCPC_ACT_SEND);
		assert_int_equal(out_type(), DHCPC_REQUEST);
	}
	xid = c.xid;
	now = dhcpc_deadline(&c);
	assert_true(dhcpc_timer(&c, now) & DHCPC_ACT_SEND);
	assert_int_equal(c.state, DHCPC_SELECTING);
	assert_int_equal(out_type(), DHCPC_DISCOVER);
	assert_int_not_equal(c.xid, xid);

	/* A NAK to our REQUEST: discovery again, but only after a pause. */
	s.xid = c.xid;
	s.type = DHCPC_OFFER;
	feed(&s, now);
	s.type = DHCPC_NAK;
	assert_int_equal(feed(&s, now), 0);
	assert_int_equal(c.state, DHCPC_SELECTING);
	assert_true(dhcpc_deadline(&c) > now);
	assert_int_equal(c.stats.naks, 1);
	now = dhcpc_deadline(&c);
	assert_true(dhcpc_timer(&c, now) & DHCPC_ACT_SEND);
	assert_int_equal(out_type(), DHCPC_DISCOVER);
}

static void test_lease_clock(void **state)
{
	struct reply_spec s = { .type = DHCPC_ACK,
				.yiaddr = "192.168.127.3",
				.server = "192.168.127.1",
				.lease = 100 };
	uint64_t now;
	uint8_t len = 0;

	(void)state;
	bind_lease(100, 0);
	assert_true(dhcpc_deadline(&c) == 50000);
	assert_int_equal(dhcpc_timer(&c, 49999), 0);
	/* T1: unicast to the server, from our address, ciaddr set, no 50/54. */
	assert_int_equal(dhcpc_timer(&c, 50000), DHCPC_ACT_SEND);
	assert_int_equal(c.state, DHCPC_RENEWING);
	assert_int_equal(out_type(), DHCPC_REQUEST);
	assert_true(c.out_unicast);
	assert_int_equal(c.out_dst.s_addr, ip("192.168.127.1").s_addr);
	assert_int_equal(c.out_src.s_addr, ip("192.168.127.3").s_addr);
	assert_memory_equal(c.out_dst_mac, gw_mac, 6);
	ciaddr_is("192.168.127.3");
	assert_null(out_opt(50, &len));
	assert_null(out_opt(54, &len));
	/* Retransmissions stay within the window before T2. */
	now = 50000;
	while (c.state == DHCPC_RENEWING) {
		uint64_t d = dhcpc_deadline(&c);

		assert_true(d > now && d <= 88000);
		now = d;
		dhcpc_timer(&c, now);
	}
	/* T2 (100 - 100/8 = 88 s): broadcast, still from our address. */
	assert_int_equal(c.state, DHCPC_REBINDING);
	assert_true(now == 88000);
	assert_false(c.out_unicast);
	assert_int_equal(c.out_src.s_addr, ip("192.168.127.3").s_addr);
	ciaddr_is("192.168.127.3");
	/* An ACK while rebinding extends the lease. */
	s.xid = c.xid;
	assert_int_equal(feed(&s, now + 10), DHCPC_ACT_EXTEND);
	assert_int_equal(c.state, DHCPC_BOUND);
	assert_true(dhcpc_deadline(&c) == now + 10 + 50000);

	/* No answers at all: at expiry the lease goes and discovery restarts. */
	while (c.have_lease) {
		unsigned act;

		now = dhcpc_deadline(&c);
		act = dhcpc_timer(&c, now);
		if (!c.have_lease) {
			assert_true(act & DHCPC_ACT_UNBIND);
			assert_true(act & DHCPC_ACT_SEND);
		}
	}
	assert_true(now == 88010 + 100000);
	assert_int_equal(c.state, DHCPC_SELECTING);
	assert_int_equal(c.old.addr.s_addr, ip("192.168.127.3").s_addr);
	assert_int_equal(out_type(), DHCPC_DISCOVER);
}

static void test_nak_while_renewing(void **state)
{
	struct reply_spec s = { .type = DHCPC_NAK, .server = "192.168.127.1" };
	unsigned act;

	(void)state;
	bind_lease(3600, 0);
	dhcpc_timer(&c, 1800 * 1000);
	assert_int_equal(c.state, DHCPC_RENEWING);
	s.xid = c.xid;
	act = feed(&s, 1800 * 1000 + 5);
	assert_true(act & DHCPC_ACT_UNBIND);
	assert_true(act & DHCPC_ACT_SEND);
	assert_int_equal(c.state, DHCPC_SELECTING);
	assert_false(c.have_lease);
}

static void test_link_up_reboot(void **state)
{
	struct reply_spec s = { .type = DHCPC_ACK,
				.yiaddr = "192.168.127.3",
				.server = "192.168.127.1",
				.lease = 3600 };
	uint64_t now = 5000;
	uint8_t len = 0;
	unsigned act;

	(void)state;
	bind_lease(3600, 0);
	/* The link came back: confirm the lease at once, broadcast, option 50 only. */
	assert_int_equal(dhcpc_link_up(&c, now), DHCPC_ACT_SEND);
	assert_int_equal(c.state, DHCPC_REBOOTING);
	assert_int_equal(out_type(), DHCPC_REQUEST);
	assert_false(c.out_unicast);
	assert_true(out_has_addr(50, "192.168.127.3"));
	assert_null(out_opt(54, &len));
	ciaddr_is("0.0.0.0");
	s.xid = c.xid;
	assert_int_equal(feed(&s, now), DHCPC_ACT_EXTEND);
	assert_int_equal(c.state, DHCPC_BOUND);

	/* No answer to the reboot REQUESTs: keep the lease on its clock. */
	dhcpc_link_up(&c, now);
	for (int i = 1; i < DHCPC_REBOOT_TRIES; i++) {
		now = dhcpc_deadline(&c);
		assert_int_equal(dhcpc_timer(&c, now), DHCPC_ACT_SEND);
	}
	now = dhcpc_deadline(&c);
	assert_int_equal(dhcpc_timer(&c, now), 0);
	assert_int_equal(c.state, DHCPC_BOUND);
	assert_true(c.have_lease);

	/* The new server moves us to .4: the old lease goes, the new one comes. */
	dhcpc_link_up(&c, now);
	s.xid = c.xid;
	s.yiaddr = "192.168.127.4";
	act = feed(&s, now);
	assert_int_equal(act, DHCPC_ACT_BIND | DHCPC_ACT_UNBIND);
	assert_int_equal(c.old.addr.s_addr, ip("192.168.127.3").s_addr);
	assert_int_equal(c.lease.addr.s_addr, ip("192.168.127.4").s_addr);

	/* Link up while still discovering: a DISCOVER at once, fresh backoff. */
	dhcpc_init(&c, mac, NULL, 3);
	dhcpc_start(&c, 0);
	dhcpc_timer(&c, dhcpc_deadline(&c));
	dhcpc_timer(&c, dhcpc_deadline(&c));
	assert_true(dhcpc_link_up(&c, 9000) & DHCPC_ACT_SEND);
	assert_true(dhcpc_deadline(&c) == 9000 + DHCPC_RETRY_FIRST_MS);
	/* Idle: nothing. */
	dhcpc_init(&c, mac, NULL, 3);
	assert_int_equal(dhcpc_link_up(&c, 9000), 0);
}

static void test_release(void **state)
{
	(void)state;
	bind_lease(3600, 0);
	assert_int_equal(dhcpc_release(&c, 1000), DHCPC_ACT_SEND | DHCPC_ACT_UNBIND);
	assert_int_equal(c.state, DHCPC_IDLE);
	assert_int_equal(out_type(), DHCPC_RELEASE);
	assert_true(c.out_unicast);
	assert_int_equal(c.out_dst.s_addr, ip("192.168.127.1").s_addr);
	assert_int_equal(c.out_src.s_addr, ip("192.168.127.3").s_addr);
	assert_true(out_has_addr(54, "192.168.127.1"));
	ciaddr_is("192.168.127.3");
	assert_true(dhcpc_deadline(&c) == DHCPC_NEVER);
	/* Nothing more happens, and releasing again sends nothing. */
	assert_int_equal(dhcpc_timer(&c, UINT64_MAX - 1), 0);
	assert_int_equal(dhcpc_release(&c, 2000), 0);
}

static void test_lease_times(void **state)
{
	struct reply_spec s = { .type = DHCPC_OFFER,
				.yiaddr = "192.168.127.3",
				.server = "192.168.127.1",
				.lease = 0xffffffffu };

	(void)state;
	/* Infinite: nothing to renew, ever. */
	bind_lease(0xffffffffu, 0);
	assert_true(dhcpc_deadline(&c) == DHCPC_NEVER);
	/* Zero seconds is stretched to the minimum. */
	bind_lease(0, 0);
	assert_int_equal(c.lease.lease_s, DHCPC_LEASE_MIN_S);
	assert_true(dhcpc_deadline(&c) == DHCPC_LEASE_MIN_S * 1000 / 2);
	/* No lease option: the default. */
	dhcpc_init(&c, mac, NULL, 5);
	dhcpc_start(&c, 0);
	s.xid = c.xid;
	feed(&s, 0);
	s.type = DHCPC_ACK;
	s.no_lease = true;
	assert_int_equal(feed(&s, 0), DHCPC_ACT_BIND);
	assert_int_equal(c.lease.lease_s, DHCPC_LEASE_DEFAULT_S);
	/* An MTU whose frames would not fit a uint16 length is clamped. */
	dhcpc_init(&c, mac, NULL, 5);
	dhcpc_start(&c, 0);
	s.xid = c.xid;
	s.type = DHCPC_OFFER;
	s.mtu = 65535;
	feed(&s, 0);
	s.type = DHCPC_ACK;
	assert_int_equal(feed(&s, 0), DHCPC_ACT_BIND);
	assert_int_equal(c.lease.mtu, DHCPC_MTU_MAX);
	/* An unsafe host name is not sent. */
	dhcpc_init(&c, mac, "bad name\n", 5);
	assert_string_equal(c.hostname, "");
}

/* --- the wire -------------------------------------------------------------------- */

static void test_parse_options(void **state)
{
	uint8_t b[1024] = { 0 };
	struct dhcpc_reply r;
	struct reply_spec s = { .type = DHCPC_ACK,
				.xid = 0x01020304,
				.yiaddr = "10.0.0.5",
				.server = "10.0.0.1",
				.lease = 60 };
	size_t n = make_reply(b, sizeof(b), &s) - 1; /* drop the end, append more */
	static const uint8_t search[] = {
		/* "a.example", then "b" + pointer to "example" at offset 2 */
		1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 1, 'b', 0xc0, 2,
	};
	uint8_t t1[4] = { 0, 0, 0, 20 }, t2[4] = { 0, 0, 0, 40 };

	(void)state;
	n = put_opt(b, n, 15, "corp.example", 12);
	n = put_opt(b, n, 119, search, 8); /* split in two: RFC 3396 concatenation */
	n = put_opt(b, n, 119, search + 8, sizeof(search) - 8);
	n = put_opt(b, n, 58, t1, 4);
	n = put_opt(b, n, 59, t2, 4);
	b[n++] = 255;
	assert_int_equal(dhcpc_parse_reply(b, n, &r), 0);
	assert_int_equal(r.type, DHCPC_ACK);
	assert_int_equal(r.xid, 0x01020304);
	assert_string_equal(r.domain, "corp.example");
	assert_string_equal(r.search, "a.example b.example");
	assert_int_equal(r.t1_s, 20);
	assert_int_equal(r.t2_s, 40);
	assert_int_equal(r.lease_s, 60);
	assert_true(r.have & DHCPC_HAVE_MTU);
	assert_int_equal(r.mtu, 1500);

	/* Unsafe names never reach resolv.conf. */
	n = make_reply(b, sizeof(b), &s) - 1;
	n = put_opt(b, n, 15, "x\nnameserver 6.6.6.6", 20);
	b[n++] = 255;
	assert_int_equal(dhcpc_parse_reply(b, n, &r), 0);
	assert_string_equal(r.domain, "");

	/* Option overload: the type lives in the file field. */
	memset(b, 0, sizeof(b));
	n = make_reply(b, sizeof(b), &s);
	b[240] = 52; /* replace option 53 (3 bytes) by 52 = 1 (file) */
	b[241] = 1;
	b[242] = 1;
	b[108] = 53;
	b[109] = 1;
	b[110] = DHCPC_NAK;
	b[111] = 255;
	assert_int_equal(dhcpc_parse_reply(b, n, &r), 0);
	assert_int_equal(r.type, DHCPC_NAK);
}

static void test_parse_bad(void **state)
{
	uint8_t b[1024], g[1024];
	struct dhcpc_reply r;
	struct reply_spec s = {
		.type = DHCPC_ACK, .xid = 1, .yiaddr = "10.0.0.5", .server = "10.0.0.1", .lease = 60
	};
	size_t n = make_reply(b, sizeof(b), &s);
	uint64_t seed = 7;

	(void)state;
	assert_int_equal(dhcpc_parse_reply(NULL, 0, &r), -EINVAL);
	assert_int_equal(dhcpc_parse_reply(b, 239, &r), -EINVAL);
	/* Every truncation: parsed (options cut at a boundary) or refused. */
	for (size_t cut = 0; cut < n; cut++) {
		int e = dhcpc_parse_reply(b, cut, &r);

		assert_true(e == 0 || e == -EINVAL);
		if (cut < 243)
			assert_int_equal(e, -EINVAL); /* no type yet */
	}
	memcpy(g, b, n);
	g[0] = 1; /* a request, not a reply */
	assert_int_equal(dhcpc_parse_reply(g, n, &r), -EINVAL);
	memcpy(g, b, n);
	g[236] = 0; /* no magic cookie */
	assert_int_equal(dhcpc_parse_reply(g, n, &r), -EINVAL);
	memcpy(g, b, n);
	g[241] = 200; /* the type option runs past the end */
	assert_int_equal(dhcpc_parse_reply(g, n, &r), -EINVAL);
	memcpy(g, b, n);
	g[241] = 2; /* a type of two bytes */
	assert_int_equal(dhcpc_parse_reply(g, n, &r), -EINVAL);

	/* Oversized: a reply padded to 64 KiB still parses. */
	{
		uint8_t *big = calloc(1, 65535);

		assert_non_null(big);
		memcpy(big, b, n - 1); /* without the end option: pads follow */
		big[65534] = 255;
		assert_int_equal(dhcpc_parse_reply(big, 65535, &r), 0);
		assert_int_equal(r.type, DHCPC_ACK);
		free(big);
	}
	/* Random bytes after a valid header: never a crash, names always safe. */
	for (int i = 0; i < 20000; i++) {
		size_t len = 240 + rng_range(&seed, 0, 300);

		memcpy(g, b, 240);
		rng_fill(&seed, g + 240, len - 240);
		if (dhcpc_parse_reply(g, len, &r) == 0) {
			assert_true(!r.domain[0] || dhcpc_name_safe(r.domain, strlen(r.domain)));
			assert_true(r.ndns <= DHCPC_DNS_MAX);
		}
	}
}

static void test_search_lists(void **state)
{
	char out[DHCPC_NAME_LEN];
	static const uint8_t loop[] = { 1, 'a', 0xc0, 0 };    /* points at itself */
	static const uint8_t fwd[] = { 0xc0, 2, 1, 'a', 0 };  /* points forward */
	static const uint8_t cut[] = { 5, 'a', 'b' };	      /* label past the end */
	static const uint8_t bad[] = { 3, 'a', ' ', 'b', 0 }; /* a space */
	static const uint8_t ext[] = { 0x40, 0 };	      /* extended label type */
	static const uint8_t root[] = { 0, 1, 'x', 0 };	      /* root, then x */
	uint8_t many[600];
	uint64_t seed = 3;

	(void)state;
	assert_int_equal(dhcpc_decode_search(loop, sizeof(loop), out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcpc_decode_search(fwd, sizeof(fwd), out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcpc_decode_search(cut, sizeof(cut), out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcpc_decode_search(bad, sizeof(bad), out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcpc_decode_search(ext, sizeof(ext), out, sizeof(out)), -EINVAL);
	assert_int_equal(dhcpc_decode_search(root, sizeof(root), out, sizeof(out)), 0);
	assert_string_equal(out, "x");
	/* More names than fit the output. */
	for (size_t i = 0; i < sizeof(many); i += 6) {
		many[i] = 4;
		memcpy(many + i + 1, "abcd", 4);
		many[i + 5] = 0;
	}
	assert_int_equal(dhcpc_decode_search(many, sizeof(many), out, sizeof(out)), -ENOSPC);
	assert_int_equal(dhcpc_decode_search(many, 12, out, 4), -ENOSPC);
	for (int i = 0; i < 20000; i++) {
		uint8_t g[64];
		size_t len = rng_range(&seed, 0, sizeof(g));

		rng_fill(&seed, g, len);
		if (dhcpc_decode_search(g, len, out, sizeof(out)) == 0)
			assert_true(strlen(out) < sizeof(out));
	}
}

static void test_build(void **state)
{
	struct dhcpc_request q = { .type = DHCPC_REQUEST, .xid = 0xdeadbeef, .secs = 3 };
	uint8_t b[DHCPC_MSG_MAX];
	int n;

	(void)state;
	memcpy(q.chaddr, mac, 6);
	q.requested = ip("192.168.127.3");
	q.server_id = ip("192.168.127.1");
	snprintf(q.hostname, sizeof(q.hostname), "%s", "guest");
	n = dhcpc_build(&q, b, sizeof(b));
	assert_int_equal(n, 300);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[4], 0xde);
	assert_int_equal(b[9], 3);
	assert_memory_equal(b + 28, mac, 6);
	assert_int_equal(b[240], 53);
	/* Too small a buffer. */
	assert_int_equal(dhcpc_build(&q, b, 100), -ENOSPC);
	assert_int_equal(dhcpc_build(&q, b, 250), -ENOSPC);
}

/* RFC 1071 over @len bytes, for building server frames here. */
static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A server -> client frame around @msg: wrap as a client, then turn it round. */
static size_t server_frame(uint8_t *f, size_t cap, const uint8_t *msg, size_t len)
{
	int n = dhcpc_frame_wrap(f, cap, gw_mac, mac, ip("192.168.127.1"), ip("192.168.127.3"), msg,
				 len);
	uint32_t sum = 0;
	uint16_t c16;

	assert_true(n > 0);
	f[34] = 0;
	f[35] = 67;
	f[36] = 0;
	f[37] = 68;
	f[40] = f[41] = 0;
	sum = csum(f + 26, 8, 0);
	sum = (uint16_t)~sum;
	sum += 17 + (uint32_t)(8 + len);
	c16 = csum(f + 34, 8 + len, sum);
	f[40] = (uint8_t)(c16 >> 8);
	f[41] = (uint8_t)c16;
	return (size_t)n;
}

static void test_frames(void **state)
{
	uint8_t msg[600], f[1024], g[1024], src[6];
	struct reply_spec s = { .type = DHCPC_OFFER,
				.xid = 9,
				.yiaddr = "192.168.127.3",
				.server = "192.168.127.1",
				.lease = 60 };
	size_t mlen = make_reply(msg, sizeof(msg), &s), n, plen;
	const uint8_t *p;
	uint64_t seed = 11;

	(void)state;
	/* A client frame: headers and checksums check out. */
	n = (size_t)dhcpc_frame_wrap(f, sizeof(f), mac, gw_mac, ip("0.0.0.0"),
				     ip("255.255.255.255"), msg, 300);
	assert_int_equal(n, DHCPC_FRAME_OVERHEAD + 300);
	assert_int_equal(csum(f + 14, 20, 0), 0);
	assert_int_equal(f[34] << 8 | f[35], 68);
	assert_int_equal(f[36] << 8 | f[37], 67);
	assert_int_equal(
		dhcpc_frame_wrap(f, 100, mac, gw_mac, ip("0.0.0.0"), ip("1.2.3.4"), msg, 300),
		-ENOSPC);
	/* A client frame is not a reply. */
	assert_int_equal(dhcpc_frame_unwrap(f, n, &p, &plen, src), -ENOENT);

	n = server_frame(f, sizeof(f), msg, mlen);
	assert_int_equal(dhcpc_frame_unwrap(f, n, &p, &plen, src), 0);
	assert_int_equal(plen, mlen);
	assert_memory_equal(p, msg, mlen);
	assert_memory_equal(src, gw_mac, 6);

	/* Not DHCP at all: ARP, IPv6, TCP. */
	memcpy(g, f, n);
	g[13] = 0x06;
	assert_int_equal(dhcpc_frame_unwrap(g, n, &p, &plen, src), -ENOENT);
	memcpy(g, f, n);
	g[14] = 0x60;
	assert_int_equal(dhcpc_frame_unwrap(g, n, &p, &plen, src), -ENOENT);
	memcpy(g, f, n);
	g[23] = 6;
	assert_int_equal(dhcpc_frame_unwrap(g, n, &p, &plen, src), -ENOENT);
	/* DHCP-looking but broken: IP checksum, UDP checksum, a fragment,
	 * lengths beyond the frame. */
	memcpy(g, f, n);
	g[24] ^= 1;
	assert_int_equal(dhcpc_frame_unwrap(g, n, &p, &plen, src), -EINVAL);
	memcpy(g, f, n);
	g[300] ^= 1;
	assert_int_equal(dhcpc_frame_unwrap(g, n, &p, &plen, src), -EINVAL);
	memcpy(g, f, n);
	g[20] = 0x20; /* MF */
	assert_int_equal(dhcpc_frame_unwrap(g, n, &p, &plen, src), -EINVAL);
	assert_int_equal(dhcpc_frame_unwrap(f, n - 1, &p, &plen, src), -EINVAL);
	/* Every truncation and random damage: never a crash. */
	for (size_t cut = 0; cut < n; cut++) {
		int e = dhcpc_frame_unwrap(f, cut, &p, &plen, src);

		assert_true(e == -ENOENT || e == -EINVAL);
	}
	for (int i = 0; i < 20000; i++) {
		int e;

		memcpy(g, f, n);
		g[rng_range(&seed, 0, n - 1)] = (uint8_t)rng_next(&seed);
		g[rng_range(&seed, 0, 60)] = (uint8_t)rng_next(&seed);
		e = dhcpc_frame_unwrap(g, n, &p, &plen, src);
		if (e == 0)
			assert_true(p + plen <= g + n);
	}
}

static void test_mask_prefix(void **state)
{
	(void)state;
	assert_int_equal(dhcpc_mask_prefix(ip("255.255.255.0")), 24);
	assert_int_equal(dhcpc_mask_prefix(ip("255.255.255.255")), 32);
	assert_int_equal(dhcpc_mask_prefix(ip("0.0.0.0")), 0);
	assert_int_equal(dhcpc_mask_prefix(ip("255.255.0.255")), -1);
	assert_int_equal(dhcpc_mask_prefix(ip("0.255.255.255")), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discover_backoff),
		cmocka_unit_test(test_offer_request_ack),
		cmocka_unit_test(test_request_timeouts_and_nak),
		cmocka_unit_test(test_lease_clock),
		cmocka_unit_test(test_nak_while_renewing),
		cmocka_unit_test(test_link_up_reboot),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_lease_times),
		cmocka_unit_test(test_parse_options),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_search_lists),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_mask_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
