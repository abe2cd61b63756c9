// SPDX-License-Identifier: MIT
/*
 * dhcp_opts.c - walking the options of a DHCP message
 *
 * See dhcp_opts.h. An area is a run of (code, length, data) triples with
 * single-byte pad and end; an area may also just stop at its last byte
 * without an end option (seen from real clients), which is accepted.
 */
#include "dhcp_opts.h"

#include <errno.h>
#include <stdbool.h>

#define OPT_PAD 0
#define OPT_OVERLOAD 52
#define OPT_END 255
#define OFF_SNAME 44
#define SNAME_LEN 64
#define OFF_FILE 108
#define FILE_LEN 128

/* Walk one area; the options field (@main) is the only one whose overload counts. */
static int walk_area(const uint8_t *p, size_t len, bool main, uint8_t *overload, dhcp_opt_fn fn,
		     void *ctx)
{
	size_t i = 0;

	while (i < len) {
		uint8_t code = p[i];
		size_t olen;
		int r;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			return 0;
		if (len - i < 2)
			return -EBADMSG;
		olen = p[i + 1];
		if (len - i - 2 < olen)
			return -EBADMSG;
		if (code == OPT_OVERLOAD) {
			if (olen != 1 || p[i + 2] < 1 || p[i + 2] > 3)
				return -EBADMSG;
			if (main)
				*overload = p[i + 2];
		} else {
			r = fn(ctx, code, p + i + 2, olen);
			if (r < 0)
				return r;
		}
		i += 2 + olen;
	}
	return 0;
}

int dhcp_opts_walk(const uint8_t *msg, size_t len, dhcp_opt_fn fn, void *ctx)
{
	uint8_t overload = 0;
	int r;

	if (len < DHCP_OPTS_OFFSET)
		return -EBADMSG;
	r = walk_area(msg + DHCP_OPTS_OFFSET, len - DHCP_OPTS_OFFSET, true, &overload, fn, ctx);
	if (r == 0 && (overload & 1))
		r = walk_area(msg + OFF_FILE, FILE_LEN, false, &overload, fn, ctx);
	if (r == 0 && (overload & 2))
		r = walk_area(msg + OFF_SNAME, SNAME_LEN, false, &overload, fn, ctx);
	return r;
}
