// SPDX-License-Identifier: MIT
/*
 * tcp_relay.c - bytes between one lwIP PCB and one host stream socket
 *
 * Theory of operation. Every TCP connection vgate carries ends in an lwIP
 * PCB on the guest side and a non-blocking stream socket on the host side:
 * guest flows to the world (tcp_flow.c), forwarded connections into a
 * guest and connections to the gateway's own services (forward_relay.c).
 * Their owners keep the states, addresses and timers; this file keeps the
 * one set of rules for moving the bytes:
 *
 *   guest -> host: lwIP's recv callback queues the pbuf chains (a FIFO,
 *     never pbuf_cat: tot_len is 16 bits); the flush pass writes them to
 *     the host socket with one writev per relay, and only the bytes the
 *     socket took are acknowledged with tcp_recved(), so the guest's window
 *     closes while the host side is slow.
 *   host -> guest: the socket is read only while tcp_sndbuf() has room;
 *     bytes tcp_write() refused (ERR_MEM: segment queue full) are staged
 *     and retried before anything more is read.
 *   Half-closes: a host EOF becomes tcp_shutdown(TX) once the staged bytes
 *     are in lwIP; a guest FIN becomes shutdown(SHUT_WR) once the queue is
 *     written. A half-closed relay keeps working the other way.
 *   Memory: each pool (one per owner) bounds, per direction, the bytes
 *     queued over all its relays (guest bytes waiting for host sockets;
 *     host bytes in lwIP the guest has not acknowledged). Past the budget a
 *     relay that already has data queued waits (host side: not read, and
 *     put on the pool's starved list until acknowledgements free budget;
 *     guest side: lwIP keeps the segment and offers it again), while one
 *     with nothing queued may still move pool->min_chunk bytes, so one
 *     stalled peer cannot starve the others.
 *
 * Per relay, at most one staging buffer of TCP_RELAY_READ_MAX bytes and a
 * queue of pbuf pointers that grows by doubling (its bytes are the
 * budget's); one read per wake-up moves at most TCP_RELAY_READ_BUDGET.
 */
#include "tcp_relay.h"

#include "loop.h"
#include "lwip_inc.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define TCP_RELAY_IOV_MAX 64
#define TCP_RELAY_READ_MAX 65536
/* Bytes read from one host socket per wake-up before serving others. */
#define TCP_RELAY_READ_BUDGET (256 * 1024)

static uint8_t readbuf[TCP_RELAY_READ_MAX];

void tcp_relay_init(struct tcp_relay *r, struct tcp_relay_pool *pool, int fd)
{
	r->pool = pool;
	r->fd = fd;
	r->born_ms = now_ms();
}

/* --- budget ----------------------------------------------------------------------- */

static void starve(struct tcp_relay *r)
{
	if (r->starved)
		return;
	r->starved = true;
	r->snext = r->pool->starved;
	r->pool->starved = r;
	(*r->pool->throttled)++;
}

static void unstarve(struct tcp_relay *r)
{
	if (!r->starved)
		return;
	for (struct tcp_relay **pp = &r->pool->starved; *pp; pp = &(*pp)->snext) {
		if (*pp == r) {
			*pp = r->snext;
			break;
		}
	}
	r->starved = false;
}

/* Budget freed: every starved relay may read again. */
static void feed_starved(struct tcp_relay_pool *pool)
{
	while (pool->starved && pool->to_guest_total < pool->budget) {
		struct tcp_relay *r = pool->starved;

		pool->starved = r->snext;
		r->snext = NULL;
		r->starved = false;
		pool->wake(r);
	}
}

/* How much more host data @r may queue in lwIP under the pool's budget. */
static size_t budget_room(const struct tcp_relay *r)
{
	const struct tcp_relay_pool *pool = r->pool;

	if (pool->to_guest_total < pool->budget)
		return pool->budget - pool->to_guest_total;
	return r->in_lwip < pool->min_chunk ? pool->min_chunk - r->in_lwip : 0;
}

/* --- guest -> host ------------------------------------------------------------------ */

static int queue_push(struct tcp_relay *r, struct pbuf *p)
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

int8_t tcp_relay_recv(struct tcp_relay *r, struct pbuf *p)
{
	struct tcp_relay_pool *pool = r->pool;

	/* Over the budget with data already waiting: lwIP keeps the segment
	 * and offers it again (and drops what the guest sends meanwhile, so
	 * the guest backs off). */
	if (pool->to_host_total >= pool->budget && r->to_host) {
		(*pool->throttled)++;
		return ERR_MEM;
	}
	if (queue_push(r, p) < 0)
		return ERR_MEM;
	r->to_host += p->tot_len;
	pool->to_host_total += p->tot_len;
	pool->wake(r);
	return ERR_OK;
}

/* Write queued guest bytes to the host socket. Return: 0, or -errno (fatal). */
static int flush_to_host(struct tcp_relay *r)
{
	struct tcp_relay_pool *pool = r->pool;

	while (r->qlen) {
		struct iovec iov[TCP_RELAY_IOV_MAX];
		size_t skip = r->qoff, total = 0;
		int cnt = 0;
		ssize_t n;

		for (unsigned i = 0; i < r->qlen && cnt < TCP_RELAY_IOV_MAX; i++) {
			for (struct pbuf *q = r->q[(r->qhead + i) % r->qcap];
			     q && cnt < TCP_RELAY_IOV_MAX; q = q->next) {
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
		r->to_host_bytes += (uint64_t)n;
		*pool->to_host_bytes += (uint64_t)n;
		r->to_host -= MIN((size_t)n, r->to_host);
		pool->to_host_total -= MIN((size_t)n, pool->to_host_total);
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

/* --- host -> guest ------------------------------------------------------------------ */

void tcp_relay_sent(struct tcp_relay *r, uint16_t len)
{
	struct tcp_relay_pool *pool = r->pool;
	size_t n = MIN((size_t)len, r->in_lwip);

	r->in_lwip -= n;
	pool->to_guest_total -= MIN(n, pool->to_guest_total);
	pool->wake(r); /* room again: retry staged bytes, read more */
	feed_starved(pool);
}

/* Queue @len bytes into lwIP. Return: bytes taken (may be fewer). */
static size_t push_to_lwip(struct tcp_relay *r, const uint8_t *buf, size_t len)
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
		r->to_guest_bytes += done;
		r->pool->to_guest_total += done;
		*r->pool->to_guest_bytes += done;
	}
	return done;
}

static int stage_keep(struct tcp_relay *r, const uint8_t *buf, size_t len)
{
	if (!len)
		return 0;
	if (!r->stage) {
		r->stage = malloc(TCP_RELAY_READ_MAX);
		if (!r->stage)
			return -ENOMEM;
	}
	memcpy(r->stage, buf, len);
	r->stage_len = len;
	r->stage_off = 0;
	return 0;
}

/* Retry staged bytes. Return: true when nothing is staged any more. */
static bool stage_flush(struct tcp_relay *r)
{
	if (r->stage_off < r->stage_len)
		r->stage_off +=
			push_to_lwip(r, r->stage + r->stage_off, r->stage_len - r->stage_off);
	if (r->stage_off < r->stage_len)
		return false;
	r->stage_len = r->stage_off = 0;
	return true;
}

/*
 * Read from the host while lwIP has room; EOF sets host_eof. No wake-up
 * here: the caller is the flush pass itself or the owner's event handler,
 * which wakes the relay; waking from the flush pass would spin on a relay
 * waiting for the budget. Return: 0, or -errno (fatal).
 */
static int read_from_host(struct tcp_relay *r)
{
	size_t budget = TCP_RELAY_READ_BUDGET;

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
	return 0;
}

int tcp_relay_ready(struct tcp_relay *r, uint32_t events)
{
	int rc = 0;

	if (events & EPOLLOUT)
		rc = flush_to_host(r);
	if (!rc && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		rc = read_from_host(r);
	return rc;
}

int tcp_relay_pump(struct tcp_relay *r)
{
	int rc = 0;

	if (r->qlen)
		rc = flush_to_host(r);
	if (!rc && !r->host_eof && stage_flush(r) && tcp_sndbuf(r->pcb) > 0 &&
	    !(r->events & EPOLLIN))
		rc = read_from_host(r);
	if (rc < 0)
		return rc;
	if (r->output && r->pcb) {
		tcp_output(r->pcb);
		r->output = false;
	}
	return 0;
}

bool tcp_relay_progress_close(struct tcp_relay *r)
{
	if (r->guest_fin && !r->qlen && !r->host_shut && r->fd >= 0) {
		shutdown(r->fd, SHUT_WR);
		r->host_shut = true;
	}
	if (r->host_eof && r->stage_off >= r->stage_len && !r->lwip_shut && r->pcb) {
		if (tcp_shutdown(r->pcb, 0, 1) == ERR_OK) {
			r->lwip_shut = true;
			r->output = true;
		}
	}
	return r->host_shut && r->lwip_shut;
}

/* --- socket and PCB ----------------------------------------------------------------- */

uint32_t tcp_relay_want(const struct tcp_relay *r)
{
	uint32_t want = 0;

	if (!r->pcb)
		return 0;
	if (!r->host_eof && r->stage_off >= r->stage_len && tcp_sndbuf(r->pcb) > 0 &&
	    budget_room(r) > 0)
		want |= EPOLLIN;
	if (r->qlen)
		want |= EPOLLOUT;
	return want;
}

void tcp_relay_set_events(struct tcp_relay *r, uint32_t want, struct loop_ref *ref)
{
	if (r->fd < 0 || want == r->events)
		return;
	if (!r->events) {
		if (loop_add(&vg->loop, r->fd, want, ref) < 0)
			return;
	} else if (!want) {
		loop_del(&vg->loop, r->fd);
	} else {
		loop_mod(&vg->loop, r->fd, want, ref);
	}
	r->events = want;
}

void tcp_relay_close_fd(struct tcp_relay *r, bool reset)
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

void tcp_relay_drop(struct tcp_relay *r)
{
	struct tcp_relay_pool *pool = r->pool;

	/* lwIP frees or keeps (closing PCB) its buffers; either way they no
	 * longer count against the pool's budget. */
	if (pool) {
		pool->to_guest_total -= MIN(r->in_lwip, pool->to_guest_total);
		pool->to_host_total -= MIN(r->to_host, pool->to_host_total);
		unstarve(r);
	}
	r->in_lwip = r->to_host = 0;
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

void tcp_relay_detach_pcb(struct tcp_pcb *pcb)
{
	tcp_arg(pcb, NULL);
	tcp_recv(pcb, NULL);
	tcp_sent(pcb, NULL);
	tcp_err(pcb, NULL);
	tcp_poll(pcb, NULL, 0);
}
