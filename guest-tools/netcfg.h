/* SPDX-License-Identifier: MIT */
/*
 * netcfg.h - put a DHCP lease on the tap: address, MTU, route, resolv.conf
 *
 * Shared by the builtin client and by vgate-guest's udhcpc script mode, so
 * a lease is configured the same way whichever client obtained it: the
 * address with the lease as its kernel lifetime (an orphaned address expires
 * on its own), the MTU unless -mtu fixed it, a default route via the router
 * with -route-metric, and resolv.conf rewritten atomically unless it is
 * "none".
 */
#ifndef VGATE_NETCFG_H
#define VGATE_NETCFG_H

#include "dhcpc.h"

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

/* Largest resolv.conf written (3 servers, a search line, a comment). */
#define NETCFG_RESOLV_MAX 1024

struct netcfg {
	int ifindex;
	char ifname[IFNAMSIZ];
	const char *resolv; /* path, or NULL to leave resolv.conf alone */
	uint32_t metric;    /* of the default route */
	unsigned fixed_mtu; /* -mtu: the lease's MTU is not applied */
};

/*
 * netcfg_apply() - configure @l (also to refresh it after a renewal)
 * Return: 0 or the first -errno (each failure is logged with its step).
 */
int netcfg_apply(const struct netcfg *n, const struct dhcpc_lease *l);

/*
 * netcfg_remove() - remove @l's route and address (the lease is gone)
 * Return: 0 or -errno; what is already gone is not an error.
 */
int netcfg_remove(const struct netcfg *n, const struct dhcpc_lease *l);

/*
 * netcfg_flush() - remove every IPv4 address of the interface (what a
 * DHCP client's "deconfig" means)
 * Return: 0 or -errno.
 */
int netcfg_flush(const struct netcfg *n);

/*
 * netcfg_resolv_text() - the resolv.conf for @l
 * Return: its length; 0 when the lease names no servers and no search
 * domains (nothing to write); -ENOSPC.
 */
int netcfg_resolv_text(const struct dhcpc_lease *l, const char *ifname, char *buf, size_t cap);

/*
 * netcfg_write_file() - replace @path by @text atomically (a temporary file
 * in the same directory, then rename; through a symlink to its target)
 * Return: 0 or -errno.
 */
int netcfg_write_file(const char *path, const char *text, size_t len);

#endif
