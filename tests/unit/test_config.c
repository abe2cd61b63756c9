// SPDX-License-Identifier: MIT
/*
 * test_config.c - backend/config.c: gvproxy's defaults, every key of the
 * JSON schema, command-line flags over the file, the errors for each kind
 * of bad input, the consistency checks that config_build() runs last,
 * config_parse_hostport() and config_is_gateway_addr().
 *
 * Configurations are built the way main.c builds them: options_parse() on
 * an argv, then config_build(). JSON goes through a temporary file under
 * /tmp (made with mkstemp, removed straight after the build) for the
 * -config path, or straight into config_load_json() where only the error
 * text matters; every error must name the key it is about. While a build
 * runs, the log goes to another temporary file, so a failed build can be
 * held to config.h's promise: -EINVAL, after logging what is wrong. Every
 * config is released with config_free(), also after a failed build, so an
 * ASan build of this test reports any leak on either path. Addresses in
 * struct vgate_config are network order; the tests compare them with
 * inet_pton() results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "config.h"
#include "dns_wire.h"
#include "dns_zone.h"
#include "log.h"
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const uint8_t gw_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
static const uint8_t dev_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* What config_build() logged during the last build(). */
static char logged[8192];

static int build_argv(struct vgate_config *c, char **argv)
{
	char path[] = "/tmp/vgate-test-config-log-XXXXXX";
	struct vgate_options o;
	int argc = 0, fd, r;
	ssize_t n;

	while (argv[argc])
		argc++;
	assert_int_equal(options_parse(&o, argc, argv), 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(log_open(path), 0);
	r = config_build(c, &o);
	log_close();
	n = pread(fd, logged, sizeof(logged) - 1, 0);
	logged[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return r;
}

/*
 * A build that returned @r must have failed with -EINVAL and logged why
 * (config.h's promise); @c is freed first, so a failure here leaks nothing.
 */
#define expect_einval(c, r) expect_einval_at((c), (r), __LINE__)
static void expect_einval_at(struct vgate_config *c, int r, int line)
{
	bool said = strstr(logged, "error config: ") != NULL;

	config_free(c);
	if (r != -EINVAL || !said)
		fail_msg("line %d: config_build() returned %d (want -EINVAL, %d) and %s", line, r,
			 -EINVAL, said ? "logged an error" : "logged nothing");
}

/* config_build() from "vgate" plus the flags given, NULL-terminated. */
static __attribute__((sentinel)) int build(struct vgate_config *c, ...)
{
	char *argv[64] = { "vgate" };
	int argc = 1;
	va_list ap;

	va_start(ap, c);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		assert_true(++argc < 63);
	va_end(ap);
	return build_argv(c, argv);
}

/* Write @text to a fresh file under /tmp. Return: its path (free it). */
static char *tmp_file(const char *text)
{
	char *path = strdup("/tmp/vgate-test-config-XXXXXX");
	size_t len = strlen(text);
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

/* config_build() with -config FILE holding @json, then the flags given. */
static __attribute__((sentinel)) int build_json(struct vgate_config *c, const char *json, ...)
{
	char *path = tmp_file(json);
	char *argv[64] = { "vgate", "-config", path };
	int argc = 3, r;
	va_list ap;

	va_start(ap, json);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		assert_true(++argc < 63);
	va_end(ap);
	r = build_argv(c, argv);
	unlink(path);
	free(path);
	return r;
}

/* An empty config for config_load_json(), as config_build() starts it. */
static void fresh(struct vgate_config *c)
{
	memset(c, 0, sizeof(*c));
	dns_zones_init(&c->zones);
}

/* @json must fail to load, with an error message naming @needle. */
static void json_fails(const char *json, const char *needle)
{
	struct vgate_config c;
	char err[256];

	fresh(&c);
	memset(err, 'x', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	if (config_load_json(&c, json, err, sizeof(err)) != -EINVAL)
		fail_msg("accepted: %s", json);
	if (!err[0] || err[0] == 'x')
		fail_msg("no error message for: %s", json);
	if (needle && !strstr(err, needle))
		fail_msg("error for %s does not name %s: %s", json, needle, err);
	config_free(&c);
}

static void json_ok(struct vgate_config *c, const char *json)
{
	char err[256] = "";

	if (config_load_json(c, json, err, sizeof(err)) != 0)
		fail_msg("refused %s: %s", json, err);
}

/* The zone lookup of @name for @type; on an answer, the address as text in @out. */
static enum dns_zone_result look(const struct vgate_config *c, const char *name, uint16_t type,
				 char out[INET6_ADDRSTRLEN])
{
	struct in_addr a = { 0 };
	struct in6_addr a6 = IN6ADDR_ANY_INIT;
	enum dns_zone_result r = dns_zones_lookup(&c->zones, name, type, &a, &a6);

	out[0] = '\0';
	if (r == DNS_ZONE_ANSWER)
		inet_ntop(type == DNS_TYPE_AAAA ? AF_INET6 : AF_INET,
			  type == DNS_TYPE_AAAA ? (void *)&a6 : (void *)&a, out, INET6_ADDRSTRLEN);
	return r;
}

static void assert_answer(const struct vgate_config *c, const char *name, uint16_t type,
			  const char *want)
{
	char got[INET6_ADDRSTRLEN];

	if (look(c, name, type, got) != DNS_ZONE_ANSWER)
		fail_msg("%s: no answer (want %s)", name, want);
	assert_string_equal(got, want);
}

static const struct config_static_lease *static_for(const struct vgate_config *c,
						    const uint8_t mac[6])
{
	for (unsigned i = 0; i < c->nstatic; i++)
		if (!memcmp(c->static_leases[i].mac, mac, 6))
			return &c->static_leases[i];
	return NULL;
}

static void assert_upstream(const struct sockaddr_storage *sa, int family, const char *addr,
			    uint16_t port)
{
	char got[INET6_ADDRSTRLEN] = "";

	assert_int_equal(sa->ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, got, sizeof(got));
		assert_int_equal(ntohs(s4->sin_port), port);
	} else {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, got, sizeof(got));
		assert_int_equal(ntohs(s6->sin6_port), port);
	}
	assert_string_equal(got, addr);
}

static void test_defaults(void **state)
{
	struct vgate_config c;
	const struct config_static_lease *sl;
	char got[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(build(&c, NULL), 0);
	assert_int_equal(c.subnet, ip4("192.168.127.0"));
	assert_int_equal(c.prefix, 24);
	assert_int_equal(c.netmask, ip4("255.255.255.0"));
	assert_int_equal(c.gateway_ip, ip4("192.168.127.1"));
	assert_memory_equal(c.gateway_mac, gw_mac, 6);
	assert_int_equal(c.device_ip, ip4("192.168.127.2"));
	assert_memory_equal(c.device_mac, dev_mac, 6);
	assert_int_equal(c.host_ip, ip4("192.168.127.254"));
	assert_int_equal(c.nvips, 0);
	assert_int_equal(c.mtu, 1500);
	assert_int_equal(c.lease_secs, 3600);
	assert_int_equal(c.nstatic, 1);
	sl = static_for(&c, dev_mac);
	assert_non_null(sl);
	assert_int_equal(sl->ip, ip4("192.168.127.2"));
	assert_int_equal(c.nsearch, 0);
	assert_false(c.search_set);
	assert_string_equal(c.domain, "");
	assert_int_equal(c.nupstreams, 0);
	assert_answer(&c, "gateway.containers.internal.", DNS_TYPE_A, "192.168.127.1");
	assert_answer(&c, "host.containers.internal.", DNS_TYPE_A, "192.168.127.254");
	assert_answer(&c, "gateway.docker.internal.", DNS_TYPE_A, "192.168.127.1");
	assert_answer(&c, "host.docker.internal.", DNS_TYPE_A, "192.168.127.254");
	assert_int_equal(look(&c, "other.docker.internal.", DNS_TYPE_A, got), DNS_ZONE_NXDOMAIN);
	assert_int_equal(look(&c, "gateway.docker.internal.", DNS_TYPE_AAAA, got),
			 DNS_ZONE_FORWARD);
	assert_int_equal(look(&c, "example.com.", DNS_TYPE_A, got), DNS_ZONE_FORWARD);
	config_free(&c);
}

static void test_flags_override(void **state)
{
	const uint8_t m1[6] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct vgate_config c;
	const struct config_static_lease *sl;

	(void)state;
	assert_int_equal(build(&c, "-subnet", "10.0.0.0/16", "-gatewayIP", "10.0.0.1", "-deviceIP",
			       "10.0.0.2", "-hostIP", "10.0.255.254", "-mtu", "9000",
			       "--lease-time", "120", "--static-lease",
			       "02:00:00:00:00:01=10.0.0.9", "--dns-record", "lab.:db=10.0.0.3",
			       "--search-domain", "a.test", "--dns-upstream", "127.0.0.1:5353",
			       "--dns-upstream", "[::1]:53", NULL),
			 0);
	assert_int_equal(c.subnet, ip4("10.0.0.0"));
	assert_int_equal(c.prefix, 16);
	assert_int_equal(c.netmask, ip4("255.255.0.0"));
	assert_int_equal(c.gateway_ip, ip4("10.0.0.1"));
	assert_int_equal(c.device_ip, ip4("10.0.0.2"));
	assert_int_equal(c.host_ip, ip4("10.0.255.254"));
	assert_memory_equal(c.gateway_mac, gw_mac, 6);
	assert_int_equal(c.mtu, 9000);
	assert_int_equal(c.lease_secs, 120);
	assert_int_equal(c.nstatic, 2);
	sl = static_for(&c, m1);
	assert_non_null(sl);
	assert_int_equal(sl->ip, ip4("10.0.0.9"));
	sl = static_for(&c, dev_mac);
	assert_non_null(sl);
	assert_int_equal(sl->ip, ip4("10.0.0.2"));
	assert_answer(&c, "db.lab.", DNS_TYPE_A, "10.0.0.3");
	assert_answer(&c, "gateway.containers.internal.", DNS_TYPE_A, "10.0.0.1");
	assert_answer(&c, "host.docker.internal.", DNS_TYPE_A, "10.0.255.254");
	assert_int_equal(c.nsearch, 1);
	assert_string_equal(c.search[0], "a.test");
	assert_true(c.search_set);
	assert_int_equal(c.nupstreams, 2);
	assert_upstream(&c.upstreams[0], AF_INET, "127.0.0.1", 5353);
	assert_upstream(&c.upstreams[1], AF_INET6, "::1", 53);
	config_free(&c);
}

static void test_flags_macs_and_host_bits(void **state)
{
	const uint8_t g[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x01 };
	const uint8_t d[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0x02 };
	struct vgate_config c;
	char got[INET6_ADDRSTRLEN];

	(void)state;
	/* host bits of -subnet are dropped; -hostIP 0.0.0.0 means no host alias */
	assert_int_equal(build(&c, "-subnet", "172.20.5.9/30", "-gatewayIP", "172.20.5.9",
			       "-deviceIP", "172.20.5.10", "-hostIP", "0.0.0.0", "--gateway-mac",
			       "02:aa:bb:cc:dd:01", "--device-mac", "02:AA:BB:CC:DD:02", NULL),
			 0);
	assert_int_equal(c.subnet, ip4("172.20.5.8"));
	assert_int_equal(c.prefix, 30);
	assert_int_equal(c.netmask, ip4("255.255.255.252"));
	assert_int_equal(c.host_ip, 0);
	assert_memory_equal(c.gateway_mac, g, 6);
	assert_memory_equal(c.device_mac, d, 6);
	assert_non_null(static_for(&c, d));
	assert_int_equal(static_for(&c, d)->ip, ip4("172.20.5.10"));
	assert_null(static_for(&c, dev_mac));
	assert_answer(&c, "gateway.containers.internal.", DNS_TYPE_A, "172.20.5.9");
	assert_int_equal(look(&c, "host.containers.internal.", DNS_TYPE_A, got), DNS_ZONE_NXDOMAIN);
	assert_false(config_is_gateway_addr(&c, 0));
	config_free(&c);
	/* -mtu 0 means 1500, as in gvproxy */
	assert_int_equal(build(&c, "-mtu", "0", NULL), 0);
	assert_int_equal(c.mtu, 1500);
	config_free(&c);
	assert_int_equal(build(&c, "-mtu=65520", NULL), 0);
	assert_int_equal(c.mtu, 65520);
	config_free(&c);
}

static void test_bad_flags(void **state)
{
	struct vgate_config c;

	(void)state;
	expect_einval(&c, build(&c, "-subnet", "10.0.0.0", NULL));
	expect_einval(&c, build(&c, "-subnet", "10.0.0.0/8", NULL));
	expect_einval(&c, build(&c, "-subnet", "10.0.0.0/31", NULL));
	expect_einval(&c, build(&c, "-subnet", "10.0.0/24", NULL));
	expect_einval(&c, build(&c, "-gatewayIP", "192.168.127.1.1", NULL));
	expect_einval(&c, build(&c, "-deviceIP", "fd00::2", NULL));
	expect_einval(&c, build(&c, "-hostIP", "", NULL));
	expect_einval(&c, build(&c, "--gateway-mac", "5a:94:ef:e4:0c", NULL));
	expect_einval(&c, build(&c, "--device-mac", "5a:94:ef:e4:0c:zz", NULL));
	expect_einval(&c, build(&c, "--static-lease", "02:00:00:00:00:01", NULL));
	expect_einval(&c, build(&c, "--static-lease", "2:0:0:0:0:1=192.168.127.9", NULL));
	expect_einval(&c, build(&c, "--static-lease", "02:00:00:00:00:01=192.168.127", NULL));
	expect_einval(&c, build(&c, "--dns-record", "lab.db=10.0.0.3", NULL));
	expect_einval(&c, build(&c, "--dns-record", "lab.:db", NULL));
	expect_einval(&c, build(&c, "--dns-record", "lab.:db=fd00::3", NULL));
	expect_einval(&c, build(&c, "--dns-record", "lab.:d b=10.0.0.3", NULL));
	expect_einval(&c, build(&c, "--search-domain", "", NULL));
	expect_einval(&c, build(&c, "--dns-upstream", "[::1", NULL));
	expect_einval(&c, build(&c, "--dns-upstream", "1.1.1.1:0", NULL));
}

static void test_flag_list_limits(void **state)
{
	struct vgate_config c;

	(void)state;
	/* DHCP_SEARCH_MAX search domains fit, one more does not */
	assert_int_equal(build(&c, "--search-domain", "a1.test", "--search-domain", "a2.test",
			       "--search-domain", "a3.test", "--search-domain", "a4.test",
			       "--search-domain", "a5.test", "--search-domain", "a6.test", NULL),
			 0);
	assert_int_equal(c.nsearch, DHCP_SEARCH_MAX);
	config_free(&c);
	expect_einval(&c, build(&c, "--search-domain", "a1.test", "--search-domain", "a2.test",
				"--search-domain", "a3.test", "--search-domain", "a4.test",
				"--search-domain", "a5.test", "--search-domain", "a6.test",
				"--search-domain", "a7.test", NULL));
	/* CONFIG_UPSTREAMS_MAX upstreams fit, one more does not */
	assert_int_equal(build(&c, "--dns-upstream", "10.0.0.1", "--dns-upstream", "10.0.0.2",
			       "--dns-upstream", "10.0.0.3", "--dns-upstream", "10.0.0.4",
			       "--dns-upstream", "10.0.0.5", "--dns-upstream", "10.0.0.6",
			       "--dns-upstream", "10.0.0.7", "--dns-upstream", "10.0.0.8", NULL),
			 0);
	assert_int_equal(c.nupstreams, CONFIG_UPSTREAMS_MAX);
	config_free(&c);
	expect_einval(&c, build(&c, "--dns-upstream", "10.0.0.1", "--dns-upstream", "10.0.0.2",
				"--dns-upstream", "10.0.0.3", "--dns-upstream", "10.0.0.4",
				"--dns-upstream", "10.0.0.5", "--dns-upstream", "10.0.0.6",
				"--dns-upstream", "10.0.0.7", "--dns-upstream", "10.0.0.8",
				"--dns-upstream", "10.0.0.9", NULL));
}

static const char every_key[] =
	"{\"subnet\": \"10.1.0.0/16\",\n"
	" \"gatewayIP\": \"10.1.0.1\", \"gatewayMacAddress\": \"02:00:00:00:00:aa\",\n"
	" \"deviceIP\": \"10.1.0.2\", \"deviceMacAddress\": \"02:00:00:00:00:bb\",\n"
	" \"hostIP\": \"10.1.255.254\", \"gatewayVirtualIPs\": [\"10.1.255.253\", "
	"\"10.1.255.252\"],\n"
	" \"mtu\": 4000, \"leaseTime\": 600,\n"
	" \"dhcpStaticLeases\": {\"10.1.0.3\": \"02:00:00:00:00:cc\", \"10.1.0.4\": "
	"\"02:00:00:00:00:dd\"},\n"
	" \"dns\": [{\"Name\": \"lab.internal.\", \"DefaultIP\": \"\",\n"
	"           \"Records\": [{\"Name\": \"db\", \"IP\": \"10.1.0.3\", \"IPv6\": "
	"\"fd00::3\"},\n"
	"                       {\"Regexp\": \"^web[0-9]+$\", \"IP\": "
	"\"10.1.0.4\"}]},\n"
	"         {\"Name\": \"Other.Test\", \"DefaultIP\": \"10.1.0.9\", \"Records\": null},\n"
	"         {\"Name\": \"v6.test\", \"Records\": [{\"Name\": \"only6\", \"IPv6\": "
	"\"fd00::6\"}]}],\n"
	" \"dnsSearchDomains\": [\"example.test\", \"corp.test\"], \"domain\": \"example.test\",\n"
	" \"dnsUpstream\": [\"127.0.0.53\", \"10.0.0.1:5353\", \"[fd00::53]:5300\", "
	"\"fd00::54\"]}\n";

static void test_json_every_key(void **state)
{
	const uint8_t bb[6] = { 2, 0, 0, 0, 0, 0xbb }, cc[6] = { 2, 0, 0, 0, 0, 0xcc },
		      dd[6] = { 2, 0, 0, 0, 0, 0xdd }, aa[6] = { 2, 0, 0, 0, 0, 0xaa };
	struct vgate_config c;
	char got[INET6_ADDRSTRLEN];

	(void)state;
	assert_int_equal(build_json(&c, every_key, NULL), 0);
	assert_int_equal(c.subnet, ip4("10.1.0.0"));
	assert_int_equal(c.prefix, 16);
	assert_int_equal(c.gateway_ip, ip4("10.1.0.1"));
	assert_memory_equal(c.gateway_mac, aa, 6);
	assert_int_equal(c.device_ip, ip4("10.1.0.2"));
	assert_memory_equal(c.device_mac, bb, 6);
	assert_int_equal(c.host_ip, ip4("10.1.255.254"));
	assert_int_equal(c.nvips, 2);
	assert_int_equal(c.vips[0], ip4("10.1.255.253"));
	assert_int_equal(c.vips[1], ip4("10.1.255.252"));
	assert_int_equal(c.mtu, 4000);
	assert_int_equal(c.lease_secs, 600);
	assert_int_equal(c.nstatic, 3);
	assert_int_equal(static_for(&c, cc)->ip, ip4("10.1.0.3"));
	assert_int_equal(static_for(&c, dd)->ip, ip4("10.1.0.4"));
	assert_int_equal(static_for(&c, bb)->ip, ip4("10.1.0.2"));
	assert_null(static_for(&c, dev_mac));
	assert_answer(&c, "db.lab.internal.", DNS_TYPE_A, "10.1.0.3");
	assert_answer(&c, "db.lab.internal.", DNS_TYPE_AAAA, "fd00::3");
	assert_answer(&c, "web7.lab.internal.", DNS_TYPE_A, "10.1.0.4");
	/* DefaultIP "" is no default */
	assert_int_equal(look(&c, "nope.lab.internal.", DNS_TYPE_A, got), DNS_ZONE_NXDOMAIN);
	assert_answer(&c, "anything.other.test.", DNS_TYPE_A, "10.1.0.9");
	assert_answer(&c, "only6.v6.test.", DNS_TYPE_AAAA, "fd00::6");
	assert_int_equal(look(&c, "only6.v6.test.", DNS_TYPE_A, got), DNS_ZONE_FORWARD);
	assert_answer(&c, "gateway.containers.internal.", DNS_TYPE_A, "10.1.0.1");
	assert_answer(&c, "host.docker.internal.", DNS_TYPE_A, "10.1.255.254");
	assert_int_equal(c.nsearch, 2);
	assert_string_equal(c.search[0], "example.test");
	assert_string_equal(c.search[1], "corp.test");
	assert_true(c.search_set);
	assert_string_equal(c.domain, "example.test");
	assert_int_equal(c.nupstreams, 4);
	assert_upstream(&c.upstreams[0], AF_INET, "127.0.0.53", 53);
	assert_upstream(&c.upstreams[1], AF_INET, "10.0.0.1", 5353);
	assert_upstream(&c.upstreams[2], AF_INET6, "fd00::53", 5300);
	assert_upstream(&c.upstreams[3], AF_INET6, "fd00::54", 53);
	assert_true(config_is_gateway_addr(&c, ip4("10.1.0.1")));
	assert_true(config_is_gateway_addr(&c, ip4("10.1.255.254")));
	assert_true(config_is_gateway_addr(&c, ip4("10.1.255.253")));
	assert_true(config_is_gateway_addr(&c, ip4("10.1.255.252")));
	assert_false(config_is_gateway_addr(&c, ip4("10.1.0.2")));
	assert_false(config_is_gateway_addr(&c, ip4("10.1.255.251")));
	config_free(&c);
}

static void test_flags_beat_file(void **state)
{
	struct vgate_config c;

	(void)state;
	assert_int_equal(build_json(&c, every_key, "-mtu", "1400", "--lease-time", "7200",
				    "--search-domain", "flag.test", "--dns-upstream", "192.0.2.1",
				    "-hostIP", "10.1.9.9", NULL),
			 0);
	assert_int_equal(c.mtu, 1400);
	assert_int_equal(c.lease_secs, 7200);
	assert_int_equal(c.nsearch, 1);
	assert_string_equal(c.search[0], "flag.test");
	assert_int_equal(c.nupstreams, 1);
	assert_upstream(&c.upstreams[0], AF_INET, "192.0.2.1", 53);
	assert_int_equal(c.host_ip, ip4("10.1.9.9"));
	assert_answer(&c, "host.containers.internal.", DNS_TYPE_A, "10.1.9.9");
	/* what the flags do not name stays as the file has it */
	assert_int_equal(c.gateway_ip, ip4("10.1.0.1"));
	assert_int_equal(c.nvips, 2);
	config_free(&c);
}

static void test_json_empty_object_is_defaults(void **state)
{
	struct vgate_config c;

	(void)state;
	assert_int_equal(build_json(&c, "{}", NULL), 0);
	assert_int_equal(c.gateway_ip, ip4("192.168.127.1"));
	assert_int_equal(c.mtu, 1500);
	assert_int_equal(c.nstatic, 1);
	config_free(&c);
	/* empty lists and null zone parts are fine */
	assert_int_equal(
		build_json(&c,
			   "{\"gatewayVirtualIPs\": [], \"dnsSearchDomains\": [], "
			   "\"dnsUpstream\": [], \"dhcpStaticLeases\": {}, \"dns\": "
			   "[{\"Name\": \"z.test\", \"DefaultIP\": null, \"Records\": []}]}",
			   NULL),
		0);
	assert_int_equal(c.nvips, 0);
	assert_int_equal(c.nupstreams, 0);
	config_free(&c);
}

static void test_json_file_errors(void **state)
{
	struct vgate_config c;
	char path[] = "/tmp/vgate-test-config-XXXXXX";
	int fd;

	(void)state;
	expect_einval(&c, build_json(&c, "{\"mtu\": 1500,}", NULL));
	expect_einval(&c, build_json(&c, "{\"bogus\": 1}", NULL));
	expect_einval(&c, build(&c, "-config", "/nonexistent/vgate.json", NULL));
	/* larger than CONFIG_FILE_MAX */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, CONFIG_FILE_MAX + 1), 0);
	close(fd);
	expect_einval(&c, build(&c, "-config", path, NULL));
	unlink(path);
}

static void test_json_invalid(void **state)
{
	(void)state;
	json_fails("", NULL);
	json_fails("{", NULL);
	json_fails("{\"mtu\": }", NULL);
	json_fails("{\"mtu\": 1500} trailing", NULL);
	json_fails("{'mtu': 1500}", NULL);
	json_fails("nope", NULL);
}

static void test_json_top_level_not_object(void **state)
{
	(void)state;
	json_fails("[]", "object");
	json_fails("[{\"mtu\": 1500}]", "object");
	json_fails("1500", "object");
	json_fails("\"subnet\"", "object");
	json_fails("null", "object");
	json_fails("true", "object");
}

static void test_json_unknown_key(void **state)
{
	(void)state;
	json_fails("{\"bogus\": 1}", "bogus");
	json_fails("{\"Subnet\": \"10.0.0.0/24\"}", "Subnet");
	json_fails("{\"mtu\": 1500, \"gatewayip\": \"192.168.127.1\"}", "gatewayip");
}

static void test_json_wrong_types(void **state)
{
	static const struct {
		const char *json, *key;
	} cases[] = {
		{ "{\"subnet\": 24}", "subnet" },
		{ "{\"subnet\": null}", "subnet" },
		{ "{\"gatewayIP\": 1}", "gatewayIP" },
		{ "{\"gatewayIP\": [\"192.168.127.1\"]}", "gatewayIP" },
		{ "{\"deviceIP\": {}}", "deviceIP" },
		{ "{\"hostIP\": true}", "hostIP" },
		{ "{\"gatewayMacAddress\": 5}", "gatewayMacAddress" },
		{ "{\"deviceMacAddress\": null}", "deviceMacAddress" },
		{ "{\"mtu\": \"1500\"}", "mtu" },
		{ "{\"mtu\": 1500.5}", "mtu" },
		{ "{\"mtu\": 1500.0}", "mtu" },
		{ "{\"mtu\": true}", "mtu" },
		{ "{\"mtu\": 99999999999999999999999}", "mtu" },
		{ "{\"leaseTime\": \"3600\"}", "leaseTime" },
		{ "{\"leaseTime\": [3600]}", "leaseTime" },
		{ "{\"gatewayVirtualIPs\": \"192.168.127.253\"}", "gatewayVirtualIPs" },
		{ "{\"gatewayVirtualIPs\": [1]}", "gatewayVirtualIPs" },
		{ "{\"dnsSearchDomains\": \"a.test\"}", "dnsSearchDomains" },
		{ "{\"dnsSearchDomains\": [null]}", "dnsSearchDomains" },
		{ "{\"dnsUpstream\": \"1.1.1.1\"}", "dnsUpstream" },
		{ "{\"dnsUpstream\": [true]}", "dnsUpstream" },
		{ "{\"domain\": 5}", "domain" },
		{ "{\"domain\": [\"a.test\"]}", "domain" },
		{ "{\"dhcpStaticLeases\": []}", "dhcpStaticLeases" },
		{ "{\"dhcpStaticLeases\": \"192.168.127.3=02:00:00:00:00:01\"}",
		  "dhcpStaticLeases" },
		{ "{\"dhcpStaticLeases\": {\"192.168.127.3\": 5}}", "dhcpStaticLeases" },
		{ "{\"dns\": {}}", "dns" },
		{ "{\"dns\": \"lab.internal.\"}", "dns" },
		{ "{\"dns\": [5]}", "dns" },
		{ "{\"dns\": [{\"Name\": 5}]}", "dns" },
		{ "{\"dns\": [{\"Records\": []}]}", "dns" },
		{ "{\"dns\": [{\"Name\": \"\"}]}", "dns" },
		{ "{\"dns\": [{\"Name\": \"z.test\", \"Records\": {}}]}", "Records" },
		{ "{\"dns\": [{\"Name\": \"z.test\", \"DefaultIP\": 5}]}", "DefaultIP" },
		{ "{\"dns\": [{\"Name\": \"z.test\", \"Records\": [5]}]}", "z.test" },
		{ "{\"dns\": [{\"Name\": \"z.test\", \"Records\": [{\"Name\": \"a\"}]}]}",
		  "z.test" },
		{ "{\"dns\": [{\"Name\": \"z.test\", \"Records\": [{\"IP\": \"10.0.0.1\"}]}]}",
		  "z.test" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		json_fails(cases[i].json, cases[i].key);
}

/* "forwards": gvproxy's map (tcp) or a list of objects; shape errors name the key. */
static void test_json_forwards(void **state)
{
	static const char *const bad[] = {
		"{\"forwards\": \"127.0.0.1:2222\"}",
		"{\"forwards\": {\"127.0.0.1:2222\": 22}}",
		"{\"forwards\": {\"127.0.0.1:2222\": \"\"}}",
		"{\"forwards\": [5]}",
		"{\"forwards\": [{\"local\": \"127.0.0.1:1\"}]}",
		"{\"forwards\": [{\"local\": \"127.0.0.1:1\", \"remote\": 22}]}",
		"{\"forwards\": [{\"local\": \"127.0.0.1:1\", \"remote\": \":22\", \"port\": "
		"\"x\"}]}",
		"{\"forwards\": [{\"local\": \"127.0.0.1:1\", \"remote\": \":22\", \"protocol\": "
		"\"sctp\"}]}",
	};
	struct vgate_config c;
	char err[256], big[CONFIG_FORWARD_STR_MAX + 64], *many;
	size_t used;

	(void)state;
	fresh(&c);
	assert_int_equal(
		config_load_json(&c, "{\"forwards\": {\"127.0.0.1:2222\": \"192.168.127.2:22\"}}",
				 err, sizeof(err)),
		0);
	assert_int_equal(
		config_load_json(
			&c,
			"{\"forwards\": [{\"local\": \":5353\", \"remote\": \":53\", "
			"\"protocol\": \"udp\"}, {\"local\": \"/run/x.sock\", "
			"\"remote\": \"tcp://192.168.127.2:80\", \"protocol\": \"unix\"}]}",
			err, sizeof(err)),
		0);
	assert_int_equal(c.nforwards, 3);
	assert_string_equal(c.forwards[0].proto, "tcp");
	assert_string_equal(c.forwards[0].local, "127.0.0.1:2222");
	assert_string_equal(c.forwards[0].remote, "192.168.127.2:22");
	assert_string_equal(c.forwards[1].proto, "udp");
	assert_string_equal(c.forwards[1].remote, ":53");
	assert_string_equal(c.forwards[2].proto, "unix");
	config_free(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		json_fails(bad[i], "forwards");
	/* oversized strings and too many forwards */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	many = malloc(64 + sizeof(big));
	assert_non_null(many);
	snprintf(many, 64 + sizeof(big), "{\"forwards\": {\"%s\": \":22\"}}", big);
	json_fails(many, "longer than");
	free(many);
	many = malloc((CONFIG_FORWARDS_MAX + 1) * 40 + 32);
	assert_non_null(many);
	used = (size_t)sprintf(many, "{\"forwards\": {");
	for (unsigned i = 0; i <= CONFIG_FORWARDS_MAX; i++)
		used += (size_t)sprintf(many + used, "%s\"127.0.0.1:%u\": \":22\"", i ? "," : "",
					20000 + i);
	sprintf(many + used, "}}");
	json_fails(many, "more than");
	free(many);
}

static void test_json_bad_values(void **state)
{
	static const struct {
		const char *json, *key;
	} cases[] = {
		{ "{\"subnet\": \"192.168.127.0\"}", "subnet" },
		{ "{\"subnet\": \"192.168.127.0/\"}", "subnet" },
		{ "{\"subnet\": \"192.168.127.0/15\"}", "subnet" },
		{ "{\"subnet\": \"192.168.127.0/31\"}", "subnet" },
		{ "{\"subnet\": \"192.168.127.0/24x\"}", "subnet" },
		{ "{\"subnet\": \"192.168.127.0/-24\"}", "subnet" },
		{ "{\"subnet\": \"/24\"}", "subnet" },
		{ "{\"subnet\": \"192.168.0.0.0.0.0.0.0.0.0.0.0.0.0.0/24\"}", "subnet" },
		{ "{\"subnet\": \"fd00::/64\"}", "subnet" },
		{ "{\"gatewayIP\": \"192.168.127\"}", "gatewayIP" },
		{ "{\"gatewayIP\": \"192.168.127.256\"}", "gatewayIP" },
		{ "{\"gatewayIP\": \"\"}", "gatewayIP" },
		{ "{\"deviceIP\": \"::1\"}", "deviceIP" },
		{ "{\"hostIP\": \"host.internal\"}", "hostIP" },
		{ "{\"gatewayMacAddress\": \"5a:94:ef:e4:0c\"}", "gatewayMacAddress" },
		{ "{\"gatewayMacAddress\": \"5a:94:ef:e4:0c:dd:ee\"}", "gatewayMacAddress" },
		{ "{\"deviceMacAddress\": \"5a:94:ef:e4:0c:zz\"}", "deviceMacAddress" },
		{ "{\"deviceMacAddress\": \"\"}", "deviceMacAddress" },
		{ "{\"mtu\": 575}", "mtu" },
		{ "{\"mtu\": 65521}", "mtu" },
		{ "{\"mtu\": -1500}", "mtu" },
		{ "{\"mtu\": 0}", "mtu" },
		{ "{\"leaseTime\": 59}", "leaseTime" },
		{ "{\"leaseTime\": 31536001}", "leaseTime" },
		{ "{\"gatewayVirtualIPs\": [\"192.168.127.300\"]}", "gatewayVirtualIPs" },
		{ "{\"dnsSearchDomains\": [\"\"]}", "dnsSearchDomains" },
		{ "{\"dnsUpstream\": [\"1.1.1.1:99999\"]}", "dnsUpstream" },
		{ "{\"dnsUpstream\": [\"dns.google\"]}", "dnsUpstream" },
		{ "{\"dhcpStaticLeases\": {\"192.168.127\": \"02:00:00:00:00:01\"}}",
		  "dhcpStaticLeases" },
		{ "{\"dhcpStaticLeases\": {\"192.168.127.3\": \"02:00:00:00:01\"}}",
		  "dhcpStaticLeases" },
		{ "{\"dns\": [{\"Name\": \"z.test\", \"DefaultIP\": \"10.0.0\"}]}", "DefaultIP" },
		{ "{\"dns\": [{\"Name\": \"z.test\", \"Records\": [{\"Name\": \"a\", \"IP\": "
		  "\"10.0.0\"}]}]}",
		  "10.0.0" },
		{ "{\"dns\": [{\"Name\": \"z.test\", \"Records\": [{\"Name\": \"a\", \"IPv6\": "
		  "\"fd00:::1\"}]}]}",
		  "IPv6" },
		{ "{\"dns\": [{\"Name\": \"z.test\", \"Records\": [{\"Regexp\": \"(\", \"IP\": "
		  "\"10.0.0.1\"}]}]}",
		  "z.test" },
		{ "{\"dns\": [{\"Name\": \"bad zone\", \"Records\": [{\"Name\": \"a\", \"IP\": "
		  "\"10.0.0.1\"}]}]}",
		  "bad zone" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		json_fails(cases[i].json, cases[i].key);
}

static void test_json_domain_length(void **state)
{
	char json[600], name[CONFIG_NAME_MAX + 1];
	struct vgate_config c;

	(void)state;
	memset(name, 'd', sizeof(name));
	name[CONFIG_NAME_MAX - 1] = '\0';
	snprintf(json, sizeof(json), "{\"domain\": \"%s\"}", name);
	fresh(&c);
	json_ok(&c, json);
	assert_int_equal(strlen(c.domain), CONFIG_NAME_MAX - 1);
	config_free(&c);
	name[CONFIG_NAME_MAX - 1] = 'd';
	name[CONFIG_NAME_MAX] = '\0';
	snprintf(json, sizeof(json), "{\"domain\": \"%s\"}", name);
	json_fails(json, "domain");
	snprintf(json, sizeof(json), "{\"dnsSearchDomains\": [\"%s\"]}", name);
	json_fails(json, "dnsSearchDomains");
}

/* A JSON list of @n strings "@pre<i>@post" (i from 1) under @key. Return: malloc'd text. */
static char *json_list(const char *key, unsigned n, const char *pre, const char *post)
{
	size_t cap = 64 + n * 48, len;
	char *s = malloc(cap);

	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "{\"%s\": [", key);
	for (unsigned i = 0; i < n; i++) {
		len += (size_t)snprintf(s + len, cap - len, "%s\"%s%u%s\"", i ? ", " : "", pre,
					i + 1, post);
	}
	snprintf(s + len, cap - len, "]}");
	return s;
}

/* @n static leases 10.0.x.y -> 02:00:00:00:x:y. Return: malloc'd text. */
static char *json_statics(unsigned n)
{
	size_t cap = 64 + n * 64, len;
	char *s = malloc(cap);

	assert_non_null(s);
	len = (size_t)snprintf(s, cap,
			       "{\"subnet\": \"10.0.0.0/16\", \"gatewayIP\": \"10.0.0.1\", "
			       "\"deviceIP\": \"10.0.0.2\", \"hostIP\": \"10.0.255.254\", "
			       "\"dhcpStaticLeases\": {");
	for (unsigned i = 0; i < n; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"%s\"10.0.%u.%u\": \"02:00:00:00:%02x:%02x\"",
					i ? ", " : "", (i + 16) / 256, (i + 16) % 256,
					(i + 16) / 256, (i + 16) % 256);
	snprintf(s + len, cap - len, "}}");
	return s;
}

static void test_json_too_many(void **state)
{
	struct vgate_config c;
	char *s;

	(void)state;
	s = json_list("gatewayVirtualIPs", CONFIG_VIPS_MAX, "192.168.127.", "");
	fresh(&c);
	json_ok(&c, s);
	assert_int_equal(c.nvips, CONFIG_VIPS_MAX);
	config_free(&c);
	free(s);
	s = json_list("gatewayVirtualIPs", CONFIG_VIPS_MAX + 1, "192.168.127.", "");
	json_fails(s, "gatewayVirtualIPs");
	free(s);

	s = json_list("dnsSearchDomains", DHCP_SEARCH_MAX + 1, "s", ".test");
	json_fails(s, "dnsSearchDomains");
	free(s);

	s = json_list("dnsUpstream", CONFIG_UPSTREAMS_MAX, "10.0.0.", "");
	fresh(&c);
	json_ok(&c, s);
	assert_int_equal(c.nupstreams, CONFIG_UPSTREAMS_MAX);
	config_free(&c);
	free(s);
	s = json_list("dnsUpstream", CONFIG_UPSTREAMS_MAX + 1, "10.0.0.", "");
	json_fails(s, "dnsUpstream");
	free(s);

	s = json_statics(CONFIG_STATIC_LEASES_MAX);
	fresh(&c);
	json_ok(&c, s);
	assert_int_equal(c.nstatic, CONFIG_STATIC_LEASES_MAX);
	config_free(&c);
	free(s);
	s = json_statics(CONFIG_STATIC_LEASES_MAX + 1);
	json_fails(s, "dhcpStaticLeases");
	free(s);
}

/* The same MAC twice: the later address wins, no second entry. */
static void test_json_static_lease_same_mac(void **state)
{
	const uint8_t m[6] = { 2, 0, 0, 0, 0, 1 };
	struct vgate_config c;

	(void)state;
	assert_int_equal(
		build_json(&c,
			   "{\"dhcpStaticLeases\": {\"192.168.127.3\": \"02:00:00:00:00:01\", "
			   "\"192.168.127.4\": \"02:00:00:00:00:01\"}}",
			   NULL),
		0);
	assert_int_equal(c.nstatic, 2);
	assert_int_equal(static_for(&c, m)->ip, ip4("192.168.127.4"));
	config_free(&c);
}

/*
 * A full static lease table leaves no room for the device's own lease:
 * config_build() must fail with -EINVAL (and say why), as config.h promises.
 */
static void test_static_table_full_with_device(void **state)
{
	struct vgate_config c;
	char *s = json_statics(CONFIG_STATIC_LEASES_MAX);
	int r;

	(void)state;
	r = build_json(&c, s, NULL);
	free(s);
	expect_einval(&c, r);
}

/* Zones from the file leave no room for the default zones: -EINVAL, as config.h promises. */
static void test_zone_table_full_with_defaults(void **state)
{
	size_t cap = 64 + DNS_ZONES_MAX * 96, len;
	char *s = malloc(cap);
	struct vgate_config c;
	int r;

	(void)state;
	assert_non_null(s);
	len = (size_t)snprintf(s, cap, "{\"dns\": [");
	for (unsigned i = 0; i < DNS_ZONES_MAX; i++)
		len += (size_t)snprintf(s + len, cap - len,
					"%s{\"Name\": \"z%u.test.\", \"DefaultIP\": \"10.9.9.9\"}",
					i ? ", " : "", i);
	snprintf(s + len, cap - len, "]}");
	fresh(&c);
	json_ok(&c, s);
	assert_int_equal(c.zones.n, DNS_ZONES_MAX);
	config_free(&c);
	r = build_json(&c, s, NULL);
	free(s);
	expect_einval(&c, r);
}

static void test_consistency_checks(void **state)
{
	struct vgate_config c;

	(void)state;
	/* the gateway outside the subnet, or its network or broadcast address */
	expect_einval(&c, build(&c, "-gatewayIP", "192.168.128.1", NULL));
	expect_einval(&c, build(&c, "-gatewayIP", "192.168.127.0", NULL));
	expect_einval(&c, build(&c, "-gatewayIP", "192.168.127.255", NULL));
	/* a new subnet without new addresses */
	expect_einval(&c, build(&c, "-subnet", "10.0.0.0/16", NULL));
	/* device and host alias outside */
	expect_einval(&c, build(&c, "-deviceIP", "10.0.0.2", NULL));
	expect_einval(&c, build(&c, "-hostIP", "192.168.126.254", NULL));
	/* the device on one of the gateway's addresses */
	expect_einval(&c, build(&c, "-deviceIP", "192.168.127.254", NULL));
	expect_einval(&c, build(&c, "-deviceIP", "192.168.127.1", NULL));
	expect_einval(&c, build_json(&c, "{\"gatewayVirtualIPs\": [\"192.168.127.2\"]}", NULL));
	/* static leases on the gateway's addresses or outside the subnet */
	expect_einval(&c, build(&c, "--static-lease", "02:00:00:00:00:01=192.168.127.1", NULL));
	expect_einval(&c, build(&c, "--static-lease", "02:00:00:00:00:01=192.168.127.254", NULL));
	expect_einval(&c, build(&c, "--static-lease", "02:00:00:00:00:01=10.0.0.5", NULL));
	expect_einval(&c, build(&c, "--static-lease", "02:00:00:00:00:01=192.168.127.255", NULL));
	expect_einval(&c, build_json(&c,
				     "{\"gatewayVirtualIPs\": [\"192.168.127.253\"], "
				     "\"dhcpStaticLeases\": {\"192.168.127.253\": "
				     "\"02:00:00:00:00:01\"}}",
				     NULL));
	/* virtual IPs outside the subnet, or the gateway's own */
	expect_einval(&c, build_json(&c, "{\"gatewayVirtualIPs\": [\"10.0.0.5\"]}", NULL));
	expect_einval(&c, build_json(&c, "{\"gatewayVirtualIPs\": [\"192.168.127.1\"]}", NULL));
	expect_einval(&c, build_json(&c, "{\"gatewayVirtualIPs\": [\"192.168.127.0\"]}", NULL));
	/* and a good one passes */
	assert_int_equal(build_json(&c, "{\"gatewayVirtualIPs\": [\"192.168.127.253\"]}", NULL), 0);
	assert_true(config_is_gateway_addr(&c, ip4("192.168.127.253")));
	config_free(&c);
}

/* config.c's opening comment: every address is distinct from the gateway, the host alias too. */
static void test_host_alias_not_gateway(void **state)
{
	struct vgate_config c;

	(void)state;
	expect_einval(&c, build(&c, "-hostIP", "192.168.127.1", NULL));
	expect_einval(&c, build_json(&c, "{\"hostIP\": \"192.168.127.1\"}", NULL));
}

static void test_json_egress_keys(void **state)
{
	struct vgate_config c;

	(void)state;
	/* defaults: the host alias reaches the host's loopback */
	assert_int_equal(build(&c, NULL), 0);
	assert_int_equal(c.tcp_connect_timeout_ms, 30000);
	assert_int_equal(c.udp_idle_ms, 90000);
	assert_true(egress_is_nat(&c.egress, ip4("192.168.127.254")));
	assert_int_equal(egress_translate(&c.egress, ip4("192.168.127.254")), ip4("127.0.0.1"));
	assert_false(c.egress.allow_link_local);
	config_free(&c);

	assert_int_equal(build_json(&c,
				    "{\"nat\": {\"192.168.127.250\": \"10.0.0.5\"}, "
				    "\"egressAllow\": [\"10.0.0.0/8\"], "
				    "\"egressDeny\": [\"10.1.0.0/16\", \"0.0.0.0/0:25\"], "
				    "\"ec2MetadataAccess\": true, \"tcpConnectTimeout\": 5, "
				    "\"udpIdleTimeout\": 60}",
				    NULL),
			 0);
	assert_int_equal(egress_translate(&c.egress, ip4("192.168.127.250")), ip4("10.0.0.5"));
	/* a "nat" object replaces the default table */
	assert_false(egress_is_nat(&c.egress, ip4("192.168.127.254")));
	assert_int_equal(c.egress.nallow, 1);
	assert_int_equal(c.egress.ndeny, 2);
	assert_int_equal(c.egress.deny[1].port, 25);
	assert_true(c.egress.allow_link_local);
	assert_int_equal(c.tcp_connect_timeout_ms, 5000);
	assert_int_equal(c.udp_idle_ms, 60000);
	config_free(&c);

	assert_int_equal(build_json(&c, "{\"nat\": {}}", NULL), 0);
	assert_false(egress_is_nat(&c.egress, ip4("192.168.127.254")));
	config_free(&c);

	json_fails("{\"nat\": []}", "nat");
	json_fails("{\"nat\": {\"x\": \"10.0.0.5\"}}", "nat");
	json_fails("{\"nat\": {\"192.168.127.250\": 5}}", "nat");
	json_fails("{\"egressAllow\": \"10.0.0.0/8\"}", "egressAllow");
	json_fails("{\"egressAllow\": [8]}", "egressAllow");
	json_fails("{\"egressDeny\": [\"bogus\"]}", "egressDeny");
	json_fails("{\"ec2MetadataAccess\": \"true\"}", "ec2MetadataAccess");
	json_fails("{\"ec2MetadataAccess\": 1}", "ec2MetadataAccess");
	json_fails("{\"tcpConnectTimeout\": 0}", "tcpConnectTimeout");
	json_fails("{\"tcpConnectTimeout\": 601}", "tcpConnectTimeout");
	json_fails("{\"tcpConnectTimeout\": \"5\"}", "tcpConnectTimeout");
	json_fails("{\"udpIdleTimeout\": 0}", "udpIdleTimeout");
	json_fails("{\"udpIdleTimeout\": 86401}", "udpIdleTimeout");
}

static void test_is_gateway_addr(void **state)
{
	struct vgate_config c;

	(void)state;
	assert_int_equal(build(&c, NULL), 0);
	assert_true(config_is_gateway_addr(&c, ip4("192.168.127.1")));
	assert_true(config_is_gateway_addr(&c, ip4("192.168.127.254")));
	assert_false(config_is_gateway_addr(&c, ip4("192.168.127.2")));
	assert_false(config_is_gateway_addr(&c, ip4("192.168.127.253")));
	assert_false(config_is_gateway_addr(&c, ip4("192.168.127.255")));
	assert_false(config_is_gateway_addr(&c, 0));
	assert_false(config_is_gateway_addr(&c, ip4("1.192.168.127")));
	config_free(&c);
}

static void hostport_ok(const char *s, int family, const char *addr, uint16_t port)
{
	struct sockaddr_storage sa;

	if (config_parse_hostport(s, 53, &sa) != 0)
		fail_msg("refused %s", s);
	assert_upstream(&sa, family, addr, port);
}

static void hostport_bad(const char *s)
{
	struct sockaddr_storage sa;

	memset(&sa, 0xa5, sizeof(sa));
	if (config_parse_hostport(s, 53, &sa) != -EINVAL)
		fail_msg("accepted %s", s ? s : "(null)");
	assert_int_equal(sa.ss_family, AF_UNSPEC);
}

static void test_parse_hostport(void **state)
{
	struct sockaddr_storage sa;

	(void)state;
	hostport_ok("1.2.3.4", AF_INET, "1.2.3.4", 53);
	hostport_ok("1.2.3.4:5353", AF_INET, "1.2.3.4", 5353);
	hostport_ok("1.2.3.4:1", AF_INET, "1.2.3.4", 1);
	hostport_ok("1.2.3.4:65535", AF_INET, "1.2.3.4", 65535);
	hostport_ok("[::1]:53", AF_INET6, "::1", 53);
	hostport_ok("[::1]:5300", AF_INET6, "::1", 5300);
	hostport_ok("::1", AF_INET6, "::1", 53);
	hostport_ok("[::1]", AF_INET6, "::1", 53);
	hostport_ok("fd00::1:53", AF_INET6, "fd00::1:53", 53); /* bare IPv6: no port */
	hostport_ok("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:1", AF_INET6,
		    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1);
	/* the default port is the caller's */
	assert_int_equal(config_parse_hostport("10.0.0.1", 5353, &sa), 0);
	assert_int_equal(ntohs(((struct sockaddr_in *)&sa)->sin_port), 5353);
	assert_int_equal(config_parse_hostport("fd00::1", 853, &sa), 0);
	assert_int_equal(ntohs(((struct sockaddr_in6 *)&sa)->sin6_port), 853);

	hostport_bad(NULL);
	hostport_bad("");
	hostport_bad("1.2.3.4:");
	hostport_bad("1.2.3.4:0");
	hostport_bad("1.2.3.4:65536");
	hostport_bad("1.2.3.4:x");
	hostport_bad("1.2.3.4:-1");
	hostport_bad("1.2.3.4:53x");
	hostport_bad("1.2.3.4:53:53");
	hostport_bad("1.2.3");
	hostport_bad("1.2.3.4.5");
	hostport_bad(" 1.2.3.4");
	hostport_bad("dns.google:53");
	hostport_bad("localhost");
	hostport_bad(":53");
	hostport_bad("[::1");
	hostport_bad("[::1]x");
	hostport_bad("[::1]:");
	hostport_bad("[::1]:0");
	hostport_bad("[::1]:65536");
	hostport_bad("[]:53");
	hostport_bad("[");
	hostport_bad("::1]:53");
	hostport_bad("[fd00::1::2]:53");
	hostport_bad("[0000:0000:0000:0000:0000:0000:0000:0000:0000:0001]:53");
	hostport_bad("[000000000000000000000000000000000000000000000000000000000001]");
	hostport_bad("0000000000000000000000000000000000000000000001.2.3.4:53");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_flags_override),
		cmocka_unit_test(test_flags_macs_and_host_bits),
		cmocka_unit_test(test_bad_flags),
		cmocka_unit_test(test_flag_list_limits),
		cmocka_unit_test(test_json_every_key),
		cmocka_unit_test(test_flags_beat_file),
		cmocka_unit_test(test_json_empty_object_is_defaults),
		cmocka_unit_test(test_json_file_errors),
		cmocka_unit_test(test_json_invalid),
		cmocka_unit_test(test_json_top_level_not_object),
		cmocka_unit_test(test_json_unknown_key),
		cmocka_unit_test(test_json_wrong_types),
		cmocka_unit_test(test_json_forwards),
		cmocka_unit_test(test_json_bad_values),
		cmocka_unit_test(test_json_domain_length),
		cmocka_unit_test(test_json_too_many),
		cmocka_unit_test(test_json_static_lease_same_mac),
		cmocka_unit_test(test_static_table_full_with_device),
		cmocka_unit_test(test_zone_table_full_with_defaults),
		cmocka_unit_test(test_consistency_checks),
		cmocka_unit_test(test_host_alias_not_gateway),
		cmocka_unit_test(test_json_egress_keys),
		cmocka_unit_test(test_is_gateway_addr),
		cmocka_unit_test(test_parse_hostport),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
