/* SPDX-License-Identifier: MIT */
/*
 * json_depth.h - bound JSON nesting before yajl sees it
 *
 * yajl builds and frees its trees recursively, so a body of 64 KiB of '['
 * would recurse 64 Ki frames deep. Every JSON text vgate or vgatectl
 * parses into a tree (API bodies, answers, the config file) is checked
 * here first.
 */
#ifndef VGATE_JSON_DEPTH_H
#define VGATE_JSON_DEPTH_H

#include <stdbool.h>
#include <stddef.h>

/* Nesting vgate accepts in any JSON text. */
#define JSON_DEPTH_MAX 16

/*
 * json_nesting_ok() - is @s (@len bytes of JSON text) nested at most @max
 * deep? A single pass that skips strings (and escapes inside them) and
 * counts brackets; it does not validate, yajl does that next.
 */
bool json_nesting_ok(const char *s, size_t len, unsigned max);

#endif
