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
 *   attach   libvirt 9.0 cannot hot-plug the NIC types that reach vgate
 *            through a socket (<interface type='client'>: "not implemented
 *            yet"), but it can hot-plug an <interface type='ethernet'> on a
 *            tap that exists (<target dev='TAP' managed='no'/>): libvirt
 *            opens the tap and hands its fd to QEMU, and knows the NIC
 *            (virsh domiflist). So the domain's vgate makes a tap (POST
 *            /v1/taps) and serves it as a switch port, then
 *            virDomainAttachDeviceFlags() plugs it in (live). The NIC's
 *            host offloads are off: vgate reads the tap through a packet
 *            socket, which would see the guest's TSO frames unsegmented.
 *            The MAC is --mac, else a static lease of that vgate which no
 *            NIC of the domain and no port of the vgate uses (so the guest
 *            gets a known address), else a random one. When libvirt
 *            refuses, the tap is removed again. --persist: a tap lives only
 *            as long as its vgate, so the persistent definition gets an
 *            <interface type='client'> with the same MAC to the network's
 *            port instead, which the hook wires at the next start; a
 *            network without a port attribute refuses --persist.
 *   detach   virDomainDetachDeviceFlags() of the domain's ethernet NIC on a
 *            tap of its vgate (--mac or --tap say which; the only one
 *            otherwise). libvirt returns once it has asked the guest to let
 *            go, so vgatectl waits (CTL_DETACH_WAIT_MS, or --timeout if
 *            longer) until the live XML no longer lists the NIC, then
 *            removes the tap (POST /v1/taps/remove, tried again while QEMU
 *            still holds it). --persist also removes the client NIC of that
 *            MAC from the persistent definition. A tap left behind by a
 *            detach that timed out is removed by detach --tap once the NIC
 *            is gone.
 *
 * libvirt's own error printing is switched off; each failure is reported
 * once, with libvirt's last error message.
 *
 * Built without libvirt's headers (libvirt-dev missing), the commands say
 * so and exit 1; --domain still works.
 */
#include "ctl_virt.h"

#include "cli.h"

#include "meta.h"
#include "plan.h"
#include "proc.h"
#include "runtime.h"

#include "ctl_qmp.h"
#include "http_client.h"
#include "json_tree.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
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

/* Longest tap name (IFNAMSIZ - 1), as vgate's /v1/taps allows. */
#define CTL_TAP_NAME_MAX 15
/* detach waits this long at least for the guest to release the NIC (or --timeout). */
#define CTL_DETACH_WAIT_MS 30000
/* Pause between two looks at the domain's XML (or two tries to remove a tap). */
#define CTL_POLL_MS 200

const char ctl_virt_usage[] =
	"libvirt (domains whose <metadata> holds a vgate element; see libvirt-hook/README.md):\n"
	"  --domain NAME COMMAND          run COMMAND against that domain's vgate\n"
	"  domains [--connect URI]        domains with vgate metadata and their vgate state\n"
	"  forward add --domain NAME [--persist] [--protocol P] [--network N] HOST GUEST\n"
	"                                 forward HOST (127.0.0.1:8080) to GUEST (80 or\n"
	"                                 IP:80) now; --persist also records it in the\n"
	"                                 domain's metadata, so it survives a restart\n"
	"  forward remove --domain NAME [--persist] [--protocol P] [--network N] HOST\n"
	"  attach --domain NAME [--mac MAC] [--tap TAP] [--network N] [--persist]\n"
	"                                 hot-plug a NIC through libvirt: an <interface\n"
	"                                 type='ethernet'> on a tap the domain's vgate makes\n"
	"                                 (the MAC defaults to a free static lease); --persist\n"
	"                                 also adds a client NIC to the network's port to the\n"
	"                                 persistent definition\n"
	"  detach --domain NAME [--mac MAC | --tap TAP] [--network N] [--persist]\n"
	"                                 unplug it, wait for the guest to let go, then\n"
	"                                 remove the tap\n";

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

#if CTL_HAVE_LIBVIRT

static void quiet(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static int virt_error(int code, const char *what)
{
	const char *m = virGetLastErrorMessage();

	return ctl_say(code, "%s: %s", what, m && *m ? m : "failed");
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
		return virt_error(EXIT_API, "listing domains");
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
			ctl_say(EXIT_API, "domain %s: %s", name, err);
			rc = EXIT_API;
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
	return r == -EINVAL || r == -ENOENT ? EXIT_USAGE : EXIT_API;
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
		return ctl_say(EXIT_USAGE, "forward takes add or remove");
	add = !strcmp(a->args[0], "add");
	if (a->nargs != (add ? 3 : 2))
		return ctl_say(EXIT_USAGE,
			       add ? "forward add takes HOST GUEST" : "forward remove takes HOST");
	if (!a->domain)
		return ctl_say(EXIT_USAGE, "forward %s needs --domain NAME", a->args[0]);
	c = open_conn(a, a->persist);
	if (!c)
		return EXIT_CONNECT;
	dom = virDomainLookupByName(c, a->domain);
	v = calloc(1, sizeof(*v));
	if (!dom || !v) {
		rc = virt_error(EXIT_API, a->domain);
		goto out;
	}
	active = virDomainIsActive(dom) == 1;
	persistent = virDomainIsPersistent(dom) == 1;
	r = load_view(dom, v, err, sizeof(err));
	if (r <= 0) {
		rc = ctl_say(EXIT_API, "domain %s: %s", a->domain, r ? err : "no vgate metadata");
		goto out;
	}
	i = pick_net(v, a->network);
	if (i < 0) {
		rc = ctl_say(EXIT_USAGE, "domain %s has no vgate network %s", a->domain,
			     a->network ? a->network : "");
		goto out;
	}
	if (!active && !a->persist) {
		rc = ctl_say(EXIT_API,
			     "domain %s is not running (--persist records the forward for "
			     "its next start)",
			     a->domain);
		goto out;
	}
	if (a->persist && !persistent && !active) {
		rc = ctl_say(EXIT_API, "domain %s is neither running nor defined", a->domain);
		goto out;
	}
	/* Check it against the metadata first: what the hook would refuse is refused now. */
	memset(&f, 0, sizeof(f));
	r = edit_and_store(dom, active ? VIR_DOMAIN_AFFECT_LIVE : VIR_DOMAIN_AFFECT_CONFIG,
			   v->pl.nets[i].net, add, proto, a->args[1], add ? a->args[2] : "", false,
			   &f, err, sizeof(err));
	if (r < 0) {
		rc = ctl_say(exit_for(r), "forward %s %s: %s", proto, a->args[1], err);
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
			rc = ctl_say(r == -ECONNREFUSED ? EXIT_CONNECT : EXIT_API, "domain %s: %s",
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
			rc = ctl_say(EXIT_API, "domain %s: recording the forward: %s", a->domain,
				     err);
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

/* --- attach and detach: a tap of the domain's vgate, plugged in by libvirt ------------ */

/* A locally administered random MAC in QEMU's 52:54:00 range. */
static void random_mac(char out[18])
{
	uint8_t m[6] = { 0x52, 0x54, 0x00, 0, 0, 0 };

	if (getrandom(m + 3, 3, 0) != 3)
		m[5] = (uint8_t)getpid();
	meta_mac_format(m, out);
}

/*
 * One exchange with the vgate API @api. Return: 0 with the status in
 * *@status and, for a 2xx JSON answer, the parsed body in *@json (to
 * yajl_tree_free(); NULL otherwise) and otherwise its text in @err;
 * -ECONNREFUSED (not reached) or -EIO with @err saying why.
 */
static int api_call(const char *api, const char *method, const char *path, const char *body,
		    int timeout_ms, int *status, yajl_val *json, char *err, size_t errlen)
{
	struct http_client_response r;
	bool connected = false;
	int e;

	*json = NULL;
	e = http_client_request(api, method, path, body, body ? strlen(body) : 0, timeout_ms,
				&connected, &r);
	if (e < 0) {
		snprintf(err, errlen, "%s: %s", api, strerror(-e));
		return connected ? -EIO : -ECONNREFUSED;
	}
	*status = r.status;
	if (r.status >= 200 && r.status < 300) {
		char perr[128];

		*json = json_tree_parse(r.body, r.body_len, perr, sizeof(perr));
		if (!*json)
			snprintf(err, errlen, "%s %s: not JSON: %s", method, path, perr);
	} else {
		size_t n = strcspn(r.body, "\n");

		snprintf(err, errlen, "%.*s (HTTP %d from %s %s)", (int)MIN(n, (size_t)300), r.body,
			 r.status, method, path);
	}
	http_client_response_free(&r);
	return 0;
}

/* The tap-name rule vgate applies (taps_api.h), checked again before it goes into XML. */
static bool tap_name_ok(const char *s)
{
	size_t n = strnlen(s, CTL_TAP_NAME_MAX + 1);

	if (!n || n > CTL_TAP_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && c != '_' && (i == 0 || (c != '-' && c != '.')))
			return false;
	}
	return true;
}

/* A NIC of the domain, as its XML says. */
struct dom_nic {
	char type[16];			/* <interface type=...> */
	char dev[CTL_TAP_NAME_MAX + 1]; /* <target dev=...>, "" if none or too long */
	uint8_t mac[6];
	bool has_mac;
};

static void attr_copy(xmlNodePtr n, const char *attr, char *out, size_t len)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)attr);

	out[0] = '\0';
	if (v && strlen((const char *)v) < len)
		snprintf(out, len, "%s", (const char *)v);
	xmlFree(v);
}

/*
 * Every <interface> under /domain/devices of @xml into @out (at most @max).
 * Return: how many, or -EINVAL when @xml is not a domain.
 */
static int list_nics(const char *xml, struct dom_nic *out, unsigned max)
{
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	unsigned n = 0;

	if (!root || strcmp((const char *)root->name, "domain") != 0) {
		xmlFreeDoc(doc);
		return -EINVAL;
	}
	for (xmlNodePtr d = root->children; d; d = d->next) {
		if (d->type != XML_ELEMENT_NODE || strcmp((const char *)d->name, "devices") != 0)
			continue;
		for (xmlNodePtr i = d->children; i && n < max; i = i->next) {
			struct dom_nic *nic = &out[n];
			char mac[32];

			if (i->type != XML_ELEMENT_NODE ||
			    strcmp((const char *)i->name, "interface") != 0)
				continue;
			memset(nic, 0, sizeof(*nic));
			attr_copy(i, "type", nic->type, sizeof(nic->type));
			for (xmlNodePtr c = i->children; c; c = c->next) {
				if (c->type != XML_ELEMENT_NODE)
					continue;
				if (!strcmp((const char *)c->name, "mac")) {
					attr_copy(c, "address", mac, sizeof(mac));
					nic->has_mac = meta_mac_parse(mac, nic->mac) == 0;
				} else if (!strcmp((const char *)c->name, "target")) {
					attr_copy(c, "dev", nic->dev, sizeof(nic->dev));
				}
			}
			n++;
		}
	}
	xmlFreeDoc(doc);
	return (int)n;
}

/* The live NICs of @dom. Return: how many, or -EIO with @err. */
static int live_nics(virDomainPtr dom, struct dom_nic *out, unsigned max, char *err, size_t errlen)
{
	char *xml = virDomainGetXMLDesc(dom, 0);
	int n;

	if (!xml) {
		snprintf(err, errlen, "%s", virGetLastErrorMessage());
		return -EIO;
	}
	n = list_nics(xml, out, max);
	free(xml);
	if (n < 0)
		snprintf(err, errlen, "libvirt's domain XML is not a domain");
	return n < 0 ? -EIO : n;
}

/*
 * The MAC for a new NIC: --mac, else the first static lease of the vgate
 * that neither a NIC of the domain nor a port of the vgate uses (so the
 * guest gets a known address, in @ip), else a random one.
 */
static int choose_mac(const struct ctl_virt_args *a, const char *api, const struct dom_nic *nics,
		      int nnics, char mac[18], char *ip, size_t iplen, char *err, size_t errlen)
{
	uint8_t used[META_NICS_MAX + 64][6], m[6];
	size_t nused = 0;
	yajl_val ports = NULL, leases = NULL;
	int status = 0, r;

	ip[0] = '\0';
	for (int i = 0; i < nnics; i++)
		if (nics[i].has_mac && nused < ARRAY_SIZE(used))
			memcpy(used[nused++], nics[i].mac, 6);
	if (a->mac) {
		meta_mac_parse(a->mac, m); /* checked before */
		for (size_t i = 0; i < nused; i++) {
			if (!memcmp(used[i], m, 6)) {
				snprintf(err, errlen, "a NIC of the domain has MAC %s already",
					 a->mac);
				return -EEXIST;
			}
		}
		meta_mac_format(m, mac);
		return 0;
	}
	r = api_call(api, "GET", "/v1/ports", NULL, a->timeout_ms, &status, &ports, err, errlen);
	if (r < 0)
		return r;
	for (size_t i = 0; YAJL_IS_ARRAY(ports) && i < ports->u.array.len; i++) {
		yajl_val pm = json_tree_get(ports->u.array.values[i], "mac");

		if (YAJL_IS_STRING(pm) && nused < ARRAY_SIZE(used) &&
		    meta_mac_parse(pm->u.string, used[nused]) == 0)
			nused++;
	}
	yajl_tree_free(ports);
	r = api_call(api, "GET", "/v1/leases", NULL, a->timeout_ms, &status, &leases, err, errlen);
	if (r < 0)
		return r;
	r = leases ? ctl_qmp_pick_mac(leases, (const uint8_t(*)[6])used, nused, m, ip, iplen)
		   : -ENOENT;
	yajl_tree_free(leases);
	if (!r)
		meta_mac_format(m, mac);
	else
		random_mac(mac);
	return 0;
}

/* Ask vgate for a tap (@want, or any). Return: 0 with its name in @name, or -errno with @err. */
static int tap_create(const char *api, const char *want, int timeout_ms,
		      char name[CTL_TAP_NAME_MAX + 1], char *err, size_t errlen)
{
	char body[64];
	yajl_val j, v;
	int status = 0, r;

	if (want)
		snprintf(body, sizeof(body), "{\"name\":\"%s\"}", want);
	else
		snprintf(body, sizeof(body), "{}");
	r = api_call(api, "POST", "/v1/taps", body, timeout_ms, &status, &j, err, errlen);
	if (r < 0)
		return r;
	if (status == 404) {
		snprintf(err, errlen,
			 "this vgate cannot create taps (it has no /v1/taps: too old)");
		return -ENOTSUP;
	}
	if (!j)
		return -EIO;
	v = json_tree_get(j, "name");
	r = YAJL_IS_STRING(v) && tap_name_ok(v->u.string) ? 0 : -EPROTO;
	if (!r)
		snprintf(name, CTL_TAP_NAME_MAX + 1, "%s", v->u.string);
	else
		snprintf(err, errlen, "POST /v1/taps: no usable \"name\" in the answer");
	yajl_tree_free(j);
	return r;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Remove tap @name through the API; while QEMU still holds it (409) try
 * again until @deadline (mono_ms()). Return: 0 or -errno with @err.
 */
static int tap_remove(const char *api, const char *name, int timeout_ms, int64_t deadline,
		      char *err, size_t errlen)
{
	char body[64];

	snprintf(body, sizeof(body), "{\"name\":\"%s\"}", name);
	for (;;) {
		yajl_val j;
		int status = 0, r;

		r = api_call(api, "POST", "/v1/taps/remove", body, timeout_ms, &status, &j, err,
			     errlen);
		yajl_tree_free(j);
		if (r < 0)
			return r;
		if (status == 200 || status == 404)
			return 0; /* 404: gone already */
		if (status != 409 || mono_ms() >= deadline)
			return -EIO;
		sleep_ms(CTL_POLL_MS);
	}
}

/*
 * nic_begin() - what attach and detach --domain (@verb) start with: check
 * the arguments (--mac into @m), connect to libvirt, find the running
 * domain, read its vgate metadata and pick the network
 * Return: EXIT_OK with everything set (the caller frees @v, @dom, @c), or
 * an exit code after saying why, with nothing left to free.
 */
static int nic_begin(const struct ctl_virt_args *a, const char *verb, uint8_t m[6],
		     virConnectPtr *cp, virDomainPtr *domp, struct view **vp,
		     const struct plan_net **pnp)
{
	char err[768];
	virConnectPtr c;
	virDomainPtr dom;
	struct view *v;
	int i, r, rc;

	if (!a->domain || a->nargs) {
		ctl_say(EXIT_USAGE,
			"%s takes --domain NAME (and --mac, --tap, --network, --persist)", verb);
		return EXIT_USAGE;
	}
	if (a->mac && meta_mac_parse(a->mac, m) < 0) {
		ctl_say(EXIT_USAGE, "--mac %s: not a MAC address", a->mac);
		return EXIT_USAGE;
	}
	if (a->tap && !tap_name_ok(a->tap)) {
		ctl_say(EXIT_USAGE, "--tap %s: 1 to %d letters, digits, '_', '-' or '.'", a->tap,
			CTL_TAP_NAME_MAX);
		return EXIT_USAGE;
	}
	c = open_conn(a, true);
	if (!c)
		return EXIT_CONNECT;
	dom = virDomainLookupByName(c, a->domain);
	v = calloc(1, sizeof(*v));
	if (!dom || !v) {
		virt_error(EXIT_API, a->domain);
		rc = EXIT_API;
		goto fail;
	}
	if (virDomainIsActive(dom) != 1) {
		ctl_say(EXIT_API, "domain %s is not running", a->domain);
		rc = EXIT_API;
		goto fail;
	}
	r = load_view(dom, v, err, sizeof(err));
	if (r <= 0) {
		ctl_say(EXIT_API, "domain %s: %s", a->domain, r ? err : "no vgate metadata");
		rc = EXIT_API;
		goto fail;
	}
	i = pick_net(v, a->network);
	if (i < 0) {
		ctl_say(EXIT_USAGE, "domain %s has no vgate network %s", a->domain,
			a->network ? a->network : "");
		rc = EXIT_USAGE;
		goto fail;
	}
	*cp = c;
	*domp = dom;
	*vp = v;
	*pnp = &v->pl.nets[i];
	return EXIT_OK;
fail:
	free(v);
	if (dom)
		virDomainFree(dom);
	virConnectClose(c);
	return rc;
}

int ctl_virt_attach(const struct ctl_virt_args *a)
{
	char mac[18], ip[64] = "", tap[CTL_TAP_NAME_MAX + 1] = "", xml[640], err[768];
	struct dom_nic nics[META_NICS_MAX];
	const struct plan_net *pn;
	virConnectPtr c;
	virDomainPtr dom;
	struct view *v;
	uint8_t m[6];
	int n, r, rc = EXIT_OK;

	rc = nic_begin(a, "attach", m, &c, &dom, &v, &pn);
	if (rc != EXIT_OK)
		return rc;
	if (a->persist && !pn->net->port) {
		rc = ctl_say(EXIT_USAGE,
			     "--persist needs the network's port attribute: the tap lives only as "
			     "long as this vgate, so the persistent definition gets an <interface "
			     "type='client'> to that port instead");
		goto out;
	}
	if (a->persist && virDomainIsPersistent(dom) != 1) {
		rc = ctl_say(EXIT_USAGE, "--persist: domain %s is not defined (transient)",
			     a->domain);
		goto out;
	}
	n = live_nics(dom, nics, META_NICS_MAX, err, sizeof(err));
	if (n < 0) {
		rc = ctl_say(EXIT_API, "domain %s: %s", a->domain, err);
		goto out;
	}
	r = choose_mac(a, pn->api, nics, n, mac, ip, sizeof(ip), err, sizeof(err));
	if (!r)
		r = tap_create(pn->api, a->tap, a->timeout_ms, tap, err, sizeof(err));
	if (r < 0) {
		rc = ctl_say(r == -ECONNREFUSED ? EXIT_CONNECT : EXIT_API, "domain %s: %s",
			     a->domain, err);
		goto out;
	}
	/* Offloads off: a packet socket would see the guest's unsegmented TSO frames. */
	snprintf(xml, sizeof(xml),
		 "<interface type='ethernet'><mac address='%s'/><target dev='%s' managed='no'/>"
		 "<model type='virtio'/><driver><host csum='off' gso='off' tso4='off' "
		 "tso6='off' ecn='off' ufo='off'/></driver><rom enabled='no'/></interface>",
		 mac, tap);
	if (virDomainAttachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		rc = virt_error(EXIT_API, "attach");
		if (tap_remove(pn->api, tap, a->timeout_ms, mono_ms(), err, sizeof(err)) < 0)
			ctl_say(EXIT_API, "attach: removing tap %s again: %s", tap, err);
		goto out;
	}
	printf("attached %s to %s (tap %s%s%s)\n", mac, a->domain, tap,
	       ip[0] ? ", static lease " : "", ip);
	if (a->persist) {
		snprintf(xml, sizeof(xml),
			 "<interface type='client'><mac address='%s'/><source address='127.0.0.1' "
			 "port='%u'/><model type='virtio'/></interface>",
			 mac, pn->net->port);
		if (virDomainAttachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
			rc = virt_error(EXIT_API, "attach --persist: the NIC is plugged in, but "
						  "recording it failed");
			goto out;
		}
		printf("recorded: from the next start an <interface type='client'> to "
		       "127.0.0.1:%u with MAC %s\n",
		       pn->net->port, mac);
	}
out:
	free(v);
	if (dom)
		virDomainFree(dom);
	virConnectClose(c);
	return rc;
}

/* Is @name one of the taps in GET /v1/taps's answer @taps? */
static bool tap_listed(yajl_val taps, const char *name)
{
	for (size_t i = 0; YAJL_IS_ARRAY(taps) && i < taps->u.array.len; i++) {
		yajl_val v = json_tree_get(taps->u.array.values[i], "name");

		if (YAJL_IS_STRING(v) && !strcmp(v->u.string, name))
			return true;
	}
	return false;
}

/* Does @dom still list a NIC with @mac on tap @tap? Return: 1, 0, or -EIO. */
static int still_plugged(virDomainPtr dom, const uint8_t mac[6], const char *tap)
{
	struct dom_nic nics[META_NICS_MAX];
	char err[256];
	int n = live_nics(dom, nics, META_NICS_MAX, err, sizeof(err));

	if (n < 0)
		return -EIO;
	for (int i = 0; i < n; i++)
		if (nics[i].has_mac && !memcmp(nics[i].mac, mac, 6) && !strcmp(nics[i].dev, tap))
			return 1;
	return 0;
}

int ctl_virt_detach(const struct ctl_virt_args *a)
{
	char mac[18] = "", xml[256], err[768], tap[CTL_TAP_NAME_MAX + 1] = "";
	struct dom_nic nics[META_NICS_MAX];
	const struct dom_nic *hit = NULL;
	const struct plan_net *pn;
	virConnectPtr c;
	virDomainPtr dom;
	struct view *v;
	yajl_val taps = NULL;
	uint8_t m[6];
	int64_t deadline;
	int n, r, status = 0, wait_ms, rc = EXIT_OK;
	unsigned found = 0;

	rc = nic_begin(a, "detach", m, &c, &dom, &v, &pn);
	if (rc != EXIT_OK)
		return rc;
	r = api_call(pn->api, "GET", "/v1/taps", NULL, a->timeout_ms, &status, &taps, err,
		     sizeof(err));
	if (r < 0 || !taps) {
		rc = ctl_say(r == -ECONNREFUSED ? EXIT_CONNECT : EXIT_API, "domain %s: %s",
			     a->domain, err);
		goto out;
	}
	n = live_nics(dom, nics, META_NICS_MAX, err, sizeof(err));
	if (n < 0) {
		rc = ctl_say(EXIT_API, "domain %s: %s", a->domain, err);
		goto out;
	}
	/* The domain's ethernet NICs on one of this vgate's taps, narrowed by --mac, --tap. */
	for (int k = 0; k < n; k++) {
		const struct dom_nic *d = &nics[k];

		if (strcmp(d->type, "ethernet") != 0 || !d->dev[0] || !d->has_mac ||
		    !tap_listed(taps, d->dev) || (a->mac && memcmp(d->mac, m, 6) != 0) ||
		    (a->tap && strcmp(d->dev, a->tap) != 0))
			continue;
		hit = d;
		found++;
	}
	if (!found && a->tap && tap_listed(taps, a->tap)) {
		/* Unplugged already (an earlier detach that timed out): only the tap is left. */
		r = tap_remove(pn->api, a->tap, a->timeout_ms, mono_ms(), err, sizeof(err));
		if (r < 0)
			rc = ctl_say(EXIT_API, "tap %s: %s", a->tap, err);
		else
			printf("removed tap %s (no NIC of %s uses it)\n", a->tap, a->domain);
		goto out;
	}
	if (!found) {
		rc = ctl_say(EXIT_API, "domain %s has no such NIC on a tap of its vgate",
			     a->domain);
		goto out;
	}
	if (found > 1) {
		rc = ctl_say(EXIT_USAGE,
			     "domain %s has %u NICs on taps of its vgate: say which with "
			     "--mac or --tap",
			     a->domain, found);
		goto out;
	}
	meta_mac_format(hit->mac, mac);
	memcpy(m, hit->mac, 6);
	snprintf(tap, sizeof(tap), "%s", hit->dev);
	snprintf(xml, sizeof(xml), "<interface type='ethernet'><mac address='%s'/></interface>",
		 mac);
	if (virDomainDetachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_LIVE) < 0) {
		rc = virt_error(EXIT_API, "detach");
		goto out;
	}
	/* libvirt returns once it asked; the guest must release the device first. */
	wait_ms = a->timeout_ms > CTL_DETACH_WAIT_MS ? a->timeout_ms : CTL_DETACH_WAIT_MS;
	deadline = mono_ms() + wait_ms;
	while ((r = still_plugged(dom, m, tap)) == 1 && mono_ms() < deadline)
		sleep_ms(CTL_POLL_MS);
	if (r != 0) {
		if (r > 0)
			ctl_say(EXIT_API, "detach: the guest did not release NIC %s within %d s",
				mac, wait_ms / 1000);
		else
			ctl_say(EXIT_API,
				"detach: NIC %s: the domain's XML cannot be read any more", mac);
		rc = ctl_say(EXIT_API,
			     "tap %s stays: vgatectl detach --domain %s --tap %s removes it "
			     "once libvirt no longer lists the NIC",
			     tap, a->domain, tap);
		goto out;
	}
	r = tap_remove(pn->api, tap, a->timeout_ms, deadline, err, sizeof(err));
	if (r < 0) {
		rc = ctl_say(r == -ECONNREFUSED ? EXIT_CONNECT : EXIT_API,
			     "detach: NIC %s is out, but tap %s stays: %s", mac, tap, err);
		goto out;
	}
	printf("detached %s from %s (tap %s removed)\n", mac, a->domain, tap);
	if (a->persist) {
		/* libvirt matches by MAC but parses the whole element: a source is required. */
		snprintf(xml, sizeof(xml),
			 "<interface type='client'><mac address='%s'/><source address='127.0.0.1' "
			 "port='%u'/></interface>",
			 mac, pn->net->port ? pn->net->port : 1);
		if (virDomainIsPersistent(dom) == 1 &&
		    virDomainDetachDeviceFlags(dom, xml, VIR_DOMAIN_AFFECT_CONFIG) == 0)
			printf("and removed from the persistent definition\n");
		else
			rc = virt_error(EXIT_API, "detach --persist: the persistent definition");
	}
out:
	yajl_tree_free(taps);
	free(v);
	if (dom)
		virDomainFree(dom);
	virConnectClose(c);
	return rc;
}

#else /* !CTL_HAVE_LIBVIRT */

static int no_libvirt(void)
{
	return ctl_say(EXIT_API, "built without libvirt (install libvirt-dev and rebuild)");
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
		} else if ((v = ctl_opt_value(s, "--domain", argc, argv, &i, &missing))) {
			a.domain = v;
		} else if ((v = ctl_opt_value(s, "--connect", argc, argv, &i, &missing))) {
			a.connect = v;
		} else if ((v = ctl_opt_value(s, "--protocol", argc, argv, &i, &missing))) {
			a.protocol = v;
		} else if ((v = ctl_opt_value(s, "--network", argc, argv, &i, &missing))) {
			a.network = v;
		} else if ((v = ctl_opt_value(s, "--mac", argc, argv, &i, &missing))) {
			a.mac = v;
		} else if ((v = ctl_opt_value(s, "--tap", argc, argv, &i, &missing))) {
			a.tap = v;
		} else if ((v = ctl_opt_value(s, "--timeout", argc, argv, &i, &missing))) {
			char *end;
			unsigned long secs = strtoul(v, &end, 10);

			if (*end || secs < 1 || secs > 3600)
				return -1; /* vgatectl's parser says why */
			a.timeout_ms = (int)secs * 1000;
		} else if (ctl_opt_value(s, "--socket", argc, argv, &i, &missing) ||
			   ctl_opt_value(s, "--qmp", argc, argv, &i, &missing) ||
			   ctl_opt_value(s, "--file", argc, argv, &i, &missing) ||
			   ctl_opt_value(s, "--qemu-socket", argc, argv, &i, &missing) ||
			   ctl_opt_value(s, "--id", argc, argv, &i, &missing)) {
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
		return ctl_say(EXIT_USAGE, "%s: not an option of %s", unknown ? unknown : foreign,
			       cmd);
	if (a.protocol && strcmp(a.protocol, "tcp") != 0 && strcmp(a.protocol, "udp") != 0 &&
	    strcmp(a.protocol, "unix") != 0)
		return ctl_say(EXIT_USAGE, "--protocol %s: tcp, udp or unix", a.protocol);
	a.nargs = nwords - 1;
	a.args = words + 1;
	xmlInitParser();
	if (!strcmp(cmd, "domains"))
		r = a.nargs ? ctl_say(EXIT_USAGE, "domains takes no arguments")
			    : ctl_virt_domains(&a);
	else if (!strcmp(cmd, "forward"))
		r = ctl_virt_forward(&a);
	else if (!strcmp(cmd, "attach"))
		r = ctl_virt_attach(&a);
	else
		r = ctl_virt_detach(&a);
	xmlCleanupParser();
	return r;
}
