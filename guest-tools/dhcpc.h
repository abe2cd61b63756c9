/* SPDX-License-Identifier: MIT */
/*
 * dhcpc.h - vgate-guest's builtin DHCP client: the state machine
 *
 * A pure state machine (RFC 2131 section 4.4) driven by three inputs: the
 * loop's clock reaching dhcpc_deadline(), a server reply, and the link to
 * vgate coming back. Each call returns what the caller must do (DHCPC_ACT_*
 * bits): send the message left in c->out, configure the lease in c->lease,
 * remove the one in c->old. It never touches a socket or the kernel, so the
 * unit tests drive it with a fake clock.
 *
 * Retransmission is bounded: 1 s doubling to DHCPC_RETRY_MAX_MS while
 * selecting (forever: a DHCP server that never answers costs one small frame
 * every 32 s, and a warning after DHCPC_SILENT_WARN_MS); four REQUESTs per
 * offer; renewals at half the time left to T2 (or expiry), at least
 * DHCPC_RENEW_RETRY_MIN_MS apart.
 */
#ifndef VGATE_DHCPC_H
#define VGATE_DHCPC_H

#include "dhcpc_wire.h"

#include <stdbool.h>
#include <stdint.h>

#define DHCPC_RETRY_FIRST_MS 1000
#define DHCPC_RETRY_MAX_MS 32000
#define DHCPC_REQUEST_TRIES 4
#define DHCPC_REBOOT_TRIES 3
#define DHCPC_RENEW_RETRY_MIN_MS 4000
#define DHCPC_SILENT_WARN_MS 15000
/* Leases shorter than this are stretched (a 0 s lease would renew nonstop). */
#define DHCPC_LEASE_MIN_S 10
/* A lease time missing from an ACK. */
#define DHCPC_LEASE_DEFAULT_S 3600
#define DHCPC_LEASE_INFINITE 0xffffffffu
/* Largest MTU taken from a lease: its frames must fit a uint16 length. */
#define DHCPC_MTU_MAX 65521
#define DHCPC_NEVER UINT64_MAX

enum dhcpc_state {
	DHCPC_IDLE,	  /* not started, or released: sends nothing, holds no lease */
	DHCPC_SELECTING,  /* DISCOVER sent; waiting for an OFFER (no lease) */
	DHCPC_REQUESTING, /* REQUEST for c->offer sent; waiting for ACK/NAK (no lease) */
	DHCPC_BOUND,	  /* c->lease configured; quiet until T1 */
	DHCPC_RENEWING,	  /* past T1: REQUEST unicast to the granting server */
	DHCPC_REBINDING,  /* past T2: REQUEST broadcast to any server */
	DHCPC_REBOOTING,  /* link to vgate came back: broadcast REQUEST for c->lease */
};

enum {
	DHCPC_ACT_SEND = 1 << 0,   /* send c->out (see out_*) */
	DHCPC_ACT_BIND = 1 << 1,   /* a new lease in c->lease: configure it */
	DHCPC_ACT_EXTEND = 1 << 2, /* c->lease renewed (same address): refresh it */
	DHCPC_ACT_UNBIND = 1 << 3, /* c->old is no longer ours: remove it */
	DHCPC_ACT_SILENT = 1 << 4, /* no server has answered for DHCPC_SILENT_WARN_MS */
};

struct dhcpc_lease {
	struct in_addr addr;
	uint8_t prefix;
	struct in_addr router; /* 0 when none */
	struct in_addr server;
	uint8_t server_mac[6];
	struct in_addr dns[DHCPC_DNS_MAX];
	unsigned ndns;
	uint16_t mtu; /* 0 when none */
	char domain[DHCPC_NAME_LEN];
	char search[DHCPC_NAME_LEN];
	uint32_t lease_s; /* DHCPC_LEASE_INFINITE for ever */
};

struct dhcpc_stats {
	uint64_t sent;
	uint64_t offers;
	uint64_t acks;
	uint64_t naks;
	uint64_t ignored; /* not for us, or not expected in this state */
};

struct dhcpc {
	enum dhcpc_state state;
	uint8_t mac[6];
	char hostname[DHCPC_HOSTNAME_LEN];
	uint64_t rng;
	uint32_t xid;
	unsigned attempts;
	uint64_t retry_ms;
	uint64_t deadline;
	uint64_t cycle_start; /* first message of this exchange: the secs field */
	bool warned_silent;
	struct in_addr offer_addr, offer_server;
	bool have_lease;
	struct dhcpc_lease lease;
	struct dhcpc_lease old;
	uint64_t t1_at, t2_at, expire_at;
	/* The message to send after DHCPC_ACT_SEND. */
	uint8_t out[DHCPC_MSG_MAX];
	size_t out_len;
	bool out_unicast; /* to out_dst / lease.server_mac, else broadcast */
	struct in_addr out_src, out_dst;
	uint8_t out_dst_mac[6];
	struct dhcpc_stats stats;
};

/*
 * dhcpc_init() - a client for @mac, idle
 * @hostname: sent as option 12 when safe (letters, digits, '-', '.'), or NULL
 * @seed: randomness for transaction ids
 */
void dhcpc_init(struct dhcpc *c, const uint8_t mac[6], const char *hostname, uint64_t seed);

/* dhcpc_start() - begin with a DISCOVER. Return: DHCPC_ACT_* bits. */
unsigned dhcpc_start(struct dhcpc *c, uint64_t now);

/*
 * dhcpc_link_up() - the link to vgate was re-established: confirm a held
 * lease at once (INIT-REBOOT) or restart discovery without waiting out the
 * backoff
 * Return: DHCPC_ACT_* bits.
 */
unsigned dhcpc_link_up(struct dhcpc *c, uint64_t now);

/*
 * dhcpc_input() - a server reply (already parsed)
 * @src_mac: the frame's source (where unicast renewals will go)
 * Return: DHCPC_ACT_* bits (0 when the reply is not for us or not expected).
 */
unsigned dhcpc_input(struct dhcpc *c, const struct dhcpc_reply *r, const uint8_t src_mac[6],
		     uint64_t now);

/* dhcpc_timer() - call when @now reaches dhcpc_deadline(). Return: DHCPC_ACT_* bits. */
unsigned dhcpc_timer(struct dhcpc *c, uint64_t now);

/*
 * dhcpc_release() - give the lease back (RELEASE to its server) and go idle
 * Return: DHCPC_ACT_SEND | DHCPC_ACT_UNBIND with a lease, else 0.
 */
unsigned dhcpc_release(struct dhcpc *c, uint64_t now);

/* dhcpc_deadline() - when dhcpc_timer() wants to run next (DHCPC_NEVER when idle) */
uint64_t dhcpc_deadline(const struct dhcpc *c);

/* dhcpc_state_name() - for logs */
const char *dhcpc_state_name(enum dhcpc_state s);

#endif
