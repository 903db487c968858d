/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control side of the recvmsg_x()/sendmsg_x() double (msgx_double.c); the
 * calls themselves are declared in src/compat_msgx.h.
 */
#ifndef MSGX_DOUBLE_H
#define MSGX_DOUBLE_H

#include <stddef.h>

#include "compat_msgx.h"

/* What the check sets, and what the calls saw since the last reset. */
struct msgx_double {
	/* set by the check */
	unsigned int send_partial; /* non-zero: sendmsg_x() sends this many
				      at most per call */
	int fail_errno;		   /* non-zero: the next call fails so */
	int fail_sticky;	   /* ... and every one after it */
	size_t max_batch_bytes;	   /* non-zero: a larger batch is EMSGSIZE */
	/* seen */
	unsigned int recv_calls, recv_datagrams, recv_largest;
	unsigned int send_calls, send_datagrams, send_largest;
	unsigned int too_big;  /* EMSGSIZE given */
	unsigned int bad_args; /* calls against the documented contract */
};

struct msgx_double *msgx_double(void);
void msgx_double_reset(void);

#endif /* MSGX_DOUBLE_H */
