/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of port forwards (fwd.c): the one parser of
 * [tcp:|udp:][HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT, its printer, the
 * checks against the network plan, conflicts, the set and the busy-port
 * probe.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "fwd.h"
#include "unit.h"

#define GW   0xc0a86901u /* 192.168.105.1 */
#define MASK 0xffffff00u

/**
 * parse_ok() - parse a spec that must be accepted
 * @text:	the spec
 * @f:		filled in
 *
 * Return: true if fwd_parse() accepted it without a message
 */
static bool parse_ok(const char *text, struct fwd_spec *f)
{
	char err[256] = "";

	if (fwd_parse(text, f, err, sizeof(err)) < 0) {
		fprintf(stderr, "refused %s: %s\n", text, err);
		return false;
	}
	return err[0] == '\0';
}

/**
 * test_parse_forms() - every accepted form and its defaults
 */
static void test_parse_forms(void)
{
	struct fwd_spec f;

	CHECK(parse_ok("8080:192.168.105.2:80", &f));
	CHECK_EQ(f.proto, FWD_TCP);
	CHECK_EQ(f.host_addr, 0x7f000001u);
	CHECK_EQ(f.host_port, 8080);
	CHECK_EQ(f.guest_addr, 0xc0a86902u);
	CHECK_EQ(f.guest_port, 80);
	CHECK(parse_ok("udp:5353:192.168.105.9:53", &f));
	CHECK_EQ(f.proto, FWD_UDP);
	CHECK_EQ(f.host_addr, 0x7f000001u);
	CHECK(parse_ok("tcp:0.0.0.0:2222:192.168.105.3:22", &f));
	CHECK_EQ(f.proto, FWD_TCP);
	CHECK_EQ(f.host_addr, 0);
	CHECK_EQ(f.host_port, 2222);
	CHECK(parse_ok("10.1.2.3:1:192.168.105.3:65535", &f));
	CHECK_EQ(f.host_addr, 0x0a010203u);
	CHECK_EQ(f.host_port, 1);
	CHECK_EQ(f.guest_port, 65535);
}

/**
 * test_parse_errors() - malformed specs are refused with a message naming
 * the bad part
 */
static void test_parse_errors(void)
{
	static const struct {
		const char *text;
		const char *says;
	} bad[] = {
	    {"", "is not"},
	    {"8080", "is not"},
	    {"8080:80", "is not"},
	    {"tcp:8080:80", "is not"},
	    {"1.2.3.4:5:6.7.8.9:10:11", "is not"},
	    {"tcp:udp:1:192.168.105.2:2", "bad host address"},
	    {"sctp:1:192.168.105.2:2", "bad host address"},
	    {"0:192.168.105.2:80", "bad host port"},
	    {"65536:192.168.105.2:80", "bad host port"},
	    {"-1:192.168.105.2:80", "bad host port"},
	    {"+80:192.168.105.2:80", "bad host port"},
	    {"80x:192.168.105.2:80", "bad host port"},
	    {"000080:192.168.105.2:80", "bad host port"},
	    {"8080:192.168.105:80", "bad guest address"},
	    {"8080:0.0.0.0:80", "bad guest address"},
	    {"8080:host:80", "bad guest address"},
	    {"8080:192.168.105.2:0", "bad guest port"},
	    {"8080:192.168.105.2:", "bad guest port"},
	    {"1.2.3:8080:192.168.105.2:80", "bad host address"},
	    {"TCP:8080:192.168.105.2:80", "bad host address"},
	    {"tcp:8080:192.168.105.2:80 ", "bad guest port"},
	    {"tcp:127.0.0.1:8080:192.168.105.2:80:aaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	     "aaaaaaaaaaaaaaaaaaaa",
	     "too long"},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fwd_spec f;
		char err[256] = "";

		CHECK_EQ(fwd_parse(bad[i].text, &f, err, sizeof(err)), -1);
		CHECK_STR_CONTAINS(err, bad[i].says);
	}
}

/**
 * test_format() - the printed form is the full form, and reads back
 */
static void test_format(void)
{
	struct fwd_spec f, g;
	char buf[FWD_STRLEN];

	CHECK(parse_ok("8080:192.168.105.2:80", &f));
	CHECK_STR_CONTAINS(fwd_format(&f, buf),
			   "tcp:127.0.0.1:8080:192.168.105.2:80");
	CHECK(parse_ok(buf, &g));
	CHECK(!memcmp(&f, &g, sizeof(f)));
	CHECK(parse_ok("udp:255.255.255.255:65535:255.255.255.254:65535", &f));
	CHECK_EQ(strlen(fwd_format(&f, buf)), FWD_STRLEN - 1);
	CHECK(fwd_host_is_loopback(&g));
	CHECK(parse_ok("0.0.0.0:1:192.168.105.2:1", &f));
	CHECK(!fwd_host_is_loopback(&f));
}

/**
 * test_check_net() - the guest address must be a guest's of the network
 */
static void test_check_net(void)
{
	struct fwd_spec f;
	char err[256];

	CHECK(parse_ok("1:192.168.105.2:1", &f));
	CHECK_EQ(fwd_check_net(&f, GW, MASK, err, sizeof(err)), 0);
	CHECK(parse_ok("1:192.168.105.254:1", &f));
	CHECK_EQ(fwd_check_net(&f, GW, MASK, err, sizeof(err)), 0);
	CHECK(parse_ok("1:192.168.106.2:1", &f));
	CHECK_EQ(fwd_check_net(&f, GW, MASK, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "not on the VM network 192.168.105.0/24");
	CHECK(parse_ok("1:192.168.105.0:1", &f));
	CHECK_EQ(fwd_check_net(&f, GW, MASK, err, sizeof(err)), -1);
	CHECK(parse_ok("1:192.168.105.255:1", &f));
	CHECK_EQ(fwd_check_net(&f, GW, MASK, err, sizeof(err)), -1);
	CHECK(parse_ok("1:192.168.105.1:1", &f));
	CHECK_EQ(fwd_check_net(&f, GW, MASK, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "gateway");
}

/**
 * test_set() - conflicts, lookup by host side, removal in order
 */
static void test_set(void)
{
	struct fwd_set s = {.n = 0};
	struct fwd_spec a, b, c, d, e;
	char err[256];

	CHECK(parse_ok("8080:192.168.105.2:80", &a));
	CHECK(parse_ok("udp:8080:192.168.105.2:80", &b));
	CHECK(parse_ok("10.0.0.1:8080:192.168.105.3:80", &c));
	CHECK(parse_ok("0.0.0.0:8080:192.168.105.4:80", &d));
	CHECK(parse_ok("8080:192.168.105.9:81", &e));
	CHECK_EQ(fwd_set_add(&s, &a, err, sizeof(err)), 0);
	CHECK_EQ(fwd_set_add(&s, &b, err, sizeof(err)), 0);  /* udp */
	CHECK_EQ(fwd_set_add(&s, &c, err, sizeof(err)), 0);  /* other addr */
	CHECK_EQ(fwd_set_add(&s, &d, err, sizeof(err)), -1); /* all addrs */
	CHECK_STR_CONTAINS(err, "taken by forward tcp:127.0.0.1:8080");
	CHECK_EQ(fwd_set_add(&s, &e, err, sizeof(err)), -1); /* same port */
	CHECK_EQ(s.n, 3);
	CHECK(fwd_conflict(&a, &e));
	CHECK(fwd_conflict(&d, &c));
	CHECK(!fwd_conflict(&a, &b));
	CHECK(!fwd_conflict(&a, &c));
	CHECK_EQ(fwd_set_find(&s, &e), 0); /* same host side as a */
	CHECK_EQ(fwd_set_find(&s, &c), 2);
	CHECK_EQ(fwd_set_find(&s, &d), -1);
	fwd_set_remove(&s, 0);
	CHECK_EQ(s.n, 2);
	CHECK_EQ(s.f[0].proto, FWD_UDP);
	CHECK_EQ(fwd_set_find(&s, &c), 1);
	fwd_set_remove(&s, 5); /* out of range: nothing */
	CHECK_EQ(s.n, 2);
	for (unsigned int i = s.n; i < FWD_MAX; i++) {
		a.host_port = (uint16_t)(10000 + i);
		CHECK_EQ(fwd_set_add(&s, &a, err, sizeof(err)), 0);
	}
	a.host_port = 9999;
	CHECK_EQ(fwd_set_add(&s, &a, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "too many");
}

/**
 * test_probe() - a free port is taken, one in use is reported as such
 */
static void test_probe(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t len = sizeof(sa);
	struct fwd_spec f;
	char err[256] = "";
	int l, s;

	l = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(l >= 0 && bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(listen(l, 1) == 0);
	CHECK(getsockname(l, (struct sockaddr *)&sa, &len) == 0);
	CHECK(parse_ok("1:192.168.105.2:1", &f));
	f.host_port = ntohs(sa.sin_port);
	CHECK_EQ(fwd_probe(&f, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "already in use");
	f.proto = FWD_UDP; /* the same number in UDP is free */
	s = fwd_probe(&f, err, sizeof(err));
	CHECK(s >= 0);
	if (s >= 0)
		close(s);
	close(l);
	f.proto = FWD_TCP; /* and now the TCP port too */
	s = fwd_probe(&f, err, sizeof(err));
	CHECK(s >= 0);
	if (s >= 0)
		close(s);
}

static const struct unit_test tests[] = {
    {"parse_forms", test_parse_forms},
    {"parse_errors", test_parse_errors},
    {"format", test_format},
    {"check_net", test_check_net},
    {"set", test_set},
    {"probe", test_probe},
};

UNIT_MAIN("fwd", tests)
