/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-port guards against spoofing and hijacking.
 *
 * Theory of operation: every frame a VM sends passes guard_ingress() before
 * the switch looks at it. With the default level (mac), a port is bound to
 * the first source MAC it uses (or to the MAC given with --fd) and may send
 * nothing else; its ARP must be well-formed Ethernet/IPv4 ARP whose sender
 * hardware address is that MAC; it may not claim the gateway's address, act
 * as a DHCP or DHCPv6 server, or send IPv6 router advertisements or
 * redirects; VLAN tags are refused unless allowed; its DHCP messages must
 * carry its own MAC, and only a few client identifiers may be used from one
 * port, so one VM can neither drain the address pool nor release or decline
 * another's lease. A port cannot bind to a MAC that another open port is
 * bound to, nor to the host side's or the gateway's. The strict level adds the
 * IPv4 source: it must be the address the DHCP server acknowledged for the port
 * (learned by watching the ACKs sent to it, guard_snoop()) or a --static
 * binding; 0.0.0.0 is allowed for DHCP and ARP probes only. guard_forward()
 * applies what depends on the destination: --isolate (no VM to VM traffic) and
 * the --allow/--block rules for traffic to the host side (longest prefix wins,
 * block wins a tie, no match allows). Every drop is counted per port and
 * reason; the first few per port are logged, then the log is rate limited.
 * Headers are read only after checking the frame is long enough for them.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "guard.h"
#include "log.h"
#include "loop.h"
#include "port.h"
#include "sock.h"
#include "switch.h"

#define ETH_HLEN       14u
#define ETH_P_IP       0x0800u
#define ETH_P_ARP      0x0806u
#define ETH_P_IPV6     0x86ddu
#define ETH_P_8021Q    0x8100u
#define ETH_P_8021AD   0x88a8u
#define ETH_P_QINQ     0x9100u
#define IPPROTO_UDP_   17u
#define IPPROTO_ICMP6_ 58u
#define DHCP_SERVER    67u
#define DHCP_CLIENT    68u
#define DHCP6_SERVER   547u
#define ICMP6_RA       134u
#define ICMP6_REDIRECT 137u
#define BOOTP_CHADDR   28u  /* offset of chaddr in a BOOTP message */
#define BOOTP_YIADDR   16u  /* offset of yiaddr */
#define BOOTP_OPTIONS  240u /* fixed part and magic cookie */

static struct guard_conf guard_cf;

static const char *const guard_names[GUARD_NREASONS] = {
    [GUARD_R_SRC_MAC] = "source MAC is not the port's",
    [GUARD_R_VLAN] = "VLAN tag",
    [GUARD_R_ARP] = "spoofed or malformed ARP",
    [GUARD_R_GATEWAY] = "claims the gateway address",
    [GUARD_R_DHCP_SERVER] = "DHCP server message",
    [GUARD_R_RA] = "IPv6 router advertisement or redirect",
    [GUARD_R_IP_SRC] = "IPv4 source is not the port's",
    [GUARD_R_DHCP_LIMIT] = "too many DHCP clients on the port",
    [GUARD_R_MALFORMED] = "malformed header",
    [GUARD_R_ISOLATE] = "VM to VM traffic (--isolate)",
    [GUARD_R_BLOCKED] = "destination blocked",
    [GUARD_R_MAC_TAKEN] = "MAC belongs to another port or the host",
    [GUARD_R_DHCP_CHADDR] = "DHCP message for another client's MAC",
};

/**
 * guard_rd16() - read a big-endian 16-bit field
 * @p:		its first byte (the caller checked the bounds)
 *
 * Return: the value
 */
static uint16_t guard_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * guard_rd32() - read a big-endian 32-bit field
 * @p:		its first byte (the caller checked the bounds)
 *
 * Return: the value
 */
static uint32_t guard_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * guard_init() - set the guard configuration
 * @c:		settings from the command line
 */
void guard_init(const struct guard_conf *c)
{
	guard_cf = *c;
	if (guard_cf.dhcp_clients > GUARD_DHCP_KEYS)
		guard_cf.dhcp_clients = GUARD_DHCP_KEYS;
}

/**
 * guard_reserve_mac() - keep VM ports from binding to a MAC
 * @mac:	the host side's or the gateway's address
 */
void guard_reserve_mac(const uint8_t mac[6])
{
	if (guard_cf.nreserved < 2)
		memcpy(guard_cf.reserved[guard_cf.nreserved++], mac, 6);
}

/**
 * guard_reason_name() - describe a drop reason
 * @r:		the reason
 *
 * Return: a short text
 */
const char *guard_reason_name(enum guard_reason r)
{
	return r < GUARD_NREASONS ? guard_names[r] : "unknown";
}

/**
 * guard_port_bind() - bind a port to a MAC before it sends anything
 * @g:		the port's guard state
 * @mac:	the address (--fd=N,mac=MAC)
 */
void guard_port_bind(struct guard_port *g, const uint8_t mac[6])
{
	memcpy(g->mac, mac, 6);
	g->bound = true;
}

/**
 * guard_drop() - count and maybe log a dropped frame
 * @p:		port the frame came from
 * @r:		why it is dropped
 *
 * Return: false, for "return guard_drop(...)"
 */
static bool guard_drop(struct port *p, enum guard_reason r)
{
	/* The first drop of each reason is always logged, then the port's
	 * lines are rate limited. */
	if (p->guard.drops[r]++ == 0 || log_limit_ok(&p->guard.log, loop_now()))
		log_warnx("port %u: dropped a frame: %s", p->id,
			  guard_names[r]);
	return false;
}

/**
 * guard_ip_ok() - tell whether a port may use an IPv4 source (strict)
 * @g:		the port's guard state
 * @ip:		the address, host order
 *
 * Return: true for its DHCP lease or one of its --static addresses
 */
static bool guard_ip_ok(const struct guard_port *g, uint32_t ip)
{
	if (g->lease && ip == g->lease)
		return true;
	for (unsigned int i = 0; i < guard_cf.nstatics; i++)
		if (guard_cf.statics[i].ip == ip &&
		    !memcmp(guard_cf.statics[i].mac, g->mac, 6))
			return true;
	return false;
}

/**
 * guard_dhcp_type() - the DHCP message type (option 53) of a message
 * @m:		the BOOTP message
 * @len:	its length
 *
 * Return: the type, 0 if absent or unreadable
 */
static unsigned int guard_dhcp_type(const uint8_t *m, size_t len)
{
	size_t off = BOOTP_OPTIONS;

	while (off + 2 <= len && m[off] != 255) {
		if (m[off] == 0) {
			off++;
			continue;
		}
		if (off + 2 + m[off + 1] > len)
			return 0;
		if (m[off] == 53 && m[off + 1] == 1)
			return m[off + 2];
		off += 2u + m[off + 1];
	}
	return 0;
}

/**
 * guard_dhcp_client() - limit the DHCP client identities of a port
 * @g:		the port's guard state
 * @m:		the BOOTP message from the port
 * @len:	its length
 *
 * The message must name the port's own MAC (chaddr, with hlen 6), which the
 * caller checked; here at most --dhcp-clients client identifiers (option
 * 61, compared as the server files leases) may be used from one port.
 *
 * Return: true if the message may pass
 */
static bool guard_dhcp_client(struct guard_port *g, const uint8_t *m,
			      size_t len)
{
	const uint8_t *id = NULL;
	size_t idlen = 0, off = BOOTP_OPTIONS;

	if (len < BOOTP_OPTIONS)
		return false;
	while (off + 2 <= len && m[off] != 255) {
		if (m[off] == 0) {
			off++;
			continue;
		}
		if (off + 2 + m[off + 1] > len)
			break;
		if (m[off] == 61 && m[off + 1]) {
			id = m + off + 2;
			idlen = m[off + 1];
			break;
		}
		off += 2u + m[off + 1];
	}
	if (idlen > GUARD_DHCP_ID)
		idlen = GUARD_DHCP_ID;
	for (unsigned int i = 0; i < g->ndhcp; i++)
		if (g->dhcp_idlen[i] == idlen &&
		    (!idlen || !memcmp(g->dhcp_ids[i], id, idlen)))
			return true;
	if (g->ndhcp >= guard_cf.dhcp_clients)
		return false;
	if (idlen)
		memcpy(g->dhcp_ids[g->ndhcp], id, idlen);
	g->dhcp_idlen[g->ndhcp++] = (uint8_t)idlen;
	return true;
}

/**
 * guard_arp() - check an ARP frame from a port
 * @p:		the port
 * @a:		the ARP body
 * @len:	bytes available
 * @smac:	the frame's source MAC
 *
 * Return: true if it may pass
 */
static bool guard_arp(struct port *p, const uint8_t *a, size_t len,
		      const uint8_t *smac)
{
	uint32_t spa;

	if (len < 28 || guard_rd16(a) != 1 || guard_rd16(a + 2) != ETH_P_IP ||
	    a[4] != 6 || a[5] != 4 || memcmp(a + 8, smac, 6))
		return guard_drop(p, GUARD_R_ARP);
	spa = guard_rd32(a + 14);
	if (guard_cf.gateway && spa == guard_cf.gateway)
		return guard_drop(p, GUARD_R_GATEWAY);
	if (guard_cf.level == GUARD_STRICT && spa &&
	    !guard_ip_ok(&p->guard, spa))
		return guard_drop(p, GUARD_R_IP_SRC);
	return true;
}

/**
 * guard_ipv4() - check an IPv4 frame from a port
 * @p:		the port
 * @ip:		the IPv4 header
 * @len:	bytes available from @ip
 *
 * Return: true if it may pass
 */
static bool guard_ipv4(struct port *p, const uint8_t *ip, size_t len)
{
	size_t hlen;
	uint32_t src;
	bool first, udp;
	uint16_t sport = 0, dport = 0;

	if (len < 20 || (ip[0] >> 4) != 4 || (ip[0] & 0x0f) < 5)
		return guard_drop(p, GUARD_R_MALFORMED);
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	/* Look only at what the receiver will: Ethernet padding or trailing
	 * bytes past the IPv4 total length are not part of the datagram. */
	if (guard_rd16(ip + 2) < hlen || guard_rd16(ip + 2) > len)
		return guard_drop(p, GUARD_R_MALFORMED);
	len = guard_rd16(ip + 2);
	src = guard_rd32(ip + 12);
	first = (guard_rd16(ip + 6) & 0x1fff) == 0;
	udp = ip[9] == IPPROTO_UDP_ && first;
	if (udp) {
		if (len < hlen + 8)
			return guard_drop(p, GUARD_R_MALFORMED);
		sport = guard_rd16(ip + hlen);
		dport = guard_rd16(ip + hlen + 2);
	}
	if (guard_cf.gateway && src == guard_cf.gateway)
		return guard_drop(p, GUARD_R_GATEWAY);
	if (udp && sport == DHCP_SERVER)
		return guard_drop(p, GUARD_R_DHCP_SERVER);
	if (udp && dport == DHCP_SERVER) {
		const uint8_t *m = ip + hlen + 8;
		size_t mlen = len - hlen - 8;

		if (mlen >= BOOTP_OPTIONS &&
		    (m[2] != 6 || memcmp(m + BOOTP_CHADDR, p->guard.mac, 6)))
			return guard_drop(p, GUARD_R_DHCP_CHADDR);
		if (!guard_dhcp_client(&p->guard, m, mlen))
			return guard_drop(p, GUARD_R_DHCP_LIMIT);
		if (guard_dhcp_type(m, mlen) == 7) /* RELEASE */
			p->guard.lease = 0;
	}
	if (guard_cf.level == GUARD_STRICT && !guard_ip_ok(&p->guard, src) &&
	    !(src == 0 && udp && sport == DHCP_CLIENT && dport == DHCP_SERVER))
		return guard_drop(p, GUARD_R_IP_SRC);
	return true;
}

/**
 * guard_ipv6_ext() - tell whether an IPv6 next header is an extension header
 * @nh:		next header value
 *
 * Return: true for hop-by-hop, routing, fragment, AH and destination options
 */
static bool guard_ipv6_ext(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 51 || nh == 60;
}

/**
 * guard_ipv6() - check an IPv6 frame from a port
 * @p:		the port
 * @ip:		the IPv6 header
 * @len:	bytes available from @ip
 *
 * Return: true if it may pass
 */
static bool guard_ipv6(struct port *p, const uint8_t *ip, size_t len)
{
	size_t off = 40;
	uint8_t nh;

	if (len < 40 || 40u + guard_rd16(ip + 4) > len)
		return guard_drop(p, GUARD_R_MALFORMED);
	len =
	    40u + guard_rd16(ip + 4); /* trailing bytes are not the packet's */
	nh = ip[6];
	/*
	 * Extension headers may come first: hop-by-hop, routing, destination
	 * options, fragment, authentication. A first fragment must hold the
	 * whole chain (RFC 7112); a later fragment has no upper-layer header
	 * to check.
	 */
	for (int i = 0; i < 8 && guard_ipv6_ext(nh); i++) {
		const uint8_t *h = ip + off;
		size_t hl;

		if (off + 8 > len)
			return guard_drop(p, GUARD_R_MALFORMED);
		if (nh == 44 && (guard_rd16(h + 2) & 0xfff8))
			return true;
		if (nh == 44)
			hl = 8;
		else if (nh == 51)
			hl = ((size_t)h[1] + 2) * 4;
		else
			hl = ((size_t)h[1] + 1) * 8;
		nh = h[0];
		off += hl;
	}
	if (guard_ipv6_ext(nh))
		return guard_drop(p, GUARD_R_MALFORMED);
	if (nh == IPPROTO_ICMP6_) {
		if (off + 1 > len)
			return guard_drop(p, GUARD_R_MALFORMED);
		if (ip[off] == ICMP6_RA || ip[off] == ICMP6_REDIRECT)
			return guard_drop(p, GUARD_R_RA);
	} else if (nh == IPPROTO_UDP_) {
		if (off + 4 > len)
			return guard_drop(p, GUARD_R_MALFORMED);
		if (guard_rd16(ip + off) == DHCP6_SERVER)
			return guard_drop(p, GUARD_R_DHCP_SERVER);
	}
	return true;
}

/**
 * guard_mac_taken() - tell whether a port may not bind to a MAC
 * @p:		the port about to bind
 * @mac:	its first source MAC
 *
 * A datagram peer bound to the same MAC whose socket has gone away (a VM
 * restarted with a new socket) is forgotten instead of blocking the new one.
 * Runs once per port, so walking the open ports is fine.
 *
 * Return: true if the MAC belongs to another open port, the host side or
 * the gateway
 */
static bool guard_mac_taken(struct port *p, const uint8_t *mac)
{
	int owner = fdb_lookup(switch_get_fdb(), mac, loop_now());
	struct port *o = owner >= 0 ? port_get((unsigned int)owner) : NULL;

	for (unsigned int i = 0; i < guard_cf.nreserved; i++)
		if (!memcmp(guard_cf.reserved[i], mac, 6))
			return true;
	/* A station on the host side (the LAN, in bridged mode). */
	if (o && o->kind == PORT_HOST)
		return true;
	for (unsigned int i = 0; i < port_count(); i++) {
		struct port *q = port_active(i);

		if (q == p || !q->guard.bound || memcmp(q->guard.mac, mac, 6))
			continue;
		if (q->kind == PORT_DGRAM_PEER &&
		    !sock_dgram_alive(&q->peer, q->peerlen)) {
			port_close(q, "its MAC reappeared elsewhere and its "
				      "socket is gone");
			return false;
		}
		return true;
	}
	return false;
}

/**
 * guard_ingress() - check a frame a VM sent, before switching it
 * @p:		the VM's port
 * @frame:	the frame
 * @len:	its length, at least an Ethernet header
 *
 * Return: true if the frame may be switched, false if it was dropped
 */
bool guard_ingress(struct port *p, const uint8_t *frame, size_t len)
{
	struct guard_port *g = &p->guard;
	const uint8_t *smac = frame + 6;
	uint16_t type;

	if (guard_cf.level == GUARD_OFF)
		return true;
	if (!g->bound) {
		if (guard_mac_taken(p, smac))
			return guard_drop(p, GUARD_R_MAC_TAKEN);
		guard_port_bind(g, smac);
	} else if (memcmp(smac, g->mac, 6)) {
		return guard_drop(p, GUARD_R_SRC_MAC);
	}
	type = guard_rd16(frame + 12);
	switch (type) {
	case ETH_P_8021Q:
	case ETH_P_8021AD:
	case ETH_P_QINQ:
		return guard_cf.allow_vlan ? true : guard_drop(p, GUARD_R_VLAN);
	case ETH_P_ARP:
		return guard_arp(p, frame + ETH_HLEN, len - ETH_HLEN, smac);
	case ETH_P_IP:
		return guard_ipv4(p, frame + ETH_HLEN, len - ETH_HLEN);
	case ETH_P_IPV6:
		return guard_ipv6(p, frame + ETH_HLEN, len - ETH_HLEN);
	default:
		return true;
	}
}

/**
 * guard_rules_allow() - apply --allow/--block rules to a destination
 * @rules:	the rules
 * @n:		how many
 * @dst:	destination address, host order
 *
 * Return: true if allowed: the longest matching prefix decides, a block
 * wins a tie, and no match allows
 */
bool guard_rules_allow(const struct guard_rule *rules, unsigned int n,
		       uint32_t dst)
{
	int best = -1;
	bool allow = true;

	for (unsigned int i = 0; i < n; i++) {
		uint32_t m = rules[i].plen ? ~0u << (32 - rules[i].plen) : 0;

		if ((dst & m) != rules[i].net)
			continue;
		if ((int)rules[i].plen > best ||
		    ((int)rules[i].plen == best && !rules[i].allow)) {
			best = (int)rules[i].plen;
			allow = rules[i].allow;
		}
	}
	return allow;
}

/**
 * guard_forward() - check a frame against its destination
 * @src:	port it came from
 * @dst:	port it would go to
 * @frame:	the frame
 * @len:	its length
 *
 * Return: true if it may be queued to @dst
 */
bool guard_forward(const struct port *src, const struct port *dst,
		   const uint8_t *frame, size_t len)
{
	if (guard_forward_ok(src, dst, frame, len))
		return true;
	return guard_drop((struct port *)src, dst->kind != PORT_HOST
						  ? GUARD_R_ISOLATE
						  : GUARD_R_BLOCKED);
}

/**
 * guard_forward_ok() - guard_forward() without counting or logging
 * @src:	port the frame came from
 * @dst:	port it would go to
 * @frame:	the frame
 * @len:	its length
 *
 * Return: true if it may be queued to @dst
 */
bool guard_forward_ok(const struct port *src, const struct port *dst,
		      const uint8_t *frame, size_t len)
{
	bool dst_vm = dst->kind != PORT_HOST;

	if (src->kind == PORT_HOST)
		return true;
	if (guard_cf.isolate && dst_vm)
		return false;
	return !guard_cf.nrules || dst_vm || len < ETH_HLEN + 20 ||
	       guard_rd16(frame + 12) != ETH_P_IP ||
	       guard_rules_allow(guard_cf.rules, guard_cf.nrules,
				 guard_rd32(frame + ETH_HLEN + 16));
}

/**
 * guard_set_lease() - give a port an address, taking it from any other
 * @dst:	the port the DHCP server acknowledged
 * @ip:		the address, host order
 */
static void guard_set_lease(struct port *dst, uint32_t ip)
{
	for (unsigned int i = 0; i < port_count(); i++) {
		struct port *q = port_active(i);

		if (q != dst && q->guard.lease == ip)
			q->guard.lease = 0;
	}
	dst->guard.lease = ip;
}

/**
 * guard_snoop() - learn a port's address from a DHCP ACK sent to it
 * @dst:	the port the frame is queued to
 * @frame:	the frame
 * @len:	its length
 */
void guard_snoop(struct port *dst, const uint8_t *frame, size_t len)
{
	const uint8_t *ip = frame + ETH_HLEN, *m, *opt;
	size_t hlen, mlen, off;

	if (guard_cf.level != GUARD_STRICT || dst->kind == PORT_HOST ||
	    len < ETH_HLEN + 20 + 8 || guard_rd16(frame + 12) != ETH_P_IP ||
	    ip[9] != IPPROTO_UDP_)
		return;
	hlen = (size_t)(ip[0] & 0x0f) * 4;
	if (hlen < 20 || len < ETH_HLEN + hlen + 8 ||
	    guard_rd16(ip + hlen) != DHCP_SERVER ||
	    guard_rd16(ip + hlen + 2) != DHCP_CLIENT)
		return;
	m = ip + hlen + 8;
	mlen = len - ETH_HLEN - hlen - 8;
	/* Only an ACK for the port's own MAC counts; a port that has not
	 * sent yet has no MAC and learns nothing from flooded replies. */
	if (mlen < BOOTP_OPTIONS || !dst->guard.bound ||
	    memcmp(m + BOOTP_CHADDR, dst->guard.mac, 6))
		return;
	for (off = BOOTP_OPTIONS; off + 2 <= mlen && m[off] != 255;) {
		opt = m + off;
		if (opt[0] == 0) {
			off++;
			continue;
		}
		if (off + 2 + opt[1] > mlen)
			return;
		if (opt[0] == 53 && opt[1] == 1 && opt[2] == 5) {
			/* An ACK to an INFORM carries no address. */
			if (guard_rd32(m + BOOTP_YIADDR))
				guard_set_lease(dst,
						guard_rd32(m + BOOTP_YIADDR));
			return;
		}
		if (opt[0] == 53 && opt[1] == 1 && opt[2] == 6) {
			dst->guard.lease = 0;
			return;
		}
		off += 2u + opt[1];
	}
}

/**
 * guard_format_drops() - describe a port's guard drops for a log line
 * @g:		the port's guard state
 * @buf:	where to write, e.g. "guard dropped 3 (VLAN tag: 2, ...)"
 * @len:	its size
 *
 * Return: @buf, empty when nothing was dropped
 */
const char *guard_format_drops(const struct guard_port *g, char *buf,
			       size_t len)
{
	uint64_t total = 0;
	const char *sep = " (";
	int off;

	buf[0] = '\0';
	for (int r = 0; r < GUARD_NREASONS; r++)
		total += g->drops[r];
	if (!total)
		return buf;
	off = snprintf(buf, len, ", guard dropped %llu",
		       (unsigned long long)total);
	for (int r = 0; r < GUARD_NREASONS; r++) {
		if (!g->drops[r] || off < 0 || (size_t)off >= len)
			continue;
		off +=
		    snprintf(buf + off, len - (size_t)off, "%s%s: %llu", sep,
			     guard_names[r], (unsigned long long)g->drops[r]);
		sep = ", ";
	}
	if (off >= 0 && (size_t)off < len)
		snprintf(buf + off, len - (size_t)off, ")");
	return buf;
}

/**
 * guard_parse_cidr() - parse "A.B.C.D/N" (or a bare address, /32)
 * @text:	the text
 * @r:		filled with the network (host order, host bits cleared)
 *
 * Return: 0, or -1 if @text is not a CIDR block
 */
int guard_parse_cidr(const char *text, struct guard_rule *r)
{
	char buf[32];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	unsigned int plen = 32;
	struct in_addr a;

	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, text, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	if (slash) {
		const char *s = slash + 1;

		if (!*s || strlen(s) > 2)
			return -1;
		plen = 0;
		for (; *s; s++) {
			if (*s < '0' || *s > '9')
				return -1;
			plen = plen * 10 + (unsigned int)(*s - '0');
		}
		if (plen > 32)
			return -1;
	}
	r->plen = plen;
	r->net = ntohl(a.s_addr) & (plen ? ~0u << (32 - plen) : 0);
	return 0;
}
