/* SPDX-License-Identifier: MIT */
/*
 * egress.h - where guest traffic may go: the NAT table and the policy
 *
 * The NAT table maps virtual IPs inside the subnet to real IPs on the host
 * side (default: the host alias 192.168.127.254 -> 127.0.0.1, so a guest
 * reaches the host's loopback). It applies to TCP, UDP and ICMP
 * destinations; --no-host-loopback (or an empty table) removes that access.
 *
 * The policy decides, after translation, whether a destination may be
 * reached at all:
 *   1. link-local 169.254.0.0/16 is refused unless -ec2-metadata-access;
 *   2. a deny-list entry that matches refuses;
 *   3. with an allow-list, only matching destinations pass;
 *   4. everything else passes.
 * Entries are CIDR[:port] ("10.0.0.0/8", "1.2.3.4/32:443", "0.0.0.0/0:25").
 * Refusals are counted per protocol; TCP answers them with RST, UDP and
 * ICMP with ICMP "administratively prohibited".
 */
#ifndef VGATE_EGRESS_H
#define VGATE_EGRESS_H

#include <stdbool.h>
#include <stdint.h>

#define EGRESS_NAT_MAX 16
#define EGRESS_RULES_MAX 256

enum egress_proto {
	EGRESS_TCP,
	EGRESS_UDP,
	EGRESS_ICMP,
	EGRESS_PROTO_MAX,
};

struct egress_rule {
	uint32_t net;  /* network order */
	uint32_t mask; /* network order */
	uint16_t port; /* host order; 0 = any */
};

struct egress_nat {
	uint32_t virt, real; /* network order */
};

struct egress {
	struct egress_nat nat[EGRESS_NAT_MAX];
	unsigned nnat;
	struct egress_rule allow[EGRESS_RULES_MAX];
	unsigned nallow;
	struct egress_rule deny[EGRESS_RULES_MAX];
	unsigned ndeny;
	bool allow_link_local;
	uint64_t refused[EGRESS_PROTO_MAX];
};

/* Parse "CIDR[:port]" (a bare address is /32). Return: 0 or -EINVAL. */
int egress_rule_parse(const char *s, struct egress_rule *r);

/* Add or replace @virt -> @real. Return: 0, -ENOSPC. */
int egress_nat_add(struct egress *e, uint32_t virt, uint32_t real);
void egress_nat_clear(struct egress *e);

/* The real address for @dst (network order): translated, or @dst itself. */
uint32_t egress_translate(const struct egress *e, uint32_t dst);
/* Is @dst a virtual IP with a NAT entry? */
bool egress_is_nat(const struct egress *e, uint32_t dst);

/*
 * egress_allowed() - may @proto traffic go to @real:@port (after
 * translation; port 0 for ICMP)? Refusals are counted in @e.
 */
bool egress_allowed(struct egress *e, enum egress_proto proto, uint32_t real, uint16_t port);

#endif
