// SPDX-License-Identifier: MIT
/*
 * vgatectl.c - command-line client of vgate's HTTP API
 *
 * Theory of operation
 *
 * One command, one or two HTTP requests over the API's unix socket
 * (http_client.c), one answer printed: as a table (print.c) by default, or
 * with --json exactly as the daemon sent it, so scripts can feed it to jq.
 * Request bodies are built by request_body.c. vgatectl links nothing of the
 * daemon: it speaks the API, the same one curl and gvproxy's clients use,
 * and so also works against gvproxy for the routes gvproxy has.
 *
 * Options may stand anywhere on the line ("vgatectl stats --json" works);
 * "--" ends them. Which socket: --socket, else $VGATE_SOCKET, else where
 * `make run` (scripts/run.sh) puts it: /run/vgate/api.sock for root,
 * $XDG_RUNTIME_DIR/vgate/api.sock, or /tmp/vgate-UID/api.sock.
 *
 * Exit codes are the interface for scripts:
 *   0  the API answered 2xx (and, for health, said "ok")
 *   1  the API answered an error (its text goes to stderr), or an answer
 *      that could not be read or understood, or none within --timeout
 *   2  usage error (nothing was sent)
 *   3  the socket could not be connected to (vgate not running?)
 *
 * Fallbacks, each taken only on a 404: `leases` asks /v1/leases and falls
 * back to gvproxy's /services/dhcp/leases; `flows` asks /v1/flows (gvproxy
 * lacks it) and falls back to the flow counters of /stats plus the
 * per-port counters of /v1/ports.
 */
#include "cli.h"
#include "ctl_qmp.h"
#include "ctl_virt.h"
#include "http_client.h"
#include "json_tree.h"
#include "print.h"
#include "request_body.h"

#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VGATECTL_VERSION "0.1.0"
#define TIMEOUT_S_DEFAULT 10
#define TIMEOUT_S_MAX 3600
#define ARGS_MAX 256

struct ctl_opts {
	const char *socket;
	bool json;
	int timeout_ms;
	const char *protocol; /* expose, unexpose */
	const char *file;     /* dns add */
	const char *qmp;      /* attach, detach: QEMU's monitor socket */
	const char *qemu_socket;
	const char *mac;
	const char *id;
	const char *domain;
	const char *args[ARGS_MAX];
	int nargs;
};

static const char usage_text[] =
	"usage: vgatectl [--socket PATH] [--json] [--timeout S] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  stats                          traffic and service counters (/stats)\n"
	"  forwards                       port forwards (/services/forwarder/all)\n"
	"  expose LOCAL REMOTE [--protocol tcp|udp|unix]\n"
	"                                 forward host LOCAL to guest REMOTE, e.g.\n"
	"                                 expose 127.0.0.1:8080 192.168.127.2:80\n"
	"  unexpose LOCAL [--protocol tcp|udp|unix]\n"
	"                                 remove the forward on LOCAL\n"
	"  leases                         DHCP leases (/v1/leases)\n"
	"  dns list                       local DNS zones (/services/dns/all)\n"
	"  dns add ZONE NAME=IP [NAME=IP...]\n"
	"                                 add records to ZONE (IPv4 or IPv6; NAME *\n"
	"                                 sets the zone's default IPv4 address)\n"
	"  dns add --file ZONE.json       add a zone object as gvproxy's API takes it\n"
	"  flows                          open flows: addresses, state, bytes, age\n"
	"  health                         is the daemon serving (/v1/health)\n"
	"  version                        the daemon's and vgatectl's versions\n"
	"  attach --qmp SOCKET [--qemu-socket URL] [--mac MAC] [--id ID]\n"
	"                                 hot-plug a virtio-net NIC wired to vgate into the\n"
	"                                 running QEMU whose QMP monitor is SOCKET\n"
	"  detach --qmp SOCKET --id ID    remove it again (waits for DEVICE_DELETED)\n"
	"\n"
	"Options:\n"
	"  --socket PATH    the API socket (also unix:///PATH); default $VGATE_SOCKET,\n"
	"                   else /run/vgate/api.sock as root, else\n"
	"                   $XDG_RUNTIME_DIR/vgate/api.sock (or /tmp/vgate-UID/api.sock)\n"
	"  --json           print the API's JSON answer as it came\n"
	"  --timeout S      give up after S seconds (default 10)\n"
	"  --protocol P     tcp (default), udp or unix, for expose and unexpose\n"
	"  --file PATH      the zone for dns add, as JSON\n"
	"  --qmp SOCKET     attach, detach: QEMU's -qmp unix:SOCKET,server=on (one\n"
	"                   client at a time per socket)\n"
	"  --qemu-socket URL  attach: the vgate listener the NIC connects to\n"
	"                   (unix:///PATH or tcp://HOST:PORT; default: vgate's first,\n"
	"                   opened through the API when there is none)\n"
	"  --mac MAC        attach: the NIC's MAC (default: the first static lease no\n"
	"                   VM uses)\n"
	"  --id ID          attach, detach: the NIC's device id, its netdev is ID-net\n"
	"                   (default: vgate0, vgate1, ...)\n"
	"  -h, --help       this text\n"
	"  --version        vgatectl's version\n"
	"\n"
	"Exit status: 0 ok, 1 API error (its text on stderr) or no usable answer,\n"
	"2 usage error, 3 cannot connect to the socket, 4 cannot use the QMP socket.\n";

/* The default socket, as scripts/run.sh lays out the state directory. */
static const char *default_socket(char *buf, size_t len)
{
	const char *env = getenv("VGATE_SOCKET"), *xdg = getenv("XDG_RUNTIME_DIR");

	if (env && *env)
		return env;
	if (geteuid() == 0)
		return "/run/vgate/api.sock";
	if (xdg && *xdg)
		snprintf(buf, len, "%s/vgate/api.sock", xdg);
	else
		snprintf(buf, len, "/tmp/vgate-%u/api.sock", (unsigned)geteuid());
	return buf;
}

/*
 * Parse the whole line into @o. Return: -1 to go on, or an exit code
 * (--help, --version, a usage error).
 */
static int parse_args(int argc, char **argv, struct ctl_opts *o)
{
	bool only_args = false;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = TIMEOUT_S_DEFAULT * 1000;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool missing = false;
		unsigned long secs;

		if (only_args || a[0] != '-' || !strcmp(a, "-")) {
			if (o->nargs == ARGS_MAX)
				return ctl_say(EXIT_USAGE, "more than %d arguments", ARGS_MAX);
			o->args[o->nargs++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_args = true;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage_text, stdout);
			fputs("\n", stdout);
			fputs(ctl_virt_usage, stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--version")) {
			printf("vgatectl version %s\n", VGATECTL_VERSION);
			return EXIT_OK;
		} else if (!strcmp(a, "--json")) {
			o->json = true;
		} else if ((v = ctl_opt_value(a, "--socket", argc, argv, &i, &missing))) {
			o->socket = strncmp(v, "unix://", 7) != 0 ? v : v + 7;
			if (!*o->socket)
				return ctl_say(EXIT_USAGE, "%s: empty socket path", a);
		} else if ((v = ctl_opt_value(a, "--timeout", argc, argv, &i, &missing))) {
			if (parse_uint(v, 1, TIMEOUT_S_MAX, &secs) < 0)
				return ctl_say(EXIT_USAGE, "--timeout %s: seconds from 1 to 3600",
					       v);
			o->timeout_ms = (int)secs * 1000;
		} else if ((v = ctl_opt_value(a, "--protocol", argc, argv, &i, &missing))) {
			if (strcmp(v, "tcp") != 0 && strcmp(v, "udp") != 0 &&
			    strcmp(v, "unix") != 0)
				return ctl_say(EXIT_USAGE, "--protocol %s: tcp, udp or unix", v);
			o->protocol = v;
		} else if ((v = ctl_opt_value(a, "--file", argc, argv, &i, &missing))) {
			o->file = v;
		} else if ((v = ctl_opt_value(a, "--qmp", argc, argv, &i, &missing))) {
			o->qmp = v;
		} else if ((v = ctl_opt_value(a, "--qemu-socket", argc, argv, &i, &missing))) {
			o->qemu_socket = v;
		} else if ((v = ctl_opt_value(a, "--mac", argc, argv, &i, &missing))) {
			o->mac = v;
		} else if ((v = ctl_opt_value(a, "--id", argc, argv, &i, &missing))) {
			o->id = v;
		} else if ((v = ctl_opt_value(a, "--domain", argc, argv, &i, &missing))) {
			o->domain = v;
		} else if (missing) {
			return ctl_say(EXIT_USAGE, "%s needs a value", a);
		} else {
			return ctl_say(EXIT_USAGE, "unknown option %s", a);
		}
	}
	return -1;
}

/* Print a body as the daemon sent it (with a final newline if it had none). */
static void print_raw(const struct http_client_response *r)
{
	fwrite(r->body, 1, r->body_len, stdout);
	if (r->body_len && r->body[r->body_len - 1] != '\n')
		putchar('\n');
}

/*
 * One exchange. Return: EXIT_OK with @r filled (any status; free it), or
 * EXIT_CONNECT / EXIT_API after saying why on stderr.
 */
static int exchange(const struct ctl_opts *o, const char *method, const char *path,
		    const char *body, size_t len, struct http_client_response *r)
{
	bool connected;
	int err = http_client_request(o->socket, method, path, body, len, o->timeout_ms, &connected,
				      r);

	if (err == 0)
		return EXIT_OK;
	if (!connected) {
		fprintf(stderr, "vgatectl: cannot connect to %s: %s\n", o->socket, strerror(-err));
		return EXIT_CONNECT;
	}
	if (err == -EPROTO)
		fprintf(stderr, "vgatectl: %s %s: malformed HTTP answer\n", method, path);
	else if (err == -E2BIG)
		fprintf(stderr, "vgatectl: %s %s: answer too large\n", method, path);
	else if (err == -ETIMEDOUT)
		fprintf(stderr, "vgatectl: %s %s: no answer within %d s\n", method, path,
			o->timeout_ms / 1000);
	else
		fprintf(stderr, "vgatectl: %s %s: %s\n", method, path, strerror(-err));
	return EXIT_API;
}

/* A non-2xx answer: the server's text on stderr. Return: EXIT_API (and frees @r). */
static int api_error(const char *method, const char *path, struct http_client_response *r)
{
	size_t n = r->body_len;

	while (n && (r->body[n - 1] == '\n' || r->body[n - 1] == '\r'))
		n--;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r->body[i] < 0x20 && r->body[i] != '\n')
			r->body[i] = '?';
	if (n)
		fprintf(stderr, "vgatectl: %.*s (HTTP %d from %s %s)\n", (int)n, r->body, r->status,
			method, path);
	else
		fprintf(stderr, "vgatectl: HTTP %d from %s %s\n", r->status, method, path);
	http_client_response_free(r);
	return EXIT_API;
}

static bool is_2xx(const struct http_client_response *r)
{
	return r->status >= 200 && r->status < 300;
}

/* Parse a 2xx JSON answer. Return: the tree, or NULL after saying why. */
static yajl_val answer_tree(const char *path, const struct http_client_response *r)
{
	char err[256];
	yajl_val v = json_tree_parse(r->body, r->body_len, err, sizeof(err));

	if (!v)
		fprintf(stderr, "vgatectl: GET %s: %s\n", path, err);
	return v;
}

/* Print a parsed answer with @printer. Return: an exit code. */
static int show(const char *path, const struct http_client_response *r,
		int (*printer)(FILE *, yajl_val))
{
	yajl_val v = answer_tree(path, r);
	int err;

	if (!v)
		return EXIT_API;
	err = printer(stdout, v);
	yajl_tree_free(v);
	if (err == -EPROTO) {
		fprintf(stderr, "vgatectl: GET %s: unexpected answer\n", path);
		return EXIT_API;
	}
	return err < 0 ? EXIT_API : EXIT_OK;
}

/* GET @path and print it (raw with --json). Return: an exit code. */
static int get_and_show(const struct ctl_opts *o, const char *path,
			int (*printer)(FILE *, yajl_val))
{
	struct http_client_response r;
	int rc = exchange(o, "GET", path, NULL, 0, &r);

	if (rc != EXIT_OK)
		return rc;
	if (!is_2xx(&r))
		return api_error("GET", path, &r);
	if (o->json)
		print_raw(&r);
	else
		rc = show(path, &r, printer);
	http_client_response_free(&r);
	return rc;
}

/* POST @body to @path; on success print @done (raw answer with --json). */
static int post(const struct ctl_opts *o, const char *path, const char *body, size_t len,
		const char *done)
{
	struct http_client_response r;
	int rc = exchange(o, "POST", path, body, len, &r);

	if (rc != EXIT_OK)
		return rc;
	if (!is_2xx(&r))
		return api_error("POST", path, &r);
	if (o->json)
		print_raw(&r);
	else
		printf("%s\n", done);
	http_client_response_free(&r);
	return EXIT_OK;
}

static int cmd_expose(const struct ctl_opts *o)
{
	const char *proto = o->protocol ? o->protocol : "tcp";
	_cleanup_free_ char *body = NULL;
	char done[1024];

	if (o->nargs != 3)
		return ctl_say(EXIT_USAGE, "%s", "expose takes LOCAL REMOTE");
	if (request_body_expose(o->args[1], o->args[2], proto, &body) < 0)
		return ctl_say(EXIT_USAGE, "%s", "expose: LOCAL and REMOTE must be UTF-8 text");
	snprintf(done, sizeof(done), "exposed %s %s -> %s", proto, o->args[1], o->args[2]);
	return post(o, "/services/forwarder/expose", body, strlen(body), done);
}

static int cmd_unexpose(const struct ctl_opts *o)
{
	const char *proto = o->protocol ? o->protocol : "tcp";
	_cleanup_free_ char *body = NULL;
	char done[1024];

	if (o->nargs != 2)
		return ctl_say(EXIT_USAGE, "%s", "unexpose takes LOCAL");
	if (request_body_unexpose(o->args[1], proto, &body) < 0)
		return ctl_say(EXIT_USAGE, "%s", "unexpose: LOCAL must be UTF-8 text");
	snprintf(done, sizeof(done), "unexposed %s %s", proto, o->args[1]);
	return post(o, "/services/forwarder/unexpose", body, strlen(body), done);
}

static int cmd_leases(const struct ctl_opts *o)
{
	struct http_client_response r;
	int rc = exchange(o, "GET", "/v1/leases", NULL, 0, &r);

	if (rc != EXIT_OK)
		return rc;
	if (r.status == 404) {
		/* gvproxy, or an older vgate: its ip -> mac map. */
		http_client_response_free(&r);
		return get_and_show(o, "/services/dhcp/leases", print_dhcp_leases);
	}
	if (!is_2xx(&r))
		return api_error("GET", "/v1/leases", &r);
	if (o->json)
		print_raw(&r);
	else
		rc = show("/v1/leases", &r, print_leases);
	http_client_response_free(&r);
	return rc;
}

static int cmd_dns(const struct ctl_opts *o)
{
	_cleanup_free_ char *body = NULL;
	char err[512], done[512];
	size_t len;
	int r;

	if (o->nargs < 2)
		return ctl_say(EXIT_USAGE, "%s", "dns takes list or add");
	if (!strcmp(o->args[1], "list")) {
		if (o->nargs != 2 || o->file)
			return ctl_say(EXIT_USAGE, "%s", "dns list takes no arguments");
		return get_and_show(o, "/services/dns/all", print_dns_zones);
	}
	if (strcmp(o->args[1], "add") != 0)
		return ctl_say(EXIT_USAGE, "unknown dns command %s (list or add)", o->args[1]);
	if (o->file) {
		if (o->nargs != 2)
			return ctl_say(EXIT_USAGE, "%s", "dns add --file takes no ZONE or records");
		r = request_body_read_file(o->file, &body, &len, err, sizeof(err));
		if (r == -EINVAL)
			return ctl_say(EXIT_USAGE, "--file: %s", err);
		if (r == -EFBIG)
			return ctl_say(EXIT_USAGE, "--file %s: larger than 1 MiB", o->file);
		if (r < 0)
			return ctl_say(EXIT_USAGE, "--file %s: %s", o->file, strerror(-r));
		snprintf(done, sizeof(done), "zone from %s added", o->file);
		return post(o, "/services/dns/add", body, len, done);
	}
	if (o->nargs < 4)
		return ctl_say(EXIT_USAGE, "%s",
			       "dns add takes ZONE NAME=IP [NAME=IP...] or --file PATH");
	r = request_body_zone(o->args[2], &o->args[3], (size_t)o->nargs - 3, &body, err,
			      sizeof(err));
	if (r == -ENOMEM) {
		fputs("vgatectl: out of memory\n", stderr);
		return EXIT_API;
	}
	if (r < 0)
		return ctl_say(EXIT_USAGE, "dns add: %s", err);
	snprintf(done, sizeof(done), "zone %s: %d record(s) added", o->args[2], o->nargs - 3);
	return post(o, "/services/dns/add", body, strlen(body), done);
}

/* A body's length without its trailing newline, for printf's %.*s. */
static int trimmed_len(const struct http_client_response *r)
{
	size_t n = r->body_len;

	while (n && (r->body[n - 1] == '\n' || r->body[n - 1] == '\r'))
		n--;
	return (int)n;
}

/*
 * flows without /v1/flows: /stats and /v1/ports, printed as two tables, or
 * with --json as {"stats":...,"ports":...} (each the daemon's own text).
 */
static int flows_from_counters(const struct ctl_opts *o)
{
	struct http_client_response stats, ports;
	int rc = exchange(o, "GET", "/stats", NULL, 0, &stats);

	if (rc != EXIT_OK)
		return rc;
	if (!is_2xx(&stats))
		return api_error("GET", "/stats", &stats);
	rc = exchange(o, "GET", "/v1/ports", NULL, 0, &ports);
	if (rc != EXIT_OK) {
		http_client_response_free(&stats);
		return rc;
	}
	if (!is_2xx(&ports) && ports.status != 404) {
		http_client_response_free(&stats);
		return api_error("GET", "/v1/ports", &ports);
	}
	if (o->json) {
		printf("{\"stats\":%.*s,\"ports\":%.*s}\n", trimmed_len(&stats), stats.body,
		       is_2xx(&ports) ? trimmed_len(&ports) : 2,
		       is_2xx(&ports) ? ports.body : "[]");
	} else {
		rc = show("/stats", &stats, print_flow_counters);
		if (rc == EXIT_OK && is_2xx(&ports)) {
			putchar('\n');
			rc = show("/v1/ports", &ports, print_ports);
		}
	}
	http_client_response_free(&stats);
	http_client_response_free(&ports);
	return rc;
}

static int cmd_flows(const struct ctl_opts *o)
{
	struct http_client_response r;
	int rc = exchange(o, "GET", "/v1/flows", NULL, 0, &r);

	if (rc != EXIT_OK)
		return rc;
	if (r.status == 404) {
		http_client_response_free(&r);
		return flows_from_counters(o);
	}
	if (!is_2xx(&r))
		return api_error("GET", "/v1/flows", &r);
	if (o->json)
		print_raw(&r);
	else
		rc = show("/v1/flows", &r, print_rows);
	http_client_response_free(&r);
	return rc;
}

static int cmd_health(const struct ctl_opts *o)
{
	struct http_client_response r;
	yajl_val v, status;
	int rc = exchange(o, "GET", "/v1/health", NULL, 0, &r);

	if (rc != EXIT_OK)
		return rc;
	if (!is_2xx(&r))
		return api_error("GET", "/v1/health", &r);
	v = answer_tree("/v1/health", &r);
	status = json_tree_get(v, "status");
	if (o->json)
		print_raw(&r);
	else if (v && print_object(stdout, v) < 0)
		fputs("vgatectl: GET /v1/health: unexpected answer\n", stderr);
	rc = YAJL_IS_STRING(status) && status->u.string && !strcmp(status->u.string, "ok")
		     ? EXIT_OK
		     : EXIT_API;
	yajl_tree_free(v);
	http_client_response_free(&r);
	return rc;
}

static int cmd_version(const struct ctl_opts *o)
{
	if (!o->json)
		printf("vgatectl %s\n", VGATECTL_VERSION);
	return get_and_show(o, "/v1/version", print_version);
}

/* Commands that take no arguments, and what they GET. */
static const struct {
	const char *name;
	const char *path;
	int (*printer)(FILE *, yajl_val);
} simple_cmds[] = {
	{ "stats", "/stats", print_object },
	{ "forwards", "/services/forwarder/all", print_forwards },
};

int main(int argc, char **argv)
{
	char sockbuf[512], domain_sock[512];
	struct ctl_opts o;
	const char *cmd;
	/* domains, forward, and attach/detach --domain: libvirt's (ctl_virt.c). */
	int rc = ctl_virt_main(argc, argv);

	if (rc >= 0)
		return rc;
	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	if (o.nargs == 0)
		return ctl_say(EXIT_USAGE, "%s", "no command given");
	cmd = o.args[0];
	if (o.protocol && strcmp(cmd, "expose") != 0 && strcmp(cmd, "unexpose") != 0)
		return ctl_say(EXIT_USAGE, "%s", "--protocol is for expose and unexpose");
	if (o.file && strcmp(cmd, "dns") != 0)
		return ctl_say(EXIT_USAGE, "%s", "--file is for dns add");
	if ((o.qmp || o.qemu_socket || o.mac || o.id) && strcmp(cmd, "attach") != 0 &&
	    strcmp(cmd, "detach") != 0)
		return ctl_say(EXIT_USAGE, "%s",
			       "--qmp, --qemu-socket, --mac and --id are for attach and "
			       "detach");
	if (o.domain && strcmp(cmd, "attach") != 0 && strcmp(cmd, "detach") != 0) {
		/* Any API command against a libvirt domain's vgate. */
		if (o.socket)
			return ctl_say(EXIT_USAGE, "%s",
				       "--socket and --domain exclude each other");
		if (ctl_virt_socket_for_domain(o.domain, domain_sock, sizeof(domain_sock)) < 0)
			return ctl_say(EXIT_USAGE, "--domain %s: not a domain name vgate serves",
				       o.domain);
		o.socket = domain_sock;
	}
	if (!o.socket)
		o.socket = default_socket(sockbuf, sizeof(sockbuf));
	if (!strcmp(cmd, "attach") || !strcmp(cmd, "detach")) {
		/* --domain (libvirt) is refused inside ctl_qmp.c's check_common(). */
		struct ctl_qmp_args qa = {
			.api_socket = o.socket,
			.json = o.json,
			.timeout_ms = o.timeout_ms,
			.qmp = o.qmp,
			.qemu_socket = o.qemu_socket,
			.mac = o.mac,
			.id = o.id,
			.domain = o.domain,
			.nargs = o.nargs - 1,
		};

		return cmd[0] == 'a' ? ctl_qmp_attach(&qa) : ctl_qmp_detach(&qa);
	}
	for (size_t i = 0; i < ARRAY_SIZE(simple_cmds); i++) {
		if (strcmp(cmd, simple_cmds[i].name) != 0)
			continue;
		if (o.nargs != 1)
			return ctl_say(EXIT_USAGE, "%s takes no arguments", cmd);
		return get_and_show(&o, simple_cmds[i].path, simple_cmds[i].printer);
	}
	if (!strcmp(cmd, "expose"))
		return cmd_expose(&o);
	if (!strcmp(cmd, "unexpose"))
		return cmd_unexpose(&o);
	if (!strcmp(cmd, "dns"))
		return cmd_dns(&o);
	if (o.nargs != 1 && (!strcmp(cmd, "leases") || !strcmp(cmd, "flows") ||
			     !strcmp(cmd, "health") || !strcmp(cmd, "version")))
		return ctl_say(EXIT_USAGE, "%s takes no arguments", cmd);
	if (!strcmp(cmd, "leases"))
		return cmd_leases(&o);
	if (!strcmp(cmd, "flows"))
		return cmd_flows(&o);
	if (!strcmp(cmd, "health"))
		return cmd_health(&o);
	if (!strcmp(cmd, "version"))
		return cmd_version(&o);
	return ctl_say(EXIT_USAGE, "unknown command %s", cmd);
}
