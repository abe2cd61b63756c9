/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what every vgatectl command shares: exit codes, messages, options
 *
 * vgatectl.c (the API commands), ctl_qmp.c (attach/detach --qmp) and
 * ctl_virt.c (the libvirt commands) answer with the same exit codes, word
 * their errors the same way and read "--opt value" / "--opt=value" alike.
 */
#ifndef VGATE_CTL_CLI_H
#define VGATE_CTL_CLI_H

#include <stdbool.h>

enum ctl_exit {
	EXIT_OK = 0,	  /* done (health: "ok") */
	EXIT_API = 1,	  /* the API or libvirt answered an error, or nothing usable */
	EXIT_USAGE = 2,	  /* bad command line; nothing was sent */
	EXIT_CONNECT = 3, /* vgate's API socket could not be connected to */
	EXIT_QMP = 4,	  /* the QMP socket could not be used */
};

/*
 * ctl_say() - "vgatectl: " and the message on stderr, and for EXIT_USAGE a
 * pointer to --help
 * Return: @code, so callers can `return ctl_say(...)`.
 */
__attribute__((format(printf, 2, 3))) int ctl_say(int code, const char *fmt, ...);

/*
 * ctl_opt_value() - the value of option @name in @arg: "--name=value", or
 * "--name" followed by the value in the next word (*@i then moves past it)
 * Return: the value; NULL when @arg is not @name, or when the value is
 * missing (then *@missing is set).
 */
const char *ctl_opt_value(const char *arg, const char *name, int argc, char **argv, int *i,
			  bool *missing);

#endif
