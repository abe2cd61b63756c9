/* SPDX-License-Identifier: MIT */
/*
 * dhcp_opts.h - walking the options of a DHCP message (RFC 2131, 2132)
 *
 * One walker for both ends of DHCP: vgate's server reads clients' requests
 * with it, vgate-guest's client reads the server's replies. It knows the
 * BOOTP layout only as far as options go: the options field after the
 * 240-byte fixed part and the magic cookie, and option overload (52),
 * which continues the options in the file field (value 1 or 3) and then
 * the sname field (2 or 3). Overload is honoured only in the options
 * field, so it cannot recurse; its value must be 1 to 3.
 */
#ifndef VGATE_DHCP_OPTS_H
#define VGATE_DHCP_OPTS_H

#include <stddef.h>
#include <stdint.h>

/* The fixed BOOTP part and the magic cookie: options start here. */
#define DHCP_OPTS_OFFSET 240

/*
 * Called for each option other than pad (0), end (255) and overload (52),
 * in message order. Return: 0 to go on, or a negative errno that stops
 * the walk and is returned by dhcp_opts_walk().
 */
typedef int (*dhcp_opt_fn)(void *ctx, uint8_t code, const uint8_t *data, size_t len);

/*
 * dhcp_opts_walk() - visit every option of the message @msg (@len bytes,
 * at least DHCP_OPTS_OFFSET; the caller checked the fixed part)
 * Return: 0; -EBADMSG when an option runs past the end of its area or an
 * overload option is not one byte of 1 to 3; or what @fn returned.
 */
int dhcp_opts_walk(const uint8_t *msg, size_t len, dhcp_opt_fn fn, void *ctx);

#endif
