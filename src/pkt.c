/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packet helpers: bounds-checked reading and writing of big-endian fields,
 * the Internet checksum (RFC 1071), IPv4 header checking and the building
 * of Ethernet, IPv4 and UDP headers.
 *
 * Every reader returns false, and leaves the cursor where it was, when the
 * bytes it wants are not all there; it never touches memory outside the
 * window it was given. Writers behave the same way and set a sticky
 * overflow flag instead of returning, so a builder can write a whole
 * message and check once.
 */
#include <string.h>

#include "pkt.h"

/**
 * pkt_cur_init() - start reading a buffer
 * @c:		cursor to set up
 * @base:	first byte (may be NULL when @len is 0)
 * @len:	number of readable bytes
 */
void pkt_cur_init(struct pkt_cur *c, const uint8_t *base, size_t len)
{
	c->base = base;
	c->len = base ? len : 0;
	c->off = 0;
}

/**
 * pkt_left() - bytes not read yet
 * @c:	the cursor
 *
 * Return: number of bytes between the cursor and the end of its window
 */
size_t pkt_left(const struct pkt_cur *c)
{
	return c->len - c->off;
}

/**
 * pkt_get_ptr() - take @n bytes in place
 * @c:	the cursor
 * @n:	number of bytes
 * @p:	set to the first of them
 *
 * Return: true if all @n bytes were there (the cursor moves past them)
 */
bool pkt_get_ptr(struct pkt_cur *c, size_t n, const uint8_t **p)
{
	if (n > pkt_left(c))
		return false;
	*p = c->base + c->off;
	c->off += n;
	return true;
}

/**
 * pkt_skip() - move past @n bytes
 * @c:	the cursor
 * @n:	number of bytes
 *
 * Return: true if all @n bytes were there
 */
bool pkt_skip(struct pkt_cur *c, size_t n)
{
	if (n > pkt_left(c))
		return false;
	c->off += n;
	return true;
}

/**
 * pkt_get_bytes() - copy @n bytes out
 * @c:		the cursor
 * @dst:	where to copy them
 * @n:		number of bytes
 *
 * Return: true if all @n bytes were there
 */
bool pkt_get_bytes(struct pkt_cur *c, void *dst, size_t n)
{
	const uint8_t *p;

	if (!pkt_get_ptr(c, n, &p))
		return false;
	if (n)
		memcpy(dst, p, n);
	return true;
}

/**
 * pkt_get_u8() - read one byte
 * @c:	the cursor
 * @v:	the value read
 *
 * Return: true if the byte was there
 */
bool pkt_get_u8(struct pkt_cur *c, uint8_t *v)
{
	const uint8_t *p;

	if (!pkt_get_ptr(c, 1, &p))
		return false;
	*v = p[0];
	return true;
}

/**
 * pkt_get_u16() - read a big-endian 16-bit field
 * @c:	the cursor
 * @v:	the value read, host order
 *
 * Return: true if both bytes were there
 */
bool pkt_get_u16(struct pkt_cur *c, uint16_t *v)
{
	const uint8_t *p;

	if (!pkt_get_ptr(c, 2, &p))
		return false;
	*v = (uint16_t)(p[0] << 8 | p[1]);
	return true;
}

/**
 * pkt_get_u32() - read a big-endian 32-bit field
 * @c:	the cursor
 * @v:	the value read, host order
 *
 * Return: true if all four bytes were there
 */
bool pkt_get_u32(struct pkt_cur *c, uint32_t *v)
{
	const uint8_t *p;

	if (!pkt_get_ptr(c, 4, &p))
		return false;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
	     p[3];
	return true;
}

/**
 * pkt_wr_init() - start writing a buffer
 * @w:		writer to set up
 * @base:	first byte
 * @cap:	size of the buffer
 */
void pkt_wr_init(struct pkt_wr *w, uint8_t *base, size_t cap)
{
	w->base = base;
	w->cap = cap;
	w->off = 0;
	w->overflow = false;
}

/**
 * pkt_wr_room() - reserve room for @n bytes
 * @w:	the writer
 * @n:	number of bytes
 *
 * Return: where to write them, or NULL (and @w->overflow set) if they do
 * not fit
 */
static uint8_t *pkt_wr_room(struct pkt_wr *w, size_t n)
{
	uint8_t *p;

	if (w->overflow || n > w->cap - w->off) {
		w->overflow = true;
		return NULL;
	}
	p = w->base + w->off;
	w->off += n;
	return p;
}

/**
 * pkt_put_u8() - write one byte
 * @w:	the writer
 * @v:	the byte
 */
void pkt_put_u8(struct pkt_wr *w, uint8_t v)
{
	uint8_t *p = pkt_wr_room(w, 1);

	if (p)
		p[0] = v;
}

/**
 * pkt_put_u16() - write a 16-bit field big-endian
 * @w:	the writer
 * @v:	the value, host order
 */
void pkt_put_u16(struct pkt_wr *w, uint16_t v)
{
	uint8_t *p = pkt_wr_room(w, 2);

	if (p) {
		p[0] = (uint8_t)(v >> 8);
		p[1] = (uint8_t)v;
	}
}

/**
 * pkt_put_u32() - write a 32-bit field big-endian
 * @w:	the writer
 * @v:	the value, host order
 */
void pkt_put_u32(struct pkt_wr *w, uint32_t v)
{
	uint8_t *p = pkt_wr_room(w, 4);

	if (p) {
		p[0] = (uint8_t)(v >> 24);
		p[1] = (uint8_t)(v >> 16);
		p[2] = (uint8_t)(v >> 8);
		p[3] = (uint8_t)v;
	}
}

/**
 * pkt_put_bytes() - copy bytes in
 * @w:		the writer
 * @src:	the bytes
 * @n:		how many
 */
void pkt_put_bytes(struct pkt_wr *w, const void *src, size_t n)
{
	uint8_t *p = pkt_wr_room(w, n);

	if (p && n)
		memmove(p, src, n);
}

/**
 * pkt_put_zero() - write zero bytes
 * @w:	the writer
 * @n:	how many
 */
void pkt_put_zero(struct pkt_wr *w, size_t n)
{
	uint8_t *p = pkt_wr_room(w, n);

	if (p && n)
		memset(p, 0, n);
}

/**
 * pkt_csum_add() - add bytes to a running Internet checksum
 * @sum:	the sum so far (0 to start)
 * @data:	the bytes
 * @len:	how many; only the last piece of a checksum may be odd
 *
 * Return: the new sum, to pass to pkt_csum_add() or pkt_csum_fold()
 */
uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = sum;

	while (len >= 2) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

/**
 * pkt_csum_fold() - finish an Internet checksum
 * @sum:	the sum from pkt_csum_add()
 *
 * Return: the one's complement of the folded sum, host order, ready to be
 * written with pkt_put_u16() or compared with a field read by pkt_get_u16()
 */
uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/**
 * pkt_csum() - Internet checksum of a buffer
 * @data:	the bytes
 * @len:	how many
 *
 * Return: the checksum, host order; 0 when computed over bytes that
 * already hold a correct checksum
 */
uint16_t pkt_csum(const void *data, size_t len)
{
	return pkt_csum_fold(pkt_csum_add(0, data, len));
}

/**
 * pkt_mac_is_bcast() - tell whether a MAC address is ff:ff:ff:ff:ff:ff
 * @mac:	six bytes
 *
 * Return: true for the broadcast address
 */
bool pkt_mac_is_bcast(const uint8_t *mac)
{
	static const uint8_t bcast[PKT_ETH_ALEN] = {0xff, 0xff, 0xff,
						    0xff, 0xff, 0xff};

	return memcmp(mac, bcast, PKT_ETH_ALEN) == 0;
}

/**
 * pkt_mac_is_group() - tell whether a MAC address is multicast or broadcast
 * @mac:	six bytes
 *
 * Return: true if the group bit is set
 */
bool pkt_mac_is_group(const uint8_t *mac)
{
	return mac[0] & 1;
}

/**
 * pkt_eth_parse() - find the header and payload of an Ethernet frame
 * @frame:	the frame
 * @len:	its length
 * @e:		filled in on success
 *
 * Return: true if the frame holds a whole Ethernet header
 */
bool pkt_eth_parse(const uint8_t *frame, size_t len, struct pkt_eth *e)
{
	struct pkt_cur c;

	pkt_cur_init(&c, frame, len);
	if (!pkt_get_ptr(&c, PKT_ETH_ALEN, &e->dst) ||
	    !pkt_get_ptr(&c, PKT_ETH_ALEN, &e->src) ||
	    !pkt_get_u16(&c, &e->type))
		return false;
	e->payload_len = pkt_left(&c);
	return pkt_get_ptr(&c, e->payload_len, &e->payload);
}

/**
 * pkt_arp_parse() - read an ARP message for IPv4 over Ethernet
 * @p:		first byte of the ARP message (after the Ethernet header)
 * @len:	bytes available
 * @a:		filled in on success
 *
 * Return: true for a whole message with hardware type Ethernet, protocol
 * IPv4 and address lengths 6 and 4
 */
bool pkt_arp_parse(const uint8_t *p, size_t len, struct pkt_arp *a)
{
	struct pkt_cur c;
	uint16_t htype, ptype;
	uint8_t hlen, plen;

	pkt_cur_init(&c, p, len);
	if (!pkt_get_u16(&c, &htype) || !pkt_get_u16(&c, &ptype) ||
	    !pkt_get_u8(&c, &hlen) || !pkt_get_u8(&c, &plen) ||
	    !pkt_get_u16(&c, &a->op) ||
	    !pkt_get_ptr(&c, PKT_ETH_ALEN, &a->sha) ||
	    !pkt_get_u32(&c, &a->spa) ||
	    !pkt_get_ptr(&c, PKT_ETH_ALEN, &a->tha) ||
	    !pkt_get_u32(&c, &a->tpa))
		return false;
	return htype == PKT_ARP_HTYPE_ETHER && ptype == PKT_ETHERTYPE_IPV4 &&
	       hlen == PKT_ETH_ALEN && plen == 4;
}

/**
 * pkt_ipv4_header() - read an IPv4 header as the receiver would
 * @p:		first byte of the IPv4 header (after the Ethernet header)
 * @len:	bytes available from @p (Ethernet padding included)
 * @ip:		filled in on success
 * @frag:	filled with the fragment fields, may be NULL
 *
 * Checks the version, a header length of at least 20 bytes that fits, and a
 * total length that covers the header and fits in @len; the payload is cut
 * to the total length (padding after it is not the datagram's). Fragments
 * and header checksums are the caller's business.
 *
 * Return: true if the header is well formed
 */
bool pkt_ipv4_header(const uint8_t *p, size_t len, struct pkt_ipv4 *ip,
		     struct pkt_ipv4_frag *frag)
{
	struct pkt_cur c;
	uint8_t vihl, ttl;
	uint16_t total, id, fr, csum;
	size_t hlen;

	pkt_cur_init(&c, p, len);
	if (!pkt_get_u8(&c, &vihl) || !pkt_get_u8(&c, &ip->tos) ||
	    !pkt_get_u16(&c, &total) || !pkt_get_u16(&c, &id) ||
	    !pkt_get_u16(&c, &fr) || !pkt_get_u8(&c, &ttl) ||
	    !pkt_get_u8(&c, &ip->proto) || !pkt_get_u16(&c, &csum) ||
	    !pkt_get_u32(&c, &ip->src) || !pkt_get_u32(&c, &ip->dst))
		return false;
	hlen = (size_t)(vihl & 0x0f) * 4;
	if ((vihl >> 4) != 4 || hlen < PKT_IPV4_HLEN || total < hlen ||
	    total > len)
		return false;
	ip->hdr_len = hlen;
	ip->payload = p + hlen;
	ip->payload_len = total - hlen;
	if (frag) {
		frag->offset = (size_t)(fr & PKT_IPV4_OFFSET) * 8;
		frag->more = (fr & PKT_IPV4_MF) != 0;
	}
	return true;
}

/**
 * pkt_ipv4_parse() - check an IPv4 header and find the payload
 * @p:		first byte of the IPv4 header (after the Ethernet header)
 * @len:	bytes available from @p (Ethernet padding included)
 * @ip:		filled in on success
 *
 * As pkt_ipv4_header(), and also checks that the datagram is not a
 * fragment (no MF flag, offset 0) and the header checksum: what a service
 * that answers the datagram needs.
 *
 * Return: true if the datagram is acceptable
 */
bool pkt_ipv4_parse(const uint8_t *p, size_t len, struct pkt_ipv4 *ip)
{
	struct pkt_ipv4_frag frag;

	if (!pkt_ipv4_header(p, len, ip, &frag))
		return false;
	if (frag.more || frag.offset)
		return false;
	return pkt_csum(p, ip->hdr_len) == 0;
}

/**
 * pkt_ipv6_ext_len() - length of an IPv6 extension header
 * @nh:		its type
 * @c:		cursor at its first byte; not moved
 *
 * Return: its length in bytes, 0 if not even its first two bytes are there
 */
static size_t pkt_ipv6_ext_len(uint8_t nh, const struct pkt_cur *c)
{
	struct pkt_cur h = *c;
	uint8_t next, hlen;

	if (!pkt_get_u8(&h, &next) || !pkt_get_u8(&h, &hlen))
		return 0;
	if (nh == PKT_IPPROTO_FRAGMENT)
		return 8;
	if (nh == PKT_IPPROTO_AH)
		return ((size_t)hlen + 2) * 4;
	return ((size_t)hlen + 1) * 8;
}

/**
 * pkt_ipv6_is_ext() - tell whether a next header is an extension header
 * @nh:		next header value
 *
 * Return: true for hop-by-hop, routing, fragment, AH and destination options
 */
static bool pkt_ipv6_is_ext(uint8_t nh)
{
	return nh == PKT_IPPROTO_HOPOPTS || nh == PKT_IPPROTO_ROUTING ||
	       nh == PKT_IPPROTO_FRAGMENT || nh == PKT_IPPROTO_AH ||
	       nh == PKT_IPPROTO_DSTOPTS;
}

/**
 * pkt_ipv6_parse() - check an IPv6 header and walk its extension headers
 * @p:		first byte of the IPv6 header (after the Ethernet header)
 * @len:	bytes available from @p (Ethernet padding included)
 * @ip6:	filled in on success
 *
 * Follows at most PKT_IPV6_MAX_EXT extension headers. A first fragment must
 * hold the whole chain (RFC 7112); a later fragment stops the walk with
 * @ip6->later_fragment set and no upper-layer header.
 *
 * Return: true if the header and the chain are well formed and complete
 */
bool pkt_ipv6_parse(const uint8_t *p, size_t len, struct pkt_ipv6 *ip6)
{
	struct pkt_cur c;
	uint32_t vtf;
	uint16_t plen;
	uint8_t nh;

	pkt_cur_init(&c, p, len);
	if (!pkt_get_u32(&c, &vtf) || (vtf >> 28) != 6 ||
	    !pkt_get_u16(&c, &plen) || !pkt_get_u8(&c, &nh) ||
	    !pkt_get_u8(&c, &ip6->hop_limit) ||
	    !pkt_get_ptr(&c, PKT_IPV6_ALEN, &ip6->src) ||
	    !pkt_get_ptr(&c, PKT_IPV6_ALEN, &ip6->dst) || pkt_left(&c) < plen)
		return false;
	c.len = c.off + plen; /* bytes past the payload length are padding */
	ip6->later_fragment = false;
	for (unsigned int i = 0; pkt_ipv6_is_ext(nh); i++) {
		size_t hl = pkt_ipv6_ext_len(nh, &c);
		struct pkt_cur h = c;
		uint16_t off;

		if (i == PKT_IPV6_MAX_EXT || !hl || hl > pkt_left(&c))
			return false;
		if (nh == PKT_IPPROTO_FRAGMENT &&
		    (!pkt_skip(&h, 2) || !pkt_get_u16(&h, &off)))
			return false;
		if (nh == PKT_IPPROTO_FRAGMENT && (off & 0xfff8)) {
			ip6->later_fragment = true;
			nh = PKT_IPPROTO_NONE;
			break;
		}
		nh = c.base[c.off];
		pkt_skip(&c, hl);
	}
	ip6->proto = nh;
	ip6->payload_len = pkt_left(&c);
	return pkt_get_ptr(&c, ip6->payload_len, &ip6->payload);
}

/**
 * pkt_icmp6_sum() - the Internet checksum of an IPv6 upper-layer packet
 * @src:	source address (16 bytes)
 * @dst:	destination address
 * @proto:	upper-layer protocol
 * @p:		the upper-layer header and its data
 * @len:	their length
 *
 * Return: the folded checksum over the pseudo-header and @p
 */
static uint16_t pkt_icmp6_sum(const uint8_t *src, const uint8_t *dst,
			      uint8_t proto, const uint8_t *p, size_t len)
{
	uint8_t tail[8] = {(uint8_t)(len >> 24),
			   (uint8_t)(len >> 16),
			   (uint8_t)(len >> 8),
			   (uint8_t)len,
			   0,
			   0,
			   0,
			   proto};
	uint32_t sum = pkt_csum_add(0, src, PKT_IPV6_ALEN);

	sum = pkt_csum_add(sum, dst, PKT_IPV6_ALEN);
	sum = pkt_csum_add(sum, tail, sizeof(tail));
	return pkt_csum_fold(pkt_csum_add(sum, p, len));
}

/**
 * pkt_icmp6_csum() - check the ICMPv6 checksum of a parsed packet
 * @ip6:	the packet, from pkt_ipv6_parse(), its upper layer ICMPv6
 *
 * Return: 0 when the checksum is right
 */
uint16_t pkt_icmp6_csum(const struct pkt_ipv6 *ip6)
{
	return pkt_icmp6_sum(ip6->src, ip6->dst, PKT_IPPROTO_ICMPV6,
			     ip6->payload, ip6->payload_len);
}

/**
 * pkt_nd_body_len() - the fixed part of a neighbour discovery message
 * @type:	its ICMPv6 type
 *
 * Return: bytes after the ICMPv6 header before the options, 0 for a type
 * that is not RS, RA, NS or NA
 */
static size_t pkt_nd_body_len(uint8_t type)
{
	switch (type) {
	case PKT_ICMP6_RS:
		return PKT_ND_RS_LEN;
	case PKT_ICMP6_RA:
		return PKT_ND_RA_LEN;
	case PKT_ICMP6_NS:
		return PKT_ND_NS_LEN;
	case PKT_ICMP6_NA:
		return PKT_ND_NA_LEN;
	default:
		return 0;
	}
}

/**
 * pkt_nd_options() - walk the options of a neighbour discovery message
 * @c:		cursor at the first option, bounded by the packet's end
 * @nd:		the message so far; its link-layer address fields are set
 *
 * The link-layer address option that counts is the source's (type 1) in
 * RS, RA and NS, the target's (type 2) in NA; an option of length 0 or
 * one running past the end makes the message malformed (RFC 4861 7.1.1).
 *
 * Return: true if the options are well formed
 */
static bool pkt_nd_options(struct pkt_cur *c, struct pkt_nd *nd)
{
	uint8_t want =
	    nd->type == PKT_ICMP6_NA ? PKT_ND_OPT_TLLA : PKT_ND_OPT_SLLA;

	for (unsigned int i = 0; pkt_left(c); i++) {
		uint8_t type, units;
		const uint8_t *body;

		if (i == PKT_ND_MAX_OPTS || !pkt_get_u8(c, &type) ||
		    !pkt_get_u8(c, &units) || !units ||
		    !pkt_get_ptr(c, (size_t)units * 8 - 2, &body))
			return false;
		if (type != want)
			continue;
		if (units != 1)
			nd->lladdr_other = true;
		else if (!nd->lladdr)
			nd->lladdr = body;
		else if (memcmp(nd->lladdr, body, PKT_ETH_ALEN))
			nd->lladdr_other = true;
	}
	return true;
}

/**
 * pkt_nd_parse() - check a neighbour discovery message
 * @ip6:	the IPv6 packet, from pkt_ipv6_parse()
 * @nd:		filled in on success
 *
 * The checks of RFC 4861 7.1.1 and 6.1.1 that need no state: ICMPv6 with
 * hop limit 255, code 0, a right checksum, a body long enough for its
 * type, a target that is not multicast, well-formed options.
 *
 * Return: true for a well-formed RS, RA, NS or NA
 */
bool pkt_nd_parse(const struct pkt_ipv6 *ip6, struct pkt_nd *nd)
{
	struct pkt_cur c;
	uint8_t code;
	size_t body;

	memset(nd, 0, sizeof(*nd));
	if (ip6->proto != PKT_IPPROTO_ICMPV6 || ip6->hop_limit != 255)
		return false;
	pkt_cur_init(&c, ip6->payload, ip6->payload_len);
	if (!pkt_get_u8(&c, &nd->type) || !pkt_get_u8(&c, &code) ||
	    !pkt_skip(&c, 2) || code != 0)
		return false;
	body = pkt_nd_body_len(nd->type);
	if (!body || pkt_left(&c) < body || pkt_icmp6_csum(ip6) != 0)
		return false;
	if (!pkt_get_u32(&c, &nd->flags))
		return false;
	if (nd->type == PKT_ICMP6_NS || nd->type == PKT_ICMP6_NA) {
		if (!pkt_get_ptr(&c, PKT_IPV6_ALEN, &nd->target) ||
		    pkt_ipv6_is_mcast(nd->target))
			return false;
	} else {
		pkt_skip(&c, body - 4);
	}
	return pkt_nd_options(&c, nd);
}

const uint8_t pkt_ipv6_all_nodes[PKT_IPV6_ALEN] = {0xff, 0x02, [15] = 1};

/**
 * pkt_ipv6_is_unspec() - tell whether an IPv6 address is ::
 * @a:		the address (16 bytes)
 *
 * Return: true for the unspecified address
 */
bool pkt_ipv6_is_unspec(const uint8_t *a)
{
	static const uint8_t zero[PKT_IPV6_ALEN];

	return !memcmp(a, zero, PKT_IPV6_ALEN);
}

/**
 * pkt_ipv6_is_mcast() - tell whether an IPv6 address is multicast
 * @a:		the address (16 bytes)
 *
 * Return: true inside ff00::/8
 */
bool pkt_ipv6_is_mcast(const uint8_t *a)
{
	return a[0] == 0xff;
}

/**
 * pkt_ipv6_is_linklocal() - tell whether an IPv6 address is link-local
 * @a:		the address (16 bytes)
 *
 * Return: true inside fe80::/10
 */
bool pkt_ipv6_is_linklocal(const uint8_t *a)
{
	return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}

/**
 * pkt_ipv6_eui64() - an address made of a /64 prefix and a MAC (RFC 4291
 * appendix A: modified EUI-64, the universal/local bit inverted)
 * @prefix:	the prefix (its first 8 bytes are used)
 * @mac:	the MAC
 * @out:	the address (16 bytes)
 */
void pkt_ipv6_eui64(const uint8_t *prefix, const uint8_t *mac, uint8_t *out)
{
	memmove(out, prefix, 8);
	out[8] = mac[0] ^ 0x02;
	out[9] = mac[1];
	out[10] = mac[2];
	out[11] = 0xff;
	out[12] = 0xfe;
	out[13] = mac[3];
	out[14] = mac[4];
	out[15] = mac[5];
}

/**
 * pkt_ipv6_mcast_mac() - the Ethernet address of an IPv6 multicast group
 * @a:		the group (16 bytes)
 * @mac:	set to 33:33 and its last 32 bits (RFC 2464)
 */
void pkt_ipv6_mcast_mac(const uint8_t *a, uint8_t *mac)
{
	mac[0] = 0x33;
	mac[1] = 0x33;
	memcpy(mac + 2, a + 12, 4);
}

/**
 * pkt_csum_replace4() - adjust a checksum for one 32-bit field changed
 * @csum:	the checksum as stored (host order)
 * @from:	the field's old value
 * @to:		its new value
 *
 * RFC 1624's incremental update: HC' = ~(~HC + ~m + m').
 *
 * Return: the new checksum
 */
static uint16_t pkt_csum_replace4(uint16_t csum, uint32_t from, uint32_t to)
{
	uint32_t sum = (uint16_t)~csum;

	sum += (uint16_t) ~(from >> 16) + (uint16_t) ~(from & 0xffffu);
	sum += (to >> 16) + (to & 0xffffu);
	return pkt_csum_fold(sum);
}

/**
 * pkt_get16_at() - the big-endian 16-bit value at an offset
 * @p:		the bytes
 * @off:	where
 *
 * Return: the value
 */
static uint16_t pkt_get16_at(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] << 8 | p[off + 1]);
}

/**
 * pkt_put16_at() - store a big-endian 16-bit value at an offset
 * @p:		the bytes
 * @off:	where
 * @v:		the value
 */
static void pkt_put16_at(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)(v >> 8);
	p[off + 1] = (uint8_t)v;
}

/**
 * pkt_ipv4_set_addr() - give an IPv4 datagram another source or
 * destination address
 * @p:		first byte of the IPv4 header, writable
 * @len:	bytes available from @p
 * @dst:	change the destination (true) or the source (false)
 * @addr:	the new address, host order
 *
 * The header checksum is adjusted, and so is the TCP or UDP checksum of a
 * first fragment (its pseudo-header holds the addresses) when the
 * transport header is there; a UDP datagram without checksum (0) keeps
 * none. Later fragments only carry the IPv4 header to change.
 *
 * Return: true if @p held an IPv4 header, now changed
 */
bool pkt_ipv4_set_addr(uint8_t *p, size_t len, bool dst, uint32_t addr)
{
	struct pkt_ipv4_frag frag;
	struct pkt_ipv4 ip;
	size_t aoff = dst ? PKT_IPV4_DST_OFF : PKT_IPV4_SRC_OFF, coff = 0;
	uint32_t old;
	uint16_t c;

	if (!pkt_ipv4_header(p, len, &ip, &frag))
		return false;
	old = dst ? ip.dst : ip.src;
	pkt_put16_at(p, aoff, (uint16_t)(addr >> 16));
	pkt_put16_at(p, aoff + 2, (uint16_t)addr);
	pkt_put16_at(
	    p, PKT_IPV4_CSUM_OFF,
	    pkt_csum_replace4(pkt_get16_at(p, PKT_IPV4_CSUM_OFF), old, addr));
	if (frag.offset)
		return true;
	if (ip.proto == PKT_IPPROTO_UDP && ip.payload_len >= PKT_UDP_HLEN)
		coff = ip.hdr_len + PKT_UDP_CSUM_OFF;
	else if (ip.proto == PKT_IPPROTO_TCP && ip.payload_len >= PKT_TCP_HLEN)
		coff = ip.hdr_len + PKT_TCP_CSUM_OFF;
	if (!coff || !(c = pkt_get16_at(p, coff)))
		return true; /* no transport checksum (UDP: none sent) */
	c = pkt_csum_replace4(c, old, addr);
	if (!c && ip.proto == PKT_IPPROTO_UDP)
		c = 0xffffu; /* 0 would mean "none" */
	pkt_put16_at(p, coff, c);
	return true;
}

/**
 * pkt_udp_ports() - read the ports of a UDP header
 * @p:		first byte of the UDP header
 * @len:	bytes available
 * @sport:	source port
 * @dport:	destination port
 *
 * Return: true if the whole 8-byte header is there
 */
bool pkt_udp_ports(const uint8_t *p, size_t len, uint16_t *sport,
		   uint16_t *dport)
{
	struct pkt_cur c;

	pkt_cur_init(&c, p, len);
	return len >= PKT_UDP_HLEN && pkt_get_u16(&c, sport) &&
	       pkt_get_u16(&c, dport);
}

/**
 * pkt_put_eth() - write an Ethernet header
 * @w:		the writer
 * @dst:	destination MAC address
 * @src:	source MAC address
 * @type:	EtherType
 */
void pkt_put_eth(struct pkt_wr *w, const uint8_t *dst, const uint8_t *src,
		 uint16_t type)
{
	pkt_put_bytes(w, dst, PKT_ETH_ALEN);
	pkt_put_bytes(w, src, PKT_ETH_ALEN);
	pkt_put_u16(w, type);
}

/**
 * pkt_put_ipv4() - write a 20-byte IPv4 header with its checksum
 * @w:			the writer
 * @src:		source address, host order
 * @dst:		destination address, host order
 * @proto:		protocol of the payload
 * @tos:		type of service byte
 * @payload_len:	bytes that will follow the header; a value that does
 *			not fit in a datagram sets @w->overflow
 */
void pkt_put_ipv4(struct pkt_wr *w, uint32_t src, uint32_t dst, uint8_t proto,
		  uint8_t tos, size_t payload_len)
{
	static uint16_t pkt_ip_id;
	size_t start = w->off;

	if (payload_len > PKT_IPV4_MAX_LEN - PKT_IPV4_HLEN) {
		w->overflow = true;
		return;
	}
	pkt_put_u8(w, 0x45);
	pkt_put_u8(w, tos);
	pkt_put_u16(w, (uint16_t)(PKT_IPV4_HLEN + payload_len));
	pkt_put_u16(w, pkt_ip_id++);
	pkt_put_u16(w, 0); /* flags and fragment offset */
	pkt_put_u8(w, PKT_IPV4_TTL);
	pkt_put_u8(w, proto);
	pkt_put_u16(w, 0); /* checksum, filled in below */
	pkt_put_u32(w, src);
	pkt_put_u32(w, dst);
	if (!w->overflow) {
		uint16_t sum = pkt_csum(w->base + start, PKT_IPV4_HLEN);

		w->base[start + 10] = (uint8_t)(sum >> 8);
		w->base[start + 11] = (uint8_t)sum;
	}
}

/**
 * pkt_put_ipv6() - write an IPv6 header without extension headers
 * @w:			the writer
 * @src:		source address (16 bytes)
 * @dst:		destination address
 * @proto:		next header
 * @payload_len:	bytes that will follow; more than 65535 sets
 *			@w->overflow
 *
 * The hop limit is 255, as neighbour discovery needs and any reply may use.
 */
void pkt_put_ipv6(struct pkt_wr *w, const uint8_t *src, const uint8_t *dst,
		  uint8_t proto, size_t payload_len)
{
	if (payload_len > 0xffffu) {
		w->overflow = true;
		return;
	}
	pkt_put_u32(w, 0x60000000u);
	pkt_put_u16(w, (uint16_t)payload_len);
	pkt_put_u8(w, proto);
	pkt_put_u8(w, PKT_IPV6_HOP_LIMIT);
	pkt_put_bytes(w, src, PKT_IPV6_ALEN);
	pkt_put_bytes(w, dst, PKT_IPV6_ALEN);
}

/**
 * pkt_icmp6_finish() - fill in the checksum of an ICMPv6 packet
 * @ip6:	the IPv6 header pkt_put_ipv6() wrote, followed by the ICMPv6
 *		message with its checksum field zero
 * @len:	bytes from @ip6 to the end of the message
 *
 * Return: false if @len does not match the header's payload length
 */
bool pkt_icmp6_finish(uint8_t *ip6, size_t len)
{
	size_t plen;
	uint16_t sum;

	if (len < PKT_IPV6_HLEN + PKT_ICMP6_HLEN)
		return false;
	plen = (size_t)(ip6[4] << 8 | ip6[5]);
	if (plen != len - PKT_IPV6_HLEN)
		return false;
	sum = pkt_icmp6_sum(ip6 + 8, ip6 + 24, PKT_IPPROTO_ICMPV6,
			    ip6 + PKT_IPV6_HLEN, plen);
	ip6[PKT_IPV6_HLEN + 2] = (uint8_t)(sum >> 8);
	ip6[PKT_IPV6_HLEN + 3] = (uint8_t)sum;
	return true;
}

/**
 * pkt_udp_finish() - fill in a UDP header in front of its payload
 * @udp:	first byte of the UDP header; the payload follows it
 * @udp_len:	header plus payload, in bytes
 * @src:	IPv4 source address, host order (for the pseudo-header)
 * @dst:	IPv4 destination address, host order
 * @sport:	source port
 * @dport:	destination port
 *
 * Return: false if @udp_len is not a valid UDP length (nothing written)
 */
bool pkt_udp_finish(uint8_t *udp, size_t udp_len, uint32_t src, uint32_t dst,
		    uint16_t sport, uint16_t dport)
{
	uint8_t pseudo[12];
	struct pkt_wr w;
	uint32_t sum;
	uint16_t csum;

	if (udp_len < PKT_UDP_HLEN ||
	    udp_len > PKT_IPV4_MAX_LEN - PKT_IPV4_HLEN)
		return false;
	pkt_wr_init(&w, pseudo, sizeof(pseudo));
	pkt_put_u32(&w, src);
	pkt_put_u32(&w, dst);
	pkt_put_u8(&w, 0);
	pkt_put_u8(&w, PKT_IPPROTO_UDP);
	pkt_put_u16(&w, (uint16_t)udp_len);

	pkt_wr_init(&w, udp, PKT_UDP_HLEN);
	pkt_put_u16(&w, sport);
	pkt_put_u16(&w, dport);
	pkt_put_u16(&w, (uint16_t)udp_len);
	pkt_put_u16(&w, 0);
	sum = pkt_csum_add(0, pseudo, sizeof(pseudo));
	csum = pkt_csum_fold(pkt_csum_add(sum, udp, udp_len));
	if (csum == 0)
		csum = 0xffff; /* 0 means "no checksum" in UDP */
	udp[6] = (uint8_t)(csum >> 8);
	udp[7] = (uint8_t)csum;
	return true;
}
