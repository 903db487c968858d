/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The commands of the control socket: what each one answers, read from
 * the switch, the port table, the MAC table, the DHCP server and the
 * capture through their read-only functions (docs/CONTROL.md).
 */
#ifndef CTL_CMD_H
#define CTL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_wr;

#define CTL_ANSWER_MAX (64u << 20) /* longest answer */
#define CTL_NAME_MAX   32u	   /* command and action names */
#define CTL_SPEC_MAX   256u	   /* a forward's SPEC */

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
 * ctl_forward_fn - the "forward" command, where port forwarding runs
 * @r:		the request (@r->action: "list", "add" or "remove";
 *		@r->spec: a --forward SPEC for the last two)
 * @w:		the answer, inside its object: add members to it
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
typedef int (*ctl_forward_fn)(const struct ctl_req *r, struct json_wr *w,
			      char *err, size_t errlen);

/**
 * struct ctl_cmd_info - what the daemon tells the commands about itself
 * @version:	its version
 * @mode:	the network mode's name
 * @uplink:	the host side: "tap", "vmnet", "none"...
 * @ifname:	the host side's interface, or ""
 * @have_net:	the fields below are set
 * @gateway:	gateway address, host order
 * @mask:	subnet mask, host order
 * @dhcp_first:	first DHCP address, host order
 * @dhcp_last:	last DHCP address, host order
 * @dhcp:	the built-in DHCP server runs
 * @reload:	what SIGHUP does (reread reservations), or NULL
 * @forward:	live port forwards, or NULL when the daemon has none
 */
struct ctl_cmd_info {
	const char *version;
	const char *mode;
	const char *uplink;
	const char *ifname;
	bool have_net;
	uint32_t gateway;
	uint32_t mask;
	uint32_t dhcp_first;
	uint32_t dhcp_last;
	bool dhcp;
	int (*reload)(char *err, size_t errlen);
	ctl_forward_fn forward;
};

void ctl_cmd_init(const struct ctl_cmd_info *info);
int ctl_cmd_answer(struct ctl_req *r, struct json_wr *w, char *err,
		   size_t errlen);
bool ctl_cmd_rerun(const struct ctl_req *r);
int ctl_cmd_capture_fd(int fd, char *err, size_t errlen);
void ctl_cmd_fini(void);

#endif /* CTL_CMD_H */
