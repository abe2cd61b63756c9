// SPDX-License-Identifier: MIT
/*
 * qmp_args.c - build a command's "arguments" object with yajl's generator
 *
 * A thin layer over yajl_gen: the generator is opened on an object, each
 * helper emits a key and a value, and the first status other than
 * yajl_gen_status_ok is remembered as -EINVAL (bad UTF-8, a value where a
 * key belongs) or -ENOMEM, so one check at the end covers every step.
 */
#include "qmp_args.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void check(struct qmp_args *a, yajl_gen_status st)
{
	if (a->err || st == yajl_gen_status_ok)
		return;
	a->err = st == yajl_max_depth_exceeded ? -E2BIG : -EINVAL;
}

static void key(struct qmp_args *a, const char *k)
{
	if (!a->err)
		check(a, yajl_gen_string(a->g, (const unsigned char *)k, strlen(k)));
}

int qmp_args_init(struct qmp_args *a)
{
	a->err = 0;
	a->g = yajl_gen_alloc(NULL);
	if (!a->g)
		return a->err = -ENOMEM;
	yajl_gen_config(a->g, yajl_gen_validate_utf8, 1);
	check(a, yajl_gen_map_open(a->g));
	return a->err;
}

void qmp_args_str(struct qmp_args *a, const char *k, const char *val)
{
	key(a, k);
	if (!a->err)
		check(a, yajl_gen_string(a->g, (const unsigned char *)val, strlen(val)));
}

void qmp_args_bool(struct qmp_args *a, const char *k, bool val)
{
	key(a, k);
	if (!a->err)
		check(a, yajl_gen_bool(a->g, val));
}

void qmp_args_int(struct qmp_args *a, const char *k, int64_t val)
{
	key(a, k);
	if (!a->err)
		check(a, yajl_gen_integer(a->g, val));
}

void qmp_args_object_begin(struct qmp_args *a, const char *k)
{
	key(a, k);
	if (!a->err)
		check(a, yajl_gen_map_open(a->g));
}

void qmp_args_object_end(struct qmp_args *a)
{
	if (!a->err)
		check(a, yajl_gen_map_close(a->g));
}

int qmp_args_finish(struct qmp_args *a, char **out)
{
	const unsigned char *buf;
	size_t len;
	int r;

	if (!a->err)
		check(a, yajl_gen_map_close(a->g));
	/*
	 * Back at the top level only if every nested object was closed: then
	 * one more close is refused without writing anything.
	 */
	if (!a->err && yajl_gen_map_close(a->g) != yajl_gen_generation_complete)
		a->err = -EINVAL;
	if (!a->err && yajl_gen_get_buf(a->g, &buf, &len) != yajl_gen_status_ok)
		a->err = -EINVAL;
	r = a->err;
	if (!r) {
		*out = strndup((const char *)buf, len);
		if (!*out)
			r = -ENOMEM;
	}
	qmp_args_free(a);
	return r;
}

void qmp_args_free(struct qmp_args *a)
{
	if (a->g)
		yajl_gen_free(a->g);
	a->g = NULL;
}
