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

#endif
