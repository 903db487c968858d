/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DHCP address pool (see dhcp_pool.h).
 *
 * Theory of operation: the pool is an array with one entry per address of
 * the range, allocated once by dhcp_pool_init(), so an address is found by
 * subtraction and a client by a chained hash of its key: the client
 * identifier (option 61) when the client sends one, else its hardware
 * address. An entry is FREE (never used), OFFERED (held for a client for
 * DHCP_POOL_OFFER_HOLD_MS), LEASED (bound until its expiry), ENDED
 * (released or expired, still remembering its last client) or DECLINED (a
 * client found it in use; quarantined for DHCP_POOL_DECLINE_HOLD_MS).
 * Expiry is lazy: an entry whose time has passed is turned into ENDED when
 * it is next looked at, and the time it ended is kept. A client without a
 * reservation gets, in this order, the entry that still remembers it (so
 * the same client gets the same address back, also after expiry), the
 * address it asks for if that is free, a never used address, and finally
 * the entry that ended the longest time ago; so a range never runs out
 * while leases end, and a returning client finds its address unless every
 * other one was taken since. Reservations come from the hosts file; their
 * addresses may lie outside the pool (but inside the subnet), are never
 * given to anybody else and need no lease state: the pool only marks the
 * entries they own. Changes worth writing to the lease file set a dirty
 * flag (urgent for a new binding), which the server reads and clears.
 *
 * Bounds, so that one VM cannot hold the pool: a hardware address holds
 * at most ids_per_mac addresses (offered or leased) at once, one per
 * client key (the guards allow a port that many DHCP client identities);
 * a new key of an address that holds as many already takes over from its
 * oldest one. And at most DHCP_POOL_DECLINE_MAX of the addresses it
 * declined rest at once (DHCP_POOL_DECLINE_HOLD_MS each); a DECLINE beyond
 * that is not honoured: the address stays the client's, which is offered
 * it again. So one MAC parks at most ids_per_mac + DHCP_POOL_DECLINE_MAX
 * addresses, whatever it sends. A DECLINED entry keeps the MAC that
 * declined it, for that count. The bounds are per MAC because the server
 * knows no ports; the guards bind each port to one MAC (and to
 * ids_per_mac client identifiers), so at the mac and strict levels this
 * is a bound per port as well. With --guard=off a VM may use many MACs,
 * and nothing holds it to one share of the pool.
 */
#include <stdlib.h>
#include <string.h>

#include "dhcp_pool.h"

#define DHCP_POOL_OFFER_HOLD_MS	  30000	 /* an OFFER holds its address */
#define DHCP_POOL_DECLINE_HOLD_MS 600000 /* a DECLINEd address rests */
#define DHCP_POOL_DECLINE_MAX	  3u	 /* resting at once per MAC */

/*
 * Client key kinds: [0][chaddr], or [3][chaddr][client identifier, cut to
 * fit].
 */
#define DHCP_POOL_KEY_HW   0u
#define DHCP_POOL_KEY_HWID 3u

/* Entry flags */
#define DHCP_POOL_F_RESERVED 0x1u /* a reservation owns the address */
#define DHCP_POOL_F_GATEWAY  0x2u /* the gateway's own address */

/**
 * enum dhcp_pool_state - state of a pool address
 * @DHCP_POOL_FREE:	never handed out since the server started
 * @DHCP_POOL_OFFERED:	offered to a client, held until @expire_ms
 * @DHCP_POOL_LEASED:	leased to a client until @expire_ms
 * @DHCP_POOL_ENDED:	released or expired at @expire_ms; may still
 *			remember its last client
 * @DHCP_POOL_DECLINED:	declined by a client, unusable until @expire_ms
 */
enum dhcp_pool_state {
	DHCP_POOL_FREE = 0,
	DHCP_POOL_OFFERED,
	DHCP_POOL_LEASED,
	DHCP_POOL_ENDED,
	DHCP_POOL_DECLINED,
};

/**
 * struct dhcp_pool_entry - one pool address
 * @expire_ms:	see enum dhcp_pool_state (monotonic, may be negative for
 *		leases that ended before the server started)
 * @next:	next entry in the same hash chain, index + 1 (0 = none)
 * @state:	enum dhcp_pool_state
 * @flags:	DHCP_POOL_F_*
 * @keylen:	length of @key; 0 when no client is remembered
 * @mac:	hardware address of the last client
 * @key:	the last client's key
 * @host:	the host name that client sent (option 12), cleaned, or empty
 */
struct dhcp_pool_entry {
	int64_t expire_ms;
	uint32_t next;
	uint8_t state;
	uint8_t flags;
	uint8_t keylen;
	uint8_t mac[PKT_ETH_ALEN];
	uint8_t key[DHCP_POOL_KEY_MAX];
	char host[DHCP_POOL_HOST_MAX];
};

/**
 * struct dhcp_pool - the pool's state
 * @ent:	the entries, one per address from @first
 * @n:		how many
 * @first:	the first address
 * @lease_ms:	lease time
 * @bucket:	hash chains of the entries that remember a client, index + 1
 * @bucket_mask: number of buckets - 1 (a power of two)
 * @free_cursor: no FREE, usable entry lies below it
 * @resv:	the reservations (allocated)
 * @nresv:	how many
 * @dirty:	something the lease file keeps changed since the last write
 * @urgent:	among the changes is a new binding: write at once
 * @ids_per_mac: most addresses one hardware address holds, 0 for no bound
 */
struct dhcp_pool {
	struct dhcp_pool_entry *ent;
	uint32_t n;
	uint32_t first;
	int64_t lease_ms;
	uint32_t *bucket;
	uint32_t bucket_mask;
	uint32_t free_cursor;
	struct dhcp_pool_resv *resv;
	unsigned int nresv;
	bool dirty;
	bool urgent;
	unsigned int ids_per_mac;
};

static struct dhcp_pool pool;

/**
 * dhcp_pool_index() - find the pool entry of an address
 * @a:		address, host order
 * @idx:	its index in the pool
 *
 * Return: true if @a is in the pool
 */
static bool dhcp_pool_index(uint32_t a, uint32_t *idx)
{
	uint32_t off = a - pool.first;

	if (!pool.ent || a < pool.first || off >= pool.n)
		return false;
	*idx = off;
	return true;
}

/**
 * dhcp_pool_hash() - hash a client key
 * @key:	the key
 * @len:	its length
 *
 * Return: a 32-bit hash (FNV-1a)
 */
static uint32_t dhcp_pool_hash(const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= key[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

/**
 * dhcp_pool_hash_insert() - index an entry by its key
 * @idx:	the entry; its key must be set and not indexed yet
 */
static void dhcp_pool_hash_insert(uint32_t idx)
{
	struct dhcp_pool_entry *l = &pool.ent[idx];
	uint32_t b = dhcp_pool_hash(l->key, l->keylen) & pool.bucket_mask;

	l->next = pool.bucket[b];
	pool.bucket[b] = idx + 1;
}

/**
 * dhcp_pool_hash_remove() - stop indexing an entry
 * @idx:	the entry; its key must still be the one it was indexed by
 */
static void dhcp_pool_hash_remove(uint32_t idx)
{
	struct dhcp_pool_entry *l = &pool.ent[idx];
	uint32_t *link =
	    &pool.bucket[dhcp_pool_hash(l->key, l->keylen) & pool.bucket_mask];

	while (*link) {
		if (*link == idx + 1) {
			*link = l->next;
			break;
		}
		link = &pool.ent[*link - 1].next;
	}
	l->next = 0;
}

/**
 * dhcp_pool_hash_find() - find the entry that remembers a client
 * @key:	the client's key
 * @len:	its length
 * @idx:	the entry's index
 *
 * Return: true if an entry remembers the client
 */
static bool dhcp_pool_hash_find(const uint8_t *key, size_t len, uint32_t *idx)
{
	uint32_t i;

	if (!pool.ent)
		return false;
	i = pool.bucket[dhcp_pool_hash(key, len) & pool.bucket_mask];
	while (i) {
		const struct dhcp_pool_entry *l = &pool.ent[i - 1];

		if (l->keylen == len && memcmp(l->key, key, len) == 0) {
			*idx = i - 1;
			return true;
		}
		i = l->next;
	}
	return false;
}

/**
 * dhcp_pool_at() - get an entry with its state brought up to date
 * @idx:	the entry
 * @now:	current time, monotonic milliseconds
 *
 * Return: the entry; an OFFERED, LEASED or DECLINED entry whose time has
 * come is ENDED from then on
 */
static struct dhcp_pool_entry *dhcp_pool_at(uint32_t idx, int64_t now)
{
	struct dhcp_pool_entry *l = &pool.ent[idx];

	if ((l->state == DHCP_POOL_OFFERED || l->state == DHCP_POOL_LEASED ||
	     l->state == DHCP_POOL_DECLINED) &&
	    l->expire_ms <= now)
		l->state = DHCP_POOL_ENDED;
	return l;
}

/**
 * dhcp_pool_held() - tell whether an entry is offered or leased
 * @l:	the entry, brought up to date by dhcp_pool_at()
 *
 * Return: true for OFFERED and LEASED
 */
static bool dhcp_pool_held(const struct dhcp_pool_entry *l)
{
	return l->state == DHCP_POOL_OFFERED || l->state == DHCP_POOL_LEASED;
}

/**
 * dhcp_pool_is() - tell whether an entry remembers a client
 * @l:		the entry
 * @cl:		the client
 *
 * Return: true if the entry's key is the client's
 */
static bool dhcp_pool_is(const struct dhcp_pool_entry *l,
			 const struct dhcp_pool_client *cl)
{
	if (l->keylen == cl->keylen && memcmp(l->key, cl->key, cl->keylen) == 0)
		return true;
	/* A lease filed under the hardware address alone (one learned from
	 * traffic, see dhcp_pool_note_in_use()) belongs to every client of
	 * that address. */
	return l->keylen == 1 + PKT_ETH_ALEN && l->key[0] == DHCP_POOL_KEY_HW &&
	       memcmp(l->key + 1, cl->mac, PKT_ETH_ALEN) == 0;
}

/**
 * dhcp_pool_forget() - make an entry forget its client
 * @idx:	the entry
 * @now:	current time; an entry still held ends now
 */
static void dhcp_pool_forget(uint32_t idx, int64_t now)
{
	struct dhcp_pool_entry *l = dhcp_pool_at(idx, now);

	if (l->keylen) {
		dhcp_pool_hash_remove(idx);
		l->keylen = 0;
		pool.dirty = true;
	}
	if (dhcp_pool_held(l)) {
		l->state = DHCP_POOL_ENDED;
		l->expire_ms = now;
	}
}

/**
 * dhcp_pool_count_mac() - count the entries of a hardware address in a state
 * @mac:	the hardware address
 * @held:	count OFFERED and LEASED entries (else DECLINED ones)
 * @now:	current time
 * @oldest:	set to the held entry that expires first (with @held)
 *
 * Return: how many entries there are
 */
static unsigned int dhcp_pool_count_mac(const uint8_t *mac, bool held,
					int64_t now, uint32_t *oldest)
{
	unsigned int n = 0;

	for (uint32_t i = 0; i < pool.n; i++) {
		const struct dhcp_pool_entry *l = dhcp_pool_at(i, now);
		bool match = held ? dhcp_pool_held(l) && l->keylen
				  : l->state == DHCP_POOL_DECLINED;

		if (!match || memcmp(l->mac, mac, PKT_ETH_ALEN))
			continue;
		if (held && (!n || l->expire_ms < pool.ent[*oldest].expire_ms))
			*oldest = i;
		n++;
	}
	return n;
}

/**
 * dhcp_pool_bound_mac() - make room for one more key of a hardware address
 * @mac:	the hardware address, about to hold one more address
 * @now:	current time
 *
 * While it holds ids_per_mac addresses or more, the one that expires first
 * ends and forgets its client (the same VM under another client key).
 */
static void dhcp_pool_bound_mac(const uint8_t *mac, int64_t now)
{
	uint32_t oldest = 0;

	if (!pool.ids_per_mac)
		return;
	while (dhcp_pool_count_mac(mac, true, now, &oldest) >= pool.ids_per_mac)
		dhcp_pool_forget(oldest, now);
}

/**
 * dhcp_pool_set_ids_per_mac() - bound the addresses one MAC holds at once
 * @n:		most addresses offered or leased to one hardware address
 *		(the guards' --dhcp-clients); 0 for no bound
 */
void dhcp_pool_set_ids_per_mac(unsigned int n)
{
	pool.ids_per_mac = n;
}

/**
 * dhcp_pool_attach() - make an entry remember a client, and only that entry
 * @idx:	the entry
 * @cl:		the client
 * @now:	current time
 *
 * Any other entry that remembered the client forgets it.
 */
static void dhcp_pool_attach(uint32_t idx, const struct dhcp_pool_client *cl,
			     int64_t now)
{
	struct dhcp_pool_entry *l = &pool.ent[idx];
	uint32_t other;

	if (!dhcp_pool_is(l, cl)) {
		if (dhcp_pool_hash_find(cl->key, cl->keylen, &other))
			dhcp_pool_forget(other, now);
		else
			dhcp_pool_bound_mac(cl->mac, now);
		if (l->keylen)
			dhcp_pool_hash_remove(idx);
		memcpy(l->key, cl->key, cl->keylen);
		l->keylen = cl->keylen;
		l->host[0] = '\0';
		dhcp_pool_hash_insert(idx);
	}
	memcpy(l->mac, cl->mac, PKT_ETH_ALEN);
}

/**
 * dhcp_pool_usable_for() - tell whether a pool address may go to a client
 * @a:		the address
 * @cl:		the client
 * @now:	current time
 * @idx:	its pool index
 *
 * Return: true if @a is a pool address that is neither reserved nor the
 * gateway, and is free, ended, or already the client's
 */
static bool dhcp_pool_usable_for(uint32_t a, const struct dhcp_pool_client *cl,
				 int64_t now, uint32_t *idx)
{
	const struct dhcp_pool_entry *l;

	if (!dhcp_pool_index(a, idx))
		return false;
	l = dhcp_pool_at(*idx, now);
	if (l->flags)
		return false;
	switch (l->state) {
	case DHCP_POOL_FREE:
	case DHCP_POOL_ENDED:
		return true;
	case DHCP_POOL_OFFERED:
	case DHCP_POOL_LEASED:
		return dhcp_pool_is(l, cl);
	default:
		return false;
	}
}

/**
 * dhcp_pool_alloc() - choose an address for a client that has none
 * @now:	current time
 * @idx:	the chosen entry
 *
 * Takes a never used address if there is one, else the address whose
 * lease ended the longest time ago.
 *
 * Return: true if an address was found
 */
static bool dhcp_pool_alloc(int64_t now, uint32_t *idx)
{
	bool found = false;
	int64_t oldest = 0;

	for (; pool.free_cursor < pool.n; pool.free_cursor++) {
		const struct dhcp_pool_entry *l = &pool.ent[pool.free_cursor];

		if (l->state == DHCP_POOL_FREE && !l->flags) {
			*idx = pool.free_cursor;
			return true;
		}
	}
	for (uint32_t i = 0; i < pool.n; i++) {
		const struct dhcp_pool_entry *l = dhcp_pool_at(i, now);

		if (l->state != DHCP_POOL_ENDED || l->flags)
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
 * dhcp_pool_init() - allocate the pool
 * @first:	its first address
 * @size:	how many addresses, 1 or more
 * @gateway:	the gateway's address, never handed out
 * @lease_secs:	lease time
 *
 * Any pool set up before is freed first. Nothing is allocated afterwards
 * except the reservations handed over by dhcp_pool_set_resv().
 *
 * Return: 0, or -1 if out of memory
 */
int dhcp_pool_init(uint32_t first, uint32_t size, uint32_t gateway,
		   uint32_t lease_secs)
{
	uint32_t nb = 16, gi;

	dhcp_pool_fini();
	if (size == 0)
		return -1;
	while (nb < size)
		nb <<= 1;
	pool.ent = calloc(size, sizeof(*pool.ent));
	pool.bucket = calloc(nb, sizeof(*pool.bucket));
	if (!pool.ent || !pool.bucket) {
		dhcp_pool_fini();
		return -1;
	}
	pool.n = size;
	pool.first = first;
	pool.lease_ms = (int64_t)lease_secs * 1000;
	pool.bucket_mask = nb - 1;
	if (dhcp_pool_index(gateway, &gi))
		pool.ent[gi].flags |= DHCP_POOL_F_GATEWAY;
	return 0;
}

/**
 * dhcp_pool_fini() - free the pool and the reservations
 *
 * Safe to call when dhcp_pool_init() was never called or failed.
 */
void dhcp_pool_fini(void)
{
	free(pool.ent);
	free(pool.bucket);
	free(pool.resv);
	memset(&pool, 0, sizeof(pool));
}

/**
 * dhcp_pool_client_init() - derive the key a client's lease is filed under
 * @cl:		the client, filled in
 * @mac:	its hardware address (the first six bytes of chaddr)
 * @id:		its client identifier (option 61), or NULL
 * @idlen:	the identifier's length
 */
void dhcp_pool_client_init(struct dhcp_pool_client *cl, const uint8_t *mac,
			   const uint8_t *id, size_t idlen)
{
	/*
	 * The client identifier is tied to the hardware address, so no VM can
	 * name another VM's lease by sending its identifier (the guards pin
	 * chaddr to the port's MAC). An identifier too long to fit is cut:
	 * two identifiers of one MAC that differ only past that point share a
	 * lease, which harms nobody else.
	 */
	memset(cl, 0, sizeof(*cl));
	memcpy(cl->mac, mac, PKT_ETH_ALEN);
	cl->key[0] = id && idlen ? DHCP_POOL_KEY_HWID : DHCP_POOL_KEY_HW;
	memcpy(cl->key + 1, mac, PKT_ETH_ALEN);
	cl->keylen = 1 + PKT_ETH_ALEN;
	if (cl->key[0] == DHCP_POOL_KEY_HWID) {
		size_t n = idlen;

		if (n > DHCP_POOL_KEY_MAX - cl->keylen)
			n = DHCP_POOL_KEY_MAX - cl->keylen;
		memcpy(cl->key + cl->keylen, id, n);
		cl->keylen = (uint8_t)(cl->keylen + n);
	}
}

/**
 * dhcp_pool_offer() - choose the pool address to offer a client
 * @cl:		the client, which has no reservation
 * @want:	the address it asks for (option 50), 0 if none
 * @now:	current time
 * @addr:	the address offered
 *
 * The client's own entry, else @want if usable, else a never used or the
 * longest ended address. The entry is held for the client for
 * DHCP_POOL_OFFER_HOLD_MS (a running lease stays as it is).
 *
 * Return: true if an address was found
 */
bool dhcp_pool_offer(const struct dhcp_pool_client *cl, uint32_t want,
		     int64_t now, uint32_t *addr)
{
	struct dhcp_pool_entry *l;
	uint32_t idx;
	bool have = dhcp_pool_hash_find(cl->key, cl->keylen, &idx);

	if (have && dhcp_pool_at(idx, now)->flags) {
		dhcp_pool_forget(idx, now); /* its address is reserved now */
		have = false;
	}
	if (!have && want)
		have = dhcp_pool_usable_for(want, cl, now, &idx);
	if (!have)
		have = dhcp_pool_alloc(now, &idx);
	if (!have)
		return false;
	dhcp_pool_attach(idx, cl, now);
	l = &pool.ent[idx];
	if (l->state != DHCP_POOL_LEASED) {
		l->state = DHCP_POOL_OFFERED;
		l->expire_ms = now + DHCP_POOL_OFFER_HOLD_MS;
	}
	*addr = pool.first + idx;
	return true;
}

/**
 * dhcp_pool_withdraw_offer() - end an offer the client turned down (it
 * chose another server)
 * @cl:		the client
 * @now:	current time
 */
void dhcp_pool_withdraw_offer(const struct dhcp_pool_client *cl, int64_t now)
{
	uint32_t own;

	if (dhcp_pool_hash_find(cl->key, cl->keylen, &own) &&
	    dhcp_pool_at(own, now)->state == DHCP_POOL_OFFERED) {
		pool.ent[own].state = DHCP_POOL_ENDED;
		pool.ent[own].expire_ms = now;
	}
}

/**
 * dhcp_pool_bind() - lease a pool address to a client that asks for it
 * @cl:		the client, which has no reservation
 * @a:		the address asked for
 * @now:	current time
 *
 * A new binding marks the pool changed and urgent; a renewal does not (the
 * caller decides when an extended expiry is worth a write).
 *
 * Return: see enum dhcp_pool_bind_result
 */
enum dhcp_pool_bind_result dhcp_pool_bind(const struct dhcp_pool_client *cl,
					  uint32_t a, int64_t now)
{
	struct dhcp_pool_entry *l;
	uint32_t idx, own;
	bool have_own, renewal;

	have_own = dhcp_pool_hash_find(cl->key, cl->keylen, &own);
	if (have_own) {
		l = dhcp_pool_at(own, now);
		if (l->flags) {
			dhcp_pool_forget(own, now);
			have_own = false;
		} else if (dhcp_pool_held(l) && pool.first + own != a) {
			return DHCP_POOL_ELSEWHERE;
		}
	}
	if (!dhcp_pool_usable_for(a, cl, now, &idx))
		return DHCP_POOL_REFUSED;
	l = &pool.ent[idx];
	renewal = have_own && own == idx && l->state == DHCP_POOL_LEASED;
	dhcp_pool_attach(idx, cl, now);
	l->state = DHCP_POOL_LEASED;
	l->expire_ms = now + pool.lease_ms;
	if (renewal)
		return DHCP_POOL_RENEWED;
	pool.dirty = true;
	pool.urgent = true;
	return DHCP_POOL_BOUND;
}

/**
 * dhcp_pool_held_by() - the entry of an address offered or leased to a client
 * @cl:		the client
 * @a:		the address
 * @now:	current time
 * @idx:	set to the entry's index
 *
 * Return: the entry, or NULL if @a is not in the pool or not @cl's
 */
static struct dhcp_pool_entry *
dhcp_pool_held_by(const struct dhcp_pool_client *cl, uint32_t a, int64_t now,
		  uint32_t *idx)
{
	struct dhcp_pool_entry *l;

	if (!dhcp_pool_index(a, idx))
		return NULL;
	l = dhcp_pool_at(*idx, now);
	return dhcp_pool_held(l) && dhcp_pool_is(l, cl) ? l : NULL;
}

/**
 * dhcp_pool_release() - end a client's lease now
 * @cl:		the client
 * @a:		the address it releases
 * @now:	current time
 *
 * The entry keeps remembering the client, so it gets the address back if
 * nobody took it in between.
 *
 * Return: true if @a was offered or leased to @cl
 */
bool dhcp_pool_release(const struct dhcp_pool_client *cl, uint32_t a,
		       int64_t now)
{
	uint32_t idx;
	struct dhcp_pool_entry *l = dhcp_pool_held_by(cl, a, now, &idx);

	if (!l)
		return false;
	l->state = DHCP_POOL_ENDED;
	l->expire_ms = now;
	pool.dirty = true;
	return true;
}

/**
 * dhcp_pool_decline() - set aside an address a client found in use
 * @cl:		the client; only the one the address is offered or leased
 *		to can decline it
 * @a:		the address
 * @now:	current time
 *
 * The address forgets the client and rests for DHCP_POOL_DECLINE_HOLD_MS,
 * unless DHCP_POOL_DECLINE_MAX addresses declined by the same hardware
 * address rest already: then it stays the client's.
 *
 * Return: see enum dhcp_pool_decline_result (0 when @a is not @cl's)
 */
enum dhcp_pool_decline_result
dhcp_pool_decline(const struct dhcp_pool_client *cl, uint32_t a, int64_t now)
{
	uint32_t idx;
	struct dhcp_pool_entry *l = dhcp_pool_held_by(cl, a, now, &idx);

	if (!l)
		return DHCP_POOL_NOT_HELD;
	if (dhcp_pool_count_mac(cl->mac, false, now, NULL) >=
	    DHCP_POOL_DECLINE_MAX)
		return DHCP_POOL_DECLINE_LIMIT;
	dhcp_pool_forget(idx, now);
	l->state = DHCP_POOL_DECLINED;
	l->expire_ms = now + DHCP_POOL_DECLINE_HOLD_MS;
	return DHCP_POOL_DECLINED_OK;
}

/**
 * dhcp_pool_note_in_use() - learn that a VM uses a pool address
 * @a:		the address, seen as the sender of an ARP
 * @mac:	the VM's hardware address
 * @now:	current time
 *
 * An address the pool has no lease for (the server was restarted without
 * a lease file, or lost the last second of it) but that a VM is using is
 * recorded as that VM's lease, filed under its hardware address, so it is
 * not handed to anyone else. Addresses that are reserved, declined, or
 * held by a lease are left alone, and so are VMs that already hold another
 * lease or have a reservation.
 *
 * Return: true if a lease was recorded
 */
bool dhcp_pool_note_in_use(uint32_t a, const uint8_t *mac, int64_t now)
{
	struct dhcp_pool_client cl;
	struct dhcp_pool_entry *l;
	uint32_t idx, other;

	if (!dhcp_pool_index(a, &idx))
		return false;
	l = dhcp_pool_at(idx, now);
	if (l->flags || dhcp_pool_held(l))
		return false;
	dhcp_pool_client_init(&cl, mac, NULL, 0);
	if (dhcp_pool_hash_find(cl.key, cl.keylen, &other) &&
	    dhcp_pool_held(dhcp_pool_at(other, now)))
		return false;
	if (dhcp_pool_resv_by_mac(mac))
		return false;
	dhcp_pool_attach(idx, &cl, now);
	l->state = DHCP_POOL_LEASED;
	l->expire_ms = now + pool.lease_ms;
	pool.dirty = true;
	pool.urgent = true;
	return true;
}

/**
 * dhcp_pool_set_resv() - put new reservations in force
 * @v:		the reservations, allocated with malloc(); the pool owns
 *		them from now on (NULL for none)
 * @n:		how many
 *
 * The old ones are freed. Pool addresses no longer reserved become usable
 * again; the search for never used addresses restarts.
 */
void dhcp_pool_set_resv(struct dhcp_pool_resv *v, unsigned int n)
{
	uint32_t idx;

	/* What the old ones knew of their clients stays with the same
	 * reservations. */
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < pool.nresv; j++)
			if (!memcmp(v[i].mac, pool.resv[j].mac, PKT_ETH_ALEN) &&
			    v[i].addr == pool.resv[j].addr) {
				v[i].expire_ms = pool.resv[j].expire_ms;
				v[i].client = pool.resv[j].client;
			}
	free(pool.resv);
	pool.resv = v;
	pool.nresv = n;
	for (uint32_t i = 0; i < pool.n; i++)
		pool.ent[i].flags &= (uint8_t)~DHCP_POOL_F_RESERVED;
	for (unsigned int i = 0; i < pool.nresv; i++)
		if (dhcp_pool_index(pool.resv[i].addr, &idx))
			pool.ent[idx].flags |= DHCP_POOL_F_RESERVED;
	pool.free_cursor = 0;
}

/**
 * dhcp_pool_resv_by_mac() - find the reservation of a hardware address
 * @mac:	the address
 *
 * Return: the reservation, or NULL
 */
const struct dhcp_pool_resv *dhcp_pool_resv_by_mac(const uint8_t *mac)
{
	for (unsigned int i = 0; i < pool.nresv; i++)
		if (memcmp(pool.resv[i].mac, mac, PKT_ETH_ALEN) == 0)
			return &pool.resv[i];
	return NULL;
}

/**
 * dhcp_pool_resv_free() - tell whether a reserved address can be used now
 * @v:		the reservation
 * @now:	current time
 *
 * A reservation made while its address was leased to another client waits
 * until that lease ends (the other client is refused at its next renewal).
 *
 * Return: true if nobody else holds the address
 */
bool dhcp_pool_resv_free(const struct dhcp_pool_resv *v, int64_t now)
{
	const struct dhcp_pool_entry *l;
	uint32_t idx;

	if (!dhcp_pool_index(v->addr, &idx))
		return true;
	l = dhcp_pool_at(idx, now);
	return !dhcp_pool_held(l) || memcmp(l->mac, v->mac, PKT_ETH_ALEN) == 0;
}

/**
 * dhcp_pool_drop_dynamic() - end the pool lease of a client that has a
 * reservation (one from before the reservation was made)
 * @cl:		the client
 * @now:	current time
 */
void dhcp_pool_drop_dynamic(const struct dhcp_pool_client *cl, int64_t now)
{
	uint32_t idx;

	if (dhcp_pool_hash_find(cl->key, cl->keylen, &idx) &&
	    pool.ent[idx].flags == 0)
		dhcp_pool_forget(idx, now);
}

/**
 * dhcp_pool_size() - number of pool entries
 *
 * Return: the pool size, 0 when there is no pool
 */
uint32_t dhcp_pool_size(void)
{
	return pool.n;
}

/**
 * dhcp_pool_get() - read an entry for the lease file
 * @i:		the entry, below dhcp_pool_size()
 * @now:	current time
 * @l:		the lease, filled in when there is one
 *
 * Return: true if the entry is leased, or ended and still remembers its
 * client (so that a returning client gets its address back after a
 * restart)
 */
bool dhcp_pool_get(uint32_t i, int64_t now, struct dhcp_pool_lease *l)
{
	const struct dhcp_pool_entry *e;

	if (i >= pool.n)
		return false;
	e = dhcp_pool_at(i, now);
	if (!e->keylen ||
	    (e->state != DHCP_POOL_LEASED && e->state != DHCP_POOL_ENDED))
		return false;
	memset(l, 0, sizeof(*l));
	l->addr = pool.first + i;
	l->expire_ms = e->expire_ms;
	memcpy(l->client.mac, e->mac, PKT_ETH_ALEN);
	memcpy(l->client.key, e->key, e->keylen);
	l->client.keylen = e->keylen;
	return true;
}

/**
 * dhcp_pool_restore() - take a lease read from the lease file
 * @l:		the lease
 * @now:	current time: a lease whose expiry is later runs, others are
 *		ended and remembered
 *
 * Return: false, taking nothing, for a key of an unknown kind or length,
 * an address outside the pool or reserved, and an address or a client
 * already taken by an earlier lease
 */
bool dhcp_pool_restore(const struct dhcp_pool_lease *l, int64_t now)
{
	const struct dhcp_pool_client *cl = &l->client;
	struct dhcp_pool_entry *e;
	uint32_t idx, dup;

	if (cl->keylen == 0 || cl->keylen > DHCP_POOL_KEY_MAX ||
	    (cl->key[0] == DHCP_POOL_KEY_HW &&
	     cl->keylen != 1 + PKT_ETH_ALEN) ||
	    (cl->key[0] == DHCP_POOL_KEY_HWID &&
	     cl->keylen <= 1 + PKT_ETH_ALEN) ||
	    (cl->key[0] != DHCP_POOL_KEY_HW &&
	     cl->key[0] != DHCP_POOL_KEY_HWID))
		return false;
	if (!dhcp_pool_index(l->addr, &idx) || pool.ent[idx].flags ||
	    pool.ent[idx].keylen ||
	    dhcp_pool_hash_find(cl->key, cl->keylen, &dup))
		return false;
	e = &pool.ent[idx];
	memcpy(e->key, cl->key, cl->keylen);
	e->keylen = cl->keylen;
	memcpy(e->mac, cl->mac, PKT_ETH_ALEN);
	dhcp_pool_hash_insert(idx);
	e->expire_ms = l->expire_ms;
	e->state = e->expire_ms > now ? DHCP_POOL_LEASED : DHCP_POOL_ENDED;
	return true;
}

/**
 * dhcp_pool_changed() - tell whether the lease file is out of date
 * @urgent:	set to whether a new binding is among the changes; may be
 *		NULL
 *
 * Return: true if something the lease file keeps changed since
 * dhcp_pool_mark_saved()
 */
bool dhcp_pool_changed(bool *urgent)
{
	if (urgent)
		*urgent = pool.urgent;
	return pool.dirty;
}

/**
 * dhcp_pool_mark_changed() - note a change the lease file should get
 * @urgent:	the change should be written at once
 */
void dhcp_pool_mark_changed(bool urgent)
{
	pool.dirty = true;
	if (urgent)
		pool.urgent = true;
}

/**
 * dhcp_pool_mark_saved() - note that the lease file was written (or is
 * being written) with the pool as it is
 */
void dhcp_pool_mark_saved(void)
{
	pool.dirty = false;
	pool.urgent = false;
}

/**
 * dhcp_pool_key_id() - the client identifier inside a client key
 * @key:	the key
 * @keylen:	its length
 * @out:	the lease description whose @id and @idlen are set
 */
static void dhcp_pool_key_id(const uint8_t *key, uint8_t keylen,
			     struct dhcp_pool_info *out)
{
	if (keylen > 1 + PKT_ETH_ALEN && key[0] == DHCP_POOL_KEY_HWID) {
		out->idlen = (uint8_t)(keylen - 1 - PKT_ETH_ALEN);
		memcpy(out->id, key + 1 + PKT_ETH_ALEN, out->idlen);
	}
}

/**
 * dhcp_pool_resv_info() - describe a reservation
 * @v:		the reservation
 * @now:	current time
 * @out:	filled in
 */
static void dhcp_pool_resv_info(const struct dhcp_pool_resv *v, int64_t now,
				struct dhcp_pool_info *out)
{
	out->addr = v->addr;
	memcpy(out->mac, v->mac, PKT_ETH_ALEN);
	memcpy(out->host, v->name, sizeof(out->host));
	out->expire_ms = v->expire_ms;
	out->leased = v->expire_ms && v->expire_ms > now;
	out->reserved = true;
	if (v->expire_ms)
		dhcp_pool_key_id(v->client.key, v->client.keylen, out);
}

/**
 * dhcp_pool_info_at() - describe a pool entry
 * @i:		the entry, below pool.n
 * @now:	current time
 * @out:	filled in
 *
 * Return: true if the entry is leased, or ended and still remembers its
 * client
 */
static bool dhcp_pool_info_at(uint32_t i, int64_t now,
			      struct dhcp_pool_info *out)
{
	const struct dhcp_pool_entry *e = dhcp_pool_at(i, now);

	if (!e->keylen ||
	    (e->state != DHCP_POOL_LEASED && e->state != DHCP_POOL_ENDED))
		return false;
	out->addr = pool.first + i;
	memcpy(out->mac, e->mac, PKT_ETH_ALEN);
	dhcp_pool_key_id(e->key, e->keylen, out);
	memcpy(out->host, e->host, sizeof(e->host));
	out->expire_ms = e->expire_ms;
	out->leased = e->state == DHCP_POOL_LEASED;
	return true;
}

/**
 * dhcp_pool_next() - walk the leases, then the reservations (for reading)
 * @pos:	where the walk is; 0 to start
 * @now:	current time
 * @out:	the next one
 *
 * Pool entries count if leased, or ended and still remembering their
 * client; reservations always.
 *
 * Return: true with @out filled in, false at the end
 */
bool dhcp_pool_next(uint32_t *pos, int64_t now, struct dhcp_pool_info *out)
{
	memset(out, 0, sizeof(*out));
	for (; *pos < pool.n; (*pos)++) {
		if (dhcp_pool_info_at(*pos, now, out)) {
			(*pos)++;
			return true;
		}
	}
	if (*pos - pool.n >= pool.nresv)
		return false;
	dhcp_pool_resv_info(&pool.resv[*pos - pool.n], now, out);
	(*pos)++;
	return true;
}

/**
 * dhcp_pool_clean_host() - copy a host name a client sent, made harmless
 * @dst:	where it goes
 * @cap:	its size
 * @src:	the name (guest bytes)
 * @len:	its length
 *
 * Letters, digits, '-', '_' and '.' are kept, anything else becomes '?'.
 */
static void dhcp_pool_clean_host(char *dst, size_t cap, const char *src,
				 size_t len)
{
	size_t n = len < cap - 1 ? len : cap - 1;

	for (size_t k = 0; k < n; k++) {
		char c = src[k];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '-' || c == '_' ||
			  c == '.';

		dst[k] = ok ? c : '?';
	}
	dst[n] = '\0';
}

/**
 * dhcp_pool_note_host() - remember the host name a client sent (option 12)
 * @cl:		the client, which holds a pool lease
 * @host:	the name (guest bytes, any)
 * @len:	its length
 */
void dhcp_pool_note_host(const struct dhcp_pool_client *cl, const char *host,
			 size_t len)
{
	uint32_t idx;

	if (dhcp_pool_hash_find(cl->key, cl->keylen, &idx))
		dhcp_pool_clean_host(pool.ent[idx].host,
				     sizeof(pool.ent[idx].host), host, len);
}

/**
 * dhcp_pool_resv_bound() - note that a reservation's address was
 * acknowledged to its client
 * @cl:		the client
 * @expire:	when that lease ends
 */
void dhcp_pool_resv_bound(const struct dhcp_pool_client *cl, int64_t expire)
{
	for (unsigned int i = 0; i < pool.nresv; i++) {
		if (!memcmp(pool.resv[i].mac, cl->mac, PKT_ETH_ALEN)) {
			pool.resv[i].expire_ms = expire;
			pool.resv[i].client = *cl;
		}
	}
}
