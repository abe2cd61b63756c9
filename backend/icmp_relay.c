// SPDX-License-Identifier: MIT
/*
 * icmp_relay.c - guest pings to the world through unprivileged ping sockets
 *
 * Theory of operation. vgate runs without CAP_NET_RAW, so it cannot send
 * ICMP itself; Linux's ping sockets (socket(AF_INET, SOCK_DGRAM,
 * IPPROTO_ICMP)) let an unprivileged process send echo requests and
 * receive the matching replies, if the process's group is inside
 * net.ipv4.ping_group_range (a per-network-namespace sysctl; the kernel's
 * default "1 0" permits nobody). The kernel owns the echo identifier of
 * such a socket: it overwrites the one we send with the socket's "port"
 * and delivers only replies carrying it, so the guest's identifier is kept
 * here and put back into every reply.
 *
 * One relay socket per (guest address, guest identifier, destination as
 * the guest addressed it), connect()ed to the translated destination
 * (egress_translate()); the relay entries live in a udp_flow_table with the
 * identifier in the port slot. Keying by the virtual destination, not the
 * translated one, keeps two virtual IPs that map to the same host apart,
 * so each reply goes back from the address that was pinged.
 *
 * A request (type 8, code 0, valid checksum; anything else from a guest is
 * dropped and counted) goes through these steps:
 *   - broadcast, multicast or zero destinations (before or after
 *     translation): dropped;
 *   - a socket for its key exists: the request goes out on it;
 *   - the egress policy refuses: ICMP "administratively prohibited" from the
 *     address the guest pinged, counted;
 *   - ping sockets not permitted: counted as unsupported and dropped, never
 *     answered with a made-up reply. Found by a probe at start (logged once,
 *     with the sysctl to change) and re-tried every ICMP_RELAY_RETRY_MS, so
 *     changing the sysctl later takes effect without a restart;
 *   - ICMP_RELAY_MAX sockets open: dropped, counted;
 *   - otherwise a new socket sends the ICMP message as the guest built it
 *     (sequence and data intact; the kernel sets identifier and checksum).
 * Replies are rebuilt by icmp_relay_build_reply(): the guest's identifier,
 * the reply's sequence and data, a new checksum, from the pinged address
 * to the guest. A reply too large for one guest frame (over MTU - 20) is
 * dropped: vgate does not fragment. Host or network unreachable reported
 * on the socket becomes the same ICMP error to the guest, quoting its last
 * request (kept per socket). A socket unused for ICMP_RELAY_IDLE_MS is
 * closed by one sweep timer, armed only while sockets exist.
 *
 * Lifetime rule as in udp_flow.c: a socket closed while an event may be
 * pending is marked dead and freed after the loop's batch.
 */
#include "icmp_relay.h"

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

#define COMP "icmp-relay"
/* Replies read from one socket per wake-up. */
#define ICMP_RELAY_READ_BUDGET 32
/* Shortest interval between two idle sweeps. */
#define ICMP_RELAY_SWEEP_MS 1000
/* While ping sockets are refused, ask the kernel again this often. */
#define ICMP_RELAY_RETRY_MS 10000
#define ICMP_RELAY_BUCKETS ICMP_RELAY_MAX
#define ICMP_MSG_MAX 65535

struct icmp_relay_stats icmp_relay_stats;

struct icmp_sock {
	struct loop_ref ref;
	struct loop_deferred dead;
	struct udp_flow_entry e; /* key: guest ip, identifier, virtual dst, 0 */
	int fd;
	uint32_t real;	/* translated destination, network order */
	uint8_t mac[6]; /* the guest's */
	struct icmp_quote quote;
};

static struct udp_flow_table table;
static struct loop_timer sweep;
static bool ready;
static bool permitted; /* ping sockets can be opened */
static bool warned;
static uint64_t retry_at; /* while !permitted: next time to try */
static uint8_t frame[ETH_HLEN_ + IPV4_HLEN_MIN + ICMP_MSG_MAX];

int icmp_relay_build_reply(uint8_t *out, size_t cap, const uint8_t dst_mac[6],
			   const uint8_t src_mac[6], uint32_t from, uint32_t to, uint16_t id,
			   const uint8_t *reply, size_t len)
{
	uint8_t *icmp = out + ETH_HLEN_ + IPV4_HLEN_MIN;

	if (len < ICMP_HLEN || reply[0] != ICMP_ECHO_REPLY || reply[1] != 0)
		return -EBADMSG;
	if (cap < ETH_HLEN_ + IPV4_HLEN_MIN || len > cap - ETH_HLEN_ - IPV4_HLEN_MIN)
		return -ENOSPC;
	memmove(icmp, reply, len);
	wr16(icmp + 4, id);
	wr16(icmp + 2, 0);
	wr16(icmp + 2, ip_checksum(icmp, len));
	return net_build_ipv4(out, cap, dst_mac, src_mac, IPPROTO_ICMP_, from, to, icmp, len);
}

/* Ping sockets refused with @err (positive): remember it, say why once. */
static void set_unsupported(int err)
{
	permitted = false;
	retry_at = now_ms() + ICMP_RELAY_RETRY_MS;
	if (warned)
		return;
	warned = true;
	if (err == EACCES || err == EPERM)
		log_warn(COMP, "ping sockets are not permitted for this process's group "
			       "(sysctl net.ipv4.ping_group_range in this network namespace, "
			       "e.g. \"0 2147483647\"): guest pings to the outside are dropped");
	else
		log_warn(COMP,
			 "ping sockets unavailable (%s): guest pings to the outside are "
			 "dropped",
			 strerror(err));
}

static int ping_socket(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd < 0) {
		int err = errno;

		if (err == EACCES || err == EPERM || err == EPROTONOSUPPORT ||
		    err == EAFNOSUPPORT || err == ESOCKTNOSUPPORT)
			set_unsupported(err);
		return -err;
	}
	if (!permitted) {
		permitted = true;
		if (warned)
			log_info(COMP, "ping sockets are permitted now: relaying guest pings");
	}
	return fd;
}

static void sock_free(struct loop_deferred *d)
{
	free(container_of(d, struct icmp_sock, dead));
}

static void sock_close(struct icmp_sock *s, bool defer)
{
	if (s->fd >= 0) {
		loop_del(&vg->loop, s->fd);
		close(s->fd);
		s->fd = -1;
	}
	udp_flow_table_remove(&table, &s->e);
	s->ref.dead = true;
	if (defer) {
		s->dead.free_fn = sock_free;
		loop_defer_free(&vg->loop, &s->dead);
	} else {
		free(s);
	}
}

static void sweep_arm(uint64_t now)
{
	int64_t delay =
		udp_flow_table_sweep_delay(&table, now, ICMP_RELAY_IDLE_MS, ICMP_RELAY_SWEEP_MS);

	if (delay < 0)
		loop_timer_cancel(&vg->loop, &sweep);
	else
		loop_timer_arm(&vg->loop, &sweep, (uint64_t)delay);
}

static void sweep_run(struct loop_timer *t)
{
	uint64_t now = now_ms();
	struct udp_flow_entry *e;

	(void)t;
	while ((e = udp_flow_table_expired(&table, now, ICMP_RELAY_IDLE_MS)))
		sock_close(container_of(e, struct icmp_sock, e), true);
	sweep_arm(now);
}

static bool bad_dst(uint32_t dst)
{
	uint32_t h = ntohl(dst);

	return !dst || dst == 0xffffffffu || (h & 0xf0000000u) == 0xe0000000u;
}

/* Tell the guest its last packet through this relay could not be delivered. */
static void send_unreach(struct icmp_sock *s, uint8_t code)
{
	icmp_quote_unreach(&s->quote, s->mac, s->e.key.dip, code);
}

/* Open the relay socket for a new (guest, identifier, destination). Return: it, or NULL (counted).
 */
static struct icmp_sock *sock_open(const struct eth_view *e, const struct ipv4_view *ip,
				   const struct udp_flow_key *k, uint32_t real, uint64_t now)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char a[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	struct icmp_sock *s;
	int r, fd;

	fd = ping_socket();
	if (fd < 0) {
		if (!permitted)
			icmp_relay_stats.unsupported++;
		else
			icmp_relay_stats.dropped++;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		icmp_relay_stats.dropped++;
		return NULL;
	}
	s->fd = fd;
	s->ref.kind = REF_ICMP_SOCK;
	s->e.key = *k;
	s->real = real;
	memcpy(s->mac, e->src, 6);
	r = udp_flow_table_insert(&table, &s->e, now);
	if (r < 0) {
		if (r == -ENOSPC || r == -EDQUOT)
			icmp_relay_stats.capped++;
		else
			icmp_relay_stats.dropped++;
		close(fd);
		free(s);
		return NULL;
	}
	sa.sin_addr.s_addr = real;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    loop_add(&vg->loop, fd, EPOLLIN, &s->ref) < 0) {
		r = -errno;
		log_debug(COMP, "ping socket to %s: %s", inet_ntop(AF_INET, &real, a, sizeof(a)),
			  strerror(-r));
		icmp_relay_stats.dropped++;
		sock_close(s, false);
		return NULL;
	}
	log_debug(COMP, "relaying pings %s id %u -> %s (host %s), %u sockets",
		  inet_ntop(AF_INET, &k->gip, g, sizeof(g)), k->gport,
		  inet_ntop(AF_INET, &ip->dst, d, sizeof(d)),
		  inet_ntop(AF_INET, &real, a, sizeof(a)), udp_flow_table_count(&table));
	if (!sweep.armed)
		sweep_arm(now);
	return s;
}

void icmp_relay_input(const struct eth_view *e, const struct ipv4_view *ip)
{
	struct egress *eg = &vg->cfg.egress;
	struct udp_flow_key k;
	struct udp_flow_entry *fe;
	struct icmp_sock *s;
	char a[INET_ADDRSTRLEN];
	uint32_t real;
	uint64_t now;

	if (!ready)
		return;
	if (ip->len < ICMP_HLEN || ip->payload[0] != ICMP_ECHO_REQUEST || ip->payload[1] != 0 ||
	    ip_checksum(ip->payload, ip->len) != 0 || !ip->src || (e->src[0] & 1)) {
		icmp_relay_stats.dropped++;
		return;
	}
	icmp_relay_stats.requests++;
	now = now_ms();
	real = egress_translate(eg, ip->dst);
	if (bad_dst(real) || bad_dst(ip->dst)) {
		icmp_relay_stats.dropped++;
		return;
	}
	memset(&k, 0, sizeof(k));
	k.gip = ip->src;
	k.gport = rd16(ip->payload + 4);
	k.dip = ip->dst;
	fe = udp_flow_table_lookup(&table, &k);
	if (fe) {
		s = container_of(fe, struct icmp_sock, e);
		udp_flow_table_touch(&table, fe, now);
		memcpy(s->mac, e->src, 6);
	} else {
		if (!egress_allowed(eg, EGRESS_ICMP, real, 0)) {
			icmp_relay_stats.refused++;
			log_debug(COMP, "egress policy refuses pings to %s",
				  inet_ntop(AF_INET, &real, a, sizeof(a)));
			icmp_send_error(e->src, ip->dst, ip, ICMP_DEST_UNREACH,
					ICMP_ADMIN_PROHIBITED, 0);
			return;
		}
		if (!permitted && now < retry_at) {
			icmp_relay_stats.unsupported++;
			return;
		}
		s = sock_open(e, ip, &k, real, now);
		if (!s)
			return;
	}
	icmp_quote_keep(&s->quote, ip);
	if (send(s->fd, ip->payload, ip->len, 0) < 0) {
		icmp_relay_stats.dropped++;
		log_debug(COMP, "ping to %s: %s", inet_ntop(AF_INET, &s->real, a, sizeof(a)),
			  strerror(errno));
		return;
	}
	s->e.to_host_bytes += ip->len;
}

void icmp_relay_handle(struct loop_ref *ref, uint32_t events)
{
	struct icmp_sock *s = container_of(ref, struct icmp_sock, ref);
	const size_t hdrs = ETH_HLEN_ + IPV4_HLEN_MIN;
	size_t room = (size_t)vg->cfg.mtu - IPV4_HLEN_MIN;

	(void)events;
	for (int i = 0; i < ICMP_RELAY_READ_BUDGET && s->fd >= 0; i++) {
		ssize_t n = recv(s->fd, frame + hdrs, sizeof(frame) - hdrs, MSG_TRUNC);
		int len;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EHOSTUNREACH || errno == ENETUNREACH)
				send_unreach(s, ICMP_HOST_UNREACH);
			continue;
		}
		if ((size_t)n > room || (size_t)n > sizeof(frame) - hdrs) {
			icmp_relay_stats.dropped++;
			continue;
		}
		len = icmp_relay_build_reply(frame, sizeof(frame), s->mac, vg->cfg.gateway_mac,
					     s->e.key.dip, s->e.key.gip, s->e.key.gport,
					     frame + hdrs, (size_t)n);
		if (len < 0) {
			icmp_relay_stats.dropped++;
			continue;
		}
		udp_flow_table_touch(&table, &s->e, now_ms());
		s->e.to_guest_bytes += (uint64_t)n;
		icmp_relay_stats.replies++;
		gateway_output(frame, (size_t)len);
	}
}

static void flow_fill(const struct udp_flow_entry *e, struct flow_info *fi)
{
	fi->proto = "icmp";
	fi->hip = container_of(e, const struct icmp_sock, e)->real;
}

void icmp_relay_foreach(flow_visit_fn fn, void *arg)
{
	udp_flow_table_visit(&table, now_ms(), flow_fill, fn, arg);
}

int icmp_relay_init(void)
{
	uint32_t seed = 0;
	int r, fd;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint32_t)now_ms() * 2246822519u;
	r = udp_flow_table_init(&table, ICMP_RELAY_MAX, ICMP_RELAY_MAX, ICMP_RELAY_BUCKETS, seed);
	if (r < 0)
		return r;
	memset(&icmp_relay_stats, 0, sizeof(icmp_relay_stats));
	memset(&sweep, 0, sizeof(sweep));
	sweep.fn = sweep_run;
	warned = false;
	permitted = true;
	retry_at = 0;
	fd = ping_socket();
	if (fd >= 0)
		close(fd);
	ready = true;
	return 0;
}

void icmp_relay_fini(void)
{
	struct udp_flow_entry *e;

	if (!ready)
		return;
	loop_timer_cancel(&vg->loop, &sweep);
	while ((e = udp_flow_table_oldest(&table)))
		sock_close(container_of(e, struct icmp_sock, e), false);
	udp_flow_table_fini(&table);
	ready = false;
}
