/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Router advertisements (RFC 4861) for the VM network's /64: the gateway
 * as default router, the prefix for address autoconfiguration, the link
 * MTU and the DNS servers (RFC 8106).
 */
#ifndef RA_H
#define RA_H

#include <stdint.h>

#include "ndp.h"
#include "pkt.h"

#define RA_MAX_RDNSS	     3u
#define RA_INTERVAL_MS	     600000u /* MaxRtrAdvInterval's default */
#define RA_INITIAL_MS	     16000u  /* MAX_INITIAL_RTR_ADVERT_INTERVAL */
#define RA_INITIAL	     3u	     /* MAX_INITIAL_RTR_ADVERTISEMENTS */
#define RA_ROUTER_LIFETIME_S 1800u   /* 3 x the interval */
#define RA_VALID_S	     86400u  /* prefix valid lifetime */
#define RA_PREFERRED_S	     14400u  /* prefix preferred lifetime */

/**
 * struct ra_conf - what the gateway advertises
 * @gw:		its addresses (the source: link-local address and MAC)
 * @prefix:	the /64 prefix (16 bytes)
 * @mtu:	the link MTU; 0 sends no MTU option
 * @rdnss:	DNS servers
 * @nrdnss:	how many; 0 sends no RDNSS option
 */
struct ra_conf {
	struct ndp_addrs gw;
	uint8_t prefix[PKT_IPV6_ALEN];
	uint32_t mtu;
	uint8_t rdnss[RA_MAX_RDNSS][PKT_IPV6_ALEN];
	unsigned int nrdnss;
};

int ra_build(const struct ra_conf *c, const uint8_t *dst_mac,
	     const uint8_t *dst_ip, struct pkt_wr *out);
int ra_input(const uint8_t *src_mac, const struct pkt_ipv6 *ip6,
	     const struct pkt_nd *nd, const struct ra_conf *c,
	     struct pkt_wr *out);

#endif /* RA_H */
