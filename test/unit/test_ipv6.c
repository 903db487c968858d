/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for IPv6 at the gateway and in the guards: the neighbour
 * discovery parser (pkt.c), router advertisements (ra.c, periodic and
 * solicited, through gw.c), neighbour advertisements for the gateway
 * (ndp.c), ICMPv6 echo, the derived prefix (net.c) and the ND guards.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guard.h"
#include "gw.h"
#include "net.h"
#include "pkt.h"
#include "unit.h"

#define T0	 1000000u
#define MAX_SENT 4
#define GW_IP	 0xc0a86901u /* 192.168.105.1 */

static const uint8_t GW_MAC[6] = {0x5a, 0x94, 0xef, 0x00, 0x00, 0x01};
static const uint8_t VM_MAC[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
static const uint8_t VM2_MAC[6] = {0x52, 0x54, 0x00, 0x11, 0x22, 0x33};
static const uint8_t PREFIX[16] = {0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a};
static const uint8_t DNS6[16] = {0xfd, 0x12, 0x34,	 0x56,
				 0x78, 0x9a, [15] = 0x53};
static const uint8_t LL8[8] = {0xfe, 0x80};

/**
 * struct sent - frames the gateway sent, through on_send() or flood()
 * @n:		how many
 * @len:	their lengths
 * @buf:	copies of the first MAX_SENT
 */
static struct sent {
	unsigned int n;
	size_t len[MAX_SENT];
	uint8_t buf[MAX_SENT][1600];
} sent;

static unsigned int flood_ports = 1; /* what flood() says it reached */

static void on_send(void *arg, const uint8_t *frame, size_t len)
{
	if (sent.n < MAX_SENT && len <= sizeof(sent.buf[0])) {
		memcpy(sent.buf[sent.n], frame, len);
		sent.len[sent.n] = len;
	}
	sent.n++;
}

static unsigned int flood(const uint8_t *frame, size_t len)
{
	on_send(NULL, frame, len);
	return flood_ports;
}

static unsigned int pendings;

static void pending(void)
{
	pendings++;
}

/**
 * start() - start the gateway with IPv6
 * @responder:	isolated mode (answers NS and ping)
 * @ndns6:	IPv6 DNS servers (0 or 1)
 *
 * Return: gw_init()'s result
 */
static int start(bool responder, unsigned int ndns6)
{
	struct gw_conf c;
	char err[256] = "";
	int r;

	memset(&c, 0, sizeof(c));
	c.gateway.s_addr = htonl(GW_IP);
	memcpy(c.mac, GW_MAC, 6);
	c.responder = responder;
	c.mtu = 1400;
	c.ipv6 = true;
	memcpy(c.prefix6, PREFIX, 16);
	memcpy(c.dns6[0].s6_addr, DNS6, 16);
	c.ndns6 = ndns6;
	c.flood = flood;
	c.pending = pending;
	r = gw_init(&c, T0, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "gw_init: %s\n", err);
	memset(&sent, 0, sizeof(sent));
	pendings = 0;
	flood_ports = 1;
	return r;
}

/**
 * nd_frame() - build an ICMPv6 frame with a right checksum
 * @f:		frame buffer
 * @dmac:	Ethernet destination
 * @smac:	Ethernet source
 * @src:	IPv6 source
 * @dst:	IPv6 destination
 * @msg:	the ICMPv6 message, checksum zero
 * @mlen:	its length
 *
 * Return: frame length
 */
static size_t nd_frame(uint8_t *f, const uint8_t *dmac, const uint8_t *smac,
		       const uint8_t *src, const uint8_t *dst,
		       const uint8_t *msg, size_t mlen)
{
	struct pkt_wr w;

	pkt_wr_init(&w, f, 1600);
	pkt_put_eth(&w, dmac, smac, PKT_ETHERTYPE_IPV6);
	pkt_put_ipv6(&w, src, dst, PKT_IPPROTO_ICMPV6, mlen);
	pkt_put_bytes(&w, msg, mlen);
	CHECK(pkt_icmp6_finish(f + 14, w.off - 14));
	return w.off;
}

/**
 * ns_msg() - a neighbour solicitation
 * @m:		where it goes (32 bytes)
 * @target:	its target
 * @slla:	source link-layer option, or NULL for none
 *
 * Return: its length
 */
static size_t ns_msg(uint8_t *m, const uint8_t *target, const uint8_t *slla)
{
	memset(m, 0, 32);
	m[0] = PKT_ICMP6_NS;
	memcpy(m + 8, target, 16);
	if (!slla)
		return 24;
	m[24] = PKT_ND_OPT_SLLA;
	m[25] = 1;
	memcpy(m + 26, slla, 6);
	return 32;
}

/**
 * na_msg() - a neighbour advertisement with a target link-layer option
 * @m:		where it goes (32 bytes)
 * @target:	its target
 * @tlla:	the option's address
 *
 * Return: its length
 */
static size_t na_msg(uint8_t *m, const uint8_t *target, const uint8_t *tlla)
{
	memset(m, 0, 32);
	m[0] = PKT_ICMP6_NA;
	m[4] = 0x20; /* override */
	memcpy(m + 8, target, 16);
	m[24] = PKT_ND_OPT_TLLA;
	m[25] = 1;
	memcpy(m + 26, tlla, 6);
	return 32;
}

/**
 * parse_sent() - parse a frame the gateway sent as ND
 * @i:		which
 * @ip6:	its IPv6 packet
 * @nd:		its ND message
 *
 * Return: true if it is well formed
 */
static bool parse_sent(unsigned int i, struct pkt_ipv6 *ip6, struct pkt_nd *nd)
{
	return pkt_ipv6_parse(sent.buf[i] + 14, sent.len[i] - 14, ip6) &&
	       pkt_nd_parse(ip6, nd);
}

/**
 * find_opt() - an option of an RA the gateway sent
 * @ip6:	the RA
 * @type:	the option type
 *
 * Return: the option, or NULL
 */
static const uint8_t *find_opt(const struct pkt_ipv6 *ip6, uint8_t type)
{
	size_t off = 16;

	while (off + 2 <= ip6->payload_len && ip6->payload[off + 1]) {
		if (ip6->payload[off] == type)
			return ip6->payload + off;
		off += ip6->payload[off + 1] * 8u;
	}
	return NULL;
}

static void test_rs_ra(void)
{
	uint8_t f[1600], m[32], vm_ll[16],
	    all_routers[16] = {0xff, 2, [15] = 2};
	uint8_t gw_ll[16], mcast[6] = {0x33, 0x33, 0, 0, 0, 2};
	struct pkt_ipv6 ip6;
	struct pkt_nd nd;
	const uint8_t *o;
	size_t n;

	CHECK_EQ(start(true, 1), 0);
	pkt_ipv6_eui64(LL8, VM_MAC, vm_ll);
	pkt_ipv6_eui64(LL8, GW_MAC, gw_ll);
	memset(m, 0, sizeof(m));
	m[0] = PKT_ICMP6_RS;
	m[8] = PKT_ND_OPT_SLLA;
	m[9] = 1;
	memcpy(m + 10, VM_MAC, 6);
	n = nd_frame(f, mcast, VM_MAC, vm_ll, all_routers, m, 16);
	CHECK(!gw_input(f, n, T0, on_send, NULL));
	CHECK_EQ(sent.n, 1u);
	CHECK(parse_sent(0, &ip6, &nd));
	CHECK_EQ(nd.type, PKT_ICMP6_RA);
	CHECK(!memcmp(sent.buf[0], VM_MAC, 6)); /* straight to the asker */
	CHECK(!memcmp(ip6.src, gw_ll, 16));
	CHECK(!memcmp(ip6.dst, vm_ll, 16));
	CHECK(nd.lladdr && !memcmp(nd.lladdr, GW_MAC, 6));
	CHECK_EQ(ip6.payload[6] << 8 | ip6.payload[7], 1800); /* lifetime */
	o = find_opt(&ip6, PKT_ND_OPT_PREFIX);
	CHECK(o && o[2] == 64 && o[3] == 0xc0 && !memcmp(o + 16, PREFIX, 16));
	o = find_opt(&ip6, PKT_ND_OPT_MTU);
	CHECK(o && o[6] == 0x05 && o[7] == 0x78); /* 1400 */
	o = find_opt(&ip6, PKT_ND_OPT_RDNSS);
	CHECK(o && o[1] == 3 && !memcmp(o + 8, DNS6, 16));
	/* Without DNS servers, no RDNSS option. */
	CHECK_EQ(start(true, 0), 0);
	CHECK(!gw_input(f, n, T0, on_send, NULL));
	CHECK(parse_sent(0, &ip6, &nd) && !find_opt(&ip6, PKT_ND_OPT_RDNSS));
	/* A bad checksum gets nothing and is counted. */
	f[n - 1] ^= 1;
	memset(&sent, 0, sizeof(sent));
	CHECK(!gw_input(f, n, T0, on_send, NULL));
	CHECK_EQ(sent.n, 0u);
	{
		struct gw_stats st;

		gw_stats(&st);
		CHECK_EQ(st.nd_malformed, 1u);
		CHECK_EQ(st.ra_sent, 1u);
	}
	gw_fini(T0);
}

static void test_periodic(void)
{
	uint8_t f[64] = {0};
	uint64_t next;

	CHECK_EQ(start(false, 0), 0);
	/* No VM yet: nothing is timed. */
	CHECK_EQ(gw_tick(T0), 0u);
	/* Any frame from a VM starts the series and asks for a tick. */
	memcpy(f, GW_MAC, 6);
	memcpy(f + 6, VM_MAC, 6);
	f[12] = 0x08;
	gw_input(f, sizeof(f), T0, on_send, NULL);
	CHECK_EQ(pendings, 1u);
	next = gw_tick(T0);
	CHECK_EQ(sent.n, 1u); /* the first RA, to all nodes */
	CHECK(sent.buf[0][0] == 0x33 && sent.buf[0][5] == 1);
	CHECK_EQ(next, T0 + 16000u);
	CHECK_EQ(gw_tick(T0 + 100), T0 + 16000u); /* not due: nothing sent */
	CHECK_EQ(sent.n, 1u);
	next = gw_tick(next); /* initial series */
	next = gw_tick(next);
	next = gw_tick(next);
	CHECK_EQ(sent.n, 4u);
	CHECK_EQ(next, T0 + 3 * 16000u + 600000u);
	/* Nobody listens: the series stops. */
	flood_ports = 0;
	CHECK_EQ(gw_tick(next), 0u);
	gw_input(f, sizeof(f), next + 1, on_send, NULL);
	CHECK_EQ(pendings, 2u);
	gw_fini(T0);
}

static void test_ns_na(void)
{
	uint8_t f[1600], m[32], vm_ll[16], gw_ll[16], ula[16], sn[16];
	uint8_t sn_mac[6], unspec[16] = {0};
	struct pkt_ipv6 ip6;
	struct pkt_nd nd;
	size_t n;

	CHECK_EQ(start(true, 0), 0);
	pkt_ipv6_eui64(LL8, VM_MAC, vm_ll);
	pkt_ipv6_eui64(LL8, GW_MAC, gw_ll);
	memcpy(ula, PREFIX, 16);
	ula[15] = 1;
	memcpy(sn, (uint8_t[16]){0xff, 2, [11] = 1, [12] = 0xff}, 16);
	memcpy(sn + 13, ula + 13, 3);
	pkt_ipv6_mcast_mac(sn, sn_mac);
	n = nd_frame(f, sn_mac, VM_MAC, vm_ll, sn, m, ns_msg(m, ula, VM_MAC));
	gw_input(f, n, T0, on_send, NULL);
	CHECK_EQ(sent.n, 1u);
	CHECK(parse_sent(0, &ip6, &nd));
	CHECK_EQ(nd.type, PKT_ICMP6_NA);
	CHECK(!memcmp(nd.target, ula, 16) && !memcmp(ip6.src, ula, 16));
	CHECK(!memcmp(ip6.dst, vm_ll, 16));
	CHECK_EQ(nd.flags,
		 PKT_ND_NA_ROUTER | PKT_ND_NA_SOLICITED | PKT_ND_NA_OVERRIDE);
	CHECK(nd.lladdr && !memcmp(nd.lladdr, GW_MAC, 6));
	/* The link-local address too, asked by unicast. */
	memset(&sent, 0, sizeof(sent));
	n = nd_frame(f, GW_MAC, VM_MAC, vm_ll, gw_ll, m,
		     ns_msg(m, gw_ll, VM_MAC));
	CHECK(gw_input(f, n, T0, on_send, NULL));
	CHECK_EQ(sent.n, 1u);
	/* Another VM's duplicate address detection for our address: an
	 * unsolicited NA to all nodes defends it. */
	memset(&sent, 0, sizeof(sent));
	n = nd_frame(f, sn_mac, VM_MAC, unspec, sn, m, ns_msg(m, ula, NULL));
	gw_input(f, n, T0, on_send, NULL);
	CHECK_EQ(sent.n, 1u);
	CHECK(parse_sent(0, &ip6, &nd) && !(nd.flags & PKT_ND_NA_SOLICITED));
	CHECK(!memcmp(ip6.dst, pkt_ipv6_all_nodes, 16));
	/* ...but one with a source link-layer option is malformed. */
	memset(&sent, 0, sizeof(sent));
	n = nd_frame(f, sn_mac, VM_MAC, unspec, sn, m, ns_msg(m, ula, VM_MAC));
	gw_input(f, n, T0, on_send, NULL);
	CHECK_EQ(sent.n, 0u);
	/* A solicitation for another address gets nothing. */
	n = nd_frame(f, sn_mac, VM_MAC, vm_ll, sn, m, ns_msg(m, vm_ll, VM_MAC));
	gw_input(f, n, T0, on_send, NULL);
	CHECK_EQ(sent.n, 0u);
	/* Without the responder (a host interface answers), nothing. */
	CHECK_EQ(start(false, 0), 0);
	n = nd_frame(f, sn_mac, VM_MAC, vm_ll, sn, m, ns_msg(m, ula, VM_MAC));
	gw_input(f, n, T0, on_send, NULL);
	CHECK_EQ(sent.n, 0u);
	gw_fini(T0);
}

static void test_echo6(void)
{
	uint8_t f[1600], m[16] = {PKT_ICMP6_ECHO_REQUEST,
				  0,
				  0,
				  0,
				  0,
				  7,
				  0,
				  9,
				  'p',
				  'i',
				  'n',
				  'g'};
	uint8_t vm_ll[16], ula[16];
	struct pkt_ipv6 ip6;
	size_t n;

	CHECK_EQ(start(true, 0), 0);
	pkt_ipv6_eui64(LL8, VM_MAC, vm_ll);
	memcpy(ula, PREFIX, 16);
	ula[15] = 1;
	n = nd_frame(f, GW_MAC, VM_MAC, vm_ll, ula, m, 12);
	CHECK(gw_input(f, n, T0, on_send, NULL));
	CHECK_EQ(sent.n, 1u);
	CHECK(pkt_ipv6_parse(sent.buf[0] + 14, sent.len[0] - 14, &ip6));
	CHECK_EQ(ip6.payload[0], PKT_ICMP6_ECHO_REPLY);
	CHECK_EQ(pkt_icmp6_csum(&ip6), 0);
	CHECK(!memcmp(ip6.payload + 4, m + 4, 8));
	CHECK(!memcmp(ip6.src, ula, 16) && !memcmp(ip6.dst, vm_ll, 16));
	/* To another address: no reply. */
	memset(&sent, 0, sizeof(sent));
	n = nd_frame(f, GW_MAC, VM_MAC, vm_ll, vm_ll, m, 12);
	gw_input(f, n, T0, on_send, NULL);
	CHECK_EQ(sent.n, 0u);
	gw_fini(T0);
}

static void test_nd_parse(void)
{
	uint8_t f[1600], m[48], a[16], sn[16] = {0xff, 2};
	struct pkt_ipv6 ip6;
	struct pkt_nd nd;
	size_t n;

	pkt_ipv6_eui64(LL8, VM_MAC, a);
	n = nd_frame(f, GW_MAC, VM_MAC, a, sn, m, ns_msg(m, a, VM_MAC));
	CHECK(pkt_ipv6_parse(f + 14, n - 14, &ip6) && pkt_nd_parse(&ip6, &nd));
	CHECK(nd.lladdr && !nd.lladdr_other);
	/* Hop limit below 255: not neighbour discovery. */
	f[14 + 7] = 254;
	CHECK(pkt_ipv6_parse(f + 14, n - 14, &ip6) && !pkt_nd_parse(&ip6, &nd));
	/* A zero-length option. */
	ns_msg(m, a, VM_MAC);
	m[25] = 0;
	n = nd_frame(f, GW_MAC, VM_MAC, a, sn, m, 32);
	CHECK(pkt_ipv6_parse(f + 14, n - 14, &ip6) && !pkt_nd_parse(&ip6, &nd));
	/* An option running past the end. */
	m[25] = 2;
	n = nd_frame(f, GW_MAC, VM_MAC, a, sn, m, 32);
	CHECK(pkt_ipv6_parse(f + 14, n - 14, &ip6) && !pkt_nd_parse(&ip6, &nd));
	/* Two source link-layer options naming different MACs. */
	ns_msg(m, a, VM_MAC);
	m[32] = PKT_ND_OPT_SLLA;
	m[33] = 1;
	memcpy(m + 34, VM2_MAC, 6);
	n = nd_frame(f, GW_MAC, VM_MAC, a, sn, m, 40);
	CHECK(pkt_ipv6_parse(f + 14, n - 14, &ip6) && pkt_nd_parse(&ip6, &nd));
	CHECK(nd.lladdr_other);
	/* A multicast target. */
	n = nd_frame(f, GW_MAC, VM_MAC, a, sn, m, ns_msg(m, sn, NULL));
	CHECK(pkt_ipv6_parse(f + 14, n - 14, &ip6) && !pkt_nd_parse(&ip6, &nd));
	/* Too short for an NA. */
	n = nd_frame(f, GW_MAC, VM_MAC, a, sn, m, na_msg(m, a, VM_MAC));
	n = nd_frame(f, GW_MAC, VM_MAC, a, sn, m, 20);
	CHECK(pkt_ipv6_parse(f + 14, n - 14, &ip6) && !pkt_nd_parse(&ip6, &nd));
}

static void test_prefix(void)
{
	uint8_t a[16], b[16], c[16];

	net_ipv6_prefix(0xc0a86901u, 0xffffff00u, a);
	net_ipv6_prefix(0xc0a869feu, 0xffffff00u, b); /* same network */
	net_ipv6_prefix(0xc0a86a01u, 0xffffff00u, c);
	CHECK_EQ(a[0], 0xfd);
	CHECK(!memcmp(a, b, 16));
	CHECK(memcmp(a, c, 16) != 0);
	for (int i = 6; i < 16; i++)
		CHECK_EQ(a[i], 0);
}

/**
 * guard_frame() - check a frame from VM_MAC's port as the switch does
 * @c:		configuration
 * @g:		the port's state
 * @other_holds: another port holds a DAD probe's target
 * @f:		the frame
 * @n:		its length
 *
 * Return: the verdict
 */
static enum guard_reason guard_frame(const struct guard_conf *c,
				     struct guard_port *g, bool other_holds,
				     const uint8_t *f, size_t n)
{
	enum guard_reason r = guard_check(c, g, f, n);
	const uint8_t *t;

	if (r == GUARD_PASS && c->level == GUARD_STRICT &&
	    (t = guard_dad_target(f, n)))
		r = guard_claim6(c, g, t, other_holds);
	return r;
}

static void test_guards(void)
{
	static struct guard_conf c;
	static struct guard_port g;
	uint8_t f[1600], m[48], ll[16], ula[16], gwa[16], sn[16] = {0xff, 2};
	uint8_t unspec[16] = {0}, mine[16], other_ll[16];
	uint8_t echo[8] = {PKT_ICMP6_ECHO_REQUEST};
	size_t n;

	memset(&c, 0, sizeof(c));
	memset(&g, 0, sizeof(g));
	c.level = GUARD_MAC;
	memcpy(gwa, PREFIX, 16);
	gwa[15] = 1;
	memcpy(c.gw6[0], gwa, 16);
	c.ngw6 = 1;
	guard_port_bind(&g, VM_MAC);
	pkt_ipv6_eui64(LL8, VM_MAC, ll);
	pkt_ipv6_eui64(LL8, VM2_MAC, other_ll);
	pkt_ipv6_eui64(PREFIX, VM_MAC, mine);
	memcpy(ula, PREFIX, 16);
	ula[15] = 7;
	/* mac: own link-layer options pass, forged ones do not */
	n = nd_frame(f, GW_MAC, VM_MAC, ll, sn, m, ns_msg(m, ula, VM_MAC));
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_PASS);
	n = nd_frame(f, GW_MAC, VM_MAC, ll, sn, m, ns_msg(m, ula, VM2_MAC));
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_R_ND);
	n = nd_frame(f, GW_MAC, VM_MAC, ll, sn, m, na_msg(m, ll, VM2_MAC));
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_R_ND);
	/* mac: an NA for another VM's address with our own MAC passes (as
	 * ARP does in mac mode), one for the gateway's does not */
	n = nd_frame(f, GW_MAC, VM_MAC, ll, sn, m, na_msg(m, other_ll, VM_MAC));
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_PASS);
	n = nd_frame(f, GW_MAC, VM_MAC, ll, sn, m, na_msg(m, gwa, VM_MAC));
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_R_GATEWAY);
	n = nd_frame(f, GW_MAC, VM_MAC, gwa, sn, echo, 8);
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_R_GATEWAY);
	/* strict: sources limited to the EUI-64 link-local and claims */
	c.level = GUARD_STRICT;
	n = nd_frame(f, GW_MAC, VM_MAC, ll, sn, echo, 8);
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_PASS);
	n = nd_frame(f, GW_MAC, VM_MAC, mine, sn, echo, 8);
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_R_IP6_SRC);
	n = nd_frame(f, GW_MAC, VM_MAC, unspec, sn, echo, 8);
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_R_IP6_SRC);
	n = nd_frame(f, GW_MAC, VM_MAC, ll, sn, m, na_msg(m, other_ll, VM_MAC));
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_R_IP6_SRC);
	/* a held address cannot be claimed; a free one can, once */
	n = nd_frame(f, GW_MAC, VM_MAC, unspec, sn, m, ns_msg(m, mine, NULL));
	CHECK_EQ(guard_frame(&c, &g, true, f, n), GUARD_R_IP6_TAKEN);
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_PASS);
	CHECK(guard_holds6(&g, mine));
	CHECK_EQ(g.nip6, 1u);
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_PASS);
	CHECK_EQ(g.nip6, 1u);
	n = nd_frame(f, GW_MAC, VM_MAC, unspec, sn, m, ns_msg(m, gwa, NULL));
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_R_GATEWAY);
	n = nd_frame(f, GW_MAC, VM_MAC, mine, sn, echo, 8);
	CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_PASS);
	/* the ring keeps the last GUARD_IP6 claims */
	for (unsigned int i = 0; i < GUARD_IP6; i++) {
		ula[15] = (uint8_t)(100 + i);
		n = nd_frame(f, GW_MAC, VM_MAC, unspec, sn, m,
			     ns_msg(m, ula, NULL));
		CHECK_EQ(guard_frame(&c, &g, false, f, n), GUARD_PASS);
	}
	CHECK(!guard_holds6(&g, mine));
	CHECK(guard_holds6(&g, ula));
}

static const struct unit_test tests[] = {
    {"rs_ra", test_rs_ra},	 {"periodic", test_periodic},
    {"ns_na", test_ns_na},	 {"echo6", test_echo6},
    {"nd_parse", test_nd_parse}, {"prefix", test_prefix},
    {"guards", test_guards},
};

UNIT_MAIN("ipv6", tests)
