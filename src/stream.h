/* SPDX-License-Identifier: Apache-2.0 */
#ifndef STREAM_H
#define STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * stream_frame_fn - called by stream_parse() for each complete frame
 * @arg:	caller's context
 * @frame:	the Ethernet frame (without its length prefix)
 * @len:	its length, already checked against the limits
 *
 * Return: true when the frame was taken, false to stop parsing before it
 * (it stays unconsumed, to be parsed again later)
 */
typedef bool (*stream_frame_fn)(void *arg, const uint8_t *frame, size_t len);

#define STREAM_BAD_LENGTH ((ssize_t)-1)
#define STREAM_HDR	  4u /* big-endian length before each frame */

ssize_t stream_parse(const uint8_t *buf, size_t len, size_t max_frame,
		     stream_frame_fn fn, void *arg, uint32_t *bad_len);

void stream_init(size_t max_frame);
struct sock_owner;
int stream_listen(const char *path, const struct sock_owner *o, char *err,
		  size_t errlen);
void stream_unlisten(void);
void stream_drop_fd(void);
struct port;
struct port *stream_port_open(int fd, bool inherited);
int stream_connect_start(const char *const *paths, unsigned int n);
void stream_connect_stop(void);
/* connects to a --connect path for this process, or returns -1 */
typedef int (*stream_connector_fn)(const char *path);
void stream_set_connector(stream_connector_fn fn);

#endif /* STREAM_H */
