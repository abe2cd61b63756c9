/* SPDX-License-Identifier: MIT */
/*
 * plan.h - from a domain's parsed metadata to the vgate processes it needs
 *
 * plan_build() decides, for each network a domain declares, where its
 * vgate keeps its state, which of the domain's NICs are wired to it, and
 * which guest address port-only forwards (guest="22") go to.
 * plan_config_json() and plan_argv() then write that vgate's configuration
 * file and command line. All of it is pure: no files are touched, so the
 * unit tests check exactly what the hook would run.
 */
#ifndef VGATE_HOOK_PLAN_H
#define VGATE_HOOK_PLAN_H

#include "meta.h"

/* Where state lives and what is run. */
struct plan_paths {
	const char *run_dir;   /* per-domain state: RUN_DIR/<domain>/ (default /run/vgate) */
	const char *net_dir;   /* shared networks: NET_DIR/<name>/ (default /run/vgate-net) */
	const char *vgate_bin; /* the vgate program */
};

#define PLAN_RUN_DIR "/run/vgate"
#define PLAN_NET_DIR "/run/vgate-net"
/* Most arguments a vgate command line gets. */
#define PLAN_ARGV_MAX 32

struct plan_net {
	const struct meta_net *net;
	bool shared;
	char dir[META_PATH_MAX]; /* the state directory */
	char api[META_PATH_MAX]; /* DIR/api.sock */
	char qemu[META_PATH_MAX];
	char pid[META_PATH_MAX];
	char log[META_PATH_MAX];
	char config[META_PATH_MAX];
	char args[META_PATH_MAX]; /* DIR/vgate.args: the command line, one word a line */
	const struct meta_nic *nics[META_NICS_MAX];
	unsigned nnics;
	uint8_t device_mac[6]; /* vgate's -deviceMacAddress */
	bool device_mac_set;
	uint32_t device_ip; /* vgate's deviceIP (network order) */
	uint32_t guest_ip;  /* where guest="PORT" forwards go; 0: no address known */
};

struct plan {
	char domain_dir[META_PATH_MAX]; /* RUN_DIR/<domain> */
	struct plan_net nets[META_NETS_MAX];
	unsigned nnets;
};

/*
 * plan_build() - lay out the vgate processes of @d (which has_vgate)
 * @p: paths; @out keeps pointers into @d, which must outlive it
 * Return: 0, or -EINVAL with @err saying what is wrong (a path too long, a
 * NIC wired to a socket no network serves, no address for forwards, ...).
 */
int plan_build(const struct meta_domain *d, const struct plan_paths *p, struct plan *out, char *err,
	       size_t errlen);

/*
 * plan_config_json() - the vgate -config file for @pn
 * Return: 0 with a malloc'd NUL-terminated text in *@out, or -ENOMEM.
 */
int plan_config_json(const struct plan_net *pn, char **out);

struct plan_argv {
	char *v[PLAN_ARGV_MAX + 1]; /* NULL-terminated */
	unsigned n;
};

/*
 * plan_argv() - vgate's command line for @pn (v[0] is @p->vgate_bin)
 * Return: 0 or -ENOMEM (then nothing needs freeing).
 */
int plan_argv(const struct plan_net *pn, const struct plan_paths *p, struct plan_argv *a);
void plan_argv_free(struct plan_argv *a);

/*
 * plan_forward_remote() - "IP:PORT" a forward goes to on @pn, into @out
 * Return: 0, or -ENOENT when it names no address and @pn has no guest address.
 */
int plan_forward_remote(const struct plan_net *pn, const struct meta_forward *f, char *out,
			size_t n);

/* plan_proto_name() - "tcp", "udp" or "unix". */
const char *plan_proto_name(enum meta_proto proto);

#endif
