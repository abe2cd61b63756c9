// SPDX-License-Identifier: MIT
/*
 * forward_relay.c - TCP connections of the gateway's own: an lwIP PCB on
 * the gateway address relayed to a host-side stream socket
 *
 * Theory of operation. tcp_flow.c relays connections a guest opens; this
 * file relays the ones that end at the gateway itself: connections vgate
 * opens into a guest for a port forward (fwd_relay_connect()), and guest
 * connections lwIP accepted on a gateway service such as the in-network
 * API (fwd_relay_accepted()). Both are an lwIP PCB on one side and a
 * non-blocking stream socket on the other (a host client's TCP or unix
 * socket, or a socketpair end). The relaying rules are tcp_flow.c's, kept
 * in a separate copy because tcp_flow.c's are bound to its DNAT states
 * and its unit test:
 *
 *   guest -> host: lwIP's recv callback queues the pbuf chains (a FIFO,
 *     never pbuf_cat: tot_len is 16 bits); they are written to the host
 *     socket with one writev per relay per loop iteration, and only the
 *     bytes the socket took are acknowledged with tcp_recved(), so the
 *     guest's window closes while the host side is slow.
 *   host -> guest: the socket is read only while tcp_sndbuf() has room;
 *     bytes tcp_write() refused (ERR_MEM: segment queue full) are staged
 *     and retried from the sent callback before anything more is read.
 *   FIN both ways: a host EOF becomes tcp_shutdown(TX) once the staged
 *     bytes are in lwIP; a guest FIN becomes shutdown(SHUT_WR) once the
 *     queue is written. Half-closed relays keep working the other way.
 *   RST both ways: a guest RST (lwIP's err callback) closes the socket
 *     with SO_LINGER 0; a socket error aborts the PCB (RST to the guest).
 *   Memory: FWD_RELAY_BUDGET over all relays each direction, as in
 *     tcp_flow.c: past it a relay with data already queued waits, one
 *     with nothing queued may still move 16 KiB.
 *
 * States:
 *   CONNECTING  (fwd_relay_connect only) the SYN is out; the host socket
 *               is not polled, so its bytes wait in the kernel. The guest
 *               answering RST, lwIP giving up, or FWD_RELAY_CONNECT_MS
 *               without an answer: the host socket is reset and the relay
 *               freed.
 *   OPEN        bytes flow; guest_fin/host_eof/host_shut/lwip_shut record
 *               the half-closes. Both directions shut: the socket is
 *               closed, the PCB handed to lwIP with tcp_close() (it keeps
 *               its port through TIME_WAIT) and the relay freed.
 *
 * Gateway ports: a connection into a guest needs a local port on the
 * gateway address. tcp_flow.c's DNAT owns ports TCP_FLOW_PORT_MIN-65535 of
 * that address (it rewrites lwIP segments from its mapped ports), and the
 * gateway's own services sit below 1024, so relays take ports from
 * FWD_RELAY_PORT_MIN..MAX (1024-16383) round robin, each one checked by
 * tcp_bind(). That caps simultaneous forwarded connections (including
 * lwIP's TIME_WAIT PCBs, 2 * TCP_MSL) at 15,360.
 *
 * Lifetime: a relay is freed through loop_defer_free() (its socket may
 * have an event pending in the current batch); dead relays are skipped
 * everywhere. lwIP callbacks are detached before a PCB is closed or
 * aborted, so none arrives for a dead relay.
 */
#include "forward_relay.h"

#include "arp.h"
#include "gw_netif.h"
#include "log.h"
#include "lwip_inc.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define COMP "forward"
#define RELAY_IOV_MAX 64
#define RELAY_SWEEP_MS 500
#define RELAY_KEEPALIVE_MS 60000
#define RELAY_MIN_CHUNK (16u * 1024)
#define RELAY_READ_MAX 65536

enum relay_state {
	RS_CONNECTING,
	RS_OPEN,
};

struct fwd_relay {
	struct loop_ref ref;
	struct loop_deferred dead;
	enum relay_state state;
	struct fwd_relay_group *group;
	struct fwd_relay *gprev, *gnext; /* in the group */
	struct fwd_relay *aprev, *anext; /* in all_list */
	struct fwd_relay *dnext;	 /* flush list */
	struct fwd_relay *snext;	 /* starved list */
	bool dirty, starved;
	int fd;
	uint32_t events;
	struct tcp_pcb *pcb;
	uint64_t deadline;
	bool guest_fin, host_eof, host_shut, lwip_shut, output;
	/* guest -> host: queued pbuf chains */
	struct pbuf **q;
	unsigned qhead, qlen, qcap;
	size_t qoff;
	/* host -> guest: bytes read but not taken by tcp_write */
	uint8_t *stage;
	size_t stage_len, stage_off;
	size_t in_lwip; /* host bytes in lwIP not yet acked by the guest */
	size_t to_host; /* guest bytes queued for the host socket */
};

struct fwd_relay_stats fwd_relay_stats;

static struct fwd_relay *all_list;
static struct fwd_relay *flush_list;
static struct fwd_relay *starved_list;
static size_t to_guest_total, to_host_total;
static unsigned nconnecting;
static uint16_t port_cursor = FWD_RELAY_PORT_MIN;
static struct loop_timer sweep_timer;
static uint8_t readbuf[RELAY_READ_MAX];

static void mark_dirty(struct fwd_relay *r)
{
	if (!r->dirty && !r->ref.dead) {
		r->dirty = true;
		r->dnext = flush_list;
		flush_list = r;
	}
}

static void unstarve(struct fwd_relay *r)
{
	if (!r->starved)
		return;
	for (struct fwd_relay **pp = &starved_list; *pp; pp = &(*pp)->snext) {
		if (*pp == r) {
			*pp = r->snext;
			break;
		}
	}
	r->starved = false;
}

static void starve(struct fwd_relay *r)
{
	if (r->starved)
		return;
	r->starved = true;
	r->snext = starved_list;
	starved_list = r;
	fwd_relay_stats.throttled++;
}

static void feed_starved(void)
{
	while (starved_list && to_guest_total < FWD_RELAY_BUDGET) {
		struct fwd_relay *r = starved_list;

		starved_list = r->snext;
		r->snext = NULL;
		r->starved = false;
		mark_dirty(r);
	}
}

static size_t budget_room(const struct fwd_relay *r)
{
	if (to_guest_total < FWD_RELAY_BUDGET)
		return FWD_RELAY_BUDGET - to_guest_total;
	return r->in_lwip < RELAY_MIN_CHUNK ? RELAY_MIN_CHUNK - r->in_lwip : 0;
}

/* --- lifetime ---------------------------------------------------------------- */

static void pcb_detach(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}

static void close_fd(struct fwd_relay *r, bool reset)
{
	if (r->fd < 0)
		return;
	if (reset) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	if (r->events)
		loop_del(&vg->loop, r->fd);
	close(r->fd);
	r->fd = -1;
	r->events = 0;
}

static void drop_queues(struct fwd_relay *r)
{
	to_guest_total -= MIN(r->in_lwip, to_guest_total);
	to_host_total -= MIN(r->to_host, to_host_total);
	r->in_lwip = r->to_host = 0;
	unstarve(r);
	while (r->qlen) {
		pbuf_free(r->q[r->qhead]);
		r->qhead = (r->qhead + 1) % r->qcap;
		r->qlen--;
	}
	free(r->q);
	r->q = NULL;
	r->qcap = 0;
	free(r->stage);
	r->stage = NULL;
	r->stage_len = r->stage_off = 0;
}

static void relay_free(struct loop_deferred *d)
{
	free(container_of(d, struct fwd_relay, dead));
}

static void set_open(struct fwd_relay *r)
{
	if (r->state == RS_CONNECTING && nconnecting)
		nconnecting--;
	r->state = RS_OPEN;
}

/*
 * End @r: @reset sends RST both ways (tcp_abort, SO_LINGER 0), otherwise
 * the PCB is closed gracefully and the socket closed. Not from an lwIP
 * callback of r->pcb unless that callback then returns ERR_ABRT.
 */
static void relay_kill(struct fwd_relay *r, bool reset)
{
	if (r->ref.dead)
		return;
	if (r->state == RS_CONNECTING && nconnecting)
		nconnecting--;
	r->ref.dead = true;
	if (r->gprev)
		r->gprev->gnext = r->gnext;
	else if (r->group && r->group->head == r)
		r->group->head = r->gnext;
	if (r->gnext)
		r->gnext->gprev = r->gprev;
	if (r->group && r->group->n)
		r->group->n--;
	if (r->aprev)
		r->aprev->anext = r->anext;
	else if (all_list == r)
		all_list = r->anext;
	if (r->anext)
		r->anext->aprev = r->aprev;
	if (r->pcb) {
		struct tcp_pcb *pcb = r->pcb;

		r->pcb = NULL;
		pcb_detach(pcb);
		if (reset || tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	close_fd(r, reset);
	drop_queues(r);
	fwd_relay_stats.closed++;
	if (fwd_relay_stats.active)
		fwd_relay_stats.active--;
	loop_defer_free(&vg->loop, &r->dead);
}

static struct fwd_relay *relay_new(struct fwd_relay_group *g, int fd)
{
	struct fwd_relay *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->ref.kind = REF_FWD_CONN;
	r->dead.free_fn = relay_free;
	r->fd = fd;
	r->group = g;
	r->gnext = g->head;
	if (g->head)
		g->head->gprev = r;
	g->head = r;
	g->n++;
	r->anext = all_list;
	if (all_list)
		all_list->aprev = r;
	all_list = r;
	fwd_relay_stats.opened++;
	fwd_relay_stats.active++;
	return r;
}

/* --- guest -> host -------------------------------------------------------------- */

static int queue_push(struct fwd_relay *r, struct pbuf *p)
{
	if (r->qlen == r->qcap) {
		unsigned ncap = r->qcap ? r->qcap * 2 : 8;
		struct pbuf **nq = malloc(ncap * sizeof(struct pbuf *));

		if (!nq)
			return -ENOMEM;
		for (unsigned i = 0; i < r->qlen; i++)
			nq[i] = r->q[(r->qhead + i) % r->qcap];
		free(r->q);
		r->q = nq;
		r->qcap = ncap;
		r->qhead = 0;
	}
	r->q[(r->qhead + r->qlen) % r->qcap] = p;
	r->qlen++;
	return 0;
}

/* Write queued guest bytes to the host socket. Return: 0 or -errno (fatal). */
static int flush_to_host(struct fwd_relay *r)
{
	while (r->qlen) {
		struct iovec iov[RELAY_IOV_MAX];
		size_t skip = r->qoff, total = 0;
		int cnt = 0;
		ssize_t n;

		for (unsigned i = 0; i < r->qlen && cnt < RELAY_IOV_MAX; i++) {
			for (struct pbuf *q = r->q[(r->qhead + i) % r->qcap];
			     q && cnt < RELAY_IOV_MAX; q = q->next) {
				if (skip >= q->len) {
					skip -= q->len;
					continue;
				}
				iov[cnt].iov_base = (uint8_t *)q->payload + skip;
				iov[cnt].iov_len = q->len - skip;
				total += iov[cnt].iov_len;
				skip = 0;
				cnt++;
			}
		}
		n = writev(r->fd, iov, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return 0;
			return -errno;
		}
		fwd_relay_stats.to_host_bytes += (uint64_t)n;
		r->to_host -= MIN((size_t)n, r->to_host);
		to_host_total -= MIN((size_t)n, to_host_total);
		/* Acknowledge to lwIP exactly what the host took. */
		for (size_t left = (size_t)n; left;) {
			u16_t chunk = (u16_t)MIN(left, (size_t)0xffff);

			if (r->pcb)
				tcp_recved(r->pcb, chunk);
			left -= chunk;
		}
		r->output = true;
		r->qoff += (size_t)n;
		while (r->qlen && r->qoff >= r->q[r->qhead]->tot_len) {
			r->qoff -= r->q[r->qhead]->tot_len;
			pbuf_free(r->q[r->qhead]);
			r->qhead = (r->qhead + 1) % r->qcap;
			r->qlen--;
		}
		if ((size_t)n < total)
			return 0;
	}
	return 0;
}

/* --- host -> guest -------------------------------------------------------------- */

/* Queue @len bytes into lwIP. Return: bytes taken (may be fewer). */
static size_t push_to_lwip(struct fwd_relay *r, const uint8_t *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		size_t room = tcp_sndbuf(r->pcb);
		u16_t chunk = (u16_t)MIN(MIN(len - done, room), (size_t)0xffff);

		if (!chunk)
			break;
		if (tcp_write(r->pcb, buf + done, chunk,
			      TCP_WRITE_FLAG_COPY |
				      (done + chunk < len ? TCP_WRITE_FLAG_MORE : 0)) != ERR_OK)
			break;
		done += chunk;
	}
	if (done) {
		r->output = true;
		r->in_lwip += done;
		to_guest_total += done;
		fwd_relay_stats.to_guest_bytes += done;
	}
	return done;
}

static int stage_keep(struct fwd_relay *r, const uint8_t *buf, size_t len)
{
	if (!len)
		return 0;
	if (!r->stage) {
		r->stage = malloc(RELAY_READ_MAX);
		if (!r->stage)
			return -ENOMEM;
	}
	memcpy(r->stage, buf, len);
	r->stage_len = len;
	r->stage_off = 0;
	return 0;
}

/* Retry staged bytes. Return: true when nothing is staged any more. */
static bool stage_flush(struct fwd_relay *r)
{
	if (r->stage_off < r->stage_len)
		r->stage_off +=
			push_to_lwip(r, r->stage + r->stage_off, r->stage_len - r->stage_off);
	if (r->stage_off < r->stage_len)
		return false;
	r->stage_len = r->stage_off = 0;
	return true;
}

/* Read from the host while lwIP has room. Return: 0 or -errno (fatal). */
static int read_from_host(struct fwd_relay *r)
{
	size_t budget = FWD_RELAY_READ_BUDGET;

	if (!stage_flush(r))
		return 0;
	while (budget && !r->host_eof) {
		size_t room = MIN(MIN((size_t)tcp_sndbuf(r->pcb), sizeof(readbuf)), budget_room(r));
		size_t took;
		ssize_t n;

		if (!room) {
			if (tcp_sndbuf(r->pcb))
				starve(r);
			break;
		}
		n = read(r->fd, readbuf, MIN(room, budget));
		if (n == 0) {
			r->host_eof = true;
			break;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		budget -= (size_t)n;
		took = push_to_lwip(r, readbuf, (size_t)n);
		if (took < (size_t)n) {
			if (stage_keep(r, readbuf + took, (size_t)n - took) < 0)
				return -ENOMEM;
			break;
		}
	}
	mark_dirty(r);
	return 0;
}

static void update_events(struct fwd_relay *r)
{
	uint32_t want = 0;

	if (r->fd < 0 || r->ref.dead)
		return;
	if (r->state == RS_OPEN && r->pcb) {
		if (!r->host_eof && r->stage_off >= r->stage_len && tcp_sndbuf(r->pcb) > 0 &&
		    budget_room(r) > 0)
			want |= EPOLLIN;
		if (r->qlen)
			want |= EPOLLOUT;
	}
	if (want == r->events)
		return;
	if (!r->events) {
		if (loop_add(&vg->loop, r->fd, want, &r->ref) < 0)
			return;
	} else if (!want) {
		loop_del(&vg->loop, r->fd);
	} else {
		loop_mod(&vg->loop, r->fd, want, &r->ref);
	}
	r->events = want;
}

/* Advance the half-closes once the queues are empty; end the relay when both are done. */
static void progress_close(struct fwd_relay *r)
{
	if (r->guest_fin && !r->qlen && !r->host_shut && r->fd >= 0) {
		shutdown(r->fd, SHUT_WR);
		r->host_shut = true;
	}
	if (r->host_eof && r->stage_off >= r->stage_len && !r->lwip_shut && r->pcb) {
		if (tcp_shutdown(r->pcb, 0, 1) == ERR_OK)
			r->lwip_shut = true;
	}
	if (r->host_shut && r->lwip_shut)
		relay_kill(r, false);
}

/* --- lwIP callbacks ----------------------------------------------------------- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct fwd_relay *r = arg;

	(void)pcb;
	if (!r || r->ref.dead || err != ERR_OK) {
		if (p)
			pbuf_free(p);
		return ERR_OK;
	}
	if (!p) {
		r->guest_fin = true;
		mark_dirty(r);
		return ERR_OK;
	}
	/* Over the budget with data already waiting: lwIP keeps the segment
	 * and offers it again. */
	if (to_host_total >= FWD_RELAY_BUDGET && r->to_host) {
		fwd_relay_stats.throttled++;
		return ERR_MEM;
	}
	if (queue_push(r, p) < 0)
		return ERR_MEM;
	r->to_host += p->tot_len;
	to_host_total += p->tot_len;
	mark_dirty(r);
	return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct fwd_relay *r = arg;

	(void)pcb;
	if (!r || r->ref.dead)
		return ERR_OK;
	len = (u16_t)MIN((size_t)len, r->in_lwip);
	r->in_lwip -= len;
	to_guest_total -= MIN((size_t)len, to_guest_total);
	mark_dirty(r);
	feed_starved();
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct fwd_relay *r = arg;

	if (!r || r->ref.dead)
		return;
	/* The PCB is gone already: guest RST, or lwIP gave up. */
	r->pcb = NULL;
	if (r->state == RS_CONNECTING) {
		fwd_relay_stats.refused++;
		log_debug(COMP, "connect into the guest failed (lwIP error %d)", (int)err);
	} else if (err == ERR_RST) {
		fwd_relay_stats.resets_from_guest++;
	}
	relay_kill(r, true);
}

static void pcb_setup(struct fwd_relay *r, struct tcp_pcb *pcb)
{
	r->pcb = pcb;
	tcp_arg(pcb, r);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
}

static void pcb_tune(struct tcp_pcb *pcb)
{
	tcp_nagle_disable(pcb);
	ip_set_option(pcb, SOF_KEEPALIVE);
	pcb->keep_idle = RELAY_KEEPALIVE_MS;
}

static err_t on_connected(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct fwd_relay *r = arg;

	if (!r || r->ref.dead)
		return ERR_OK;
	(void)err; /* always ERR_OK in lwIP 2.1 */
	pcb_tune(pcb);
	set_open(r);
	mark_dirty(r);
	return ERR_OK;
}

/* --- timeouts ------------------------------------------------------------------- */

static void sweep(struct loop_timer *t)
{
	uint64_t now = now_ms();

	for (struct fwd_relay *r = all_list, *next; r; r = next) {
		next = r->anext;
		if (r->state == RS_CONNECTING && r->deadline <= now) {
			fwd_relay_stats.timeouts++;
			log_debug(COMP, "connect into the guest timed out");
			relay_kill(r, true);
		}
	}
	if (nconnecting)
		loop_timer_arm(&vg->loop, t, RELAY_SWEEP_MS);
}

/* --- public --------------------------------------------------------------------- */

/* Bind @pcb to a free gateway port in the relay range. Return: 0 or -EADDRNOTAVAIL. */
static int bind_low_port(struct tcp_pcb *pcb)
{
	const unsigned range = FWD_RELAY_PORT_MAX - FWD_RELAY_PORT_MIN + 1;
	ip_addr_t a;

	ip_addr_set_ip4_u32_val(a, vg->cfg.gateway_ip);
	for (unsigned i = 0; i < range; i++) {
		uint16_t p = port_cursor;

		port_cursor = p == FWD_RELAY_PORT_MAX ? FWD_RELAY_PORT_MIN : (uint16_t)(p + 1);
		if (tcp_bind(pcb, &a, p) == ERR_OK)
			return 0;
	}
	return -EADDRNOTAVAIL;
}

static void fd_reset_close(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(fd);
}

int fwd_relay_connect(struct fwd_relay_group *g, int fd, uint32_t ip, uint16_t port)
{
	struct fwd_relay *r;
	struct tcp_pcb *pcb;
	uint8_t mac[6];
	ip_addr_t dst;

	pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	if (!pcb) {
		fd_reset_close(fd);
		return -ENOMEM;
	}
	if (bind_low_port(pcb) < 0) {
		fwd_relay_stats.no_port++;
		tcp_close(pcb);
		fd_reset_close(fd);
		return -EADDRNOTAVAIL;
	}
	r = relay_new(g, fd);
	if (!r) {
		tcp_close(pcb);
		fd_reset_close(fd);
		return -ENOMEM;
	}
	/* lwIP then sends the SYN without waiting for ARP. */
	if (arp_lookup(ip, mac) == 0)
		gw_netif_teach(ip, mac);
	pcb_setup(r, pcb);
	r->state = RS_CONNECTING;
	nconnecting++;
	r->deadline = now_ms() + FWD_RELAY_CONNECT_MS;
	ip_addr_set_ip4_u32_val(dst, ip);
	if (tcp_connect(pcb, &dst, port, on_connected) != ERR_OK) {
		relay_kill(r, true);
		return -ENOMEM;
	}
	if (!sweep_timer.armed) {
		sweep_timer.fn = sweep;
		loop_timer_arm(&vg->loop, &sweep_timer, RELAY_SWEEP_MS);
	}
	return 0;
}

int fwd_relay_accepted(struct fwd_relay_group *g, int fd, struct tcp_pcb *pcb)
{
	struct fwd_relay *r = relay_new(g, fd);

	if (!r) {
		pcb_detach(pcb);
		tcp_abort(pcb);
		close(fd);
		return -ENOMEM;
	}
	pcb_setup(r, pcb);
	pcb_tune(pcb);
	r->state = RS_OPEN;
	mark_dirty(r);
	return 0;
}

void fwd_relay_group_abort(struct fwd_relay_group *g)
{
	while (g->head)
		relay_kill(g->head, true);
	g->n = 0;
}

void fwd_relay_handle(struct loop_ref *ref, uint32_t events)
{
	struct fwd_relay *r = container_of(ref, struct fwd_relay, ref);
	int rc = 0;

	if (r->state != RS_OPEN || !r->pcb) {
		update_events(r);
		return;
	}
	if (events & EPOLLOUT)
		rc = flush_to_host(r);
	if (!rc && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		rc = read_from_host(r);
	if (rc < 0) {
		fwd_relay_stats.resets_from_host++;
		log_debug(COMP, "host side of a relay: %s", strerror(-rc));
		relay_kill(r, true);
		return;
	}
	mark_dirty(r);
}

void fwd_relay_flush(void)
{
	while (flush_list) {
		struct fwd_relay *r = flush_list;
		int rc = 0;

		flush_list = r->dnext;
		r->dirty = false;
		r->dnext = NULL;
		if (r->ref.dead || r->state != RS_OPEN || !r->pcb || r->fd < 0)
			continue;
		if (r->qlen)
			rc = flush_to_host(r);
		if (!rc && !r->host_eof && stage_flush(r) && tcp_sndbuf(r->pcb) > 0 &&
		    !(r->events & EPOLLIN))
			rc = read_from_host(r);
		if (rc < 0) {
			fwd_relay_stats.resets_from_host++;
			relay_kill(r, true);
			continue;
		}
		/* read_from_host() may have marked it again: this pass covers it. */
		if (r->dirty) {
			struct fwd_relay **pp;

			for (pp = &flush_list; *pp; pp = &(*pp)->dnext) {
				if (*pp == r) {
					*pp = r->dnext;
					break;
				}
			}
			r->dirty = false;
			r->dnext = NULL;
		}
		if (r->output && r->pcb) {
			tcp_output(r->pcb);
			r->output = false;
		}
		progress_close(r);
		update_events(r);
	}
}

void fwd_relay_fini(void)
{
	loop_timer_cancel(&vg->loop, &sweep_timer);
	while (all_list)
		relay_kill(all_list, true);
	flush_list = NULL;
	starved_list = NULL;
	nconnecting = 0;
}
