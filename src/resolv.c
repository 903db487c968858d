/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host's DNS servers, to hand to guests by DHCP in shared mode. A
 * loopback resolver (systemd-resolved's 127.0.0.53, a local dnsmasq) is no
 * use to a guest, so such entries are skipped and, when resolved is in use,
 * the servers it forwards to are read from its own file instead.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "resolv.h"

static const char *const resolv_files[] = {
    "/etc/resolv.conf",
    "/run/systemd/resolve/resolv.conf", /* resolved's upstreams */
};

/**
 * resolv_parse_file() - read the usable IPv4 nameservers of a resolv.conf
 * @path:	the file
 * @out:	filled with addresses (network order)
 * @max:	room in @out
 *
 * Return: number of addresses found (loopback and unspecified skipped)
 */
unsigned int resolv_parse_file(const char *path, struct in_addr *out,
			       unsigned int max)
{
	char line[512], addr[64];
	unsigned int n = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return 0;
	while (n < max && fgets(line, sizeof(line), f)) {
		struct in_addr a;

		if (sscanf(line, " nameserver %63s", addr) != 1)
			continue;
		if (inet_pton(AF_INET, addr, &a) != 1)
			continue;
		if ((ntohl(a.s_addr) >> 24) == 127 || a.s_addr == 0)
			continue;
		out[n++] = a;
	}
	fclose(f);
	return n;
}

/**
 * resolv_host_servers() - the host's DNS servers that a guest can use
 * @out:	filled with addresses (network order)
 * @max:	room in @out
 *
 * Return: number of addresses found, 0 if the host has none usable
 */
unsigned int resolv_host_servers(struct in_addr *out, unsigned int max)
{
	for (size_t i = 0; i < sizeof(resolv_files) / sizeof(*resolv_files);
	     i++) {
		unsigned int n = resolv_parse_file(resolv_files[i], out, max);

		if (n)
			return n;
	}
	return 0;
}
