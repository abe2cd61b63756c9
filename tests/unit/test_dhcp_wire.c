// SPDX-License-Identifier: MIT
/*
 * test_dhcp_wire.c - backend/dhcp_wire.c: parsing of DHCP messages as real
 * clients (busybox udhcpc, iPXE) send them, every way a message can be cut
 * or malformed, option overload, random input, and the exact bytes of the
 * replies the server builds.
 *
 * Messages are built by hand, byte by byte, by a small builder that also
 * records where each option ends, so truncation tests know exactly which
 * lengths cut an option and which fall on a boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dhcp_wire.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define PKT_MAX 8192
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t mac_a[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
static const uint8_t cookie[4] = { 99, 130, 83, 99 };

/* A message under construction, with the offsets where a cut is clean. */
struct pkt {
	uint8_t b[PKT_MAX];
	size_t len;
	size_t bounds[1100]; /* lengths at which every option so far is whole */
	size_t nbounds;
	size_t end; /* length just past option 255; 0 until then */
};

static void pkt_init(struct pkt *p, uint8_t op, uint32_t xid, const uint8_t *mac, uint16_t flags)
{
	memset(p, 0, sizeof(*p));
	p->b[0] = op;
	p->b[1] = 1; /* Ethernet */
	p->b[2] = 6;
	p->b[4] = (uint8_t)(xid >> 24);
	p->b[5] = (uint8_t)(xid >> 16);
	p->b[6] = (uint8_t)(xid >> 8);
	p->b[7] = (uint8_t)xid;
	p->b[10] = (uint8_t)(flags >> 8);
	p->b[11] = (uint8_t)flags;
	memcpy(p->b + 28, mac, 6);
	memcpy(p->b + 236, cookie, 4);
	p->len = 240;
	p->bounds[p->nbounds++] = 240;
}

static void pkt_opt(struct pkt *p, uint8_t code, uint8_t len, const void *data)
{
	assert_true(p->len + 2 + len <= PKT_MAX);
	p->b[p->len++] = code;
	p->b[p->len++] = len;
	if (len)
		memcpy(p->b + p->len, data, len);
	p->len += len;
	assert_true(p->nbounds < ARRAY_LEN(p->bounds));
	p->bounds[p->nbounds++] = p->len;
}

static void pkt_opt1(struct pkt *p, uint8_t code, uint8_t v)
{
	pkt_opt(p, code, 1, &v);
}

static void pkt_opt_str(struct pkt *p, uint8_t code, const char *s)
{
	pkt_opt(p, code, (uint8_t)strlen(s), s);
}

static void pkt_opt_addr(struct pkt *p, uint8_t code, const char *addr)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, addr, &a), 1);
	pkt_opt(p, code, 4, &a.s_addr);
}

/* Option 255, then zeros up to @pad_to bytes in all. */
static void pkt_end(struct pkt *p, size_t pad_to)
{
	p->b[p->len++] = 255;
	p->end = p->len;
	while (p->len < pad_to)
		p->b[p->len++] = 0;
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static uint32_t xid_wire(uint32_t xid)
{
	return htonl(xid);
}

/* Parse a copy of exactly @len bytes, so ASan sees any read past the end. */
static int parse_exact(const uint8_t *b, size_t len, struct dhcp_msg *m)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	assert_non_null(copy);
	if (len)
		memcpy(copy, b, len);
	r = dhcp_parse(copy, len, m);
	free(copy);
	return r;
}

/* busybox udhcpc 1.36, "udhcpc -i eth0 -x hostname:guest": what it sends. */
static const uint8_t bb_params[] = { 1, 3, 6, 12, 15, 28, 42 };

static void build_busybox_discover(struct pkt *p)
{
	uint8_t cid[7] = { 1 };
	uint8_t max[2] = { 0x02, 0x40 }; /* 576 */

	memcpy(cid + 1, mac_a, 6);
	pkt_init(p, 1, 0x3903f326, mac_a, 0);
	pkt_opt1(p, 53, DHCP_DISCOVER);
	pkt_opt(p, 61, sizeof(cid), cid);
	pkt_opt(p, 57, 2, max);
	pkt_opt(p, 55, sizeof(bb_params), bb_params);
	pkt_opt_str(p, 12, "guest");
	pkt_opt_str(p, 60, "udhcp 1.36.1");
	pkt_end(p, 300);
}

/* iPXE 1.21: broadcast flag, PXE options, an encapsulated option 175, no padding. */
static const uint8_t ipxe_params[] = { 1,   3,	 6,   7,   12,	15,  17,  26,  43,  60,	 66, 67,
				       119, 128, 129, 130, 131, 132, 133, 134, 135, 175, 203 };

static void build_ipxe_discover(struct pkt *p)
{
	uint8_t max[2] = { 0x05, 0xc0 }; /* 1472 */
	uint8_t arch[2] = { 0, 0 };
	uint8_t ndi[3] = { 1, 2, 1 };
	uint8_t encap[] = { 0xb1, 0x05, 0x01, 0x80, 0x86, 0x10, 0x0e, 0x10, 0x01, 0x01,
			    0x13, 0x01, 0x01, 0x17, 0x01, 0x01, 0x15, 0x01, 0x01 };
	uint8_t cid[7] = { 1 };
	uint8_t uuid[17] = { 0,	   0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
			     0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

	memcpy(cid + 1, mac_a, 6);
	pkt_init(p, 1, 0xdeadbeef, mac_a, 0x8000);
	p->b[8] = 0;
	p->b[9] = 4; /* secs */
	pkt_opt1(p, 53, DHCP_DISCOVER);
	pkt_opt(p, 57, 2, max);
	pkt_opt(p, 93, 2, arch);
	pkt_opt(p, 94, 3, ndi);
	pkt_opt_str(p, 60, "PXEClient:Arch:00000:UNDI:002001");
	pkt_opt_str(p, 77, "iPXE");
	pkt_opt(p, 55, sizeof(ipxe_params), ipxe_params);
	pkt_opt(p, 175, sizeof(encap), encap);
	pkt_opt(p, 61, sizeof(cid), cid);
	pkt_opt(p, 97, sizeof(uuid), uuid);
	pkt_end(p, 0);
}

static void build_request(struct pkt *p)
{
	uint8_t cid[7] = { 1 };
	uint8_t max[2] = { 0x02, 0x40 };

	memcpy(cid + 1, mac_a, 6);
	pkt_init(p, 1, 0x11223344, mac_a, 0);
	pkt_opt1(p, 53, DHCP_REQUEST);
	pkt_opt(p, 61, sizeof(cid), cid);
	pkt_opt_addr(p, 50, "192.168.127.2");
	pkt_opt_addr(p, 54, "192.168.127.1");
	pkt_opt(p, 57, 2, max);
	pkt_opt(p, 55, sizeof(bb_params), bb_params);
	pkt_opt_str(p, 12, "guest");
	pkt_end(p, 300);
}

static void test_busybox_discover(void **state)
{
	struct pkt p;
	struct dhcp_msg m;

	(void)state;
	build_busybox_discover(&p);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(m.op, 1);
	assert_int_equal(m.htype, 1);
	assert_int_equal(m.hlen, 6);
	assert_int_equal(m.hops, 0);
	assert_int_equal(m.xid, xid_wire(0x3903f326));
	assert_int_equal(m.secs, 0);
	assert_int_equal(m.flags, 0);
	assert_int_equal(m.ciaddr, 0);
	assert_memory_equal(m.chaddr, mac_a, 6);
	assert_int_equal(m.type, DHCP_DISCOVER);
	assert_false(m.has_requested_ip);
	assert_false(m.has_server_id);
	assert_string_equal(m.hostname, "guest");
	assert_int_equal(m.client_id_len, 7);
	assert_int_equal(m.client_id[0], 1);
	assert_memory_equal(m.client_id + 1, mac_a, 6);
	assert_int_equal(m.nparams, sizeof(bb_params));
	assert_memory_equal(m.params, bb_params, sizeof(bb_params));
	assert_int_equal(m.max_size, 576);
}

static void test_ipxe_discover(void **state)
{
	struct pkt p;
	struct dhcp_msg m;

	(void)state;
	build_ipxe_discover(&p);
	assert_int_equal(p.len, p.end); /* not padded */
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(m.xid, xid_wire(0xdeadbeef));
	assert_int_equal(m.flags, 0x8000);
	assert_int_equal(m.secs, 4);
	assert_int_equal(m.type, DHCP_DISCOVER);
	assert_int_equal(m.max_size, 1472);
	assert_int_equal(m.nparams, sizeof(ipxe_params));
	assert_memory_equal(m.params, ipxe_params, sizeof(ipxe_params));
	assert_int_equal(m.client_id_len, 7);
	assert_string_equal(m.hostname, "");
	assert_false(m.has_requested_ip);
}

static void test_request(void **state)
{
	struct pkt p;
	struct dhcp_msg m;

	(void)state;
	build_request(&p);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(m.type, DHCP_REQUEST);
	assert_true(m.has_requested_ip);
	assert_int_equal(m.requested_ip, ip4("192.168.127.2"));
	assert_true(m.has_server_id);
	assert_int_equal(m.server_id, ip4("192.168.127.1"));
	assert_string_equal(m.hostname, "guest");
}

static bool is_bound(const struct pkt *p, size_t len)
{
	for (size_t i = 0; i < p->nbounds; i++)
		if (p->bounds[i] == len)
			return true;
	return p->end && len >= p->end;
}

static void check_truncations(const struct pkt *p)
{
	struct dhcp_msg m;

	for (size_t len = 0; len < p->len; len++) {
		int want = len >= DHCP_MIN_LEN && is_bound(p, len) ? 0 : -EBADMSG;
		int r = parse_exact(p->b, len, &m);

		if (r != want)
			fail_msg("length %zu of %zu: got %d, want %d", len, p->len, r, want);
	}
	assert_int_equal(parse_exact(p->b, p->len, &m), 0);
}

static void test_truncated_everywhere(void **state)
{
	struct pkt p;
	struct dhcp_msg m;

	(void)state;
	build_busybox_discover(&p);
	check_truncations(&p);
	build_ipxe_discover(&p);
	check_truncations(&p);
	build_request(&p);
	check_truncations(&p);

	/* A cut on a boundary loses the options after it, and nothing else. */
	build_request(&p);
	assert_int_equal(parse_exact(p.b, p.bounds[2], &m), 0);
	assert_int_equal(m.type, DHCP_REQUEST);
	assert_int_equal(m.client_id_len, 7);
	assert_false(m.has_requested_ip);
}

static void test_option_past_end(void **state)
{
	struct pkt p;
	struct dhcp_msg m;

	(void)state;
	/* Length byte says 200, 10 bytes follow. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 53, DHCP_DISCOVER);
	p.b[p.len++] = 55;
	p.b[p.len++] = 200;
	for (int i = 0; i < 10; i++)
		p.b[p.len++] = (uint8_t)(i + 1);
	assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);

	/* A code byte with no length byte. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 53, DHCP_DISCOVER);
	p.b[p.len++] = 12;
	assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);

	/* Exactly to the end is fine; one more byte of length is not. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt_str(&p, 12, "abc");
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_string_equal(m.hostname, "abc");
	p.b[241] = 4;
	assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);

	/* Pad bytes up to the end without option 255. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 53, DHCP_INFORM);
	p.len += 20;
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(m.type, DHCP_INFORM);

	/* Whatever follows option 255 is never read. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 53, DHCP_DISCOVER);
	pkt_end(&p, 0);
	p.b[p.len++] = 55;
	p.b[p.len++] = 250;
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(m.nparams, 0);
}

static void test_header_checks(void **state)
{
	struct pkt p;
	struct dhcp_msg m;

	(void)state;
	for (int i = 0; i < 4; i++) {
		build_busybox_discover(&p);
		p.b[236 + i] ^= 0x01;
		assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);
	}

	build_busybox_discover(&p);
	p.b[2] = 17;
	assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);
	p.b[2] = 255;
	assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);
	p.b[2] = 16;
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(m.hlen, 16);

	build_busybox_discover(&p);
	p.b[0] = 3;
	assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);
	p.b[0] = 0;
	assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);
	p.b[0] = 2;
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(m.op, 2);

	/* Just the header and cookie: a BOOTP message with no options. */
	pkt_init(&p, 1, 7, mac_a, 0);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(m.type, DHCP_NONE);

	assert_int_equal(dhcp_parse(NULL, 0, &m), -EBADMSG);
}

static void expect_bad_option(uint8_t code, uint8_t len, const uint8_t *data)
{
	struct pkt p;
	struct dhcp_msg m;

	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt(&p, code, len, data);
	pkt_end(&p, 300);
	if (parse_exact(p.b, p.len, &m) != -EBADMSG)
		fail_msg("option %u length %u accepted", code, len);
}

static void test_fixed_length_options(void **state)
{
	uint8_t d[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	uint8_t v;

	(void)state;
	expect_bad_option(53, 2, d);
	expect_bad_option(53, 0, d);
	expect_bad_option(50, 3, d);
	expect_bad_option(50, 5, d);
	expect_bad_option(54, 0, d);
	expect_bad_option(54, 8, d);
	expect_bad_option(57, 1, d);
	expect_bad_option(57, 4, d);
	expect_bad_option(52, 2, d);
	v = 0;
	expect_bad_option(53, 1, &v);
	v = 9;
	expect_bad_option(53, 1, &v);
	v = 0;
	expect_bad_option(52, 1, &v);
	v = 4;
	expect_bad_option(52, 1, &v);
}

static void test_hostname(void **state)
{
	struct pkt p;
	struct dhcp_msg m;
	char name[70];

	(void)state;
	memset(name, 'h', sizeof(name));
	name[63] = '\0';
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt_str(&p, 12, name);
	pkt_end(&p, 300);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_string_equal(m.hostname, name);

	name[63] = 'h';
	name[64] = '\0';
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt_str(&p, 12, name);
	pkt_end(&p, 300);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_string_equal(m.hostname, "");

	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt(&p, 12, 4, "ab\0c");
	pkt_end(&p, 300);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_string_equal(m.hostname, "");

	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt(&p, 12, 3,
		"a\x7f"
		"b");
	pkt_end(&p, 300);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_string_equal(m.hostname, "");

	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt(&p, 12, 3, "\xc3\xa9x");
	pkt_end(&p, 300);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_string_equal(m.hostname, "");

	/* Split over two instances (RFC 3396): one name. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt_str(&p, 12, "my ");
	pkt_opt_str(&p, 12, "host");
	pkt_end(&p, 300);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_string_equal(m.hostname, "my host");
}

/* Copy @n bytes of options into the file (@field 108) or sname (44) field. */
static void put_field(struct pkt *p, size_t field, const void *opts, size_t n)
{
	memcpy(p->b + field, opts, n);
}

static void test_overload(void **state)
{
	static const uint8_t file_opts[] = { 50, 4, 192, 168, 127, 9, 55, 2, 1, 3, 255 };
	static const uint8_t sname_opts[] = { 12, 4,   'v', 'm', '-', '1', 54,
					      4,  192, 168, 127, 1,   255 };
	struct pkt p;
	struct dhcp_msg m;

	(void)state;
	/* 3: file, then sname; the parameter list continues in the file. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 53, DHCP_REQUEST);
	pkt_opt1(&p, 52, 3);
	pkt_opt1(&p, 55, 6);
	pkt_end(&p, 300);
	put_field(&p, 108, file_opts, sizeof(file_opts));
	put_field(&p, 44, sname_opts, sizeof(sname_opts));
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(m.type, DHCP_REQUEST);
	assert_true(m.has_requested_ip);
	assert_int_equal(m.requested_ip, ip4("192.168.127.9"));
	assert_true(m.has_server_id);
	assert_int_equal(m.server_id, ip4("192.168.127.1"));
	assert_string_equal(m.hostname, "vm-1");
	assert_int_equal(m.nparams, 3);
	assert_int_equal(m.params[0], 6);
	assert_int_equal(m.params[1], 1);
	assert_int_equal(m.params[2], 3);

	/* 1: only the file; sname holds a server name that is not options. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 53, DHCP_REQUEST);
	pkt_opt1(&p, 52, 1);
	pkt_end(&p, 300);
	put_field(&p, 108, file_opts, sizeof(file_opts));
	put_field(&p, 44, "bootserver.example", 18);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_true(m.has_requested_ip);
	assert_false(m.has_server_id);
	assert_string_equal(m.hostname, "");

	/* 2: only sname; the file holds a boot file name. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 53, DHCP_REQUEST);
	pkt_opt1(&p, 52, 2);
	pkt_end(&p, 300);
	put_field(&p, 108, "pxelinux.0", 10);
	put_field(&p, 44, sname_opts, sizeof(sname_opts));
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_false(m.has_requested_ip);
	assert_true(m.has_server_id);
	assert_string_equal(m.hostname, "vm-1");

	/* No overload: neither field is looked at. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 53, DHCP_REQUEST);
	pkt_end(&p, 300);
	put_field(&p, 108, file_opts, sizeof(file_opts));
	put_field(&p, 44, sname_opts, sizeof(sname_opts));
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_false(m.has_requested_ip);
	assert_false(m.has_server_id);

	/* An option cut by the end of the file field (128 bytes). */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 52, 1);
	pkt_end(&p, 300);
	p.b[108 + 126] = 12;
	p.b[108 + 127] = 5;
	assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);

	/* An option filling the sname field exactly, no end option. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 52, 2);
	pkt_end(&p, 300);
	p.b[44] = 12;
	p.b[45] = 62;
	memset(p.b + 46, 'n', 62);
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);
	assert_int_equal(strlen(m.hostname), 62);

	/* Option 52 inside the file field does not open sname. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 52, 1);
	pkt_end(&p, 300);
	p.b[108] = 52;
	p.b[109] = 1;
	p.b[110] = 2;
	p.b[111] = 255;
	put_field(&p, 44, "\x0c\xff", 2); /* would be cut if parsed */
	assert_int_equal(parse_exact(p.b, p.len, &m), 0);

	/* A bad fixed-length option in an overloaded field is still bad. */
	pkt_init(&p, 1, 1, mac_a, 0);
	pkt_opt1(&p, 52, 1);
	pkt_end(&p, 300);
	put_field(&p, 108, "\x35\x02\x01\x01\xff", 5);
	assert_int_equal(parse_exact(p.b, p.len, &m), -EBADMSG);
}

static void check_invariants(const struct dhcp_msg *m)
{
	size_t n = strnlen(m->hostname, sizeof(m->hostname));

	assert_true(n <= DHCP_HOSTNAME_MAX);
	for (size_t i = 0; i < n; i++)
		assert_true(m->hostname[i] >= 0x20 && m->hostname[i] <= 0x7e);
	assert_true(m->nparams <= DHCP_PARAMS_MAX);
	assert_true(m->client_id_len <= DHCP_CLIENT_ID_MAX);
	assert_true(m->op == 1 || m->op == 2);
	assert_true(m->hlen <= 16);
	assert_true((unsigned)m->type <= DHCP_INFORM);
}

static void test_thousand_options(void **state)
{
	uint64_t seed = 0x1000;
	struct pkt *p = malloc(sizeof(*p));
	struct dhcp_msg m;

	(void)state;
	assert_non_null(p);
	pkt_init(p, 1, 1, mac_a, 0);
	pkt_opt1(p, 53, DHCP_DISCOVER);
	for (int i = 0; i < 1000; i++) {
		uint8_t data[8], code, len;

		rng_fill(&seed, data, sizeof(data));
		switch (i % 4) {
		case 0:
			code = 55;
			break;
		case 1:
			code = 61;
			break;
		case 2:
			code = 12;
			break;
		default:
			do {
				code = (uint8_t)rng_range(&seed, 1, 254);
			} while (code == 50 || code == 52 || code == 53 || code == 54 ||
				 code == 57);
		}
		len = (uint8_t)rng_range(&seed, 0, sizeof(data));
		pkt_opt(p, code, len, data);
	}
	pkt_end(p, 0);
	assert_int_equal(parse_exact(p->b, p->len, &m), 0);
	check_invariants(&m);
	assert_int_equal(m.type, DHCP_DISCOVER);
	assert_int_equal(m.nparams, DHCP_PARAMS_MAX);
	assert_int_equal(m.client_id_len, DHCP_CLIENT_ID_MAX);
	assert_string_equal(m.hostname, "");

	/* The same walk over 1000 random options, checked codes included. */
	for (int round = 0; round < 1000; round++) {
		pkt_init(p, 1, 1, mac_a, 0);
		for (int i = 0; i < 1000; i++) {
			uint8_t data[6];
			uint8_t code = (uint8_t)rng_range(&seed, 1, 254);

			rng_fill(&seed, data, sizeof(data));
			pkt_opt(p, code, (uint8_t)rng_range(&seed, 0, sizeof(data)), data);
		}
		int r = parse_exact(p->b, p->len, &m);

		assert_true(r == 0 || r == -EBADMSG);
		if (r == 0)
			check_invariants(&m);
	}
	free(p);
}

static void test_random_buffers(void **state)
{
	uint64_t seed = 0x5eed5eed;
	struct pkt base;
	uint8_t buf[700];
	struct dhcp_msg m;
	unsigned ok = 0;

	(void)state;
	build_request(&base);
	for (int i = 0; i < 100000; i++) {
		size_t len = rng_range(&seed, 0, sizeof(buf));
		int r;

		switch (i % 3) {
		case 0: /* noise */
			rng_fill(&seed, buf, len);
			break;
		case 1: /* a valid header, then noise as options */
			rng_fill(&seed, buf, len);
			if (len >= DHCP_MIN_LEN) {
				buf[0] = 1;
				buf[2] = 6;
				memcpy(buf + 236, cookie, 4);
			}
			break;
		default: /* a real REQUEST with a few bytes changed */
			len = rng_range(&seed, 0, base.len);
			memcpy(buf, base.b, len);
			for (int k = (int)rng_range(&seed, 1, 6); k > 0 && len; k--)
				buf[rng_range(&seed, 0, len - 1)] = (uint8_t)rng_next(&seed);
			break;
		}
		r = parse_exact(buf, len, &m);
		assert_true(r == 0 || r == -EBADMSG);
		if (r == 0) {
			check_invariants(&m);
			ok++;
		}
	}
	/* The fuzzing reaches the option walker, not only the header checks. */
	assert_true(ok > 1000);
}

/* --- replies ---------------------------------------------------------- */

static void init_reply(struct dhcp_reply *r, enum dhcp_type type)
{
	memset(r, 0, sizeof(*r));
	r->type = type;
	r->yiaddr = ip4("192.168.127.2");
	r->server_id = ip4("192.168.127.1");
	r->netmask = ip4("255.255.255.0");
	r->router = ip4("192.168.127.1");
	r->dns = ip4("192.168.127.1");
	r->lease_secs = 3600;
	r->mtu = 1500;
}

/* The 240 bytes every reply to @req starts with. */
static void expect_header(uint8_t *h, const struct dhcp_msg *req, uint32_t ciaddr, uint32_t yiaddr,
			  uint32_t siaddr)
{
	memset(h, 0, 240);
	h[0] = 2;
	h[1] = req->htype;
	h[2] = req->hlen;
	memcpy(h + 4, &req->xid, 4);
	h[10] = (uint8_t)(req->flags >> 8);
	h[11] = (uint8_t)req->flags;
	memcpy(h + 12, &ciaddr, 4);
	memcpy(h + 16, &yiaddr, 4);
	memcpy(h + 20, &siaddr, 4);
	memcpy(h + 24, &req->giaddr, 4);
	memcpy(h + 28, req->chaddr, 16);
	memcpy(h + 236, cookie, 4);
}

static void assert_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			fail_msg("byte %zu is %#x, want 0", i, p[i]);
}

static const uint8_t opts_lease_3600[] = {
	53, 1, 2,		       /* OFFER */
	54, 4, 192,  168,  127,	 1,    /* server id */
	51, 4, 0,    0,	   0x0e, 0x10, /* 3600 */
	58, 4, 0,    0,	   0x07, 0x08, /* T1 1800 */
	59, 4, 0,    0,	   0x0c, 0x4e, /* T2 3150 */
	1,  4, 255,  255,  255,	 0,    /* netmask */
	3,  4, 192,  168,  127,	 1,    /* router */
	6,  4, 192,  168,  127,	 1,    /* dns */
	26, 2, 0x05, 0xdc,	       /* mtu 1500 */
};

static void test_reply_offer(void **state)
{
	static const uint8_t tail[] = {
		15,  11,  'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g', 119, 33,  10,	'c',
		'o', 'n', 't', 'a', 'i', 'n', 'e', 'r', 's', 8,	  'i', 'n', 't', 'e', 'r', 'n', 'a',
		'l', 0,	  3,   'd', 'n', 's', 6,   'p', 'o', 'd', 'm', 'a', 'n', 0,   255,
	};
	struct pkt p;
	struct dhcp_msg req;
	struct dhcp_reply r;
	uint8_t out[DHCP_REPLY_MAX], want[DHCP_REPLY_MAX];
	size_t wlen;
	int n;

	(void)state;
	build_ipxe_discover(&p);
	p.b[24] = 10; /* a relay's giaddr */
	p.b[27] = 7;
	assert_int_equal(parse_exact(p.b, p.len, &req), 0);
	init_reply(&r, DHCP_OFFER);
	r.domain = "example.org";
	r.search[0] = "containers.internal";
	r.search[1] = "dns.podman.";
	r.message = "ignored in an offer";

	expect_header(want, &req, 0, ip4("192.168.127.2"), ip4("192.168.127.1"));
	memcpy(want + 240, opts_lease_3600, sizeof(opts_lease_3600));
	memcpy(want + 240 + sizeof(opts_lease_3600), tail, sizeof(tail));
	wlen = 240 + sizeof(opts_lease_3600) + sizeof(tail);
	assert_true(wlen > 300);

	memset(out, 0xaa, sizeof(out));
	n = dhcp_build_reply(out, sizeof(out), &req, &r);
	assert_int_equal(n, wlen);
	assert_memory_equal(out, want, wlen);
	assert_int_equal(out[10], 0x80); /* broadcast flag copied */
	assert_int_equal(out[24], 10);

	/* The reply parses back as what it is. */
	{
		struct dhcp_msg back;

		assert_int_equal(dhcp_parse(out, (size_t)n, &back), 0);
		assert_int_equal(back.op, 2);
		assert_int_equal(back.type, DHCP_OFFER);
		assert_int_equal(back.xid, req.xid);
		assert_int_equal(back.yiaddr, ip4("192.168.127.2"));
		assert_int_equal(back.siaddr, ip4("192.168.127.1"));
		assert_int_equal(back.server_id, ip4("192.168.127.1"));
	}

	/* Exactly enough room, then one byte too few. */
	assert_int_equal(dhcp_build_reply(out, wlen, &req, &r), wlen);
	assert_int_equal(dhcp_build_reply(out, wlen - 1, &req, &r), -ENOSPC);
}

static void test_reply_padding_and_times(void **state)
{
	struct pkt p;
	struct dhcp_msg req;
	struct dhcp_reply r;
	uint8_t out[DHCP_REPLY_MAX], want[300];
	int n;

	(void)state;
	build_busybox_discover(&p);
	assert_int_equal(parse_exact(p.b, p.len, &req), 0);
	init_reply(&r, DHCP_OFFER);

	memset(out, 0xaa, sizeof(out));
	n = dhcp_build_reply(out, sizeof(out), &req, &r);
	assert_int_equal(n, 300);
	expect_header(want, &req, 0, r.yiaddr, r.server_id);
	memset(want + 240, 0, 60);
	memcpy(want + 240, opts_lease_3600, sizeof(opts_lease_3600));
	want[240 + sizeof(opts_lease_3600)] = 255;
	assert_memory_equal(out, want, 300);
	assert_zero(out + 240 + sizeof(opts_lease_3600) + 1, 300 - 241 - sizeof(opts_lease_3600));

	/* 300 bytes of room are enough; 299 are not, even for a short reply. */
	assert_int_equal(dhcp_build_reply(out, 300, &req, &r), 300);
	assert_int_equal(dhcp_build_reply(out, 299, &req, &r), -ENOSPC);
	assert_int_equal(dhcp_build_reply(out, 0, &req, &r), -ENOSPC);

	/* T1 = lease / 2, T2 = lease * 7 / 8, without overflow. */
	r.lease_secs = 0xffffffff;
	assert_int_equal(dhcp_build_reply(out, sizeof(out), &req, &r), 300);
	assert_memory_equal(out + 249, "\x33\x04\xff\xff\xff\xff", 6);
	assert_memory_equal(out + 255, "\x3a\x04\x7f\xff\xff\xff", 6);
	assert_memory_equal(out + 261, "\x3b\x04\xdf\xff\xff\xff", 6);
	r.lease_secs = 7;
	assert_int_equal(dhcp_build_reply(out, sizeof(out), &req, &r), 300);
	assert_memory_equal(out + 249, "\x33\x04\x00\x00\x00\x07", 6);
	assert_memory_equal(out + 255, "\x3a\x04\x00\x00\x00\x03", 6);
	assert_memory_equal(out + 261, "\x3b\x04\x00\x00\x00\x06", 6);

	/* mtu 0 and an empty domain are left out. */
	r.lease_secs = 3600;
	r.mtu = 0;
	r.domain = "";
	assert_int_equal(dhcp_build_reply(out, sizeof(out), &req, &r), 300);
	assert_memory_equal(out + 240, opts_lease_3600, sizeof(opts_lease_3600) - 4);
	assert_int_equal(out[240 + sizeof(opts_lease_3600) - 4], 255);
}

static void test_reply_ack(void **state)
{
	struct pkt p;
	struct dhcp_msg req;
	struct dhcp_reply r;
	uint8_t out[DHCP_REPLY_MAX], want[300];

	(void)state;
	/* A renewing client: ciaddr set, sent unicast. */
	build_request(&p);
	memcpy(p.b + 12, "\xc0\xa8\x7f\x02", 4);
	assert_int_equal(parse_exact(p.b, p.len, &req), 0);
	init_reply(&r, DHCP_ACK);
	assert_int_equal(dhcp_build_reply(out, sizeof(out), &req, &r), 300);

	expect_header(want, &req, ip4("192.168.127.2"), r.yiaddr, r.server_id);
	memset(want + 240, 0, 60);
	memcpy(want + 240, opts_lease_3600, sizeof(opts_lease_3600));
	want[242] = DHCP_ACK;
	want[240 + sizeof(opts_lease_3600)] = 255;
	assert_memory_equal(out, want, 300);

	/* An OFFER never echoes ciaddr. */
	init_reply(&r, DHCP_OFFER);
	assert_int_equal(dhcp_build_reply(out, sizeof(out), &req, &r), 300);
	assert_zero(out + 12, 4);
}

static void test_reply_nak(void **state)
{
	static const uint8_t opts[] = { 53,  1,	  6,   54,  4,	 192, 168, 127, 1,
					56,  13,  'w', 'r', 'o', 'n', 'g', ' ', 'a',
					'd', 'd', 'r', 'e', 's', 's', 255 };
	struct pkt p;
	struct dhcp_msg req;
	struct dhcp_reply r;
	uint8_t out[DHCP_REPLY_MAX], want[300];

	(void)state;
	build_request(&p);
	memcpy(p.b + 12, "\xc0\xa8\x7f\x05", 4);
	p.b[10] = 0x80;
	assert_int_equal(parse_exact(p.b, p.len, &req), 0);
	init_reply(&r, DHCP_NAK); /* yiaddr and the rest set: all ignored */
	r.domain = "example.org";
	r.search[0] = "example.org";
	r.message = "wrong address";
	assert_int_equal(dhcp_build_reply(out, sizeof(out), &req, &r), 300);

	/* RFC 2131 table 3: ciaddr, yiaddr and siaddr are 0 in a NAK. */
	expect_header(want, &req, 0, 0, 0);
	memset(want + 240, 0, 60);
	memcpy(want + 240, opts, sizeof(opts));
	assert_memory_equal(out, want, 300);
	assert_int_equal(out[10], 0x80);

	/* Without a message: 53 and 54 only. */
	r.message = NULL;
	assert_int_equal(dhcp_build_reply(out, sizeof(out), &req, &r), 300);
	assert_memory_equal(out + 240, opts, 9);
	assert_int_equal(out[249], 255);
	assert_zero(out + 250, 50);
}

static void test_reply_inform(void **state)
{
	static const uint8_t opts[] = {
		53, 1,	 5,   54,  4, 192, 168, 127, 1,	  1,   4, 255, 255, 255,  0,	3,
		4,  192, 168, 127, 1, 6,   4,	192, 168, 127, 1, 26,  2,   0x05, 0xdc, 255,
	};
	struct pkt p;
	struct dhcp_msg req;
	struct dhcp_reply r;
	uint8_t out[DHCP_REPLY_MAX], want[300];

	(void)state;
	pkt_init(&p, 1, 0x55667788, mac_a, 0);
	memcpy(p.b + 12, "\xc0\xa8\x7f\x05", 4);
	pkt_opt1(&p, 53, DHCP_INFORM);
	pkt_end(&p, 300);
	assert_int_equal(parse_exact(p.b, p.len, &req), 0);
	assert_int_equal(req.type, DHCP_INFORM);
	init_reply(&r, DHCP_ACK);
	r.yiaddr = 0;
	r.lease_secs = 0;
	assert_int_equal(dhcp_build_reply(out, sizeof(out), &req, &r), 300);

	expect_header(want, &req, ip4("192.168.127.5"), 0, ip4("192.168.127.1"));
	memset(want + 240, 0, 60);
	memcpy(want + 240, opts, sizeof(opts));
	assert_memory_equal(out, want, 300);
}

static void test_reply_search_split(void **state)
{
	char names[DHCP_SEARCH_MAX][64];
	const char *list[DHCP_SEARCH_MAX + 1] = { NULL };
	uint8_t enc[2048], out[2048];
	struct pkt p;
	struct dhcp_msg req;
	struct dhcp_reply r;
	size_t off;
	int n, e;

	(void)state;
	build_busybox_discover(&p);
	assert_int_equal(parse_exact(p.b, p.len, &req), 0);
	init_reply(&r, DHCP_ACK);
	/* Six names of 60 encoded bytes: 360 bytes, more than one option holds. */
	for (int i = 0; i < DHCP_SEARCH_MAX; i++) {
		memset(names[i], 'a' + i, 50);
		strcpy(names[i] + 50, ".example");
		list[i] = names[i];
		r.search[i] = names[i]; /* all six: no NULL after them */
	}
	e = dhcp_encode_search(list, enc, sizeof(enc));
	assert_int_equal(e, 360);

	n = dhcp_build_reply(out, sizeof(out), &req, &r);
	off = 240 + sizeof(opts_lease_3600);
	assert_int_equal(n, off + 2 + 255 + 2 + 105 + 1);
	assert_int_equal(out[off], 119);
	assert_int_equal(out[off + 1], 255);
	assert_memory_equal(out + off + 2, enc, 255);
	assert_int_equal(out[off + 257], 119);
	assert_int_equal(out[off + 258], 105);
	assert_memory_equal(out + off + 259, enc + 255, 105);
	assert_int_equal(out[off + 364], 255);

	/* Parsed back, the message is well formed. */
	{
		struct dhcp_msg back;

		assert_int_equal(dhcp_parse(out, (size_t)n, &back), 0);
		assert_int_equal(back.type, DHCP_ACK);
	}

	/* It does not fit the 576 bytes every client accepts. */
	assert_int_equal(dhcp_build_reply(out, DHCP_REPLY_MAX, &req, &r), -ENOSPC);

	/* Names that cannot be encoded leave option 119 out altogether. */
	memset(&r.search, 0, sizeof(r.search));
	r.search[0] = "bad..name";
	assert_int_equal(dhcp_build_reply(out, sizeof(out), &req, &r), 300);
	assert_int_equal(out[240 + sizeof(opts_lease_3600)], 255);
}

/* --- search list encoding --------------------------------------------- */

static void test_search_two_names(void **state)
{
	static const uint8_t want[] = { 7,   'e', 'x', 'a', 'm', 'p', 'l', 'e', 3,   'c', 'o',
					'm', 0,	  4,   'c', 'o', 'r', 'p', 7,	'e', 'x', 'a',
					'm', 'p', 'l', 'e', 3,	 'o', 'r', 'g', 0 };
	const char *names[] = { "example.com", "corp.example.org.", NULL };
	uint8_t out[64];

	(void)state;
	memset(out, 0xaa, sizeof(out));
	assert_int_equal(dhcp_encode_search(names, out, sizeof(out)), sizeof(want));
	assert_memory_equal(out, want, sizeof(want));

	assert_int_equal(dhcp_encode_search(names, out, sizeof(want)), sizeof(want));
	assert_int_equal(dhcp_encode_search(names, out, sizeof(want) - 1), -ENOSPC);
	assert_int_equal(dhcp_encode_search(names, out, 0), -ENOSPC);
}

static void test_search_skips_bad_names(void **state)
{
	char l63[80], l64[80], long256[300], long255[300];
	uint8_t out[1024];
	const char *names[8];

	(void)state;
	memset(l63, 'x', 63);
	strcpy(l63 + 63, ".com");
	memset(l64, 'y', 64);
	strcpy(l64 + 64, ".com");

	names[0] = l64;
	names[1] = "a.b";
	names[2] = NULL;
	assert_int_equal(dhcp_encode_search(names, out, sizeof(out)), 5);
	assert_memory_equal(out,
			    "\x01"
			    "a\x01"
			    "b\x00",
			    5);

	names[0] = l63;
	names[1] = NULL;
	assert_int_equal(dhcp_encode_search(names, out, sizeof(out)), 1 + 63 + 1 + 3 + 1);
	assert_int_equal(out[0], 63);

	/* 63.63.63.61 encodes to exactly 255 bytes; 63.63.63.62 to 256. */
	memset(long255, 'z', sizeof(long255));
	long255[63] = long255[127] = long255[191] = '.';
	long255[253] = '\0';
	memcpy(long256, long255, sizeof(long256));
	long256[253] = 'z';
	long256[254] = '\0';
	names[0] = long256;
	names[1] = long255;
	names[2] = NULL;
	assert_int_equal(dhcp_encode_search(names, out, sizeof(out)), 255);
	assert_int_equal(out[0], 63);
	assert_int_equal(out[192], 61);
	assert_int_equal(out[254], 0);

	names[0] = "";
	names[1] = ".";
	names[2] = "a..b";
	names[3] = ".lead";
	names[4] = "trail..";
	names[5] = NULL;
	assert_int_equal(dhcp_encode_search(names, out, sizeof(out)), 0);
	assert_int_equal(dhcp_encode_search(NULL, out, sizeof(out)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busybox_discover),
		cmocka_unit_test(test_ipxe_discover),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_option_past_end),
		cmocka_unit_test(test_header_checks),
		cmocka_unit_test(test_fixed_length_options),
		cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_overload),
		cmocka_unit_test(test_thousand_options),
		cmocka_unit_test(test_random_buffers),
		cmocka_unit_test(test_reply_offer),
		cmocka_unit_test(test_reply_padding_and_times),
		cmocka_unit_test(test_reply_ack),
		cmocka_unit_test(test_reply_nak),
		cmocka_unit_test(test_reply_inform),
		cmocka_unit_test(test_reply_search_split),
		cmocka_unit_test(test_search_two_names),
		cmocka_unit_test(test_search_skips_bad_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
