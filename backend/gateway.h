/* SPDX-License-Identifier: MIT */
/*
 * gateway.h - the switch's port 0: the virtual network's router
 *
 * Every frame addressed to the gateway MAC, and every broadcast, comes to
 * gateway_input(), whose classifier (one switch statement) decides which
 * service gets it. Frames the gateway sends go out through
 * gateway_output(), into the switch like any port's.
 */
#ifndef VGATE_GATEWAY_H
#define VGATE_GATEWAY_H

#include <stddef.h>
#include <stdint.h>

struct gateway_stats {
	uint64_t frames, bytes; /* delivered to the gateway */
	uint64_t malformed;	/* failed header checks */
	uint64_t arp_replies;
	uint64_t icmp_replies;
	uint64_t dhcp, dns_udp; /* requests handed to the servers */
	uint64_t lwip;		/* frames handed to lwIP (TCP to the gateway, ARP replies) */
	uint64_t not_for_us;	/* IPv4 for other destinations: handed to the relays */
	uint64_t fragments;	/* IPv4 fragments (not reassembled: dropped) */
	uint64_t ignored;	/* other EtherTypes and protocols */
	uint64_t out_frames, out_bytes;
};

extern struct gateway_stats gw_stats;

/*
 * gateway_init() - start the gateway's services (lwIP netif, DHCP, DNS,
 * the outbound relays); @flows_max bounds concurrent TCP flows
 * Return: 0 or -errno.
 */
int gateway_init(unsigned flows_max);
void gateway_fini(void);

/* A frame the switch delivered to the gateway. Return: 0 (taken). */
int gateway_input(const uint8_t *frame, size_t len);

/* Send a frame from the gateway into the switch (and the capture). */
void gateway_output(const uint8_t *frame, size_t len);

#endif
