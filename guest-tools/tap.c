// SPDX-License-Identifier: MIT
/*
 * tap.c - create or attach the guest's tap device
 *
 * TUNSETIFF both creates a tap and attaches to an existing one; its errors
 * are how the kernel says what is wrong with an existing device (EBUSY: a
 * process has it open already; EPERM: it belongs to another user or group
 * and we lack CAP_NET_ADMIN; EINVAL: the name is taken by a device that is
 * not a tap with these flags). The tap is not made persistent: when
 * vgate-guest exits, a tap it created disappears with its addresses and
 * routes; a preexisting persistent tap stays.
 */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#ifndef TUNSETCARRIER
#define TUNSETCARRIER _IOW('T', 226, int)
#endif

bool tap_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (!n || n >= IFNAMSIZ || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == ':' || (unsigned char)name[i] <= ' ' ||
		    (unsigned char)name[i] >= 0x7f)
			return false;
	return true;
}

int tap_open(const char *name, bool must_exist, int *ifindex, char *err, size_t errlen)
{
	struct ifreq ifr;
	bool existed;
	int fd, r;

	if (!tap_name_valid(name)) {
		snprintf(err, errlen, "'%s' is not a valid interface name", name);
		return -EINVAL;
	}
	existed = if_nametoindex(name) != 0;
	if (must_exist && !existed) {
		snprintf(err, errlen, "-preexisting: there is no interface %s", name);
		return -ENODEV;
	}
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open /dev/net/tun: %s", strerror(-r));
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		close(fd);
		if (r == -EBUSY)
			snprintf(err, errlen, "tap %s is already attached to another process",
				 name);
		else if (r == -EPERM && existed)
			snprintf(err, errlen,
				 "tap %s belongs to another user or group (and this process lacks "
				 "CAP_NET_ADMIN)",
				 name);
		else if (r == -EINVAL && existed)
			snprintf(err, errlen,
				 "%s exists and is not a tap device (IFF_TAP, no packet info, "
				 "single queue)",
				 name);
		else
			snprintf(err, errlen, "cannot %s tap %s: %s",
				 existed ? "attach to" : "create", name, strerror(-r));
		return r;
	}
	*ifindex = (int)if_nametoindex(name);
	if (!*ifindex) {
		r = errno ? -errno : -ENODEV;
		close(fd);
		snprintf(err, errlen, "tap %s vanished right after it was opened", name);
		return r;
	}
	return fd;
}

int tap_set_carrier(int fd, bool on)
{
	int v = on;

	if (ioctl(fd, TUNSETCARRIER, &v) < 0)
		return -errno;
	return 0;
}
