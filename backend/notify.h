/* SPDX-License-Identifier: MIT */
/*
 * notify.h - gvproxy's -notification events
 *
 * With -notification unix:///path, vgate connects to that socket and writes
 * one JSON object per line for each event, as gvproxy does:
 *   {"notification_type":"ready"}
 *   {"notification_type":"connection_established","mac_address":"5a:94:..."}
 *   {"notification_type":"connection_closed","mac_address":"5a:94:..."}
 *   {"notification_type":"hypervisor_error","mac_address":"..."}
 * A VM's connection is "established" when its first frame shows its MAC.
 * Writes never block: a listener that stops reading loses events (counted).
 */
#ifndef VGATE_NOTIFY_H
#define VGATE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

enum notify_event {
	NOTIFY_READY,
	NOTIFY_CONNECTION_ESTABLISHED,
	NOTIFY_CONNECTION_CLOSED,
	NOTIFY_HYPERVISOR_ERROR,
};

/* Return: 0 or -errno (the socket could not be reached). */
int notify_open(const char *url);
void notify_send(enum notify_event ev, const uint8_t *mac);
void notify_close(void);

/* Build one event line into @buf. Return: length, or -ENOSPC. */
int notify_format(enum notify_event ev, const uint8_t *mac, char *buf, size_t cap);

#endif
