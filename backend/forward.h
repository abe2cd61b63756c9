/* SPDX-License-Identifier: MIT */
/*
 * forward.h - port forwards from the host into the guests, the forwarder
 * API routes, and the in-network API at gateway:80
 *
 * See the opening comment of forward.c for the rules; forward_table.h has
 * the spec syntax.
 */
#ifndef VGATE_FORWARD_H
#define VGATE_FORWARD_H

#include "flow_info.h"
#include "loop.h"
#include "net.h"

#include <stdbool.h>
#include <stdint.h>

/* Host connections one tcp or unix forward relays at once (more: RST). */
#define FWD_CONNS_MAX 1024
/* Client flows of one udp forward (a new client beyond: dropped, counted). */
#define FWD_UDP_FLOWS_MAX 256
/* Guest connections to the in-network API at once (more: RST). */
#define FWD_GUEST_API_CONNS_MAX 64
/* The in-network API's port on the gateway address. */
#define FWD_GUEST_API_PORT 80

struct fwd_stats {
	uint64_t exposed, unexposed, active;
	uint64_t accepted, refused_capped; /* host connections */
	uint64_t udp_to_guest, udp_to_host, udp_dropped;
	uint64_t guest_api_conns, guest_api_unauthorized;
};

extern struct fwd_stats fwd_stats;

/*
 * forward_init() - add the forwarder routes to the API, open the -ssh-port
 * forward (a port already taken is a warning), start the in-network API
 * listener unless --no-guest-api, read --guest-api-token
 * Call after gateway_init() and api_init().
 * Return: 0 or -errno (logged).
 */
int forward_init(void);

/* Close every forward and relay, the in-network API listener; remove sockets files. */
void forward_fini(void);

/* REF_FWD_LISTENER, REF_FWD_UDP, REF_FWD_CONN. */
void forward_handle(struct loop_ref *ref, uint32_t events);

/* After each loop iteration (relays: lwIP output, host writes). */
void forward_flush(void);

/*
 * forward_udp_input() - a guest datagram to the gateway address: if it is a
 * reply on a udp forward's flow, send it to that flow's host client
 * Return: true when consumed.
 */
bool forward_udp_input(const struct eth_view *e, const struct ipv4_view *ip,
		       const struct udp_view *u);

/* Visit every forwarded connection or UDP client, and every guest
 * connection to the in-network API (GET /v1/flows). */
void forward_foreach(flow_visit_fn fn, void *arg);

#endif
