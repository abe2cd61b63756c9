// SPDX-License-Identifier: MIT
/*
 * forward.c - port forwards from the host into the guests, the forwarder
 * API routes, and the in-network API at gateway:80
 *
 * Theory of operation
 *
 * A forward is a host socket vgate listens on and a guest address:port it
 * leads to. forward_table.c checks the specs and keeps the table (keyed by
 * protocol and local, as gvproxy keys it); this file opens and closes what
 * the table describes:
 *
 *   tcp, unix  a listening socket (REF_FWD_LISTENER). Each accepted host
 *              connection gets a relay (forward_relay.c) that connects
 *              from the gateway address into the guest through lwIP and
 *              then relays both ways with tcp_flow.c's rules (back-pressure,
 *              half-close, RST both ways). At most FWD_CONNS_MAX relays per
 *              forward; a connection beyond is reset at once. The guest
 *              refusing (RST) or not answering within FWD_RELAY_CONNECT_MS
 *              resets the host connection.
 *   udp        one bound UDP socket (REF_FWD_UDP). Each host client address
 *              is a flow with its own source port on the gateway address
 *              (1024-65535, unique over all udp forwards): datagrams from
 *              the client go to the guest as raw frames from gateway:port,
 *              and the guest's replies to gateway:port (gateway.c hands them
 *              to forward_udp_input() before answering port unreachable)
 *              go back to that client. Flows idle for the UDP idle timeout
 *              (cfg.udp_idle_ms) are closed; at most FWD_UDP_FLOWS_MAX per
 *              forward. No fragmentation: a datagram over MTU - 28 is
 *              dropped and counted.
 *
 * Unexpose closes the listening socket and resets every live connection
 * of the forward (its relay group), and forgets its udp flows; a unix
 * forward's socket file is removed.
 *
 * Unix forwards may only create sockets below a permitted directory: the
 * directories of vgate's own unix API sockets (-listen, -services) and
 * $XDG_RUNTIME_DIR, resolved with realpath() at start; the socket's parent
 * directory is resolved again when it is created, so a symlink cannot lead
 * outside. Paths with NUL bytes, "." or ".." components are refused
 * before that (forward_table.c). A stale socket at the path is replaced, a
 * live one or any other file is an error. Sockets are created 0600.
 *
 * Routes (gvproxy's texts and status codes): GET /services/forwarder/all,
 * POST /services/forwarder/expose, POST /services/forwarder/unexpose, all
 * three also on the in-network API. A remote of ":PORT" is the caller's
 * own guest address on the in-network API, and the first guest
 * (cfg.device_ip) on the host's API. Request errors answer 400, expose and
 * unexpose failures 500, as gvproxy.
 *
 * In-network API: an lwIP listener on gateway:80. Each guest connection
 * gets a socketpair: one end goes to libmicrohttpd with the guest's address
 * (api_add_connection(..., false): only API_ROUTE_GUEST routes), the other
 * is relayed to the guest's PCB by forward_relay.c. With --guest-api-token
 * FILE the three routes answer 401 there unless the request carries
 * "Authorization: Bearer <token>" (the file's first line); --no-guest-api
 * leaves port 80 closed (guests then get RST).
 */
#include "forward.h"

#include "api.h"
#include "arp.h"
#include "forward_relay.h"
#include "forward_table.h"
#include "gateway.h"
#include "log.h"
#include "lwip_inc.h"
#include "sock.h"
#include "url.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define COMP "forward"
/* Connections accepted / datagrams read per wake-up of one forward. */
#define FWD_ACCEPT_BUDGET 64
#define FWD_UDP_READ_BUDGET 64
#define FWD_UDP_SWEEP_MS 1000
#define FWD_UDP_PORT_MIN 1024
#define FWD_UDP_PORT_MAX 65535
#define FWD_TOKEN_MAX 4096
#define FWD_ERR_MAX 512
#define UDP_PAYLOAD_MAX 65535

struct fwd_udp_flow;

struct forward {
	struct loop_ref ref; /* REF_FWD_LISTENER or REF_FWD_UDP */
	struct loop_deferred dead;
	struct fwd_entry *entry;
	int fd;
	struct fwd_relay_group conns;
	struct fwd_udp_flow *flows;
	unsigned nflows;
};

struct fwd_udp_flow {
	struct forward *fw;
	struct fwd_udp_flow *next;
	struct sockaddr_storage client;
	socklen_t clen;
	uint16_t gport; /* source port on the gateway address */
	uint64_t last_ms, born_ms;
	uint64_t to_host_bytes, to_guest_bytes;
};

struct fwd_stats fwd_stats;

static struct fwd_table table;
static struct fwd_udp_flow *udp_by_port[65536];
static uint16_t udp_cursor = FWD_UDP_PORT_MIN;
static unsigned udp_flows_total;
static struct loop_timer udp_sweep;
static char *permitted[FWD_DIRS_MAX];
static unsigned npermitted;
static char *guest_token;
static struct tcp_pcb *guest_api_listener;
static struct fwd_relay_group guest_api_conns;
static bool routes_added;
static uint8_t frame[ETH_HLEN_ + IPV4_HLEN_MIN + UDP_HLEN + UDP_PAYLOAD_MAX];
static uint8_t dgram[UDP_PAYLOAD_MAX];

/* --- udp flows ------------------------------------------------------------------ */

static void udp_flow_del(struct fwd_udp_flow *fl)
{
	struct forward *fw = fl->fw;

	for (struct fwd_udp_flow **pp = &fw->flows; *pp; pp = &(*pp)->next) {
		if (*pp == fl) {
			*pp = fl->next;
			break;
		}
	}
	if (udp_by_port[fl->gport] == fl)
		udp_by_port[fl->gport] = NULL;
	fw->nflows--;
	udp_flows_total--;
	free(fl);
}

static void udp_sweep_fired(struct loop_timer *t)
{
	uint64_t now = now_ms(), idle = vg->cfg.udp_idle_ms ? vg->cfg.udp_idle_ms : 90000;

	for (unsigned i = 0; i < table.n; i++) {
		struct forward *fw = table.v[i]->owner;

		for (struct fwd_udp_flow *fl = fw->flows, *next; fl; fl = next) {
			next = fl->next;
			if (fl->last_ms + idle <= now)
				udp_flow_del(fl);
		}
	}
	if (udp_flows_total)
		loop_timer_arm(&vg->loop, t, FWD_UDP_SWEEP_MS);
}

static bool same_addr(const struct sockaddr_storage *a, socklen_t alen,
		      const struct sockaddr_storage *b, socklen_t blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

static struct fwd_udp_flow *udp_flow_get(struct forward *fw, const struct sockaddr_storage *from,
					 socklen_t flen)
{
	struct fwd_udp_flow *fl;

	for (fl = fw->flows; fl; fl = fl->next)
		if (same_addr(&fl->client, fl->clen, from, flen))
			return fl;
	if (fw->nflows >= FWD_UDP_FLOWS_MAX || flen > sizeof(fl->client))
		return NULL;
	fl = calloc(1, sizeof(*fl));
	if (!fl)
		return NULL;
	for (unsigned i = 0; i <= FWD_UDP_PORT_MAX - FWD_UDP_PORT_MIN; i++) {
		uint16_t p = udp_cursor;

		udp_cursor = p == FWD_UDP_PORT_MAX ? FWD_UDP_PORT_MIN : (uint16_t)(p + 1);
		if (!udp_by_port[p]) {
			fl->gport = p;
			break;
		}
	}
	if (!fl->gport) {
		free(fl);
		return NULL;
	}
	fl->fw = fw;
	fl->born_ms = now_ms();
	memcpy(&fl->client, from, flen);
	fl->clen = flen;
	fl->next = fw->flows;
	fw->flows = fl;
	fw->nflows++;
	udp_by_port[fl->gport] = fl;
	if (!udp_flows_total++) {
		udp_sweep.fn = udp_sweep_fired;
		loop_timer_arm(&vg->loop, &udp_sweep, FWD_UDP_SWEEP_MS);
	}
	return fl;
}

/* The MAC to send a frame for guest @ip to. */
static void guest_mac(uint32_t ip, uint8_t mac[6])
{
	if (arp_lookup(ip, mac) == 0)
		return;
	if (ip == vg->cfg.device_ip)
		memcpy(mac, vg->cfg.device_mac, 6);
	else
		memset(mac, 0xff, 6); /* unknown: every guest sees it, the owner takes it */
}

static void udp_from_host(struct forward *fw)
{
	const struct fwd_spec *s = &fw->entry->spec;
	size_t max =
		vg->cfg.mtu > IPV4_HLEN_MIN + UDP_HLEN ? vg->cfg.mtu - IPV4_HLEN_MIN - UDP_HLEN : 0;

	for (int i = 0; i < FWD_UDP_READ_BUDGET; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		struct fwd_udp_flow *fl;
		uint8_t mac[6];
		ssize_t n;
		int len;

		n = recvfrom(fw->fd, dgram, sizeof(dgram), 0, (struct sockaddr *)&from, &flen);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if ((size_t)n > max) {
			fwd_stats.udp_dropped++;
			continue;
		}
		fl = udp_flow_get(fw, &from, flen);
		if (!fl) {
			fwd_stats.udp_dropped++;
			continue;
		}
		fl->last_ms = now_ms();
		guest_mac(s->rip, mac);
		len = net_build_udp4(frame, sizeof(frame), mac, vg->cfg.gateway_mac,
				     vg->cfg.gateway_ip, fl->gport, s->rip, s->rport, dgram,
				     (size_t)n);
		if (len < 0) {
			fwd_stats.udp_dropped++;
			continue;
		}
		fwd_stats.udp_to_guest++;
		fl->to_guest_bytes += (uint64_t)n;
		gateway_output(frame, (size_t)len);
	}
}

bool forward_udp_input(const struct eth_view *e, const struct ipv4_view *ip,
		       const struct udp_view *u)
{
	struct fwd_udp_flow *fl = udp_by_port[u->dport];
	const struct fwd_spec *s;

	(void)e;
	if (!fl || ip->dst != vg->cfg.gateway_ip)
		return false;
	s = &fl->fw->entry->spec;
	if (ip->src != s->rip || u->sport != s->rport)
		return false;
	fl->last_ms = now_ms();
	if (sendto(fl->fw->fd, u->payload, u->len, MSG_DONTWAIT, (struct sockaddr *)&fl->client,
		   fl->clen) < 0) {
		fwd_stats.udp_dropped++;
	} else {
		fwd_stats.udp_to_host++;
		fl->to_host_bytes += u->len;
	}
	return true;
}

/* --- listeners -------------------------------------------------------------------- */

static void listener_accept(struct forward *fw)
{
	const struct fwd_spec *s = &fw->entry->spec;
	int one = 1;

	for (int i = 0; i < FWD_ACCEPT_BUDGET; i++) {
		int fd = accept4(fw->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN)
				log_warn(COMP, "%s %s: accept: %s", fwd_proto_name(s->proto),
					 s->local, strerror(errno));
			return;
		}
		if (fw->conns.n >= FWD_CONNS_MAX) {
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			fwd_stats.refused_capped++;
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(fd);
			continue;
		}
		if (s->proto == FWD_TCP)
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		fwd_stats.accepted++;
		fwd_relay_connect(&fw->conns, fd, s->rip, s->rport);
	}
}

/* "bind: address already in use", as Go's net.OpError words it. */
static void os_err(char *err, size_t errlen, const char *proto, const char *local, const char *op,
		   int e)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "%s", strerror(e));
	if (msg[0] && msg[1] && !isupper((unsigned char)msg[1]))
		msg[0] = (char)tolower((unsigned char)msg[0]);
	snprintf(err, errlen, "listen %s %s: %s: %s", proto, local, op, msg);
}

static int open_inet(const struct fwd_spec *s, char *err, size_t errlen)
{
	int type = s->proto == FWD_UDP ? SOCK_DGRAM : SOCK_STREAM;
	struct sockaddr_storage sa = s->sa;
	socklen_t salen = s->salen;
	int one = 1, zero = 0, fd, e;

	fd = socket(sa.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && s->dual_stack && errno == EAFNOSUPPORT) {
		/* No IPv6 here: every IPv4 address then. */
		struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
		uint16_t port = ((const struct sockaddr_in6 *)&s->sa)->sin6_port;

		memset(&sa, 0, sizeof(sa));
		s4->sin_family = AF_INET;
		s4->sin_port = port;
		salen = sizeof(*s4);
		fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	}
	if (fd < 0) {
		os_err(err, errlen, fwd_proto_name(s->proto), s->local, "socket", errno);
		return -errno;
	}
	if (sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, s->dual_stack ? &zero : &one,
			   sizeof(int));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, salen) < 0) {
		e = errno;
		os_err(err, errlen, fwd_proto_name(s->proto), s->local, "bind", e);
		close(fd);
		return -e;
	}
	if (type == SOCK_STREAM && listen(fd, SOCK_LISTEN_BACKLOG) < 0) {
		e = errno;
		os_err(err, errlen, fwd_proto_name(s->proto), s->local, "listen", e);
		close(fd);
		return -e;
	}
	return fd;
}

/* Is the socket's parent directory, resolved, still below a permitted one? */
static bool unix_parent_permitted(const char *path)
{
	char copy[sizeof(((struct sockaddr_un *)0)->sun_path)], real[PATH_MAX],
		full[PATH_MAX + 110];
	const char *dirs[FWD_DIRS_MAX];
	char *dir, *base;

	snprintf(copy, sizeof(copy), "%s", path);
	base = strrchr(copy, '/');
	if (!base)
		return false;
	*base++ = '\0';
	dir = copy[0] ? copy : (char *)"/";
	if (!realpath(dir, real))
		return false;
	snprintf(full, sizeof(full), "%s/%s", strcmp(real, "/") ? real : "", base);
	for (unsigned i = 0; i < npermitted; i++)
		dirs[i] = permitted[i];
	return fwd_path_permitted(full, dirs, npermitted);
}

static int open_unix(const struct fwd_spec *s, char *err, size_t errlen)
{
	struct stream_url u = { .scheme = STREAM_URL_UNIX };
	int fd;

	if (!unix_parent_permitted(s->local)) {
		snprintf(err, errlen,
			 "listen unix %s: the directory does not resolve to a permitted one",
			 s->local);
		return -EPERM;
	}
	/* fwd_spec_parse() checked that the path fits. */
	memcpy(u.path, s->local, MIN(strlen(s->local) + 1, sizeof(u.path)));
	u.path[sizeof(u.path) - 1] = '\0';
	fd = sock_listen(&u);
	if (fd < 0) {
		os_err(err, errlen, "unix", s->local, "bind", -fd);
		return fd;
	}
	if (chmod(s->local, 0600) < 0)
		log_warn(COMP, "chmod 0600 %s: %s", s->local, strerror(errno));
	return fd;
}

static void forward_free(struct loop_deferred *d)
{
	free(container_of(d, struct forward, dead));
}

/*
 * Open @spec and enter it in the table.
 * Return: 0; -errno with @err (-EEXIST: gvproxy's "proxy already running").
 */
static int forward_open(const struct fwd_spec *spec, char *err, size_t errlen)
{
	struct forward *fw;
	int fd, r;

	if (fwd_table_find(&table, spec->proto, spec->local)) {
		snprintf(err, errlen, "proxy already running for %s on %s",
			 fwd_proto_name(spec->proto), spec->local);
		return -EEXIST;
	}
	if (table.n >= FWD_MAX) {
		snprintf(err, errlen, "too many forwards (at most %d)", FWD_MAX);
		return -ENOSPC;
	}
	fw = calloc(1, sizeof(*fw));
	if (!fw) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = spec->proto == FWD_UNIX ? open_unix(spec, err, errlen) : open_inet(spec, err, errlen);
	if (fd < 0) {
		free(fw);
		return fd;
	}
	fw->fd = fd;
	fw->ref.kind = spec->proto == FWD_UDP ? REF_FWD_UDP : REF_FWD_LISTENER;
	fw->dead.free_fn = forward_free;
	r = fwd_table_add(&table, spec, fw, &fw->entry);
	if (r == 0)
		r = loop_add(&vg->loop, fd, EPOLLIN, &fw->ref);
	if (r < 0) {
		if (fw->entry)
			fwd_table_remove(&table, fw->entry);
		if (spec->proto == FWD_UNIX)
			unlink(spec->local);
		close(fd);
		free(fw);
		snprintf(err, errlen, "%s", strerror(-r));
		return r;
	}
	fwd_stats.exposed++;
	fwd_stats.active = table.n;
	log_info(COMP, "forwarding %s %s to %s", fwd_proto_name(spec->proto), spec->local,
		 spec->remote);
	return 0;
}

static void forward_close(struct forward *fw)
{
	const struct fwd_spec *s = &fw->entry->spec;

	log_info(COMP, "no longer forwarding %s %s", fwd_proto_name(s->proto), s->local);
	fw->ref.dead = true;
	loop_del(&vg->loop, fw->fd);
	close(fw->fd);
	fw->fd = -1;
	if (s->proto == FWD_UNIX)
		unlink(s->local);
	fwd_relay_group_abort(&fw->conns);
	for (struct fwd_udp_flow *fl = fw->flows, *next; fl; fl = next) {
		next = fl->next;
		udp_flow_del(fl);
	}
	fwd_table_remove(&table, fw->entry);
	fw->entry = NULL;
	fwd_stats.unexposed++;
	fwd_stats.active = table.n;
	loop_defer_free(&vg->loop, &fw->dead);
}

void forward_handle(struct loop_ref *ref, uint32_t events)
{
	(void)events;
	switch (ref->kind) {
	case REF_FWD_LISTENER:
		listener_accept(container_of(ref, struct forward, ref));
		break;
	case REF_FWD_UDP:
		udp_from_host(container_of(ref, struct forward, ref));
		break;
	case REF_FWD_CONN:
		fwd_relay_handle(ref, events);
		break;
	default:
		break;
	}
}

void forward_foreach(flow_visit_fn fn, void *arg)
{
	static const struct flow_info gateway_api = { .kind = "gateway", .local = "gateway:80" };
	uint64_t now = now_ms();

	for (unsigned i = 0; i < table.n; i++) {
		const struct fwd_spec *s = &table.v[i]->spec;
		const struct forward *fw = table.v[i]->owner;
		struct flow_info fi = { .kind = "forward", .local = s->local };

		if (s->proto != FWD_UDP) {
			fwd_relay_group_foreach(&fw->conns, &fi, fn, arg);
			continue;
		}
		for (const struct fwd_udp_flow *fl = fw->flows; fl; fl = fl->next) {
			fi.proto = "udp";
			fi.gip = s->rip;
			fi.gport = s->rport;
			fi.state = "active";
			fi.to_host_bytes = fl->to_host_bytes;
			fi.to_guest_bytes = fl->to_guest_bytes;
			fi.age_ms = now > fl->born_ms ? now - fl->born_ms : 0;
			fi.idle_ms = now > fl->last_ms ? (int64_t)(now - fl->last_ms) : 0;
			fn(&fi, arg);
		}
	}
	fwd_relay_group_foreach(&guest_api_conns, &gateway_api, fn, arg);
}

void forward_flush(void)
{
	fwd_relay_flush();
}

/* --- routes ----------------------------------------------------------------------- */

/* Constant-time string equality (the token). */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la; i++)
		d |= (unsigned char)(a[i] ^ b[i % (lb ? lb : 1)]);
	return !d && la == lb;
}

/* The in-network API with a token: is this request allowed? */
static bool authorized(const struct api_request *req)
{
	const char *h;

	if (req->full_api || !guest_token)
		return true;
	h = api_request_header(req, "Authorization");
	if (h && !strncmp(h, "Bearer ", 7) && same_secret(h + 7, guest_token))
		return true;
	fwd_stats.guest_api_unauthorized++;
	return false;
}

static int unauthorized(struct api_reply *rep)
{
	return api_reply_text(rep, 401, "unauthorized: send Authorization: Bearer <token>");
}

/* Whose ":PORT" is it: the guest's own address, or the first guest's. */
static uint32_t caller_ip(const struct api_request *req)
{
	if (!req->full_api && req->peer && req->peer->sa_family == AF_INET &&
	    req->peer_len >= sizeof(struct sockaddr_in))
		return ((const struct sockaddr_in *)req->peer)->sin_addr.s_addr;
	return vg->cfg.device_ip;
}

static void net_of(struct fwd_net *n)
{
	n->subnet = vg->cfg.subnet;
	n->netmask = vg->cfg.netmask;
	n->gateway = vg->cfg.gateway_ip;
}

static int route_all(const struct api_request *req, struct api_reply *rep)
{
	int r;

	if (!authorized(req))
		return unauthorized(rep);
	r = fwd_table_json(&table, &rep->body);
	if (r == 0)
		rep->content_type = "application/json";
	return r;
}

/*
 * open_forward() - check @local and @remote (":PORT" already filled in) as
 * the expose route does, against the permitted directories, and open it
 * Return: 0, or -errno with @err saying why (the route answers it with 500).
 */
static int open_forward(enum fwd_proto proto, const char *local, size_t llen, const char *remote,
			size_t rlen, char *err, size_t errlen)
{
	const char *dirs[FWD_DIRS_MAX];
	struct fwd_spec spec;
	struct fwd_net net;
	int r;

	for (unsigned i = 0; i < npermitted; i++)
		dirs[i] = permitted[i];
	net_of(&net);
	r = fwd_spec_parse(proto, local, llen, remote, rlen, &net, dirs, npermitted, &spec, err,
			   errlen);
	return r < 0 ? r : forward_open(&spec, err, errlen);
}

static int route_expose(const struct api_request *req, struct api_reply *rep)
{
	struct fwd_request rq;
	enum fwd_proto proto;
	char err[FWD_ERR_MAX], remote[FWD_STR_MAX + 1];
	size_t rlen;
	int r;

	if (!authorized(req))
		return unauthorized(rep);
	r = fwd_request_parse(req->body, req->body_len, &rq, err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return api_reply_text(rep, 400, err);
	r = fwd_proto_parse(rq.protocol, rq.protocol_len, &proto, err, sizeof(err));
	/* gvproxy fills a tcp/udp remote (and answers 400) before anything else. */
	if (r < 0 || proto != FWD_UNIX) {
		r = fwd_remote_fill(rq.remote, rq.remote_len, caller_ip(req), remote,
				    sizeof(remote), err, sizeof(err));
		if (r < 0)
			return api_reply_text(rep, 400,
					      r == -ENAMETOOLONG ? "remote: too long" : err);
		rlen = strlen(remote);
	} else {
		memcpy(remote, rq.remote, rq.remote_len + 1);
		rlen = rq.remote_len;
	}
	if (fwd_proto_parse(rq.protocol, rq.protocol_len, &proto, err, sizeof(err)) < 0)
		return api_reply_text(rep, 500, err);
	if (!memchr(rq.local, '\0', rq.local_len) && fwd_table_find(&table, proto, rq.local)) {
		snprintf(err, sizeof(err), "proxy already running for %s on %s",
			 fwd_proto_name(proto), rq.local);
		return api_reply_text(rep, 500, err);
	}
	if (open_forward(proto, rq.local, rq.local_len, remote, rlen, err, sizeof(err)) < 0)
		return api_reply_text(rep, 500, err);
	return 0;
}

static int route_unexpose(const struct api_request *req, struct api_reply *rep)
{
	struct fwd_request rq;
	struct fwd_entry *e = NULL;
	enum fwd_proto proto;
	char err[FWD_ERR_MAX];
	int r;

	if (!authorized(req))
		return unauthorized(rep);
	r = fwd_request_parse(req->body, req->body_len, &rq, err, sizeof(err));
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return api_reply_text(rep, 400, err);
	if (fwd_proto_parse(rq.protocol, rq.protocol_len, &proto, err, sizeof(err)) == 0 &&
	    !memchr(rq.local, '\0', rq.local_len))
		e = fwd_table_find(&table, proto, rq.local);
	if (!e)
		return api_reply_text(rep, 500, "proxy not found");
	forward_close(e->owner);
	return 0;
}

/* --- the in-network API ------------------------------------------------------------ */

static err_t on_guest_api_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int sp[2];

	(void)arg;
	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	if (guest_api_conns.n >= FWD_GUEST_API_CONNS_MAX ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sp) < 0) {
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	sin.sin_addr.s_addr = ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip));
	sin.sin_port = htons(pcb->remote_port);
	/* MHD owns sp[1] from here, whatever the result. */
	if (api_add_connection(sp[1], (struct sockaddr *)&sin, sizeof(sin), false) < 0) {
		close(sp[0]);
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	if (fwd_relay_accepted(&guest_api_conns, sp[0], pcb) < 0)
		return ERR_ABRT;
	fwd_stats.guest_api_conns++;
	return ERR_OK;
}

static int guest_api_start(void)
{
	struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
	ip_addr_t a;
	err_t err;

	if (!pcb)
		return -ENOMEM;
	ip_addr_set_ip4_u32_val(a, vg->cfg.gateway_ip);
	if (tcp_bind(pcb, &a, FWD_GUEST_API_PORT) != ERR_OK) {
		tcp_close(pcb);
		return -EADDRINUSE;
	}
	guest_api_listener = tcp_listen_with_backlog_and_err(pcb, FWD_GUEST_API_CONNS_MAX, &err);
	if (!guest_api_listener) {
		tcp_close(pcb);
		return -ENOMEM;
	}
	tcp_accept(guest_api_listener, on_guest_api_accept);
	return 0;
}

/* The token file's first line, without trailing whitespace. */
static int read_token(const char *path)
{
	char buf[FWD_TOKEN_MAX + 1];
	ssize_t n;
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, FWD_TOKEN_MAX);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	while (len && isspace((unsigned char)buf[len - 1]))
		len--;
	buf[len] = '\0';
	if (!len)
		return -ENODATA;
	guest_token = strdup(buf);
	return guest_token ? 0 : -ENOMEM;
}

/* --- start and stop ----------------------------------------------------------------- */

static void permit_dir(const char *dir)
{
	char real[PATH_MAX];

	if (npermitted >= FWD_DIRS_MAX || !dir || dir[0] != '/' || !realpath(dir, real))
		return;
	for (unsigned i = 0; i < npermitted; i++)
		if (!strcmp(permitted[i], real))
			return;
	permitted[npermitted] = strdup(real);
	if (permitted[npermitted])
		npermitted++;
}

static void permit_api_dirs(const struct opt_list *l)
{
	for (unsigned i = 0; i < l->n; i++) {
		struct stream_url u;

		if (stream_url_parse(l->v[i], &u) == 0 && u.scheme == STREAM_URL_UNIX)
			permit_dir(dirname(u.path));
	}
}

static void ssh_forward(long port)
{
	char local[32], remote[64], ip[INET_ADDRSTRLEN], err[FWD_ERR_MAX];

	snprintf(local, sizeof(local), "127.0.0.1:%ld", port);
	inet_ntop(AF_INET, &vg->cfg.device_ip, ip, sizeof(ip));
	snprintf(remote, sizeof(remote), "%s:22", ip);
	if (open_forward(FWD_TCP, local, strlen(local), remote, strlen(remote), err, sizeof(err)) <
	    0)
		/* gvproxy exits here; a second daemon on one host should not. */
		log_warn(COMP, "-ssh-port %ld: %s (no SSH forward)", port, err);
}

/* The configuration file's forwards: any one that cannot open stops the start. */
static int config_forwards(void)
{
	char err[FWD_ERR_MAX];

	for (unsigned i = 0; i < vg->cfg.nforwards; i++) {
		const struct config_forward *f = &vg->cfg.forwards[i];
		char remote[FWD_STR_MAX + 1];
		enum fwd_proto proto;
		int r;

		r = fwd_proto_parse(f->proto, strlen(f->proto), &proto, err, sizeof(err));
		if (!r && proto != FWD_UNIX)
			r = fwd_remote_fill(f->remote, strlen(f->remote), vg->cfg.device_ip, remote,
					    sizeof(remote), err, sizeof(err));
		else if (!r)
			snprintf(remote, sizeof(remote), "%s", f->remote);
		if (!r)
			r = open_forward(proto, f->local, strlen(f->local), remote, strlen(remote),
					 err, sizeof(err));
		if (r < 0) {
			log_err(COMP, "configuration forward %s %s -> %s: %s", f->proto, f->local,
				f->remote, err);
			return r;
		}
		log_info(COMP, "forward %s %s -> %s (configuration)", f->proto, f->local, remote);
	}
	return 0;
}

int forward_init(void)
{
	const struct vgate_options *o = vg->opt;
	int r;

	permit_api_dirs(&o->listen);
	permit_api_dirs(&o->services);
	permit_dir(getenv("XDG_RUNTIME_DIR"));
	if (o->guest_api_token) {
		r = read_token(o->guest_api_token);
		if (r < 0) {
			log_err(COMP, "--guest-api-token %s: %s", o->guest_api_token,
				r == -ENODATA ? "empty" : strerror(-r));
			return r;
		}
	}
	if ((r = api_route_add("/services/forwarder/all", API_ROUTE_GUEST, route_all)) < 0 ||
	    (r = api_route_add("/services/forwarder/expose", API_ROUTE_POST | API_ROUTE_GUEST,
			       route_expose)) < 0 ||
	    (r = api_route_add("/services/forwarder/unexpose", API_ROUTE_POST | API_ROUTE_GUEST,
			       route_unexpose)) < 0) {
		log_err(COMP, "cannot add the forwarder routes: %s", strerror(-r));
		return r;
	}
	routes_added = true;
	if (!o->no_guest_api) {
		r = guest_api_start();
		if (r < 0) {
			log_err(COMP, "in-network API on port %d: %s", FWD_GUEST_API_PORT,
				strerror(-r));
			return r;
		}
	}
	if (o->ssh_port > 0)
		ssh_forward(o->ssh_port);
	return config_forwards();
}

void forward_fini(void)
{
	if (guest_api_listener) {
		tcp_accept(guest_api_listener, NULL);
		tcp_close(guest_api_listener);
		guest_api_listener = NULL;
	}
	while (table.n)
		forward_close(table.v[table.n - 1]->owner);
	fwd_relay_fini();
	loop_timer_cancel(&vg->loop, &udp_sweep);
	if (routes_added) {
		api_route_remove("/services/forwarder/all");
		api_route_remove("/services/forwarder/expose");
		api_route_remove("/services/forwarder/unexpose");
		routes_added = false;
	}
	for (unsigned i = 0; i < npermitted; i++)
		free(permitted[i]);
	npermitted = 0;
	free(guest_token);
	guest_token = NULL;
}
