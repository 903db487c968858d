/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port table: a fixed array of ports sized at start (--max-ports), a
 * free list of slots and a dense list of open ports for flooding. Buffers
 * of a port are allocated when it opens and freed when it closes, never per
 * frame.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "port.h"
#include "sock.h"
#include "switch.h"

static struct port *port_tab;	/* every slot */
static struct port **port_list; /* open ports, dense */
static unsigned int *port_free; /* free slot ids, a stack */
static unsigned int port_nfree;
static unsigned int port_nopen;
static unsigned int port_max;
static size_t port_queue_size;

/**
 * port_table_init() - allocate the port table
 * @max_ports:	number of slots
 * @queue_size:	bytes of output queue given to each port when it opens
 *
 * Return: 0 on success, -1 if out of memory
 */
int port_table_init(unsigned int max_ports, size_t queue_size)
{
	port_tab = calloc(max_ports, sizeof(*port_tab));
	port_list = calloc(max_ports, sizeof(*port_list));
	port_free = calloc(max_ports, sizeof(*port_free));
	if (!port_tab || !port_list || !port_free) {
		port_table_fini();
		return -1;
	}
	port_max = max_ports;
	port_queue_size = queue_size;
	/* Lowest ids first, so logs read port 0, 1, 2... */
	for (unsigned int i = 0; i < max_ports; i++) {
		port_tab[i].id = i;
		port_free[i] = max_ports - 1 - i;
	}
	port_nfree = max_ports;
	port_nopen = 0;
	return 0;
}

/**
 * port_table_fini() - free the port table (ports must be closed)
 */
void port_table_fini(void)
{
	free(port_tab);
	free(port_list);
	free(port_free);
	port_tab = NULL;
	port_list = NULL;
	port_free = NULL;
	port_max = port_nfree = port_nopen = 0;
}

/**
 * port_open() - take a free slot for a new port
 * @kind:	how it is attached
 * @ops:	its operations
 * @fd:		its descriptor (the shared socket for datagram peers)
 * @rxcap:	bytes of receive buffer to allocate (0 for none)
 *
 * The caller registers the descriptor with the loop if it owns one.
 *
 * Return: the port, or NULL if the table is full or memory ran out
 */
struct port *port_open(enum port_kind kind, const struct port_ops *ops, int fd,
		       size_t rxcap)
{
	struct port *p;
	unsigned int id;

	if (!port_nfree) {
		static struct log_limit full_log;

		if (log_limit_ok(&full_log, loop_now()))
			log_warnx("port table full (%u ports, see --max-ports)",
				  port_max);
		return NULL;
	}
	id = port_free[port_nfree - 1];
	p = &port_tab[id];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->kind = kind;
	p->ops = ops;
	p->src.fd = fd;
	p->uid = -1;
	p->pid = -1;
	if (queue_init(&p->txq, port_queue_size) < 0)
		goto oom;
	if (rxcap) {
		p->rxbuf = malloc(rxcap);
		if (!p->rxbuf)
			goto oom;
		p->rxcap = rxcap;
	}
	port_nfree--;
	p->open = true;
	p->active_idx = port_nopen;
	port_list[port_nopen++] = p;
	return p;
oom:
	queue_free(&p->txq);
	log_errx("out of memory opening a port");
	return NULL;
}

/**
 * port_log_stats() - log one line with a port's counters
 * @p:		the port
 * @what:	"disconnected", "status"...
 * @why:	reason or detail
 */
void port_log_stats(const struct port *p, const char *what, const char *why)
{
	char guard[512];

	log_info("port %u %s: %s (uid %ld pid %ld), %s; "
		 "rx %llu frames %llu bytes %llu bad %llu busy, "
		 "tx %llu frames %llu bytes %llu dropped%s",
		 p->id, what, p->ops->name, p->uid, p->pid, why,
		 (unsigned long long)p->st.rx_frames,
		 (unsigned long long)p->st.rx_bytes,
		 (unsigned long long)p->st.rx_bad,
		 (unsigned long long)p->st.rx_dropped,
		 (unsigned long long)p->st.tx_frames,
		 (unsigned long long)p->st.tx_bytes,
		 (unsigned long long)p->st.tx_dropped,
		 guard_format_drops(&p->guard, guard, sizeof(guard)));
}

/**
 * port_close() - close a port, log its counters and free its slot
 * @p:		an open port
 * @why:	reason shown in the log line
 *
 * Safe to call from any callback: the slot stays allocated, so events
 * already fetched for it are ignored by the loop.
 */
void port_close(struct port *p, const char *why)
{
	struct port *last;

	if (!p->open)
		return;
	port_log_stats(p, "disconnected", why);
	switch_port_gone(p);
	if (p->ops->closed)
		p->ops->closed(p);
	loop_timer_cancel(&p->retry);
	if (p->ops->owns_fd) {
		loop_del(&p->src);
		close(p->src.fd);
	}
	p->src.fd = -1;
	queue_free(&p->txq);
	free(p->rxbuf);
	p->rxbuf = NULL;
	p->open = false;

	last = port_list[--port_nopen];
	port_list[p->active_idx] = last;
	last->active_idx = p->active_idx;
	port_free[port_nfree++] = p->id;
}

/**
 * port_close_all() - close every open port (at exit)
 * @why:	reason shown in the log lines
 */
void port_close_all(const char *why)
{
	while (port_nopen)
		port_close(port_list[port_nopen - 1], why);
}

/**
 * port_drop_fds() - close the descriptors of every open port, nothing else
 *
 * For the privileged monitor after the fork (priv.c): the worker owns the
 * connections, and a VM must see its connection end when the worker closes
 * it. The ports stay in the table; the shared event loop is not touched.
 */
void port_drop_fds(void)
{
	for (unsigned int i = 0; i < port_nopen; i++) {
		struct port *p = port_list[i];

		if (p->ops->owns_fd && p->src.fd >= 0)
			close(p->src.fd);
		if (p->ops->owns_fd)
			p->src.fd = -1;
		p->src.registered = false;
	}
}

/**
 * port_get() - find a port by id
 * @id:		port id
 *
 * Return: the port if it is open, else NULL
 */
struct port *port_get(unsigned int id)
{
	if (id >= port_max || !port_tab[id].open)
		return NULL;
	return &port_tab[id];
}

/**
 * port_count() - number of open ports
 *
 * Return: how many ports are open
 */
unsigned int port_count(void)
{
	return port_nopen;
}

/**
 * port_active() - walk the open ports
 * @i:		position, below port_count()
 *
 * Return: the i-th open port (order changes when ports close)
 */
struct port *port_active(unsigned int i)
{
	return port_list[i];
}

/**
 * port_set_creds() - record the peer's uid and pid
 * @p:		a port with a connected UNIX socket of its own
 */
void port_set_creds(struct port *p)
{
	sock_peer_creds(p->src.fd, &p->uid, &p->pid);
}
