/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Neighbour discovery for the gateway's own IPv6 addresses (RFC 4861):
 * neighbour solicitations for them get advertisements.
 */
#ifndef NDP_H
#define NDP_H

#include <stdbool.h>
#include <stdint.h>

#include "pkt.h"

/**
 * struct ndp_addrs - the gateway's IPv6 identity
 * @mac:	its MAC, the link-layer address it answers with
 * @ll:		its link-local address, fe80::EUI-64 of @mac
 * @ula:	its address in the network's /64 (PREFIX::1)
 */
struct ndp_addrs {
	uint8_t mac[PKT_ETH_ALEN];
	uint8_t ll[PKT_IPV6_ALEN];
	uint8_t ula[PKT_IPV6_ALEN];
};

void ndp_addrs_init(struct ndp_addrs *a, const uint8_t *mac,
		    const uint8_t *prefix);
bool ndp_is_mine(const struct ndp_addrs *a, const uint8_t *ip6);
int ndp_input(const uint8_t *src_mac, const struct pkt_ipv6 *ip6,
	      const struct pkt_nd *nd, const struct ndp_addrs *a,
	      struct pkt_wr *out);

#endif /* NDP_H */
