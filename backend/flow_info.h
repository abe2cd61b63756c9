/* SPDX-License-Identifier: MIT */
/*
 * flow_info.h - one flow as GET /v1/flows lists it
 *
 * Each flow owner (tcp_flow.c, udp_flow.c, icmp_relay.c, forward.c) walks
 * its flows with a *_foreach() that fills one of these per flow and hands
 * it to a visitor; api_json.c turns the visits into the JSON array. The
 * strings point into the owner's memory and live only during the visit.
 */
#ifndef VGATE_FLOW_INFO_H
#define VGATE_FLOW_INFO_H

#include <stdint.h>

struct flow_info {
	const char *proto; /* "tcp", "udp", "icmp" */
	const char *kind;  /* "outbound" (the guest opened it), "forward" (host into guest),
			      "gateway" (a guest to the gateway's own service), "tunnel" (/tunnel) */
	uint32_t gip;	   /* the guest's address, network order */
	uint16_t gport;	   /* the guest's port (icmp: the echo identifier) */
	uint32_t dip;	   /* outbound: the destination as the guest addressed it, network order */
	uint16_t dport;
	uint32_t hip; /* outbound: the host-side peer after the NAT table, network order */
	uint16_t hport;
	const char *local; /* forward: the host-side listener ("127.0.0.1:8080", a path) */
	const char *state;
	uint64_t to_host_bytes, to_guest_bytes;
	uint64_t age_ms; /* since the flow was opened */
	int64_t idle_ms; /* since its last datagram (udp, icmp), -1 when not kept */
};

typedef void (*flow_visit_fn)(const struct flow_info *fi, void *arg);

#endif
