// SPDX-License-Identifier: MIT
/*
 * cli.c - exit codes, messages and option words shared by vgatectl's
 * commands (see cli.h)
 */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ctl_say(int code, const char *fmt, ...)
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

const char *ctl_opt_value(const char *arg, const char *name, int argc, char **argv, int *i,
			  bool *missing)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return NULL;
	if (arg[n] == '=')
		return arg + n + 1;
	if (arg[n] != '\0')
		return NULL;
	if (*i + 1 >= argc) {
		*missing = true;
		return NULL;
	}
	return argv[++*i];
}
