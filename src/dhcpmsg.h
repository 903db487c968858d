/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DHCP messages on the wire (RFC 2131, 2132): the BOOTP header, its
 * constants, and the one option iterator of the daemon. The guards and
 * the DHCP server both read DHCP messages only through this layer.
 */
#ifndef DHCPMSG_H
#define DHCPMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define DHCPMSG_FIXED	   236u /* BOOTP header before the magic cookie */
#define DHCPMSG_OPTIONS	   240u /* offset of the first option */
#define DHCPMSG_MIN_LEN	   300u /* BOOTP message size old clients expect */
#define DHCPMSG_MAGIC	   0x63825363u
#define DHCPMSG_OP_REQUEST 1u
#define DHCPMSG_OP_REPLY   2u
#define DHCPMSG_FLAG_BCAST 0x8000u
#define DHCPMSG_CHADDR_LEN 16u

/* Message types (option 53) */
#define DHCPMSG_DISCOVER 1u
#define DHCPMSG_OFFER	 2u
#define DHCPMSG_REQUEST	 3u
#define DHCPMSG_DECLINE	 4u
#define DHCPMSG_ACK	 5u
#define DHCPMSG_NAK	 6u
#define DHCPMSG_RELEASE	 7u
#define DHCPMSG_INFORM	 8u

/* Options */
#define DHCPMSG_OPT_PAD	      0u
#define DHCPMSG_OPT_MASK      1u
#define DHCPMSG_OPT_ROUTER    3u
#define DHCPMSG_OPT_DNS	      6u
#define DHCPMSG_OPT_HOSTNAME  12u
#define DHCPMSG_OPT_MTU	      26u
#define DHCPMSG_OPT_BCAST     28u
#define DHCPMSG_OPT_REQ_ADDR  50u
#define DHCPMSG_OPT_LEASE     51u
#define DHCPMSG_OPT_MSG_TYPE  53u
#define DHCPMSG_OPT_SERVER_ID 54u
#define DHCPMSG_OPT_PARAMS    55u
#define DHCPMSG_OPT_T1	      58u
#define DHCPMSG_OPT_T2	      59u
#define DHCPMSG_OPT_CLIENT_ID 61u
#define DHCPMSG_OPT_END	      255u

/**
 * struct dhcpmsg - the fixed part of a DHCP message, checked
 * @op:		1 request, 2 reply
 * @htype:	hardware type
 * @hlen:	hardware address length
 * @xid:	transaction id
 * @secs:	seconds since the client began
 * @flags:	BOOTP flags
 * @ciaddr:	client address, host order
 * @yiaddr:	"your" address, host order
 * @siaddr:	next server address, host order
 * @giaddr:	relay address, host order
 * @chaddr:	the 16-byte client hardware address field (in the message)
 * @opts:	first byte of the options
 * @opts_len:	bytes from there to the end of the message
 */
struct dhcpmsg {
	uint8_t op;
	uint8_t htype;
	uint8_t hlen;
	uint32_t xid;
	uint16_t secs;
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t yiaddr;
	uint32_t siaddr;
	uint32_t giaddr;
	const uint8_t *chaddr;
	const uint8_t *opts;
	size_t opts_len;
};

/**
 * struct dhcpmsg_iter - walks the options of a message
 * @c:		cursor over the options
 * @done:	the end option was read, or the options ran out
 * @bad:	an option ran past the end of the message
 */
struct dhcpmsg_iter {
	struct pkt_cur c;
	bool done;
	bool bad;
};

/**
 * struct dhcpmsg_opt - one option
 * @code:	option code
 * @len:	length of its value
 * @val:	its value (in the message)
 */
struct dhcpmsg_opt {
	uint8_t code;
	uint8_t len;
	const uint8_t *val;
};

bool dhcpmsg_parse(const uint8_t *p, size_t len, struct dhcpmsg *m);
void dhcpmsg_iter_init(struct dhcpmsg_iter *it, const struct dhcpmsg *m);
bool dhcpmsg_next(struct dhcpmsg_iter *it, struct dhcpmsg_opt *o);
bool dhcpmsg_find(const struct dhcpmsg *m, uint8_t code, struct dhcpmsg_opt *o);
unsigned int dhcpmsg_type(const struct dhcpmsg *m);
bool dhcpmsg_client_id(const struct dhcpmsg *m, struct dhcpmsg_opt *o);
uint32_t dhcpmsg_opt_u32(const struct dhcpmsg_opt *o);

void dhcpmsg_put_opt(struct pkt_wr *w, uint8_t code, const void *val,
		     uint8_t len);
void dhcpmsg_put_opt_u32(struct pkt_wr *w, uint8_t code, uint32_t v);

#endif /* DHCPMSG_H */
