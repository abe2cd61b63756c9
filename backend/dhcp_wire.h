/* SPDX-License-Identifier: MIT */
/*
 * dhcp_wire.h - DHCPv4 messages on byte buffers (RFC 2131, RFC 2132)
 *
 * Parsing works on the UDP payload only and validates every length before
 * reading: the fixed BOOTP header (236 bytes), the magic cookie, then the
 * options, including option overload (52) into the file and sname fields.
 * Building writes a complete reply payload into a caller's buffer.
 * All addresses are IPv4 in network byte order (struct in_addr semantics,
 * stored as uint32_t exactly as on the wire).
 */
#ifndef VGATE_DHCP_WIRE_H
#define VGATE_DHCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DHCP_FIXED_LEN 236
#define DHCP_MIN_LEN 240   /* fixed header + magic cookie */
#define DHCP_REPLY_MAX 576 /* what every client must accept (RFC 2131) */
#define DHCP_HOSTNAME_MAX 63
#define DHCP_PARAMS_MAX 64
#define DHCP_CLIENT_ID_MAX 64
#define DHCP_SEARCH_MAX 6 /* search domains carried in option 119 */

enum dhcp_type {
	DHCP_NONE = 0,
	DHCP_DISCOVER = 1,
	DHCP_OFFER = 2,
	DHCP_REQUEST = 3,
	DHCP_DECLINE = 4,
	DHCP_ACK = 5,
	DHCP_NAK = 6,
	DHCP_RELEASE = 7,
	DHCP_INFORM = 8,
};

struct dhcp_msg {
	uint8_t op; /* 1 request, 2 reply */
	uint8_t htype, hlen, hops;
	uint32_t xid;				 /* as on the wire */
	uint16_t secs;				 /* host order */
	uint16_t flags;				 /* host order; 0x8000 = broadcast */
	uint32_t ciaddr, yiaddr, siaddr, giaddr; /* network order */
	uint8_t chaddr[16];
	enum dhcp_type type; /* option 53; DHCP_NONE if absent (BOOTP) */
	bool has_requested_ip;
	uint32_t requested_ip; /* option 50 */
	bool has_server_id;
	uint32_t server_id;		       /* option 54 */
	char hostname[DHCP_HOSTNAME_MAX + 1];  /* option 12, printable ASCII only, else "" */
	uint8_t client_id[DHCP_CLIENT_ID_MAX]; /* option 61 */
	size_t client_id_len;
	uint8_t params[DHCP_PARAMS_MAX]; /* option 55 */
	size_t nparams;
	uint16_t max_size; /* option 57, host order; 0 if absent */
};

/*
 * dhcp_parse() - parse a DHCP/BOOTP message
 * Return: 0; -EBADMSG if truncated, the cookie is wrong, an option runs past
 * the end, a fixed-length option has the wrong length, hlen > 16, or op is
 * not 1 or 2.
 */
int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m);

struct dhcp_reply {
	enum dhcp_type type; /* OFFER, ACK or NAK */
	uint32_t yiaddr;     /* network order; 0 for NAK (and for INFORM's ACK) */
	uint32_t server_id;  /* option 54 and siaddr */
	/* Options below are left out of a NAK. */
	uint32_t netmask;    /* option 1 */
	uint32_t router;     /* option 3 */
	uint32_t dns;	     /* option 6 */
	uint32_t lease_secs; /* option 51 (and 58/59 at 1/2 and 7/8); 0: omit (INFORM) */
	uint16_t mtu;	     /* option 26; 0: omit */
	const char *domain;  /* option 15; NULL or "": omit */
	const char *search[DHCP_SEARCH_MAX]; /* option 119, RFC 1035 names; NULL-terminated */
	const char *message;		     /* option 56 (NAK reason); NULL: omit */
};

/*
 * dhcp_build_reply() - write the reply to @req into @out
 * op=2, same htype/hlen/xid/flags/giaddr/chaddr, ciaddr copied for ACKs to
 * a client that has one, siaddr = server_id, options in the order above,
 * then option 255, padded to at least 300 bytes (BOOTP minimum).
 * Return: payload length, or -ENOSPC if @cap is too small.
 */
int dhcp_build_reply(uint8_t *out, size_t cap, const struct dhcp_msg *req,
		     const struct dhcp_reply *r);

/*
 * dhcp_encode_search() - encode domain names for option 119 (RFC 3397)
 * without compression: each name as length-prefixed labels ending in 0.
 * Names with labels over 63 bytes or longer than 255 are skipped.
 * Return: bytes written, or -ENOSPC.
 */
int dhcp_encode_search(const char *const *names, uint8_t *out, size_t cap);

#endif
