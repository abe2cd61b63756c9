// SPDX-License-Identifier: MIT
/*
 * arp.c - answer ARP for the gateway's addresses; learn guests
 */
#include "arp.h"

#include "egress.h"
#include "gateway.h"
#include "net.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <string.h>

struct neigh {
	uint32_t ip;
	uint8_t mac[6];
	uint64_t seen;
};

static struct neigh neigh[ARP_NEIGH_MAX];
static unsigned nneigh;

int arp_parse(const uint8_t *buf, size_t len, struct arp_packet *a)
{
	if (len < ARP_PKT_LEN || rd16(buf) != 1 || rd16(buf + 2) != ETHERTYPE_IPV4 || buf[4] != 6 ||
	    buf[5] != 4)
		return -EBADMSG;
	a->op = rd16(buf + 6);
	memcpy(a->sha, buf + 8, 6);
	memcpy(&a->spa, buf + 14, 4);
	memcpy(a->tha, buf + 18, 6);
	memcpy(&a->tpa, buf + 24, 4);
	return 0;
}

int arp_build_reply(uint8_t *out, size_t cap, const uint8_t our_mac[6], uint32_t our_ip,
		    const struct arp_packet *req)
{
	uint8_t *a = out + ETH_HLEN_;

	if (cap < ETH_HLEN_ + ARP_PKT_LEN)
		return -ENOSPC;
	memcpy(out, req->sha, 6);
	memcpy(out + 6, our_mac, 6);
	wr16(out + 12, ETHERTYPE_ARP);
	wr16(a, 1);
	wr16(a + 2, ETHERTYPE_IPV4);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, 2);
	memcpy(a + 8, our_mac, 6);
	memcpy(a + 14, &our_ip, 4);
	memcpy(a + 18, req->sha, 6);
	memcpy(a + 24, &req->spa, 4);
	return ETH_HLEN_ + ARP_PKT_LEN;
}

void arp_learn(uint32_t ip, const uint8_t mac[6])
{
	unsigned oldest = 0;
	uint64_t now = now_ms();

	if (!ip || mac[0] & 1)
		return;
	for (unsigned i = 0; i < nneigh; i++) {
		if (neigh[i].ip == ip) {
			memcpy(neigh[i].mac, mac, 6);
			neigh[i].seen = now;
			return;
		}
		if (neigh[i].seen < neigh[oldest].seen)
			oldest = i;
	}
	if (nneigh < ARP_NEIGH_MAX)
		oldest = nneigh++;
	neigh[oldest].ip = ip;
	memcpy(neigh[oldest].mac, mac, 6);
	neigh[oldest].seen = now;
}

int arp_lookup(uint32_t ip, uint8_t mac[6])
{
	for (unsigned i = 0; i < nneigh; i++) {
		if (neigh[i].ip == ip) {
			memcpy(mac, neigh[i].mac, 6);
			return 0;
		}
	}
	return -ENOENT;
}

void arp_reset(void)
{
	nneigh = 0;
}

int arp_input(const uint8_t *payload, size_t len)
{
	struct arp_packet a;
	uint8_t reply[ETH_HLEN_ + ARP_PKT_LEN];
	int n;

	if (arp_parse(payload, len, &a) < 0) {
		gw_stats.malformed++;
		return 0;
	}
	arp_learn(a.spa, a.sha);
	if (a.op == 2)
		return 1;
	if (a.op != 1 ||
	    (!config_is_gateway_addr(&vg->cfg, a.tpa) && !egress_is_nat(&vg->cfg.egress, a.tpa)))
		return 0;
	n = arp_build_reply(reply, sizeof(reply), vg->cfg.gateway_mac, a.tpa, &a);
	if (n > 0) {
		gw_stats.arp_replies++;
		gateway_output(reply, (size_t)n);
	}
	return 0;
}
