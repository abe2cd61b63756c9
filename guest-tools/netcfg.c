// SPDX-License-Identifier: MIT
/*
 * netcfg.c - configure a lease through rtnetlink and resolv.conf
 *
 * The steps are independent: a failing route (say, a router outside the
 * subnet) does not undo the address; each failure is logged once, here,
 * with what was attempted, and the first error is returned.
 */
#include "netcfg.h"

#include "log.h"
#include "rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMP "dhcp"

/* step() - log a failed step once; remember the first error */
static int step(int r, const struct netcfg *n, const char *what, int *first)
{
	if (r < 0) {
		log_err(COMP, "%s: %s: %s", n->ifname, what, strerror(-r));
		if (!*first)
			*first = r;
	}
	return r;
}

int netcfg_apply(const struct netcfg *n, const struct dhcpc_lease *l)
{
	char addr[INET_ADDRSTRLEN], what[96];
	struct rtnl_req m;
	int first = 0;

	inet_ntop(AF_INET, &l->addr, addr, sizeof(addr));
	if (!n->fixed_mtu && l->mtu) {
		snprintf(what, sizeof(what), "set MTU %u", l->mtu);
		if (!rtnl_link_req(&m, n->ifindex, NULL, l->mtu, RTNL_KEEP))
			step(rtnl_talk(&m), n, what, &first);
	}
	snprintf(what, sizeof(what), "add address %s/%u", addr, l->prefix);
	if (step(rtnl_addr_req(&m, true, n->ifindex, l->addr, l->prefix, l->lease_s), n, what,
		 &first) == 0)
		step(rtnl_talk(&m), n, what, &first);
	if (l->router.s_addr) {
		char gw[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &l->router, gw, sizeof(gw));
		snprintf(what, sizeof(what), "add default route via %s", gw);
		if (!rtnl_route_req(&m, true, n->ifindex, l->router, n->metric))
			step(rtnl_talk(&m), n, what, &first);
	}
	if (n->resolv) {
		char text[NETCFG_RESOLV_MAX];
		int len = netcfg_resolv_text(l, n->ifname, text, sizeof(text));

		snprintf(what, sizeof(what), "write %s", n->resolv);
		if (len > 0)
			step(netcfg_write_file(n->resolv, text, (size_t)len), n, what, &first);
	}
	return first;
}

int netcfg_remove(const struct netcfg *n, const struct dhcpc_lease *l)
{
	struct rtnl_req m;
	int r, first = 0;

	if (l->router.s_addr && !rtnl_route_req(&m, false, n->ifindex, l->router, n->metric)) {
		r = rtnl_talk(&m);
		if (r != -ESRCH && r != -ENODEV && r != -EADDRNOTAVAIL)
			step(r, n, "remove default route", &first);
	}
	if (!rtnl_addr_req(&m, false, n->ifindex, l->addr, l->prefix, 0)) {
		r = rtnl_talk(&m);
		if (r != -EADDRNOTAVAIL && r != -ENODEV)
			step(r, n, "remove address", &first);
	}
	return first;
}

int netcfg_flush(const struct netcfg *n)
{
	struct rtnl_addr addrs[RTNL_ADDRS_MAX];
	int count = rtnl_addr_list(n->ifindex, addrs, RTNL_ADDRS_MAX);
	int first = 0;

	if (count < 0)
		return step(count, n, "list addresses", &first);
	for (int i = 0; i < count; i++) {
		struct rtnl_req m;
		int r;

		if (rtnl_addr_req(&m, false, n->ifindex, addrs[i].addr, addrs[i].prefix, 0))
			continue;
		r = rtnl_talk(&m);
		if (r != -EADDRNOTAVAIL)
			step(r, n, "remove address", &first);
	}
	return first;
}

static int append(char *buf, size_t cap, size_t *o, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* append() - printf onto @buf at *@o. Return: 0 or -ENOSPC. */
static int append(char *buf, size_t cap, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *o, cap - *o, fmt, ap);
	va_end(ap);

	if (n < 0 || (size_t)n >= cap - *o)
		return -ENOSPC;
	*o += (size_t)n;
	return 0;
}

int netcfg_resolv_text(const struct dhcpc_lease *l, const char *ifname, char *buf, size_t cap)
{
	const char *search = l->search[0] ? l->search : l->domain;
	size_t o = 0;
	int r;

	if (!cap)
		return -ENOSPC;
	buf[0] = '\0';
	if (!l->ndns && !search[0])
		return 0;
	r = append(buf, cap, &o, "# written by vgate-guest from the DHCP lease on %s\n", ifname);
	if (!r && search[0])
		r = append(buf, cap, &o, "search %s\n", search);
	for (unsigned i = 0; !r && i < l->ndns && i < DHCPC_DNS_MAX; i++) {
		char a[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &l->dns[i], a, sizeof(a));
		r = append(buf, cap, &o, "nameserver %s\n", a);
	}
	return r < 0 ? r : (int)o;
}

int netcfg_write_file(const char *path, const char *text, size_t len)
{
	char target[PATH_MAX], tmp[PATH_MAX + 32];
	const char *dst = realpath(path, target) ? target : path;
	ssize_t w;
	int fd, r = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.vgate-guest.%d", dst, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	w = write(fd, text, len);
	if (w < 0)
		r = -errno;
	else if ((size_t)w != len)
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, dst) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}
