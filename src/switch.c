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
 * whatever the number of ports.
 *
 * Unicast between VMs is flow-controlled rather than lossy: when the
 * destination's queue is full and its socket too, a source that can wait
 * (a stream port) stops taking frames (switch_input() returns SWITCH_WAIT)
 * and stops reading its socket, so the sending VM slows down, until the
 * destination takes bytes again. A destination that takes nothing for
 * SWITCH_STALL_MS is stalled: nobody waits for it, frames to it are dropped
 * and counted, and it can never hold up the others. Flooded frames never
 * wait. A frame from a VM first passes the guards
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
#define SWITCH_STALL_MS                                                        \
	100u /* a VM that takes nothing this long is stalled                   \
	      */

static void switch_enqueue(struct port *dst, const uint8_t *frame, size_t len);
static void switch_mark_dirty(struct port *p);

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
static void switch_mark_dirty(struct port *p)
{
	if (p->dirty)
		return;
	p->dirty = true;
	p->next_dirty = switch_dirty;
	switch_dirty = p;
}

static void switch_retry(struct loop_timer *t);
static bool switch_room(struct port *dst, size_t len);

/**
 * switch_stalled() - tell whether a port stopped taking frames
 * @p:		the destination
 * @now:	current time
 *
 * Return: true if its socket has been full for SWITCH_STALL_MS
 */
static bool switch_stalled(const struct port *p, uint64_t now)
{
	return p->tx_blocked && now - p->tx_progress_ms >= SWITCH_STALL_MS;
}

/**
 * switch_port_stalled() - tell whether a port stopped taking frames
 * @p:		the port
 *
 * Return: true if its socket has been full for SWITCH_STALL_MS
 */
bool switch_port_stalled(const struct port *p)
{
	return switch_stalled(p, loop_now());
}

/**
 * switch_wake() - let every port waiting for @p go on
 * @p:		a destination that took frames, or is closing
 */
static void switch_wake(struct port *p)
{
	struct port *w;

	while ((w = p->waiters)) {
		p->waiters = w->next_waiter;
		w->next_waiter = NULL;
		w->paused_on = NULL;
		/* Resume from the loop, not from inside this flush. */
		loop_timer_arm(&w->retry, 0);
	}
}

/**
 * switch_wait() - make a port wait until a destination takes frames
 * @src:	the port whose frame did not fit
 * @dst:	the busy destination
 */
static void switch_wait(struct port *src, struct port *dst)
{
	src->paused_on = dst;
	src->retry.fn = switch_retry;
	src->next_waiter = dst->waiters;
	dst->waiters = src;
	/* If @dst never takes anything, go on anyway once it is stalled. */
	loop_timer_arm(&src->retry, SWITCH_STALL_MS + 1);
}

/**
 * switch_unwait() - take a closing port off the waiters list it is on
 * @p:		the port
 */
static void switch_unwait(struct port *p)
{
	struct port **pp;

	if (!p->paused_on)
		return;
	for (pp = &p->paused_on->waiters; *pp; pp = &(*pp)->next_waiter) {
		if (*pp == p) {
			*pp = p->next_waiter;
			break;
		}
	}
	p->paused_on = NULL;
	p->next_waiter = NULL;
}

/**
 * switch_tx_done() - record the outcome of a port's flush
 * @p:		the port that was written
 * @blocked:	its socket filled up before its queue emptied
 * @progressed:	the VM took some bytes
 *
 * Called by every flush; wakes the ports waiting for @p once it has room.
 */
void switch_tx_done(struct port *p, bool blocked, bool progressed)
{
	uint64_t now = loop_now();

	if (progressed || !p->tx_blocked)
		p->tx_progress_ms = now;
	p->tx_blocked = blocked;
	if (p->waiters && (!blocked || p->txq.used <= p->txq.cap / 2))
		switch_wake(p);
}

/**
 * switch_retry() - timer of a waiting port: resume it
 * @t:		the port's retry timer
 */
static void switch_retry(struct loop_timer *t)
{
	struct port *p = container_of(t, struct port, retry);

	if (!p->open)
		return;
	switch_unwait(p);
	p->ops->resume(p);
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
static void switch_enqueue(struct port *dst, const uint8_t *frame, size_t len)
{
	if (!queue_push(&dst->txq, frame, len) &&
	    (!switch_room(dst, len) || !queue_push(&dst->txq, frame, len))) {
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
 * switch_room() - make room for a frame in a destination's queue
 * @dst:	the destination
 * @len:	frame length
 *
 * Writes the queue out first if it is full and the socket was not.
 *
 * Return: true if the frame fits now
 */
static bool switch_room(struct port *dst, size_t len)
{
	if (queue_room(&dst->txq, len))
		return true;
	if (dst->tx_blocked)
		return false;
	if (dst->ops->flush(dst) < 0) {
		/* Dead: no more writes; switch_flush() closes it. */
		dst->tx_blocked = true;
		switch_mark_dirty(dst);
		return false;
	}
	return queue_room(&dst->txq, len);
}

/**
 * switch_input() - forward one frame received on a port
 * @src:	port the frame came from
 * @frame:	the Ethernet frame
 * @len:	its length, at least an Ethernet header (callers check)
 *
 * Return: SWITCH_WAIT if @src can wait (it has ops->resume) and the frame's
 * one destination is busy but not stalled: the frame was not taken, @src
 * must stop and will be resumed; SWITCH_DONE otherwise
 */
enum switch_result switch_input(struct port *src, const uint8_t *frame,
				size_t len)
{
	static const uint8_t zero[6];
	uint64_t now = loop_now();
	const uint8_t *dmac = frame, *smac = frame + 6;
	bool unicast = !(dmac[0] & 1);
	int to = -1;

	if (len < 14) {
		src->st.rx_bad++;
		return SWITCH_DONE;
	}
	if ((smac[0] & 1) || !memcmp(smac, zero, 6)) {
		switch_st.bad_src++;
		src->st.rx_frames++;
		src->st.rx_bytes += len;
		src->st.rx_bad++;
		return SWITCH_DONE;
	}
	/* One lookup per frame: learning below changes only the source's
	 * entry, which matters only for a frame sent to its own source. */
	if (unicast)
		to = memcmp(dmac, smac, 6) ? fdb_lookup(&switch_fdb, dmac, now)
					   : (int)src->id;
	if (to >= 0 && src->ops->resume && !src->paused_on) {
		/* Flow control first, before anything about the frame is
		 * recorded: a frame that waits is seen again later. */
		if (to != (int)src->id) {
			struct port *dst = port_get((unsigned int)to);

			if (dst && !switch_room(dst, len) &&
			    !switch_stalled(dst, now) &&
			    (!switch_fwd_checks ||
			     guard_forward_ok(src, dst, frame, len))) {
				switch_wait(src, dst);
				return SWITCH_WAIT;
			}
		}
	}
	src->st.rx_frames++;
	src->st.rx_bytes += len;
	if (src->kind != PORT_HOST && !guard_ingress(src, frame, len))
		return SWITCH_DONE;
	switch_learn(src, smac, now);
	if (switch_gw_on && src->kind != PORT_HOST &&
	    gw_input(frame, len, now, switch_gw_reply, src))
		return SWITCH_DONE;

	if (unicast) {
		if (to == (int)src->id) {
			switch_st.local++;
			return SWITCH_DONE;
		}
		if (to >= 0) {
			struct port *dst = port_get((unsigned int)to);

			if (dst) {
				switch_st.unicast++;
				if (!switch_fwd_checks ||
				    guard_forward(src, dst, frame, len))
					switch_enqueue(dst, frame, len);
				return SWITCH_DONE;
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
	return SWITCH_DONE;
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
		/* A blocked port is written when its socket has room (its
		 * own event or timer), a dead one is closed here. */
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
	switch_unwait(p);
	switch_wake(p);
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
