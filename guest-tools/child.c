// SPDX-License-Identifier: MIT
/*
 * child.c - posix_spawn with a clean signal state, pipes, reaping
 *
 * The environment of a child is vgate-guest's own plus at most
 * CHILD_ENV_EXTRA entries; the copy lives on the stack for the duration of
 * the spawn call only.
 */
#include "child.h"

#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Environment entries vgate-guest inherits into a child, and adds. */
#define CHILD_ENV_MAX 512
#define CHILD_ENV_EXTRA 16

/* Do two "NAME=value" entries set the same variable? */
static bool same_name(const char *a, const char *b)
{
	for (; *a && *a == *b; a++, b++)
		if (*a == '=')
			return true;
	return (!*a || *a == '=') && (!*b || *b == '=');
}

/* build_env() - the environment plus @extra (which wins) into @out */
static int build_env(char *const extra[], char **out, size_t cap)
{
	size_t n = 0, nextra = 0;

	while (extra && extra[nextra])
		nextra++;
	if (nextra > CHILD_ENV_EXTRA)
		return -E2BIG;
	for (size_t i = 0; environ[i]; i++) {
		bool overridden = false;

		for (size_t j = 0; j < nextra; j++)
			if (same_name(environ[i], extra[j]))
				overridden = true;
		if (overridden)
			continue;
		if (n + nextra + 1 >= cap)
			return -E2BIG;
		out[n++] = environ[i];
	}
	for (size_t j = 0; j < nextra; j++)
		out[n++] = extra[j];
	out[n] = NULL;
	return 0;
}

int child_spawn(const char *path, char *const argv[], char *const extra_env[], int in_fd,
		int out_fd, pid_t *pid)
{
	char *env[CHILD_ENV_MAX + CHILD_ENV_EXTRA + 1];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int r;

	r = build_env(extra_env, env, ARRAY_SIZE(env));
	if (r < 0)
		return r;
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	if (out_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	if (strchr(path, '/'))
		r = posix_spawn(pid, path, &fa, &attr, argv, env);
	else
		r = posix_spawnp(pid, path, &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return -r;
}

int child_spawn_stdio(const char *path, char *const argv[], pid_t *pid, int *rfd, int *wfd)
{
	int in[2], out[2];
	int r;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(out, O_CLOEXEC) < 0) {
		r = -errno;
		close(in[0]);
		close(in[1]);
		return r;
	}
	r = child_spawn(path, argv, NULL, in[0], out[1], pid);
	close(in[0]);
	close(out[1]);
	if (r == 0)
		r = fd_set_nonblock(in[1]);
	if (r == 0)
		r = fd_set_nonblock(out[0]);
	if (r < 0) {
		close(in[1]);
		close(out[0]);
		return r;
	}
	*wfd = in[1];
	*rfd = out[0];
	return 0;
}

int child_reap(pid_t pid, int *status)
{
	pid_t r;

	if (pid <= 0)
		return -ECHILD;
	do {
		r = waitpid(pid, status, WNOHANG);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	return r == pid ? 1 : 0;
}

const char *child_describe_status(int status, char *buf, size_t cap)
{
	if (WIFEXITED(status))
		snprintf(buf, cap, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, cap, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, cap, "wait status %#x", (unsigned)status);
	return buf;
}

bool child_which(const char *name, char *out, size_t cap)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/'))
		return snprintf(out, cap, "%s", name) < (int)cap && access(out, X_OK) == 0;
	if (!path || !*path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t dlen = colon ? (size_t)(colon - path) : strlen(path);
		struct stat st;
		int n = snprintf(out, cap, "%.*s/%s", (int)dlen, path, name);

		if (dlen && n > 0 && (size_t)n < cap && stat(out, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return true;
		path += dlen;
		if (*path == ':')
			path++;
	}
	return false;
}
