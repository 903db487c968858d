/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The switch process's sandbox: namespaces of its own and a seccomp-bpf
 * allowlist of system calls (Linux, sandbox_seccomp.c); elsewhere nothing
 * (sandbox_none.c says so).
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/**
 * struct sandbox_conf - what the confined process still does
 * @files:	it writes the lease file and removes its socket files and
 *		pidfile itself (no monitor does it for it)
 */
struct sandbox_conf {
	bool files;
};

void sandbox_enter_namespaces(void);
int sandbox_apply(const struct sandbox_conf *sc, char *err, size_t errlen);

#endif /* SANDBOX_H */
