/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event loop on Linux: epoll, level-triggered. The portable part (timers,
 * the run loop) is in loop.c; this file only provides the loop_backend_*
 * functions declared in loop_backend.h.
 */
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "loop.h"
#include "loop_backend.h"

#define LOOP_EPOLL_BATCH 64 /* events taken per epoll_wait() */

static int loop_epoll_fd = -1;

/**
 * loop_backend_init() - create the epoll instance
 *
 * Return: 0 on success, -1 with errno set
 */
int loop_backend_init(void)
{
	loop_epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	return loop_epoll_fd < 0 ? -1 : 0;
}

/**
 * loop_backend_fini() - close the epoll instance
 */
void loop_backend_fini(void)
{
	if (loop_epoll_fd >= 0)
		close(loop_epoll_fd);
	loop_epoll_fd = -1;
}

/**
 * loop_epoll_mask() - translate LOOP_* events to epoll's
 * @events:	LOOP_IN and/or LOOP_OUT
 *
 * Return: the epoll event mask
 */
static uint32_t loop_epoll_mask(unsigned int events)
{
	uint32_t m = 0;

	if (events & LOOP_IN)
		m |= EPOLLIN | EPOLLRDHUP;
	if (events & LOOP_OUT)
		m |= EPOLLOUT;
	return m;
}

/**
 * loop_backend_set() - add, change or remove interest in a descriptor
 * @src:	the source
 * @events:	the new interest (LOOP_IN/LOOP_OUT, may be 0)
 * @op:		add, modify or delete
 *
 * Return: 0 on success, -1 with errno set
 */
int loop_backend_set(struct loop_source *src, unsigned int events,
		     enum loop_op op)
{
	struct epoll_event ev = {.events = loop_epoll_mask(events),
				 .data.ptr = src};
	static const int ops[] = {
	    [LOOP_OP_ADD] = EPOLL_CTL_ADD,
	    [LOOP_OP_MOD] = EPOLL_CTL_MOD,
	    [LOOP_OP_DEL] = EPOLL_CTL_DEL,
	};

	return epoll_ctl(loop_epoll_fd, ops[op], src->fd, &ev);
}

/**
 * loop_backend_wait() - wait for events and dispatch them
 * @timeout_ms:	longest wait, -1 for no limit
 * @woke:	called once after the wait, before any event is dispatched
 *
 * Return: number of events dispatched, or -1 with errno set (EINTR is
 * reported as 0)
 */
int loop_backend_wait(int timeout_ms, void (*woke)(void))
{
	struct epoll_event evs[LOOP_EPOLL_BATCH];
	int n = epoll_wait(loop_epoll_fd, evs, LOOP_EPOLL_BATCH, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n)
		woke();
	for (int i = 0; i < n; i++) {
		struct loop_source *src = evs[i].data.ptr;
		unsigned int e = 0;

		if (evs[i].events & (EPOLLIN | EPOLLRDHUP))
			e |= LOOP_IN;
		if (evs[i].events & EPOLLOUT)
			e |= LOOP_OUT;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			e |= LOOP_ERR;
		if (loop_source_live(src))
			src->fn(src, e);
	}
	return n;
}
