/* SPDX-License-Identifier: MIT */
/*
 * gloop.h - vgate-guest's event loop: one epoll set, typed references
 *
 * Every fd vgate-guest waits on is registered with the kind of thing it is;
 * the caller's dispatch is one switch on that kind. Each kind has at most
 * one fd at a time (one tap, one link, one API request in flight), so the
 * kind alone identifies it. Signals arrive through a signalfd (SIGTERM,
 * SIGINT, SIGHUP, SIGCHLD are blocked for normal delivery); timers are the
 * epoll timeout, computed by the caller from the earliest deadline of its
 * components.
 */
#ifndef VGATE_GLOOP_H
#define VGATE_GLOOP_H

#include <stdint.h>

enum gloop_kind {
	GLOOP_SIGNAL,
	GLOOP_TAP,
	GLOOP_LINK_RD,	 /* the link's read fd (the socket, or stdio's stdout pipe) */
	GLOOP_LINK_WR,	 /* stdio's stdin pipe (sockets use GLOOP_LINK_RD for both) */
	GLOOP_AGENT_API, /* the auto-forward agent's HTTP request */
};

/* Events handled per epoll_wait(). */
#define GLOOP_EVENTS_MAX 16
/* The "no deadline" value for deadlines in ms of CLOCK_MONOTONIC. */
#define GLOOP_NEVER UINT64_MAX

struct gloop {
	int epfd;
	int sigfd;
};

/*
 * gloop_init() - create the epoll set and the signalfd
 * Return: 0 or -errno.
 */
int gloop_init(struct gloop *l);

/* gloop_fini() - close both fds; restores the signal mask. */
void gloop_fini(struct gloop *l);

/*
 * gloop_add() - watch @fd for @events under @kind
 * Return: 0 or -errno.
 */
int gloop_add(struct gloop *l, int fd, uint32_t events, enum gloop_kind kind);

/*
 * gloop_mod() - change what @fd is watched for
 * Return: 0 or -errno.
 */
int gloop_mod(struct gloop *l, int fd, uint32_t events, enum gloop_kind kind);

/* gloop_del() - stop watching @fd (before closing it). */
void gloop_del(struct gloop *l, int fd);

/*
 * gloop_timeout() - the epoll timeout for a deadline
 * @deadline: ms of CLOCK_MONOTONIC, or GLOOP_NEVER
 * @now: the current time in the same clock
 * Return: -1 for GLOOP_NEVER, 0 when due, else the ms to wait (capped at
 * one minute, so a clock oddity can never park the loop for long).
 */
int gloop_timeout(uint64_t deadline, uint64_t now);

/*
 * gloop_read_signal() - read one signal from the signalfd
 * Return: the signal number, 0 when none is pending, or -errno.
 */
int gloop_read_signal(struct gloop *l);

#endif
