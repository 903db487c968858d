/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-port output queue.
 *
 * Theory of operation: a byte ring holding records of [4-byte big-endian
 * length][frame]. A record is always contiguous: when it does not fit
 * between the tail and the end of the buffer, the end of the data is noted
 * in @wrap and the record goes to offset 0 (if there is room before @head).
 * Because the record format is the stream wire format, a stream port sends
 * the queued bytes as they are with one writev() of at most two spans, and
 * may stop in the middle of a record; a datagram port sends whole records.
 * The queue never grows: a frame that does not fit is dropped and counted,
 * so a VM that stops reading costs only its own queue.
 */
#include <stdlib.h>
#include <string.h>

#include "queue.h"

/**
 * queue_init() - allocate an empty queue
 * @q:		queue to set up
 * @cap:	capacity in bytes, records included
 *
 * Return: 0 on success, -1 if out of memory
 */
int queue_init(struct queue *q, size_t cap)
{
	memset(q, 0, sizeof(*q));
	q->buf = malloc(cap);
	if (!q->buf)
		return -1;
	q->cap = cap;
	return 0;
}

/**
 * queue_free() - release a queue's storage
 * @q:		the queue
 */
void queue_free(struct queue *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

/**
 * queue_empty() - tell whether anything is waiting
 * @q:		the queue
 *
 * Return: true if no byte is queued
 */
bool queue_empty(const struct queue *q)
{
	return q->used == 0;
}

/**
 * queue_wrapped() - tell whether the data runs past the end of the buffer
 * @q:		the queue
 *
 * Return: true if the data is [head, wrap) followed by [0, tail)
 */
static bool queue_wrapped(const struct queue *q)
{
	return q->used && q->tail <= q->head;
}

/**
 * queue_room() - tell whether a frame would fit
 * @q:		the queue
 * @len:	frame length
 *
 * Return: true if queue_push() of @len bytes would succeed now
 */
bool queue_room(const struct queue *q, size_t len)
{
	size_t rec = QUEUE_HDR + len;

	if (!q->used)
		return q->cap >= rec;
	if (!queue_wrapped(q))
		return q->cap - q->tail >= rec || q->head >= rec;
	return q->head - q->tail >= rec;
}

/**
 * queue_push() - append a frame
 * @q:		the queue
 * @frame:	frame bytes
 * @len:	frame length
 *
 * Return: true if queued, false if there was no room (counted in @dropped)
 */
bool queue_push(struct queue *q, const void *frame, size_t len)
{
	size_t rec = QUEUE_HDR + len, at;
	uint8_t *p;

	if (!queue_wrapped(q)) {
		if (q->cap - q->tail >= rec) {
			at = q->tail;
		} else if (q->head >= rec) {
			/* Not enough room at the end: start over at 0. */
			q->wrap = q->tail;
			at = 0;
		} else {
			goto full;
		}
	} else if (q->head - q->tail >= rec) {
		at = q->tail;
	} else {
		goto full;
	}
	p = q->buf + at;
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	memcpy(p + QUEUE_HDR, frame, len);
	q->tail = at + rec;
	q->used += rec;
	q->frames++;
	return true;
full:
	q->dropped++;
	return false;
}

/**
 * queue_rec_len() - size of the record at an offset
 * @q:		the queue
 * @pos:	offset of a record start
 *
 * Return: length prefix plus frame, in bytes
 */
static size_t queue_rec_len(const struct queue *q, size_t pos)
{
	const uint8_t *p = q->buf + pos;

	return QUEUE_HDR + ((size_t)p[0] << 24 | (size_t)p[1] << 16 |
			    (size_t)p[2] << 8 | p[3]);
}

/**
 * queue_pop_one() - drop the oldest record
 * @q:		the queue, not empty
 */
static void queue_pop_one(struct queue *q)
{
	size_t rec = queue_rec_len(q, q->head);

	q->head += rec;
	q->used -= rec;
	q->frames--;
	q->sent = 0;
	if (!q->used)
		q->head = q->tail = q->wrap = 0;
	else if (queue_wrapped(q) && q->head == q->wrap)
		q->head = q->wrap = 0;
}

/**
 * queue_bytes_iov() - describe the unsent bytes for a stream write
 * @q:		the queue
 * @iov:	filled with up to two spans, oldest first
 *
 * Return: number of spans filled (0 when empty)
 */
unsigned int queue_bytes_iov(const struct queue *q, struct iovec iov[2])
{
	if (!q->used)
		return 0;
	iov[0].iov_base = q->buf + q->head + q->sent;
	if (!queue_wrapped(q)) {
		iov[0].iov_len = q->tail - q->head - q->sent;
		return 1;
	}
	iov[0].iov_len = q->wrap - q->head - q->sent;
	iov[1].iov_base = q->buf;
	iov[1].iov_len = q->tail;
	return 2;
}

/**
 * queue_consume_bytes() - drop bytes that a stream write sent
 * @q:		the queue
 * @n:		bytes sent, at most what queue_bytes_iov() described; may end
 *		inside a record, which is then remembered in @sent
 */
void queue_consume_bytes(struct queue *q, size_t n)
{
	n += q->sent;
	q->sent = 0;
	while (q->used) {
		size_t rec = queue_rec_len(q, q->head);

		if (n < rec) {
			q->sent = n;
			return;
		}
		n -= rec;
		queue_pop_one(q);
	}
}

/**
 * queue_frames_iov() - describe whole queued frames for datagram sends
 * @q:		the queue; nothing of its oldest record may be sent yet
 * @iov:	filled with one entry per frame, without the length prefix
 * @max:	size of @iov
 *
 * Return: number of frames described
 */
unsigned int queue_frames_iov(const struct queue *q, struct iovec *iov,
			      unsigned int max)
{
	size_t pos = q->head, left = q->used;
	bool wrapped = queue_wrapped(q);
	unsigned int n = 0;

	while (left && n < max) {
		const uint8_t *p;
		size_t len;

		if (wrapped && pos == q->wrap) {
			pos = 0;
			wrapped = false;
		}
		p = q->buf + pos;
		len = queue_rec_len(q, pos) - QUEUE_HDR;
		iov[n].iov_base = (void *)(p + QUEUE_HDR);
		iov[n].iov_len = len;
		n++;
		pos += QUEUE_HDR + len;
		left -= QUEUE_HDR + len;
	}
	return n;
}

/**
 * queue_pop_frames() - drop whole frames that were sent
 * @q:		the queue; nothing of its oldest record may be sent yet
 * @n:		number of frames, at most the number queued
 */
void queue_pop_frames(struct queue *q, unsigned int n)
{
	while (n-- && q->used)
		queue_pop_one(q);
}
