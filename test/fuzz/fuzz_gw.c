/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for gw_input(): ARP, ICMP echo and DHCP as a guest can
 * send them. Not part of the default build.
 *
 * Build and run (clang with libFuzzer, e.g. Debian's clang-14 package):
 *
 *   mkdir -p build/fuzz/corpus_gw
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Isrc \
 *	test/fuzz/fuzz_gw.c src/gw.c src/dhcp*.c src/arp.c src/icmp.c \
 *	src/pkt.c src/log.c src/addr.c src/err.c src/file.c \
 *	-o build/fuzz/fuzz_gw
 *   ./build/fuzz/fuzz_gw -max_total_time=60 build/fuzz/corpus_gw
 *
 * Without libFuzzer, -DFUZZ_STANDALONE adds a main() that runs the files
 * named on the command line, or 200000 random inputs.
 *
 * Input layout: one byte that picks how the rest is framed, two bytes of
 * time step (big-endian, 100 ms units), then the bytes. Framing 0 sends
 * them as a raw frame; 1 and 2 wrap them as the payload of a UDP datagram
 * to the DHCP server port (broadcast, or unicast to the gateway) with
 * correct lengths and checksums, so that the fuzzer reaches the DHCP
 * parser and state machine rather than dying on the IPv4 checksum; 3
 * wraps them as an ICMP message to the gateway, its checksum fixed up.
 * The server state persists across inputs (small pool, one reservation),
 * so sequences reach exhaustion, reclaim and expiry.
 *
 * Every frame the gateway sends is checked: from the gateway's MAC address,
 * no longer than a full datagram, and an IPv4 frame must have a good
 * header checksum and a length that matches the frame.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

#define FUZZ_GW_IP 0xc0a86901u /* 192.168.105.1 */

static const uint8_t fuzz_gw_mac[6] = {0x5a, 0x94, 0xef, 0, 0, 1};
static const uint8_t fuzz_vm_mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static const uint8_t fuzz_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static uint8_t fuzz_frame[PKT_MAX_FRAME];
static uint64_t fuzz_now = 1000;
static bool fuzz_up;

/**
 * fuzz_check_reply() - check a frame the gateway sent
 * @arg:	unused
 * @frame:	the frame
 * @len:	its length
 */
static void fuzz_check_reply(void *arg, const uint8_t *frame, size_t len)
{
	struct pkt_ipv4 ip;

	(void)arg;
	FUZZ_ASSERT(len >= PKT_ETH_HLEN && len <= PKT_MAX_FRAME);
	FUZZ_ASSERT(memcmp(frame + 6, fuzz_gw_mac, 6) == 0);
	if (frame[12] == 0x08 && frame[13] == 0x00) {
		FUZZ_ASSERT(pkt_ipv4_parse(frame + PKT_ETH_HLEN,
					   len - PKT_ETH_HLEN, &ip));
		FUZZ_ASSERT(ip.hdr_len + ip.payload_len == len - PKT_ETH_HLEN);
		FUZZ_ASSERT(ip.src == FUZZ_GW_IP);
	}
}

/**
 * fuzz_setup() - start the gateway once, with a small pool and a
 * reservation
 */
static void fuzz_setup(void)
{
	char hosts[] = "/tmp/fuzz_gw_hosts.XXXXXX";
	static const char text[] = "%%\nvm 1 52:54:0:12:34:57 192.168.105.20\n";
	struct gw_conf c;
	char err[256];
	int fd;

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
	fd = mkstemp(hosts);
	if (fd >= 0) {
		if (write(fd, text, sizeof(text) - 1) ==
		    (ssize_t)sizeof(text) - 1)
			c.hosts_file = hosts;
		close(fd);
	}
	if (gw_init(&c, fuzz_now, err, sizeof(err)) < 0) {
		fprintf(stderr, "gw_init: %s\n", err);
		abort();
	}
	if (fd >= 0)
		unlink(hosts);
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
 * LLVMFuzzerTestOneInput() - run one input
 * @data:	the input
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;
	size_t len = 0;

	if (!fuzz_up)
		fuzz_setup();
	if (size < 3)
		return 0;
	fuzz_now += 100u * (uint64_t)(data[1] << 8 | data[2]);
	switch (data[0] & 3) {
	case 0:
		/* an exact-size copy, so ASan sees any read past the end */
		copy = malloc(size - 3 ? size - 3 : 1);
		if (!copy)
			return 0;
		memcpy(copy, data + 3, size - 3);
		gw_input(copy, size - 3, fuzz_now, fuzz_check_reply, NULL);
		free(copy);
		return 0;
	case 1:
	case 2:
		len = fuzz_wrap(PKT_IPPROTO_UDP, (data[0] & 3) == 1, data + 3,
				size - 3);
		break;
	default:
		len = fuzz_wrap(PKT_IPPROTO_ICMP, false, data + 3, size - 3);
		break;
	}
	if (!len)
		return 0;
	copy = malloc(len);
	if (!copy)
		return 0;
	memcpy(copy, fuzz_frame, len);
	gw_input(copy, len, fuzz_now, fuzz_check_reply, NULL);
	free(copy);
	gw_tick(fuzz_now);
	return 0;
}

#ifdef FUZZ_STANDALONE
/**
 * main() - run the files named, or random inputs
 * @argc:	argument count
 * @argv:	files
 *
 * Return: 0
 */
int main(int argc, char **argv)
{
	static uint8_t buf[4096];

	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		size_t n;

		if (!f)
			continue;
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	if (argc > 1)
		return 0;
	srand(3);
	for (int i = 0; i < 200000; i++) {
		size_t n = (size_t)(rand() % 600);

		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rand();
		if (n > 3 && (buf[0] & 3) != 0 && (buf[0] & 3) != 3 &&
		    n > 250) {
			/* a BOOTP request with the cookie, random options */
			memset(buf + 3, 0, 240);
			buf[3] = 1;
			buf[4] = 1;
			buf[5] = 6;
			buf[3 + 236] = 0x63;
			buf[3 + 237] = 0x82;
			buf[3 + 238] = 0x53;
			buf[3 + 239] = 0x63;
			buf[3 + 240] = 53;
			buf[3 + 241] = 1;
			buf[3 + 242] = (uint8_t)(1 + rand() % 8);
		}
		LLVMFuzzerTestOneInput(buf, n);
	}
	return 0;
}
#endif
