/* SPDX-License-Identifier: Apache-2.0 */
/*
 * DHCPv4 server (RFC 2131, options from RFC 2132) for the VM network.
 *
 * Theory of operation: the server owns one subnet and hands out the
 * addresses of one range of it (the pool). The pool is an array with one
 * entry per address, allocated once by dhcp_init(), so an address is found
 * by subtraction and a client by a chained hash of its key: the client
 * identifier (option 61) when the client sends one, else its hardware
 * address. An entry is FREE (never used), OFFERED (held for a client for
 * DHCP_OFFER_HOLD_MS), BOUND (leased until its expiry), ENDED (released or
 * expired, still remembering its last client) or DECLINED (a client found
 * it in use; quarantined for DHCP_DECLINE_HOLD_MS). Expiry is lazy: an
 * entry whose time has passed is turned into ENDED when it is next looked
 * at, and the time it ended is kept. A client gets, in this order, its
 * reservation, the entry that still remembers it (so the same client gets
 * the same address back, also after expiry), the address it asks for if
 * that is free, a never used address, and finally the entry that ended the
 * longest time ago; so a range never runs out while leases end, and a
 * returning client finds its address unless every other one was taken
 * since. Reservations come from a bootptab file; their addresses may lie
 * outside the pool (but inside the subnet), are never given to anybody
 * else and need no lease state. The server is authoritative for its
 * subnet: a REQUEST for an address it may not give gets a NAK, whatever
 * state the client is in, so clients with stale leases restart at once.
 * Every time is the caller's monotonic clock in milliseconds, except in the
 * lease file, which stores wall-clock expiry times so leases survive a
 * restart; it is rewritten whole (temporary file, fsync, rename) at most
 * once per DHCP_SAVE_INTERVAL_MS after a change, and at dhcp_fini(). It
 * is text, one lease per line: "ADDRESS MAC EXPIRY KEY", EXPIRY in Unix
 * seconds (in the past for ended leases still remembered), KEY the client
 * key in hex; '#' lines are comments, unusable lines are skipped. A hosts
 * file with any bad line is refused as a whole (at start: an error; on
 * reload: the reservations in force stay).
 * Replies are built in the caller's buffer; nothing is allocated per
 * packet. Relayed requests (giaddr set) and option overload (52) are not
 * supported: the former are ignored, the latter's sname/file are not read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dhcp.h"
#include "log.h"

#define DHCP_OFFER_HOLD_MS    30000  /* an OFFER holds its address */
#define DHCP_DECLINE_HOLD_MS  600000 /* a DECLINEd address rests */
#define DHCP_SAVE_INTERVAL_MS 1000   /* lease file writes at most this often */
#define DHCP_MAX_RESV	      65536u /* reservation lines */
#define DHCP_NAME_MAX	      63u    /* reservation host name */

#define DHCP_MIN_MSG	300u /* BOOTP message size old clients expect */
#define DHCP_MAGIC	0x63825363u
#define DHCP_OP_REQUEST 1u
#define DHCP_OP_REPLY	2u
#define DHCP_FLAG_BCAST 0x8000u
#define DHCP_CHADDR_LEN 16u

/* Message types (option 53) */
#define DHCP_DISCOVER 1u
#define DHCP_OFFER    2u
#define DHCP_REQUEST  3u
#define DHCP_DECLINE  4u
#define DHCP_ACK      5u
#define DHCP_NAK      6u
#define DHCP_RELEASE  7u
#define DHCP_INFORM   8u

/* Options */
#define DHCP_OPT_PAD	   0u
#define DHCP_OPT_MASK	   1u
#define DHCP_OPT_ROUTER	   3u
#define DHCP_OPT_DNS	   6u
#define DHCP_OPT_HOSTNAME  12u
#define DHCP_OPT_MTU	   26u
#define DHCP_OPT_BCAST	   28u
#define DHCP_OPT_REQ_ADDR  50u
#define DHCP_OPT_LEASE	   51u
#define DHCP_OPT_MSG_TYPE  53u
#define DHCP_OPT_SERVER_ID 54u
#define DHCP_OPT_PARAMS	   55u
#define DHCP_OPT_T1	   58u
#define DHCP_OPT_T2	   59u
#define DHCP_OPT_CLIENT_ID 61u
#define DHCP_OPT_END	   255u

/*
 * A client key: one kind byte, then the hardware address, the client
 * identifier, or (identifiers too long to store) a prefix of it and a hash
 * of the whole.
 */
#define DHCP_KEY_MAX  64u
#define DHCP_KEY_HW   0u /* [0][chaddr] */
#define DHCP_KEY_HWID 3u /* [3][chaddr][client identifier, cut to fit] */

/* Pool entry flags */
#define DHCP_F_RESERVED 0x1u /* a reservation owns the address */
#define DHCP_F_GATEWAY	0x2u /* the gateway's own address */

/**
 * enum dhcp_state - state of a pool address
 * @DHCP_ST_FREE:	never handed out since the server started
 * @DHCP_ST_OFFERED:	offered to a client, held until @expire_ms
 * @DHCP_ST_BOUND:	leased to a client until @expire_ms
 * @DHCP_ST_ENDED:	released or expired at @expire_ms; may still remember
 *			its last client
 * @DHCP_ST_DECLINED:	declined by a client, unusable until @expire_ms
 */
enum dhcp_state {
	DHCP_ST_FREE = 0,
	DHCP_ST_OFFERED,
	DHCP_ST_BOUND,
	DHCP_ST_ENDED,
	DHCP_ST_DECLINED,
};

/**
 * struct dhcp_lease - one pool address
 * @expire_ms:	see enum dhcp_state (monotonic, may be negative for leases
 *		that ended before the server started)
 * @next:	next entry in the same hash chain, index + 1 (0 = none)
 * @state:	enum dhcp_state
 * @flags:	DHCP_F_*
 * @keylen:	length of @key; 0 when no client is remembered
 * @mac:	hardware address of the last client
 * @key:	the last client's key
 */
struct dhcp_lease {
	int64_t expire_ms;
	uint32_t next;
	uint8_t state;
	uint8_t flags;
	uint8_t keylen;
	uint8_t mac[PKT_ETH_ALEN];
	uint8_t key[DHCP_KEY_MAX];
};

/**
 * struct dhcp_resv - one reservation from the hosts file
 * @mac:	the client's hardware address
 * @addr:	its address, host order
 * @name:	its host name (option 12), NUL-terminated
 */
struct dhcp_resv {
	uint8_t mac[PKT_ETH_ALEN];
	uint32_t addr;
	char name[DHCP_NAME_MAX + 1];
};

/**
 * struct dhcp_req - a parsed client message
 * @type:	DHCP message type (option 53)
 * @xid:	transaction id
 * @flags:	BOOTP flags
 * @ciaddr:	client address field, host order
 * @giaddr:	relay address field, host order
 * @chaddr:	the whole client hardware address field
 * @client_id:	option 61 data, or NULL
 * @client_id_len: its length
 * @has_req_addr: option 50 was present
 * @req_addr:	option 50, host order
 * @has_server_id: option 54 was present
 * @server_id:	option 54, host order
 * @want_name:	option 55 asks for the host name (option 12)
 * @ip_src:	IPv4 source address, host order
 * @sport:	UDP source port
 * @key:	client key (see DHCP_KEY_*)
 * @keylen:	its length
 */
struct dhcp_req {
	uint8_t type;
	uint32_t xid;
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t giaddr;
	uint8_t chaddr[DHCP_CHADDR_LEN];
	const uint8_t *client_id;
	uint8_t client_id_len;
	bool has_req_addr;
	uint32_t req_addr;
	bool has_server_id;
	uint32_t server_id;
	bool want_name;
	uint32_t ip_src;
	uint16_t sport;
	uint8_t key[DHCP_KEY_MAX];
	uint8_t keylen;
};

/**
 * struct dhcp_cfg - the configuration, in host order, with defaults applied
 */
struct dhcp_cfg {
	uint32_t gw, mask, net, bcast;
	uint32_t first; /* pool: first .. first + npool - 1 */
	uint8_t mac[PKT_ETH_ALEN];
	uint16_t mtu;
	uint32_t dns[GW_MAX_DNS];
	unsigned int ndns;
	uint32_t lease_secs;
	char *hosts_file;
	char *lease_file;
	char *lease_tmp;
	void (*pending)(void);
};

static struct dhcp_cfg dhcp_cfg;
static struct dhcp_lease *dhcp_pool;
static uint32_t dhcp_npool;
static uint32_t *dhcp_bucket;
static uint32_t dhcp_bucket_mask;
static uint32_t dhcp_free_cursor; /* no FREE, usable entry below it */
static struct dhcp_resv *dhcp_resv;
static unsigned int dhcp_nresv;
static bool dhcp_dirty;
static bool dhcp_urgent; /* a new binding: write the lease file now */
static bool dhcp_saved;
static uint64_t dhcp_last_save_ms;
static struct gw_stats dhcp_st;
static struct log_limit dhcp_warn_limit;
static struct log_limit dhcp_info_limit;

/**
 * dhcp_set_err() - format an error message
 * @err:	buffer, may be NULL
 * @errlen:	its size
 * @fmt:	printf format
 */
static void dhcp_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void dhcp_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/**
 * dhcp_fmt_ip() - format an address for messages
 * @a:		address, host order
 * @buf:	at least INET_ADDRSTRLEN bytes
 *
 * Return: @buf
 */
static char *dhcp_fmt_ip(uint32_t a, char *buf)
{
	snprintf(buf, INET_ADDRSTRLEN, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
		 (a >> 8) & 0xff, a & 0xff);
	return buf;
}

/**
 * dhcp_fmt_mac() - format a MAC address as xx:xx:xx:xx:xx:xx
 * @mac:	six bytes
 * @buf:	at least 18 bytes
 *
 * Return: @buf
 */
static char *dhcp_fmt_mac(const uint8_t *mac, char *buf)
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/**
 * dhcp_hexval() - value of a hexadecimal digit
 * @c:	the character
 *
 * Return: 0..15, or -1 if @c is not a hexadecimal digit
 */
static int dhcp_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * dhcp_parse_mac() - parse a MAC address written as six groups of one or
 * two hexadecimal digits separated by colons (de:ad:be:ef:0:1)
 * @s:		the text, NUL-terminated
 * @mac:	the six bytes parsed
 *
 * Return: true if @s is exactly such an address
 */
static bool dhcp_parse_mac(const char *s, uint8_t *mac)
{
	for (int i = 0; i < 6; i++) {
		int hi = dhcp_hexval(s[0]), lo;

		if (hi < 0)
			return false;
		lo = dhcp_hexval(s[1]);
		if (lo >= 0) {
			mac[i] = (uint8_t)(hi << 4 | lo);
			s += 2;
		} else {
			mac[i] = (uint8_t)hi;
			s += 1;
		}
		if (i < 5 && *s++ != ':')
			return false;
	}
	return *s == '\0';
}

/**
 * dhcp_parse_ip() - parse a dotted-quad IPv4 address
 * @s:	the text
 * @a:	the address, host order
 *
 * Return: true on success
 */
static bool dhcp_parse_ip(const char *s, uint32_t *a)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		return false;
	*a = ntohl(in.s_addr);
	return true;
}

/**
 * dhcp_in_subnet() - tell whether an address is a host address of the subnet
 * @a:	address, host order
 *
 * Return: true if @a is in the subnet and is neither its network nor its
 * broadcast address
 */
static bool dhcp_in_subnet(uint32_t a)
{
	return (a & dhcp_cfg.mask) == dhcp_cfg.net && a != dhcp_cfg.net &&
	       a != dhcp_cfg.bcast;
}

/**
 * dhcp_pool_index() - find the pool entry of an address
 * @a:		address, host order
 * @idx:	its index in the pool
 *
 * Return: true if @a is in the pool
 */
static bool dhcp_pool_index(uint32_t a, uint32_t *idx)
{
	uint32_t off = a - dhcp_cfg.first;

	if (a < dhcp_cfg.first || off >= dhcp_npool)
		return false;
	*idx = off;
	return true;
}

/**
 * dhcp_hash() - hash a client key
 * @key:	the key
 * @len:	its length
 *
 * Return: a 32-bit hash (FNV-1a)
 */
static uint32_t dhcp_hash(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= key[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

/**
 * dhcp_hash_insert() - index a pool entry by its key
 * @idx:	the entry; its key must be set and not indexed yet
 */
static void dhcp_hash_insert(uint32_t idx)
{
	struct dhcp_lease *l = &dhcp_pool[idx];
	uint32_t b = dhcp_hash(l->key, l->keylen) & dhcp_bucket_mask;

	l->next = dhcp_bucket[b];
	dhcp_bucket[b] = idx + 1;
}

/**
 * dhcp_hash_remove() - stop indexing a pool entry
 * @idx:	the entry; its key must still be the one it was indexed by
 */
static void dhcp_hash_remove(uint32_t idx)
{
	struct dhcp_lease *l = &dhcp_pool[idx];
	uint32_t *link =
	    &dhcp_bucket[dhcp_hash(l->key, l->keylen) & dhcp_bucket_mask];

	while (*link) {
		if (*link == idx + 1) {
			*link = l->next;
			break;
		}
		link = &dhcp_pool[*link - 1].next;
	}
	l->next = 0;
}

/**
 * dhcp_hash_find() - find the pool entry that remembers a client
 * @key:	the client's key
 * @len:	its length
 * @idx:	the entry's index
 *
 * Return: true if an entry remembers the client
 */
static bool dhcp_hash_find(const uint8_t *key, size_t len, uint32_t *idx)
{
	uint32_t i = dhcp_bucket[dhcp_hash(key, len) & dhcp_bucket_mask];

	while (i) {
		const struct dhcp_lease *l = &dhcp_pool[i - 1];

		if (l->keylen == len && memcmp(l->key, key, len) == 0) {
			*idx = i - 1;
			return true;
		}
		i = l->next;
	}
	return false;
}

/**
 * dhcp_lease_at() - get a pool entry with its state brought up to date
 * @idx:	the entry
 * @now:	current time, monotonic milliseconds
 *
 * Return: the entry; an OFFERED, BOUND or DECLINED entry whose time has
 * come is ENDED from then on
 */
static struct dhcp_lease *dhcp_lease_at(uint32_t idx, int64_t now)
{
	struct dhcp_lease *l = &dhcp_pool[idx];

	if ((l->state == DHCP_ST_OFFERED || l->state == DHCP_ST_BOUND ||
	     l->state == DHCP_ST_DECLINED) &&
	    l->expire_ms <= now)
		l->state = DHCP_ST_ENDED;
	return l;
}

/**
 * dhcp_lease_held() - tell whether an entry is offered or leased
 * @l:	the entry, brought up to date by dhcp_lease_at()
 *
 * Return: true for OFFERED and BOUND
 */
static bool dhcp_lease_held(const struct dhcp_lease *l)
{
	return l->state == DHCP_ST_OFFERED || l->state == DHCP_ST_BOUND;
}

/**
 * dhcp_lease_is() - tell whether an entry remembers a client
 * @l:	the entry
 * @r:	the client's request
 *
 * Return: true if the entry's key is the client's
 */
static bool dhcp_lease_is(const struct dhcp_lease *l, const struct dhcp_req *r)
{
	if (l->keylen == r->keylen && memcmp(l->key, r->key, r->keylen) == 0)
		return true;
	/* A lease filed under the hardware address alone (one learned from
	 * traffic, see dhcp_note_in_use()) belongs to every client of that
	 * address. */
	return l->keylen == 1 + PKT_ETH_ALEN && l->key[0] == DHCP_KEY_HW &&
	       memcmp(l->key + 1, r->chaddr, PKT_ETH_ALEN) == 0;
}

/**
 * dhcp_forget() - make an entry forget its client
 * @idx:	the entry
 * @now:	current time; an entry still held ends now
 */
static void dhcp_forget(uint32_t idx, int64_t now)
{
	struct dhcp_lease *l = dhcp_lease_at(idx, now);

	if (l->keylen) {
		dhcp_hash_remove(idx);
		l->keylen = 0;
		dhcp_dirty = true;
	}
	if (dhcp_lease_held(l)) {
		l->state = DHCP_ST_ENDED;
		l->expire_ms = now;
	}
}

/**
 * dhcp_attach() - make an entry remember a client, and only that entry
 * @idx:	the entry
 * @r:		the client's request
 * @now:	current time
 *
 * Any other entry that remembered the client forgets it.
 */
static void dhcp_attach(uint32_t idx, const struct dhcp_req *r, int64_t now)
{
	struct dhcp_lease *l = &dhcp_pool[idx];
	uint32_t other;

	if (!dhcp_lease_is(l, r)) {
		if (dhcp_hash_find(r->key, r->keylen, &other))
			dhcp_forget(other, now);
		if (l->keylen)
			dhcp_hash_remove(idx);
		memcpy(l->key, r->key, r->keylen);
		l->keylen = r->keylen;
		dhcp_hash_insert(idx);
	}
	memcpy(l->mac, r->chaddr, PKT_ETH_ALEN);
}

/**
 * dhcp_resv_by_mac() - find the reservation of a hardware address
 * @mac:	the address
 *
 * Return: the reservation, or NULL
 */
static const struct dhcp_resv *dhcp_resv_by_mac(const uint8_t *mac)
{
	for (unsigned int i = 0; i < dhcp_nresv; i++)
		if (memcmp(dhcp_resv[i].mac, mac, PKT_ETH_ALEN) == 0)
			return &dhcp_resv[i];
	return NULL;
}

/**
 * dhcp_resv_free() - tell whether a reserved address can be used now
 * @v:		the reservation
 * @now:	current time
 *
 * A reservation made while its address was leased to another client waits
 * until that lease ends (the other client is refused at its next renewal).
 *
 * Return: true if nobody else holds the address
 */
static bool dhcp_resv_free(const struct dhcp_resv *v, int64_t now)
{
	const struct dhcp_lease *l;
	uint32_t idx;

	if (!dhcp_pool_index(v->addr, &idx))
		return true;
	l = dhcp_lease_at(idx, now);
	return !dhcp_lease_held(l) || memcmp(l->mac, v->mac, PKT_ETH_ALEN) == 0;
}

/**
 * dhcp_usable_for() - tell whether a pool address may go to a client
 * @a:		the address, host order
 * @r:		the client's request
 * @now:	current time
 * @idx:	its pool index
 *
 * Return: true if @a is a pool address that is neither reserved nor the
 * gateway, and is free, ended, or already the client's
 */
static bool dhcp_usable_for(uint32_t a, const struct dhcp_req *r, int64_t now,
			    uint32_t *idx)
{
	const struct dhcp_lease *l;

	if (!dhcp_pool_index(a, idx))
		return false;
	l = dhcp_lease_at(*idx, now);
	if (l->flags)
		return false;
	switch (l->state) {
	case DHCP_ST_FREE:
	case DHCP_ST_ENDED:
		return true;
	case DHCP_ST_OFFERED:
	case DHCP_ST_BOUND:
		return dhcp_lease_is(l, r);
	default:
		return false;
	}
}

/**
 * dhcp_alloc() - choose an address for a client that has none
 * @now:	current time
 * @idx:	the chosen entry
 *
 * Takes a never used address if there is one, else the address whose
 * lease ended the longest time ago.
 *
 * Return: true if an address was found
 */
static bool dhcp_alloc(int64_t now, uint32_t *idx)
{
	bool found = false;
	int64_t oldest = 0;

	for (; dhcp_free_cursor < dhcp_npool; dhcp_free_cursor++) {
		const struct dhcp_lease *l = &dhcp_pool[dhcp_free_cursor];

		if (l->state == DHCP_ST_FREE && !l->flags) {
			*idx = dhcp_free_cursor;
			return true;
		}
	}
	for (uint32_t i = 0; i < dhcp_npool; i++) {
		const struct dhcp_lease *l = dhcp_lease_at(i, now);

		if (l->state != DHCP_ST_ENDED || l->flags)
			continue;
		if (!found || l->expire_ms < oldest) {
			found = true;
			oldest = l->expire_ms;
			*idx = i;
		}
	}
	return found;
}

/**
 * dhcp_client_key() - derive the key a client's lease is filed under
 * @r:	the request; @r->key and @r->keylen are set
 */
static void dhcp_client_key(struct dhcp_req *r)
{
	/*
	 * The client identifier is tied to the hardware address, so no VM can
	 * name another VM's lease by sending its identifier (the guards pin
	 * chaddr to the port's MAC). An identifier too long to fit is cut:
	 * two identifiers of one MAC that differ only past that point share a
	 * lease, which harms nobody else.
	 */
	r->key[0] =
	    r->client_id && r->client_id_len ? DHCP_KEY_HWID : DHCP_KEY_HW;
	memcpy(r->key + 1, r->chaddr, PKT_ETH_ALEN);
	r->keylen = 1 + PKT_ETH_ALEN;
	if (r->key[0] == DHCP_KEY_HWID) {
		size_t n = r->client_id_len;

		if (n > DHCP_KEY_MAX - r->keylen)
			n = DHCP_KEY_MAX - r->keylen;
		memcpy(r->key + r->keylen, r->client_id, n);
		r->keylen = (uint8_t)(r->keylen + n);
	}
}

/**
 * dhcp_rd32() - read a big-endian 32-bit option value
 * @p:		its first byte (the caller checked the option length)
 *
 * Return: the value, host order
 */
static uint32_t dhcp_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * dhcp_parse() - parse and check a client message
 * @ip:		the IPv4 datagram (UDP, checked by the caller's parser)
 * @r:		the request, filled in
 *
 * Return: DHCP_NOT_MINE if the datagram is not UDP to port 67,
 * DHCP_DROPPED if it is a malformed or unusable DHCP message (counted),
 * DHCP_REPLY if @r holds a client message worth answering
 */
static enum dhcp_result dhcp_parse(const struct pkt_ipv4 *ip,
				   struct dhcp_req *r)
{
	struct pkt_cur c;
	uint16_t sport, dport, ulen, csum, secs;
	uint8_t op, htype, hlen, hops, code, len;
	uint32_t yiaddr, siaddr, magic;
	const uint8_t *data;
	bool have_type = false, end = false;

	pkt_cur_init(&c, ip->payload, ip->payload_len);
	if (ip->proto != PKT_IPPROTO_UDP || !pkt_get_u16(&c, &sport) ||
	    !pkt_get_u16(&c, &dport) || dport != DHCP_SERVER_PORT)
		return DHCP_NOT_MINE;
	memset(r, 0, sizeof(*r));
	if (!pkt_get_u16(&c, &ulen) || !pkt_get_u16(&c, &csum) ||
	    ulen < PKT_UDP_HLEN || ulen > ip->payload_len)
		goto malformed;
	/* The UDP checksum is not checked: frames from the guests cannot be
	 * corrupted in transit, and partial checksums must not be refused. */
	pkt_cur_init(&c, ip->payload + PKT_UDP_HLEN, ulen - PKT_UDP_HLEN);
	if (!pkt_get_u8(&c, &op) || !pkt_get_u8(&c, &htype) ||
	    !pkt_get_u8(&c, &hlen) || !pkt_get_u8(&c, &hops) ||
	    !pkt_get_u32(&c, &r->xid) || !pkt_get_u16(&c, &secs) ||
	    !pkt_get_u16(&c, &r->flags) || !pkt_get_u32(&c, &r->ciaddr) ||
	    !pkt_get_u32(&c, &yiaddr) || !pkt_get_u32(&c, &siaddr) ||
	    !pkt_get_u32(&c, &r->giaddr) ||
	    !pkt_get_bytes(&c, r->chaddr, DHCP_CHADDR_LEN) ||
	    !pkt_skip(&c, 64 + 128) || !pkt_get_u32(&c, &magic))
		goto malformed;
	if (op != DHCP_OP_REQUEST || htype != PKT_ARP_HTYPE_ETHER ||
	    hlen != PKT_ETH_ALEN || magic != DHCP_MAGIC)
		goto malformed;
	while (!end) {
		if (!pkt_get_u8(&c, &code))
			goto malformed; /* no end option */
		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END) {
			end = true;
			continue;
		}
		if (!pkt_get_u8(&c, &len) || !pkt_get_ptr(&c, len, &data))
			goto malformed;
		switch (code) {
		case DHCP_OPT_MSG_TYPE:
			if (len != 1)
				goto malformed;
			if (!have_type) {
				have_type = true;
				r->type = data[0];
			}
			break;
		case DHCP_OPT_REQ_ADDR:
			if (len != 4)
				goto malformed;
			if (!r->has_req_addr) {
				r->has_req_addr = true;
				r->req_addr = dhcp_rd32(data);
			}
			break;
		case DHCP_OPT_SERVER_ID:
			if (len != 4)
				goto malformed;
			if (!r->has_server_id) {
				r->has_server_id = true;
				r->server_id = dhcp_rd32(data);
			}
			break;
		case DHCP_OPT_CLIENT_ID:
			if (!r->client_id && len > 0) {
				r->client_id = data;
				r->client_id_len = len;
			}
			break;
		case DHCP_OPT_PARAMS:
			if (memchr(data, DHCP_OPT_HOSTNAME, len))
				r->want_name = true;
			break;
		default:
			break;
		}
	}
	if (!have_type || r->type < DHCP_DISCOVER || r->type > DHCP_INFORM)
		goto malformed;
	dhcp_st.dhcp_rx[r->type]++;
	r->ip_src = ip->src;
	r->sport = sport;
	dhcp_client_key(r);
	return DHCP_REPLY;

malformed:
	dhcp_st.dhcp_malformed++;
	return DHCP_DROPPED;
}

/**
 * dhcp_put_opt_u32() - write an option holding one 32-bit value
 * @w:		the writer
 * @code:	option code
 * @v:		the value, host order
 */
static void dhcp_put_opt_u32(struct pkt_wr *w, uint8_t code, uint32_t v)
{
	pkt_put_u8(w, code);
	pkt_put_u8(w, 4);
	pkt_put_u32(w, v);
}

/**
 * dhcp_reply() - build a reply frame
 * @r:		the request answered
 * @type:	DHCP_OFFER, DHCP_ACK or DHCP_NAK
 * @yiaddr:	address given to the client (0 for NAK and INFORM)
 * @with_lease:	send the lease time options (not for INFORM and NAK)
 * @name:	host name to send if asked for, or NULL
 * @out:	where the Ethernet frame is written
 *
 * Addressing (RFC 2131 4.1, relays excluded): NAKs, clients that set the
 * broadcast flag and clients with no address yet get a broadcast; a client
 * with an address gets a unicast to it and its hardware address, on its
 * source port if that is neither 67 nor 68 (a program doing INFORM), else
 * on port 68.
 *
 * Return: DHCP_REPLY, or DHCP_DROPPED if @out is too small
 */
static enum dhcp_result dhcp_reply(const struct dhcp_req *r, uint8_t type,
				   uint32_t yiaddr, bool with_lease,
				   const char *name, struct pkt_wr *out)
{
	static const uint8_t bcast_mac[PKT_ETH_ALEN] = {0xff, 0xff, 0xff,
							0xff, 0xff, 0xff};
	const size_t hdrs = PKT_ETH_HLEN + PKT_IPV4_HLEN + PKT_UDP_HLEN;
	const uint8_t *dst_mac = bcast_mac;
	uint32_t dst_ip = PKT_IPV4_BROADCAST, unicast = r->ciaddr;
	uint16_t dport = DHCP_CLIENT_PORT;
	uint32_t lease = dhcp_cfg.lease_secs;
	struct pkt_wr w, h;
	size_t start = out->off, msg_len;
	uint8_t *base;

	if (r->type == DHCP_INFORM && !unicast && dhcp_in_subnet(r->ip_src))
		unicast = r->ip_src;
	if (type != DHCP_NAK && !(r->flags & DHCP_FLAG_BCAST) && unicast) {
		dst_mac = r->chaddr;
		dst_ip = unicast;
		if (r->sport != DHCP_SERVER_PORT &&
		    r->sport != DHCP_CLIENT_PORT)
			dport = r->sport;
	}
	if (out->overflow || out->cap - out->off < hdrs) {
		out->overflow = true;
		return DHCP_DROPPED;
	}
	base = out->base + start;
	pkt_wr_init(&w, base + hdrs, out->cap - start - hdrs);
	pkt_put_u8(&w, DHCP_OP_REPLY);
	pkt_put_u8(&w, PKT_ARP_HTYPE_ETHER);
	pkt_put_u8(&w, PKT_ETH_ALEN);
	pkt_put_u8(&w, 0); /* hops */
	pkt_put_u32(&w, r->xid);
	pkt_put_u16(&w, 0); /* secs */
	pkt_put_u16(&w, r->flags & DHCP_FLAG_BCAST);
	pkt_put_u32(&w, type == DHCP_ACK ? r->ciaddr : 0);
	pkt_put_u32(&w, yiaddr);
	pkt_put_u32(&w, 0); /* siaddr: no boot server */
	pkt_put_u32(&w, r->giaddr);
	pkt_put_bytes(&w, r->chaddr, DHCP_CHADDR_LEN);
	pkt_put_zero(&w, 64 + 128); /* sname, file */
	pkt_put_u32(&w, DHCP_MAGIC);

	pkt_put_u8(&w, DHCP_OPT_MSG_TYPE);
	pkt_put_u8(&w, 1);
	pkt_put_u8(&w, type);
	dhcp_put_opt_u32(&w, DHCP_OPT_SERVER_ID, dhcp_cfg.gw);
	if (with_lease) {
		dhcp_put_opt_u32(&w, DHCP_OPT_LEASE, lease);
		dhcp_put_opt_u32(&w, DHCP_OPT_T1, lease / 2);
		dhcp_put_opt_u32(&w, DHCP_OPT_T2, (uint32_t)(lease * 7ull / 8));
	}
	if (type != DHCP_NAK) {
		dhcp_put_opt_u32(&w, DHCP_OPT_MASK, dhcp_cfg.mask);
		dhcp_put_opt_u32(&w, DHCP_OPT_ROUTER, dhcp_cfg.gw);
		if (dhcp_cfg.ndns) {
			pkt_put_u8(&w, DHCP_OPT_DNS);
			pkt_put_u8(&w, (uint8_t)(4 * dhcp_cfg.ndns));
			for (unsigned int i = 0; i < dhcp_cfg.ndns; i++)
				pkt_put_u32(&w, dhcp_cfg.dns[i]);
		}
		dhcp_put_opt_u32(&w, DHCP_OPT_BCAST, dhcp_cfg.bcast);
		if (dhcp_cfg.mtu) {
			pkt_put_u8(&w, DHCP_OPT_MTU);
			pkt_put_u8(&w, 2);
			pkt_put_u16(&w, dhcp_cfg.mtu);
		}
		if (name && name[0] && r->want_name) {
			size_t n = strlen(name);

			pkt_put_u8(&w, DHCP_OPT_HOSTNAME);
			pkt_put_u8(&w, (uint8_t)n);
			pkt_put_bytes(&w, name, n);
		}
	}
	if (r->client_id) { /* RFC 6842: always echoed */
		pkt_put_u8(&w, DHCP_OPT_CLIENT_ID);
		pkt_put_u8(&w, r->client_id_len);
		pkt_put_bytes(&w, r->client_id, r->client_id_len);
	}
	pkt_put_u8(&w, DHCP_OPT_END);
	if (w.off < DHCP_MIN_MSG)
		pkt_put_zero(&w, DHCP_MIN_MSG - w.off);
	if (w.overflow) {
		out->overflow = true;
		return DHCP_DROPPED;
	}
	msg_len = w.off;

	pkt_wr_init(&h, base, PKT_ETH_HLEN + PKT_IPV4_HLEN);
	pkt_put_eth(&h, dst_mac, dhcp_cfg.mac, PKT_ETHERTYPE_IPV4);
	pkt_put_ipv4(&h, dhcp_cfg.gw, dst_ip, PKT_IPPROTO_UDP, 0,
		     PKT_UDP_HLEN + msg_len);
	if (h.overflow || !pkt_udp_finish(base + PKT_ETH_HLEN + PKT_IPV4_HLEN,
					  PKT_UDP_HLEN + msg_len, dhcp_cfg.gw,
					  dst_ip, DHCP_SERVER_PORT, dport)) {
		out->overflow = true;
		return DHCP_DROPPED;
	}
	out->off = start + hdrs + msg_len;
	if (type == DHCP_OFFER)
		dhcp_st.dhcp_offer++;
	else if (type == DHCP_ACK)
		dhcp_st.dhcp_ack++;
	else
		dhcp_st.dhcp_nak++;
	return DHCP_REPLY;
}

/**
 * dhcp_log_bind() - log an address given to a client
 * @what:	"offer" or "ack"
 * @r:		the client's request
 * @a:		the address
 * @now_ms:	current time, for the rate limit
 * @info:	log at info level (a new binding) rather than debug
 */
static void dhcp_log_bind(const char *what, const struct dhcp_req *r,
			  uint32_t a, uint64_t now_ms, bool info)
{
	char ip[INET_ADDRSTRLEN], mac[18];

	if (info && log_limit_ok(&dhcp_info_limit, now_ms))
		log_info("dhcp: %s %s to %s", what, dhcp_fmt_ip(a, ip),
			 dhcp_fmt_mac(r->chaddr, mac));
	else if (!info)
		log_debug("dhcp: %s %s to %s", what, dhcp_fmt_ip(a, ip),
			  dhcp_fmt_mac(r->chaddr, mac));
}

/**
 * dhcp_discover() - answer a DHCPDISCOVER
 * @r:		the request
 * @now_ms:	current time
 * @out:	where the reply is written
 *
 * Return: DHCP_REPLY with an OFFER, or DHCP_DROPPED if nothing can be
 * offered
 */
static enum dhcp_result dhcp_discover(const struct dhcp_req *r, uint64_t now_ms,
				      struct pkt_wr *out)
{
	int64_t now = (int64_t)now_ms;
	const struct dhcp_resv *v = dhcp_resv_by_mac(r->chaddr);
	struct dhcp_lease *l;
	uint32_t idx;
	bool have;

	if (v) {
		if (dhcp_hash_find(r->key, r->keylen, &idx) &&
		    dhcp_pool[idx].flags == 0)
			dhcp_forget(idx, now); /* a dynamic lease from before */
		if (!dhcp_resv_free(v, now)) {
			dhcp_st.dhcp_ignored++;
			return DHCP_DROPPED;
		}
		dhcp_log_bind("offer", r, v->addr, now_ms, false);
		return dhcp_reply(r, DHCP_OFFER, v->addr, true, v->name, out);
	}
	have = dhcp_hash_find(r->key, r->keylen, &idx);
	if (have && dhcp_lease_at(idx, now)->flags) {
		dhcp_forget(idx, now); /* its address is reserved now */
		have = false;
	}
	if (!have && r->has_req_addr)
		have = dhcp_usable_for(r->req_addr, r, now, &idx);
	if (!have)
		have = dhcp_alloc(now, &idx);
	if (!have) {
		char mac[18];

		dhcp_st.dhcp_no_address++;
		if (log_limit_ok(&dhcp_warn_limit, now_ms))
			log_warnx("dhcp: no free address for %s",
				  dhcp_fmt_mac(r->chaddr, mac));
		return DHCP_DROPPED;
	}
	dhcp_attach(idx, r, now);
	l = &dhcp_pool[idx];
	if (l->state != DHCP_ST_BOUND) {
		l->state = DHCP_ST_OFFERED;
		l->expire_ms = now + DHCP_OFFER_HOLD_MS;
	}
	dhcp_log_bind("offer", r, dhcp_cfg.first + idx, now_ms, false);
	return dhcp_reply(r, DHCP_OFFER, dhcp_cfg.first + idx, true, NULL, out);
}

/**
 * dhcp_request() - answer a DHCPREQUEST
 * @r:		the request
 * @now_ms:	current time
 * @out:	where the reply is written
 *
 * The client's state is told apart as RFC 2131 4.3.2 says: a server
 * identifier means SELECTING (a REQUEST for another server's offer drops
 * ours); a requested address without it means INIT-REBOOT; a client address
 * alone means RENEWING or REBINDING. In every state the address asked for
 * is acknowledged if this client may have it, else refused with a NAK.
 *
 * Return: DHCP_REPLY with an ACK or a NAK, or DHCP_DROPPED
 */
static enum dhcp_result dhcp_request(const struct dhcp_req *r, uint64_t now_ms,
				     struct pkt_wr *out)
{
	int64_t now = (int64_t)now_ms;
	const struct dhcp_resv *v;
	struct dhcp_lease *l;
	uint32_t a, idx, own;
	bool have_own, renewal;

	if (r->has_server_id && r->server_id != dhcp_cfg.gw) {
		if (dhcp_hash_find(r->key, r->keylen, &own) &&
		    dhcp_lease_at(own, now)->state == DHCP_ST_OFFERED) {
			dhcp_pool[own].state = DHCP_ST_ENDED;
			dhcp_pool[own].expire_ms = now;
		}
		dhcp_st.dhcp_ignored++;
		return DHCP_DROPPED;
	}
	if (r->has_req_addr)
		a = r->req_addr;
	else if (r->ciaddr)
		a = r->ciaddr;
	else {
		dhcp_st.dhcp_ignored++;
		return DHCP_DROPPED;
	}

	v = dhcp_resv_by_mac(r->chaddr);
	if (v) {
		if (dhcp_hash_find(r->key, r->keylen, &idx) &&
		    dhcp_pool[idx].flags == 0)
			dhcp_forget(idx, now);
		if (a != v->addr)
			return dhcp_reply(r, DHCP_NAK, 0, false, NULL, out);
		if (!dhcp_resv_free(v, now)) {
			dhcp_st.dhcp_ignored++;
			return DHCP_DROPPED;
		}
		dhcp_log_bind("ack", r, a, now_ms, false);
		return dhcp_reply(r, DHCP_ACK, a, true, v->name, out);
	}

	have_own = dhcp_hash_find(r->key, r->keylen, &own);
	if (have_own) {
		l = dhcp_lease_at(own, now);
		if (l->flags) {
			dhcp_forget(own, now);
			have_own = false;
		} else if (dhcp_lease_held(l) && dhcp_cfg.first + own != a) {
			/* the client has another address here: go get it */
			return dhcp_reply(r, DHCP_NAK, 0, false, NULL, out);
		}
	}
	if (!dhcp_usable_for(a, r, now, &idx)) {
		char ip[INET_ADDRSTRLEN], mac[18];

		if (log_limit_ok(&dhcp_info_limit, now_ms))
			log_info("dhcp: nak %s to %s", dhcp_fmt_ip(a, ip),
				 dhcp_fmt_mac(r->chaddr, mac));
		return dhcp_reply(r, DHCP_NAK, 0, false, NULL, out);
	}
	l = &dhcp_pool[idx];
	renewal = have_own && own == idx && l->state == DHCP_ST_BOUND;
	dhcp_attach(idx, r, now);
	l->state = DHCP_ST_BOUND;
	l->expire_ms = now + (int64_t)dhcp_cfg.lease_secs * 1000;
	/* A renewal changes only the expiry: save it now and then, not on
	 * every request a client may send. */
	if (!renewal ||
	    now_ms - dhcp_last_save_ms > (uint64_t)dhcp_cfg.lease_secs * 250)
		dhcp_dirty = true;
	if (!renewal)
		dhcp_urgent = true;
	dhcp_log_bind("ack", r, a, now_ms, !renewal);
	return dhcp_reply(r, DHCP_ACK, a, true, NULL, out);
}

/**
 * dhcp_release() - handle a DHCPRELEASE: the client's lease ends now
 * @r:		the request
 * @now_ms:	current time
 *
 * The entry keeps remembering the client, so it gets the address back if
 * nobody took it in between.
 *
 * Return: DHCP_DROPPED (a RELEASE is never answered)
 */
static enum dhcp_result dhcp_release(const struct dhcp_req *r, uint64_t now_ms)
{
	int64_t now = (int64_t)now_ms;
	struct dhcp_lease *l;
	uint32_t idx;

	if ((r->has_server_id && r->server_id != dhcp_cfg.gw) ||
	    !dhcp_pool_index(r->ciaddr, &idx)) {
		dhcp_st.dhcp_ignored++;
		return DHCP_DROPPED;
	}
	l = dhcp_lease_at(idx, now);
	if (!dhcp_lease_held(l) || !dhcp_lease_is(l, r)) {
		dhcp_st.dhcp_ignored++;
		return DHCP_DROPPED;
	}
	l->state = DHCP_ST_ENDED;
	l->expire_ms = now;
	dhcp_dirty = true;
	log_debug("dhcp: release of pool address %" PRIu32, idx);
	return DHCP_DROPPED;
}

/**
 * dhcp_decline() - handle a DHCPDECLINE: the client found its address in
 * use, which then rests for DHCP_DECLINE_HOLD_MS
 * @r:		the request
 * @now_ms:	current time
 *
 * Only the client the address was offered or leased to can decline it.
 *
 * Return: DHCP_DROPPED (a DECLINE is never answered)
 */
static enum dhcp_result dhcp_decline(const struct dhcp_req *r, uint64_t now_ms)
{
	int64_t now = (int64_t)now_ms;
	char ip[INET_ADDRSTRLEN];
	struct dhcp_lease *l;
	uint32_t idx;

	if ((r->has_server_id && r->server_id != dhcp_cfg.gw) ||
	    !r->has_req_addr || !dhcp_pool_index(r->req_addr, &idx)) {
		dhcp_st.dhcp_ignored++;
		return DHCP_DROPPED;
	}
	l = dhcp_lease_at(idx, now);
	if (!dhcp_lease_held(l) || !dhcp_lease_is(l, r)) {
		dhcp_st.dhcp_ignored++;
		return DHCP_DROPPED;
	}
	dhcp_forget(idx, now);
	l->state = DHCP_ST_DECLINED;
	l->expire_ms = now + DHCP_DECLINE_HOLD_MS;
	if (log_limit_ok(&dhcp_warn_limit, now_ms))
		log_warnx("dhcp: %s declined (in use by another host?)",
			  dhcp_fmt_ip(r->req_addr, ip));
	return DHCP_DROPPED;
}

/**
 * dhcp_write_all() - write a whole buffer to a file descriptor
 * @fd:		the descriptor
 * @buf:	the bytes
 * @len:	how many
 *
 * Return: 0 on success, -1 with errno set
 */
static int dhcp_write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/**
 * dhcp_sync_dir() - make a rename in the lease file's directory durable
 * @path:	the lease file (the string is changed and restored)
 */
static void dhcp_sync_dir(char *path)
{
	char *slash = strrchr(path, '/');
	int dfd;

	if (slash == path) {
		dfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else if (slash) {
		*slash = '\0';
		dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		*slash = '/';
	} else {
		dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
}

/**
 * dhcp_save() - write the lease file now
 * @now_ms:	current time
 *
 * Writes every lease, and every ended lease that still remembers its client
 * (so returning clients get their address back after a restart), with its
 * expiry as wall-clock seconds, to a temporary file in the same directory,
 * then syncs it and renames it over the lease file. A failed write is
 * retried DHCP_SAVE_INTERVAL_MS later.
 *
 * Return: 0 on success, -1 with errno set on failure
 */
static int dhcp_save(uint64_t now_ms)
{
	static char buf[8192];
	int64_t now = (int64_t)now_ms, wall;
	struct timespec ts;
	size_t used;
	int fd, saved_errno;

	if (!dhcp_cfg.lease_file)
		return 0;
	dhcp_last_save_ms = now_ms;
	dhcp_saved = true;
	dhcp_dirty = false;
	dhcp_st.lease_writes++;
	clock_gettime(CLOCK_REALTIME, &ts);
	wall = (int64_t)ts.tv_sec;
	fd = open(dhcp_cfg.lease_tmp,
		  O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		goto fail;
	used = (size_t)snprintf(buf, sizeof(buf),
				"# socket_vmnet DHCP leases: address mac "
				"expiry(unix time) client-key\n");
	for (uint32_t i = 0; i < dhcp_npool; i++) {
		const struct dhcp_lease *l = dhcp_lease_at(i, now);
		char ip[INET_ADDRSTRLEN], mac[18];

		if (!l->keylen ||
		    (l->state != DHCP_ST_BOUND && l->state != DHCP_ST_ENDED))
			continue;
		/* a line is at most 16 + 18 + 21 + 2 * DHCP_KEY_MAX + 4 */
		if (sizeof(buf) - used < 256) {
			if (dhcp_write_all(fd, buf, used) < 0)
				goto fail_fd;
			used = 0;
		}
		used += (size_t)snprintf(buf + used, sizeof(buf) - used,
					 "%s %s %" PRId64 " ",
					 dhcp_fmt_ip(dhcp_cfg.first + i, ip),
					 dhcp_fmt_mac(l->mac, mac),
					 wall + (l->expire_ms - now) / 1000);
		for (unsigned int k = 0; k < l->keylen; k++)
			used += (size_t)snprintf(buf + used, sizeof(buf) - used,
						 "%02x", l->key[k]);
		buf[used++] = '\n';
	}
	if (dhcp_write_all(fd, buf, used) < 0 || fsync(fd) < 0)
		goto fail_fd;
	if (close(fd) < 0)
		goto fail_unlink;
	if (rename(dhcp_cfg.lease_tmp, dhcp_cfg.lease_file) < 0)
		goto fail_unlink;
	dhcp_sync_dir(dhcp_cfg.lease_file);
	return 0;

fail_fd:
	saved_errno = errno;
	close(fd);
	errno = saved_errno;
fail_unlink:
	saved_errno = errno;
	unlink(dhcp_cfg.lease_tmp);
	errno = saved_errno;
fail:
	dhcp_st.lease_write_errors++;
	dhcp_dirty = true;
	return -1;
}

static void dhcp_maybe_save(uint64_t now_ms);

/**
 * dhcp_after_change() - write the lease file now, or ask for a later call
 * @now_ms:	current time
 *
 * No timer runs while nothing is pending, so an idle daemon does not wake.
 */
static void dhcp_after_change(uint64_t now_ms)
{
	dhcp_maybe_save(now_ms);
	if (dhcp_dirty && dhcp_cfg.lease_file && dhcp_cfg.pending)
		dhcp_cfg.pending();
}

/**
 * dhcp_maybe_save() - write the lease file if it changed and the last
 * write is at least DHCP_SAVE_INTERVAL_MS old
 * @now_ms:	current time
 */
static void dhcp_maybe_save(uint64_t now_ms)
{
	if (!dhcp_dirty || !dhcp_cfg.lease_file)
		return;
	/* A new binding is written at once, so a crash right after it cannot
	 * lose it; renewals wait for the interval. */
	if (dhcp_saved && !dhcp_urgent &&
	    now_ms - dhcp_last_save_ms < DHCP_SAVE_INTERVAL_MS)
		return;
	dhcp_urgent = false;
	if (dhcp_save(now_ms) < 0 && log_limit_ok(&dhcp_warn_limit, now_ms))
		log_warn("dhcp: cannot write lease file %s",
			 dhcp_cfg.lease_file);
}

/**
 * dhcp_load_line() - take one line of the lease file into the pool
 * @line:	the line, NUL-terminated, newline removed
 * @now:	current monotonic time
 * @wall:	current wall-clock time, seconds
 *
 * Return: true if the line was a usable lease; false for malformed lines,
 * addresses outside the pool or reserved, and duplicates
 */
static bool dhcp_load_line(char *line, int64_t now, int64_t wall)
{
	char *save = NULL, *f[5];
	struct dhcp_lease *l;
	uint8_t key[DHCP_KEY_MAX], mac[PKT_ETH_ALEN];
	uint32_t a, idx, dup;
	size_t hexlen, keylen;
	long long exp;
	int64_t delta;
	char *end;
	int n = 0;

	for (char *t = strtok_r(line, " \t\r", &save); t && n < 5;
	     t = strtok_r(NULL, " \t\r", &save))
		f[n++] = t;
	if (n != 4 || !dhcp_parse_ip(f[0], &a) || !dhcp_parse_mac(f[1], mac))
		return false;
	errno = 0;
	exp = strtoll(f[2], &end, 10);
	if (errno || *end || end == f[2])
		return false;
	hexlen = strlen(f[3]);
	if (hexlen % 2 || hexlen < 4 || hexlen / 2 > DHCP_KEY_MAX)
		return false;
	keylen = hexlen / 2;
	for (size_t i = 0; i < keylen; i++) {
		int hi = dhcp_hexval(f[3][2 * i]),
		    lo = dhcp_hexval(f[3][2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	if ((key[0] == DHCP_KEY_HW && keylen != 1 + PKT_ETH_ALEN) ||
	    (key[0] == DHCP_KEY_HWID && keylen <= 1 + PKT_ETH_ALEN) ||
	    (key[0] != DHCP_KEY_HW && key[0] != DHCP_KEY_HWID))
		return false;
	if (!dhcp_pool_index(a, &idx) || dhcp_pool[idx].flags ||
	    dhcp_pool[idx].keylen || dhcp_hash_find(key, keylen, &dup))
		return false;
	delta = (int64_t)exp - wall;
	if (delta > (int64_t)dhcp_cfg.lease_secs)
		delta = dhcp_cfg.lease_secs; /* the lease time was shortened */
	if (delta < -(int64_t)GW_MAX_LEASE_SECS * 10)
		delta = -(int64_t)GW_MAX_LEASE_SECS * 10;
	l = &dhcp_pool[idx];
	memcpy(l->key, key, keylen);
	l->keylen = (uint8_t)keylen;
	memcpy(l->mac, mac, PKT_ETH_ALEN);
	dhcp_hash_insert(idx);
	l->expire_ms = now + delta * 1000;
	l->state = l->expire_ms > now ? DHCP_ST_BOUND : DHCP_ST_ENDED;
	return true;
}

/**
 * dhcp_load() - read the lease file into the pool
 * @now_ms:	current time
 * @err:	error message buffer
 * @errlen:	its size
 *
 * Lines that cannot be used are skipped and counted in a warning. A
 * missing file is not an error.
 *
 * Return: 0 on success, -1 if the file exists but cannot be read
 */
static int dhcp_load(uint64_t now_ms, char *err, size_t errlen)
{
	char line[512];
	unsigned int loaded = 0, skipped = 0;
	struct timespec ts;
	FILE *f;

	f = fopen(dhcp_cfg.lease_file, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		dhcp_set_err(err, errlen, "%s: %s", dhcp_cfg.lease_file,
			     strerror(errno));
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
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
		if (dhcp_load_line(line, (int64_t)now_ms, (int64_t)ts.tv_sec))
			loaded++;
		else
			skipped++;
	}
	fclose(f);
	if (skipped)
		log_warnx("%s: %u lease lines skipped (malformed, outside the "
			  "range, reserved or duplicate)",
			  dhcp_cfg.lease_file, skipped);
	log_debug("%s: %u leases loaded", dhcp_cfg.lease_file, loaded);
	return 0;
}

/**
 * dhcp_name_ok() - check a reservation host name
 * @s:	the name
 *
 * Return: true for 1..DHCP_NAME_MAX letters, digits, '-', '_' and '.'
 */
static bool dhcp_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > DHCP_NAME_MAX)
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
 * dhcp_parse_hosts() - read a bootptab file of reservations
 * @path:	the file
 * @out:	the reservations, allocated (free() it)
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
static int dhcp_parse_hosts(const char *path, struct dhcp_resv **out,
			    unsigned int *nout, char *err, size_t errlen)
{
	struct dhcp_resv *v = NULL;
	unsigned int n = 0, cap = 0, lineno = 0;
	bool sep = false, before = false;
	char line[1024];
	FILE *f;

	f = fopen(path, "re");
	if (!f) {
		dhcp_set_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL, *fld[6], *hash;
		size_t len = strlen(line);
		struct dhcp_resv r;
		int nf = 0;

		lineno++;
		if ((len == 0 || line[len - 1] != '\n') && !feof(f)) {
			dhcp_set_err(err, errlen, "%s:%u: line too long", path,
				     lineno);
			goto fail;
		}
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
		if (nf < 4 || nf > 5) {
			dhcp_set_err(err, errlen,
				     "%s:%u: expected \"hostname hwtype hwaddr "
				     "ipaddr [bootfile]\"",
				     path, lineno);
			goto fail;
		}
		memset(&r, 0, sizeof(r));
		if (!dhcp_name_ok(fld[0])) {
			dhcp_set_err(err, errlen, "%s:%u: bad host name \"%s\"",
				     path, lineno, fld[0]);
			goto fail;
		}
		if (strcmp(fld[1], "1") != 0) {
			dhcp_set_err(err, errlen,
				     "%s:%u: hardware type \"%s\" is not 1 "
				     "(Ethernet)",
				     path, lineno, fld[1]);
			goto fail;
		}
		if (!dhcp_parse_mac(fld[2], r.mac) || pkt_mac_is_group(r.mac)) {
			dhcp_set_err(err, errlen,
				     "%s:%u: bad hardware address \"%s\"", path,
				     lineno, fld[2]);
			goto fail;
		}
		if (!dhcp_parse_ip(fld[3], &r.addr)) {
			dhcp_set_err(err, errlen,
				     "%s:%u: bad IPv4 address \"%s\"", path,
				     lineno, fld[3]);
			goto fail;
		}
		if (!dhcp_in_subnet(r.addr) || r.addr == dhcp_cfg.gw) {
			dhcp_set_err(err, errlen,
				     "%s:%u: %s is not a free host address of "
				     "the subnet",
				     path, lineno, fld[3]);
			goto fail;
		}
		for (unsigned int i = 0; i < n; i++) {
			if (memcmp(v[i].mac, r.mac, PKT_ETH_ALEN) == 0 ||
			    v[i].addr == r.addr) {
				dhcp_set_err(err, errlen,
					     "%s:%u: %s or %s is already "
					     "reserved",
					     path, lineno, fld[2], fld[3]);
				goto fail;
			}
		}
		if (n == DHCP_MAX_RESV) {
			dhcp_set_err(err, errlen,
				     "%s:%u: more than %u reservations", path,
				     lineno, DHCP_MAX_RESV);
			goto fail;
		}
		if (n == cap) {
			unsigned int ncap = cap ? 2 * cap : 16;
			struct dhcp_resv *nv = realloc(v, ncap * sizeof(*v));

			if (!nv) {
				dhcp_set_err(err, errlen, "%s: out of memory",
					     path);
				goto fail;
			}
			v = nv;
			cap = ncap;
		}
		snprintf(r.name, sizeof(r.name), "%s", fld[0]);
		v[n++] = r;
	}
	if (ferror(f)) {
		dhcp_set_err(err, errlen, "%s: read error", path);
		goto fail;
	}
	if (!sep && before) {
		dhcp_set_err(err, errlen,
			     "%s: no \"%%%%\" line; reservations must follow "
			     "one",
			     path);
		goto fail;
	}
	fclose(f);
	*out = v;
	*nout = n;
	return 0;

fail:
	fclose(f);
	free(v);
	return -1;
}

/**
 * dhcp_apply_resv() - mark the pool addresses that reservations own
 *
 * Called after the reservations changed. Addresses no longer reserved
 * become usable again; the search for never used addresses restarts.
 */
static void dhcp_apply_resv(void)
{
	uint32_t idx;

	for (uint32_t i = 0; i < dhcp_npool; i++)
		dhcp_pool[i].flags &= (uint8_t)~DHCP_F_RESERVED;
	for (unsigned int i = 0; i < dhcp_nresv; i++)
		if (dhcp_pool_index(dhcp_resv[i].addr, &idx))
			dhcp_pool[idx].flags |= DHCP_F_RESERVED;
	dhcp_free_cursor = 0;
}

/**
 * dhcp_note_in_use() - learn that a VM uses a pool address
 * @a:		the address (host order), seen as the sender of an ARP
 * @mac:	the VM's hardware address
 * @now_ms:	current time
 *
 * An address the server has no lease for (it was restarted without a lease
 * file, or lost the last second of it) but that a VM is using is recorded
 * as that VM's lease, filed under its hardware address, so it is not handed
 * to anyone else. Addresses that are reserved, declined, or held by a lease
 * are left alone, and so are VMs that already hold another lease.
 */
void dhcp_note_in_use(uint32_t a, const uint8_t *mac, uint64_t now_ms)
{
	int64_t now = (int64_t)now_ms;
	struct dhcp_req r;
	struct dhcp_lease *l;
	uint32_t idx, other;
	char ip[INET_ADDRSTRLEN], m[18];

	if (!dhcp_pool || !dhcp_pool_index(a, &idx))
		return;
	l = dhcp_lease_at(idx, now);
	if (l->flags || dhcp_lease_held(l))
		return;
	memset(&r, 0, sizeof(r));
	memcpy(r.chaddr, mac, PKT_ETH_ALEN);
	dhcp_client_key(&r);
	if (dhcp_hash_find(r.key, r.keylen, &other) &&
	    dhcp_lease_held(dhcp_lease_at(other, now)))
		return;
	if (dhcp_resv_by_mac(mac))
		return;
	dhcp_attach(idx, &r, now);
	l->state = DHCP_ST_BOUND;
	l->expire_ms = now + (int64_t)dhcp_cfg.lease_secs * 1000;
	dhcp_dirty = true;
	dhcp_urgent = true;
	if (log_limit_ok(&dhcp_info_limit, now_ms))
		log_info("dhcp: %s is in use by %s: recorded as its lease",
			 dhcp_fmt_ip(a, ip), dhcp_fmt_mac(mac, m));
	dhcp_after_change(now_ms);
}

/**
 * dhcp_reload_hosts() - read the hosts file again (SIGHUP)
 * @err:	error message buffer
 * @errlen:	its size
 *
 * On failure the reservations in force stay as they were.
 *
 * Return: 0 on success (or when there is no hosts file), -1 with @err set
 */
int dhcp_reload_hosts(char *err, size_t errlen)
{
	struct dhcp_resv *v = NULL;
	unsigned int n = 0;

	if (!dhcp_pool || !dhcp_cfg.hosts_file)
		return 0;
	if (dhcp_parse_hosts(dhcp_cfg.hosts_file, &v, &n, err, errlen) < 0)
		return -1;
	free(dhcp_resv);
	dhcp_resv = v;
	dhcp_nresv = n;
	dhcp_apply_resv();
	log_info("%s: %u reservations", dhcp_cfg.hosts_file, n);
	return 0;
}

/**
 * dhcp_strdup_opt() - copy a string that may be NULL
 * @s:		the string
 * @copy:	the copy, or NULL if @s is NULL
 *
 * Return: true on success
 */
static bool dhcp_strdup_opt(const char *s, char **copy)
{
	*copy = NULL;
	if (!s)
		return true;
	*copy = strdup(s);
	return *copy != NULL;
}

/**
 * dhcp_init() - set up the server and allocate its tables
 * @c:		configuration, already checked and completed by gw_init()
 * @now_ms:	current time
 * @err:	error message buffer
 * @errlen:	its size
 *
 * Reads the hosts file and the lease file, then writes the lease file
 * once, so that a lease file that cannot be written is reported now.
 *
 * Return: 0 on success, -1 with @err set
 */
int dhcp_init(const struct gw_conf *c, uint64_t now_ms, char *err,
	      size_t errlen)
{
	uint64_t range;
	uint32_t nb = 16;

	dhcp_fini(now_ms);
	memset(&dhcp_cfg, 0, sizeof(dhcp_cfg));
	memset(&dhcp_st, 0, sizeof(dhcp_st));
	dhcp_cfg.gw = ntohl(c->gateway.s_addr);
	dhcp_cfg.mask = ntohl(c->mask.s_addr);
	dhcp_cfg.net = dhcp_cfg.gw & dhcp_cfg.mask;
	dhcp_cfg.bcast = dhcp_cfg.net | ~dhcp_cfg.mask;
	dhcp_cfg.first = ntohl(c->dhcp_first.s_addr);
	memcpy(dhcp_cfg.mac, c->mac, PKT_ETH_ALEN);
	dhcp_cfg.mtu = c->mtu;
	dhcp_cfg.ndns = c->ndns > GW_MAX_DNS ? GW_MAX_DNS : c->ndns;
	for (unsigned int i = 0; i < dhcp_cfg.ndns; i++)
		dhcp_cfg.dns[i] = ntohl(c->dns[i].s_addr);
	dhcp_cfg.lease_secs = c->lease_secs;
	dhcp_cfg.pending = c->pending;
	range = (uint64_t)ntohl(c->dhcp_last.s_addr) - dhcp_cfg.first + 1;
	dhcp_npool = (uint32_t)(range < c->max_leases ? range : c->max_leases);
	if (dhcp_npool == 0 || dhcp_npool > GW_MAX_POOL) {
		dhcp_set_err(err, errlen, "bad DHCP pool size");
		return -1;
	}
	if (!dhcp_strdup_opt(c->hosts_file, &dhcp_cfg.hosts_file) ||
	    !dhcp_strdup_opt(c->lease_file, &dhcp_cfg.lease_file))
		goto nomem;
	if (dhcp_cfg.lease_file) {
		size_t n = strlen(dhcp_cfg.lease_file) + 5;

		dhcp_cfg.lease_tmp = malloc(n);
		if (!dhcp_cfg.lease_tmp)
			goto nomem;
		snprintf(dhcp_cfg.lease_tmp, n, "%s.tmp", dhcp_cfg.lease_file);
	}
	while (nb < dhcp_npool)
		nb <<= 1;
	dhcp_pool = calloc(dhcp_npool, sizeof(*dhcp_pool));
	dhcp_bucket = calloc(nb, sizeof(*dhcp_bucket));
	if (!dhcp_pool || !dhcp_bucket)
		goto nomem;
	dhcp_bucket_mask = nb - 1;
	{
		uint32_t gi;

		if (dhcp_pool_index(dhcp_cfg.gw, &gi))
			dhcp_pool[gi].flags |= DHCP_F_GATEWAY;
	}
	if (dhcp_cfg.hosts_file) {
		if (dhcp_parse_hosts(dhcp_cfg.hosts_file, &dhcp_resv,
				     &dhcp_nresv, err, errlen) < 0)
			goto fail;
		dhcp_apply_resv();
	}
	if (dhcp_cfg.lease_file) {
		if (dhcp_load(now_ms, err, errlen) < 0)
			goto fail;
		if (dhcp_save(now_ms) < 0) {
			dhcp_set_err(err, errlen, "cannot write %s: %s",
				     dhcp_cfg.lease_tmp, strerror(errno));
			goto fail;
		}
	}
	return 0;

nomem:
	dhcp_set_err(err, errlen, "out of memory");
fail:
	dhcp_fini(now_ms);
	return -1;
}

/**
 * dhcp_input() - handle a datagram that may be a DHCP client message
 * @ip:		the IPv4 datagram, checked by pkt_ipv4_parse()
 * @now_ms:	current time, monotonic milliseconds
 * @out:	where a reply frame is written
 *
 * Return: see enum dhcp_result
 */
enum dhcp_result dhcp_input(const struct pkt_ipv4 *ip, uint64_t now_ms,
			    struct pkt_wr *out)
{
	struct dhcp_req r;
	enum dhcp_result res;

	if (!dhcp_pool)
		return DHCP_NOT_MINE;
	res = dhcp_parse(ip, &r);
	if (res != DHCP_REPLY)
		return res;
	if (r.giaddr) { /* relayed from another subnet: not served */
		dhcp_st.dhcp_ignored++;
		return DHCP_DROPPED;
	}
	switch (r.type) {
	case DHCP_DISCOVER:
		res = dhcp_discover(&r, now_ms, out);
		break;
	case DHCP_REQUEST:
		res = dhcp_request(&r, now_ms, out);
		break;
	case DHCP_RELEASE:
		res = dhcp_release(&r, now_ms);
		break;
	case DHCP_DECLINE:
		res = dhcp_decline(&r, now_ms);
		break;
	case DHCP_INFORM:
		res = dhcp_reply(&r, DHCP_ACK, 0, false, NULL, out);
		break;
	default: /* OFFER, ACK, NAK: server messages */
		dhcp_st.dhcp_ignored++;
		res = DHCP_DROPPED;
		break;
	}
	dhcp_after_change(now_ms);
	return res;
}

/**
 * dhcp_tick() - write the lease file if a write is due
 * @now_ms:	current time
 *
 * Return: when dhcp_tick() should be called next (monotonic milliseconds)
 * if a write is still pending; 0 if not (a later change that has to wait
 * calls the configured pending() hook) or if there is no lease file
 */
uint64_t dhcp_tick(uint64_t now_ms)
{
	if (!dhcp_pool || !dhcp_cfg.lease_file)
		return 0;
	dhcp_maybe_save(now_ms);
	if (dhcp_dirty)
		return dhcp_last_save_ms + DHCP_SAVE_INTERVAL_MS;
	return 0;
}

/**
 * dhcp_stats() - copy the DHCP counters
 * @s:	the dhcp_* and lease_* fields are set; the others are left alone
 */
void dhcp_stats(struct gw_stats *s)
{
	memcpy(s->dhcp_rx, dhcp_st.dhcp_rx, sizeof(s->dhcp_rx));
	s->dhcp_offer = dhcp_st.dhcp_offer;
	s->dhcp_ack = dhcp_st.dhcp_ack;
	s->dhcp_nak = dhcp_st.dhcp_nak;
	s->dhcp_malformed = dhcp_st.dhcp_malformed;
	s->dhcp_ignored = dhcp_st.dhcp_ignored;
	s->dhcp_no_address = dhcp_st.dhcp_no_address;
	s->lease_writes = dhcp_st.lease_writes;
	s->lease_write_errors = dhcp_st.lease_write_errors;
}

/**
 * dhcp_fini() - write the lease file and free everything
 * @now_ms:	current time
 *
 * Safe to call when dhcp_init() was never called or failed.
 */
void dhcp_fini(uint64_t now_ms)
{
	if (dhcp_pool && dhcp_cfg.lease_file && dhcp_dirty &&
	    dhcp_save(now_ms) < 0)
		log_warn("dhcp: cannot write lease file %s",
			 dhcp_cfg.lease_file);
	free(dhcp_pool);
	free(dhcp_bucket);
	free(dhcp_resv);
	free(dhcp_cfg.hosts_file);
	free(dhcp_cfg.lease_file);
	free(dhcp_cfg.lease_tmp);
	dhcp_pool = NULL;
	dhcp_bucket = NULL;
	dhcp_resv = NULL;
	dhcp_nresv = 0;
	dhcp_npool = 0;
	dhcp_free_cursor = 0;
	dhcp_dirty = false;
	dhcp_saved = false;
	dhcp_cfg.hosts_file = NULL;
	dhcp_cfg.lease_file = NULL;
	dhcp_cfg.lease_tmp = NULL;
}
