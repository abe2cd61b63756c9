/* SPDX-License-Identifier: MIT */
/*
 * vgate.h - the daemon's state and the operations its parts share
 *
 * One struct vgate per process (one virtual network). The transports create
 * ports and hand frames to the switch; the switch calls back to deliver
 * frames to ports or the gateway. Everything runs on the loop's thread.
 */
#ifndef VGATE_VGATE_H
#define VGATE_VGATE_H

#include "config.h"
#include "flow_info.h"
#include "loop.h"
#include "options.h"
#include "port.h"
#include "switch.h"
#include "url.h"

#include <stdint.h>

/* Listeners of all kinds one process may open. */
#define VGATE_LISTENERS_MAX 64

/* Counters for frames the transports refused before the switch saw them. */
struct vgate_drop_stats {
	uint64_t runts;	     /* frames shorter than 14 bytes */
	uint64_t oversize;   /* frames over the transport's maximum */
	uint64_t ports_full; /* connections refused: SWITCH_PORTS_MAX reached */
	uint64_t bad_handshakes;
};

enum listener_kind {
	LISTENER_QEMU,	   /* accept: BE32 ports */
	LISTENER_VPNKIT,   /* accept: vpnkit handshake ports */
	LISTENER_API,	   /* accept: HTTP, /connect allowed */
	LISTENER_SERVICES, /* accept: HTTP, no /connect */
	LISTENER_BESS,	   /* accept: SEQPACKET ports */
};

struct listener {
	struct loop_ref ref;
	enum listener_kind kind;
	int fd;
	struct stream_url url;
	char spec[STREAM_URL_PATH_MAX + 32];
	uint64_t accepted;
	uint64_t refused;
};

/* --connect-qemu: vgate dials a QEMU server=on stream and redials. */
#define QEMU_CLIENT_BACKOFF_MIN_MS 100
#define QEMU_CLIENT_BACKOFF_MAX_MS 5000

struct qemu_client {
	struct loop_ref ref;
	struct loop_timer retry;
	struct stream_url url;
	char spec[STREAM_URL_PATH_MAX + 32];
	int fd;		   /* while connecting */
	struct port *port; /* while connected */
	uint64_t backoff_ms;
	uint64_t connects;
};

struct vgate {
	struct loop loop;
	struct vswitch sw;
	struct vgate_options *opt;
	struct port *ports[SWITCH_PORTS_MAX];
	struct port *flush_list;
	struct port *all_ports;
	struct listener *listeners[VGATE_LISTENERS_MAX];
	unsigned n_listeners;
	struct qemu_client *clients[OPT_LIST_MAX];
	unsigned n_clients;
	struct loop_timer age_timer;
	struct vgate_drop_stats drops;
	struct vgate_config cfg;
	unsigned next_mac; /* vpnkit clients get the device MAC counting up */
};

extern struct vgate *vg;

/* port.c */
struct port *port_new(enum port_origin origin, int rfd, int wfd, enum stream_framing framing,
		      bool is_socket, const char *name);
int port_attach(struct port *p, enum port_state state);
void port_close(struct port *p, const char *why);
void port_handle(struct port *p, uint32_t events);
int port_deliver(struct port *p, const uint8_t *frame, size_t len);
void port_flush_all(void);
void port_assign_mac(uint8_t mac[6]);

/* transport.c */
int transport_listen(enum listener_kind kind, const char *spec);
int transport_listen_dgram(const char *spec);
int transport_stdio(void);
int transport_connect_qemu(const char *spec);
void transport_listener_handle(struct listener *l);
void transport_client_handle(struct qemu_client *c, uint32_t events);
void transport_client_lost(struct qemu_client *c);
void transport_close_all(void);

/* http_port.c: raw routes and the minimal HTTP answers before the API lands */
void http_port_head(struct port *p);
/* The /tunnel connections, for GET /v1/flows. */
void http_port_foreach(flow_visit_fn fn, void *arg);

#endif
