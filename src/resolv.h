/* SPDX-License-Identifier: Apache-2.0 */
#ifndef RESOLV_H
#define RESOLV_H

#include <netinet/in.h>

unsigned int resolv_host_servers(struct in_addr *out, unsigned int max);
unsigned int resolv_parse_file(const char *path, struct in_addr *out,
			       unsigned int max);

#endif /* RESOLV_H */
