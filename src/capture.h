/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packet capture: frames written as a pcap file (tcpdump, Wireshark) by a
 * writer thread of its own, through a bounded buffer; frames the writer
 * cannot keep up with are counted and lost, never waited for.
 */
#ifndef CAPTURE_H
#define CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPTURE_BUFFER	  (8u << 20) /* bytes between the loop and disk */
#define CAPTURE_SNAPLEN	  262144u    /* pcap snapshot length */
#define CAPTURE_ANY_PORT  (-1)	     /* filter: every port */
#define CAPTURE_PORT_NONE (-2)	     /* a frame's end that is no port */

/**
 * struct capture_filter - which frames a capture keeps
 * @port:	a port id whose frames are kept (received from it or sent to
 *		it, flooded ones included), or CAPTURE_ANY_PORT
 * @has_mac:	keep only frames from or to @mac
 * @mac:	the address
 * @max_bytes:	stop writing once the file would grow past this (0: no
 *		limit)
 */
struct capture_filter {
	int port;
	bool has_mac;
	uint8_t mac[6];
	uint64_t max_bytes;
};

/**
 * struct capture_stats - what a capture did
 * @running:	a capture is on
 * @full:	it reached its size limit and writes nothing more
 * @frames:	frames handed to the writer
 * @bytes:	bytes handed to the writer (the file's size once written)
 * @dropped:	frames lost because the writer lagged a buffer behind
 * @written:	bytes the writer has written
 * @write_error: errno of the writer's failed write, 0 if none
 * @filter:	the filter in force
 */
struct capture_stats {
	bool running;
	bool full;
	uint64_t frames;
	uint64_t bytes;
	uint64_t dropped;
	uint64_t written;
	int write_error;
	struct capture_filter filter;
};

int capture_start(int fd, const struct capture_filter *f, char *err,
		  size_t errlen);
int capture_stop(void);
bool capture_running(void);
void capture_frame(int src, int dst, const uint8_t *frame, size_t len);
void capture_get_stats(struct capture_stats *st);
void capture_fini(unsigned int wait_ms);

#endif /* CAPTURE_H */
