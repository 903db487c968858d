/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double of macOS's private batch calls recvmsg_x() and sendmsg_x()
 * for Linux, over an ordinary socket (a socketpair in the checks): each
 * call does up to its count of datagrams with recvmsg()/sendmsg(), with
 * the contract xnu documents (bsd/sys/socket_private.h) enforced: flags
 * MSG_DONTWAIT or 0; for sendmsg_x() no address, no ancillary data and
 * msg_flags/msg_datalen zero; for recvmsg_x() msg_flags zero on input and
 * the length in msg_datalen on output; the count of datagrams done as
 * the result, -1 only when none was. A check can make sends partial (at
 * most K datagrams per call; MSGX_DOUBLE_PARTIAL=K in the environment does
 * it for a program that does not know the double), fail them with an errno, or
 * make a batch larger than a byte limit fail with EMSGSIZE, and reads what the
 * calls were asked. This models the documented contract, not xnu.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "msgx_double.h"

static struct msgx_double dbl;

struct msgx_double *msgx_double(void)
{
	return &dbl;
}

void msgx_double_reset(void)
{
	memset(&dbl, 0, sizeof(dbl));
}

/* The payload of one message. */
static size_t mx_len(const struct msghdr_x *x)
{
	size_t len = 0;

	for (int i = 0; i < x->msg_iovlen; i++)
		len += x->msg_iov[i].iov_len;
	return len;
}

/* How many of @cnt this call may do, or -1 with errno set. */
static int mx_allowed(unsigned int cnt, int flags, unsigned int *calls,
		      unsigned int *largest)
{
	(*calls)++;
	if (cnt > *largest)
		*largest = cnt;
	if (flags & ~MSG_DONTWAIT) {
		dbl.bad_args++;
		errno = EINVAL;
		return -1;
	}
	if (dbl.fail_errno) {
		errno = dbl.fail_errno;
		if (!dbl.fail_sticky)
			dbl.fail_errno = 0;
		return -1;
	}
	return (int)cnt;
}

ssize_t recvmsg_x(int s, const struct msghdr_x *msgp, unsigned int cnt,
		  int flags)
{
	struct msghdr_x *x = (struct msghdr_x *)msgp;
	int k = mx_allowed(cnt, flags, &dbl.recv_calls, &dbl.recv_largest);
	unsigned int i;

	if (k < 0)
		return -1;
	for (i = 0; i < (unsigned int)k; i++) {
		struct msghdr h = {
		    .msg_name = x[i].msg_name,
		    .msg_namelen = x[i].msg_namelen,
		    .msg_iov = x[i].msg_iov,
		    .msg_iovlen = (size_t)x[i].msg_iovlen,
		};
		ssize_t r;

		if (x[i].msg_flags || x[i].msg_control) {
			dbl.bad_args++;
			errno = EINVAL;
			return i ? (ssize_t)i : -1;
		}
		r = recvmsg(s, &h, flags);
		if (r < 0)
			return i ? (ssize_t)i : -1;
		x[i].msg_datalen = (size_t)r;
		x[i].msg_flags = h.msg_flags;
		x[i].msg_namelen = h.msg_namelen;
		dbl.recv_datagrams++;
	}
	return (ssize_t)i;
}

ssize_t sendmsg_x(int s, const struct msghdr_x *msgp, unsigned int cnt,
		  int flags)
{
	const char *env = getenv("MSGX_DOUBLE_PARTIAL");
	int k = mx_allowed(cnt, flags, &dbl.send_calls, &dbl.send_largest);
	size_t total = 0;
	unsigned int i;

	if (k < 0)
		return -1;
	if (env && !dbl.send_partial)
		dbl.send_partial = (unsigned int)atoi(env);
	if (dbl.send_partial && (unsigned int)k > dbl.send_partial)
		k = (int)dbl.send_partial;
	for (i = 0; i < cnt; i++) {
		if (msgp[i].msg_name || msgp[i].msg_namelen ||
		    msgp[i].msg_control || msgp[i].msg_controllen ||
		    msgp[i].msg_flags || msgp[i].msg_datalen) {
			dbl.bad_args++;
			errno = EINVAL;
			return -1;
		}
		total += mx_len(&msgp[i]);
	}
	if (dbl.max_batch_bytes && cnt > 1 && total > dbl.max_batch_bytes) {
		dbl.too_big++;
		errno = EMSGSIZE;
		return -1;
	}
	for (i = 0; i < (unsigned int)k; i++) {
		struct msghdr h = {
		    .msg_iov = msgp[i].msg_iov,
		    .msg_iovlen = (size_t)msgp[i].msg_iovlen,
		};

		if (sendmsg(s, &h, flags) < 0)
			return i ? (ssize_t)i : -1;
		dbl.send_datagrams++;
	}
	return (ssize_t)i;
}
