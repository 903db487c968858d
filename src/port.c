/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The port table: a fixed array of ports sized at start (--max-ports), a
 * free list of slots and a dense list of open ports for flooding. Buffers
 * of a port are allocated when it opens and freed when it closes, never per
 * frame. The table's owner (the switch) registers hooks to hear of ports
 * opening and closing; the table itself knows nothing of frames.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "port.h"
#include "sock.h"

/**
 * struct port_table - the table's state
 * @tab:	every slot
 * @list:	open ports, dense
 * @free:	free slot ids, a stack
 * @nfree:	how many are free
 * @nopen:	how many are open
 * @max:	number of slots
 * @queue_size:	bytes of output queue per port
 * @hooks:	the owner's hooks
 * @full_log:	rate limit of "table full" lines
 */
static struct port_table {
	struct port *tab;
	struct port **list;
	unsigned int *free;
	unsigned int nfree;
	unsigned int nopen;
	unsigned int max;
	size_t queue_size;
	struct port_hooks hooks;
	struct log_limit full_log;
} pt;

/**
 * port_table_init() - allocate the port table
 * @max_ports:	number of slots
 * @queue_size:	bytes of output queue given to each port when it opens
 *
 * Return: 0 on success, -1 if out of memory
 */
int port_table_init(unsigned int max_ports, size_t queue_size)
{
	pt.tab = calloc(max_ports, sizeof(*pt.tab));
	pt.list = calloc(max_ports, sizeof(*pt.list));
	pt.free = calloc(max_ports, sizeof(*pt.free));
	if (!pt.tab || !pt.list || !pt.free) {
		port_table_fini();
		return -1;
	}
	pt.max = max_ports;
	pt.queue_size = queue_size;
	/* Lowest ids first, so logs read port 0, 1, 2... */
	for (unsigned int i = 0; i < max_ports; i++) {
		pt.tab[i].id = i;
		pt.free[i] = max_ports - 1 - i;
	}
	pt.nfree = max_ports;
	pt.nopen = 0;
	return 0;
}

/**
 * port_table_fini() - free the port table
 *
 * Ports are normally closed by then; the privileged monitor's copies of
 * the worker's ports (port_drop_fds()) never are, and only their buffers
 * are freed here.
 */
void port_table_fini(void)
{
	for (unsigned int i = 0; i < pt.nopen; i++) {
		queue_free(&pt.list[i]->txq);
		free(pt.list[i]->rxbuf);
		pt.list[i]->rxbuf = NULL;
	}
	free(pt.tab);
	free(pt.list);
	free(pt.free);
	pt.tab = NULL;
	pt.list = NULL;
	pt.free = NULL;
	pt.max = pt.nfree = pt.nopen = 0;
}

/**
 * port_set_hooks() - tell the table whom to notify
 * @h:		the hooks (copied)
 */
void port_set_hooks(const struct port_hooks *h)
{
	pt.hooks = *h;
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

	if (!pt.nfree) {
		if (log_limit_ok(&pt.full_log, loop_now()))
			log_warnx("port table full (%u ports, see --max-ports)",
				  pt.max);
		return NULL;
	}
	id = pt.free[pt.nfree - 1];
	p = &pt.tab[id];
	memset(p, 0, sizeof(*p));
	p->id = id;
	p->kind = kind;
	p->ops = ops;
	p->src.fd = fd;
	p->uid = -1;
	p->pid = -1;
	if (queue_init(&p->txq, pt.queue_size) < 0)
		goto oom;
	if (rxcap) {
		p->rxbuf = malloc(rxcap);
		if (!p->rxbuf)
			goto oom;
		p->rxcap = rxcap;
	}
	pt.nfree--;
	p->open = true;
	p->active_idx = pt.nopen;
	pt.list[pt.nopen++] = p;
	if (pt.hooks.opened)
		pt.hooks.opened(p);
	return p;
oom:
	queue_free(&p->txq);
	log_errx("out of memory opening a port");
	return NULL;
}

/**
 * port_close() - close a port and free its slot
 * @p:		an open port
 * @why:	reason, passed to the closing hook (which logs it)
 *
 * The owner's closing hook runs first, while the port is whole, then the
 * kind's closed(). Safe to call from any callback: the slot stays
 * allocated, so events already fetched for it are ignored by the loop.
 */
void port_close(struct port *p, const char *why)
{
	struct port *last;

	if (!p->open)
		return;
	if (pt.hooks.closing)
		pt.hooks.closing(p, why);
	if (p->ops->closed)
		p->ops->closed(p);
	if (p->ops->owns_fd) {
		loop_del(&p->src);
		close(p->src.fd);
	}
	p->src.fd = -1;
	queue_free(&p->txq);
	free(p->rxbuf);
	p->rxbuf = NULL;
	p->open = false;

	last = pt.list[--pt.nopen];
	pt.list[p->active_idx] = last;
	last->active_idx = p->active_idx;
	pt.free[pt.nfree++] = p->id;
}

/**
 * port_close_all() - close every open port (at exit)
 * @why:	reason shown in the log lines
 */
void port_close_all(const char *why)
{
	while (pt.nopen)
		port_close(pt.list[pt.nopen - 1], why);
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
	for (unsigned int i = 0; i < pt.nopen; i++) {
		struct port *p = pt.list[i];

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
	if (id >= pt.max || !pt.tab[id].open)
		return NULL;
	return &pt.tab[id];
}

/**
 * port_count() - number of open ports
 *
 * Return: how many ports are open
 */
unsigned int port_count(void)
{
	return pt.nopen;
}

/**
 * port_max() - number of slots in the table
 *
 * Return: the largest port id plus one
 */
unsigned int port_max(void)
{
	return pt.max;
}

/**
 * port_active() - walk the open ports
 * @i:		position, below port_count()
 *
 * Return: the i-th open port (order changes when ports close)
 */
struct port *port_active(unsigned int i)
{
	return pt.list[i];
}

/**
 * port_set_creds() - record the peer's uid and pid
 * @p:		a port with a connected UNIX socket of its own
 */
void port_set_creds(struct port *p)
{
	sock_peer_creds(p->src.fd, &p->uid, &p->pid);
}
