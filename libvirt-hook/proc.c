// SPDX-License-Identifier: MIT
/*
 * proc.c - start, find and stop a detached vgate process
 *
 * Theory of operation
 *
 * Starting: fork once; the child calls setsid(), puts /dev/null on fds 0-2,
 * closes every other descriptor but a close-on-exec status pipe, resets
 * signal mask and dispositions (libvirtd's ignored signals would survive
 * exec), sets umask 077 (vgate's pid file and log are root's only; the
 * hook opens qemu.sock to QEMU afterwards) and execs vgate with a fixed
 * environment. The pipe reports an exec failure as an errno; EOF means
 * vgate is running. The hook stays vgate's parent until it exits, so while
 * it waits for readiness an early exit is seen by waitpid() with its
 * status. Once the hook exits, vgate is re-parented and lives on alone.
 *
 * Readiness is the API answering GET /v1/health: vgate writes its pid file
 * and enters its loop only after every listener is open, so an answer
 * means QEMU can connect.
 *
 * Finding: the pid in a pid file is trusted only if /proc/PID/cmdline
 * holds the argument "-pid-file=PATH" for that very file (the hook always
 * passes it in that form), and the process is not a zombie. Stopping:
 * SIGTERM, poll that test every 20 ms up to the bound, then SIGKILL and
 * poll again (bounded).
 */
#include "proc.h"

#include "http_client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POLL_MS 20
#define HEALTH_TIMEOUT_MS 1000

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* In the child: become a daemon that holds nothing of the hook, then exec. */
static __attribute__((noreturn)) void child(char *const argv[], int status_fd)
{
	static char *const envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
				      "/sbin:/bin",
				      "LC_ALL=C", NULL };
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t none;
	int nul, e;

	setsid();
	nul = open("/dev/null", O_RDWR);
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0)
		goto fail;
	for (int fd = 3; fd < status_fd; fd++)
		close(fd);
	if (close_range((unsigned)status_fd + 1, ~0u, 0) < 0) {
		for (int fd = status_fd + 1; fd < 65536; fd++)
			close(fd);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);
	umask(077);
	if (chdir("/") < 0)
		goto fail;
	execve(argv[0], argv, envp);
fail:
	e = errno;
	if (write(status_fd, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

int proc_spawn(char *const argv[], pid_t *pid)
{
	int p[2], e = 0, hi;
	ssize_t n;
	pid_t c;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Keep the write end above 2, where the child's dup2s cannot hit it. */
	hi = fcntl(p[1], F_DUPFD_CLOEXEC, 3);
	close(p[1]);
	if (hi < 0) {
		e = -errno;
		close(p[0]);
		return e;
	}
	c = fork();
	if (c < 0) {
		e = -errno;
		close(p[0]);
		close(hi);
		return e;
	}
	if (c == 0) {
		close(p[0]);
		child(argv, hi);
	}
	close(hi);
	do
		n = read(p[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(p[0]);
	if (n > 0) {
		waitpid(c, NULL, 0);
		return e ? -e : -EIO;
	}
	*pid = c;
	return 0;
}

bool proc_health(const char *api, int timeout_ms)
{
	struct http_client_response r;
	bool connected = false;
	bool ok;

	if (http_client_request(api, "GET", "/v1/health", NULL, 0, timeout_ms, &connected, &r) < 0)
		return false;
	ok = r.status == 200;
	http_client_response_free(&r);
	return ok;
}

int proc_wait_ready(pid_t pid, const char *api, int timeout_ms, int *status)
{
	long deadline = mono_ms() + timeout_ms;

	for (;;) {
		pid_t w = waitpid(pid, status, WNOHANG);

		if (w == pid)
			return -ECHILD;
		if (proc_health(api, HEALTH_TIMEOUT_MS))
			return 0;
		if (mono_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_ms(POLL_MS);
	}
}

/* Read @path whole (small files only) into @buf. Return: bytes read, or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t n)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return (ssize_t)got;
}

bool proc_is_vgate(pid_t pid, const char *pid_path)
{
	char path[64], want[256], cmd[8192], stat[512];
	const char *rparen;
	ssize_t n;
	int w;

	if (pid <= 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	n = read_small(path, stat, sizeof(stat) - 1);
	if (n <= 0)
		return false;
	stat[n] = '\0';
	rparen = strrchr(stat, ')');
	if (!rparen || rparen[1] != ' ' || rparen[2] == 'Z' || rparen[2] == 'X')
		return false;
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	n = read_small(path, cmd, sizeof(cmd) - 1);
	if (n <= 0)
		return false;
	cmd[n] = '\0';
	w = snprintf(want, sizeof(want), "-pid-file=%s", pid_path);
	if (w < 0 || (size_t)w >= sizeof(want))
		return false;
	for (ssize_t i = 0; i < n; i += (ssize_t)strlen(cmd + i) + 1)
		if (!strcmp(cmd + i, want))
			return true;
	return false;
}

pid_t proc_running(const char *pid_path)
{
	char buf[32];
	ssize_t n = read_small(pid_path, buf, sizeof(buf) - 1);
	char *end;
	long v;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v <= 1 || v > 1 << 22)
		return 0;
	return proc_is_vgate((pid_t)v, pid_path) ? (pid_t)v : 0;
}

/* Wait until @pid is no longer our vgate. Return: true if it went in time. */
static bool wait_gone(pid_t pid, const char *pid_path, int timeout_ms)
{
	long deadline = mono_ms() + timeout_ms;

	for (;;) {
		/* Reap it if it is our child (a vgate that failed to get ready). */
		waitpid(pid, NULL, WNOHANG);
		if (!proc_is_vgate(pid, pid_path))
			return true;
		if (mono_ms() >= deadline)
			return false;
		sleep_ms(POLL_MS);
	}
}

int proc_stop(pid_t pid, const char *pid_path, int timeout_ms)
{
	if (!proc_is_vgate(pid, pid_path))
		return 0;
	kill(pid, SIGTERM);
	if (wait_gone(pid, pid_path, timeout_ms))
		return 0;
	kill(pid, SIGKILL);
	return wait_gone(pid, pid_path, timeout_ms) ? 0 : -ETIMEDOUT;
}
