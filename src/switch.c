/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The learning switch.
 *
 * Theory of operation: every frame a port receives goes through
 * switch_input(). Its source address is learned in the forwarding database
 * (fdb.c) for that port; its destination decides where it goes: a learned
 * unicast address to that one port, anything else (broadcast, multicast,
 * unknown unicast) to every other open port. "Goes" means copied into the
 * destination's bounded output queue, never written to a socket here: a
 * full queue drops the frame for that destination only. Ports that got
 * frames are put on a dirty list, and switch_flush(), called once after a
 * whole batch of input, writes each dirty port's queue with one batched
 * system call. The cost of a unicast frame is one fdb lookup and one copy,
 * whatever the number of ports. A frame from a VM first passes the guards
 * (guard.c), which may drop it. When the gateway services run (gw.c), every
 * frame from a VM is shown to them first; their replies go straight back to
 * the port that asked, and a frame addressed to the gateway alone goes no
 * further.
 */
#include <string.h>

#include "fdb.h"
#include "guard.h"
#include "gw.h"
#include "log.h"
#include "loop.h"
#include "port.h"
#include "switch.h"

#define SWITCH_FDB_MIN	  4096u /* slots, at least */
#define SWITCH_RELEARN_MS 1000u /* how often a busy source is re-learned */

static struct fdb switch_fdb;
static struct switch_stats switch_st;
static struct port *switch_dirty; /* ports with queued frames, a stack */
static struct log_limit switch_droplog;
static bool switch_gw_on;      /* hand VM frames to the gateway services */
static bool switch_fwd_checks; /* --isolate or --allow/--block rules */
static bool switch_snoop;      /* guard learns leases from DHCP ACKs */

/**
 * switch_init() - set up the forwarding database
 * @max_ports:	number of port ids
 * @mac_age_s:	seconds an address stays learned without traffic
 *
 * Return: 0 on success, -1 if out of memory
 */
int switch_init(unsigned int max_ports, unsigned int mac_age_s)
{
	unsigned int entries = max_ports * 4u;

	if (entries < SWITCH_FDB_MIN)
		entries = SWITCH_FDB_MIN;
	memset(&switch_st, 0, sizeof(switch_st));
	switch_dirty = NULL;
	return fdb_init(&switch_fdb, entries, max_ports,
			(uint64_t)mac_age_s * 1000u);
}

/**
 * switch_fini() - free the forwarding database
 */
void switch_fini(void)
{
	fdb_free(&switch_fdb);
}

/**
 * switch_set_gateway() - turn the hand-off to the gateway services on or off
 * @on:		true once gw_init() succeeded
 */
void switch_set_gateway(bool on)
{
	switch_gw_on = on;
}

/**
 * switch_set_guard() - tell the switch which guard hooks to call
 * @forward_checks:	call guard_forward() for each destination
 * @snoop:		show frames queued to VMs to guard_snoop()
 */
void switch_set_guard(bool forward_checks, bool snoop)
{
	switch_fwd_checks = forward_checks;
	switch_snoop = snoop;
}

/**
 * switch_gw_reply() - send a frame of the gateway back to a port
 * @arg:	the port that sent the frame being answered
 * @frame:	the reply
 * @len:	its length
 */
static void switch_gw_reply(void *arg, const uint8_t *frame, size_t len)
{
	struct port *p = arg;

	if (p->open)
		switch_enqueue(p, frame, len);
}

/**
 * switch_mark_dirty() - put a port on the list of ports to flush
 * @p:		port with queued frames
 */
void switch_mark_dirty(struct port *p)
{
	if (p->dirty)
		return;
	p->dirty = true;
	p->next_dirty = switch_dirty;
	switch_dirty = p;
}

/**
 * switch_enqueue() - queue a frame to one port
 * @dst:	destination port
 * @frame:	the frame
 * @len:	its length
 *
 * A full queue is written out at once, unless the VM's socket was already
 * full; if there is still no room, the frame is dropped and counted on
 * @dst. A port whose write fails here stays dirty and is closed by the next
 * switch_flush(), never in the middle of forwarding.
 */
void switch_enqueue(struct port *dst, const uint8_t *frame, size_t len)
{
	if (!queue_push(&dst->txq, frame, len) &&
	    (dst->tx_blocked || dst->ops->flush(dst) < 0 ||
	     !queue_push(&dst->txq, frame, len))) {
		switch_mark_dirty(dst);
		dst->st.tx_dropped++;
		if (log_enabled(LOG_LVL_DEBUG) &&
		    log_limit_ok(&switch_droplog, loop_now()))
			log_debug("port %u: output queue full, frame dropped",
				  dst->id);
		return;
	}
	dst->st.tx_frames++;
	dst->st.tx_bytes += len;
	if (switch_snoop)
		guard_snoop(dst, frame, len);
	switch_mark_dirty(dst);
}

/**
 * switch_learn() - learn the source address of a frame
 * @src:	port the frame came from
 * @mac:	its source address (unicast)
 * @now:	current time
 */
static void switch_learn(struct port *src, const uint8_t *mac, uint64_t now)
{
	/* A port usually sends from one address: skip the table while the
	 * same address keeps coming, refresh it once a second, and at once
	 * after any address moved (it may have been this one). */
	if (src->last_src_ms && !memcmp(src->last_src, mac, 6) &&
	    now - src->last_src_ms < SWITCH_RELEARN_MS &&
	    src->last_moved == switch_fdb.moved)
		return;
	if (fdb_learn(&switch_fdb, mac, src->id, now) == FDB_MOVED)
		log_debug("%02x:%02x:%02x:%02x:%02x:%02x moved to port %u",
			  mac[0], mac[1], mac[2], mac[3], mac[4], mac[5],
			  src->id);
	memcpy(src->last_src, mac, 6);
	src->last_src_ms = now;
	src->last_moved = switch_fdb.moved;
}

/**
 * switch_input() - forward one frame received on a port
 * @src:	port the frame came from
 * @frame:	the Ethernet frame
 * @len:	its length, at least an Ethernet header (callers check)
 */
void switch_input(struct port *src, const uint8_t *frame, size_t len)
{
	static const uint8_t zero[6];
	uint64_t now = loop_now();
	const uint8_t *dmac = frame, *smac = frame + 6;
	int to;

	if (len < 14) {
		src->st.rx_bad++;
		return;
	}
	src->st.rx_frames++;
	src->st.rx_bytes += len;
	if ((smac[0] & 1) || !memcmp(smac, zero, 6)) {
		switch_st.bad_src++;
		src->st.rx_bad++;
		return;
	}
	if (src->kind != PORT_HOST && !guard_ingress(src, frame, len))
		return;
	switch_learn(src, smac, now);
	if (switch_gw_on && src->kind != PORT_HOST &&
	    gw_input(frame, len, now, switch_gw_reply, src))
		return;

	if (!(dmac[0] & 1)) {
		to = fdb_lookup(&switch_fdb, dmac, now);
		if (to == (int)src->id) {
			switch_st.local++;
			return;
		}
		if (to >= 0) {
			struct port *dst = port_get((unsigned int)to);

			if (dst) {
				switch_st.unicast++;
				if (!switch_fwd_checks ||
				    guard_forward(src, dst, frame, len))
					switch_enqueue(dst, frame, len);
				return;
			}
		}
	}
	switch_st.flooded++;
	for (unsigned int i = 0, n = port_count(); i < n; i++) {
		struct port *dst = port_active(i);

		if (dst == src ||
		    (switch_fwd_checks && !guard_forward(src, dst, frame, len)))
			continue;
		switch_enqueue(dst, frame, len);
	}
}

/**
 * switch_flush() - write out the queues of every port that got frames
 *
 * A port whose flush fails is closed here, after the batch.
 */
void switch_flush(void)
{
	struct port *p;

	while ((p = switch_dirty)) {
		switch_dirty = p->next_dirty;
		p->next_dirty = NULL;
		p->dirty = false;
		if (p->open && p->ops->flush(p) < 0)
			port_close(p, "write failed");
	}
}

/**
 * switch_port_gone() - forget a port that is closing
 * @p:		the port
 *
 * Its learned addresses go stale at once and it leaves the dirty list.
 */
void switch_port_gone(struct port *p)
{
	struct port **pp;

	fdb_port_gone(&switch_fdb, p->id);
	if (!p->dirty)
		return;
	for (pp = &switch_dirty; *pp; pp = &(*pp)->next_dirty) {
		if (*pp == p) {
			*pp = p->next_dirty;
			break;
		}
	}
	p->dirty = false;
	p->next_dirty = NULL;
}

/**
 * switch_get_stats() - read the switch's counters
 *
 * Return: the counters
 */
const struct switch_stats *switch_get_stats(void)
{
	return &switch_st;
}

/**
 * switch_get_fdb() - read the forwarding database (for tests and stats)
 *
 * Return: the table
 */
const struct fdb *switch_get_fdb(void)
{
	return &switch_fdb;
}
