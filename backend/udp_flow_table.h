/* SPDX-License-Identifier: MIT */
/*
 * udp_flow_table.h - the flow table behind the UDP flows and the ping relay
 *
 * A pure data structure, no sockets and no clock: every function that needs
 * the time takes it as an argument, so the table can be tested on its own.
 * Entries are embedded in the caller's flow objects (the table never
 * allocates or frees one); the table keeps them in a hash for lookup by key,
 * in a list ordered by last activity for expiry, and counts flows per guest
 * address for the per-guest cap.
 */
#ifndef VGATE_UDP_FLOW_TABLE_H
#define VGATE_UDP_FLOW_TABLE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A flow's identity as the guest sees it. The ping relay stores the echo
 * identifier in gport and 0 in dport.
 */
struct udp_flow_key {
	uint32_t gip;	/* guest address, network order */
	uint32_t dip;	/* destination as the guest addressed it (before NAT), network order */
	uint16_t gport; /* guest port, host order */
	uint16_t dport; /* destination port, host order */
};

struct udp_flow_guest;

struct udp_flow_entry {
	struct udp_flow_key key; /* set by the caller before insert, then read-only */
	uint64_t last_ms;	 /* last activity (the `now` of insert or touch) */
	uint64_t born_ms;	 /* the `now` of insert */
	uint64_t to_host_bytes, to_guest_bytes; /* kept by the caller, zeroed by insert */
	/* private to the table */
	struct udp_flow_entry *hnext;
	struct udp_flow_entry *older, *newer;
	struct udp_flow_guest *guest;
};

struct udp_flow_table {
	struct udp_flow_entry **buckets;
	struct udp_flow_guest **guests; /* per-guest flow counts, same bucket count */
	uint32_t mask;			/* buckets - 1 (a power of two) */
	uint32_t seed;
	unsigned count, max, per_guest;
	struct udp_flow_entry *oldest, *newest; /* ordered by last_ms */
};

/*
 * udp_flow_table_init() - an empty table of at most @max entries, at most
 * @per_guest of them for one guest address; @nbuckets (rounded up to a power
 * of two, at least 1) hash buckets; @seed varies the hash so that a guest
 * cannot aim for one bucket
 * Return: 0 or -ENOMEM.
 */
int udp_flow_table_init(struct udp_flow_table *t, unsigned max, unsigned per_guest,
			unsigned nbuckets, uint32_t seed);
/* Free the table's own memory. Entries still inside are forgotten, not freed. */
void udp_flow_table_fini(struct udp_flow_table *t);

/* The entry for @k, or NULL. */
struct udp_flow_entry *udp_flow_table_lookup(const struct udp_flow_table *t,
					     const struct udp_flow_key *k);

/*
 * udp_flow_table_insert() - add @e (its key already set) as active at @now
 * Return: 0; -EEXIST (the key is taken); -ENOSPC (@max reached); -EDQUOT
 * (the guest has @per_guest flows); -ENOMEM.
 */
int udp_flow_table_insert(struct udp_flow_table *t, struct udp_flow_entry *e, uint64_t now);

/* Take @e out of the table (it must be in it). */
void udp_flow_table_remove(struct udp_flow_table *t, struct udp_flow_entry *e);

/*
 * udp_flow_table_touch() - @e was active at @now: it becomes the newest. A
 * @now older than the newest entry's time counts as that time, so the
 * expiry order stays sorted even if a caller's clock steps back.
 */
void udp_flow_table_touch(struct udp_flow_table *t, struct udp_flow_entry *e, uint64_t now);

/* The least recently active entry, or NULL when the table is empty. */
struct udp_flow_entry *udp_flow_table_oldest(const struct udp_flow_table *t);

/*
 * udp_flow_table_sweep_delay() - how long until the oldest entry has been
 * idle for @idle_ms, but at least @min_ms (sweeps are batched)
 * Return: milliseconds, or -1 when the table is empty (no sweep needed).
 */
int64_t udp_flow_table_sweep_delay(const struct udp_flow_table *t, uint64_t now, uint64_t idle_ms,
				   uint64_t min_ms);

/*
 * udp_flow_table_expired() - the oldest entry if it has been idle for
 * @idle_ms or longer at @now, else NULL. Callers remove what it returns
 * and call again until NULL.
 */
struct udp_flow_entry *udp_flow_table_expired(const struct udp_flow_table *t, uint64_t now,
					      uint64_t idle_ms);

struct flow_info;
/*
 * udp_flow_table_visit() - for /v1/flows: each entry, least recently
 * active first, as a flow_info (kind "outbound", state "active", the key,
 * counters and times at @now) that @fill completes (protocol, host-side
 * peer) before @fn sees it
 */
void udp_flow_table_visit(const struct udp_flow_table *t, uint64_t now,
			  void (*fill)(const struct udp_flow_entry *e, struct flow_info *fi),
			  void (*fn)(const struct flow_info *fi, void *arg), void *arg);

/* Flows of guest address @gip (network order). */
unsigned udp_flow_table_guest_flows(const struct udp_flow_table *t, uint32_t gip);

static inline unsigned udp_flow_table_count(const struct udp_flow_table *t)
{
	return t->count;
}

#endif
