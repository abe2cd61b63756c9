/* SPDX-License-Identifier: MIT */
/*
 * agent.h - auto-forwarding: guest listeners become host ports
 *
 * Every scan interval (default 2 s) the agent reads /proc/net/{tcp,tcp6,
 * udp,udp6}, takes the TCP sockets in LISTEN and the UDP sockets with no
 * peer, and keeps vgate's forwards in step with them through the in-network
 * API at the gateway (gapi.h): a new port is exposed, a port whose last
 * socket closed is unexposed. A port is one (protocol, number) pair: the
 * same port on IPv4 and IPv6 is one forward.
 *
 * What is exposed, and where:
 *   - ports bound to a guest loopback address only are skipped unless
 *     -expose-loopback (the host could not reach them through the tap);
 *   - UDP sockets on the guest's ephemeral port range are clients, not
 *     services, and are skipped unless -include names them; UDP 68 (the
 *     DHCP client) is never exposed;
 *   - -include limits the ports to lists like "80,443,8000-8100" (optionally
 *     "tcp:" or "udp:" per item); -exclude wins over everything;
 *   - the host side is -host-ip (default 127.0.0.1) on the same port plus
 *     -host-port-offset (default 0): guest :8080 -> host 127.0.0.1:8080.
 *     -host-ip "" asks for every host address (":8080"), as gvproxy allows.
 *
 * Ownership: the agent unexposes only forwards it created. An expose that
 * vgate refuses with "proxy already running" belongs to someone else and is
 * left alone; one refused otherwise (the host port is taken, a privileged
 * port) is retried with backoff up to AGENT_RETRY_MAX_MS. Every
 * AGENT_RESYNC_MS, and at once when the link to vgate comes back, the agent
 * reads /services/forwarder/all and exposes again what vgate lost (vgate
 * restarted). On exit it unexposes what it created, within AGENT_STOP_MS.
 *
 * One API request is in flight at a time, each bounded by
 * AGENT_HTTP_TIMEOUT_MS; failures to reach the API back off from 1 s to
 * AGENT_API_BACKOFF_MAX_MS. Until the API has answered once (the guest may
 * still be waiting for its lease), failures are only warned about after
 * AGENT_API_QUIET_MS. The agent runs in vgate-guest's loop (fd kind
 * GLOOP_AGENT_API) and never blocks; reading /proc is a few in-memory reads.
 */
#ifndef VGATE_AGENT_H
#define VGATE_AGENT_H

#include "gloop.h"

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Ports tracked at once (each an exposed, pending or foreign forward). */
#define AGENT_PORTS_MAX 1024
/* Items of -include and -exclude each. */
#define AGENT_RANGES_MAX 64
#define AGENT_SCAN_DEFAULT_MS 2000
#define AGENT_HTTP_TIMEOUT_MS 5000
#define AGENT_RESYNC_MS 30000
#define AGENT_RETRY_FIRST_MS 2000
#define AGENT_RETRY_MAX_MS 60000
#define AGENT_API_BACKOFF_MAX_MS 30000
#define AGENT_STOP_MS 3000
#define AGENT_API_QUIET_MS 15000
#define AGENT_TOKEN_MAX 256
#define AGENT_HOST_IP_MAX 64

enum agent_proto { AGENT_TCP, AGENT_UDP };

/* An item of -include / -exclude: a port range for one or both protocols. */
struct agent_range {
	bool tcp, udp;
	uint16_t lo, hi;
};

struct agent_config {
	struct in_addr gateway; /* 0: the default route's gateway (else 192.168.127.1) */
	uint16_t api_port;	/* 80 */
	char ifname[16];	/* prefer the default route through this link ("" any) */
	char token[AGENT_TOKEN_MAX];
	char host_ip[AGENT_HOST_IP_MAX]; /* "127.0.0.1"; "" = every host address */
	int port_offset;
	bool expose_loopback;
	bool tcp, udp;
	unsigned scan_ms;
	struct agent_range include[AGENT_RANGES_MAX];
	unsigned n_include;
	struct agent_range exclude[AGENT_RANGES_MAX];
	unsigned n_exclude;
};

struct agent;

/* agent_config_default() - 127.0.0.1, same port, tcp and udp, 2 s scans */
void agent_config_default(struct agent_config *cfg);

/*
 * agent_parse_ranges() - "80,443,8000-8100,udp:53,tcp:22" into @out
 * Return: number of items, -E2BIG beyond @max, -EINVAL for a malformed item.
 */
int agent_parse_ranges(const char *s, struct agent_range *out, unsigned max);

/*
 * agent_port_wanted() - does a listening port pass the configured filters?
 * @loopback_only: every socket on the port is bound to guest loopback
 * @eph_lo, @eph_hi: the guest's ephemeral range (UDP clients live there)
 */
bool agent_port_wanted(const struct agent_config *cfg, enum agent_proto proto, uint16_t port,
		       bool loopback_only, uint16_t eph_lo, uint16_t eph_hi);

/*
 * agent_local_spec() - the "local" of a forward for guest @port
 * Return: 0, or -ERANGE when the offset puts it outside 1-65535.
 */
int agent_local_spec(const struct agent_config *cfg, uint16_t port, char *buf, size_t cap);

/*
 * agent_new() - an agent for @cfg in @loop (it registers its own fd)
 * Return: the agent or NULL (out of memory).
 */
struct agent *agent_new(const struct agent_config *cfg, struct gloop *loop, uint64_t now);
void agent_free(struct agent *a);

/* agent_event() - its API connection's fd is ready */
void agent_event(struct agent *a, uint32_t events, uint64_t now);

/* agent_timer() - call when the clock reaches agent_deadline() */
void agent_timer(struct agent *a, uint64_t now);
uint64_t agent_deadline(const struct agent *a);

/* agent_link_up() - the link to vgate came back: check vgate still has our forwards */
void agent_link_up(struct agent *a, uint64_t now);

/*
 * agent_set_gateway() - the gateway learnt from a DHCP lease (used unless
 * -gateway was given); the network is up now, so try the API at once
 */
void agent_set_gateway(struct agent *a, struct in_addr gw, uint64_t now);

/*
 * agent_stop() - unexpose what the agent created, then be done
 * Return: true when there is nothing to wait for.
 */
bool agent_stop(struct agent *a, uint64_t now);

/* agent_done() - after agent_stop(): every unexpose answered or timed out */
bool agent_done(const struct agent *a, uint64_t now);

#endif
