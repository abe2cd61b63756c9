// SPDX-License-Identifier: MIT
/*
 * test_guest_opts.c - guest-tools/gopts.c: vgate-guest's command line
 *
 * gvforwarder's defaults and flag syntax (one or two dashes, "-f v" and
 * "-f=v", booleans bare or "=false"), vgate-guest's own flags, the
 * forward-ports command and what it refuses, and usage errors that name
 * the flag: unknown flags, missing values, out-of-range numbers, bad MACs,
 * interface names, DHCP modes, port lists, stray arguments.
 */
#include "gopts.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

static struct gopts o;
static char err[512];

static int run(int argc, const char *const *argv)
{
	err[0] = '\0';
	return gopts_parse(argc, (char **)argv, &o, err, sizeof(err));
}

#define RUN(...)                                                         \
	({                                                               \
		const char *const a_[] = { "vgate-guest", __VA_ARGS__ }; \
		run((int)(sizeof(a_) / sizeof(a_[0])), a_);              \
	})

static void test_defaults(void **state)
{
	const char *const argv[] = { "vgate-guest" };
	static const uint8_t mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };

	(void)state;
	assert_int_equal(run(1, argv), 0);
	assert_int_equal(o.cmd, GOPTS_FORWARD);
	assert_string_equal(o.url, "vsock://2:1024/connect");
	assert_string_equal(o.iface, "tap0");
	assert_memory_equal(o.mac, mac, 6);
	assert_int_equal(o.mtu, 0);
	assert_false(o.preexisting);
	assert_string_equal(o.stop_if_exist, "eth0,ens3,enp0s1");
	assert_int_equal(o.dhcp, GOPTS_DHCP_AUTO);
	assert_string_equal(o.resolv, "/etc/resolv.conf");
	assert_false(o.auto_forward);
	assert_string_equal(o.agent.host_ip, "127.0.0.1");
	assert_true(o.agent.tcp && o.agent.udp);
	assert_int_equal(o.agent.scan_ms, 2000);
	assert_int_equal(o.agent.api_port, 80);
}

static void test_gvforwarder_flags(void **state)
{
	(void)state;
	assert_int_equal(RUN("-url", "unix:///run/v.sock", "--iface=tap7", "-mac",
			     "02:00:00:00:00:01", "-mtu=9000", "-preexisting", "--debug",
			     "-stop-if-exist", ""),
			 0);
	assert_string_equal(o.url, "unix:///run/v.sock");
	assert_string_equal(o.iface, "tap7");
	assert_int_equal(o.mac[0], 2);
	assert_int_equal(o.mac[5], 1);
	assert_int_equal(o.mtu, 9000);
	assert_true(o.preexisting);
	assert_true(o.debug);
	assert_string_equal(o.stop_if_exist, "");
	assert_int_equal(RUN("-debug=false", "-preexisting=true", "-version"), 0);
	assert_false(o.debug);
	assert_true(o.preexisting);
	assert_true(o.version);
	assert_int_equal(RUN("-h"), 0);
	assert_true(o.help);
}

static void test_own_flags(void **state)
{
	(void)state;
	assert_int_equal(RUN("-dhcp=builtin", "-resolv", "none", "-hostname", "box-1",
			     "-route-metric", "50", "-auto-forward", "-gateway", "10.0.0.1:8080",
			     "-host-ip", "", "-host-port-offset", "-100", "-include",
			     "80,8000-8100", "-exclude", "udp:53", "-expose-loopback",
			     "-scan-interval", "3", "-protocols", "tcp", "-log-file", "/tmp/l",
			     "-pid-file", "/tmp/p"),
			 0);
	assert_int_equal(o.dhcp, GOPTS_DHCP_BUILTIN);
	assert_true(o.dhcp_given);
	assert_string_equal(o.resolv, "");
	assert_string_equal(o.hostname, "box-1");
	assert_int_equal(o.route_metric, 50);
	assert_true(o.auto_forward);
	assert_int_equal(o.agent.api_port, 8080);
	assert_int_equal(o.agent.gateway.s_addr, htonl(0x0a000001));
	assert_string_equal(o.agent.host_ip, "");
	assert_int_equal(o.agent.port_offset, -100);
	assert_int_equal(o.agent.n_include, 2);
	assert_int_equal(o.agent.n_exclude, 1);
	assert_true(o.agent.expose_loopback);
	assert_int_equal(o.agent.scan_ms, 3000);
	assert_true(o.agent.tcp && !o.agent.udp);
	assert_string_equal(o.log_file, "/tmp/l");
	assert_string_equal(o.pid_file, "/tmp/p");
	assert_int_equal(RUN("-resolv", "/run/resolv.conf", "-dhcp", "udhcpc"), 0);
	assert_string_equal(o.resolv, "/run/resolv.conf");
	assert_int_equal(o.dhcp, GOPTS_DHCP_UDHCPC);
}

static void test_forward_ports(void **state)
{
	(void)state;
	assert_int_equal(RUN("forward-ports", "-include", "9000-9100", "-debug"), 0);
	assert_int_equal(o.cmd, GOPTS_FORWARD_PORTS);
	assert_int_equal(o.agent.n_include, 1);
	/* Forwarder flags make no sense for the agent alone. */
	assert_int_equal(RUN("forward-ports", "-url", "unix:///x"), -EINVAL);
	assert_non_null(strstr(err, "-url applies to the forwarder"));
	/* The command word only counts first. */
	assert_int_equal(RUN("-debug", "forward-ports"), -EINVAL);
}

static void test_usage_errors(void **state)
{
	static const struct {
		const char *a, *b, *msg;
	} bad[] = {
		{ "-nope", NULL, "flag provided but not defined: -nope" },
		{ "--no=1", NULL, "not defined" },
		{ "-url", NULL, "flag needs an argument: -url" },
		{ "-mtu", "67", "-mtu 67" },
		{ "-mtu", "65522", "-mtu 65522" },
		{ "-mtu", "15x", "-mtu 15x" },
		{ "-mac", "5a:94:ef:e4:0c", "-mac" },
		{ "-mac", "5a:94:ef:e4:0c:eg", "-mac" },
		{ "-mac", "5a-94-ef-e4-0c-ee", "-mac" },
		{ "-mac", "01:00:5e:00:00:01", "-mac" },
		{ "-iface", "a/b", "-iface" },
		{ "-iface", "0123456789abcdef", "-iface" },
		{ "-iface", "", "-iface" },
		{ "-dhcp", "dhcpcd", "-dhcp dhcpcd" },
		{ "-resolv", "relative/path", "-resolv" },
		{ "-hostname", "a b", "-hostname" },
		{ "-route-metric", "-1", "-route-metric" },
		{ "-gateway", "gw.example", "-gateway" },
		{ "-gateway", "10.0.0.1:0", "-gateway" },
		{ "-gateway", "0.0.0.0", "-gateway" },
		{ "-host-ip", "localhost", "-host-ip" },
		{ "-host-port-offset", "70000", "-host-port-offset" },
		{ "-include", "80,,81", "-include" },
		{ "-exclude", "0", "-exclude" },
		{ "-scan-interval", "0", "-scan-interval" },
		{ "-scan-interval", "61", "-scan-interval" },
		{ "-protocols", "sctp", "-protocols" },
		{ "-debug=maybe", NULL, "-debug=maybe" },
		{ "-api-token", "/nonexistent/token", "-api-token" },
		{ "stray", NULL, "unexpected argument 'stray'" },
		{ "-", NULL, "unexpected argument" },
		{ "---x", NULL, "unexpected argument" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *argv[3] = { "vgate-guest", bad[i].a, bad[i].b };

		assert_int_equal(run(bad[i].b ? 3 : 2, argv), -EINVAL);
		if (!strstr(err, bad[i].msg))
			fail_msg("'%s %s': '%s' lacks '%s'", bad[i].a, bad[i].b ? bad[i].b : "",
				 err, bad[i].msg);
	}
}

static void test_token_file(void **state)
{
	char path[] = "/tmp/test_guest_opts.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("s3cret-token\nsecond line\n", f);
	fclose(f);
	assert_int_equal(RUN("-api-token", path), 0);
	assert_string_equal(o.agent.token, "s3cret-token");
	f = fopen(path, "w");
	fputs("with space\n", f);
	fclose(f);
	assert_int_equal(RUN("-api-token", path), -EINVAL);
	f = fopen(path, "w");
	fclose(f);
	assert_int_equal(RUN("-api-token", path), -EINVAL);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),     cmocka_unit_test(test_gvforwarder_flags),
		cmocka_unit_test(test_own_flags),    cmocka_unit_test(test_forward_ports),
		cmocka_unit_test(test_usage_errors), cmocka_unit_test(test_token_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
