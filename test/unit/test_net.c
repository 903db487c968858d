/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the VM network's IPv4 plan (src/net.c): mode names, the
 * default subnet of each mode, and every check with a passing and a
 * failing case.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "net.h"
#include "unit.h"

#define IP(a, b, c, d)                                                         \
	((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 |      \
	 (uint32_t)(d))
#define MASK24 IP(255, 255, 255, 0)

static char err[256];

/**
 * reset_err() - fill the message buffer with junk before a call
 */
static void reset_err(void)
{
	memset(err, 'X', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
}

/**
 * plan() - a plan as the command line makes it
 * @gateway:	the gateway
 * @mask:	its netmask
 * @last:	last DHCP address, 0 for the default
 *
 * Return: the plan, DHCP starting right after the gateway
 */
static struct net_plan plan(uint32_t gateway, uint32_t mask, uint32_t last)
{
	struct net_plan p;

	net_plan_init(&p, gateway);
	p.mask = mask;
	if (last) {
		p.dhcp_last = last;
		p.last_is_default = false;
	}
	return p;
}

/**
 * test_mode_names() - names and parsing of every mode
 */
static void test_mode_names(void)
{
	static const enum net_mode modes[] = {NET_MODE_SHARED, NET_MODE_HOST,
					      NET_MODE_BRIDGED,
					      NET_MODE_ISOLATED};
	enum net_mode m;

	CHECK(strcmp(net_mode_name(NET_MODE_SHARED), "shared") == 0);
	CHECK(strcmp(net_mode_name(NET_MODE_HOST), "host") == 0);
	CHECK(strcmp(net_mode_name(NET_MODE_BRIDGED), "bridged") == 0);
	CHECK(strcmp(net_mode_name(NET_MODE_ISOLATED), "isolated") == 0);
	CHECK(strcmp(net_mode_name((enum net_mode)42), "unknown") == 0);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		m = (enum net_mode)42;
		CHECK_EQ(net_mode_parse(net_mode_name(modes[i]), &m), 0);
		CHECK_EQ(m, modes[i]);
	}
	m = NET_MODE_HOST;
	CHECK_EQ(net_mode_parse("Shared", &m), -1);
	CHECK_EQ(net_mode_parse("", &m), -1);
	CHECK_EQ(net_mode_parse("unknown", &m), -1);
	CHECK_EQ(m, NET_MODE_HOST);
	CHECK_EQ(NET_MODE_BIT(NET_MODE_SHARED), 1);
	CHECK_EQ(NET_MODE_BIT(NET_MODE_ISOLATED), 8);
}

/**
 * test_mode_default() - Lima's subnets for shared and host, none otherwise
 */
static void test_mode_default(void)
{
	struct in_addr gw = {0}, mask = {0}, end = {0};

	CHECK(net_mode_default(NET_MODE_SHARED, &gw, &mask, &end));
	CHECK_EQ(ntohl(gw.s_addr), IP(192, 168, 105, 1));
	CHECK_EQ(ntohl(mask.s_addr), MASK24);
	CHECK_EQ(ntohl(end.s_addr), IP(192, 168, 105, 254));
	CHECK(net_mode_default(NET_MODE_HOST, &gw, &mask, &end));
	CHECK_EQ(ntohl(gw.s_addr), IP(192, 168, 106, 1));
	CHECK_EQ(ntohl(mask.s_addr), MASK24);
	CHECK_EQ(ntohl(end.s_addr), IP(192, 168, 106, 254));

	gw.s_addr = mask.s_addr = end.s_addr = 0;
	CHECK(!net_mode_default(NET_MODE_BRIDGED, &gw, &mask, &end));
	CHECK(!net_mode_default(NET_MODE_ISOLATED, &gw, &mask, &end));
	CHECK_EQ(gw.s_addr, 0);
	CHECK_EQ(mask.s_addr, 0);
	CHECK_EQ(end.s_addr, 0);

	/* The defaults pass every check. */
	CHECK(net_mode_default(NET_MODE_SHARED, &gw, &mask, &end));
	struct net_plan p =
	    plan(ntohl(gw.s_addr), ntohl(mask.s_addr), ntohl(end.s_addr));
	CHECK_EQ(net_check_plan(&p, NET_WORDS_OPTIONS, err, sizeof(err)), 0);
}

/**
 * test_plan_init() - what a gateway alone implies
 */
static void test_plan_init(void)
{
	struct net_plan p;

	net_plan_init(&p, IP(10, 1, 2, 3));
	CHECK_EQ(p.gateway, IP(10, 1, 2, 3));
	CHECK_EQ(p.mask, NET_DEFAULT_MASK);
	CHECK_EQ(p.dhcp_first, IP(10, 1, 2, 4));
	CHECK_EQ(p.dhcp_last, IP(10, 1, 2, 254));
	CHECK(p.last_is_default);
	CHECK_EQ(net_broadcast(IP(10, 1, 2, 3), MASK24), IP(10, 1, 2, 255));
	CHECK_EQ(net_broadcast(IP(10, 1, 2, 3), IP(255, 255, 0, 0)),
		 IP(10, 1, 255, 255));
}

/**
 * test_check_mode() - bridged mode needs an interface and no gateway
 */
static void test_check_mode(void)
{
	CHECK_EQ(
	    net_check_mode(NET_MODE_BRIDGED, "en0", false, err, sizeof(err)),
	    0);
	CHECK_EQ(net_check_mode(NET_MODE_SHARED, NULL, true, err, sizeof(err)),
		 0);
	CHECK_EQ(
	    net_check_mode(NET_MODE_ISOLATED, NULL, false, err, sizeof(err)),
	    0);
	reset_err();
	CHECK_EQ(
	    net_check_mode(NET_MODE_BRIDGED, NULL, false, err, sizeof(err)),
	    -1);
	CHECK_STR_CONTAINS(err,
			   "--vmnet-mode=bridged requires --vmnet-interface");
	CHECK_EQ(net_check_mode(NET_MODE_BRIDGED, "", false, err, sizeof(err)),
		 -1);
	reset_err();
	CHECK_EQ(
	    net_check_mode(NET_MODE_BRIDGED, "en0", true, err, sizeof(err)),
	    -1);
	CHECK_STR_CONTAINS(
	    err, "--vmnet-mode=bridged conflicts with --vmnet-gateway");
}

/**
 * test_check_mask() - contiguous and not empty
 */
static void test_check_mask(void)
{
	CHECK_EQ(net_check_mask(MASK24, NET_WORDS_OPTIONS, err, sizeof(err)),
		 0);
	CHECK_EQ(net_check_mask(IP(128, 0, 0, 0), NET_WORDS_OPTIONS, err,
				sizeof(err)),
		 0);
	CHECK_EQ(
	    net_check_mask(0xffffffffu, NET_WORDS_OPTIONS, err, sizeof(err)),
	    0);
	reset_err();
	CHECK_EQ(net_check_mask(IP(255, 0, 255, 0), NET_WORDS_OPTIONS, err,
				sizeof(err)),
		 -1);
	CHECK_STR_CONTAINS(err, "--vmnet-mask=255.0.255.0 is not a contiguous "
				"netmask like 255.255.255.0");
	reset_err();
	CHECK_EQ(net_check_mask(0, NET_WORDS_OPTIONS, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-mask=0.0.0.0 leaves no network part");
	reset_err();
	CHECK_EQ(net_check_mask(IP(0, 255, 255, 255), NET_WORDS_PLAIN, err,
				sizeof(err)),
		 -1);
	CHECK_STR_CONTAINS(err, "mask 0.255.255.255 is not a contiguous");
	CHECK(strstr(err, "--vmnet") == NULL);
}

/**
 * test_check_subnet() - the gateway is a unicast host of its subnet
 */
static void test_check_subnet(void)
{
	static const struct {
		uint32_t gw, mask;
		const char *msg;
	} bad[] = {
	    {IP(224, 0, 0, 1), MASK24, "224.0.0.1 is not a unicast address"},
	    {IP(255, 255, 255, 1), MASK24, "not a unicast address"},
	    {IP(192, 168, 105, 0), MASK24,
	     "192.168.105.0 is the network address of 192.168.105.0/24"},
	    {IP(192, 168, 105, 255), MASK24,
	     "192.168.105.255 is the broadcast address of 192.168.105.0/24"},
	    {IP(0, 0, 0, 0), MASK24, "network address"},
	    {IP(10, 0, 0, 1), 0xffffffffu, "network address of 10.0.0.1/32"},
	    {IP(10, 0, 0, 1), 0xfffffffeu, "broadcast address of 10.0.0.0/31"},
	    {IP(127, 0, 0, 1), MASK24,
	     "127.0.0.1 is not a host address (0.0.0.0/8 and 127.0.0.0/8 "
	     "are reserved)"},
	    {IP(0, 1, 2, 3), MASK24, "0.1.2.3 is not a host address"},
	    {IP(10, 0, 0, 1), IP(255, 0, 255, 0), "not a contiguous netmask"},
	};

	CHECK_EQ(net_check_subnet(IP(192, 168, 105, 1), MASK24,
				  NET_WORDS_OPTIONS, err, sizeof(err)),
		 0);
	CHECK_EQ(net_check_subnet(IP(10, 0, 0, 1), IP(255, 255, 255, 252),
				  NET_WORDS_OPTIONS, err, sizeof(err)),
		 0);
	CHECK_EQ(net_check_subnet(IP(10, 255, 255, 254), IP(255, 0, 0, 0),
				  NET_WORDS_PLAIN, err, sizeof(err)),
		 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reset_err();
		CHECK_EQ(net_check_subnet(bad[i].gw, bad[i].mask,
					  NET_WORDS_OPTIONS, err, sizeof(err)),
			 -1);
		CHECK_STR_CONTAINS(err, bad[i].msg);
	}
	reset_err();
	CHECK_EQ(net_check_subnet(IP(127, 0, 0, 1), MASK24, NET_WORDS_OPTIONS,
				  err, sizeof(err)),
		 -1);
	CHECK_STR_CONTAINS(err, "--vmnet-gateway=127.0.0.1");
	reset_err();
	CHECK_EQ(net_check_subnet(IP(127, 0, 0, 1), MASK24, NET_WORDS_PLAIN,
				  err, sizeof(err)),
		 -1);
	CHECK_STR_CONTAINS(err, "gateway 127.0.0.1 is not a host address");
}

/**
 * test_check_range() - the DHCP range lies inside the subnet, not empty
 */
static void test_check_range(void)
{
	struct net_plan p = plan(IP(192, 168, 105, 1), MASK24, 0);

	CHECK_EQ(net_check_range(&p, NET_WORDS_OPTIONS, err, sizeof(err)), 0);
	p = plan(IP(10, 0, 0, 1), IP(255, 255, 255, 252), IP(10, 0, 0, 2));
	CHECK_EQ(net_check_range(&p, NET_WORDS_OPTIONS, err, sizeof(err)), 0);
	/* The range need not start after the gateway. */
	p = plan(IP(192, 168, 105, 100), MASK24, IP(192, 168, 105, 50));
	p.dhcp_first = IP(192, 168, 105, 10);
	CHECK_EQ(net_check_range(&p, NET_WORDS_PLAIN, err, sizeof(err)), 0);

	reset_err();
	p = plan(IP(192, 168, 105, 1), MASK24, IP(192, 168, 106, 10));
	CHECK_EQ(net_check_range(&p, NET_WORDS_OPTIONS, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-dhcp-end=192.168.106.10 is outside "
				"192.168.105.0/24, the subnet of "
				"--vmnet-gateway=192.168.105.1");
	reset_err();
	CHECK_EQ(net_check_range(&p, NET_WORDS_PLAIN, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "DHCP range end 192.168.106.10 is outside");

	reset_err();
	p = plan(IP(192, 168, 1, 1), IP(255, 255, 255, 128), 0);
	CHECK_EQ(net_check_range(&p, NET_WORDS_OPTIONS, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-dhcp-end=192.168.1.254 (the default) "
				"is outside 192.168.1.0/25");

	reset_err();
	p = plan(IP(192, 168, 105, 1), MASK24, IP(192, 168, 105, 255));
	CHECK_EQ(net_check_range(&p, NET_WORDS_OPTIONS, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-dhcp-end=192.168.105.255 is the "
				"broadcast address of 192.168.105.0/24");

	reset_err();
	p = plan(IP(192, 168, 105, 100), MASK24, IP(192, 168, 105, 50));
	CHECK_EQ(net_check_range(&p, NET_WORDS_OPTIONS, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-dhcp-end=192.168.105.50 must be "
				"greater than --vmnet-gateway=192.168.105.100");
	reset_err();
	p = plan(IP(192, 168, 105, 254), MASK24, 0);
	CHECK_EQ(net_check_range(&p, NET_WORDS_OPTIONS, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "(the default) must be greater than");

	reset_err();
	p = plan(IP(192, 168, 105, 1), MASK24, IP(192, 168, 105, 40));
	p.dhcp_first = IP(192, 168, 105, 50);
	CHECK_EQ(net_check_range(&p, NET_WORDS_PLAIN, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err,
			   "DHCP range 192.168.105.50-192.168.105.40 is empty");

	reset_err();
	p = plan(IP(192, 168, 105, 1), MASK24, IP(192, 168, 105, 40));
	p.dhcp_first = IP(192, 168, 105, 0);
	CHECK_EQ(net_check_range(&p, NET_WORDS_PLAIN, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "DHCP range 192.168.105.0-192.168.105.40 is "
				"not inside 192.168.105.0/24");
	p.dhcp_first = IP(192, 168, 104, 200);
	CHECK_EQ(net_check_range(&p, NET_WORDS_PLAIN, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "is not inside");
}

/**
 * test_check_plan() - subnet first, then range
 */
static void test_check_plan(void)
{
	struct net_plan p =
	    plan(IP(10, 1, 0, 1), IP(255, 255, 0, 0), IP(10, 1, 200, 7));

	CHECK_EQ(net_check_plan(&p, NET_WORDS_OPTIONS, err, sizeof(err)), 0);
	reset_err();
	p = plan(IP(10, 1, 0, 0), IP(255, 255, 0, 0), IP(10, 2, 0, 0));
	CHECK_EQ(net_check_plan(&p, NET_WORDS_OPTIONS, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "is the network address");
	reset_err();
	p = plan(IP(10, 1, 0, 1), IP(255, 255, 0, 0), IP(10, 2, 0, 0));
	CHECK_EQ(net_check_plan(&p, NET_WORDS_OPTIONS, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "is outside 10.1.0.0/16");
	/* NULL buffer is allowed. */
	CHECK_EQ(net_check_plan(&p, NET_WORDS_OPTIONS, NULL, 0), -1);
}

/**
 * test_pool_size() - the range against what a server can manage
 */
static void test_pool_size(void)
{
	struct net_plan p = plan(IP(192, 168, 105, 1), MASK24, 0);

	CHECK_EQ(net_pool_size(&p, 0, 65536), 253);
	CHECK_EQ(net_pool_size(&p, 300, 65536), 300);
	CHECK_EQ(net_pool_size(&p, 2, 65536), 2); /* warns */
	CHECK_EQ(net_pool_size(&p, 0, 100), 100); /* warns */
	CHECK_EQ(net_pool_size(&p, 500, 100), 100);
	p = plan(IP(10, 0, 0, 1), IP(255, 0, 0, 0), IP(10, 255, 255, 254));
	CHECK_EQ(net_pool_size(&p, 0, 65536), 65536);
	p = plan(IP(10, 0, 0, 1), IP(255, 255, 255, 252), IP(10, 0, 0, 2));
	CHECK_EQ(net_pool_size(&p, 0, 65536), 1);
}

static const struct unit_test tests[] = {
    {"mode_names", test_mode_names},   {"mode_default", test_mode_default},
    {"plan_init", test_plan_init},     {"check_mode", test_check_mode},
    {"check_mask", test_check_mask},   {"check_subnet", test_check_subnet},
    {"check_range", test_check_range}, {"check_plan", test_check_plan},
    {"pool_size", test_pool_size},
};

UNIT_MAIN("net", tests)
