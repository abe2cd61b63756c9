/* SPDX-License-Identifier: MIT */
/*
 * port.h - a VM's attachment to the switch over one transport
 *
 * A port owns one stream_conn (the fds, the frame decoder, the bounded
 * output queue) and walks through these states:
 *
 *   PORT_VPNKIT_HELLO  vpnkit client: waiting for the 49-byte hello
 *   PORT_VPNKIT_CMD    vpnkit client: waiting for the 41-byte command
 *   PORT_HTTP_HEAD     API connection: waiting for a request head; /connect
 *                      turns it into a LE16 port, anything else is answered
 *                      by the HTTP side and closed
 *   PORT_RUNNING       frames flow both ways through the switch
 *   PORT_CLOSED        fds closed, switch port released; freed after the
 *                      loop's batch
 *
 * Handshake reads take exactly the bytes the handshake needs, so frames sent
 * right behind a handshake or a request stay in the socket for the decoder.
 * A port that misbehaves (oversized frame, socket error, handshake garbage)
 * is closed alone; every other port keeps running.
 */
#ifndef VGATE_PORT_H
#define VGATE_PORT_H

#include "conn.h"
#include "loop.h"
#include "vpnkit.h"

#include <stdbool.h>
#include <stdint.h>

enum port_state {
	PORT_VPNKIT_HELLO,
	PORT_VPNKIT_CMD,
	PORT_HTTP_HEAD,
	PORT_RUNNING,
	PORT_CLOSED,
};

/* What kind of endpoint the port came from, for names and stats. */
enum port_origin {
	PORT_FROM_QEMU,	   /* -listen-qemu, --connect-qemu: BE32 stream */
	PORT_FROM_VPNKIT,  /* -listen-vpnkit: handshake, then LE16 */
	PORT_FROM_CONNECT, /* -listen ... POST /connect: LE16 */
	PORT_FROM_STDIO,   /* -listen-stdio: LE16 over stdin/stdout */
	PORT_FROM_BESS,	   /* -listen-bess: SEQPACKET */
	PORT_FROM_DGRAM,   /* -listen-vfkit / QEMU -netdev dgram */
	PORT_FROM_NETNS,   /* --netns: a tap in a namespace */
	PORT_FROM_TAP,	   /* POST /v1/taps: a tap read through AF_PACKET */
};

/* An accepted API connection must send its request head within this time. */
#define PORT_HANDSHAKE_TIMEOUT_MS 10000

struct listener;
struct qemu_client;

struct port {
	struct loop_ref ref;
	struct loop_deferred deferred;
	struct loop_timer handshake_timer;
	enum port_state state;
	enum port_origin origin;
	int id; /* switch port number, -1 while not attached */
	char name[160];
	struct stream_conn conn;
	uint32_t events; /* currently registered epoll events */
	bool flush_queued;
	struct port *flush_next;
	uint8_t hs[VPNKIT_HELLO_LEN];
	size_t hslen;
	bool allow_connect; /* PORT_HTTP_HEAD: /connect permitted here */
	bool mac_known;
	uint8_t mac[6];
	uint64_t created_ms;
	struct qemu_client *client;	  /* reconnect owner, if any */
	char unlink_path[108];		  /* socket file removed when the port closes */
	struct port *all_prev, *all_next; /* every live port, for shutdown */
	void (*on_close)(struct port *p); /* told once by port_close(), before the free */
};

const char *port_origin_name(enum port_origin origin);

#endif
