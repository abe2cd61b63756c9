// SPDX-License-Identifier: MIT
/*
 * transport.c - the endpoints VMs attach through
 *
 * Listeners accept any number of connections; each becomes its own switch
 * port (gvproxy accepts one QEMU): QEMU streams start running at once with
 * BE32 framing, VPNKit clients go through their handshake first, API
 * connections wait for a request head (/connect makes them LE16 ports),
 * bess connections carry one frame per SEQPACKET message. A datagram socket
 * (vfkit, QEMU -netdev dgram) is itself one port that answers whichever peer
 * sent to it last. stdio is one LE16 port on fds 0 and 1.
 *
 * --connect-qemu dials a QEMU "server=on" stream. While the connect is in
 * progress the client owns the fd; once it succeeds, a port owns it. When
 * the port goes away (QEMU restarted, or refused), the client redials with
 * exponential backoff between QEMU_CLIENT_BACKOFF_MIN_MS and _MAX_MS.
 */
#include "vgate.h"

#include "log.h"
#include "sock.h"
#include "util.h"

#include <arpa/inet.h>
#include <grp.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define COMP "transport"

static const char *const kind_names[] = {
	[LISTENER_QEMU] = "listen-qemu", [LISTENER_VPNKIT] = "listen-vpnkit",
	[LISTENER_API] = "listen",	 [LISTENER_SERVICES] = "services",
	[LISTENER_BESS] = "listen-bess",
};

/*
 * api_perms() - what --api-mode (octal, default 0600; only owner and group
 * read/write bits, owner's both set) and --api-group (a name or number;
 * -1: leave the group) ask of a unix API socket
 * Return: 0, or -EINVAL after logging which flag is wrong.
 */
static int api_perms(mode_t *mode, gid_t *gid)
{
	const struct vgate_options *o = vg->opt;
	char *end;

	*mode = 0600;
	*gid = (gid_t)-1;
	if (o->api_mode) {
		unsigned long m;

		errno = 0;
		m = strtoul(o->api_mode, &end, 8);
		if (errno || end == o->api_mode || *end || (m & ~0660ul) || (m & 0600) != 0600) {
			log_err(COMP,
				"--api-mode %s: an octal mode from 0600 to 0660 (owner and "
				"group read/write only)",
				o->api_mode);
			return -EINVAL;
		}
		*mode = (mode_t)m;
	}
	if (o->api_group) {
		struct group gr, *res = NULL;
		char buf[4096];
		unsigned long g;

		errno = 0;
		g = strtoul(o->api_group, &end, 10);
		if (!errno && end != o->api_group && !*end && g < (gid_t)-1) {
			*gid = (gid_t)g;
		} else if (getgrnam_r(o->api_group, &gr, buf, sizeof(buf), &res) == 0 && res) {
			*gid = res->gr_gid;
		} else {
			log_err(COMP, "--api-group %s: no such group", o->api_group);
			return -EINVAL;
		}
	}
	return 0;
}

/* Give a unix API socket the mode and group asked for. Return: 0 or -errno. */
static int api_sock_perms(const char *flag, const char *spec, const char *path)
{
	mode_t mode;
	gid_t gid;
	int r = api_perms(&mode, &gid);

	if (r < 0)
		return r;
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		r = -errno;
		log_err(COMP, "-%s %s: --api-group: %s", flag, spec, strerror(-r));
		return r;
	}
	if (chmod(path, mode) < 0) {
		r = -errno;
		log_err(COMP, "-%s %s: chmod %04o: %s", flag, spec, (unsigned)mode, strerror(-r));
		return r;
	}
	return 0;
}

static int add_listener(struct listener *l)
{
	if (vg->n_listeners >= VGATE_LISTENERS_MAX) {
		log_err(COMP, "-%s %s: more than %d listeners", kind_names[l->kind], l->spec,
			VGATE_LISTENERS_MAX);
		return -ENOSPC;
	}
	vg->listeners[vg->n_listeners++] = l;
	return 0;
}

static bool scheme_fits(enum listener_kind kind, enum stream_url_scheme s)
{
	switch (kind) {
	case LISTENER_BESS:
		return s == STREAM_URL_UNIXPACKET;
	case LISTENER_QEMU:
		return s == STREAM_URL_UNIX || s == STREAM_URL_TCP;
	case LISTENER_VPNKIT:
	case LISTENER_API:
	case LISTENER_SERVICES:
		return s == STREAM_URL_UNIX || s == STREAM_URL_TCP || s == STREAM_URL_VSOCK;
	}
	return false;
}

static int url_or_complain(const char *flag, const char *spec, struct stream_url *u)
{
	int r = stream_url_parse(spec, u);

	if (r == -EPROTONOSUPPORT)
		log_err(COMP, "-%s %s: unknown URL scheme", flag, spec);
	else if (r == -ENAMETOOLONG)
		log_err(COMP, "-%s %s: path too long for a unix socket", flag, spec);
	else if (r < 0)
		log_err(COMP, "-%s %s: malformed URL", flag, spec);
	return r;
}

static void listen_error(const char *flag, const char *spec, int r)
{
	if (r == -EADDRINUSE)
		log_err(COMP, "-%s %s: address in use (another process is serving it)", flag, spec);
	else if (r == -EEXIST)
		log_err(COMP, "-%s %s: path exists and is not a socket", flag, spec);
	else if (r == -EAFNOSUPPORT)
		log_err(COMP, "-%s %s: this kernel has no AF_VSOCK transport", flag, spec);
	else
		log_err(COMP, "-%s %s: %s", flag, spec, strerror(-r));
}

int transport_listen(enum listener_kind kind, const char *spec)
{
	struct listener *l;
	int r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->ref.kind = REF_LISTENER;
	l->kind = kind;
	l->fd = -1;
	snprintf(l->spec, sizeof(l->spec), "%s", spec);
	r = url_or_complain(kind_names[kind], spec, &l->url);
	if (r == 0 && !scheme_fits(kind, l->url.scheme)) {
		log_err(COMP, "-%s %s: %s is not usable here", kind_names[kind], spec,
			stream_url_scheme_name(l->url.scheme));
		r = -EINVAL;
	}
	if (r == 0) {
		l->fd = sock_listen(&l->url);
		if (l->fd < 0) {
			r = l->fd;
			listen_error(kind_names[kind], spec, r);
		}
	}
	/* The API opens host ports and changes DNS: its socket is the owner's
	 * (or, when asked, its group's too). */
	if (r == 0 && (kind == LISTENER_API || kind == LISTENER_SERVICES) &&
	    l->url.scheme == STREAM_URL_UNIX)
		r = api_sock_perms(kind_names[kind], spec, l->url.path);
	if (r == 0)
		r = loop_add(&vg->loop, l->fd, EPOLLIN, &l->ref);
	if (r == 0)
		r = add_listener(l);
	if (r < 0) {
		if (l->fd >= 0) {
			close(l->fd);
			if (l->url.scheme != STREAM_URL_TCP && l->url.scheme != STREAM_URL_VSOCK)
				unlink(l->url.path);
		}
		free(l);
		return r;
	}
	log_info(COMP, "-%s: listening on %s", kind_names[kind], spec);
	return 0;
}

static void describe_peer(const struct listener *l, int fd, char *buf, size_t cap)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	char host[64] = "";

	if (l->url.scheme == STREAM_URL_TCP && getpeername(fd, (struct sockaddr *)&ss, &len) == 0) {
		if (ss.ss_family == AF_INET) {
			const struct sockaddr_in *s = (const struct sockaddr_in *)&ss;

			inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
			snprintf(buf, cap, "%s %s from %s:%u", kind_names[l->kind], l->spec, host,
				 ntohs(s->sin_port));
			return;
		}
	}
	snprintf(buf, cap, "%s %s #%" PRIu64, kind_names[l->kind], l->spec, l->accepted);
}

void transport_listener_handle(struct listener *l)
{
	for (int i = 0; i < 16; i++) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		enum port_origin origin = PORT_FROM_QEMU;
		enum stream_framing framing = STREAM_FRAMING_BE32;
		enum port_state state = PORT_RUNNING;
		struct port *p;
		char name[160];

		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
				log_warn(COMP, "-%s %s: accept: %s", kind_names[l->kind], l->spec,
					 strerror(errno));
			return;
		}
		l->accepted++;
		switch (l->kind) {
		case LISTENER_QEMU:
			break;
		case LISTENER_VPNKIT:
			origin = PORT_FROM_VPNKIT;
			framing = STREAM_FRAMING_LE16;
			state = PORT_VPNKIT_HELLO;
			break;
		case LISTENER_API:
		case LISTENER_SERVICES:
			origin = PORT_FROM_CONNECT;
			framing = STREAM_FRAMING_LE16;
			state = PORT_HTTP_HEAD;
			break;
		case LISTENER_BESS:
			origin = PORT_FROM_BESS;
			framing = STREAM_FRAMING_MSG;
			break;
		}
		describe_peer(l, fd, name, sizeof(name));
		p = port_new(origin, fd, fd, framing, true, name);
		if (!p) {
			log_err(COMP, "%s: out of memory", name);
			close(fd);
			l->refused++;
			continue;
		}
		p->allow_connect = l->kind == LISTENER_API;
		if (port_attach(p, state) < 0) {
			l->refused++;
			port_close(p, "refused");
		}
	}
}

int transport_listen_dgram(const char *spec)
{
	struct stream_url u;
	struct port *p;
	char name[160];
	int fd, r;

	r = url_or_complain("listen-vfkit", spec, &u);
	if (r < 0)
		return r;
	if (u.scheme != STREAM_URL_UNIXGRAM) {
		log_err(COMP, "-listen-vfkit %s: needs unixgram:///path", spec);
		return -EINVAL;
	}
	fd = sock_listen(&u);
	if (fd < 0) {
		listen_error("listen-vfkit", spec, fd);
		return fd;
	}
	snprintf(name, sizeof(name), "listen-vfkit %s", spec);
	p = port_new(PORT_FROM_DGRAM, fd, fd, STREAM_FRAMING_MSG, true, name);
	if (!p) {
		close(fd);
		unlink(u.path);
		return -ENOMEM;
	}
	p->conn.learn_peer = true;
	snprintf(p->unlink_path, sizeof(p->unlink_path), "%s", u.path);
	r = port_attach(p, PORT_RUNNING);
	if (r < 0) {
		port_close(p, "cannot attach");
		unlink(u.path);
		return r;
	}
	log_info(COMP, "-listen-vfkit: listening on %s", spec);
	return 0;
}

int transport_stdio(void)
{
	struct port *p;
	int r;

	if (fd_set_nonblock(STDIN_FILENO) < 0 || fd_set_nonblock(STDOUT_FILENO) < 0) {
		log_err(COMP, "-listen-stdio: cannot make stdin/stdout non-blocking");
		return -EINVAL;
	}
	p = port_new(PORT_FROM_STDIO, STDIN_FILENO, STDOUT_FILENO, STREAM_FRAMING_LE16, false,
		     "stdio");
	if (!p)
		return -ENOMEM;
	r = port_attach(p, PORT_RUNNING);
	if (r < 0)
		port_close(p, "cannot attach");
	return r;
}

/* --- --connect-qemu ------------------------------------------------------- */

static void client_dial(struct qemu_client *c);

static void client_retry(struct loop_timer *t)
{
	client_dial(container_of(t, struct qemu_client, retry));
}

static void client_schedule(struct qemu_client *c, const char *why)
{
	if (c->fd >= 0) {
		loop_del(&vg->loop, c->fd);
		close(c->fd);
		c->fd = -1;
	}
	log_debug(COMP, "--connect-qemu %s: %s; retrying in %" PRIu64 " ms", c->spec, why,
		  c->backoff_ms);
	loop_timer_arm(&vg->loop, &c->retry, c->backoff_ms);
	c->backoff_ms = MIN(c->backoff_ms * 2, QEMU_CLIENT_BACKOFF_MAX_MS);
}

static void client_dial(struct qemu_client *c)
{
	int r;

	c->fd = sock_connect(&c->url);
	if (c->fd < 0) {
		r = c->fd;
		c->fd = -1;
		client_schedule(c, strerror(-r));
		return;
	}
	r = loop_add(&vg->loop, c->fd, EPOLLOUT, &c->ref);
	if (r < 0)
		client_schedule(c, strerror(-r));
}

void transport_client_handle(struct qemu_client *c, uint32_t events)
{
	struct port *p;
	char name[200];
	int r = sock_connect_result(c->fd);

	(void)events;
	if (r < 0) {
		client_schedule(c, strerror(-r));
		return;
	}
	loop_del(&vg->loop, c->fd);
	c->connects++;
	snprintf(name, sizeof(name), "connect-qemu %s #%" PRIu64, c->spec, c->connects);
	p = port_new(PORT_FROM_QEMU, c->fd, c->fd, STREAM_FRAMING_BE32, true, name);
	if (!p) {
		client_schedule(c, "out of memory");
		return;
	}
	c->fd = -1;
	p->client = c;
	c->port = p;
	if (port_attach(p, PORT_RUNNING) < 0) {
		port_close(p, "cannot attach"); /* schedules a retry via _lost() */
		return;
	}
	c->backoff_ms = QEMU_CLIENT_BACKOFF_MIN_MS;
}

void transport_client_lost(struct qemu_client *c)
{
	c->port = NULL;
	if (!vg->loop.stop)
		client_schedule(c, "connection lost");
}

int transport_connect_qemu(const char *spec)
{
	struct qemu_client *c;
	int r;

	if (vg->n_clients >= OPT_LIST_MAX)
		return -ENOSPC;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	r = url_or_complain("connect-qemu", spec, &c->url);
	if (r == 0 && c->url.scheme != STREAM_URL_UNIX && c->url.scheme != STREAM_URL_TCP) {
		log_err(COMP, "--connect-qemu %s: needs unix:// or tcp://", spec);
		r = -EINVAL;
	}
	if (r < 0) {
		free(c);
		return r;
	}
	c->ref.kind = REF_CLIENT;
	c->retry.fn = client_retry;
	c->fd = -1;
	c->backoff_ms = QEMU_CLIENT_BACKOFF_MIN_MS;
	snprintf(c->spec, sizeof(c->spec), "%s", spec);
	vg->clients[vg->n_clients++] = c;
	log_info(COMP, "--connect-qemu: dialling %s", spec);
	client_dial(c);
	return 0;
}

void transport_close_all(void)
{
	for (unsigned i = 0; i < vg->n_clients; i++) {
		struct qemu_client *c = vg->clients[i];

		loop_timer_cancel(&vg->loop, &c->retry);
		if (c->fd >= 0)
			close(c->fd);
		if (c->port)
			c->port->client = NULL;
		free(c);
	}
	vg->n_clients = 0;
	while (vg->all_ports)
		port_close(vg->all_ports, "shutting down");
	for (unsigned i = 0; i < vg->n_listeners; i++) {
		struct listener *l = vg->listeners[i];

		close(l->fd);
		if (l->url.scheme != STREAM_URL_TCP && l->url.scheme != STREAM_URL_VSOCK)
			unlink(l->url.path);
		free(l);
	}
	vg->n_listeners = 0;
}
