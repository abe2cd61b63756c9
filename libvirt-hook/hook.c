// SPDX-License-Identifier: MIT
/*
 * hook.c - vgate-libvirt-hook: libvirt's qemu hook that runs each domain's vgate
 *
 * Theory of operation
 *
 * libvirtd runs every executable in /etc/libvirt/hooks/qemu.d/ as
 *   HOOK DOMAIN OPERATION SUB-OPERATION EXTRA
 * with the domain's full XML on stdin, waits for it to exit and reads its
 * stdout and stderr until EOF. A non-zero exit at "prepare begin" aborts
 * the start, and libvirt puts the hook's stderr into the error virsh shows.
 * The hook never calls back into libvirt (libvirtd holds the domain's lock
 * while it runs hooks).
 *
 *   prepare begin    validate the metadata and NIC wiring (plan.c), start
 *                    the domain's vgate processes and forwards (runtime.c),
 *                    exit once every vgate answers its API
 *   started begin    check that they still run
 *   stopped end,     stop them and remove their state (idempotent: both
 *   release end      come on every stop, and release also after a failed
 *                    start)
 *   reconnect begin  (libvirtd restarted) start again any that died
 *   migrate, restore print the XML unchanged (libvirt reads the hook's
 *                    stdout as the XML to use)
 *   anything else    nothing
 *
 * A domain whose XML does not mention the vgate namespace costs a read of
 * stdin and a byte search: no parse, no output, exit 0.
 *
 * `vgate-libvirt-hook --check [FILE]` validates a domain XML file (or
 * stdin) without starting anything and prints what prepare would run.
 *
 * Paths: state under /run/vgate and /run/vgate-net, vgate at
 * VGATE_BIN_DEFAULT; the environment variables VGATE_RUN_DIR,
 * VGATE_NET_DIR and VGATE_BIN override them (libvirt runs hooks with a
 * cleared environment, so a wrapper script must set them).
 */
#include "meta.h"
#include "plan.h"
#include "runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#ifndef VGATE_BIN_DEFAULT
#define VGATE_BIN_DEFAULT "/usr/local/bin/vgate"
#endif

#define PROG "vgate"

static void usage(FILE *f)
{
	fputs("usage: vgate-libvirt-hook DOMAIN OPERATION SUB-OPERATION EXTRA  (domain XML on "
	      "stdin)\n"
	      "       vgate-libvirt-hook --check [FILE]  validate a domain XML, print the plan\n"
	      "\n"
	      "Installed as /etc/libvirt/hooks/qemu.d/vgate, it starts a vgate for each domain\n"
	      "whose <metadata> holds a <vgate:network xmlns:vgate=\"" META_NS "\">\n"
	      "element, and stops it with the domain. Environment: VGATE_BIN "
	      "(default " VGATE_BIN_DEFAULT "),\n"
	      "VGATE_RUN_DIR (default " PLAN_RUN_DIR "), VGATE_NET_DIR (default " PLAN_NET_DIR
	      ").\n",
	      f);
}

/* Read all of @fd (at most META_XML_MAX + 1 bytes). Return: malloc'd buffer or NULL. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 65536, used = 0;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	for (;;) {
		ssize_t n;

		if (used == cap) {
			char *nb;

			if (cap > META_XML_MAX)
				break;
			cap *= 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return NULL;
			}
			buf = nb;
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	*len = used;
	return buf;
}

/* Copy @buf to stdout whole. */
static int pass_through(const char *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = write(STDOUT_FILENO, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 1;
		done += (size_t)n;
	}
	return 0;
}

static void paths_from_env(struct plan_paths *p)
{
	const char *run = getenv("VGATE_RUN_DIR"), *net = getenv("VGATE_NET_DIR"),
		   *bin = getenv("VGATE_BIN");

	p->run_dir = run && *run ? run : PLAN_RUN_DIR;
	p->net_dir = net && *net ? net : PLAN_NET_DIR;
	p->vgate_bin = bin && *bin ? bin : VGATE_BIN_DEFAULT;
}

/* Parse and plan. Return: 1 when the domain uses vgate, 0 when not, -1 after printing why. */
static int load(const char *xml, size_t len, const char *name, const struct plan_paths *p,
		struct meta_domain *d, struct plan *pl)
{
	char err[768];
	int r;

	if (!meta_quick_check(xml, len))
		return 0;
	r = meta_parse(xml, len, d, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, PROG ": domain %s: invalid vgate metadata: %s\n", name,
			r == -ENOMEM ? "out of memory" : err);
		return -1;
	}
	if (!d->has_vgate)
		return 0;
	if (!d->name[0] || (name[0] && strcmp(d->name, name) != 0))
		snprintf(d->name, sizeof(d->name), "%s", name);
	if (plan_build(d, p, pl, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": domain %s: %s\n", d->name, err);
		return -1;
	}
	return 1;
}

/* --check: print what prepare would run. */
static int check(const char *file, const struct plan_paths *p, struct meta_domain *d,
		 struct plan *pl)
{
	int fd = file ? open(file, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	size_t len = 0;
	char *xml;
	int r;

	if (fd < 0) {
		fprintf(stderr, PROG ": %s: %s\n", file, strerror(errno));
		return 1;
	}
	xml = read_all(fd, &len);
	if (file)
		close(fd);
	if (!xml)
		return 1;
	r = load(xml, len, "", p, d, pl);
	free(xml);
	if (r <= 0) {
		if (r == 0)
			printf("no vgate metadata: the hook leaves this domain alone\n");
		return r < 0 ? 1 : 0;
	}
	for (unsigned i = 0; i < pl->nnets; i++) {
		const struct plan_net *pn = &pl->nets[i];
		struct plan_argv a;
		char *cfg = NULL;

		printf("network %u: %s%s, state in %s\n", i + 1,
		       pn->shared ? "shared network " : "the domain's own",
		       pn->shared ? pn->net->name : "", pn->dir);
		for (unsigned k = 0; k < pn->nnics; k++)
			printf("  NIC %s: %s\n", pn->nics[k]->id[0] ? pn->nics[k]->id : "?",
			       pn->nics[k]->kind == META_NIC_STREAM ? pn->nics[k]->path : "tcp");
		if (plan_argv(pn, p, &a) < 0 || plan_config_json(pn, &cfg) < 0)
			return 1;
		printf("  command:");
		for (unsigned k = 0; k < a.n; k++)
			printf(" %s", a.v[k]);
		printf("\n  config.json:\n%s\n", cfg);
		for (unsigned k = 0; k < pn->net->nforwards; k++) {
			char remote[64] = "?";

			plan_forward_remote(pn, &pn->net->forwards[k], remote, sizeof(remote));
			printf("  forward %s %s -> %s\n",
			       plan_proto_name(pn->net->forwards[k].proto),
			       pn->net->forwards[k].host, remote);
		}
		plan_argv_free(&a);
		free(cfg);
	}
	return 0;
}

static int run_op(int argc, char **argv, const struct plan_paths *p, struct meta_domain *d,
		  struct plan *pl)
{
	const char *name = argv[1], *op = argv[2], *sub = argc > 3 ? argv[3] : "";
	char err[768], dir[META_PATH_MAX + 8];
	size_t len = 0;
	char *xml = read_all(STDIN_FILENO, &len);
	int r, rc = 0;

	if (!xml) {
		fprintf(stderr, PROG ": domain %s: out of memory\n", name);
		return 1;
	}
	if (!strcmp(op, "migrate") || !strcmp(op, "restore")) {
		rc = pass_through(xml, len);
	} else if (!strcmp(op, "prepare") && !strcmp(sub, "begin")) {
		r = load(xml, len, name, p, d, pl);
		if (r > 0 && runtime_start(d, pl, p, err, sizeof(err)) < 0) {
			fprintf(stderr, PROG ": domain %s: %s\n", d->name, err);
			r = -1;
		}
		rc = r < 0;
	} else if (!strcmp(op, "started") && !strcmp(sub, "begin")) {
		r = load(xml, len, name, p, d, pl);
		if (r > 0 && runtime_check(pl, err, sizeof(err)) < 0) {
			fprintf(stderr, PROG ": domain %s: %s\n", d->name, err);
			r = -1;
		}
		rc = r < 0;
	} else if ((!strcmp(op, "stopped") || !strcmp(op, "release")) && !strcmp(sub, "end")) {
		snprintf(dir, sizeof(dir), "%s/%s", p->run_dir, name);
		if ((meta_quick_check(xml, len) || access(dir, F_OK) == 0) &&
		    runtime_stop(name, p, err, sizeof(err)) < 0) {
			fprintf(stderr, PROG ": domain %s: %s\n", name, err);
			rc = 1;
		}
	} else if (!strcmp(op, "reconnect") && !strcmp(sub, "begin")) {
		r = load(xml, len, name, p, d, pl);
		if (r > 0 && runtime_reconnect(d, pl, p, err, sizeof(err)) < 0) {
			fprintf(stderr, PROG ": domain %s: %s\n", d->name, err);
			r = -1;
		}
		rc = r < 0;
	}
	free(xml);
	return rc;
}

int main(int argc, char **argv)
{
	struct plan_paths p;
	struct meta_domain *d;
	struct plan *pl;
	int rc;

	if (argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (!(argc >= 2 && !strcmp(argv[1], "--check") && argc <= 3) && argc < 4) {
		usage(stderr);
		return 2;
	}
	paths_from_env(&p);
	d = calloc(1, sizeof(*d));
	pl = calloc(1, sizeof(*pl));
	if (!d || !pl) {
		free(d);
		free(pl);
		fputs(PROG ": out of memory\n", stderr);
		return 1;
	}
	xmlInitParser();
	if (!strcmp(argv[1], "--check"))
		rc = check(argc == 3 ? argv[2] : NULL, &p, d, pl);
	else
		rc = run_op(argc, argv, &p, d, pl);
	xmlCleanupParser();
	free(d);
	free(pl);
	return rc;
}
