/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The gateway's network services: checks the configuration, then looks at
 * every frame a VM sends and hands the ones for the gateway to the ARP,
 * ICMP, DHCP, NDP and RA modules, which write their replies into one static
 * buffer that is passed to the caller's send function.
 *
 * Router advertisements also go out unasked, through the flood callback:
 * RA_INITIAL of them RA_INITIAL_MS apart, then one every RA_INTERVAL_MS,
 * from gw_tick(). When one reaches no VM the series stops, so an idle
 * daemon does not wake up; the next frame from a VM starts it again (and
 * asks for gw_tick() through the pending callback).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "arp.h"
#include "dhcp.h"
#include "gw.h"
#include "icmp.h"
#include "ndp.h"
#include "net.h"
#include "pkt.h"
#include "ra.h"

/**
 * struct gw_state - the gateway's state, addresses in host order
 * @up:		gw_init() succeeded
 * @dhcp:	the DHCP server runs
 * @responder:	ARP and ping are answered
 * @ip:		the gateway's address
 * @bcast:	the subnet's broadcast address
 * @mac:	the gateway's MAC
 * @st:		counters
 * @ipv6:	the IPv6 services run
 * @ra:		what the router advertisements say (and the gateway's
 *		IPv6 addresses)
 * @ra_next:	when the next unsolicited advertisement is due (monotonic
 *		ms), 0 while the series is stopped
 * @ra_initial:	initial advertisements still to send at the short interval
 * @flood:	sends a frame to every VM
 * @pending:	asks for gw_tick()
 * @buf:	the reply being built (nothing is allocated per frame)
 */
static struct gw_state {
	bool up;
	bool dhcp;
	bool responder;
	uint32_t ip;
	uint32_t bcast;
	uint8_t mac[PKT_ETH_ALEN];
	struct gw_stats st;
	bool ipv6;
	struct ra_conf ra;
	uint64_t ra_next;
	unsigned int ra_initial;
	unsigned int (*flood)(const uint8_t *frame, size_t len);
	void (*pending)(void);
	uint8_t buf[PKT_MAX_FRAME];
} gw;

_Static_assert(GW_MAX_DNS <= DHCP_MAX_DNS, "DNS servers fit the DHCP server");
_Static_assert(GW_MAX_POOL <= DHCP_MAX_POOL, "pool fits the DHCP server");
_Static_assert(GW_DHCP_TYPES == DHCP_TYPES, "same DHCP message types");
_Static_assert(GW_MAX_DNS <= RA_MAX_RDNSS, "DNS servers fit the RA");

/**
 * gw_check() - check a configuration and fill in its defaults
 * @c:		the configuration; zero fields that have a default get it
 * @err:	error message buffer
 * @errlen:	its size
 *
 * The addressing (mask, gateway, DHCP range, pool size) is net.c's to
 * check; the rest is the services' own.
 *
 * Return: 0 if the configuration is usable, -1 with @err set
 */
static int gw_check(struct gw_conf *c, char *err, size_t errlen)
{
	static const uint8_t zero[PKT_ETH_ALEN];
	struct net_plan p;

	net_plan_init(&p, ntohl(c->gateway.s_addr));
	if (c->mask.s_addr)
		p.mask = ntohl(c->mask.s_addr);
	if (net_check_subnet(p.gateway, p.mask, NET_WORDS_PLAIN, err, errlen))
		return -1;
	if (c->dhcp_first.s_addr)
		p.dhcp_first = ntohl(c->dhcp_first.s_addr);
	p.last_is_default = !c->dhcp_last.s_addr;
	p.dhcp_last = c->dhcp_last.s_addr
			  ? ntohl(c->dhcp_last.s_addr)
			  : net_broadcast(p.gateway, p.mask) - 1;
	if (pkt_mac_is_group(c->mac) ||
	    memcmp(c->mac, zero, PKT_ETH_ALEN) == 0) {
		err_set(err, errlen,
			"the gateway MAC address must be a "
			"non-zero unicast address");
		return -1;
	}
	if (c->mtu && c->mtu < 68) {
		err_set(err, errlen, "MTU %u is below 68", c->mtu);
		return -1;
	}
	if (c->ndns > GW_MAX_DNS) {
		err_set(err, errlen, "at most %u DNS servers", GW_MAX_DNS);
		return -1;
	}
	if (c->ndns6 > GW_MAX_DNS) {
		err_set(err, errlen, "at most %u IPv6 DNS servers", GW_MAX_DNS);
		return -1;
	}
	if (c->ipv6 && (c->prefix6[0] & 0xfe) != 0xfc) {
		err_set(err, errlen, "the IPv6 prefix must be unique local");
		return -1;
	}
	if (c->ipv6 && !c->flood) {
		err_set(err, errlen, "IPv6 needs a flood callback");
		return -1;
	}
	if (c->lease_secs == 0)
		c->lease_secs = GW_DEFAULT_LEASE_SECS;
	if (c->lease_secs < GW_MIN_LEASE_SECS ||
	    c->lease_secs > GW_MAX_LEASE_SECS) {
		err_set(err, errlen,
			"lease time %u s is not within 10 s .. "
			"1 year",
			c->lease_secs);
		return -1;
	}
	if (c->dhcp) {
		if (net_check_range(&p, NET_WORDS_PLAIN, err, errlen))
			return -1;
		c->max_leases = net_pool_size(&p, c->max_leases, GW_MAX_POOL);
	}
	c->mask.s_addr = htonl(p.mask);
	c->dhcp_first.s_addr = htonl(p.dhcp_first);
	c->dhcp_last.s_addr = htonl(p.dhcp_last);
	return 0;
}

/**
 * gw_dhcp_conf() - the DHCP server's configuration
 * @c:		the gateway's configuration, checked by gw_check()
 * @d:		the DHCP server's, filled in (host order)
 */
static void gw_dhcp_conf(const struct gw_conf *c, struct dhcp_conf *d)
{
	memset(d, 0, sizeof(*d));
	d->gateway = ntohl(c->gateway.s_addr);
	d->mask = ntohl(c->mask.s_addr);
	d->first = ntohl(c->dhcp_first.s_addr);
	d->last = ntohl(c->dhcp_last.s_addr);
	d->max_leases = c->max_leases;
	d->ids_per_mac = c->dhcp_clients;
	memcpy(d->mac, c->mac, PKT_ETH_ALEN);
	d->mtu = c->mtu;
	d->ndns = c->ndns;
	for (unsigned int i = 0; i < c->ndns && i < DHCP_MAX_DNS; i++)
		d->dns[i] = ntohl(c->dns[i].s_addr);
	d->lease_secs = c->lease_secs;
	d->hosts_file = c->hosts_file;
	d->lease_file = c->lease_file;
	d->pending = c->pending;
}

/**
 * gw_ipv6_init() - set up the IPv6 services
 * @c:		the checked configuration
 *
 * The series of unsolicited advertisements starts with the first frame
 * from a VM.
 */
static void gw_ipv6_init(const struct gw_conf *c)
{
	gw.ipv6 = c->ipv6;
	if (!c->ipv6)
		return;
	ndp_addrs_init(&gw.ra.gw, c->mac, c->prefix6);
	memcpy(gw.ra.prefix, c->prefix6, PKT_IPV6_ALEN);
	gw.ra.mtu = c->mtu;
	gw.ra.nrdnss = c->ndns6;
	for (unsigned int i = 0; i < c->ndns6; i++)
		memcpy(gw.ra.rdnss[i], c->dns6[i].s6_addr, PKT_IPV6_ALEN);
	gw.flood = c->flood;
	gw.pending = c->pending;
	gw.ra_next = 0;
}

/**
 * gw_ra_wake() - a VM is there: start the unsolicited advertisements
 * @now_ms:	current time
 */
static void gw_ra_wake(uint64_t now_ms)
{
	if (!gw.ipv6 || gw.ra_next)
		return;
	gw.ra_next = now_ms;
	gw.ra_initial = RA_INITIAL;
	if (gw.pending)
		gw.pending();
}

/**
 * gw_ra_send() - send the unsolicited advertisement that is due
 * @now_ms:	current time
 */
static void gw_ra_send(uint64_t now_ms)
{
	uint8_t mac[PKT_ETH_ALEN];
	struct pkt_wr w;

	pkt_wr_init(&w, gw.buf, sizeof(gw.buf));
	pkt_ipv6_mcast_mac(pkt_ipv6_all_nodes, mac);
	if (!ra_build(&gw.ra, mac, pkt_ipv6_all_nodes, &w) ||
	    !gw.flood(w.base, w.off)) {
		gw.ra_next = 0; /* nobody listens: wait for a VM */
		return;
	}
	gw.st.ra_sent++;
	if (gw.ra_initial) {
		gw.ra_initial--;
		gw.ra_next = now_ms + RA_INITIAL_MS;
	} else {
		gw.ra_next = now_ms + RA_INTERVAL_MS;
	}
}

/**
 * gw_icmp6() - an ICMPv6 message a VM sent, maybe for the gateway
 * @src:	Ethernet source
 * @ip6:	the packet, its upper layer ICMPv6
 * @to_gw:	sent to the gateway's MAC
 * @w:		where a reply is written
 *
 * Return: 1 if a reply was written, 0 if none, -1 if what was for the
 * gateway is malformed
 */
static int gw_icmp6(const uint8_t *src, const struct pkt_ipv6 *ip6, bool to_gw,
		    struct pkt_wr *w)
{
	struct pkt_nd nd;
	uint8_t type;
	int r;

	if (!ip6->payload_len)
		return -1;
	type = ip6->payload[0];
	if (type == PKT_ICMP6_ECHO_REQUEST) {
		if (!gw.responder || !to_gw ||
		    !ndp_is_mine(&gw.ra.gw, ip6->dst))
			return 0;
		r = icmp_input6(src, ip6, gw.ra.gw.mac, w);
		gw.st.icmp6_replies += r > 0;
		return r;
	}
	if (type != PKT_ICMP6_RS && (type != PKT_ICMP6_NS || !gw.responder))
		return 0;
	if (!pkt_nd_parse(ip6, &nd))
		return to_gw || type == PKT_ICMP6_RS ? -1 : 0;
	if (type == PKT_ICMP6_RS) {
		r = ra_input(src, ip6, &nd, &gw.ra, w);
		gw.st.ra_sent += r > 0;
	} else {
		r = ndp_input(src, ip6, &nd, &gw.ra.gw, w);
		gw.st.na_sent += r > 0;
	}
	return r;
}

/**
 * gw_ipv6() - an IPv6 frame a VM sent
 * @frame:	the frame
 * @len:	its length
 * @src:	its Ethernet source
 * @to_gw:	sent to the gateway's MAC
 * @send:	sends a reply
 * @arg:	passed to @send
 *
 * Return: true if the frame was for the gateway alone
 */
static bool gw_ipv6(const uint8_t *frame, size_t len, const uint8_t *src,
		    bool to_gw, gw_send_fn send, void *arg)
{
	bool consumed = to_gw && gw.responder;
	struct pkt_ipv6 ip6;
	struct pkt_wr w;
	int r;

	if (!gw.ipv6 || pkt_mac_is_group(src))
		return consumed;
	if (!pkt_ipv6_parse(frame + PKT_ETH_HLEN, len - PKT_ETH_HLEN, &ip6) ||
	    ip6.proto != PKT_IPPROTO_ICMPV6) {
		return consumed;
	}
	pkt_wr_init(&w, gw.buf, sizeof(gw.buf));
	r = gw_icmp6(src, &ip6, to_gw, &w);
	if (r < 0)
		gw.st.nd_malformed++;
	if (r > 0)
		send(arg, w.base, w.off);
	return consumed;
}

/**
 * gw_init() - check the configuration and start the services
 * @c:		the configuration (copied; strings are copied too)
 * @now_ms:	current time, monotonic milliseconds
 * @err:	error message buffer
 * @errlen:	its size
 *
 * Allocates every table the services use; nothing is allocated per frame
 * afterwards. Reads the hosts file and the lease file when configured.
 *
 * Return: 0 on success, -1 with @err set
 */
int gw_init(const struct gw_conf *c, uint64_t now_ms, char *err, size_t errlen)
{
	struct gw_conf cc = *c;
	struct dhcp_conf dc;

	gw_fini(now_ms);
	memset(&gw.st, 0, sizeof(gw.st));
	if (gw_check(&cc, err, errlen) < 0)
		return -1;
	if (cc.dhcp) {
		gw_dhcp_conf(&cc, &dc);
		if (dhcp_init(&dc, now_ms, err, errlen) < 0)
			return -1;
	}
	gw.ip = ntohl(cc.gateway.s_addr);
	gw.bcast = gw.ip | ~ntohl(cc.mask.s_addr);
	memcpy(gw.mac, cc.mac, PKT_ETH_ALEN);
	gw.dhcp = cc.dhcp;
	gw.responder = cc.responder;
	gw_ipv6_init(&cc);
	gw.up = true;
	return 0;
}

/**
 * gw_input() - look at a frame a VM sent
 * @frame:	the Ethernet frame
 * @len:	its length
 * @now_ms:	current time, monotonic milliseconds
 * @send:	called with every reply frame (0..n of them); it must not call
 *		gw_input() again
 * @arg:	passed to @send
 *
 * Handles ARP requests and ICMP echo requests for the gateway (when the
 * responder is on) and DHCP client messages (when DHCP is on). Any input,
 * of any length, is safe.
 *
 * Return: true if the frame was for the gateway alone and must not be
 * switched further: sent to the gateway's MAC address while the responder
 * is on, or a DHCP message sent to the gateway's MAC address
 */
bool gw_input(const uint8_t *frame, size_t len, uint64_t now_ms,
	      gw_send_fn send, void *arg)
{
	struct pkt_cur c;
	struct pkt_wr w;
	struct pkt_ipv4 ip;
	const uint8_t *dst, *src;
	uint16_t type;
	bool to_gw, consumed;
	int r;

	pkt_cur_init(&c, frame, len);
	if (!gw.up || !pkt_get_ptr(&c, PKT_ETH_ALEN, &dst) ||
	    !pkt_get_ptr(&c, PKT_ETH_ALEN, &src) || !pkt_get_u16(&c, &type))
		return false;
	to_gw = memcmp(dst, gw.mac, PKT_ETH_ALEN) == 0;
	gw_ra_wake(now_ms);
	if (type == PKT_ETHERTYPE_IPV6)
		return gw_ipv6(frame, len, src, to_gw, send, arg);
	if (!to_gw && !pkt_mac_is_bcast(dst))
		return false;
	consumed = to_gw && gw.responder;
	if (pkt_mac_is_group(src))
		return consumed;
	pkt_wr_init(&w, gw.buf, sizeof(gw.buf));

	/* A VM announcing or using an address the DHCP server thinks is
	 * free (after a restart without the lease file): record it. */
	if (type == PKT_ETHERTYPE_ARP && gw.dhcp) {
		struct pkt_arp a;

		if (pkt_arp_parse(frame + PKT_ETH_HLEN, len - PKT_ETH_HLEN,
				  &a) &&
		    !memcmp(a.sha, src, PKT_ETH_ALEN) && a.spa)
			dhcp_note_in_use(a.spa, src, now_ms);
	}
	if (type == PKT_ETHERTYPE_ARP && gw.responder) {
		r = arp_input(frame, len, gw.ip, gw.mac, &w);
		if (r < 0)
			gw.st.malformed++;
		if (r > 0) {
			gw.st.arp_replies++;
			send(arg, w.base, w.off);
		}
		return consumed;
	}
	if (type != PKT_ETHERTYPE_IPV4)
		return consumed;
	if (!pkt_ipv4_parse(frame + PKT_ETH_HLEN, len - PKT_ETH_HLEN, &ip)) {
		if (consumed)
			gw.st.malformed++;
		return consumed;
	}
	if (ip.proto == PKT_IPPROTO_UDP && gw.dhcp &&
	    (ip.dst == PKT_IPV4_BROADCAST || ip.dst == gw.bcast ||
	     ip.dst == gw.ip)) {
		enum dhcp_result d = dhcp_input(&ip, now_ms, &w);

		if (d != DHCP_NOT_MINE && to_gw)
			consumed = true;
		if (d == DHCP_REPLY)
			send(arg, w.base, w.off);
	} else if (ip.proto == PKT_IPPROTO_ICMP && gw.responder && to_gw) {
		r = icmp_input(src, &ip, gw.ip, gw.mac, &w);
		if (r < 0)
			gw.st.malformed++;
		if (r > 0) {
			gw.st.icmp_replies++;
			send(arg, w.base, w.off);
		}
	}
	return consumed;
}

/**
 * gw_tick() - timed work: write the lease file when a write is due, send
 * the router advertisement that is due
 * @now_ms:	current time, monotonic milliseconds
 *
 * Changes to the leases are written at most once a second; gw_input()
 * writes when it can, gw_tick() writes what is left pending.
 *
 * Return: when gw_tick() should be called next (monotonic milliseconds)
 * while a write or an advertisement is pending, 0 if nothing is (see
 * gw_conf.pending)
 */
uint64_t gw_tick(uint64_t now_ms)
{
	uint64_t next;

	if (!gw.up)
		return 0;
	next = gw.dhcp ? dhcp_tick(now_ms) : 0;
	if (gw.ra_next && gw.ra_next <= now_ms)
		gw_ra_send(now_ms);
	if (gw.ra_next && (!next || gw.ra_next < next))
		next = gw.ra_next;
	return next;
}

/**
 * gw_reload_hosts() - read the DHCP hosts file again (on SIGHUP)
 * @err:	error message buffer ("FILE:LINE: reason")
 * @errlen:	its size
 *
 * A file with a bad line is refused as a whole and the reservations in
 * force stay as they were.
 *
 * Return: 0 on success or when there is nothing to reload, -1 with @err set
 */
int gw_reload_hosts(char *err, size_t errlen)
{
	if (!gw.up || !gw.dhcp)
		return 0;
	return dhcp_reload_hosts(err, errlen);
}

/**
 * gw_stats() - copy the counters
 * @s:	filled in
 */
void gw_stats(struct gw_stats *s)
{
	struct dhcp_stats d;

	*s = gw.st;
	if (!gw.dhcp)
		return;
	dhcp_stats(&d);
	memcpy(s->dhcp_rx, d.rx, sizeof(s->dhcp_rx));
	s->dhcp_offer = d.offer;
	s->dhcp_ack = d.ack;
	s->dhcp_nak = d.nak;
	s->dhcp_malformed = d.malformed;
	s->dhcp_ignored = d.ignored;
	s->dhcp_no_address = d.no_address;
	s->lease_writes = d.lease_writes;
	s->lease_write_errors = d.lease_write_errors;
}

/**
 * gw_fini() - stop the services: write the lease file, free the tables
 * @now_ms:	current time, monotonic milliseconds
 *
 * Safe to call more than once, and when gw_init() failed.
 */
void gw_fini(uint64_t now_ms)
{
	dhcp_fini(now_ms);
	memset(&gw, 0, sizeof(gw));
}
