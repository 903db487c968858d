/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Port forwards: the text form, its checks, the busy-port probe and the
 * set of forwards in force (see fwd.h).
 *
 * A forward is known by its host side (protocol, address, port): two
 * forwards conflict when they would listen on the same port of the same
 * protocol, 0.0.0.0 overlapping every address.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "addr.h"
#include "compat.h"
#include "err.h"
#include "fwd.h"
#include "net.h"

#define FWD_FIELDS                                                             \
	5u /* proto, host address, host port, guest address, port              \
	    */
#define FWD_TEXT_MAX 64u
#define FWD_LOOPBACK 0x7f000001u /* 127.0.0.1, the default host address */
#define FWD_SYNTAX   "[tcp:|udp:][HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT"

/**
 * fwd_port() - parse a port number: 1 to 5 digits, 1..65535
 * @text:	the field
 * @port:	the value, set on success
 *
 * Return: true if @text is a port number
 */
static bool fwd_port(const char *text, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)text[0]) || strlen(text) > 5)
		return false;
	v = strtoul(text, &end, 10);
	if (*end || v < 1 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/**
 * fwd_split() - cut a spec into its ':'-separated fields
 * @buf:	a copy of the spec, cut in place
 * @fields:	filled with up to FWD_FIELDS pointers into @buf
 *
 * Return: the number of fields, or FWD_FIELDS + 1 when there are more
 */
static unsigned int fwd_split(char *buf, char *fields[FWD_FIELDS])
{
	unsigned int n = 0;
	char *p = buf;

	for (;;) {
		char *colon = strchr(p, ':');

		if (n == FWD_FIELDS)
			return FWD_FIELDS + 1;
		fields[n++] = p;
		if (!colon)
			return n;
		*colon = '\0';
		p = colon + 1;
	}
}

/**
 * fwd_parse() - read a forward in its text form
 * @text:	[tcp:|udp:][HOSTADDR:]HOSTPORT:GUESTADDR:GUESTPORT
 * @f:		filled in on success
 * @err:	buffer for a one-line message
 * @errlen:	its size
 *
 * Only the form is checked here; whether the guest address belongs to the
 * VM network is fwd_check_net()'s question.
 *
 * Return: 0 on success, -1 with a message in @err
 */
int fwd_parse(const char *text, struct fwd_spec *f, char *err, size_t errlen)
{
	char buf[FWD_TEXT_MAX], *fl[FWD_FIELDS];
	unsigned int n, i = 0;

	memset(f, 0, sizeof(*f));
	f->host_addr = FWD_LOOPBACK;
	if (strlen(text) >= sizeof(buf))
		return err_set(err, errlen, "\"%.20s...\" is too long", text);
	memcpy(buf, text, strlen(text) + 1);
	n = fwd_split(buf, fl);
	if (n > 1 && (!strcmp(fl[0], "tcp") || !strcmp(fl[0], "udp"))) {
		f->proto = strcmp(fl[0], "tcp") ? FWD_UDP : FWD_TCP;
		i = 1;
	}
	if (n - i != 3 && n - i != 4)
		return err_set(err, errlen, "\"%s\" is not %s", text,
			       FWD_SYNTAX);
	if (n - i == 4 && !addr_ip4_parse(fl[i++], &f->host_addr))
		return err_set(err, errlen,
			       "\"%s\": bad host address \"%s\" (an IPv4 "
			       "address, 0.0.0.0 for all)",
			       text, fl[i - 1]);
	if (!fwd_port(fl[i], &f->host_port))
		return err_set(err, errlen,
			       "\"%s\": bad host port \"%s\" (1-65535)", text,
			       fl[i]);
	if (!addr_ip4_parse(fl[i + 1], &f->guest_addr) || !f->guest_addr)
		return err_set(err, errlen,
			       "\"%s\": bad guest address \"%s\" (an IPv4 "
			       "address on the VM network)",
			       text, fl[i + 1]);
	if (!fwd_port(fl[i + 2], &f->guest_port))
		return err_set(err, errlen,
			       "\"%s\": bad guest port \"%s\" (1-65535)", text,
			       fl[i + 2]);
	return 0;
}

/**
 * fwd_proto_name() - "tcp" or "udp"
 * @proto:	the protocol
 *
 * Return: its name
 */
const char *fwd_proto_name(enum fwd_proto proto)
{
	return proto == FWD_UDP ? "udp" : "tcp";
}

/**
 * fwd_format() - a forward in its full text form, which fwd_parse() reads
 * @f:		the forward
 * @buf:	where the text goes
 *
 * Return: @buf
 */
char *fwd_format(const struct fwd_spec *f, char buf[FWD_STRLEN])
{
	char h[ADDR_IP4_STRLEN], g[ADDR_IP4_STRLEN];

	snprintf(buf, FWD_STRLEN, "%s:%s:%u:%s:%u", fwd_proto_name(f->proto),
		 addr_ip4_fmt(f->host_addr, h), f->host_port,
		 addr_ip4_fmt(f->guest_addr, g), f->guest_port);
	return buf;
}

/**
 * fwd_host_is_loopback() - whether a forward listens on loopback only
 * @f:		the forward
 *
 * Return: true for a host address in 127.0.0.0/8
 */
bool fwd_host_is_loopback(const struct fwd_spec *f)
{
	return (f->host_addr >> 24) == 127;
}

/**
 * fwd_check_net() - whether a forward's guest address is a guest's
 * @f:		the forward
 * @gateway:	the gateway of the VM network, host order
 * @mask:	its netmask, host order
 * @err:	buffer for a one-line message
 * @errlen:	its size
 *
 * Return: 0 if the guest address is on the network and is neither the
 * gateway, nor its network or broadcast address; -1 with @err otherwise
 */
int fwd_check_net(const struct fwd_spec *f, uint32_t gateway, uint32_t mask,
		  char *err, size_t errlen)
{
	char fb[FWD_STRLEN], nb[ADDR_IP4_STRLEN];
	uint32_t net = gateway & mask, g = f->guest_addr;

	if ((g & mask) != net || g == net || g == net_broadcast(gateway, mask))
		return err_set(err, errlen,
			       "forward %s: guest address is not on the VM "
			       "network %s/%d",
			       fwd_format(f, fb), addr_ip4_fmt(net, nb),
			       addr_mask_plen(mask));
	if (g == gateway)
		return err_set(err, errlen,
			       "forward %s: the guest address is the gateway's",
			       fwd_format(f, fb));
	return 0;
}

/**
 * fwd_conflict() - whether two forwards would take the same host port
 * @a:		one forward
 * @b:		another
 *
 * Return: true for the same protocol and port on the same address, or on
 * any address when one of them listens on all (0.0.0.0)
 */
bool fwd_conflict(const struct fwd_spec *a, const struct fwd_spec *b)
{
	return a->proto == b->proto && a->host_port == b->host_port &&
	       (a->host_addr == b->host_addr || !a->host_addr || !b->host_addr);
}

/**
 * fwd_probe() - take a forward's host port, to see that it is free
 * @f:		the forward
 * @err:	buffer for a one-line message
 * @errlen:	its size
 *
 * Binds a socket of the forward's protocol to its host address and port
 * (with SO_REUSEADDR, as a listener would: a connection in TIME_WAIT does
 * not count as a user). The caller keeps the socket to hold the port, or
 * closes it.
 *
 * Return: the bound socket, -1 with @err set when the port is in use or
 * cannot be bound
 */
int fwd_probe(const struct fwd_spec *f, char *err, size_t errlen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char fb[FWD_STRLEN];
	int one = 1, s;

	s = compat_socket(AF_INET,
			  f->proto == FWD_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (s < 0)
		return err_sys(err, errlen, "forward %s: socket",
			       fwd_format(f, fb));
	sa.sin_addr.s_addr = htonl(f->host_addr);
	sa.sin_port = htons(f->host_port);
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
	    bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return s;
	if (errno == EADDRINUSE)
		err_set(err, errlen,
			"forward %s: host port %u/%s is already in use on %s",
			fwd_format(f, fb), f->host_port,
			fwd_proto_name(f->proto), inet_ntoa(sa.sin_addr));
	else
		err_sys(err, errlen, "forward %s: cannot bind the host port",
			fwd_format(f, fb));
	close(s);
	return -1;
}

/**
 * fwd_set_find() - find the forward with the same host side
 * @s:		the set
 * @f:		the forward (its guest side is not compared)
 *
 * Return: its index in @s, -1 when there is none
 */
int fwd_set_find(const struct fwd_set *s, const struct fwd_spec *f)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (s->f[i].proto == f->proto &&
		    s->f[i].host_addr == f->host_addr &&
		    s->f[i].host_port == f->host_port)
			return (int)i;
	return -1;
}

/**
 * fwd_set_add() - add a forward to a set
 * @s:		the set
 * @f:		the forward
 * @err:	buffer for a one-line message
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set if it conflicts with one in the
 * set or the set is full
 */
int fwd_set_add(struct fwd_set *s, const struct fwd_spec *f, char *err,
		size_t errlen)
{
	char a[FWD_STRLEN], b[FWD_STRLEN];

	for (unsigned int i = 0; i < s->n; i++)
		if (fwd_conflict(&s->f[i], f))
			return err_set(err, errlen,
				       "forward %s: its host port is taken by "
				       "forward %s",
				       fwd_format(f, a),
				       fwd_format(&s->f[i], b));
	if (s->n >= FWD_MAX)
		return err_set(err, errlen, "too many forwards (max %u)",
			       FWD_MAX);
	s->f[s->n++] = *f;
	return 0;
}

/**
 * fwd_set_remove() - take a forward out of a set, keeping the order
 * @s:		the set
 * @i:		its index, from fwd_set_find()
 */
void fwd_set_remove(struct fwd_set *s, unsigned int i)
{
	if (i >= s->n)
		return;
	memmove(&s->f[i], &s->f[i + 1], (s->n - i - 1) * sizeof(s->f[0]));
	s->n--;
}
