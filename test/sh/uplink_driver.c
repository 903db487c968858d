/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test driver for the Linux uplink (src/tap.c): opens the uplink as the
 * daemon would, then plays a VM on it by reading and writing raw Ethernet
 * frames on the TAP descriptor. It answers ARP and ICMP echo for one
 * address (-a), and can ping an address beyond the gateway (-p), which
 * needs shared mode's NAT. Stops cleanly (uplink_close()) on SIGTERM or
 * SIGINT. Used by test/sh/uplink-netns.sh; not a unit test.
 *
 * Prints "OPEN ifname=... mtu=... max_frame=... mac=..." once the uplink
 * is up, "FAIL message" if it cannot open it, "PONG ip" for each echo
 * reply it gets, and "CLOSED" after uplink_close().
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "log.h"
#include "net.h"
#include "uplink.h"

#define DRV_FRAME_MAX 65600

static volatile sig_atomic_t drv_stop;
static const uint8_t drv_mac[6] = {0x02, 0x00, 0x00, 0x77, 0x00, 0x02};
static struct in_addr drv_ip;
static uint8_t drv_frame[DRV_FRAME_MAX];

/**
 * drv_on_signal() - ask the loop to stop
 * @sig:	the signal
 */
static void drv_on_signal(int sig)
{
	(void)sig;
	drv_stop = 1;
}

/**
 * drv_csum() - Internet checksum
 * @p:		data
 * @len:	its length
 *
 * Return: the checksum, ready to store
 */
static uint16_t drv_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/**
 * drv_arp() - answer an ARP request for our address
 * @f:		the frame, rewritten into the reply
 * @len:	its length
 */
static void drv_arp(uint8_t *f, ssize_t len)
{
	uint8_t *a = f + 14;

	if (len < 42 || a[6] != 0 || a[7] != 1 || memcmp(a + 24, &drv_ip, 4))
		return;
	memcpy(f, a + 8, 6);
	memcpy(f + 6, drv_mac, 6);
	a[7] = 2;
	memcpy(a + 18, a + 8, 10); /* target = old sender (MAC and IP) */
	memcpy(a + 8, drv_mac, 6);
	memcpy(a + 14, &drv_ip, 4);
	if (uplink_write(f, (size_t)len) < 0)
		perror("uplink_write");
}

/**
 * drv_ipv4() - answer an echo request to us; report an echo reply
 * @f:		the frame, rewritten into the reply
 * @len:	its length
 */
static void drv_ipv4(uint8_t *f, ssize_t len)
{
	uint8_t *ip = f + 14, *icmp, tmp[6];
	size_t ihl, tot;

	if (len < 14 + 20 + 8 || (ip[0] >> 4) != 4 || ip[9] != 1 ||
	    memcmp(ip + 16, &drv_ip, 4))
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = (size_t)(ip[2] << 8 | ip[3]);
	if (tot > (size_t)len - 14 || ihl < 20 || tot < ihl + 8)
		return;
	icmp = ip + ihl;
	if (icmp[0] == 0) {
		char src[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, ip + 12, src, sizeof(src));
		printf("PONG %s\n", src);
		fflush(stdout);
		return;
	}
	if (icmp[0] != 8)
		return;
	memcpy(tmp, f, 6);
	memcpy(f, f + 6, 6);
	memcpy(f + 6, tmp, 6);
	memcpy(tmp, ip + 12, 4);
	memcpy(ip + 12, ip + 16, 4);
	memcpy(ip + 16, tmp, 4);
	ip[8] = 64;
	ip[10] = ip[11] = 0;
	memcpy(ip + 10, &(uint16_t){drv_csum(ip, ihl)}, 2);
	icmp[0] = 0;
	icmp[2] = icmp[3] = 0;
	memcpy(icmp + 2, &(uint16_t){drv_csum(icmp, tot - ihl)}, 2);
	if (uplink_write(f, 14 + tot) < 0)
		perror("uplink_write");
}

/**
 * drv_ping() - send one echo request from us to an address via the host
 * @gw_mac:	the host's MAC (uplink_info.mac)
 * @dst:	the address
 * @seq:	sequence number
 */
static void drv_ping(const uint8_t *gw_mac, struct in_addr dst, uint16_t seq)
{
	uint8_t f[14 + 20 + 8 + 32], *ip = f + 14, *icmp = ip + 20;

	memset(f, 0, sizeof(f));
	memcpy(f, gw_mac, 6);
	memcpy(f + 6, drv_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[3] = 20 + 8 + 32;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, &drv_ip, 4);
	memcpy(ip + 16, &dst, 4);
	memcpy(ip + 10, &(uint16_t){drv_csum(ip, 20)}, 2);
	icmp[0] = 8;
	icmp[4] = 0x77;
	icmp[6] = (uint8_t)(seq >> 8);
	icmp[7] = (uint8_t)seq;
	memcpy(icmp + 2, &(uint16_t){drv_csum(icmp, 8 + 32)}, 2);
	if (uplink_write(f, sizeof(f)) < 0)
		perror("uplink_write");
}

/**
 * drv_usage() - print how to call the driver and exit
 */
static void drv_usage(void)
{
	fprintf(stderr,
		"usage: uplink_driver host|shared|bridged [-g GATEWAY] "
		"[-m MASK] [-t MTU] [-b BRIDGE] [-n TAPNAME] [-a VM_IP] "
		"[-p PING_IP] [-G]\n");
	exit(2);
}

/**
 * drv_args() - parse the driver's command line
 * @argc:	argument count
 * @argv:	arguments
 * @c:		filled with the uplink configuration
 * @ping_dst:	filled with -p's address
 */
static void drv_args(int argc, char **argv, struct uplink_conf *c,
		     struct in_addr *ping_dst)
{
	int opt;

	inet_pton(AF_INET, "255.255.255.0", &c->mask);
	if (argc < 2 || net_mode_parse(argv[1], &c->mode) < 0)
		drv_usage();
	optind = 2;
	while ((opt = getopt(argc, argv, "g:m:t:b:n:a:p:G")) != -1) {
		switch (opt) {
		case 'g':
			inet_pton(AF_INET, optarg, &c->gateway);
			break;
		case 'm':
			inet_pton(AF_INET, optarg, &c->mask);
			break;
		case 't':
			c->mtu = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'b':
			c->interface = optarg;
			break;
		case 'n':
			c->name = optarg;
			break;
		case 'a':
			inet_pton(AF_INET, optarg, &drv_ip);
			break;
		case 'p':
			inet_pton(AF_INET, optarg, ping_dst);
			break;
		case 'G':
			setpgid(0, 0); /* so the test can kill us with the
					  NAT keeper */
			break;
		default:
			drv_usage();
		}
	}
}

/**
 * drv_serve() - answer ARP and ping, and ping, until told to stop
 * @fd:		the uplink's descriptor
 * @info:	what the uplink turned out to be
 * @ping_dst:	address to ping every 200 ms, or 0
 *
 * Return: 0 when stopped, -1 on an error
 */
static int drv_serve(int fd, const struct uplink_info *info,
		     struct in_addr ping_dst)
{
	struct timespec now, last = {0, 0};
	uint16_t seq = 0;

	while (!drv_stop) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int r = poll(&pfd, 1, 200);
		ssize_t n;

		if (r < 0 && errno != EINTR) {
			perror("poll");
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ping_dst.s_addr &&
		    (now.tv_sec - last.tv_sec) * 1000 +
			    (now.tv_nsec - last.tv_nsec) / 1000000 >=
			200) {
			drv_ping(info->mac, ping_dst, ++seq);
			last = now;
		}
		if (r <= 0)
			continue;
		/* Drain in a batch, as the daemon does. */
		while ((n = uplink_read(drv_frame, sizeof(drv_frame))) > 0) {
			if (n < 14 || !drv_ip.s_addr)
				continue;
			if (drv_frame[12] == 0x08 && drv_frame[13] == 0x06)
				drv_arp(drv_frame, n);
			else if (drv_frame[12] == 0x08 && drv_frame[13] == 0x00)
				drv_ipv4(drv_frame, n);
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			perror("uplink_read");
			return -1;
		}
	}
	return 0;
}

/**
 * main() - open the uplink, serve it until SIGTERM/SIGINT, close it
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 after a clean close, 1 if the uplink cannot be opened
 */
int main(int argc, char **argv)
{
	/* the kernel path (TAP) alone: never the user-mode fallback */
	struct uplink_conf c = {
	    .mtu = 1500, .name = "", .nat = UPLINK_NAT_KERNEL};
	struct uplink_info info;
	struct in_addr ping_dst = {0};
	struct sigaction sa;
	char err[512];
	int fd;

	log_init("uplink_driver",
		 getenv("DEBUG") ? LOG_LVL_DEBUG : LOG_LVL_INFO);
	drv_args(argc, argv, &c, &ping_dst);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = drv_on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	fd = uplink_open(&c, &info, err, sizeof(err));
	if (fd < 0) {
		printf("FAIL %s\n", err);
		fflush(stdout);
		uplink_close(); /* must be harmless after a failure */
		return 1;
	}
	printf("OPEN ifname=%s mtu=%u max_frame=%u "
	       "mac=%02x:%02x:%02x:%02x:%02x:%02x pid=%ld\n",
	       info.ifname, info.mtu, info.max_frame, info.mac[0], info.mac[1],
	       info.mac[2], info.mac[3], info.mac[4], info.mac[5],
	       (long)getpid());
	fflush(stdout);
	drv_serve(fd, &info, ping_dst);
	uplink_close();
	uplink_close(); /* twice must be harmless */
	printf("CLOSED\n");
	fflush(stdout);
	return 0;
}
