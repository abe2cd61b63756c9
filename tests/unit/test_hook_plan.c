// SPDX-License-Identifier: MIT
/*
 * test_hook_plan.c - libvirt-hook/plan.c: what the hook runs for a domain
 *
 * The exact vgate command line and -config file for the README's example
 * (the NIC's MAC gets the guest address, -ssh-port=-1, nothing else on the
 * command line), with every flag the metadata can turn on, for a TCP
 * (<interface type='client'>) NIC and for a shared network. NIC matching:
 * a stream NIC to a socket of vgate's that no network serves, and
 * server=on, are errors; NICs elsewhere are left alone. Where port-only
 * forwards go on the domain's own network and on a shared one, and the
 * errors when nothing says; state paths too long for a socket address.
 */
#include "plan.h"
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

static struct meta_domain dom;
static struct plan pl;
static char err[1024];
static const struct plan_paths paths = { "/run/vgate", "/run/vgate-net", "/usr/bin/vgate" };

#define QNS "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'"
#define STREAM_NIC(path, mac)                                                                  \
	"<qemu:arg value='-netdev'/><qemu:arg value='stream,id=vg0,server=off,addr.type=unix," \
	"addr.path=" path "'/><qemu:arg value='-device'/>"                                     \
	"<qemu:arg value='virtio-net-pci,netdev=vg0,mac=" mac "'/>"

static int plan_doc(const char *name, const char *meta, const char *devices, const char *qemu)
{
	char doc[16384];
	int r;

	snprintf(doc, sizeof(doc),
		 "<domain type='qemu' " QNS "><name>%s</name><metadata>%s</metadata>"
		 "<devices>%s</devices><qemu:commandline>%s</qemu:commandline></domain>",
		 name, meta, devices ? devices : "", qemu ? qemu : "");
	r = meta_parse(doc, strlen(doc), &dom, err, sizeof(err));
	if (r < 0)
		fail_msg("parse: %s", err);
	return plan_build(&dom, &paths, &pl, err, sizeof(err));
}

/* The command line as one string, words separated by spaces. */
static char *cmdline(const struct plan_net *pn)
{
	static char buf[4096];
	struct plan_argv a;

	assert_int_equal(plan_argv(pn, &paths, &a), 0);
	buf[0] = '\0';
	for (unsigned i = 0, used = 0; i < a.n; i++)
		used += (unsigned)snprintf(buf + used, sizeof(buf) - used, "%s%s", i ? " " : "",
					   a.v[i]);
	assert_null(a.v[a.n]);
	plan_argv_free(&a);
	return buf;
}

static void config_equal(const struct plan_net *pn, const char *want)
{
	char *cfg = NULL;

	assert_int_equal(plan_config_json(pn, &cfg), 0);
	/* Compare without the indentation. */
	{
		char *w = cfg;

		for (const char *r = cfg; *r; r++)
			if (*r != '\n' &&
			    !(*r == ' ' && (r[1] == ' ' || r[-1] == '\n' || r[-1] == ' ')))
				*w++ = *r;
		*w = '\0';
	}
	if (strcmp(cfg, want) != 0)
		fail_msg("config:\n%s\nwant:\n%s", cfg, want);
	free(cfg);
}

static void test_readme_example(void **state)
{
	char remote[64];

	(void)state;
	assert_int_equal(
		plan_doc("vm1",
			 "<vgate:network xmlns:vgate='urn:vgate:libvirt:1' mtu='65520'>"
			 "<vgate:forward proto='tcp' host='127.0.0.1:2222' guest='22'/>"
			 "<vgate:forward proto='udp' host='127.0.0.1:5353' guest='53'/>"
			 "<vgate:dns zone='lab.internal.'><vgate:record name='db' "
			 "ip='192.168.127.3'/></vgate:dns>"
			 "<vgate:nat virtual='192.168.127.254' real='127.0.0.1'/></vgate:network>",
			 NULL, STREAM_NIC("/run/vgate/vm1/qemu.sock", "52:54:00:12:34:56")),
		0);
	assert_int_equal(pl.nnets, 1);
	assert_string_equal(pl.domain_dir, "/run/vgate/vm1");
	assert_string_equal(pl.nets[0].dir, "/run/vgate/vm1");
	assert_string_equal(pl.nets[0].api, "/run/vgate/vm1/api.sock");
	assert_int_equal(pl.nets[0].nnics, 1);
	assert_string_equal(cmdline(&pl.nets[0]),
			    "/usr/bin/vgate -config=/run/vgate/vm1/config.json "
			    "-listen=unix:///run/vgate/vm1/api.sock "
			    "-listen-qemu=unix:///run/vgate/vm1/qemu.sock "
			    "-pid-file=/run/vgate/vm1/vgate.pid -log-file=/run/vgate/vm1/vgate.log "
			    "-ssh-port=-1");
	config_equal(
		&pl.nets[0],
		"{\"subnet\": \"192.168.127.0/24\",\"gatewayIP\": \"192.168.127.1\","
		"\"deviceIP\": \"192.168.127.2\",\"deviceMacAddress\": \"52:54:00:12:34:56\","
		"\"hostIP\": \"192.168.127.254\",\"mtu\": 65520,\"dns\": [{\"Name\": "
		"\"lab.internal.\",\"Records\": [{\"Name\": \"db\",\"IP\": \"192.168.127.3\"}]}],"
		"\"nat\": {\"192.168.127.254\": \"127.0.0.1\"}}");
	assert_int_equal(
		plan_forward_remote(&pl.nets[0], &dom.nets[0].forwards[0], remote, sizeof(remote)),
		0);
	assert_string_equal(remote, "192.168.127.2:22");
	assert_string_equal(plan_proto_name(dom.nets[0].forwards[1].proto), "udp");
}

static void test_every_flag(void **state)
{
	(void)state;
	assert_int_equal(
		plan_doc(
			"vm2",
			"<vgate:network xmlns:vgate='urn:vgate:libvirt:1' port='40001' "
			"subnet='10.0.2.0/24' gateway-mac='5a:94:ef:e4:0c:dd' guest-ip='10.0.2.15' "
			"lease-time='600' domain='lab.test' host-loopback='no' link-local='yes' "
			"guest-api='no' tcp-connect-timeout='5' udp-idle-timeout='60' debug='yes'>"
			"<vgate:forward proto='unix' host='/run/vgate/vm2/d.sock' guest='2375'/>"
			"<vgate:lease mac='52:54:00:00:00:09' ip='10.0.2.9'/>"
			"<vgate:dns zone='a.' default='10.0.2.8'><vgate:record regexp='^w' "
			"ipv6='fd00::1'/></vgate:dns>"
			"<vgate:search domain='a.test'/><vgate:upstream server='10.0.0.1:53'/>"
			"<vgate:virtual-ip ip='10.0.2.3'/><vgate:egress allow='10.0.0.0/8'/>"
			"<vgate:egress deny='0.0.0.0/0:25'/></vgate:network>",
			"<interface type='client'><mac address='52:54:00:00:00:07'/>"
			"<source address='127.0.0.1' port='40001'/></interface>",
			NULL),
		0);
	assert_int_equal(pl.nets[0].nnics, 1);
	assert_string_equal(cmdline(&pl.nets[0]),
			    "/usr/bin/vgate -config=/run/vgate/vm2/config.json "
			    "-listen=unix:///run/vgate/vm2/api.sock "
			    "-listen-qemu=unix:///run/vgate/vm2/qemu.sock "
			    "-listen-qemu=tcp://127.0.0.1:40001 "
			    "-pid-file=/run/vgate/vm2/vgate.pid -log-file=/run/vgate/vm2/vgate.log "
			    "-ssh-port=-1 --no-host-loopback --no-guest-api -debug");
	config_equal(&pl.nets[0],
		     "{\"subnet\": \"10.0.2.0/24\",\"gatewayIP\": \"10.0.2.1\","
		     "\"gatewayMacAddress\": \"5a:94:ef:e4:0c:dd\",\"deviceIP\": \"10.0.2.15\","
		     "\"deviceMacAddress\": \"52:54:00:00:00:07\",\"hostIP\": \"10.0.2.254\","
		     "\"gatewayVirtualIPs\": [\"10.0.2.3\"],\"leaseTime\": 600,"
		     "\"dhcpStaticLeases\": {\"10.0.2.9\": \"52:54:00:00:00:09\"},"
		     "\"dns\": [{\"Name\": \"a.\",\"DefaultIP\": \"10.0.2.8\",\"Records\": "
		     "[{\"Regexp\": \"^w\",\"IPv6\": \"fd00::1\"}]}],"
		     "\"dnsSearchDomains\": [\"a.test\"],\"domain\": \"lab.test\","
		     "\"dnsUpstream\": [\"10.0.0.1:53\"],\"egressAllow\": [\"10.0.0.0/8\"],"
		     "\"egressDeny\": [\"0.0.0.0/0:25\"],\"ec2MetadataAccess\": true,"
		     "\"tcpConnectTimeout\": 5,\"udpIdleTimeout\": 60}");
	{
		char remote[64];

		assert_int_equal(plan_forward_remote(&pl.nets[0], &dom.nets[0].forwards[0], remote,
						     sizeof(remote)),
				 0);
		assert_string_equal(remote, "tcp://10.0.2.15:2375");
	}
}

static void test_guest_token(void **state)
{
	(void)state;
	assert_int_equal(plan_doc("vm",
				  "<vgate:network xmlns:vgate='urn:vgate:libvirt:1' "
				  "guest-api-token='/etc/vgate/token'/>",
				  NULL, NULL),
			 0);
	assert_non_null(strstr(cmdline(&pl.nets[0]), " --guest-api-token=/etc/vgate/token"));
	/* No NIC: vgate's default device MAC stays, the guest address is guest-ip. */
	assert_false(pl.nets[0].device_mac_set);
	config_equal(&pl.nets[0], "{\"subnet\": \"192.168.127.0/24\",\"gatewayIP\": "
				  "\"192.168.127.1\",\"deviceIP\": \"192.168.127.2\",\"hostIP\": "
				  "\"192.168.127.254\"}");
}

static void test_lease_for_the_nic(void **state)
{
	(void)state;
	/* The NIC's own lease wins over guest-ip. */
	assert_int_equal(plan_doc("vm",
				  "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'>"
				  "<vgate:lease mac='52:54:00:00:00:01' ip='192.168.127.50'/>"
				  "<vgate:forward host=':80' guest='80'/></vgate:network>",
				  NULL, STREAM_NIC("/run/vgate/vm/qemu.sock", "52:54:00:00:00:01")),
			 0);
	assert_non_null(
		strstr(cmdline(&pl.nets[0]), "-listen-qemu=unix:///run/vgate/vm/qemu.sock"));
	{
		char remote[64];

		plan_forward_remote(&pl.nets[0], &dom.nets[0].forwards[0], remote, sizeof(remote));
		assert_string_equal(remote, "192.168.127.50:80");
	}
	/* guest-ip leased to another MAC: refused. */
	assert_int_equal(plan_doc("vm",
				  "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'>"
				  "<vgate:lease mac='52:54:00:00:00:02' ip='192.168.127.2'/>"
				  "</vgate:network>",
				  NULL, STREAM_NIC("/run/vgate/vm/qemu.sock", "52:54:00:00:00:01")),
			 -EINVAL);
	assert_non_null(strstr(err, "also leased to 52:54:00:00:00:02"));
}

static void test_nic_matching(void **state)
{
	(void)state;
	/* A socket under the domain's directory that no network serves. */
	assert_int_equal(plan_doc("vm", "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'/>", NULL,
				  STREAM_NIC("/run/vgate/vm/other.sock", "52:54:00:00:00:01")),
			 -EINVAL);
	assert_non_null(strstr(err, "which none of the domain's vgate networks serves"));
	assert_non_null(strstr(err, "/run/vgate/vm/qemu.sock"));
	/* Under a shared network's directory. */
	assert_int_equal(plan_doc("vm", "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'/>", NULL,
				  STREAM_NIC("/run/vgate-net/lab/qemu.sock", "52:54:00:00:00:01")),
			 -EINVAL);
	/* server=on. */
	assert_int_equal(
		plan_doc("vm", "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'/>", NULL,
			 "<qemu:arg value='-netdev'/><qemu:arg value='stream,id=x,server=on,"
			 "addr.type=unix,addr.path=/run/vgate/vm/qemu.sock'/>"),
		-EINVAL);
	assert_non_null(strstr(err, "server=off"));
	/* Elsewhere: not ours, left alone. */
	assert_int_equal(plan_doc("vm", "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'/>",
				  "<interface type='client'><source address='127.0.0.1' port='9'/>"
				  "</interface>",
				  STREAM_NIC("/tmp/passt.sock", "52:54:00:00:00:01")),
			 0);
	assert_int_equal(pl.nets[0].nnics, 0);
	/* A domain called "vm" does not own the sockets of "vm2". */
	assert_int_equal(plan_doc("vm2", "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'/>", NULL,
				  STREAM_NIC("/run/vgate/vm2/qemu.sock", "52:54:00:00:00:01")),
			 0);
	assert_int_equal(pl.nets[0].nnics, 1);
}

static void test_several_networks(void **state)
{
	(void)state;
	assert_int_equal(
		plan_doc("vm",
			 "<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'><vgate:network/>"
			 "<vgate:network id='b' subnet='10.1.0.0/24'/></vgate:networks>",
			 NULL,
			 STREAM_NIC("/run/vgate/vm/qemu.sock",
				    "52:54:00:00:00:01") "<qemu:arg value='-netdev'/><qemu:arg "
							 "value='stream,id=vg1,"
							 "addr.type=unix,addr.path=/run/vgate/vm/b/"
							 "qemu.sock'/>"
							 "<qemu:arg value='-device'/>"
							 "<qemu:arg "
							 "value='virtio-net-pci,netdev=vg1,mac=52:"
							 "54:00:00:00:02'/>"),
		0);
	assert_int_equal(pl.nnets, 2);
	assert_string_equal(pl.nets[1].dir, "/run/vgate/vm/b");
	assert_int_equal(pl.nets[0].nnics, 1);
	assert_int_equal(pl.nets[1].nnics, 1);
	assert_int_equal(pl.nets[1].device_mac[5], 2);
}

static void test_shared(void **state)
{
	static const char lab[] =
		"<vgate:network xmlns:vgate='urn:vgate:libvirt:1' name='lab'>"
		"<vgate:lease mac='52:54:00:00:00:0a' ip='192.168.127.10'/>"
		"<vgate:lease mac='52:54:00:00:00:0b' ip='192.168.127.11'/>"
		"<vgate:forward host='127.0.0.1:8082' guest='80'/></vgate:network>";
	char *a, remote[64];

	(void)state;
	assert_int_equal(plan_doc("b", lab, NULL,
				  STREAM_NIC("/run/vgate-net/lab/qemu.sock", "52:54:00:00:00:0b")),
			 0);
	assert_true(pl.nets[0].shared);
	assert_string_equal(pl.nets[0].dir, "/run/vgate-net/lab");
	assert_int_equal(pl.nets[0].nnics, 1);
	plan_forward_remote(&pl.nets[0], &dom.nets[0].forwards[0], remote, sizeof(remote));
	assert_string_equal(remote, "192.168.127.11:80");
	/* The network's command line and config do not depend on the member. */
	a = strdup(cmdline(&pl.nets[0]));
	assert_string_equal(a, "/usr/bin/vgate -config=/run/vgate-net/lab/config.json "
			       "-listen=unix:///run/vgate-net/lab/api.sock "
			       "-listen-qemu=unix:///run/vgate-net/lab/qemu.sock "
			       "-pid-file=/run/vgate-net/lab/vgate.pid "
			       "-log-file=/run/vgate-net/lab/vgate.log -ssh-port=-1");
	config_equal(&pl.nets[0],
		     "{\"subnet\": \"192.168.127.0/24\",\"gatewayIP\": \"192.168.127.1\","
		     "\"deviceIP\": \"192.168.127.10\",\"deviceMacAddress\": \"52:54:00:00:00:0a\","
		     "\"hostIP\": \"192.168.127.254\",\"dhcpStaticLeases\": {\"192.168.127.10\": "
		     "\"52:54:00:00:00:0a\",\"192.168.127.11\": \"52:54:00:00:00:0b\"}}");
	assert_int_equal(plan_doc("a", lab, NULL,
				  STREAM_NIC("/run/vgate-net/lab/qemu.sock", "52:54:00:00:00:0a")),
			 0);
	assert_string_equal(cmdline(&pl.nets[0]), a);
	free(a);
	/* A member without a lease cannot forward to guest="PORT". */
	assert_int_equal(plan_doc("c", lab, NULL,
				  STREAM_NIC("/run/vgate-net/lab/qemu.sock", "52:54:00:00:00:0c")),
			 -EINVAL);
	assert_non_null(strstr(err, "has a <vgate:lease>"));
}

static void test_path_limits(void **state)
{
	static const char *const name =
		"a-domain-name-of-sixty-four-bytes-which-is-the-most-vgate-serve";
	char meta[512];

	(void)state;
	assert_int_equal(strlen(name), 63);
	assert_int_equal(
		plan_doc(name, "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'/>", NULL, NULL),
		0);
	snprintf(meta, sizeof(meta),
		 "<vgate:networks xmlns:vgate='urn:vgate:libvirt:1'><vgate:network/>"
		 "<vgate:network id='%s'/></vgate:networks>",
		 "an-id-of-thirty-two-characters-x");
	assert_int_equal(plan_doc(name, meta, NULL, NULL), -EINVAL);
	assert_non_null(strstr(err, "do not fit a unix socket address"));
	assert_int_equal(plan_doc(".hidden", "<vgate:network xmlns:vgate='urn:vgate:libvirt:1'/>",
				  NULL, NULL),
			 -EINVAL);
	assert_non_null(strstr(err, "cannot be served"));
	assert_int_equal(plan_doc("v",
				  "<vgate:network xmlns:vgate='urn:vgate:libvirt:1' "
				  "host-loopback='no'><vgate:nat virtual='192.168.127.254' "
				  "real='127.0.0.1'/></vgate:network>",
				  NULL, NULL),
			 -EINVAL);
	assert_non_null(strstr(err, "contradict"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_example), cmocka_unit_test(test_every_flag),
		cmocka_unit_test(test_guest_token),    cmocka_unit_test(test_lease_for_the_nic),
		cmocka_unit_test(test_nic_matching),   cmocka_unit_test(test_several_networks),
		cmocka_unit_test(test_shared),	       cmocka_unit_test(test_path_limits),
	};
	int r;

	xmlInitParser();
	r = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return r;
}
