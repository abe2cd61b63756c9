// SPDX-License-Identifier: MIT
/*
 * loop.c - epoll loop with a sorted timer list and a signalfd
 *
 * Each iteration: wait (timeout = earliest timer, or the extra source's
 * timeout, whichever is sooner), dispatch the batch, run expired timers, run
 * the idle hook (which flushes batched output), then free what handlers
 * closed. Timers are few (per-subsystem sweeps, reconnect backoffs), so a
 * sorted singly linked list is enough.
 */
#include "loop.h"

#include "util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define LOOP_EVENTS_MAX 128

int loop_init(struct loop *l)
{
	sigset_t set;
	int r;

	memset(l, 0, sizeof(*l));
	l->sigfd = -1;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0)
		return -errno;
	l->sigref.kind = REF_SIGNAL;
	r = loop_add(l, l->sigfd, EPOLLIN, &l->sigref);
	return r;
}

void loop_fini(struct loop *l)
{
	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->sigfd = l->epfd = -1;
}

int loop_add(struct loop *l, int fd, uint32_t events, struct loop_ref *ref)
{
	struct epoll_event ev = { .events = events, .data.ptr = ref };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int loop_mod(struct loop *l, int fd, uint32_t events, struct loop_ref *ref)
{
	struct epoll_event ev = { .events = events, .data.ptr = ref };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del(struct loop *l, int fd)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

void loop_timer_cancel(struct loop *l, struct loop_timer *t)
{
	struct loop_timer **pp;

	if (!t->armed)
		return;
	for (pp = &l->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = false;
	t->next = NULL;
}

void loop_timer_arm(struct loop *l, struct loop_timer *t, uint64_t delay_ms)
{
	struct loop_timer **pp;

	loop_timer_cancel(l, t);
	t->deadline = now_ms() + delay_ms;
	for (pp = &l->timers; *pp && (*pp)->deadline <= t->deadline; pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
	t->armed = true;
}

void loop_defer_free(struct loop *l, struct loop_deferred *d)
{
	d->next = l->graveyard;
	l->graveyard = d;
}

int loop_signal_read(struct loop *l)
{
	struct signalfd_siginfo si;
	ssize_t n = read(l->sigfd, &si, sizeof(si));

	return n == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}

void loop_quit(struct loop *l, int code)
{
	l->stop = true;
	l->exit_code = code;
}

static int next_timeout(struct loop *l, loop_timeout_fn extra)
{
	int t = -1;

	if (l->timers) {
		uint64_t now = now_ms();

		t = l->timers->deadline <= now ? 0 : (int)MIN(l->timers->deadline - now, 60000);
	}
	if (extra) {
		int e = extra();

		if (e >= 0 && (t < 0 || e < t))
			t = e;
	}
	return t;
}

static void run_timers(struct loop *l)
{
	uint64_t now = now_ms();

	while (l->timers && l->timers->deadline <= now) {
		struct loop_timer *t = l->timers;

		l->timers = t->next;
		t->next = NULL;
		t->armed = false;
		t->fn(t);
	}
}

void loop_run_graveyard(struct loop *l)
{
	while (l->graveyard) {
		struct loop_deferred *d = l->graveyard;

		l->graveyard = d->next;
		d->free_fn(d);
	}
}

int loop_run(struct loop *l, loop_dispatch_fn dispatch, loop_idle_fn idle, loop_timeout_fn timeout)
{
	struct epoll_event evs[LOOP_EVENTS_MAX];

	while (!l->stop) {
		int n = epoll_wait(l->epfd, evs, LOOP_EVENTS_MAX, next_timeout(l, timeout));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct loop_ref *ref = evs[i].data.ptr;

			if (!ref->dead)
				dispatch(ref, evs[i].events);
		}
		run_timers(l);
		if (idle)
			idle();
		loop_run_graveyard(l);
	}
	loop_run_graveyard(l);
	return l->exit_code;
}
