// SPDX-License-Identifier: MIT
/*
 * extdhcp.c - spawn, renew, restart and stop udhcpc or dhclient; be udhcpc's script
 *
 * The client is one child at a time. If it exits while vgate-guest runs
 * (crashed, or udhcpc gave up), it is started again after
 * EXTDHCP_RESTART_FIRST_MS doubling to EXTDHCP_RESTART_MAX_MS.
 */
#include "extdhcp.h"

#include "child.h"
#include "log.h"
#include "netcfg.h"
#include "rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMP "dhcp"
#define SCRIPT_ENV "VGATE_GUEST_SCRIPT"

bool extdhcp_find(struct extdhcp *e, enum extdhcp_kind kind)
{
	e->kind = kind;
	if (kind == EXTDHCP_DHCLIENT) {
		snprintf(e->argv0, sizeof(e->argv0), "dhclient");
		return child_which("dhclient", e->prog, sizeof(e->prog));
	}
	snprintf(e->argv0, sizeof(e->argv0), "udhcpc");
	if (child_which("udhcpc", e->prog, sizeof(e->prog)))
		return true;
	/* busybox runs the applet its argv[0] names */
	return child_which("busybox", e->prog, sizeof(e->prog));
}

int extdhcp_setup(struct extdhcp *e, const char *ifname, const char *resolv, uint32_t metric,
		  unsigned fixed_mtu, const char *log_file, bool debug)
{
	ssize_t n = readlink("/proc/self/exe", e->self, sizeof(e->self) - 1);

	if (n <= 0)
		return n < 0 ? -errno : -ENOENT;
	e->self[n] = '\0';
	snprintf(e->ifname, sizeof(e->ifname), "%s", ifname);
	e->nenv = 0;
	snprintf(e->env[e->nenv++], sizeof(e->env[0]), SCRIPT_ENV "=1");
	snprintf(e->env[e->nenv++], sizeof(e->env[0]), "VGATE_GUEST_RESOLV=%s",
		 resolv ? resolv : "none");
	snprintf(e->env[e->nenv++], sizeof(e->env[0]), "VGATE_GUEST_METRIC=%u", metric);
	snprintf(e->env[e->nenv++], sizeof(e->env[0]), "VGATE_GUEST_MTU=%u", fixed_mtu);
	snprintf(e->env[e->nenv++], sizeof(e->env[0]), "VGATE_GUEST_LOG_FILE=%s",
		 log_file ? log_file : "");
	snprintf(e->env[e->nenv++], sizeof(e->env[0]), "VGATE_GUEST_DEBUG=%d", debug ? 1 : 0);
	e->backoff_ms = EXTDHCP_RESTART_FIRST_MS;
	e->restart_at = UINT64_MAX;
	return 0;
}

int extdhcp_start(struct extdhcp *e, uint64_t now)
{
	char *env[8], *argv[24];
	unsigned a = 0;
	int r;

	(void)now;
	for (unsigned i = 0; i < e->nenv; i++)
		env[i] = e->env[i];
	env[e->nenv] = NULL;
	argv[a++] = e->argv0;
	if (e->kind == EXTDHCP_UDHCPC) {
		/* foreground, release on exit, our script; retry 5 x 2 s, then pause 5 s */
		static char *const fixed[] = { "-f", "-R", "-t",     "5",  "-T",  "2", "-A",
					       "5",  "-O", "search", "-O", "mtu", "-i" };

		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			argv[a++] = fixed[i];
		argv[a++] = e->ifname;
		argv[a++] = "-s";
		argv[a++] = e->self;
	} else {
		static char *const fixed[] = { "-4", "-d", "-v" };

		for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
			argv[a++] = fixed[i];
		argv[a++] = e->ifname;
	}
	argv[a] = NULL;
	r = child_spawn(e->prog, argv, env, -1, -1, &e->pid);
	if (r < 0) {
		log_err(COMP, "cannot run %s: %s", e->prog, strerror(-r));
		e->pid = 0;
		return r;
	}
	e->restart_at = UINT64_MAX;
	log_info(COMP, "started %s (%s) on %s, pid %d", e->argv0, e->prog, e->ifname, (int)e->pid);
	return 0;
}

void extdhcp_renew(struct extdhcp *e)
{
	if (e->pid > 0 && e->kind == EXTDHCP_UDHCPC)
		kill(e->pid, SIGUSR1);
}

bool extdhcp_child_exited(struct extdhcp *e, pid_t pid, int status, uint64_t now)
{
	char how[64];

	if (pid <= 0 || pid != e->pid)
		return false;
	e->pid = 0;
	child_describe_status(status, how, sizeof(how));
	if (e->stopping) {
		log_debug(COMP, "%s exited (%s)", e->argv0, how);
		return true;
	}
	log_warn(COMP, "%s exited (%s); starting it again in %llu ms", e->argv0, how,
		 (unsigned long long)e->backoff_ms);
	e->restart_at = now + e->backoff_ms;
	e->backoff_ms *= 2;
	if (e->backoff_ms > EXTDHCP_RESTART_MAX_MS)
		e->backoff_ms = EXTDHCP_RESTART_MAX_MS;
	return true;
}

void extdhcp_timer(struct extdhcp *e, uint64_t now)
{
	if (e->stopping || e->pid > 0 || now < e->restart_at)
		return;
	if (extdhcp_start(e, now) < 0) {
		e->restart_at = now + e->backoff_ms;
		e->backoff_ms = e->backoff_ms * 2 > EXTDHCP_RESTART_MAX_MS ? EXTDHCP_RESTART_MAX_MS
									   : e->backoff_ms * 2;
	}
}

uint64_t extdhcp_deadline(const struct extdhcp *e)
{
	return e->stopping || e->pid > 0 ? UINT64_MAX : e->restart_at;
}

void extdhcp_stop(struct extdhcp *e)
{
	e->stopping = true;
	if (e->pid > 0)
		kill(e->pid, SIGTERM);
}

/* --- script mode ------------------------------------------------------------ */

/* Next space-separated token of *s into @out; false at the end. */
static bool token(const char **s, char *out, size_t cap)
{
	const char *p = *s;
	size_t n;

	while (*p == ' ')
		p++;
	if (!*p)
		return false;
	n = strcspn(p, " ");
	if (n >= cap) {
		out[0] = '\0';
	} else {
		memcpy(out, p, n);
		out[n] = '\0';
	}
	*s = p + n;
	return true;
}

/* number() - a decimal string up to @max (NULL and garbage: false) */
static bool number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (unsigned long)(*s - '0')) / 10)
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return true;
}

int extdhcp_lease_from_env(extdhcp_getenv get, void *ctx, struct dhcpc_lease *l)
{
	const char *v;
	char tok[DHCPC_NAME_LEN];
	unsigned long n;

	memset(l, 0, sizeof(*l));
	v = get(ctx, "ip");
	if (!v || inet_pton(AF_INET, v, &l->addr) != 1 || !l->addr.s_addr)
		return -EINVAL;
	l->prefix = 24;
	v = get(ctx, "subnet");
	if (v) {
		struct in_addr mask;
		int p;

		if (inet_pton(AF_INET, v, &mask) == 1 && (p = dhcpc_mask_prefix(mask)) >= 0)
			l->prefix = (uint8_t)p;
	} else if (number(get(ctx, "mask"), 32, &n)) {
		l->prefix = (uint8_t)n;
	}
	v = get(ctx, "router");
	if (v && token(&v, tok, sizeof(tok)) && inet_pton(AF_INET, tok, &l->router) != 1)
		l->router.s_addr = 0;
	v = get(ctx, "serverid");
	if (v && inet_pton(AF_INET, v, &l->server) != 1)
		l->server.s_addr = 0;
	v = get(ctx, "dns");
	while (v && l->ndns < DHCPC_DNS_MAX && token(&v, tok, sizeof(tok)))
		if (inet_pton(AF_INET, tok, &l->dns[l->ndns]) == 1)
			l->ndns++;
	v = get(ctx, "domain");
	if (v && strlen(v) < sizeof(l->domain) && dhcpc_name_safe(v, strlen(v)))
		memcpy(l->domain, v, strlen(v) + 1);
	v = get(ctx, "search");
	while (v && token(&v, tok, sizeof(tok))) {
		size_t have = strlen(l->search), tl = strlen(tok);

		if (!dhcpc_name_safe(tok, tl) || have + tl + 2 > sizeof(l->search))
			continue;
		if (have)
			l->search[have++] = ' ';
		memcpy(l->search + have, tok, tl + 1);
	}
	if (number(get(ctx, "mtu"), 65535, &n) && n >= 68)
		l->mtu = (uint16_t)(n > DHCPC_MTU_MAX ? DHCPC_MTU_MAX : n);
	l->lease_s = DHCPC_LEASE_DEFAULT_S;
	if (number(get(ctx, "lease"), UINT32_MAX, &n))
		l->lease_s = n < DHCPC_LEASE_MIN_S ? DHCPC_LEASE_MIN_S : (uint32_t)n;
	return 0;
}

bool extdhcp_is_script_call(int argc, char **argv)
{
	const char *v = getenv(SCRIPT_ENV);

	return argc == 2 && v && !strcmp(v, "1") && getenv("interface") && argv[1][0] != '-';
}

/* real_getenv() - extdhcp_getenv over the process environment */
static const char *real_getenv(void *ctx, const char *name)
{
	(void)ctx;
	return getenv(name);
}

/* Drop every IPv4 address of the link except @keep. */
static void remove_others(const struct netcfg *n, struct in_addr keep)
{
	struct rtnl_addr addrs[RTNL_ADDRS_MAX];
	int count = rtnl_addr_list(n->ifindex, addrs, RTNL_ADDRS_MAX);

	for (int i = 0; i < count; i++) {
		struct rtnl_req m;

		if (addrs[i].addr.s_addr == keep.s_addr)
			continue;
		if (!rtnl_addr_req(&m, false, n->ifindex, addrs[i].addr, addrs[i].prefix, 0))
			rtnl_talk(&m);
	}
}

int extdhcp_script(const char *event)
{
	const char *resolv = getenv("VGATE_GUEST_RESOLV"), *logf = getenv("VGATE_GUEST_LOG_FILE");
	const char *dbg = getenv("VGATE_GUEST_DEBUG");
	struct netcfg n = { 0 };
	struct dhcpc_lease l;
	unsigned long v;
	int r;

	if (logf && *logf)
		log_open(logf);
	if (dbg && !strcmp(dbg, "1"))
		log_set_level(VLOG_DEBUG);
	snprintf(n.ifname, sizeof(n.ifname), "%s", getenv("interface"));
	n.ifindex = (int)if_nametoindex(n.ifname);
	if (!n.ifindex) {
		log_err(COMP, "udhcpc script: no interface %s", n.ifname);
		return 1;
	}
	n.resolv = resolv && *resolv && strcmp(resolv, "none") != 0 ? resolv : NULL;
	if (number(getenv("VGATE_GUEST_METRIC"), UINT32_MAX, &v))
		n.metric = (uint32_t)v;
	if (number(getenv("VGATE_GUEST_MTU"), 65535, &v))
		n.fixed_mtu = (unsigned)v;

	if (!strcmp(event, "deconfig")) {
		log_debug(COMP, "udhcpc: deconfig %s", n.ifname);
		return netcfg_flush(&n) < 0;
	}
	if (!strcmp(event, "bound") || !strcmp(event, "renew")) {
		char a[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

		if (extdhcp_lease_from_env(real_getenv, NULL, &l) < 0) {
			log_err(COMP, "udhcpc %s: no usable ip in the environment", event);
			return 1;
		}
		remove_others(&n, l.addr);
		r = netcfg_apply(&n, &l);
		inet_ntop(AF_INET, &l.addr, a, sizeof(a));
		inet_ntop(AF_INET, &l.router, gw, sizeof(gw));
		log_info(COMP, "udhcpc %s: %s/%u via %s on %s, lease %u s", event, a, l.prefix, gw,
			 n.ifname, l.lease_s);
		return r < 0;
	}
	/* leasefail, nak and future events need nothing from us */
	log_debug(COMP, "udhcpc: %s on %s", event, n.ifname);
	return 0;
}
