/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks src/loop_kqueue.c through loop.h: interest changes, merged
 * events, sources deleted within a batch, EOF, timers, the pipe read end,
 * and a loop carried across fork(). Built by `make doubles` against the
 * system's kqueue (macOS, BSD) or, on Linux, test/doubles/kqueue (an
 * emulation over poll()).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "loop.h"
#include "unit.h"

struct probe {
	struct loop_source src;
	unsigned int calls;
	unsigned int last;
	unsigned int in, out, err;
	struct probe *victim; /* loop_del() it from the callback */
	bool stop;
	bool drain;
};

static void probe_fn(struct loop_source *src, unsigned int events)
{
	struct probe *p = container_of(src, struct probe, src);
	char buf[256];

	p->calls++;
	p->last = events;
	p->in += !!(events & LOOP_IN);
	p->out += !!(events & LOOP_OUT);
	p->err += !!(events & LOOP_ERR);
	if (p->drain && (events & LOOP_IN))
		while (read(src->fd, buf, sizeof(buf)) > 0)
			;
	if (p->victim) {
		loop_del(&p->victim->src);
		p->victim = NULL;
	}
	if (p->stop)
		loop_stop();
}

static void stop_timer(struct loop_timer *t)
{
	loop_stop();
}

/* Run the loop until a callback stops it or @ms pass. */
static void run_for(unsigned int ms)
{
	struct loop_timer t = {.fn = stop_timer};

	loop_timer_arm(&t, ms);
	CHECK_EQ(loop_run(), 0);
	loop_timer_cancel(&t);
}

static void pair(int sv[2])
{
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(sv[1], F_SETFL, O_NONBLOCK);
}

static void test_read(void)
{
	struct probe p = {.src = {.fn = probe_fn}, .stop = true, .drain = true};
	int sv[2];

	CHECK_EQ(loop_init(), 0);
	pair(sv);
	p.src.fd = sv[0];
	CHECK_EQ(loop_add(&p.src, LOOP_IN), 0);
	run_for(50);
	CHECK_EQ(p.calls, 0); /* nothing to read: quiet */
	CHECK_EQ(write(sv[1], "x", 1), 1);
	run_for(2000);
	CHECK_EQ(p.calls, 1);
	CHECK_EQ(p.last, LOOP_IN);
	loop_del(&p.src);
	close(sv[0]);
	close(sv[1]);
	loop_fini();
}

static void test_timer_only(void)
{
	struct loop_timer t = {.fn = stop_timer};
	uint64_t t0;

	CHECK_EQ(loop_init(), 0);
	t0 = loop_now();
	loop_timer_arm(&t, 30);
	CHECK_EQ(loop_run(), 0);
	CHECK(loop_now() - t0 >= 30);
	loop_fini();
}

static void test_out_toggle(void)
{
	struct probe p = {.src = {.fn = probe_fn}, .stop = true};
	int sv[2];

	CHECK_EQ(loop_init(), 0);
	pair(sv);
	p.src.fd = sv[0];
	CHECK_EQ(loop_add(&p.src, LOOP_IN), 0);
	CHECK_EQ(loop_mod(&p.src, LOOP_IN | LOOP_OUT), 0);
	run_for(2000);
	CHECK_EQ(p.calls, 1);
	CHECK_EQ(p.last, LOOP_OUT);
	/* disabled again: no more LOOP_OUT */
	CHECK_EQ(loop_mod(&p.src, LOOP_IN), 0);
	p.stop = false;
	run_for(50);
	CHECK_EQ(p.calls, 1);
	/* and enabled again (EV_ENABLE on the filter added before) */
	p.stop = true;
	CHECK_EQ(loop_mod(&p.src, LOOP_IN | LOOP_OUT), 0);
	run_for(2000);
	CHECK_EQ(p.calls, 2);
	/* interest 0: registered but quiet */
	CHECK_EQ(loop_mod(&p.src, 0), 0);
	CHECK_EQ(write(sv[1], "x", 1), 1);
	p.stop = false;
	run_for(50);
	CHECK_EQ(p.calls, 2);
	loop_del(&p.src);
	close(sv[0]);
	close(sv[1]);
	loop_fini();
}

static void test_merged(void)
{
	struct probe p = {.src = {.fn = probe_fn}, .stop = true, .drain = true};
	int sv[2];

	CHECK_EQ(loop_init(), 0);
	pair(sv);
	p.src.fd = sv[0];
	CHECK_EQ(write(sv[1], "x", 1), 1);
	CHECK_EQ(loop_add(&p.src, LOOP_IN | LOOP_OUT), 0);
	run_for(2000);
	/* readable and writable: one call, as with epoll */
	CHECK_EQ(p.calls, 1);
	CHECK_EQ(p.last, LOOP_IN | LOOP_OUT);
	loop_del(&p.src);
	close(sv[0]);
	close(sv[1]);
	loop_fini();
}

static void test_delete_in_batch(void)
{
	struct probe a = {.src = {.fn = probe_fn}},
		     b = {.src = {.fn = probe_fn}};
	int s1[2], s2[2];

	CHECK_EQ(loop_init(), 0);
	pair(s1);
	pair(s2);
	a.src.fd = s1[0];
	b.src.fd = s2[0];
	CHECK_EQ(write(s1[1], "x", 1), 1);
	CHECK_EQ(write(s2[1], "x", 1), 1);
	CHECK_EQ(loop_add(&a.src, LOOP_IN), 0);
	CHECK_EQ(loop_add(&b.src, LOOP_IN), 0);
	/* whichever runs first deletes the other; both are in one batch */
	a.victim = &b;
	b.victim = &a;
	a.stop = b.stop = true;
	run_for(2000);
	CHECK_EQ(a.calls + b.calls, 1);
	loop_del(&a.src);
	loop_del(&b.src);
	close(s1[0]);
	close(s1[1]);
	close(s2[0]);
	close(s2[1]);
	loop_fini();
}

static void test_eof(void)
{
	struct probe p = {.src = {.fn = probe_fn}, .stop = true};
	char c;
	int sv[2];

	CHECK_EQ(loop_init(), 0);
	pair(sv);
	p.src.fd = sv[0];
	CHECK_EQ(loop_add(&p.src, LOOP_IN), 0);
	close(sv[1]);
	run_for(2000);
	CHECK_EQ(p.calls, 1);
	CHECK(p.last & LOOP_IN);
	CHECK_EQ(read(sv[0], &c, 1), 0);
	loop_del(&p.src);
	close(sv[0]);
	loop_fini();
}

static void test_pipe_read_end(void)
{
	struct probe p = {.src = {.fn = probe_fn}, .stop = true, .drain = true};
	int fds[2];

	CHECK_EQ(loop_init(), 0);
	CHECK_EQ(pipe(fds), 0);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	p.src.fd = fds[0];
	/* only EVFILT_READ may be added on a pipe's read end */
	CHECK_EQ(loop_add(&p.src, LOOP_IN), 0);
	CHECK_EQ(write(fds[1], "x", 1), 1);
	run_for(2000);
	CHECK_EQ(p.calls, 1);
	loop_del(&p.src);
	close(fds[0]);
	close(fds[1]);
	loop_fini();
}

static void test_fd_reuse(void)
{
	struct probe p = {.src = {.fn = probe_fn}, .stop = true, .drain = true};
	struct probe q = {.src = {.fn = probe_fn}, .stop = true, .drain = true};
	int sv[2], sw[2];

	CHECK_EQ(loop_init(), 0);
	pair(sv);
	p.src.fd = sv[0];
	CHECK_EQ(loop_add(&p.src, LOOP_IN | LOOP_OUT), 0);
	loop_del(&p.src);
	close(sv[0]);
	close(sv[1]);
	pair(sw); /* likely the same numbers */
	q.src.fd = sw[0];
	CHECK_EQ(loop_add(&q.src, LOOP_IN), 0);
	CHECK_EQ(write(sw[1], "y", 1), 1);
	run_for(2000);
	CHECK_EQ(p.calls, 0);
	CHECK_EQ(q.calls, 1);
	CHECK_EQ(q.last, LOOP_IN);
	loop_del(&q.src);
	close(sw[0]);
	close(sw[1]);
	loop_fini();
}

static void test_errors(void)
{
	struct probe p = {.src = {.fn = probe_fn}};
	int fds[2];

	CHECK_EQ(loop_init(), 0);
	CHECK_EQ(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	p.src.fd = fds[0];
	CHECK_EQ(loop_add(&p.src, LOOP_IN), -1);
	CHECK_EQ(errno, EBADF);
	CHECK(!p.src.registered);
	loop_fini();
}

static void test_fork(void)
{
	struct probe p = {.src = {.fn = probe_fn}, .stop = true, .drain = true};
	int sv[2], st = -1;
	pid_t pid;

	CHECK_EQ(loop_init(), 0);
	pair(sv);
	p.src.fd = sv[0];
	CHECK_EQ(loop_add(&p.src, LOOP_IN), 0);
	pid = fork();
	if (pid == 0) {
		/* The kqueue did not come along; the loop must still work. */
		alarm(5);
		if (write(sv[1], "x", 1) != 1)
			_exit(3);
		run_for(2000);
		if (p.calls != 1 || p.last != LOOP_IN)
			_exit(1);
		loop_del(&p.src);
		loop_fini();
		_exit(unit_failed_checks ? 2 : 0);
	}
	CHECK(pid > 0);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* and the parent's loop is untouched */
	CHECK_EQ(write(sv[1], "z", 1), 1);
	run_for(2000);
	CHECK_EQ(p.calls, 1);
	loop_del(&p.src);
	close(sv[0]);
	close(sv[1]);
	loop_fini();
}

static const struct unit_test tests[] = {
    {"read", test_read},
    {"timer_only", test_timer_only},
    {"out_toggle", test_out_toggle},
    {"merged", test_merged},
    {"delete_in_batch", test_delete_in_batch},
    {"eof", test_eof},
    {"pipe_read_end", test_pipe_read_end},
    {"fd_reuse", test_fd_reuse},
    {"errors", test_errors},
    {"fork", test_fork},
};

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	return unit_main("loop_kqueue", tests,
			 sizeof(tests) / sizeof(tests[0]));
}
