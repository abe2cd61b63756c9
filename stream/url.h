/* SPDX-License-Identifier: MIT */
/*
 * url.h - the endpoint URLs of gvproxy's command line
 *
 *   unix:///path          stream unix socket
 *   unixpacket:///path    SOCK_SEQPACKET unix socket (bess)
 *   unixgram:///path      SOCK_DGRAM unix socket (vfkit, QEMU -netdev dgram)
 *   tcp://host:port       TCP; host may be an IPv4 address, [IPv6], a name
 *                         resolved numerically only, or empty (any address)
 *   vsock://:port         AF_VSOCK, any CID
 *   vsock://CID:port      AF_VSOCK to or from one CID
 *
 * Anything after host:port ("/connect") is kept as the URL's path suffix.
 */
#ifndef VGATE_URL_H
#define VGATE_URL_H

#include <stdbool.h>
#include <stdint.h>

enum stream_url_scheme {
	STREAM_URL_UNIX,
	STREAM_URL_UNIXPACKET,
	STREAM_URL_UNIXGRAM,
	STREAM_URL_TCP,
	STREAM_URL_VSOCK,
};

#define STREAM_URL_PATH_MAX 108 /* sizeof(sockaddr_un.sun_path) */
#define STREAM_URL_HOST_MAX 256

struct stream_url {
	enum stream_url_scheme scheme;
	char path[STREAM_URL_PATH_MAX]; /* unix schemes; NUL-terminated */
	char host[STREAM_URL_HOST_MAX]; /* tcp: without brackets */
	uint16_t port;			/* tcp, vsock */
	uint32_t cid;			/* vsock */
	bool any_cid;			/* vsock://:port */
	char suffix[128];		/* "/connect" and the like */
};

/*
 * stream_url_parse() - parse @s into @u
 * Return: 0; -EPROTONOSUPPORT for an unknown scheme; -ENAMETOOLONG when a
 * path does not fit a unix socket address; -EINVAL otherwise.
 */
int stream_url_parse(const char *s, struct stream_url *u);

const char *stream_url_scheme_name(enum stream_url_scheme scheme);

#endif
