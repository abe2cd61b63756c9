// SPDX-License-Identifier: MIT
/*
 * json_tree.c - yajl's tree parser with vgatectl's bounds
 *
 * The nesting check is a single pass that skips strings (and the escapes
 * inside them) and counts brackets; it does not validate, yajl does that
 * next. Both vgatectl's answers and zone files go through here.
 */
#include "json_tree.h"
#include "json_depth.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse @len bytes nested at most @depth_max deep. Return: 0, -EINVAL or -ENOMEM (@err says). */
static int parse_text(const char *text, size_t len, unsigned depth_max, yajl_val *out, char *err,
		      size_t errlen)
{
	char ebuf[256] = "", *copy;

	*out = NULL;
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "a NUL byte in the JSON text");
		return -EINVAL;
	}
	if (!json_nesting_ok(text, len, depth_max)) {
		snprintf(err, errlen, "JSON nested deeper than %u", depth_max);
		return -EINVAL;
	}
	copy = malloc(len + 1);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	*out = yajl_tree_parse(copy, ebuf, sizeof(ebuf));
	free(copy);
	if (!*out) {
		/* yajl's message spans lines (it draws an arrow): keep the first. */
		ebuf[strcspn(ebuf, "\n")] = '\0';
		snprintf(err, errlen, "invalid JSON: %s", ebuf[0] ? ebuf : "parse error");
		return -EINVAL;
	}
	return 0;
}

yajl_val json_tree_parse(const char *text, size_t len, char *err, size_t errlen)
{
	yajl_val root;

	parse_text(text, len, JSON_TREE_DEPTH_MAX, &root, err, errlen);
	return root;
}

int json_object_parse(const char *text, size_t len, unsigned depth_max, yajl_val *out, char *err,
		      size_t errlen)
{
	int r = parse_text(text, len, depth_max, out, err, errlen);

	if (r == 0 && !YAJL_IS_OBJECT(*out)) {
		yajl_tree_free(*out);
		*out = NULL;
		snprintf(err, errlen, "the body must be a JSON object");
		r = -EINVAL;
	}
	return r;
}

yajl_val json_tree_get(yajl_val obj, const char *key)
{
	yajl_val v = NULL;

	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			v = obj->u.object.values[i];
	return v;
}
