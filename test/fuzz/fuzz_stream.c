/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness of the stream framing: stream_parse() (src/stream.c),
 * which cuts a byte stream of 4-byte big-endian length prefixes and
 * Ethernet frames into frames.
 *
 * Input layout: 2 bytes max_frame - 14 (big-endian), 8 bytes seed for the
 * read sizes, then the stream bytes. The whole stream is parsed at once,
 * then fed again in reads of random sizes the way a port's reader does
 * (keep what was not consumed, append the next read).
 *
 * Invariants: every frame handed out lies inside the buffer just after its
 * own length prefix, is 14..max_frame bytes, and frames come back to back
 * from the start; the bytes consumed are exactly the frames handed out; what
 * is left is an incomplete record whose length is valid so far; a bad
 * length is reported with the first record not handed out, and its value;
 * and both ways of feeding the stream hand out the same frames and end the
 * same way.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fuzz.h"
#include "stream.h"

#define MIN_FRAME 14u
#define HDR	  4u

/**
 * struct call - one stream_parse() call's view: the buffer it was given
 * @buf:	the buffer
 * @len:	its length
 * @max_frame:	the limit passed
 * @next:	where the next record must start
 */
struct call {
	const uint8_t *buf;
	size_t len;
	size_t max_frame;
	size_t next;
};

/**
 * struct frames - copies of the frames delivered so far
 * @n:		how many
 * @cap:	room in the arrays
 * @len:	their lengths
 * @data:	their bytes
 */
struct frames {
	size_t n, cap;
	size_t *len;
	uint8_t **data;
};

/**
 * struct ctx - what on_frame() is given
 * @call:	the call being checked
 * @out:	where frames are copied
 */
struct ctx {
	struct call call;
	struct frames *out;
};

/**
 * on_frame() - stream_parse() callback: check a frame and keep a copy
 * @arg:	the struct ctx
 * @frame:	the frame
 * @len:	its length
 *
 * Return: true (the frame is taken)
 */
static bool on_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct ctx *c = arg;
	const struct call *k = &c->call;
	struct frames *f = c->out;

	/* Within the buffer, just after its own length prefix */
	FUZZ_ASSERT(frame >= k->buf + HDR);
	FUZZ_ASSERT(frame <= k->buf + k->len);
	FUZZ_ASSERT(len <= (size_t)(k->buf + k->len - frame));
	FUZZ_ASSERT(len >= MIN_FRAME && len <= k->max_frame);
	FUZZ_ASSERT(fuzz_be32(frame - HDR) == len);
	/* Records are delivered in order, back to back from the start */
	FUZZ_ASSERT((size_t)(frame - HDR - k->buf) == k->next);
	c->call.next += HDR + len;

	if (f->n == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		size_t *l = realloc(f->len, cap * sizeof(*l));
		uint8_t **d;

		FUZZ_ASSERT(l != NULL);
		f->len = l;
		d = realloc(f->data, cap * sizeof(*d));
		FUZZ_ASSERT(d != NULL);
		f->data = d;
		f->cap = cap;
	}
	f->data[f->n] = malloc(len);
	FUZZ_ASSERT(f->data[f->n] != NULL);
	memcpy(f->data[f->n], frame, len);
	f->len[f->n] = len;
	f->n++;
	return true;
}

/**
 * frames_free() - free the copies
 * @f:		the frames
 */
static void frames_free(struct frames *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->data[i]);
	free(f->data);
	free(f->len);
}

/**
 * parse_checked() - parse bytes in a buffer of exactly their size (so that
 * AddressSanitizer sees any read past it) and check the result
 * @src:	the bytes
 * @len:	how many
 * @max_frame:	largest frame
 * @out:	where the frames are copied
 * @bad_len:	set to the bad length reported, if any
 *
 * Return: what stream_parse() returned
 */
static ssize_t parse_checked(const uint8_t *src, size_t len, size_t max_frame,
			     struct frames *out, uint32_t *bad_len)
{
	uint8_t *buf = malloc(len ? len : 1);
	struct ctx c = {{buf, len, max_frame, 0}, out};
	size_t before = out->n;
	uint32_t bad = 0xa5a5a5a5u;
	ssize_t r;

	FUZZ_ASSERT(buf != NULL);
	if (len)
		memcpy(buf, src, len);
	r = stream_parse(buf, len, max_frame, on_frame, &c, &bad);
	if (r == STREAM_BAD_LENGTH) {
		/* The bad header is the first one not delivered */
		FUZZ_ASSERT(len - c.call.next >= HDR);
		FUZZ_ASSERT(bad == fuzz_be32(buf + c.call.next));
		FUZZ_ASSERT(bad < MIN_FRAME || bad > max_frame);
		*bad_len = bad;
	} else {
		size_t left;

		FUZZ_ASSERT(r >= 0);
		FUZZ_ASSERT((size_t)r <= len);
		FUZZ_ASSERT((size_t)r == c.call.next);
		/* What is left is an incomplete, valid-so-far record */
		left = len - (size_t)r;
		if (left >= HDR) {
			uint32_t l = fuzz_be32(buf + r);

			FUZZ_ASSERT(l >= MIN_FRAME && l <= max_frame);
			FUZZ_ASSERT(left - HDR < l);
		}
		/* Consumed bytes are exactly the delivered records */
		size_t sum = 0;

		for (size_t i = before; i < out->n; i++)
			sum += HDR + out->len[i];
		FUZZ_ASSERT(sum == (size_t)r);
	}
	free(buf);
	return r;
}

/**
 * rng_next() - xorshift64* step
 * @s:		the state, not 0
 *
 * Return: the next number
 */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
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
	struct frames whole = {0}, chunked = {0};
	size_t max_frame, len, pos = 0, have = 0;
	const uint8_t *s;
	uint64_t seed = 0;
	uint32_t bad_whole = 0, bad_chunked = 0;
	ssize_t r_whole;
	bool chunked_bad = false;
	uint8_t *acc;

	if (size < 10)
		return 0;
	max_frame = MIN_FRAME + ((size_t)data[0] << 8 | data[1]);
	for (int i = 0; i < 8; i++)
		seed = seed << 8 | data[2 + i];
	seed |= 1; /* xorshift state must not be 0 */
	s = data + 10;
	len = size - 10;

	r_whole = parse_checked(s, len, max_frame, &whole, &bad_whole);

	/* The same bytes arriving in reads of random sizes */
	acc = malloc(len ? len : 1);
	FUZZ_ASSERT(acc != NULL);
	while (pos < len) {
		uint64_t r = rng_next(&seed);
		size_t n;
		ssize_t got;

		/* Mostly small reads, sometimes everything that is left */
		n = r % 8 == 0 ? len - pos : 1 + (size_t)(r >> 8) % 32;
		if (n > len - pos)
			n = len - pos;
		memcpy(acc + have, s + pos, n);
		have += n;
		pos += n;
		got =
		    parse_checked(acc, have, max_frame, &chunked, &bad_chunked);
		if (got == STREAM_BAD_LENGTH) {
			chunked_bad = true;
			break;
		}
		memmove(acc, acc + got, have - (size_t)got);
		have -= (size_t)got;
	}
	free(acc);

	/* Both ways see the same frames and end the same way */
	FUZZ_ASSERT(chunked_bad == (r_whole == STREAM_BAD_LENGTH));
	if (chunked_bad)
		FUZZ_ASSERT(bad_chunked == bad_whole);
	else
		FUZZ_ASSERT(have == len - (size_t)r_whole);
	FUZZ_ASSERT(chunked.n == whole.n);
	for (size_t i = 0; i < whole.n && i < chunked.n; i++) {
		FUZZ_ASSERT(chunked.len[i] == whole.len[i]);
		FUZZ_ASSERT(
		    !memcmp(chunked.data[i], whole.data[i], whole.len[i]));
	}
	frames_free(&whole);
	frames_free(&chunked);
	return 0;
}
