/* SPDX-License-Identifier: MIT */
/*
 * dns_server.h - the gateway's DNS server: local zones, then upstream resolvers
 */
#ifndef VGATE_DNS_SERVER_H
#define VGATE_DNS_SERVER_H

#include "loop.h"
#include "net.h"

#include <stdint.h>

struct dns_server_stats {
	uint64_t queries_udp, queries_tcp;
	uint64_t local_answers, nxdomain;
	uint64_t forwarded, upstream_answers, servfail, truncated;
	uint64_t formerr, notimp, pending_full, timeouts, upstream_garbage;
	uint64_t dropped; /* responses and runts sent to the server: not answered */
};

extern struct dns_server_stats dns_server_stats;

/* Return: 0 or -errno. */
int dns_server_init(void);
void dns_server_fini(void);
/* A UDP datagram to gateway:53. */
void dns_server_udp_input(const struct eth_view *e, const struct ipv4_view *ip,
			  const struct udp_view *u);
/* An upstream socket (REF_DNS_UPSTREAM) is ready. */
void dns_server_upstream_handle(struct loop_ref *ref, uint32_t events);

#endif
