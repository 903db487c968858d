/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-port guards against spoofing and hijacking.
 *
 * Theory of operation: the switch shows every frame a VM sends to
 * guard_check() before it looks at it, after binding the port to its first
 * source MAC (or the MAC given with --fd) when the level asks for it. With
 * the default level (mac) the port may send from that MAC only; its ARP
 * must be well-formed Ethernet/IPv4 ARP whose sender hardware address is
 * that MAC; it may not claim the gateway's address, act as a DHCP or DHCPv6
 * server, or send IPv6 router advertisements or redirects; VLAN tags are
 * refused unless allowed; its DHCP messages must carry its own MAC, and
 * only a few client identifiers may be used from one port, so one VM can
 * neither drain the address pool nor release or decline another's lease.
 * The strict level adds the IPv4 source: it must be the address the DHCP
 * server acknowledged for the port (guard_snoop() watches the ACKs queued
 * to it) or a --static binding; 0.0.0.0 is allowed for DHCP and ARP probes
 * only.
 *
 * IPv6, the twins of the ARP checks: neighbour solicitations and
 * advertisements (and router solicitations) must be well formed and their
 * link-layer address options must name the port's MAC; no VM may send
 * from, or advertise, an address of the gateway or the host side. In
 * strict mode the IPv6 source must be the link-local address made from
 * the port's MAC or an address the port claimed first (RFC 6620's first
 * come, first served): the switch shows each duplicate address detection
 * probe (guard_dad_target()) to guard_claim6() with whether another port
 * holds the target; the unspecified source is allowed for those probes and
 * for MLD reports only. guard_forward() applies what depends on the
 * destination: --isolate (no VM to VM traffic) and the --allow/--block rules
 * for traffic to the host side (longest prefix wins, block wins a tie, no match
 * allows).
 *
 * Every function here is a verdict on its arguments: the configuration, the
 * port's own guard state (which records the port's DHCP client ids and
 * lease) and the frame, read only through the packet layer (pkt.h,
 * dhcpmsg.h). It closes nothing, counts nothing and walks no table: the
 * switch does that with the verdict.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "dhcpmsg.h"
#include "guard.h"
#include "pkt.h"

static const char *const guard_names[GUARD_NREASONS] = {
    [GUARD_PASS] = "passed",
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
    [GUARD_R_ND] = "spoofed or malformed neighbour discovery",
    [GUARD_R_IP6_SRC] = "IPv6 source is not the port's",
    [GUARD_R_IP6_TAKEN] = "IPv6 address held by another port",
};

static const char *const guard_keys[GUARD_NREASONS] = {
    [GUARD_PASS] = "passed",
    [GUARD_R_SRC_MAC] = "src_mac",
    [GUARD_R_VLAN] = "vlan",
    [GUARD_R_ARP] = "arp",
    [GUARD_R_GATEWAY] = "gateway",
    [GUARD_R_DHCP_SERVER] = "dhcp_server",
    [GUARD_R_RA] = "router_advert",
    [GUARD_R_IP_SRC] = "ip_src",
    [GUARD_R_DHCP_LIMIT] = "dhcp_limit",
    [GUARD_R_MALFORMED] = "malformed",
    [GUARD_R_ISOLATE] = "isolate",
    [GUARD_R_BLOCKED] = "blocked",
    [GUARD_R_MAC_TAKEN] = "mac_taken",
    [GUARD_R_DHCP_CHADDR] = "dhcp_chaddr",
    [GUARD_R_ND] = "nd",
    [GUARD_R_IP6_SRC] = "ip6_src",
    [GUARD_R_IP6_TAKEN] = "ip6_taken",
};

/**
 * guard_reason_key() - a verdict as a short identifier (control socket,
 * metrics)
 * @r:		the verdict
 *
 * Return: lower case letters and underscores
 */
const char *guard_reason_key(enum guard_reason r)
{
	return r < GUARD_NREASONS ? guard_keys[r] : "unknown";
}

/**
 * guard_reason_name() - describe a verdict
 * @r:		the verdict
 *
 * Return: a short text
 */
const char *guard_reason_name(enum guard_reason r)
{
	return r < GUARD_NREASONS ? guard_names[r] : "unknown";
}

/**
 * guard_port_bind() - bind a port to a MAC
 * @g:		the port's guard state
 * @mac:	the address (its first source MAC, or --fd=N,mac=MAC)
 */
void guard_port_bind(struct guard_port *g, const uint8_t mac[6])
{
	memcpy(g->mac, mac, 6);
	g->bound = true;
}

/**
 * guard_ip_ok() - tell whether a port may use an IPv4 source (strict)
 * @c:		the configuration
 * @g:		the port's guard state
 * @ip:		the address, host order
 *
 * Return: true for its DHCP lease or one of its --static addresses
 */
static bool guard_ip_ok(const struct guard_conf *c, const struct guard_port *g,
			uint32_t ip)
{
	if (g->lease && ip == g->lease)
		return true;
	for (unsigned int i = 0; i < c->nstatics; i++)
		if (c->statics[i].ip == ip &&
		    !memcmp(c->statics[i].mac, g->mac, 6))
			return true;
	return false;
}

/**
 * guard_dhcp_client() - limit the DHCP client identities of a port
 * @c:		the configuration
 * @g:		the port's guard state (records a new identity)
 * @m:		the DHCP message from the port
 *
 * At most --dhcp-clients client identifiers (option 61, compared as the
 * server files leases, cut to GUARD_DHCP_ID bytes; none counts as one) may
 * be used from one port.
 *
 * Return: true if the message may pass
 */
static bool guard_dhcp_client(const struct guard_conf *c, struct guard_port *g,
			      const struct dhcpmsg *m)
{
	struct dhcpmsg_opt o = {.len = 0};
	size_t idlen = 0;
	unsigned int max = c->dhcp_clients;

	if (max > GUARD_DHCP_KEYS)
		max = GUARD_DHCP_KEYS;
	if (dhcpmsg_client_id(m, &o))
		idlen = o.len > GUARD_DHCP_ID ? GUARD_DHCP_ID : o.len;
	for (unsigned int i = 0; i < g->ndhcp; i++)
		if (g->dhcp_idlen[i] == idlen &&
		    (!idlen || !memcmp(g->dhcp_ids[i], o.val, idlen)))
			return true;
	if (g->ndhcp >= max)
		return false;
	if (idlen)
		memcpy(g->dhcp_ids[g->ndhcp], o.val, idlen);
	g->dhcp_idlen[g->ndhcp++] = (uint8_t)idlen;
	return true;
}

/**
 * guard_dhcp_request() - check a DHCP message a port sends to the server
 * @c:		the configuration
 * @g:		the port's guard state
 * @p:		the UDP payload
 * @len:	its length
 * @release:	set if it is a RELEASE
 *
 * A DHCP message must be whole, name the port's own MAC and use one of the
 * port's few client identities.
 *
 * Return: the verdict
 */
static enum guard_reason guard_dhcp_request(const struct guard_conf *c,
					    struct guard_port *g,
					    const uint8_t *p, size_t len,
					    bool *release)
{
	struct dhcpmsg m;

	if (!dhcpmsg_parse(p, len, &m))
		return GUARD_R_MALFORMED;
	if (m.hlen != PKT_ETH_ALEN || memcmp(m.chaddr, g->mac, PKT_ETH_ALEN))
		return GUARD_R_DHCP_CHADDR;
	if (!guard_dhcp_client(c, g, &m))
		return GUARD_R_DHCP_LIMIT;
	*release = dhcpmsg_type(&m) == DHCPMSG_RELEASE;
	return GUARD_PASS;
}

/**
 * guard_arp() - check an ARP message from a port
 * @c:		the configuration
 * @g:		the port's guard state
 * @e:		the frame's Ethernet header and payload
 *
 * Return: the verdict
 */
static enum guard_reason guard_arp(const struct guard_conf *c,
				   const struct guard_port *g,
				   const struct pkt_eth *e)
{
	struct pkt_arp a;

	if (!pkt_arp_parse(e->payload, e->payload_len, &a) ||
	    memcmp(a.sha, e->src, PKT_ETH_ALEN))
		return GUARD_R_ARP;
	if (c->gateway && a.spa == c->gateway)
		return GUARD_R_GATEWAY;
	if (c->level == GUARD_STRICT && a.spa && !guard_ip_ok(c, g, a.spa))
		return GUARD_R_IP_SRC;
	return GUARD_PASS;
}

/**
 * guard_ipv4() - check an IPv4 frame from a port
 * @c:		the configuration
 * @g:		the port's guard state
 * @e:		the frame's Ethernet header and payload
 *
 * Looks only at what the receiver will: bytes past the IPv4 total length
 * are not the datagram's; ports of later fragments are not read.
 *
 * Return: the verdict
 */
static enum guard_reason guard_ipv4(const struct guard_conf *c,
				    struct guard_port *g,
				    const struct pkt_eth *e)
{
	struct pkt_ipv4 ip;
	struct pkt_ipv4_frag frag;
	uint16_t sport = 0, dport = 0;
	bool udp, release = false;

	if (!pkt_ipv4_header(e->payload, e->payload_len, &ip, &frag))
		return GUARD_R_MALFORMED;
	udp = ip.proto == PKT_IPPROTO_UDP && frag.offset == 0;
	if (udp && !pkt_udp_ports(ip.payload, ip.payload_len, &sport, &dport))
		return GUARD_R_MALFORMED;
	if (c->gateway && ip.src == c->gateway)
		return GUARD_R_GATEWAY;
	if (udp && sport == PKT_PORT_DHCP_SERVER)
		return GUARD_R_DHCP_SERVER;
	if (udp && dport == PKT_PORT_DHCP_SERVER) {
		enum guard_reason r =
		    guard_dhcp_request(c, g, ip.payload + PKT_UDP_HLEN,
				       ip.payload_len - PKT_UDP_HLEN, &release);

		if (r != GUARD_PASS)
			return r;
	}
	if (c->level == GUARD_STRICT && !guard_ip_ok(c, g, ip.src) &&
	    !(ip.src == 0 && udp && sport == PKT_PORT_DHCP_CLIENT &&
	      dport == PKT_PORT_DHCP_SERVER))
		return GUARD_R_IP_SRC;
	/* A RELEASE ends the lease once it is sure to reach the server. */
	if (release)
		g->lease = 0;
	return GUARD_PASS;
}

/**
 * guard_is_gw6() - tell whether an IPv6 address is the gateway's or the
 * host side's
 * @c:		the configuration
 * @a:		the address (16 bytes)
 *
 * Return: true if no VM may use it
 */
static bool guard_is_gw6(const struct guard_conf *c, const uint8_t *a)
{
	for (unsigned int i = 0; i < c->ngw6 && i < GUARD_MAX_GW6; i++)
		if (!memcmp(c->gw6[i], a, PKT_IPV6_ALEN))
			return true;
	return false;
}

/**
 * guard_holds6() - tell whether a port may use an IPv6 address (strict)
 * @g:		the port's guard state (bound to its MAC)
 * @ip6:	the address (16 bytes)
 *
 * Return: true for the link-local address made from its MAC and for the
 * addresses it claimed
 */
bool guard_holds6(const struct guard_port *g, const uint8_t *ip6)
{
	static const uint8_t ll[8] = {0xfe, 0x80};
	uint8_t own[PKT_IPV6_ALEN];

	pkt_ipv6_eui64(ll, g->mac, own);
	if (!memcmp(own, ip6, PKT_IPV6_ALEN))
		return true;
	for (unsigned int i = 0; i < g->nip6 && i < GUARD_IP6; i++)
		if (!memcmp(g->ip6[i], ip6, PKT_IPV6_ALEN))
			return true;
	return false;
}

/**
 * guard_nd() - check a neighbour discovery message from a port
 * @c:		the configuration
 * @g:		the port's guard state
 * @ip6:	its packet
 *
 * Return: the verdict
 */
static enum guard_reason guard_nd(const struct guard_conf *c,
				  const struct guard_port *g,
				  const struct pkt_ipv6 *ip6)
{
	struct pkt_nd nd;

	if (!pkt_nd_parse(ip6, &nd))
		return GUARD_R_ND;
	if (nd.lladdr_other ||
	    (nd.lladdr && memcmp(nd.lladdr, g->mac, PKT_ETH_ALEN)))
		return GUARD_R_ND;
	if (nd.type == PKT_ICMP6_NA && guard_is_gw6(c, nd.target))
		return GUARD_R_GATEWAY;
	if (c->level == GUARD_STRICT && nd.type == PKT_ICMP6_NA &&
	    !guard_holds6(g, nd.target))
		return GUARD_R_IP6_SRC;
	return GUARD_PASS;
}

/**
 * guard_ipv6() - check an IPv6 frame from a port
 * @c:		the configuration
 * @g:		the port's guard state
 * @e:		the frame's Ethernet header and payload
 *
 * Extension headers are followed (a bounded chain, which a first fragment
 * must hold whole); a later fragment has no upper-layer header to check.
 *
 * Return: the verdict
 */
static enum guard_reason guard_ipv6(const struct guard_conf *c,
				    const struct guard_port *g,
				    const struct pkt_eth *e)
{
	struct pkt_ipv6 ip6;
	struct pkt_cur cur;
	uint8_t type = 0;
	uint16_t sport;

	if (!pkt_ipv6_parse(e->payload, e->payload_len, &ip6))
		return GUARD_R_MALFORMED;
	if (guard_is_gw6(c, ip6.src))
		return GUARD_R_GATEWAY;
	pkt_cur_init(&cur, ip6.payload, ip6.payload_len);
	if (ip6.proto == PKT_IPPROTO_ICMPV6) {
		if (!pkt_get_u8(&cur, &type))
			return GUARD_R_MALFORMED;
		if (type == PKT_ICMP6_RA || type == PKT_ICMP6_REDIRECT)
			return GUARD_R_RA;
		if (type == PKT_ICMP6_RS || type == PKT_ICMP6_NS ||
		    type == PKT_ICMP6_NA) {
			enum guard_reason r = guard_nd(c, g, &ip6);

			if (r != GUARD_PASS)
				return r;
		}
	} else if (ip6.proto == PKT_IPPROTO_UDP) {
		if (!pkt_get_u16(&cur, &sport) || !pkt_skip(&cur, 2))
			return GUARD_R_MALFORMED;
		if (sport == PKT_PORT_DHCP6_SERVER)
			return GUARD_R_DHCP_SERVER;
	}
	if (c->level != GUARD_STRICT)
		return GUARD_PASS;
	if (pkt_ipv6_is_unspec(ip6.src))
		return type == PKT_ICMP6_NS || type == PKT_ICMP6_RS ||
			       type == PKT_ICMP6_MLD2_REPORT
			   ? GUARD_PASS
			   : GUARD_R_IP6_SRC;
	return guard_holds6(g, ip6.src) ? GUARD_PASS : GUARD_R_IP6_SRC;
}

/**
 * guard_dad_target() - the address a duplicate address detection probe
 * claims
 * @frame:	a frame from a VM
 * @len:	its length
 *
 * Return: the target (16 bytes, in the frame) if the frame is a
 * well-formed neighbour solicitation from the unspecified address, else
 * NULL
 */
const uint8_t *guard_dad_target(const uint8_t *frame, size_t len)
{
	struct pkt_eth e;
	struct pkt_ipv6 ip6;
	struct pkt_nd nd;

	if (!pkt_eth_parse(frame, len, &e) || e.type != PKT_ETHERTYPE_IPV6 ||
	    !pkt_ipv6_parse(e.payload, e.payload_len, &ip6) ||
	    !pkt_ipv6_is_unspec(ip6.src) || !pkt_nd_parse(&ip6, &nd) ||
	    nd.type != PKT_ICMP6_NS)
		return NULL;
	return nd.target;
}

/**
 * guard_claim6() - the verdict on a port's claim of an IPv6 address
 * (strict)
 * @c:		the configuration
 * @g:		the port's guard state; the address is recorded there
 * @target:	the address its duplicate address detection probe names
 * @held:	another port holds it (the switch knows)
 *
 * First come, first served: a free address becomes the port's (the
 * oldest of GUARD_IP6 is forgotten), one another port holds, or the
 * gateway's, is refused.
 *
 * Return: the verdict
 */
enum guard_reason guard_claim6(const struct guard_conf *c, struct guard_port *g,
			       const uint8_t *target, bool held)
{
	if (guard_is_gw6(c, target))
		return GUARD_R_GATEWAY;
	if (held)
		return GUARD_R_IP6_TAKEN;
	if (!guard_holds6(g, target)) {
		memcpy(g->ip6[g->nip6++ % GUARD_IP6], target, PKT_IPV6_ALEN);
		/* a full ring stays full and in order: no wrap to 0 */
		if (g->nip6 >= 2 * GUARD_IP6)
			g->nip6 -= GUARD_IP6;
	}
	return GUARD_PASS;
}

/**
 * guard_check() - the verdict on a frame a VM sent, before it is switched
 * @c:		the configuration
 * @g:		the port's guard state, already bound to a MAC unless the
 *		level is off (the switch binds it)
 * @frame:	the frame
 * @len:	its length
 *
 * Return: GUARD_PASS, or why the frame must be dropped
 */
enum guard_reason guard_check(const struct guard_conf *c, struct guard_port *g,
			      const uint8_t *frame, size_t len)
{
	struct pkt_eth e;

	if (c->level == GUARD_OFF)
		return GUARD_PASS;
	if (!pkt_eth_parse(frame, len, &e))
		return GUARD_R_MALFORMED;
	if (!g->bound || memcmp(e.src, g->mac, PKT_ETH_ALEN))
		return GUARD_R_SRC_MAC;
	switch (e.type) {
	case PKT_ETHERTYPE_VLAN:
	case PKT_ETHERTYPE_QINQ:
	case PKT_ETHERTYPE_QINQ_OLD:
		return c->allow_vlan ? GUARD_PASS : GUARD_R_VLAN;
	case PKT_ETHERTYPE_ARP:
		return guard_arp(c, g, &e);
	case PKT_ETHERTYPE_IPV4:
		return guard_ipv4(c, g, &e);
	case PKT_ETHERTYPE_IPV6:
		return guard_ipv6(c, g, &e);
	default:
		return GUARD_PASS;
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
 * guard_forward() - the verdict on a frame for one destination
 * @c:		the configuration
 * @from_vm:	it comes from a VM (not the host side)
 * @to_vm:	it would go to a VM (not the host side)
 * @frame:	the frame
 * @len:	its length
 *
 * Return: GUARD_PASS, GUARD_R_ISOLATE (VM to VM under --isolate) or
 * GUARD_R_BLOCKED (to the host side, refused by --allow/--block)
 */
enum guard_reason guard_forward(const struct guard_conf *c, bool from_vm,
				bool to_vm, const uint8_t *frame, size_t len)
{
	struct pkt_eth e;
	struct pkt_cur ip;
	uint32_t dst;

	if (!from_vm)
		return GUARD_PASS;
	if (to_vm)
		return c->isolate ? GUARD_R_ISOLATE : GUARD_PASS;
	if (!c->nrules || !pkt_eth_parse(frame, len, &e) ||
	    e.type != PKT_ETHERTYPE_IPV4)
		return GUARD_PASS;
	/* The destination field decides, whatever the rest of the header
	 * holds: the host drops malformed headers itself. */
	pkt_cur_init(&ip, e.payload, e.payload_len);
	if (pkt_left(&ip) < PKT_IPV4_HLEN || !pkt_skip(&ip, 16) ||
	    !pkt_get_u32(&ip, &dst))
		return GUARD_PASS;
	return guard_rules_allow(c->rules, c->nrules, dst) ? GUARD_PASS
							   : GUARD_R_BLOCKED;
}

/**
 * guard_snoop() - learn a port's address from a DHCP ACK sent to it
 * @c:		the configuration
 * @g:		the guard state of the port the frame is queued to
 * @frame:	the frame
 * @len:	its length
 *
 * Only in strict mode, only a whole datagram (no fragment: a VM may send a
 * later fragment from its own address whose bytes look like an ACK) with a
 * good header checksum, a DHCP reply from the server port to the client
 * port naming the port's own MAC: an ACK with an address sets the
 * port's lease, a NAK clears it. A port that has not sent yet has no MAC
 * and learns nothing from flooded replies.
 *
 * Return: the address an ACK just gave the port (host order), for the
 * caller to take it from any other port; 0 if none
 */
uint32_t guard_snoop(const struct guard_conf *c, struct guard_port *g,
		     const uint8_t *frame, size_t len)
{
	struct pkt_eth e;
	struct pkt_ipv4 ip;
	struct dhcpmsg m;
	uint16_t sport, dport;
	unsigned int type;

	if (c->level != GUARD_STRICT || !g->bound ||
	    !pkt_eth_parse(frame, len, &e) || e.type != PKT_ETHERTYPE_IPV4 ||
	    !pkt_ipv4_parse(e.payload, e.payload_len, &ip) ||
	    ip.proto != PKT_IPPROTO_UDP ||
	    !pkt_udp_ports(ip.payload, ip.payload_len, &sport, &dport) ||
	    sport != PKT_PORT_DHCP_SERVER || dport != PKT_PORT_DHCP_CLIENT ||
	    !dhcpmsg_parse(ip.payload + PKT_UDP_HLEN,
			   ip.payload_len - PKT_UDP_HLEN, &m) ||
	    memcmp(m.chaddr, g->mac, PKT_ETH_ALEN))
		return 0;
	type = dhcpmsg_type(&m);
	if (type == DHCPMSG_NAK)
		g->lease = 0;
	/* An ACK to an INFORM carries no address. */
	if (type != DHCPMSG_ACK || !m.yiaddr)
		return 0;
	g->lease = m.yiaddr;
	return m.yiaddr;
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
	for (int r = 1; r < GUARD_NREASONS; r++)
		total += g->drops[r];
	if (!total)
		return buf;
	off = snprintf(buf, len, ", guard dropped %llu",
		       (unsigned long long)total);
	for (int r = 1; r < GUARD_NREASONS; r++) {
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
