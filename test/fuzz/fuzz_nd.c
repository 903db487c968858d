/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness of IPv6 neighbour discovery: the gateway's router
 * advertisements, neighbour advertisements and ICMPv6 echo (gw_input(),
 * gw_tick(); ra.c, ndp.c, icmp.c) for an isolated-mode gateway with the
 * prefix fd12:3456:789a::/64, an MTU and one DNS server, and the strict
 * ND guards (guard_check(), guard_dad_target(), guard_claim6()) on the same
 * frames. State lives across inputs, from scratch every FUZZ_EPOCH inputs
 * (fuzz.h).
 *
 * Input layout: records of a framing byte, a time step (x 100 ms), a 16-bit
 * length and that many bytes (an incomplete last record is ignored).
 * Framing 0 sends the bytes as a raw frame; 1 wraps them as an ICMPv6
 * message (hop limit 255, checksum fixed up) from the VM's link-local
 * address to the gateway's unique local one; 2 the same from the
 * unspecified address to a solicited-node group; 3 from the link-local
 * address to all routers. Bit 0x80 of the framing byte says whether
 * another port holds a claimed address.
 *
 * Invariants: every frame the gateway sends comes from its MAC, is IPv6
 * from one of its addresses, and is either a router advertisement or a
 * neighbour advertisement that pkt_nd_parse() reads back (an NA's target
 * is the gateway's, its option the gateway's MAC; an RA's source
 * link-layer option the gateway's MAC) or an echo reply with a good
 * checksum; unicast answers go to the asking VM's MAC; the counters go up
 * by exactly the frames sent; a port never holds a claimed address the
 * switch said was held, nor a gateway address.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "guard.h"
#include "gw.h"
#include "pkt.h"

static const uint8_t nd_gw_mac[6] = {0x5a, 0x94, 0xef, 0, 0, 1};
static const uint8_t nd_vm_mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static const uint8_t nd_prefix[16] = {0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a};
static uint8_t nd_frame[70000];
static uint64_t nd_now;
static bool nd_up;
static unsigned int nd_sent;
static const uint8_t *nd_req;
static struct guard_conf nd_gc;
static struct guard_port nd_gp;

/**
 * nd_is_gw() - tell whether an address is one of the gateway's
 * @a:		the address
 *
 * Return: true for its link-local or unique local address
 */
static bool nd_is_gw(const uint8_t *a)
{
	static const uint8_t ll[8] = {0xfe, 0x80};
	uint8_t x[16];

	pkt_ipv6_eui64(ll, nd_gw_mac, x);
	if (!memcmp(a, x, 16))
		return true;
	memcpy(x, nd_prefix, 16);
	x[15] = 1;
	return !memcmp(a, x, 16);
}

/**
 * nd_check_sent() - check a frame the gateway sent
 * @f:		the frame
 * @len:	its length
 */
static void nd_check_sent(const uint8_t *f, size_t len)
{
	struct pkt_ipv6 ip6;
	struct pkt_nd nd;

	nd_sent++;
	FUZZ_ASSERT(len >= 14 + 40 + 4 && !memcmp(f + 6, nd_gw_mac, 6));
	FUZZ_ASSERT(fuzz_be16(f + 12) == PKT_ETHERTYPE_IPV6);
	FUZZ_ASSERT(pkt_ipv6_parse(f + 14, len - 14, &ip6));
	FUZZ_ASSERT(nd_is_gw(ip6.src) && pkt_icmp6_csum(&ip6) == 0);
	FUZZ_ASSERT(!pkt_mac_is_group(f) || (f[0] == 0x33 && f[1] == 0x33 &&
					     !memcmp(f + 2, "\0\0\0\1", 4)));
	if (!pkt_mac_is_group(f))
		FUZZ_ASSERT(nd_req && !memcmp(f, nd_req + 6, 6));
	if (ip6.payload[0] == PKT_ICMP6_ECHO_REPLY)
		return;
	FUZZ_ASSERT(pkt_nd_parse(&ip6, &nd));
	FUZZ_ASSERT(nd.type == PKT_ICMP6_RA || nd.type == PKT_ICMP6_NA);
	FUZZ_ASSERT(nd.lladdr && !memcmp(nd.lladdr, nd_gw_mac, 6));
	if (nd.type == PKT_ICMP6_NA)
		FUZZ_ASSERT(nd_is_gw(nd.target));
}

static void nd_send(void *arg, const uint8_t *frame, size_t len)
{
	nd_check_sent(frame, len);
}

static unsigned int nd_flood(const uint8_t *frame, size_t len)
{
	const uint8_t *req = nd_req;

	nd_req = NULL;
	nd_check_sent(frame, len);
	nd_req = req;
	return 1;
}

/**
 * nd_start() - a fresh gateway and guard state
 */
static void nd_start(void)
{
	struct gw_conf c;
	char err[256];

	memset(&c, 0, sizeof(c));
	c.gateway.s_addr = htonl(0xc0a86901u);
	memcpy(c.mac, nd_gw_mac, 6);
	c.responder = true;
	c.mtu = 1500;
	c.ipv6 = true;
	memcpy(c.prefix6, nd_prefix, 16);
	memcpy(c.dns6[0].s6_addr, nd_prefix, 16);
	c.dns6[0].s6_addr[15] = 0x53;
	c.ndns6 = 1;
	c.flood = nd_flood;
	nd_now = 1000000;
	if (gw_init(&c, nd_now, err, sizeof(err)) < 0) {
		fprintf(stderr, "gw_init: %s\n", err);
		abort();
	}
	memset(&nd_gc, 0, sizeof(nd_gc));
	memset(&nd_gp, 0, sizeof(nd_gp));
	nd_gc.level = GUARD_STRICT;
	memcpy(nd_gc.gw6[0], nd_prefix, 16);
	nd_gc.gw6[0][15] = 1;
	pkt_ipv6_eui64((const uint8_t[8]){0xfe, 0x80}, nd_gw_mac, nd_gc.gw6[1]);
	nd_gc.ngw6 = 2;
	guard_port_bind(&nd_gp, nd_vm_mac);
	nd_up = true;
}

/**
 * nd_frame_of() - build the frame of one record
 * @framing:	how (see the top of the file)
 * @p:		the record's bytes
 * @n:		how many
 *
 * Return: the frame's length in nd_frame
 */
static size_t nd_frame_of(uint8_t framing, const uint8_t *p, size_t n)
{
	static const uint8_t ll[8] = {0xfe, 0x80};
	uint8_t src[16] = {0}, dst[16] = {0xff, 2}, dmac[6];
	struct pkt_wr w;

	if (framing % 4 == 0) {
		n = n < sizeof(nd_frame) ? n : sizeof(nd_frame);
		memcpy(nd_frame, p, n);
		return n;
	}
	if (n < 4 || n > 2000)
		return 0;
	if (framing % 4 != 2)
		pkt_ipv6_eui64(ll, nd_vm_mac, src);
	if (framing % 4 == 1) {
		memcpy(dst, nd_prefix, 16);
		dst[15] = 1;
		memcpy(dmac, nd_gw_mac, 6);
	} else {
		dst[11] = framing % 4 == 3 ? 0 : 1;
		dst[12] = framing % 4 == 3 ? 0 : 0xff;
		dst[15] = framing % 4 == 3 ? 2 : 1;
		pkt_ipv6_mcast_mac(dst, dmac);
	}
	pkt_wr_init(&w, nd_frame, sizeof(nd_frame));
	pkt_put_eth(&w, dmac, nd_vm_mac, PKT_ETHERTYPE_IPV6);
	pkt_put_ipv6(&w, src, dst, PKT_IPPROTO_ICMPV6, n);
	pkt_put_bytes(&w, p, n);
	nd_frame[14 + 40 + 2] = nd_frame[14 + 40 + 3] = 0;
	if (w.overflow || !pkt_icmp6_finish(nd_frame + 14, w.off - 14))
		return 0;
	return w.off;
}

/**
 * nd_one() - one frame through the guards and the gateway
 * @f:		the frame (an exact-size copy)
 * @len:	its length
 * @held:	another port holds what the frame claims
 */
static void nd_one(const uint8_t *f, size_t len, bool held)
{
	struct gw_stats before, after;
	enum guard_reason r = guard_check(&nd_gc, &nd_gp, f, len);
	const uint8_t *t;
	unsigned int n0 = nd_gp.nip6;

	if (r == GUARD_PASS && (t = guard_dad_target(f, len))) {
		r = guard_claim6(&nd_gc, &nd_gp, t, held);
		FUZZ_ASSERT(r != GUARD_PASS || guard_holds6(&nd_gp, t));
		FUZZ_ASSERT(r == GUARD_PASS || nd_gp.nip6 == n0);
		FUZZ_ASSERT(r != GUARD_PASS || !(held || nd_is_gw(t)));
	}
	gw_stats(&before);
	nd_sent = 0;
	nd_req = f;
	gw_input(f, len, nd_now, nd_send, NULL);
	nd_req = NULL;
	gw_stats(&after);
	FUZZ_ASSERT(after.ra_sent + after.na_sent + after.icmp6_replies -
			before.ra_sent - before.na_sent -
			before.icmp6_replies ==
		    nd_sent);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t whole = 0;

	while (size - whole >= 4 &&
	       size - whole - 4 >= fuzz_be16(data + whole + 2))
		whole += 4u + fuzz_be16(data + whole + 2);
	if (fuzz_history_add(data, whole) || !nd_up) {
		gw_fini(nd_now);
		nd_start();
	}
	for (struct fuzz_in in = {data, whole}; in.len;) {
		uint8_t framing = fuzz_u8(&in), dt = fuzz_u8(&in);
		const uint8_t *p;
		size_t n = fuzz_take(&in, fuzz_u16(&in), &p), len;
		uint8_t *copy;

		nd_now += 100u * dt;
		len = nd_frame_of(framing & 0x7f, p, n);
		if (!len)
			continue;
		copy = fuzz_dup(nd_frame, len);
		nd_one(copy, len, framing & 0x80);
		free(copy);
		gw_tick(nd_now);
	}
	return 0;
}
