/* SPDX-License-Identifier: MIT */
/*
 * udp_flow.h - guest UDP to the world through host sockets
 *
 * One connected host socket per (guest address:port, destination
 * address:port) flow. Datagrams from the guest are sent on it; replies read
 * from it go back to the guest with the original addresses (the virtual
 * destination, before NAT). Flows close after the idle timeout
 * (config udp_idle_ms, default 90 s); at most UDP_FLOWS_MAX flows in total
 * and UDP_FLOWS_PER_GUEST per guest IP (new flows beyond are dropped and
 * counted). ECONNREFUSED on a flow's socket (the host got ICMP port
 * unreachable) becomes an ICMP port unreachable to the guest. Broadcast and
 * multicast destinations are never sent out. Datagrams that need IP
 * fragmentation on the guest side (reply larger than MTU - 28) are dropped
 * and counted; a guest datagram with DF... (see udp_flow.c for the rule).
 */
#ifndef VGATE_UDP_FLOW_H
#define VGATE_UDP_FLOW_H

#include "flow_info.h"
#include "loop.h"
#include "net.h"

#include <stdint.h>

#define UDP_FLOWS_MAX 4096
#define UDP_FLOWS_PER_GUEST 1024

struct udp_flow_stats {
	uint64_t opened, closed, active;
	uint64_t refused;		 /* egress policy */
	uint64_t capped;		 /* dropped: flow caps reached */
	uint64_t tx_datagrams, tx_bytes; /* guest -> world */
	uint64_t rx_datagrams, rx_bytes; /* world -> guest */
	uint64_t dropped;		 /* send errors, oversize replies, broadcast/multicast */
	uint64_t port_unreachable;	 /* ICMP errors sent to guests */
};

extern struct udp_flow_stats udp_flow_stats;

int udp_flow_init(void);
void udp_flow_fini(void);
/* A guest UDP datagram for a destination that is not the gateway's service. */
void udp_flow_input(const struct eth_view *e, const struct ipv4_view *ip, const struct udp_view *u);
/* A flow's host socket is readable (REF_UDP_FLOW). */
void udp_flow_handle(struct loop_ref *ref, uint32_t events);

/* Visit every flow, least recently active first (GET /v1/flows). */
void udp_flow_foreach(flow_visit_fn fn, void *arg);

#endif
