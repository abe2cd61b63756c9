// SPDX-License-Identifier: MIT
/*
 * icmp.c - echo replies from the gateway's addresses
 */
#include "icmp.h"

#include "gateway.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <string.h>

int icmp_build_echo_reply(uint8_t *out, size_t cap, const uint8_t dst_mac[6],
			  const uint8_t our_mac[6], const struct ipv4_view *req)
{
	uint8_t *icmp = out + ETH_HLEN_ + IPV4_HLEN_MIN;

	if (req->len < ICMP_HLEN || req->payload[0] != ICMP_ECHO_REQUEST || req->payload[1] != 0)
		return -EBADMSG;
	if (ip_checksum(req->payload, req->len) != 0)
		return -EBADMSG;
	if (ETH_HLEN_ + IPV4_HLEN_MIN + req->len > cap)
		return -ENOSPC;
	memcpy(icmp, req->payload, req->len);
	icmp[0] = ICMP_ECHO_REPLY;
	wr16(icmp + 2, 0);
	wr16(icmp + 2, ip_checksum(icmp, req->len));
	return net_build_ipv4(out, cap, dst_mac, our_mac, IPPROTO_ICMP_, req->dst, req->src, icmp,
			      req->len);
}

int icmp_build_error(uint8_t *out, size_t cap, const uint8_t dst_mac[6], const uint8_t our_mac[6],
		     uint32_t from, const struct ipv4_view *orig, uint8_t type, uint8_t code,
		     uint32_t info)
{
	uint8_t *icmp = out + ETH_HLEN_ + IPV4_HLEN_MIN;
	size_t quote = orig->ihl + MIN(orig->len, (size_t)8);
	size_t len = ICMP_HLEN + quote;

	if (ETH_HLEN_ + IPV4_HLEN_MIN + len > cap)
		return -ENOSPC;
	icmp[0] = type;
	icmp[1] = code;
	wr16(icmp + 2, 0);
	icmp[4] = (uint8_t)(info >> 24);
	icmp[5] = (uint8_t)(info >> 16);
	icmp[6] = (uint8_t)(info >> 8);
	icmp[7] = (uint8_t)info;
	memcpy(icmp + ICMP_HLEN, orig->hdr, quote);
	wr16(icmp + 2, ip_checksum(icmp, len));
	return net_build_ipv4(out, cap, dst_mac, our_mac, IPPROTO_ICMP_, from, orig->src, icmp,
			      len);
}

void icmp_send_error(const uint8_t guest_mac[6], uint32_t from, const struct ipv4_view *orig,
		     uint8_t type, uint8_t code, uint32_t info)
{
	uint8_t frame[ETH_HLEN_ + IPV4_HLEN_MIN + ICMP_HLEN + 60 + 8];
	int n;

	/* Never answer an ICMP error with one (RFC 1122 3.2.2). */
	if (orig->proto == IPPROTO_ICMP_ && orig->len && orig->payload[0] != ICMP_ECHO_REQUEST)
		return;
	n = icmp_build_error(frame, sizeof(frame), guest_mac, vg->cfg.gateway_mac, from, orig, type,
			     code, info);
	if (n > 0)
		gateway_output(frame, (size_t)n);
}

void icmp_quote_keep(struct icmp_quote *q, const struct ipv4_view *ip)
{
	size_t n = ip->ihl + MIN(ip->len, (size_t)8);

	if (n > sizeof(q->buf))
		return;
	memcpy(q->buf, ip->hdr, n);
	q->ihl = ip->ihl;
	q->len = (uint8_t)n;
}

bool icmp_quote_unreach(const struct icmp_quote *q, const uint8_t guest_mac[6], uint32_t from,
			uint8_t code)
{
	struct ipv4_view v;

	if (!q->len)
		return false;
	memset(&v, 0, sizeof(v));
	v.ihl = q->ihl;
	v.proto = q->buf[9];
	v.hdr = q->buf;
	v.payload = q->buf + q->ihl;
	v.len = (size_t)(q->len - q->ihl);
	memcpy(&v.src, q->buf + 12, 4);
	memcpy(&v.dst, q->buf + 16, 4);
	icmp_send_error(guest_mac, from, &v, ICMP_DEST_UNREACH, code, 0);
	return true;
}

void icmp_echo_input(const struct eth_view *e, const struct ipv4_view *ip)
{
	static uint8_t frame[65536];
	int n;

	if (!ipv4_is_whole(ip)) {
		gw_stats.fragments++;
		return;
	}
	n = icmp_build_echo_reply(frame, sizeof(frame), e->src, vg->cfg.gateway_mac, ip);
	if (n < 0) {
		gw_stats.ignored++;
		return;
	}
	gw_stats.icmp_replies++;
	gateway_output(frame, (size_t)n);
}
