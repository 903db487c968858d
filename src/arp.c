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
	struct pkt_eth e;
	struct pkt_arp a;
	size_t start;

	if (!pkt_eth_parse(frame, len, &e) || e.type != PKT_ETHERTYPE_ARP ||
	    !pkt_arp_parse(e.payload, e.payload_len, &a))
		return -1;
	if (a.op != PKT_ARP_OP_REQUEST || a.tpa != ip || a.spa == ip ||
	    pkt_mac_is_group(a.sha))
		return 0;

	start = out->off;
	pkt_put_eth(out, a.sha, mac, PKT_ETHERTYPE_ARP);
	pkt_put_u16(out, PKT_ARP_HTYPE_ETHER);
	pkt_put_u16(out, PKT_ETHERTYPE_IPV4);
	pkt_put_u8(out, PKT_ETH_ALEN);
	pkt_put_u8(out, 4);
	pkt_put_u16(out, PKT_ARP_OP_REPLY);
	pkt_put_bytes(out, mac, PKT_ETH_ALEN);
	pkt_put_u32(out, ip);
	pkt_put_bytes(out, a.sha, PKT_ETH_ALEN);
	pkt_put_u32(out, a.spa);
	if (out->off - start < PKT_ETH_MIN_FRAME && !out->overflow)
		pkt_put_zero(out, PKT_ETH_MIN_FRAME - (out->off - start));
	return out->overflow ? 0 : 1;
}
