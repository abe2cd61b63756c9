// SPDX-License-Identifier: MIT
/*
 * dhcpc_wire.c - DHCP client messages and their frames, on byte buffers
 *
 * Replies: the fixed BOOTP header is checked (op 2, Ethernet, 6-byte
 * addresses, magic cookie), then options are walked in the options area and,
 * when option 52 says so, in the file and sname fields. A repeated option 119
 * is concatenated (RFC 3396) into a bounded buffer before it is decoded;
 * other repeated options keep their last value. Requests: header, options
 * 53, 50, 54, 12, 55, end, zero-padded to the classic 300-byte minimum.
 */
#include "dhcpc_wire.h"

#include "dhcp_opts.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define OFF_OP 0
#define OFF_HTYPE 1
#define OFF_HLEN 2
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_CHADDR 28
#define OFF_MAGIC 236
#define BOOTP_MIN_LEN 300

#define OPT_MASK 1
#define OPT_ROUTER 3
#define OPT_DNS 6
#define OPT_HOSTNAME 12
#define OPT_DOMAIN 15
#define OPT_MTU 26
#define OPT_REQUESTED 50
#define OPT_LEASE 51
#define OPT_TYPE 53
#define OPT_SERVER 54
#define OPT_PARAMS 55
#define OPT_T1 58
#define OPT_T2 59
#define OPT_SEARCH 119
#define OPT_END 255

/* Room for a long search list spread over several option 119 instances. */
#define SEARCH_RAW_MAX 1024
/* Compression pointers followed per name before a list is called a loop. */
#define SEARCH_HOPS_MAX 16

static const uint8_t magic[4] = { 99, 130, 83, 99 };

/* get32() - a big-endian uint32 at @p */
static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* put16() - @v big-endian at @p */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* put32() - @v big-endian at @p */
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

bool dhcpc_name_safe(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

int dhcpc_mask_prefix(struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr);
	int n = 0;

	while (n < 32 && (m & (1u << (31 - n))))
		n++;
	if (n < 32 && (m << n))
		return -1;
	return n;
}

int dhcpc_decode_search(const uint8_t *d, size_t len, char *out, size_t cap)
{
	size_t o = 0, pos = 0;

	if (!cap)
		return -ENOSPC;
	out[0] = '\0';
	while (pos < len) {
		size_t p = pos, name_start = o;
		unsigned hops = 0;
		bool jumped = false;

		for (;;) {
			uint8_t l;

			if (p >= len)
				return -EINVAL;
			l = d[p];
			if (l == 0) {
				if (!jumped)
					pos = p + 1;
				break;
			}
			if ((l & 0xc0) == 0xc0) {
				size_t ptr;

				if (p + 1 >= len)
					return -EINVAL;
				ptr = (size_t)(l & 0x3f) << 8 | d[p + 1];
				/* Only backwards, and only so often: no loops. */
				if (ptr >= p || ++hops > SEARCH_HOPS_MAX)
					return -EINVAL;
				if (!jumped)
					pos = p + 2;
				jumped = true;
				p = ptr;
				continue;
			}
			if (l & 0xc0)
				return -EINVAL;
			if (p + 1 + l > len || !dhcpc_name_safe((const char *)d + p + 1, l))
				return -EINVAL;
			/* label, then '.' or ' ' or NUL: room for l + 2 */
			if (o + l + 2 > cap)
				return -ENOSPC;
			if (o > name_start)
				out[o++] = '.';
			memcpy(out + o, d + p + 1, l);
			o += l;
			p += 1 + (size_t)l;
		}
		if (o == name_start)
			continue; /* the root name: nothing to search */
		if (o + 2 > cap)
			return -ENOSPC;
		out[o++] = ' ';
		out[o] = '\0';
	}
	if (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
	return 0;
}

struct parse_state {
	struct dhcpc_reply *r;
	uint8_t search_raw[SEARCH_RAW_MAX];
	size_t search_len;
	bool search_cut;
};

/* copy_name() - a domain option into @dst if safe, else "" */
static void copy_name(char *dst, const uint8_t *v, uint8_t l)
{
	size_t n = l;

	while (n && v[n - 1] == '\0') /* some servers count a trailing NUL */
		n--;
	if (!dhcpc_name_safe((const char *)v, n)) {
		dst[0] = '\0';
		return;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* one_option() - record one option of a reply. Return: 0 or -EINVAL (bad length). */
static int one_option(struct parse_state *st, uint8_t code, const uint8_t *v, uint8_t l)
{
	struct dhcpc_reply *r = st->r;

	switch (code) {
	case OPT_TYPE:
		if (l != 1)
			return -EINVAL;
		r->type = v[0];
		break;
	case OPT_SERVER:
		if (l != 4)
			return -EINVAL;
		memcpy(&r->server_id, v, 4);
		r->have |= DHCPC_HAVE_SERVER;
		break;
	case OPT_MASK:
		if (l != 4)
			return -EINVAL;
		memcpy(&r->mask, v, 4);
		if (dhcpc_mask_prefix(r->mask) >= 0)
			r->have |= DHCPC_HAVE_MASK;
		break;
	case OPT_ROUTER:
		if (l < 4 || l % 4)
			return -EINVAL;
		memcpy(&r->router, v, 4);
		r->have |= DHCPC_HAVE_ROUTER;
		break;
	case OPT_DNS:
		if (l < 4 || l % 4)
			return -EINVAL;
		r->ndns = 0;
		for (unsigned i = 0; i < l / 4u && r->ndns < DHCPC_DNS_MAX; i++)
			memcpy(&r->dns[r->ndns++], v + 4 * i, 4);
		break;
	case OPT_LEASE:
	case OPT_T1:
	case OPT_T2:
		if (l != 4)
			return -EINVAL;
		if (code == OPT_LEASE) {
			r->lease_s = get32(v);
			r->have |= DHCPC_HAVE_LEASE;
		} else if (code == OPT_T1) {
			r->t1_s = get32(v);
			r->have |= DHCPC_HAVE_T1;
		} else {
			r->t2_s = get32(v);
			r->have |= DHCPC_HAVE_T2;
		}
		break;
	case OPT_MTU:
		if (l != 2)
			return -EINVAL;
		r->mtu = (uint16_t)(v[0] << 8 | v[1]);
		if (r->mtu >= 68)
			r->have |= DHCPC_HAVE_MTU;
		break;
	case OPT_DOMAIN:
		copy_name(r->domain, v, l);
		break;
	case OPT_SEARCH:
		if (st->search_len + l > sizeof(st->search_raw)) {
			st->search_cut = true;
			break;
		}
		memcpy(st->search_raw + st->search_len, v, l);
		st->search_len += l;
		break;
	default:
		break;
	}
	return 0;
}

/* take_option() - dhcp_opt_fn over one_option() (lengths fit a byte). */
static int take_option(void *ctx, uint8_t code, const uint8_t *v, size_t l)
{
	return one_option(ctx, code, v, (uint8_t)l);
}

int dhcpc_parse_reply(const uint8_t *buf, size_t len, struct dhcpc_reply *r)
{
	struct parse_state st;
	int ret;

	memset(r, 0, sizeof(*r));
	memset(&st, 0, sizeof(st));
	st.r = r;
	if (!buf || len < DHCPC_BOOTP_LEN)
		return -EINVAL;
	if (buf[OFF_OP] != 2 || buf[OFF_HTYPE] != 1 || buf[OFF_HLEN] != 6)
		return -EINVAL;
	if (memcmp(buf + OFF_MAGIC, magic, sizeof(magic)) != 0)
		return -EINVAL;
	r->xid = get32(buf + OFF_XID);
	memcpy(&r->yiaddr, buf + OFF_YIADDR, 4);
	memcpy(r->chaddr, buf + OFF_CHADDR, 6);
	/* The walker (common/dhcp_opts.c, shared with vgate's server) follows
	 * option overload into the file and sname fields. */
	ret = dhcp_opts_walk(buf, len, take_option, &st);
	if (ret < 0)
		return -EINVAL;
	if (!r->type)
		return -EINVAL;
	/* A list that did not fit or does not decode is left out, not fatal. */
	if (st.search_len && !st.search_cut &&
	    dhcpc_decode_search(st.search_raw, st.search_len, r->search, sizeof(r->search)) < 0)
		r->search[0] = '\0';
	return 0;
}

/* put_opt() - append an option if it fits. Return: 0 or -ENOSPC. */
static int put_opt(uint8_t *buf, size_t cap, size_t *o, uint8_t code, const void *v, size_t l)
{
	if (l > 255 || *o + 2 + l > cap)
		return -ENOSPC;
	buf[(*o)++] = code;
	buf[(*o)++] = (uint8_t)l;
	memcpy(buf + *o, v, l);
	*o += l;
	return 0;
}

int dhcpc_build(const struct dhcpc_request *q, uint8_t *buf, size_t cap)
{
	static const uint8_t params[] = { OPT_MASK,  OPT_ROUTER, OPT_DNS, OPT_DOMAIN, OPT_MTU,
					  OPT_LEASE, OPT_SERVER, OPT_T1,  OPT_T2,     OPT_SEARCH };
	size_t o = DHCPC_BOOTP_LEN;
	int r;

	if (cap < DHCPC_BOOTP_LEN)
		return -ENOSPC;
	memset(buf, 0, DHCPC_BOOTP_LEN);
	buf[OFF_OP] = 1;
	buf[OFF_HTYPE] = 1;
	buf[OFF_HLEN] = 6;
	put32(buf + OFF_XID, q->xid);
	put16(buf + OFF_SECS, q->secs);
	memcpy(buf + OFF_CIADDR, &q->ciaddr, 4);
	memcpy(buf + OFF_CHADDR, q->chaddr, 6);
	memcpy(buf + OFF_MAGIC, magic, sizeof(magic));
	r = put_opt(buf, cap, &o, OPT_TYPE, &q->type, 1);
	if (!r && q->requested.s_addr)
		r = put_opt(buf, cap, &o, OPT_REQUESTED, &q->requested, 4);
	if (!r && q->server_id.s_addr)
		r = put_opt(buf, cap, &o, OPT_SERVER, &q->server_id, 4);
	if (!r && q->hostname[0])
		r = put_opt(buf, cap, &o, OPT_HOSTNAME, q->hostname,
			    strnlen(q->hostname, sizeof(q->hostname)));
	if (!r && q->type != DHCPC_RELEASE)
		r = put_opt(buf, cap, &o, OPT_PARAMS, params, sizeof(params));
	if (r < 0)
		return r;
	if (o + 1 > cap)
		return -ENOSPC;
	buf[o++] = OPT_END;
	if (o < BOOTP_MIN_LEN && cap >= BOOTP_MIN_LEN) {
		memset(buf + o, 0, BOOTP_MIN_LEN - o);
		o = BOOTP_MIN_LEN;
	}
	return (int)o;
}

/* RFC 1071 sum over @len bytes, folded later. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* fold() - fold a 32-bit sum and complement it: the Internet checksum */
static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* UDP checksum with the IPv4 pseudo header; @udp covers header + payload. */
static uint16_t udp_csum(const uint8_t *src, const uint8_t *dst, const uint8_t *udp, size_t len)
{
	uint32_t sum = sum16(src, 4, 0);

	sum = sum16(dst, 4, sum);
	sum += IPPROTO_UDP;
	sum += (uint32_t)len;
	return fold(sum16(udp, len, sum));
}

int dhcpc_frame_unwrap(const uint8_t *frame, size_t len, const uint8_t **payload, size_t *plen,
		       uint8_t src_mac[6])
{
	const uint8_t *ip, *udp;
	size_t ihl, tot, ulen;

	if (len < DHCPC_FRAME_OVERHEAD || frame[12] != 0x08 || frame[13] != 0x00)
		return -ENOENT;
	ip = frame + 14;
	if ((ip[0] >> 4) != 4 || ip[9] != IPPROTO_UDP)
		return -ENOENT;
	ihl = (size_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20 || 14 + ihl + 8 > len)
		return -ENOENT;
	udp = ip + ihl;
	if (udp[0] != 0 || udp[1] != DHCPC_SERVER_PORT || udp[2] != 0 ||
	    udp[3] != DHCPC_CLIENT_PORT)
		return -ENOENT;
	/* From here on it claims to be a DHCP reply: lengths must hold. */
	if ((ip[6] & 0x3f) || ip[7]) /* MF set or a fragment offset */
		return -EINVAL;
	tot = (size_t)(ip[2] << 8 | ip[3]);
	if (tot < ihl + 8 || 14 + tot > len)
		return -EINVAL;
	if (fold(sum16(ip, ihl, 0)) != 0)
		return -EINVAL;
	ulen = (size_t)(udp[4] << 8 | udp[5]);
	if (ulen < 8 || ulen > tot - ihl)
		return -EINVAL;
	if ((udp[6] || udp[7]) && udp_csum(ip + 12, ip + 16, udp, ulen) != 0)
		return -EINVAL;
	*payload = udp + 8;
	*plen = ulen - 8;
	memcpy(src_mac, frame + 6, 6);
	return 0;
}

int dhcpc_frame_wrap(uint8_t *buf, size_t cap, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		     struct in_addr src, struct in_addr dst, const uint8_t *msg, size_t len)
{
	uint8_t *ip = buf + 14, *udp = buf + 34;
	size_t tot = 20 + 8 + len;
	uint16_t c;

	if (len > DHCPC_MSG_MAX || cap < 14 + tot)
		return -ENOSPC;
	memcpy(buf, dst_mac, 6);
	memcpy(buf + 6, src_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[1] = 0x10; /* low delay, as DHCP clients commonly mark it */
	put16(ip + 2, (uint16_t)tot);
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	put16(ip + 10, fold(sum16(ip, 20, 0)));
	put16(udp, DHCPC_CLIENT_PORT);
	put16(udp + 2, DHCPC_SERVER_PORT);
	put16(udp + 4, (uint16_t)(8 + len));
	put16(udp + 6, 0);
	memcpy(udp + 8, msg, len);
	c = udp_csum(ip + 12, ip + 16, udp, 8 + len);
	put16(udp + 6, c ? c : 0xffff);
	return (int)(14 + tot);
}
