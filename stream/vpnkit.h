/* SPDX-License-Identifier: MIT */
/*
 * vpnkit.h - the hyperkit/VPNKit Ethernet handshake
 *
 * Before frames flow (uint16 LE framing), a VPNKit client and server trade:
 *
 *   client -> server  49 bytes: magic "VMN3T", uint32 LE version, 40-byte
 *                     commit id
 *   server -> client  the same 49 bytes back
 *   client -> server  41 bytes: uint8 command (1 = ethernet), 36-byte UUID,
 *                     uint32 LE requested IPv4 address (0 = any)
 *   server -> client  258 bytes: uint8 1 (ok), uint16 LE MTU, uint16 LE
 *                     largest frame (MTU + 14), 6-byte MAC, zeros
 */
#ifndef VGATE_VPNKIT_H
#define VGATE_VPNKIT_H

#include <stddef.h>
#include <stdint.h>

#define VPNKIT_HELLO_LEN 49
#define VPNKIT_COMMAND_LEN 41
#define VPNKIT_REPLY_LEN 258
#define VPNKIT_MAGIC "VMN3T"
#define VPNKIT_CMD_ETHERNET 1

struct vpnkit_hello {
	uint32_t version;
	char commit[41];
};

struct vpnkit_command {
	uint8_t command;
	char uuid[37];
	uint32_t ip; /* as sent: little-endian on the wire, host order here */
};

/*
 * vpnkit_parse_hello() - check the client's first message
 * Return: 0; -EAGAIN if fewer than VPNKIT_HELLO_LEN bytes; -EPROTO if the
 * magic is wrong.
 */
int vpnkit_parse_hello(const uint8_t *buf, size_t len, struct vpnkit_hello *h);

/*
 * vpnkit_parse_command() - parse the client's second message
 * Return: 0; -EAGAIN if short; -EPROTO for a command other than ethernet or
 * a UUID with non-printable bytes.
 */
int vpnkit_parse_command(const uint8_t *buf, size_t len, struct vpnkit_command *c);

/* vpnkit_build_reply() - fill @out (VPNKIT_REPLY_LEN bytes) */
void vpnkit_build_reply(uint8_t *out, uint16_t mtu, const uint8_t mac[6]);

#endif
