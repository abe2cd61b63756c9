/* SPDX-License-Identifier: MIT */
/*
 * qmp_client.h - a QMP client: handshake, commands with ids and timeouts,
 * events, for an event loop or for blocking use
 *
 * The client owns one stream socket to a QEMU monitor (-qmp
 * unix:PATH,server=on). It never blocks: the owner polls its fd for
 * qmp_client_want_write() and readability, calls qmp_client_io() when
 * the fd is ready and qmp_client_tick() when qmp_client_deadline() has
 * passed. Blocking programs use qmp_client_wait_ready(),
 * qmp_client_execute_sync() and qmp_client_run(), which do exactly that
 * with poll().
 *
 * Callbacks (events, replies, state changes) run inside qmp_client_io(),
 * qmp_client_tick() or qmp_client_free(). They may call
 * qmp_client_execute() and qmp_client_close(), but never
 * qmp_client_free() on the client that called them.
 *
 * Once CLOSED, the client does nothing more; its fd stays open (so an
 * epoll owner can remove it first) until qmp_client_free().
 */
#ifndef VGATE_QMP_CLIENT_H
#define VGATE_QMP_CLIENT_H

#include "qmp_wire.h"

#include <stdbool.h>
#include <stdint.h>

/* Commands in flight at once (QEMU itself queues only a few). */
#define QMP_PENDING_MAX 16
/* Command bytes queued but not yet written. */
#define QMP_OUTPUT_MAX (256 * 1024)
/* Bytes asked of one read(); at most QMP_READS_PER_IO reads per qmp_client_io(). */
#define QMP_READ_CHUNK 65536
#define QMP_READS_PER_IO 8
/* Default bound on connect + greeting + qmp_capabilities. */
#define QMP_HANDSHAKE_MS_DEFAULT 10000
/* Longest text kept for qmp_client_error(). */
#define QMP_ERROR_MAX 256

enum qmp_state {
	QMP_STATE_CONNECTING,  /* non-blocking connect() in progress */
	QMP_STATE_GREETING,    /* connected; the server's greeting has not arrived */
	QMP_STATE_NEGOTIATING, /* qmp_capabilities sent; its answer has not arrived */
	QMP_STATE_READY,       /* commands may be sent; events are delivered */
	QMP_STATE_CLOSED,      /* failed or closed: qmp_client_error() says why */
};

struct qmp_client;

/*
 * qmp_reply_fn - a command's outcome, called exactly once per accepted command
 * @reply: the answer (RETURN or ERROR) or NULL when there is none; the
 *	callback may keep its tree with qmp_msg_take()
 * @err: 0 (RETURN); -EREMOTEIO (ERROR: reply->err_class, reply->err_desc);
 *	-ETIMEDOUT (no answer in time; a late answer is ignored); the
 *	connection's error when it closed first; -ECANCELED (qmp_client_free()).
 */
typedef void (*qmp_reply_fn)(struct qmp_client *c, struct qmp_msg *reply, int err, void *ud);

struct qmp_client_ops {
	/* An asynchronous event (READY only). May be NULL. */
	void (*event)(struct qmp_client *c, struct qmp_msg *ev, void *ud);
	/* The client entered READY or CLOSED. May be NULL. */
	void (*state)(struct qmp_client *c, enum qmp_state st, void *ud);
};

/*
 * qmp_client_connect() - start connecting to the unix socket @path
 * @handshake_ms: bound on connect, greeting and capabilities negotiation
 *	(0: QMP_HANDSHAKE_MS_DEFAULT)
 * Return: 0 with the client in *@out (CONNECTING or GREETING); -errno of
 * socket()/connect() (-ENOENT, -ECONNREFUSED, -EAGAIN: the listener's
 * backlog is full); -ENAMETOOLONG (does not fit sun_path); -ENOMEM.
 */
int qmp_client_connect(const char *path, const struct qmp_client_ops *ops, void *ud,
		       unsigned handshake_ms, struct qmp_client **out);

/*
 * qmp_client_new() - a client on an already connected stream socket @fd
 * (taken over: made non-blocking, closed by qmp_client_free()); it starts
 * in GREETING. Tests use it with one end of a socketpair.
 * Return: 0 or -ENOMEM (@fd is closed then).
 */
int qmp_client_new(int fd, const struct qmp_client_ops *ops, void *ud, unsigned handshake_ms,
		   struct qmp_client **out);

/* qmp_client_free() - fail what is pending with -ECANCELED, close the fd, free. */
void qmp_client_free(struct qmp_client *c);

/*
 * qmp_client_close() - give up the connection: pending commands fail with
 * @err, the state callback sees CLOSED, qmp_client_error() returns @why.
 * Does nothing when already CLOSED.
 */
void qmp_client_close(struct qmp_client *c, int err, const char *why);

int qmp_client_fd(const struct qmp_client *c);
enum qmp_state qmp_client_state(const struct qmp_client *c);
/* Why the client closed ("" before), and the matching -errno (0 before). */
const char *qmp_client_error(const struct qmp_client *c);
int qmp_client_errno(const struct qmp_client *c);
/* The greeting's QEMU version (-1 each before it arrived or when absent). */
void qmp_client_version(const struct qmp_client *c, int *major, int *minor, int *micro);
/* Answers that matched no command in flight (late or foreign), ignored. */
uint64_t qmp_client_unmatched(const struct qmp_client *c);

/* Should the owner wait for the fd to become writable (connecting, or output queued)? */
bool qmp_client_want_write(const struct qmp_client *c);

/*
 * qmp_client_io() - the fd is readable and/or writable (or had an error):
 * finish connecting, write queued commands, read and dispatch messages.
 * Reads at most QMP_READS_PER_IO chunks, so one busy monitor cannot hold
 * a loop for long (level-triggered polling calls again).
 */
void qmp_client_io(struct qmp_client *c);

/*
 * qmp_client_deadline() - the earliest handshake or command deadline, in
 * now_ms() time, or 0 when nothing is timed
 */
uint64_t qmp_client_deadline(const struct qmp_client *c);

/* qmp_client_tick() - fail what has timed out by @now (now_ms() time). */
void qmp_client_tick(struct qmp_client *c, uint64_t now);

/*
 * qmp_client_execute() - queue command @name with @args (NULL or the text
 * of a JSON object, see qmp_args.h)
 * @timeout_ms: how long to wait for the answer (at least 1)
 * @fn: called once with the outcome (see qmp_reply_fn); may be NULL
 *
 * Return: 0 (accepted: @fn will be called); -ENOTCONN (not READY);
 * -EINVAL (a bad name or arguments); -EBUSY (QMP_PENDING_MAX in flight);
 * -ENOBUFS (QMP_OUTPUT_MAX queued); -E2BIG; -ENOMEM.
 */
int qmp_client_execute(struct qmp_client *c, const char *name, const char *args,
		       unsigned timeout_ms, qmp_reply_fn fn, void *ud);

/* --- blocking use (vgatectl) ------------------------------------------------ */

/*
 * qmp_client_run() - poll and dispatch until *@done is true
 * @done: NULL to run until READY (or CLOSED)
 * @timeout_ms: overall bound
 * Return: 0 (done); -ETIMEDOUT; the client's error when it closed first.
 */
int qmp_client_run(struct qmp_client *c, const bool *done, int timeout_ms);

/* qmp_client_wait_ready() - run until READY. Return: as qmp_client_run(). */
int qmp_client_wait_ready(struct qmp_client *c, int timeout_ms);

/* struct qmp_result - what qmp_client_execute_sync() got back */
struct qmp_result {
	yajl_val root;	/* the whole answer (NULL without one); qmp_result_free() */
	yajl_val value; /* its "return" value, inside root (NULL on error) */
	char err_class[QMP_CLASS_MAX];
	char err_desc[QMP_DESC_MAX];
};

/*
 * qmp_client_execute_sync() - execute and wait for the outcome
 * Return: 0 (@res->value is the return value); -EREMOTEIO (QEMU answered an
 * error: @res->err_class, @res->err_desc); -ETIMEDOUT; the connection's
 * error; or a qmp_client_execute() error. @res is always initialised.
 */
int qmp_client_execute_sync(struct qmp_client *c, const char *name, const char *args,
			    unsigned timeout_ms, struct qmp_result *res);

void qmp_result_free(struct qmp_result *res);

#endif
