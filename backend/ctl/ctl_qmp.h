/* SPDX-License-Identifier: MIT */
/*
 * ctl_qmp.h - vgatectl attach / detach: hot-plug a NIC wired to vgate into
 * a running QEMU, or remove it, through QMP
 *
 *   vgatectl attach --qmp SOCKET [--qemu-socket URL] [--mac MAC] [--id ID]
 *   vgatectl detach --qmp SOCKET --id ID
 *
 * attach: netdev_add a "stream" netdev (client) connected to one of vgate's
 * QEMU listeners, wait until QEMU reports it connected, then device_add a
 * virtio-net-pci NIC on it. vgate's API (the global --socket) supplies
 * the listener (GET /v1/listeners; when vgate does not listen on the
 * socket asked for, or on any, POST /v1/listeners opens it) and the
 * default MAC: the first static lease whose MAC is neither attached to
 * vgate nor already a NIC of this VM. A failed step undoes the ones
 * before it (netdev_del).
 *
 * detach: device_del, wait for DEVICE_DELETED (the guest has to release
 * the PCI device, so this is bounded by --timeout), then netdev_del.
 *
 * --id ID names the device; its netdev is ID-net.
 */
#ifndef VGATE_CTL_QMP_H
#define VGATE_CTL_QMP_H

#include "qmp_client.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yajl/yajl_tree.h>

/* QEMU's limit for ids is longer; vgatectl keeps them short. */
#define CTL_QMP_ID_MAX 64
/* Longest id an event may name and still be recorded (netdev ids are ID-net). */
#define CTL_QMP_EVENT_ID_MAX (CTL_QMP_ID_MAX + 8)
/* attach without --id tries vgate0, vgate1, ... up to this many. */
#define CTL_QMP_AUTO_IDS 32

/* What vgatectl.c parsed for attach and detach. */
struct ctl_qmp_args {
	const char *api_socket;	 /* vgate's API (global --socket or its default) */
	bool json;		 /* print a JSON object instead of a sentence */
	int timeout_ms;		 /* each step: API exchange, QMP handshake, command, wait */
	const char *qmp;	 /* --qmp: the QEMU monitor socket */
	const char *qemu_socket; /* --qemu-socket: the vgate listener the netdev connects to */
	const char *mac;	 /* --mac */
	const char *id;		 /* --id: netdev and device id */
	const char *domain;	 /* --domain: libvirt (not supported here) */
	int nargs;		 /* words after the command (must be 0) */
};

/* Return: an exit code (0 ok, 1 error, 2 usage, 3 API unreachable, 4 QMP unusable). */
int ctl_qmp_attach(const struct ctl_qmp_args *a);
int ctl_qmp_detach(const struct ctl_qmp_args *a);

/* --- pieces with no I/O (unit-tested) ----------------------------------------------- */

/* ctl_qmp_id_valid() - QEMU's id rule: a letter, then letters, digits, '-', '.', '_'. */
bool ctl_qmp_id_valid(const char *id);

/*
 * ctl_qmp_mac_parse() - "aa:bb:cc:dd:ee:ff" (either case) into @mac
 * Return: 0 or -EINVAL (also for a multicast address).
 */
int ctl_qmp_mac_parse(const char *s, uint8_t mac[6]);

/* The netdev's target: one of vgate's QEMU listeners. */
struct ctl_qmp_target {
	bool is_unix;
	char path[108]; /* unix */
	char host[64];	/* tcp: numeric, without brackets */
	char port[8];
	char url[128]; /* normalised: unix:///path or tcp://host:port */
};

/*
 * ctl_qmp_target_parse() - a unix:///path, a plain path or tcp://HOST:PORT
 * Return: 0 or -EINVAL (-ENAMETOOLONG for a path over 107 bytes).
 */
int ctl_qmp_target_parse(const char *s, struct ctl_qmp_target *t);

/*
 * ctl_qmp_pick_listener() - from GET /v1/listeners, the listener to use:
 * @want (if given) when vgate serves it; otherwise the first "qemu" one
 * with a unix URL, else the first "qemu" one with a tcp URL
 * Return: 0 with @t filled; -ENOENT (none, or not @want); -EPROTO (not
 * the expected shape).
 */
int ctl_qmp_pick_listener(yajl_val listeners, const struct ctl_qmp_target *want,
			  struct ctl_qmp_target *t);

/*
 * ctl_qmp_pick_mac() - the first static lease of GET /v1/leases whose MAC
 * is not in @used (@nused MACs: vgate's ports, the VM's NICs)
 * @ip: receives the lease's address text
 * Return: 0; -ENOENT (every static lease is in use); -EPROTO (shape).
 */
int ctl_qmp_pick_mac(yajl_val leases, const uint8_t (*used)[6], size_t nused, uint8_t mac[6],
		     char *ip, size_t iplen);

/*
 * struct ctl_qmp_events - what the QMP event callback saw, so a wait can
 * find an event that arrived before the answer it follows (QEMU sends
 * events and answers interleaved)
 */
struct ctl_qmp_events {
	char connected[CTL_QMP_AUTO_IDS][CTL_QMP_EVENT_ID_MAX]; /* netdev ids seen connected */
	unsigned nconnected;
	char deleted[CTL_QMP_AUTO_IDS][CTL_QMP_EVENT_ID_MAX]; /* device ids seen deleted */
	unsigned ndeleted;
	const char *want_connected; /* a wait in progress for this netdev id ... */
	const char *want_deleted;   /* ... or this device id */
	bool hit;		    /* ... has been seen */
};

/*
 * ctl_qmp_event_record() - note NETDEV_STREAM_CONNECTED and DEVICE_DELETED
 * in @ev (the rest is ignored); call it from the client's event callback
 */
void ctl_qmp_event_record(struct ctl_qmp_events *ev, const struct qmp_msg *m);

/*
 * ctl_qmp_hotplug() - the QMP half of attach on a READY client: netdev_add,
 * wait for NETDEV_STREAM_CONNECTED, device_add; undo on failure
 * @id_auto: @id was chosen by vgatectl: on "Duplicate ID" try the next
 *	vgateN (@id is updated; it must hold CTL_QMP_ID_MAX + 1 bytes)
 * @events: where the event callback of @c records what it saw (see
 *	struct ctl_qmp_events); the caller's ops->event must feed it
 * Return: 0, or -errno with @err saying what failed and why.
 */
int ctl_qmp_hotplug(struct qmp_client *c, struct ctl_qmp_events *ev, char *id, bool id_auto,
		    const char *mac, const struct ctl_qmp_target *t, int timeout_ms, char *err,
		    size_t errlen);

/*
 * ctl_qmp_unplug() - the QMP half of detach: device_del, wait for
 * DEVICE_DELETED, netdev_del
 * Return: 0, or -errno with @err saying what failed and why.
 */
int ctl_qmp_unplug(struct qmp_client *c, struct ctl_qmp_events *ev, const char *id, int timeout_ms,
		   char *err, size_t errlen);

#endif
