/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the per-port output queue: a byte ring of records, each a
 * 4-byte big-endian length followed by the frame, never split by the end of
 * the buffer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "queue.h"
#include "unit.h"

#define REC(len) ((size_t)QUEUE_HDR + (len))

/* Byte @i of test frame number @id: distinct for every frame and offset */
static uint8_t pattern(uint32_t id, size_t i)
{
	return (uint8_t)(id * 131u + (id >> 8) + i * 7u + (i >> 8) + 3u);
}

static void make_frame(uint8_t *buf, uint32_t id, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(id, i);
}

static uint8_t scratch[1u << 18];

static bool push_id(struct queue *q, uint32_t id, size_t len)
{
	if (len > sizeof(scratch))
		return false;
	make_frame(scratch, id, len);
	return queue_push(q, scratch, len);
}

/* Write the wire bytes of record (@id, @len) to @out; returns the size */
static size_t wire_record(uint8_t *out, uint32_t id, size_t len)
{
	out[0] = (uint8_t)(len >> 24);
	out[1] = (uint8_t)(len >> 16);
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	make_frame(out + 4, id, len);
	return REC(len);
}

static bool in_buf(const struct queue *q, const void *p, size_t len)
{
	const uint8_t *b = p;

	return b >= q->buf && b <= q->buf + q->cap &&
	       len <= (size_t)(q->buf + q->cap - b);
}

/*
 * Copy what queue_bytes_iov() describes into @out; returns the byte count,
 * or (size_t)-1 if the iovecs are malformed. *@niov gets the iovec count
 * and @iov the iovecs themselves.
 */
static size_t snapshot(const struct queue *q, uint8_t *out, size_t outcap,
		       unsigned int *niov, struct iovec iov[2])
{
	size_t total = 0;
	unsigned int n;

	memset(iov, 0, 2 * sizeof(*iov));
	n = queue_bytes_iov(q, iov);
	*niov = n;
	if (n > 2)
		return (size_t)-1;
	for (unsigned int i = 0; i < n; i++) {
		if (!in_buf(q, iov[i].iov_base, iov[i].iov_len))
			return (size_t)-1;
		if (total + iov[i].iov_len > outcap)
			return (size_t)-1;
		memcpy(out + total, iov[i].iov_base, iov[i].iov_len);
		total += iov[i].iov_len;
	}
	return total;
}

/* Does the queue hold exactly the records @ids/@lens, in order, untouched? */
static bool holds(const struct queue *q, const uint32_t *ids,
		  const size_t *lens, size_t n)
{
	static uint8_t want[1u << 18], got[1u << 18];
	struct iovec iov[2];
	unsigned int niov;
	size_t wlen = 0, glen;

	for (size_t i = 0; i < n; i++)
		wlen += wire_record(want + wlen, ids[i], lens[i]);
	glen = snapshot(q, got, sizeof(got), &niov, iov);
	return glen == wlen && memcmp(got, want, wlen) == 0 &&
	       q->used == wlen && q->frames == n && (niov == 0) == (n == 0);
}

/* Is frame payload @iov the frame (@id, @len), stored just after its prefix? */
static bool frame_iov_is(const struct queue *q, const struct iovec *iov,
			 uint32_t id, size_t len)
{
	const uint8_t *p = iov->iov_base;

	if (iov->iov_len != len || !in_buf(q, p, len) || p < q->buf + QUEUE_HDR)
		return false;
	if (p[-4] != (uint8_t)(len >> 24) || p[-3] != (uint8_t)(len >> 16) ||
	    p[-2] != (uint8_t)(len >> 8) || p[-1] != (uint8_t)len)
		return false;
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(id, i))
			return false;
	return true;
}

static void test_init_empty(void)
{
	struct queue q;
	struct iovec iov[2], fiov[4];

	CHECK_EQ(queue_init(&q, 1000), 0);
	CHECK(q.buf != NULL);
	CHECK_EQ(q.cap, 1000);
	CHECK(queue_empty(&q));
	CHECK_EQ(q.used, 0);
	CHECK_EQ(q.frames, 0);
	CHECK_EQ(q.dropped, 0);
	CHECK_EQ(queue_bytes_iov(&q, iov), 0);
	CHECK_EQ(queue_frames_iov(&q, fiov, 4), 0);
	queue_free(&q);
}

static void test_push_pop_order(void)
{
	static const size_t lens[] = {14, 60, 1514, 15, 200};
	uint32_t ids[5] = {10, 11, 12, 13, 14};
	struct queue q;
	struct iovec iov[8];
	size_t used = 0;

	CHECK_EQ(queue_init(&q, 4096), 0);
	for (unsigned int i = 0; i < 5; i++) {
		CHECK(push_id(&q, ids[i], lens[i]));
		used += REC(lens[i]);
		CHECK_EQ(q.used, used);
		CHECK_EQ(q.frames, i + 1);
		CHECK(!queue_empty(&q));
	}
	CHECK(holds(&q, ids, lens, 5));
	CHECK_EQ(queue_frames_iov(&q, iov, 8), 5);
	for (unsigned int i = 0; i < 5; i++)
		CHECK(frame_iov_is(&q, &iov[i], ids[i], lens[i]));

	queue_pop_frames(&q, 2);
	CHECK_EQ(q.frames, 3);
	CHECK_EQ(q.used, used - REC(lens[0]) - REC(lens[1]));
	CHECK(holds(&q, ids + 2, lens + 2, 3));
	CHECK_EQ(queue_frames_iov(&q, iov, 8), 3);
	for (unsigned int i = 0; i < 3; i++)
		CHECK(frame_iov_is(&q, &iov[i], ids[i + 2], lens[i + 2]));

	queue_pop_frames(&q, 3);
	CHECK(queue_empty(&q));
	CHECK_EQ(q.used, 0);
	CHECK_EQ(q.frames, 0);
	CHECK_EQ(q.dropped, 0);
	CHECK_EQ(queue_frames_iov(&q, iov, 8), 0);
	queue_free(&q);
}

/* Exact bytes: big-endian length, then the frame as given */
static void test_wire_format(void)
{
	static const uint8_t hello[14] = "hello, world!";
	static const uint8_t want_head[] = {0x00, 0x00, 0x00, 0x0e, 'h', 'e',
					    'l',  'l',	'o',  ',',  ' ', 'w',
					    'o',  'r',	'l',  'd',  '!', 0x00};
	static uint8_t got[1u << 18];
	struct queue q;
	struct iovec iov[2];
	unsigned int n;
	size_t len;

	CHECK_EQ(queue_init(&q, 1u << 18), 0);
	CHECK(queue_push(&q, hello, sizeof(hello)));
	CHECK(push_id(&q, 1, 0x12c));	/* 300: 00 00 01 2c */
	CHECK(push_id(&q, 2, 0x11170)); /* 70000: 00 01 11 70 */
	len = snapshot(&q, got, sizeof(got), &n, iov);
	CHECK_EQ(n, 1);
	CHECK_EQ(len, REC(14) + REC(300) + REC(70000));
	CHECK(memcmp(got, want_head, sizeof(want_head)) == 0);
	CHECK(got[18] == 0x00 && got[19] == 0x00 && got[20] == 0x01 &&
	      got[21] == 0x2c);
	CHECK(got[22] == pattern(1, 0) && got[22 + 299] == pattern(1, 299));
	CHECK(got[322] == 0x00 && got[323] == 0x01 && got[324] == 0x11 &&
	      got[325] == 0x70);
	CHECK(got[326] == pattern(2, 0) &&
	      got[326 + 69999] == pattern(2, 69999));
	/* The stream bytes start at the head of the queue's own buffer */
	CHECK(n >= 1 && in_buf(&q, iov[0].iov_base, iov[0].iov_len));
	queue_free(&q);
}

/*
 * cap 100, records of 24 bytes: three pushed (0..72), two sent (head 48),
 * one more fits at the end (72..96), the next does not (4 bytes left) and
 * must go to the start (0..24) as a whole.
 */
static void test_wrap_around(void)
{
	uint32_t ids[6] = {1, 2, 3, 4, 5, 6};
	size_t lens[6] = {20, 20, 20, 20, 20, 20};
	uint8_t got[256];
	struct queue q;
	struct iovec iov[2], fiov[8];
	unsigned int n;

	CHECK_EQ(queue_init(&q, 100), 0);
	CHECK(push_id(&q, 1, 20));
	CHECK(push_id(&q, 2, 20));
	CHECK(push_id(&q, 3, 20));
	queue_consume_bytes(&q, 2 * REC(20));
	CHECK(holds(&q, ids + 2, lens + 2, 1));
	CHECK(push_id(&q, 4, 20));
	CHECK(push_id(&q, 5, 20)); /* wraps */
	CHECK(holds(&q, ids + 2, lens + 2, 3));
	CHECK_EQ(q.used, 3 * REC(20));

	CHECK_EQ(snapshot(&q, got, sizeof(got), &n, iov), 3 * REC(20));
	CHECK_EQ(n, 2);
	/* Upper part: records 3 and 4 whole; lower part: record 5 whole */
	CHECK_EQ(iov[0].iov_len, 2 * REC(20));
	CHECK(iov[1].iov_base == q.buf);
	CHECK_EQ(iov[1].iov_len, REC(20));
	CHECK(n == 2 &&
	      (uint8_t *)iov[0].iov_base + iov[0].iov_len <= q.buf + q.cap);

	CHECK_EQ(queue_frames_iov(&q, fiov, 8), 3);
	for (unsigned int i = 0; i < 3; i++)
		CHECK(frame_iov_is(&q, &fiov[i], ids[i + 2], 20));

	/* Fill the gap exactly: 24..48 is free while head is at 48 */
	CHECK(push_id(&q, 6, 20));
	CHECK_EQ(q.used, 4 * REC(20));
	CHECK_EQ(q.dropped, 0);
	CHECK(holds(&q, ids + 2, lens + 2, 4));
	CHECK(!push_id(&q, 7, 14)); /* nothing left anywhere */
	CHECK_EQ(q.dropped, 1);
	CHECK(holds(&q, ids + 2, lens + 2, 4));

	/* Send the upper part: what is left is the lower part, one iovec */
	queue_consume_bytes(&q, 2 * REC(20));
	CHECK(holds(&q, ids + 4, lens + 4, 2));
	CHECK_EQ(snapshot(&q, got, sizeof(got), &n, iov), 2 * REC(20));
	CHECK_EQ(n, 1);
	CHECK(iov[0].iov_base == q.buf);
	queue_consume_bytes(&q, 2 * REC(20));
	CHECK(queue_empty(&q));
	CHECK_EQ(q.frames, 0);
	queue_free(&q);
}

/* The space left at the end is smaller than a length prefix */
static void test_wrap_tiny_gap(void)
{
	uint32_t ids[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	size_t lens[8] = {20, 20, 20, 20, 20, 20, 20, 20};
	uint8_t got[256];
	struct queue q;
	struct iovec iov[2], fiov[8];
	unsigned int n;

	for (size_t gap = 0; gap <= QUEUE_HDR; gap++) {
		CHECK_EQ(queue_init(&q, 4 * REC(20) + gap), 0);
		for (uint32_t i = 0; i < 4; i++)
			CHECK(push_id(&q, ids[i], 20));
		CHECK(!push_id(&q, 99, 14));
		CHECK_EQ(q.dropped, 1);
		queue_pop_frames(&q, 1);
		CHECK(push_id(&q, ids[4], 20)); /* wraps to the start */
		CHECK_EQ(q.dropped, 1);
		CHECK(holds(&q, ids + 1, lens + 1, 4));
		CHECK_EQ(snapshot(&q, got, sizeof(got), &n, iov), 4 * REC(20));
		CHECK_EQ(n, 2);
		CHECK_EQ(iov[0].iov_len, 3 * REC(20));
		CHECK_EQ(iov[1].iov_len, REC(20));
		CHECK(iov[1].iov_base == q.buf);
		CHECK_EQ(queue_frames_iov(&q, fiov, 8), 4);
		for (unsigned int i = 0; i < 4; i++)
			CHECK(frame_iov_is(&q, &fiov[i], ids[i + 1], 20));
		queue_pop_frames(&q, 3);
		CHECK(holds(&q, ids + 4, lens + 4, 1));
		CHECK_EQ(queue_frames_iov(&q, fiov, 8), 1);
		CHECK(frame_iov_is(&q, &fiov[0], ids[4], 20));
		CHECK(fiov[0].iov_base == q.buf + QUEUE_HDR);
		queue_free(&q);
	}
}

/* A stream writer sends a few bytes at a time, records or not */
static void test_partial_consume(void)
{
	static const size_t steps[] = {1, 3, 2, 7, 18, 5, 1, 30, 4, 11};
	uint8_t want[4096], got[4096];
	size_t wlen = 0, off = 0, k = 0, recs = 0, done = 0, sent_at = 0;
	size_t ends[256];
	struct queue q;
	struct iovec iov[2];
	unsigned int n;
	uint32_t id = 0;
	int before = unit_failed_checks;

	CHECK_EQ(queue_init(&q, 200), 0);
	/* Keep the queue busy for several laps of the ring */
	while (off < 3000) {
		/* Push while there is room for the whole next record */
		while (wlen - off + REC(20 + id % 17) <= 100 && wlen < 3500) {
			size_t len = 20 + id % 17;

			CHECK(push_id(&q, id, len));
			wlen += wire_record(want + wlen, id, len);
			ends[recs++] = wlen;
			id++;
		}
		size_t step = steps[k++ % (sizeof(steps) / sizeof(steps[0]))];

		if (step > wlen - off)
			step = wlen - off;
		queue_consume_bytes(&q, step);
		off += step;
		/* The record being written is held whole until it is done */
		while (done < recs && ends[done] <= off)
			sent_at = ends[done++];
		CHECK_EQ(q.used, wlen - sent_at);
		CHECK_EQ(q.frames, recs - done);
		CHECK_EQ(q.sent, off - sent_at);
		CHECK_EQ(snapshot(&q, got, sizeof(got), &n, iov), wlen - off);
		CHECK(memcmp(got, want + off, wlen - off) == 0);
		CHECK(queue_empty(&q) == (off == wlen));
		if (unit_failed_checks != before)
			break;
	}
	CHECK_EQ(q.dropped, 0);
	queue_consume_bytes(&q, wlen - off);
	CHECK(queue_empty(&q));
	CHECK_EQ(q.used, 0);
	CHECK_EQ(q.frames, 0);
	queue_free(&q);
}

/* Consuming a whole record byte by byte counts it as sent exactly once */
static void test_partial_consume_frames_counter(void)
{
	struct queue q;

	CHECK_EQ(queue_init(&q, 256), 0);
	CHECK(push_id(&q, 1, 14));
	CHECK(push_id(&q, 2, 14));
	CHECK_EQ(q.frames, 2);
	for (size_t i = 1; i < REC(14); i++) {
		queue_consume_bytes(&q, 1);
		/* The record being written is still held, whole */
		CHECK_EQ(q.frames, 2);
		CHECK_EQ(q.used, 2 * REC(14));
		CHECK_EQ(q.sent, i);
	}
	queue_consume_bytes(&q, 1);
	CHECK_EQ(q.frames, 1);
	CHECK_EQ(q.used, REC(14));
	CHECK_EQ(q.sent, 0);
	/* Across the record boundary in one go */
	CHECK(push_id(&q, 3, 14));
	queue_consume_bytes(&q, REC(14) + 5);
	CHECK_EQ(q.frames, 1);
	CHECK_EQ(q.used, REC(14));
	CHECK_EQ(q.sent, 5);
	queue_consume_bytes(&q, REC(14) - 5);
	CHECK_EQ(q.frames, 0);
	CHECK(queue_empty(&q));
	queue_free(&q);
}

static void test_overflow(void)
{
	uint32_t ids[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	size_t lens[8] = {20, 20, 20, 20, 20, 20, 20, 20};
	uint8_t before[256], after[256];
	struct queue q;
	struct iovec iov[2];
	unsigned int n;
	size_t blen;

	CHECK_EQ(queue_init(&q, 100), 0);
	for (uint32_t i = 0; i < 4; i++)
		CHECK(push_id(&q, ids[i], 20));
	CHECK_EQ(q.used, 96);
	blen = snapshot(&q, before, sizeof(before), &n, iov);
	CHECK_EQ(blen, 96);

	CHECK(!push_id(&q, 50, 20)); /* 24 > 4 free */
	CHECK_EQ(q.dropped, 1);
	CHECK(!push_id(&q, 51, 14)); /* 18 > 4 free */
	CHECK_EQ(q.dropped, 2);
	CHECK(!push_id(&q, 52, 1000)); /* never fits */
	CHECK_EQ(q.dropped, 3);
	CHECK_EQ(q.used, 96);
	CHECK_EQ(q.frames, 4);
	CHECK_EQ(snapshot(&q, after, sizeof(after), &n, iov), blen);
	CHECK(memcmp(before, after, blen) == 0);
	CHECK(holds(&q, ids, lens, 4));

	/* Drain, then pushes work again and the drop count stays */
	queue_pop_frames(&q, 4);
	CHECK(queue_empty(&q));
	for (uint32_t i = 4; i < 8; i++)
		CHECK(push_id(&q, ids[i], 20));
	CHECK(holds(&q, ids + 4, lens + 4, 4));
	CHECK_EQ(q.dropped, 3);
	queue_free(&q);
}

/* A record one byte larger than the whole buffer is refused when empty */
static void test_too_big_for_empty(void)
{
	struct queue q;

	CHECK_EQ(queue_init(&q, 64), 0);
	CHECK(!push_id(&q, 1, 64 - QUEUE_HDR + 1));
	CHECK_EQ(q.dropped, 1);
	CHECK(queue_empty(&q));
	CHECK_EQ(q.used, 0);
	CHECK_EQ(q.frames, 0);
	CHECK(push_id(&q, 2, 64 - QUEUE_HDR));
	CHECK_EQ(q.used, 64);
	CHECK_EQ(q.dropped, 1);
	queue_free(&q);
}

static void test_frames_iov_max(void)
{
	uint32_t ids[10];
	size_t lens[10];
	struct queue q;
	struct iovec iov[16];

	CHECK_EQ(queue_init(&q, 2048), 0);
	for (uint32_t i = 0; i < 10; i++) {
		ids[i] = 100 + i;
		lens[i] = 14 + i * 9;
		CHECK(push_id(&q, ids[i], lens[i]));
	}
	CHECK_EQ(q.frames, 10);
	CHECK_EQ(queue_frames_iov(&q, iov, 0), 0);
	CHECK_EQ(queue_frames_iov(&q, iov, 3), 3);
	for (unsigned int i = 0; i < 3; i++)
		CHECK(frame_iov_is(&q, &iov[i], ids[i], lens[i]));
	/* Looking does not consume */
	CHECK_EQ(q.frames, 10);
	CHECK(holds(&q, ids, lens, 10));
	CHECK_EQ(queue_frames_iov(&q, iov, 16), 10);
	for (unsigned int i = 0; i < 10; i++)
		CHECK(frame_iov_is(&q, &iov[i], ids[i], lens[i]));

	queue_pop_frames(&q, 3);
	CHECK_EQ(q.frames, 7);
	CHECK(holds(&q, ids + 3, lens + 3, 7));
	CHECK_EQ(queue_frames_iov(&q, iov, 16), 7);
	for (unsigned int i = 0; i < 7; i++)
		CHECK(frame_iov_is(&q, &iov[i], ids[i + 3], lens[i + 3]));
	queue_pop_frames(&q, 1);
	CHECK(holds(&q, ids + 4, lens + 4, 6));
	queue_pop_frames(&q, 0);
	CHECK(holds(&q, ids + 4, lens + 4, 6));
	queue_pop_frames(&q, 6);
	CHECK(queue_empty(&q));
	queue_free(&q);
}

/* The smallest useful queue: room for one maximum record and no more */
static void test_capacity_one_record(void)
{
	const size_t max = 65549;
	struct queue q;
	struct iovec iov[2], fiov[2];
	unsigned int n;
	static uint8_t got[REC(65549) + 16];

	CHECK_EQ(queue_init(&q, REC(max)), 0);
	for (uint32_t round = 0; round < 4; round++) {
		CHECK(push_id(&q, round, max));
		CHECK_EQ(q.used, REC(max));
		CHECK_EQ(q.frames, 1);
		CHECK(!push_id(&q, 1000 + round, 14));
		CHECK_EQ(q.dropped, round + 1);
		CHECK_EQ(snapshot(&q, got, sizeof(got), &n, iov), REC(max));
		CHECK_EQ(n, 1);
		CHECK(iov[0].iov_base == q.buf);
		CHECK_EQ(queue_frames_iov(&q, fiov, 2), 1);
		CHECK(frame_iov_is(&q, &fiov[0], round, max));
		if (round % 2) {
			queue_pop_frames(&q, 1);
		} else {
			queue_consume_bytes(&q, 3);
			queue_consume_bytes(&q, 10000);
			queue_consume_bytes(&q, REC(max) - 10003);
		}
		CHECK(queue_empty(&q));
		CHECK_EQ(q.frames, 0);
		CHECK_EQ(q.used, 0);
	}
	/* A small record sent: the ring is empty, a maximum one fits again */
	CHECK(push_id(&q, 7, 14));
	CHECK(!push_id(&q, 8, max));
	queue_consume_bytes(&q, REC(14));
	CHECK(queue_empty(&q));
	CHECK(push_id(&q, 9, max));
	CHECK_EQ(queue_frames_iov(&q, fiov, 2), 1);
	CHECK(frame_iov_is(&q, &fiov[0], 9, max));
	/* Same with the datagram side */
	queue_pop_frames(&q, 1);
	CHECK(push_id(&q, 10, 14));
	CHECK(push_id(&q, 11, max - REC(14))); /* exactly fills */
	queue_pop_frames(&q, 1);
	CHECK(!push_id(&q, 12, max)); /* 18 bytes still held */
	queue_pop_frames(&q, 1);
	CHECK(push_id(&q, 13, max));
	CHECK_EQ(q.dropped, 6);
	CHECK_EQ(q.frames, 1);
	queue_free(&q);
}

/* Deterministic xorshift64* */
static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

#define MODEL_MAX 4096

/*
 * Reference FIFO: records (id, len), bytes already written of the first
 * (@skip) and bytes not yet written (@used)
 */
struct model {
	uint32_t id[MODEL_MAX];
	size_t len[MODEL_MAX];
	size_t first, count;
	size_t skip;
	size_t used;
	uint64_t dropped;
};

static size_t model_wire(const struct model *m, uint8_t *out)
{
	size_t n = 0;

	for (size_t i = 0; i < m->count; i++) {
		size_t k = (m->first + i) % MODEL_MAX;

		n += wire_record(out + n, m->id[k], m->len[k]);
	}
	memmove(out, out + m->skip, n - m->skip);
	return n - m->skip;
}

static void model_consume(struct model *m, size_t bytes)
{
	m->used -= bytes;
	while (bytes) {
		size_t left = REC(m->len[m->first]) - m->skip;

		if (bytes < left) {
			m->skip += bytes;
			return;
		}
		bytes -= left;
		m->skip = 0;
		m->first = (m->first + 1) % MODEL_MAX;
		m->count--;
	}
}

/*
 * Compare queue and model; returns false on the first difference so a
 * broken implementation stops the run with one report.
 */
static bool model_check(const struct queue *q, const struct model *m,
			bool datagram)
{
	static uint8_t want[1u << 16], got[1u << 16];
	struct iovec iov[2], fiov[64];
	unsigned int n, nf;
	size_t wlen, glen;
	bool ok = true;

	/* A partly written record is held whole */
	ok &= q->used == m->used + m->skip;
	ok &= q->sent == m->skip;
	ok &= q->frames == m->count;
	ok &= q->dropped == m->dropped;
	ok &= queue_empty(q) == (m->used == 0);

	wlen = model_wire(m, want);
	glen = snapshot(q, got, sizeof(got), &n, iov);
	ok &= glen == wlen && memcmp(got, want, wlen) == 0;
	ok &= (n == 0) == (wlen == 0);
	/* The iovec boundary is the end of a record: records are not split */
	if (ok && n == 2) {
		size_t b = m->skip + iov[0].iov_len, acc = 0, i;

		for (i = 0; i < m->count && acc < b; i++)
			acc += REC(m->len[(m->first + i) % MODEL_MAX]);
		ok &= acc == b;
		ok &= iov[1].iov_base == q->buf;
	}
	if (ok && datagram && !m->skip) {
		nf = queue_frames_iov(q, fiov, 64);
		ok &= nf == (m->count < 64 ? m->count : 64);
		for (unsigned int i = 0; ok && i < nf; i++) {
			size_t k = (m->first + i) % MODEL_MAX;

			ok &= frame_iov_is(q, &fiov[i], m->id[k], m->len[k]);
		}
	}
	return ok;
}

/*
 * Is there a contiguous free span for a record of @rec bytes, judging from
 * where queue_bytes_iov() says the data is? Not wrapped: after the data or,
 * starting over, before it; wrapped: between the lower part and the upper.
 */
static bool room_for(const struct queue *q, size_t rec)
{
	struct iovec iov[2];
	unsigned int n = queue_bytes_iov(q, iov);
	size_t head, end;

	if (n == 0)
		return rec <= q->cap;
	head = (size_t)((uint8_t *)iov[0].iov_base - q->buf) - q->sent;
	if (n == 1) {
		end = (size_t)((uint8_t *)iov[0].iov_base - q->buf) +
		      iov[0].iov_len;
		return q->cap - end >= rec || head >= rec;
	}
	return head - iov[1].iov_len >= rec;
}

static void run_model(uint64_t seed, size_t cap, size_t maxlen, bool datagram,
		      unsigned int ops)
{
	struct model *m = calloc(1, sizeof(*m));
	struct queue q;
	uint32_t next_id = 1;
	unsigned int pushed = 0, must_ok = 0, must_fail = 0;

	CHECK(m != NULL);
	if (!m)
		return;
	rng_state = seed;
	CHECK_EQ(queue_init(&q, cap), 0);
	for (unsigned int op = 0; op < ops; op++) {
		/* Alternate filling and draining phases */
		uint32_t r = rnd_below(100), p = (op / 300) % 2 ? 85 : 30;

		if (r < p && m->count < MODEL_MAX) {
			size_t len = 14 + rnd_below((uint32_t)(maxlen - 13));
			bool room = room_for(&q, REC(len));
			bool ok = push_id(&q, next_id, len);

			if (ok != room) {
				CHECK(!"push result does not match free space");
				fprintf(stderr,
					"  seed %llu op %u len %zu: %s\n",
					(unsigned long long)seed, op, len,
					ok ? "accepted" : "refused");
				break;
			}

			if (m->used + m->skip + REC(len) > cap) {
				must_fail++;
				if (ok) {
					CHECK(!"push accepted beyond cap");
					break;
				}
			}
			if (m->used == 0 && REC(len) <= cap) {
				must_ok++;
				if (!ok) {
					CHECK(
					    !"push refused by an empty queue");
					break;
				}
			}
			if (ok) {
				size_t k = (m->first + m->count) % MODEL_MAX;

				m->id[k] = next_id;
				m->len[k] = len;
				m->count++;
				m->used += REC(len);
				pushed++;
			} else {
				m->dropped++;
			}
			next_id++;
		} else if (m->count && datagram) {
			unsigned int k = 1 + rnd_below((uint32_t)m->count);
			size_t bytes = 0;

			for (unsigned int i = 0; i < k; i++)
				bytes +=
				    REC(m->len[(m->first + i) % MODEL_MAX]);
			queue_pop_frames(&q, k);
			model_consume(m, bytes);
		} else if (m->count) {
			/* Short writes, whole records, or everything */
			uint32_t how = rnd_below(4);
			size_t bytes;

			if (how == 0)
				bytes = m->used;
			else if (how == 1)
				bytes = REC(m->len[m->first]) - m->skip;
			else
				bytes = 1 + rnd_below((uint32_t)m->used);
			queue_consume_bytes(&q, bytes);
			model_consume(m, bytes);
		}
		if (!model_check(&q, m, datagram)) {
			CHECK(!"queue differs from the reference model");
			fprintf(
			    stderr,
			    "  seed %llu cap %zu op %u: used %zu/%zu frames "
			    "%zu/%zu dropped %llu/%llu\n",
			    (unsigned long long)seed, cap, op, q.used,
			    m->used + m->skip, q.frames, m->count,
			    (unsigned long long)q.dropped,
			    (unsigned long long)m->dropped);
			break;
		}
	}
	/* The run exercised both the full and the empty cases */
	CHECK(pushed > ops / 10);
	CHECK(must_ok > 0);
	CHECK(must_fail > 0);
	queue_free(&q);
	free(m);
}

static void test_model_stream(void)
{
	run_model(0x1234abcdull, 100, 60, false, 20000);
	run_model(0x9e3779b97f4a7c15ull, 257, 120, false, 20000);
	run_model(42, 1000, 300, false, 20000);
	run_model(7, 4096, 1514, false, 20000);
	run_model(99, 64, 60, false, 5000); /* every record nearly fills it */
}

static void test_model_datagram(void)
{
	run_model(0x5eedull, 100, 60, true, 20000);
	run_model(0xfeedfaceull, 257, 120, true, 20000);
	run_model(3, 1000, 300, true, 20000);
	run_model(11, 4096, 1514, true, 20000);
	run_model(13, 64, 60, true, 5000);
}

static const struct unit_test tests[] = {
    {"init_empty", test_init_empty},
    {"push_pop_order", test_push_pop_order},
    {"wire_format", test_wire_format},
    {"wrap_around", test_wrap_around},
    {"wrap_tiny_gap", test_wrap_tiny_gap},
    {"partial_consume", test_partial_consume},
    {"partial_consume_frames_counter", test_partial_consume_frames_counter},
    {"overflow", test_overflow},
    {"too_big_for_empty", test_too_big_for_empty},
    {"frames_iov_max", test_frames_iov_max},
    {"capacity_one_record", test_capacity_one_record},
    {"model_stream", test_model_stream},
    {"model_datagram", test_model_datagram},
};

UNIT_MAIN("queue", tests)
