// SPDX-License-Identifier: MIT
/*
 * ctl_qmp.c - vgatectl attach / detach: hot-plug a NIC wired to vgate into
 * a running QEMU, or remove it, through QMP
 *
 * Theory of operation
 *
 * Two peers are involved: QEMU's monitor (qmp/, used blocking here: each
 * step waits at most --timeout) and vgate's HTTP API (http_client.c). The
 * monitor comes first, so a wrong --qmp fails before vgate is touched.
 *
 * attach, step by step:
 *   1. QMP: connect, greeting, qmp_capabilities; query-rx-filter lists the
 *      VM's NICs (their names and MACs: the default id and MAC avoid them).
 *   2. API: GET /v1/listeners. The netdev connects to --qemu-socket when
 *      given (POST /v1/listeners first if vgate does not serve it), else
 *      to vgate's first QEMU listener (unix preferred), else to a new one,
 *      unix://DIR/qemu.sock next to the API socket (POST /v1/listeners).
 *   3. API: the MAC, unless --mac: the first static lease (GET /v1/leases)
 *      whose MAC is neither on one of vgate's ports (GET /v1/ports) nor a
 *      NIC of this VM; failing that a random 5a:94:ef:xx:xx:xx, which
 *      vgate's DHCP serves from its pool.
 *   4. QMP: netdev_add {"type":"stream","server":false,"addr":...}; wait
 *      for NETDEV_STREAM_CONNECTED of that netdev (QEMU's stream connect is
 *      asynchronous: netdev_add succeeds even when nothing listens, and
 *      this event is the only sign it worked); device_add virtio-net-pci
 *      with the MAC. A failure after netdev_add undoes it (netdev_del).
 *      Without --id the id is vgateN, the first N no NIC uses; a netdev
 *      left with that id by someone else ("Duplicate ID") moves on to the
 *      next N.
 *
 * The device's id is ID (--id, or vgateN), its netdev's ID-net: a NIC's
 * net client is named after its device, and QEMU finds net clients by
 * name, so the two must differ.
 *
 * detach: device_del; wait for DEVICE_DELETED of that device (the guest
 * must release a PCI device, so it may never come: bounded by --timeout,
 * and the netdev is then left alone); netdev_del.
 *
 * Events can arrive before the answer to the command that caused them,
 * so the event callback records every NETDEV_STREAM_CONNECTED and
 * DEVICE_DELETED (struct ctl_qmp_events) and a wait first looks at what
 * was recorded.
 *
 * Errors name the step, QEMU's error class and text and what the class
 * means (qmp_error_class_hint()). Exit codes: 0 done; 1 QEMU or vgate
 * refused, or a step timed out; 2 usage; 3 vgate's API socket could not
 * be connected to; 4 the QMP socket could not be connected to or did not
 * complete the handshake.
 */
#include "ctl_qmp.h"

#include "cli.h"

#include "http_client.h"
#include "json_tree.h"
#include "qmp_args.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/un.h>
#include <unistd.h>

#define ERR_MAX 768
#define NETDEV_SUFFIX "-net"
#define NETDEV_ID_MAX (CTL_QMP_ID_MAX + sizeof(NETDEV_SUFFIX))
/* Most MACs avoided when choosing one (vgate's ports and the VM's NICs). */
#define USED_MACS_MAX 512

static const uint8_t mac_prefix[3] = { 0x5a, 0x94, 0xef };

/* --- pieces with no I/O -------------------------------------------------------------- */

bool ctl_qmp_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > CTL_QMP_ID_MAX ||
	    !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z')))
		return false;
	for (size_t i = 1; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.' || c == '_'))
			return false;
	}
	return true;
}

int ctl_qmp_mac_parse(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int hi = hex_digit(s[3 * i]), lo = hex_digit(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return mac[0] & 1 ? -EINVAL : 0;
}

static void mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

int ctl_qmp_target_parse(const char *s, struct ctl_qmp_target *t)
{
	const char *hp, *colon;
	struct in6_addr a6;
	struct in_addr a4;
	unsigned long port;
	char *end;
	size_t hl;

	memset(t, 0, sizeof(*t));
	if (!strncmp(s, "tcp://", 6)) {
		hp = s + 6;
		colon = strrchr(hp, ':');
		if (!colon || colon == hp)
			return -EINVAL;
		hl = (size_t)(colon - hp);
		if (hp[0] == '[') {
			if (hl < 3 || hp[hl - 1] != ']')
				return -EINVAL;
			hp++;
			hl -= 2;
		}
		if (hl >= sizeof(t->host))
			return -EINVAL;
		memcpy(t->host, hp, hl);
		t->host[hl] = '\0';
		if (inet_pton(AF_INET, t->host, &a4) != 1 && inet_pton(AF_INET6, t->host, &a6) != 1)
			return -EINVAL;
		errno = 0;
		port = strtoul(colon + 1, &end, 10);
		if (errno || *end || colon[1] < '0' || colon[1] > '9' || port == 0 || port > 65535)
			return -EINVAL;
		snprintf(t->port, sizeof(t->port), "%lu", port);
		snprintf(t->url, sizeof(t->url),
			 strchr(t->host, ':') ? "tcp://[%s]:%s" : "tcp://%s:%s", t->host, t->port);
		return 0;
	}
	if (!strncmp(s, "unix://", 7))
		s += 7;
	if (!*s)
		return -EINVAL;
	if (strlen(s) >= sizeof(t->path))
		return -ENAMETOOLONG;
	t->is_unix = true;
	snprintf(t->path, sizeof(t->path), "%s", s);
	snprintf(t->url, sizeof(t->url), "unix://%s", s);
	return 0;
}

static const char *str_member(yajl_val obj, const char *key)
{
	yajl_val v = json_tree_get(obj, key);

	return YAJL_IS_STRING(v) ? v->u.string : NULL;
}

static bool same_target(const struct ctl_qmp_target *a, const struct ctl_qmp_target *b)
{
	if (a->is_unix != b->is_unix)
		return false;
	if (a->is_unix)
		return !strcmp(a->path, b->path);
	return !strcmp(a->host, b->host) && !strcmp(a->port, b->port);
}

int ctl_qmp_pick_listener(yajl_val listeners, const struct ctl_qmp_target *want,
			  struct ctl_qmp_target *t)
{
	bool found_tcp = false;
	struct ctl_qmp_target tcp;

	if (!YAJL_IS_ARRAY(listeners))
		return -EPROTO;
	for (size_t i = 0; i < listeners->u.array.len; i++) {
		yajl_val l = listeners->u.array.values[i];
		const char *kind = str_member(l, "kind"), *url = str_member(l, "url");
		struct ctl_qmp_target cand;

		if (!kind || !url)
			return -EPROTO;
		if (strcmp(kind, "qemu") != 0 || ctl_qmp_target_parse(url, &cand) < 0)
			continue;
		if (want) {
			if (same_target(want, &cand)) {
				*t = cand;
				return 0;
			}
			continue;
		}
		if (cand.is_unix) {
			*t = cand;
			return 0;
		}
		if (!found_tcp) {
			tcp = cand;
			found_tcp = true;
		}
	}
	if (!found_tcp)
		return -ENOENT;
	*t = tcp;
	return 0;
}

static bool mac_used(const uint8_t mac[6], const uint8_t (*used)[6], size_t nused)
{
	for (size_t i = 0; i < nused; i++)
		if (!memcmp(used[i], mac, 6))
			return true;
	return false;
}

int ctl_qmp_pick_mac(yajl_val leases, const uint8_t (*used)[6], size_t nused, uint8_t mac[6],
		     char *ip, size_t iplen)
{
	if (!YAJL_IS_ARRAY(leases))
		return -EPROTO;
	for (size_t i = 0; i < leases->u.array.len; i++) {
		yajl_val l = leases->u.array.values[i];
		const char *m = str_member(l, "mac"), *a = str_member(l, "ip");
		uint8_t cand[6];

		if (!m || !a)
			return -EPROTO;
		if (!YAJL_IS_TRUE(json_tree_get(l, "static")) || ctl_qmp_mac_parse(m, cand) < 0 ||
		    mac_used(cand, used, nused))
			continue;
		memcpy(mac, cand, 6);
		snprintf(ip, iplen, "%s", a);
		return 0;
	}
	return -ENOENT;
}

void ctl_qmp_event_record(struct ctl_qmp_events *ev, const struct qmp_msg *m)
{
	const char *id;

	if (m->type != QMP_MSG_EVENT)
		return;
	if (!strcmp(m->event, "NETDEV_STREAM_CONNECTED")) {
		id = str_member(m->value, "netdev-id");
		if (!id)
			return;
		if (ev->nconnected < CTL_QMP_AUTO_IDS)
			snprintf(ev->connected[ev->nconnected++], sizeof(ev->connected[0]), "%s",
				 id);
		if (ev->want_connected && !strcmp(id, ev->want_connected))
			ev->hit = true;
	} else if (!strcmp(m->event, "DEVICE_DELETED")) {
		id = str_member(m->value, "device");
		if (!id)
			return;
		if (ev->ndeleted < CTL_QMP_AUTO_IDS)
			snprintf(ev->deleted[ev->ndeleted++], sizeof(ev->deleted[0]), "%s", id);
		if (ev->want_deleted && !strcmp(id, ev->want_deleted))
			ev->hit = true;
	}
}

/* --- QMP steps ----------------------------------------------------------------------- */

static __attribute__((format(printf, 3, 4))) void say(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Describe a failed command in @err. Return: @r. */
static int cmd_error(struct qmp_client *c, const char *name, int r, const struct qmp_result *res,
		     int timeout_ms, char *err, size_t errlen)
{
	if (r == -EREMOTEIO)
		say(err, errlen, "%s: %s: %s (%s)", name, res->err_class, res->err_desc,
		    qmp_error_class_hint(res->err_class));
	else if (r == -ETIMEDOUT)
		say(err, errlen, "%s: no answer from QEMU within %d s", name, timeout_ms / 1000);
	else if (qmp_client_state(c) == QMP_STATE_CLOSED)
		say(err, errlen, "%s: %s", name, qmp_client_error(c));
	else
		say(err, errlen, "%s: %s", name, strerror(-r));
	return r;
}

/* Run one command; keep its result in @res (free it) or describe the failure. */
static int run_cmd(struct qmp_client *c, const char *name, const char *args, int timeout_ms,
		   struct qmp_result *res, char *err, size_t errlen)
{
	int r = qmp_client_execute_sync(c, name, args, (unsigned)timeout_ms, res);

	if (r < 0)
		cmd_error(c, name, r, res, timeout_ms, err, errlen);
	return r;
}

static int simple_cmd(struct qmp_client *c, const char *name, const char *key, const char *val,
		      int timeout_ms, struct qmp_result *res, char *err, size_t errlen)
{
	_cleanup_free_ char *args = NULL;
	struct qmp_args a;
	int r;

	qmp_args_init(&a);
	qmp_args_str(&a, key, val);
	r = qmp_args_finish(&a, &args);
	if (r < 0) {
		memset(res, 0, sizeof(*res));
		say(err, errlen, "%s: cannot build the arguments: %s", name, strerror(-r));
		return r;
	}
	return run_cmd(c, name, args, timeout_ms, res, err, errlen);
}

static bool seen(char (*ids)[CTL_QMP_EVENT_ID_MAX], unsigned n, const char *id)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(ids[i], id))
			return true;
	return false;
}

/* Wait for NETDEV_STREAM_CONNECTED (@connected) or DEVICE_DELETED of @id. */
static int wait_event(struct qmp_client *c, struct ctl_qmp_events *ev, bool connected,
		      const char *id, int timeout_ms)
{
	int r;

	if (connected ? seen(ev->connected, ev->nconnected, id)
		      : seen(ev->deleted, ev->ndeleted, id))
		return 0;
	ev->hit = false;
	ev->want_connected = connected ? id : NULL;
	ev->want_deleted = connected ? NULL : id;
	r = qmp_client_run(c, &ev->hit, timeout_ms);
	ev->want_connected = ev->want_deleted = NULL;
	return r;
}

/*
 * The netdev's id: the device's with NETDEV_SUFFIX. They must differ: a
 * NIC's net client is named after its device, and QEMU looks net clients
 * up by name (query-rx-filter {"name": ...} would find the netdev first).
 */
static void netdev_id(const char *id, char *out, size_t len)
{
	snprintf(out, len, "%s%s", id, NETDEV_SUFFIX);
}

static int netdev_args(const char *id, const struct ctl_qmp_target *t, char **out)
{
	struct qmp_args a;

	qmp_args_init(&a);
	qmp_args_str(&a, "id", id);
	qmp_args_str(&a, "type", "stream");
	qmp_args_bool(&a, "server", false);
	qmp_args_object_begin(&a, "addr");
	if (t->is_unix) {
		qmp_args_str(&a, "type", "unix");
		qmp_args_str(&a, "path", t->path);
	} else {
		qmp_args_str(&a, "type", "inet");
		qmp_args_str(&a, "host", t->host);
		qmp_args_str(&a, "port", t->port);
	}
	qmp_args_object_end(&a);
	return qmp_args_finish(&a, out);
}

/* Undo netdev_add (after a later step failed); its own failure is only noted. */
static void undo_netdev(struct qmp_client *c, const char *id, int timeout_ms, char *err,
			size_t errlen)
{
	char why[ERR_MAX];
	struct qmp_result res;
	size_t n = strlen(err);

	if (simple_cmd(c, "netdev_del", "id", id, timeout_ms, &res, why, sizeof(why)) < 0 &&
	    n < errlen)
		snprintf(err + n, errlen - n, "; undoing netdev_add failed too: %s", why);
	qmp_result_free(&res);
}

int ctl_qmp_hotplug(struct qmp_client *c, struct ctl_qmp_events *ev, char *id, bool id_auto,
		    const char *mac, const struct ctl_qmp_target *t, int timeout_ms, char *err,
		    size_t errlen)
{
	_cleanup_free_ char *dev = NULL;
	char nid[NETDEV_ID_MAX];
	struct qmp_result res;
	struct qmp_args a;
	unsigned tries = 0, k;
	int r;

	for (;;) {
		_cleanup_free_ char *args = NULL;

		netdev_id(id, nid, sizeof(nid));
		r = netdev_args(nid, t, &args);
		if (r < 0) {
			say(err, errlen, "netdev_add: cannot build the arguments: %s",
			    strerror(-r));
			return r;
		}
		r = run_cmd(c, "netdev_add", args, timeout_ms, &res, err, errlen);
		/* An automatic id some netdev already has: take the next. */
		if (r == -EREMOTEIO && id_auto && strstr(res.err_desc, "Duplicate") &&
		    ++tries < CTL_QMP_AUTO_IDS && sscanf(id, "vgate%u", &k) == 1) {
			qmp_result_free(&res);
			snprintf(id, CTL_QMP_ID_MAX + 1, "vgate%u", k + 1);
			continue;
		}
		qmp_result_free(&res);
		if (r < 0)
			return r;
		break;
	}
	r = wait_event(c, ev, true, nid, timeout_ms);
	if (r < 0) {
		if (r == -ETIMEDOUT)
			say(err, errlen,
			    "netdev %s: QEMU did not report the connection to %s within %d s "
			    "(is vgate listening there, and may QEMU open it?)",
			    nid, t->url, timeout_ms / 1000);
		else
			say(err, errlen, "netdev %s: %s", nid, qmp_client_error(c));
		if (qmp_client_state(c) != QMP_STATE_CLOSED)
			undo_netdev(c, nid, timeout_ms, err, errlen);
		return r;
	}
	qmp_args_init(&a);
	qmp_args_str(&a, "driver", "virtio-net-pci");
	qmp_args_str(&a, "id", id);
	qmp_args_str(&a, "netdev", nid);
	qmp_args_str(&a, "mac", mac);
	r = qmp_args_finish(&a, &dev);
	if (r < 0) {
		say(err, errlen, "device_add: cannot build the arguments: %s", strerror(-r));
		undo_netdev(c, nid, timeout_ms, err, errlen);
		return r;
	}
	r = run_cmd(c, "device_add", dev, timeout_ms, &res, err, errlen);
	qmp_result_free(&res);
	if (r < 0 && qmp_client_state(c) != QMP_STATE_CLOSED)
		undo_netdev(c, nid, timeout_ms, err, errlen);
	return r;
}

int ctl_qmp_unplug(struct qmp_client *c, struct ctl_qmp_events *ev, const char *id, int timeout_ms,
		   char *err, size_t errlen)
{
	char nid[NETDEV_ID_MAX];
	struct qmp_result res;
	int r;

	netdev_id(id, nid, sizeof(nid));
	r = simple_cmd(c, "device_del", "id", id, timeout_ms, &res, err, errlen);
	if (r == -EREMOTEIO && !strcmp(res.err_class, "DeviceNotFound")) {
		struct qmp_result res2;
		char why[ERR_MAX];
		size_t n = strlen(err);

		/* A netdev left behind by a half-done attach still goes. */
		qmp_result_free(&res);
		if (simple_cmd(c, "netdev_del", "id", nid, timeout_ms, &res2, why, sizeof(why)) ==
			    0 &&
		    n < errlen)
			snprintf(err + n, errlen - n, "; netdev %s was removed", nid);
		qmp_result_free(&res2);
		return r;
	}
	qmp_result_free(&res);
	if (r < 0)
		return r;
	r = wait_event(c, ev, false, id, timeout_ms);
	if (r == -ETIMEDOUT) {
		say(err, errlen,
		    "device %s: QEMU did not report it deleted within %d s (the guest must release "
		    "a PCI device: is an OS with PCI hotplug running?); netdev %s was left in "
		    "place",
		    id, timeout_ms / 1000, nid);
		return r;
	}
	if (r < 0) {
		say(err, errlen, "device %s: %s", id, qmp_client_error(c));
		return r;
	}
	r = simple_cmd(c, "netdev_del", "id", nid, timeout_ms, &res, err, errlen);
	qmp_result_free(&res);
	return r;
}

/* --- talking to QEMU and vgate -------------------------------------------------------- */

static void on_event(struct qmp_client *c, struct qmp_msg *m, void *ud)
{
	(void)c;
	ctl_qmp_event_record(ud, m);
}

static const struct qmp_client_ops ctl_ops = { .event = on_event };

static const char *qmp_path(const char *s)
{
	return strncmp(s, "unix://", 7) ? s : s + 7;
}

/* Connect and negotiate. Return: the client, or NULL after saying why. */
static struct qmp_client *qmp_open(const struct ctl_qmp_args *a, struct ctl_qmp_events *ev)
{
	const char *path = qmp_path(a->qmp);
	struct qmp_client *c;
	int r;

	r = qmp_client_connect(path, &ctl_ops, ev, (unsigned)a->timeout_ms, &c);
	if (r < 0) {
		fprintf(stderr, "vgatectl: cannot connect to the QMP socket %s: %s%s\n", path,
			strerror(-r),
			r == -EAGAIN ? " (its backlog is full: another client is connected)" : "");
		return NULL;
	}
	r = qmp_client_wait_ready(c, a->timeout_ms);
	if (r < 0) {
		fprintf(stderr, "vgatectl: QMP socket %s: %s\n", path,
			qmp_client_state(c) == QMP_STATE_CLOSED ? qmp_client_error(c)
								: strerror(-r));
		qmp_client_free(c);
		return NULL;
	}
	return c;
}

/*
 * One API exchange. Return: EXIT_OK with *@tree (NULL on 404 when
 * @allow_404) and the status in *@status, or an exit code after saying why.
 */
static int api_call(const struct ctl_qmp_args *a, const char *method, const char *path,
		    const char *body, bool allow_404, yajl_val *tree, int *status)
{
	struct http_client_response r;
	char err[256];
	bool connected;
	int e = http_client_request(a->api_socket, method, path, body, body ? strlen(body) : 0,
				    a->timeout_ms, &connected, &r);

	*tree = NULL;
	if (e < 0) {
		if (!connected) {
			fprintf(stderr, "vgatectl: cannot connect to vgate's API at %s: %s\n",
				a->api_socket, strerror(-e));
			return EXIT_CONNECT;
		}
		fprintf(stderr, "vgatectl: %s %s: %s\n", method, path,
			e == -ETIMEDOUT ? "no answer in time" : strerror(-e));
		return EXIT_API;
	}
	*status = r.status;
	if (r.status == 404 && allow_404) {
		http_client_response_free(&r);
		return EXIT_OK;
	}
	if (r.status < 200 || r.status > 299) {
		size_t n = r.body_len;

		while (n && (r.body[n - 1] == '\n' || r.body[n - 1] == '\r'))
			n--;
		fprintf(stderr, "vgatectl: %.*s (HTTP %d from %s %s)\n", (int)MIN(n, 400u), r.body,
			r.status, method, path);
		http_client_response_free(&r);
		return EXIT_API;
	}
	*tree = json_tree_parse(r.body, r.body_len, err, sizeof(err));
	http_client_response_free(&r);
	if (!*tree) {
		fprintf(stderr, "vgatectl: %s %s: %s\n", method, path, err);
		return EXIT_API;
	}
	return EXIT_OK;
}

/* The VM's NICs: names and MACs, from query-rx-filter. */
struct vm_nics {
	char names[USED_MACS_MAX / 2][CTL_QMP_ID_MAX + 1];
	uint8_t macs[USED_MACS_MAX][6]; /* the VM's first, then vgate's ports' */
	size_t nnames, nmacs;
};

static int list_nics(struct qmp_client *c, struct vm_nics *v, int timeout_ms)
{
	struct qmp_result res;
	char err[ERR_MAX];
	int r = run_cmd(c, "query-rx-filter", NULL, timeout_ms, &res, err, sizeof(err));

	if (r < 0) {
		fprintf(stderr, "vgatectl: %s\n", err);
		qmp_result_free(&res);
		return EXIT_API;
	}
	for (size_t i = 0; YAJL_IS_ARRAY(res.value) && i < res.value->u.array.len; i++) {
		yajl_val nic = res.value->u.array.values[i];
		const char *name = str_member(nic, "name"), *mac = str_member(nic, "main-mac");

		if (name && v->nnames < ARRAY_SIZE(v->names))
			snprintf(v->names[v->nnames++], sizeof(v->names[0]), "%s", name);
		if (mac && v->nmacs < USED_MACS_MAX &&
		    ctl_qmp_mac_parse(mac, v->macs[v->nmacs]) == 0)
			v->nmacs++;
	}
	qmp_result_free(&res);
	return EXIT_OK;
}

/* Where the netdev connects: --qemu-socket or one of vgate's listeners, opened if needed. */
static int choose_target(const struct ctl_qmp_args *a, struct ctl_qmp_target *t)
{
	struct ctl_qmp_target want;
	_cleanup_free_ char *body = NULL;
	yajl_val tree;
	int rc, status = 0, r;

	if (a->qemu_socket) {
		r = ctl_qmp_target_parse(a->qemu_socket, &want);
		if (r < 0)
			return ctl_say(
				EXIT_USAGE,
				"--qemu-socket %s: a unix:///PATH, a PATH or tcp://HOST:PORT "
				"(numeric host)",
				a->qemu_socket);
		/* QEMU and vgate have their own working directories: make it absolute. */
		if (want.is_unix && want.path[0] != '/') {
			char cwd[PATH_MAX], path[PATH_MAX + sizeof(want.path) + 1];

			if (!getcwd(cwd, sizeof(cwd))) {
				fprintf(stderr, "vgatectl: getcwd: %s\n", strerror(errno));
				return EXIT_API;
			}
			snprintf(path, sizeof(path), "%s/%s", cwd, want.path);
			if (ctl_qmp_target_parse(path, &want) < 0)
				return ctl_say(EXIT_USAGE,
					       "--qemu-socket %s: too long as an absolute path",
					       a->qemu_socket);
		}
	}
	rc = api_call(a, "GET", "/v1/listeners", NULL, true, &tree, &status);
	if (rc != EXIT_OK)
		return rc;
	if (status == 404) {
		/* A vgate without the route (or gvproxy): trust --qemu-socket. */
		if (!a->qemu_socket) {
			fprintf(stderr, "vgatectl: this daemon does not list its listeners "
					"(no /v1/listeners): give --qemu-socket\n");
			return EXIT_API;
		}
		*t = want;
		return EXIT_OK;
	}
	r = ctl_qmp_pick_listener(tree, a->qemu_socket ? &want : NULL, t);
	yajl_tree_free(tree);
	if (r == -EPROTO) {
		fprintf(stderr, "vgatectl: GET /v1/listeners: unexpected answer\n");
		return EXIT_API;
	}
	if (r == 0)
		return EXIT_OK;
	if (!a->qemu_socket) {
		/* Next to the API socket: a directory vgate permits (absolute, as it wants). */
		char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], real[PATH_MAX],
			path[PATH_MAX + 16];

		snprintf(dir, sizeof(dir), "%s", a->api_socket);
		if (!realpath(dirname(dir), real)) {
			fprintf(stderr, "vgatectl: %s: %s\n", a->api_socket, strerror(errno));
			return EXIT_API;
		}
		snprintf(path, sizeof(path), "%s/qemu.sock", strcmp(real, "/") ? real : "");
		if (ctl_qmp_target_parse(path, &want) < 0) {
			fprintf(stderr,
				"vgatectl: vgate has no QEMU listener and %s is too long "
				"for one: give --qemu-socket\n",
				path);
			return EXIT_API;
		}
	}
	{
		struct qmp_args b;

		qmp_args_init(&b);
		qmp_args_str(&b, "url", want.url);
		if (qmp_args_finish(&b, &body) < 0) {
			fprintf(stderr, "vgatectl: %s: not UTF-8\n", want.url);
			return EXIT_USAGE;
		}
	}
	rc = api_call(a, "POST", "/v1/listeners", body, false, &tree, &status);
	yajl_tree_free(tree);
	if (rc != EXIT_OK)
		return rc;
	if (!a->json)
		fprintf(stderr, "vgatectl: vgate now listens for QEMU on %s\n", want.url);
	*t = want;
	return EXIT_OK;
}

/* The MAC: --mac, or a free static lease, or a random one. */
static int choose_mac(const struct ctl_qmp_args *a, struct vm_nics *v, char mac[18], char *ip,
		      size_t iplen)
{
	yajl_val leases = NULL, ports = NULL;
	uint8_t m[6];
	int rc, status = 0;

	ip[0] = '\0';
	if (a->mac) {
		ctl_qmp_mac_parse(a->mac, m); /* checked before */
		mac_format(m, mac);
		return EXIT_OK;
	}
	rc = api_call(a, "GET", "/v1/ports", NULL, true, &ports, &status);
	if (rc != EXIT_OK)
		return rc;
	for (size_t i = 0; YAJL_IS_ARRAY(ports) && i < ports->u.array.len; i++) {
		const char *pm = str_member(ports->u.array.values[i], "mac");

		if (pm && v->nmacs < USED_MACS_MAX && ctl_qmp_mac_parse(pm, v->macs[v->nmacs]) == 0)
			v->nmacs++;
	}
	yajl_tree_free(ports);
	rc = api_call(a, "GET", "/v1/leases", NULL, true, &leases, &status);
	if (rc != EXIT_OK)
		return rc;
	if (leases &&
	    ctl_qmp_pick_mac(leases, (const uint8_t(*)[6])v->macs, v->nmacs, m, ip, iplen) == 0) {
		yajl_tree_free(leases);
		mac_format(m, mac);
		return EXIT_OK;
	}
	yajl_tree_free(leases);
	/* No free static lease: a random locally administered MAC in vgate's range. */
	for (int tries = 0; tries < 64; tries++) {
		memcpy(m, mac_prefix, 3);
		if (getrandom(m + 3, 3, 0) != 3)
			break;
		if (!mac_used(m, (const uint8_t(*)[6])v->macs, v->nmacs)) {
			mac_format(m, mac);
			return EXIT_OK;
		}
	}
	fprintf(stderr, "vgatectl: cannot choose a MAC: give --mac\n");
	return EXIT_API;
}

/* The first vgateN no NIC of this VM is called (QEMU refuses a duplicate anyway). */
static void auto_id(const struct vm_nics *v, char *id, size_t len)
{
	for (unsigned n = 0; n < CTL_QMP_AUTO_IDS; n++) {
		bool taken = false;

		snprintf(id, len, "vgate%u", n);
		for (size_t i = 0; i < v->nnames && !taken; i++)
			taken = !strcmp(v->names[i], id);
		if (!taken)
			return;
	}
}

static void print_json(const char *id, const char *mac, const char *ip, const char *url)
{
	_cleanup_free_ char *out = NULL;
	struct qmp_args j;

	qmp_args_init(&j);
	qmp_args_str(&j, "id", id);
	if (mac)
		qmp_args_str(&j, "mac", mac);
	if (ip && *ip)
		qmp_args_str(&j, "ip", ip);
	if (url)
		qmp_args_str(&j, "netdev", url);
	if (qmp_args_finish(&j, &out) == 0)
		printf("%s\n", out);
}

static int check_common(const struct ctl_qmp_args *a, const char *cmd)
{
	if (a->domain)
		return ctl_say(EXIT_USAGE, "%s --domain: needs libvirt support (see issue 8)", cmd);
	if (a->nargs)
		return ctl_say(EXIT_USAGE, "%s takes options only (--qmp SOCKET ...)", cmd);
	if (!a->qmp || !*qmp_path(a->qmp))
		return ctl_say(EXIT_USAGE,
			       "%s needs --qmp SOCKET (QEMU's -qmp unix:SOCKET,server=on)", cmd);
	if (a->id && !ctl_qmp_id_valid(a->id))
		return ctl_say(
			EXIT_USAGE,
			"--id %s: a letter, then letters, digits, '-', '.' or '_' (at most %d)",
			a->id, CTL_QMP_ID_MAX);
	return -1;
}

int ctl_qmp_attach(const struct ctl_qmp_args *a)
{
	struct ctl_qmp_events ev = { 0 };
	struct ctl_qmp_target t;
	struct qmp_client *c;
	struct vm_nics *v;
	char id[CTL_QMP_ID_MAX + 1], mac[18], ip[64], err[ERR_MAX];
	uint8_t m[6];
	int rc = check_common(a, "attach"), r;

	if (rc >= 0)
		return rc;
	if (a->mac && ctl_qmp_mac_parse(a->mac, m) < 0)
		return ctl_say(EXIT_USAGE, "--mac %s: a unicast MAC like 5a:94:ef:e4:0c:ef",
			       a->mac);
	if (a->qemu_socket && ctl_qmp_target_parse(a->qemu_socket, &t) < 0)
		return ctl_say(EXIT_USAGE,
			       "--qemu-socket %s: a unix:///PATH, a PATH or tcp://HOST:PORT "
			       "(numeric host)",
			       a->qemu_socket);
	v = calloc(1, sizeof(*v));
	if (!v) {
		fputs("vgatectl: out of memory\n", stderr);
		return EXIT_API;
	}
	c = qmp_open(a, &ev);
	if (!c) {
		free(v);
		return EXIT_QMP;
	}
	rc = list_nics(c, v, a->timeout_ms);
	if (rc == EXIT_OK)
		rc = choose_target(a, &t);
	if (rc == EXIT_OK)
		rc = choose_mac(a, v, mac, ip, sizeof(ip));
	if (rc == EXIT_OK) {
		if (a->id)
			snprintf(id, sizeof(id), "%s", a->id);
		else
			auto_id(v, id, sizeof(id));
		r = ctl_qmp_hotplug(c, &ev, id, !a->id, mac, &t, a->timeout_ms, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "vgatectl: attach: %s\n", err);
			rc = EXIT_API;
		}
	}
	if (rc == EXIT_OK) {
		if (a->json)
			print_json(id, mac, ip, t.url);
		else
			printf("attached %s: virtio-net-pci, MAC %s%s%s%s, netdev stream to %s\n",
			       id, mac, ip[0] ? " (static lease " : "", ip, ip[0] ? ")" : "",
			       t.url);
	}
	qmp_client_free(c);
	free(v);
	return rc;
}

int ctl_qmp_detach(const struct ctl_qmp_args *a)
{
	struct ctl_qmp_events ev = { 0 };
	struct qmp_client *c;
	char err[ERR_MAX];
	int rc = check_common(a, "detach");

	if (rc >= 0)
		return rc;
	if (!a->id)
		return ctl_say(EXIT_USAGE, "%s", "detach needs --id ID (the id attach printed)");
	if (a->mac || a->qemu_socket)
		return ctl_say(EXIT_USAGE, "%s", "--mac and --qemu-socket are for attach");
	c = qmp_open(a, &ev);
	if (!c)
		return EXIT_QMP;
	rc = EXIT_OK;
	if (ctl_qmp_unplug(c, &ev, a->id, a->timeout_ms, err, sizeof(err)) < 0) {
		fprintf(stderr, "vgatectl: detach: %s\n", err);
		rc = EXIT_API;
	} else if (a->json) {
		print_json(a->id, NULL, NULL, NULL);
	} else {
		printf("detached %s\n", a->id);
	}
	qmp_client_free(c);
	return rc;
}
