/* SPDX-License-Identifier: Apache-2.0 */
#ifndef QUEUE_H
#define QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/**
 * struct queue - bounded output queue of frames for one port
 * @buf:	storage, allocated once by queue_init()
 * @cap:	size of @buf in bytes
 * @head:	offset of the oldest record
 * @sent:	bytes of the oldest record already written (stream ports only)
 * @tail:	offset where the next record is written
 * @wrap:	end of the data in the upper part of @buf while wrapped
 * @used:	bytes held (records and their length prefixes, the partly
 *		written oldest record counted whole)
 * @frames:	records held, the partly written one included
 * @dropped:	frames refused because the queue was full
 *
 * Each record is a 4-byte big-endian length followed by the frame, which is
 * exactly the stream wire format: a stream port writes the bytes straight
 * out (queue_bytes_iov(), queue_consume_bytes(), which may stop inside a
 * record), a datagram port sends one record per datagram
 * (queue_frames_iov(), queue_pop_frames()). A record is never split by the
 * end of @buf.
 */
struct queue {
	uint8_t *buf;
	size_t cap;
	size_t head;
	size_t sent;
	size_t tail;
	size_t wrap;
	size_t used;
	size_t frames;
	uint64_t dropped;
};

#define QUEUE_HDR 4u /* length prefix of a record */

int queue_init(struct queue *q, size_t cap);
void queue_free(struct queue *q);
bool queue_push(struct queue *q, const void *frame, size_t len);
bool queue_empty(const struct queue *q);
bool queue_room(const struct queue *q, size_t len);
unsigned int queue_bytes_iov(const struct queue *q, struct iovec iov[2]);
void queue_consume_bytes(struct queue *q, size_t n);
unsigned int queue_frames_iov(const struct queue *q, struct iovec *iov,
			      unsigned int max);
void queue_pop_frames(struct queue *q, unsigned int n);

#endif /* QUEUE_H */
