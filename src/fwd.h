/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Port forwards: a port of the host that leads to a port of a guest, in
 * every NAT mode (--forward, and at run time the control socket). One
 * parser and one printer for the text form
 *
 *	[tcp:|udp:][HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT
 *
 * (tcp and 127.0.0.1 by default), the checks against the network plan,
 * the probe for a host port already in use, and a small set of forwards
 * without duplicates. The backends (tap.c with nat.c, usernat.c) install
 * them.
 */
#ifndef FWD_H
#define FWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FWD_MAX	   64u /* forwards at once, per daemon */
#define FWD_STRLEN 48u /* "udp:255.255.255.255:65535:255.255.255.255:65535" */

/**
 * enum fwd_proto - the transport a forward carries
 */
enum fwd_proto {
	FWD_TCP = 0,
	FWD_UDP,
};

/**
 * struct fwd_spec - one forward, addresses in host order
 * @proto:	tcp or udp
 * @host_addr:	host address listened on (0: every address of the host)
 * @host_port:	host port, 1..65535
 * @guest_addr:	the guest's address
 * @guest_port:	the guest's port, 1..65535
 */
struct fwd_spec {
	enum fwd_proto proto;
	uint32_t host_addr;
	uint16_t host_port;
	uint32_t guest_addr;
	uint16_t guest_port;
};

/**
 * struct fwd_set - forwards in force, none of them conflicting
 * @f:		the forwards, in the order they were added
 * @n:		how many
 */
struct fwd_set {
	struct fwd_spec f[FWD_MAX];
	unsigned int n;
};

int fwd_parse(const char *text, struct fwd_spec *f, char *err, size_t errlen);
char *fwd_format(const struct fwd_spec *f, char buf[FWD_STRLEN]);
const char *fwd_proto_name(enum fwd_proto proto);
bool fwd_host_is_loopback(const struct fwd_spec *f);
int fwd_check_net(const struct fwd_spec *f, uint32_t gateway, uint32_t mask,
		  char *err, size_t errlen);
bool fwd_conflict(const struct fwd_spec *a, const struct fwd_spec *b);
int fwd_probe(const struct fwd_spec *f, char *err, size_t errlen);
int fwd_set_add(struct fwd_set *s, const struct fwd_spec *f, char *err,
		size_t errlen);
int fwd_set_find(const struct fwd_set *s, const struct fwd_spec *f);
void fwd_set_remove(struct fwd_set *s, unsigned int i);

#endif /* FWD_H */
