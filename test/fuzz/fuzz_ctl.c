/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer harness for the control socket's request parser:
 * ctl_parse_request() and, under it, the JSON reader json_parse().
 *
 * Built and run by make fuzz (with the whole library: ctl.c calls into it).
 *
 * Checked for every input: every token lies inside the input, ends after
 * it starts and skips to a later token; a string token decodes into a
 * buffer of its own length; a request that parses has a non-empty command
 * and names that fit their fields; and what the JSON writer makes of the
 * parsed request parses again into the same request.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ctl.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			abort();                                               \
		}                                                              \
	} while (0)

/**
 * fuzz_tokens() - check the reader's tokens of one text
 * @s:		the text
 * @len:	its length
 */
static void fuzz_tokens(const char *s, size_t len)
{
	static struct json_tok t[256];
	static char buf[1 << 16];
	int n = json_parse(s, len, t, 256);

	for (int i = 0; i < n; i++) {
		FUZZ_ASSERT(t[i].start <= t[i].end && t[i].end <= len);
		FUZZ_ASSERT(t[i].next > (uint32_t)i &&
			    t[i].next <= (uint32_t)n);
		if (t[i].type == JSON_STRING &&
		    t[i].end - t[i].start < sizeof(buf)) {
			bool ok;
			size_t k = json_str(s, &t[i], buf,
					    t[i].end - t[i].start + 1, &ok);

			FUZZ_ASSERT(k <= t[i].end - t[i].start);
		}
	}
}

/**
 * fuzz_roundtrip() - write a parsed request and parse it again
 * @r:		the request
 */
static void fuzz_roundtrip(const struct ctl_req *r)
{
	char text[1024], mac[ADDR_MAC_STRLEN], err[256];
	struct ctl_req again = {.fd = -1};
	struct json_wr w;

	json_wr_init(&w, text, sizeof(text));
	json_obj_begin(&w, NULL);
	json_put_str(&w, "cmd", r->cmd);
	if (r->action[0])
		json_put_str(&w, "action", r->action);
	if (r->spec[0])
		json_put_str(&w, "spec", r->spec);
	if (r->has_port)
		json_put_u64(&w, "port", r->port);
	if (r->has_mac)
		json_put_str(&w, "mac", addr_mac_fmt(r->mac, mac));
	if (r->max_bytes)
		json_put_u64(&w, "max_bytes", r->max_bytes);
	json_obj_end(&w);
	FUZZ_ASSERT(!w.overflow);
	FUZZ_ASSERT(!ctl_parse_request(text, w.len, &again, err, sizeof(err)));
	FUZZ_ASSERT(!strcmp(again.cmd, r->cmd));
	FUZZ_ASSERT(!strcmp(again.action, r->action));
	FUZZ_ASSERT(!strcmp(again.spec, r->spec));
	FUZZ_ASSERT(again.has_port == r->has_port && again.port == r->port);
	FUZZ_ASSERT(again.has_mac == r->has_mac &&
		    !memcmp(again.mac, r->mac, 6));
	FUZZ_ASSERT(again.max_bytes == r->max_bytes);
}

/**
 * LLVMFuzzerTestOneInput() - one input: a request line
 * @data:	the bytes
 * @size:	how many
 *
 * Return: 0
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctl_req r = {.fd = -1, .uid = -1};
	char err[256];

	if (size > CTL_LINE_MAX)
		return 0;
	fuzz_tokens((const char *)data, size);
	if (ctl_parse_request((const char *)data, size, &r, err, sizeof(err))) {
		FUZZ_ASSERT(err[0]);
		return 0;
	}
	FUZZ_ASSERT(r.cmd[0] && strlen(r.cmd) < sizeof(r.cmd));
	FUZZ_ASSERT(strlen(r.action) < sizeof(r.action));
	FUZZ_ASSERT(strlen(r.spec) < sizeof(r.spec));
	FUZZ_ASSERT(r.fd == -1);
	fuzz_roundtrip(&r);
	return 0;
}
