/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host-side port: whatever backend uplink.h provides (a TAP device on
 * Linux, vmnet.framework on macOS) attached to the switch as one more port.
 * Frames are read in batches on each wake-up and written from the port's
 * queue one frame per call, as the backends take them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "host.h"
#include "log.h"
#include "loop.h"
#include "port.h"
#include "switch.h"
#include "uplink.h"

#define HOST_READS 64u /* frames read per wake-up, for fairness */

static struct port *host_port;
static uint8_t *host_rxbuf;
static size_t host_rxcap;

static int host_flush(struct port *p);
static void host_close(void);

static const struct port_ops host_ops = {
    .name = "host",
    .flush = host_flush,
    .owns_fd = false, /* uplink_close() closes it */
};

/**
 * host_flush() - write the host port's queue to the backend
 * @p:		the host port
 *
 * Return: 0 (a full backend waits for LOOP_OUT; a failed frame is dropped)
 */
static int host_flush(struct port *p)
{
	struct iovec iov[32];
	unsigned int n;

	while ((n = queue_frames_iov(&p->txq, iov, 32))) {
		unsigned int i;

		for (i = 0; i < n; i++) {
			if (uplink_write(iov[i].iov_base, iov[i].iov_len) >= 0)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				break;
			/* Refused by the host (too big, link down...). */
			p->st.tx_dropped++;
		}
		queue_pop_frames(&p->txq, i);
		if (i < n) {
			switch_tx_done(p, true, i > 0);
			return loop_mod(&p->src, LOOP_IN | LOOP_OUT);
		}
	}
	switch_tx_done(p, false, true);
	return loop_mod(&p->src, LOOP_IN);
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
		host_flush(p);
	for (unsigned int i = 0; i < HOST_READS; i++) {
		ssize_t n = uplink_read(host_rxbuf, host_rxcap);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("host side read");
			break;
		}
		if (n < 14) {
			p->st.rx_bad++;
			continue;
		}
		switch_input(p, host_rxbuf, (size_t)n);
	}
	switch_flush();
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
	int fd = uplink_open(c, info, err, errlen);

	if (fd < 0)
		return -1;
	host_rxcap = info->max_frame + 1;
	host_port = port_open(PORT_HOST, &host_ops, fd, host_rxcap);
	if (!host_port) {
		uplink_close();
		err_set(err, errlen, "cannot open the host port");
		return -1;
	}
	host_rxbuf = host_port->rxbuf;
	host_port->src.fn = host_ready;
	if (loop_add(&host_port->src, LOOP_IN) < 0) {
		err_sys(err, errlen, "cannot watch the host side");
		host_close();
		return -1;
	}
	log_info("port %u connected: host (%s, mtu %u)", host_port->id,
		 info->ifname, info->mtu);
	return 0;
}

/**
 * host_close() - detach the host side and undo its setup
 */
static void host_close(void)
{
	if (!host_port)
		return;
	loop_del(&host_port->src);
	port_close(host_port, "daemon stopping");
	host_port = NULL;
	uplink_close();
}
