/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SWITCH_H
#define SWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fdb.h"

struct port;

/**
 * struct switch_stats - counters of the switch as a whole
 * @unicast:	frames sent to one learned port
 * @flooded:	frames sent to every other port
 * @local:	frames dropped because their destination is behind the port
 *		they came from
 * @bad_src:	frames dropped for a group or zero source address
 */
struct switch_stats {
	uint64_t unicast;
	uint64_t flooded;
	uint64_t local;
	uint64_t bad_src;
};

/* What switch_input() did with a frame */
enum switch_result {
	SWITCH_DONE = 0, /* forwarded, delivered to the gateway, or dropped */
	SWITCH_WAIT,	 /* not taken: its destination is busy; the port now
			  * waits and its ops->resume() will be called */
};

int switch_init(unsigned int max_ports, unsigned int mac_age_s);
void switch_set_gateway(bool on);
void switch_set_guard(bool forward_checks, bool snoop);
void switch_fini(void);
enum switch_result switch_input(struct port *src, const uint8_t *frame,
				size_t len);
void switch_tx_done(struct port *p, bool blocked, bool progressed);
bool switch_port_stalled(const struct port *p);
void switch_flush(void);
void switch_port_gone(struct port *p);
const struct switch_stats *switch_get_stats(void);
const struct fdb *switch_get_fdb(void);

#endif /* SWITCH_H */
