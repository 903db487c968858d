/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VM network's IPv4 plan: mode names, the default subnet of each mode
 * (the ones Lima uses), and the checks every plan must pass, wherever it
 * comes from: the command line (conf.c), the gateway services (gw.c) or a
 * host-side backend (tap.c). Addresses are host order unless a prototype
 * says otherwise.
 */
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "err.h"
#include "log.h"
#include "net.h"

/**
 * struct net_names - how messages name the parts of a plan
 * @gateway:	prefix of the gateway's address
 * @mask:	prefix of the netmask
 * @dhcp_end:	prefix of the last DHCP address
 */
struct net_names {
	const char *gateway;
	const char *mask;
	const char *dhcp_end;
};

static const struct net_names net_names[] = {
    [NET_WORDS_OPTIONS] = {"--vmnet-gateway=", "--vmnet-mask=",
			   "--vmnet-dhcp-end="},
    [NET_WORDS_PLAIN] = {"gateway ", "mask ", "DHCP range end "},
};

static const enum net_mode net_modes[] = {
    NET_MODE_SHARED,
    NET_MODE_HOST,
    NET_MODE_BRIDGED,
    NET_MODE_ISOLATED,
};

/**
 * net_names_of() - the names for one way of wording messages
 * @words:	which wording
 *
 * Return: the names; plain words for an unknown @words
 */
static const struct net_names *net_names_of(enum net_words words)
{
	if (words == NET_WORDS_OPTIONS)
		return &net_names[NET_WORDS_OPTIONS];
	return &net_names[NET_WORDS_PLAIN];
}

/**
 * net_mode_name() - the command-line name of a mode
 * @mode:	the mode
 *
 * Return: "shared", "host", "bridged", "isolated", or "unknown".
 */
const char *net_mode_name(enum net_mode mode)
{
	switch (mode) {
	case NET_MODE_SHARED:
		return "shared";
	case NET_MODE_HOST:
		return "host";
	case NET_MODE_BRIDGED:
		return "bridged";
	case NET_MODE_ISOLATED:
		return "isolated";
	}
	return "unknown";
}

/**
 * net_mode_parse() - find the mode a name stands for
 * @text:	"shared", "host", "bridged" or "isolated" (exact case)
 * @mode:	the mode, set on success only
 *
 * Return: 0 on success, -1 for an unknown name
 */
int net_mode_parse(const char *text, enum net_mode *mode)
{
	for (size_t i = 0; i < sizeof(net_modes) / sizeof(net_modes[0]); i++) {
		if (strcmp(text, net_mode_name(net_modes[i])) == 0) {
			*mode = net_modes[i];
			return 0;
		}
	}
	return -1;
}

/**
 * net_plan_init() - the plan a gateway address alone implies
 * @p:		filled in
 * @gateway:	the gateway's address
 *
 * The netmask is 255.255.255.0 and DHCP hands out the gateway's next
 * address up to .254 of the gateway's /24 (whatever the mask is later set
 * to), as upstream socket_vmnet does.
 */
void net_plan_init(struct net_plan *p, uint32_t gateway)
{
	p->gateway = gateway;
	p->mask = NET_DEFAULT_MASK;
	p->dhcp_first = gateway + 1;
	p->dhcp_last = (gateway & 0xffffff00u) | 0xfeu;
	p->last_is_default = true;
}

/**
 * net_mode_default() - the subnet a mode uses when none is given
 * @mode:	the mode
 * @gateway:	set to the default gateway (network order)
 * @mask:	set to its netmask (network order)
 * @dhcp_end:	set to the last DHCP address (network order)
 *
 * Host and shared mode need a subnet: without one they get the ones Lima
 * uses for those networks (192.168.106.0/24 and 192.168.105.0/24), with a
 * warning. The outputs are in network order, as struct conf keeps them.
 *
 * Return: true when the outputs were set, false for modes without a
 * default subnet (bridged, isolated)
 */
bool net_mode_default(enum net_mode mode, struct in_addr *gateway,
		      struct in_addr *mask, struct in_addr *dhcp_end)
{
	char text[ADDR_IP4_STRLEN];
	struct net_plan p;

	if (mode != NET_MODE_SHARED && mode != NET_MODE_HOST)
		return false;
	net_plan_init(&p, mode == NET_MODE_SHARED ? NET_SHARED_GATEWAY
						  : NET_HOST_GATEWAY);
	gateway->s_addr = htonl(p.gateway);
	mask->s_addr = htonl(p.mask);
	dhcp_end->s_addr = htonl(p.dhcp_last);
	log_warnx("--vmnet-gateway=IP should be given to avoid clashing with "
		  "other networks; using %s",
		  addr_ip4_fmt(p.gateway, text));
	return true;
}

/**
 * net_broadcast() - the broadcast address of a subnet
 * @addr:	any address in the subnet
 * @mask:	its netmask
 *
 * Return: the subnet's last address
 */
uint32_t net_broadcast(uint32_t addr, uint32_t mask)
{
	return (addr & mask) | ~mask;
}

/**
 * net_check_mode() - check what a mode needs of the rest of the plan
 * @mode:	the mode
 * @interface:	--vmnet-interface, or NULL
 * @have_gateway: whether a gateway address was given
 * @err:	buffer for the message
 * @errlen:	its size
 *
 * Bridged mode joins an existing network: it needs the interface to join
 * and has no subnet of its own. Messages name the command-line options.
 *
 * Return: 0 when consistent, -1 with a message in @err otherwise
 */
int net_check_mode(enum net_mode mode, const char *interface, bool have_gateway,
		   char *err, size_t errlen)
{
	if (mode != NET_MODE_BRIDGED)
		return 0;
	if (!interface || !*interface)
		return err_set(err, errlen,
			       "--vmnet-mode=bridged requires "
			       "--vmnet-interface=IF");
	if (have_gateway)
		return err_set(err, errlen,
			       "--vmnet-mode=bridged conflicts with "
			       "--vmnet-gateway");
	return 0;
}

/**
 * net_check_mask() - check a netmask
 * @mask:	the netmask
 * @words:	how the message names it
 * @err:	buffer for the message
 * @errlen:	its size
 *
 * Return: 0 when the one bits are contiguous from the top and there is at
 * least one, -1 with a message in @err otherwise
 */
int net_check_mask(uint32_t mask, enum net_words words, char *err,
		   size_t errlen)
{
	const struct net_names *n = net_names_of(words);
	char m[ADDR_IP4_STRLEN];

	addr_ip4_fmt(mask, m);
	if (addr_mask_plen(mask) < 0)
		return err_set(err, errlen,
			       "%s%s is not a contiguous netmask like "
			       "255.255.255.0",
			       n->mask, m);
	if (mask == 0)
		return err_set(err, errlen, "%s%s leaves no network part",
			       n->mask, m);
	return 0;
}

/**
 * net_check_subnet() - check a gateway address and its netmask
 * @gateway:	the gateway's address
 * @mask:	the netmask
 * @words:	how the message names them
 * @err:	buffer for the message
 * @errlen:	its size
 *
 * The mask must pass net_check_mask(); the gateway must be a unicast host
 * address of its subnet: neither its network nor its broadcast address
 * (which leaves no room in a /31 or /32), nor in 0.0.0.0/8 or 127.0.0.0/8.
 *
 * Return: 0 when usable, -1 with a message in @err otherwise
 */
int net_check_subnet(uint32_t gateway, uint32_t mask, enum net_words words,
		     char *err, size_t errlen)
{
	const struct net_names *n = net_names_of(words);
	char g[ADDR_IP4_STRLEN], net[ADDR_IP4_STRLEN];
	int plen = addr_mask_plen(mask);

	if (net_check_mask(mask, words, err, errlen))
		return -1;
	addr_ip4_fmt(gateway, g);
	addr_ip4_fmt(gateway & mask, net);
	if (gateway >= 0xe0000000u)
		return err_set(err, errlen, "%s%s is not a unicast address",
			       n->gateway, g);
	if (gateway == (gateway & mask))
		return err_set(err, errlen,
			       "%s%s is the network address of %s/%d",
			       n->gateway, g, net, plen);
	if (gateway == net_broadcast(gateway, mask))
		return err_set(err, errlen,
			       "%s%s is the broadcast address of %s/%d",
			       n->gateway, g, net, plen);
	if ((gateway >> 24) == 0 || (gateway >> 24) == 127)
		return err_set(err, errlen,
			       "%s%s is not a host address (0.0.0.0/8 and "
			       "127.0.0.0/8 are reserved)",
			       n->gateway, g);
	return 0;
}

/**
 * net_check_range() - check the DHCP range against the subnet
 * @p:		the plan; its gateway and mask passed net_check_subnet()
 * @words:	how the message names the addresses
 * @err:	buffer for the message
 * @errlen:	its size
 *
 * The range @p->dhcp_first .. @p->dhcp_last must not be empty and must
 * lie inside the gateway's subnet, without its network and broadcast
 * addresses.
 *
 * Return: 0 when usable, -1 with a message in @err otherwise
 */
int net_check_range(const struct net_plan *p, enum net_words words, char *err,
		    size_t errlen)
{
	const struct net_names *n = net_names_of(words);
	uint32_t net = p->gateway & p->mask;
	int plen = addr_mask_plen(p->mask);
	const char *dflt = p->last_is_default ? " (the default)" : "";
	char g[ADDR_IP4_STRLEN], ns[ADDR_IP4_STRLEN];
	char first[ADDR_IP4_STRLEN], last[ADDR_IP4_STRLEN];

	addr_ip4_fmt(p->gateway, g);
	addr_ip4_fmt(net, ns);
	addr_ip4_fmt(p->dhcp_first, first);
	addr_ip4_fmt(p->dhcp_last, last);
	if ((p->dhcp_last & p->mask) != net)
		return err_set(
		    err, errlen, "%s%s%s is outside %s/%d, the subnet of %s%s",
		    n->dhcp_end, last, dflt, ns, plen, n->gateway, g);
	if (p->dhcp_last == net_broadcast(net, p->mask))
		return err_set(err, errlen,
			       "%s%s%s is the broadcast address of %s/%d",
			       n->dhcp_end, last, dflt, ns, plen);
	if (p->dhcp_last < p->dhcp_first && p->dhcp_first == p->gateway + 1)
		return err_set(err, errlen, "%s%s%s must be greater than %s%s",
			       n->dhcp_end, last, dflt, n->gateway, g);
	if (p->dhcp_last < p->dhcp_first)
		return err_set(err, errlen, "DHCP range %s-%s is empty", first,
			       last);
	if ((p->dhcp_first & p->mask) != net || p->dhcp_first == net)
		return err_set(err, errlen,
			       "DHCP range %s-%s is not inside %s/%d", first,
			       last, ns, plen);
	return 0;
}

/**
 * net_check_plan() - check a whole plan
 * @p:		the plan
 * @words:	how the message names the addresses
 * @err:	buffer for the message
 * @errlen:	its size
 *
 * Return: 0 when net_check_subnet() and net_check_range() both pass, -1
 * with the first message in @err otherwise
 */
int net_check_plan(const struct net_plan *p, enum net_words words, char *err,
		   size_t errlen)
{
	if (net_check_subnet(p->gateway, p->mask, words, err, errlen))
		return -1;
	return net_check_range(p, words, err, errlen);
}

/**
 * net_pool_size() - how many addresses of the DHCP range a server manages
 * @p:		the plan; its range passed net_check_range()
 * @max_leases:	most addresses wanted, 0 for the whole range
 * @limit:	most addresses the server can manage
 *
 * Warns when the range is larger than what is managed.
 *
 * Return: the number of addresses to manage, 1..@limit
 */
unsigned int net_pool_size(const struct net_plan *p, unsigned int max_leases,
			   unsigned int limit)
{
	uint64_t range = (uint64_t)p->dhcp_last - p->dhcp_first + 1;

	if (max_leases == 0)
		max_leases = range < limit ? (unsigned int)range : limit;
	if (max_leases > limit)
		max_leases = limit;
	if (max_leases < range)
		log_warnx("dhcp: range has %llu addresses; only the first %u "
			  "are handed out",
			  (unsigned long long)range, max_leases);
	return max_leases;
}

/**
 * net_ipv6_prefix() - the VM network's IPv6 /64 when none is given
 * @gateway:	the IPv4 gateway, host order
 * @mask:	the IPv4 netmask, host order
 * @out:	set to the prefix (16 bytes, the low 64 bits zero)
 *
 * A unique local prefix (RFC 4193) whose 40-bit global ID is a hash
 * (FNV-1a) of the IPv4 network: the same network gets the same prefix
 * after every restart, so guests keep their addresses, and different
 * networks on one host get different ones. Subnet ID 0.
 */
void net_ipv6_prefix(uint32_t gateway, uint32_t mask, uint8_t out[16])
{
	static const char tag[] = "socket_vmnet";
	uint32_t words[2] = {gateway & mask, mask};
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(tag) - 1; i++)
		h = (h ^ (uint8_t)tag[i]) * 0x100000001b3ull;
	for (size_t i = 0; i < 2; i++)
		for (int b = 24; b >= 0; b -= 8)
			h = (h ^ (uint8_t)(words[i] >> b)) * 0x100000001b3ull;
	memset(out, 0, 16);
	out[0] = 0xfd;
	for (int i = 1; i <= 5; i++)
		out[i] = (uint8_t)(h >> (8 * (i - 1)));
}
