/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VM network's IPv4 plan: what the network is attached to on the host
 * side (the mode), the default subnet of each mode, and every check of the
 * addressing (netmask, gateway, DHCP range, pool size). The command line,
 * the gateway services and the host-side backends all ask here, so one
 * plan is accepted or refused the same way everywhere.
 */
#ifndef NET_H
#define NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#define NET_DEFAULT_MASK   0xffffff00u /* 255.255.255.0 */
#define NET_SHARED_GATEWAY 0xc0a86901u /* 192.168.105.1, Lima's shared net */
#define NET_HOST_GATEWAY   0xc0a86a01u /* 192.168.106.1, Lima's host net */

/**
 * enum net_mode - what the network is attached to on the host side
 */
enum net_mode {
	NET_MODE_SHARED = 0, /* upstream default */
	NET_MODE_HOST,
	NET_MODE_BRIDGED,
	NET_MODE_ISOLATED, /* VMs see only each other */
};

#define NET_MODE_BIT(m) (1u << (m))

/**
 * struct net_plan - the IPv4 addressing of the VM network, host order
 * @gateway:	the host's (or the built-in gateway's) address
 * @mask:	netmask
 * @dhcp_first:	first address DHCP hands out (normally @gateway + 1)
 * @dhcp_last:	last address DHCP hands out
 * @last_is_default: @dhcp_last was derived, not given (messages say so)
 */
struct net_plan {
	uint32_t gateway;
	uint32_t mask;
	uint32_t dhcp_first;
	uint32_t dhcp_last;
	bool last_is_default;
};

/**
 * enum net_words - how error messages name the parts of a plan
 * @NET_WORDS_OPTIONS:	as the command line does ("--vmnet-gateway=IP")
 * @NET_WORDS_PLAIN:	in plain words ("gateway IP"), for callers that
 *			were handed a plan by a program
 */
enum net_words {
	NET_WORDS_OPTIONS,
	NET_WORDS_PLAIN,
};

const char *net_mode_name(enum net_mode mode);
int net_mode_parse(const char *text, enum net_mode *mode);
void net_plan_init(struct net_plan *p, uint32_t gateway);
bool net_mode_default(enum net_mode mode, struct in_addr *gateway,
		      struct in_addr *mask, struct in_addr *dhcp_end);
uint32_t net_broadcast(uint32_t addr, uint32_t mask);
int net_check_mode(enum net_mode mode, const char *interface, bool have_gateway,
		   char *err, size_t errlen);
int net_check_mask(uint32_t mask, enum net_words words, char *err,
		   size_t errlen);
int net_check_subnet(uint32_t gateway, uint32_t mask, enum net_words words,
		     char *err, size_t errlen);
int net_check_range(const struct net_plan *p, enum net_words words, char *err,
		    size_t errlen);
int net_check_plan(const struct net_plan *p, enum net_words words, char *err,
		   size_t errlen);
unsigned int net_pool_size(const struct net_plan *p, unsigned int max_leases,
			   unsigned int limit);

void net_ipv6_prefix(uint32_t gateway, uint32_t mask, uint8_t out[16]);

#endif /* NET_H */
