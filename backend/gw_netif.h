/* SPDX-License-Identifier: MIT */
/*
 * gw_netif.h - the gateway's lwIP interface
 *
 * lwIP owns the gateway address for TCP: frames the classifier hands over
 * are fed to the netif's input, and every frame lwIP sends leaves through
 * gateway_output() into the switch.
 */
#ifndef VGATE_GW_NETIF_H
#define VGATE_GW_NETIF_H

#include <stddef.h>
#include <stdint.h>

/* Return: 0 or -ENOMEM. */
int gw_netif_init(uint32_t ip, uint32_t netmask, const uint8_t mac[6], uint16_t mtu);
void gw_netif_fini(void);
/* Give lwIP one frame (copied). Return: 0 or -ENOMEM (dropped). */
int gw_netif_input(const uint8_t *frame, size_t len);

/*
 * gw_netif_teach() - tell lwIP that @ip (network order) is at @mac, by
 * feeding it an ARP reply addressed to the gateway. lwIP then answers a
 * guest's first segments without an ARP round trip, and with several
 * SYNs at once none waits on an unresolved entry (lwIP queues one packet
 * per pending entry). Works with every lwIP build: no private API.
 */
void gw_netif_teach(uint32_t ip, const uint8_t mac[6]);

struct pbuf;
/* Copy @frame into a fresh pbuf that the caller may rewrite, then deliver. */
struct pbuf *gw_netif_copy(const uint8_t *frame, size_t len);
/* Hand @p to lwIP (freed here if lwIP refuses it). Return: 0 or -ENOMEM. */
int gw_netif_deliver(struct pbuf *p);

#endif
