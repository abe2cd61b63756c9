/* SPDX-License-Identifier: MIT */
/*
 * arp.h - ARP for the gateway's addresses, and the guests' neighbour table
 *
 * vgate answers ARP requests for the gateway IP, every virtual IP (the
 * host alias included) and every NAT address inside the subnet, and
 * nothing else. Every ARP packet and every IPv4
 * frame from a guest teaches the neighbour table which MAC holds which IP
 * (bounded at ARP_NEIGH_MAX entries; the stalest is replaced when full),
 * which the gateway uses to address frames it originates.
 */
#ifndef VGATE_ARP_H
#define VGATE_ARP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARP_NEIGH_MAX 1024
#define ARP_PKT_LEN 28

struct arp_packet {
	uint16_t op; /* 1 request, 2 reply */
	uint8_t sha[6], tha[6];
	uint32_t spa, tpa; /* network order */
};

/* Parse an Ethernet/IPv4 ARP packet. Return: 0 or -EBADMSG. */
int arp_parse(const uint8_t *buf, size_t len, struct arp_packet *a);

/* Build an ARP reply frame (42 bytes). Return: length or -ENOSPC. */
int arp_build_reply(uint8_t *out, size_t cap, const uint8_t our_mac[6], uint32_t our_ip,
		    const struct arp_packet *req);

/*
 * arp_input() - handle an ARP frame's payload from a guest
 * Return: 1 if it should also go to lwIP (replies: lwIP resolves guests
 * for the TCP it sends), else 0.
 */
int arp_input(const uint8_t *payload, size_t len);

void arp_learn(uint32_t ip, const uint8_t mac[6]);
/* Return: 0 with @mac filled, or -ENOENT. */
int arp_lookup(uint32_t ip, uint8_t mac[6]);
void arp_reset(void);

#endif
