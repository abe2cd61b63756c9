/* SPDX-License-Identifier: MIT */
/*
 * qmp_follow.h - vgate --qmp SOCKET: follow one QEMU through its monitor
 *
 * vgate connects to QEMU's QMP socket (-qmp unix:SOCKET,server=on,wait=off)
 * and, from the loop, without blocking:
 *   - exits cleanly (status 0) when QEMU reports SHUTDOWN (the guest
 *     powered off, or QEMU was asked to quit), and with status 1 when the
 *     monitor connection is lost without one (QEMU killed); with
 *     --qmp-keep-running it logs both and waits for a QEMU on the socket
 *     again;
 *   - logs NETDEV_STREAM_CONNECTED / NETDEV_STREAM_DISCONNECTED and
 *     DEVICE_DELETED;
 *   - learns each NIC's MAC (query-rx-filter, at connect and after every
 *     NIC_RX_FILTER_CHANGED) and reserves a DHCP address for it, so the
 *     guest's first DISCOVER is answered with an address already set
 *     aside (its static lease if it has one).
 * Until the socket exists or answers, vgate retries with a backoff
 * (QMP_FOLLOW_RETRY_MIN_MS doubling to _MAX_MS), logging once.
 */
#ifndef VGATE_QMP_FOLLOW_H
#define VGATE_QMP_FOLLOW_H

#include "loop.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#define QMP_FOLLOW_RETRY_MIN_MS 100
#define QMP_FOLLOW_RETRY_MAX_MS 2000
/* Bound on connect + greeting + qmp_capabilities, and on each command. */
#define QMP_FOLLOW_HANDSHAKE_MS 10000
#define QMP_FOLLOW_COMMAND_MS 10000
/* NICs whose MAC is remembered (to log a change once); more are still served. */
#define QMP_FOLLOW_NICS_MAX 32
/* The loop's exit code when QEMU went away without SHUTDOWN (logged here, exit status 1). */
#define QMP_FOLLOW_EXIT_LOST (-ENOLINK)

/*
 * qmp_follow_start() - start following the QMP monitor at @spec (a path or
 * unix:///path)
 * @keep_running: do not exit when the VM shuts down or QEMU goes away
 * Return: 0 (connected or retrying) or -EINVAL for an unusable @spec (logged).
 */
int qmp_follow_start(const char *spec, bool keep_running);

/* qmp_follow_handle() - REF_QMP: the monitor socket is ready */
void qmp_follow_handle(struct loop_ref *ref, uint32_t events);

/* qmp_follow_stop() - close the monitor connection (at exit) */
void qmp_follow_stop(void);

/*
 * qmp_follow_reserve() - reserve a DHCP address for @mac, as done for each
 * NIC QEMU reports (exposed for the unit tests)
 *
 * The address is @mac's static lease, the one it holds already, or the
 * lowest free one, bound to @mac for the lease time (so the guest's
 * DISCOVER is offered it). Nothing changes for a MAC that holds one.
 * Return: 0 with the address (host order) in *@ip and *@is_static set;
 * -ENOSPC (no free address).
 */
int qmp_follow_reserve(const uint8_t mac[6], uint32_t *ip, bool *is_static);

#endif
