/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the control protocol's text: the JSON reader and writer
 * (json.c) and the request parser (ctl_parse_request()).
 */
#include <stdint.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "unit.h"

/**
 * parse() - json_parse() of a C string
 * @s:		the text
 * @t:		the tokens
 * @max:	room
 *
 * Return: what json_parse() returns
 */
static int parse(const char *s, struct json_tok *t, unsigned int max)
{
	return json_parse(s, strlen(s), t, max);
}

/**
 * test_reader_accepts() - well-formed texts and their tokens
 */
static void test_reader_accepts(void)
{
	const char *s =
	    " {\"a\": [1, -2.5e3, true, null], \"b\": {\"c\": \"x\"},"
	    " \"d\": false} ";
	struct json_tok t[32];
	int n = parse(s, t, 32);
	uint64_t u;
	int64_t i;
	char buf[16];

	CHECK_EQ(n, 13);
	CHECK_EQ(t[0].type, JSON_OBJECT);
	CHECK_EQ(t[0].count, 3);
	CHECK_EQ(t[0].next, 13);
	CHECK_EQ(t[2].type, JSON_ARRAY);
	CHECK_EQ(t[2].count, 4);
	CHECK_EQ(json_get(s, t, 0, "b"), 8);
	CHECK_EQ(t[json_get(s, t, 0, "d")].type, JSON_FALSE);
	CHECK_EQ(json_get(s, t, 0, "zz"), -1);
	CHECK_EQ(json_get(s, t, 8, "c"), 10);
	json_str(s, &t[10], buf, sizeof(buf), NULL);
	CHECK(!strcmp(buf, "x"));
	CHECK(json_u64(s, &t[3], &u) && u == 1);
	CHECK(!json_u64(s, &t[4], &u)); /* not an integer */
	CHECK(parse("-9223372036854775808", t, 4) == 1 &&
	      json_i64("-9223372036854775808", &t[0], &i) && i == INT64_MIN);
	CHECK(parse("18446744073709551615", t, 4) == 1 &&
	      json_u64("18446744073709551615", &t[0], &u) && u == UINT64_MAX);
	CHECK(parse("18446744073709551616", t, 4) == 1 &&
	      !json_u64("18446744073709551616", &t[0], &u));
	CHECK_EQ(parse("[]", t, 4), 1);
	CHECK_EQ(parse("{}", t, 4), 1);
	CHECK_EQ(parse("\"\"", t, 4), 1);
}

/**
 * test_reader_refuses() - malformed texts and limits
 */
static void test_reader_refuses(void)
{
	static const char *const bad[] = {"",		"{",
					  "}",		"[1,]",
					  "{\"a\":1,}", "{\"a\"}",
					  "{1:2}",	"01",
					  "1.",		"-",
					  "1e",		"tru",
					  "\"a",	"\"\\x\"",
					  "\"\\u12\"",	"[1 2]",
					  "{} {}",	"\"\x01\"",
					  "nul",	"[}",
					  "{]",		"{\"a\":1 \"b\":2}"};
	struct json_tok t[64];
	char deep[80];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], t, 64) >= 0) {
			fprintf(stderr, "accepted: %s\n", bad[i]);
			CHECK(0);
		}
	memset(deep, '[', JSON_MAX_DEPTH + 1);
	memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	deep[2 * JSON_MAX_DEPTH + 2] = '\0';
	CHECK_EQ(parse(deep, t, 64), -1); /* too deep */
	deep[2 * JSON_MAX_DEPTH + 1] = '\0';
	CHECK_EQ(parse(deep + 1, t, 64), (int)JSON_MAX_DEPTH);
	CHECK_EQ(parse("[1,2,3]", t, 3), -1); /* out of tokens */
	CHECK_EQ(parse("[1,2,3]", t, 4), 4);
}

/**
 * test_strings() - escapes decode to UTF-8; too long and NUL are refused
 */
static void test_strings(void)
{
	const char *s = "\"a\\n\\u00e9\\ud83d\\ude00\\ud800\\\"\"";
	struct json_tok t[2];
	char buf[32];
	bool ok;

	CHECK_EQ(parse(s, t, 2), 1);
	json_str(s, &t[0], buf, sizeof(buf), &ok);
	CHECK(ok);
	CHECK(!strcmp(buf, "a\n\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbd\""));
	json_str(s, &t[0], buf, 4, &ok);
	CHECK(!ok);
	CHECK(strlen(buf) < 4);
	CHECK_EQ(parse("\"a\\u0000b\"", t, 2), 1);
	json_str("\"a\\u0000b\"", &t[0], buf, sizeof(buf), &ok);
	CHECK(!ok);
}

/**
 * test_writer() - commas, escapes, nesting and overflow
 */
static void test_writer(void)
{
	char buf[128], small[8];
	struct json_wr w;
	struct json_tok t[16];

	json_wr_init(&w, buf, sizeof(buf));
	json_obj_begin(&w, NULL);
	json_put_u64(&w, "n", 42);
	json_put_i64(&w, "m", -7);
	json_put_strn(&w, "s", "q\"\\\n\x01\xff", 6);
	json_arr_begin(&w, "a");
	json_put_bool(&w, NULL, true);
	json_put_null(&w, NULL);
	json_obj_begin(&w, NULL);
	json_obj_end(&w);
	json_arr_end(&w);
	json_obj_end(&w);
	CHECK(!w.overflow);
	CHECK(!strcmp(buf, "{\"n\":42,\"m\":-7,\"s\":\"q\\\"\\\\\\n\\u0001"
			   "\\u00ff\",\"a\":[true,null,{}]}"));
	CHECK(parse(buf, t, 16) > 0);
	json_wr_init(&w, small, sizeof(small));
	json_put_str(&w, NULL, "longer than eight");
	CHECK(w.overflow);
	CHECK(strlen(small) < sizeof(small));
}

/**
 * test_requests() - the control protocol's requests
 */
static void test_requests(void)
{
	struct ctl_req r = {.fd = 5, .uid = 7};
	char err[256];
	const char *ok =
	    "{\"v\":1,\"cmd\":\"capture\",\"action\":\"start\","
	    "\"port\":3,\"mac\":\"52:54:00:00:00:01\",\"max_bytes\":"
	    "1000,\"id\":9,\"future\":\"ignored\"}";

	CHECK_EQ(ctl_parse_request(ok, strlen(ok), &r, err, sizeof(err)), 0);
	CHECK(!strcmp(r.cmd, "capture") && !strcmp(r.action, "start"));
	CHECK(r.has_port && r.port == 3 && r.has_mac && r.mac[5] == 1);
	CHECK(r.max_bytes == 1000 && r.has_id && r.id == 9);
	CHECK(r.fd == 5 && r.uid == 7); /* kept */
	CHECK_EQ(
	    ctl_parse_request("{\"cmd\":\"status\"}", 16, &r, err, sizeof(err)),
	    0); /* "v" may be left out */
	CHECK(!r.has_port);
	CHECK_EQ(ctl_parse_request("{\"v\":2,\"cmd\":\"status\"}", 22, &r, err,
				   sizeof(err)),
		 -1);
	CHECK_STR_CONTAINS(err, "version");
	CHECK_EQ(
	    ctl_parse_request("{\"cmd\":{\"x\":1}}", 15, &r, err, sizeof(err)),
	    -1);
	CHECK_STR_CONTAINS(err, "flat");
	CHECK_EQ(ctl_parse_request("[1]", 3, &r, err, sizeof(err)), -1);
	CHECK_EQ(ctl_parse_request("{\"cmd\":1}", 9, &r, err, sizeof(err)), -1);
	CHECK_EQ(ctl_parse_request("{\"cmd\":\"x\",\"port\":-1}", 21, &r, err,
				   sizeof(err)),
		 -1);
	CHECK_EQ(ctl_parse_request("{\"cmd\":\"x\",\"mac\":\"zz\"}", 22, &r,
				   err, sizeof(err)),
		 -1);
	CHECK_EQ(ctl_parse_request("{\"cmd\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				   "aaaaaaa\"}",
				   47, &r, err, sizeof(err)),
		 -1);
	CHECK_EQ(ctl_parse_request("garbage", 7, &r, err, sizeof(err)), -1);
}

static const struct unit_test tests[] = {
    {"reader accepts", test_reader_accepts},
    {"reader refuses", test_reader_refuses},
    {"strings", test_strings},
    {"writer", test_writer},
    {"requests", test_requests},
};

UNIT_MAIN("json", tests)
