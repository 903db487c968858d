/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The monitor's services to the worker (priv.h's requests), both sides.
 *
 * Theory of operation. The worker runs without root, in a read-only view
 * of the file system, under a system call filter (sandbox.h); two things
 * it does while the switch runs still need the monitor:
 *
 * - Port forwards of the kernel NAT (the control socket's "forward add"
 *   and "remove"): the worker checks the forward and keeps the set as
 *   always (uplink.c), but the nftables rules are the monitor's to change:
 *   uplink_set_relay() sends the forward, as --forward text, to the
 *   monitor, which parses and checks it again itself and installs it on
 *   its own copy of the host side (the same uplink_forward_add() that
 *   --forward uses at start). The user-mode NAT's forwards stay in the
 *   worker, which runs libslirp.
 * - The lease file, which lives where the worker may not write: through
 *   file_atomic_relay(), a replacement of that one file asks the monitor
 *   for a descriptor to write into (the monitor's temporary file, next to
 *   the lease file), and then to commit or abort it. The monitor replaces
 *   only the --lease-file it was started with; the worker never names a
 *   path.
 *
 * - --connect targets whose socket file the worker's user may not write
 *   to (a VM's listening socket, made by another user with the usual
 *   umask): the monitor connects to the path, if it is one of its own
 *   --connect paths, and passes the connection (stream.c).
 *
 * - Peers of the datagram socket whose socket file the worker's user may
 *   not write to (QEMU's -netdev dgram run by another user): the monitor
 *   connects a datagram socket to the file, if it is a socket file (not a
 *   link), and passes it (dgram.c).
 *
 * Nothing else: the worker cannot make the monitor run a program, open a
 * file or signal a process.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "compat.h"
#include "dgram.h"
#include "file.h"
#include "fwd.h"
#include "monitor.h"
#include "stream.h"
#include "uplink.h"

/**
 * struct monitor_state - this module's state
 * @lease_file:	the lease file the monitor replaces for the worker, or NULL
 * @lease:	the replacement being written
 * @relay:	the worker's relay of that file
 * @connect:	the --connect paths the monitor connects to for the worker
 * @nconnect:	how many
 */
static struct monitor_state {
	const char *lease_file;
	const char *const *connect;
	unsigned int nconnect;
	struct file_atomic lease;
	struct file_relay relay;
} mon = {.lease = {.fd = -1}};

/**
 * monitor_init() - before the fork: what the monitor will serve
 * @lease_file:	--lease-file, or NULL
 * @connect:	the --connect paths
 * @nconnect:	how many
 */
void monitor_init(const char *lease_file, const char *const *connect,
		  unsigned int nconnect)
{
	mon.lease_file = lease_file;
	mon.connect = connect;
	mon.nconnect = nconnect;
}

/**
 * monitor_forward() - monitor: install or remove a forward of the kernel NAT
 * @m:		the request (a --forward SPEC), answered in place
 */
static void monitor_forward(struct priv_msg *m)
{
	struct fwd_spec f;
	char err[PRIV_TEXT];
	int r;

	r = fwd_parse(m->text, &f, err, sizeof(err));
	if (r >= 0)
		r = m->req == PRIV_REQ_FORWARD_ADD
			? uplink_forward_add(&f, err, sizeof(err))
			: uplink_forward_remove(&f, err, sizeof(err));
	m->status = r < 0 ? -1 : 0;
	snprintf(m->text, sizeof(m->text), "%s", r < 0 ? err : "");
}

/**
 * monitor_socket_to() - a socket connected to a path
 * @path:	the path
 * @type:	SOCK_STREAM or SOCK_DGRAM
 *
 * Return: the non-blocking, close-on-exec socket, or -1 with errno set
 */
static int monitor_socket_to(const char *path, int type)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (!path[0] || strlen(path) >= sizeof(sa.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = compat_socket(AF_UNIX, type, 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int e = errno;

		close(fd);
		errno = e;
		fd = -1;
	}
	return fd;
}

/**
 * monitor_dgram_connect() - monitor: a datagram socket connected to a
 * datagram peer's socket file
 * @path:	the file, which must be a socket (not a link to one)
 *
 * Return: the socket, or -1 with errno set
 */
static int monitor_dgram_connect(const char *path)
{
	struct stat st;

	if (lstat(path, &st))
		return -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENOTSOCK;
		return -1;
	}
	return monitor_socket_to(path, SOCK_DGRAM);
}

/**
 * monitor_connect() - monitor: connect to one of the --connect paths
 * @path:	the path, which must be one of them
 *
 * Return: the connected socket, or -1 with errno set
 */
static int monitor_connect(const char *path)
{
	unsigned int i;

	for (i = 0; i < mon.nconnect && strcmp(mon.connect[i], path); i++)
		;
	if (i == mon.nconnect) {
		errno = EPERM;
		return -1;
	}
	return monitor_socket_to(path, SOCK_STREAM);
}

/**
 * monitor_serve() - monitor: answer one request of the worker
 * @m:		the request, answered in place
 * @fd:		set to a descriptor to pass with the answer
 */
void monitor_serve(struct priv_msg *m, int *fd)
{
	int r = -1;

	errno = EINVAL;
	switch (m->req) {
	case PRIV_REQ_FORWARD_ADD:
	case PRIV_REQ_FORWARD_REMOVE:
		monitor_forward(m);
		return;
	case PRIV_REQ_LEASES_OPEN:
		if (!mon.lease_file)
			break;
		file_atomic_abort(&mon.lease); /* one that never ended */
		if (file_atomic_open(&mon.lease, mon.lease_file, 0644) == 0) {
			*fd = dup(mon.lease.fd);
			r = *fd < 0 ? -1 : 0;
		}
		break;
	case PRIV_REQ_LEASES_COMMIT:
		r = file_atomic_commit(&mon.lease, NULL);
		break;
	case PRIV_REQ_LEASES_ABORT:
		file_atomic_abort(&mon.lease);
		r = 0;
		break;
	case PRIV_REQ_CONNECT:
		*fd = monitor_connect(m->text);
		r = *fd;
		break;
	case PRIV_REQ_DGRAM_CONNECT:
		*fd = monitor_dgram_connect(m->text);
		r = *fd;
		break;
	}
	m->status = r < 0 ? -1 : 0;
	snprintf(m->text, sizeof(m->text), "%s", r < 0 ? strerror(errno) : "");
}

/**
 * monitor_ask() - worker: send one request, wait for the answer
 * @req:	enum priv_req
 * @text:	its argument, or NULL
 * @fd:		where a descriptor that comes back goes, or NULL
 * @err:	message buffer for the monitor's error, or NULL
 * @errlen:	its size
 *
 * Return: 0, or -1 with errno set (and @err)
 */
static int monitor_ask(enum priv_req req, const char *text, int *fd, char *err,
		       size_t errlen)
{
	struct priv_msg m = {.req = req};

	snprintf(m.text, sizeof(m.text), "%s", text ? text : "");
	if (priv_ask(&m, fd) < 0) {
		if (err)
			snprintf(err, errlen, "the monitor did not answer: %s",
				 strerror(errno));
		return -1;
	}
	if (m.status == 0)
		return 0;
	if (err)
		snprintf(err, errlen, "%s", m.text);
	errno = EIO;
	return -1;
}

/**
 * monitor_relay_forward() - worker: the monitor installs a kernel forward
 * @f:		the forward
 * @add:	install, else remove
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int monitor_relay_forward(const struct fwd_spec *f, bool add, char *err,
				 size_t errlen)
{
	char fb[FWD_STRLEN];

	return monitor_ask(add ? PRIV_REQ_FORWARD_ADD : PRIV_REQ_FORWARD_REMOVE,
			   fwd_format(f, fb), NULL, err, errlen);
}

/**
 * monitor_relay_open() - worker: a descriptor to write the new lease file to
 *
 * Return: the descriptor, or -1 with errno set
 */
static int monitor_relay_open(void)
{
	int fd = -1;

	if (monitor_ask(PRIV_REQ_LEASES_OPEN, NULL, &fd, NULL, 0) < 0)
		return -1;
	if (fd < 0)
		errno = EPROTO;
	return fd;
}

/**
 * monitor_relay_commit() - worker: the new lease file is written
 *
 * Return: 0, or -1 with errno set
 */
static int monitor_relay_commit(void)
{
	return monitor_ask(PRIV_REQ_LEASES_COMMIT, NULL, NULL, NULL, 0);
}

/**
 * monitor_relay_abort() - worker: forget the new lease file
 */
static void monitor_relay_abort(void)
{
	monitor_ask(PRIV_REQ_LEASES_ABORT, NULL, NULL, NULL, 0);
}

/**
 * monitor_relay_connect() - worker: the monitor connects to a --connect
 * path this process may not reach
 * @path:	the path
 *
 * Return: the connected socket, or -1 with errno set
 */
static int monitor_relay_connect(const char *path)
{
	int fd = -1;

	if (monitor_ask(PRIV_REQ_CONNECT, path, &fd, NULL, 0) < 0)
		return -1;
	return fd;
}

/**
 * monitor_relay_dgram() - worker: a socket connected to a datagram peer
 * this process may not write to
 * @sa:		the peer's address
 * @len:	its length
 *
 * Return: the socket, or -1
 */
static int monitor_relay_dgram(const struct sockaddr_un *sa, socklen_t len)
{
	size_t off = offsetof(struct sockaddr_un, sun_path);
	char path[sizeof(sa->sun_path) + 1];
	int fd = -1;

	if ((size_t)len <= off || !sa->sun_path[0])
		return -1; /* abstract: no file, no rights to lack */
	snprintf(path, sizeof(path), "%.*s", (int)((size_t)len - off),
		 sa->sun_path);
	if (monitor_ask(PRIV_REQ_DGRAM_CONNECT, path, &fd, NULL, 0) < 0)
		return -1;
	return fd;
}

/**
 * monitor_worker_relays() - worker: from now on, the kernel NAT's forwards,
 * the lease file and peers out of reach go through the monitor
 */
void monitor_worker_relays(void)
{
	uplink_set_relay(monitor_relay_forward);
	stream_set_connector(monitor_relay_connect);
	dgram_set_connector(monitor_relay_dgram);
	if (!mon.lease_file)
		return;
	mon.relay = (struct file_relay){
	    .path = mon.lease_file,
	    .open = monitor_relay_open,
	    .commit = monitor_relay_commit,
	    .abort = monitor_relay_abort,
	};
	file_atomic_relay(&mon.relay);
}
