/* SPDX-License-Identifier: MIT */
/*
 * icmp.h - ICMP echo for the gateway's own addresses
 *
 * Echo requests to the gateway IP and the virtual IPs are answered here.
 * Requests to any other address are not the gateway's to answer: they are
 * dropped and counted, never answered with a fake reply.
 */
#ifndef VGATE_ICMP_H
#define VGATE_ICMP_H

#include "net.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8

/*
 * icmp_build_echo_reply() - the reply to @req (an IPv4 view of an echo
 * request) as a full frame from @our_mac to @dst_mac
 * Return: frame length; -EBADMSG (not an echo request, bad length);
 * -ENOSPC.
 */
int icmp_build_echo_reply(uint8_t *out, size_t cap, const uint8_t dst_mac[6],
			  const uint8_t our_mac[6], const struct ipv4_view *req);

/* Handle an ICMP packet addressed to a gateway address. */
void icmp_echo_input(const struct eth_view *e, const struct ipv4_view *ip);

#define ICMP_DEST_UNREACH 3
#define ICMP_PORT_UNREACH 3
#define ICMP_FRAG_NEEDED 4
#define ICMP_HOST_UNREACH 1
#define ICMP_ADMIN_PROHIBITED 13
#define ICMP_TIME_EXCEEDED 11

/*
 * icmp_build_error() - an ICMP error about @orig (the offending IPv4
 * packet from a guest) as a frame to @dst_mac, sent from @from (the
 * address that reports it, network order): type/code, @info in the 4
 * "unused" bytes (the next-hop MTU for "fragmentation needed"), then the
 * original IP header and the first 8 bytes of its payload (RFC 792).
 * Return: frame length, or -ENOSPC.
 */
int icmp_build_error(uint8_t *out, size_t cap, const uint8_t dst_mac[6], const uint8_t our_mac[6],
		     uint32_t from, const struct ipv4_view *orig, uint8_t type, uint8_t code,
		     uint32_t info);

/* The IP header (with options) and first 8 payload bytes of a guest packet,
 * kept by a relay so it can report an error about it later. */
struct icmp_quote {
	uint8_t buf[60 + 8];
	uint8_t ihl, len; /* len 0: nothing kept yet */
};

/* Keep @ip's header and 8 payload bytes in @q. */
void icmp_quote_keep(struct icmp_quote *q, const struct ipv4_view *ip);

/*
 * icmp_quote_unreach() - send "destination unreachable" (@code) from @from
 * to @guest_mac about the packet kept in @q
 * Return: true if sent (something was kept).
 */
bool icmp_quote_unreach(const struct icmp_quote *q, const uint8_t guest_mac[6], uint32_t from,
			uint8_t code);

/* Build and send an ICMP error to the guest that sent @orig from @guest_mac. */
void icmp_send_error(const uint8_t guest_mac[6], uint32_t from, const struct ipv4_view *orig,
		     uint8_t type, uint8_t code, uint32_t info);

#endif
