/* SPDX-License-Identifier: MIT */
/*
 * guest.h - vgate-guest's two programs: the forwarder and the agent alone
 */
#ifndef VGATE_GUEST_H
#define VGATE_GUEST_H

#include "gopts.h"

/*
 * guest_forward() - run the forwarder until SIGTERM/SIGINT
 * Return: the exit status (0 after a signal; 1 when the tap cannot be set
 * up or fails; 2 for a -url that cannot be used).
 */
int guest_forward(const struct gopts *o);

/*
 * guest_forward_ports() - run only the auto-forward agent until SIGTERM/SIGINT
 * Return: the exit status.
 */
int guest_forward_ports(const struct gopts *o);

#endif
