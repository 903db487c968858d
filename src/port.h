/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port table. A port is one attachment point of the switch: a VM's
 * connection (stream, datagram) or the host side. This module owns the
 * table (slots, ids, the dense list of open ports), each port's descriptor,
 * receive buffer and output queue; the port kinds (stream.c, dgram.c,
 * host.c) own the I/O; the switch owns what happens to frames and reads
 * the table through these functions.
 */
#ifndef PORT_H
#define PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "log.h"
#include "loop.h"
#include "queue.h"

struct port;

/**
 * enum port_kind - how a port is attached
 */
enum port_kind {
	PORT_STREAM,	 /* accepted on SOCKET, length-prefixed frames */
	PORT_FD_STREAM,	 /* inherited with --fd, length-prefixed frames */
	PORT_FD_DGRAM,	 /* inherited with --fd, one frame per datagram */
	PORT_DGRAM_PEER, /* a peer address of --dgram-socket */
	PORT_HOST,	 /* the host side (uplink.h backend) */
};

/**
 * enum port_tx - what a flush of a port's queue came to
 * @PORT_TX_IDLE:	the queue is empty
 * @PORT_TX_BLOCKED:	the peer takes no more for now; the port kind writes
 *			the rest when it can (its own event or timer) and
 *			then tells the switch (switch_port_writable())
 * @PORT_TX_DEAD:	the peer is gone: the port must close
 */
enum port_tx {
	PORT_TX_IDLE = 0,
	PORT_TX_BLOCKED,
	PORT_TX_DEAD,
};

/**
 * struct port_ops - what differs between kinds of port
 * @name:	kind shown in logs
 * @flush:	write queued frames; called by the switch only
 * @resume:	optional: go on reading after waiting for a busy destination;
 *		ports without it never wait (their frames are dropped instead)
 * @gone:	optional: tell whether the peer has gone away without the
 *		port noticing (a datagram peer whose socket was removed)
 * @closed:	optional: release what the kind keeps for the port
 * @owns_fd:	the port's descriptor is its own, closed with the port
 */
struct port_ops {
	const char *name;
	enum port_tx (*flush)(struct port *p);
	void (*resume)(struct port *p);
	bool (*gone)(struct port *p);
	void (*closed)(struct port *p);
	bool owns_fd;
};

/**
 * struct port_stats - per-port counters
 * @rx_frames:	frames received from the VM
 * @rx_bytes:	their bytes
 * @rx_bad:	frames received and dropped as malformed
 * @rx_dropped:	frames received and dropped because their destination was
 *		busy (datagram ports that cannot keep a frame to retry it)
 * @tx_frames:	frames queued to the VM
 * @tx_bytes:	their bytes
 * @tx_dropped:	frames to the VM dropped because its queue was full
 */
struct port_stats {
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t rx_bad;
	uint64_t rx_dropped;
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t tx_dropped;
};

/**
 * struct port_peer - what dgram.c keeps for a datagram port
 * @addr:	a peer of the shared socket: its address
 * @len:	the address's length
 * @retry:	timer to retry a send that found the peer full
 * @retry_shift: back-off of that timer (1 ms << shift)
 * @seqpacket:	a --fd SOCK_SEQPACKET socket (a zero-length read is its end)
 * @fd:		a peer of the shared socket: a socket connected to it, which
 *		the monitor opened because this process may not write to the
 *		peer's socket file (-1: none, frames go through the shared
 *		socket)
 */
struct port_peer {
	struct sockaddr_un addr;
	socklen_t len;
	int fd;
	struct loop_timer retry;
	unsigned int retry_shift;
	bool seqpacket;
};

/**
 * struct port - one attachment point of the switch (a VM, usually)
 * @id:		index in the port table, also the switch's port number
 * @open:	slot in use
 * @kind:	how it is attached
 * @ops:	kind-specific operations
 * @src:	event source of the port's own descriptor (for peers of the
 *		shared datagram socket: the shared socket, not registered)
 * @txq:	bounded output queue, in stream wire format
 * @rxbuf:	receive buffer (stream and host ports), else NULL
 * @rxlen:	bytes in @rxbuf not yet switched
 * @rxcap:	size of @rxbuf
 * @rx_waiting:	the port kind stopped reading because the switch made the
 *		port wait for a busy destination (until ops->resume)
 * @tx_waiting:	the port kind's last write found the peer full; it waits
 *		for its descriptor (or a timer) to write the rest
 * @rx_partial_ms: stream ports: when the incomplete frame at the end of
 *		@rxbuf last got bytes (0: none, or the port waits)
 * @peer:	datagram ports: the peer and the retry timer
 * @uid:	peer credentials (SO_PEERCRED), -1 if unknown
 * @pid:	peer process, -1 if unknown
 * @st:		counters
 * @badlog:	rate limit for log lines about this port's bad input
 * @owner:	kind-specific object behind the port (a --connect target)
 * @active_idx:	position in the dense list of open ports (port.c's)
 */
struct port {
	unsigned int id;
	bool open;
	enum port_kind kind;
	const struct port_ops *ops;
	struct loop_source src;
	struct queue txq;
	uint8_t *rxbuf;
	size_t rxlen;
	size_t rxcap;
	bool rx_waiting;
	bool tx_waiting;
	uint64_t rx_partial_ms;
	struct port_peer peer;
	long uid;
	long pid;
	struct port_stats st;
	struct log_limit badlog;
	void *owner;
	unsigned int active_idx;
};

/**
 * struct port_hooks - what the owner of the table hears about
 * @opened:	a port was opened (before its kind registers it)
 * @closing:	a port is closing, with the reason; it is still whole
 */
struct port_hooks {
	void (*opened)(struct port *p);
	void (*closing)(struct port *p, const char *why);
};

int port_table_init(unsigned int max_ports, size_t queue_size);
void port_table_fini(void);
void port_set_hooks(const struct port_hooks *h);
struct port *port_open(enum port_kind kind, const struct port_ops *ops, int fd,
		       size_t rxcap);
void port_close(struct port *p, const char *why);
void port_close_all(const char *why);
void port_drop_fds(void);
struct port *port_get(unsigned int id);
unsigned int port_count(void);
unsigned int port_max(void);
struct port *port_active(unsigned int i);
void port_set_creds(struct port *p);

#endif /* PORT_H */
