// SPDX-License-Identifier: MIT
/*
 * udp_flow_table.c - hash + activity list + per-guest counts, nothing else
 *
 * Theory of operation. A flow is found by its key on every guest datagram,
 * so lookup is a chained hash over a fixed power-of-two bucket array (sized
 * once by the caller to about the table's maximum; no rehashing). The hash
 * mixes all four key fields with a per-table random seed, so a guest that
 * chooses its ports cannot pile its flows into one chain.
 *
 * Expiry needs the least recently active flow, so every entry is also on a
 * doubly linked list ordered by last activity: insert and touch move an
 * entry to the newest end, and the expiry walk only ever looks at the oldest
 * end. Both are O(1); an expiry pass costs O(flows expired). The invariant
 * "the list is sorted by last_ms" holds because a time older than the
 * newest entry's is raised to it.
 *
 * The per-guest cap needs a count per guest address: a second chained hash
 * (same bucket count) of small records, created with a guest's first flow
 * and freed with its last. The table's only allocations are the two bucket
 * arrays and these records; the entries belong to the caller.
 */
#include "udp_flow_table.h"

#include "flow_info.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct udp_flow_guest {
	uint32_t ip;
	unsigned nflows;
	struct udp_flow_guest *next;
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint32_t key_hash(const struct udp_flow_table *t, const struct udp_flow_key *k)
{
	uint64_t a = (uint64_t)k->gip << 32 | k->dip;
	uint64_t b = (uint64_t)k->gport << 16 | k->dport;

	return (uint32_t)mix64(a ^ mix64(b ^ t->seed));
}

static uint32_t guest_hash(const struct udp_flow_table *t, uint32_t ip)
{
	return (uint32_t)mix64((uint64_t)ip ^ ((uint64_t)t->seed << 32));
}

static bool key_eq(const struct udp_flow_key *a, const struct udp_flow_key *b)
{
	return a->gip == b->gip && a->dip == b->dip && a->gport == b->gport && a->dport == b->dport;
}

int udp_flow_table_init(struct udp_flow_table *t, unsigned max, unsigned per_guest,
			unsigned nbuckets, uint32_t seed)
{
	uint32_t n = 1;

	memset(t, 0, sizeof(*t));
	while (n < nbuckets && n < (1u << 24))
		n <<= 1;
	t->buckets = calloc(n, sizeof(struct udp_flow_entry *));
	t->guests = calloc(n, sizeof(struct udp_flow_guest *));
	if (!t->buckets || !t->guests) {
		udp_flow_table_fini(t);
		return -ENOMEM;
	}
	t->mask = n - 1;
	t->seed = seed;
	t->max = max;
	t->per_guest = per_guest;
	return 0;
}

void udp_flow_table_fini(struct udp_flow_table *t)
{
	if (t->guests) {
		for (uint32_t i = 0; i <= t->mask; i++) {
			while (t->guests[i]) {
				struct udp_flow_guest *g = t->guests[i];

				t->guests[i] = g->next;
				free(g);
			}
		}
	}
	free(t->guests);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

struct udp_flow_entry *udp_flow_table_lookup(const struct udp_flow_table *t,
					     const struct udp_flow_key *k)
{
	struct udp_flow_entry *e;

	if (!t->buckets)
		return NULL;
	for (e = t->buckets[key_hash(t, k) & t->mask]; e; e = e->hnext)
		if (key_eq(&e->key, k))
			return e;
	return NULL;
}

static struct udp_flow_guest *guest_find(const struct udp_flow_table *t, uint32_t ip)
{
	struct udp_flow_guest *g;

	for (g = t->guests[guest_hash(t, ip) & t->mask]; g; g = g->next)
		if (g->ip == ip)
			return g;
	return NULL;
}

static void guest_put(struct udp_flow_table *t, struct udp_flow_guest *g)
{
	struct udp_flow_guest **pp;

	if (--g->nflows)
		return;
	for (pp = &t->guests[guest_hash(t, g->ip) & t->mask]; *pp; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			break;
		}
	}
	free(g);
}

static void list_unlink(struct udp_flow_table *t, struct udp_flow_entry *e)
{
	if (e->older)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	e->older = e->newer = NULL;
}

static void list_append(struct udp_flow_table *t, struct udp_flow_entry *e, uint64_t now)
{
	if (t->newest && now < t->newest->last_ms)
		now = t->newest->last_ms;
	e->last_ms = now;
	e->newer = NULL;
	e->older = t->newest;
	if (t->newest)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
}

int udp_flow_table_insert(struct udp_flow_table *t, struct udp_flow_entry *e, uint64_t now)
{
	struct udp_flow_guest *g;
	uint32_t b;

	if (!t->buckets)
		return -ENOMEM;
	if (udp_flow_table_lookup(t, &e->key))
		return -EEXIST;
	if (t->count >= t->max)
		return -ENOSPC;
	g = guest_find(t, e->key.gip);
	if (g && g->nflows >= t->per_guest)
		return -EDQUOT;
	if (!g) {
		if (!t->per_guest)
			return -EDQUOT;
		g = calloc(1, sizeof(*g));
		if (!g)
			return -ENOMEM;
		b = guest_hash(t, e->key.gip) & t->mask;
		g->ip = e->key.gip;
		g->next = t->guests[b];
		t->guests[b] = g;
	}
	g->nflows++;
	e->guest = g;
	e->born_ms = now;
	e->to_host_bytes = e->to_guest_bytes = 0;
	b = key_hash(t, &e->key) & t->mask;
	e->hnext = t->buckets[b];
	t->buckets[b] = e;
	list_append(t, e, now);
	t->count++;
	return 0;
}

void udp_flow_table_remove(struct udp_flow_table *t, struct udp_flow_entry *e)
{
	struct udp_flow_entry **pp;

	for (pp = &t->buckets[key_hash(t, &e->key) & t->mask]; *pp; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	}
	e->hnext = NULL;
	list_unlink(t, e);
	guest_put(t, e->guest);
	e->guest = NULL;
	t->count--;
}

void udp_flow_table_touch(struct udp_flow_table *t, struct udp_flow_entry *e, uint64_t now)
{
	if (t->newest == e) {
		if (now > e->last_ms)
			e->last_ms = now;
		return;
	}
	list_unlink(t, e);
	list_append(t, e, now);
}

struct udp_flow_entry *udp_flow_table_oldest(const struct udp_flow_table *t)
{
	return t->oldest;
}

int64_t udp_flow_table_sweep_delay(const struct udp_flow_table *t, uint64_t now, uint64_t idle_ms,
				   uint64_t min_ms)
{
	uint64_t deadline, delay;

	if (!t->oldest)
		return -1;
	deadline = t->oldest->last_ms + idle_ms;
	delay = deadline > now ? deadline - now : 0;
	return (int64_t)(delay > min_ms ? delay : min_ms);
}

struct udp_flow_entry *udp_flow_table_expired(const struct udp_flow_table *t, uint64_t now,
					      uint64_t idle_ms)
{
	struct udp_flow_entry *e = t->oldest;

	if (e && now >= e->last_ms && now - e->last_ms >= idle_ms)
		return e;
	return NULL;
}

unsigned udp_flow_table_guest_flows(const struct udp_flow_table *t, uint32_t gip)
{
	const struct udp_flow_guest *g = t->guests ? guest_find(t, gip) : NULL;

	return g ? g->nflows : 0;
}

void udp_flow_table_visit(const struct udp_flow_table *t, uint64_t now,
			  void (*fill)(const struct udp_flow_entry *e, struct flow_info *fi),
			  void (*fn)(const struct flow_info *fi, void *arg), void *arg)
{
	for (const struct udp_flow_entry *e = t->oldest; e; e = e->newer) {
		struct flow_info fi = {
			.kind = "outbound",
			.state = "active",
			.gip = e->key.gip,
			.gport = e->key.gport,
			.dip = e->key.dip,
			.dport = e->key.dport,
			.to_host_bytes = e->to_host_bytes,
			.to_guest_bytes = e->to_guest_bytes,
			.age_ms = now > e->born_ms ? now - e->born_ms : 0,
			.idle_ms = now > e->last_ms ? (int64_t)(now - e->last_ms) : 0,
		};

		fill(e, &fi);
		fn(&fi, arg);
	}
}
