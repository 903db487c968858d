/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Atomic file replacement (see file.h). Every function that fails returns
 * -1 with errno set and leaves the old file as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

/**
 * struct file_state - this module's state
 * @relay:	the one file another process replaces for this one, or NULL
 */
static struct file_state {
	const struct file_relay *relay;
} fst;

/**
 * file_atomic_relay() - have another process replace one file from now on
 * @r:		the file and the calls that replace it (kept), or NULL
 */
void file_atomic_relay(const struct file_relay *r)
{
	fst.relay = r;
}

/**
 * file_write_all() - write a whole buffer
 * @fd:		the descriptor
 * @buf:	the bytes
 * @len:	how many
 *
 * Return: 0, or -1 with errno set (EIO for a write that made no progress)
 */
int file_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/**
 * file_sync_dir() - make a rename in a file's directory durable
 * @path:	the file
 */
static void file_sync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int dfd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

/**
 * file_atomic_open() - start writing a replacement for a file
 * @f:		the replacement
 * @path:	the file to replace
 * @mode:	permissions of the new file
 *
 * The temporary file is PATH.PID.tmp, created afresh (never through a
 * symbolic link or an existing file).
 *
 * Return: 0, or -1 with errno set
 */
int file_atomic_open(struct file_atomic *f, const char *path, mode_t mode)
{
	f->fd = -1;
	f->path = path;
	f->relayed = fst.relay && !strcmp(path, fst.relay->path);
	if (f->relayed) {
		f->tmp[0] = '\0';
		f->fd = fst.relay->open();
		return f->fd < 0 ? -1 : 0;
	}
	if ((size_t)snprintf(f->tmp, sizeof(f->tmp), "%s.%ld.tmp", path,
			     (long)getpid()) >= sizeof(f->tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	unlink(f->tmp);
	f->fd = open(
	    f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	return f->fd < 0 ? -1 : 0;
}

/**
 * file_atomic_write() - add bytes to a replacement
 * @f:		the replacement
 * @buf:	the bytes
 * @len:	how many
 *
 * Return: 0, or -1 with errno set (the replacement is then abandoned)
 */
int file_atomic_write(struct file_atomic *f, const void *buf, size_t len)
{
	if (f->fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (file_write_all(f->fd, buf, len) < 0) {
		file_atomic_abort(f);
		return -1;
	}
	return 0;
}

/**
 * file_atomic_commit() - sync a replacement and put it in place
 * @f:		the replacement
 * @keep_fd:	NULL to close the file, else set to its open descriptor
 *		(for a pidfile that stays locked)
 *
 * Return: 0, or -1 with errno set (the old file is left as it was)
 */
int file_atomic_commit(struct file_atomic *f, int *keep_fd)
{
	int fd = f->fd, saved;

	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	f->fd = -1;
	if (f->relayed) {
		close(fd);
		return fst.relay->commit();
	}
	if (fsync(fd) < 0)
		goto fail_open;
	if (!keep_fd && close(fd) < 0)
		goto fail_closed; /* the descriptor is released all the same */
	if (rename(f->tmp, f->path) < 0) {
		if (keep_fd)
			goto fail_open;
		goto fail_closed;
	}
	if (keep_fd)
		*keep_fd = fd;
	file_sync_dir(f->path);
	return 0;
fail_open:
	saved = errno;
	close(fd);
	errno = saved;
fail_closed:
	saved = errno;
	unlink(f->tmp);
	errno = saved;
	return -1;
}

/**
 * file_atomic_abort() - give up a replacement, removing the temporary file
 * @f:		the replacement
 */
void file_atomic_abort(struct file_atomic *f)
{
	int saved = errno;

	if (f->fd >= 0) {
		close(f->fd);
		if (f->relayed)
			fst.relay->abort();
		else
			unlink(f->tmp);
	}
	f->fd = -1;
	errno = saved;
}

/**
 * file_write_atomic() - replace a file's content in one call
 * @path:	the file
 * @buf:	its new content
 * @len:	its length
 * @mode:	permissions of the new file
 *
 * Return: 0, or -1 with errno set
 */
int file_write_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode)
{
	struct file_atomic f;

	if (file_atomic_open(&f, path, mode) < 0 ||
	    file_atomic_write(&f, buf, len) < 0)
		return -1;
	return file_atomic_commit(&f, NULL);
}
