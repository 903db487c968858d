/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the per-port guards: each attack frame is dropped for the
 * right reason, and legitimate traffic passes at every level. The guard is
 * a verdict on (configuration, port state, frame); these tests hold the two
 * in a struct tport and bind and count as the switch does.
 */
#include <string.h>
#include <arpa/inet.h>

#include "guard.h"
#include "pkt.h"
#include "unit.h"

static const uint8_t mac_a[6] = {0x52, 0x54, 0, 0, 0, 0x0a};
static const uint8_t mac_b[6] = {0x52, 0x54, 0, 0, 0, 0x0b};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
#define GW 0x0a000001u /* 10.0.0.1 */

/**
 * struct tport - what the switch holds for one port, for these tests
 * @c:		the guard configuration
 * @g:		the port's guard state
 */
struct tport {
	struct guard_conf c;
	struct guard_port g;
};

/**
 * ingress() - bind, check and count a frame as the switch does
 * @t:		the port
 * @f:		the frame
 * @n:		its length
 *
 * Return: true if the guard let the frame pass
 */
static bool ingress(struct tport *t, const uint8_t *f, size_t n)
{
	enum guard_reason r;

	if (t->c.level != GUARD_OFF && !t->g.bound)
		guard_port_bind(&t->g, f + 6);
	r = guard_check(&t->c, &t->g, f, n);
	if (r != GUARD_PASS)
		t->g.drops[r]++;
	return r == GUARD_PASS;
}

/**
 * eth() - write an Ethernet header
 * @f:		frame buffer
 * @dst:	destination MAC
 * @src:	source MAC
 * @type:	EtherType
 *
 * Return: 14, the header length
 */
static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src,
		  uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
	return 14;
}

/**
 * put32() - write a big-endian 32-bit value
 * @p:		where
 * @v:		value
 */
static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/**
 * arp() - build an ARP frame
 * @f:		frame buffer (64 bytes at least)
 * @src:	Ethernet source
 * @sha:	sender hardware address
 * @spa:	sender IP, host order
 * @tpa:	target IP, host order
 *
 * Return: frame length
 */
static size_t arp(uint8_t *f, const uint8_t *src, const uint8_t *sha,
		  uint32_t spa, uint32_t tpa)
{
	uint8_t *a = f + eth(f, bcast, src, 0x0806);

	memset(a, 0, 28);
	a[1] = 1;    /* Ethernet */
	a[2] = 0x08; /* IPv4 */
	a[4] = 6;
	a[5] = 4;
	a[7] = 1; /* request */
	memcpy(a + 8, sha, 6);
	put32(a + 14, spa);
	put32(a + 24, tpa);
	return 14 + 28;
}

/**
 * udp4() - build an IPv4/UDP frame with a payload of zeros
 * @f:		frame buffer (400 bytes at least)
 * @src:	Ethernet source
 * @sip:	IP source, host order
 * @sport:	UDP source port
 * @dport:	UDP destination port
 * @plen:	payload length
 *
 * Return: frame length
 */
static size_t udp4(uint8_t *f, const uint8_t *src, uint32_t sip, uint16_t sport,
		   uint16_t dport, size_t plen)
{
	uint8_t *ip = f + eth(f, bcast, src, 0x0800);

	memset(ip, 0, 28 + plen);
	ip[0] = 0x45;
	ip[2] = (uint8_t)((28 + plen) >> 8);
	ip[3] = (uint8_t)(28 + plen);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, sip);
	put32(ip + 16, 0xffffffffu);
	ip[20] = (uint8_t)(sport >> 8);
	ip[21] = (uint8_t)sport;
	ip[22] = (uint8_t)(dport >> 8);
	ip[23] = (uint8_t)dport;
	return 14 + 28 + plen;
}

/**
 * dhcp_req() - build a DHCP request from a client
 * @f:		frame buffer
 * @src:	Ethernet source
 * @chaddr:	client hardware address in the message
 * @cid:	client identifier byte (option 61), 0 for none
 *
 * Return: frame length
 */
static size_t dhcp_req(uint8_t *f, const uint8_t *src, const uint8_t *chaddr,
		       uint8_t cid)
{
	size_t n = udp4(f, src, 0, 68, 67, 300);
	uint8_t *m = f + 14 + 28;

	m[0] = 1;
	m[1] = 1;
	m[2] = 6;
	memcpy(m + 28, chaddr, 6);
	put32(m + 236, 0x63825363u);
	m[240] = 53;
	m[241] = 1;
	m[242] = 1;
	if (cid) {
		m[243] = 61;
		m[244] = 2;
		m[245] = 1;
		m[246] = cid;
		m[247] = 255;
	} else {
		m[243] = 255;
	}
	return n;
}

/**
 * icmp6() - build an IPv6 ICMPv6 frame
 * @f:		frame buffer
 * @src:	Ethernet source
 * @type:	ICMPv6 type
 * @hbh:	put a hop-by-hop header first
 *
 * From :: to :: with hop limit 255 and a right checksum, so that a router
 * or neighbour solicitation (8 or 24 bytes, no options) is well formed.
 *
 * Return: frame length
 */
static size_t icmp6(uint8_t *f, const uint8_t *src, uint8_t type, bool hbh)
{
	uint8_t *ip = f + eth(f, bcast, src, 0x86dd);
	size_t off = 40, len = type == 133 ? 8 : 24;
	uint8_t pseudo[8] = {0, 0, 0, (uint8_t)len, 0, 0, 0, 58};
	uint16_t sum;

	memset(ip, 0, 40 + 8 + 24);
	ip[0] = 0x60;
	ip[6] = hbh ? 0 : 58;
	ip[7] = 255;
	if (hbh) {
		ip[40] = 58; /* next header */
		ip[41] = 0;  /* 8 bytes */
		off += 8;
	}
	ip[off] = type;
	sum = pkt_csum_fold(
	    pkt_csum_add(pkt_csum_add(0, pseudo, 8), ip + off, len));
	ip[off + 2] = (uint8_t)(sum >> 8);
	ip[off + 3] = (uint8_t)sum;
	ip[5] = (uint8_t)(off - 40 + len); /* payload length */
	return 14 + off + len;
}

/**
 * ip_csum() - fill in the checksum of a 20-byte IPv4 header
 * @ip:		the header
 */
static void ip_csum(uint8_t *ip)
{
	uint16_t sum;

	ip[10] = ip[11] = 0;
	sum = pkt_csum(ip, 20);
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
}

/**
 * setup() - a fresh VM port and guard configuration
 * @p:		the port to reset
 * @level:	guard level
 */
static void setup(struct tport *p, enum guard_level level)
{
	memset(p, 0, sizeof(*p));
	p->c.level = level;
	p->c.gateway = GW;
	p->c.dhcp_clients = 2;
	p->c.nstatics = 1;
	memcpy(p->c.statics[0].mac, mac_a, 6);
	p->c.statics[0].ip = 0x0a000063u; /* 10.0.0.99 */
}

/**
 * test_mac_binding() - first source MAC binds the port
 */
static void test_mac_binding(void)
{
	struct tport p;
	uint8_t f[400];
	size_t n;

	setup(&p, GUARD_MAC);
	n = udp4(f, mac_a, 0x0a000005u, 1000, 2000, 10);
	CHECK(ingress(&p, f, n));
	n = udp4(f, mac_b, 0x0a000005u, 1000, 2000, 10);
	CHECK(!ingress(&p, f, n));
	CHECK_EQ(p.g.drops[GUARD_R_SRC_MAC], 1);
	/* A MAC bound up front (--fd=N,mac=) wins over the first frame. */
	setup(&p, GUARD_MAC);
	guard_port_bind(&p.g, mac_b);
	n = udp4(f, mac_a, 0x0a000005u, 1000, 2000, 10);
	CHECK(!ingress(&p, f, n));
	/* Off: anything goes. */
	setup(&p, GUARD_OFF);
	CHECK(ingress(&p, f, n));
	n = udp4(f, mac_b, 0x0a000005u, 1000, 2000, 10);
	CHECK(ingress(&p, f, n));
}

/**
 * test_arp() - ARP spoofing and malformed ARP
 */
static void test_arp(void)
{
	struct tport p;
	uint8_t f[64];
	size_t n;

	setup(&p, GUARD_MAC);
	n = arp(f, mac_a, mac_a, 0x0a000005u, 0x0a000006u);
	CHECK(ingress(&p, f, n));
	/* Sender hardware address is another VM's. */
	n = arp(f, mac_a, mac_b, 0x0a000005u, 0x0a000006u);
	CHECK(!ingress(&p, f, n));
	CHECK_EQ(p.g.drops[GUARD_R_ARP], 1);
	/* Claims the gateway (gratuitous ARP for it). */
	n = arp(f, mac_a, mac_a, GW, GW);
	CHECK(!ingress(&p, f, n));
	CHECK_EQ(p.g.drops[GUARD_R_GATEWAY], 1);
	/* Wrong hardware length, and truncated. */
	n = arp(f, mac_a, mac_a, 0x0a000005u, 0x0a000006u);
	f[14 + 4] = 8;
	CHECK(!ingress(&p, f, n));
	n = arp(f, mac_a, mac_a, 0x0a000005u, 0x0a000006u);
	CHECK(!ingress(&p, f, 14 + 20));
	CHECK_EQ(p.g.drops[GUARD_R_ARP], 3);
	/* Probe (sender 0.0.0.0) passes. */
	n = arp(f, mac_a, mac_a, 0, 0x0a000006u);
	CHECK(ingress(&p, f, n));
}

/**
 * test_dhcp_server_and_ra() - rogue servers and router advertisements
 */
static void test_dhcp_server_and_ra(void)
{
	struct tport p;
	uint8_t f[400];
	size_t n;

	setup(&p, GUARD_MAC);
	n = udp4(f, mac_a, 0x0a000005u, 67, 68, 300);
	CHECK(!ingress(&p, f, n));
	CHECK_EQ(p.g.drops[GUARD_R_DHCP_SERVER], 1);
	n = udp4(f, mac_a, 0x0a000005u, 53, 1234, 30);
	CHECK(ingress(&p, f, n));
	n = icmp6(f, mac_a, 134, false);
	CHECK(!ingress(&p, f, n));
	n = icmp6(f, mac_a, 134, true);
	CHECK(!ingress(&p, f, n));
	n = icmp6(f, mac_a, 137, false);
	CHECK(!ingress(&p, f, n));
	CHECK_EQ(p.g.drops[GUARD_R_RA], 3);
	/* Neighbour solicitation/advertisement and router solicitation pass. */
	n = icmp6(f, mac_a, 135, false);
	CHECK(ingress(&p, f, n));
	n = icmp6(f, mac_a, 136, true);
	CHECK(ingress(&p, f, n));
	n = icmp6(f, mac_a, 133, false);
	CHECK(ingress(&p, f, n));
	/* Truncated IPv6 header. */
	n = icmp6(f, mac_a, 135, false);
	CHECK(!ingress(&p, f, 14 + 30));
	CHECK_EQ(p.g.drops[GUARD_R_MALFORMED], 1);
}

/**
 * test_vlan() - tagged frames only with --allow-vlan
 */
static void test_vlan(void)
{
	struct tport p;
	uint8_t f[64] = {0};

	setup(&p, GUARD_MAC);
	eth(f, bcast, mac_a, 0x8100);
	CHECK(!ingress(&p, f, 60));
	eth(f, bcast, mac_a, 0x88a8);
	CHECK(!ingress(&p, f, 60));
	CHECK_EQ(p.g.drops[GUARD_R_VLAN], 2);
	p.c.allow_vlan = true;
	CHECK(ingress(&p, f, 60));
}

/**
 * test_gateway_ip() - no VM may send as the gateway
 */
static void test_gateway_ip(void)
{
	struct tport p;
	uint8_t f[400];
	size_t n;

	setup(&p, GUARD_MAC);
	n = udp4(f, mac_a, GW, 1000, 2000, 10);
	CHECK(!ingress(&p, f, n));
	CHECK_EQ(p.g.drops[GUARD_R_GATEWAY], 1);
}

/**
 * test_dhcp_starvation() - a port may use only a few client identities
 */
static void test_dhcp_starvation(void)
{
	struct tport p;
	uint8_t f[400], fake[6] = {0x52, 0x54, 0, 0, 1, 0};
	size_t n;

	setup(&p, GUARD_MAC);
	n = dhcp_req(f, mac_a, mac_a, 0);
	CHECK(ingress(&p, f, n));
	CHECK(ingress(&p, f, n));	  /* the same client again */
	n = dhcp_req(f, mac_a, mac_a, 7); /* second identity: allowed */
	CHECK(ingress(&p, f, n));
	/* More client identifiers from the same MAC: refused. */
	for (int i = 8; i < 58; i++) {
		n = dhcp_req(f, mac_a, mac_a, (uint8_t)i);
		CHECK(!ingress(&p, f, n));
	}
	CHECK_EQ(p.g.drops[GUARD_R_DHCP_LIMIT], 50);
	/* Other chaddrs (to starve the pool, or to release or decline
	 * another VM's lease): refused whatever the identifier. */
	for (int i = 1; i < 50; i++) {
		fake[5] = (uint8_t)i;
		n = dhcp_req(f, mac_a, fake, 0);
		CHECK(!ingress(&p, f, n));
	}
	n = dhcp_req(f, mac_a, mac_b, 0);
	CHECK(!ingress(&p, f, n));
	CHECK_EQ(p.g.drops[GUARD_R_DHCP_CHADDR], 50);
	/* The first identities still work. */
	n = dhcp_req(f, mac_a, mac_a, 0);
	CHECK(ingress(&p, f, n));
	n = dhcp_req(f, mac_a, mac_a, 7);
	CHECK(ingress(&p, f, n));
}

/**
 * test_ipv6_fragments() - RA hidden behind fragment and AH headers
 */
static void test_ipv6_fragments(void)
{
	struct tport p;
	uint8_t f[200] = {0}, *ip = f + 14;
	size_t n = 14 + 40 + 8 + 12 + 16;

	setup(&p, GUARD_MAC);
	eth(f, bcast, mac_a, 0x86dd);
	ip[0] = 0x60;
	ip[6] = 44;	     /* fragment header, offset 0 */
	ip[5] = 8 + 12 + 16; /* payload length */
	ip[40] = 51;	     /* then AH: (1 + 2) * 4 = 12 bytes */
	ip[48] = 58;	     /* then ICMPv6 */
	ip[49] = 1;
	ip[60] = 134; /* router advertisement */
	CHECK(!ingress(&p, f, n));
	CHECK_EQ(p.g.drops[GUARD_R_RA], 1);
	ip[60] = 128; /* an echo request passes */
	CHECK(ingress(&p, f, n));
	/* A later fragment has no upper-layer header: it passes. */
	ip[60] = 134;
	ip[43] = 0x08; /* offset 1 */
	CHECK(ingress(&p, f, n));
	/* A first fragment whose chain does not fit is malformed. */
	ip[43] = 0;
	ip[5] = 8 + 4; /* the first fragment ends inside the AH header */
	CHECK(!ingress(&p, f, 14 + 40 + 8 + 4));
	CHECK_EQ(p.g.drops[GUARD_R_MALFORMED], 1);
}

/**
 * test_strict() - IPv4 sources limited to the lease and --static
 */
static void test_strict(void)
{
	struct tport p;
	uint8_t f[400], ack[400];
	size_t n;

	setup(&p, GUARD_STRICT);
	/* DHCP from 0.0.0.0 passes before any lease. */
	n = dhcp_req(f, mac_a, mac_a, 0);
	CHECK(ingress(&p, f, n));
	n = udp4(f, mac_a, 0x0a000005u, 1000, 2000, 10);
	CHECK(!ingress(&p, f, n));
	CHECK_EQ(p.g.drops[GUARD_R_IP_SRC], 1);
	/* The static address of this MAC passes. */
	n = udp4(f, mac_a, 0x0a000063u, 1000, 2000, 10);
	CHECK(ingress(&p, f, n));
	/* A DHCP ACK of 10.0.0.5 sent to the port makes it its address. */
	n = udp4(ack, mac_b, GW, 67, 68, 300);
	memcpy(ack + 14 + 28 + 28, mac_a, 6);
	put32(ack + 14 + 28 + 16, 0x0a000005u);
	put32(ack + 14 + 28 + 236, 0x63825363u);
	ack[14 + 28 + 240] = 53;
	ack[14 + 28 + 241] = 1;
	ack[14 + 28 + 242] = 5;
	ack[14 + 28 + 243] = 255;
	ip_csum(ack + 14);
	guard_snoop(&p.c, &p.g, ack, n);
	CHECK_EQ(p.g.lease, 0x0a000005u);
	n = udp4(f, mac_a, 0x0a000005u, 1000, 2000, 10);
	CHECK(ingress(&p, f, n));
	/* Another VM's address does not. */
	n = udp4(f, mac_a, 0x0a000006u, 1000, 2000, 10);
	CHECK(!ingress(&p, f, n));
	/* ARP from another address neither; from the lease yes. */
	n = arp(f, mac_a, mac_a, 0x0a000006u, GW);
	CHECK(!ingress(&p, f, n));
	n = arp(f, mac_a, mac_a, 0x0a000005u, GW);
	CHECK(ingress(&p, f, n));
	/* An ACK for another chaddr is not learned. */
	memcpy(ack + 14 + 28 + 28, mac_b, 6);
	put32(ack + 14 + 28 + 16, 0x0a000007u);
	guard_snoop(&p.c, &p.g, ack, n);
	CHECK_EQ(p.g.lease, 0x0a000005u);
	/* Nor one in a fragment (a VM could shape a later fragment so) */
	memcpy(ack + 14 + 28 + 28, mac_a, 6);
	ack[14 + 6] = 0x00;
	ack[14 + 7] = 0x10; /* offset 128 */
	ip_csum(ack + 14);
	CHECK_EQ(guard_snoop(&p.c, &p.g, ack, n), 0);
	CHECK_EQ(p.g.lease, 0x0a000005u);
	/* A RELEASE from the lease passes, and only then ends it */
	n = dhcp_req(f, mac_a, mac_a, 0);
	put32(f + 14 + 12, 0x0a000005u);
	f[14 + 28 + 242] = 7;
	CHECK(ingress(&p, f, n));
	CHECK_EQ(p.g.lease, 0);
}

/**
 * test_rules() - --allow/--block: longest prefix wins, block wins a tie
 */
static void test_rules(void)
{
	struct guard_rule r[4];

	CHECK_EQ(guard_parse_cidr("10.0.0.0/8", &r[0]), 0);
	r[0].allow = false;
	CHECK_EQ(guard_parse_cidr("10.1.0.0/16", &r[1]), 0);
	r[1].allow = true;
	CHECK_EQ(guard_parse_cidr("10.1.2.3", &r[2]), 0);
	r[2].allow = false;
	CHECK_EQ(r[2].plen, 32);
	CHECK(!guard_rules_allow(r, 3, 0x0a050505u));
	CHECK(guard_rules_allow(r, 3, 0x0a010505u));
	CHECK(!guard_rules_allow(r, 3, 0x0a010203u));
	CHECK(guard_rules_allow(r, 3, 0x08080808u)); /* no match */
	/* Tie: the same prefix allowed and blocked. */
	CHECK_EQ(guard_parse_cidr("10.1.0.0/16", &r[3]), 0);
	r[3].allow = false;
	CHECK(!guard_rules_allow(r, 4, 0x0a010505u));
	/* Host bits are cleared, bad input refused. */
	CHECK_EQ(guard_parse_cidr("192.168.1.77/24", &r[0]), 0);
	CHECK_EQ(r[0].net, 0xc0a80100u);
	CHECK_EQ(guard_parse_cidr("0.0.0.0/0", &r[0]), 0);
	CHECK(guard_rules_allow(r, 1, 0x01020304u) == r[0].allow);
	CHECK_EQ(guard_parse_cidr("10.0.0.0/33", &r[0]), -1);
	CHECK_EQ(guard_parse_cidr("10.0.0/8", &r[0]), -1);
	CHECK_EQ(guard_parse_cidr("/8", &r[0]), -1);
	CHECK_EQ(guard_parse_cidr("10.0.0.0/", &r[0]), -1);
	CHECK_EQ(guard_parse_cidr("10.0.0.0/8x", &r[0]), -1);
}

/**
 * test_forward() - --isolate and rules toward the host side
 */
static void test_forward(void)
{
	struct guard_conf c;
	uint8_t f[400];
	size_t n;

	memset(&c, 0, sizeof(c));
	c.level = GUARD_MAC;
	c.isolate = true;
	guard_parse_cidr("192.168.0.0/16", &c.rules[0]);
	c.nrules = 1;
	n = udp4(f, mac_a, 0x0a000005u, 1000, 2000, 10);
	put32(f + 14 + 16, 0xc0a80101u); /* to 192.168.1.1 */
	CHECK_EQ(guard_forward(&c, true, true, f, n), GUARD_R_ISOLATE);
	CHECK_EQ(guard_forward(&c, true, false, f, n), GUARD_R_BLOCKED);
	/* The rule looks at the destination even in a broken header. */
	f[14] = 0x44;
	CHECK_EQ(guard_forward(&c, true, false, f, n), GUARD_R_BLOCKED);
	f[14] = 0x45;
	put32(f + 14 + 16, 0x08080808u);
	CHECK_EQ(guard_forward(&c, true, false, f, n), GUARD_PASS);
	/* The host side may reach every VM. */
	CHECK_EQ(guard_forward(&c, false, true, f, n), GUARD_PASS);
	/* Without --isolate VMs reach each other. */
	c.isolate = false;
	CHECK_EQ(guard_forward(&c, true, true, f, n), GUARD_PASS);
	/* A frame too short for an IPv4 header is not the rules' business. */
	CHECK_EQ(guard_forward(&c, true, false, f, 14 + 19), GUARD_PASS);
}

/**
 * test_short_frames() - headers shorter than claimed never crash
 */
static void test_short_frames(void)
{
	struct tport p;
	uint8_t f[400];

	for (int level = GUARD_MAC; level <= GUARD_STRICT; level++) {
		size_t n = dhcp_req(f, mac_a, mac_a, 0);

		setup(&p, (enum guard_level)level);
		for (size_t len = 14; len < n; len++)
			ingress(&p, f, len);
		n = icmp6(f, mac_a, 134, true);
		for (size_t len = 14; len < n; len++)
			CHECK(!ingress(&p, f, len));
	}
}

static const struct unit_test tests[] = {
    {"mac_binding", test_mac_binding},
    {"arp", test_arp},
    {"dhcp_server_and_ra", test_dhcp_server_and_ra},
    {"vlan", test_vlan},
    {"gateway_ip", test_gateway_ip},
    {"dhcp_starvation", test_dhcp_starvation},
    {"ipv6_fragments", test_ipv6_fragments},
    {"strict", test_strict},
    {"rules", test_rules},
    {"forward", test_forward},
    {"short_frames", test_short_frames},
};

UNIT_MAIN("guard", tests)
