// SPDX-License-Identifier: MIT
/*
 * lease.c - the DHCP server's address table
 *
 * Theory of operation
 *
 * The table is a flat array with one struct lease per host address of the
 * subnet: slots[i] is address net + 1 + i, so the network and broadcast
 * addresses have no slot and can never be handed out, and an address maps to
 * its slot with a mask and a subtraction. A /16 is 65534 slots of about 88
 * bytes; every search is a linear scan, which costs tens of microseconds at
 * that size and happens once per DHCP message.
 *
 * States (see lease.h) and who moves a slot between them:
 *   FREE     -> OFFERED   lease_offer()
 *   FREE, OFFERED(@mac) -> BOUND   lease_request()
 *   OFFERED, BOUND -> DECLINED     lease_decline() by the holder
 *   BOUND    -> FREE      lease_release() by the holder
 *   OFFERED, BOUND, DECLINED -> FREE   lease_expire() once expires_ms passed
 *   any      -> RESERVED  lease_reserve() (reservations win over everything)
 *   any but RESERVED -> BOUND+is_static   lease_add_static()
 * A slot whose expiry time has passed counts as free even before
 * lease_expire() has swept it, so the answers never depend on when the
 * caller last swept. A slot is expired when now >= expires_ms.
 *
 * Invariant: a MAC holds at most one OFFERED or BOUND slot. Every path that
 * gives a MAC a slot first frees the dynamic slot it held elsewhere, which is
 * also how a client moving to a new address gives up its old one. A static
 * lease is never freed, expired, declined or moved except by lease_reserve().
 * DECLINED slots keep the declining MAC for the record but do not count as
 * held by it.
 */
#include "lease.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t host_mask(const struct lease_table *t)
{
	return (1u << (32 - t->prefix)) - 1;
}

static bool mac_eq(const struct lease *s, const uint8_t mac[6])
{
	return !memcmp(s->mac, mac, 6);
}

/* OFFERED, DECLINED or dynamically BOUND, and past its time. */
static bool slot_expired(const struct lease *s, uint64_t now)
{
	switch (s->state) {
	case LEASE_OFFERED:
	case LEASE_DECLINED:
		return now >= s->expires_ms;
	case LEASE_BOUND:
		return !s->is_static && now >= s->expires_ms;
	default:
		return false;
	}
}

static bool slot_available(const struct lease *s, uint64_t now)
{
	return s->state == LEASE_FREE || slot_expired(s, now);
}

/* An OFFERED or dynamic BOUND slot of @mac, expired or not. */
static bool slot_dynamic_of(const struct lease *s, const uint8_t mac[6])
{
	return (s->state == LEASE_OFFERED || (s->state == LEASE_BOUND && !s->is_static)) &&
	       mac_eq(s, mac);
}

static void slot_clear(struct lease *s)
{
	memset(s, 0, sizeof(*s));
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void set_hostname(struct lease *s, const char *hostname)
{
	size_t n = hostname ? strnlen(hostname, LEASE_HOSTNAME_MAX) : 0;

	memcpy(s->hostname, hostname ? hostname : "", n);
	s->hostname[n] = '\0';
}

/* Index of @mac's static lease, or -1. */
static long find_static(const struct lease_table *t, const uint8_t mac[6])
{
	for (uint32_t i = 0; i < t->nslots; i++) {
		const struct lease *s = &t->slots[i];

		if (s->state == LEASE_BOUND && s->is_static && mac_eq(s, mac))
			return i;
	}
	return -1;
}

/* Free every dynamic slot @mac holds, except @keep. */
static void release_others(struct lease_table *t, const uint8_t mac[6], const struct lease *keep)
{
	for (uint32_t i = 0; i < t->nslots; i++) {
		struct lease *s = &t->slots[i];

		if (s != keep && slot_dynamic_of(s, mac))
			slot_clear(s);
	}
}

int lease_table_init(struct lease_table *t, uint32_t net, unsigned prefix)
{
	memset(t, 0, sizeof(*t));
	if (prefix < 16 || prefix > 30)
		return -EINVAL;
	t->prefix = prefix;
	t->net = net & ~host_mask(t);
	t->nslots = (1u << (32 - prefix)) - 2;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	if (!t->slots) {
		memset(t, 0, sizeof(*t));
		return -ENOMEM;
	}
	return 0;
}

void lease_table_free(struct lease_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

struct lease *lease_slot(const struct lease_table *t, uint32_t ip)
{
	uint32_t host;

	if (!t->slots || (ip & ~host_mask(t)) != t->net)
		return NULL;
	host = ip & host_mask(t);
	if (host == 0 || host > t->nslots)
		return NULL;
	return &t->slots[host - 1];
}

static uint32_t slot_ip(const struct lease_table *t, const struct lease *s)
{
	return lease_slot_ip(t, (uint32_t)(s - t->slots));
}

int lease_reserve(struct lease_table *t, uint32_t ip)
{
	struct lease *s = lease_slot(t, ip);

	if (!s)
		return -EINVAL;
	if (s->is_static)
		t->nstatic--;
	slot_clear(s);
	s->state = LEASE_RESERVED;
	return 0;
}

int lease_add_static(struct lease_table *t, const uint8_t mac[6], uint32_t ip)
{
	struct lease *s = lease_slot(t, ip);
	char hostname[LEASE_HOSTNAME_MAX + 1] = "";

	if (!s || s->state == LEASE_RESERVED)
		return -EINVAL;
	if (s->is_static || find_static(t, mac) >= 0)
		return -EEXIST;
	if (t->nstatic >= LEASE_STATIC_MAX)
		return -ENOSPC;

	/* The address may have been leased to someone: the static lease wins. */
	if (slot_dynamic_of(s, mac))
		memcpy(hostname, s->hostname, sizeof(hostname));
	release_others(t, mac, s);
	slot_clear(s);
	s->state = LEASE_BOUND;
	s->is_static = true;
	memcpy(s->mac, mac, 6);
	memcpy(s->hostname, hostname, sizeof(hostname));
	t->nstatic++;
	return 0;
}

int lease_offer(struct lease_table *t, const uint8_t mac[6], uint32_t requested, uint64_t now,
		uint32_t *ip)
{
	struct lease *held = NULL, *lowest = NULL, *chosen = NULL, *req;
	long st = find_static(t, mac);

	if (st >= 0) {
		*ip = lease_slot_ip(t, (uint32_t)st);
		return 0;
	}

	for (uint32_t i = 0; i < t->nslots; i++) {
		struct lease *s = &t->slots[i];

		if (!held && slot_dynamic_of(s, mac))
			held = s;
		if (!lowest && slot_available(s, now))
			lowest = s;
		if (held && lowest)
			break;
	}

	req = requested ? lease_slot(t, requested) : NULL;
	if (held) {
		/* A live binding stays as it is; anything else is (re-)offered. */
		if (held->state == LEASE_BOUND && !slot_expired(held, now)) {
			*ip = slot_ip(t, held);
			return 0;
		}
		chosen = held;
	} else if (req && slot_available(req, now)) {
		chosen = req;
	} else if (lowest) {
		chosen = lowest;
	} else {
		return -ENOSPC;
	}

	if (chosen != held) {
		release_others(t, mac, chosen);
		slot_clear(chosen);
		memcpy(chosen->mac, mac, 6);
	}
	chosen->state = LEASE_OFFERED;
	chosen->expires_ms = add_sat(now, LEASE_OFFER_HOLD_MS);
	*ip = slot_ip(t, chosen);
	return 0;
}

int lease_request(struct lease_table *t, const uint8_t mac[6], uint32_t ip, uint64_t now,
		  uint64_t lease_ms, const char *hostname)
{
	struct lease *s = lease_slot(t, ip);
	long st;

	if (!s || s->state == LEASE_RESERVED)
		return -EINVAL;

	st = find_static(t, mac);
	if (st >= 0) {
		if (&t->slots[st] != s)
			return -EADDRINUSE;
		set_hostname(s, hostname);
		return 0;
	}
	if (s->is_static)
		return -EADDRINUSE;
	if (!slot_available(s, now) && (s->state == LEASE_DECLINED || !mac_eq(s, mac)))
		return -EADDRINUSE;

	release_others(t, mac, s);
	slot_clear(s);
	s->state = LEASE_BOUND;
	memcpy(s->mac, mac, 6);
	s->expires_ms = add_sat(now, lease_ms);
	set_hostname(s, hostname);
	return 0;
}

int lease_release(struct lease_table *t, const uint8_t mac[6], uint32_t ip)
{
	struct lease *s = lease_slot(t, ip);

	if (!s || s->state != LEASE_BOUND || s->is_static || !mac_eq(s, mac))
		return -ENOENT;
	slot_clear(s);
	return 0;
}

int lease_decline(struct lease_table *t, const uint8_t mac[6], uint32_t ip, uint64_t now)
{
	struct lease *s = lease_slot(t, ip);

	if (!s || !slot_dynamic_of(s, mac))
		return -ENOENT;
	s->state = LEASE_DECLINED;
	s->hostname[0] = '\0';
	s->expires_ms = add_sat(now, LEASE_DECLINE_HOLD_MS);
	return 0;
}

unsigned lease_expire(struct lease_table *t, uint64_t now)
{
	unsigned n = 0;

	for (uint32_t i = 0; i < t->nslots; i++) {
		if (slot_expired(&t->slots[i], now)) {
			slot_clear(&t->slots[i]);
			n++;
		}
	}
	return n;
}

uint32_t lease_find_mac(const struct lease_table *t, const uint8_t mac[6], uint64_t now)
{
	for (uint32_t i = 0; i < t->nslots; i++) {
		const struct lease *s = &t->slots[i];

		if (s->state == LEASE_BOUND && mac_eq(s, mac) && !slot_expired(s, now))
			return lease_slot_ip(t, i);
	}
	return 0;
}
