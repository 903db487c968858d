/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The switch process's sandbox where there is no seccomp (macOS, the BSDs):
 * nothing beyond privilege separation; docs/SECURITY.md says what the
 * macOS build does instead.
 */
#include "err.h"
#include "sandbox.h"

/**
 * sandbox_enter_namespaces() - nothing to enter here
 */
void sandbox_enter_namespaces(void)
{
}

/**
 * sandbox_apply() - no system call filter on this platform
 * @sc:		unused
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: -1 with @err set
 */
int sandbox_apply(const struct sandbox_conf *sc, char *err, size_t errlen)
{
	return err_set(err, errlen, "no system call filter on this platform");
}
