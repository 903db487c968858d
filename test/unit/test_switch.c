/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the switch with a fake port kind whose "socket" takes a
 * set number of bytes: learning, flooding, unicast, frames to their own
 * port, bad sources, flow control (a source waits for a busy destination
 * and is resumed when it takes frames, or once it is stalled), queue full,
 * ports closing while queued or waited for, MAC ownership, the local
 * service hook and lease snooping.
 */
#include <stdint.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "pkt.h"
#include "port.h"
#include "switch.h"
#include "unit.h"

#define NPORTS 8
#define QSIZE  1024 /* 16 records of a 60-byte frame */

/**
 * struct fake - the far end of a fake port
 * @room:	bytes its socket still takes (then it is full)
 * @dead:	its peer is gone: a flush fails
 * @gone:	ops->gone() answers this
 * @got:	frames delivered to it
 * @last:	the last frame delivered
 * @resumed:	times the switch resumed the port
 */
struct fake {
	size_t room;
	bool dead;
	bool gone;
	unsigned int got;
	uint8_t last[64];
	unsigned int resumed;
};

static struct fake fk[NPORTS];
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/**
 * fake_flush() - deliver queued frames while the fake socket has room
 * @p:		the port
 *
 * Return: what the flush came to
 */
static enum port_tx fake_flush(struct port *p)
{
	struct fake *f = &fk[p->id];
	struct iovec iov[1];

	if (f->dead)
		return PORT_TX_DEAD;
	while (queue_frames_iov(&p->txq, iov, 1)) {
		if (iov[0].iov_len > f->room)
			return PORT_TX_BLOCKED;
		f->room -= iov[0].iov_len;
		memcpy(f->last, iov[0].iov_base,
		       iov[0].iov_len < 64 ? iov[0].iov_len : 64);
		f->got++;
		queue_pop_frames(&p->txq, 1);
	}
	return PORT_TX_IDLE;
}

/**
 * fake_resume() - the switch lets a waiting port go on
 * @p:		the port
 */
static void fake_resume(struct port *p)
{
	fk[p->id].resumed++;
}

/**
 * fake_gone() - whether the fake peer is gone
 * @p:		the port
 *
 * Return: what the test set
 */
static bool fake_gone(struct port *p)
{
	return fk[p->id].gone;
}

static const struct port_ops waiting_ops = {
    .name = "fake",
    .flush = fake_flush,
    .resume = fake_resume,
    .gone = fake_gone,
};

static const struct port_ops plain_ops = {
    .name = "fake-plain",
    .flush = fake_flush,
    .gone = fake_gone,
};

/**
 * mac() - a test MAC address 02:00:00:00:00:N
 * @n:		its last byte
 * @m:		filled in
 *
 * Return: @m
 */
static uint8_t *mac(uint8_t n, uint8_t m[6])
{
	static const uint8_t base[6] = {2, 0, 0, 0, 0, 0};

	memcpy(m, base, 6);
	m[5] = n;
	return m;
}

/**
 * frame() - a 60-byte frame
 * @f:		buffer of 60 bytes
 * @dst:	destination
 * @src:	source
 * @tag:	a byte to recognise it by (offset 14)
 *
 * Return: its length
 */
static size_t frame(uint8_t *f, const uint8_t *dst, const uint8_t *src,
		    uint8_t tag)
{
	memset(f, 0, 60);
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88; /* an EtherType the guards pass */
	f[13] = 0xb5;
	f[14] = tag;
	return 60;
}

/**
 * setup() - loop, table and switch, with @n fake ports open
 * @n:		ports to open (ids 0..n-1)
 * @level:	guard level
 * @p:		filled with the ports
 */
static void setup(unsigned int n, enum guard_level level, struct port **p)
{
	struct guard_conf g;

	log_init("test_switch", LOG_LVL_ERROR);
	memset(&g, 0, sizeof(g));
	g.level = level;
	g.dhcp_clients = 2;
	memset(fk, 0, sizeof(fk));
	CHECK_EQ(loop_init(), 0);
	CHECK_EQ(port_table_init(NPORTS, QSIZE), 0);
	CHECK_EQ(switch_init(NPORTS, 300, &g), 0);
	for (unsigned int i = 0; i < n; i++) {
		p[i] = port_open(PORT_STREAM, &waiting_ops, -1, 0);
		fk[i].room = SIZE_MAX;
	}
}

/**
 * teardown() - close everything
 */
static void teardown(void)
{
	port_close_all("end");
	switch_fini();
	port_table_fini();
	loop_fini();
}

/**
 * test_learn_flood_unicast() - unknown destinations flood, learned ones
 * go to one port; a frame for the sender's own MAC goes nowhere
 */
static void test_learn_flood_unicast(void)
{
	struct port *p[3];
	uint8_t f[60], a[6], b[6];

	setup(3, GUARD_MAC, p);
	switch_input(p[0], f, frame(f, bcast, mac(1, a), 1));
	switch_flush();
	CHECK_EQ(fk[0].got, 0);
	CHECK_EQ(fk[1].got, 1);
	CHECK_EQ(fk[2].got, 1);
	/* 2's address is not known yet: flooded too */
	switch_input(p[0], f, frame(f, mac(2, b), a, 2));
	switch_flush();
	CHECK_EQ(fk[1].got + fk[2].got, 4);
	/* once 2 has spoken, frames to it go to it alone */
	switch_input(p[1], f, frame(f, a, b, 3));
	switch_flush();
	CHECK_EQ(fk[0].got, 1);
	CHECK_EQ(fk[2].got, 2);
	switch_input(p[0], f, frame(f, b, a, 4));
	switch_flush();
	CHECK_EQ(fk[1].got, 3);
	CHECK_EQ(fk[1].last[14], 4);
	CHECK_EQ(fk[2].got, 2);
	/* to its own address: dropped, counted as local */
	switch_input(p[0], f, frame(f, a, a, 5));
	switch_flush();
	CHECK_EQ(fk[0].got + fk[1].got + fk[2].got, 6);
	CHECK_EQ(switch_get_stats()->local, 1);
	CHECK_EQ(switch_get_stats()->unicast, 2);
	CHECK_EQ(switch_get_stats()->flooded, 2);
	CHECK_EQ(p[0]->st.rx_frames, 4);
	CHECK_EQ(p[1]->st.tx_frames, 3);
	teardown();
}

/**
 * test_bad_frames() - runts and group or zero sources are dropped
 */
static void test_bad_frames(void)
{
	struct port *p[2];
	uint8_t f[60], a[6], zero[6] = {0};

	setup(2, GUARD_OFF, p);
	CHECK_EQ(switch_input(p[0], f, 13), SWITCH_DONE);
	CHECK_EQ(p[0]->st.rx_bad, 1);
	switch_input(p[0], f, frame(f, mac(1, a), bcast, 1));
	switch_input(p[0], f, frame(f, a, zero, 2));
	switch_flush();
	CHECK_EQ(fk[1].got, 0);
	CHECK_EQ(switch_get_stats()->bad_src, 2);
	CHECK_EQ(p[0]->st.rx_bad, 3);
	teardown();
}

/**
 * test_queue_full_drops() - a source that cannot wait loses frames to a
 * destination whose queue and socket are full, and only those
 */
static void test_queue_full_drops(void)
{
	struct port *p[3];
	uint8_t f[60], a[6], b[6];
	int sent = 0;

	setup(2, GUARD_OFF, p);
	p[2] = port_open(PORT_HOST, &plain_ops, -1, 0); /* cannot wait */
	fk[2].room = SIZE_MAX;
	switch_input(p[1], f, frame(f, bcast, mac(2, b), 0));
	switch_flush();
	fk[1].room = 0;
	for (int i = 0; i < 40; i++, sent++)
		CHECK_EQ(switch_input(p[2], f, frame(f, b, mac(1, a), 1)),
			 SWITCH_DONE);
	switch_flush();
	CHECK_EQ(p[1]->st.tx_frames + p[1]->st.tx_dropped, sent);
	CHECK_EQ(p[1]->st.tx_frames, QSIZE / 64);
	CHECK(p[1]->st.tx_dropped > 0);
	/* the socket takes everything again: the queue drains in order */
	fk[1].room = SIZE_MAX;
	switch_port_writable(p[1]);
	CHECK_EQ(fk[1].got, QSIZE / 64);
	CHECK(queue_empty(&p[1]->txq));
	teardown();
}

/**
 * fill() - send from @src to @dst until the switch makes @src wait
 * @src:	a port that can wait
 * @f:		frame buffer
 * @dmac:	destination MAC
 * @smac:	source MAC
 *
 * Return: frames taken before the wait
 */
static int fill(struct port *src, uint8_t *f, const uint8_t *dmac,
		const uint8_t *smac)
{
	for (int i = 0; i < 100; i++)
		if (switch_input(src, f, frame(f, dmac, smac, (uint8_t)i)) ==
		    SWITCH_WAIT)
			return i;
	return -1;
}

/**
 * test_flow_control() - a source waits for a busy destination and is
 * resumed as soon as it takes frames; nothing is lost
 */
static void test_flow_control(void)
{
	struct port *p[3];
	uint8_t f[60], a[6], b[6], x[6];
	int n;

	setup(3, GUARD_OFF, p);
	switch_input(p[1], f, frame(f, bcast, mac(2, b), 0));
	switch_flush();
	fk[1].room = 0;
	n = fill(p[0], f, b, mac(1, a));
	CHECK_EQ(n, QSIZE / 64);
	CHECK_EQ(p[1]->st.tx_dropped, 0);
	CHECK_EQ(switch_get_stats()->waits, 1);
	/* another source's flood does not wait: it is dropped for 2 */
	CHECK_EQ(switch_input(p[2], f, frame(f, bcast, mac(3, x), 9)),
		 SWITCH_DONE);
	CHECK_EQ(p[1]->st.tx_dropped, 1);
	/* nothing moves while the destination takes nothing */
	loop_turn(0);
	CHECK_EQ(fk[0].resumed, 0);
	/* it takes frames: the waiter is resumed from the loop */
	fk[1].room = SIZE_MAX;
	switch_port_writable(p[1]);
	CHECK_EQ(fk[0].resumed, 0); /* never inside a flush */
	loop_turn(0);
	CHECK_EQ(fk[0].resumed, 1);
	CHECK_EQ(switch_input(p[0], f, frame(f, b, a, 200)), SWITCH_DONE);
	switch_flush();
	CHECK_EQ(fk[1].got, n + 1);
	CHECK_EQ(fk[1].last[14], 200);
	teardown();
}

/**
 * test_stalled() - a destination that takes nothing for 100 ms is stalled:
 * its waiter goes on, later frames to it are dropped, not waited for
 */
static void test_stalled(void)
{
	struct port *p[2];
	uint8_t f[60], a[6], b[6];
	uint64_t start;

	setup(2, GUARD_OFF, p);
	switch_input(p[1], f, frame(f, bcast, mac(2, b), 0));
	switch_flush();
	fk[1].room = 0;
	CHECK(fill(p[0], f, b, mac(1, a)) > 0);
	start = loop_now();
	/* the wait timer fires after the stall time, whatever happens */
	for (int i = 0; i < 100 && !fk[0].resumed; i++)
		loop_turn(50);
	CHECK_EQ(fk[0].resumed, 1);
	CHECK(loop_now() - start >= 100);
	CHECK(switch_port_stalled(p[1]));
	CHECK_EQ(switch_input(p[0], f, frame(f, b, a, 7)), SWITCH_DONE);
	CHECK_EQ(p[1]->st.tx_dropped, 1);
	teardown();
}

/**
 * test_close_while_queued() - a destination closing with queued frames
 * leaves the dirty list and lets its waiters go on
 */
static void test_close_while_queued(void)
{
	struct port *p[3];
	uint8_t f[60], a[6], b[6], x[6];

	setup(3, GUARD_OFF, p);
	switch_input(p[1], f, frame(f, bcast, mac(2, b), 0));
	switch_flush();
	fk[1].room = 0;
	CHECK(fill(p[0], f, b, mac(1, a)) > 0);
	/* queued and dirty, then gone */
	switch_input(p[2], f, frame(f, bcast, mac(3, x), 1));
	port_close(p[1], "test");
	switch_flush();
	loop_turn(0);
	CHECK_EQ(fk[0].resumed, 1);
	/* its address is forgotten: frames to it flood to who is left */
	CHECK_EQ(switch_input(p[0], f, frame(f, b, a, 2)), SWITCH_DONE);
	switch_flush();
	CHECK_EQ(fk[2].got, 2);
	/* a dead port is closed by the flush, after the batch */
	fk[2].dead = true;
	switch_input(p[0], f, frame(f, bcast, a, 3));
	CHECK(p[2]->open);
	switch_flush();
	CHECK(!p[2]->open);
	teardown();
}

/**
 * test_mac_ownership() - a port may not bind to a reserved MAC or one
 * another open port holds, unless that port's peer is gone
 */
static void test_mac_ownership(void)
{
	struct port *p[3];
	uint8_t f[60], a[6], r[6], x[6];

	setup(3, GUARD_MAC, p);
	switch_reserve_mac(mac(9, r));
	switch_input(p[0], f, frame(f, bcast, r, 1));
	switch_flush();
	CHECK_EQ(fk[1].got, 0);
	CHECK_EQ(switch_port_guard(p[0])->drops[GUARD_R_MAC_TAKEN], 1);
	CHECK(!switch_port_guard(p[0])->bound);
	/* it binds to an address of its own */
	switch_input(p[0], f, frame(f, bcast, mac(1, a), 2));
	CHECK(switch_port_guard(p[0])->bound);
	/* and then sends from nothing else */
	switch_input(p[0], f, frame(f, bcast, mac(5, x), 3));
	CHECK_EQ(switch_port_guard(p[0])->drops[GUARD_R_SRC_MAC], 1);
	/* another port cannot take its address */
	switch_input(p[1], f, frame(f, bcast, a, 4));
	CHECK_EQ(switch_port_guard(p[1])->drops[GUARD_R_MAC_TAKEN], 1);
	/* unless the first one's peer is gone: then that one is closed */
	fk[0].gone = true;
	switch_input(p[1], f, frame(f, bcast, a, 5));
	CHECK(!p[0]->open);
	CHECK(switch_port_guard(p[1])->bound);
	switch_flush();
	CHECK_EQ(fk[2].got, 2);
	/* --fd=N,mac=: bound before the first frame */
	switch_bind_mac(p[2], mac(7, x));
	switch_input(p[2], f, frame(f, bcast, mac(8, x), 6));
	CHECK_EQ(switch_port_guard(p[2])->drops[GUARD_R_SRC_MAC], 1);
	teardown();
}

static unsigned int local_seen;

/**
 * local() - a local service that keeps frames to 02:..:ee and answers them
 * @f:		the frame
 * @len:	its length
 * @now_ms:	current time
 * @reply:	answers the sender
 * @arg:	for @reply
 *
 * Return: true for frames it keeps
 */
static bool local(const uint8_t *f, size_t len, uint64_t now_ms,
		  switch_reply_fn reply, void *arg)
{
	uint8_t r[60], me[6];

	local_seen++;
	if (f[5] != 0xee)
		return false;
	reply(arg, r, frame(r, f + 6, mac(0xee, me), 0x77));
	return true;
}

/**
 * test_local_service() - the local service sees VM frames first, and its
 * replies go back to the sender
 */
static void test_local_service(void)
{
	struct port *p[2];
	uint8_t f[60], a[6], e[6];

	setup(2, GUARD_OFF, p);
	local_seen = 0;
	switch_set_local(local);
	switch_input(p[0], f, frame(f, mac(0xee, e), mac(1, a), 1));
	switch_flush();
	CHECK_EQ(local_seen, 1);
	CHECK_EQ(fk[1].got, 0);
	CHECK_EQ(fk[0].got, 1);
	CHECK_EQ(fk[0].last[14], 0x77);
	switch_input(p[0], f, frame(f, bcast, a, 2));
	switch_flush();
	CHECK_EQ(local_seen, 2);
	CHECK_EQ(fk[1].got, 1);
	teardown();
}

/**
 * ack() - a DHCP ACK from the server port to the client port
 * @f:		buffer of 400 bytes
 * @chaddr:	the client's MAC
 * @yiaddr:	the address, host order
 *
 * Return: its length
 */
static size_t ack(uint8_t *f, const uint8_t *chaddr, uint32_t yiaddr)
{
	uint8_t *ip = f + 14, *m = f + 14 + 28;
	uint16_t sum;

	memset(f, 0, 400);
	memcpy(f, chaddr, 6);
	f[6] = 2;
	f[11] = 0x99;
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (28 + 300) >> 8;
	ip[3] = (28 + 300) & 0xff;
	ip[9] = 17;
	ip[21] = 67;
	ip[23] = 68;
	m[0] = 2;
	m[2] = 6;
	for (int i = 0; i < 4; i++)
		m[16 + i] = (uint8_t)(yiaddr >> (24 - 8 * i));
	memcpy(m + 28, chaddr, 6);
	m[236] = 0x63;
	m[237] = 0x82;
	m[238] = 0x53;
	m[239] = 0x63;
	m[240] = 53;
	m[241] = 1;
	m[242] = 5;
	m[243] = 255;
	sum = pkt_csum(ip, 20);
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	return 14 + 28 + 300;
}

/**
 * test_snoop_moves_lease() - strict: an ACK queued to a port gives it the
 * address and takes it from any other port
 */
static void test_snoop_moves_lease(void)
{
	struct port *p[3];
	uint8_t f[400], a[6], b[6];

	setup(3, GUARD_STRICT, p);
	switch_bind_mac(p[0], mac(1, a));
	switch_bind_mac(p[1], mac(2, b));
	/* the server's frames come from the host side here */
	p[2]->kind = PORT_HOST;
	switch_input(p[2], f, ack(f, a, 0x0a000005u));
	CHECK_EQ(switch_port_guard(p[0])->lease, 0x0a000005u);
	switch_input(p[2], f, ack(f, b, 0x0a000005u));
	CHECK_EQ(switch_port_guard(p[1])->lease, 0x0a000005u);
	CHECK_EQ(switch_port_guard(p[0])->lease, 0);
	teardown();
}

static const struct unit_test tests[] = {
    {"learn_flood_unicast", test_learn_flood_unicast},
    {"bad_frames", test_bad_frames},
    {"queue_full_drops", test_queue_full_drops},
    {"flow_control", test_flow_control},
    {"stalled", test_stalled},
    {"close_while_queued", test_close_while_queued},
    {"mac_ownership", test_mac_ownership},
    {"local_service", test_local_service},
    {"snoop_moves_lease", test_snoop_moves_lease},
};

UNIT_MAIN("switch", tests)
