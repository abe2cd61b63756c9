// SPDX-License-Identifier: MIT
/*
 * dns_wire.c - DNS messages on byte buffers (RFC 1035)
 *
 * Theory of operation
 *
 * The DNS server reads only the header and the first question of a query;
 * everything else in it (further questions, an EDNS OPT record) is ignored.
 * Every read is bounded by the message length, checked before the read.
 *
 * Names. A name is a run of labels ending in the root label, where a run may
 * end early in a compression pointer to another run (RFC 1035 4.1.4). The
 * decoder keeps the start of the run it is walking; a pointer must point
 * strictly before that start (and never into the 12-byte header, where no
 * name can live). Run starts therefore strictly decrease, so a pointer loop
 * is impossible by construction, not merely caught by a counter; the counter
 * (DNS_POINTERS_MAX hops) and the 255-byte limit on the name's uncompressed
 * wire length bound the work anyway. The decoder validates the whole name
 * before reporting that @out was too small, so a malformed name is always
 * -EBADMSG whatever the caller's buffer. A question in a query cannot use a
 * pointer at all (only the header lies before it), so echoing the question
 * bytes verbatim in a response keeps them meaningful.
 *
 * Text form: lower case, dotted, trailing dot, "." for the root. Bytes
 * outside [a-z0-9-_] (after lowering A-Z) become \DDD decimal escapes,
 * including a dot inside a label (\046) and the backslash itself (\092), so
 * two different wire names never share a text form.
 *
 * Responses are built into the caller's buffer: header, the question copied
 * from the query, then answers whose owner is the pointer 0xc00c to that
 * question. Whatever the capacity (clamped to DNS_MSG_MAX), answers that do
 * not fit are dropped whole and TC is set; ANCOUNT says how many were
 * written. No OPT record is sent, so UDP callers must cap at DNS_UDP_MAX.
 */
#include "dns_wire.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

/* Header flag bits, in the 16-bit flags word. */
#define DNS_F_QR 0x8000
#define DNS_F_OPCODE_SHIFT 11
#define DNS_F_OPCODE_MASK 0xf
#define DNS_F_AA 0x0400
#define DNS_F_TC 0x0200
#define DNS_F_RD 0x0100
#define DNS_F_RA 0x0080
#define DNS_F_RCODE_MASK 0xf

/* Label length octet: top two bits select the label type. */
#define DNS_LABEL_TYPE_MASK 0xc0
#define DNS_LABEL_POINTER 0xc0

#define DNS_QFIXED_LEN 4    /* QTYPE, QCLASS */
#define DNS_RR_FIXED_LEN 12 /* owner pointer, TYPE, CLASS, TTL, RDLENGTH */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

int dns_parse_header(const uint8_t *buf, size_t len, struct dns_header *h)
{
	uint16_t flags;

	if (len < DNS_HDR_LEN)
		return -EBADMSG;
	flags = get16(buf + 2);
	h->id = get16(buf);
	h->qr = flags & DNS_F_QR;
	h->opcode = (flags >> DNS_F_OPCODE_SHIFT) & DNS_F_OPCODE_MASK;
	h->aa = flags & DNS_F_AA;
	h->tc = flags & DNS_F_TC;
	h->rd = flags & DNS_F_RD;
	h->ra = flags & DNS_F_RA;
	h->rcode = flags & DNS_F_RCODE_MASK;
	h->qdcount = get16(buf + 4);
	h->ancount = get16(buf + 6);
	h->nscount = get16(buf + 8);
	h->arcount = get16(buf + 10);
	return 0;
}

/* Text output that keeps going (without writing) once @cap is exhausted. */
struct name_out {
	char *buf;
	size_t cap, len;
};

static void name_out_put(struct name_out *o, const char *s, size_t n)
{
	if (o->len + n < o->cap) /* room for the NUL too */
		memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void name_out_byte(struct name_out *o, uint8_t c)
{
	char esc[4];

	if (c >= 'A' && c <= 'Z')
		c = (uint8_t)(c - 'A' + 'a');
	if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
		name_out_put(o, (const char *)&c, 1);
		return;
	}
	esc[0] = '\\';
	esc[1] = (char)('0' + c / 100);
	esc[2] = (char)('0' + c / 10 % 10);
	esc[3] = (char)('0' + c % 10);
	name_out_put(o, esc, sizeof(esc));
}

int dns_decode_name(const uint8_t *msg, size_t len, size_t off, char *out, size_t cap, size_t *next)
{
	struct name_out o = { .buf = out, .cap = cap, .len = 0 };
	size_t run_start = off; /* a pointer must land strictly before this */
	size_t wire = 1;	/* uncompressed length, counting the root label */
	size_t pos = off, end = 0;
	unsigned int hops = 0;
	bool jumped = false;

	assert(out || !cap);
	for (;;) {
		uint8_t c;

		if (pos >= len)
			return -EBADMSG;
		c = msg[pos];
		if ((c & DNS_LABEL_TYPE_MASK) == DNS_LABEL_POINTER) {
			size_t target;

			if (pos + 1 >= len)
				return -EBADMSG;
			target = (size_t)(c & ~DNS_LABEL_TYPE_MASK) << 8 | msg[pos + 1];
			if (target < DNS_HDR_LEN || target >= run_start ||
			    ++hops > DNS_POINTERS_MAX)
				return -EBADMSG;
			if (!jumped)
				end = pos + 2;
			jumped = true;
			pos = run_start = target;
			continue;
		}
		if (c & DNS_LABEL_TYPE_MASK) /* 0x40 extended, 0x80 reserved */
			return -EBADMSG;
		if (c == 0)
			break;
		/* c <= DNS_LABEL_MAX here: the two type bits are clear. */
		wire += 1 + (size_t)c;
		if (wire > DNS_NAME_MAX || c >= len - pos)
			return -EBADMSG;
		for (size_t i = 1; i <= c; i++)
			name_out_byte(&o, msg[pos + i]);
		name_out_put(&o, ".", 1);
		pos += 1 + (size_t)c;
	}
	if (!jumped)
		end = pos + 1;
	if (o.len == 0)
		name_out_put(&o, ".", 1);
	if (o.len >= cap)
		return -ENOSPC;
	out[o.len] = '\0';
	if (next)
		*next = end;
	return 0;
}

int dns_parse_query(const uint8_t *buf, size_t len, struct dns_header *h, struct dns_question *q)
{
	size_t next;
	int r;

	r = dns_parse_header(buf, len, h);
	if (r < 0)
		return r;
	if (h->qr)
		return -EBADMSG;
	if (h->opcode != DNS_OPCODE_QUERY)
		return -EOPNOTSUPP;
	if (h->qdcount == 0)
		return -EBADMSG;
	r = dns_decode_name(buf, len, DNS_HDR_LEN, q->name, sizeof(q->name), &next);
	if (r < 0)
		return -EBADMSG; /* -ENOSPC cannot happen: q->name holds any name */
	if (len - next < DNS_QFIXED_LEN)
		return -EBADMSG;
	q->qtype = get16(buf + next);
	q->qclass = get16(buf + next + 2);
	q->end = next + DNS_QFIXED_LEN;
	return 0;
}

static size_t answer_len(const struct dns_answer *a)
{
	assert(a->type == DNS_TYPE_A || a->type == DNS_TYPE_AAAA);
	return DNS_RR_FIXED_LEN + (a->type == DNS_TYPE_A ? sizeof(a->a) : sizeof(a->aaaa));
}

static void put_answer(uint8_t *p, const struct dns_answer *a)
{
	uint16_t rdlen = a->type == DNS_TYPE_A ? sizeof(a->a) : sizeof(a->aaaa);

	put16(p, DNS_LABEL_POINTER << 8 | DNS_HDR_LEN);
	put16(p + 2, a->type);
	put16(p + 4, DNS_CLASS_IN);
	put32(p + 6, a->ttl);
	put16(p + 10, rdlen);
	if (a->type == DNS_TYPE_A)
		memcpy(p + DNS_RR_FIXED_LEN, &a->a, sizeof(a->a)); /* already network order */
	else
		memcpy(p + DNS_RR_FIXED_LEN, a->aaaa.s6_addr, sizeof(a->aaaa));
}

/* Response flags: QR, the query's opcode and RD, RA, @aa, @tc, @rcode. */
static uint16_t response_flags(uint16_t qflags, bool aa, bool tc, uint8_t rcode)
{
	uint16_t f = DNS_F_QR | DNS_F_RA;

	f |= qflags & (DNS_F_OPCODE_MASK << DNS_F_OPCODE_SHIFT | DNS_F_RD);
	if (aa)
		f |= DNS_F_AA;
	if (tc)
		f |= DNS_F_TC;
	return f | (rcode & DNS_F_RCODE_MASK);
}

int dns_build_response(uint8_t *out, size_t cap, const uint8_t *query, const struct dns_question *q,
		       uint8_t rcode, bool aa, const struct dns_answer *answers, size_t n)
{
	size_t qlen, pos, written = 0;
	uint16_t id, qflags;
	bool tc = false;

	/* @q came from dns_parse_query on @query: a name, type and class. */
	assert(q->end >= DNS_HDR_LEN + 1 + DNS_QFIXED_LEN);
	assert(q->end <= DNS_HDR_LEN + DNS_NAME_MAX + DNS_QFIXED_LEN);
	if (cap > DNS_MSG_MAX)
		cap = DNS_MSG_MAX;
	qlen = q->end - DNS_HDR_LEN;
	if (cap < DNS_HDR_LEN + qlen)
		return -ENOSPC;
	/* Read the query's header first: @out may be the query's own buffer. */
	id = get16(query);
	qflags = get16(query + 2);
	pos = DNS_HDR_LEN;
	memmove(out + pos, query + DNS_HDR_LEN, qlen);
	pos += qlen;
	for (; written < n; written++) {
		size_t alen = answer_len(&answers[written]);

		if (alen > cap - pos) {
			tc = true;
			break;
		}
		put_answer(out + pos, &answers[written]);
		pos += alen;
	}
	put16(out, id);
	put16(out + 2, response_flags(qflags, aa, tc, rcode));
	put16(out + 4, 1);
	put16(out + 6, (uint16_t)written); /* <= (DNS_MSG_MAX - 12) / 16 */
	put16(out + 8, 0);
	put16(out + 10, 0);
	return (int)pos;
}

int dns_build_error(uint8_t *out, size_t cap, const uint8_t *query, size_t qlen, uint8_t rcode)
{
	uint16_t id = 0, qflags = 0;

	if (cap < DNS_HDR_LEN)
		return -ENOSPC;
	if (qlen >= 2)
		id = get16(query);
	if (qlen >= 3)
		qflags = (uint16_t)(query[2] << 8);
	memset(out, 0, DNS_HDR_LEN);
	put16(out, id);
	/* Only what the contract names: the query was not understood, so no
	 * other bit of it is worth echoing (the opcode, as RFC 1035 asks). */
	put16(out + 2, response_flags(qflags, false, false, rcode) & ~DNS_F_RA);
	return DNS_HDR_LEN;
}
