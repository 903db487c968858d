/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the root monitor does for the unprivileged worker while it runs
 * (the requests of priv.h), and the worker's side of them.
 */
#ifndef MONITOR_H
#define MONITOR_H

#include "priv.h"

void monitor_init(const char *lease_file, const char *const *connect,
		  unsigned int nconnect);
void monitor_serve(struct priv_msg *m, int *fd);
void monitor_worker_relays(void);

#endif /* MONITOR_H */
