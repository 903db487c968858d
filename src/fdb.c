/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Forwarding database: which port a MAC address was last seen on.
 *
 * Theory of operation: an open-addressed table whose size is a power of
 * two. An address hashes to a slot and may live in any of the FDB_PROBE
 * slots that follow it, so a lookup or a learn touches at most FDB_PROBE
 * slots whatever the number of ports or addresses. Entries are never
 * deleted; they go stale instead, by age (older than @age_ms) or because
 * their port went away: each port index has a generation number, bumped by
 * fdb_port_gone(), and an entry whose generation differs is stale. Learning
 * reuses the matching entry, else the first stale or empty slot in the
 * window, else evicts the oldest entry of the window.
 */
#include <stdlib.h>
#include <string.h>

#include "fdb.h"

/**
 * fdb_hash() - hash a MAC address
 * @mac:	the address
 *
 * Return: a 32-bit hash (FNV-1a)
 */
static uint32_t fdb_hash(const uint8_t mac[6])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 6; i++) {
		h ^= mac[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

/**
 * fdb_init() - allocate an empty table
 * @f:		table to set up
 * @entries:	slots wanted, rounded up to a power of two (at least 16)
 * @max_ports:	number of port indexes that may be learned
 * @age_ms:	how long an address stays known without being seen
 *
 * Return: 0 on success, -1 if out of memory or arguments are out of range
 */
int fdb_init(struct fdb *f, unsigned int entries, unsigned int max_ports,
	     uint64_t age_ms)
{
	uint32_t size = 16;

	memset(f, 0, sizeof(*f));
	if (max_ports == 0 || max_ports > 65536 || entries > (1u << 24))
		return -1;
	while (size < entries)
		size <<= 1;
	f->tab = calloc(size, sizeof(*f->tab));
	f->port_gen = calloc(max_ports, sizeof(*f->port_gen));
	if (!f->tab || !f->port_gen) {
		fdb_free(f);
		return -1;
	}
	f->mask = size - 1;
	f->max_ports = max_ports;
	f->age_ms = age_ms;
	return 0;
}

/**
 * fdb_free() - release a table
 * @f:		the table
 */
void fdb_free(struct fdb *f)
{
	free(f->tab);
	free(f->port_gen);
	memset(f, 0, sizeof(*f));
}

/**
 * fdb_live() - tell whether an entry still means something
 * @f:		the table
 * @e:		the entry
 * @now_ms:	current time
 *
 * Return: true if the entry is in use, not aged out and its port is the
 * same one it was learned on
 */
static bool fdb_live(const struct fdb *f, const struct fdb_entry *e,
		     uint64_t now_ms)
{
	return e->seen_ms && now_ms - e->seen_ms <= f->age_ms &&
	       f->port_gen[e->port] == e->gen;
}

/**
 * fdb_learn() - record that a MAC address was seen on a port
 * @f:		the table
 * @mac:	source address of a frame (the caller skips group addresses)
 * @port:	port index the frame came from, below max_ports
 * @now_ms:	current time, non-zero
 *
 * Return: FDB_LEARNED for a new address, FDB_MOVED if it was live on
 * another port, FDB_REFRESHED otherwise
 */
enum fdb_learn_result fdb_learn(struct fdb *f, const uint8_t mac[6],
				unsigned int port, uint64_t now_ms)
{
	uint32_t i = fdb_hash(mac);
	struct fdb_entry *free_slot = NULL, *oldest = NULL, *e;
	enum fdb_learn_result r;

	if (port >= f->max_ports)
		return FDB_REFRESHED;
	for (int k = 0; k < FDB_PROBE; k++) {
		e = &f->tab[(i + (uint32_t)k) & f->mask];
		if (e->seen_ms && !memcmp(e->mac, mac, 6)) {
			if (!fdb_live(f, e, now_ms))
				r = FDB_LEARNED;
			else if (e->port != port)
				r = FDB_MOVED;
			else
				r = FDB_REFRESHED;
			goto store;
		}
		if (!free_slot && !fdb_live(f, e, now_ms))
			free_slot = e;
		if (!oldest || e->seen_ms < oldest->seen_ms)
			oldest = e;
	}
	if (free_slot) {
		e = free_slot;
	} else {
		e = oldest;
		f->evicted++;
	}
	memcpy(e->mac, mac, 6);
	r = FDB_LEARNED;
store:
	if (r == FDB_LEARNED)
		f->learned++;
	else if (r == FDB_MOVED)
		f->moved++;
	e->port = (uint16_t)port;
	e->gen = f->port_gen[port];
	e->seen_ms = now_ms;
	return r;
}

/**
 * fdb_lookup() - find the port behind a MAC address
 * @f:		the table
 * @mac:	destination address of a frame
 * @now_ms:	current time
 *
 * Return: the port index, or -1 if the address is unknown or stale (or
 * the table was never set up)
 */
int fdb_lookup(const struct fdb *f, const uint8_t mac[6], uint64_t now_ms)
{
	uint32_t i = fdb_hash(mac);

	if (!f->tab)
		return -1; /* not set up */

	for (int k = 0; k < FDB_PROBE; k++) {
		const struct fdb_entry *e =
		    &f->tab[(i + (uint32_t)k) & f->mask];

		if (e->seen_ms && !memcmp(e->mac, mac, 6))
			return fdb_live(f, e, now_ms) ? e->port : -1;
	}
	return -1;
}

/**
 * fdb_port_gone() - forget every address learned on a port, in O(1)
 * @f:		the table
 * @port:	the port index that is being closed or reused
 */
void fdb_port_gone(struct fdb *f, unsigned int port)
{
	if (port < f->max_ports)
		f->port_gen[port]++;
}

/**
 * fdb_next() - walk the live entries (for reading, not on the data path)
 * @f:		the table
 * @pos:	where the walk is; 0 to start
 * @now_ms:	current time
 * @e:		the next live entry, copied
 *
 * Return: true with @e filled in, false once every slot was seen
 */
bool fdb_next(const struct fdb *f, uint32_t *pos, uint64_t now_ms,
	      struct fdb_entry *e)
{
	if (!f->tab)
		return false;
	while (*pos <= f->mask) {
		const struct fdb_entry *x = &f->tab[(*pos)++];

		if (fdb_live(f, x, now_ms)) {
			*e = *x;
			return true;
		}
	}
	return false;
}
