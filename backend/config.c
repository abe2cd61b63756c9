// SPDX-License-Identifier: MIT
/*
 * config.c - defaults, the JSON file and flags, merged into one config
 *
 * The JSON file is read whole (at most CONFIG_FILE_MAX bytes) and parsed
 * with yajl's tree API; every key is type-checked and an error names the
 * key. Flags are applied afterwards so a command line can override a file.
 * Derived facts are checked last: every address must lie inside the subnet
 * (the host alias and virtual IPs included) and be distinct from the
 * gateway.
 */
#include "config.h"

#include "json_depth.h"

#include "log.h"
#include "netns.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#define COMP "config"

static const uint8_t default_gateway_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xdd };
static const uint8_t default_device_mac[6] = { 0x5a, 0x94, 0xef, 0xe4, 0x0c, 0xee };

static int parse_ip4(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = a.s_addr;
	return 0;
}

static uint32_t host_n(uint32_t net_order)
{
	return ntohl(net_order);
}

static int parse_subnet(const char *s, uint32_t *net, unsigned *prefix)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	unsigned long pfx;
	uint32_t ip, mask;

	if (!slash || (size_t)(slash - s) >= sizeof(buf) || parse_uint(slash + 1, 16, 30, &pfx) < 0)
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = '\0';
	if (parse_ip4(buf, &ip) < 0)
		return -EINVAL;
	mask = htonl(~0u << (32 - pfx));
	*net = ip & mask;
	*prefix = (unsigned)pfx;
	return 0;
}

int config_parse_hostport(const char *s, uint16_t port, struct sockaddr_storage *sa)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa;
	char host[INET6_ADDRSTRLEN + 2];
	const char *p = NULL;
	unsigned long v;
	size_t n;

	memset(sa, 0, sizeof(*sa));
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close)
			return -EINVAL;
		n = (size_t)(close - s - 1);
		if (close[1] == ':')
			p = close + 2;
		else if (close[1])
			return -EINVAL;
		s++;
	} else if (strchr(s, ':') == strrchr(s, ':') && strchr(s, ':')) {
		p = strchr(s, ':') + 1;
		n = (size_t)(p - s - 1);
	} else {
		n = strlen(s); /* bare IPv4, or bare IPv6 */
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, n);
	host[n] = '\0';
	if (p) {
		if (parse_uint(p, 1, 65535, &v) < 0)
			return -EINVAL;
		port = (uint16_t)v;
	}
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}

static bool has_static_mac(const struct vgate_config *c, const uint8_t mac[6])
{
	for (unsigned i = 0; i < c->nstatic; i++)
		if (!memcmp(c->static_leases[i].mac, mac, 6))
			return true;
	return false;
}

static int add_static(struct vgate_config *c, const uint8_t mac[6], uint32_t ip)
{
	for (unsigned i = 0; i < c->nstatic; i++) {
		if (!memcmp(c->static_leases[i].mac, mac, 6)) {
			c->static_leases[i].ip = ip;
			return 0;
		}
	}
	if (c->nstatic >= CONFIG_STATIC_LEASES_MAX)
		return -ENOSPC;
	if (!c->static_leases) {
		c->static_leases = calloc(CONFIG_STATIC_LEASES_MAX, sizeof(*c->static_leases));
		if (!c->static_leases)
			return -ENOMEM;
	}
	memcpy(c->static_leases[c->nstatic].mac, mac, 6);
	c->static_leases[c->nstatic].ip = ip;
	c->nstatic++;
	return 0;
}

static int add_search(struct vgate_config *c, const char *name)
{
	if (c->nsearch >= DHCP_SEARCH_MAX || strlen(name) >= CONFIG_NAME_MAX || !*name)
		return -EINVAL;
	snprintf(c->search[c->nsearch++], CONFIG_NAME_MAX, "%s", name);
	c->search_set = true;
	return 0;
}

static int add_upstream(struct vgate_config *c, const char *s)
{
	if (c->nupstreams >= CONFIG_UPSTREAMS_MAX)
		return -ENOSPC;
	if (config_parse_hostport(s, 53, &c->upstreams[c->nupstreams]) < 0)
		return -EINVAL;
	c->nupstreams++;
	return 0;
}

static void set_defaults(struct vgate_config *c)
{
	memset(c, 0, sizeof(*c));
	parse_subnet("192.168.127.0/24", &c->subnet, &c->prefix);
	parse_ip4("192.168.127.1", &c->gateway_ip);
	parse_ip4("192.168.127.2", &c->device_ip);
	parse_ip4("192.168.127.254", &c->host_ip);
	memcpy(c->gateway_mac, default_gateway_mac, 6);
	memcpy(c->device_mac, default_device_mac, 6);
	c->mtu = 1500;
	c->lease_secs = 3600;
	c->tcp_connect_timeout_ms = 30000;
	c->udp_idle_ms = 90000;
	dns_zones_init(&c->zones);
}

/* The default zones name the gateway and the host alias. */
static int add_default_zones(struct vgate_config *c)
{
	static const char *const zones[] = { "containers.internal.", "docker.internal." };
	struct in_addr gw = { c->gateway_ip }, host = { c->host_ip };
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(zones) && !r; i++) {
		r = dns_zone_add_record(&c->zones, zones[i], "gateway", NULL, &gw, NULL);
		if (!r && c->host_ip)
			r = dns_zone_add_record(&c->zones, zones[i], "host", NULL, &host, NULL);
	}
	return r;
}

/* --- JSON ----------------------------------------------------------------- */

#define JERR(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		return -EINVAL;                     \
	} while (0)

static int json_zone(struct vgate_config *c, yajl_val z, char *err, size_t errlen)
{
	const char *name_path[] = { "Name", NULL }, *rec_path[] = { "Records", NULL },
		   *def_path[] = { "DefaultIP", NULL };
	const char *zname = YAJL_GET_STRING(yajl_tree_get(z, name_path, yajl_t_string));
	yajl_val recs = yajl_tree_get(z, rec_path, yajl_t_any);
	yajl_val def = yajl_tree_get(z, def_path, yajl_t_any);

	if (!YAJL_IS_OBJECT(z) || !zname || !*zname)
		JERR("dns: every zone needs a \"Name\"");
	if (def && !YAJL_IS_NULL(def)) {
		const char *d = YAJL_GET_STRING(def);
		struct in_addr a;

		if (!d)
			JERR("dns zone %s: \"DefaultIP\" must be a string", zname);
		if (*d) {
			if (inet_pton(AF_INET, d, &a) != 1)
				JERR("dns zone %s: bad DefaultIP %s", zname, d);
			if (dns_zone_set_default(&c->zones, zname, &a) < 0)
				JERR("dns zone %s: cannot add", zname);
		}
	}
	if (recs && !YAJL_IS_NULL(recs)) {
		if (!YAJL_IS_ARRAY(recs))
			JERR("dns zone %s: \"Records\" must be a list", zname);
		for (size_t i = 0; i < recs->u.array.len; i++) {
			yajl_val r = recs->u.array.values[i];
			const char *np[] = { "Name", NULL }, *ip[] = { "IP", NULL },
				   *i6[] = { "IPv6", NULL }, *rp[] = { "Regexp", NULL };
			const char *label = YAJL_GET_STRING(yajl_tree_get(r, np, yajl_t_string));
			const char *a4 = YAJL_GET_STRING(yajl_tree_get(r, ip, yajl_t_string));
			const char *a6 = YAJL_GET_STRING(yajl_tree_get(r, i6, yajl_t_string));
			const char *re = YAJL_GET_STRING(yajl_tree_get(r, rp, yajl_t_string));
			struct in_addr v4;
			struct in6_addr v6;

			if (!YAJL_IS_OBJECT(r))
				JERR("dns zone %s: record %zu is not an object", zname, i);
			for (size_t k = 0; k < r->u.object.len; k++) {
				const char *key = r->u.object.keys[k];

				if (strcmp(key, "Name") != 0 && strcmp(key, "IP") != 0 &&
				    strcmp(key, "IPv6") != 0 && strcmp(key, "Regexp") != 0)
					JERR("dns zone %s: unknown record key \"%s\"", zname, key);
				if (!YAJL_IS_STRING(r->u.object.values[k]))
					JERR("dns zone %s: record key \"%s\" must be a string",
					     zname, key);
			}
			if (a4 && *a4 && inet_pton(AF_INET, a4, &v4) != 1)
				JERR("dns zone %s: bad IP %s", zname, a4);
			if (a6 && *a6 && inet_pton(AF_INET6, a6, &v6) != 1)
				JERR("dns zone %s: bad IPv6 %s", zname, a6);
			if (re && !*re)
				re = NULL;
			if (label && !*label)
				label = NULL;
			if (dns_zone_add_record(&c->zones, zname, re ? NULL : label, re,
						a4 && *a4 ? &v4 : NULL, a6 && *a6 ? &v6 : NULL) < 0)
				JERR("dns zone %s: bad record %zu (a valid Name or a compilable "
				     "Regexp, and an IP or IPv6, are needed)",
				     zname, i);
		}
	}
	return 0;
}

static int json_str(yajl_val v, const char *key, const char **out, char *err, size_t errlen)
{
	if (!YAJL_IS_STRING(v))
		JERR("\"%s\" must be a string", key);
	*out = YAJL_GET_STRING(v);
	return 0;
}

static int json_ip(yajl_val v, const char *key, uint32_t *ip, char *err, size_t errlen)
{
	const char *s;

	if (json_str(v, key, &s, err, errlen) < 0)
		return -EINVAL;
	if (parse_ip4(s, ip) < 0)
		JERR("\"%s\": %s is not an IPv4 address", key, s);
	return 0;
}

static int json_mac(yajl_val v, const char *key, uint8_t mac[6], char *err, size_t errlen)
{
	const char *s;

	if (json_str(v, key, &s, err, errlen) < 0)
		return -EINVAL;
	if (mac_parse(s, mac) < 0)
		JERR("\"%s\": %s is not a MAC address", key, s);
	return 0;
}

static int json_uint(yajl_val v, const char *key, long long min, long long max, long long *out,
		     char *err, size_t errlen)
{
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < min || YAJL_GET_INTEGER(v) > max)
		JERR("\"%s\" must be an integer from %lld to %lld", key, min, max);
	*out = YAJL_GET_INTEGER(v);
	return 0;
}

static int json_strings(yajl_val v, const char *key,
			int (*add)(struct vgate_config *, const char *), struct vgate_config *c,
			char *err, size_t errlen)
{
	if (!YAJL_IS_ARRAY(v))
		JERR("\"%s\" must be a list of strings", key);
	for (size_t i = 0; i < v->u.array.len; i++) {
		const char *s = YAJL_GET_STRING(v->u.array.values[i]);

		if (!s || add(c, s) < 0)
			JERR("\"%s\": bad or too many entries", key);
	}
	return 0;
}

static int add_rule(struct vgate_config *c, bool allow, const char *s)
{
	struct egress *e = &c->egress;
	struct egress_rule *list = allow ? e->allow : e->deny;
	unsigned *n = allow ? &e->nallow : &e->ndeny;

	if (!s || *n >= EGRESS_RULES_MAX || egress_rule_parse(s, &list[*n]) < 0)
		return -EINVAL;
	(*n)++;
	return 0;
}

static int add_vip(struct vgate_config *c, const char *s)
{
	uint32_t ip;

	if (c->nvips >= CONFIG_VIPS_MAX || parse_ip4(s, &ip) < 0)
		return -EINVAL;
	c->vips[c->nvips++] = ip;
	return 0;
}

static int add_forward(struct vgate_config *c, const char *proto, const char *local,
		       const char *remote, char *err, size_t errlen)
{
	struct config_forward *f;

	if (!local || !remote || !*local || !*remote)
		JERR("\"forwards\": each forward needs a local and a remote string");
	if (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0 && strcmp(proto, "unix") != 0)
		JERR("\"forwards\": unknown protocol \"%s\" (tcp, udp or unix)", proto);
	if (strlen(local) > CONFIG_FORWARD_STR_MAX || strlen(remote) > CONFIG_FORWARD_STR_MAX)
		JERR("\"forwards\": an address longer than %d bytes", CONFIG_FORWARD_STR_MAX);
	if (c->nforwards == CONFIG_FORWARDS_MAX)
		JERR("\"forwards\": more than %d forwards", CONFIG_FORWARDS_MAX);
	if (!c->forwards) {
		c->forwards = calloc(CONFIG_FORWARDS_MAX, sizeof(*c->forwards));
		if (!c->forwards)
			JERR("\"forwards\": out of memory");
	}
	f = &c->forwards[c->nforwards++];
	snprintf(f->proto, sizeof(f->proto), "%s", proto);
	snprintf(f->local, sizeof(f->local), "%s", local);
	snprintf(f->remote, sizeof(f->remote), "%s", remote);
	return 0;
}

/*
 * "forwards": gvproxy's map of TCP forwards {"LOCAL": "REMOTE"}, or a list
 * of {"local", "remote", "protocol"} objects (protocol defaults to tcp).
 * Checked here for shape only; forward_init() checks the addresses as the
 * expose route does and refuses to start on an error.
 */
static int json_forwards(struct vgate_config *c, yajl_val v, char *err, size_t errlen)
{
	if (YAJL_IS_OBJECT(v)) {
		for (size_t i = 0; i < v->u.object.len; i++)
			if (add_forward(c, "tcp", v->u.object.keys[i],
					YAJL_GET_STRING(v->u.object.values[i]), err, errlen) < 0)
				return -EINVAL;
		return 0;
	}
	if (!YAJL_IS_ARRAY(v))
		JERR("\"forwards\" must be an object of LOCAL: REMOTE or a list of objects");
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val o = v->u.array.values[i];
		const char *proto = "tcp", *local = NULL, *remote = NULL;

		if (!YAJL_IS_OBJECT(o))
			JERR("\"forwards\"[%zu] must be an object", i);
		for (size_t k = 0; k < o->u.object.len; k++) {
			const char *key = o->u.object.keys[k];
			const char *val = YAJL_GET_STRING(o->u.object.values[k]);

			if (!val)
				JERR("\"forwards\"[%zu].%s must be a string", i, key);
			if (!strcmp(key, "local"))
				local = val;
			else if (!strcmp(key, "remote"))
				remote = val;
			else if (!strcmp(key, "protocol"))
				proto = val;
			else
				JERR("\"forwards\"[%zu]: unknown key \"%s\"", i, key);
		}
		if (add_forward(c, proto, local, remote, err, errlen) < 0)
			return -EINVAL;
	}
	return 0;
}

static int json_key(struct vgate_config *c, const char *k, yajl_val v, char *err, size_t errlen)
{
	long long n;

	if (!strcmp(k, "subnet")) {
		const char *s;

		if (json_str(v, k, &s, err, errlen) < 0)
			return -EINVAL;
		if (parse_subnet(s, &c->subnet, &c->prefix) < 0)
			JERR("\"subnet\": %s is not an IPv4 CIDR from /16 to /30", s);
		return 0;
	}
	if (!strcmp(k, "gatewayIP"))
		return json_ip(v, k, &c->gateway_ip, err, errlen);
	if (!strcmp(k, "deviceIP"))
		return json_ip(v, k, &c->device_ip, err, errlen);
	if (!strcmp(k, "hostIP"))
		return json_ip(v, k, &c->host_ip, err, errlen);
	if (!strcmp(k, "gatewayMacAddress"))
		return json_mac(v, k, c->gateway_mac, err, errlen);
	if (!strcmp(k, "deviceMacAddress"))
		return json_mac(v, k, c->device_mac, err, errlen);
	if (!strcmp(k, "mtu")) {
		if (json_uint(v, k, 576, 65520, &n, err, errlen) < 0)
			return -EINVAL;
		c->mtu = (uint16_t)n;
		return 0;
	}
	if (!strcmp(k, "leaseTime")) {
		if (json_uint(v, k, 60, 31536000, &n, err, errlen) < 0)
			return -EINVAL;
		c->lease_secs = (uint32_t)n;
		return 0;
	}
	if (!strcmp(k, "gatewayVirtualIPs"))
		return json_strings(v, k, add_vip, c, err, errlen);
	if (!strcmp(k, "dnsSearchDomains"))
		return json_strings(v, k, add_search, c, err, errlen);
	if (!strcmp(k, "dnsUpstream"))
		return json_strings(v, k, add_upstream, c, err, errlen);
	if (!strcmp(k, "domain")) {
		const char *s;

		if (json_str(v, k, &s, err, errlen) < 0)
			return -EINVAL;
		if (strlen(s) >= sizeof(c->domain))
			JERR("\"domain\" too long");
		snprintf(c->domain, sizeof(c->domain), "%s", s);
		return 0;
	}
	if (!strcmp(k, "dhcpStaticLeases")) {
		if (!YAJL_IS_OBJECT(v))
			JERR("\"dhcpStaticLeases\" must be an object of IP: MAC");
		for (size_t i = 0; i < v->u.object.len; i++) {
			const char *ipstr = v->u.object.keys[i];
			const char *macstr = YAJL_GET_STRING(v->u.object.values[i]);
			uint8_t mac[6];
			uint32_t ip;

			if (parse_ip4(ipstr, &ip) < 0 || !macstr || mac_parse(macstr, mac) < 0)
				JERR("\"dhcpStaticLeases\": bad entry %s", ipstr);
			if (add_static(c, mac, ip) < 0)
				JERR("\"dhcpStaticLeases\": too many entries");
		}
		return 0;
	}
	if (!strcmp(k, "nat")) {
		if (!YAJL_IS_OBJECT(v))
			JERR("\"nat\" must be an object of VIRTUAL: REAL");
		egress_nat_clear(&c->egress);
		c->nat_set = true;
		for (size_t i = 0; i < v->u.object.len; i++) {
			const char *real = YAJL_GET_STRING(v->u.object.values[i]);
			uint32_t vi, re;

			if (parse_ip4(v->u.object.keys[i], &vi) < 0 || parse_ip4(real, &re) < 0)
				JERR("\"nat\": bad entry %s", v->u.object.keys[i]);
			if (egress_nat_add(&c->egress, vi, re) < 0)
				JERR("\"nat\": too many entries");
		}
		return 0;
	}
	if (!strcmp(k, "egressAllow") || !strcmp(k, "egressDeny")) {
		bool allow = k[6] == 'A';

		if (!YAJL_IS_ARRAY(v))
			JERR("\"%s\" must be a list of CIDR[:port]", k);
		for (size_t i = 0; i < v->u.array.len; i++) {
			const char *s = YAJL_GET_STRING(v->u.array.values[i]);

			if (add_rule(c, allow, s) < 0)
				JERR("\"%s\": bad or too many entries (%s)", k,
				     s ? s : "not a string");
		}
		return 0;
	}
	if (!strcmp(k, "ec2MetadataAccess")) {
		if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
			JERR("\"ec2MetadataAccess\" must be true or false");
		c->egress.allow_link_local = YAJL_IS_TRUE(v);
		return 0;
	}
	if (!strcmp(k, "tcpConnectTimeout")) {
		if (json_uint(v, k, 1, 600, &n, err, errlen) < 0)
			return -EINVAL;
		c->tcp_connect_timeout_ms = (uint32_t)n * 1000;
		return 0;
	}
	if (!strcmp(k, "udpIdleTimeout")) {
		if (json_uint(v, k, 1, 86400, &n, err, errlen) < 0)
			return -EINVAL;
		c->udp_idle_ms = (uint32_t)n * 1000;
		return 0;
	}
	if (!strcmp(k, "forwards"))
		return json_forwards(c, v, err, errlen);
	if (!strcmp(k, "dns")) {
		if (!YAJL_IS_ARRAY(v))
			JERR("\"dns\" must be a list of zones");
		for (size_t i = 0; i < v->u.array.len; i++)
			if (json_zone(c, v->u.array.values[i], err, errlen) < 0)
				return -EINVAL;
		return 0;
	}
	JERR("unknown key \"%s\"", k);
}

int config_load_json(struct vgate_config *c, const char *text, char *err, size_t errlen)
{
	yajl_val root;
	int r = 0;

	if (!json_nesting_ok(text, strlen(text), JSON_DEPTH_MAX)) {
		snprintf(err, errlen, "nested deeper than %d levels", JSON_DEPTH_MAX);
		return -EINVAL;
	}
	root = yajl_tree_parse(text, err, errlen);
	if (!root) {
		if (!*err)
			snprintf(err, errlen, "not valid JSON");
		return -EINVAL;
	}
	if (!YAJL_IS_OBJECT(root)) {
		snprintf(err, errlen, "the top level must be an object");
		r = -EINVAL;
	}
	for (size_t i = 0; !r && i < root->u.object.len; i++)
		r = json_key(c, root->u.object.keys[i], root->u.object.values[i], err, errlen);
	yajl_tree_free(root);
	return r;
}

/* Read @path whole (at most CONFIG_FILE_MAX bytes). Return: text to free, or NULL. */
static char *read_file(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	size_t got = 0;
	char *text;

	if (fd < 0 || fstat(fd, &st) < 0) {
		log_err(COMP, "-config %s: %s", path, strerror(errno));
		return NULL;
	}
	if (st.st_size > CONFIG_FILE_MAX) {
		log_err(COMP, "-config %s: larger than %d bytes", path, CONFIG_FILE_MAX);
		return NULL;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		return NULL;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, text + got, (size_t)st.st_size - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	text[got] = '\0';
	return text;
}

static int load_file(struct vgate_config *c, const char *path)
{
	char err[256] = "";
	char *text = read_file(path);
	int r;

	if (!text)
		return -EINVAL;
	r = config_load_json(c, text, err, sizeof(err));
	free(text);
	if (r < 0) {
		log_err(COMP, "-config %s: %s", path, err);
		return -EINVAL;
	}
	return 0;
}

/* --- flags ---------------------------------------------------------------- */

static int flag_record(struct vgate_config *c, const char *spec)
{
	char zone[CONFIG_NAME_MAX], label[CONFIG_NAME_MAX];
	const char *colon = strrchr(spec, ':'), *eq = strchr(spec, '=');
	struct in_addr a;

	if (!colon || !eq || eq < colon || (size_t)(colon - spec) >= sizeof(zone) ||
	    (size_t)(eq - colon - 1) >= sizeof(label))
		return -EINVAL;
	memcpy(zone, spec, (size_t)(colon - spec));
	zone[colon - spec] = '\0';
	memcpy(label, colon + 1, (size_t)(eq - colon - 1));
	label[eq - colon - 1] = '\0';
	if (inet_pton(AF_INET, eq + 1, &a) != 1)
		return -EINVAL;
	return dns_zone_add_record(&c->zones, zone, label, NULL, &a, NULL);
}

static int apply_flags(struct vgate_config *c, const struct vgate_options *o)
{
	if (o->subnet && parse_subnet(o->subnet, &c->subnet, &c->prefix) < 0) {
		log_err(COMP, "-subnet %s: not an IPv4 CIDR from /16 to /30", o->subnet);
		return -EINVAL;
	}
	if ((o->gateway_ip && parse_ip4(o->gateway_ip, &c->gateway_ip) < 0) ||
	    (o->device_ip && parse_ip4(o->device_ip, &c->device_ip) < 0) ||
	    (o->host_ip && parse_ip4(o->host_ip, &c->host_ip) < 0)) {
		log_err(COMP, "-gatewayIP/-deviceIP/-hostIP: not an IPv4 address");
		return -EINVAL;
	}
	if ((o->gateway_mac && mac_parse(o->gateway_mac, c->gateway_mac) < 0) ||
	    (o->device_mac && mac_parse(o->device_mac, c->device_mac) < 0)) {
		log_err(COMP, "--gateway-mac/--device-mac: not a MAC address");
		return -EINVAL;
	}
	if (o->mtu_set)
		c->mtu = (uint16_t)o->mtu;
	if (o->lease_time)
		c->lease_secs = (uint32_t)o->lease_time;
	for (unsigned i = 0; i < o->static_lease.n; i++) {
		const char *s = o->static_lease.v[i], *eq = strchr(s, '=');
		char mac[18];
		uint8_t m[6];
		uint32_t ip;

		if (!eq || eq - s != 17) {
			log_err(COMP, "--static-lease %s: expected MAC=IP", s);
			return -EINVAL;
		}
		memcpy(mac, s, 17);
		mac[17] = '\0';
		if (mac_parse(mac, m) < 0 || parse_ip4(eq + 1, &ip) < 0 ||
		    add_static(c, m, ip) < 0) {
			log_err(COMP, "--static-lease %s: expected MAC=IP", s);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < o->dns_record.n; i++) {
		if (flag_record(c, o->dns_record.v[i]) < 0) {
			log_err(COMP, "--dns-record %s: expected ZONE:LABEL=IPv4",
				o->dns_record.v[i]);
			return -EINVAL;
		}
	}
	if (o->search_domain.n) {
		c->nsearch = 0;
		for (unsigned i = 0; i < o->search_domain.n; i++) {
			if (add_search(c, o->search_domain.v[i]) < 0) {
				log_err(COMP, "--search-domain %s: bad or too many",
					o->search_domain.v[i]);
				return -EINVAL;
			}
		}
	}
	for (unsigned i = 0; i < o->nat.n; i++) {
		const char *s = o->nat.v[i], *eq = strchr(s, '=');
		char virt[INET_ADDRSTRLEN];
		uint32_t vi, re;

		if (!eq || (size_t)(eq - s) >= sizeof(virt)) {
			log_err(COMP, "--nat %s: expected VIRTUAL=REAL", s);
			return -EINVAL;
		}
		memcpy(virt, s, (size_t)(eq - s));
		virt[eq - s] = '\0';
		if (parse_ip4(virt, &vi) < 0 || parse_ip4(eq + 1, &re) < 0 ||
		    egress_nat_add(&c->egress, vi, re) < 0) {
			log_err(COMP, "--nat %s: expected VIRTUAL=REAL", s);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < o->egress_allow.n; i++) {
		if (add_rule(c, true, o->egress_allow.v[i]) < 0) {
			log_err(COMP, "--egress-allow %s: expected CIDR[:PORT]",
				o->egress_allow.v[i]);
			return -EINVAL;
		}
	}
	for (unsigned i = 0; i < o->egress_deny.n; i++) {
		if (add_rule(c, false, o->egress_deny.v[i]) < 0) {
			log_err(COMP, "--egress-deny %s: expected CIDR[:PORT]",
				o->egress_deny.v[i]);
			return -EINVAL;
		}
	}
	if (o->ec2_metadata_access)
		c->egress.allow_link_local = true;
	if (o->tcp_connect_timeout)
		c->tcp_connect_timeout_ms = (uint32_t)o->tcp_connect_timeout * 1000;
	if (o->udp_idle_timeout)
		c->udp_idle_ms = (uint32_t)o->udp_idle_timeout * 1000;
	if (o->dns_upstream.n) {
		c->nupstreams = 0;
		for (unsigned i = 0; i < o->dns_upstream.n; i++) {
			if (add_upstream(c, o->dns_upstream.v[i]) < 0) {
				log_err(COMP, "--dns-upstream %s: expected ADDR[:PORT]",
					o->dns_upstream.v[i]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* --- checks --------------------------------------------------------------- */

static bool in_subnet(const struct vgate_config *c, uint32_t ip)
{
	uint32_t h = host_n(ip), net = host_n(c->subnet);
	uint32_t hostmask = (1u << (32 - c->prefix)) - 1;

	return (h & ~hostmask) == net && (h & hostmask) != 0 && (h & hostmask) != hostmask;
}

bool config_is_gateway_addr(const struct vgate_config *c, uint32_t ip)
{
	if (ip == c->gateway_ip || (c->host_ip && ip == c->host_ip))
		return true;
	for (unsigned i = 0; i < c->nvips; i++)
		if (ip == c->vips[i])
			return true;
	return false;
}

static int check(struct vgate_config *c)
{
	char a[INET_ADDRSTRLEN];

	c->netmask = htonl(~0u << (32 - c->prefix));
	{
		const struct {
			const char *name;
			uint32_t ip;
		} addrs[] = { { "gatewayIP", c->gateway_ip },
			      { "deviceIP", c->device_ip },
			      { "hostIP", c->host_ip } };

		for (size_t i = 0; i < ARRAY_SIZE(addrs); i++) {
			if ((addrs[i].ip || i < 2) && !in_subnet(c, addrs[i].ip)) {
				char s[INET_ADDRSTRLEN], n[INET_ADDRSTRLEN];

				inet_ntop(AF_INET, &addrs[i].ip, s, sizeof(s));
				inet_ntop(AF_INET, &c->subnet, n, sizeof(n));
				log_err(COMP, "%s %s is not a host address of the subnet %s/%u",
					addrs[i].name, s, n, c->prefix);
				return -EINVAL;
			}
		}
	}
	for (unsigned i = 0; i < c->nvips; i++) {
		if (!in_subnet(c, c->vips[i]) || c->vips[i] == c->gateway_ip) {
			inet_ntop(AF_INET, &c->vips[i], a, sizeof(a));
			log_err(COMP,
				"virtual IP %s: must be a host of the subnet, not the gateway", a);
			return -EINVAL;
		}
	}
	if (c->host_ip == c->gateway_ip) {
		log_err(COMP, "the host alias cannot be the gateway's own address");
		return -EINVAL;
	}
	if (config_is_gateway_addr(c, c->device_ip)) {
		log_err(COMP, "the device address cannot be one of the gateway's");
		return -EINVAL;
	}
	for (unsigned i = 0; i < c->nstatic; i++) {
		if (!in_subnet(c, c->static_leases[i].ip) ||
		    config_is_gateway_addr(c, c->static_leases[i].ip)) {
			inet_ntop(AF_INET, &c->static_leases[i].ip, a, sizeof(a));
			log_err(COMP, "static lease %s: not a free host address of the subnet", a);
			return -EINVAL;
		}
	}
	return 0;
}

int config_build(struct vgate_config *c, const struct vgate_options *o)
{
	int r;

	set_defaults(c);
	if (o->config) {
		r = load_file(c, o->config);
		if (r < 0)
			return r;
	}
	r = apply_flags(c, o);
	if (r < 0)
		return r;
	/* The host alias reaches the host's loopback, as in gvproxy, unless
	 * the file gave a NAT table or --no-host-loopback says otherwise. */
	if (!c->nat_set && !o->no_host_loopback && c->host_ip &&
	    !egress_is_nat(&c->egress, c->host_ip))
		egress_nat_add(&c->egress, c->host_ip, htonl(INADDR_LOOPBACK));
	if (o->no_host_loopback)
		egress_nat_clear(&c->egress);
	/* The first guest's static lease, as gvproxy's 5a:94:ef:e4:0c:ee -> .2. */
	if (!has_static_mac(c, c->device_mac) && add_static(c, c->device_mac, c->device_ip) < 0) {
		log_err(COMP, "no room for the device's static lease (at most %d)",
			CONFIG_STATIC_LEASES_MAX);
		return -EINVAL;
	}
	r = add_default_zones(c);
	if (r < 0) {
		log_err(COMP, "default DNS zones: %s", strerror(-r));
		return -EINVAL;
	}
	return check(c);
}

void config_free(struct vgate_config *c)
{
	free(c->static_leases);
	c->static_leases = NULL;
	free(c->forwards);
	c->forwards = NULL;
	c->nforwards = 0;
	dns_zones_free(&c->zones);
}
