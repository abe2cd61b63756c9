/* SPDX-License-Identifier: MIT */
/*
 * dhcp_server.h - the gateway's DHCP server (RFC 2131)
 */
#ifndef VGATE_DHCP_SERVER_H
#define VGATE_DHCP_SERVER_H

#include "lease.h"
#include "net.h"

struct dhcp_server_stats {
	uint64_t discover, request, release, decline, inform;
	uint64_t offers, acks, naks;
	uint64_t malformed, ignored, exhausted;
};

extern struct dhcp_server_stats dhcp_server_stats;
extern struct lease_table dhcp_server_leases;

/* Return: 0 or -errno. */
int dhcp_server_init(void);
void dhcp_server_fini(void);
/* A UDP datagram to port 67. */
void dhcp_server_input(const struct eth_view *e, const struct ipv4_view *ip,
		       const struct udp_view *u);

#endif
