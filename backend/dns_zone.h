/* SPDX-License-Identifier: MIT */
/*
 * dns_zone.h - the gateway's local DNS zones (gvproxy's model)
 *
 * A zone ("containers.internal.") holds records by exact label ("gateway")
 * or by POSIX extended regexp matched against the query name without the
 * zone ("db1" in "db1.lab.internal." for zone "lab.internal."), plus an
 * optional DefaultIP answering every other name in the zone. A query name
 * belongs to a zone when it ends in "." + the zone's name (or equals it).
 * Lookup results:
 *   - a record with an address of the asked type: the answer;
 *   - a name in a zone with no record: NXDOMAIN (unless DefaultIP);
 *   - a record exists but not for the asked type (AAAA for an A-only
 *     record, MX, TXT, ...): forwarded upstream, as gvproxy does;
 *   - no zone matches: forwarded upstream.
 * The table is bounded (DNS_ZONES_MAX zones of DNS_ZONE_RECORDS_MAX
 * records) and can be replaced zone by zone at run time.
 */
#ifndef VGATE_DNS_ZONE_H
#define VGATE_DNS_ZONE_H

#include <netinet/in.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_ZONES_MAX 64
#define DNS_ZONE_RECORDS_MAX 1024
#define DNS_ZONE_NAME_MAX 255
#define DNS_ZONE_TTL 0 /* local answers are not cached by guests (as gvproxy) */

struct dns_record {
	char name[DNS_ZONE_NAME_MAX + 1];   /* label, lower case; "" for a regexp record */
	char regexp[DNS_ZONE_NAME_MAX + 1]; /* source text, "" for exact records */
	bool has_regexp;
	regex_t re;
	bool has_a, has_aaaa;
	struct in_addr a;
	struct in6_addr aaaa;
};

struct dns_zone {
	char name[DNS_ZONE_NAME_MAX + 2]; /* lower case, trailing dot */
	struct dns_record *records;
	size_t nrecords;
	bool has_default;
	struct in_addr default_ip;
};

struct dns_zones {
	struct dns_zone zones[DNS_ZONES_MAX];
	size_t n;
};

enum dns_zone_result {
	DNS_ZONE_FORWARD,  /* not ours: ask upstream */
	DNS_ZONE_ANSWER,   /* *answer filled */
	DNS_ZONE_NXDOMAIN, /* in a zone, no such name */
};

void dns_zones_init(struct dns_zones *z);
void dns_zones_free(struct dns_zones *z);

/*
 * dns_zone_add_record() - add to zone @zone (created if missing; a name
 * without trailing dot gets one). @label: exact label, or NULL with
 * @regexp. @ip4 / @ip6: NULL to leave out.
 * Return: 0; -EINVAL (bad names, bad regexp, neither address); -ENOSPC
 * (limits).
 */
int dns_zone_add_record(struct dns_zones *z, const char *zone, const char *label,
			const char *regexp, const struct in_addr *ip4, const struct in6_addr *ip6);

/* Set (or clear with NULL) a zone's DefaultIP; creates the zone. Return: 0, -EINVAL, -ENOSPC. */
int dns_zone_set_default(struct dns_zones *z, const char *zone, const struct in_addr *ip);

/*
 * dns_zone_replace() - gvproxy's /services/dns/add semantics: the zone named
 * like @src replaces the existing one, with @src's records first and then
 * the old records whose label is not in @src. @src is consumed (moved).
 * Return: 0 or -ENOSPC.
 */
int dns_zone_replace(struct dns_zones *z, struct dns_zone *src);

/* Look @qname (as dns_question.name) up for @qtype. */
enum dns_zone_result dns_zones_lookup(const struct dns_zones *z, const char *qname, uint16_t qtype,
				      struct in_addr *a, struct in6_addr *aaaa);

#endif
