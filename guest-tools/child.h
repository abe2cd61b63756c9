/* SPDX-License-Identifier: MIT */
/*
 * child.h - spawning the programs vgate-guest runs (stdio peer, DHCP client)
 *
 * Children start through posix_spawn with an empty signal mask and default
 * dispositions (vgate-guest blocks its loop's signals and ignores SIGPIPE;
 * neither must leak into a child). They are reaped from the loop when
 * SIGCHLD arrives, by pid: vgate-guest never waits for a child it did not
 * start.
 */
#ifndef VGATE_CHILD_H
#define VGATE_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * child_spawn() - start @path with @argv
 * @path: the program; looked up in $PATH when it holds no '/'
 * @argv: NULL-terminated; argv[0] need not be @path (busybox applets)
 * @extra_env: NULL or NULL-terminated "K=V" entries added to the environment
 * @in_fd: the child's stdin, or -1 to inherit
 * @out_fd: the child's stdout, or -1 to inherit
 * @pid: set to the child's pid
 * Return: 0 or -errno (the program could not be executed).
 */
int child_spawn(const char *path, char *const argv[], char *const extra_env[], int in_fd,
		int out_fd, pid_t *pid);

/*
 * child_spawn_stdio() - start @path with pipes on its stdin and stdout
 * @rfd: set to the non-blocking read end of the child's stdout
 * @wfd: set to the non-blocking write end of the child's stdin
 * Return: 0 or -errno.
 */
int child_spawn_stdio(const char *path, char *const argv[], pid_t *pid, int *rfd, int *wfd);

/*
 * child_reap() - collect @pid if it has exited
 * @status: set to its wait status when it has
 * Return: 1 when reaped, 0 while it runs, -errno (-ECHILD: not ours).
 */
int child_reap(pid_t pid, int *status);

/* child_describe_status() - "exit status 3" / "killed by signal 9" into @buf */
const char *child_describe_status(int status, char *buf, size_t cap);

/*
 * child_which() - find @name in $PATH
 * @out: the full path found
 * Return: true when an executable file is there.
 */
bool child_which(const char *name, char *out, size_t cap);

#endif
