// SPDX-License-Identifier: MIT
/*
 * runtime.c - start and stop a domain's vgate processes, shared networks,
 * forwards, and the state directories that record them
 *
 * Theory of operation
 *
 * State on disk is the truth. A domain that uses vgate has a directory
 * RUN_DIR/<domain>/ (0711: QEMU may reach the socket inside but not list
 * it) for as long as it runs; its own networks live there (the first in
 * the directory itself, others in subdirectories named by their id), and
 * a shared network lives in NET_DIR/<name>/ with a file
 * members/<domain> per domain on it that lists the forwards that domain
 * exposed there. Stopping reads only this state, never the domain XML, so
 * it also cleans up after a start that died half way or metadata that was
 * changed while the domain ran.
 *
 * Starting a network (plan.c chose the paths and arguments):
 *   1. write config.json and vgate.args;
 *   2. spawn vgate detached (proc.c) and wait until its API answers; if it
 *      exits first or does not answer in time, stop it and report the
 *      error lines of its log;
 *   3. give qemu.sock to the user QEMU runs as (mode 0660);
 *   4. expose the domain's forwards through the API.
 * Any failure stops everything this start began (runtime_stop()), so no
 * half-started vgate is left.
 *
 * Shared networks are changed under an exclusive flock() on NET_DIR, so two
 * domains starting at once do not both start the network. The first
 * member starts it; later members check that they ask for the same network
 * (config.json and vgate.args byte for byte) and only add their forwards;
 * the last member to leave stops it.
 */
#include "runtime.h"

#include "http_client.h"
#include "proc.h"
#include "request_body.h"
#include "util.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define API_TIMEOUT_MS 10000
#define MEMBERS "members"
#define QEMU_CONF "/etc/libvirt/qemu.conf"
/* Largest small file read back (config, args, member lists, log tail). */
#define SMALL_FILE_MAX (256 * 1024)
/* Deepest directory tree wipe() descends (domain dir / id dir / nothing more). */
#define WIPE_DEPTH_MAX 3

static __attribute__((format(printf, 3, 4))) int rerr(char *err, size_t errlen, const char *fmt,
						      ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *label(const struct plan_net *pn, char *buf, size_t n)
{
	if (pn->shared)
		snprintf(buf, n, "shared network %s", pn->net->name);
	else if (pn->net->id[0])
		snprintf(buf, n, "network %s", pn->net->id);
	else
		snprintf(buf, n, "vgate");
	return buf;
}

/* --- files and directories ------------------------------------------------------------ */

/* Make @path a directory of ours with @mode; refuse anything else there. */
static int ensure_dir(const char *path, mode_t mode, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(path, mode) < 0 && errno != EEXIST) {
		int e = -errno;

		rerr(err, errlen, "cannot create %s: %s", path, strerror(-e));
		return e;
	}
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		rerr(err, errlen, "%s exists and is not a directory", path);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		rerr(err, errlen, "%s is not vgate's (owned by uid %u, mode %03o)", path,
		     (unsigned)st.st_uid, (unsigned)(st.st_mode & 0777));
		return -EPERM;
	}
	if ((st.st_mode & 07777) != mode && chmod(path, mode) < 0)
		return -errno;
	return 0;
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	size_t len = strlen(text), done = 0;
	int e = 0;

	if (fd < 0)
		return -errno;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);

		if (n < 0) {
			e = -errno;
			break;
		}
		done += (size_t)n;
	}
	if (close(fd) < 0 && !e)
		e = -errno;
	return e;
}

/* Read a small file whole. Return: malloc'd text, or NULL (errno set). */
static char *read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	size_t got = 0;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(SMALL_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	while (got < SMALL_FILE_MAX) {
		ssize_t n = read(fd, buf + got, SMALL_FILE_MAX - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return buf;
}

/* Remove everything inside the directory @dfd (which is closed). */
static void wipe_fd(int dfd, int depth)
{
	DIR *d = fdopendir(dfd);
	struct dirent *e;

	if (!d) {
		close(dfd);
		return;
	}
	while ((e = readdir(d))) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(d), e->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (sub >= 0 && depth < WIPE_DEPTH_MAX)
				wipe_fd(sub, depth + 1);
			else if (sub >= 0)
				close(sub);
			unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
		} else {
			unlinkat(dirfd(d), e->d_name, 0);
		}
	}
	closedir(d);
}

/* Remove @path and everything in it (a directory of ours; a symlink is only unlinked). */
static int wipe(const char *path)
{
	int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	wipe_fd(dfd, 1);
	return rmdir(path) < 0 && errno != ENOENT ? -errno : 0;
}

/* --- the API --------------------------------------------------------------------------- */

/* POST @body to @route on @api. Return: 0, -ECONNREFUSED, or -EIO with the answer in @err. */
static int api_post(const char *api, const char *route, const char *body, char *err, size_t errlen)
{
	struct http_client_response r;
	bool connected = false;
	int e = http_client_request(api, "POST", route, body, strlen(body), API_TIMEOUT_MS,
				    &connected, &r);
	size_t n;

	if (e < 0) {
		rerr(err, errlen, "%s: %s", api, strerror(-e));
		return connected ? -EIO : -ECONNREFUSED;
	}
	if (r.status >= 200 && r.status < 300) {
		http_client_response_free(&r);
		return 0;
	}
	n = strcspn(r.body, "\r\n");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r.body[i] < 0x20)
			r.body[i] = '?';
	rerr(err, errlen, "vgate answered %d: %.*s", r.status, (int)MIN(n, (size_t)300), r.body);
	http_client_response_free(&r);
	return -EIO;
}

static int expose(const struct plan_net *pn, const struct meta_forward *f, char *err, size_t errlen)
{
	char remote[64], why[512];
	char *body = NULL;
	int r;

	if (plan_forward_remote(pn, f, remote, sizeof(remote)) < 0) {
		rerr(err, errlen, "forward %s %s: no guest address to send it to",
		     plan_proto_name(f->proto), f->host);
		return -ENOENT;
	}
	if (request_body_expose(f->host, remote, plan_proto_name(f->proto), &body) < 0)
		return -ENOMEM;
	r = api_post(pn->api, "/services/forwarder/expose", body, why, sizeof(why));
	free(body);
	if (r < 0)
		rerr(err, errlen, "forward %s %s -> %s: %s", plan_proto_name(f->proto), f->host,
		     remote, why);
	return r;
}

static int unexpose(const char *api, const char *proto, const char *host)
{
	char *body = NULL, why[512];
	int r;

	if (request_body_unexpose(host, proto, &body) < 0)
		return -ENOMEM;
	r = api_post(api, "/services/forwarder/unexpose", body, why, sizeof(why));
	free(body);
	return r;
}

/* --- one vgate -------------------------------------------------------------------------- */

/* The last error lines of @log (or its last line), for a start that failed. */
static void log_tail(const char *log, char *out, size_t n)
{
	char *text = read_text(log), *line, *save = NULL;
	size_t used = 0;

	out[0] = '\0';
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (!strstr(line, " error ") && !strstr(line, " warn "))
			continue;
		/* Drop the timestamp: "2026-...Z error comp: text" -> "comp: text". */
		const char *msg = strchr(line, ' ');

		msg = msg ? msg + 1 : line;
		msg += strspn(msg, "abcdefghijklmnopqrstuvwxyz");
		msg += strspn(msg, " ");
		used += (size_t)snprintf(out + used, n - used, "%s%s", used ? "; " : "", msg);
		if (used >= n)
			break;
	}
	free(text);
}

/* Join the argument list one word a line (vgate.args). */
static char *args_text(const struct plan_argv *a)
{
	size_t len = 1, used = 0;
	char *t;

	for (unsigned i = 0; i < a->n; i++)
		len += strlen(a->v[i]) + 1;
	t = malloc(len);
	if (!t)
		return NULL;
	for (unsigned i = 0; i < a->n; i++) {
		size_t n = strlen(a->v[i]);

		memcpy(t + used, a->v[i], n);
		used += n;
		t[used++] = '\n';
	}
	t[used] = '\0';
	return t;
}

static int own_socket(const char *path, uid_t uid, gid_t gid, char *err, size_t errlen)
{
	if (chown(path, uid, gid) < 0 || chmod(path, 0660) < 0) {
		int e = -errno;

		rerr(err, errlen, "cannot hand %s to uid %u: %s", path, (unsigned)uid,
		     strerror(-e));
		return e;
	}
	return 0;
}

/* Write the files, spawn, wait. On failure nothing of it runs. */
static int launch(const struct plan_net *pn, const struct plan_paths *p, const char *dac_label,
		  char *err, size_t errlen)
{
	char lbl[64], tail[600];
	struct plan_argv a = { .n = 0 };
	char *cfg = NULL, *args = NULL;
	int r, status = 0;
	uid_t uid;
	gid_t gid;
	pid_t pid;

	r = plan_config_json(pn, &cfg);
	if (!r)
		r = plan_argv(pn, p, &a);
	if (r < 0) {
		free(cfg);
		return r;
	}
	args = args_text(&a);
	r = args ? 0 : -ENOMEM;
	r = r ?: write_file(pn->config, cfg, 0600);
	r = r ?: write_file(pn->args, args, 0600);
	free(cfg);
	free(args);
	if (r < 0) {
		plan_argv_free(&a);
		return rerr(err, errlen, "cannot write %s: %s", pn->config, strerror(-r));
	}
	unlink(pn->log);
	r = proc_spawn(a.v, &pid);
	plan_argv_free(&a);
	if (r < 0) {
		rerr(err, errlen, "cannot run %s: %s", p->vgate_bin, strerror(-r));
		return r;
	}
	r = proc_wait_ready(pid, pn->api, PROC_START_TIMEOUT_MS, &status);
	if (r < 0) {
		if (r == -ETIMEDOUT)
			proc_stop(pid, pn->pid, PROC_STOP_TIMEOUT_MS);
		log_tail(pn->log, tail, sizeof(tail));
		if (r == -ETIMEDOUT)
			rerr(err, errlen, "%s did not answer on %s within %d s%s%s",
			     label(pn, lbl, sizeof(lbl)), pn->api, PROC_START_TIMEOUT_MS / 1000,
			     tail[0] ? ": " : "", tail);
		else
			rerr(err, errlen, "%s failed to start (exit status %d)%s%s",
			     label(pn, lbl, sizeof(lbl)),
			     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			     tail[0] ? ": " : "", tail);
		return -EIO;
	}
	runtime_socket_owner(dac_label, QEMU_CONF, &uid, &gid);
	r = own_socket(pn->qemu, uid, gid, err, errlen);
	if (r < 0)
		proc_stop(pid, pn->pid, PROC_STOP_TIMEOUT_MS);
	return r;
}

/* Stop the vgate whose state is in @dir (if any) and remove the directory. */
static int stop_dir(const char *dir, char *err, size_t errlen)
{
	char pidf[META_PATH_MAX + 16];
	pid_t pid;

	snprintf(pidf, sizeof(pidf), "%s/vgate.pid", dir);
	pid = proc_running(pidf);
	if (pid && proc_stop(pid, pidf, PROC_STOP_TIMEOUT_MS) < 0)
		return rerr(err, errlen, "vgate %d (%s) does not stop, even on SIGKILL", (int)pid,
			    dir);
	return wipe(dir);
}

/* --- shared networks ------------------------------------------------------------------- */

static int lock_nets(const struct plan_paths *p, char *err, size_t errlen)
{
	int r = ensure_dir(p->net_dir, 0711, err, errlen), fd;

	if (r < 0)
		return r;
	fd = open(p->net_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return rerr(err, errlen, "cannot lock %s: %s", p->net_dir, strerror(-r));
	}
	return fd;
}

static void unlock_nets(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the flock */
}

/* Do the files in @dir say the same as ours? */
static bool same_network(const struct plan_net *pn, const struct plan_paths *p)
{
	struct plan_argv a = { .n = 0 };
	char *cfg = NULL, *args = NULL, *old_cfg = read_text(pn->config),
	     *old_args = read_text(pn->args);
	bool same = false;

	if (old_cfg && old_args && !plan_config_json(pn, &cfg) && !plan_argv(pn, p, &a)) {
		args = args_text(&a);
		same = args && !strcmp(cfg, old_cfg) && !strcmp(args, old_args);
		plan_argv_free(&a);
	}
	free(cfg);
	free(args);
	free(old_cfg);
	free(old_args);
	return same;
}

static int member_path(const struct plan_net *pn, const char *name, char *out, size_t n)
{
	int w = snprintf(out, n, "%s/" MEMBERS "/%s", pn->dir, name);

	return w < 0 || (size_t)w >= n ? -ENAMETOOLONG : 0;
}

/* Append "PROTO HOST" to the member file of @name (creating it). */
static int member_record(const struct plan_net *pn, const char *name, const char *line)
{
	char path[512];
	int fd;
	ssize_t w;

	if (member_path(pn, name, path, sizeof(path)) < 0)
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	w = line ? write(fd, line, strlen(line)) : 0;
	close(fd);
	return w < 0 ? -EIO : 0;
}

/* Unexpose what the member file @path lists on @api, then remove the file. */
static void member_leave(const char *api, const char *path)
{
	char *text = read_text(path), *line, *save = NULL;

	for (line = text ? strtok_r(text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');

		if (!sp)
			continue;
		*sp = '\0';
		unexpose(api, line, sp + 1);
	}
	free(text);
	unlink(path);
}

static bool members_empty(const char *dir)
{
	char path[META_PATH_MAX + 16];
	DIR *d;
	struct dirent *e;
	bool empty = true;

	snprintf(path, sizeof(path), "%s/" MEMBERS, dir);
	d = opendir(path);
	if (!d)
		return true;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

/*
 * Start the shared network of @pn unless it runs (with the same settings).
 * Called with the lock held. @restart_keeps_members: reconnect after a
 * crash keeps the other members' records.
 */
static int shared_up(const struct meta_domain *d, const struct plan_net *pn,
		     const struct plan_paths *p, bool keep_members, char *err, size_t errlen)
{
	char members[META_PATH_MAX + 16];
	pid_t pid = proc_running(pn->pid);
	int r;

	if (pid && proc_health(pn->api, 2000)) {
		if (!same_network(pn, p))
			return rerr(err, errlen,
				    "shared network %s already runs with other settings (started "
				    "by another domain: every member must declare it alike; see "
				    "%s)",
				    pn->net->name, pn->config);
		return 0;
	}
	if (pid)
		proc_stop(pid, pn->pid, PROC_STOP_TIMEOUT_MS);
	if (!keep_members)
		wipe(pn->dir);
	r = ensure_dir(pn->dir, 0711, err, errlen);
	snprintf(members, sizeof(members), "%s/" MEMBERS, pn->dir);
	if (!r)
		r = ensure_dir(members, 0700, err, errlen);
	if (!r)
		r = launch(pn, p, d->dac_label, err, errlen);
	if (r < 0 && !keep_members)
		wipe(pn->dir);
	return r;
}

/* Expose @pn's forwards; with @tolerate_existing, "already running" counts as done. */
static int expose_all(const struct plan_net *pn, const char *name, bool tolerate_existing,
		      char *err, size_t errlen)
{
	for (unsigned i = 0; i < pn->net->nforwards; i++) {
		const struct meta_forward *f = &pn->net->forwards[i];
		char line[META_PATH_MAX + 16];
		int r = expose(pn, f, err, errlen);

		if (r < 0 && !(tolerate_existing && strstr(err, "already running")))
			return r;
		if (pn->shared) {
			snprintf(line, sizeof(line), "%s %s\n", plan_proto_name(f->proto), f->host);
			r = member_record(pn, name, line);
			if (r < 0)
				return rerr(err, errlen, "cannot record forward in %s/" MEMBERS,
					    pn->dir);
		}
	}
	return 0;
}

static int join_shared(const struct meta_domain *d, const struct plan_net *pn,
		       const struct plan_paths *p, bool reconnect, char *err, size_t errlen)
{
	char path[512];
	int lock = lock_nets(p, err, errlen), r;

	if (lock < 0)
		return lock;
	r = shared_up(d, pn, p, reconnect, err, errlen);
	if (!r)
		r = member_record(pn, d->name, NULL);
	if (!r)
		r = expose_all(pn, d->name, reconnect, err, errlen);
	if (r < 0 && !reconnect && member_path(pn, d->name, path, sizeof(path)) == 0) {
		char ignored[64];

		member_leave(pn->api, path);
		if (members_empty(pn->dir))
			stop_dir(pn->dir, ignored, sizeof(ignored));
	}
	unlock_nets(lock);
	return r;
}

/* Leave every shared network that lists @name as a member. */
static int leave_all(const char *name, const struct plan_paths *p, char *err, size_t errlen)
{
	DIR *nets;
	struct dirent *e;
	int lock, r = 0;

	if (access(p->net_dir, F_OK) < 0)
		return 0;
	lock = lock_nets(p, err, errlen);
	if (lock < 0)
		return lock;
	nets = opendir(p->net_dir);
	while (nets && (e = readdir(nets))) {
		char dir[META_PATH_MAX], api[META_PATH_MAX + 16], member[512];
		int n;

		if (e->d_name[0] == '.')
			continue;
		n = snprintf(dir, sizeof(dir), "%s/%s", p->net_dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof(dir))
			continue;
		snprintf(member, sizeof(member), "%s/" MEMBERS "/%s", dir, name);
		if (access(member, F_OK) < 0)
			continue;
		snprintf(api, sizeof(api), "%s/api.sock", dir);
		member_leave(api, member);
		if (members_empty(dir) && stop_dir(dir, err, errlen) < 0)
			r = -EBUSY;
	}
	if (nets)
		closedir(nets);
	unlock_nets(lock);
	return r;
}

/* --- a domain --------------------------------------------------------------------------- */

static int start_private(const struct meta_domain *d, const struct plan_net *pn,
			 const struct plan_paths *p, char *err, size_t errlen)
{
	int r = ensure_dir(pn->dir, 0711, err, errlen);

	if (!r)
		r = launch(pn, p, d->dac_label, err, errlen);
	if (!r)
		r = expose_all(pn, d->name, false, err, errlen);
	return r;
}

int runtime_start(const struct meta_domain *d, const struct plan *pl, const struct plan_paths *p,
		  char *err, size_t errlen)
{
	char ignored[256], link[META_PATH_MAX + 16];
	int r;

	r = runtime_stop(d->name, p, err, errlen);
	if (r < 0)
		return r;
	r = ensure_dir(p->run_dir, 0755, err, errlen);
	if (!r)
		r = ensure_dir(pl->domain_dir, 0711, err, errlen);
	for (unsigned i = 0; !r && i < pl->nnets; i++) {
		const struct plan_net *pn = &pl->nets[i];

		r = pn->shared ? join_shared(d, pn, p, false, err, errlen)
			       : start_private(d, pn, p, err, errlen);
	}
	if (!r && pl->nnets && pl->nets[0].shared) {
		/* RUN_DIR/<domain>/api.sock is always the domain's first network. */
		snprintf(link, sizeof(link), "%s/api.sock", pl->domain_dir);
		if (symlink(pl->nets[0].api, link) < 0)
			r = rerr(err, errlen, "cannot link %s: %s", link, strerror(errno));
	}
	if (r < 0)
		runtime_stop(d->name, p, ignored, sizeof(ignored));
	return r;
}

int runtime_stop(const char *name, const struct plan_paths *p, char *err, size_t errlen)
{
	char dir[META_PATH_MAX];
	struct dirent *e;
	struct stat st;
	DIR *dd;
	int r = 0, n;

	n = snprintf(dir, sizeof(dir), "%s/%s", p->run_dir, name);
	if (n < 0 || (size_t)n >= sizeof(dir) || !meta_domain_name_ok(name))
		return 0; /* never served, so nothing to stop */
	if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
		return rerr(err, errlen, "%s exists and is not a directory", dir);
	dd = opendir(dir);
	while (dd && (e = readdir(dd))) {
		char sub[512];
		int w;

		if (e->d_name[0] == '.')
			continue;
		w = snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		if (w < 0 || (size_t)w >= sizeof(sub))
			continue;
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode) && stop_dir(sub, err, errlen) < 0)
			r = -EBUSY;
	}
	if (dd)
		closedir(dd);
	if (leave_all(name, p, err, errlen) < 0)
		r = -EBUSY;
	if (stop_dir(dir, err, errlen) < 0)
		r = -EBUSY;
	return r;
}

int runtime_check(const struct plan *pl, char *err, size_t errlen)
{
	char lbl[64];

	for (unsigned i = 0; i < pl->nnets; i++) {
		const struct plan_net *pn = &pl->nets[i];

		if (!proc_running(pn->pid) || !proc_health(pn->api, 2000)) {
			rerr(err, errlen, "%s is not running (%s)", label(pn, lbl, sizeof(lbl)),
			     pn->dir);
			return -ESRCH;
		}
	}
	return 0;
}

int runtime_reconnect(const struct meta_domain *d, const struct plan *pl,
		      const struct plan_paths *p, char *err, size_t errlen)
{
	int r = ensure_dir(p->run_dir, 0755, err, errlen);

	if (!r)
		r = ensure_dir(pl->domain_dir, 0711, err, errlen);
	for (unsigned i = 0; !r && i < pl->nnets; i++) {
		const struct plan_net *pn = &pl->nets[i];
		pid_t pid;

		if (pn->shared) {
			r = join_shared(d, pn, p, true, err, errlen);
			continue;
		}
		pid = proc_running(pn->pid);
		if (pid && proc_health(pn->api, 2000))
			continue;
		if (pid)
			proc_stop(pid, pn->pid, PROC_STOP_TIMEOUT_MS);
		r = start_private(d, pn, p, err, errlen);
	}
	return r;
}

int runtime_forward_add(const struct plan_net *pn, const char *name, const struct meta_forward *f,
			char *err, size_t errlen)
{
	char line[META_PATH_MAX + 16];
	int r = expose(pn, f, err, errlen);

	if (r < 0 || !pn->shared)
		return r;
	snprintf(line, sizeof(line), "%s %s\n", plan_proto_name(f->proto), f->host);
	return member_record(pn, name, line);
}

int runtime_forward_remove(const struct plan_net *pn, const char *name,
			   const struct meta_forward *f, char *err, size_t errlen)
{
	char path[512];
	int r = unexpose(pn->api, plan_proto_name(f->proto), f->host);

	if (r < 0) {
		rerr(err, errlen, "unexpose %s %s failed", plan_proto_name(f->proto), f->host);
		return r;
	}
	if (pn->shared && member_path(pn, name, path, sizeof(path)) == 0) {
		/* Rewrite the member file without this forward. */
		char *text = read_text(path), *line, *save = NULL, want[META_PATH_MAX + 16];
		size_t used = 0;

		if (!text)
			return 0;
		snprintf(want, sizeof(want), "%s %s", plan_proto_name(f->proto), f->host);
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (strcmp(line, want) != 0) {
				memmove(text + used, line, strlen(line));
				used += strlen(line);
				text[used++] = '\n';
			}
		}
		text[used] = '\0';
		write_file(path, text, 0600);
		free(text);
	}
	return 0;
}

/* --- who QEMU runs as ---------------------------------------------------------------------- */

static bool lookup_user(const char *s, uid_t *uid, gid_t *primary)
{
	const struct passwd *pw;
	char *end;
	unsigned long v;

	if (s[0] != '+' && (pw = getpwnam(s))) {
		*uid = pw->pw_uid;
		if (primary)
			*primary = pw->pw_gid;
		return true;
	}
	v = strtoul(s + (s[0] == '+'), &end, 10);
	if (!*s || end == s + (s[0] == '+') || *end)
		return false;
	*uid = (uid_t)v;
	return true;
}

static bool lookup_group(const char *s, gid_t *gid)
{
	const struct group *gr;
	char *end;
	unsigned long v;

	if (s[0] != '+' && (gr = getgrnam(s))) {
		*gid = gr->gr_gid;
		return true;
	}
	v = strtoul(s + (s[0] == '+'), &end, 10);
	if (!*s || end == s + (s[0] == '+') || *end)
		return false;
	*gid = (gid_t)v;
	return true;
}

/* user = "x" / group = "y" in qemu.conf (quoted value, not commented out). */
static bool conf_value(const char *text, const char *key, char *out, size_t n)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *q, *e;

		l += strspn(l, " \t");
		if (strncmp(l, key, kl) != 0)
			continue;
		q = l + kl + strspn(l + kl, " \t");
		if (*q != '=')
			continue;
		q++;
		q += strspn(q, " \t");
		if (*q != '"')
			continue;
		e = strchr(q + 1, '"');
		if (!e || (size_t)(e - q - 1) >= n || memchr(q + 1, '\n', (size_t)(e - q - 1)))
			continue;
		memcpy(out, q + 1, (size_t)(e - q - 1));
		out[e - q - 1] = '\0';
		return true;
	}
	return false;
}

void runtime_socket_owner(const char *dac_label, const char *qemu_conf, uid_t *uid, gid_t *gid)
{
	char user[128] = "", group[128] = "";
	const char *colon = dac_label ? strchr(dac_label, ':') : NULL;
	char *conf;

	*uid = 0;
	*gid = 0;
	if (colon && (size_t)(colon - dac_label) < sizeof(user)) {
		memcpy(user, dac_label, (size_t)(colon - dac_label));
		user[colon - dac_label] = '\0';
		if (lookup_user(user, uid, NULL) && lookup_group(colon + 1, gid))
			return;
		*uid = 0;
		*gid = 0;
	}
	conf = qemu_conf ? read_text(qemu_conf) : NULL;
	if (conf) {
		bool have_user = conf_value(conf, "user", user, sizeof(user));
		bool have_group = conf_value(conf, "group", group, sizeof(group));

		free(conf);
		if (have_user || have_group) {
			gid_t primary = 0;

			if (!have_user || !lookup_user(user, uid, &primary))
				*uid = 0;
			if (!have_group || !lookup_group(group, gid))
				*gid = have_user ? primary : 0;
			return;
		}
	}
	if (lookup_user("libvirt-qemu", uid, NULL) && lookup_group("libvirt-qemu", gid))
		return;
	*uid = 0;
	*gid = 0;
}
