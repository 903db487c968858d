/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stream ports: connections accepted on SOCKET, and stream sockets handed
 * over with --fd. Each frame is a 4-byte big-endian length and the frame.
 *
 * Theory of operation: a port reads as much as its receive buffer holds in
 * one read(), hands every complete frame to the switch, and moves the
 * incomplete rest (at most one frame) to the start of the buffer. A length
 * outside [14, max-frame] means the peer is not speaking our protocol or is
 * hostile: that connection alone is closed. Output goes through the port's
 * queue, whose bytes are already in wire format, with one writev().
 *
 * With --connect the roles are reversed: the VM (QEMU -netdev
 * stream,server=on) listens and the daemon connects to it, and connects
 * again, once a second, whenever the connection is lost or refused. This
 * way a VM survives a restart of the daemon.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "err.h"
#include "compat.h"
#include "exhaust.h"
#include "log.h"
#include "loop.h"
#include "pkt.h"
#include "port.h"
#include "sock.h"
#include "stream.h"
#include "switch.h"

#define STREAM_RXBUF	    (256u << 10) /* bytes read per read() at most */
#define STREAM_READS	    8u		 /* reads per wake-up, for fairness */
#define STREAM_ACCEPTS	    64u		 /* accepts per wake-up */
#define STREAM_RECONNECT_MS 1000u	 /* retry delay of --connect */
#define STREAM_PARTIAL_MS   20000u /* an incomplete frame waits this long */

/**
 * struct stream_target - a VM the daemon connects to (--connect)
 * @path:	its listening socket
 * @timer:	retry timer while not connected
 * @port:	the port while connected, else NULL
 * @failures:	consecutive failed attempts (logged on the first only)
 */
struct stream_target {
	const char *path;
	struct loop_timer timer;
	struct port *port;
	unsigned int failures;
};

/**
 * struct stream_state - the stream side of the daemon
 * @targets:	--connect targets
 * @ntargets:	how many
 * @max_frame:	largest frame accepted from and sent to VMs
 * @listener:	SOCKET, while listening
 * @uid:	--socket-user: the only uid accepted, else -1
 * @accept_pause: accept() on SOCKET while descriptors are short
 * @partial_timer: closes ports whose incomplete frame waited too long
 * @connector:	connects to a target this process may not reach, or NULL
 */
static struct stream_state {
	struct stream_target *targets;
	unsigned int ntargets;
	size_t max_frame;
	struct sock_listener listener;
	long uid;
	struct exhaust_pause accept_pause;
	struct loop_timer partial_timer;
	stream_connector_fn connector;
} stream = {
    .max_frame = 65549,
    .listener = {.src = {.fd = -1}},
    .uid = -1,
    .accept_pause = {.what = "accept on SOCKET"},
};

static enum port_tx stream_flush(struct port *p);
static void stream_resume(struct port *p);

static const struct port_ops stream_ops = {
    .resume = stream_resume,
    .name = "stream",
    .flush = stream_flush,
    .owns_fd = true,
};

static const struct port_ops stream_fd_ops = {
    .resume = stream_resume,
    .name = "fd-stream",
    .flush = stream_flush,
    .owns_fd = true,
};

static void stream_target_lost(struct port *p);

static const struct port_ops stream_connect_ops = {
    .resume = stream_resume,
    .name = "connect",
    .flush = stream_flush,
    .closed = stream_target_lost,
    .owns_fd = true,
};

/**
 * stream_parse() - find the complete frames in a buffer of stream bytes
 * @buf:	bytes received, starting at a length prefix
 * @len:	number of bytes
 * @max_frame:	largest frame accepted
 * @fn:		called for each complete frame, in order
 * @arg:	passed to @fn
 * @bad_len:	set to the offending length when STREAM_BAD_LENGTH is returned
 *
 * Frames before a bad length are still delivered. Parsing also stops, with
 * that frame not consumed, when @fn refuses a frame.
 *
 * Return: bytes consumed (complete frames taken), or STREAM_BAD_LENGTH
 */
ssize_t stream_parse(const uint8_t *buf, size_t len, size_t max_frame,
		     stream_frame_fn fn, void *arg, uint32_t *bad_len)
{
	size_t off = 0;

	while (len - off >= STREAM_HDR) {
		const uint8_t *p = buf + off;
		uint32_t flen = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
				(uint32_t)p[2] << 8 | p[3];

		if (flen < PKT_ETH_HLEN || flen > max_frame) {
			*bad_len = flen;
			return STREAM_BAD_LENGTH;
		}
		if (len - off - STREAM_HDR < flen)
			break;
		if (!fn(arg, p + STREAM_HDR, flen))
			break;
		off += STREAM_HDR + flen;
	}
	return (ssize_t)off;
}

/**
 * stream_init() - set the frame size limit
 * @max_frame:	largest frame accepted from and sent to VMs
 */
void stream_init(size_t max_frame)
{
	stream.max_frame = max_frame;
}

/**
 * stream_frame() - hand one parsed frame to the switch
 * @arg:	the port it came from
 * @frame:	the frame
 * @len:	its length
 *
 * Return: false when the switch makes the port wait (see switch_input()):
 * the frame stays in the buffer and the port reads nothing until resumed
 */
static bool stream_frame(void *arg, const uint8_t *frame, size_t len)
{
	struct port *p = arg;

	if (switch_input(p, frame, len) != SWITCH_WAIT)
		return true;
	p->rx_waiting = true;
	return false;
}

/**
 * stream_update_events() - ask the loop for what the port needs now
 * @p:		the port
 *
 * Readable unless it waits for a busy destination, writable while its
 * peer is full.
 *
 * Return: 0, or -1 with errno set
 */
static int stream_update_events(struct port *p)
{
	return loop_mod(&p->src, (p->rx_waiting ? 0 : LOOP_IN) |
				     (p->tx_waiting ? LOOP_OUT : 0));
}

/**
 * stream_is() - tell whether a port is one of ours
 * @p:		an open port
 *
 * Return: true for accepted, --fd and --connect stream ports
 */
static bool stream_is(const struct port *p)
{
	return p->ops == &stream_ops || p->ops == &stream_fd_ops ||
	       p->ops == &stream_connect_ops;
}

/**
 * stream_partial_sweep() - timer: close the ports whose incomplete frame
 * got no byte for STREAM_PARTIAL_MS
 * @t:		the stream module's partial-frame timer
 *
 * A peer that sends half a frame and then nothing holds a port slot and
 * nothing else (its socket is not read from in a loop, and nobody waits
 * for it); this gives the slot back. Re-armed for the next port due.
 */
static void stream_partial_sweep(struct loop_timer *t)
{
	uint64_t now = loop_now(), next = 0;
	unsigned int i = 0;

	while (i < port_count()) {
		struct port *p = port_active(i);

		if (!stream_is(p) || !p->rx_partial_ms || p->rx_waiting) {
			i++;
			continue;
		}
		if (now - p->rx_partial_ms >= STREAM_PARTIAL_MS) {
			log_warnx("port %u: an incomplete frame (%zu bytes) "
				  "got no more bytes for %u s",
				  p->id, p->rxlen, STREAM_PARTIAL_MS / 1000);
			/* the last open port moves to position i */
			port_close(p, "incomplete frame timed out");
			continue;
		}
		if (!next || p->rx_partial_ms + STREAM_PARTIAL_MS < next)
			next = p->rx_partial_ms + STREAM_PARTIAL_MS;
		i++;
	}
	if (next)
		loop_timer_arm(t, next - now);
}

/**
 * stream_note_partial() - note whether a port holds an incomplete frame
 * @p:		the port, after its buffer was parsed
 *
 * Called when bytes arrived or the port went on after waiting: either way
 * the peer made progress, so the partial frame's clock starts again.
 */
static void stream_note_partial(struct port *p)
{
	if (!p->rxlen || p->rx_waiting) {
		p->rx_partial_ms = 0;
		return;
	}
	p->rx_partial_ms = loop_now();
	if (!stream.partial_timer.deadline_ms) {
		stream.partial_timer.fn = stream_partial_sweep;
		loop_timer_arm(&stream.partial_timer, STREAM_PARTIAL_MS);
	}
}

/**
 * stream_consume() - switch the complete frames in a port's receive buffer
 * @p:		the port
 *
 * Stops early when a frame's destination is busy (the port then waits, see
 * switch_input()); what was not switched stays in the buffer.
 *
 * Return: 0, or -1 if the port was closed for a bad length
 */
static int stream_consume(struct port *p)
{
	uint32_t bad = 0;
	ssize_t used = stream_parse(p->rxbuf, p->rxlen, stream.max_frame,
				    stream_frame, p, &bad);

	if (used == STREAM_BAD_LENGTH) {
		log_warnx("port %u: bad frame length %u (allowed %u..%zu)",
			  p->id, bad, PKT_ETH_HLEN, stream.max_frame);
		port_close(p, "bad frame length");
		return -1;
	}
	p->rxlen -= (size_t)used;
	if (p->rxlen && used)
		memmove(p->rxbuf, p->rxbuf + used, p->rxlen);
	stream_note_partial(p);
	if (p->rx_waiting)
		stream_update_events(p);
	return 0;
}

/**
 * stream_input() - read and switch what a stream port sent
 * @p:		the port
 *
 * Reads nothing while the port waits for a busy destination, so the VM's
 * socket fills up and the VM slows down instead of losing frames.
 *
 * Return: 0, or -1 if the port was closed
 */
static int stream_input(struct port *p)
{
	for (unsigned int i = 0; i < STREAM_READS && !p->rx_waiting; i++) {
		size_t room = p->rxcap - p->rxlen;
		ssize_t n;

		n = read(p->src.fd, p->rxbuf + p->rxlen, room);
		if (n == 0) {
			port_close(p, "closed by peer");
			return -1;
		}
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			port_close(p, strerror(errno));
			return -1;
		}
		p->rxlen += (size_t)n;
		if (stream_consume(p) < 0)
			return -1;
		if ((size_t)n < room)
			return 0; /* drained the socket */
	}
	return 0;
}

/**
 * stream_resume() - go on with a port that waited for a busy destination
 * @p:		the port; its receive buffer may hold frames not yet switched
 */
static void stream_resume(struct port *p)
{
	p->rx_waiting = false;
	if (stream_consume(p) < 0 || p->rx_waiting)
		return;
	stream_update_events(p);
	stream_input(p);
}

/**
 * stream_flush() - write a stream port's queue (called by the switch)
 * @p:		the port
 *
 * Writes until the queue is empty or the socket is full; in the latter case
 * the port waits for LOOP_OUT.
 *
 * Return: PORT_TX_IDLE, PORT_TX_BLOCKED, or PORT_TX_DEAD if the connection
 * failed
 */
static enum port_tx stream_flush(struct port *p)
{
	struct iovec iov[2];
	unsigned int n;

	while ((n = queue_bytes_iov(&p->txq, iov))) {
		ssize_t w = writev(p->src.fd, iov, (int)n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return PORT_TX_DEAD;
		}
		queue_consume_bytes(&p->txq, (size_t)w);
	}
	p->tx_waiting = !queue_empty(&p->txq);
	if (stream_update_events(p) < 0)
		return PORT_TX_DEAD;
	return p->tx_waiting ? PORT_TX_BLOCKED : PORT_TX_IDLE;
}

/**
 * stream_ready() - event callback of a stream port
 * @src:	the port's event source
 * @events:	what is ready
 */
static void stream_ready(struct loop_source *src, unsigned int events)
{
	struct port *p = container_of(src, struct port, src);

	if (events & LOOP_OUT) {
		switch_port_writable(p);
		if (!p->open)
			return;
	}
	if (events & (LOOP_IN | LOOP_ERR))
		stream_input(p);
}

/**
 * stream_open() - make a port of a connected stream socket
 * @fd:		the socket; owned by the port from now on
 * @kind:	port kind
 * @ops:	port operations
 *
 * Return: the port, or NULL (and @fd closed) on failure
 */
static struct port *stream_open(int fd, enum port_kind kind,
				const struct port_ops *ops)
{
	size_t rxcap = STREAM_RXBUF;
	struct port *p;

	if (rxcap < 2 * (stream.max_frame + STREAM_HDR))
		rxcap = 2 * (stream.max_frame + STREAM_HDR);
	p = port_open(kind, ops, fd, rxcap);
	if (!p) {
		close(fd);
		return NULL;
	}
	sock_set_buffers(fd);
	port_set_creds(p);
	p->src.fn = stream_ready;
	if (loop_add(&p->src, LOOP_IN) < 0) {
		log_err("cannot watch port %u", p->id);
		port_close(p, "setup failed");
		return NULL;
	}
	log_info("port %u connected: %s (uid %ld pid %ld)", p->id, p->ops->name,
		 p->uid, p->pid);
	return p;
}

/**
 * stream_port_open() - make a port of a connected stream socket
 * @fd:		the socket; owned by the port from now on
 * @inherited:	true for --fd, false for an accepted connection
 *
 * Return: the port, or NULL (and @fd closed) on failure
 */
struct port *stream_port_open(int fd, bool inherited)
{
	return stream_open(fd, inherited ? PORT_FD_STREAM : PORT_STREAM,
			   inherited ? &stream_fd_ops : &stream_ops);
}

/**
 * stream_target_try() - timer: try to connect to a --connect target
 * @t:		the target's timer
 */
static void stream_target_try(struct loop_timer *t)
{
	struct stream_target *tg = container_of(t, struct stream_target, timer);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	strncpy(sa.sun_path, tg->path, sizeof(sa.sun_path) - 1);
	fd = compat_socket(AF_UNIX, SOCK_STREAM, 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		/* Not ours to reach: the connector (the monitor) may be. */
		fd = e == EACCES && stream.connector
			 ? stream.connector(tg->path)
			 : -1;
		errno = e;
	}
	if (fd < 0) {
		if (!tg->failures++)
			log_warnx("--connect=%s: %s; retrying every %u ms",
				  tg->path, strerror(errno),
				  STREAM_RECONNECT_MS);
		loop_timer_arm(&tg->timer, STREAM_RECONNECT_MS);
		return;
	}
	tg->failures = 0;
	tg->port = stream_open(fd, PORT_STREAM, &stream_connect_ops);
	if (!tg->port) {
		loop_timer_arm(&tg->timer, STREAM_RECONNECT_MS);
		return;
	}
	tg->port->owner = tg;
	log_info("port %u: connected to %s", tg->port->id, tg->path);
}

/**
 * stream_set_connector() - who connects to --connect targets this process
 * may not reach itself
 * @fn:		returns a non-blocking, close-on-exec socket connected to
 *		the path, or -1; NULL: nobody
 */
void stream_set_connector(stream_connector_fn fn)
{
	stream.connector = fn;
}

/**
 * stream_target_lost() - a --connect port closed: schedule a reconnect
 * @p:		the closing port
 */
static void stream_target_lost(struct port *p)
{
	struct stream_target *tg = p->owner;

	if (!tg)
		return;
	tg->port = NULL;
	if (stream.targets)
		loop_timer_arm(&tg->timer, STREAM_RECONNECT_MS);
}

/**
 * stream_connect_start() - start connecting to VMs that listen (--connect)
 * @paths:	their socket paths
 * @n:		how many
 *
 * Return: 0 on success, -1 if out of memory
 */
int stream_connect_start(const char *const *paths, unsigned int n)
{
	if (!n)
		return 0;
	stream.targets = calloc(n, sizeof(*stream.targets));
	if (!stream.targets)
		return -1;
	stream.ntargets = n;
	for (unsigned int i = 0; i < n; i++) {
		stream.targets[i].path = paths[i];
		stream.targets[i].timer.fn = stream_target_try;
		stream_target_try(&stream.targets[i].timer);
	}
	return 0;
}

/**
 * stream_connect_stop() - stop reconnecting and forget the targets
 *
 * Their ports stay open (port_close_all() closes them) but no longer
 * reconnect.
 */
void stream_connect_stop(void)
{
	struct stream_target *tg = stream.targets;

	stream.targets = NULL;
	for (unsigned int i = 0; i < stream.ntargets; i++) {
		loop_timer_cancel(&tg[i].timer);
		if (tg[i].port)
			tg[i].port->owner = NULL;
	}
	free(tg);
	stream.ntargets = 0;
}

/**
 * stream_accept() - event callback of the listening socket
 * @src:	the listener
 * @events:	what is ready
 */
static void stream_accept(struct loop_source *src, unsigned int events)
{
	for (unsigned int i = 0; i < STREAM_ACCEPTS; i++) {
		int fd = compat_accept(src->fd);

		if (fd < 0) {
			/* EMFILE, ENFILE, ENOBUFS, ENOMEM...: the connection
			 * stays in the backlog and the listener readable */
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				exhaust_pause_fail(&stream.accept_pause, src,
						   LOOP_IN, errno);
			return;
		}
		exhaust_pause_ok(&stream.accept_pause);
		if (stream.uid >= 0) {
			long uid = -1, pid = -1;

			sock_peer_creds(fd, &uid, &pid);
			if (uid != stream.uid) {
				log_warnx("refused a connection from uid %ld "
					  "pid %ld (--socket-user)",
					  uid, pid);
				close(fd);
				continue;
			}
		}
		stream_port_open(fd, false);
	}
}

/**
 * stream_listen() - create SOCKET and accept VMs on it
 * @path:	socket file
 * @o:		owner and group of the file; with an owner uid, connections
 *		from other uids are refused too
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set
 */
int stream_listen(const char *path, const struct sock_owner *o, char *err,
		  size_t errlen)
{
	if (sock_listener_open(&stream.listener, path, SOCK_STREAM, o,
			       stream_accept, err, errlen) < 0)
		return -1;
	stream.uid = o->uid;
	return 0;
}

/**
 * stream_drop_fd() - close SOCKET's descriptor but keep the file
 *
 * For the privileged monitor after the fork (priv.c).
 */
void stream_drop_fd(void)
{
	sock_listener_drop_fd(&stream.listener);
}

/**
 * stream_unlisten() - close SOCKET and remove the file
 */
void stream_unlisten(void)
{
	exhaust_pause_cancel(&stream.accept_pause);
	loop_timer_cancel(&stream.partial_timer);
	sock_listener_close(&stream.listener);
}
