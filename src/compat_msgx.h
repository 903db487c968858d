/* SPDX-License-Identifier: Apache-2.0 */
/*
 * macOS's private batch calls recvmsg_x() and sendmsg_x() (libSystem since
 * OS X 10.11), which no SDK header declares: their prototypes and struct
 * msghdr_x, with the layout of xnu's bsd/sys/socket_private.h. Only
 * compat.c calls them (see its theory of operation); the test double in
 * test/doubles/msgx/ implements them on Linux.
 */
#ifndef COMPAT_MSGX_H
#define COMPAT_MSGX_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

/**
 * struct msghdr_x - one datagram of recvmsg_x()/sendmsg_x()
 * @msg_name:	address (must be NULL for sendmsg_x())
 * @msg_namelen: its size
 * @msg_iov:	the buffers
 * @msg_iovlen:	how many
 * @msg_control: ancillary data (unused: NULL)
 * @msg_controllen: its size
 * @msg_flags:	recvmsg_x(): MSG_TRUNC and such on return; 0 on input
 * @msg_datalen: recvmsg_x(): the datagram's length on return; 0 on input
 */
struct msghdr_x {
	void *msg_name;
	socklen_t msg_namelen;
	struct iovec *msg_iov;
	int msg_iovlen;
	void *msg_control;
	socklen_t msg_controllen;
	int msg_flags;
	size_t msg_datalen;
};

/* Up to @cnt datagrams; the count done, or -1 with errno set if none. */
ssize_t recvmsg_x(int s, const struct msghdr_x *msgp, unsigned int cnt,
		  int flags);
ssize_t sendmsg_x(int s, const struct msghdr_x *msgp, unsigned int cnt,
		  int flags);

#endif /* COMPAT_MSGX_H */
