/* SPDX-License-Identifier: MIT */
/*
 * proc.h - start, find and stop a detached vgate process
 *
 * A vgate started by the hook must outlive the hook and hold nothing of it:
 * libvirt reads the hook's stdout and stderr until EOF, so a daemon that
 * kept them would keep `virsh start` waiting. proc_spawn() therefore gives
 * the child a new session, /dev/null as stdin, stdout and stderr, no other
 * inherited descriptors, default signal dispositions and an empty signal
 * mask, and a fixed environment. A vgate is known by its pid file, and a
 * pid read from one is only trusted when /proc says that process is a
 * vgate started with that very pid file (pids are reused).
 */
#ifndef VGATE_HOOK_PROC_H
#define VGATE_HOOK_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* How long a vgate may take to answer its API after start. */
#define PROC_START_TIMEOUT_MS 10000
/* How long SIGTERM is given before SIGKILL. */
#define PROC_STOP_TIMEOUT_MS 5000

/*
 * proc_spawn() - start @argv (argv[0] an absolute path) detached
 * Return: 0 with the child's pid in *@pid (the caller is its parent until
 * it exits), or -errno of fork or exec (the child is gone then).
 */
int proc_spawn(char *const argv[], pid_t *pid);

/*
 * proc_wait_ready() - wait until the vgate @pid answers GET /v1/health on
 * @api, at most @timeout_ms
 * Return: 0; -ECHILD when it exited (*@status then holds its wait status);
 * -ETIMEDOUT (it is still running: the caller stops it).
 */
int proc_wait_ready(pid_t pid, const char *api, int timeout_ms, int *status);

/*
 * proc_running() - the vgate whose pid file is @pid_path, if it runs
 * Return: its pid, or 0 when the file is missing, stale or names another
 * process.
 */
pid_t proc_running(const char *pid_path);

/*
 * proc_is_vgate() - is @pid alive (not a zombie) and started with
 * "-pid-file=@pid_path"?
 */
bool proc_is_vgate(pid_t pid, const char *pid_path);

/*
 * proc_stop() - SIGTERM the vgate @pid (identified by @pid_path), wait
 * @timeout_ms, then SIGKILL and wait again (bounded)
 * Return: 0 once it is gone, -ETIMEDOUT if even SIGKILL did not end it.
 */
int proc_stop(pid_t pid, const char *pid_path, int timeout_ms);

/*
 * proc_health() - does the API socket @api answer GET /v1/health with 200?
 */
bool proc_health(const char *api, int timeout_ms);

#endif
