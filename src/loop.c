/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Single-threaded event loop: descriptors (through the backend chosen at
 * build time), one-shot millisecond timers and before-sleep hooks. No
 * periodic wake-up: the loop sleeps until a descriptor is ready or the
 * earliest armed timer is due.
 *
 * Theory of operation: one turn of the loop reads the clock, runs the
 * timers that are due, runs every hook (work batched during the previous
 * events, such as writing queued frames), then computes how long it may
 * sleep and waits for descriptors, which it dispatches. The sleep is
 * computed after the hooks, so a timer a hook arms is honoured.
 */
#include <errno.h>
#include <stddef.h>
#include <time.h>

#include "loop.h"
#include "loop_backend.h"

/**
 * struct loop_state - the loop's state
 * @timers:	armed timers, unsorted
 * @due:	timers due, being run by loop_fire_timers()
 * @hooks:	before-sleep hooks
 * @running:	cleared by loop_stop()
 * @now_ms:	time at the start of the current turn
 */
static struct loop_state {
	struct loop_timer *timers;
	struct loop_timer *due;
	struct loop_hook *hooks;
	bool running;
	uint64_t now_ms;
} loop;

/**
 * loop_clock() - read the monotonic clock
 *
 * Return: milliseconds since an arbitrary start, never 0
 */
static uint64_t loop_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u +
	       1u;
}

/**
 * loop_init() - set up the loop
 *
 * Return: 0 on success, -1 with errno set
 */
int loop_init(void)
{
	loop.now_ms = loop_clock();
	return loop_backend_init();
}

/**
 * loop_fini() - release the loop's resources
 */
void loop_fini(void)
{
	loop_backend_fini();
	loop.timers = NULL;
	loop.due = NULL;
	loop.hooks = NULL;
}

/**
 * loop_add() - start watching a descriptor
 * @src:	source with fd and fn set
 * @events:	LOOP_IN and/or LOOP_OUT (may be 0: registered but quiet)
 *
 * Return: 0 on success, -1 with errno set
 */
int loop_add(struct loop_source *src, unsigned int events)
{
	if (loop_backend_set(src, events, LOOP_OP_ADD) < 0)
		return -1;
	src->events = events;
	src->registered = true;
	return 0;
}

/**
 * loop_mod() - change the events a descriptor is watched for
 * @src:	a source added with loop_add()
 * @events:	new LOOP_IN/LOOP_OUT interest
 *
 * Return: 0 on success, -1 with errno set
 */
int loop_mod(struct loop_source *src, unsigned int events)
{
	if (src->events == events)
		return 0;
	if (loop_backend_set(src, events, LOOP_OP_MOD) < 0)
		return -1;
	src->events = events;
	return 0;
}

/**
 * loop_refresh() - watch a descriptor for these events, whatever the loop
 * remembers about it
 * @src:	the source, registered or not
 * @events:	LOOP_IN/LOOP_OUT interest
 *
 * For an owner whose descriptors are opened and closed by someone else (a
 * library) and may come back under the same number: the kernel forgets a
 * closed descriptor, so unlike loop_mod() this always tells the backend,
 * and registers the descriptor afresh when the backend no longer knows it.
 *
 * Return: 0 on success, -1 with errno set
 */
int loop_refresh(struct loop_source *src, unsigned int events)
{
	if (src->registered &&
	    loop_backend_set(src, events, LOOP_OP_MOD) == 0) {
		src->events = events;
		return 0;
	}
	loop_del(src);
	return loop_add(src, events);
}

/**
 * loop_del() - stop watching a descriptor (before it is closed)
 * @src:	a source added with loop_add()
 */
void loop_del(struct loop_source *src)
{
	if (!src->registered)
		return;
	loop_backend_set(src, 0, LOOP_OP_DEL);
	src->events = 0;
	src->registered = false;
}

/**
 * loop_hook_add() - run a hook on every turn, before the loop sleeps
 * @h:		hook with fn set; it must stay valid until loop_hook_del()
 */
void loop_hook_add(struct loop_hook *h)
{
	loop_hook_del(h);
	h->next = loop.hooks;
	loop.hooks = h;
}

/**
 * loop_hook_del() - stop running a hook
 * @h:		the hook (not added is fine)
 */
void loop_hook_del(struct loop_hook *h)
{
	for (struct loop_hook **pp = &loop.hooks; *pp; pp = &(*pp)->next) {
		if (*pp == h) {
			*pp = h->next;
			break;
		}
	}
	h->next = NULL;
}

/**
 * loop_run_hooks() - run every before-sleep hook once
 */
static void loop_run_hooks(void)
{
	struct loop_hook *h, *next;

	for (h = loop.hooks; h; h = next) {
		next = h->next;
		h->fn(h);
	}
}

/**
 * loop_timer_unlink() - take a timer off a list
 * @list:	head of the list
 * @t:		the timer
 *
 * Return: true if it was on the list
 */
static bool loop_timer_unlink(struct loop_timer **list, struct loop_timer *t)
{
	for (struct loop_timer **pp = list; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			return true;
		}
	}
	return false;
}

/**
 * loop_timer_arm() - (re)arm a one-shot timer
 * @t:		timer with fn set
 * @delay_ms:	milliseconds from now
 */
void loop_timer_arm(struct loop_timer *t, uint64_t delay_ms)
{
	loop_timer_cancel(t);
	t->next = loop.timers;
	loop.timers = t;
	t->deadline_ms = loop.now_ms + delay_ms;
	if (!t->deadline_ms)
		t->deadline_ms = 1;
}

/**
 * loop_timer_cancel() - disarm a timer, if armed
 * @t:		the timer
 */
void loop_timer_cancel(struct loop_timer *t)
{
	if (!t->deadline_ms)
		return;
	/* It may be armed, or already taken out as due but not yet run. */
	if (!loop_timer_unlink(&loop.timers, t))
		loop_timer_unlink(&loop.due, t);
	t->deadline_ms = 0;
	t->next = NULL;
}

/**
 * loop_now() - time at the start of the current loop iteration
 *
 * Return: monotonic milliseconds, cheap to call on the data path
 */
uint64_t loop_now(void)
{
	return loop.now_ms;
}

/**
 * loop_woke() - note the time after the wait (the backend calls it)
 *
 * Callbacks then see the time they run at, not the time the loop fell
 * asleep.
 */
static void loop_woke(void)
{
	loop.now_ms = loop_clock();
}

/**
 * loop_stop() - make loop_run() return after the current iteration
 */
void loop_stop(void)
{
	loop.running = false;
}

/**
 * loop_fire_timers() - run every timer that is due
 */
static void loop_fire_timers(void)
{
	struct loop_timer *t, **pp;

	/* Move the due timers aside first: a callback may arm or cancel any
	 * timer, its own included (loop_timer_cancel() knows both lists). */
	for (pp = &loop.timers; (t = *pp);) {
		if (t->deadline_ms <= loop.now_ms) {
			*pp = t->next;
			t->next = loop.due;
			loop.due = t;
		} else {
			pp = &t->next;
		}
	}
	while ((t = loop.due)) {
		loop.due = t->next;
		t->deadline_ms = 0;
		t->next = NULL;
		t->fn(t);
	}
}

/**
 * loop_timeout() - how long the loop may sleep
 *
 * Return: milliseconds until the next armed timer (at most a minute), or
 * -1 if none is armed
 */
static int loop_timeout(void)
{
	uint64_t next = UINT64_MAX;

	for (struct loop_timer *t = loop.timers; t; t = t->next)
		if (t->deadline_ms < next)
			next = t->deadline_ms;
	if (next == UINT64_MAX)
		return -1;
	if (next <= loop.now_ms)
		return 0;
	return next - loop.now_ms > 60000 ? 60000 : (int)(next - loop.now_ms);
}

/**
 * loop_step() - one turn of the loop
 * @max_wait_ms: longest sleep, -1 for no limit
 * @in_run:	called by loop_run(): do not sleep once loop_stop() was called
 *
 * Return: 0, or -1 with errno set on a backend failure
 */
static int loop_step(int max_wait_ms, bool in_run)
{
	int timeout;

	loop.now_ms = loop_clock();
	loop_fire_timers();
	loop_run_hooks();
	if (in_run && !loop.running)
		return 0;
	timeout = loop_timeout();
	if (max_wait_ms >= 0 && (timeout < 0 || timeout > max_wait_ms))
		timeout = max_wait_ms;
	return loop_backend_wait(timeout, loop_woke) < 0 ? -1 : 0;
}

/**
 * loop_turn() - run one turn of the loop (tests drive the loop this way)
 * @max_wait_ms: longest sleep, -1 for no limit (a timer due earlier
 *		shortens it)
 *
 * Runs the due timers and the hooks, waits for descriptors and dispatches
 * them.
 *
 * Return: 0, or -1 with errno set on a backend failure
 */
int loop_turn(int max_wait_ms)
{
	return loop_step(max_wait_ms, false);
}

/**
 * loop_run() - dispatch events until loop_stop() is called
 *
 * Return: 0 after loop_stop(), -1 with errno set on a backend failure
 */
int loop_run(void)
{
	loop.running = true;
	while (loop.running)
		if (loop_step(-1, true) < 0)
			return -1;
	loop_run_hooks();
	return 0;
}
