// SPDX-License-Identifier: MIT
/*
 * gw_netif.c - the gateway's lwIP interface
 *
 * One netif with the gateway's address, MAC and MTU. Input frames are
 * copied into one pbuf (lwIP keeps it past the call); output pbuf chains
 * are flattened into a frame buffer and handed to the switch, which copies
 * them into each destination's queue. lwIP's pbufs are never modified.
 */
#include "gw_netif.h"

#include "gateway.h"
#include "log.h"
#include "tcp_flow.h"

#include <errno.h>
#include <string.h>

#include "lwip_inc.h"

#define COMP "gw-netif"

static struct netif gw_if;
static uint8_t gw_mac[6];
static uint16_t gw_mtu;
static uint8_t out_frame[65536];

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
	(void)n;
	/* tot_len is 16 bits: out_frame always holds it. */
	if (pbuf_copy_partial(p, out_frame, p->tot_len, 0) != p->tot_len)
		return ERR_BUF;
	tcp_flow_output(out_frame, p->tot_len);
	gateway_output(out_frame, p->tot_len);
	return ERR_OK;
}

static err_t netif_setup(struct netif *n)
{
	n->name[0] = 'v';
	n->name[1] = 'g';
	n->output = etharp_output;
#if LWIP_IPV6
	n->output_ip6 = ethip6_output;
#endif
	n->linkoutput = linkoutput;
	n->mtu = gw_mtu;
	n->hwaddr_len = 6;
	memcpy(n->hwaddr, gw_mac, 6);
	n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
	return ERR_OK;
}

int gw_netif_init(uint32_t ip, uint32_t netmask, const uint8_t mac[6], uint16_t mtu)
{
	ip4_addr_t a, m, g;

	memcpy(gw_mac, mac, 6);
	gw_mtu = mtu;
	a.addr = ip;
	m.addr = netmask;
	g.addr = 0;
	if (!netif_add(&gw_if, &a, &m, &g, NULL, netif_setup, ethernet_input)) {
		log_err(COMP, "netif_add failed");
		return -ENOMEM;
	}
	netif_set_default(&gw_if);
	netif_set_up(&gw_if);
	netif_set_link_up(&gw_if);
	return 0;
}

void gw_netif_fini(void)
{
	netif_remove(&gw_if);
}

struct pbuf *gw_netif_copy(const uint8_t *frame, size_t len)
{
	struct pbuf *p;

	if (len > 0xffff)
		return NULL;
	p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
	if (p)
		memcpy(p->payload, frame, len);
	return p;
}

int gw_netif_deliver(struct pbuf *p)
{
	if (gw_if.input(p, &gw_if) != ERR_OK) {
		pbuf_free(p);
		return -ENOMEM;
	}
	return 0;
}

void gw_netif_teach(uint32_t ip, const uint8_t mac[6])
{
	uint8_t f[42];

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	f[14] = 0; /* htype 1 */
	f[15] = 1;
	f[16] = 0x08; /* ptype IPv4 */
	f[17] = 0;
	f[18] = 6;
	f[19] = 4;
	f[20] = 0; /* op 2: reply */
	f[21] = 2;
	memcpy(f + 22, mac, 6);
	memcpy(f + 28, &ip, 4);
	memcpy(f + 32, gw_mac, 6);
	memcpy(f + 38, &ip_2_ip4(&gw_if.ip_addr)->addr, 4);
	gw_netif_input(f, sizeof(f));
}

int gw_netif_input(const uint8_t *frame, size_t len)
{
	struct pbuf *p = gw_netif_copy(frame, len);

	return p ? gw_netif_deliver(p) : -ENOMEM;
}
