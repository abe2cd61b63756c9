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
 *   IPv4 UDP to the gateway on a udp port forward's flow port -> forward.c
 *   IPv4 ICMP to a gateway addr  -> icmp.c (echo replies)
 *   IPv4 TCP to the gateway IP   -> lwIP (DNS over TCP, later the API)
 *   IPv4 UDP to the gateway, other ports -> ICMP port unreachable
 *   IPv4 TCP, other destinations -> tcp_flow.c (DNAT shim, then lwIP)
 *   IPv4 UDP, other destinations -> udp_flow.c (host sockets)
 *   IPv4 ICMP echo, other destinations -> icmp_relay.c (ping sockets)
 *   broadcast/multicast UDP not for DHCP, IPv4 fragments -> dropped, counted
 *   anything else                -> dropped and counted
 *
 * A virtual IP with a NAT entry (the host alias) answers ARP like the
 * gateway, but its TCP, UDP and ICMP go to the real address it maps to.
 *
 * Every guest IPv4 frame also refreshes the neighbour table. The services
 * answer through gateway_output(), which enters the switch as port 0.
 */
#include "gateway.h"

#include "arp.h"
#include "dhcp_server.h"
#include "dns_server.h"
#include "forward.h"
#include "gw_netif.h"
#include "icmp.h"
#include "icmp_relay.h"
#include "tcp_flow.h"
#include "udp_flow.h"
#include "log.h"
#include "net.h"
#include "pcap.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
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

static bool is_broadcast_or_multicast(const struct vgate_config *c, uint32_t dst)
{
	uint32_t h = ntohl(dst);

	return dst == 0xffffffff || (h & 0xf0000000u) == 0xe0000000u ||
	       (dst & ~c->netmask) == ~c->netmask || !dst;
}

static void ipv4_input(const uint8_t *frame, size_t len, const struct eth_view *e)
{
	const struct vgate_config *c = &vg->cfg;
	struct ipv4_view ip;
	struct udp_view u;
	bool local;

	if (ipv4_parse(e->payload, e->len, true, &ip) < 0) {
		gw_stats.malformed++;
		return;
	}
	if (ip.src && !(e->src[0] & 1))
		arp_learn(ip.src, e->src);
	/* The gateway's own addresses, except virtual IPs mapped elsewhere. */
	local = config_is_gateway_addr(c, ip.dst) && !egress_is_nat(&c->egress, ip.dst);
	if (!ipv4_is_whole(&ip)) {
		gw_stats.fragments++;
		return;
	}

	switch (ip.proto) {
	case IPPROTO_UDP_:
		if (udp_parse(ip.payload, ip.len, &u) < 0) {
			gw_stats.malformed++;
			return;
		}
		/* A guest's reply on a udp port forward (forward.c). */
		if (ip.dst == c->gateway_ip && forward_udp_input(e, &ip, &u))
			return;
		if (u.dport == DHCP_SERVER_PORT && (local || ip.dst == 0xffffffff)) {
			gw_stats.dhcp++;
			dhcp_server_input(e, &ip, &u);
		} else if (u.dport == DNS_PORT && ip.dst == c->gateway_ip) {
			gw_stats.dns_udp++;
			dns_server_udp_input(e, &ip, &u);
		} else if (local) {
			gw_stats.ignored++;
			icmp_send_error(e->src, ip.dst, &ip, ICMP_DEST_UNREACH, ICMP_PORT_UNREACH,
					0);
		} else if (is_broadcast_or_multicast(c, ip.dst)) {
			gw_stats.ignored++;
		} else {
			gw_stats.not_for_us++;
			udp_flow_input(e, &ip, &u);
		}
		return;
	case IPPROTO_ICMP_:
		if (local) {
			icmp_echo_input(e, &ip);
		} else if (is_broadcast_or_multicast(c, ip.dst)) {
			gw_stats.ignored++;
		} else {
			gw_stats.not_for_us++;
			icmp_relay_input(e, &ip);
		}
		return;
	case IPPROTO_TCP_:
		if (ip.dst == c->gateway_ip) {
			gw_stats.lwip++;
			if (gw_netif_input(frame, len) < 0)
				gw_stats.ignored++;
		} else if (local) {
			/* A virtual IP without a NAT entry: nothing listens. */
			gw_stats.ignored++;
			tcp_flow_reset(e, &ip);
		} else if (is_broadcast_or_multicast(c, ip.dst)) {
			gw_stats.ignored++;
		} else {
			gw_stats.not_for_us++;
			tcp_flow_input(frame, len, e, &ip);
		}
		return;
	default:
		gw_stats.ignored++;
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

int gateway_init(unsigned flows_max)
{
	const struct vgate_config *c = &vg->cfg;
	int r;

	r = gw_netif_init(c->gateway_ip, c->netmask, c->gateway_mac, c->mtu);
	if (r < 0)
		return r;
	r = dhcp_server_init();
	if (r < 0)
		return r;
	r = dns_server_init();
	if (r < 0)
		return r;
	r = udp_flow_init();
	if (r < 0)
		return r;
	r = icmp_relay_init();
	if (r < 0)
		return r;
	return tcp_flow_init(flows_max);
}

void gateway_fini(void)
{
	tcp_flow_fini();
	icmp_relay_fini();
	udp_flow_fini();
	dns_server_fini();
	dhcp_server_fini();
	gw_netif_fini();
	arp_reset();
}
