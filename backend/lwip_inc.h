/* SPDX-License-Identifier: MIT */
/*
 * lwip_inc.h - include lwIP's raw API the way vgate's sources need it
 *
 * Two traps handled in one place: <netinet/tcp.h> defines TCP_MSS, which
 * lwIP's options also define; and lwIP's def.h redefines htons() and
 * friends unless told the C library provides them.
 */
#ifndef VGATE_LWIP_INC_H
#define VGATE_LWIP_INC_H

#include <arpa/inet.h>
#include <netinet/tcp.h>
#undef TCP_MSS
/* Empty, exactly as Debian's arch/cc.h spells it, so both may define it. */
#ifndef LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS
#endif

#include <lwip/etharp.h>
#include <lwip/ethip6.h>
#include <lwip/init.h>
#include <lwip/netif.h>
#include <lwip/pbuf.h>
#include <lwip/tcp.h>
#include <lwip/timeouts.h>
#include <netif/ethernet.h>

#endif
