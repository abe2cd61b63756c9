// SPDX-License-Identifier: MIT
/*
 * egress.c - NAT table lookups and the egress policy
 *
 * Both tables are small (EGRESS_NAT_MAX, EGRESS_RULES_MAX) and read on
 * every new flow, not every packet, so linear scans are the simple and
 * sufficient choice.
 */
#include "egress.h"

#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int egress_rule_parse(const char *s, struct egress_rule *r)
{
	char addr[INET_ADDRSTRLEN];
	const char *slash, *colon, *end;
	unsigned long pfx = 32, port = 0;
	struct in_addr a;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (!s)
		return -EINVAL;
	colon = strchr(s, ':');
	end = colon ? colon : s + strlen(s);
	slash = memchr(s, '/', (size_t)(end - s));
	n = (size_t)((slash ? slash : end) - s);
	if (!n || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1)
		return -EINVAL;
	if (slash) {
		char p[4];
		size_t pl = (size_t)(end - slash - 1);

		if (!pl || pl >= sizeof(p))
			return -EINVAL;
		memcpy(p, slash + 1, pl);
		p[pl] = '\0';
		if (parse_uint(p, 0, 32, &pfx) < 0)
			return -EINVAL;
	}
	if (colon && parse_uint(colon + 1, 1, 65535, &port) < 0)
		return -EINVAL;
	r->mask = pfx ? htonl(~0u << (32 - pfx)) : 0;
	r->net = a.s_addr & r->mask;
	r->port = (uint16_t)port;
	return 0;
}

int egress_nat_add(struct egress *e, uint32_t virt, uint32_t real)
{
	for (unsigned i = 0; i < e->nnat; i++) {
		if (e->nat[i].virt == virt) {
			e->nat[i].real = real;
			return 0;
		}
	}
	if (e->nnat >= EGRESS_NAT_MAX)
		return -ENOSPC;
	e->nat[e->nnat].virt = virt;
	e->nat[e->nnat].real = real;
	e->nnat++;
	return 0;
}

void egress_nat_clear(struct egress *e)
{
	e->nnat = 0;
}

uint32_t egress_translate(const struct egress *e, uint32_t dst)
{
	for (unsigned i = 0; i < e->nnat; i++)
		if (e->nat[i].virt == dst)
			return e->nat[i].real;
	return dst;
}

bool egress_is_nat(const struct egress *e, uint32_t dst)
{
	for (unsigned i = 0; i < e->nnat; i++)
		if (e->nat[i].virt == dst)
			return true;
	return false;
}

static bool rule_matches(const struct egress_rule *r, uint32_t ip, uint16_t port)
{
	return (ip & r->mask) == r->net && (!r->port || r->port == port);
}

bool egress_allowed(struct egress *e, enum egress_proto proto, uint32_t real, uint16_t port)
{
	bool ok = true;

	if (!e->allow_link_local && (ntohl(real) & 0xffff0000u) == 0xa9fe0000u)
		ok = false;
	for (unsigned i = 0; ok && i < e->ndeny; i++)
		if (rule_matches(&e->deny[i], real, port))
			ok = false;
	if (ok && e->nallow) {
		ok = false;
		for (unsigned i = 0; i < e->nallow; i++)
			if (rule_matches(&e->allow[i], real, port))
				ok = true;
	}
	if (!ok)
		e->refused[proto]++;
	return ok;
}
