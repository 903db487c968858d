/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Running out of a system resource (descriptors, kernel memory, buffers,
 * disk space) without spinning or flooding the log: the descriptor limit
 * raised at start, and "pauses" that take one event source out of the loop
 * for a while when a call on it fails for lack of a resource.
 */
#ifndef EXHAUST_H
#define EXHAUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"

/* Descriptors the daemon needs besides one per stream port: standard
 * streams, the loop, the signal pipe, listeners, TAP, NAT keeper pipe,
 * pidfile, lease file writes, nft's pipes. */
#define EXHAUST_FD_RESERVE 16u

/**
 * struct exhaust_pause - one source that can run out of a resource
 * @what:	what fails, for the log ("accept on SOCKET")
 * @src:	the source paused while the resource is short
 * @events:	the events it is given back when the pause ends
 * @timer:	ends the pause (this module's)
 * @delay_ms:	length of the current pause; doubles up to a ceiling
 * @failures:	failed calls in this episode
 * @since_ms:	when the episode began
 * @active:	an episode is running (logged once at its start)
 *
 * Zero it, set @what, and call exhaust_pause_fail() when a call fails
 * with an error exhaust_is() accepts, exhaust_pause_ok() when one works.
 */
struct exhaust_pause {
	const char *what;
	struct loop_source *src;
	unsigned int events;
	struct loop_timer timer;
	unsigned int delay_ms;
	uint64_t failures;
	uint64_t since_ms;
	bool active;
};

unsigned long exhaust_raise_nofile(unsigned int max_ports);
void exhaust_pause_fail(struct exhaust_pause *e, struct loop_source *src,
			unsigned int events, int err);
void exhaust_pause_ok(struct exhaust_pause *e);
void exhaust_pause_cancel(struct exhaust_pause *e);

#endif /* EXHAUST_H */
