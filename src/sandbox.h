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

/* A build with ASan or UBSan, whose runtime needs more of the system */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) ||                                        \
    __has_feature(undefined_behavior_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

/**
 * struct sandbox_conf - what the confined process still does
 * @files:	it writes the lease file and removes its socket files and
 *		pidfile itself (no monitor does it for it)
 * @extra:	more calls a test program needs besides the switch's (the
 *		fuzz harnesses' libFuzzer), or NULL
 * @nextra:	how many
 */
struct sandbox_conf {
	bool files;
	const int *extra;
	size_t nextra;
};

void sandbox_enter_namespaces(void);
int sandbox_apply(const struct sandbox_conf *sc, char *err, size_t errlen);

#endif /* SANDBOX_H */
