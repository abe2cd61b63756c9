/* SPDX-License-Identifier: MIT */
/*
 * rtnl.h - the rtnetlink requests vgate-guest makes
 *
 * Link (MAC, MTU, up), IPv4 address (with the lease as its lifetime, so the
 * kernel itself drops an address whose lease ran out even if vgate-guest is
 * gone), default route, and a dump of a link's IPv4 addresses. Requests are
 * built into a fixed buffer by pure functions (unit-tested); rtnl_talk()
 * sends one and reads the kernel's acknowledgement. rtnetlink requests are
 * executed synchronously inside sendmsg(), so the answer is already queued
 * when the call returns: nothing here waits on anything but the kernel, and
 * the socket's receive timeout (RTNL_TIMEOUT_MS) bounds even that.
 */
#ifndef VGATE_RTNL_H
#define VGATE_RTNL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest request built here. */
#define RTNL_REQ_MAX 512
/* Bound on waiting for the kernel's answer. */
#define RTNL_TIMEOUT_MS 1000
/* Addresses rtnl_addr_list() reports at most. */
#define RTNL_ADDRS_MAX 64
/* "Forever" as an address lifetime. */
#define RTNL_LIFETIME_INFINITE 0xffffffffu

struct rtnl_req {
	union {
		uint8_t buf[RTNL_REQ_MAX];
		uint32_t align; /* netlink messages are 4-byte aligned */
	};
	size_t len;
};

/* Leave the link's up/down state alone, or set it. */
enum rtnl_updown { RTNL_KEEP, RTNL_DOWN, RTNL_UP };

/*
 * rtnl_link_req() - RTM_NEWLINK for @ifindex
 * @mac: new MAC or NULL
 * @mtu: new MTU or 0
 * @updown: what to do with IFF_UP
 * Return: 0 or -ENOSPC.
 */
int rtnl_link_req(struct rtnl_req *m, int ifindex, const uint8_t *mac, unsigned mtu,
		  enum rtnl_updown updown);

/*
 * rtnl_addr_req() - RTM_NEWADDR (replace) or RTM_DELADDR of an IPv4 address
 * @add: true for NEWADDR
 * @prefix: 0-32
 * @valid_s: lifetime in seconds (RTNL_LIFETIME_INFINITE for none); NEWADDR only
 * Return: 0, -EINVAL (prefix), -ENOSPC.
 */
int rtnl_addr_req(struct rtnl_req *m, bool add, int ifindex, struct in_addr addr, unsigned prefix,
		  uint32_t valid_s);

/*
 * rtnl_route_req() - RTM_NEWROUTE (create or replace) / RTM_DELROUTE of the
 * IPv4 default route via @gw on @ifindex with @metric
 * Return: 0 or -ENOSPC.
 */
int rtnl_route_req(struct rtnl_req *m, bool add, int ifindex, struct in_addr gw, uint32_t metric);

/* rtnl_addr_dump_req() - RTM_GETADDR dump of IPv4 addresses. Return: 0. */
int rtnl_addr_dump_req(struct rtnl_req *m);

struct rtnl_addr {
	struct in_addr addr;
	uint8_t prefix;
};

/*
 * rtnl_parse_addr_dump() - collect the IPv4 addresses of @ifindex from one
 * buffer of a dump's answer
 * @buf, @len: what one recv() returned (@buf 4-byte aligned)
 * @out, @n, @max: addresses found so far / the array's size (more are dropped)
 * Return: 1 when the dump's end (NLMSG_DONE) was in @buf, 0 when more
 * follows, -EPROTO for a malformed message, -errno for an NLMSG_ERROR.
 */
int rtnl_parse_addr_dump(const uint8_t *buf, size_t len, int ifindex, struct rtnl_addr *out,
			 size_t *n, size_t max);

/*
 * rtnl_parse_ack() - the result carried by an acknowledgement
 * Return: 0 (ack), -errno (the request failed), -EPROTO (not an ack).
 */
int rtnl_parse_ack(const uint8_t *buf, size_t len);

/*
 * rtnl_talk() - send @m with NLM_F_ACK and wait (bounded) for the answer
 * Return: 0 or the request's -errno.
 */
int rtnl_talk(struct rtnl_req *m);

/*
 * rtnl_addr_list() - the IPv4 addresses of @ifindex
 * Return: number found (at most @max) or -errno.
 */
int rtnl_addr_list(int ifindex, struct rtnl_addr *out, size_t max);

#endif
