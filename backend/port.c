// SPDX-License-Identifier: MIT
/*
 * port.c - switch ports: reading frames in, handshakes, batched output
 *
 * Input: a readable port is read until EAGAIN or its budget, and each frame
 * goes straight into the switch (and the pcap) from the decoder's buffer.
 * Output: the switch's deliver callback only copies the frame into the
 * destination's bounded queue and puts the port on the flush list; after the
 * whole epoll batch the loop's idle hook flushes every listed port with one
 * writev (or one message per frame). A port whose queue cannot drain arms
 * EPOLLOUT and keeps dropping (and counting) what does not fit.
 */
#include "port.h"

#include "log.h"
#include "notify.h"
#include "pcap.h"
#include "util.h"
#include "vgate.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMP "port"

const char *port_origin_name(enum port_origin origin)
{
	switch (origin) {
	case PORT_FROM_QEMU:
		return "qemu";
	case PORT_FROM_VPNKIT:
		return "vpnkit";
	case PORT_FROM_CONNECT:
		return "connect";
	case PORT_FROM_STDIO:
		return "stdio";
	case PORT_FROM_BESS:
		return "bess";
	case PORT_FROM_DGRAM:
		return "dgram";
	case PORT_FROM_NETNS:
		return "netns";
	case PORT_FROM_TAP:
		return "tap";
	}
	return "?";
}

static void port_free(struct loop_deferred *d)
{
	struct port *p = container_of(d, struct port, deferred);

	free(p);
}

static void handshake_timeout(struct loop_timer *t)
{
	struct port *p = container_of(t, struct port, handshake_timer);

	vg->drops.bad_handshakes++;
	port_close(p, "handshake timed out");
}

struct port *port_new(enum port_origin origin, int rfd, int wfd, enum stream_framing framing,
		      bool is_socket, const char *name)
{
	struct port *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (stream_conn_init(&p->conn, rfd, wfd, framing, is_socket) < 0) {
		free(p);
		return NULL;
	}
	p->ref.kind = REF_PORT;
	p->deferred.free_fn = port_free;
	p->handshake_timer.fn = handshake_timeout;
	p->origin = origin;
	p->id = -1;
	p->created_ms = now_ms();
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->all_next = vg->all_ports;
	if (vg->all_ports)
		vg->all_ports->all_prev = p;
	vg->all_ports = p;
	return p;
}

static uint32_t port_wanted_events(const struct port *p)
{
	uint32_t ev = EPOLLIN | EPOLLRDHUP;

	/* The request head is peeked, not read: wait for new bytes, not for
	 * the ones already seen. */
	if (p->state == PORT_HTTP_HEAD)
		ev |= EPOLLET;

	if (stream_txq_pending(&p->conn.tx))
		ev |= EPOLLOUT;
	return ev;
}

/* Register or update the port's fds in the loop. */
static int port_update_events(struct port *p)
{
	uint32_t want = port_wanted_events(p);
	int r = 0;

	if (want == p->events)
		return 0;
	if (p->conn.rfd == p->conn.wfd) {
		r = p->events ? loop_mod(&vg->loop, p->conn.rfd, want, &p->ref)
			      : loop_add(&vg->loop, p->conn.rfd, want, &p->ref);
	} else {
		/* stdio: input and output are different fds. */
		if (!p->events)
			r = loop_add(&vg->loop, p->conn.rfd, EPOLLIN, &p->ref);
		if (!r && (want & EPOLLOUT) != (p->events & EPOLLOUT)) {
			if (want & EPOLLOUT)
				r = loop_add(&vg->loop, p->conn.wfd, EPOLLOUT, &p->ref);
			else
				loop_del(&vg->loop, p->conn.wfd);
		}
	}
	if (!r)
		p->events = want;
	return r;
}

/* Leave the handshake and join the switch. */
static int port_go_running(struct port *p)
{
	int id = switch_port_add(&vg->sw);

	loop_timer_cancel(&vg->loop, &p->handshake_timer);
	if (id < 0) {
		vg->drops.ports_full++;
		log_warn(COMP, "%s: refused: all switch ports in use", p->name);
		return id;
	}
	p->id = id;
	vg->ports[id] = p;
	p->state = PORT_RUNNING;
	log_info(COMP, "%s: attached as switch port %d (%s framing)", p->name, p->id,
		 stream_framing_name(p->conn.framing));
	return 0;
}

int port_attach(struct port *p, enum port_state state)
{
	int r;

	if (state == PORT_RUNNING) {
		r = port_go_running(p);
		if (r < 0)
			return r;
	} else {
		p->state = state;
		loop_timer_arm(&vg->loop, &p->handshake_timer, PORT_HANDSHAKE_TIMEOUT_MS);
	}
	r = port_update_events(p);
	if (r < 0)
		log_err(COMP, "%s: cannot watch: %s", p->name, strerror(-r));
	return r;
}

void port_close(struct port *p, const char *why)
{
	if (p->state == PORT_CLOSED)
		return;
	if (p->state == PORT_RUNNING)
		log_info(COMP,
			 "%s: detached from port %d: %s (rx %" PRIu64 " frames, tx %" PRIu64
			 " frames, %" PRIu64 " dropped)",
			 p->name, p->id, why, vg->sw.port_stats[p->id].rx_frames,
			 vg->sw.port_stats[p->id].tx_frames, vg->sw.port_stats[p->id].tx_drops);
	else
		log_info(COMP, "%s: closed: %s", p->name, why);
	if (p->id >= 0) {
		switch_port_remove(&vg->sw, (unsigned)p->id);
		vg->ports[p->id] = NULL;
		notify_send(NOTIFY_CONNECTION_CLOSED, p->mac_known ? p->mac : NULL);
	}
	loop_timer_cancel(&vg->loop, &p->handshake_timer);
	if (p->events) {
		loop_del(&vg->loop, p->conn.rfd);
		if (p->conn.wfd != p->conn.rfd && (p->events & EPOLLOUT))
			loop_del(&vg->loop, p->conn.wfd);
	}
	/* stdio: never close the process's own fds 0 and 1 */
	if (p->origin == PORT_FROM_STDIO) {
		p->conn.rfd = -1;
		p->conn.wfd = -1;
	}
	stream_conn_close(&p->conn);
	if (p->unlink_path[0])
		unlink(p->unlink_path);
	if (p->all_prev)
		p->all_prev->all_next = p->all_next;
	else
		vg->all_ports = p->all_next;
	if (p->all_next)
		p->all_next->all_prev = p->all_prev;
	p->state = PORT_CLOSED;
	p->ref.dead = true;
	if (p->client)
		transport_client_lost(p->client);
	if (p->on_close)
		p->on_close(p);
	loop_defer_free(&vg->loop, &p->deferred);
}

static void port_frame_in(void *ctx, const uint8_t *frame, size_t len)
{
	struct port *p = ctx;

	pcap_write(frame, len);
	switch_input(&vg->sw, (unsigned)p->id, frame, len, now_ms());
}

/* Read exactly what the handshake still needs; never past it. */
static int read_exact(struct port *p, size_t want)
{
	ssize_t n = read(p->conn.rfd, p->hs + p->hslen, want - p->hslen);

	if (n == 0)
		return -ESHUTDOWN;
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	p->hslen += (size_t)n;
	return p->hslen == want ? 0 : -EAGAIN;
}

static int write_all_now(int fd, const uint8_t *buf, size_t len)
{
	/* A fresh socket's send buffer takes a few hundred bytes at once; a
	 * peer that cannot take them is not a working VPNKit client. */
	ssize_t n = write(fd, buf, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

static int port_vpnkit_step(struct port *p)
{
	int r;

	if (p->state == PORT_VPNKIT_HELLO) {
		struct vpnkit_hello h;

		r = read_exact(p, VPNKIT_HELLO_LEN);
		if (r < 0)
			return r;
		r = vpnkit_parse_hello(p->hs, p->hslen, &h);
		if (r < 0)
			return r;
		r = write_all_now(p->conn.wfd, p->hs, VPNKIT_HELLO_LEN);
		if (r < 0)
			return r;
		log_debug(COMP, "%s: vpnkit hello version %u", p->name, h.version);
		p->hslen = 0;
		p->state = PORT_VPNKIT_CMD;
	}
	if (p->state == PORT_VPNKIT_CMD) {
		struct vpnkit_command c;
		uint8_t reply[VPNKIT_REPLY_LEN];
		uint8_t mac[6];

		r = read_exact(p, VPNKIT_COMMAND_LEN);
		if (r < 0)
			return r;
		r = vpnkit_parse_command(p->hs, p->hslen, &c);
		if (r < 0)
			return r;
		port_assign_mac(mac);
		vpnkit_build_reply(reply, vg->cfg.mtu, mac);
		r = write_all_now(p->conn.wfd, reply, sizeof(reply));
		if (r < 0)
			return r;
		log_info(COMP, "%s: vpnkit client %s gets %02x:%02x:%02x:%02x:%02x:%02x", p->name,
			 c.uuid, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
		return port_go_running(p);
	}
	return 0;
}

void port_handle(struct port *p, uint32_t events)
{
	int r;

	if (events & EPOLLOUT) {
		r = stream_conn_flush(&p->conn);
		if (r < 0 && r != -EAGAIN) {
			port_close(p, strerror(-r));
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
		switch (p->state) {
		case PORT_VPNKIT_HELLO:
		case PORT_VPNKIT_CMD:
			r = port_vpnkit_step(p);
			if (r < 0 && r != -EAGAIN) {
				vg->drops.bad_handshakes++;
				port_close(p, r == -EPROTO ? "bad vpnkit handshake" : strerror(-r));
				return;
			}
			break;
		case PORT_HTTP_HEAD:
			http_port_head(p);
			return;
		case PORT_RUNNING: {
			uint64_t runts = p->conn.stats.rx_runts;

			r = stream_conn_read(&p->conn, port_frame_in, p);
			vg->drops.runts += p->conn.stats.rx_runts - runts;
			if (r == -EMSGSIZE) {
				vg->drops.oversize++;
				log_warn(COMP, "%s: frame length over %zu bytes: closing", p->name,
					 stream_framing_max(p->conn.framing));
				notify_send(NOTIFY_HYPERVISOR_ERROR, p->mac_known ? p->mac : NULL);
				port_close(p, "oversized frame");
				return;
			}
			if (r == -ESHUTDOWN) {
				port_close(p, stream_decoder_partial(&p->conn.rx)
						      ? "peer closed in the middle of a frame"
						      : "peer closed");
				return;
			}
			if (r < 0) {
				notify_send(NOTIFY_HYPERVISOR_ERROR, p->mac_known ? p->mac : NULL);
				port_close(p, strerror(-r));
				return;
			}
			break;
		}
		case PORT_CLOSED:
			return;
		}
	}
	if (p->state != PORT_CLOSED && port_update_events(p) < 0)
		port_close(p, "cannot update epoll");
}

int port_deliver(struct port *p, const uint8_t *frame, size_t len)
{
	/* Message ports (taps, datagrams) take one syscall per frame anyway:
	 * send at once when nothing is queued, sparing a copy. Byte streams
	 * are batched into one writev per loop iteration. */
	int r = stream_conn_send_now(&p->conn, frame, len);

	if (r < 0 && r != -ENOBUFS && r != -EMSGSIZE && r != -ENOTCONN) {
		/* The transport failed: its next read or flush closes the port. */
		r = 0;
	}
	if (r < 0)
		return r;
	if (!p->flush_queued) {
		p->flush_queued = true;
		p->flush_next = vg->flush_list;
		vg->flush_list = p;
	}
	return 0;
}

void port_flush_all(void)
{
	while (vg->flush_list) {
		struct port *p = vg->flush_list;
		int r;

		vg->flush_list = p->flush_next;
		p->flush_queued = false;
		p->flush_next = NULL;
		if (p->state == PORT_CLOSED)
			continue;
		r = stream_conn_flush(&p->conn);
		if (r < 0 && r != -EAGAIN) {
			port_close(p, strerror(-r));
			continue;
		}
		if (port_update_events(p) < 0)
			port_close(p, "cannot update epoll");
	}
}

void port_assign_mac(uint8_t mac[6])
{
	memcpy(mac, vg->cfg.device_mac, 6);
	mac[5] = (uint8_t)(mac[5] + vg->next_mac);
	if (mac[5] < vg->cfg.device_mac[5])
		mac[4]++;
	vg->next_mac++;
}
