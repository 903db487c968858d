/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Files replaced atomically: written under a temporary name in the same
 * directory, synced, then renamed over the old one, so a reader (or a
 * restart after a crash or a full disk) sees the old content or the new,
 * never a mix.
 */
#ifndef FILE_H
#define FILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/**
 * struct file_atomic - a replacement being written
 * @fd:		the temporary file, -1 when none is open
 * @path:	the file it replaces
 * @tmp:	the temporary file's name
 * @relayed:	written through the relay (struct file_relay), not here
 */
struct file_atomic {
	int fd;
	const char *path;
	char tmp[PATH_MAX];
	bool relayed;
};

/**
 * struct file_relay - another process replaces one file for this one
 * @path:	the file (its replacements go through the relay)
 * @open:	a descriptor to write the new content into, or -1 with errno
 * @commit:	the content is complete: make it the file; 0, or -1 with errno
 * @abort:	throw the content away
 *
 * The sandboxed worker, which may not write files, has the privileged
 * monitor replace its lease file so (priv.h).
 */
struct file_relay {
	const char *path;
	int (*open)(void);
	int (*commit)(void);
	void (*abort)(void);
};

void file_atomic_relay(const struct file_relay *r);

int file_write_all(int fd, const void *buf, size_t len);
int file_atomic_open(struct file_atomic *f, const char *path, mode_t mode);
int file_atomic_write(struct file_atomic *f, const void *buf, size_t len);
int file_atomic_commit(struct file_atomic *f, int *keep_fd);
void file_atomic_abort(struct file_atomic *f);
int file_write_atomic(const char *path, const void *buf, size_t len,
		      mode_t mode);

#endif /* FILE_H */
