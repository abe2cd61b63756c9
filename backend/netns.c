// SPDX-License-Identifier: MIT
/*
 * netns.c - create and configure a tap inside another network namespace
 *
 * The configuration uses the classic ioctls (SIOCSIFHWADDR, SIOCSIFADDR,
 * SIOCSIFNETMASK, SIOCSIFMTU, SIOCSIFFLAGS, SIOCADDRT) on a throwaway
 * socket created while inside the namespace: they act on the namespace
 * the socket was created in. Every path back out restores vgate's own
 * namespace before returning.
 */
#include "netns.h"

#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define COMP "netns"

int mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			 &tail) != 6)
		return -EINVAL;
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int open_ns(const char *ns)
{
	char path[256];

	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static void sin_set(struct sockaddr *sa, struct in_addr a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a };

	memcpy(sa, &sin, sizeof(sin));
}

static int ifreq_ioctl(int s, unsigned long req, struct ifreq *ifr, const char *what,
		       const struct netns_tap_config *cfg)
{
	if (ioctl(s, req, ifr) < 0) {
		int r = -errno;

		log_err(COMP, "--netns %s: %s on %s: %s", cfg->ns, what, cfg->ifname, strerror(-r));
		return r;
	}
	return 0;
}

/* Inside the namespace: set MAC, MTU, (address), up, (route). */
static int configure_tap(const struct netns_tap_config *cfg)
{
	_cleanup_close_ int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;
	int r;

	if (s < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", cfg->ifname);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, cfg->mac, 6);
	r = ifreq_ioctl(s, SIOCSIFHWADDR, &ifr, "set MAC", cfg);
	if (r < 0)
		return r;
	ifr.ifr_mtu = cfg->mtu;
	r = ifreq_ioctl(s, SIOCSIFMTU, &ifr, "set MTU", cfg);
	if (r < 0)
		return r;
	if (cfg->configure) {
		struct in_addr mask = { htonl(cfg->prefix ? ~0u << (32 - cfg->prefix) : 0) };

		sin_set(&ifr.ifr_addr, cfg->addr);
		r = ifreq_ioctl(s, SIOCSIFADDR, &ifr, "set address", cfg);
		if (r < 0)
			return r;
		sin_set(&ifr.ifr_netmask, mask);
		r = ifreq_ioctl(s, SIOCSIFNETMASK, &ifr, "set netmask", cfg);
		if (r < 0)
			return r;
	}
	r = ifreq_ioctl(s, SIOCGIFFLAGS, &ifr, "get flags", cfg);
	if (r < 0)
		return r;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	r = ifreq_ioctl(s, SIOCSIFFLAGS, &ifr, "bring up", cfg);
	if (r < 0)
		return r;
	/* Loopback too: a namespace made by `ip netns add` has it down. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	if (cfg->configure) {
		struct rtentry rt;
		struct in_addr any = { 0 };
		char dev[IFNAMSIZ];

		memset(&rt, 0, sizeof(rt));
		snprintf(dev, sizeof(dev), "%s", cfg->ifname);
		sin_set(&rt.rt_dst, any);
		sin_set(&rt.rt_genmask, any);
		sin_set(&rt.rt_gateway, cfg->gateway);
		rt.rt_flags = RTF_UP | RTF_GATEWAY;
		rt.rt_dev = dev;
		if (ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
			r = -errno;
			log_err(COMP, "--netns %s: default route via %s: %s", cfg->ns,
				inet_ntoa(cfg->gateway), strerror(-r));
			return r;
		}
	}
	return 0;
}

static int create_tap(const struct netns_tap_config *cfg)
{
	struct ifreq ifr;
	int fd, r;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		log_err(COMP, "--netns %s: /dev/net/tun: %s", cfg->ns, strerror(-r));
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", cfg->ifname);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		log_err(COMP, "--netns %s: create tap %s: %s", cfg->ns, cfg->ifname,
			r == -EBUSY ? "the device exists and is in use" : strerror(-r));
		close(fd);
		return r;
	}
	r = configure_tap(cfg);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int netns_open_tap(const struct netns_tap_config *cfg)
{
	_cleanup_close_ int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int target = -1;
	int fd, r;

	if (self < 0) {
		r = -errno;
		log_err(COMP, "cannot open own network namespace: %s", strerror(-r));
		return r;
	}
	target = open_ns(cfg->ns);
	if (target < 0) {
		r = -errno;
		log_err(COMP, "--netns %s: %s", cfg->ns, strerror(-r));
		return r;
	}
	if (setns(target, CLONE_NEWNET) < 0) {
		r = -errno;
		log_err(COMP, "--netns %s: cannot enter: %s", cfg->ns, strerror(-r));
		return r;
	}
	fd = create_tap(cfg);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Staying in the guest's namespace would put every later socket
		 * there: that must never happen. */
		log_err(COMP, "cannot return to own network namespace: %s", strerror(errno));
		abort();
	}
	return fd;
}
