/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command line of the daemon: parse, fill in defaults, validate.
 *
 * Nothing here prints or exits; the caller decides what to do with the
 * result and the one-line error message.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/un.h>

#include "conf.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#define MIN_MAX_FRAME 64u	 /* smallest --max-frame accepted */
#define MAX_QUEUE     (1u << 30) /* largest --queue-size: 1 GiB */
#define MIN_PORTS     2u
#define MAX_PORTS     65535u
#define MIN_MAC_AGE   1u
#define MAX_MAC_AGE   86400u /* one day */
#define UUID_LEN      36
#define MIN_MTU	      576u
#define MAX_MTU	      65535u
#define MIN_LEASE     60u
#define MAX_LEASE     604800u /* one week */
#define IFNAME_MAX    15u
#define SUN_PATH_MAX  (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* Long options without a short form; values above any char. */
enum {
	OPT_SOCKET_GROUP = 256,
	OPT_VMNET_MODE,
	OPT_VMNET_INTERFACE,
	OPT_VMNET_GATEWAY,
	OPT_VMNET_DHCP_END,
	OPT_VMNET_MASK,
	OPT_VMNET_INTERFACE_ID,
	OPT_VMNET_NETWORK_IDENTIFIER,
	OPT_VMNET_NAT66_PREFIX,
	OPT_DGRAM_SOCKET,
	OPT_FD,
	OPT_MAX_FRAME,
	OPT_QUEUE_SIZE,
	OPT_MAX_PORTS,
	OPT_MAC_AGE,
	OPT_DEBUG,
	OPT_DISABLE_DHCP,
	OPT_MTU,
	OPT_DNS,
	OPT_USER,
	OPT_DHCP_HOSTS,
	OPT_LEASE_FILE,
	OPT_LEASE_TIME,
	OPT_TAP,
	OPT_CONNECT,
	OPT_GUARD,
	OPT_ALLOW_VLAN,
	OPT_ISOLATE,
	OPT_ALLOW,
	OPT_BLOCK,
	OPT_STATIC,
	OPT_SOCKET_USER,
	OPT_DHCP_CLIENTS,
};

static const struct option long_options[] = {
    {"socket-group", required_argument, NULL, OPT_SOCKET_GROUP},
    {"vmnet-mode", required_argument, NULL, OPT_VMNET_MODE},
    {"vmnet-interface", required_argument, NULL, OPT_VMNET_INTERFACE},
    {"vmnet-gateway", required_argument, NULL, OPT_VMNET_GATEWAY},
    {"vmnet-dhcp-end", required_argument, NULL, OPT_VMNET_DHCP_END},
    {"vmnet-mask", required_argument, NULL, OPT_VMNET_MASK},
    {"vmnet-interface-id", required_argument, NULL, OPT_VMNET_INTERFACE_ID},
    {"vmnet-network-identifier", required_argument, NULL,
     OPT_VMNET_NETWORK_IDENTIFIER},
    {"vmnet-nat66-prefix", required_argument, NULL, OPT_VMNET_NAT66_PREFIX},
    {"pidfile", required_argument, NULL, 'p'},
    {"dgram-socket", required_argument, NULL, OPT_DGRAM_SOCKET},
    {"fd", required_argument, NULL, OPT_FD},
    {"max-frame", required_argument, NULL, OPT_MAX_FRAME},
    {"queue-size", required_argument, NULL, OPT_QUEUE_SIZE},
    {"max-ports", required_argument, NULL, OPT_MAX_PORTS},
    {"mac-age", required_argument, NULL, OPT_MAC_AGE},
    {"debug", no_argument, NULL, OPT_DEBUG},
    {"vmnet-disable-dhcp", no_argument, NULL, OPT_DISABLE_DHCP},
    {"mtu", required_argument, NULL, OPT_MTU},
    {"dns", required_argument, NULL, OPT_DNS},
    {"user", required_argument, NULL, OPT_USER},
    {"dhcp-hosts", required_argument, NULL, OPT_DHCP_HOSTS},
    {"lease-file", required_argument, NULL, OPT_LEASE_FILE},
    {"lease-time", required_argument, NULL, OPT_LEASE_TIME},
    {"tap", required_argument, NULL, OPT_TAP},
    {"connect", required_argument, NULL, OPT_CONNECT},
    {"guard", required_argument, NULL, OPT_GUARD},
    {"allow-vlan", no_argument, NULL, OPT_ALLOW_VLAN},
    {"isolate", no_argument, NULL, OPT_ISOLATE},
    {"allow", required_argument, NULL, OPT_ALLOW},
    {"block", required_argument, NULL, OPT_BLOCK},
    {"static", required_argument, NULL, OPT_STATIC},
    {"socket-user", required_argument, NULL, OPT_SOCKET_USER},
    {"dhcp-clients", required_argument, NULL, OPT_DHCP_CLIENTS},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'v'},
    {NULL, 0, NULL, 0},
};

/* Leading ':' makes getopt report a missing argument as ':', silently. */
static const char short_options[] = ":hvp:";

/**
 * struct parse_state - what conf_parse() tracks besides struct conf
 * @have_dhcp_end:	--vmnet-dhcp-end was given
 * @have_mask:		--vmnet-mask was given
 * @have_max_frame:	--max-frame was given
 * @have_mtu:		--mtu was given
 */
struct parse_state {
	bool have_dhcp_end;
	bool have_mask;
	bool have_max_frame;
	bool have_mtu;
};

/**
 * fail() - format a one-line error message
 * @err:	buffer for the message, may be NULL
 * @errlen:	size of @err
 * @fmt:	printf format
 *
 * Return: CONF_ERROR, so callers can write "return fail(...)".
 */
static enum conf_result fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum conf_result fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return CONF_ERROR;
}

/**
 * parse_number() - parse a strict decimal number with an optional suffix
 * @opt:	option name for messages, e.g. "--max-frame"
 * @text:	the argument
 * @binary_suffix: accept K, M or G (powers of 1024) after the digits
 * @min:	smallest value accepted
 * @max:	largest value accepted
 * @out:	the value, set on success only
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * Only digits are accepted before the suffix: no sign, no leading blanks,
 * no hexadecimal. Values that overflow are reported as out of range.
 *
 * Return: 0 on success, -1 with a message in @err otherwise.
 */
static int parse_number(const char *opt, const char *text, bool binary_suffix,
			unsigned long min, unsigned long max,
			unsigned long *out, char *err, size_t errlen)
{
	unsigned long v, mult = 1;
	char *end;

	if (text[0] == '-' && isdigit((unsigned char)text[1])) {
		fail(err, errlen, "%s=%s must not be negative", opt, text);
		return -1;
	}
	if (!isdigit((unsigned char)text[0])) {
		fail(err, errlen, "%s=%s is not a number", opt, text);
		return -1;
	}
	errno = 0;
	v = strtoul(text, &end, 10);
	if (binary_suffix && *end && !end[1]) {
		switch (*end) {
		case 'k':
		case 'K':
			mult = 1ul << 10;
			end++;
			break;
		case 'm':
		case 'M':
			mult = 1ul << 20;
			end++;
			break;
		case 'g':
		case 'G':
			mult = 1ul << 30;
			end++;
			break;
		default:
			break;
		}
	}
	if (*end) {
		fail(err, errlen, "%s=%s is not a number%s", opt, text,
		     binary_suffix ? " (suffixes: K, M, G)" : "");
		return -1;
	}
	if (errno == ERANGE || v > max / mult || v * mult < min ||
	    v * mult > max) {
		fail(err, errlen, "%s=%s is out of range (%lu..%lu)", opt, text,
		     min, max);
		return -1;
	}
	*out = v * mult;
	return 0;
}

/**
 * parse_ipv4() - parse a dotted-quad IPv4 address
 * @opt:	option name for messages
 * @text:	the argument
 * @out:	the address in network byte order, set on success only
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * Return: 0 on success, -1 with a message in @err otherwise.
 */
static int parse_ipv4(const char *opt, const char *text, struct in_addr *out,
		      char *err, size_t errlen)
{
	if (inet_pton(AF_INET, text, out) != 1) {
		fail(err, errlen, "invalid address \"%s\" for %s", text, opt);
		return -1;
	}
	return 0;
}

/**
 * is_uuid() - check the text form of a UUID
 * @text:	candidate, e.g. "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
 *
 * Return: true for 8-4-4-4-12 hexadecimal digits (either case).
 */
static bool is_uuid(const char *text)
{
	for (int i = 0; i < UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (!text[i])
			return false;
		if (dash ? text[i] != '-' : !isxdigit((unsigned char)text[i]))
			return false;
	}
	return text[UUID_LEN] == '\0';
}

/**
 * parse_nat66_prefix() - check a --vmnet-nat66-prefix argument
 * @text:	the argument, e.g. "fd12:3456:789a:1::"
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * The prefix must be an IPv6 address in fd00::/8 (a locally assigned
 * unique local address) whose low 64 bits are zero, i.e. a /64 prefix.
 *
 * Return: 0 when valid, -1 with a message in @err otherwise.
 */
static int parse_nat66_prefix(const char *text, char *err, size_t errlen)
{
	struct in6_addr a;

	if (inet_pton(AF_INET6, text, &a) != 1) {
		fail(err, errlen,
		     "invalid IPv6 prefix \"%s\" for --vmnet-nat66-prefix",
		     text);
		return -1;
	}
	if (a.s6_addr[0] != 0xfd) {
		fail(err, errlen,
		     "--vmnet-nat66-prefix=%s is not a unique local prefix "
		     "(it must be inside fd00::/8)",
		     text);
		return -1;
	}
	for (int i = 8; i < 16; i++) {
		if (a.s6_addr[i]) {
			fail(err, errlen,
			     "--vmnet-nat66-prefix=%s is not a /64 prefix "
			     "(its last 64 bits must be zero)",
			     text);
			return -1;
		}
	}
	return 0;
}

/**
 * parse_mode() - map a --vmnet-mode argument to enum conf_mode
 * @text:	the argument
 * @out:	the mode, set on success only
 *
 * Return: 0 on success, -1 for an unknown name.
 */
static int parse_mode(const char *text, enum conf_mode *out)
{
	static const enum conf_mode modes[] = {
	    CONF_MODE_SHARED,
	    CONF_MODE_HOST,
	    CONF_MODE_BRIDGED,
	    CONF_MODE_ISOLATED,
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(text, conf_mode_name(modes[i])) == 0) {
			*out = modes[i];
			return 0;
		}
	}
	return -1;
}

/**
 * ip_str() - format an IPv4 address for a message
 * @a:		address in network byte order
 * @buf:	room for the text
 *
 * Return: @buf
 */
static const char *ip_str(struct in_addr a, char buf[INET_ADDRSTRLEN])
{
	if (!inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN))
		snprintf(buf, INET_ADDRSTRLEN, "?");
	return buf;
}

/**
 * mask_prefix_len() - length of a contiguous netmask
 * @mask:	netmask in host byte order
 *
 * Return: 0..32, or -1 when the one bits are not contiguous from the top.
 */
static int mask_prefix_len(uint32_t mask)
{
	uint32_t inv = ~mask;

	/* A contiguous mask inverted is 2^n - 1: adding one clears it. */
	if (inv & (inv + 1))
		return -1;
	return 32 - __builtin_popcount(inv);
}

/**
 * env_debug() - whether the DEBUG environment variable asks for debug logs
 *
 * Return: true when DEBUG is set, not empty and not "0".
 */
static bool env_debug(void)
{
	const char *d = getenv("DEBUG");

	return d && *d && strcmp(d, "0") != 0;
}

/**
 * set_defaults() - fill a struct conf with the values used without options
 * @c:	the configuration
 */
static void set_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = CONF_MODE_SHARED;
	c->max_frame = CONF_DEFAULT_MAX_FRAME;
	c->queue_size = CONF_DEFAULT_QUEUE;
	c->max_ports = CONF_DEFAULT_MAX_PORTS;
	c->mac_age = CONF_DEFAULT_MAC_AGE;
	c->mtu = CONF_DEFAULT_MTU;
	c->lease_time = CONF_DEFAULT_LEASE;
	c->guard.level = GUARD_MAC;
	c->guard.dhcp_clients = 2;
	c->debug = env_debug();
}

/**
 * bad_option() - describe an option getopt_long() refused
 * @ret:	what getopt_long() returned: '?' or ':'
 * @argv:	the arguments
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * Return: CONF_ERROR
 */
static enum conf_result bad_option(int ret, char **argv, char *err,
				   size_t errlen)
{
	/*
	 * getopt_long() has moved optind past a long option, or past a short
	 * one that ended its word. optopt holds the short option, or for a
	 * long option given an argument it does not take, that option's
	 * value; it is 0 for an unknown or ambiguous long option.
	 */
	const char *word = optind > 0 ? argv[optind - 1] : "?";

	if (ret == ':')
		return fail(err, errlen, "option %s requires an argument",
			    word);
	if (optopt == 'h' || optopt == 'v' || optopt >= 256)
		return fail(err, errlen,
			    "option %.*s does not take an argument",
			    (int)strcspn(word, "="), word);
	if (optopt)
		return fail(err, errlen, "unknown option -%c", optopt);
	return fail(err, errlen, "unknown or ambiguous option %s", word);
}

static int check_path(const char *what, const char *path, char *err,
		      size_t errlen);

/**
 * conf_parse_mac() - parse a MAC address like 52:54:00:12:34:56
 * @text:	the text (one or two hex digits per group, ':' or '-')
 * @mac:	filled on success
 *
 * Return: 0, or -1 if @text is not a MAC address
 */
static int conf_parse_mac(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		unsigned int v = 0, n = 0;

		while (isxdigit((unsigned char)*text) && n < 2) {
			v = v * 16 +
			    (unsigned int)(isdigit((unsigned char)*text)
					       ? *text - '0'
					       : (tolower(
						      (unsigned char)*text) -
						  'a' + 10));
			text++;
			n++;
		}
		if (!n)
			return -1;
		mac[i] = (uint8_t)v;
		if (i < 5 && *text != ':' && *text != '-')
			return -1;
		if (i < 5)
			text++;
	}
	return *text ? -1 : 0;
}

/**
 * parse_dns() - parse --dns=IP[,IP...]
 * @c:		the configuration being built
 * @arg:	comma-separated IPv4 addresses
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * Return: 0, or -1 with a message in @err
 */
static int parse_dns(struct conf *c, const char *arg, char *err, size_t errlen)
{
	char one[INET_ADDRSTRLEN + 1];

	c->ndns = 0;
	while (*arg) {
		size_t n = strcspn(arg, ",");

		if (n == 0 || n >= sizeof(one)) {
			fail(err, errlen, "--dns: bad address list near \"%s\"",
			     arg);
			return -1;
		}
		if (c->ndns >= CONF_MAX_DNS) {
			fail(err, errlen, "--dns: at most %d servers",
			     CONF_MAX_DNS);
			return -1;
		}
		memcpy(one, arg, n);
		one[n] = '\0';
		if (parse_ipv4("--dns", one, &c->dns[c->ndns], err, errlen))
			return -1;
		c->ndns++;
		arg += n;
		if (*arg == ',' && !*++arg) {
			fail(err, errlen, "--dns: trailing comma");
			return -1;
		}
	}
	if (!c->ndns) {
		fail(err, errlen, "--dns needs at least one address");
		return -1;
	}
	return 0;
}

/**
 * parse_option() - apply one option returned by getopt_long()
 * @c:		the configuration being built
 * @st:		extra parse state
 * @opt:	the option's value in long_options
 * @arg:	its argument, or NULL
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * Return: CONF_OK to go on, CONF_HELP, CONF_VERSION or CONF_ERROR.
 */
static enum conf_result parse_option(struct conf *c, struct parse_state *st,
				     int opt, const char *arg, char *err,
				     size_t errlen)
{
	unsigned long v;

	switch (opt) {
	case 'h':
		return CONF_HELP;
	case 'v':
		return CONF_VERSION;
	case 'p':
		if (!*arg)
			return fail(err, errlen, "--pidfile must not be empty");
		c->pidfile = arg;
		break;
	case OPT_SOCKET_GROUP:
		if (!*arg)
			return fail(err, errlen,
				    "--socket-group must not be empty");
		c->socket_group = arg;
		break;
	case OPT_VMNET_MODE:
		if (parse_mode(arg, &c->mode))
			return fail(err, errlen,
				    "unknown --vmnet-mode \"%s\" (expected "
				    "host, shared, bridged or isolated)",
				    arg);
		break;
	case OPT_VMNET_INTERFACE:
		if (!*arg)
			return fail(err, errlen,
				    "--vmnet-interface must not be empty");
		c->vmnet_interface = arg;
		break;
	case OPT_VMNET_GATEWAY:
		if (parse_ipv4("--vmnet-gateway", arg, &c->gateway, err,
			       errlen))
			return CONF_ERROR;
		c->have_gateway = true;
		break;
	case OPT_VMNET_DHCP_END:
		if (parse_ipv4("--vmnet-dhcp-end", arg, &c->dhcp_end, err,
			       errlen))
			return CONF_ERROR;
		st->have_dhcp_end = true;
		break;
	case OPT_VMNET_MASK:
		if (parse_ipv4("--vmnet-mask", arg, &c->mask, err, errlen))
			return CONF_ERROR;
		if (mask_prefix_len(ntohl(c->mask.s_addr)) < 0)
			return fail(err, errlen,
				    "--vmnet-mask=%s is not a contiguous "
				    "netmask like 255.255.255.0",
				    arg);
		if (c->mask.s_addr == 0)
			return fail(err, errlen,
				    "--vmnet-mask=%s leaves no network part",
				    arg);
		st->have_mask = true;
		break;
	case OPT_VMNET_INTERFACE_ID:
		if (!is_uuid(arg))
			return fail(err, errlen,
				    "--vmnet-interface-id=%s is not a UUID "
				    "(expected xxxxxxxx-xxxx-xxxx-xxxx-"
				    "xxxxxxxxxxxx)",
				    arg);
		c->interface_id = arg;
		break;
	case OPT_VMNET_NETWORK_IDENTIFIER:
		/* As upstream: a UUID, "random", or "" for none. */
		if (!*arg) {
			c->network_identifier = NULL;
			break;
		}
		if (strcmp(arg, "random") != 0 && !is_uuid(arg))
			return fail(err, errlen,
				    "--vmnet-network-identifier=%s is not a "
				    "UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-"
				    "xxxxxxxxxxxx, \"random\" or \"\")",
				    arg);
		c->network_identifier = arg;
		break;
	case OPT_VMNET_NAT66_PREFIX:
		if (parse_nat66_prefix(arg, err, errlen))
			return CONF_ERROR;
		c->nat66_prefix = arg;
		break;
	case OPT_DGRAM_SOCKET:
		c->dgram_path = arg;
		break;
	case OPT_FD: {
		char num[16];
		const char *comma = strchr(arg, ',');
		size_t nlen = comma ? (size_t)(comma - arg) : strlen(arg);
		uint8_t mac[6];

		if (nlen >= sizeof(num))
			return fail(err, errlen, "--fd=%s: bad descriptor",
				    arg);
		memcpy(num, arg, nlen);
		num[nlen] = '\0';
		if (parse_number("--fd", num, false, 0, INT_MAX, &v, err,
				 errlen))
			return CONF_ERROR;
		if (comma && (strncmp(comma, ",mac=", 5) ||
			      conf_parse_mac(comma + 5, mac)))
			return fail(err, errlen,
				    "--fd=%s: expected --fd=N or "
				    "--fd=N,mac=xx:xx:xx:xx:xx:xx",
				    arg);
		if (v <= 2)
			return fail(err, errlen,
				    "--fd=%lu: descriptors 0, 1 and 2 are "
				    "stdin, stdout and stderr, not VM sockets",
				    v);
		for (unsigned int i = 0; i < c->nfds; i++)
			if (c->fds[i] == (int)v)
				return fail(err, errlen,
					    "--fd=%lu is given more than once",
					    v);
		if (c->nfds >= CONF_MAX_FDS)
			return fail(err, errlen,
				    "too many --fd options (max %d)",
				    CONF_MAX_FDS);
		if (comma) {
			memcpy(c->fd_mac[c->nfds], mac, 6);
			c->fd_has_mac[c->nfds] = true;
		}
		c->fds[c->nfds++] = (int)v;
		break;
	}
	case OPT_MAX_FRAME:
		if (parse_number("--max-frame", arg, false, MIN_MAX_FRAME,
				 CONF_LIMIT_MAX_FRAME, &v, err, errlen))
			return CONF_ERROR;
		c->max_frame = (unsigned int)v;
		st->have_max_frame = true;
		break;
	case OPT_QUEUE_SIZE:
		if (parse_number("--queue-size", arg, true, 1, MAX_QUEUE, &v,
				 err, errlen))
			return CONF_ERROR;
		c->queue_size = (unsigned int)v;
		break;
	case OPT_MAX_PORTS:
		if (parse_number("--max-ports", arg, false, MIN_PORTS,
				 MAX_PORTS, &v, err, errlen))
			return CONF_ERROR;
		c->max_ports = (unsigned int)v;
		break;
	case OPT_MAC_AGE:
		if (parse_number("--mac-age", arg, false, MIN_MAC_AGE,
				 MAX_MAC_AGE, &v, err, errlen))
			return CONF_ERROR;
		c->mac_age = (unsigned int)v;
		break;
	case OPT_DEBUG:
		c->debug = true;
		break;
	case OPT_DISABLE_DHCP:
		c->disable_dhcp = true;
		break;
	case OPT_MTU:
		if (parse_number("--mtu", arg, false, MIN_MTU, MAX_MTU, &v, err,
				 errlen))
			return CONF_ERROR;
		c->mtu = (unsigned int)v;
		st->have_mtu = true;
		break;
	case OPT_DNS:
		if (parse_dns(c, arg, err, errlen))
			return CONF_ERROR;
		break;
	case OPT_USER:
		if (!*arg)
			return fail(err, errlen, "--user must not be empty");
		c->user = arg;
		break;
	case OPT_DHCP_HOSTS:
		if (!*arg)
			return fail(err, errlen,
				    "--dhcp-hosts must not be empty");
		c->dhcp_hosts = arg;
		break;
	case OPT_LEASE_FILE:
		if (!*arg)
			return fail(err, errlen,
				    "--lease-file must not be empty");
		c->lease_file = arg;
		break;
	case OPT_LEASE_TIME:
		if (parse_number("--lease-time", arg, false, MIN_LEASE,
				 MAX_LEASE, &v, err, errlen))
			return CONF_ERROR;
		c->lease_time = (unsigned int)v;
		break;
	case OPT_TAP:
		if (!*arg || strlen(arg) > IFNAME_MAX || strchr(arg, '/') ||
		    strchr(arg, ' '))
			return fail(err, errlen,
				    "--tap=%s is not a valid interface name "
				    "(1 to %u characters, no '/' or space)",
				    arg, IFNAME_MAX);
		c->tap_name = arg;
		break;
	case OPT_CONNECT:
		if (c->nconnect >= CONF_MAX_CONNECT)
			return fail(err, errlen,
				    "too many --connect options (max %d)",
				    CONF_MAX_CONNECT);
		if (check_path("--connect", arg, err, errlen))
			return CONF_ERROR;
		c->connect[c->nconnect++] = arg;
		break;
	case OPT_GUARD:
		if (!strcmp(arg, "off"))
			c->guard.level = GUARD_OFF;
		else if (!strcmp(arg, "mac"))
			c->guard.level = GUARD_MAC;
		else if (!strcmp(arg, "strict"))
			c->guard.level = GUARD_STRICT;
		else
			return fail(err, errlen,
				    "unknown --guard \"%s\" (expected off, mac "
				    "or strict)",
				    arg);
		break;
	case OPT_ALLOW_VLAN:
		c->guard.allow_vlan = true;
		break;
	case OPT_ISOLATE:
		c->guard.isolate = true;
		break;
	case OPT_ALLOW:
	case OPT_BLOCK: {
		struct guard_rule *r = &c->guard.rules[c->guard.nrules];

		if (c->guard.nrules >= GUARD_MAX_RULES)
			return fail(err, errlen,
				    "too many --allow/--block rules (max %d)",
				    GUARD_MAX_RULES);
		if (guard_parse_cidr(arg, r))
			return fail(err, errlen,
				    "--%s=%s is not an IPv4 CIDR block like "
				    "10.0.0.0/8",
				    opt == OPT_ALLOW ? "allow" : "block", arg);
		r->allow = opt == OPT_ALLOW;
		c->guard.nrules++;
		break;
	}
	case OPT_STATIC: {
		struct guard_static *g = &c->guard.statics[c->guard.nstatics];
		const char *eq = strchr(arg, '=');
		char mac[18];
		struct in_addr a;

		if (c->guard.nstatics >= GUARD_MAX_STATIC)
			return fail(err, errlen, "too many --static (max %d)",
				    GUARD_MAX_STATIC);
		if (!eq || (size_t)(eq - arg) >= sizeof(mac))
			return fail(err, errlen, "--static=%s: expected MAC=IP",
				    arg);
		memcpy(mac, arg, (size_t)(eq - arg));
		mac[eq - arg] = '\0';
		if (conf_parse_mac(mac, g->mac) ||
		    inet_pton(AF_INET, eq + 1, &a) != 1)
			return fail(err, errlen,
				    "--static=%s: expected MAC=IP, e.g. "
				    "52:54:00:12:34:56=192.168.105.200",
				    arg);
		g->ip = ntohl(a.s_addr);
		c->guard.nstatics++;
		break;
	}
	case OPT_SOCKET_USER:
		if (!*arg)
			return fail(err, errlen,
				    "--socket-user must not be empty");
		c->socket_user = arg;
		break;
	case OPT_DHCP_CLIENTS:
		if (parse_number("--dhcp-clients", arg, false, 1,
				 GUARD_DHCP_KEYS, &v, err, errlen))
			return CONF_ERROR;
		c->guard.dhcp_clients = (unsigned int)v;
		break;
	default:
		return fail(err, errlen, "internal error: option %d", opt);
	}
	return CONF_OK;
}

/**
 * check_path() - check a UNIX socket path given on the command line
 * @what:	how to name it in messages, e.g. "SOCKET"
 * @path:	the path
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * Return: 0 when it fits in a sockaddr_un, -1 with a message otherwise.
 */
static int check_path(const char *what, const char *path, char *err,
		      size_t errlen)
{
	if (!*path) {
		fail(err, errlen, "%s must not be empty", what);
		return -1;
	}
	if (strlen(path) > SUN_PATH_MAX) {
		fail(err, errlen, "%s: socket path too long (max %zu bytes)",
		     what, (size_t)SUN_PATH_MAX);
		return -1;
	}
	return 0;
}

/**
 * check_network() - apply defaults and sanity checks to the IPv4 options
 * @c:		the configuration, with options applied
 * @st:		which of the address options were given
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * Return: 0 when consistent, -1 with a message in @err otherwise.
 */
static int check_network(struct conf *c, const struct parse_state *st,
			 char *err, size_t errlen)
{
	char gw_s[INET_ADDRSTRLEN], end_s[INET_ADDRSTRLEN];
	char net_s[INET_ADDRSTRLEN];
	uint32_t gw, end, mask, net, bcast;
	const char *dflt;
	int plen;

	if (c->mode == CONF_MODE_BRIDGED && !c->vmnet_interface) {
		fail(err, errlen,
		     "--vmnet-mode=bridged requires --vmnet-interface=IF");
		return -1;
	}
	if (!c->have_gateway) {
		if (st->have_dhcp_end) {
			fail(err, errlen,
			     "--vmnet-dhcp-end=IP requires --vmnet-gateway=IP");
			return -1;
		}
		if (st->have_mask) {
			fail(err, errlen,
			     "--vmnet-mask=MASK requires --vmnet-gateway=IP");
			return -1;
		}
		return 0;
	}
	if (c->mode == CONF_MODE_BRIDGED) {
		fail(err, errlen,
		     "--vmnet-mode=bridged conflicts with --vmnet-gateway");
		return -1;
	}

	gw = ntohl(c->gateway.s_addr);
	if (!st->have_mask)
		c->mask.s_addr = htonl(0xffffff00u);
	if (!st->have_dhcp_end)
		c->dhcp_end.s_addr = htonl((gw & 0xffffff00u) | 0xfeu);
	mask = ntohl(c->mask.s_addr);
	end = ntohl(c->dhcp_end.s_addr);
	net = gw & mask;
	bcast = net | ~mask;
	plen = mask_prefix_len(mask);
	dflt = st->have_dhcp_end ? "" : " (the default)";
	ip_str(c->gateway, gw_s);
	ip_str(c->dhcp_end, end_s);
	ip_str((struct in_addr){htonl(net)}, net_s);

	if (gw >= 0xe0000000u) {
		fail(err, errlen, "--vmnet-gateway=%s is not a unicast address",
		     gw_s);
		return -1;
	}
	if (gw == net) {
		fail(err, errlen,
		     "--vmnet-gateway=%s is the network address of %s/%d", gw_s,
		     net_s, plen);
		return -1;
	}
	if (gw == bcast) {
		fail(err, errlen,
		     "--vmnet-gateway=%s is the broadcast address of %s/%d",
		     gw_s, net_s, plen);
		return -1;
	}
	if ((end & mask) != net) {
		fail(err, errlen,
		     "--vmnet-dhcp-end=%s%s is outside %s/%d, the subnet of "
		     "--vmnet-gateway=%s",
		     end_s, dflt, net_s, plen, gw_s);
		return -1;
	}
	if (end == bcast) {
		fail(err, errlen,
		     "--vmnet-dhcp-end=%s%s is the broadcast address of %s/%d",
		     end_s, dflt, net_s, plen);
		return -1;
	}
	if (end <= gw) {
		fail(err, errlen,
		     "--vmnet-dhcp-end=%s%s must be greater than "
		     "--vmnet-gateway=%s",
		     end_s, dflt, gw_s);
		return -1;
	}
	return 0;
}

/**
 * conf_parse() - parse and validate the daemon's command line
 * @c:		filled with defaults, then with the options
 * @argc:	argument count
 * @argv:	arguments; getopt may reorder them, strings in @c point into
 * them
 * @err:	buffer for a one-line message when CONF_ERROR is returned
 * @errlen:	size of @err
 *
 * May be called any number of times (getopt is reset on entry). Never
 * prints and never exits. The DEBUG environment variable, when set to
 * anything but "" or "0", also turns on @c->debug.
 *
 * Return: CONF_OK with @c complete, CONF_HELP or CONF_VERSION as soon as
 * -h or -v is met, CONF_ERROR with a message in @err.
 */
enum conf_result conf_parse(struct conf *c, int argc, char **argv, char *err,
			    size_t errlen)
{
	struct parse_state st = {0};
	enum conf_result r;
	int opt;

	if (err && errlen)
		err[0] = '\0';
	set_defaults(c);

	optind = 0; /* full reset, for glibc, musl and BSD getopt_long */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, short_options, long_options,
				  NULL)) != -1) {
		if (opt == '?' || opt == ':')
			return bad_option(opt, argv, err, errlen);
		r = parse_option(c, &st, opt, optarg, err, errlen);
		if (r != CONF_OK)
			return r;
	}

	if (optind < argc)
		c->socket_path = argv[optind++];
	if (optind < argc)
		return fail(err, errlen,
			    "unexpected argument \"%s\" (only one SOCKET may "
			    "be given)",
			    argv[optind]);
	if (!c->socket_path && c->nfds == 0 && c->nconnect == 0)
		return fail(err, errlen, "missing SOCKET");
	if (c->socket_path && check_path("SOCKET", c->socket_path, err, errlen))
		return CONF_ERROR;
	if (c->dgram_path) {
		if (check_path("--dgram-socket", c->dgram_path, err, errlen))
			return CONF_ERROR;
		if (c->socket_path &&
		    strcmp(c->dgram_path, c->socket_path) == 0)
			return fail(err, errlen,
				    "--dgram-socket must differ from SOCKET");
	}

	if (check_network(c, &st, err, errlen))
		return CONF_ERROR;

	if (c->max_frame < c->mtu + 14u) {
		/* Only an explicit MTU that cannot pass is an error; a small
		 * --max-frame alone lowers the default MTU to fit. */
		if (st.have_max_frame && st.have_mtu)
			return fail(err, errlen,
				    "--max-frame=%u is too small for --mtu=%u "
				    "(need at least %u)",
				    c->max_frame, c->mtu, c->mtu + 14u);
		if (st.have_max_frame)
			c->mtu = c->max_frame - 14u;
		else
			c->max_frame = c->mtu + 14u;
	}
	/* A port's queue must hold two of the largest frames with prefixes. */
	if ((unsigned long)c->queue_size < 2ul * (c->max_frame + 4u))
		return fail(err, errlen,
			    "--queue-size=%u is too small for --max-frame=%u "
			    "(need at least %lu bytes)",
			    c->queue_size, c->max_frame,
			    2ul * (c->max_frame + 4u));
	return CONF_OK;
}

/**
 * conf_check_platform() - whether this build can run a configuration
 * @c:		a configuration accepted by conf_parse()
 * @pf:		what the build's host-side backend implements
 * @err:	buffer for a one-line message
 * @errlen:	size of @err
 *
 * This is the single place that decides which parts of the macOS-compatible
 * command line a platform runs; the backend says what it implements.
 *
 * Return: 0 when it can, -1 with a message in @err otherwise.
 */
int conf_check_platform(const struct conf *c, const struct conf_platform *pf,
			char *err, size_t errlen)
{
	if (!(pf->modes & CONF_MODE_BIT(c->mode))) {
		fail(err, errlen,
		     "--vmnet-mode=%s is not supported yet on this platform "
		     "(use --vmnet-mode=isolated)",
		     conf_mode_name(c->mode));
		return -1;
	}
	if (pf->no_user && c->user && c->mode != CONF_MODE_ISOLATED) {
		fail(err, errlen,
		     "--user with --vmnet-mode=%s is not supported yet on this "
		     "platform",
		     conf_mode_name(c->mode));
		return -1;
	}
	if (pf->vmnet_ids)
		return 0;
	if (c->interface_id) {
		fail(err, errlen,
		     "--vmnet-interface-id is only supported on macOS");
		return -1;
	}
	if (c->network_identifier) {
		fail(err, errlen,
		     "--vmnet-network-identifier is only supported on macOS");
		return -1;
	}
	if (c->nat66_prefix) {
		fail(err, errlen,
		     "--vmnet-nat66-prefix is only supported on macOS");
		return -1;
	}
	return 0;
}

/**
 * conf_mode_name() - the command-line name of a mode
 * @mode:	the mode
 *
 * Return: "shared", "host", "bridged", "isolated", or "unknown".
 */
const char *conf_mode_name(enum conf_mode mode)
{
	switch (mode) {
	case CONF_MODE_SHARED:
		return "shared";
	case CONF_MODE_HOST:
		return "host";
	case CONF_MODE_BRIDGED:
		return "bridged";
	case CONF_MODE_ISOLATED:
		return "isolated";
	}
	return "unknown";
}

/**
 * conf_usage() - print the full help text
 * @prog:	program name to show, usually argv[0]
 * @stream:	where to print it
 */
void conf_usage(const char *prog, FILE *stream)
{
	fprintf(stream,
		"Usage: %s [OPTION]... SOCKET\n"
		"       %s [OPTION]... --fd=N [--fd=N]... [SOCKET]\n"
		"\n",
		prog, prog);
	fputs(
	    "An Ethernet switch for virtual machines connected over UNIX "
	    "sockets. VMs\n"
	    "connect to SOCKET (length-prefixed frames, as QEMU -netdev "
	    "stream and\n"
	    "socket_vmnet_client use), to the --dgram-socket (one frame per "
	    "datagram),\n"
	    "or are handed over as connected descriptors with --fd.\n"
	    "\n"
	    "Network (the flags of socket_vmnet for macOS):\n"
	    "  --vmnet-mode=MODE           shared, host, bridged or "
	    "isolated; isolated\n"
	    "                              VMs see only each other "
	    "(default: shared)\n"
	    "  --vmnet-interface=IF        host interface for bridged mode, "
	    "which needs\n"
	    "                              it (default: none)\n"
	    "  --vmnet-gateway=IP          the host's address on the VM "
	    "network, e.g.\n"
	    "                              192.168.105.1; DHCP leases "
	    "start right after\n"
	    "                              it (default: 192.168.105.1 in "
	    "shared mode,\n"
	    "                              192.168.106.1 in host mode, "
	    "none otherwise)\n"
	    "  --vmnet-dhcp-end=IP         last address DHCP hands out; "
	    "needs\n"
	    "                              --vmnet-gateway (default: .254 "
	    "in the\n"
	    "                              gateway's /24)\n"
	    "  --vmnet-mask=MASK           netmask of the VM network; "
	    "needs\n"
	    "                              --vmnet-gateway (default: "
	    "255.255.255.0)\n"
	    "  --vmnet-interface-id=UUID   fixed identity of the host-side "
	    "interface\n"
	    "                              (default: a new random one)\n"
	    "  --vmnet-network-identifier=UUID\n"
	    "                              join the host-mode network "
	    "named by UUID,\n"
	    "                              which has no DHCP; \"random\" "
	    "and \"\" are\n"
	    "                              accepted too (default: none)\n"
	    "  --vmnet-nat66-prefix=PREFIX::\n"
	    "                              IPv6 /64 prefix for shared "
	    "mode, inside\n"
	    "                              fd00::/8 (default: a random "
	    "one)\n"
	    "  Not every mode and flag is available on every platform; the "
	    "daemon\n"
	    "  says so when it starts.\n"
	    "\n"
	    "Network services and host side:\n"
	    "  --vmnet-disable-dhcp        do not run the built-in DHCP "
	    "server (macOS:\n"
	    "                              run it instead of vmnet's)\n"
	    "  --mtu=N                     MTU of the VM network, 576..65535; "
	    "set on the\n"
	    "                              host side and sent to guests "
	    "by DHCP\n"
	    "                              (default: 1500)\n"
	    "  --dns=IP[,IP...]            DNS servers handed out by DHCP "
	    "(default: the\n"
	    "                              host's non-loopback resolvers "
	    "in shared\n"
	    "                              mode, none otherwise)\n"
	    "  --lease-time=SECONDS        DHCP lease time, 60..604800 "
	    "(default: 600)\n"
	    "  --lease-file=FILE           keep DHCP leases across "
	    "restarts in FILE\n"
	    "  --dhcp-hosts=FILE           DHCP reservations in bootptab "
	    "format,\n"
	    "                              reread on SIGHUP\n"
	    "  --tap=NAME                  name of the Linux TAP device "
	    "(default: svmnetN)\n"
	    "  --user=USER                 drop root privileges to USER "
	    "once set up\n"
	    "\n"
	    "Guards (what a VM may send):\n"
	    "  --guard=LEVEL               off, mac (one source MAC per "
	    "VM, no ARP\n"
	    "                              spoofing, no DHCP server or "
	    "router adverts,\n"
	    "                              no claiming the gateway) or "
	    "strict (mac, and\n"
	    "                              IPv4 sources limited to the "
	    "DHCP lease and\n"
	    "                              --static) (default: mac)\n"
	    "  --static=MAC=IP             in strict mode, let MAC use IP "
	    "too; repeatable\n"
	    "  --dhcp-clients=N            DHCP client identities per VM, "
	    "1..8 (default: 2)\n"
	    "  --allow-vlan                let VLAN-tagged frames through\n"
	    "  --isolate                   VMs reach the host side but not "
	    "each other\n"
	    "  --allow=CIDR, --block=CIDR  IPv4 destinations a VM may "
	    "reach through the\n"
	    "                              host side; longest prefix wins, "
	    "block wins a\n"
	    "                              tie, no match allows; "
	    "repeatable\n"
	    "\n"
	    "Sockets:\n"
	    "  --socket-group=GROUP        group owning SOCKET, which gets "
	    "mode 0770\n"
	    "                              (default: staff if that group "
	    "exists,\n"
	    "                              otherwise the daemon's primary "
	    "group)\n"
	    "  --socket-user=USER          only USER may connect (socket "
	    "owned by USER,\n"
	    "                              mode 0700; other uids are "
	    "refused)\n"
	    "  --dgram-socket=PATH         also take datagram VMs (QEMU "
	    "-netdev dgram,\n"
	    "                              vfkit) at PATH (default: none)\n"
	    "  --fd=N[,mac=MAC]            inherited descriptor N is a "
	    "connected VM\n"
	    "                              socket, bound to MAC if given; "
	    "may be\n"
	    "                              repeated (default: none)\n"
	    "  --connect=PATH              connect out to a VM listening "
	    "on PATH (QEMU\n"
	    "                              -netdev stream,server=on); "
	    "reconnects when\n"
	    "                              it goes away; may be repeated\n"
	    "  -p, --pidfile=FILE          once SOCKET listens, write the "
	    "process ID to\n"
	    "                              FILE and hold a lock on it "
	    "(default: none)\n"
	    "\n"
	    "Switch:\n",
	    stream);
	fprintf(stream,
		"  --max-frame=N               largest Ethernet frame in "
		"bytes, %u..%u\n"
		"                              (default: %u)\n"
		"  --queue-size=BYTES          output queue of each VM, with "
		"an optional K,\n"
		"                              M or G suffix; frames for a VM "
		"that does\n"
		"                              not read are dropped once it "
		"is full\n"
		"                              (default: %u, max 1G)\n"
		"  --max-ports=N               VMs connected at once, %u..%u "
		"(default: %u)\n"
		"  --mac-age=SECONDS           forget a MAC address unseen "
		"this long,\n"
		"                              %u..%u (default: %u)\n"
		"\n",
		MIN_MAX_FRAME, CONF_LIMIT_MAX_FRAME, CONF_DEFAULT_MAX_FRAME,
		CONF_DEFAULT_QUEUE, MIN_PORTS, MAX_PORTS,
		CONF_DEFAULT_MAX_PORTS, MIN_MAC_AGE, MAX_MAC_AGE,
		CONF_DEFAULT_MAC_AGE);
	fputs("Other:\n"
	      "  --debug                     log every event (DEBUG=1 in "
	      "the environment\n"
	      "                              does the same)\n"
	      "  -h, --help                  show this text and exit\n"
	      "  -v, --version               show the version and exit\n"
	      "\n"
	      "Version: " VERSION "\n",
	      stream);
}
