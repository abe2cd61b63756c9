// SPDX-License-Identifier: MIT
/*
 * dns_server.c - the gateway's DNS server: local zones, then upstream resolvers
 *
 * Queries arrive over UDP (raw frames to gateway:53) and over TCP (an lwIP
 * listener on gateway:53, two-byte length prefix per message). Each query
 * is parsed once: a malformed one gets FORMERR, an opcode other than QUERY
 * NOTIMP. Names in a local zone are answered here (authoritative, TTL 0);
 * everything else is forwarded verbatim to the upstream resolvers.
 *
 * Forwarding keeps one slot per query in flight (at most DNS_PENDING_MAX;
 * beyond that the guest gets SERVFAIL at once). A slot replaces the query
 * id by a random one and opens a fresh socket per attempt, so the source
 * port is random too; UDP queries go upstream over UDP, TCP queries over
 * TCP. An attempt ends with an answer whose id and question match, with a
 * refusal, or after DNS_UPSTREAM_TIMEOUT_MS; then the next server is tried,
 * DNS_ATTEMPTS_MAX attempts in all, and when every attempt failed the guest
 * gets SERVFAIL (never a made-up NXDOMAIN). Answers are relayed as they
 * came, TTLs, types and TC bit included; a UDP answer too big for the link
 * goes back as a truncated (TC) header and question so the guest retries
 * over TCP.
 *
 * Guest TCP connections are bounded (DNS_TCP_CONNS_MAX), serve one query at
 * a time (further bytes wait in lwIP's window) and are closed after
 * DNS_TCP_IDLE_MS without a query.
 */
#include "dns_server.h"

#include "config.h"
#include "dns_wire.h"
#include "dns_zone.h"
#include "gateway.h"
#include "log.h"
#include "resolv.h"
#include "sock.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lwip_inc.h"

#define COMP "dns"
#define DNS_PENDING_MAX 256
#define DNS_UPSTREAM_TIMEOUT_MS 2000
#define DNS_ATTEMPTS_MAX 4
#define DNS_TCP_CONNS_MAX 64
#define DNS_TCP_IDLE_MS 10000
#define DNS_PORT 53

struct dns_server_stats dns_server_stats;

struct dns_tcp_conn;

struct dns_pending {
	struct loop_ref ref;
	struct loop_timer timer;
	bool used;
	bool tcp; /* upstream over TCP (and the guest is on TCP) */
	int fd;
	uint16_t orig_id, up_id;
	uint8_t *query; /* with up_id; TCP: preceded by its 2-byte length */
	size_t qlen;	/* DNS message length (without the TCP prefix) */
	size_t qend;	/* end of the question */
	struct sockaddr_storage servers[CONFIG_UPSTREAMS_MAX];
	unsigned nservers, attempt;
	/* TCP upstream I/O */
	bool connected;
	size_t sent;
	uint8_t lenbuf[2];
	uint8_t *resp;
	size_t have, need;
	/* where the answer goes */
	struct dns_tcp_conn *conn;
	uint8_t cmac[6];
	uint32_t cip;
	uint16_t cport;
};

struct dns_tcp_conn {
	struct tcp_pcb *pcb;
	struct dns_tcp_conn *next;
	struct loop_timer idle;
	struct pbuf *rx; /* unprocessed bytes */
	struct dns_pending *pending;
	bool failed; /* an answer could not be sent: close at the next safe point */
};

static struct dns_pending pending[DNS_PENDING_MAX];
static struct tcp_pcb *listener;
static struct dns_tcp_conn *conns;
static unsigned nconns;
static uint8_t msgbuf[DNS_MSG_MAX + 2];

/* --- answering the guest -------------------------------------------------- */

static void udp_reply(const uint8_t *mac, uint32_t ip, uint16_t port, const uint8_t *msg,
		      size_t len)
{
	static uint8_t frame[ETH_HLEN_ + IPV4_HLEN_MIN + UDP_HLEN + DNS_MSG_MAX];
	const struct vgate_config *c = &vg->cfg;
	int n = net_build_udp4(frame, sizeof(frame), mac, c->gateway_mac, c->gateway_ip, DNS_PORT,
			       ip, port, msg, len);

	if (n > 0)
		gateway_output(frame, (size_t)n);
}

static void conn_close(struct dns_tcp_conn *tc, bool abort_pcb);

static void tcp_reply(struct dns_tcp_conn *tc, const uint8_t *msg, size_t len)
{
	uint8_t pfx[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	if (!tc->pcb || tc->failed)
		return;
	if (tcp_sndbuf(tc->pcb) < len + 2 ||
	    tcp_write(tc->pcb, pfx, 2, TCP_WRITE_FLAG_COPY | TCP_WRITE_FLAG_MORE) != ERR_OK ||
	    tcp_write(tc->pcb, msg, (u16_t)len, TCP_WRITE_FLAG_COPY) != ERR_OK) {
		log_debug(COMP, "tcp: answer does not fit the send buffer; closing");
		tc->failed = true;
		return;
	}
	tcp_output(tc->pcb);
}

/* The answer to a query from a guest, by whichever way it came. */
struct dns_client {
	struct dns_tcp_conn *conn;
	const uint8_t *mac;
	uint32_t ip;
	uint16_t port;
};

static void answer(const struct dns_client *cl, const uint8_t *msg, size_t len)
{
	if (cl->conn)
		tcp_reply(cl->conn, msg, len);
	else
		udp_reply(cl->mac, cl->ip, cl->port, msg, len);
}

static void answer_error(const struct dns_client *cl, const uint8_t *query, size_t qlen,
			 const struct dns_question *q, uint8_t rcode)
{
	uint8_t out[DNS_UDP_MAX];
	int n = q ? dns_build_response(out, sizeof(out), query, q, rcode, false, NULL, 0)
		  : dns_build_error(out, sizeof(out), query, qlen, rcode);

	if (n < 0 && q)
		n = dns_build_error(out, sizeof(out), query, qlen, rcode);
	if (n > 0)
		answer(cl, out, (size_t)n);
}

/* --- upstream ------------------------------------------------------------- */

static unsigned upstream_list(struct sockaddr_storage *out)
{
	const struct vgate_config *c = &vg->cfg;
	const struct resolv_conf *rc;
	unsigned n;

	if (c->nupstreams) {
		memcpy(out, c->upstreams, c->nupstreams * sizeof(*out));
		return c->nupstreams;
	}
	rc = resolv_get(vg->opt->resolv_conf);
	n = MIN(rc->nns, (unsigned)CONFIG_UPSTREAMS_MAX);
	memcpy(out, rc->ns, n * sizeof(*out));
	return n;
}

static void pending_close_fd(struct dns_pending *p)
{
	if (p->fd >= 0) {
		loop_del(&vg->loop, p->fd);
		close(p->fd);
		p->fd = -1;
	}
}

static void pending_free(struct dns_pending *p)
{
	pending_close_fd(p);
	loop_timer_cancel(&vg->loop, &p->timer);
	if (p->conn)
		p->conn->pending = NULL;
	free(p->query);
	free(p->resp);
	memset(p, 0, sizeof(*p));
	p->fd = -1;
}

static void pending_client(const struct dns_pending *p, struct dns_client *cl)
{
	cl->conn = p->conn;
	cl->mac = p->cmac;
	cl->ip = p->cip;
	cl->port = p->cport;
}

static void conn_resume(struct dns_tcp_conn *tc);

static void pending_fail(struct dns_pending *p)
{
	struct dns_client cl;
	struct dns_tcp_conn *tc = p->conn;
	uint8_t *q = p->query + (p->tcp ? 2 : 0);

	dns_server_stats.servfail++;
	pending_client(p, &cl);
	/* The guest must see its own id. */
	q[0] = (uint8_t)(p->orig_id >> 8);
	q[1] = (uint8_t)p->orig_id;
	if (!p->tcp || tc) {
		struct dns_question qq;
		struct dns_header h;

		if (dns_parse_query(q, p->qlen, &h, &qq) == 0)
			answer_error(&cl, q, p->qlen, &qq, DNS_RCODE_SERVFAIL);
	}
	pending_free(p);
	if (tc)
		conn_resume(tc);
}

static void pending_deliver(struct dns_pending *p, uint8_t *resp, size_t len)
{
	struct dns_client cl;
	struct dns_tcp_conn *tc = p->conn;
	size_t room = (size_t)vg->cfg.mtu - IPV4_HLEN_MIN - UDP_HLEN;

	resp[0] = (uint8_t)(p->orig_id >> 8);
	resp[1] = (uint8_t)p->orig_id;
	dns_server_stats.upstream_answers++;
	pending_client(p, &cl);
	if (!p->tcp && len > room) {
		/* Too big for the link: header and question with TC set. */
		len = p->qend;
		resp[2] |= 0x02;
		memset(resp + 6, 0, 6);
		dns_server_stats.truncated++;
	}
	if (!p->tcp || tc)
		answer(&cl, resp, len);
	pending_free(p);
	if (tc)
		conn_resume(tc);
}

/* Does @resp answer our query (id and question bytes)? */
static bool response_matches(const struct dns_pending *p, const uint8_t *resp, size_t len)
{
	const uint8_t *q = p->query + (p->tcp ? 2 : 0);

	if (len < p->qend || len < DNS_HDR_LEN || !(resp[2] & 0x80))
		return false;
	if (((uint16_t)(resp[0] << 8 | resp[1])) != p->up_id)
		return false;
	if (rd16(resp + 4) != 1)
		return !(resp[3] & 0x0f) ? false : true; /* errors may omit the question */
	for (size_t i = DNS_HDR_LEN; i < p->qend; i++) {
		uint8_t a = resp[i], b = q[i];

		if (a >= 'A' && a <= 'Z')
			a = (uint8_t)(a + 32);
		if (b >= 'A' && b <= 'Z')
			b = (uint8_t)(b + 32);
		if (a != b)
			return false;
	}
	return true;
}

static void attempt_next(struct dns_pending *p);

static void attempt_timeout(struct loop_timer *t)
{
	struct dns_pending *p = container_of(t, struct dns_pending, timer);

	dns_server_stats.timeouts++;
	attempt_next(p);
}

static void attempt_start(struct dns_pending *p)
{
	const struct sockaddr_storage *sa = &p->servers[p->attempt % p->nservers];
	socklen_t salen = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						    : sizeof(struct sockaddr_in);
	uint32_t events = EPOLLIN;
	int fd;

	p->attempt++;
	fd = socket(sa->ss_family,
		    (p->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		attempt_next(p);
		return;
	}
	p->fd = fd;
	if (connect(fd, (const struct sockaddr *)sa, salen) < 0 && errno != EINPROGRESS) {
		attempt_next(p);
		return;
	}
	if (p->tcp) {
		p->connected = false;
		p->sent = 0;
		p->have = 0;
		p->need = 2;
		events = EPOLLOUT | EPOLLIN;
	} else if (send(fd, p->query, p->qlen, 0) < 0 && errno != EAGAIN) {
		attempt_next(p);
		return;
	}
	if (loop_add(&vg->loop, fd, events, &p->ref) < 0) {
		attempt_next(p);
		return;
	}
	loop_timer_arm(&vg->loop, &p->timer, DNS_UPSTREAM_TIMEOUT_MS);
}

static void attempt_next(struct dns_pending *p)
{
	pending_close_fd(p);
	loop_timer_cancel(&vg->loop, &p->timer);
	if (p->attempt >= DNS_ATTEMPTS_MAX || p->attempt >= MAX(p->nservers, 2u)) {
		pending_fail(p);
		return;
	}
	attempt_start(p);
}

static void upstream_udp_readable(struct dns_pending *p)
{
	for (int i = 0; i < 8; i++) {
		ssize_t n = recv(p->fd, msgbuf, DNS_MSG_MAX, 0);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			attempt_next(p); /* refused: try the next server now */
			return;
		}
		if (!response_matches(p, msgbuf, (size_t)n)) {
			dns_server_stats.upstream_garbage++;
			continue;
		}
		pending_deliver(p, msgbuf, (size_t)n);
		return;
	}
}

static void upstream_tcp_io(struct dns_pending *p, uint32_t events)
{
	if (!p->connected && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		if (sock_connect_result(p->fd) < 0) {
			attempt_next(p);
			return;
		}
		p->connected = true;
	}
	if (p->connected && p->sent < p->qlen + 2) {
		ssize_t n = send(p->fd, p->query + p->sent, p->qlen + 2 - p->sent, MSG_NOSIGNAL);

		if (n < 0 && errno != EAGAIN) {
			attempt_next(p);
			return;
		}
		if (n > 0)
			p->sent += (size_t)n;
		if (p->sent == p->qlen + 2)
			loop_mod(&vg->loop, p->fd, EPOLLIN, &p->ref);
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)) || !p->connected)
		return;
	for (;;) {
		uint8_t *dst = p->need == 2 && !p->resp ? p->lenbuf + p->have : p->resp + p->have;
		ssize_t n = recv(p->fd, dst, p->need - p->have, 0);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			attempt_next(p);
			return;
		}
		if (n < 0)
			return;
		p->have += (size_t)n;
		if (p->have < p->need)
			continue;
		if (!p->resp) {
			size_t len = (size_t)(p->lenbuf[0] << 8 | p->lenbuf[1]);

			if (len < DNS_HDR_LEN) {
				dns_server_stats.upstream_garbage++;
				attempt_next(p);
				return;
			}
			p->resp = malloc(len);
			if (!p->resp) {
				attempt_next(p);
				return;
			}
			p->need = len;
			p->have = 0;
			continue;
		}
		if (!response_matches(p, p->resp, p->need)) {
			dns_server_stats.upstream_garbage++;
			attempt_next(p);
			return;
		}
		pending_deliver(p, p->resp, p->need);
		return;
	}
}

void dns_server_upstream_handle(struct loop_ref *ref, uint32_t events)
{
	struct dns_pending *p = container_of(ref, struct dns_pending, ref);

	if (!p->used || p->fd < 0)
		return;
	if (p->tcp)
		upstream_tcp_io(p, events);
	else
		upstream_udp_readable(p);
}

static uint16_t random_id(void)
{
	uint16_t id = 0;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) != sizeof(id))
		id = (uint16_t)(now_ms() * 40503u);
	return id;
}

/* Start forwarding; the answer goes to @cl. Return: 0 or -errno. */
static int forward(const struct dns_client *cl, const uint8_t *query, size_t qlen,
		   const struct dns_question *q, bool tcp)
{
	struct dns_pending *p = NULL;

	for (unsigned i = 0; i < DNS_PENDING_MAX; i++) {
		if (!pending[i].used) {
			p = &pending[i];
			break;
		}
	}
	if (!p) {
		dns_server_stats.pending_full++;
		return -ENOSPC;
	}
	memset(p, 0, sizeof(*p));
	p->fd = -1;
	p->nservers = upstream_list(p->servers);
	if (!p->nservers)
		return -ENOENT;
	p->query = malloc(qlen + 2);
	if (!p->query)
		return -ENOMEM;
	p->used = true;
	p->ref.kind = REF_DNS_UPSTREAM;
	p->timer.fn = attempt_timeout;
	p->tcp = tcp;
	p->qlen = qlen;
	p->qend = q->end;
	p->orig_id = (uint16_t)(query[0] << 8 | query[1]);
	p->up_id = random_id();
	if (tcp) {
		p->query[0] = (uint8_t)(qlen >> 8);
		p->query[1] = (uint8_t)qlen;
	}
	memcpy(p->query + (tcp ? 2 : 0), query, qlen);
	p->query[tcp ? 2 : 0] = (uint8_t)(p->up_id >> 8);
	p->query[tcp ? 3 : 1] = (uint8_t)p->up_id;
	p->conn = cl->conn;
	if (cl->conn)
		cl->conn->pending = p;
	if (cl->mac)
		memcpy(p->cmac, cl->mac, 6);
	p->cip = cl->ip;
	p->cport = cl->port;
	dns_server_stats.forwarded++;
	attempt_start(p);
	return 0;
}

/* --- one query, from either transport ------------------------------------- */

/* Return: 1 when an upstream answer will follow, 0 when answered now. */
static int handle_query(const struct dns_client *cl, const uint8_t *query, size_t len, bool tcp)
{
	struct dns_question q;
	struct dns_header h;
	struct dns_answer a;
	uint8_t out[DNS_UDP_MAX];
	int r, n;

	/* Responses are dropped, never answered: two servers must not bounce
	 * errors at each other. Over UDP so is anything shorter than a header;
	 * a TCP client waits for an answer, so it gets FORMERR. */
	if ((len > 2 && (query[2] & 0x80)) || (!tcp && len < DNS_HDR_LEN)) {
		dns_server_stats.dropped++;
		return 0;
	}
	r = dns_parse_query(query, len, &h, &q);
	if (r == -EOPNOTSUPP) {
		dns_server_stats.notimp++;
		answer_error(cl, query, len, NULL, DNS_RCODE_NOTIMP);
		return 0;
	}
	if (r < 0) {
		dns_server_stats.formerr++;
		answer_error(cl, query, len, NULL, DNS_RCODE_FORMERR);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	switch (q.qclass == DNS_CLASS_IN
			? dns_zones_lookup(&vg->cfg.zones, q.name, q.qtype, &a.a, &a.aaaa)
			: DNS_ZONE_FORWARD) {
	case DNS_ZONE_ANSWER:
		dns_server_stats.local_answers++;
		a.type = q.qtype;
		a.ttl = DNS_ZONE_TTL;
		n = dns_build_response(out, sizeof(out), query, &q, DNS_RCODE_NOERROR, true, &a, 1);
		if (n > 0)
			answer(cl, out, (size_t)n);
		return 0;
	case DNS_ZONE_NXDOMAIN:
		dns_server_stats.nxdomain++;
		n = dns_build_response(out, sizeof(out), query, &q, DNS_RCODE_NXDOMAIN, true, NULL,
				       0);
		if (n > 0)
			answer(cl, out, (size_t)n);
		return 0;
	case DNS_ZONE_FORWARD:
		break;
	}
	r = forward(cl, query, len, &q, tcp);
	if (r < 0) {
		if (r != -ENOSPC)
			log_debug(COMP, "cannot forward %s: %s", q.name,
				  r == -ENOENT ? "no upstream resolver" : strerror(-r));
		dns_server_stats.servfail++;
		answer_error(cl, query, len, &q, DNS_RCODE_SERVFAIL);
		return 0;
	}
	return 1;
}

void dns_server_udp_input(const struct eth_view *e, const struct ipv4_view *ip,
			  const struct udp_view *u)
{
	struct dns_client cl = { .conn = NULL, .mac = e->src, .ip = ip->src, .port = u->sport };

	dns_server_stats.queries_udp++;
	handle_query(&cl, u->payload, u->len, false);
}

/* --- TCP from guests (lwIP) ----------------------------------------------- */

static void conn_idle(struct loop_timer *t)
{
	conn_close(container_of(t, struct dns_tcp_conn, idle), false);
}

static void conn_close(struct dns_tcp_conn *tc, bool abort_pcb)
{
	struct dns_tcp_conn **pp;

	if (tc->pending) {
		tc->pending->conn = NULL;
		tc->pending = NULL;
	}
	loop_timer_cancel(&vg->loop, &tc->idle);
	if (tc->pcb) {
		tcp_arg(tc->pcb, NULL);
		tcp_recv(tc->pcb, NULL);
		tcp_err(tc->pcb, NULL);
		if (abort_pcb || tcp_close(tc->pcb) != ERR_OK)
			tcp_abort(tc->pcb);
	}
	if (tc->rx)
		pbuf_free(tc->rx);
	for (pp = &conns; *pp; pp = &(*pp)->next) {
		if (*pp == tc) {
			*pp = tc->next;
			break;
		}
	}
	nconns--;
	free(tc);
}

/*
 * Process whole messages in tc->rx while no query is in flight.
 * Return: true if the connection was aborted (and freed).
 */
static bool conn_process(struct dns_tcp_conn *tc)
{
	while (!tc->failed && tc->rx && !tc->pending) {
		uint8_t pfx[2];
		size_t len;
		struct dns_client cl = { .conn = tc };

		if (tc->rx->tot_len < 2)
			break;
		pbuf_copy_partial(tc->rx, pfx, 2, 0);
		len = (size_t)(pfx[0] << 8 | pfx[1]);
		if (tc->rx->tot_len < 2 + len)
			break;
		pbuf_copy_partial(tc->rx, msgbuf, (u16_t)len, 2);
		tc->rx = pbuf_free_header(tc->rx, (u16_t)(2 + len));
		if (tc->pcb)
			tcp_recved(tc->pcb, (u16_t)(2 + len));
		dns_server_stats.queries_tcp++;
		loop_timer_arm(&vg->loop, &tc->idle, DNS_TCP_IDLE_MS);
		handle_query(&cl, msgbuf, len, true);
	}
	if (tc->failed) {
		conn_close(tc, true);
		return true;
	}
	return false;
}

static void conn_resume(struct dns_tcp_conn *tc)
{
	conn_process(tc);
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct dns_tcp_conn *tc = arg;

	(void)pcb;
	if (!tc) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		conn_close(tc, false);
		return ERR_OK;
	}
	if (tc->rx && (size_t)tc->rx->tot_len + p->tot_len > 0xffff) {
		/* pbuf chains count 16 bits: a peer that does not wait for
		 * answers (or sends a message over 65533 bytes) is cut off. */
		pbuf_free(p);
		conn_close(tc, true);
		return ERR_ABRT;
	}
	if (tc->rx)
		pbuf_cat(tc->rx, p);
	else
		tc->rx = p;
	return conn_process(tc) ? ERR_ABRT : ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct dns_tcp_conn *tc = arg;

	(void)err;
	if (!tc)
		return;
	tc->pcb = NULL; /* already freed by lwIP */
	conn_close(tc, false);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct dns_tcp_conn *tc;

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (nconns >= DNS_TCP_CONNS_MAX || !(tc = calloc(1, sizeof(*tc)))) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	tc->pcb = pcb;
	tc->idle.fn = conn_idle;
	tc->next = conns;
	conns = tc;
	nconns++;
	tcp_arg(pcb, tc);
	tcp_recv(pcb, on_recv);
	tcp_err(pcb, on_err);
	loop_timer_arm(&vg->loop, &tc->idle, DNS_TCP_IDLE_MS);
	return ERR_OK;
}

int dns_server_init(void)
{
	struct tcp_pcb *pcb;
	ip_addr_t addr;

	for (unsigned i = 0; i < DNS_PENDING_MAX; i++)
		pending[i].fd = -1;
	pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb)
		return -ENOMEM;
	ip_addr_set_ip4_u32_val(addr, vg->cfg.gateway_ip);
	if (tcp_bind(pcb, &addr, DNS_PORT) != ERR_OK) {
		tcp_close(pcb);
		return -EADDRINUSE;
	}
	listener = tcp_listen(pcb);
	if (!listener) {
		tcp_close(pcb);
		return -ENOMEM;
	}
	tcp_accept(listener, on_accept);
	return 0;
}

void dns_server_fini(void)
{
	while (conns)
		conn_close(conns, true);
	for (unsigned i = 0; i < DNS_PENDING_MAX; i++)
		if (pending[i].used)
			pending_free(&pending[i]);
	if (listener)
		tcp_close(listener);
	listener = NULL;
}
