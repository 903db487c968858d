/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Batched datagram I/O: the one place that decides how a batch of
 * datagrams is read or written (compat.h).
 *
 * Theory of operation. Linux has recvmmsg() and sendmmsg(), and they are
 * used as they are. macOS has two private system calls that do the same,
 * recvmsg_x() and sendmsg_x(), exported by libSystem but declared in no SDK
 * header, so compat_msgx.h declares them and struct msghdr_x, as other
 * programs using them do (the layout is xnu's, bsd/sys/socket_private.h).
 * Where they cannot serve a batch, and on every other system, a loop of
 * recvmsg()/sendmsg() does, one datagram per call.
 *
 * What the private calls take, and so when they are used:
 * - only MSG_DONTWAIT as flags;
 * - sendmsg_x() sends no addresses (msg_name must be NULL): a batch for
 *   a peer of the shared --dgram-socket, which is addressed, goes by the
 *   loop; recvmsg_x() is used without addresses only too (whether it
 *   returns the sender's address on a UNIX socket is unchecked here);
 * - sendmsg_x() fails with EMSGSIZE when the batch as a whole exceeds the
 *   socket's send buffer: that batch goes by the loop;
 * - both may do fewer datagrams than asked (a partial send): the count is
 *   returned, as sendmmsg() does, and the caller goes on from there.
 * Should the kernel not have them (ENOSYS) or refuse them for a socket
 * (EOPNOTSUPP), they are given up for good and the loop takes over.
 *
 * COMPAT_MSG_X=1 builds the macOS path anywhere: the test double
 * (test/doubles/msgx/) implements the two calls on Linux over a
 * socketpair, so the same code is checked there.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "compat.h"
#include "compat_msgx.h"

#if defined(__APPLE__) && !defined(COMPAT_MSG_X)
#define COMPAT_MSG_X 1
#endif
#if defined(__linux__) && !(defined(COMPAT_MSG_X) && COMPAT_MSG_X)
#define COMPAT_NATIVE 1 /* recvmmsg() and sendmmsg() */
#endif

#if defined(COMPAT_MSG_X) && COMPAT_MSG_X

#define COMPAT_X_MAX 64u /* datagrams per private call, our cap */

/* Whether the private calls were given up (ENOSYS, EOPNOTSUPP). */
static struct {
	bool no_x;
} compat;

#endif

#if !defined(COMPAT_NATIVE)

/**
 * compat_loop() - receive or send up to @n datagrams, one call each
 * @fd:		socket
 * @m:		messages
 * @n:		how many
 * @flags:	recvmsg()/sendmsg() flags
 * @out:	send (else receive)
 *
 * Return: datagrams done, or -1 with errno set if none
 */
static int compat_loop(int fd, struct mmsghdr *m, unsigned int n, int flags,
		       bool out)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		ssize_t r = out ? sendmsg(fd, &m[i].msg_hdr, flags)
				: recvmsg(fd, &m[i].msg_hdr, flags);

		if (r < 0)
			return i ? (int)i : -1;
		m[i].msg_len = (unsigned int)r;
	}
	return (int)i;
}

#endif

#if defined(COMPAT_MSG_X) && COMPAT_MSG_X

/**
 * compat_x_fits() - tell whether the private calls can take a batch
 * @m:		messages
 * @n:		how many
 * @flags:	the caller's flags
 *
 * Return: true when neither an address nor ancillary data nor a flag
 * other than MSG_DONTWAIT is asked for, and the calls are not given up
 */
static bool compat_x_fits(const struct mmsghdr *m, unsigned int n, int flags)
{
	if (compat.no_x || (flags & ~MSG_DONTWAIT))
		return false;
	for (unsigned int i = 0; i < n; i++)
		if (m[i].msg_hdr.msg_name || m[i].msg_hdr.msg_control)
			return false;
	return true;
}

/**
 * compat_x_fill() - describe a batch for the private calls
 * @x:		filled in, @n entries
 * @m:		the caller's messages
 * @n:		how many (COMPAT_X_MAX at most)
 */
static void compat_x_fill(struct msghdr_x *x, const struct mmsghdr *m,
			  unsigned int n)
{
	memset(x, 0, n * sizeof(*x));
	for (unsigned int i = 0; i < n; i++) {
		x[i].msg_iov = m[i].msg_hdr.msg_iov;
		x[i].msg_iovlen = (int)m[i].msg_hdr.msg_iovlen;
	}
}

/**
 * compat_x_gone() - note a failure that means the calls cannot be used
 * @e:		the errno of the call
 *
 * Return: true when the loop must take over (for good)
 */
static bool compat_x_gone(int e)
{
	if (e != ENOSYS && e != EOPNOTSUPP)
		return false;
	compat.no_x = true;
	return true;
}

/**
 * compat_recv_x() - receive a batch with recvmsg_x()
 * @fd:		socket
 * @m:		messages (no addresses)
 * @n:		how many
 * @flags:	0 or MSG_DONTWAIT
 *
 * Return: datagrams received, -1 with errno set, or -2 when the loop
 * must do it
 */
static int compat_recv_x(int fd, struct mmsghdr *m, unsigned int n, int flags)
{
	struct msghdr_x x[COMPAT_X_MAX];
	ssize_t r;

	if (n > COMPAT_X_MAX)
		n = COMPAT_X_MAX;
	compat_x_fill(x, m, n);
	r = recvmsg_x(fd, x, n, flags);
	if (r < 0)
		return compat_x_gone(errno) ? -2 : -1;
	for (ssize_t i = 0; i < r; i++) {
		m[i].msg_len = (unsigned int)x[i].msg_datalen;
		m[i].msg_hdr.msg_flags = x[i].msg_flags;
	}
	return (int)r;
}

/**
 * compat_send_x() - send a batch with sendmsg_x()
 * @fd:		socket
 * @m:		messages (no addresses)
 * @n:		how many
 * @flags:	0 or MSG_DONTWAIT
 *
 * Return: datagrams sent, -1 with errno set, or -2 when the loop must do
 * it (calls given up, or a batch larger than the socket takes at once)
 */
static int compat_send_x(int fd, struct mmsghdr *m, unsigned int n, int flags)
{
	struct msghdr_x x[COMPAT_X_MAX];
	ssize_t r;

	if (n > COMPAT_X_MAX)
		n = COMPAT_X_MAX;
	compat_x_fill(x, m, n);
	r = sendmsg_x(fd, x, n, flags);
	if (r < 0) {
		if (errno == EMSGSIZE && n > 1)
			return -2;
		return compat_x_gone(errno) ? -2 : -1;
	}
	for (ssize_t i = 0; i < r; i++) {
		size_t len = 0;

		for (int k = 0; k < (int)m[i].msg_hdr.msg_iovlen; k++)
			len += m[i].msg_hdr.msg_iov[k].iov_len;
		m[i].msg_len = (unsigned int)len;
	}
	return (int)r;
}

#endif

/**
 * compat_recvmmsg() - receive a batch of datagrams
 * @fd:		socket
 * @m:		messages: buffers in, lengths (msg_len), flags and addresses
 *		out
 * @n:		how many at most
 * @flags:	recvmsg() flags (MSG_DONTWAIT)
 *
 * Return: datagrams received, or -1 with errno set if none
 */
int compat_recvmmsg(int fd, struct mmsghdr *m, unsigned int n, int flags)
{
#if defined(COMPAT_NATIVE)
	return recvmmsg(fd, m, n, flags, NULL);
#else
#if defined(COMPAT_MSG_X) && COMPAT_MSG_X
	if (compat_x_fits(m, n, flags)) {
		int r = compat_recv_x(fd, m, n, flags);

		if (r != -2)
			return r;
	}
#endif
	return compat_loop(fd, m, n, flags, false);
#endif
}

/**
 * compat_sendmmsg() - send a batch of datagrams
 * @fd:		socket
 * @m:		messages (msg_len set for those sent)
 * @n:		how many
 * @flags:	sendmsg() flags (MSG_DONTWAIT)
 *
 * Return: datagrams sent (the first ones of @m), or -1 with errno set if
 * none
 */
int compat_sendmmsg(int fd, struct mmsghdr *m, unsigned int n, int flags)
{
#if defined(COMPAT_NATIVE)
	return sendmmsg(fd, m, n, flags);
#else
#if defined(COMPAT_MSG_X) && COMPAT_MSG_X
	if (compat_x_fits(m, n, flags)) {
		int r = compat_send_x(fd, m, n, flags);

		if (r != -2)
			return r;
	}
#endif
	return compat_loop(fd, m, n, flags, true);
#endif
}

/**
 * compat_batch_name() - say how batches go on this system, for logs
 *
 * Return: a static string
 */
const char *compat_batch_name(void)
{
#if defined(COMPAT_NATIVE)
	return "recvmmsg/sendmmsg";
#elif defined(COMPAT_MSG_X) && COMPAT_MSG_X
	return compat.no_x ? "recvmsg/sendmsg per datagram (no recvmsg_x)"
			   : "recvmsg_x/sendmsg_x";
#else
	return "recvmsg/sendmsg per datagram";
#endif
}
