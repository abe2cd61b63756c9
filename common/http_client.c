// SPDX-License-Identifier: MIT
/*
 * http_client.c - one HTTP/1.1 request over a unix socket, for vgatectl
 *
 * Theory of operation
 *
 * vgatectl asks one question per run, so the client is as small as that
 * allows: a non-blocking socket, one deadline for the whole exchange
 * (connect, send, receive), poll() for every wait. The request always
 * carries Content-Length (0 without a body) and "Connection: close", so the
 * server may end a body-less answer by closing.
 *
 * The answer is read into one buffer that grows as bytes arrive; after
 * every read http_client_parse() looks at the whole buffer again and says
 * whether the answer is complete. It re-scans the head each time, which is
 * cheap (the head is bounded) and keeps the parser free of state, so the
 * unit tests can feed it any byte split. Three ways an answer ends: after
 * Content-Length bytes, after the last chunk of a chunked body, or at EOF
 * when neither was given.
 *
 * Limits: HTTP_CLIENT_HEAD_MAX for the head, HTTP_CLIENT_BODY_MAX for the
 * body (chunk framing may add as much again on the wire), the caller's
 * deadline for time. Beyond any of them the exchange fails; nothing waits
 * or grows without bound.
 */
#include "http_client.h"

#include "util.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Longest chunk-size line (with extensions) or trailer line accepted. */
#define CHUNK_LINE_MAX 1024
/* Bytes asked of each read(). */
#define READ_STEP 65536

/* What the head says about the body. */
struct head_info {
	size_t head_len; /* through the blank line */
	int status;
	bool has_length;
	size_t length;
	bool chunked;
};

/*
 * The line starting at @pos: its end (before any CR) in *@end and the start
 * of the next line in *@next. Return: false when no LF has arrived yet.
 */
static bool find_line(const char *buf, size_t len, size_t pos, size_t *end, size_t *next)
{
	const char *nl = memchr(buf + pos, '\n', len - pos);
	size_t e;

	if (!nl)
		return false;
	e = (size_t)(nl - buf);
	*next = e + 1;
	if (e > pos && buf[e - 1] == '\r')
		e--;
	*end = e;
	return true;
}

/* Copy a header value, trimmed of spaces and tabs, into @out (truncated). */
static void copy_value(const char *v, size_t n, char *out, size_t outlen)
{
	while (n && (*v == ' ' || *v == '\t')) {
		v++;
		n--;
	}
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	if (n >= outlen)
		n = outlen - 1;
	memcpy(out, v, n);
	out[n] = '\0';
}

/* "HTTP/1.x NNN reason". Return: the status, or -EPROTO. */
static int parse_status_line(const char *s, size_t n)
{
	int status = 0;

	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || s[7] < '0' || s[7] > '9' || s[8] != ' ')
		return -EPROTO;
	for (size_t i = 9; i < 12; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EPROTO;
		status = status * 10 + (s[i] - '0');
	}
	if (status < 100 || (n > 12 && s[12] != ' '))
		return -EPROTO;
	return status;
}

/* Does a Transfer-Encoding value end in "chunked"? */
static bool is_chunked(const char *v)
{
	size_t n = strlen(v);

	return n >= 7 && !strcasecmp(v + n - 7, "chunked") && (n == 7 || strchr(" ,\t", v[n - 8]));
}

static int parse_content_length(const char *v, size_t *out)
{
	size_t n = 0;

	if (!*v)
		return -EPROTO;
	for (; *v; v++) {
		if (*v < '0' || *v > '9')
			return -EPROTO;
		if (n > HTTP_CLIENT_BODY_MAX)
			return -E2BIG;
		n = n * 10 + (size_t)(*v - '0');
	}
	if (n > HTTP_CLIENT_BODY_MAX)
		return -E2BIG;
	*out = n;
	return 0;
}

/* Parse the head at the start of @buf. Return: 0, -EAGAIN, -EPROTO or -E2BIG. */
static int parse_head(const char *buf, size_t len, bool eof, struct head_info *h,
		      struct http_client_response *r)
{
	size_t pos = 0, end, next, scan = MIN(len, (size_t)HTTP_CLIENT_HEAD_MAX);
	char value[256];
	int st;

	memset(h, 0, sizeof(*h));
	r->content_type[0] = '\0';
	if (!find_line(buf, scan, 0, &end, &next))
		goto incomplete;
	if (memchr(buf, '\0', end))
		return -EPROTO;
	st = parse_status_line(buf, end);
	if (st < 0)
		return st;
	h->status = st;
	for (pos = next;; pos = next) {
		const char *line = buf + pos, *colon;

		if (!find_line(buf, scan, pos, &end, &next))
			goto incomplete;
		if (end == pos)
			break;
		if (memchr(line, '\0', end - pos))
			return -EPROTO;
		colon = memchr(line, ':', end - pos);
		if (!colon || colon == line || line[0] == ' ' || line[0] == '\t')
			return -EPROTO;
		copy_value(colon + 1, (size_t)(buf + end - colon - 1), value, sizeof(value));
#define IS(name) ((size_t)(colon - line) == strlen(name) && !strncasecmp(line, name, strlen(name)))
		if (IS("Content-Length")) {
			size_t n;
			int err = parse_content_length(value, &n);

			if (err < 0)
				return err;
			if (h->has_length && n != h->length)
				return -EPROTO;
			h->has_length = true;
			h->length = n;
		} else if (IS("Transfer-Encoding")) {
			h->chunked = is_chunked(value);
		} else if (IS("Content-Type")) {
			copy_value(colon + 1, (size_t)(buf + end - colon - 1), r->content_type,
				   sizeof(r->content_type));
		}
#undef IS
	}
	h->head_len = next;
	return 0;

incomplete:
	if (len >= HTTP_CLIENT_HEAD_MAX)
		return -E2BIG;
	return eof ? -EPROTO : -EAGAIN;
}

/*
 * Walk a chunked body at @buf (@len bytes so far); when @out is not NULL,
 * copy the data there. Return: 0 with the data length in *@total and the
 * bytes used in *@used; -EAGAIN, -EPROTO or -E2BIG.
 */
static int walk_chunks(const char *buf, size_t len, char *out, size_t *total, size_t *used)
{
	size_t pos = 0, sum = 0, end, next;

	for (;;) {
		size_t size = 0, i;

		if (!find_line(buf, len, pos, &end, &next))
			return len - pos > CHUNK_LINE_MAX ? -EPROTO : -EAGAIN;
		if (end - pos > CHUNK_LINE_MAX || end == pos)
			return -EPROTO;
		for (i = pos; i < end && buf[i] != ';' && buf[i] != ' ' && buf[i] != '\t'; i++) {
			int d;

			if (buf[i] >= '0' && buf[i] <= '9')
				d = buf[i] - '0';
			else if ((buf[i] | 0x20) >= 'a' && (buf[i] | 0x20) <= 'f')
				d = (buf[i] | 0x20) - 'a' + 10;
			else
				return -EPROTO;
			if (size > HTTP_CLIENT_BODY_MAX)
				return -E2BIG;
			size = size * 16 + (size_t)d;
		}
		if (i == pos)
			return -EPROTO;
		if (size > HTTP_CLIENT_BODY_MAX || sum + size > HTTP_CLIENT_BODY_MAX)
			return -E2BIG;
		pos = next;
		if (size == 0)
			break;
		if (len - pos < size + 2)
			return -EAGAIN;
		if (buf[pos + size] != '\r' || buf[pos + size + 1] != '\n')
			return -EPROTO;
		if (out)
			memcpy(out + sum, buf + pos, size);
		sum += size;
		pos += size + 2;
	}
	/* Trailer fields, then the blank line. */
	for (;;) {
		if (!find_line(buf, len, pos, &end, &next))
			return len - pos > CHUNK_LINE_MAX ? -EPROTO : -EAGAIN;
		if (end - pos > CHUNK_LINE_MAX)
			return -EPROTO;
		if (end == pos) {
			pos = next;
			break;
		}
		pos = next;
	}
	*total = sum;
	*used = pos;
	return 0;
}

static int set_body(struct http_client_response *r, const char *data, size_t n)
{
	r->body = malloc(n + 1);
	if (!r->body)
		return -ENOMEM;
	if (n)
		memcpy(r->body, data, n);
	r->body[n] = '\0';
	r->body_len = n;
	return 0;
}

int http_client_parse(const char *buf, size_t len, bool eof, struct http_client_response *r)
{
	struct head_info h;
	size_t skipped = 0;
	int err;

	r->body = NULL;
	r->body_len = 0;
	r->consumed = 0;
	for (;;) {
		err = parse_head(buf + skipped, len - skipped, eof, &h, r);
		if (err < 0)
			return err;
		/* 1xx answers come before the real one; 101 would switch protocols. */
		if (h.status >= 200 || h.status == 101)
			break;
		skipped += h.head_len;
	}
	r->status = h.status;
	buf += skipped + h.head_len;
	len -= skipped + h.head_len;
	if (h.status == 204 || h.status == 304) {
		r->consumed = skipped + h.head_len;
		return set_body(r, "", 0);
	}
	if (h.chunked) {
		size_t total, used;

		err = walk_chunks(buf, len, NULL, &total, &used);
		if (err == -EAGAIN && eof)
			err = -EPROTO;
		if (err < 0)
			return err;
		r->body = malloc(total + 1);
		if (!r->body)
			return -ENOMEM;
		walk_chunks(buf, len, r->body, &total, &used);
		r->body[total] = '\0';
		r->body_len = total;
		r->consumed = skipped + h.head_len + used;
		return 0;
	}
	if (h.has_length) {
		if (len < h.length)
			return eof ? -EPROTO : -EAGAIN;
		r->consumed = skipped + h.head_len + h.length;
		return set_body(r, buf, h.length);
	}
	if (len > HTTP_CLIENT_BODY_MAX)
		return -E2BIG;
	if (!eof)
		return -EAGAIN;
	r->consumed = skipped + h.head_len + len;
	return set_body(r, buf, len);
}

void http_client_response_free(struct http_client_response *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

/* Milliseconds left until @deadline, at least 0. */
static int remaining_ms(uint64_t deadline)
{
	uint64_t now = now_ms();

	return now >= deadline ? 0 : (int)MIN(deadline - now, (uint64_t)INT32_MAX);
}

/* Wait for @events on @fd until @deadline. Return: 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, uint64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int ms = remaining_ms(deadline), n;

		if (ms == 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int connect_unix(const char *path, uint64_t deadline)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -1;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return take_fd(&fd);
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS) {
			int err = wait_fd(fd, POLLOUT, deadline), so = 0;
			socklen_t sl = sizeof(so);

			if (err < 0)
				return err;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl) < 0)
				return -errno;
			if (so)
				return -so;
			return take_fd(&fd);
		}
		if (errno != EAGAIN)
			return -errno;
		/* A full backlog: the listener is alive but busy; try again shortly. */
		if (remaining_ms(deadline) == 0)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
}

/* Send all of @buf. Return: 0, -EPIPE when the server stopped reading, or -errno. */
static int send_all(int fd, const char *buf, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int err = wait_fd(fd, POLLOUT, deadline);

			if (err < 0)
				return err;
			continue;
		}
		return errno == ECONNRESET ? -EPIPE : -errno;
	}
	return 0;
}

/* Read until http_client_parse() is satisfied, the peer closes, or the deadline. */
static int read_answer(int fd, uint64_t deadline, struct http_client_response *r)
{
	const size_t cap_max = HTTP_CLIENT_HEAD_MAX + 2 * (size_t)HTTP_CLIENT_BODY_MAX;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		ssize_t n;
		int err;

		if (cap - len < READ_STEP) {
			size_t ncap = cap ? 2 * cap : 2 * READ_STEP;
			char *nb;

			if (cap >= cap_max)
				return -E2BIG;
			nb = realloc(buf, MIN(ncap, cap_max) + 1);
			if (!nb)
				return -ENOMEM;
			buf = nb;
			cap = MIN(ncap, cap_max);
		}
		n = read(fd, buf + len, MIN((size_t)READ_STEP, cap - len));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			err = wait_fd(fd, POLLIN, deadline);
			if (err < 0)
				return err;
			continue;
		}
		if (n < 0)
			return -errno;
		len += (size_t)n;
		err = http_client_parse(buf, len, n == 0, r);
		if (err != -EAGAIN)
			return err;
		if (n == 0)
			return -EPROTO;
	}
}

int http_client_request(const char *socket_path, const char *method, const char *path,
			const char *body, size_t body_len, int timeout_ms, bool *connected,
			struct http_client_response *r)
{
	uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1);
	_cleanup_free_ char *req = NULL;
	_cleanup_close_ int fd = -1;
	int head, err, send_err;

	*connected = false;
	memset(r, 0, sizeof(*r));
	if (body_len > HTTP_CLIENT_REQUEST_MAX)
		return -E2BIG;
	fd = connect_unix(socket_path, deadline);
	if (fd < 0)
		return fd;
	*connected = true;
	head = asprintf(&req,
			"%s %s HTTP/1.1\r\nHost: vgate\r\nUser-Agent: vgatectl\r\n"
			"Accept: */*\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n",
			method, path, body_len ? "Content-Type: application/json\r\n" : "",
			body_len);
	if (head < 0) {
		req = NULL;
		return -ENOMEM;
	}
	send_err = send_all(fd, req, (size_t)head, deadline);
	if (!send_err && body_len)
		send_err = send_all(fd, body, body_len, deadline);
	/* A server that answers early (413) and closes still has its say. */
	if (send_err < 0 && send_err != -EPIPE)
		return send_err;
	err = read_answer(fd, deadline, r);
	if (err < 0 && send_err == -EPIPE)
		return -ECONNRESET;
	return err;
}
