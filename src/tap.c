/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side of the network on Linux: a TAP device (uplink.h).
 *
 * Theory of operation. tap_open() creates a TAP device ("svmnet%d"
 * unless a name is asked for; the kernel picks the number) with
 * IFF_TAP | IFF_NO_PI and no virtio-net header, so each read() returns one
 * raw Ethernet frame the host sends to the VM network, and each write()
 * hands the host one frame from it. The device is not persistent: the
 * kernel deletes it, with its addresses and routes, when the descriptor is
 * closed, so even a crashed daemon leaves no TAP behind. The daemon treats
 * the descriptor as one more switch port (non-blocking, readable when
 * frames wait); reads and writes are plain read()/write() with no
 * allocation.
 *
 * Configuration uses ioctl()s on an AF_INET datagram socket (no "ip"
 * command): MTU, address and netmask, MAC, bridge port, and IFF_UP.
 * - host: the TAP carries the gateway address, so the host reaches the VMs
 *   and the VMs reach the host. Nothing is forwarded beyond it (unless the
 *   administrator enabled forwarding for other reasons).
 * - shared: host mode plus nat_start() (nat.c): net.ipv4.ip_forward and an
 *   nftables masquerade table, recorded in a state file so that what a
 *   crash leaves is undone by the next start; with IPv6, also IPv6
 *   forwarding and a NAT66 table.
 * With IPv6 (host and shared), the TAP also holds the gateway's IPv6
 * addresses (tap_set_ipv6()); the daemon's gateway sends the router
 * advertisements, the kernel answers neighbour solicitations and pings.
 * - bridged: the TAP, without any address, becomes a port of an existing
 *   Linux bridge; the host's own address stays on the bridge.
 * Port forwards (shared and host mode, tap_forward()) are DNAT rules in
 * the same nft table (in host mode the table is made for them); the host
 * port of each is held by a bound socket, and a forward on the host's
 * loopback turns on the TAP's own route_localnet, which dies with the TAP.
 * When the TAP cannot be created for want of privileges, tap_open() says
 * so with errno EPERM, and shared mode can fall back to the user-mode NAT
 * (uplink.c).
 * A TAP's MTU is at most 65521 (65535 minus the Ethernet header, a tun
 * driver limit); a larger MTU asked for is lowered to that, and
 * uplink_info tells the daemon what was applied.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>

#include "addr.h"
#include "err.h"
#include "fwd.h"
#include "log.h"
#include "nat.h"
#include "net.h"
#include "pkt.h"
#include "uplink.h"

#define TAP_DEV		 "/dev/net/tun"
#define TAP_DEFAULT_NAME "svmnet%d"
#define TAP_MIN_MTU	 68u
#define TAP_MAX_MTU	 65521u /* tun: 65535 minus the Ethernet header */
#define TAP_ETH_HLEN	 14u
#define TAP_SYSCONF	 "/proc/sys/net/ipv4/conf"
#define TAP_SYSCONF6	 "/proc/sys/net/ipv6/conf"

static void tap_close(void);

/* The one uplink of this process. */
static struct {
	int fd;	 /* the TAP, -1 when closed */
	int ctl; /* AF_INET socket for configuration ioctls, -1 when none */
	bool nat;
	bool no_device; /* the TAP could not be created: no privileges */
	bool localnet;	/* route_localnet is on for the TAP */
	enum net_mode mode;
	struct in_addr net;
	unsigned int prefix;
	char ifname[IFNAMSIZ];
	struct fwd_set held;  /* forwards whose host port we hold... */
	int held_fd[FWD_MAX]; /* ...with these bound sockets */
} tap = {.fd = -1, .ctl = -1};

/**
 * tap_err() - describe a failed step, pointing at privileges when needed
 * @err:	where the message goes
 * @errlen:	size of @err
 * @what:	the step that failed
 * @e:		its errno
 */
static void tap_err(char *err, size_t errlen, const char *what, int e)
{
	if (e == EPERM || e == EACCES)
		err_set(err, errlen,
			"%s: %s: --vmnet-mode=%s needs root or CAP_NET_ADMIN "
			"(use --vmnet-mode=isolated, or shared mode with "
			"--nat=user, to run without privileges)",
			what, strerror(e), net_mode_name(tap.mode));
	else
		err_set(err, errlen, "%s: %s", what, strerror(e));
}

/**
 * tap_ifreq() - prepare a request about an interface
 * @ifr:	the request, zeroed
 * @name:	the interface
 */
static void tap_ifreq(struct ifreq *ifr, const char *name)
{
	memset(ifr, 0, sizeof(*ifr));
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
}

/**
 * tap_name_ok() - check an interface name we put into paths and rulesets
 * @name:	the name; "%d" is allowed for a TAP name the kernel numbers
 *
 * Return: true if it is short enough and made of letters, digits, "_.-%"
 */
static bool tap_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len < IFNAMSIZ && strcmp(name, ".") &&
	       strcmp(name, "..") &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-%") == len;
}

/**
 * tap_check_bridge() - check that bridged mode was given a Linux bridge
 * @name:	the --vmnet-interface value
 * @err:	where to write what is wrong and how to fix it
 * @errlen:	size of @err
 *
 * Return: 0 if @name is an existing bridge, -1 with @err set otherwise
 */
static int tap_check_bridge(const char *name, char *err, size_t errlen)
{
	static const char how[] =
	    "bridged mode joins an existing Linux bridge; make one and "
	    "move the uplink into it, e.g.: ip link add name br0 type "
	    "bridge; ip link set eth0 master br0; ip link set br0 up "
	    "(then move eth0's address to br0) and use "
	    "--vmnet-interface=br0";
	char path[64 + IFNAMSIZ];
	struct stat sb;

	if (!name || !name[0]) {
		err_set(err, errlen,
			"--vmnet-mode=bridged needs "
			"--vmnet-interface=BRIDGE; %s",
			how);
		return -1;
	}
	if (!tap_name_ok(name) || strchr(name, '%')) {
		err_set(err, errlen, "bad interface name \"%s\"", name);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s", name);
	if (stat(path, &sb) < 0) {
		err_set(err, errlen, "no interface %s: %s", name, how);
		return -1;
	}
	snprintf(path, sizeof(path), "/sys/class/net/%s/bridge", name);
	if (stat(path, &sb) < 0) {
		err_set(err, errlen, "%s is not a Linux bridge: %s", name, how);
		return -1;
	}
	return 0;
}

/**
 * tap_create() - create the TAP device
 * @name:	name wanted, may hold "%d"
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * Return: 0 with tap.fd and tap.ifname set, -1 with @err set
 */
static int tap_create(const char *name, char *err, size_t errlen)
{
	struct ifreq ifr;
	int e;

	tap.fd = open(TAP_DEV, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tap.fd < 0) {
		e = errno;
		tap.no_device = e == ENOENT || e == ENODEV || e == ENXIO ||
				e == EPERM || e == EACCES;
		if (e == ENOENT || e == ENODEV || e == ENXIO)
			err_set(err, errlen,
				"%s: %s (load the tun module: modprobe tun)",
				TAP_DEV, strerror(e));
		else
			tap_err(err, errlen, TAP_DEV, e);
		return -1;
	}
	tap_ifreq(&ifr, name);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(tap.fd, TUNSETIFF, &ifr) < 0) {
		e = errno;
		tap.no_device = e == EPERM || e == EACCES;
		if (e == EBUSY)
			err_set(err, errlen,
				"creating TAP %s: %s (another process has "
				"it open)",
				name, strerror(e));
		else if (e == EINVAL)
			err_set(err, errlen,
				"creating TAP %s: %s (an interface of that "
				"name that is no TAP exists?)",
				name, strerror(e));
		else
			tap_err(err, errlen, "creating a TAP device", e);
		return -1;
	}
	snprintf(tap.ifname, sizeof(tap.ifname), "%s", ifr.ifr_name);
	return 0;
}

/**
 * tap_set_mtu() - set the TAP's MTU
 * @mtu:	the MTU, already within TAP_MIN_MTU..TAP_MAX_MTU
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_set_mtu(unsigned int mtu, char *err, size_t errlen)
{
	struct ifreq ifr;

	tap_ifreq(&ifr, tap.ifname);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(tap.ctl, SIOCSIFMTU, &ifr) < 0) {
		tap_err(err, errlen, "setting the TAP's MTU", errno);
		return -1;
	}
	return 0;
}

/**
 * tap_set_addr() - put an IPv4 address and netmask on the TAP
 * @addr:	the address
 * @mask:	the netmask
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * The kernel adds the route to the subnet with it.
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_set_addr(struct in_addr addr, struct in_addr mask, char *err,
			size_t errlen)
{
	struct sockaddr_in sin;
	struct ifreq ifr;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = addr;
	tap_ifreq(&ifr, tap.ifname);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	if (ioctl(tap.ctl, SIOCSIFADDR, &ifr) < 0) {
		tap_err(err, errlen, "setting the TAP's address", errno);
		return -1;
	}
	sin.sin_addr = mask;
	tap_ifreq(&ifr, tap.ifname);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	if (ioctl(tap.ctl, SIOCSIFNETMASK, &ifr) < 0) {
		tap_err(err, errlen, "setting the TAP's netmask", errno);
		return -1;
	}
	return 0;
}

/**
 * tap_join_bridge() - make the TAP a port of a bridge
 * @bridge:	the bridge, checked by tap_check_bridge()
 * @mtu:	the TAP's MTU, compared with the bridge's
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * The TAP first gets a MAC starting with fe: a bridge whose MAC was not set
 * by hand takes the lowest MAC of its ports, and a random TAP MAC could
 * otherwise change the bridge's (and the host's LAN) address.
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_join_bridge(const char *bridge, unsigned int mtu, char *err,
			   size_t errlen)
{
	struct ifreq ifr;
	int index;

	tap_ifreq(&ifr, tap.ifname);
	if (ioctl(tap.ctl, SIOCGIFHWADDR, &ifr) < 0) {
		tap_err(err, errlen, "reading the TAP's MAC", errno);
		return -1;
	}
	ifr.ifr_hwaddr.sa_data[0] = (char)0xfe;
	if (ioctl(tap.ctl, SIOCSIFHWADDR, &ifr) < 0) {
		tap_err(err, errlen, "setting the TAP's MAC", errno);
		return -1;
	}
	tap_ifreq(&ifr, bridge);
	if (ioctl(tap.ctl, SIOCGIFMTU, &ifr) == 0 &&
	    (unsigned int)ifr.ifr_mtu != mtu)
		log_warnx("bridge %s has MTU %d but the TAP gets %u; a bridge "
			  "takes the smallest MTU of its ports",
			  bridge, ifr.ifr_mtu, mtu);
	index = (int)if_nametoindex(tap.ifname);
	if (!index) {
		tap_err(err, errlen, "finding the TAP's index", errno);
		return -1;
	}
	tap_ifreq(&ifr, bridge);
	ifr.ifr_ifindex = index;
	if (ioctl(tap.ctl, SIOCBRADDIF, &ifr) < 0) {
		char what[96];

		snprintf(what, sizeof(what), "adding %s to bridge %s",
			 tap.ifname, bridge);
		tap_err(err, errlen, what, errno);
		return -1;
	}
	return 0;
}

/**
 * tap_up() - bring the TAP up
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_up(char *err, size_t errlen)
{
	struct ifreq ifr;

	tap_ifreq(&ifr, tap.ifname);
	if (ioctl(tap.ctl, SIOCGIFFLAGS, &ifr) < 0) {
		tap_err(err, errlen, "reading the TAP's flags", errno);
		return -1;
	}
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(tap.ctl, SIOCSIFFLAGS, &ifr) < 0) {
		tap_err(err, errlen, "bringing the TAP up", errno);
		return -1;
	}
	return 0;
}

/**
 * tap_info() - read back what the TAP turned out to be
 * @info:	filled in
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_info(struct uplink_info *info, char *err, size_t errlen)
{
	struct ifreq ifr;

	memset(info, 0, sizeof(*info));
	tap_ifreq(&ifr, tap.ifname);
	if (ioctl(tap.ctl, SIOCGIFHWADDR, &ifr) < 0) {
		tap_err(err, errlen, "reading the TAP's MAC", errno);
		return -1;
	}
	memcpy(info->mac, ifr.ifr_hwaddr.sa_data, sizeof(info->mac));
	tap_ifreq(&ifr, tap.ifname);
	if (ioctl(tap.ctl, SIOCGIFMTU, &ifr) < 0) {
		tap_err(err, errlen, "reading the TAP's MTU", errno);
		return -1;
	}
	info->mtu = (unsigned int)ifr.ifr_mtu;
	info->max_frame = info->mtu + TAP_ETH_HLEN;
	snprintf(info->ifname, sizeof(info->ifname), "%s", tap.ifname);
	return 0;
}

/**
 * tap_conf_write() - set one of the TAP's own settings under /proc
 * @dir:	TAP_SYSCONF or TAP_SYSCONF6
 * @key:	the setting
 * @value:	its new value
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_conf_write(const char *dir, const char *key, const char *value,
			  char *err, size_t errlen)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, tap.ifname, key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) < 0) {
		err_sys(err, errlen, "setting %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/**
 * tap_add_ip6() - give the TAP an IPv6 address
 * @a:		the address (16 bytes)
 * @plen:	its prefix length
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * An address the TAP already has (the kernel's own link-local one) is
 * fine.
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_add_ip6(const uint8_t *a, unsigned int plen, char *err,
		       size_t errlen)
{
	struct tap_in6_ifreq {
		struct in6_addr addr;
		uint32_t prefixlen;
		int ifindex;
	} r;
	int s, rc;

	memset(&r, 0, sizeof(r));
	memcpy(r.addr.s6_addr, a, 16);
	r.prefixlen = plen;
	r.ifindex = (int)if_nametoindex(tap.ifname);
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		tap_err(err, errlen, "IPv6 socket", errno);
		return -1;
	}
	rc = ioctl(s, SIOCSIFADDR, &r);
	if (rc < 0 && errno != EEXIST) {
		tap_err(err, errlen, "setting the TAP's IPv6 address", errno);
		close(s);
		return -1;
	}
	close(s);
	return 0;
}

/**
 * tap_set_ipv6() - the gateway's IPv6 addresses on the TAP
 * @c:		the network (its /64 prefix)
 * @info:	the TAP's MAC in; its IPv6 addresses filled in
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * The TAP gets fe80::EUI-64 of its MAC (the source of the gateway's
 * router advertisements, whatever address generation mode the host
 * prefers) and PREFIX::1/64, the route to the VMs' addresses. It accepts
 * no router advertisement (the host is the router here) and does no
 * duplicate address detection (it is the first on the link). All three
 * settings go with the TAP.
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_set_ipv6(const struct uplink_conf *c, struct uplink_info *info,
			char *err, size_t errlen)
{
	static const uint8_t ll[8] = {0xfe, 0x80};
	char text[INET6_ADDRSTRLEN];

	if (tap_conf_write(TAP_SYSCONF6, "accept_ra", "0", err, errlen) ||
	    tap_conf_write(TAP_SYSCONF6, "accept_dad", "0", err, errlen))
		return -1;
	pkt_ipv6_eui64(ll, info->mac, info->ip6[0]);
	memcpy(info->ip6[1], c->prefix6, 8);
	memset(info->ip6[1] + 8, 0, 8);
	info->ip6[1][15] = 1;
	if (tap_add_ip6(info->ip6[0], 64, err, errlen) ||
	    tap_add_ip6(info->ip6[1], 64, err, errlen))
		return -1;
	info->nip6 = 2;
	inet_ntop(AF_INET6, info->ip6[1], text, sizeof(text));
	log_info("uplink: TAP %s carries %s/64", tap.ifname, text);
	return 0;
}

/**
 * tap_caps() - tell what this backend implements
 * @caps:	filled in: every mode, no vmnet.framework identifiers,
 *		forwards (shared and host mode)
 *
 * Isolated mode needs no host side; host, shared and bridged use the TAP.
 */
static void tap_caps(struct uplink_caps *caps)
{
	caps->modes =
	    NET_MODE_BIT(NET_MODE_SHARED) | NET_MODE_BIT(NET_MODE_HOST) |
	    NET_MODE_BIT(NET_MODE_BRIDGED) | NET_MODE_BIT(NET_MODE_ISOLATED);
	caps->vmnet_ids = false;
	caps->host_dhcp = false;
	caps->no_user = false;
	caps->forwards = true;
}

/**
 * tap_check_conf() - check what tap_open() is asked for
 * @c:		the request
 * @net:	set to the subnet's network address (0 in bridged mode)
 * @prefix:	set to its prefix length (-1 in bridged mode)
 * @mtu:	the MTU asked for; lowered to what a TAP takes, with a warning
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int tap_check_conf(const struct uplink_conf *c, struct in_addr *net,
			  int *prefix, unsigned int *mtu, char *err,
			  size_t errlen)
{
	const char *name = c->name && c->name[0] ? c->name : TAP_DEFAULT_NAME;

	*prefix = -1;
	switch (c->mode) {
	case NET_MODE_HOST:
	case NET_MODE_SHARED:
		if (net_check_subnet(ntohl(c->gateway.s_addr),
				     ntohl(c->mask.s_addr), NET_WORDS_PLAIN,
				     err, errlen) < 0)
			return -1;
		*prefix = addr_mask_plen(ntohl(c->mask.s_addr));
		net->s_addr = c->gateway.s_addr & c->mask.s_addr;
		break;
	case NET_MODE_BRIDGED:
		if (tap_check_bridge(c->interface, err, errlen) < 0)
			return -1;
		net->s_addr = 0;
		break;
	default:
		return err_set(err, errlen, "--vmnet-mode=%s has no host side",
			       net_mode_name(c->mode));
	}
	if (!tap_name_ok(name))
		return err_set(err, errlen, "bad TAP name \"%s\"", name);
	if (*mtu < TAP_MIN_MTU || *mtu > 65535)
		return err_set(err, errlen, "MTU %u is outside %u-65535", *mtu,
			       TAP_MIN_MTU);
	if (*mtu > TAP_MAX_MTU) {
		log_warnx("a TAP device takes an MTU of at most %u: using it "
			  "instead of %u",
			  TAP_MAX_MTU, *mtu);
		*mtu = TAP_MAX_MTU;
	}
	return 0;
}

/**
 * tap_open() - create the host side of the VM network
 * @c:		mode, gateway, netmask, MTU, bridge and TAP name
 * @info:	filled with the TAP's MAC, MTU, largest frame and name
 * @err:	where to write a one-line message on failure
 * @errlen:	size of @err
 *
 * Undoes what a crashed daemon left behind first (nat_recover()). On
 * failure everything done so far is undone.
 *
 * Return: the TAP's non-blocking descriptor, -1 with @err set on failure
 * (errno EPERM when the TAP could not be created for want of privileges
 * or of /dev/net/tun)
 */
static int tap_open(const struct uplink_conf *c, struct uplink_info *info,
		    char *err, size_t errlen)
{
	const char *name = c->name && c->name[0] ? c->name : TAP_DEFAULT_NAME;
	unsigned int mtu = c->mtu ? c->mtu : 1500;
	struct in_addr net = {0};
	int prefix;

	if (tap.fd >= 0)
		return err_set(err, errlen, "the uplink is already open");
	if (tap_check_conf(c, &net, &prefix, &mtu, err, errlen) < 0)
		return -1;
	tap.mode = c->mode;
	tap.no_device = false;
	tap.net = net;
	tap.prefix = prefix < 0 ? 0 : (unsigned int)prefix;
	if (tap_create(name, err, errlen) < 0)
		goto fail;
	tap.ctl = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (tap.ctl < 0) {
		tap_err(err, errlen, "socket", errno);
		goto fail;
	}
	/* Creating the TAP proved the privileges: undo a crash's leftovers */
	nat_recover();
	if (c->mode == NET_MODE_HOST)
		nat_recover_net(net, (unsigned int)prefix);
	if (tap_set_mtu(mtu, err, errlen) < 0)
		goto fail;
	if (c->mode == NET_MODE_BRIDGED) {
		if (tap_join_bridge(c->interface, mtu, err, errlen) < 0)
			goto fail;
	} else if (tap_set_addr(c->gateway, c->mask, err, errlen) < 0) {
		goto fail;
	}
	if (tap_up(err, errlen) < 0)
		goto fail;
	if (c->mode == NET_MODE_SHARED) {
		char msg[512];

		if (nat_start(tap.ifname, net, (unsigned int)prefix,
			      c->ipv6 ? c->prefix6 : NULL, true, msg,
			      sizeof(msg)) < 0) {
			err_set(err, errlen, "shared mode: %s%s", msg,
				geteuid() ? " (shared mode needs root)" : "");
			goto fail;
		}
		tap.nat = true;
	}
	if (tap_info(info, err, errlen) < 0)
		goto fail;
	if (c->ipv6 && c->mode != NET_MODE_BRIDGED &&
	    tap_set_ipv6(c, info, err, errlen) < 0)
		goto fail;
	if (c->mode == NET_MODE_BRIDGED) {
		log_info("uplink: TAP %s (MTU %u) joined bridge %s", tap.ifname,
			 info->mtu, c->interface);
	} else {
		char gw[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &c->gateway, gw, sizeof(gw));
		log_info("uplink: TAP %s (MTU %u) carries %s/%d, %s mode",
			 tap.ifname, info->mtu, gw, prefix,
			 net_mode_name(c->mode));
	}
	return tap.fd;
fail:
	tap_close();
	errno = tap.no_device ? EPERM : EIO;
	return -1;
}

/**
 * tap_read() - take one frame the host sends to the VM network
 * @buf:	where the frame goes
 * @len:	size of @buf, at least uplink_info.max_frame
 *
 * Return: the frame's length, -1 with errno EAGAIN when none waits
 */
static ssize_t tap_read(void *buf, size_t len)
{
	return read(tap.fd, buf, len);
}

/**
 * tap_write() - hand the host one frame from the VM network
 * @frame:	the Ethernet frame
 * @len:	its length
 *
 * Return: @len on success, -1 with errno set (EAGAIN when full)
 */
static ssize_t tap_write(const void *frame, size_t len)
{
	return write(tap.fd, frame, len);
}

/**
 * tap_close() - undo everything tap_open() did
 *
 * Stops NAT (table with the forwards, ip_forward, state file), lets go of
 * the forwards' host ports and closes the TAP, which makes the kernel
 * delete it with its address, bridge membership and route_localnet. Safe
 * after a failed tap_open() and when called twice.
 */
static void tap_close(void)
{
	for (unsigned int i = 0; i < tap.held.n; i++)
		close(tap.held_fd[i]);
	tap.held.n = 0;
	tap.localnet = false;
	if (tap.nat) {
		nat_stop();
		tap.nat = false;
	}
	if (tap.ctl >= 0) {
		close(tap.ctl);
		tap.ctl = -1;
	}
	if (tap.fd >= 0) {
		close(tap.fd);
		tap.fd = -1;
		/* Only a TAP that was created is reported (an open of the
		 * device that was then refused created nothing). */
		if (tap.ifname[0])
			log_info("uplink: TAP %s removed", tap.ifname);
	}
	tap.ifname[0] = '\0';
}

/**
 * tap_localnet() - let the TAP carry connections from the host's loopback
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * A forward on 127.0.0.1 turns the host's own connection into one to the
 * guest (output-chain DNAT); the kernel drops a packet with a loopback
 * source on any other interface unless that interface has route_localnet.
 * The setting is the TAP's own and goes away with it, so nothing has to be
 * restored, not even after a crash.
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_localnet(char *err, size_t errlen)
{
	if (tap.localnet)
		return 0;
	if (tap_conf_write(TAP_SYSCONF, "route_localnet", "1", err, errlen))
		return -1;
	tap.localnet = true;
	return 0;
}

/**
 * tap_forward_hold() - check that a new forward's host port is free, and
 * keep it
 * @f:		the forward
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * The DNAT rule takes the connections before any socket could, so the
 * port is bound (not listened on) for as long as the forward lasts: no
 * other program takes it unawares.
 *
 * Return: 0 on success, -1 with @err set
 */
static int tap_forward_hold(const struct fwd_spec *f, char *err, size_t errlen)
{
	int s = fwd_probe(f, err, errlen);

	if (s < 0)
		return -1;
	if (fwd_set_add(&tap.held, f, err, errlen) < 0) {
		close(s);
		return -1;
	}
	tap.held_fd[tap.held.n - 1] = s;
	return 0;
}

/**
 * tap_forward_release() - let go of a forward's host port
 * @f:		the forward
 */
static void tap_forward_release(const struct fwd_spec *f)
{
	int i = fwd_set_find(&tap.held, f);

	if (i < 0)
		return;
	close(tap.held_fd[i]);
	memmove(&tap.held_fd[i], &tap.held_fd[i + 1],
		(tap.held.n - (unsigned int)i - 1) * sizeof(tap.held_fd[0]));
	fwd_set_remove(&tap.held, (unsigned int)i);
}

/**
 * tap_forward() - install or remove a port forward (DNAT in our table)
 * @f:		the forward
 * @add:	install it (true) or remove it
 * @after:	every forward as it will be
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * In host mode the nft table (nat.c) is made on the first forward.
 *
 * Return: 0 on success, -1 with @err set and nothing changed
 */
static int tap_forward(const struct fwd_spec *f, bool add,
		       const struct fwd_set *after, char *err, size_t errlen)
{
	if (tap.mode != NET_MODE_SHARED && tap.mode != NET_MODE_HOST)
		return err_set(err, errlen,
			       "port forwards need shared or host mode");
	if (!add) {
		if (nat_set_forwards(after, err, errlen) < 0)
			return -1;
		tap_forward_release(f);
		return 0;
	}
	if (tap_forward_hold(f, err, errlen) < 0)
		return -1;
	if (!tap.nat) {
		if (nat_start(tap.ifname, tap.net, tap.prefix, NULL, false, err,
			      errlen) < 0)
			goto fail;
		tap.nat = true;
	}
	if ((fwd_host_is_loopback(f) || !f->host_addr) &&
	    tap_localnet(err, errlen) < 0)
		goto fail;
	if (nat_set_forwards(after, err, errlen) == 0)
		return 0;
fail:
	tap_forward_release(f);
	return -1;
}

const struct uplink_ops uplink_platform = {
    .name = "tap",
    .caps = tap_caps,
    .open = tap_open,
    .read = tap_read,
    .write = tap_write,
    .close = tap_close,
    .forward = tap_forward,
};
