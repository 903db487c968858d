/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet layer: every byte a guest sent is read through it. A
 * bounds-checked read cursor, a bounds-checked writer, the Internet
 * checksum, the protocol constants of the whole daemon (Ethernet, ARP,
 * IPv4, IPv6, ICMP, ICMPv6, UDP), header parsers that check lengths before
 * handing out pointers, and header builders. DHCP messages have their own
 * small layer on top (dhcpmsg.h).
 *
 * Every multi-byte field on the wire is big-endian; the readers and
 * writers convert to and from host order, so IPv4 addresses handled with
 * them are host-order uint32_t values.
 */
#ifndef PKT_H
#define PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Ethernet */
#define PKT_ETH_ALEN	       6u
#define PKT_ETH_HLEN	       14u /* destination, source, EtherType */
#define PKT_ETH_MIN_FRAME      60u /* shortest frame without the FCS */
#define PKT_ETHERTYPE_IPV4     0x0800u
#define PKT_ETHERTYPE_ARP      0x0806u
#define PKT_ETHERTYPE_IPV6     0x86ddu
#define PKT_ETHERTYPE_VLAN     0x8100u /* 802.1Q */
#define PKT_ETHERTYPE_QINQ     0x88a8u /* 802.1ad */
#define PKT_ETHERTYPE_QINQ_OLD 0x9100u

/* ARP (Ethernet/IPv4 only) */
#define PKT_ARP_LEN	    28u /* Ethernet/IPv4 ARP body */
#define PKT_ARP_HTYPE_ETHER 1u
#define PKT_ARP_OP_REQUEST  1u
#define PKT_ARP_OP_REPLY    2u

/* IPv4 */
#define PKT_IPV4_HLEN	   20u /* header without options */
#define PKT_IPV4_CSUM_OFF  10u /* offsets in the header: checksum, */
#define PKT_IPV4_SRC_OFF   12u /* source and */
#define PKT_IPV4_DST_OFF   16u /* destination address */
#define PKT_IPV4_MAX_LEN   65535u
#define PKT_IPV4_TTL	   64u
#define PKT_IPV4_BROADCAST 0xffffffffu
#define PKT_IPV4_MF	   0x2000u /* more fragments */
#define PKT_IPV4_OFFSET	   0x1fffu /* fragment offset, 8-byte units */

/* IP protocol numbers, also IPv6 next headers */
#define PKT_IPPROTO_HOPOPTS  0u
#define PKT_IPPROTO_ICMP     1u
#define PKT_IPPROTO_TCP	     6u
#define PKT_IPPROTO_UDP	     17u
#define PKT_IPPROTO_ROUTING  43u
#define PKT_IPPROTO_FRAGMENT 44u
#define PKT_IPPROTO_AH	     51u
#define PKT_IPPROTO_ICMPV6   58u
#define PKT_IPPROTO_NONE     59u
#define PKT_IPPROTO_DSTOPTS  60u

/* IPv6 */
#define PKT_IPV6_HLEN	   40u
#define PKT_IPV6_ALEN	   16u
#define PKT_IPV6_MAX_EXT   8u /* extension headers followed, at most */
#define PKT_IPV6_HOP_LIMIT 255u

/* ICMP and ICMPv6 */
#define PKT_ICMP_HLEN	       8u
#define PKT_ICMP_ECHO_REPLY    0u
#define PKT_ICMP_ECHO_REQUEST  8u
#define PKT_ICMP6_ECHO_REQUEST 128u
#define PKT_ICMP6_ECHO_REPLY   129u
#define PKT_ICMP6_RS	       133u /* router solicitation */
#define PKT_ICMP6_RA	       134u /* router advertisement */
#define PKT_ICMP6_NS	       135u /* neighbour solicitation */
#define PKT_ICMP6_NA	       136u /* neighbour advertisement */
#define PKT_ICMP6_REDIRECT     137u
#define PKT_ICMP6_MLD2_REPORT  143u /* MLDv2 listener report */
#define PKT_ICMP6_HLEN	       4u   /* type, code, checksum */

/* Neighbour discovery (RFC 4861): message bodies after the ICMPv6 header,
 * option types, flags and the lifetimes the gateway advertises */
#define PKT_ND_RS_LEN	     4u	 /* reserved */
#define PKT_ND_RA_LEN	     12u /* hop limit .. retransmission timer */
#define PKT_ND_NS_LEN	     20u /* reserved, target */
#define PKT_ND_NA_LEN	     20u /* flags, target */
#define PKT_ND_OPT_SLLA	     1u	 /* source link-layer address */
#define PKT_ND_OPT_TLLA	     2u	 /* target link-layer address */
#define PKT_ND_OPT_PREFIX    3u	 /* prefix information */
#define PKT_ND_OPT_MTU	     5u
#define PKT_ND_OPT_RDNSS     25u /* recursive DNS servers (RFC 8106) */
#define PKT_ND_PREFIX_LEN    32u /* bytes of a prefix information option */
#define PKT_ND_MAX_OPTS	     64u /* options read, at most */
#define PKT_ND_NA_ROUTER     0x80000000u
#define PKT_ND_NA_SOLICITED  0x40000000u
#define PKT_ND_NA_OVERRIDE   0x20000000u
#define PKT_ND_PREFIX_ONLINK 0x80u
#define PKT_ND_PREFIX_AUTO   0x40u

/* UDP and the well-known ports the daemon looks at */
#define PKT_UDP_HLEN	      8u
#define PKT_UDP_CSUM_OFF      6u  /* offset of the UDP checksum */
#define PKT_TCP_HLEN	      20u /* header without options */
#define PKT_TCP_CSUM_OFF      16u /* offset of the TCP checksum */
#define PKT_PORT_DNS	      53u
#define PKT_PORT_DHCP_SERVER  67u
#define PKT_PORT_DHCP_CLIENT  68u
#define PKT_PORT_DHCP6_CLIENT 546u
#define PKT_PORT_DHCP6_SERVER 547u

/* Largest frame this module ever builds: a full IPv4 datagram */
#define PKT_MAX_FRAME (PKT_ETH_HLEN + PKT_IPV4_MAX_LEN)

/**
 * struct pkt_cur - read cursor over untrusted bytes
 * @base:	first byte
 * @len:	number of bytes readable from @base
 * @off:	offset of the next byte to read, never more than @len
 */
struct pkt_cur {
	const uint8_t *base;
	size_t len;
	size_t off;
};

/**
 * struct pkt_wr - writer into a buffer of fixed size
 * @base:	first byte
 * @cap:	size of the buffer
 * @off:	offset of the next byte to write, never more than @cap
 * @overflow:	set, and stays set, once a write did not fit
 *
 * A write that does not fit writes nothing; check @overflow once at the end.
 */
struct pkt_wr {
	uint8_t *base;
	size_t cap;
	size_t off;
	bool overflow;
};

/**
 * struct pkt_ipv4 - a checked IPv4 datagram inside a frame
 * @src:	source address, host order
 * @dst:	destination address, host order
 * @proto:	protocol number
 * @tos:	type of service byte
 * @hdr_len:	header length in bytes, options included
 * @payload:	first byte after the header
 * @payload_len: bytes of payload according to the total length field
 */
struct pkt_ipv4 {
	uint32_t src;
	uint32_t dst;
	uint8_t proto;
	uint8_t tos;
	size_t hdr_len;
	const uint8_t *payload;
	size_t payload_len;
};

/**
 * struct pkt_eth - an Ethernet header inside a frame
 * @dst:	destination address (6 bytes, in the frame)
 * @src:	source address
 * @type:	EtherType
 * @payload:	first byte after the header
 * @payload_len: bytes after the header
 */
struct pkt_eth {
	const uint8_t *dst;
	const uint8_t *src;
	uint16_t type;
	const uint8_t *payload;
	size_t payload_len;
};

/**
 * struct pkt_ipv4_frag - fragment fields of an IPv4 header
 * @offset:	fragment offset in bytes
 * @more:	more fragments follow
 */
struct pkt_ipv4_frag {
	size_t offset;
	bool more;
};

/**
 * struct pkt_ipv6 - a checked IPv6 packet inside a frame
 * @src:	source address (16 bytes, in the frame)
 * @dst:	destination address
 * @hop_limit:	hop limit
 * @proto:	upper-layer protocol after the extension headers
 *		(PKT_IPPROTO_NONE for a later fragment, which has none)
 * @later_fragment: a fragment with a non-zero offset
 * @payload:	first byte of the upper-layer header
 * @payload_len: bytes from there to the end of the packet (by its length
 *		field, not the frame's)
 */
struct pkt_ipv6 {
	const uint8_t *src;
	const uint8_t *dst;
	uint8_t hop_limit;
	uint8_t proto;
	bool later_fragment;
	const uint8_t *payload;
	size_t payload_len;
};

/**
 * struct pkt_nd - a checked neighbour discovery message (RS, RA, NS, NA)
 * @type:	ICMPv6 type
 * @flags:	the first 32 bits after the ICMPv6 header (NA flags)
 * @target:	target address of an NS or NA (16 bytes, in the packet), or
 *		NULL
 * @lladdr:	the first source (RS, RA, NS) or target (NA) link-layer
 *		address option's address (6 bytes), or NULL when none
 * @lladdr_other: another link-layer address option names a different
 *		address, or one has a length other than Ethernet's
 */
struct pkt_nd {
	uint8_t type;
	uint32_t flags;
	const uint8_t *target;
	const uint8_t *lladdr;
	bool lladdr_other;
};

/**
 * struct pkt_arp - an Ethernet/IPv4 ARP message
 * @op:		operation (request, reply)
 * @sha:	sender hardware address (6 bytes, in the frame)
 * @spa:	sender protocol address, host order
 * @tha:	target hardware address
 * @tpa:	target protocol address, host order
 */
struct pkt_arp {
	uint16_t op;
	const uint8_t *sha;
	uint32_t spa;
	const uint8_t *tha;
	uint32_t tpa;
};

void pkt_cur_init(struct pkt_cur *c, const uint8_t *base, size_t len);
size_t pkt_left(const struct pkt_cur *c);
bool pkt_get_u8(struct pkt_cur *c, uint8_t *v);
bool pkt_get_u16(struct pkt_cur *c, uint16_t *v);
bool pkt_get_u32(struct pkt_cur *c, uint32_t *v);
bool pkt_get_bytes(struct pkt_cur *c, void *dst, size_t n);
bool pkt_get_ptr(struct pkt_cur *c, size_t n, const uint8_t **p);
bool pkt_skip(struct pkt_cur *c, size_t n);

void pkt_wr_init(struct pkt_wr *w, uint8_t *base, size_t cap);
void pkt_put_u8(struct pkt_wr *w, uint8_t v);
void pkt_put_u16(struct pkt_wr *w, uint16_t v);
void pkt_put_u32(struct pkt_wr *w, uint32_t v);
void pkt_put_bytes(struct pkt_wr *w, const void *src, size_t n);
void pkt_put_zero(struct pkt_wr *w, size_t n);

uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t pkt_csum_fold(uint32_t sum);
uint16_t pkt_csum(const void *data, size_t len);

bool pkt_mac_is_bcast(const uint8_t *mac);
bool pkt_mac_is_group(const uint8_t *mac);

bool pkt_eth_parse(const uint8_t *frame, size_t len, struct pkt_eth *e);
bool pkt_arp_parse(const uint8_t *p, size_t len, struct pkt_arp *a);
bool pkt_ipv4_header(const uint8_t *p, size_t len, struct pkt_ipv4 *ip,
		     struct pkt_ipv4_frag *frag);
bool pkt_ipv4_parse(const uint8_t *p, size_t len, struct pkt_ipv4 *ip);
bool pkt_ipv6_parse(const uint8_t *p, size_t len, struct pkt_ipv6 *ip6);
extern const uint8_t pkt_ipv6_all_nodes[PKT_IPV6_ALEN]; /* ff02::1 */

bool pkt_nd_parse(const struct pkt_ipv6 *ip6, struct pkt_nd *nd);
uint16_t pkt_icmp6_csum(const struct pkt_ipv6 *ip6);
bool pkt_ipv6_is_unspec(const uint8_t *a);
bool pkt_ipv6_is_mcast(const uint8_t *a);
bool pkt_ipv6_is_linklocal(const uint8_t *a);
void pkt_ipv6_eui64(const uint8_t *prefix, const uint8_t *mac, uint8_t *out);
void pkt_ipv6_mcast_mac(const uint8_t *a, uint8_t *mac);
bool pkt_ipv4_set_addr(uint8_t *p, size_t len, bool dst, uint32_t addr);
bool pkt_udp_ports(const uint8_t *p, size_t len, uint16_t *sport,
		   uint16_t *dport);
void pkt_put_eth(struct pkt_wr *w, const uint8_t *dst, const uint8_t *src,
		 uint16_t type);
void pkt_put_ipv4(struct pkt_wr *w, uint32_t src, uint32_t dst, uint8_t proto,
		  uint8_t tos, size_t payload_len);
void pkt_put_ipv6(struct pkt_wr *w, const uint8_t *src, const uint8_t *dst,
		  uint8_t proto, size_t payload_len);
bool pkt_icmp6_finish(uint8_t *ip6, size_t len);
bool pkt_udp_finish(uint8_t *udp, size_t udp_len, uint32_t src, uint32_t dst,
		    uint16_t sport, uint16_t dport);

#endif /* PKT_H */
