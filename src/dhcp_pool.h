/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The DHCP server's address pool: one entry per address of the range, the
 * client each entry remembers, the reservations that own addresses, and
 * the rules for which address a client gets. No packets here: the protocol
 * (dhcp.c) asks, the pool answers. Every time is the caller's monotonic
 * clock in milliseconds; addresses are host-order uint32_t values.
 */
#ifndef DHCP_POOL_H
#define DHCP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

#define DHCP_POOL_KEY_MAX  64u /* bytes of a client key */
#define DHCP_POOL_NAME_MAX 63u /* reservation host name */
#define DHCP_POOL_HOST_MAX 32u /* a client's own host name, NUL included */

/**
 * struct dhcp_pool_client - who a lease belongs to
 * @mac:	the client's hardware address
 * @keylen:	length of @key
 * @key:	the key its lease is filed under: one kind byte, then the
 *		hardware address and, when the client sent one, its client
 *		identifier (cut to fit)
 */
struct dhcp_pool_client {
	uint8_t mac[PKT_ETH_ALEN];
	uint8_t keylen;
	uint8_t key[DHCP_POOL_KEY_MAX];
};

/**
 * struct dhcp_pool_lease - a lease as the lease file keeps it
 * @addr:	the address
 * @expire_ms:	when it ends, or ended (monotonic, may be negative)
 * @client:	the client it is, or was, leased to
 */
struct dhcp_pool_lease {
	uint32_t addr;
	int64_t expire_ms;
	struct dhcp_pool_client client;
};

/**
 * struct dhcp_pool_resv - one reservation from the hosts file
 * @mac:	the client's hardware address
 * @addr:	its address, inside the subnet, maybe outside the pool
 * @name:	its host name (option 12), NUL-terminated
 * @expire_ms:	when the lease last acknowledged ends (0: none yet)
 * @client:	the client of that acknowledgement
 */
struct dhcp_pool_resv {
	uint8_t mac[PKT_ETH_ALEN];
	uint32_t addr;
	char name[DHCP_POOL_NAME_MAX + 1];
	int64_t expire_ms;
	struct dhcp_pool_client client;
};

/**
 * struct dhcp_pool_info - a lease or a reservation, for reading
 * @addr:	the address
 * @mac:	the client's hardware address
 * @id:		its client identifier (option 61, maybe cut), if it sent one
 * @idlen:	the identifier's length, 0 for none
 * @host:	the host name the client sent, or the reservation's name, or
 *		empty
 * @expire_ms:	when the lease ends or ended (0: a reservation not used
 *		since it was read)
 * @leased:	the lease runs now
 * @reserved:	a reservation
 */
struct dhcp_pool_info {
	uint32_t addr;
	uint8_t mac[PKT_ETH_ALEN];
	uint8_t id[DHCP_POOL_KEY_MAX];
	uint8_t idlen;
	char host[DHCP_POOL_NAME_MAX + 1];
	int64_t expire_ms;
	bool leased;
	bool reserved;
};

/**
 * enum dhcp_pool_bind_result - what dhcp_pool_bind() did
 * @DHCP_POOL_BOUND:	a new binding (or a rebinding after a gap)
 * @DHCP_POOL_RENEWED:	the client's running lease was extended
 * @DHCP_POOL_ELSEWHERE: refused: the client holds another pool address
 * @DHCP_POOL_REFUSED:	refused: the address is not the client's to have
 */
enum dhcp_pool_bind_result {
	DHCP_POOL_BOUND = 0,
	DHCP_POOL_RENEWED,
	DHCP_POOL_ELSEWHERE,
	DHCP_POOL_REFUSED,
};

/**
 * enum dhcp_pool_decline_result - what dhcp_pool_decline() did
 * @DHCP_POOL_NOT_HELD:		nothing: the address is not the client's
 * @DHCP_POOL_DECLINED_OK:	the address rests, the client has none
 * @DHCP_POOL_DECLINE_LIMIT:	not honoured: its MAC declined too many
 *				addresses lately; the address stays its own
 */
enum dhcp_pool_decline_result {
	DHCP_POOL_NOT_HELD = 0,
	DHCP_POOL_DECLINED_OK,
	DHCP_POOL_DECLINE_LIMIT,
};

int dhcp_pool_init(uint32_t first, uint32_t size, uint32_t gateway,
		   uint32_t lease_secs);
void dhcp_pool_fini(void);
void dhcp_pool_client_init(struct dhcp_pool_client *cl, const uint8_t *mac,
			   const uint8_t *id, size_t idlen);

bool dhcp_pool_offer(const struct dhcp_pool_client *cl, uint32_t want,
		     int64_t now, uint32_t *addr);
void dhcp_pool_withdraw_offer(const struct dhcp_pool_client *cl, int64_t now);
enum dhcp_pool_bind_result dhcp_pool_bind(const struct dhcp_pool_client *cl,
					  uint32_t a, int64_t now);
bool dhcp_pool_release(const struct dhcp_pool_client *cl, uint32_t a,
		       int64_t now);
enum dhcp_pool_decline_result
dhcp_pool_decline(const struct dhcp_pool_client *cl, uint32_t a, int64_t now);
void dhcp_pool_set_ids_per_mac(unsigned int n);
bool dhcp_pool_note_in_use(uint32_t a, const uint8_t *mac, int64_t now);

void dhcp_pool_set_resv(struct dhcp_pool_resv *v, unsigned int n);
const struct dhcp_pool_resv *dhcp_pool_resv_by_mac(const uint8_t *mac);
bool dhcp_pool_resv_free(const struct dhcp_pool_resv *v, int64_t now);
void dhcp_pool_drop_dynamic(const struct dhcp_pool_client *cl, int64_t now);

uint32_t dhcp_pool_size(void);
bool dhcp_pool_get(uint32_t i, int64_t now, struct dhcp_pool_lease *l);
bool dhcp_pool_restore(const struct dhcp_pool_lease *l, int64_t now);

bool dhcp_pool_next(uint32_t *pos, int64_t now, struct dhcp_pool_info *out);
void dhcp_pool_note_host(const struct dhcp_pool_client *cl, const char *host,
			 size_t len);
void dhcp_pool_resv_bound(const struct dhcp_pool_client *cl, int64_t expire);

bool dhcp_pool_changed(bool *urgent);
void dhcp_pool_mark_changed(bool urgent);
void dhcp_pool_mark_saved(void);

#endif /* DHCP_POOL_H */
