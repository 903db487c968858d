/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Router advertisements: one message for the network's /64, built into
 * the caller's writer. gw.c sends it to all nodes at RA_INITIAL_MS, then
 * RA_INTERVAL_MS intervals, and in answer to a router solicitation
 * (ra_input(), already checked by pkt_nd_parse()) straight to the asker.
 * The message names the gateway as default router (router lifetime
 * RA_ROUTER_LIFETIME_S), carries its link-layer address, the prefix with
 * the on-link and autonomous flags (SLAAC; no DHCPv6: M and O clear), the
 * MTU, and the DNS servers when there are any.
 */
#include <string.h>

#include "ra.h"

/**
 * ra_build() - write a router advertisement
 * @c:		what to advertise
 * @dst_mac:	Ethernet destination
 * @dst_ip:	IPv6 destination (all nodes, or the soliciting host)
 * @out:	where the frame is written (from its current offset)
 *
 * Return: 1 if the frame was written, 0 if it did not fit
 */
int ra_build(const struct ra_conf *c, const uint8_t *dst_mac,
	     const uint8_t *dst_ip, struct pkt_wr *out)
{
	size_t len = PKT_ICMP6_HLEN + PKT_ND_RA_LEN + 8 + PKT_ND_PREFIX_LEN;
	size_t start;

	if (c->mtu)
		len += 8;
	if (c->nrdnss)
		len += 8 + PKT_IPV6_ALEN * c->nrdnss;
	pkt_put_eth(out, dst_mac, c->gw.mac, PKT_ETHERTYPE_IPV6);
	start = out->off;
	pkt_put_ipv6(out, c->gw.ll, dst_ip, PKT_IPPROTO_ICMPV6, len);
	pkt_put_u8(out, PKT_ICMP6_RA);
	pkt_put_u8(out, 0);
	pkt_put_u16(out, 0); /* checksum, below */
	pkt_put_u8(out, 64); /* hop limit for the hosts */
	pkt_put_u8(out, 0);  /* M, O: no DHCPv6 */
	pkt_put_u16(out, RA_ROUTER_LIFETIME_S);
	pkt_put_u32(out, 0); /* reachable time: unspecified */
	pkt_put_u32(out, 0); /* retransmission timer: unspecified */
	pkt_put_u8(out, PKT_ND_OPT_SLLA);
	pkt_put_u8(out, 1);
	pkt_put_bytes(out, c->gw.mac, PKT_ETH_ALEN);
	if (c->mtu) {
		pkt_put_u8(out, PKT_ND_OPT_MTU);
		pkt_put_u8(out, 1);
		pkt_put_u16(out, 0);
		pkt_put_u32(out, c->mtu);
	}
	pkt_put_u8(out, PKT_ND_OPT_PREFIX);
	pkt_put_u8(out, PKT_ND_PREFIX_LEN / 8);
	pkt_put_u8(out, 64);
	pkt_put_u8(out, PKT_ND_PREFIX_ONLINK | PKT_ND_PREFIX_AUTO);
	pkt_put_u32(out, RA_VALID_S);
	pkt_put_u32(out, RA_PREFERRED_S);
	pkt_put_u32(out, 0);
	pkt_put_bytes(out, c->prefix, 8);
	pkt_put_zero(out, 8);
	if (c->nrdnss) {
		pkt_put_u8(out, PKT_ND_OPT_RDNSS);
		pkt_put_u8(out, (uint8_t)(1 + 2 * c->nrdnss));
		pkt_put_u16(out, 0);
		pkt_put_u32(out, RA_ROUTER_LIFETIME_S);
		for (unsigned int i = 0; i < c->nrdnss; i++)
			pkt_put_bytes(out, c->rdnss[i], PKT_IPV6_ALEN);
	}
	if (out->overflow ||
	    !pkt_icmp6_finish(out->base + start, out->off - start))
		return 0;
	return 1;
}

/**
 * ra_input() - answer a router solicitation
 * @src_mac:	Ethernet source of the solicitation
 * @ip6:	its IPv6 packet
 * @nd:		the message, from pkt_nd_parse()
 * @c:		what to advertise
 * @out:	where the advertisement is written
 *
 * RFC 4861 6.1.1: a solicitation from the unspecified address carries no
 * source link-layer option; the answer then goes to all nodes.
 *
 * Return: 1 if an advertisement was written, 0 if none is due, -1 for a
 * solicitation that breaks that rule
 */
int ra_input(const uint8_t *src_mac, const struct pkt_ipv6 *ip6,
	     const struct pkt_nd *nd, const struct ra_conf *c,
	     struct pkt_wr *out)
{
	uint8_t mac[PKT_ETH_ALEN];

	if (nd->type != PKT_ICMP6_RS)
		return 0;
	if (pkt_ipv6_is_unspec(ip6->src)) {
		if (nd->lladdr)
			return -1;
		pkt_ipv6_mcast_mac(pkt_ipv6_all_nodes, mac);
		return ra_build(c, mac, pkt_ipv6_all_nodes, out);
	}
	if (pkt_mac_is_group(src_mac))
		return 0;
	return ra_build(c, src_mac, ip6->src, out);
}
