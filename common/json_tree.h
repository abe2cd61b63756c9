/* SPDX-License-Identifier: MIT */
/*
 * json_tree.h - yajl's tree parser with vgatectl's bounds
 *
 * yajl builds and frees its tree recursively, so text nested deeper than
 * JSON_TREE_DEPTH_MAX is refused before yajl sees it; NUL bytes are refused
 * too (the tree parser takes a C string).
 */
#ifndef VGATE_JSON_TREE_H
#define VGATE_JSON_TREE_H

#include <stddef.h>
#include <yajl/yajl_tree.h>

#define JSON_TREE_DEPTH_MAX 32

/*
 * json_tree_parse() - parse @len bytes of JSON text
 * Return: the tree (free with yajl_tree_free()), or NULL with @err saying why.
 */
yajl_val json_tree_parse(const char *text, size_t len, char *err, size_t errlen);

/*
 * json_object_parse() - an API request body: JSON text nested at most
 * @depth_max deep whose top level is an object, into *@out (free with
 * yajl_tree_free())
 * Return: 0; -EINVAL with @err saying why (a NUL byte, too deep, invalid
 * JSON, not an object); -ENOMEM.
 */
int json_object_parse(const char *text, size_t len, unsigned depth_max, yajl_val *out, char *err,
		      size_t errlen);

/* json_tree_get() - @obj's member @key (exact match, the last one wins), or NULL. */
yajl_val json_tree_get(yajl_val obj, const char *key);

#endif
