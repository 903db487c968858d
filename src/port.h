/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PORT_H
#define PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

#include "guard.h"
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
 * struct port_ops - what differs between kinds of port
 * @name:	kind shown in logs
 * @flush:	send queued frames; return 0, or -1 when the port must close
 * @closed:	optional: release what the kind keeps for the port
 * @resume:	optional: go on after waiting for a busy destination; ports
 *		without it never wait (their frames are dropped instead)
 * @owns_fd:	the port's descriptor is its own, closed with the port
 */
struct port_ops {
	const char *name;
	int (*flush)(struct port *p);
	void (*closed)(struct port *p);
	void (*resume)(struct port *p);
	bool owns_fd;
};

/**
 * struct port_stats - per-port counters, shown when the port closes
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
 * struct port - one attachment point of the switch (a VM, usually)
 * @id:		index in the port table, also the fdb port number
 * @open:	slot in use
 * @kind:	how it is attached
 * @ops:	kind-specific operations
 * @src:	event source for the port's own descriptor (not for peers of
 *		the shared datagram socket)
 * @txq:	bounded output queue
 * @rxbuf:	stream ports: bytes read but not yet parsed
 * @rxlen:	bytes in @rxbuf
 * @rxcap:	size of @rxbuf
 * @peer:	datagram peers: the peer's address
 * @peerlen:	its length
 * @uid:	peer credentials (SO_PEERCRED), -1 if unknown
 * @pid:	peer process, -1 if unknown
 * @st:		counters
 * @active_idx:	position in the dense list of open ports
 * @tx_blocked:	the last flush stopped because the VM's socket was full
 * @tx_progress_ms: when the VM last took bytes, or its queue last emptied
 * @paused_on:	the busy destination this port waits for, or NULL
 * @waiters:	ports waiting for this one to take frames
 * @next_waiter: link in the waiters list of @paused_on
 * @dirty:	on the list of ports with frames to flush
 * @next_dirty:	link in that list
 * @retry:	datagram peers: timer to retry a send that hit EAGAIN; ports
 *		that wait for a busy destination: timer to resume
 * @retry_shift: datagram peers: retry back-off (delay 1 ms << shift)
 * @last_src:	last source MAC learned on this port (saves fdb work)
 * @last_src_ms: when it was learned
 * @last_moved:	fdb move counter at that time
 * @badlog:	rate limit for log lines about this port's bad input
 * @owner:	kind-specific object behind the port (a --connect target)
 * @guard:	what the guards know about the port
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
	struct sockaddr_un peer;
	socklen_t peerlen;
	long uid;
	long pid;
	struct port_stats st;
	unsigned int active_idx;
	bool tx_blocked;
	uint64_t tx_progress_ms;
	struct port *paused_on;
	struct port *waiters;
	struct port *next_waiter;
	bool dirty;
	struct port *next_dirty;
	struct loop_timer retry;
	unsigned int retry_shift;
	uint8_t last_src[6];
	uint64_t last_src_ms;
	uint64_t last_moved;
	struct log_limit badlog;
	void *owner;
	struct guard_port guard;
};

int port_table_init(unsigned int max_ports, size_t queue_size);
void port_table_fini(void);
struct port *port_open(enum port_kind kind, const struct port_ops *ops, int fd,
		       size_t rxcap);
void port_close(struct port *p, const char *why);
void port_close_all(const char *why);
void port_drop_fds(void);
struct port *port_get(unsigned int id);
unsigned int port_count(void);
struct port *port_active(unsigned int i);
void port_set_creds(struct port *p);
void port_log_stats(const struct port *p, const char *what, const char *why);

#endif /* PORT_H */
