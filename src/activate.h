/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Socket activation: listening sockets handed over by a service manager
 * (systemd's LISTEN_FDS protocol), taken instead of creating socket files.
 */
#ifndef ACTIVATE_H
#define ACTIVATE_H

#include <stddef.h>

/* The first descriptor a service manager passes (SD_LISTEN_FDS_START). */
#define ACTIVATE_FDS_START 3
/* How many passed descriptors are looked at; more are closed. */
#define ACTIVATE_MAX 16

void activate_init(void);
int activate_take(const char *path, int type, const char *name, int *fd,
		  char *err, size_t errlen);
void activate_done(void);

#endif /* ACTIVATE_H */
