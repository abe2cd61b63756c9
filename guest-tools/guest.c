// SPDX-License-Identifier: MIT
/*
 * guest.c - the forwarder: tap <-> vgate, DHCP, the agent, in one loop
 *
 * Frames from the tap are read in batches of up to TAP_BATCH and queued on
 * the link, then written with one flush; frames from vgate are written to
 * the tap one by one (a tap write never blocks: the kernel takes the frame
 * or drops it). When the link's queue cannot take another maximal frame the
 * tap is no longer read (its EPOLLIN is off) until the queue has drained to
 * half; the guest kernel's own tap queue then holds, and drops, what comes.
 *
 * The tap's carrier follows the link: off while vgate is unreachable, so
 * the guest's stack does not queue frames nobody carries, on once connected.
 * The first time the link is up, DHCP starts (builtin: dhcpc.c with
 * frames on the link itself; external: udhcpc or dhclient as a child); each
 * later reconnect confirms the lease with the new vgate at once (builtin:
 * INIT-REBOOT; udhcpc: SIGUSR1) and lets the agent check its forwards.
 *
 * A frame from vgate longer than the tap's MTU + 14 (+4 for a VLAN tag)
 * cannot be delivered: it is dropped, counted and reported once. The tap is
 * read into a buffer of 65536 bytes: every frame a uint16 length can carry
 * fits, whatever MTU the guest sets later.
 *
 * Shutdown (SIGTERM, SIGINT): the agent unexposes its ports, the builtin
 * client sends its RELEASE, udhcpc gets SIGTERM and sends its own; frames
 * keep flowing until all of that is done or GUEST_STOP_MS has passed, then
 * the link closes (a stdio peer gets SIGTERM, and SIGKILL after
 * GUEST_CHILD_WAIT_MS). A second signal skips the waiting.
 */
#include "guest.h"

#include "agent.h"
#include "dhcpc.h"
#include "extdhcp.h"
#include "glink.h"
#include "gloop.h"
#include "log.h"
#include "netcfg.h"
#include "rtnl.h"
#include "tap.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define COMP "guest"
/* Tap reads per wake-up before the other fds get their turn. */
#define TAP_BATCH 64
/* The tap read buffer: one more than the largest uint16-framed frame. */
#define TAP_BUF (STREAM_FRAME_MAX_LE16 + 1)
/* An 802.1Q tag on top of MTU + Ethernet header. */
#define VLAN_TAG 4
#define DEFAULT_MTU 1500
#define GUEST_STOP_MS 4000
#define GUEST_CHILD_WAIT_MS 1000

enum dhcp_kind { DHCP_NONE, DHCP_BUILTIN, DHCP_EXTERNAL };

struct guest_stats {
	uint64_t tap_rx;
	uint64_t tap_rx_dropped; /* read while the link was down, or the queue refused */
	uint64_t tap_tx;
	uint64_t tap_tx_oversize; /* longer than the tap's MTU allows */
	uint64_t tap_tx_errors;
	uint64_t dhcp_malformed;
};

struct guest {
	const struct gopts *o;
	struct gurl url;
	struct gloop loop;
	int tap;
	int ifindex;
	int ctl; /* an AF_INET datagram socket for SIOCGIFMTU */
	bool tap_paused;
	unsigned mtu;
	uint8_t *buf;
	struct glink link;
	bool ever_up;
	enum dhcp_kind dhcp;
	struct dhcpc dhcpc;
	struct netcfg netcfg;
	struct extdhcp ext;
	struct agent *agent;
	bool stopping, hurry;
	bool released; /* the lease was given back during shutdown */
	uint64_t stop_deadline;
	int exit_code;
	bool warned_oversize;
	struct guest_stats stats;
};

/* --- the tap ------------------------------------------------------------------ */

/* tap_watch() - read the tap (EPOLLIN) or pause it */
static void tap_watch(struct guest *g, bool on)
{
	if (g->tap_paused == !on)
		return;
	g->tap_paused = !on;
	gloop_mod(&g->loop, g->tap, on ? EPOLLIN : 0, GLOOP_TAP);
}

/* tap_readable() - a batch of frames from the tap onto the link, one flush */
static void tap_readable(struct guest *g, uint64_t now)
{
	for (int i = 0; i < TAP_BATCH; i++) {
		ssize_t n;

		if (g->link.state == GLINK_UP && glink_room(&g->link) < GLINK_FRAME_ROOM) {
			tap_watch(g, false);
			break;
		}
		n = read(g->tap, g->buf, TAP_BUF);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			log_err(COMP, "reading tap %s: %s", g->o->iface, strerror(errno));
			g->exit_code = 1;
			g->stopping = g->hurry = true;
			return;
		}
		g->stats.tap_rx++;
		if (n < STREAM_FRAME_MIN || n >= TAP_BUF || glink_send(&g->link, g->buf, (size_t)n))
			g->stats.tap_rx_dropped++;
	}
	glink_flush(&g->link, now);
}

/* query_mtu() - the tap's MTU as the kernel has it now */
static unsigned query_mtu(struct guest *g)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", g->o->iface);
	if (g->ctl >= 0 && ioctl(g->ctl, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		return (unsigned)ifr.ifr_mtu;
	return g->mtu;
}

/* to_tap() - a frame from vgate onto the tap, unless it exceeds the MTU */
static void to_tap(struct guest *g, const uint8_t *frame, size_t len)
{
	if (len > (size_t)g->mtu + 14 + VLAN_TAG) {
		/* Someone (udhcpc's script, an admin) may have raised it. */
		g->mtu = query_mtu(g);
		if (len > (size_t)g->mtu + 14 + VLAN_TAG) {
			g->stats.tap_tx_oversize++;
			if (!g->warned_oversize)
				log_warn(COMP,
					 "dropped a %zu-byte frame from vgate: %s's MTU is %u "
					 "(is vgate's -mtu larger than the guest's?); further "
					 "drops are only counted",
					 len, g->o->iface, g->mtu);
			g->warned_oversize = true;
			return;
		}
	}
	if (write(g->tap, frame, len) < 0) {
		g->stats.tap_tx_errors++;
		log_debug(COMP, "tap write of %zu bytes: %s", len, strerror(errno));
		return;
	}
	g->stats.tap_tx++;
}

/* --- builtin DHCP ----------------------------------------------------------- */

/* dhcp_send() - wrap the builtin client's message in a frame and queue it on the link */
static void dhcp_send(struct guest *g)
{
	uint8_t frame[DHCPC_FRAME_MAX];
	int n = dhcpc_frame_wrap(frame, sizeof(frame), g->o->mac, g->dhcpc.out_dst_mac,
				 g->dhcpc.out_src, g->dhcpc.out_dst, g->dhcpc.out,
				 g->dhcpc.out_len);

	if (n > 0 && glink_send(&g->link, frame, (size_t)n) == 0)
		log_debug("dhcp", "sent a %zu-byte message (%s)", g->dhcpc.out_len,
			  dhcpc_state_name(g->dhcpc.state));
}

/* dhcp_actions() - carry out what the builtin client asked for (DHCPC_ACT_*) */
static void dhcp_actions(struct guest *g, unsigned act, uint64_t now)
{
	const struct dhcpc_lease *l = &g->dhcpc.lease;
	char a[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

	if (act & DHCPC_ACT_UNBIND) {
		inet_ntop(AF_INET, &g->dhcpc.old.addr, a, sizeof(a));
		log_info("dhcp", "lease %s/%u on %s ended", a, g->dhcpc.old.prefix, g->o->iface);
		netcfg_remove(&g->netcfg, &g->dhcpc.old);
	}
	if (act & (DHCPC_ACT_BIND | DHCPC_ACT_EXTEND)) {
		inet_ntop(AF_INET, &l->addr, a, sizeof(a));
		inet_ntop(AF_INET, &l->router, gw, sizeof(gw));
		if (act & DHCPC_ACT_BIND)
			log_info("dhcp",
				 "lease %s/%u via %s on %s for %u s (MTU %u, %u DNS servers)", a,
				 l->prefix, gw, g->o->iface, l->lease_s, l->mtu, l->ndns);
		else
			log_debug("dhcp", "lease %s renewed for %u s", a, l->lease_s);
		netcfg_apply(&g->netcfg, l);
		if (!g->o->mtu && l->mtu)
			g->mtu = l->mtu;
		if (g->agent && l->router.s_addr)
			agent_set_gateway(g->agent, l->router, now);
	}
	if (act & DHCPC_ACT_SILENT)
		log_warn("dhcp",
			 "no DHCP server has answered on %s for %d s; still asking, every "
			 "%d s at most",
			 g->o->iface, DHCPC_SILENT_WARN_MS / 1000, DHCPC_RETRY_MAX_MS / 1000);
	if (act & DHCPC_ACT_SEND) {
		dhcp_send(g);
		glink_flush(&g->link, now);
	}
}

/* A frame from vgate: the builtin client's replies stop here. */
static bool dhcp_take(struct guest *g, const uint8_t *frame, size_t len)
{
	struct dhcpc_reply r;
	const uint8_t *p;
	uint8_t src[6];
	uint64_t now;
	size_t plen;
	int e;

	if (g->dhcp != DHCP_BUILTIN)
		return false;
	e = dhcpc_frame_unwrap(frame, len, &p, &plen, src);
	if (e == -ENOENT)
		return false;
	if (e < 0 || dhcpc_parse_reply(p, plen, &r) < 0) {
		g->stats.dhcp_malformed++;
		log_debug("dhcp", "dropped a malformed DHCP reply (%zu bytes)", len);
		return true;
	}
	if (memcmp(r.chaddr, g->o->mac, 6) != 0)
		return false; /* someone else's: the tap's business */
	now = now_ms();
	dhcp_actions(g, dhcpc_input(&g->dhcpc, &r, src, now), now);
	return true;
}

/* --- the link's callbacks ---------------------------------------------------- */

/* on_frame() - link callback: a frame from vgate */
static void on_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct guest *g = ctx;

	if (!dhcp_take(g, frame, len))
		to_tap(g, frame, len);
}

/* on_up() - link callback: connected; start or confirm DHCP, resync the agent */
static void on_up(void *ctx)
{
	struct guest *g = ctx;
	uint64_t now = now_ms();
	bool first = !g->ever_up;

	g->ever_up = true;
	tap_set_carrier(g->tap, true);
	tap_watch(g, true);
	if (g->stopping)
		return;
	if (g->dhcp == DHCP_BUILTIN)
		dhcp_actions(g, first ? dhcpc_start(&g->dhcpc, now) : dhcpc_link_up(&g->dhcpc, now),
			     now);
	else if (g->dhcp == DHCP_EXTERNAL && first)
		extdhcp_start(&g->ext, now);
	else if (g->dhcp == DHCP_EXTERNAL)
		extdhcp_renew(&g->ext);
	if (g->agent && !first)
		agent_link_up(g->agent, now);
}

/* on_down() - link callback: disconnected; carrier off */
static void on_down(void *ctx)
{
	struct guest *g = ctx;

	tap_set_carrier(g->tap, false);
	tap_watch(g, true); /* read and drop what the kernel still hands us */
}

/* Read the tap again once the link's queue has drained to half. */
static void tap_maybe_resume(struct guest *g)
{
	if (g->tap_paused && g->link.state == GLINK_UP &&
	    glink_room(&g->link) >= g->link.conn.tx.cap / 2)
		tap_watch(g, true);
}

static void on_writable(void *ctx)
{
	tap_maybe_resume(ctx);
}

static const struct glink_ops link_ops = {
	.frame = on_frame,
	.up = on_up,
	.down = on_down,
	.writable = on_writable,
};

/* --- set-up ------------------------------------------------------------------- */

/* setup_tap() - open the tap, set MAC, MTU and up (unless -preexisting) */
static int setup_tap(struct guest *g)
{
	char err[256];
	struct rtnl_req m;
	int r;

	g->tap = tap_open(g->o->iface, g->o->preexisting, &g->ifindex, err, sizeof(err));
	if (g->tap < 0) {
		log_err(COMP, "%s", err);
		return g->tap;
	}
	g->ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	g->mtu = g->o->mtu ? g->o->mtu : DEFAULT_MTU;
	if (g->o->preexisting) {
		g->mtu = query_mtu(g);
		log_info(COMP, "attached to the existing tap %s (MTU %u), left as it is",
			 g->o->iface, g->mtu);
	} else {
		r = rtnl_link_req(&m, g->ifindex, g->o->mac, g->mtu, RTNL_UP);
		if (!r)
			r = rtnl_talk(&m);
		if (r < 0) {
			log_err(COMP, "cannot set MAC, MTU %u and link up on %s: %s", g->mtu,
				g->o->iface, strerror(-r));
			return r;
		}
	}
	tap_set_carrier(g->tap, false);
	r = gloop_add(&g->loop, g->tap, EPOLLIN, GLOOP_TAP);
	if (r < 0)
		log_err(COMP, "epoll: %s", strerror(-r));
	return r;
}

/* setup_dhcp() - pick the DHCP client (-dhcp, auto: udhcpc, dhclient, builtin) */
static void setup_dhcp(struct guest *g)
{
	const struct gopts *o = g->o;
	enum gopts_dhcp want = o->dhcp;
	char host[DHCPC_HOSTNAME_LEN] = "";
	uint64_t seed = 0;

	g->netcfg.ifindex = g->ifindex;
	snprintf(g->netcfg.ifname, sizeof(g->netcfg.ifname), "%s", o->iface);
	g->netcfg.resolv = o->resolv[0] ? o->resolv : NULL;
	g->netcfg.metric = o->route_metric;
	g->netcfg.fixed_mtu = o->mtu;
	if (o->preexisting && !o->dhcp_given)
		want = GOPTS_DHCP_NONE;
	if (want == GOPTS_DHCP_AUTO)
		want = extdhcp_find(&g->ext, EXTDHCP_UDHCPC)	 ? GOPTS_DHCP_UDHCPC
		       : extdhcp_find(&g->ext, EXTDHCP_DHCLIENT) ? GOPTS_DHCP_DHCLIENT
								 : GOPTS_DHCP_BUILTIN;
	switch (want) {
	case GOPTS_DHCP_UDHCPC:
	case GOPTS_DHCP_DHCLIENT:
		if (!extdhcp_find(&g->ext,
				  want == GOPTS_DHCP_UDHCPC ? EXTDHCP_UDHCPC : EXTDHCP_DHCLIENT)) {
			log_warn("dhcp", "-dhcp %s: not found on $PATH; using the builtin client",
				 want == GOPTS_DHCP_UDHCPC ? "udhcpc" : "dhclient");
			break;
		}
		if (extdhcp_setup(&g->ext, o->iface, g->netcfg.resolv, o->route_metric, o->mtu,
				  o->log_file[0] ? o->log_file : NULL, o->debug) < 0) {
			log_warn("dhcp", "cannot find vgate-guest's own path for udhcpc's script; "
					 "using the builtin client");
			break;
		}
		g->dhcp = DHCP_EXTERNAL;
		return;
	case GOPTS_DHCP_NONE:
		g->dhcp = DHCP_NONE;
		return;
	case GOPTS_DHCP_AUTO:
	case GOPTS_DHCP_BUILTIN:
		break;
	}
	g->dhcp = DHCP_BUILTIN;
	if (o->hostname[0])
		snprintf(host, sizeof(host), "%s", o->hostname);
	else if (gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = now_ms() ^ (uint64_t)getpid() << 32;
	dhcpc_init(&g->dhcpc, o->mac, host, seed);
}

/* --- the loop -------------------------------------------------------------------- */

/* reap() - collect every exited child and tell its owner */
static void reap(struct guest *g, uint64_t now)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (glink_child_exited(&g->link, pid, status, now))
			continue;
		if (g->dhcp == DHCP_EXTERNAL)
			extdhcp_child_exited(&g->ext, pid, status, now);
	}
}

/* begin_stop() - SIGTERM/SIGINT: the agent unexposes first */
static void begin_stop(struct guest *g, uint64_t now)
{
	g->stopping = true;
	g->stop_deadline = now + GUEST_STOP_MS;
	log_info(COMP, "stopping");
	if (g->agent)
		agent_stop(g->agent, now);
}

/* The lease goes last but one: the agent needs the address to unexpose. */
static void release_lease(struct guest *g, uint64_t now)
{
	g->released = true;
	if (g->dhcp == DHCP_BUILTIN)
		dhcp_actions(g, dhcpc_release(&g->dhcpc, now), now);
	else if (g->dhcp == DHCP_EXTERNAL)
		extdhcp_stop(&g->ext);
}

/* on_signal() - handle what the signalfd holds */
static void on_signal(struct guest *g, uint64_t now)
{
	int sig;

	while ((sig = gloop_read_signal(&g->loop)) > 0) {
		if (sig == SIGCHLD) {
			reap(g, now);
		} else if (sig == SIGHUP) {
			log_info(COMP, "SIGHUP: nothing to reload");
		} else if (g->stopping) {
			g->hurry = true;
		} else {
			begin_stop(g, now);
		}
	}
}

/* Everything the shutdown waits for is done. */
static bool stop_done(struct guest *g, uint64_t now)
{
	if (g->hurry || now >= g->stop_deadline)
		return true;
	if (g->agent && !agent_done(g->agent, now))
		return false;
	if (!g->released)
		release_lease(g, now);
	if (g->dhcp == DHCP_EXTERNAL && g->ext.pid > 0)
		return false;
	return g->link.state != GLINK_UP || !stream_txq_pending(&g->link.conn.tx);
}

/* deadline() - the earliest timer of every component */
static uint64_t deadline(struct guest *g)
{
	uint64_t d = glink_deadline(&g->link);

	if (g->dhcp == DHCP_BUILTIN)
		d = MIN(d, dhcpc_deadline(&g->dhcpc));
	if (g->dhcp == DHCP_EXTERNAL)
		d = MIN(d, extdhcp_deadline(&g->ext));
	if (g->agent)
		d = MIN(d, agent_deadline(g->agent));
	if (g->stopping)
		d = MIN(d, g->stop_deadline);
	return d;
}

/* timers() - run every component whose deadline has come */
static void timers(struct guest *g, uint64_t now)
{
	glink_timer(&g->link, now);
	if (g->dhcp == DHCP_BUILTIN && dhcpc_deadline(&g->dhcpc) <= now)
		dhcp_actions(g, dhcpc_timer(&g->dhcpc, now), now);
	if (g->dhcp == DHCP_EXTERNAL)
		extdhcp_timer(&g->ext, now);
	if (g->agent)
		agent_timer(g->agent, now);
}

/* dispatch() - one epoll event to its handler, by kind */
static void dispatch(struct guest *g, const struct epoll_event *ev, uint64_t now)
{
	enum gloop_kind kind = (enum gloop_kind)ev->data.u64;

	switch (kind) {
	case GLOOP_SIGNAL:
		on_signal(g, now);
		break;
	case GLOOP_TAP:
		tap_readable(g, now);
		break;
	case GLOOP_LINK_RD:
	case GLOOP_LINK_WR:
		glink_event(&g->link, kind, ev->events, now);
		break;
	case GLOOP_AGENT_API:
		if (g->agent)
			agent_event(g->agent, ev->events, now);
		break;
	}
}

/* Run until stop_done(); returns with the link still open. */
static void run(struct guest *g)
{
	struct epoll_event ev[GLOOP_EVENTS_MAX];

	for (;;) {
		uint64_t now = now_ms();
		int n;

		timers(g, now);
		if (g->stopping && stop_done(g, now))
			return;
		/* A flush may have emptied the queue without an EPOLLOUT. */
		tap_maybe_resume(g);
		n = epoll_wait(g->loop.epfd, ev, GLOOP_EVENTS_MAX,
			       gloop_timeout(deadline(g), now_ms()));
		if (n < 0 && errno != EINTR) {
			log_err(COMP, "epoll_wait: %s", strerror(errno));
			g->exit_code = 1;
			return;
		}
		now = now_ms();
		for (int i = 0; i < n; i++)
			dispatch(g, &ev[i], now);
	}
}

/* Close the link; give a stdio peer GUEST_CHILD_WAIT_MS to exit, then kill it. */
static void finish(struct guest *g)
{
	uint64_t until;

	glink_stop(&g->link);
	until = now_ms() + (g->hurry ? 0 : GUEST_CHILD_WAIT_MS);
	while ((glink_child(&g->link) > 0 || (g->dhcp == DHCP_EXTERNAL && g->ext.pid > 0)) &&
	       now_ms() < until) {
		struct epoll_event ev;
		int n = epoll_wait(g->loop.epfd, &ev, 1, gloop_timeout(until, now_ms()));

		if (n > 0 && ev.data.u64 == GLOOP_SIGNAL)
			on_signal(g, now_ms());
	}
	if (glink_child(&g->link) > 0) {
		kill(glink_child(&g->link), SIGKILL);
		waitpid(glink_child(&g->link), NULL, 0);
		g->link.child = 0;
	}
	if (g->dhcp == DHCP_EXTERNAL && g->ext.pid > 0) {
		kill(g->ext.pid, SIGKILL);
		waitpid(g->ext.pid, NULL, 0);
		g->ext.pid = 0;
	}
}

/* log_stats() - the counters, once, at exit */
static void log_stats(const struct guest *g)
{
	log_info(COMP,
		 "frames: %llu from the tap (%llu dropped), %llu to it (%llu over the MTU, %llu "
		 "refused); link: %llu connects, %llu losses",
		 (unsigned long long)g->stats.tap_rx, (unsigned long long)g->stats.tap_rx_dropped,
		 (unsigned long long)g->stats.tap_tx, (unsigned long long)g->stats.tap_tx_oversize,
		 (unsigned long long)g->stats.tap_tx_errors, (unsigned long long)g->link.stats.ups,
		 (unsigned long long)g->link.stats.losses);
}

int guest_forward(const struct gopts *o)
{
	struct guest *g = calloc(1, sizeof(*g));
	char desc[GURL_PROG_LEN + 32];
	int r, code;

	if (!g || !(g->buf = malloc(TAP_BUF))) {
		log_err(COMP, "out of memory");
		free(g);
		return 1;
	}
	g->o = o;
	g->tap = g->ctl = -1;
	r = gurl_parse(o->url, &g->url);
	if (r < 0) {
		log_err(COMP, "-url %s: %s", o->url,
			r == -EPROTONOSUPPORT ? "unsupported scheme (vsock, unix, tcp or stdio)"
			: r == -ENAMETOOLONG  ? "too long"
			: r == -E2BIG	      ? "too many stdio arguments"
					      : "malformed");
		free(g->buf);
		free(g);
		return 2;
	}
	code = 1;
	glink_init(&g->link, &g->url, &g->loop, &link_ops, g);
	r = gloop_init(&g->loop);
	if (r < 0) {
		log_err(COMP, "event loop: %s", strerror(-r));
		goto out;
	}
	if (setup_tap(g) < 0)
		goto out;
	setup_dhcp(g);
	if (o->auto_forward) {
		struct agent_config cfg = o->agent;

		snprintf(cfg.ifname, sizeof(cfg.ifname), "%s", o->iface);
		g->agent = agent_new(&cfg, &g->loop, now_ms());
		if (!g->agent) {
			log_err(COMP, "out of memory");
			goto out;
		}
	}
	log_info(COMP, "forwarding %s (MAC %02x:%02x:%02x:%02x:%02x:%02x) to %s; DHCP: %s%s",
		 o->iface, o->mac[0], o->mac[1], o->mac[2], o->mac[3], o->mac[4], o->mac[5],
		 gurl_describe(&g->url, desc, sizeof(desc)),
		 g->dhcp == DHCP_BUILTIN ? "builtin"
		 : g->dhcp == DHCP_NONE	 ? "none"
					 : g->ext.argv0,
		 g->agent ? "; auto-forwarding ports" : "");
	glink_start(&g->link, now_ms());
	g->exit_code = 0;
	run(g);
	finish(g);
	log_stats(g);
	code = g->exit_code;
out:
	agent_free(g->agent);
	glink_stop(&g->link);
	if (g->tap >= 0)
		close(g->tap);
	if (g->ctl >= 0)
		close(g->ctl);
	gloop_fini(&g->loop);
	free(g->buf);
	free(g);
	return code;
}

int guest_forward_ports(const struct gopts *o)
{
	struct epoll_event ev[GLOOP_EVENTS_MAX];
	struct gloop loop;
	struct agent *a;
	bool stopping = false;
	int r;

	r = gloop_init(&loop);
	if (r < 0) {
		log_err(COMP, "event loop: %s", strerror(-r));
		return 1;
	}
	a = agent_new(&o->agent, &loop, now_ms());
	if (!a) {
		gloop_fini(&loop);
		return 1;
	}
	log_info(COMP, "auto-forwarding the guest's ports");
	for (;;) {
		uint64_t now = now_ms();
		int n;

		agent_timer(a, now);
		if (stopping && agent_done(a, now))
			break;
		n = epoll_wait(loop.epfd, ev, GLOOP_EVENTS_MAX,
			       gloop_timeout(agent_deadline(a), now_ms()));
		now = now_ms();
		for (int i = 0; i < n; i++) {
			int sig;

			if (ev[i].data.u64 == GLOOP_AGENT_API) {
				agent_event(a, ev[i].events, now);
				continue;
			}
			while ((sig = gloop_read_signal(&loop)) > 0) {
				if (sig == SIGCHLD || sig == SIGHUP)
					continue;
				if (stopping)
					goto out; /* a second signal: do not wait */
				stopping = true;
				log_info(COMP, "stopping");
				agent_stop(a, now);
			}
		}
	}
out:
	agent_free(a);
	gloop_fini(&loop);
	return 0;
}
