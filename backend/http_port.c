// SPDX-License-Identifier: MIT
/*
 * http_port.c - API connections before they become anything else
 *
 * An accepted -listen/-services connection starts in PORT_HTTP_HEAD. Its
 * request head is peeked (MSG_PEEK, edge-triggered so old bytes do not wake
 * the loop again) until the blank line arrives, within HTTP_HEAD_MAX bytes
 * and PORT_HANDSHAKE_TIMEOUT_MS. Then:
 *
 *   POST /connect (on -listen only)  exactly the head is consumed, no
 *        response is written (gvforwarder reads none), and the connection
 *        becomes a LE16 switch port: frames that came with the request are
 *        still in the socket and are the first the decoder sees.
 *   GET /stats  a JSON object with gvproxy's BytesSent/BytesReceived and
 *        vgate's own counters.
 *   GET /v1/ports  every VM port: transport, MAC, frame/byte/drop counters.
 *   anything else  404, or 400 for a malformed head; then closed.
 */
#include "dhcp_server.h"
#include "dns_server.h"
#include "gateway.h"
#include "icmp_relay.h"
#include "tcp_flow.h"
#include "udp_flow.h"
#include "http_head.h"
#include "log.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define COMP "api"
/* Room for every port's line in /v1/ports. */
#define HTTP_PORTS_JSON_MAX (SWITCH_PORTS_MAX * 256 + 16)

static void reply(struct port *p, const char *status, const char *type, const char *body)
{
	char head[256];
	struct iovec iov[2];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, type, strlen(body));

	if (n <= 0 || (size_t)n >= sizeof(head))
		return;
	iov[0] = (struct iovec){ .iov_base = head, .iov_len = (size_t)n };
	iov[1] = (struct iovec){ .iov_base = (void *)body, .iov_len = strlen(body) };
	/* A fresh socket's buffer takes a reply this small in one go. */
	if (writev(p->conn.wfd, iov, 2) < 0)
		log_debug(COMP, "%s: reply lost: %s", p->name, strerror(errno));
}

/* VM traffic since start, as gvproxy's /stats reports it. */
static void stats_json(char *buf, size_t cap)
{
	const struct switch_stats *st = &vg->sw.stats;

	snprintf(buf, cap,
		 "{\"BytesSent\":%" PRIu64 ",\"BytesReceived\":%" PRIu64 ",\"VMs\":%u,"
		 "\"TxDrops\":%" PRIu64 ",\"Runts\":%" PRIu64 ",\"Oversize\":%" PRIu64
		 ",\"UnknownUnicast\":%" PRIu64 ",\"GatewayFrames\":%" PRIu64
		 ",\"NotForGateway\":%" PRIu64 ",\"DHCPAcks\":%" PRIu64 ",\"DHCPNaks\":%" PRIu64
		 ",\"DNSQueries\":%" PRIu64 ",\"DNSForwarded\":%" PRIu64 ",\"DNSServfail\":%" PRIu64
		 ",\"TCPFlows\":%u,\"TCPFlowsOpened\":%" PRIu64 ",\"TCPRefused\":%" PRIu64
		 ",\"UDPFlows\":%" PRIu64 ",\"UDPFlowsOpened\":%" PRIu64 ",\"UDPRefused\":%" PRIu64
		 ",\"ICMPRelayed\":%" PRIu64 ",\"ICMPRefused\":%" PRIu64 "}\n",
		 st->vm_tx_bytes, st->vm_rx_bytes, switch_port_count(&vg->sw) - 1, st->vm_tx_drops,
		 vg->drops.runts, vg->drops.oversize, st->unknown_unicast, gw_stats.frames,
		 gw_stats.not_for_us, dhcp_server_stats.acks, dhcp_server_stats.naks,
		 dns_server_stats.queries_udp + dns_server_stats.queries_tcp,
		 dns_server_stats.forwarded, dns_server_stats.servfail, tcp_flow_count(),
		 tcp_flow_stats.opened,
		 tcp_flow_stats.refused_policy + tcp_flow_stats.refused_host +
			 tcp_flow_stats.capped + tcp_flow_stats.timeouts,
		 udp_flow_stats.active, udp_flow_stats.opened, udp_flow_stats.refused,
		 icmp_relay_stats.requests, icmp_relay_stats.refused);
}

/* Every VM port: name, MAC, counters. */
static void ports_json(char *buf, size_t cap)
{
	size_t off = 0;
	bool first = true;

	off += (size_t)snprintf(buf + off, cap - off, "[");
	for (unsigned i = 1; i < SWITCH_PORTS_MAX && off < cap; i++) {
		const struct port *q = vg->ports[i];
		const struct switch_port_stats *st = &vg->sw.port_stats[i];
		char mac[18] = "";

		if (!q)
			continue;
		if (q->mac_known)
			snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", q->mac[0],
				 q->mac[1], q->mac[2], q->mac[3], q->mac[4], q->mac[5]);
		off += (size_t)snprintf(
			buf + off, cap - off,
			"%s{\"port\":%u,\"transport\":\"%s\",\"mac\":\"%s\",\"rx_frames\":%" PRIu64
			",\"rx_bytes\":%" PRIu64 ",\"tx_frames\":%" PRIu64 ",\"tx_bytes\":%" PRIu64
			",\"tx_drops\":%" PRIu64 ",\"rx_runts\":%" PRIu64 "}",
			first ? "" : ",", i, port_origin_name(q->origin), mac, st->rx_frames,
			st->rx_bytes, st->tx_frames, st->tx_bytes, st->tx_drops,
			q->conn.stats.rx_runts);
		first = false;
	}
	if (off < cap)
		snprintf(buf + off, cap - off, "]\n");
}

void http_port_head(struct port *p)
{
	char buf[HTTP_HEAD_MAX];
	struct http_head h;
	ssize_t n;
	int r;

	n = recv(p->conn.rfd, buf, sizeof(buf), MSG_PEEK);
	if (n == 0) {
		port_close(p, "closed before a request");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			port_close(p, strerror(errno));
		return;
	}
	r = http_head_parse(buf, (size_t)n, &h);
	if (r == -EAGAIN)
		return;
	if (r < 0) {
		vg->drops.bad_handshakes++;
		reply(p, "400 Bad Request", "text/plain", "malformed request\n");
		port_close(p, "malformed HTTP request");
		return;
	}
	if (!strcmp(h.path, "/connect") && p->allow_connect) {
		/* Consume the head only; frames behind it stay for the decoder. */
		n = recv(p->conn.rfd, buf, h.head_len, 0);
		if (n != (ssize_t)h.head_len) {
			port_close(p, "short read of request head");
			return;
		}
		if (port_attach(p, PORT_RUNNING) < 0) {
			port_close(p, "refused");
			return;
		}
		/* Frames may already be waiting, and no new edge will say so. */
		port_handle(p, EPOLLIN);
		return;
	}
	if (!strcmp(h.path, "/stats") && !strcmp(h.method, "GET")) {
		char body[1024];

		stats_json(body, sizeof(body));
		reply(p, "200 OK", "application/json", body);
	} else if (!strcmp(h.path, "/v1/ports") && !strcmp(h.method, "GET")) {
		static char body[HTTP_PORTS_JSON_MAX];

		ports_json(body, sizeof(body));
		reply(p, "200 OK", "application/json", body);
	} else {
		reply(p, "404 Not Found", "text/plain", "404 page not found\n");
	}
	port_close(p, "request answered");
}
