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
 * socket, or a socketpair end). The bytes move by tcp_relay.c's rules
 * (back-pressure both ways, half-closes, the memory budget), the same as
 * for guest flows, with a pool of its own: FWD_RELAY_BUDGET each
 * direction. RST both ways: a guest RST (lwIP's err callback) closes the
 * socket with SO_LINGER 0; a socket error aborts the PCB (RST to the
 * guest).
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
#include "tcp_relay.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define COMP "forward"
#define RELAY_SWEEP_MS 500
#define RELAY_KEEPALIVE_MS 60000
#define RELAY_MIN_CHUNK (16u * 1024)

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
	bool dirty;
	uint64_t deadline;
	struct tcp_relay rl; /* the host socket, the PCB and the bytes between */
};

struct fwd_relay_stats fwd_relay_stats;

static struct fwd_relay *all_list;
static struct fwd_relay *flush_list;
static void pool_wake(struct tcp_relay *r);
static struct tcp_relay_pool pool = {
	.budget = FWD_RELAY_BUDGET,
	.min_chunk = RELAY_MIN_CHUNK,
	.wake = pool_wake,
	.to_host_bytes = &fwd_relay_stats.to_host_bytes,
	.to_guest_bytes = &fwd_relay_stats.to_guest_bytes,
	.throttled = &fwd_relay_stats.throttled,
};
static unsigned nconnecting;
static uint16_t port_cursor = FWD_RELAY_PORT_MIN;
static struct loop_timer sweep_timer;

static void mark_dirty(struct fwd_relay *r)
{
	if (!r->dirty && !r->ref.dead) {
		r->dirty = true;
		r->dnext = flush_list;
		flush_list = r;
	}
}

static void pool_wake(struct tcp_relay *rl)
{
	mark_dirty(container_of(rl, struct fwd_relay, rl));
}

/* --- lifetime ---------------------------------------------------------------- */

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
 * callback of r->rl.pcb unless that callback then returns ERR_ABRT.
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
	if (r->rl.pcb) {
		struct tcp_pcb *pcb = r->rl.pcb;

		r->rl.pcb = NULL;
		tcp_relay_detach_pcb(pcb);
		if (reset || tcp_close(pcb) != ERR_OK)
			tcp_abort(pcb);
	}
	tcp_relay_close_fd(&r->rl, reset);
	tcp_relay_drop(&r->rl);
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
	tcp_relay_init(&r->rl, &pool, fd);
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

static void update_events(struct fwd_relay *r)
{
	if (!r->ref.dead)
		tcp_relay_set_events(&r->rl, r->state == RS_OPEN ? tcp_relay_want(&r->rl) : 0,
				     &r->ref);
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
		r->rl.guest_fin = true;
		mark_dirty(r);
		return ERR_OK;
	}
	return tcp_relay_recv(&r->rl, p);
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct fwd_relay *r = arg;

	(void)pcb;
	if (!r || r->ref.dead)
		return ERR_OK;
	tcp_relay_sent(&r->rl, len);
	return ERR_OK;
}

static void on_err(void *arg, err_t err)
{
	struct fwd_relay *r = arg;

	if (!r || r->ref.dead)
		return;
	/* The PCB is gone already: guest RST, or lwIP gave up. */
	r->rl.pcb = NULL;
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
	r->rl.pcb = pcb;
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
		tcp_relay_detach_pcb(pcb);
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

	if (r->state != RS_OPEN || !r->rl.pcb) {
		update_events(r);
		return;
	}
	rc = tcp_relay_ready(&r->rl, events);
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
		if (r->ref.dead || r->state != RS_OPEN || !r->rl.pcb || r->rl.fd < 0)
			continue;
		rc = tcp_relay_pump(&r->rl);
		if (rc < 0) {
			fwd_relay_stats.resets_from_host++;
			relay_kill(r, true);
			continue;
		}
		if (tcp_relay_progress_close(&r->rl)) {
			relay_kill(r, false);
			continue;
		}
		update_events(r);
	}
}

void fwd_relay_group_foreach(const struct fwd_relay_group *g, const struct flow_info *tmpl,
			     flow_visit_fn fn, void *arg)
{
	uint64_t now = now_ms();

	for (const struct fwd_relay *r = g->head; r; r = r->gnext) {
		struct flow_info fi = *tmpl;

		if (r->ref.dead)
			continue;
		fi.proto = "tcp";
		if (r->rl.pcb) {
			fi.gip = ip_addr_get_ip4_u32(&r->rl.pcb->remote_ip);
			fi.gport = r->rl.pcb->remote_port;
		}
		fi.state = r->state == RS_CONNECTING	       ? "connecting"
			   : r->rl.guest_fin && r->rl.host_eof ? "closing"
			   : r->rl.guest_fin		       ? "guest_closed"
			   : r->rl.host_eof		       ? "host_closed"
							       : "established";
		fi.to_host_bytes = r->rl.to_host_bytes;
		fi.to_guest_bytes = r->rl.to_guest_bytes;
		fi.age_ms = now > r->rl.born_ms ? now - r->rl.born_ms : 0;
		fi.idle_ms = -1;
		fn(&fi, arg);
	}
}

void fwd_relay_fini(void)
{
	loop_timer_cancel(&vg->loop, &sweep_timer);
	while (all_list)
		relay_kill(all_list, true);
	flush_list = NULL;
	nconnecting = 0;
}
