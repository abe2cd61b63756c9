// SPDX-License-Identifier: MIT
/*
 * main.c - vgate-guest: the command line, then the forwarder or the agent
 *
 * Three ways in: "vgate-guest [flags]" carries the tap to vgate (guest.c);
 * "vgate-guest forward-ports [flags]" runs only the auto-forward agent;
 * and, when udhcpc runs vgate-guest as its script (VGATE_GUEST_SCRIPT=1
 * and one argument, the event), it applies the lease (extdhcp.c). Exit
 * status: 0 done (or stopped by a signal, or -stop-if-exist matched),
 * 1 a run-time failure (tap, netlink), 2 a usage error.
 */
#include "extdhcp.h"
#include "gopts.h"
#include "guest.h"
#include "log.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define COMP "vgate-guest"
#define VGATE_GUEST_VERSION "0.1.0"

/* -stop-if-exist: the name of the first listed interface that exists, or NULL. */
static const char *existing_iface(const char *list, char *buf, size_t cap)
{
	while (*list) {
		size_t n = strcspn(list, ",");

		if (n && n < cap && n < IFNAMSIZ) {
			memcpy(buf, list, n);
			buf[n] = '\0';
			if (if_nametoindex(buf))
				return buf;
		}
		list += n;
		if (*list == ',')
			list++;
	}
	return NULL;
}

/* write_pid_file() - our pid into @path. Return: 0 or -errno. */
static int write_pid_file(const char *path)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fprintf(f, "%d\n", (int)getpid());
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static struct gopts o;
	char err[512], name[IFNAMSIZ];
	int r, code;

	if (extdhcp_is_script_call(argc, argv))
		return extdhcp_script(argv[1]);
	if (gopts_parse(argc, argv, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "vgate-guest: %s\n", err);
		gopts_usage(stderr);
		return 2;
	}
	if (o.help) {
		gopts_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("vgate-guest version %s\n", VGATE_GUEST_VERSION);
		return 0;
	}
	if (o.debug)
		log_set_level(VLOG_DEBUG);
	if (o.log_file[0] && (r = log_open(o.log_file)) < 0) {
		fprintf(stderr, "vgate-guest: -log-file %s: %s\n", o.log_file, strerror(-r));
		return 2;
	}
	if (o.cmd == GOPTS_FORWARD && existing_iface(o.stop_if_exist, name, sizeof(name))) {
		log_info(COMP, "interface %s exists (-stop-if-exist): nothing to do", name);
		return 0;
	}
	if (o.pid_file[0] && (r = write_pid_file(o.pid_file)) < 0) {
		log_err(COMP, "-pid-file %s: %s", o.pid_file, strerror(-r));
		return 1;
	}
	log_info(COMP, "version %s", VGATE_GUEST_VERSION);
	code = o.cmd == GOPTS_FORWARD ? guest_forward(&o) : guest_forward_ports(&o);
	if (o.pid_file[0])
		unlink(o.pid_file);
	log_close();
	return code;
}
