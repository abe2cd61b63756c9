/* SPDX-License-Identifier: MIT */
/*
 * tap.h - the guest's tap device
 *
 * vgate-guest creates the tap (IFF_TAP | IFF_NO_PI: plain Ethernet frames,
 * one per read or write) or attaches to one that exists. The ways that can
 * fail each get a message that names the cause: the name belongs to a device
 * that is not a tap, another process holds the tap, the tap belongs to
 * another user, -preexisting was given but there is no such device.
 */
#ifndef VGATE_TAP_H
#define VGATE_TAP_H

#include <stdbool.h>
#include <stddef.h>

/*
 * tap_open() - create or attach the tap @name, non-blocking
 * @must_exist: fail with -ENODEV when there is no such device (-preexisting)
 * @ifindex: set to its interface index
 * @err: a sentence for the user when it fails
 * Return: the fd, or -errno: -ENODEV, -EBUSY (attached elsewhere), -EPERM
 * (another owner), -EINVAL (not a tap, or a bad name), -ENOENT (no
 * /dev/net/tun).
 */
int tap_open(const char *name, bool must_exist, int *ifindex, char *err, size_t errlen);

/*
 * tap_set_carrier() - tell the guest's kernel whether the tap has a link
 * (TUNSETCARRIER, Linux 5.0+). Harmless where unsupported.
 * Return: 0 or -errno.
 */
int tap_set_carrier(int fd, bool on);

/* tap_name_valid() - fits IFNAMSIZ, no '/', ':' or whitespace, not "." or ".." */
bool tap_name_valid(const char *name);

#endif
