// SPDX-License-Identifier: MIT
/*
 * lwip_glue.c - what lwIP asks of its platform, and its timer hook
 */
#include "lwip_glue.h"

#include "util.h"

#include "lwip_inc.h"
#include <sys/random.h>

#ifdef VGATE_LWIP_SELF
/* lwIP's clock (self build: vgate supplies it; the system library has its own). */
u32_t sys_now(void)
{
	return (u32_t)now_ms();
}

unsigned int vgate_lwip_rand(void)
{
	unsigned int v = 0;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != sizeof(v))
		v = (unsigned int)now_ms() * 2654435761u;
	return v;
}
#endif

const char *vgate_lwip_flavour(void)
{
#ifdef VGATE_LWIP_SELF
	return "vgate-tuned";
#else
	return "system";
#endif
}

void vgate_lwip_init(void)
{
	lwip_init();
}

void vgate_lwip_poll(void)
{
	sys_check_timeouts();
}

int vgate_lwip_timeout(void)
{
	u32_t t = sys_timeouts_sleeptime();

	if (t == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		return -1;
	return t > 60000 ? 60000 : (int)t;
}
