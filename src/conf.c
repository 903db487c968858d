/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command line of the daemon: parse, fill in defaults, validate.
 *
 * One table, conf_options[], lists every option: its names, whether it
 * takes an argument, the function that parses it and its help text.
 * getopt_long()'s tables and the help text are made from it. The addressing
 * of the VM network is checked by net.c.
 *
 * Nothing here prints or exits; the caller decides what to do with the
 * result and the one-line error message.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/un.h>

#include "addr.h"
#include "conf.h"
#include "err.h"
#include "fwd.h"
#include "net.h"
#include "uplink.h"

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
#define MAX_OPTIONS   64  /* room in struct conf_parser for the table */
#define LONG_ONLY_VAL 256 /* getopt value of the first long-only option */
#define USAGE_COLUMN  30  /* where the help text of an option starts */
#define USAGE_WIDTH   78  /* longest help line */

/**
 * struct conf_parser - what conf_parse() works with besides struct conf
 * @c:		the configuration being built
 * @opt:	the row of the option being parsed
 * @given:	which rows of conf_options[] were met, by index
 * @err:	buffer for the message
 * @errlen:	size of @err
 */
struct conf_parser {
	struct conf *c;
	const struct conf_option *opt;
	bool given[MAX_OPTIONS];
	char *err;
	size_t errlen;
};

struct conf_option;

/**
 * conf_opt_fn - parses the argument of one option into struct conf
 * @p:		the parser
 * @arg:	its argument, NULL for an option without one
 *
 * Return: CONF_OK to go on, CONF_HELP, CONF_VERSION, or CONF_ERROR with a
 * message in @p->err
 */
typedef enum conf_result conf_opt_fn(struct conf_parser *p, const char *arg);

/**
 * enum conf_arg - whether an option takes an argument
 */
enum conf_arg {
	CONF_ARG_NONE,	   /* --flag */
	CONF_ARG_REQUIRED, /* --option=VALUE or --option VALUE */
};

/**
 * enum conf_section - the parts of the help text
 */
enum conf_section {
	CONF_SEC_NETWORK,
	CONF_SEC_SERVICES,
	CONF_SEC_GUARDS,
	CONF_SEC_SOCKETS,
	CONF_SEC_SWITCH,
	CONF_SEC_OTHER,
	CONF_SEC_COUNT,
};

/**
 * struct conf_option - one row of the option table
 * @name:	long name, without the leading "--"
 * @short_name:	one-letter form, 0 when there is none
 * @arg:	whether it takes an argument
 * @parse:	what applies it to struct conf
 * @argname:	what the help text shows after "=", NULL without argument
 * @section:	where the help text lists it
 * @help:	its help text, one paragraph ("{min}", "{max}" and
 *		"{default}" are replaced by the fields below); NULL: the option
 *		is listed with the row before it
 * @off:	for the generic parsers: where its value goes in struct conf
 * @min:	numbers: smallest value accepted
 * @max:	numbers: largest value accepted
 * @dflt:	numbers: the value without the option
 */
struct conf_option {
	const char *name;
	char short_name;
	enum conf_arg arg;
	conf_opt_fn *parse;
	const char *argname;
	enum conf_section section;
	const char *help;
	size_t off;
	unsigned long min;
	unsigned long max;
	unsigned long dflt;
};

/*
 * The offset of a member of struct conf, which must be of the given type:
 * the generic parsers store through it.
 */
#define CONF_AT(member, type)                                                  \
	(offsetof(struct conf, member) +                                       \
	 0 * sizeof(_Generic(((struct conf *)0)->member, type : 1)))
#define CONF_TEXT(member) CONF_AT(member, const char *)
#define CONF_UINT(member) CONF_AT(member, unsigned int)
#define CONF_BOOL(member) CONF_AT(member, bool)
#define CONF_IP4(member)  CONF_AT(member, struct in_addr)

/**
 * conf_field() - where a generic parser stores an option's value
 * @c:		the configuration
 * @o:		the option's row
 *
 * Return: the member of @c at @o->off
 */
static void *conf_field(struct conf *c, const struct conf_option *o)
{
	return (char *)c + o->off;
}

/**
 * conf_number() - parse a strict decimal number with an optional suffix
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
static int conf_number(const char *opt, const char *text, bool binary_suffix,
		       unsigned long min, unsigned long max, unsigned long *out,
		       char *err, size_t errlen)
{
	unsigned long v, mult = 1;
	char *end;

	if (text[0] == '-' && isdigit((unsigned char)text[1]))
		return err_set(err, errlen, "%s=%s must not be negative", opt,
			       text);
	if (!isdigit((unsigned char)text[0]))
		return err_set(err, errlen, "%s=%s is not a number", opt, text);
	errno = 0;
	v = strtoul(text, &end, 10);
	if (binary_suffix && *end && !end[1]) {
		static const char suffixes[] = "kKmMgG";
		const char *s = strchr(suffixes, *end);

		if (s) { /* k, m, g: 2^10, 2^20, 2^30 */
			mult = 1ul << (10 * (1 + (s - suffixes) / 2));
			end++;
		}
	}
	if (*end)
		return err_set(err, errlen, "%s=%s is not a number%s", opt,
			       text,
			       binary_suffix ? " (suffixes: K, M, G)" : "");
	if (errno == ERANGE || v > max / mult || v * mult < min ||
	    v * mult > max)
		return err_set(err, errlen, "%s=%s is out of range (%lu..%lu)",
			       opt, text, min, max);
	*out = v * mult;
	return 0;
}

/**
 * conf_is_uuid() - check the text form of a UUID
 * @text:	candidate, e.g. "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
 *
 * Return: true for 8-4-4-4-12 hexadecimal digits (either case).
 */
static bool conf_is_uuid(const char *text)
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
 * conf_check_path() - check a UNIX socket path given on the command line
 * @what:	how to name it in messages, e.g. "SOCKET"
 * @path:	the path
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * Return: 0 when it fits in a sockaddr_un, -1 with a message otherwise.
 */
static int conf_check_path(const char *what, const char *path, char *err,
			   size_t errlen)
{
	if (!*path)
		return err_set(err, errlen, "%s must not be empty", what);
	if (strlen(path) > SUN_PATH_MAX)
		return err_set(err, errlen,
			       "%s: socket path too long (max %zu bytes)", what,
			       (size_t)SUN_PATH_MAX);
	return 0;
}

/* --- option parsers ------------------------------------------------ */

/**
 * conf_opt_help() - -h, --help
 * @p:		the parser
 * @arg:	NULL
 *
 * Return: CONF_HELP
 */
static enum conf_result conf_opt_help(struct conf_parser *p, const char *arg)
{
	(void)p;
	(void)arg;
	return CONF_HELP;
}

/**
 * conf_opt_version() - -v, --version
 * @p:		the parser
 * @arg:	NULL
 *
 * Return: CONF_VERSION
 */
static enum conf_result conf_opt_version(struct conf_parser *p, const char *arg)
{
	(void)p;
	(void)arg;
	return CONF_VERSION;
}

/**
 * conf_opt_flag() - an option without argument that turns a bool on
 * @p:		the parser; the row's .off names a bool
 * @arg:	NULL
 *
 * Return: CONF_OK
 */
static enum conf_result conf_opt_flag(struct conf_parser *p, const char *arg)
{
	(void)arg;
	*(bool *)conf_field(p->c, p->opt) = true;
	return CONF_OK;
}

/**
 * conf_opt_text() - a string that must not be empty
 * @p:		the parser; the row's .off names a string
 * @arg:	the argument, kept (it points into argv)
 *
 * Return: CONF_OK, or CONF_ERROR for an empty argument
 */
static enum conf_result conf_opt_text(struct conf_parser *p, const char *arg)
{
	if (!*arg) {
		err_set(p->err, p->errlen, "--%s must not be empty",
			p->opt->name);
		return CONF_ERROR;
	}
	*(const char **)conf_field(p->c, p->opt) = arg;
	return CONF_OK;
}

/**
 * conf_opt_path() - a socket path, checked once all options are read
 * @p:		the parser; the row's .off names a string
 * @arg:	the argument, kept (it points into argv)
 *
 * Return: CONF_OK
 */
static enum conf_result conf_opt_path(struct conf_parser *p, const char *arg)
{
	*(const char **)conf_field(p->c, p->opt) = arg;
	return CONF_OK;
}

/**
 * conf_store_number() - parse a number into the row's unsigned int
 * @p:		the parser; the row's .off names an unsigned int
 * @arg:	the argument
 * @binary_suffix: accept K, M or G after the digits
 *
 * Return: CONF_OK, or CONF_ERROR for anything but a number within the
 * row's .min .. .max
 */
static enum conf_result conf_store_number(struct conf_parser *p,
					  const char *arg, bool binary_suffix)
{
	char opt[40];
	unsigned long v;

	snprintf(opt, sizeof(opt), "--%s", p->opt->name);
	if (conf_number(opt, arg, binary_suffix, p->opt->min, p->opt->max, &v,
			p->err, p->errlen))
		return CONF_ERROR;
	*(unsigned int *)conf_field(p->c, p->opt) = (unsigned int)v;
	return CONF_OK;
}

/**
 * conf_opt_number() - a decimal number within the row's .min .. .max
 * @p:		the parser; the row's .off names an unsigned int
 * @arg:	the argument
 *
 * Return: what conf_store_number() returns
 */
static enum conf_result conf_opt_number(struct conf_parser *p, const char *arg)
{
	return conf_store_number(p, arg, false);
}

/**
 * conf_opt_size() - a byte count, like conf_opt_number() with K, M or G
 * @p:		the parser; the row's .off names an unsigned int
 * @arg:	the argument
 *
 * Return: what conf_store_number() returns
 */
static enum conf_result conf_opt_size(struct conf_parser *p, const char *arg)
{
	return conf_store_number(p, arg, true);
}

/**
 * conf_opt_ip4() - an IPv4 address, checked against the others later
 * @p:		the parser; the row's .off names a struct in_addr
 * @arg:	the argument
 *
 * Return: CONF_OK, or CONF_ERROR when @arg is not a dotted quad
 */
static enum conf_result conf_opt_ip4(struct conf_parser *p, const char *arg)
{
	uint32_t ip;

	if (!addr_ip4_parse(arg, &ip)) {
		err_set(p->err, p->errlen, "invalid address \"%s\" for --%s",
			arg, p->opt->name);
		return CONF_ERROR;
	}
	((struct in_addr *)conf_field(p->c, p->opt))->s_addr = htonl(ip);
	return CONF_OK;
}

/**
 * conf_opt_mask() - --vmnet-mask: an IPv4 address that is a netmask
 * @p:		the parser
 * @arg:	the argument
 *
 * Return: CONF_OK, or CONF_ERROR for an address that is not a netmask
 */
static enum conf_result conf_opt_mask(struct conf_parser *p, const char *arg)
{
	if (conf_opt_ip4(p, arg) != CONF_OK ||
	    net_check_mask(ntohl(p->c->mask.s_addr), NET_WORDS_OPTIONS, p->err,
			   p->errlen))
		return CONF_ERROR;
	return CONF_OK;
}

/**
 * conf_opt_mode() - --vmnet-mode
 * @p:		the parser
 * @arg:	shared, host, bridged or isolated
 *
 * Return: CONF_OK, or CONF_ERROR for an unknown mode
 */
static enum conf_result conf_opt_mode(struct conf_parser *p, const char *arg)
{
	if (net_mode_parse(arg, &p->c->mode)) {
		err_set(p->err, p->errlen,
			"unknown --vmnet-mode \"%s\" (expected host, shared, "
			"bridged or isolated)",
			arg);
		return CONF_ERROR;
	}
	return CONF_OK;
}

/**
 * conf_opt_interface_id() - --vmnet-interface-id: a UUID
 * @p:		the parser
 * @arg:	the argument
 *
 * Return: CONF_OK, or CONF_ERROR when @arg is not a UUID
 */
static enum conf_result conf_opt_interface_id(struct conf_parser *p,
					      const char *arg)
{
	if (!conf_is_uuid(arg)) {
		err_set(p->err, p->errlen,
			"--vmnet-interface-id=%s is not a UUID (expected "
			"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)",
			arg);
		return CONF_ERROR;
	}
	p->c->interface_id = arg;
	return CONF_OK;
}

/**
 * conf_opt_network_id() - --vmnet-network-identifier
 * @p:		the parser
 * @arg:	as upstream: a UUID, "random", or "" for none
 *
 * Return: CONF_OK, or CONF_ERROR for anything else
 */
static enum conf_result conf_opt_network_id(struct conf_parser *p,
					    const char *arg)
{
	if (!*arg) {
		p->c->network_identifier = NULL;
		return CONF_OK;
	}
	if (strcmp(arg, "random") != 0 && !conf_is_uuid(arg)) {
		err_set(p->err, p->errlen,
			"--vmnet-network-identifier=%s is not a UUID (expected "
			"xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, \"random\" or "
			"\"\")",
			arg);
		return CONF_ERROR;
	}
	p->c->network_identifier = arg;
	return CONF_OK;
}

/**
 * conf_opt_nat66() - --vmnet-nat66-prefix
 * @p:		the parser
 * @arg:	the argument, e.g. "fd12:3456:789a:1::"
 *
 * The prefix must be an IPv6 address in fd00::/8 (a locally assigned
 * unique local address) whose low 64 bits are zero, i.e. a /64 prefix.
 *
 * Return: CONF_OK, or CONF_ERROR for anything else
 */
static enum conf_result conf_opt_nat66(struct conf_parser *p, const char *arg)
{
	static const uint8_t zero[8];
	struct in6_addr a;

	if (inet_pton(AF_INET6, arg, &a) != 1) {
		err_set(p->err, p->errlen,
			"invalid IPv6 prefix \"%s\" for --vmnet-nat66-prefix",
			arg);
		return CONF_ERROR;
	}
	if (a.s6_addr[0] != 0xfd) {
		err_set(p->err, p->errlen,
			"--vmnet-nat66-prefix=%s is not a unique local prefix "
			"(it must be inside fd00::/8)",
			arg);
		return CONF_ERROR;
	}
	if (memcmp(a.s6_addr + 8, zero, sizeof(zero)) != 0) {
		err_set(p->err, p->errlen,
			"--vmnet-nat66-prefix=%s is not a /64 prefix (its last "
			"64 bits must be zero)",
			arg);
		return CONF_ERROR;
	}
	p->c->nat66_prefix = arg;
	return CONF_OK;
}

/**
 * conf_opt_fd() - --fd=N[,mac=MAC]: an inherited, connected VM socket
 * @p:		the parser
 * @arg:	the argument
 *
 * Return: CONF_OK, or CONF_ERROR for a bad, reserved or repeated
 * descriptor, a bad MAC address or too many of them
 */
static enum conf_result conf_opt_fd(struct conf_parser *p, const char *arg)
{
	struct conf *c = p->c;
	const char *comma = strchr(arg, ',');
	size_t nlen = comma ? (size_t)(comma - arg) : strlen(arg);
	uint8_t mac[ADDR_MAC_LEN];
	unsigned long v;
	char num[16];

	if (nlen >= sizeof(num)) {
		err_set(p->err, p->errlen, "--fd=%s: bad descriptor", arg);
		return CONF_ERROR;
	}
	memcpy(num, arg, nlen);
	num[nlen] = '\0';
	if (conf_number("--fd", num, false, 0, INT_MAX, &v, p->err, p->errlen))
		return CONF_ERROR;
	if (comma &&
	    (strncmp(comma, ",mac=", 5) || !addr_mac_parse(comma + 5, mac))) {
		err_set(p->err, p->errlen,
			"--fd=%s: expected --fd=N or "
			"--fd=N,mac=xx:xx:xx:xx:xx:xx",
			arg);
		return CONF_ERROR;
	}
	if (v <= 2) {
		err_set(p->err, p->errlen,
			"--fd=%lu: descriptors 0, 1 and 2 are stdin, "
			"stdout and stderr, not VM sockets",
			v);
		return CONF_ERROR;
	}
	for (unsigned int i = 0; i < c->nfds; i++) {
		if (c->fds[i] == (int)v) {
			err_set(p->err, p->errlen,
				"--fd=%lu is given more than once", v);
			return CONF_ERROR;
		}
	}
	if (c->nfds >= CONF_MAX_FDS) {
		err_set(p->err, p->errlen, "too many --fd options (max %d)",
			CONF_MAX_FDS);
		return CONF_ERROR;
	}
	if (comma) {
		memcpy(c->fd_mac[c->nfds], mac, ADDR_MAC_LEN);
		c->fd_has_mac[c->nfds] = true;
	}
	c->fds[c->nfds++] = (int)v;
	return CONF_OK;
}

/**
 * conf_dns_one() - one address of --dns
 * @p:		the parser
 * @one:	the address, IPv4 or IPv6
 *
 * Return: CONF_OK, or CONF_ERROR for a bad address or too many
 */
static enum conf_result conf_dns_one(struct conf_parser *p, const char *one)
{
	struct conf *c = p->c;
	struct in6_addr a6;
	uint32_t ip;

	if (addr_ip4_parse(one, &ip)) {
		if (c->ndns >= CONF_MAX_DNS)
			goto full;
		c->dns[c->ndns++].s_addr = htonl(ip);
		return CONF_OK;
	}
	if (inet_pton(AF_INET6, one, &a6) == 1) {
		if (c->ndns6 >= CONF_MAX_DNS)
			goto full;
		c->dns6[c->ndns6++] = a6;
		return CONF_OK;
	}
	err_set(p->err, p->errlen, "invalid address \"%s\" for --dns", one);
	return CONF_ERROR;
full:
	err_set(p->err, p->errlen, "--dns: at most %d servers of each family",
		CONF_MAX_DNS);
	return CONF_ERROR;
}

/**
 * conf_opt_dns() - --dns=IP[,IP...]
 * @p:		the parser
 * @arg:	comma-separated IPv4 addresses (DHCP) and IPv6 addresses
 *		(router advertisements); replaces an earlier --dns
 *
 * Return: CONF_OK, or CONF_ERROR for a bad list or address
 */
static enum conf_result conf_opt_dns(struct conf_parser *p, const char *arg)
{
	struct conf *c = p->c;
	char one[INET6_ADDRSTRLEN + 1];

	c->ndns = 0;
	c->ndns6 = 0;
	while (*arg) {
		size_t n = strcspn(arg, ",");

		if (n == 0 || n >= sizeof(one)) {
			err_set(p->err, p->errlen,
				"--dns: bad address list near \"%s\"", arg);
			return CONF_ERROR;
		}
		memcpy(one, arg, n);
		one[n] = '\0';
		if (conf_dns_one(p, one) != CONF_OK)
			return CONF_ERROR;
		arg += n;
		if (*arg == ',' && !*++arg) {
			err_set(p->err, p->errlen, "--dns: trailing comma");
			return CONF_ERROR;
		}
	}
	if (!c->ndns && !c->ndns6) {
		err_set(p->err, p->errlen, "--dns needs at least one address");
		return CONF_ERROR;
	}
	return CONF_OK;
}

/**
 * conf_opt_tap() - --tap: a Linux interface name
 * @p:		the parser
 * @arg:	the argument
 *
 * Return: CONF_OK, or CONF_ERROR for a name Linux would refuse
 */
static enum conf_result conf_opt_tap(struct conf_parser *p, const char *arg)
{
	if (!*arg || strlen(arg) > IFNAME_MAX || strchr(arg, '/') ||
	    strchr(arg, ' ')) {
		err_set(p->err, p->errlen,
			"--tap=%s is not a valid interface name (1 to %u "
			"characters, no '/' or space)",
			arg, IFNAME_MAX);
		return CONF_ERROR;
	}
	p->c->tap_name = arg;
	return CONF_OK;
}

/**
 * conf_opt_connect() - --connect=PATH: a VM listening there
 * @p:		the parser
 * @arg:	the path
 *
 * Return: CONF_OK, or CONF_ERROR for a bad path or too many of them
 */
static enum conf_result conf_opt_connect(struct conf_parser *p, const char *arg)
{
	struct conf *c = p->c;

	if (c->nconnect >= CONF_MAX_CONNECT) {
		err_set(p->err, p->errlen,
			"too many --connect options (max %d)",
			CONF_MAX_CONNECT);
		return CONF_ERROR;
	}
	if (conf_check_path("--connect", arg, p->err, p->errlen))
		return CONF_ERROR;
	c->connect[c->nconnect++] = arg;
	return CONF_OK;
}

/**
 * conf_opt_guard() - --guard=off|mac|strict
 * @p:		the parser
 * @arg:	the level
 *
 * Return: CONF_OK, or CONF_ERROR for an unknown level
 */
static enum conf_result conf_opt_guard(struct conf_parser *p, const char *arg)
{
	static const struct {
		const char *name;
		enum guard_level level;
	} levels[] = {
	    {"off", GUARD_OFF},
	    {"mac", GUARD_MAC},
	    {"strict", GUARD_STRICT},
	};

	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (strcmp(arg, levels[i].name) == 0) {
			p->c->guard.level = levels[i].level;
			return CONF_OK;
		}
	}
	err_set(p->err, p->errlen,
		"unknown --guard \"%s\" (expected off, mac or strict)", arg);
	return CONF_ERROR;
}

/**
 * conf_add_rule() - add an --allow or --block rule
 * @p:		the parser
 * @arg:	an IPv4 CIDR block
 * @allow:	--allow (true) or --block (false)
 *
 * Return: CONF_OK, or CONF_ERROR for a bad block or too many rules
 */
static enum conf_result conf_add_rule(struct conf_parser *p, const char *arg,
				      bool allow)
{
	struct guard_conf *g = &p->c->guard;

	if (g->nrules >= GUARD_MAX_RULES) {
		err_set(p->err, p->errlen,
			"too many --allow/--block rules (max %d)",
			GUARD_MAX_RULES);
		return CONF_ERROR;
	}
	if (guard_parse_cidr(arg, &g->rules[g->nrules])) {
		err_set(p->err, p->errlen,
			"--%s=%s is not an IPv4 CIDR block like 10.0.0.0/8",
			p->opt->name, arg);
		return CONF_ERROR;
	}
	g->rules[g->nrules++].allow = allow;
	return CONF_OK;
}

/**
 * conf_opt_allow() - --allow=CIDR
 * @p:		the parser
 * @arg:	an IPv4 CIDR block
 *
 * Return: what conf_add_rule() returns
 */
static enum conf_result conf_opt_allow(struct conf_parser *p, const char *arg)
{
	return conf_add_rule(p, arg, true);
}

/**
 * conf_opt_block() - --block=CIDR
 * @p:		the parser
 * @arg:	an IPv4 CIDR block
 *
 * Return: what conf_add_rule() returns
 */
static enum conf_result conf_opt_block(struct conf_parser *p, const char *arg)
{
	return conf_add_rule(p, arg, false);
}

/**
 * conf_opt_static() - --static=MAC=IP
 * @p:		the parser
 * @arg:	the argument
 *
 * Return: CONF_OK, or CONF_ERROR for a bad pair or too many of them
 */
static enum conf_result conf_opt_static(struct conf_parser *p, const char *arg)
{
	struct guard_conf *g = &p->c->guard;
	const char *eq = strchr(arg, '=');
	char mac[ADDR_MAC_STRLEN];

	if (g->nstatics >= GUARD_MAX_STATIC) {
		err_set(p->err, p->errlen, "too many --static (max %d)",
			GUARD_MAX_STATIC);
		return CONF_ERROR;
	}
	if (!eq || (size_t)(eq - arg) >= sizeof(mac)) {
		err_set(p->err, p->errlen, "--static=%s: expected MAC=IP", arg);
		return CONF_ERROR;
	}
	memcpy(mac, arg, (size_t)(eq - arg));
	mac[eq - arg] = '\0';
	if (!addr_mac_parse(mac, g->statics[g->nstatics].mac) ||
	    !addr_ip4_parse(eq + 1, &g->statics[g->nstatics].ip)) {
		err_set(p->err, p->errlen,
			"--static=%s: expected MAC=IP, e.g. "
			"52:54:00:12:34:56=192.168.105.200",
			arg);
		return CONF_ERROR;
	}
	g->nstatics++;
	return CONF_OK;
}

/**
 * conf_opt_nat() - --nat=auto|kernel|user
 * @p:		the parser
 * @arg:	which backend serves shared mode
 *
 * Return: CONF_OK, or CONF_ERROR for an unknown value
 */
static enum conf_result conf_opt_nat(struct conf_parser *p, const char *arg)
{
	static const char *const names[] = {
	    [UPLINK_NAT_AUTO] = "auto",
	    [UPLINK_NAT_KERNEL] = "kernel",
	    [UPLINK_NAT_USER] = "user",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(arg, names[i]) == 0) {
			p->c->nat = (enum uplink_nat)i;
			return CONF_OK;
		}
	}
	err_set(p->err, p->errlen,
		"unknown --nat \"%s\" (expected auto, kernel or user)", arg);
	return CONF_ERROR;
}

/**
 * conf_opt_host_loopback() - --host-loopback=yes|no
 * @p:		the parser
 * @arg:	whether guests reach the host's loopback at the gateway
 *
 * Return: CONF_OK, or CONF_ERROR for another value
 */
static enum conf_result conf_opt_host_loopback(struct conf_parser *p,
					       const char *arg)
{
	if (strcmp(arg, "yes") && strcmp(arg, "no")) {
		err_set(p->err, p->errlen,
			"--host-loopback=%s: expected yes or no", arg);
		return CONF_ERROR;
	}
	p->c->no_host_loopback = strcmp(arg, "no") == 0;
	return CONF_OK;
}

/**
 * conf_opt_ipv6() - --ipv6=yes|no
 * @p:		the parser
 * @arg:	whether the gateway's IPv6 services and NAT66 run
 *
 * Return: CONF_OK, or CONF_ERROR for another value
 */
static enum conf_result conf_opt_ipv6(struct conf_parser *p, const char *arg)
{
	if (strcmp(arg, "yes") && strcmp(arg, "no")) {
		err_set(p->err, p->errlen, "--ipv6=%s: expected yes or no",
			arg);
		return CONF_ERROR;
	}
	p->c->no_ipv6 = strcmp(arg, "no") == 0;
	return CONF_OK;
}

/**
 * conf_opt_sandbox() - --sandbox=on|off
 * @p:		the parser
 * @arg:	whether the switch process runs in the sandbox
 *
 * Return: CONF_OK, or CONF_ERROR for another value
 */
static enum conf_result conf_opt_sandbox(struct conf_parser *p, const char *arg)
{
	if (strcmp(arg, "on") && strcmp(arg, "off")) {
		err_set(p->err, p->errlen, "--sandbox=%s: expected on or off",
			arg);
		return CONF_ERROR;
	}
	p->c->sandbox_off = strcmp(arg, "off") == 0;
	return CONF_OK;
}

/**
 * conf_opt_forward() - --forward=[tcp:|udp:][HOSTADDR:]HOSTPORT:GUESTADDR:
 * GUESTPORT
 * @p:		the parser
 * @arg:	the forward (fwd_parse())
 *
 * Return: CONF_OK, or CONF_ERROR for a bad spec, one that takes the host
 * port of another, or too many
 */
static enum conf_result conf_opt_forward(struct conf_parser *p, const char *arg)
{
	struct conf *c = p->c;
	struct fwd_spec f;
	struct fwd_set set;
	char msg[256];

	if (fwd_parse(arg, &f, msg, sizeof(msg)) < 0) {
		err_set(p->err, p->errlen, "--forward: %s", msg);
		return CONF_ERROR;
	}
	memcpy(set.f, c->forwards, c->nforwards * sizeof(set.f[0]));
	set.n = c->nforwards;
	if (fwd_set_add(&set, &f, msg, sizeof(msg)) < 0) {
		err_set(p->err, p->errlen, "--forward=%s: %s", arg, msg);
		return CONF_ERROR;
	}
	c->forwards[c->nforwards++] = f;
	return CONF_OK;
}

/* --- the table ----------------------------------------------------- */

/*
 * Row format: long name, short name (0: none), argument kind, parser,
 * argument name, help section, help text (NULL: listed with the row
 * before), then for the generic parsers where the value goes and, for
 * numbers, its range and default. The help text lists the sections in
 * enum conf_section order and the rows of each in this order.
 */
static const struct conf_option conf_options[] = {
    /* Network: the flags of socket_vmnet for macOS */
    {.name = "vmnet-mode",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_mode,
     .argname = "MODE",
     .section = CONF_SEC_NETWORK,
     .help = "shared, host, bridged or isolated; isolated VMs see only each "
	     "other (default: shared)"},
    {.name = "vmnet-interface",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_text,
     .argname = "IF",
     .section = CONF_SEC_NETWORK,
     .help = "host interface for bridged mode, which needs it (default: none)",
     .off = CONF_TEXT(vmnet_interface)},
    {.name = "vmnet-gateway",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_ip4,
     .argname = "IP",
     .section = CONF_SEC_NETWORK,
     .help = "the host's address on the VM network, e.g. 192.168.105.1; DHCP "
	     "leases start right after it (default: 192.168.105.1 in shared "
	     "mode, 192.168.106.1 in host mode, none otherwise)",
     .off = CONF_IP4(gateway)},
    {.name = "vmnet-dhcp-end",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_ip4,
     .argname = "IP",
     .section = CONF_SEC_NETWORK,
     .help = "last address DHCP hands out; needs --vmnet-gateway (default: "
	     ".254 in the gateway's /24)",
     .off = CONF_IP4(dhcp_end)},
    {.name = "vmnet-mask",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_mask,
     .argname = "MASK",
     .section = CONF_SEC_NETWORK,
     .help = "netmask of the VM network; needs --vmnet-gateway (default: "
	     "255.255.255.0)",
     .off = CONF_IP4(mask)},
    {.name = "vmnet-interface-id",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_interface_id,
     .argname = "UUID",
     .section = CONF_SEC_NETWORK,
     .help = "fixed identity of the host-side interface (default: a new random "
	     "one)"},
    {.name = "vmnet-network-identifier",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_network_id,
     .argname = "UUID",
     .section = CONF_SEC_NETWORK,
     .help = "join the host-mode network named by UUID, which has no DHCP; "
	     "\"random\" and \"\" are accepted too (default: none)"},
    {.name = "vmnet-nat66-prefix",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_nat66,
     .argname = "PREFIX::",
     .section = CONF_SEC_NETWORK,
     .help = "IPv6 /64 prefix of the VM network, inside fd00::/8 (default: "
	     "one derived from the IPv4 network; on macOS, vmnet's own)"},
    /* Network services and host side */
    {.name = "vmnet-disable-dhcp",
     .arg = CONF_ARG_NONE,
     .parse = conf_opt_flag,
     .section = CONF_SEC_SERVICES,
     .help = "do not run the built-in DHCP server (macOS: run it instead of "
	     "vmnet's)",
     .off = CONF_BOOL(disable_dhcp)},
    {.name = "mtu",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_number,
     .argname = "N",
     .section = CONF_SEC_SERVICES,
     .help = "MTU of the VM network, {min}..{max}; set on the host side and "
	     "sent to guests by DHCP (default: {default})",
     .off = CONF_UINT(mtu),
     .min = MIN_MTU,
     .max = MAX_MTU,
     .dflt = CONF_DEFAULT_MTU},
    {.name = "dns",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_dns,
     .argname = "IP[,IP...]",
     .section = CONF_SEC_SERVICES,
     .help = "DNS servers: IPv4 ones handed out by DHCP, IPv6 ones in router "
	     "advertisements (default: the gateway with the "
	     "user-mode NAT, the host's non-loopback resolvers with the "
	     "kernel's, none otherwise)"},
    {.name = "lease-time",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_number,
     .argname = "SECONDS",
     .section = CONF_SEC_SERVICES,
     .help = "DHCP lease time, {min}..{max} (default: {default})",
     .off = CONF_UINT(lease_time),
     .min = MIN_LEASE,
     .max = MAX_LEASE,
     .dflt = CONF_DEFAULT_LEASE},
    {.name = "lease-file",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_text,
     .argname = "FILE",
     .section = CONF_SEC_SERVICES,
     .help = "keep DHCP leases across restarts in FILE",
     .off = CONF_TEXT(lease_file)},
    {.name = "dhcp-hosts",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_text,
     .argname = "FILE",
     .section = CONF_SEC_SERVICES,
     .help = "DHCP reservations in bootptab format, reread on SIGHUP",
     .off = CONF_TEXT(dhcp_hosts)},
    {.name = "tap",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_tap,
     .argname = "NAME",
     .section = CONF_SEC_SERVICES,
     .help = "name of the Linux TAP device (default: svmnetN)"},
    {.name = "user",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_text,
     .argname = "USER",
     .section = CONF_SEC_SERVICES,
     .help = "started as root, run the switch as USER once set up "
	     "(default: socket_vmnet if that user exists, else nobody; root: "
	     "no separation)",
     .off = CONF_TEXT(user)},
    {.name = "sandbox",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_sandbox,
     .argname = "on|off",
     .section = CONF_SEC_SERVICES,
     .help = "Linux: confine the switch process (seccomp allowlist, "
	     "read-only mount namespace); off for debugging (default: on)"},
    {.name = "nat",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_nat,
     .argname = "HOW",
     .section = CONF_SEC_SERVICES,
     .help = "shared mode: kernel (TAP and nftables; vmnet on macOS), user "
	     "(libslirp, no privileges needed) or auto: kernel when the "
	     "daemon may create its device, user otherwise (default: auto)"},
    {.name = "host-loopback",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_host_loopback,
     .argname = "yes|no",
     .section = CONF_SEC_SERVICES,
     .help = "user-mode NAT: guests reach the host's 127.0.0.1 at the "
	     "gateway address (default: yes)"},
    {.name = "ipv6",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_ipv6,
     .argname = "yes|no",
     .section = CONF_SEC_SERVICES,
     .help = "IPv6: router advertisements of a /64 prefix, neighbour "
	     "discovery and ping at the gateway, NAT66 in shared mode "
	     "(default: yes)"},
    {.name = "forward",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_forward,
     .argname = "[PROTO:][HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT",
     .section = CONF_SEC_SERVICES,
     .help =
	 "connections to HOSTPORT of the host's HOSTADDR (default: "
	 "127.0.0.1) reach GUESTPORT of the guest at GUESTADDR; PROTO is tcp "
	 "(default) or udp; shared and host mode; repeatable"},
    /* Guards: what a VM may send */
    {.name = "guard",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_guard,
     .argname = "LEVEL",
     .section = CONF_SEC_GUARDS,
     .help =
	 "off, mac (one source MAC per VM, no ARP spoofing, no DHCP server or "
	 "router adverts, no claiming the gateway) or strict (mac, and IPv4 "
	 "sources limited to the DHCP lease and --static) (default: mac)"},
    {.name = "static",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_static,
     .argname = "MAC=IP",
     .section = CONF_SEC_GUARDS,
     .help = "in strict mode, let MAC use IP too; repeatable"},
    {.name = "dhcp-clients",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_number,
     .argname = "N",
     .section = CONF_SEC_GUARDS,
     .help = "DHCP client identities per VM, {min}..{max} (default: {default})",
     .off = CONF_UINT(guard.dhcp_clients),
     .min = 1,
     .max = GUARD_DHCP_KEYS,
     .dflt = 2},
    {.name = "allow-vlan",
     .arg = CONF_ARG_NONE,
     .parse = conf_opt_flag,
     .section = CONF_SEC_GUARDS,
     .help = "let VLAN-tagged frames through",
     .off = CONF_BOOL(guard.allow_vlan)},
    {.name = "isolate",
     .arg = CONF_ARG_NONE,
     .parse = conf_opt_flag,
     .section = CONF_SEC_GUARDS,
     .help = "VMs reach the host side but not each other",
     .off = CONF_BOOL(guard.isolate)},
    {.name = "allow",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_allow,
     .argname = "CIDR",
     .section = CONF_SEC_GUARDS,
     .help = "IPv4 destinations a VM may reach through the host side; longest "
	     "prefix wins, block wins a tie, no match allows; repeatable"},
    {.name = "block",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_block,
     .argname = "CIDR",
     .section = CONF_SEC_GUARDS},
    /* Sockets */
    {.name = "socket-group",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_text,
     .argname = "GROUP",
     .section = CONF_SEC_SOCKETS,
     .help = "group owning SOCKET, which gets mode 0770 (default: staff if "
	     "that group exists, otherwise the daemon's primary group)",
     .off = CONF_TEXT(socket_group)},
    {.name = "socket-user",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_text,
     .argname = "USER",
     .section = CONF_SEC_SOCKETS,
     .help = "only USER may connect (socket owned by USER, mode 0700; other "
	     "uids are refused)",
     .off = CONF_TEXT(socket_user)},
    {.name = "dgram-socket",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_path,
     .argname = "PATH",
     .section = CONF_SEC_SOCKETS,
     .help = "also take datagram VMs (QEMU -netdev dgram, vfkit) at PATH "
	     "(default: none)",
     .off = CONF_TEXT(dgram_path)},
    {.name = "fd",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_fd,
     .argname = "N[,mac=MAC]",
     .section = CONF_SEC_SOCKETS,
     .help = "inherited descriptor N is a connected VM socket, bound to MAC if "
	     "given; may be repeated (default: none)"},
    {.name = "connect",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_connect,
     .argname = "PATH",
     .section = CONF_SEC_SOCKETS,
     .help =
	 "connect out to a VM listening on PATH (QEMU -netdev "
	 "stream,server=on); reconnects when it goes away; may be repeated"},
    {.name = "pidfile",
     .short_name = 'p',
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_text,
     .argname = "FILE",
     .section = CONF_SEC_SOCKETS,
     .help = "once SOCKET listens, write the process ID to FILE and hold a "
	     "lock on it (default: none)",
     .off = CONF_TEXT(pidfile)},
    {.name = "control",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_path,
     .argname = "PATH",
     .section = CONF_SEC_SOCKETS,
     .help = "control socket for socket_vmnetctl, mode 0600 (default: SOCKET "
	     "with .ctl appended; none without SOCKET; \"none\": none)",
     .off = CONF_TEXT(control_path)},
    {.name = "control-group",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_text,
     .argname = "GROUP",
     .section = CONF_SEC_SOCKETS,
     .help = "members of GROUP may use the control socket too (mode 0660; "
	     "default: root and the daemon's user only)",
     .off = CONF_TEXT(control_group)},
    /* Switch */
    {.name = "max-frame",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_number,
     .argname = "N",
     .section = CONF_SEC_SWITCH,
     .help =
	 "largest Ethernet frame in bytes, {min}..{max} (default: {default})",
     .off = CONF_UINT(max_frame),
     .min = MIN_MAX_FRAME,
     .max = CONF_LIMIT_MAX_FRAME,
     .dflt = CONF_DEFAULT_MAX_FRAME},
    {.name = "queue-size",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_size,
     .argname = "BYTES",
     .section = CONF_SEC_SWITCH,
     .help = "output queue of each VM, with an optional K, M or G suffix; "
	     "frames for a VM that does not read are dropped once it is full "
	     "(default: {default}, max 1G)",
     .off = CONF_UINT(queue_size),
     .min = 1,
     .max = MAX_QUEUE,
     .dflt = CONF_DEFAULT_QUEUE},
    {.name = "max-ports",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_number,
     .argname = "N",
     .section = CONF_SEC_SWITCH,
     .help = "VMs connected at once, {min}..{max} (default: {default})",
     .off = CONF_UINT(max_ports),
     .min = MIN_PORTS,
     .max = MAX_PORTS,
     .dflt = CONF_DEFAULT_MAX_PORTS},
    {.name = "mac-age",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_number,
     .argname = "SECONDS",
     .section = CONF_SEC_SWITCH,
     .help = "forget a MAC address unseen this long, {min}..{max} (default: "
	     "{default})",
     .off = CONF_UINT(mac_age),
     .min = MIN_MAC_AGE,
     .max = MAX_MAC_AGE,
     .dflt = CONF_DEFAULT_MAC_AGE},
    /* Other */
    {.name = "pcap",
     .arg = CONF_ARG_REQUIRED,
     .parse = conf_opt_text,
     .argname = "FILE",
     .section = CONF_SEC_OTHER,
     .help = "write every frame passing the switch to FILE, a pcap file "
	     "(see socket_vmnetctl capture)",
     .off = CONF_TEXT(pcap_path)},
    {.name = "debug",
     .arg = CONF_ARG_NONE,
     .parse = conf_opt_flag,
     .section = CONF_SEC_OTHER,
     .help = "log every event (DEBUG=1 in the environment does the same)",
     .off = CONF_BOOL(debug)},
    {.name = "help",
     .short_name = 'h',
     .arg = CONF_ARG_NONE,
     .parse = conf_opt_help,
     .section = CONF_SEC_OTHER,
     .help = "show this text and exit"},
    {.name = "version",
     .short_name = 'v',
     .arg = CONF_ARG_NONE,
     .parse = conf_opt_version,
     .section = CONF_SEC_OTHER,
     .help = "show the version and exit"},
};

#define CONF_NOPTS (sizeof(conf_options) / sizeof(conf_options[0]))

_Static_assert(sizeof(conf_options) / sizeof(conf_options[0]) <= MAX_OPTIONS,
	       "struct conf_parser has no room for every option");

/**
 * struct conf_section_text - the title and closing note of a help section
 * @title:	first line
 * @note:	paragraph after the options, or NULL
 */
struct conf_section_text {
	const char *title;
	const char *note;
};

static const struct conf_section_text conf_sections[CONF_SEC_COUNT] = {
    [CONF_SEC_NETWORK] = {"Network (the flags of socket_vmnet for macOS):",
			  "Not every mode and flag is available on every "
			  "platform; the daemon says so when it starts."},
    [CONF_SEC_SERVICES] = {"Network services and host side:", NULL},
    [CONF_SEC_GUARDS] = {"Guards (what a VM may send):", NULL},
    [CONF_SEC_SOCKETS] = {"Sockets:", NULL},
    [CONF_SEC_SWITCH] = {"Switch:", NULL},
    [CONF_SEC_OTHER] = {"Other:", NULL},
};

/* --- the table at work --------------------------------------------- */

/**
 * conf_val() - what getopt_long() returns for a row
 * @i:		index in conf_options[]
 *
 * Return: the short name, or LONG_ONLY_VAL + @i for a long-only option
 */
static int conf_val(size_t i)
{
	const struct conf_option *o = &conf_options[i];

	return o->short_name ? o->short_name : LONG_ONLY_VAL + (int)i;
}

/**
 * conf_find() - the row getopt_long() means
 * @val:	what it returned, or its optopt
 *
 * Return: index in conf_options[], or -1 when no row has that value
 */
static int conf_find(int val)
{
	for (size_t i = 0; i < CONF_NOPTS; i++)
		if (conf_val(i) == val)
			return (int)i;
	return -1;
}

/**
 * conf_given() - whether an option was met
 * @p:		the parser
 * @name:	its long name
 *
 * Return: true when it was, false when not (or no row has @name)
 */
static bool conf_given(const struct conf_parser *p, const char *name)
{
	for (size_t i = 0; i < CONF_NOPTS; i++)
		if (strcmp(conf_options[i].name, name) == 0)
			return p->given[i];
	return false;
}

/**
 * conf_getopt_tables() - getopt_long()'s option tables, from conf_options[]
 * @longopts:	room for CONF_NOPTS + 1 entries, the last one zero
 * @shortopts:	room for 2 * CONF_NOPTS + 2 characters
 *
 * The short options start with ':', so that a missing argument is
 * reported as ':' rather than '?', silently.
 */
static void conf_getopt_tables(struct option *longopts, char *shortopts)
{
	size_t n = 0;

	shortopts[n++] = ':';
	for (size_t i = 0; i < CONF_NOPTS; i++) {
		const struct conf_option *o = &conf_options[i];
		bool req = o->arg == CONF_ARG_REQUIRED;

		longopts[i] = (struct option){
		    o->name, req ? required_argument : no_argument, NULL,
		    conf_val(i)};
		if (o->short_name) {
			shortopts[n++] = o->short_name;
			if (req)
				shortopts[n++] = ':';
		}
	}
	longopts[CONF_NOPTS] = (struct option){NULL, 0, NULL, 0};
	shortopts[n] = '\0';
}

/**
 * conf_bad_option() - describe an option getopt_long() refused
 * @ret:	what getopt_long() returned: '?' or ':'
 * @argv:	the arguments
 * @err:	buffer for the message
 * @errlen:	size of @err
 *
 * Return: CONF_ERROR
 */
static enum conf_result conf_bad_option(int ret, char **argv, char *err,
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
		err_set(err, errlen, "option %s requires an argument", word);
	else if (optopt && conf_find(optopt) >= 0)
		err_set(err, errlen, "option %.*s does not take an argument",
			(int)strcspn(word, "="), word);
	else if (optopt)
		err_set(err, errlen, "unknown option -%c", optopt);
	else
		err_set(err, errlen, "unknown or ambiguous option %s", word);
	return CONF_ERROR;
}

/**
 * conf_env_debug() - whether the DEBUG environment variable asks for debug
 * logs
 *
 * Return: true when DEBUG is set, not empty and not "0".
 */
static bool conf_env_debug(void)
{
	const char *d = getenv("DEBUG");

	return d && *d && strcmp(d, "0") != 0;
}

/**
 * conf_set_defaults() - fill a parser and its configuration with the
 * values used without options
 * @p:		the parser; its configuration is cleared first
 */
static void conf_set_defaults(struct conf_parser *p)
{
	struct conf *c = p->c;

	memset(c, 0, sizeof(*c));
	memset(p->given, 0, sizeof(p->given));
	c->mode = NET_MODE_SHARED;
	c->guard.level = GUARD_MAC;
	for (size_t i = 0; i < CONF_NOPTS; i++) {
		const struct conf_option *o = &conf_options[i];

		if (o->parse == conf_opt_number || o->parse == conf_opt_size)
			*(unsigned int *)conf_field(p->c, o) =
			    (unsigned int)o->dflt;
	}
	c->debug = conf_env_debug();
}

/**
 * conf_positional() - SOCKET, and the checks of every socket path
 * @p:		the parser, after the options
 * @argc:	argument count
 * @argv:	arguments, reordered by getopt_long(): optind is at SOCKET
 *
 * Return: CONF_OK, or CONF_ERROR with a message
 */
static enum conf_result conf_positional(struct conf_parser *p, int argc,
					char **argv)
{
	struct conf *c = p->c;

	if (optind < argc)
		c->socket_path = argv[optind++];
	if (optind < argc) {
		err_set(p->err, p->errlen,
			"unexpected argument \"%s\" (only one SOCKET "
			"may be given)",
			argv[optind]);
		return CONF_ERROR;
	}
	if (!c->socket_path && c->nfds == 0 && c->nconnect == 0) {
		err_set(p->err, p->errlen, "missing SOCKET");
		return CONF_ERROR;
	}
	if (c->socket_path &&
	    conf_check_path("SOCKET", c->socket_path, p->err, p->errlen))
		return CONF_ERROR;
	if (!c->dgram_path)
		return CONF_OK;
	if (conf_check_path("--dgram-socket", c->dgram_path, p->err, p->errlen))
		return CONF_ERROR;
	if (c->socket_path && strcmp(c->dgram_path, c->socket_path) == 0) {
		err_set(p->err, p->errlen,
			"--dgram-socket must differ from SOCKET");
		return CONF_ERROR;
	}
	return CONF_OK;
}

/**
 * conf_control() - the control socket's path: given, SOCKET.ctl, or none
 * @p:		the parser, after SOCKET
 *
 * Return: CONF_OK, or CONF_ERROR with a message
 */
static enum conf_result conf_control(struct conf_parser *p)
{
	struct conf *c = p->c;

	if (c->control_path && !strcmp(c->control_path, "none")) {
		c->control_path = NULL;
		return CONF_OK;
	}
	if (!c->control_path && c->socket_path) {
		if (strlen(c->socket_path) + 4 > SUN_PATH_MAX) {
			/* SOCKET itself is fine: go without (main says so). */
			c->control_too_long = true;
			return CONF_OK;
		}
		snprintf(c->control_buf, sizeof(c->control_buf), "%s.ctl",
			 c->socket_path);
		c->control_path = c->control_buf;
	}
	if (!c->control_path)
		return CONF_OK;
	if (conf_check_path("--control", c->control_path, p->err, p->errlen))
		return CONF_ERROR;
	if ((c->socket_path && !strcmp(c->control_path, c->socket_path)) ||
	    (c->dgram_path && !strcmp(c->control_path, c->dgram_path))) {
		err_set(p->err, p->errlen,
			"--control must differ from SOCKET and --dgram-socket");
		return CONF_ERROR;
	}
	return CONF_OK;
}

/**
 * conf_network() - complete and check the addressing of the VM network
 * @p:		the parser, after the options
 *
 * Without --vmnet-gateway the plan stays empty (main applies the mode's
 * default later); with it, the mask and the end of the DHCP range get
 * their defaults and the whole plan goes through net_check_plan().
 *
 * Return: CONF_OK, or CONF_ERROR with a message
 */
static enum conf_result conf_network(struct conf_parser *p)
{
	struct conf *c = p->c;
	struct net_plan plan;

	c->have_gateway = conf_given(p, "vmnet-gateway");
	if (net_check_mode(c->mode, c->vmnet_interface, c->have_gateway, p->err,
			   p->errlen))
		return CONF_ERROR;
	if (!c->have_gateway) {
		if (conf_given(p, "vmnet-dhcp-end")) {
			err_set(p->err, p->errlen,
				"--vmnet-dhcp-end=IP requires "
				"--vmnet-gateway=IP");
			return CONF_ERROR;
		}
		if (conf_given(p, "vmnet-mask")) {
			err_set(p->err, p->errlen,
				"--vmnet-mask=MASK requires "
				"--vmnet-gateway=IP");
			return CONF_ERROR;
		}
		return CONF_OK;
	}
	net_plan_init(&plan, ntohl(c->gateway.s_addr));
	if (conf_given(p, "vmnet-mask"))
		plan.mask = ntohl(c->mask.s_addr);
	if (conf_given(p, "vmnet-dhcp-end")) {
		plan.dhcp_last = ntohl(c->dhcp_end.s_addr);
		plan.last_is_default = false;
	}
	if (net_check_plan(&plan, NET_WORDS_OPTIONS, p->err, p->errlen))
		return CONF_ERROR;
	c->mask.s_addr = htonl(plan.mask);
	c->dhcp_end.s_addr = htonl(plan.dhcp_last);
	return CONF_OK;
}

/**
 * conf_nat() - check --nat and --forward against the mode
 * @p:		the parser, after the options
 *
 * Return: CONF_OK, or CONF_ERROR with a message
 */
static enum conf_result conf_nat(struct conf_parser *p)
{
	struct conf *c = p->c;

	if (c->nat == UPLINK_NAT_USER && c->mode != NET_MODE_SHARED) {
		err_set(p->err, p->errlen,
			"--nat=user runs shared mode only, not "
			"--vmnet-mode=%s",
			net_mode_name(c->mode));
		return CONF_ERROR;
	}
	if (c->nforwards && c->mode != NET_MODE_SHARED &&
	    c->mode != NET_MODE_HOST) {
		err_set(p->err, p->errlen,
			"--forward needs shared or host mode, not "
			"--vmnet-mode=%s",
			net_mode_name(c->mode));
		return CONF_ERROR;
	}
	return CONF_OK;
}

/**
 * conf_frames() - match the frame size, the MTU and the queue size
 * @p:		the parser, after the options
 *
 * Return: CONF_OK, or CONF_ERROR with a message
 */
static enum conf_result conf_frames(struct conf_parser *p)
{
	struct conf *c = p->c;
	bool have_max_frame = conf_given(p, "max-frame");

	if (c->max_frame < c->mtu + CONF_MIN_FRAME) {
		/* Only an explicit MTU that cannot pass is an error; a small
		 * --max-frame alone lowers the default MTU to fit. */
		if (have_max_frame && conf_given(p, "mtu")) {
			err_set(p->err, p->errlen,
				"--max-frame=%u is too small for "
				"--mtu=%u (need at least %u)",
				c->max_frame, c->mtu, c->mtu + CONF_MIN_FRAME);
			return CONF_ERROR;
		}
		if (have_max_frame && c->max_frame < MIN_MTU + CONF_MIN_FRAME) {
			err_set(p->err, p->errlen,
				"--max-frame=%u leaves an MTU of %u, below "
				"%u (give at least --max-frame=%u)",
				c->max_frame, c->max_frame - CONF_MIN_FRAME,
				MIN_MTU, MIN_MTU + CONF_MIN_FRAME);
			return CONF_ERROR;
		}
		if (have_max_frame)
			c->mtu = c->max_frame - CONF_MIN_FRAME;
		else
			c->max_frame = c->mtu + CONF_MIN_FRAME;
	}
	/* A port's queue must hold two of the largest frames with prefixes. */
	if ((unsigned long)c->queue_size < 2ul * (c->max_frame + 4u)) {
		err_set(p->err, p->errlen,
			"--queue-size=%u is too small for "
			"--max-frame=%u (need at least %lu bytes)",
			c->queue_size, c->max_frame, 2ul * (c->max_frame + 4u));
		return CONF_ERROR;
	}
	return CONF_OK;
}

/**
 * conf_parse() - parse and validate the daemon's command line
 * @c:		filled with defaults, then with the options
 * @argc:	argument count
 * @argv:	arguments; getopt may reorder them, strings in @c point into
 *		them
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
	struct conf_parser p = {.c = c, .err = err, .errlen = errlen};
	struct option longopts[CONF_NOPTS + 1];
	char shortopts[2 * CONF_NOPTS + 2];
	enum conf_result r;
	int opt, i;

	if (err && errlen)
		err[0] = '\0';
	conf_set_defaults(&p);
	conf_getopt_tables(longopts, shortopts);
	optind = 0; /* full reset, for glibc, musl and BSD getopt_long */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shortopts, longopts, NULL)) !=
	       -1) {
		i = opt == '?' || opt == ':' ? -1 : conf_find(opt);
		if (i < 0)
			return conf_bad_option(opt, argv, err, errlen);
		p.given[i] = true;
		p.opt = &conf_options[i];
		r = p.opt->parse(&p, optarg);
		if (r != CONF_OK)
			return r;
	}
	r = conf_positional(&p, argc, argv);
	if (r == CONF_OK)
		r = conf_control(&p);
	if (r == CONF_OK)
		r = conf_network(&p);
	if (r == CONF_OK)
		r = conf_nat(&p);
	if (r == CONF_OK)
		r = conf_frames(&p);
	return r;
}

/**
 * conf_check_platform() - whether this build can run a configuration
 * @c:		a configuration accepted by conf_parse()
 * @caps:	what the build's host-side backend implements
 * @err:	buffer for a one-line message
 * @errlen:	size of @err
 *
 * This is the single place that decides which parts of the macOS-compatible
 * command line a platform runs; the backend says what it implements.
 *
 * Return: 0 when it can, -1 with a message in @err otherwise.
 */
int conf_check_platform(const struct conf *c, const struct uplink_caps *caps,
			char *err, size_t errlen)
{
	if (!(caps->modes & NET_MODE_BIT(c->mode)))
		return err_set(err, errlen,
			       "--vmnet-mode=%s is not supported yet on this "
			       "platform (use --vmnet-mode=isolated)",
			       net_mode_name(c->mode));
	if (c->nat == UPLINK_NAT_USER && !caps->user_nat)
		return err_set(err, errlen,
			       "--nat=user: this socket_vmnet was built "
			       "without libslirp");
	/* With --nat=auto the user-mode NAT may still take over (and say so
	 * at start if the kernel path opens instead). */
	if (c->nforwards && !caps->forwards &&
	    (c->nat == UPLINK_NAT_KERNEL || !caps->user_nat ||
	     c->mode != NET_MODE_SHARED))
		return err_set(err, errlen,
			       "--forward needs --nat=user on this platform");
	if (caps->no_user && c->user && c->mode != NET_MODE_ISOLATED &&
	    c->nat != UPLINK_NAT_USER)
		return err_set(err, errlen,
			       "--user with --vmnet-mode=%s is not supported "
			       "yet on this platform",
			       net_mode_name(c->mode));
	if (caps->vmnet_ids)
		return 0;
	if (c->interface_id)
		return err_set(err, errlen,
			       "--vmnet-interface-id is only supported on "
			       "macOS");
	if (c->network_identifier)
		return err_set(err, errlen,
			       "--vmnet-network-identifier is only supported "
			       "on macOS");
	return 0;
}

/* --- help text ----------------------------------------------------- */

/**
 * conf_expand() - a row's help text with its numbers filled in
 * @o:		the row
 * @buf:	where the text goes
 * @len:	size of @buf
 */
static void conf_expand(const struct conf_option *o, char *buf, size_t len)
{
	static const char *const keys[] = {"{min}", "{max}", "{default}"};
	const unsigned long vals[] = {o->min, o->max, o->dflt};
	const char *s = o->help;
	size_t n = 0;

	while (*s && n + 1 < len) {
		size_t k = 0;

		while (k < 3 && strncmp(s, keys[k], strlen(keys[k])) != 0)
			k++;
		if (k == 3) {
			buf[n++] = *s++;
			continue;
		}
		n += (size_t)snprintf(buf + n, len - n, "%lu", vals[k]);
		if (n >= len)
			n = len - 1;
		s += strlen(keys[k]);
	}
	buf[n] = '\0';
}

/**
 * conf_word_len() - length of the next unbreakable piece of help text
 * @s:		the text, at the start of a word
 *
 * A word ending in ':' stays with the next one, so "(default: N)" is never
 * split.
 *
 * Return: length of the piece
 */
static size_t conf_word_len(const char *s)
{
	size_t n = strcspn(s, " ");

	while (n && s[n - 1] == ':' && s[n] == ' ' && s[n + 1])
		n += 1 + strcspn(s + n + 1, " ");
	return n;
}

/**
 * conf_wrap() - print a paragraph, wrapped to the help text's width
 * @stream:	where to print it
 * @text:	the paragraph, words separated by single spaces
 * @col:	the column the cursor is at
 * @indent:	the column continuation lines start at
 */
static void conf_wrap(FILE *stream, const char *text, size_t col, size_t indent)
{
	bool first = true;

	while (*text) {
		size_t n = conf_word_len(text);

		if (!first && col + 1 + n > USAGE_WIDTH) {
			fprintf(stream, "\n%*s", (int)indent, "");
			col = indent;
			first = true;
		}
		if (!first) {
			fputc(' ', stream);
			col++;
		}
		fwrite(text, 1, n, stream);
		col += n;
		first = false;
		text += n;
		while (*text == ' ')
			text++;
	}
	fputc('\n', stream);
}

/**
 * conf_usage_head() - the left column of one option: its names
 * @o:		the row
 * @buf:	where to append, e.g. "-p, --pidfile=FILE"
 * @len:	size of @buf
 */
static void conf_usage_head(const struct conf_option *o, char *buf, size_t len)
{
	size_t n = strlen(buf);

	if (o->short_name)
		n += (size_t)snprintf(buf + n, len - n, "-%c, ", o->short_name);
	if (n >= len)
		return;
	if (o->arg == CONF_ARG_REQUIRED)
		snprintf(buf + n, len - n, "--%s=%s", o->name,
			 o->argname ? o->argname : "ARG");
	else
		snprintf(buf + n, len - n, "--%s", o->name);
}

/**
 * conf_usage_option() - print the help entry that starts at a row
 * @stream:	where to print it
 * @i:		index of the row in conf_options[]
 *
 * Rows right after it without help text of their own are named in the
 * same entry ("--allow=CIDR, --block=CIDR").
 */
static void conf_usage_option(FILE *stream, size_t i)
{
	const struct conf_option *o = &conf_options[i];
	char head[128] = "", text[512];

	conf_usage_head(o, head, sizeof(head));
	for (size_t j = i + 1; j < CONF_NOPTS && !conf_options[j].help; j++) {
		strncat(head, ", ", sizeof(head) - strlen(head) - 1);
		conf_usage_head(&conf_options[j], head, sizeof(head));
	}
	conf_expand(o, text, sizeof(text));
	if (2 + strlen(head) + 2 <= USAGE_COLUMN)
		fprintf(stream, "  %-*s", USAGE_COLUMN - 2, head);
	else
		fprintf(stream, "  %s\n%*s", head, USAGE_COLUMN, "");
	conf_wrap(stream, text, USAGE_COLUMN, USAGE_COLUMN);
}

/**
 * conf_usage() - print the full help text
 * @prog:	program name to show, usually argv[0]
 * @stream:	where to print it
 *
 * The options come from conf_options[], section by section.
 */
void conf_usage(const char *prog, FILE *stream)
{
	fprintf(stream,
		"Usage: %s [OPTION]... SOCKET\n"
		"       %s [OPTION]... --fd=N [--fd=N]... [SOCKET]\n"
		"\n",
		prog, prog);
	conf_wrap(stream,
		  "An Ethernet switch for virtual machines connected over "
		  "UNIX sockets. VMs connect to SOCKET (length-prefixed "
		  "frames, as QEMU -netdev stream and socket_vmnet_client "
		  "use), to the --dgram-socket (one frame per datagram), or "
		  "are handed over as connected descriptors with --fd.",
		  0, 0);
	for (int s = 0; s < CONF_SEC_COUNT; s++) {
		fprintf(stream, "\n%s\n", conf_sections[s].title);
		for (size_t i = 0; i < CONF_NOPTS; i++)
			if (conf_options[i].section == (enum conf_section)s &&
			    conf_options[i].help)
				conf_usage_option(stream, i);
		if (conf_sections[s].note) {
			fputs("  ", stream);
			conf_wrap(stream, conf_sections[s].note, 2, 2);
		}
	}
	fputs("\nVersion: " VERSION "\n", stream);
}
