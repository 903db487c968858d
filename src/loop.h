/* SPDX-License-Identifier: Apache-2.0 */
#ifndef LOOP_H
#define LOOP_H

#include <stdbool.h>
#include <stdint.h>

#define LOOP_IN	 0x1u /* readable */
#define LOOP_OUT 0x2u /* writable */
#define LOOP_ERR 0x4u /* error or hang-up */

struct loop_source;

/**
 * loop_fn - callback for a ready file descriptor
 * @src:	the source that became ready
 * @events:	LOOP_IN, LOOP_OUT and/or LOOP_ERR
 */
typedef void (*loop_fn)(struct loop_source *src, unsigned int events);

/**
 * struct loop_source - a file descriptor watched by the loop
 * @fd:		the descriptor
 * @fn:		called when it is ready
 * @events:	events currently asked for (maintained by the loop)
 * @registered:	true between loop_add() and loop_del() (maintained by the loop)
 *
 * Embed it in the object that owns the descriptor and use container_of()
 * in the callback to get back to that object.
 */
struct loop_source {
	int fd;
	loop_fn fn;
	unsigned int events;
	bool registered;
};

struct loop_timer;

/**
 * loop_timer_fn - callback for an expired timer
 * @t:	the timer
 */
typedef void (*loop_timer_fn)(struct loop_timer *t);

/**
 * struct loop_timer - a one-shot timer
 * @deadline_ms:	when it fires (monotonic milliseconds), 0 when idle
 * @fn:			called when it fires
 * @next:		link in the loop's list of armed timers
 */
struct loop_timer {
	uint64_t deadline_ms;
	loop_timer_fn fn;
	struct loop_timer *next;
};

struct loop_hook;

/**
 * loop_hook_fn - callback run once per loop turn, before the loop sleeps
 * @h:	the hook
 */
typedef void (*loop_hook_fn)(struct loop_hook *h);

/**
 * struct loop_hook - work done after every batch of events and timers
 * @fn:		the callback
 * @next:	link in the loop's list of hooks
 *
 * The place for output that is batched while events are handled (the
 * switch writes queued frames there), as Redis' beforeSleep. A hook runs
 * on every turn, so it must cost nothing when it has nothing to do.
 */
struct loop_hook {
	loop_hook_fn fn;
	struct loop_hook *next;
};

#define container_of(ptr, type, member)                                        \
	((type *)(void *)((char *)(ptr) - __builtin_offsetof(type, member)))

int loop_init(void);
void loop_fini(void);
int loop_add(struct loop_source *src, unsigned int events);
int loop_mod(struct loop_source *src, unsigned int events);
int loop_refresh(struct loop_source *src, unsigned int events);
void loop_del(struct loop_source *src);
void loop_hook_add(struct loop_hook *h);
void loop_hook_del(struct loop_hook *h);
void loop_timer_arm(struct loop_timer *t, uint64_t delay_ms);
void loop_timer_cancel(struct loop_timer *t);
uint64_t loop_now(void);
void loop_stop(void);
int loop_run(void);
int loop_turn(int max_wait_ms);

/**
 * loop_source_live() - tell whether an event may still be delivered
 * @src:	source an event was reported for
 *
 * A source removed earlier in the same batch of events is no longer
 * registered and its stale events are skipped.
 *
 * Return: true if the callback should run
 */
static inline bool loop_source_live(const struct loop_source *src)
{
	return src->registered;
}

#endif /* LOOP_H */
