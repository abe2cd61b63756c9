// SPDX-License-Identifier: MIT
/*
 * api_json.c - the HTTP API's bodies, built and parsed without any I/O
 *
 * Theory of operation
 *
 * Each builder opens a yajl generator, walks its explicit input and hands
 * back the generator's buffer as a malloc'd string with the trailing
 * newline gvproxy's encoder writes. No builder reads a global: api.c does
 * the gathering, so every shape here can be pinned by a unit test with
 * hand-made inputs.
 *
 * Errors while generating are sticky: struct jw remembers the first yajl
 * status that was not ok and every later call is skipped, so a builder
 * checks once at the end. With yajl_gen_validate_utf8 on, a string that is
 * not UTF-8 fails the body (-EINVAL) instead of producing invalid JSON;
 * lease hostnames, the one field a guest chooses freely, are reduced to
 * printable ASCII beforehand so they can never do that.
 *
 * /stats and /metrics share one table (stat_fields) of counter, JSON key,
 * metric name, kind and help text, so the two routes cannot drift apart
 * and adding a counter is one line. The Prometheus text is written with
 * open_memstream(), which grows a malloc'd buffer as it goes.
 *
 * The dns/add parser does not duplicate dns_zone.c's rules: it checks
 * types and addresses itself (to name the offending field), then builds
 * the zone in a scratch table with dns_zone_set_default() and
 * dns_zone_add_record(), which normalise names and compile regexps, and
 * moves the finished zone out. A regexp is also compiled once up front,
 * only to put regerror()'s reason in the error text.
 */
#include "api_json.h"
#include "json_depth.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

/* GET /v1/flows lists at most this many flows (the first ones walked). */
#define API_FLOWS_MAX 65536

/* A zone object needs 3 levels ({"Records":[{...}]}); allow some slack. */
#define API_JSON_DEPTH_MAX 16

/* A yajl generator with a sticky status. */
struct jw {
	yajl_gen g;
	yajl_gen_status st;
};

static int jw_open(struct jw *w)
{
	w->g = yajl_gen_alloc(NULL);
	w->st = yajl_gen_status_ok;
	if (!w->g)
		return -ENOMEM;
	yajl_gen_config(w->g, yajl_gen_validate_utf8, 1);
	return 0;
}

#define JW(w, call)                                \
	do {                                       \
		if ((w)->st == yajl_gen_status_ok) \
			(w)->st = (call);          \
	} while (0)

static void jw_str(struct jw *w, const char *s)
{
	JW(w, yajl_gen_string(w->g, (const unsigned char *)s, strlen(s)));
}

static void jw_u64(struct jw *w, uint64_t v)
{
	char b[24];
	int n = snprintf(b, sizeof(b), "%" PRIu64, v);

	JW(w, yajl_gen_number(w->g, b, (size_t)n));
}

static void jw_key_str(struct jw *w, const char *k, const char *v)
{
	jw_str(w, k);
	jw_str(w, v);
}

static void jw_key_u64(struct jw *w, const char *k, uint64_t v)
{
	jw_str(w, k);
	jw_u64(w, v);
}

static void jw_key_bool(struct jw *w, const char *k, bool v)
{
	jw_str(w, k);
	JW(w, yajl_gen_bool(w->g, v));
}

static void jw_map_open(struct jw *w)
{
	JW(w, yajl_gen_map_open(w->g));
}

static void jw_map_close(struct jw *w)
{
	JW(w, yajl_gen_map_close(w->g));
}

static void jw_array_open(struct jw *w)
{
	JW(w, yajl_gen_array_open(w->g));
}

static void jw_array_close(struct jw *w)
{
	JW(w, yajl_gen_array_close(w->g));
}

/* Hand the generated text over as a malloc'd string ending in "\n". */
static int jw_finish(struct jw *w, char **out)
{
	const unsigned char *buf;
	size_t len;
	int r = 0;

	*out = NULL;
	if (w->st == yajl_gen_status_ok)
		w->st = yajl_gen_get_buf(w->g, &buf, &len);
	if (w->st == yajl_gen_status_ok) {
		*out = malloc(len + 2);
		if (*out) {
			memcpy(*out, buf, len);
			(*out)[len] = '\n';
			(*out)[len + 1] = '\0';
		} else {
			r = -ENOMEM;
		}
	} else {
		r = w->st == yajl_gen_invalid_string ? -EINVAL : -ENOMEM;
	}
	yajl_gen_free(w->g);
	return r;
}

static void fmt_ip4(uint32_t net_order, char buf[INET_ADDRSTRLEN])
{
	struct in_addr a = { .s_addr = net_order };

	inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void fmt_mac(const uint8_t m[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* --- /stats and /metrics ---------------------------------------------------- */

struct stat_field {
	const char *key;    /* /stats key */
	const char *metric; /* vgate_<metric>[_total] */
	bool gauge;
	size_t off; /* of a uint64_t in struct api_stats */
	const char *help;
};

#define C(key, metric, field, help)                                         \
	{                                                                   \
		key, metric, false, offsetof(struct api_stats, field), help \
	}
#define G(key, metric, field, help)                                        \
	{                                                                  \
		key, metric, true, offsetof(struct api_stats, field), help \
	}

static const struct stat_field stat_fields[] = {
	C("BytesSent", "bytes_sent", bytes_sent, "Bytes the switch delivered to VM ports."),
	C("BytesReceived", "bytes_received", bytes_received,
	  "Bytes VM ports sent into the switch."),
	C("FramesSent", "frames_sent", frames_sent, "Frames the switch delivered to VM ports."),
	C("FramesReceived", "frames_received", frames_received,
	  "Frames VM ports sent into the switch."),
	G("VMs", "vms", vms, "VM ports attached to the switch."),
	C("TxDrops", "tx_drops", tx_drops, "Frames dropped because a VM port's queue was full."),
	C("Runts", "runt_frames", runts, "Frames shorter than 14 bytes refused by the transports."),
	C("Oversize", "oversize_frames", oversize,
	  "Frames over a transport's maximum (the connection is dropped)."),
	C("PortsFull", "ports_full", ports_full,
	  "Connections refused because every switch port was in use."),
	C("BadHandshakes", "bad_handshakes", bad_handshakes,
	  "Connections closed for a bad or late handshake or request head."),
	C("UnknownUnicast", "unknown_unicast", unknown_unicast,
	  "Frames dropped because their destination MAC was not learnt."),
	C("MACTableFull", "mac_table_full", mac_table_full,
	  "Source MACs not learnt because the MAC table was full."),
	C("GatewayFrames", "gateway_frames", gateway_frames, "Frames delivered to the gateway."),
	C("GatewayMalformed", "gateway_malformed", gateway_malformed,
	  "Frames to the gateway that failed header checks."),
	C("NotForGateway", "not_for_gateway", not_for_gateway,
	  "IPv4 packets for other destinations handed to the relays."),
	C("ARPReplies", "arp_replies", arp_replies, "ARP replies the gateway sent."),
	C("ICMPEchoReplies", "icmp_echo_replies", icmp_echo_replies,
	  "Echo replies the gateway sent for its own addresses."),
	C("DHCPOffers", "dhcp_offers", dhcp_offers, "DHCPOFFERs sent."),
	C("DHCPAcks", "dhcp_acks", dhcp_acks, "DHCPACKs sent."),
	C("DHCPNaks", "dhcp_naks", dhcp_naks, "DHCPNAKs sent."),
	C("DHCPExhausted", "dhcp_exhausted", dhcp_exhausted,
	  "DHCPDISCOVERs unanswered because the address pool was exhausted."),
	G("DHCPLeases", "dhcp_leases", dhcp_leases, "Addresses bound, static leases included."),
	C("DNSQueries", "dns_queries", dns_queries, "DNS queries to the gateway (UDP and TCP)."),
	C("DNSLocalAnswers", "dns_local_answers", dns_local_answers,
	  "DNS queries answered from the local zones."),
	C("DNSNXDomain", "dns_nxdomain", dns_nxdomain,
	  "DNS queries answered NXDOMAIN from the local zones."),
	C("DNSForwarded", "dns_forwarded", dns_forwarded,
	  "DNS queries forwarded to upstream resolvers."),
	C("DNSServfail", "dns_servfail", dns_servfail, "DNS queries answered SERVFAIL."),
	G("TCPFlows", "tcp_flows", tcp_flows, "Guest TCP flows open."),
	C("TCPFlowsOpened", "tcp_flows_opened", tcp_flows_opened, "Guest TCP flows opened."),
	C("TCPRefused", "tcp_refused", tcp_refused,
	  "Guest TCP connections answered with RST: policy, host refusal, timeout or caps."),
	C("TCPRefusedPolicy", "tcp_refused_policy", tcp_refused_policy,
	  "Guest TCP connections refused by the egress policy."),
	C("TCPRefusedHost", "tcp_refused_host", tcp_refused_host,
	  "Guest TCP connections the host refused or could not route."),
	C("TCPConnectTimeouts", "tcp_connect_timeouts", tcp_timeouts,
	  "Guest TCP connections whose host connect timed out."),
	C("TCPCapped", "tcp_capped", tcp_capped,
	  "Guest TCP connections refused because a flow cap was reached."),
	C("TCPBytesToHost", "tcp_bytes_to_host", tcp_bytes_to_host,
	  "Bytes relayed from guest TCP flows to host sockets."),
	C("TCPBytesToGuest", "tcp_bytes_to_guest", tcp_bytes_to_guest,
	  "Bytes relayed from host sockets to guest TCP flows."),
	G("UDPFlows", "udp_flows", udp_flows, "Guest UDP flows open."),
	C("UDPFlowsOpened", "udp_flows_opened", udp_flows_opened, "Guest UDP flows opened."),
	C("UDPRefused", "udp_refused", udp_refused,
	  "Guest UDP datagrams refused by the egress policy."),
	C("UDPDropped", "udp_dropped", udp_dropped,
	  "UDP datagrams dropped (send errors, oversize replies, broadcast)."),
	C("UDPBytesToHost", "udp_bytes_to_host", udp_bytes_to_host,
	  "UDP payload bytes sent from guests to the world."),
	C("UDPBytesToGuest", "udp_bytes_to_guest", udp_bytes_to_guest,
	  "UDP payload bytes received from the world for guests."),
	C("ICMPRelayed", "icmp_relayed", icmp_relayed,
	  "Guest echo requests relayed through ping sockets."),
	C("ICMPReplies", "icmp_replies", icmp_replies, "Echo replies relayed back to guests."),
	C("ICMPRefused", "icmp_refused", icmp_refused,
	  "Guest echo requests refused by the egress policy."),
};

#undef C
#undef G

static uint64_t stat_value(const struct api_stats *s, const struct stat_field *f)
{
	uint64_t v;

	memcpy(&v, (const char *)s + f->off, sizeof(v));
	return v;
}

int api_json_stats(const struct api_stats *s, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_map_open(&w);
	for (size_t i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++)
		jw_key_u64(&w, stat_fields[i].key, stat_value(s, &stat_fields[i]));
	jw_map_close(&w);
	return jw_finish(&w, out);
}

/* A label value with \, " and newline escaped, as the text format wants. */
static void metric_label(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

struct port_field {
	const char *metric;
	size_t off; /* of a uint64_t in struct api_port_info */
	const char *help;
};

static const struct port_field port_fields[] = {
	{ "rx_frames", offsetof(struct api_port_info, rx_frames), "Frames a VM port sent." },
	{ "rx_bytes", offsetof(struct api_port_info, rx_bytes), "Bytes a VM port sent." },
	{ "tx_frames", offsetof(struct api_port_info, tx_frames),
	  "Frames delivered to a VM port." },
	{ "tx_bytes", offsetof(struct api_port_info, tx_bytes), "Bytes delivered to a VM port." },
	{ "tx_drops", offsetof(struct api_port_info, tx_drops),
	  "Frames dropped because a VM port's queue was full." },
	{ "rx_runts", offsetof(struct api_port_info, rx_runts),
	  "Frames shorter than 14 bytes a VM port sent." },
};

int api_metrics_text(const struct api_stats *s, const struct api_port_info *ports, size_t n,
		     char **out)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	bool bad;

	*out = NULL;
	if (!f)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(stat_fields) / sizeof(stat_fields[0]); i++) {
		const struct stat_field *sf = &stat_fields[i];
		const char *sfx = sf->gauge ? "" : "_total";

		fprintf(f, "# HELP vgate_%s%s %s\n# TYPE vgate_%s%s %s\nvgate_%s%s %" PRIu64 "\n",
			sf->metric, sfx, sf->help, sf->metric, sfx, sf->gauge ? "gauge" : "counter",
			sf->metric, sfx, stat_value(s, sf));
	}
	for (size_t i = 0; i < sizeof(port_fields) / sizeof(port_fields[0]) && n; i++) {
		const struct port_field *pf = &port_fields[i];

		fprintf(f, "# HELP vgate_port_%s_total %s\n# TYPE vgate_port_%s_total counter\n",
			pf->metric, pf->help, pf->metric);
		for (size_t k = 0; k < n; k++) {
			const struct api_port_info *p = &ports[k];
			char mac[18] = "";
			uint64_t v;

			if (p->mac_known)
				fmt_mac(p->mac, mac);
			memcpy(&v, (const char *)p + pf->off, sizeof(v));
			fprintf(f, "vgate_port_%s_total{port=\"%u\",transport=\"", pf->metric,
				p->port);
			metric_label(f, p->transport ? p->transport : "");
			fputs("\",mac=\"", f);
			metric_label(f, mac);
			fprintf(f, "\"} %" PRIu64 "\n", v);
		}
	}
	bad = ferror(f) != 0;
	if (fclose(f) != 0 || bad) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

/* --- leases ---------------------------------------------------------------- */

/* Static slots and BOUND slots that have not expired at @now. */
static bool lease_listed(const struct lease *s, uint64_t now)
{
	return s->state == LEASE_BOUND && (s->is_static || s->expires_ms > now);
}

int api_json_dhcp_leases(const struct lease_table *t, uint64_t now, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_map_open(&w);
	for (uint32_t i = 0; t->slots && i < t->nslots; i++) {
		char ip[INET_ADDRSTRLEN], mac[18];

		if (!lease_listed(&t->slots[i], now))
			continue;
		fmt_ip4(htonl(lease_slot_ip(t, i)), ip);
		fmt_mac(t->slots[i].mac, mac);
		jw_key_str(&w, ip, mac);
	}
	jw_map_close(&w);
	return jw_finish(&w, out);
}

int api_json_leases(const struct lease_table *t, uint64_t now, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_array_open(&w);
	for (uint32_t i = 0; t->slots && i < t->nslots; i++) {
		const struct lease *s = &t->slots[i];
		char ip[INET_ADDRSTRLEN], mac[18], host[LEASE_HOSTNAME_MAX + 1];
		size_t k;

		if (!lease_listed(s, now))
			continue;
		fmt_ip4(htonl(lease_slot_ip(t, i)), ip);
		fmt_mac(s->mac, mac);
		for (k = 0; k < LEASE_HOSTNAME_MAX && s->hostname[k]; k++)
			host[k] = s->hostname[k] >= 0x20 && s->hostname[k] < 0x7f ? s->hostname[k]
										  : '?';
		host[k] = '\0';
		jw_map_open(&w);
		jw_key_str(&w, "ip", ip);
		jw_key_str(&w, "mac", mac);
		jw_key_str(&w, "hostname", host);
		jw_str(&w, "expires");
		if (s->is_static)
			JW(&w, yajl_gen_null(w.g));
		else
			jw_u64(&w, (s->expires_ms - now + 999) / 1000);
		jw_key_bool(&w, "static", s->is_static);
		jw_map_close(&w);
	}
	jw_array_close(&w);
	return jw_finish(&w, out);
}

/* --- DNS zones ------------------------------------------------------------- */

int api_json_dns_zones(const struct dns_zones *z, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_array_open(&w);
	for (size_t i = 0; i < z->n; i++) {
		const struct dns_zone *zone = &z->zones[i];
		char ip[INET_ADDRSTRLEN] = "";

		jw_map_open(&w);
		jw_key_str(&w, "Name", zone->name);
		jw_str(&w, "Records");
		jw_array_open(&w);
		for (size_t k = 0; k < zone->nrecords; k++) {
			const struct dns_record *r = &zone->records[k];
			char a[INET_ADDRSTRLEN] = "", a6[INET6_ADDRSTRLEN];

			if (r->has_a)
				fmt_ip4(r->a.s_addr, a);
			jw_map_open(&w);
			jw_key_str(&w, "Name", r->name);
			jw_key_str(&w, "IP", a);
			if (r->has_regexp)
				jw_key_str(&w, "Regexp", r->regexp);
			if (r->has_aaaa) {
				inet_ntop(AF_INET6, &r->aaaa, a6, sizeof(a6));
				jw_key_str(&w, "IPv6", a6);
			}
			jw_map_close(&w);
		}
		jw_array_close(&w);
		if (zone->has_default)
			fmt_ip4(zone->default_ip.s_addr, ip);
		jw_key_str(&w, "DefaultIP", ip);
		jw_map_close(&w);
	}
	jw_array_close(&w);
	return jw_finish(&w, out);
}

/* --- /v1 -------------------------------------------------------------------- */

int api_json_health(uint64_t uptime_s, uint64_t vms, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_map_open(&w);
	jw_key_str(&w, "status", "ok");
	jw_key_u64(&w, "uptime", uptime_s);
	jw_key_u64(&w, "vms", vms);
	jw_map_close(&w);
	return jw_finish(&w, out);
}

int api_json_version(const char *version, const char *lwip, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_map_open(&w);
	jw_key_str(&w, "version", version ? version : "");
	jw_key_str(&w, "lwip", lwip ? lwip : "");
	jw_map_close(&w);
	return jw_finish(&w, out);
}

int api_json_ports(const struct api_port_info *ports, size_t n, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_array_open(&w);
	for (size_t i = 0; i < n; i++) {
		const struct api_port_info *p = &ports[i];
		char mac[18] = "";

		if (p->mac_known)
			fmt_mac(p->mac, mac);
		jw_map_open(&w);
		jw_key_u64(&w, "port", p->port);
		jw_key_str(&w, "transport", p->transport ? p->transport : "");
		jw_key_str(&w, "mac", mac);
		jw_key_u64(&w, "rx_frames", p->rx_frames);
		jw_key_u64(&w, "rx_bytes", p->rx_bytes);
		jw_key_u64(&w, "tx_frames", p->tx_frames);
		jw_key_u64(&w, "tx_bytes", p->tx_bytes);
		jw_key_u64(&w, "tx_drops", p->tx_drops);
		jw_key_u64(&w, "rx_runts", p->rx_runts);
		jw_map_close(&w);
	}
	jw_array_close(&w);
	return jw_finish(&w, out);
}

int api_json_cam(const struct vswitch *sw, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_map_open(&w);
	for (unsigned i = 0; i < SWITCH_MAC_SLOTS; i++) {
		const struct switch_mac_entry *m = &sw->table[i];
		char mac[18];

		if (!m->used)
			continue;
		snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", m->mac[0], m->mac[1],
			 m->mac[2], m->mac[3], m->mac[4], m->mac[5]);
		jw_key_u64(&w, mac, m->port);
	}
	jw_map_close(&w);
	return jw_finish(&w, out);
}

int api_json_nat(const struct egress *e, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_array_open(&w);
	for (unsigned i = 0; i < e->nnat && i < EGRESS_NAT_MAX; i++) {
		char v[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

		fmt_ip4(e->nat[i].virt, v);
		fmt_ip4(e->nat[i].real, r);
		jw_map_open(&w);
		jw_key_str(&w, "virtual", v);
		jw_key_str(&w, "real", r);
		jw_map_close(&w);
	}
	jw_array_close(&w);
	return jw_finish(&w, out);
}

static void jw_rules(struct jw *w, const char *key, const struct egress_rule *rules, unsigned n)
{
	jw_str(w, key);
	jw_array_open(w);
	for (unsigned i = 0; i < n && i < EGRESS_RULES_MAX; i++) {
		char net[INET_ADDRSTRLEN], buf[INET_ADDRSTRLEN + 16];
		int prefix = __builtin_popcount(ntohl(rules[i].mask));

		fmt_ip4(rules[i].net, net);
		if (rules[i].port)
			snprintf(buf, sizeof(buf), "%s/%d:%u", net, prefix, rules[i].port);
		else
			snprintf(buf, sizeof(buf), "%s/%d", net, prefix);
		jw_str(w, buf);
	}
	jw_array_close(w);
}

int api_json_egress(const struct egress *e, char **out)
{
	struct jw w;

	if (jw_open(&w) < 0)
		return -ENOMEM;
	jw_map_open(&w);
	jw_rules(&w, "allow", e->allow, e->nallow);
	jw_rules(&w, "deny", e->deny, e->ndeny);
	jw_key_bool(&w, "allow_link_local", e->allow_link_local);
	jw_str(&w, "refused");
	jw_map_open(&w);
	jw_key_u64(&w, "tcp", e->refused[EGRESS_TCP]);
	jw_key_u64(&w, "udp", e->refused[EGRESS_UDP]);
	jw_key_u64(&w, "icmp", e->refused[EGRESS_ICMP]);
	jw_map_close(&w);
	jw_map_close(&w);
	return jw_finish(&w, out);
}

/* --- POST /services/dns/add ------------------------------------------------ */

/* Format the error, keep it on one printable line, return -EINVAL. */
static __attribute__((format(printf, 3, 4))) int perr(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	if (!errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *p = err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -EINVAL;
}

/* @obj's value for @key, matched case-insensitively (the last one wins, as in Go). */
static yajl_val obj_get(yajl_val obj, const char *key)
{
	yajl_val v = NULL;

	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcasecmp(obj->u.object.keys[i], key))
			v = obj->u.object.values[i];
	return v;
}

/*
 * A string member: *@s is NULL when absent, null or "". Return: 0, or
 * -EINVAL (not a string) after writing the error prefixed with @where.
 */
static int member_str(yajl_val obj, const char *key, const char **s, const char *where, char *err,
		      size_t errlen)
{
	yajl_val v = obj_get(obj, key);

	*s = NULL;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_STRING(v))
		return perr(err, errlen, "%s\"%s\" must be a string", where, key);
	if (*YAJL_GET_STRING(v))
		*s = YAJL_GET_STRING(v);
	return 0;
}

/* Build the zone's records in @tmp. Return: 0 or -errno with @err set. */
static int parse_records(struct dns_zones *tmp, const char *zname, yajl_val recs, char *err,
			 size_t errlen)
{
	for (size_t i = 0; i < recs->u.array.len; i++) {
		yajl_val rec = recs->u.array.values[i];
		const char *name, *ip, *ip6, *re;
		struct in_addr a;
		struct in6_addr a6;
		char where[48];
		int r;

		snprintf(where, sizeof(where), "record %zu: ", i);
		if (!YAJL_IS_OBJECT(rec))
			return perr(err, errlen, "record %zu is not an object", i);
		if (member_str(rec, "Name", &name, where, err, errlen) < 0 ||
		    member_str(rec, "IP", &ip, where, err, errlen) < 0 ||
		    member_str(rec, "IPv6", &ip6, where, err, errlen) < 0 ||
		    member_str(rec, "Regexp", &re, where, err, errlen) < 0)
			return -EINVAL;
		if (ip && inet_pton(AF_INET, ip, &a) != 1)
			return perr(err, errlen, "record %zu: bad IP \"%s\"", i, ip);
		if (ip6 && inet_pton(AF_INET6, ip6, &a6) != 1)
			return perr(err, errlen, "record %zu: bad IPv6 \"%s\"", i, ip6);
		if (!ip && !ip6)
			return perr(err, errlen, "record %zu needs an IP or IPv6", i);
		if (re) {
			regex_t rx;
			char why[128];

			if (strlen(re) > DNS_ZONE_NAME_MAX)
				return perr(err, errlen, "record %zu: Regexp longer than %d bytes",
					    i, DNS_ZONE_NAME_MAX);
			r = regcomp(&rx, re, REG_EXTENDED | REG_ICASE | REG_NOSUB);
			if (r == REG_ESPACE)
				return -ENOMEM;
			if (r != 0) {
				regerror(r, &rx, why, sizeof(why));
				return perr(err, errlen, "record %zu: bad Regexp \"%s\": %s", i, re,
					    why);
			}
			regfree(&rx);
		} else if (!name) {
			return perr(err, errlen, "record %zu needs a Name or a Regexp", i);
		}
		r = dns_zone_add_record(tmp, zname, re ? NULL : name, re, ip ? &a : NULL,
					ip6 ? &a6 : NULL);
		if (r == -ENOSPC) {
			snprintf(err, errlen, "too many records (at most %d)",
				 DNS_ZONE_RECORDS_MAX);
			return r;
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			return perr(err, errlen, "record %zu: bad Name \"%s\"", i, name);
	}
	return 0;
}

/* Fill @tmp (empty) with the zone in @root. Return: 0 or -errno with @err set. */
static int parse_zone(struct dns_zones *tmp, yajl_val root, char *err, size_t errlen)
{
	const char *zname, *def;
	yajl_val recs;
	struct in_addr a;
	int r;

	if (!YAJL_IS_OBJECT(root))
		return perr(err, errlen, "the zone must be a JSON object");
	if (member_str(root, "Name", &zname, "", err, errlen) < 0 ||
	    member_str(root, "DefaultIP", &def, "", err, errlen) < 0)
		return -EINVAL;
	if (!zname)
		return perr(err, errlen, "missing zone \"Name\"");
	/* Creates the zone even when it ends up with no records. */
	r = dns_zone_set_default(tmp, zname, NULL);
	if (r < 0)
		return perr(err, errlen, "bad zone Name \"%s\"", zname);
	if (def) {
		if (inet_pton(AF_INET, def, &a) != 1)
			return perr(err, errlen, "bad DefaultIP \"%s\"", def);
		dns_zone_set_default(tmp, zname, &a);
	}
	recs = obj_get(root, "Records");
	if (!recs || YAJL_IS_NULL(recs))
		return 0;
	if (!YAJL_IS_ARRAY(recs))
		return perr(err, errlen, "\"Records\" must be a list");
	return parse_records(tmp, zname, recs, err, errlen);
}

int api_json_parse_dns_zone(const char *body, size_t len, struct dns_zone *zone, char *err,
			    size_t errlen)
{
	struct dns_zones *tmp;
	char ebuf[256], *text;
	yajl_val root;
	int r;

	memset(zone, 0, sizeof(*zone));
	if (errlen)
		err[0] = '\0';
	if (memchr(body, '\0', len))
		return perr(err, errlen, "request body contains a NUL byte");
	if (!json_nesting_ok(body, len, API_JSON_DEPTH_MAX))
		return perr(err, errlen, "invalid JSON: nested deeper than %d", API_JSON_DEPTH_MAX);
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, body, len);
	text[len] = '\0';
	ebuf[0] = '\0';
	root = yajl_tree_parse(text, ebuf, sizeof(ebuf));
	free(text);
	if (!root) {
		ebuf[strcspn(ebuf, "\n")] = '\0';
		return perr(err, errlen, "invalid JSON: %s", ebuf[0] ? ebuf : "parse error");
	}
	tmp = calloc(1, sizeof(*tmp));
	if (!tmp) {
		yajl_tree_free(root);
		return -ENOMEM;
	}
	dns_zones_init(tmp);
	r = parse_zone(tmp, root, err, errlen);
	yajl_tree_free(root);
	if (r == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (r == 0) {
		/* Move the one zone out; the scratch table then holds nothing. */
		*zone = tmp->zones[0];
		tmp->n = 0;
	}
	dns_zones_free(tmp);
	free(tmp);
	return r;
}

void api_dns_zone_free(struct dns_zone *zone)
{
	for (size_t i = 0; i < zone->nrecords; i++)
		if (zone->records[i].has_regexp)
			regfree(&zone->records[i].re);
	free(zone->records);
	memset(zone, 0, sizeof(*zone));
}

/* --- GET /v1/flows ---------------------------------------------------------------- */

struct api_flows {
	struct jw w;
	unsigned n;
};

struct api_flows *api_json_flows_begin(void)
{
	struct api_flows *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	if (jw_open(&f->w) < 0) {
		free(f);
		return NULL;
	}
	jw_array_open(&f->w);
	return f;
}

/* "ip:port" (@port < 0: "ip"), or "" when @ip is 0 (not applicable). */
static void jw_key_endpoint(struct jw *w, const char *k, uint32_t ip, int port)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN + 8] = "";

	if (ip) {
		fmt_ip4(ip, a);
		if (port >= 0)
			snprintf(b, sizeof(b), "%s:%d", a, port);
		else
			snprintf(b, sizeof(b), "%s", a);
	}
	jw_key_str(w, k, b);
}

void api_json_flow(const struct flow_info *fi, void *arg)
{
	struct api_flows *f = arg;
	struct jw *w = &f->w;
	bool icmp = !strcmp(fi->proto, "icmp");
	bool outbound = !strcmp(fi->kind, "outbound");

	if (f->n >= API_FLOWS_MAX)
		return;
	f->n++;
	jw_map_open(w);
	jw_key_str(w, "proto", fi->proto);
	jw_key_str(w, "kind", fi->kind);
	jw_key_endpoint(w, "guest", fi->gip, icmp ? -1 : fi->gport);
	jw_key_endpoint(w, "destination", outbound ? fi->dip : 0, icmp ? -1 : fi->dport);
	jw_key_endpoint(w, "host", outbound ? fi->hip : 0, icmp ? -1 : fi->hport);
	jw_key_str(w, "local", fi->local ? fi->local : "");
	jw_key_str(w, "state", fi->state);
	jw_key_u64(w, "to_host_bytes", fi->to_host_bytes);
	jw_key_u64(w, "to_guest_bytes", fi->to_guest_bytes);
	jw_key_u64(w, "age_ms", fi->age_ms);
	jw_str(w, "idle_ms");
	if (fi->idle_ms >= 0)
		jw_u64(w, (uint64_t)fi->idle_ms);
	else
		JW(w, yajl_gen_null(w->g));
	jw_map_close(w);
}

int api_json_flows_end(struct api_flows *f, char **out)
{
	int r;

	jw_array_close(&f->w);
	r = jw_finish(&f->w, out);
	free(f);
	return r;
}
