/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Error messages written into a caller's buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

/**
 * err_vset() - format a message into a buffer
 * @err:	the buffer, may be NULL
 * @errlen:	its size
 * @errnum:	an errno value to append as ": text", or 0
 * @fmt:	printf format
 * @ap:		its arguments
 */
static void err_vset(char *err, size_t errlen, int errnum, const char *fmt,
		     va_list ap)
{
	int n;

	if (!err || !errlen)
		return;
	n = vsnprintf(err, errlen, fmt, ap);
	if (errnum && n >= 0 && (size_t)n < errlen)
		snprintf(err + n, errlen - (size_t)n, ": %s", strerror(errnum));
}

/**
 * err_set() - write a one-line error message
 * @err:	the buffer, may be NULL
 * @errlen:	its size
 * @fmt:	printf format
 *
 * Return: -1, so that callers can "return err_set(...)"
 */
int err_set(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, errlen, 0, fmt, ap);
	va_end(ap);
	return -1;
}

/**
 * err_sys() - write a message followed by ": " and the text of errno
 * @err:	the buffer, may be NULL
 * @errlen:	its size
 * @fmt:	printf format
 *
 * errno is read before anything else runs, and left as it was.
 *
 * Return: -1
 */
int err_sys(char *err, size_t errlen, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, errlen, saved ? saved : EIO, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}
