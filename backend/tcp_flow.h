/* SPDX-License-Identifier: MIT */
/*
 * tcp_flow.h - guest TCP to the world: the DNAT shim in front of lwIP
 *
 * See the opening comment of tcp_flow.c for the flow states and the rules.
 */
#ifndef VGATE_TCP_FLOW_H
#define VGATE_TCP_FLOW_H

#include "flow_info.h"
#include "loop.h"
#include "net.h"

#include <stddef.h>
#include <stdint.h>

/* Mapped gateway ports come from this range (below it: the gateway's own
 * services, then the ports forward_relay.c connects into guests from). */
#define TCP_FLOW_PORT_MIN 16384
#define TCP_FLOW_PORT_MAX 65535

struct tcp_flow_stats {
	uint64_t opened, closed, active, connecting;
	uint64_t refused_policy; /* egress policy: RST */
	uint64_t refused_host;	 /* connect() refused/unreachable: RST */
	uint64_t timeouts;	 /* connect timed out: RST */
	uint64_t capped;	 /* flow caps reached: RST */
	uint64_t no_port;	 /* no free mapped port: RST */
	uint64_t unknown;	 /* segments for no flow (dropped, or RST) */
	uint64_t to_host_bytes, to_guest_bytes;
	uint64_t resets_from_guest, resets_from_host;
	uint64_t throttled; /* a flow waited for the global memory budget */
};

extern struct tcp_flow_stats tcp_flow_stats;

/* Return: 0 or -errno. @flows_max: total cap, derived from the fd limit. */
int tcp_flow_init(unsigned flows_max);
void tcp_flow_fini(void);

/* A guest TCP segment for a destination other than the gateway itself. */
void tcp_flow_input(const uint8_t *frame, size_t len, const struct eth_view *e,
		    const struct ipv4_view *ip);

/*
 * tcp_flow_output() - lwIP sent @frame: if it comes from a mapped port,
 * rewrite it in place (it is vgate's own copy) back to the flow's real
 * addresses. Called by the gateway netif for every outgoing frame.
 */
void tcp_flow_output(uint8_t *frame, size_t len);

/* Answer a guest segment for an address where nothing listens with RST. */
void tcp_flow_reset(const struct eth_view *e, const struct ipv4_view *ip);

/* A flow's host socket is ready (REF_TCP_FLOW). */
void tcp_flow_handle(struct loop_ref *ref, uint32_t events);

/* After each loop iteration: push lwIP output, retry staged writes. */
void tcp_flow_flush(void);

/* Visit every flow (GET /v1/flows). */
void tcp_flow_foreach(flow_visit_fn fn, void *arg);

/* Current number of flows, and the cap. */
unsigned tcp_flow_count(void);
unsigned tcp_flow_cap(void);

#endif
