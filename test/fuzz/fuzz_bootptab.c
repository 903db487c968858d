/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness of the --dhcp-hosts parser: dhcp_file_read_hosts()
 * (src/dhcp_file.c) on a scratch file holding the input, for a subnet and
 * gateway chosen by the input.
 *
 * Input layout: one byte for the prefix length (8 to 30), four bytes that
 * pick the gateway among the subnet's host addresses (the caller checks
 * that much), then the text of the bootptab file ("hostname hwtype hwaddr
 * ipaddr [bootfile]" lines after a "%%" line; '#' comments).
 *
 * Invariants: the parser succeeds or fails with a one-line message that
 * names the file; on success every reservation is a host address of the
 * subnet (not its network or broadcast address) that is not the gateway,
 * for a unicast MAC, with a host name of 1 to 63 letters, digits, '-', '_'
 * or '.'; no two reservations share a MAC or an address; there are no more
 * of them than lines; and reading the same file again gives the same
 * reservations.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp_file.h"
#include "dhcp_pool.h"
#include "fuzz.h"
#include "log.h"

static char fuzz_dir[256], fuzz_path[300];

/**
 * fuzz_cleanup() - remove the scratch file (at exit)
 */
static void fuzz_cleanup(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

/**
 * fuzz_setup() - make the scratch directory, once
 */
static void fuzz_setup(void)
{
	log_init("fuzz_bootptab", LOG_LVL_ERROR);
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz_bootptab.XXXXXX",
		 fuzz_tmpdir());
	FUZZ_ASSERT(mkdtemp(fuzz_dir) != NULL);
	snprintf(fuzz_path, sizeof(fuzz_path), "%s/hosts", fuzz_dir);
	atexit(fuzz_cleanup);
}

/**
 * fuzz_resv_ok() - check one reservation
 * @r:		the reservation
 * @gw:		the gateway
 * @mask:	the subnet mask
 */
static void fuzz_resv_ok(const struct dhcp_pool_resv *r, uint32_t gw,
			 uint32_t mask)
{
	uint32_t net = gw & mask;
	size_t len = strnlen(r->name, sizeof(r->name));

	FUZZ_ASSERT((r->addr & mask) == net && r->addr != net);
	FUZZ_ASSERT(r->addr != (net | ~mask) && r->addr != gw);
	FUZZ_ASSERT(!(r->mac[0] & 1));
	FUZZ_ASSERT(len >= 1 && len <= DHCP_POOL_NAME_MAX);
	FUZZ_ASSERT(strspn(r->name, "abcdefghijklmnopqrstuvwxyz"
				    "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789-_.") == len);
}

/**
 * fuzz_read() - read the file and check the outcome
 * @gw:		the gateway
 * @mask:	the subnet mask
 * @lines:	lines in the file
 * @v:		set to the reservations (free() them)
 *
 * Return: how many, or -1 if the file was refused
 */
static int fuzz_read(uint32_t gw, uint32_t mask, size_t lines,
		     struct dhcp_pool_resv **v)
{
	unsigned int n = 0;
	char err[512] = "";
	int r;

	*v = NULL;
	r = dhcp_file_read_hosts(fuzz_path, gw, mask, v, &n, err, sizeof(err));
	FUZZ_ASSERT(r == 0 || r == -1);
	if (r < 0) {
		FUZZ_ASSERT(*v == NULL && err[0] && !strchr(err, '\n'));
		FUZZ_ASSERT(!strncmp(err, fuzz_path, strlen(fuzz_path)));
		return -1;
	}
	FUZZ_ASSERT(n <= lines && (n == 0 || *v != NULL));
	for (unsigned int i = 0; i < n; i++) {
		fuzz_resv_ok(&(*v)[i], gw, mask);
		for (unsigned int j = 0; j < i; j++) {
			FUZZ_ASSERT(memcmp((*v)[i].mac, (*v)[j].mac, 6));
			FUZZ_ASSERT((*v)[i].addr != (*v)[j].addr);
		}
	}
	return (int)n;
}

/**
 * LLVMFuzzerTestOneInput() - run one input
 * @data:	the input (layout in the header comment)
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = {data, size};
	unsigned int plen = 8 + fuzz_u8(&in) % 23;
	uint32_t mask = ~0u << (32 - plen), pick = fuzz_u32(&in);
	uint32_t gw = (0xc0a86900u & mask) | (1 + pick % (~mask - 1));
	struct dhcp_pool_resv *v, *w;
	size_t lines = 1;
	int n, m;

	if (!fuzz_dir[0])
		fuzz_setup();
	for (size_t i = 0; i < in.len; i++)
		lines += in.p[i] == '\n';
	fuzz_write_file(fuzz_path, in.p, in.len);
	n = fuzz_read(gw, mask, lines, &v);
	m = fuzz_read(gw, mask, lines, &w);
	FUZZ_ASSERT(n == m);
	if (n > 0)
		FUZZ_ASSERT(!memcmp(v, w, (size_t)n * sizeof(*v)));
	free(v);
	free(w);
	return 0;
}
