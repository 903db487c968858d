/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DHCP_H
#define DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "gw.h"
#include "pkt.h"

#define DHCP_SERVER_PORT 67u
#define DHCP_CLIENT_PORT 68u

/**
 * enum dhcp_result - what dhcp_input() did with a datagram
 * @DHCP_NOT_MINE:	not UDP to the DHCP server port: someone else's
 * @DHCP_DROPPED:	a DHCP request that gets no answer (malformed,
 *			ignored, or nothing to offer)
 * @DHCP_REPLY:		a reply frame was written
 */
enum dhcp_result {
	DHCP_NOT_MINE = 0,
	DHCP_DROPPED,
	DHCP_REPLY,
};

int dhcp_init(const struct gw_conf *c, uint64_t now_ms, char *err,
	      size_t errlen);
enum dhcp_result dhcp_input(const struct pkt_ipv4 *ip, uint64_t now_ms,
			    struct pkt_wr *out);
uint64_t dhcp_tick(uint64_t now_ms);
void dhcp_note_in_use(uint32_t a, const uint8_t *mac, uint64_t now_ms);
int dhcp_reload_hosts(char *err, size_t errlen);
void dhcp_stats(struct gw_stats *s);
void dhcp_fini(uint64_t now_ms);

#endif /* DHCP_H */
