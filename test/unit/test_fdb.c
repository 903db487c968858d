/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the MAC learning table: learning, lookup, aging, moves,
 * ports going away, and a table that is too small.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fdb.h"
#include "unit.h"

#define T0    1000u   /* a monotonic clock is never 0 (0 = empty slot) */
#define AGE   300000u /* 5 minutes */
#define PORTS 64u

/* A bijective 32-bit mix: distinct inputs give distinct outputs */
static uint32_t mix32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352du;
	x ^= x >> 15;
	x *= 0x846ca68bu;
	x ^= x >> 16;
	return x;
}

/*
 * MAC number @i of set @set: locally administered unicast, distinct for
 * every (set, i), and spread over all bytes.
 */
static void mac_of(uint8_t mac[6], uint8_t set, uint32_t i)
{
	uint32_t h = mix32(i);

	mac[0] = 0x02;
	mac[1] = set;
	mac[2] = (uint8_t)(h >> 24);
	mac[3] = (uint8_t)(h >> 16);
	mac[4] = (uint8_t)(h >> 8);
	mac[5] = (uint8_t)h;
}

static void test_init(void)
{
	struct fdb f;
	uint32_t size;

	CHECK_EQ(fdb_init(&f, 1000, PORTS, AGE), 0);
	size = f.mask + 1;
	CHECK(f.tab != NULL);
	CHECK(f.port_gen != NULL);
	CHECK(size != 0 && (size & f.mask) == 0); /* a power of two */
	CHECK(size >= 1000);
	CHECK_EQ(f.max_ports, PORTS);
	CHECK_EQ(f.age_ms, AGE);
	CHECK_EQ(f.learned, 0);
	CHECK_EQ(f.moved, 0);
	CHECK_EQ(f.evicted, 0);
	fdb_free(&f);

	/* Already a power of two */
	CHECK_EQ(fdb_init(&f, 256, PORTS, AGE), 0);
	CHECK(f.mask + 1 >= 256 && ((f.mask + 1) & f.mask) == 0);
	fdb_free(&f);
}

static void test_learn_lookup(void)
{
	static const uint8_t a[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
	static const uint8_t b[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x57};
	static const uint8_t c[6] = {0x52, 0x54, 0x00, 0x65, 0x43, 0x21};
	struct fdb f;

	CHECK_EQ(fdb_init(&f, 256, PORTS, AGE), 0);
	CHECK_EQ(fdb_lookup(&f, a, T0), -1);
	CHECK_EQ(fdb_learn(&f, a, 3, T0), FDB_LEARNED);
	CHECK_EQ(f.learned, 1);
	CHECK_EQ(fdb_lookup(&f, a, T0), 3);
	CHECK_EQ(fdb_lookup(&f, b, T0), -1);
	CHECK_EQ(fdb_learn(&f, b, 5, T0 + 1), FDB_LEARNED);
	CHECK_EQ(f.learned, 2);
	CHECK_EQ(fdb_lookup(&f, a, T0 + 2), 3);
	CHECK_EQ(fdb_lookup(&f, b, T0 + 2), 5);
	CHECK_EQ(fdb_lookup(&f, c, T0 + 2), -1);

	/* Same place again: a refresh, nothing new */
	CHECK_EQ(fdb_learn(&f, a, 3, T0 + 10), FDB_REFRESHED);
	CHECK_EQ(f.learned, 2);
	CHECK_EQ(f.moved, 0);
	CHECK_EQ(fdb_lookup(&f, a, T0 + 10), 3);
	CHECK_EQ(fdb_lookup(&f, b, T0 + 10), 5);

	/* Port 0 and the last port index are ordinary ports */
	CHECK_EQ(fdb_learn(&f, c, 0, T0 + 20), FDB_LEARNED);
	CHECK_EQ(fdb_lookup(&f, c, T0 + 20), 0);
	CHECK_EQ(fdb_learn(&f, c, PORTS - 1, T0 + 21), FDB_MOVED);
	CHECK_EQ(fdb_lookup(&f, c, T0 + 21), PORTS - 1);
	fdb_free(&f);
}

/* Every byte of the address matters */
static void test_all_bytes_compared(void)
{
	static const uint8_t base[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
	struct fdb f;
	uint8_t m[6];
	int wrong = 0;

	CHECK_EQ(fdb_init(&f, 1024, PORTS, AGE), 0);
	CHECK_EQ(fdb_learn(&f, base, 9, T0), FDB_LEARNED);
	for (int i = 0; i < 6; i++) {
		for (int bit = 0; bit < 8; bit++) {
			memcpy(m, base, 6);
			m[i] ^= (uint8_t)(1u << bit);
			if (fdb_lookup(&f, m, T0) != -1)
				wrong++;
		}
	}
	CHECK_EQ(wrong, 0);
	CHECK_EQ(fdb_lookup(&f, base, T0), 9);
	fdb_free(&f);
}

/* Empty slots must not look like 00:00:00:00:00:00 on port 0 */
static void test_never_taught(void)
{
	static const uint8_t zero[6] = {0};
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct fdb f;
	uint8_t m[6];
	int wrong = 0;

	CHECK_EQ(fdb_init(&f, 256, PORTS, AGE), 0);
	CHECK_EQ(fdb_lookup(&f, zero, T0), -1);
	CHECK_EQ(fdb_lookup(&f, bcast, T0), -1);
	/* Also long after the start of the clock */
	CHECK_EQ(fdb_lookup(&f, zero, 1), -1);
	CHECK_EQ(fdb_lookup(&f, zero, AGE - 1), -1);
	CHECK_EQ(fdb_lookup(&f, zero, UINT64_C(1) << 40), -1);

	for (uint32_t i = 0; i < 100; i++) {
		mac_of(m, 1, i);
		CHECK_EQ(fdb_learn(&f, m, i % PORTS, T0 + i), FDB_LEARNED);
	}
	CHECK_EQ(fdb_lookup(&f, zero, T0 + 100), -1);
	CHECK_EQ(fdb_lookup(&f, bcast, T0 + 100), -1);
	for (uint32_t i = 0; i < 5000; i++) {
		mac_of(m, 2, i);
		if (fdb_lookup(&f, m, T0 + 100) != -1)
			wrong++;
	}
	CHECK_EQ(wrong, 0);
	fdb_free(&f);
}

/* The fdb stores what it is given; the switch decides what to learn */
static void test_group_and_zero_addresses(void)
{
	static const uint8_t zero[6] = {0};
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	static const uint8_t v6[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
	struct fdb f;

	CHECK_EQ(fdb_init(&f, 256, PORTS, AGE), 0);
	CHECK_EQ(fdb_learn(&f, bcast, 4, T0), FDB_LEARNED);
	CHECK_EQ(fdb_learn(&f, mcast, 5, T0), FDB_LEARNED);
	CHECK_EQ(fdb_learn(&f, zero, 6, T0), FDB_LEARNED);
	CHECK_EQ(fdb_lookup(&f, bcast, T0), 4);
	CHECK_EQ(fdb_lookup(&f, mcast, T0), 5);
	CHECK_EQ(fdb_lookup(&f, zero, T0), 6);
	CHECK_EQ(fdb_lookup(&f, v6, T0), -1);
	CHECK_EQ(f.learned, 3);
	fdb_free(&f);
}

static void test_aging(void)
{
	static const uint8_t a[6] = {0x02, 0, 0, 0, 0, 0xa};
	static const uint8_t b[6] = {0x02, 0, 0, 0, 0, 0xb};
	const uint64_t age = 1000;
	struct fdb f;
	enum fdb_learn_result r;

	CHECK_EQ(fdb_init(&f, 64, PORTS, age), 0);
	CHECK_EQ(fdb_learn(&f, a, 1, 5000), FDB_LEARNED);
	CHECK_EQ(fdb_learn(&f, b, 2, 5000), FDB_LEARNED);
	CHECK_EQ(fdb_lookup(&f, a, 5000), 1);
	CHECK_EQ(fdb_lookup(&f, a, 5000 + age), 1); /* exactly the age */
	CHECK_EQ(fdb_lookup(&f, a, 5000 + age + 1), -1);
	CHECK_EQ(fdb_lookup(&f, a, 5000 + 10 * age), -1);

	/* Lookups do not refresh; learning does */
	CHECK_EQ(fdb_learn(&f, b, 2, 5800), FDB_REFRESHED);
	CHECK_EQ(fdb_lookup(&f, b, 5000 + age + 1), 2);
	CHECK_EQ(fdb_lookup(&f, b, 5800 + age), 2);
	CHECK_EQ(fdb_lookup(&f, b, 5800 + age + 1), -1);
	CHECK_EQ(fdb_lookup(&f, a, 5800 + age), -1);

	/* Seen again after expiring: usable again, on the port now given */
	r = fdb_learn(&f, a, 3, 9000);
	CHECK(r == FDB_LEARNED || r == FDB_MOVED);
	CHECK_EQ(fdb_lookup(&f, a, 9000), 3);
	CHECK_EQ(fdb_lookup(&f, a, 9000 + age), 3);
	CHECK_EQ(fdb_lookup(&f, a, 9000 + age + 1), -1);
	/* The counters say what the result said */
	CHECK_EQ(f.learned, 2 + (r == FDB_LEARNED));
	CHECK_EQ(f.moved, r == FDB_MOVED);
	fdb_free(&f);
}

static void test_move(void)
{
	static const uint8_t a[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	static const uint8_t b[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x66};
	struct fdb f;

	CHECK_EQ(fdb_init(&f, 256, PORTS, AGE), 0);
	CHECK_EQ(fdb_learn(&f, a, 1, T0), FDB_LEARNED);
	CHECK_EQ(fdb_learn(&f, b, 1, T0), FDB_LEARNED);
	CHECK_EQ(fdb_learn(&f, a, 2, T0 + 1), FDB_MOVED);
	CHECK_EQ(f.moved, 1);
	CHECK_EQ(f.learned, 2);
	CHECK_EQ(fdb_lookup(&f, a, T0 + 1), 2);
	CHECK_EQ(fdb_lookup(&f, b, T0 + 1), 1);
	CHECK_EQ(fdb_learn(&f, a, 2, T0 + 2), FDB_REFRESHED);
	CHECK_EQ(f.moved, 1);
	CHECK_EQ(fdb_learn(&f, a, 1, T0 + 3), FDB_MOVED);
	CHECK_EQ(f.moved, 2);
	CHECK_EQ(fdb_lookup(&f, a, T0 + 3), 1);
	CHECK_EQ(f.learned, 2);

	/* Ping-pong many times: still one entry with the latest port */
	for (unsigned int i = 0; i < 100; i++)
		CHECK_EQ(fdb_learn(&f, a, 10 + i % 2, T0 + 10 + i), FDB_MOVED);
	CHECK_EQ(fdb_lookup(&f, a, T0 + 200), 11);
	CHECK_EQ(f.moved, 102);
	CHECK_EQ(f.learned, 2);
	/* A moved entry is refreshed too */
	CHECK_EQ(fdb_lookup(&f, a, T0 + 109 + AGE), 11);
	CHECK_EQ(fdb_lookup(&f, b, T0 + 1 + AGE), -1);
	fdb_free(&f);
}

static void test_port_gone(void)
{
	static const uint8_t a[6] = {0x02, 0, 0, 0, 1, 0xa};
	static const uint8_t b[6] = {0x02, 0, 0, 0, 1, 0xb};
	static const uint8_t c[6] = {0x02, 0, 0, 0, 2, 0xc};
	static const uint8_t d[6] = {0x02, 0, 0, 0, 3, 0xd};
	struct fdb f;
	enum fdb_learn_result r;
	uint64_t learned, moved;

	CHECK_EQ(fdb_init(&f, 256, PORTS, AGE), 0);
	CHECK_EQ(fdb_learn(&f, a, 1, T0), FDB_LEARNED);
	CHECK_EQ(fdb_learn(&f, b, 1, T0), FDB_LEARNED);
	CHECK_EQ(fdb_learn(&f, c, 2, T0), FDB_LEARNED);
	CHECK_EQ(fdb_learn(&f, d, 3, T0), FDB_LEARNED);

	fdb_port_gone(&f, 1);
	CHECK_EQ(fdb_lookup(&f, a, T0 + 1), -1);
	CHECK_EQ(fdb_lookup(&f, b, T0 + 1), -1);
	CHECK_EQ(fdb_lookup(&f, c, T0 + 1), 2);
	CHECK_EQ(fdb_lookup(&f, d, T0 + 1), 3);

	/* The index is reused by a new port: only what it teaches counts */
	learned = f.learned;
	moved = f.moved;
	r = fdb_learn(&f, a, 1, T0 + 2);
	CHECK(r == FDB_LEARNED || r == FDB_MOVED);
	CHECK_EQ(f.learned, learned + (r == FDB_LEARNED));
	CHECK_EQ(f.moved, moved + (r == FDB_MOVED));
	CHECK_EQ(fdb_lookup(&f, a, T0 + 2), 1);
	CHECK_EQ(fdb_lookup(&f, b, T0 + 2), -1);
	CHECK_EQ(fdb_learn(&f, a, 1, T0 + 3), FDB_REFRESHED);

	/* A MAC from the gone port shows up behind another port */
	r = fdb_learn(&f, b, 4, T0 + 3);
	CHECK(r == FDB_LEARNED || r == FDB_MOVED);
	CHECK_EQ(fdb_lookup(&f, b, T0 + 3), 4);

	/* Again, several times; other ports are never touched */
	for (unsigned int i = 0; i < 5; i++) {
		fdb_port_gone(&f, 1);
		CHECK_EQ(fdb_lookup(&f, a, T0 + 4), -1);
		CHECK_EQ(fdb_lookup(&f, b, T0 + 4), 4);
		CHECK_EQ(fdb_lookup(&f, c, T0 + 4), 2);
		CHECK_EQ(fdb_lookup(&f, d, T0 + 4), 3);
		fdb_learn(&f, a, 1, T0 + 5);
		CHECK_EQ(fdb_lookup(&f, a, T0 + 5), 1);
	}

	/* Gone ports at both ends of the range */
	CHECK_EQ(fdb_learn(&f, c, 0, T0 + 6), FDB_MOVED);
	CHECK_EQ(fdb_learn(&f, d, PORTS - 1, T0 + 6), FDB_MOVED);
	fdb_port_gone(&f, 0);
	CHECK_EQ(fdb_lookup(&f, c, T0 + 6), -1);
	CHECK_EQ(fdb_lookup(&f, d, T0 + 6), PORTS - 1);
	fdb_port_gone(&f, PORTS - 1);
	CHECK_EQ(fdb_lookup(&f, d, T0 + 6), -1);
	CHECK_EQ(fdb_lookup(&f, a, T0 + 6), 1);
	fdb_free(&f);
}

/* Going away is O(1): many entries of one port, all gone at once */
static void test_port_gone_many(void)
{
	struct fdb f;
	uint8_t m[6];
	int left = 0, kept = 0;

	CHECK_EQ(fdb_init(&f, 4096, PORTS, AGE), 0);
	for (uint32_t i = 0; i < 400; i++) {
		mac_of(m, 3, i);
		fdb_learn(&f, m, i % 2 ? 7 : 8, T0 + i);
	}
	fdb_port_gone(&f, 7);
	for (uint32_t i = 0; i < 400; i++) {
		int p;

		mac_of(m, 3, i);
		p = fdb_lookup(&f, m, T0 + 400);
		if (i % 2 && p != -1)
			left++;
		if (!(i % 2) && p == 8)
			kept++;
	}
	CHECK_EQ(left, 0);
	CHECK_EQ(kept, 200);
	fdb_free(&f);
}

/* A handful of VMs with QEMU's sequential addresses: all of them stay */
static void test_sequential_macs(void)
{
	struct fdb f;
	uint8_t m[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x00};
	int found = 0;

	CHECK_EQ(fdb_init(&f, 1024, PORTS, AGE), 0);
	for (unsigned int i = 0; i < 100; i++) {
		m[4] = (uint8_t)(0x34 + i / 50);
		m[5] = (uint8_t)(i % 50);
		CHECK_EQ(fdb_learn(&f, m, i % PORTS, T0 + i), FDB_LEARNED);
	}
	for (unsigned int i = 0; i < 100; i++) {
		m[4] = (uint8_t)(0x34 + i / 50);
		m[5] = (uint8_t)(i % 50);
		found += fdb_lookup(&f, m, T0 + 100) == (int)(i % PORTS);
	}
	CHECK_EQ(found, 100);
	CHECK_EQ(f.evicted, 0);
	CHECK_EQ(f.learned, 100);
	fdb_free(&f);
}

/*
 * Four times more addresses than slots: no crash, never a wrong answer,
 * the most recent ones mostly still there, evictions counted.
 */
static void test_overfull(void)
{
	struct fdb f;
	uint8_t m[6];
	uint32_t size, n;
	int wrong = 0, found = 0, recent = 0, recent_found = 0, stranger = 0;

	CHECK_EQ(fdb_init(&f, 256, PORTS, AGE), 0);
	size = f.mask + 1;
	n = 4 * size;
	for (uint32_t i = 0; i < n; i++) {
		mac_of(m, 4, i);
		CHECK_EQ(fdb_learn(&f, m, i % PORTS, T0 + i), FDB_LEARNED);
	}
	CHECK_EQ(f.learned, n);
	CHECK(f.evicted > 0);
	CHECK(f.evicted >= n - size); /* at most size entries are live */
	CHECK(f.evicted < n);
	for (uint32_t i = 0; i < n; i++) {
		int p;

		mac_of(m, 4, i);
		p = fdb_lookup(&f, m, T0 + n);
		if (p != -1 && p != (int)(i % PORTS))
			wrong++;
		if (p != -1)
			found++;
		if (i >= n - size / 8) {
			recent++;
			recent_found += p != -1;
		}
	}
	CHECK_EQ(wrong, 0);
	CHECK(found <= (int)size);
	CHECK(found >= (int)size / 2);
	CHECK(recent_found * 10 >= recent * 9);
	for (uint32_t i = 0; i < 2000; i++) {
		mac_of(m, 5, i);
		stranger += fdb_lookup(&f, m, T0 + n) != -1;
	}
	CHECK_EQ(stranger, 0);

	/* Refreshing a survivor keeps working in a full table */
	mac_of(m, 4, n - 1);
	CHECK_EQ(fdb_learn(&f, m, (n - 1) % PORTS, T0 + n), FDB_REFRESHED);
	fdb_free(&f);
}

/* Expired and gone entries are free slots, not evictions */
static void test_dead_entries_reused(void)
{
	const uint64_t age = 1000;
	struct fdb f;
	uint8_t m[6];
	uint32_t size, half;
	uint64_t before;
	int found = 0;

	CHECK_EQ(fdb_init(&f, 1024, PORTS, age), 0);
	size = f.mask + 1;
	half = size / 2;

	/* Half full of entries that then expire */
	for (uint32_t i = 0; i < half; i++) {
		mac_of(m, 6, i);
		fdb_learn(&f, m, 1, T0);
	}
	before = f.evicted;
	for (uint32_t i = 0; i < half; i++) {
		mac_of(m, 7, i);
		fdb_learn(&f, m, 2, T0 + 10 * age);
	}
	CHECK(f.evicted - before < size / 16);

	/* Half full of entries whose port then goes away */
	fdb_port_gone(&f, 2);
	before = f.evicted;
	for (uint32_t i = 0; i < half; i++) {
		mac_of(m, 8, i);
		fdb_learn(&f, m, 3, T0 + 10 * age + 1);
	}
	CHECK(f.evicted - before < size / 16);
	for (uint32_t i = 0; i < half; i++) {
		mac_of(m, 8, i);
		found += fdb_lookup(&f, m, T0 + 10 * age + 1) == 3;
	}
	CHECK(found >= (int)(half - size / 16));
	fdb_free(&f);
}

/*
 * When a window is full, the entry pushed out is the oldest one: fewer than
 * FDB_PROBE newcomers always share a window with older entries, so none of
 * them is pushed out by another, whatever the table size.
 */
static void test_evicts_oldest(void)
{
	struct fdb f;
	uint8_t m[6];
	uint32_t size, n;
	uint64_t before;
	int new_found = 0;

	CHECK_EQ(fdb_init(&f, FDB_PROBE, PORTS, AGE), 0);
	size = f.mask + 1;
	n = 8 * size;
	/* Overfill with entries, each seen once, long ago */
	for (uint32_t i = 0; i < n; i++) {
		mac_of(m, 9, i);
		fdb_learn(&f, m, 1, T0 + i);
	}
	before = f.evicted;
	CHECK(before > 0);
	for (uint32_t i = 0; i < FDB_PROBE - 1; i++) {
		mac_of(m, 10, i);
		CHECK_EQ(fdb_learn(&f, m, 2, T0 + n + 1000 + i), FDB_LEARNED);
	}
	for (uint32_t i = 0; i < FDB_PROBE - 1; i++) {
		mac_of(m, 10, i);
		new_found += fdb_lookup(&f, m, T0 + n + 2000) == 2;
	}
	CHECK_EQ(new_found, FDB_PROBE - 1);
	/* The table was full: every newcomer pushed an old entry out */
	CHECK_EQ(f.evicted - before, FDB_PROBE - 1);
	fdb_free(&f);
}

static const struct unit_test tests[] = {
    {"init", test_init},
    {"learn_lookup", test_learn_lookup},
    {"all_bytes_compared", test_all_bytes_compared},
    {"never_taught", test_never_taught},
    {"group_and_zero_addresses", test_group_and_zero_addresses},
    {"aging", test_aging},
    {"move", test_move},
    {"port_gone", test_port_gone},
    {"port_gone_many", test_port_gone_many},
    {"sequential_macs", test_sequential_macs},
    {"overfull", test_overfull},
    {"dead_entries_reused", test_dead_entries_reused},
    {"evicts_oldest", test_evicts_oldest},
};

UNIT_MAIN("fdb", tests)
