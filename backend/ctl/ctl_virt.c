// SPDX-License-Identifier: MIT
/*
 * ctl_virt.c - vgatectl's libvirt commands: domains, forward add/remove,
 * attach/detach, and the socket of --domain NAME
 *
 * Theory of operation
 *
 * The hook (libvirt-hook/) keeps each domain's vgate state under
 * /run/vgate/<domain>/, so --domain NAME is a path computation and needs
 * no libvirt at all. Everything else asks libvirt through its library:
 *
 *   domains  a read-only connection; every domain's XML (live when it runs)
 *            goes through the hook's parser and planner; for each vgate
 *            network, whether its vgate runs (pid file checked against
 *            /proc, as the hook does) and where its API socket is.
 *   forward  the forward is added to (removed from) the domain's vgate
 *            metadata element as virDomainGetMetadata() returns it, and the
 *            result is run through the hook's parser, so a forward the hook
 *            would refuse at the next start is refused now. A running
 *            domain's vgate gets it through its API at once (the hook's
 *            runtime_forward_add(), which also records it for a shared
 *            network); --persist writes the element back with
 *            virDomainSetMetadata() to the persistent definition (and the
 *            live one), so it survives a restart.
 *   attach   an <interface type='client'> to a loopback TCP listener of the
 *            domain's vgate (the network's port, or one vgate opens at run
 *            time through POST /v1/listeners), plugged in with
 *            virDomainAttachDeviceFlags(), so libvirt knows the NIC.
 *   detach   virDomainDetachDeviceFlags() of that interface, by MAC.
 *
 * libvirt's own error printing is switched off; each failure is reported
 * once, with libvirt's last error message.
 *
 * Built without libvirt's headers (libvirt-dev missing), the commands say
 * so and exit 1; --domain still works.
 */
#include "ctl_virt.h"

#include "meta.h"
#include "plan.h"
#include "proc.h"
#include "runtime.h"

#include "http_client.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#if __has_include(<libvirt/libvirt.h>)
#define CTL_HAVE_LIBVIRT 1
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <yajl/yajl_gen.h>
#else
#define CTL_HAVE_LIBVIRT 0
#endif

#define EXIT_OK 0
#define EXIT_ERR 1
#define EXIT_USAGE 2
#define EXIT_CONNECT 3

const char ctl_virt_usage[] =
	"libvirt (domains whose <metadata> holds a vgate element; see libvirt-hook/README.md):\n"
	"  --domain NAME COMMAND          run COMMAND against that domain's vgate\n"
	"  domains [--connect URI]        domains with vgate metadata and their vgate state\n"
	"  forward add --domain NAME [--persist] [--protocol P] [--network N] HOST GUEST\n"
	"                                 forward HOST (127.0.0.1:8080) to GUEST (80 or\n"
	"                                 IP:80) now; --persist also records it in the\n"
	"                                 domain's metadata, so it survives a restart\n"
	"  forward remove --domain NAME [--persist] [--protocol P] [--network N] HOST\n"
	"  attach --domain NAME [--mac MAC] [--network N] [--persist]\n"
	"                                 hot-plug a NIC wired to the domain's vgate through\n"
	"                                 libvirt (<interface type='client'>)\n"
	"  detach --domain NAME [--mac MAC] [--persist]\n";

static const char *run_dir(void)
{
	const char *d = getenv("VGATE_RUN_DIR");

	return d && *d ? d : PLAN_RUN_DIR;
}

int ctl_virt_socket_for_domain(const char *name, char *out, size_t n)
{
	int w;

	if (!meta_domain_name_ok(name))
		return -EINVAL;
	w = snprintf(out, n, "%s/%s/api.sock", run_dir(), name);
	return w < 0 || (size_t)w >= n ? -EINVAL : 0;
}

static __attribute__((format(printf, 2, 3))) int say(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("vgatectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (code == EXIT_USAGE)
		fputs("Try 'vgatectl --help'.\n", stderr);
	return code;
}

#if CTL_HAVE_LIBVIRT

static void quiet(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static int virt_error(int code, const char *what)
{
	const char *m = virGetLastErrorMessage();

	return say(code, "%s: %s", what, m && *m ? m : "failed");
}

static virConnectPtr open_conn(const struct ctl_virt_args *a, bool rw)
{
	virConnectPtr c;

	virSetErrorFunc(NULL, quiet);
	c = rw ? virConnectOpen(a->connect) : virConnectOpenReadOnly(a->connect);
	if (!c)
		virt_error(EXIT_CONNECT, a->connect ? a->connect : "cannot connect to libvirt");
	return c;
}

static void paths(struct plan_paths *p)
{
	const char *net = getenv("VGATE_NET_DIR");

	p->run_dir = run_dir();
	p->net_dir = net && *net ? net : PLAN_NET_DIR;
	p->vgate_bin = "vgate";
}

/* A domain's vgate view: parsed XML and plan (heap: they are large). */
struct view {
	struct meta_domain d;
	struct plan pl;
};

/*
 * Parse @dom's XML (live when running) into @v.
 * Return: 1 with vgate metadata, 0 without, or an exit code < 0 (negated).
 */
static int load_view(virDomainPtr dom, struct view *v, char *err, size_t errlen)
{
	struct plan_paths p;
	char *xml = virDomainGetXMLDesc(dom, 0);
	int r;

	if (!xml) {
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
		return -EIO;
	}
	r = meta_parse(xml, strlen(xml), &v->d, err, errlen);
	free(xml);
	if (r < 0)
		return r;
	if (!v->d.has_vgate)
		return 0;
	paths(&p);
	r = plan_build(&v->d, &p, &v->pl, err, errlen);
	return r < 0 ? r : 1;
}

static const char *state_name(int s)
{
	switch (s) {
	case VIR_DOMAIN_RUNNING:
		return "running";
	case VIR_DOMAIN_BLOCKED:
		return "blocked";
	case VIR_DOMAIN_PAUSED:
		return "paused";
	case VIR_DOMAIN_SHUTDOWN:
		return "shutting-down";
	case VIR_DOMAIN_SHUTOFF:
		return "shut-off";
	case VIR_DOMAIN_CRASHED:
		return "crashed";
	case VIR_DOMAIN_PMSUSPENDED:
		return "suspended";
	default:
		return "unknown";
	}
}

static void net_label(const struct meta_net *n, char *out, size_t len)
{
	if (n->name[0])
		snprintf(out, len, "shared:%s", n->name);
	else if (n->id[0])
		snprintf(out, len, "own:%s", n->id);
	else
		snprintf(out, len, "own");
}

static void gstr(yajl_gen g, const char *s)
{
	yajl_gen_string(g, (const unsigned char *)s, strlen(s));
}

int ctl_virt_domains(const struct ctl_virt_args *a)
{
	virConnectPtr c = open_conn(a, false);
	virDomainPtr *doms = NULL;
	struct view *v;
	yajl_gen g = NULL;
	int n, rc = EXIT_OK;

	if (!c)
		return EXIT_CONNECT;
	n = virConnectListAllDomains(c, &doms, 0);
	v = calloc(1, sizeof(*v));
	if (n < 0 || !v) {
		free(v);
		virConnectClose(c);
		return virt_error(EXIT_ERR, "listing domains");
	}
	if (a->json) {
		g = yajl_gen_alloc(NULL);
		yajl_gen_array_open(g);
	} else {
		printf("%-24s %-10s %-16s %-14s %s\n", "DOMAIN", "STATE", "NETWORK", "VGATE",
		       "API");
	}
	for (int i = 0; i < n; i++) {
		const char *name = virDomainGetName(doms[i]);
		char err[512];
		int st = 0, reason = 0, r = load_view(doms[i], v, err, sizeof(err));
		bool active = virDomainIsActive(doms[i]) == 1;

		if (r < 0) {
			say(EXIT_ERR, "domain %s: %s", name, err);
			rc = EXIT_ERR;
		}
		if (r <= 0)
			continue;
		virDomainGetState(doms[i], &st, &reason, 0);
		if (g) {
			yajl_gen_map_open(g);
			gstr(g, "domain");
			gstr(g, name);
			gstr(g, "state");
			gstr(g, state_name(st));
			gstr(g, "networks");
			yajl_gen_array_open(g);
		}
		for (unsigned k = 0; k < v->pl.nnets; k++) {
			const struct plan_net *pn = &v->pl.nets[k];
			pid_t pid = proc_running(pn->pid);
			char lbl[64], vg[32];

			net_label(pn->net, lbl, sizeof(lbl));
			if (pid)
				snprintf(vg, sizeof(vg), "running:%d", (int)pid);
			else
				snprintf(vg, sizeof(vg), "%s", active ? "NOT-RUNNING" : "stopped");
			if (!g) {
				printf("%-24s %-10s %-16s %-14s %s\n", k ? "" : name,
				       k ? "" : state_name(st), lbl, vg, pid ? pn->api : "-");
				continue;
			}
			yajl_gen_map_open(g);
			gstr(g, "network");
			gstr(g, lbl);
			gstr(g, "vgate");
			gstr(g, pid ? "running" : active ? "not-running" : "stopped");
			gstr(g, "pid");
			yajl_gen_integer(g, pid);
			gstr(g, "api");
			gstr(g, pn->api);
			gstr(g, "forwards");
			yajl_gen_integer(g, pn->net->nforwards);
			yajl_gen_map_close(g);
		}
		if (g) {
			yajl_gen_array_close(g);
			yajl_gen_map_close(g);
		}
	}
	if (g) {
		const unsigned char *buf;
		size_t len;

		yajl_gen_array_close(g);
		yajl_gen_get_buf(g, &buf, &len);
		printf("%.*s\n", (int)len, (const char *)buf);
		yajl_gen_free(g);
	}
	for (int i = 0; i < n; i++)
		virDomainFree(doms[i]);
	free(doms);
	free(v);
	virConnectClose(c);
	return rc;
}

/* Which of @v's networks --network names (default the first). Return: index or -1. */
static int pick_net(const struct view *v, const char *want)
{
	if (!want)
		return v->pl.nnets ? 0 : -1;
	for (unsigned i = 0; i < v->pl.nnets; i++) {
		const struct meta_net *n = v->pl.nets[i].net;

		if (!strcmp(n->name, want) || !strcmp(n->id, want))
			return (int)i;
	}
	return -1;
}

/* The element of network @n inside the metadata root @root, or NULL. */
static xmlNodePtr find_net_node(xmlNodePtr root, const struct meta_net *n)
{
	if (!root || !root->ns || strcmp((const char *)root->ns->href, META_NS) != 0)
		return NULL;
	if (!strcmp((const char *)root->name, "network"))
		return root;
	for (xmlNodePtr c = root->children; c; c = c->next) {
		xmlChar *name, *id;
		bool match;

		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "network") != 0)
			continue;
		name = xmlGetNoNsProp(c, (const xmlChar *)"name");
		id = xmlGetNoNsProp(c, (const xmlChar *)"id");
		match = !strcmp(name ? (const char *)name : "", n->name) &&
			!strcmp(id ? (const char *)id : "", n->id);
		xmlFree(name);
		xmlFree(id);
		if (match)
			return c;
	}
	return NULL;
}

/*
 * virDomainGetMetadata() hands the element back without its namespace:
 * put every element of it into ours again, so the text is what the hook
 * reads (and libvirt stores it under our namespace anyway).
 */
static void adopt_ns(xmlNodePtr n, xmlNsPtr ns)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (!n->ns)
			xmlSetNs(n, ns);
		adopt_ns(n->children, ns);
	}
}

/* Take every element under @n out of any namespace (libvirt adds its own). */
static void drop_ns(xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlSetNs(n, NULL);
		if (n->nsDef) {
			xmlFreeNsList(n->nsDef);
			n->nsDef = NULL;
		}
		drop_ns(n->children);
	}
}

static char *dump(xmlDocPtr doc)
{
	xmlBufferPtr b = xmlBufferCreate();
	char *s = NULL;

	if (b && xmlNodeDump(b, doc, xmlDocGetRootElement(doc), 0, 0) >= 0)
		s = strdup((const char *)xmlBufferContent(b));
	xmlBufferFree(b);
	return s;
}

/*
 * Add (or remove) a forward in the metadata element @meta for network @n.
 * Return: 0 with the new element in *@store (no namespace, as
 * virDomainSetMetadata() takes it) and *@check (in ours, as the hook reads
 * it), both to free(); -ENOENT when a removed forward is not there;
 * -EINVAL (@err says why); -ENOMEM.
 */
static int edit_forward(const char *meta, const struct meta_net *n, bool add, const char *proto,
			const char *host, const char *guest, char **store, char **check, char *err,
			size_t errlen)
{
	xmlDocPtr doc = xmlReadMemory(meta, (int)strlen(meta), "metadata.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL, net;
	xmlNsPtr ns;
	int r = 0;

	*store = *check = NULL;
	if (!root) {
		snprintf(err, errlen, "the domain's vgate metadata is not XML");
		r = -EINVAL;
		goto out;
	}
	drop_ns(root);
	ns = xmlNewNs(root, (const xmlChar *)META_NS, (const xmlChar *)"vgate");
	if (!ns) {
		r = -ENOMEM;
		goto out;
	}
	adopt_ns(root, ns);
	net = find_net_node(root, n);
	if (!net) {
		snprintf(err, errlen, "the domain's vgate metadata has no such network");
		r = -EINVAL;
		goto out;
	}
	if (add) {
		xmlNodePtr f = xmlNewChild(net, ns, (const xmlChar *)"forward", NULL);

		if (!f || !xmlNewProp(f, (const xmlChar *)"proto", (const xmlChar *)proto) ||
		    !xmlNewProp(f, (const xmlChar *)"host", (const xmlChar *)host) ||
		    !xmlNewProp(f, (const xmlChar *)"guest", (const xmlChar *)guest)) {
			r = -ENOMEM;
			goto out;
		}
	} else {
		xmlNodePtr c = net->children, next;
		bool found = false;

		for (; c; c = next) {
			xmlChar *p, *h;
			bool match;

			next = c->next;
			if (c->type != XML_ELEMENT_NODE ||
			    strcmp((const char *)c->name, "forward") != 0)
				continue;
			p = xmlGetNoNsProp(c, (const xmlChar *)"proto");
			h = xmlGetNoNsProp(c, (const xmlChar *)"host");
			match = !strcmp(p ? (const char *)p : "tcp", proto) && h &&
				!strcmp((const char *)h, host);
			xmlFree(p);
			xmlFree(h);
			if (match) {
				xmlUnlinkNode(c);
				xmlFreeNode(c);
				found = true;
			}
		}
		if (!found) {
			snprintf(err, errlen, "the metadata has no forward %s %s", proto, host);
			r = -ENOENT;
			goto out;
		}
	}
	*check = dump(doc);
	drop_ns(root);
	*store = dump(doc);
	if (!*check || !*store) {
		free(*check);
		free(*store);
		*check = *store = NULL;
		r = -ENOMEM;
	}
out:
	xmlFreeDoc(doc);
	return r;
}

/*
 * Edit the metadata of @dom as @flags (VIR_DOMAIN_AFFECT_CONFIG or _LIVE)
 * sees it, check it with the hook's parser, and (@write) store it.
 * @found_fwd: the forward as parsed back (add only).
 */
static int edit_and_store(virDomainPtr dom, unsigned flags, const struct meta_net *n, bool add,
			  const char *proto, const char *host, const char *guest, bool write,
			  struct meta_forward *found_fwd, char *err, size_t errlen)
{
	char *meta = virDomainGetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, META_NS, flags);
	char *edited = NULL, *text = NULL;
	struct meta_domain *check = NULL;
	int r;

	if (!meta) {
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
		return -EIO;
	}
	r = edit_forward(meta, n, add, proto, host, guest, &edited, &text, err, errlen);
	free(meta);
	if (r < 0)
		return r;
	check = calloc(1, sizeof(*check));
	r = check ? meta_parse_element(text, strlen(text), check, err, errlen) : -ENOMEM;
	if (!r && add && found_fwd) {
		/* The new forward is the last of its network's. */
		for (unsigned i = 0; i < check->nnets; i++) {
			const struct meta_net *cn = &check->nets[i];

			if (!strcmp(cn->name, n->name) && !strcmp(cn->id, n->id) && cn->nforwards)
				*found_fwd = cn->forwards[cn->nforwards - 1];
		}
	}
	if (!r && write &&
	    virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, edited, "vgate", META_NS,
				 flags) < 0) {
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
		r = -EIO;
	}
	free(check);
	free(edited);
	free(text);
	return r;
}

static int exit_for(int r)
{
	if (r == -ECONNREFUSED)
		return EXIT_CONNECT;
	return r == -EINVAL || r == -ENOENT ? EXIT_USAGE : EXIT_ERR;
}

int ctl_virt_forward(const struct ctl_virt_args *a)
{
	const char *proto = a->protocol ? a->protocol : "tcp";
	struct meta_forward f;
	virConnectPtr c;
	virDomainPtr dom;
	struct view *v;
	char err[768];
	bool add, active, persistent;
	int r, i, rc = EXIT_OK;

	if (a->nargs < 1 || (strcmp(a->args[0], "add") != 0 && strcmp(a->args[0], "remove") != 0))
		return say(EXIT_USAGE, "forward takes add or remove");
	add = !strcmp(a->args[0], "add");
	if (a->nargs != (add ? 3 : 2))
		return say(EXIT_USAGE,
			   add ? "forward add takes HOST GUEST" : "forward remove takes HOST");
	if (!a->domain)
		return say(EXIT_USAGE, "forward %s needs --domain NAME", a->args[0]);
	c = open_conn(a, a->persist);
	if (!c)
		return EXIT_CONNECT;
	dom = virDomainLookupByName(c, a->domain);
	v = calloc(1, sizeof(*v));
	if (!dom || !v) {
		rc = virt_error(EXIT_ERR, a->domain);
		goto out;
	}
	active = virDomainIsActive(dom) == 1;
	persistent = virDomainIsPersistent(dom) == 1;
	r = load_view(dom, v, err, sizeof(err));
	if (r <= 0) {
		rc = say(EXIT_ERR, "domain %s: %s", a->domain, r ? err : "no vgate metadata");
		goto out;
	}
	i = pick_net(v, a->network);
	if (i < 0) {
		rc = say(EXIT_USAGE, "domain %s has no vgate network %s", a->domain,
			 a->network ? a->network : "");
		goto out;
	}
	if (!active && !a->persist) {
		rc = say(EXIT_ERR,
			 "domain %s is not running (--persist records the forward for "
			 "its next start)",
			 a->domain);
		goto out;
	}
	if (a->persist && !persistent && !active) {
		rc = say(EXIT_ERR, "domain %s is neither running nor defined", a->domain);
		goto out;
	}
	/* Check it against the metadata first: what the hook would refuse is refused now. */
	memset(&f, 0, sizeof(f));
	r = edit_and_store(dom, active ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG,
			   v->pl.nets[i].net, add, proto, a->args[1], add ? a->args[2] : "", false,
			   &f, err, sizeof(err));
	if (r < 0) {
		rc = say(exit_for(r), "forward %s %s: %s", proto, a->args[1], err);
		goto out;
	}
	if (!add) {
		snprintf(f.host, sizeof(f.host), "%s", a->args[1]);
		f.proto = !strcmp(proto, "udp")	   ? META_UDP
			  : !strcmp(proto, "unix") ? META_UNIX
						   : META_TCP;
	}
	if (active) {
		r = add ? runtime_forward_add(&v->pl.nets[i], a->domain, &f, err, sizeof(err))
			: runtime_forward_remove(&v->pl.nets[i], a->domain, &f, err, sizeof(err));
		if (r < 0) {
			rc = say(r == -ECONNREFUSED ? EXIT_CONNECT : EXIT_ERR, "domain %s: %s",
				 a->domain, err);
			goto out;
		}
	}
	for (int k = 0; a->persist && k < 2; k++) {
		unsigned flags = k ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG;

		if ((k && !active) || (!k && !persistent))
			continue;
		r = edit_and_store(dom, flags, v->pl.nets[i].net, add, proto, a->args[1],
				   add ? a->args[2] : "", true, NULL, err, sizeof(err));
		if (r < 0 && !(r == -ENOENT && !add)) {
			rc = say(EXIT_ERR, "domain %s: recording the forward: %s", a->domain, err);
			goto out;
		}
	}
	if (add) {
		char remote[64] = "?";

		plan_forward_remote(&v->pl.nets[i], &f, remote, sizeof(remote));
		printf("%s %s %s -> %s%s%s\n", active ? "forwarding" : "recorded", proto,
		       a->args[1], remote, active && a->persist ? " (recorded)" : "",
		       !a->persist ? " (until the domain stops)" : "");
	} else {
		printf("removed %s %s%s\n", proto, a->args[1],
		       a->persist ? " (and its record)" : "");
	}
out:
	free(v);
	if (dom)
		virDomainFree(dom);
	virConnectClose(c);
	return rc;
}

/* A locally administered random MAC in QEMU's 52:54:00 range. */
static void random_mac(char out[18])
{
	uint8_t m[6] = { 0x52, 0x54, 0x00, 0, 0, 0 };

	if (getrandom(m + 3, 3, 0) != 3)
		m[5] = (uint8_t)getpid();
	meta_mac_format(m, out);
}

/* A free TCP port on 127.0.0.1 (in this network namespace). Return: port or 0. */
static unsigned free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	unsigned port = 0;

	if (fd < 0)
		return 0;
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Ask vgate (API @api) to listen for QEMU on 127.0.0.1:@port. */
static int open_listener(const char *api, unsigned port, int timeout_ms, char *err, size_t errlen)
{
	struct http_client_response r;
	char body[96];
	bool connected = false;
	int e;

	snprintf(body, sizeof(body), "{\"url\":\"tcp://127.0.0.1:%u\"}", port);
	e = http_client_request(api, "POST", "/v1/listeners", body, strlen(body), timeout_ms,
				&connected, &r);
	if (e < 0) {
		snprintf(err, errlen, "%s: %s", api, strerror(-e));
		return connected ? -EIO : -ECONNREFUSED;
	}
	e = r.status == 200 ? 0 : -EIO;
	if (e)
		snprintf(err, errlen,
			 r.status == 404
				 ? "this vgate cannot open a listener at run time: give the "
				   "network a port attribute"
				 : "vgate answered %d to POST /v1/listeners: %.200s",
			 r.status, r.body);
	http_client_response_free(&r);
	return e;
}

int ctl_virt_attach(const struct ctl_virt_args *a)
{
	char mac[18], xml[512], err[768];
	virConnectPtr c;
	virDomainPtr dom;
	struct view *v;
	unsigned port, flags = VIR_DOMAIN_AFFECT_LIVE;
	uint8_t m[6];
	int i, r, rc = EXIT_OK;

	if (!a->domain || a->nargs)
		return say(EXIT_USAGE,
			   "attach takes --domain NAME (and --mac, --network, --persist)");
	if (a->mac && meta_mac_parse(a->mac, m) < 0)
		return say(EXIT_USAGE, "--mac %s: not a MAC address", a->mac);
	c = open_conn(a, true);
	if (!c)
		return EXIT_CONNECT;
	dom = virDomainLookupByName(c, a->domain);
	v = calloc(1, sizeof(*v));
	if (!dom || !v) {
		rc = virt_error(EXIT_ERR, a->domain);
		goto out;
	}
	if (virDomainIsActive(dom) != 1) {
		rc = say(EXIT_ERR, "domain %s is not running", a->domain);
		goto out;
	}
	r = load_view(dom, v, err, sizeof(err));
	if (r <= 0) {
		rc = say(EXIT_ERR, "domain %s: %s", a->domain, r ? err : "no vgate metadata");
		goto out;
	}
	i = pick_net(v, a->network);
	if (i < 0) {
		rc = say(EXIT_USAGE, "domain %s has no vgate network %s", a->domain,
			 a->network ? a->network : "");
		goto out;
	}
	port = v->pl.nets[i].net->port;
	if (!port && a->persist) {
		rc = say(EXIT_USAGE, "--persist needs the network's port attribute (a listener "
				     "opened now is gone after a restart)");
		goto out;
	}
	if (!port) {
		port = free_port();
		r = port ? open_listener(v->pl.nets[i].api, port, a->timeout_ms, err, sizeof(err))
			 : -EADDRINUSE;
		if (r < 0) {
			rc = say(r == -ECONNREFUSED ? EXIT_CONNECT : EXIT_ERR, "domain %s: %s",
				 a->domain, port ? err : "no free loopback port");
			goto out;
		}
	}
	if (a->mac)
		meta_mac_format(m, mac);
	else
		random_mac(mac);
	snprintf(xml, sizeof(xml),
		 "<interface type='client'><mac address='%s'/><source address='127.0.0.1' "
		 "port='%u'/><model type='virtio'/></interface>",
		 mac, port);
	if (a->persist)
		flags |= VIR_DOMAIN_AFFECT_CONFIG;
	if (virDomainAttachDeviceFlags(dom, xml, flags) < 0) {
		if (virGetLastErrorCode() == VIR_ERR_OPERATION_UNSUPPORTED)
			rc = say(
				EXIT_ERR,
				"attach: this libvirt cannot hot-plug an <interface type='client'> "
				"(%s); vgatectl attach --qmp SOCKET plugs a NIC through QEMU's "
				"monitor instead",
				virGetLastErrorMessage());
		else
			rc = virt_error(EXIT_ERR, "attach");
		goto out;
	}
	printf("attached %s to %s (vgate 127.0.0.1:%u)\n", mac, a->domain, port);
out:
	free(v);
	if (dom)
		virDomainFree(dom);
	virConnectClose(c);
	return rc;
}

int ctl_virt_detach(const struct ctl_virt_args *a)
{
	char mac[18] = "", xml[256], err[768];
	virConnectPtr c;
	virDomainPtr dom;
	struct view *v;
	unsigned flags = VIR_DOMAIN_AFFECT_LIVE;
	uint8_t m[6];
	int r, rc = EXIT_OK;

	if (!a->domain || a->nargs)
		return say(EXIT_USAGE, "detach takes --domain NAME (and --mac, --persist)");
	if (a->mac && meta_mac_parse(a->mac, m) < 0)
		return say(EXIT_USAGE, "--mac %s: not a MAC address", a->mac);
	c = open_conn(a, true);
	if (!c)
		return EXIT_CONNECT;
	dom = virDomainLookupByName(c, a->domain);
	v = calloc(1, sizeof(*v));
	if (!dom || !v) {
		rc = virt_error(EXIT_ERR, a->domain);
		goto out;
	}
	r = load_view(dom, v, err, sizeof(err));
	if (r <= 0) {
		rc = say(EXIT_ERR, "domain %s: %s", a->domain, r ? err : "no vgate metadata");
		goto out;
	}
	if (a->mac) {
		meta_mac_format(m, mac);
	} else {
		/* The domain's one client NIC (libvirt-managed) on a vgate port. */
		unsigned found = 0;

		for (unsigned i = 0; i < v->d.nnics; i++) {
			if (v->d.nics[i].kind == META_NIC_TCP && v->d.nics[i].has_mac) {
				meta_mac_format(v->d.nics[i].mac, mac);
				found++;
			}
		}
		if (found != 1) {
			rc = say(EXIT_USAGE, "domain %s has %u client NICs: say which with --mac",
				 a->domain, found);
			goto out;
		}
	}
	snprintf(xml, sizeof(xml), "<interface type='client'><mac address='%s'/></interface>", mac);
	if (a->persist)
		flags |= VIR_DOMAIN_AFFECT_CONFIG;
	if (virDomainDetachDeviceFlags(dom, xml, flags) < 0) {
		rc = virt_error(EXIT_ERR, "detach");
		goto out;
	}
	printf("detached %s from %s\n", mac, a->domain);
out:
	free(v);
	if (dom)
		virDomainFree(dom);
	virConnectClose(c);
	return rc;
}

#else /* !CTL_HAVE_LIBVIRT */

static int no_libvirt(void)
{
	return say(EXIT_ERR, "built without libvirt (install libvirt-dev and rebuild)");
}

int ctl_virt_domains(const struct ctl_virt_args *a)
{
	(void)a;
	return no_libvirt();
}

int ctl_virt_forward(const struct ctl_virt_args *a)
{
	(void)a;
	return no_libvirt();
}

int ctl_virt_attach(const struct ctl_virt_args *a)
{
	(void)a;
	return no_libvirt();
}

int ctl_virt_detach(const struct ctl_virt_args *a)
{
	(void)a;
	return no_libvirt();
}

#endif

/* "--opt=value" or "--opt value". Return: the value or NULL; *@i moves past it. */
static const char *opt(const char *arg, const char *name, int argc, char **argv, int *i,
		       bool *missing)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n])
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}

int ctl_virt_main(int argc, char **argv)
{
	static const char *words[256];
	struct ctl_virt_args a = { .timeout_ms = 10000, .args = words };
	const char *cmd, *v, *unknown = NULL, *foreign = NULL;
	bool only_args = false;
	int nwords = 0, r;

	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		bool missing = false;

		if (only_args || s[0] != '-' || !strcmp(s, "-")) {
			if (nwords == (int)(sizeof(words) / sizeof(words[0])))
				return -1;
			words[nwords++] = s;
			continue;
		}
		if (!strcmp(s, "--")) {
			only_args = true;
		} else if (!strcmp(s, "--json")) {
			a.json = true;
		} else if (!strcmp(s, "--persist")) {
			a.persist = true;
		} else if ((v = opt(s, "--domain", argc, argv, &i, &missing))) {
			a.domain = v;
		} else if ((v = opt(s, "--connect", argc, argv, &i, &missing))) {
			a.connect = v;
		} else if ((v = opt(s, "--protocol", argc, argv, &i, &missing))) {
			a.protocol = v;
		} else if ((v = opt(s, "--network", argc, argv, &i, &missing))) {
			a.network = v;
		} else if ((v = opt(s, "--mac", argc, argv, &i, &missing))) {
			a.mac = v;
		} else if ((v = opt(s, "--timeout", argc, argv, &i, &missing))) {
			char *end;
			unsigned long secs = strtoul(v, &end, 10);

			if (*end || secs < 1 || secs > 3600)
				return -1; /* vgatectl's parser says why */
			a.timeout_ms = (int)secs * 1000;
		} else if (opt(s, "--socket", argc, argv, &i, &missing) ||
			   opt(s, "--qmp", argc, argv, &i, &missing) ||
			   opt(s, "--file", argc, argv, &i, &missing) ||
			   opt(s, "--qemu-socket", argc, argv, &i, &missing) ||
			   opt(s, "--id", argc, argv, &i, &missing)) {
			foreign = s; /* another command's option */
		} else if (missing) {
			return -1; /* vgatectl's parser says "needs a value" */
		} else if (!unknown) {
			unknown = s;
		}
	}
	if (!nwords)
		return -1;
	cmd = words[0];
	if (strcmp(cmd, "domains") != 0 && strcmp(cmd, "forward") != 0) {
		/* attach/detach are libvirt's with --domain, QMP's otherwise. */
		if ((strcmp(cmd, "attach") != 0 && strcmp(cmd, "detach") != 0) || !a.domain ||
		    foreign)
			return -1;
	}
	if (unknown || foreign)
		return say(EXIT_USAGE, "%s: not an option of %s", unknown ? unknown : foreign, cmd);
	if (a.protocol && strcmp(a.protocol, "tcp") != 0 && strcmp(a.protocol, "udp") != 0 &&
	    strcmp(a.protocol, "unix") != 0)
		return say(EXIT_USAGE, "--protocol %s: tcp, udp or unix", a.protocol);
	a.nargs = nwords - 1;
	a.args = words + 1;
	xmlInitParser();
	if (!strcmp(cmd, "domains"))
		r = a.nargs ? say(EXIT_USAGE, "domains takes no arguments") : ctl_virt_domains(&a);
	else if (!strcmp(cmd, "forward"))
		r = ctl_virt_forward(&a);
	else if (!strcmp(cmd, "attach"))
		r = ctl_virt_attach(&a);
	else
		r = ctl_virt_detach(&a);
	xmlCleanupParser();
	return r;
}
