// SPDX-License-Identifier: MIT
/*
 * options.c - parse gvproxy-compatible flags with one table
 *
 * Each flag is a row: its name (without dashes), where its value goes and
 * how to read it. Parsing is a single pass; errors name the flag.
 */
#include "options.h"

#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type {
	OPT_STR,
	OPT_LIST,
	OPT_BOOL,
	OPT_UINT,
	OPT_INT,
	OPT_STDIO,
};

struct opt_def {
	const char *name;
	enum opt_type type;
	size_t off;
	const char *help;
	long min, max;
};

#define F(field) offsetof(struct vgate_options, field)

static const struct opt_def defs[] = {
	{ .name = "listen",
	  .type = OPT_LIST,
	  .off = F(listen),
	  .help = "URL: HTTP API endpoint, including /connect (repeatable)" },
	{ .name = "services",
	  .type = OPT_LIST,
	  .off = F(services),
	  .help = "URL: HTTP API endpoint without /connect" },
	{ .name = "listen-qemu",
	  .type = OPT_LIST,
	  .off = F(listen_qemu),
	  .help = "URL: QEMU stream/socket transport, unix:///path or tcp://host:port "
		  "(repeatable)" },
	{ .name = "listen-bess",
	  .type = OPT_LIST,
	  .off = F(listen_bess),
	  .help = "unixpacket:///path: one frame per message" },
	{ .name = "listen-vfkit",
	  .type = OPT_LIST,
	  .off = F(listen_vfkit),
	  .help = "unixgram:///path: one frame per datagram (vfkit, QEMU -netdev dgram)" },
	{ .name = "listen-vpnkit",
	  .type = OPT_LIST,
	  .off = F(listen_vpnkit),
	  .help = "URL: VPNKit handshake, then le16 frames" },
	{ .name = "listen-stdio",
	  .type = OPT_STDIO,
	  .off = F(listen_stdio),
	  .help = "accept: le16 frames over stdin/stdout" },
	{ .name = "connect-qemu",
	  .type = OPT_LIST,
	  .off = F(connect_qemu),
	  .help = "URL: connect to a QEMU -netdev stream,server=on socket; redial when it goes" },
	{ .name = "netns",
	  .type = OPT_LIST,
	  .off = F(netns),
	  .help = "NAME|PATH: create a tap in this network namespace and attach it (repeatable)" },
	{ .name = "netns-ifname",
	  .type = OPT_STR,
	  .off = F(netns_ifname),
	  .help = "NAME: tap name in --netns (default tap0)" },
	{ .name = "netns-mac",
	  .type = OPT_STR,
	  .off = F(netns_mac),
	  .help = "MAC: tap MAC for the first --netns (default 5a:94:ef:e4:0c:ee; next ones count "
		  "up)" },
	{ .name = "netns-configure",
	  .type = OPT_BOOL,
	  .off = F(netns_configure),
	  .help = "give --netns taps the guest address, route via the gateway and the MTU" },
	{ .name = "mtu",
	  .type = OPT_UINT,
	  .off = F(mtu),
	  .help = "N: link MTU (0: 1500; at most 65520)",
	  .min = 0,
	  .max = 65520 },
	{ .name = "ssh-port",
	  .type = OPT_INT,
	  .off = F(ssh_port),
	  .help = "N: forward 127.0.0.1:N to guest:22 (-1: none)",
	  .min = -1,
	  .max = 65535 },
	{ .name = "pid-file",
	  .type = OPT_STR,
	  .off = F(pid_file),
	  .help = "PATH: write the process id here" },
	{ .name = "log-file",
	  .type = OPT_STR,
	  .off = F(log_file),
	  .help = "PATH: log here instead of stderr" },
	{ .name = "pcap",
	  .type = OPT_STR,
	  .off = F(pcap),
	  .help = "PATH: capture every frame through the switch" },
	{ .name = "notification",
	  .type = OPT_STR,
	  .off = F(notification),
	  .help = "unix:///path: JSON event lines" },
	{ .name = "config", .type = OPT_STR, .off = F(config), .help = "FILE: configuration file" },
	{ .name = "subnet",
	  .type = OPT_STR,
	  .off = F(subnet),
	  .help = "CIDR: virtual network (default 192.168.127.0/24)" },
	{ .name = "gatewayIP",
	  .type = OPT_STR,
	  .off = F(gateway_ip),
	  .help = "IP: gateway address (default .1)" },
	{ .name = "deviceIP",
	  .type = OPT_STR,
	  .off = F(device_ip),
	  .help = "IP: first guest address (default .2)" },
	{ .name = "hostIP",
	  .type = OPT_STR,
	  .off = F(host_ip),
	  .help = "IP: host alias (default .254)" },
	{ .name = "gateway-mac",
	  .type = OPT_STR,
	  .off = F(gateway_mac),
	  .help = "MAC: gateway MAC (default 5a:94:ef:e4:0c:dd)" },
	{ .name = "device-mac",
	  .type = OPT_STR,
	  .off = F(device_mac),
	  .help = "MAC: first guest's MAC, statically leased -deviceIP (default "
		  "5a:94:ef:e4:0c:ee)" },
	{ .name = "lease-time",
	  .type = OPT_UINT,
	  .off = F(lease_time),
	  .help = "SECONDS: DHCP lease time (default 3600)",
	  .min = 60,
	  .max = 31536000 },
	{ .name = "static-lease",
	  .type = OPT_LIST,
	  .off = F(static_lease),
	  .help = "MAC=IP: DHCP static lease (repeatable)" },
	{ .name = "dns-record",
	  .type = OPT_LIST,
	  .off = F(dns_record),
	  .help = "ZONE:LABEL=IP: local DNS record, e.g. lab.internal.:db=192.168.127.3 "
		  "(repeatable)" },
	{ .name = "search-domain",
	  .type = OPT_LIST,
	  .off = F(search_domain),
	  .help = "NAME: DHCP search domain (repeatable; default: the host's)" },
	{ .name = "dns-upstream",
	  .type = OPT_LIST,
	  .off = F(dns_upstream),
	  .help = "ADDR[:PORT]: upstream resolver (repeatable; default: /etc/resolv.conf)" },
	{ .name = "resolv-conf",
	  .type = OPT_STR,
	  .off = F(resolv_conf),
	  .help = "PATH: the host's resolver file (default /etc/resolv.conf; re-read on change)" },
	{ .name = "no-host-loopback",
	  .type = OPT_BOOL,
	  .off = F(no_host_loopback),
	  .help = "no NAT from the host alias to the host's 127.0.0.1" },
	{ .name = "nat",
	  .type = OPT_LIST,
	  .off = F(nat),
	  .help = "VIRTUAL=REAL: guest traffic to VIRTUAL goes to REAL (repeatable)" },
	{ .name = "egress-allow",
	  .type = OPT_LIST,
	  .off = F(egress_allow),
	  .help = "CIDR[:PORT]: only these destinations may be reached (repeatable)" },
	{ .name = "egress-deny",
	  .type = OPT_LIST,
	  .off = F(egress_deny),
	  .help = "CIDR[:PORT]: these destinations are refused (repeatable)" },
	{ .name = "tcp-connect-timeout",
	  .type = OPT_UINT,
	  .off = F(tcp_connect_timeout),
	  .help = "SECONDS: give up an outbound TCP connect (default 30)",
	  .min = 1,
	  .max = 600 },
	{ .name = "udp-idle-timeout",
	  .type = OPT_UINT,
	  .off = F(udp_idle_timeout),
	  .help = "SECONDS: close an idle UDP flow (default 90)",
	  .min = 1,
	  .max = 86400 },
	{ .name = "forward-sock",
	  .type = OPT_LIST,
	  .off = F(forward_sock),
	  .help = "PATH: host unix socket forwarded over SSH" },
	{ .name = "forward-dest",
	  .type = OPT_LIST,
	  .off = F(forward_dest),
	  .help = "PATH: guest unix socket" },
	{ .name = "forward-user",
	  .type = OPT_LIST,
	  .off = F(forward_user),
	  .help = "USER: SSH user" },
	{ .name = "forward-identity",
	  .type = OPT_LIST,
	  .off = F(forward_identity),
	  .help = "PATH: SSH key" },
	{ .name = "ec2-metadata-access",
	  .type = OPT_BOOL,
	  .off = F(ec2_metadata_access),
	  .help = "allow the guest to reach 169.254.169.254" },
	{ .name = "api-mode",
	  .type = OPT_STR,
	  .off = F(api_mode),
	  .help = "OCTAL: mode of the unix -listen/-services sockets (default 0600; at most "
		  "0660)" },
	{ .name = "api-group",
	  .type = OPT_STR,
	  .off = F(api_group),
	  .help = "GROUP: group (name or number) of the unix -listen/-services sockets" },
	{ .name = "guest-api-token",
	  .type = OPT_STR,
	  .off = F(guest_api_token),
	  .help = "FILE: the in-network API (gateway:80) requires Authorization: Bearer <the "
		  "file's first line>" },
	{ .name = "no-guest-api",
	  .type = OPT_BOOL,
	  .off = F(no_guest_api),
	  .help = "no in-network API at gateway:80" },
	{ .name = "qmp",
	  .type = OPT_STR,
	  .off = F(qmp),
	  .help = "SOCKET: follow the QEMU whose QMP monitor listens here (path or unix:///path): "
		  "exit when it shuts down, log its netdev events, reserve a DHCP address for "
		  "each NIC's MAC" },
	{ .name = "qmp-keep-running",
	  .type = OPT_BOOL,
	  .off = F(qmp_keep_running),
	  .help = "with --qmp: keep running when the VM shuts down or QEMU goes away" },
	{ .name = "debug", .type = OPT_BOOL, .off = F(debug), .help = "log debug messages" },
	{ .name = "version",
	  .type = OPT_BOOL,
	  .off = F(version),
	  .help = "print the version and exit" },
	{ .name = "help", .type = OPT_BOOL, .off = F(help), .help = "this text" },
};

void options_usage(FILE *out)
{
	fprintf(out, "usage: vgate [flags]\n\n"
		     "Flags take one or two dashes; values as -flag VALUE or -flag=VALUE.\n\n");
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
		fprintf(out, "  -%-22s %s\n", defs[i].name, defs[i].help);
}

static const struct opt_def *find(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
		if (strlen(defs[i].name) == len && !strncmp(defs[i].name, name, len))
			return &defs[i];
	return NULL;
}

static int set_value(struct vgate_options *o, const struct opt_def *d, const char *val)
{
	void *field = (char *)o + d->off;

	switch (d->type) {
	case OPT_STR:
		*(const char **)field = val;
		return 0;
	case OPT_LIST: {
		struct opt_list *l = field;

		if (l->n >= OPT_LIST_MAX) {
			fprintf(stderr, "vgate: -%s given more than %d times\n", d->name,
				OPT_LIST_MAX);
			return -EINVAL;
		}
		l->v[l->n++] = val;
		return 0;
	}
	case OPT_BOOL:
		if (!val || !strcmp(val, "true") || !strcmp(val, "1")) {
			*(bool *)field = true;
			return 0;
		}
		if (!strcmp(val, "false") || !strcmp(val, "0")) {
			*(bool *)field = false;
			return 0;
		}
		break;
	case OPT_STDIO:
		if (!strcmp(val, "accept")) {
			*(bool *)field = true;
			return 0;
		}
		break;
	case OPT_UINT: {
		unsigned long v;

		if (parse_uint(val, (unsigned long)d->min, (unsigned long)d->max, &v) == 0) {
			*(unsigned long *)field = v;
			if (d->off == F(mtu))
				o->mtu_set = true;
			return 0;
		}
		break;
	}
	case OPT_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(val, &end, 10);
		if (!errno && *val && !*end && v >= d->min && v <= d->max) {
			*(long *)field = v;
			return 0;
		}
		break;
	}
	}
	fprintf(stderr, "vgate: invalid value '%s' for -%s\n", val ? val : "", d->name);
	return -EINVAL;
}

int options_parse(struct vgate_options *o, int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	o->ssh_port = 2222;
	o->netns_ifname = "tap0";
	o->resolv_conf = "/etc/resolv.conf";

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val = NULL;
		const struct opt_def *d;
		size_t len;

		if (arg[0] != '-' || !arg[1]) {
			fprintf(stderr, "vgate: unexpected argument '%s'\n", arg);
			return -EINVAL;
		}
		name = arg + 1 + (arg[1] == '-');
		eq = strchr(name, '=');
		len = eq ? (size_t)(eq - name) : strlen(name);
		d = find(name, len);
		if (!d && len == 1 && name[0] == 'h')
			d = find("help", 4);
		if (!d) {
			fprintf(stderr, "vgate: unknown flag '%s' (see vgate -help)\n", arg);
			return -EINVAL;
		}
		if (eq)
			val = eq + 1;
		else if (d->type != OPT_BOOL) {
			if (i + 1 >= argc) {
				fprintf(stderr, "vgate: -%s needs a value\n", d->name);
				return -EINVAL;
			}
			val = argv[++i];
		}
		if (set_value(o, d, val) < 0)
			return -EINVAL;
	}
	if (o->mtu == 0)
		o->mtu = 1500;
	if (o->mtu < 576) {
		fprintf(stderr, "vgate: -mtu must be 0 or between 576 and 65520\n");
		return -EINVAL;
	}
	return 0;
}
