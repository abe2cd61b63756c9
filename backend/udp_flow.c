// SPDX-License-Identifier: MIT
/*
 * udp_flow.c - guest UDP to the world through connected host sockets
 *
 * Theory of operation. The gateway hands over every guest UDP datagram
 * that is not for one of its own services (udp_flow_input()). A flow is
 * (guest address, guest port, destination as the guest addressed it,
 * destination port); it lives in a udp_flow_table and owns one host socket,
 * non-blocking and connect()ed to the *translated* destination
 * (egress_translate(): the host alias 192.168.127.254 becomes 127.0.0.1).
 * Because the socket is connected, the kernel delivers only the peer's
 * replies to it and turns ICMP errors about it into socket errors.
 *
 * A flow has no states beyond "open": it is created by the first guest
 * datagram that passes the checks below and closed when idle, at exit, or
 * when its socket cannot be set up. Datagrams in either direction count as
 * activity; a flow idle for cfg.udp_idle_ms (default 90 s) is closed by one
 * sweep timer, which is armed only while flows exist and fires at the
 * oldest flow's deadline, but not more often than every UDP_FLOW_SWEEP_MS
 * (so a flow may live up to that much longer than its timeout).
 *
 * Creating a flow:
 *   - broadcast, multicast and zero destinations (virtual or translated),
 *     port 0, and guest source 0.0.0.0 are dropped and counted;
 *   - the egress policy is asked (after translation); a refusal answers
 *     the guest with ICMP "administratively prohibited" (type 3 code 13)
 *     from the destination it addressed, and nothing is created;
 *   - the caps UDP_FLOWS_MAX and UDP_FLOWS_PER_GUEST drop the datagram and
 *     count it (the guest retries or gives up as on a lossy network).
 *
 * Guest -> world: the payload is sent as it came, any size the frame
 * carried. The guest's DF bit is not copied: the host socket keeps the
 * kernel's default path-MTU behaviour, so the host fragments when its own
 * path needs it. A full send buffer drops the datagram (counted).
 *
 * World -> guest: each readable event reads up to UDP_FLOW_READ_BUDGET
 * datagrams (level-triggered epoll brings the loop back for the rest) and
 * sends each to the guest from the address and port it addressed (never
 * the translated one) with the MAC the guest last used. vgate does not
 * fragment: a reply that does not fit in one guest frame (payload over
 * MTU - 28) is dropped and counted; guests exchanging large datagrams must
 * use the MTU they were given.
 *
 * Errors: ECONNREFUSED on a flow socket (the far side sent ICMP port
 * unreachable) becomes an ICMP port unreachable to the guest quoting the
 * flow's last guest datagram (its IP header and first 8 bytes are kept in
 * the flow for that), so the guest's socket sees ECONNREFUSED too. Host or
 * network unreachable become ICMP host unreachable the same way. The flow
 * stays open: the service may come back, and the idle timer reclaims it.
 *
 * Lifetime rule: a flow closed while the loop may still hold an event for
 * its socket is marked dead and freed after the batch (loop_defer_free()).
 */
#include "udp_flow.h"

#include "egress.h"
#include "gateway.h"
#include "icmp.h"
#include "log.h"
#include "udp_flow_table.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define COMP "udp"
/* Datagrams read from one flow socket per wake-up. */
#define UDP_FLOW_READ_BUDGET 64
/* Shortest interval between two idle sweeps. */
#define UDP_FLOW_SWEEP_MS 1000
#define UDP_FLOW_IDLE_DEFAULT_MS 90000
/* Hash buckets: about one per flow at the cap. */
#define UDP_FLOW_BUCKETS UDP_FLOWS_MAX
/* The IP header (with options) and 8 bytes of a guest datagram, for ICMP quotes. */
/* The same warning (caps reached) at most this often. */
#define UDP_FLOW_WARN_MS 10000
#define UDP_PAYLOAD_MAX 65535

struct udp_flow_stats udp_flow_stats;

struct udp_flow {
	struct loop_ref ref;
	struct loop_deferred dead;
	struct udp_flow_entry e; /* key: guest ip:port, virtual dst ip:port */
	int fd;
	uint32_t real;	/* translated destination, network order */
	uint8_t mac[6]; /* the guest's, for replies */
	struct icmp_quote quote;
};

static struct udp_flow_table table;
static struct loop_timer sweep;
static bool ready;
static uint64_t last_cap_warn;
/* One frame: Ethernet + IPv4 + UDP headers, then the largest UDP payload. */
static uint8_t frame[ETH_HLEN_ + IPV4_HLEN_MIN + UDP_HLEN + UDP_PAYLOAD_MAX];

static uint64_t idle_ms(void)
{
	return vg->cfg.udp_idle_ms ? vg->cfg.udp_idle_ms : UDP_FLOW_IDLE_DEFAULT_MS;
}

/* Addresses a flow must never be opened to (network order). */
static bool bad_dst(uint32_t dst)
{
	uint32_t h = ntohl(dst);

	return !dst || dst == 0xffffffffu || (h & 0xf0000000u) == 0xe0000000u;
}

static void flow_free(struct loop_deferred *d)
{
	free(container_of(d, struct udp_flow, dead));
}

/* Close @f; @defer when an event for its socket may still be pending. */
static void flow_close(struct udp_flow *f, bool defer)
{
	if (f->fd >= 0) {
		loop_del(&vg->loop, f->fd);
		close(f->fd);
		f->fd = -1;
	}
	udp_flow_table_remove(&table, &f->e);
	udp_flow_stats.closed++;
	udp_flow_stats.active--;
	f->ref.dead = true;
	if (defer) {
		f->dead.free_fn = flow_free;
		loop_defer_free(&vg->loop, &f->dead);
	} else {
		free(f);
	}
}

static void sweep_arm(uint64_t now)
{
	int64_t delay = udp_flow_table_sweep_delay(&table, now, idle_ms(), UDP_FLOW_SWEEP_MS);

	if (delay < 0)
		loop_timer_cancel(&vg->loop, &sweep);
	else
		loop_timer_arm(&vg->loop, &sweep, (uint64_t)delay);
}

static void sweep_run(struct loop_timer *t)
{
	uint64_t now = now_ms();
	struct udp_flow_entry *e;
	unsigned n = 0;

	(void)t;
	while ((e = udp_flow_table_expired(&table, now, idle_ms()))) {
		flow_close(container_of(e, struct udp_flow, e), true);
		n++;
	}
	if (n)
		log_debug(COMP, "closed %u idle flows, %u open", n, udp_flow_table_count(&table));
	sweep_arm(now);
}

/* Tell the guest its last packet through this relay could not be delivered. */
static void send_unreach(struct udp_flow *f, uint8_t code)
{
	if (icmp_quote_unreach(&f->quote, f->mac, f->e.key.dip, code))
		udp_flow_stats.port_unreachable++;
}

/* A socket error on @f (from recv or send), as a positive errno. */
static void flow_error(struct udp_flow *f, int err)
{
	char a[INET_ADDRSTRLEN];

	switch (err) {
	case ECONNREFUSED:
		send_unreach(f, ICMP_PORT_UNREACH);
		break;
	case EHOSTUNREACH:
	case ENETUNREACH:
		send_unreach(f, ICMP_HOST_UNREACH);
		break;
	default:
		log_debug(COMP, "flow to %s:%u: %s", inet_ntop(AF_INET, &f->real, a, sizeof(a)),
			  f->e.key.dport, strerror(err));
		break;
	}
}

static void warn_capped(const struct udp_flow_key *k, int r)
{
	uint64_t now = now_ms();
	char a[INET_ADDRSTRLEN];

	udp_flow_stats.capped++;
	if (last_cap_warn && now - last_cap_warn < UDP_FLOW_WARN_MS)
		return;
	last_cap_warn = now;
	log_warn(COMP, "new flow from %s:%u dropped: %s (%u open)",
		 inet_ntop(AF_INET, &k->gip, a, sizeof(a)), k->gport,
		 r == -EDQUOT ? "UDP_FLOWS_PER_GUEST reached" : "UDP_FLOWS_MAX reached",
		 udp_flow_table_count(&table));
}

/* Open the host side of a new flow. Return: the flow, or NULL (counted). */
static struct udp_flow *flow_open(const struct eth_view *e, const struct ipv4_view *ip,
				  const struct udp_flow_key *k, uint64_t now)
{
	struct egress *eg = &vg->cfg.egress;
	uint32_t real = egress_translate(eg, ip->dst);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char a[INET_ADDRSTRLEN];
	struct udp_flow *f;
	int r;

	if (bad_dst(real)) {
		udp_flow_stats.dropped++;
		return NULL;
	}
	if (!egress_allowed(eg, EGRESS_UDP, real, k->dport)) {
		udp_flow_stats.refused++;
		log_debug(COMP, "egress policy refuses %s:%u",
			  inet_ntop(AF_INET, &real, a, sizeof(a)), k->dport);
		icmp_send_error(e->src, ip->dst, ip, ICMP_DEST_UNREACH, ICMP_ADMIN_PROHIBITED, 0);
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		udp_flow_stats.dropped++;
		return NULL;
	}
	f->fd = -1;
	f->ref.kind = REF_UDP_FLOW;
	f->e.key = *k;
	f->real = real;
	r = udp_flow_table_insert(&table, &f->e, now);
	if (r < 0) {
		if (r == -ENOSPC || r == -EDQUOT)
			warn_capped(k, r);
		else
			udp_flow_stats.dropped++;
		free(f);
		return NULL;
	}
	udp_flow_stats.opened++;
	udp_flow_stats.active++;
	memcpy(f->mac, e->src, 6);
	sa.sin_addr.s_addr = real;
	sa.sin_port = htons(k->dport);
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (f->fd < 0 || connect(f->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    loop_add(&vg->loop, f->fd, EPOLLIN, &f->ref) < 0) {
		r = -errno;
		log_debug(COMP, "flow to %s:%u: %s", inet_ntop(AF_INET, &real, a, sizeof(a)),
			  k->dport, strerror(-r));
		udp_flow_stats.dropped++;
		/* No event can be pending for a socket that never entered the loop. */
		flow_close(f, false);
		return NULL;
	}
	if (log_enabled(VLOG_DEBUG)) {
		char g[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];

		log_debug(COMP, "new flow %s:%u -> %s:%u (host %s), %u open",
			  inet_ntop(AF_INET, &k->gip, g, sizeof(g)), k->gport,
			  inet_ntop(AF_INET, &k->dip, d, sizeof(d)), k->dport,
			  inet_ntop(AF_INET, &real, a, sizeof(a)), udp_flow_table_count(&table));
	}
	if (!sweep.armed)
		sweep_arm(now);
	return f;
}

void udp_flow_input(const struct eth_view *e, const struct ipv4_view *ip, const struct udp_view *u)
{
	struct udp_flow_key k;
	struct udp_flow_entry *fe;
	struct udp_flow *f;
	uint64_t now;
	ssize_t n;

	if (!ready)
		return;
	if (bad_dst(ip->dst) || !ip->src || !u->dport || (e->src[0] & 1)) {
		udp_flow_stats.dropped++;
		return;
	}
	memset(&k, 0, sizeof(k));
	k.gip = ip->src;
	k.gport = u->sport;
	k.dip = ip->dst;
	k.dport = u->dport;
	now = now_ms();
	fe = udp_flow_table_lookup(&table, &k);
	if (fe) {
		f = container_of(fe, struct udp_flow, e);
		udp_flow_table_touch(&table, fe, now);
		memcpy(f->mac, e->src, 6);
	} else {
		f = flow_open(e, ip, &k, now);
		if (!f)
			return;
	}
	n = send(f->fd, u->payload, u->len, 0);
	if (n < 0 && errno == ECONNREFUSED) {
		/* An error about an earlier datagram, not yet read: report it
		 * (quoting that datagram), then send this one. */
		flow_error(f, ECONNREFUSED);
		n = send(f->fd, u->payload, u->len, 0);
	}
	icmp_quote_keep(&f->quote, ip);
	if (n < 0) {
		udp_flow_stats.dropped++;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			flow_error(f, errno);
		return;
	}
	udp_flow_stats.tx_datagrams++;
	udp_flow_stats.tx_bytes += u->len;
	f->e.to_host_bytes += u->len;
}

void udp_flow_handle(struct loop_ref *ref, uint32_t events)
{
	struct udp_flow *f = container_of(ref, struct udp_flow, ref);
	const size_t hdrs = ETH_HLEN_ + IPV4_HLEN_MIN + UDP_HLEN;
	size_t room = (size_t)vg->cfg.mtu - IPV4_HLEN_MIN - UDP_HLEN;

	(void)events;
	for (int i = 0; i < UDP_FLOW_READ_BUDGET && f->fd >= 0; i++) {
		ssize_t n = recv(f->fd, frame + hdrs, sizeof(frame) - hdrs, MSG_TRUNC);
		int len;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno != EINTR)
				flow_error(f, errno);
			continue;
		}
		udp_flow_table_touch(&table, &f->e, now_ms());
		if ((size_t)n > room || (size_t)n > sizeof(frame) - hdrs) {
			/* vgate does not fragment towards the guest. */
			udp_flow_stats.dropped++;
			continue;
		}
		len = net_build_udp4(frame, sizeof(frame), f->mac, vg->cfg.gateway_mac,
				     f->e.key.dip, f->e.key.dport, f->e.key.gip, f->e.key.gport,
				     frame + hdrs, (size_t)n);
		if (len < 0) {
			udp_flow_stats.dropped++;
			continue;
		}
		udp_flow_stats.rx_datagrams++;
		udp_flow_stats.rx_bytes += (uint64_t)n;
		f->e.to_guest_bytes += (uint64_t)n;
		gateway_output(frame, (size_t)len);
	}
}

static void flow_fill(const struct udp_flow_entry *e, struct flow_info *fi)
{
	fi->proto = "udp";
	fi->hip = container_of(e, const struct udp_flow, e)->real;
	fi->hport = e->key.dport;
}

void udp_flow_foreach(flow_visit_fn fn, void *arg)
{
	udp_flow_table_visit(&table, now_ms(), flow_fill, fn, arg);
}

int udp_flow_init(void)
{
	uint32_t seed = 0;
	int r;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint32_t)now_ms() * 2654435761u;
	r = udp_flow_table_init(&table, UDP_FLOWS_MAX, UDP_FLOWS_PER_GUEST, UDP_FLOW_BUCKETS, seed);
	if (r < 0)
		return r;
	memset(&udp_flow_stats, 0, sizeof(udp_flow_stats));
	memset(&sweep, 0, sizeof(sweep));
	sweep.fn = sweep_run;
	last_cap_warn = 0;
	ready = true;
	return 0;
}

void udp_flow_fini(void)
{
	struct udp_flow_entry *e;

	if (!ready)
		return;
	loop_timer_cancel(&vg->loop, &sweep);
	while ((e = udp_flow_table_oldest(&table)))
		flow_close(container_of(e, struct udp_flow, e), false);
	udp_flow_table_fini(&table);
	ready = false;
}
