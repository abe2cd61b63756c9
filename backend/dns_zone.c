// SPDX-License-Identifier: MIT
/*
 * dns_zone.c - the gateway's local DNS zones (gvproxy's model)
 *
 * Theory of operation
 *
 * A fixed array of at most DNS_ZONES_MAX zones, each owning a heap array of
 * at most DNS_ZONE_RECORDS_MAX records. Names are kept in the form
 * dns_decode_name() produces for a query (lower case; zones with a trailing
 * dot), so lookups are plain string compares. Zone and exact-label names are
 * restricted to [a-z0-9-_] labels separated by single dots: anything else
 * could never equal a decoded query name, so it is refused (-EINVAL) rather
 * than silently never matching.
 *
 * Capacity: the record array's size is a function of its count (0, then
 * powers of two from RECORDS_CHUNK up to the limit), so a zone needs no
 * capacity field and appending costs amortised O(1). Every path that
 * installs records (add, replace) allocates by that rule.
 *
 * Ownership: a record owns its compiled regex (regcomp with
 * REG_EXTENDED|REG_ICASE|REG_NOSUB); it is released with regfree exactly
 * when the record leaves the table (dns_zones_free, or a replace dropping
 * it). Records move by plain copy between arrays; glibc's regex_t holds no
 * pointer into itself, so a moved one stays valid.
 *
 * Lookup: the zone is the longest one the name belongs to (ends in "." +
 * zone, or equals it), so "a.b.internal." prefers zone "b.internal." over
 * "internal.". Within it, records are tried in order: an exact record
 * matches the name minus the zone suffix, and so does a regexp record
 * (regexec, unanchored unless the pattern anchors), as gvproxy does: in
 * "db1.lab.internal." zone "lab.internal." sees "db1". The
 * first matching record with an address of the asked type answers; if some
 * record matched but none has that type the query is forwarded (gvproxy
 * forwards every non-A type); if none matched, DefaultIP answers A queries
 * (other types are forwarded: the name exists, we know nothing else), and
 * without DefaultIP the name does not exist (NXDOMAIN).
 *
 * Replace (gvproxy's /services/dns/add): the new zone's records come first,
 * followed by the old records whose key is not among them, where the key is
 * the label of an exact record and the pattern text of a regexp record. The
 * new zone's DefaultIP wins. The merged array is built before anything is
 * freed, so a failure (-ENOSPC, -ENOMEM) leaves the table as it was.
 */
#include "dns_zone.h"

#include "dns_wire.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORDS_CHUNK 8

/* Allocated slots for a zone holding @n records. */
static size_t records_cap(size_t n)
{
	size_t cap = RECORDS_CHUNK;

	if (n == 0)
		return 0;
	while (cap < n)
		cap *= 2;
	return cap;
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Lower-case @in into @out (@cap bytes), checking it is dot-separated
 * non-empty labels of [a-z0-9-_] of at most 63 bytes. With @zone, one
 * trailing dot is accepted and always added. Return: 0 or -EINVAL.
 */
static int name_normalize(const char *in, char *out, size_t cap, bool zone)
{
	size_t n = strlen(in), label = 0, o = 0;

	if (zone && n > 0 && in[n - 1] == '.')
		n--;
	if (n == 0 || n + (zone ? 2 : 1) > cap)
		return -EINVAL;
	if (zone && n + 2 > DNS_NAME_MAX) /* its wire form: length octets and root */
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == '.') {
			if (label == 0)
				return -EINVAL;
			label = 0;
		} else if (!name_char_ok(c) || ++label > 63) {
			return -EINVAL;
		}
		out[o++] = c;
	}
	if (label == 0)
		return -EINVAL;
	if (zone)
		out[o++] = '.';
	out[o] = '\0';
	return 0;
}

static struct dns_zone *zone_find(struct dns_zones *z, const char *name)
{
	for (size_t i = 0; i < z->n; i++)
		if (strcmp(z->zones[i].name, name) == 0)
			return &z->zones[i];
	return NULL;
}

/* The zone named @name (normalized), created if missing. */
static int zone_get(struct dns_zones *z, const char *name, struct dns_zone **out)
{
	struct dns_zone *zone = zone_find(z, name);

	if (!zone) {
		if (z->n == DNS_ZONES_MAX)
			return -ENOSPC;
		zone = &z->zones[z->n++];
		memset(zone, 0, sizeof(*zone));
		snprintf(zone->name, sizeof(zone->name), "%s", name);
	}
	*out = zone;
	return 0;
}

static void record_release(struct dns_record *r)
{
	if (r->has_regexp)
		regfree(&r->re);
	r->has_regexp = false;
}

static void zone_release(struct dns_zone *zone)
{
	for (size_t i = 0; i < zone->nrecords; i++)
		record_release(&zone->records[i]);
	free(zone->records);
	zone->records = NULL;
	zone->nrecords = 0;
}

void dns_zones_init(struct dns_zones *z)
{
	memset(z, 0, sizeof(*z));
}

void dns_zones_free(struct dns_zones *z)
{
	for (size_t i = 0; i < z->n; i++)
		zone_release(&z->zones[i]);
	dns_zones_init(z);
}

int dns_zone_add_record(struct dns_zones *z, const char *zone, const char *label,
			const char *regexp, const struct in_addr *ip4, const struct in6_addr *ip6)
{
	char zname[DNS_ZONE_NAME_MAX + 2];
	struct dns_record rec;
	struct dns_zone *zn;
	bool created;
	int r;

	if (!zone || !label == !regexp || (!ip4 && !ip6))
		return -EINVAL;
	if (name_normalize(zone, zname, sizeof(zname), true) < 0)
		return -EINVAL;
	memset(&rec, 0, sizeof(rec));
	if (label) {
		if (name_normalize(label, rec.name, sizeof(rec.name), false) < 0)
			return -EINVAL;
	} else {
		if (regexp[0] == '\0' || strlen(regexp) >= sizeof(rec.regexp))
			return -EINVAL;
		snprintf(rec.regexp, sizeof(rec.regexp), "%s", regexp);
	}
	if (ip4) {
		rec.has_a = true;
		rec.a = *ip4;
	}
	if (ip6) {
		rec.has_aaaa = true;
		rec.aaaa = *ip6;
	}

	zn = zone_find(z, zname);
	if (zn ? zn->nrecords == DNS_ZONE_RECORDS_MAX : z->n == DNS_ZONES_MAX)
		return -ENOSPC;
	if (regexp) {
		r = regcomp(&rec.re, regexp, REG_EXTENDED | REG_ICASE | REG_NOSUB);
		if (r == REG_ESPACE)
			return -ENOMEM;
		if (r != 0)
			return -EINVAL;
		rec.has_regexp = true;
	}
	created = !zn;
	r = zone_get(z, zname, &zn);
	assert(r == 0); /* room was checked above */
	if (zn->nrecords == records_cap(zn->nrecords)) {
		size_t cap = records_cap(zn->nrecords + 1);
		struct dns_record *grown = realloc(zn->records, cap * sizeof(*grown));

		if (!grown) {
			record_release(&rec);
			if (created)
				z->n--;
			return -ENOMEM;
		}
		zn->records = grown;
	}
	zn->records[zn->nrecords++] = rec;
	return 0;
}

int dns_zone_set_default(struct dns_zones *z, const char *zone, const struct in_addr *ip)
{
	char zname[DNS_ZONE_NAME_MAX + 2];
	struct dns_zone *zn;
	int r;

	if (!zone || name_normalize(zone, zname, sizeof(zname), true) < 0)
		return -EINVAL;
	r = zone_get(z, zname, &zn);
	if (r < 0)
		return r;
	zn->has_default = ip != NULL;
	if (ip)
		zn->default_ip = *ip;
	else
		memset(&zn->default_ip, 0, sizeof(zn->default_ip));
	return 0;
}

/* Two records with the same key: a new one replaces an old one. */
static bool record_same_key(const struct dns_record *a, const struct dns_record *b)
{
	if (a->has_regexp != b->has_regexp)
		return false;
	return strcmp(a->has_regexp ? a->regexp : a->name, b->has_regexp ? b->regexp : b->name) ==
	       0;
}

static bool zone_has_key(const struct dns_zone *zone, const struct dns_record *rec)
{
	for (size_t i = 0; i < zone->nrecords; i++)
		if (record_same_key(&zone->records[i], rec))
			return true;
	return false;
}

/* @src is emptied whatever happens: it was handed over. */
static void zone_consume(struct dns_zone *src)
{
	zone_release(src);
	src->has_default = false;
}

int dns_zone_replace(struct dns_zones *z, struct dns_zone *src)
{
	char zname[DNS_ZONE_NAME_MAX + 2];
	struct dns_zone *old;
	struct dns_record *merged = NULL;
	size_t n = src->nrecords, kept = 0;

	if (name_normalize(src->name, zname, sizeof(zname), true) < 0) {
		zone_consume(src);
		return -EINVAL;
	}
	old = zone_find(z, zname);
	if (old) {
		for (size_t i = 0; i < old->nrecords; i++)
			kept += !zone_has_key(src, &old->records[i]);
	} else if (z->n == DNS_ZONES_MAX) {
		zone_consume(src);
		return -ENOSPC;
	}
	if (n > DNS_ZONE_RECORDS_MAX || kept > DNS_ZONE_RECORDS_MAX - n) {
		zone_consume(src);
		return -ENOSPC;
	}
	if (n + kept > 0) {
		merged = malloc(records_cap(n + kept) * sizeof(*merged));
		if (!merged) {
			zone_consume(src);
			return -ENOMEM;
		}
		if (n)
			memcpy(merged, src->records, n * sizeof(*merged));
	}
	if (old) {
		for (size_t i = 0; i < old->nrecords; i++) {
			struct dns_record *r = &old->records[i];

			if (zone_has_key(src, r))
				record_release(r);
			else
				merged[n++] = *r;
		}
		free(old->records);
	} else {
		old = &z->zones[z->n++];
	}
	memset(old, 0, sizeof(*old));
	snprintf(old->name, sizeof(old->name), "%s", zname);
	old->records = merged;
	old->nrecords = n;
	old->has_default = src->has_default;
	old->default_ip = src->default_ip;

	/* The records now belong to the table: free only the array. */
	free(src->records);
	src->records = NULL;
	src->nrecords = 0;
	src->has_default = false;
	return 0;
}

/* The longest zone @qname belongs to, or NULL. Sets *@label_len. */
static const struct dns_zone *zone_for_name(const struct dns_zones *z, const char *qname,
					    size_t *label_len)
{
	const struct dns_zone *best = NULL;
	size_t qlen = strlen(qname), best_len = 0;

	for (size_t i = 0; i < z->n; i++) {
		const struct dns_zone *zone = &z->zones[i];
		size_t zlen = strlen(zone->name);

		if (zlen > qlen || zlen <= best_len || strcmp(qname + qlen - zlen, zone->name) != 0)
			continue;
		if (zlen < qlen && qname[qlen - zlen - 1] != '.')
			continue;
		best = zone;
		best_len = zlen;
		*label_len = zlen < qlen ? qlen - zlen - 1 : 0;
	}
	return best;
}

static bool record_matches(const struct dns_record *r, const char *qname, size_t label_len)
{
	if (r->has_regexp) {
		char label[sizeof(((struct dns_question *)0)->name)];

		if (label_len >= sizeof(label))
			return false;
		memcpy(label, qname, label_len);
		label[label_len] = '\0';
		return regexec(&r->re, label, 0, NULL, 0) == 0;
	}
	return strlen(r->name) == label_len && memcmp(r->name, qname, label_len) == 0;
}

enum dns_zone_result dns_zones_lookup(const struct dns_zones *z, const char *qname, uint16_t qtype,
				      struct in_addr *a, struct in6_addr *aaaa)
{
	const struct dns_zone *zone;
	size_t label_len = 0;
	bool matched = false;

	zone = zone_for_name(z, qname, &label_len);
	if (!zone)
		return DNS_ZONE_FORWARD;
	for (size_t i = 0; i < zone->nrecords; i++) {
		const struct dns_record *r = &zone->records[i];

		if (!record_matches(r, qname, label_len))
			continue;
		matched = true;
		if (qtype == DNS_TYPE_A && r->has_a) {
			if (a)
				*a = r->a;
			return DNS_ZONE_ANSWER;
		}
		if (qtype == DNS_TYPE_AAAA && r->has_aaaa) {
			if (aaaa)
				*aaaa = r->aaaa;
			return DNS_ZONE_ANSWER;
		}
	}
	if (matched)
		return DNS_ZONE_FORWARD;
	if (!zone->has_default)
		return DNS_ZONE_NXDOMAIN;
	if (qtype != DNS_TYPE_A)
		return DNS_ZONE_FORWARD;
	if (a)
		*a = zone->default_ip;
	return DNS_ZONE_ANSWER;
}
