// SPDX-License-Identifier: MIT
/*
 * test_guest_procnet.c - guest-tools/procnet.c: /proc/net/{tcp,udp}[6] and
 * /proc/net/route
 *
 * Lines are made the way the kernel prints them (each 32-bit word of an
 * address as a host-order integer in hex, so the test holds on any byte
 * order), plus one verbatim little-endian sample. Covered: listeners and
 * unconnected UDP sockets told from the rest, loopback told from wildcard
 * and real addresses (IPv4, IPv6, v4-mapped), headers skipped, partial
 * lines kept for the next buffer, and bad input counted and skipped without
 * losing the lines around it: truncated lines, wrong field widths, non-hex
 * digits, over-long lines (also through a real file read in chunks),
 * random garbage. The route table parser finds the default gateway (lowest
 * metric, optionally on one link) and refuses malformed lines; the port
 * range parser refuses garbage.
 */
#include "procnet.h"
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#define SOCKS_MAX 64

struct seen {
	struct procnet_sock s[SOCKS_MAX];
	unsigned n;
	unsigned stop_after; /* 0: never */
};

static int collect(void *ctx, const struct procnet_sock *s)
{
	struct seen *sn = ctx;

	if (sn->n < SOCKS_MAX)
		sn->s[sn->n++] = *s;
	return sn->stop_after && sn->n >= sn->stop_after;
}

/* The kernel's rendering of an address: words as host-order hex integers. */
static void hexaddr(char *out, const char *text, int family)
{
	uint8_t a[16];
	size_t words = family == AF_INET ? 1 : 4;

	assert_int_equal(inet_pton(family, text, a), 1);
	out[0] = '\0';
	for (size_t i = 0; i < words; i++) {
		uint32_t v;

		memcpy(&v, a + 4 * i, 4);
		sprintf(out + strlen(out), "%08X", v);
	}
}

static size_t line(char *buf, size_t cap, int family, const char *laddr, unsigned lport,
		   const char *raddr, unsigned rport, unsigned st)
{
	char l[40], r[40];

	hexaddr(l, laddr, family);
	hexaddr(r, raddr, family);
	return (size_t)snprintf(buf, cap,
				"   7: %s:%04X %s:%04X %02X 00000000:00000000 00:00000000 "
				"00000000     0        0 1116 1 00000000b7b3f900 100 0 0 10 0\n",
				l, lport, r, rport, st);
}

static void test_tcp4(void **state)
{
	char buf[4096];
	size_t o = 0;
	struct seen sn = { 0 };
	struct procnet_stats st = { 0 };

	(void)state;
	o += (size_t)snprintf(buf, sizeof(buf), "  sl  local_address rem_address   st tx_queue\n");
	o += line(buf + o, sizeof(buf) - o, AF_INET, "0.0.0.0", 8080, "0.0.0.0", 0, 0x0a);
	o += line(buf + o, sizeof(buf) - o, AF_INET, "127.0.0.1", 631, "0.0.0.0", 0, 0x0a);
	o += line(buf + o, sizeof(buf) - o, AF_INET, "192.168.127.2", 22, "192.168.127.1", 40000,
		  0x01);
	assert_int_equal(procnet_parse(buf, o, false, AF_INET, collect, &sn, &st), o);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.malformed, 0);
	assert_int_equal(sn.n, 3);
	assert_int_equal(sn.s[0].lport, 8080);
	assert_true(procnet_listening(PROCNET_TCP, &sn.s[0]));
	assert_false(procnet_loopback(&sn.s[0]));
	assert_int_equal(sn.s[1].lport, 631);
	assert_true(procnet_listening(PROCNET_TCP, &sn.s[1]));
	assert_true(procnet_loopback(&sn.s[1]));
	assert_false(procnet_listening(PROCNET_TCP, &sn.s[2]));
	assert_int_equal(sn.s[2].rport, 40000);
	assert_int_equal(sn.s[2].laddr[0], 192);
	assert_int_equal(sn.s[2].laddr[3], 2);
}

static void test_verbatim_le_sample(void **state)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	static const char sample[] =
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   "
		"uid  timeout inode\n"
		"   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 00:00000000 00000000     "
		"0        0 1116 1 00000000b7b3f900 100 0 0 10 0\n";
	struct seen sn = { 0 };
	struct procnet_stats st = { 0 };

	(void)state;
	procnet_parse(sample, sizeof(sample) - 1, true, AF_INET, collect, &sn, &st);
	assert_int_equal(sn.n, 1);
	assert_int_equal(sn.s[0].lport, 53);
	assert_int_equal(sn.s[0].laddr[0], 127);
	assert_int_equal(sn.s[0].laddr[3], 1);
#else
	(void)state;
	skip();
#endif
}

static void test_udp_and_v6(void **state)
{
	char buf[4096];
	size_t o = 0;
	struct seen sn = { 0 };
	struct procnet_stats st = { 0 };

	(void)state;
	o += line(buf + o, sizeof(buf) - o, AF_INET6, "::", 5353, "::", 0, 0x07);
	o += line(buf + o, sizeof(buf) - o, AF_INET6, "::1", 8125, "::", 0, 0x07);
	o += line(buf + o, sizeof(buf) - o, AF_INET6, "::ffff:127.0.0.5", 9000, "::", 0, 0x07);
	o += line(buf + o, sizeof(buf) - o, AF_INET6, "fd00::2", 4000, "fd00::1", 53, 0x01);
	o += line(buf + o, sizeof(buf) - o, AF_INET6, "fd00::2", 4001, "fd00::1", 0, 0x07);
	procnet_parse(buf, o, true, AF_INET6, collect, &sn, &st);
	assert_int_equal(sn.n, 5);
	assert_int_equal(st.malformed, 0);
	assert_true(procnet_listening(PROCNET_UDP, &sn.s[0]));
	assert_false(procnet_loopback(&sn.s[0]));
	assert_true(procnet_loopback(&sn.s[1]));
	assert_true(procnet_loopback(&sn.s[2]));
	assert_false(procnet_listening(PROCNET_UDP, &sn.s[3])); /* connected */
	/* CLOSE with a remote address but port 0 is not unconnected either. */
	assert_false(procnet_listening(PROCNET_UDP, &sn.s[4]));
	assert_int_equal(sn.s[3].laddr[0], 0xfd);
	assert_int_equal(sn.s[3].laddr[15], 2);
}

static void test_partial_and_stop(void **state)
{
	char buf[4096];
	size_t o = 0, first;
	struct seen sn = { 0 };
	struct procnet_stats st = { 0 };

	(void)state;
	o += line(buf + o, sizeof(buf) - o, AF_INET, "0.0.0.0", 1, "0.0.0.0", 0, 0x0a);
	first = o;
	o += line(buf + o, sizeof(buf) - o, AF_INET, "0.0.0.0", 2, "0.0.0.0", 0, 0x0a);
	/* The second line is cut: only the first is consumed... */
	assert_int_equal(procnet_parse(buf, first + 20, false, AF_INET, collect, &sn, &st), first);
	assert_int_equal(sn.n, 1);
	/* ...unless it is the end of the file: then the cut line is malformed. */
	assert_int_equal(procnet_parse(buf + first, 20, true, AF_INET, collect, &sn, &st), 20);
	assert_int_equal(st.malformed, 1);
	/* A callback can stop the walk. */
	memset(&sn, 0, sizeof(sn));
	sn.stop_after = 1;
	assert_int_equal(procnet_parse(buf, o, true, AF_INET, collect, &sn, &st), o);
	assert_int_equal(sn.n, 1);
}

static void test_malformed_lines(void **state)
{
	static const char *const bad[] = {
		"   0: 0100007F:0035 00000000:0000\n",	   /* no state */
		"   0: 0100007:0035 00000000:0000 0A\n",   /* 7 hex digits */
		"   0: 0100007F0035 00000000:0000 0A\n",   /* no colon */
		"   0: 0100007F:035 00000000:0000 0A\n",   /* 3-digit port */
		"   0: 0100007G:0035 00000000:0000 0A\n",  /* not hex */
		"   0: 0100007F:0035 00000000:0000 0AB\n", /* 3-digit state */
		"   x: 0100007F:0035 00000000:0000 0A\n",  /* bad slot */
		"0100007F:0035 00000000:0000 0A 00\n",	   /* no slot */
		"   0: 00000000000000000000000000000001:0035 00000000:0000 0A\n", /* v6 in v4 */
		"\x01\x02\x03 garbage\n",
	};
	char buf[8192];
	size_t o = 0;
	struct seen sn = { 0 };
	struct procnet_stats st = { 0 };
	uint64_t seed = 5;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s", bad[i]);
		o += line(buf + o, sizeof(buf) - o, AF_INET, "0.0.0.0", (unsigned)i + 1, "0.0.0.0",
			  0, 0x0a);
	}
	/* Blank lines are nothing at all. */
	o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\n\n");
	assert_int_equal(procnet_parse(buf, o, true, AF_INET, collect, &sn, &st), o);
	assert_int_equal(st.malformed, sizeof(bad) / sizeof(bad[0]));
	/* Every good line in between survived. */
	assert_int_equal(sn.n, sizeof(bad) / sizeof(bad[0]));
	for (unsigned i = 0; i < sn.n; i++)
		assert_int_equal(sn.s[i].lport, i + 1);

	/* Random bytes, and random damage to a good line. */
	for (int i = 0; i < 20000; i++) {
		size_t len = rng_range(&seed, 0, 300), used;

		if (i & 1) {
			rng_fill(&seed, (uint8_t *)buf, len);
		} else {
			len = line(buf, sizeof(buf), AF_INET6, "fd00::2", 80, "::", 0, 0x0a);
			buf[rng_range(&seed, 0, len - 1)] = (char)rng_next(&seed);
		}
		memset(&sn, 0, sizeof(sn));
		used = procnet_parse(buf, len, i % 3 == 0, AF_INET6, collect, &sn, &st);
		assert_true(used <= len);
	}
}

static void test_file_with_long_line(void **state)
{
	char path[] = "/tmp/test_guest_procnet.XXXXXX";
	int fd = mkstemp(path);
	struct seen sn = { 0 };
	struct procnet_stats st = { 0 };
	char l[256];
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "  sl  local_address rem_address   st\n");
	/* Enough lines to span several chunks, an over-long line among them. */
	for (unsigned i = 1; i <= 1500; i++) {
		line(l, sizeof(l), AF_INET, "0.0.0.0", i, "0.0.0.0", 0, 0x0a);
		fputs(l, f);
		if (i == 700) {
			for (int k = 0; k < 3 * PROCNET_LINE_MAX; k++)
				fputc('x', f);
			fputc('\n', f);
		}
	}
	/* The last line has no newline. */
	line(l, sizeof(l), AF_INET, "0.0.0.0", 4242, "0.0.0.0", 0, 0x0a);
	l[strlen(l) - 1] = '\0';
	fputs(l, f);
	fclose(f);
	sn.stop_after = 0;
	{
		/* Count every entry, keep only the first SOCKS_MAX. */
		assert_int_equal(procnet_read_file(path, AF_INET, collect, &sn, &st), 0);
	}
	unlink(path);
	assert_int_equal(st.entries, 1501);
	assert_int_equal(st.malformed, 1);
	assert_int_equal(procnet_read_file("/nonexistent/tcp", AF_INET, collect, &sn, &st),
			 -ENOENT);
}

static void test_route(void **state)
{
	char buf[2048];
	struct in_addr gw;
	char a[INET_ADDRSTRLEN];
	char g1[16], g2[16], net[16];
	int n;

	(void)state;
	hexaddr(g1, "192.168.127.1", AF_INET);
	hexaddr(g2, "10.0.0.1", AF_INET);
	hexaddr(net, "192.168.127.0", AF_INET);
	n = snprintf(buf, sizeof(buf),
		     "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\n"
		     "eth0\t00000000\t%s\t0003\t0\t0\t100\t00000000\t0\t0\t0\n"
		     "tap0\t%s\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
		     "tap0\t00000000\t%s\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		     "tap0\t00000000\tZZZZZZZZ\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
		     "bad\n",
		     g2, net, g1);
	assert_int_equal(procnet_default_gw(buf, (size_t)n, NULL, &gw), 0);
	assert_string_equal(inet_ntop(AF_INET, &gw, a, sizeof(a)), "192.168.127.1");
	assert_int_equal(procnet_default_gw(buf, (size_t)n, "eth0", &gw), 0);
	assert_string_equal(inet_ntop(AF_INET, &gw, a, sizeof(a)), "10.0.0.1");
	assert_int_equal(procnet_default_gw(buf, (size_t)n, "wlan0", &gw), -ENOENT);
	assert_int_equal(procnet_default_gw("", 0, NULL, &gw), -ENOENT);
	/* A route that is not up, or has no gateway flag, does not count. */
	n = snprintf(buf, sizeof(buf), "tap0\t00000000\t%s\t0002\t0\t0\t0\t00000000\t0\t0\t0\n",
		     g1);
	assert_int_equal(procnet_default_gw(buf, (size_t)n, NULL, &gw), -ENOENT);
}

static void test_port_range(void **state)
{
	uint16_t lo, hi;

	(void)state;
	assert_int_equal(procnet_port_range("32768\t60999\n", 12, &lo, &hi), 0);
	assert_int_equal(lo, 32768);
	assert_int_equal(hi, 60999);
	assert_int_equal(procnet_port_range("1 1", 3, &lo, &hi), 0);
	assert_int_equal(procnet_port_range("", 0, &lo, &hi), -EINVAL);
	assert_int_equal(procnet_port_range("32768", 5, &lo, &hi), -EINVAL);
	assert_int_equal(procnet_port_range("9 8", 3, &lo, &hi), -EINVAL);
	assert_int_equal(procnet_port_range("0 8", 3, &lo, &hi), -EINVAL);
	assert_int_equal(procnet_port_range("1 70000", 7, &lo, &hi), -EINVAL);
	assert_int_equal(procnet_port_range("1 2 3", 5, &lo, &hi), -EINVAL);
	assert_int_equal(procnet_port_range("1x 2", 4, &lo, &hi), -EINVAL);
	assert_int_equal(procnet_port_range("1 123456789", 11, &lo, &hi), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_verbatim_le_sample),
		cmocka_unit_test(test_udp_and_v6),
		cmocka_unit_test(test_partial_and_stop),
		cmocka_unit_test(test_malformed_lines),
		cmocka_unit_test(test_file_with_long_line),
		cmocka_unit_test(test_route),
		cmocka_unit_test(test_port_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
