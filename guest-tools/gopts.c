// SPDX-License-Identifier: MIT
/*
 * gopts.c - parse vgate-guest's flags
 *
 * One table lists every flag with its kind (boolean or valued), the
 * commands it applies to and its help line; set_flag() gives each its
 * meaning. Unknown flags, missing values and values out of range are usage
 * errors with a message naming the flag.
 */
#include "gopts.h"

#include "dhcpc_wire.h"
#include "gapi.h"
#include "tap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

enum flag_id {
	F_URL,
	F_IFACE,
	F_MAC,
	F_MTU,
	F_PREEXISTING,
	F_STOP_IF_EXIST,
	F_DEBUG,
	F_VERSION,
	F_HELP,
	F_DHCP,
	F_RESOLV,
	F_HOSTNAME,
	F_ROUTE_METRIC,
	F_LOG_FILE,
	F_PID_FILE,
	F_AUTO_FORWARD,
	F_GATEWAY,
	F_API_TOKEN,
	F_HOST_IP,
	F_HOST_PORT_OFFSET,
	F_INCLUDE,
	F_EXCLUDE,
	F_EXPOSE_LOOPBACK,
	F_SCAN_INTERVAL,
	F_PROTOCOLS,
};

#define FWD 1u	 /* the forwarder (default command) */
#define AGENT 2u /* forward-ports, and the forwarder with -auto-forward */

static const struct flag {
	const char *name;
	enum flag_id id;
	bool boolean;
	unsigned cmds;
	const char *help;
} flags[] = {
	{ "url", F_URL, false, FWD,
	  "where vgate is: vsock://CID:PORT/path, unix:///path, tcp://host:port[/path], "
	  "stdio:/prog?k=v (default " GOPTS_DEFAULT_URL ")" },
	{ "iface", F_IFACE, false, FWD, "tap device (default " GOPTS_DEFAULT_IFACE ")" },
	{ "mac", F_MAC, false, FWD, "MAC of the tap (default " GOPTS_DEFAULT_MAC ")" },
	{ "mtu", F_MTU, false, FWD, "MTU of the tap, 68-65521 (default: DHCP's, else 1500)" },
	{ "preexisting", F_PREEXISTING, true, FWD,
	  "use an existing tap as it is: no MAC, link or DHCP changes" },
	{ "stop-if-exist", F_STOP_IF_EXIST, false, FWD,
	  "exit at once if one of these interfaces exists (default " GOPTS_DEFAULT_STOP_IF
	  "; \"\" for none)" },
	{ "debug", F_DEBUG, true, FWD | AGENT, "log debug messages" },
	{ "version", F_VERSION, true, FWD | AGENT, "print the version and exit" },
	{ "help", F_HELP, true, FWD | AGENT, "print this help" },
	{ "h", F_HELP, true, FWD | AGENT, NULL },
	{ "dhcp", F_DHCP, false, FWD,
	  "auto (udhcpc, else dhclient, else builtin), udhcpc, dhclient, builtin, none" },
	{ "resolv", F_RESOLV, false, FWD,
	  "resolv.conf the lease's DNS goes to (default " GOPTS_DEFAULT_RESOLV
	  "; none: leave it)" },
	{ "hostname", F_HOSTNAME, false, FWD,
	  "host name the builtin client sends (default: ours)" },
	{ "route-metric", F_ROUTE_METRIC, false, FWD, "metric of the default route (default 0)" },
	{ "log-file", F_LOG_FILE, false, FWD | AGENT, "log here instead of stderr" },
	{ "pid-file", F_PID_FILE, false, FWD | AGENT, "write the pid here" },
	{ "auto-forward", F_AUTO_FORWARD, true, FWD,
	  "also run the auto-forward agent (see forward-ports)" },
	{ "gateway", F_GATEWAY, false, AGENT,
	  "the in-network API, IP[:PORT] (default: the default route's gateway, port 80)" },
	{ "api-token", F_API_TOKEN, false, AGENT,
	  "file whose first line is the API's bearer token" },
	{ "host-ip", F_HOST_IP, false, AGENT,
	  "host address the ports open on (default 127.0.0.1; \"\" for all)" },
	{ "host-port-offset", F_HOST_PORT_OFFSET, false, AGENT,
	  "host port = guest port + this (default 0)" },
	{ "include", F_INCLUDE, false, AGENT, "only these ports: 80,8000-8100,udp:53,..." },
	{ "exclude", F_EXCLUDE, false, AGENT, "never these ports (same form)" },
	{ "expose-loopback", F_EXPOSE_LOOPBACK, true, AGENT,
	  "also expose ports bound only to the guest's loopback" },
	{ "scan-interval", F_SCAN_INTERVAL, false, AGENT,
	  "seconds between scans of /proc/net, 1-60 (default 2)" },
	{ "protocols", F_PROTOCOLS, false, AGENT, "tcp, udp or tcp,udp (default)" },
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* fail() - format the usage error into @err. Return: -EINVAL. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int gopts_parse_mac(const char *s, uint8_t mac[6])
{
	if (strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char c = s[3 * i + k];

			if (c >= '0' && c <= '9')
				v = v * 16 + (unsigned)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v = v * 16 + (unsigned)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v = v * 16 + (unsigned)(c - 'A' + 10);
			else
				return -EINVAL;
		}
		if (i < 5 && s[3 * i + 2] != ':')
			return -EINVAL;
		mac[i] = (uint8_t)v;
	}
	if (mac[0] & 1)
		return -EINVAL; /* multicast: no NIC can have it */
	return 0;
}

/* parse_bool() - Go's boolean spellings */
static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "TRUE"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "FALSE"))
		*out = false;
	else
		return false;
	return true;
}

/* parse_num() - a decimal in [@min, @max] */
static bool parse_num(const char *v, long min, long max, long *out)
{
	char *end;
	long n;

	if (!*v)
		return false;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* copy() - a string flag into its field, if it fits */
static int copy(char *dst, size_t cap, const char *v, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n >= cap)
		return fail(err, errlen, "-%s: value too long", name);
	memcpy(dst, v, n + 1);
	return 0;
}

/* read_token() - the first line of -api-token's file */
static int read_token(const char *path, char *out, size_t cap, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	char *nl;

	if (!f)
		return fail(err, errlen, "-api-token %s: %s", path, strerror(errno));
	if (!fgets(out, (int)cap, f)) {
		fclose(f);
		return fail(err, errlen, "-api-token %s: empty", path);
	}
	fclose(f);
	nl = strpbrk(out, "\r\n");
	if (nl)
		*nl = '\0';
	if (!gapi_token_valid(out))
		return fail(err, errlen, "-api-token %s: the token must be printable, no spaces",
			    path);
	return 0;
}

/* set_gateway() - -gateway IP[:PORT] */
static int set_gateway(struct agent_config *a, const char *v, char *err, size_t errlen)
{
	char ip[INET_ADDRSTRLEN + 8];
	const char *colon = strchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	long port = 80;

	if (n >= INET_ADDRSTRLEN)
		return fail(err, errlen, "-gateway %s: not an IPv4 address", v);
	memcpy(ip, v, n);
	ip[n] = '\0';
	if (inet_pton(AF_INET, ip, &a->gateway) != 1 || !a->gateway.s_addr)
		return fail(err, errlen, "-gateway %s: not an IPv4 address", v);
	if (colon && !parse_num(colon + 1, 1, 65535, &port))
		return fail(err, errlen, "-gateway %s: bad port", v);
	a->api_port = (uint16_t)port;
	return 0;
}

/* set_flag() - give a valued flag its meaning */
static int set_flag(struct gopts *o, const struct flag *f, const char *v, char *err, size_t errlen)
{
	struct agent_config *a = &o->agent;
	long n;
	int r;

	switch (f->id) {
	case F_URL:
		return copy(o->url, sizeof(o->url), v, f->name, err, errlen);
	case F_IFACE:
		if (!tap_name_valid(v))
			return fail(err, errlen, "-iface %s: not a valid interface name", v);
		return copy(o->iface, sizeof(o->iface), v, f->name, err, errlen);
	case F_MAC:
		if (gopts_parse_mac(v, o->mac) < 0)
			return fail(err, errlen, "-mac %s: not a unicast MAC like %s", v,
				    GOPTS_DEFAULT_MAC);
		return 0;
	case F_MTU:
		if (!parse_num(v, 68, GOPTS_MTU_MAX, &n))
			return fail(err, errlen, "-mtu %s: must be 68-%d", v, GOPTS_MTU_MAX);
		o->mtu = (unsigned)n;
		return 0;
	case F_STOP_IF_EXIST:
		return copy(o->stop_if_exist, sizeof(o->stop_if_exist), v, f->name, err, errlen);
	case F_DHCP: {
		static const char *const names[] = { [GOPTS_DHCP_AUTO] = "auto",
						     [GOPTS_DHCP_UDHCPC] = "udhcpc",
						     [GOPTS_DHCP_DHCLIENT] = "dhclient",
						     [GOPTS_DHCP_BUILTIN] = "builtin",
						     [GOPTS_DHCP_NONE] = "none" };

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (!strcmp(v, names[i])) {
				o->dhcp = (enum gopts_dhcp)i;
				o->dhcp_given = true;
				return 0;
			}
		}
		return fail(err, errlen, "-dhcp %s: auto, udhcpc, dhclient, builtin or none", v);
	}
	case F_RESOLV:
		if (!strcmp(v, "none"))
			v = "";
		else if (v[0] != '/')
			return fail(err, errlen, "-resolv %s: an absolute path, or none", v);
		return copy(o->resolv, sizeof(o->resolv), v, f->name, err, errlen);
	case F_HOSTNAME:
		if (*v && !dhcpc_name_safe(v, strlen(v)))
			return fail(err, errlen, "-hostname %s: letters, digits, '-', '.' only", v);
		return copy(o->hostname, sizeof(o->hostname), v, f->name, err, errlen);
	case F_ROUTE_METRIC:
		if (!parse_num(v, 0, INT32_MAX, &n))
			return fail(err, errlen, "-route-metric %s: not a number", v);
		o->route_metric = (uint32_t)n;
		return 0;
	case F_LOG_FILE:
		return copy(o->log_file, sizeof(o->log_file), v, f->name, err, errlen);
	case F_PID_FILE:
		return copy(o->pid_file, sizeof(o->pid_file), v, f->name, err, errlen);
	case F_GATEWAY:
		return set_gateway(a, v, err, errlen);
	case F_API_TOKEN:
		return read_token(v, a->token, sizeof(a->token), err, errlen);
	case F_HOST_IP: {
		struct in6_addr tmp;

		if (*v && inet_pton(AF_INET, v, &tmp) != 1 && inet_pton(AF_INET6, v, &tmp) != 1)
			return fail(err, errlen, "-host-ip %s: not an IP address", v);
		return copy(a->host_ip, sizeof(a->host_ip), v, f->name, err, errlen);
	}
	case F_HOST_PORT_OFFSET:
		if (!parse_num(v, -65534, 65534, &n))
			return fail(err, errlen, "-host-port-offset %s: -65534 to 65534", v);
		a->port_offset = (int)n;
		return 0;
	case F_INCLUDE:
	case F_EXCLUDE:
		r = agent_parse_ranges(v, f->id == F_INCLUDE ? a->include : a->exclude,
				       AGENT_RANGES_MAX);
		if (r < 0)
			return fail(err, errlen, "-%s %s: %s", f->name, v,
				    r == -E2BIG ? "too many items"
						: "expected 80,8000-8100,udp:53");
		if (f->id == F_INCLUDE)
			a->n_include = (unsigned)r;
		else
			a->n_exclude = (unsigned)r;
		return 0;
	case F_SCAN_INTERVAL:
		if (!parse_num(v, 1, 60, &n))
			return fail(err, errlen, "-scan-interval %s: 1-60 seconds", v);
		a->scan_ms = (unsigned)n * 1000;
		return 0;
	case F_PROTOCOLS:
		if (!strcmp(v, "tcp")) {
			a->tcp = true;
			a->udp = false;
		} else if (!strcmp(v, "udp")) {
			a->tcp = false;
			a->udp = true;
		} else if (!strcmp(v, "tcp,udp") || !strcmp(v, "udp,tcp")) {
			a->tcp = a->udp = true;
		} else {
			return fail(err, errlen, "-protocols %s: tcp, udp or tcp,udp", v);
		}
		return 0;
	case F_PREEXISTING:
	case F_DEBUG:
	case F_VERSION:
	case F_HELP:
	case F_AUTO_FORWARD:
	case F_EXPOSE_LOOPBACK:
		break; /* booleans are set by the caller */
	}
	return 0;
}

/* bool_field() - where a boolean flag is stored */
static bool *bool_field(struct gopts *o, enum flag_id id)
{
	switch (id) {
	case F_PREEXISTING:
		return &o->preexisting;
	case F_DEBUG:
		return &o->debug;
	case F_VERSION:
		return &o->version;
	case F_HELP:
		return &o->help;
	case F_AUTO_FORWARD:
		return &o->auto_forward;
	case F_EXPOSE_LOOPBACK:
		return &o->agent.expose_loopback;
	default:
		return NULL;
	}
}

/* defaults() - gvforwarder's defaults, and vgate-guest's */
static void defaults(struct gopts *o)
{
	memset(o, 0, sizeof(*o));
	snprintf(o->url, sizeof(o->url), "%s", GOPTS_DEFAULT_URL);
	snprintf(o->iface, sizeof(o->iface), "%s", GOPTS_DEFAULT_IFACE);
	gopts_parse_mac(GOPTS_DEFAULT_MAC, o->mac);
	snprintf(o->stop_if_exist, sizeof(o->stop_if_exist), "%s", GOPTS_DEFAULT_STOP_IF);
	snprintf(o->resolv, sizeof(o->resolv), "%s", GOPTS_DEFAULT_RESOLV);
	agent_config_default(&o->agent);
}

int gopts_parse(int argc, char **argv, struct gopts *o, char *err, size_t errlen)
{
	int i = 1;

	defaults(o);
	if (argc > 1 && !strcmp(argv[1], "forward-ports")) {
		o->cmd = GOPTS_FORWARD_PORTS;
		i = 2;
	}
	for (; i < argc; i++) {
		const char *arg = argv[i], *name, *eq, *val = NULL;
		const struct flag *f = NULL;
		unsigned cmd = o->cmd == GOPTS_FORWARD ? FWD : AGENT;
		size_t nlen;
		int r;

		if (arg[0] != '-' || !arg[1])
			return fail(err, errlen, "unexpected argument '%s'", arg);
		name = arg + 1 + (arg[1] == '-');
		if (!*name || *name == '-')
			return fail(err, errlen, "unexpected argument '%s'", arg);
		eq = strchr(name, '=');
		nlen = eq ? (size_t)(eq - name) : strlen(name);
		for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
			if (strlen(flags[k].name) == nlen && !strncmp(flags[k].name, name, nlen))
				f = &flags[k];
		if (!f)
			return fail(err, errlen, "flag provided but not defined: -%.*s", (int)nlen,
				    name);
		/* The forwarder takes the agent's flags too (-auto-forward). */
		if (cmd == AGENT && !(f->cmds & AGENT))
			return fail(err, errlen, "-%s applies to the forwarder, not forward-ports",
				    f->name);
		if (eq)
			val = eq + 1;
		if (f->boolean) {
			bool b = true;

			if (val && !parse_bool(val, &b))
				return fail(err, errlen, "-%s=%s: not a boolean", f->name, val);
			*bool_field(o, f->id) = b;
			continue;
		}
		if (!val) {
			if (i + 1 >= argc)
				return fail(err, errlen, "flag needs an argument: -%s", f->name);
			val = argv[++i];
		}
		r = set_flag(o, f, val, err, errlen);
		if (r < 0)
			return r;
	}
	return 0;
}

void gopts_usage(FILE *f)
{
	fprintf(f, "usage: vgate-guest [flags]                 tap <-> vgate forwarder\n"
		   "       vgate-guest forward-ports [flags]   only the auto-forward agent\n\n");
	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
		const struct flag *fl = &flags[k];

		if (!fl->help)
			continue;
		fprintf(f, "  -%s%s\n    \t%s%s\n", fl->name, fl->boolean ? "" : " VALUE", fl->help,
			fl->cmds == AGENT ? " [agent]" : "");
	}
}
