// SPDX-License-Identifier: MIT
/*
 * request_body.c - the JSON bodies vgatectl sends (expose, unexpose, dns add)
 *
 * Shapes are gvproxy's (../shared/reference/gvproxy.md): the forwarder's
 * lower-case "local", "remote", "protocol"; a DNS zone's capitalised
 * "Name", "Records" (each "Name" with "IP" or "IPv6") and "DefaultIP".
 * The daemon validates everything again; the checks here only let a typo
 * fail before a connection is made, with the word that caused it.
 */
#include "request_body.h"

#include "json_tree.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>

/* A yajl generator whose first failure sticks, checked once at the end. */
struct gen {
	yajl_gen g;
	yajl_gen_status st;
};

static int gen_open(struct gen *w)
{
	w->st = yajl_gen_status_ok;
	w->g = yajl_gen_alloc(NULL);
	if (!w->g)
		return -ENOMEM;
	yajl_gen_config(w->g, yajl_gen_validate_utf8, 1);
	return 0;
}

static void gen_str(struct gen *w, const char *s)
{
	if (w->st == yajl_gen_status_ok)
		w->st = yajl_gen_string(w->g, (const unsigned char *)s, strlen(s));
}

static void gen_key_str(struct gen *w, const char *k, const char *v)
{
	gen_str(w, k);
	gen_str(w, v);
}

static void gen_call(struct gen *w, yajl_gen_status (*fn)(yajl_gen))
{
	if (w->st == yajl_gen_status_ok)
		w->st = fn(w->g);
}

/* Hand the text over as a malloc'd string. */
static int gen_finish(struct gen *w, char **out)
{
	const unsigned char *buf;
	size_t len;
	int r = 0;

	*out = NULL;
	if (w->st == yajl_gen_status_ok)
		w->st = yajl_gen_get_buf(w->g, &buf, &len);
	if (w->st == yajl_gen_status_ok) {
		*out = strndup((const char *)buf, len);
		if (!*out)
			r = -ENOMEM;
	} else {
		r = w->st == yajl_gen_invalid_string ? -EINVAL : -ENOMEM;
	}
	yajl_gen_free(w->g);
	return r;
}

int request_body_expose(const char *local, const char *remote, const char *protocol, char **out)
{
	struct gen w;

	if (gen_open(&w) < 0)
		return -ENOMEM;
	gen_call(&w, yajl_gen_map_open);
	gen_key_str(&w, "local", local);
	gen_key_str(&w, "remote", remote);
	gen_key_str(&w, "protocol", protocol);
	gen_call(&w, yajl_gen_map_close);
	return gen_finish(&w, out);
}

int request_body_unexpose(const char *local, const char *protocol, char **out)
{
	struct gen w;

	if (gen_open(&w) < 0)
		return -ENOMEM;
	gen_call(&w, yajl_gen_map_open);
	gen_key_str(&w, "local", local);
	gen_key_str(&w, "protocol", protocol);
	gen_call(&w, yajl_gen_map_close);
	return gen_finish(&w, out);
}

/* Split "NAME=IP"; Return: the IP's family, or -EINVAL with @err set. */
static int split_record(const char *word, char *name, size_t namelen, char *ip, size_t iplen,
			char *err, size_t errlen)
{
	const char *eq = strrchr(word, '=');
	unsigned char a[sizeof(struct in6_addr)];
	size_t n;

	if (!eq || eq == word || !eq[1]) {
		snprintf(err, errlen, "\"%s\": a record is NAME=IP", word);
		return -EINVAL;
	}
	n = (size_t)(eq - word);
	if (n >= namelen || strlen(eq + 1) >= iplen) {
		snprintf(err, errlen, "\"%s\": too long", word);
		return -EINVAL;
	}
	memcpy(name, word, n);
	name[n] = '\0';
	memcpy(ip, eq + 1, strlen(eq + 1) + 1);
	if (inet_pton(AF_INET, ip, a) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, ip, a) == 1)
		return AF_INET6;
	snprintf(err, errlen, "\"%s\": \"%s\" is not an IPv4 or IPv6 address", word, ip);
	return -EINVAL;
}

int request_body_zone(const char *zone, const char *const *records, size_t n, char **out, char *err,
		      size_t errlen)
{
	const char *def = NULL;
	char name[256], ip[INET6_ADDRSTRLEN + 1];
	struct gen w;
	int r;

	*out = NULL;
	if (!*zone) {
		snprintf(err, errlen, "the zone name is empty");
		return -EINVAL;
	}
	/* Check every word before building anything. */
	for (size_t i = 0; i < n; i++) {
		r = split_record(records[i], name, sizeof(name), ip, sizeof(ip), err, errlen);
		if (r < 0)
			return r;
		if (!strcmp(name, "*") && r != AF_INET) {
			snprintf(err, errlen, "\"%s\": the default (*) must be an IPv4 address",
				 records[i]);
			return -EINVAL;
		}
		if (!strcmp(name, "*"))
			def = strrchr(records[i], '=') + 1;
	}
	if (gen_open(&w) < 0)
		return -ENOMEM;
	gen_call(&w, yajl_gen_map_open);
	gen_key_str(&w, "Name", zone);
	gen_str(&w, "Records");
	gen_call(&w, yajl_gen_array_open);
	for (size_t i = 0; i < n; i++) {
		r = split_record(records[i], name, sizeof(name), ip, sizeof(ip), err, errlen);
		if (!strcmp(name, "*"))
			continue;
		gen_call(&w, yajl_gen_map_open);
		gen_key_str(&w, "Name", name);
		gen_key_str(&w, r == AF_INET ? "IP" : "IPv6", ip);
		gen_call(&w, yajl_gen_map_close);
	}
	gen_call(&w, yajl_gen_array_close);
	if (def)
		gen_key_str(&w, "DefaultIP", def);
	gen_call(&w, yajl_gen_map_close);
	r = gen_finish(&w, out);
	if (r == -EINVAL)
		snprintf(err, errlen, "the zone or a record is not valid UTF-8");
	return r;
}

int request_body_read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	size_t n = 0;
	yajl_val root;
	bool object;

	*out = NULL;
	if (fd < 0)
		return -errno;
	buf = malloc(REQUEST_BODY_FILE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k = read(fd, buf + n, REQUEST_BODY_FILE_MAX + 1 - n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		n += (size_t)k;
		if (n > REQUEST_BODY_FILE_MAX)
			return -EFBIG;
	}
	buf[n] = '\0';
	root = json_tree_parse(buf, n, err, errlen);
	if (!root)
		return -EINVAL;
	object = YAJL_IS_OBJECT(root);
	yajl_tree_free(root);
	if (!object) {
		snprintf(err, errlen, "a zone file holds one JSON object");
		return -EINVAL;
	}
	*len = n;
	*out = buf;
	buf = NULL;
	return 0;
}
