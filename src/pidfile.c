/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The pidfile: it appears only once the daemon is ready (Lima waits for
 * it), already holding the pid (it is written under a temporary name and
 * renamed), and it stays locked while the daemon runs, so a second daemon
 * given the same pidfile refuses to start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "err.h"
#include "file.h"
#include "pidfile.h"

/**
 * struct pidfile_state - the pidfile while the daemon runs
 * @fd:		its descriptor, holding the lock (-1: none)
 * @path:	its name
 */
static struct pidfile_state {
	int fd;
	const char *path;
} pf = {.fd = -1};

/**
 * pidfile_busy() - tell whether a pidfile is locked by a running daemon
 * @path:	pidfile
 * @pid:	set to the pid it holds, when busy
 *
 * Return: 1 if busy, 0 if absent or free, -1 with errno set on failure
 */
static int pidfile_busy(const char *path, long *pid)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (!flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return 0;
	}
	if (errno != EWOULDBLOCK) {
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	*pid = strtol(buf, NULL, 10);
	close(fd);
	return 1;
}

/**
 * pidfile_check() - fail early if another daemon holds the pidfile
 * @path:	pidfile, or NULL
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 if the pidfile is free, -1 with @err set
 */
int pidfile_check(const char *path, char *err, size_t errlen)
{
	long pid = 0;
	int r;

	if (!path)
		return 0;
	r = pidfile_busy(path, &pid);
	if (r == 1) {
		err_set(err, errlen,
			"pidfile %s is held by a running "
			"socket_vmnet (pid %ld)",
			path, pid);
		return -1;
	}
	if (r < 0) {
		err_sys(err, errlen, "pidfile %s", path);
		return -1;
	}
	return 0;
}

/**
 * pidfile_create() - write, lock and publish the pidfile
 * @path:	pidfile, or NULL
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set
 */
int pidfile_create(const char *path, char *err, size_t errlen)
{
	struct file_atomic f;
	char buf[32];
	int n;

	if (!path)
		return 0;
	if (pidfile_check(path, err, errlen))
		return -1;
	if (file_atomic_open(&f, path, 0644) < 0)
		return err_sys(err, errlen, "cannot create pidfile %s", path);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (flock(f.fd, LOCK_EX | LOCK_NB) < 0) {
		file_atomic_abort(&f);
		return err_sys(err, errlen, "cannot lock pidfile %s", path);
	}
	if (file_atomic_write(&f, buf, (size_t)n) < 0 ||
	    file_atomic_commit(&f, &pf.fd) < 0)
		return err_sys(err, errlen, "cannot write pidfile %s", path);
	pf.path = path;
	return 0;
}

/**
 * pidfile_remove() - remove the pidfile at exit (while still locked)
 */
void pidfile_remove(void)
{
	if (pf.fd < 0)
		return;
	unlink(pf.path);
	close(pf.fd);
	pf.fd = -1;
	pf.path = NULL;
}

/**
 * pidfile_drop_fd() - in the worker: let go of the pidfile, whose lock the
 * monitor's descriptor keeps (same open file), and which the monitor removes
 */
void pidfile_drop_fd(void)
{
	if (pf.fd >= 0)
		close(pf.fd);
	pf.fd = -1;
	pf.path = NULL;
}
