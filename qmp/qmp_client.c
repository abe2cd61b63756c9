// SPDX-License-Identifier: MIT
/*
 * qmp_client.c - a QMP client for an event loop or for blocking use
 *
 * Theory of operation
 *
 * States (enum qmp_state), each with what holds in it:
 *
 *   CONNECTING   connect() returned EINPROGRESS; nothing is read or sent.
 *                Next: GREETING when the socket is writable and SO_ERROR
 *                is 0, CLOSED otherwise.
 *   GREETING     connected; the first message must be the greeting
 *                {"QMP": {"version": ..., "capabilities": [...]}}. On it
 *                qmp_capabilities is queued (with an id like any command)
 *                and the state moves on; any other message is an error.
 *   NEGOTIATING  the only answer that matters is qmp_capabilities'. Its
 *                return moves to READY, its error closes the client.
 *                QEMU sends no events before this point; stray ones are
 *                ignored.
 *   READY        commands are accepted (qmp_client_execute()); answers are
 *                matched to them by id, in whatever order they come;
 *                events go to ops->event as they come, between answers.
 *   CLOSED       terminal. Every command in flight has been failed with
 *                the closing error, ops->state has been told, nothing is
 *                read or written. The fd stays open until qmp_client_free()
 *                so an epoll owner can remove it before it is closed.
 *
 * CONNECTING, GREETING and NEGOTIATING share one deadline (the handshake
 * bound given at creation). In READY each command has its own. Timed-out
 * commands are failed with -ETIMEDOUT and forgotten; if their answer
 * comes later it matches nothing and is counted as unmatched, which is
 * also what happens to answers carrying an id this client never sent.
 *
 * Input: bytes are read into one buffer, qmp_scan() (qmp_wire.c) finds
 * complete messages in it, each is parsed, classified and dispatched, and
 * consumed bytes are dropped from the front once per read. The scanner
 * bounds a message to QMP_MESSAGE_MAX while it arrives and lets whitespace
 * between messages be dropped, so the buffer never holds more than one
 * message plus one read. Garbage between messages, invalid JSON, a message
 * that is too large or too deep, a second greeting, or EOF (with or
 * without half a message) close the client with a sentence saying which.
 *
 * Output: commands are built whole (qmp_command_build()) and appended to
 * one buffer bounded by QMP_OUTPUT_MAX, written whenever the socket
 * accepts bytes (send() with MSG_NOSIGNAL: a vanished peer is an error,
 * not a signal).
 *
 * The client never blocks and never sleeps; the blocking helpers at the
 * end wrap the same calls in poll(), with one overall deadline each.
 */
#include "qmp_client.h"

#include "log.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define COMP "qmp"
/* How much of a message a debug line shows. */
#define TRACE_MAX 200

struct qmp_pending {
	bool used;
	uint64_t id;
	uint64_t deadline;
	qmp_reply_fn fn;
	void *ud;
	char name[QMP_NAME_MAX + 1];
};

struct qmp_client {
	int fd;
	enum qmp_state state;
	int err;
	char error[QMP_ERROR_MAX];
	const struct qmp_client_ops *ops;
	void *ud;
	unsigned handshake_ms;
	uint64_t handshake_deadline;
	uint64_t caps_id; /* id of qmp_capabilities */
	uint64_t next_id;
	int ver_major, ver_minor, ver_micro;
	uint64_t unmatched;
	unsigned dispatching; /* depth of callbacks running (free is not allowed then) */

	char *in; /* received, not yet consumed; always one spare byte */
	size_t in_len, in_cap;
	struct qmp_scanner scan;

	char *out; /* queued commands; out[out_off, out_len) not yet written */
	size_t out_len, out_off;

	struct qmp_pending pending[QMP_PENDING_MAX];
	unsigned npending;
};

static __attribute__((format(printf, 3, 4))) void fail(struct qmp_client *c, int err,
						       const char *fmt, ...)
{
	char why[QMP_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	qmp_client_close(c, err, why);
}

static void notify_state(struct qmp_client *c)
{
	if (!c->ops || !c->ops->state)
		return;
	c->dispatching++;
	c->ops->state(c, c->state, c->ud);
	c->dispatching--;
}

/* Take @p out of the table and run its callback. */
static void complete(struct qmp_client *c, struct qmp_pending *p, struct qmp_msg *reply, int err)
{
	qmp_reply_fn fn = p->fn;
	void *ud = p->ud;

	p->used = false;
	c->npending--;
	if (!fn)
		return;
	c->dispatching++;
	fn(c, reply, err, ud);
	c->dispatching--;
}

void qmp_client_close(struct qmp_client *c, int err, const char *why)
{
	if (c->state == QMP_STATE_CLOSED)
		return;
	c->state = QMP_STATE_CLOSED;
	c->err = err < 0 ? err : -ECONNRESET;
	snprintf(c->error, sizeof(c->error), "%s", why && *why ? why : strerror(-c->err));
	log_debug(COMP, "closed: %s", c->error);
	for (unsigned i = 0; i < QMP_PENDING_MAX; i++)
		if (c->pending[i].used)
			complete(c, &c->pending[i], NULL, c->err);
	notify_state(c);
}

static struct qmp_client *client_alloc(int fd, const struct qmp_client_ops *ops, void *ud,
				       unsigned handshake_ms)
{
	struct qmp_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->in_cap = 4096;
	c->in = malloc(c->in_cap);
	if (!c->in) {
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->ops = ops;
	c->ud = ud;
	c->handshake_ms = handshake_ms ? handshake_ms : QMP_HANDSHAKE_MS_DEFAULT;
	c->handshake_deadline = now_ms() + c->handshake_ms;
	c->next_id = 1;
	c->ver_major = c->ver_minor = c->ver_micro = -1;
	qmp_scanner_init(&c->scan);
	return c;
}

int qmp_client_new(int fd, const struct qmp_client_ops *ops, void *ud, unsigned handshake_ms,
		   struct qmp_client **out)
{
	struct qmp_client *c;

	if (fd_set_nonblock(fd) < 0 || !(c = client_alloc(fd, ops, ud, handshake_ms))) {
		close(fd);
		return -ENOMEM;
	}
	c->state = QMP_STATE_GREETING;
	*out = c;
	return 0;
}

int qmp_client_connect(const char *path, const struct qmp_client_ops *ops, void *ud,
		       unsigned handshake_ms, struct qmp_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qmp_client *c;
	size_t n = strlen(path);
	int fd, r;

	if (n == 0 || n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno != EINPROGRESS) {
		r = -errno;
		close(fd);
		return r;
	}
	c = client_alloc(fd, ops, ud, handshake_ms);
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->state = r < 0 ? QMP_STATE_CONNECTING : QMP_STATE_GREETING;
	*out = c;
	return 0;
}

void qmp_client_free(struct qmp_client *c)
{
	if (!c)
		return;
	assert(!c->dispatching);
	for (unsigned i = 0; i < QMP_PENDING_MAX; i++)
		if (c->pending[i].used)
			complete(c, &c->pending[i], NULL, -ECANCELED);
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	free(c);
}

int qmp_client_fd(const struct qmp_client *c)
{
	return c->fd;
}

enum qmp_state qmp_client_state(const struct qmp_client *c)
{
	return c->state;
}

const char *qmp_client_error(const struct qmp_client *c)
{
	return c->error;
}

int qmp_client_errno(const struct qmp_client *c)
{
	return c->err;
}

void qmp_client_version(const struct qmp_client *c, int *major, int *minor, int *micro)
{
	*major = c->ver_major;
	*minor = c->ver_minor;
	*micro = c->ver_micro;
}

uint64_t qmp_client_unmatched(const struct qmp_client *c)
{
	return c->unmatched;
}

bool qmp_client_want_write(const struct qmp_client *c)
{
	return c->state == QMP_STATE_CONNECTING ||
	       (c->state != QMP_STATE_CLOSED && c->out_off < c->out_len);
}

/* --- output ------------------------------------------------------------------ */

/* Queue @len bytes of @text. Return: 0 or -ENOBUFS / -ENOMEM. */
static int queue(struct qmp_client *c, const char *text, size_t len)
{
	size_t queued = c->out_len - c->out_off;
	char *grown;

	if (len > QMP_OUTPUT_MAX - queued)
		return -ENOBUFS;
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, queued);
		c->out_len = queued;
		c->out_off = 0;
	}
	grown = realloc(c->out, c->out_len + len);
	if (!grown)
		return -ENOMEM;
	c->out = grown;
	memcpy(c->out + c->out_len, text, len);
	c->out_len += len;
	return 0;
}

static void flush(struct qmp_client *c)
{
	while (c->state != QMP_STATE_CLOSED && c->state != QMP_STATE_CONNECTING &&
	       c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				fail(c, -errno, "cannot write to the QMP socket: %s",
				     strerror(errno));
			return;
		}
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
}

/* --- input ------------------------------------------------------------------- */

static const char *type_name(enum qmp_msg_type t)
{
	switch (t) {
	case QMP_MSG_GREETING:
		return "a greeting";
	case QMP_MSG_RETURN:
		return "a return";
	case QMP_MSG_ERROR:
		return "an error";
	case QMP_MSG_EVENT:
		return "an event";
	}
	return "a message";
}

static struct qmp_pending *find_pending(struct qmp_client *c, const struct qmp_msg *m)
{
	if (!m->has_id)
		return NULL;
	for (unsigned i = 0; i < QMP_PENDING_MAX; i++)
		if (c->pending[i].used && c->pending[i].id == m->id)
			return &c->pending[i];
	return NULL;
}

static void on_greeting(struct qmp_client *c, const struct qmp_msg *m)
{
	char *cmd;
	size_t len;
	int r;

	c->ver_major = m->ver_major;
	c->ver_minor = m->ver_minor;
	c->ver_micro = m->ver_micro;
	c->caps_id = c->next_id++;
	r = qmp_command_build("qmp_capabilities", NULL, c->caps_id, &cmd, &len);
	if (r == 0) {
		r = queue(c, cmd, len);
		free(cmd);
	}
	if (r < 0) {
		fail(c, r, "cannot queue qmp_capabilities: %s", strerror(-r));
		return;
	}
	c->state = QMP_STATE_NEGOTIATING;
}

static void on_negotiating(struct qmp_client *c, const struct qmp_msg *m)
{
	switch (m->type) {
	case QMP_MSG_GREETING:
		fail(c, -EPROTO, "the QMP peer sent a second greeting");
		return;
	case QMP_MSG_EVENT:
		log_debug(COMP, "event %s before qmp_capabilities completed: ignored", m->event);
		return;
	case QMP_MSG_RETURN:
	case QMP_MSG_ERROR:
		break;
	}
	if (!m->has_id || m->id != c->caps_id) {
		c->unmatched++;
		return;
	}
	if (m->type == QMP_MSG_ERROR) {
		fail(c, -EREMOTEIO, "qmp_capabilities refused: %s: %s", m->err_class, m->err_desc);
		return;
	}
	c->state = QMP_STATE_READY;
	notify_state(c);
}

static void on_ready(struct qmp_client *c, struct qmp_msg *m)
{
	struct qmp_pending *p;

	switch (m->type) {
	case QMP_MSG_GREETING:
		fail(c, -EPROTO, "the QMP peer sent a second greeting");
		return;
	case QMP_MSG_EVENT:
		if (c->ops && c->ops->event) {
			c->dispatching++;
			c->ops->event(c, m, c->ud);
			c->dispatching--;
		}
		return;
	case QMP_MSG_RETURN:
	case QMP_MSG_ERROR:
		break;
	}
	p = find_pending(c, m);
	if (!p) {
		c->unmatched++;
		log_debug(COMP, "an answer that matches no command in flight: ignored");
		return;
	}
	complete(c, p, m, m->type == QMP_MSG_ERROR ? -EREMOTEIO : 0);
}

/* One complete message at @text (@len bytes; text[len] is writable). */
static void handle_message(struct qmp_client *c, char *text, size_t len)
{
	char err[QMP_ERROR_MAX - 64];
	struct qmp_msg m;
	int r;

	log_debug(COMP, "<- %.*s%s", (int)MIN(len, TRACE_MAX), text, len > TRACE_MAX ? "..." : "");
	r = qmp_msg_parse(text, len, &m, err, sizeof(err));
	if (r == -ENOMEM) {
		fail(c, r, "out of memory parsing a QMP message of %zu bytes", len);
		return;
	}
	if (r < 0) {
		fail(c, -EPROTO, "the QMP peer sent %s", err);
		return;
	}
	switch (c->state) {
	case QMP_STATE_GREETING:
		if (m.type != QMP_MSG_GREETING)
			fail(c, -EPROTO, "the QMP peer sent %s where the greeting belongs",
			     type_name(m.type));
		else
			on_greeting(c, &m);
		break;
	case QMP_STATE_NEGOTIATING:
		on_negotiating(c, &m);
		break;
	case QMP_STATE_READY:
		on_ready(c, &m);
		break;
	case QMP_STATE_CONNECTING:
	case QMP_STATE_CLOSED:
		break;
	}
	qmp_msg_free(&m);
}

/* Dispatch every complete message in the buffer, then drop what was used. */
static void process(struct qmp_client *c)
{
	size_t consumed = 0, start, end;

	while (c->state != QMP_STATE_CLOSED) {
		int r = qmp_scan(&c->scan, c->in, c->in_len, &start, &end);

		if (r == 0) {
			consumed = start;
			break;
		}
		if (r == -EPROTO) {
			unsigned char b = (unsigned char)c->in[start];

			fail(c, r, "the QMP peer sent garbage between messages (byte 0x%02x)", b);
		} else if (r == -E2BIG) {
			fail(c, r, "the QMP peer sent a message larger than %u bytes",
			     QMP_MESSAGE_MAX);
		} else if (r == -ELOOP) {
			fail(c, r, "the QMP peer sent a message nested deeper than %d",
			     QMP_DEPTH_MAX);
		} else {
			handle_message(c, c->in + start, end - start);
			consumed = end;
			continue;
		}
		return;
	}
	if (c->state == QMP_STATE_CLOSED || !consumed)
		return;
	memmove(c->in, c->in + consumed, c->in_len - consumed);
	c->in_len -= consumed;
	qmp_scanner_drop(&c->scan, consumed);
}

/* Room for one more read (plus the spare byte qmp_msg_parse() writes). */
static int grow_input(struct qmp_client *c)
{
	size_t want = c->in_len + QMP_READ_CHUNK + 1, cap = c->in_cap;
	char *grown;

	if (cap >= want)
		return 0;
	while (cap < want)
		cap *= 2;
	grown = realloc(c->in, cap);
	if (!grown)
		return -ENOMEM;
	c->in = grown;
	c->in_cap = cap;
	return 0;
}

static void read_input(struct qmp_client *c)
{
	for (int i = 0; i < QMP_READS_PER_IO && c->state != QMP_STATE_CLOSED; i++) {
		ssize_t n;

		if (grow_input(c) < 0) {
			fail(c, -ENOMEM, "out of memory reading from the QMP socket");
			return;
		}
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				fail(c, -errno, "cannot read from the QMP socket: %s",
				     strerror(errno));
			return;
		}
		if (n == 0) {
			if (c->scan.in_msg)
				fail(c, -ECONNRESET,
				     "the QMP peer closed the connection in the middle of a "
				     "message (%zu bytes received)",
				     c->in_len - c->scan.start);
			else
				fail(c, -ECONNRESET, "the QMP peer closed the connection");
			return;
		}
		c->in_len += (size_t)n;
		process(c);
	}
}

static void finish_connect(struct qmp_client *c)
{
	int r = 0;
	socklen_t len = sizeof(r);
	struct sockaddr_un peer;
	socklen_t plen = sizeof(peer);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &r, &len) < 0)
		r = errno;
	if (r) {
		fail(c, -r, "cannot connect to the QMP socket: %s", strerror(r));
		return;
	}
	if (getpeername(c->fd, (struct sockaddr *)&peer, &plen) < 0)
		return; /* still in progress */
	c->state = QMP_STATE_GREETING;
}

void qmp_client_io(struct qmp_client *c)
{
	if (c->state == QMP_STATE_CONNECTING)
		finish_connect(c);
	if (c->state == QMP_STATE_CONNECTING || c->state == QMP_STATE_CLOSED)
		return;
	flush(c);
	read_input(c);
	/* Callbacks may have queued commands: send them now if the socket takes them. */
	flush(c);
}

/* --- time -------------------------------------------------------------------- */

static bool in_handshake(const struct qmp_client *c)
{
	return c->state == QMP_STATE_CONNECTING || c->state == QMP_STATE_GREETING ||
	       c->state == QMP_STATE_NEGOTIATING;
}

uint64_t qmp_client_deadline(const struct qmp_client *c)
{
	uint64_t d = 0;

	if (c->state == QMP_STATE_CLOSED)
		return 0;
	if (in_handshake(c))
		d = c->handshake_deadline;
	for (unsigned i = 0; i < QMP_PENDING_MAX; i++)
		if (c->pending[i].used && (!d || c->pending[i].deadline < d))
			d = c->pending[i].deadline;
	return d;
}

void qmp_client_tick(struct qmp_client *c, uint64_t now)
{
	bool again = true;

	if (in_handshake(c) && now >= c->handshake_deadline) {
		if (c->state == QMP_STATE_CONNECTING)
			fail(c, -ETIMEDOUT, "could not connect to the QMP socket within %u ms",
			     c->handshake_ms);
		else if (c->state == QMP_STATE_GREETING)
			fail(c, -ETIMEDOUT,
			     "no QMP greeting within %u ms (QEMU serves one client at a time "
			     "on each -qmp socket: is another client connected?)",
			     c->handshake_ms);
		else
			fail(c, -ETIMEDOUT, "no answer to qmp_capabilities within %u ms",
			     c->handshake_ms);
		return;
	}
	/* A callback may close the client or add commands: rescan after each. */
	while (again && c->state == QMP_STATE_READY) {
		again = false;
		for (unsigned i = 0; i < QMP_PENDING_MAX; i++) {
			struct qmp_pending *p = &c->pending[i];

			if (!p->used || now < p->deadline)
				continue;
			log_debug(COMP, "%s (id %llu): no answer in time", p->name,
				  (unsigned long long)p->id);
			complete(c, p, NULL, -ETIMEDOUT);
			again = true;
			break;
		}
	}
}

/* --- commands ------------------------------------------------------------------ */

int qmp_client_execute(struct qmp_client *c, const char *name, const char *args,
		       unsigned timeout_ms, qmp_reply_fn fn, void *ud)
{
	struct qmp_pending *p = NULL;
	char *cmd;
	size_t len;
	int r;

	if (c->state != QMP_STATE_READY)
		return -ENOTCONN;
	if (c->npending >= QMP_PENDING_MAX)
		return -EBUSY;
	for (unsigned i = 0; i < QMP_PENDING_MAX && !p; i++)
		if (!c->pending[i].used)
			p = &c->pending[i];
	assert(p);
	r = qmp_command_build(name, args, c->next_id, &cmd, &len);
	if (r < 0)
		return r;
	log_debug(COMP, "-> %.*s%s", (int)MIN(len - 1, TRACE_MAX), cmd,
		  len - 1 > TRACE_MAX ? "..." : "");
	r = queue(c, cmd, len);
	free(cmd);
	if (r < 0)
		return r;
	*p = (struct qmp_pending){
		.used = true,
		.id = c->next_id++,
		.deadline = now_ms() + MAX(timeout_ms, 1u),
		.fn = fn,
		.ud = ud,
	};
	snprintf(p->name, sizeof(p->name), "%s", name);
	c->npending++;
	return 0;
}

/* --- blocking use ---------------------------------------------------------------- */

int qmp_client_run(struct qmp_client *c, const bool *done, int timeout_ms)
{
	uint64_t deadline = now_ms() + (uint64_t)MAX(timeout_ms, 0);

	assert(!c->dispatching);
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		uint64_t now = now_ms(), d, wait;

		if (done ? *done : c->state == QMP_STATE_READY)
			return 0;
		if (c->state == QMP_STATE_CLOSED)
			return c->err;
		if (now >= deadline)
			return -ETIMEDOUT;
		wait = deadline - now;
		d = qmp_client_deadline(c);
		if (d)
			wait = MIN(wait, d > now ? d - now : 0);
		if (qmp_client_want_write(c))
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, (int)MIN(wait, (uint64_t)INT32_MAX)) < 0) {
			if (errno == EINTR)
				continue;
			fail(c, -errno, "poll: %s", strerror(errno));
			continue;
		}
		if (pfd.revents)
			qmp_client_io(c);
		qmp_client_tick(c, now_ms());
	}
}

int qmp_client_wait_ready(struct qmp_client *c, int timeout_ms)
{
	return qmp_client_run(c, NULL, timeout_ms);
}

struct sync_wait {
	bool done;
	int err;
	struct qmp_result *res;
};

static void sync_reply(struct qmp_client *c, struct qmp_msg *reply, int err, void *ud)
{
	struct sync_wait *w = ud;

	(void)c;
	w->done = true;
	w->err = err;
	if (!reply)
		return;
	if (reply->type == QMP_MSG_ERROR) {
		snprintf(w->res->err_class, sizeof(w->res->err_class), "%s", reply->err_class);
		snprintf(w->res->err_desc, sizeof(w->res->err_desc), "%s", reply->err_desc);
	} else {
		w->res->value = reply->value;
	}
	w->res->root = qmp_msg_take(reply);
}

int qmp_client_execute_sync(struct qmp_client *c, const char *name, const char *args,
			    unsigned timeout_ms, struct qmp_result *res)
{
	struct sync_wait w = { .res = res };
	int r;

	memset(res, 0, sizeof(*res));
	r = qmp_client_execute(c, name, args, timeout_ms, sync_reply, &w);
	if (r < 0)
		return r;
	/*
	 * The command's own deadline ends the wait (tick() fails it), as does
	 * the client closing (close() fails it): the callback always runs
	 * before this returns, so @w never outlives the call.
	 */
	while (!w.done)
		qmp_client_run(c, &w.done, (int)MIN(timeout_ms + 1000u, (unsigned)INT32_MAX));
	return w.err;
}

void qmp_result_free(struct qmp_result *res)
{
	yajl_tree_free(res->root);
	res->root = NULL;
	res->value = NULL;
}
