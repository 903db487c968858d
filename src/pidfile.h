/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PIDFILE_H
#define PIDFILE_H

#include <stddef.h>

int pidfile_check(const char *path, char *err, size_t errlen);
int pidfile_create(const char *path, char *err, size_t errlen);
void pidfile_remove(void);
void pidfile_drop_fd(void);

#endif /* PIDFILE_H */
