/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side of the network. Two backends can serve it:
 *
 * - the platform's kernel path (Linux: a TAP device, with nftables NAT in
 *   shared mode, tap.c and nat.c; macOS: vmnet.framework, vmnet.c), which
 *   the Makefile picks and which defines uplink_platform;
 * - the user-mode NAT (usernat.c, libslirp), on every platform, for shared
 *   mode without privileges.
 *
 * uplink.c chooses one at run time (--nat=auto|kernel|user: auto takes the
 * kernel path when it can create its device and the user-mode NAT when it
 * lacks the privileges) and dispatches to it through struct uplink_ops.
 * The daemon treats the host side as one more switch port: a backend with
 * a descriptor is read when it becomes readable; one without (usernat.c)
 * pushes the frames it has for the VMs through the callback in struct
 * uplink_conf. Port forwards (fwd.h) are added and removed through here
 * too, at start and at run time.
 */
#ifndef UPLINK_H
#define UPLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#include "fwd.h"
#include "net.h"

/* uplink_open() succeeded, but the backend has no descriptor: it hands
 * frames to struct uplink_conf.rx instead. */
#define UPLINK_PUSHED (-2)

/**
 * enum uplink_nat - which backend serves shared mode (--nat)
 * @UPLINK_NAT_AUTO:	the kernel path when its device can be created,
 *			otherwise the user-mode NAT
 * @UPLINK_NAT_KERNEL:	the kernel path (TAP and nftables, vmnet) only
 * @UPLINK_NAT_USER:	the user-mode NAT (libslirp) only
 */
enum uplink_nat {
	UPLINK_NAT_AUTO = 0,
	UPLINK_NAT_KERNEL,
	UPLINK_NAT_USER,
};

/**
 * uplink_rx_fn - a frame the host side sends to the VM network
 * @arg:	what the owner registered with it
 * @frame:	the Ethernet frame, valid during the call only
 * @len:	its length
 *
 * For backends that push frames (UPLINK_PUSHED). It may be called from
 * uplink_write() and from the backend's own loop callbacks and timers.
 */
typedef void uplink_rx_fn(void *arg, const uint8_t *frame, size_t len);

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
 * @nat:	shared mode: which backend (--nat)
 * @no_host_loopback: user-mode NAT: guests may not reach the host's
 *		loopback through the gateway address (--host-loopback=no)
 * @forwards:	port forwards to set up (--forward), @nforwards of them
 * @nforwards:	how many
 * @rx:		where a backend without descriptor pushes frames
 * @rx_arg:	passed to @rx
 * @own_dhcp:	the daemon's DHCP server runs on this network: the host
 *		side must not run one (macOS 26 turns vmnet's off)
 * @ipv6:	host and shared mode: the network has IPv6 (--ipv6)
 * @prefix6:	its /64 prefix (16 bytes): the TAP holds PREFIX::1, NAT66
 *		and libslirp use it
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
	enum uplink_nat nat;
	bool no_host_loopback;
	const struct fwd_spec *forwards;
	unsigned int nforwards;
	uplink_rx_fn *rx;
	void *rx_arg;
	bool own_dhcp;
	bool ipv6;
	uint8_t prefix6[16];
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
 * @forwards:	it sets up port forwards (--forward)
 * @user_nat:	the build has the user-mode NAT (libslirp), which runs
 *		shared mode without privileges, --user and forwards included
 * @own_ipv6:	the host side runs IPv6 for the network itself (router
 *		advertisements, neighbour discovery, ping: vmnet, libslirp);
 *		the gateway then sends none
 */
struct uplink_caps {
	unsigned int modes;
	bool vmnet_ids;
	bool host_dhcp;
	bool no_user;
	bool forwards;
	bool user_nat;
	bool own_ipv6;
};

#define UPLINK_MAX_IP6 3u /* IPv6 addresses of the host side */

/**
 * struct uplink_info - what the host side turned out to be
 * @mac:	the host side's MAC address on the VM network
 * @mtu:	its MTU
 * @max_frame:	largest frame it passes
 * @ifname:	name of the host interface (TAP device), for logs
 * @dns:	an address on the VM network where the host side answers DNS
 *		for the guests (user-mode NAT: the gateway), 0 when none
 * @ip6:	the host side's IPv6 addresses on the VM network, which no
 *		VM may claim
 * @nip6:	how many
 */
struct uplink_info {
	uint8_t mac[6];
	unsigned int mtu;
	unsigned int max_frame;
	char ifname[32];
	struct in_addr dns;
	uint8_t ip6[UPLINK_MAX_IP6][16];
	unsigned int nip6;
};

/**
 * struct uplink_ops - one backend
 * @name:	for logs: "kernel" paths name their device in uplink_info
 * @caps:	what it implements
 * @open:	set it up; returns its descriptor, UPLINK_PUSHED, or -1 with
 *		@err set and everything undone (errno EPERM when it lacks the
 *		privileges to create its device: --nat=auto then falls back)
 * @read:	one frame for the VM network, -1 with EAGAIN when none (NULL
 *		for a backend that pushes frames)
 * @write:	one frame from the VM network; -1 with EAGAIN/ENOBUFS when
 *		full (keep it), any other errno when it was dropped
 * @close:	undo @open; safe when not open and twice
 * @forward:	install (@add) or remove one forward; @after is the whole
 *		set as it will be if this succeeds. NULL: no forwards.
 * @drop:	in the privileged monitor after the fork (--user): let go of
 *		what the worker runs, undoing nothing. NULL: the monitor keeps
 *		it all (to undo it when the worker is gone).
 */
struct uplink_ops {
	const char *name;
	void (*caps)(struct uplink_caps *caps);
	int (*open)(const struct uplink_conf *c, struct uplink_info *info,
		    char *err, size_t errlen);
	ssize_t (*read)(void *buf, size_t len);
	ssize_t (*write)(const void *frame, size_t len);
	void (*close)(void);
	int (*forward)(const struct fwd_spec *f, bool add,
		       const struct fwd_set *after, char *err, size_t errlen);
	void (*drop)(void);
};

/* The kernel path of this platform (tap.c or vmnet.c, as the Makefile
 * picks) and the user-mode NAT (usernat.c). */
extern const struct uplink_ops uplink_platform;
extern const struct uplink_ops usernat_uplink;

void uplink_caps(struct uplink_caps *caps);
int uplink_open(const struct uplink_conf *c, struct uplink_info *info,
		char *err, size_t errlen);
ssize_t uplink_read(void *buf, size_t len);
ssize_t uplink_write(const void *frame, size_t len);
void uplink_close(void);
void uplink_drop_fds(void);
const char *uplink_name(void);
/* installs or removes a forward of the kernel path for this process */
typedef int (*uplink_relay_fn)(const struct fwd_spec *f, bool add, char *err,
			       size_t errlen);
void uplink_set_relay(uplink_relay_fn relay);
int uplink_forward_add(const struct fwd_spec *f, char *err, size_t errlen);
int uplink_forward_remove(const struct fwd_spec *f, char *err, size_t errlen);
const struct fwd_set *uplink_forwards(void);

#endif /* UPLINK_H */
