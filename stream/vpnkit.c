// SPDX-License-Identifier: MIT
/*
 * vpnkit.c - parse and build the VPNKit handshake messages
 */
#include "vpnkit.h"

#include <errno.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int vpnkit_parse_hello(const uint8_t *buf, size_t len, struct vpnkit_hello *h)
{
	if (len < VPNKIT_HELLO_LEN)
		return -EAGAIN;
	if (memcmp(buf, VPNKIT_MAGIC, 5) != 0)
		return -EPROTO;
	h->version = le32(buf + 5);
	memcpy(h->commit, buf + 9, 40);
	h->commit[40] = '\0';
	return 0;
}

int vpnkit_parse_command(const uint8_t *buf, size_t len, struct vpnkit_command *c)
{
	if (len < VPNKIT_COMMAND_LEN)
		return -EAGAIN;
	c->command = buf[0];
	if (c->command != VPNKIT_CMD_ETHERNET)
		return -EPROTO;
	for (int i = 0; i < 36; i++)
		if (buf[1 + i] < 0x20 || buf[1 + i] > 0x7e)
			return -EPROTO;
	memcpy(c->uuid, buf + 1, 36);
	c->uuid[36] = '\0';
	c->ip = le32(buf + 37);
	return 0;
}

void vpnkit_build_reply(uint8_t *out, uint16_t mtu, const uint8_t mac[6])
{
	uint16_t max = (uint16_t)(mtu + 14);

	memset(out, 0, VPNKIT_REPLY_LEN);
	out[0] = 1;
	out[1] = (uint8_t)mtu;
	out[2] = (uint8_t)(mtu >> 8);
	out[3] = (uint8_t)max;
	out[4] = (uint8_t)(max >> 8);
	memcpy(out + 5, mac, 6);
}
