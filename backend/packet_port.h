/* SPDX-License-Identifier: MIT */
/*
 * packet_port.h - a switch port on a tap device someone else opens
 *
 * libvirt can hot-plug an <interface type='ethernet'> whose tap already
 * exists (<target dev='NAME' managed='no'/>): it opens the tap itself and
 * hands the fd to QEMU. For that, vgate creates a persistent tap and does
 * not keep it open; it reads and writes the tap's frames through an
 * AF_PACKET socket bound to it instead. Frames QEMU writes into the tap
 * arrive on the socket; frames vgate sends on the socket reach QEMU.
 *
 * The kernel's own stack must stay out of the way on such a tap: it gets
 * no IPv4 address, IPv6 is disabled on it, ARP is off, IPv4 forwarding is
 * off and reverse-path filtering strict on it, so nothing the guest sends
 * is answered, routed or delivered locally by the host, and the host never
 * sends anything of its own into the tap.
 *
 * taps_api.c decides when taps are made and removed; this file only does
 * it, and runs the port.
 */
#ifndef VGATE_PACKET_PORT_H
#define VGATE_PACKET_PORT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct port;

/* Longest tap name (IFNAMSIZ with its NUL). */
#define PACKET_TAP_NAME_MAX (IFNAMSIZ - 1)
/* Room above the MTU for a frame from the tap: the Ethernet header and one VLAN tag. */
#define PACKET_PORT_FRAME_EXTRA (14 + 4)
/* Receive buffer asked for on the packet socket (a burst of guest frames). */
#define PACKET_PORT_RCVBUF (2 * 1024 * 1024)

/*
 * packet_tap_name_ok() - may @name be given to a tap made through the API?
 * 1 to PACKET_TAP_NAME_MAX bytes of letters, digits, '_', '-' and '.',
 * starting with a letter, digit or '_' (so never "." or "..", never a
 * '%' template, '/', ':' or white space).
 */
bool packet_tap_name_ok(const char *name);

/*
 * packet_tap_create() - create the persistent tap @name (IFF_TAP |
 * IFF_NO_PI; an existing device of that name is never taken over), make
 * the kernel silent on it, set @mtu and bring it up; vgate's own tun fd is
 * closed again, so the tap is free for QEMU to attach to.
 * @ifindex: receives the new device's index
 * @err: why it failed, for the API's answer
 * Return: 0; -EEXIST (a device of that name exists); -EPERM or -EACCES
 * (no CAP_NET_ADMIN, or /dev/net/tun not accessible); -ENOENT (no
 * /dev/net/tun); other -errno. On failure nothing is left behind.
 */
int packet_tap_create(const char *name, unsigned mtu, int *ifindex, char *err, size_t errlen);

/*
 * packet_tap_claim() - attach a tun fd of vgate's to the tap @name that
 * packet_tap_create() made, as the first step of removing it; the tap and
 * its port keep working meanwhile
 * @ifindex: the index it was created with: a device of that name with
 *	another index is not ours and is left alone
 * Return: the fd (>= 0) for packet_tap_release(); -ENODEV when the tap is
 * gone already; -EBUSY while a process (QEMU) has it open; other -errno.
 */
int packet_tap_claim(const char *name, int ifindex);

/*
 * packet_tap_release() - clear the persistent flag through @fd (from
 * packet_tap_claim()) and close it: the tap is removed. Close its port
 * first. Return: 0 or -errno (@fd is closed in any case).
 */
int packet_tap_release(int fd);

/*
 * packet_tap_delete() - claim and release in one; with @force a tap a
 * process still has open is deleted through rtnetlink (RTM_DELLINK)
 * Return: 0 (also when it is gone already); -EBUSY (without @force);
 * other -errno.
 */
int packet_tap_delete(const char *name, int ifindex, bool force);

/*
 * packet_tap_carrier() - does a process have the tap open (its carrier,
 * asked through ETHTOOL_GLINK)?
 * Return: 1, 0, or -errno (e.g. -ENODEV when it is gone).
 */
int packet_tap_carrier(const char *name);

/*
 * packet_port_open() - an AF_PACKET socket bound to tap @name (@ifindex),
 * made a running switch port (REF_TAP_PORT). Frames longer than vgate's
 * MTU + PACKET_PORT_FRAME_EXTRA are dropped and counted as oversize (a
 * guest sends them when its NIC has segmentation offload on).
 * @on_close: told when the port closes, whoever closes it
 * Return: 0 with the port in *@out, or -errno (logged).
 */
int packet_port_open(const char *name, int ifindex, void (*on_close)(struct port *p),
		     struct port **out);

/*
 * packet_port_handle() - REF_TAP_PORT: read frames from the socket into
 * the switch, flush queued output, take socket errors (a tap set down is
 * not fatal; a tap deleted under vgate closes the port)
 */
void packet_port_handle(struct port *p, uint32_t events);

#endif
