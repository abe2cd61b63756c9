// SPDX-License-Identifier: MIT
/*
 * dhcpc.c - the builtin DHCP client's state machine
 *
 * Transitions (everything else is ignored and counted):
 *
 *   IDLE       --start-->            SELECTING (DISCOVER)
 *   SELECTING  --OFFER-->            REQUESTING (REQUEST with 50 + 54)
 *   SELECTING  --timer-->            SELECTING (DISCOVER again, backoff)
 *   REQUESTING --ACK-->              BOUND (BIND)
 *   REQUESTING --NAK / 4 timeouts--> SELECTING after the current backoff
 *   BOUND      --T1-->               RENEWING (unicast REQUEST, ciaddr set)
 *   RENEWING   --T2-->               REBINDING (broadcast REQUEST, ciaddr set)
 *   REBINDING  --expiry-->           SELECTING (UNBIND)
 *   RENEWING/REBINDING/REBOOTING --ACK--> BOUND (EXTEND, or UNBIND+BIND when
 *                                    the server moved us), --NAK--> SELECTING (UNBIND)
 *   any state with a lease --link up--> REBOOTING (broadcast REQUEST, option 50)
 *   REBOOTING  --3 timeouts-->       back to whatever the lease's clock says
 *   any        --release-->          IDLE (RELEASE sent when a lease was held)
 *
 * Every message of one exchange shares a transaction id; a reply with any
 * other id, or for another MAC, is not ours. Time is milliseconds of
 * whatever monotonic clock the caller passes in.
 */
#include "dhcpc.h"

#include "util.h"

#include <arpa/inet.h>
#include <string.h>

static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

const char *dhcpc_state_name(enum dhcpc_state s)
{
	switch (s) {
	case DHCPC_IDLE:
		return "idle";
	case DHCPC_SELECTING:
		return "selecting";
	case DHCPC_REQUESTING:
		return "requesting";
	case DHCPC_BOUND:
		return "bound";
	case DHCPC_RENEWING:
		return "renewing";
	case DHCPC_REBINDING:
		return "rebinding";
	case DHCPC_REBOOTING:
		return "rebooting";
	}
	return "?";
}

/* next_xid() - a new transaction id */
static uint32_t next_xid(struct dhcpc *c)
{
	/* xorshift64*: ids only need to differ between exchanges. */
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return (uint32_t)((c->rng * 2685821657736338717ULL) >> 32);
}

void dhcpc_init(struct dhcpc *c, const uint8_t mac[6], const char *hostname, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, 6);
	c->rng = seed ? seed : 0x9e3779b97f4a7c15ULL;
	c->deadline = DHCPC_NEVER;
	if (hostname && strlen(hostname) < sizeof(c->hostname) &&
	    dhcpc_name_safe(hostname, strlen(hostname)))
		memcpy(c->hostname, hostname, strlen(hostname) + 1);
}

uint64_t dhcpc_deadline(const struct dhcpc *c)
{
	return c->state == DHCPC_IDLE ? DHCPC_NEVER : c->deadline;
}

/* new_exchange() - a new xid, attempts and backoff reset, secs counted from @now */
static void new_exchange(struct dhcpc *c, uint64_t now)
{
	c->xid = next_xid(c);
	c->attempts = 0;
	c->retry_ms = DHCPC_RETRY_FIRST_MS;
	c->cycle_start = now;
}

/* Build c->out; @unicast goes to the lease's server, else broadcast. */
static unsigned emit(struct dhcpc *c, uint8_t type, bool unicast, uint64_t now)
{
	struct dhcpc_request q = { .type = type, .xid = c->xid };
	uint64_t secs = (now - c->cycle_start) / 1000;
	int n;

	memcpy(q.chaddr, c->mac, 6);
	q.secs = secs > 0xffff ? 0xffff : (uint16_t)secs;
	if (type != DHCPC_RELEASE)
		memcpy(q.hostname, c->hostname, sizeof(q.hostname));
	c->out_src.s_addr = 0;
	c->out_dst.s_addr = 0xffffffffu;
	c->out_unicast = unicast;
	switch (c->state) {
	case DHCPC_REQUESTING:
		q.requested = c->offer_addr;
		q.server_id = c->offer_server;
		break;
	case DHCPC_REBOOTING:
		q.requested = c->lease.addr;
		break;
	case DHCPC_RENEWING:
	case DHCPC_REBINDING:
		q.ciaddr = c->lease.addr;
		c->out_src = c->lease.addr;
		break;
	case DHCPC_IDLE: /* RELEASE */
		q.ciaddr = c->old.addr;
		q.server_id = c->old.server;
		c->out_src = c->old.addr;
		break;
	case DHCPC_SELECTING:
	case DHCPC_BOUND:
		break;
	}
	memcpy(c->out_dst_mac, broadcast_mac, 6);
	if (unicast) {
		const struct dhcpc_lease *l = type == DHCPC_RELEASE ? &c->old : &c->lease;
		static const uint8_t zero[6];

		c->out_dst = l->server;
		if (memcmp(l->server_mac, zero, 6) != 0)
			memcpy(c->out_dst_mac, l->server_mac, 6);
	}
	n = dhcpc_build(&q, c->out, sizeof(c->out));
	if (n < 0)
		return 0; /* cannot happen: the message is far below its bound */
	c->out_len = (size_t)n;
	c->stats.sent++;
	return DHCPC_ACT_SEND;
}

/* backoff() - the next retransmission: retry_ms from now, then double it (bounded) */
static void backoff(struct dhcpc *c, uint64_t now)
{
	c->deadline = now + c->retry_ms;
	c->retry_ms *= 2;
	if (c->retry_ms > DHCPC_RETRY_MAX_MS)
		c->retry_ms = DHCPC_RETRY_MAX_MS;
}

/* discover() - (re)send DISCOVER in SELECTING; @fresh starts a new exchange */
static unsigned discover(struct dhcpc *c, uint64_t now, bool fresh)
{
	unsigned act;

	c->state = DHCPC_SELECTING;
	if (fresh) {
		new_exchange(c, now);
		c->warned_silent = false;
	}
	c->attempts++;
	act = emit(c, DHCPC_DISCOVER, false, now);
	backoff(c, now);
	if (!c->warned_silent && now - c->cycle_start >= DHCPC_SILENT_WARN_MS) {
		c->warned_silent = true;
		act |= DHCPC_ACT_SILENT;
	}
	return act;
}

unsigned dhcpc_start(struct dhcpc *c, uint64_t now)
{
	c->have_lease = false;
	return discover(c, now, true);
}

/* The lease is gone: hand it to the caller in c->old and start over. */
static unsigned lose_lease(struct dhcpc *c, uint64_t now)
{
	c->old = c->lease;
	c->have_lease = false;
	memset(&c->lease, 0, sizeof(c->lease));
	c->t1_at = c->t2_at = c->expire_at = DHCPC_NEVER;
	return DHCPC_ACT_UNBIND | discover(c, now, true);
}

/* Renewal retransmission: half the time left to @limit, within bounds. */
static void renew_backoff(struct dhcpc *c, uint64_t now, uint64_t limit)
{
	uint64_t wait = limit > now ? (limit - now) / 2 : 0;

	if (wait < DHCPC_RENEW_RETRY_MIN_MS)
		wait = DHCPC_RENEW_RETRY_MIN_MS;
	c->deadline = limit != DHCPC_NEVER && now + wait > limit ? limit : now + wait;
}

/* Where the lease's clock puts us when nothing is in flight. */
static unsigned follow_clock(struct dhcpc *c, uint64_t now)
{
	if (now >= c->expire_at)
		return lose_lease(c, now);
	if (now >= c->t2_at) {
		if (c->state != DHCPC_REBINDING)
			new_exchange(c, now);
		c->state = DHCPC_REBINDING;
		renew_backoff(c, now, c->expire_at);
		return emit(c, DHCPC_REQUEST, false, now);
	}
	if (now >= c->t1_at) {
		if (c->state != DHCPC_RENEWING)
			new_exchange(c, now);
		c->state = DHCPC_RENEWING;
		renew_backoff(c, now, c->t2_at);
		return emit(c, DHCPC_REQUEST, true, now);
	}
	c->state = DHCPC_BOUND;
	c->deadline = c->t1_at;
	return 0;
}

unsigned dhcpc_link_up(struct dhcpc *c, uint64_t now)
{
	switch (c->state) {
	case DHCPC_IDLE:
		return 0;
	case DHCPC_SELECTING:
	case DHCPC_REQUESTING:
		return discover(c, now, true);
	case DHCPC_BOUND:
	case DHCPC_RENEWING:
	case DHCPC_REBINDING:
	case DHCPC_REBOOTING:
		if (now >= c->expire_at)
			return lose_lease(c, now);
		c->state = DHCPC_REBOOTING;
		new_exchange(c, now);
		c->attempts = 1;
		backoff(c, now);
		return emit(c, DHCPC_REQUEST, false, now);
	}
	return 0;
}

unsigned dhcpc_timer(struct dhcpc *c, uint64_t now)
{
	if (c->state == DHCPC_IDLE || now < c->deadline)
		return 0;
	switch (c->state) {
	case DHCPC_IDLE:
		return 0;
	case DHCPC_SELECTING:
		return discover(c, now, false);
	case DHCPC_REQUESTING:
		if (c->attempts >= DHCPC_REQUEST_TRIES)
			return discover(c, now, true);
		c->attempts++;
		backoff(c, now);
		return emit(c, DHCPC_REQUEST, false, now);
	case DHCPC_REBOOTING:
		if (c->attempts < DHCPC_REBOOT_TRIES && now < c->expire_at) {
			c->attempts++;
			backoff(c, now);
			return emit(c, DHCPC_REQUEST, false, now);
		}
		c->state = DHCPC_BOUND;
		return follow_clock(c, now);
	case DHCPC_BOUND:
	case DHCPC_RENEWING:
	case DHCPC_REBINDING:
		return follow_clock(c, now);
	}
	return 0;
}

/* at() - @secs after @now in ms, or DHCPC_NEVER for an infinite lease */
static uint64_t at(uint64_t now, uint32_t secs)
{
	return secs == DHCPC_LEASE_INFINITE ? DHCPC_NEVER : now + (uint64_t)secs * 1000;
}

/* Accept an ACK: fill c->lease and its clock. Return: BIND or EXTEND (+UNBIND). */
static unsigned take_ack(struct dhcpc *c, const struct dhcpc_reply *r, const uint8_t src_mac[6],
			 uint64_t now)
{
	struct dhcpc_lease l = { 0 };
	uint32_t lease = r->have & DHCPC_HAVE_LEASE ? r->lease_s : DHCPC_LEASE_DEFAULT_S;
	uint32_t t1, t2;
	unsigned act;

	l.addr = r->yiaddr;
	l.prefix = r->have & DHCPC_HAVE_MASK ? (uint8_t)dhcpc_mask_prefix(r->mask) : 24;
	l.router = r->have & DHCPC_HAVE_ROUTER ? r->router : (struct in_addr){ 0 };
	l.server = r->have & DHCPC_HAVE_SERVER ? r->server_id
		   : c->have_lease	       ? c->lease.server
					       : c->offer_server;
	memcpy(l.server_mac, src_mac, 6);
	memcpy(l.dns, r->dns, sizeof(l.dns));
	l.ndns = r->ndns;
	l.mtu = r->have & DHCPC_HAVE_MTU ? (uint16_t)MIN(r->mtu, DHCPC_MTU_MAX) : 0;
	memcpy(l.domain, r->domain, sizeof(l.domain));
	memcpy(l.search, r->search, sizeof(l.search));
	if (lease < DHCPC_LEASE_MIN_S)
		lease = DHCPC_LEASE_MIN_S;
	l.lease_s = lease;
	if (lease == DHCPC_LEASE_INFINITE) {
		t1 = t2 = DHCPC_LEASE_INFINITE;
	} else {
		t1 = r->have & DHCPC_HAVE_T1 ? r->t1_s : lease / 2;
		t2 = r->have & DHCPC_HAVE_T2 ? r->t2_s : lease - lease / 8;
		if (t2 > lease || t1 > t2) {
			t1 = lease / 2;
			t2 = lease - lease / 8;
		}
	}

	act = DHCPC_ACT_BIND;
	if (c->have_lease) {
		if (c->lease.addr.s_addr == l.addr.s_addr && c->lease.prefix == l.prefix) {
			act = DHCPC_ACT_EXTEND;
		} else {
			c->old = c->lease;
			act |= DHCPC_ACT_UNBIND;
		}
	}
	c->lease = l;
	c->have_lease = true;
	c->t1_at = at(now, t1);
	c->t2_at = at(now, t2);
	c->expire_at = at(now, lease);
	c->state = DHCPC_BOUND;
	c->deadline = c->t1_at;
	c->attempts = 0;
	c->stats.acks++;
	return act;
}

/* usable_addr() - not 0, broadcast, multicast or loopback */
static bool usable_addr(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	return h && h != 0xffffffffu && (h >> 28) != 0xe && (h >> 24) != 127;
}

unsigned dhcpc_input(struct dhcpc *c, const struct dhcpc_reply *r, const uint8_t src_mac[6],
		     uint64_t now)
{
	if (c->state == DHCPC_IDLE || c->state == DHCPC_BOUND || r->xid != c->xid ||
	    memcmp(r->chaddr, c->mac, 6) != 0) {
		c->stats.ignored++;
		return 0;
	}
	switch (r->type) {
	case DHCPC_OFFER:
		if (c->state != DHCPC_SELECTING || !usable_addr(r->yiaddr) ||
		    !(r->have & DHCPC_HAVE_SERVER)) {
			c->stats.ignored++;
			return 0;
		}
		c->stats.offers++;
		c->offer_addr = r->yiaddr;
		c->offer_server = r->server_id;
		c->state = DHCPC_REQUESTING;
		c->attempts = 1;
		c->retry_ms = DHCPC_RETRY_FIRST_MS;
		backoff(c, now);
		return emit(c, DHCPC_REQUEST, false, now);
	case DHCPC_ACK:
		if (c->state == DHCPC_SELECTING || !usable_addr(r->yiaddr)) {
			c->stats.ignored++;
			return 0;
		}
		if (c->state == DHCPC_REQUESTING && (r->have & DHCPC_HAVE_SERVER) &&
		    r->server_id.s_addr != c->offer_server.s_addr) {
			c->stats.ignored++;
			return 0;
		}
		return take_ack(c, r, src_mac, now);
	case DHCPC_NAK:
		if (c->state == DHCPC_SELECTING) {
			c->stats.ignored++;
			return 0;
		}
		c->stats.naks++;
		if (c->have_lease)
			return lose_lease(c, now);
		/* Not straight back: a server that NAKs everything must not
		 * turn this into a tight loop. */
		c->state = DHCPC_SELECTING;
		new_exchange(c, now);
		backoff(c, now);
		return 0;
	default:
		c->stats.ignored++;
		return 0;
	}
}

unsigned dhcpc_release(struct dhcpc *c, uint64_t now)
{
	unsigned act;

	if (!c->have_lease) {
		c->state = DHCPC_IDLE;
		c->deadline = DHCPC_NEVER;
		return 0;
	}
	c->old = c->lease;
	c->have_lease = false;
	memset(&c->lease, 0, sizeof(c->lease));
	c->state = DHCPC_IDLE;
	c->deadline = DHCPC_NEVER;
	new_exchange(c, now);
	act = emit(c, DHCPC_RELEASE, true, now);
	return act | DHCPC_ACT_UNBIND;
}
