/* SPDX-License-Identifier: MIT */
/*
 * icmp_relay.h - guest pings to the world through unprivileged ping sockets
 *
 * Echo requests to addresses that are not the gateway's own (and to
 * virtual IPs with a NAT entry, after translation) are sent from a
 * socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP) per (guest, destination,
 * identifier); the kernel rewrites the identifier, so replies are rebuilt
 * with the guest's identifier and sequence and the original (virtual)
 * source address. When ping sockets are not permitted
 * (net.ipv4.ping_group_range), that is logged once and requests are
 * dropped and counted; a reply is never faked. Sockets close after
 * ICMP_RELAY_IDLE_MS; at most ICMP_RELAY_MAX at once.
 */
#ifndef VGATE_ICMP_RELAY_H
#define VGATE_ICMP_RELAY_H

#include "flow_info.h"
#include "loop.h"
#include "net.h"

#include <stddef.h>
#include <stdint.h>

#define ICMP_RELAY_MAX 256
#define ICMP_RELAY_IDLE_MS 30000

struct icmp_relay_stats {
	uint64_t requests, replies;
	uint64_t refused;     /* egress policy */
	uint64_t unsupported; /* ping sockets not permitted */
	uint64_t capped, dropped;
};

extern struct icmp_relay_stats icmp_relay_stats;

int icmp_relay_init(void);
void icmp_relay_fini(void);
/* An ICMP echo request for a destination that is not the gateway's own. */
void icmp_relay_input(const struct eth_view *e, const struct ipv4_view *ip);
/* A ping socket is readable (REF_ICMP_SOCK). */
void icmp_relay_handle(struct loop_ref *ref, uint32_t events);

/*
 * icmp_relay_build_reply() - the echo reply frame for a guest, rebuilt from
 * what a ping socket returned
 * @reply, @len: ICMP header and data as the ping socket delivered them
 *	(type 0, the kernel's identifier, the sequence); may point at
 *	@out + ETH_HLEN_ + IPV4_HLEN_MIN (built in place)
 * @from: the address the guest pinged (before NAT), @to: the guest
 * @id: the guest's identifier, host order
 * The identifier is replaced, sequence and data are kept, the ICMP
 * checksum is recomputed.
 * Return: frame length; -EBADMSG (not an echo reply, or shorter than its
 * header); -ENOSPC.
 */
int icmp_relay_build_reply(uint8_t *out, size_t cap, const uint8_t dst_mac[6],
			   const uint8_t src_mac[6], uint32_t from, uint32_t to, uint16_t id,
			   const uint8_t *reply, size_t len);

/* Visit every flow, least recently active first (GET /v1/flows). */
void icmp_relay_foreach(flow_visit_fn fn, void *arg);

#endif
