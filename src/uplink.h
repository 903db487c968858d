/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side of the network: one backend per platform (Linux: a TAP
 * device, with NAT for shared mode; macOS: vmnet.framework), chosen by the
 * Makefile. The daemon treats it as one more switch port whose descriptor
 * becomes readable when frames are waiting.
 */
#ifndef UPLINK_H
#define UPLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "net.h"

/**
 * struct uplink_conf - what the daemon asks of the host side
 * @mode:	host, shared or bridged
 * @interface:	bridged: the bridge (Linux) or interface (macOS) to join
 * @gateway:	host and shared: the host's address on the VM network
 * @mask:	its netmask
 * @mtu:	MTU of the VM network
 * @name:	Linux: name wanted for the TAP device ("" = choose one)
 * @dhcp_end:	macOS, host and shared: last address of the DHCP range
 *		(vmnet's DHCP server hands out gateway+1 .. dhcp_end); 0 = none
 *		given, and then gateway and mask are not passed to vmnet either
 * @interface_id: macOS: UUID text fixing the host-side interface's
 *		identity (and so its MAC), or NULL for a new one
 * @network_identifier: macOS, host mode: UUID text or "random" naming an
 *		isolated host-mode network (vmnet runs no DHCP on it), or NULL
 * @nat66_prefix: macOS, shared mode: IPv6 /64 prefix text ("fd..::"), or
 *		NULL for vmnet's choice
 * @own_dhcp:	the daemon's DHCP server runs on this network: the host
 *		side must not run one (macOS 26 turns vmnet's off)
 *
 * Linux ignores the macOS-only fields; conf_check_platform() rejects the
 * flags that set them there (struct uplink_caps says which they are).
 */
struct uplink_conf {
	enum net_mode mode;
	const char *interface;
	struct in_addr gateway;
	struct in_addr mask;
	unsigned int mtu;
	const char *name;
	struct in_addr dhcp_end;
	const char *interface_id;
	const char *network_identifier;
	const char *nat66_prefix;
	bool own_dhcp;
};

/**
 * struct uplink_caps - what this build's host-side backend implements
 * @modes:	NET_MODE_BIT(m) for each mode it runs
 * @vmnet_ids:	it understands the vmnet.framework identifiers (interface
 *		id, network identifier, NAT66 prefix of struct uplink_conf)
 * @host_dhcp:	in host and shared modes the host side serves DHCP itself
 *		(vmnet's bootpd): the built-in server then runs only when the
 *		host's is turned off (--vmnet-disable-dhcp)
 * @no_user:	privileges cannot be dropped (--user) while it runs: the
 *		backend does not survive the fork of privilege separation
 */
struct uplink_caps {
	unsigned int modes;
	bool vmnet_ids;
	bool host_dhcp;
	bool no_user;
};

/**
 * struct uplink_info - what the host side turned out to be
 * @mac:	the host side's MAC address on the VM network
 * @mtu:	its MTU
 * @max_frame:	largest frame it passes
 * @ifname:	name of the host interface (TAP device), for logs
 */
struct uplink_info {
	uint8_t mac[6];
	unsigned int mtu;
	unsigned int max_frame;
	char ifname[32];
};

void uplink_caps(struct uplink_caps *caps);
int uplink_open(const struct uplink_conf *c, struct uplink_info *info,
		char *err, size_t errlen);
ssize_t uplink_read(void *buf, size_t len);
ssize_t uplink_write(const void *frame, size_t len);
void uplink_close(void);

#endif /* UPLINK_H */
