/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness of the guards (src/guard.c): guard_check(),
 * guard_snoop() and guard_forward() on a configuration and a port state
 * chosen by the input, then on a sequence of frames from the input (the
 * port state carries over from frame to frame, as on a real port);
 * guard_format_drops() and guard_parse_cidr() on the side.
 *
 * Input layout: a flags byte (level off/mac/strict, --allow-vlan,
 * --isolate, a gateway, the port bound or not), a counts byte (rules,
 * statics, --dhcp-clients), the port's lease (4 bytes), the rules (4 bytes
 * network, 1 byte prefix length and allow bit each), the statics (1 byte
 * picking the port's MAC or another, 4 bytes address each); then records
 * of one operation byte, a 16-bit length and that many bytes. The
 * operation picks guard_check(), guard_snoop(), guard_forward() (with
 * from_vm and to_vm bits) or the side functions, and may overwrite the
 * frame's source MAC with the port's, so that the fuzzer gets past that
 * first check at will.
 *
 * Invariants, beyond "no crash": at level mac or strict a frame passes
 * only with the port bound and its source MAC the port's, with no VLAN tag
 * unless allowed, with no IPv4 or ARP source that is the gateway, and
 * never as an IPv6 router advertisement (134) or redirect (137), found
 * here by an independent walk of the extension headers; at strict an IPv4
 * frame (or an ARP with a sender address) passes only from the lease the
 * port had, one of its statics, or (IPv4) as a DHCP client message from
 * 0.0.0.0; a frame that passes gives no lease to another port that
 * guard_snoop() is shown it for (as the switch does with every frame
 * queued to a VM); off passes everything; the DHCP client identities recorded
 * stay within --dhcp-clients; guard_forward() agrees with an independent
 * longest-prefix match of the rules and with --isolate; guard_snoop() sets
 * a lease only at strict, for a bound port, from an ACK naming its MAC,
 * and returns what it set; formatted drop counts fit their buffer; a
 * parsed CIDR block has no host bits and parses back the same.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "guard.h"

#define FUZZ_GW	       0xc0a86901u /* 192.168.105.1 */
#define FUZZ_MAX_FRAME 2048u

static const uint8_t fuzz_port_mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static const uint8_t fuzz_other_mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x57};

/**
 * fuzz_conf() - read the configuration and the port state
 * @in:		the input
 * @c:		the configuration, filled in
 * @g:		the port's guard state, filled in
 */
static void fuzz_conf(struct fuzz_in *in, struct guard_conf *c,
		      struct guard_port *g)
{
	uint8_t flags = fuzz_u8(in), counts = fuzz_u8(in);
	unsigned int nrules = counts & 3, nstatics = (counts >> 2) & 3;

	memset(c, 0, sizeof(*c));
	memset(g, 0, sizeof(*g));
	c->level = (enum guard_level)((flags & 3) % 3);
	c->allow_vlan = flags & 0x04;
	c->isolate = flags & 0x08;
	c->gateway = flags & 0x10 ? FUZZ_GW : 0;
	c->dhcp_clients = 1 + (counts >> 4) % GUARD_DHCP_KEYS;
	if (!(flags & 0x20))
		guard_port_bind(g, fuzz_port_mac);
	g->lease = fuzz_u32(in);
	for (unsigned int i = 0; i < nrules; i++) {
		struct guard_rule *r = &c->rules[c->nrules++];
		uint32_t net = fuzz_u32(in);
		uint8_t b = fuzz_u8(in);

		r->plen = (b & 0x7f) % 33;
		r->net = net & (r->plen ? ~0u << (32 - r->plen) : 0);
		r->allow = b & 0x80;
	}
	for (unsigned int i = 0; i < nstatics; i++) {
		struct guard_static *s = &c->statics[c->nstatics++];

		memcpy(s->mac, fuzz_u8(in) & 1 ? fuzz_other_mac : fuzz_port_mac,
		       6);
		s->ip = fuzz_u32(in);
	}
}

/**
 * fuzz_ra() - tell whether a frame is an IPv6 router advertisement or
 * redirect, walking the extension headers independently of the guard
 * @f:		the frame
 * @len:	its length
 *
 * Return: true if the upper-layer header is ICMPv6 type 134 or 137
 */
static bool fuzz_ra(const uint8_t *f, size_t len)
{
	size_t off = 54, end;
	uint8_t nh;

	if (len < 54 || fuzz_be16(f + 12) != 0x86dd || f[14] >> 4 != 6)
		return false;
	end = 54 + (size_t)fuzz_be16(f + 18);
	if (end > len)
		return false;
	nh = f[20];
	for (int i = 0; i < 64; i++) {
		size_t hl;

		if (nh != 0 && nh != 43 && nh != 44 && nh != 51 && nh != 60)
			break;
		if (end - off < 8)
			return false;
		if (nh == 44 && (fuzz_be16(f + off + 2) & 0xfff8))
			return false; /* a later fragment: no ICMPv6 header */
		hl = nh == 44	? 8
		     : nh == 51 ? ((size_t)f[off + 1] + 2) * 4
				: ((size_t)f[off + 1] + 1) * 8;
		if (hl > end - off)
			return false;
		nh = f[off];
		off += hl;
	}
	return nh == 58 && off < end && (f[off] == 134 || f[off] == 137);
}

/**
 * fuzz_ip_ok() - may a port use an IPv4 source at strict
 * @c:		the configuration
 * @lease:	the lease the port had before the frame
 * @ip:		the source, host order
 *
 * Return: true for the lease or one of the port's statics
 */
static bool fuzz_ip_ok(const struct guard_conf *c, uint32_t lease, uint32_t ip)
{
	if (lease && ip == lease)
		return true;
	for (unsigned int i = 0; i < c->nstatics; i++)
		if (c->statics[i].ip == ip &&
		    !memcmp(c->statics[i].mac, fuzz_port_mac, 6))
			return true;
	return false;
}

/**
 * fuzz_passed_ipv4() - check an untagged IPv4 frame that passed
 * @c:		the configuration (level mac or strict)
 * @lease:	the port's lease before the frame
 * @f:		the frame
 * @len:	its length
 */
static void fuzz_passed_ipv4(const struct guard_conf *c, uint32_t lease,
			     const uint8_t *f, size_t len)
{
	size_t ihl;
	uint32_t src;
	bool dhcp = false;

	FUZZ_ASSERT(len >= 34);
	ihl = (size_t)(f[14] & 0x0f) * 4;
	src = fuzz_be32(f + 26);
	FUZZ_ASSERT(!c->gateway || src != c->gateway);
	if (c->level != GUARD_STRICT)
		return;
	if (src == 0 && f[23] == 17 && !(fuzz_be16(f + 20) & 0x1fff)) {
		FUZZ_ASSERT(len >= 14 + ihl + 8);
		dhcp = fuzz_be16(f + 14 + ihl) == 68 &&
		       fuzz_be16(f + 16 + ihl) == 67;
	}
	FUZZ_ASSERT(fuzz_ip_ok(c, lease, src) || dhcp);
}

/**
 * fuzz_check() - guard_check() on one frame, and its invariants
 * @c:		the configuration
 * @g:		the port's guard state
 * @f:		the frame (an exact-size copy)
 * @len:	its length
 */
static void fuzz_check(const struct guard_conf *c, struct guard_port *g,
		       const uint8_t *f, size_t len)
{
	uint32_t lease = g->lease, spa;
	enum guard_reason r = guard_check(c, g, f, len);
	struct guard_port victim = {.bound = true};
	uint16_t type;

	FUZZ_ASSERT(r < GUARD_NREASONS && guard_reason_name(r) != NULL);
	FUZZ_ASSERT(g->ndhcp <= c->dhcp_clients && g->ndhcp <= GUARD_DHCP_KEYS);
	if (c->level == GUARD_OFF) {
		FUZZ_ASSERT(r == GUARD_PASS);
		return;
	}
	if (r != GUARD_PASS) {
		/* A frame dropped changes nothing the port may do */
		FUZZ_ASSERT(g->lease == lease);
		return;
	}
	FUZZ_ASSERT(g->bound && len >= 14 && !memcmp(f + 6, g->mac, 6));
	FUZZ_ASSERT(!fuzz_ra(f, len));
	/* What a VM may send never gives another port a lease */
	memcpy(victim.mac, fuzz_other_mac, 6);
	FUZZ_ASSERT(guard_snoop(c, &victim, f, len) == 0 && !victim.lease);
	type = fuzz_be16(f + 12);
	if (type == 0x8100 || type == 0x88a8 || type == 0x9100)
		FUZZ_ASSERT(c->allow_vlan);
	if (type == 0x0800)
		fuzz_passed_ipv4(c, lease, f, len);
	if (type == 0x0806) {
		FUZZ_ASSERT(len >= 42);
		spa = fuzz_be32(f + 28);
		FUZZ_ASSERT(!c->gateway || spa != c->gateway);
		FUZZ_ASSERT(c->level != GUARD_STRICT || !spa ||
			    fuzz_ip_ok(c, lease, spa));
	}
}

/**
 * fuzz_rules_allow() - longest-prefix match of the rules, written apart
 * from the guard's
 * @c:		the configuration
 * @dst:	destination, host order
 *
 * Return: true if allowed (no match allows, a block wins a tie)
 */
static bool fuzz_rules_allow(const struct guard_conf *c, uint32_t dst)
{
	int best = -1;
	bool allow = true;

	for (unsigned int i = 0; i < c->nrules; i++) {
		const struct guard_rule *r = &c->rules[i];
		uint64_t m = (0xffffffffull << (32 - r->plen)) & 0xffffffffu;

		if ((dst & m) != r->net || (int)r->plen < best)
			continue;
		if ((int)r->plen > best || !r->allow)
			allow = r->allow;
		best = (int)r->plen;
	}
	return allow;
}

/**
 * fuzz_forward() - guard_forward() on one frame, and its invariants
 * @c:		the configuration
 * @op:		the operation byte (from_vm and to_vm bits)
 * @f:		the frame
 * @len:	its length
 */
static void fuzz_forward(const struct guard_conf *c, uint8_t op,
			 const uint8_t *f, size_t len)
{
	bool from_vm = op & 0x40, to_vm = op & 0x80;
	enum guard_reason r = guard_forward(c, from_vm, to_vm, f, len);
	enum guard_reason want = GUARD_PASS;

	if (from_vm && to_vm && c->isolate)
		want = GUARD_R_ISOLATE;
	if (from_vm && !to_vm && c->nrules && len >= 34 &&
	    fuzz_be16(f + 12) == 0x0800 &&
	    !fuzz_rules_allow(c, fuzz_be32(f + 30)))
		want = GUARD_R_BLOCKED;
	FUZZ_ASSERT(r == want);
}

/**
 * fuzz_snoop() - guard_snoop() on one frame sent to the port
 * @c:		the configuration
 * @g:		the port's guard state
 * @f:		the frame
 * @len:	its length
 */
static void fuzz_snoop(const struct guard_conf *c, struct guard_port *g,
		       const uint8_t *f, size_t len)
{
	struct guard_port before = *g;
	uint32_t a = guard_snoop(c, g, f, len);
	size_t dhcp;

	FUZZ_ASSERT(g->ndhcp == before.ndhcp && g->bound == before.bound);
	if (c->level != GUARD_STRICT || !g->bound)
		FUZZ_ASSERT(g->lease == before.lease);
	if (!a)
		return;
	FUZZ_ASSERT(c->level == GUARD_STRICT && g->bound && g->lease == a);
	dhcp = 14 + (size_t)(f[14] & 0x0f) * 4 + 8;
	FUZZ_ASSERT(len >= dhcp + 240 && f[23] == 17);
	FUZZ_ASSERT(fuzz_be32(f + dhcp + 16) == a);
	FUZZ_ASSERT(!memcmp(f + dhcp + 28, g->mac, 6));
}

/**
 * fuzz_side() - guard_format_drops() and guard_parse_cidr() on the bytes
 * @g:		a port's guard state (a copy is given the counts)
 * @p:		the bytes
 * @n:		how many
 */
static void fuzz_side(const struct guard_port *g, const uint8_t *p, size_t n)
{
	struct guard_port d = *g;
	struct guard_rule r, r2;
	char buf[300], text[64];
	size_t len = n ? 1 + p[0] % sizeof(buf) : sizeof(buf);

	for (size_t i = 0; i < GUARD_NREASONS && 1 + 2 * i < n; i++)
		d.drops[i] = (uint64_t)p[1 + 2 * i] << (p[1 + 2 * i] % 57);
	guard_format_drops(&d, buf, len);
	FUZZ_ASSERT(strnlen(buf, len) < len);
	n = n < sizeof(text) ? n : sizeof(text) - 1;
	memcpy(text, p, n);
	text[n] = '\0';
	if (guard_parse_cidr(text, &r) < 0)
		return;
	FUZZ_ASSERT(r.plen <= 32);
	FUZZ_ASSERT(!r.plen || !(r.net & ~(~0u << (32 - r.plen))));
	FUZZ_ASSERT(r.plen || !r.net);
	snprintf(text, sizeof(text), "%u.%u.%u.%u/%u", r.net >> 24,
		 (r.net >> 16) & 255, (r.net >> 8) & 255, r.net & 255, r.plen);
	FUZZ_ASSERT(guard_parse_cidr(text, &r2) == 0);
	FUZZ_ASSERT(r2.net == r.net && r2.plen == r.plen);
}

/**
 * LLVMFuzzerTestOneInput() - run one input
 * @data:	the input (layout in the header comment)
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	struct guard_conf c;
	struct guard_port g;

	fuzz_conf(&in, &c, &g);
	while (in.len) {
		uint8_t op = fuzz_u8(&in);
		const uint8_t *p;
		size_t n = fuzz_take(&in, fuzz_u16(&in) % FUZZ_MAX_FRAME, &p);
		uint8_t *f = fuzz_dup(p, n);

		if ((op & 0x10) && n >= 12)
			memcpy(f + 6, fuzz_port_mac, 6);
		switch (op & 3) {
		case 0:
			fuzz_check(&c, &g, f, n);
			break;
		case 1:
			fuzz_snoop(&c, &g, f, n);
			break;
		case 2:
			fuzz_forward(&c, op, f, n);
			break;
		default:
			fuzz_side(&g, f, n);
			break;
		}
		free(f);
	}
	return 0;
}
