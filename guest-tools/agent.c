// SPDX-License-Identifier: MIT
/*
 * agent.c - keep vgate's forwards in step with the guest's listeners
 *
 * Per port (protocol, number) the agent keeps one entry:
 *
 *   WANT     listening in the guest, not exposed: expose when retry_at comes
 *   EXPOSED  the agent created the forward (unexpose when the socket goes)
 *   FOREIGN  vgate already had a forward for that host port: not ours
 *   GONE     the socket closed while EXPOSED: unexpose pending
 *
 * A scan marks what listens now (bitmaps of 64 Ki bits per protocol: bound
 * anywhere else than loopback, bound to loopback, tracked) and moves entries:
 * WANT and FOREIGN entries whose port went quiet are dropped, EXPOSED ones
 * become GONE, a GONE port that listens again is EXPOSED once more, new ports
 * become WANT. The API client then works through the table one request at
 * a time: unexposes first, then exposes, then the periodic list.
 */
#include "agent.h"

#include "gapi.h"
#include "http_client.h"
#include "log.h"
#include "procnet.h"
#include "sock.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define COMP "agent"
#define PORT_WORDS (65536 / 64)
/* Bitmaps per protocol: non-loopback listeners, loopback listeners, tracked. */
enum { BM_ANY, BM_LOOP, BM_TRACKED, BM_KINDS };
#define DEFAULT_GATEWAY "192.168.127.1"

enum entry_state { AE_WANT, AE_EXPOSED, AE_FOREIGN, AE_GONE };

struct entry {
	uint8_t proto;
	uint8_t state;
	bool ours_before; /* exposed by us once: "already running" means still ours */
	bool listed;	  /* scratch for the list resync */
	uint16_t port;
	unsigned failures;
	uint64_t retry_at;
};

enum http_state { AH_IDLE, AH_CONNECTING, AH_SENDING, AH_READING };
enum op { OP_EXPOSE, OP_UNEXPOSE, OP_LIST };

struct agent {
	struct agent_config cfg;
	struct gloop *loop;
	struct entry e[AGENT_PORTS_MAX];
	unsigned n;
	uint64_t bits[2][BM_KINDS][PORT_WORDS];
	uint64_t next_scan, next_resync;
	bool full_warned;
	struct in_addr dhcp_gw;

	enum http_state hs;
	int fd;
	enum op op;
	uint8_t op_proto;
	uint16_t op_port;
	uint64_t hdeadline;
	char gw_desc[32];
	char req[GAPI_REQ_MAX];
	size_t req_len, req_off;
	char resp[GAPI_RESP_MAX + 1];
	size_t resp_len;

	uint64_t api_retry_at, api_backoff;
	uint64_t started;
	bool api_ever_ok;
	bool api_down_logged, auth_warned;
	bool stopping;
	uint64_t stop_deadline;
};

static const char *proto_name(unsigned p)
{
	return p == AGENT_TCP ? "tcp" : "udp";
}

void agent_config_default(struct agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->api_port = 80;
	snprintf(cfg->host_ip, sizeof(cfg->host_ip), "127.0.0.1");
	cfg->tcp = cfg->udp = true;
	cfg->scan_ms = AGENT_SCAN_DEFAULT_MS;
}

/* parse_port() - @n decimal digits at @s as a port, 1-65535. Return: 0 or -EINVAL. */
static int parse_port(const char *s, size_t n, uint16_t *out)
{
	unsigned v = 0;

	if (!n || n > 5)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (!v || v > 65535)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

int agent_parse_ranges(const char *s, struct agent_range *out, unsigned max)
{
	unsigned n = 0;

	if (!s || !*s)
		return 0;
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		struct agent_range r = { .tcp = true, .udp = true };
		const char *dash;

		if (len >= 4 && !strncmp(s, "tcp:", 4)) {
			r.udp = false;
			s += 4;
			len -= 4;
		} else if (len >= 4 && !strncmp(s, "udp:", 4)) {
			r.tcp = false;
			s += 4;
			len -= 4;
		}
		dash = memchr(s, '-', len);
		if (dash) {
			if (parse_port(s, (size_t)(dash - s), &r.lo) < 0 ||
			    parse_port(dash + 1, len - (size_t)(dash - s) - 1, &r.hi) < 0 ||
			    r.lo > r.hi)
				return -EINVAL;
		} else {
			if (parse_port(s, len, &r.lo) < 0)
				return -EINVAL;
			r.hi = r.lo;
		}
		if (n >= max)
			return -E2BIG;
		out[n++] = r;
		if (!comma)
			return (int)n;
		s = comma + 1;
	}
}

/* in_ranges() - does one of the @n ranges cover @port for @proto? */
static bool in_ranges(const struct agent_range *r, unsigned n, enum agent_proto proto,
		      uint16_t port)
{
	for (unsigned i = 0; i < n; i++)
		if ((proto == AGENT_TCP ? r[i].tcp : r[i].udp) && port >= r[i].lo &&
		    port <= r[i].hi)
			return true;
	return false;
}

bool agent_port_wanted(const struct agent_config *cfg, enum agent_proto proto, uint16_t port,
		       bool loopback_only, uint16_t eph_lo, uint16_t eph_hi)
{
	long host = (long)port + cfg->port_offset;

	if (!port || (proto == AGENT_TCP ? !cfg->tcp : !cfg->udp))
		return false;
	if (proto == AGENT_UDP && port == 68)
		return false; /* the guest's own DHCP client */
	if (host < 1 || host > 65535)
		return false;
	if (loopback_only && !cfg->expose_loopback)
		return false;
	if (in_ranges(cfg->exclude, cfg->n_exclude, proto, port))
		return false;
	if (cfg->n_include)
		return in_ranges(cfg->include, cfg->n_include, proto, port);
	if (proto == AGENT_UDP && port >= eph_lo && port <= eph_hi)
		return false;
	return true;
}

int agent_local_spec(const struct agent_config *cfg, uint16_t port, char *buf, size_t cap)
{
	long host = (long)port + cfg->port_offset;
	int n;

	if (host < 1 || host > 65535)
		return -ERANGE;
	if (!cfg->host_ip[0])
		n = snprintf(buf, cap, ":%ld", host);
	else if (strchr(cfg->host_ip, ':'))
		n = snprintf(buf, cap, "[%s]:%ld", cfg->host_ip, host);
	else
		n = snprintf(buf, cap, "%s:%ld", cfg->host_ip, host);
	return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

/* --- the table -------------------------------------------------------------- */

/* bit() - is @port set in the 64 Ki-bit map @bm? */
static bool bit(const uint64_t *bm, uint16_t port)
{
	return bm[port / 64] >> (port % 64) & 1;
}

/* set_bit() - set @port in the 64 Ki-bit map @bm */
static void set_bit(uint64_t *bm, uint16_t port)
{
	bm[port / 64] |= 1ULL << (port % 64);
}

/* find() - the entry for (@proto, @port), or NULL */
static struct entry *find(struct agent *a, unsigned proto, uint16_t port)
{
	for (unsigned i = 0; i < a->n; i++)
		if (a->e[i].proto == proto && a->e[i].port == port)
			return &a->e[i];
	return NULL;
}

/* drop() - remove @e; the last entry takes its slot */
static void drop(struct agent *a, struct entry *e)
{
	*e = a->e[--a->n];
}

struct scan_ctx {
	struct agent *a;
	unsigned proto;
};

/* scan_cb() - procnet callback: mark a listening socket's port in the bitmaps */
static int scan_cb(void *ctx, const struct procnet_sock *s)
{
	struct scan_ctx *sc = ctx;

	if (procnet_listening(sc->proto == AGENT_TCP ? PROCNET_TCP : PROCNET_UDP, s))
		set_bit(sc->a->bits[sc->proto][procnet_loopback(s) ? BM_LOOP : BM_ANY], s->lport);
	return 0;
}

/* read_port_range() - the guest's ephemeral ports (the kernel default if unreadable) */
static void read_port_range(uint16_t *lo, uint16_t *hi)
{
	char buf[64];
	int fd = open("/proc/sys/net/ipv4/ip_local_port_range", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0 || procnet_port_range(buf, (size_t)n, lo, hi) < 0) {
		*lo = 32768; /* the kernel's default */
		*hi = 60999;
	}
}

/* wanted() - does (@proto, @port) listen now and pass the filters? */
static bool wanted(struct agent *a, unsigned proto, uint16_t port, uint16_t lo, uint16_t hi)
{
	bool any = bit(a->bits[proto][BM_ANY], port), loop = bit(a->bits[proto][BM_LOOP], port);

	return (any || loop) && agent_port_wanted(&a->cfg, proto, port, !any, lo, hi);
}

/* scan() - read /proc/net and move the table's entries (see the top of this file) */
static void scan(struct agent *a, uint64_t now)
{
	static const char *const files[2][2] = { { "/proc/net/tcp", "/proc/net/tcp6" },
						 { "/proc/net/udp", "/proc/net/udp6" } };
	struct procnet_stats st = { 0 };
	uint16_t lo, hi;

	memset(a->bits, 0, sizeof(a->bits));
	for (unsigned p = 0; p < 2; p++) {
		struct scan_ctx sc = { .a = a, .proto = p };

		if (p == AGENT_TCP ? !a->cfg.tcp : !a->cfg.udp)
			continue;
		for (int v6 = 0; v6 < 2; v6++) {
			int r = procnet_read_file(files[p][v6], v6 ? AF_INET6 : AF_INET, scan_cb,
						  &sc, &st);

			/* No IPv6 in the guest is normal; anything else is worth a line. */
			if (r < 0 && !(v6 && r == -ENOENT))
				log_debug(COMP, "%s: %s", files[p][v6], strerror(-r));
		}
	}
	if (st.malformed)
		log_debug(COMP, "scan: %u malformed lines skipped", st.malformed);
	read_port_range(&lo, &hi);

	for (unsigned i = 0; i < a->n;) {
		struct entry *e = &a->e[i];
		bool w = wanted(a, e->proto, e->port, lo, hi);

		set_bit(a->bits[e->proto][BM_TRACKED], e->port);
		if (!w && (e->state == AE_WANT || e->state == AE_FOREIGN)) {
			drop(a, e);
			continue; /* the last entry moved into slot i */
		}
		if (!w && e->state == AE_EXPOSED) {
			e->state = AE_GONE;
			e->retry_at = now;
			e->failures = 0;
		} else if (w && e->state == AE_GONE) {
			e->state = AE_EXPOSED;
		}
		i++;
	}
	if (a->stopping)
		return;
	for (unsigned p = 0; p < 2; p++) {
		for (unsigned w = 0; w < PORT_WORDS; w++) {
			uint64_t cand = (a->bits[p][BM_ANY][w] | a->bits[p][BM_LOOP][w]) &
					~a->bits[p][BM_TRACKED][w];

			while (cand) {
				uint16_t port =
					(uint16_t)(w * 64 + (unsigned)__builtin_ctzll(cand));

				cand &= cand - 1;
				if (!wanted(a, p, port, lo, hi))
					continue;
				if (a->n >= AGENT_PORTS_MAX) {
					if (!a->full_warned)
						log_warn(COMP,
							 "%d ports tracked already: %s port %u "
							 "not exposed",
							 AGENT_PORTS_MAX, proto_name(p), port);
					a->full_warned = true;
					continue;
				}
				log_debug(COMP, "%s port %u listens", proto_name(p), port);
				a->e[a->n++] = (struct entry){ .proto = (uint8_t)p,
							       .port = port,
							       .state = AE_WANT,
							       .retry_at = now };
			}
		}
	}
}

/* --- the API client ------------------------------------------------------- */

/* gateway() - where the API is: -gateway, the lease's router, the default route, .1 */
static struct in_addr gateway(struct agent *a)
{
	char buf[8192];
	struct in_addr gw = { 0 };
	int fd;
	ssize_t n;

	if (a->cfg.gateway.s_addr)
		return a->cfg.gateway;
	if (a->dhcp_gw.s_addr)
		return a->dhcp_gw;
	fd = open("/proc/net/route", O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0 && (procnet_default_gw(buf, (size_t)n, a->cfg.ifname[0] ? a->cfg.ifname : NULL,
					 &gw) == 0 ||
		      procnet_default_gw(buf, (size_t)n, NULL, &gw) == 0))
		return gw;
	inet_pton(AF_INET, DEFAULT_GATEWAY, &gw);
	return gw;
}

/* http_close() - drop the API connection, if any */
static void http_close(struct agent *a)
{
	if (a->fd >= 0) {
		gloop_del(a->loop, a->fd);
		close(a->fd);
	}
	a->fd = -1;
	a->hs = AH_IDLE;
}

/* api_failed() - the API could not be reached or refused us: back off, log once */
static void api_failed(struct agent *a, uint64_t now, const char *why)
{
	http_close(a);
	if (!a->api_ever_ok && now - a->started < AGENT_API_QUIET_MS)
		log_debug(COMP, "forwarder API at %s: %s (not up yet?)", a->gw_desc, why);
	else if (!a->api_down_logged)
		log_warn(COMP, "forwarder API at %s: %s (retrying with backoff up to %d s)",
			 a->gw_desc, why, AGENT_API_BACKOFF_MAX_MS / 1000);
	else
		log_debug(COMP, "forwarder API at %s: %s", a->gw_desc, why);
	if (a->api_ever_ok || now - a->started >= AGENT_API_QUIET_MS)
		a->api_down_logged = true;
	a->api_backoff = a->api_backoff ? a->api_backoff * 2 : 1000;
	if (a->api_backoff > AGENT_API_BACKOFF_MAX_MS)
		a->api_backoff = AGENT_API_BACKOFF_MAX_MS;
	a->api_retry_at = now + a->api_backoff;
}

/* api_ok() - the API answered: end the backoff, say so if an outage was logged */
static void api_ok(struct agent *a)
{
	if (a->api_down_logged)
		log_info(COMP, "forwarder API at %s answers again", a->gw_desc);
	a->api_down_logged = false;
	a->api_ever_ok = true;
	a->api_backoff = 0;
}

/* The next request to make, or false when there is none due. */
static bool pick(struct agent *a, uint64_t now)
{
	struct entry *want = NULL;
	bool tracked = false;

	for (unsigned i = 0; i < a->n; i++) {
		struct entry *e = &a->e[i];

		if (e->state == AE_EXPOSED || e->state == AE_FOREIGN)
			tracked = true;
		if (e->retry_at > now)
			continue;
		if (e->state == AE_GONE) {
			a->op = OP_UNEXPOSE;
			a->op_proto = e->proto;
			a->op_port = e->port;
			return true;
		}
		if (e->state == AE_WANT && !want && !a->stopping)
			want = e;
	}
	if (want) {
		a->op = OP_EXPOSE;
		a->op_proto = want->proto;
		a->op_port = want->port;
		return true;
	}
	if (!a->stopping && tracked && now >= a->next_resync) {
		a->op = OP_LIST;
		return true;
	}
	return false;
}

/* build() - the request for a->op into a->req. Return: 0, -ERANGE, -ENOSPC. */
static int build(struct agent *a, const char *host)
{
	char local[80], body[256];
	const char *path = "/services/forwarder/all";
	int n;

	if (a->op != OP_LIST) {
		if (agent_local_spec(&a->cfg, a->op_port, local, sizeof(local)) < 0)
			return -ERANGE;
		if (a->op == OP_EXPOSE) {
			path = "/services/forwarder/expose";
			n = snprintf(body, sizeof(body),
				     "{\"local\":\"%s\",\"remote\":\":%u\",\"protocol\":\"%s\"}",
				     local, a->op_port, proto_name(a->op_proto));
		} else {
			path = "/services/forwarder/unexpose";
			n = snprintf(body, sizeof(body), "{\"local\":\"%s\",\"protocol\":\"%s\"}",
				     local, proto_name(a->op_proto));
		}
		if (n < 0 || (size_t)n >= sizeof(body))
			return -ENOSPC;
	}
	n = gapi_build_request(a->req, sizeof(a->req), a->op == OP_LIST ? "GET" : "POST", path,
			       host, a->cfg.token, a->op == OP_LIST ? NULL : body);
	if (n < 0)
		return n;
	a->req_len = (size_t)n;
	a->req_off = 0;
	return 0;
}

/* start() - open the connection for the request pick() chose */
static void start(struct agent *a, uint64_t now)
{
	struct in_addr gw = gateway(a);
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(a->cfg.api_port),
				  .sin_addr = gw };
	char ip[INET_ADDRSTRLEN];
	int r;

	inet_ntop(AF_INET, &gw, ip, sizeof(ip));
	snprintf(a->gw_desc, sizeof(a->gw_desc), "%s:%u", ip, a->cfg.api_port);
	if (build(a, ip) < 0) {
		struct entry *e = find(a, a->op_proto, a->op_port);

		if (e)
			drop(a, e); /* cannot be expressed: forget it */
		return;
	}
	a->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (a->fd < 0) {
		api_failed(a, now, strerror(errno));
		return;
	}
	a->hdeadline = now + AGENT_HTTP_TIMEOUT_MS;
	a->resp_len = 0;
	r = connect(a->fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0 && errno != EINPROGRESS) {
		api_failed(a, now, strerror(errno));
		return;
	}
	a->hs = r == 0 ? AH_SENDING : AH_CONNECTING;
	r = gloop_add(a->loop, a->fd, EPOLLOUT, GLOOP_AGENT_API);
	if (r < 0)
		api_failed(a, now, strerror(-r));
}

/* kick() - start the next request if none is in flight and one is due */
static void kick(struct agent *a, uint64_t now)
{
	if (a->hs != AH_IDLE || now < a->api_retry_at)
		return;
	if (pick(a, now))
		start(a, now);
}

/* backoff_ms() - the wait after @failures failed exposes or unexposes of a port */
static unsigned backoff_ms(unsigned failures)
{
	uint64_t ms = (uint64_t)AGENT_RETRY_FIRST_MS << (failures > 10 ? 10 : failures - 1);

	return ms > AGENT_RETRY_MAX_MS ? AGENT_RETRY_MAX_MS : (unsigned)ms;
}

struct list_ctx {
	struct agent *a;
};

/* list_cb() - gapi_parse_forwards() callback: mark our entries vgate still lists */
static void list_cb(void *ctx, const char *local, const char *remote, const char *protocol)
{
	struct list_ctx *lc = ctx;
	struct agent *a = lc->a;
	char want[80];

	(void)remote;
	for (unsigned i = 0; i < a->n; i++) {
		struct entry *e = &a->e[i];

		if (!strcmp(protocol, proto_name(e->proto)) &&
		    !agent_local_spec(&a->cfg, e->port, want, sizeof(want)) && !strcmp(local, want))
			e->listed = true;
	}
}

/* list_done() - GET /services/forwarder/all answered: expose again what vgate lost */
static void list_done(struct agent *a, const char *body, size_t len, uint64_t now)
{
	struct list_ctx lc = { .a = a };

	a->next_resync = now + AGENT_RESYNC_MS;
	for (unsigned i = 0; i < a->n; i++)
		a->e[i].listed = false;
	if (gapi_parse_forwards(body, len, list_cb, &lc) < 0) {
		log_warn(COMP, "GET /services/forwarder/all: the answer is not a forward list");
		return;
	}
	for (unsigned i = 0; i < a->n; i++) {
		struct entry *e = &a->e[i];

		if ((e->state != AE_EXPOSED && e->state != AE_FOREIGN) || e->listed)
			continue;
		log_info(COMP,
			 "vgate no longer forwards %s port %u (restarted?): exposing it again",
			 proto_name(e->proto), e->port);
		e->ours_before = e->state == AE_EXPOSED;
		e->state = AE_WANT;
		e->retry_at = now;
		e->failures = 0;
	}
}

/* A one-line excerpt of an error body for the log. */
static const char *excerpt(char *body, size_t len)
{
	size_t n = len > 200 ? 200 : len;

	body[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)body[i] < ' ')
			body[i] = ' ';
	while (n && body[n - 1] == ' ')
		body[--n] = '\0';
	return body;
}

/* finish() - act on an answer to a->op */
static void finish(struct agent *a, const struct http_client_response *r, uint64_t now)
{
	char *body = r->body;
	struct entry *e = a->op == OP_LIST ? NULL : find(a, a->op_proto, a->op_port);
	char local[80] = "";
	bool already, not_found;

	http_close(a);
	if (r->status == 401 || r->status == 403) {
		if (!a->auth_warned)
			log_err(COMP,
				"the forwarder API wants a token (HTTP %d): give -api-token "
				"FILE with vgate's --guest-api-token",
				r->status);
		a->auth_warned = true;
		api_failed(a, now, "not authorised");
		return;
	}
	if (r->status == 404) {
		api_failed(a, now, "no forwarder API there (vgate --no-guest-api?)");
		return;
	}
	api_ok(a);
	if (a->op == OP_LIST) {
		if (r->status == 200)
			list_done(a, body, r->body_len, now);
		else
			a->next_resync = now + AGENT_RESYNC_MS;
		return;
	}
	if (!e) {
		/* The port went away while the expose was out: take it back. */
		if (a->op == OP_EXPOSE && r->status == 200 && a->n < AGENT_PORTS_MAX)
			a->e[a->n++] = (struct entry){ .proto = a->op_proto,
						       .port = a->op_port,
						       .state = AE_GONE,
						       .retry_at = now };
		return;
	}
	agent_local_spec(&a->cfg, e->port, local, sizeof(local));
	excerpt(body, r->body_len);
	already = strstr(body, "already running") != NULL;
	not_found = strstr(body, "not found") != NULL;
	if (a->op == OP_EXPOSE) {
		if (r->status == 200 || (already && e->ours_before)) {
			log_info(COMP, "exposed %s guest port %u on the host at %s",
				 proto_name(e->proto), e->port, local);
			/* Answered after agent_stop(): take it back at once. */
			e->state = a->stopping ? AE_GONE : AE_EXPOSED;
			e->retry_at = now;
			e->ours_before = true;
			e->failures = 0;
		} else if (already) {
			log_info(COMP, "%s %s is forwarded already (not by this agent): left alone",
				 proto_name(e->proto), local);
			e->state = AE_FOREIGN;
		} else {
			if (!e->failures)
				log_warn(COMP, "expose %s %s: HTTP %d %s (retrying)",
					 proto_name(e->proto), local, r->status, body);
			e->failures++;
			e->retry_at = now + backoff_ms(e->failures);
		}
		return;
	}
	if (r->status == 200 || not_found) {
		log_info(COMP, "unexposed %s %s", proto_name(e->proto), local);
		drop(a, e);
		return;
	}
	if (!e->failures)
		log_warn(COMP, "unexpose %s %s: HTTP %d %s (retrying)", proto_name(e->proto), local,
			 r->status, body);
	e->failures++;
	e->retry_at = now + backoff_ms(e->failures);
}

void agent_event(struct agent *a, uint32_t events, uint64_t now)
{
	struct http_client_response resp;
	ssize_t n;
	int r;

	switch (a->hs) {
	case AH_IDLE:
		return;
	case AH_CONNECTING:
		r = sock_connect_result(a->fd);
		if (r < 0) {
			api_failed(a, now, strerror(-r));
			return;
		}
		a->hs = AH_SENDING;
		/* fall through */
	case AH_SENDING:
		while (a->req_off < a->req_len) {
			n = send(a->fd, a->req + a->req_off, a->req_len - a->req_off, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return;
			if (n < 0) {
				api_failed(a, now, strerror(errno));
				return;
			}
			a->req_off += (size_t)n;
		}
		a->hs = AH_READING;
		gloop_mod(a->loop, a->fd, EPOLLIN, GLOOP_AGENT_API);
		return;
	case AH_READING:
		break;
	}
	(void)events;
	for (;;) {
		bool eof;

		if (a->resp_len >= GAPI_RESP_MAX) {
			api_failed(a, now, "answer too large");
			return;
		}
		n = recv(a->fd, a->resp + a->resp_len, GAPI_RESP_MAX - a->resp_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			api_failed(a, now, strerror(errno));
			return;
		}
		eof = n == 0;
		a->resp_len += (size_t)n;
		r = http_client_parse(a->resp, a->resp_len, eof, &resp);
		if (r == 0) {
			finish(a, &resp, now);
			http_client_response_free(&resp);
			kick(a, now);
			return;
		}
		if (r != -EAGAIN) {
			api_failed(a, now, "malformed answer");
			return;
		}
	}
}

void agent_timer(struct agent *a, uint64_t now)
{
	if (a->hs != AH_IDLE && now >= a->hdeadline)
		api_failed(a, now, "no answer in time");
	if (!a->stopping && now >= a->next_scan) {
		scan(a, now);
		a->next_scan = now + a->cfg.scan_ms;
	}
	kick(a, now);
}

uint64_t agent_deadline(const struct agent *a)
{
	uint64_t d = a->stopping ? a->stop_deadline : a->next_scan;
	uint64_t req = GLOOP_NEVER;
	bool tracked = false;

	if (a->hs != AH_IDLE)
		return MIN(d, a->hdeadline);
	for (unsigned i = 0; i < a->n; i++) {
		const struct entry *e = &a->e[i];

		if (e->state == AE_EXPOSED || e->state == AE_FOREIGN)
			tracked = true;
		else if (e->state == AE_GONE || !a->stopping)
			req = MIN(req, e->retry_at);
	}
	if (!a->stopping && tracked)
		req = MIN(req, a->next_resync);
	if (req != GLOOP_NEVER)
		req = MAX(req, a->api_retry_at);
	return MIN(d, req);
}

void agent_link_up(struct agent *a, uint64_t now)
{
	a->next_resync = now;
	a->api_retry_at = now;
	a->api_backoff = 0;
	kick(a, now);
}

void agent_set_gateway(struct agent *a, struct in_addr gw, uint64_t now)
{
	a->dhcp_gw = gw;
	a->api_retry_at = now;
	a->api_backoff = 0;
}

struct agent *agent_new(const struct agent_config *cfg, struct gloop *loop, uint64_t now)
{
	struct agent *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->cfg = *cfg;
	if (!a->cfg.scan_ms)
		a->cfg.scan_ms = AGENT_SCAN_DEFAULT_MS;
	a->loop = loop;
	a->fd = -1;
	a->next_scan = now;
	a->next_resync = now + AGENT_RESYNC_MS;
	a->started = now;
	return a;
}

void agent_free(struct agent *a)
{
	if (!a)
		return;
	http_close(a);
	free(a);
}

bool agent_stop(struct agent *a, uint64_t now)
{
	a->stopping = true;
	a->stop_deadline = now + AGENT_STOP_MS;
	a->api_retry_at = now;
	for (unsigned i = 0; i < a->n;) {
		struct entry *e = &a->e[i];

		if (e->state == AE_EXPOSED) {
			e->state = AE_GONE;
			e->retry_at = now;
			e->failures = 0;
		}
		/* An expose in flight stays: its answer may need taking back. */
		if (e->state != AE_GONE && !(a->hs != AH_IDLE && a->op == OP_EXPOSE &&
					     e->proto == a->op_proto && e->port == a->op_port)) {
			drop(a, e);
			continue;
		}
		i++;
	}
	/* A request already in flight finishes (or times out) first. */
	kick(a, now);
	return agent_done(a, now);
}

bool agent_done(const struct agent *a, uint64_t now)
{
	bool pending = a->hs != AH_IDLE;

	for (unsigned i = 0; i < a->n && !pending; i++)
		pending = a->e[i].state == AE_GONE;
	return a->stopping && (!pending || now >= a->stop_deadline);
}
