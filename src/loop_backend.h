/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What an event loop backend (epoll, kqueue) provides to loop.c. Exactly
 * one backend is compiled in, chosen by the Makefile.
 */
#ifndef LOOP_BACKEND_H
#define LOOP_BACKEND_H

#include <stdbool.h>

struct loop_source;

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

#endif /* LOOP_BACKEND_H */
