// SPDX-License-Identifier: MIT
/*
 * test_pcap.c - backend/pcap.c: header bytes, and a capture file written and
 * read back record by record (truncation at the snap length included).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "pcap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void test_file_header(void **state)
{
	uint8_t h[24];

	(void)state;
	pcap_file_header(h);
	assert_int_equal(rd32(h), 0xa1b2c3d4);
	assert_int_equal(h[4] | h[5] << 8, 2);
	assert_int_equal(h[6] | h[7] << 8, 4);
	assert_int_equal(rd32(h + 16), PCAP_SNAPLEN);
	assert_int_equal(rd32(h + 20), 1);
}

static void test_record_header(void **state)
{
	uint8_t r[16];

	(void)state;
	pcap_record_header(r, 1234567890123456ull, 60);
	assert_int_equal(rd32(r), 1234567890);
	assert_int_equal(rd32(r + 4), 123456);
	assert_int_equal(rd32(r + 8), 60);
	assert_int_equal(rd32(r + 12), 60);
	pcap_record_header(r, 0, PCAP_SNAPLEN + 10);
	assert_int_equal(rd32(r + 8), PCAP_SNAPLEN);
	assert_int_equal(rd32(r + 12), PCAP_SNAPLEN + 10);
}

static void test_write_and_read_back(void **state)
{
	char path[] = "/tmp/vgate-test-pcap.XXXXXX";
	uint8_t frame[100], buf[24 + 2 * (16 + 100)];
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	assert_int_equal(pcap_open(path), 0);
	pcap_write(frame, 60);
	pcap_write(frame, 100);
	pcap_close();
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf), f), 24 + 16 + 60 + 16 + 100);
	fclose(f);
	unlink(path);
	assert_int_equal(rd32(buf + 24 + 8), 60);
	assert_memory_equal(buf + 24 + 16, frame, 60);
	assert_int_equal(rd32(buf + 24 + 16 + 60 + 12), 100);
	assert_memory_equal(buf + 24 + 16 + 60 + 16, frame, 100);
}

static void test_open_failure(void **state)
{
	(void)state;
	assert_true(pcap_open("/nonexistent-dir/x.pcap") < 0);
	pcap_write((const uint8_t *)"ignored", 7); /* no file: a no-op */
	pcap_flush();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_header),
		cmocka_unit_test(test_record_header),
		cmocka_unit_test(test_write_and_read_back),
		cmocka_unit_test(test_open_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
