/* SPDX-License-Identifier: Apache-2.0 */
#ifndef SOCK_H
#define SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SOCK_SNDBUF (1 << 20) /* what VM-side peers use: 1 MiB send */
#define SOCK_RCVBUF (4 << 20) /* and 4 MiB receive */

int sock_set_buffers(int fd);
void sock_peer_creds(int fd, long *uid, long *pid);
int sock_resolve_group(const char *name, gid_t *gid, char *err, size_t errlen);
int sock_listen_unix(const char *path, int type, gid_t gid, bool strict_gid,
		     char *err, size_t errlen);

#endif /* SOCK_H */
