/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging to stderr, one line per event, with a level filter and a rate
 * limiter for anything a guest can trigger at will.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define LOG_LIMIT_WINDOW_MS 10000u /* length of a rate-limit window */
#define LOG_LIMIT_BURST	    5u	   /* lines let through per window */

/**
 * struct log_state - where and how much to log
 * @prog:	name that starts every line
 * @level:	most verbose level printed
 */
static struct log_state {
	const char *prog;
	enum log_level level;
} lg = {
    .prog = "socket_vmnet",
    .level = LOG_LVL_INFO,
};

static const char *const log_names[] = {
    [LOG_LVL_ERROR] = "ERROR",
    [LOG_LVL_WARN] = "WARN",
    [LOG_LVL_INFO] = "INFO",
    [LOG_LVL_DEBUG] = "DEBUG",
};

/**
 * log_init() - set the program name and the most verbose level printed
 * @prog:	name that starts every line
 * @level:	lines above this level are not printed
 */
void log_init(const char *prog, enum log_level level)
{
	lg.prog = prog;
	lg.level = level;
}

/**
 * log_enabled() - tell whether lines of a level are printed
 * @level:	the level
 *
 * Return: true if log_msg() at @level prints
 */
bool log_enabled(enum log_level level)
{
	return level <= lg.level;
}

/**
 * log_msg() - print one line to stderr
 * @level:	severity
 * @errnum:	an errno value to append as ": text", or 0
 * @fmt:	printf format, no trailing newline
 */
void log_msg(enum log_level level, int errnum, const char *fmt, ...)
{
	char line[1024];
	struct timespec ts;
	struct tm tm;
	int n, m;
	va_list ap;

	if (!log_enabled(level))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line),
		     "%02d:%02d:%02d.%03ld %s: %s: ", tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, lg.prog,
		     log_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (errnum && m >= 0 && (size_t)n + (size_t)m < sizeof(line))
		snprintf(line + n + m, sizeof(line) - (size_t)(n + m), ": %s",
			 strerror(errnum));
	/* One write per line, so lines from several processes do not mix. */
	fprintf(stderr, "%s\n", line);
}

/**
 * log_limit_ok() - decide whether a rate-limited line may be printed
 * @l:		the limiter of this kind of line (per port, per reason...)
 * @now_ms:	current monotonic time in milliseconds
 *
 * Lets LOG_LIMIT_BURST lines through per LOG_LIMIT_WINDOW_MS, then holds
 * lines back; the first line of the next window reports how many were held.
 *
 * Return: true if the caller should print its line
 */
bool log_limit_ok(struct log_limit *l, uint64_t now_ms)
{
	if (l->window_ms == 0 || now_ms - l->window_ms >= LOG_LIMIT_WINDOW_MS) {
		if (l->suppressed)
			log_warnx("%u similar messages suppressed",
				  l->suppressed);
		l->window_ms = now_ms ? now_ms : 1;
		l->count = 0;
		l->suppressed = 0;
	}
	if (l->count < LOG_LIMIT_BURST) {
		l->count++;
		return true;
	}
	l->suppressed++;
	return false;
}
