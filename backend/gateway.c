// SPDX-License-Identifier: MIT
/*
 * gateway.c - the switch's port 0: classify each frame for one service
 *
 * gateway_input() is the one place that decides what a frame addressed to
 * the gateway is for:
 *
 *   ARP                          -> arp.c (answers for the gateway's addresses;
 *                                   replies also go to lwIP)
 *   IPv4 UDP to port 67          -> dhcp_server.c (broadcast or to the gateway)
 *   IPv4 UDP to gateway:53       -> dns_server.c
 *   IPv4 ICMP to a gateway addr  -> icmp.c (echo replies)
 *   IPv4 TCP to the gateway IP   -> lwIP (DNS over TCP, later the API)
 *   IPv4 to any other address    -> dropped and counted (outbound relays
 *                                   are a later capability)
 *   anything else                -> dropped and counted
 *
 * Every guest IPv4 frame also refreshes the neighbour table. The services
 * answer through gateway_output(), which enters the switch as port 0.
 */
#include "gateway.h"

#include "arp.h"
#include "dhcp_server.h"
#include "dns_server.h"
#include "gw_netif.h"
#include "icmp.h"
#include "log.h"
#include "net.h"
#include "pcap.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <string.h>

#define COMP "gateway"
#define DHCP_SERVER_PORT 67
#define DNS_PORT 53

struct gateway_stats gw_stats;

void gateway_output(const uint8_t *frame, size_t len)
{
	gw_stats.out_frames++;
	gw_stats.out_bytes += len;
	pcap_write(frame, len);
	switch_input(&vg->sw, SWITCH_GATEWAY_PORT, frame, len, now_ms());
}

static void ipv4_input(const uint8_t *frame, size_t len, const struct eth_view *e)
{
	const struct vgate_config *c = &vg->cfg;
	struct ipv4_view ip;
	struct udp_view u;
	bool to_gw;

	if (ipv4_parse(e->payload, e->len, true, &ip) < 0) {
		gw_stats.malformed++;
		return;
	}
	if (ip.src && !(e->src[0] & 1))
		arp_learn(ip.src, e->src);
	to_gw = config_is_gateway_addr(c, ip.dst);

	switch (ip.proto) {
	case IPPROTO_UDP_:
		if (!to_gw && ip.dst != 0xffffffff) {
			gw_stats.not_for_us++;
			return;
		}
		if (!ipv4_is_whole(&ip)) {
			gw_stats.fragments++;
			return;
		}
		if (udp_parse(ip.payload, ip.len, &u) < 0) {
			gw_stats.malformed++;
			return;
		}
		if (u.dport == DHCP_SERVER_PORT) {
			gw_stats.dhcp++;
			dhcp_server_input(e, &ip, &u);
		} else if (u.dport == DNS_PORT && ip.dst == c->gateway_ip) {
			gw_stats.dns_udp++;
			dns_server_udp_input(e, &ip, &u);
		} else {
			gw_stats.ignored++;
		}
		return;
	case IPPROTO_ICMP_:
		if (!to_gw) {
			gw_stats.not_for_us++;
			return;
		}
		icmp_echo_input(e, &ip);
		return;
	case IPPROTO_TCP_:
		if (ip.dst != c->gateway_ip) {
			gw_stats.not_for_us++;
			return;
		}
		gw_stats.lwip++;
		if (gw_netif_input(frame, len) < 0)
			gw_stats.ignored++;
		return;
	default:
		if (to_gw)
			gw_stats.ignored++;
		else
			gw_stats.not_for_us++;
		return;
	}
}

int gateway_input(const uint8_t *frame, size_t len)
{
	struct eth_view e;

	gw_stats.frames++;
	gw_stats.bytes += len;
	if (eth_parse(frame, len, &e) < 0) {
		gw_stats.malformed++;
		return 0;
	}
	switch (e.type) {
	case ETHERTYPE_ARP:
		if (arp_input(e.payload, e.len)) {
			gw_stats.lwip++;
			gw_netif_input(frame, len);
		}
		break;
	case ETHERTYPE_IPV4:
		ipv4_input(frame, len, &e);
		break;
	default:
		gw_stats.ignored++;
		break;
	}
	return 0;
}

int gateway_init(void)
{
	const struct vgate_config *c = &vg->cfg;
	int r;

	r = gw_netif_init(c->gateway_ip, c->netmask, c->gateway_mac, c->mtu);
	if (r < 0)
		return r;
	r = dhcp_server_init();
	if (r < 0)
		return r;
	return dns_server_init();
}

void gateway_fini(void)
{
	dns_server_fini();
	dhcp_server_fini();
	gw_netif_fini();
	arp_reset();
}
