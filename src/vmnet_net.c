/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side on a vmnet network (macOS 26 and later).
 *
 * Theory of operation. macOS 26 describes a vmnet network apart from the
 * interfaces on it: a network configuration (mode; IPv4 subnet; IPv6
 * prefix; MTU; DHCP on or off; ...) becomes a network, reserved until it
 * is released, and vmnet_interface_start_with_network() starts the host
 * side on it. What this gives the daemon is the one setting the older
 * vmnet_start_interface() keys lack: DHCP off. When the daemon's own DHCP
 * server runs (--vmnet-disable-dhcp), vmnet's is turned off, and exactly
 * one server answers the VMs.
 *
 * vmnet.c asks vmnet_net_unfit() first. The network path is taken for host
 * and shared mode when the system has the API and the flags fit it:
 * - a network configuration gives the host the subnet's second address,
 *   so --vmnet-gateway must be that one (x.y.z.1 in a /24);
 * - it has no DHCP range: when vmnet's DHCP server runs, --vmnet-dhcp-end
 *   must be the default (the last address but the broadcast);
 * - bridged mode and --vmnet-network-identifier stay with
 *   vmnet_start_interface(), which is what they are defined for.
 * Otherwise, and on older macOS, vmnet.c starts the interface the old way
 * (and says so when that leaves vmnet's DHCP server on next to ours).
 *
 * The binary is built for macOS 10.15 with whatever SDK is at hand (the
 * macOS 15 SDK of older Xcode has none of these calls), so the calls are
 * not named in the code: they are looked up once with dlsym() into one
 * table of pointers whose types are written here from Apple's declarations
 * (vmnet.h of the macOS 26 SDK). Where the SDK declares them (`make
 * macos-syntax` with ../shared/macos-sdk, and the test double) the build
 * defines VMNET_NET_SDK_CHECK and each pointer's type is checked against
 * the SDK's declaration at compile time. A system without them is older
 * than 26; the test double plays one by not defining them. Configuration
 * and network are CoreFoundation objects, released with CFRelease(),
 * looked up the same way (vmnet.framework links CoreFoundation).
 *
 * The configuration is released once the network exists; the network is
 * kept until the interface on it has stopped (vmnet_net_release(), from
 * uplink_close()).
 */
#include <dlfcn.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "log.h"
#include "vmnet_net.h"

#define VMNET_NET_MTU	 1500u /* vmnet's default: not set */
#define VMNET_NET_PREFIX 64u   /* length of --vmnet-nat66-prefix */

/* The SDK's opaque types, by their structure tags. */
typedef struct vmnet_network_configuration_s *vmnet_net_config;
typedef struct vmnet_network_s *vmnet_net_network;

/**
 * struct vmnet_net_api - the macOS 26 calls, looked up at run time
 * @config_create:	vmnet_network_configuration_create()
 * @set_ipv4_subnet:	vmnet_network_configuration_set_ipv4_subnet()
 * @set_ipv6_prefix:	vmnet_network_configuration_set_ipv6_prefix()
 * @set_mtu:		vmnet_network_configuration_set_mtu()
 * @disable_dhcp:	vmnet_network_configuration_disable_dhcp()
 * @network_create:	vmnet_network_create()
 * @get_ipv4_subnet:	vmnet_network_get_ipv4_subnet()
 * @start:		vmnet_interface_start_with_network()
 * @release:		CFRelease()
 */
struct vmnet_net_api {
	vmnet_net_config (*config_create)(vmnet_mode_t mode,
					  vmnet_return_t *status);
	vmnet_return_t (*set_ipv4_subnet)(vmnet_net_config config,
					  const struct in_addr *subnet_addr,
					  const struct in_addr *subnet_mask);
	vmnet_return_t (*set_ipv6_prefix)(vmnet_net_config config,
					  const struct in6_addr *prefix,
					  uint8_t prefix_len);
	vmnet_return_t (*set_mtu)(vmnet_net_config config, uint32_t mtu);
	void (*disable_dhcp)(vmnet_net_config config);
	vmnet_net_network (*network_create)(vmnet_net_config config,
					    vmnet_return_t *status);
	void (*get_ipv4_subnet)(vmnet_net_network network,
				struct in_addr *subnet, struct in_addr *mask);
	interface_ref (*start)(vmnet_net_network network,
			       xpc_object_t interface_desc,
			       dispatch_queue_t queue,
			       vmnet_start_interface_completion_handler_t done);
	void (*release)(const void *object);
};

/* The module's state: the calls, and the network the interface is on. */
static struct {
	bool looked_up;
	bool have_api;
	struct vmnet_net_api api;
	vmnet_net_network network;
} vn;

#ifdef VMNET_NET_SDK_CHECK
/* The SDK declares the calls: our pointer types must be theirs. */
#define VMNET_NET_SAME(fn, field)                                              \
	_Static_assert(__builtin_types_compatible_p(__typeof__(&fn),           \
						    __typeof__(vn.api.field)), \
		       #fn " is declared otherwise in the SDK")
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunguarded-availability"
#pragma clang diagnostic ignored "-Wunguarded-availability-new"
VMNET_NET_SAME(vmnet_network_configuration_create, config_create);
VMNET_NET_SAME(vmnet_network_configuration_set_ipv4_subnet, set_ipv4_subnet);
VMNET_NET_SAME(vmnet_network_configuration_set_ipv6_prefix, set_ipv6_prefix);
VMNET_NET_SAME(vmnet_network_configuration_set_mtu, set_mtu);
VMNET_NET_SAME(vmnet_network_configuration_disable_dhcp, disable_dhcp);
VMNET_NET_SAME(vmnet_network_create, network_create);
VMNET_NET_SAME(vmnet_network_get_ipv4_subnet, get_ipv4_subnet);
VMNET_NET_SAME(vmnet_interface_start_with_network, start);
#pragma clang diagnostic pop
#endif

/**
 * vmnet_net_sym() - look up one call
 * @name:	its symbol
 *
 * Return: its address, or NULL (and the API counts as missing)
 */
static void *vmnet_net_sym(const char *name)
{
	void *p = dlsym(RTLD_DEFAULT, name);

	if (!p)
		vn.have_api = false;
	return p;
}

/**
 * vmnet_net_available() - tell whether this system has the macOS 26 API
 *
 * Looks the calls up the first time.
 *
 * Return: true when every call the network path makes exists
 */
bool vmnet_net_available(void)
{
	struct vmnet_net_api *a = &vn.api;

	if (vn.looked_up)
		return vn.have_api;
	vn.looked_up = vn.have_api = true;
	a->config_create = vmnet_net_sym("vmnet_network_configuration_create");
	a->set_ipv4_subnet =
	    vmnet_net_sym("vmnet_network_configuration_set_ipv4_subnet");
	a->set_ipv6_prefix =
	    vmnet_net_sym("vmnet_network_configuration_set_ipv6_prefix");
	a->set_mtu = vmnet_net_sym("vmnet_network_configuration_set_mtu");
	a->disable_dhcp =
	    vmnet_net_sym("vmnet_network_configuration_disable_dhcp");
	a->network_create = vmnet_net_sym("vmnet_network_create");
	a->get_ipv4_subnet = vmnet_net_sym("vmnet_network_get_ipv4_subnet");
	a->start = vmnet_net_sym("vmnet_interface_start_with_network");
	a->release = vmnet_net_sym("CFRelease");
	return vn.have_api;
}

/**
 * vmnet_net_unfit() - tell why the flags cannot go through a network
 * @c:		what the daemon asks for
 *
 * Return: NULL when the network path fits @c, else a static reason
 */
const char *vmnet_net_unfit(const struct uplink_conf *c)
{
	uint32_t gw = ntohl(c->gateway.s_addr), mask = ntohl(c->mask.s_addr);
	uint32_t net = gw & mask;

	if (!vmnet_net_available())
		return "turning it off needs macOS 26, which describes "
		       "vmnet networks by a configuration";
	if (c->mode != NET_MODE_HOST && c->mode != NET_MODE_SHARED)
		return "bridged mode starts on an interface, not a network";
	if (c->network_identifier)
		return "--vmnet-network-identifier names a network of its own";
	if (!c->gateway.s_addr)
		return NULL;
	if (gw != net + 1)
		return "a vmnet network gives the host the first address of "
		       "its subnet, and --vmnet-gateway is another one";
	if (!c->own_dhcp && c->dhcp_end.s_addr &&
	    ntohl(c->dhcp_end.s_addr) != (net | ~mask) - 1)
		return "a vmnet network has no setting for --vmnet-dhcp-end";
	return NULL;
}

/**
 * vmnet_net_configure() - set what the flags ask on a configuration
 * @c:		what the daemon asks for (fit, see vmnet_net_unfit())
 * @cfg:	the configuration
 * @call:	set to the name of a call that failed
 *
 * Return: VMNET_SUCCESS, or the status of the call that failed
 */
static vmnet_return_t vmnet_net_configure(const struct uplink_conf *c,
					  vmnet_net_config cfg,
					  const char **call)
{
	vmnet_return_t st = VMNET_SUCCESS;
	struct in_addr net = {.s_addr = c->gateway.s_addr & c->mask.s_addr};
	struct in6_addr prefix;

	if (c->gateway.s_addr) {
		*call = "vmnet_network_configuration_set_ipv4_subnet";
		st = vn.api.set_ipv4_subnet(cfg, &net, &c->mask);
		if (st != VMNET_SUCCESS)
			return st;
	}
	if (c->mode == NET_MODE_SHARED && c->nat66_prefix) {
		*call = "vmnet_network_configuration_set_ipv6_prefix";
		if (inet_pton(AF_INET6, c->nat66_prefix, &prefix) != 1)
			return VMNET_INVALID_ARGUMENT;
		st = vn.api.set_ipv6_prefix(cfg, &prefix, VMNET_NET_PREFIX);
		if (st != VMNET_SUCCESS)
			return st;
	}
	if (c->mtu && c->mtu != VMNET_NET_MTU) {
		*call = "vmnet_network_configuration_set_mtu";
		st = vn.api.set_mtu(cfg, c->mtu);
		if (st != VMNET_SUCCESS)
			return st;
	}
	/* One DHCP server on the network: ours when it runs. */
	if (c->own_dhcp)
		vn.api.disable_dhcp(cfg);
	return VMNET_SUCCESS;
}

/**
 * vmnet_net_log() - say what network vmnet made
 * @c:		what was asked for
 */
static void vmnet_net_log(const struct uplink_conf *c)
{
	struct in_addr subnet, mask;
	char s[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];

	vn.api.get_ipv4_subnet(vn.network, &subnet, &mask);
	inet_ntop(AF_INET, &subnet, s, sizeof(s));
	inet_ntop(AF_INET, &mask, m, sizeof(m));
	log_info("vmnet: network configuration (macOS 26): subnet %s mask %s, "
		 "%s",
		 s, m,
		 c->own_dhcp ? "vmnet's DHCP server off (the daemon's answers)"
			     : "vmnet's DHCP server on");
}

/**
 * vmnet_net_create() - make the network the interface will start on
 * @c:		what the daemon asks for (fit, see vmnet_net_unfit())
 * @call:	set to the name of the call that failed
 *
 * Return: VMNET_SUCCESS with the network kept here, or the failed call's
 * status (nothing kept)
 */
vmnet_return_t vmnet_net_create(const struct uplink_conf *c, const char **call)
{
	vmnet_return_t st = VMNET_FAILURE;
	vmnet_net_config cfg;

	*call = "vmnet_network_configuration_create";
	if (!vmnet_net_available() || vn.network)
		return VMNET_FAILURE;
	cfg = vn.api.config_create(c->mode == NET_MODE_HOST ? VMNET_HOST_MODE
							    : VMNET_SHARED_MODE,
				   &st);
	if (!cfg)
		return st != VMNET_SUCCESS ? st : VMNET_FAILURE;
	st = vmnet_net_configure(c, cfg, call);
	if (st == VMNET_SUCCESS) {
		*call = "vmnet_network_create";
		vn.network = vn.api.network_create(cfg, &st);
		if (!vn.network && st == VMNET_SUCCESS)
			st = VMNET_FAILURE;
	}
	vn.api.release(cfg);
	if (vn.network)
		vmnet_net_log(c);
	return st;
}

/**
 * vmnet_net_start() - start the host side on the network
 * @desc:	the interface's own keys (not mode, addresses, prefix, MTU)
 * @queue:	where @done runs
 * @done:	completion handler, as for vmnet_start_interface()
 *
 * Return: the interface, NULL when refused outright (@done does not run)
 */
interface_ref vmnet_net_start(xpc_object_t desc, dispatch_queue_t queue,
			      vmnet_start_interface_completion_handler_t done)
{
	if (!vn.network)
		return NULL;
	return vn.api.start(vn.network, desc, queue, done);
}

/**
 * vmnet_net_release() - let the network go (its interface has stopped)
 */
void vmnet_net_release(void)
{
	if (!vn.network)
		return;
	vn.api.release(vn.network);
	vn.network = NULL;
}
