/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Resource exhaustion (see exhaust.h).
 *
 * Theory of operation: a call that fails because the process or the
 * system is short of something (EMFILE, ENFILE, ENOBUFS, ENOMEM, ENOSPC)
 * will fail again at once if retried, and a level-triggered loop retries
 * it at once: a listener with a connection waiting stays readable after
 * accept() failed with EMFILE. So the caller takes its source out of the
 * loop for a short pause (EXHAUST_MIN_MS, doubling up to EXHAUST_MAX_MS)
 * and tries again when the pause ends: a few system calls a second while
 * the shortage lasts, and work goes on at most EXHAUST_MAX_MS after it
 * ends. An episode is logged once when it starts and once when it ends,
 * with the count of failed calls, whatever its length. Nothing is lost:
 * what could not be taken (a connection in the listen backlog, a datagram
 * in the socket) waits in the kernel.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/resource.h>

#include "exhaust.h"
#include "log.h"

#define EXHAUST_MIN_MS 10u  /* first pause */
#define EXHAUST_MAX_MS 200u /* longest pause */

/**
 * exhaust_raise_nofile() - raise the soft descriptor limit to the hard one
 * @max_ports:	--max-ports, checked against the limit
 *
 * Every stream port holds a descriptor; EXHAUST_FD_RESERVE more are kept
 * for the daemon itself. When even the hard limit cannot hold that, says
 * so once: ports beyond it wait in the listen backlog (see
 * exhaust_pause_fail()) until others leave.
 *
 * Return: the soft limit now in force (0 if it cannot be read)
 */
unsigned long exhaust_raise_nofile(unsigned int max_ports)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_ports + EXHAUST_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_warn("getrlimit(RLIMIT_NOFILE)");
		return 0;
	}
	if (rl.rlim_cur != rl.rlim_max) {
		struct rlimit up = {.rlim_cur = rl.rlim_max,
				    .rlim_max = rl.rlim_max};

		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = up.rlim_cur;
#ifdef OPEN_MAX
		/* macOS: an unlimited hard limit, but no more than OPEN_MAX
		 * descriptors for a process */
		else if (rl.rlim_cur < OPEN_MAX &&
			 (up.rlim_cur = OPEN_MAX,
			  setrlimit(RLIMIT_NOFILE, &up) == 0))
			rl.rlim_cur = up.rlim_cur;
#endif
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		log_warnx(
		    "--max-ports=%u needs %llu descriptors, but the "
		    "limit is %llu (hard limit %llu): at most about %llu VMs "
		    "can be connected at once, later ones wait until "
		    "others leave; raise the hard limit (ulimit -Hn, "
		    "LimitNOFILE=) or lower --max-ports",
		    max_ports, (unsigned long long)want,
		    (unsigned long long)rl.rlim_cur,
		    (unsigned long long)rl.rlim_max,
		    rl.rlim_cur > EXHAUST_FD_RESERVE
			? (unsigned long long)rl.rlim_cur - EXHAUST_FD_RESERVE
			: 0ull);
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > ULONG_MAX)
		return ULONG_MAX;
	return (unsigned long)rl.rlim_cur;
}

/**
 * exhaust_resume() - timer: the pause is over, watch the source again
 * @t:		the pause's timer
 *
 * The source's callback then retries the call; if it fails again it
 * starts the next, longer, pause.
 */
static void exhaust_resume(struct loop_timer *t)
{
	struct exhaust_pause *e = container_of(t, struct exhaust_pause, timer);

	if (e->src && e->src->registered && e->src->fd >= 0)
		loop_mod(e->src, e->events);
}

/**
 * exhaust_pause_fail() - a call on a source failed for lack of a resource
 * @e:		the source's pause state
 * @src:	the source, taken out of the loop for the pause
 * @events:	what it is watched for again afterwards
 * @err:	the errno of the failed call
 *
 * The first failure of an episode is logged; later ones are counted.
 */
void exhaust_pause_fail(struct exhaust_pause *e, struct loop_source *src,
			unsigned int events, int err)
{
	uint64_t now = loop_now();

	if (!e->active) {
		e->active = true;
		e->failures = 0;
		e->since_ms = now;
		e->delay_ms = EXHAUST_MIN_MS;
		log_warnx("%s: %s; pausing it, retrying every %u-%u ms until "
			  "it works again",
			  e->what, strerror(err), EXHAUST_MIN_MS,
			  EXHAUST_MAX_MS);
	} else if (e->delay_ms < EXHAUST_MAX_MS) {
		e->delay_ms *= 2;
		if (e->delay_ms > EXHAUST_MAX_MS)
			e->delay_ms = EXHAUST_MAX_MS;
	}
	e->failures++;
	e->src = src;
	e->events = events;
	e->timer.fn = exhaust_resume;
	if (src->registered)
		loop_mod(src, 0);
	loop_timer_arm(&e->timer, e->delay_ms);
}

/**
 * exhaust_pause_ok() - a call on the source worked: end the episode
 * @e:		the source's pause state
 */
void exhaust_pause_ok(struct exhaust_pause *e)
{
	if (!e->active)
		return;
	e->active = false;
	log_warnx("%s: works again after %llu failed attempts in %llu ms",
		  e->what, (unsigned long long)e->failures,
		  (unsigned long long)(loop_now() - e->since_ms));
}

/**
 * exhaust_pause_cancel() - forget a pause (its source is going away)
 * @e:		the pause state
 */
void exhaust_pause_cancel(struct exhaust_pause *e)
{
	loop_timer_cancel(&e->timer);
	e->active = false;
	e->src = NULL;
}
