// SPDX-License-Identifier: MIT
/*
 * net.c - header parsing, checksums and frame building for the gateway
 *
 * The gateway answers ARP, ICMP, DHCP and DNS from raw frames, without
 * lwIP: these are the few lines of IPv4 it needs. Checksums follow RFC
 * 1071; the UDP checksum covers the pseudo header, and a computed 0 is sent
 * as 0xffff (RFC 768).
 */
#include "net.h"

#include <errno.h>
#include <string.h>

static uint32_t ip_id_counter;

int eth_parse(const uint8_t *buf, size_t len, struct eth_view *e)
{
	if (len < ETH_HLEN_)
		return -EBADMSG;
	e->dst = buf;
	e->src = buf + 6;
	e->type = rd16(buf + 12);
	e->payload = buf + ETH_HLEN_;
	e->len = len - ETH_HLEN_;
	return 0;
}

uint32_t csum_partial(const void *buf, size_t len, uint32_t sum)
{
	const uint8_t *p = buf;

	while (len > 1) {
		sum += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

uint16_t ip_checksum(const void *buf, size_t len)
{
	return (uint16_t)~csum_fold(csum_partial(buf, len, 0));
}

int ipv4_parse(const uint8_t *buf, size_t len, bool check_csum, struct ipv4_view *ip)
{
	if (len < IPV4_HLEN_MIN || buf[0] >> 4 != 4)
		return -EBADMSG;
	ip->ihl = (uint8_t)((buf[0] & 0x0f) * 4);
	ip->tot_len = rd16(buf + 2);
	if (ip->ihl < IPV4_HLEN_MIN || ip->tot_len < ip->ihl || ip->tot_len > len)
		return -EBADMSG;
	if (check_csum && ip_checksum(buf, ip->ihl) != 0)
		return -EBADMSG;
	ip->tos = buf[1];
	ip->id = rd16(buf + 4);
	ip->frag = rd16(buf + 6);
	ip->ttl = buf[8];
	ip->proto = buf[9];
	memcpy(&ip->src, buf + 12, 4);
	memcpy(&ip->dst, buf + 16, 4);
	ip->hdr = buf;
	ip->payload = buf + ip->ihl;
	ip->len = ip->tot_len - ip->ihl;
	return 0;
}

int udp_parse(const uint8_t *buf, size_t len, struct udp_view *u)
{
	uint16_t ulen;

	if (len < UDP_HLEN)
		return -EBADMSG;
	ulen = rd16(buf + 4);
	if (ulen < UDP_HLEN || ulen > len)
		return -EBADMSG;
	u->sport = rd16(buf);
	u->dport = rd16(buf + 2);
	u->payload = buf + UDP_HLEN;
	u->len = ulen - UDP_HLEN;
	return 0;
}

static size_t put_eth(uint8_t *out, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(out, dst, 6);
	memcpy(out + 6, src, 6);
	wr16(out + 12, type);
	return ETH_HLEN_;
}

static void put_ipv4(uint8_t *h, uint8_t proto, uint32_t src, uint32_t dst, size_t plen)
{
	h[0] = 0x45;
	h[1] = 0;
	wr16(h + 2, (uint16_t)(IPV4_HLEN_MIN + plen));
	wr16(h + 4, (uint16_t)ip_id_counter++);
	wr16(h + 6, 0);
	h[8] = 64;
	h[9] = proto;
	wr16(h + 10, 0);
	memcpy(h + 12, &src, 4);
	memcpy(h + 16, &dst, 4);
	wr16(h + 10, ip_checksum(h, IPV4_HLEN_MIN));
}

int net_build_ipv4(uint8_t *out, size_t cap, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		   uint8_t proto, uint32_t src_ip, uint32_t dst_ip, const uint8_t *payload,
		   size_t plen)
{
	size_t total = ETH_HLEN_ + IPV4_HLEN_MIN + plen;

	if (IPV4_HLEN_MIN + plen > 65535)
		return -EMSGSIZE;
	if (total > cap)
		return -ENOSPC;
	put_eth(out, dst_mac, src_mac, ETHERTYPE_IPV4);
	put_ipv4(out + ETH_HLEN_, proto, src_ip, dst_ip, plen);
	if (plen)
		memmove(out + ETH_HLEN_ + IPV4_HLEN_MIN, payload, plen);
	return (int)total;
}

void csum_replace16(uint8_t *sum, uint16_t old, uint16_t new_)
{
	uint32_t s = (uint16_t)~rd16(sum);

	s += (uint16_t)~old;
	s += new_;
	wr16(sum, (uint16_t)~csum_fold(s));
}

void csum_replace32(uint8_t *sum, uint32_t old, uint32_t new_)
{
	const uint8_t *o = (const uint8_t *)&old, *n = (const uint8_t *)&new_;

	csum_replace16(sum, rd16(o), rd16(n));
	csum_replace16(sum, rd16(o + 2), rd16(n + 2));
}

int tcp_parse(const uint8_t *buf, size_t len, struct tcp_view *t)
{
	if (len < TCP_HLEN_MIN)
		return -EBADMSG;
	t->doff = (uint8_t)((buf[12] >> 4) * 4);
	if (t->doff < TCP_HLEN_MIN || t->doff > len)
		return -EBADMSG;
	t->sport = rd16(buf);
	t->dport = rd16(buf + 2);
	t->seq = rd32be(buf + 4);
	t->ack = rd32be(buf + 8);
	t->flags = buf[13];
	t->payload_len = len - t->doff;
	return 0;
}

static uint32_t pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	uint8_t pseudo[12];

	memcpy(pseudo, &src, 4);
	memcpy(pseudo + 4, &dst, 4);
	pseudo[8] = 0;
	pseudo[9] = proto;
	wr16(pseudo + 10, (uint16_t)len);
	return csum_partial(pseudo, sizeof(pseudo), 0);
}

int net_build_tcp4(uint8_t *out, size_t cap, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		   uint32_t src_ip, uint16_t sport, uint32_t dst_ip, uint16_t dport, uint32_t seq,
		   uint32_t ack, uint8_t flags, uint16_t window)
{
	uint8_t seg[TCP_HLEN_MIN];

	wr16(seg, sport);
	wr16(seg + 2, dport);
	wr16(seg + 4, (uint16_t)(seq >> 16));
	wr16(seg + 6, (uint16_t)seq);
	wr16(seg + 8, (uint16_t)(ack >> 16));
	wr16(seg + 10, (uint16_t)ack);
	seg[12] = (TCP_HLEN_MIN / 4) << 4;
	seg[13] = flags;
	wr16(seg + 14, window);
	wr16(seg + 16, 0);
	wr16(seg + 18, 0);
	wr16(seg + 16,
	     (uint16_t)~csum_fold(csum_partial(
		     seg, sizeof(seg), pseudo_sum(src_ip, dst_ip, IPPROTO_TCP_, sizeof(seg)))));
	return net_build_ipv4(out, cap, dst_mac, src_mac, IPPROTO_TCP_, src_ip, dst_ip, seg,
			      sizeof(seg));
}

int net_build_udp4(uint8_t *out, size_t cap, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		   uint32_t src_ip, uint16_t sport, uint32_t dst_ip, uint16_t dport,
		   const uint8_t *payload, size_t plen)
{
	size_t ulen = UDP_HLEN + plen;
	size_t total = ETH_HLEN_ + IPV4_HLEN_MIN + ulen;
	uint8_t *u = out + ETH_HLEN_ + IPV4_HLEN_MIN;
	uint32_t sum;
	uint16_t csum;

	if (IPV4_HLEN_MIN + ulen > 65535)
		return -EMSGSIZE;
	if (total > cap)
		return -ENOSPC;
	if (plen)
		memmove(u + UDP_HLEN, payload, plen);
	put_eth(out, dst_mac, src_mac, ETHERTYPE_IPV4);
	put_ipv4(out + ETH_HLEN_, IPPROTO_UDP_, src_ip, dst_ip, ulen);
	wr16(u, sport);
	wr16(u + 2, dport);
	wr16(u + 4, (uint16_t)ulen);
	wr16(u + 6, 0);
	sum = pseudo_sum(src_ip, dst_ip, IPPROTO_UDP_, ulen);
	sum = csum_partial(u, ulen, sum);
	csum = (uint16_t)~csum_fold(sum);
	wr16(u + 6, csum ? csum : 0xffff);
	return (int)total;
}
