/* SPDX-License-Identifier: MIT */
/*
 * lease.h - the DHCP server's address table
 *
 * One slot per host address of the subnet (network and broadcast excluded,
 * prefix between /16 and /30, so at most 65534 slots). Reserved addresses
 * (the gateway, the host alias and other virtual IPs) are never handed out.
 * Static leases (MAC -> IP) always win for their MAC and their address is
 * never given to another MAC.
 *
 * Slot states:
 *   LEASE_FREE      nobody holds it
 *   LEASE_RESERVED  gateway/virtual IP: never offered
 *   LEASE_OFFERED   offered to a MAC; held for LEASE_OFFER_HOLD_MS
 *   LEASE_BOUND     ACKed to a MAC until expires_ms
 *   LEASE_DECLINED  a client reported it in use (DECLINE); quarantined for
 *                   LEASE_DECLINE_HOLD_MS
 * A static lease is a BOUND slot with is_static set (it never expires).
 * Times are milliseconds of a monotonic clock passed in by the caller.
 */
#ifndef VGATE_LEASE_H
#define VGATE_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEASE_OFFER_HOLD_MS 60000
#define LEASE_DECLINE_HOLD_MS (10 * 60 * 1000)
#define LEASE_HOSTNAME_MAX 63
#define LEASE_STATIC_MAX 1024

enum lease_state {
	LEASE_FREE,
	LEASE_RESERVED,
	LEASE_OFFERED,
	LEASE_BOUND,
	LEASE_DECLINED,
};

struct lease {
	enum lease_state state;
	bool is_static;
	uint8_t mac[6];
	char hostname[LEASE_HOSTNAME_MAX + 1];
	uint64_t expires_ms; /* OFFERED, BOUND (dynamic), DECLINED */
};

struct lease_table {
	uint32_t net;	     /* host order */
	unsigned prefix;     /* 16..30 */
	uint32_t nslots;     /* host addresses: 2^(32-prefix) - 2 */
	struct lease *slots; /* slots[i] is address net + 1 + i */
	unsigned nstatic;
};

/*
 * lease_table_init() - empty table for @net/@prefix (@net host order, host
 * bits ignored)
 * Return: 0, -EINVAL (prefix outside 16..30), -ENOMEM.
 */
int lease_table_init(struct lease_table *t, uint32_t net, unsigned prefix);
void lease_table_free(struct lease_table *t);

/* Mark @ip (host order) reserved. Return: 0 or -EINVAL (not a host of the subnet). */
int lease_reserve(struct lease_table *t, uint32_t ip);

/*
 * lease_add_static() - bind @mac to @ip for ever
 * Return: 0; -EINVAL (outside the subnet or reserved); -EEXIST (@ip is
 * another MAC's static lease, or @mac already has one); -ENOSPC (over
 * LEASE_STATIC_MAX).
 */
int lease_add_static(struct lease_table *t, const uint8_t mac[6], uint32_t ip);

/*
 * lease_offer() - choose an address for @mac (DISCOVER)
 * Order: @mac's static lease; the address @mac holds or was offered; the
 * requested address (@requested, host order, 0 = none) if FREE (or expired);
 * the lowest FREE (or expired) address. The chosen slot becomes OFFERED
 * (unless static or already BOUND to @mac).
 * Return: 0 with *@ip set (host order), or -ENOSPC (pool exhausted).
 */
int lease_offer(struct lease_table *t, const uint8_t mac[6], uint32_t requested, uint64_t now,
		uint32_t *ip);

/*
 * lease_request() - @mac asks for @ip (REQUEST, host order)
 * Binds it for @lease_ms when it is @mac's static lease, or is FREE/expired,
 * or is OFFERED to or BOUND to @mac. A dynamic lease @mac held on another
 * address is freed.
 * Return: 0 (ACK); -EINVAL (not a host of the subnet, or reserved);
 * -EADDRINUSE (held by another MAC, or @mac has a static lease elsewhere,
 * or DECLINED).
 */
int lease_request(struct lease_table *t, const uint8_t mac[6], uint32_t ip, uint64_t now,
		  uint64_t lease_ms, const char *hostname);

/* RELEASE: free @ip if dynamically bound to @mac. Return: 0 or -ENOENT. */
int lease_release(struct lease_table *t, const uint8_t mac[6], uint32_t ip);

/* DECLINE: quarantine @ip if offered/bound to @mac. Return: 0 or -ENOENT. */
int lease_decline(struct lease_table *t, const uint8_t mac[6], uint32_t ip, uint64_t now);

/* Free every expired OFFERED, BOUND (dynamic) and DECLINED slot. Return: how many. */
unsigned lease_expire(struct lease_table *t, uint64_t now);

/* Address currently BOUND to @mac (host order), or 0. */
uint32_t lease_find_mac(const struct lease_table *t, const uint8_t mac[6], uint64_t now);

/* Slot for @ip (host order) or NULL if not a host of the subnet. */
struct lease *lease_slot(const struct lease_table *t, uint32_t ip);

/* Address of slot index @i (host order). */
static inline uint32_t lease_slot_ip(const struct lease_table *t, uint32_t i)
{
	return (t->net & ~((1u << (32 - t->prefix)) - 1)) + 1 + i;
}

#endif
