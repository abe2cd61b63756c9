// SPDX-License-Identifier: MIT
/*
 * sock.c - listening and connecting sockets for endpoint URLs
 */
#include "sock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

int sock_type(enum stream_url_scheme scheme)
{
	switch (scheme) {
	case STREAM_URL_UNIXPACKET:
		return SOCK_SEQPACKET;
	case STREAM_URL_UNIXGRAM:
		return SOCK_DGRAM;
	case STREAM_URL_UNIX:
	case STREAM_URL_TCP:
	case STREAM_URL_VSOCK:
		return SOCK_STREAM;
	}
	return SOCK_STREAM;
}

static socklen_t unix_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	snprintf(sa->sun_path, sizeof(sa->sun_path), "%s", path);
	return (socklen_t)sizeof(*sa);
}

int sock_tcp_addr(const struct stream_url *u, struct sockaddr_storage *sa)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	const char *host = u->host;

	memset(sa, 0, sizeof(*sa));
	if (!strcmp(host, "localhost"))
		host = "127.0.0.1";
	if (!*host || inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(u->port);
		return sizeof(*s4);
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(u->port);
		return sizeof(*s6);
	}
	return -EINVAL;
}

/* Is the unix socket at @path served by someone? */
static int unix_path_check(const char *path, int type)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (struct sockaddr *)&sa, unix_addr(path, &sa));
	r = r < 0 ? -errno : 0;
	close(fd);
	if (r == 0 || r == -EAGAIN)
		return -EADDRINUSE;
	if (r == -ECONNREFUSED || r == -EPROTOTYPE) {
		if (unlink(path) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	return r;
}

static int listen_unix(const struct stream_url *u)
{
	int type = sock_type(u->scheme);
	struct sockaddr_un sa;
	int fd, r;

	r = unix_path_check(u->path, type);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, unix_addr(u->path, &sa)) < 0 ||
	    (type != SOCK_DGRAM && listen(fd, SOCK_LISTEN_BACKLOG) < 0)) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int listen_tcp(const struct stream_url *u)
{
	struct sockaddr_storage sa;
	int one = 1;
	int fd, r;
	int len = sock_tcp_addr(u, &sa);

	if (len < 0)
		return len;
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, (socklen_t)len) < 0 ||
	    listen(fd, SOCK_LISTEN_BACKLOG) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int listen_vsock(const struct stream_url *u)
{
	struct sockaddr_vm sa = { 0 };
	int fd, r;

	fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sa.svm_family = AF_VSOCK;
	sa.svm_cid = u->any_cid ? VMADDR_CID_ANY : u->cid;
	sa.svm_port = u->port;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, SOCK_LISTEN_BACKLOG) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int sock_listen(const struct stream_url *u)
{
	switch (u->scheme) {
	case STREAM_URL_UNIX:
	case STREAM_URL_UNIXPACKET:
	case STREAM_URL_UNIXGRAM:
		return listen_unix(u);
	case STREAM_URL_TCP:
		return listen_tcp(u);
	case STREAM_URL_VSOCK:
		return listen_vsock(u);
	}
	return -EINVAL;
}

int sock_connect(const struct stream_url *u)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, r, family;

	if (u->scheme == STREAM_URL_TCP) {
		r = sock_tcp_addr(u, &sa);
		if (r < 0)
			return r;
		len = (socklen_t)r;
		family = sa.ss_family;
	} else if (u->scheme == STREAM_URL_UNIX || u->scheme == STREAM_URL_UNIXPACKET) {
		len = unix_addr(u->path, (struct sockaddr_un *)&sa);
		family = AF_UNIX;
	} else {
		return -EPROTONOSUPPORT;
	}
	fd = socket(family, sock_type(u->scheme) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, len) < 0 && errno != EINPROGRESS &&
	    errno != EAGAIN) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int sock_connect_result(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}
