/* SPDX-License-Identifier: MIT */
/*
 * lwip_glue.h - start lwIP and drive its timers from vgate's loop
 *
 * lwIP runs without threads in either build: lwip_init() once, then
 * sys_check_timeouts() from the loop, whose epoll timeout honours
 * sys_timeouts_sleeptime(). With Debian's liblwip-dev (NO_SYS=0) the tcpip
 * thread is never started, so the raw API stays on the loop's thread.
 */
#ifndef VGATE_LWIP_GLUE_H
#define VGATE_LWIP_GLUE_H

void vgate_lwip_init(void);
/* Run due lwIP timers. */
void vgate_lwip_poll(void);
/* Milliseconds until lwIP's next timer, for the loop's timeout. */
int vgate_lwip_timeout(void);
/* Which lwIP this binary carries: "vgate-tuned" or "system". */
const char *vgate_lwip_flavour(void);

#endif
