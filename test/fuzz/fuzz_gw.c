/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness of the gateway: gw_input() and gw_tick() (src/gw.c,
 * with the ARP and ICMP responders and the DHCP server underneath) for a
 * gateway at 192.168.105.1 with a small pool (.2-.9), one reservation, and
 * the responder on (isolated mode), fed frames as a VM sends them. The
 * gateway and its state live across inputs, from scratch every FUZZ_EPOCH
 * inputs (see fuzz.h: a failure writes the epoch's inputs out as one input
 * that replays it).
 *
 * Input layout: records of a framing byte, a time step (x 100 ms), a 16-bit
 * length and that many bytes (an incomplete last record is ignored).
 * Framing 0 sends the bytes as a raw frame; 1 and 2 wrap them as the
 * payload of a UDP datagram to the DHCP server port (broadcast, or unicast
 * to the gateway) with correct lengths and checksums, so that the fuzzer
 * reaches the DHCP parser and state machine rather than dying on the IPv4
 * checksum; 3 wraps them as an ICMP message to the gateway, its checksum
 * fixed up; 4 as an ARP message, broadcast.
 *
 * Invariants: the gateway answers only frames sent to its MAC or
 * broadcast, and swallows every frame sent to its MAC; every frame it
 * sends comes from its MAC and goes to the asking VM's MAC (or broadcast,
 * for DHCP), is no longer than a full datagram, and is one of: an ARP
 * reply (Ethernet/IPv4, from the gateway's MAC and address to the asker's,
 * padded to 60 bytes), an ICMP echo reply (a good IPv4 header to the
 * asker's address, a good checksum, the request's identifier, sequence
 * and data), or a DHCP reply (good IPv4/UDP lengths and checksums from port
 * 67, a BOOTREPLY to the request's xid that dhcpmsg_parse() reads back);
 * and the counters of replies go up by exactly the replies sent.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcpmsg.h"
#include "fuzz.h"
#include "gw.h"
#include "log.h"
#include "pkt.h"

#define FUZZ_GW_IP 0xc0a86901u /* 192.168.105.1 */

static const uint8_t fuzz_gw_mac[6] = {0x5a, 0x94, 0xef, 0, 0, 1};
static const uint8_t fuzz_vm_mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static const uint8_t fuzz_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static uint8_t fuzz_frame[PKT_MAX_FRAME];
static uint64_t fuzz_now;
static bool fuzz_up;

/**
 * struct fuzz_sent - the replies to the frame being handled
 * @req:	the request frame
 * @len:	its length
 * @arp:	ARP replies
 * @icmp:	ICMP echo replies
 * @dhcp:	DHCP replies
 */
static struct fuzz_sent {
	const uint8_t *req;
	size_t len;
	unsigned int arp;
	unsigned int icmp;
	unsigned int dhcp;
} fuzz_sent;

/**
 * fuzz_arp_reply() - check an ARP reply against its request
 * @f:		the reply
 * @len:	its length
 */
static void fuzz_arp_reply(const uint8_t *f, size_t len)
{
	const uint8_t *q = fuzz_sent.req;

	FUZZ_ASSERT(len == 60 && fuzz_sent.len >= 42);
	FUZZ_ASSERT(!memcmp(f, q + 22, 6)); /* to the asker's hardware */
	FUZZ_ASSERT(!memcmp(f + 14, "\0\1\x08\0\6\4\0\2", 8));
	FUZZ_ASSERT(!memcmp(f + 22, fuzz_gw_mac, 6));
	FUZZ_ASSERT(fuzz_be32(f + 28) == FUZZ_GW_IP);
	FUZZ_ASSERT(!memcmp(f + 32, q + 22, 10)); /* its sha and spa */
	FUZZ_ASSERT(fuzz_be32(q + 38) == FUZZ_GW_IP && fuzz_be16(q + 20) == 1);
	fuzz_sent.arp++;
}

/**
 * fuzz_icmp_reply() - check an ICMP echo reply against its request
 * @f:		the reply
 * @len:	its length
 */
static void fuzz_icmp_reply(const uint8_t *f, size_t len)
{
	const uint8_t *q = fuzz_sent.req, *qicmp;
	size_t icmp = len - 34;

	FUZZ_ASSERT(len >= 42 && f[14] == 0x45 &&
		    fuzz_be16(f + 16) == len - 14);
	FUZZ_ASSERT(fuzz_fold(fuzz_sum(0, f + 14, 20)) == 0xffff);
	FUZZ_ASSERT(fuzz_be32(f + 26) == FUZZ_GW_IP);
	FUZZ_ASSERT(fuzz_sent.len >= 34 &&
		    fuzz_be32(f + 30) == fuzz_be32(q + 26));
	FUZZ_ASSERT(!memcmp(f, q + 6, 6)); /* to the asker's MAC */
	qicmp = q + 14 + (size_t)(q[14] & 0x0f) * 4;
	FUZZ_ASSERT(qicmp + icmp <= q + fuzz_sent.len);
	FUZZ_ASSERT(f[34] == 0 && f[35] == 0 && qicmp[0] == 8);
	FUZZ_ASSERT(fuzz_fold(fuzz_sum(0, f + 34, icmp)) == 0xffff);
	FUZZ_ASSERT(!memcmp(f + 38, qicmp + 4, icmp - 4));
	fuzz_sent.icmp++;
}

/**
 * fuzz_dhcp_reply() - check a DHCP reply against its request
 * @f:		the reply
 * @len:	its length
 */
static void fuzz_dhcp_reply(const uint8_t *f, size_t len)
{
	size_t off = fuzz_check_udp(f, len, FUZZ_GW_IP, 67);
	const uint8_t *q = fuzz_sent.req;
	size_t qoff = 14 + (size_t)(q[14] & 0x0f) * 4 + 8;
	struct dhcpmsg m;

	FUZZ_ASSERT(dhcpmsg_parse(f + off, len - off, &m) && m.op == 2);
	FUZZ_ASSERT(qoff + 240 <= fuzz_sent.len);
	FUZZ_ASSERT(m.xid == fuzz_be32(q + qoff + 4));
	FUZZ_ASSERT(!memcmp(m.chaddr, q + qoff + 28, 16));
	FUZZ_ASSERT(!memcmp(f, m.chaddr, 6) || !memcmp(f, fuzz_bcast, 6));
	fuzz_sent.dhcp++;
}

/**
 * fuzz_check_reply() - gw_send_fn: check a frame the gateway sent
 * @arg:	unused
 * @frame:	the frame
 * @len:	its length
 */
static void fuzz_check_reply(void *arg, const uint8_t *frame, size_t len)
{
	(void)arg;
	FUZZ_ASSERT(len >= PKT_ETH_HLEN && len <= PKT_MAX_FRAME);
	FUZZ_ASSERT(!memcmp(frame + 6, fuzz_gw_mac, 6));
	if (fuzz_be16(frame + 12) == 0x0806)
		fuzz_arp_reply(frame, len);
	else if (len >= 34 && frame[23] == 1)
		fuzz_icmp_reply(frame, len);
	else
		fuzz_dhcp_reply(frame, len);
}

/**
 * fuzz_start() - start the gateway, with a small pool and a reservation
 */
static void fuzz_start(void)
{
	char hosts[300];
	static const char text[] = "%%\nvm 1 52:54:0:12:34:57 192.168.105.20\n";
	struct gw_conf c;
	char err[256];

	memset(&c, 0, sizeof(c));
	c.gateway.s_addr = htonl(FUZZ_GW_IP);
	c.dhcp_first.s_addr = htonl(FUZZ_GW_IP + 1);
	c.dhcp_last.s_addr = htonl(FUZZ_GW_IP + 8);
	memcpy(c.mac, fuzz_gw_mac, 6);
	c.mtu = 9000;
	c.ndns = 1;
	c.dns[0].s_addr = htonl(FUZZ_GW_IP);
	c.lease_secs = 60;
	c.dhcp = true;
	c.responder = true;
	snprintf(hosts, sizeof(hosts), "%s/fuzz_gw_hosts.%d", fuzz_tmpdir(),
		 (int)getpid());
	fuzz_write_file(hosts, (const uint8_t *)text, sizeof(text) - 1);
	c.hosts_file = hosts;
	fuzz_now = 1000;
	if (gw_init(&c, fuzz_now, err, sizeof(err)) < 0) {
		fprintf(stderr, "gw_init: %s\n", err);
		abort();
	}
	unlink(hosts);
	log_init("fuzz_gw", LOG_LVL_ERROR);
	fuzz_up = true;
}

/**
 * fuzz_wrap() - frame the fuzz bytes as a datagram to the gateway
 * @proto:	PKT_IPPROTO_UDP (DHCP) or PKT_IPPROTO_ICMP
 * @bcast:	send to the broadcast addresses rather than the gateway's
 * @data:	the bytes
 * @size:	how many
 *
 * Return: length of the frame in fuzz_frame, 0 if the bytes do not fit
 */
static size_t fuzz_wrap(uint8_t proto, bool bcast, const uint8_t *data,
			size_t size)
{
	size_t l4 = proto == PKT_IPPROTO_UDP ? PKT_UDP_HLEN + size : size;
	uint32_t src = bcast ? 0 : FUZZ_GW_IP + 2;
	uint32_t dst = bcast ? PKT_IPV4_BROADCAST : FUZZ_GW_IP;
	struct pkt_wr w;

	pkt_wr_init(&w, fuzz_frame, sizeof(fuzz_frame));
	pkt_put_eth(&w, bcast ? fuzz_bcast : fuzz_gw_mac, fuzz_vm_mac,
		    PKT_ETHERTYPE_IPV4);
	pkt_put_ipv4(&w, src, dst, proto, 0, l4);
	if (proto == PKT_IPPROTO_UDP)
		pkt_put_zero(&w, PKT_UDP_HLEN);
	pkt_put_bytes(&w, data, size);
	if (w.overflow)
		return 0;
	if (proto == PKT_IPPROTO_UDP) {
		pkt_udp_finish(fuzz_frame + 34, l4, src, dst, 68, 67);
	} else if (size >= 4) {
		uint16_t sum;

		fuzz_frame[36] = fuzz_frame[37] = 0;
		sum = pkt_csum(fuzz_frame + 34, size);
		fuzz_frame[36] = (uint8_t)(sum >> 8);
		fuzz_frame[37] = (uint8_t)sum;
	}
	return w.off;
}

/**
 * fuzz_frame_of() - make the frame of one record
 * @framing:	the framing byte
 * @p:		the record's bytes
 * @n:		how many
 *
 * Return: the frame's length in fuzz_frame (0: none)
 */
static size_t fuzz_frame_of(uint8_t framing, const uint8_t *p, size_t n)
{
	switch (framing % 5) {
	case 0:
		memcpy(fuzz_frame, p, n);
		return n;
	case 1:
	case 2:
		return fuzz_wrap(PKT_IPPROTO_UDP, framing % 5 == 1, p, n);
	case 3:
		return fuzz_wrap(PKT_IPPROTO_ICMP, false, p, n);
	default:
		memcpy(fuzz_frame, fuzz_bcast, 6);
		memcpy(fuzz_frame + 6, fuzz_vm_mac, 6);
		fuzz_frame[12] = 0x08;
		fuzz_frame[13] = 0x06;
		memcpy(fuzz_frame + 14, p, n);
		return 14 + n;
	}
}

/**
 * fuzz_one() - hand one frame to the gateway and check what it did
 * @frame:	the frame (an exact-size copy)
 * @len:	its length
 */
static void fuzz_one(const uint8_t *frame, size_t len)
{
	struct gw_stats st0, st;
	bool consumed, to_gw = len >= 6 && !memcmp(frame, fuzz_gw_mac, 6);

	memset(&fuzz_sent, 0, sizeof(fuzz_sent));
	fuzz_sent.req = frame;
	fuzz_sent.len = len;
	gw_stats(&st0);
	consumed = gw_input(frame, len, fuzz_now, fuzz_check_reply, NULL);
	gw_stats(&st);
	FUZZ_ASSERT(consumed == (to_gw && len >= 14));
	if (!to_gw && (len < 6 || memcmp(frame, fuzz_bcast, 6)))
		FUZZ_ASSERT(!consumed && !fuzz_sent.arp && !fuzz_sent.icmp &&
			    !fuzz_sent.dhcp);
	FUZZ_ASSERT(st.arp_replies - st0.arp_replies == fuzz_sent.arp);
	FUZZ_ASSERT(st.icmp_replies - st0.icmp_replies == fuzz_sent.icmp);
	FUZZ_ASSERT(st.dhcp_offer + st.dhcp_ack + st.dhcp_nak -
			(st0.dhcp_offer + st0.dhcp_ack + st0.dhcp_nak) ==
		    fuzz_sent.dhcp);
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
	size_t whole = 0;

	while (size - whole >= 4 &&
	       size - whole - 4 >= fuzz_be16(data + whole + 2))
		whole += 4u + fuzz_be16(data + whole + 2);
	if (fuzz_history_add(data, whole) || !fuzz_up) {
		gw_fini(fuzz_now);
		fuzz_start();
	}
	for (struct fuzz_in in = {data, whole}; in.len;) {
		uint8_t framing = fuzz_u8(&in), dt = fuzz_u8(&in);
		const uint8_t *p;
		size_t n = fuzz_take(&in, fuzz_u16(&in), &p), len;
		uint8_t *copy;

		fuzz_now += 100u * dt;
		len = fuzz_frame_of(framing, p, n);
		if (!len && framing % 5)
			continue;
		/* an exact-size copy, so ASan sees any read past the end */
		copy = fuzz_dup(fuzz_frame, len);
		fuzz_one(copy, len);
		free(copy);
		gw_tick(fuzz_now);
	}
	return 0;
}
