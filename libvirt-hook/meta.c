// SPDX-License-Identifier: MIT
/*
 * meta.c - read a domain's vgate metadata and its vgate NICs from domain XML
 *
 * Theory of operation
 *
 * The document comes from libvirt (the hook's stdin, or the libvirt API for
 * vgatectl), but the part this file reads, <metadata>, is whatever the
 * domain's owner wrote. It is therefore treated as hostile:
 *   - the buffer is bounded (META_XML_MAX) and parsed by libxml2 with
 *     XML_PARSE_NONET and without XML_PARSE_NOENT, XML_PARSE_DTDLOAD or
 *     XML_PARSE_DTDATTR, so nothing is fetched and no entity is expanded;
 *     a document with a DOCTYPE at all is refused after parsing (libvirt
 *     never writes one), so entity declarations never matter;
 *   - the vgate element is walked by hand, strictly: an unknown element or
 *     attribute, an element from another namespace, stray text, a value
 *     longer than META_VALUE_MAX, a list longer than its maximum: each is
 *     an error that names the element and its line;
 *   - every value is checked for what it is (address, CIDR, MAC, port,
 *     path) and every address for where it lies (inside the subnet, not the
 *     network or broadcast address, not the gateway), so vgate is started
 *     only with settings it will accept.
 * XPath finds the parts of the document (the name, the one vgate element
 * among <metadata>'s children, <interface type='client'> devices, the
 * <qemu:commandline> arguments, the DAC label); plain DOM walking reads the
 * vgate element, because strictness means visiting every node.
 *
 * Defaults are filled in here, derived from the subnet: gateway .1, guest
 * .2, host alias the last host address (.254 in a /24), as gvproxy has them.
 * The struct filled is plain data: the plan (plan.c) turns it into vgate's
 * command line and configuration file.
 */
#include "meta.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

/* Parse state: where errors go. */
struct mctx {
	char *err;
	size_t errlen;
};

static __attribute__((format(printf, 3, 4))) int fail(struct mctx *m, const xmlNode *n,
						      const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n)
		snprintf(m->err, m->errlen, "line %ld: <vgate:%s>: %s", xmlGetLineNo(n),
			 (const char *)n->name, msg);
	else
		snprintf(m->err, m->errlen, "%s", msg);
	return -EINVAL;
}

bool meta_quick_check(const char *xml, size_t len)
{
	return memmem(xml, len, META_NS, strlen(META_NS)) != NULL;
}

/* --- small value parsers --------------------------------------------------------- */

int meta_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char end;

	if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
				      &v[4], &v[5], &end) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[i * 3]) || !isxdigit((unsigned char)s[i * 3 + 1]))
			return -EINVAL;
		mac[i] = (uint8_t)v[i];
	}
	return 0;
}

void meta_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

/* A decimal number in [min, max], nothing else. */
static int parse_num(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s || strlen(s) > 10)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_ip4(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = a.s_addr;
	return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
	unsigned long v;

	if (parse_num(s, 1, 65535, &v) < 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/*
 * "A.B.C.D:PORT", "[V6]:PORT" or ":PORT" (@port_needed), or also a bare
 * address (!@port_needed, an empty address refused then).
 */
static int parse_hostport(const char *s, bool port_needed)
{
	char host[INET6_ADDRSTRLEN];
	const char *port = NULL;
	struct in6_addr a6;
	struct in_addr a4;
	size_t n;
	uint16_t p;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -EINVAL;
		n = (size_t)(close - s - 1);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		if (close[1] == ':')
			port = close + 2;
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return -EINVAL;
	} else {
		const char *colon = strchr(s, ':');

		if (colon && strchr(colon + 1, ':')) {
			/* a bare IPv6 address */
			if (port_needed || inet_pton(AF_INET6, s, &a6) != 1)
				return -EINVAL;
			return 0;
		}
		n = colon ? (size_t)(colon - s) : strlen(s);
		if (n >= sizeof(host))
			return -EINVAL;
		memcpy(host, s, n);
		host[n] = '\0';
		if (colon)
			port = colon + 1;
		if (n && inet_pton(AF_INET, host, &a4) != 1)
			return -EINVAL;
		if (!n && !port_needed)
			return -EINVAL;
	}
	if (port)
		return parse_port(port, &p);
	return port_needed ? -EINVAL : 0;
}

/* "A.B.C.D/N" with N 16..30 (vgate's range); the host bits are cleared. */
static int parse_subnet(const char *s, uint32_t *net, unsigned *prefix)
{
	char buf[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	unsigned long pfx;
	uint32_t ip;

	if (!slash || (size_t)(slash - s) >= sizeof(buf) || parse_num(slash + 1, 16, 30, &pfx) < 0)
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (parse_ip4(buf, &ip) < 0)
		return -EINVAL;
	*net = ip & htonl(~0u << (32 - pfx));
	*prefix = (unsigned)pfx;
	return 0;
}

/* "A.B.C.D/N[:PORT]" (N 0..32), as vgate's egress rules. */
static int parse_cidr_port(const char *s)
{
	char buf[64];
	const char *slash = strchr(s, '/'), *colon;
	unsigned long pfx;
	uint32_t ip;
	uint16_t port;

	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (parse_ip4(buf, &ip) < 0)
		return -EINVAL;
	colon = strchr(slash, ':');
	if (colon) {
		size_t n = (size_t)(colon - slash - 1);

		if (n == 0 || n >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, slash + 1, n);
		buf[n] = '\0';
		return parse_num(buf, 0, 32, &pfx) < 0 ? -EINVAL : parse_port(colon + 1, &port);
	}
	return parse_num(slash + 1, 0, 32, &pfx);
}

/* A network name or id: [A-Za-z0-9_.-], 1..META_ID_MAX, not starting with '.'. */
static bool id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > META_ID_MAX || s[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return true;
}

bool meta_domain_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > META_DOMAIN_NAME_MAX || name[0] == '.')
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == '/' || name[i] == 0x7f)
			return false;
	return true;
}

/* An absolute path that fits a unix socket address, without . or .. components. */
static bool path_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 2 || n >= META_PATH_MAX || s[0] != '/' || s[n - 1] == '/')
		return false;
	for (const char *c = s; c; c = strchr(c + 1, '/')) {
		if (c[1] == '/' || !strncmp(c, "/./", 3) || !strncmp(c, "/../", 4) ||
		    !strcmp(c, "/.") || !strcmp(c, "/.."))
			return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return false;
	return true;
}

/* A DNS name as vgate keeps it: letters, digits, '-', '_', '.', 1..253 bytes. */
static bool dns_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

int meta_qemu_opts_get(const char *opts, const char *key, char *out, size_t n)
{
	const char *p = opts;
	bool first = true;

	while (*p) {
		char item[1024];
		size_t len = 0;
		char *eq;

		/* One item up to a single comma; ",," is a literal comma. */
		while (*p) {
			if (*p == ',' && p[1] == ',') {
				p += 2;
				if (len + 1 < sizeof(item))
					item[len] = ',';
				len++;
				continue;
			}
			if (*p == ',') {
				p++;
				break;
			}
			if (len + 1 < sizeof(item))
				item[len] = *p;
			len++;
			p++;
		}
		if (len >= sizeof(item))
			return -ENAMETOOLONG;
		item[len] = '\0';
		eq = strchr(item, '=');
		if (!eq && first && !strcmp(key, "type")) {
			if (len >= n)
				return -ENAMETOOLONG;
			memcpy(out, item, len + 1);
			return 0;
		}
		first = false;
		if (eq && (size_t)(eq - item) == strlen(key) && !strncmp(item, key, strlen(key))) {
			if (strlen(eq + 1) >= n)
				return -ENAMETOOLONG;
			snprintf(out, n, "%s", eq + 1);
			return 0;
		}
	}
	return -ENOENT;
}

/* --- addresses inside the subnet ---------------------------------------------------- */

static uint32_t host_bits(const struct meta_net *n)
{
	return (1u << (32 - n->prefix)) - 1;
}

/* A host address of @n's subnet (not the network or broadcast address)? */
static bool in_subnet(const struct meta_net *n, uint32_t ip)
{
	uint32_t h = ntohl(ip), hm = host_bits(n);

	return (h & ~hm) == ntohl(n->subnet) && (h & hm) != 0 && (h & hm) != hm;
}

static uint32_t subnet_host(const struct meta_net *n, uint32_t offset)
{
	return htonl(ntohl(n->subnet) + offset);
}

/* --- the vgate element, strictly ------------------------------------------------------ */

/* Is @n an element of ours named @name? */
static bool is_ours(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       !strcmp((const char *)n->ns->href, META_NS) &&
	       (!name || !strcmp((const char *)n->name, name));
}

/*
 * Check @n's attributes against @allowed (NULL-terminated) and its
 * content: only whitespace and comments, plus child elements of ours when
 * @children. Return: 0 or -EINVAL.
 */
static int check_node(struct mctx *m, const xmlNode *n, const char *const *allowed, bool children)
{
	for (const xmlAttr *a = n->properties; a; a = a->next) {
		bool known = false;

		if (a->ns)
			return fail(m, n,
				    "attribute %s:%s is not allowed (attributes take no prefix)",
				    a->ns->prefix ? (const char *)a->ns->prefix : "",
				    (const char *)a->name);
		for (const char *const *k = allowed; *k; k++)
			known = known || !strcmp(*k, (const char *)a->name);
		if (!known)
			return fail(m, n, "unknown attribute %s", (const char *)a->name);
	}
	for (const xmlNode *c = n->children; c; c = c->next) {
		switch (c->type) {
		case XML_COMMENT_NODE:
			break;
		case XML_TEXT_NODE:
			for (const xmlChar *t = c->content; t && *t; t++)
				if (!isspace(*t))
					return fail(m, n, "text is not allowed here");
			break;
		case XML_ELEMENT_NODE:
			if (!children)
				return fail(m, n, "takes no child elements (found <%s>)",
					    (const char *)c->name);
			if (!is_ours(c, NULL))
				return fail(m, n, "element <%s> is not in namespace %s",
					    (const char *)c->name, META_NS);
			break;
		default:
			return fail(m, n, "unexpected content (CDATA, entity or instruction)");
		}
	}
	return 0;
}

/*
 * Attribute @name of @n into @out (""/false when absent). A value over
 * @outlen - 1 bytes is an error. Return: 1 present, 0 absent, -EINVAL.
 */
static int attr(struct mctx *m, const xmlNode *n, const char *name, char *out, size_t outlen)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	size_t len;

	out[0] = '\0';
	if (!v)
		return 0;
	len = strlen((const char *)v);
	if (len >= outlen) {
		xmlFree(v);
		return fail(m, n, "%s is too long (at most %zu bytes)", name, outlen - 1);
	}
	memcpy(out, v, len + 1);
	xmlFree(v);
	return 1;
}

static int attr_required(struct mctx *m, const xmlNode *n, const char *name, char *out,
			 size_t outlen)
{
	int r = attr(m, n, name, out, outlen);

	if (r == 0)
		return fail(m, n, "needs a %s attribute", name);
	return r < 0 ? r : 0;
}

static int attr_yesno(struct mctx *m, const xmlNode *n, const char *name, enum meta_tristate *t)
{
	char v[8];
	int r = attr(m, n, name, v, sizeof(v));

	if (r <= 0)
		return r == 0 ? 0 : fail(m, n, "%s must be yes or no", name);
	if (!strcmp(v, "yes"))
		*t = META_YES;
	else if (!strcmp(v, "no"))
		*t = META_NO;
	else
		return fail(m, n, "%s must be yes or no, not '%s'", name, v);
	return 0;
}

static int attr_num(struct mctx *m, const xmlNode *n, const char *name, unsigned long min,
		    unsigned long max, unsigned *out)
{
	char v[16];
	unsigned long x;
	int r = attr(m, n, name, v, sizeof(v));

	if (r < 0)
		return fail(m, n, "%s must be a number from %lu to %lu", name, min, max);
	if (r == 0)
		return 0;
	if (parse_num(v, min, max, &x) < 0)
		return fail(m, n, "%s must be a number from %lu to %lu, not '%s'", name, min, max,
			    v);
	*out = (unsigned)x;
	return 0;
}

static int attr_ip4(struct mctx *m, const xmlNode *n, const char *name, uint32_t *ip, bool *set)
{
	char v[META_VALUE_MAX];
	int r = attr(m, n, name, v, sizeof(v));

	if (r <= 0)
		return r;
	if (parse_ip4(v, ip) < 0)
		return fail(m, n, "%s: '%s' is not an IPv4 address", name, v);
	if (set)
		*set = true;
	return 0;
}

static int parse_forward(struct mctx *m, const xmlNode *n, struct meta_net *net)
{
	static const char *const allowed[] = { "proto", "host", "guest", NULL };
	struct meta_forward *f;
	char proto[16] = "", guest[META_VALUE_MAX] = "";
	const char *colon;
	int r;

	if (net->nforwards >= META_FORWARDS_MAX)
		return fail(m, n, "more than %d forwards", META_FORWARDS_MAX);
	f = &net->forwards[net->nforwards];
	r = check_node(m, n, allowed, false);
	if (!r)
		r = attr(m, n, "proto", proto, sizeof(proto));
	if (r < 0)
		return r;
	if (!r || !strcmp(proto, "tcp"))
		f->proto = META_TCP;
	else if (!strcmp(proto, "udp"))
		f->proto = META_UDP;
	else if (!strcmp(proto, "unix"))
		f->proto = META_UNIX;
	else
		return fail(m, n, "proto must be tcp, udp or unix, not '%s'", proto);
	r = attr_required(m, n, "host", f->host, sizeof(f->host));
	if (!r)
		r = attr_required(m, n, "guest", guest, sizeof(guest));
	if (r < 0)
		return r;
	if (f->proto == META_UNIX ? !path_ok(f->host) : parse_hostport(f->host, true) < 0)
		return fail(m, n,
			    f->proto == META_UNIX
				    ? "host '%s' must be an absolute socket path (under 108 bytes)"
				    : "host '%s' must be IP:PORT, [IPv6]:PORT or :PORT with a "
				      "port from 1 to 65535",
			    f->host);
	colon = strchr(guest, ':');
	if (colon) {
		uint32_t ip;

		if ((size_t)(colon - guest) >= sizeof(f->guest_ip))
			return fail(m, n, "guest '%s' must be PORT or IPv4:PORT", guest);
		memcpy(f->guest_ip, guest, (size_t)(colon - guest));
		f->guest_ip[colon - guest] = '\0';
		if (parse_ip4(f->guest_ip, &ip) < 0)
			return fail(m, n, "guest '%s' must be PORT or IPv4:PORT", guest);
	}
	if (parse_port(colon ? colon + 1 : guest, &f->guest_port) < 0)
		return fail(m, n, "guest '%s': the port must be from 1 to 65535", guest);
	for (unsigned i = 0; i < net->nforwards; i++)
		if (net->forwards[i].proto == f->proto && !strcmp(net->forwards[i].host, f->host))
			return fail(m, n, "duplicate forward %s %s", proto[0] ? proto : "tcp",
				    f->host);
	net->nforwards++;
	return 0;
}

static int parse_lease(struct mctx *m, const xmlNode *n, struct meta_net *net)
{
	static const char *const allowed[] = { "mac", "ip", NULL };
	char mac[32], ip[META_VALUE_MAX];
	struct meta_lease *l;
	int r;

	if (net->nleases >= META_LEASES_MAX)
		return fail(m, n, "more than %d leases", META_LEASES_MAX);
	l = &net->leases[net->nleases];
	r = check_node(m, n, allowed, false);
	if (!r)
		r = attr_required(m, n, "mac", mac, sizeof(mac));
	if (!r)
		r = attr_required(m, n, "ip", ip, sizeof(ip));
	if (r < 0)
		return r;
	if (meta_mac_parse(mac, l->mac) < 0 || (l->mac[0] & 1))
		return fail(m, n, "mac '%s' is not a unicast MAC address", mac);
	if (parse_ip4(ip, &l->ip) < 0)
		return fail(m, n, "ip '%s' is not an IPv4 address", ip);
	for (unsigned i = 0; i < net->nleases; i++) {
		if (!memcmp(net->leases[i].mac, l->mac, 6))
			return fail(m, n, "a second lease for %s", mac);
		if (net->leases[i].ip == l->ip)
			return fail(m, n, "a second lease of %s", ip);
	}
	net->nleases++;
	return 0;
}

static int parse_record(struct mctx *m, const xmlNode *n, struct meta_net *net, unsigned zone)
{
	static const char *const allowed[] = { "name", "regexp", "ip", "ipv6", NULL };
	struct meta_record *rec;
	struct in6_addr a6;
	uint32_t a4;
	int r, has_name, has_re;

	if (net->nrecords >= META_RECORDS_MAX)
		return fail(m, n, "more than %d DNS records", META_RECORDS_MAX);
	rec = &net->records[net->nrecords];
	rec->zone = zone;
	r = check_node(m, n, allowed, false);
	if (r < 0)
		return r;
	has_name = attr(m, n, "name", rec->name, sizeof(rec->name));
	has_re = attr(m, n, "regexp", rec->regexp, sizeof(rec->regexp));
	if (has_name < 0 || has_re < 0)
		return -EINVAL;
	if (has_name == has_re)
		return fail(m, n, "needs exactly one of name and regexp");
	if (has_name && (!dns_name_ok(rec->name) || strchr(rec->name, '.')))
		return fail(m, n, "name '%s' must be one DNS label", rec->name);
	if (has_re && !rec->regexp[0])
		return fail(m, n, "regexp is empty");
	if (attr(m, n, "ip", rec->ip, sizeof(rec->ip)) < 0 ||
	    attr(m, n, "ipv6", rec->ipv6, sizeof(rec->ipv6)) < 0)
		return fail(m, n, "ip/ipv6 is not an address");
	if (!rec->ip[0] && !rec->ipv6[0])
		return fail(m, n, "needs ip or ipv6");
	if (rec->ip[0] && parse_ip4(rec->ip, &a4) < 0)
		return fail(m, n, "ip '%s' is not an IPv4 address", rec->ip);
	if (rec->ipv6[0] && inet_pton(AF_INET6, rec->ipv6, &a6) != 1)
		return fail(m, n, "ipv6 '%s' is not an IPv6 address", rec->ipv6);
	net->nrecords++;
	return 0;
}

static int parse_dns(struct mctx *m, const xmlNode *n, struct meta_net *net)
{
	static const char *const allowed[] = { "zone", "default", NULL };
	struct meta_zone *z;
	uint32_t a4;
	int r;

	if (net->nzones >= META_ZONES_MAX)
		return fail(m, n, "more than %d zones", META_ZONES_MAX);
	z = &net->zones[net->nzones];
	r = check_node(m, n, allowed, true);
	if (!r)
		r = attr_required(m, n, "zone", z->name, sizeof(z->name));
	if (!r && attr(m, n, "default", z->default_ip, sizeof(z->default_ip)) < 0)
		r = fail(m, n, "default must be an IPv4 address");
	if (r < 0)
		return r;
	if (!dns_name_ok(z->name))
		return fail(m, n, "zone '%s' is not a DNS name", z->name);
	if (z->default_ip[0] && parse_ip4(z->default_ip, &a4) < 0)
		return fail(m, n, "default '%s' is not an IPv4 address", z->default_ip);
	for (unsigned i = 0; i < net->nzones; i++)
		if (!strcasecmp(net->zones[i].name, z->name))
			return fail(m, n, "zone %s given twice", z->name);
	for (const xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (!is_ours(c, "record"))
			return fail(m, c, "unknown element inside <vgate:dns> (only record)");
		r = parse_record(m, c, net, net->nzones);
		if (r < 0)
			return r;
	}
	net->nzones++;
	return 0;
}

/* <vgate:search domain=>, <vgate:upstream server=>, <vgate:virtual-ip ip=>. */
static int parse_listed(struct mctx *m, const xmlNode *n, const char *attrname, char *slot,
			size_t slotlen, unsigned *count)
{
	const char *allowed[] = { attrname, NULL };
	int r;

	if (*count >= META_LIST_MAX)
		return fail(m, n, "more than %d of these", META_LIST_MAX);
	r = check_node(m, n, allowed, false);
	if (!r)
		r = attr_required(m, n, attrname, slot, slotlen);
	if (r < 0)
		return r;
	(*count)++;
	return 0;
}

static int parse_nat(struct mctx *m, const xmlNode *n, struct meta_net *net)
{
	static const char *const allowed[] = { "virtual", "real", NULL };
	char v[META_VALUE_MAX], re[META_VALUE_MAX];
	int r;

	if (net->nnat >= META_LIST_MAX)
		return fail(m, n, "more than %d NAT entries", META_LIST_MAX);
	r = check_node(m, n, allowed, false);
	if (!r)
		r = attr_required(m, n, "virtual", v, sizeof(v));
	if (!r)
		r = attr_required(m, n, "real", re, sizeof(re));
	if (r < 0)
		return r;
	if (parse_ip4(v, &net->nat_virtual[net->nnat]) < 0)
		return fail(m, n, "virtual '%s' is not an IPv4 address", v);
	if (parse_ip4(re, &net->nat_real[net->nnat]) < 0)
		return fail(m, n, "real '%s' is not an IPv4 address", re);
	for (unsigned i = 0; i < net->nnat; i++)
		if (net->nat_virtual[i] == net->nat_virtual[net->nnat])
			return fail(m, n, "virtual %s given twice", v);
	net->nnat++;
	return 0;
}

static int parse_egress(struct mctx *m, const xmlNode *n, struct meta_net *net)
{
	static const char *const allowed[] = { "allow", "deny", NULL };
	char a[64], d[64];
	int ra, rd;

	ra = check_node(m, n, allowed, false);
	if (ra < 0)
		return ra;
	ra = attr(m, n, "allow", a, sizeof(a));
	rd = attr(m, n, "deny", d, sizeof(d));
	if (ra < 0 || rd < 0)
		return -EINVAL;
	if (ra == rd)
		return fail(m, n, "needs exactly one of allow and deny");
	if (parse_cidr_port(ra ? a : d) < 0)
		return fail(m, n, "'%s' must be CIDR[:PORT], e.g. 10.0.0.0/8 or 0.0.0.0/0:25",
			    ra ? a : d);
	if ((ra ? net->nallow : net->ndeny) >= META_LIST_MAX)
		return fail(m, n, "more than %d %s rules", META_LIST_MAX, ra ? "allow" : "deny");
	if (ra)
		snprintf(net->egress_allow[net->nallow++], sizeof(net->egress_allow[0]), "%s", a);
	else
		snprintf(net->egress_deny[net->ndeny++], sizeof(net->egress_deny[0]), "%s", d);
	return 0;
}

static int parse_child(struct mctx *m, const xmlNode *c, struct meta_net *net)
{
	const char *name = (const char *)c->name;
	int r;

	if (!strcmp(name, "forward"))
		return parse_forward(m, c, net);
	if (!strcmp(name, "lease"))
		return parse_lease(m, c, net);
	if (!strcmp(name, "dns"))
		return parse_dns(m, c, net);
	if (!strcmp(name, "nat"))
		return parse_nat(m, c, net);
	if (!strcmp(name, "egress"))
		return parse_egress(m, c, net);
	if (!strcmp(name, "search")) {
		r = parse_listed(m, c, "domain", net->search[net->nsearch], sizeof(net->search[0]),
				 &net->nsearch);
		if (!r && !dns_name_ok(net->search[net->nsearch - 1]))
			return fail(m, c, "'%s' is not a DNS name", net->search[net->nsearch - 1]);
		return r;
	}
	if (!strcmp(name, "upstream")) {
		r = parse_listed(m, c, "server", net->upstream[net->nupstream],
				 sizeof(net->upstream[0]), &net->nupstream);
		if (!r && parse_hostport(net->upstream[net->nupstream - 1], false) < 0)
			return fail(m, c, "server '%s' must be ADDR or ADDR:PORT",
				    net->upstream[net->nupstream - 1]);
		return r;
	}
	if (!strcmp(name, "virtual-ip")) {
		uint32_t ip;

		r = parse_listed(m, c, "ip", net->vips[net->nvips], sizeof(net->vips[0]),
				 &net->nvips);
		if (!r && parse_ip4(net->vips[net->nvips - 1], &ip) < 0)
			return fail(m, c, "'%s' is not an IPv4 address", net->vips[net->nvips - 1]);
		return r;
	}
	return fail(m, c, "unknown element (see the schema, libvirt-hook/vgate.rng)");
}

static int parse_net_attrs(struct mctx *m, const xmlNode *n, struct meta_net *net)
{
	static const char *const allowed[] = { "name",
					       "id",
					       "port",
					       "subnet",
					       "gateway",
					       "gateway-mac",
					       "guest-ip",
					       "host-ip",
					       "mtu",
					       "lease-time",
					       "domain",
					       "host-loopback",
					       "link-local",
					       "guest-api",
					       "guest-api-token",
					       "tcp-connect-timeout",
					       "udp-idle-timeout",
					       "debug",
					       NULL };
	char v[META_VALUE_MAX];
	unsigned port = 0;
	int r;

	r = check_node(m, n, allowed, true);
	if (r < 0)
		return r;
	if (attr(m, n, "name", net->name, sizeof(net->name)) < 0 ||
	    attr(m, n, "id", net->id, sizeof(net->id)) < 0)
		return fail(m, n, "name and id are at most %d characters", META_ID_MAX);
	if (net->name[0] && !id_ok(net->name))
		return fail(m, n, "name '%s': letters, digits, '_', '-', '.' (not first) only",
			    net->name);
	if (net->id[0] && !id_ok(net->id))
		return fail(m, n, "id '%s': letters, digits, '_', '-', '.' (not first) only",
			    net->id);
	if (net->name[0] && net->id[0])
		return fail(m, n, "a shared network (name) takes no id");
	if (attr_num(m, n, "port", 1, 65535, &port) < 0)
		return -EINVAL;
	net->port = (uint16_t)port;
	r = attr(m, n, "subnet", v, sizeof(v));
	if (r < 0)
		return r;
	if (r) {
		if (parse_subnet(v, &net->subnet, &net->prefix) < 0)
			return fail(m, n, "subnet '%s' must be an IPv4 CIDR from /16 to /30", v);
		net->subnet_set = true;
	}
	if (attr_ip4(m, n, "gateway", &net->gateway_ip, NULL) < 0 ||
	    attr_ip4(m, n, "guest-ip", &net->guest_ip, &net->guest_ip_set) < 0 ||
	    attr_ip4(m, n, "host-ip", &net->host_ip, NULL) < 0)
		return -EINVAL;
	r = attr(m, n, "gateway-mac", v, sizeof(v));
	if (r < 0)
		return r;
	if (r) {
		if (meta_mac_parse(v, net->gateway_mac) < 0 || (net->gateway_mac[0] & 1))
			return fail(m, n, "gateway-mac '%s' is not a unicast MAC address", v);
		net->gateway_mac_set = true;
	}
	if (attr_num(m, n, "mtu", 576, 65520, &net->mtu) < 0 ||
	    attr_num(m, n, "lease-time", 60, 31536000, &net->lease_time) < 0 ||
	    attr_num(m, n, "tcp-connect-timeout", 1, 600, &net->tcp_connect_timeout) < 0 ||
	    attr_num(m, n, "udp-idle-timeout", 1, 86400, &net->udp_idle_timeout) < 0)
		return -EINVAL;
	r = attr(m, n, "domain", net->dhcp_domain, sizeof(net->dhcp_domain));
	if (r < 0)
		return r;
	if (r && !dns_name_ok(net->dhcp_domain))
		return fail(m, n, "domain '%s' is not a DNS name", net->dhcp_domain);
	if (attr_yesno(m, n, "host-loopback", &net->host_loopback) < 0 ||
	    attr_yesno(m, n, "link-local", &net->link_local) < 0 ||
	    attr_yesno(m, n, "guest-api", &net->guest_api) < 0 ||
	    attr_yesno(m, n, "debug", &net->debug) < 0)
		return -EINVAL;
	r = attr(m, n, "guest-api-token", net->guest_api_token, sizeof(net->guest_api_token));
	if (r < 0)
		return r;
	if (r && !path_ok(net->guest_api_token))
		return fail(m, n, "guest-api-token must be an absolute file path");
	if (r && net->guest_api == META_NO)
		return fail(m, n, "guest-api='no' and a guest-api-token contradict each other");
	if (net->name[0] && net->guest_ip_set)
		return fail(m, n,
			    "a shared network takes no guest-ip: give each member's NIC a "
			    "<vgate:lease>");
	return 0;
}

/* Fill in the defaults and check every address against the subnet. */
static int check_addresses(struct mctx *m, const xmlNode *n, struct meta_net *net)
{
	char a[INET_ADDRSTRLEN];

	if (!net->subnet_set)
		parse_subnet("192.168.127.0/24", &net->subnet, &net->prefix);
	if (!net->gateway_ip)
		net->gateway_ip = subnet_host(net, 1);
	if (!net->guest_ip)
		net->guest_ip = subnet_host(net, 2);
	if (!net->host_ip)
		net->host_ip = subnet_host(net, host_bits(net) - 1);
	{
		const struct {
			const char *what;
			uint32_t ip;
		} addrs[] = { { "gateway", net->gateway_ip },
			      { "guest-ip", net->guest_ip },
			      { "host-ip", net->host_ip } };

		for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
			if (!in_subnet(net, addrs[i].ip)) {
				inet_ntop(AF_INET, &addrs[i].ip, a, sizeof(a));
				return fail(m, n, "%s %s is not a host address of the subnet",
					    addrs[i].what, a);
			}
		}
	}
	if (net->gateway_ip == net->host_ip || net->gateway_ip == net->guest_ip ||
	    net->guest_ip == net->host_ip)
		return fail(m, n, "gateway, guest-ip and host-ip must be three addresses");
	for (unsigned i = 0; i < net->nleases; i++) {
		uint32_t ip = net->leases[i].ip;

		inet_ntop(AF_INET, &ip, a, sizeof(a));
		if (!in_subnet(net, ip) || ip == net->gateway_ip || ip == net->host_ip)
			return fail(m, n, "lease %s is not a free host address of the subnet", a);
	}
	for (unsigned i = 0; i < net->nforwards; i++) {
		uint32_t ip = 0;

		if (!net->forwards[i].guest_ip[0])
			continue;
		parse_ip4(net->forwards[i].guest_ip, &ip);
		if (!in_subnet(net, ip) || ip == net->gateway_ip || ip == net->host_ip)
			return fail(m, n, "forward to %s: not a guest address of the subnet",
				    net->forwards[i].guest_ip);
	}
	for (unsigned i = 0; i < net->nvips; i++) {
		uint32_t ip = 0;

		parse_ip4(net->vips[i], &ip);
		if (!in_subnet(net, ip) || ip == net->gateway_ip)
			return fail(m, n, "virtual-ip %s is not a host address of the subnet",
				    net->vips[i]);
	}
	return 0;
}

static int parse_net(struct mctx *m, const xmlNode *n, struct meta_domain *d)
{
	struct meta_net *net;
	int r;

	if (d->nnets >= META_NETS_MAX)
		return fail(m, n, "more than %d networks", META_NETS_MAX);
	net = &d->nets[d->nnets];
	r = parse_net_attrs(m, n, net);
	for (const xmlNode *c = n->children; !r && c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			r = parse_child(m, c, net);
	if (!r)
		r = check_addresses(m, n, net);
	if (r < 0)
		return r;
	d->nnets++;
	return 0;
}

/* Rules between the networks of one domain. */
static int check_nets(struct mctx *m, const struct meta_domain *d)
{
	unsigned unnamed = 0;

	for (unsigned i = 0; i < d->nnets; i++) {
		const struct meta_net *a = &d->nets[i];

		if (!a->name[0] && !a->id[0])
			unnamed++;
		for (unsigned j = 0; j < i; j++) {
			const struct meta_net *b = &d->nets[j];

			if (a->name[0] && !strcmp(a->name, b->name))
				return fail(m, NULL, "network %s is declared twice", a->name);
			if (a->id[0] && !strcmp(a->id, b->id))
				return fail(m, NULL, "two networks have id %s", a->id);
			if (a->port && a->port == b->port)
				return fail(m, NULL, "two networks listen on port %u", a->port);
			for (unsigned x = 0; x < a->nforwards; x++)
				for (unsigned y = 0; y < b->nforwards; y++)
					if (a->forwards[x].proto == b->forwards[y].proto &&
					    !strcmp(a->forwards[x].host, b->forwards[y].host))
						return fail(m, NULL,
							    "two networks forward the same host %s",
							    a->forwards[x].host);
		}
	}
	if (unnamed > 1)
		return fail(m, NULL,
			    "several networks of the domain's own: give all but the first "
			    "an id");
	if (d->nnets > 1 && !d->nets[0].name[0] && d->nets[0].id[0] && unnamed)
		return fail(m, NULL, "the network without an id must come first");
	return 0;
}

static int parse_vgate_element(struct mctx *m, const xmlNode *root, struct meta_domain *d)
{
	static const char *const none[] = { NULL };
	int r;

	d->has_vgate = true;
	if (is_ours(root, "network"))
		r = parse_net(m, root, d);
	else if (is_ours(root, "networks")) {
		r = check_node(m, root, none, true);
		for (const xmlNode *c = root->children; !r && c; c = c->next) {
			if (c->type != XML_ELEMENT_NODE)
				continue;
			if (!is_ours(c, "network"))
				return fail(m, c,
					    "only <vgate:network> may stand in <vgate:networks>");
			r = parse_net(m, c, d);
		}
		if (!r && d->nnets == 0)
			r = fail(m, root, "holds no <vgate:network>");
	} else {
		return fail(m, root,
			    "the metadata element must be <vgate:network> or "
			    "<vgate:networks>");
	}
	return r < 0 ? r : check_nets(m, d);
}

/* --- the document ------------------------------------------------------------------- */

static int read_doc(struct mctx *m, const char *xml, size_t len, xmlDocPtr *out)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;

	if (len > META_XML_MAX) {
		fail(m, NULL, "the XML document is larger than %u bytes", META_XML_MAX);
		return -E2BIG;
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt)
		return -ENOMEM;
	/* No XML_PARSE_NOENT, DTDLOAD, DTDATTR or XINCLUDE: nothing is expanded or fetched. */
	doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "domain.xml", NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlCtxtGetLastError(ctxt);
		char msg[256] = "";

		if (e && e->message) {
			snprintf(msg, sizeof(msg), "%s", e->message);
			msg[strcspn(msg, "\n")] = '\0';
		}
		fail(m, NULL, "not well-formed XML (line %d: %s)", e ? e->line : 0,
		     msg[0] ? msg : "?");
		xmlFreeParserCtxt(ctxt);
		return -EINVAL;
	}
	xmlFreeParserCtxt(ctxt);
	if (doc->intSubset || doc->extSubset) {
		xmlFreeDoc(doc);
		return fail(m, NULL, "a DOCTYPE (DTD, entity declarations) is not allowed");
	}
	*out = doc;
	return 0;
}

/* Evaluate @expr; Return: the node set (maybe empty) or NULL on error. */
static xmlXPathObjectPtr xpath(xmlXPathContextPtr x, const char *expr)
{
	return xmlXPathEvalExpression((const xmlChar *)expr, x);
}

static unsigned nodes_count(xmlXPathObjectPtr o)
{
	return o && o->nodesetval ? (unsigned)o->nodesetval->nodeNr : 0;
}

static int xpath_string(xmlXPathContextPtr x, const char *expr, char *out, size_t n)
{
	xmlXPathObjectPtr o = xpath(x, expr);
	int r = 0;

	out[0] = '\0';
	if (!o)
		return -ENOMEM;
	if (o->type == XPATH_STRING && o->stringval) {
		if (strlen((const char *)o->stringval) >= n)
			r = -ENAMETOOLONG;
		else
			snprintf(out, n, "%s", (const char *)o->stringval);
	}
	xmlXPathFreeObject(o);
	return r;
}

static struct meta_nic *nic_new(struct mctx *m, struct meta_domain *d)
{
	if (d->nnics >= META_NICS_MAX) {
		fail(m, NULL, "more than %d NICs wired to vgate", META_NICS_MAX);
		return NULL;
	}
	return memset(&d->nics[d->nnics++], 0, sizeof(d->nics[0]));
}

/* <interface type='client'><source address='127.0.0.1' port='N'/><mac address=/> */
static int parse_client_ifaces(struct mctx *m, xmlXPathContextPtr x, struct meta_domain *d)
{
	xmlXPathObjectPtr o = xpath(x, "/domain/devices/interface[@type='client']");
	int r = 0;

	if (!o)
		return -ENOMEM;
	for (unsigned i = 0; !r && i < nodes_count(o); i++) {
		char addr[64], port[16], mac[32], alias[64];
		struct meta_nic *nic;
		uint16_t p;

		x->node = o->nodesetval->nodeTab[i];
		if (xpath_string(x, "string(source/@address)", addr, sizeof(addr)) < 0 ||
		    xpath_string(x, "string(source/@port)", port, sizeof(port)) < 0 ||
		    xpath_string(x, "string(mac/@address)", mac, sizeof(mac)) < 0 ||
		    xpath_string(x, "string(alias/@name)", alias, sizeof(alias)) < 0)
			continue; /* not one of ours: values we would not use */
		if (strcmp(addr, "127.0.0.1") != 0 || parse_port(port, &p) < 0)
			continue;
		nic = nic_new(m, d);
		if (!nic) {
			r = -EINVAL;
			break;
		}
		nic->kind = META_NIC_TCP;
		nic->port = p;
		snprintf(nic->id, sizeof(nic->id), "%s", alias);
		nic->has_mac = mac[0] && meta_mac_parse(mac, nic->mac) == 0;
	}
	xmlXPathFreeObject(o);
	return r;
}

/* The NIC whose netdev id is @id, or NULL. */
static struct meta_nic *nic_by_id(struct meta_domain *d, const char *id)
{
	for (unsigned i = 0; i < d->nnics; i++)
		if (d->nics[i].kind == META_NIC_STREAM && !strcmp(d->nics[i].id, id))
			return &d->nics[i];
	return NULL;
}

static int qemu_netdev(struct mctx *m, struct meta_domain *d, const char *spec)
{
	char type[32], atype[32], server[16];
	struct meta_nic *nic;

	if (meta_qemu_opts_get(spec, "type", type, sizeof(type)) < 0 || strcmp(type, "stream") != 0)
		return 0;
	if (meta_qemu_opts_get(spec, "addr.type", atype, sizeof(atype)) < 0 ||
	    strcmp(atype, "unix") != 0)
		return 0;
	nic = nic_new(m, d);
	if (!nic)
		return -EINVAL;
	nic->kind = META_NIC_STREAM;
	if (meta_qemu_opts_get(spec, "id", nic->id, sizeof(nic->id)) < 0)
		nic->id[0] = '\0';
	if (meta_qemu_opts_get(spec, "addr.path", nic->path, sizeof(nic->path)) < 0)
		return fail(m, NULL, "-netdev %s: no usable addr.path", spec);
	if (meta_qemu_opts_get(spec, "server", server, sizeof(server)) == 0)
		nic->server =
			!strcmp(server, "on") || !strcmp(server, "true") || !strcmp(server, "yes");
	return 0;
}

static int qemu_device(struct mctx *m, struct meta_domain *d, const char *spec)
{
	char netdev[64], mac[32];
	struct meta_nic *nic;

	if (meta_qemu_opts_get(spec, "netdev", netdev, sizeof(netdev)) < 0)
		return 0;
	nic = nic_by_id(d, netdev);
	if (!nic || meta_qemu_opts_get(spec, "mac", mac, sizeof(mac)) < 0)
		return 0;
	if (meta_mac_parse(mac, nic->mac) < 0)
		return fail(m, NULL, "-device %s: mac '%s' is not a MAC address", spec, mac);
	nic->has_mac = true;
	return 0;
}

/* <qemu:commandline><qemu:arg value='-netdev'/><qemu:arg value='stream,...'/>... */
static int parse_qemu_args(struct mctx *m, xmlXPathContextPtr x, struct meta_domain *d)
{
	xmlXPathObjectPtr o;
	unsigned n;
	int r = 0;

	x->node = NULL;
	o = xpath(x, "/domain/q:commandline/q:arg/@value");
	if (!o)
		return -ENOMEM;
	n = nodes_count(o);
	/* Two passes: every -netdev first, so a -device before its -netdev is found. */
	for (int pass = 0; pass < 2 && !r; pass++) {
		for (unsigned i = 0; i + 1 < n && !r; i++) {
			xmlChar *opt = xmlNodeGetContent(o->nodesetval->nodeTab[i]);
			xmlChar *val = xmlNodeGetContent(o->nodesetval->nodeTab[i + 1]);

			if (opt && val && !strcmp((const char *)opt, pass ? "-device" : "-netdev"))
				r = pass ? qemu_device(m, d, (const char *)val)
					 : qemu_netdev(m, d, (const char *)val);
			xmlFree(opt);
			xmlFree(val);
		}
	}
	xmlXPathFreeObject(o);
	return r;
}

static int parse_domain(struct mctx *m, xmlDocPtr doc, struct meta_domain *d)
{
	xmlXPathContextPtr x = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o = NULL;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	int r;

	if (!x)
		return -ENOMEM;
	if (!root || strcmp((const char *)root->name, "domain") != 0 || root->ns) {
		r = fail(m, NULL, "the document is not a libvirt <domain>");
		goto out;
	}
	if (xmlXPathRegisterNs(x, (const xmlChar *)"v", (const xmlChar *)META_NS) ||
	    xmlXPathRegisterNs(x, (const xmlChar *)"q", (const xmlChar *)META_QEMU_NS)) {
		r = -ENOMEM;
		goto out;
	}
	r = xpath_string(x, "string(/domain/name)", d->name, sizeof(d->name));
	if (r == -ENAMETOOLONG)
		r = fail(m, NULL, "the domain name is longer than %d bytes", META_DOMAIN_NAME_MAX);
	if (r < 0)
		goto out;
	r = xpath_string(x, "string(/domain/seclabel[@model='dac']/label)", d->dac_label,
			 sizeof(d->dac_label));
	if (r < 0)
		d->dac_label[0] = '\0';
	o = xpath(x, "/domain/metadata/v:*");
	if (!o) {
		r = -ENOMEM;
		goto out;
	}
	if (nodes_count(o) > 1) {
		r = fail(m, NULL,
			 "<metadata> holds %u elements in namespace %s; libvirt allows "
			 "one (use <vgate:networks> for several networks)",
			 nodes_count(o), META_NS);
		goto out;
	}
	r = parse_client_ifaces(m, x, d);
	if (!r)
		r = parse_qemu_args(m, x, d);
	if (!r && nodes_count(o) == 1)
		r = parse_vgate_element(m, o->nodesetval->nodeTab[0], d);
out:
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(x);
	return r;
}

int meta_parse(const char *xml, size_t len, struct meta_domain *d, char *err, size_t errlen)
{
	struct mctx m = { err, errlen };
	xmlDocPtr doc = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	err[0] = '\0';
	r = read_doc(&m, xml, len, &doc);
	if (r < 0)
		return r;
	r = parse_domain(&m, doc, d);
	xmlFreeDoc(doc);
	return r;
}

int meta_parse_element(const char *xml, size_t len, struct meta_domain *d, char *err, size_t errlen)
{
	struct mctx m = { err, errlen };
	xmlDocPtr doc = NULL;
	int r;

	memset(d, 0, sizeof(*d));
	err[0] = '\0';
	r = read_doc(&m, xml, len, &doc);
	if (r < 0)
		return r;
	r = parse_vgate_element(&m, xmlDocGetRootElement(doc), d);
	xmlFreeDoc(doc);
	return r;
}
