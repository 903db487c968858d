/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-side port: whatever backend uplink.h provides (a TAP device on
 * Linux, vmnet.framework on macOS, the user-mode NAT) attached to the
 * switch as one more port. Frames from a backend with a descriptor are
 * read in batches on each wake-up; a backend without one (the user-mode
 * NAT) pushes them through host_rx(), which host_open() registers with it.
 * Frames to the host side are written from the port's queue one frame per
 * call, as the backends take them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "exhaust.h"
#include "host.h"
#include "log.h"
#include "loop.h"
#include "pkt.h"
#include "port.h"
#include "switch.h"
#include "uplink.h"

#define HOST_READS 64u /* frames read per wake-up, for fairness */

/**
 * struct host_state - the host-side port
 * @port:	the port, while open
 * @read_pause:	reading, after the backend failed with an error
 */
static struct host_state {
	struct port *port;
	struct exhaust_pause read_pause;
} host = {
    .read_pause = {.what = "host side read"},
};

static enum port_tx host_flush(struct port *p);
static void host_close(void);

static const struct port_ops host_ops = {
    .name = "host",
    .flush = host_flush,
    .owns_fd = false, /* uplink_close() closes it */
};

/**
 * host_flush() - write the host port's queue to the backend (called by the
 * switch)
 * @p:		the host port
 *
 * A frame the backend refuses (too big, link down...) is dropped and
 * counted; a full backend keeps the rest queued and waits for LOOP_OUT.
 *
 * Return: PORT_TX_IDLE or PORT_TX_BLOCKED
 */
static enum port_tx host_flush(struct port *p)
{
	struct iovec iov[32];
	unsigned int n, i;

	while ((n = queue_frames_iov(&p->txq, iov, 32))) {
		for (i = 0; i < n; i++) {
			if (uplink_write(iov[i].iov_base, iov[i].iov_len) >= 0)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				break;
			p->st.tx_dropped++;
		}
		queue_pop_frames(&p->txq, i);
		if (i < n)
			break;
	}
	p->tx_waiting = !queue_empty(&p->txq);
	if (p->src.fd >= 0)
		loop_mod(&p->src, LOOP_IN | (p->tx_waiting ? LOOP_OUT : 0));
	return p->tx_waiting ? PORT_TX_BLOCKED : PORT_TX_IDLE;
}

/**
 * host_ready() - event callback of the host port
 * @src:	its event source
 * @events:	what is ready
 */
static void host_ready(struct loop_source *src, unsigned int events)
{
	struct port *p = container_of(src, struct port, src);

	if (events & LOOP_OUT)
		switch_port_writable(p);
	for (unsigned int i = 0; i < HOST_READS; i++) {
		ssize_t n = uplink_read(p->rxbuf, p->rxcap);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* LOOP_OUT too: a spurious one costs a flush that
			 * puts the interest right */
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				exhaust_pause_fail(&host.read_pause, &p->src,
						   LOOP_IN | LOOP_OUT, errno);
			break;
		}
		exhaust_pause_ok(&host.read_pause);
		if (n < (ssize_t)PKT_ETH_HLEN) {
			p->st.rx_bad++;
			continue;
		}
		switch_input(p, p->rxbuf, (size_t)n);
	}
}

/**
 * host_rx() - a frame a backend without descriptor pushes to the VMs
 * @arg:	unused
 * @frame:	the frame
 * @len:	its length
 */
static void host_rx(void *arg, const uint8_t *frame, size_t len)
{
	struct port *p = host.port;

	if (!p)
		return;
	if (len < PKT_ETH_HLEN) {
		p->st.rx_bad++;
		return;
	}
	switch_input(p, frame, len);
}

/**
 * host_open() - set up the host side and attach it to the switch
 * @c:		what to set up
 * @info:	filled with what the backend reports
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set (everything undone)
 */
int host_open(const struct uplink_conf *c, struct uplink_info *info, char *err,
	      size_t errlen)
{
	struct uplink_conf uc = *c;
	int fd;

	uc.rx = host_rx;
	uc.rx_arg = NULL;
	fd = uplink_open(&uc, info, err, errlen);
	if (fd == -1)
		return -1;
	host.port = port_open(PORT_HOST, &host_ops, fd < 0 ? -1 : fd,
			      fd < 0 ? 0 : info->max_frame + 1);
	if (!host.port) {
		uplink_close();
		err_set(err, errlen, "cannot open the host port");
		return -1;
	}
	host.port->src.fn = host_ready;
	if (fd >= 0 && loop_add(&host.port->src, LOOP_IN) < 0) {
		err_sys(err, errlen, "cannot watch the host side");
		host_close();
		return -1;
	}
	log_info("port %u connected: host (%s, mtu %u)", host.port->id,
		 info->ifname, info->mtu);
	return 0;
}

/**
 * host_close() - detach the host side and undo its setup
 */
static void host_close(void)
{
	if (!host.port)
		return;
	exhaust_pause_cancel(&host.read_pause);
	loop_del(&host.port->src);
	port_close(host.port, "daemon stopping");
	host.port = NULL;
	uplink_close();
}
