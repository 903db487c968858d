/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DHCPv4 server (RFC 2131, options from RFC 2132) for the VM network: the
 * protocol.
 *
 * Theory of operation: the server owns one subnet and hands out the
 * addresses of one range of it, the pool (dhcp_pool.c, which also says
 * which address a client gets). A client message is read through the DHCP
 * message layer (dhcpmsg.h) into a struct dhcp_req, checked whole before
 * anything is done with it; a message that does not parse is dropped and
 * counted. The client is then answered by its type: a DISCOVER gets an
 * OFFER of its reservation or of a pool address; a REQUEST gets an ACK for
 * the address it asks for if it may have it, else a NAK, whatever state
 * the client is in (the server is authoritative for its subnet, so clients
 * with stale leases restart at once); RELEASE and DECLINE end or set aside
 * the client's address and get no answer; INFORM gets the options alone.
 * Reservations (a bootptab file, read by dhcp_file.c) win over the pool.
 * Every change the lease file keeps is written through dhcp_file.c: a new
 * binding at once, so that a crash right after it cannot lose it, other
 * changes at most once per DHCP_SAVE_INTERVAL_MS (the caller's pending()
 * hook asks for a dhcp_tick() when a write had to wait; no timer runs
 * otherwise), and everything at dhcp_fini(). Replies are built in the
 * caller's buffer; nothing is allocated per packet. Relayed requests
 * (giaddr set) and option overload (52) are not supported: the former are
 * ignored, the latter's sname/file are not read.
 */
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dhcp.h"
#include "dhcp_file.h"
#include "dhcp_pool.h"
#include "dhcpmsg.h"
#include "err.h"
#include "log.h"

#define DHCP_SAVE_INTERVAL_MS 1000 /* lease file writes at most this often */

/**
 * struct dhcp_req - a parsed client message
 * @type:	DHCP message type (option 53)
 * @xid:	transaction id
 * @flags:	BOOTP flags
 * @ciaddr:	client address field
 * @giaddr:	relay address field
 * @chaddr:	the whole client hardware address field (in the message)
 * @client_id:	option 61 data (in the message), or NULL
 * @client_id_len: its length
 * @has_req_addr: option 50 was present
 * @req_addr:	option 50
 * @has_server_id: option 54 was present
 * @server_id:	option 54
 * @want_name:	option 55 asks for the host name (option 12)
 * @host:	option 12 the client sent (in the message), or NULL
 * @host_len:	its length
 * @ip_src:	IPv4 source address
 * @sport:	UDP source port
 * @cl:		the client, as the pool knows it
 */
struct dhcp_req {
	uint8_t type;
	uint32_t xid;
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t giaddr;
	const uint8_t *chaddr;
	const uint8_t *client_id;
	uint8_t client_id_len;
	bool has_req_addr;
	uint32_t req_addr;
	bool has_server_id;
	uint32_t server_id;
	bool want_name;
	const uint8_t *host;
	uint8_t host_len;
	uint32_t ip_src;
	uint16_t sport;
	struct dhcp_pool_client cl;
};

/**
 * struct dhcp_server - the server's state
 * @up:		dhcp_init() succeeded
 * @gw:		the gateway's address (server identifier, router)
 * @mask:	subnet mask
 * @net:	subnet address
 * @bcast:	subnet broadcast address
 * @mac:	the gateway's MAC address
 * @mtu:	option 26, 0 for none
 * @dns:	option 6
 * @ndns:	how many of @dns
 * @lease_secs:	lease time
 * @hosts_file:	bootptab file (a copy), or NULL
 * @lease_file:	lease file (a copy), or NULL
 * @pending:	called when a lease file write was put off, or NULL
 * @saved:	the lease file was written at least once
 * @last_save_ms: when it was last written
 * @st:		counters
 * @warn_limit:	rate limit of warnings a guest can trigger
 * @info_limit:	rate limit of information lines a guest can trigger
 */
struct dhcp_server {
	bool up;
	uint32_t gw;
	uint32_t mask;
	uint32_t net;
	uint32_t bcast;
	uint8_t mac[PKT_ETH_ALEN];
	uint16_t mtu;
	uint32_t dns[DHCP_MAX_DNS];
	unsigned int ndns;
	uint32_t lease_secs;
	char *hosts_file;
	char *lease_file;
	void (*pending)(void);
	bool saved;
	uint64_t last_save_ms;
	struct dhcp_stats st;
	struct log_limit warn_limit;
	struct log_limit info_limit;
};

static struct dhcp_server srv;

/**
 * dhcp_in_subnet() - tell whether an address is a host address of the subnet
 * @a:	address
 *
 * Return: true if @a is in the subnet and is neither its network nor its
 * broadcast address
 */
static bool dhcp_in_subnet(uint32_t a)
{
	return (a & srv.mask) == srv.net && a != srv.net && a != srv.bcast;
}

/**
 * dhcp_parse_opts() - read the options of a client message
 * @m:		the message
 * @r:		the request; the option fields are filled in
 *
 * The first instance of an option counts; every instance of a fixed-size
 * option must have its size.
 *
 * Return: true if the options are well formed and hold a client message
 * type (DISCOVER..INFORM)
 */
static bool dhcp_parse_opts(const struct dhcpmsg *m, struct dhcp_req *r)
{
	struct dhcpmsg_iter it;
	struct dhcpmsg_opt o;
	bool have_type = false;

	dhcpmsg_iter_init(&it, m);
	while (dhcpmsg_next(&it, &o)) {
		switch (o.code) {
		case DHCPMSG_OPT_MSG_TYPE:
			if (o.len != 1)
				return false;
			if (!have_type) {
				have_type = true;
				r->type = o.val[0];
			}
			break;
		case DHCPMSG_OPT_REQ_ADDR:
			if (o.len != 4)
				return false;
			if (!r->has_req_addr) {
				r->has_req_addr = true;
				r->req_addr = dhcpmsg_opt_u32(&o);
			}
			break;
		case DHCPMSG_OPT_SERVER_ID:
			if (o.len != 4)
				return false;
			if (!r->has_server_id) {
				r->has_server_id = true;
				r->server_id = dhcpmsg_opt_u32(&o);
			}
			break;
		case DHCPMSG_OPT_CLIENT_ID:
			if (!r->client_id && o.len > 0) {
				r->client_id = o.val;
				r->client_id_len = o.len;
			}
			break;
		case DHCPMSG_OPT_PARAMS:
			if (o.len && memchr(o.val, DHCPMSG_OPT_HOSTNAME, o.len))
				r->want_name = true;
			break;
		case DHCPMSG_OPT_HOSTNAME:
			if (!r->host) {
				r->host = o.val;
				r->host_len = o.len;
			}
			break;
		default:
			break;
		}
	}
	return !it.bad && have_type && r->type >= DHCPMSG_DISCOVER &&
	       r->type <= DHCPMSG_INFORM;
}

/**
 * dhcp_parse() - parse and check a client message
 * @ip:		the IPv4 datagram (checked by the caller's parser)
 * @r:		the request, filled in
 *
 * Return: DHCP_NOT_MINE if the datagram is not UDP to port 67,
 * DHCP_DROPPED if it is a malformed DHCP message (counted), DHCP_REPLY if
 * @r holds a client message worth answering
 */
static enum dhcp_result dhcp_parse(const struct pkt_ipv4 *ip,
				   struct dhcp_req *r)
{
	struct pkt_cur c;
	struct dhcpmsg m;
	uint16_t sport, dport, ulen, csum;

	pkt_cur_init(&c, ip->payload, ip->payload_len);
	if (ip->proto != PKT_IPPROTO_UDP || !pkt_get_u16(&c, &sport) ||
	    !pkt_get_u16(&c, &dport) || dport != PKT_PORT_DHCP_SERVER)
		return DHCP_NOT_MINE;
	memset(r, 0, sizeof(*r));
	if (!pkt_get_u16(&c, &ulen) || !pkt_get_u16(&c, &csum) ||
	    ulen < PKT_UDP_HLEN || ulen > ip->payload_len)
		goto malformed;
	/* The UDP checksum is not checked: frames from the guests cannot be
	 * corrupted in transit, and partial checksums must not be refused. */
	if (!dhcpmsg_parse(ip->payload + PKT_UDP_HLEN, ulen - PKT_UDP_HLEN,
			   &m) ||
	    m.op != DHCPMSG_OP_REQUEST || m.htype != PKT_ARP_HTYPE_ETHER ||
	    m.hlen != PKT_ETH_ALEN || !dhcp_parse_opts(&m, r))
		goto malformed;
	r->xid = m.xid;
	r->flags = m.flags;
	r->ciaddr = m.ciaddr;
	r->giaddr = m.giaddr;
	r->chaddr = m.chaddr;
	r->ip_src = ip->src;
	r->sport = sport;
	dhcp_pool_client_init(&r->cl, m.chaddr, r->client_id, r->client_id_len);
	srv.st.rx[r->type]++;
	return DHCP_REPLY;

malformed:
	srv.st.malformed++;
	return DHCP_DROPPED;
}

/**
 * dhcp_put_options() - write the options of a reply
 * @w:		the writer, after the magic cookie
 * @r:		the request answered
 * @type:	DHCPMSG_OFFER, DHCPMSG_ACK or DHCPMSG_NAK
 * @with_lease:	send the lease time options
 * @name:	host name to send if asked for, or NULL
 */
static void dhcp_put_options(struct pkt_wr *w, const struct dhcp_req *r,
			     uint8_t type, bool with_lease, const char *name)
{
	uint32_t lease = srv.lease_secs;

	dhcpmsg_put_opt(w, DHCPMSG_OPT_MSG_TYPE, &type, 1);
	dhcpmsg_put_opt_u32(w, DHCPMSG_OPT_SERVER_ID, srv.gw);
	if (with_lease) {
		dhcpmsg_put_opt_u32(w, DHCPMSG_OPT_LEASE, lease);
		dhcpmsg_put_opt_u32(w, DHCPMSG_OPT_T1, lease / 2);
		dhcpmsg_put_opt_u32(w, DHCPMSG_OPT_T2,
				    (uint32_t)(lease * 7ull / 8));
	}
	if (type != DHCPMSG_NAK) {
		dhcpmsg_put_opt_u32(w, DHCPMSG_OPT_MASK, srv.mask);
		dhcpmsg_put_opt_u32(w, DHCPMSG_OPT_ROUTER, srv.gw);
		if (srv.ndns) {
			uint8_t dns[4 * DHCP_MAX_DNS];
			struct pkt_wr d;

			pkt_wr_init(&d, dns, sizeof(dns));
			for (unsigned int i = 0; i < srv.ndns; i++)
				pkt_put_u32(&d, srv.dns[i]);
			dhcpmsg_put_opt(w, DHCPMSG_OPT_DNS, dns,
					(uint8_t)d.off);
		}
		dhcpmsg_put_opt_u32(w, DHCPMSG_OPT_BCAST, srv.bcast);
		if (srv.mtu) {
			uint8_t mtu[2] = {(uint8_t)(srv.mtu >> 8),
					  (uint8_t)srv.mtu};

			dhcpmsg_put_opt(w, DHCPMSG_OPT_MTU, mtu, sizeof(mtu));
		}
		if (name && name[0] && r->want_name)
			dhcpmsg_put_opt(w, DHCPMSG_OPT_HOSTNAME, name,
					(uint8_t)strlen(name));
	}
	if (r->client_id) /* RFC 6842: always echoed */
		dhcpmsg_put_opt(w, DHCPMSG_OPT_CLIENT_ID, r->client_id,
				r->client_id_len);
	pkt_put_u8(w, DHCPMSG_OPT_END);
	if (w->off < DHCPMSG_MIN_LEN)
		pkt_put_zero(w, DHCPMSG_MIN_LEN - w->off);
}

/**
 * dhcp_reply() - build a reply frame
 * @r:		the request answered
 * @type:	DHCPMSG_OFFER, DHCPMSG_ACK or DHCPMSG_NAK
 * @yiaddr:	address given to the client (0 for NAK and INFORM)
 * @with_lease:	send the lease time options (not for INFORM and NAK)
 * @name:	host name to send if asked for, or NULL
 * @out:	where the Ethernet frame is written
 *
 * Addressing (RFC 2131 4.1, relays excluded): NAKs, clients that set the
 * broadcast flag and clients with no address yet get a broadcast; a client
 * with an address gets a unicast to it and its hardware address, on its
 * source port if that is neither 67 nor 68 (a program doing INFORM), else
 * on port 68.
 *
 * Return: DHCP_REPLY, or DHCP_DROPPED if @out is too small
 */
static enum dhcp_result dhcp_reply(const struct dhcp_req *r, uint8_t type,
				   uint32_t yiaddr, bool with_lease,
				   const char *name, struct pkt_wr *out)
{
	static const uint8_t bcast_mac[PKT_ETH_ALEN] = {0xff, 0xff, 0xff,
							0xff, 0xff, 0xff};
	const size_t hdrs = PKT_ETH_HLEN + PKT_IPV4_HLEN + PKT_UDP_HLEN;
	const uint8_t *dst_mac = bcast_mac;
	uint32_t dst_ip = PKT_IPV4_BROADCAST, unicast = r->ciaddr;
	uint16_t dport = PKT_PORT_DHCP_CLIENT;
	struct pkt_wr w, h;
	size_t start = out->off, msg_len;
	uint8_t *base;

	if (r->type == DHCPMSG_INFORM && !unicast && dhcp_in_subnet(r->ip_src))
		unicast = r->ip_src;
	if (type != DHCPMSG_NAK && !(r->flags & DHCPMSG_FLAG_BCAST) &&
	    unicast) {
		dst_mac = r->chaddr;
		dst_ip = unicast;
		if (r->sport != PKT_PORT_DHCP_SERVER &&
		    r->sport != PKT_PORT_DHCP_CLIENT)
			dport = r->sport;
	}
	if (out->overflow || out->cap - out->off < hdrs) {
		out->overflow = true;
		return DHCP_DROPPED;
	}
	base = out->base + start;
	pkt_wr_init(&w, base + hdrs, out->cap - start - hdrs);
	pkt_put_u8(&w, DHCPMSG_OP_REPLY);
	pkt_put_u8(&w, PKT_ARP_HTYPE_ETHER);
	pkt_put_u8(&w, PKT_ETH_ALEN);
	pkt_put_u8(&w, 0); /* hops */
	pkt_put_u32(&w, r->xid);
	pkt_put_u16(&w, 0); /* secs */
	pkt_put_u16(&w, r->flags & DHCPMSG_FLAG_BCAST);
	pkt_put_u32(&w, type == DHCPMSG_ACK ? r->ciaddr : 0);
	pkt_put_u32(&w, yiaddr);
	pkt_put_u32(&w, 0); /* siaddr: no boot server */
	pkt_put_u32(&w, r->giaddr);
	pkt_put_bytes(&w, r->chaddr, DHCPMSG_CHADDR_LEN);
	pkt_put_zero(&w, 64 + 128); /* sname, file */
	pkt_put_u32(&w, DHCPMSG_MAGIC);
	dhcp_put_options(&w, r, type, with_lease, name);
	if (w.overflow) {
		out->overflow = true;
		return DHCP_DROPPED;
	}
	msg_len = w.off;

	pkt_wr_init(&h, base, PKT_ETH_HLEN + PKT_IPV4_HLEN);
	pkt_put_eth(&h, dst_mac, srv.mac, PKT_ETHERTYPE_IPV4);
	pkt_put_ipv4(&h, srv.gw, dst_ip, PKT_IPPROTO_UDP, 0,
		     PKT_UDP_HLEN + msg_len);
	if (h.overflow ||
	    !pkt_udp_finish(base + PKT_ETH_HLEN + PKT_IPV4_HLEN,
			    PKT_UDP_HLEN + msg_len, srv.gw, dst_ip,
			    PKT_PORT_DHCP_SERVER, dport)) {
		out->overflow = true;
		return DHCP_DROPPED;
	}
	out->off = start + hdrs + msg_len;
	if (type == DHCPMSG_OFFER)
		srv.st.offer++;
	else if (type == DHCPMSG_ACK)
		srv.st.ack++;
	else
		srv.st.nak++;
	return DHCP_REPLY;
}

/**
 * dhcp_log_bind() - log an address given to a client
 * @what:	"offer" or "ack"
 * @r:		the client's request
 * @a:		the address
 * @now_ms:	current time, for the rate limit
 * @info:	log at info level (a new binding) rather than debug
 */
static void dhcp_log_bind(const char *what, const struct dhcp_req *r,
			  uint32_t a, uint64_t now_ms, bool info)
{
	char ip[ADDR_IP4_STRLEN], mac[ADDR_MAC_STRLEN];

	if (info && log_limit_ok(&srv.info_limit, now_ms))
		log_info("dhcp: %s %s to %s", what, addr_ip4_fmt(a, ip),
			 addr_mac_fmt(r->chaddr, mac));
	else if (!info)
		log_debug("dhcp: %s %s to %s", what, addr_ip4_fmt(a, ip),
			  addr_mac_fmt(r->chaddr, mac));
}

/**
 * dhcp_ignore() - count a well-formed message that gets no answer
 *
 * Return: DHCP_DROPPED
 */
static enum dhcp_result dhcp_ignore(void)
{
	srv.st.ignored++;
	return DHCP_DROPPED;
}

/**
 * dhcp_discover() - answer a DHCPDISCOVER
 * @r:		the request
 * @now_ms:	current time
 * @out:	where the reply is written
 *
 * Return: DHCP_REPLY with an OFFER, or DHCP_DROPPED if nothing can be
 * offered
 */
static enum dhcp_result dhcp_discover(const struct dhcp_req *r, uint64_t now_ms,
				      struct pkt_wr *out)
{
	int64_t now = (int64_t)now_ms;
	const struct dhcp_pool_resv *v = dhcp_pool_resv_by_mac(r->cl.mac);
	uint32_t a;

	if (v) {
		dhcp_pool_drop_dynamic(&r->cl, now);
		if (!dhcp_pool_resv_free(v, now))
			return dhcp_ignore();
		dhcp_log_bind("offer", r, v->addr, now_ms, false);
		return dhcp_reply(r, DHCPMSG_OFFER, v->addr, true, v->name,
				  out);
	}
	if (!dhcp_pool_offer(&r->cl, r->has_req_addr ? r->req_addr : 0, now,
			     &a)) {
		char mac[ADDR_MAC_STRLEN];

		srv.st.no_address++;
		if (log_limit_ok(&srv.warn_limit, now_ms))
			log_warnx("dhcp: no free address for %s",
				  addr_mac_fmt(r->chaddr, mac));
		return DHCP_DROPPED;
	}
	dhcp_log_bind("offer", r, a, now_ms, false);
	return dhcp_reply(r, DHCPMSG_OFFER, a, true, NULL, out);
}

/**
 * dhcp_request() - answer a DHCPREQUEST
 * @r:		the request
 * @now_ms:	current time
 * @out:	where the reply is written
 *
 * The client's state is told apart as RFC 2131 4.3.2 says: a server
 * identifier means SELECTING (a REQUEST for another server's offer drops
 * ours); a requested address without it means INIT-REBOOT; a client address
 * alone means RENEWING or REBINDING. In every state the address asked for
 * is acknowledged if this client may have it, else refused with a NAK.
 *
 * Return: DHCP_REPLY with an ACK or a NAK, or DHCP_DROPPED
 */
static enum dhcp_result dhcp_request(const struct dhcp_req *r, uint64_t now_ms,
				     struct pkt_wr *out)
{
	int64_t now = (int64_t)now_ms;
	const struct dhcp_pool_resv *v;
	char ip[ADDR_IP4_STRLEN], mac[ADDR_MAC_STRLEN];
	uint32_t a;

	if (r->has_server_id && r->server_id != srv.gw) {
		dhcp_pool_withdraw_offer(&r->cl, now);
		return dhcp_ignore();
	}
	if (r->has_req_addr)
		a = r->req_addr;
	else if (r->ciaddr)
		a = r->ciaddr;
	else
		return dhcp_ignore();

	v = dhcp_pool_resv_by_mac(r->cl.mac);
	if (v) {
		dhcp_pool_drop_dynamic(&r->cl, now);
		if (a != v->addr)
			return dhcp_reply(r, DHCPMSG_NAK, 0, false, NULL, out);
		if (!dhcp_pool_resv_free(v, now))
			return dhcp_ignore();
		dhcp_log_bind("ack", r, a, now_ms, false);
		dhcp_pool_resv_bound(&r->cl,
				     now + (int64_t)srv.lease_secs * 1000);
		return dhcp_reply(r, DHCPMSG_ACK, a, true, v->name, out);
	}

	switch (dhcp_pool_bind(&r->cl, a, now)) {
	case DHCP_POOL_ELSEWHERE: /* the client has another address here */
		return dhcp_reply(r, DHCPMSG_NAK, 0, false, NULL, out);
	case DHCP_POOL_REFUSED:
		if (log_limit_ok(&srv.info_limit, now_ms))
			log_info("dhcp: nak %s to %s", addr_ip4_fmt(a, ip),
				 addr_mac_fmt(r->chaddr, mac));
		return dhcp_reply(r, DHCPMSG_NAK, 0, false, NULL, out);
	case DHCP_POOL_RENEWED:
		/* A renewal changes only the expiry: save it now and then,
		 * not on every request a client may send. */
		if (now_ms - srv.last_save_ms > (uint64_t)srv.lease_secs * 250)
			dhcp_pool_mark_changed(false);
		dhcp_log_bind("ack", r, a, now_ms, false);
		break;
	case DHCP_POOL_BOUND:
	default:
		dhcp_log_bind("ack", r, a, now_ms, true);
		break;
	}
	if (r->host)
		dhcp_pool_note_host(&r->cl, (const char *)r->host, r->host_len);
	return dhcp_reply(r, DHCPMSG_ACK, a, true, NULL, out);
}

/**
 * dhcp_release() - handle a DHCPRELEASE: the client's lease ends now
 * @r:		the request
 * @now_ms:	current time
 *
 * Return: DHCP_DROPPED (a RELEASE is never answered)
 */
static enum dhcp_result dhcp_release(const struct dhcp_req *r, uint64_t now_ms)
{
	char ip[ADDR_IP4_STRLEN];

	if ((r->has_server_id && r->server_id != srv.gw) ||
	    !dhcp_pool_release(&r->cl, r->ciaddr, (int64_t)now_ms))
		return dhcp_ignore();
	log_debug("dhcp: release of %s", addr_ip4_fmt(r->ciaddr, ip));
	return DHCP_DROPPED;
}

/**
 * dhcp_decline() - handle a DHCPDECLINE: the client found its address in
 * use, which then rests a while
 * @r:		the request
 * @now_ms:	current time
 *
 * Return: DHCP_DROPPED (a DECLINE is never answered)
 */
static enum dhcp_result dhcp_decline(const struct dhcp_req *r, uint64_t now_ms)
{
	char ip[ADDR_IP4_STRLEN], mac[ADDR_MAC_STRLEN];
	enum dhcp_pool_decline_result d = DHCP_POOL_NOT_HELD;

	if ((!r->has_server_id || r->server_id == srv.gw) && r->has_req_addr)
		d = dhcp_pool_decline(&r->cl, r->req_addr, (int64_t)now_ms);
	if (d == DHCP_POOL_NOT_HELD)
		return dhcp_ignore();
	if (!log_limit_ok(&srv.warn_limit, now_ms))
		return DHCP_DROPPED;
	addr_ip4_fmt(r->req_addr, ip);
	addr_mac_fmt(r->cl.mac, mac);
	if (d == DHCP_POOL_DECLINE_LIMIT)
		log_warnx("dhcp: %s declined %s, but too many of its declined "
			  "addresses rest already: it stays %s's",
			  mac, ip, mac);
	else
		log_warnx("dhcp: %s declined %s (in use by another host?)", mac,
			  ip);
	return DHCP_DROPPED;
}

/**
 * dhcp_save() - write the lease file now
 * @now_ms:	current time
 *
 * A failed write is retried DHCP_SAVE_INTERVAL_MS later.
 *
 * Return: 0 on success (or without a lease file), -1 with errno set
 */
static int dhcp_save(uint64_t now_ms)
{
	if (!srv.lease_file)
		return 0;
	srv.last_save_ms = now_ms;
	srv.saved = true;
	srv.st.lease_writes++;
	dhcp_pool_mark_saved();
	if (dhcp_file_save_leases(srv.lease_file, now_ms) == 0)
		return 0;
	srv.st.lease_write_errors++;
	dhcp_pool_mark_changed(false);
	return -1;
}

/**
 * dhcp_maybe_save() - write the lease file if it changed and the last
 * write is at least DHCP_SAVE_INTERVAL_MS old, or the change is urgent
 * @now_ms:	current time
 */
static void dhcp_maybe_save(uint64_t now_ms)
{
	bool urgent;

	if (!srv.lease_file || !dhcp_pool_changed(&urgent))
		return;
	/* A new binding is written at once, so a crash right after it cannot
	 * lose it; renewals wait for the interval. */
	if (srv.saved && !urgent &&
	    now_ms - srv.last_save_ms < DHCP_SAVE_INTERVAL_MS)
		return;
	if (dhcp_save(now_ms) < 0 && log_limit_ok(&srv.warn_limit, now_ms))
		log_warn("dhcp: cannot write lease file %s", srv.lease_file);
}

/**
 * dhcp_after_change() - write the lease file now, or ask for a later call
 * @now_ms:	current time
 *
 * No timer runs while nothing is pending, so an idle daemon does not wake.
 */
static void dhcp_after_change(uint64_t now_ms)
{
	dhcp_maybe_save(now_ms);
	if (srv.lease_file && srv.pending && dhcp_pool_changed(NULL))
		srv.pending();
}

/**
 * dhcp_note_in_use() - learn that a VM uses a pool address
 * @a:		the address, seen as the sender of an ARP
 * @mac:	the VM's hardware address
 * @now_ms:	current time
 *
 * An address the server has no lease for but that a VM is using is
 * recorded as that VM's lease (see dhcp_pool_note_in_use()).
 */
void dhcp_note_in_use(uint32_t a, const uint8_t *mac, uint64_t now_ms)
{
	char ip[ADDR_IP4_STRLEN], m[ADDR_MAC_STRLEN];

	if (!srv.up || !dhcp_pool_note_in_use(a, mac, (int64_t)now_ms))
		return;
	if (log_limit_ok(&srv.info_limit, now_ms))
		log_info("dhcp: %s is in use by %s: recorded as its lease",
			 addr_ip4_fmt(a, ip), addr_mac_fmt(mac, m));
	dhcp_after_change(now_ms);
}

/**
 * dhcp_reload_hosts() - read the hosts file again (SIGHUP)
 * @err:	error message buffer
 * @errlen:	its size
 *
 * On failure the reservations in force stay as they were.
 *
 * Return: 0 on success (or when there is no hosts file), -1 with @err set
 */
int dhcp_reload_hosts(char *err, size_t errlen)
{
	struct dhcp_pool_resv *v = NULL;
	unsigned int n = 0;

	if (!srv.up || !srv.hosts_file)
		return 0;
	if (dhcp_file_read_hosts(srv.hosts_file, srv.gw, srv.mask, &v, &n, err,
				 errlen) < 0)
		return -1;
	dhcp_pool_set_resv(v, n);
	log_info("%s: %u reservations", srv.hosts_file, n);
	return 0;
}

/**
 * dhcp_lease_next() - walk the leases and reservations (for reading)
 * @pos:	where the walk is; 0 to start
 * @now_ms:	current time
 * @out:	the next one
 *
 * Return: true with @out filled in, false at the end (at once when the
 * server does not run)
 */
bool dhcp_lease_next(uint32_t *pos, uint64_t now_ms, struct dhcp_pool_info *out)
{
	return srv.up && dhcp_pool_next(pos, (int64_t)now_ms, out);
}

/**
 * dhcp_strdup_opt() - copy a string that may be NULL
 * @s:		the string
 * @copy:	the copy, or NULL if @s is NULL
 *
 * Return: true on success
 */
static bool dhcp_strdup_opt(const char *s, char **copy)
{
	*copy = NULL;
	if (!s)
		return true;
	*copy = strdup(s);
	return *copy != NULL;
}

/**
 * dhcp_npool() - number of addresses the pool manages
 * @c:		the configuration
 *
 * Return: the size, 0 if the range is empty or larger than allowed
 */
static uint32_t dhcp_npool(const struct dhcp_conf *c)
{
	uint64_t range, max = c->max_leases ? c->max_leases : DHCP_MAX_POOL;

	if (c->first > c->last)
		return 0;
	range = (uint64_t)c->last - c->first + 1;
	if (range > max)
		range = max;
	return range > DHCP_MAX_POOL ? 0 : (uint32_t)range;
}

/**
 * dhcp_init() - set up the server and allocate its tables
 * @c:		configuration, checked by the caller (see struct dhcp_conf)
 * @now_ms:	current time
 * @err:	error message buffer
 * @errlen:	its size
 *
 * Reads the hosts file and the lease file, then writes the lease file
 * once, so that a lease file that cannot be written is reported now.
 *
 * Return: 0 on success, -1 with @err set
 */
int dhcp_init(const struct dhcp_conf *c, uint64_t now_ms, char *err,
	      size_t errlen)
{
	uint32_t npool = dhcp_npool(c);
	struct dhcp_pool_resv *v;
	unsigned int n;

	dhcp_fini(now_ms);
	if (npool == 0)
		return err_set(err, errlen, "bad DHCP pool size");
	if (c->ndns > DHCP_MAX_DNS)
		return err_set(err, errlen, "at most %u DNS servers",
			       DHCP_MAX_DNS);
	srv.gw = c->gateway;
	srv.mask = c->mask;
	srv.net = srv.gw & srv.mask;
	srv.bcast = srv.net | ~srv.mask;
	memcpy(srv.mac, c->mac, PKT_ETH_ALEN);
	srv.mtu = c->mtu;
	srv.ndns = c->ndns;
	memcpy(srv.dns, c->dns, sizeof(srv.dns));
	srv.lease_secs = c->lease_secs;
	srv.pending = c->pending;
	if (!dhcp_strdup_opt(c->hosts_file, &srv.hosts_file) ||
	    !dhcp_strdup_opt(c->lease_file, &srv.lease_file) ||
	    dhcp_pool_init(c->first, npool, srv.gw, srv.lease_secs) < 0) {
		err_set(err, errlen, "out of memory");
		goto fail;
	}
	dhcp_pool_set_ids_per_mac(c->ids_per_mac);
	if (srv.hosts_file) {
		if (dhcp_file_read_hosts(srv.hosts_file, srv.gw, srv.mask, &v,
					 &n, err, errlen) < 0)
			goto fail;
		dhcp_pool_set_resv(v, n);
	}
	if (srv.lease_file) {
		if (dhcp_file_load_leases(srv.lease_file, now_ms,
					  srv.lease_secs, err, errlen) < 0)
			goto fail;
		if (dhcp_save(now_ms) < 0) {
			err_sys(err, errlen, "cannot write %s", srv.lease_file);
			goto fail;
		}
	}
	srv.up = true;
	return 0;

fail:
	dhcp_fini(now_ms);
	return -1;
}

/**
 * dhcp_input() - handle a datagram that may be a DHCP client message
 * @ip:		the IPv4 datagram, checked by pkt_ipv4_parse()
 * @now_ms:	current time, monotonic milliseconds
 * @out:	where a reply frame is written
 *
 * Return: see enum dhcp_result
 */
enum dhcp_result dhcp_input(const struct pkt_ipv4 *ip, uint64_t now_ms,
			    struct pkt_wr *out)
{
	struct dhcp_req r;
	enum dhcp_result res;

	if (!srv.up)
		return DHCP_NOT_MINE;
	res = dhcp_parse(ip, &r);
	if (res != DHCP_REPLY)
		return res;
	if (r.giaddr) /* relayed from another subnet: not served */
		return dhcp_ignore();
	switch (r.type) {
	case DHCPMSG_DISCOVER:
		res = dhcp_discover(&r, now_ms, out);
		break;
	case DHCPMSG_REQUEST:
		res = dhcp_request(&r, now_ms, out);
		break;
	case DHCPMSG_RELEASE:
		res = dhcp_release(&r, now_ms);
		break;
	case DHCPMSG_DECLINE:
		res = dhcp_decline(&r, now_ms);
		break;
	case DHCPMSG_INFORM:
		res = dhcp_reply(&r, DHCPMSG_ACK, 0, false, NULL, out);
		break;
	default: /* OFFER, ACK, NAK: server messages */
		res = dhcp_ignore();
		break;
	}
	dhcp_after_change(now_ms);
	return res;
}

/**
 * dhcp_tick() - write the lease file if a write is due
 * @now_ms:	current time
 *
 * Return: when dhcp_tick() should be called next (monotonic milliseconds)
 * if a write is still pending; 0 if not (a later change that has to wait
 * calls the configured pending() hook) or if there is no lease file
 */
uint64_t dhcp_tick(uint64_t now_ms)
{
	if (!srv.up || !srv.lease_file)
		return 0;
	dhcp_maybe_save(now_ms);
	if (dhcp_pool_changed(NULL))
		return srv.last_save_ms + DHCP_SAVE_INTERVAL_MS;
	return 0;
}

/**
 * dhcp_stats() - copy the DHCP counters
 * @s:	filled in (zero when the server is not running)
 */
void dhcp_stats(struct dhcp_stats *s)
{
	*s = srv.st;
}

/**
 * dhcp_fini() - write the lease file if it changed, and free everything
 * @now_ms:	current time
 *
 * Safe to call when dhcp_init() was never called or failed.
 */
void dhcp_fini(uint64_t now_ms)
{
	if (srv.up && srv.lease_file && dhcp_pool_changed(NULL) &&
	    dhcp_save(now_ms) < 0)
		log_warn("dhcp: cannot write lease file %s", srv.lease_file);
	dhcp_pool_fini();
	free(srv.hosts_file);
	free(srv.lease_file);
	memset(&srv, 0, sizeof(srv));
}
