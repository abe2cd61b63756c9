/* SPDX-License-Identifier: MIT */
/*
 * extdhcp.h - running the guest's own DHCP client (udhcpc or dhclient)
 *
 * As gvforwarder does, vgate-guest can leave DHCP to udhcpc (busybox; a
 * "busybox" binary is run as its udhcpc applet when no udhcpc is on $PATH)
 * or dhclient. Unlike gvforwarder it keeps the client running (it renews
 * the lease), asks it to renew at once when the link to vgate comes back
 * (SIGUSR1), restarts it with backoff if it dies, and on exit stops it with
 * SIGTERM while still carrying its frames, so its RELEASE (udhcpc -R) gets
 * out.
 *
 * udhcpc needs a script to apply what it learns; busybox's default one is
 * often missing, so vgate-guest passes itself: started by udhcpc with
 * VGATE_GUEST_SCRIPT=1 in the environment and the event as its only
 * argument, vgate-guest configures the lease with the same code as its
 * builtin client (netcfg.h), honouring -resolv, -route-metric and -mtu,
 * which reach it through VGATE_GUEST_* variables. dhclient uses its own
 * dhclient-script.
 */
#ifndef VGATE_EXTDHCP_H
#define VGATE_EXTDHCP_H

#include "dhcpc.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define EXTDHCP_RESTART_FIRST_MS 2000
#define EXTDHCP_RESTART_MAX_MS 60000

enum extdhcp_kind { EXTDHCP_UDHCPC, EXTDHCP_DHCLIENT };

struct extdhcp {
	enum extdhcp_kind kind;
	char prog[PATH_MAX];
	char argv0[16]; /* "udhcpc" also when prog is busybox */
	char ifname[16];
	char self[PATH_MAX];
	char env[6][PATH_MAX + 32];
	unsigned nenv;
	pid_t pid;
	uint64_t restart_at;
	uint64_t backoff_ms;
	bool stopping;
};

/*
 * extdhcp_find() - locate the client program for @kind
 * Return: true when found (@e's prog and argv0 set).
 */
bool extdhcp_find(struct extdhcp *e, enum extdhcp_kind kind);

/*
 * extdhcp_setup() - what the client and the script mode need to know
 * @resolv: path or NULL for "none"
 * @fixed_mtu: -mtu (0: apply the lease's)
 * @log_file: NULL or vgate-guest's -log-file (the script appends to it)
 * Return: 0 or -errno (vgate-guest's own path cannot be found).
 */
int extdhcp_setup(struct extdhcp *e, const char *ifname, const char *resolv, uint32_t metric,
		  unsigned fixed_mtu, const char *log_file, bool debug);

/* extdhcp_start() - spawn the client now. Return: 0 or -errno. */
int extdhcp_start(struct extdhcp *e, uint64_t now);

/* extdhcp_renew() - ask a running udhcpc to renew at once */
void extdhcp_renew(struct extdhcp *e);

/* extdhcp_child_exited() - reap notice. Return: true when @pid was the client. */
bool extdhcp_child_exited(struct extdhcp *e, pid_t pid, int status, uint64_t now);

/* extdhcp_timer() / extdhcp_deadline() - restarts after the client died */
void extdhcp_timer(struct extdhcp *e, uint64_t now);
uint64_t extdhcp_deadline(const struct extdhcp *e);

/* extdhcp_stop() - SIGTERM the client (udhcpc releases the lease). */
void extdhcp_stop(struct extdhcp *e);

/* Reads one variable of udhcpc's environment (getenv in real use). */
typedef const char *(*extdhcp_getenv)(void *ctx, const char *name);

/*
 * extdhcp_lease_from_env() - the lease udhcpc hands its script: ip,
 * subnet (or mask), router, dns, domain, search, mtu, lease, serverid
 * Return: 0, or -EINVAL when ip is missing or malformed (the rest is
 * optional; malformed optional values are left out).
 */
int extdhcp_lease_from_env(extdhcp_getenv get, void *ctx, struct dhcpc_lease *l);

/* extdhcp_is_script_call() - true when udhcpc started us as its script */
bool extdhcp_is_script_call(int argc, char **argv);

/* extdhcp_script() - the script mode's main. Return: the exit status. */
int extdhcp_script(const char *event);

#endif
