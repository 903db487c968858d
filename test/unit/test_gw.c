/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the gateway responder (ARP, ICMP echo), what gw_input()
 * tells the switch, and the packet helpers under it.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "pkt.h"
#include "unit.h"

#define T0	       1000000u
#define MAX_SENT       4
#define FRAME_MAX      70000
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define GW_IP	       IP(192, 168, 105, 1)
#define VM_IP	       IP(192, 168, 105, 7)

static const uint8_t GW_MAC[6] = {0x5a, 0x94, 0xef, 0x00, 0x00, 0x01};
static const uint8_t VM_MAC[6] = {0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

struct sent {
	unsigned int n;
	size_t len[MAX_SENT];
	uint8_t *buf[MAX_SENT];
};

static struct sent sent;

static void sent_reset(void)
{
	for (unsigned int i = 0; i < MAX_SENT; i++) {
		free(sent.buf[i]);
		sent.buf[i] = NULL;
	}
	sent.n = 0;
}

static void on_send(void *arg, const uint8_t *frame, size_t len)
{
	struct sent *s = arg;

	if (s->n < MAX_SENT) {
		s->buf[s->n] = malloc(len);
		memcpy(s->buf[s->n], frame, len);
		s->len[s->n] = len;
	}
	s->n++;
}

static struct gw_conf base_conf(bool responder, bool dhcp)
{
	struct gw_conf c;

	memset(&c, 0, sizeof(c));
	c.gateway.s_addr = htonl(GW_IP);
	memcpy(c.mac, GW_MAC, 6);
	c.dhcp = dhcp;
	c.responder = responder;
	return c;
}

static int start(bool responder, bool dhcp)
{
	struct gw_conf c = base_conf(responder, dhcp);
	char err[256] = "";
	int r = gw_init(&c, T0, err, sizeof(err));

	if (r < 0)
		fprintf(stderr, "gw_init: %s\n", err);
	sent_reset();
	return r;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static size_t build_arp(uint8_t *buf, const uint8_t *dst, uint16_t op,
			uint32_t spa, uint32_t tpa)
{
	struct pkt_wr w;

	pkt_wr_init(&w, buf, FRAME_MAX);
	pkt_put_eth(&w, dst, VM_MAC, PKT_ETHERTYPE_ARP);
	pkt_put_u16(&w, 1);
	pkt_put_u16(&w, 0x0800);
	pkt_put_u8(&w, 6);
	pkt_put_u8(&w, 4);
	pkt_put_u16(&w, op);
	pkt_put_bytes(&w, VM_MAC, 6);
	pkt_put_u32(&w, spa);
	pkt_put_zero(&w, 6);
	pkt_put_u32(&w, tpa);
	return w.off;
}

static void test_arp_reply(void)
{
	uint8_t buf[128];
	size_t n;
	const uint8_t *r;

	CHECK_EQ(start(true, false), 0);
	n = build_arp(buf, BCAST, 1, VM_IP, GW_IP);
	/* a broadcast request: answered, and still switched to the others */
	CHECK(!gw_input(buf, n, T0, on_send, &sent));
	CHECK_EQ(sent.n, 1);
	r = sent.buf[0];
	CHECK_EQ(sent.len[0], 60);
	CHECK(memcmp(r, VM_MAC, 6) == 0);
	CHECK(memcmp(r + 6, GW_MAC, 6) == 0);
	CHECK_EQ(get16(r + 12), 0x0806);
	CHECK_EQ(get16(r + 14), 1);
	CHECK_EQ(get16(r + 16), 0x0800);
	CHECK_EQ(r[18], 6);
	CHECK_EQ(r[19], 4);
	CHECK_EQ(get16(r + 20), 2);
	CHECK(memcmp(r + 22, GW_MAC, 6) == 0);
	CHECK_EQ(get32(r + 28), GW_IP);
	CHECK(memcmp(r + 32, VM_MAC, 6) == 0);
	CHECK_EQ(get32(r + 38), VM_IP);
	for (size_t i = 42; i < 60; i++)
		CHECK_EQ(r[i], 0);

	/* a unicast refresh: answered and swallowed */
	sent_reset();
	n = build_arp(buf, GW_MAC, 1, VM_IP, GW_IP);
	CHECK(gw_input(buf, n, T0, on_send, &sent));
	CHECK_EQ(sent.n, 1);

	/* a probe (sender 0.0.0.0) is answered to 0.0.0.0 */
	sent_reset();
	n = build_arp(buf, BCAST, 1, 0, GW_IP);
	gw_input(buf, n, T0, on_send, &sent);
	CHECK_EQ(sent.n, 1);
	if (sent.n == 1)
		CHECK_EQ(get32(sent.buf[0] + 38), 0);

	/* not answered: another target, a reply, someone claiming the
	 * gateway's address, Ethernet padding is fine */
	sent_reset();
	n = build_arp(buf, BCAST, 1, VM_IP, IP(192, 168, 105, 9));
	gw_input(buf, n, T0, on_send, &sent);
	n = build_arp(buf, BCAST, 2, VM_IP, GW_IP);
	gw_input(buf, n, T0, on_send, &sent);
	n = build_arp(buf, BCAST, 1, GW_IP, GW_IP);
	gw_input(buf, n, T0, on_send, &sent);
	CHECK_EQ(sent.n, 0);
	n = build_arp(buf, BCAST, 1, VM_IP, GW_IP);
	memset(buf + n, 0, 18);
	gw_input(buf, 60, T0, on_send, &sent);
	CHECK_EQ(sent.n, 1);
	gw_fini(T0);
}

static void test_arp_bad(void)
{
	uint8_t buf[128];
	size_t n;
	struct gw_stats st;

	CHECK_EQ(start(true, false), 0);
	n = build_arp(buf, BCAST, 1, VM_IP, GW_IP);
	/* truncated at every length */
	for (size_t k = 0; k < n; k++) {
		uint8_t *h = malloc(k ? k : 1);

		memcpy(h, buf, k);
		gw_input(h, k, T0, on_send, &sent);
		free(h);
	}
	CHECK_EQ(sent.n, 0);
	/* htype, ptype, hlen, plen */
	buf[15] = 6;
	gw_input(buf, n, T0, on_send, &sent);
	buf[15] = 1;
	buf[17] = 0xdd;
	gw_input(buf, n, T0, on_send, &sent);
	buf[17] = 0x00;
	buf[18] = 16;
	gw_input(buf, n, T0, on_send, &sent);
	buf[18] = 6;
	buf[19] = 16;
	gw_input(buf, n, T0, on_send, &sent);
	CHECK_EQ(sent.n, 0);
	gw_stats(&st);
	CHECK_EQ(st.malformed, 4 + (n - 14));
	CHECK_EQ(st.arp_replies, 0);
	/* a group sender address is never answered */
	buf[19] = 4;
	buf[22] = 0x01;
	gw_input(buf, n, T0, on_send, &sent);
	CHECK_EQ(sent.n, 0);
	gw_fini(T0);

	/* responder off (host mode): not ours */
	CHECK_EQ(start(false, true), 0);
	n = build_arp(buf, GW_MAC, 1, VM_IP, GW_IP);
	CHECK(!gw_input(buf, n, T0, on_send, &sent));
	CHECK_EQ(sent.n, 0);
	gw_fini(T0);
}

/* An echo request from the VM to the gateway. */
static size_t build_echo(uint8_t *buf, const uint8_t *dst_mac, uint32_t dst,
			 size_t data_len)
{
	struct pkt_wr w;
	size_t icmp;
	uint16_t sum;

	pkt_wr_init(&w, buf, FRAME_MAX);
	pkt_put_eth(&w, dst_mac, VM_MAC, PKT_ETHERTYPE_IPV4);
	pkt_put_ipv4(&w, VM_IP, dst, PKT_IPPROTO_ICMP, 0x10, 8 + data_len);
	icmp = w.off;
	pkt_put_u8(&w, 8);
	pkt_put_u8(&w, 0);
	pkt_put_u16(&w, 0);
	pkt_put_u16(&w, 0x1234);
	pkt_put_u16(&w, 0x0042);
	for (size_t i = 0; i < data_len; i++)
		pkt_put_u8(&w, (uint8_t)(i * 7 + 3));
	sum = pkt_csum(buf + icmp, w.off - icmp);
	buf[icmp + 2] = (uint8_t)(sum >> 8);
	buf[icmp + 3] = (uint8_t)sum;
	return w.off;
}

static void check_echo_reply(const uint8_t *req, size_t len)
{
	const uint8_t *r;

	CHECK_EQ(sent.n, 1);
	if (sent.n != 1)
		return;
	r = sent.buf[0];
	CHECK_EQ(sent.len[0], len);
	CHECK(memcmp(r, VM_MAC, 6) == 0);
	CHECK(memcmp(r + 6, GW_MAC, 6) == 0);
	CHECK_EQ(get16(r + 12), 0x0800);
	CHECK_EQ(r[14], 0x45);
	CHECK_EQ(r[15], 0x10);
	CHECK_EQ(get16(r + 16), len - 14);
	CHECK_EQ(get16(r + 20) & 0x3fff, 0);
	CHECK_EQ(r[22], 64);
	CHECK_EQ(r[23], 1);
	CHECK_EQ(pkt_csum(r + 14, 20), 0);
	CHECK_EQ(get32(r + 26), GW_IP);
	CHECK_EQ(get32(r + 30), VM_IP);
	CHECK_EQ(r[34], 0);
	CHECK_EQ(r[35], 0);
	CHECK_EQ(pkt_csum(r + 34, len - 34), 0);
	CHECK_EQ(get16(r + 38), 0x1234);
	CHECK_EQ(get16(r + 40), 0x0042);
	CHECK(memcmp(r + 42, req + 42, len - 42) == 0);
}

static void test_icmp_echo(void)
{
	static uint8_t buf[FRAME_MAX];
	static const size_t sizes[] = {0, 1, 56, 57, 1472, 8972, 65507};
	struct gw_stats st;
	size_t n;

	CHECK_EQ(start(true, false), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		sent_reset();
		n = build_echo(buf, GW_MAC, GW_IP, sizes[i]);
		CHECK(gw_input(buf, n, T0, on_send, &sent));
		check_echo_reply(buf, n);
	}
	/* Ethernet padding after the datagram is not echoed */
	sent_reset();
	n = build_echo(buf, GW_MAC, GW_IP, 4);
	memset(buf + n, 0xee, 60 - n);
	gw_input(buf, 60, T0, on_send, &sent);
	check_echo_reply(buf, n);
	/* IP options in the request are accepted and not echoed */
	{
		uint8_t o[200];
		uint16_t sum;

		n = build_echo(buf, GW_MAC, GW_IP, 20);
		memcpy(o, buf, 34);
		o[14] = 0x46;
		o[17] += 4;
		o[24] = o[25] = 0;
		memset(o + 34, 1, 4); /* four NOP options */
		memcpy(o + 38, buf + 34, n - 34);
		sum = pkt_csum(o + 14, 24);
		o[24] = (uint8_t)(sum >> 8);
		o[25] = (uint8_t)sum;
		sent_reset();
		CHECK(gw_input(o, n + 4, T0, on_send, &sent));
		CHECK_EQ(sent.n, 1);
		if (sent.n == 1) {
			CHECK_EQ(sent.len[0], n);
			CHECK_EQ(pkt_csum(sent.buf[0] + 14, 20), 0);
			CHECK_EQ(pkt_csum(sent.buf[0] + 34, n - 34), 0);
			CHECK(memcmp(sent.buf[0] + 42, buf + 42, n - 42) == 0);
		}
	}
	gw_stats(&st);
	CHECK_EQ(st.icmp_replies, 9);
	gw_fini(T0);
}

static void test_icmp_bad(void)
{
	static uint8_t buf[FRAME_MAX];
	struct gw_stats st;
	size_t n, trunc;

	CHECK_EQ(start(true, false), 0);
	n = build_echo(buf, GW_MAC, GW_IP, 56);
	trunc = n - 14;
	/* truncated at every length: total length then exceeds the frame */
	for (size_t k = 0; k < n; k++) {
		uint8_t *h = malloc(k ? k : 1);

		memcpy(h, buf, k);
		CHECK(k < 14 || gw_input(h, k, T0, on_send, &sent));
		free(h);
	}
	CHECK_EQ(sent.n, 0);
	gw_stats(&st);
	CHECK_EQ(st.malformed, n - 14);

	/* bad IP header checksum */
	n = build_echo(buf, GW_MAC, GW_IP, 56);
	buf[24] ^= 1;
	gw_input(buf, n, T0, on_send, &sent);
	/* bad ICMP checksum */
	n = build_echo(buf, GW_MAC, GW_IP, 56);
	buf[36] ^= 1;
	gw_input(buf, n, T0, on_send, &sent);
	/* version 6, IHL 4 (checksums fixed up) */
	{
		static const uint8_t vihl[] = {0x65, 0x44, 0x4f};

		for (size_t i = 0; i < sizeof(vihl); i++) {
			uint16_t sum;

			n = build_echo(buf, GW_MAC, GW_IP, 56);
			buf[14] = vihl[i];
			buf[24] = buf[25] = 0;
			sum = pkt_csum(buf + 14, 20);
			buf[24] = (uint8_t)(sum >> 8);
			buf[25] = (uint8_t)sum;
			gw_input(buf, n, T0, on_send, &sent);
		}
	}
	/* a fragment: MF set, then an offset */
	{
		static const uint16_t frag[] = {0x2000, 0x0001, 0x4000};

		for (size_t i = 0; i < sizeof(frag) / sizeof(frag[0]); i++) {
			uint16_t sum;

			n = build_echo(buf, GW_MAC, GW_IP, 56);
			buf[20] = (uint8_t)(frag[i] >> 8);
			buf[21] = (uint8_t)frag[i];
			buf[24] = buf[25] = 0;
			sum = pkt_csum(buf + 14, 20);
			buf[24] = (uint8_t)(sum >> 8);
			buf[25] = (uint8_t)sum;
			sent_reset();
			gw_input(buf, n, T0, on_send, &sent);
			/* DF alone (0x4000) is fine */
			CHECK_EQ(sent.n, frag[i] == 0x4000 ? 1u : 0u);
		}
	}
	/* ICMP shorter than its header */
	n = build_echo(buf, GW_MAC, GW_IP, 0);
	{
		uint16_t sum;

		buf[17] = 20 + 4;
		buf[24] = buf[25] = 0;
		sum = pkt_csum(buf + 14, 20);
		buf[24] = (uint8_t)(sum >> 8);
		buf[25] = (uint8_t)sum;
	}
	sent_reset();
	gw_input(buf, n, T0, on_send, &sent);
	CHECK_EQ(sent.n, 0);
	gw_stats(&st);
	CHECK_EQ(st.malformed, trunc + 2 + 3 + 2 + 1);

	/* not answered, not malformed: another address, the broadcast MAC,
	 * an echo reply, a source that cannot be answered */
	n = build_echo(buf, GW_MAC, IP(192, 168, 105, 9), 56);
	gw_input(buf, n, T0, on_send, &sent);
	n = build_echo(buf, BCAST, GW_IP, 56);
	CHECK(!gw_input(buf, n, T0, on_send, &sent));
	n = build_echo(buf, GW_MAC, GW_IP, 56);
	buf[34] = 0;
	buf[36] = (uint8_t)(buf[36] + 8); /* keep the sum right */
	gw_input(buf, n, T0, on_send, &sent);
	CHECK_EQ(sent.n, 0);
	gw_fini(T0);
}

static void test_input_result(void)
{
	uint8_t buf[128];
	size_t n;

	/* nothing is ours before gw_init() */
	n = build_arp(buf, GW_MAC, 1, VM_IP, GW_IP);
	CHECK(!gw_input(buf, n, T0, on_send, &sent));
	CHECK_EQ(sent.n, 0);

	CHECK_EQ(start(true, true), 0);
	/* another VM's frame */
	buf[0] = 0x52;
	CHECK(!gw_input(buf, n, T0, on_send, &sent));
	/* multicast */
	buf[0] = 0x01;
	CHECK(!gw_input(buf, n, T0, on_send, &sent));
	/* anything to the gateway MAC is swallowed: TCP, IPv6, junk */
	n = build_echo(buf, GW_MAC, GW_IP, 10);
	buf[23] = 6;
	CHECK(gw_input(buf, n, T0, on_send, &sent));
	buf[12] = 0x86;
	buf[13] = 0xdd;
	CHECK(gw_input(buf, n, T0, on_send, &sent));
	CHECK(gw_input(buf, 14, T0, on_send, &sent));
	for (size_t k = 0; k < 14; k++)
		CHECK(!gw_input(buf, k, T0, on_send, &sent));
	CHECK(!gw_input(NULL, 0, T0, on_send, &sent));
	/* a frame from a group source address gets no answer */
	n = build_echo(buf, GW_MAC, GW_IP, 10);
	buf[6] = 0x01;
	CHECK(gw_input(buf, n, T0, on_send, &sent));
	CHECK_EQ(sent.n, 0);
	gw_fini(T0);

	/* responder off: frames to the gateway MAC go to the host */
	CHECK_EQ(start(false, false), 0);
	n = build_echo(buf, GW_MAC, GW_IP, 10);
	CHECK(!gw_input(buf, n, T0, on_send, &sent));
	CHECK_EQ(sent.n, 0);
	gw_fini(T0);
	gw_fini(T0); /* twice is fine */
}

static void test_random_frames(void)
{
	static uint8_t buf[2048];
	struct gw_stats st;

	CHECK_EQ(start(true, true), 0);
	srand(2);
	for (int i = 0; i < 200000; i++) {
		size_t len = (size_t)(rand() % 700);
		uint8_t *h;

		/* a plausible start, random bytes after a random point */
		switch (rand() % 4) {
		case 0:
			len = build_arp(buf, BCAST, 1, VM_IP, GW_IP);
			break;
		case 1:
			len = build_echo(buf, GW_MAC, GW_IP,
					 (size_t)(rand() % 64));
			break;
		default: {
			uint8_t p[400];

			memset(p, 0, sizeof(p));
			p[0] = 1;
			p[1] = 1;
			p[2] = 6;
			p[236] = 0x63;
			p[237] = 0x82;
			p[238] = 0x53;
			p[239] = 0x63;
			for (int k = 240; k < 400; k++)
				p[k] = (uint8_t)rand();
			len = 14;
			{
				struct pkt_wr w;
				size_t plen = 240 + (size_t)(rand() % 160);

				pkt_wr_init(&w, buf, sizeof(buf));
				pkt_put_eth(&w, rand() % 2 ? BCAST : GW_MAC,
					    VM_MAC, PKT_ETHERTYPE_IPV4);
				pkt_put_ipv4(&w, 0, 0xffffffffu, 17, 0,
					     8 + plen);
				pkt_put_zero(&w, 8);
				pkt_put_bytes(&w, p, plen);
				pkt_udp_finish(buf + 34, 8 + plen, 0,
					       0xffffffffu, 68, 67);
				len = w.off;
			}
			break;
		}
		}
		if (len > 20 && rand() % 2) {
			size_t from = (size_t)rand() % len;

			for (size_t k = from; k < len; k++)
				if (rand() % 4 == 0)
					buf[k] = (uint8_t)rand();
		}
		if (rand() % 3 == 0)
			len = (size_t)rand() % (len + 1);
		h = malloc(len ? len : 1);
		memcpy(h, buf, len);
		sent_reset();
		gw_input(h, len, T0 + (uint64_t)i * 100, on_send, &sent);
		free(h);
	}
	gw_stats(&st);
	CHECK(st.arp_replies > 0);
	CHECK(st.icmp_replies > 0);
	CHECK(st.dhcp_malformed > 0);
	gw_fini(T0);
	sent_reset();
}

static void test_pkt_helpers(void)
{
	/* RFC 1071's example: the sum of these words is 0xddf2 */
	static const uint8_t words[] = {0x00, 0x01, 0xf2, 0x03,
					0xf4, 0xf5, 0xf6, 0xf7};
	uint8_t out[8];
	struct pkt_cur c;
	struct pkt_wr w;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8;
	const uint8_t *p;

	CHECK_EQ(pkt_csum(words, sizeof(words)), (uint16_t)~0xddf2);
	CHECK_EQ(pkt_csum_fold(
		     pkt_csum_add(pkt_csum_add(0, words, 4), words + 4, 4)),
		 (uint16_t)~0xddf2);
	/* an odd length pads with a zero byte */
	CHECK_EQ(pkt_csum(words, 3), (uint16_t) ~(0x0001 + 0xf200));

	pkt_cur_init(&c, words, 5);
	CHECK(pkt_get_u32(&c, &v32) && v32 == 0x0001f203u);
	CHECK(!pkt_get_u16(&c, &v16));
	CHECK_EQ(c.off, 4);
	CHECK(!pkt_get_u32(&c, &v32));
	CHECK(!pkt_skip(&c, 2));
	CHECK(!pkt_get_ptr(&c, 2, &p));
	CHECK(pkt_get_u8(&c, &v8) && v8 == 0xf4);
	CHECK(!pkt_get_u8(&c, &v8));
	CHECK_EQ(pkt_left(&c), 0);
	CHECK(pkt_get_ptr(&c, 0, &p));
	CHECK(!pkt_skip(&c, (size_t)-1));
	pkt_cur_init(&c, NULL, 100);
	CHECK_EQ(pkt_left(&c), 0);
	CHECK(!pkt_get_u8(&c, &v8));

	pkt_wr_init(&w, out, sizeof(out));
	pkt_put_u32(&w, 0x01020304u);
	pkt_put_u16(&w, 0x0506);
	CHECK(!w.overflow);
	pkt_put_u32(&w, 0xffffffffu);
	CHECK(w.overflow);
	CHECK_EQ(w.off, 6);
	pkt_put_u8(&w, 7); /* sticky: nothing more is written */
	CHECK_EQ(w.off, 6);
	CHECK(out[0] == 1 && out[3] == 4 && out[5] == 6);
	pkt_wr_init(&w, out, sizeof(out));
	pkt_put_zero(&w, (size_t)-1);
	CHECK(w.overflow);
	CHECK_EQ(w.off, 0);
	pkt_wr_init(&w, out, sizeof(out));
	pkt_put_ipv4(&w, 1, 2, 17, 0, 100);
	CHECK(w.overflow);

	CHECK(pkt_mac_is_bcast(BCAST));
	CHECK(!pkt_mac_is_bcast(GW_MAC));
	CHECK(pkt_mac_is_group(BCAST));
	CHECK(!pkt_mac_is_group(VM_MAC));
}

static const struct unit_test tests[] = {
    {"arp_reply", test_arp_reply},	 {"arp_bad", test_arp_bad},
    {"icmp_echo", test_icmp_echo},	 {"icmp_bad", test_icmp_bad},
    {"input_result", test_input_result}, {"random_frames", test_random_frames},
    {"pkt_helpers", test_pkt_helpers},
};

UNIT_MAIN("gw", tests)
