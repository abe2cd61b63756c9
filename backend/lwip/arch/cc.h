/* SPDX-License-Identifier: MIT */
/*
 * arch/cc.h - lwIP's compiler and platform glue for vgate's own lwIP build
 *
 * Byte order comes from compiler builtins, random numbers from getrandom(2)
 * (through vgate_lwip_rand(), defined in backend/lwip_glue.c), and a failed
 * lwIP assertion is logged and aborts: lwIP's state is corrupt at that point
 * and continuing would relay wrong bytes.
 */
#ifndef VGATE_ARCH_CC_H
#define VGATE_ARCH_CC_H

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define LWIP_NO_STDINT_H 0
#define LWIP_NO_INTTYPES_H 0
#define LWIP_NO_LIMITS_H 0
#define LWIP_NO_CTYPE_H 0
#define LWIP_ERRNO_STDINCLUDE 1

/* BYTE_ORDER, LITTLE_ENDIAN, BIG_ENDIAN: from the C library. */
#include <endian.h>
#define lwip_htons(x) ((u16_t)__builtin_bswap16((u16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((u32_t)(x)))
#if BYTE_ORDER == BIG_ENDIAN
#undef lwip_htons
#undef lwip_htonl
#define lwip_htons(x) ((u16_t)(x))
#define lwip_htonl(x) ((u32_t)(x))
#endif

unsigned int vgate_lwip_rand(void);
#define LWIP_RAND() vgate_lwip_rand()

#define LWIP_PLATFORM_DIAG(x) \
	do {                      \
		printf x;             \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                        \
	do {                                                                           \
		fprintf(stderr, "lwip assertion \"%s\" failed at %s:%d\n", x, __FILE__, \
			__LINE__);                                                     \
		fflush(NULL);                                                          \
		abort();                                                               \
	} while (0)

#endif
