/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UNIX socket helpers: buffer sizes, peer credentials, and creating the
 * daemon's socket files without ever taking over a live one.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#if defined(__APPLE__) || defined(__FreeBSD__)
#include <sys/ucred.h>
#endif

#include "activate.h"
#include "err.h"
#include "compat.h"
#include "log.h"
#include "sock.h"

#define SOCK_DEFAULT_GROUP "staff" /* upstream's default */

/**
 * sock_set_buffers() - give a VM socket large send and receive buffers
 * @fd:		the socket
 *
 * Uses the privileged variants first so root is not capped by the
 * system-wide maximum, then the ordinary ones.
 *
 * Return: 0 if both sizes were set, -1 otherwise (not fatal)
 */
int sock_set_buffers(int fd)
{
	int snd = SOCK_SNDBUF, rcv = SOCK_RCVBUF, ret = 0;

#ifdef SO_SNDBUFFORCE
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)))
		ret = -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)))
		ret = -1;
#else
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd)))
		ret = -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)))
		ret = -1;
#endif
	return ret;
}

/**
 * sock_set_sndbuf() - give a socket a bigger send buffer than the default
 * @fd:		the socket
 * @bytes:	wanted size
 *
 * Return: 0 if set, -1 otherwise (not fatal)
 */
int sock_set_sndbuf(int fd, int bytes)
{
#ifdef SO_SNDBUFFORCE
	if (!setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)))
		return 0;
#endif
	return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

/**
 * sock_peer_creds() - read who is at the other end of a UNIX socket
 * @fd:		a connected UNIX socket
 * @uid:	set to the peer's uid, left alone if unknown
 * @pid:	set to the peer's pid, left alone if unknown
 */
void sock_peer_creds(int fd, long *uid, long *pid)
{
#ifdef SO_PEERCRED
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) &&
	    len == sizeof(cred)) {
		*uid = (long)cred.uid;
		*pid = (long)cred.pid;
	}
#else
	uid_t u;
	gid_t g;

	(void)pid;
	if (!getpeereid(fd, &u, &g))
		*uid = (long)u;
#endif
}

/**
 * sock_peer_in_group() - tell whether the peer of a UNIX socket is in a
 * group
 * @fd:		a connected UNIX socket
 * @gid:	the group
 *
 * Looks at the peer's effective and supplementary groups as the kernel
 * recorded them at connect() (SO_PEERGROUPS on Linux, LOCAL_PEERCRED on
 * macOS and the BSDs); no user database is read.
 *
 * Return: true if the peer is a member
 */
bool sock_peer_in_group(int fd, gid_t gid)
{
#if defined(SO_PEERGROUPS)
	gid_t groups[256];
	socklen_t len = sizeof(groups);
	struct ucred cred;
	socklen_t clen = sizeof(cred);

	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) &&
	    cred.gid == gid)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gid)
			return true;
	return false;
#elif defined(LOCAL_PEERCRED)
	struct xucred xu;
	socklen_t len = sizeof(xu);

	if (getsockopt(fd, SOL_LOCAL, LOCAL_PEERCRED, &xu, &len) ||
	    xu.cr_version != XUCRED_VERSION)
		return false;
	for (int i = 0; i < xu.cr_ngroups && i < NGROUPS; i++)
		if (xu.cr_groups[i] == gid)
			return true;
	return false;
#else
	uid_t u;
	gid_t g;

	return !getpeereid(fd, &u, &g) && g == gid;
#endif
}

/**
 * sock_dgram_alive() - tell whether a datagram socket is still bound
 * @sa:		its address
 * @len:	the address length
 *
 * Connects a throwaway socket to it, which sends nothing.
 *
 * Return: false if nothing is bound there any more
 */
bool sock_dgram_alive(const struct sockaddr_un *sa, unsigned int len)
{
	int fd = compat_socket(AF_UNIX, SOCK_DGRAM, 0);
	bool alive = true;

	if (fd < 0)
		return true;
	if (connect(fd, (const struct sockaddr *)sa, (socklen_t)len) &&
	    (errno == ECONNREFUSED || errno == ENOENT))
		alive = false;
	close(fd);
	return alive;
}

/**
 * sock_resolve_group() - find the group that owns the socket files
 * @name:	--socket-group, or NULL for the default
 * @gid:	set to the group id
 * @err:	message buffer
 * @errlen:	its size
 *
 * The default is "staff" when that group exists (as upstream), otherwise
 * the daemon's own group.
 *
 * Return: 0 on success, -1 with @err set if a named group does not exist
 */
int sock_resolve_group(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group *gr = getgrnam(name ? name : SOCK_DEFAULT_GROUP);

	if (gr) {
		*gid = gr->gr_gid;
		return 0;
	}
	if (!name) {
		*gid = getegid();
		return 0;
	}
	err_set(err, errlen, "--socket-group: no such group \"%s\"", name);
	return -1;
}

/**
 * sock_addr() - fill a UNIX socket address
 * @path:	file name
 * @sa:		address to fill
 *
 * Return: 0, or -1 if @path does not fit
 */
static int sock_addr(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -1;
	strcpy(sa->sun_path, path);
	return 0;
}

/**
 * sock_clear_path() - make room for a new socket file, safely
 * @path:	where the socket will be bound
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @err:	message buffer
 * @errlen:	its size
 *
 * A socket file that someone still answers on is left alone and is an
 * error; a stale one (connection refused) is removed; anything that is not a
 * socket is never removed.
 *
 * Return: 0 if @path is free now, -1 with @err set
 */
static int sock_clear_path(const char *path, int type, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, ret;

	if (lstat(path, &st)) {
		if (errno == ENOENT)
			return 0;
		err_sys(err, errlen, "%s", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		err_set(err, errlen,
			"%s exists and is not a socket; "
			"not removing it",
			path);
		return -1;
	}
	fd = compat_socket(AF_UNIX, type, 0);
	if (fd < 0 || sock_addr(path, &sa)) {
		err_sys(err, errlen, "%s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	ret = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (!ret) {
		err_set(err, errlen,
			"%s is in use by a running daemon; "
			"refusing to take it over",
			path);
		return -1;
	}
	if (errno != ECONNREFUSED && errno != ENOENT) {
		err_sys(err, errlen, "cannot check %s", path);
		return -1;
	}
	log_info("removing stale socket %s", path);
	if (unlink(path) && errno != ENOENT) {
		err_sys(err, errlen, "cannot remove stale %s", path);
		return -1;
	}
	return 0;
}

/**
 * sock_give() - give a socket file to the owner and group asked for
 * @path:	the file
 * @o:		the owner (@o->uid, -1 to keep) and group (@o->gid if
 *		@o->strict_gid)
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int sock_give(const char *path, const struct sock_owner *o, char *err,
		     size_t errlen)
{
	uid_t u = o->uid >= 0 ? (uid_t)o->uid : (uid_t)-1;
	gid_t g = o->strict_gid ? o->gid : (gid_t)-1;

	if (!(o->uid >= 0 || o->strict_gid) || !chown(path, u, g))
		return 0;
	if (errno == EPERM && o->weak_uid && o->uid >= 0 &&
	    (!o->strict_gid || !chown(path, (uid_t)-1, g))) {
		log_warn("%s stays %ld's, not given to uid %ld", path,
			 (long)geteuid(), o->uid);
		return 0;
	}
	return err_sys(err, errlen, "cannot give %s to uid %ld gid %ld", path,
		       o->uid, o->strict_gid ? (long)g : -1L);
}

/**
 * sock_listen_unix() - create a socket file for VMs to attach to
 * @path:	file name
 * @type:	SOCK_STREAM (listening) or SOCK_DGRAM (bound)
 * @o:		owner and group of the file
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: the non-blocking descriptor, or -1 with @err set
 */
int sock_listen_unix(const char *path, int type, const struct sock_owner *o,
		     char *err, size_t errlen)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;

	if (sock_addr(path, &sa)) {
		err_set(err, errlen,
			"socket path too long (max %zu bytes): "
			"%s",
			sizeof(sa.sun_path) - 1, path);
		return -1;
	}
	if (sock_clear_path(path, type, err, errlen))
		return -1;
	fd = compat_socket(AF_UNIX, type, 1);
	if (fd < 0) {
		err_sys(err, errlen, "socket");
		return -1;
	}
	/* No window in which others could connect before chmod. */
	old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err_sys(err, errlen, "cannot bind %s", path);
		umask(old);
		goto fail_fd;
	}
	umask(old);
	if (o->mode) {
		if (sock_give(path, o, err, errlen))
			goto fail_file;
	} else if (o->uid >= 0) {
		if (chown(path, (uid_t)o->uid, (gid_t)-1)) {
			err_sys(err, errlen, "cannot give %s to uid %ld", path,
				o->uid);
			goto fail_file;
		}
	} else if (chown(path, (uid_t)-1, o->gid)) {
		if (o->strict_gid) {
			err_sys(err, errlen, "cannot give %s to group %ld",
				path, (long)o->gid);
			goto fail_file;
		}
		log_warn("cannot give %s to group %ld", path, (long)o->gid);
	}
	if (chmod(path, o->mode ? o->mode : o->uid >= 0 ? 0700 : 0770)) {
		err_sys(err, errlen, "chmod %s", path);
		goto fail_file;
	}
	if (type == SOCK_STREAM && listen(fd, SOMAXCONN)) {
		err_sys(err, errlen, "listen %s", path);
		goto fail_file;
	}
	if (type == SOCK_DGRAM)
		sock_set_buffers(fd);
	return fd;
fail_file:
	unlink(path);
fail_fd:
	close(fd);
	return -1;
}

/**
 * sock_listener_fd() - the socket a listener serves: passed or made
 * @l:		the listener
 * @path:	the file
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @o:		owner and group of a file made here
 * @err:	message buffer
 * @errlen:	its size
 *
 * A socket the service manager passed for @path (or for the role: "socket"
 * for the stream socket, "dgram" for the datagram one) is taken as it is;
 * otherwise the file is made.
 *
 * Return: the descriptor, or -1 with @err set
 */
static int sock_listener_fd(struct sock_listener *l, const char *path, int type,
			    const struct sock_owner *o, char *err,
			    size_t errlen)
{
	int fd;

	if (activate_take(path, type, type == SOCK_STREAM ? "socket" : "dgram",
			  &fd, err, errlen))
		return -1;
	l->given = fd >= 0;
	if (fd < 0)
		return sock_listen_unix(path, type, o, err, errlen);
	if (type == SOCK_DGRAM)
		sock_set_buffers(fd);
	return fd;
}

/**
 * sock_listener_open() - create a socket file and watch it in the loop
 * @l:		the listener (its src.fd must be -1)
 * @path:	the file
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @o:		owner and group of the file
 * @fn:		loop callback when it is readable
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set (nothing left behind)
 */
int sock_listener_open(struct sock_listener *l, const char *path, int type,
		       const struct sock_owner *o, loop_fn fn, char *err,
		       size_t errlen)
{
	int fd = sock_listener_fd(l, path, type, o, err, errlen);

	if (fd < 0)
		return -1;
	l->src.fd = fd;
	l->src.fn = fn;
	if (loop_add(&l->src, LOOP_IN) < 0) {
		err_sys(err, errlen, "cannot watch %s", path);
		close(fd);
		if (!l->given)
			unlink(path);
		l->src.fd = -1;
		return -1;
	}
	l->path = path;
	return 0;
}

/**
 * sock_listener_drop_fd() - close the descriptor but keep the file
 * @l:		the listener
 *
 * For the privileged monitor after the fork (priv.c): the worker serves the
 * socket, the monitor only removes the file at the end. The shared event
 * loop instance is not touched.
 */
void sock_listener_drop_fd(struct sock_listener *l)
{
	if (l->src.fd >= 0)
		close(l->src.fd);
	l->src.fd = -1;
	l->src.registered = false;
}

/**
 * sock_listener_close() - stop listening and remove the file
 * @l:		the listener (closed already is fine); a file the service
 *		manager made stays
 */
void sock_listener_close(struct sock_listener *l)
{
	if (l->src.fd >= 0) {
		loop_del(&l->src);
		close(l->src.fd);
		l->src.fd = -1;
	}
	if (l->path && !l->given && unlink(l->path) && errno != ENOENT)
		log_warn("cannot remove %s", l->path);
	l->path = NULL;
}
