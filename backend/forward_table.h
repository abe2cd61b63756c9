/* SPDX-License-Identifier: MIT */
/*
 * forward_table.h - the port forwards as data: specs, checks, the table
 *
 * Everything about a forward that needs no socket lives here, so it can be
 * unit-tested on strings: reading gvproxy's expose/unexpose bodies,
 * checking "local" and "remote" specs, the table keyed by (protocol,
 * local) as gvproxy keys it, and the body of GET /services/forwarder/all.
 * forward.c opens the sockets a spec describes.
 *
 * Specs (see README, "Port forwarding"):
 *   tcp, udp  local  "IP:PORT", "[IPv6]:PORT", ":PORT" (every address, IPv6
 *                    and IPv4), "localhost:PORT" (127.0.0.1); IP literals
 *                    only, never a name lookup; PORT 1-65535
 *             remote "IPv4:PORT" inside the virtual subnet, not the gateway,
 *                    the network or the broadcast address; ":PORT" is
 *                    filled in with the caller's guest address first
 *   unix      local  an absolute path of a socket to create, at most 107
 *                    bytes, without NUL bytes or ".." components, below one
 *                    of the permitted directories (forward.c: the
 *                    directories of the API's unix sockets and
 *                    $XDG_RUNTIME_DIR)
 *             remote "tcp://IPv4:PORT", the same address rules
 */
#ifndef VGATE_FORWARD_TABLE_H
#define VGATE_FORWARD_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Forwards at once (expose beyond: 500). */
#define FWD_MAX 1024
/* Longest "local", "remote" or "protocol" string accepted in a request. */
#define FWD_STR_MAX 255
/* Permitted directories for unix forwards. */
#define FWD_DIRS_MAX 16

enum fwd_proto {
	FWD_TCP,
	FWD_UDP,
	FWD_UNIX,
};

/* A checked forward: what /all lists and what forward.c opens. */
struct fwd_spec {
	enum fwd_proto proto;
	char local[FWD_STR_MAX + 1];  /* as given: the table's key */
	char remote[FWD_STR_MAX + 1]; /* as listed (":PORT" filled in) */
	struct sockaddr_storage sa;   /* tcp, udp: bind address; unix: sockaddr_un */
	socklen_t salen;
	bool dual_stack; /* ":PORT": IPv6 any with IPv4 mapped */
	uint32_t rip;	 /* remote address, network order */
	uint16_t rport;	 /* remote port, host order */
};

/* The virtual network a remote must be inside (network order). */
struct fwd_net {
	uint32_t subnet, netmask, gateway;
};

/* A request body as read, strings with their lengths (NUL bytes kept). */
struct fwd_request {
	char local[FWD_STR_MAX + 1], remote[FWD_STR_MAX + 1], protocol[FWD_STR_MAX + 1];
	size_t local_len, remote_len, protocol_len;
};

/* "tcp", "udp", "unix". */
const char *fwd_proto_name(enum fwd_proto p);

/*
 * fwd_proto_parse() - gvproxy's protocol names; "" means tcp
 * Return: 0, or -EPROTONOSUPPORT (@err: "unknown protocol X").
 */
int fwd_proto_parse(const char *s, size_t len, enum fwd_proto *p, char *err, size_t errlen);

/*
 * fwd_request_parse() - read an expose or unexpose body: one JSON object;
 * keys "local", "remote", "protocol" match case-insensitively (as Go's
 * encoding/json), other keys are ignored, null leaves a string empty
 * Return: 0; -EINVAL (@err says why: bad JSON, a wrong type, a string over
 * FWD_STR_MAX, an empty body is "EOF" as Go says); -ENOMEM.
 */
int fwd_request_parse(const char *body, size_t len, struct fwd_request *req, char *err,
		      size_t errlen);

/*
 * fwd_remote_fill() - gvproxy's remote(): "HOST:PORT" stays, ":PORT" gets
 * @caller (network order) as host; used for tcp and udp only
 * Return: 0 with @out filled; -EINVAL (@err: "address X: missing port in
 * address" and the like; gvproxy answers 400); -ENAMETOOLONG.
 */
int fwd_remote_fill(const char *s, size_t len, uint32_t caller, char *out, size_t cap, char *err,
		    size_t errlen);

/*
 * fwd_spec_parse() - check @local and @remote for @proto into @spec
 * @dirs, @ndirs: permitted directories for unix forwards (absolute)
 * Return: 0; -EINVAL with @err (gvproxy answers such errors 500).
 */
int fwd_spec_parse(enum fwd_proto proto, const char *local, size_t local_len, const char *remote,
		   size_t remote_len, const struct fwd_net *net, const char *const *dirs,
		   unsigned ndirs, struct fwd_spec *spec, char *err, size_t errlen);

/*
 * fwd_path_permitted() - is @path (absolute, NUL-terminated) strictly below
 * one of @dirs, without "." or ".." components or empty ones?
 */
bool fwd_path_permitted(const char *path, const char *const *dirs, unsigned ndirs);

struct fwd_entry {
	struct fwd_spec spec;
	void *owner; /* forward.c's open forward */
};

struct fwd_table {
	struct fwd_entry *v[FWD_MAX];
	unsigned n;
};

/* The entry for (@proto, @local), or NULL. */
struct fwd_entry *fwd_table_find(const struct fwd_table *t, enum fwd_proto proto,
				 const char *local);

/*
 * fwd_table_add() - a copy of @spec, keyed by its protocol and local
 * Return: 0 with *@out set; -EEXIST; -ENOSPC (FWD_MAX); -ENOMEM.
 */
int fwd_table_add(struct fwd_table *t, const struct fwd_spec *spec, void *owner,
		  struct fwd_entry **out);

/* Remove and free @e. */
void fwd_table_remove(struct fwd_table *t, struct fwd_entry *e);

/* Remove and free every entry. */
void fwd_table_clear(struct fwd_table *t);

/*
 * fwd_table_json() - GET /services/forwarder/all:
 * [{"local":"...","remote":"...","protocol":"tcp"}], sorted by local then
 * protocol (byte order, as gvproxy's sort.Slice); empty is [] (newline
 * after, as Go's json.Encoder)
 * Return: 0 with *@out malloc'd; -ENOMEM.
 */
int fwd_table_json(const struct fwd_table *t, char **out);

#endif
