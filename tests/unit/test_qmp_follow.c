// SPDX-License-Identifier: MIT
/*
 * test_qmp_follow.c - backend/qmp_follow.c: vgate --qmp inside the loop
 *
 * The daemon's state is built as main.c builds it (options, config, the
 * loop, the DHCP server's lease table) with the global `vg` defined here.
 * The fake QMP server (test_qmp_fake.h) listens on a unix socket in a
 * temporary directory and plays a script; the test runs vg->loop with a
 * dispatcher that knows only REF_QMP, and a safety timer that stops the
 * loop with code 99 if the script does not end it.
 *
 * Covered: the MACs of query-rx-filter (at connect, and again after
 * NIC_RX_FILTER_CHANGED) get DHCP addresses reserved (a static lease
 * stays what it is; a new MAC is bound to a free address); SHUTDOWN ends
 * the loop with 0; a monitor that hangs up without SHUTDOWN ends it with
 * QMP_FOLLOW_EXIT_LOST; --qmp-keep-running keeps the loop going through
 * both; a socket that does not exist yet is waited for; a bad --qmp is
 * refused; qmp_follow_reserve() on its own, including a full pool.
 */
#include "dhcp_server.h"
#include "lease.h"
#include "qmp_follow.h"
#include "test_qmp_fake.h"
#include "testutil.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>

struct vgate *vg;

#define RET "{\"return\": {}, \"id\": %lld}\r\n"
#define CAPS                                        \
	{                                           \
		"qmp_capabilities", NULL, RET, NULL \
	}
#define RX(mac)                                                                                 \
	"{\"return\": [{\"promiscuous\": true, \"name\": \"nic0\", \"main-mac\": \"" mac "\", " \
	"\"unicast\": \"normal\", \"vlan-table\": [4095], \"multicast\": \"normal\"}], "        \
	"\"id\": %lld}\r\n"
#define EV(name, data) "{\"event\": \"" name "\", \"data\": " data "}\r\n"
/* Long enough for any script here; the loop's own bound. */
#define SAFETY_MS 10000

static struct vgate_options opts;
static char dir[64], sock_path[108];
static struct loop_timer safety;

static int no_deliver(void *ctx, unsigned port, const uint8_t *frame, size_t len)
{
	(void)ctx;
	(void)port;
	(void)frame;
	(void)len;
	return 0;
}

static __attribute__((sentinel)) int setup_with(const char *first, ...)
{
	char *argv[16] = { "vgate" };
	int argc = 1;
	va_list ap;

	va_start(ap, first);
	for (const char *a = first; a; a = va_arg(ap, const char *))
		argv[argc++] = (char *)a;
	va_end(ap);
	vg = calloc(1, sizeof(*vg));
	assert_non_null(vg);
	assert_int_equal(options_parse(&opts, argc, argv), 0);
	assert_int_equal(config_build(&vg->cfg, &opts), 0);
	assert_int_equal(loop_init(&vg->loop), 0);
	vg->opt = &opts;
	switch_init(&vg->sw, vg->cfg.gateway_mac, no_deliver, NULL, NULL);
	assert_int_equal(dhcp_server_init(), 0);
	snprintf(dir, sizeof(dir), "/tmp/test_qmp_follow.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/qmp.sock", dir);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_with("--resolv-conf", "/dev/null", NULL);
}

static int teardown(void **state)
{
	(void)state;
	qmp_follow_stop();
	loop_timer_cancel(&vg->loop, &safety);
	dhcp_server_fini();
	loop_fini(&vg->loop);
	config_free(&vg->cfg);
	free(vg);
	vg = NULL;
	unlink(sock_path);
	rmdir(dir);
	return 0;
}

/* A listening socket at sock_path whose one connection the fake serves. */
static pid_t serve(const struct qmp_step *steps, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	pid_t pid;

	assert_true(lfd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			_exit(9);
		close(lfd);
		qmp_fake_serve(fd, steps, n);
	}
	close(lfd);
	return pid;
}

static void dispatch(struct loop_ref *ref, uint32_t events)
{
	if (ref->kind == REF_QMP)
		qmp_follow_handle(ref, events);
}

static void safety_fired(struct loop_timer *t)
{
	(void)t;
	loop_quit(&vg->loop, 99);
}

/* Run the loop until qmp_follow (or the safety timer, or @ms) stops it. */
static int run_loop(unsigned ms)
{
	safety.fn = safety_fired;
	loop_timer_arm(&vg->loop, &safety, ms);
	vg->loop.stop = false;
	return loop_run(&vg->loop, dispatch, NULL, NULL);
}

static void mac_of(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	assert_int_equal(sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]),
			 6);
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
}

static uint32_t bound_ip(const char *mac)
{
	uint8_t m[6];

	mac_of(mac, m);
	return lease_find_mac(&dhcp_server_leases, m, now_ms());
}

static uint32_t ip4(unsigned last)
{
	return (192u << 24) | (168u << 16) | (127u << 8) | last;
}

/* Reservations at connect and after NIC_RX_FILTER_CHANGED; SHUTDOWN ends it with 0. */
static void test_follow_shutdown(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "query-rx-filter", NULL, RX("52:54:00:00:00:07"),
		  EV("NETDEV_STREAM_CONNECTED", "{\"netdev-id\": \"n0\", \"addr\": {\"type\": "
						"\"unix\", \"path\": \"/run/vgate/qemu.sock\"}}")
			  EV("NIC_RX_FILTER_CHANGED",
			     "{\"name\": \"nic0\", \"path\": "
			     "\"/machine/peripheral/nic0/virtio-backend\"}") },
		{ "query-rx-filter", NULL, RX("5a:94:ef:e4:0c:ee"),
		  EV("SHUTDOWN", "{\"guest\": true, \"reason\": \"guest-shutdown\"}") },
	};
	pid_t pid = serve(steps, ARRAY_SIZE(steps));

	(void)state;
	assert_int_equal(bound_ip("52:54:00:00:00:07"), 0);
	assert_int_equal(qmp_follow_start(sock_path, false), 0);
	assert_int_equal(run_loop(SAFETY_MS), 0);
	/* A new MAC got the lowest free address; the static one kept its lease. */
	assert_int_equal(bound_ip("52:54:00:00:00:07"), ip4(3));
	assert_int_equal(bound_ip("5a:94:ef:e4:0c:ee"), ip4(2));
	qmp_follow_stop();
	qmp_fake_reap(pid);
}

/* The monitor hangs up without SHUTDOWN: QMP_FOLLOW_EXIT_LOST. */
static void test_follow_lost(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "query-rx-filter", NULL, "{\"return\": [], \"id\": %lld}\r\n", NULL },
		{ NULL, NULL, NULL, NULL },
	};
	pid_t pid = serve(steps, ARRAY_SIZE(steps));

	(void)state;
	assert_int_equal(qmp_follow_start(sock_path, false), 0);
	assert_int_equal(run_loop(SAFETY_MS), QMP_FOLLOW_EXIT_LOST);
	qmp_follow_stop();
	qmp_fake_reap(pid);
}

/* With keep-running neither SHUTDOWN nor the hang-up ends the loop. */
static void test_follow_keep_running(void **state)
{
	static const struct qmp_step steps[] = {
		CAPS,
		{ "query-rx-filter", NULL, "{\"return\": [], \"id\": %lld}\r\n",
		  EV("SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}") },
		{ NULL, NULL, NULL, NULL },
	};
	pid_t pid = serve(steps, ARRAY_SIZE(steps));

	(void)state;
	assert_int_equal(qmp_follow_start(sock_path, true), 0);
	/* The script is over long before this; only the safety timer ends the loop. */
	assert_int_equal(run_loop(1500), 99);
	qmp_follow_stop();
	qmp_fake_reap(pid);
}

/* Garbage instead of a greeting: not ready, so retried, never fatal. */
static void test_follow_garbage(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), fd;

	(void)state;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(qmp_follow_start(sock_path, false), 0);
	fd = accept(lfd, NULL, NULL);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "garbage\r\n", 9), 9);
	/* vgate drops it and dials again: the second connection arrives. */
	assert_int_equal(run_loop(300), 99);
	{
		int fd2 = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

		assert_true(fd2 >= 0);
		close(fd2);
	}
	close(fd);
	close(lfd);
}

/* The socket appears only later: vgate waits for it (the loop keeps running). */
static void test_follow_waits(void **state)
{
	(void)state;
	assert_int_equal(qmp_follow_start(sock_path, false), 0);
	assert_int_equal(run_loop(250), 99);
	qmp_follow_stop();
}

static void test_follow_bad_spec(void **state)
{
	char longpath[200];

	(void)state;
	assert_int_equal(qmp_follow_start("relative.sock", false), -EINVAL);
	assert_int_equal(qmp_follow_start("unix://relative.sock", false), -EINVAL);
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(qmp_follow_start(longpath, false), -EINVAL);
	assert_int_equal(qmp_follow_start("unix:///nonexistent/dir/q.sock", false), 0);
	qmp_follow_stop();
}

static void test_reserve(void **state)
{
	uint8_t dyn[6] = { 0x52, 0x54, 0, 0, 0, 0x09 },
		stat[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
	uint32_t ip, ip2;
	bool st;

	(void)state;
	assert_int_equal(qmp_follow_reserve(stat, &ip, &st), 0);
	assert_true(st);
	assert_int_equal(ip, ip4(2));
	assert_int_equal(qmp_follow_reserve(dyn, &ip, &st), 0);
	assert_false(st);
	assert_int_equal(ip, ip4(3));
	/* Asking again changes nothing. */
	assert_int_equal(qmp_follow_reserve(dyn, &ip2, &st), 0);
	assert_int_equal(ip2, ip);
	assert_int_equal(lease_slot(&dhcp_server_leases, ip)->state, LEASE_BOUND);
}

/* A /30 with the gateway and the static lease: nothing left to reserve. */
static int setup_full(void **state)
{
	(void)state;
	return setup_with("--resolv-conf", "/dev/null", "-subnet", "172.20.5.8/30", "-gatewayIP",
			  "172.20.5.9", "-deviceIP", "172.20.5.10", "-hostIP", "0.0.0.0", NULL);
}

static void test_reserve_full(void **state)
{
	uint8_t dyn[6] = { 0x52, 0x54, 0, 0, 0, 0x09 };
	uint32_t ip;
	bool st;

	(void)state;
	assert_int_equal(qmp_follow_reserve(dyn, &ip, &st), -ENOSPC);
	assert_int_equal(qmp_follow_reserve(vg->cfg.device_mac, &ip, &st), 0);
	assert_true(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_follow_shutdown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_lost, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_keep_running, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_follow_bad_spec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reserve_full, setup_full, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
