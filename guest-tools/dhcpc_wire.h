/* SPDX-License-Identifier: MIT */
/*
 * dhcpc_wire.h - DHCP client messages and the frames that carry them
 *
 * The builtin DHCP client (dhcpc.c) does not open a socket: vgate-guest sits
 * between the tap and vgate, so it puts its DHCP frames straight onto the
 * link and takes the server's replies off it before they reach the tap.
 * This file is the wire half: BOOTP messages with DHCP options (RFC 2131,
 * 2132), parsed from and built into byte buffers, and the Ethernet + IPv4 +
 * UDP wrapping around them. Every length is checked before it is read; a
 * domain or search list containing anything but letters, digits, '-', '_'
 * and dots is dropped, since it ends up in resolv.conf.
 */
#ifndef VGATE_DHCPC_WIRE_H
#define VGATE_DHCPC_WIRE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCPC_CLIENT_PORT 68
#define DHCPC_SERVER_PORT 67
/* Fixed BOOTP part plus the magic cookie. */
#define DHCPC_BOOTP_LEN 240
/* Largest message built (fits the 576-byte datagram every host accepts). */
#define DHCPC_MSG_MAX 548
/* Ethernet + IPv4 + UDP headers around a message. */
#define DHCPC_FRAME_OVERHEAD (14 + 20 + 8)
#define DHCPC_FRAME_MAX (DHCPC_FRAME_OVERHEAD + DHCPC_MSG_MAX)
/* What a lease can carry that vgate-guest uses. */
#define DHCPC_DNS_MAX 3
#define DHCPC_NAME_LEN 256
#define DHCPC_HOSTNAME_LEN 64

enum dhcpc_msg_type {
	DHCPC_DISCOVER = 1,
	DHCPC_OFFER = 2,
	DHCPC_REQUEST = 3,
	DHCPC_DECLINE = 4,
	DHCPC_ACK = 5,
	DHCPC_NAK = 6,
	DHCPC_RELEASE = 7,
	DHCPC_INFORM = 8,
};

/* Which optional fields of struct dhcpc_reply were present. */
enum {
	DHCPC_HAVE_SERVER = 1 << 0,
	DHCPC_HAVE_MASK = 1 << 1,
	DHCPC_HAVE_ROUTER = 1 << 2,
	DHCPC_HAVE_LEASE = 1 << 3,
	DHCPC_HAVE_T1 = 1 << 4,
	DHCPC_HAVE_T2 = 1 << 5,
	DHCPC_HAVE_MTU = 1 << 6,
};

/* A server's message, as far as a client cares. */
struct dhcpc_reply {
	uint8_t type; /* option 53 */
	uint32_t xid;
	uint8_t chaddr[6];
	struct in_addr yiaddr;
	struct in_addr server_id; /* option 54 */
	struct in_addr mask;	  /* option 1, contiguous only */
	struct in_addr router;	  /* option 3, the first */
	struct in_addr dns[DHCPC_DNS_MAX];
	unsigned ndns;
	uint32_t lease_s, t1_s, t2_s;
	uint16_t mtu;		     /* option 26 */
	char domain[DHCPC_NAME_LEN]; /* option 15 */
	char search[DHCPC_NAME_LEN]; /* option 119, space-separated */
	unsigned have;
};

/* A client message to build. */
struct dhcpc_request {
	uint8_t type;
	uint32_t xid;
	uint16_t secs;
	uint8_t chaddr[6];
	struct in_addr ciaddr;		   /* our address while renewing, rebinding, releasing */
	struct in_addr requested;	   /* option 50, or 0 */
	struct in_addr server_id;	   /* option 54, or 0 */
	char hostname[DHCPC_HOSTNAME_LEN]; /* option 12, or "" */
};

/*
 * dhcpc_parse_reply() - parse a BOOTP reply (the UDP payload)
 * Return: 0; -EINVAL when it is too short, not a BOOTP reply for Ethernet,
 * lacks the magic cookie or option 53, or an option runs past its area.
 */
int dhcpc_parse_reply(const uint8_t *buf, size_t len, struct dhcpc_reply *r);

/*
 * dhcpc_build() - write a client message into @buf
 * Return: its length, or -ENOSPC.
 */
int dhcpc_build(const struct dhcpc_request *q, uint8_t *buf, size_t cap);

/*
 * dhcpc_decode_search() - option 119 (RFC 3397: DNS names with compression
 * pointers) into "a.example b.example"
 * Return: 0, -EINVAL for a malformed or unsafe list, -ENOSPC when @out is
 * too small.
 */
int dhcpc_decode_search(const uint8_t *d, size_t len, char *out, size_t cap);

/*
 * dhcpc_frame_unwrap() - is @frame a DHCP server->client datagram (IPv4,
 * UDP 67 -> 68, not fragmented)? If so, point at its payload.
 * @src_mac: set to the sender's MAC (where unicast renewals go)
 * Return: 0; -ENOENT when it is some other frame (it belongs on the tap);
 * -EINVAL when it claims to be one but its lengths or checksums are wrong.
 */
int dhcpc_frame_unwrap(const uint8_t *frame, size_t len, const uint8_t **payload, size_t *plen,
		       uint8_t src_mac[6]);

/*
 * dhcpc_frame_wrap() - put a client message into an Ethernet frame from
 * port 68 to port 67 (IPv4 and UDP checksums filled in)
 * Return: the frame's length, or -ENOSPC.
 */
int dhcpc_frame_wrap(uint8_t *buf, size_t cap, const uint8_t src_mac[6], const uint8_t dst_mac[6],
		     struct in_addr src, struct in_addr dst, const uint8_t *msg, size_t len);

/* dhcpc_mask_prefix() - prefix length of a contiguous netmask, or -1 */
int dhcpc_mask_prefix(struct in_addr mask);

/* dhcpc_name_safe() - only letters, digits, '-', '_', '.' (and not empty) */
bool dhcpc_name_safe(const char *s, size_t len);

#endif
