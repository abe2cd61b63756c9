/* SPDX-License-Identifier: MIT */
/*
 * log.h - levelled logging with timestamps and a component name
 *
 * One line per event: "2026-11-28T15:30:00.123Z info  switch: port 3 ...".
 * Errors are logged once, where they are handled, with the context that
 * makes them actionable (which VM, which port, which flow).
 */
#ifndef VGATE_LOG_H
#define VGATE_LOG_H

#include <stdbool.h>

enum log_level {
	VLOG_ERR,
	VLOG_WARN,
	VLOG_INFO,
	VLOG_DEBUG,
};

/*
 * log_open() - send log lines to @path (appending) instead of stderr
 * Return: 0 or -errno.
 */
int log_open(const char *path);
void log_set_level(enum log_level level);
bool log_enabled(enum log_level level);
void log_close(void);

void log_msg(enum log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(comp, ...) log_msg(VLOG_ERR, comp, __VA_ARGS__)
#define log_warn(comp, ...) log_msg(VLOG_WARN, comp, __VA_ARGS__)
#define log_info(comp, ...) log_msg(VLOG_INFO, comp, __VA_ARGS__)
#define log_debug(comp, ...)                                    \
	do {                                                    \
		if (log_enabled(VLOG_DEBUG))                    \
			log_msg(VLOG_DEBUG, comp, __VA_ARGS__); \
	} while (0)

#endif
