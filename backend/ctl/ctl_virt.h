/* SPDX-License-Identifier: MIT */
/*
 * ctl_virt.h - vgatectl's libvirt commands
 *
 *   vgatectl --domain NAME COMMAND ...     any API command, on that domain's vgate
 *   vgatectl domains [--connect URI]       domains with vgate metadata, their vgate state
 *   vgatectl forward add --domain NAME [--persist] [--protocol P] [--network N] HOST GUEST
 *   vgatectl forward remove --domain NAME [--persist] [--protocol P] [--network N] HOST
 *   vgatectl attach --domain NAME [--mac MAC] [--tap TAP] [--network N] [--persist]
 *   vgatectl detach --domain NAME [--mac MAC | --tap TAP] [--network N] [--persist]
 *
 * They share libvirt-hook/'s metadata parser and planner (libvgatehook.a),
 * so vgatectl finds sockets and guest addresses exactly where the hook
 * puts them. Exit codes as vgatectl's: 0 ok, 1 error (libvirt's or the
 * API's), 2 usage, 3 cannot connect (libvirt or the vgate socket).
 */
#ifndef VGATE_CTL_VIRT_H
#define VGATE_CTL_VIRT_H

#include <stdbool.h>
#include <stddef.h>

struct ctl_virt_args {
	const char *domain;	 /* --domain NAME */
	const char *connect;	 /* --connect URI; NULL: libvirt's default */
	const char *protocol;	 /* --protocol tcp|udp|unix (forward) */
	const char *mac;	 /* --mac (attach, detach) */
	const char *tap;	 /* --tap NAME (attach, detach): the tap's name */
	const char *network;	 /* --network ID|NAME: which of the domain's networks */
	bool persist;		 /* --persist: also the domain's persistent definition */
	bool json;		 /* --json (domains) */
	int timeout_ms;		 /* API exchanges */
	const char *const *args; /* the words after the command */
	int nargs;
};

/*
 * ctl_virt_socket_for_domain() - the API socket of domain @name's vgate
 * ($VGATE_RUN_DIR, default /run/vgate, then NAME/api.sock). No libvirt
 * call: it works wherever the hook's state is.
 * Return: 0, or -EINVAL for a name the hook never serves (or too long).
 */
int ctl_virt_socket_for_domain(const char *name, char *out, size_t n);

/* ctl_virt_domains() - `vgatectl domains`. Return: an exit code. */
int ctl_virt_domains(const struct ctl_virt_args *a);

/* ctl_virt_forward() - `vgatectl forward add|remove`; args[0] is add or remove. */
int ctl_virt_forward(const struct ctl_virt_args *a);

/*
 * ctl_virt_attach(), ctl_virt_detach() - hot-plug through libvirt: an
 * <interface type='ethernet'> on a tap the domain's vgate makes (POST
 * /v1/taps), and out again (the tap removed once the guest let go).
 */
int ctl_virt_attach(const struct ctl_virt_args *a);
int ctl_virt_detach(const struct ctl_virt_args *a);

/*
 * ctl_virt_main() - the whole command line, for vgatectl's main(): handles
 * `domains`, `forward`, and `attach`/`detach` with --domain, parsing the
 * options itself (--domain, --connect, --persist, --protocol, --network,
 * --mac, --tap, --json, --timeout, --socket is refused).
 * Return: an exit code, or -1 when the line is not one of these commands.
 */
int ctl_virt_main(int argc, char **argv);

/* Usage lines for vgatectl --help. */
extern const char ctl_virt_usage[];

#endif
