// SPDX-License-Identifier: MIT
/*
 * test_qmp_client.c - qmp/qmp_client.c against a fake QMP server
 *
 * The server is the other end of a socketpair. Most tests drive both sides
 * by hand in one thread: the server writes bytes (recorded from QEMU 7.2,
 * or deliberately broken), the test calls qmp_client_io(), then reads
 * what the client wrote back. That makes every interleaving explicit:
 * replies out of order, events between replies and inside the same read,
 * messages cut into single bytes, a peer that closes half way through a
 * message, garbage, oversized and over-deep messages, a greeting that is
 * missing or malformed, and commands whose answer never comes. The
 * blocking helpers are tested against a forked server that plays a script
 * (expect this command, answer that), as vgatectl uses them.
 */
#include "qmp_client.h"
#include "test_qmp_fake.h"
#include "testutil.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#define GREETING                                                                           \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n"

/* What the callbacks saw. */
struct seen {
	enum qmp_state states[8];
	int nstates;
	char events[32][QMP_NAME_MAX + 1];
	char event_data[32][128]; /* data.device or data["netdev-id"], if any */
	int nevents;
	int close_on_event; /* close the client from the event callback at this count */
};

struct fake {
	int srv; /* server end */
	struct qmp_client *c;
	struct seen seen;
	char rbuf[65536]; /* bytes the client wrote, not yet taken by srv_expect() */
	size_t rlen;
};

/* A command's outcome. */
struct outcome {
	bool done;
	int err;
	char value[256]; /* "return" value's "v" member, or the error class */
};

static void on_event(struct qmp_client *c, struct qmp_msg *ev, void *ud)
{
	struct seen *s = ud;
	const char *path[] = { "device", NULL };
	const char *path2[] = { "netdev-id", NULL };
	yajl_val d = ev->value ? yajl_tree_get(ev->value, path, yajl_t_string) : NULL;

	if (!d && ev->value)
		d = yajl_tree_get(ev->value, path2, yajl_t_string);
	assert_true(s->nevents < 32);
	snprintf(s->events[s->nevents], sizeof(s->events[0]), "%s", ev->event);
	snprintf(s->event_data[s->nevents], sizeof(s->event_data[0]), "%s", d ? d->u.string : "");
	s->nevents++;
	if (s->close_on_event && s->nevents == s->close_on_event)
		qmp_client_close(c, -ECANCELED, "closed by the event callback");
}

static void on_state(struct qmp_client *c, enum qmp_state st, void *ud)
{
	struct seen *s = ud;

	(void)c;
	assert_true(s->nstates < 8);
	s->states[s->nstates++] = st;
}

static const struct qmp_client_ops ops = { .event = on_event, .state = on_state };

static void on_reply(struct qmp_client *c, struct qmp_msg *reply, int err, void *ud)
{
	struct outcome *o = ud;
	const char *path[] = { "v", NULL };

	(void)c;
	assert_false(o->done);
	o->done = true;
	o->err = err;
	if (reply && reply->type == QMP_MSG_ERROR) {
		snprintf(o->value, sizeof(o->value), "%s: %s", reply->err_class, reply->err_desc);
	} else if (reply) {
		yajl_val v = yajl_tree_get(reply->value, path, yajl_t_any);

		if (v && YAJL_IS_STRING(v))
			snprintf(o->value, sizeof(o->value), "%s", v->u.string);
		else if (v && YAJL_IS_INTEGER(v))
			snprintf(o->value, sizeof(o->value), "%lld", YAJL_GET_INTEGER(v));
	}
}

static void fake_open(struct fake *f, unsigned handshake_ms)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	f->srv = sv[1];
	assert_int_equal(qmp_client_new(sv[0], &ops, &f->seen, handshake_ms, &f->c), 0);
	assert_int_equal(qmp_client_state(f->c), QMP_STATE_GREETING);
}

static void fake_close(struct fake *f)
{
	qmp_client_free(f->c);
	if (f->srv >= 0)
		close(f->srv);
}

static void srv_write(struct fake *f, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(f->srv, buf, len);

		assert_true(n > 0);
		buf += n;
		len -= (size_t)n;
	}
}

static void srv_send(struct fake *f, const char *text)
{
	srv_write(f, text, strlen(text));
}

static __attribute__((format(printf, 2, 3))) void srv_sendf(struct fake *f, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	srv_write(f, buf, (size_t)n);
}

/* Let the client read what the server sent and write what it queued. */
static void pump(struct fake *f)
{
	if (qmp_client_state(f->c) != QMP_STATE_CLOSED)
		qmp_client_io(f->c);
}

/*
 * Take the next command the client wrote; check its name (and, if given,
 * that its arguments contain @args_part). Return: its id.
 */
static long long srv_expect(struct fake *f, const char *name, const char *args_part)
{
	const char *p_exec[] = { "execute", NULL }, *p_id[] = { "id", NULL };
	char line[8192], err[128];
	yajl_val root, v;
	char *nl;
	long long id;
	size_t n;

	for (;;) {
		ssize_t r;

		nl = memchr(f->rbuf, '\n', f->rlen);
		if (nl)
			break;
		r = recv(f->srv, f->rbuf + f->rlen, sizeof(f->rbuf) - f->rlen, MSG_DONTWAIT);
		assert_true(r > 0); /* the command must have been written already */
		f->rlen += (size_t)r;
	}
	n = (size_t)(nl - f->rbuf);
	assert_true(n < sizeof(line));
	memcpy(line, f->rbuf, n);
	line[n] = '\0';
	memmove(f->rbuf, nl + 1, f->rlen - n - 1);
	f->rlen -= n + 1;
	root = yajl_tree_parse(line, err, sizeof(err));
	assert_non_null(root);
	v = yajl_tree_get(root, p_exec, yajl_t_string);
	assert_non_null(v);
	assert_string_equal(v->u.string, name);
	if (args_part)
		assert_non_null(strstr(line, args_part));
	v = yajl_tree_get(root, p_id, yajl_t_number);
	assert_non_null(v);
	id = YAJL_GET_INTEGER(v);
	yajl_tree_free(root);
	return id;
}

/* Nothing more has been written by the client. */
static void srv_expect_nothing(struct fake *f)
{
	char b;

	assert_int_equal(f->rlen, 0);
	assert_int_equal(recv(f->srv, &b, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

static void handshake(struct fake *f)
{
	long long id;

	srv_send(f, GREETING);
	pump(f);
	assert_int_equal(qmp_client_state(f->c), QMP_STATE_NEGOTIATING);
	id = srv_expect(f, "qmp_capabilities", NULL);
	srv_sendf(f, "{\"return\": {}, \"id\": %lld}\r\n", id);
	pump(f);
	assert_int_equal(qmp_client_state(f->c), QMP_STATE_READY);
	assert_int_equal(f->seen.nstates, 1);
	assert_int_equal(f->seen.states[0], QMP_STATE_READY);
}

static void test_handshake(void **state)
{
	struct fake f;
	int maj, min, mic;

	(void)state;
	fake_open(&f, 0);
	/* No command before READY. */
	assert_int_equal(qmp_client_execute(f.c, "query-status", NULL, 1000, NULL, NULL),
			 -ENOTCONN);
	handshake(&f);
	qmp_client_version(f.c, &maj, &min, &mic);
	assert_int_equal(maj, 7);
	assert_int_equal(min, 2);
	assert_int_equal(mic, 22);
	assert_int_equal(qmp_client_deadline(f.c), 0);
	assert_false(qmp_client_want_write(f.c));
	fake_close(&f);
}

/* Answers come in the reverse order of the commands: matched by id. */
static void test_out_of_order(void **state)
{
	struct outcome a = { 0 }, b = { 0 }, c3 = { 0 };
	long long ida, idb, idc;
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	assert_int_equal(qmp_client_execute(f.c, "cmd-a", "{\"n\": 1}", 5000, on_reply, &a), 0);
	assert_int_equal(qmp_client_execute(f.c, "cmd-b", NULL, 5000, on_reply, &b), 0);
	assert_int_equal(qmp_client_execute(f.c, "cmd-c", NULL, 5000, on_reply, &c3), 0);
	assert_true(qmp_client_want_write(f.c));
	assert_true(qmp_client_deadline(f.c) > 0);
	pump(&f);
	ida = srv_expect(&f, "cmd-a", "\"arguments\":{\"n\": 1}");
	idb = srv_expect(&f, "cmd-b", NULL);
	idc = srv_expect(&f, "cmd-c", NULL);
	assert_true(ida != idb && idb != idc && ida != idc);
	/* c, then a, then b; all in one write. */
	srv_sendf(&f,
		  "{\"return\": {\"v\": \"C\"}, \"id\": %lld}\r\n"
		  "{\"return\": {\"v\": \"A\"}, \"id\": %lld}\r\n"
		  "{\"id\": %lld, \"error\": {\"class\": \"GenericError\", \"desc\": \"B "
		  "failed\"}}\r\n",
		  idc, ida, idb);
	pump(&f);
	assert_true(a.done && b.done && c3.done);
	assert_int_equal(a.err, 0);
	assert_string_equal(a.value, "A");
	assert_int_equal(c3.err, 0);
	assert_string_equal(c3.value, "C");
	assert_int_equal(b.err, -EREMOTEIO);
	assert_string_equal(b.value, "GenericError: B failed");
	assert_int_equal(qmp_client_deadline(f.c), 0);
	fake_close(&f);
}

/* Events between answers, before them, in the same read: all delivered, in order. */
static void test_events_interleaved(void **state)
{
	struct outcome a = { 0 };
	struct fake f;
	long long id;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	assert_int_equal(
		qmp_client_execute(f.c, "device_del", "{\"id\": \"nic1\"}", 5000, on_reply, &a), 0);
	pump(&f);
	id = srv_expect(&f, "device_del", "nic1");
	srv_sendf(&f,
		  "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "
		  "\"DEVICE_DELETED\", \"data\": {\"path\": \"/machine/peripheral/nic1/"
		  "virtio-backend\"}}\r\n"
		  "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": "
		  "\"DEVICE_DELETED\", \"data\": {\"device\": \"nic1\", \"path\": "
		  "\"/machine/peripheral/nic1\"}}\r\n"
		  "{\"return\": {}, \"id\": %lld}\r\n"
		  "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 4}, \"event\": "
		  "\"NETDEV_STREAM_DISCONNECTED\", \"data\": {\"netdev-id\": \"n1\"}}\r\n",
		  id);
	pump(&f);
	assert_true(a.done);
	assert_int_equal(a.err, 0);
	assert_int_equal(f.seen.nevents, 3);
	assert_string_equal(f.seen.events[0], "DEVICE_DELETED");
	assert_string_equal(f.seen.event_data[0], "");
	assert_string_equal(f.seen.events[1], "DEVICE_DELETED");
	assert_string_equal(f.seen.event_data[1], "nic1");
	assert_string_equal(f.seen.events[2], "NETDEV_STREAM_DISCONNECTED");
	assert_string_equal(f.seen.event_data[2], "n1");
	fake_close(&f);
}

/* A whole session fed one byte per read: the same outcome. */
static void test_byte_by_byte(void **state)
{
	struct outcome a = { 0 };
	struct fake f;
	char text[1024];
	long long id;
	int n;

	(void)state;
	fake_open(&f, 0);
	for (const char *p = GREETING; *p; p++) {
		srv_write(&f, p, 1);
		pump(&f);
	}
	id = srv_expect(&f, "qmp_capabilities", NULL);
	n = snprintf(text, sizeof(text),
		     "{\"return\": {}, \"id\": %lld}\r\n"
		     "{\"event\": \"NIC_RX_FILTER_CHANGED\", \"data\": {\"name\": \"n\\\"}\"}}",
		     id);
	for (int i = 0; i < n; i++) {
		srv_write(&f, text + i, 1);
		pump(&f);
	}
	assert_int_equal(qmp_client_state(f.c), QMP_STATE_READY);
	assert_int_equal(f.seen.nevents, 1);
	assert_int_equal(qmp_client_execute(f.c, "x", NULL, 5000, on_reply, &a), 0);
	pump(&f);
	id = srv_expect(&f, "x", NULL);
	n = snprintf(text, sizeof(text), "\r\n \t{\"return\": {\"v\": 42}, \"id\": %lld}\r\n", id);
	for (int i = 0; i < n; i++) {
		/* Not before the closing brace (the CRLF follows it). */
		if (i < n - 2)
			assert_false(a.done);
		srv_write(&f, text + i, 1);
		pump(&f);
	}
	assert_true(a.done);
	assert_string_equal(a.value, "42");
	fake_close(&f);
}

/* No answer in time: -ETIMEDOUT; the client stays usable; the late answer is ignored. */
static void test_command_timeout(void **state)
{
	struct outcome a = { 0 }, b = { 0 };
	struct fake f;
	long long ida, idb;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	assert_int_equal(qmp_client_execute(f.c, "slow", NULL, 50, on_reply, &a), 0);
	assert_int_equal(qmp_client_run(f.c, &a.done, 5000), 0);
	assert_int_equal(a.err, -ETIMEDOUT);
	assert_int_equal(qmp_client_state(f.c), QMP_STATE_READY);
	ida = srv_expect(&f, "slow", NULL);
	assert_int_equal(qmp_client_execute(f.c, "fast", NULL, 5000, on_reply, &b), 0);
	pump(&f);
	idb = srv_expect(&f, "fast", NULL);
	srv_sendf(&f, "{\"return\": {\"v\": \"late\"}, \"id\": %lld}\r\n", ida);
	srv_sendf(&f, "{\"return\": {\"v\": \"ok\"}, \"id\": %lld}\r\n", idb);
	srv_send(&f, "{\"return\": {}}\r\n{\"return\": {}, \"id\": \"foreign\"}\r\n");
	pump(&f);
	assert_true(b.done);
	assert_string_equal(b.value, "ok");
	assert_int_equal(qmp_client_unmatched(f.c), 3);
	assert_int_equal(qmp_client_state(f.c), QMP_STATE_READY);
	fake_close(&f);
}

/* Close the server after @bytes; the client closes with @expect in its error. */
static void check_closed(struct fake *f, int err, const char *expect)
{
	assert_int_equal(qmp_client_state(f->c), QMP_STATE_CLOSED);
	assert_int_equal(qmp_client_errno(f->c), err);
	if (!strstr(qmp_client_error(f->c), expect))
		fail_msg("error '%s' lacks '%s'", qmp_client_error(f->c), expect);
	assert_int_equal(f->seen.states[f->seen.nstates - 1], QMP_STATE_CLOSED);
	assert_int_equal(qmp_client_execute(f->c, "x", NULL, 100, NULL, NULL), -ENOTCONN);
	assert_int_equal(qmp_client_deadline(f->c), 0);
	assert_false(qmp_client_want_write(f->c));
}

static void test_garbage_after_ready(void **state)
{
	struct outcome a = { 0 };
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	assert_int_equal(qmp_client_execute(f.c, "x", NULL, 5000, on_reply, &a), 0);
	pump(&f);
	srv_send(&f, "{\"event\": \"A\"}\r\nHTTP/1.1 400 Bad Request\r\n");
	pump(&f);
	check_closed(&f, -EPROTO, "garbage between messages (byte 0x48)");
	/* The command in flight was failed with the same error, once. */
	assert_true(a.done);
	assert_int_equal(a.err, -EPROTO);
	assert_int_equal(f.seen.nevents, 1);
	fake_close(&f);
}

static void test_invalid_json(void **state)
{
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	srv_send(&f, "{\"event\": \"A\", \"data\": {\"x\": tru}}\r\n");
	pump(&f);
	check_closed(&f, -EPROTO, "invalid JSON");
	fake_close(&f);
}

static void test_greeting_without_capabilities(void **state)
{
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	srv_send(&f, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}}}\r\n");
	pump(&f);
	check_closed(&f, -EPROTO, "greeting without a \"capabilities\" array");
	srv_expect_nothing(&f);
	fake_close(&f);
}

static void test_no_greeting_first(void **state)
{
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	srv_send(&f, "{\"event\": \"SHUTDOWN\", \"data\": {}}\r\n");
	pump(&f);
	check_closed(&f, -EPROTO, "an event where the greeting belongs");
	fake_close(&f);
}

static void test_second_greeting(void **state)
{
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	srv_send(&f, GREETING);
	pump(&f);
	check_closed(&f, -EPROTO, "second greeting");
	fake_close(&f);
}

static void test_capabilities_refused(void **state)
{
	struct fake f;
	long long id;

	(void)state;
	fake_open(&f, 0);
	srv_send(&f, GREETING);
	pump(&f);
	id = srv_expect(&f, "qmp_capabilities", NULL);
	/* An event and a foreign answer first: ignored while negotiating. */
	srv_sendf(&f,
		  "{\"event\": \"EARLY\"}\r\n{\"return\": {}, \"id\": %lld}\r\n"
		  "{\"id\": %lld, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
		  "\"The command qmp_capabilities has not been found\"}}\r\n",
		  id + 100, id);
	pump(&f);
	check_closed(&f, -EREMOTEIO, "qmp_capabilities refused: CommandNotFound");
	assert_int_equal(f.seen.nevents, 0);
	assert_int_equal(qmp_client_unmatched(f.c), 1);
	fake_close(&f);
}

/* The handshake is bounded: a server that accepts and never speaks. */
static void test_greeting_timeout(void **state)
{
	struct fake f;

	(void)state;
	fake_open(&f, 100);
	assert_true(qmp_client_deadline(f.c) > 0);
	assert_int_equal(qmp_client_wait_ready(f.c, 5000), -ETIMEDOUT);
	check_closed(&f, -ETIMEDOUT, "no QMP greeting within 100 ms");
	fake_close(&f);
}

static void test_negotiation_timeout(void **state)
{
	struct fake f;

	(void)state;
	fake_open(&f, 100);
	srv_send(&f, GREETING);
	assert_int_equal(qmp_client_wait_ready(f.c, 5000), -ETIMEDOUT);
	check_closed(&f, -ETIMEDOUT, "no answer to qmp_capabilities");
	fake_close(&f);
}

/* The overall bound of qmp_client_run() holds even with nothing timed. */
static void test_run_timeout(void **state)
{
	struct fake f;
	bool never = false;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	assert_int_equal(qmp_client_run(f.c, &never, 50), -ETIMEDOUT);
	assert_int_equal(qmp_client_state(f.c), QMP_STATE_READY);
	fake_close(&f);
}

static void test_close_mid_message(void **state)
{
	struct outcome a = { 0 };
	struct fake f;
	long long id;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	assert_int_equal(qmp_client_execute(f.c, "x", NULL, 5000, on_reply, &a), 0);
	pump(&f);
	id = srv_expect(&f, "x", NULL);
	srv_sendf(&f, "{\"return\": {\"v\": \"trunc");
	pump(&f);
	assert_false(a.done);
	close(f.srv);
	f.srv = -1;
	pump(&f);
	check_closed(&f, -ECONNRESET, "in the middle of a message (23 bytes received)");
	assert_true(a.done);
	assert_int_equal(a.err, -ECONNRESET);
	(void)id;
	fake_close(&f);
}

static void test_close_between_messages(void **state)
{
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	srv_send(&f, "{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true}}\r\n");
	close(f.srv);
	f.srv = -1;
	pump(&f);
	/* The event before the EOF still arrives. */
	assert_int_equal(f.seen.nevents, 1);
	assert_string_equal(f.seen.events[0], "SHUTDOWN");
	check_closed(&f, -ECONNRESET, "closed the connection");
	fake_close(&f);
}

/* Send @len bytes of a message generated by @fill while pumping the client. */
static void stream_to_client(struct fake *f, size_t len, char (*fill)(size_t i))
{
	char chunk[65536];
	size_t sent = 0;

	while (sent < len && qmp_client_state(f->c) != QMP_STATE_CLOSED) {
		size_t n = MIN(sizeof(chunk), len - sent);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			chunk[i] = fill(sent + i);
		w = send(f->srv, chunk, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w > 0)
			sent += (size_t)w;
		else
			assert_int_equal(errno, EAGAIN);
		pump(f);
	}
}

static char fill_huge(size_t i)
{
	static const char head[] = "{\"return\": \"";

	return i < sizeof(head) - 1 ? head[i] : 'x';
}

static char fill_spaces(size_t i)
{
	(void)i;
	return i % 64 == 63 ? '\n' : ' ';
}

static char fill_deep(size_t i)
{
	static const char head[] = "{\"a\": ";

	return i < sizeof(head) - 1 ? head[i] : '[';
}

/* A message over QMP_MESSAGE_MAX is refused while it arrives. */
static void test_huge_message(void **state)
{
	struct outcome a = { 0 };
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	assert_int_equal(qmp_client_execute(f.c, "query-qmp-schema", NULL, 5000, on_reply, &a), 0);
	pump(&f);
	stream_to_client(&f, 4u << 20, fill_huge);
	check_closed(&f, -E2BIG, "larger than 1048576 bytes");
	assert_true(a.done);
	assert_int_equal(a.err, -E2BIG);
	fake_close(&f);
}

/* Megabytes of whitespace between messages cost nothing and break nothing. */
static void test_whitespace_flood(void **state)
{
	struct outcome a = { 0 };
	struct fake f;
	long long id;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	stream_to_client(&f, 4u << 20, fill_spaces);
	assert_int_equal(qmp_client_state(f.c), QMP_STATE_READY);
	assert_int_equal(qmp_client_execute(f.c, "x", NULL, 5000, on_reply, &a), 0);
	pump(&f);
	id = srv_expect(&f, "x", NULL);
	srv_sendf(&f, "{\"return\": {\"v\": \"fine\"}, \"id\": %lld}", id);
	pump(&f);
	assert_true(a.done);
	assert_string_equal(a.value, "fine");
	fake_close(&f);
}

static void test_deep_message(void **state)
{
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	stream_to_client(&f, 1000, fill_deep);
	check_closed(&f, -ELOOP, "nested deeper than 32");
	fake_close(&f);
}

/* A 200 KiB answer (query-qmp-schema's size) in many reads is fine. */
static void test_large_answer(void **state)
{
	struct outcome a = { 0 };
	struct fake f;
	size_t len = 200 * 1024;
	char *text = malloc(len + 64);
	long long id;
	int n;

	(void)state;
	assert_non_null(text);
	fake_open(&f, 0);
	handshake(&f);
	assert_int_equal(qmp_client_execute(f.c, "query-qmp-schema", NULL, 5000, on_reply, &a), 0);
	pump(&f);
	id = srv_expect(&f, "query-qmp-schema", NULL);
	n = snprintf(text, 64, "{\"id\": %lld, \"return\": {\"pad\": \"", id);
	memset(text + n, 'y', len);
	memcpy(text + n + len, "\", \"v\": \"big\"}}\r\n", 17);
	for (size_t off = 0, total = (size_t)n + len + 16; off < total;) {
		ssize_t w = send(f.srv, text + off, MIN(total - off, 4096), MSG_DONTWAIT);

		assert_true(w > 0);
		off += (size_t)w;
		pump(&f);
	}
	assert_true(a.done);
	assert_string_equal(a.value, "big");
	free(text);
	fake_close(&f);
}

/* The event callback closes the client: the rest of the read is not dispatched. */
static void test_close_from_callback(void **state)
{
	struct fake f;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	f.seen.close_on_event = 1;
	srv_send(&f, "{\"event\": \"A\"}\r\n{\"event\": \"B\"}\r\n");
	pump(&f);
	assert_int_equal(f.seen.nevents, 1);
	check_closed(&f, -ECANCELED, "closed by the event callback");
	fake_close(&f);
}

static void test_execute_errors(void **state)
{
	struct outcome o[QMP_PENDING_MAX + 1];
	char big[QMP_COMMAND_MAX];
	struct fake f;

	(void)state;
	memset(o, 0, sizeof(o));
	fake_open(&f, 0);
	handshake(&f);
	assert_int_equal(qmp_client_execute(f.c, "bad name", NULL, 100, NULL, NULL), -EINVAL);
	assert_int_equal(qmp_client_execute(f.c, "x", "[]", 100, NULL, NULL), -EINVAL);
	memset(big, ' ', sizeof(big));
	big[0] = '{';
	big[sizeof(big) - 2] = '}';
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(qmp_client_execute(f.c, "x", big, 100, NULL, NULL), -E2BIG);
	for (int i = 0; i < QMP_PENDING_MAX; i++)
		assert_int_equal(qmp_client_execute(f.c, "x", NULL, 5000, on_reply, &o[i]), 0);
	assert_int_equal(qmp_client_execute(f.c, "x", NULL, 5000, on_reply, &o[QMP_PENDING_MAX]),
			 -EBUSY);
	/* Freeing the client fails what is in flight, each exactly once. */
	qmp_client_free(f.c);
	f.c = NULL;
	for (int i = 0; i < QMP_PENDING_MAX; i++) {
		assert_true(o[i].done);
		assert_int_equal(o[i].err, -ECANCELED);
	}
	assert_false(o[QMP_PENDING_MAX].done);
	close(f.srv);
}

/* The output queue is bounded: a server that never reads. */
static void test_output_bound(void **state)
{
	char args[QMP_COMMAND_MAX - 128];
	struct fake f;
	int r = 0, n = 0;

	(void)state;
	fake_open(&f, 0);
	handshake(&f);
	memset(args, ' ', sizeof(args));
	args[0] = '{';
	args[sizeof(args) - 2] = '}';
	args[sizeof(args) - 1] = '\0';
	while (n < QMP_PENDING_MAX &&
	       (r = qmp_client_execute(f.c, "x", args, 5000, NULL, NULL)) == 0)
		n++;
	assert_int_equal(r, -ENOBUFS);
	assert_true(n * (int)sizeof(args) <= QMP_OUTPUT_MAX);
	fake_close(&f);
}

/* --- connecting to a path ---------------------------------------------------- */

static void test_connect_path(void **state)
{
	char dir[] = "/tmp/test_qmp.XXXXXX", path[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qmp_client *c;
	struct seen seen = { 0 };
	int lfd, r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/qmp.sock", dir);
	assert_int_equal(qmp_client_connect(path, &ops, &seen, 0, &c), -ENOENT);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(lfd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	/* Bound, not listening: refused. */
	assert_int_equal(qmp_client_connect(path, &ops, &seen, 0, &c), -ECONNREFUSED);
	assert_int_equal(listen(lfd, 4), 0);
	r = qmp_client_connect(path, &ops, &seen, 0, &c);
	assert_int_equal(r, 0);
	assert_true(qmp_client_state(c) == QMP_STATE_GREETING ||
		    qmp_client_state(c) == QMP_STATE_CONNECTING);
	{
		int afd = accept(lfd, NULL, NULL);

		assert_true(afd >= 0);
		assert_int_equal(write(afd, GREETING, strlen(GREETING)), (ssize_t)strlen(GREETING));
		/* The client negotiates by itself; answer from here. */
		assert_int_equal(qmp_client_run(c, NULL, 200), -ETIMEDOUT);
		assert_int_equal(qmp_client_state(c), QMP_STATE_NEGOTIATING);
		assert_true(write(afd, "{\"return\": {}, \"id\": 1}\r\n", 25) == 25);
		assert_int_equal(qmp_client_wait_ready(c, 5000), 0);
		close(afd);
	}
	qmp_client_free(c);
	close(lfd);
	unlink(path);
	rmdir(dir);
	{
		char longpath[200];

		memset(longpath, 'a', sizeof(longpath) - 1);
		longpath[sizeof(longpath) - 1] = '\0';
		assert_int_equal(qmp_client_connect(longpath, &ops, &seen, 0, &c), -ENAMETOOLONG);
		assert_int_equal(qmp_client_connect("", &ops, &seen, 0, &c), -ENAMETOOLONG);
	}
}

/* --- blocking use against a forked, scripted server -------------------------- */

static pid_t fork_server(const struct qmp_step *steps, size_t n, struct qmp_client **c,
			 struct seen *seen)
{
	int fd;
	pid_t pid = qmp_fake_fork(steps, n, &fd);

	assert_int_equal(qmp_client_new(fd, &ops, seen, 5000, c), 0);
	return pid;
}

static void test_sync_session(void **state)
{
	static const struct qmp_step steps[] = {
		{ "qmp_capabilities", NULL, "{\"return\": {}, \"id\": %lld}\r\n", NULL },
		{ "netdev_add", NULL,
		  "{\"return\": {}, \"id\": %lld}\r\n"
		  "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 1}, \"event\": "
		  "\"NETDEV_STREAM_CONNECTED\", \"data\": {\"netdev-id\": \"v0\", "
		  "\"addr\": {\"type\": \"unix\", \"path\": \"/x\"}}}\r\n",
		  NULL },
		{ "device_add", NULL,
		  "{\"id\": %lld, \"error\": {\"class\": \"GenericError\", \"desc\": "
		  "\"Duplicate device ID 'v0'\"}}\r\n",
		  NULL },
		{ "device_del", NULL,
		  "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 1}, \"event\": "
		  "\"DEVICE_DELETED\", \"data\": {\"device\": \"v0\", \"path\": "
		  "\"/machine/peripheral/v0\"}}\r\n{\"return\": {}, \"id\": %lld}\r\n",
		  NULL },
		{ "query-rx-filter", NULL, NULL, NULL },
	};
	struct qmp_client *c;
	struct qmp_result res;
	struct seen seen = { 0 };
	pid_t pid = fork_server(steps, ARRAY_SIZE(steps), &c, &seen);
	const char *p_ok[] = { "ok", NULL };

	(void)state;
	assert_int_equal(qmp_client_wait_ready(c, 5000), 0);
	assert_int_equal(qmp_client_execute_sync(c, "netdev_add", "{\"id\": \"v0\"}", 5000, &res),
			 0);
	assert_non_null(res.value);
	assert_true(YAJL_IS_OBJECT(res.value));
	assert_null(yajl_tree_get(res.value, p_ok, yajl_t_any));
	qmp_result_free(&res);
	assert_int_equal(qmp_client_execute_sync(c, "device_add", NULL, 5000, &res), -EREMOTEIO);
	assert_string_equal(res.err_class, "GenericError");
	assert_string_equal(res.err_desc, "Duplicate device ID 'v0'");
	assert_null(res.value);
	qmp_result_free(&res);
	/* The event comes before the answer; it was delivered all the same. */
	assert_int_equal(qmp_client_execute_sync(c, "device_del", NULL, 5000, &res), 0);
	qmp_result_free(&res);
	assert_int_equal(seen.nevents, 2);
	assert_string_equal(seen.events[0], "NETDEV_STREAM_CONNECTED");
	assert_string_equal(seen.event_data[0], "v0");
	assert_string_equal(seen.events[1], "DEVICE_DELETED");
	/* No answer: the command's own timeout ends the wait. */
	assert_int_equal(qmp_client_execute_sync(c, "query-rx-filter", NULL, 100, &res),
			 -ETIMEDOUT);
	assert_null(res.root);
	qmp_client_free(c);
	qmp_fake_reap(pid);
}

/* The server dies while a blocking command waits: the connection's error, promptly. */
static void test_sync_peer_dies(void **state)
{
	static const struct qmp_step steps[] = {
		{ "qmp_capabilities", NULL, "{\"return\": {}, \"id\": %lld}\r\n", NULL },
	};
	struct qmp_client *c;
	struct qmp_result res;
	struct seen seen = { 0 };
	pid_t pid = fork_server(steps, ARRAY_SIZE(steps), &c, &seen);
	int r;

	(void)state;
	assert_int_equal(qmp_client_wait_ready(c, 5000), 0);
	kill(pid, SIGKILL);
	/* EPIPE when the command is written first, ECONNRESET when EOF is read first. */
	r = qmp_client_execute_sync(c, "query-status", NULL, 60000, &res);
	assert_true(r == -EPIPE || r == -ECONNRESET);
	assert_int_equal(qmp_client_state(c), QMP_STATE_CLOSED);
	qmp_client_free(c);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_events_interleaved),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_command_timeout),
		cmocka_unit_test(test_garbage_after_ready),
		cmocka_unit_test(test_invalid_json),
		cmocka_unit_test(test_greeting_without_capabilities),
		cmocka_unit_test(test_no_greeting_first),
		cmocka_unit_test(test_second_greeting),
		cmocka_unit_test(test_capabilities_refused),
		cmocka_unit_test(test_greeting_timeout),
		cmocka_unit_test(test_negotiation_timeout),
		cmocka_unit_test(test_run_timeout),
		cmocka_unit_test(test_close_mid_message),
		cmocka_unit_test(test_close_between_messages),
		cmocka_unit_test(test_huge_message),
		cmocka_unit_test(test_whitespace_flood),
		cmocka_unit_test(test_deep_message),
		cmocka_unit_test(test_large_answer),
		cmocka_unit_test(test_close_from_callback),
		cmocka_unit_test(test_execute_errors),
		cmocka_unit_test(test_output_bound),
		cmocka_unit_test(test_connect_path),
		cmocka_unit_test(test_sync_session),
		cmocka_unit_test(test_sync_peer_dies),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
