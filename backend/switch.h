/* SPDX-License-Identifier: MIT */
/*
 * switch.h - the virtual L2 switch every VM and the gateway plug into
 *
 * Ports are small integers: port 0 is the gateway, 1..SWITCH_PORTS_MAX-1 are
 * VM connections. The switch knows nothing of transports: it learns source
 * MACs, decides where each frame goes and calls a deliver function per
 * destination port; the owner of the ports does the I/O.
 *
 * Forwarding rules:
 *   - source MAC learnt for the ingress port (not if multicast/broadcast);
 *   - broadcast/multicast destination: every active port but the ingress one
 *     (the gateway included);
 *   - destination = gateway MAC: the gateway port;
 *   - known unicast destination: its port (dropped if that is the ingress);
 *   - unknown unicast: dropped and counted (the gateway answers ARP for the
 *     addresses it owns, so a guest never needs flooding to reach it).
 *
 * The MAC table is an open-addressing hash of at most SWITCH_MACS_MAX
 * entries; entries not refreshed for SWITCH_MAC_AGE_MS are aged out by
 * switch_age(), and all entries of a port are forgotten when it goes away.
 * A full table is counted and the new MAC is not learnt.
 */
#ifndef VGATE_SWITCH_H
#define VGATE_SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SWITCH_PORTS_MAX 256
#define SWITCH_GATEWAY_PORT 0
#define SWITCH_MACS_MAX 4096
#define SWITCH_MAC_SLOTS (2 * SWITCH_MACS_MAX)
#define SWITCH_MAC_AGE_MS (300 * 1000)

struct switch_port_stats {
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t tx_drops; /* deliver failed: the port's queue was full */
};

struct switch_stats {
	uint64_t unknown_unicast; /* dropped: destination not learnt */
	uint64_t hairpin;	  /* dropped: destination is the ingress port */
	uint64_t table_full;	  /* MACs not learnt because the table was full */
	uint64_t moves;		  /* a MAC seen on another port than before */
	uint64_t aged;		  /* entries aged out */
	/* traffic of VM ports (not the gateway) since start */
	uint64_t vm_rx_frames, vm_rx_bytes;
	uint64_t vm_tx_frames, vm_tx_bytes, vm_tx_drops;
};

struct switch_mac_entry {
	uint8_t mac[6];
	uint16_t port;
	bool used;
	uint64_t seen;
};

/* Return: 0 when the frame was taken, negative when dropped. */
typedef int (*switch_deliver_fn)(void *ctx, unsigned port, const uint8_t *frame, size_t len);
/* Called when a port's first source MAC is learnt. */
typedef void (*switch_learn_fn)(void *ctx, unsigned port, const uint8_t mac[6]);

struct vswitch {
	bool active[SWITCH_PORTS_MAX];
	struct switch_port_stats port_stats[SWITCH_PORTS_MAX];
	struct switch_mac_entry table[SWITCH_MAC_SLOTS];
	unsigned entries;
	struct switch_stats stats;
	uint8_t gateway_mac[6];
	switch_deliver_fn deliver;
	switch_learn_fn learn;
	void *ctx;
};

void switch_init(struct vswitch *sw, const uint8_t gateway_mac[6], switch_deliver_fn deliver,
		 switch_learn_fn learn, void *ctx);

/*
 * switch_port_add() - claim a free port number (1..SWITCH_PORTS_MAX-1)
 * Return: the port, or -ENOSPC when every port is taken.
 */
int switch_port_add(struct vswitch *sw);
/* switch_port_add_gateway() - mark port 0 active */
void switch_port_add_gateway(struct vswitch *sw);
/* Forget @port and every MAC learnt on it. */
void switch_port_remove(struct vswitch *sw, unsigned port);

/* switch_input() - a frame arrived on @port at time @now (ms) */
void switch_input(struct vswitch *sw, unsigned port, const uint8_t *frame, size_t len,
		  uint64_t now);

/* Remove entries older than SWITCH_MAC_AGE_MS. Return: how many. */
unsigned switch_age(struct vswitch *sw, uint64_t now);

/* Port a MAC was learnt on, or -ENOENT. */
int switch_lookup(const struct vswitch *sw, const uint8_t mac[6]);

/* Count of ports in use, gateway included. */
unsigned switch_port_count(const struct vswitch *sw);

#endif
