/* SPDX-License-Identifier: Apache-2.0 */
#ifndef FDB_H
#define FDB_H

#include <stdbool.h>
#include <stdint.h>

/**
 * struct fdb_entry - one learned MAC address
 * @mac:	the address
 * @port:	port index it was last seen on
 * @gen:	generation of that port when learned (see fdb_port_gone())
 * @seen_ms:	when it was last seen (monotonic milliseconds), 0 = empty
 */
struct fdb_entry {
	uint8_t mac[6];
	uint16_t port;
	uint32_t gen;
	uint64_t seen_ms;
};

/**
 * struct fdb - forwarding database: which port each MAC address is behind
 * @tab:	open-addressed table, size is a power of two
 * @mask:	size - 1
 * @port_gen:	current generation of every port index
 * @max_ports:	number of port indexes
 * @age_ms:	entries older than this are ignored
 * @learned:	new entries
 * @moved:	entries that changed port
 * @evicted:	live entries pushed out because their probe window was full
 */
struct fdb {
	struct fdb_entry *tab;
	uint32_t mask;
	uint32_t *port_gen;
	unsigned int max_ports;
	uint64_t age_ms;
	uint64_t learned;
	uint64_t moved;
	uint64_t evicted;
};

#define FDB_PROBE 8 /* slots searched per lookup: constant cost */

/* What fdb_learn() did */
enum fdb_learn_result {
	FDB_REFRESHED = 0,
	FDB_LEARNED,
	FDB_MOVED,
};

int fdb_init(struct fdb *f, unsigned int entries, unsigned int max_ports,
	     uint64_t age_ms);
void fdb_free(struct fdb *f);
enum fdb_learn_result fdb_learn(struct fdb *f, const uint8_t mac[6],
				unsigned int port, uint64_t now_ms);
int fdb_lookup(const struct fdb *f, const uint8_t mac[6], uint64_t now_ms);
void fdb_port_gone(struct fdb *f, unsigned int port);
bool fdb_next(const struct fdb *f, uint32_t *pos, uint64_t now_ms,
	      struct fdb_entry *e);

#endif /* FDB_H */
