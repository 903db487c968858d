/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One-line error messages for the caller to print: setup functions take a
 * buffer and its size, fill it on failure and return -1.
 */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>

int err_set(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int err_sys(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* ERR_H */
