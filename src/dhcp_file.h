/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DHCP server's files: the lease file, which keeps the pool's leases
 * across restarts, and the hosts file (bootptab) of reservations.
 *
 * The lease file is text, one lease per line: "ADDRESS MAC EXPIRY KEY",
 * EXPIRY in Unix seconds (in the past for ended leases still remembered),
 * KEY the client key in hex; '#' lines are comments.
 */
#ifndef DHCP_FILE_H
#define DHCP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dhcp_pool.h"

#define DHCP_FILE_LINE_MAX 256u /* longest lease line written, NUL included */

int dhcp_file_load_leases(const char *path, uint64_t now_ms,
			  uint32_t lease_secs, char *err, size_t errlen);
int dhcp_file_save_leases(const char *path, uint64_t now_ms);
bool dhcp_file_lease_parse(char *line, int64_t now, int64_t wall,
			   uint32_t lease_secs, struct dhcp_pool_lease *l);
size_t dhcp_file_lease_fmt(const struct dhcp_pool_lease *l, int64_t now,
			   int64_t wall, char *buf, size_t len);
int dhcp_file_read_hosts(const char *path, uint32_t gateway, uint32_t mask,
			 struct dhcp_pool_resv **out, unsigned int *nout,
			 char *err, size_t errlen);

#endif /* DHCP_FILE_H */
