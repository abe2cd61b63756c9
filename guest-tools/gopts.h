/* SPDX-License-Identifier: MIT */
/*
 * gopts.h - vgate-guest's command line
 *
 * gvforwarder's flags (Go style: one or two dashes, "-flag value" or
 * "-flag=value", booleans as "-flag" or "-flag=false"), plus vgate-guest's
 * own. A first argument "forward-ports" runs only the auto-forward agent.
 * Values are checked here; what a value means is for the modules that use
 * it.
 */
#ifndef VGATE_GOPTS_H
#define VGATE_GOPTS_H

#include "agent.h"
#include "dhcpc.h"

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define GOPTS_DEFAULT_URL "vsock://2:1024/connect"
#define GOPTS_DEFAULT_IFACE "tap0"
#define GOPTS_DEFAULT_MAC "5a:94:ef:e4:0c:ee"
#define GOPTS_DEFAULT_STOP_IF "eth0,ens3,enp0s1"
#define GOPTS_DEFAULT_RESOLV "/etc/resolv.conf"
/* Largest MTU whose frames still fit a uint16 length (65535 - 14). */
#define GOPTS_MTU_MAX DHCPC_MTU_MAX

enum gopts_cmd { GOPTS_FORWARD, GOPTS_FORWARD_PORTS };
enum gopts_dhcp {
	GOPTS_DHCP_AUTO,
	GOPTS_DHCP_UDHCPC,
	GOPTS_DHCP_DHCLIENT,
	GOPTS_DHCP_BUILTIN,
	GOPTS_DHCP_NONE
};

struct gopts {
	enum gopts_cmd cmd;
	char url[4096];
	char iface[IFNAMSIZ];
	uint8_t mac[6];
	unsigned mtu; /* 0: not given */
	bool preexisting;
	char stop_if_exist[256];
	bool debug, version, help;
	enum gopts_dhcp dhcp;
	bool dhcp_given;
	char resolv[PATH_MAX]; /* "" for none */
	char hostname[64];
	uint32_t route_metric;
	char log_file[PATH_MAX];
	char pid_file[PATH_MAX];
	bool auto_forward;
	struct agent_config agent;
};

/*
 * gopts_parse() - fill @o from the command line (argv[0] is the program)
 * @err: the reason, for the user, when it fails
 * Return: 0, or -EINVAL (usage error).
 */
int gopts_parse(int argc, char **argv, struct gopts *o, char *err, size_t errlen);

/* gopts_usage() - print the flags */
void gopts_usage(FILE *f);

/* gopts_parse_mac() - "5a:94:ef:e4:0c:ee". Return: 0 or -EINVAL. */
int gopts_parse_mac(const char *s, uint8_t mac[6]);

#endif
