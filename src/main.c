/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socket_vmnet: the daemon. Parses the command line, sets up the ports and
 * sockets, then runs the event loop until SIGINT or SIGTERM, and removes
 * everything it created on the way out.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "dgram.h"
#include "log.h"
#include "loop.h"
#include "pidfile.h"
#include "port.h"
#include "sock.h"
#include "stream.h"
#include "switch.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

static int main_sigpipe[2] = { -1, -1 };
static struct loop_source main_sigsrc = { .fd = -1 };
static bool main_fd_only; /* no socket file: exit when the last port goes */

/**
 * main_on_signal() - signal handler: pass the signal to the loop
 * @sig:	signal number
 */
static void main_on_signal(int sig)
{
	int saved = errno;
	unsigned char c = (unsigned char)sig;

	if (write(main_sigpipe[1], &c, 1) < 0) {
		/* The pipe is full: a signal is already pending. */
	}
	errno = saved;
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

	for (ssize_t i = 0; i < n; i++) {
		if (sigs[i] == SIGINT || sigs[i] == SIGTERM) {
			log_info("received signal %d, shutting down", sigs[i]);
			loop_stop();
		}
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

	if (pipe2(main_sigpipe, O_CLOEXEC | O_NONBLOCK))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -1;
	main_sigsrc.fd = main_sigpipe[0];
	main_sigsrc.fn = main_signal_ready;
	return loop_add(&main_sigsrc, LOOP_IN);
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
		int fd = c->fds[i], type = 0, r;
		socklen_t len = sizeof(type);

		if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len)) {
			snprintf(err, errlen, "--fd=%d: not a socket (%s)", fd,
				 strerror(errno));
			return -1;
		}
		if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) ||
		    fcntl(fd, F_SETFD, FD_CLOEXEC)) {
			snprintf(err, errlen, "--fd=%d: %s", fd,
				 strerror(errno));
			return -1;
		}
		if (type == SOCK_STREAM) {
			r = stream_port_open(fd, true);
		} else if (type == SOCK_DGRAM || type == SOCK_SEQPACKET) {
			r = dgram_port_open(fd);
		} else {
			snprintf(err, errlen, "--fd=%d: unsupported socket "
					      "type %d", fd, type);
			return -1;
		}
		if (r < 0) {
			snprintf(err, errlen, "--fd=%d: cannot open a port", fd);
			return -1;
		}
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
 * main_setup() - create ports, sockets and the pidfile
 * @c:		configuration
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set
 */
static int main_setup(const struct conf *c, char *err, size_t errlen)
{
	gid_t gid;

	if (loop_init() || main_signals()) {
		snprintf(err, errlen, "event loop: %s", strerror(errno));
		return -1;
	}
	if (port_table_init(c->max_ports, c->queue_size) ||
	    switch_init(c->max_ports, c->mac_age) ||
	    dgram_init(c->max_frame, c->max_ports)) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	stream_init(c->max_frame);
	if (pidfile_check(c->pidfile, err, errlen))
		return -1;
	if (sock_resolve_group(c->socket_group, &gid, err, errlen))
		return -1;
	if (main_open_fds(c, err, errlen))
		return -1;
	if (c->socket_path && stream_listen(c->socket_path, gid,
					    c->socket_group != NULL, err,
					    errlen))
		return -1;
	if (c->dgram_path && dgram_listen(c->dgram_path, gid,
					  c->socket_group != NULL, err, errlen))
		return -1;
	if (pidfile_create(c->pidfile, err, errlen))
		return -1;
	return 0;
}

/**
 * main_teardown() - close everything and remove the files we created
 */
static void main_teardown(void)
{
	port_close_all("daemon stopping");
	stream_unlisten();
	dgram_unlisten();
	pidfile_remove();
	dgram_fini();
	switch_fini();
	port_table_fini();
	loop_fini();
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
	struct loop_timer fd_watch = { .fn = main_fd_watch };
	struct conf c;
	char err[512] = "";

	log_init("socket_vmnet", LOG_LVL_INFO);
	switch (conf_parse(&c, argc, argv, err, sizeof(err))) {
	case CONF_HELP:
		conf_usage(argv[0], stdout);
		return 0;
	case CONF_VERSION:
		printf("socket_vmnet version %s\n", VERSION);
		return 0;
	case CONF_ERROR:
		log_err("%s", err);
		fprintf(stderr, "Try '%s --help' for more information.\n",
			argv[0]);
		return 1;
	case CONF_OK:
		break;
	}
	if (c.debug)
		log_init("socket_vmnet", LOG_LVL_DEBUG);
	if (getuid() != geteuid() || getgid() != getegid()) {
		log_err("refusing to run setuid or setgid; start it with sudo "
			"or a service manager instead");
		return 1;
	}
	if (conf_check_platform(&c, err, sizeof(err))) {
		log_err("%s", err);
		return 1;
	}
	if (main_setup(&c, err, sizeof(err))) {
		log_err("%s", err);
		main_teardown();
		return 1;
	}
	main_fd_only = !c.socket_path && !c.dgram_path;
	if (main_fd_only)
		loop_timer_arm(&fd_watch, 1000);
	log_info("socket_vmnet %s ready: mode %s, socket %s%s%s, max frame %u, "
		 "queue %u bytes per port",
		 VERSION, conf_mode_name(c.mode),
		 c.socket_path ? c.socket_path : "(none)",
		 c.dgram_path ? ", datagram socket " : "",
		 c.dgram_path ? c.dgram_path : "", c.max_frame, c.queue_size);
	if (loop_run() < 0) {
		log_err("event loop failed: %s", strerror(errno));
		main_teardown();
		return 1;
	}
	main_teardown();
	log_info("stopped");
	return 0;
}
