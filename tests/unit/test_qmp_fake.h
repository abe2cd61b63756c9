/* SPDX-License-Identifier: MIT */
/*
 * test_qmp_fake.h - a scripted fake QMP server for the QMP unit tests
 *
 * A forked child on one end of a socketpair: it sends QEMU 7.2's greeting,
 * then for each step reads one command, checks its name (and, if given,
 * that its text contains a fragment of the expected arguments) and writes
 * the step's reply, where "%lld" stands for the command's id. Replies may
 * carry events before or after the answer, or several messages; a step's
 * "later" messages follow after a pause (QMP_FAKE_LATER_MS), so the client
 * is already waiting for them, as it is for an event a guest causes. After the
 * last step it holds the connection until the client hangs up, unless the
 * script ends with a step without a command, which hangs up first. The child's
 * exit status says how the script went: 0 played through; 3 the client
 * hung up early; 4 an unexpected command; 7 unexpected arguments (the
 * child says which on stderr).
 */
#ifndef VGATE_TEST_QMP_FAKE_H
#define VGATE_TEST_QMP_FAKE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define QMP_FAKE_GREETING                                                                  \
	"{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
	"\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}\r\n"

struct qmp_step {
	const char *expect;    /* command name; NULL: hang up here (and exit 0) */
	const char *args_part; /* NULL, or text the command line must contain */
	const char *reply;     /* NULL (no answer) or messages, "%lld" = the command's id */
	const char *later;     /* NULL, or messages sent QMP_FAKE_LATER_MS after @reply */
};

/* The pause before a step's "later" messages. */
#define QMP_FAKE_LATER_MS 100

/* @tmpl with each "%lld" replaced by @id. Return: the length, or -1 when it does not fit. */
static inline int qmp_fake_subst_id(char *out, size_t cap, const char *tmpl, long long id)
{
	size_t n = 0;

	for (const char *p = tmpl; *p;) {
		if (!strncmp(p, "%lld", 4)) {
			int k = snprintf(out + n, cap - n, "%lld", id);

			if (k < 0 || (size_t)k >= cap - n)
				return -1;
			n += (size_t)k;
			p += 4;
			continue;
		}
		if (n + 1 >= cap)
			return -1;
		out[n++] = *p++;
	}
	out[n] = '\0';
	return (int)n;
}

/* The child's whole life. */
static inline void qmp_fake_serve(int fd, const struct qmp_step *steps, size_t n)
{
	char buf[65536];
	size_t len = 0;

	if (write(fd, QMP_FAKE_GREETING, strlen(QMP_FAKE_GREETING)) < 0)
		_exit(2);
	for (size_t i = 0; i < n; i++) {
		char *nl, out[8192], name[128];
		const char *e;
		long long id = -1;
		size_t used;
		int k;

		if (!steps[i].expect) {
			close(fd);
			_exit(0);
		}
		while (!(nl = memchr(buf, '\n', len))) {
			ssize_t r = read(fd, buf + len, sizeof(buf) - len - 1);

			if (r <= 0)
				_exit(3);
			len += (size_t)r;
		}
		*nl = '\0';
		e = strstr(buf, "\"execute\":\"");
		if (!e || sscanf(e + 11, "%127[^\"]", name) != 1 || strcmp(name, steps[i].expect)) {
			fprintf(stderr, "fake QMP: step %zu wants %s, got: %s\n", i,
				steps[i].expect, buf);
			_exit(4);
		}
		if (steps[i].args_part && !strstr(buf, steps[i].args_part)) {
			fprintf(stderr, "fake QMP: step %zu wants '%s' in: %s\n", i,
				steps[i].args_part, buf);
			_exit(7);
		}
		/* The command's id is the last "id" (the arguments may have one). */
		e = NULL;
		for (const char *q = buf; (q = strstr(q, "\"id\":")); q++)
			e = q;
		if (!e || sscanf(e + 5, "%lld", &id) != 1)
			_exit(5);
		used = (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, len - used);
		len -= used;
		if (!steps[i].reply)
			continue;
		k = qmp_fake_subst_id(out, sizeof(out), steps[i].reply, id);
		if (k < 0 || write(fd, out, (size_t)k) != k)
			_exit(6);
		if (!steps[i].later)
			continue;
		usleep(QMP_FAKE_LATER_MS * 1000);
		k = qmp_fake_subst_id(out, sizeof(out), steps[i].later, id);
		if (k < 0 || write(fd, out, (size_t)k) != k)
			_exit(6);
	}
	/* Hold the connection until the client is done. */
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

/* Fork the server. Return: its pid; *@fd is the client's end. */
static inline pid_t qmp_fake_fork(const struct qmp_step *steps, size_t n, int *fd)
{
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		qmp_fake_serve(sv[1], steps, n);
	}
	close(sv[1]);
	*fd = sv[0];
	return pid;
}

/* Wait for the server (the client end must be closed); it must have played through. */
static inline void qmp_fake_reap(pid_t pid)
{
	int st;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

#endif
