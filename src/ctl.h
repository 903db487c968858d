/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket: a UNIX socket where socket_vmnetctl (or a script)
 * sends one JSON request per line and reads one JSON answer per line
 * (docs/CONTROL.md). This module serves the socket from the event loop;
 * the answers themselves come from ctl_cmd.c.
 */
#ifndef CTL_H
#define CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ctl_cmd.h"
#include "sock.h"

#define CTL_VERSION	1u     /* protocol version */
#define CTL_LINE_MAX	65536u /* longest request line */
#define CTL_MAX_CLIENTS 128u   /* control connections at once */
#define CTL_TIMEOUT_MS	30000u /* a client that does nothing this long */
#define CTL_MAX_TOKENS	64u    /* JSON tokens of a request */

/**
 * struct ctl_conf - the control socket's settings
 * @path:	the socket file
 * @owner:	its owner, group and mode
 * @group:	members of this group may use it
 * @has_group:	@group is set (--control-group)
 */
struct ctl_conf {
	const char *path;
	struct sock_owner owner;
	gid_t group;
	bool has_group;
};

int ctl_parse_request(const char *line, size_t len, struct ctl_req *r,
		      char *err, size_t errlen);
int ctl_listen(const struct ctl_conf *c, char *err, size_t errlen);
void ctl_drop_fd(void);
void ctl_close_clients(void);
void ctl_unlisten(void);

#endif /* CTL_H */
