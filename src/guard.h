/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guards: a verdict on (a port's guard state, a frame). Nothing here
 * knows ports, sockets or the switch; the switch binds ports to MACs,
 * counts and logs the drops, and acts on what guard_snoop() learns.
 */
#ifndef GUARD_H
#define GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

/**
 * enum guard_level - how strictly a VM is held to what it is
 */
enum guard_level {
	GUARD_OFF = 0, /* no checks */
	GUARD_MAC,     /* one source MAC per port, no impersonation */
	GUARD_STRICT,  /* as MAC, and IPv4 sources limited to the lease */
};

/**
 * enum guard_reason - the guard's verdict: pass, or why a frame is dropped
 */
enum guard_reason {
	GUARD_PASS = 0,	 /* the frame may go on */
	GUARD_R_SRC_MAC, /* source MAC is not the port's */
	GUARD_R_VLAN,	 /* VLAN tag without --allow-vlan */
	GUARD_R_ARP,	 /* malformed ARP or sender address not the port's */
	GUARD_R_GATEWAY, /* claims the gateway's IPv4 address */
	GUARD_R_DHCP_SERVER, /* DHCP or DHCPv6 server message */
	GUARD_R_RA,	     /* IPv6 router advertisement or redirect */
	GUARD_R_IP_SRC,	     /* strict: IPv4 source is not the port's */
	GUARD_R_DHCP_LIMIT,  /* too many DHCP clients on one port */
	GUARD_R_MALFORMED,   /* header too short to check */
	GUARD_R_ISOLATE,     /* --isolate: VM to VM */
	GUARD_R_BLOCKED,     /* --block/--allow rules */
	GUARD_R_MAC_TAKEN,   /* first source MAC belongs to another station */
	GUARD_R_DHCP_CHADDR, /* DHCP message for another client's MAC */
	GUARD_R_ND,	     /* spoofed or malformed neighbour discovery */
	GUARD_R_IP6_SRC,     /* strict: IPv6 source is not the port's */
	GUARD_R_IP6_TAKEN,   /* strict: claims an IPv6 address another port
			      * holds */
	GUARD_NREASONS,
};

#define GUARD_MAX_RULES	 64
#define GUARD_MAX_STATIC 256
#define GUARD_DHCP_KEYS	 8 /* largest --dhcp-clients */
#define GUARD_MAX_GW6	 4 /* IPv6 addresses of the gateway and host side */
#define GUARD_IP6	 8 /* IPv6 addresses one port holds (strict) */
#define GUARD_DHCP_ID                                                          \
	57 /* client identifier bytes compared (as dhcp.c keys leases) */

/**
 * struct guard_rule - one --allow or --block destination rule
 * @net:	network, host order
 * @plen:	prefix length
 * @allow:	true for --allow
 */
struct guard_rule {
	uint32_t net;
	unsigned int plen;
	bool allow;
};

/**
 * struct guard_static - a --static=MAC=IP binding
 * @mac:	the VM's MAC
 * @ip:		an address it may use, host order
 */
struct guard_static {
	uint8_t mac[6];
	uint32_t ip;
};

/**
 * struct guard_conf - guard settings from the command line
 * @level:	off, mac or strict
 * @allow_vlan:	let VLAN-tagged frames through
 * @isolate:	VMs reach the host side only, not each other
 * @gateway:	gateway address no VM may claim, host order (0: none)
 * @dhcp_clients: DHCP client identities allowed per port
 * @rules:	--allow/--block rules
 * @nrules:	how many
 * @statics:	--static bindings
 * @nstatics:	how many
 * @gw6:	IPv6 addresses of the gateway and the host side, which no VM
 *		may use or claim
 * @ngw6:	how many
 */
struct guard_conf {
	enum guard_level level;
	bool allow_vlan;
	bool isolate;
	uint32_t gateway;
	unsigned int dhcp_clients;
	struct guard_rule rules[GUARD_MAX_RULES];
	unsigned int nrules;
	struct guard_static statics[GUARD_MAX_STATIC];
	unsigned int nstatics;
	uint8_t gw6[GUARD_MAX_GW6][16];
	unsigned int ngw6;
};

/**
 * struct guard_port - what the guard knows about one port
 * @bound:	@mac is set
 * @mac:	the only source MAC the port may use
 * @lease:	IPv4 address the DHCP server gave the port (host order, 0 none)
 * @dhcp_ids:	DHCP client identifiers seen on the port (cut to GUARD_DHCP_ID;
 *		length 0 stands for "none, the MAC alone")
 * @dhcp_idlen:	their lengths
 * @ndhcp:	how many
 * @ip6:	strict: IPv6 addresses the port claimed first by duplicate
 *		address detection, a ring
 * @nip6:	how many were claimed, kept below 2 * GUARD_IP6 once the
 *		ring is full (the ring holds the last GUARD_IP6)
 * @drops:	frames dropped, by reason (counted by the switch)
 * @log:	rate limit of the port's drop log lines (the switch's)
 */
struct guard_port {
	bool bound;
	uint8_t mac[6];
	uint32_t lease;
	uint8_t dhcp_ids[GUARD_DHCP_KEYS][GUARD_DHCP_ID];
	uint8_t dhcp_idlen[GUARD_DHCP_KEYS];
	unsigned int ndhcp;
	uint8_t ip6[GUARD_IP6][16];
	unsigned int nip6;
	uint64_t drops[GUARD_NREASONS];
	struct log_limit log;
};

void guard_port_bind(struct guard_port *g, const uint8_t mac[6]);
enum guard_reason guard_check(const struct guard_conf *c, struct guard_port *g,
			      const uint8_t *frame, size_t len);
enum guard_reason guard_forward(const struct guard_conf *c, bool from_vm,
				bool to_vm, const uint8_t *frame, size_t len);
uint32_t guard_snoop(const struct guard_conf *c, struct guard_port *g,
		     const uint8_t *frame, size_t len);
const uint8_t *guard_dad_target(const uint8_t *frame, size_t len);
bool guard_holds6(const struct guard_port *g, const uint8_t *ip6);
enum guard_reason guard_claim6(const struct guard_conf *c, struct guard_port *g,
			       const uint8_t *target, bool held);
const char *guard_reason_name(enum guard_reason r);
const char *guard_reason_key(enum guard_reason r);
const char *guard_format_drops(const struct guard_port *g, char *buf,
			       size_t len);
int guard_parse_cidr(const char *text, struct guard_rule *r);
bool guard_rules_allow(const struct guard_rule *rules, unsigned int n,
		       uint32_t dst);

#endif /* GUARD_H */
