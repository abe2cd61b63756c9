// SPDX-License-Identifier: MIT
/*
 * procnet.c - parse /proc/net socket tables and the IPv4 route table
 *
 * A line is split into fields by spaces (tabs for the route table) and only
 * the fields that matter are decoded, each checked for its exact form: hex
 * digits of the expected count, a ':' in the right place. Anything else
 * makes the line malformed; it is counted and skipped, the next line is
 * parsed normally.
 */
#include "procnet.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Exactly @n hex digits at @s into @out. */
static bool hexn(const char *s, size_t n, uint32_t *out)
{
	uint32_t v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = hex_digit(s[i]);

		if (d < 0)
			return false;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return true;
}

/* "WORDS:PORT" field: 8 or 32 hex digits, ':', 4 hex digits. */
static bool addr_port(const char *f, size_t flen, int family, uint8_t addr[16], uint16_t *port)
{
	size_t alen = family == AF_INET ? 8 : 32;
	uint32_t v;

	if (flen != alen + 5 || f[alen] != ':')
		return false;
	memset(addr, 0, 16);
	for (size_t i = 0; i < alen / 8; i++) {
		if (!hexn(f + 8 * i, 8, &v))
			return false;
		/* The kernel printed the word as a host-order integer. */
		memcpy(addr + 4 * i, &v, 4);
	}
	if (!hexn(f + alen + 1, 4, &v))
		return false;
	*port = (uint16_t)v;
	return true;
}

/* Split @line into up to @max fields separated by any of @seps. */
static size_t fields(const char *line, size_t len, const char *seps, const char **f, size_t *flen,
		     size_t max)
{
	size_t n = 0, i = 0;

	while (i < len && n < max) {
		while (i < len && strchr(seps, line[i]))
			i++;
		if (i >= len)
			break;
		f[n] = line + i;
		while (i < len && !strchr(seps, line[i]))
			i++;
		flen[n] = (size_t)(line + i - f[n]);
		n++;
	}
	return n;
}

/* Return: 1 parsed into @s, 0 header, -1 malformed. */
static int parse_line(const char *line, size_t len, int family, struct procnet_sock *s)
{
	const char *f[4];
	size_t flen[4], n;
	uint32_t st;

	n = fields(line, len, " \t", f, flen, 4);
	if (n >= 1 && flen[0] == 2 && !memcmp(f[0], "sl", 2))
		return 0;
	if (n < 4 || flen[0] < 2 || f[0][flen[0] - 1] != ':')
		return -1;
	for (size_t i = 0; i + 1 < flen[0]; i++)
		if (f[0][i] < '0' || f[0][i] > '9')
			return -1;
	memset(s, 0, sizeof(*s));
	s->family = family;
	if (!addr_port(f[1], flen[1], family, s->laddr, &s->lport) ||
	    !addr_port(f[2], flen[2], family, s->raddr, &s->rport) || flen[3] != 2 ||
	    !hexn(f[3], 2, &st))
		return -1;
	s->state = (uint8_t)st;
	return 1;
}

size_t procnet_parse(const char *buf, size_t len, bool eof, int family, procnet_cb cb, void *ctx,
		     struct procnet_stats *st)
{
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		struct procnet_sock s;
		int r;

		if (!nl && !eof)
			break;
		if (llen > PROCNET_LINE_MAX) {
			st->malformed++;
		} else if (llen) {
			r = parse_line(buf + pos, llen, family, &s);
			if (r < 0) {
				st->malformed++;
			} else if (r > 0) {
				st->entries++;
				if (cb(ctx, &s))
					return len;
			}
		}
		pos += llen + (nl ? 1 : 0);
	}
	return pos;
}

/* Read @fd to its end through a buffer of PROCNET_CHUNK + PROCNET_LINE_MAX. */
static int read_lines(int fd, char *buf, int family, procnet_cb cb, void *ctx,
		      struct procnet_stats *st)
{
	size_t have = 0;
	bool skipping = false; /* inside an over-long line */

	for (;;) {
		ssize_t n = read(fd, buf + have, PROCNET_CHUNK + PROCNET_LINE_MAX - have);
		size_t used;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		have += (size_t)n;
		if (skipping) {
			char *nl = memchr(buf, '\n', have);

			if (!nl) {
				have = 0;
				if (n == 0)
					return 0;
				continue;
			}
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
			skipping = false;
		}
		used = procnet_parse(buf, have, n == 0, family, cb, ctx, st);
		have -= used;
		memmove(buf, buf + used, have);
		if (n == 0)
			return 0;
		if (have >= PROCNET_LINE_MAX) {
			/* A line longer than any real one: drop it whole. */
			st->malformed++;
			skipping = true;
			have = 0;
		}
	}
}

int procnet_read_file(const char *path, int family, procnet_cb cb, void *ctx,
		      struct procnet_stats *st)
{
	char *buf;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(PROCNET_CHUNK + PROCNET_LINE_MAX + 1);
	r = buf ? read_lines(fd, buf, family, cb, ctx, st) : -ENOMEM;
	free(buf);
	close(fd);
	return r;
}

bool procnet_listening(enum procnet_proto proto, const struct procnet_sock *s)
{
	static const uint8_t zero[16];

	if (proto == PROCNET_TCP)
		return s->state == PROCNET_TCP_LISTEN;
	return s->state == PROCNET_TCP_CLOSE && s->rport == 0 && !memcmp(s->raddr, zero, 16);
}

bool procnet_loopback(const struct procnet_sock *s)
{
	static const uint8_t v6_loop[16] = { [15] = 1 };
	static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

	if (s->family == AF_INET)
		return s->laddr[0] == 127;
	if (!memcmp(s->laddr, v6_loop, 16))
		return true;
	return !memcmp(s->laddr, v4_mapped, 12) && s->laddr[12] == 127;
}

int procnet_default_gw(const char *buf, size_t len, const char *ifname, struct in_addr *gw)
{
	uint32_t best_metric = UINT32_MAX;
	bool found = false;
	size_t pos = 0;

	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - (buf + pos)) : len - pos;
		const char *f[8];
		size_t flen[8];
		uint32_t dst, g, flags, metric, mask;

		if (fields(buf + pos, llen, "\t ", f, flen, 8) == 8 && flen[1] == 8 &&
		    flen[2] == 8 && flen[7] == 8 && hexn(f[1], 8, &dst) && hexn(f[2], 8, &g) &&
		    flen[3] <= 8 && hexn(f[3], flen[3], &flags) && flen[6] >= 1 && flen[6] <= 10 &&
		    hexn(f[7], 8, &mask)) {
			metric = 0;
			for (size_t i = 0; i < flen[6]; i++) {
				if (f[6][i] < '0' || f[6][i] > '9' ||
				    metric > UINT32_MAX / 10 - 9) {
					metric = UINT32_MAX;
					break;
				}
				metric = metric * 10 + (uint32_t)(f[6][i] - '0');
			}
			/* RTF_UP | RTF_GATEWAY, destination and mask 0 */
			if (!dst && !mask && (flags & 3) == 3 && g &&
			    (!ifname ||
			     (strlen(ifname) == flen[0] && !memcmp(f[0], ifname, flen[0]))) &&
			    (!found || metric < best_metric)) {
				memcpy(&gw->s_addr, &g, 4);
				best_metric = metric;
				found = true;
			}
		}
		pos += llen + (nl ? 1 : 0);
	}
	return found ? 0 : -ENOENT;
}

int procnet_port_range(const char *buf, size_t len, uint16_t *lo, uint16_t *hi)
{
	unsigned long v[2];
	const char *f[3];
	size_t flen[3];

	if (fields(buf, len, " \t\n", f, flen, 3) != 2)
		return -EINVAL;
	for (int k = 0; k < 2; k++) {
		if (!flen[k] || flen[k] > 5)
			return -EINVAL;
		v[k] = 0;
		for (size_t i = 0; i < flen[k]; i++) {
			if (f[k][i] < '0' || f[k][i] > '9')
				return -EINVAL;
			v[k] = v[k] * 10 + (unsigned long)(f[k][i] - '0');
		}
		if (!v[k] || v[k] > 65535)
			return -EINVAL;
	}
	if (v[0] > v[1])
		return -EINVAL;
	*lo = (uint16_t)v[0];
	*hi = (uint16_t)v[1];
	return 0;
}
