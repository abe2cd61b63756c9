// SPDX-License-Identifier: MIT
/*
 * api.c - the HTTP API: libmicrohttpd inside vgate's own event loop
 *
 * Theory of operation
 *
 * One MHD daemon, started with MHD_USE_NO_LISTEN_SOCKET | MHD_USE_EPOLL
 * and no thread of its own: it never accepts, it only serves sockets that
 * api_add_connection() hands it (host API sockets after http_port.c has
 * peeked at the head; later the in-network API's socketpairs). MHD keeps
 * its connections in a private epoll set whose fd sits in vgate's loop as
 * REF_API (level-triggered); api_handle() calls MHD_run(), which never
 * blocks. MHD also has deadlines (idle timeouts, and a zero timeout when it
 * still holds data it read but has not processed: its own sockets are
 * edge-triggered), so after every MHD call api.c re-arms one loop timer to
 * MHD_get_timeout(); the timer runs MHD_run() too. Nothing else is needed
 * from the loop: no second thread, no blocking call, MHD touches vgate's
 * tables only from the loop's thread, inside the route handlers.
 *
 * Per connection: MHD's "socket context" holds a struct api_conn (the
 * peer address and whether the full API is served), allocated by
 * api_add_connection() and claimed by the NOTIFY_CONNECTION callback, which
 * MHD calls synchronously inside MHD_add_connection() and pairs with a
 * CLOSED call on every path; a context nobody claimed is freed at once.
 *
 * Per request: the access handler is called once when the head is
 * complete, then once per body chunk, then once more at the end. The
 * first call only refuses an announced body over API_BODY_MAX (413, sent
 * before the body is read; MHD then closes the connection); the chunks are
 * copied into a struct api_body bounded by the same limit (a chunked body
 * that outgrows it cannot be answered any more in MHD 0.9.75, so the
 * connection is closed); the last call routes. Routing waits for the end
 * even for errors, because a response queued on the first call makes MHD
 * close the connection and would cost every GET its keep-alive.
 *
 * Routing: an exact path match, first in the built-in table, then in the
 * table api_route_add() fills. A route's flags decide the method check
 * (POST-only routes answer 400 "post only\n" as gvproxy; /v1 and /metrics
 * answer 405 to anything but GET and HEAD; gvproxy's GET routes take any
 * method, as gvproxy's do) and whether the in-network API serves it.
 * Unknown paths, and routes hidden from the in-network API, answer 404
 * "404 page not found\n", Go's text. Paths with %00 are not decoded, so
 * they match nothing.
 *
 * Limits: API_CONNECTIONS_MAX connections (more are closed at once),
 * API_CONNECTION_TIMEOUT_S of idleness, API_CONNECTION_MEMORY per
 * connection (the head must fit: MHD answers 431 otherwise), API_BODY_MAX
 * per body, API_ROUTES_MAX added routes.
 */
#include "api.h"

#include "api_json.h"
#include "dhcp_server.h"
#include "dns_server.h"
#include "forward.h"
#include "gateway.h"
#include "icmp_relay.h"
#include "log.h"
#include "lwip_glue.h"
#include "tcp_flow.h"
#include "udp_flow.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <limits.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMP "api"
/* Cap on the loop timer: MHD is asked again at least this often. */
#define API_TIMER_MAX_MS 60000
#define CT_JSON "application/json"
#define CT_TEXT "text/plain; charset=utf-8"
#define CT_METRICS "text/plain; version=0.0.4; charset=utf-8"

/* One per MHD connection (MHD's socket context). */
struct api_conn {
	bool full_api;
	socklen_t peer_len;
	struct sockaddr_storage peer;
};

/* One per request (MHD's con_cls): the body, bounded by API_BODY_MAX. */
struct api_body {
	char *buf;
	size_t len;
};

struct api_route {
	const char *path;
	unsigned flags;
	api_route_fn fn;
};

static struct {
	struct MHD_Daemon *d;
	struct loop_ref ref;
	struct loop_timer timer;
	int epfd;
	const char *version;
	uint64_t started_ms;
	struct api_conn *pending; /* handed to MHD_add_connection(), not yet claimed */
	struct api_route routes[API_ROUTES_MAX];
	char paths[API_ROUTES_MAX][128];
	unsigned nroutes;
} api;

/* --- route handlers ---------------------------------------------------------- */

static unsigned vm_count(void)
{
	unsigned n = 0;

	for (unsigned i = 1; i < SWITCH_PORTS_MAX; i++)
		n += vg->ports[i] != NULL;
	return n;
}

static uint64_t lease_count(void)
{
	const struct lease_table *t = &dhcp_server_leases;
	uint64_t now = now_ms(), n = 0;

	for (uint32_t i = 0; t->slots && i < t->nslots; i++)
		n += t->slots[i].state == LEASE_BOUND &&
		     (t->slots[i].is_static || t->slots[i].expires_ms > now);
	return n;
}

static void collect_stats(struct api_stats *s)
{
	const struct switch_stats *sw = &vg->sw.stats;

	memset(s, 0, sizeof(*s));
	s->bytes_sent = sw->vm_tx_bytes;
	s->bytes_received = sw->vm_rx_bytes;
	s->frames_sent = sw->vm_tx_frames;
	s->frames_received = sw->vm_rx_frames;
	s->vms = vm_count();
	s->tx_drops = sw->vm_tx_drops;
	s->runts = vg->drops.runts;
	s->oversize = vg->drops.oversize;
	s->ports_full = vg->drops.ports_full;
	s->bad_handshakes = vg->drops.bad_handshakes;
	s->unknown_unicast = sw->unknown_unicast;
	s->mac_table_full = sw->table_full;
	s->gateway_frames = gw_stats.frames;
	s->gateway_malformed = gw_stats.malformed;
	s->not_for_gateway = gw_stats.not_for_us;
	s->arp_replies = gw_stats.arp_replies;
	s->icmp_echo_replies = gw_stats.icmp_replies;
	s->dhcp_offers = dhcp_server_stats.offers;
	s->dhcp_acks = dhcp_server_stats.acks;
	s->dhcp_naks = dhcp_server_stats.naks;
	s->dhcp_exhausted = dhcp_server_stats.exhausted;
	s->dhcp_leases = lease_count();
	s->dns_queries = dns_server_stats.queries_udp + dns_server_stats.queries_tcp;
	s->dns_local_answers = dns_server_stats.local_answers;
	s->dns_nxdomain = dns_server_stats.nxdomain;
	s->dns_forwarded = dns_server_stats.forwarded;
	s->dns_servfail = dns_server_stats.servfail;
	s->tcp_flows = tcp_flow_count();
	s->tcp_flows_opened = tcp_flow_stats.opened;
	s->tcp_refused = tcp_flow_stats.refused_policy + tcp_flow_stats.refused_host +
			 tcp_flow_stats.timeouts + tcp_flow_stats.capped;
	s->tcp_refused_policy = tcp_flow_stats.refused_policy;
	s->tcp_refused_host = tcp_flow_stats.refused_host;
	s->tcp_timeouts = tcp_flow_stats.timeouts;
	s->tcp_capped = tcp_flow_stats.capped;
	s->tcp_bytes_to_host = tcp_flow_stats.to_host_bytes;
	s->tcp_bytes_to_guest = tcp_flow_stats.to_guest_bytes;
	s->udp_flows = udp_flow_stats.active;
	s->udp_flows_opened = udp_flow_stats.opened;
	s->udp_refused = udp_flow_stats.refused;
	s->udp_dropped = udp_flow_stats.dropped;
	s->udp_bytes_to_host = udp_flow_stats.tx_bytes;
	s->udp_bytes_to_guest = udp_flow_stats.rx_bytes;
	s->icmp_relayed = icmp_relay_stats.requests;
	s->icmp_replies = icmp_relay_stats.replies;
	s->icmp_refused = icmp_relay_stats.refused;
}

/* Every attached VM port, in port order. Return: how many. */
static size_t collect_ports(struct api_port_info *out)
{
	size_t n = 0;

	for (unsigned i = 1; i < SWITCH_PORTS_MAX; i++) {
		const struct port *p = vg->ports[i];
		const struct switch_port_stats *st = &vg->sw.port_stats[i];

		if (!p)
			continue;
		out[n] = (struct api_port_info){
			.port = i,
			.transport = port_origin_name(p->origin),
			.mac_known = p->mac_known,
			.rx_frames = st->rx_frames,
			.rx_bytes = st->rx_bytes,
			.tx_frames = st->tx_frames,
			.tx_bytes = st->tx_bytes,
			.tx_drops = st->tx_drops,
			.rx_runts = p->conn.stats.rx_runts,
		};
		memcpy(out[n].mac, p->mac, 6);
		n++;
	}
	return n;
}

/* Take a builder's result as the reply body. */
static int reply_built(struct api_reply *rep, int r, const char *type)
{
	if (r == 0)
		rep->content_type = type;
	return r;
}

static int route_stats(const struct api_request *req, struct api_reply *rep)
{
	struct api_stats s;

	(void)req;
	collect_stats(&s);
	return reply_built(rep, api_json_stats(&s, &rep->body), CT_JSON);
}

static int route_dhcp_leases(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	return reply_built(rep, api_json_dhcp_leases(&dhcp_server_leases, now_ms(), &rep->body),
			   CT_JSON);
}

static int route_dns_all(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	return reply_built(rep, api_json_dns_zones(&vg->cfg.zones, &rep->body), CT_JSON);
}

static int route_dns_add(const struct api_request *req, struct api_reply *rep)
{
	struct dns_zone zone;
	char err[256], name[sizeof(zone.name)];
	int r;

	r = api_json_parse_dns_zone(req->body, req->body_len, &zone, err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return api_reply_text(rep, 400, err);
	snprintf(name, sizeof(name), "%s", zone.name);
	r = dns_zone_replace(&vg->cfg.zones, &zone); /* consumes @zone either way */
	if (r == -ENOSPC) {
		snprintf(err, sizeof(err), "DNS table full: at most %d zones of %d records",
			 DNS_ZONES_MAX, DNS_ZONE_RECORDS_MAX);
		return api_reply_text(rep, 400, err);
	}
	if (r < 0)
		return r;
	log_info(COMP, "DNS zone %s replaced through the API", name);
	return 0;
}

static int route_health(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	return reply_built(
		rep, api_json_health((now_ms() - api.started_ms) / 1000, vm_count(), &rep->body),
		CT_JSON);
}

static int route_version(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	return reply_built(rep, api_json_version(api.version, vgate_lwip_flavour(), &rep->body),
			   CT_JSON);
}

/* Big enough for every port; the loop has one thread, so one static copy. */
static struct api_port_info port_infos[SWITCH_PORTS_MAX];

static int route_ports(const struct api_request *req, struct api_reply *rep)
{
	size_t n = collect_ports(port_infos);

	(void)req;
	return reply_built(rep, api_json_ports(port_infos, n, &rep->body), CT_JSON);
}

static int route_cam(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	return reply_built(rep, api_json_cam(&vg->sw, &rep->body), CT_JSON);
}

static int route_leases(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	return reply_built(rep, api_json_leases(&dhcp_server_leases, now_ms(), &rep->body),
			   CT_JSON);
}

static int route_flows(const struct api_request *req, struct api_reply *rep)
{
	struct api_flows *f = api_json_flows_begin();

	(void)req;
	if (!f)
		return reply_built(rep, -ENOMEM, CT_JSON);
	tcp_flow_foreach(api_json_flow, f);
	udp_flow_foreach(api_json_flow, f);
	icmp_relay_foreach(api_json_flow, f);
	forward_foreach(api_json_flow, f);
	http_port_foreach(api_json_flow, f);
	return reply_built(rep, api_json_flows_end(f, &rep->body), CT_JSON);
}

static int route_nat(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	return reply_built(rep, api_json_nat(&vg->cfg.egress, &rep->body), CT_JSON);
}

static int route_egress(const struct api_request *req, struct api_reply *rep)
{
	(void)req;
	return reply_built(rep, api_json_egress(&vg->cfg.egress, &rep->body), CT_JSON);
}

static int route_metrics(const struct api_request *req, struct api_reply *rep)
{
	struct api_stats s;
	size_t n = collect_ports(port_infos);

	(void)req;
	collect_stats(&s);
	return reply_built(rep, api_metrics_text(&s, port_infos, n, &rep->body), CT_METRICS);
}

static const struct api_route builtin_routes[] = {
	/* gvproxy's: any method, as gvproxy's handlers take any */
	{ "/stats", 0, route_stats },
	{ "/services/dhcp/leases", 0, route_dhcp_leases },
	{ "/leases", 0, route_dhcp_leases },
	{ "/services/dns/all", 0, route_dns_all },
	{ "/services/dns/add", API_ROUTE_POST, route_dns_add },
	{ "/cam", 0, route_cam },
	/*
	 * /services/forwarder/{all,expose,unexpose} are not here: forward.c
	 * adds them with api_route_add() (API_ROUTE_POST for expose and
	 * unexpose, API_ROUTE_GUEST for all three). Until then they are 404.
	 */
	/* vgate's own */
	{ "/v1/health", API_ROUTE_GET, route_health },
	{ "/v1/version", API_ROUTE_GET, route_version },
	{ "/v1/ports", API_ROUTE_GET, route_ports },
	{ "/v1/leases", API_ROUTE_GET, route_leases },
	{ "/v1/flows", API_ROUTE_GET, route_flows },
	{ "/v1/nat", API_ROUTE_GET, route_nat },
	{ "/v1/egress", API_ROUTE_GET, route_egress },
	{ "/metrics", API_ROUTE_GET, route_metrics },
};

static const struct api_route *route_find(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(builtin_routes); i++)
		if (!strcmp(builtin_routes[i].path, path))
			return &builtin_routes[i];
	for (unsigned i = 0; i < api.nroutes; i++)
		if (!strcmp(api.routes[i].path, path))
			return &api.routes[i];
	return NULL;
}

int api_route_add(const char *path, unsigned flags, api_route_fn fn)
{
	if (!path || path[0] != '/' || strlen(path) >= sizeof(api.paths[0]) || !fn)
		return -EINVAL;
	if (route_find(path))
		return -EEXIST;
	if (api.nroutes == API_ROUTES_MAX)
		return -ENOSPC;
	snprintf(api.paths[api.nroutes], sizeof(api.paths[0]), "%s", path);
	api.routes[api.nroutes] =
		(struct api_route){ .path = api.paths[api.nroutes], .flags = flags, .fn = fn };
	api.nroutes++;
	return 0;
}

int api_route_remove(const char *path)
{
	for (unsigned i = 0; i < api.nroutes; i++) {
		if (strcmp(api.routes[i].path, path) != 0)
			continue;
		/* Keep the table dense; each entry's path points at its own slot. */
		for (unsigned k = i; k + 1 < api.nroutes; k++) {
			memcpy(api.paths[k], api.paths[k + 1], sizeof(api.paths[k]));
			api.routes[k] = api.routes[k + 1];
			api.routes[k].path = api.paths[k];
		}
		api.nroutes--;
		return 0;
	}
	return -ENOENT;
}

const char *api_request_header(const struct api_request *req, const char *name)
{
	return req->conn ? MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name) : NULL;
}

int api_reply_text(struct api_reply *rep, unsigned status, const char *text)
{
	size_t n = strlen(text);
	char *b = malloc(n + 2);

	if (!b)
		return -ENOMEM;
	memcpy(b, text, n);
	b[n] = '\n';
	b[n + 1] = '\0';
	free(rep->body);
	rep->status = status;
	rep->content_type = CT_TEXT;
	rep->body = b;
	rep->body_len = n + 1;
	return 0;
}

/* --- MHD glue ------------------------------------------------------------------- */

/* Queue @rep (its body is taken over, whatever happens). */
static enum MHD_Result queue_reply(struct MHD_Connection *c, struct api_reply *rep)
{
	struct MHD_Response *resp;
	size_t len = rep->body ? (rep->body_len ? rep->body_len : strlen(rep->body)) : 0;
	enum MHD_Result ok;

	if (rep->body)
		resp = MHD_create_response_from_buffer(len, rep->body, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(rep->body);
		rep->body = NULL;
		return MHD_NO;
	}
	rep->body = NULL;
	if (rep->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->content_type);
	if (rep->content_type && !strcmp(rep->content_type, CT_TEXT))
		MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (rep->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ok = MHD_queue_response(c, rep->status ? rep->status : MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result queue_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct api_reply rep = { 0 };

	if (api_reply_text(&rep, status, text) < 0)
		return MHD_NO;
	return queue_reply(c, &rep);
}

/* Route a complete request and queue the answer. */
static enum MHD_Result serve(struct MHD_Connection *c, const struct api_conn *ac, const char *url,
			     const char *method, const struct api_body *b)
{
	const struct api_route *rt = route_find(url);
	bool full = ac ? ac->full_api : true;
	struct api_request req = {
		.method = method,
		.path = url,
		.body = b->buf ? b->buf : "",
		.body_len = b->len,
		.peer = ac ? (const struct sockaddr *)&ac->peer : NULL,
		.peer_len = ac ? ac->peer_len : 0,
		.full_api = full,
		.conn = c,
	};
	struct api_reply rep = { 0 };
	int r;

	if (!rt || (!full && !(rt->flags & API_ROUTE_GUEST)))
		return queue_text(c, MHD_HTTP_NOT_FOUND, "404 page not found");
	if ((rt->flags & API_ROUTE_POST) && strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return queue_text(c, MHD_HTTP_BAD_REQUEST, "post only");
	if ((rt->flags & API_ROUTE_GET) && strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
	r = rt->fn(&req, &rep);
	if (r < 0) {
		free(rep.body);
		log_warn(COMP, "%s %s: %s", method, url, strerror(-r));
		return queue_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, strerror(-r));
	}
	return queue_reply(c, &rep);
}

/* Is the announced body over the limit? (No Content-Length: not yet known.) */
static bool announced_too_large(struct MHD_Connection *c)
{
	const char *cl =
		MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	unsigned long v;

	/* MHD has already refused a malformed Content-Length with 400. */
	return cl && (parse_uint(cl, 0, ULONG_MAX, &v) < 0 || v > API_BODY_MAX);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	const union MHD_ConnectionInfo *ci;
	struct api_body *b = *con_cls;

	(void)cls;
	(void)version;
	if (!b) {
		/* The head is complete; nothing of the body has been read. */
		b = calloc(1, sizeof(*b));
		if (!b)
			return MHD_NO;
		*con_cls = b;
		if (announced_too_large(c))
			return queue_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
		return MHD_YES;
	}
	if (*data_size) {
		size_t n = *data_size;
		char *grown;

		if (n > API_BODY_MAX - b->len) {
			/* Chunked and over the limit: too late for a 413 in MHD 0.9.75. */
			log_debug(COMP, "%s %s: body over %d bytes, connection closed", method, url,
				  API_BODY_MAX);
			return MHD_NO;
		}
		grown = realloc(b->buf, b->len + n + 1);
		if (!grown)
			return MHD_NO;
		b->buf = grown;
		memcpy(b->buf + b->len, data, n);
		b->len += n;
		b->buf[b->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return serve(c, ci ? ci->socket_context : NULL, url, method, b);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct api_body *b = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (b) {
		free(b->buf);
		free(b);
		*con_cls = NULL;
	}
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	(void)cls;
	(void)c;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = api.pending;
		api.pending = NULL;
	} else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
		free(*socket_context);
		*socket_context = NULL;
	}
}

/* Leave "%00" undecoded: a path with a NUL in it then matches no route. */
static size_t on_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	if (strstr(s, "%00"))
		return strlen(s);
	return MHD_http_unescape(s);
}

static __attribute__((format(printf, 2, 0))) void on_log(void *cls, const char *fmt, va_list ap)
{
	char buf[256];
	size_t n;

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	log_debug(COMP, "libmicrohttpd: %s", buf);
}

/* Keep the loop timer on MHD's next deadline. */
static void api_rearm(void)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (api.d && MHD_get_timeout(api.d, &t) == MHD_YES)
		loop_timer_arm(&vg->loop, &api.timer, t < API_TIMER_MAX_MS ? t : API_TIMER_MAX_MS);
	else
		loop_timer_cancel(&vg->loop, &api.timer);
}

static void api_run(void)
{
	if (!api.d)
		return;
	if (MHD_run(api.d) != MHD_YES)
		log_warn(COMP, "MHD_run failed");
	api_rearm();
}

static void api_timer_fired(struct loop_timer *t)
{
	(void)t;
	api_run();
}

void api_handle(struct loop_ref *ref, uint32_t events)
{
	(void)ref;
	(void)events;
	api_run();
}

int api_timeout_ms(void)
{
	MHD_UNSIGNED_LONG_LONG t;

	if (!api.d || MHD_get_timeout(api.d, &t) != MHD_YES)
		return -1;
	return t < INT_MAX ? (int)t : INT_MAX;
}

int api_init(const char *version)
{
	const union MHD_DaemonInfo *di;
	int r;

	if (api.d)
		return -EALREADY;
	api.d = MHD_start_daemon(
		MHD_USE_NO_LISTEN_SOCKET | MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL, NULL,
		on_request, NULL, MHD_OPTION_CONNECTION_LIMIT, (unsigned)API_CONNECTIONS_MAX,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)API_CONNECTION_TIMEOUT_S,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONNECTION_MEMORY,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_NOTIFY_CONNECTION,
		on_connection, NULL, MHD_OPTION_UNESCAPE_CALLBACK, on_unescape, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL, MHD_OPTION_END);
	if (!api.d) {
		log_err(COMP, "cannot start libmicrohttpd");
		return -ENOMEM;
	}
	di = MHD_get_daemon_info(api.d, MHD_DAEMON_INFO_EPOLL_FD);
	if (!di || di->epoll_fd < 0) {
		MHD_stop_daemon(api.d);
		api.d = NULL;
		log_err(COMP, "libmicrohttpd has no epoll fd");
		return -EINVAL;
	}
	api.epfd = di->epoll_fd;
	api.ref.kind = REF_API;
	api.ref.dead = false;
	api.timer.fn = api_timer_fired;
	r = loop_add(&vg->loop, api.epfd, EPOLLIN, &api.ref);
	if (r < 0) {
		MHD_stop_daemon(api.d);
		api.d = NULL;
		log_err(COMP, "cannot watch libmicrohttpd's epoll fd: %s", strerror(-r));
		return r;
	}
	api.version = version;
	api.started_ms = now_ms();
	return 0;
}

void api_fini(void)
{
	if (!api.d)
		return;
	loop_timer_cancel(&vg->loop, &api.timer);
	loop_del(&vg->loop, api.epfd);
	/* Closes every connection; the CLOSED and COMPLETED callbacks free our state. */
	MHD_stop_daemon(api.d);
	api.d = NULL;
	api.nroutes = 0;
}

int api_add_connection(int fd, const struct sockaddr *sa, socklen_t salen, bool full_api)
{
	struct sockaddr_storage ss;
	struct api_conn *ac;
	int err;

	if (!api.d) {
		close(fd);
		return -ENOTCONN;
	}
	ac = calloc(1, sizeof(*ac));
	if (!ac) {
		close(fd);
		return -ENOMEM;
	}
	if (!sa) {
		salen = sizeof(ss);
		if (getpeername(fd, (struct sockaddr *)&ss, &salen) == 0)
			sa = (const struct sockaddr *)&ss;
	}
	if (sa && salen >= sizeof(sa_family_t) && salen <= sizeof(ac->peer)) {
		memcpy(&ac->peer, sa, salen);
		ac->peer_len = salen;
	} else {
		/* MHD wants some address; an unnamed unix peer is what this is. */
		ac->peer.ss_family = AF_UNIX;
		ac->peer_len = sizeof(sa_family_t);
	}
	ac->full_api = full_api;
	api.pending = ac;
	errno = 0;
	if (MHD_add_connection(api.d, fd, (const struct sockaddr *)&ac->peer, ac->peer_len) !=
	    MHD_YES) {
		err = errno ? errno : EIO;
		/* MHD closed @fd; the context is ours unless a CLOSED call freed it. */
		free(api.pending);
		api.pending = NULL;
		if (err == ENFILE)
			log_warn(COMP, "API connection refused: %d connections open",
				 API_CONNECTIONS_MAX);
		else
			log_warn(COMP, "API connection refused: %s", strerror(err));
		return -err;
	}
	/* Claimed by on_connection() in the normal case; never leave it dangling. */
	free(api.pending);
	api.pending = NULL;
	api_rearm();
	return 0;
}
