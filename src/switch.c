/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The learning switch.
 *
 * Theory of operation: every frame a port receives goes through
 * switch_input(). A frame from a VM first passes the guards (guard.c, a
 * verdict on the port's guard state and the frame; the switch binds ports
 * to MACs, counts and logs the drops). Its source address is learned in
 * the forwarding database (fdb.c) for that port; when a local service runs
 * (the gateway, gw.c, registered by main), it sees the frame next and may
 * answer it or keep it. Then the destination decides where it goes: a
 * learned unicast address to that one port, anything else (broadcast,
 * multicast, unknown unicast) to every other open port. "Goes" means
 * copied into the destination's bounded output queue, never written to a
 * socket here: a full queue drops the frame for that destination only.
 * Ports that got frames are put on a dirty list, and switch_flush(), a
 * before-sleep hook of the event loop, writes each dirty port's queue once
 * per loop turn. The cost of a unicast frame is one fdb lookup and one
 * copy, whatever the number of ports.
 *
 * Unicast between VMs is flow-controlled rather than lossy: when the
 * destination's queue is full and its socket too, a source that can wait
 * (it has ops->resume) is made to wait: switch_input() returns SWITCH_WAIT,
 * the port kind stops reading, and the sending VM slows down until the
 * destination takes bytes again; then the source is resumed from its wait
 * timer (a zero delay, never inside a flush). A destination that takes
 * nothing for SWITCH_STALL_MS is stalled: nobody waits for it, frames to it
 * are dropped and counted, and it can never hold up the others. Flooded
 * frames never wait.
 *
 * The switch owns what it knows of each port (struct switch_port, one per
 * port id): flow-control state, the dirty link, the last source learned and
 * the guard state; port.c tells it when ports open and close through the
 * hooks it registered. Port kinds write their queues only when the switch
 * asks (ops->flush), and tell it when a blocked socket can take more
 * (switch_port_writable()).
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "fdb.h"
#include "guard.h"
#include "log.h"
#include "loop.h"
#include "pkt.h"
#include "port.h"
#include "switch.h"

#define SWITCH_FDB_MIN	    4096u /* slots, at least */
#define SWITCH_RELEARN_MS   1000u /* how often a busy source is re-learned */
#define SWITCH_STALL_MS	    100u  /* a VM that takes nothing this long */
#define SWITCH_MAX_RESERVED 2u	  /* MACs no VM may bind to */
#define SWITCH_EARLY_DIV    4u	  /* a queue this full is written at once */

/**
 * struct switch_port - what the switch knows of one port
 * @port:	the port, while open
 * @tx_blocked:	the last flush stopped because the peer's socket was full
 * @tx_progress_ms: when the peer last took bytes, or its queue last emptied
 * @paused_on:	the busy destination this port waits for, or NULL
 * @waiters:	ports waiting for this one to take frames
 * @next_waiter: link in the waiters list of @paused_on
 * @wait:	timer that resumes a waiting port
 * @dirty:	on the list of ports with frames to write
 * @next_dirty:	link in that list
 * @last_src:	last source MAC learned on this port (saves fdb work)
 * @last_src_ms: when it was learned
 * @last_moved:	fdb move counter at that time
 * @waits:	times this port had to wait
 * @ip4:	IPv4 addresses the port announced by ARP, a ring
 * @nip4:	how many were recorded (the ring holds the last ones)
 * @ip6:	IPv6 addresses the port claimed by duplicate address
 *		detection, a ring
 * @nip6:	how many were recorded
 * @guard:	the guards' state of the port
 */
struct switch_port {
	struct port *port;
	bool tx_blocked;
	uint64_t tx_progress_ms;
	struct switch_port *paused_on;
	struct switch_port *waiters;
	struct switch_port *next_waiter;
	struct loop_timer wait;
	bool dirty;
	struct switch_port *next_dirty;
	uint8_t last_src[PKT_ETH_ALEN];
	uint64_t last_src_ms;
	uint64_t last_moved;
	uint64_t waits;
	uint32_t ip4[SWITCH_IP4_SEEN];
	unsigned int nip4;
	uint8_t ip6[SWITCH_IP6_SEEN][PKT_IPV6_ALEN];
	unsigned int nip6;
	struct guard_port guard;
};

/**
 * struct switch_state - the switch
 * @ports:	one entry per port id
 * @nports:	number of entries
 * @fdb:	the forwarding database
 * @st:		counters
 * @dirty:	ports with queued frames, a stack
 * @guard:	the guard configuration
 * @fwd_checks:	--isolate or --allow/--block rules are set
 * @local:	the local service, or NULL
 * @reserved:	MACs no VM port may bind to (host side, gateway)
 * @nreserved:	how many
 * @droplog:	rate limit of "queue full" debug lines
 * @hook:	the loop's before-sleep hook that runs switch_flush()
 * @tap:	sees every frame (packet capture), or NULL
 */
static struct switch_state {
	struct switch_port *ports;
	unsigned int nports;
	struct fdb fdb;
	struct switch_stats st;
	struct switch_port *dirty;
	struct guard_conf guard;
	bool fwd_checks;
	switch_local_fn local;
	uint8_t reserved[SWITCH_MAX_RESERVED][PKT_ETH_ALEN];
	unsigned int nreserved;
	struct log_limit droplog;
	struct loop_hook hook;
	switch_tap_fn tap;
} sw;

/**
 * switch_of() - the switch's entry of a port
 * @p:		the port
 *
 * Return: its entry
 */
static struct switch_port *switch_of(const struct port *p)
{
	return &sw.ports[p->id];
}

/**
 * switch_stalled() - tell whether a port stopped taking frames
 * @s:		the port's entry
 * @now:	current time
 *
 * Return: true if its socket has been full for SWITCH_STALL_MS
 */
static bool switch_stalled(const struct switch_port *s, uint64_t now)
{
	return s->tx_blocked && now - s->tx_progress_ms >= SWITCH_STALL_MS;
}

/**
 * switch_port_stalled() - tell whether a port stopped taking frames
 * @p:		the port
 *
 * Return: true if its socket has been full for SWITCH_STALL_MS
 */
bool switch_port_stalled(const struct port *p)
{
	return switch_stalled(switch_of(p), loop_now());
}

/**
 * switch_port_guard() - what the guards know of a port
 * @p:		the port
 *
 * Return: its guard state (bound MAC, lease, drops by reason)
 */
const struct guard_port *switch_port_guard(const struct port *p)
{
	return &switch_of(p)->guard;
}

/**
 * switch_mark_dirty() - put a port on the list of ports to write
 * @s:		entry of a port with queued frames
 */
static void switch_mark_dirty(struct switch_port *s)
{
	if (s->dirty)
		return;
	s->dirty = true;
	s->next_dirty = sw.dirty;
	sw.dirty = s;
}

/**
 * switch_wake() - let every port waiting for a destination go on
 * @s:		a destination that took frames, or is closing
 */
static void switch_wake(struct switch_port *s)
{
	struct switch_port *w;

	while ((w = s->waiters)) {
		s->waiters = w->next_waiter;
		w->next_waiter = NULL;
		w->paused_on = NULL;
		/* Resume from the loop, not from inside a flush. */
		loop_timer_arm(&w->wait, 0);
	}
}

/**
 * switch_wait() - make a port wait until a destination takes frames
 * @src:	entry of the port whose frame did not fit
 * @dst:	entry of the busy destination
 */
static void switch_wait(struct switch_port *src, struct switch_port *dst)
{
	src->paused_on = dst;
	src->next_waiter = dst->waiters;
	dst->waiters = src;
	src->waits++;
	sw.st.waits++;
	/* If @dst never takes anything, go on anyway once it is stalled. */
	loop_timer_arm(&src->wait, SWITCH_STALL_MS + 1);
}

/**
 * switch_unwait() - take a port off the waiters list it is on
 * @s:		the port's entry
 */
static void switch_unwait(struct switch_port *s)
{
	struct switch_port **pp;

	if (!s->paused_on)
		return;
	for (pp = &s->paused_on->waiters; *pp; pp = &(*pp)->next_waiter) {
		if (*pp == s) {
			*pp = s->next_waiter;
			break;
		}
	}
	s->paused_on = NULL;
	s->next_waiter = NULL;
}

/**
 * switch_resume() - wait timer: let a waiting port go on
 * @t:		the port's wait timer
 */
static void switch_resume(struct loop_timer *t)
{
	struct switch_port *s = container_of(t, struct switch_port, wait);

	if (!s->port)
		return;
	switch_unwait(s);
	s->port->ops->resume(s->port);
}

/**
 * switch_write() - have a port write its queue, and record the outcome
 * @s:		the port's entry
 *
 * Wakes the ports waiting for it once its socket took everything or its
 * queue is at most half full.
 *
 * Return: what the flush came to
 */
static enum port_tx switch_write(struct switch_port *s)
{
	struct port *p = s->port;
	size_t used = p->txq.used, sent = p->txq.sent;
	enum port_tx r = p->ops->flush(p);
	bool progressed = p->txq.used != used || p->txq.sent != sent;

	if (r == PORT_TX_DEAD)
		return r;
	if (progressed || !s->tx_blocked)
		s->tx_progress_ms = loop_now();
	s->tx_blocked = r == PORT_TX_BLOCKED;
	if (s->waiters && (!s->tx_blocked || p->txq.used <= p->txq.cap / 2))
		switch_wake(s);
	return r;
}

/**
 * switch_room() - make room for a frame in a destination's queue
 * @s:		the destination's entry
 * @len:	frame length
 *
 * Writes the queue out first if it is full and the socket was not.
 *
 * Return: true if the frame fits now
 */
static bool switch_room(struct switch_port *s, size_t len)
{
	if (queue_room(&s->port->txq, len))
		return true;
	if (s->tx_blocked)
		return false;
	if (switch_write(s) == PORT_TX_DEAD) {
		/* No more writes; switch_flush() closes it. */
		s->tx_blocked = true;
		switch_mark_dirty(s);
		return false;
	}
	return queue_room(&s->port->txq, len);
}

/**
 * switch_take_lease() - an address the server acknowledged for one port
 * is no other port's any more (strict guards)
 * @s:		the port's entry
 * @ip:		the address, host order
 */
static void switch_take_lease(struct switch_port *s, uint32_t ip)
{
	for (unsigned int i = 0, n = port_count(); i < n; i++) {
		struct switch_port *o = switch_of(port_active(i));

		if (o != s && o->guard.lease == ip)
			o->guard.lease = 0;
	}
}

/**
 * switch_enqueue() - queue a frame to one port
 * @dst:	the destination
 * @frame:	the frame
 * @len:	its length
 *
 * A full queue is written out at once, unless the peer's socket was already
 * full; if there is still no room, the frame is dropped and counted on
 * @dst. A port whose write fails here stays dirty and is closed by the next
 * switch_flush(), never in the middle of forwarding.
 */
static void switch_enqueue(struct port *dst, const uint8_t *frame, size_t len)
{
	struct switch_port *s = switch_of(dst);
	uint32_t ip;

	if (!queue_push(&dst->txq, frame, len) &&
	    (!switch_room(s, len) || !queue_push(&dst->txq, frame, len))) {
		dst->st.tx_dropped++;
		if (log_enabled(LOG_LVL_DEBUG) &&
		    log_limit_ok(&sw.droplog, loop_now()))
			log_debug("port %u: output queue full, frame dropped",
				  dst->id);
		return;
	}
	dst->st.tx_frames++;
	dst->st.tx_bytes += len;
	if (sw.guard.level == GUARD_STRICT && dst->kind != PORT_HOST &&
	    (ip = guard_snoop(&sw.guard, &s->guard, frame, len)))
		switch_take_lease(s, ip);
	switch_mark_dirty(s);
	/* A big burst is written as it comes, so the receiving VM works
	 * while the sender is still being read, rather than after. */
	if (dst->txq.used >= dst->txq.cap / SWITCH_EARLY_DIV &&
	    !s->tx_blocked && switch_write(s) == PORT_TX_DEAD)
		s->tx_blocked = true; /* switch_flush() closes it */
}

/**
 * switch_reply() - a local service's frame back to the port that asked
 * @arg:	that port
 * @frame:	the frame
 * @len:	its length
 */
static void switch_reply(void *arg, const uint8_t *frame, size_t len)
{
	struct port *p = arg;

	if (!p->open)
		return;
	if (sw.tap)
		sw.tap(SWITCH_TAP_LOCAL, (int)p->id, frame, len);
	switch_enqueue(p, frame, len);
}

/**
 * switch_local_flood() - a frame of the local service's own to every VM
 * @frame:	the frame (router advertisements)
 * @len:	its length
 *
 * The host side does not get it: the host is not one of the network's
 * hosts there, it is the router.
 *
 * Return: how many ports it was queued to
 */
unsigned int switch_local_flood(const uint8_t *frame, size_t len)
{
	unsigned int sent = 0;

	if (sw.tap)
		sw.tap(SWITCH_TAP_LOCAL, SWITCH_TAP_ALL, frame, len);
	for (unsigned int i = 0, n = port_count(); i < n; i++) {
		struct port *dst = port_active(i);

		if (dst->kind == PORT_HOST)
			continue;
		switch_enqueue(dst, frame, len);
		sent++;
	}
	return sent;
}

/**
 * switch_learn() - learn the source address of a frame
 * @src:	port the frame came from
 * @mac:	its source address (unicast)
 * @now:	current time
 */
static void switch_learn(struct port *src, const uint8_t *mac, uint64_t now)
{
	struct switch_port *s = switch_of(src);
	char buf[ADDR_MAC_STRLEN];

	/* A port usually sends from one address: skip the table while the
	 * same address keeps coming, refresh it once a second, and at once
	 * after any address moved (it may have been this one). */
	if (s->last_src_ms && !memcmp(s->last_src, mac, PKT_ETH_ALEN) &&
	    now - s->last_src_ms < SWITCH_RELEARN_MS &&
	    s->last_moved == sw.fdb.moved)
		return;
	if (fdb_learn(&sw.fdb, mac, src->id, now) == FDB_MOVED)
		log_debug("%s moved to port %u", addr_mac_fmt(mac, buf),
			  src->id);
	memcpy(s->last_src, mac, PKT_ETH_ALEN);
	s->last_src_ms = now;
	s->last_moved = sw.fdb.moved;
}

/**
 * switch_note_arp() - remember the IPv4 address a port announces by ARP
 * @src:	the port (a VM's)
 * @e:		the frame's Ethernet header, an ARP frame the guards passed
 */
static void switch_note_arp(struct port *src, const struct pkt_eth *e)
{
	struct switch_port *s = switch_of(src);
	struct pkt_arp a;

	if (!pkt_arp_parse(e->payload, e->payload_len, &a) || !a.spa)
		return;
	for (unsigned int i = 0; i < s->nip4 && i < SWITCH_IP4_SEEN; i++)
		if (s->ip4[i] == a.spa)
			return;
	s->ip4[s->nip4++ % SWITCH_IP4_SEEN] = a.spa;
}

/**
 * switch_note_dad() - remember the IPv6 address a port claims
 * @src:	the port (a VM's)
 * @frame:	an IPv6 frame the guards passed
 * @len:	its length
 */
static void switch_note_dad(struct port *src, const uint8_t *frame, size_t len)
{
	struct switch_port *s = switch_of(src);
	const uint8_t *t = guard_dad_target(frame, len);

	if (!t)
		return;
	for (unsigned int i = 0; i < s->nip6 && i < SWITCH_IP6_SEEN; i++)
		if (!memcmp(s->ip6[i], t, PKT_IPV6_ALEN))
			return;
	memcpy(s->ip6[s->nip6++ % SWITCH_IP6_SEEN], t, PKT_IPV6_ALEN);
	/* a full ring stays full and in order: no wrap to 0 */
	if (s->nip6 >= 2 * SWITCH_IP6_SEEN)
		s->nip6 -= SWITCH_IP6_SEEN;
}

/**
 * switch_mac_taken() - tell whether a port may not bind to a MAC
 * @p:		the port about to bind
 * @mac:	its first source MAC
 *
 * A port bound to the same MAC whose peer is gone (a datagram VM restarted
 * with a new socket) is closed instead of blocking the new one. Runs once
 * per port, so walking the open ports is fine.
 *
 * Return: true if the MAC belongs to another open port, the host side or
 * the gateway
 */
static bool switch_mac_taken(struct port *p, const uint8_t *mac)
{
	int owner = fdb_lookup(&sw.fdb, mac, loop_now());
	struct port *o = owner >= 0 ? port_get((unsigned int)owner) : NULL;

	for (unsigned int i = 0; i < sw.nreserved; i++)
		if (!memcmp(sw.reserved[i], mac, PKT_ETH_ALEN))
			return true;
	/* A station on the host side (the LAN, in bridged mode). */
	if (o && o->kind == PORT_HOST)
		return true;
	for (unsigned int i = 0; i < port_count(); i++) {
		struct port *q = port_active(i);
		struct switch_port *s = switch_of(q);

		if (q == p || !s->guard.bound ||
		    memcmp(s->guard.mac, mac, PKT_ETH_ALEN))
			continue;
		if (q->ops->gone && q->ops->gone(q)) {
			port_close(q, "its MAC reappeared elsewhere and its "
				      "socket is gone");
			return false;
		}
		return true;
	}
	return false;
}

/**
 * switch_ip6_held() - tell whether another port holds an IPv6 address
 * (strict guards)
 * @p:		the port that claims it
 * @ip6:	the address
 *
 * Runs for duplicate address detection probes only, a few per port and
 * address, so walking the open ports is fine (as switch_take_lease()).
 *
 * Return: true if an open port other than @p may use it
 */
static bool switch_ip6_held(const struct port *p, const uint8_t *ip6)
{
	for (unsigned int i = 0, n = port_count(); i < n; i++) {
		struct port *q = port_active(i);
		struct switch_port *s = switch_of(q);

		if (q != p && q->kind != PORT_HOST && s->guard.bound &&
		    guard_holds6(&s->guard, ip6))
			return true;
	}
	return false;
}

/**
 * switch_drop() - count and maybe log a frame the guards refused
 * @p:		the port it came from
 * @r:		why
 */
static void switch_drop(struct port *p, enum guard_reason r)
{
	struct guard_port *g = &switch_of(p)->guard;

	/* The first drop of each reason is always logged, then the port's
	 * lines are rate limited. */
	if (g->drops[r]++ == 0 || log_limit_ok(&g->log, loop_now()))
		log_warnx("port %u: dropped a frame: %s", p->id,
			  guard_reason_name(r));
}

/**
 * switch_guard() - the guards' verdict on a frame from a VM
 * @src:	the port
 * @e:		the frame's Ethernet header
 * @frame:	the frame
 * @len:	its length
 *
 * Binds the port to its first source MAC when the guards are on. In
 * strict mode, a duplicate address detection probe the guard passed is a
 * claim: the switch says whether another port holds the address.
 *
 * Return: true if the frame may be switched (else it was counted)
 */
static bool switch_guard(struct port *src, const struct pkt_eth *e,
			 const uint8_t *frame, size_t len)
{
	struct guard_port *g = &switch_of(src)->guard;
	const uint8_t *target;
	enum guard_reason r;

	if (sw.guard.level == GUARD_OFF)
		return true;
	if (!g->bound) {
		if (switch_mac_taken(src, e->src)) {
			switch_drop(src, GUARD_R_MAC_TAKEN);
			return false;
		}
		guard_port_bind(g, e->src);
	}
	r = guard_check(&sw.guard, g, frame, len);
	if (r == GUARD_PASS && sw.guard.level == GUARD_STRICT &&
	    e->type == PKT_ETHERTYPE_IPV6 &&
	    (target = guard_dad_target(frame, len)))
		r = guard_claim6(&sw.guard, g, target,
				 switch_ip6_held(src, target));
	if (r != GUARD_PASS)
		switch_drop(src, r);
	return r == GUARD_PASS;
}

/**
 * switch_allowed() - check a frame against one destination
 * @src:	port it came from
 * @dst:	port it would go to
 * @frame:	the frame
 * @len:	its length
 * @count:	count and log a refusal
 *
 * Return: true if it may be queued to @dst
 */
static bool switch_allowed(struct port *src, const struct port *dst,
			   const uint8_t *frame, size_t len, bool count)
{
	enum guard_reason r;

	if (!sw.fwd_checks)
		return true;
	r = guard_forward(&sw.guard, src->kind != PORT_HOST,
			  dst->kind != PORT_HOST, frame, len);
	if (r != GUARD_PASS && count)
		switch_drop(src, r);
	return r == GUARD_PASS;
}

/**
 * switch_must_wait() - flow control: tell whether a frame must wait
 * @src:	the port it came from
 * @to:		its learned destination's id
 * @frame:	the frame
 * @len:	its length
 * @now:	current time
 *
 * A source that can wait waits when the one destination has no room, is
 * not stalled and would accept the frame; nothing about the frame is
 * recorded before this, as it will be seen again.
 *
 * Return: true if @src now waits
 */
static bool switch_must_wait(struct port *src, int to, const uint8_t *frame,
			     size_t len, uint64_t now)
{
	struct switch_port *s = switch_of(src), *d;
	struct port *dst;

	if (to < 0 || to == (int)src->id || !src->ops->resume || s->paused_on)
		return false;
	dst = port_get((unsigned int)to);
	if (!dst)
		return false;
	d = switch_of(dst);
	if (switch_room(d, len) || switch_stalled(d, now) ||
	    !switch_allowed(src, dst, frame, len, false))
		return false;
	switch_wait(s, d);
	return true;
}

/**
 * switch_forward() - send a frame on to its destination(s)
 * @src:	the port it came from
 * @dmac:	its destination address
 * @to:		the learned port of @dmac, or -1
 * @frame:	the frame
 * @len:	its length
 */
static void switch_forward(struct port *src, const uint8_t *dmac, int to,
			   const uint8_t *frame, size_t len)
{
	if (!pkt_mac_is_group(dmac)) {
		struct port *dst = to >= 0 ? port_get((unsigned int)to) : NULL;

		if (to == (int)src->id) {
			sw.st.local++;
			return;
		}
		if (dst) {
			sw.st.unicast++;
			if (switch_allowed(src, dst, frame, len, true))
				switch_enqueue(dst, frame, len);
			return;
		}
	}
	sw.st.flooded++;
	for (unsigned int i = 0, n = port_count(); i < n; i++) {
		struct port *dst = port_active(i);

		if (dst != src && switch_allowed(src, dst, frame, len, true))
			switch_enqueue(dst, frame, len);
	}
}

/**
 * switch_input() - forward one frame received on a port
 * @src:	port the frame came from
 * @frame:	the Ethernet frame
 * @len:	its length
 *
 * Return: SWITCH_WAIT if @src can wait (it has ops->resume) and the frame's
 * one destination is busy but not stalled: the frame was not taken, @src
 * must stop and will be resumed; SWITCH_DONE otherwise
 */
enum switch_result switch_input(struct port *src, const uint8_t *frame,
				size_t len)
{
	uint64_t now = loop_now();
	struct pkt_eth e;
	int to = -1;

	if (!pkt_eth_parse(frame, len, &e)) {
		src->st.rx_bad++;
		return SWITCH_DONE;
	}
	if (!addr_mac_is_unicast(e.src)) {
		sw.st.bad_src++;
		src->st.rx_frames++;
		src->st.rx_bytes += len;
		src->st.rx_bad++;
		return SWITCH_DONE;
	}
	/* One lookup per frame: learning below changes only the source's
	 * entry, which matters only for a frame sent to its own source. */
	if (!pkt_mac_is_group(e.dst))
		to = memcmp(e.dst, e.src, PKT_ETH_ALEN)
			 ? fdb_lookup(&sw.fdb, e.dst, now)
			 : (int)src->id;
	if (switch_must_wait(src, to, frame, len, now))
		return SWITCH_WAIT;
	if (sw.tap)
		sw.tap((int)src->id, to >= 0 ? to : SWITCH_TAP_ALL, frame, len);
	src->st.rx_frames++;
	src->st.rx_bytes += len;
	if (src->kind != PORT_HOST && !switch_guard(src, &e, frame, len))
		return SWITCH_DONE;
	if (e.type == PKT_ETHERTYPE_ARP && src->kind != PORT_HOST)
		switch_note_arp(src, &e);
	if (e.type == PKT_ETHERTYPE_IPV6 && src->kind != PORT_HOST)
		switch_note_dad(src, frame, len);
	switch_learn(src, e.src, now);
	if (sw.local && src->kind != PORT_HOST &&
	    sw.local(frame, len, now, switch_reply, src))
		return SWITCH_DONE;
	switch_forward(src, e.dst, to, frame, len);
	return SWITCH_DONE;
}

/**
 * switch_port_writable() - a port whose peer was full can take more
 * @p:		the port (its kind saw LOOP_OUT, or a retry timer fired)
 *
 * Writes its queue now; a port whose peer is gone is closed.
 */
void switch_port_writable(struct port *p)
{
	struct switch_port *s = switch_of(p);

	if (!p->open)
		return;
	if (switch_write(s) == PORT_TX_DEAD)
		port_close(p, "write failed");
}

/**
 * switch_flush() - write out the queues of every port that got frames
 *
 * Runs once per loop turn, before the loop sleeps (a loop hook). A port
 * whose write fails is closed here, after the batch. A blocked port is
 * written when its socket has room (its own event or timer).
 */
void switch_flush(void)
{
	struct switch_port *s;

	while ((s = sw.dirty)) {
		sw.dirty = s->next_dirty;
		s->next_dirty = NULL;
		s->dirty = false;
		if (s->port && switch_write(s) == PORT_TX_DEAD)
			port_close(s->port, "write failed");
	}
}

/**
 * switch_hook() - the loop's before-sleep hook
 * @h:		the hook
 */
static void switch_hook(struct loop_hook *h)
{
	switch_flush();
}

/**
 * switch_port_opened() - port.c hook: a port opened
 * @p:		the port
 */
static void switch_port_opened(struct port *p)
{
	struct switch_port *s = switch_of(p);

	memset(s, 0, sizeof(*s));
	s->port = p;
	s->wait.fn = switch_resume;
}

/**
 * switch_port_closing() - port.c hook: a port is closing
 * @p:		the port
 * @why:	the reason, for the log line
 *
 * Logs its counters; its learned addresses go stale at once; it leaves the
 * dirty and waiters lists and its waiters go on.
 */
static void switch_port_closing(struct port *p, const char *why)
{
	struct switch_port *s = switch_of(p), **pp;

	switch_log_port(p, "disconnected", why);
	fdb_port_gone(&sw.fdb, p->id);
	switch_unwait(s);
	switch_wake(s);
	loop_timer_cancel(&s->wait);
	if (s->dirty) {
		for (pp = &sw.dirty; *pp; pp = &(*pp)->next_dirty) {
			if (*pp == s) {
				*pp = s->next_dirty;
				break;
			}
		}
	}
	s->dirty = false;
	s->next_dirty = NULL;
	s->port = NULL;
}

/**
 * switch_init() - set up the switch for a port table
 * @max_ports:	number of port ids
 * @mac_age_s:	seconds an address stays learned without traffic
 * @guard:	the guard configuration (copied)
 *
 * Registers the switch with the port table (its hooks) and with the loop
 * (switch_flush() before every sleep).
 *
 * Return: 0 on success, -1 if out of memory
 */
int switch_init(unsigned int max_ports, unsigned int mac_age_s,
		const struct guard_conf *guard)
{
	static const struct port_hooks hooks = {
	    .opened = switch_port_opened,
	    .closing = switch_port_closing,
	};
	unsigned int entries = max_ports * 4u;

	if (entries < SWITCH_FDB_MIN)
		entries = SWITCH_FDB_MIN;
	memset(&sw, 0, sizeof(sw));
	sw.guard = *guard;
	sw.fwd_checks = guard->isolate || guard->nrules;
	sw.ports = calloc(max_ports, sizeof(*sw.ports));
	if (!sw.ports || fdb_init(&sw.fdb, entries, max_ports,
				  (uint64_t)mac_age_s * 1000u) < 0) {
		free(sw.ports);
		sw.ports = NULL;
		return -1;
	}
	sw.nports = max_ports;
	port_set_hooks(&hooks);
	sw.hook.fn = switch_hook;
	loop_hook_add(&sw.hook);
	return 0;
}

/**
 * switch_fini() - free the switch (ports must be closed)
 */
void switch_fini(void)
{
	static const struct port_hooks none;

	loop_hook_del(&sw.hook);
	port_set_hooks(&none);
	fdb_free(&sw.fdb);
	free(sw.ports);
	sw.ports = NULL;
	sw.nports = 0;
}

/**
 * switch_set_local() - hand frames from VMs to a local service first
 * @fn:		the service (the gateway), or NULL for none
 */
void switch_set_local(switch_local_fn fn)
{
	sw.local = fn;
}

/**
 * switch_reserve_mac() - keep VM ports from binding to a MAC
 * @mac:	the host side's or the gateway's address
 */
void switch_reserve_mac(const uint8_t mac[6])
{
	if (sw.nreserved < SWITCH_MAX_RESERVED)
		memcpy(sw.reserved[sw.nreserved++], mac, PKT_ETH_ALEN);
}

/**
 * switch_reserve_ip6() - keep VMs from using or claiming an IPv6 address
 * @ip6:	an address of the host side or the gateway (16 bytes)
 */
void switch_reserve_ip6(const uint8_t *ip6)
{
	if (sw.guard.ngw6 < GUARD_MAX_GW6)
		memcpy(sw.guard.gw6[sw.guard.ngw6++], ip6, PKT_IPV6_ALEN);
}

/**
 * switch_bind_mac() - bind a port to a MAC before it sends anything
 * @p:		an open port
 * @mac:	the VM's address (--fd=N,mac=MAC)
 */
void switch_bind_mac(struct port *p, const uint8_t mac[6])
{
	guard_port_bind(&switch_of(p)->guard, mac);
}

/**
 * switch_log_port() - log one line with a port's counters
 * @p:		the port
 * @what:	"disconnected", "status"...
 * @why:	reason or detail
 */
void switch_log_port(const struct port *p, const char *what, const char *why)
{
	char guard[512];

	log_info(
	    "port %u %s: %s (uid %ld pid %ld), %s; "
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
	    guard_format_drops(&switch_of(p)->guard, guard, sizeof(guard)));
}

/**
 * switch_log_status() - log the switch's counters and a line per port
 */
void switch_log_status(void)
{
	log_info(
	    "status: %u ports; unicast %llu, flooded %llu, local %llu, "
	    "bad source %llu, waits %llu; fdb learned %llu moved %llu "
	    "evicted %llu",
	    port_count(), (unsigned long long)sw.st.unicast,
	    (unsigned long long)sw.st.flooded, (unsigned long long)sw.st.local,
	    (unsigned long long)sw.st.bad_src, (unsigned long long)sw.st.waits,
	    (unsigned long long)sw.fdb.learned,
	    (unsigned long long)sw.fdb.moved,
	    (unsigned long long)sw.fdb.evicted);
	for (unsigned int i = 0; i < port_count(); i++)
		switch_log_port(port_active(i), "status", "open");
}

/**
 * switch_get_stats() - read the switch's counters
 *
 * Return: the counters
 */
const struct switch_stats *switch_get_stats(void)
{
	return &sw.st;
}

/**
 * switch_set_tap() - show every frame passing the switch to a function
 * @fn:		the tap (packet capture), or NULL for none
 *
 * The tap sees each frame a port hands the switch once, before the guards
 * (so it sees what they drop too), and each frame the local service sends.
 */
void switch_set_tap(switch_tap_fn fn)
{
	sw.tap = fn;
}

/**
 * switch_port_info() - read what the switch knows of a port
 * @p:		an open port
 * @out:	filled in
 */
void switch_port_info(const struct port *p, struct switch_port_info *out)
{
	const struct switch_port *s = switch_of(p);
	unsigned int n = s->nip4 < SWITCH_IP4_SEEN ? s->nip4 : SWITCH_IP4_SEEN;

	memset(out, 0, sizeof(*out));
	out->waits = s->waits;
	out->stalled = switch_stalled(s, loop_now());
	for (unsigned int i = 0; i < n; i++)
		out->ip4[i] = s->ip4[(s->nip4 - n + i) % SWITCH_IP4_SEEN];
	out->nip4 = n;
	n = s->nip6 < SWITCH_IP6_SEEN ? s->nip6 : SWITCH_IP6_SEEN;
	for (unsigned int i = 0; i < n; i++)
		memcpy(out->ip6[i], s->ip6[(s->nip6 - n + i) % SWITCH_IP6_SEEN],
		       PKT_IPV6_ALEN);
	out->nip6 = n;
}

/**
 * switch_get_fdb() - the forwarding database, for reading (fdb_next())
 *
 * Return: the table
 */
const struct fdb *switch_get_fdb(void)
{
	return &sw.fdb;
}
