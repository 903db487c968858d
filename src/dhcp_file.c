/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DHCP server's files (see dhcp_file.h): the lease file and the hosts
 * file. Nothing here keeps state between calls.
 *
 * Theory of operation: the pool runs on the monotonic clock, the lease file
 * on the wall clock, so that leases survive a restart (and a reboot). A
 * lease is written with its expiry as wall-clock seconds (now + time left)
 * and read back as monotonic milliseconds (now + time left), the time left
 * cut to the lease time now configured and, for leases that ended long
 * ago, to DHCP_FILE_MAX_AGE_SECS. The file is rewritten whole through
 * file_atomic_open() (a temporary file in the same directory, synced, then
 * renamed), so a crash or a full disk leaves the old file or the new, never
 * a mix. Unusable lines are skipped when reading: a damaged lease file
 * costs leases, never the start of the server. A hosts file, written by
 * hand, is refused as a whole if any line is bad, with the line's number.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "dhcp_file.h"
#include "err.h"
#include "file.h"
#include "log.h"

#define DHCP_FILE_MAX_RESV     65536u		 /* reservation lines */
#define DHCP_FILE_MAX_AGE_SECS (10 * 31536000LL) /* ended leases: ten years */

/**
 * dhcp_file_wall() - the wall-clock time
 *
 * Return: seconds since the Unix epoch
 */
static int64_t dhcp_file_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/**
 * dhcp_file_key_parse() - read a client key written in hexadecimal
 * @hex:	the text, an even number of hexadecimal digits
 * @cl:		its key and key length are set
 *
 * Return: true if @hex is such a key, 2 to DHCP_POOL_KEY_MAX bytes long
 */
static bool dhcp_file_key_parse(const char *hex, struct dhcp_pool_client *cl)
{
	size_t n = strlen(hex);

	if (n % 2 || n < 4 || n / 2 > DHCP_POOL_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)hex[i]))
			return false;
	for (size_t i = 0; i < n / 2; i++) {
		char byte[3] = {hex[2 * i], hex[2 * i + 1], '\0'};

		cl->key[i] = (uint8_t)strtoul(byte, NULL, 16);
	}
	cl->keylen = (uint8_t)(n / 2);
	return true;
}

/**
 * dhcp_file_lease_parse() - read one line of the lease file
 * @line:	the line, NUL-terminated, newline removed (it is cut up)
 * @now:	current monotonic time, milliseconds
 * @wall:	current wall-clock time, seconds
 * @lease_secs:	the lease time: longer times left are cut to it
 * @l:		the lease, filled in
 *
 * Only the syntax is checked here; whether the pool can take the lease is
 * dhcp_pool_restore()'s business.
 *
 * Return: true if the line is "ADDRESS MAC EXPIRY KEY"
 */
bool dhcp_file_lease_parse(char *line, int64_t now, int64_t wall,
			   uint32_t lease_secs, struct dhcp_pool_lease *l)
{
	char *save = NULL, *f[5], *end;
	long long exp;
	int64_t left;
	int n = 0;

	memset(l, 0, sizeof(*l));
	for (char *t = strtok_r(line, " \t\r", &save); t && n < 5;
	     t = strtok_r(NULL, " \t\r", &save))
		f[n++] = t;
	if (n != 4 || !addr_ip4_parse(f[0], &l->addr) ||
	    !addr_mac_parse(f[1], l->client.mac))
		return false;
	errno = 0;
	exp = strtoll(f[2], &end, 10);
	if (errno || *end || end == f[2])
		return false;
	if (!dhcp_file_key_parse(f[3], &l->client))
		return false;
	if (exp > wall + (int64_t)lease_secs)
		left = lease_secs; /* the lease time was shortened */
	else if (exp < wall - DHCP_FILE_MAX_AGE_SECS)
		left = -DHCP_FILE_MAX_AGE_SECS;
	else
		left = (int64_t)exp - wall;
	l->expire_ms = now + left * 1000;
	return true;
}

/**
 * dhcp_file_lease_fmt() - write one line of the lease file
 * @l:		the lease
 * @now:	current monotonic time, milliseconds
 * @wall:	current wall-clock time, seconds
 * @buf:	where the line is written, newline included
 * @len:	its size, at least DHCP_FILE_LINE_MAX
 *
 * Return: the length of the line, 0 if @len is too small
 */
size_t dhcp_file_lease_fmt(const struct dhcp_pool_lease *l, int64_t now,
			   int64_t wall, char *buf, size_t len)
{
	char ip[ADDR_IP4_STRLEN], mac[ADDR_MAC_STRLEN];
	size_t used;

	if (len < DHCP_FILE_LINE_MAX)
		return 0;
	used = (size_t)snprintf(buf, len, "%s %s %" PRId64 " ",
				addr_ip4_fmt(l->addr, ip),
				addr_mac_fmt(l->client.mac, mac),
				wall + (l->expire_ms - now) / 1000);
	for (unsigned int k = 0; k < l->client.keylen; k++)
		used += (size_t)snprintf(buf + used, len - used, "%02x",
					 l->client.key[k]);
	buf[used++] = '\n';
	buf[used] = '\0';
	return used;
}

/**
 * dhcp_file_save_leases() - write the pool's leases to the lease file
 * @path:	the lease file
 * @now_ms:	current time, monotonic milliseconds
 *
 * Writes every lease, and every ended lease that still remembers its
 * client (so returning clients get their address back after a restart),
 * replacing the file atomically.
 *
 * Return: 0 on success, -1 with errno set (the old file stays as it was)
 */
int dhcp_file_save_leases(const char *path, uint64_t now_ms)
{
	char buf[8192];
	int64_t now = (int64_t)now_ms, wall = dhcp_file_wall();
	struct dhcp_pool_lease l;
	struct file_atomic f;
	size_t used;

	if (file_atomic_open(&f, path, 0644) < 0)
		return -1;
	used = (size_t)snprintf(buf, sizeof(buf),
				"# socket_vmnet DHCP leases: address mac "
				"expiry(unix time) client-key\n");
	for (uint32_t i = 0; i < dhcp_pool_size(); i++) {
		if (!dhcp_pool_get(i, now, &l))
			continue;
		if (sizeof(buf) - used < DHCP_FILE_LINE_MAX) {
			if (file_atomic_write(&f, buf, used) < 0)
				return -1;
			used = 0;
		}
		used += dhcp_file_lease_fmt(&l, now, wall, buf + used,
					    sizeof(buf) - used);
	}
	if (file_atomic_write(&f, buf, used) < 0)
		return -1;
	return file_atomic_commit(&f, NULL);
}

/**
 * dhcp_file_load_leases() - read the lease file into the pool
 * @path:	the lease file
 * @now_ms:	current time, monotonic milliseconds
 * @lease_secs:	the lease time: longer leases are cut to it
 * @err:	error message buffer
 * @errlen:	its size
 *
 * Lines that cannot be used are skipped and counted in a warning. A
 * missing file is not an error.
 *
 * Return: 0 on success, -1 with @err set if the file exists but cannot be
 * read
 */
int dhcp_file_load_leases(const char *path, uint64_t now_ms,
			  uint32_t lease_secs, char *err, size_t errlen)
{
	unsigned int loaded = 0, skipped = 0;
	struct dhcp_pool_lease l;
	char line[512];
	int64_t wall;
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		return err_sys(err, errlen, "%s", path);
	}
	wall = dhcp_file_wall();
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);

		if (len && line[len - 1] == '\n') {
			line[--len] = '\0';
		} else if (!feof(f)) {
			int ch;

			while ((ch = fgetc(f)) != EOF && ch != '\n')
				;
			skipped++;
			continue;
		}
		if (line[0] == '#' || line[strspn(line, " \t\r")] == '\0')
			continue;
		if (dhcp_file_lease_parse(line, (int64_t)now_ms, wall,
					  lease_secs, &l) &&
		    dhcp_pool_restore(&l, (int64_t)now_ms))
			loaded++;
		else
			skipped++;
	}
	fclose(f);
	if (skipped)
		log_warnx("%s: %u lease lines skipped (malformed, outside the "
			  "range, reserved or duplicate)",
			  path, skipped);
	log_debug("%s: %u leases loaded", path, loaded);
	return 0;
}

/**
 * dhcp_file_name_ok() - check a reservation host name
 * @s:	the name
 *
 * Return: true for 1..DHCP_POOL_NAME_MAX letters, digits, '-', '_' and '.'
 */
static bool dhcp_file_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DHCP_POOL_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return false;
	}
	return true;
}

/**
 * struct dhcp_file_hosts - a hosts file being read
 * @path:	its name, for messages
 * @lineno:	number of the line being read
 * @gateway:	the gateway's address, never reserved
 * @mask:	the subnet mask; reserved addresses are host addresses of the
 *		gateway's subnet
 * @v:		the reservations read so far (allocated)
 * @n:		how many
 * @cap:	room in @v
 * @err:	error message buffer ("FILE:LINE: reason")
 * @errlen:	its size
 */
struct dhcp_file_hosts {
	const char *path;
	unsigned int lineno;
	uint32_t gateway;
	uint32_t mask;
	struct dhcp_pool_resv *v;
	unsigned int n;
	unsigned int cap;
	char *err;
	size_t errlen;
};

/**
 * dhcp_file_host_parse() - check the fields of one reservation line
 * @h:		the file being read
 * @fld:	the fields
 * @nf:		how many (1 or more)
 * @r:		the reservation, filled in
 *
 * Return: 0, or -1 with the error message set
 */
static int dhcp_file_host_parse(struct dhcp_file_hosts *h, char **fld, int nf,
				struct dhcp_pool_resv *r)
{
	uint32_t net = h->gateway & h->mask, bcast = net | ~h->mask;

	if (nf < 4 || nf > 5)
		return err_set(h->err, h->errlen,
			       "%s:%u: expected \"hostname hwtype hwaddr "
			       "ipaddr [bootfile]\"",
			       h->path, h->lineno);
	memset(r, 0, sizeof(*r));
	if (!dhcp_file_name_ok(fld[0]))
		return err_set(h->err, h->errlen, "%s:%u: bad host name \"%s\"",
			       h->path, h->lineno, fld[0]);
	if (strcmp(fld[1], "1") != 0)
		return err_set(h->err, h->errlen,
			       "%s:%u: hardware type \"%s\" is not 1 "
			       "(Ethernet)",
			       h->path, h->lineno, fld[1]);
	if (!addr_mac_parse(fld[2], r->mac) || pkt_mac_is_group(r->mac))
		return err_set(h->err, h->errlen,
			       "%s:%u: bad hardware address \"%s\"", h->path,
			       h->lineno, fld[2]);
	if (!addr_ip4_parse(fld[3], &r->addr))
		return err_set(h->err, h->errlen,
			       "%s:%u: bad IPv4 address \"%s\"", h->path,
			       h->lineno, fld[3]);
	if ((r->addr & h->mask) != net || r->addr == net || r->addr == bcast ||
	    r->addr == h->gateway)
		return err_set(h->err, h->errlen,
			       "%s:%u: %s is not a free host address of "
			       "the subnet",
			       h->path, h->lineno, fld[3]);
	snprintf(r->name, sizeof(r->name), "%s", fld[0]);
	return 0;
}

/**
 * dhcp_file_host_add() - add a reservation to the ones read so far
 * @h:		the file being read
 * @r:		the reservation
 * @mac:	its hardware address as written, for messages
 * @ip:		its address as written
 *
 * Return: 0, or -1 with the error message set (a duplicate, too many,
 * out of memory)
 */
static int dhcp_file_host_add(struct dhcp_file_hosts *h,
			      const struct dhcp_pool_resv *r, const char *mac,
			      const char *ip)
{
	for (unsigned int i = 0; i < h->n; i++)
		if (memcmp(h->v[i].mac, r->mac, PKT_ETH_ALEN) == 0 ||
		    h->v[i].addr == r->addr)
			return err_set(h->err, h->errlen,
				       "%s:%u: %s or %s is already reserved",
				       h->path, h->lineno, mac, ip);
	if (h->n == DHCP_FILE_MAX_RESV)
		return err_set(h->err, h->errlen,
			       "%s:%u: more than %u reservations", h->path,
			       h->lineno, DHCP_FILE_MAX_RESV);
	if (h->n == h->cap) {
		unsigned int ncap = h->cap ? 2 * h->cap : 16;
		struct dhcp_pool_resv *nv = realloc(h->v, ncap * sizeof(*nv));

		if (!nv)
			return err_set(h->err, h->errlen, "%s: out of memory",
				       h->path);
		h->v = nv;
		h->cap = ncap;
	}
	h->v[h->n++] = *r;
	return 0;
}

/**
 * dhcp_file_hosts_lines() - read the lines of a hosts file
 * @h:		the file being read
 * @f:		the open file
 *
 * Return: 0, or -1 with the error message set
 */
static int dhcp_file_hosts_lines(struct dhcp_file_hosts *h, FILE *f)
{
	bool sep = false, before = false;
	char line[1024];

	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *fld[6], *hash;
		size_t len = strlen(line);
		struct dhcp_pool_resv r;
		int nf = 0;

		h->lineno++;
		if ((len == 0 || line[len - 1] != '\n') && !feof(f))
			return err_set(h->err, h->errlen,
				       "%s:%u: line too long", h->path,
				       h->lineno);
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		for (char *t = strtok_r(line, " \t\r\n", &save); t && nf < 6;
		     t = strtok_r(NULL, " \t\r\n", &save))
			fld[nf++] = t;
		if (!sep) {
			if (nf == 1 && strcmp(fld[0], "%%") == 0)
				sep = true;
			else if (nf)
				before = true;
			continue;
		}
		if (nf == 0)
			continue;
		if (dhcp_file_host_parse(h, fld, nf, &r) < 0 ||
		    dhcp_file_host_add(h, &r, fld[2], fld[3]) < 0)
			return -1;
	}
	if (ferror(f))
		return err_set(h->err, h->errlen, "%s: read error", h->path);
	if (!sep && before)
		return err_set(h->err, h->errlen,
			       "%s: no \"%%%%\" line; reservations must "
			       "follow one",
			       h->path);
	return 0;
}

/**
 * dhcp_file_read_hosts() - read a bootptab file of reservations
 * @path:	the file
 * @gateway:	the gateway's address, host order
 * @mask:	the subnet mask, host order
 * @out:	the reservations, allocated (free() it, or hand it to
 *		dhcp_pool_set_resv()); NULL when there are none
 * @nout:	how many
 * @err:	error message buffer ("FILE:LINE: reason")
 * @errlen:	its size
 *
 * Lines up to a line holding just "%%" are ignored; after it each line is
 * "hostname hwtype hwaddr ipaddr [bootfile]" with hwtype 1. '#' starts a
 * comment; blank lines are skipped. The address must be a host address of
 * the subnet other than the gateway, and neither the hardware address nor
 * the IPv4 address may appear twice. Any bad line fails the whole file.
 *
 * Return: 0 on success, -1 with @err set
 */
int dhcp_file_read_hosts(const char *path, uint32_t gateway, uint32_t mask,
			 struct dhcp_pool_resv **out, unsigned int *nout,
			 char *err, size_t errlen)
{
	struct dhcp_file_hosts h = {
	    .path = path,
	    .gateway = gateway,
	    .mask = mask,
	    .err = err,
	    .errlen = errlen,
	};
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f)
		return err_sys(err, errlen, "%s", path);
	r = dhcp_file_hosts_lines(&h, f);
	fclose(f);
	if (r < 0) {
		free(h.v);
		return -1;
	}
	*out = h.v;
	*nout = h.n;
	return 0;
}
