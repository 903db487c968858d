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

struct ctl_req;
struct json_wr;

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
