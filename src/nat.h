/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPv4 forwarding and masquerading NAT for shared mode on Linux (nftables),
 * and the DNAT rules of port forwards in shared and host mode, with a state
 * file per subnet so that what a crashed daemon left behind is undone by
 * the next one.
 */
#ifndef NAT_H
#define NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "fwd.h"

/*
 * Where the state files live (one per subnet and network namespace). Not
 * /run/socket_vmnet: that is the usual socket path.
 */
#define NAT_STATE_DIR "/run/socket_vmnet-nat"

int nat_start(const char *ifname, struct in_addr net, unsigned int prefix,
	      const uint8_t *prefix6, bool masquerade, char *err,
	      size_t errlen);
int nat_set_forwards(const struct fwd_set *s, char *err, size_t errlen);
void nat_stop(void);
void nat_recover(void);
void nat_recover_net(struct in_addr net, unsigned int prefix);

#endif /* NAT_H */
