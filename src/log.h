/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOG_H
#define LOG_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

/**
 * enum log_level - severity of a log line, lowest number most severe
 */
enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

void log_init(const char *prog, enum log_level level);
bool log_enabled(enum log_level level);
void log_msg(enum log_level level, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * As in OpenBSD: log_err() and log_warn() append ": " and the text of
 * errno; log_errx() and log_warnx() print the message alone.
 */
#define log_err(...)   log_msg(LOG_LVL_ERROR, errno, __VA_ARGS__)
#define log_errx(...)  log_msg(LOG_LVL_ERROR, 0, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LVL_WARN, errno, __VA_ARGS__)
#define log_warnx(...) log_msg(LOG_LVL_WARN, 0, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LVL_INFO, 0, __VA_ARGS__)
#define log_debug(...)                                                         \
	do {                                                                   \
		if (log_enabled(LOG_LVL_DEBUG))                                \
			log_msg(LOG_LVL_DEBUG, 0, __VA_ARGS__);                \
	} while (0)

/**
 * struct log_limit - token bucket for lines a guest can trigger
 * @window_ms:	start of the current window (monotonic milliseconds)
 * @count:	lines let through in this window
 * @suppressed:	lines held back since the last line let through
 */
struct log_limit {
	uint64_t window_ms;
	unsigned int count;
	unsigned int suppressed;
};

bool log_limit_ok(struct log_limit *l, uint64_t now_ms);

#endif /* LOG_H */
