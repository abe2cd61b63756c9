// SPDX-License-Identifier: MIT
/*
 * main.c - vgate: start-up, the dispatch switch, shutdown
 *
 * Start-up opens every endpoint the command line names (failing fast, with
 * the reason, when one cannot be opened), writes the pid file, and enters
 * the loop. Every event is dispatched from dispatch() below: one switch on
 * the reference kind. SIGTERM and SIGINT end the loop; shutdown closes every
 * port and listener, removes the socket files and the pid file, and exits 0.
 */
#include "api.h"
#include "dns_server.h"
#include "forward.h"
#include "gateway.h"
#include "icmp_relay.h"
#include "tcp_flow.h"
#include "udp_flow.h"
#include "log.h"
#include "lwip_glue.h"
#include "netns.h"
#include "notify.h"
#include "packet_port.h"
#include "pcap.h"
#include "qmp_follow.h"
#include "qmp_listeners.h"
#include "taps_api.h"
#include "util.h"
#include "vgate.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define COMP "vgate"
#define VGATE_VERSION "0.1.0"
/* How often the MAC table is swept for stale entries. */
#define AGE_SWEEP_MS 10000

struct vgate *vg;

static int deliver(void *ctx, unsigned port, const uint8_t *frame, size_t len)
{
	(void)ctx;
	if (port == SWITCH_GATEWAY_PORT)
		return gateway_input(frame, len);
	if (!vg->ports[port])
		return -ENOENT;
	return port_deliver(vg->ports[port], frame, len);
}

static void learned(void *ctx, unsigned port, const uint8_t mac[6])
{
	struct port *p = vg->ports[port];

	(void)ctx;
	if (!p || p->mac_known)
		return;
	memcpy(p->mac, mac, 6);
	p->mac_known = true;
	log_info(COMP, "%s: VM %02x:%02x:%02x:%02x:%02x:%02x on port %u", p->name, mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5], port);
	notify_send(NOTIFY_CONNECTION_ESTABLISHED, mac);
}

static void age_sweep(struct loop_timer *t)
{
	unsigned n = switch_age(&vg->sw, now_ms());

	if (n)
		log_debug(COMP, "aged out %u MAC table entries", n);
	loop_timer_arm(&vg->loop, t, AGE_SWEEP_MS);
}

static void handle_signals(void)
{
	int sig;

	while ((sig = loop_signal_read(&vg->loop)) > 0) {
		switch (sig) {
		case SIGTERM:
		case SIGINT:
			log_info(COMP, "%s: shutting down", strsignal(sig));
			loop_quit(&vg->loop, 0);
			break;
		case SIGCHLD:
			while (waitpid(-1, NULL, WNOHANG) > 0)
				;
			break;
		default:
			break;
		}
	}
}

static void dispatch(struct loop_ref *ref, uint32_t events)
{
	switch (ref->kind) {
	case REF_SIGNAL:
		handle_signals();
		break;
	case REF_LISTENER:
		transport_listener_handle(container_of(ref, struct listener, ref));
		break;
	case REF_PORT:
	case REF_PORT_HTTP:
		port_handle(container_of(ref, struct port, ref), events);
		break;
	case REF_CLIENT:
		transport_client_handle(container_of(ref, struct qemu_client, ref), events);
		break;
	case REF_DNS_UPSTREAM:
		dns_server_upstream_handle(ref, events);
		break;
	case REF_UDP_FLOW:
		udp_flow_handle(ref, events);
		break;
	case REF_ICMP_SOCK:
		icmp_relay_handle(ref, events);
		break;
	case REF_TCP_FLOW:
		tcp_flow_handle(ref, events);
		break;
	case REF_API:
		api_handle(ref, events);
		break;
	case REF_FWD_LISTENER:
	case REF_FWD_UDP:
	case REF_FWD_CONN:
		forward_handle(ref, events);
		break;
	case REF_QMP:
		qmp_follow_handle(ref, events);
		break;
	case REF_TAP_PORT:
		packet_port_handle(container_of(ref, struct port, ref), events);
		break;
	case REF_NOTIFY:
	case REF_KIND_MAX:
		break;
	}
}

static void idle(void)
{
	vgate_lwip_poll();
	tcp_flow_flush();
	forward_flush();
	port_flush_all();
	pcap_flush();
}

/* File descriptors kept for everything but TCP flows: UDP flows, DNS
 * queries in flight, ping sockets, ports, listeners, the API. */
#define FDS_RESERVED (UDP_FLOWS_MAX + 256 + ICMP_RELAY_MAX + SWITCH_PORTS_MAX + 256)
#define TCP_FLOWS_MIN 64

/*
 * Raise the open files limit to its hard maximum and derive the TCP flow
 * cap from it (each flow holds one host socket).
 */
static unsigned raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return TCP_FLOWS_MIN;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_warn(COMP, "cannot raise the open files limit: %s", strerror(errno));
			getrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20)
		rl.rlim_cur = 1u << 20;
	return rl.rlim_cur > FDS_RESERVED + TCP_FLOWS_MIN ? (unsigned)(rl.rlim_cur - FDS_RESERVED)
							  : TCP_FLOWS_MIN;
}

static int write_pid_file(const char *path)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		int r = -errno;

		close(fd);
		return r ? r : -EIO;
	}
	return close(fd) < 0 ? -errno : 0;
}

/* Parse -subnet/-gatewayIP/-deviceIP for --netns-configure. */
static int netns_addressing(const struct vgate_options *o, struct in_addr *dev, unsigned *prefix,
			    struct in_addr *gw)
{
	const char *subnet = o->subnet ? o->subnet : "192.168.127.0/24";
	char net[32];
	const char *slash = strchr(subnet, '/');
	unsigned long pfx;

	if (!slash || (size_t)(slash - subnet) >= sizeof(net) ||
	    parse_uint(slash + 1, 1, 30, &pfx) < 0)
		goto bad;
	memcpy(net, subnet, (size_t)(slash - subnet));
	net[slash - subnet] = '\0';
	if (inet_pton(AF_INET, net, dev) != 1)
		goto bad;
	*prefix = (unsigned)pfx;
	gw->s_addr = htonl(ntohl(dev->s_addr) + 1);
	dev->s_addr = htonl(ntohl(dev->s_addr) + 2);
	if (o->gateway_ip && inet_pton(AF_INET, o->gateway_ip, gw) != 1)
		goto bad;
	if (o->device_ip && inet_pton(AF_INET, o->device_ip, dev) != 1)
		goto bad;
	return 0;
bad:
	log_err(COMP, "bad -subnet/-gatewayIP/-deviceIP");
	return -EINVAL;
}

static int attach_netns(const struct vgate_options *o)
{
	struct netns_tap_config cfg = { .ifname = o->netns_ifname,
					.mtu = vg->cfg.mtu,
					.configure = o->netns_configure };
	uint8_t base[6];
	int r;

	if (!o->netns.n)
		return 0;
	memcpy(base, vg->cfg.device_mac, 6);
	if (o->netns_mac && mac_parse(o->netns_mac, base) < 0) {
		log_err(COMP, "--netns-mac %s: not a MAC address", o->netns_mac);
		return -EINVAL;
	}
	r = netns_addressing(o, &cfg.addr, &cfg.prefix, &cfg.gateway);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < o->netns.n; i++) {
		struct port *p;
		char name[300];
		int fd;

		cfg.ns = o->netns.v[i];
		memcpy(cfg.mac, base, 6);
		cfg.mac[5] = (uint8_t)(base[5] + i);
		fd = netns_open_tap(&cfg);
		if (fd < 0)
			return fd;
		snprintf(name, sizeof(name), "netns %s/%s", cfg.ns, cfg.ifname);
		p = port_new(PORT_FROM_NETNS, fd, fd, STREAM_FRAMING_MSG, false, name);
		if (!p) {
			close(fd);
			return -ENOMEM;
		}
		r = port_attach(p, PORT_RUNNING);
		if (r < 0) {
			port_close(p, "cannot attach");
			return r;
		}
		cfg.addr.s_addr = htonl(ntohl(cfg.addr.s_addr) + 1);
	}
	return 0;
}

static int open_endpoints(const struct vgate_options *o)
{
	int r = 0;

	for (unsigned i = 0; !r && i < o->listen.n; i++)
		r = transport_listen(LISTENER_API, o->listen.v[i]);
	for (unsigned i = 0; !r && i < o->services.n; i++)
		r = transport_listen(LISTENER_SERVICES, o->services.v[i]);
	for (unsigned i = 0; !r && i < o->listen_qemu.n; i++)
		r = transport_listen(LISTENER_QEMU, o->listen_qemu.v[i]);
	for (unsigned i = 0; !r && i < o->listen_bess.n; i++)
		r = transport_listen(LISTENER_BESS, o->listen_bess.v[i]);
	for (unsigned i = 0; !r && i < o->listen_vpnkit.n; i++)
		r = transport_listen(LISTENER_VPNKIT, o->listen_vpnkit.v[i]);
	for (unsigned i = 0; !r && i < o->listen_vfkit.n; i++)
		r = transport_listen_dgram(o->listen_vfkit.v[i]);
	if (!r && o->listen_stdio)
		r = transport_stdio();
	for (unsigned i = 0; !r && i < o->connect_qemu.n; i++)
		r = transport_connect_qemu(o->connect_qemu.v[i]);
	if (!r)
		r = attach_netns(o);
	return r;
}

static int check_unsupported(const struct vgate_options *o)
{
	if (o->forward_sock.n || o->forward_dest.n || o->forward_user.n || o->forward_identity.n) {
		log_err(COMP, "-forward-sock/-forward-dest/-forward-user/-forward-identity: "
			      "not supported yet");
		return -ENOTSUP;
	}
	if (!o->listen.n && !o->services.n && !o->listen_qemu.n && !o->listen_bess.n &&
	    !o->listen_vfkit.n && !o->listen_vpnkit.n && !o->listen_stdio && !o->connect_qemu.n &&
	    !o->netns.n) {
		log_err(COMP, "nothing to serve: give at least one -listen* flag, "
			      "--connect-qemu or --netns (see vgate -help)");
		return -EINVAL;
	}
	return 0;
}

static int run(struct vgate_options *o)
{
	unsigned flows_max = raise_nofile();
	int r;

	r = loop_init(&vg->loop);
	if (r < 0) {
		log_err(COMP, "event loop: %s", strerror(-r));
		return r;
	}
	vg->opt = o;
	switch_init(&vg->sw, vg->cfg.gateway_mac, deliver, learned, NULL);
	switch_port_add_gateway(&vg->sw);
	vgate_lwip_init();
	r = gateway_init(flows_max);
	if (r < 0) {
		log_err(COMP, "gateway: %s", strerror(-r));
		return r;
	}
	r = api_init(VGATE_VERSION);
	if (r < 0) {
		log_err(COMP, "HTTP API: %s", strerror(-r));
		return r;
	}
	r = forward_init();
	if (r < 0)
		return r;
	r = qmp_listeners_init();
	if (r < 0)
		return r;
	r = taps_api_init();
	if (r < 0)
		return r;

	if (o->pcap) {
		r = pcap_open(o->pcap);
		if (r < 0) {
			log_err(COMP, "-pcap %s: %s", o->pcap, strerror(-r));
			return r;
		}
	}
	r = open_endpoints(o);
	if (r < 0)
		return r;
	if (o->qmp) {
		r = qmp_follow_start(o->qmp, o->qmp_keep_running);
		if (r < 0)
			return r;
	}
	if (o->notification) {
		r = notify_open(o->notification);
		if (r < 0)
			return r;
	}
	if (o->pid_file) {
		r = write_pid_file(o->pid_file);
		if (r < 0) {
			log_err(COMP, "-pid-file %s: %s", o->pid_file, strerror(-r));
			return r;
		}
	}
	vg->age_timer.fn = age_sweep;
	loop_timer_arm(&vg->loop, &vg->age_timer, AGE_SWEEP_MS);
	log_info(COMP, "vgate %s ready (lwIP %s, MTU %u)", VGATE_VERSION, vgate_lwip_flavour(),
		 vg->cfg.mtu);
	notify_send(NOTIFY_READY, NULL);
	r = loop_run(&vg->loop, dispatch, idle, vgate_lwip_timeout);
	if (r < 0 && r != QMP_FOLLOW_EXIT_LOST) /* qmp_follow.c said why */
		log_err(COMP, "event loop failed: %s", strerror(-r));
	return r;
}

/*
 * Frames of up to 64 KiB are allocated and freed at line rate (lwIP pbufs).
 * glibc would give freed memory back to the kernel and fault fresh pages in
 * for the next frame, which costs more than the copy itself; keep it.
 */
static void tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	mallopt(M_TOP_PAD, 16 * 1024 * 1024);
}

int main(int argc, char **argv)
{
	struct vgate_options o;
	int r;

	tune_malloc();
	if (options_parse(&o, argc, argv) < 0)
		return 2;
	if (o.help) {
		options_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("vgate version %s\n", VGATE_VERSION);
		return 0;
	}
	if (o.log_file && log_open(o.log_file) < 0) {
		fprintf(stderr, "vgate: -log-file %s: %s\n", o.log_file, strerror(errno));
		return 1;
	}
	log_set_level(o.debug ? VLOG_DEBUG : VLOG_INFO);
	if (check_unsupported(&o) < 0)
		return 1;
	vg = calloc(1, sizeof(*vg));
	if (!vg) {
		log_err(COMP, "out of memory");
		return 1;
	}
	if (config_build(&vg->cfg, &o) < 0) {
		config_free(&vg->cfg);
		free(vg);
		return 1;
	}
	r = run(&o);
	qmp_follow_stop();
	forward_fini();
	qmp_listeners_fini();
	taps_api_fini();
	api_fini();
	loop_timer_cancel(&vg->loop, &vg->age_timer);
	transport_close_all();
	gateway_fini();
	loop_run_graveyard(&vg->loop);
	notify_close();
	pcap_close();
	if (o.pid_file)
		unlink(o.pid_file);
	loop_fini(&vg->loop);
	config_free(&vg->cfg);
	free(vg);
	log_info(COMP, "exited %s", r < 0 ? "after an error" : "cleanly");
	log_close();
	return r < 0 ? 1 : 0;
}
