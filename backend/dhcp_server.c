// SPDX-License-Identifier: MIT
/*
 * dhcp_server.c - the gateway's DHCP server (RFC 2131) on raw frames
 *
 * Messages from clients arrive as UDP to port 67 (broadcast, or unicast to
 * the gateway when renewing). The lease table decides addresses; this file
 * maps the protocol onto it:
 *
 *   DISCOVER  -> OFFER the client's static lease, its current address, the
 *                address it asks for (option 50) when free, or the lowest
 *                free one; no answer when the pool is exhausted (counted)
 *   REQUEST   selecting (server id 54 present): ours -> ACK/NAK for option
 *                50; another server's -> ignored (the client chose it)
 *             init-reboot (50 without 54): ACK if the address is the
 *                client's or free, NAK if wrong or taken
 *             renewing/rebinding (ciaddr only): ACK or NAK for ciaddr
 *   DECLINE   quarantine the address; RELEASE frees it; INFORM -> ACK
 *                with configuration only
 *
 * Replies go where RFC 2131 4.1 says: NAKs broadcast; to ciaddr when the
 * client has one; broadcast when the client set the broadcast flag;
 * otherwise unicast to the offered address at the client's hardware
 * address (we write frames ourselves, so no ARP is needed).
 */
#include "dhcp_server.h"

#include "dhcp_wire.h"
#include "gateway.h"
#include "log.h"
#include "resolv.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define COMP "dhcp"
#define DHCP_CLIENT_PORT 68
#define DHCP_EXPIRE_SWEEP_MS 10000

struct dhcp_server_stats dhcp_server_stats;
struct lease_table dhcp_server_leases;
static struct loop_timer expire_timer;

static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static void expire_sweep(struct loop_timer *t)
{
	unsigned n = lease_expire(&dhcp_server_leases, now_ms());

	if (n)
		log_debug(COMP, "%u lease(s) expired", n);
	loop_timer_arm(&vg->loop, t, DHCP_EXPIRE_SWEEP_MS);
}

int dhcp_server_init(void)
{
	const struct vgate_config *c = &vg->cfg;
	int r;

	r = lease_table_init(&dhcp_server_leases, ntohl(c->subnet), c->prefix);
	if (r < 0)
		return r;
	lease_reserve(&dhcp_server_leases, ntohl(c->gateway_ip));
	if (c->host_ip)
		lease_reserve(&dhcp_server_leases, ntohl(c->host_ip));
	for (unsigned i = 0; i < c->nvips; i++)
		lease_reserve(&dhcp_server_leases, ntohl(c->vips[i]));
	for (unsigned i = 0; i < c->nstatic; i++) {
		r = lease_add_static(&dhcp_server_leases, c->static_leases[i].mac,
				     ntohl(c->static_leases[i].ip));
		if (r < 0) {
			char a[INET_ADDRSTRLEN];

			inet_ntop(AF_INET, &c->static_leases[i].ip, a, sizeof(a));
			log_err(COMP, "static lease %s: %s", a,
				r == -EEXIST ? "address or MAC already has one" : strerror(-r));
			return r;
		}
	}
	expire_timer.fn = expire_sweep;
	loop_timer_arm(&vg->loop, &expire_timer, DHCP_EXPIRE_SWEEP_MS);
	return 0;
}

void dhcp_server_fini(void)
{
	loop_timer_cancel(&vg->loop, &expire_timer);
	lease_table_free(&dhcp_server_leases);
}

static void fmt_mac(const uint8_t *m, char *buf, size_t cap)
{
	snprintf(buf, cap, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* Search domains: the configuration's, else the host's. */
static void fill_search(struct dhcp_reply *r)
{
	const struct vgate_config *c = &vg->cfg;
	unsigned n = 0;

	if (c->search_set || c->nsearch) {
		for (unsigned i = 0; i < c->nsearch && n < DHCP_SEARCH_MAX; i++)
			r->search[n++] = c->search[i];
	} else {
		const struct resolv_conf *rc = resolv_get(vg->opt->resolv_conf);

		for (unsigned i = 0; i < rc->nsearch && n < DHCP_SEARCH_MAX; i++)
			r->search[n++] = rc->search[i];
	}
	if (n < DHCP_SEARCH_MAX)
		r->search[n] = NULL; /* the builder stops at NULL or after DHCP_SEARCH_MAX */
	r->domain = c->domain[0] ? c->domain : r->search[0];
}

static void send_reply(const struct dhcp_msg *req, const struct dhcp_reply *rep,
		       const uint8_t *client_mac)
{
	const struct vgate_config *c = &vg->cfg;
	static uint8_t frame[ETH_HLEN_ + IPV4_HLEN_MIN + UDP_HLEN + 1500];
	uint8_t *payload = frame + ETH_HLEN_ + IPV4_HLEN_MIN + UDP_HLEN;
	size_t cap = DHCP_REPLY_MAX;
	const uint8_t *dmac = client_mac;
	uint32_t dip;
	int n;

	if (req->max_size > cap)
		cap = MIN((size_t)req->max_size, (size_t)c->mtu) - IPV4_HLEN_MIN - UDP_HLEN;
	n = dhcp_build_reply(payload, MIN(cap, (size_t)1500), req, rep);
	if (n < 0) {
		log_warn(COMP, "reply does not fit %zu bytes", cap);
		return;
	}
	if (rep->type == DHCP_NAK || (!req->ciaddr && (req->flags & 0x8000))) {
		dmac = bcast_mac;
		dip = 0xffffffff;
	} else if (req->ciaddr) {
		dip = req->ciaddr;
	} else {
		dip = rep->yiaddr;
	}
	n = net_build_udp4(frame, sizeof(frame), dmac, c->gateway_mac, c->gateway_ip, 67, dip,
			   DHCP_CLIENT_PORT, payload, (size_t)n);
	if (n > 0)
		gateway_output(frame, (size_t)n);
}

static void reply_config(struct dhcp_reply *r, enum dhcp_type type, uint32_t yiaddr)
{
	const struct vgate_config *c = &vg->cfg;

	memset(r, 0, sizeof(*r));
	r->type = type;
	r->yiaddr = yiaddr;
	r->server_id = c->gateway_ip;
	r->netmask = c->netmask;
	r->router = c->gateway_ip;
	r->dns = c->gateway_ip;
	r->lease_secs = c->lease_secs;
	r->mtu = c->mtu;
	fill_search(r);
}

static void nak(const struct dhcp_msg *m, const uint8_t *mac, const char *why)
{
	struct dhcp_reply r;
	char ms[18];

	memset(&r, 0, sizeof(r));
	r.type = DHCP_NAK;
	r.server_id = vg->cfg.gateway_ip;
	r.message = why;
	fmt_mac(mac, ms, sizeof(ms));
	log_info(COMP, "NAK to %s: %s", ms, why);
	dhcp_server_stats.naks++;
	send_reply(m, &r, mac);
}

static void handle_discover(const struct dhcp_msg *m, const uint8_t *mac)
{
	struct dhcp_reply r;
	uint32_t ip;
	char ms[18], as[INET_ADDRSTRLEN];

	dhcp_server_stats.discover++;
	fmt_mac(mac, ms, sizeof(ms));
	if (lease_offer(&dhcp_server_leases, mac, m->has_requested_ip ? ntohl(m->requested_ip) : 0,
			now_ms(), &ip) < 0) {
		dhcp_server_stats.exhausted++;
		log_warn(COMP, "DISCOVER from %s: no free address", ms);
		return;
	}
	ip = htonl(ip);
	reply_config(&r, DHCP_OFFER, ip);
	inet_ntop(AF_INET, &ip, as, sizeof(as));
	log_debug(COMP, "OFFER %s to %s", as, ms);
	dhcp_server_stats.offers++;
	send_reply(m, &r, mac);
}

static void handle_request(const struct dhcp_msg *m, const uint8_t *mac)
{
	const struct vgate_config *c = &vg->cfg;
	struct dhcp_reply r;
	uint32_t ip;
	int rc;
	char ms[18], as[INET_ADDRSTRLEN];

	dhcp_server_stats.request++;
	if (m->has_server_id) {
		if (m->server_id != c->gateway_ip || !m->has_requested_ip) {
			dhcp_server_stats.ignored++; /* the client chose another server */
			return;
		}
		ip = m->requested_ip;
	} else if (m->has_requested_ip) {
		ip = m->requested_ip;
	} else if (m->ciaddr) {
		ip = m->ciaddr;
	} else {
		dhcp_server_stats.malformed++;
		return;
	}
	rc = lease_request(&dhcp_server_leases, mac, ntohl(ip), now_ms(),
			   (uint64_t)c->lease_secs * 1000, m->hostname);
	if (rc == -EINVAL) {
		nak(m, mac, "address not on this network");
		return;
	}
	if (rc < 0) {
		nak(m, mac, "address in use");
		return;
	}
	reply_config(&r, DHCP_ACK, ip);
	fmt_mac(mac, ms, sizeof(ms));
	inet_ntop(AF_INET, &ip, as, sizeof(as));
	log_info(COMP, "ACK %s to %s%s%s", as, ms, m->hostname[0] ? " hostname " : "", m->hostname);
	dhcp_server_stats.acks++;
	send_reply(m, &r, mac);
}

static void handle_inform(const struct dhcp_msg *m, const uint8_t *mac)
{
	struct dhcp_reply r;

	dhcp_server_stats.inform++;
	if (!m->ciaddr) {
		dhcp_server_stats.malformed++;
		return;
	}
	reply_config(&r, DHCP_ACK, 0);
	r.lease_secs = 0;
	dhcp_server_stats.acks++;
	send_reply(m, &r, mac);
}

void dhcp_server_input(const struct eth_view *e, const struct ipv4_view *ip,
		       const struct udp_view *u)
{
	struct dhcp_msg m;
	const uint8_t *mac;

	(void)ip;
	if (dhcp_parse(u->payload, u->len, &m) < 0) {
		dhcp_server_stats.malformed++;
		return;
	}
	if (m.op != 1 || m.htype != 1 || m.hlen != 6) {
		dhcp_server_stats.ignored++;
		return;
	}
	mac = m.chaddr;
	(void)e;
	switch (m.type) {
	case DHCP_DISCOVER:
		handle_discover(&m, mac);
		break;
	case DHCP_REQUEST:
		handle_request(&m, mac);
		break;
	case DHCP_RELEASE:
		dhcp_server_stats.release++;
		lease_release(&dhcp_server_leases, mac, ntohl(m.ciaddr));
		break;
	case DHCP_DECLINE:
		dhcp_server_stats.decline++;
		if (m.has_requested_ip)
			lease_decline(&dhcp_server_leases, mac, ntohl(m.requested_ip), now_ms());
		break;
	case DHCP_INFORM:
		handle_inform(&m, mac);
		break;
	default:
		dhcp_server_stats.ignored++;
		break;
	}
}
