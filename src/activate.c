/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Socket activation: the listening sockets a service manager passed.
 *
 * Theory of operation: systemd (its .socket units, or
 * systemd-socket-activate, or any manager speaking the same protocol)
 * creates the socket files itself and starts the daemon with them open as
 * descriptors 3, 4, ... and three variables: LISTEN_PID (the process they
 * are meant for), LISTEN_FDS (how many) and, optionally, LISTEN_FDNAMES
 * (their names, separated by colons). No library is needed to read them.
 *
 * activate_init(), early at start, reads the variables, once, and removes
 * them from the environment so that the programs the daemon runs (nft) do
 * not take the descriptors for theirs. activate_take() then hands out the
 * passed socket that matches a socket file the daemon would otherwise
 * create: the same socket type, and either the same file (compared by
 * device and inode, so a relative or symlinked path matches too) or the
 * name given to that role. A socket taken so belongs to the manager: the
 * daemon neither binds, chmods, unlinks nor recreates it, and leaves the
 * file in place when it stops. activate_done() closes the passed sockets
 * that nothing took, with a warning.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "activate.h"
#include "compat.h"
#include "err.h"
#include "log.h"

#define ACTIVATE_NAME_MAX 256 /* systemd's FileDescriptorName limit */

/**
 * struct activate_state - the sockets passed at start
 * @parsed:	the environment was read
 * @n:		how many descriptors are held (ACTIVATE_FDS_START on)
 * @taken:	descriptor i was handed out (or closed)
 * @names:	descriptor i's name from LISTEN_FDNAMES, "" if none
 */
static struct activate_state {
	bool parsed;
	int n;
	bool taken[ACTIVATE_MAX];
	char names[ACTIVATE_MAX][ACTIVATE_NAME_MAX];
} act;

/**
 * activate_number() - parse a whole decimal number
 * @s:		the text, may be NULL
 * @out:	set to the value
 *
 * Return: 0, or -1 if @s is not a number from 0 to INT_MAX
 */
static int activate_number(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < 0 || v > 0x7fffffffL)
		return -1;
	*out = v;
	return 0;
}

/**
 * activate_names() - split LISTEN_FDNAMES into the names table
 * @names:	the variable's value, may be NULL
 */
static void activate_names(const char *names)
{
	for (int i = 0; names && i < act.n; i++) {
		const char *colon = strchr(names, ':');
		size_t len = colon ? (size_t)(colon - names) : strlen(names);

		if (len < ACTIVATE_NAME_MAX) {
			memcpy(act.names[i], names, len);
			act.names[i][len] = '\0';
		}
		names = colon ? colon + 1 : NULL;
	}
}

/**
 * activate_init() - read and remove LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES
 *
 * Once; early, before anything forks or runs a program, which must not
 * inherit the descriptors. They become close-on-exec. Descriptors meant
 * for another process (LISTEN_PID) are not ours and are left alone; those
 * beyond ACTIVATE_MAX are closed.
 */
void activate_init(void)
{
	long pid, n;

	if (act.parsed)
		return;
	act.parsed = true;
	if (activate_number(getenv("LISTEN_PID"), &pid) ||
	    activate_number(getenv("LISTEN_FDS"), &n) ||
	    pid != (long)getpid()) {
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		return;
	}
	for (long fd = ACTIVATE_FDS_START + ACTIVATE_MAX;
	     fd < ACTIVATE_FDS_START + n; fd++) {
		log_warnx("passed socket %ld: more than %d, closed", fd,
			  ACTIVATE_MAX);
		close((int)fd);
	}
	act.n = n < ACTIVATE_MAX ? (int)n : ACTIVATE_MAX;
	activate_names(getenv("LISTEN_FDNAMES"));
	for (int i = 0; i < act.n; i++)
		compat_flags(ACTIVATE_FDS_START + i, 0);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	log_debug("service manager passed %d socket(s)", act.n);
}

/**
 * activate_same_file() - tell whether a socket is bound to a file
 * @fd:		a passed socket
 * @path:	the file
 *
 * Return: true if @fd's address names the file @path names
 */
static bool activate_same_file(int fd, const char *path)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	struct stat a, b;

	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) ||
	    sa.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) || !sa.sun_path[0])
		return false;
	sa.sun_path[sizeof(sa.sun_path) - 1] = '\0';
	if (stat(sa.sun_path, &a) || stat(path, &b))
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/**
 * activate_ready() - check that a matching socket can serve
 * @fd:		the socket
 * @type:	its type (SOCK_STREAM must be listening)
 * @path:	the file it stands for, for messages
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int activate_ready(int fd, int type, const char *path, char *err,
			  size_t errlen)
{
	int on = 0;
	socklen_t len = sizeof(on);

	if (type == SOCK_STREAM &&
	    (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) || !on))
		return err_set(err, errlen,
			       "%s: the socket passed for it is not "
			       "listening (a .socket unit with Accept=yes?)",
			       path);
	return 0;
}

/**
 * activate_take() - take the passed socket that stands for a socket file
 * @path:	the file the daemon would create
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @name:	the name that role goes by in LISTEN_FDNAMES
 * @fd:		set to the socket (non-blocking, close-on-exec), or -1 when
 *		none was passed for it
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 (also when none matches), -1 with @err set when the one that
 * matches cannot serve
 */
int activate_take(const char *path, int type, const char *name, int *fd,
		  char *err, size_t errlen)
{
	*fd = -1;
	activate_init();
	for (int i = 0; i < act.n; i++) {
		int s = ACTIVATE_FDS_START + i, t = 0;
		socklen_t len = sizeof(t);

		if (act.taken[i] ||
		    getsockopt(s, SOL_SOCKET, SO_TYPE, &t, &len) || t != type)
			continue;
		if (strcmp(act.names[i], name) && !activate_same_file(s, path))
			continue;
		act.taken[i] = true;
		if (activate_ready(s, type, path, err, errlen)) {
			close(s);
			return -1;
		}
		if (compat_flags(s, 1) < 0) {
			err_sys(err, errlen, "%s: passed socket %d", path, s);
			return -1;
		}
		*fd = s;
		log_info("%s: socket passed by the service manager", path);
		return 0;
	}
	return 0;
}

/**
 * activate_done() - close the passed sockets nothing took
 */
void activate_done(void)
{
	activate_init();
	for (int i = 0; i < act.n; i++) {
		if (act.taken[i])
			continue;
		log_warnx("passed socket %d (%s) matches no socket of the "
			  "command line; closed",
			  ACTIVATE_FDS_START + i,
			  act.names[i][0] ? act.names[i] : "no name");
		close(ACTIVATE_FDS_START + i);
		act.taken[i] = true;
	}
}
