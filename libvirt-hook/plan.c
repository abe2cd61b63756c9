// SPDX-License-Identifier: MIT
/*
 * plan.c - lay out a domain's vgate processes: paths, NICs, addresses, argv
 *
 * Theory of operation
 *
 * Each <vgate:network> becomes one vgate process, with its state in one
 * directory:
 *   - the domain's own network: RUN_DIR/<domain>/ (the first, without an
 *     id) or RUN_DIR/<domain>/<id>/ (further ones, each with an id);
 *   - a shared network (name="lab"): NET_DIR/lab/, one vgate for every
 *     domain that names it (a switch the VMs share).
 * In the directory: api.sock (the HTTP API), qemu.sock (QEMU's -netdev
 * stream connects here), vgate.pid, vgate.log, config.json (the -config
 * file) and vgate.args (the command line, so a second domain joining a
 * shared network can check that it asks for the same network).
 *
 * NICs are matched to networks by what they connect to: a -netdev stream
 * NIC by its socket path (it must be a network's qemu.sock; a path inside
 * vgate's directories that no network serves is an error, as is
 * server=on, because vgate is the listening side), an <interface
 * type='client'> NIC by the network's port.
 *
 * The guest address that port-only forwards go to: on the domain's own
 * network, the first wired NIC's MAC gets a static lease (of its
 * <vgate:lease> if it has one, else of guest-ip, default .2), so guest="22"
 * reaches that NIC whatever the guest does; on a shared network it is the
 * <vgate:lease> of the domain's NIC (the network's leases are shared by
 * every member, so they are declared alike in each).
 *
 * Everything vgate's -config file can say goes there; the flags carry only
 * what it cannot (listeners, pid and log files, guest API switches), plus
 * -ssh-port=-1 so two domains never fight over gvproxy's default 2222.
 */
#include "plan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

static __attribute__((format(printf, 3, 4))) int perr(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *plan_proto_name(enum meta_proto proto)
{
	switch (proto) {
	case META_UDP:
		return "udp";
	case META_UNIX:
		return "unix";
	case META_TCP:
		break;
	}
	return "tcp";
}

/* @out = @dir/@file; -ENAMETOOLONG when it would not fit a socket address. */
static int join(char out[META_PATH_MAX], const char *dir, const char *file)
{
	char tmp[META_PATH_MAX]; /* @dir may live beside @out */
	int n = snprintf(tmp, sizeof(tmp), "%s/%s", dir, file);

	if (n < 0 || n >= META_PATH_MAX)
		return -ENAMETOOLONG;
	memcpy(out, tmp, (size_t)n + 1);
	return 0;
}

static int lay_out_dir(struct plan_net *pn)
{
	if (join(pn->api, pn->dir, "api.sock") || join(pn->qemu, pn->dir, "qemu.sock") ||
	    join(pn->pid, pn->dir, "vgate.pid") || join(pn->log, pn->dir, "vgate.log") ||
	    join(pn->config, pn->dir, "config.json") || join(pn->args, pn->dir, "vgate.args"))
		return -ENAMETOOLONG;
	return 0;
}

static const struct meta_lease *lease_for(const struct meta_net *net, const uint8_t mac[6])
{
	for (unsigned i = 0; i < net->nleases; i++)
		if (!memcmp(net->leases[i].mac, mac, 6))
			return &net->leases[i];
	return NULL;
}

static bool has_port_only_forward(const struct meta_net *net)
{
	for (unsigned i = 0; i < net->nforwards; i++)
		if (!net->forwards[i].guest_ip[0])
			return true;
	return false;
}

static const char *net_label(const struct meta_net *net, char *buf, size_t n)
{
	if (net->name[0])
		snprintf(buf, n, "network %s", net->name);
	else if (net->id[0])
		snprintf(buf, n, "network id %s", net->id);
	else
		snprintf(buf, n, "the domain's network");
	return buf;
}

/* Which network serves @nic? Return: its index, -1 for none, -EINVAL for a misfit. */
static int match_nic(const struct meta_domain *d, const struct plan *pl, const struct plan_paths *p,
		     const struct meta_nic *nic, char *err, size_t errlen)
{
	size_t rl = strlen(p->run_dir), nl = strlen(p->net_dir);
	bool ours;

	for (unsigned i = 0; i < pl->nnets; i++) {
		const struct plan_net *pn = &pl->nets[i];

		if (nic->kind == META_NIC_TCP && pn->net->port == nic->port)
			return (int)i;
		if (nic->kind != META_NIC_STREAM || strcmp(pn->qemu, nic->path) != 0)
			continue;
		if (nic->server)
			return perr(err, errlen,
				    "NIC %s: vgate listens on %s, so the -netdev stream needs "
				    "server=off",
				    nic->id[0] ? nic->id : "?", nic->path);
		return (int)i;
	}
	if (nic->kind != META_NIC_STREAM)
		return -1;
	ours = (!strncmp(nic->path, p->run_dir, rl) && nic->path[rl] == '/' &&
		!strncmp(nic->path + rl + 1, d->name, strlen(d->name))) ||
	       (!strncmp(nic->path, p->net_dir, nl) && nic->path[nl] == '/');
	if (ours)
		return perr(err, errlen,
			    "NIC %s is wired to %s, which none of the domain's vgate networks "
			    "serves (the first one's socket is %s)",
			    nic->id[0] ? nic->id : "?", nic->path, pl->nets[0].qemu);
	return -1;
}

/* Device address and guest address of @pn, from its NICs and leases. */
static int addresses(const struct meta_domain *d, struct plan_net *pn, char *err, size_t errlen)
{
	const struct meta_net *net = pn->net;
	const struct meta_lease *l = NULL;
	char lbl[64], mac[18];

	for (unsigned i = 0; i < pn->nnics && !l; i++)
		if (pn->nics[i]->has_mac)
			l = lease_for(net, pn->nics[i]->mac);
	if (pn->shared) {
		/* The network's own device lease: its first declared one, alike for all. */
		if (net->nleases) {
			memcpy(pn->device_mac, net->leases[0].mac, 6);
			pn->device_mac_set = true;
			pn->device_ip = net->leases[0].ip;
		} else {
			pn->device_ip = net->guest_ip;
		}
		pn->guest_ip = l ? l->ip : 0;
		if (!pn->guest_ip && has_port_only_forward(net))
			return perr(err, errlen,
				    "%s: domain %s forwards to guest=\"PORT\" but none of its NICs "
				    "on the network has a <vgate:lease> (add one with its MAC)",
				    net_label(net, lbl, sizeof(lbl)), d->name);
		return 0;
	}
	for (unsigned i = 0; i < pn->nnics; i++) {
		if (pn->nics[i]->has_mac) {
			memcpy(pn->device_mac, pn->nics[i]->mac, 6);
			pn->device_mac_set = true;
			break;
		}
	}
	l = pn->device_mac_set ? lease_for(net, pn->device_mac) : NULL;
	pn->device_ip = l ? l->ip : net->guest_ip;
	pn->guest_ip = pn->device_ip;
	for (unsigned i = 0; !l && i < net->nleases; i++) {
		if (net->leases[i].ip == pn->device_ip) {
			meta_mac_format(net->leases[i].mac, mac);
			return perr(err, errlen,
				    "%s: the guest address is also leased to %s (set guest-ip, or "
				    "lease the NIC's MAC)",
				    net_label(net, lbl, sizeof(lbl)), mac);
		}
	}
	return 0;
}

int plan_build(const struct meta_domain *d, const struct plan_paths *p, struct plan *out, char *err,
	       size_t errlen)
{
	char lbl[64];
	int n, r;

	memset(out, 0, sizeof(*out));
	if (!meta_domain_name_ok(d->name))
		return perr(err, errlen,
			    "domain name '%s' cannot be served (at most %d bytes, no '/', not "
			    "starting with '.')",
			    d->name, META_DOMAIN_NAME_MAX);
	n = snprintf(out->domain_dir, sizeof(out->domain_dir), "%s/%s", p->run_dir, d->name);
	if (n < 0 || (size_t)n >= sizeof(out->domain_dir))
		return perr(err, errlen, "domain name %s: state path too long", d->name);
	for (unsigned i = 0; i < d->nnets; i++) {
		struct plan_net *pn = &out->nets[i];
		const struct meta_net *net = &d->nets[i];

		pn->net = net;
		pn->shared = net->name[0] != '\0';
		if (pn->shared)
			r = join(pn->dir, p->net_dir, net->name);
		else if (net->id[0])
			r = join(pn->dir, out->domain_dir, net->id);
		else
			r = join(pn->dir, out->domain_dir, "") < 0 ? -ENAMETOOLONG : 0;
		if (!r && !net->name[0] && !net->id[0])
			pn->dir[strlen(pn->dir) - 1] = '\0'; /* no trailing slash */
		if (r < 0 || lay_out_dir(pn) < 0)
			return perr(err, errlen,
				    "%s: the state paths under %s do not fit a unix socket "
				    "address (shorten the domain name or id)",
				    net_label(net, lbl, sizeof(lbl)), p->run_dir);
		if (net->host_loopback == META_NO && net->nnat)
			return perr(err, errlen,
				    "%s: host-loopback='no' and <vgate:nat> entries contradict "
				    "each other",
				    net_label(net, lbl, sizeof(lbl)));
		out->nnets++;
	}
	for (unsigned i = 0; i < d->nnics; i++) {
		r = match_nic(d, out, p, &d->nics[i], err, errlen);
		if (r < 0 && r != -1)
			return r;
		if (r >= 0)
			out->nets[r].nics[out->nets[r].nnics++] = &d->nics[i];
	}
	for (unsigned i = 0; i < out->nnets; i++) {
		r = addresses(d, &out->nets[i], err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

int plan_forward_remote(const struct plan_net *pn, const struct meta_forward *f, char *out,
			size_t n)
{
	char ip[INET_ADDRSTRLEN];

	if (f->guest_ip[0])
		snprintf(ip, sizeof(ip), "%s", f->guest_ip);
	else if (pn->guest_ip)
		inet_ntop(AF_INET, &pn->guest_ip, ip, sizeof(ip));
	else
		return -ENOENT;
	snprintf(out, n, "%s%s:%u", f->proto == META_UNIX ? "tcp://" : "", ip, f->guest_port);
	return 0;
}

/* --- the configuration file ----------------------------------------------------------- */

static void gstr(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

static void gkey_ip(yajl_gen g, const char *key, uint32_t ip)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	gstr(g, key);
	gstr(g, a);
}

static void gkey_num(yajl_gen g, const char *key, unsigned v)
{
	gstr(g, key);
	yajl_gen_integer(g, v);
}

static void gkey_list(yajl_gen g, const char *key, const char *items, size_t stride, unsigned n)
{
	if (!n)
		return;
	gstr(g, key);
	yajl_gen_array_open(g);
	for (unsigned i = 0; i < n; i++)
		gstr(g, items + i * stride);
	yajl_gen_array_close(g);
}

static void gen_zones(yajl_gen g, const struct meta_net *net)
{
	gstr(g, "dns");
	yajl_gen_array_open(g);
	for (unsigned z = 0; z < net->nzones; z++) {
		yajl_gen_map_open(g);
		gstr(g, "Name");
		gstr(g, net->zones[z].name);
		if (net->zones[z].default_ip[0]) {
			gstr(g, "DefaultIP");
			gstr(g, net->zones[z].default_ip);
		}
		gstr(g, "Records");
		yajl_gen_array_open(g);
		for (unsigned i = 0; i < net->nrecords; i++) {
			const struct meta_record *r = &net->records[i];

			if (r->zone != z)
				continue;
			yajl_gen_map_open(g);
			gstr(g, r->name[0] ? "Name" : "Regexp");
			gstr(g, r->name[0] ? r->name : r->regexp);
			if (r->ip[0]) {
				gstr(g, "IP");
				gstr(g, r->ip);
			}
			if (r->ipv6[0]) {
				gstr(g, "IPv6");
				gstr(g, r->ipv6);
			}
			yajl_gen_map_close(g);
		}
		yajl_gen_array_close(g);
		yajl_gen_map_close(g);
	}
	yajl_gen_array_close(g);
}

static void gen_config(yajl_gen g, const struct plan_net *pn)
{
	const struct meta_net *net = pn->net;
	char buf[32], mac[18];

	yajl_gen_map_open(g);
	inet_ntop(AF_INET, &net->subnet, buf, sizeof(buf));
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "/%u", net->prefix);
	gstr(g, "subnet");
	gstr(g, buf);
	gkey_ip(g, "gatewayIP", net->gateway_ip);
	if (net->gateway_mac_set) {
		meta_mac_format(net->gateway_mac, mac);
		gstr(g, "gatewayMacAddress");
		gstr(g, mac);
	}
	gkey_ip(g, "deviceIP", pn->device_ip);
	if (pn->device_mac_set) {
		meta_mac_format(pn->device_mac, mac);
		gstr(g, "deviceMacAddress");
		gstr(g, mac);
	}
	gkey_ip(g, "hostIP", net->host_ip);
	gkey_list(g, "gatewayVirtualIPs", net->vips[0], sizeof(net->vips[0]), net->nvips);
	if (net->mtu)
		gkey_num(g, "mtu", net->mtu);
	if (net->lease_time)
		gkey_num(g, "leaseTime", net->lease_time);
	if (net->nleases) {
		gstr(g, "dhcpStaticLeases");
		yajl_gen_map_open(g);
		for (unsigned i = 0; i < net->nleases; i++) {
			inet_ntop(AF_INET, &net->leases[i].ip, buf, sizeof(buf));
			meta_mac_format(net->leases[i].mac, mac);
			gstr(g, buf);
			gstr(g, mac);
		}
		yajl_gen_map_close(g);
	}
	if (net->nzones)
		gen_zones(g, net);
	gkey_list(g, "dnsSearchDomains", net->search[0], sizeof(net->search[0]), net->nsearch);
	if (net->dhcp_domain[0]) {
		gstr(g, "domain");
		gstr(g, net->dhcp_domain);
	}
	gkey_list(g, "dnsUpstream", net->upstream[0], sizeof(net->upstream[0]), net->nupstream);
	if (net->nnat) {
		gstr(g, "nat");
		yajl_gen_map_open(g);
		for (unsigned i = 0; i < net->nnat; i++) {
			inet_ntop(AF_INET, &net->nat_virtual[i], buf, sizeof(buf));
			gstr(g, buf);
			inet_ntop(AF_INET, &net->nat_real[i], buf, sizeof(buf));
			gstr(g, buf);
		}
		yajl_gen_map_close(g);
	}
	gkey_list(g, "egressAllow", net->egress_allow[0], sizeof(net->egress_allow[0]),
		  net->nallow);
	gkey_list(g, "egressDeny", net->egress_deny[0], sizeof(net->egress_deny[0]), net->ndeny);
	if (net->link_local != META_UNSET) {
		gstr(g, "ec2MetadataAccess");
		yajl_gen_bool(g, net->link_local == META_YES);
	}
	if (net->tcp_connect_timeout)
		gkey_num(g, "tcpConnectTimeout", net->tcp_connect_timeout);
	if (net->udp_idle_timeout)
		gkey_num(g, "udpIdleTimeout", net->udp_idle_timeout);
	yajl_gen_map_close(g);
}

int plan_config_json(const struct plan_net *pn, char **out)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	const unsigned char *buf;
	size_t len;

	if (!g)
		return -ENOMEM;
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "  ");
	gen_config(g, pn);
	if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
		yajl_gen_free(g);
		return -ENOMEM;
	}
	*out = strndup((const char *)buf, len);
	yajl_gen_free(g);
	return *out ? 0 : -ENOMEM;
}

/* --- the command line ----------------------------------------------------------------- */

static __attribute__((format(printf, 2, 3))) int add(struct plan_argv *a, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (a->n >= PLAN_ARGV_MAX)
		return -E2BIG;
	va_start(ap, fmt);
	n = vasprintf(&a->v[a->n], fmt, ap);
	va_end(ap);
	if (n < 0) {
		a->v[a->n] = NULL;
		return -ENOMEM;
	}
	a->n++;
	return 0;
}

int plan_argv(const struct plan_net *pn, const struct plan_paths *p, struct plan_argv *a)
{
	const struct meta_net *net = pn->net;
	int r;

	memset(a, 0, sizeof(*a));
	r = add(a, "%s", p->vgate_bin);
	r = r ?: add(a, "-config=%s", pn->config);
	r = r ?: add(a, "-listen=unix://%s", pn->api);
	r = r ?: add(a, "-listen-qemu=unix://%s", pn->qemu);
	if (net->port)
		r = r ?: add(a, "-listen-qemu=tcp://127.0.0.1:%u", net->port);
	r = r ?: add(a, "-pid-file=%s", pn->pid);
	r = r ?: add(a, "-log-file=%s", pn->log);
	r = r ?: add(a, "-ssh-port=-1");
	if (net->host_loopback == META_NO)
		r = r ?: add(a, "--no-host-loopback");
	if (net->guest_api == META_NO)
		r = r ?: add(a, "--no-guest-api");
	if (net->guest_api_token[0])
		r = r ?: add(a, "--guest-api-token=%s", net->guest_api_token);
	if (net->debug == META_YES)
		r = r ?: add(a, "-debug");
	if (r < 0) {
		plan_argv_free(a);
		return -ENOMEM;
	}
	return 0;
}

void plan_argv_free(struct plan_argv *a)
{
	for (unsigned i = 0; i < a->n; i++)
		free(a->v[i]);
	memset(a, 0, sizeof(*a));
}
