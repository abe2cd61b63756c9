// SPDX-License-Identifier: MIT
/*
 * url.c - parse gvproxy-style endpoint URLs
 */
#include "url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *prefix;
	enum stream_url_scheme scheme;
} schemes[] = {
	{ "unix://", STREAM_URL_UNIX },		{ "unixpacket://", STREAM_URL_UNIXPACKET },
	{ "unixgram://", STREAM_URL_UNIXGRAM }, { "tcp://", STREAM_URL_TCP },
	{ "vsock://", STREAM_URL_VSOCK },
};

const char *stream_url_scheme_name(enum stream_url_scheme scheme)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (schemes[i].scheme == scheme)
			return schemes[i].prefix;
	return "?";
}

static int parse_port(const char *s, size_t len, unsigned long max, unsigned long *out)
{
	char buf[16];
	char *end;

	if (!len || len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (buf[i] < '0' || buf[i] > '9')
			return -EINVAL;
	errno = 0;
	*out = strtoul(buf, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

static int set_suffix(struct stream_url *u, const char *s)
{
	size_t n = strlen(s);

	if (n >= sizeof(u->suffix))
		return -ENAMETOOLONG;
	memcpy(u->suffix, s, n + 1);
	return 0;
}

/* host:port or [v6]:port, then an optional "/suffix" */
static int parse_hostport(const char *rest, struct stream_url *u)
{
	const char *slash, *colon, *host = rest;
	size_t hostlen;
	unsigned long port;

	slash = strchr(rest, '/');
	if (!slash)
		slash = rest + strlen(rest);
	if (*rest == '[') {
		const char *close = memchr(rest, ']', (size_t)(slash - rest));

		if (!close || close[1] != ':')
			return -EINVAL;
		host = rest + 1;
		hostlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = NULL;
		for (const char *p = rest; p < slash; p++)
			if (*p == ':')
				colon = p;
		if (!colon)
			return -EINVAL;
		hostlen = (size_t)(colon - rest);
	}
	if (hostlen >= sizeof(u->host))
		return -ENAMETOOLONG;
	memcpy(u->host, host, hostlen);
	u->host[hostlen] = '\0';
	if (parse_port(colon + 1, (size_t)(slash - colon - 1), 65535, &port) < 0)
		return -EINVAL;
	u->port = (uint16_t)port;
	return set_suffix(u, slash);
}

static int parse_vsock(struct stream_url *u)
{
	unsigned long cid;
	int r;

	if (strchr(u->host, ':') || strchr(u->host, '['))
		return -EINVAL;
	if (!u->host[0]) {
		u->any_cid = true;
		return 0;
	}
	r = parse_port(u->host, strlen(u->host), UINT32_MAX, &cid);
	if (r < 0)
		return r;
	u->cid = (uint32_t)cid;
	return 0;
}

int stream_url_parse(const char *s, struct stream_url *u)
{
	const char *rest = NULL;

	memset(u, 0, sizeof(*u));
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].prefix);

		if (!strncmp(s, schemes[i].prefix, n)) {
			u->scheme = schemes[i].scheme;
			rest = s + n;
			break;
		}
	}
	if (!rest)
		return strstr(s, "://") ? -EPROTONOSUPPORT : -EINVAL;

	switch (u->scheme) {
	case STREAM_URL_UNIX:
	case STREAM_URL_UNIXPACKET:
	case STREAM_URL_UNIXGRAM: {
		size_t n = strlen(rest);

		if (!n)
			return -EINVAL;
		if (n >= sizeof(u->path))
			return -ENAMETOOLONG;
		memcpy(u->path, rest, n + 1);
		return 0;
	}
	case STREAM_URL_TCP: {
		int r = parse_hostport(rest, u);

		if (r == 0 && u->port == 0)
			return -EINVAL;
		return r;
	}
	case STREAM_URL_VSOCK: {
		int r = parse_hostport(rest, u);

		return r < 0 ? r : parse_vsock(u);
	}
	}
	return -EINVAL;
}
