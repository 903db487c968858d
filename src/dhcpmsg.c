/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DHCP messages on the wire: the fixed BOOTP header and the options after
 * the magic cookie, read through the packet layer's cursor.
 *
 * Theory of operation: dhcpmsg_parse() checks that the fixed part and the
 * cookie are there and points at the options; nothing about the options is
 * trusted yet. dhcpmsg_next() then yields one option at a time, skipping
 * pads, stopping at the end option or the end of the message, and marking
 * the walk bad when an option's length runs past the message. Option
 * overload (52) is not followed: sname and file are never read as options.
 */
#include <string.h>

#include "dhcpmsg.h"

/**
 * dhcpmsg_parse() - check the fixed part of a DHCP message
 * @p:		first byte of the BOOTP message (the UDP payload)
 * @len:	its length
 * @m:		filled in on success
 *
 * Return: true if the fixed part and the magic cookie are there
 */
bool dhcpmsg_parse(const uint8_t *p, size_t len, struct dhcpmsg *m)
{
	struct pkt_cur c;
	uint8_t hops;
	uint32_t magic;

	pkt_cur_init(&c, p, len);
	if (!pkt_get_u8(&c, &m->op) || !pkt_get_u8(&c, &m->htype) ||
	    !pkt_get_u8(&c, &m->hlen) || !pkt_get_u8(&c, &hops) ||
	    !pkt_get_u32(&c, &m->xid) || !pkt_get_u16(&c, &m->secs) ||
	    !pkt_get_u16(&c, &m->flags) || !pkt_get_u32(&c, &m->ciaddr) ||
	    !pkt_get_u32(&c, &m->yiaddr) || !pkt_get_u32(&c, &m->siaddr) ||
	    !pkt_get_u32(&c, &m->giaddr) ||
	    !pkt_get_ptr(&c, DHCPMSG_CHADDR_LEN, &m->chaddr) ||
	    !pkt_skip(&c, 64 + 128) || !pkt_get_u32(&c, &magic) ||
	    magic != DHCPMSG_MAGIC)
		return false;
	m->opts_len = pkt_left(&c);
	return pkt_get_ptr(&c, m->opts_len, &m->opts);
}

/**
 * dhcpmsg_iter_init() - start walking a message's options
 * @it:		the iterator
 * @m:		a message from dhcpmsg_parse()
 */
void dhcpmsg_iter_init(struct dhcpmsg_iter *it, const struct dhcpmsg *m)
{
	pkt_cur_init(&it->c, m->opts, m->opts_len);
	it->done = false;
	it->bad = false;
}

/**
 * dhcpmsg_next() - read the next option
 * @it:		the iterator
 * @o:		the option, on success
 *
 * Return: true with @o filled, false at the end (@it->bad set if the
 * options were malformed, @it->done if an end option was read)
 */
bool dhcpmsg_next(struct dhcpmsg_iter *it, struct dhcpmsg_opt *o)
{
	while (!it->done && !it->bad) {
		if (!pkt_get_u8(&it->c, &o->code)) {
			it->bad = true; /* no end option */
			break;
		}
		if (o->code == DHCPMSG_OPT_PAD)
			continue;
		if (o->code == DHCPMSG_OPT_END) {
			it->done = true;
			break;
		}
		if (!pkt_get_u8(&it->c, &o->len) ||
		    !pkt_get_ptr(&it->c, o->len, &o->val)) {
			it->bad = true;
			break;
		}
		return true;
	}
	return false;
}

/**
 * dhcpmsg_find() - find the first instance of an option
 * @m:		the message
 * @code:	option code
 * @o:		the option, when found
 *
 * Options after a malformed one are not looked at.
 *
 * Return: true if found
 */
bool dhcpmsg_find(const struct dhcpmsg *m, uint8_t code, struct dhcpmsg_opt *o)
{
	struct dhcpmsg_iter it;

	dhcpmsg_iter_init(&it, m);
	while (dhcpmsg_next(&it, o))
		if (o->code == code)
			return true;
	return false;
}

/**
 * dhcpmsg_type() - the message type (option 53)
 * @m:		the message
 *
 * Return: the type, 0 if absent or malformed
 */
unsigned int dhcpmsg_type(const struct dhcpmsg *m)
{
	struct dhcpmsg_opt o;

	if (!dhcpmsg_find(m, DHCPMSG_OPT_MSG_TYPE, &o) || o.len != 1)
		return 0;
	return o.val[0];
}

/**
 * dhcpmsg_client_id() - the client identifier (option 61)
 * @m:		the message
 * @o:		the option, when found
 *
 * The first option 61 that is not empty: the guards and the server must
 * name a client the same way.
 *
 * Return: true if the message carries a client identifier
 */
bool dhcpmsg_client_id(const struct dhcpmsg *m, struct dhcpmsg_opt *o)
{
	struct dhcpmsg_iter it;

	dhcpmsg_iter_init(&it, m);
	while (dhcpmsg_next(&it, o))
		if (o->code == DHCPMSG_OPT_CLIENT_ID && o->len)
			return true;
	return false;
}

/**
 * dhcpmsg_opt_u32() - value of an option holding one 32-bit number
 * @o:		the option; its length must be 4 (checked by the caller)
 *
 * Return: the value, host order
 */
uint32_t dhcpmsg_opt_u32(const struct dhcpmsg_opt *o)
{
	struct pkt_cur c;
	uint32_t v = 0;

	pkt_cur_init(&c, o->val, o->len);
	pkt_get_u32(&c, &v);
	return v;
}

/**
 * dhcpmsg_put_opt() - write an option
 * @w:		the writer
 * @code:	option code
 * @val:	its value
 * @len:	its length
 */
void dhcpmsg_put_opt(struct pkt_wr *w, uint8_t code, const void *val,
		     uint8_t len)
{
	pkt_put_u8(w, code);
	pkt_put_u8(w, len);
	pkt_put_bytes(w, val, len);
}

/**
 * dhcpmsg_put_opt_u32() - write an option holding one 32-bit value
 * @w:		the writer
 * @code:	option code
 * @v:		the value, host order
 */
void dhcpmsg_put_opt_u32(struct pkt_wr *w, uint8_t code, uint32_t v)
{
	pkt_put_u8(w, code);
	pkt_put_u8(w, 4);
	pkt_put_u32(w, v);
}
