/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The learning switch: what happens to every frame a port received, the
 * ports' life cycle as the switch sees it (MAC ownership, flow control,
 * the counters line), and the writing of queued output once per loop turn.
 */
#ifndef SWITCH_H
#define SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdb.h"
#include "guard.h"

struct port;

/**
 * struct switch_stats - counters of the switch as a whole
 * @unicast:	frames sent to one learned port
 * @flooded:	frames sent to every other port
 * @local:	frames dropped because their destination is behind the port
 *		they came from
 * @bad_src:	frames dropped for a group or zero source address
 * @waits:	times a source had to wait for a busy destination
 */
struct switch_stats {
	uint64_t unicast;
	uint64_t flooded;
	uint64_t local;
	uint64_t bad_src;
	uint64_t waits;
};

/* What switch_input() did with a frame */
enum switch_result {
	SWITCH_DONE = 0, /* forwarded, delivered to the gateway, or dropped */
	SWITCH_WAIT,	 /* not taken: its destination is busy; the port now
			  * waits and its ops->resume() will be called */
};

/**
 * switch_reply_fn - sends a frame back to the port that asked
 * @arg:	the argument the switch passed to the local service
 * @frame:	the frame, valid during the call only
 * @len:	its length
 */
typedef void (*switch_reply_fn)(void *arg, const uint8_t *frame, size_t len);

/**
 * switch_local_fn - a service on the switch itself (the gateway)
 * @frame:	a frame from a VM, after the guards
 * @len:	its length
 * @now_ms:	current time
 * @reply:	sends a frame back to the VM; must not be called after return
 * @arg:	passed to @reply
 *
 * Return: true if the frame was for the service alone and goes no further
 */
typedef bool (*switch_local_fn)(const uint8_t *frame, size_t len,
				uint64_t now_ms, switch_reply_fn reply,
				void *arg);

/* The ends of a frame as the tap sees them */
#define SWITCH_TAP_ALL	 (-1) /* destination: flooded to every other port */
#define SWITCH_TAP_LOCAL (-2) /* source: the local service (the gateway) */

/**
 * switch_tap_fn - sees every frame passing the switch (packet capture)
 * @src:	the port it came from, or SWITCH_TAP_LOCAL
 * @dst:	the learned port it goes to, or SWITCH_TAP_ALL
 * @frame:	the frame, valid during the call only
 * @len:	its length, at least an Ethernet header
 */
typedef void (*switch_tap_fn)(int src, int dst, const uint8_t *frame,
			      size_t len);

#define SWITCH_IP4_SEEN 4u /* IPv4 addresses remembered per port */
#define SWITCH_IP6_SEEN 4u /* IPv6 addresses remembered per port */

/**
 * struct switch_port_info - what the switch knows of a port, for reading
 * @waits:	times the port had to wait for a busy destination
 * @stalled:	its peer has taken nothing for a while (see switch.c)
 * @ip4:	IPv4 addresses it announced by ARP, host order, latest last
 * @nip4:	how many
 * @ip6:	IPv6 addresses it claimed by duplicate address detection,
 *		latest last
 * @nip6:	how many
 */
struct switch_port_info {
	uint64_t waits;
	bool stalled;
	uint32_t ip4[SWITCH_IP4_SEEN];
	unsigned int nip4;
	uint8_t ip6[SWITCH_IP6_SEEN][16];
	unsigned int nip6;
};

int switch_init(unsigned int max_ports, unsigned int mac_age_s,
		const struct guard_conf *guard);
void switch_fini(void);
void switch_set_local(switch_local_fn fn);
unsigned int switch_local_flood(const uint8_t *frame, size_t len);
void switch_reserve_mac(const uint8_t mac[6]);
void switch_reserve_ip6(const uint8_t *ip6);
void switch_bind_mac(struct port *p, const uint8_t mac[6]);
enum switch_result switch_input(struct port *src, const uint8_t *frame,
				size_t len);
void switch_port_writable(struct port *p);
bool switch_port_stalled(const struct port *p);
const struct guard_port *switch_port_guard(const struct port *p);
void switch_flush(void);
void switch_log_port(const struct port *p, const char *what, const char *why);
void switch_log_status(void);
const struct switch_stats *switch_get_stats(void);
void switch_set_tap(switch_tap_fn fn);
void switch_port_info(const struct port *p, struct switch_port_info *out);
const struct fdb *switch_get_fdb(void);

#endif /* SWITCH_H */
