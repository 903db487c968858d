/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ICMP echo responder (RFC 792, and RFC 4443 for ICMPv6) for the
 * gateway's addresses: an echo request
 * sent to the gateway gets an echo reply with the same identifier,
 * sequence number and data. Every other ICMP message is dropped.
 */
#include "icmp.h"

/**
 * icmp_src_ok() - tell whether an address may be answered
 * @a:	IPv4 source address of a request, host order
 *
 * Return: false for 0.0.0.0/8, loopback, multicast, reserved and the
 * limited broadcast address, which no reply may be sent to
 */
static bool icmp_src_ok(uint32_t a)
{
	uint8_t top = (uint8_t)(a >> 24);

	return top != 0 && top != 127 && top < 224;
}

/**
 * icmp_input() - answer an ICMP echo request sent to the gateway
 * @src_mac:	Ethernet source of the request (the reply goes there)
 * @ip:		the request's IPv4 datagram, already checked by
 *		pkt_ipv4_parse() and addressed to @gw_ip
 * @gw_ip:	the gateway's IPv4 address, host order
 * @gw_mac:	the gateway's MAC address
 * @out:	where the reply frame is written (from its current offset)
 *
 * The request's ICMP checksum must be right. The reply has a fresh
 * 20-byte IPv4 header (options of the request are not echoed), the
 * request's type of service, and new IPv4 and ICMP checksums.
 *
 * Return: 1 if a reply was written to @out, 0 if the datagram needs none
 * (another ICMP type, a source that cannot be answered), -1 if it is
 * malformed (truncated, bad checksum)
 */
int icmp_input(const uint8_t *src_mac, const struct pkt_ipv4 *ip,
	       uint32_t gw_ip, const uint8_t *gw_mac, struct pkt_wr *out)
{
	struct pkt_cur c;
	uint8_t type, code;
	const uint8_t *rest;
	size_t icmp_start;
	uint16_t sum;

	if (ip->proto != PKT_IPPROTO_ICMP || ip->dst != gw_ip)
		return 0;
	if (ip->payload_len < PKT_ICMP_HLEN ||
	    pkt_csum(ip->payload, ip->payload_len) != 0)
		return -1;
	pkt_cur_init(&c, ip->payload, ip->payload_len);
	if (!pkt_get_u8(&c, &type) || !pkt_get_u8(&c, &code) ||
	    !pkt_skip(&c, 2))
		return -1;
	if (type != PKT_ICMP_ECHO_REQUEST || code != 0)
		return 0;
	if (!icmp_src_ok(ip->src) || pkt_mac_is_group(src_mac))
		return 0;
	/* identifier, sequence number and data, echoed unchanged */
	if (!pkt_get_ptr(&c, pkt_left(&c), &rest))
		return -1;

	pkt_put_eth(out, src_mac, gw_mac, PKT_ETHERTYPE_IPV4);
	pkt_put_ipv4(out, gw_ip, ip->src, PKT_IPPROTO_ICMP, ip->tos,
		     ip->payload_len);
	icmp_start = out->off;
	pkt_put_u8(out, PKT_ICMP_ECHO_REPLY);
	pkt_put_u8(out, 0);
	pkt_put_u16(out, 0); /* checksum, filled in below */
	pkt_put_bytes(out, rest, ip->payload_len - 4);
	if (out->overflow)
		return 0;
	sum = pkt_csum(out->base + icmp_start, ip->payload_len);
	out->base[icmp_start + 2] = (uint8_t)(sum >> 8);
	out->base[icmp_start + 3] = (uint8_t)sum;
	return 1;
}

/**
 * icmp_input6() - answer an ICMPv6 echo request sent to the gateway
 * @src_mac:	Ethernet source of the request (the reply goes there)
 * @ip6:	the request's IPv6 packet, from pkt_ipv6_parse(), addressed
 *		to one of the gateway's addresses
 * @gw_mac:	the gateway's MAC address
 * @out:	where the reply frame is written (from its current offset)
 *
 * The request's checksum must be right. The reply comes from the address
 * the request was sent to, with the same identifier, sequence number and
 * data (RFC 4443 4.2).
 *
 * Return: 1 if a reply was written, 0 if none is due (another type, a
 * source that cannot be answered), -1 if the request is malformed
 */
int icmp_input6(const uint8_t *src_mac, const struct pkt_ipv6 *ip6,
		const uint8_t *gw_mac, struct pkt_wr *out)
{
	struct pkt_cur c;
	uint8_t type, code;
	const uint8_t *rest;
	size_t start;

	if (ip6->proto != PKT_IPPROTO_ICMPV6)
		return 0;
	pkt_cur_init(&c, ip6->payload, ip6->payload_len);
	if (ip6->payload_len < PKT_ICMP_HLEN || !pkt_get_u8(&c, &type) ||
	    !pkt_get_u8(&c, &code) || !pkt_skip(&c, 2) ||
	    pkt_icmp6_csum(ip6) != 0)
		return -1;
	if (type != PKT_ICMP6_ECHO_REQUEST || code != 0)
		return 0;
	if (pkt_ipv6_is_unspec(ip6->src) || pkt_ipv6_is_mcast(ip6->src) ||
	    pkt_mac_is_group(src_mac))
		return 0;
	if (!pkt_get_ptr(&c, pkt_left(&c), &rest))
		return -1;
	pkt_put_eth(out, src_mac, gw_mac, PKT_ETHERTYPE_IPV6);
	start = out->off;
	pkt_put_ipv6(out, ip6->dst, ip6->src, PKT_IPPROTO_ICMPV6,
		     ip6->payload_len);
	pkt_put_u8(out, PKT_ICMP6_ECHO_REPLY);
	pkt_put_u8(out, 0);
	pkt_put_u16(out, 0); /* checksum, below */
	pkt_put_bytes(out, rest, ip6->payload_len - PKT_ICMP6_HLEN);
	if (out->overflow ||
	    !pkt_icmp6_finish(out->base + start, out->off - start))
		return 0;
	return 1;
}
