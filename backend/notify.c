// SPDX-License-Identifier: MIT
/*
 * notify.c - write gvproxy-style event lines to a unix socket
 */
#include "notify.h"

#include "log.h"
#include "sock.h"
#include "url.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define COMP "notify"
/* How long startup waits for the notification socket to accept us. */
#define NOTIFY_CONNECT_TIMEOUT_MS 2000

static int notify_fd = -1;
static unsigned long notify_lost;

static const char *const names[] = {
	[NOTIFY_READY] = "ready",
	[NOTIFY_CONNECTION_ESTABLISHED] = "connection_established",
	[NOTIFY_CONNECTION_CLOSED] = "connection_closed",
	[NOTIFY_HYPERVISOR_ERROR] = "hypervisor_error",
};

int notify_format(enum notify_event ev, const uint8_t *mac, char *buf, size_t cap)
{
	int n;

	if (mac)
		n = snprintf(buf, cap,
			     "{\"notification_type\":\"%s\",\"mac_address\":"
			     "\"%02x:%02x:%02x:%02x:%02x:%02x\"}\n",
			     names[ev], mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	else
		n = snprintf(buf, cap, "{\"notification_type\":\"%s\"}\n", names[ev]);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

int notify_open(const char *spec)
{
	struct stream_url u;
	struct pollfd pfd;
	int fd, r;

	r = stream_url_parse(spec, &u);
	if (r < 0 || u.scheme != STREAM_URL_UNIX) {
		log_err(COMP, "-notification %s: must be unix:///path", spec);
		return -EINVAL;
	}
	fd = sock_connect(&u);
	if (fd < 0) {
		log_err(COMP, "-notification %s: %s", spec, strerror(-fd));
		return fd;
	}
	/* Only at startup: wait (bounded) for the connect to finish. */
	pfd.fd = fd;
	pfd.events = POLLOUT;
	r = poll(&pfd, 1, NOTIFY_CONNECT_TIMEOUT_MS);
	r = r == 1 ? sock_connect_result(fd) : -ETIMEDOUT;
	if (r < 0) {
		log_err(COMP, "-notification %s: %s", spec, strerror(-r));
		close(fd);
		return r;
	}
	notify_fd = fd;
	return 0;
}

void notify_send(enum notify_event ev, const uint8_t *mac)
{
	char line[160];
	int n;

	if (notify_fd < 0)
		return;
	n = notify_format(ev, mac, line, sizeof(line));
	if (n < 0)
		return;
	if (send(notify_fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		if (errno == EPIPE || errno == ECONNRESET) {
			log_warn(COMP, "notification socket closed; no more events");
			close(notify_fd);
			notify_fd = -1;
			return;
		}
		notify_lost++;
		log_debug(COMP, "event %s lost (%lu so far)", names[ev], notify_lost);
	}
}

void notify_close(void)
{
	if (notify_fd >= 0)
		close(notify_fd);
	notify_fd = -1;
}
