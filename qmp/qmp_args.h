/* SPDX-License-Identifier: MIT */
/*
 * qmp_args.h - build a command's "arguments" object with yajl's generator
 *
 * Quoting and escaping are never done by hand: every key and string goes
 * through yajl_gen (UTF-8 checked). The first failure sticks and is
 * reported once, by qmp_args_finish(), so callers add members without
 * checking each step.
 *
 *	struct qmp_args a;
 *	qmp_args_init(&a);
 *	qmp_args_str(&a, "id", "vgate0");
 *	qmp_args_object_begin(&a, "addr");
 *	qmp_args_str(&a, "type", "unix");
 *	qmp_args_object_end(&a);
 *	r = qmp_args_finish(&a, &text);   // {"id":"vgate0","addr":{"type":"unix"}}
 */
#ifndef VGATE_QMP_ARGS_H
#define VGATE_QMP_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <yajl/yajl_gen.h>

struct qmp_args {
	yajl_gen g;
	int err; /* first failure, as -errno */
};

/* qmp_args_init() - start an empty object. Return: 0 or -ENOMEM (also kept in @a). */
int qmp_args_init(struct qmp_args *a);

void qmp_args_str(struct qmp_args *a, const char *key, const char *val);
void qmp_args_bool(struct qmp_args *a, const char *key, bool val);
void qmp_args_int(struct qmp_args *a, const char *key, int64_t val);
/* A nested object under @key; close it with qmp_args_object_end(). */
void qmp_args_object_begin(struct qmp_args *a, const char *key);
void qmp_args_object_end(struct qmp_args *a);

/*
 * qmp_args_finish() - close the object and hand the text over
 * Return: 0 with a malloc'd, NUL-terminated text in *@out; -EINVAL (a
 * string that is not UTF-8, unbalanced objects); -E2BIG (nested deeper
 * than yajl's generator allows); -ENOMEM. @a is freed either way.
 */
int qmp_args_finish(struct qmp_args *a, char **out);

/* qmp_args_free() - drop an unfinished builder. */
void qmp_args_free(struct qmp_args *a);

#endif
