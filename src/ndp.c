/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Neighbour advertisements for the gateway's own addresses: a neighbour
 * solicitation (already checked by pkt_nd_parse()) whose target is the
 * gateway's link-local or unique local address gets a solicited, override
 * advertisement with the router flag and the gateway's MAC, sent back to
 * the asker; one from the unspecified address (another node's duplicate
 * address detection for our address) gets an unsolicited one to all
 * nodes, which defends the address. Nothing else is answered.
 */
#include <string.h>

#include "ndp.h"

/**
 * ndp_addrs_init() - the gateway's IPv6 addresses from its MAC and prefix
 * @a:		filled in
 * @mac:	the gateway's MAC
 * @prefix:	the network's /64 prefix (16 bytes)
 */
void ndp_addrs_init(struct ndp_addrs *a, const uint8_t *mac,
		    const uint8_t *prefix)
{
	static const uint8_t ll[8] = {0xfe, 0x80};

	memcpy(a->mac, mac, PKT_ETH_ALEN);
	pkt_ipv6_eui64(ll, mac, a->ll);
	memcpy(a->ula, prefix, 8);
	memset(a->ula + 8, 0, 8);
	a->ula[15] = 1;
}

/**
 * ndp_is_mine() - tell whether an address is one of the gateway's
 * @a:		the gateway's addresses
 * @ip6:	the address (16 bytes)
 *
 * Return: true for its link-local or unique local address
 */
bool ndp_is_mine(const struct ndp_addrs *a, const uint8_t *ip6)
{
	return !memcmp(ip6, a->ll, PKT_IPV6_ALEN) ||
	       !memcmp(ip6, a->ula, PKT_IPV6_ALEN);
}

/**
 * ndp_input() - answer a neighbour solicitation for the gateway
 * @src_mac:	Ethernet source of the solicitation
 * @ip6:	its IPv6 packet
 * @nd:		the message, from pkt_nd_parse()
 * @a:		the gateway's addresses
 * @out:	where the advertisement is written (from its current offset)
 *
 * RFC 4861 7.1.1: a solicitation from the unspecified address must go to
 * a solicited-node group and carry no source link-layer option. The
 * answer goes back to the Ethernet source (the switch hands it to the
 * asking port only), not to a source link-layer option that may name
 * another station.
 *
 * Return: 1 if an advertisement was written, 0 if none is due, -1 for a
 * solicitation that breaks those rules
 */
int ndp_input(const uint8_t *src_mac, const struct pkt_ipv6 *ip6,
	      const struct pkt_nd *nd, const struct ndp_addrs *a,
	      struct pkt_wr *out)
{
	bool dad = pkt_ipv6_is_unspec(ip6->src);
	const uint8_t *dst_ip = dad ? pkt_ipv6_all_nodes : ip6->src;
	uint8_t dst_mac[PKT_ETH_ALEN];
	size_t start;

	if (nd->type != PKT_ICMP6_NS || !ndp_is_mine(a, nd->target))
		return 0;
	if (dad && (nd->lladdr || !pkt_ipv6_is_mcast(ip6->dst)))
		return -1;
	if (dad) {
		pkt_ipv6_mcast_mac(pkt_ipv6_all_nodes, dst_mac);
	} else {
		memcpy(dst_mac, src_mac, PKT_ETH_ALEN);
		if (pkt_mac_is_group(dst_mac))
			return 0;
	}
	pkt_put_eth(out, dst_mac, a->mac, PKT_ETHERTYPE_IPV6);
	start = out->off;
	pkt_put_ipv6(out, nd->target, dst_ip, PKT_IPPROTO_ICMPV6,
		     PKT_ICMP6_HLEN + PKT_ND_NA_LEN + 8);
	pkt_put_u8(out, PKT_ICMP6_NA);
	pkt_put_u8(out, 0);
	pkt_put_u16(out, 0); /* checksum, below */
	pkt_put_u32(out, PKT_ND_NA_ROUTER | PKT_ND_NA_OVERRIDE |
			     (dad ? 0 : PKT_ND_NA_SOLICITED));
	pkt_put_bytes(out, nd->target, PKT_IPV6_ALEN);
	pkt_put_u8(out, PKT_ND_OPT_TLLA);
	pkt_put_u8(out, 1);
	pkt_put_bytes(out, a->mac, PKT_ETH_ALEN);
	if (out->overflow ||
	    !pkt_icmp6_finish(out->base + start, out->off - start))
		return 0;
	return 1;
}
