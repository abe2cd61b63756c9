// SPDX-License-Identifier: MIT
/*
 * test_tcp_flow.c - backend/tcp_flow.c: the DNAT shim in front of lwIP, its
 * flow states and its mapped-port allocator, end to end.
 *
 * Nothing is mocked: guest TCP segments built here go through the real
 * classifier (gateway_input()), the real tcp_flow.c and the real lwIP, and
 * every flow ends at a real socket on 127.0.0.1 that the test owns (the
 * default NAT maps the host alias 192.168.127.254 there). The test defines
 * the daemon's `vg` itself (main.c is not linked), built the way main.c
 * builds it: options_parse() + config_build(), the loop, a switch whose
 * deliver callback hands port 0's frames to gateway_input() and keeps a
 * copy of every frame delivered to the one guest port, the lwIP netif and
 * the gateway's services.
 *
 * pump() is one iteration of the real loop (loop_run() stopped by its idle
 * hook, so the TIME_WAIT sweep timer runs too): host sockets' events go to
 * tcp_flow_handle(), then vgate_lwip_poll() and tcp_flow_flush() as in
 * main.c's idle hook. After it, a minimal guest TCP (struct gconn) reads the
 * captured frames, checks every one (MACs, IPv4 and TCP checksums computed
 * here independently), tracks sequence numbers, acknowledges data and FINs,
 * and answers lwIP's ARP request for the guest should it ask. Host-side
 * sockets are drained into buffers on each pump. Every wait is bounded.
 *
 * lwIP's timer list is global and lwip_init() would add its cyclic timers
 * again, so lwIP is started once for the whole run; each test gets a fresh
 * vg, netif and gateway (gateway_init()/gateway_fini()), and guest ports
 * are never reused across tests, so lwIP PCBs left over from one test
 * cannot meet another's segments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "gateway.h"
#include "lwip_glue.h"
#include "net.h"
#include "tcp_flow.h"
#include "util.h"
#include "vgate.h"

#include "lwip_inc.h"
#include <lwip/priv/tcp_priv.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct vgate *vg;

/* What the guest announces: no window scaling, an Ethernet-sized MSS. */
#define GUEST_WND 65535
#define GUEST_MSS 1460
/* Longest any single wait may take, and one pump's epoll timeout. */
#define WAIT_MS 3000
#define PUMP_WAIT_MS 5
#define BULK_LEN (100 * 1024)
#define GCONNS_MAX 16
#define HCONNS_MAX 16
#define LISTENERS_MAX 8

static const uint8_t gw_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
static const uint8_t guest_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint32_t gw_ip, guest_ip, alias_ip;
static struct vgate_options opts;
static int guest_port;
/* Guest source ports: never reused within the run. */
static uint16_t next_gport = 40000;

/* --- frames delivered to the guest -------------------------------------------- */

struct frame {
	uint8_t *data;
	size_t len;
};

static struct frame *frames;
static size_t nframes, frames_cap;
static unsigned arp_requests; /* lwIP asking who has the guest's IP */
static bool arp_wanted;

/* Frames no guest connection claimed (a rewrite gone wrong shows up here). */
static unsigned strays;
static char stray_desc[160];

static int capture_deliver(void *ctx, unsigned port, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (port == SWITCH_GATEWAY_PORT)
		return gateway_input(frame, len);
	if (port != (unsigned)guest_port)
		return -ENOENT;
	if (len >= ETH_HLEN_ + 28 && rd16(frame + 12) == ETHERTYPE_ARP) {
		if (rd16(frame + ETH_HLEN_ + 6) == 1 &&
		    memcmp(frame + ETH_HLEN_ + 24, &guest_ip, 4) == 0) {
			arp_requests++;
			arp_wanted = true;
		}
		return 0;
	}
	if (len < ETH_HLEN_ + IPV4_HLEN_MIN || rd16(frame + 12) != ETHERTYPE_IPV4 ||
	    frame[ETH_HLEN_ + 9] != IPPROTO_TCP_)
		return 0;
	if (nframes == frames_cap) {
		frames_cap = frames_cap ? 2 * frames_cap : 256;
		frames = realloc(frames, frames_cap * sizeof(*frames));
		assert_non_null(frames);
	}
	frames[nframes].data = malloc(len);
	assert_non_null(frames[nframes].data);
	memcpy(frames[nframes].data, frame, len);
	frames[nframes].len = len;
	nframes++;
	return 0;
}

static void frames_clear(void)
{
	for (size_t i = 0; i < nframes; i++)
		free(frames[i].data);
	nframes = 0;
}

/* --- checksums, computed here rather than with the code under test ------------ */

static uint32_t ref_add(const uint8_t *p, size_t len, uint32_t acc)
{
	uint64_t s = acc;

	for (size_t i = 0; i < len; i++)
		s += i % 2 ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, size_t tcp_len)
{
	uint8_t ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = IPPROTO_TCP_;
	wr16(ph + 10, (uint16_t)tcp_len);
	return ref_add(ph, sizeof(ph), 0);
}

static void wr32be(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static const char *ipstr(uint32_t ip, char *buf)
{
	return inet_ntop(AF_INET, &ip, buf, INET_ADDRSTRLEN);
}

/* --- the guest's side of TCP ------------------------------------------------- */

/* A TCP segment as the guest received it (checked before it is filled in). */
struct seg {
	uint32_t src, dst; /* network order */
	uint16_t sport, dport, win;
	uint32_t seq, ack;
	uint8_t flags;
	const uint8_t *payload;
	size_t plen;
};

struct gconn {
	bool used;
	uint16_t gport;
	uint32_t dip; /* network order */
	uint16_t dport;
	uint32_t iss, snd_una, snd_nxt, wnd;
	uint32_t rcv_nxt;
	unsigned synacks; /* SYN-ACKs received */
	uint32_t synack_ack;
	uint8_t synack_flags;
	bool fin; /* FIN received in sequence */
	bool rst;
	uint32_t rst_seq, rst_ack;
	uint8_t rst_flags;
	unsigned segs;
	size_t max_plen;
	uint8_t *rx;
	size_t rx_len, rx_cap;
};

static struct gconn gconns[GCONNS_MAX];

/* A guest connection from @gport (0: a fresh one) to @dip:@dport. */
static struct gconn *gconn_new(uint32_t dip, uint16_t dport, uint16_t gport, uint32_t iss)
{
	for (unsigned i = 0; i < GCONNS_MAX; i++) {
		struct gconn *c = &gconns[i];

		if (c->used)
			continue;
		free(c->rx);
		memset(c, 0, sizeof(*c));
		c->used = true;
		c->gport = gport ? gport : next_gport++;
		c->dip = dip;
		c->dport = dport;
		c->iss = iss;
		c->snd_una = c->snd_nxt = iss;
		return c;
	}
	fail_msg("out of guest connections");
	return NULL;
}

/* Build a segment from the guest and hand it to the gateway as the switch would. */
static void guest_send(const struct gconn *c, uint32_t seq, uint32_t ack, uint8_t flags,
		       const uint8_t *data, size_t len)
{
	static uint8_t seg[65536], frame[65536 + 64];
	size_t hl = flags & TCPF_SYN ? TCP_HLEN_MIN + 4 : TCP_HLEN_MIN;
	int n;

	assert_true(hl + len <= sizeof(seg));
	wr16(seg, c->gport);
	wr16(seg + 2, c->dport);
	wr32be(seg + 4, seq);
	wr32be(seg + 8, ack);
	seg[12] = (uint8_t)(hl / 4 << 4);
	seg[13] = flags;
	wr16(seg + 14, GUEST_WND);
	wr16(seg + 16, 0);
	wr16(seg + 18, 0);
	if (flags & TCPF_SYN) {
		seg[20] = 2; /* MSS */
		seg[21] = 4;
		wr16(seg + 22, GUEST_MSS);
	}
	if (len)
		memcpy(seg + hl, data, len);
	wr16(seg + 16, (uint16_t)~ref_add(seg, hl + len, pseudo_sum(guest_ip, c->dip, hl + len)));
	n = net_build_ipv4(frame, sizeof(frame), gw_mac, guest_mac, IPPROTO_TCP_, guest_ip, c->dip,
			   seg, hl + len);
	assert_true(n > 0);
	gateway_input(frame, (size_t)n);
}

static void gconn_syn(struct gconn *c)
{
	guest_send(c, c->iss, 0, TCPF_SYN, NULL, 0);
	c->snd_nxt = c->iss + 1;
}

static void gconn_ack(struct gconn *c)
{
	guest_send(c, c->snd_nxt, c->rcv_nxt, TCPF_ACK, NULL, 0);
}

static void gconn_data(struct gconn *c, const uint8_t *data, size_t len)
{
	guest_send(c, c->snd_nxt, c->rcv_nxt, TCPF_ACK | TCPF_PSH, data, len);
	c->snd_nxt += (uint32_t)len;
}

static void gconn_fin(struct gconn *c)
{
	guest_send(c, c->snd_nxt, c->rcv_nxt, TCPF_ACK | TCPF_FIN, NULL, 0);
	c->snd_nxt++;
}

static void gconn_rst(struct gconn *c)
{
	guest_send(c, c->snd_nxt, 0, TCPF_RST, NULL, 0);
}

static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static void gconn_rx(struct gconn *c, const struct seg *s)
{
	bool ack_it = false;

	c->segs++;
	if (s->flags & TCPF_RST) {
		c->rst = true;
		c->rst_seq = s->seq;
		c->rst_ack = s->ack;
		c->rst_flags = s->flags;
		return;
	}
	if (s->flags & TCPF_SYN) {
		c->synacks++;
		c->synack_ack = s->ack;
		c->synack_flags = s->flags;
		if ((s->flags & TCPF_ACK) && s->ack == c->iss + 1) {
			c->rcv_nxt = s->seq + 1;
			c->snd_una = s->ack;
			c->wnd = s->win;
		}
		return;
	}
	if (s->flags & TCPF_ACK) {
		if (seq_after(s->ack, c->snd_una) && !seq_after(s->ack, c->snd_nxt))
			c->snd_una = s->ack;
		c->wnd = s->win;
	}
	if (s->plen) {
		if (s->seq == c->rcv_nxt) {
			if (c->rx_len + s->plen > c->rx_cap) {
				while (c->rx_len + s->plen > c->rx_cap)
					c->rx_cap = c->rx_cap ? 2 * c->rx_cap : 65536;
				c->rx = realloc(c->rx, c->rx_cap);
				assert_non_null(c->rx);
			}
			memcpy(c->rx + c->rx_len, s->payload, s->plen);
			c->rx_len += s->plen;
			c->rcv_nxt += (uint32_t)s->plen;
		}
		if (s->plen > c->max_plen)
			c->max_plen = s->plen;
		ack_it = true;
	}
	if (s->flags & TCPF_FIN) {
		if (!c->fin && s->seq + (uint32_t)s->plen == c->rcv_nxt) {
			c->fin = true;
			c->rcv_nxt++;
		}
		ack_it = true;
	}
	if (ack_it)
		gconn_ack(c);
}

/* Check one captured frame as the guest's kernel would, and view it. */
static void seg_parse(const uint8_t *f, size_t len, struct seg *s)
{
	const uint8_t *ip = f + ETH_HLEN_, *tcp;
	size_t ihl, tot, tlen, doff;

	assert_memory_equal(f, guest_mac, 6);
	assert_memory_equal(f + 6, gw_mac, 6);
	assert_int_equal(ip[0] >> 4, 4);
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = rd16(ip + 2);
	assert_true(ihl >= IPV4_HLEN_MIN && tot >= ihl + TCP_HLEN_MIN && tot <= len - ETH_HLEN_);
	memcpy(&s->src, ip + 12, 4);
	memcpy(&s->dst, ip + 16, 4);
	tcp = ip + ihl;
	tlen = tot - ihl;
	s->sport = rd16(tcp);
	s->dport = rd16(tcp + 2);
	s->seq = rd32be(tcp + 4);
	s->ack = rd32be(tcp + 8);
	s->flags = tcp[13];
	s->win = rd16(tcp + 14);
	doff = (size_t)(tcp[12] >> 4) * 4;
	assert_true(doff >= TCP_HLEN_MIN && doff <= tlen);
	s->payload = tcp + doff;
	s->plen = tlen - doff;
	if (ref_add(ip, ihl, 0) != 0xffff)
		fail_msg("bad IPv4 header checksum on %u -> %u flags %#x", s->sport, s->dport,
			 s->flags);
	if (ref_add(tcp, tlen, pseudo_sum(s->src, s->dst, tlen)) != 0xffff)
		fail_msg("bad TCP checksum on %u -> %u flags %#x", s->sport, s->dport, s->flags);
}

/* Hand every captured frame to the guest connection it is addressed to. */
static void guest_process(void)
{
	/* Acknowledgements sent from here may make lwIP send more: index, not pointer. */
	for (size_t i = 0; i < nframes; i++) {
		struct frame fr = frames[i];
		struct gconn *c = NULL;
		struct seg s;

		seg_parse(fr.data, fr.len, &s);
		for (unsigned k = 0; k < GCONNS_MAX && !c; k++) {
			struct gconn *g = &gconns[k];

			if (g->used && s.dst == guest_ip && s.dport == g->gport &&
			    s.src == g->dip && s.sport == g->dport)
				c = g;
		}
		if (c) {
			gconn_rx(c, &s);
		} else {
			char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];

			strays++;
			snprintf(stray_desc, sizeof(stray_desc),
				 "%s:%u -> %s:%u flags %#x seq %u ack %u len %zu", ipstr(s.src, a),
				 s.sport, ipstr(s.dst, b), s.dport, s.flags, s.seq, s.ack, s.plen);
		}
	}
	frames_clear();
}

static void assert_no_strays(void)
{
	if (strays)
		fail_msg("%u frame(s) to the guest matched no connection, last: %s", strays,
			 stray_desc);
}

/* lwIP resolves the guest before its first segment: answer as the guest. */
static void answer_arp(void)
{
	uint8_t f[ETH_HLEN_ + 28];
	uint8_t *a = f + ETH_HLEN_;

	if (!arp_wanted)
		return;
	arp_wanted = false;
	memcpy(f, gw_mac, 6);
	memcpy(f + 6, guest_mac, 6);
	wr16(f + 12, ETHERTYPE_ARP);
	wr16(a, 1);
	wr16(a + 2, ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, 2);
	memcpy(a + 8, guest_mac, 6);
	memcpy(a + 14, &guest_ip, 4);
	memcpy(a + 18, gw_mac, 6);
	memcpy(a + 24, &gw_ip, 4);
	gateway_input(f, sizeof(f));
}

/* --- the host's side ------------------------------------------------------------- */

struct hconn {
	bool used;
	int fd;
	uint8_t *rx;
	size_t rx_len, rx_cap;
	bool eof;
	int err; /* errno of a failed read */
};

static struct hconn hconns[HCONNS_MAX];
static int listeners[LISTENERS_MAX];
static unsigned nlisteners;

static void host_drain(struct hconn *h)
{
	uint8_t buf[65536];

	while (h->fd >= 0 && !h->eof && !h->err) {
		ssize_t n = recv(h->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0) {
			h->eof = true;
		} else if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				h->err = errno;
			if (errno != EINTR)
				return;
		} else {
			if (h->rx_len + (size_t)n > h->rx_cap) {
				while (h->rx_len + (size_t)n > h->rx_cap)
					h->rx_cap = h->rx_cap ? 2 * h->rx_cap : 65536;
				h->rx = realloc(h->rx, h->rx_cap);
				assert_non_null(h->rx);
			}
			memcpy(h->rx + h->rx_len, buf, (size_t)n);
			h->rx_len += (size_t)n;
		}
	}
}

/* A listening socket on 127.0.0.1, port chosen by the kernel. */
static int host_listen(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(nlisteners < LISTENERS_MAX);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	*port = ntohs(sa.sin_port);
	listeners[nlisteners++] = fd;
	return fd;
}

/* A 127.0.0.1 port nobody listens on (bound once, then released). */
static uint16_t host_closed_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* --- the loop ---------------------------------------------------------------------- */

static void dispatch(struct loop_ref *ref, uint32_t events)
{
	switch (ref->kind) {
	case REF_TCP_FLOW:
		tcp_flow_handle(ref, events);
		break;
	case REF_SIGNAL:
		while (loop_signal_read(&vg->loop) > 0)
			;
		break;
	default:
		break;
	}
}

static void idle_once(void)
{
	vgate_lwip_poll();
	tcp_flow_flush();
	loop_quit(&vg->loop, 0);
}

static int short_timeout(void)
{
	int t = vgate_lwip_timeout();

	return t < 0 || t > PUMP_WAIT_MS ? PUMP_WAIT_MS : t;
}

/* One loop iteration as the daemon runs it, then the guest and the host react. */
static void pump(void)
{
	vg->loop.stop = false;
	loop_run(&vg->loop, dispatch, idle_once, short_timeout);
	answer_arp();
	guest_process();
	tcp_flow_flush();
	for (unsigned i = 0; i < HCONNS_MAX; i++)
		if (hconns[i].used)
			host_drain(&hconns[i]);
}

#define PUMP_UNTIL(cond, ms)                                                                   \
	do {                                                                                   \
		uint64_t until_ = now_ms() + (ms);                                             \
		while (!(cond)) {                                                              \
			if (now_ms() > until_)                                                 \
				fail_msg("line %d: no \"%s\" within %d ms (flows %u, strays "  \
					 "%u%s%s)",                                            \
					 __LINE__, #cond, (int)(ms), tcp_flow_count(), strays, \
					 strays ? ": " : "", strays ? stray_desc : "");        \
			pump();                                                                \
		}                                                                              \
	} while (0)

/* Keep the loop turning for @ms. */
static void pump_for(unsigned ms)
{
	uint64_t until = now_ms() + ms;

	while (now_ms() < until)
		pump();
}

static struct hconn *host_accept(int lfd)
{
	struct hconn *h = NULL;
	int fd = -1;

	for (unsigned i = 0; i < HCONNS_MAX && !h; i++)
		if (!hconns[i].used)
			h = &hconns[i];
	assert_non_null(h);
	PUMP_UNTIL((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0, WAIT_MS);
	memset(h, 0, sizeof(*h));
	h->used = true;
	h->fd = fd;
	return h;
}

/* Write all of @buf to the host socket, letting the loop run when it is full. */
static void host_send_all(struct hconn *h, const uint8_t *buf, size_t len)
{
	uint64_t until = now_ms() + WAIT_MS;
	size_t off = 0;

	while (off < len) {
		ssize_t n = send(h->fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail_msg("host send: %s", strerror(errno));
		if (now_ms() > until)
			fail_msg("host send: stuck at %zu of %zu bytes", off, len);
		pump();
	}
}

/* Send @buf from the guest in MSS-sized segments within lwIP's window. */
static void guest_send_all(struct gconn *c, const uint8_t *buf, size_t len)
{
	uint64_t until = now_ms() + WAIT_MS;
	size_t off = 0;

	while (off < len) {
		uint32_t inflight = c->snd_nxt - c->snd_una;
		size_t room = c->wnd > inflight ? c->wnd - inflight : 0;
		size_t n = MIN(MIN(room, (size_t)GUEST_MSS), len - off);

		if (now_ms() > until)
			fail_msg("guest send: stuck at %zu of %zu bytes (window %u, in flight %u)",
				 off, len, c->wnd, inflight);
		if (!n) {
			pump();
			continue;
		}
		gconn_data(c, buf + off, n);
		off += n;
	}
}

/* SYN, SYN-ACK, ACK, and the host side accepted. */
static struct hconn *establish(struct gconn *c, int lfd)
{
	struct hconn *h;

	gconn_syn(c);
	PUMP_UNTIL(c->synacks > 0, WAIT_MS);
	assert_int_equal(c->synack_flags, TCPF_SYN | TCPF_ACK);
	assert_int_equal(c->synack_ack, c->iss + 1);
	gconn_ack(c);
	h = host_accept(lfd);
	pump();
	return h;
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 9) * 13 + seed * 101);
}

/* Local ports of the PCBs in lwIP's @list that talk to the guest's @gport. */
static unsigned lwip_ports_for(struct tcp_pcb *list, uint16_t gport, uint16_t *out, unsigned max)
{
	unsigned n = 0;

	for (struct tcp_pcb *p = list; p; p = p->next)
		if (p->remote_port == gport && ip4_addr_get_u32(ip_2_ip4(&p->local_ip)) == gw_ip &&
		    n < max)
			out[n++] = p->local_port;
	return n;
}

/* --- set-up ------------------------------------------------------------------------ */

static int harness_up(unsigned flows_max, const char *flag, const char *value)
{
	char *argv[4] = { "vgate", NULL, NULL, NULL };
	int argc = 1;
	uint8_t f[ETH_HLEN_ + 28] = { 0 };
	uint8_t *a = f + ETH_HLEN_;

	if (flag) {
		argv[argc++] = (char *)flag;
		argv[argc++] = (char *)value;
	}
	gw_ip = ip4("192.168.127.1");
	guest_ip = ip4("192.168.127.2");
	alias_ip = ip4("192.168.127.254");
	vg = calloc(1, sizeof(*vg));
	assert_non_null(vg);
	assert_int_equal(options_parse(&opts, argc, argv), 0);
	assert_int_equal(config_build(&vg->cfg, &opts), 0);
	vg->opt = &opts;
	assert_int_equal(vg->cfg.gateway_ip, gw_ip);
	assert_memory_equal(vg->cfg.gateway_mac, gw_mac, 6);
	assert_int_equal(egress_translate(&vg->cfg.egress, alias_ip), htonl(INADDR_LOOPBACK));
	assert_int_equal(loop_init(&vg->loop), 0);
	switch_init(&vg->sw, vg->cfg.gateway_mac, capture_deliver, NULL, NULL);
	switch_port_add_gateway(&vg->sw);
	guest_port = switch_port_add(&vg->sw);
	assert_true(guest_port > 0);
	assert_int_equal(gateway_init(flows_max), 0);
	/* The switch learns where the guest is from its ARP for the gateway. */
	memcpy(f, bcast, 6);
	memcpy(f + 6, guest_mac, 6);
	wr16(f + 12, ETHERTYPE_ARP);
	wr16(a, 1);
	wr16(a + 2, ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, 1);
	memcpy(a + 8, guest_mac, 6);
	memcpy(a + 14, &guest_ip, 4);
	memcpy(a + 24, &gw_ip, 4);
	switch_input(&vg->sw, (unsigned)guest_port, f, sizeof(f), now_ms());
	assert_int_equal(switch_lookup(&vg->sw, guest_mac), guest_port);
	frames_clear();
	arp_requests = 0;
	arp_wanted = false;
	strays = 0;
	stray_desc[0] = '\0';
	memset(&tcp_flow_stats, 0, sizeof(tcp_flow_stats));
	memset(gconns, 0, sizeof(gconns));
	memset(hconns, 0, sizeof(hconns));
	nlisteners = 0;
	assert_int_equal(tcp_flow_count(), 0);
	assert_int_equal(tcp_flow_cap(), flows_max);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return harness_up(64, NULL, NULL);
}

static int setup_capped(void **state)
{
	(void)state;
	return harness_up(3, NULL, NULL);
}

static int setup_deny_loopback(void **state)
{
	(void)state;
	return harness_up(64, "--egress-deny", "127.0.0.1/32");
}

static int teardown(void **state)
{
	(void)state;
	gateway_fini();
	loop_run_graveyard(&vg->loop);
	for (unsigned i = 0; i < HCONNS_MAX; i++) {
		if (hconns[i].used && hconns[i].fd >= 0)
			close(hconns[i].fd);
		free(hconns[i].rx);
	}
	memset(hconns, 0, sizeof(hconns));
	for (unsigned i = 0; i < GCONNS_MAX; i++)
		free(gconns[i].rx);
	memset(gconns, 0, sizeof(gconns));
	for (unsigned i = 0; i < nlisteners; i++)
		close(listeners[i]);
	nlisteners = 0;
	loop_fini(&vg->loop);
	config_free(&vg->cfg);
	free(vg);
	vg = NULL;
	frames_clear();
	free(frames);
	frames = NULL;
	frames_cap = 0;
	return 0;
}

/* --- scenarios --------------------------------------------------------------------- */

/*
 * The SYN is held (retransmission absorbed) until the host connect is done;
 * then lwIP's SYN-ACK reaches the guest from the address it dialled.
 */
static void test_syn_to_listening_port(void **state)
{
	struct gconn *c;
	struct hconn *h;
	uint16_t port;
	int lfd;

	(void)state;
	lfd = host_listen(&port);
	c = gconn_new(alias_ip, port, 0, 0x12345678);
	gconn_syn(c);
	gconn_syn(c); /* retransmitted while connecting */
	guest_process();
	assert_int_equal(c->segs, 0);
	assert_int_equal(arp_requests, 0);
	assert_int_equal(tcp_flow_count(), 1);
	assert_int_equal(tcp_flow_stats.opened, 1);
	PUMP_UNTIL(c->synacks > 0, WAIT_MS);
	assert_no_strays();
	assert_int_equal(c->synack_flags, TCPF_SYN | TCPF_ACK);
	assert_int_equal(c->synack_ack, 0x12345679);
	assert_true(c->wnd > 0);
	h = host_accept(lfd);
	assert_false(h->eof);
	pump_for(50);
	assert_int_equal(c->synacks, 1);
	assert_int_equal(tcp_flow_count(), 1);
	assert_int_equal(tcp_flow_stats.opened, 1);
	gconn_ack(c);
	pump_for(20);
	assert_false(c->rst);
	assert_int_equal(tcp_flow_count(), 1);
	assert_no_strays();
}

/* Bytes both ways, byte-exact, within the windows each side announces. */
static void test_relay_both_ways(void **state)
{
	uint8_t *up = malloc(BULK_LEN), *down = malloc(BULK_LEN);
	struct gconn *c;
	struct hconn *h;
	uint16_t port;
	int lfd;

	(void)state;
	assert_non_null(up);
	assert_non_null(down);
	fill(up, BULK_LEN, 1);
	fill(down, BULK_LEN, 2);
	lfd = host_listen(&port);
	c = gconn_new(alias_ip, port, 0, 0x80000000u - 3000); /* sequence numbers cross 2^31 */
	h = establish(c, lfd);
	guest_send_all(c, up, BULK_LEN);
	PUMP_UNTIL(h->rx_len >= BULK_LEN, WAIT_MS);
	assert_int_equal(h->rx_len, BULK_LEN);
	assert_memory_equal(h->rx, up, BULK_LEN);
	PUMP_UNTIL(c->snd_una == c->snd_nxt, WAIT_MS);
	host_send_all(h, down, BULK_LEN);
	PUMP_UNTIL(c->rx_len >= BULK_LEN, WAIT_MS);
	assert_int_equal(c->rx_len, BULK_LEN);
	assert_memory_equal(c->rx, down, BULK_LEN);
	assert_true(c->max_plen <= GUEST_MSS);
	assert_false(c->rst);
	assert_false(c->fin);
	assert_false(h->eof);
	assert_int_equal(tcp_flow_stats.to_host_bytes, BULK_LEN);
	assert_int_equal(tcp_flow_stats.to_guest_bytes, BULK_LEN);
	assert_int_equal(tcp_flow_count(), 1);
	assert_no_strays();
	free(up);
	free(down);
}

/*
 * Guest FIN first: the host reads EOF and may still send; its close then
 * reaches the guest as FIN, and once that is acknowledged the flow goes.
 */
static void test_half_close_guest_first(void **state)
{
	static const char hello[] = "hello from the guest";
	uint8_t late[20000];
	struct gconn *c;
	struct hconn *h;
	uint16_t port;
	int lfd;

	(void)state;
	fill(late, sizeof(late), 3);
	lfd = host_listen(&port);
	c = gconn_new(alias_ip, port, 0, 7777);
	h = establish(c, lfd);
	gconn_data(c, (const uint8_t *)hello, sizeof(hello));
	gconn_fin(c);
	PUMP_UNTIL(h->eof || h->err, WAIT_MS);
	assert_int_equal(h->err, 0);
	assert_int_equal(h->rx_len, sizeof(hello));
	assert_memory_equal(h->rx, hello, sizeof(hello));
	PUMP_UNTIL(c->snd_una == c->snd_nxt, WAIT_MS); /* data and FIN acknowledged */
	/* half-closed: the host still talks */
	host_send_all(h, late, sizeof(late));
	PUMP_UNTIL(c->rx_len >= sizeof(late), WAIT_MS);
	assert_int_equal(c->rx_len, sizeof(late));
	assert_memory_equal(c->rx, late, sizeof(late));
	assert_false(c->fin);
	assert_int_equal(tcp_flow_count(), 1);
	close(h->fd);
	h->fd = -1;
	PUMP_UNTIL(c->fin, WAIT_MS);
	assert_false(c->rst);
	/* the guest's ACK of that FIN went out from gconn_rx(); lwIP's PCB is done */
	PUMP_UNTIL(tcp_flow_count() == 0, 5000);
	assert_int_equal(tcp_flow_stats.closed, 1);
	assert_int_equal(tcp_flow_stats.resets_from_host, 0);
	assert_int_equal(tcp_flow_stats.resets_from_guest, 0);
	assert_false(c->rst);
	assert_no_strays();
}

/*
 * Host EOF first: the guest gets FIN and may still send. lwIP closed first,
 * so its PCB waits in TIME_WAIT and the mapping stays until that ends (a
 * wait of 2 * TCP_MSL, checked only where the MSL is short).
 */
static void test_half_close_host_first(void **state)
{
	uint8_t late[30000];
	struct gconn *c;
	struct hconn *h;
	uint16_t port, mport;
	int lfd;

	(void)state;
	fill(late, sizeof(late), 4);
	lfd = host_listen(&port);
	c = gconn_new(alias_ip, port, 0, 0xfffff000u); /* wraps past 2^32 */
	h = establish(c, lfd);
	assert_int_equal(shutdown(h->fd, SHUT_WR), 0);
	PUMP_UNTIL(c->fin, WAIT_MS);
	assert_false(h->eof);
	guest_send_all(c, late, sizeof(late));
	PUMP_UNTIL(h->rx_len >= sizeof(late), WAIT_MS);
	assert_int_equal(h->rx_len, sizeof(late));
	assert_memory_equal(h->rx, late, sizeof(late));
	assert_false(h->eof);
	gconn_fin(c);
	PUMP_UNTIL(h->eof || h->err, WAIT_MS);
	assert_int_equal(h->err, 0);
	PUMP_UNTIL(c->snd_una == c->snd_nxt, WAIT_MS);
	assert_false(c->rst);
	assert_int_equal(tcp_flow_stats.resets_from_host, 0);
	assert_int_equal(tcp_flow_stats.resets_from_guest, 0);
	/* lwIP closed first: its PCB is in TIME_WAIT and the mapping stays */
	pump_for(20);
	assert_int_equal(lwip_ports_for(tcp_tw_pcbs, c->gport, &mport, 1), 1);
	assert_true(mport >= TCP_FLOW_PORT_MIN);
	assert_int_equal(tcp_flow_count(), 1);
	if (strcmp(vgate_lwip_flavour(), "system") != 0) {
		/* tuned build: TIME_WAIT lasts 2 * TCP_MSL, then the sweep frees the flow */
		PUMP_UNTIL(tcp_flow_count() == 0, 2 * TCP_MSL + 2000);
		assert_int_equal(lwip_ports_for(tcp_tw_pcbs, c->gport, &mport, 1), 0);
		assert_int_equal(tcp_flow_stats.closed, 1);
	}
	assert_no_strays();
}

/*
 * The guest reuses a tuple whose mapping lwIP still holds in TIME_WAIT: the
 * old mapping is dropped and the new connection gets a port of its own.
 */
static void test_time_wait_tuple_reuse(void **state)
{
	static const char again[] = "second connection, same tuple";
	struct gconn *c, *c2;
	struct hconn *h, *h2;
	uint16_t port, gport, old_port, new_port;
	int lfd;

	(void)state;
	lfd = host_listen(&port);
	c = gconn_new(alias_ip, port, 0, 5555);
	gport = c->gport;
	h = establish(c, lfd);
	assert_int_equal(shutdown(h->fd, SHUT_WR), 0);
	PUMP_UNTIL(c->fin, WAIT_MS);
	gconn_fin(c);
	PUMP_UNTIL(h->eof && c->snd_una == c->snd_nxt, WAIT_MS);
	pump_for(20);
	assert_int_equal(lwip_ports_for(tcp_tw_pcbs, gport, &old_port, 1), 1);
	assert_int_equal(tcp_flow_count(), 1);
	c->used = false; /* the guest forgot it: the tuple is free on its side */
	c2 = gconn_new(alias_ip, port, gport, 0x40000000u);
	h2 = establish(c2, lfd);
	/* The old mapping lives on until lwIP drops its TIME_WAIT PCB. */
	assert_int_equal(tcp_flow_count(), 2);
	assert_int_equal(tcp_flow_stats.opened, 2);
	gconn_data(c2, (const uint8_t *)again, sizeof(again));
	PUMP_UNTIL(h2->rx_len >= sizeof(again), WAIT_MS);
	assert_int_equal(h2->rx_len, sizeof(again));
	assert_memory_equal(h2->rx, again, sizeof(again));
	assert_int_equal(lwip_ports_for(tcp_active_pcbs, gport, &new_port, 1), 1);
	assert_int_not_equal(new_port, old_port);
	assert_false(c2->rst);
	assert_no_strays();
}

/* Nobody listens: RST|ACK acknowledging the SYN, and no flow left. */
static void test_syn_to_closed_port(void **state)
{
	struct gconn *c;

	(void)state;
	c = gconn_new(alias_ip, host_closed_port(), 0, 0xffffffffu);
	gconn_syn(c);
	PUMP_UNTIL(c->rst, WAIT_MS);
	assert_int_equal(c->rst_flags, TCPF_RST | TCPF_ACK);
	assert_int_equal(c->rst_seq, 0);
	assert_int_equal(c->rst_ack, 0); /* ISN + 1, modulo 2^32 */
	assert_int_equal(c->synacks, 0);
	assert_int_equal(tcp_flow_stats.refused_host, 1);
	assert_int_equal(tcp_flow_count(), 0);
	pump_for(20);
	assert_int_equal(c->segs, 1);
	assert_no_strays();
}

/* Link-local (the metadata service) is refused without asking the host. */
static void test_policy_link_local(void **state)
{
	struct gconn *c;

	(void)state;
	c = gconn_new(ip4("169.254.169.254"), 80, 0, 1000);
	gconn_syn(c);
	guest_process(); /* answered at once, no loop iteration needed */
	assert_true(c->rst);
	assert_int_equal(c->rst_flags, TCPF_RST | TCPF_ACK);
	assert_int_equal(c->rst_ack, 1001);
	assert_int_equal(tcp_flow_stats.refused_policy, 1);
	assert_int_equal(tcp_flow_stats.opened, 0);
	assert_int_equal(tcp_flow_count(), 0);
	assert_no_strays();
}

/* --egress-deny 127.0.0.1/32: the host alias is refused after translation. */
static void test_policy_deny_loopback(void **state)
{
	struct gconn *c;
	uint16_t port;
	int lfd, fd;

	(void)state;
	lfd = host_listen(&port);
	c = gconn_new(alias_ip, port, 0, 5000);
	gconn_syn(c);
	guest_process();
	assert_true(c->rst);
	assert_int_equal(c->rst_flags, TCPF_RST | TCPF_ACK);
	assert_int_equal(c->rst_ack, 5001);
	assert_int_equal(tcp_flow_stats.refused_policy, 1);
	assert_int_equal(tcp_flow_stats.opened, 0);
	assert_int_equal(tcp_flow_count(), 0);
	pump_for(50);
	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	assert_int_equal(fd, -1); /* nothing reached the host */
	assert_int_equal(errno, EAGAIN);
	assert_no_strays();
}

/* gateway_init(3): a fourth SYN is refused and counted; a freed slot is reused. */
static void test_flow_cap(void **state)
{
	struct gconn *c[3], *extra, *late;
	uint16_t port;
	int lfd;

	(void)state;
	lfd = host_listen(&port);
	for (unsigned i = 0; i < 3; i++) {
		c[i] = gconn_new(alias_ip, port, 0, 100000 * (i + 1));
		establish(c[i], lfd);
	}
	pump_for(20);
	assert_int_equal(tcp_flow_count(), 3);
	extra = gconn_new(alias_ip, port, 0, 42);
	gconn_syn(extra);
	guest_process();
	assert_true(extra->rst);
	assert_int_equal(extra->rst_flags, TCPF_RST | TCPF_ACK);
	assert_int_equal(extra->rst_ack, 43);
	assert_int_equal(tcp_flow_stats.capped, 1);
	assert_int_equal(tcp_flow_stats.opened, 3);
	assert_int_equal(tcp_flow_count(), 3);
	/* one flow ends (guest RST): its slot serves a new SYN */
	gconn_rst(c[0]);
	PUMP_UNTIL(tcp_flow_count() == 2, WAIT_MS);
	late = gconn_new(alias_ip, port, 0, 9000);
	gconn_syn(late);
	assert_int_equal(tcp_flow_count(), 3);
	PUMP_UNTIL(late->synacks > 0, WAIT_MS);
	assert_false(late->rst);
	assert_int_equal(tcp_flow_stats.capped, 1);
	assert_int_equal(tcp_flow_stats.opened, 4);
	assert_false(c[1]->rst);
	assert_false(c[2]->rst);
	assert_no_strays();
}

/*
 * Several SYNs before lwIP knows the guest's MAC (a guest opening parallel
 * connections right after boot): every one is answered promptly, not only
 * the one whose SYN-ACK waited for the ARP reply.
 */
static void test_parallel_syns_before_arp(void **state)
{
	struct gconn *c[3];
	uint64_t until;
	uint16_t port;
	unsigned got = 0;

	(void)state;
	host_listen(&port);
	for (unsigned i = 0; i < 3; i++) {
		c[i] = gconn_new(alias_ip, port, 0, 300000 * (i + 1));
		gconn_syn(c[i]);
	}
	until = now_ms() + 1000;
	while (now_ms() < until && got < 3) {
		pump();
		got = !!c[0]->synacks + !!c[1]->synacks + !!c[2]->synacks;
	}
	if (got < 3)
		fail_msg("only %u of 3 parallel SYNs answered within 1 s (lwIP ARP requests: %u)",
			 got, arp_requests);
	assert_no_strays();
}

/* A segment of no known flow: RST taking its sequence number from the ACK. */
static void test_unknown_flow(void **state)
{
	static const uint8_t data[] = "stale";
	struct gconn *c;

	(void)state;
	c = gconn_new(alias_ip, 443, 0, 5000);
	guest_send(c, 5001, 0xdeadbeefu, TCPF_ACK, NULL, 0);
	guest_process();
	assert_true(c->rst);
	assert_int_equal(c->rst_flags, TCPF_RST);
	assert_int_equal(c->rst_seq, 0xdeadbeefu);
	assert_int_equal(tcp_flow_stats.unknown, 1);
	c->rst = false;
	guest_send(c, 5001, 0x01020304u, TCPF_ACK | TCPF_PSH, data, sizeof(data));
	guest_process();
	assert_true(c->rst);
	assert_int_equal(c->rst_flags, TCPF_RST);
	assert_int_equal(c->rst_seq, 0x01020304u);
	assert_int_equal(tcp_flow_stats.unknown, 2);
	/* a RST is never answered */
	c->rst = false;
	guest_send(c, 5001, 0, TCPF_RST, NULL, 0);
	guest_process();
	assert_false(c->rst);
	assert_int_equal(c->segs, 2);
	assert_int_equal(tcp_flow_stats.opened, 0);
	assert_int_equal(tcp_flow_count(), 0);
	assert_no_strays();
}

/* RST maps both ways and frees the flow at once. */
static void test_resets(void **state)
{
	struct gconn *c1, *c2;
	struct hconn *h1, *h2;
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	uint16_t port;
	int lfd;

	(void)state;
	lfd = host_listen(&port);
	/* guest RST -> the host connection is reset */
	c1 = gconn_new(alias_ip, port, 0, 11111);
	h1 = establish(c1, lfd);
	assert_int_equal(tcp_flow_count(), 1);
	gconn_rst(c1);
	PUMP_UNTIL(h1->eof || h1->err, WAIT_MS);
	assert_true(h1->err == ECONNRESET || h1->eof);
	PUMP_UNTIL(tcp_flow_count() == 0, WAIT_MS);
	assert_int_equal(tcp_flow_stats.resets_from_guest, 1);
	/* host RST -> the guest gets RST from the address it dialled */
	c2 = gconn_new(alias_ip, port, 0, 22222);
	h2 = establish(c2, lfd);
	assert_int_equal(tcp_flow_count(), 1);
	assert_int_equal(setsockopt(h2->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(h2->fd);
	h2->fd = -1;
	PUMP_UNTIL(c2->rst, WAIT_MS);
	assert_true(c2->rst_flags & TCPF_RST);
	assert_int_equal(c2->rst_seq, c2->rcv_nxt);
	PUMP_UNTIL(tcp_flow_count() == 0, WAIT_MS);
	assert_int_equal(tcp_flow_stats.resets_from_host, 1);
	assert_false(c1->rst);
	assert_no_strays();
}

/*
 * One guest source port towards two destinations at once (Linux does
 * that): each flow gets its own mapped port and traffic never crosses.
 */
static void test_same_source_port_two_destinations(void **state)
{
	static const char to_a[] = "to A", to_b[] = "to B, a bit longer";
	static const char from_a[] = "from A", from_b[] = "from B!";
	struct gconn *a, *b;
	struct hconn *ha, *hb;
	uint16_t pa, pb, gport = next_gport++, mapped[4];
	int la, lb;

	(void)state;
	la = host_listen(&pa);
	lb = host_listen(&pb);
	a = gconn_new(alias_ip, pa, gport, 1000);
	b = gconn_new(alias_ip, pb, gport, 2000000);
	gconn_syn(a);
	gconn_syn(b);
	assert_int_equal(tcp_flow_count(), 2);
	PUMP_UNTIL(a->synacks && b->synacks, WAIT_MS);
	assert_int_equal(a->synack_ack, 1001);
	assert_int_equal(b->synack_ack, 2000001);
	gconn_ack(a);
	gconn_ack(b);
	ha = host_accept(la);
	hb = host_accept(lb);
	gconn_data(a, (const uint8_t *)to_a, sizeof(to_a));
	gconn_data(b, (const uint8_t *)to_b, sizeof(to_b));
	host_send_all(ha, (const uint8_t *)from_a, sizeof(from_a));
	host_send_all(hb, (const uint8_t *)from_b, sizeof(from_b));
	PUMP_UNTIL(ha->rx_len >= sizeof(to_a) && hb->rx_len >= sizeof(to_b) &&
			   a->rx_len >= sizeof(from_a) && b->rx_len >= sizeof(from_b),
		   WAIT_MS);
	pump_for(20);
	assert_int_equal(ha->rx_len, sizeof(to_a));
	assert_memory_equal(ha->rx, to_a, sizeof(to_a));
	assert_int_equal(hb->rx_len, sizeof(to_b));
	assert_memory_equal(hb->rx, to_b, sizeof(to_b));
	assert_int_equal(a->rx_len, sizeof(from_a));
	assert_memory_equal(a->rx, from_a, sizeof(from_a));
	assert_int_equal(b->rx_len, sizeof(from_b));
	assert_memory_equal(b->rx, from_b, sizeof(from_b));
	/* two lwIP connections to the guest's one port, on two mapped ports */
	assert_int_equal(lwip_ports_for(tcp_active_pcbs, gport, mapped, 4), 2);
	assert_int_not_equal(mapped[0], mapped[1]);
	for (unsigned i = 0; i < 2; i++)
		assert_true(mapped[i] >= TCP_FLOW_PORT_MIN);
	assert_int_equal(tcp_flow_count(), 2);
	assert_false(a->rst);
	assert_false(b->rst);
	assert_no_strays();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_syn_to_listening_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relay_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close_guest_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_half_close_host_first, setup, teardown),
		cmocka_unit_test_setup_teardown(test_time_wait_tuple_reuse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syn_to_closed_port, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_link_local, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_deny_loopback, setup_deny_loopback,
						teardown),
		cmocka_unit_test_setup_teardown(test_flow_cap, setup_capped, teardown),
		cmocka_unit_test_setup_teardown(test_parallel_syns_before_arp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_flow, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_source_port_two_destinations, setup,
						teardown),
	};

	/* One lwIP lifetime for the run: lwip_init() is not meant to be repeated. */
	vgate_lwip_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
