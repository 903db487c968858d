/* SPDX-License-Identifier: Apache-2.0 */
#ifndef DGRAM_H
#define DGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

/**
 * struct dgram_stats - counters of the datagram side as a whole
 * @hellos:	"VFKT" hellos consumed
 * @bad:	datagrams dropped as truncated, too short or too long
 * @unnamed:	datagrams from senders without an address (cannot answer)
 * @peers_gone:	peers forgotten because their socket went away
 */
struct dgram_stats {
	uint64_t hellos;
	uint64_t bad;
	uint64_t unnamed;
	uint64_t peers_gone;
};

int dgram_init(size_t max_frame, unsigned int max_ports);
void dgram_fini(void);
struct sock_owner;
struct port;
int dgram_listen(const char *path, const struct sock_owner *o, char *err,
		 size_t errlen);
void dgram_unlisten(void);
void dgram_drop_fd(void);
/* opens a datagram socket connected to a peer's address, or returns -1 */
typedef int (*dgram_connector_fn)(const struct sockaddr_un *sa, socklen_t len);
void dgram_set_connector(dgram_connector_fn fn);
struct port *dgram_port_open(int fd);
const struct dgram_stats *dgram_get_stats(void);

#endif /* DGRAM_H */
