// SPDX-License-Identifier: MIT
/*
 * test_vpnkit.c - stream/vpnkit.c: the VPNKit Ethernet handshake
 *
 * The client's hello (49 bytes) and command (41 bytes) are parsed from
 * hand-built byte arrays: whole, short by any amount (-EAGAIN, so the caller
 * waits for more), with extra bytes behind them, and broken (-EPROTO). The
 * server's 258-byte reply is checked byte for byte.
 */
#include "vpnkit.h"
#include "testutil.h"

#include <errno.h>

static const char commit_id[] = "0123456789abcdef0123456789abcdef01234567";
static const char uuid[] = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

static void make_hello(uint8_t *buf)
{
	memcpy(buf, "VMN3T", 5);
	buf[5] = 0x16; /* version 22, little-endian */
	buf[6] = 0x00;
	buf[7] = 0x00;
	buf[8] = 0x00;
	memcpy(buf + 9, commit_id, 40);
}

static void make_command(uint8_t *buf)
{
	buf[0] = VPNKIT_CMD_ETHERNET;
	memcpy(buf + 1, uuid, 36);
	buf[37] = 0x02; /* 192.168.127.2 as sent by the client, LE */
	buf[38] = 0x7f;
	buf[39] = 0xa8;
	buf[40] = 0xc0;
}

static void test_hello(void **state)
{
	uint8_t buf[VPNKIT_HELLO_LEN + 16];
	struct vpnkit_hello h;

	(void)state;
	assert_int_equal(VPNKIT_HELLO_LEN, 49);
	make_hello(buf);
	assert_int_equal(vpnkit_parse_hello(buf, VPNKIT_HELLO_LEN, &h), 0);
	assert_int_equal(h.version, 22);
	assert_string_equal(h.commit, commit_id);

	/* A version using every byte, read little-endian. */
	buf[5] = 0x01;
	buf[6] = 0x02;
	buf[7] = 0x03;
	buf[8] = 0x84;
	assert_int_equal(vpnkit_parse_hello(buf, VPNKIT_HELLO_LEN, &h), 0);
	assert_int_equal(h.version, 0x84030201u);

	/* Bytes behind the hello (the command, already arrived) are ignored. */
	memset(buf + VPNKIT_HELLO_LEN, 0xee, 16);
	assert_int_equal(vpnkit_parse_hello(buf, sizeof(buf), &h), 0);
	assert_string_equal(h.commit, commit_id);
}

static void test_hello_short(void **state)
{
	uint8_t buf[VPNKIT_HELLO_LEN];
	struct vpnkit_hello h;

	(void)state;
	make_hello(buf);
	for (size_t len = 0; len < VPNKIT_HELLO_LEN; len++)
		assert_int_equal(vpnkit_parse_hello(buf, len, &h), -EAGAIN);
	/* Short and with a bad magic: still just "wait for more". */
	memcpy(buf, "XXXXX", 5);
	for (size_t len = 0; len < VPNKIT_HELLO_LEN; len++)
		assert_int_equal(vpnkit_parse_hello(buf, len, &h), -EAGAIN);
}

static void test_hello_bad_magic(void **state)
{
	uint8_t buf[VPNKIT_HELLO_LEN];
	struct vpnkit_hello h;

	(void)state;
	/* Each byte of the magic matters. */
	for (size_t i = 0; i < 5; i++) {
		make_hello(buf);
		buf[i] ^= 0x20;
		assert_int_equal(vpnkit_parse_hello(buf, VPNKIT_HELLO_LEN, &h), -EPROTO);
	}
	make_hello(buf);
	memcpy(buf, "VMN2T", 5);
	assert_int_equal(vpnkit_parse_hello(buf, VPNKIT_HELLO_LEN, &h), -EPROTO);
	/* An HTTP request sent to the vpnkit port by mistake. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "GET / HTTP/1.1\r\n", 16);
	assert_int_equal(vpnkit_parse_hello(buf, VPNKIT_HELLO_LEN, &h), -EPROTO);
}

static void test_command(void **state)
{
	uint8_t buf[VPNKIT_COMMAND_LEN + 8];
	struct vpnkit_command c;

	(void)state;
	assert_int_equal(VPNKIT_COMMAND_LEN, 41);
	make_command(buf);
	assert_int_equal(vpnkit_parse_command(buf, VPNKIT_COMMAND_LEN, &c), 0);
	assert_int_equal(c.command, VPNKIT_CMD_ETHERNET);
	assert_string_equal(c.uuid, uuid);
	assert_int_equal(c.ip, 0xc0a87f02u);

	/* IP 0: "any address". */
	memset(buf + 37, 0, 4);
	memset(buf + VPNKIT_COMMAND_LEN, 0x55, 8);
	assert_int_equal(vpnkit_parse_command(buf, sizeof(buf), &c), 0);
	assert_int_equal(c.ip, 0);

	/* Any printable UUID is taken as is. */
	memset(buf + 1, ' ', 36);
	buf[1] = '~';
	assert_int_equal(vpnkit_parse_command(buf, VPNKIT_COMMAND_LEN, &c), 0);
	assert_int_equal(strlen(c.uuid), 36);
	assert_int_equal(c.uuid[0], '~');
}

static void test_command_short(void **state)
{
	uint8_t buf[VPNKIT_COMMAND_LEN];
	struct vpnkit_command c;

	(void)state;
	make_command(buf);
	for (size_t len = 0; len < VPNKIT_COMMAND_LEN; len++)
		assert_int_equal(vpnkit_parse_command(buf, len, &c), -EAGAIN);
}

static void test_command_bad(void **state)
{
	static const uint8_t bad_cmds[] = { 0, 2, 3, 0x7f, 0xff };
	static const uint8_t bad_bytes[] = { 0x00, 0x01, 0x1f, 0x7f, 0x80, 0xff };
	uint8_t buf[VPNKIT_COMMAND_LEN];
	struct vpnkit_command c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad_cmds); i++) {
		make_command(buf);
		buf[0] = bad_cmds[i];
		assert_int_equal(vpnkit_parse_command(buf, VPNKIT_COMMAND_LEN, &c), -EPROTO);
	}
	/* A non-printable byte anywhere in the UUID. */
	for (size_t pos = 0; pos < 36; pos++) {
		for (size_t i = 0; i < sizeof(bad_bytes); i++) {
			make_command(buf);
			buf[1 + pos] = bad_bytes[i];
			assert_int_equal(vpnkit_parse_command(buf, VPNKIT_COMMAND_LEN, &c),
					 -EPROTO);
		}
	}
	/* The IP bytes are binary: anything goes there. */
	make_command(buf);
	memset(buf + 37, 0xff, 4);
	assert_int_equal(vpnkit_parse_command(buf, VPNKIT_COMMAND_LEN, &c), 0);
	assert_int_equal(c.ip, 0xffffffffu);
}

static void test_reply(void **state)
{
	static const uint8_t mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };
	uint8_t out[VPNKIT_REPLY_LEN + 4];
	uint8_t zeros[VPNKIT_REPLY_LEN] = { 0 };

	(void)state;
	assert_int_equal(VPNKIT_REPLY_LEN, 258);
	memset(out, 0xcc, sizeof(out));
	vpnkit_build_reply(out, 1500, mac);
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 0xdc); /* 1500 = 0x05dc, LE */
	assert_int_equal(out[2], 0x05);
	assert_int_equal(out[3], 0xea); /* 1514 = 0x05ea, LE */
	assert_int_equal(out[4], 0x05);
	assert_memory_equal(out + 5, mac, 6);
	assert_memory_equal(out + 11, zeros, VPNKIT_REPLY_LEN - 11);
	/* Nothing written past the reply. */
	assert_memory_equal(out + VPNKIT_REPLY_LEN, "\xcc\xcc\xcc\xcc", 4);

	/* A jumbo MTU whose bytes differ. */
	memset(out, 0xcc, sizeof(out));
	vpnkit_build_reply(out, 0x2328, mac); /* 9000 */
	assert_int_equal(out[0], 1);
	assert_int_equal(out[1], 0x28);
	assert_int_equal(out[2], 0x23);
	assert_int_equal(out[3], 0x36); /* 9014 = 0x2336 */
	assert_int_equal(out[4], 0x23);
	assert_memory_equal(out + 5, mac, 6);
	assert_memory_equal(out + 11, zeros, VPNKIT_REPLY_LEN - 11);

	/* MTU + 14 carrying into the high byte. */
	vpnkit_build_reply(out, 0x00f8, mac); /* 248 + 14 = 262 = 0x0106 */
	assert_int_equal(out[1], 0xf8);
	assert_int_equal(out[2], 0x00);
	assert_int_equal(out[3], 0x06);
	assert_int_equal(out[4], 0x01);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* Client hello. */
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_hello_short),
		cmocka_unit_test(test_hello_bad_magic),
		/* Client command. */
		cmocka_unit_test(test_command),
		cmocka_unit_test(test_command_short),
		cmocka_unit_test(test_command_bad),
		/* Server reply. */
		cmocka_unit_test(test_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
