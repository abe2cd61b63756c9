// SPDX-License-Identifier: MIT
/*
 * rtnl.c - build rtnetlink requests, send them, read the answers
 *
 * Attributes are appended with put_attr(), which checks the room left in the
 * request first; parsing walks messages with the NLMSG_* macros after checking
 * each header's length against what is left of the buffer.
 */
#include "rtnl.h"

#include "util.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* One recv() of a dump answer; the kernel fills up to a page or two. */
#define RTNL_RECV_BUF 32768

/* hdr() - the request's netlink header */
static struct nlmsghdr *hdr(struct rtnl_req *m)
{
	return (struct nlmsghdr *)m->buf;
}

/* start() - begin a request of @type with a zeroed body of @body bytes. Return: the body. */
static void *start(struct rtnl_req *m, uint16_t type, uint16_t flags, size_t body)
{
	struct nlmsghdr *h = hdr(m);

	memset(m->buf, 0, sizeof(m->buf));
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_len = NLMSG_LENGTH(body);
	m->len = NLMSG_ALIGN(h->nlmsg_len);
	return NLMSG_DATA(h);
}

/* put_attr() - append an attribute if it fits. Return: 0 or -ENOSPC. */
static int put_attr(struct rtnl_req *m, uint16_t type, const void *data, size_t len)
{
	struct rtattr rta = { .rta_len = (unsigned short)RTA_LENGTH(len), .rta_type = type };
	size_t need = RTA_SPACE(len);

	if (m->len + need > sizeof(m->buf))
		return -ENOSPC;
	memcpy(m->buf + m->len, &rta, sizeof(rta));
	if (len)
		memcpy(m->buf + m->len + RTA_LENGTH(0), data, len);
	m->len += need;
	hdr(m)->nlmsg_len = (uint32_t)m->len;
	return 0;
}

int rtnl_link_req(struct rtnl_req *m, int ifindex, const uint8_t *mac, unsigned mtu,
		  enum rtnl_updown updown)
{
	struct ifinfomsg *ifi = start(m, RTM_NEWLINK, NLM_F_ACK, sizeof(*ifi));
	uint32_t mtu32 = mtu;
	int r = 0;

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (updown != RTNL_KEEP) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = updown == RTNL_UP ? IFF_UP : 0;
	}
	if (mac)
		r = put_attr(m, IFLA_ADDRESS, mac, 6);
	if (!r && mtu)
		r = put_attr(m, IFLA_MTU, &mtu32, sizeof(mtu32));
	return r;
}

int rtnl_addr_req(struct rtnl_req *m, bool add, int ifindex, struct in_addr addr, unsigned prefix,
		  uint32_t valid_s)
{
	uint16_t flags = NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	struct ifaddrmsg *ifa = start(m, add ? RTM_NEWADDR : RTM_DELADDR, flags, sizeof(*ifa));
	int r;

	if (prefix > 32)
		return -EINVAL;
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (uint8_t)prefix;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	r = put_attr(m, IFA_LOCAL, &addr, sizeof(addr));
	if (!r)
		r = put_attr(m, IFA_ADDRESS, &addr, sizeof(addr));
	if (!r && add && prefix < 31) {
		uint32_t mask = prefix ? htonl(~0u << (32 - prefix)) : 0;
		struct in_addr brd = { .s_addr = addr.s_addr | ~mask };

		r = put_attr(m, IFA_BROADCAST, &brd, sizeof(brd));
	}
	if (!r && add) {
		struct ifa_cacheinfo ci = { .ifa_prefered = valid_s, .ifa_valid = valid_s };

		r = put_attr(m, IFA_CACHEINFO, &ci, sizeof(ci));
	}
	return r;
}

int rtnl_route_req(struct rtnl_req *m, bool add, int ifindex, struct in_addr gw, uint32_t metric)
{
	uint16_t flags = NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_REPLACE : 0);
	struct rtmsg *rt = start(m, add ? RTM_NEWROUTE : RTM_DELROUTE, flags, sizeof(*rt));
	uint32_t oif = (uint32_t)ifindex;
	int r;

	rt->rtm_family = AF_INET;
	rt->rtm_table = RT_TABLE_MAIN;
	rt->rtm_protocol = add ? RTPROT_DHCP : RTPROT_UNSPEC;
	rt->rtm_scope = add ? RT_SCOPE_UNIVERSE : RT_SCOPE_NOWHERE;
	rt->rtm_type = add ? RTN_UNICAST : RTN_UNSPEC;
	r = put_attr(m, RTA_GATEWAY, &gw, sizeof(gw));
	if (!r)
		r = put_attr(m, RTA_OIF, &oif, sizeof(oif));
	if (!r)
		r = put_attr(m, RTA_PRIORITY, &metric, sizeof(metric));
	return r;
}

int rtnl_addr_dump_req(struct rtnl_req *m)
{
	struct ifaddrmsg *ifa = start(m, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));

	ifa->ifa_family = AF_INET;
	return 0;
}

/* Error code of an NLMSG_ERROR message @h of @len bytes (0 is an ack). */
static int error_of(const struct nlmsghdr *h, size_t len)
{
	struct nlmsgerr e;

	if (len < NLMSG_LENGTH(sizeof(e)))
		return -EPROTO;
	memcpy(&e, NLMSG_DATA(h), sizeof(e));
	if (e.error > 0 || e.error < -4095)
		return -EPROTO;
	return e.error;
}

int rtnl_parse_ack(const uint8_t *buf, size_t len)
{
	struct nlmsghdr h;

	if (len < sizeof(h))
		return -EPROTO;
	memcpy(&h, buf, sizeof(h));
	if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len || h.nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	return error_of((const struct nlmsghdr *)buf, h.nlmsg_len);
}

/* addr_attrs() - the IPv4 address in an RTM_NEWADDR's attributes */
static void addr_attrs(const struct ifaddrmsg *ifa, size_t alen, struct rtnl_addr *a, bool *found)
{
	const struct rtattr *rta = IFA_RTA(ifa);
	unsigned short rlen;

	for (; alen >= sizeof(*rta); alen -= RTA_ALIGN(rlen)) {
		rlen = rta->rta_len;
		if (rlen < sizeof(*rta) || rlen > alen)
			return;
		/* IFA_LOCAL is the address; IFA_ADDRESS only stands in for it. */
		if (RTA_PAYLOAD(rta) == 4 &&
		    (rta->rta_type == IFA_LOCAL || (rta->rta_type == IFA_ADDRESS && !*found))) {
			memcpy(&a->addr, RTA_DATA(rta), 4);
			*found = true;
		}
		if (RTA_ALIGN(rlen) >= alen)
			return;
		rta = (const struct rtattr *)((const uint8_t *)rta + RTA_ALIGN(rlen));
	}
}

int rtnl_parse_addr_dump(const uint8_t *buf, size_t len, int ifindex, struct rtnl_addr *out,
			 size_t *n, size_t max)
{
	size_t off = 0;

	/* The buffer comes from recv() into a 4-byte aligned array. */
	while (len - off >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)(buf + off);
		size_t mlen = h->nlmsg_len;

		if (mlen < sizeof(*h) || mlen > len - off)
			return -EPROTO;
		if (h->nlmsg_type == NLMSG_DONE)
			return 1;
		if (h->nlmsg_type == NLMSG_ERROR) {
			int e = error_of(h, mlen);

			return e ? e : -EPROTO;
		}
		if (h->nlmsg_type == RTM_NEWADDR) {
			const struct ifaddrmsg *ifa = NLMSG_DATA(h);
			struct rtnl_addr a = { 0 };
			bool found = false;

			if (mlen < NLMSG_LENGTH(sizeof(*ifa)))
				return -EPROTO;
			if (ifa->ifa_family == AF_INET && (int)ifa->ifa_index == ifindex) {
				addr_attrs(ifa, mlen - NLMSG_LENGTH(sizeof(*ifa)), &a, &found);
				a.prefix = ifa->ifa_prefixlen;
				if (found && *n < max)
					out[(*n)++] = a;
			}
		}
		if (NLMSG_ALIGN(mlen) >= len - off)
			break;
		off += NLMSG_ALIGN(mlen);
	}
	return 0;
}

/* rtnl_open() - a NETLINK_ROUTE socket with a receive timeout */
static int rtnl_open(void)
{
	struct timeval tv = { .tv_sec = RTNL_TIMEOUT_MS / 1000,
			      .tv_usec = (RTNL_TIMEOUT_MS % 1000) * 1000 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* send_req() - send @m to the kernel with sequence number @seq */
static int send_req(int fd, struct rtnl_req *m, uint32_t seq)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

	hdr(m)->nlmsg_seq = seq;
	if (sendto(fd, m->buf, m->len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/* recv_some() - one read of the kernel's answer (-ETIMEDOUT after RTNL_TIMEOUT_MS) */
static ssize_t recv_some(int fd, uint32_t *buf, size_t cap)
{
	ssize_t n;

	do {
		n = recv(fd, buf, cap, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? -ETIMEDOUT : -errno;
	return n;
}

int rtnl_talk(struct rtnl_req *m)
{
	uint32_t buf[1024];
	_cleanup_close_ int fd = rtnl_open();
	ssize_t n;
	int r;

	if (fd < 0)
		return fd;
	r = send_req(fd, m, 1);
	if (r < 0)
		return r;
	n = recv_some(fd, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return rtnl_parse_ack((const uint8_t *)buf, (size_t)n);
}

/* dump_addrs() - ask for and read an address dump through @buf */
static int dump_addrs(int fd, uint32_t *buf, int ifindex, struct rtnl_addr *out, size_t max)
{
	struct rtnl_req m;
	size_t n = 0;
	int r;

	rtnl_addr_dump_req(&m);
	r = send_req(fd, &m, 1);
	if (r < 0)
		return r;
	/* A dump of one namespace's addresses is finite; bound the reads anyway. */
	for (int i = 0; i < 1024; i++) {
		ssize_t got = recv_some(fd, buf, RTNL_RECV_BUF);

		if (got < 0)
			return (int)got;
		r = rtnl_parse_addr_dump((const uint8_t *)buf, (size_t)got, ifindex, out, &n, max);
		if (r < 0)
			return r;
		if (r > 0)
			return (int)n;
	}
	return -EPROTO;
}

int rtnl_addr_list(int ifindex, struct rtnl_addr *out, size_t max)
{
	int fd = rtnl_open();
	uint32_t *buf;
	int r;

	if (fd < 0)
		return fd;
	buf = malloc(RTNL_RECV_BUF);
	r = buf ? dump_addrs(fd, buf, ifindex, out, max) : -ENOMEM;
	free(buf);
	close(fd);
	return r;
}
