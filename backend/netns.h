/* SPDX-License-Identifier: MIT */
/*
 * netns.h - attach a network namespace through a tap vgate opens itself
 *
 * As pasta and slirp4netns do: vgate enters the namespace just long enough
 * to create the tap (IFF_TAP | IFF_NO_PI), set its MAC and bring it up
 * (and, with --netns-configure, give it the guest address, the MTU and a
 * default route via the gateway), then returns to its own namespace. The
 * tap's fd keeps working from there, so every socket vgate opens later is
 * in vgate's own namespace.
 */
#ifndef VGATE_NETNS_H
#define VGATE_NETNS_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

struct netns_tap_config {
	const char *ns;	    /* name under /run/netns, or a path */
	const char *ifname; /* tap name inside */
	uint8_t mac[6];
	uint16_t mtu;
	bool configure;
	struct in_addr addr; /* with configure */
	unsigned prefix;
	struct in_addr gateway;
};

/*
 * netns_open_tap() - create the tap inside @cfg->ns
 * Return: the tap fd (non-blocking) or -errno; the reason is logged.
 */
int netns_open_tap(const struct netns_tap_config *cfg);

/* Parse "aa:bb:cc:dd:ee:ff". Return: 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[6]);

#endif
