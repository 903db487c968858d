/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DHCPv4 server of the VM network: the protocol. Client messages in
 * (through dhcpmsg.h), replies out; the addresses come from the pool
 * (dhcp_pool.h), the leases and reservations are kept in files
 * (dhcp_file.h). Addresses are host-order uint32_t values; times are the
 * caller's monotonic clock in milliseconds.
 */
#ifndef DHCP_H
#define DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "dhcp_pool.h"
#include "pkt.h"

#define DHCP_MAX_DNS	    3u	      /* DNS servers handed out */
#define DHCP_MAX_POOL	    65536u    /* addresses one server hands out */
#define DHCP_MAX_LEASE_SECS 31536000u /* one year */
#define DHCP_TYPES	    9u	      /* message types 1..8, 0 unused */

/**
 * struct dhcp_conf - configuration of the DHCP server, host order, checked
 * by the caller (a host address of its subnet for @gateway, a range inside
 * the subnet, a lease time)
 * @gateway:	the gateway's address: server identifier and router
 * @mask:	the subnet mask
 * @first:	first address handed out
 * @last:	last address handed out
 * @max_leases:	most addresses managed, from @first on; 0 means the whole
 *		range, at most DHCP_MAX_POOL
 * @mac:	the gateway's MAC address, source of the replies
 * @mtu:	option 26 (interface MTU); 0 means do not send it
 * @dns:	DNS servers handed out
 * @ndns:	how many of @dns are used; 0 sends no option 6
 * @lease_secs:	lease time
 * @hosts_file:	bootptab file of reservations, or NULL
 * @lease_file:	file the leases are kept in across restarts, or NULL
 * @pending:	optional: called when a lease file write had to be put off;
 *		dhcp_tick() is then due
 * @ids_per_mac: most addresses one MAC holds at once; 0 for no bound
 *
 * Addresses outside @first..@last are never handed out except to the
 * clients they are reserved for in @hosts_file.
 */
struct dhcp_conf {
	uint32_t gateway;
	uint32_t mask;
	uint32_t first;
	uint32_t last;
	unsigned int max_leases;
	uint8_t mac[PKT_ETH_ALEN];
	uint16_t mtu;
	uint32_t dns[DHCP_MAX_DNS];
	unsigned int ndns;
	uint32_t lease_secs;
	const char *hosts_file;
	const char *lease_file;
	void (*pending)(void);
	unsigned int ids_per_mac;
};

/**
 * struct dhcp_stats - counters since dhcp_init()
 * @rx:			client messages by type (1..8), answered or not
 * @offer:		DHCPOFFERs sent
 * @ack:		DHCPACKs sent (INFORM answers included)
 * @nak:		DHCPNAKs sent
 * @malformed:		messages dropped because they could not be parsed
 * @ignored:		well-formed messages that got no answer (for another
 *			server, unknown client, relayed...)
 * @no_address:		DISCOVERs left unanswered because no address was free
 * @lease_writes:	lease file writes
 * @lease_write_errors:	lease file writes that failed
 */
struct dhcp_stats {
	uint64_t rx[DHCP_TYPES];
	uint64_t offer;
	uint64_t ack;
	uint64_t nak;
	uint64_t malformed;
	uint64_t ignored;
	uint64_t no_address;
	uint64_t lease_writes;
	uint64_t lease_write_errors;
};

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

int dhcp_init(const struct dhcp_conf *c, uint64_t now_ms, char *err,
	      size_t errlen);
enum dhcp_result dhcp_input(const struct pkt_ipv4 *ip, uint64_t now_ms,
			    struct pkt_wr *out);
uint64_t dhcp_tick(uint64_t now_ms);
void dhcp_note_in_use(uint32_t a, const uint8_t *mac, uint64_t now_ms);
int dhcp_reload_hosts(char *err, size_t errlen);
void dhcp_stats(struct dhcp_stats *s);
bool dhcp_lease_next(uint32_t *pos, uint64_t now_ms,
		     struct dhcp_pool_info *out);
void dhcp_fini(uint64_t now_ms);

#endif /* DHCP_H */
