// SPDX-License-Identifier: MIT
/*
 * gloop.c - epoll and signalfd for vgate-guest
 *
 * The reference stored with each fd is its kind (enum gloop_kind) in the
 * low 32 bits of epoll_data.u64. The signals the program reacts to are
 * blocked and read from a signalfd in the same loop, so no handler ever runs
 * asynchronously; SIGPIPE is ignored so that a peer closing a pipe or socket
 * shows up as EPIPE where the write is made.
 */
#include "gloop.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

/* A clock step or a far deadline never parks the loop for longer. */
#define GLOOP_WAIT_MAX_MS 60000

/* loop_signals() - the signals the loop reads from its signalfd */
static void loop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
}

int gloop_init(struct gloop *l)
{
	sigset_t set;
	int r;

	l->epfd = l->sigfd = -1;
	signal(SIGPIPE, SIG_IGN);
	loop_signals(&set);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (l->epfd < 0)
		return -errno;
	l->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (l->sigfd < 0) {
		r = -errno;
		gloop_fini(l);
		return r;
	}
	r = gloop_add(l, l->sigfd, EPOLLIN, GLOOP_SIGNAL);
	if (r < 0)
		gloop_fini(l);
	return r;
}

void gloop_fini(struct gloop *l)
{
	sigset_t set;

	if (l->sigfd >= 0)
		close(l->sigfd);
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = l->sigfd = -1;
	loop_signals(&set);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* ctl() - epoll_ctl with the kind as the reference */
static int ctl(struct gloop *l, int op, int fd, uint32_t events, enum gloop_kind kind)
{
	struct epoll_event ev = { .events = events, .data.u64 = (uint64_t)kind };

	if (epoll_ctl(l->epfd, op, fd, &ev) < 0)
		return -errno;
	return 0;
}

int gloop_add(struct gloop *l, int fd, uint32_t events, enum gloop_kind kind)
{
	return ctl(l, EPOLL_CTL_ADD, fd, events, kind);
}

int gloop_mod(struct gloop *l, int fd, uint32_t events, enum gloop_kind kind)
{
	return ctl(l, EPOLL_CTL_MOD, fd, events, kind);
}

void gloop_del(struct gloop *l, int fd)
{
	if (fd >= 0)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int gloop_timeout(uint64_t deadline, uint64_t now)
{
	if (deadline == GLOOP_NEVER)
		return -1;
	if (deadline <= now)
		return 0;
	if (deadline - now > GLOOP_WAIT_MAX_MS)
		return GLOOP_WAIT_MAX_MS;
	return (int)(deadline - now);
}

int gloop_read_signal(struct gloop *l)
{
	struct signalfd_siginfo si;
	ssize_t n = read(l->sigfd, &si, sizeof(si));

	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if ((size_t)n != sizeof(si))
		return -EIO;
	return (int)si.ssi_signo;
}
