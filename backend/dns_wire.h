/* SPDX-License-Identifier: MIT */
/*
 * dns_wire.h - DNS messages on byte buffers (RFC 1035)
 *
 * Only what the gateway's DNS server needs: read a query's header and its
 * single question (names decoded with compression pointers followed only
 * backwards, at most DNS_POINTERS_MAX hops, labels <= 63, names <= 255),
 * and build responses: local answers (A/AAAA), NXDOMAIN/NODATA, and error
 * responses (FORMERR, SERVFAIL, NOTIMP, REFUSED) that echo the id and, when
 * it parsed, the question. Upstream answers are relayed verbatim and never
 * rebuilt, so their TTLs and record types survive.
 */
#ifndef VGATE_DNS_WIRE_H
#define VGATE_DNS_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HDR_LEN 12
#define DNS_NAME_MAX 255 /* wire length */
#define DNS_LABEL_MAX 63
#define DNS_POINTERS_MAX 16
#define DNS_UDP_MAX 512	  /* without EDNS */
#define DNS_MSG_MAX 65535 /* TCP */

#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

#define DNS_OPCODE_QUERY 0

struct dns_header {
	uint16_t id;
	bool qr, aa, tc, rd, ra;
	uint8_t opcode, rcode;
	uint16_t qdcount, ancount, nscount, arcount;
};

struct dns_question {
	/* Lower-case dotted name with the trailing dot ("host.docker.internal.",
	 * "." for the root). Bytes outside [a-z0-9-_] are kept as \DDD escapes. */
	char name[4 * DNS_NAME_MAX + 2];
	uint16_t qtype, qclass;
	size_t end; /* offset just past the question in the message */
};

/* Parse the 12-byte header. Return: 0 or -EBADMSG (short). */
int dns_parse_header(const uint8_t *buf, size_t len, struct dns_header *h);

/*
 * dns_decode_name() - decode the name at @off into dotted lower-case text
 * @next: set to the offset just after the name as it sits at @off
 * Return: 0; -EBADMSG (runs past the end, label > 63, name > 255, pointer
 * loop or forward pointer, reserved label type); -ENOSPC (@cap too small).
 */
int dns_decode_name(const uint8_t *msg, size_t len, size_t off, char *out, size_t cap,
		    size_t *next);

/*
 * dns_parse_query() - header plus the first question of a query
 * Return: 0; -EBADMSG (malformed, QR set, or qdcount == 0: answer FORMERR);
 * -EOPNOTSUPP (opcode other than QUERY: answer NOTIMP).
 */
int dns_parse_query(const uint8_t *buf, size_t len, struct dns_header *h, struct dns_question *q);

struct dns_answer {
	uint16_t type; /* DNS_TYPE_A or DNS_TYPE_AAAA */
	uint32_t ttl;
	union {
		struct in_addr a;
		struct in6_addr aaaa;
	};
};

/*
 * dns_build_response() - a response to @query (whose question @q parsed)
 * Copies the header id and RD, sets QR, RA, AA=@aa and @rcode, echoes the
 * question bytes verbatim, then @n answers whose owner is a pointer to the
 * question name. If @cap (e.g. 512 for UDP) cannot hold every answer, as
 * many as fit are written and TC is set.
 * Return: length, or -ENOSPC when not even header + question fit.
 */
int dns_build_response(uint8_t *out, size_t cap, const uint8_t *query, const struct dns_question *q,
		       uint8_t rcode, bool aa, const struct dns_answer *answers, size_t n);

/*
 * dns_build_error() - a header-only error response to a query whose
 * question did not parse: id copied when at least 2 bytes arrived (else 0),
 * QR set, RD copied, @rcode, all counts 0.
 * Return: DNS_HDR_LEN, or -ENOSPC.
 */
int dns_build_error(uint8_t *out, size_t cap, const uint8_t *query, size_t qlen, uint8_t rcode);

#endif
