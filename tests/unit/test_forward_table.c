// SPDX-License-Identifier: MIT
/*
 * test_forward_table.c - backend/forward_table.c: expose/unexpose bodies,
 * "local" and "remote" specs for tcp, udp and unix, the permitted-directory
 * rule for unix paths, the table (duplicates, removal, the cap) and the
 * sorted body of GET /services/forwarder/all.
 *
 * Everything here is pure: no socket is opened, so every case runs on
 * strings and compares exact error texts where gvproxy has one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "forward_table.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static const char *const dirs[] = { "/run/user/1000", "/tmp/vgate-api/" };

static struct fwd_net test_net(void)
{
	struct fwd_net n;

	n.subnet = inet_addr("192.168.127.0");
	n.netmask = inet_addr("255.255.255.0");
	n.gateway = inet_addr("192.168.127.1");
	return n;
}

/* Parse with C strings; Return: fwd_spec_parse()'s result. */
static int spec(enum fwd_proto p, const char *local, const char *remote, struct fwd_spec *s,
		char *err)
{
	struct fwd_net n = test_net();

	return fwd_spec_parse(p, local, strlen(local), remote, strlen(remote), &n, dirs, 2, s, err,
			      256);
}

static void request_bodies(void **state)
{
	struct fwd_request rq;
	char err[256];
	static const char nul_body[] = "{\"local\":\"/run/user/1000/a\\u0000b\"}";

	(void)state;
	assert_int_equal(
		fwd_request_parse("{\"local\":\"127.0.0.1:8080\",\"remote\":\":80\","
				  "\"protocol\":\"udp\",\"other\":{\"x\":[1,2]}}",
				  strlen("{\"local\":\"127.0.0.1:8080\",\"remote\":\":80\","
					 "\"protocol\":\"udp\",\"other\":{\"x\":[1,2]}}"),
				  &rq, err, sizeof(err)),
		0);
	assert_string_equal(rq.local, "127.0.0.1:8080");
	assert_string_equal(rq.remote, ":80");
	assert_string_equal(rq.protocol, "udp");

	/* Keys as Go matches them; null leaves a field empty. */
	assert_int_equal(fwd_request_parse("{\"LOCAL\":\":1\",\"Protocol\":null}", 30, &rq, err,
					   sizeof(err)),
			 0);
	assert_string_equal(rq.local, ":1");
	assert_int_equal(rq.protocol_len, 0);

	/* A NUL inside a string is kept with its length. */
	assert_int_equal(fwd_request_parse(nul_body, strlen(nul_body), &rq, err, sizeof(err)), 0);
	assert_int_equal(rq.local_len, strlen("/run/user/1000/a") + 2);
	assert_int_equal(rq.local[16], '\0');

	assert_int_equal(fwd_request_parse("", 0, &rq, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "EOF");
	assert_int_equal(fwd_request_parse(" \n", 2, &rq, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "EOF");
	assert_int_equal(fwd_request_parse("{\"local\":", 9, &rq, err, sizeof(err)), -EINVAL);
	assert_int_equal(fwd_request_parse("{\"local\":8080}", 14, &rq, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "json: cannot unmarshal number into Go struct field "
				 "request.local of type string");
	assert_int_equal(fwd_request_parse("{\"remote\":[]}", 13, &rq, err, sizeof(err)), -EINVAL);
	assert_int_equal(fwd_request_parse("[]", 2, &rq, err, sizeof(err)), -EINVAL);
	assert_int_equal(fwd_request_parse("\"x\"", 3, &rq, err, sizeof(err)), -EINVAL);
	assert_int_equal(fwd_request_parse("{} {}", 5, &rq, err, sizeof(err)), -EINVAL);
}

static void long_and_deep_bodies(void **state)
{
	char body[2048], err[256];
	struct fwd_request rq;
	int n;

	(void)state;
	n = snprintf(body, sizeof(body), "{\"local\":\"");
	memset(body + n, 'a', FWD_STR_MAX + 1);
	n += FWD_STR_MAX + 1;
	n += snprintf(body + n, sizeof(body) - (size_t)n, "\"}");
	assert_int_equal(fwd_request_parse(body, (size_t)n, &rq, err, sizeof(err)), -EINVAL);

	n = 0;
	n += snprintf(body, sizeof(body), "{\"x\":");
	for (int i = 0; i < 100; i++)
		body[n++] = '[';
	for (int i = 0; i < 100; i++)
		body[n++] = ']';
	body[n++] = '}';
	assert_int_equal(fwd_request_parse(body, (size_t)n, &rq, err, sizeof(err)), -EINVAL);
}

static void protocols(void **state)
{
	enum fwd_proto p;
	char err[256];

	(void)state;
	assert_int_equal(fwd_proto_parse("", 0, &p, err, sizeof(err)), 0);
	assert_int_equal(p, FWD_TCP);
	assert_int_equal(fwd_proto_parse("udp", 3, &p, err, sizeof(err)), 0);
	assert_int_equal(p, FWD_UDP);
	assert_int_equal(fwd_proto_parse("unix", 4, &p, err, sizeof(err)), 0);
	assert_int_equal(p, FWD_UNIX);
	assert_int_equal(fwd_proto_parse("sctp", 4, &p, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_string_equal(err, "unknown protocol sctp");
	assert_int_equal(fwd_proto_parse("TCP", 3, &p, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_int_equal(fwd_proto_parse("tcp\0", 4, &p, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_string_equal(fwd_proto_name(FWD_UNIX), "unix");
}

static void remote_fill(void **state)
{
	char out[64], err[256];
	uint32_t caller = inet_addr("192.168.127.3");

	(void)state;
	assert_int_equal(fwd_remote_fill(":8081", 5, caller, out, sizeof(out), err, sizeof(err)),
			 0);
	assert_string_equal(out, "192.168.127.3:8081");
	assert_int_equal(
		fwd_remote_fill("192.168.127.2:80", 16, caller, out, sizeof(out), err, sizeof(err)),
		0);
	assert_string_equal(out, "192.168.127.2:80");
	assert_int_equal(
		fwd_remote_fill("192.168.127.2", 13, caller, out, sizeof(out), err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "address 192.168.127.2: missing port in address");
	assert_int_equal(fwd_remote_fill("", 0, caller, out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "address : missing port in address");
	assert_int_equal(fwd_remote_fill("a:b:c", 5, caller, out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "address a:b:c: too many colons in address");
	assert_int_equal(fwd_remote_fill(":8\0", 3, caller, out, sizeof(out), err, sizeof(err)),
			 -EINVAL);
}

static void inet_specs(void **state)
{
	struct fwd_spec s;
	char err[256];
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)&s.sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&s.sa;

	(void)state;
	assert_int_equal(spec(FWD_TCP, "127.0.0.1:8080", "192.168.127.2:80", &s, err), 0);
	assert_int_equal(s.sa.ss_family, AF_INET);
	assert_int_equal(ntohs(s4->sin_port), 8080);
	assert_int_equal(s4->sin_addr.s_addr, inet_addr("127.0.0.1"));
	assert_int_equal(s.rip, inet_addr("192.168.127.2"));
	assert_int_equal(s.rport, 80);
	assert_false(s.dual_stack);
	assert_string_equal(s.local, "127.0.0.1:8080");
	assert_string_equal(s.remote, "192.168.127.2:80");

	assert_int_equal(spec(FWD_UDP, ":5353", "192.168.127.9:53", &s, err), 0);
	assert_int_equal(s.sa.ss_family, AF_INET6);
	assert_true(s.dual_stack);
	assert_int_equal(ntohs(s6->sin6_port), 5353);

	assert_int_equal(spec(FWD_TCP, "[::1]:8080", "192.168.127.2:80", &s, err), 0);
	assert_int_equal(s.sa.ss_family, AF_INET6);
	assert_false(s.dual_stack);
	assert_true(IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr));

	assert_int_equal(spec(FWD_TCP, "localhost:1", "192.168.127.254:65535", &s, err), 0);
	assert_int_equal(s4->sin_addr.s_addr, inet_addr("127.0.0.1"));

	/* Ports out of range, on either end. */
	assert_int_equal(spec(FWD_TCP, "127.0.0.1:0", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "127.0.0.1:65536", "192.168.127.2:80", &s, err), -EINVAL);
	assert_string_equal(err, "listen tcp 127.0.0.1:65536: port must be 1-65535");
	assert_int_equal(spec(FWD_TCP, "127.0.0.1:-1", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "127.0.0.1:80x", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "127.0.0.1:", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "127.0.0.1:8080", "192.168.127.2:0", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "127.0.0.1:8080", "192.168.127.2:99999", &s, err), -EINVAL);

	/* Bad addresses. */
	assert_int_equal(spec(FWD_TCP, "example.com:80", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "::1:80", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "[127.0.0.1]:80", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "[::1:80", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "8080", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, "1.2.3.4.5:80", "192.168.127.2:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, ":80", "10.0.0.1:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, ":80", "192.168.127.1:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, ":80", "192.168.127.0:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, ":80", "192.168.127.255:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, ":80", "[fd00::2]:80", &s, err), -EINVAL);
	assert_int_equal(spec(FWD_TCP, ":80", "guest:80", &s, err), -EINVAL);
	/* A tcp remote does not take a URL. */
	assert_int_equal(spec(FWD_TCP, ":80", "tcp://192.168.127.2:80", &s, err), -EINVAL);
}

static void unix_specs(void **state)
{
	struct fwd_spec s;
	char err[256], longpath[200];
	const struct sockaddr_un *su = (const struct sockaddr_un *)&s.sa;
	static const char nul_local[] = "/run/user/1000/a.sock\0/../../etc/x";

	(void)state;
	assert_int_equal(
		spec(FWD_UNIX, "/run/user/1000/docker.sock", "tcp://192.168.127.2:2375", &s, err),
		0);
	assert_int_equal(su->sun_family, AF_UNIX);
	assert_string_equal(su->sun_path, "/run/user/1000/docker.sock");
	assert_int_equal(s.rip, inet_addr("192.168.127.2"));
	assert_int_equal(s.rport, 2375);
	assert_int_equal(
		spec(FWD_UNIX, "/tmp/vgate-api/sub/x.sock", "tcp://192.168.127.2:22", &s, err), 0);

	/* Outside every permitted directory, relative, dots, empty components. */
	assert_int_equal(spec(FWD_UNIX, "/etc/x.sock", "tcp://192.168.127.2:22", &s, err), -EINVAL);
	assert_int_equal(
		spec(FWD_UNIX, "/run/user/10000/x.sock", "tcp://192.168.127.2:22", &s, err),
		-EINVAL);
	assert_int_equal(spec(FWD_UNIX, "/run/user/1000", "tcp://192.168.127.2:22", &s, err),
			 -EINVAL);
	assert_int_equal(spec(FWD_UNIX, "/run/user/1000/", "tcp://192.168.127.2:22", &s, err),
			 -EINVAL);
	assert_int_equal(spec(FWD_UNIX, "run/user/1000/x", "tcp://192.168.127.2:22", &s, err),
			 -EINVAL);
	assert_string_equal(err, "listen unix run/user/1000/x: the path must be absolute");
	assert_int_equal(
		spec(FWD_UNIX, "/run/user/1000/../../etc/x", "tcp://192.168.127.2:22", &s, err),
		-EINVAL);
	assert_int_equal(spec(FWD_UNIX, "/run/user/1000/..", "tcp://192.168.127.2:22", &s, err),
			 -EINVAL);
	assert_int_equal(spec(FWD_UNIX, "/run/user/1000/./x", "tcp://192.168.127.2:22", &s, err),
			 -EINVAL);
	assert_int_equal(spec(FWD_UNIX, "/run/user/1000//x", "tcp://192.168.127.2:22", &s, err),
			 -EINVAL);
	/* NUL: refused, not cut short. */
	{
		struct fwd_net n = test_net();

		assert_int_equal(fwd_spec_parse(FWD_UNIX, nul_local, sizeof(nul_local) - 1,
						"tcp://192.168.127.2:22", 22, &n, dirs, 2, &s, err,
						sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, "local: contains a NUL byte");
	}
	/* Longer than sun_path. */
	snprintf(longpath, sizeof(longpath), "/run/user/1000/%0150d", 7);
	assert_int_equal(spec(FWD_UNIX, longpath, "tcp://192.168.127.2:22", &s, err), -EINVAL);

	/* Remotes: tcp:// only. */
	assert_int_equal(spec(FWD_UNIX, "/run/user/1000/a", "192.168.127.2:22", &s, err), -EINVAL);
	assert_int_equal(
		spec(FWD_UNIX, "/run/user/1000/a", "ssh-tunnel://192.168.127.2:22/x", &s, err),
		-EINVAL);
	assert_string_equal(err,
			    "remote protocol for unix forwarder is not implemented: ssh-tunnel");
	assert_int_equal(spec(FWD_UNIX, "/run/user/1000/a", "tcp://192.168.127.2:0", &s, err),
			 -EINVAL);
	assert_int_equal(spec(FWD_UNIX, "/run/user/1000/a", "tcp://10.1.1.1:22", &s, err), -EINVAL);
}

static void permitted_paths(void **state)
{
	const char *const root[] = { "/" };

	(void)state;
	assert_true(fwd_path_permitted("/run/user/1000/x", dirs, 2));
	assert_false(fwd_path_permitted("/run/user/1000x/y", dirs, 2));
	assert_false(fwd_path_permitted("/run/user/1000/x", dirs, 0));
	assert_true(fwd_path_permitted("/anything/at/all", root, 1));
	assert_false(fwd_path_permitted("/a/../b", root, 1));
	assert_false(fwd_path_permitted("relative", root, 1));
}

static struct fwd_spec make(enum fwd_proto p, const char *local, const char *remote)
{
	struct fwd_spec s;
	char err[256];

	assert_int_equal(spec(p, local, remote, &s, err), 0);
	return s;
}

static void table_ops(void **state)
{
	struct fwd_table *t = calloc(1, sizeof(*t));
	struct fwd_spec a = make(FWD_TCP, "127.0.0.1:8080", "192.168.127.2:80");
	struct fwd_spec b = make(FWD_UDP, "127.0.0.1:8080", "192.168.127.2:80");
	struct fwd_spec c = make(FWD_TCP, ":8080", "192.168.127.2:80");
	struct fwd_entry *ea, *eb;
	int owner;

	(void)state;
	assert_non_null(t);
	assert_int_equal(fwd_table_add(t, &a, &owner, &ea), 0);
	assert_ptr_equal(ea->owner, &owner);
	/* Same protocol and local: a duplicate; another protocol or spelling is not. */
	assert_int_equal(fwd_table_add(t, &a, NULL, NULL), -EEXIST);
	assert_int_equal(fwd_table_add(t, &b, NULL, &eb), 0);
	assert_int_equal(fwd_table_add(t, &c, NULL, NULL), 0);
	assert_int_equal(t->n, 3);
	assert_ptr_equal(fwd_table_find(t, FWD_TCP, "127.0.0.1:8080"), ea);
	assert_ptr_equal(fwd_table_find(t, FWD_UDP, "127.0.0.1:8080"), eb);
	assert_null(fwd_table_find(t, FWD_UNIX, "127.0.0.1:8080"));
	fwd_table_remove(t, ea);
	assert_null(fwd_table_find(t, FWD_TCP, "127.0.0.1:8080"));
	assert_int_equal(t->n, 2);
	assert_int_equal(fwd_table_add(t, &a, NULL, NULL), 0);
	fwd_table_clear(t);
	assert_int_equal(t->n, 0);

	/* The cap. */
	for (unsigned i = 0; i < FWD_MAX; i++) {
		struct fwd_spec s = a;

		snprintf(s.local, sizeof(s.local), "127.0.0.1:%u", 1000 + i);
		assert_int_equal(fwd_table_add(t, &s, NULL, NULL), 0);
	}
	assert_int_equal(fwd_table_add(t, &b, NULL, NULL), -ENOSPC);
	fwd_table_clear(t);
	free(t);
}

static void json_all(void **state)
{
	struct fwd_table *t = calloc(1, sizeof(*t));
	struct fwd_spec s;
	char *out;

	(void)state;
	assert_non_null(t);
	assert_int_equal(fwd_table_json(t, &out), 0);
	assert_string_equal(out, "[]\n");
	free(out);

	s = make(FWD_UDP, "127.0.0.1:8080", "192.168.127.2:80");
	assert_int_equal(fwd_table_add(t, &s, NULL, NULL), 0);
	s = make(FWD_TCP, "127.0.0.1:8080", "192.168.127.3:80");
	assert_int_equal(fwd_table_add(t, &s, NULL, NULL), 0);
	s = make(FWD_TCP, ":2222", "192.168.127.2:22");
	assert_int_equal(fwd_table_add(t, &s, NULL, NULL), 0);
	s = make(FWD_UNIX, "/run/user/1000/d.sock", "tcp://192.168.127.2:2375");
	assert_int_equal(fwd_table_add(t, &s, NULL, NULL), 0);
	s = make(FWD_TCP, "127.0.0.1:10080", "192.168.127.2:80");
	assert_int_equal(fwd_table_add(t, &s, NULL, NULL), 0);
	assert_int_equal(fwd_table_json(t, &out), 0);
	/* By local (byte order: "/" < "1" < ":"), then protocol. */
	assert_string_equal(
		out,
		"[{\"local\":\"/run/user/1000/d.sock\",\"remote\":\"tcp://192.168.127.2:2375\","
		"\"protocol\":\"unix\"},"
		"{\"local\":\"127.0.0.1:10080\",\"remote\":\"192.168.127.2:80\",\"protocol\":"
		"\"tcp\"},"
		"{\"local\":\"127.0.0.1:8080\",\"remote\":\"192.168.127.3:80\",\"protocol\":"
		"\"tcp\"},"
		"{\"local\":\"127.0.0.1:8080\",\"remote\":\"192.168.127.2:80\",\"protocol\":"
		"\"udp\"},"
		"{\"local\":\":2222\",\"remote\":\"192.168.127.2:22\",\"protocol\":\"tcp\"}]\n");
	free(out);
	fwd_table_clear(t);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(request_bodies),  cmocka_unit_test(long_and_deep_bodies),
		cmocka_unit_test(protocols),	   cmocka_unit_test(remote_fill),
		cmocka_unit_test(inet_specs),	   cmocka_unit_test(unix_specs),
		cmocka_unit_test(permitted_paths), cmocka_unit_test(table_ops),
		cmocka_unit_test(json_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
