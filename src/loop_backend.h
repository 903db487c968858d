/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an event loop backend (epoll, kqueue) provides to loop.c. Exactly
 * one backend is compiled in, chosen by the Makefile.
 */
#ifndef LOOP_BACKEND_H
#define LOOP_BACKEND_H

#include <stdbool.h>

#include "loop.h"

int loop_backend_init(void);
void loop_backend_fini(void);
/* What loop_backend_set() does */
enum loop_op {
	LOOP_OP_ADD,
	LOOP_OP_MOD,
	LOOP_OP_DEL,
};

int loop_backend_set(struct loop_source *src, unsigned int events,
		     enum loop_op op);
int loop_backend_wait(int timeout_ms, void (*woke)(void));

/**
 * loop_backend_live() - tell whether an event may still be delivered
 * @src:	source an event was reported for
 *
 * A source removed earlier in the same batch of events is no longer
 * registered and its stale events are skipped.
 *
 * Return: true if the callback should run
 */
static inline bool loop_backend_live(const struct loop_source *src)
{
	return src->registered;
}

#endif /* LOOP_BACKEND_H */
