/* SPDX-License-Identifier: MIT */
/*
 * sock.h - open listening and connecting sockets for endpoint URLs
 *
 * All sockets are non-blocking and close-on-exec. A unix socket path that
 * already exists is handled the way a careful daemon must: if it is a socket
 * nobody answers on (connect refused), it is stale and removed; if someone
 * answers, the path is live and listening fails with -EADDRINUSE; anything
 * that is not a socket is left alone (-EEXIST).
 */
#ifndef VGATE_SOCK_H
#define VGATE_SOCK_H

#include "url.h"

#include <sys/socket.h>

/* Pending connections a listener queues. */
#define SOCK_LISTEN_BACKLOG 128

/*
 * sock_listen() - create, bind and (for connection-oriented schemes)
 * listen on @u
 * Return: the fd, or -errno: -EADDRINUSE (live unix socket or port taken),
 * -EEXIST (path exists and is not a socket), -EAFNOSUPPORT (no vsock here).
 */
int sock_listen(const struct stream_url *u);

/*
 * sock_connect() - start a non-blocking connect to @u (unix or tcp)
 * Return: the fd (connect may still be in progress: wait for EPOLLOUT and
 * check SO_ERROR) or -errno.
 */
int sock_connect(const struct stream_url *u);

/* sock_connect_result() - SO_ERROR of a finished non-blocking connect, as -errno */
int sock_connect_result(int fd);

/* Socket type (SOCK_STREAM, ...) a URL scheme uses. */
int sock_type(enum stream_url_scheme scheme);

/* Fill @sa from a tcp URL's numeric host and port. Return: length or -errno. */
int sock_tcp_addr(const struct stream_url *u, struct sockaddr_storage *sa);

#endif
