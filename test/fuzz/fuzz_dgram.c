/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness of the datagram ports (src/dgram.c) over real sockets,
 * with the switch (src/switch.c), the port table (src/port.c) and the
 * event loop (src/loop.c and its backend) underneath, as in
 * test/unit/test_dgram.c. Each input gets a fresh daemon side: a shared
 * --dgram-socket, two --fd datagram socketpairs and one --fd seqpacket
 * pair; on the VM side two named peers of the shared socket and one
 * unnamed sender.
 *
 * Input layout: one byte picks --max-frame (64, 664, 1264 or 1864), then
 * records of an operation byte, a 16-bit length (at most 4095) and that
 * many bytes. The operation picks the sender (the three --fd ports, the
 * two peers, the unnamed sender) or an action (a VM closes its end), and
 * may stamp the frame with a source MAC of the sender's own and a
 * destination MAC of another sender's, so that the switch learns and
 * unicasts. Each datagram is sent, the loop is run until everything is
 * written, and every VM socket is read.
 *
 * Invariants: every datagram a VM receives is, byte for byte, the frame
 * just sent, and reaches no VM twice nor its sender; a datagram is either
 * the hello (counted), from the unnamed sender (counted, dropped), too
 * short or too long (counted as bad) or switched: a frame with a group or
 * zero source counted as such and delivered nowhere, a group destination
 * flooded to every other port, a unicast one delivered to the port the
 * destination was last seen on (a model of the learning switch) or, when
 * unknown, flooded, and counted once as unicast, flooded or local; the
 * end of the seqpacket pair closes its port; every queue is written within
 * a second of loop turns; and tearing everything down frees every byte and
 * descriptor.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dgram.h"
#include "fuzz.h"
#include "log.h"
#include "loop.h"
#include "port.h"
#include "sock.h"
#include "switch.h"

#define FUZZ_VMS   6u /* F0, F1 (dgram), F2 (seqpacket), P0, P1, U */
#define FUZZ_U	   5u /* the unnamed sender */
#define FUZZ_MACS  64u
#define FUZZ_QSIZE (64u << 10)

/**
 * struct fuzz_vm - one VM-side socket
 * @fd:		the socket, -1 once closed
 * @port:	the daemon's port of it, or NULL (peers: until they speak)
 * @got:	datagrams it received in this step
 */
struct fuzz_vm {
	int fd;
	struct port *port;
	unsigned int got;
};

/**
 * struct fuzz_state - one input's world
 * @vm:		the VM sockets
 * @mac:	MACs the switch has learned, by the model
 * @at:		the VM each was last seen on
 * @nmac:	how many
 * @lost:	more MACs than the model keeps were seen: it knows no more
 * @frame:	the frame of the current step
 * @len:	its length
 * @max_frame:	--max-frame
 */
static struct fuzz_state {
	struct fuzz_vm vm[FUZZ_VMS];
	uint8_t mac[FUZZ_MACS][6];
	unsigned int at[FUZZ_MACS];
	unsigned int nmac;
	bool lost;
	const uint8_t *frame;
	size_t len;
	size_t max_frame;
} fz;

static char fuzz_dir[256], fuzz_sock[300];

/**
 * fuzz_cleanup() - remove the scratch directory (at exit)
 */
static void fuzz_cleanup(void)
{
	rmdir(fuzz_dir);
}

/**
 * fuzz_peer() - a VM socket aimed at the shared socket
 * @named:	bind it to an (abstract, automatic) address first
 *
 * Return: the socket
 */
static int fuzz_peer(bool named)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	FUZZ_ASSERT(fd >= 0);
	if (named)
		FUZZ_ASSERT(
		    bind(fd, (struct sockaddr *)&sa, sizeof(sa_family_t)) == 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", fuzz_sock);
	FUZZ_ASSERT(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

/**
 * fuzz_fd_port() - a --fd port of a socketpair
 * @type:	SOCK_DGRAM or SOCK_SEQPACKET
 * @vm:		its VM side, filled in
 */
static void fuzz_fd_port(int type, struct fuzz_vm *vm)
{
	int sv[2];

	FUZZ_ASSERT(socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, sv) == 0);
	vm->fd = sv[1];
	vm->port = dgram_port_open(sv[0]);
	FUZZ_ASSERT(vm->port != NULL);
}

/**
 * fuzz_up() - bring up the daemon side and the VM sockets
 * @max_frame:	--max-frame
 */
static void fuzz_up(size_t max_frame)
{
	struct guard_conf g = {.level = GUARD_OFF};
	struct sock_owner o = {.gid = getgid(), .uid = -1};
	char err[256];

	if (!fuzz_dir[0]) {
		signal(SIGPIPE, SIG_IGN); /* as main() does */
		log_init("fuzz_dgram", LOG_LVL_ERROR);
		snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz_dgram.XXXXXX",
			 fuzz_tmpdir());
		FUZZ_ASSERT(mkdtemp(fuzz_dir) != NULL);
		snprintf(fuzz_sock, sizeof(fuzz_sock), "%s/s", fuzz_dir);
		atexit(fuzz_cleanup);
	}
	memset(&fz, 0, sizeof(fz));
	fz.max_frame = max_frame;
	FUZZ_ASSERT(loop_init() == 0);
	FUZZ_ASSERT(port_table_init(8, FUZZ_QSIZE) == 0);
	FUZZ_ASSERT(switch_init(8, 300, &g) == 0);
	FUZZ_ASSERT(dgram_init(max_frame, 8) == 0);
	FUZZ_ASSERT(dgram_listen(fuzz_sock, &o, err, sizeof(err)) == 0);
	fuzz_fd_port(SOCK_DGRAM, &fz.vm[0]);
	fuzz_fd_port(SOCK_DGRAM, &fz.vm[1]);
	fuzz_fd_port(SOCK_SEQPACKET, &fz.vm[2]);
	fz.vm[3].fd = fuzz_peer(true);
	fz.vm[4].fd = fuzz_peer(true);
	fz.vm[FUZZ_U].fd = fuzz_peer(false);
}

/**
 * fuzz_down() - tear everything down
 */
static void fuzz_down(void)
{
	port_close_all("end");
	dgram_unlisten();
	dgram_fini();
	switch_fini();
	port_table_fini();
	loop_fini();
	for (unsigned int i = 0; i < FUZZ_VMS; i++)
		if (fz.vm[i].fd >= 0)
			close(fz.vm[i].fd);
}

/**
 * fuzz_drain() - read what every VM socket received
 *
 * Return: how many datagrams were read
 */
static unsigned int fuzz_drain(void)
{
	static uint8_t buf[8192];
	unsigned int n = 0;

	for (unsigned int i = 0; i < FUZZ_VMS; i++) {
		ssize_t got;

		while (fz.vm[i].fd >= 0 &&
		       (got = recv(fz.vm[i].fd, buf, sizeof(buf),
				   MSG_DONTWAIT | MSG_TRUNC)) >= 0) {
			if (!got && i == 2)
				break; /* the daemon closed the seqpacket pair
					*/
			/* intact: the frame just sent, byte for byte */
			FUZZ_ASSERT(got >= 14 && (size_t)got == fz.len &&
				    !memcmp(buf, fz.frame, fz.len));
			fz.vm[i].got++;
			n++;
		}
	}
	return n;
}

/**
 * fuzz_settle() - run the loop until every queue is written and read
 *
 * A peer that was full is retried from a timer that backs off to 64 ms, so
 * a second of turns is plenty: a queue still not written is a bug.
 */
static void fuzz_settle(void)
{
	for (int i = 0; i < 1000; i++) {
		bool queued = false;

		loop_turn(i < 4 ? 0 : 1);
		fuzz_drain();
		for (unsigned int k = 0; k < port_count(); k++)
			queued |= !queue_empty(&port_active(k)->txq);
		if (i >= 3 && !queued)
			return;
	}
	FUZZ_ASSERT(!"a port's queue was never written");
}

/**
 * fuzz_learned() - the VM a MAC was last seen on, by the model
 * @mac:	the MAC
 *
 * Return: its index in fz.vm, or -1 if unknown
 */
static int fuzz_learned(const uint8_t *mac)
{
	for (unsigned int i = 0; i < fz.nmac; i++)
		if (!memcmp(fz.mac[i], mac, 6))
			return (int)fz.at[i];
	return -1;
}

/**
 * fuzz_learn() - the switch learns a source MAC on a VM's port
 * @mac:	the MAC
 * @vm:		the VM
 */
static void fuzz_learn(const uint8_t *mac, unsigned int vm)
{
	for (unsigned int i = 0; i < fz.nmac; i++) {
		if (!memcmp(fz.mac[i], mac, 6)) {
			fz.at[i] = vm;
			return;
		}
	}
	if (fz.nmac == FUZZ_MACS) {
		fz.lost = true;
		return;
	}
	memcpy(fz.mac[fz.nmac], mac, 6);
	fz.at[fz.nmac++] = vm;
}

/**
 * fuzz_deliveries() - check who got a frame
 * @s:		the sender
 * @to:		the VM its destination was learned on, -1 if none or a group
 *		(a flood), -2 if it must reach nobody, -3 if the model cannot
 *		tell
 *
 * The frame reaches the learned VM alone, or every other VM that is a port
 * (a flood: also what a stale or evicted entry comes to); a destination
 * learned on the sender itself or on a VM that closed its end reaches
 * nobody, or everybody.
 */
static void fuzz_deliveries(unsigned int s, int to)
{
	unsigned int all = 0, got = 0, others = 0;

	for (unsigned int i = 0; i < FUZZ_VMS; i++) {
		struct fuzz_vm *v = &fz.vm[i];

		FUZZ_ASSERT(v->got <= 1 && (i != s || !v->got));
		if (i == s || v->fd < 0 || !v->port || !v->port->open)
			continue;
		all++;
		got += v->got;
		others += v->got && (int)i != to;
	}
	if (to == -3)
		return;
	if (to == -2)
		FUZZ_ASSERT(got == 0);
	else if (to == -1)
		FUZZ_ASSERT(got == all);
	else if ((unsigned int)to != s && fz.vm[to].fd >= 0)
		FUZZ_ASSERT(got == all || (got == 1 && fz.vm[to].got));
	else
		FUZZ_ASSERT(got == all || got == 0);
	FUZZ_ASSERT(got == all || !others);
}

/**
 * fuzz_expect() - what a datagram from a VM must have done
 * @s:		the sender
 * @d0:		the datagram counters before it
 * @w0:		the switch counters before it
 */
static void fuzz_expect(unsigned int s, const struct dgram_stats *d0,
			const struct switch_stats *w0)
{
	const struct dgram_stats *d = dgram_get_stats();
	const struct switch_stats *w = switch_get_stats();
	bool hello = fz.len == 4 && !memcmp(fz.frame, "VFKT", 4);
	bool bad = !hello && (fz.len < 14 || fz.len > fz.max_frame);
	uint64_t switched =
	    w->unicast + w->flooded + w->local + w->bad_src -
	    (w0->unicast + w0->flooded + w0->local + w0->bad_src);
	const uint8_t *f = fz.frame;
	bool ok_src;

	if (s == FUZZ_U) {
		FUZZ_ASSERT(d->unnamed == d0->unnamed + 1 && !switched);
		return;
	}
	FUZZ_ASSERT(d->hellos == d0->hellos + hello);
	FUZZ_ASSERT(d->bad == d0->bad + bad);
	FUZZ_ASSERT(switched == (!hello && !bad));
	if (hello || bad) {
		fuzz_deliveries(s, -2);
		return;
	}
	ok_src = !(f[6] & 1) && memcmp(f + 6, "\0\0\0\0\0\0", 6);
	FUZZ_ASSERT((w->bad_src != w0->bad_src) == !ok_src);
	if (!ok_src) {
		fuzz_deliveries(s, -2);
		return;
	}
	if (f[0] & 1)
		fuzz_deliveries(s, -1);
	else if (fz.lost)
		fuzz_deliveries(s, -3);
	else /* to itself: local, whatever was learned */
		fuzz_deliveries(s,
				memcmp(f, f + 6, 6) ? fuzz_learned(f) : (int)s);
	fuzz_learn(f + 6, s);
}

/**
 * fuzz_find_peer() - the daemon's port of a peer of the shared socket
 * @fd:		the peer's socket
 *
 * Return: the port, or NULL if it has none
 */
static struct port *fuzz_find_peer(int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);

	FUZZ_ASSERT(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
	for (unsigned int i = 0; i < port_count(); i++) {
		struct port *p = port_active(i);

		if (p->kind == PORT_DGRAM_PEER && p->peer.len == len &&
		    !memcmp(&p->peer.addr, &sa, len))
			return p;
	}
	return NULL;
}

/**
 * fuzz_send() - one record: a datagram from a VM, or an action
 * @op:		the operation byte
 * @p:		the bytes
 * @n:		how many
 */
static void fuzz_send(uint8_t op, const uint8_t *p, size_t n)
{
	unsigned int s = (op & 7) % (FUZZ_VMS + 1);
	struct dgram_stats d0 = *dgram_get_stats();
	struct switch_stats w0 = *switch_get_stats();
	struct fuzz_vm *v = &fz.vm[s % FUZZ_VMS];
	uint8_t own[6] = {2, 0, 0, 0, 0, (uint8_t)(1 + s)};
	uint8_t dst[6] = {2, 0, 0, 0, 0, (uint8_t)(1 + ((op >> 3) & 7) % 5)};
	uint8_t *f;

	if (s == FUZZ_VMS) { /* a VM closes its end: the seqpacket or P1 */
		v = &fz.vm[op & 8 ? 4 : 2];
		if (v->fd < 0)
			return;
		close(v->fd);
		v->fd = -1;
		fuzz_settle();
		FUZZ_ASSERT((op & 8) || !v->port->open);
		v->port = NULL; /* its slot may be reused */
		return;
	}
	if (v->fd < 0)
		return;
	f = fuzz_dup(p, n);
	if ((op & 0x80) && n >= 12) /* a source MAC of the sender's own */
		memcpy(f + 6, own, 6);
	if ((op & 0x40) && n >= 12) /* and a destination of another's */
		memcpy(f, dst, 6);
	for (unsigned int i = 0; i < FUZZ_VMS; i++)
		fz.vm[i].got = 0;
	fz.frame = f;
	fz.len = n;
	FUZZ_ASSERT(send(v->fd, f, n, 0) == (ssize_t)n);
	fuzz_settle();
	if (s == 2 && !n) { /* the end of a seqpacket pair */
		FUZZ_ASSERT(!v->port->open);
		close(v->fd);
		v->fd = -1;
		v->port = NULL;
	} else {
		if (s >= 3 && s < FUZZ_U && !v->port)
			v->port = fuzz_find_peer(v->fd);
		fuzz_expect(s, &d0, &w0);
	}
	free(f);
	fz.frame = NULL; /* nothing more may arrive */
	fz.len = 0;
}

/**
 * LLVMFuzzerTestOneInput() - run one input
 * @data:	the input (layout in the header comment)
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	int fd0 = open("/dev/null", O_RDONLY), fd1;

	FUZZ_ASSERT(fd0 >= 0);
	close(fd0);
	fuzz_up(64 + 600u * (fuzz_u8(&in) % 4));
	while (in.len >= 3) {
		uint8_t op = fuzz_u8(&in);
		const uint8_t *p;
		size_t n = fuzz_take(&in, fuzz_u16(&in) % 4096, &p);

		fuzz_send(op, p, n);
	}
	fuzz_down();
	fd1 = open("/dev/null", O_RDONLY);
	close(fd1);
	FUZZ_ASSERT(fd1 == fd0); /* no descriptor left open */
	return 0;
}
