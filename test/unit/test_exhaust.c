/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of exhaust.c: a source whose call fails for lack of a
 * resource is taken out of the loop and given back by a timer whose delay
 * doubles; a call that works ends the episode; the descriptor limit is
 * raised at start.
 */
#include <errno.h>
#include <unistd.h>
#include <sys/resource.h>

#include "exhaust.h"
#include "loop.h"
#include "unit.h"

static struct exhaust_pause pause_state = {.what = "test source"};
static struct loop_source src;
static int calls;
static int fail_until; /* the callback "fails" while calls < this */

/**
 * ready() - a callback that fails with EMFILE, leaving its byte unread
 * (so the source stays readable, as a listener with a connection
 * waiting), until it is told to work
 * @s:		the source
 * @events:	what is ready
 */
static void ready(struct loop_source *s, unsigned int events)
{
	char c;

	calls++;
	loop_stop();
	if (calls < fail_until) {
		exhaust_pause_fail(&pause_state, s, LOOP_IN, EMFILE);
		return;
	}
	if (read(s->fd, &c, 1) == 1)
		exhaust_pause_ok(&pause_state);
}

/**
 * test_pause() - no spinning while the call fails, the pause doubles,
 * and the source works again afterwards
 */
static void test_pause(void)
{
	int p[2];

	CHECK_EQ(loop_init(), 0);
	CHECK_EQ(pipe(p), 0);
	CHECK(write(p[1], "x", 1) == 1);
	src.fd = p[0];
	src.fn = ready;
	CHECK_EQ(loop_add(&src, LOOP_IN), 0);
	calls = 0;
	fail_until = 4;
	CHECK_EQ(loop_run(), 0);
	CHECK_EQ(calls, 1);
	/* paused: readable, but not watched, and a timer to give it back */
	CHECK(pause_state.active);
	CHECK_EQ(src.events, 0);
	CHECK(pause_state.timer.deadline_ms != 0);
	CHECK_EQ(pause_state.delay_ms, 10);
	/* each failure one more call, with a longer pause */
	CHECK_EQ(loop_run(), 0);
	CHECK_EQ(calls, 2);
	CHECK_EQ(pause_state.delay_ms, 20);
	CHECK_EQ(loop_run(), 0);
	CHECK_EQ(calls, 3);
	CHECK_EQ(pause_state.delay_ms, 40);
	CHECK_EQ(pause_state.failures, 3);
	/* the next call works: the episode ends, the source stays watched */
	CHECK_EQ(loop_run(), 0);
	CHECK_EQ(calls, 4);
	CHECK(!pause_state.active);
	CHECK_EQ(src.events, LOOP_IN);
	loop_del(&src);
	exhaust_pause_cancel(&pause_state);
	close(p[0]);
	close(p[1]);
	loop_fini();
}

/**
 * test_raise_nofile() - the soft descriptor limit goes up to the hard one
 */
static void test_raise_nofile(void)
{
	struct rlimit rl, low;

	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	low = rl;
	if (low.rlim_max > 64)
		low.rlim_cur = 64;
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
	exhaust_raise_nofile(8);
	CHECK_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	CHECK(rl.rlim_cur == rl.rlim_max);
}

static const struct unit_test tests[] = {
    {"pause", test_pause},
    {"raise_nofile", test_raise_nofile},
};

UNIT_MAIN("exhaust", tests)
