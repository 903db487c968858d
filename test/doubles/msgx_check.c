/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Checks of batched datagram I/O (src/compat.c) and of datagram ports over
 * it (src/dgram.c).
 *
 * On Linux it is built with COMPAT_MSG_X=1 against the recvmsg_x() and
 * sendmsg_x() double (test/doubles/msgx/, MSGX_DOUBLE defined): that is
 * macOS's code path, and the double's counters show how many calls each
 * batch took; it can make sends partial, fail a call, or refuse a batch
 * larger than the socket takes (EMSGSIZE). On macOS it is built against the
 * real calls: the checks of what arrives, in what order, run there too;
 * those that need the double's knobs are left out of that build (the
 * summary line counts only what ran). Built by `make doubles`.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "compat.h"
#include "dgram.h"
#include "log.h"
#include "loop.h"
#include "port.h"
#include "switch.h"
#include "unit.h"

#ifdef MSGX_DOUBLE
#include "msgx_double.h"
#define DBL(x) (msgx_double()->x)
#endif

#define N_MAX 64u
#define FRAME 60u

/**
 * pair() - a non-blocking datagram socketpair with roomy buffers
 * @sv:		filled with the two ends
 */
static void pair(int sv[2])
{
	int sz = 1 << 20;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	for (int i = 0; i < 2; i++) {
		CHECK_EQ(fcntl(sv[i], F_SETFL, O_NONBLOCK), 0);
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		setsockopt(sv[i], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
}

/* A batch of @n messages over bufs, each of @len bytes, tagged 0.. */
static struct {
	uint8_t bufs[N_MAX][2048];
	struct iovec iov[N_MAX];
	struct mmsghdr m[N_MAX];
} b;

/**
 * batch() - describe @n buffers of @len bytes, the first byte the index
 * @n:		how many (N_MAX at most)
 * @len:	bytes each
 */
static void batch(unsigned int n, size_t len)
{
	memset(b.m, 0, sizeof(b.m));
	for (unsigned int i = 0; i < n; i++) {
		memset(b.bufs[i], 0xa5, len);
		b.bufs[i][0] = (uint8_t)i;
		b.iov[i].iov_base = b.bufs[i];
		b.iov[i].iov_len = len;
		b.m[i].msg_hdr.msg_iov = &b.iov[i];
		b.m[i].msg_hdr.msg_iovlen = 1;
	}
}

/**
 * drain() - read what waits on @fd; check the tags run first, first+1..
 * @fd:		the socket
 * @first:	tag of the first datagram
 * @len:	length each must have
 *
 * Return: datagrams read
 */
static unsigned int drain(int fd, unsigned int first, size_t len)
{
	uint8_t buf[4096];
	unsigned int n = 0;
	ssize_t r;

	while ((r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) >= 0) {
		CHECK_EQ(r, (ssize_t)len);
		CHECK_EQ(buf[0], (uint8_t)(first + n));
		n++;
	}
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
	return n;
}

/**
 * reset() - clear the double's knobs and counters (nothing on macOS)
 */
static void reset(void)
{
#ifdef MSGX_DOUBLE
	msgx_double_reset();
#endif
}

/**
 * test_send_batch() - 40 datagrams: every one arrives, in order
 */
static void test_send_batch(void)
{
	int sv[2];

	reset();
	pair(sv);
	batch(40, 100);
	CHECK_EQ(compat_sendmmsg(sv[0], b.m, 40, MSG_DONTWAIT), 40);
	for (unsigned int i = 0; i < 40; i++)
		CHECK_EQ(b.m[i].msg_len, 100);
	CHECK_EQ(drain(sv[1], 0, 100), 40);
#ifdef MSGX_DOUBLE
	CHECK_EQ(DBL(send_calls), 1); /* one call for the batch */
	CHECK_EQ(DBL(send_datagrams), 40);
	CHECK_EQ(DBL(bad_args), 0);
#endif
	close(sv[0]);
	close(sv[1]);
}

/**
 * test_recv_batch() - 20 waiting datagrams come in one batch, lengths and
 * order kept; an empty socket says EAGAIN
 */
static void test_recv_batch(void)
{
	uint8_t f[300];
	int sv[2];

	reset();
	pair(sv);
	for (unsigned int i = 0; i < 20; i++) {
		memset(f, 0, sizeof(f));
		f[0] = (uint8_t)i;
		CHECK_EQ(send(sv[1], f, 100 + i, 0), (ssize_t)(100 + i));
	}
	batch(32, 2048);
	CHECK_EQ(compat_recvmmsg(sv[0], b.m, 32, MSG_DONTWAIT), 20);
	for (unsigned int i = 0; i < 20; i++) {
		CHECK_EQ(b.m[i].msg_len, 100 + i);
		CHECK_EQ(b.bufs[i][0], i);
		CHECK_EQ(b.m[i].msg_hdr.msg_flags & MSG_TRUNC, 0);
	}
	batch(32, 2048);
	CHECK_EQ(compat_recvmmsg(sv[0], b.m, 32, MSG_DONTWAIT), -1);
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK);
#ifdef MSGX_DOUBLE
	CHECK_EQ(DBL(recv_calls), 2);
	CHECK_EQ(DBL(recv_datagrams), 20);
	CHECK_EQ(DBL(recv_largest), 32);
	CHECK_EQ(DBL(bad_args), 0);
#endif
	close(sv[0]);
	close(sv[1]);
}

/**
 * test_recv_truncated() - a datagram larger than its buffer says MSG_TRUNC
 */
static void test_recv_truncated(void)
{
	uint8_t f[512] = {7};
	int sv[2];

	reset();
	pair(sv);
	CHECK_EQ(send(sv[1], f, sizeof(f), 0), (ssize_t)sizeof(f));
	batch(4, 64);
	CHECK_EQ(compat_recvmmsg(sv[0], b.m, 4, MSG_DONTWAIT), 1);
	CHECK(b.m[0].msg_hdr.msg_flags & MSG_TRUNC);
	CHECK_EQ(b.bufs[0][0], 7);
	close(sv[0]);
	close(sv[1]);
}

/**
 * test_full() - a full socket: the datagrams that fit are counted, then
 * -1 with EAGAIN (or ENOBUFS) when none fits
 */
static void test_full(void)
{
	int sv[2], sz = 4096, r;
	unsigned int sent = 0;

	reset();
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	CHECK_EQ(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(fcntl(sv[1], F_SETFL, O_NONBLOCK), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	for (int i = 0; i < 10000; i++) {
		batch(32, 1000);
		r = compat_sendmmsg(sv[0], b.m, 32, MSG_DONTWAIT);
		if (r < 0)
			break;
		CHECK(r >= 1 && r <= 32);
		sent += (unsigned int)r;
	}
	CHECK_EQ(r, -1);
	CHECK(errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS);
	CHECK(sent >= 1);
	close(sv[0]);
	close(sv[1]);
}

#ifdef MSGX_DOUBLE

/**
 * test_partial_send() - a call that sends 3 of a batch: the count says so,
 * the caller sends the rest, nothing is lost or sent twice
 */
static void test_partial_send(void)
{
	unsigned int done = 0;
	int sv[2];

	reset();
	DBL(send_partial) = 3;
	pair(sv);
	batch(10, 80);
	while (done < 10) {
		int r =
		    compat_sendmmsg(sv[0], b.m + done, 10 - done, MSG_DONTWAIT);

		CHECK_EQ(r, done + 3 <= 10 ? 3 : 10 - done);
		if (r <= 0)
			break;
		CHECK_EQ(b.m[done].msg_len, 80);
		done += (unsigned int)r;
	}
	CHECK_EQ(drain(sv[1], 0, 80), 10);
	CHECK_EQ(DBL(send_calls), 4);
	CHECK_EQ(DBL(send_largest), 10);
	close(sv[0]);
	close(sv[1]);
}

/**
 * test_named_goes_by_loop() - a batch with addresses is not for the
 * private calls (sendmsg_x() takes none): one call per datagram
 */
static void test_named_goes_by_loop(void)
{
	struct sockaddr_un addrs[4];
	int sv[2];

	reset();
	pair(sv);
	CHECK_EQ(send(sv[1], "abcd", 4, 0), 4);
	batch(4, 2048);
	for (unsigned int i = 0; i < 4; i++) {
		b.m[i].msg_hdr.msg_name = &addrs[i];
		b.m[i].msg_hdr.msg_namelen = sizeof(addrs[i]);
	}
	CHECK_EQ(compat_recvmmsg(sv[0], b.m, 4, MSG_DONTWAIT), 1);
	CHECK_EQ(b.m[0].msg_len, 4);
	CHECK_EQ(DBL(recv_calls), 0);
	/* and flags other than MSG_DONTWAIT do not go there either */
	CHECK_EQ(send(sv[1], "efgh", 4, 0), 4);
	batch(4, 2048);
	CHECK_EQ(compat_recvmmsg(sv[0], b.m, 4, MSG_DONTWAIT | MSG_PEEK), 4);
	CHECK_EQ(DBL(recv_calls), 0);
	close(sv[0]);
	close(sv[1]);
}

/**
 * test_batch_too_big() - EMSGSIZE for a batch larger than the socket
 * takes at once: the same batch goes one datagram per call, all of it
 */
static void test_batch_too_big(void)
{
	int sv[2];

	reset();
	DBL(max_batch_bytes) = 1000;
	pair(sv);
	batch(20, 200);
	CHECK_EQ(compat_sendmmsg(sv[0], b.m, 20, MSG_DONTWAIT), 20);
	CHECK_EQ(DBL(too_big), 1);
	CHECK_EQ(DBL(send_datagrams), 0);
	CHECK_EQ(drain(sv[1], 0, 200), 20);
	/* a small batch still goes in one call */
	batch(4, 200);
	CHECK_EQ(compat_sendmmsg(sv[0], b.m, 4, MSG_DONTWAIT), 4);
	CHECK_EQ(DBL(send_datagrams), 4);
	CHECK_EQ(drain(sv[1], 0, 200), 4);
	/* one datagram too big is an error of that datagram */
	DBL(max_batch_bytes) = 0;
	DBL(fail_errno) = EMSGSIZE;
	batch(1, 200);
	CHECK_EQ(compat_sendmmsg(sv[0], b.m, 1, MSG_DONTWAIT), -1);
	CHECK_EQ(errno, EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

/**
 * test_other_error() - another failure is the caller's (no fallback)
 */
static void test_other_error(void)
{
	int sv[2];

	reset();
	pair(sv);
	DBL(fail_errno) = ECONNREFUSED;
	batch(5, 60);
	CHECK_EQ(compat_sendmmsg(sv[0], b.m, 5, MSG_DONTWAIT), -1);
	CHECK_EQ(errno, ECONNREFUSED);
	CHECK_EQ(drain(sv[1], 0, 60), 0);
	CHECK_EQ(DBL(send_calls), 1);
	close(sv[0]);
	close(sv[1]);
}

/**
 * test_gone_for_good() - ENOSYS: the loop takes over, the private calls
 * are not tried again (run last: it changes compat.c's state for good)
 */
static void test_gone_for_good(void)
{
	int sv[2];

	reset();
	pair(sv);
	CHECK_STR_CONTAINS(compat_batch_name(), "recvmsg_x/sendmsg_x");
	DBL(fail_errno) = ENOSYS;
	DBL(fail_sticky) = 1;
	batch(6, 60);
	CHECK_EQ(compat_sendmmsg(sv[0], b.m, 6, MSG_DONTWAIT), 6);
	CHECK_EQ(drain(sv[1], 0, 60), 6);
	batch(6, 60);
	CHECK_EQ(compat_sendmmsg(sv[0], b.m, 6, MSG_DONTWAIT), 6);
	batch(8, 2048);
	CHECK_EQ(compat_recvmmsg(sv[1], b.m, 8, MSG_DONTWAIT), 6);
	CHECK_EQ(DBL(send_calls), 1);
	CHECK_EQ(DBL(recv_calls), 0);
	CHECK_STR_CONTAINS(compat_batch_name(), "no recvmsg_x");
	close(sv[0]);
	close(sv[1]);
}

#endif /* MSGX_DOUBLE */

/**
 * frame() - a 60-byte broadcast from 02:..:01 tagged @tag at offset 14
 * @f:		buffer of FRAME bytes
 * @tag:	the tag
 */
static void frame(uint8_t *f, unsigned int tag)
{
	memset(f, 0, FRAME);
	memset(f, 0xff, 6);
	f[6] = 2;
	f[11] = 1;
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = (uint8_t)(tag >> 8);
	f[15] = (uint8_t)tag;
}

/**
 * test_fd_ports() - two --fd datagram ports: 200 frames from one VM reach
 * the other whole and in order, read and sent in batches (with the double:
 * every send partial, 3 datagrams per call)
 */
static void test_fd_ports(void)
{
	struct guard_conf g = {.level = GUARD_OFF};
	unsigned int got = 0;
	uint8_t f[FRAME + 4];
	int s1[2], s2[2];

	reset();
#ifdef MSGX_DOUBLE
	DBL(send_partial) = 3;
#endif
	log_init("msgx_check", LOG_LVL_ERROR);
	CHECK_EQ(loop_init(), 0);
	CHECK_EQ(port_table_init(8, 1 << 20), 0);
	CHECK_EQ(switch_init(8, 300, &g), 0);
	CHECK_EQ(dgram_init(65549, 8), 0);
	pair(s1);
	pair(s2);
	CHECK(dgram_port_open(s1[0]) != NULL);
	CHECK(dgram_port_open(s2[0]) != NULL);
	for (unsigned int i = 0; i < 200; i++) {
		frame(f, i);
		CHECK_EQ(send(s1[1], f, FRAME, 0), (ssize_t)FRAME);
	}
	for (int turn = 0; turn < 2000 && got < 200; turn++) {
		ssize_t r;

		loop_turn(10);
		while ((r = recv(s2[1], f, sizeof(f), MSG_DONTWAIT)) >= 0) {
			CHECK_EQ(r, (ssize_t)FRAME);
			CHECK_EQ(f[14] << 8 | f[15], got);
			got++;
		}
	}
	CHECK_EQ(got, 200);
#ifdef MSGX_DOUBLE
	CHECK(DBL(recv_largest) > 1); /* read in batches */
	CHECK(DBL(send_largest) > 1); /* sent in batches */
	CHECK(DBL(send_calls) >= 67); /* 3 at most per call */
	CHECK_EQ(DBL(send_datagrams), 200);
	CHECK_EQ(DBL(bad_args), 0);
#endif
	port_close_all("end");
	dgram_fini();
	switch_fini();
	port_table_fini();
	loop_fini();
	close(s1[1]);
	close(s2[1]);
}

static const struct unit_test tests[] = {
    {"send_batch", test_send_batch},
    {"recv_batch", test_recv_batch},
    {"recv_truncated", test_recv_truncated},
    {"full", test_full},
#ifdef MSGX_DOUBLE
    {"partial_send", test_partial_send},
    {"named_goes_by_loop", test_named_goes_by_loop},
    {"batch_too_big", test_batch_too_big},
    {"other_error", test_other_error},
#endif
    {"fd_ports", test_fd_ports},
#ifdef MSGX_DOUBLE
    {"gone_for_good", test_gone_for_good},
#endif
};

UNIT_MAIN("msgx", tests)
