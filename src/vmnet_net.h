/* SPDX-License-Identifier: Apache-2.0 */
/*
 * macOS 26 and later: the host side started on a vmnet network described
 * by a network configuration (subnet, IPv6 prefix, MTU, DHCP off), rather
 * than by the keys of vmnet_start_interface(). Used by vmnet.c only; see
 * vmnet_net.c.
 */
#ifndef VMNET_NET_H
#define VMNET_NET_H

#include <stdbool.h>

#include <dispatch/dispatch.h>
#include <vmnet/vmnet.h>
#include <xpc/xpc.h>

#include "uplink.h"

bool vmnet_net_available(void);
const char *vmnet_net_unfit(const struct uplink_conf *c);
vmnet_return_t vmnet_net_create(const struct uplink_conf *c, const char **call);
interface_ref vmnet_net_start(xpc_object_t desc, dispatch_queue_t queue,
			      vmnet_start_interface_completion_handler_t done);
void vmnet_net_release(void);

#endif /* VMNET_NET_H */
