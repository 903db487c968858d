/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SOCK_H
#define SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "loop.h"

#define SOCK_SNDBUF (1 << 20) /* what VM-side peers use: 1 MiB send */
#define SOCK_RCVBUF (4 << 20) /* and 4 MiB receive */

struct sockaddr_un;

int sock_set_buffers(int fd);
int sock_set_sndbuf(int fd, int bytes);
bool sock_dgram_alive(const struct sockaddr_un *sa, unsigned int len);
void sock_peer_creds(int fd, long *uid, long *pid);
bool sock_peer_in_group(int fd, gid_t gid);
int sock_resolve_group(const char *name, gid_t *gid, char *err, size_t errlen);
/**
 * struct sock_owner - who may use the daemon's socket files
 * @gid:	group given access (mode 0770)
 * @strict_gid:	failing to set the group is an error (it was asked for)
 * @uid:	with --socket-user: the only user given access (mode 0700),
 *		else -1
 * @mode:	0 for the above; else this mode, the owner @uid (if not -1)
 *		and the group @gid (if @strict_gid) (the control socket)
 * @weak_uid:	with @mode: giving the file to @uid is a convenience; where
 *		the daemon may not (no CAP_CHOWN), it warns and keeps it
 */
struct sock_owner {
	gid_t gid;
	bool strict_gid;
	long uid;
	unsigned int mode;
	bool weak_uid;
};

int sock_listen_unix(const char *path, int type, const struct sock_owner *o,
		     char *err, size_t errlen);

/**
 * struct sock_listener - a socket file the daemon serves, in the loop
 * @src:	its event source (fd -1 when closed)
 * @path:	the file, removed when the listener closes unless @given
 * @given:	the socket came from the service manager (activate.h): the
 *		file is the manager's, never removed or recreated
 */
struct sock_listener {
	struct loop_source src;
	const char *path;
	bool given;
};

int sock_listener_open(struct sock_listener *l, const char *path, int type,
		       const struct sock_owner *o, loop_fn fn, char *err,
		       size_t errlen);
void sock_listener_drop_fd(struct sock_listener *l);
void sock_listener_close(struct sock_listener *l);

#endif /* SOCK_H */
