// SPDX-License-Identifier: MIT
/*
 * test_hook_proc.c - libvirt-hook/proc.c and the socket owner of runtime.c
 *
 * A stand-in daemon (a shell loop whose command line carries
 * "-pid-file=PATH", as vgate's does) is spawned detached: it runs in its
 * own session with /dev/null on fds 0-2 and no other descriptor of ours,
 * even one left open without close-on-exec. proc_running() trusts a pid
 * file only for that process: not for a missing or garbage file, a dead
 * pid, or a live process started with another pid file. proc_stop() ends
 * it, SIGKILL when SIGTERM is ignored. Exec failures come back as errno.
 * proc_wait_ready() reports an early exit with its status. Who QEMU runs
 * as: the DAC label, then qemu.conf's user/group, then root.
 */
#include "proc.h"
#include "runtime.h"
#include "testutil.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64], pidf[128];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_hook_proc.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(pidf, sizeof(pidf), "%s/vgate.pid", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_pid(pid_t pid)
{
	FILE *f = fopen(pidf, "w");

	assert_non_null(f);
	fprintf(f, "%d\n", (int)pid);
	fclose(f);
}

/* Spawn the stand-in: a shell loop (ignoring SIGTERM if asked). */
static pid_t spawn_standin(bool ignore_term)
{
	char arg[160];
	char *argv[] = { "/bin/sh", "-c",
			 ignore_term ? "trap '' TERM; while :; do sleep 0.05; done"
				     : "while :; do sleep 0.05; done",
			 arg, NULL };
	pid_t pid = 0;

	snprintf(arg, sizeof(arg), "-pid-file=%s", pidf);
	assert_int_equal(proc_spawn(argv, &pid), 0);
	assert_true(pid > 1);
	write_pid(pid);
	return pid;
}

static void test_spawn_detached(void **state)
{
	char path[64], link[PATH_MAX], stat[512];
	int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: must not reach the child */
	pid_t pid;
	ssize_t n;
	FILE *f;
	int sid = 0, fds = 0;

	(void)state;
	assert_true(leak > 2);
	pid = spawn_standin(false);
	close(leak);
	/*
	 * The stand-in's own fds: 0, 1, 2 on /dev/null, nothing else (once the
	 * dynamic loader, which opens libraries just after exec, is done).
	 */
	for (int tries = 0; tries < 250; tries++) {
		bool others = false;

		fds = 0;
		for (int fd = 0; fd < 64; fd++) {
			snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
			n = readlink(path, link, sizeof(link) - 1);
			if (n < 0)
				continue;
			link[n] = '\0';
			fds++;
			if (fd <= 2)
				assert_string_equal(link, "/dev/null");
			else
				others = true;
		}
		if (!others)
			break;
		usleep(20000);
	}
	assert_int_equal(fds, 3);
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(stat, sizeof(stat), f));
	fclose(f);
	assert_int_equal(sscanf(strrchr(stat, ')') + 2, "%*c %*d %*d %d", &sid), 1);
	assert_int_equal(sid, pid);

	assert_int_equal(proc_running(pidf), pid);
	assert_true(proc_is_vgate(pid, pidf));
	assert_int_equal(proc_stop(pid, pidf, PROC_STOP_TIMEOUT_MS), 0);
	assert_int_equal(proc_running(pidf), 0);
	waitpid(pid, NULL, WNOHANG);
}

static void test_stop_needs_kill(void **state)
{
	pid_t pid;

	(void)state;
	pid = spawn_standin(true);
	assert_int_equal(proc_running(pidf), pid);
	/* SIGTERM is ignored: SIGKILL after the (short) bound. */
	assert_int_equal(proc_stop(pid, pidf, 300), 0);
	waitpid(pid, NULL, 0);
	assert_false(proc_is_vgate(pid, pidf));
}

static void test_pid_file_trust(void **state)
{
	char other[160];
	pid_t pid;

	(void)state;
	assert_int_equal(proc_running(pidf), 0); /* missing */
	write_pid(getpid());			 /* alive, but not started with this pid file */
	assert_int_equal(proc_running(pidf), 0);
	write_pid(1);
	assert_int_equal(proc_running(pidf), 0);
	write_pid(4194303);
	assert_int_equal(proc_running(pidf), 0);
	{
		FILE *f = fopen(pidf, "w");

		fputs("12abc\n", f);
		fclose(f);
		assert_int_equal(proc_running(pidf), 0);
	}
	pid = spawn_standin(false);
	snprintf(other, sizeof(other), "%s/other.pid", dir);
	assert_false(proc_is_vgate(pid, other));
	/* Stopping with the wrong pid file does nothing. */
	assert_int_equal(proc_stop(pid, other, 100), 0);
	assert_true(proc_is_vgate(pid, pidf));
	assert_int_equal(proc_stop(pid, pidf, PROC_STOP_TIMEOUT_MS), 0);
	waitpid(pid, NULL, 0);
}

static void test_spawn_failures(void **state)
{
	char *missing[] = { "/nonexistent/vgate", NULL };
	char plain[128];
	char *notexec[] = { plain, NULL };
	char *exits[] = { "/bin/sh", "-c", "exit 3", NULL };
	pid_t pid = 0;
	int status = 0;

	(void)state;
	snprintf(plain, sizeof(plain), "%s/plain", dir);
	close(open(plain, O_WRONLY | O_CREAT, 0644));
	assert_int_equal(proc_spawn(missing, &pid), -ENOENT);
	assert_int_equal(proc_spawn(notexec, &pid), -EACCES);
	assert_int_equal(proc_spawn(exits, &pid), 0);
	assert_int_equal(proc_wait_ready(pid, "/nonexistent/api.sock", 5000, &status), -ECHILD);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_false(proc_health("/nonexistent/api.sock", 100));
}

static void test_socket_owner(void **state)
{
	char conf[128];
	uid_t uid;
	gid_t gid;
	FILE *f;

	(void)state;
	runtime_socket_owner("+1234:+5678", NULL, &uid, &gid);
	assert_int_equal(uid, 1234);
	assert_int_equal(gid, 5678);
	runtime_socket_owner("root:root", NULL, &uid, &gid);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 0);
	snprintf(conf, sizeof(conf), "%s/qemu.conf", dir);
	f = fopen(conf, "w");
	assert_non_null(f);
	fputs("# user = \"nobody\"\n#group = \"x\"\nuser = \"+0\"\n  group =  \"+42\"\n", f);
	fclose(f);
	runtime_socket_owner("", conf, &uid, &gid);
	assert_int_equal(uid, 0);
	assert_int_equal(gid, 42);
	runtime_socket_owner("garbage", conf, &uid, &gid);
	assert_int_equal(gid, 42);
	f = fopen(conf, "w");
	fputs("user = \"+77\"\n", f);
	fclose(f);
	runtime_socket_owner(NULL, conf, &uid, &gid);
	assert_int_equal(uid, 77);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_spawn_detached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_needs_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pid_file_trust, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spawn_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_socket_owner, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
