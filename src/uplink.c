/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side: which backend serves it, and the calls into that backend
 * (uplink.h).
 *
 * Theory of operation. Host, bridged and shared mode with --nat=kernel go
 * to the platform's kernel path (uplink_platform: a TAP device on Linux,
 * vmnet on macOS). Shared mode with --nat=user goes to the user-mode NAT
 * (usernat_uplink, libslirp). Shared mode with --nat=auto, the default,
 * tries the kernel path first; when that fails because the daemon may not
 * create the device (the backend's open fails with errno EPERM: no root,
 * no CAP_NET_ADMIN, no /dev/net/tun; no vmnet entitlement), the user-mode
 * NAT takes over, and the log says which one runs and why. Any other
 * failure of the kernel path is an error: the daemon does not hide a
 * broken setup behind a different kind of network.
 *
 * The forwards in force are kept here, in one set, checked against the
 * network plan and against each other before the backend sees them; the
 * backend installs or removes one at a time (given the whole set as it
 * will be, for those that rebuild their rules from it). Those of
 * --forward are installed right after the backend opened, and a failure
 * undoes everything: the daemon does not start with a forward missing.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "err.h"
#include "fwd.h"
#include "log.h"
#include "net.h"
#include "uplink.h"

/**
 * struct uplink_state - the host side of this process
 * @ops:	the backend that is open, NULL when none is
 * @gateway:	the VM network's gateway (host order), for forward checks
 * @mask:	its netmask
 * @fwds:	the forwards in force
 * @relay:	installs the kernel path's forwards for this process, or NULL
 */
static struct uplink_state {
	const struct uplink_ops *ops;
	uint32_t gateway;
	uint32_t mask;
	struct fwd_set fwds;
	uplink_relay_fn relay;
} up;

/**
 * uplink_set_relay() - have another process install the kernel path's
 * forwards
 * @relay:	called instead of the backend for the platform's kernel path
 *		(the user-mode NAT's forwards stay in this process), or NULL
 *
 * The unprivileged worker cannot change the host's NAT rules; the monitor,
 * which holds the same host side, does it for it (priv.h). This process
 * still checks the forward and keeps the set.
 */
void uplink_set_relay(uplink_relay_fn relay)
{
	up.relay = relay;
}

/**
 * uplink_install() - install or remove one forward, here or through the relay
 * @f:		the forward
 * @add:	install it, else remove it
 * @after:	the set as it will be
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int uplink_install(const struct fwd_spec *f, bool add,
			  const struct fwd_set *after, char *err, size_t errlen)
{
	if (up.relay && up.ops == &uplink_platform)
		return up.relay(f, add, err, errlen);
	return up.ops->forward(f, add, after, err, errlen);
}

/**
 * uplink_caps() - what the host side implements
 * @caps:	filled in: the open backend's capabilities, or before one is
 *		open the kernel path's; @user_nat tells whether the user-mode
 *		NAT is there to run shared mode too
 */
void uplink_caps(struct uplink_caps *caps)
{
	struct uplink_caps user;

	memset(caps, 0, sizeof(*caps));
	(up.ops ? up.ops : &uplink_platform)->caps(caps);
	memset(&user, 0, sizeof(user));
	usernat_uplink.caps(&user);
	caps->user_nat = (user.modes & NET_MODE_BIT(NET_MODE_SHARED)) != 0;
}

/**
 * uplink_try() - open one backend
 * @ops:	the backend
 * @c:		what to set up
 * @info:	filled in by the backend
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: what its open returns; errno as it left it
 */
static int uplink_try(const struct uplink_ops *ops, const struct uplink_conf *c,
		      struct uplink_info *info, char *err, size_t errlen)
{
	memset(info, 0, sizeof(*info));
	return ops->open(c, info, err, errlen);
}

/**
 * uplink_open_nat() - open the backend of shared mode that --nat asks for
 * @c:		what to set up (shared mode)
 * @info:	filled in by the backend
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: the backend's descriptor, UPLINK_PUSHED, -1 with @err set
 */
static int uplink_open_nat(const struct uplink_conf *c,
			   struct uplink_info *info, char *err, size_t errlen)
{
	struct uplink_caps user = {0};
	int fd;

	if (c->nat == UPLINK_NAT_USER) {
		up.ops = &usernat_uplink;
		return uplink_try(up.ops, c, info, err, errlen);
	}
	up.ops = &uplink_platform;
	fd = uplink_try(up.ops, c, info, err, errlen);
	usernat_uplink.caps(&user);
	if (fd != -1 || c->nat != UPLINK_NAT_AUTO || errno != EPERM ||
	    !(user.modes & NET_MODE_BIT(NET_MODE_SHARED)))
		return fd;
	log_info("shared mode: the kernel NAT is out of reach (%s); using "
		 "the user-mode NAT instead",
		 err);
	up.ops = &usernat_uplink;
	return uplink_try(up.ops, c, info, err, errlen);
}

/**
 * uplink_open() - set up the host side with the backend it calls for
 * @c:		what to set up
 * @info:	filled with what the backend reports
 * @err:	message buffer
 * @errlen:	its size
 *
 * Then installs the forwards of @c; a failure undoes everything.
 *
 * Return: the backend's non-blocking descriptor, UPLINK_PUSHED for a
 * backend that pushes frames to @c->rx, -1 with @err set on failure
 */
int uplink_open(const struct uplink_conf *c, struct uplink_info *info,
		char *err, size_t errlen)
{
	int fd;

	if (up.ops)
		return err_set(err, errlen, "the uplink is already open");
	memset(&up, 0, sizeof(up));
	memset(info, 0, sizeof(*info));
	up.gateway = ntohl(c->gateway.s_addr);
	up.mask = ntohl(c->mask.s_addr);
	if (c->mode == NET_MODE_SHARED) {
		fd = uplink_open_nat(c, info, err, errlen);
	} else {
		up.ops = &uplink_platform;
		fd = uplink_try(up.ops, c, info, err, errlen);
	}
	if (fd == -1) {
		up.ops = NULL;
		return -1;
	}
	if (c->mode == NET_MODE_SHARED)
		log_info("shared mode: %s NAT", up.ops == &usernat_uplink
						    ? "user-mode (libslirp)"
						    : "kernel");
	for (unsigned int i = 0; i < c->nforwards; i++) {
		if (uplink_forward_add(&c->forwards[i], err, errlen) < 0) {
			uplink_close();
			return -1;
		}
	}
	return fd;
}

/**
 * uplink_read() - one frame from the host side for the VM network
 * @buf:	where it goes
 * @len:	room in @buf
 *
 * Return: its length, -1 with errno EAGAIN when none waits (or the backend
 * pushes its frames)
 */
ssize_t uplink_read(void *buf, size_t len)
{
	if (!up.ops || !up.ops->read) {
		errno = EAGAIN;
		return -1;
	}
	return up.ops->read(buf, len);
}

/**
 * uplink_write() - one frame from the VM network to the host side
 * @frame:	the frame
 * @len:	its length
 *
 * Return: @len, or -1 with errno set (EAGAIN/ENOBUFS: full, keep it)
 */
ssize_t uplink_write(const void *frame, size_t len)
{
	if (!up.ops) {
		errno = EIO;
		return -1;
	}
	return up.ops->write(frame, len);
}

/**
 * uplink_close() - undo the host side, forwards included
 *
 * Safe when nothing is open and when called twice.
 */
void uplink_close(void)
{
	if (up.ops)
		up.ops->close();
	up.ops = NULL;
	up.fwds.n = 0;
}

/**
 * uplink_name() - the running backend's name, for the control socket
 *
 * Return: "tap", "vmnet", "user", or "none" when no host side is open
 */
const char *uplink_name(void)
{
	return up.ops ? up.ops->name : "none";
}

/**
 * uplink_drop_fds() - in the privileged monitor: let go of what the worker
 * runs (the user-mode NAT's sockets), so that what the worker closes is
 * closed
 */
void uplink_drop_fds(void)
{
	if (up.ops && up.ops->drop)
		up.ops->drop();
}

/**
 * uplink_forward_add() - install a port forward
 * @f:		the forward
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set (nothing changed)
 */
int uplink_forward_add(const struct fwd_spec *f, char *err, size_t errlen)
{
	struct fwd_set after;
	char fb[FWD_STRLEN];

	if (!up.ops || !up.ops->forward)
		return err_set(err, errlen,
			       "forward %s: this host side has no port "
			       "forwarding (shared or host mode with the "
			       "kernel NAT on Linux, or --nat=user)",
			       fwd_format(f, fb));
	if (fwd_check_net(f, up.gateway, up.mask, err, errlen) < 0)
		return -1;
	after = up.fwds;
	if (fwd_set_add(&after, f, err, errlen) < 0 ||
	    uplink_install(f, true, &after, err, errlen) < 0)
		return -1;
	up.fwds = after;
	if (!up.relay ||
	    up.ops != &uplink_platform) /* else the monitor says it */
		log_info("forward %s added", fwd_format(f, fb));
	return 0;
}

/**
 * uplink_forward_remove() - remove a port forward
 * @f:		the forward, known by its host side (protocol, address, port)
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set (nothing changed)
 */
int uplink_forward_remove(const struct fwd_spec *f, char *err, size_t errlen)
{
	struct fwd_set after;
	struct fwd_spec old;
	char fb[FWD_STRLEN];
	int i = fwd_set_find(&up.fwds, f);

	if (i < 0 || !up.ops)
		return err_set(
		    err, errlen, "no forward on %s port %u of %s",
		    fwd_proto_name(f->proto), f->host_port,
		    inet_ntoa((struct in_addr){htonl(f->host_addr)}));
	old = up.fwds.f[i];
	after = up.fwds;
	fwd_set_remove(&after, (unsigned int)i);
	if (uplink_install(&old, false, &after, err, errlen) < 0)
		return -1;
	up.fwds = after;
	if (!up.relay ||
	    up.ops != &uplink_platform) /* else the monitor says it */
		log_info("forward %s removed", fwd_format(&old, fb));
	return 0;
}

/**
 * uplink_forwards() - the forwards in force
 *
 * Return: the set (valid until the next change)
 */
const struct fwd_set *uplink_forwards(void)
{
	return &up.fwds;
}
