/* SPDX-License-Identifier: MIT */
/*
 * options.h - vgate's command line: gvproxy's flags plus vgate's own
 *
 * gvproxy is a Go program, so its flags follow Go's flag package: one or two
 * dashes, "-flag value" or "-flag=value", booleans as "-flag" or
 * "-flag=true|false". vgate accepts the same, so tools that launch gvproxy
 * launch vgate unchanged, and adds its own long options in the same syntax.
 */
#ifndef VGATE_OPTIONS_H
#define VGATE_OPTIONS_H

#include <stdbool.h>
#include <stdio.h>

/* Most values a repeatable flag may take. */
#define OPT_LIST_MAX 16

struct opt_list {
	const char *v[OPT_LIST_MAX];
	unsigned n;
};

struct netns_spec {
	const char *ns;
};

struct vgate_options {
	struct opt_list listen;	      /* -listen: API incl. /connect */
	struct opt_list services;     /* -services: API without /connect */
	struct opt_list listen_qemu;  /* -listen-qemu */
	struct opt_list listen_bess;  /* -listen-bess */
	struct opt_list listen_vfkit; /* -listen-vfkit (and QEMU dgram) */
	struct opt_list listen_vpnkit;
	bool listen_stdio;	      /* -listen-stdio accept */
	struct opt_list connect_qemu; /* --connect-qemu */
	struct opt_list netns;	      /* --netns */
	const char *netns_ifname;
	const char *netns_mac;
	bool netns_configure;
	unsigned long mtu;
	bool mtu_set; /* -mtu given (0 counts: it means 1500) */
	long ssh_port;
	const char *pid_file;
	const char *log_file;
	const char *pcap;
	const char *notification;
	const char *config;
	const char *subnet;
	const char *gateway_ip;
	const char *device_ip;
	const char *host_ip;
	const char *gateway_mac;
	const char *device_mac;
	unsigned long lease_time;
	struct opt_list static_lease; /* MAC=IP */
	struct opt_list dns_record;   /* ZONE:LABEL=IP */
	struct opt_list search_domain;
	struct opt_list dns_upstream; /* ADDR[:PORT] */
	const char *resolv_conf;
	bool no_host_loopback;
	struct opt_list nat;	      /* VIRTUAL=REAL */
	struct opt_list egress_allow; /* CIDR[:PORT] */
	struct opt_list egress_deny;
	unsigned long tcp_connect_timeout; /* seconds */
	unsigned long udp_idle_timeout;	   /* seconds */
	struct opt_list forward_sock;
	struct opt_list forward_dest;
	struct opt_list forward_user;
	struct opt_list forward_identity;
	bool ec2_metadata_access;
	const char *api_mode;	     /* --api-mode: octal mode of unix API sockets */
	const char *api_group;	     /* --api-group: their group (name or number) */
	const char *guest_api_token; /* FILE: in-network API needs Bearer <token> */
	bool no_guest_api;	     /* no in-network API at gateway:80 */
	const char *qmp;	     /* --qmp: follow this QEMU monitor socket */
	bool qmp_keep_running;	     /* --qmp-keep-running */
	bool debug;
	bool version;
	bool help;
};

/*
 * options_parse() - fill @o from argv (defaults first)
 * Return: 0, or -EINVAL after printing the reason to stderr.
 */
int options_parse(struct vgate_options *o, int argc, char **argv);

void options_usage(FILE *out);

#endif
