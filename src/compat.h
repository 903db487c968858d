/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The few system calls the core uses that Linux has and the BSDs/macOS do
 * not (or not all): descriptors created non-blocking and close-on-exec in
 * one call, and batched datagram I/O. On Linux they are the real calls; on
 * other systems small equivalents built from the portable ones (macOS:
 * its own batch calls, see compat.c).
 */
#ifndef COMPAT_H
#define COMPAT_H

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

/**
 * compat_flags() - make a descriptor close-on-exec, maybe non-blocking
 * @fd:		the descriptor (closed on failure)
 * @nonblock:	make it non-blocking
 *
 * Return: @fd, or -1 with errno set
 */
static inline int compat_flags(int fd, int nonblock)
{
	if (fd < 0)
		return -1;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) ||
	    (nonblock && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

#if defined(__linux__)

/**
 * compat_socket() - socket() that is close-on-exec, and non-blocking if asked
 * @domain:	address family
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @nonblock:	make it non-blocking
 *
 * Return: the descriptor, or -1 with errno set
 */
static inline int compat_socket(int domain, int type, int nonblock)
{
	return socket(domain,
		      type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
}

/**
 * compat_accept() - accept() a non-blocking, close-on-exec connection
 * @fd:		listening socket
 *
 * Return: the descriptor, or -1 with errno set
 */
static inline int compat_accept(int fd)
{
	return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

/**
 * compat_pipe() - a non-blocking, close-on-exec pipe
 * @fds:	filled with the read and write ends
 *
 * Return: 0, or -1 with errno set
 */
static inline int compat_pipe(int fds[2])
{
	return pipe2(fds, O_CLOEXEC | O_NONBLOCK);
}

#else /* not Linux */

static inline int compat_socket(int domain, int type, int nonblock)
{
	return compat_flags(socket(domain, type, 0), nonblock);
}

static inline int compat_accept(int fd)
{
	return compat_flags(accept(fd, NULL, NULL), 1);
}

static inline int compat_pipe(int fds[2])
{
	if (pipe(fds))
		return -1;
	if (compat_flags(fds[0], 1) < 0) {
		close(fds[1]);
		return -1;
	}
	if (compat_flags(fds[1], 1) < 0) {
		close(fds[0]);
		return -1;
	}
	return 0;
}

/**
 * struct mmsghdr - one message of a batch, as Linux defines it
 * @msg_hdr:	the message
 * @msg_len:	bytes received or sent
 */
struct mmsghdr {
	struct msghdr msg_hdr;
	unsigned int msg_len;
};

#endif

/*
 * Batched datagram I/O (compat.c): recvmmsg()/sendmmsg() on Linux,
 * recvmsg_x()/sendmsg_x() on macOS where the batch allows it, one
 * recvmsg()/sendmsg() per datagram elsewhere. Same contract everywhere:
 * the number of datagrams done (fewer than asked when the socket ran dry
 * or full), or -1 with errno set when none was.
 */
int compat_recvmmsg(int fd, struct mmsghdr *m, unsigned int n, int flags);
int compat_sendmmsg(int fd, struct mmsghdr *m, unsigned int n, int flags);
const char *compat_batch_name(void);

#endif /* COMPAT_H */
