// SPDX-License-Identifier: MIT
/*
 * test_dns_wire.c - backend/dns_wire.c: DNS messages on byte buffers
 *
 * Queries are built by hand, byte by byte, so a test states the wire form it
 * means. Parsing: real A/AAAA/EDNS queries, every truncation of a query, the
 * header checks (QR, opcode, question count). Names: backward pointers and
 * chains, every way a pointer can be bad (self, mutual, forward, into the
 * header, past the end, one hop too many), label and name length limits,
 * reserved label types, escapes, output capacity. Responses and errors are
 * compared with their exact expected bytes; truncation is checked against
 * the answer count. Last, 100000 random and near-valid buffers (fixed seed),
 * each in an exactly-sized heap block so ASan sees any read past its end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "dns_wire.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPE_MX 15
#define TYPE_OPT 41

/* Append @name ("a.b.c", "" for the root) in wire form at @p. */
static size_t put_name(uint8_t *p, const char *name)
{
	size_t n = 0;

	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		p[n++] = (uint8_t)l;
		memcpy(p + n, name, l);
		n += l;
		name += l + (dot ? 1 : 0);
	}
	p[n++] = 0;
	return n;
}

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_header(uint8_t *p, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an,
		       uint16_t ns, uint16_t ar)
{
	put_u16(p, id);
	put_u16(p + 2, flags);
	put_u16(p + 4, qd);
	put_u16(p + 6, an);
	put_u16(p + 8, ns);
	put_u16(p + 10, ar);
}

/* A standard query (RD set) for @name/@qtype/IN. Return: its length. */
static size_t build_query(uint8_t *buf, uint16_t id, const char *name, uint16_t qtype)
{
	size_t n;

	put_header(buf, id, 0x0100, 1, 0, 0, 0);
	n = DNS_HDR_LEN + put_name(buf + DNS_HDR_LEN, name);
	put_u16(buf + n, qtype);
	put_u16(buf + n + 2, DNS_CLASS_IN);
	return n + 4;
}

/* A heap copy of exactly @len bytes, so ASan catches any read past it. */
static uint8_t *exact_copy(const uint8_t *p, size_t len)
{
	uint8_t *c = malloc(len ? len : 1);

	assert_non_null(c);
	if (len)
		memcpy(c, p, len);
	return c;
}

static int parse_exact(const uint8_t *buf, size_t len, struct dns_header *h, struct dns_question *q)
{
	uint8_t *c = exact_copy(buf, len);
	int r = dns_parse_query(c, len, h, q);

	free(c);
	return r;
}

static int decode_exact(const uint8_t *msg, size_t len, size_t off, char *out, size_t cap,
			size_t *next)
{
	uint8_t *c = exact_copy(msg, len);
	int r = dns_decode_name(c, len, off, out, cap, next);

	free(c);
	return r;
}

/* ---- header and queries ------------------------------------------------ */

static void test_parse_header(void **state)
{
	static const uint8_t b[DNS_HDR_LEN] = { 0xab, 0xcd, 0x97, 0x83, 0x00, 0x01,
						0x00, 0x02, 0x00, 0x03, 0x00, 0x04 };
	struct dns_header h;

	(void)state;
	assert_int_equal(dns_parse_header(b, sizeof(b), &h), 0);
	assert_int_equal(h.id, 0xabcd);
	/* 0x9783: QR, opcode 2, AA, TC, RD; RA, rcode 3 */
	assert_true(h.qr);
	assert_int_equal(h.opcode, 2);
	assert_true(h.aa);
	assert_true(h.tc);
	assert_true(h.rd);
	assert_true(h.ra);
	assert_int_equal(h.rcode, 3);
	assert_int_equal(h.qdcount, 1);
	assert_int_equal(h.ancount, 2);
	assert_int_equal(h.nscount, 3);
	assert_int_equal(h.arcount, 4);

	for (size_t len = 0; len < DNS_HDR_LEN; len++) {
		uint8_t *c = exact_copy(b, len);

		assert_int_equal(dns_parse_header(c, len, &h), -EBADMSG);
		free(c);
	}
}

static void test_query_a(void **state)
{
	static const uint8_t query[] = {
		0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 4,    'h',
		'o',  's',  't',  10,	'c',  'o',  'n',  't',	'a',  'i',  'n',  'e',	'r',  's',
		8,    'i',  'n',  't',	'e',  'r',  'n',  'a',	'l',  0,    0x00, 0x01, 0x00, 0x01,
	};
	struct dns_header h;
	struct dns_question q;

	(void)state;
	assert_int_equal(parse_exact(query, sizeof(query), &h, &q), 0);
	assert_int_equal(h.id, 0x1234);
	assert_false(h.qr);
	assert_true(h.rd);
	assert_int_equal(h.opcode, DNS_OPCODE_QUERY);
	assert_int_equal(h.qdcount, 1);
	assert_string_equal(q.name, "host.containers.internal.");
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.qclass, DNS_CLASS_IN);
	assert_int_equal(q.end, sizeof(query));
}

static void test_query_aaaa_mixed_case(void **state)
{
	uint8_t buf[128];
	struct dns_header h;
	struct dns_question q;
	size_t len = build_query(buf, 7, "Host.Docker.INTERNAL", DNS_TYPE_AAAA);

	(void)state;
	assert_int_equal(parse_exact(buf, len, &h, &q), 0);
	assert_string_equal(q.name, "host.docker.internal.");
	assert_int_equal(q.qtype, DNS_TYPE_AAAA);
	assert_int_equal(q.end, len);

	/* The root, as "dig . NS" asks. */
	len = build_query(buf, 7, "", 2);
	assert_int_equal(parse_exact(buf, len, &h, &q), 0);
	assert_string_equal(q.name, ".");
	assert_int_equal(q.end, DNS_HDR_LEN + 1 + 4);
}

/* What dig sends by default: an OPT pseudo-record in the additional section. */
static size_t build_edns_query(uint8_t *buf)
{
	size_t n = build_query(buf, 0x4242, "host.containers.internal", DNS_TYPE_A);

	put_u16(buf + 10, 1); /* ARCOUNT */
	buf[n++] = 0;	      /* owner: root */
	put_u16(buf + n, TYPE_OPT);
	put_u16(buf + n + 2, 1232); /* UDP payload size */
	memset(buf + n + 4, 0, 4);  /* extended rcode, version, flags */
	put_u16(buf + n + 8, 12);   /* RDLENGTH: one COOKIE option */
	put_u16(buf + n + 10, 10);
	put_u16(buf + n + 12, 8);
	memset(buf + n + 14, 0x5a, 8);
	return n + 22;
}

static void test_query_edns(void **state)
{
	uint8_t buf[128];
	struct dns_header h;
	struct dns_question q;
	size_t len = build_edns_query(buf);

	(void)state;
	assert_int_equal(parse_exact(buf, len, &h, &q), 0);
	assert_int_equal(h.arcount, 1);
	assert_string_equal(q.name, "host.containers.internal.");
	assert_int_equal(q.qtype, DNS_TYPE_A);
	assert_int_equal(q.end, DNS_HDR_LEN + 26 + 4); /* the OPT record is not ours */
}

static void test_query_truncated(void **state)
{
	uint8_t buf[128];
	struct dns_header h;
	struct dns_question q;
	size_t len = build_query(buf, 1, "host.containers.internal", DNS_TYPE_A);
	size_t elen;

	(void)state;
	for (size_t l = 0; l < len; l++)
		assert_int_equal(parse_exact(buf, l, &h, &q), -EBADMSG);
	assert_int_equal(parse_exact(buf, len, &h, &q), 0);

	/* Cut anywhere in the OPT record: the question is still whole. */
	elen = build_edns_query(buf);
	for (size_t l = len; l <= elen; l++) {
		assert_int_equal(parse_exact(buf, l, &h, &q), 0);
		assert_int_equal(q.end, len);
	}
}

static void test_query_header_checks(void **state)
{
	uint8_t buf[128];
	struct dns_header h;
	struct dns_question q;
	size_t len = build_query(buf, 1, "a.example", DNS_TYPE_A);

	(void)state;
	/* No question. */
	put_u16(buf + 4, 0);
	assert_int_equal(parse_exact(buf, len, &h, &q), -EBADMSG);
	assert_int_equal(parse_exact(buf, DNS_HDR_LEN, &h, &q), -EBADMSG);

	/* 5000 announced, one present: only the first is read. */
	put_u16(buf + 4, 5000);
	assert_int_equal(parse_exact(buf, len, &h, &q), 0);
	assert_int_equal(h.qdcount, 5000);
	assert_string_equal(q.name, "a.example.");
	assert_int_equal(q.end, len);
	put_u16(buf + 4, 1);

	/* A response is not a query. */
	buf[2] |= 0x80;
	assert_int_equal(parse_exact(buf, len, &h, &q), -EBADMSG);
	buf[2] &= 0x7f;

	/* IQUERY, STATUS, NOTIFY, UPDATE and the rest: NOTIMP. */
	for (uint8_t op = 1; op < 16; op++) {
		buf[2] = (uint8_t)(op << 3 | 0x01);
		assert_int_equal(parse_exact(buf, len, &h, &q), -EOPNOTSUPP);
		assert_int_equal(h.opcode, op);
	}
	/* Opcode is judged before the question: NOTIMP even with none. */
	put_u16(buf + 4, 0);
	assert_int_equal(parse_exact(buf, DNS_HDR_LEN, &h, &q), -EOPNOTSUPP);
	buf[2] = 0x01;
	put_u16(buf + 4, 1);
	assert_int_equal(parse_exact(buf, len, &h, &q), 0);

	/* Other flags in a query are not our concern. */
	buf[2] = 0x07; /* AA, TC, RD */
	buf[3] = 0xff; /* RA, Z, rcode 15 */
	assert_int_equal(parse_exact(buf, len, &h, &q), 0);
}

/* The first question can only point into the header: never valid. */
static void test_query_pointer_in_question(void **state)
{
	uint8_t buf[64];
	struct dns_header h;
	struct dns_question q;

	(void)state;
	for (uint8_t t = 0; t <= DNS_HDR_LEN + 2; t++) {
		put_header(buf, 1, 0x0100, 1, 0, 0, 0);
		buf[12] = 0xc0;
		buf[13] = t;
		put_u16(buf + 14, DNS_TYPE_A);
		put_u16(buf + 16, DNS_CLASS_IN);
		assert_int_equal(parse_exact(buf, 18, &h, &q), -EBADMSG);
	}
}

/* ---- names ------------------------------------------------------------- */

static void test_name_pointers_back(void **state)
{
	uint8_t m[128];
	char out[DNS_NAME_MAX * 4 + 2];
	size_t a, b, c, next = 0;

	(void)state;
	memset(m, 0, sizeof(m));
	a = DNS_HDR_LEN;
	b = a + put_name(m + a, "com");		/* "com." */
	c = b + put_name(m + b, "example") - 1; /* "example" + ptr a */
	m[c] = 0xc0;
	m[c + 1] = (uint8_t)a;
	c += 2;
	m[c] = 3; /* "www" + ptr b */
	memcpy(m + c + 1, "www", 3);
	m[c + 4] = 0xc0;
	m[c + 5] = (uint8_t)b;

	assert_int_equal(decode_exact(m, c + 6, a, out, sizeof(out), &next), 0);
	assert_string_equal(out, "com.");
	assert_int_equal(next, a + 5);
	assert_int_equal(decode_exact(m, c + 6, b, out, sizeof(out), &next), 0);
	assert_string_equal(out, "example.com.");
	assert_int_equal(next, c); /* just after the first pointer */
	assert_int_equal(decode_exact(m, c + 6, c, out, sizeof(out), &next), 0);
	assert_string_equal(out, "www.example.com.");
	assert_int_equal(next, c + 6);

	/* A bare pointer to the root label. */
	m[40] = 0;
	m[41] = 0xc0;
	m[42] = 40;
	assert_int_equal(decode_exact(m, 43, 41, out, sizeof(out), &next), 0);
	assert_string_equal(out, ".");
	assert_int_equal(next, 43);
	/* @next may be NULL. */
	assert_int_equal(decode_exact(m, 43, 41, out, sizeof(out), NULL), 0);
}

static void test_name_pointer_loops(void **state)
{
	uint8_t m[64];
	char out[64];
	size_t next = 12345;

	(void)state;
	memset(m, 0, sizeof(m));
	/* A pointer to itself. */
	m[20] = 0xc0;
	m[21] = 20;
	assert_int_equal(decode_exact(m, 22, 20, out, sizeof(out), &next), -EBADMSG);

	/* Two pointers to each other, entered from either end. */
	m[20] = 0xc0;
	m[21] = 30;
	m[30] = 0xc0;
	m[31] = 20;
	assert_int_equal(decode_exact(m, 32, 20, out, sizeof(out), &next), -EBADMSG);
	assert_int_equal(decode_exact(m, 32, 30, out, sizeof(out), &next), -EBADMSG);

	/* A label then a pointer back to that label's start: a loop, although
	 * the pointer itself points backwards. */
	m[20] = 1;
	m[21] = 'a';
	m[22] = 0xc0;
	m[23] = 20;
	assert_int_equal(decode_exact(m, 24, 20, out, sizeof(out), &next), -EBADMSG);

	/* The same loop entered through a chain: 26 -> 20 -> "a" -> 20. */
	m[26] = 0xc0;
	m[27] = 20;
	assert_int_equal(decode_exact(m, 28, 26, out, sizeof(out), &next), -EBADMSG);

	/* Pointing into the middle of the name already walked. */
	m[20] = 1;
	m[21] = 'a';
	m[22] = 1;
	m[23] = 'b';
	m[24] = 0xc0;
	m[25] = 22;
	assert_int_equal(decode_exact(m, 26, 20, out, sizeof(out), &next), -EBADMSG);
	assert_int_equal(next, 12345); /* untouched on error */
}

static void test_name_bad_pointers(void **state)
{
	uint8_t m[64];
	char out[64];
	size_t next;

	(void)state;
	memset(m, 0, sizeof(m));
	/* Forward, to a perfectly good name. */
	m[12] = 0xc0;
	m[13] = 20;
	put_name(m + 20, "ok");
	assert_int_equal(decode_exact(m, 24, 12, out, sizeof(out), &next), -EBADMSG);
	assert_int_equal(decode_exact(m, 24, 20, out, sizeof(out), &next), 0);

	/* Far past the end of the message (and forward). */
	m[30] = 0xff;
	m[31] = 0xff;
	assert_int_equal(decode_exact(m, 32, 30, out, sizeof(out), &next), -EBADMSG);
	m[30] = 0xc1;
	m[31] = 0x00;
	assert_int_equal(decode_exact(m, 32, 30, out, sizeof(out), &next), -EBADMSG);

	/* Into the header, which holds no names (byte 0 of it is 0 here, so
	 * it would even decode as the root). */
	for (uint8_t t = 0; t < DNS_HDR_LEN; t++) {
		m[30] = 0xc0;
		m[31] = t;
		assert_int_equal(decode_exact(m, 32, 30, out, sizeof(out), &next), -EBADMSG);
	}
	/* A pointer cut after its first byte. */
	m[30] = 0xc0;
	assert_int_equal(decode_exact(m, 31, 30, out, sizeof(out), &next), -EBADMSG);
	/* Offsets at or past the end. */
	assert_int_equal(decode_exact(m, 31, 31, out, sizeof(out), &next), -EBADMSG);
	assert_int_equal(decode_exact(m, 31, 1000, out, sizeof(out), &next), -EBADMSG);
	assert_int_equal(decode_exact(m, 0, 0, out, sizeof(out), &next), -EBADMSG);
}

/* A chain of @hops pointers, each to the one before, ending at the root. */
static size_t build_chain(uint8_t *m, unsigned int hops)
{
	size_t pos = DNS_HDR_LEN;

	memset(m, 0, DNS_HDR_LEN);
	m[pos++] = 0;
	for (unsigned int i = 0; i < hops; i++) {
		size_t target = i == 0 ? DNS_HDR_LEN : pos - 2;

		m[pos] = (uint8_t)(0xc0 | target >> 8);
		m[pos + 1] = (uint8_t)target;
		pos += 2;
	}
	return pos; /* the last pointer is at pos - 2 */
}

static void test_name_pointer_hops(void **state)
{
	uint8_t m[256];
	char out[8];
	size_t len, next;

	(void)state;
	for (unsigned int hops = 1; hops <= DNS_POINTERS_MAX; hops++) {
		len = build_chain(m, hops);
		assert_int_equal(decode_exact(m, len, len - 2, out, sizeof(out), &next), 0);
		assert_string_equal(out, ".");
		assert_int_equal(next, len);
	}
	len = build_chain(m, DNS_POINTERS_MAX + 1);
	assert_int_equal(decode_exact(m, len, len - 2, out, sizeof(out), &next), -EBADMSG);
	assert_int_equal(decode_exact(m, len, len - 4, out, sizeof(out), &next), 0);
}

static void test_name_label_lengths(void **state)
{
	uint8_t m[128];
	char out[DNS_NAME_MAX * 4 + 2];
	char want[80];
	size_t next;

	(void)state;
	memset(m, 0, sizeof(m));
	/* 63 bytes: the longest label. */
	m[12] = 63;
	memset(m + 13, 'x', 63);
	m[76] = 0;
	assert_int_equal(decode_exact(m, 77, 12, out, sizeof(out), &next), 0);
	memset(want, 'x', 63);
	want[63] = '.';
	want[64] = '\0';
	assert_string_equal(out, want);
	assert_int_equal(next, 77);

	/* 64 is the 0x40 extended label type; 0x80 is reserved; all others too. */
	for (unsigned int c = 0x40; c < 0xc0; c++) {
		m[12] = (uint8_t)c;
		memset(m + 13, 'x', 100);
		m[113] = 0;
		assert_int_equal(decode_exact(m, 128, 12, out, sizeof(out), &next), -EBADMSG);
	}

	/* An empty label is only the root: 0 ends the name. */
	m[12] = 1;
	m[13] = 'a';
	m[14] = 0;
	m[15] = 1;
	assert_int_equal(decode_exact(m, 16, 12, out, sizeof(out), &next), 0);
	assert_string_equal(out, "a.");
	assert_int_equal(next, 15);
}

/* Labels of the given lengths at @m + @off, then the root; bytes 'a'. */
static size_t put_labels(uint8_t *m, size_t off, const unsigned int *lens, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		m[off++] = (uint8_t)lens[i];
		memset(m + off, 'a', lens[i]);
		off += lens[i];
	}
	m[off++] = 0;
	return off;
}

static void test_name_total_length(void **state)
{
	static const unsigned int exact[] = { 63, 63, 63, 61 };	 /* 255 */
	static const unsigned int over[] = { 63, 63, 63, 62 };	 /* 256 */
	static const unsigned int four63[] = { 63, 63, 63, 63 }; /* 257 */
	static const unsigned int three63[] = { 63, 63, 63 };	 /* 193 */
	static const unsigned int tiny[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
					     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	uint8_t m[1024];
	char out[DNS_NAME_MAX * 4 + 2];
	size_t end, next, p;

	(void)state;
	memset(m, 0, sizeof(m));
	end = put_labels(m, 12, exact, 4);
	assert_int_equal(end - 12, DNS_NAME_MAX);
	assert_int_equal(decode_exact(m, end, 12, out, sizeof(out), &next), 0);
	assert_int_equal(strlen(out), DNS_NAME_MAX - 1); /* 250 bytes + 4 dots */
	assert_int_equal(next, end);

	end = put_labels(m, 12, over, 4);
	assert_int_equal(decode_exact(m, end, 12, out, sizeof(out), &next), -EBADMSG);
	end = put_labels(m, 12, four63, 4);
	assert_int_equal(decode_exact(m, end, 12, out, sizeof(out), &next), -EBADMSG);

	/* Too long only once the pointer is followed: 64 + 193 = 257. */
	end = put_labels(m, 12, three63, 3);
	p = end;
	m[p] = 63;
	memset(m + p + 1, 'b', 63);
	m[p + 64] = 0xc0;
	m[p + 65] = 12;
	assert_int_equal(decode_exact(m, p + 66, 12, out, sizeof(out), &next), 0);
	assert_int_equal(decode_exact(m, p + 66, p, out, sizeof(out), &next), -EBADMSG);
	/* 61 + 1 + 193 = 255 fits. */
	m[p] = 61;
	m[p + 62] = 0xc0;
	m[p + 63] = 12;
	assert_int_equal(decode_exact(m, p + 64, p, out, sizeof(out), &next), 0);
	assert_int_equal(next, p + 64);

	/* Length octets count too: 31 one-byte labels are 63 bytes on the wire;
	 * three labels of 63 in front of them make 255, one more label 257. */
	end = put_labels(m, 12, tiny, 31);
	assert_int_equal(end - 12, 63);
	assert_int_equal(decode_exact(m, end, 12, out, sizeof(out), &next), 0);
	m[end] = 1;
	m[end + 1] = 'z';
	p = put_labels(m, end + 2, three63, 3) - 1;
	m[p] = 0xc0;
	m[p + 1] = 12;
	assert_int_equal(decode_exact(m, p + 2, end + 2, out, sizeof(out), &next), 0);
	assert_int_equal(strlen(out), 3 * 64 + 31 * 2);
	assert_int_equal(decode_exact(m, p + 2, end, out, sizeof(out), &next), -EBADMSG);
}

static void test_name_escapes(void **state)
{
	static const uint8_t label[] = { 'A', 'z',  '0',  '9',	'-', '_', '.',
					 ' ', '\\', 0x00, 0xff, '"', '*', 0x7f };
	uint8_t m[64];
	char out[DNS_NAME_MAX * 4 + 2];
	size_t next;

	(void)state;
	memset(m, 0, sizeof(m));
	m[12] = sizeof(label);
	memcpy(m + 13, label, sizeof(label));
	put_name(m + 13 + sizeof(label), "COM");
	assert_int_equal(decode_exact(m, 13 + sizeof(label) + 5, 12, out, sizeof(out), &next), 0);
	assert_string_equal(out, "az09-_\\046\\032\\092\\000\\255\\034\\042\\127.com.");
}

static void test_name_capacity(void **state)
{
	uint8_t m[64];
	char out[32];
	size_t len, next = 99;

	(void)state;
	memset(m, 0, sizeof(m));
	len = 12 + put_name(m + 12, "ab.cd"); /* "ab.cd." + NUL = 7 */
	assert_int_equal(decode_exact(m, len, 12, out, 7, &next), 0);
	assert_string_equal(out, "ab.cd.");
	for (size_t cap = 0; cap < 7; cap++) {
		char *o = malloc(cap ? cap : 1); /* exact, for ASan */

		assert_non_null(o);
		next = 99;
		assert_int_equal(dns_decode_name(m, len, 12, cap ? o : NULL, cap, &next), -ENOSPC);
		assert_int_equal(next, 99);
		free(o);
	}

	/* The root needs "." and a NUL. */
	m[12] = 0;
	assert_int_equal(decode_exact(m, 13, 12, out, 2, &next), 0);
	assert_string_equal(out, ".");
	assert_int_equal(decode_exact(m, 13, 12, out, 1, &next), -ENOSPC);
	assert_int_equal(decode_exact(m, 13, 12, NULL, 0, &next), -ENOSPC);

	/* A malformed name is -EBADMSG whatever the capacity. */
	len = 12 + put_name(m + 12, "ab.cd");
	assert_int_equal(decode_exact(m, len - 1, 12, out, 1, &next), -EBADMSG);

	/* The worst case, every byte escaped, fits dns_question.name. */
	{
		static const unsigned int lens[] = { 63, 63, 63, 61 };
		uint8_t big[300];
		struct dns_question q;
		size_t end = 12, expect = 0;

		memset(big, 0, 12);
		for (size_t i = 0; i < 4; i++) {
			big[end++] = (uint8_t)lens[i];
			memset(big + end, 0xff, lens[i]);
			end += lens[i];
			expect += 4 * lens[i] + 1;
		}
		big[end++] = 0;
		assert_int_equal(decode_exact(big, end, 12, q.name, sizeof(q.name), &next), 0);
		assert_int_equal(strlen(q.name), expect);
		assert_true(expect + 1 <= sizeof(q.name));
	}
}

/* ---- responses --------------------------------------------------------- */

static const uint8_t q_host[] = {
	4,   'h', 'o', 's', 't', 10,  'c', 'o', 'n', 't', 'a', 'i', 'n', 'e', 'r',
	's', 8,	  'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0,   0,   1,	 0,   1,
};

static void test_response_a(void **state)
{
	uint8_t query[128], out[512], want[128];
	struct dns_header h;
	struct dns_question q;
	struct dns_answer ans = { .type = DNS_TYPE_A, .ttl = 0x01020304 };
	size_t qlen = build_query(query, 0xbeef, "host.containers.internal", DNS_TYPE_A);
	size_t w = 0;
	int n;

	(void)state;
	assert_int_equal(dns_parse_query(query, qlen, &h, &q), 0);
	assert_int_equal(inet_pton(AF_INET, "192.168.127.1", &ans.a), 1);
	memset(out, 0xee, sizeof(out));
	n = dns_build_response(out, DNS_UDP_MAX, query, &q, DNS_RCODE_NOERROR, true, &ans, 1);

	/* id; QR AA RD | RA NOERROR; 1 question, 1 answer, 0, 0 */
	put_header(want, 0xbeef, 0x8580, 1, 1, 0, 0);
	w = DNS_HDR_LEN;
	memcpy(want + w, q_host, sizeof(q_host));
	w += sizeof(q_host);
	{
		static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0,   1,	  1,   2,
					      3,    4,	  0, 4, 192, 168, 127, 1 };

		memcpy(want + w, rr, sizeof(rr));
		w += sizeof(rr);
	}
	assert_int_equal(n, w);
	assert_int_equal(n, 12 + 30 + 16);
	assert_memory_equal(out, want, w);
	assert_int_equal(out[w], 0xee); /* nothing written past the end */

	/* TTL 0, AA off, RD off in the query: off in the response. */
	query[2] = 0;
	ans.ttl = 0;
	n = dns_build_response(out, DNS_UDP_MAX, query, &q, DNS_RCODE_NOERROR, false, &ans, 1);
	assert_int_equal(n, w);
	assert_int_equal(get_u16(out + 2), 0x8080);
	assert_memory_equal(out + w - 10, "\0\0\0\0\0\4", 6);

	/* The response's question decodes to the same name. */
	{
		char name[64];
		size_t next;

		assert_int_equal(dns_decode_name(out, (size_t)n, 12, name, sizeof(name), &next), 0);
		assert_string_equal(name, q.name);
		assert_int_equal(next, 12 + 26);
	}
}

static void test_response_aaaa(void **state)
{
	uint8_t query[128], out[512];
	struct dns_header h;
	struct dns_question q;
	struct dns_answer ans[2] = { { .type = DNS_TYPE_AAAA, .ttl = 0 },
				     { .type = DNS_TYPE_AAAA, .ttl = 60 } };
	size_t qlen = build_query(query, 0x0102, "host.containers.internal", DNS_TYPE_AAAA);
	static const uint8_t rr0[] = { 0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 0, 0, 16, 0xfd, 0,
				       0,    0,	   0, 0,  0, 0, 0, 0, 0, 0, 0, 0,  0,	 1 };
	static const uint8_t rr1[] = { 0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16, 0x20, 0x01,
				       0x0d, 0xb8, 0, 0,  0, 0, 0, 0, 0, 0,  0, 0,  0,	  2 };
	int n;

	(void)state;
	assert_int_equal(dns_parse_query(query, qlen, &h, &q), 0);
	assert_int_equal(inet_pton(AF_INET6, "fd00::1", &ans[0].aaaa), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", &ans[1].aaaa), 1);
	n = dns_build_response(out, sizeof(out), query, &q, DNS_RCODE_NOERROR, true, ans, 2);
	assert_int_equal(n, 12 + 30 + 2 * 28);
	assert_int_equal(get_u16(out), 0x0102);
	assert_int_equal(get_u16(out + 2), 0x8580);
	assert_int_equal(get_u16(out + 4), 1);
	assert_int_equal(get_u16(out + 6), 2);
	assert_int_equal(get_u16(out + 8), 0);
	assert_int_equal(get_u16(out + 10), 0);
	assert_memory_equal(out + 12, query + 12, 30);
	assert_int_equal(out[12 + 30 - 3], 28); /* echoed QTYPE */
	assert_memory_equal(out + 42, rr0, sizeof(rr0));
	assert_memory_equal(out + 42 + 28, rr1, sizeof(rr1));
}

static void test_response_nxdomain(void **state)
{
	uint8_t query[128], out[512];
	struct dns_header h;
	struct dns_question q;
	size_t qlen = build_query(query, 0x7777, "nope.containers.internal", DNS_TYPE_A);
	int n;

	(void)state;
	assert_int_equal(dns_parse_query(query, qlen, &h, &q), 0);
	n = dns_build_response(out, sizeof(out), query, &q, DNS_RCODE_NXDOMAIN, true, NULL, 0);
	assert_int_equal(n, qlen);
	assert_int_equal(get_u16(out), 0x7777);
	assert_int_equal(get_u16(out + 2), 0x8583);
	assert_int_equal(get_u16(out + 4), 1);
	assert_int_equal(get_u16(out + 6), 0);
	assert_int_equal(get_u16(out + 8), 0);
	assert_int_equal(get_u16(out + 10), 0);
	assert_memory_equal(out + 12, query + 12, qlen - 12);

	/* NODATA: NOERROR with no answers, and SERVFAIL likewise. */
	n = dns_build_response(out, sizeof(out), query, &q, DNS_RCODE_NOERROR, true, NULL, 0);
	assert_int_equal(n, qlen);
	assert_int_equal(get_u16(out + 2), 0x8580);
	n = dns_build_response(out, sizeof(out), query, &q, DNS_RCODE_SERVFAIL, false, NULL, 0);
	assert_int_equal(n, qlen);
	assert_int_equal(get_u16(out + 2), 0x8182);
}

static void test_response_edns_query(void **state)
{
	uint8_t query[128], out[512];
	struct dns_header h;
	struct dns_question q;
	struct dns_answer ans = { .type = DNS_TYPE_A };
	size_t qlen = build_edns_query(query);
	int n;

	(void)state;
	assert_int_equal(dns_parse_query(query, qlen, &h, &q), 0);
	n = dns_build_response(out, sizeof(out), query, &q, DNS_RCODE_NOERROR, true, &ans, 1);
	/* The OPT record is neither echoed nor counted. */
	assert_int_equal(n, 12 + 30 + 16);
	assert_int_equal(get_u16(out + 10), 0);
	assert_memory_equal(out + 12, q_host, sizeof(q_host));
}

static void test_response_truncation(void **state)
{
	uint8_t query[128], out[DNS_MSG_MAX];
	struct dns_header h;
	struct dns_question q;
	struct dns_answer ans[100];
	size_t qlen = build_query(query, 9, "host.containers.internal", DNS_TYPE_A);
	int n;

	(void)state;
	assert_int_equal(dns_parse_query(query, qlen, &h, &q), 0);
	for (size_t i = 0; i < 100; i++) {
		ans[i].type = DNS_TYPE_A;
		ans[i].ttl = 0;
		ans[i].a.s_addr = htonl(0x0a000000u + (uint32_t)i);
	}
	/* (512 - 42) / 16 = 29 answers. */
	n = dns_build_response(out, DNS_UDP_MAX, query, &q, DNS_RCODE_NOERROR, true, ans, 100);
	assert_int_equal(n, 42 + 29 * 16);
	assert_true(n <= DNS_UDP_MAX);
	assert_int_equal(get_u16(out + 2), 0x8780); /* TC */
	assert_int_equal(get_u16(out + 6), 29);
	/* The last one written is the 29th, whole. */
	assert_int_equal(out[n - 1], 28);

	/* Without the cap, all of them and no TC. */
	n = dns_build_response(out, sizeof(out), query, &q, DNS_RCODE_NOERROR, true, ans, 100);
	assert_int_equal(n, 42 + 100 * 16);
	assert_int_equal(get_u16(out + 2), 0x8580);
	assert_int_equal(get_u16(out + 6), 100);

	/* Exactly enough room, then one byte less. */
	n = dns_build_response(out, 42 + 3 * 16, query, &q, DNS_RCODE_NOERROR, true, ans, 3);
	assert_int_equal(n, 42 + 3 * 16);
	assert_int_equal(get_u16(out + 2) & 0x0200, 0);
	n = dns_build_response(out, 42 + 3 * 16 - 1, query, &q, DNS_RCODE_NOERROR, true, ans, 3);
	assert_int_equal(n, 42 + 2 * 16);
	assert_int_equal(get_u16(out + 2) & 0x0200, 0x0200);
	assert_int_equal(get_u16(out + 6), 2);

	/* Mixed sizes: an AAAA that does not fit stops the list (no reordering). */
	ans[1].type = DNS_TYPE_AAAA;
	memset(&ans[1].aaaa, 0, sizeof(ans[1].aaaa));
	n = dns_build_response(out, 42 + 16 + 20, query, &q, DNS_RCODE_NOERROR, true, ans, 3);
	assert_int_equal(n, 42 + 16);
	assert_int_equal(get_u16(out + 6), 1);
	assert_int_equal(get_u16(out + 2) & 0x0200, 0x0200);
}

static void test_response_enospc(void **state)
{
	uint8_t query[128], out[128];
	struct dns_header h;
	struct dns_question q;
	struct dns_answer ans = { .type = DNS_TYPE_A };
	size_t qlen = build_query(query, 9, "host.containers.internal", DNS_TYPE_A);

	(void)state;
	assert_int_equal(dns_parse_query(query, qlen, &h, &q), 0);
	for (size_t cap = 0; cap < qlen; cap++) {
		uint8_t *o = malloc(cap ? cap : 1);

		assert_non_null(o);
		assert_int_equal(dns_build_response(o, cap, query, &q, 0, true, &ans, 1), -ENOSPC);
		free(o);
	}
	/* Header and question but no answer: TC, zero answers. */
	assert_int_equal(dns_build_response(out, qlen, query, &q, 0, true, &ans, 1), (int)qlen);
	assert_int_equal(get_u16(out + 2), 0x8780);
	assert_int_equal(get_u16(out + 6), 0);
}

/* The response may be built over the query itself. */
static void test_response_in_place(void **state)
{
	uint8_t buf[512], want[512];
	struct dns_header h;
	struct dns_question q;
	struct dns_answer ans = { .type = DNS_TYPE_A, .a = { .s_addr = htonl(0xc0a87f01) } };
	size_t qlen = build_query(buf, 0x5151, "host.containers.internal", DNS_TYPE_A);
	int n, m;

	(void)state;
	assert_int_equal(dns_parse_query(buf, qlen, &h, &q), 0);
	n = dns_build_response(want, sizeof(want), buf, &q, 0, true, &ans, 1);
	m = dns_build_response(buf, sizeof(buf), buf, &q, 0, true, &ans, 1);
	assert_int_equal(n, m);
	assert_memory_equal(buf, want, (size_t)n);
}

static void test_build_error(void **state)
{
	uint8_t query[128], out[DNS_HDR_LEN];
	size_t qlen = build_query(query, 0xa1b2, "x", DNS_TYPE_A);
	uint8_t want[DNS_HDR_LEN];

	(void)state;
	(void)qlen;
	/* Nothing arrived: id 0. */
	assert_int_equal(dns_build_error(out, sizeof(out), NULL, 0, DNS_RCODE_FORMERR),
			 DNS_HDR_LEN);
	put_header(want, 0, 0x8001, 0, 0, 0, 0);
	assert_memory_equal(out, want, DNS_HDR_LEN);

	/* One byte: still no id. */
	assert_int_equal(dns_build_error(out, sizeof(out), query, 1, DNS_RCODE_FORMERR),
			 DNS_HDR_LEN);
	assert_memory_equal(out, want, DNS_HDR_LEN);

	/* Two bytes: the id, but no flags to copy RD from. */
	assert_int_equal(dns_build_error(out, sizeof(out), query, 2, DNS_RCODE_FORMERR),
			 DNS_HDR_LEN);
	put_header(want, 0xa1b2, 0x8001, 0, 0, 0, 0);
	assert_memory_equal(out, want, DNS_HDR_LEN);

	/* A whole header (with 1 question announced): id and RD, counts 0. */
	assert_int_equal(dns_build_error(out, sizeof(out), query, 12, DNS_RCODE_SERVFAIL),
			 DNS_HDR_LEN);
	put_header(want, 0xa1b2, 0x8102, 0, 0, 0, 0);
	assert_memory_equal(out, want, DNS_HDR_LEN);

	/* NOTIMP for an UPDATE keeps its opcode (RFC 1035 4.1.1), drops AA/TC. */
	query[2] = 5 << 3 | 0x06;
	query[3] = 0xff;
	assert_int_equal(dns_build_error(out, sizeof(out), query, 12, DNS_RCODE_NOTIMP),
			 DNS_HDR_LEN);
	put_header(want, 0xa1b2, 0xa804, 0, 0, 0, 0);
	assert_memory_equal(out, want, DNS_HDR_LEN);

	assert_int_equal(dns_build_error(out, DNS_HDR_LEN - 1, query, 12, 1), -ENOSPC);
	assert_int_equal(dns_build_error(out, 0, query, 12, 1), -ENOSPC);
}

/* ---- garbage ----------------------------------------------------------- */

#define FUZZ_ROUNDS 100000
#define FUZZ_LEN_MAX 600

/* Bytes that steer the decoder into its interesting branches. */
static uint8_t fuzz_byte(uint64_t *s, size_t len)
{
	switch (rng_range(s, 0, 9)) {
	case 0:
		return 0;
	case 1:
	case 2:
		return (uint8_t)rng_range(s, 1, 8); /* short labels */
	case 3:
		return (uint8_t)(0xc0 | rng_range(s, 0, 2)); /* pointer high byte */
	case 4:
		return (uint8_t)rng_range(s, 0, len ? len : 1); /* pointer low byte */
	case 5:
		return (uint8_t)rng_range(s, 0x3e, 0x41); /* around the label limit */
	case 6:
		return 0x80;
	default:
		return (uint8_t)rng_range(s, 'A', 'z');
	}
}

static void fuzz_one(uint64_t *s, uint8_t *tmp)
{
	size_t len = rng_range(s, 0, FUZZ_LEN_MAX);
	uint8_t *buf, out[DNS_UDP_MAX];
	struct dns_header h;
	struct dns_question q;
	char name[DNS_NAME_MAX * 4 + 2];
	size_t next;
	int r;

	if (rng_next(s) & 1) {
		rng_fill(s, tmp, len);
	} else {
		for (size_t i = 0; i < len; i++)
			tmp[i] = fuzz_byte(s, len);
		if (len >= 6) { /* mostly a plausible query header */
			tmp[2] = (uint8_t)(rng_range(s, 0, 3) == 0 ? rng_next(s) : 0x01);
			tmp[4] = 0;
			tmp[5] = (uint8_t)rng_range(s, 0, 2);
		}
	}
	buf = exact_copy(tmp, len);

	r = dns_parse_query(buf, len, &h, &q);
	assert_true(r == 0 || r == -EBADMSG || r == -EOPNOTSUPP);
	if (r == 0) {
		struct dns_answer ans = { .type = DNS_TYPE_A };
		size_t nl = strlen(q.name);
		int n;

		assert_true(q.end > DNS_HDR_LEN && q.end <= len);
		assert_true(nl > 0 && nl < sizeof(q.name) && q.name[nl - 1] == '.');
		n = dns_build_response(out, sizeof(out), buf, &q, 0, true, &ans, 1);
		assert_true(n > 0 && (size_t)n <= sizeof(out));
		assert_int_equal(
			dns_decode_name(out, (size_t)n, DNS_HDR_LEN, name, sizeof(name), &next), 0);
		assert_string_equal(name, q.name);
	}
	assert_int_equal(dns_build_error(out, sizeof(out), buf, len, DNS_RCODE_FORMERR),
			 DNS_HDR_LEN);

	for (int i = 0; i < 4; i++) {
		size_t off = rng_range(s, 0, len + 2);
		size_t cap = rng_range(s, 0, 3) ? sizeof(name) : rng_range(s, 0, 16);
		char *o = malloc(cap ? cap : 1);

		assert_non_null(o);
		next = SIZE_MAX;
		r = dns_decode_name(buf, len, off, cap ? o : NULL, cap, &next);
		assert_true(r == 0 || r == -EBADMSG || r == -ENOSPC);
		if (r == 0) {
			assert_true(next > off && next <= len);
			assert_true(strlen(o) < cap);
		} else {
			assert_int_equal(next, SIZE_MAX);
		}
		free(o);
	}
	free(buf);
}

static void test_fuzz(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	uint8_t tmp[FUZZ_LEN_MAX];

	(void)state;
	for (int i = 0; i < FUZZ_ROUNDS; i++)
		fuzz_one(&seed, tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_header),
		cmocka_unit_test(test_query_a),
		cmocka_unit_test(test_query_aaaa_mixed_case),
		cmocka_unit_test(test_query_edns),
		cmocka_unit_test(test_query_truncated),
		cmocka_unit_test(test_query_header_checks),
		cmocka_unit_test(test_query_pointer_in_question),
		cmocka_unit_test(test_name_pointers_back),
		cmocka_unit_test(test_name_pointer_loops),
		cmocka_unit_test(test_name_bad_pointers),
		cmocka_unit_test(test_name_pointer_hops),
		cmocka_unit_test(test_name_label_lengths),
		cmocka_unit_test(test_name_total_length),
		cmocka_unit_test(test_name_escapes),
		cmocka_unit_test(test_name_capacity),
		cmocka_unit_test(test_response_a),
		cmocka_unit_test(test_response_aaaa),
		cmocka_unit_test(test_response_nxdomain),
		cmocka_unit_test(test_response_edns_query),
		cmocka_unit_test(test_response_truncation),
		cmocka_unit_test(test_response_enospc),
		cmocka_unit_test(test_response_in_place),
		cmocka_unit_test(test_build_error),
		cmocka_unit_test(test_fuzz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
