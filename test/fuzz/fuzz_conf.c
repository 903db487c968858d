/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness of the command line: conf_parse() (src/conf.c) on an
 * argument vector made from the input.
 *
 * Input layout: the arguments after the program name, separated by NUL
 * bytes (at most 64 of them); each is given to conf_parse() in a buffer of
 * exactly its size.
 *
 * Invariants: conf_parse() answers CONF_OK, CONF_HELP, CONF_VERSION or
 * CONF_ERROR, and answers the same when called again on a fresh copy of the
 * same arguments (getopt is reset on entry); CONF_ERROR comes with a
 * non-empty message of one line (no newline but those of the arguments it
 * quotes); CONF_OK gives a configuration within the limits the usage text
 * and conf.h document: --max-frame 64..69632, --queue-size 1..1G and at
 * least two frames with their prefixes, --max-ports 2..65535, --mac-age
 * 1..86400 s, --mtu 576..65535 (or less when a small --max-frame lowered
 * it to fit) but never below 68 (RFC 2132; the gateway refuses less) and
 * no more than the frame minus its header,
 * --lease-time 60..604800 s, at most 3 DNS servers, 64 --fd (each above 2,
 * none twice) and 64 --connect, 64 rules (prefix length up to 32, no host
 * bits) and 256 statics, --dhcp-clients 1..8, a known guard level, socket
 * paths that fit a sockaddr_un (the datagram one not SOCKET's), a TAP name
 * of 1..15 characters without '/' or space, and a gateway that is a
 * unicast host address of a contiguous netmask's subnet, below a DHCP end
 * address of that subnet that is not its broadcast address.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "conf.h"
#include "fuzz.h"

#define FUZZ_MAX_ARGS 64
#define FUZZ_SUN_MAX  (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/**
 * struct fuzz_argv - an argument vector made from the input
 * @argc:	arguments, the program name included
 * @argv:	the arguments, NULL-terminated, each in its own buffer
 * @quoted_nl:	an argument holds a newline (a message may quote it)
 */
struct fuzz_argv {
	int argc;
	char *argv[FUZZ_MAX_ARGS + 2];
	bool quoted_nl;
};

/**
 * fuzz_argv_make() - split the input into arguments
 * @a:		filled in
 * @data:	the input
 * @size:	its length
 */
static void fuzz_argv_make(struct fuzz_argv *a, const uint8_t *data,
			   size_t size)
{
	size_t start = 0;

	memset(a, 0, sizeof(*a));
	a->argv[a->argc++] = (char *)fuzz_dup((const uint8_t *)"socket_vmnet",
					      sizeof("socket_vmnet"));
	for (size_t i = 0; i <= size && a->argc <= FUZZ_MAX_ARGS; i++) {
		char *s;

		if (i < size && data[i])
			continue;
		if (i == size && i == start)
			break;
		s = malloc(i - start + 1);
		FUZZ_ASSERT(s != NULL);
		memcpy(s, data + start, i - start);
		s[i - start] = '\0';
		a->quoted_nl |= strchr(s, '\n') != NULL;
		a->argv[a->argc++] = s;
		start = i + 1;
	}
	a->argv[a->argc] = NULL;
}

/**
 * fuzz_argv_free() - free the arguments
 * @a:		the vector
 */
static void fuzz_argv_free(struct fuzz_argv *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
}

/**
 * fuzz_path_ok() - check a socket path of the configuration
 * @p:		the path, or NULL
 */
static void fuzz_path_ok(const char *p)
{
	FUZZ_ASSERT(!p || (p[0] && strlen(p) <= FUZZ_SUN_MAX));
}

/**
 * fuzz_net_ok() - check the addresses of an accepted configuration
 * @c:		the configuration
 */
static void fuzz_net_ok(const struct conf *c)
{
	uint32_t gw = ntohl(c->gateway.s_addr), mask = ntohl(c->mask.s_addr);
	uint32_t end = ntohl(c->dhcp_end.s_addr), net = gw & mask;

	if (c->mode == NET_MODE_BRIDGED)
		FUZZ_ASSERT(c->vmnet_interface && !c->have_gateway);
	if (!c->have_gateway)
		return;
	FUZZ_ASSERT(mask && !(~mask & (~mask + 1))); /* contiguous */
	FUZZ_ASSERT(gw < 0xe0000000u && gw != net && gw != (net | ~mask));
	FUZZ_ASSERT((end & mask) == net && end != (net | ~mask) && end > gw);
}

/**
 * fuzz_limits_ok() - check the numbers of an accepted configuration
 * @c:		the configuration
 */
static void fuzz_limits_ok(const struct conf *c)
{
	FUZZ_ASSERT(c->max_frame >= 64 && c->max_frame <= 69632);
	FUZZ_ASSERT(c->queue_size >= 1 && c->queue_size <= (1u << 30));
	FUZZ_ASSERT(c->queue_size >= 2ul * (c->max_frame + 4));
	FUZZ_ASSERT(c->max_ports >= 2 && c->max_ports <= 65535);
	FUZZ_ASSERT(c->mac_age >= 1 && c->mac_age <= 86400);
	FUZZ_ASSERT(c->mtu <= 65535 && c->mtu + 14 <= c->max_frame);
	/* the least MTU the command line documents, however it was set */
	FUZZ_ASSERT(c->mtu >= 576);
	FUZZ_ASSERT(c->lease_time >= 60 && c->lease_time <= 604800);
	FUZZ_ASSERT(c->ndns <= 3 && c->nfds <= 64 && c->nconnect <= 64);
	for (unsigned int i = 0; i < c->nfds; i++) {
		FUZZ_ASSERT(c->fds[i] > 2);
		for (unsigned int j = 0; j < i; j++)
			FUZZ_ASSERT(c->fds[i] != c->fds[j]);
	}
	for (unsigned int i = 0; i < c->nconnect; i++)
		fuzz_path_ok(c->connect[i]);
	FUZZ_ASSERT(c->guard.nrules <= 64 && c->guard.nstatics <= 256);
	for (unsigned int i = 0; i < c->guard.nrules; i++) {
		const struct guard_rule *r = &c->guard.rules[i];

		FUZZ_ASSERT(r->plen <= 32);
		FUZZ_ASSERT(!(r->net & ((1ull << (32 - r->plen)) - 1)));
	}
	FUZZ_ASSERT(c->guard.dhcp_clients >= 1 && c->guard.dhcp_clients <= 8);
	FUZZ_ASSERT(c->guard.level == GUARD_OFF ||
		    c->guard.level == GUARD_MAC ||
		    c->guard.level == GUARD_STRICT);
}

/**
 * fuzz_conf_ok() - check an accepted configuration
 * @c:		the configuration
 */
static void fuzz_conf_ok(const struct conf *c)
{
	fuzz_limits_ok(c);
	FUZZ_ASSERT(c->socket_path || c->nfds || c->nconnect);
	fuzz_path_ok(c->socket_path);
	fuzz_path_ok(c->dgram_path);
	FUZZ_ASSERT(!c->dgram_path || !c->socket_path ||
		    strcmp(c->dgram_path, c->socket_path));
	FUZZ_ASSERT(!c->tap_name ||
		    (c->tap_name[0] && strlen(c->tap_name) <= 15 &&
		     !strpbrk(c->tap_name, "/ ")));
	fuzz_net_ok(c);
}

/**
 * LLVMFuzzerTestOneInput() - run one input
 * @data:	the input: NUL-separated arguments
 * @size:	its length
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct conf c, c2;
	struct fuzz_argv a, b;
	char err[256], err2[256];
	enum conf_result r, r2;

	fuzz_argv_make(&a, data, size);
	fuzz_argv_make(&b, data, size);
	r = conf_parse(&c, a.argc, a.argv, err, sizeof(err));
	r2 = conf_parse(&c2, b.argc, b.argv, err2, sizeof(err2));
	FUZZ_ASSERT(r == CONF_OK || r == CONF_HELP || r == CONF_VERSION ||
		    r == CONF_ERROR);
	FUZZ_ASSERT(r == r2);
	if (r == CONF_ERROR) {
		FUZZ_ASSERT(err[0] && strlen(err) < sizeof(err));
		FUZZ_ASSERT(!strchr(err, '\n') || a.quoted_nl);
		FUZZ_ASSERT(!strcmp(err, err2));
	}
	if (r == CONF_OK) {
		fuzz_conf_ok(&c);
		FUZZ_ASSERT(c.max_frame == c2.max_frame && c.mtu == c2.mtu &&
			    c.nfds == c2.nfds &&
			    c.guard.nrules == c2.guard.nrules);
	}
	fuzz_argv_free(&a);
	fuzz_argv_free(&b);
	return 0;
}
