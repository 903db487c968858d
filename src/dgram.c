/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Datagram ports: one Ethernet frame per datagram.
 *
 * Theory of operation: two kinds share this file. A --fd datagram socket is
 * connected to one VM and is a port of its own. The --dgram-socket is one
 * bound socket shared by many VMs: every distinct sender address becomes a
 * port (found through a small hash of addresses), and frames to it are sent
 * with that address. Input is read in batches (compat_recvmmsg(): Linux's
 * recvmmsg(), macOS's recvmsg_x()) into buffers shared by all datagram
 * ports, output is sent in batches from the port's queue
 * (compat_sendmmsg()). A peer that disappears (ECONNREFUSED or ENOENT on send)
 * is forgotten. A peer whose receive queue is full makes the shared socket
 * return EAGAIN, and Linux does not report when that one peer has room
 * again, so its frames stay queued and a short timer retries the send.
 * A peer whose socket file this process may not write to (an unprivileged
 * switch, a peer's socket made by another user) is sent to through a
 * socket connected to it, which the connector registered by the owner
 * (the privileged monitor, priv.h) opens; that works for a peer that is
 * not connected to the shared socket (QEMU's -netdev dgram), since a
 * connected one takes datagrams from the shared socket only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "err.h"
#include "compat.h"
#include "dgram.h"
#include "log.h"
#include "loop.h"
#include "pkt.h"
#include "exhaust.h"
#include "port.h"
#include "sock.h"
#include "switch.h"

#define DGRAM_BATCH	      32u /* datagrams per recvmmsg()/sendmmsg() */
#define DGRAM_READS	      8u  /* recvmmsg() calls per wake-up */
#define DGRAM_RETRY_MS	      1u  /* retry delay for a peer that was full */
#define DGRAM_RETRY_MAX_SHIFT 6u  /* retries back off up to 64 ms */
#define DGRAM_SHARED_SNDBUF   (16 << 20) /* send buffer of --dgram-socket */
#define DGRAM_HELLO	      "VFKT"
#define DGRAM_HELLO_LEN	      4u

/**
 * struct dgram_state - the datagram side of the daemon
 * @max_frame:	largest frame accepted
 * @bufs:	DGRAM_BATCH receive buffers of max_frame + 1 bytes
 * @iov:	one iovec per buffer
 * @msgs:	the recvmmsg() batch
 * @addrs:	sender addresses of the batch
 * @sock:	the shared socket (--dgram-socket), while listening
 * @peers:	hash of peer address -> port id (-1: empty)
 * @peer_mask:	hash size - 1
 * @st:		counters
 * @recv_pause:	receiving on the shared socket after it failed
 * @connector:	opens a socket connected to a peer this process may not
 *		write to, or NULL
 */
static struct dgram_state {
	size_t max_frame;
	uint8_t *bufs;
	struct iovec iov[DGRAM_BATCH];
	struct mmsghdr msgs[DGRAM_BATCH];
	struct sockaddr_un addrs[DGRAM_BATCH];
	struct sock_listener sock;
	int *peers;
	unsigned int peer_mask;
	struct dgram_stats st;
	struct exhaust_pause recv_pause;
	dgram_connector_fn connector;
} dgram = {
    .max_frame = 65549,
    .sock = {.src = {.fd = -1}},
    .recv_pause = {.what = "receive on the datagram socket"},
};

static enum port_tx dgram_flush(struct port *p);
static void dgram_resume(struct port *p);
static int dgram_update_events(struct port *p);
static void dgram_retry(struct loop_timer *t);
static bool dgram_peer_gone(struct port *p);
static void dgram_closed(struct port *p);

static const struct port_ops dgram_fd_ops = {
    .name = "fd-dgram",
    .flush = dgram_flush,
    .resume = dgram_resume,
    .closed = dgram_closed,
    .owns_fd = true,
};

static const struct port_ops dgram_peer_ops = {
    .name = "dgram",
    .flush = dgram_flush,
    .gone = dgram_peer_gone,
    .closed = dgram_closed,
    .owns_fd = false,
};

/**
 * dgram_init() - allocate the shared receive batch and the peer hash
 * @max_frame:	largest frame accepted
 * @max_ports:	number of port ids (peers cannot outnumber them)
 *
 * Return: 0 on success, -1 if out of memory
 */
int dgram_init(size_t max_frame, unsigned int max_ports)
{
	unsigned int size = 16;

	dgram.max_frame = max_frame;
	memset(&dgram.st, 0, sizeof(dgram.st));
	while (size < 2 * max_ports)
		size <<= 1;
	/* One spare byte per buffer tells an oversized datagram apart. */
	dgram.bufs = malloc(DGRAM_BATCH * (max_frame + 1));
	dgram.peers = malloc(size * sizeof(*dgram.peers));
	if (!dgram.bufs || !dgram.peers) {
		dgram_fini();
		return -1;
	}
	for (unsigned int i = 0; i < size; i++)
		dgram.peers[i] = -1;
	dgram.peer_mask = size - 1;
	return 0;
}

/**
 * dgram_fini() - free what dgram_init() allocated
 */
void dgram_fini(void)
{
	free(dgram.bufs);
	free(dgram.peers);
	dgram.bufs = NULL;
	dgram.peers = NULL;
}

/**
 * dgram_get_stats() - read the datagram counters
 *
 * Return: the counters
 */
const struct dgram_stats *dgram_get_stats(void)
{
	return &dgram.st;
}

/**
 * dgram_prepare_recv() - point the receive batch at the shared buffers
 * @named:	collect sender addresses too
 */
static void dgram_prepare_recv(bool named)
{
	for (unsigned int i = 0; i < DGRAM_BATCH; i++) {
		struct msghdr *h = &dgram.msgs[i].msg_hdr;

		dgram.iov[i].iov_base = dgram.bufs + i * (dgram.max_frame + 1);
		dgram.iov[i].iov_len = dgram.max_frame + 1;
		memset(h, 0, sizeof(*h));
		h->msg_iov = &dgram.iov[i];
		h->msg_iovlen = 1;
		if (named) {
			h->msg_name = &dgram.addrs[i];
			h->msg_namelen = sizeof(dgram.addrs[i]);
		}
	}
}

/**
 * dgram_frame() - check one received datagram and switch it
 * @p:		port it came from
 * @buf:	its bytes
 * @len:	its length
 * @flags:	msg_flags from the kernel
 *
 * Return: what switch_input() did (SWITCH_WAIT only for --fd ports)
 */
static enum switch_result dgram_frame(struct port *p, const uint8_t *buf,
				      size_t len, int flags)
{
	if (len == DGRAM_HELLO_LEN && !memcmp(buf, DGRAM_HELLO, len)) {
		dgram.st.hellos++;
		return SWITCH_DONE;
	}
	if ((flags & MSG_TRUNC) || len < PKT_ETH_HLEN ||
	    len > dgram.max_frame) {
		dgram.st.bad++;
		p->st.rx_bad++;
		if (log_limit_ok(&p->badlog, loop_now()))
			log_warnx("port %u: dropped a datagram of %zu bytes "
				  "(allowed 14..%zu)",
				  p->id, len, dgram.max_frame);
		return SWITCH_DONE;
	}
	return switch_input(p, buf, len);
}

/**
 * dgram_hash() - hash a peer address
 * @sa:		the address
 * @len:	its length
 *
 * Return: a 32-bit hash (FNV-1a over the address bytes)
 */
static uint32_t dgram_hash(const struct sockaddr_un *sa, socklen_t len)
{
	const uint8_t *b = (const uint8_t *)sa;
	uint32_t h = 2166136261u;

	for (socklen_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

/**
 * dgram_peer_find() - find or create the port of a sender address
 * @sa:		sender address
 * @len:	its length
 *
 * Return: the port, or NULL if the sender has no address or no port is free
 */
static struct port *dgram_peer_find(const struct sockaddr_un *sa, socklen_t len)
{
	uint32_t i = dgram_hash(sa, len) & dgram.peer_mask;
	struct port *p;

	if (len <= (socklen_t)offsetof(struct sockaddr_un, sun_path)) {
		dgram.st.unnamed++;
		return NULL;
	}
	for (;; i = (i + 1) & dgram.peer_mask) {
		if (dgram.peers[i] < 0)
			break;
		p = port_get((unsigned int)dgram.peers[i]);
		if (p && p->peer.len == len && !memcmp(&p->peer.addr, sa, len))
			return p;
	}
	p = port_open(PORT_DGRAM_PEER, &dgram_peer_ops, dgram.sock.src.fd, 0);
	if (!p)
		return NULL;
	memcpy(&p->peer.addr, sa, len);
	p->peer.len = len;
	p->peer.fd = -1;
	p->peer.retry.fn = dgram_retry;
	dgram.peers[i] = (int)p->id;
	log_info("port %u connected: dgram (peer %.*s)", p->id,
		 (int)(len - offsetof(struct sockaddr_un, sun_path)),
		 sa->sun_path[0] ? sa->sun_path : "(abstract)");
	return p;
}

/**
 * dgram_peer_forget() - remove a closing peer from the address hash
 * @p:		the peer's port
 *
 * Later entries of its probe run are moved up so lookups still find them.
 */
static void dgram_peer_forget(struct port *p)
{
	uint32_t i = dgram_hash(&p->peer.addr, p->peer.len) & dgram.peer_mask;

	while (dgram.peers[i] != (int)p->id) {
		if (dgram.peers[i] < 0)
			return;
		i = (i + 1) & dgram.peer_mask;
	}
	dgram.peers[i] = -1;
	/* Backward-shift deletion for linear probing. */
	for (uint32_t j = (i + 1) & dgram.peer_mask; dgram.peers[j] >= 0;
	     j = (j + 1) & dgram.peer_mask) {
		struct port *q = port_get((unsigned int)dgram.peers[j]);
		uint32_t home =
		    dgram_hash(&q->peer.addr, q->peer.len) & dgram.peer_mask;

		/* Move j to the hole at i unless home lies in (i, j]. */
		if (((j - home) & dgram.peer_mask) >=
		    ((j - i) & dgram.peer_mask)) {
			dgram.peers[i] = dgram.peers[j];
			dgram.peers[j] = -1;
			i = j;
		}
	}
	dgram.st.peers_gone++;
}

/**
 * dgram_closed() - a datagram port is closing: stop its retry timer, and
 * forget a peer's address
 * @p:		the port
 */
static void dgram_closed(struct port *p)
{
	loop_timer_cancel(&p->peer.retry);
	if (p->kind != PORT_DGRAM_PEER)
		return;
	dgram_peer_forget(p);
	if (p->peer.fd >= 0)
		close(p->peer.fd);
	p->peer.fd = -1;
}

/**
 * dgram_peer_gone() - tell whether a peer's socket no longer exists
 * @p:		the peer's port
 *
 * Return: true if nothing is bound at its address any more
 */
static bool dgram_peer_gone(struct port *p)
{
	return !sock_dgram_alive(&p->peer.addr, p->peer.len);
}

/**
 * dgram_batch() - switch the datagrams of one received batch
 * @own:	the port owning the socket, or NULL for the shared socket
 * @n:		datagrams in the batch
 *
 * Return: 0, or -1 if @own reached its end and was closed
 */
static int dgram_batch(struct port *own, int n)
{
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &dgram.msgs[i].msg_hdr;
		struct port *p = own;

		if (own && own->peer.seqpacket && !dgram.msgs[i].msg_len) {
			/* The end of a SOCK_SEQPACKET pair reads as empty
			 * records (QEMU never sends empty frames). */
			port_close(own, "closed by peer");
			return -1;
		}
		if (!p) {
			p = dgram_peer_find(h->msg_name, h->msg_namelen);
			if (!p)
				continue;
		}
		/* A --fd port whose frame must wait cannot keep it: the
		 * batch buffers are reused. That frame is lost, but the port
		 * reads nothing more until resumed. */
		if (dgram_frame(p, dgram.iov[i].iov_base, dgram.msgs[i].msg_len,
				h->msg_flags) == SWITCH_WAIT) {
			p->st.rx_dropped++;
			p->rx_waiting = true;
		}
	}
	return 0;
}

/**
 * dgram_receive() - read batches of datagrams from a socket and switch them
 * @fd:		the socket
 * @own:	the port owning @fd, or NULL for the shared socket
 *
 * Return: 0, or -1 if @own hit an error and was closed
 */
static int dgram_receive(int fd, struct port *own)
{
	for (unsigned int r = 0; r < DGRAM_READS; r++) {
		int n;

		if (own && own->rx_waiting)
			return dgram_update_events(own);
		dgram_prepare_recv(!own);
		n = compat_recvmmsg(fd, dgram.msgs, DGRAM_BATCH, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (own) {
				port_close(own, strerror(errno));
				return -1;
			}
			/* whatever it is, retrying at once fails again */
			exhaust_pause_fail(&dgram.recv_pause, &dgram.sock.src,
					   LOOP_IN, errno);
			return 0;
		}
		if (!own)
			exhaust_pause_ok(&dgram.recv_pause);
		if (dgram_batch(own, n) < 0)
			return -1;
		if ((unsigned int)n < DGRAM_BATCH)
			return 0;
	}
	return 0;
}

/**
 * dgram_retry() - timer: try again to send to a peer that was full
 * @t:		the port's retry timer
 */
static void dgram_retry(struct loop_timer *t)
{
	struct port *p = container_of(t, struct port, peer.retry);

	switch_port_writable(p);
}

/**
 * dgram_busy() - a send found the peer full: decide how to go on
 * @p:		the port
 * @e:		the errno of the send (EAGAIN or ENOBUFS)
 *
 * A --fd port waits for LOOP_OUT after EAGAIN. The kernel cannot tell when
 * one peer of the shared socket has room again, and a socket that returns
 * ENOBUFS may look writable while it is not (macOS), so those retry from a
 * timer, backing off from 1 to 64 ms. A peer of the shared socket that has
 * not read for a while loses what it has queued: it would hold the shared
 * socket's send buffer.
 *
 * Return: what the flush came to
 */
static enum port_tx dgram_busy(struct port *p, int e)
{
	if (p->kind == PORT_FD_DGRAM && e != ENOBUFS) {
		p->tx_waiting = true;
		return dgram_update_events(p) < 0 ? PORT_TX_DEAD
						  : PORT_TX_BLOCKED;
	}
	if (p->kind == PORT_DGRAM_PEER && switch_port_stalled(p)) {
		p->st.tx_dropped += p->txq.frames;
		queue_pop_frames(&p->txq, (unsigned int)p->txq.frames);
		return PORT_TX_BLOCKED;
	}
	loop_timer_arm(&p->peer.retry, DGRAM_RETRY_MS << p->peer.retry_shift);
	if (p->peer.retry_shift < DGRAM_RETRY_MAX_SHIFT)
		p->peer.retry_shift++;
	return PORT_TX_BLOCKED;
}

/**
 * dgram_send() - send up to one batch of a datagram port's queue
 * @p:		the port
 *
 * Return: datagrams sent (>= 1), or -1 with errno set
 */
static int dgram_send(struct port *p)
{
	struct mmsghdr msgs[DGRAM_BATCH];
	struct iovec iov[DGRAM_BATCH];
	unsigned int n = queue_frames_iov(&p->txq, iov, DGRAM_BATCH);
	bool own = p->kind == PORT_DGRAM_PEER && p->peer.fd >= 0;

	memset(msgs, 0, n * sizeof(msgs[0]));
	for (unsigned int i = 0; i < n; i++) {
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (p->kind == PORT_DGRAM_PEER && !own) {
			msgs[i].msg_hdr.msg_name = &p->peer.addr;
			msgs[i].msg_hdr.msg_namelen = p->peer.len;
		}
	}
	return compat_sendmmsg(own ? p->peer.fd : p->src.fd, msgs, n,
			       MSG_DONTWAIT);
}

/**
 * dgram_peer_connect() - a send to a peer was refused for lack of rights:
 * have the connector open a socket connected to it
 * @p:		the port
 *
 * Return: true if frames can now go to the peer through it
 */
static bool dgram_peer_connect(struct port *p)
{
	if (p->kind != PORT_DGRAM_PEER || p->peer.fd >= 0 || !dgram.connector)
		return false;
	p->peer.fd = dgram.connector(&p->peer.addr, p->peer.len);
	if (p->peer.fd < 0) {
		errno = EACCES;
		return false;
	}
	sock_set_sndbuf(p->peer.fd, 1 << 20);
	log_info("port %u: sending through a socket the monitor connected to "
		 "the peer",
		 p->id);
	return true;
}

/**
 * dgram_set_connector() - who opens sockets to peers this process may not
 * write to
 * @fn:		returns a non-blocking, close-on-exec datagram socket
 *		connected to the address, or -1; NULL: nobody
 */
void dgram_set_connector(dgram_connector_fn fn)
{
	dgram.connector = fn;
}

/**
 * dgram_flush() - send a datagram port's queue (called by the switch)
 * @p:		the port
 *
 * Return: PORT_TX_IDLE, PORT_TX_BLOCKED, or PORT_TX_DEAD if the peer is
 * gone and the port must close
 */
static enum port_tx dgram_flush(struct port *p)
{
	while (!queue_empty(&p->txq)) {
		int sent = dgram_send(p);

		if (sent > 0) {
			queue_pop_frames(&p->txq, (unsigned int)sent);
			p->peer.retry_shift = 0;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
			return dgram_busy(p, errno);
		if (errno == ECONNREFUSED || errno == ENOENT ||
		    errno == ENOTCONN || errno == EPIPE || errno == ECONNRESET)
			return PORT_TX_DEAD;
		if (errno == EACCES && dgram_peer_connect(p))
			continue;
		/* Anything else (EMSGSIZE...): drop that frame, go on. */
		if (log_limit_ok(&p->badlog, loop_now()))
			log_warn("port %u: send failed", p->id);
		p->st.tx_dropped++;
		queue_pop_frames(&p->txq, 1);
	}
	if (p->tx_waiting) {
		p->tx_waiting = false;
		if (dgram_update_events(p) < 0)
			return PORT_TX_DEAD;
	}
	return PORT_TX_IDLE;
}

/**
 * dgram_shared_ready() - event callback of the shared datagram socket
 * @src:	the socket's event source
 * @events:	what is ready
 */
static void dgram_shared_ready(struct loop_source *src, unsigned int events)
{
	dgram_receive(src->fd, NULL);
}

/**
 * dgram_port_ready() - event callback of a --fd datagram port
 * @src:	the port's event source
 * @events:	what is ready
 */
static void dgram_port_ready(struct loop_source *src, unsigned int events)
{
	struct port *p = container_of(src, struct port, src);

	if (events & LOOP_OUT) {
		switch_port_writable(p);
		if (!p->open)
			return;
	}
	if (events & (LOOP_IN | LOOP_ERR))
		dgram_receive(src->fd, p);
}

/**
 * dgram_update_events() - ask the loop for what a --fd port needs now
 * @p:		the port
 *
 * Return: 0, or -1 with errno set
 */
static int dgram_update_events(struct port *p)
{
	if (p->kind != PORT_FD_DGRAM)
		return 0;
	return loop_mod(&p->src, (p->rx_waiting ? 0 : LOOP_IN) |
				     (p->tx_waiting ? LOOP_OUT : 0));
}

/**
 * dgram_resume() - go on reading a --fd port that waited for a destination
 * @p:		the port
 */
static void dgram_resume(struct port *p)
{
	p->rx_waiting = false;
	dgram_update_events(p);
	dgram_receive(p->src.fd, p);
}

/**
 * dgram_port_open() - make a port of a connected datagram socket (--fd)
 * @fd:		the socket; owned by the port from now on
 *
 * Return: the port, or NULL (and @fd closed) on failure
 */
struct port *dgram_port_open(int fd)
{
	struct port *p = port_open(PORT_FD_DGRAM, &dgram_fd_ops, fd, 0);
	socklen_t len = sizeof(int);
	int type = 0;

	if (!p) {
		close(fd);
		return NULL;
	}
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len);
	p->peer.seqpacket = type == SOCK_SEQPACKET;
	sock_set_buffers(fd);
	port_set_creds(p);
	p->peer.retry.fn = dgram_retry;
	p->src.fn = dgram_port_ready;
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
 * dgram_listen() - create the shared datagram socket (--dgram-socket)
 * @path:	socket file
 * @o:		owner and group of the file
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set
 */
int dgram_listen(const char *path, const struct sock_owner *o, char *err,
		 size_t errlen)
{
	if (sock_listener_open(&dgram.sock, path, SOCK_DGRAM, o,
			       dgram_shared_ready, err, errlen) < 0)
		return -1;
	/* Datagrams a peer has not read yet count against this socket's
	 * send buffer, shared by every peer: make it large. */
	sock_set_sndbuf(dgram.sock.src.fd, DGRAM_SHARED_SNDBUF);
	return 0;
}

/**
 * dgram_drop_fd() - close the shared datagram socket but keep the file
 *
 * For the privileged monitor after the fork, as stream_drop_fd().
 */
void dgram_drop_fd(void)
{
	sock_listener_drop_fd(&dgram.sock);
}

/**
 * dgram_unlisten() - close the shared datagram socket and remove its file
 *
 * Its peers' ports must be closed first.
 */
void dgram_unlisten(void)
{
	exhaust_pause_cancel(&dgram.recv_pause);
	sock_listener_close(&dgram.sock);
}
