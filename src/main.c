/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socket_vmnet: the daemon. Parses the command line, sets up the host side,
 * the gateway services, the ports and the sockets, then runs the event loop
 * until SIGINT or SIGTERM, and removes everything it created on the way out.
 */
#include <errno.h>
#include <pwd.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "activate.h"
#include "err.h"
#include "exhaust.h"
#include "fwd.h"
#include "json.h"
#include "conf.h"
#include "dgram.h"
#include "guard.h"
#include "gw.h"
#include "host.h"
#include "compat.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "log.h"
#include "net.h"
#include "loop.h"
#include "pidfile.h"
#include "port.h"
#include "priv.h"
#include "monitor.h"
#include "pkt.h"
#include "resolv.h"
#include "sandbox.h"
#include "sock.h"
#include "stream.h"
#include "switch.h"
#include "uplink.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#ifdef SANDBOX_TEST_HOOK
/* The test build only (socket_vmnet_hook, make drivers): SIGUSR2 makes the
 * switch process make a system call its sandbox forbids. */
#include <sys/syscall.h>
#endif

/**
 * struct main_state - what the daemon set up
 * @sigpipe:	the self-pipe signals are written to
 * @sigsrc:	its read end in the loop
 * @gw_on:	the gateway services run
 * @gw_timer:	lease file writes put off
 * @hosts_file:	--dhcp-hosts, reread on SIGHUP
 * @host_on:	the host side is open
 * @pcap_fd:	--pcap file, until the capture takes it (-1: none)
 * @prefix6:	the network's IPv6 /64 (main_prefix6())
 */
static struct main_state {
	int sigpipe[2];
	struct loop_source sigsrc;
	bool gw_on;
	struct loop_timer gw_timer;
	const char *hosts_file;
	bool host_on;
	int pcap_fd;
	uint8_t prefix6[16];
} m = {
    .sigpipe = {-1, -1},
    .sigsrc = {.fd = -1},
    .pcap_fd = -1,
};

/**
 * main_on_signal() - signal handler: pass the signal to the loop
 * @sig:	signal number
 */
static void main_on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (write(m.sigpipe[1], &c, 1) < 0) {
		/* The pipe is full: a signal is already pending. */
	}
	errno = saved;
}

/**
 * main_status() - SIGUSR1: log the counters of the switch and every port
 */
static void main_status(void)
{
	const struct dgram_stats *ds = dgram_get_stats();

	switch_log_status();
	log_info("status: datagram hellos %llu bad %llu unnamed %llu",
		 (unsigned long long)ds->hellos, (unsigned long long)ds->bad,
		 (unsigned long long)ds->unnamed);
	if (m.gw_on) {
		struct gw_stats g;

		gw_stats(&g);
		log_info("status: dhcp offers %llu acks %llu naks %llu "
			 "malformed %llu no address %llu; arp replies %llu, "
			 "ping replies %llu",
			 (unsigned long long)g.dhcp_offer,
			 (unsigned long long)g.dhcp_ack,
			 (unsigned long long)g.dhcp_nak,
			 (unsigned long long)g.dhcp_malformed,
			 (unsigned long long)g.dhcp_no_address,
			 (unsigned long long)g.arp_replies,
			 (unsigned long long)g.icmp_replies);
	}
}

/**
 * main_reload() - SIGHUP, or the control socket's "reload": reread the
 * DHCP reservations
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int main_reload(char *err, size_t errlen)
{
	if (!m.gw_on || !m.hosts_file)
		return 0;
	if (gw_reload_hosts(err, errlen))
		return -1;
	log_info("DHCP reservations reloaded");
	return 0;
}

/**
 * main_signal_ready() - loop callback: act on signals received
 * @src:	read end of the signal pipe
 * @events:	what is ready
 */
static void main_signal_ready(struct loop_source *src, unsigned int events)
{
	unsigned char sigs[16];
	ssize_t n = read(src->fd, sigs, sizeof(sigs));
	char err[256];

	for (ssize_t i = 0; i < n; i++) {
		if (sigs[i] == SIGINT || sigs[i] == SIGTERM) {
			log_info("received signal %d, shutting down", sigs[i]);
			loop_stop();
		} else if (sigs[i] == SIGUSR1) {
			main_status();
		} else if (sigs[i] == SIGHUP && main_reload(err, sizeof(err))) {
			log_warnx("reloading DHCP reservations: %s", err);
		}
#ifdef SANDBOX_TEST_HOOK
		if (sigs[i] == SIGUSR2)
			syscall(SYS_syslog, 10, NULL, 0); /* forbidden */
#endif
	}
}

/**
 * main_signals() - route SIGINT/SIGTERM/SIGHUP to the loop, ignore SIGPIPE
 *
 * Return: 0 on success, -1 with errno set
 */
static int main_signals(void)
{
	struct sigaction sa;

	if (compat_pipe(m.sigpipe))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL) || sigaction(SIGUSR1, &sa, NULL))
		return -1;
#ifdef SANDBOX_TEST_HOOK
	sigaction(SIGUSR2, &sa, NULL);
#endif
	m.sigsrc.fd = m.sigpipe[0];
	m.sigsrc.fn = main_signal_ready;
	return loop_add(&m.sigsrc, LOOP_IN);
}

/**
 * main_open_fds() - make ports of the sockets inherited with --fd
 * @c:		configuration
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set
 */
static int main_open_fds(const struct conf *c, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < c->nfds; i++) {
		int fd = c->fds[i], type = 0;
		socklen_t len = sizeof(type);
		struct port *p;

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len)) {
			err_sys(err, errlen, "--fd=%d: not a socket", fd);
			return -1;
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC)) {
			err_sys(err, errlen, "--fd=%d", fd);
			return -1;
		}
		if (type == SOCK_STREAM) {
			p = stream_port_open(fd, true);
		} else if (type == SOCK_DGRAM || type == SOCK_SEQPACKET) {
			p = dgram_port_open(fd);
		} else {
			err_set(err, errlen,
				"--fd=%d: unsupported socket "
				"type %d",
				fd, type);
			return -1;
		}
		if (!p) {
			err_set(err, errlen, "--fd=%d: cannot open a port", fd);
			return -1;
		}
		if (c->fd_has_mac[i])
			switch_bind_mac(p, c->fd_mac[i]);
	}
	return 0;
}

/**
 * main_fd_watch() - timer: stop when only --fd ports were used and all left
 * @t:		the timer
 */
static void main_fd_watch(struct loop_timer *t)
{
	if (!port_count()) {
		log_info("all --fd ports are closed, exiting");
		loop_stop();
		return;
	}
	loop_timer_arm(t, 1000);
}

/**
 * main_gw_tick() - timer: let the gateway services do their timed work
 * @t:		the timer
 */
static void main_gw_tick(struct loop_timer *t)
{
	uint64_t next = gw_tick(loop_now());

	if (next)
		loop_timer_arm(t, next > loop_now() ? next - loop_now() : 0);
}

/**
 * main_gw_pending() - the DHCP server put off a lease file write, or the
 * router advertisements start: gw_tick() is due now (the timer may be
 * armed for a later advertisement)
 */
static void main_gw_pending(void)
{
	if (!m.gw_timer.deadline_ms || m.gw_timer.deadline_ms > loop_now())
		loop_timer_arm(&m.gw_timer, 0);
}

/**
 * main_prefix6() - the network's IPv6 /64: --vmnet-nat66-prefix, or one
 * derived from the IPv4 network (net_ipv6_prefix())
 * @c:		configuration
 */
static void main_prefix6(const struct conf *c)
{
	char text[INET6_ADDRSTRLEN];

	if (!c->nat66_prefix ||
	    inet_pton(AF_INET6, c->nat66_prefix, m.prefix6) != 1)
		net_ipv6_prefix(ntohl(c->gateway.s_addr), ntohl(c->mask.s_addr),
				m.prefix6);
	if (c->no_ipv6 || !c->have_gateway || c->mode == NET_MODE_BRIDGED)
		return;
	inet_ntop(AF_INET6, m.prefix6, text, sizeof(text));
	log_info("IPv6 prefix %s/64 (%s)", text,
		 c->nat66_prefix ? "--vmnet-nat66-prefix"
				 : "derived from the IPv4 network");
}

/**
 * main_gateway6() - the gateway's IPv6 part
 * @c:		configuration
 * @pf:		what the host-side backend does itself
 * @g:		the gateway's configuration, its IPv6 fields filled in
 *
 * Where the host side runs IPv6 itself (libslirp, vmnet) the gateway
 * sends nothing. In isolated mode the gateway's own addresses are
 * reserved (no VM may claim them); the host side's are reserved by
 * main_setup().
 */
static void main_gateway6(const struct conf *c, const struct uplink_caps *pf,
			  struct gw_conf *g)
{
	g->ipv6 =
	    !c->no_ipv6 && (c->mode == NET_MODE_ISOLATED || !pf->own_ipv6);
	if (!g->ipv6)
		return;
	memcpy(g->prefix6, m.prefix6, sizeof(g->prefix6));
	memcpy(g->dns6, c->dns6, sizeof(g->dns6));
	g->ndns6 = c->ndns6;
	g->flood = switch_local_flood;
}

/**
 * main_reserve6() - the gateway's IPv6 addresses in isolated mode: no VM
 * may claim them
 * @g:		the gateway's configuration
 */
static void main_reserve6(const struct gw_conf *g)
{
	static const uint8_t ll[8] = {0xfe, 0x80};
	uint8_t a[16];

	pkt_ipv6_eui64(ll, g->mac, a);
	switch_reserve_ip6(a);
	memcpy(a, g->prefix6, 8);
	memset(a + 8, 0, 8);
	a[15] = 1;
	switch_reserve_ip6(a);
}

/**
 * main_gateway() - start the DHCP server (and in isolated mode the gateway
 * responder)
 * @c:		configuration
 * @info:	host side, or NULL in isolated mode
 * @pf:		what the host-side backend does itself
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success (also when there is nothing to start), -1 with @err
 */
static int main_gateway(const struct conf *c, const struct uplink_info *info,
			const struct uplink_caps *pf, char *err, size_t errlen)
{
	struct gw_conf g;
	uint32_t gw = ntohl(c->gateway.s_addr);
	bool dhcp = !c->disable_dhcp;

	if (!c->have_gateway || c->mode == NET_MODE_BRIDGED)
		return 0;
	/* Where the host side has a DHCP server of its own (vmnet), ours
	 * stands in for it only when that one is turned off. */
	if (c->mode != NET_MODE_ISOLATED && pf->host_dhcp)
		dhcp = c->disable_dhcp;
	memset(&g, 0, sizeof(g));
	main_gateway6(c, pf, &g);
	if (!dhcp && c->mode != NET_MODE_ISOLATED && !g.ipv6)
		return 0;
	g.gateway = c->gateway;
	g.mask = c->mask;
	g.dhcp_first.s_addr = htonl(gw + 1);
	g.dhcp_last = c->dhcp_end;
	g.mtu = (uint16_t)(info ? info->mtu : c->mtu);
	g.lease_secs = c->lease_time;
	g.dhcp = dhcp;
	g.responder = c->mode == NET_MODE_ISOLATED;
	g.hosts_file = c->dhcp_hosts;
	g.pending = main_gw_pending;
	m.hosts_file = c->dhcp_hosts;
	g.lease_file = c->lease_file;
	g.dhcp_clients = c->guard.dhcp_clients; /* addresses one MAC holds */
	if (info) {
		memcpy(g.mac, info->mac, 6);
	} else {
		/* A locally administered address made from the gateway's. */
		g.mac[0] = 0x5a;
		g.mac[1] = 0x94;
		g.mac[2] = (uint8_t)(gw >> 24) ^ 0x5a;
		g.mac[3] = (uint8_t)(gw >> 16);
		g.mac[4] = (uint8_t)(gw >> 8);
		g.mac[5] = (uint8_t)gw;
	}
	if (c->ndns) {
		memcpy(g.dns, c->dns, c->ndns * sizeof(c->dns[0]));
		g.ndns = c->ndns;
	} else if (info && info->dns.s_addr) {
		g.dns[0] = info->dns; /* the host side answers DNS there */
		g.ndns = 1;
	} else if (c->mode == NET_MODE_SHARED) {
		g.ndns = resolv_host_servers(g.dns, GW_MAX_DNS);
		if (!g.ndns)
			log_warnx("the host has no DNS server a guest can use; "
				  "give one with --dns=IP");
	}
	if (gw_init(&g, loop_now(), err, errlen))
		return -1;
	m.gw_on = true;
	switch_reserve_mac(g.mac);
	if (g.ipv6 && g.responder)
		main_reserve6(&g);
	switch_set_local(gw_input);
	log_info("gateway %s: %s%s%s", inet_ntoa(c->gateway),
		 g.dhcp ? "DHCP" : "no DHCP",
		 g.responder ? ", ARP and ping responder" : "",
		 g.ipv6 ? ", IPv6 router advertisements" : "");
	return 0;
}

/**
 * main_forward() - the control socket's "forward" command
 * @r:		the request: list, add SPEC or remove SPEC
 * @w:		the answer, where the forwards in force are listed
 * @err:	message buffer
 * @errlen:	its size
 *
 * A SPEC is --forward's; the host side checks and installs it
 * (uplink_forward_add()), so a forward added here behaves as one given
 * at start. Every answer lists the forwards in force afterwards.
 *
 * Return: 0, or -1 with @err set and nothing changed
 */
static int main_forward(const struct ctl_req *r, struct json_wr *w, char *err,
			size_t errlen)
{
	const struct fwd_set *set;
	struct fwd_spec f;
	char fb[FWD_STRLEN];
	unsigned int i;

	if (strcmp(r->action, "list")) {
		if (fwd_parse(r->spec, &f, err, errlen) < 0)
			return -1;
		if (!strcmp(r->action, "add")
			? uplink_forward_add(&f, err, errlen) < 0
			: uplink_forward_remove(&f, err, errlen) < 0)
			return -1;
	}
	set = uplink_forwards();
	json_arr_begin(w, "forwards");
	for (i = 0; set && i < set->n; i++)
		json_put_str(w, NULL, fwd_format(&set->f[i], fb));
	json_arr_end(w);
	return 0;
}

/**
 * main_control() - open the control socket and the --pcap file
 * @c:		configuration
 * @info:	the host side, or NULL
 * @pf:		what the host-side backend is
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int main_control(const struct conf *c, const struct uplink_info *info,
			const struct uplink_caps *pf, char *err, size_t errlen)
{
	struct ctl_conf cc = {
	    .path = c->control_path,
	    .owner = {.uid = -1, .mode = 0600, .weak_uid = true}};
	struct ctl_cmd_info ci = {
	    .version = VERSION,
	    .mode = net_mode_name(c->mode),
	    .uplink = info ? uplink_name() : "none",
	    .ifname = info ? info->ifname : "",
	    .have_net = c->have_gateway,
	    .gateway = ntohl(c->gateway.s_addr),
	    .mask = ntohl(c->mask.s_addr),
	    .dhcp_first = ntohl(c->gateway.s_addr) + 1,
	    .dhcp_last = ntohl(c->dhcp_end.s_addr),
	    .dhcp = m.gw_on,
	    .reload = main_reload,
	    .forward = info && pf->forwards ? main_forward : NULL,
	};

	ctl_cmd_init(&ci);
	if (c->pcap_path) {
		m.pcap_fd =
		    open(c->pcap_path,
			 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
			 0640);
		if (m.pcap_fd < 0)
			return err_sys(err, errlen, "--pcap=%s", c->pcap_path);
	}
	if (c->control_too_long)
		log_warnx("%s.ctl is too long for a socket path: no control "
			  "socket (give --control=PATH)",
			  c->socket_path);
	if (!c->control_path)
		return 0;
	if (c->user) {
		struct passwd *pw = getpwnam(c->user);

		if (pw)
			cc.owner.uid = (long)pw->pw_uid;
	}
	if (c->control_group) {
		if (sock_resolve_group(c->control_group, &cc.group, err,
				       errlen))
			return -1;
		cc.has_group = true;
		cc.owner.gid = cc.group;
		cc.owner.strict_gid = true;
		cc.owner.mode = 0660;
	}
	return ctl_listen(&cc, err, errlen);
}

/**
 * main_setup() - create ports, sockets and the pidfile
 * @c:		configuration
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set
 */
static int main_setup(const struct conf *c, char *err, size_t errlen)
{
	struct uplink_info info;
	struct uplink_caps pf = {0};
	struct sock_owner owner = {.uid = -1,
				   .strict_gid = c->socket_group != NULL};
	struct guard_conf guard = c->guard;

	activate_init(); /* before anything forks: sockets from systemd */
	if (loop_init() || main_signals()) {
		err_sys(err, errlen, "event loop");
		return -1;
	}
	if (c->have_gateway)
		guard.gateway = ntohl(c->gateway.s_addr);
	main_prefix6(c);
	if (port_table_init(c->max_ports, c->queue_size) ||
	    switch_init(c->max_ports, c->mac_age, &guard) ||
	    dgram_init(c->max_frame, c->max_ports)) {
		err_set(err, errlen, "out of memory");
		return -1;
	}
	stream_init(c->max_frame);
	if (pidfile_check(c->pidfile, err, errlen))
		return -1;
	if (sock_resolve_group(c->socket_group, &owner.gid, err, errlen))
		return -1;
	if (c->socket_user) {
		struct passwd *pw = getpwnam(c->socket_user);

		if (!pw) {
			err_set(err, errlen,
				"--socket-user: no such user "
				"\"%s\"",
				c->socket_user);
			return -1;
		}
		owner.uid = (long)pw->pw_uid;
	}
	if (c->mode != NET_MODE_ISOLATED) {
		struct uplink_conf uc = {
		    .mode = c->mode,
		    .interface = c->vmnet_interface,
		    .gateway = c->gateway,
		    .mask = c->mask,
		    .mtu = c->mtu,
		    .name = c->tap_name ? c->tap_name : "",
		    .dhcp_end = c->dhcp_end,
		    .interface_id = c->interface_id,
		    .network_identifier = c->network_identifier,
		    .nat66_prefix = c->nat66_prefix,
		    .nat = c->nat,
		    .no_host_loopback = c->no_host_loopback,
		    .forwards = c->forwards,
		    .nforwards = c->nforwards,
		    .own_dhcp = c->disable_dhcp && c->have_gateway,
		    .ipv6 = !c->no_ipv6,
		};

		memcpy(uc.prefix6, m.prefix6, sizeof(uc.prefix6));
		if (host_open(&uc, &info, err, errlen))
			return -1;
		m.host_on = true;
		switch_reserve_mac(info.mac);
		for (unsigned int i = 0; i < info.nip6; i++)
			switch_reserve_ip6(info.ip6[i]);
	}
	uplink_caps(&pf);
	if (main_gateway(c, m.host_on ? &info : NULL, &pf, err, errlen))
		return -1;
	if (main_open_fds(c, err, errlen))
		return -1;
	if (c->socket_path &&
	    stream_listen(c->socket_path, &owner, err, errlen))
		return -1;
	if (c->dgram_path && dgram_listen(c->dgram_path, &owner, err, errlen))
		return -1;
	activate_done();
	if (stream_connect_start(c->connect, c->nconnect)) {
		err_set(err, errlen, "out of memory");
		return -1;
	}
	if (main_control(c, m.host_on ? &info : NULL, &pf, err, errlen))
		return -1;
	if (pidfile_create(c->pidfile, err, errlen))
		return -1;
	return 0;
}

/**
 * main_stop_switch() - close the ports and save state (the worker's part)
 */
static void main_stop_switch(void)
{
	stream_connect_stop();
	ctl_close_clients();
	ctl_cmd_fini();
	port_close_all("daemon stopping");
	if (m.gw_on)
		gw_fini(loop_now());
	m.gw_on = false;
}

/**
 * main_undo_setup() - remove what setup created (the privileged part)
 */
static void main_undo_setup(void)
{
	stream_unlisten();
	dgram_unlisten();
	ctl_unlisten();
	if (m.pcap_fd >= 0)
		close(m.pcap_fd);
	m.pcap_fd = -1;
	if (m.host_on)
		uplink_close();
	m.host_on = false;
	pidfile_remove();
}

/**
 * main_free() - release memory and the loop
 */
static void main_free(void)
{
	dgram_fini();
	switch_fini();
	port_table_fini();
	loop_fini();
}

/**
 * main_monitor_init() - in the privileged monitor: keep only what it needs
 *
 * The worker serves the ports and sockets; the monitor keeps the host side
 * (to undo it; the user-mode NAT has nothing to undo and is the worker's
 * alone), the pidfile lock and the file names.
 */
static void main_monitor_init(void)
{
	port_drop_fds();
	stream_drop_fd();
	dgram_drop_fd();
	ctl_drop_fd();
	if (m.pcap_fd >= 0)
		close(m.pcap_fd);
	m.pcap_fd = -1;
	uplink_drop_fds();
}

/**
 * main_run() - run the switch until told to stop
 * @c:		configuration
 *
 * Return: exit status
 */
static int main_run(const struct conf *c)
{
	struct loop_timer fd_watch = {.fn = main_fd_watch};
	int ret = 0;

	if (!c->socket_path && !c->dgram_path && !c->nconnect)
		loop_timer_arm(&fd_watch, 1000);
	m.gw_timer.fn = main_gw_tick;
	if (m.gw_on)
		main_gw_tick(&m.gw_timer);
	if (m.pcap_fd >= 0) {
		char err[256];
		int fd = m.pcap_fd;

		m.pcap_fd = -1; /* the capture's now */
		if (ctl_cmd_capture_fd(fd, err, sizeof(err)))
			log_warnx("--pcap: %s", err);
	}
	if (loop_run() < 0) {
		log_err("event loop failed");
		ret = 1;
	}
	loop_timer_cancel(&fd_watch);
	loop_timer_cancel(&m.gw_timer);
	main_stop_switch();
	return ret;
}

/**
 * main_worker_user() - who runs the switch once set up
 * @c:		configuration
 *
 * Started as root, the switch runs as --user, else as the socket_vmnet
 * user if there is one, else as nobody; --user=root keeps it root.
 *
 * Return: the user to fork a worker for, or NULL to run it here
 */
static const char *main_worker_user(const struct conf *c)
{
	struct uplink_caps pf;
	const char *user = c->user;

	if (geteuid() != 0)
		return user; /* priv_separate() refuses: --user needs root */
	if (user && !strcmp(user, "root")) {
		log_warnx("--user=root: the switch keeps root privileges (no "
			  "privilege separation, no sandbox)");
		return NULL;
	}
	if (user)
		return user;
	uplink_caps(&pf);
	if (pf.no_user && m.host_on) {
		log_info(
		    "the switch keeps root: %s cannot be handed to another "
		    "process",
		    uplink_name());
		return NULL;
	}
	user = priv_default_user();
	if (!user)
		log_warnx("no user socket_vmnet or nobody: the switch keeps "
			  "root privileges (give --user=USER)");
	return user;
}

/**
 * main_sandbox() - confine this process to its system calls
 * @c:		configuration
 * @files:	it writes files itself (no monitor)
 */
static void main_sandbox(const struct conf *c, bool files)
{
	struct sandbox_conf sc = {.files = files};
	char err[256];

	if (c->sandbox_off)
		log_warnx("sandbox: off (--sandbox=off)");
	else if (sandbox_apply(&sc, err, sizeof(err)))
		log_info("sandbox: not applied: %s", err);
}

/**
 * main_ready() - say that VMs may attach
 * @c:		the configuration
 *
 * Logged by the process that runs the switch, once it runs as it will
 * (after privileges were dropped and the sandbox entered), so whoever
 * waits for this line sees the final state.
 */
static void main_ready(const struct conf *c)
{
	log_info("socket_vmnet %s ready: mode %s, socket %s%s%s, max frame %u, "
		 "queue %u bytes per port",
		 VERSION, net_mode_name(c->mode),
		 c->socket_path ? c->socket_path : "(none)",
		 c->dgram_path ? ", datagram socket " : "",
		 c->dgram_path ? c->dgram_path : "", c->max_frame,
		 c->queue_size);
}

/**
 * main() - entry point of socket_vmnet
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 after a clean shutdown, 1 on any error
 */
int main(int argc, char **argv)
{
	struct uplink_caps pf = {0};
	struct priv_conf pc = {.parent_init = main_monitor_init,
			       .serve = monitor_serve};
	struct conf c;
	char err[512] = "";
	int ret;

	log_init("socket_vmnet", LOG_LVL_INFO);
	switch (conf_parse(&c, argc, argv, err, sizeof(err))) {
	case CONF_HELP:
		conf_usage(argv[0], stdout);
		return 0;
	case CONF_VERSION:
		printf("socket_vmnet version %s\n", VERSION);
		return 0;
	case CONF_ERROR:
		log_errx("%s", err);
		fprintf(stderr, "Try '%s --help' for more information.\n",
			argv[0]);
		return 1;
	case CONF_OK:
		break;
	}
	if (c.debug)
		log_init("socket_vmnet", LOG_LVL_DEBUG);
	if (getuid() != geteuid() || getgid() != getegid()) {
		log_errx("refusing to run setuid or setgid; start it with sudo "
			 "or a service manager instead");
		return 1;
	}
	uplink_caps(&pf);
	if (conf_check_platform(&c, &pf, err, sizeof(err))) {
		log_errx("%s", err);
		return 1;
	}
	if (!c.have_gateway)
		c.have_gateway =
		    net_mode_default(c.mode, &c.gateway, &c.mask, &c.dhcp_end);
	exhaust_raise_nofile(c.max_ports); /* one descriptor per stream port */
	if (main_setup(&c, err, sizeof(err))) {
		log_errx("%s", err);
		main_stop_switch();
		main_undo_setup();
		main_free();
		return 1;
	}
	pc.user = main_worker_user(&c);
	pc.sandbox = !c.sandbox_off;
	monitor_init(c.lease_file, c.connect, c.nconnect);
	if (pc.user) {
		switch (priv_separate(&pc, &ret, err, sizeof(err))) {
		case PRIV_WORKER:
			/* The worker leaves files and host side to the
			 * monitor, which still has the rights to undo them. */
			pidfile_drop_fd();
			monitor_worker_relays();
			main_sandbox(&c, false);
			main_ready(&c);
			ret = main_run(&c);
			main_free();
			return ret;
		case PRIV_MONITOR:
			break;
		case PRIV_ERROR:
			log_errx("%s", err);
			ret = 1;
			main_stop_switch();
			break;
		}
	} else {
		/* Without root there is no monitor; with it (--user=root)
		 * this process runs nft and the like: no filter then. */
		if (geteuid() != 0 &&
		    (!m.host_on || !strcmp(uplink_name(), "user")))
			main_sandbox(&c, true);
		main_ready(&c);
		ret = main_run(&c);
	}
	main_undo_setup();
	main_free();
	log_info("stopped");
	return ret;
}
