/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the shared helpers: MAC and IPv4 text (addr.c), error
 * messages (err.c) and atomic file replacement (file.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "err.h"
#include "file.h"
#include "unit.h"

/**
 * test_mac() - one set of MAC rules: 1-2 hex digits, one separator kind
 */
static void test_mac(void)
{
	uint8_t m[6] = {0}, want[6] = {0x52, 0x54, 0, 0x12, 0xab, 0x0c};
	char buf[ADDR_MAC_STRLEN];

	CHECK(addr_mac_parse("52:54:00:12:ab:0c", m));
	CHECK(!memcmp(m, want, 6));
	CHECK(addr_mac_parse("52-54-0-12-AB-c", m));
	CHECK(!memcmp(m, want, 6));
	CHECK(!addr_mac_parse("52:54-00:12:ab:0c", m)); /* mixed */
	CHECK(!addr_mac_parse("52:54:00:12:ab", m));
	CHECK(!addr_mac_parse("52:54:00:12:ab:0c:00", m));
	CHECK(!addr_mac_parse("52:54:00:12:ab:0cx", m));
	CHECK(!addr_mac_parse("152:54:00:12:ab:0c", m));
	CHECK(!addr_mac_parse("", m));
	CHECK(!addr_mac_parse("52::00:12:ab:0c", m));
	CHECK_STR_CONTAINS(addr_mac_fmt(want, buf), "52:54:00:12:ab:0c");
	CHECK(addr_mac_is_unicast(want));
	want[0] |= 1;
	CHECK(!addr_mac_is_unicast(want));
	memset(want, 0, 6);
	CHECK(!addr_mac_is_unicast(want));
}

/**
 * test_ip4() - dotted quads both ways, netmask prefix lengths
 */
static void test_ip4(void)
{
	uint32_t a = 0;
	char buf[ADDR_IP4_STRLEN];

	CHECK(addr_ip4_parse("192.168.105.1", &a));
	CHECK_EQ(a, 0xc0a86901u);
	CHECK(!addr_ip4_parse("192.168.105", &a));
	CHECK(!addr_ip4_parse("192.168.105.256", &a));
	CHECK(!addr_ip4_parse(" 1.2.3.4", &a));
	CHECK_STR_CONTAINS(addr_ip4_fmt(0xffffffffu, buf), "255.255.255.255");
	CHECK_EQ(addr_mask_plen(0xffffff00u), 24);
	CHECK_EQ(addr_mask_plen(0), 0);
	CHECK_EQ(addr_mask_plen(0xffffffffu), 32);
	CHECK_EQ(addr_mask_plen(0xff00ff00u), -1);
}

/**
 * test_err() - messages with and without errno, and their return value
 */
static void test_err(void)
{
	char e[64];

	CHECK_EQ(err_set(e, sizeof(e), "bad %d", 7), -1);
	CHECK_STR_CONTAINS(e, "bad 7");
	errno = ENOENT;
	CHECK_EQ(err_sys(e, sizeof(e), "open %s", "x"), -1);
	CHECK_STR_CONTAINS(e, "open x: ");
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(err_set(NULL, 0, "nowhere"), -1);
	err_set(e, 8, "truncated message");
	CHECK_EQ(strlen(e), 7);
}

/**
 * test_file() - a replacement appears whole, or not at all
 */
static void test_file(void)
{
	char dir[] = "/tmp/test_addr.XXXXXX", path[64], buf[64] = "";
	struct file_atomic f;
	int fd, keep = -1;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK_EQ(file_write_atomic(path, "one\n", 4, 0640), 0);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_mode & 0777, 0640);
	/* an abandoned replacement leaves the old content and no temp */
	CHECK_EQ(file_atomic_open(&f, path, 0644), 0);
	CHECK_EQ(file_atomic_write(&f, "two\n", 4), 0);
	file_atomic_abort(&f);
	CHECK(access(f.tmp, F_OK) < 0);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == 4);
	close(fd);
	CHECK_STR_CONTAINS(buf, "one");
	/* a committed one with the descriptor kept (the pidfile's way) */
	CHECK_EQ(file_atomic_open(&f, path, 0644), 0);
	CHECK_EQ(file_atomic_write(&f, "three\n", 6), 0);
	CHECK_EQ(file_atomic_commit(&f, &keep), 0);
	CHECK(keep >= 0 && fcntl(keep, F_GETFD) >= 0);
	close(keep);
	CHECK_EQ(stat(path, &st), 0);
	CHECK_EQ(st.st_size, 6);
	/* a directory that does not exist: an error, nothing written */
	snprintf(path, sizeof(path), "%s/none/f", dir);
	CHECK_EQ(file_write_atomic(path, "x", 1, 0644), -1);
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	CHECK_EQ(rmdir(dir), 0); /* nothing else was left */
}

static const struct unit_test tests[] = {
    {"mac", test_mac},
    {"ip4", test_ip4},
    {"err", test_err},
    {"file", test_file},
};

UNIT_MAIN("addr", tests)
