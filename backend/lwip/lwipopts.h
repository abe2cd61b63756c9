/* SPDX-License-Identifier: MIT */
/*
 * lwipopts.h - compile-time configuration of vgate's own lwIP build
 *
 * vgate drives lwIP from its single epoll loop (NO_SYS=1, raw API only) and
 * lets it terminate guest TCP on a virtual link whose MTU can be 65520. The
 * options below decide lwIP's speed on that link: segments as large as the
 * MTU allows, MiB-sized windows with scaling so a single flow is never window
 * bound, a short MSL because the "network" is a memcpy away, and no
 * re-verification of checksums that a local kernel or QEMU already produced.
 *
 * Nothing in vgate may depend on these values: the same code also builds
 * against Debian's liblwip-dev (make LWIP=system), whose options differ.
 */
#ifndef VGATE_LWIPOPTS_H
#define VGATE_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_TIMERS 1

/* Memory: the C library allocates; vgate bounds what it asks for. */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
#define MEM_ALIGNMENT 8
#define PBUF_POOL_SIZE 64

#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define IPV6_FRAG_COPYHEADER 1
#define LWIP_IPV6_MLD 0
#define LWIP_IPV6_AUTOCONFIG 0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 0
#define LWIP_ARP 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1

/* TCP tuned for a virtual link of up to 65520 bytes. */
#define LWIP_TCP 1
#define TCP_MSS 65400
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 7
/* 1 MiB each way: on a virtual link the bandwidth-delay product is tiny
 * (measured: no loss against 4 MiB at 10 Gbit/s), and it bounds what one
 * stalled peer can make vgate hold. */
#define TCP_WND (1024 * 1024)
#define TCP_SND_BUF (1024 * 1024)
/* Segments, not bytes: at MTU 1500 a full buffer is ~720 of them. */
#define TCP_SND_QUEUELEN 16384
#define TCP_SNDLOWAT (TCP_SND_BUF / 4)
#define TCP_OVERSIZE TCP_MSS
#define TCP_MSL 2000UL
#define LWIP_TCP_SACK_OUT 1
#define LWIP_TCP_KEEPALIVE 1
#define TCP_LISTEN_BACKLOG 1
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1
#define MEMP_NUM_TCP_PCB 32768
#define MEMP_NUM_TCP_PCB_LISTEN 32768
#define MEMP_NUM_TCP_SEG 65536
#define MEMP_NUM_UDP_PCB 64

/* The TCP checksum is computed while tcp_write copies the data. */
#define LWIP_CHECKSUM_ON_COPY 1

/* Frames from the local kernel or QEMU carry correct checksums. */
#define CHECKSUM_CHECK_IP 0
#define CHECKSUM_CHECK_TCP 0
#define CHECKSUM_CHECK_UDP 0
#define CHECKSUM_CHECK_ICMP 0
#define CHECKSUM_CHECK_ICMP6 0

#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 0
#define LWIP_STATS 0
#define LWIP_PROVIDE_ERRNO 0

#endif
