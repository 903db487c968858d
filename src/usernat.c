/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The user-mode NAT: shared mode without privileges, through libslirp (the
 * TCP/IP stack of QEMU's -netdev user and slirp4netns), as an uplink.h
 * backend (usernat_uplink).
 *
 * Theory of operation.
 *
 * One libslirp instance is the host side of the whole VM network: it
 * answers as the gateway (ARP, ping) and turns the guests' TCP, UDP and
 * ICMP echo into sockets of this process, so nothing needs privileges. It
 * is one switch port: frames from the VMs reach it through usernat_write()
 * (slirp_input()), and what it sends to them comes back through its
 * send_packet callback, which hands each frame to the callback the owner
 * registered in struct uplink_conf (host.c's, which gives it to the
 * switch). There is no descriptor of its own.
 *
 * What it sees. As a network card does, it takes only frames addressed to
 * its MAC (52:55 and the gateway's address, libslirp's choice) and ARP
 * broadcasts; frames between VMs, flooded or broadcast, never reach it
 * (libslirp would take any IPv4 packet as its own). libslirp's DHCP server
 * is off: the daemon's own serves the network. Host forwards are
 * libslirp's (usernat_forward()).
 *
 * DNS at the gateway. libslirp forwards DNS to the host's resolver (the
 * first nameserver of /etc/resolv.conf) only for queries to its "name
 * server" address, and that address cannot be the gateway's: libslirp
 * would then send every connection to the gateway to the resolver, not to
 * the host's loopback. So libslirp's name server is the network's own
 * address (never a host), and the guests' queries to port 53 of the
 * gateway (UDP and TCP) are rewritten to it on the way in, the answers
 * back on the way out (pkt_ipv4_set_addr(), in a buffer of our own: no
 * allocation per frame).
 *
 * The event loop. libslirp wants a poll() loop: before each sleep
 * slirp_pollfds_fill() names the descriptors and events it wants and the
 * longest it may sleep; after it slirp_pollfds_poll() takes what is ready.
 * Here the descriptors it names are registered with our loop
 * (loop_refresh(): libslirp closes and reuses descriptors behind our back),
 * those it no longer names are removed, and what the loop reports is kept
 * until the next usernat_run() does poll then fill. usernat_run() runs from
 * one timer, "kick": armed at once when something happened (a descriptor
 * ready, a frame handed in, a libslirp timer, a forward changed), and
 * otherwise for as long as libslirp allows: 2 ms while TCP acknowledgements
 * are delayed, 499 ms while connections, UDP or ICMP sockets or fragments
 * are alive (its slow timers), and never when libslirp answers 1000 ms (its
 * cap when nothing is timed), so an idle instance with nothing open never
 * wakes up. A timer runs before the loop's hooks, so what libslirp sends
 * during usernat_run() is flushed by the switch in the same turn. No
 * thread, no busy loop.
 *
 * IPv6 (unless --ipv6=no): libslirp routes the network's /64 itself; it
 * is the only router there. Its router advertisements (on the timers
 * above, and in answer to solicitations) name its link-local address
 * fe80::2 as the router and carry the prefix, and RDNSS (PREFIX::3) when
 * the host has an IPv6 name server; it answers neighbour solicitations
 * and pings for fe80::2 and PREFIX::2. The daemon's gateway sends no
 * router advertisement in this mode (caps own_ipv6), so no two routers
 * answer. libslirp's link-layer address for an IPv6 address is 52:56 and
 * the address's last four bytes; usernat_wants() lets in IPv6 multicast
 * and frames to those addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <libslirp.h>

#include "err.h"
#include "fwd.h"
#include "log.h"
#include "loop.h"
#include "net.h"
#include "pkt.h"
#include "uplink.h"

#if !SLIRP_CHECK_VERSION(4, 7, 0)
#error "libslirp 4.7 or later is needed (SlirpConfig version 4)"
#endif

#define USERNAT_CONFIG_VERSION 4 /* SlirpConfig: disable_dhcp */
#define USERNAT_MIN_MTU	       68u
#define USERNAT_MAX_MTU	       65521u /* libslirp's IF_MTU_MAX */
#define USERNAT_IDLE_MS	       1000u  /* libslirp's "nothing timed" */
#define USERNAT_FDS_MIN	       64u
#define USERNAT_HOST6	       2u /* libslirp's ::2, and fe80::2 */
#define USERNAT_DNS6	       3u /* its DNS forwarder, ::3 */

/**
 * struct usernat_fd - one of libslirp's descriptors, as the loop sees it
 * @src:	its loop source
 * @revents:	LOOP_* events reported since the last slirp_pollfds_poll()
 * @gen:	the fill that last asked for it
 *
 * Allocated the first time a descriptor number is used and kept until the
 * backend closes: an event the loop already fetched may still point here.
 */
struct usernat_fd {
	struct loop_source src;
	unsigned int revents;
	unsigned int gen;
};

/**
 * struct usernat_timer - a timer libslirp asked for
 * @t:		the loop timer
 * @id:		libslirp's id for it
 * @cb_opaque:	libslirp's argument
 */
struct usernat_timer {
	struct loop_timer t;
	SlirpTimerId id;
	void *cb_opaque;
};

/**
 * struct usernat_stats - what the backend counts
 * @to_slirp:	frames handed to libslirp
 * @filtered:	frames not for it (other MACs, broadcasts but ARP)
 * @from_slirp:	frames it sent to the VMs
 * @dns:	DNS packets rewritten between gateway and name server
 * @guest_errors: misbehaviour libslirp reported
 */
struct usernat_stats {
	unsigned long long to_slirp;
	unsigned long long filtered;
	unsigned long long from_slirp;
	unsigned long long dns;
	unsigned long long guest_errors;
};

/**
 * struct usernat_state - the one instance of this process
 * @slirp:	libslirp's state, NULL when closed
 * @fds:	libslirp's descriptors, by number (@nfds slots)
 * @nfds:	slots in @fds
 * @gen:	number of the last fill
 * @kick:	runs usernat_run(): now, or when libslirp's timeout is up
 * @pending:	something happened since the last usernat_run()
 * @running:	inside usernat_run()
 * @quiet:	closing in the monitor: no counters to log
 * @mac:	the host side's MAC address (libslirp's)
 * @gateway:	the gateway address, host order
 * @dns:	libslirp's name server address, host order
 * @ipv6:	libslirp's IPv6 is on
 * @rx:		where frames for the VMs go
 * @rx_arg:	its argument
 * @buf:	frames that are rewritten are copied here first: two halves,
 *		to libslirp and from it
 * @buflen:	the size of one half
 * @st:		counters
 * @errlog:	rate limit of the guest error lines
 */
static struct usernat_state {
	Slirp *slirp;
	struct usernat_fd **fds;
	size_t nfds;
	unsigned int gen;
	struct loop_timer kick;
	bool pending;
	bool running;
	bool quiet;
	uint8_t mac[PKT_ETH_ALEN];
	uint32_t gateway;
	uint32_t dns;
	bool ipv6;
	uplink_rx_fn *rx;
	void *rx_arg;
	uint8_t *buf;
	size_t buflen;
	struct usernat_stats st;
	struct log_limit errlog;
} un;

static void usernat_close(void);

/**
 * usernat_kick() - have usernat_run() run at the start of the next turn
 */
static void usernat_kick(void)
{
	if (un.pending || !un.slirp)
		return;
	un.pending = true;
	loop_timer_arm(&un.kick, 0);
}

/**
 * usernat_fd_ready() - loop callback: one of libslirp's descriptors is ready
 * @src:	its source
 * @events:	what is ready
 */
static void usernat_fd_ready(struct loop_source *src, unsigned int events)
{
	struct usernat_fd *e = container_of(src, struct usernat_fd, src);

	e->revents |= events;
	usernat_kick();
}

/**
 * usernat_fd_slot() - the entry of a descriptor number, made if needed
 * @fd:		the descriptor
 *
 * Return: the entry, NULL if out of memory
 */
static struct usernat_fd *usernat_fd_slot(int fd)
{
	if ((size_t)fd >= un.nfds) {
		size_t n = un.nfds ? un.nfds : USERNAT_FDS_MIN;
		struct usernat_fd **p;

		while (n <= (size_t)fd)
			n *= 2;
		p = realloc(un.fds, n * sizeof(*p));
		if (!p)
			return NULL;
		memset(p + un.nfds, 0, (n - un.nfds) * sizeof(*p));
		un.fds = p;
		un.nfds = n;
	}
	if (!un.fds[fd]) {
		un.fds[fd] = calloc(1, sizeof(*un.fds[fd]));
		if (!un.fds[fd])
			return NULL;
		un.fds[fd]->src.fd = fd;
		un.fds[fd]->src.fn = usernat_fd_ready;
	}
	return un.fds[fd];
}

/**
 * usernat_add_poll() - libslirp's fill: watch a descriptor
 * @fd:		the descriptor
 * @events:	SLIRP_POLL_* it wants
 * @opaque:	unused
 *
 * Return: the index libslirp gives usernat_get_revents() (the descriptor),
 * -1 if it cannot be watched
 */
static int usernat_add_poll(int fd, int events, void *opaque)
{
	struct usernat_fd *e = fd >= 0 ? usernat_fd_slot(fd) : NULL;
	unsigned int want = 0;

	if (!e)
		return -1;
	if (events & (SLIRP_POLL_IN | SLIRP_POLL_PRI | SLIRP_POLL_HUP))
		want |= LOOP_IN;
	if (events & SLIRP_POLL_OUT)
		want |= LOOP_OUT;
	e->gen = un.gen;
	if (loop_refresh(&e->src, want) < 0) {
		log_warn("user-mode NAT: cannot watch descriptor %d", fd);
		return -1;
	}
	return fd;
}

/**
 * usernat_get_revents() - libslirp's poll: what a descriptor reported
 * @idx:	what usernat_add_poll() returned
 * @opaque:	unused
 *
 * Return: SLIRP_POLL_* events
 */
static int usernat_get_revents(int idx, void *opaque)
{
	struct usernat_fd *e;
	int r = 0;

	if (idx < 0 || (size_t)idx >= un.nfds || !(e = un.fds[idx]))
		return 0;
	if (e->revents & LOOP_IN)
		r |= SLIRP_POLL_IN;
	if (e->revents & LOOP_OUT)
		r |= SLIRP_POLL_OUT;
	if (e->revents & LOOP_ERR)
		r |= SLIRP_POLL_ERR | SLIRP_POLL_HUP;
	return r;
}

/**
 * usernat_sync_fds() - after a fill: stop watching what libslirp did not
 * name, forget what was reported
 */
static void usernat_sync_fds(void)
{
	for (size_t i = 0; i < un.nfds; i++) {
		struct usernat_fd *e = un.fds[i];

		if (!e)
			continue;
		e->revents = 0;
		if (e->src.registered && e->gen != un.gen)
			loop_del(&e->src);
	}
}

/**
 * usernat_run() - let libslirp take what is ready, then say what it waits
 * for
 */
static void usernat_run(void)
{
	uint32_t timeout = UINT32_MAX;

	if (!un.slirp || un.running)
		return;
	un.running = true;
	slirp_pollfds_poll(un.slirp, 0, usernat_get_revents, NULL);
	un.gen++;
	slirp_pollfds_fill(un.slirp, &timeout, usernat_add_poll, NULL);
	usernat_sync_fds();
	un.running = false;
	un.pending = false;
	if (timeout < USERNAT_IDLE_MS)
		loop_timer_arm(&un.kick, timeout);
	else
		loop_timer_cancel(&un.kick);
}

/**
 * usernat_kick_fired() - the kick timer
 * @t:		the timer
 */
static void usernat_kick_fired(struct loop_timer *t)
{
	usernat_run();
}

/**
 * usernat_dns_rewrite() - move a DNS packet between gateway and name server
 * @frame:	an Ethernet frame
 * @len:	its length
 * @to_slirp:	from a VM (gateway -> name server) or to one (back)
 *
 * Return: the frame to use: @frame, or its rewritten copy in un.buf (one
 * half per direction: libslirp may answer while it reads its input)
 */
static const uint8_t *usernat_dns_rewrite(const uint8_t *frame, size_t len,
					  bool to_slirp)
{
	struct pkt_ipv4_frag frag;
	uint8_t *copy;
	struct pkt_ipv4 ip;
	struct pkt_eth e;
	uint16_t sport, dport;

	if (!pkt_eth_parse(frame, len, &e) || e.type != PKT_ETHERTYPE_IPV4 ||
	    !pkt_ipv4_header(e.payload, e.payload_len, &ip, &frag) ||
	    (to_slirp ? ip.dst != un.gateway : ip.src != un.dns))
		return frame;
	if (to_slirp &&
	    (frag.offset ||
	     (ip.proto != PKT_IPPROTO_UDP && ip.proto != PKT_IPPROTO_TCP) ||
	     !pkt_udp_ports(ip.payload, ip.payload_len, &sport, &dport) ||
	     dport != PKT_PORT_DNS))
		return frame;
	if (len > un.buflen)
		return frame;
	copy = un.buf + (to_slirp ? 0 : un.buflen);
	memcpy(copy, frame, len);
	if (!pkt_ipv4_set_addr(copy + PKT_ETH_HLEN, len - PKT_ETH_HLEN,
			       to_slirp, to_slirp ? un.dns : un.gateway))
		return frame;
	un.st.dns++;
	return copy;
}

/**
 * usernat_send() - libslirp's send_packet: a frame for the VM network
 * @buf:	the frame
 * @len:	its length
 * @opaque:	unused
 *
 * Return: @len (a frame the switch cannot take is dropped and counted
 * there; TCP recovers)
 */
static ssize_t usernat_send(const void *buf, size_t len, void *opaque)
{
	const uint8_t *f = buf;

	if (len < PKT_ETH_HLEN || !un.rx)
		return (ssize_t)len;
	un.st.from_slirp++;
	un.rx(un.rx_arg, usernat_dns_rewrite(f, len, false), len);
	return (ssize_t)len;
}

/**
 * usernat_guest_error() - libslirp's report of a guest's misbehaviour
 * @msg:	what happened
 * @opaque:	unused
 */
static void usernat_guest_error(const char *msg, void *opaque)
{
	un.st.guest_errors++;
	if (log_limit_ok(&un.errlog, loop_now()))
		log_warnx("user-mode NAT: guest error: %s", msg);
}

/**
 * usernat_clock_ns() - libslirp's clock
 * @opaque:	unused
 *
 * Return: monotonic nanoseconds
 */
static int64_t usernat_clock_ns(void *opaque)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/**
 * usernat_timer_fired() - one of libslirp's timers
 * @t:		the loop timer
 */
static void usernat_timer_fired(struct loop_timer *t)
{
	struct usernat_timer *ut = container_of(t, struct usernat_timer, t);

	if (!un.slirp)
		return;
	slirp_handle_timer(un.slirp, ut->id, ut->cb_opaque);
	usernat_kick();
}

/**
 * usernat_timer_new() - libslirp asks for a timer
 * @id:		its id
 * @cb_opaque:	its argument
 * @opaque:	unused
 *
 * Return: the timer, NULL if out of memory
 */
static void *usernat_timer_new(SlirpTimerId id, void *cb_opaque, void *opaque)
{
	struct usernat_timer *ut = calloc(1, sizeof(*ut));

	if (!ut)
		return NULL;
	ut->t.fn = usernat_timer_fired;
	ut->id = id;
	ut->cb_opaque = cb_opaque;
	return ut;
}

/**
 * usernat_timer_free() - libslirp is done with a timer
 * @timer:	the timer
 * @opaque:	unused
 */
static void usernat_timer_free(void *timer, void *opaque)
{
	struct usernat_timer *ut = timer;

	if (!ut)
		return;
	loop_timer_cancel(&ut->t);
	free(ut);
}

/**
 * usernat_timer_mod() - libslirp sets a timer
 * @timer:	the timer
 * @expire_ms:	when it fires, on usernat_clock_ns()'s clock in ms
 * @opaque:	unused
 */
static void usernat_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct usernat_timer *ut = timer;
	int64_t now = usernat_clock_ns(NULL) / 1000000;

	if (ut)
		loop_timer_arm(
		    &ut->t, expire_ms > now ? (uint64_t)(expire_ms - now) : 0);
}

/**
 * usernat_unregister() - libslirp is about to close a descriptor
 * @fd:		the descriptor
 * @opaque:	unused
 *
 * Removed from the loop now, while it still names the right file (a copy
 * held by another process would otherwise keep it in the epoll set).
 */
static void usernat_unregister(int fd, void *opaque)
{
	if (fd >= 0 && (size_t)fd < un.nfds && un.fds[fd]) {
		loop_del(&un.fds[fd]->src);
		un.fds[fd]->revents = 0;
	}
}

/**
 * usernat_register() - libslirp has a new descriptor (nothing to do: the
 * next fill names it)
 * @fd:		the descriptor
 * @opaque:	unused
 */
static void usernat_register(int fd, void *opaque)
{
}

/**
 * usernat_notify() - libslirp has room again for a guest forward's data
 * @opaque:	unused
 */
static void usernat_notify(void *opaque)
{
	usernat_kick();
}

static const SlirpCb usernat_cb = {
    .send_packet = usernat_send,
    .guest_error = usernat_guest_error,
    .clock_get_ns = usernat_clock_ns,
    .timer_free = usernat_timer_free,
    .timer_mod = usernat_timer_mod,
    .register_poll_fd = usernat_register,
    .unregister_poll_fd = usernat_unregister,
    .notify = usernat_notify,
    .timer_new_opaque = usernat_timer_new,
};

/**
 * usernat_caps() - tell what this backend implements
 * @caps:	filled in: shared mode, forwards, --user
 */
static void usernat_caps(struct uplink_caps *caps)
{
	caps->modes = NET_MODE_BIT(NET_MODE_SHARED);
	caps->vmnet_ids = false;
	caps->host_dhcp = false;
	caps->no_user = false;
	caps->forwards = true;
	caps->own_ipv6 = true;
}

/**
 * usernat_config() - libslirp's configuration for a VM network
 * @c:		what the daemon asks for
 * @cfg:	filled in
 * @mtu:	the MTU to use
 */
static void usernat_config(const struct uplink_conf *c, SlirpConfig *cfg,
			   unsigned int mtu)
{
	uint32_t gw = ntohl(c->gateway.s_addr), mask = ntohl(c->mask.s_addr);

	memset(cfg, 0, sizeof(*cfg));
	cfg->version = USERNAT_CONFIG_VERSION;
	cfg->in_enabled = true;
	cfg->vnetwork.s_addr = htonl(gw & mask);
	cfg->vnetmask = c->mask;
	cfg->vhost = c->gateway;
	cfg->vdhcp_start.s_addr = htonl(gw + 1);
	cfg->vnameserver.s_addr = htonl(gw & mask);
	cfg->if_mtu = mtu;
	cfg->if_mru = mtu;
	cfg->disable_host_loopback = c->no_host_loopback;
	cfg->disable_dhcp = true;
	cfg->in6_enabled = c->ipv6;
	if (!c->ipv6)
		return;
	memcpy(cfg->vprefix_addr6.s6_addr, c->prefix6, 16);
	cfg->vprefix_len = 64;
	cfg->vhost6 = cfg->vprefix_addr6;
	cfg->vhost6.s6_addr[15] = USERNAT_HOST6;
	cfg->vnameserver6 = cfg->vprefix_addr6;
	cfg->vnameserver6.s6_addr[15] = USERNAT_DNS6;
}

/**
 * usernat_ipv6_info() - libslirp's IPv6 addresses on the network
 * @c:		what the daemon asks for
 * @info:	its ip6 list filled in: fe80::2, PREFIX::2, PREFIX::3
 */
static void usernat_ipv6_info(const struct uplink_conf *c,
			      struct uplink_info *info)
{
	static const uint8_t ll[16] = {0xfe, 0x80, [15] = USERNAT_HOST6};

	if (!c->ipv6)
		return;
	memcpy(info->ip6[0], ll, 16);
	memcpy(info->ip6[1], c->prefix6, 16);
	info->ip6[1][15] = USERNAT_HOST6;
	memcpy(info->ip6[2], c->prefix6, 16);
	info->ip6[2][15] = USERNAT_DNS6;
	info->nip6 = 3;
	un.ipv6 = true;
}

/**
 * usernat_open() - start the user-mode NAT for the VM network
 * @c:		shared mode, gateway, netmask, MTU, --host-loopback, and
 *		where to push frames (@c->rx)
 * @info:	filled with libslirp's MAC, the MTU and the DNS address
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: UPLINK_PUSHED, -1 with @err set
 */
static int usernat_open(const struct uplink_conf *c, struct uplink_info *info,
			char *err, size_t errlen)
{
	unsigned int mtu = c->mtu ? c->mtu : 1500;
	uint32_t gw = ntohl(c->gateway.s_addr);
	SlirpConfig cfg;

	if (un.slirp)
		return err_set(err, errlen,
			       "the user-mode NAT is already open");
	if (c->mode != NET_MODE_SHARED)
		return err_set(err, errlen,
			       "the user-mode NAT runs shared mode only");
	if (!c->rx)
		return err_set(err, errlen,
			       "the user-mode NAT needs a receiver for its "
			       "frames");
	if (net_check_subnet(gw, ntohl(c->mask.s_addr), NET_WORDS_PLAIN, err,
			     errlen) < 0)
		return -1;
	if (mtu < USERNAT_MIN_MTU)
		return err_set(err, errlen, "MTU %u is below %u", mtu,
			       USERNAT_MIN_MTU);
	if (mtu > USERNAT_MAX_MTU) {
		log_warnx("the user-mode NAT takes an MTU of at most %u: using "
			  "it instead of %u",
			  USERNAT_MAX_MTU, mtu);
		mtu = USERNAT_MAX_MTU;
	}
	memset(&un.st, 0, sizeof(un.st));
	un.ipv6 = false;
	un.buflen = mtu + PKT_ETH_HLEN;
	un.buf = malloc(2 * un.buflen);
	if (!un.buf)
		return err_set(err, errlen, "out of memory");
	un.gateway = gw;
	un.dns = gw & ntohl(c->mask.s_addr);
	un.rx = c->rx;
	un.rx_arg = c->rx_arg;
	un.kick.fn = usernat_kick_fired;
	un.errlog = (struct log_limit){0};
	usernat_config(c, &cfg, mtu);
	un.slirp = slirp_new(&cfg, &usernat_cb, NULL);
	if (!un.slirp) {
		usernat_close();
		return err_set(err, errlen, "libslirp refused the network");
	}
	/* libslirp's own MAC: 52:55 and the gateway's address */
	un.mac[0] = 0x52;
	un.mac[1] = 0x55;
	memcpy(un.mac + 2, &c->gateway.s_addr, 4);
	memcpy(info->mac, un.mac, PKT_ETH_ALEN);
	info->mtu = mtu;
	info->max_frame = mtu + PKT_ETH_HLEN;
	snprintf(info->ifname, sizeof(info->ifname), "user-mode NAT");
	info->dns = c->gateway;
	usernat_ipv6_info(c, info);
	log_info("user-mode NAT: libslirp %s, gateway %s, DNS at the gateway, "
		 "host loopback %s",
		 slirp_version_string(), inet_ntoa(c->gateway),
		 c->no_host_loopback ? "closed" : "reachable at the gateway");
	usernat_run();
	return UPLINK_PUSHED;
}

/**
 * usernat_wants() - whether a frame from the VM network is for libslirp
 * @frame:	the frame
 * @len:	its length, at least an Ethernet header
 *
 * Return: true for frames to its MAC and ARP broadcasts, and with IPv6,
 * IPv6 multicast and frames to its IPv6 link-layer addresses
 */
static bool usernat_wants(const uint8_t *frame, size_t len)
{
	static const uint8_t v6mac[4] = {0x52, 0x56, 0, 0};
	struct pkt_eth e;

	if (!pkt_eth_parse(frame, len, &e))
		return false;
	if (!memcmp(e.dst, un.mac, PKT_ETH_ALEN))
		return true;
	if (un.ipv6 && e.type == PKT_ETHERTYPE_IPV6)
		return (e.dst[0] == 0x33 && e.dst[1] == 0x33) ||
		       (!memcmp(e.dst, v6mac, 4) && e.dst[4] == 0 &&
			(e.dst[5] == USERNAT_HOST6 ||
			 e.dst[5] == USERNAT_DNS6));
	return pkt_mac_is_bcast(e.dst) && e.type == PKT_ETHERTYPE_ARP;
}

/**
 * usernat_write() - a frame from the VM network
 * @frame:	the frame
 * @len:	its length
 *
 * Return: @len (libslirp takes everything: a frame not for it is counted
 * and ignored)
 */
static ssize_t usernat_write(const void *frame, size_t len)
{
	const uint8_t *f = frame;

	if (!un.slirp) {
		errno = EIO;
		return -1;
	}
	if (len > (size_t)INT32_MAX || !usernat_wants(f, len)) {
		un.st.filtered++;
		return (ssize_t)len;
	}
	un.st.to_slirp++;
	slirp_input(un.slirp, usernat_dns_rewrite(f, len, true), (int)len);
	usernat_kick();
	return (ssize_t)len;
}

/**
 * usernat_close() - stop the user-mode NAT
 *
 * Closes every socket of libslirp (forwards included). Safe when not open
 * and twice.
 */
static void usernat_close(void)
{
	if (un.slirp) {
		if (!un.quiet)
			log_info(
			    "user-mode NAT: %llu frames in, %llu out, %llu "
			    "not for it, %llu DNS rewritten, %llu guest "
			    "errors",
			    un.st.to_slirp, un.st.from_slirp, un.st.filtered,
			    un.st.dns, un.st.guest_errors);
		slirp_cleanup(un.slirp);
		un.slirp = NULL;
	}
	loop_timer_cancel(&un.kick);
	for (size_t i = 0; i < un.nfds; i++) {
		if (!un.fds[i])
			continue;
		loop_del(&un.fds[i]->src);
		free(un.fds[i]);
	}
	free(un.fds);
	free(un.buf);
	un.fds = NULL;
	un.nfds = 0;
	un.buf = NULL;
	un.rx = NULL;
	un.pending = false;
}

/**
 * usernat_forward() - add or remove a libslirp host forward
 * @f:		the forward
 * @add:	add (true) or remove it
 * @after:	the whole set as it will be (unused: libslirp keeps its own)
 * @err:	message buffer
 * @errlen:	its size
 *
 * A new forward's host port is probed first, for the same message as the
 * kernel path gives when it is in use. The listening socket is watched at
 * once (before privileges are dropped, so that a monitor knows it too).
 *
 * Return: 0 on success, -1 with @err set
 */
static int usernat_forward(const struct fwd_spec *f, bool add,
			   const struct fwd_set *after, char *err,
			   size_t errlen)
{
	struct in_addr h = {htonl(f->host_addr)}, g = {htonl(f->guest_addr)};
	int udp = f->proto == FWD_UDP, s;
	char fb[FWD_STRLEN];

	if (!un.slirp)
		return err_set(err, errlen, "the user-mode NAT is not open");
	if (!add) {
		if (slirp_remove_hostfwd(un.slirp, udp, h, f->host_port) < 0)
			return err_set(err, errlen,
				       "forward %s: not in libslirp",
				       fwd_format(f, fb));
		usernat_kick();
		return 0;
	}
	s = fwd_probe(f, err, errlen);
	if (s < 0)
		return -1;
	close(s);
	if (slirp_add_hostfwd(un.slirp, udp, h, f->host_port, g,
			      f->guest_port) < 0)
		return err_sys(err, errlen,
			       "forward %s: libslirp cannot listen",
			       fwd_format(f, fb));
	usernat_run();
	return 0;
}

/**
 * usernat_drop() - in the privileged monitor: let go of libslirp
 *
 * The worker runs libslirp; the monitor's copies of its sockets (the
 * forwards' listeners, made before the fork) would keep a removed forward's
 * port taken. libslirp closes them and frees its state here, but the loop's
 * registrations are the worker's (the epoll set is shared between the two
 * processes) and are left alone: they are only marked gone on this side.
 */
static void usernat_drop(void)
{
	for (size_t i = 0; i < un.nfds; i++)
		if (un.fds[i])
			un.fds[i]->src.registered = false;
	un.quiet = true;
	usernat_close();
}

const struct uplink_ops usernat_uplink = {
    .name = "user",
    .caps = usernat_caps,
    .open = usernat_open,
    .write = usernat_write,
    .close = usernat_close,
    .forward = usernat_forward,
    .drop = usernat_drop,
};
