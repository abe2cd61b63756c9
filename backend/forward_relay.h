/* SPDX-License-Identifier: MIT */
/*
 * forward_relay.h - one TCP connection of the gateway's own: an lwIP PCB
 * on the gateway address relayed to a host-side stream socket
 *
 * Used for port forwards (a host client's socket <-> a connection vgate
 * opens into the guest) and for the in-network API (a guest's connection
 * to gateway:80 <-> a socketpair whose other end libmicrohttpd serves).
 * The relaying rules are tcp_flow.c's; see forward_relay.c.
 */
#ifndef VGATE_FORWARD_RELAY_H
#define VGATE_FORWARD_RELAY_H

#include "flow_info.h"
#include "loop.h"

#include <stdbool.h>
#include <stdint.h>

#include "tcp_flow.h"

/* Gateway ports the relays connect from: above the gateway's own services
 * and below tcp_flow.c's mapped ports (TCP_FLOW_PORT_MIN), so its DNAT
 * never rewrites these connections. */
#define FWD_RELAY_PORT_MIN 1024
#define FWD_RELAY_PORT_MAX (TCP_FLOW_PORT_MIN - 1)
/* A connect into the guest that has no answer after this is given up. */
#define FWD_RELAY_CONNECT_MS 10000
/* Bytes read from one host socket per wake-up before serving others. */
/* Memory bound over all relays, each direction (see forward_relay.c). */
#define FWD_RELAY_BUDGET (64u * 1024 * 1024)

struct fwd_relay;

/* The relays of one owner (a forward, the in-network API). */
struct fwd_relay_group {
	struct fwd_relay *head;
	unsigned n;
};

struct fwd_relay_stats {
	uint64_t opened, closed, active;
	uint64_t refused;  /* the guest answered the connect with RST */
	uint64_t timeouts; /* the guest did not answer the connect */
	uint64_t no_port;  /* no free gateway port in the relay range */
	uint64_t to_guest_bytes, to_host_bytes;
	uint64_t resets_from_guest, resets_from_host;
	uint64_t throttled;
};

extern struct fwd_relay_stats fwd_relay_stats;

/*
 * fwd_relay_connect() - connect from the gateway into the guest at
 * @ip:@port (network order / host order) and relay @fd to it once
 * connected; @fd is not read before. The relay owns @fd from here on,
 * whatever the result (on failure it is closed with RST).
 * Return: 0; -EADDRNOTAVAIL (no gateway port); -ENOMEM.
 */
int fwd_relay_connect(struct fwd_relay_group *g, int fd, uint32_t ip, uint16_t port);

struct tcp_pcb;
/*
 * fwd_relay_accepted() - relay @fd to an accepted @pcb (established)
 * The relay owns both from here on; on failure both are closed
 * (the PCB aborted: call this from an accept callback only if it then
 * returns ERR_ABRT on failure).
 * Return: 0 or -ENOMEM.
 */
int fwd_relay_accepted(struct fwd_relay_group *g, int fd, struct tcp_pcb *pcb);

/* Reset every relay of @g both ways (unexpose). Not from lwIP callbacks. */
void fwd_relay_group_abort(struct fwd_relay_group *g);

/* REF_FWD_CONN: a relay's host socket is ready. */
void fwd_relay_handle(struct loop_ref *ref, uint32_t events);

/* After each loop iteration: move bytes, push lwIP output, advance closes. */
void fwd_relay_flush(void);

/* Reset every relay (shutdown). */
/*
 * fwd_relay_group_foreach() - visit each live relay of @g as a copy of
 * @tmpl (kind, local) with the guest's end, state, bytes and age filled in
 */
void fwd_relay_group_foreach(const struct fwd_relay_group *g, const struct flow_info *tmpl,
			     flow_visit_fn fn, void *arg);

void fwd_relay_fini(void);

#endif
