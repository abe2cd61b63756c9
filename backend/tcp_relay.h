/* SPDX-License-Identifier: MIT */
/*
 * tcp_relay.h - bytes between one lwIP PCB and one host stream socket
 *
 * The relaying rules shared by guest flows (tcp_flow.c) and the gateway's
 * own connections (forward_relay.c); see tcp_relay.c.
 */
#ifndef VGATE_TCP_RELAY_H
#define VGATE_TCP_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pbuf;
struct tcp_pcb;
struct loop_ref;
struct tcp_relay;

/*
 * A family of relays sharing one memory budget (each direction) and one
 * set of counters. @wake asks the owner to run the relay's flush pass soon
 * (its "mark dirty").
 */
struct tcp_relay_pool {
	size_t budget;
	size_t min_chunk; /* what a relay with nothing queued may still move */
	void (*wake)(struct tcp_relay *r);
	/* the owner's counters: bytes each way, waits for the budget */
	uint64_t *to_host_bytes, *to_guest_bytes, *throttled;
	/* private */
	size_t to_guest_total, to_host_total;
	struct tcp_relay *starved;
};

struct tcp_relay {
	struct tcp_relay_pool *pool;
	struct tcp_pcb *pcb;
	int fd;
	uint32_t events;  /* what the loop watches on fd */
	uint64_t born_ms; /* for ages in /v1/flows */
	uint64_t to_host_bytes, to_guest_bytes;
	bool guest_fin, host_eof, host_shut, lwip_shut;
	bool output; /* lwIP has something to send: tcp_output() in the flush pass */
	/* private */
	bool starved;
	struct tcp_relay *snext;
	/* guest -> host: queued pbuf chains (a ring, grown by doubling) */
	struct pbuf **q;
	unsigned qhead, qlen, qcap;
	size_t qoff; /* bytes of the head chain already written */
	/* host -> guest: bytes read but not taken by tcp_write */
	uint8_t *stage;
	size_t stage_len, stage_off;
	size_t in_lwip; /* host bytes in lwIP, not yet acknowledged by the guest */
	size_t to_host; /* guest bytes queued for the host socket */
};

/* Start relaying for @fd (the PCB comes later, in r->pcb). */
void tcp_relay_init(struct tcp_relay *r, struct tcp_relay_pool *pool, int fd);

/*
 * tcp_relay_recv() - lwIP delivered @p (not NULL) from the guest
 * Return: ERR_OK (queued), or ERR_MEM: lwIP keeps @p and offers it again
 * (the pool is over budget and this relay already has data waiting).
 */
int8_t tcp_relay_recv(struct tcp_relay *r, struct pbuf *p);

/* The guest acknowledged @len bytes: budget back, starved relays woken. */
void tcp_relay_sent(struct tcp_relay *r, uint16_t len);

/*
 * tcp_relay_pump() - one flush pass: write queued guest bytes to the host,
 * retry staged bytes, read the host while lwIP has room (unless the loop
 * will report it readable anyway), and tcp_output() what was queued.
 * Return: 0, or -errno: the host socket failed (the owner resets).
 */
int tcp_relay_pump(struct tcp_relay *r);

/* The host socket is ready (@events from epoll). Return: 0 or -errno. */
int tcp_relay_ready(struct tcp_relay *r, uint32_t events);

/*
 * tcp_relay_progress_close() - pass each half-close on once its queue is
 * empty (guest FIN -> shutdown(SHUT_WR); host EOF -> tcp_shutdown(TX)).
 * Return: true when both directions are done.
 */
bool tcp_relay_progress_close(struct tcp_relay *r);

/* The epoll events a relay in the open state needs. */
uint32_t tcp_relay_want(const struct tcp_relay *r);

/* Watch @want on r->fd for @ref (add, modify or remove). */
void tcp_relay_set_events(struct tcp_relay *r, uint32_t want, struct loop_ref *ref);

/* Close the host socket; @reset: with RST (SO_LINGER 0). */
void tcp_relay_close_fd(struct tcp_relay *r, bool reset);

/* Free the queues and give their bytes back to the pool's budget. */
void tcp_relay_drop(struct tcp_relay *r);

/* Clear every lwIP callback of @pcb. */
void tcp_relay_detach_pcb(struct tcp_pcb *pcb);

#endif
