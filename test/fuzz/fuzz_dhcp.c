/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness of the DHCP server: dhcp_init(), dhcp_input() and
 * dhcp_tick() (src/dhcp.c, with the pool of src/dhcp_pool.c and the files
 * of src/dhcp_file.c underneath) on 192.168.105.0/24 with the gateway at
 * .1, a pool of eight addresses (.2-.9), a hosts file reserving .5 (inside
 * the pool) and .20 (outside) for two of the four client MACs, and a lease
 * file in a scratch directory. The server and its state live across inputs
 * (so sequences reach exhaustion, expiry and reuse), from scratch every
 * FUZZ_EPOCH inputs (see fuzz.h: a failure writes the epoch's inputs out
 * as one input that replays it, and FUZZ_TRACE=1 then logs every message),
 * and may be restarted from its lease file on the way.
 *
 * Input layout: records of an operation byte (client MAC, message type, a
 * raw bit, a restart bit, a small-buffer bit), a time step (x 250 ms), a
 * 16-bit length and that many bytes; an incomplete last record is ignored.
 * An operation with its six low bits set is a side call instead: a VM seen
 * using an address (dhcp_note_in_use()), then a hosts file reload.
 * A raw record's bytes are the whole UDP datagram; otherwise a well-formed
 * client message is built from the first bytes (flags, requested address,
 * client address, server identifier, source port; the flags also pick a
 * client identifier) with up to FUZZ_EXTRA more appended as options.
 *
 * Invariants: dhcp_input() writes a frame exactly when it says it replied,
 * and only where a reply belongs (OFFER to DISCOVER; ACK or NAK to
 * REQUEST; ACK to INFORM; nothing else); every reply is an IPv4/UDP frame
 * from the gateway's MAC and address and port 67 with good lengths and
 * checksums, parses back with dhcpmsg_parse() as a BOOTREPLY of at least
 * 300 bytes to the request's xid and chaddr, with well-formed options, the
 * server identifier, a lease time exactly when an address is leased, and
 * NAKs broadcast; an address offered or acknowledged is the client's
 * reservation or a pool address reserved for nobody, is the requested one
 * for an ACK, and is never one that another client holds (a model of the
 * offers and leases, see struct fuzz_hold); the OFFER, ACK and NAK
 * counters follow the replies; dhcp_tick() asks to be called again only
 * later.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dhcp.h"
#include "dhcpmsg.h"
#include "fuzz.h"
#include "log.h"

#define FUZZ_NET      0xc0a86900u /* 192.168.105.0/24 */
#define FUZZ_GW	      (FUZZ_NET + 1)
#define FUZZ_FIRST    (FUZZ_NET + 2)
#define FUZZ_LAST     (FUZZ_NET + 9)
#define FUZZ_LEASE_S  60u
#define FUZZ_OFFER_MS 30000 /* DHCP_POOL_OFFER_HOLD_MS */
#define FUZZ_EXTRA    1024u /* option bytes appended to a built message */

static const uint8_t fuzz_gw_mac[6] = {0x5a, 0x94, 0xef, 0, 0, 1};
/* Clients 3 and 4 have reservations: .5 and .20 */
static const uint32_t fuzz_resv[4] = {0, 0, FUZZ_NET + 5, FUZZ_NET + 20};

/**
 * struct fuzz_hold - the model's view of one pool address
 * @known:	the model saw everything done to it since the state was fresh
 * @used:	someone holds it (an offer or a lease)
 * @offer:	only offered
 * @mac:	the holder's MAC
 * @exp:	until when the hold surely runs
 *
 * The model is kept on the safe side: it knows holds by MAC (two client
 * identifiers of one MAC are one client to it), drops a hold whenever the
 * pool might have ended it, and knows nothing of what a restart restored
 * or a reply lost to a small buffer did (an offer of an address that may
 * be leased to its client holds it only as long as that lease).
 */
struct fuzz_hold {
	bool known;
	bool used;
	bool offer;
	uint8_t mac[6];
	int64_t exp;
};

/**
 * struct fuzz_req - what a request said, read back from the datagram
 * @xid:	transaction id
 * @chaddr:	client hardware address field
 * @type:	message type
 * @ciaddr:	client address field
 * @req_addr:	option 50, 0 if none
 * @has_sid:	option 54 was there
 * @sid:	option 54
 */
struct fuzz_req {
	uint32_t xid;
	uint8_t chaddr[16];
	unsigned int type;
	uint32_t ciaddr;
	uint32_t req_addr;
	bool has_sid;
	uint32_t sid;
};

static struct fuzz_hold fuzz_pool[8];
static char fuzz_dir[256], fuzz_hosts[300], fuzz_leases[300];
static uint64_t fuzz_now = 1000000;

/**
 * fuzz_pending() - the server's pending() hook (dhcp_tick() is called after
 * every message anyway)
 */
static void fuzz_pending(void)
{
}

/**
 * fuzz_start() - start the server (again, from its lease file)
 */
static void fuzz_start(void)
{
	struct dhcp_conf c = {
	    .gateway = FUZZ_GW,
	    .mask = 0xffffff00u,
	    .first = FUZZ_FIRST,
	    .last = FUZZ_LAST,
	    .mtu = 1500,
	    .dns = {FUZZ_GW},
	    .ndns = 1,
	    .lease_secs = FUZZ_LEASE_S,
	    .hosts_file = fuzz_hosts,
	    .lease_file = fuzz_leases,
	    .pending = fuzz_pending,
	};
	char err[256];

	memcpy(c.mac, fuzz_gw_mac, 6);
	if (dhcp_init(&c, fuzz_now, err, sizeof(err)) < 0) {
		fprintf(stderr, "dhcp_init: %s\n", err);
		abort();
	}
	memset(fuzz_pool, 0, sizeof(fuzz_pool));
}

/**
 * fuzz_cleanup() - stop the server and remove the scratch files (at exit)
 */
static void fuzz_cleanup(void)
{
	dhcp_fini(fuzz_now);
	unlink(fuzz_hosts);
	unlink(fuzz_leases);
	rmdir(fuzz_dir);
}

/**
 * fuzz_fresh() - start again from scratch: no lease file, an empty model,
 * the clock back at its start
 */
static void fuzz_fresh(void)
{
	dhcp_fini(fuzz_now);
	unlink(fuzz_leases);
	fuzz_now = 1000000;
	fuzz_start();
	for (size_t i = 0; i < 8; i++)
		fuzz_pool[i].known = true;
}

/**
 * fuzz_setup() - write the hosts file and start the server, once
 */
static void fuzz_setup(void)
{
	static const char hosts[] = "%%\n"
				    "vm3 1 52:54:00:00:00:03 192.168.105.5\n"
				    "vm4 1 52:54:00:00:00:04 192.168.105.20\n";

	log_init("fuzz_dhcp", LOG_LVL_ERROR);
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz_dhcp.XXXXXX",
		 fuzz_tmpdir());
	FUZZ_ASSERT(mkdtemp(fuzz_dir) != NULL);
	snprintf(fuzz_hosts, sizeof(fuzz_hosts), "%s/hosts", fuzz_dir);
	snprintf(fuzz_leases, sizeof(fuzz_leases), "%s/leases", fuzz_dir);
	fuzz_write_file(fuzz_hosts, (const uint8_t *)hosts, sizeof(hosts) - 1);
	fuzz_start();
	atexit(fuzz_cleanup);
}

/**
 * fuzz_put_opt() - append an option
 * @b:		the message
 * @n:		its length so far, advanced
 * @code:	option code
 * @val:	value
 * @len:	its length
 */
static void fuzz_put_opt(uint8_t *b, size_t *n, uint8_t code, const void *val,
			 uint8_t len)
{
	b[(*n)++] = code;
	b[(*n)++] = len;
	memcpy(b + *n, val, len);
	*n += len;
}

/**
 * fuzz_put_addr() - append an address option
 * @b:		the message
 * @n:		its length so far, advanced
 * @code:	option code
 * @a:		the address, host order
 */
static void fuzz_put_addr(uint8_t *b, size_t *n, uint8_t code, uint32_t a)
{
	uint8_t v[4] = {(uint8_t)(a >> 24), (uint8_t)(a >> 16),
			(uint8_t)(a >> 8), (uint8_t)a};

	fuzz_put_opt(b, n, code, v, 4);
}

/**
 * fuzz_build() - build a client message as a UDP datagram
 * @op:		the operation byte (client, type)
 * @p:		the record's bytes
 * @len:	how many
 * @b:		where the datagram goes (room for 8 + 240 + 128 + FUZZ_EXTRA +
 * 1)
 * @src:	set to the IPv4 source to use
 *
 * Return: the datagram's length
 */
static size_t fuzz_build(uint8_t op, const uint8_t *p, size_t len, uint8_t *b,
			 uint32_t *src)
{
	struct fuzz_in in = {p, len};
	uint8_t fl = fuzz_u8(&in), ra = fuzz_u8(&in), ci = fuzz_u8(&in);
	uint8_t si = fuzz_u8(&in), sp = fuzz_u8(&in);
	uint8_t type = (uint8_t)(1 + ((op >> 2) & 7)), id[72], want = 12;
	uint32_t ciaddr = fl & 0x08 ? FUZZ_NET + ci % 32 : 0;
	uint16_t sport = sp < 200 ? 68 : 5000 + sp;
	size_t n = 8 + 240;

	memset(b, 0, n);
	b[0] = (uint8_t)(sport >> 8);
	b[1] = (uint8_t)sport;
	b[3] = 67;
	b[8] = 1;
	b[9] = 1;
	b[10] = 6;
	memcpy(b + 12, (const uint8_t[4]){fl, ra, ci, si}, 4); /* xid */
	b[18] = fl & 1 ? 0x80 : 0;
	b[20] = (uint8_t)(ciaddr >> 24);
	b[21] = (uint8_t)(ciaddr >> 16);
	b[22] = (uint8_t)(ciaddr >> 8);
	b[23] = (uint8_t)ciaddr;
	b[32] = fl & 0x20 ? 10 : 0; /* giaddr 10.0.0.1: relayed */
	b[35] = fl & 0x20 ? 1 : 0;
	memcpy(b + 36, (const uint8_t[6]){0x52, 0x54, 0, 0, 0, 1 + (op & 3)},
	       6);
	memcpy(b + 8 + 236, (const uint8_t[4]){0x63, 0x82, 0x53, 0x63}, 4);
	fuzz_put_opt(b, &n, 53, &type, 1);
	if (fl & 0x02)
		fuzz_put_addr(b, &n, 50, FUZZ_NET + ra % 32);
	if (fl & 0x04)
		fuzz_put_addr(b, &n, 54, si & 1 ? FUZZ_GW : FUZZ_NET + si);
	if (fl & 0x10)
		fuzz_put_opt(b, &n, 55, &want, 1);
	if (fl >> 6) {
		memset(id, fl >> 6, sizeof(id));
		memcpy(id + 1, b + 36, 6);
		fuzz_put_opt(b, &n, 61, id, (fl >> 6) == 3 ? 72 : 7);
	}
	if (in.len > FUZZ_EXTRA)
		in.len = FUZZ_EXTRA;
	memcpy(b + n, in.p, in.len);
	n += in.len;
	b[n++] = 255;
	b[4] = (uint8_t)(n >> 8);
	b[5] = (uint8_t)n;
	*src = ciaddr;
	return n;
}

/**
 * fuzz_read_req() - read back what the server will make of a request
 * @udp:	the datagram
 * @len:	its length
 * @r:		filled in
 *
 * Return: false if it is not a message the server answers
 */
static bool fuzz_read_req(const uint8_t *udp, size_t len, struct fuzz_req *r)
{
	struct dhcpmsg m;
	struct dhcpmsg_iter it;
	struct dhcpmsg_opt o;

	memset(r, 0, sizeof(*r));
	if (len < 8 || fuzz_be16(udp + 2) != 67 || fuzz_be16(udp + 4) < 8 ||
	    fuzz_be16(udp + 4) > len ||
	    !dhcpmsg_parse(udp + 8, fuzz_be16(udp + 4) - 8u, &m))
		return false;
	r->xid = m.xid;
	memcpy(r->chaddr, m.chaddr, 16);
	r->ciaddr = m.ciaddr;
	r->type = dhcpmsg_type(&m);
	dhcpmsg_iter_init(&it, &m);
	while (dhcpmsg_next(&it, &o)) {
		if (o.code == 50 && o.len == 4 && !r->req_addr)
			r->req_addr = fuzz_be32(o.val);
		if (o.code == 54 && o.len == 4 && !r->has_sid) {
			r->has_sid = true;
			r->sid = fuzz_be32(o.val);
		}
	}
	return true;
}

/**
 * fuzz_forget() - drop holds of the client's MAC from the model, where the
 * pool may have ended or forgotten them (withdrawn offers, reservations,
 * another address given)
 * @r:		the request
 * @offers:	only offers
 */
static void fuzz_forget(const struct fuzz_req *r, bool offers)
{
	for (size_t i = 0; i < 8; i++) {
		struct fuzz_hold *h = &fuzz_pool[i];

		if (!memcmp(h->mac, r->chaddr, 6) && (h->offer || !offers))
			h->used = h->known = false;
	}
}

/**
 * fuzz_give() - check an address given to a client and note it in the
 * model
 * @r:		the request
 * @a:		the address (yiaddr of an OFFER or ACK)
 * @ack:	an ACK (a lease) rather than an OFFER
 */
static void fuzz_give(const struct fuzz_req *r, uint32_t a, bool ack)
{
	int64_t now = (int64_t)fuzz_now, exp;
	unsigned int mac = r->chaddr[5];
	struct fuzz_hold *h;
	bool lease, known;

	if (!memcmp(r->chaddr, "\x52\x54\0\0\0", 5) && mac >= 1 && mac <= 4 &&
	    fuzz_resv[mac - 1]) {
		FUZZ_ASSERT(a == fuzz_resv[mac - 1]);
		return;
	}
	FUZZ_ASSERT(a >= FUZZ_FIRST && a <= FUZZ_LAST && a != FUZZ_NET + 5);
	h = &fuzz_pool[a - FUZZ_FIRST];
	/* Nobody else holds it */
	FUZZ_ASSERT(!h->used || h->exp <= now || !memcmp(h->mac, r->chaddr, 6));
	lease = h->used && !h->offer && !memcmp(h->mac, r->chaddr, 6);
	known = h->known;
	exp = h->exp;
	fuzz_forget(r, false);
	memcpy(h->mac, r->chaddr, 6);
	h->known = known || ack;
	h->used = h->known;
	h->offer = !ack && !lease;
	if (ack)
		h->exp = now + FUZZ_LEASE_S * 1000;
	else if (lease) /* an offer of its own lease: the lease stays */
		h->exp = exp;
	else
		h->exp = now + FUZZ_OFFER_MS;
}

/**
 * fuzz_opts() - check the options of a reply
 * @m:		the reply
 * @type:	set to its message type
 *
 * Return: whether it has a lease time option
 */
static bool fuzz_opts(const struct dhcpmsg *m, unsigned int *type)
{
	struct dhcpmsg_iter it;
	struct dhcpmsg_opt o;
	bool sid = false, lease = false;

	*type = 0;
	dhcpmsg_iter_init(&it, m);
	while (dhcpmsg_next(&it, &o)) {
		if (o.code == 53 && o.len == 1 && !*type)
			*type = o.val[0];
		if (o.code == 54)
			sid = o.len == 4 && fuzz_be32(o.val) == FUZZ_GW;
		lease |= o.code == 51;
	}
	FUZZ_ASSERT(it.done && !it.bad && sid);
	return lease;
}

/**
 * fuzz_reply() - check a reply to a request
 * @r:		the request
 * @f:		the reply frame
 * @len:	its length
 *
 * Return: its message type
 */
static unsigned int fuzz_reply(const struct fuzz_req *r, const uint8_t *f,
			       size_t len)
{
	size_t off = fuzz_check_udp(f, len, FUZZ_GW, 67);
	struct dhcpmsg m;
	unsigned int type;
	bool lease;

	FUZZ_ASSERT(!memcmp(f + 6, fuzz_gw_mac, 6));
	FUZZ_ASSERT(len - off >= 300 && dhcpmsg_parse(f + off, len - off, &m));
	FUZZ_ASSERT(m.op == 2 && m.htype == 1 && m.hlen == 6);
	FUZZ_ASSERT(m.xid == r->xid && !memcmp(m.chaddr, r->chaddr, 16));
	lease = fuzz_opts(&m, &type);
	switch (type) {
	case DHCPMSG_OFFER:
		FUZZ_ASSERT(r->type == DHCPMSG_DISCOVER && lease);
		fuzz_give(r, m.yiaddr, false);
		break;
	case DHCPMSG_ACK:
		FUZZ_ASSERT(r->type == DHCPMSG_REQUEST ||
			    r->type == DHCPMSG_INFORM);
		FUZZ_ASSERT(lease == (r->type == DHCPMSG_REQUEST));
		if (r->type == DHCPMSG_INFORM) {
			FUZZ_ASSERT(m.yiaddr == 0);
			break;
		}
		FUZZ_ASSERT(m.yiaddr ==
			    (r->req_addr ? r->req_addr : r->ciaddr));
		fuzz_give(r, m.yiaddr, true);
		break;
	case DHCPMSG_NAK:
		FUZZ_ASSERT(r->type == DHCPMSG_REQUEST && !lease && !m.yiaddr);
		FUZZ_ASSERT(fuzz_be32(f + 30) == 0xffffffffu);
		FUZZ_ASSERT(!memcmp(f, "\xff\xff\xff\xff\xff\xff", 6));
		break;
	default:
		FUZZ_ASSERT(!"a reply of another type");
	}
	return type;
}

/**
 * fuzz_after() - update the model for what a request did without a reply
 * @r:		the request
 * @st0:	the counters before it
 * @st:		the counters after it
 */
static void fuzz_after(const struct fuzz_req *r, const struct dhcp_stats *st0,
		       const struct dhcp_stats *st)
{
	bool done =
	    st->ignored == st0->ignored && st->malformed == st0->malformed;
	uint32_t a = r->type == DHCPMSG_RELEASE ? r->ciaddr : r->req_addr;
	unsigned int mac = r->chaddr[5];

	if (r->type == DHCPMSG_REQUEST && r->has_sid && r->sid != FUZZ_GW)
		fuzz_forget(r, true);
	if (mac >= 1 && mac <= 4 && fuzz_resv[mac - 1])
		fuzz_forget(r, false); /* dhcp_pool_drop_dynamic() */
	if (!done ||
	    (r->type != DHCPMSG_RELEASE && r->type != DHCPMSG_DECLINE) ||
	    a < FUZZ_FIRST || a > FUZZ_LAST)
		return;
	if (!memcmp(fuzz_pool[a - FUZZ_FIRST].mac, r->chaddr, 6))
		fuzz_pool[a - FUZZ_FIRST].used = false;
}

/**
 * fuzz_trace() - with FUZZ_TRACE set, log a message and what became of it
 * (to read a history file)
 * @r:		the request
 * @res:	what dhcp_input() returned
 * @f:		the reply frame, if any
 */
static void fuzz_trace(const struct fuzz_req *r, enum dhcp_result res,
		       const uint8_t *f)
{
	if (!getenv("FUZZ_TRACE"))
		return;
	fprintf(stderr,
		"t=%llu type %u from %02x:%02x:%02x:%02x:%02x:%02x ciaddr %08x "
		"req %08x: %s %u %08x\n",
		(unsigned long long)fuzz_now, r->type, r->chaddr[0],
		r->chaddr[1], r->chaddr[2], r->chaddr[3], r->chaddr[4],
		r->chaddr[5], r->ciaddr, r->req_addr,
		res == DHCP_REPLY ? "reply" : "none",
		res == DHCP_REPLY ? f[284] : 0,
		res == DHCP_REPLY ? fuzz_be32(f + 58) : 0);
	for (size_t i = 0; i < 8; i++)
		if (fuzz_pool[i].used)
			fprintf(stderr,
				"  .%zu %s to ..:%02x:%02x until %lld\n", i + 2,
				fuzz_pool[i].offer ? "offered" : "leased",
				fuzz_pool[i].mac[4], fuzz_pool[i].mac[5],
				(long long)fuzz_pool[i].exp);
}

/**
 * fuzz_message() - hand one datagram to the server and check what it did
 * @udp:	the UDP datagram (an exact-size copy)
 * @len:	its length
 * @src:	IPv4 source
 * @cap:	size of the reply buffer
 */
static void fuzz_message(const uint8_t *udp, size_t len, uint32_t src,
			 size_t cap)
{
	struct pkt_ipv4 ip = {.src = src, .dst = 0xffffffffu, .proto = 17};
	struct dhcp_stats st0, st;
	uint8_t *out = malloc(cap);
	struct pkt_wr w;
	struct fuzz_req r;
	enum dhcp_result res;
	unsigned int type = 0;
	bool mine = fuzz_read_req(udp, len, &r);

	FUZZ_ASSERT(out != NULL);
	ip.payload = udp;
	ip.payload_len = len;
	pkt_wr_init(&w, out, cap);
	dhcp_stats(&st0);
	res = dhcp_input(&ip, fuzz_now, &w);
	dhcp_stats(&st);
	fuzz_trace(&r, res, out);
	FUZZ_ASSERT((res == DHCP_REPLY) == (w.off > 0));
	if (res == DHCP_REPLY) {
		FUZZ_ASSERT(mine && !w.overflow && w.off <= cap);
		type = fuzz_reply(&r, out, w.off);
	} else if (w.overflow) { /* the pool may have changed unseen */
		memset(fuzz_pool, 0, sizeof(fuzz_pool));
	} else if (mine) {
		fuzz_after(&r, &st0, &st);
	}
	FUZZ_ASSERT(st.offer - st0.offer == (type == DHCPMSG_OFFER));
	FUZZ_ASSERT(st.ack - st0.ack == (type == DHCPMSG_ACK));
	FUZZ_ASSERT(st.nak - st0.nak == (type == DHCPMSG_NAK));
	free(out);
}

/**
 * fuzz_side() - what the daemon does beside client messages: a VM seen
 * using an address (ARP, see gw.c), and a reload of the hosts file (SIGHUP)
 * @p:		the record's bytes: the address (its last byte) and the client
 * @n:		how many
 */
static void fuzz_side(const uint8_t *p, size_t n)
{
	uint8_t mac[6] = {0x52, 0x54, 0, 0, 0, 1};
	char err[256];

	if (n < 2)
		return;
	mac[5] = (uint8_t)(1 + p[1] % 4);
	dhcp_note_in_use(FUZZ_NET + p[0] % 32, mac, fuzz_now);
	memset(fuzz_pool, 0, sizeof(fuzz_pool)); /* a lease the model missed */
	FUZZ_ASSERT(dhcp_reload_hosts(err, sizeof(err)) == 0);
}

/**
 * LLVMFuzzerTestOneInput() - run one input
 * @data:	the input (layout in the header comment)
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t b[8 + 240 + 128 + FUZZ_EXTRA + 1];
	size_t whole = 0;

	while (size - whole >= 4 &&
	       size - whole - 4 >= fuzz_be16(data + whole + 2))
		whole += 4u + fuzz_be16(data + whole + 2);
	if (!fuzz_dir[0])
		fuzz_setup();
	if (fuzz_history_add(data, whole))
		fuzz_fresh();
	for (struct fuzz_in in = {data, whole}; in.len;) {
		uint8_t op = fuzz_u8(&in), dt = fuzz_u8(&in);
		const uint8_t *p;
		size_t n = fuzz_take(&in, fuzz_u16(&in), &p);
		uint32_t src = 0;
		uint64_t next;
		uint8_t *udp;

		fuzz_now += 250u * dt;
		if (op & 0x40) {
			dhcp_fini(fuzz_now);
			fuzz_start();
		}
		if ((op & 0x3f) == 0x3f) {
			fuzz_side(p, n);
		} else {
			if (!(op & 0x20))
				n = fuzz_build(op, p, n, b, &src);
			udp = fuzz_dup(op & 0x20 ? p : b, n);
			fuzz_message(udp, n, src, op & 0x80 ? 320 : 1024);
			free(udp);
		}
		next = dhcp_tick(fuzz_now);
		FUZZ_ASSERT(next == 0 || next > fuzz_now);
	}
	return 0;
}
