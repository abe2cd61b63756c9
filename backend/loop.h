/* SPDX-License-Identifier: MIT */
/*
 * loop.h - vgate's one event loop: epoll, typed references, timers, signals
 *
 * Every fd is registered with a pointer to a struct loop_ref embedded in the
 * object that owns the fd; the ref's kind says what the object is, and the
 * dispatcher (one switch, in main.c) turns the ref back into the object with
 * container_of(). Timers are a sorted list driving epoll_wait's timeout;
 * signals arrive through a signalfd like any other fd.
 *
 * Objects closed while handling an event may still have events pending in
 * the same epoll batch. They are therefore never freed inside a handler:
 * closing marks the ref dead and queues the object with loop_defer_free();
 * the loop skips dead refs and frees queued objects after the batch.
 */
#ifndef VGATE_LOOP_H
#define VGATE_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

enum ref_kind {
	REF_SIGNAL,
	REF_LISTENER,	  /* accepting socket of a transport */
	REF_PORT,	  /* a switch port's connection */
	REF_PORT_HTTP,	  /* accepted API connection, request head not read yet */
	REF_CLIENT,	  /* outgoing connect (--connect-qemu) in progress */
	REF_NOTIFY,	  /* -notification socket */
	REF_DNS_UPSTREAM, /* a forwarded DNS query's upstream socket */
	REF_UDP_FLOW,	  /* a guest UDP flow's host socket */
	REF_ICMP_SOCK,	  /* a ping socket relaying guest echo requests */
	REF_TCP_FLOW,	  /* a guest TCP flow's host socket */
	REF_API,	  /* libmicrohttpd's epoll fd (api.c) */
	REF_FWD_LISTENER, /* a tcp or unix port forward's listening socket */
	REF_FWD_UDP,	  /* a udp port forward's socket */
	REF_FWD_CONN,	  /* a forwarded connection's host socket (forward_relay.c) */
	REF_QMP,	  /* --qmp: the QEMU monitor connection (qmp_follow.c) */
	REF_TAP_PORT,	  /* a tap's AF_PACKET socket, a switch port (packet_port.c) */
	REF_KIND_MAX,
};

struct loop_ref {
	enum ref_kind kind;
	bool dead;
};

struct loop_timer;
typedef void (*loop_timer_fn)(struct loop_timer *t);

struct loop_timer {
	uint64_t deadline; /* now_ms() value */
	loop_timer_fn fn;
	struct loop_timer *next;
	bool armed;
};

struct loop_deferred {
	struct loop_deferred *next;
	void (*free_fn)(struct loop_deferred *d);
};

typedef void (*loop_dispatch_fn)(struct loop_ref *ref, uint32_t events);
/* Called once per iteration after the batch: flush queued output etc. */
typedef void (*loop_idle_fn)(void);
/* Extra timeout source (ms, or -1 for none), e.g. lwIP's timers. */
typedef int (*loop_timeout_fn)(void);

struct loop {
	int epfd;
	int sigfd;
	struct loop_ref sigref;
	struct loop_timer *timers;
	struct loop_deferred *graveyard;
	bool stop;
	int exit_code;
};

/*
 * loop_init() - create the epoll set and a signalfd for SIGTERM, SIGINT,
 * SIGHUP and SIGCHLD (blocked for normal delivery); SIGPIPE is ignored
 * Return: 0 or -errno.
 */
int loop_init(struct loop *l);
void loop_fini(struct loop *l);

int loop_add(struct loop *l, int fd, uint32_t events, struct loop_ref *ref);
int loop_mod(struct loop *l, int fd, uint32_t events, struct loop_ref *ref);
void loop_del(struct loop *l, int fd);

/* Arm @t to fire @delay_ms from now (re-arming moves it). */
void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t delay_ms);
void loop_timer_cancel(struct loop *l, struct loop_timer *t);

/* Free @d (via its free_fn) once the current epoll batch is done. */
void loop_defer_free(struct loop *l, struct loop_deferred *d);

/* Free everything loop_defer_free() queued (also done after each batch). */
void loop_run_graveyard(struct loop *l);

/* Read one pending signal from the signalfd. Return: signal number or 0. */
int loop_signal_read(struct loop *l);

/* Run until loop_quit(). Return: the exit code given to loop_quit(). */
int loop_run(struct loop *l, loop_dispatch_fn dispatch, loop_idle_fn idle, loop_timeout_fn timeout);
void loop_quit(struct loop *l, int code);

#endif
