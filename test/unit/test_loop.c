/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the event loop's timers: callbacks that arm and cancel
 * timers, their own and others, while a round of due timers runs.
 */
#include "loop.h"
#include "unit.h"

static struct loop_timer tm[3];
static int fired[3];
static int rounds;

/**
 * cancel_others() - a callback that cancels every other timer
 * @t:		the timer that fired
 */
static void cancel_others(struct loop_timer *t)
{
	fired[t - tm]++;
	for (int i = 0; i < 3; i++)
		if (&tm[i] != t)
			loop_timer_cancel(&tm[i]);
	loop_stop();
}

/**
 * test_cancel_while_due() - a due timer cancelled by another is not run,
 * and every timer can be armed and fire again afterwards
 */
static void test_cancel_while_due(void)
{
	CHECK_EQ(loop_init(), 0);
	for (int i = 0; i < 3; i++) {
		tm[i].fn = cancel_others;
		fired[i] = 0;
		loop_timer_arm(&tm[i], 0);
	}
	loop_run();
	CHECK_EQ(fired[0] + fired[1] + fired[2], 1);
	/* None is lost: each fires when armed alone. */
	for (int i = 0; i < 3; i++) {
		int before = fired[i];

		CHECK_EQ(tm[i].deadline_ms, 0);
		loop_timer_arm(&tm[i], 0);
		loop_run();
		CHECK_EQ(fired[i], before + 1);
	}
	loop_fini();
}

/**
 * rearm_self() - a callback that re-arms itself twice, then stops
 * @t:		the timer
 */
static void rearm_self(struct loop_timer *t)
{
	if (++rounds < 3)
		loop_timer_arm(t, 1);
	else
		loop_stop();
}

/**
 * test_rearm_self() - a timer re-armed from its own callback fires again
 */
static void test_rearm_self(void)
{
	CHECK_EQ(loop_init(), 0);
	rounds = 0;
	tm[0].fn = rearm_self;
	loop_timer_arm(&tm[0], 0);
	loop_run();
	CHECK_EQ(rounds, 3);
	loop_fini();
}

/**
 * test_arm_twice() - arming an armed timer moves it, never duplicates it
 */
static void test_arm_twice(void)
{
	CHECK_EQ(loop_init(), 0);
	fired[0] = 0;
	tm[0].fn = cancel_others;
	loop_timer_arm(&tm[0], 1000);
	loop_timer_arm(&tm[0], 0);
	loop_timer_arm(&tm[0], 0);
	loop_run();
	CHECK_EQ(fired[0], 1);
	loop_timer_cancel(&tm[0]);
	CHECK_EQ(tm[0].deadline_ms, 0);
	loop_fini();
}

static const struct unit_test tests[] = {
    {"cancel_while_due", test_cancel_while_due},
    {"rearm_self", test_rearm_self},
    {"arm_twice", test_arm_twice},
};

UNIT_MAIN("loop", tests)
