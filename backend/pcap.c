// SPDX-License-Identifier: MIT
/*
 * pcap.c - the classic pcap file format
 */
#include "pcap.h"

#include "log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#define COMP "pcap"

static FILE *pcap_file;
static unsigned long pcap_errors;

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* host order: readers detect it from the magic */
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

void pcap_file_header(uint8_t out[24])
{
	put32(out, 0xa1b2c3d4);
	put16(out + 4, 2);
	put16(out + 6, 4);
	put32(out + 8, 0);  /* thiszone */
	put32(out + 12, 0); /* sigfigs */
	put32(out + 16, PCAP_SNAPLEN);
	put32(out + 20, 1); /* LINKTYPE_ETHERNET */
}

void pcap_record_header(uint8_t out[16], uint64_t usec, size_t len)
{
	size_t caplen = len > PCAP_SNAPLEN ? PCAP_SNAPLEN : len;

	put32(out, (uint32_t)(usec / 1000000));
	put32(out + 4, (uint32_t)(usec % 1000000));
	put32(out + 8, (uint32_t)caplen);
	put32(out + 12, (uint32_t)len);
}

int pcap_open(const char *path)
{
	uint8_t hdr[24];

	pcap_file = fopen(path, "wbe");
	if (!pcap_file)
		return -errno;
	pcap_file_header(hdr);
	if (fwrite(hdr, sizeof(hdr), 1, pcap_file) != 1) {
		int r = -errno;

		fclose(pcap_file);
		pcap_file = NULL;
		return r ? r : -EIO;
	}
	return 0;
}

void pcap_write(const uint8_t *frame, size_t len)
{
	struct timeval tv;
	uint8_t rec[16];

	if (!pcap_file)
		return;
	gettimeofday(&tv, NULL);
	pcap_record_header(rec, (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec, len);
	if (fwrite(rec, sizeof(rec), 1, pcap_file) != 1 ||
	    fwrite(frame, len > PCAP_SNAPLEN ? PCAP_SNAPLEN : len, 1, pcap_file) != 1) {
		if (!pcap_errors++)
			log_err(COMP, "capture write failed: %s; capture stopped", strerror(errno));
		fclose(pcap_file);
		pcap_file = NULL;
	}
}

void pcap_flush(void)
{
	if (pcap_file)
		fflush(pcap_file);
}

void pcap_close(void)
{
	if (pcap_file)
		fclose(pcap_file);
	pcap_file = NULL;
}
