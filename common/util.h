/* SPDX-License-Identifier: MIT */
/*
 * util.h - small helpers shared by every part of vgate
 */
#ifndef VGATE_UTIL_H
#define VGATE_UTIL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define _cleanup_(f) __attribute__((cleanup(f)))

/* hex_digit() - the value of hex digit @c (either case), or -1 */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Hand a cleanup-owned resource over to the caller. */
static inline int take_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t now_ms(void);

/* Set O_NONBLOCK and FD_CLOEXEC on @fd. Return: 0 or -errno. */
int fd_set_nonblock(int fd);

/* Parse a decimal unsigned integer in [min, max]. Return: 0 or -EINVAL. */
int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

#endif
