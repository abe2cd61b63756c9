/* SPDX-License-Identifier: MIT */
/*
 * taps_api.h - /v1/taps: taps vgate creates at run time for libvirt
 *
 * `vgatectl attach --domain NAME` hot-plugs an <interface type='ethernet'>
 * with <target dev='TAP' managed='no'/> through libvirt: libvirt opens the
 * tap and hands it to QEMU. vgate makes that tap here and serves it as a
 * switch port through an AF_PACKET socket (packet_port.c). Host API only
 * (the in-network API at gateway:80 answers 404):
 *
 *   GET    /v1/taps         [{"name":"vgtap0","ifindex":7,"port":3,"carrier":true,
 *                             "mac":"5a:94:ef:e4:0c:ee","rx_frames":N,"tx_frames":N}]
 *                           (port null once the port has closed; carrier true
 *                           while a process, QEMU, has the tap open; mac the
 *                           guest's, once seen, else null)
 *   POST   /v1/taps         {"name":"vgtap0"}, or {} (or no body) for the first
 *                           free vgtapN
 *     200 {...as above..., "created":true}   made and attached to the switch
 *     200 ... "created":false                 this vgate made it already
 *     400 text   malformed body or name, TAPS_MAX taps exist
 *     403 text   vgate may not create taps (no CAP_NET_ADMIN, /dev/net/tun)
 *     409 text   a network device of that name exists (not vgate's), no
 *                free vgtapN, or every switch port is in use
 *     500 text   anything else
 *   DELETE /v1/taps         {"name":"vgtap0"}   (the same as the next)
 *   POST   /v1/taps/remove  {"name":"vgtap0"}
 *     200 {"name":"vgtap0","removed":true}
 *     400 text   malformed body or name
 *     404 text   this vgate has no tap of that name
 *     409 text   a process (QEMU) still has the tap open: unplug the NIC first
 *   other methods on /v1/taps: 405; on /v1/taps/remove: 400 "post only"
 *
 * A name is 1 to 15 bytes (IFNAMSIZ) of letters, digits, '_', '-', '.',
 * starting with a letter, digit or '_'. An existing network device is never
 * taken over. At most TAPS_MAX taps exist at once; every tap vgate made is
 * deleted when it exits (also one QEMU still has open).
 */
#ifndef VGATE_TAPS_API_H
#define VGATE_TAPS_API_H

#include "packet_port.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Taps that exist at once. */
#define TAPS_MAX 16
/* Names tried for a tap without one: TAPS_AUTO_PREFIX "0" to "255". */
#define TAPS_AUTO_PREFIX "vgtap"
#define TAPS_AUTO_MAX 256

/*
 * taps_api_init() - add the routes (after api_init())
 * Return: 0 or -errno (logged).
 */
int taps_api_init(void);

/* taps_api_fini() - close every tap's port, delete every tap, remove the routes */
void taps_api_fini(void);

/*
 * taps_api_parse() - a body of POST /v1/taps ({"name": STRING}, {}, or
 * nothing but white space) or of a removal ({"name": STRING})
 * @need_name: the name is required (removal)
 * @name: receives the name, "" when none was given
 * Return: 0; -EINVAL with @err saying why (not JSON, not an object, a NUL
 * byte or a \u0000 escape, nested too deep, a wrong type, an unknown key, an invalid or
 * missing name); -ENOMEM.
 */
int taps_api_parse(const char *body, size_t len, bool need_name, char name[IFNAMSIZ], char *err,
		   size_t errlen);

/* One tap as the routes show it. */
struct taps_api_info {
	const char *name;
	int ifindex;
	int port;    /* switch port, -1: none (closed) */
	int carrier; /* 1, 0, -1: unknown */
	bool mac_known;
	uint8_t mac[6];
	uint64_t rx_frames, tx_frames;
};

/*
 * taps_api_json() - the body for @n taps: a JSON array (@array), else the
 * one object @t with "created":@created added (when @with_created)
 * Return: 0 with a malloc'd NUL-terminated text (ending in a newline) in
 * *@out; -EINVAL (not an array and @n is not 1); -ENOMEM.
 */
int taps_api_json(const struct taps_api_info *t, size_t n, bool array, bool with_created,
		  bool created, char **out);

#endif
