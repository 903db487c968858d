/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ICMP_H
#define ICMP_H

#include <stdint.h>

#include "pkt.h"

int icmp_input(const uint8_t *src_mac, const struct pkt_ipv4 *ip,
	       uint32_t gw_ip, const uint8_t *gw_mac, struct pkt_wr *out);

int icmp_input6(const uint8_t *src_mac, const struct pkt_ipv6 *ip6,
		const uint8_t *gw_mac, struct pkt_wr *out);

#endif /* ICMP_H */
