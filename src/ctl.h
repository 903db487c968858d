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

#include "sock.h"

#define CTL_VERSION	1u	    /* protocol version */
#define CTL_LINE_MAX	65536u	    /* longest request line */
#define CTL_MAX_CLIENTS 128u	    /* control connections at once */
#define CTL_TIMEOUT_MS	30000u	    /* a client that does nothing this long */
#define CTL_ANSWER_MAX	(64u << 20) /* longest answer */
#define CTL_NAME_MAX	32u	    /* command and action names */
#define CTL_SPEC_MAX	256u	    /* a forward's SPEC */
#define CTL_MAX_TOKENS	64u	    /* JSON tokens of a request */

/**
 * struct ctl_req - a parsed request
 * @cmd:	"status", "ports"...
 * @action:	"start", "stop", "list", "add", "remove", or empty
 * @spec:	a forward's SPEC, or empty
 * @has_port:	@port was given
 * @port:	a port id
 * @has_mac:	@mac was given
 * @mac:	a MAC address
 * @max_bytes:	capture size limit, 0 for none
 * @has_id:	the request carried an "id" to echo
 * @id:		that id (an integer)
 * @fd:		a descriptor passed with the request (SCM_RIGHTS), or -1;
 *		a command that keeps it sets this to -1
 * @uid:	the client's uid
 * @wait_fd:	set by a command whose answer must wait until this
 *		descriptor is readable (it is closed then), else -1
 */
struct ctl_req {
	char cmd[CTL_NAME_MAX];
	char action[CTL_NAME_MAX];
	char spec[CTL_SPEC_MAX];
	bool has_port;
	uint64_t port;
	bool has_mac;
	uint8_t mac[6];
	uint64_t max_bytes;
	bool has_id;
	uint64_t id;
	int fd;
	long uid;
	int wait_fd;
};

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
