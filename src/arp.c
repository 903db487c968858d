/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ARP responder (RFC 826) for the gateway address: a request that asks
 * who has the gateway's IPv4 address gets a reply naming the gateway's MAC
 * address. Nothing is learned from requests and every other ARP packet is
 * left alone; the switch forwards them as usual.
 */
#include <string.h>

#include "arp.h"

/**
 * arp_input() - answer an ARP request for the gateway
 * @frame:	the Ethernet frame, header included
 * @len:	its length
 * @ip:		the gateway's IPv4 address, host order
 * @mac:	the gateway's MAC address
 * @out:	where the reply frame is written (from its current offset)
 *
 * Only Ethernet/IPv4 requests (hardware type 1, protocol 0x0800, address
 * lengths 6 and 4) whose target is @ip are answered. Requests whose sender
 * claims @ip, or whose sender hardware address is a group address, are
 * ignored. Probes (sender address 0.0.0.0) are answered, which is how a
 * guest learns the gateway address is taken.
 *
 * Return: 1 if a reply was written to @out, 0 if the frame needs none,
 * -1 if it is not a well-formed Ethernet/IPv4 ARP packet
 */
int arp_input(const uint8_t *frame, size_t len, uint32_t ip, const uint8_t *mac,
	      struct pkt_wr *out)
{
	struct pkt_cur c;
	uint16_t type, htype, ptype, op;
	uint8_t hlen, plen;
	const uint8_t *sha, *tha;
	uint32_t spa, tpa;
	size_t start;

	pkt_cur_init(&c, frame, len);
	if (!pkt_skip(&c, 2 * PKT_ETH_ALEN) || !pkt_get_u16(&c, &type) ||
	    type != PKT_ETHERTYPE_ARP)
		return -1;
	if (!pkt_get_u16(&c, &htype) || !pkt_get_u16(&c, &ptype) ||
	    !pkt_get_u8(&c, &hlen) || !pkt_get_u8(&c, &plen) ||
	    !pkt_get_u16(&c, &op) || !pkt_get_ptr(&c, PKT_ETH_ALEN, &sha) ||
	    !pkt_get_u32(&c, &spa) || !pkt_get_ptr(&c, PKT_ETH_ALEN, &tha) ||
	    !pkt_get_u32(&c, &tpa))
		return -1;
	if (htype != PKT_ARP_HTYPE_ETHER || ptype != PKT_ETHERTYPE_IPV4 ||
	    hlen != PKT_ETH_ALEN || plen != 4)
		return -1;
	(void)tha;
	if (op != PKT_ARP_OP_REQUEST || tpa != ip || spa == ip ||
	    pkt_mac_is_group(sha))
		return 0;

	start = out->off;
	pkt_put_eth(out, sha, mac, PKT_ETHERTYPE_ARP);
	pkt_put_u16(out, PKT_ARP_HTYPE_ETHER);
	pkt_put_u16(out, PKT_ETHERTYPE_IPV4);
	pkt_put_u8(out, PKT_ETH_ALEN);
	pkt_put_u8(out, 4);
	pkt_put_u16(out, PKT_ARP_OP_REPLY);
	pkt_put_bytes(out, mac, PKT_ETH_ALEN);
	pkt_put_u32(out, ip);
	pkt_put_bytes(out, sha, PKT_ETH_ALEN);
	pkt_put_u32(out, spa);
	if (out->off - start < PKT_ETH_MIN_FRAME && !out->overflow)
		pkt_put_zero(out, PKT_ETH_MIN_FRAME - (out->off - start));
	return out->overflow ? 0 : 1;
}
