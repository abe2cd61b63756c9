/* SPDX-License-Identifier: MIT */
/*
 * net.h - Ethernet, IPv4, UDP and ICMP on byte buffers
 *
 * Parsers take (buf, len), check every length before reading and fill a
 * small host-side view; builders write into a caller's buffer with an
 * explicit capacity. Addresses stay in network byte order (as in struct
 * in_addr) everywhere; ports and lengths are converted where they are read.
 */
#ifndef VGATE_NET_H
#define VGATE_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HLEN_ 14
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP 0x0806
#define ETHERTYPE_IPV6 0x86dd
#define IPV4_HLEN_MIN 20
#define UDP_HLEN 8
#define ICMP_HLEN 8
#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17

struct eth_view {
	const uint8_t *dst, *src;
	uint16_t type;
	const uint8_t *payload;
	size_t len; /* payload length */
};

struct ipv4_view {
	uint8_t ihl; /* header bytes */
	uint8_t tos, ttl, proto;
	uint16_t tot_len, id, frag; /* host order; frag = flags + offset */
	uint32_t src, dst;	    /* network order */
	const uint8_t *hdr;
	const uint8_t *payload;
	size_t len; /* payload length per tot_len */
};

struct udp_view {
	uint16_t sport, dport; /* host order */
	const uint8_t *payload;
	size_t len;
};

/* Return: 0 or -EBADMSG. */
int eth_parse(const uint8_t *buf, size_t len, struct eth_view *e);
/*
 * ipv4_parse() - validate version, IHL, total length (trailing padding
 * allowed and ignored), and the header checksum when @check_csum
 * Return: 0 or -EBADMSG.
 */
int ipv4_parse(const uint8_t *buf, size_t len, bool check_csum, struct ipv4_view *ip);
/* UDP header and length (checksum is not verified). Return: 0 or -EBADMSG. */
int udp_parse(const uint8_t *buf, size_t len, struct udp_view *u);

/* True for a first-or-only fragment (offset 0) with MF clear. */
static inline bool ipv4_is_whole(const struct ipv4_view *ip)
{
	return (ip->frag & 0x3fff) == 0;
}

/* Internet checksum (RFC 1071) of @len bytes, folded, not complemented. */
uint32_t csum_partial(const void *buf, size_t len, uint32_t sum);
uint16_t csum_fold(uint32_t sum);
/* One's-complement checksum ready for a header field. */
uint16_t ip_checksum(const void *buf, size_t len);

/*
 * net_build_udp4() - write an Ethernet + IPv4 + UDP frame carrying @payload
 * Return: frame length, or -ENOSPC / -EMSGSIZE (over 65535).
 */
int net_build_udp4(uint8_t *out, size_t cap, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		   uint32_t src_ip, uint16_t sport, uint32_t dst_ip, uint16_t dport,
		   const uint8_t *payload, size_t plen);

/*
 * net_build_ipv4() - write Ethernet + IPv4 header (no options, DF clear,
 * TTL 64) for @proto, followed by @payload (already complete, checksummed
 * by the caller where the protocol needs it)
 * Return: frame length or -ENOSPC.
 */
int net_build_ipv4(uint8_t *out, size_t cap, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		   uint8_t proto, uint32_t src_ip, uint32_t dst_ip, const uint8_t *payload,
		   size_t plen);

/*
 * csum_replace16() / csum_replace32() - update the checksum stored (big
 * endian) at @sum after a 16-bit word / 4 bytes it covers changed from
 * @old to @new (RFC 1624: HC' = ~(~HC + ~m + m')). 32-bit values are the
 * raw bytes as stored in the packet (network order).
 */
void csum_replace16(uint8_t *sum, uint16_t old, uint16_t new_);
void csum_replace32(uint8_t *sum, uint32_t old, uint32_t new_);

#define TCP_HLEN_MIN 20
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10

struct tcp_view {
	uint16_t sport, dport; /* host order */
	uint32_t seq, ack;     /* host order */
	uint8_t flags;
	uint8_t doff; /* header bytes */
	size_t payload_len;
};

/* Parse a TCP header (checksum not verified). Return: 0 or -EBADMSG. */
int tcp_parse(const uint8_t *buf, size_t len, struct tcp_view *t);

/*
 * net_build_tcp4() - a TCP segment without payload or options (for RSTs)
 * Return: frame length or -ENOSPC.
 */
int net_build_tcp4(uint8_t *out, size_t cap, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		   uint32_t src_ip, uint16_t sport, uint32_t dst_ip, uint16_t dport, uint32_t seq,
		   uint32_t ack, uint8_t flags, uint16_t window);

static inline uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t rd32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

#endif
