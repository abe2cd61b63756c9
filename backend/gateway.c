// SPDX-License-Identifier: MIT
/*
 * gateway.c - the switch's port 0
 *
 * Frames addressed to the gateway MAC, and every broadcast, arrive here. The
 * services behind the gateway (ARP, DHCP, DNS, ICMP, TCP/UDP relays) are not
 * part of this build yet: the gateway counts what reaches it and drops it,
 * so a guest sees a silent router rather than a fake one.
 */
#include "gateway.h"

#include "vgate.h"

int gateway_input(const uint8_t *frame, size_t len)
{
	(void)frame;
	vg->drops.gateway_frames++;
	vg->drops.gateway_bytes += len;
	return 0;
}
