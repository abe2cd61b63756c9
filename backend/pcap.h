/* SPDX-License-Identifier: MIT */
/*
 * pcap.h - capture every frame through the switch (-pcap FILE)
 *
 * Classic pcap (magic a1b2c3d4, version 2.4, LINKTYPE_ETHERNET, microsecond
 * timestamps), readable by tcpdump -r and tshark -r. Each frame is recorded
 * once, when it enters the switch. Output is buffered and flushed once per
 * loop iteration.
 */
#ifndef VGATE_PCAP_H
#define VGATE_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define PCAP_SNAPLEN 262144

/* Return: 0 or -errno. */
int pcap_open(const char *path);
void pcap_write(const uint8_t *frame, size_t len);
void pcap_flush(void);
void pcap_close(void);

/* Fill the 24-byte file header / 16-byte record header (for tests too). */
void pcap_file_header(uint8_t out[24]);
void pcap_record_header(uint8_t out[16], uint64_t usec, size_t len);

#endif
