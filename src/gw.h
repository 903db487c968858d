/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's built-in network services: a DHCPv4 server, and for
 * networks with no host interface (isolated mode) an ARP and ICMP echo
 * responder for the gateway address. Frames in, frames out: the switch
 * hands every frame a VM sends to gw_input() and forwards the replies that
 * come back through the send callback like frames from any other port.
 */
#ifndef GW_H
#define GW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define GW_MAX_DNS	      3u
#define GW_DEFAULT_LEASE_SECS 600u /* 10 minutes */
#define GW_MIN_LEASE_SECS     10u
#define GW_MAX_LEASE_SECS     31536000u /* one year */
#define GW_MAX_POOL	      65536u	/* addresses one server hands out */
#define GW_DHCP_TYPES	      9u	/* DHCP message types 1..8, 0 unused */

/**
 * struct gw_conf - configuration of the gateway services
 * @gateway:	the gateway's IPv4 address (network order); also the DHCP
 *		server identifier and the router handed out
 * @mask:	subnet mask (network order); 0 means 255.255.255.0
 * @dhcp_first:	first address handed out (network order); 0 means gateway+1
 * @dhcp_last:	last address handed out (network order); 0 means the last
 *		address below the subnet broadcast
 * @mac:	the gateway's MAC address, source of every frame it sends
 * @mtu:	DHCP option 26 (interface MTU); 0 means do not send it
 * @dns:	DNS servers handed out (network order)
 * @ndns:	how many of @dns are used; 0 sends no option 6
 * @lease_secs:	lease time; 0 means GW_DEFAULT_LEASE_SECS
 * @dhcp:	serve DHCP (false for --vmnet-disable-dhcp)
 * @responder:	answer ARP and ICMP echo for @gateway and swallow every frame
 *		sent to @mac (isolated mode, where no host interface holds the
 *		gateway address); false when a host interface answers them
 * @hosts_file:	bootptab file of reservations, or NULL
 * @lease_file:	file the leases are kept in across restarts, or NULL
 * @max_leases:	most addresses managed; 0 means the size of the range,
 *		at most GW_MAX_POOL
 * @pending:	optional: called when a lease file write had to be put off
 *		(writes are at most once a second); gw_tick() is then due
 * @dhcp_clients: most addresses one MAC holds at once (--dhcp-clients);
 *		0 for no bound
 * @ipv6:	send router advertisements for @prefix6 (and, with
 *		@responder, answer neighbour solicitations and ICMPv6 echo
 *		for the gateway's IPv6 addresses)
 * @prefix6:	the network's /64 prefix (16 bytes, the low 64 bits zero)
 * @dns6:	IPv6 DNS servers advertised (RDNSS)
 * @ndns6:	how many of @dns6 are used
 * @flood:	with @ipv6: sends a frame of the gateway's own to every VM
 *		and returns how many ports it was queued to
 *
 * Addresses outside @dhcp_first..@dhcp_last are never handed out except to
 * the clients they are reserved for in @hosts_file.
 */
struct gw_conf {
	struct in_addr gateway;
	struct in_addr mask;
	struct in_addr dhcp_first;
	struct in_addr dhcp_last;
	uint8_t mac[6];
	uint16_t mtu;
	struct in_addr dns[GW_MAX_DNS];
	unsigned int ndns;
	uint32_t lease_secs;
	bool dhcp;
	bool responder;
	const char *hosts_file;
	const char *lease_file;
	unsigned int max_leases;
	void (*pending)(void);
	unsigned int dhcp_clients;
	bool ipv6;
	uint8_t prefix6[16];
	struct in6_addr dns6[GW_MAX_DNS];
	unsigned int ndns6;
	unsigned int (*flood)(const uint8_t *frame, size_t len);
};

/**
 * struct gw_stats - counters since gw_init()
 * @dhcp_rx:		DHCP requests answered or not, by message type (1..8)
 * @dhcp_offer:		DHCPOFFERs sent
 * @dhcp_ack:		DHCPACKs sent (INFORM answers included)
 * @dhcp_nak:		DHCPNAKs sent
 * @dhcp_malformed:	DHCP packets dropped because they could not be parsed
 * @dhcp_ignored:	well-formed DHCP packets that got no answer (for
 *			another server, unknown client, relayed...)
 * @dhcp_no_address:	DISCOVERs left unanswered because no address was free
 * @lease_writes:	lease file writes
 * @lease_write_errors:	lease file writes that failed
 * @arp_replies:	ARP replies sent
 * @icmp_replies:	ICMP echo replies sent
 * @malformed:		ARP, IPv4 or ICMP frames for the gateway dropped as
 *			malformed (bad lengths, checksums, fragments...)
 * @ra_sent:		router advertisements sent (periodic and solicited)
 * @na_sent:		neighbour advertisements sent for the gateway
 * @icmp6_replies:	ICMPv6 echo replies sent
 * @nd_malformed:	neighbour discovery or ICMPv6 messages for the gateway
 *			dropped as malformed
 */
struct gw_stats {
	uint64_t dhcp_rx[GW_DHCP_TYPES];
	uint64_t dhcp_offer;
	uint64_t dhcp_ack;
	uint64_t dhcp_nak;
	uint64_t dhcp_malformed;
	uint64_t dhcp_ignored;
	uint64_t dhcp_no_address;
	uint64_t lease_writes;
	uint64_t lease_write_errors;
	uint64_t arp_replies;
	uint64_t icmp_replies;
	uint64_t malformed;
	uint64_t ra_sent;
	uint64_t na_sent;
	uint64_t icmp6_replies;
	uint64_t nd_malformed;
};

/**
 * gw_send_fn - receives a frame the gateway sends
 * @arg:	the argument given to gw_input()
 * @frame:	the Ethernet frame, valid only during the call
 * @len:	its length
 */
typedef void (*gw_send_fn)(void *arg, const uint8_t *frame, size_t len);

int gw_init(const struct gw_conf *c, uint64_t now_ms, char *err, size_t errlen);
bool gw_input(const uint8_t *frame, size_t len, uint64_t now_ms,
	      gw_send_fn send, void *arg);
uint64_t gw_tick(uint64_t now_ms);
int gw_reload_hosts(char *err, size_t errlen);
void gw_stats(struct gw_stats *s);
void gw_fini(uint64_t now_ms);

#endif /* GW_H */
