/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drives src/vmnet.c (the macOS host side) on Linux, against the vmnet test
 * double in test/doubles/vmnet/. Built by `make doubles`, run by
 * test/doubles/vmnet-check.sh.
 *
 * This checks our use of vmnet.framework's *documented* contract (start
 * parameters, batch sizes, buffer sizes, which thread calls what, error
 * handling); it cannot tell anything about Apple's implementation.
 *
 *   vmnet_check          the double as on macOS 15 (all keys known)
 *   vmnet_check old      the double as macOS 10.15: no macOS 11/15 keys,
 *                        a NAT66 prefix needs its length
 *   vmnet_check 26       the double as macOS 26: the network-configuration
 *                        API too (which calls, in what order, with what)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "loop.h"
#include "uplink.h"
#include "unit.h"
#include "vmnet_double_ctl.h"

/* In vmnet.c; declared in uplink.h once tap.c has it too. */
unsigned int uplink_write_batch(const struct iovec *frames, unsigned int n,
				unsigned int *dropped);

#define IFACE_ID "5e1c4f6a-2b3d-4c5e-8f90-a1b2c3d4e5f6"
#define NET_ID	 "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff"

static const unsigned char iface_id_bytes[16] = {
    0x5e, 0x1c, 0x4f, 0x6a, 0x2b, 0x3d, 0x4c, 0x5e,
    0x8f, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6};
static const unsigned char net_id_bytes[16] = {
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x49, 0x78,
    0x86, 0x95, 0xa4, 0xb3, 0xc2, 0xd1, 0xe0, 0xff};

static bool old_double; /* running against the 10.15 variant */

static struct in_addr ip(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* A shared-mode request like Lima's default network. */
static struct uplink_conf shared_conf(void)
{
	struct uplink_conf c;

	memset(&c, 0, sizeof(c));
	c.mode = NET_MODE_SHARED;
	c.gateway = ip("192.168.105.1");
	c.mask = ip("255.255.255.0");
	c.dhcp_end = ip("192.168.105.200");
	c.mtu = 1500;
	c.name = "";
	c.nat = UPLINK_NAT_KERNEL; /* vmnet itself, never the fallback */
	return c;
}

static int open_with(const struct vmnet_double_cfg *cfg,
		     const struct uplink_conf *c, struct uplink_info *info,
		     char *err, size_t errlen)
{
	vmnet_double_reset(cfg);
	vmnet_double_set_owner();
	err[0] = '\0';
	return uplink_open(c, info, err, errlen);
}

static void loop_timeout_cb(struct loop_timer *t)
{
	loop_stop();
}

static bool wait_readable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* A frame from the network: broadcast, the id in the payload. */
static size_t make_frame(uint8_t *f, unsigned int id, size_t len)
{
	memset(f, 0xff, 6);
	memcpy(f + 6, "\x52\x54\x00\x00\x00\x01", 6);
	f[12] = 0x08;
	f[13] = 0x00;
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(id + i);
	f[14] = (uint8_t)id;
	return len;
}

static void net_send(unsigned int id, size_t len)
{
	uint8_t f[2048];

	make_frame(f, id, len);
	CHECK_EQ(send(vmnet_double_net_fd(), f, len, 0), (ssize_t)len);
}

/* Read frames until EAGAIN; check they are ids first.. in order. */
static unsigned int read_until_eagain(unsigned int first, size_t len)
{
	uint8_t buf[2048];
	unsigned int n = 0;

	for (;;) {
		ssize_t r = uplink_read(buf, sizeof(buf));

		if (r < 0) {
			CHECK_EQ(errno, EAGAIN);
			return n;
		}
		CHECK_EQ(r, (ssize_t)len);
		CHECK_EQ(buf[14], (uint8_t)(first + n));
		n++;
	}
}

static size_t open_fds(void)
{
	size_t n = 0;

	for (int fd = 0; fd < 256; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

/* --- start parameters ---------------------------------------------------- */

static void test_start_shared(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.mac = "a2:b3:4:d5:e6:f"};
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct uplink_info info;
	char err[512];
	int fd;

	c.interface_id = IFACE_ID;
	c.nat66_prefix = "fd00:1:2:3::";
	fd = open_with(&cfg, &c, &info, err, sizeof(err));
	CHECK(fd >= 0);
	CHECK(s->called);
	CHECK_EQ(s->mode, VMNET_SHARED_MODE);
	/* vmnet's start address is the host's own, the gateway */
	CHECK(!strcmp(s->start, "192.168.105.1"));
	CHECK(!strcmp(s->end, "192.168.105.200"));
	CHECK(!strcmp(s->mask, "255.255.255.0"));
	CHECK(s->have_interface_id);
	CHECK(!memcmp(s->interface_id, iface_id_bytes, 16));
	CHECK(!strcmp(s->nat66, "fd00:1:2:3::"));
	CHECK(!s->shared_interface[0]);
	CHECK(!s->have_network_id);
	CHECK(!s->have_mtu); /* 1500 is vmnet's default: not asked */
	/* 10.15 wants the prefix length too; from 11 it is deprecated */
	CHECK_EQ(s->have_nat66_len, old_double);
	if (old_double)
		CHECK_EQ(s->nat66_len, 64);
	CHECK_EQ(s->nkeys, old_double ? 7 : 6);
	/* what vmnet answered */
	CHECK_EQ(info.mac[0], 0xa2);
	CHECK_EQ(info.mac[2], 0x04);
	CHECK_EQ(info.mac[5], 0x0f);
	CHECK_EQ(info.mtu, 1500);
	CHECK_EQ(info.max_frame, 1514);
	CHECK(!strcmp(info.ifname, "vmnet shared"));
	CHECK_EQ(vmnet_double_counts()->handler_on_owner, 0);
	uplink_close();
	CHECK_EQ(vmnet_double_counts()->stops, 1);
}

static void test_start_host_mtu(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.mtu = 9000};
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct uplink_info info;
	char err[512];

	c.mode = NET_MODE_HOST;
	c.gateway = ip("192.168.106.1");
	c.dhcp_end.s_addr = 0; /* not given: up to .254 */
	c.mtu = 9000;
	c.nat66_prefix = "fd00:1:2:3::"; /* shared mode only: not passed */
	CHECK(open_with(&cfg, &c, &info, err, sizeof(err)) >= 0);
	CHECK_EQ(s->mode, VMNET_HOST_MODE);
	CHECK(!strcmp(s->start, "192.168.106.1"));
	CHECK(!strcmp(s->end, "192.168.106.254"));
	CHECK(s->have_mtu);
	CHECK_EQ(s->mtu, 9000);
	CHECK(!s->nat66[0]);
	CHECK(!s->have_interface_id);
	CHECK_EQ(info.mtu, 9000);
	CHECK_EQ(info.max_frame, 9014);
	uplink_close();
}

static void test_start_host_network_id(void)
{
	struct uplink_conf c = shared_conf();
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct uplink_info info;
	char err[512];

	c.mode = NET_MODE_HOST;
	c.network_identifier = NET_ID;
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(s->have_network_id);
	CHECK(!memcmp(s->network_id, net_id_bytes, 16));
	/* no DHCP range on such a network: only the host's address */
	CHECK(!s->start[0] && !s->end[0] && !s->mask[0]);
	CHECK(!strcmp(s->host_ip, "192.168.105.1"));
	CHECK(!strcmp(s->host_mask, "255.255.255.0"));
	uplink_close();

	c.network_identifier = "random";
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(s->have_network_id);
	CHECK_EQ(s->network_id[6] >> 4, 4); /* a version 4 UUID */
	CHECK_EQ(s->network_id[8] >> 6, 2);
	uplink_close();
}

static void test_start_bridged(void)
{
	struct uplink_conf c = shared_conf();
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct uplink_info info;
	char err[512];

	c.mode = NET_MODE_BRIDGED;
	c.interface = "en0";
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK_EQ(s->mode, VMNET_BRIDGED_MODE);
	CHECK(!strcmp(s->shared_interface, "en0"));
	CHECK(!s->start[0]); /* the LAN's DHCP serves bridged VMs */
	CHECK(!strcmp(info.ifname, "vmnet bridged en0"));
	uplink_close();

	c.interface = NULL;
	CHECK_EQ(open_with(NULL, &c, &info, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-interface");
}

static void test_start_bridged_mtu(void)
{
	struct uplink_conf c = shared_conf();
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct vmnet_double_cfg cfg = {.mtu = 9000};
	struct uplink_info info;
	char err[512];

	/* vmnet takes the interface's MTU in bridged mode and fails a start
	 * that asks for one: --mtu is refused before vmnet is asked */
	c.mode = NET_MODE_BRIDGED;
	c.interface = "en0";
	c.mtu = 9000;
	CHECK_EQ(open_with(&cfg, &c, &info, err, sizeof(err)), -1);
	CHECK(!s->called);
	CHECK_STR_CONTAINS(err, "--mtu=9000");
	CHECK_STR_CONTAINS(err, "bridged");
	CHECK_STR_CONTAINS(err, "en0");

	/* the default MTU is no request: no key, and vmnet's MTU is used */
	c.mtu = 1500;
	CHECK(open_with(&cfg, &c, &info, err, sizeof(err)) >= 0);
	CHECK(s->called);
	CHECK(!s->have_mtu);
	CHECK_EQ(info.mtu, 9000);
	CHECK_EQ(info.max_frame, 9014);
	uplink_close();

	/* host and shared mode still ask */
	c = shared_conf();
	c.mtu = 4000;
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(s->have_mtu);
	CHECK_EQ(s->mtu, 4000);
	uplink_close();
}

static void test_start_nat66(void)
{
	struct uplink_conf c = shared_conf();
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct uplink_info info;
	char err[512];

	c.nat66_prefix = "fd00:aa:bb:cc::";
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(!strcmp(s->nat66, "fd00:aa:bb:cc::"));
	/* both keys on 10.15, the prefix alone from macOS 11 */
	CHECK_EQ(s->have_nat66_len, old_double);
	CHECK_EQ(s->nat66_len, old_double ? 64 : 0);
	uplink_close();

	/* no prefix: neither key */
	c.nat66_prefix = NULL;
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(!s->nat66[0]);
	CHECK(!s->have_nat66_len);
	uplink_close();
}

static void test_start_failures(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.status = VMNET_FAILURE};
	struct uplink_info info;
	size_t fds = open_fds();
	char err[512];

	CHECK_EQ(open_with(&cfg, &c, &info, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "vmnet_start_interface: general failure");
	CHECK_STR_CONTAINS(err, geteuid() ? "needs root" : "check the flags");
	CHECK_EQ(open_fds(), fds);

	cfg.status = VMNET_SHARING_SERVICE_BUSY;
	CHECK_EQ(open_with(&cfg, &c, &info, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "choose another --vmnet-gateway");

	cfg.status = VMNET_SUCCESS;
	cfg.refuse = true;
	CHECK_EQ(open_with(&cfg, &c, &info, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "refused");
	CHECK_EQ(open_fds(), fds);

	/* The double refuses a public range, as vmnet documents. */
	c.gateway = ip("8.8.8.1");
	c.dhcp_end = ip("8.8.8.20");
	CHECK_EQ(open_with(NULL, &c, &info, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "invalid argument");
	CHECK_STR_CONTAINS(err, "RFC 1918");

	c = shared_conf();
	c.mode = NET_MODE_ISOLATED;
	CHECK_EQ(open_with(NULL, &c, &info, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "no host side");
	CHECK_EQ(open_fds(), fds);

	/* and it still works after all that */
	c = shared_conf();
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	uplink_close();
	uplink_close(); /* twice is fine */
	CHECK_EQ(open_fds(), fds);
}

static void test_platform(void)
{
	struct uplink_caps pf;

	uplink_caps(&pf);
	CHECK(pf.vmnet_ids);
	CHECK(pf.modes & NET_MODE_BIT(NET_MODE_SHARED));
	CHECK(pf.modes & NET_MODE_BIT(NET_MODE_HOST));
	CHECK(pf.modes & NET_MODE_BIT(NET_MODE_BRIDGED));
	CHECK(pf.modes & NET_MODE_BIT(NET_MODE_ISOLATED));
}

/* --- reads --------------------------------------------------------------- */

static void test_read_batch(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.read_max = 32};
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct uplink_info info;
	char err[512];
	int fd = open_with(&cfg, &c, &info, err, sizeof(err));

	CHECK(fd >= 0);
	/* the open itself leaves a byte: packets that came first */
	CHECK(wait_readable(fd, 0));
	CHECK_EQ(read_until_eagain(0, 60), 0);
	CHECK(!wait_readable(fd, 0));

	for (unsigned int i = 0; i < 5; i++)
		net_send(i, 60 + 0);
	CHECK(wait_readable(fd, 1000));
	CHECK(vmnet_double_wait_events(1));
	CHECK_EQ(read_until_eagain(0, 60), 5);
	CHECK_EQ(n->read_packets, 5);
	CHECK_EQ(n->read_max_asked, 32);
	CHECK_EQ(n->read_too_many, 0);
	CHECK_EQ(n->read_small_buffer, 0);
	/* nothing left: the loop can sleep */
	CHECK(!wait_readable(fd, 50));
	/* the callback ran on vmnet's queue, the reads on ours */
	CHECK_EQ(n->events_on_owner, 0);
	CHECK_EQ(n->calls_off_thread, 0);
	uplink_close();
}

static void test_read_more_than_max(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.read_max = 4};
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct uplink_info info;
	char err[512];
	int fd = open_with(&cfg, &c, &info, err, sizeof(err));

	read_until_eagain(0, 60);
	for (unsigned int i = 0; i < 10; i++)
		net_send(i, 100);
	CHECK(vmnet_double_wait_events(1));
	CHECK_EQ(read_until_eagain(0, 100), 10);
	CHECK_EQ(n->read_max_asked, 4);
	CHECK_EQ(n->read_too_many, 0);
	CHECK(!wait_readable(fd, 20));
	uplink_close();
}

static void test_read_early_stop(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.read_max = 4};
	struct uplink_info info;
	uint8_t buf[2048];
	char err[512];
	int fd = open_with(&cfg, &c, &info, err, sizeof(err));

	read_until_eagain(0, 60);
	for (unsigned int i = 0; i < 6; i++)
		net_send(i, 64);
	CHECK(vmnet_double_wait_events(1));
	/* a caller that stops after two frames is woken up again */
	CHECK_EQ(uplink_read(buf, sizeof(buf)), 64);
	CHECK_EQ(uplink_read(buf, sizeof(buf)), 64);
	CHECK(wait_readable(fd, 0));
	CHECK_EQ(read_until_eagain(2, 64), 4);
	uplink_close();
}

static void test_read_default_batch(void)
{
	struct uplink_conf c = shared_conf();
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct uplink_info info;
	char err[512];

	/* No read_max reported: the documented 200 packets / 256 KiB */
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	read_until_eagain(0, 60);
	CHECK_EQ(n->read_max_asked, (256 * 1024) / 1514);
	uplink_close();

	struct vmnet_double_cfg small = {.mtu = 576};
	CHECK(open_with(&small, &c, &info, err, sizeof(err)) >= 0);
	read_until_eagain(0, 60);
	CHECK_EQ(n->read_max_asked, 200);
	CHECK_EQ(n->read_too_many, 0);
	uplink_close();
}

/* --- writes -------------------------------------------------------------- */

static ssize_t net_recv(uint8_t *buf, size_t len)
{
	return recv(vmnet_double_net_fd(), buf, len, MSG_DONTWAIT);
}

static void test_write(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.write_max = 4};
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct uplink_info info;
	uint8_t f[10][128], buf[2048];
	struct iovec iov[10];
	unsigned int dropped = 0;
	char err[512];

	CHECK(open_with(&cfg, &c, &info, err, sizeof(err)) >= 0);
	make_frame(f[0], 42, 128);
	CHECK_EQ(uplink_write(f[0], 128), 128);
	CHECK_EQ(net_recv(buf, sizeof(buf)), 128);
	CHECK(!memcmp(buf, f[0], 128));

	for (unsigned int i = 0; i < 10; i++) {
		make_frame(f[i], i, 60 + i);
		iov[i].iov_base = f[i];
		iov[i].iov_len = 60 + i;
	}
	CHECK_EQ(uplink_write_batch(iov, 10, &dropped), 10);
	CHECK_EQ(dropped, 0);
	for (unsigned int i = 0; i < 10; i++) {
		CHECK_EQ(net_recv(buf, sizeof(buf)), 60 + i);
		CHECK_EQ(buf[14], i);
	}
	CHECK_EQ(n->write_calls, 1 + 3); /* 4 + 4 + 2 */
	CHECK_EQ(n->write_max_asked, 4);
	CHECK_EQ(n->calls_off_thread, 0);
	uplink_close();
}

static void test_write_errors(void)
{
	struct uplink_conf c = shared_conf();
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct uplink_info info;
	uint8_t f[3][128], buf[2048], big[1515];
	struct iovec iov[3];
	unsigned int dropped = 0, calls;
	char err[512];

	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	for (unsigned int i = 0; i < 3; i++) {
		make_frame(f[i], 10 + i, 80);
		iov[i].iov_base = f[i];
		iov[i].iov_len = 80;
	}

	/* a failure (not for room) of one frame: dropped, not kept */
	vmnet_double_fail_writes(1, VMNET_FAILURE);
	errno = 0;
	CHECK_EQ(uplink_write(f[0], 80), -1);
	CHECK_EQ(errno, EIO);
	CHECK_EQ(net_recv(buf, sizeof(buf)), -1);

	/* a batch vmnet refuses wrote nothing: written again one frame
	 * per call, so only the frame at fault is dropped (here the first:
	 * the batch call and the first single call fail) */
	vmnet_double_fail_writes(2, VMNET_FAILURE);
	calls = n->write_calls;
	CHECK_EQ(uplink_write_batch(iov, 3, &dropped), 3);
	CHECK_EQ(dropped, 1);
	CHECK_EQ(n->write_calls - calls, 1 + 3);
	CHECK_EQ(net_recv(buf, sizeof(buf)), 80);
	CHECK_EQ(buf[14], 11);
	CHECK_EQ(net_recv(buf, sizeof(buf)), 80);
	CHECK_EQ(buf[14], 12);
	CHECK_EQ(net_recv(buf, sizeof(buf)), -1);

	/* refused once for another reason: nothing lost, nothing twice */
	dropped = 0;
	vmnet_double_fail_writes(1, VMNET_INVALID_ARGUMENT);
	CHECK_EQ(uplink_write_batch(iov, 3, &dropped), 3);
	CHECK_EQ(dropped, 0);
	for (unsigned int i = 0; i < 3; i++) {
		CHECK_EQ(net_recv(buf, sizeof(buf)), 80);
		CHECK_EQ(buf[14], 10 + i);
	}
	CHECK_EQ(net_recv(buf, sizeof(buf)), -1);

	/* too big for vmnet: dropped before any call */
	calls = n->write_calls;
	make_frame(big, 7, sizeof(big));
	CHECK_EQ(uplink_write(big, sizeof(big)), -1);
	CHECK_EQ(errno, EMSGSIZE);
	CHECK_EQ(n->write_calls, calls);
	iov[1].iov_base = big;
	iov[1].iov_len = sizeof(big);
	dropped = 0;
	CHECK_EQ(uplink_write_batch(iov, 3, &dropped), 3);
	CHECK_EQ(dropped, 1);
	CHECK_EQ(net_recv(buf, sizeof(buf)), 80);
	CHECK_EQ(buf[14], 10);
	CHECK_EQ(net_recv(buf, sizeof(buf)), 80);
	CHECK_EQ(buf[14], 12);
	CHECK_EQ(net_recv(buf, sizeof(buf)), -1);
	CHECK_EQ(n->write_full, 0);
	CHECK_EQ(n->calls_off_thread, 0);
	uplink_close();
}

/* --- vmnet full: frames kept, a back-off on a loop timer ------------------ */

static bool wait_writable(int fd, int ms)
{
	struct pollfd p = {.fd = fd, .events = POLLOUT};

	return poll(&p, 1, ms) == 1 && (p.revents & POLLOUT);
}

/* Expect frames @first.. @first+@count-1 on the network, in order, once. */
static void net_expect(unsigned int first, unsigned int count, size_t len)
{
	uint8_t buf[2048];
	unsigned int got = 0;

	for (int spins = 0; got < count && spins < 1000;) {
		ssize_t r = net_recv(buf, sizeof(buf));

		if (r < 0) {
			usleep(1000); /* the double drains every 5 ms */
			spins++;
			continue;
		}
		CHECK_EQ(r, (ssize_t)len);
		CHECK_EQ(buf[14], (uint8_t)(first + got));
		got++;
	}
	CHECK_EQ(got, count);
	usleep(20000);
	CHECK_EQ(net_recv(buf, sizeof(buf)), -1); /* nothing twice */
}

static void stop_on_out(struct loop_source *src, unsigned int events)
{
	if (events & LOOP_OUT)
		loop_stop();
}

/* Run the loop until the descriptor is writable; false after 1 s. */
static bool loop_until_writable(int fd)
{
	struct loop_source src = {.fd = fd, .fn = stop_on_out};
	struct loop_timer t = {.fn = loop_timeout_cb};
	bool ok;

	CHECK_EQ(loop_add(&src, LOOP_OUT), 0);
	loop_timer_arm(&t, 1000);
	CHECK_EQ(loop_run(), 0);
	ok = t.deadline_ms != 0; /* stopped before the timeout */
	loop_timer_cancel(&t);
	loop_del(&src);
	return ok;
}

static void test_write_exhausted_batch(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.write_max = 4};
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct uplink_info info;
	uint8_t f[10][128];
	struct iovec iov[10];
	unsigned int dropped = 0, calls;
	char err[512];
	int fd;

	CHECK_EQ(loop_init(), 0);
	fd = open_with(&cfg, &c, &info, err, sizeof(err));
	CHECK(fd >= 0);
	for (unsigned int i = 0; i < 10; i++) {
		make_frame(f[i], i, 90);
		iov[i].iov_base = f[i];
		iov[i].iov_len = 90;
	}
	CHECK(wait_writable(fd, 0));
	/* vmnet holds 5 and passes none on: 4 fit, the next 4 do not */
	vmnet_double_set_room(5);
	vmnet_double_hold(true);
	errno = 0;
	CHECK_EQ(uplink_write_batch(iov, 10, &dropped), 4);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(dropped, 0);
	CHECK_EQ(n->write_full, 1);
	CHECK_EQ(n->write_packets, 4);
	/* backing off: not writable, and vmnet is left alone */
	CHECK(!wait_writable(fd, 0));
	calls = n->write_calls;
	errno = 0;
	CHECK_EQ(uplink_write_batch(iov + 4, 6, &dropped), 0);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(uplink_write(f[4], 90), -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(n->write_calls, calls);

	/* the back-off ends on the loop's timer: writable, and then the
	 * frames kept go on, the same frames in the same order */
	vmnet_double_hold(false);
	CHECK(loop_until_writable(fd));
	CHECK_EQ(uplink_write_batch(iov + 4, 6, &dropped), 6);
	CHECK_EQ(dropped, 0);
	net_expect(0, 10, 90);
	CHECK_EQ(n->write_packets, 10);
	uplink_close();
	loop_fini();
}

/* A host port as host.c drives it: frames queued, written one per call,
 * LOOP_OUT awaited after EAGAIN. */
static struct {
	int fd;
	struct loop_source src;
	uint8_t f[60][100];
	unsigned int head, n, out_wakeups, eagain, dropped;
} hp;

static void hp_flush(void)
{
	while (hp.head < hp.n) {
		if (uplink_write(hp.f[hp.head], 100) < 0) {
			if (errno == EAGAIN) {
				hp.eagain++;
				loop_mod(&hp.src, LOOP_IN | LOOP_OUT);
				return;
			}
			hp.dropped++;
		}
		hp.head++;
	}
	loop_mod(&hp.src, LOOP_IN);
	loop_stop();
}

static void hp_ready(struct loop_source *src, unsigned int events)
{
	uint8_t buf[2048];

	if (events & LOOP_OUT) {
		hp.out_wakeups++;
		hp_flush();
	}
	while (uplink_read(buf, sizeof(buf)) >= 0)
		;
}

static void hp_release(struct loop_timer *t)
{
	vmnet_double_hold(false);
}

static void test_write_exhausted_loop(void)
{
	struct uplink_conf c = shared_conf();
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct loop_timer release = {.fn = hp_release};
	struct loop_timer t = {.fn = loop_timeout_cb};
	struct uplink_info info;
	char err[512];

	CHECK_EQ(loop_init(), 0);
	memset(&hp, 0, sizeof(hp));
	hp.n = 60;
	for (unsigned int i = 0; i < hp.n; i++)
		make_frame(hp.f[i], i, 100);
	hp.fd = open_with(NULL, &c, &info, err, sizeof(err));
	CHECK(hp.fd >= 0);
	hp.src.fd = hp.fd;
	hp.src.fn = hp_ready;
	CHECK_EQ(loop_add(&hp.src, LOOP_IN), 0);
	/* vmnet takes 8 and then nothing for 60 ms */
	vmnet_double_set_room(8);
	vmnet_double_hold(true);
	hp_flush();
	CHECK_EQ(hp.head, 8);
	loop_timer_arm(&release, 60);
	loop_timer_arm(&t, 5000);
	CHECK_EQ(loop_run(), 0);
	CHECK(t.deadline_ms != 0); /* finished, not timed out */
	loop_timer_cancel(&t);
	loop_timer_cancel(&release);
	CHECK_EQ(hp.head, hp.n);
	CHECK_EQ(hp.dropped, 0);
	net_expect(0, hp.n, 100);
	/* a bounded back-off, not a busy retry: in 60 ms at 1, 2, 4, 8,
	 * 16, 16... ms, a handful of tries, each one LOOP_OUT wake-up */
	CHECK(n->write_full >= 2);
	CHECK(n->write_full <= 10);
	CHECK(hp.out_wakeups <= n->write_full);
	CHECK_EQ(hp.eagain, n->write_full);
	CHECK_EQ(n->calls_off_thread, 0);
	loop_del(&hp.src);
	uplink_close();
	loop_fini();
}

/* --- stopping ------------------------------------------------------------- */

static void test_stop_failure(void)
{
	struct uplink_conf c = shared_conf();
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct vmnet_double_cfg bad = {.status = VMNET_FAILURE};
	unsigned int live = dispatch_double_live_semaphores();
	struct uplink_info info;
	size_t fds = open_fds();
	char err[512];

	/* a stop that fails at once: no handler, the semaphore goes */
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	vmnet_double_fail_stop(VMNET_FAILURE, false);
	uplink_close();
	CHECK_EQ(n->stop_calls, 1);
	CHECK_EQ(n->stops, 0);
	CHECK_EQ(dispatch_double_live_semaphores(), live);

	/* a stop whose handler reports a failure */
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	vmnet_double_fail_stop(VMNET_INVALID_ACCESS, true);
	uplink_close();
	CHECK_EQ(n->stop_calls, 1);
	CHECK_EQ(n->stops, 0);
	CHECK_EQ(dispatch_double_live_semaphores(), live);

	/* and the usual paths leak nothing either */
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	uplink_close();
	CHECK_EQ(n->stops, 1);
	CHECK_EQ(open_with(&bad, &c, &info, err, sizeof(err)), -1);
	CHECK_EQ(dispatch_double_live_semaphores(), live);
	vmnet_double_reset(NULL);
	CHECK_EQ(open_fds(), fds);
}

/* --- the callback, the loop, fork ----------------------------------------- */

static struct {
	int fd;
	unsigned int got, wakeups, want;
} lt;

/* Like host.c: at most 3 frames per wake-up, to exercise coming back. */
static void loop_cb(struct loop_source *src, unsigned int events)
{
	uint8_t buf[2048];

	lt.wakeups++;
	for (int i = 0; i < 3; i++) {
		ssize_t r = uplink_read(buf, sizeof(buf));

		if (r < 0)
			break;
		CHECK_EQ(buf[14], (uint8_t)lt.got);
		lt.got++;
	}
	if (lt.got >= lt.want)
		loop_stop();
}

static void *sender(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < lt.want; i++) {
		net_send(i, 70);
		if (i % 7 == 0)
			usleep(2000);
	}
	return NULL;
}

static void test_loop_handoff(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.read_max = 5};
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct loop_source src = {.fn = loop_cb};
	struct loop_timer t = {.fn = loop_timeout_cb};
	struct uplink_info info;
	pthread_t th;
	char err[512];

	CHECK_EQ(loop_init(), 0);
	src.fd = open_with(&cfg, &c, &info, err, sizeof(err));
	CHECK(src.fd >= 0);
	read_until_eagain(0, 60);
	memset(&lt, 0, sizeof(lt));
	lt.want = 50;
	CHECK_EQ(loop_add(&src, LOOP_IN), 0);
	loop_timer_arm(&t, 5000);
	pthread_create(&th, NULL, sender, NULL);
	CHECK_EQ(loop_run(), 0);
	pthread_join(th, NULL);
	loop_timer_cancel(&t);
	CHECK_EQ(lt.got, 50); /* no wake-up lost */
	CHECK(lt.wakeups >= 50 / 3);
	CHECK(n->events >= 1);
	CHECK_EQ(n->events_on_owner, 0);
	CHECK_EQ(n->calls_off_thread, 0);
	loop_del(&src);
	uplink_close();
	loop_fini();
}

static void test_fork(void)
{
	struct uplink_conf c = shared_conf();
	struct uplink_info info;
	char err[512];
	int st = -1;
	pid_t pid;

	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	net_send(0, 60);
	CHECK(vmnet_double_wait_events(1));
	pid = fork();
	if (pid == 0) {
		uint8_t buf[2048];
		unsigned int dropped = 0;
		struct iovec iov = {.iov_base = buf, .iov_len = 60};

		/* A forked process must get an error, not touch vmnet. */
		alarm(5);
		if (uplink_read(buf, sizeof(buf)) != -1 || errno != EIO)
			_exit(1);
		if (uplink_write_batch(&iov, 1, &dropped) != 1 || dropped != 1)
			_exit(2);
		uplink_close(); /* releases fds only */
		_exit(0);
	}
	CHECK(pid > 0);
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(vmnet_double_counts()->calls_off_thread, 0);
	/* the parent still owns a working interface */
	CHECK_EQ(read_until_eagain(0, 60), 1);
	uplink_close();
	CHECK_EQ(vmnet_double_counts()->stops, 1);
}

/* --- an older macOS (double built without the macOS 11/15 keys) ----------- */

static void test_old_network_id(void)
{
	struct uplink_conf c = shared_conf();
	struct uplink_info info;
	char err[512];

	c.mode = NET_MODE_HOST;
	c.network_identifier = NET_ID;
	CHECK_EQ(open_with(NULL, &c, &info, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "macOS 11");
	c.network_identifier = NULL;
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	uplink_close();
}

static void test_old_batches(void)
{
	struct uplink_conf c = shared_conf();
	struct vmnet_double_cfg cfg = {.read_max = 8, .write_max = 8};
	const struct vmnet_double_counts *n = vmnet_double_counts();
	struct uplink_info info;
	char err[512];

	/* even if asked to report them, an old system has no such keys */
	CHECK(open_with(&cfg, &c, &info, err, sizeof(err)) >= 0);
	for (unsigned int i = 0; i < 20; i++)
		net_send(i, 60);
	CHECK(vmnet_double_wait_events(1));
	CHECK_EQ(read_until_eagain(0, 60), 20);
	CHECK_EQ(n->read_max_asked, (256 * 1024) / 1514);
	uplink_close();
}

/* --- macOS 26: a network configuration (double built with VMNET_DOUBLE_26) */

/* Lima's shared network with the daemon's own DHCP server. */
static struct uplink_conf own_dhcp_conf(void)
{
	struct uplink_conf c = shared_conf();

	c.dhcp_end = ip("192.168.105.254");
	c.own_dhcp = true;
	return c;
}

/* The calls of the macOS 26 API so far. */
static const char *net_calls(void)
{
	return vmnet_double_last_network()->calls;
}

static void test_net_own_dhcp(void)
{
	struct uplink_conf c = own_dhcp_conf();
	const struct vmnet_double_network *n = vmnet_double_last_network();
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct uplink_info info;
	uint8_t f[128], buf[2048];
	char err[512];
	int fd;

	c.nat66_prefix = "fd00:1:2:3::";
	c.interface_id = IFACE_ID;
	fd = open_with(NULL, &c, &info, err, sizeof(err));
	CHECK(fd >= 0);
	/* the calls, in order: configure, DHCP off, create, start on it */
	CHECK(!strcmp(net_calls(),
		      "configuration_create set_ipv4_subnet set_ipv6_prefix "
		      "disable_dhcp network_create release_configuration "
		      "get_ipv4_subnet start_with_network "));
	CHECK_EQ(n->mode, VMNET_SHARED_MODE);
	CHECK(!strcmp(n->subnet, "192.168.105.0"));
	CHECK(!strcmp(n->mask, "255.255.255.0"));
	CHECK(!strcmp(n->prefix, "fd00:1:2:3::"));
	CHECK_EQ(n->prefix_len, 64);
	CHECK(n->dhcp_disabled);
	CHECK_EQ(n->configs_live, 0);
	CHECK_EQ(n->networks_live, 1);
	CHECK_EQ(n->bad_calls, 0);
	/* the interface's identity went with the interface */
	CHECK(s->have_interface_id);
	CHECK(!memcmp(s->interface_id, iface_id_bytes, 16));
	CHECK(!strcmp(s->start, "192.168.105.1")); /* the host's address */
	CHECK(!strcmp(info.ifname, "vmnet shared"));
	/* frames both ways */
	net_send(7, 60);
	CHECK(vmnet_double_wait_events(1));
	CHECK(wait_readable(fd, 1000));
	CHECK_EQ(read_until_eagain(7, 60), 1);
	make_frame(f, 9, 100);
	CHECK_EQ(uplink_write(f, 100), 100);
	CHECK_EQ(net_recv(buf, sizeof(buf)), 100);
	CHECK_EQ(buf[14], 9);
	/* the network is released after its interface stopped */
	uplink_close();
	CHECK_STR_CONTAINS(net_calls(),
			   "start_with_network stop release_network ");
	CHECK_EQ(n->networks_live, 0);
	CHECK_EQ(n->bad_calls, 0);
	CHECK_EQ(vmnet_double_counts()->stops, 1);
}

static void test_net_vmnet_dhcp(void)
{
	struct uplink_conf c = own_dhcp_conf();
	const struct vmnet_double_network *n = vmnet_double_last_network();
	struct uplink_info info;
	char err[512];

	/* vmnet's DHCP server serves the whole subnet: it stays on */
	c.own_dhcp = false;
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(!strcmp(net_calls(),
		      "configuration_create set_ipv4_subnet network_create "
		      "release_configuration get_ipv4_subnet "
		      "start_with_network "));
	CHECK(!n->dhcp_disabled);
	uplink_close();
	CHECK_EQ(n->networks_live, 0);
}

static void test_net_host_mtu(void)
{
	struct uplink_conf c = own_dhcp_conf();
	struct vmnet_double_cfg cfg = {.mtu = 9000};
	const struct vmnet_double_network *n = vmnet_double_last_network();
	struct uplink_info info;
	char err[512];

	c.mode = NET_MODE_HOST;
	c.gateway = ip("10.0.0.1");
	c.mask = ip("255.255.0.0");
	c.dhcp_end = ip("10.0.200.1"); /* the daemon's range: no matter */
	c.mtu = 9000;
	c.nat66_prefix = "fd00:1:2:3::"; /* shared mode only: not set */
	CHECK(open_with(&cfg, &c, &info, err, sizeof(err)) >= 0);
	CHECK_EQ(n->mode, VMNET_HOST_MODE);
	CHECK(!strcmp(n->subnet, "10.0.0.0"));
	CHECK(!strcmp(n->mask, "255.255.0.0"));
	CHECK_EQ(n->mtu, 9000);
	CHECK(n->dhcp_disabled);
	CHECK(!strstr(net_calls(), "set_ipv6_prefix"));
	CHECK_EQ(info.mtu, 9000);
	CHECK_EQ(n->bad_calls, 0);
	uplink_close();
}

/* Flags a network cannot carry: the interface starts the older way. */
static void test_net_unfit(void)
{
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct uplink_info info;
	struct uplink_conf c;
	char err[512];

	/* a gateway other than the subnet's first address */
	c = own_dhcp_conf();
	c.gateway = ip("192.168.105.5");
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(!strstr(net_calls(), "configuration_create"));
	CHECK(!strcmp(s->start, "192.168.105.5"));
	uplink_close();
	/* vmnet's DHCP server with a range of our own */
	c = shared_conf();
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(!strstr(net_calls(), "configuration_create"));
	CHECK(!strcmp(s->end, "192.168.105.200"));
	uplink_close();
	/* bridged mode */
	c = own_dhcp_conf();
	c.mode = NET_MODE_BRIDGED;
	c.interface = "en0";
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(!strstr(net_calls(), "configuration_create"));
	CHECK(!strcmp(s->shared_interface, "en0"));
	uplink_close();
	/* a network identifier */
	c = own_dhcp_conf();
	c.mode = NET_MODE_HOST;
	c.network_identifier = NET_ID;
	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(!strstr(net_calls(), "configuration_create"));
	CHECK(s->have_network_id);
	uplink_close();
}

/* The network cannot be made: the older way, nothing left behind. */
static void test_net_fallback(void)
{
	struct uplink_conf c = own_dhcp_conf();
	const struct vmnet_double_network *n = vmnet_double_last_network();
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct uplink_info info;
	char err[512];

	vmnet_double_reset(NULL);
	vmnet_double_set_owner();
	vmnet_double_fail_network(VMNET_SHARING_SERVICE_BUSY);
	CHECK(uplink_open(&c, &info, err, sizeof(err)) >= 0);
	CHECK(!strcmp(net_calls(),
		      "configuration_create set_ipv4_subnet disable_dhcp "
		      "network_create release_configuration "));
	CHECK_EQ(n->configs_live, 0);
	CHECK_EQ(n->networks_live, 0);
	CHECK(s->called);
	CHECK(!strcmp(s->start, "192.168.105.1"));
	CHECK(!strcmp(s->end, "192.168.105.254"));
	uplink_close();
	CHECK_EQ(n->bad_calls, 0);
}

/* vmnet refuses the interface either way: one error, nothing left. */
static void test_net_start_fails(void)
{
	struct uplink_conf c = own_dhcp_conf();
	struct vmnet_double_cfg cfg = {.status = VMNET_NOT_AUTHORIZED};
	const struct vmnet_double_network *n = vmnet_double_last_network();
	struct uplink_info info;
	char err[512];
	size_t fds = open_fds();

	CHECK_EQ(open_with(&cfg, &c, &info, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(net_calls(), "start_with_network release_network ");
	CHECK_STR_CONTAINS(err, "vmnet_start_interface");
	CHECK_STR_CONTAINS(err, "not authorized");
	CHECK_EQ(n->networks_live, 0);
	CHECK_EQ(n->bad_calls, 0);
	CHECK_EQ(open_fds(), fds);
	CHECK_EQ(dispatch_double_live_semaphores(), 0);
}

/* Before macOS 26 (the double without the API): the older way. */
static void test_no_network_api(void)
{
	struct uplink_conf c = own_dhcp_conf();
	const struct vmnet_double_start *s = vmnet_double_last_start();
	struct uplink_info info;
	char err[512];

	CHECK(open_with(NULL, &c, &info, err, sizeof(err)) >= 0);
	CHECK(!strcmp(net_calls(), ""));
	CHECK(!strcmp(s->start, "192.168.105.1"));
	CHECK(!strcmp(s->end, "192.168.105.254"));
	uplink_close();
}

static const struct unit_test tests[] = {
    {"no_network_api", test_no_network_api},
    {"start_shared", test_start_shared},
    {"start_host_mtu", test_start_host_mtu},
    {"start_host_network_id", test_start_host_network_id},
    {"start_bridged", test_start_bridged},
    {"start_bridged_mtu", test_start_bridged_mtu},
    {"start_nat66", test_start_nat66},
    {"start_failures", test_start_failures},
    {"platform", test_platform},
    {"read_batch", test_read_batch},
    {"read_more_than_max", test_read_more_than_max},
    {"read_early_stop", test_read_early_stop},
    {"read_default_batch", test_read_default_batch},
    {"write", test_write},
    {"write_errors", test_write_errors},
    {"write_exhausted_batch", test_write_exhausted_batch},
    {"write_exhausted_loop", test_write_exhausted_loop},
    {"stop_failure", test_stop_failure},
    {"loop_handoff", test_loop_handoff},
    {"fork", test_fork},
};

static const struct unit_test v26_tests[] = {
    {"net_own_dhcp", test_net_own_dhcp},
    {"net_vmnet_dhcp", test_net_vmnet_dhcp},
    {"net_host_mtu", test_net_host_mtu},
    {"net_unfit", test_net_unfit},
    {"net_fallback", test_net_fallback},
    {"net_start_fails", test_net_start_fails},
    {"start_shared", test_start_shared},
    {"read_batch", test_read_batch},
    {"write", test_write},
    {"write_exhausted_loop", test_write_exhausted_loop},
    {"stop_failure", test_stop_failure},
};

static const struct unit_test old_tests[] = {
    {"no_network_api", test_no_network_api},
    {"old_network_id", test_old_network_id},
    {"old_batches", test_old_batches},
    {"start_shared", test_start_shared},
    {"start_nat66", test_start_nat66},
    {"read_early_stop", test_read_early_stop},
    {"write_errors", test_write_errors},
    {"stop_failure", test_stop_failure},
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	old_double = argc > 1 && !strcmp(argv[1], "old");
	if (old_double)
		return unit_main("vmnet-old", old_tests,
				 sizeof(old_tests) / sizeof(old_tests[0]));
	if (argc > 1 && !strcmp(argv[1], "26"))
		return unit_main("vmnet-26", v26_tests,
				 sizeof(v26_tests) / sizeof(v26_tests[0]));
	return unit_main("vmnet", tests, sizeof(tests) / sizeof(tests[0]));
}
