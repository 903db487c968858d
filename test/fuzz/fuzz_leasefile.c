/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness of the lease file (src/dhcp_file.c, into the pool of
 * src/dhcp_pool.c): dhcp_file_lease_parse() on every line of the input,
 * then dhcp_file_load_leases() on a scratch file holding the input, into a
 * pool of 192.168.105.2-.17 with .5 reserved and the gateway at .1.
 *
 * Input layout: the text of a lease file ("ADDRESS MAC EXPIRY KEY" lines,
 * EXPIRY in Unix seconds, KEY in hexadecimal; '#' comments).
 *
 * Invariants: a line that parses has a key of 2 to 64 bytes and an expiry
 * between ten years ago and one lease time from now; it formats with
 * dhcp_file_lease_fmt() as one line that parses back to the very same
 * lease. A file always loads (unusable lines are skipped); every lease the
 * pool then holds is a pool address that is not reserved, has a key of a
 * known kind and length, and no two share an address or a key; saving the
 * pool with dhcp_file_save_leases() and loading that file into a fresh
 * pool gives back the same leases (expiries within the second or two the
 * wall clock may have moved).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dhcp_file.h"
#include "dhcp_pool.h"
#include "fuzz.h"
#include "log.h"

#define FUZZ_FIRST   0xc0a86902u /* 192.168.105.2 */
#define FUZZ_SIZE    16u
#define FUZZ_RESV    0xc0a86905u
#define FUZZ_GW	     0xc0a86901u
#define FUZZ_LEASE_S 600u
#define FUZZ_NOW     5000000 /* monotonic milliseconds */
#define FUZZ_MAX_AGE (10 * 31536000LL)

static char fuzz_dir[256], fuzz_in_path[300], fuzz_out_path[300];

/**
 * fuzz_cleanup() - remove the scratch files (at exit)
 */
static void fuzz_cleanup(void)
{
	unlink(fuzz_in_path);
	unlink(fuzz_out_path);
	rmdir(fuzz_dir);
}

/**
 * fuzz_setup() - make the scratch directory, once
 */
static void fuzz_setup(void)
{
	log_init("fuzz_leasefile", LOG_LVL_ERROR);
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz_leasefile.XXXXXX",
		 fuzz_tmpdir());
	FUZZ_ASSERT(mkdtemp(fuzz_dir) != NULL);
	snprintf(fuzz_in_path, sizeof(fuzz_in_path), "%s/in", fuzz_dir);
	snprintf(fuzz_out_path, sizeof(fuzz_out_path), "%s/out", fuzz_dir);
	atexit(fuzz_cleanup);
}

/**
 * fuzz_line() - parse one line, format it and parse it back
 * @p:		the line's bytes (no newline)
 * @n:		how many
 * @wall:	the wall clock, seconds
 */
static void fuzz_line(const uint8_t *p, size_t n, int64_t wall)
{
	struct dhcp_pool_lease l, l2;
	char *line = malloc(n + 1), buf[DHCP_FILE_LINE_MAX];
	size_t len;

	FUZZ_ASSERT(line != NULL);
	memcpy(line, p, n);
	line[n] = '\0';
	if (!dhcp_file_lease_parse(line, FUZZ_NOW, wall, FUZZ_LEASE_S, &l)) {
		free(line);
		return;
	}
	free(line);
	FUZZ_ASSERT(l.client.keylen >= 2 && l.client.keylen <= 64);
	FUZZ_ASSERT(l.expire_ms >= FUZZ_NOW - FUZZ_MAX_AGE * 1000);
	FUZZ_ASSERT(l.expire_ms <= FUZZ_NOW + FUZZ_LEASE_S * 1000);
	len = dhcp_file_lease_fmt(&l, FUZZ_NOW, wall, buf, sizeof(buf));
	FUZZ_ASSERT(len > 0 && len < sizeof(buf) && strlen(buf) == len);
	FUZZ_ASSERT(buf[len - 1] == '\n' && strchr(buf, '\n') == buf + len - 1);
	buf[len - 1] = '\0';
	FUZZ_ASSERT(
	    dhcp_file_lease_parse(buf, FUZZ_NOW, wall, FUZZ_LEASE_S, &l2));
	FUZZ_ASSERT(l2.addr == l.addr && l2.expire_ms == l.expire_ms);
	FUZZ_ASSERT(!memcmp(&l2.client, &l.client, sizeof(l.client)));
}

/**
 * fuzz_load() - load a lease file into a fresh pool and read the leases
 * @path:	the file
 * @out:	the leases, by pool index
 * @have:	which indexes have one
 *
 * Return: how many leases the pool holds
 */
static unsigned int fuzz_load(const char *path, struct dhcp_pool_lease *out,
			      bool *have)
{
	struct dhcp_pool_resv *v = calloc(1, sizeof(*v));
	unsigned int n = 0;
	char err[256];

	FUZZ_ASSERT(v != NULL);
	v->addr = FUZZ_RESV;
	memcpy(v->mac, "\x52\x54\0\0\0\x05", 6);
	FUZZ_ASSERT(
	    dhcp_pool_init(FUZZ_FIRST, FUZZ_SIZE, FUZZ_GW, FUZZ_LEASE_S) == 0);
	dhcp_pool_set_resv(v, 1);
	FUZZ_ASSERT(dhcp_file_load_leases(path, FUZZ_NOW, FUZZ_LEASE_S, err,
					  sizeof(err)) == 0);
	for (uint32_t i = 0; i < FUZZ_SIZE; i++) {
		struct dhcp_pool_lease *l = &out[i];
		const struct dhcp_pool_client *c = &l->client;

		have[i] = dhcp_pool_get(i, FUZZ_NOW, l);
		if (!have[i])
			continue;
		n++;
		FUZZ_ASSERT(l->addr == FUZZ_FIRST + i && l->addr != FUZZ_RESV);
		FUZZ_ASSERT((c->key[0] == 0 && c->keylen == 7) ||
			    (c->key[0] == 3 && c->keylen > 7 &&
			     c->keylen <= DHCP_POOL_KEY_MAX));
		for (uint32_t j = 0; j < i; j++)
			FUZZ_ASSERT(
			    !have[j] || out[j].client.keylen != c->keylen ||
			    memcmp(out[j].client.key, c->key, c->keylen));
	}
	return n;
}

/**
 * fuzz_file() - load the input as a lease file, save it, load it again
 * @data:	the file's contents
 * @size:	their length
 */
static void fuzz_file(const uint8_t *data, size_t size)
{
	static struct dhcp_pool_lease a[FUZZ_SIZE], b[FUZZ_SIZE];
	bool ha[FUZZ_SIZE], hb[FUZZ_SIZE];
	unsigned int na, nb;

	fuzz_write_file(fuzz_in_path, data, size);
	na = fuzz_load(fuzz_in_path, a, ha);
	FUZZ_ASSERT(dhcp_file_save_leases(fuzz_out_path, FUZZ_NOW) == 0);
	nb = fuzz_load(fuzz_out_path, b, hb);
	FUZZ_ASSERT(na == nb);
	for (uint32_t i = 0; i < FUZZ_SIZE; i++) {
		FUZZ_ASSERT(ha[i] == hb[i]);
		if (!ha[i])
			continue;
		FUZZ_ASSERT(
		    !memcmp(&a[i].client, &b[i].client, sizeof(a[i].client)));
		FUZZ_ASSERT(a[i].expire_ms - b[i].expire_ms <= 2000 &&
			    b[i].expire_ms - a[i].expire_ms <= 2000);
	}
	dhcp_pool_fini();
}

/**
 * LLVMFuzzerTestOneInput() - run one input
 * @data:	the input: the text of a lease file
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t wall = (int64_t)time(NULL);
	size_t start = 0;

	if (!fuzz_dir[0])
		fuzz_setup();
	for (size_t i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		fuzz_line(data + start, i - start, wall);
		start = i + 1;
	}
	fuzz_file(data, size);
	return 0;
}
