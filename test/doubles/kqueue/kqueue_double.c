/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double of kqueue(2) over poll(), level-triggered, EVFILT_READ and
 * EVFILT_WRITE only. It keeps the rules src/loop_kqueue.c must live with:
 * a filter is added before it is enabled, disabled or deleted (ENOENT
 * otherwise); the descriptor must be open (EBADF); EVFILT_WRITE on the read
 * end of a pipe is refused (EINVAL, as FreeBSD does); readable and writable
 * are separate events; and a kqueue is not inherited across fork() (EBADF
 * in the child, as on the BSDs and macOS).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <sys/event.h>

#define KQD_MAX_QUEUES 8
#define KQD_MAX_REGS   1024

struct kqd_reg {
	int fd;
	int16_t filter;
	bool enabled;
	void *udata;
};

struct kqd {
	int fd; /* the handle kqueue() returned, -1 when free */
	pid_t pid;
	unsigned int nregs;
	struct kqd_reg regs[KQD_MAX_REGS];
};

static struct kqd kqd_queues[KQD_MAX_QUEUES];
static bool kqd_ready;

int kqueue(void)
{
	int fd;

	if (!kqd_ready) {
		for (int i = 0; i < KQD_MAX_QUEUES; i++)
			kqd_queues[i].fd = -1;
		kqd_ready = true;
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A queue whose handle number comes back was closed meanwhile. */
	for (int i = 0; i < KQD_MAX_QUEUES; i++)
		if (kqd_queues[i].fd == fd)
			kqd_queues[i].fd = -1;
	for (int i = 0; i < KQD_MAX_QUEUES; i++) {
		struct kqd *q = &kqd_queues[i];

		if (q->fd >= 0 && q->pid == getpid())
			continue;
		q->fd = fd;
		q->pid = getpid();
		q->nregs = 0;
		return fd;
	}
	close(fd);
	errno = EMFILE;
	return -1;
}

static struct kqd *kqd_find(int kq)
{
	for (int i = 0; kqd_ready && i < KQD_MAX_QUEUES; i++) {
		if (kqd_queues[i].fd == kq && kqd_queues[i].pid == getpid())
			return &kqd_queues[i];
	}
	errno = EBADF;
	return NULL;
}

static struct kqd_reg *kqd_reg(struct kqd *q, int fd, int16_t filter)
{
	for (unsigned int i = 0; i < q->nregs; i++)
		if (q->regs[i].fd == fd && q->regs[i].filter == filter)
			return &q->regs[i];
	return NULL;
}

static bool kqd_pipe_read_end(int fd)
{
	struct stat sb;
	int fl = fcntl(fd, F_GETFL);

	return fstat(fd, &sb) == 0 && S_ISFIFO(sb.st_mode) && fl >= 0 &&
	       (fl & O_ACCMODE) == O_RDONLY;
}

static int kqd_change(struct kqd *q, const struct kevent *c)
{
	int fd = (int)c->ident;
	struct kqd_reg *r;

	if (c->filter != EVFILT_READ && c->filter != EVFILT_WRITE)
		return EINVAL;
	if (fcntl(fd, F_GETFD) < 0)
		return EBADF;
	r = kqd_reg(q, fd, c->filter);
	if (c->flags & EV_DELETE) {
		if (!r)
			return ENOENT;
		*r = q->regs[--q->nregs];
		return 0;
	}
	if (c->flags & EV_ADD) {
		if (c->filter == EVFILT_WRITE && kqd_pipe_read_end(fd))
			return EINVAL;
		if (!r) {
			if (q->nregs == KQD_MAX_REGS)
				return ENOMEM;
			r = &q->regs[q->nregs++];
			r->fd = fd;
			r->filter = c->filter;
			r->enabled = true;
		}
		r->udata = c->udata;
	}
	if (!r)
		return ENOENT;
	if (c->flags & EV_DISABLE)
		r->enabled = false;
	if (c->flags & EV_ENABLE)
		r->enabled = true;
	return 0;
}

int kevent(int kq, const struct kevent *changelist, int nchanges,
	   struct kevent *eventlist, int nevents,
	   const struct timespec *timeout)
{
	struct pollfd pfd[KQD_MAX_REGS];
	struct kqd_reg *which[KQD_MAX_REGS];
	struct kqd *q = kqd_find(kq);
	int np = 0, n = 0, tmo = -1, r;

	if (!q)
		return -1;
	for (int i = 0; i < nchanges; i++) {
		int e = kqd_change(q, &changelist[i]);

		if (e) {
			errno = e;
			return -1;
		}
	}
	if (nevents <= 0)
		return 0;
	for (unsigned int i = 0; i < q->nregs; i++) {
		if (!q->regs[i].enabled)
			continue;
		pfd[np].fd = q->regs[i].fd;
		pfd[np].events = q->regs[i].filter == EVFILT_READ
				     ? POLLIN | POLLRDHUP
				     : POLLOUT;
		pfd[np].revents = 0;
		which[np++] = &q->regs[i];
	}
	if (timeout)
		tmo = (int)(timeout->tv_sec * 1000 +
			    (timeout->tv_nsec + 999999) / 1000000);
	r = poll(pfd, (nfds_t)np, tmo);
	if (r < 0)
		return -1;
	for (int i = 0; i < np && n < nevents; i++) {
		short re = pfd[i].revents;
		struct kevent *ev = &eventlist[n];
		int avail = 0;

		if (!re || (re & POLLNVAL))
			continue;
		if (which[i]->filter == EVFILT_READ) {
			if (!(re & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)))
				continue;
			ioctl(pfd[i].fd, FIONREAD, &avail);
		} else if (!(re & (POLLOUT | POLLHUP | POLLERR))) {
			continue;
		}
		EV_SET(ev, (uintptr_t)pfd[i].fd, which[i]->filter, 0, 0, avail,
		       which[i]->udata);
		if (re & (POLLHUP | POLLRDHUP | POLLERR))
			ev->flags |= EV_EOF;
		n++;
	}
	return n;
}
