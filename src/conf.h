/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The daemon's command line: struct conf, what conf_parse() makes of argv,
 * and whether this build's host side can run it (conf_check_platform()).
 */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <netinet/in.h>

#include "fwd.h"
#include "guard.h"
#include "net.h"
#include "uplink.h"

#define CONF_MAX_FDS	       64
#define CONF_MAX_CONNECT       64
#define CONF_DEFAULT_MAX_FRAME 65549u	  /* MTU 65535 + Ethernet header */
#define CONF_LIMIT_MAX_FRAME   69632u	  /* largest frame QEMU accepts */
#define CONF_MIN_FRAME	       14u	  /* an Ethernet header */
#define CONF_DEFAULT_QUEUE     (1u << 20) /* bytes per port output queue */
#define CONF_DEFAULT_MAX_PORTS 1024u
#define CONF_DEFAULT_MAC_AGE   300u /* seconds */
#define CONF_DEFAULT_MTU       1500u
#define CONF_DEFAULT_LEASE     600u /* seconds: short, so leases recycle */
#define CONF_MAX_DNS	       3

/**
 * struct conf - the daemon's command line, parsed and validated
 *
 * Strings point into argv; addresses are in network byte order.
 */
struct conf {
	const char *socket_path;  /* NULL when only --fd ports are used */
	const char *socket_group; /* NULL: the default group (see sock.c) */
	enum net_mode mode;
	const char *vmnet_interface;
	bool have_gateway;
	struct in_addr gateway;
	struct in_addr dhcp_end;	/* set when have_gateway */
	struct in_addr mask;		/* set when have_gateway */
	const char *interface_id;	/* validated UUID text, or NULL */
	const char *network_identifier; /* UUID text or "random", or NULL */
	const char *nat66_prefix;	/* validated prefix text, or NULL */
	const char *pidfile;
	const char *dgram_path;		 /* --dgram-socket */
	uint8_t fd_mac[CONF_MAX_FDS][6]; /* --fd=N,mac=MAC */
	bool fd_has_mac[CONF_MAX_FDS];
	int fds[CONF_MAX_FDS]; /* --fd, in order given */
	unsigned int nfds;
	unsigned int max_frame;	 /* --max-frame, bytes of Ethernet frame */
	unsigned int queue_size; /* --queue-size, bytes per port */
	unsigned int max_ports;	 /* --max-ports */
	unsigned int mac_age;	 /* --mac-age, seconds */
	bool debug;		 /* --debug or DEBUG=1 in the environment */
	bool disable_dhcp;	 /* --vmnet-disable-dhcp */
	unsigned int mtu;	 /* --mtu: host side and DHCP option 26 */
	struct in_addr dns[CONF_MAX_DNS]; /* --dns */
	unsigned int ndns;
	struct in6_addr dns6[CONF_MAX_DNS]; /* --dns, IPv6 (RDNSS) */
	unsigned int ndns6;
	bool no_ipv6;		 /* --ipv6=no */
	const char *user;	 /* --user: drop privileges to this user */
	const char *dhcp_hosts;	 /* --dhcp-hosts: bootptab reservations */
	const char *lease_file;	 /* --lease-file */
	unsigned int lease_time; /* --lease-time, seconds */
	const char *tap_name;	 /* --tap: Linux TAP device name */
	const char *connect[CONF_MAX_CONNECT]; /* --connect: VM listens */
	unsigned int nconnect;
	struct guard_conf guard;   /* --guard, --isolate, --allow, --block... */
	const char *socket_user;   /* --socket-user */
	const char *control_path;  /* --control, or SOCKET.ctl; NULL: none */
	const char *control_group; /* --control-group */
	const char *pcap_path;	   /* --pcap */
	char control_buf[112];	   /* room for SOCKET.ctl */
	bool control_too_long;	   /* SOCKET.ctl does not fit: no default */
	enum uplink_nat nat;	   /* --nat */
	bool no_host_loopback;	   /* --host-loopback=no */
	bool sandbox_off;	   /* --sandbox=off */
	struct fwd_spec forwards[FWD_MAX]; /* --forward, in order given */
	unsigned int nforwards;
};

/**
 * enum conf_result - what conf_parse() decided
 */
enum conf_result {
	CONF_OK = 0,  /* run the daemon */
	CONF_HELP,    /* usage was asked for: print conf_usage(), exit 0 */
	CONF_VERSION, /* version was asked for: print it, exit 0 */
	CONF_ERROR,   /* err holds a one-line message: print it, exit 1 */
};

enum conf_result conf_parse(struct conf *c, int argc, char **argv, char *err,
			    size_t errlen);
int conf_check_platform(const struct conf *c, const struct uplink_caps *caps,
			char *err, size_t errlen);
void conf_usage(const char *prog, FILE *stream);

#endif /* CONF_H */
