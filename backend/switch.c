// SPDX-License-Identifier: MIT
/*
 * switch.c - MAC learning and frame forwarding
 *
 * The table uses linear probing with backward-shift deletion, so lookups
 * never need tombstones and stay short at the bounded load factor of 1/2.
 */
#include "switch.h"

#include <errno.h>
#include <string.h>

static bool mac_is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

static unsigned mac_hash(const uint8_t *mac)
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 16777619u;
	return h % SWITCH_MAC_SLOTS;
}

void switch_init(struct vswitch *sw, const uint8_t gateway_mac[6], switch_deliver_fn deliver,
		 switch_learn_fn learn, void *ctx)
{
	memset(sw, 0, sizeof(*sw));
	memcpy(sw->gateway_mac, gateway_mac, 6);
	sw->deliver = deliver;
	sw->learn = learn;
	sw->ctx = ctx;
}

static int find_slot(const struct vswitch *sw, const uint8_t *mac)
{
	unsigned i = mac_hash(mac);

	for (unsigned n = 0; n < SWITCH_MAC_SLOTS; n++, i = (i + 1) % SWITCH_MAC_SLOTS) {
		if (!sw->table[i].used)
			return -ENOENT;
		if (!memcmp(sw->table[i].mac, mac, 6))
			return (int)i;
	}
	return -ENOENT;
}

int switch_lookup(const struct vswitch *sw, const uint8_t mac[6])
{
	int s = find_slot(sw, mac);

	return s < 0 ? s : sw->table[s].port;
}

static void delete_slot(struct vswitch *sw, unsigned i)
{
	unsigned j = i;

	sw->table[i].used = false;
	sw->entries--;
	/* Backward-shift: move later members of the probe run into the hole. */
	for (;;) {
		unsigned home;

		j = (j + 1) % SWITCH_MAC_SLOTS;
		if (!sw->table[j].used)
			return;
		home = mac_hash(sw->table[j].mac);
		/* Entry j may move to i if its home is not cyclically in (i, j]. */
		if ((i < j) ? (home <= i || home > j) : (home <= i && home > j)) {
			sw->table[i] = sw->table[j];
			sw->table[j].used = false;
			i = j;
		}
	}
}

static void learn(struct vswitch *sw, unsigned port, const uint8_t *mac, uint64_t now)
{
	unsigned i = mac_hash(mac);
	bool first = true;
	int slot = find_slot(sw, mac);

	if (slot >= 0) {
		struct switch_mac_entry *e = &sw->table[slot];

		if (e->port != port) {
			sw->stats.moves++;
			e->port = (uint16_t)port;
		} else {
			first = false;
		}
		e->seen = now;
		if (first && sw->learn)
			sw->learn(sw->ctx, port, mac);
		return;
	}
	if (sw->entries >= SWITCH_MACS_MAX) {
		sw->stats.table_full++;
		return;
	}
	while (sw->table[i].used)
		i = (i + 1) % SWITCH_MAC_SLOTS;
	memcpy(sw->table[i].mac, mac, 6);
	sw->table[i].port = (uint16_t)port;
	sw->table[i].seen = now;
	sw->table[i].used = true;
	sw->entries++;
	if (sw->learn)
		sw->learn(sw->ctx, port, mac);
}

static void deliver(struct vswitch *sw, unsigned port, const uint8_t *frame, size_t len)
{
	struct switch_port_stats *st = &sw->port_stats[port];

	if (sw->deliver(sw->ctx, port, frame, len) < 0) {
		st->tx_drops++;
		if (port != SWITCH_GATEWAY_PORT)
			sw->stats.vm_tx_drops++;
		return;
	}
	st->tx_frames++;
	st->tx_bytes += len;
	if (port != SWITCH_GATEWAY_PORT) {
		sw->stats.vm_tx_frames++;
		sw->stats.vm_tx_bytes += len;
	}
}

void switch_input(struct vswitch *sw, unsigned port, const uint8_t *frame, size_t len, uint64_t now)
{
	const uint8_t *dst = frame, *src = frame + 6;
	int out;

	if (port >= SWITCH_PORTS_MAX || !sw->active[port] || len < 14)
		return;
	sw->port_stats[port].rx_frames++;
	sw->port_stats[port].rx_bytes += len;
	if (port != SWITCH_GATEWAY_PORT) {
		sw->stats.vm_rx_frames++;
		sw->stats.vm_rx_bytes += len;
		if (!mac_is_group(src))
			learn(sw, port, src, now);
	}

	if (mac_is_group(dst)) {
		for (unsigned p = 0; p < SWITCH_PORTS_MAX; p++)
			if (sw->active[p] && p != port)
				deliver(sw, p, frame, len);
		return;
	}
	if (!memcmp(dst, sw->gateway_mac, 6)) {
		out = SWITCH_GATEWAY_PORT;
	} else {
		out = switch_lookup(sw, dst);
		if (out < 0) {
			sw->stats.unknown_unicast++;
			return;
		}
	}
	if ((unsigned)out == port) {
		sw->stats.hairpin++;
		return;
	}
	if (sw->active[out])
		deliver(sw, (unsigned)out, frame, len);
}

int switch_port_add(struct vswitch *sw)
{
	for (unsigned p = 1; p < SWITCH_PORTS_MAX; p++) {
		if (!sw->active[p]) {
			sw->active[p] = true;
			memset(&sw->port_stats[p], 0, sizeof(sw->port_stats[p]));
			return (int)p;
		}
	}
	return -ENOSPC;
}

void switch_port_add_gateway(struct vswitch *sw)
{
	sw->active[SWITCH_GATEWAY_PORT] = true;
}

void switch_port_remove(struct vswitch *sw, unsigned port)
{
	if (port >= SWITCH_PORTS_MAX)
		return;
	sw->active[port] = false;
	for (unsigned i = 0; i < SWITCH_MAC_SLOTS;) {
		if (sw->table[i].used && sw->table[i].port == port) {
			delete_slot(sw, i);
			continue; /* slot i may now hold a shifted entry */
		}
		i++;
	}
}

unsigned switch_age(struct vswitch *sw, uint64_t now)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SWITCH_MAC_SLOTS;) {
		if (sw->table[i].used && now - sw->table[i].seen > SWITCH_MAC_AGE_MS) {
			delete_slot(sw, i);
			n++;
			continue;
		}
		i++;
	}
	sw->stats.aged += n;
	return n;
}

unsigned switch_port_count(const struct vswitch *sw)
{
	unsigned n = 0;

	for (unsigned p = 0; p < SWITCH_PORTS_MAX; p++)
		n += sw->active[p];
	return n;
}
