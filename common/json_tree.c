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

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

yajl_val json_tree_parse(const char *text, size_t len, char *err, size_t errlen)
{
	char ebuf[256] = "", *copy;
	yajl_val root;

	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "a NUL byte in the JSON text");
		return NULL;
	}
	if (!json_nesting_ok(text, len, JSON_TREE_DEPTH_MAX)) {
		snprintf(err, errlen, "JSON nested deeper than %d", JSON_TREE_DEPTH_MAX);
		return NULL;
	}
	copy = malloc(len + 1);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	root = yajl_tree_parse(copy, ebuf, sizeof(ebuf));
	free(copy);
	if (!root) {
		/* yajl's message spans lines (it draws an arrow): keep the first. */
		ebuf[strcspn(ebuf, "\n")] = '\0';
		snprintf(err, errlen, "invalid JSON: %s", ebuf[0] ? ebuf : "parse error");
	}
	return root;
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
