/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the datagram ports over real sockets: peers of the shared
 * socket (the hello, flooding and unicast, runts, a peer whose socket is
 * gone, a peer that does not read for a while and then gets every frame in
 * order), a --fd socketpair port (frames both ways, waiting for a busy
 * destination, the end of a seqpacket pair).
 *
 * The loop is driven one turn at a time; every wait is bounded by the
 * condition it waits for, with a deadline in turns.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dgram.h"
#include "log.h"
#include "loop.h"
#include "port.h"
#include "sock.h"
#include "switch.h"
#include "unit.h"

#define QSIZE (64 << 10)

static char dir[] = "/tmp/test_dgram.XXXXXX";
static char spath[108];
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/**
 * setup() - loop, table, switch, datagram side and the shared socket
 */
static void setup(void)
{
	struct guard_conf g = {.level = GUARD_OFF};
	struct sock_owner o = {.gid = getgid(), .uid = -1};
	char err[256];

	log_init("test_dgram", LOG_LVL_ERROR);
	CHECK(mkdtemp(dir) != NULL);
	snprintf(spath, sizeof(spath), "%s/shared", dir);
	CHECK_EQ(loop_init(), 0);
	CHECK_EQ(port_table_init(16, QSIZE), 0);
	CHECK_EQ(switch_init(16, 300, &g), 0);
	CHECK_EQ(dgram_init(65549, 16), 0);
	CHECK_EQ(dgram_listen(spath, &o, err, sizeof(err)), 0);
}

/**
 * teardown() - close and remove everything
 */
static void teardown(void)
{
	port_close_all("end");
	dgram_unlisten();
	dgram_fini();
	switch_fini();
	port_table_fini();
	loop_fini();
	rmdir(dir);
	strcpy(dir, "/tmp/test_dgram.XXXXXX");
}

/**
 * client() - a VM's datagram socket, bound to DIR/NAME, aimed at the
 * shared socket
 * @name:	file name
 *
 * Return: the socket
 */
static int client(const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, name);
	CHECK_EQ(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", spath);
	CHECK_EQ(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/**
 * frame() - a 60-byte frame from 02:..:S to @dst, tagged
 * @f:		buffer of 60 bytes
 * @dst:	destination MAC
 * @s:		last byte of the source MAC
 * @tag:	16-bit tag at offset 14
 *
 * Return: 60
 */
static size_t frame(uint8_t *f, const uint8_t *dst, uint8_t s, unsigned tag)
{
	memset(f, 0, 60);
	memcpy(f, dst, 6);
	f[6] = 2;
	f[11] = s;
	f[12] = 0x88;
	f[13] = 0xb5;
	f[14] = (uint8_t)(tag >> 8);
	f[15] = (uint8_t)tag;
	return 60;
}

/**
 * recv_frame() - run the loop until a frame arrives on @fd
 * @fd:		a VM's socket
 * @f:		buffer of 64 bytes
 *
 * Return: its length, or -1 if none came within 200 turns
 */
static ssize_t recv_frame(int fd, uint8_t *f)
{
	for (int i = 0; i < 200; i++) {
		ssize_t n = recv(fd, f, 64, MSG_DONTWAIT);

		if (n >= 0)
			return n;
		loop_turn(10);
	}
	return -1;
}

/**
 * settle() - run the loop until it has nothing left to do right now
 */
static void settle(void)
{
	for (int i = 0; i < 5; i++)
		loop_turn(0);
}

/**
 * test_peers() - the hello, flooding, learning, runts
 */
static void test_peers(void)
{
	uint8_t f[64], a_mac[6] = {2, 0, 0, 0, 0, 1};
	int a, b, c;

	setup();
	a = client("a");
	b = client("b");
	c = client("c");
	CHECK_EQ(send(a, "VFKT", 4, 0), 4);
	CHECK_EQ(send(b, "VFKT", 4, 0), 4);
	settle();
	CHECK_EQ(dgram_get_stats()->hellos, 2);
	CHECK_EQ(port_count(), 2);
	/* a's broadcast reaches b only (c has not spoken) */
	send(a, f, frame(f, bcast, 1, 1), 0);
	CHECK_EQ(recv_frame(b, f), 60);
	CHECK_EQ(recv(c, f, 64, MSG_DONTWAIT), -1);
	/* b answers a by unicast; c speaks up and gets nothing of it */
	send(c, f, frame(f, bcast, 3, 2), 0);
	CHECK_EQ(recv_frame(a, f), 60);
	CHECK_EQ(recv_frame(b, f), 60);
	send(b, f, frame(f, a_mac, 2, 3), 0);
	CHECK_EQ(recv_frame(a, f), 60);
	CHECK_EQ(f[15], 3);
	settle();
	CHECK_EQ(recv(c, f, 64, MSG_DONTWAIT), -1);
	/* a runt is dropped and counted */
	CHECK_EQ(send(c, f, 10, 0), 10);
	settle();
	CHECK_EQ(dgram_get_stats()->bad, 1);
	close(a);
	close(b);
	close(c);
	teardown();
}

/**
 * test_peer_gone() - a peer whose socket was removed is forgotten
 */
static void test_peer_gone(void)
{
	uint8_t f[64];
	char path[128];
	int a, b;

	setup();
	a = client("a");
	b = client("b");
	send(b, "VFKT", 4, 0);
	settle();
	close(b);
	snprintf(path, sizeof(path), "%s/b", dir);
	unlink(path);
	send(a, f, frame(f, bcast, 1, 1), 0);
	for (int i = 0; i < 100 && dgram_get_stats()->peers_gone == 0; i++)
		loop_turn(10);
	CHECK_EQ(dgram_get_stats()->peers_gone, 1);
	CHECK_EQ(port_count(), 1);
	close(a);
	unlink(path);
	teardown();
}

/**
 * test_slow_peer() - a peer that does not read gets every frame in order
 * once it does (the port retries by timer, nothing is lost)
 */
static void test_slow_peer(void)
{
	uint8_t f[64], b_mac[6] = {2, 0, 0, 0, 0, 2};
	unsigned int want = 0;
	int a, b;

	setup();
	a = client("a");
	b = client("b");
	send(b, f, frame(f, bcast, 2, 0), 0);
	settle();
	/* far more than b's socket holds (net.unix.max_dgram_qlen) */
	for (unsigned int i = 1; i <= 200; i++) {
		if (send(a, f, frame(f, b_mac, 1, i), 0) < 0) {
			loop_turn(0); /* the daemon's socket was full */
			i--;
		}
		loop_turn(0);
	}
	while (want < 200) {
		if (recv_frame(b, f) != 60)
			break;
		want++;
		CHECK_EQ(f[14] << 8 | f[15], want);
		if ((unsigned int)(f[14] << 8 | f[15]) != want)
			break;
	}
	CHECK_EQ(want, 200);
	close(a);
	close(b);
	teardown();
}

/**
 * test_fd_port() - a --fd datagram socketpair: frames both ways, and the
 * end of a seqpacket pair closes the port
 */
static void test_fd_port(void)
{
	uint8_t f[64];
	int sv[2], sq[2], a;
	struct port *p;

	setup();
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	p = dgram_port_open(sv[0]);
	CHECK(p != NULL);
	a = client("a");
	send(a, f, frame(f, bcast, 1, 1), 0);
	CHECK_EQ(recv_frame(sv[1], f), 60);
	send(sv[1], f, frame(f, bcast, 5, 2), 0);
	CHECK_EQ(recv_frame(a, f), 60);
	CHECK_EQ(f[15], 2);
	/* seqpacket: the other end closes, the port goes */
	CHECK_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sq), 0);
	p = dgram_port_open(sq[0]);
	CHECK(p != NULL);
	CHECK_EQ(port_count(), 3);
	close(sq[1]);
	for (int i = 0; i < 100 && port_count() == 3; i++)
		loop_turn(10);
	CHECK_EQ(port_count(), 2);
	close(a);
	close(sv[1]);
	teardown();
}

static size_t busy_room;

/**
 * busy_flush() - a destination whose socket takes @busy_room bytes
 * @p:		its port
 *
 * Return: what the flush came to
 */
static enum port_tx busy_flush(struct port *p)
{
	struct iovec iov[1];

	while (queue_frames_iov(&p->txq, iov, 1)) {
		if (iov[0].iov_len > busy_room)
			return PORT_TX_BLOCKED;
		busy_room -= iov[0].iov_len;
		queue_pop_frames(&p->txq, 1);
	}
	return PORT_TX_IDLE;
}

/**
 * test_fd_port_waits() - a --fd port whose destination is busy loses that
 * one frame (counted) and reads nothing more until it is resumed
 */
static void test_fd_port_waits(void)
{
	static const struct port_ops busy_ops = {.name = "busy",
						 .flush = busy_flush};
	uint8_t f[64], d_mac[6] = {2, 0, 0, 0, 0, 9};
	struct port *p, *d;
	int sv[2], i;

	setup();
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv), 0);
	p = dgram_port_open(sv[0]);
	d = port_open(PORT_HOST, &busy_ops, -1, 0);
	busy_room = 0;
	switch_input(d, f, frame(f, bcast, 9, 0));
	for (i = 0; i < 2000 && !p->rx_waiting; i++) {
		send(sv[1], f, frame(f, d_mac, 5, (unsigned)i), 0);
		loop_turn(0);
	}
	CHECK(p->rx_waiting);
	CHECK_EQ(p->st.rx_dropped, 1);
	/* while it waits, what the VM sends stays in its socket */
	send(sv[1], f, frame(f, d_mac, 5, 9999), 0);
	settle();
	CHECK_EQ(recv(sv[0], f, 64, MSG_DONTWAIT | MSG_PEEK), 60);
	/* the destination takes frames again: the port reads on */
	busy_room = SIZE_MAX;
	switch_port_writable(d);
	settle();
	CHECK(!p->rx_waiting);
	CHECK_EQ(recv(sv[0], f, 64, MSG_DONTWAIT), -1);
	CHECK_EQ(p->st.rx_dropped, 1);
	close(sv[1]);
	teardown();
}

static const struct unit_test tests[] = {
    {"peers", test_peers},
    {"peer_gone", test_peer_gone},
    {"slow_peer", test_slow_peer},
    {"fd_port", test_fd_port},
    {"fd_port_waits", test_fd_port_waits},
};

UNIT_MAIN("dgram", tests)
