/* SPDX-License-Identifier: MIT */
/*
 * resolv.h - the host's resolver configuration (/etc/resolv.conf)
 *
 * The DNS server forwards to the host's nameservers and the DHCP server
 * hands out its search domains. The file is parsed from a byte buffer;
 * resolv_get() re-reads it when its inode, size or mtime changed, checked
 * at most once per RESOLV_CHECK_MS, so edits (and the usual replace-by-
 * rename) take effect without a restart.
 */
#ifndef VGATE_RESOLV_H
#define VGATE_RESOLV_H

#include <stddef.h>
#include <sys/socket.h>

#define RESOLV_NS_MAX 8
#define RESOLV_SEARCH_MAX 6
#define RESOLV_NAME_MAX 256
#define RESOLV_FILE_MAX 65536
#define RESOLV_CHECK_MS 1000

struct resolv_conf {
	struct sockaddr_storage ns[RESOLV_NS_MAX];
	unsigned nns;
	char search[RESOLV_SEARCH_MAX][RESOLV_NAME_MAX];
	unsigned nsearch;
};

/*
 * resolv_parse() - "nameserver ADDR" (IPv4 or IPv6, port 53; an IPv6
 * %scope is dropped), "search a b c" (the last search/domain line wins, as
 * in glibc), "domain d"; comments (# ;) and unknown lines ignored. Extra
 * entries beyond the limits are ignored.
 */
void resolv_parse(const char *text, size_t len, struct resolv_conf *rc);

/* The current configuration of @path (cached; reloaded when it changed). */
const struct resolv_conf *resolv_get(const char *path);

#endif
