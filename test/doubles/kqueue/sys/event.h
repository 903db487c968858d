/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double of <sys/event.h> (kqueue) for Linux, for building and running
 * src/loop_kqueue.c where neither the BSDs' kqueue nor libkqueue is at
 * hand (Debian 12 has no libkqueue package). Declared from the kqueue(2)
 * manual page of FreeBSD and macOS; implemented over poll() by
 * kqueue_double.c, read and write filters only.
 */
#ifndef KQUEUE_DOUBLE_EVENT_H
#define KQUEUE_DOUBLE_EVENT_H

#include <stdint.h>
#include <time.h>

struct kevent {
	uintptr_t ident; /* the descriptor */
	int16_t filter;	 /* EVFILT_* */
	uint16_t flags;	 /* EV_* */
	uint32_t fflags; /* filter flags (socket error with EV_EOF) */
	intptr_t data;	 /* bytes readable; errno with EV_ERROR */
	void *udata;	 /* passed back untouched */
};

#define EVFILT_READ  (-1)
#define EVFILT_WRITE (-2)

#define EV_ADD	   0x0001u
#define EV_DELETE  0x0002u
#define EV_ENABLE  0x0004u
#define EV_DISABLE 0x0008u
#define EV_ONESHOT 0x0010u
#define EV_CLEAR   0x0020u
#define EV_RECEIPT 0x0040u
#define EV_ERROR   0x4000u
#define EV_EOF	   0x8000u

#define EV_SET(kevp, a, b, c, d, e, f)                                         \
	do {                                                                   \
		struct kevent *kev_ = (kevp);                                  \
		kev_->ident = (a);                                             \
		kev_->filter = (int16_t)(b);                                   \
		kev_->flags = (uint16_t)(c);                                   \
		kev_->fflags = (uint32_t)(d);                                  \
		kev_->data = (e);                                              \
		kev_->udata = (f);                                             \
	} while (0)

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges,
	   struct kevent *eventlist, int nevents,
	   const struct timespec *timeout);

#endif /* KQUEUE_DOUBLE_EVENT_H */
