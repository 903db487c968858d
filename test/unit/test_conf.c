/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests for the command line parser (src/conf.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/un.h>

#include "conf.h"
#include "uplink.h"
#include "unit.h"

#define MAX_ARGS (2 * CONF_MAX_FDS + 16)
#define SUN_MAX	 (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

static struct conf c;
static char err[512];
static char *argv_buf[MAX_ARGS];

/**
 * parse_list() - run conf_parse() on a NULL-terminated list of arguments
 * @args:	arguments after the program name
 *
 * Fills the globals c and err.
 *
 * Return: what conf_parse() returned.
 */
static enum conf_result parse_list(const char *const *args)
{
	int argc = 0;

	argv_buf[argc++] = (char *)"socket_vmnet";
	for (; *args && argc < MAX_ARGS - 1; args++)
		argv_buf[argc++] = (char *)*args;
	argv_buf[argc] = NULL;
	memset(err, 'X', sizeof(err) - 1);
	err[sizeof(err) - 1] = '\0';
	return conf_parse(&c, argc, argv_buf, err, sizeof(err));
}

#define PARSE(...) parse_list((const char *const[]){__VA_ARGS__, NULL})

/**
 * expect_error() - check that arguments are refused with a message
 * @args:	arguments after the program name, NULL-terminated
 * @needle:	text the message must contain
 * @line:	caller's line, for the failure report
 */
static void expect_error(const char *const *args, const char *needle, int line)
{
	enum conf_result r = parse_list(args);

	if (r != CONF_ERROR)
		fprintf(stderr, "%s:%d: (called from here)\n", __FILE__, line);
	CHECK_EQ(r, CONF_ERROR);
	CHECK_STR_CONTAINS(err, needle);
	CHECK(strchr(err, '\n') == NULL);
}

#define EXPECT_ERROR(needle, ...)                                              \
	expect_error((const char *const[]){__VA_ARGS__, NULL}, needle, __LINE__)

/**
 * ip() - an IPv4 address in network byte order, for comparisons
 * @text:	dotted quad
 *
 * Return: the address as stored in struct in_addr.
 */
static uint32_t ip(const char *text)
{
	struct in_addr a;

	if (inet_pton(AF_INET, text, &a) != 1)
		abort();
	return a.s_addr;
}

/**
 * test_defaults() - one SOCKET and nothing else
 */
static void test_defaults(void)
{
	unsetenv("DEBUG");
	CHECK_EQ(PARSE("/tmp/sv.sock"), CONF_OK);
	CHECK_EQ(err[0], '\0');
	CHECK(c.socket_path && strcmp(c.socket_path, "/tmp/sv.sock") == 0);
	CHECK(c.socket_group == NULL);
	CHECK_EQ(c.mode, NET_MODE_SHARED);
	CHECK(c.vmnet_interface == NULL);
	CHECK(!c.have_gateway);
	CHECK(c.interface_id == NULL);
	CHECK(c.network_identifier == NULL);
	CHECK(c.nat66_prefix == NULL);
	CHECK(c.pidfile == NULL);
	CHECK(c.dgram_path == NULL);
	CHECK_EQ(c.nfds, 0);
	CHECK_EQ(c.max_frame, CONF_DEFAULT_MAX_FRAME);
	CHECK_EQ(c.max_frame, 65549);
	CHECK_EQ(c.queue_size, CONF_DEFAULT_QUEUE);
	CHECK_EQ(c.max_ports, 1024);
	CHECK_EQ(c.mac_age, 300);
	CHECK(!c.debug);
}

/**
 * test_upstream_flags() - every flag upstream socket_vmnet has
 */
static void test_upstream_flags(void)
{
	CHECK_EQ(
	    PARSE("--socket-group=kvm", "--vmnet-mode=host",
		  "--vmnet-interface=en0", "--vmnet-gateway=192.168.106.1",
		  "--vmnet-dhcp-end=192.168.106.100",
		  "--vmnet-mask=255.255.255.0",
		  "--vmnet-interface-id=1B4E28BA-2FA1-11d2-883f-0016d3cca427",
		  "--vmnet-network-identifier="
		  "99eddb74-3193-48e3-bafb-b3ca99e949c1",
		  "--vmnet-nat66-prefix=fd00:1:2:3::", "--pidfile=/run/sv.pid",
		  "/run/sv.sock"),
	    CONF_OK);
	CHECK(strcmp(c.socket_group, "kvm") == 0);
	CHECK_EQ(c.mode, NET_MODE_HOST);
	CHECK(strcmp(c.vmnet_interface, "en0") == 0);
	CHECK(c.have_gateway);
	CHECK_EQ(c.gateway.s_addr, ip("192.168.106.1"));
	CHECK_EQ(c.dhcp_end.s_addr, ip("192.168.106.100"));
	CHECK_EQ(c.mask.s_addr, ip("255.255.255.0"));
	CHECK(strcmp(c.interface_id, "1B4E28BA-2FA1-11d2-883f-0016d3cca427") ==
	      0);
	CHECK(strcmp(c.network_identifier,
		     "99eddb74-3193-48e3-bafb-b3ca99e949c1") == 0);
	CHECK(strcmp(c.nat66_prefix, "fd00:1:2:3::") == 0);
	CHECK(strcmp(c.pidfile, "/run/sv.pid") == 0);
	CHECK(strcmp(c.socket_path, "/run/sv.sock") == 0);
}

/**
 * test_modes() - every --vmnet-mode value
 */
static void test_modes(void)
{
	CHECK_EQ(PARSE("--vmnet-mode=shared", "s"), CONF_OK);
	CHECK_EQ(c.mode, NET_MODE_SHARED);
	CHECK_EQ(PARSE("--vmnet-mode=host", "s"), CONF_OK);
	CHECK_EQ(c.mode, NET_MODE_HOST);
	CHECK_EQ(PARSE("--vmnet-mode=bridged", "--vmnet-interface=en0", "s"),
		 CONF_OK);
	CHECK_EQ(c.mode, NET_MODE_BRIDGED);
	CHECK_EQ(PARSE("--vmnet-mode", "isolated", "s"), CONF_OK);
	CHECK_EQ(c.mode, NET_MODE_ISOLATED);
	/* Long options may be abbreviated while unambiguous. */
	CHECK_EQ(PARSE("--vmnet-mo=host", "s"), CONF_OK);
	CHECK_EQ(c.mode, NET_MODE_HOST);
	EXPECT_ERROR("unknown --vmnet-mode \"nat\"", "--vmnet-mode=nat", "s");
	EXPECT_ERROR("\"Shared\"", "--vmnet-mode=Shared", "s");
	EXPECT_ERROR("unknown --vmnet-mode \"\"", "--vmnet-mode=", "s");
}

/**
 * test_mode_name() - net_mode_name() for every mode
 */
static void test_mode_name(void)
{
	CHECK(strcmp(net_mode_name(NET_MODE_SHARED), "shared") == 0);
	CHECK(strcmp(net_mode_name(NET_MODE_HOST), "host") == 0);
	CHECK(strcmp(net_mode_name(NET_MODE_BRIDGED), "bridged") == 0);
	CHECK(strcmp(net_mode_name(NET_MODE_ISOLATED), "isolated") == 0);
	CHECK(strcmp(net_mode_name((enum net_mode)42), "unknown") == 0);
}

/**
 * test_pidfile_forms() - the ways getopt lets -p/--pidfile be written
 */
static void test_pidfile_forms(void)
{
	CHECK_EQ(PARSE("-p", "/a", "s"), CONF_OK);
	CHECK(strcmp(c.pidfile, "/a") == 0);
	CHECK_EQ(PARSE("-p/b", "s"), CONF_OK);
	CHECK(strcmp(c.pidfile, "/b") == 0);
	CHECK_EQ(PARSE("--pidfile", "/c", "s"), CONF_OK);
	CHECK(strcmp(c.pidfile, "/c") == 0);
	CHECK_EQ(PARSE("--pidfile=/d", "s"), CONF_OK);
	CHECK(strcmp(c.pidfile, "/d") == 0);
	EXPECT_ERROR("--pidfile must not be empty", "--pidfile=", "s");
	EXPECT_ERROR("option -p requires an argument", "s", "-p");
	EXPECT_ERROR("option --pidfile requires an argument", "s", "--pidfile");
}

/**
 * test_options_after_socket() - options may follow SOCKET, as upstream
 */
static void test_options_after_socket(void)
{
	CHECK_EQ(PARSE("/tmp/s", "--vmnet-mode=isolated", "--debug"), CONF_OK);
	CHECK(strcmp(c.socket_path, "/tmp/s") == 0);
	CHECK_EQ(c.mode, NET_MODE_ISOLATED);
	CHECK(c.debug);
	/* After "--" a SOCKET may start with a dash. */
	CHECK_EQ(PARSE("--", "-odd"), CONF_OK);
	CHECK(strcmp(c.socket_path, "-odd") == 0);
}

/**
 * test_last_wins() - a repeated single-value option keeps the last value
 */
static void test_last_wins(void)
{
	CHECK_EQ(PARSE("--vmnet-mode=host", "--vmnet-mode=isolated",
		       "--max-ports=5", "--max-ports=7", "-p", "/a", "-p", "/b",
		       "s"),
		 CONF_OK);
	CHECK_EQ(c.mode, NET_MODE_ISOLATED);
	CHECK_EQ(c.max_ports, 7);
	CHECK(strcmp(c.pidfile, "/b") == 0);
}

/**
 * test_reparse_resets() - a second parse starts again from the defaults
 */
static void test_reparse_resets(void)
{
	CHECK_EQ(PARSE("--fd=5", "--max-frame=1514", "--debug",
		       "--vmnet-gateway=10.0.0.1", "-p", "/x", "s"),
		 CONF_OK);
	CHECK_EQ(PARSE("s"), CONF_OK);
	CHECK_EQ(c.nfds, 0);
	CHECK_EQ(c.max_frame, CONF_DEFAULT_MAX_FRAME);
	CHECK(!c.have_gateway);
	CHECK(c.pidfile == NULL);
	CHECK(!c.debug || getenv("DEBUG"));
}

/**
 * test_our_flags() - the flags this implementation adds
 */
static void test_our_flags(void)
{
	unsetenv("DEBUG");
	CHECK_EQ(PARSE("--dgram-socket=/tmp/d", "--fd=3", "--fd", "10",
		       "--max-frame=1514", "--queue-size=64K", "--max-ports=16",
		       "--mac-age=60", "--debug", "/tmp/s"),
		 CONF_OK);
	CHECK(strcmp(c.dgram_path, "/tmp/d") == 0);
	CHECK_EQ(c.nfds, 2);
	CHECK_EQ(c.fds[0], 3);
	CHECK_EQ(c.fds[1], 10);
	CHECK_EQ(c.max_frame, 1514);
	CHECK_EQ(c.queue_size, 65536);
	CHECK_EQ(c.max_ports, 16);
	CHECK_EQ(c.mac_age, 60);
	CHECK(c.debug);
}

/**
 * test_help_version() - -h and -v win as soon as they are met
 */
static void test_help_version(void)
{
	CHECK_EQ(PARSE("-h"), CONF_HELP);
	CHECK_EQ(PARSE("--help"), CONF_HELP);
	CHECK_EQ(PARSE("-v"), CONF_VERSION);
	CHECK_EQ(PARSE("--version"), CONF_VERSION);
	CHECK_EQ(PARSE("--vers"), CONF_VERSION);
	/* No SOCKET needed, later errors not looked at. */
	CHECK_EQ(PARSE("-h", "--vmnet-mode=bogus", "a", "b"), CONF_HELP);
	CHECK_EQ(PARSE("s", "-v", "--max-frame=1"), CONF_VERSION);
	/* An error met before them still counts. */
	EXPECT_ERROR("unknown --vmnet-mode", "--vmnet-mode=bogus", "-h");
	EXPECT_ERROR("--help does not take an argument", "--help=yes");
	EXPECT_ERROR("--version does not take an argument", "--version=1");
}

/**
 * test_bad_options() - unknown, ambiguous and misused options
 */
static void test_bad_options(void)
{
	EXPECT_ERROR("unknown or ambiguous option --bogus", "--bogus", "s");
	EXPECT_ERROR("unknown or ambiguous option --vmnet", "--vmnet=x", "s");
	EXPECT_ERROR("unknown option -x", "-x", "s");
	EXPECT_ERROR("unknown option -z", "-zv", "s");
	EXPECT_ERROR("option --debug does not take an argument", "--debug=1",
		     "s");
	EXPECT_ERROR("option --fd requires an argument", "s", "--fd");
	EXPECT_ERROR("option --vmnet-gateway requires an argument", "s",
		     "--vmnet-gateway");
}

/**
 * test_positional() - SOCKET count and --fd-only configurations
 */
static void test_positional(void)
{
	EXPECT_ERROR("missing SOCKET", "--debug");
	EXPECT_ERROR("missing SOCKET", "--dgram-socket=/tmp/d");
	EXPECT_ERROR("unexpected argument \"b\"", "a", "b");
	EXPECT_ERROR("only one SOCKET", "a", "--debug", "b");
	EXPECT_ERROR("SOCKET must not be empty", "");
	CHECK_EQ(PARSE("--fd=4"), CONF_OK);
	CHECK(c.socket_path == NULL);
	CHECK_EQ(c.nfds, 1);
	CHECK_EQ(c.fds[0], 4);
	CHECK_EQ(PARSE("--fd=4", "s"), CONF_OK);
	CHECK(strcmp(c.socket_path, "s") == 0);
	CHECK_EQ(PARSE("--fd=4", "--dgram-socket=/tmp/d"), CONF_OK);
	EXPECT_ERROR("unexpected argument", "--fd=4", "a", "b");
}

/**
 * test_path_length() - paths must fit in sockaddr_un.sun_path
 */
static void test_path_length(void)
{
	static char fits[SUN_MAX + 1], toolong[SUN_MAX + 2];
	static char dgram_opt[SUN_MAX + 32];

	CHECK_EQ(SUN_MAX, 107);
	memset(fits, 'a', SUN_MAX);
	fits[0] = '/';
	fits[SUN_MAX] = '\0';
	memset(toolong, 'b', SUN_MAX + 1);
	toolong[0] = '/';
	toolong[SUN_MAX + 1] = '\0';

	CHECK_EQ(PARSE(fits), CONF_OK);
	CHECK_EQ(strlen(c.socket_path), 107);
	EXPECT_ERROR("socket path too long (max 107 bytes)", toolong);

	snprintf(dgram_opt, sizeof(dgram_opt), "--dgram-socket=%s", fits);
	CHECK_EQ(PARSE(dgram_opt, "s"), CONF_OK);
	snprintf(dgram_opt, sizeof(dgram_opt), "--dgram-socket=%s", toolong);
	EXPECT_ERROR("socket path too long (max 107 bytes)", dgram_opt, "s");
	EXPECT_ERROR("--dgram-socket", dgram_opt, "s");
	EXPECT_ERROR("--dgram-socket must not be empty",
		     "--dgram-socket=", "s");
	EXPECT_ERROR("--dgram-socket must differ from SOCKET",
		     "--dgram-socket=/tmp/x", "/tmp/x");
}

/**
 * test_control() - the control socket's path: default, given, none
 */
static void test_control(void)
{
	static char longest[SUN_MAX + 1];

	CHECK_EQ(PARSE("/run/s"), CONF_OK);
	CHECK(c.control_path && !strcmp(c.control_path, "/run/s.ctl"));
	CHECK_EQ(PARSE("--control=/run/c", "--control-group=g", "--pcap=/f",
		       "/run/s"),
		 CONF_OK);
	CHECK(!strcmp(c.control_path, "/run/c") &&
	      !strcmp(c.control_group, "g") && !strcmp(c.pcap_path, "/f"));
	CHECK_EQ(PARSE("--control=none", "/run/s"), CONF_OK);
	CHECK(!c.control_path);
	CHECK_EQ(PARSE("--fd=3"), CONF_OK);
	CHECK(!c.control_path);
	CHECK_EQ(PARSE("--fd=3", "--control=/run/c"), CONF_OK);
	CHECK(c.control_path && !strcmp(c.control_path, "/run/c"));
	EXPECT_ERROR("--control must differ", "--control=/run/s", "/run/s");
	memset(longest, 'a', SUN_MAX);
	longest[0] = '/';
	CHECK_EQ(PARSE(longest), CONF_OK); /* no room for .ctl: none */
	CHECK(!c.control_path && c.control_too_long);
}

/**
 * test_gateway_defaults() - dhcp-end and mask derived from the gateway
 */
static void test_gateway_defaults(void)
{
	CHECK_EQ(PARSE("--vmnet-gateway=192.168.105.1", "s"), CONF_OK);
	CHECK(c.have_gateway);
	CHECK_EQ(c.gateway.s_addr, ip("192.168.105.1"));
	CHECK_EQ(c.dhcp_end.s_addr, ip("192.168.105.254"));
	CHECK_EQ(c.mask.s_addr, ip("255.255.255.0"));

	/* The default end is .254 of the gateway's /24, whatever the mask. */
	CHECK_EQ(
	    PARSE("--vmnet-gateway=10.1.2.3", "--vmnet-mask=255.255.0.0", "s"),
	    CONF_OK);
	CHECK_EQ(c.dhcp_end.s_addr, ip("10.1.2.254"));
	CHECK_EQ(c.mask.s_addr, ip("255.255.0.0"));

	/* An explicit end may lie beyond that /24 when the mask allows. */
	CHECK_EQ(PARSE("--vmnet-gateway=10.1.0.1", "--vmnet-mask=255.255.0.0",
		       "--vmnet-dhcp-end=10.1.200.7", "s"),
		 CONF_OK);
	CHECK_EQ(c.dhcp_end.s_addr, ip("10.1.200.7"));

	/* Upper half of a /25: default .254 fits. */
	CHECK_EQ(PARSE("--vmnet-gateway=192.168.1.129",
		       "--vmnet-mask=255.255.255.128", "s"),
		 CONF_OK);
	CHECK_EQ(c.dhcp_end.s_addr, ip("192.168.1.254"));

	/* Lima's usual arguments. */
	CHECK_EQ(PARSE("--pidfile=/p", "--socket-group=staff",
		       "--vmnet-mode=shared", "--vmnet-gateway=192.168.105.1",
		       "--vmnet-dhcp-end=192.168.105.254",
		       "--vmnet-mask=255.255.255.0", "/s"),
		 CONF_OK);
}

/**
 * test_upstream_rules() - the cross-option rules upstream enforces
 */
static void test_upstream_rules(void)
{
	EXPECT_ERROR("--vmnet-mode=bridged requires --vmnet-interface=IF",
		     "--vmnet-mode=bridged", "s");
	EXPECT_ERROR("--vmnet-mode=bridged conflicts with --vmnet-gateway",
		     "--vmnet-mode=bridged", "--vmnet-interface=en0",
		     "--vmnet-gateway=192.168.105.1", "s");
	EXPECT_ERROR("--vmnet-dhcp-end=IP requires --vmnet-gateway=IP",
		     "--vmnet-dhcp-end=192.168.105.100", "s");
	EXPECT_ERROR("--vmnet-mask=MASK requires --vmnet-gateway=IP",
		     "--vmnet-mask=255.255.255.0", "s");
	EXPECT_ERROR("--vmnet-interface must not be empty",
		     "--vmnet-interface=", "s");
	EXPECT_ERROR("--socket-group must not be empty",
		     "--socket-group=", "s");
	/* Interface outside bridged mode is accepted, as upstream does. */
	CHECK_EQ(PARSE("--vmnet-interface=en0", "s"), CONF_OK);
}

/**
 * test_bad_addresses() - addresses that do not parse
 */
static void test_bad_addresses(void)
{
	EXPECT_ERROR("invalid address \"300.1.1.1\" for --vmnet-gateway",
		     "--vmnet-gateway=300.1.1.1", "s");
	EXPECT_ERROR("invalid address \"10.1\" for --vmnet-gateway",
		     "--vmnet-gateway=10.1", "s");
	EXPECT_ERROR("invalid address \"\" for --vmnet-gateway",
		     "--vmnet-gateway=", "s");
	EXPECT_ERROR("invalid address \"fe80::1\" for --vmnet-gateway",
		     "--vmnet-gateway=fe80::1", "s");
	EXPECT_ERROR("invalid address \"x\" for --vmnet-dhcp-end",
		     "--vmnet-gateway=10.0.0.1", "--vmnet-dhcp-end=x", "s");
	EXPECT_ERROR("invalid address \"255.255.255\" for --vmnet-mask",
		     "--vmnet-gateway=10.0.0.1", "--vmnet-mask=255.255.255",
		     "s");
}

/**
 * test_network_sanity() - our own checks on mask, gateway and dhcp-end
 */
static void test_network_sanity(void)
{
	EXPECT_ERROR("--vmnet-mask=255.0.255.0 is not a contiguous netmask",
		     "--vmnet-gateway=10.0.0.1", "--vmnet-mask=255.0.255.0",
		     "s");
	EXPECT_ERROR("not a contiguous netmask", "--vmnet-gateway=10.0.0.1",
		     "--vmnet-mask=0.255.255.255", "s");
	EXPECT_ERROR("--vmnet-mask=0.0.0.0 leaves no network part",
		     "--vmnet-gateway=10.0.0.1", "--vmnet-mask=0.0.0.0", "s");
	EXPECT_ERROR("--vmnet-gateway=192.168.105.0 is the network address "
		     "of 192.168.105.0/24",
		     "--vmnet-gateway=192.168.105.0", "s");
	EXPECT_ERROR("--vmnet-gateway=192.168.105.255 is the broadcast "
		     "address of 192.168.105.0/24",
		     "--vmnet-gateway=192.168.105.255",
		     "--vmnet-dhcp-end=192.168.105.254", "s");
	EXPECT_ERROR("--vmnet-gateway=224.0.0.1 is not a unicast address",
		     "--vmnet-gateway=224.0.0.1", "s");
	EXPECT_ERROR("not a unicast address", "--vmnet-gateway=255.255.255.1",
		     "s");
	EXPECT_ERROR("network address", "--vmnet-gateway=0.0.0.0", "s");
	EXPECT_ERROR("--vmnet-dhcp-end=192.168.106.10 is outside "
		     "192.168.105.0/24, the subnet of "
		     "--vmnet-gateway=192.168.105.1",
		     "--vmnet-gateway=192.168.105.1",
		     "--vmnet-dhcp-end=192.168.106.10", "s");
	EXPECT_ERROR("--vmnet-dhcp-end=192.168.1.254 (the default) is outside "
		     "192.168.1.0/25",
		     "--vmnet-gateway=192.168.1.1",
		     "--vmnet-mask=255.255.255.128", "s");
	EXPECT_ERROR("--vmnet-dhcp-end=192.168.105.1 must be greater than "
		     "--vmnet-gateway=192.168.105.1",
		     "--vmnet-gateway=192.168.105.1",
		     "--vmnet-dhcp-end=192.168.105.1", "s");
	EXPECT_ERROR("must be greater than", "--vmnet-gateway=192.168.105.100",
		     "--vmnet-dhcp-end=192.168.105.50", "s");
	EXPECT_ERROR("(the default) must be greater than",
		     "--vmnet-gateway=192.168.105.254", "s");
	EXPECT_ERROR("--vmnet-dhcp-end=192.168.105.255 is the broadcast "
		     "address of 192.168.105.0/24",
		     "--vmnet-gateway=192.168.105.1",
		     "--vmnet-dhcp-end=192.168.105.255", "s");
	/* /31 and /32 leave no room. */
	EXPECT_ERROR("network address", "--vmnet-gateway=10.0.0.1",
		     "--vmnet-mask=255.255.255.255", "s");
	EXPECT_ERROR("broadcast address", "--vmnet-gateway=10.0.0.1",
		     "--vmnet-mask=255.255.255.254", "s");
	/* Smallest workable: a /30 with end right after the gateway. */
	CHECK_EQ(PARSE("--vmnet-gateway=10.0.0.1",
		       "--vmnet-mask=255.255.255.252",
		       "--vmnet-dhcp-end=10.0.0.2", "s"),
		 CONF_OK);
}

/**
 * test_gateway_reserved() - 0.0.0.0/8 and 127.0.0.0/8 are refused when
 * parsing, as the gateway services refuse them
 */
static void test_gateway_reserved(void)
{
	EXPECT_ERROR("--vmnet-gateway=127.0.0.1 is not a host address "
		     "(0.0.0.0/8 and 127.0.0.0/8 are reserved)",
		     "--vmnet-gateway=127.0.0.1", "s");
	EXPECT_ERROR("--vmnet-gateway=0.1.2.3 is not a host address",
		     "--vmnet-mode=isolated", "--vmnet-gateway=0.1.2.3", "s");
	EXPECT_ERROR("--vmnet-gateway=127.255.0.1 is not a host address",
		     "--vmnet-gateway=127.255.0.1", "--vmnet-mask=255.255.0.0",
		     "s");
	CHECK_EQ(PARSE("--vmnet-gateway=1.0.0.1", "s"), CONF_OK);
	CHECK_EQ(PARSE("--vmnet-gateway=126.255.255.1", "s"), CONF_OK);
	CHECK_EQ(PARSE("--vmnet-gateway=128.0.0.1", "s"), CONF_OK);
}

/**
 * test_uuids() - --vmnet-interface-id and --vmnet-network-identifier
 */
static void test_uuids(void)
{
	CHECK_EQ(PARSE("--vmnet-interface-id="
		       "00000000-0000-0000-0000-000000000000",
		       "s"),
		 CONF_OK);
	CHECK(c.interface_id != NULL);
	EXPECT_ERROR("--vmnet-interface-id=nope is not a UUID",
		     "--vmnet-interface-id=nope", "s");
	EXPECT_ERROR("is not a UUID",
		     "--vmnet-interface-id=1b4e28ba-2fa1-11d2-883f-0016d3cca42",
		     "s");
	EXPECT_ERROR(
	    "is not a UUID",
	    "--vmnet-interface-id=1b4e28ba-2fa1-11d2-883f-0016d3cca4277", "s");
	EXPECT_ERROR(
	    "is not a UUID",
	    "--vmnet-interface-id=1b4e28ba2fa1-11d2-883f-0016d3cca4277", "s");
	EXPECT_ERROR(
	    "is not a UUID",
	    "--vmnet-interface-id=1b4e28ba-2fa1-11d2-883f-0016d3cca42g", "s");
	EXPECT_ERROR(
	    "is not a UUID",
	    "--vmnet-interface-id={1b4e28ba-2fa1-11d2-883f-0016d3cca4}", "s");
	EXPECT_ERROR("is not a UUID", "--vmnet-interface-id=", "s");
	EXPECT_ERROR("is not a UUID", "--vmnet-interface-id=random", "s");

	CHECK_EQ(PARSE("--vmnet-network-identifier=random", "s"), CONF_OK);
	CHECK(strcmp(c.network_identifier, "random") == 0);
	CHECK_EQ(PARSE("--vmnet-network-identifier=random",
		       "--vmnet-network-identifier=", "s"),
		 CONF_OK);
	CHECK(c.network_identifier == NULL);
	EXPECT_ERROR("--vmnet-network-identifier=xyz is not a UUID",
		     "--vmnet-network-identifier=xyz", "s");
}

/**
 * test_nat66() - --vmnet-nat66-prefix must be a ULA /64
 */
static void test_nat66(void)
{
	CHECK_EQ(PARSE("--vmnet-nat66-prefix=fd12:3456:789a:1::", "s"),
		 CONF_OK);
	CHECK(strcmp(c.nat66_prefix, "fd12:3456:789a:1::") == 0);
	CHECK_EQ(PARSE("--vmnet-nat66-prefix=FD00::", "s"), CONF_OK);
	EXPECT_ERROR("invalid IPv6 prefix \"fd00\" for --vmnet-nat66-prefix",
		     "--vmnet-nat66-prefix=fd00", "s");
	EXPECT_ERROR("invalid IPv6 prefix", "--vmnet-nat66-prefix=fd00::/64",
		     "s");
	EXPECT_ERROR("invalid IPv6 prefix", "--vmnet-nat66-prefix=", "s");
	EXPECT_ERROR("--vmnet-nat66-prefix=2001:db8:: is not a unique local "
		     "prefix (it must be inside fd00::/8)",
		     "--vmnet-nat66-prefix=2001:db8::", "s");
	EXPECT_ERROR("not a unique local prefix",
		     "--vmnet-nat66-prefix=fc00::", "s");
	EXPECT_ERROR("--vmnet-nat66-prefix=fd00::1 is not a /64 prefix",
		     "--vmnet-nat66-prefix=fd00::1", "s");
}

/**
 * test_fd() - --fd values, repeats and limits
 */
static void test_fd(void)
{
	static char bufs[CONF_MAX_FDS + 1][24];
	const char *args[CONF_MAX_FDS + 3];
	int n = 0;

	EXPECT_ERROR("--fd=0: descriptors 0, 1 and 2", "--fd=0", "s");
	EXPECT_ERROR("--fd=1: descriptors 0, 1 and 2", "--fd=1", "s");
	EXPECT_ERROR("--fd=2: descriptors 0, 1 and 2", "--fd=2");
	EXPECT_ERROR("--fd=-3 must not be negative", "--fd=-3");
	EXPECT_ERROR("--fd=abc is not a number", "--fd=abc");
	EXPECT_ERROR("--fd=2147483648 is out of range (0..2147483647)",
		     "--fd=2147483648");
	EXPECT_ERROR("--fd=7 is given more than once", "--fd=7", "--fd=8",
		     "--fd=7");
	CHECK_EQ(PARSE("--fd=2147483647"), CONF_OK);
	CHECK_EQ(c.fds[0], 2147483647);

	/* Exactly CONF_MAX_FDS is fine, one more is not. */
	for (int i = 0; i < CONF_MAX_FDS + 1; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "--fd=%d", 100 + i);
		args[n++] = bufs[i];
	}
	args[n] = NULL;
	CHECK_EQ(parse_list(args), CONF_ERROR);
	CHECK_STR_CONTAINS(err, "too many --fd options (max 64)");
	args[CONF_MAX_FDS] = NULL;
	CHECK_EQ(parse_list(args), CONF_OK);
	CHECK_EQ(c.nfds, CONF_MAX_FDS);
	for (int i = 0; i < CONF_MAX_FDS; i++)
		CHECK_EQ(c.fds[i], 100 + i);
}

/**
 * test_numbers_strict() - garbage, signs, blanks and overflow are refused
 */
static void test_numbers_strict(void)
{
	EXPECT_ERROR("--max-ports=abc is not a number", "--max-ports=abc", "s");
	EXPECT_ERROR("--max-ports=12abc is not a number", "--max-ports=12abc",
		     "s");
	EXPECT_ERROR("--max-ports= is not a number", "--max-ports=", "s");
	EXPECT_ERROR("is not a number", "--max-ports=+5", "s");
	EXPECT_ERROR("is not a number", "--max-ports= 5", "s");
	EXPECT_ERROR("is not a number", "--max-ports=5 ", "s");
	EXPECT_ERROR("is not a number", "--max-ports=0x10", "s");
	EXPECT_ERROR("is not a number", "--max-ports=1e3", "s");
	EXPECT_ERROR("is not a number", "--max-ports=16K", "s");
	EXPECT_ERROR("--max-ports=-1 must not be negative", "--max-ports=-1",
		     "s");
	EXPECT_ERROR("is not a number", "--max-ports=-", "s");
	EXPECT_ERROR("--max-ports=99999999999999999999999 is out of range "
		     "(2..65535)",
		     "--max-ports=99999999999999999999999", "s");
	EXPECT_ERROR("out of range", "--max-ports=4294967298", "s");
	EXPECT_ERROR("out of range", "--max-ports=18446744073709551615", "s");
	EXPECT_ERROR("out of range", "--max-ports=18446744073709551616", "s");
	EXPECT_ERROR("--mac-age=-0 must not be negative", "--mac-age=-0", "s");
	CHECK_EQ(PARSE("--max-ports=000016", "s"), CONF_OK);
	CHECK_EQ(c.max_ports, 16);
}

/**
 * test_number_ranges() - every numeric option at and beyond its limits
 */
static void test_number_ranges(void)
{
	EXPECT_ERROR("--max-frame=63 is out of range (64..69632)",
		     "--max-frame=63", "--queue-size=1M", "s");
	EXPECT_ERROR("--max-frame=69633 is out of range (64..69632)",
		     "--max-frame=69633", "s");
	EXPECT_ERROR("69632", "--max-frame=0", "s");
	/* a --max-frame alone lowers the MTU, but not below 576 */
	EXPECT_ERROR("--max-frame=64 leaves an MTU of 50, below 576 (give at "
		     "least --max-frame=590)",
		     "--max-frame=64", "s");
	CHECK_EQ(PARSE("--max-frame=590", "s"), CONF_OK);
	CHECK_EQ(c.max_frame, 590);
	CHECK_EQ(c.mtu, 576);
	CHECK_EQ(PARSE("--max-frame=69632", "s"), CONF_OK);
	CHECK_EQ(c.max_frame, 69632);

	EXPECT_ERROR("--max-ports=1 is out of range (2..65535)",
		     "--max-ports=1", "s");
	EXPECT_ERROR("--max-ports=65536 is out of range (2..65535)",
		     "--max-ports=65536", "s");
	CHECK_EQ(PARSE("--max-ports=2", "s"), CONF_OK);
	CHECK_EQ(c.max_ports, 2);
	CHECK_EQ(PARSE("--max-ports=65535", "s"), CONF_OK);
	CHECK_EQ(c.max_ports, 65535);

	EXPECT_ERROR("--mac-age=0 is out of range (1..86400)", "--mac-age=0",
		     "s");
	EXPECT_ERROR("--mac-age=86401 is out of range (1..86400)",
		     "--mac-age=86401", "s");
	CHECK_EQ(PARSE("--mac-age=1", "s"), CONF_OK);
	CHECK_EQ(c.mac_age, 1);
	CHECK_EQ(PARSE("--mac-age=86400", "s"), CONF_OK);
	CHECK_EQ(c.mac_age, 86400);
}

/**
 * test_queue_size() - suffixes, limits and the check against --max-frame
 */
static void test_queue_size(void)
{
	CHECK_EQ(PARSE("--queue-size=2M", "s"), CONF_OK);
	CHECK_EQ(c.queue_size, 2u << 20);
	CHECK_EQ(PARSE("--queue-size=3m", "s"), CONF_OK);
	CHECK_EQ(c.queue_size, 3u << 20);
	CHECK_EQ(PARSE("--queue-size=1G", "s"), CONF_OK);
	CHECK_EQ(c.queue_size, 1u << 30);
	CHECK_EQ(PARSE("--queue-size=1073741824", "s"), CONF_OK);
	CHECK_EQ(c.queue_size, 1u << 30);
	CHECK_EQ(PARSE("--queue-size=1024M", "s"), CONF_OK);
	CHECK_EQ(c.queue_size, 1u << 30);
	CHECK_EQ(PARSE("--max-frame=1514", "--queue-size=4k", "s"), CONF_OK);
	CHECK_EQ(c.queue_size, 4096);
	CHECK_EQ(PARSE("--max-frame=1514", "--queue-size=3036", "s"), CONF_OK);
	CHECK_EQ(c.queue_size, 3036);

	EXPECT_ERROR("--queue-size=1073741825 is out of range "
		     "(1..1073741824)",
		     "--queue-size=1073741825", "s");
	EXPECT_ERROR("--queue-size=1025M is out of range", "--queue-size=1025M",
		     "s");
	EXPECT_ERROR("--queue-size=2G is out of range", "--queue-size=2G", "s");
	EXPECT_ERROR("out of range", "--queue-size=18014398509481984K", "s");
	EXPECT_ERROR("--queue-size=0 is out of range", "--queue-size=0", "s");
	EXPECT_ERROR("--queue-size=0K is out of range", "--queue-size=0K", "s");
	EXPECT_ERROR("--queue-size=1T is not a number (suffixes: K, M, G)",
		     "--queue-size=1T", "s");
	EXPECT_ERROR("is not a number", "--queue-size=1KB", "s");
	EXPECT_ERROR("is not a number", "--queue-size=K", "s");
	EXPECT_ERROR("is not a number", "--queue-size=1.5M", "s");
	EXPECT_ERROR("--queue-size=-1M must not be negative",
		     "--queue-size=-1M", "s");

	/* Must hold two largest frames with their 4-byte prefixes. */
	EXPECT_ERROR("--queue-size=3035 is too small for --max-frame=1514 "
		     "(need at least 3036 bytes)",
		     "--max-frame=1514", "--queue-size=3035", "s");
	/* The check runs after all options, whatever their order. */
	EXPECT_ERROR("is too small for --max-frame=65549", "--queue-size=64K",
		     "s");
	CHECK_EQ(PARSE("--queue-size=64K", "--max-frame=9018", "s"), CONF_OK);
	EXPECT_ERROR("need at least 139272 bytes", "--queue-size=128K",
		     "--max-frame=69632", "s");
}

/**
 * test_debug_env() - the DEBUG environment variable
 */
static void test_debug_env(void)
{
	const char *old = getenv("DEBUG");
	char *saved = old ? strdup(old) : NULL;

	unsetenv("DEBUG");
	CHECK_EQ(PARSE("s"), CONF_OK);
	CHECK(!c.debug);
	setenv("DEBUG", "1", 1);
	CHECK_EQ(PARSE("s"), CONF_OK);
	CHECK(c.debug);
	setenv("DEBUG", "yes", 1);
	CHECK_EQ(PARSE("s"), CONF_OK);
	CHECK(c.debug);
	setenv("DEBUG", "0", 1);
	CHECK_EQ(PARSE("s"), CONF_OK);
	CHECK(!c.debug);
	setenv("DEBUG", "", 1);
	CHECK_EQ(PARSE("s"), CONF_OK);
	CHECK(!c.debug);
	/* --debug turns it on whatever the environment says. */
	setenv("DEBUG", "0", 1);
	CHECK_EQ(PARSE("--debug", "s"), CONF_OK);
	CHECK(c.debug);

	if (saved)
		setenv("DEBUG", saved, 1);
	else
		unsetenv("DEBUG");
	free(saved);
}

static const struct uplink_caps isolated_only = {
    .modes = NET_MODE_BIT(NET_MODE_ISOLATED),
};

static const struct uplink_caps linux_tap = {
    .modes = NET_MODE_BIT(NET_MODE_ISOLATED) | NET_MODE_BIT(NET_MODE_HOST) |
	     NET_MODE_BIT(NET_MODE_SHARED) | NET_MODE_BIT(NET_MODE_BRIDGED),
};

static const struct uplink_caps macos = {
    .modes = NET_MODE_BIT(NET_MODE_HOST) | NET_MODE_BIT(NET_MODE_SHARED) |
	     NET_MODE_BIT(NET_MODE_BRIDGED),
    .vmnet_ids = true,
    .no_user = true,
};

/**
 * test_platform_modes() - the backend's modes decide, identifiers need vmnet
 */
static void test_platform_modes(void)
{
	CHECK_EQ(PARSE("--vmnet-mode=shared", "s"), CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &linux_tap, err, sizeof(err)), 0);
	CHECK_EQ(PARSE("--vmnet-mode=bridged", "--vmnet-interface=br0", "s"),
		 CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &linux_tap, err, sizeof(err)), 0);
	CHECK_EQ(PARSE("--vmnet-mode=isolated", "s"), CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &macos, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-mode=isolated is not supported yet");
	CHECK_EQ(
	    PARSE("--vmnet-mode=shared",
		  "--vmnet-interface-id=00000000-0000-0000-0000-000000000001",
		  "s"),
	    CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &macos, err, sizeof(err)), 0);
	CHECK_EQ(conf_check_platform(&c, &linux_tap, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "only supported on macOS");
	/* --user where the backend cannot follow the fork. */
	CHECK_EQ(PARSE("--vmnet-mode=shared", "--user=nobody", "s"), CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &macos, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--user with --vmnet-mode=shared is not "
				"supported yet");
	CHECK_EQ(conf_check_platform(&c, &linux_tap, err, sizeof(err)), 0);
}

/**
 * test_nat_options() - --nat, --host-loopback and --forward: parsing, the
 * checks against the mode, and what each build can run
 */
static void test_nat_options(void)
{
	static const struct uplink_caps macos_user = {
	    .modes = NET_MODE_BIT(NET_MODE_HOST) |
		     NET_MODE_BIT(NET_MODE_SHARED) |
		     NET_MODE_BIT(NET_MODE_BRIDGED),
	    .vmnet_ids = true,
	    .no_user = true,
	    .user_nat = true,
	};

	CHECK_EQ(PARSE("s"), CONF_OK);
	CHECK_EQ(c.nat, UPLINK_NAT_AUTO);
	CHECK(!c.no_host_loopback);
	CHECK_EQ(c.nforwards, 0);
	CHECK_EQ(PARSE("--nat=user", "--host-loopback=no",
		       "--forward=8080:192.168.105.2:80",
		       "--forward=udp:0.0.0.0:53:192.168.105.3:53", "s"),
		 CONF_OK);
	CHECK_EQ(c.nat, UPLINK_NAT_USER);
	CHECK(c.no_host_loopback);
	CHECK_EQ(c.nforwards, 2);
	CHECK_EQ(c.forwards[0].host_addr, 0x7f000001u);
	CHECK_EQ(c.forwards[1].proto, FWD_UDP);
	CHECK_EQ(PARSE("--nat=kernel", "--host-loopback=yes", "s"), CONF_OK);
	CHECK_EQ(c.nat, UPLINK_NAT_KERNEL);
	CHECK(!c.no_host_loopback);
	EXPECT_ERROR("unknown --nat \"slirp\"", "--nat=slirp", "s");
	EXPECT_ERROR("--host-loopback=off: expected yes or no",
		     "--host-loopback=off", "s");
	EXPECT_ERROR("--forward: \"8080\" is not", "--forward=8080", "s");
	EXPECT_ERROR("bad guest port", "--forward=8080:192.168.105.2:0", "s");
	EXPECT_ERROR("taken by forward tcp:127.0.0.1:8080",
		     "--forward=8080:192.168.105.2:80",
		     "--forward=0.0.0.0:8080:192.168.105.3:80", "s");
	EXPECT_ERROR("--nat=user runs shared mode only", "--nat=user",
		     "--vmnet-mode=host", "s");
	EXPECT_ERROR("--forward needs shared or host mode",
		     "--vmnet-mode=isolated", "--forward=1:10.0.0.2:1", "s");
	CHECK_EQ(PARSE("--vmnet-mode=host", "--forward=1:192.168.106.2:1", "s"),
		 CONF_OK);
	/* what the build can run */
	CHECK_EQ(PARSE("--nat=user", "s"), CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &linux_tap, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "built without libslirp");
	CHECK_EQ(conf_check_platform(&c, &macos_user, err, sizeof(err)), 0);
	CHECK_EQ(PARSE("--nat=user", "--user=nobody", "s"), CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &macos_user, err, sizeof(err)), 0);
	CHECK_EQ(PARSE("--user=nobody", "s"), CONF_OK); /* auto: vmnet */
	CHECK_EQ(conf_check_platform(&c, &macos_user, err, sizeof(err)), -1);
	CHECK_EQ(PARSE("--nat=kernel", "--forward=1:192.168.105.2:1", "s"),
		 CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &macos_user, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--forward needs --nat=user");
	CHECK_EQ(PARSE("--vmnet-mode=host", "--forward=1:192.168.106.2:1", "s"),
		 CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &macos_user, err, sizeof(err)), -1);
	CHECK_EQ(PARSE("--forward=1:192.168.105.2:1", "s"), CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &macos_user, err, sizeof(err)), 0);
	CHECK_EQ(PARSE("--nat=user", "--forward=1:192.168.105.2:1", "s"),
		 CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &macos_user, err, sizeof(err)), 0);
}

/**
 * test_new_options() - the network-service options of the Linux host side
 */
static void test_new_options(void)
{
	CHECK_EQ(PARSE("--vmnet-mode=isolated", "s"), CONF_OK);
	CHECK_EQ(c.mtu, 1500);
	CHECK_EQ(c.lease_time, 600);
	CHECK_EQ(c.ndns, 0);
	CHECK(!c.disable_dhcp);
	CHECK_EQ(PARSE("--mtu=9000", "--dns=1.1.1.1,9.9.9.9",
		       "--vmnet-disable-dhcp", "--lease-time=120",
		       "--lease-file=/tmp/l", "--dhcp-hosts=/tmp/h",
		       "--user=nobody", "--tap=vm0", "s"),
		 CONF_OK);
	CHECK_EQ(c.mtu, 9000);
	CHECK_EQ(c.ndns, 2);
	CHECK_EQ(ntohl(c.dns[1].s_addr), 0x09090909);
	CHECK(c.disable_dhcp);
	CHECK_EQ(c.lease_time, 120);
	CHECK_STR_CONTAINS(c.lease_file, "/tmp/l");
	CHECK_STR_CONTAINS(c.dhcp_hosts, "/tmp/h");
	CHECK_STR_CONTAINS(c.user, "nobody");
	CHECK_STR_CONTAINS(c.tap_name, "vm0");
	/* Largest frame follows a large MTU unless given. */
	CHECK_EQ(PARSE("--mtu=65535", "--max-frame=1514", "s"), CONF_ERROR);
	CHECK_STR_CONTAINS(err,
			   "--max-frame=1514 is too small for --mtu=65535");
	CHECK_EQ(PARSE("--mtu=100", "s"), CONF_ERROR);
	CHECK_EQ(PARSE("--mtu=65536", "s"), CONF_ERROR);
	CHECK_EQ(PARSE("--dns=1.1.1.1,", "s"), CONF_ERROR);
	CHECK_STR_CONTAINS(err, "--dns");
	CHECK_EQ(PARSE("--dns=1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4", "s"),
		 CONF_ERROR);
	CHECK_STR_CONTAINS(err, "at most 3");
	CHECK_EQ(PARSE("--dns=banana", "s"), CONF_ERROR);
	CHECK_EQ(PARSE("--lease-time=10", "s"), CONF_ERROR);
	CHECK_EQ(PARSE("--tap=a/b", "s"), CONF_ERROR);
	CHECK_EQ(PARSE("--tap=sixteen-chars-xx", "s"), CONF_ERROR);
}

/**
 * test_check_platform() - what this build can run
 */
static void test_check_platform(void)
{
	CHECK_EQ(PARSE("s"), CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &isolated_only, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-mode=shared is not supported yet on "
				"this platform (use --vmnet-mode=isolated)");
	CHECK_EQ(PARSE("--vmnet-mode=host", "s"), CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &isolated_only, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-mode=host is not supported yet");
	CHECK_EQ(PARSE("--vmnet-mode=bridged", "--vmnet-interface=eth0", "s"),
		 CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &isolated_only, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err, "--vmnet-mode=bridged is not supported yet");

	CHECK_EQ(PARSE("--vmnet-mode=isolated", "--vmnet-gateway=10.9.0.1",
		       "--fd=3", "--dgram-socket=/d", "s"),
		 CONF_OK);
	err[0] = '\0';
	CHECK_EQ(conf_check_platform(&c, &isolated_only, err, sizeof(err)), 0);
	CHECK_EQ(err[0], '\0');

	CHECK_EQ(PARSE("--vmnet-mode=isolated",
		       "--vmnet-interface-id="
		       "1b4e28ba-2fa1-11d2-883f-0016d3cca427",
		       "s"),
		 CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &isolated_only, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(err,
			   "--vmnet-interface-id is only supported on macOS");
	CHECK_EQ(PARSE("--vmnet-mode=isolated",
		       "--vmnet-network-identifier=random", "s"),
		 CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &isolated_only, err, sizeof(err)), -1);
	CHECK_STR_CONTAINS(
	    err, "--vmnet-network-identifier is only supported on macOS");
	/* NULL buffer is allowed. */
	CHECK_EQ(conf_check_platform(&c, &isolated_only, NULL, 0), -1);
	/* The IPv6 prefix is every platform's now. */
	CHECK_EQ(
	    PARSE("--vmnet-mode=isolated", "--vmnet-nat66-prefix=fd00::", "s"),
	    CONF_OK);
	CHECK_EQ(conf_check_platform(&c, &isolated_only, err, sizeof(err)), 0);
}

/**
 * test_error_buffer() - messages are cut to the buffer, never overrun it
 */
static void test_error_buffer(void)
{
	char small[8];
	char *argv[] = {(char *)"socket_vmnet", (char *)"--vmnet-mode=bogus",
			(char *)"s", NULL};

	memset(small, 'Z', sizeof(small));
	CHECK_EQ(conf_parse(&c, 3, argv, small, sizeof(small)), CONF_ERROR);
	CHECK_EQ(strlen(small), sizeof(small) - 1);
	CHECK_EQ(conf_parse(&c, 3, argv, NULL, 0), CONF_ERROR);
}

/**
 * test_usage() - the help text mentions every option and default
 */
static void test_usage(void)
{
	static const char *const want[] = {
	    "Usage: prog [OPTION]... SOCKET",
	    "--socket-group=GROUP",
	    "staff",
	    "0770",
	    "--vmnet-mode=MODE",
	    "shared, host, bridged or isolated",
	    "isolated",
	    "(default: shared)",
	    "--vmnet-interface=IF",
	    "--vmnet-gateway=IP",
	    "--vmnet-dhcp-end=IP",
	    ".254",
	    "--vmnet-mask=MASK",
	    "255.255.255.0",
	    "--vmnet-interface-id=UUID",
	    "--vmnet-network-identifier=UUID",
	    "--vmnet-nat66-prefix=PREFIX::",
	    "fd00::/8",
	    "-p, --pidfile=FILE",
	    "--dgram-socket=PATH",
	    "--fd=N",
	    "--max-frame=N",
	    "64..69632",
	    "(default: 65549)",
	    "--queue-size=BYTES",
	    "(default: 1048576",
	    "--max-ports=N",
	    "2..65535 (default: 1024)",
	    "--mac-age=SECONDS",
	    "(default: 300)",
	    "--debug",
	    "DEBUG=1",
	    "-h, --help",
	    "-v, --version",
	    "Version: ",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	if (!f)
		return;
	conf_usage("prog", f);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR_CONTAINS(text, want[i]);
	/* Lines fit in 80 columns. */
	for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);

		if (l > 79)
			fprintf(stderr, "long usage line: %.*s\n", (int)l,
				line);
		CHECK(l <= 79);
	}
	free(text);
}

/**
 * test_usage_every_option() - the help text names every option, with its
 * argument, as the option table generates it
 */
static void test_usage_every_option(void)
{
	static const char *const want[] = {
	    "  --vmnet-disable-dhcp ",
	    "  --mtu=N ",
	    "576..65535",
	    "(default: 1500)",
	    "  --dns=IP[,IP...] ",
	    "  --lease-time=SECONDS ",
	    "60..604800 (default: 600)",
	    "  --lease-file=FILE ",
	    "  --dhcp-hosts=FILE ",
	    "  --tap=NAME ",
	    "  --user=USER ",
	    "  --guard=LEVEL ",
	    "  --static=MAC=IP ",
	    "  --dhcp-clients=N ",
	    "1..8 (default: 2)",
	    "  --allow-vlan ",
	    "  --isolate ",
	    "  --allow=CIDR, --block=CIDR ",
	    "  --socket-user=USER ",
	    "  --fd=N[,mac=MAC] ",
	    "  --connect=PATH ",
	    "\nNetwork (the flags of socket_vmnet for macOS):\n",
	    "\nNetwork services and host side:\n",
	    "\nGuards (what a VM may send):\n",
	    "\nSockets:\n",
	    "\nSwitch:\n",
	    "\nOther:\n",
	    "  Not every mode and flag is available",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	if (!f)
		return;
	conf_usage("prog", f);
	fclose(f);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_STR_CONTAINS(text, want[i]);
	CHECK(strstr(text, "{min}") == NULL && strstr(text, "{max}") == NULL &&
	      strstr(text, "{default}") == NULL);
	CHECK(strstr(text, "(null)") == NULL);
	free(text);
}

static const struct unit_test tests[] = {
    {"defaults", test_defaults},
    {"upstream_flags", test_upstream_flags},
    {"modes", test_modes},
    {"mode_name", test_mode_name},
    {"pidfile_forms", test_pidfile_forms},
    {"options_after_socket", test_options_after_socket},
    {"last_wins", test_last_wins},
    {"reparse_resets", test_reparse_resets},
    {"our_flags", test_our_flags},
    {"help_version", test_help_version},
    {"bad_options", test_bad_options},
    {"positional", test_positional},
    {"path_length", test_path_length},
    {"control", test_control},
    {"gateway_defaults", test_gateway_defaults},
    {"upstream_rules", test_upstream_rules},
    {"bad_addresses", test_bad_addresses},
    {"network_sanity", test_network_sanity},
    {"gateway_reserved", test_gateway_reserved},
    {"uuids", test_uuids},
    {"nat66", test_nat66},
    {"fd", test_fd},
    {"numbers_strict", test_numbers_strict},
    {"number_ranges", test_number_ranges},
    {"queue_size", test_queue_size},
    {"debug_env", test_debug_env},
    {"check_platform", test_check_platform},
    {"platform_modes", test_platform_modes},
    {"new_options", test_new_options},
    {"nat_options", test_nat_options},
    {"error_buffer", test_error_buffer},
    {"usage", test_usage},
    {"usage_every_option", test_usage_every_option},
};

UNIT_MAIN("conf", tests)
