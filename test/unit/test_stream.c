/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for stream_parse(): QEMU stream framing, a 4-byte big-endian
 * length followed by the Ethernet frame.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "stream.h"
#include "unit.h"

#define MIN_FRAME 14u
#define MAX_FRAME 100u
#define BIG_MAX	  65549u /* MTU 65535 + Ethernet header, the default */
#define MAX_SEEN  64u
#define SENTINEL  0xdeadbeefu

/* What the callback saw */
struct seen {
	unsigned int n;
	const uint8_t *ptr[MAX_SEEN];
	size_t len[MAX_SEEN];
	uint8_t *copy[MAX_SEEN];
};

static bool on_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct seen *s = arg;

	if (s->n >= MAX_SEEN) {
		s->n++;
		return true;
	}
	s->ptr[s->n] = frame;
	s->len[s->n] = len;
	s->copy[s->n] = malloc(len ? len : 1);
	if (s->copy[s->n])
		memcpy(s->copy[s->n], frame, len);
	s->n++;
	return true;
}

static void seen_reset(struct seen *s)
{
	for (unsigned int i = 0; i < s->n && i < MAX_SEEN; i++)
		free(s->copy[i]);
	memset(s, 0, sizeof(*s));
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Byte @i of test frame number @id: distinct for every frame and offset */
static uint8_t pattern(unsigned int id, size_t i)
{
	return (uint8_t)(id * 37u + i * 7u + (i >> 8) + 1u);
}

/* Append one record (length prefix + frame) to @buf at @off; new offset */
static size_t put_record(uint8_t *buf, size_t off, unsigned int id, size_t len)
{
	put_be32(buf + off, (uint32_t)len);
	for (size_t i = 0; i < len; i++)
		buf[off + 4 + i] = pattern(id, i);
	return off + 4 + len;
}

/* Append a header claiming @len bytes without any frame bytes */
static size_t put_header(uint8_t *buf, size_t off, uint32_t len)
{
	put_be32(buf + off, len);
	return off + 4;
}

static bool frame_is(const struct seen *s, unsigned int k, unsigned int id,
		     size_t len)
{
	if (k >= s->n || k >= MAX_SEEN || s->len[k] != len || !s->copy[k])
		return false;
	for (size_t i = 0; i < len; i++)
		if (s->copy[k][i] != pattern(id, i))
			return false;
	return true;
}

static void test_empty_buffer(void)
{
	struct seen s = {0};
	uint32_t bad = SENTINEL;
	uint8_t buf[1] = {0};

	CHECK_EQ(stream_parse(buf, 0, MAX_FRAME, on_frame, &s, &bad), 0);
	CHECK_EQ(s.n, 0);
	seen_reset(&s);
}

/* 1 to 3 bytes of a header: nothing to do yet, whatever the bytes are */
static void test_partial_header(void)
{
	static const uint8_t fill[] = {0x00, 0xff, 0x01};

	for (size_t f = 0; f < sizeof(fill); f++) {
		for (size_t n = 1; n <= 3; n++) {
			struct seen s = {0};
			uint32_t bad = SENTINEL;
			uint8_t buf[3];

			memset(buf, fill[f], sizeof(buf));
			CHECK_EQ(
			    stream_parse(buf, n, MAX_FRAME, on_frame, &s, &bad),
			    0);
			CHECK_EQ(s.n, 0);
			seen_reset(&s);
		}
	}
}

static void test_one_frame(void)
{
	struct seen s = {0};
	uint32_t bad = SENTINEL;
	uint8_t buf[128];
	size_t n = put_record(buf, 0, 1, 60);

	CHECK_EQ(n, 64);
	CHECK_EQ(stream_parse(buf, n, MAX_FRAME, on_frame, &s, &bad), 64);
	CHECK_EQ(s.n, 1);
	CHECK(frame_is(&s, 0, 1, 60));
	/* The frame is handed over in place, just past its length prefix */
	CHECK(s.ptr[0] == buf + 4);
	seen_reset(&s);
}

static void test_many_frames(void)
{
	static const size_t lens[] = {14, 15, 60, 100, 99, 64, 14, 1, 77};
	struct seen s = {0};
	uint32_t bad = SENTINEL;
	uint8_t buf[1024];
	size_t off = 0, n = 0, starts[16];

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		if (lens[i] < MIN_FRAME)
			continue;
		starts[n++] = off;
		off = put_record(buf, off, (unsigned int)i, lens[i]);
	}
	CHECK_EQ(stream_parse(buf, off, MAX_FRAME, on_frame, &s, &bad),
		 (ssize_t)off);
	CHECK_EQ(s.n, n);
	for (size_t k = 0, i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		if (lens[i] < MIN_FRAME)
			continue;
		CHECK(frame_is(&s, (unsigned int)k, (unsigned int)i, lens[i]));
		CHECK(k < MAX_SEEN && s.ptr[k] == buf + starts[k] + 4);
		k++;
	}
	seen_reset(&s);
}

/* Complete frames are delivered, the incomplete tail stays unconsumed */
static void test_incomplete_tail(void)
{
	uint8_t buf[256];
	size_t a = put_record(buf, 0, 1, 20);
	size_t b = put_record(buf, a, 2, 30);
	size_t c = put_record(buf, b, 3, 40);

	for (size_t len = 0; len <= c; len++) {
		struct seen s = {0};
		uint32_t bad = SENTINEL;
		ssize_t want = len >= c	  ? (ssize_t)c
			       : len >= b ? (ssize_t)b
			       : len >= a ? (ssize_t)a
					  : 0;
		unsigned int frames = len >= c ? 3 : len >= b ? 2 : len >= a;

		CHECK_EQ(stream_parse(buf, len, MAX_FRAME, on_frame, &s, &bad),
			 want);
		CHECK_EQ(s.n, frames);
		if (frames >= 1)
			CHECK(frame_is(&s, 0, 1, 20));
		if (frames >= 2)
			CHECK(frame_is(&s, 1, 2, 30));
		if (frames >= 3)
			CHECK(frame_is(&s, 2, 3, 40));
		seen_reset(&s);
	}
}

/*
 * A reader that keeps what was not consumed and appends the next read.
 * Feeds @wire in chunks cut at @cuts (ascending, within the data); returns
 * false if a parse call failed or consumed more than it was given.
 */
static bool feed(const uint8_t *wire, size_t wire_len, const size_t *cuts,
		 size_t ncuts, size_t max_frame, struct seen *s)
{
	uint8_t *acc = malloc(wire_len + 1);
	size_t have = 0, pos = 0;
	bool ok = true;

	if (!acc)
		return false;
	for (size_t c = 0; c <= ncuts && ok; c++) {
		size_t end = c < ncuts ? cuts[c] : wire_len;
		uint32_t bad = SENTINEL;
		ssize_t r;

		memcpy(acc + have, wire + pos, end - pos);
		have += end - pos;
		pos = end;
		r = stream_parse(acc, have, max_frame, on_frame, s, &bad);
		if (r < 0 || (size_t)r > have) {
			ok = false;
			break;
		}
		memmove(acc, acc + r, have - (size_t)r);
		have -= (size_t)r;
	}
	if (have != 0)
		ok = false;
	free(acc);
	return ok;
}

/* Frames split across two reads at every possible byte offset */
static void test_split_every_offset(void)
{
	uint8_t wire[512];
	size_t n = put_record(wire, 0, 1, 14);
	n = put_record(wire, n, 2, 100);
	n = put_record(wire, n, 3, 33);

	for (size_t cut = 0; cut <= n; cut++) {
		struct seen s = {0};

		CHECK(feed(wire, n, &cut, 1, MAX_FRAME, &s));
		CHECK_EQ(s.n, 3);
		CHECK(frame_is(&s, 0, 1, 14));
		CHECK(frame_is(&s, 1, 2, 100));
		CHECK(frame_is(&s, 2, 3, 33));
		seen_reset(&s);
	}
}

/* Every pair of cut points, then one byte at a time */
static void test_split_three_ways_and_bytewise(void)
{
	uint8_t wire[256];
	size_t n = put_record(wire, 0, 4, 20);
	n = put_record(wire, n, 5, 14);
	size_t cuts[256];
	struct seen s = {0};

	for (size_t i = 0; i <= n; i++) {
		for (size_t j = i; j <= n; j++) {
			cuts[0] = i;
			cuts[1] = j;
			CHECK(feed(wire, n, cuts, 2, MAX_FRAME, &s));
			CHECK_EQ(s.n, 2);
			CHECK(frame_is(&s, 0, 4, 20));
			CHECK(frame_is(&s, 1, 5, 14));
			seen_reset(&s);
		}
	}
	for (size_t i = 0; i < n; i++)
		cuts[i] = i + 1;
	CHECK(feed(wire, n, cuts, n, MAX_FRAME, &s));
	CHECK_EQ(s.n, 2);
	CHECK(frame_is(&s, 0, 4, 20));
	CHECK(frame_is(&s, 1, 5, 14));
	seen_reset(&s);
}

static void test_limits_accepted(void)
{
	static const size_t maxes[] = {MIN_FRAME, MAX_FRAME, BIG_MAX};
	uint8_t *buf = malloc(2 * (4 + BIG_MAX));

	CHECK(buf != NULL);
	if (!buf)
		return;
	for (size_t m = 0; m < sizeof(maxes) / sizeof(maxes[0]); m++) {
		struct seen s = {0};
		uint32_t bad = SENTINEL;
		size_t n = put_record(buf, 0, 6, MIN_FRAME);
		n = put_record(buf, n, 7, maxes[m]);

		CHECK_EQ(stream_parse(buf, n, maxes[m], on_frame, &s, &bad),
			 (ssize_t)n);
		CHECK_EQ(s.n, 2);
		CHECK(frame_is(&s, 0, 6, MIN_FRAME));
		CHECK(frame_is(&s, 1, 7, maxes[m]));
		seen_reset(&s);

		/* A maximum frame one byte short is only waited for */
		CHECK_EQ(stream_parse(buf, n - 1, maxes[m], on_frame, &s, &bad),
			 4 + MIN_FRAME);
		CHECK_EQ(s.n, 1);
		seen_reset(&s);
	}
	free(buf);
}

/*
 * A bad length is refused as soon as its header is there: the frame it
 * announces may never arrive, or may not fit any buffer.
 */
static void test_bad_lengths(void)
{
	const uint32_t bads[] = {0,
				 1,
				 13,
				 MAX_FRAME + 1,
				 MAX_FRAME + 1000,
				 0x7fffffffu,
				 0x80000000u,
				 0xffffffffu};

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		uint8_t buf[256];
		size_t n;

		/* Header alone */
		{
			struct seen s = {0};
			uint32_t bad = SENTINEL;

			n = put_header(buf, 0, bads[i]);
			CHECK_EQ(
			    stream_parse(buf, n, MAX_FRAME, on_frame, &s, &bad),
			    STREAM_BAD_LENGTH);
			CHECK_EQ(bad, bads[i]);
			CHECK_EQ(s.n, 0);
			seen_reset(&s);
		}
		/* Header followed by plenty of bytes */
		{
			struct seen s = {0};
			uint32_t bad = SENTINEL;

			memset(buf, 0x55, sizeof(buf));
			put_header(buf, 0, bads[i]);
			CHECK_EQ(stream_parse(buf, sizeof(buf), MAX_FRAME,
					      on_frame, &s, &bad),
				 STREAM_BAD_LENGTH);
			CHECK_EQ(bad, bads[i]);
			CHECK_EQ(s.n, 0);
			seen_reset(&s);
		}
	}
}

/* Frames before a bad length are still delivered, none after it */
static void test_frames_before_bad(void)
{
	const uint32_t bads[] = {0, 13, MAX_FRAME + 1, 0xffffffffu};

	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		struct seen s = {0};
		uint32_t bad = SENTINEL;
		uint8_t buf[512];
		size_t n = put_record(buf, 0, 8, 50);
		n = put_record(buf, n, 9, MAX_FRAME);
		n = put_header(buf, n, bads[i]);
		n = put_record(buf, n, 10, 20); /* never reached */

		CHECK_EQ(stream_parse(buf, n, MAX_FRAME, on_frame, &s, &bad),
			 STREAM_BAD_LENGTH);
		CHECK_EQ(bad, bads[i]);
		CHECK_EQ(s.n, 2);
		CHECK(frame_is(&s, 0, 8, 50));
		CHECK(frame_is(&s, 1, 9, MAX_FRAME));
		seen_reset(&s);
	}
}

/* Only the bytes of a header decide: 13 is bad whatever max_frame is */
static void test_bad_below_min_with_small_max(void)
{
	struct seen s = {0};
	uint32_t bad = SENTINEL;
	uint8_t buf[64];
	size_t n = put_header(buf, 0, 13);

	memset(buf + n, 0, 13);
	CHECK_EQ(stream_parse(buf, n + 13, MIN_FRAME, on_frame, &s, &bad),
		 STREAM_BAD_LENGTH);
	CHECK_EQ(bad, 13);
	CHECK_EQ(s.n, 0);
	seen_reset(&s);

	/* Exactly max + 1 with the smallest useful max */
	n = put_header(buf, 0, MIN_FRAME + 1);
	memset(buf + n, 0, MIN_FRAME + 1);
	bad = SENTINEL;
	CHECK_EQ(
	    stream_parse(buf, n + MIN_FRAME + 1, MIN_FRAME, on_frame, &s, &bad),
	    STREAM_BAD_LENGTH);
	CHECK_EQ(bad, MIN_FRAME + 1);
	CHECK_EQ(s.n, 0);
	seen_reset(&s);
}

/* The length is big-endian: 0x00 0x00 0x01 0x00 is 256, not 65536 or 1 */
static void test_big_endian_length(void)
{
	struct seen s = {0};
	uint32_t bad = SENTINEL;
	uint8_t buf[4 + 300];

	memset(buf, 0xa5, sizeof(buf));
	buf[0] = 0x00;
	buf[1] = 0x00;
	buf[2] = 0x01;
	buf[3] = 0x00;
	CHECK_EQ(stream_parse(buf, 4 + 256, 300, on_frame, &s, &bad), 260);
	CHECK_EQ(s.n, 1);
	CHECK_EQ(s.len[0], 256);
	seen_reset(&s);
	/* Not enough yet for 256 bytes */
	CHECK_EQ(stream_parse(buf, 4 + 255, 300, on_frame, &s, &bad), 0);
	CHECK_EQ(s.n, 0);
	seen_reset(&s);
}

static const struct unit_test tests[] = {
    {"empty_buffer", test_empty_buffer},
    {"partial_header", test_partial_header},
    {"one_frame", test_one_frame},
    {"many_frames", test_many_frames},
    {"incomplete_tail", test_incomplete_tail},
    {"split_every_offset", test_split_every_offset},
    {"split_three_ways_and_bytewise", test_split_three_ways_and_bytewise},
    {"limits_accepted", test_limits_accepted},
    {"bad_lengths", test_bad_lengths},
    {"frames_before_bad", test_frames_before_bad},
    {"bad_below_min_with_small_max", test_bad_below_min_with_small_max},
    {"big_endian_length", test_big_endian_length},
};

UNIT_MAIN("stream", tests)
