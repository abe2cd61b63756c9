/* SPDX-License-Identifier: MIT */
/*
 * procnet.h - the guest's sockets and routes as /proc/net shows them
 *
 * /proc/net/{tcp,tcp6,udp,udp6} list one socket per line:
 *
 *   "  sl  local_address rem_address   st tx_queue ..."            (header)
 *   "   0: 0100007F:0035 00000000:0000 0A 00000000:00000000 ..."
 *
 * Addresses are 8 (IPv4) or 32 (IPv6) hex digits: each group of 8 is a
 * 32-bit word of the address printed in the host's byte order; ports are 4
 * hex digits in host order; st is the TCP state in hex (0A = LISTEN; a UDP
 * socket that is not connected shows 07 = CLOSE with a zero remote end).
 * /proc/net/route is one IPv4 route per line, tab-separated, addresses as
 * 8 hex digits in the same convention.
 *
 * The parsers take byte buffers holding whole lines and report what they
 * skipped; procnet_read_file() feeds them a file in bounded chunks.
 */
#ifndef VGATE_PROCNET_H
#define VGATE_PROCNET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest line accepted (real lines are about 150 bytes); longer ones are
 * skipped as malformed. */
#define PROCNET_LINE_MAX 512
/* Bytes read from a file at a time. */
#define PROCNET_CHUNK 65536

enum procnet_proto { PROCNET_TCP, PROCNET_UDP };

#define PROCNET_TCP_LISTEN 0x0a
#define PROCNET_TCP_CLOSE 0x07

struct procnet_sock {
	int family;	   /* AF_INET or AF_INET6 */
	uint8_t laddr[16]; /* network byte order; the first 4 bytes for AF_INET */
	uint16_t lport;
	uint8_t raddr[16];
	uint16_t rport;
	uint8_t state;
};

struct procnet_stats {
	unsigned entries;   /* socket lines parsed */
	unsigned malformed; /* lines that were neither a header nor a socket */
};

/* Called for every socket line; a non-zero return stops the parse. */
typedef int (*procnet_cb)(void *ctx, const struct procnet_sock *s);

/*
 * procnet_parse() - parse the complete lines at the start of @buf
 * @eof: the buffer ends the file, so a last line without '\n' counts
 * @family: AF_INET for tcp/udp, AF_INET6 for tcp6/udp6
 * Return: bytes consumed (whole lines); the caller keeps the rest.
 */
size_t procnet_parse(const char *buf, size_t len, bool eof, int family, procnet_cb cb, void *ctx,
		     struct procnet_stats *st);

/*
 * procnet_read_file() - parse a /proc/net socket table through @cb
 * Return: 0 or -errno (the file could not be read).
 */
int procnet_read_file(const char *path, int family, procnet_cb cb, void *ctx,
		      struct procnet_stats *st);

/* procnet_listening() - a TCP listener, or a UDP socket with no peer */
bool procnet_listening(enum procnet_proto proto, const struct procnet_sock *s);

/* procnet_loopback() - bound to 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104 */
bool procnet_loopback(const struct procnet_sock *s);

/*
 * procnet_default_gw() - the IPv4 default route's gateway in a
 * /proc/net/route text (the lowest metric; only @ifname's when not NULL)
 * Return: 0, or -ENOENT when there is none.
 */
int procnet_default_gw(const char *buf, size_t len, const char *ifname, struct in_addr *gw);

/*
 * procnet_port_range() - parse ip_local_port_range ("32768\t60999\n")
 * Return: 0 or -EINVAL.
 */
int procnet_port_range(const char *buf, size_t len, uint16_t *lo, uint16_t *hi);

#endif
