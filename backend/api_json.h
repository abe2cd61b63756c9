/* SPDX-License-Identifier: MIT */
/*
 * api_json.h - the HTTP API's bodies, built and parsed without any I/O
 *
 * Every function here turns explicit inputs (a struct of counters, the
 * lease table, the zone table, the egress policy) into one route's body, a
 * NUL-terminated malloc'd string the caller frees; api.c gathers the inputs
 * from the daemon and serves the result. JSON bodies end in a newline, as
 * gvproxy's (Go's json.Encoder) do. Shapes, keys and casing of the gvproxy
 * routes follow ../shared/reference/gvproxy.md; vgate's own /v1 routes use
 * lower-case snake_case keys.
 *
 * The one parser, api_json_parse_dns_zone(), reads the body of POST
 * /services/dns/add into a struct dns_zone ready for dns_zone_replace().
 */
#ifndef VGATE_API_JSON_H
#define VGATE_API_JSON_H

#include "flow_info.h"
#include "dns_zone.h"
#include "egress.h"
#include "lease.h"
#include "switch.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Counters for /stats and /metrics. Every field is a uint64_t so the two
 * routes can share one table of (field, JSON key, metric name); the gauges
 * (vms, tcp_flows, udp_flows, dhcp_leases) are current values, the rest
 * count since start.
 */
struct api_stats {
	uint64_t bytes_sent, bytes_received;   /* to / from VM ports (gvproxy's keys) */
	uint64_t frames_sent, frames_received; /* to / from VM ports */
	uint64_t vms;			       /* VM ports attached */
	uint64_t tx_drops;		       /* frames a VM port's queue refused */
	uint64_t runts, oversize;	       /* frames refused by the transports */
	uint64_t ports_full, bad_handshakes;   /* connections refused */
	uint64_t unknown_unicast, mac_table_full;
	uint64_t gateway_frames, gateway_malformed, not_for_gateway;
	uint64_t arp_replies, icmp_echo_replies;
	uint64_t dhcp_offers, dhcp_acks, dhcp_naks, dhcp_exhausted, dhcp_leases;
	uint64_t dns_queries, dns_local_answers, dns_nxdomain, dns_forwarded, dns_servfail;
	uint64_t tcp_flows, tcp_flows_opened;
	uint64_t tcp_refused; /* all of: policy, host, timeouts, capped */
	uint64_t tcp_refused_policy, tcp_refused_host, tcp_timeouts, tcp_capped;
	uint64_t tcp_bytes_to_host, tcp_bytes_to_guest;
	uint64_t udp_flows, udp_flows_opened, udp_refused, udp_dropped;
	uint64_t udp_bytes_to_host, udp_bytes_to_guest;
	uint64_t icmp_relayed, icmp_replies, icmp_refused;
};

/* One VM port, as /v1/ports and /metrics list it. */
struct api_port_info {
	unsigned port;	       /* switch port number */
	const char *transport; /* port_origin_name() */
	bool mac_known;	       /* false: "mac" is "" */
	uint8_t mac[6];
	uint64_t rx_frames, rx_bytes; /* from the VM */
	uint64_t tx_frames, tx_bytes; /* to the VM */
	uint64_t tx_drops, rx_runts;
};

/*
 * api_json_stats() - GET /stats: {"BytesSent":N,"BytesReceived":N,...}
 * gvproxy's two keys first, then vgate's counters (CamelCase, as gvproxy's).
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_stats(const struct api_stats *s, char **out);

/*
 * api_json_dhcp_leases() - GET /services/dhcp/leases (and /leases):
 * {"192.168.127.2":"5a:94:ef:e4:0c:ee"}, every static slot and every BOUND
 * slot not expired at @now, in address order; no lease is {}.
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_dhcp_leases(const struct lease_table *t, uint64_t now, char **out);

/*
 * api_json_leases() - GET /v1/leases: the same slots as a list,
 * [{"ip":"...","mac":"...","hostname":"...","expires":S,"static":false}];
 * "expires" is whole seconds left (rounded up), null for a static lease;
 * bytes of a hostname outside printable ASCII become '?'. Empty: [].
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_leases(const struct lease_table *t, uint64_t now, char **out);

/*
 * api_json_dns_zones() - GET /services/dns/all, gvproxy's shape:
 * [{"Name":"containers.internal.","Records":[{"Name":"gateway",
 * "IP":"192.168.127.1"}],"DefaultIP":""}]. A record always has "Name" and
 * "IP" ("" when it has none, as Go writes an empty net.IP); "Regexp" only
 * on regexp records, "IPv6" (vgate's) only where set. No zone is [], a
 * zone without records has "Records":[].
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_dns_zones(const struct dns_zones *z, char **out);

/*
 * api_json_health() - GET /v1/health: {"status":"ok","uptime":S,"vms":N}
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_health(uint64_t uptime_s, uint64_t vms, char **out);

/*
 * api_json_version() - GET /v1/version: {"version":"0.1.0","lwip":"self"}
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_version(const char *version, const char *lwip, char **out);

/*
 * api_json_ports() - GET /v1/ports: [{"port":1,"transport":"qemu",
 * "mac":"5a:94:ef:e4:0c:ee","rx_frames":N,"rx_bytes":N,"tx_frames":N,
 * "tx_bytes":N,"tx_drops":N,"rx_runts":N}], @n entries of @ports in order.
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_ports(const struct api_port_info *ports, size_t n, char **out);

/*
 * api_json_cam() - GET /cam (gvproxy): the switch's MAC table as
 * {"5a:94:ef:e4:0c:ee":1}, MAC -> switch port; empty is {}.
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_cam(const struct vswitch *sw, char **out);

/*
 * api_json_nat() - GET /v1/nat: [{"virtual":"192.168.127.254",
 * "real":"127.0.0.1"}], the table in order; empty is [].
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_nat(const struct egress *e, char **out);

/*
 * api_json_egress() - GET /v1/egress: {"allow":["10.0.0.0/8"],
 * "deny":["0.0.0.0/0:25"],"allow_link_local":false,
 * "refused":{"tcp":N,"udp":N,"icmp":N}}. Rules are CIDR, ":port" when
 * the rule has one, the form egress_rule_parse() reads back.
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_json_egress(const struct egress *e, char **out);

/*
 * api_metrics_text() - GET /metrics: Prometheus text exposition (format
 * 0.0.4). Every counter of @s as vgate_<name>_total (gauges without the
 * suffix), each with # HELP and # TYPE; then per-port families
 * vgate_port_<counter>_total{port="1",transport="qemu",mac="..."}.
 * Return: 0 with *@out malloc'd, or -ENOMEM.
 */
int api_metrics_text(const struct api_stats *s, const struct api_port_info *ports, size_t n,
		     char **out);

/*
 * api_json_parse_dns_zone() - parse the body of POST /services/dns/add
 * @body, @len: the request body (a NUL inside it is an error)
 * @zone: filled on success (zeroed first); release it with
 *	api_dns_zone_free() unless dns_zone_replace() consumes it
 * @err, @errlen: a one-line reason on failure, without trailing newline
 *
 * One zone object in gvproxy's shape: "Name" (string, required), "Records"
 * (list or null), "DefaultIP" (string, "" or null for none); a record has
 * "Name" or "Regexp" (a regexp wins, as in the config file), and "IP"
 * and/or vgate's "IPv6". Keys match case-insensitively and unknown keys
 * are ignored, as Go's encoding/json does for gvproxy.
 * Return: 0; -EINVAL (bad JSON, wrong types, missing Name, bad names,
 * addresses or regexps); -ENOSPC (more than DNS_ZONE_RECORDS_MAX records);
 * -ENOMEM.
 */
int api_json_parse_dns_zone(const char *body, size_t len, struct dns_zone *zone, char *err,
			    size_t errlen);

/* api_dns_zone_free() - release what api_json_parse_dns_zone() put in @zone */
void api_dns_zone_free(struct dns_zone *zone);

/*
 * GET /v1/flows: api_json_flows_begin(), then api_json_flow() as the
 * visitor of every *_foreach() (arg: the struct api_flows), then
 * api_json_flows_end(), which frees it. An array of objects, each with
 * the same keys: proto, kind, guest, destination and host (outbound flows,
 * else ""), local (forwards, else ""), state, to_host_bytes,
 * to_guest_bytes, age_ms, idle_ms (udp and icmp, else null); at most
 * API_FLOWS_MAX (65536) entries.
 * Return (end): 0, -ENOMEM or -EINVAL; begin: NULL when out of memory.
 */
struct api_flows;
struct api_flows *api_json_flows_begin(void);
void api_json_flow(const struct flow_info *fi, void *arg);
int api_json_flows_end(struct api_flows *f, char **out);

#endif
