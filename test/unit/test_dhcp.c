/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the DHCP server, driven through gw_input() the way the
 * switch drives it: client messages are built byte by byte, replies are
 * parsed and every field and option is checked. The lease file, the hosts
 * file parser and the pool are also tested on their own.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dhcp_file.h"
#include "dhcp_pool.h"
#include "gw.h"
#include "pkt.h"
#include "unit.h"

#define T0	       1000000u /* a monotonic start time, ms */
#define MAX_SENT       8
#define FRAME_MAX      2048
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define NET(x)	       IP(192, 168, 105, x)

static const uint8_t GW_MAC[6] = {0x5a, 0x94, 0xef, 0x00, 0x00, 0x01};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Frames the gateway sent */
struct sent {
	unsigned int n;
	size_t len[MAX_SENT];
	uint8_t buf[MAX_SENT][FRAME_MAX];
};

static struct sent sent;

static void on_send(void *arg, const uint8_t *frame, size_t len)
{
	struct sent *s = arg;

	if (s->n < MAX_SENT && len <= FRAME_MAX) {
		memcpy(s->buf[s->n], frame, len);
		s->len[s->n] = len;
	}
	s->n++;
}

/* A client message to build */
struct cmsg {
	uint8_t type;
	uint8_t mac[6];
	uint32_t xid;
	uint32_t ciaddr;
	uint16_t flags;
	uint32_t req_addr;
	uint32_t server_id;
	const uint8_t *cid;
	size_t cidlen;
	bool want_name;
	bool unicast; /* to the gateway's MAC and IP, from ciaddr */
	uint16_t sport;
};

/* A parsed reply */
struct reply {
	bool ok;
	uint8_t eth_dst[6], eth_src[6];
	uint32_t ip_src, ip_dst;
	uint8_t ttl;
	uint16_t sport, dport;
	uint8_t op, htype, hlen;
	uint32_t xid, ciaddr, yiaddr, siaddr, giaddr;
	uint16_t flags;
	uint8_t chaddr[16];
	size_t msg_len;
	bool has[256];
	uint8_t olen[256];
	uint8_t odata[256][255];
};

static struct reply rep;

static void mac_of(uint8_t *mac, unsigned int n)
{
	const uint8_t m[6] = {0x52,	 0x54, 0x00, 0x12, (uint8_t)(n >> 8),
			      (uint8_t)n};

	memcpy(mac, m, 6);
}

static struct gw_conf base_conf(void)
{
	struct gw_conf c;

	memset(&c, 0, sizeof(c));
	c.gateway.s_addr = htonl(NET(1));
	c.mask.s_addr = htonl(IP(255, 255, 255, 0));
	memcpy(c.mac, GW_MAC, 6);
	c.mtu = 1500;
	c.dns[0].s_addr = htonl(IP(8, 8, 8, 8));
	c.dns[1].s_addr = htonl(IP(1, 1, 1, 1));
	c.ndns = 2;
	c.lease_secs = 600;
	c.dhcp = true;
	c.responder = true;
	return c;
}

static int start(struct gw_conf *c)
{
	char err[256] = "";
	int r = gw_init(c, T0, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "gw_init: %s\n", err);
	return r;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Ethernet + IPv4 + UDP around a payload, with correct checksums. */
static size_t wrap_udp(uint8_t *buf, const uint8_t *dst_mac,
		       const uint8_t *src_mac, uint32_t src, uint32_t dst,
		       uint16_t sport, uint16_t dport, const uint8_t *payload,
		       size_t plen)
{
	struct pkt_wr w;

	pkt_wr_init(&w, buf, FRAME_MAX);
	pkt_put_eth(&w, dst_mac, src_mac, PKT_ETHERTYPE_IPV4);
	pkt_put_ipv4(&w, src, dst, PKT_IPPROTO_UDP, 0, PKT_UDP_HLEN + plen);
	pkt_put_zero(&w, PKT_UDP_HLEN);
	pkt_put_bytes(&w, payload, plen);
	if (w.overflow)
		return 0;
	pkt_udp_finish(buf + 34, PKT_UDP_HLEN + plen, src, dst, sport, dport);
	return w.off;
}

/* The BOOTP part of a client message. */
static size_t build_bootp(const struct cmsg *m, uint8_t *p, size_t cap)
{
	struct pkt_wr w;

	pkt_wr_init(&w, p, cap);
	pkt_put_u8(&w, 1);
	pkt_put_u8(&w, 1);
	pkt_put_u8(&w, 6);
	pkt_put_u8(&w, 0);
	pkt_put_u32(&w, m->xid);
	pkt_put_u16(&w, 0);
	pkt_put_u16(&w, m->flags);
	pkt_put_u32(&w, m->ciaddr);
	pkt_put_zero(&w, 12);
	pkt_put_bytes(&w, m->mac, 6);
	pkt_put_zero(&w, 10 + 64 + 128);
	pkt_put_u32(&w, 0x63825363u);
	pkt_put_u8(&w, 53);
	pkt_put_u8(&w, 1);
	pkt_put_u8(&w, m->type);
	if (m->req_addr) {
		pkt_put_u8(&w, 50);
		pkt_put_u8(&w, 4);
		pkt_put_u32(&w, m->req_addr);
	}
	if (m->server_id) {
		pkt_put_u8(&w, 54);
		pkt_put_u8(&w, 4);
		pkt_put_u32(&w, m->server_id);
	}
	if (m->cid) {
		pkt_put_u8(&w, 61);
		pkt_put_u8(&w, (uint8_t)m->cidlen);
		pkt_put_bytes(&w, m->cid, m->cidlen);
	}
	pkt_put_u8(&w, 55);
	pkt_put_u8(&w, m->want_name ? 5 : 4);
	pkt_put_u8(&w, 1);
	pkt_put_u8(&w, 3);
	pkt_put_u8(&w, 6);
	pkt_put_u8(&w, 26);
	if (m->want_name)
		pkt_put_u8(&w, 12);
	pkt_put_u8(&w, 255);
	return w.overflow ? 0 : w.off;
}

static size_t build_msg(const struct cmsg *m, uint8_t *buf)
{
	uint8_t p[1024];
	size_t n = build_bootp(m, p, sizeof(p));

	if (m->unicast)
		return wrap_udp(buf, GW_MAC, m->mac, m->ciaddr, NET(1),
				m->sport ? m->sport : 68, 67, p, n);
	return wrap_udp(buf, BCAST, m->mac, 0, 0xffffffffu,
			m->sport ? m->sport : 68, 67, p, n);
}

/* Parse a reply frame completely, checking every checksum and length. */
static bool parse_reply(const uint8_t *f, size_t len, struct reply *r)
{
	struct pkt_ipv4 ip;
	struct pkt_cur c;
	uint8_t pseudo[12];
	uint16_t ulen, csum;
	uint32_t sum, magic;

	memset(r, 0, sizeof(*r));
	if (len < 42)
		return false;
	memcpy(r->eth_dst, f, 6);
	memcpy(r->eth_src, f + 6, 6);
	if (f[12] != 0x08 || f[13] != 0x00)
		return false;
	if (!pkt_ipv4_parse(f + 14, len - 14, &ip) || ip.proto != 17 ||
	    ip.hdr_len != 20)
		return false;
	r->ip_src = ip.src;
	r->ip_dst = ip.dst;
	r->ttl = f[14 + 8];
	pkt_cur_init(&c, ip.payload, ip.payload_len);
	if (!pkt_get_u16(&c, &r->sport) || !pkt_get_u16(&c, &r->dport) ||
	    !pkt_get_u16(&c, &ulen) || !pkt_get_u16(&c, &csum))
		return false;
	if (ulen != ip.payload_len || csum == 0)
		return false;
	put32(pseudo, ip.src);
	put32(pseudo + 4, ip.dst);
	pseudo[8] = 0;
	pseudo[9] = 17;
	pseudo[10] = (uint8_t)(ulen >> 8);
	pseudo[11] = (uint8_t)ulen;
	sum = pkt_csum_add(0, pseudo, 12);
	if (pkt_csum_fold(pkt_csum_add(sum, ip.payload, ulen)) != 0)
		return false;
	r->msg_len = ulen - 8u;
	if (!pkt_get_u8(&c, &r->op) || !pkt_get_u8(&c, &r->htype) ||
	    !pkt_get_u8(&c, &r->hlen) || !pkt_skip(&c, 1) ||
	    !pkt_get_u32(&c, &r->xid) || !pkt_skip(&c, 2) ||
	    !pkt_get_u16(&c, &r->flags) || !pkt_get_u32(&c, &r->ciaddr) ||
	    !pkt_get_u32(&c, &r->yiaddr) || !pkt_get_u32(&c, &r->siaddr) ||
	    !pkt_get_u32(&c, &r->giaddr) || !pkt_get_bytes(&c, r->chaddr, 16) ||
	    !pkt_skip(&c, 192) || !pkt_get_u32(&c, &magic) ||
	    magic != 0x63825363u)
		return false;
	for (;;) {
		uint8_t code, olen;

		if (!pkt_get_u8(&c, &code))
			return false;
		if (code == 0)
			continue;
		if (code == 255)
			break;
		if (!pkt_get_u8(&c, &olen) || r->has[code] ||
		    !pkt_get_bytes(&c, r->odata[code], olen))
			return false;
		r->has[code] = true;
		r->olen[code] = olen;
	}
	r->ok = true;
	return true;
}

static bool opt32(const struct reply *r, uint8_t code, uint32_t *v)
{
	if (!r->has[code] || r->olen[code] != 4)
		return false;
	*v = get32(r->odata[code]);
	return true;
}

static uint8_t msg_type(const struct reply *r)
{
	return r->has[53] && r->olen[53] == 1 ? r->odata[53][0] : 0;
}

/*
 * Send one client message; return the type of the single reply (parsed
 * into rep), 0 if there was none, -1 if there was more than one or it did
 * not parse.
 */
static int exchange(const struct cmsg *m, uint64_t now)
{
	uint8_t buf[FRAME_MAX];
	size_t n = build_msg(m, buf);

	memset(&sent, 0, sizeof(sent));
	memset(&rep, 0, sizeof(rep));
	gw_input(buf, n, now, on_send, &sent);
	if (sent.n == 0)
		return 0;
	if (sent.n != 1 || !parse_reply(sent.buf[0], sent.len[0], &rep))
		return -1;
	return msg_type(&rep);
}

/* DISCOVER (@m), then a message of @type for what was offered; @answer
 * gets the type of the reply to that (0 for none). Returns the address
 * offered, or 0. */
static uint32_t offer_then(struct cmsg *m, uint8_t type, uint64_t now,
			   int *answer)
{
	uint32_t a;

	m->type = 1;
	if (exchange(m, now) != 2)
		return 0;
	a = rep.yiaddr;
	m->type = type;
	m->req_addr = a;
	m->server_id = NET(1);
	*answer = exchange(m, now);
	return a;
}

/* DISCOVER then REQUEST for what was offered; returns the address or 0. */
static uint32_t lease(const uint8_t *mac, uint64_t now)
{
	struct cmsg m = {.xid = 42};
	int answer = 0;
	uint32_t a;

	memcpy(m.mac, mac, 6);
	a = offer_then(&m, 3, now, &answer);
	return answer == 5 && rep.yiaddr == a ? a : 0;
}

static uint32_t discover(const uint8_t *mac, uint64_t now)
{
	struct cmsg m = {.type = 1, .xid = 7};

	memcpy(m.mac, mac, 6);
	return exchange(&m, now) == 2 ? rep.yiaddr : 0;
}

static void check_common_options(const struct reply *r)
{
	uint32_t v;

	CHECK(opt32(r, 54, &v) && v == NET(1));
	CHECK(opt32(r, 1, &v) && v == IP(255, 255, 255, 0));
	CHECK(opt32(r, 3, &v) && v == NET(1));
	CHECK(opt32(r, 28, &v) && v == NET(255));
	CHECK(r->has[6] && r->olen[6] == 8 &&
	      get32(r->odata[6]) == IP(8, 8, 8, 8) &&
	      get32(r->odata[6] + 4) == IP(1, 1, 1, 1));
	CHECK(r->has[26] && r->olen[26] == 2 &&
	      (r->odata[26][0] << 8 | r->odata[26][1]) == 1500);
}

static void test_round_trip(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {.type = 1, .xid = 0x11223344};
	struct gw_stats st;
	uint32_t v;

	mac_of(m.mac, 1);
	CHECK_EQ(start(&c), 0);

	/* DISCOVER -> OFFER, broadcast */
	CHECK_EQ(exchange(&m, T0), 2);
	CHECK(rep.ok);
	CHECK(memcmp(rep.eth_dst, BCAST, 6) == 0);
	CHECK(memcmp(rep.eth_src, GW_MAC, 6) == 0);
	CHECK_EQ(rep.ip_src, NET(1));
	CHECK_EQ(rep.ip_dst, 0xffffffffu);
	CHECK_EQ(rep.ttl, 64);
	CHECK_EQ(rep.sport, 67);
	CHECK_EQ(rep.dport, 68);
	CHECK_EQ(rep.op, 2);
	CHECK_EQ(rep.htype, 1);
	CHECK_EQ(rep.hlen, 6);
	CHECK_EQ(rep.xid, 0x11223344u);
	CHECK_EQ(rep.ciaddr, 0);
	CHECK_EQ(rep.yiaddr, NET(2));
	CHECK_EQ(rep.giaddr, 0);
	CHECK(memcmp(rep.chaddr, m.mac, 6) == 0);
	CHECK(rep.msg_len >= 300);
	CHECK(opt32(&rep, 51, &v) && v == 600);
	CHECK(opt32(&rep, 58, &v) && v == 300);
	CHECK(opt32(&rep, 59, &v) && v == 525);
	CHECK(!rep.has[61]);
	check_common_options(&rep);

	/* REQUEST (selecting) -> ACK */
	m.type = 3;
	m.req_addr = NET(2);
	m.server_id = NET(1);
	CHECK_EQ(exchange(&m, T0 + 10), 5);
	CHECK_EQ(rep.yiaddr, NET(2));
	CHECK_EQ(rep.ip_dst, 0xffffffffu);
	CHECK(opt32(&rep, 51, &v) && v == 600);
	CHECK(opt32(&rep, 58, &v) && v == 300);
	CHECK(opt32(&rep, 59, &v) && v == 525);
	check_common_options(&rep);

	/* REQUEST (renewing, unicast from ciaddr) -> unicast ACK */
	m.req_addr = 0;
	m.server_id = 0;
	m.ciaddr = NET(2);
	m.unicast = true;
	CHECK_EQ(exchange(&m, T0 + 300000), 5);
	CHECK_EQ(rep.yiaddr, NET(2));
	CHECK_EQ(rep.ciaddr, NET(2));
	CHECK_EQ(rep.ip_dst, NET(2));
	CHECK_EQ(rep.dport, 68);
	CHECK(memcmp(rep.eth_dst, m.mac, 6) == 0);

	/* REBINDING with the broadcast flag -> broadcast ACK */
	m.unicast = false;
	m.flags = 0x8000;
	CHECK_EQ(exchange(&m, T0 + 500000), 5);
	CHECK_EQ(rep.ip_dst, 0xffffffffu);
	CHECK(memcmp(rep.eth_dst, BCAST, 6) == 0);
	CHECK_EQ(rep.flags, 0x8000);

	gw_stats(&st);
	CHECK_EQ(st.dhcp_rx[1], 1);
	CHECK_EQ(st.dhcp_rx[3], 3);
	CHECK_EQ(st.dhcp_offer, 1);
	CHECK_EQ(st.dhcp_ack, 3);
	CHECK_EQ(st.dhcp_nak, 0);
	CHECK_EQ(st.dhcp_malformed, 0);
	gw_fini(T0 + 500000);
}

static void test_no_dns_no_mtu(void)
{
	struct gw_conf c = base_conf();
	uint8_t mac[6];

	c.ndns = 0;
	c.mtu = 0;
	mac_of(mac, 1);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(discover(mac, T0), NET(2));
	CHECK(!rep.has[6]);
	CHECK(!rep.has[26]);
	CHECK(rep.has[1] && rep.has[3] && rep.has[28]);
	gw_fini(T0);
}

static void test_address_plan(void)
{
	struct gw_conf c = base_conf();
	uint8_t mac[6];
	struct gw_stats st;

	/* defaults: gateway+1 .. .254 */
	CHECK_EQ(start(&c), 0);
	for (unsigned int i = 0; i < 253; i++) {
		mac_of(mac, i);
		CHECK_EQ(lease(mac, T0), NET(2 + i));
	}
	mac_of(mac, 999);
	CHECK_EQ(discover(mac, T0), 0);
	gw_stats(&st);
	CHECK_EQ(st.dhcp_no_address, 1);
	gw_fini(T0);

	/* an explicit range */
	c = base_conf();
	c.dhcp_first.s_addr = htonl(NET(100));
	c.dhcp_last.s_addr = htonl(NET(102));
	CHECK_EQ(start(&c), 0);
	for (unsigned int i = 0; i < 3; i++) {
		mac_of(mac, i);
		CHECK_EQ(lease(mac, T0), NET(100 + i));
	}
	mac_of(mac, 3);
	CHECK_EQ(discover(mac, T0), 0);
	gw_fini(T0);

	/* a /16 with a default end: .0.2 .. .255.254, first ones in order */
	c = base_conf();
	c.mask.s_addr = htonl(IP(255, 255, 0, 0));
	CHECK_EQ(start(&c), 0);
	mac_of(mac, 1);
	CHECK_EQ(lease(mac, T0), NET(2));
	{
		uint32_t v;

		CHECK(opt32(&rep, 1, &v) && v == IP(255, 255, 0, 0));
		CHECK(opt32(&rep, 28, &v) && v == IP(192, 168, 255, 255));
	}
	gw_fini(T0);

	/* a range that includes the gateway skips it */
	c = base_conf();
	c.dhcp_first.s_addr = htonl(NET(1));
	c.dhcp_last.s_addr = htonl(NET(2));
	CHECK_EQ(start(&c), 0);
	mac_of(mac, 1);
	CHECK_EQ(lease(mac, T0), NET(2));
	mac_of(mac, 2);
	CHECK_EQ(discover(mac, T0), 0);
	gw_fini(T0);

	/* max_leases limits the pool */
	c = base_conf();
	c.max_leases = 2;
	CHECK_EQ(start(&c), 0);
	mac_of(mac, 1);
	CHECK_EQ(lease(mac, T0), NET(2));
	mac_of(mac, 2);
	CHECK_EQ(lease(mac, T0), NET(3));
	mac_of(mac, 3);
	CHECK_EQ(discover(mac, T0), 0);
	gw_fini(T0);
}

static void test_bad_config(void)
{
	struct gw_conf c;
	char err[256];

	c = base_conf();
	c.gateway.s_addr = htonl(NET(0));
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	c.gateway.s_addr = htonl(NET(255));
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	c.mask.s_addr = htonl(IP(255, 0, 255, 0));
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	c.mask.s_addr = htonl(IP(255, 255, 255, 254));
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	c.dhcp_last.s_addr = htonl(IP(192, 168, 106, 10));
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "range");
	c = base_conf();
	c.dhcp_last.s_addr = htonl(NET(255));
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	c.dhcp_first.s_addr = htonl(NET(50));
	c.dhcp_last.s_addr = htonl(NET(40));
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	memset(c.mac, 0, 6);
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	c.mac[0] = 0x01;
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	c.mtu = 60;
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	c.ndns = 4;
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	c = base_conf();
	c.lease_secs = 5;
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	/* the DHCP range is not checked when DHCP is off */
	c = base_conf();
	c.dhcp = false;
	c.dhcp_last.s_addr = htonl(IP(10, 0, 0, 1));
	CHECK_EQ(gw_init(&c, T0, err, sizeof(err)), 0);
	gw_fini(T0);
}

static void test_dhcp_disabled(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {.type = 1};
	uint8_t buf[FRAME_MAX];
	size_t n;

	c.dhcp = false;
	mac_of(m.mac, 1);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(exchange(&m, T0), 0);
	/* a broadcast is switched on as usual */
	n = build_msg(&m, buf);
	CHECK(!gw_input(buf, n, T0, on_send, &sent));
	gw_fini(T0);
}

static void test_same_client_same_address(void)
{
	struct gw_conf c = base_conf();
	uint8_t a[6], b[6];
	uint32_t ia, ib;

	mac_of(a, 1);
	mac_of(b, 2);
	CHECK_EQ(start(&c), 0);
	ia = lease(a, T0);
	ib = lease(b, T0);
	CHECK(ia && ib && ia != ib);
	CHECK_EQ(discover(a, T0 + 1000), ia);
	CHECK_EQ(lease(a, T0 + 2000), ia);
	CHECK_EQ(discover(b, T0 + 3000), ib);
	/* a second DISCOVER before the REQUEST offers the same address */
	mac_of(a, 3);
	CHECK_EQ(discover(a, T0 + 4000), NET(4));
	CHECK_EQ(discover(a, T0 + 5000), NET(4));
	gw_fini(T0);
}

static void test_client_id(void)
{
	struct gw_conf c = base_conf();
	static const uint8_t id1[] = {0xff, 1, 2, 3, 4, 0, 1, 0, 1, 9, 9};
	static const uint8_t id2[] = {0xff, 1, 2, 3, 5, 0, 1, 0, 1, 9, 9};
	uint8_t longid[255];
	struct cmsg m = {.type = 1, .cid = id1, .cidlen = sizeof(id1)};
	uint32_t a1, a2, first;

	mac_of(m.mac, 1);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(exchange(&m, T0), 2);
	a1 = first = rep.yiaddr;
	CHECK(rep.has[61] && rep.olen[61] == sizeof(id1) &&
	      memcmp(rep.odata[61], id1, sizeof(id1)) == 0);
	m.type = 3;
	m.req_addr = a1;
	m.server_id = NET(1);
	CHECK_EQ(exchange(&m, T0), 5);
	CHECK(rep.has[61] && memcmp(rep.odata[61], id1, sizeof(id1)) == 0);

	/* same hardware address, another identifier: another client */
	m.type = 1;
	m.req_addr = 0;
	m.server_id = 0;
	m.cid = id2;
	CHECK_EQ(exchange(&m, T0), 2);
	a2 = rep.yiaddr;
	CHECK(a2 && a2 != a1);
	/* the same hardware address with no identifier: a third client */
	m.cid = NULL;
	CHECK_EQ(exchange(&m, T0), 2);
	CHECK(rep.yiaddr != a1 && rep.yiaddr != a2);
	CHECK(!rep.has[61]);
	/* back to the first identifier */
	m.cid = id1;
	CHECK_EQ(exchange(&m, T0), 2);
	CHECK_EQ(rep.yiaddr, a1);

	/* identifiers longer than a key are cut: differing early they are
	 * told apart, differing only at the end they share a lease */
	memset(longid, 0xab, sizeof(longid));
	m.cid = longid;
	m.cidlen = sizeof(longid);
	CHECK_EQ(exchange(&m, T0), 2);
	a1 = rep.yiaddr;
	CHECK(rep.has[61] && rep.olen[61] == 255);
	longid[254] = 0xac;
	CHECK_EQ(exchange(&m, T0), 2);
	CHECK_EQ(rep.yiaddr, a1);
	longid[254] = 0xab;
	longid[3] = 0x11;
	CHECK_EQ(exchange(&m, T0), 2);
	CHECK(rep.yiaddr != a1);
	/* another MAC sending the first client's identifier gets another
	 * lease, never the first client's */
	m.cid = id1;
	m.cidlen = sizeof(id1);
	mac_of(m.mac, 2);
	CHECK_EQ(exchange(&m, T0), 2);
	CHECK(rep.yiaddr && rep.yiaddr != first && rep.yiaddr != a1);
	gw_fini(T0);
}

static void test_release(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {.type = 7};
	uint8_t a[6], b[6], x[6];

	c.dhcp_first.s_addr = htonl(NET(10));
	c.dhcp_last.s_addr = htonl(NET(11));
	mac_of(a, 1);
	mac_of(b, 2);
	mac_of(x, 3);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(lease(a, T0), NET(10));
	CHECK_EQ(lease(b, T0), NET(11));
	CHECK_EQ(discover(x, T0), 0); /* full */

	/* a RELEASE from someone else is ignored */
	memcpy(m.mac, x, 6);
	m.ciaddr = NET(10);
	m.server_id = NET(1);
	m.unicast = true;
	CHECK_EQ(exchange(&m, T0 + 10), 0);
	CHECK_EQ(discover(x, T0 + 20), 0);

	/* a's RELEASE frees its address at once (no reply) */
	memcpy(m.mac, a, 6);
	CHECK_EQ(exchange(&m, T0 + 30), 0);
	/* a comes back before anyone took it: same address */
	CHECK_EQ(lease(a, T0 + 40), NET(10));
	CHECK_EQ(exchange(&m, T0 + 50), 0);
	/* now x takes it */
	CHECK_EQ(lease(x, T0 + 60), NET(10));
	CHECK_EQ(discover(a, T0 + 70), 0);
	gw_fini(T0);
}

static void test_expiry(void)
{
	struct gw_conf c = base_conf();
	uint8_t a[6], b[6], x[6];

	c.dhcp_first.s_addr = htonl(NET(10));
	c.dhcp_last.s_addr = htonl(NET(11));
	mac_of(a, 1);
	mac_of(b, 2);
	mac_of(x, 3);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(lease(a, T0), NET(10));
	CHECK_EQ(lease(b, T0 + 100000), NET(11));
	/* full while both leases run */
	CHECK_EQ(discover(x, T0 + 599000), 0);
	/* a's lease ended at T0+600 s; a gets its address back */
	CHECK_EQ(lease(a, T0 + 601000), NET(10));
	/* both expire; a at T0+1201 s, b at T0+700 s: x gets b's, the
	 * oldest expired */
	CHECK_EQ(lease(x, T0 + 1300000), NET(11));
	/* b comes back: its address is gone, it gets the other ended one */
	CHECK_EQ(lease(b, T0 + 1300000), NET(10));
	/* a comes back: nothing left */
	CHECK_EQ(discover(a, T0 + 1300000), 0);
	gw_fini(T0);
}

static void test_offer_hold(void)
{
	struct gw_conf c = base_conf();
	uint8_t a[6], b[6];

	c.dhcp_first.s_addr = htonl(NET(10));
	c.dhcp_last.s_addr = htonl(NET(10));
	mac_of(a, 1);
	mac_of(b, 2);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(discover(a, T0), NET(10));
	CHECK_EQ(discover(b, T0 + 29000), 0);
	CHECK_EQ(discover(b, T0 + 31000), NET(10));
	/* b holds it now; a's REQUEST for it gets a NAK */
	{
		struct cmsg m = {
		    .type = 3, .req_addr = NET(10), .server_id = NET(1)};

		memcpy(m.mac, a, 6);
		CHECK_EQ(exchange(&m, T0 + 32000), 6);
	}
	gw_fini(T0);
}

static void test_nak(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {.type = 3, .xid = 99};
	uint8_t a[6], b[6];
	uint32_t v;

	c.dhcp_last.s_addr = htonl(NET(100));
	mac_of(a, 1);
	mac_of(b, 2);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(lease(a, T0), NET(2));
	CHECK_EQ(lease(b, T0), NET(3));

	/* INIT-REBOOT for an address outside the range */
	memcpy(m.mac, a, 6);
	m.req_addr = NET(200);
	CHECK_EQ(exchange(&m, T0), 6);
	CHECK_EQ(rep.yiaddr, 0);
	CHECK_EQ(rep.ciaddr, 0);
	CHECK_EQ(rep.xid, 99);
	CHECK_EQ(rep.ip_dst, 0xffffffffu);
	CHECK(memcmp(rep.eth_dst, BCAST, 6) == 0);
	CHECK(opt32(&rep, 54, &v) && v == NET(1));
	CHECK(!rep.has[51] && !rep.has[1] && !rep.has[3]);
	/* another subnet */
	m.req_addr = IP(10, 0, 0, 5);
	CHECK_EQ(exchange(&m, T0), 6);
	/* the gateway's own address, the network, the broadcast */
	m.req_addr = NET(1);
	CHECK_EQ(exchange(&m, T0), 6);
	m.req_addr = NET(255);
	CHECK_EQ(exchange(&m, T0), 6);
	/* b's address */
	m.req_addr = NET(3);
	CHECK_EQ(exchange(&m, T0), 6);
	/* a free address while a holds another one: NAK, go get yours */
	m.req_addr = NET(50);
	CHECK_EQ(exchange(&m, T0), 6);
	/* its own address: ACK */
	m.req_addr = NET(2);
	CHECK_EQ(exchange(&m, T0), 5);
	CHECK_EQ(rep.yiaddr, NET(2));
	/* RENEWING with b's address as ciaddr: NAK */
	m.req_addr = 0;
	m.ciaddr = NET(3);
	m.unicast = true;
	CHECK_EQ(exchange(&m, T0), 6);
	CHECK_EQ(rep.ip_dst, 0xffffffffu);
	/* SELECTING with our id but an address we did not offer */
	m.ciaddr = 0;
	m.unicast = false;
	m.server_id = NET(1);
	m.req_addr = NET(3);
	CHECK_EQ(exchange(&m, T0), 6);

	/* an unknown client rebooting into a free address: authoritative ACK */
	mac_of(m.mac, 77);
	m.server_id = 0;
	m.req_addr = NET(60);
	CHECK_EQ(exchange(&m, T0), 5);
	CHECK_EQ(rep.yiaddr, NET(60));
	CHECK_EQ(discover(m.mac, T0), NET(60));
	/* a REQUEST with neither address is ignored */
	m.req_addr = 0;
	CHECK_EQ(exchange(&m, T0), 0);
	gw_fini(T0);
}

static void test_other_server(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {
	    .type = 3, .req_addr = NET(10), .server_id = IP(192, 168, 105, 99)};
	uint8_t b[6];
	struct gw_stats st;

	c.dhcp_first.s_addr = htonl(NET(10));
	c.dhcp_last.s_addr = htonl(NET(10));
	mac_of(m.mac, 1);
	mac_of(b, 2);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(discover(m.mac, T0), NET(10));
	CHECK_EQ(discover(b, T0 + 1000), 0);
	/* the client took another server's offer: silence, offer dropped */
	CHECK_EQ(exchange(&m, T0 + 2000), 0);
	CHECK_EQ(discover(b, T0 + 3000), NET(10));
	gw_stats(&st);
	CHECK_EQ(st.dhcp_ignored, 1);
	gw_fini(T0);
}

static void test_inform(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {
	    .type = 8, .xid = 5, .ciaddr = NET(222), .unicast = true};
	uint8_t x[6];

	mac_of(m.mac, 1);
	mac_of(x, 2);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(exchange(&m, T0), 5);
	CHECK_EQ(rep.yiaddr, 0);
	CHECK_EQ(rep.ciaddr, NET(222));
	CHECK_EQ(rep.ip_dst, NET(222));
	CHECK(memcmp(rep.eth_dst, m.mac, 6) == 0);
	CHECK_EQ(rep.dport, 68);
	CHECK(!rep.has[51] && !rep.has[58] && !rep.has[59]);
	check_common_options(&rep);
	/* from a program on another port: answered on that port */
	m.sport = 5555;
	CHECK_EQ(exchange(&m, T0), 5);
	CHECK_EQ(rep.dport, 5555);
	/* INFORM takes no address */
	CHECK_EQ(discover(x, T0), NET(2));
	gw_fini(T0);
}

static void test_decline(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {.type = 4, .req_addr = NET(2), .server_id = NET(1)};
	uint8_t a[6], b[6], x[6];

	c.dhcp_last.s_addr = htonl(NET(3));
	mac_of(a, 1);
	mac_of(b, 2);
	mac_of(x, 3);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(lease(a, T0), NET(2));
	/* only the holder can decline */
	memcpy(m.mac, b, 6);
	CHECK_EQ(exchange(&m, T0), 0);
	CHECK_EQ(lease(b, T0), NET(3));
	CHECK_EQ(exchange(&m, T0), 0);
	CHECK_EQ(lease(b, T0 + 1), NET(3));
	/* a declines: no reply, .2 rests, a has nothing to get */
	memcpy(m.mac, a, 6);
	CHECK_EQ(exchange(&m, T0 + 10), 0);
	CHECK_EQ(discover(a, T0 + 20), 0);
	CHECK_EQ(discover(x, T0 + 20), 0);
	{
		struct cmsg r = {.type = 3, .req_addr = NET(2)};

		memcpy(r.mac, x, 6);
		CHECK_EQ(exchange(&r, T0 + 30), 6);
	}
	/* after the rest it is usable again (b renews meanwhile) */
	CHECK_EQ(lease(b, T0 + 500000), NET(3));
	CHECK_EQ(lease(x, T0 + 10 + 600000), NET(2));
	gw_fini(T0);
}

/* DISCOVER with a client id, take the offer, DECLINE it; returns what
 * was offered (0 if nothing). */
static uint32_t offer_decline(const uint8_t *mac, uint8_t id, uint64_t now)
{
	struct cmsg m = {.xid = 9, .cid = &id, .cidlen = 1};
	int answer = 0;
	uint32_t a;

	memcpy(m.mac, mac, 6);
	a = offer_then(&m, 4, now, &answer);
	CHECK_EQ(answer, 0);
	return a;
}

/* One VM repeating DISCOVER, DECLINE with its two client ids cannot
 * empty the pool: three of its declines are honoured, after which each id
 * is offered the address it declined; it parks 3 + 2 addresses at most,
 * and other VMs still get offers. */
static void test_decline_bound(void)
{
	struct gw_conf c = base_conf();
	uint32_t seen = 0; /* bit n: NET(n) was offered to a */
	unsigned int parked = 0;
	uint8_t a[6], x[6];

	c.dhcp_last.s_addr = htonl(NET(30)); /* 29 addresses */
	c.dhcp_clients = 2;
	mac_of(a, 1);
	mac_of(x, 2);
	CHECK_EQ(start(&c), 0);
	for (unsigned int i = 0; i < 60; i++) {
		uint32_t got = offer_decline(a, (uint8_t)(i & 1), T0 + i);

		CHECK(got >= NET(2) && got <= NET(30));
		seen |= 1u << (got - NET(0));
	}
	for (uint32_t b = seen; b; b &= b - 1)
		parked++;
	CHECK_EQ(parked, 5);
	CHECK(lease(x, T0 + 100) != 0);
	/* the rest ends after ten minutes: declines count again */
	CHECK(offer_decline(a, 7, T0 + 600000 + 100) != 0);
	gw_fini(T0);
}

/* One MAC holds at most --dhcp-clients addresses at once, however many
 * client ids it uses: a new id takes over from its oldest lease. */
static void test_ids_per_mac(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {.xid = 5, .cidlen = 1};
	uint8_t a[6], x[6], id;
	uint32_t got[8];

	c.dhcp_last.s_addr = htonl(NET(5)); /* .2-.5: 4 addresses */
	c.dhcp_clients = 2;
	mac_of(a, 1);
	mac_of(x, 2);
	memcpy(m.mac, a, 6);
	m.cid = &id;
	CHECK_EQ(start(&c), 0);
	for (id = 0; id < 8; id++) {
		int answer = 0;

		got[id] = offer_then(&m, 3, T0 + id, &answer);
		CHECK(got[id] != 0);
		CHECK_EQ(answer, 5);
		m.req_addr = 0;
		m.server_id = 0;
	}
	/* two addresses are a's at most: two others remain for x and more */
	CHECK(lease(x, T0 + 100) != 0);
	mac_of(x, 3);
	CHECK(lease(x, T0 + 100) != 0);
	gw_fini(T0);
}

/* Write a file; return its path (static buffer per slot). */
static const char *tmp_file(const char *dir, const char *name, const char *text)
{
	static char path[4][512];
	static int slot;
	char *p = path[slot++ % 4];
	FILE *f;

	snprintf(p, 512, "%s/%s", dir, name);
	f = fopen(p, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return p;
}

static char *make_dir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/test_dhcp.XXXXXX");
	return mkdtemp(dir);
}

static void rm_dir(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

static void test_reservations(void)
{
	struct gw_conf c = base_conf();
	const char *dir = make_dir();
	uint8_t r1[6] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
	uint8_t r2[6] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x02};
	uint8_t r3[6] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x03};
	uint8_t m[6];
	char err[256] = "";
	struct cmsg q = {.type = 1, .want_name = true};

	CHECK(dir != NULL);
	if (!dir)
		return;
	c.dhcp_last.s_addr = htonl(NET(4));
	c.hosts_file = tmp_file(dir, "bootptab",
				"# bootptab\n"
				"this line is ignored: it is before %%\n"
				"%%\n"
				"# hostname hwtype hwaddr ipaddr bootfile\n"
				"\n"
				"vm01\t1\tde:ad:be:ef:0:1\t192.168.105.3\n"
				"vm02 1 DE:AD:BE:EF:00:02 192.168.105.200 "
				"boot.img # outside the range\n");
	CHECK_EQ(start(&c), 0);

	/* reserved inside the range */
	memcpy(q.mac, r1, 6);
	CHECK_EQ(exchange(&q, T0), 2);
	CHECK_EQ(rep.yiaddr, NET(3));
	CHECK(rep.has[12] && rep.olen[12] == 4 &&
	      memcmp(rep.odata[12], "vm01", 4) == 0);
	check_common_options(&rep);
	CHECK_EQ(lease(r1, T0), NET(3));
	/* reserved outside the range */
	CHECK_EQ(lease(r2, T0), NET(200));
	CHECK(!rep.has[12]); /* not asked for */

	/* everyone else: .2 and .4, never .3 or .200 */
	mac_of(m, 1);
	CHECK_EQ(lease(m, T0), NET(2));
	mac_of(m, 2);
	CHECK_EQ(lease(m, T0), NET(4));
	mac_of(m, 3);
	CHECK_EQ(discover(m, T0), 0);
	{
		struct cmsg r = {.type = 3, .req_addr = NET(3)};

		memcpy(r.mac, m, 6);
		CHECK_EQ(exchange(&r, T0), 6);
		r.req_addr = NET(200);
		CHECK_EQ(exchange(&r, T0), 6);
		/* the reserved client asking for another address: NAK */
		memcpy(r.mac, r1, 6);
		r.req_addr = NET(2);
		CHECK_EQ(exchange(&r, T0), 6);
		r.req_addr = NET(3);
		CHECK_EQ(exchange(&r, T0), 5);
	}
	/* reload: r3 takes .4, which is leased to client 2 until it ends */
	tmp_file(dir, "bootptab",
		 "%%\n"
		 "vm03 1 de:ad:be:ef:00:03 192.168.105.4\n");
	CHECK_EQ(gw_reload_hosts(err, sizeof(err)), 0);
	CHECK_EQ(discover(r3, T0 + 1000), 0); /* client 2 still has it */
	{
		struct cmsg r = {.type = 3, .ciaddr = NET(4), .unicast = true};

		mac_of(r.mac, 2);
		CHECK_EQ(exchange(&r, T0 + 2000), 6); /* renewal refused */
	}
	CHECK_EQ(lease(r3, T0 + 3000), NET(4));
	/* r1 is no longer reserved: it gets a dynamic address */
	CHECK(discover(r1, T0 + 4000) != 0);

	/* a bad file on reload keeps the reservations in force */
	tmp_file(dir, "bootptab", "%%\nvm04 1 zz:00:00:00:00:01 1.2.3.4\n");
	CHECK(gw_reload_hosts(err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "bootptab:2:");
	CHECK_EQ(lease(r3, T0 + 5000), NET(4));

	/* long after every lease ended, .4 is still r3's alone */
	mac_of(m, 3);
	{
		uint32_t got = discover(m, T0 + 5000000);

		CHECK(got == NET(2) || got == NET(3));
		mac_of(m, 4);
		got = discover(m, T0 + 5000000);
		CHECK(got == NET(2) || got == NET(3));
		mac_of(m, 5);
		CHECK_EQ(discover(m, T0 + 5000000), 0);
	}
	gw_fini(T0);
	rm_dir(dir);
}

static void test_hosts_errors(void)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
	    {"%%\nvm 6 de:ad:be:ef:00:01 192.168.105.3\n", ":2: hardware type"},
	    {"%%\nvm 1 de:ad:be:ef:00 192.168.105.3\n", ":2: bad hardware"},
	    {"%%\nvm 1 de:ad:be:ef:00:01:02 192.168.105.3\n",
	     ":2: bad hardware"},
	    {"%%\nvm 1 de:ad:be:ef:00:100 192.168.105.3\n", ":2: bad hardware"},
	    {"%%\nvm 1 de:ad-be:ef:00:01 192.168.105.3\n", ":2: bad hardware"},
	    {"%%\nvm 1 ff:ff:ff:ff:ff:ff 192.168.105.3\n", ":2: bad hardware"},
	    {"%%\n\n# c\nvm 1 de:ad:be:ef:00:01 192.168.105\n", ":4: bad IPv4"},
	    {"%%\nvm 1 de:ad:be:ef:00:01 10.0.0.3\n", ":2: 10.0.0.3 is not"},
	    {"%%\nvm 1 de:ad:be:ef:00:01 192.168.105.1\n", ":2: 192.168.105.1"},
	    {"%%\nvm 1 de:ad:be:ef:00:01 192.168.105.255\n", ":2: "},
	    {"%%\nvm 1 de:ad:be:ef:00:01\n", ":2: expected"},
	    {"%%\nvm 1 de:ad:be:ef:00:01 192.168.105.3 f extra\n",
	     ":2: expected"},
	    {"%%\nv/m 1 de:ad:be:ef:00:01 192.168.105.3\n",
	     ":2: bad host name"},
	    {"%%\na 1 de:ad:be:ef:00:01 192.168.105.3\n"
	     "b 1 de:ad:be:ef:0:1 192.168.105.4\n",
	     ":3: de:ad:be:ef:0:1 or 192.168.105.4 is already reserved"},
	    {"%%\na 1 de:ad:be:ef:00:01 192.168.105.3\n"
	     "b 1 de:ad:be:ef:00:02 192.168.105.3\n",
	     ":3: "},
	    {"vm 1 de:ad:be:ef:00:01 192.168.105.3\n", "no \"%%\" line"},
	};
	struct gw_conf c = base_conf();
	const char *dir = make_dir();
	char err[256], longline[3000];

	CHECK(dir != NULL);
	if (!dir)
		return;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c.hosts_file = tmp_file(dir, "hosts", cases[i].text);
		err[0] = '\0';
		CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
		CHECK_STR_CONTAINS(err, cases[i].msg);
		CHECK_STR_CONTAINS(err, "hosts");
	}
	memset(longline, 'a', sizeof(longline) - 2);
	memcpy(longline, "%%\n", 3);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	c.hosts_file = tmp_file(dir, "hosts", longline);
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, ":2: line too long");
	c.hosts_file = "/nonexistent/bootptab";
	CHECK(gw_init(&c, T0, err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "/nonexistent/bootptab");

	/* fine: empty, comments only, header only, no "%%" and nothing */
	c.hosts_file = tmp_file(dir, "hosts", "");
	CHECK_EQ(start(&c), 0);
	c.hosts_file = tmp_file(dir, "hosts", "# nothing\n\n");
	CHECK_EQ(start(&c), 0);
	c.hosts_file = tmp_file(dir, "hosts", "%%\n");
	CHECK_EQ(start(&c), 0);
	gw_fini(T0);
	rm_dir(dir);
}

static bool file_contains(const char *path, const char *needle)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static int pending_calls;

/* gw_conf.pending hook: count the calls */
static void count_pending(void)
{
	pending_calls++;
}

/**
 * persistence_handwritten() - a lease file with junk, foreign and expired
 * lines; an unwritable lease file
 * @c:		the configuration (its lease file is in @dir)
 * @dir:	the test directory
 */
static void persistence_handwritten(struct gw_conf *c, const char *dir)
{
	char line[256];
	uint8_t a[6], b[6], x[6];

	mac_of(a, 1);
	mac_of(b, 2);
	mac_of(x, 3);
	/* hand-written file: junk, foreign and expired lines */
	{
		time_t now = time(NULL);
		char text[2048];

		snprintf(
		    text, sizeof(text),
		    "# comment\n"
		    "garbage\n"
		    "192.168.105.2 52:54:00:12:00:01 %lld 0zz\n"
		    "10.0.0.2 52:54:00:12:00:01 %lld 00525400120001\n"
		    "192.168.105.77 52:54:00:12:00:01 %lld 00525400120001\n"
		    "192.168.105.4 52:54:00:12:00:03 %lld 00525400120003\n"
		    "192.168.105.4 52:54:00:12:00:02 %lld 00525400120002\n"
		    "192.168.105.2 52:54:00:12:00:01 %lld 00525400120001\n"
		    "192.168.105.3 52:54:00:12:00:02 %lld 00525400120002 x\n",
		    (long long)now + 300, (long long)now + 300,
		    (long long)now + 300, (long long)now + 300,
		    (long long)now + 300, (long long)now - 1000,
		    (long long)now + 300);
		tmp_file(dir, "leases", text);
	}
	CHECK_EQ(start(c), 0);
	/* .4 is x's (running), .2 is a's (expired, remembered) */
	CHECK_EQ(discover(x, T0), NET(4));
	CHECK_EQ(discover(b, T0), NET(3)); /* never used */
	CHECK_EQ(lease(b, T0), NET(3));
	CHECK_EQ(discover(a, T0), NET(2));
	snprintf(line, sizeof(line), "192.168.105.4 52:54:00:12:00:03 ");
	gw_fini(T0);
	CHECK(file_contains(c->lease_file, line));
	CHECK(!file_contains(c->lease_file, "10.0.0.2"));

	/* an unwritable lease file is reported at start */
	c->lease_file = "/nonexistent/dir/leases";
	{
		char err[256] = "";

		CHECK(gw_init(c, T0, err, sizeof(err)) < 0);
		CHECK_STR_CONTAINS(err, "/nonexistent/dir/leases");
	}
}

static void test_persistence(void)
{
	struct gw_conf c = base_conf();
	const char *dir = make_dir();
	char lease_path[512], tmp_path[600];
	uint8_t a[6], b[6], x[6];
	struct gw_stats st;
	struct stat sb;

	CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(lease_path, sizeof(lease_path), "%s/leases", dir);
	/* the temporary name file_atomic_open() uses */
	snprintf(tmp_path, sizeof(tmp_path), "%s.%ld.tmp", lease_path,
		 (long)getpid());
	c.lease_file = lease_path;
	c.pending = count_pending;
	pending_calls = 0;
	c.dhcp_last.s_addr = htonl(NET(4));
	mac_of(a, 1);
	mac_of(b, 2);
	mac_of(x, 3);
	CHECK_EQ(start(&c), 0);
	CHECK(stat(lease_path, &sb) == 0); /* written at start */
	CHECK_EQ(lease(a, T0 + 5000), NET(2));
	CHECK_EQ(lease(b, T0 + 5000), NET(3));
	gw_stats(&st);
	/* start, then a and b: a new lease is written at once, so a crash
	 * right after it cannot lose it */
	CHECK_EQ(st.lease_writes, 3);
	CHECK_EQ(gw_tick(T0 + 5500), 0); /* nothing pending: no timer */
	CHECK_EQ(pending_calls, 0);
	/* a renewal soon after is not worth a write */
	CHECK_EQ(lease(a, T0 + 5600), NET(2));
	CHECK_EQ(gw_tick(T0 + 6000), 0);
	gw_stats(&st);
	CHECK_EQ(st.lease_writes, 3);
	/* x's new lease is written at once; its RELEASE right after is put
	 * off: the hook asks for a tick, which writes once the second is
	 * over */
	CHECK_EQ(lease(x, T0 + 6100), NET(4));
	gw_stats(&st);
	CHECK_EQ(st.lease_writes, 4);
	CHECK_EQ(pending_calls, 0);
	{
		struct cmsg m = {.type = 7, .unicast = true};

		memcpy(m.mac, x, 6);
		m.ciaddr = NET(4);
		m.server_id = NET(1);
		CHECK_EQ(exchange(&m, T0 + 6200), 0);
	}
	CHECK(pending_calls > 0);
	gw_stats(&st);
	CHECK_EQ(st.lease_writes, 4);
	CHECK_EQ(gw_tick(T0 + 6300), T0 + 7100);
	CHECK_EQ(gw_tick(T0 + 7100), 0);
	gw_stats(&st);
	CHECK_EQ(st.lease_writes, 5);
	CHECK(file_contains(lease_path, "192.168.105.2 52:54:00:12:00:01 "));
	CHECK(file_contains(lease_path, "192.168.105.3 52:54:00:12:00:02 "));
	CHECK(stat(tmp_path, &sb) < 0);
	gw_fini(T0 + 7000);

	/* restart, with another monotonic base: the leases still run */
	CHECK_EQ(gw_init(&c, 50000, NULL, 0), 0);
	CHECK_EQ(discover(x, 50000), NET(4));
	CHECK_EQ(discover(b, 50000), NET(3));
	CHECK_EQ(lease(a, 50000), NET(2));
	gw_fini(50000);

	persistence_handwritten(&c, dir);
	rm_dir(dir);
}

/* Leases longer than the lease time now configured are cut to it. */
static void test_lease_file_clamp(void)
{
	struct gw_conf c = base_conf();
	const char *dir = make_dir();
	char text[256];
	uint8_t y[6];

	CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(text, sizeof(text),
		 "192.168.105.2 52:54:00:12:00:01 %lld 00525400120001\n",
		 (long long)time(NULL) + 100000);
	c.lease_file = tmp_file(dir, "leases", text);
	c.dhcp_last.s_addr = htonl(NET(2));
	mac_of(y, 2);
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(discover(y, T0), 0);
	CHECK_EQ(discover(y, T0 + 599000), 0);
	CHECK_EQ(discover(y, T0 + 601000), NET(2));
	gw_fini(T0 + 601000);

	/* no lease file: no ticks needed */
	c.lease_file = NULL;
	CHECK_EQ(start(&c), 0);
	CHECK_EQ(gw_tick(T0), 0);
	gw_fini(T0);
	rm_dir(dir);
}

/* Hostile packets: nothing answered, nothing read out of bounds. */
static void send_raw_dhcp(const uint8_t *payload, size_t plen, uint64_t now)
{
	uint8_t buf[FRAME_MAX];
	static const uint8_t src[6] = {0x52, 0x54, 0, 0, 0, 9};
	size_t n =
	    wrap_udp(buf, BCAST, src, 0, 0xffffffffu, 68, 67, payload, plen);

	gw_input(buf, n, now, on_send, &sent);
}

/**
 * hostile_headers() - send eleven malformed variants of a DHCP message
 * @p:		a well-formed message
 * @n:		its length
 * @q:		scratch buffer of at least @n + 2 bytes
 */
static void hostile_headers(const uint8_t *p, size_t n, uint8_t *q)
{
	/* an option whose length runs past the end */
	memcpy(q, p, n);
	q[n - 1] = 61; /* was the end option */
	q[n] = 200;
	q[n + 1] = 1;
	send_raw_dhcp(q, n + 2, T0);
	/* no end option at all */
	send_raw_dhcp(p, n - 1, T0);
	/* bad magic cookie */
	memcpy(q, p, n);
	q[236] ^= 1;
	send_raw_dhcp(q, n, T0);
	/* hlen 16, htype 6 */
	memcpy(q, p, n);
	q[2] = 16;
	send_raw_dhcp(q, n, T0);
	memcpy(q, p, n);
	q[1] = 6;
	send_raw_dhcp(q, n, T0);
	/* op BOOTREPLY */
	memcpy(q, p, n);
	q[0] = 2;
	send_raw_dhcp(q, n, T0);
	/* message type of length 2, 0, and out of range */
	memcpy(q, p, n);
	q[241] = 2;
	send_raw_dhcp(q, n, T0);
	memcpy(q, p, n);
	q[242] = 0;
	send_raw_dhcp(q, n, T0);
	memcpy(q, p, n);
	q[242] = 9;
	send_raw_dhcp(q, n, T0);
	/* no message type (plain BOOTP) */
	memcpy(q, p, 240);
	q[240] = 255;
	send_raw_dhcp(q, 241, T0);
	/* requested address of length 3 */
	memcpy(q, p, 243);
	memcpy(q + 243, "\x32\x03\x01\x02\x03\xff", 6);
	send_raw_dhcp(q, 249, T0);
}

static void test_hostile(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {.type = 1, .xid = 3};
	uint8_t p[1024], q[1024], buf[FRAME_MAX];
	struct gw_stats st;
	size_t n, fl;
	uint64_t before;

	mac_of(m.mac, 1);
	CHECK_EQ(start(&c), 0);
	n = build_bootp(&m, p, sizeof(p));

	/* the DHCP message truncated at every length (headers consistent) */
	memset(&sent, 0, sizeof(sent));
	for (size_t k = 0; k < n; k++) {
		uint8_t *h = malloc(k ? k : 1); /* exact size for ASan */

		memcpy(h, p, k);
		send_raw_dhcp(h, k, T0);
		free(h);
	}
	CHECK_EQ(sent.n, 0);
	gw_stats(&st);
	CHECK_EQ(st.dhcp_malformed, n);
	before = st.dhcp_malformed;

	/* the frame truncated at every length (lengths now lie) */
	fl = build_msg(&m, buf);
	for (size_t k = 0; k < fl; k++) {
		uint8_t *h = malloc(k ? k : 1);

		memcpy(h, buf, k);
		CHECK(!gw_input(h, k, T0, on_send, &sent));
		free(h);
	}
	CHECK_EQ(sent.n, 0);

	hostile_headers(p, n, q);
	gw_stats(&st);
	CHECK_EQ(st.dhcp_malformed - before, 11);
	CHECK_EQ(sent.n, 0);

	/* UDP length larger than the datagram */
	n = build_msg(&m, buf);
	buf[14 + 20 + 4] = 0xff;
	buf[14 + 20 + 5] = 0xff;
	gw_input(buf, n, T0, on_send, &sent);
	/* IP total length 65535 in a short frame */
	n = build_msg(&m, buf);
	buf[16] = 0xff;
	buf[17] = 0xff;
	gw_input(buf, n, T0, on_send, &sent);
	CHECK_EQ(sent.n, 0);

	/* option overload (52) and unknown options are ignored */
	n = build_bootp(&m, p, sizeof(p));
	memcpy(q, p, 243);
	memcpy(q + 243, "\x34\x01\x03\x99\x00\xff", 6);
	send_raw_dhcp(q, 249, T0);
	CHECK_EQ(sent.n, 1);

	/* relayed (giaddr set): not served */
	memcpy(q, p, n);
	q[24] = 10;
	sent.n = 0;
	send_raw_dhcp(q, n, T0);
	CHECK_EQ(sent.n, 0);

	/* random option bytes after a valid header */
	srand(1);
	for (int i = 0; i < 20000; i++) {
		size_t len = 240 + (size_t)(rand() % 80);
		uint8_t *h = malloc(len);

		memcpy(h, p, 240);
		for (size_t k = 240; k < len; k++)
			h[k] = (uint8_t)(rand() % 8 == 0 ? 53 : rand());
		send_raw_dhcp(h, len, T0 + (uint64_t)i);
		free(h);
	}
	gw_fini(T0);
}

static void test_unicast_to_gateway(void)
{
	struct gw_conf c = base_conf();
	struct cmsg m = {.type = 8, .ciaddr = NET(9), .unicast = true};
	uint8_t buf[FRAME_MAX];
	size_t n;

	mac_of(m.mac, 1);
	c.responder = false; /* host mode: only DHCP is ours */
	CHECK_EQ(start(&c), 0);
	n = build_msg(&m, buf);
	memset(&sent, 0, sizeof(sent));
	CHECK(gw_input(buf, n, T0, on_send, &sent));
	CHECK_EQ(sent.n, 1);
	/* a broadcast DISCOVER goes on to the other ports too */
	m.type = 1;
	m.unicast = false;
	m.ciaddr = 0;
	n = build_msg(&m, buf);
	CHECK(!gw_input(buf, n, T0, on_send, &sent));
	CHECK_EQ(sent.n, 2);
	gw_fini(T0);
}

/*
 * An address in use by a VM the server had no lease for (a restart without
 * a lease file) is learned from the VM's ARP, and given to nobody else.
 */
static void test_in_use_learned(void)
{
	struct gw_conf c = base_conf();
	uint8_t a[6], b[6], f[64] = {0};
	uint32_t spa = NET(2);

	mac_of(a, 1);
	mac_of(b, 2);
	CHECK_EQ(start(&c), 0);
	/* A announces 192.168.105.2 (gratuitous ARP, broadcast). */
	memset(f, 0xff, 6);
	memcpy(f + 6, a, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	f[15] = 1;
	f[16] = 0x08;
	f[18] = 6;
	f[19] = 4;
	f[21] = 1;
	memcpy(f + 22, a, 6);
	f[28] = (uint8_t)(spa >> 24);
	f[29] = (uint8_t)(spa >> 16);
	f[30] = (uint8_t)(spa >> 8);
	f[31] = (uint8_t)spa;
	memcpy(f + 38, f + 28, 4);
	memset(&sent, 0, sizeof(sent));
	gw_input(f, 60, T0, on_send, &sent);
	/* B is offered another address, A gets its own back. */
	CHECK(discover(b, T0 + 10) != NET(2));
	CHECK_EQ(lease(a, T0 + 20), NET(2));
	gw_fini(T0 + 50);
	/* An ARP whose sender MAC is not the frame's teaches nothing. */
	CHECK_EQ(start(&c), 0);
	memcpy(f + 22, b, 6);
	gw_input(f, 60, T0, on_send, &sent);
	CHECK_EQ(discover(b, T0 + 10), NET(2));
	gw_fini(T0 + 50);
}

/* The lease file's lines on their own: syntax, clamping, round trip. */
static void test_lease_line(void)
{
	static const char *const bad[] = {
	    "",
	    "192.168.105.2 52:54:00:12:00:01 1",
	    "192.168.105.2 52:54:00:12:00:01 1 00525400120001 x",
	    "192.168.105 52:54:00:12:00:01 1 00525400120001",
	    "192.168.105.2 52:54:00:12:00 1 00525400120001",
	    "192.168.105.2 52:54:00:12:00:01 1x 00525400120001",
	    "192.168.105.2 52:54:00:12:00:01 1 0052540012000",
	    "192.168.105.2 52:54:00:12:00:01 1 0z525400120001",
	    "192.168.105.2 52:54:00:12:00:01 1 00",
	};
	const int64_t now = 5000000, wall = 1700000000;
	struct dhcp_pool_lease l, back;
	char line[DHCP_FILE_LINE_MAX];
	size_t n;

	snprintf(line, sizeof(line),
		 "192.168.105.2 52:54:00:12:00:01 %lld 00525400120001",
		 (long long)wall + 300);
	CHECK(dhcp_file_lease_parse(line, now, wall, 600, &l));
	CHECK_EQ(l.addr, NET(2));
	CHECK(memcmp(l.client.mac, "\x52\x54\x00\x12\x00\x01", 6) == 0);
	CHECK_EQ(l.client.keylen, 7);
	CHECK_EQ(l.client.key[0], 0);
	CHECK_EQ(l.expire_ms, now + 300000);

	/* round trip */
	n = dhcp_file_lease_fmt(&l, now, wall, line, sizeof(line));
	CHECK(n > 0 && line[n - 1] == '\n');
	CHECK_STR_CONTAINS(line, "192.168.105.2 52:54:00:12:00:01 ");
	CHECK_STR_CONTAINS(line, " 00525400120001\n");
	if (n > 0)
		line[n - 1] = '\0';
	CHECK(dhcp_file_lease_parse(line, now, wall, 600, &back));
	CHECK(memcmp(&l, &back, sizeof(l)) == 0);
	CHECK_EQ(dhcp_file_lease_fmt(&l, now, wall, line, 10), 0);

	/* longer than the lease time: cut; ended long ago: ten years */
	snprintf(line, sizeof(line),
		 "192.168.105.2 52:54:00:12:00:01 %lld 00525400120001",
		 (long long)wall + 100000);
	CHECK(dhcp_file_lease_parse(line, now, wall, 600, &l));
	CHECK_EQ(l.expire_ms, now + 600000);
	snprintf(line, sizeof(line),
		 "192.168.105.2 52:54:00:12:00:01 %lld 00525400120001",
		 -9223372036854775807LL - 1);
	CHECK(dhcp_file_lease_parse(line, now, wall, 600, &l));
	CHECK_EQ(l.expire_ms, now - 10LL * 31536000 * 1000);

	/* tabs and a carriage return are blanks; a key with an identifier */
	snprintf(line, sizeof(line),
		 "192.168.105.3\t52:54:00:12:00:02\t%lld\t03525400120002aB\r",
		 (long long)wall - 5);
	CHECK(dhcp_file_lease_parse(line, now, wall, 600, &l));
	CHECK_EQ(l.client.keylen, 8);
	CHECK_EQ(l.client.key[0], 3);
	CHECK_EQ(l.client.key[7], 0xab);
	CHECK_EQ(l.expire_ms, now - 5000);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "%s", bad[i]);
		CHECK(!dhcp_file_lease_parse(line, now, wall, 600, &l));
	}
	/* a key longer than DHCP_POOL_KEY_MAX */
	n = (size_t)snprintf(line, sizeof(line),
			     "192.168.105.2 52:54:00:12:00:01 1 ");
	memset(line + n, 'a', 2 * DHCP_POOL_KEY_MAX + 2);
	line[n + 2 * DHCP_POOL_KEY_MAX + 2] = '\0';
	CHECK(!dhcp_file_lease_parse(line, now, wall, 600, &l));
}

/* Count the entries of a directory, "." and ".." left out. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The lease file written from the pool and read back, without the server. */
static void test_lease_file_alone(void)
{
	const char *dir = make_dir();
	struct dhcp_pool_client a, b;
	struct dhcp_pool_lease l;
	char path[512], err[256] = "";
	uint8_t ma[6], mb[6];
	uint32_t addr = 0;

	gw_fini(T0); /* the pool is ours alone */
	CHECK(dir != NULL);
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/leases", dir);
	mac_of(ma, 1);
	mac_of(mb, 2);
	dhcp_pool_client_init(&a, ma, NULL, 0);
	dhcp_pool_client_init(&b, mb, (const uint8_t *)"id-b", 4);
	CHECK_EQ(dhcp_pool_init(NET(10), 4, NET(1), 600), 0);
	CHECK(dhcp_pool_offer(&a, 0, T0, &addr));
	CHECK_EQ(addr, NET(10));
	CHECK_EQ(dhcp_pool_bind(&a, NET(10), T0), DHCP_POOL_BOUND);
	CHECK(dhcp_pool_offer(&b, NET(12), T0, &addr));
	CHECK_EQ(addr, NET(12));
	CHECK_EQ(dhcp_pool_bind(&b, NET(12), T0), DHCP_POOL_BOUND);
	CHECK(dhcp_pool_release(&b, NET(12), T0 + 1000));
	CHECK_EQ(dhcp_file_save_leases(path, T0 + 1000), 0);
	CHECK(file_contains(path, "# socket_vmnet DHCP leases"));
	CHECK(file_contains(path, "192.168.105.10 52:54:00:12:00:01 "));
	CHECK(file_contains(path, " 00525400120001\n"));
	CHECK(file_contains(path, "192.168.105.12 52:54:00:12:00:02 "));
	CHECK(file_contains(path, " 0352540012000269642d62\n"));
	CHECK_EQ(dir_entries(dir), 1); /* no temporary file left */
	dhcp_pool_fini();

	/* read back into a new pool, on another monotonic base */
	CHECK_EQ(dhcp_pool_init(NET(10), 4, NET(1), 600), 0);
	CHECK_EQ(dhcp_file_load_leases(path, 50000, 600, err, sizeof(err)), 0);
	CHECK(dhcp_pool_get(0, 50000, &l));
	CHECK_EQ(l.addr, NET(10));
	CHECK(l.expire_ms > 50000 + 590000 && l.expire_ms <= 50000 + 599000);
	CHECK(!dhcp_pool_get(1, 50000, &l));
	CHECK(dhcp_pool_get(2, 50000, &l));
	CHECK(l.expire_ms <= 50000);
	CHECK_EQ(l.client.keylen, b.keylen);
	CHECK(!dhcp_pool_changed(NULL)); /* loading is no change */
	/* b gets its ended lease back; a's is still running */
	CHECK(dhcp_pool_offer(&b, 0, 50000, &addr));
	CHECK_EQ(addr, NET(12));
	CHECK_EQ(dhcp_pool_bind(&a, NET(10), 50000), DHCP_POOL_RENEWED);

	/* a missing file is no error; an unwritable one is */
	CHECK_EQ(dhcp_file_load_leases("/nonexistent/leases", 0, 600, err,
				       sizeof(err)),
		 0);
	CHECK(dhcp_file_save_leases("/nonexistent/dir/leases", 0) < 0);
	dhcp_pool_fini();
	rm_dir(dir);
}

/* The hosts file parser on its own. */
static void test_hosts_parser(void)
{
	static const uint8_t m0[6] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
	static const uint8_t m1[6] = {0x00, 0x1b, 0x02, 0x03, 0x04, 0x05};
	const char *dir = make_dir();
	struct dhcp_pool_resv *v = NULL;
	unsigned int n = 99;
	char err[256] = "";
	const char *p;

	CHECK(dir != NULL);
	if (!dir)
		return;
	p = tmp_file(dir, "bootptab",
		     "header\n%%\n# comment\n"
		     "vm-1 1 de-ad-be-ef-00-01 192.168.105.3\n"
		     "vm_2.x\t1\t0:1b:2:3:4:5\t192.168.105.250 boot.img # x\n");
	CHECK_EQ(dhcp_file_read_hosts(p, NET(1), IP(255, 255, 255, 0), &v, &n,
				      err, sizeof(err)),
		 0);
	CHECK_EQ(n, 2);
	if (v && n == 2) {
		CHECK(memcmp(v[0].mac, m0, 6) == 0);
		CHECK_EQ(v[0].addr, NET(3));
		CHECK(strcmp(v[0].name, "vm-1") == 0);
		CHECK(memcmp(v[1].mac, m1, 6) == 0);
		CHECK_EQ(v[1].addr, NET(250));
		CHECK(strcmp(v[1].name, "vm_2.x") == 0);
	}
	free(v);
	/* the subnet is the caller's: in a /25, .250 is outside */
	CHECK(dhcp_file_read_hosts(p, NET(1), IP(255, 255, 255, 128), &v, &n,
				   err, sizeof(err)) < 0);
	CHECK_STR_CONTAINS(err, "bootptab:5: 192.168.105.250 is not a free "
				"host address");
	/* nothing reserved */
	p = tmp_file(dir, "empty", "");
	v = NULL;
	n = 99;
	CHECK_EQ(dhcp_file_read_hosts(p, NET(1), IP(255, 255, 255, 0), &v, &n,
				      err, sizeof(err)),
		 0);
	CHECK_EQ(n, 0);
	CHECK(v == NULL);
	rm_dir(dir);
}

/* The pool on its own: allocation order, holds, reservations, learning. */
static void test_pool_alone(void)
{
	struct dhcp_pool_client c[4];
	struct dhcp_pool_resv *v;
	struct dhcp_pool_lease l;
	uint32_t addr = 0;
	bool urgent = false;
	uint8_t m[6];

	gw_fini(T0); /* the pool is ours alone */
	for (unsigned int i = 0; i < 4; i++) {
		mac_of(m, i + 1);
		dhcp_pool_client_init(&c[i], m, NULL, 0);
	}
	/* .1 (the gateway), .2, .3 */
	CHECK_EQ(dhcp_pool_init(NET(1), 3, NET(1), 600), 0);
	CHECK_EQ(dhcp_pool_size(), 3);
	CHECK(dhcp_pool_offer(&c[0], 0, T0, &addr));
	CHECK_EQ(addr, NET(2));
	CHECK(!dhcp_pool_changed(NULL)); /* an offer is not written */
	CHECK_EQ(dhcp_pool_bind(&c[0], NET(2), T0), DHCP_POOL_BOUND);
	CHECK(dhcp_pool_changed(&urgent) && urgent);
	dhcp_pool_mark_saved();
	CHECK_EQ(dhcp_pool_bind(&c[0], NET(2), T0 + 1), DHCP_POOL_RENEWED);
	CHECK(!dhcp_pool_changed(NULL));
	CHECK_EQ(dhcp_pool_bind(&c[0], NET(3), T0 + 2), DHCP_POOL_ELSEWHERE);
	CHECK_EQ(dhcp_pool_bind(&c[1], NET(2), T0 + 2), DHCP_POOL_REFUSED);
	CHECK_EQ(dhcp_pool_bind(&c[1], NET(1), T0 + 2), DHCP_POOL_REFUSED);
	CHECK(dhcp_pool_offer(&c[1], NET(2), T0, &addr)); /* taken: next */
	CHECK_EQ(addr, NET(3));
	CHECK(!dhcp_pool_offer(&c[2], 0, T0, &addr));
	/* the offer hold ends: c[2] takes .3 */
	CHECK(dhcp_pool_offer(&c[2], 0, T0 + 31000, &addr));
	CHECK_EQ(addr, NET(3));
	/* only c[2] can decline it; it then rests */
	CHECK(!dhcp_pool_decline(&c[1], NET(3), T0 + 31000));
	CHECK(dhcp_pool_decline(&c[2], NET(3), T0 + 31000));
	CHECK(!dhcp_pool_offer(&c[2], 0, T0 + 32000, &addr));
	/* a release ends the lease, and the address is reused */
	CHECK(!dhcp_pool_release(&c[1], NET(2), T0 + 33000));
	CHECK(dhcp_pool_release(&c[0], NET(2), T0 + 33000));
	CHECK(dhcp_pool_offer(&c[3], 0, T0 + 34000, &addr));
	CHECK_EQ(addr, NET(2));
	/* a reservation owns .3 once the decline rest is over */
	v = calloc(1, sizeof(*v));
	CHECK(v != NULL);
	if (!v)
		return;
	memcpy(v->mac, c[1].mac, 6);
	v->addr = NET(3);
	dhcp_pool_set_resv(v, 1);
	CHECK(dhcp_pool_resv_by_mac(c[1].mac) == v);
	CHECK(dhcp_pool_resv_by_mac(c[0].mac) == NULL);
	CHECK(dhcp_pool_resv_free(v, T0 + 700000));
	CHECK(!dhcp_pool_offer(&c[0], 0, T0 + 34000, &addr));
	/* ARP learning: .2 is offered to c[3], so not learned; after the
	 * hold it is */
	CHECK(!dhcp_pool_note_in_use(NET(2), c[0].mac, T0 + 35000));
	CHECK(!dhcp_pool_note_in_use(NET(3), c[0].mac, T0 + 700000));
	CHECK(dhcp_pool_note_in_use(NET(2), c[0].mac, T0 + 70000));
	CHECK(dhcp_pool_get(1, T0 + 70000, &l));
	CHECK(memcmp(l.client.mac, c[0].mac, 6) == 0);
	/* restoring checks the key */
	memset(&l, 0, sizeof(l));
	l.addr = NET(3);
	CHECK(!dhcp_pool_restore(&l, T0));
	l.client.keylen = 7;
	l.client.key[0] = 1;
	CHECK(!dhcp_pool_restore(&l, T0));
	dhcp_pool_fini();
}

static const struct unit_test tests[] = {
    {"round_trip", test_round_trip},
    {"in_use_learned", test_in_use_learned},
    {"no_dns_no_mtu", test_no_dns_no_mtu},
    {"address_plan", test_address_plan},
    {"bad_config", test_bad_config},
    {"dhcp_disabled", test_dhcp_disabled},
    {"same_client_same_address", test_same_client_same_address},
    {"client_id", test_client_id},
    {"release", test_release},
    {"expiry", test_expiry},
    {"offer_hold", test_offer_hold},
    {"nak", test_nak},
    {"other_server", test_other_server},
    {"inform", test_inform},
    {"decline", test_decline},
    {"decline bound", test_decline_bound},
    {"addresses per MAC", test_ids_per_mac},
    {"reservations", test_reservations},
    {"hosts_errors", test_hosts_errors},
    {"persistence", test_persistence},
    {"lease_file_clamp", test_lease_file_clamp},
    {"hostile", test_hostile},
    {"unicast_to_gateway", test_unicast_to_gateway},
    {"lease_line", test_lease_line},
    {"lease_file_alone", test_lease_file_alone},
    {"hosts_parser", test_hosts_parser},
    {"pool_alone", test_pool_alone},
};

UNIT_MAIN("dhcp", tests)
