// SPDX-License-Identifier: MIT
/*
 * test_qmp_ctl.c - backend/ctl/ctl_qmp.c: vgatectl attach / detach
 *
 * The pieces without I/O on their own: ids, MACs, the netdev's target
 * URL, choosing a listener from GET /v1/listeners and a MAC from GET
 * /v1/leases. Then the QMP halves of attach and detach against the
 * scripted fake server (test_qmp_fake.h), which checks each command and
 * its arguments: the happy paths, events before and after the answers
 * they follow, an automatic id already taken, each failure undone
 * (netdev_del after a failed device_add or a netdev that never
 * connects), every QMP error class explained, a DEVICE_DELETED that never
 * comes (bounded), a device that does not exist, and a peer that dies.
 */
#include "ctl_qmp.h"
#include "test_qmp_fake.h"
#include "testutil.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <yajl/yajl_tree.h>

#define RET "{\"return\": {}, \"id\": %lld}\r\n"
/* The handshake's step, first in every script. */
#define CAPS                                        \
	{                                           \
		"qmp_capabilities", NULL, RET, NULL \
	}
#define EV_CONNECTED(n)                                                                           \
	"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "                      \
	"\"NETDEV_STREAM_CONNECTED\", \"data\": {\"netdev-id\": \"" n "\", \"addr\": {\"path\": " \
	"\"/run/vgate/qemu.sock\", \"type\": \"unix\"}}}\r\n"
#define EV_DELETED(d)                                                                            \
	"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": \"DEVICE_DELETED\", " \
	"\"data\": {\"device\": \"" d "\", \"path\": \"/machine/peripheral/" d "\"}}\r\n"
#define EV_BACKEND_DELETED(d)                                                                    \
	"{\"timestamp\": {\"seconds\": 1, \"microseconds\": 3}, \"event\": \"DEVICE_DELETED\", " \
	"\"data\": {\"path\": \"/machine/peripheral/" d "/virtio-backend\"}}\r\n"
#define ERR(cls, desc) \
	"{\"id\": %lld, \"error\": {\"class\": \"" cls "\", \"desc\": \"" desc "\"}}\r\n"

static void record(struct qmp_client *c, struct qmp_msg *m, void *ud)
{
	(void)c;
	ctl_qmp_event_record(ud, m);
}

static const struct qmp_client_ops ops = { .event = record };

struct session {
	pid_t pid;
	struct qmp_client *c;
	struct ctl_qmp_events ev;
	char err[1024];
};

static void open_session(struct session *s, const struct qmp_step *steps, size_t n)
{
	int fd;

	memset(s, 0, sizeof(*s));
	s->pid = qmp_fake_fork(steps, n, &fd);
	assert_int_equal(qmp_client_new(fd, &ops, &s->ev, 5000, &s->c), 0);
	assert_int_equal(qmp_client_wait_ready(s->c, 5000), 0);
}

static void close_session(struct session *s)
{
	qmp_client_free(s->c);
	qmp_fake_reap(s->pid);
}

static void unix_target(struct ctl_qmp_target *t)
{
	assert_int_equal(ctl_qmp_target_parse("/run/vgate/qemu.sock", t), 0);
}

/* --- pieces without I/O -------------------------------------------------------------- */

static void test_ids(void **state)
{
	char longid[CTL_QMP_ID_MAX + 2];

	(void)state;
	assert_true(ctl_qmp_id_valid("vgate0"));
	assert_true(ctl_qmp_id_valid("a"));
	assert_true(ctl_qmp_id_valid("Nic.1-a_b"));
	assert_false(ctl_qmp_id_valid(""));
	assert_false(ctl_qmp_id_valid("0nic"));
	assert_false(ctl_qmp_id_valid("-nic"));
	assert_false(ctl_qmp_id_valid("a b"));
	assert_false(ctl_qmp_id_valid("a/b"));
	assert_false(ctl_qmp_id_valid("a\"b"));
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	assert_false(ctl_qmp_id_valid(longid));
	longid[CTL_QMP_ID_MAX] = '\0';
	assert_true(ctl_qmp_id_valid(longid));
}

static void test_macs(void **state)
{
	uint8_t m[6];

	(void)state;
	assert_int_equal(ctl_qmp_mac_parse("5a:94:ef:e4:0c:EE", m), 0);
	assert_int_equal(m[0], 0x5a);
	assert_int_equal(m[5], 0xee);
	assert_int_equal(ctl_qmp_mac_parse("01:00:5e:00:00:01", m), -EINVAL); /* multicast */
	assert_int_equal(ctl_qmp_mac_parse("5a:94:ef:e4:0c", m), -EINVAL);
	assert_int_equal(ctl_qmp_mac_parse("5a-94-ef-e4-0c-ee", m), -EINVAL);
	assert_int_equal(ctl_qmp_mac_parse("5a:94:ef:e4:0c:eg", m), -EINVAL);
	assert_int_equal(ctl_qmp_mac_parse("5a:94:ef:e4:0c:ee:", m), -EINVAL);
	assert_int_equal(ctl_qmp_mac_parse("", m), -EINVAL);
}

static void test_targets(void **state)
{
	struct ctl_qmp_target t;
	char longpath[200];

	(void)state;
	assert_int_equal(ctl_qmp_target_parse("/run/vgate/q.sock", &t), 0);
	assert_true(t.is_unix);
	assert_string_equal(t.path, "/run/vgate/q.sock");
	assert_string_equal(t.url, "unix:///run/vgate/q.sock");
	assert_int_equal(ctl_qmp_target_parse("unix:///run/vgate/q.sock", &t), 0);
	assert_string_equal(t.path, "/run/vgate/q.sock");
	assert_int_equal(ctl_qmp_target_parse("tcp://127.0.0.1:5555", &t), 0);
	assert_false(t.is_unix);
	assert_string_equal(t.host, "127.0.0.1");
	assert_string_equal(t.port, "5555");
	assert_string_equal(t.url, "tcp://127.0.0.1:5555");
	assert_int_equal(ctl_qmp_target_parse("tcp://[::1]:80", &t), 0);
	assert_string_equal(t.host, "::1");
	assert_string_equal(t.url, "tcp://[::1]:80");
	for (const char *const *b =
		     (const char *const[]){ "tcp://localhost:80", "tcp://1.2.3.4:0",
					    "tcp://1.2.3.4:65536", "tcp://1.2.3.4",
					    "tcp://1.2.3.4:", "tcp://:80", "tcp://[::1:80",
					    "tcp://1.2.3.4:8x", "unix://", "", NULL };
	     *b; b++)
		assert_int_equal(ctl_qmp_target_parse(*b, &t), -EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(ctl_qmp_target_parse(longpath, &t), -ENAMETOOLONG);
}

static yajl_val parse(const char *text)
{
	char err[128];
	yajl_val v = yajl_tree_parse(text, err, sizeof(err));

	assert_non_null(v);
	return v;
}

static void test_pick_listener(void **state)
{
	yajl_val l = parse("[{\"kind\":\"api\",\"url\":\"unix:///run/vgate/api.sock\"},"
			   "{\"kind\":\"qemu\",\"url\":\"tcp://127.0.0.1:5555\"},"
			   "{\"kind\":\"qemu\",\"url\":\"unix:///run/vgate/qemu.sock\"},"
			   "{\"kind\":\"qemu\",\"url\":\"vsock://:1024\"}]");
	struct ctl_qmp_target t, want;

	(void)state;
	/* unix first, even when a tcp one comes earlier */
	assert_int_equal(ctl_qmp_pick_listener(l, NULL, &t), 0);
	assert_string_equal(t.url, "unix:///run/vgate/qemu.sock");
	assert_int_equal(ctl_qmp_target_parse("tcp://127.0.0.1:5555", &want), 0);
	assert_int_equal(ctl_qmp_pick_listener(l, &want, &t), 0);
	assert_string_equal(t.url, "tcp://127.0.0.1:5555");
	assert_int_equal(ctl_qmp_target_parse("/run/vgate/qemu.sock", &want), 0);
	assert_int_equal(ctl_qmp_pick_listener(l, &want, &t), 0);
	assert_int_equal(ctl_qmp_target_parse("/run/vgate/other.sock", &want), 0);
	assert_int_equal(ctl_qmp_pick_listener(l, &want, &t), -ENOENT);
	yajl_tree_free(l);

	l = parse("[{\"kind\":\"api\",\"url\":\"unix:///a\"},{\"kind\":\"qemu\",\"url\":"
		  "\"tcp://127.0.0.1:1\"}]");
	assert_int_equal(ctl_qmp_pick_listener(l, NULL, &t), 0);
	assert_string_equal(t.url, "tcp://127.0.0.1:1");
	yajl_tree_free(l);
	l = parse("[{\"kind\":\"api\",\"url\":\"unix:///a\"}]");
	assert_int_equal(ctl_qmp_pick_listener(l, NULL, &t), -ENOENT);
	yajl_tree_free(l);
	l = parse("[{\"kind\":\"qemu\"}]");
	assert_int_equal(ctl_qmp_pick_listener(l, NULL, &t), -EPROTO);
	yajl_tree_free(l);
	l = parse("{\"kind\":\"qemu\"}");
	assert_int_equal(ctl_qmp_pick_listener(l, NULL, &t), -EPROTO);
	yajl_tree_free(l);
}

static void test_pick_mac(void **state)
{
	yajl_val l =
		parse("[{\"ip\":\"192.168.127.2\",\"mac\":\"5a:94:ef:e4:0c:ee\",\"static\":true},"
		      "{\"ip\":\"192.168.127.3\",\"mac\":\"52:54:00:00:00:01\",\"static\":false},"
		      "{\"ip\":\"192.168.127.4\",\"mac\":\"5a:94:ef:e4:0c:ef\",\"static\":true}]");
	uint8_t used[2][6] = { { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee } }, m[6];
	char ip[32];

	(void)state;
	assert_int_equal(ctl_qmp_pick_mac(l, NULL, 0, m, ip, sizeof(ip)), 0);
	assert_int_equal(m[5], 0xee);
	assert_string_equal(ip, "192.168.127.2");
	/* .ee in use: the next static one, never the dynamic lease. */
	assert_int_equal(ctl_qmp_pick_mac(l, (const uint8_t(*)[6])used, 1, m, ip, sizeof(ip)), 0);
	assert_int_equal(m[5], 0xef);
	assert_string_equal(ip, "192.168.127.4");
	memcpy(used[1], (uint8_t[]){ 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xef }, 6);
	assert_int_equal(ctl_qmp_pick_mac(l, (const uint8_t(*)[6])used, 2, m, ip, sizeof(ip)),
			 -ENOENT);
	yajl_tree_free(l);
	l = parse("[{\"ip\":\"192.168.127.2\"}]");
	assert_int_equal(ctl_qmp_pick_mac(l, NULL, 0, m, ip, sizeof(ip)), -EPROTO);
	yajl_tree_free(l);
	l = parse("{}");
	assert_int_equal(ctl_qmp_pick_mac(l, NULL, 0, m, ip, sizeof(ip)), -EPROTO);
	yajl_tree_free(l);
}

/* --- attach: the QMP half ------------------------------------------------------------------ */

static void test_hotplug(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "netdev_add",
		  "\"arguments\":{\"id\":\"vgate0-net\",\"type\":\"stream\",\"server\":false,"
		  "\"addr\":{\"type\":\"unix\",\"path\":\"/run/vgate/qemu.sock\"}}",
		  RET, EV_CONNECTED("vgate0-net") },
		{ "device_add",
		  "{\"driver\":\"virtio-net-pci\",\"id\":\"vgate0\",\"netdev\":\"vgate0-net\","
		  "\"mac\":\"5a:94:ef:e4:0c:ee\"}",
		  RET, NULL },
	};
	struct ctl_qmp_target t;
	struct session s;
	char id[CTL_QMP_ID_MAX + 1] = "vgate0";

	(void)state;
	unix_target(&t);
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_hotplug(s.c, &s.ev, id, true, "5a:94:ef:e4:0c:ee", &t, 5000, s.err,
					 sizeof(s.err)),
			 0);
	assert_string_equal(id, "vgate0");
	close_session(&s);
}

/* The connection event comes before netdev_add's answer: it still counts. */
static void test_hotplug_event_first(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "netdev_add",
		  "\"addr\":{\"type\":\"inet\",\"host\":\"127.0.0.1\",\"port\":\"5555\"}",
		  EV_CONNECTED("n1-net") RET, NULL },
		{ "device_add", "\"id\":\"n1\"", RET, NULL },
	};
	struct ctl_qmp_target t;
	struct session s;
	char id[CTL_QMP_ID_MAX + 1] = "n1";

	(void)state;
	assert_int_equal(ctl_qmp_target_parse("tcp://127.0.0.1:5555", &t), 0);
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_hotplug(s.c, &s.ev, id, false, "5a:94:ef:e4:0c:ee", &t, 5000,
					 s.err, sizeof(s.err)),
			 0);
	close_session(&s);
}

/* An automatic id some netdev already has: the next one is taken. */
static void test_hotplug_auto_id(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "netdev_add", "\"id\":\"vgate0-net\"",
		  ERR("GenericError", "Duplicate ID 'vgate0-net'"), NULL },
		{ "netdev_add", "\"id\":\"vgate1-net\"", RET EV_CONNECTED("vgate1-net"), NULL },
		{ "device_add", "\"id\":\"vgate1\",\"netdev\":\"vgate1-net\"", RET, NULL },
	};
	struct ctl_qmp_target t;
	struct session s;
	char id[CTL_QMP_ID_MAX + 1] = "vgate0";

	(void)state;
	unix_target(&t);
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_hotplug(s.c, &s.ev, id, true, "5a:94:ef:e4:0c:ee", &t, 5000, s.err,
					 sizeof(s.err)),
			 0);
	assert_string_equal(id, "vgate1");
	close_session(&s);
}

/* The same with an id the user gave: refused, with QEMU's words. */
static void test_hotplug_duplicate_given(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "netdev_add", "\"id\":\"mine-net\"",
		  ERR("GenericError", "Duplicate ID 'mine-net'"), NULL },
	};
	struct ctl_qmp_target t;
	struct session s;
	char id[CTL_QMP_ID_MAX + 1] = "mine";

	(void)state;
	unix_target(&t);
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_hotplug(s.c, &s.ev, id, false, "5a:94:ef:e4:0c:ee", &t, 5000,
					 s.err, sizeof(s.err)),
			 -EREMOTEIO);
	assert_string_equal(s.err, "netdev_add: GenericError: Duplicate ID 'mine-net' (QEMU "
				   "refused the command)");
	close_session(&s);
}

/* device_add refused: the netdev is removed again. */
static void test_hotplug_undo(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "netdev_add", NULL, RET EV_CONNECTED("vgate0-net"), NULL },
		{ "device_add", NULL,
		  ERR("GenericError", "Bus 'pci.0' does not support hotplugging"), NULL },
		{ "netdev_del", "{\"id\":\"vgate0-net\"}", RET, NULL },
	};
	struct ctl_qmp_target t;
	struct session s;
	char id[CTL_QMP_ID_MAX + 1] = "vgate0";

	(void)state;
	unix_target(&t);
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_hotplug(s.c, &s.ev, id, true, "5a:94:ef:e4:0c:ee", &t, 5000, s.err,
					 sizeof(s.err)),
			 -EREMOTEIO);
	assert_non_null(strstr(s.err, "device_add: GenericError: Bus 'pci.0' does not support"));
	close_session(&s);
}

/* The netdev never connects (nothing listens): bounded, then undone. */
static void test_hotplug_never_connects(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "netdev_add", NULL, RET EV_CONNECTED("someone-else-net"), NULL },
		{ "netdev_del", "{\"id\":\"vgate0-net\"}",
		  ERR("GenericError", "Device 'vgate0-net' not found"), NULL },
	};
	struct ctl_qmp_target t;
	struct session s;
	char id[CTL_QMP_ID_MAX + 1] = "vgate0";

	(void)state;
	unix_target(&t);
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_hotplug(s.c, &s.ev, id, true, "5a:94:ef:e4:0c:ee", &t, 300, s.err,
					 sizeof(s.err)),
			 -ETIMEDOUT);
	assert_non_null(strstr(s.err, "netdev vgate0-net: QEMU did not report the connection to "
				      "unix:///run/vgate/qemu.sock within 0 s"));
	/* The undo failed too: both are said. */
	assert_non_null(strstr(s.err, "; undoing netdev_add failed too: netdev_del: GenericError"));
	close_session(&s);
}

/* Every error class of QEMU 7.2 gives its class, QEMU's text and what it means. */
static void test_error_classes(void **state)
{
	static const char *const classes[][2] = {
		{ "GenericError", "QEMU refused the command" },
		{ "CommandNotFound", "does not know the command" },
		{ "DeviceNotActive", "not active" },
		{ "DeviceNotFound", "no such device" },
		{ "KVMMissingCap", "KVM lacks a capability" },
		{ "SomethingNewer", "of a class this client does not know" },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(classes); i++) {
		char reply[256];
		struct qmp_step steps[2] = { CAPS, { "netdev_add", NULL, reply, NULL } };
		struct ctl_qmp_target t;
		struct session s;
		char id[CTL_QMP_ID_MAX + 1] = "x";

		snprintf(reply, sizeof(reply),
			 "{\"id\": %%lld, \"error\": {\"class\": \"%s\", \"desc\": \"text "
			 "%zu\"}}\r\n",
			 classes[i][0], i);
		unix_target(&t);
		open_session(&s, steps, 2);
		assert_int_equal(ctl_qmp_hotplug(s.c, &s.ev, id, false, "5a:94:ef:e4:0c:ee", &t,
						 5000, s.err, sizeof(s.err)),
				 -EREMOTEIO);
		assert_non_null(strstr(s.err, classes[i][0]));
		assert_non_null(strstr(s.err, classes[i][1]));
		assert_non_null(strstr(s.err, "text "));
		close_session(&s);
	}
}

/* --- detach: the QMP half ------------------------------------------------------------------- */

/* The usual order: the answer, then (the guest taking its time) the event. */
static void test_unplug(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "device_del", "{\"id\":\"vgate0\"}", RET,
		  EV_BACKEND_DELETED("vgate0") EV_DELETED("vgate0") },
		{ "netdev_del", "{\"id\":\"vgate0-net\"}", RET, NULL },
	};
	struct session s;

	(void)state;
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_unplug(s.c, &s.ev, "vgate0", 5000, s.err, sizeof(s.err)), 0);
	assert_int_equal(s.ev.ndeleted, 1);
	close_session(&s);
}

/* The whole detach: the event follows the answer in the same write. */
static void test_unplug_whole(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "device_del", "{\"id\":\"vgate0\"}",
		  RET EV_BACKEND_DELETED("vgate0") EV_DELETED("vgate0"), NULL },
		{ "netdev_del", "{\"id\":\"vgate0-net\"}", RET, NULL },
	};
	struct session s;

	(void)state;
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_unplug(s.c, &s.ev, "vgate0", 5000, s.err, sizeof(s.err)), 0);
	close_session(&s);
}

/* The event before the answer. */
static void test_unplug_event_first(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "device_del", NULL, EV_DELETED("n") RET, NULL },
		{ "netdev_del", "{\"id\":\"n-net\"}", RET, NULL },
	};
	struct session s;

	(void)state;
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_unplug(s.c, &s.ev, "n", 5000, s.err, sizeof(s.err)), 0);
	close_session(&s);
}

/* No guest releases the device: bounded, and the netdev is left alone. */
static void test_unplug_never_deleted(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "device_del", NULL, RET EV_DELETED("another"), NULL },
	};
	struct session s;

	(void)state;
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_unplug(s.c, &s.ev, "vgate0", 300, s.err, sizeof(s.err)),
			 -ETIMEDOUT);
	assert_non_null(strstr(s.err, "device vgate0: QEMU did not report it deleted"));
	assert_non_null(strstr(s.err, "netdev vgate0-net was left in place"));
	close_session(&s);
}

/* No such device: said so; a netdev of that name left by a half-done attach goes. */
static void test_unplug_not_found(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "device_del", NULL, ERR("DeviceNotFound", "Device 'vgate0' not found"), NULL },
		{ "netdev_del", "{\"id\":\"vgate0-net\"}", RET, NULL },
	};
	struct session s;

	(void)state;
	open_session(&s, steps, ARRAY_SIZE(steps));
	assert_int_equal(ctl_qmp_unplug(s.c, &s.ev, "vgate0", 5000, s.err, sizeof(s.err)),
			 -EREMOTEIO);
	assert_string_equal(s.err, "device_del: DeviceNotFound: Device 'vgate0' not found (no such "
				   "device in this VM); netdev vgate0-net was removed");
	close_session(&s);
}

/* QEMU goes away while detach waits: the connection's error, at once. */
static void test_unplug_peer_dies(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "device_del", NULL, RET, NULL },
	};
	struct session s;

	(void)state;
	open_session(&s, steps, ARRAY_SIZE(steps));
	/* The fake holds the connection after its script: end it from here. */
	kill(s.pid, SIGKILL);
	assert_true(ctl_qmp_unplug(s.c, &s.ev, "vgate0", 60000, s.err, sizeof(s.err)) < 0);
	/* Which, depends on whether the command was written before the peer was gone. */
	if (!strstr(s.err, "device_del: ") ||
	    !(strstr(s.err, "closed the connection") || strstr(s.err, "cannot write") ||
	      strstr(s.err, "cannot read")))
		fail_msg("error: %s", s.err);
	qmp_client_free(s.c);
	waitpid(s.pid, NULL, 0);
}

static void test_events_record(void **state)
{
	struct ctl_qmp_events ev = { 0 };
	struct qmp_msg m = { .type = QMP_MSG_EVENT, .event = "NETDEV_STREAM_CONNECTED" };
	yajl_val data = parse("{\"netdev-id\": \"a-net\"}");

	(void)state;
	m.value = data;
	ev.want_connected = "a-net";
	ctl_qmp_event_record(&ev, &m);
	assert_true(ev.hit);
	assert_int_equal(ev.nconnected, 1);
	/* Bounded: more than CTL_QMP_AUTO_IDS are not kept (but still hit). */
	for (int i = 0; i < 2 * CTL_QMP_AUTO_IDS; i++)
		ctl_qmp_event_record(&ev, &m);
	assert_int_equal(ev.nconnected, CTL_QMP_AUTO_IDS);
	m.event = "SOMETHING_ELSE";
	ctl_qmp_event_record(&ev, &m);
	m.type = QMP_MSG_RETURN;
	ctl_qmp_event_record(&ev, &m);
	assert_int_equal(ev.ndeleted, 0);
	yajl_tree_free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_macs),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_pick_listener),
		cmocka_unit_test(test_pick_mac),
		cmocka_unit_test(test_hotplug),
		cmocka_unit_test(test_hotplug_event_first),
		cmocka_unit_test(test_hotplug_auto_id),
		cmocka_unit_test(test_hotplug_duplicate_given),
		cmocka_unit_test(test_hotplug_undo),
		cmocka_unit_test(test_hotplug_never_connects),
		cmocka_unit_test(test_error_classes),
		cmocka_unit_test(test_unplug),
		cmocka_unit_test(test_unplug_whole),
		cmocka_unit_test(test_unplug_event_first),
		cmocka_unit_test(test_unplug_never_deleted),
		cmocka_unit_test(test_unplug_not_found),
		cmocka_unit_test(test_unplug_peer_dies),
		cmocka_unit_test(test_events_record),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
