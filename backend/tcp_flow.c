// SPDX-License-Identifier: MIT
/*
 * tcp_flow.c - guest TCP to the world: the DNAT shim in front of lwIP
 *
 * lwIP only terminates TCP addressed to its own netif address, but a guest
 * connects to any address. Each new guest connection (guest G:g to
 * destination D:d) therefore gets a mapped port M on the gateway address:
 * segments from the guest are rewritten D:d -> GW:M before lwIP sees them,
 * and lwIP's segments are rewritten GW:M -> D:d on their way out (checksums
 * updated incrementally, RFC 1624). lwIP then terminates the guest's TCP,
 * and each flow relays bytes between its lwIP PCB and one non-blocking host
 * socket connected to the real destination (D after the NAT table).
 *
 * Flow states:
 *   CONNECTING   the guest's SYN is held (retransmissions absorbed) while
 *                the host connect() runs. Refused or unreachable: RST to
 *                the guest at once. No answer within the connect timeout
 *                (default 30 s): RST. Success: a listening PCB on GW:M is
 *                created and the held SYN is fed to lwIP.
 *   HANDSHAKE    lwIP answered SYN-ACK; waiting for its accept callback
 *                (bounded: a SYN_RCVD PCB that dies calls nothing, so the
 *                flow has its own deadline).
 *   ESTABLISHED  bytes flow both ways.
 *   GUEST_CLOSED the guest sent FIN: once every byte it sent reached the
 *                host socket, the host socket is shut for writing; the
 *                host may keep sending (half-close).
 *   HOST_CLOSED  the host sent EOF: once every byte it sent is queued in
 *                lwIP, lwIP sends FIN; the guest may keep sending.
 *   CLOSING      both directions finished: the host socket is closed and
 *                the PCB handed back to lwIP with tcp_close().
 *   TIME_WAIT    lwIP still owns a PCB on GW:M (FIN_WAIT/LAST_ACK/
 *                TIME_WAIT) and may send or receive; the mapping lives on
 *                until a sweep finds no lwIP PCB with local port M, then
 *                the port is free for a new flow.
 * A RST from either side aborts the other side (tcp_abort() sends RST to
 * the guest; SO_LINGER 0 makes close() send RST to the host) and frees the
 * flow at once (lwIP frees an aborted PCB immediately).
 *
 * The bytes move by tcp_relay.c's rules (back-pressure both ways without
 * unbounded queues, half-closes, a memory budget of TCP_FLOW_BUDGET each
 * direction over all flows); this file keeps the states and the DNAT.
 *
 * Limits: flows_max flows in total (derived from the open files limit:
 * each holds one socket) and as many per guest IP; mapped ports from
 * TCP_FLOW_PORT_MIN to TCP_FLOW_PORT_MAX. A SYN beyond a limit gets RST
 * and is counted.
 */
#include "tcp_flow.h"

#include "egress.h"
#include "gateway.h"
#include "gw_netif.h"
#include "log.h"
#include "lwip_inc.h"
#include "sock.h"
#include "tcp_relay.h"
#include "util.h"
#include "vgate.h"

#include <lwip/priv/tcp_priv.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define COMP "tcp"
#define TCP_FLOW_BUCKETS 32768
#define TCP_FLOW_SWEEP_MS 1000
#define TCP_FLOW_HANDSHAKE_MS 10000
#define TCP_FLOW_KEEPALIVE_MS 60000
/*
 * Memory bound over all flows, each direction: bytes of host data queued
 * in lwIP for guests that have not acknowledged them, and bytes of guest
 * data waiting for host sockets. Past the budget, a flow that already has
 * data queued waits (host side: not read; guest side: lwIP holds the
 * segment and retries), while a flow with nothing queued may still move
 * TCP_FLOW_MIN_CHUNK, so one stalled peer cannot starve the others.
 */
#define TCP_FLOW_BUDGET (256u * 1024 * 1024)
#define TCP_FLOW_MIN_CHUNK (16u * 1024)

enum tcp_flow_state {
	TF_CONNECTING,
	TF_HANDSHAKE,
	TF_ESTABLISHED,
	TF_GUEST_CLOSED,
	TF_HOST_CLOSED,
	TF_CLOSING,
	TF_TIME_WAIT,
};

struct tcp_flow {
	struct loop_ref ref;
	enum tcp_flow_state state;
	struct tcp_flow *hnext;		/* tuple hash chain */
	struct tcp_flow *lprev, *lnext; /* connecting/handshake or time-wait list */
	struct tcp_flow *dnext;		/* flush list */
	bool dirty;
	uint32_t gip, dip, real; /* network order */
	uint16_t gport, dport;	 /* host order */
	uint16_t mport;
	uint8_t gmac[6];
	struct tcp_pcb *listener;
	uint8_t *syn; /* held SYN frame while connecting */
	size_t synlen;
	uint64_t deadline;
	struct tcp_relay rl; /* the host socket, the PCB and the bytes between */
};

struct tcp_flow_stats tcp_flow_stats;

static struct tcp_flow *buckets[TCP_FLOW_BUCKETS];
static struct tcp_flow *by_port[65536];
static struct tcp_flow *pending_list; /* CONNECTING and HANDSHAKE, oldest first */
static struct tcp_flow *pending_tail;
static struct tcp_flow *tw_list;
static struct tcp_flow *flush_list;
static void pool_wake(struct tcp_relay *r);
static struct tcp_relay_pool pool = {
	.budget = TCP_FLOW_BUDGET,
	.min_chunk = TCP_FLOW_MIN_CHUNK,
	.wake = pool_wake,
	.to_host_bytes = &tcp_flow_stats.to_host_bytes,
	.to_guest_bytes = &tcp_flow_stats.to_guest_bytes,
	.throttled = &tcp_flow_stats.throttled,
};
static unsigned nflows, flows_cap;
static uint16_t port_cursor = TCP_FLOW_PORT_MIN;
static struct loop_timer sweep_timer;

/* Per-guest flow counts: small open-addressing table. */
#define GUESTS_MAX 1024
static struct {
	uint32_t ip;
	unsigned n;
} guests[GUESTS_MAX * 2];

static unsigned *guest_count(uint32_t ip, bool create)
{
	unsigned h = (ntohl(ip) * 2654435761u) % (GUESTS_MAX * 2);

	for (unsigned i = 0; i < GUESTS_MAX * 2; i++, h = (h + 1) % (GUESTS_MAX * 2)) {
		if (guests[h].ip == ip)
			return &guests[h].n;
		if (!guests[h].ip) {
			if (!create)
				return NULL;
			guests[h].ip = ip;
			guests[h].n = 0;
			return &guests[h].n;
		}
	}
	return NULL;
}

unsigned tcp_flow_count(void)
{
	return nflows;
}

unsigned tcp_flow_cap(void)
{
	return flows_cap;
}

static unsigned tuple_hash(uint32_t gip, uint16_t gport, uint32_t dip, uint16_t dport)
{
	uint32_t h = gip * 2654435761u;

	h ^= (uint32_t)gport * 40503u + dip * 2246822519u + dport;
	h ^= h >> 15;
	h *= 2654435761u;
	return (h ^ (h >> 13)) % TCP_FLOW_BUCKETS;
}

static struct tcp_flow *lookup(uint32_t gip, uint16_t gport, uint32_t dip, uint16_t dport)
{
	struct tcp_flow *f = buckets[tuple_hash(gip, gport, dip, dport)];

	for (; f; f = f->hnext)
		if (f->gip == gip && f->gport == gport && f->dip == dip && f->dport == dport)
			return f;
	return NULL;
}

static void hash_remove(struct tcp_flow *f)
{
	struct tcp_flow **pp = &buckets[tuple_hash(f->gip, f->gport, f->dip, f->dport)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == f) {
			*pp = f->hnext;
			return;
		}
	}
}

/* --- lists ---------------------------------------------------------------- */

static void list_unlink(struct tcp_flow *f)
{
	if (f->state == TF_TIME_WAIT) {
		if (f->lprev)
			f->lprev->lnext = f->lnext;
		else if (tw_list == f)
			tw_list = f->lnext;
		if (f->lnext)
			f->lnext->lprev = f->lprev;
	} else if (f->state == TF_CONNECTING || f->state == TF_HANDSHAKE) {
		if (f->lprev)
			f->lprev->lnext = f->lnext;
		else if (pending_list == f)
			pending_list = f->lnext;
		if (f->lnext)
			f->lnext->lprev = f->lprev;
		else if (pending_tail == f)
			pending_tail = f->lprev;
	}
	f->lprev = f->lnext = NULL;
}

static void pending_append(struct tcp_flow *f)
{
	f->lprev = pending_tail;
	f->lnext = NULL;
	if (pending_tail)
		pending_tail->lnext = f;
	else
		pending_list = f;
	pending_tail = f;
}

static void set_state(struct tcp_flow *f, enum tcp_flow_state s)
{
	list_unlink(f);
	f->state = s;
	if (s == TF_CONNECTING || s == TF_HANDSHAKE) {
		pending_append(f);
	} else if (s == TF_TIME_WAIT) {
		f->lnext = tw_list;
		if (tw_list)
			tw_list->lprev = f;
		tw_list = f;
	}
}

static void mark_dirty(struct tcp_flow *f)
{
	if (!f->dirty) {
		f->dirty = true;
		f->dnext = flush_list;
		flush_list = f;
	}
}

/* --- frames to the guest --------------------------------------------------- */

/* RST answering @t (a guest segment to dip:dport), as RFC 793 says. */
static void send_rst(const uint8_t *gmac, uint32_t gip, uint32_t dip, const struct tcp_view *t)
{
	uint8_t frame[ETH_HLEN_ + IPV4_HLEN_MIN + TCP_HLEN_MIN];
	uint32_t seq = 0, ack;
	uint8_t flags = TCPF_RST;
	int n;

	if (t->flags & TCPF_RST)
		return;
	if (t->flags & TCPF_ACK) {
		seq = t->ack;
	} else {
		ack = t->seq + (uint32_t)t->payload_len + !!(t->flags & TCPF_SYN) +
		      !!(t->flags & TCPF_FIN);
		flags |= TCPF_ACK;
		n = net_build_tcp4(frame, sizeof(frame), gmac, vg->cfg.gateway_mac, dip, t->dport,
				   gip, t->sport, seq, ack, flags, 0);
		if (n > 0)
			gateway_output(frame, (size_t)n);
		return;
	}
	n = net_build_tcp4(frame, sizeof(frame), gmac, vg->cfg.gateway_mac, dip, t->dport, gip,
			   t->sport, seq, 0, flags, 0);
	if (n > 0)
		gateway_output(frame, (size_t)n);
}

/* RST for the SYN a connecting flow holds. */
static void reset_held_syn(struct tcp_flow *f)
{
	struct ipv4_view ip;
	struct tcp_view t;

	if (f->syn && ipv4_parse(f->syn + ETH_HLEN_, f->synlen - ETH_HLEN_, false, &ip) == 0 &&
	    tcp_parse(ip.payload, ip.len, &t) == 0)
		send_rst(f->gmac, f->gip, f->dip, &t);
}

/* --- flow lifetime ---------------------------------------------------------- */

/* Forget the flow entirely: mapping, tuple, memory. */
static void flow_free(struct tcp_flow *f)
{
	unsigned *gc = guest_count(f->gip, false);

	list_unlink(f);
	hash_remove(f);
	if (by_port[f->mport] == f)
		by_port[f->mport] = NULL;
	tcp_relay_close_fd(&f->rl, false);
	if (f->listener) {
		tcp_accept(f->listener, NULL);
		tcp_arg(f->listener, NULL);
		tcp_close(f->listener);
		f->listener = NULL;
	}
	tcp_relay_drop(&f->rl);
	free(f->syn);
	if (gc && *gc)
		(*gc)--;
	nflows--;
	tcp_flow_stats.closed++;
	tcp_flow_stats.active = nflows;
	if (f->dirty) {
		/* Unlink from the flush list (rare: freed mid-iteration). */
		struct tcp_flow **pp;

		for (pp = &flush_list; *pp; pp = &(*pp)->dnext) {
			if (*pp == f) {
				*pp = f->dnext;
				break;
			}
		}
	}
	free(f);
}

/*
 * Abort: RST to the guest (if lwIP has a PCB, tcp_abort sends it) and to
 * the host, then free. Must not be called from an lwIP callback of @f's
 * PCB unless the callback then returns ERR_ABRT.
 */
static void flow_abort(struct tcp_flow *f)
{
	if (f->rl.pcb) {
		struct tcp_pcb *pcb = f->rl.pcb;

		tcp_relay_detach_pcb(pcb);
		f->rl.pcb = NULL;
		tcp_abort(pcb);
	}
	tcp_relay_close_fd(&f->rl, true);
	flow_free(f);
}

/* Both directions are done: give the PCB to lwIP, keep the mapping. */
static void flow_finish(struct tcp_flow *f)
{
	tcp_relay_close_fd(&f->rl, false);
	tcp_relay_drop(&f->rl);
	if (f->rl.pcb) {
		struct tcp_pcb *pcb = f->rl.pcb;

		tcp_relay_detach_pcb(pcb);
		f->rl.pcb = NULL;
		if (tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	set_state(f, TF_TIME_WAIT);
}

static void update_events(struct tcp_flow *f)
{
	tcp_relay_set_events(&f->rl, f->state == TF_CONNECTING ? EPOLLOUT : tcp_relay_want(&f->rl),
			     &f->ref);
}

static void pool_wake(struct tcp_relay *r)
{
	mark_dirty(container_of(r, struct tcp_flow, rl));
}

/* The host sent EOF (seen by the relay): the state follows. */
static void note_host_eof(struct tcp_flow *f)
{
	if (f->state == TF_ESTABLISHED)
		set_state(f, TF_HOST_CLOSED);
	else if (f->state == TF_GUEST_CLOSED)
		set_state(f, TF_CLOSING);
}

/* --- lwIP callbacks --------------------------------------------------------------- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct tcp_flow *f = arg;

	(void)pcb;
	if (!f) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (err != ERR_OK) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) {
		f->rl.guest_fin = true;
		if (f->state == TF_ESTABLISHED)
			set_state(f, TF_GUEST_CLOSED);
		else if (f->state == TF_HOST_CLOSED)
			set_state(f, TF_CLOSING);
		mark_dirty(f);
		return ERR_OK;
	}
	return tcp_relay_recv(&f->rl, p);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct tcp_flow *f = arg;

	(void)pcb;
	if (!f)
		return ERR_OK;
	tcp_relay_sent(&f->rl, len);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct tcp_flow *f = arg;

	if (!f)
		return;
	/* The PCB is gone (guest RST, or lwIP gave up). */
	f->rl.pcb = NULL;
	if (err == ERR_RST)
		tcp_flow_stats.resets_from_guest++;
	tcp_relay_close_fd(&f->rl, true);
	flow_free(f);
}

static err_t on_accept(void *arg, struct tcp_pcb *newpcb, err_t err)
{
	struct tcp_flow *f = arg;

	if (!f || err != ERR_OK || !newpcb)
		return ERR_VAL;
	f->rl.pcb = newpcb;
	tcp_arg(newpcb, f);
	tcp_recv(newpcb, on_recv);
	tcp_sent(newpcb, on_sent);
	tcp_err(newpcb, on_err);
	tcp_nagle_disable(newpcb);
	ip_set_option(newpcb, SOF_KEEPALIVE);
	newpcb->keep_idle = TCP_FLOW_KEEPALIVE_MS;
	/* The listener's job is done. */
	tcp_accept(f->listener, NULL);
	tcp_arg(f->listener, NULL);
	tcp_close(f->listener);
	f->listener = NULL;
	set_state(f, TF_ESTABLISHED);
	mark_dirty(f);
	return ERR_OK;
}

/* --- DNAT ------------------------------------------------------------------------- */

/* Rewrite an IPv4/TCP frame's destination (inbound) or source (outbound). */
static void rewrite(uint8_t *frame, size_t ihl, bool dst, uint32_t ip, uint16_t port)
{
	uint8_t *iph = frame + ETH_HLEN_;
	uint8_t *tcp = iph + ihl;
	uint8_t *ipf = iph + (dst ? 16 : 12);
	uint8_t *portf = tcp + (dst ? 2 : 0);
	uint32_t old_ip;
	uint16_t old_port = rd16(portf);

	memcpy(&old_ip, ipf, 4);
	memcpy(ipf, &ip, 4);
	csum_replace32(iph + 10, old_ip, ip);
	wr16(portf, port);
	csum_replace32(tcp + 16, old_ip, ip);
	csum_replace16(tcp + 16, old_port, port);
}

static void feed_lwip(struct tcp_flow *f, const uint8_t *frame, size_t len, size_t ihl)
{
	struct pbuf *p = gw_netif_copy(frame, len);

	if (!p)
		return;
	rewrite(p->payload, ihl, true, vg->cfg.gateway_ip, f->mport);
	gw_netif_deliver(p);
}

void tcp_flow_output(uint8_t *frame, size_t len)
{
	struct tcp_flow *f;
	struct ipv4_view ip;
	uint16_t sport;

	if (len < ETH_HLEN_ + IPV4_HLEN_MIN + TCP_HLEN_MIN || rd16(frame + 12) != ETHERTYPE_IPV4)
		return;
	if (ipv4_parse(frame + ETH_HLEN_, len - ETH_HLEN_, false, &ip) < 0 ||
	    ip.proto != IPPROTO_TCP_ || ip.src != vg->cfg.gateway_ip || ip.len < TCP_HLEN_MIN)
		return;
	sport = rd16(ip.payload);
	f = by_port[sport];
	if (!f || sport < TCP_FLOW_PORT_MIN)
		return;
	rewrite(frame, ip.ihl, false, f->dip, f->dport);
}

/* --- new flows -------------------------------------------------------------------- */

static bool port_free(uint16_t port)
{
	return !by_port[port];
}

static int alloc_port(uint16_t *out)
{
	const unsigned range = TCP_FLOW_PORT_MAX - TCP_FLOW_PORT_MIN + 1;

	for (unsigned i = 0; i < range; i++) {
		uint16_t p = port_cursor;

		port_cursor = p == TCP_FLOW_PORT_MAX ? TCP_FLOW_PORT_MIN : (uint16_t)(p + 1);
		if (port_free(p)) {
			*out = p;
			return 0;
		}
	}
	return -ENOSPC;
}

static void flow_connected(struct tcp_flow *f)
{
	struct tcp_pcb *pcb;
	ip_addr_t a;
	struct ipv4_view ip;
	err_t err;

	pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb)
		goto fail;
	ip_addr_set_ip4_u32_val(a, vg->cfg.gateway_ip);
	if (tcp_bind(pcb, &a, f->mport) != ERR_OK) {
		tcp_abort(pcb);
		goto fail;
	}
	f->listener = tcp_listen_with_backlog_and_err(pcb, 1, &err);
	if (!f->listener) {
		tcp_abort(pcb);
		goto fail;
	}
	tcp_arg(f->listener, f);
	tcp_accept(f->listener, on_accept);
	set_state(f, TF_HANDSHAKE);
	f->deadline = now_ms() + TCP_FLOW_HANDSHAKE_MS;
	update_events(f);
	gw_netif_teach(f->gip, f->gmac);
	if (ipv4_parse(f->syn + ETH_HLEN_, f->synlen - ETH_HLEN_, false, &ip) == 0)
		feed_lwip(f, f->syn, f->synlen, ip.ihl);
	free(f->syn);
	f->syn = NULL;
	return;
fail:
	log_warn(COMP, "cannot create an lwIP listener for port %u", f->mport);
	reset_held_syn(f);
	flow_abort(f);
}

static void flow_connect_done(struct tcp_flow *f)
{
	int r = sock_connect_result(f->rl.fd);

	if (r < 0) {
		tcp_flow_stats.refused_host++;
		log_debug(COMP, "connect to port %u: %s", f->dport, strerror(-r));
		reset_held_syn(f);
		tcp_relay_close_fd(&f->rl, false);
		flow_free(f);
		return;
	}
	flow_connected(f);
}

static void new_flow(const uint8_t *frame, size_t len, const struct eth_view *e,
		     const struct ipv4_view *ip, const struct tcp_view *t)
{
	struct egress *eg = &vg->cfg.egress;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	unsigned *gc;
	struct tcp_flow *f;
	uint32_t real = egress_translate(eg, ip->dst);
	uint16_t mport;
	int fd, one = 1;

	if (!egress_allowed(eg, EGRESS_TCP, real, t->dport)) {
		tcp_flow_stats.refused_policy++;
		send_rst(e->src, ip->src, ip->dst, t);
		return;
	}
	gc = guest_count(ip->src, true);
	if (nflows >= flows_cap || !gc || *gc >= flows_cap) {
		tcp_flow_stats.capped++;
		send_rst(e->src, ip->src, ip->dst, t);
		return;
	}
	if (alloc_port(&mport) < 0) {
		tcp_flow_stats.no_port++;
		send_rst(e->src, ip->src, ip->dst, t);
		return;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tcp_flow_stats.capped++;
		send_rst(e->src, ip->src, ip->dst, t);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sa.sin_addr.s_addr = real;
	sa.sin_port = htons(t->dport);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		tcp_flow_stats.refused_host++;
		close(fd);
		send_rst(e->src, ip->src, ip->dst, t);
		return;
	}
	f = calloc(1, sizeof(*f));
	if (f)
		f->syn = malloc(len);
	if (!f || !f->syn) {
		if (f)
			free(f);
		close(fd);
		send_rst(e->src, ip->src, ip->dst, t);
		return;
	}
	memcpy(f->syn, frame, len);
	f->synlen = len;
	f->ref.kind = REF_TCP_FLOW;
	tcp_relay_init(&f->rl, &pool, fd);
	f->gip = ip->src;
	f->dip = ip->dst;
	f->real = real;
	f->gport = t->sport;
	f->dport = t->dport;
	f->mport = mport;
	memcpy(f->gmac, e->src, 6);
	f->deadline = now_ms() + vg->cfg.tcp_connect_timeout_ms;
	f->hnext = buckets[tuple_hash(f->gip, f->gport, f->dip, f->dport)];
	buckets[tuple_hash(f->gip, f->gport, f->dip, f->dport)] = f;
	by_port[mport] = f;
	(*gc)++;
	nflows++;
	tcp_flow_stats.opened++;
	tcp_flow_stats.active = nflows;
	f->state = TF_CONNECTING;
	pending_append(f);
	update_events(f);
}

void tcp_flow_reset(const struct eth_view *e, const struct ipv4_view *ip)
{
	struct tcp_view t;

	if (tcp_parse(ip->payload, ip->len, &t) == 0) {
		tcp_flow_stats.unknown++;
		send_rst(e->src, ip->src, ip->dst, &t);
	}
}

void tcp_flow_input(const uint8_t *frame, size_t len, const struct eth_view *e,
		    const struct ipv4_view *ip)
{
	struct tcp_view t;
	struct tcp_flow *f;

	if (tcp_parse(ip->payload, ip->len, &t) < 0) {
		gw_stats.malformed++;
		return;
	}
	f = lookup(ip->src, t.sport, ip->dst, t.dport);
	if (!f) {
		if ((t.flags & (TCPF_SYN | TCPF_ACK | TCPF_RST)) == TCPF_SYN) {
			new_flow(frame, len, e, ip, &t);
			return;
		}
		tcp_flow_stats.unknown++;
		send_rst(e->src, ip->src, ip->dst, &t);
		return;
	}
	switch (f->state) {
	case TF_CONNECTING:
		if (t.flags & TCPF_RST) {
			tcp_relay_close_fd(&f->rl, false);
			flow_free(f);
		}
		/* SYN retransmissions are absorbed: the first one is held. */
		return;
	case TF_TIME_WAIT:
		if ((t.flags & (TCPF_SYN | TCPF_ACK)) == TCPF_SYN) {
			/* A new connection reusing the tuple: the old one is over
			 * for the guest. Its mapping stays (lwIP may still send
			 * on the old port) but no longer answers to the tuple. */
			hash_remove(f);
			new_flow(frame, len, e, ip, &t);
			return;
		}
		break;
	default:
		break;
	}
	feed_lwip(f, frame, len, ip->ihl);
}

/* --- host socket events ----------------------------------------------------------- */

void tcp_flow_handle(struct loop_ref *ref, uint32_t events)
{
	struct tcp_flow *f = container_of(ref, struct tcp_flow, ref);
	int r = 0;

	if (f->state == TF_CONNECTING) {
		flow_connect_done(f);
		return;
	}
	if (!f->rl.pcb) {
		/* HANDSHAKE: nothing to do with the host yet. */
		update_events(f);
		return;
	}
	r = tcp_relay_ready(&f->rl, events);
	if (f->rl.host_eof)
		note_host_eof(f);
	if (r < 0) {
		tcp_flow_stats.resets_from_host++;
		log_debug(COMP, "host side of port %u: %s", f->mport, strerror(-r));
		flow_abort(f);
		return;
	}
	mark_dirty(f);
}

void tcp_flow_flush(void)
{
	while (flush_list) {
		struct tcp_flow *f = flush_list;
		int r = 0;

		flush_list = f->dnext;
		f->dirty = false;
		f->dnext = NULL;
		if (!f->rl.pcb || f->rl.fd < 0)
			continue;
		r = tcp_relay_pump(&f->rl);
		if (r < 0) {
			tcp_flow_stats.resets_from_host++;
			flow_abort(f);
			continue;
		}
		if (f->rl.host_eof)
			note_host_eof(f);
		if (tcp_relay_progress_close(&f->rl))
			flow_finish(f);
		if (f->state != TF_TIME_WAIT)
			update_events(f);
	}
}

/* --- listing ------------------------------------------------------------------------ */

static const char *const state_names[] = {
	[TF_CONNECTING] = "connecting",	  [TF_HANDSHAKE] = "handshake",
	[TF_ESTABLISHED] = "established", [TF_GUEST_CLOSED] = "guest_closed",
	[TF_HOST_CLOSED] = "host_closed", [TF_CLOSING] = "closing",
	[TF_TIME_WAIT] = "time_wait",
};

static void visit(const struct tcp_flow *f, uint64_t now, flow_visit_fn fn, void *arg)
{
	struct flow_info fi = {
		.proto = "tcp",
		.kind = "outbound",
		.gip = f->gip,
		.gport = f->gport,
		.dip = f->dip,
		.dport = f->dport,
		.hip = f->real,
		.hport = f->dport,
		.state = state_names[f->state],
		.to_host_bytes = f->rl.to_host_bytes,
		.to_guest_bytes = f->rl.to_guest_bytes,
		.age_ms = now > f->rl.born_ms ? now - f->rl.born_ms : 0,
		.idle_ms = -1,
	};

	fn(&fi, arg);
}

void tcp_flow_foreach(flow_visit_fn fn, void *arg)
{
	uint64_t now = now_ms();

	/* TIME_WAIT flows may have left the hash (their tuple was reused):
	 * they are walked on their own list. */
	for (unsigned i = 0; i < TCP_FLOW_BUCKETS; i++)
		for (const struct tcp_flow *f = buckets[i]; f; f = f->hnext)
			if (f->state != TF_TIME_WAIT)
				visit(f, now, fn, arg);
	for (const struct tcp_flow *f = tw_list; f; f = f->lnext)
		visit(f, now, fn, arg);
}

/* --- sweeps ------------------------------------------------------------------------ */

static void mark_ports(struct tcp_pcb *list, uint8_t *bitmap)
{
	for (struct tcp_pcb *p = list; p; p = p->next)
		bitmap[p->local_port / 8] |= (uint8_t)(1u << (p->local_port % 8));
}

static void sweep(struct loop_timer *t)
{
	static uint8_t used[65536 / 8];
	uint64_t now = now_ms();

	/* Connects and handshakes that took too long: RST. */
	while (pending_list && pending_list->deadline <= now) {
		struct tcp_flow *f = pending_list;

		if (f->state == TF_CONNECTING) {
			tcp_flow_stats.timeouts++;
			reset_held_syn(f);
			tcp_relay_close_fd(&f->rl, false);
			flow_free(f);
		} else {
			flow_abort(f);
		}
	}
	/* Mapped ports whose lwIP PCB is gone are free again. */
	if (tw_list) {
		memset(used, 0, sizeof(used));
		mark_ports(tcp_active_pcbs, used);
		mark_ports(tcp_tw_pcbs, used);
		for (struct tcp_flow *f = tw_list, *next; f; f = next) {
			next = f->lnext;
			if (!(used[f->mport / 8] & (1u << (f->mport % 8))))
				flow_free(f);
		}
	}
	loop_timer_arm(&vg->loop, t, TCP_FLOW_SWEEP_MS);
}

int tcp_flow_init(unsigned flows_max)
{
	flows_cap = flows_max;
	sweep_timer.fn = sweep;
	loop_timer_arm(&vg->loop, &sweep_timer, TCP_FLOW_SWEEP_MS);
	log_info(COMP, "at most %u TCP flows", flows_cap);
	return 0;
}

void tcp_flow_fini(void)
{
	loop_timer_cancel(&vg->loop, &sweep_timer);
	/* Mappings kept for lwIP's closing PCBs, some no longer in the hash. */
	for (struct tcp_flow *f = tw_list, *next; f; f = next) {
		next = f->lnext;
		flow_free(f);
	}
	for (unsigned i = 0; i < TCP_FLOW_BUCKETS; i++) {
		for (struct tcp_flow *f = buckets[i], *next; f; f = next) {
			next = f->hnext;
			if (f->rl.pcb) {
				tcp_relay_detach_pcb(f->rl.pcb);
				tcp_abort(f->rl.pcb);
				f->rl.pcb = NULL;
			}
			tcp_relay_close_fd(&f->rl, true);
			flow_free(f);
		}
	}
	flush_list = NULL;
	memset(guests, 0, sizeof(guests));
}
