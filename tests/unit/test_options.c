// SPDX-License-Identifier: MIT
/*
 * test_options.c - backend/options.c: gvproxy's command lines (as podman
 * machine writes them), Go flag syntax, repeatable flags and every error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "options.h"

#include <errno.h>
#include <string.h>

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static void test_podman_command_line(void **state)
{
	char *argv[] = { "gvproxy",	 "-debug",
			 "-mtu",	 "1500",
			 "-ssh-port",	 "41117",
			 "-listen-qemu", "unix:///run/user/1000/podman/x-gvproxy.sock",
			 "-pid-file",	 "/run/x/gvproxy.pid",
			 "-log-file",	 "/run/x/gvproxy.log" };
	struct vgate_options o;

	(void)state;
	assert_int_equal(options_parse(&o, ARGC(argv), argv), 0);
	assert_true(o.debug);
	assert_int_equal(o.mtu, 1500);
	assert_int_equal(o.ssh_port, 41117);
	assert_int_equal(o.listen_qemu.n, 1);
	assert_string_equal(o.listen_qemu.v[0], "unix:///run/user/1000/podman/x-gvproxy.sock");
	assert_string_equal(o.pid_file, "/run/x/gvproxy.pid");
	assert_string_equal(o.log_file, "/run/x/gvproxy.log");
}

static void test_defaults(void **state)
{
	char *argv[] = { "vgate" };
	struct vgate_options o;

	(void)state;
	assert_int_equal(options_parse(&o, 1, argv), 0);
	assert_int_equal(o.mtu, 1500);
	assert_int_equal(o.ssh_port, 2222);
	assert_string_equal(o.netns_ifname, "tap0");
	assert_false(o.debug);
	assert_false(o.listen_stdio);
}

static void test_go_flag_syntax(void **state)
{
	char *argv[] = { "vgate",
			 "--mtu=65520",
			 "--listen",
			 "unix:///a",
			 "-listen=unix:///b",
			 "-debug=false",
			 "--netns-configure",
			 "-ssh-port=-1",
			 "-listen-stdio",
			 "accept",
			 "--netns",
			 "n1",
			 "--netns=n2" };
	struct vgate_options o;

	(void)state;
	assert_int_equal(options_parse(&o, ARGC(argv), argv), 0);
	assert_int_equal(o.mtu, 65520);
	assert_int_equal(o.listen.n, 2);
	assert_string_equal(o.listen.v[1], "unix:///b");
	assert_false(o.debug);
	assert_true(o.netns_configure);
	assert_int_equal(o.ssh_port, -1);
	assert_true(o.listen_stdio);
	assert_int_equal(o.netns.n, 2);
}

static void test_mtu_zero_means_1500(void **state)
{
	char *argv[] = { "vgate", "-mtu", "0" };
	struct vgate_options o;

	(void)state;
	assert_int_equal(options_parse(&o, ARGC(argv), argv), 0);
	assert_int_equal(o.mtu, 1500);
}

static void expect_error(char **argv, int argc)
{
	struct vgate_options o;

	assert_int_equal(options_parse(&o, argc, argv), -EINVAL);
}

static void test_errors(void **state)
{
	char *unknown[] = { "vgate", "-no-such-flag" };
	char *missing[] = { "vgate", "-listen-qemu" };
	char *big_mtu[] = { "vgate", "-mtu", "65521" };
	char *small_mtu[] = { "vgate", "-mtu", "100" };
	char *neg_mtu[] = { "vgate", "-mtu", "-5" };
	char *bad_port[] = { "vgate", "-ssh-port", "70000" };
	char *bad_port2[] = { "vgate", "-ssh-port", "22x" };
	char *bad_bool[] = { "vgate", "-debug=yes" };
	char *bad_stdio[] = { "vgate", "-listen-stdio", "connect" };
	char *stray[] = { "vgate", "listen" };
	char *dash[] = { "vgate", "-" };

	(void)state;
	expect_error(unknown, ARGC(unknown));
	expect_error(missing, ARGC(missing));
	expect_error(big_mtu, ARGC(big_mtu));
	expect_error(small_mtu, ARGC(small_mtu));
	expect_error(neg_mtu, ARGC(neg_mtu));
	expect_error(bad_port, ARGC(bad_port));
	expect_error(bad_port2, ARGC(bad_port2));
	expect_error(bad_bool, ARGC(bad_bool));
	expect_error(bad_stdio, ARGC(bad_stdio));
	expect_error(stray, ARGC(stray));
	expect_error(dash, ARGC(dash));
}

static void test_repeat_bound(void **state)
{
	char *argv[2 * OPT_LIST_MAX + 3];
	struct vgate_options o;
	int n = 1;

	(void)state;
	argv[0] = "vgate";
	for (int i = 0; i <= OPT_LIST_MAX; i++) {
		argv[n++] = "-listen-qemu";
		argv[n++] = "unix:///x";
	}
	assert_int_equal(options_parse(&o, n - 2, argv), 0);
	assert_int_equal(o.listen_qemu.n, OPT_LIST_MAX);
	assert_int_equal(options_parse(&o, n, argv), -EINVAL);
}

static void test_help_and_version(void **state)
{
	char *h[] = { "vgate", "-h" };
	char *help[] = { "vgate", "--help" };
	char *version[] = { "vgate", "-version" };
	struct vgate_options o;

	(void)state;
	assert_int_equal(options_parse(&o, ARGC(h), h), 0);
	assert_true(o.help);
	assert_int_equal(options_parse(&o, ARGC(help), help), 0);
	assert_true(o.help);
	assert_int_equal(options_parse(&o, ARGC(version), version), 0);
	assert_true(o.version);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_podman_command_line),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_go_flag_syntax),
		cmocka_unit_test(test_mtu_zero_means_1500),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_repeat_bound),
		cmocka_unit_test(test_help_and_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
