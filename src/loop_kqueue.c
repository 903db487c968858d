/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event loop on macOS and the BSDs: kqueue, level-triggered. The portable
 * part (timers, the run loop) is in loop.c; this file only provides the
 * loop_backend_* functions declared in loop_backend.h.
 *
 * kqueue watches (descriptor, filter) pairs: LOOP_IN is an EVFILT_READ
 * filter, LOOP_OUT an EVFILT_WRITE filter. A filter is added (EV_ADD) the
 * first time a source asks for it and afterwards switched with EV_ENABLE /
 * EV_DISABLE, so a stream port that waits for room again and again does not
 * allocate and free kernel state each time; loop_del() deletes (EV_DELETE)
 * what was added. A filter never asked for is never added: EVFILT_WRITE on
 * the read end of a pipe (vmnet.c's notification pipe) is refused by some
 * systems.
 *
 * kevent() reports readable and writable as two events; they are merged so
 * a callback sees LOOP_IN | LOOP_OUT once, as with epoll. Events for a
 * source deleted earlier in the same batch are skipped
 * (loop_source_live()), and bits the source no longer asks for are masked.
 *
 * A kqueue is not inherited by fork(): the child of priv_separate() would
 * find its descriptor gone. The backend remembers which process made the
 * queue; in any other process it makes a new one and adds every
 * registered source again before going on.
 *
 * On Linux it compiles against test/kqueue-double (or libkqueue) for
 * test/loop_kqueue_check.sh.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>

#include "loop.h"
#include "loop_backend.h"

#define LOOP_KQ_BATCH 64 /* events taken per kevent() */

#define LOOP_KQ_READ  0x1u /* EVFILT_READ added */
#define LOOP_KQ_WRITE 0x2u /* EVFILT_WRITE added */

/* What is registered for one descriptor. */
struct loop_kq_fd {
	struct loop_source *src;
	unsigned int added; /* LOOP_KQ_READ / LOOP_KQ_WRITE */
};

/**
 * struct loop_kq_state - the backend's state
 * @kq:		the kqueue (-1: none)
 * @pid:	the process that made it (a kqueue is not inherited)
 * @fds:	what is registered, indexed by descriptor
 * @nfds:	size of @fds
 */
static struct loop_kq_state {
	int kq;
	pid_t pid;
	struct loop_kq_fd *fds;
	size_t nfds;
} kqs = {.kq = -1};

/**
 * loop_backend_init() - create the kqueue
 *
 * Return: 0 on success, -1 with errno set
 */
int loop_backend_init(void)
{
	kqs.kq = kqueue();
	if (kqs.kq < 0)
		return -1;
	fcntl(kqs.kq, F_SETFD, FD_CLOEXEC);
	kqs.pid = getpid();
	return 0;
}

/**
 * loop_backend_fini() - close the kqueue and forget every source
 */
void loop_backend_fini(void)
{
	if (kqs.kq >= 0 && kqs.pid == getpid())
		close(kqs.kq);
	kqs.kq = -1;
	free(kqs.fds);
	kqs.fds = NULL;
	kqs.nfds = 0;
}

/**
 * loop_kq_slot() - the registration record of a descriptor
 * @fd:		the descriptor
 * @grow:	make room for it if there is none
 *
 * Return: the record, NULL if @fd has none (or no memory, errno ENOMEM)
 */
static struct loop_kq_fd *loop_kq_slot(int fd, bool grow)
{
	if (fd < 0) {
		errno = EBADF;
		return NULL;
	}
	if ((size_t)fd >= kqs.nfds) {
		size_t n = kqs.nfds ? kqs.nfds : 64;
		struct loop_kq_fd *p;

		if (!grow)
			return NULL;
		while (n <= (size_t)fd)
			n *= 2;
		p = realloc(kqs.fds, n * sizeof(*p));
		if (!p) {
			errno = ENOMEM;
			return NULL;
		}
		for (size_t i = kqs.nfds; i < n; i++) {
			p[i].src = NULL;
			p[i].added = 0;
		}
		kqs.fds = p;
		kqs.nfds = n;
	}
	return &kqs.fds[fd];
}

/**
 * loop_kq_apply() - bring a descriptor's filters in line with its interest
 * @kq:		the kqueue
 * @slot:	its record (added is updated)
 * @src:	its source
 * @events:	LOOP_IN/LOOP_OUT wanted (0 with @del: remove everything)
 * @del:	delete the filters instead
 *
 * Return: 0 on success, -1 with errno set
 */
static int loop_kq_apply(int kq, struct loop_kq_fd *slot,
			 struct loop_source *src, unsigned int events, bool del)
{
	static const struct {
		short filter;
		unsigned int bit, loop;
	} f[2] = {{EVFILT_READ, LOOP_KQ_READ, LOOP_IN},
		  {EVFILT_WRITE, LOOP_KQ_WRITE, LOOP_OUT}};
	struct kevent ch[2];
	unsigned int added = slot->added;
	int n = 0;

	for (int i = 0; i < 2; i++) {
		unsigned short flags;

		if (del) {
			if (!(added & f[i].bit))
				continue;
			flags = EV_DELETE;
			added &= ~f[i].bit;
		} else if (events & f[i].loop) {
			flags =
			    added & f[i].bit ? EV_ENABLE : EV_ADD | EV_ENABLE;
			added |= f[i].bit;
		} else if (added & f[i].bit) {
			flags = EV_DISABLE;
		} else {
			continue;
		}
		EV_SET(&ch[n], (uintptr_t)src->fd, f[i].filter, flags, 0, 0,
		       src);
		n++;
	}
	if (n && kevent(kq, ch, n, NULL, 0, NULL) < 0)
		return -1;
	slot->added = added;
	return 0;
}

/**
 * loop_kq_check_fork() - make a new kqueue in a forked process
 *
 * Return: 0 on success, -1 with errno set
 */
static int loop_kq_check_fork(void)
{
	int kq;

	if (kqs.pid == getpid())
		return 0;
	/* The old descriptor number is not ours any more: leave it be. */
	kq = kqueue();
	if (kq < 0)
		return -1;
	fcntl(kq, F_SETFD, FD_CLOEXEC);
	kqs.kq = kq;
	kqs.pid = getpid();
	for (size_t fd = 0; fd < kqs.nfds; fd++) {
		struct loop_kq_fd *slot = &kqs.fds[fd];

		if (!slot->src)
			continue;
		slot->added = 0;
		if (loop_kq_apply(kq, slot, slot->src, slot->src->events,
				  false) < 0)
			return -1;
	}
	return 0;
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
	struct loop_kq_fd *slot;

	if (loop_kq_check_fork() < 0)
		return -1;
	slot = loop_kq_slot(src->fd, op == LOOP_OP_ADD);
	if (!slot)
		return -1;
	switch (op) {
	case LOOP_OP_ADD:
		if (slot->src) {
			errno = EEXIST;
			return -1;
		}
		slot->added = 0;
		if (loop_kq_apply(kqs.kq, slot, src, events, false) < 0)
			return -1;
		slot->src = src;
		return 0;
	case LOOP_OP_MOD:
		if (slot->src != src) {
			errno = ENOENT;
			return -1;
		}
		return loop_kq_apply(kqs.kq, slot, src, events, false);
	case LOOP_OP_DEL:
		if (slot->src != src) {
			errno = ENOENT;
			return -1;
		}
		slot->src = NULL;
		return loop_kq_apply(kqs.kq, slot, src, 0, true);
	}
	errno = EINVAL;
	return -1;
}

/**
 * loop_kq_bits() - translate one kevent to LOOP_* bits
 * @ev:		the event
 *
 * Return: LOOP_IN, LOOP_OUT and/or LOOP_ERR
 */
static unsigned int loop_kq_bits(const struct kevent *ev)
{
	unsigned int e = 0;

	if (ev->flags & EV_ERROR)
		return LOOP_ERR;
	if (ev->filter == EVFILT_READ) {
		/* EOF is seen by the reader (read() returns 0); a socket
		 * error comes with it in fflags. */
		e |= LOOP_IN;
		if ((ev->flags & EV_EOF) && ev->fflags)
			e |= LOOP_ERR;
	} else if (ev->filter == EVFILT_WRITE) {
		e |= LOOP_OUT;
		if (ev->flags & EV_EOF)
			e |= LOOP_ERR;
	}
	return e;
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
	struct kevent evs[LOOP_KQ_BATCH];
	struct timespec ts, *tsp = NULL;
	int n, dispatched = 0;

	if (loop_kq_check_fork() < 0)
		return -1;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	n = kevent(kqs.kq, NULL, 0, evs, LOOP_KQ_BATCH, tsp);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n)
		woke();
	for (int i = 0; i < n; i++) {
		struct loop_source *src = evs[i].udata;
		unsigned int e;

		if (!src)
			continue;
		e = loop_kq_bits(&evs[i]);
		/* Merge the other filter's event for the same source. */
		for (int j = i + 1; j < n; j++) {
			if (evs[j].udata == src) {
				e |= loop_kq_bits(&evs[j]);
				evs[j].udata = NULL;
			}
		}
		if (!loop_source_live(src))
			continue;
		e &= src->events | LOOP_ERR;
		if (!e)
			continue;
		src->fn(src, e);
		dispatched++;
	}
	return dispatched;
}
