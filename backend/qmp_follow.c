// SPDX-License-Identifier: MIT
/*
 * qmp_follow.c - vgate --qmp SOCKET: follow one QEMU through its monitor
 *
 * Theory of operation
 *
 * One QMP client (qmp/qmp_client.h) lives in the loop as REF_QMP. The
 * client never blocks; this file only tells the loop what the client
 * wants (readable always, writable while it has output queued or is
 * connecting) and keeps one loop timer on whichever comes first: the
 * client's deadline (handshake, a command's answer) or the next reconnect
 * attempt.
 *
 * States (of this file, around the client's own):
 *   IDLE      not started, or stopped at exit.
 *   WAITING   no connection: the socket is missing or refused, or the last
 *             connection failed before it was ready. The timer redials
 *             with a backoff from QMP_FOLLOW_RETRY_MIN_MS doubling to
 *             _MAX_MS. "waiting" is logged once per outage, not per try.
 *   CLIENT    a client exists (its own state says handshake or ready).
 *
 * What ends a connection decides what happens next:
 *   - a SHUTDOWN event: the VM is gone. Without --qmp-keep-running the
 *     loop is asked to quit with status 0 right there; with it, the
 *     connection is kept (QEMU may stay, -no-shutdown) and when QEMU
 *     closes it, WAITING again for a new QEMU on the same socket.
 *   - the connection lost after it was ready, without SHUTDOWN (QEMU
 *     killed or crashed): quit with an error, or WAITING with
 *     --qmp-keep-running.
 *   - a failure before it was ready (not QEMU at the other end, garbage,
 *     a handshake timeout): logged, WAITING.
 * The client is freed only here, after qmp_client_io() or
 * qmp_client_tick() returned (never inside its callbacks), and its fd
 * leaves the epoll set first; the ref is marked dead so an event of the
 * same batch is not dispatched to a freed client.
 *
 * Leases: at every ready connection, and after every NIC_RX_FILTER_CHANGED
 * (which QEMU sends once, until the next query-rx-filter for that NIC),
 * query-rx-filter (of every NIC: asking by name fails when a netdev has the
 * NIC's name) gives each NIC's name and "main-mac"; each MAC gets a
 * DHCP address reserved (qmp_follow_reserve()). A NIC's MAC is remembered
 * (QMP_FOLLOW_NICS_MAX of them) so only a new or changed one is logged at
 * info level. Every NIC of the VM is served, whatever its netdev: QMP does
 * not say which netdev leads to this vgate, and an address reserved for a
 * MAC that never asks simply expires with its lease time.
 */
#include "qmp_follow.h"

#include "dhcp_server.h"
#include "lease.h"
#include "log.h"
#include "netns.h"
#include "qmp_client.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#define COMP "qmp"

enum follow_state {
	FOLLOW_IDLE,
	FOLLOW_WAITING,
	FOLLOW_CLIENT,
};

struct follow_nic {
	char name[64];
	uint8_t mac[6];
};

static struct {
	enum follow_state state;
	struct loop_ref ref;
	struct loop_timer timer;
	struct qmp_client *c;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	bool keep_running;
	bool ready;	     /* this connection reached READY */
	bool shutdown_seen;  /* this connection reported SHUTDOWN */
	bool waiting_logged; /* "waiting for QEMU" said for this outage */
	uint32_t events;     /* what the fd is registered for */
	uint64_t backoff_ms;
	struct follow_nic nics[QMP_FOLLOW_NICS_MAX];
	unsigned nnics;
} fw;

static const char *str_member(yajl_val obj, const char *key)
{
	const char *path[] = { key, NULL };
	yajl_val v = obj ? yajl_tree_get(obj, path, yajl_t_string) : NULL;

	return v ? v->u.string : NULL;
}

/* --- leases ------------------------------------------------------------------------- */

int qmp_follow_reserve(const uint8_t mac[6], uint32_t *ip, bool *is_static)
{
	struct lease_table *t = &dhcp_server_leases;
	uint64_t now = now_ms();
	const struct lease *s;
	uint32_t a = lease_find_mac(t, mac, now);
	int r;

	if (!a) {
		r = lease_offer(t, mac, 0, now, &a);
		if (r < 0)
			return r;
	}
	s = lease_slot(t, a);
	*ip = a;
	*is_static = s && s->is_static;
	if (*is_static || (s && s->state == LEASE_BOUND))
		return 0;
	/* Bound for the lease time: lease_offer() finds it for the guest's DISCOVER. */
	r = lease_request(t, mac, a, now, (uint64_t)vg->cfg.lease_secs * 1000, NULL);
	return r == 0 ? 0 : -ENOSPC;
}

/* Remember @mac for @nic. Return: true when it is new or changed. */
static bool nic_note(const char *nic, const uint8_t mac[6])
{
	struct follow_nic *n = NULL;

	for (unsigned i = 0; i < fw.nnics && !n; i++)
		if (!strcmp(fw.nics[i].name, nic))
			n = &fw.nics[i];
	if (n && !memcmp(n->mac, mac, 6))
		return false;
	if (!n && fw.nnics < QMP_FOLLOW_NICS_MAX) {
		n = &fw.nics[fw.nnics++];
		snprintf(n->name, sizeof(n->name), "%s", nic);
	}
	if (n)
		memcpy(n->mac, mac, 6);
	return true;
}

static void reserve_nic(const char *nic, const char *macs)
{
	char ip[INET_ADDRSTRLEN];
	uint8_t mac[6];
	uint32_t a;
	bool st;
	int r;

	if (mac_parse(macs, mac) < 0) {
		log_warn(COMP, "query-rx-filter: NIC %s has an unreadable MAC '%.32s'", nic, macs);
		return;
	}
	r = qmp_follow_reserve(mac, &a, &st);
	if (r < 0) {
		log_warn(COMP, "NIC %s (MAC %s): no free address to reserve", nic, macs);
		return;
	}
	a = htonl(a);
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (nic_note(nic, mac))
		log_info(COMP, "NIC %s has MAC %s: %s reserved for it (%s)", nic, macs, ip,
			 st ? "its static lease" : "until the guest asks, or its lease time");
	else
		log_debug(COMP, "NIC %s (MAC %s) still holds %s", nic, macs, ip);
}

static void on_rx_filter(struct qmp_client *c, struct qmp_msg *reply, int err, void *ud)
{
	(void)c;
	(void)ud;
	if (err == -EREMOTEIO) {
		log_warn(COMP, "query-rx-filter: %s: %s", reply->err_class, reply->err_desc);
		return;
	}
	if (err < 0) {
		if (err != -ECANCELED)
			log_warn(COMP, "query-rx-filter: %s", strerror(-err));
		return;
	}
	if (!YAJL_IS_ARRAY(reply->value)) {
		log_warn(COMP, "query-rx-filter: the answer is not a list");
		return;
	}
	for (size_t i = 0; i < reply->value->u.array.len; i++) {
		yajl_val nic = reply->value->u.array.values[i];
		const char *name = str_member(nic, "name"), *mac = str_member(nic, "main-mac");

		if (name && mac)
			reserve_nic(name, mac);
	}
}

/*
 * query-rx-filter for every NIC. Not by name: a NIC's net client is named
 * after its device, and when a netdev has the same id QEMU finds that
 * first and refuses ("isn't a NIC"). Querying re-arms each NIC's event.
 */
static void query_rx_filter(void)
{
	int r = qmp_client_execute(fw.c, "query-rx-filter", NULL, QMP_FOLLOW_COMMAND_MS,
				   on_rx_filter, NULL);

	if (r < 0)
		log_warn(COMP, "cannot ask for query-rx-filter: %s", strerror(-r));
}

/* --- events ------------------------------------------------------------------------- */

static void describe_addr(yajl_val addr, char *buf, size_t len)
{
	const char *type = str_member(addr, "type"), *path = str_member(addr, "path");
	const char *host = str_member(addr, "host"), *port = str_member(addr, "port");

	if (path)
		snprintf(buf, len, " (%s %s)", type ? type : "unix", path);
	else if (host && port)
		snprintf(buf, len, " (%s %s:%s)", type ? type : "inet", host, port);
	else
		buf[0] = '\0';
}

static void on_event(struct qmp_client *c, struct qmp_msg *ev, void *ud)
{
	const char *name = ev->event, *id;
	char addr[200];

	(void)c;
	(void)ud;
	if (!strcmp(name, "SHUTDOWN")) {
		const char *path[] = { "guest", NULL };
		yajl_val guest = ev->value ? yajl_tree_get(ev->value, path, yajl_t_any) : NULL;
		const char *reason = str_member(ev->value, "reason");

		fw.shutdown_seen = true;
		log_info(COMP, "QEMU reports SHUTDOWN (%s%s)", reason ? reason : "no reason given",
			 YAJL_IS_TRUE(guest) ? ", by the guest" : "");
		if (!fw.keep_running) {
			log_info(COMP, "the VM is gone: exiting (--qmp-keep-running keeps vgate)");
			loop_quit(&vg->loop, 0);
		}
	} else if (!strcmp(name, "NETDEV_STREAM_CONNECTED")) {
		const char *path[] = { "addr", NULL };

		id = str_member(ev->value, "netdev-id");
		describe_addr(ev->value ? yajl_tree_get(ev->value, path, yajl_t_object) : NULL,
			      addr, sizeof(addr));
		log_info(COMP, "QEMU netdev %s connected%s", id ? id : "?", addr);
	} else if (!strcmp(name, "NETDEV_STREAM_DISCONNECTED")) {
		id = str_member(ev->value, "netdev-id");
		log_info(COMP, "QEMU netdev %s disconnected", id ? id : "?");
	} else if (!strcmp(name, "NIC_RX_FILTER_CHANGED")) {
		id = str_member(ev->value, "name");
		log_debug(COMP, "NIC_RX_FILTER_CHANGED for %s", id ? id : "?");
		query_rx_filter();
	} else if (!strcmp(name, "DEVICE_DELETED")) {
		id = str_member(ev->value, "device");
		if (id)
			log_info(COMP, "QEMU device %s deleted", id);
	} else {
		log_debug(COMP, "event %s", name);
	}
}

static void on_state(struct qmp_client *c, enum qmp_state st, void *ud)
{
	int maj, min, mic;

	(void)ud;
	if (st != QMP_STATE_READY)
		return;
	fw.ready = true;
	fw.backoff_ms = QMP_FOLLOW_RETRY_MIN_MS;
	qmp_client_version(c, &maj, &min, &mic);
	if (maj >= 0)
		log_info(COMP, "--qmp %s: following QEMU %d.%d.%d", fw.path, maj, min, mic);
	else
		log_info(COMP, "--qmp %s: following QEMU (its greeting has no version)", fw.path);
	query_rx_filter();
}

static const struct qmp_client_ops follow_ops = { .event = on_event, .state = on_state };

/* --- the connection ------------------------------------------------------------------ */

static void schedule_retry(void)
{
	fw.state = FOLLOW_WAITING;
	loop_timer_arm(&vg->loop, &fw.timer, fw.backoff_ms);
	fw.backoff_ms = MIN(fw.backoff_ms * 2, (uint64_t)QMP_FOLLOW_RETRY_MAX_MS);
}

/* The client closed: take it out of the loop, free it, decide what follows. */
static void lost(void)
{
	char why[QMP_ERROR_MAX];
	bool was_ready = fw.ready;

	snprintf(why, sizeof(why), "%s", qmp_client_error(fw.c));
	loop_del(&vg->loop, qmp_client_fd(fw.c));
	fw.ref.dead = true;
	qmp_client_free(fw.c);
	fw.c = NULL;
	fw.ready = false;
	fw.waiting_logged = false;
	if (!was_ready) {
		log_warn(COMP, "--qmp %s: %s; retrying", fw.path, why);
		schedule_retry();
		return;
	}
	if (fw.shutdown_seen && !fw.keep_running)
		return; /* the loop is quitting already */
	if (fw.keep_running) {
		log_info(COMP, "--qmp %s: QEMU went away (%s); waiting for it to come back",
			 fw.path, why);
		fw.waiting_logged = true;
		fw.backoff_ms = QMP_FOLLOW_RETRY_MIN_MS;
		schedule_retry();
		return;
	}
	log_err(COMP,
		"--qmp %s: the monitor connection ended without a SHUTDOWN event (%s): "
		"exiting",
		fw.path, why);
	loop_quit(&vg->loop, QMP_FOLLOW_EXIT_LOST);
}

/* After every call into the client: epoll interest and the timer follow it. */
static void sync_client(void)
{
	uint32_t want;
	uint64_t d, now;

	if (!fw.c)
		return;
	if (qmp_client_state(fw.c) == QMP_STATE_CLOSED) {
		lost();
		return;
	}
	want = EPOLLIN | (qmp_client_want_write(fw.c) ? EPOLLOUT : 0);
	if (want != fw.events && loop_mod(&vg->loop, qmp_client_fd(fw.c), want, &fw.ref) == 0)
		fw.events = want;
	d = qmp_client_deadline(fw.c);
	now = now_ms();
	if (d)
		loop_timer_arm(&vg->loop, &fw.timer, d > now ? d - now : 0);
	else
		loop_timer_cancel(&vg->loop, &fw.timer);
}

static void dial(void)
{
	int r = qmp_client_connect(fw.path, &follow_ops, NULL, QMP_FOLLOW_HANDSHAKE_MS, &fw.c);

	if (r < 0) {
		fw.c = NULL;
		if (!fw.waiting_logged)
			log_info(COMP, "--qmp %s: %s; waiting for QEMU", fw.path, strerror(-r));
		fw.waiting_logged = true;
		schedule_retry();
		return;
	}
	fw.state = FOLLOW_CLIENT;
	fw.ready = false;
	fw.shutdown_seen = false;
	fw.ref.kind = REF_QMP;
	fw.ref.dead = false;
	fw.events = EPOLLIN | (qmp_client_want_write(fw.c) ? EPOLLOUT : 0);
	r = loop_add(&vg->loop, qmp_client_fd(fw.c), fw.events, &fw.ref);
	if (r < 0) {
		log_warn(COMP, "--qmp %s: cannot watch the socket: %s", fw.path, strerror(-r));
		qmp_client_free(fw.c);
		fw.c = NULL;
		schedule_retry();
		return;
	}
	log_debug(COMP, "--qmp %s: connected, waiting for the greeting", fw.path);
	sync_client();
}

static void on_timer(struct loop_timer *t)
{
	(void)t;
	if (fw.state == FOLLOW_WAITING) {
		dial();
		return;
	}
	if (fw.c) {
		qmp_client_tick(fw.c, now_ms());
		sync_client();
	}
}

void qmp_follow_handle(struct loop_ref *ref, uint32_t events)
{
	(void)ref;
	(void)events;
	if (!fw.c)
		return;
	qmp_client_io(fw.c);
	sync_client();
}

int qmp_follow_start(const char *spec, bool keep_running)
{
	const char *path = spec;
	size_t n;

	if (!strncmp(spec, "unix://", 7))
		path = spec + 7;
	n = strlen(path);
	if (path[0] != '/' || n >= sizeof(fw.path)) {
		log_err(COMP,
			"--qmp %s: needs an absolute path (or unix:///path) of at most %zu "
			"bytes",
			spec, sizeof(fw.path) - 1);
		return -EINVAL;
	}
	memset(&fw, 0, sizeof(fw));
	memcpy(fw.path, path, n + 1);
	fw.keep_running = keep_running;
	fw.timer.fn = on_timer;
	fw.ref.kind = REF_QMP;
	fw.backoff_ms = QMP_FOLLOW_RETRY_MIN_MS;
	dial();
	return 0;
}

void qmp_follow_stop(void)
{
	if (fw.state == FOLLOW_IDLE)
		return;
	loop_timer_cancel(&vg->loop, &fw.timer);
	if (fw.c) {
		loop_del(&vg->loop, qmp_client_fd(fw.c));
		qmp_client_free(fw.c);
		fw.c = NULL;
	}
	fw.state = FOLLOW_IDLE;
}
