/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PRIV_H
#define PRIV_H

#include <stddef.h>

/* What priv_separate() returns */
enum priv_role {
	PRIV_ERROR = -1, /* nothing was started */
	PRIV_WORKER = 0, /* the unprivileged process: run the switch */
	PRIV_MONITOR,	 /* the privileged process, after the worker ended */
};

enum priv_role priv_separate(const char *user, void (*monitor_init)(void),
			     int *status, char *err, size_t errlen);

#endif /* PRIV_H */
