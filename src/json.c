/* SPDX-License-Identifier: Apache-2.0 */
/*
 * JSON for the control socket (see json.h).
 *
 * Theory of operation: the reader is a state machine over the bytes of one
 * text (RFC 8259, strict: no comments, no trailing commas, no bare control
 * characters in strings) that appends a token per value and per key to the
 * caller's array and keeps a stack of the open objects and arrays, at most
 * JSON_MAX_DEPTH deep; a text that needs more tokens or more depth is
 * refused, so the cost is linear and bounded by the caller's limits, and
 * nothing is allocated. Values are decoded only when asked for: json_str()
 * unescapes a string into a buffer, json_u64()/json_i64() read integers.
 * The writer appends to a fixed buffer, puts the commas itself (one bit per
 * depth says whether anything was written there yet), escapes every string
 * so that the text is valid UTF-8 whatever the bytes were (bytes outside
 * ASCII become \u00XX), and sets @overflow instead of writing past the end.
 */
#include <stdio.h>
#include <string.h>

#include "json.h"

/**
 * enum json_state - what the reader expects next
 */
enum json_state {
	JSON_S_VALUE,	  /* a value */
	JSON_S_KEY,	  /* a key (after a comma in an object) */
	JSON_S_OBJ_FIRST, /* a key or '}' */
	JSON_S_ARR_FIRST, /* a value or ']' */
	JSON_S_AFTER,	  /* ',' or the end of the container or text */
};

/**
 * struct json_reader - one json_parse() call
 * @s:		the text
 * @len:	its length
 * @pos:	where the reader is
 * @t:		the tokens
 * @max:	room in @t
 * @n:		tokens used
 * @stack:	open containers, token indexes
 * @depth:	how many
 */
struct json_reader {
	const char *s;
	size_t len;
	size_t pos;
	struct json_tok *t;
	unsigned int max;
	unsigned int n;
	unsigned int stack[JSON_MAX_DEPTH];
	unsigned int depth;
};

/**
 * json_ws() - skip white space
 * @r:		the reader
 *
 * Return: the next byte, or -1 at the end of the text
 */
static int json_ws(struct json_reader *r)
{
	while (r->pos < r->len) {
		char c = r->s[r->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			return (unsigned char)c;
		r->pos++;
	}
	return -1;
}

/**
 * json_new() - add a token
 * @r:		the reader
 * @type:	its type
 * @start:	its first byte
 * @end:	after its last byte
 *
 * Counts it in the open container (keys in objects, values in arrays).
 *
 * Return: its index, or -1 when there is no room
 */
static int json_new(struct json_reader *r, enum json_type type, size_t start,
		    size_t end)
{
	struct json_tok *k;

	if (r->n >= r->max)
		return -1;
	k = &r->t[r->n];
	k->type = type;
	k->start = (uint32_t)start;
	k->end = (uint32_t)end;
	k->next = r->n + 1;
	k->count = 0;
	return (int)r->n++;
}

/**
 * json_hex4() - check four hexadecimal digits
 * @s:		where they should be
 *
 * Return: true if they are
 */
static bool json_hex4(const char *s)
{
	for (int i = 0; i < 4; i++) {
		char c = s[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/**
 * json_scan_string() - read a string
 * @r:		the reader, at the opening quote
 * @type:	JSON_STRING
 *
 * Return: the token's index, or -1 if malformed or out of tokens
 */
static int json_scan_string(struct json_reader *r, enum json_type type)
{
	size_t start = ++r->pos;

	while (r->pos < r->len) {
		unsigned char c = (unsigned char)r->s[r->pos];

		if (c == '"') {
			r->pos++;
			return json_new(r, type, start, r->pos - 1);
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			r->pos++;
			continue;
		}
		if (r->pos + 1 >= r->len)
			return -1;
		c = (unsigned char)r->s[r->pos + 1];
		if (c == 'u') {
			if (r->len - r->pos < 6 ||
			    !json_hex4(r->s + r->pos + 2))
				return -1;
			r->pos += 6;
		} else if (strchr("\"\\/bfnrt", c) && c) {
			r->pos += 2;
		} else {
			return -1;
		}
	}
	return -1;
}

/**
 * json_digits() - skip decimal digits
 * @r:		the reader
 *
 * Return: how many
 */
static size_t json_digits(struct json_reader *r)
{
	size_t n = 0;

	while (r->pos < r->len && r->s[r->pos] >= '0' && r->s[r->pos] <= '9') {
		r->pos++;
		n++;
	}
	return n;
}

/**
 * json_scan_number() - read a number (RFC 8259 grammar)
 * @r:		the reader, at '-' or a digit
 *
 * Return: the token's index, or -1
 */
static int json_scan_number(struct json_reader *r)
{
	size_t start = r->pos, n;

	if (r->s[r->pos] == '-')
		r->pos++;
	n = json_digits(r);
	if (n == 0 || (n > 1 && r->s[r->pos - n] == '0'))
		return -1;
	if (r->pos < r->len && r->s[r->pos] == '.') {
		r->pos++;
		if (!json_digits(r))
			return -1;
	}
	if (r->pos < r->len && (r->s[r->pos] == 'e' || r->s[r->pos] == 'E')) {
		r->pos++;
		if (r->pos < r->len &&
		    (r->s[r->pos] == '+' || r->s[r->pos] == '-'))
			r->pos++;
		if (!json_digits(r))
			return -1;
	}
	return json_new(r, JSON_NUMBER, start, r->pos);
}

/**
 * json_scan_word() - read true, false or null
 * @r:		the reader
 *
 * Return: the token's index, or -1
 */
static int json_scan_word(struct json_reader *r)
{
	static const struct {
		const char *w;
		enum json_type type;
	} words[] = {
	    {"true", JSON_TRUE}, {"false", JSON_FALSE}, {"null", JSON_NULL}};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		size_t n = strlen(words[i].w), start = r->pos;

		if (r->len - r->pos >= n &&
		    !memcmp(r->s + r->pos, words[i].w, n)) {
			r->pos += n;
			return json_new(r, words[i].type, start, r->pos);
		}
	}
	return -1;
}

/**
 * json_value() - read a value, opening a container if it is one
 * @r:		the reader, at the value's first byte
 * @c:		that byte
 * @st:		set to what comes next
 *
 * Return: 0, or -1 if malformed, too deep or out of tokens
 */
static int json_value(struct json_reader *r, int c, enum json_state *st)
{
	int i;

	if (r->depth && r->t[r->stack[r->depth - 1]].type == JSON_ARRAY)
		r->t[r->stack[r->depth - 1]].count++;
	if (c == '{' || c == '[') {
		if (r->depth >= JSON_MAX_DEPTH)
			return -1;
		i = json_new(r, c == '{' ? JSON_OBJECT : JSON_ARRAY, r->pos,
			     r->pos + 1);
		if (i < 0)
			return -1;
		r->pos++;
		r->stack[r->depth++] = (unsigned int)i;
		*st = c == '{' ? JSON_S_OBJ_FIRST : JSON_S_ARR_FIRST;
		return 0;
	}
	if (c == '"')
		i = json_scan_string(r, JSON_STRING);
	else if (c == '-' || (c >= '0' && c <= '9'))
		i = json_scan_number(r);
	else
		i = json_scan_word(r);
	*st = JSON_S_AFTER;
	return i < 0 ? -1 : 0;
}

/**
 * json_key() - read a key and its colon
 * @r:		the reader, at the key's quote
 *
 * Return: 0, or -1
 */
static int json_key(struct json_reader *r)
{
	r->t[r->stack[r->depth - 1]].count++;
	if (json_scan_string(r, JSON_STRING) < 0 || json_ws(r) != ':')
		return -1;
	r->pos++;
	return 0;
}

/**
 * json_close() - close the innermost container if @c closes it
 * @r:		the reader
 * @c:		'}' or ']' (anything else fails)
 *
 * Return: 0, or -1
 */
static int json_close(struct json_reader *r, int c)
{
	struct json_tok *k;

	if (!r->depth)
		return -1;
	k = &r->t[r->stack[r->depth - 1]];
	if ((c == '}' && k->type != JSON_OBJECT) ||
	    (c == ']' && k->type != JSON_ARRAY) || (c != '}' && c != ']'))
		return -1;
	r->pos++;
	k->end = (uint32_t)r->pos;
	k->next = r->n;
	r->depth--;
	return 0;
}

/**
 * json_step() - take one step of the state machine
 * @r:		the reader
 * @c:		the next byte (not white space)
 * @st:		the state, updated
 *
 * Return: 0, or -1 if the text is malformed or exceeds a limit
 */
static int json_step(struct json_reader *r, int c, enum json_state *st)
{
	switch (*st) {
	case JSON_S_OBJ_FIRST:
		if (c == '}')
			break;
		/* fall through */
	case JSON_S_KEY:
		if (c != '"' || json_key(r))
			return -1;
		*st = JSON_S_VALUE;
		return 0;
	case JSON_S_ARR_FIRST:
		if (c == ']')
			break;
		/* fall through */
	case JSON_S_VALUE:
		return json_value(r, c, st);
	case JSON_S_AFTER:
		if (c != ',')
			break;
		if (!r->depth)
			return -1;
		r->pos++;
		*st = r->t[r->stack[r->depth - 1]].type == JSON_OBJECT
			  ? JSON_S_KEY
			  : JSON_S_VALUE;
		return 0;
	}
	if (json_close(r, c))
		return -1;
	*st = JSON_S_AFTER;
	return 0;
}

/**
 * json_parse() - cut a JSON text into tokens
 * @text:	the text (need not be NUL-terminated)
 * @len:	its length, below 4 GiB
 * @t:		the tokens
 * @max:	room in @t
 *
 * The first token is the whole value; see struct json_tok.
 *
 * Return: the number of tokens, or -1 if the text is not one well-formed
 * JSON value, nests deeper than JSON_MAX_DEPTH or needs more than @max
 * tokens
 */
int json_parse(const char *text, size_t len, struct json_tok *t,
	       unsigned int max)
{
	struct json_reader r = {.s = text, .len = len, .t = t, .max = max};
	enum json_state st = JSON_S_VALUE;
	int c;

	if (len >= UINT32_MAX)
		return -1;
	while ((c = json_ws(&r)) >= 0) {
		if (st == JSON_S_AFTER && !r.depth)
			return -1; /* something after the value */
		if (json_step(&r, c, &st))
			return -1;
	}
	if (st != JSON_S_AFTER || r.depth)
		return -1;
	return (int)r.n;
}

/**
 * json_unhex() - value of four hexadecimal digits
 * @s:		the digits (checked by the reader)
 *
 * Return: the value
 */
static unsigned int json_unhex(const char *s)
{
	unsigned int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		v = v * 16 + (unsigned int)(c <= '9'   ? c - '0'
					    : c <= 'F' ? c - 'A' + 10
						       : c - 'a' + 10);
	}
	return v;
}

/**
 * json_utf8() - encode a code point
 * @cp:		the code point
 * @out:	at least 4 bytes
 *
 * Return: bytes written
 */
static size_t json_utf8(unsigned int cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/**
 * json_escape() - decode one escape sequence
 * @s:		the text at the backslash
 * @end:	end of the string
 * @used:	set to the bytes of text used
 * @out:	at least 4 bytes for the decoded bytes
 *
 * A lone surrogate decodes as U+FFFD.
 *
 * Return: decoded bytes
 */
static size_t json_escape(const char *s, const char *end, size_t *used,
			  char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	unsigned int cp, lo;

	if (s[1] != 'u') {
		*used = 2;
		out[0] = to[strchr(from, s[1]) - from];
		return 1;
	}
	*used = 6;
	cp = json_unhex(s + 2);
	if (cp >= 0xdc00 && cp <= 0xdfff)
		cp = 0xfffd;
	else if (cp >= 0xd800 && cp <= 0xdbff) {
		if (end - s >= 12 && s[6] == '\\' && s[7] == 'u' &&
		    json_hex4(s + 8) && (lo = json_unhex(s + 8)) >= 0xdc00 &&
		    lo <= 0xdfff) {
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			*used = 12;
		} else {
			cp = 0xfffd;
		}
	}
	return json_utf8(cp, out);
}

/**
 * json_str() - decode a string token
 * @text:	the text
 * @t:		a JSON_STRING token
 * @buf:	where the NUL-terminated result goes
 * @len:	its size, at least 1
 * @ok:		set to false if @t is not a string, holds a NUL character or
 *		does not fit in @buf; may be NULL
 *
 * Return: the length of the result
 */
size_t json_str(const char *text, const struct json_tok *t, char *buf,
		size_t len, bool *ok)
{
	const char *s = text + t->start, *end = text + t->end;
	size_t n = 0, used, k;
	bool good = t->type == JSON_STRING;
	char tmp[4];

	while (good && s < end) {
		if (*s == '\\') {
			k = json_escape(s, end, &used, tmp);
			s += used;
		} else {
			tmp[0] = *s++;
			k = 1;
		}
		if (n + k >= len || (k == 1 && !tmp[0])) {
			good = false;
			break;
		}
		memcpy(buf + n, tmp, k);
		n += k;
	}
	buf[n] = '\0';
	if (ok)
		*ok = good;
	return n;
}

/**
 * json_get() - find a member of an object
 * @text:	the text
 * @t:		its tokens
 * @obj:	index of a JSON_OBJECT token
 * @key:	the key (keys with escapes are decoded first)
 *
 * Return: the index of the member's value (the first if repeated), or -1
 */
int json_get(const char *text, const struct json_tok *t, int obj,
	     const char *key)
{
	char buf[64];
	unsigned int i;

	if (obj < 0 || t[obj].type != JSON_OBJECT)
		return -1;
	i = (unsigned int)obj + 1;
	for (uint32_t m = 0; m < t[obj].count; m++) {
		bool ok;

		json_str(text, &t[i], buf, sizeof(buf), &ok);
		if (ok && !strcmp(buf, key))
			return (int)i + 1;
		i = t[i + 1].next;
	}
	return -1;
}

/**
 * json_u64() - read a non-negative integer
 * @text:	the text
 * @t:		a token
 * @v:		the value
 *
 * Return: true for a JSON_NUMBER with digits only that fits
 */
bool json_u64(const char *text, const struct json_tok *t, uint64_t *v)
{
	uint64_t x = 0;

	if (t->type != JSON_NUMBER)
		return false;
	for (uint32_t i = t->start; i < t->end; i++) {
		unsigned int d = (unsigned int)(text[i] - '0');

		if (d > 9 || x > (UINT64_MAX - d) / 10)
			return false;
		x = x * 10 + d;
	}
	*v = x;
	return true;
}

/**
 * json_i64() - read an integer
 * @text:	the text
 * @t:		a token
 * @v:		the value
 *
 * Return: true for a JSON_NUMBER that is an integer and fits
 */
bool json_i64(const char *text, const struct json_tok *t, int64_t *v)
{
	struct json_tok u = *t;
	bool neg = t->type == JSON_NUMBER && text[t->start] == '-';
	uint64_t x;

	if (neg)
		u.start++;
	if (!json_u64(text, &u, &x) || x > (uint64_t)INT64_MAX + neg)
		return false;
	*v = neg ? (int64_t)(0 - x) : (int64_t)x;
	return true;
}

/* --- the writer ---------------------------------------------------------- */

/**
 * json_wr_init() - start a text
 * @w:		the writer
 * @buf:	the buffer
 * @cap:	its size, at least 1
 */
void json_wr_init(struct json_wr *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->first = 1;
	buf[0] = '\0';
}

/**
 * json_raw() - append bytes
 * @w:		the writer
 * @s:		the bytes
 * @n:		how many
 */
static void json_raw(struct json_wr *w, const char *s, size_t n)
{
	if (w->overflow || n >= w->cap - w->len) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/**
 * json_quote() - append a string, quoted and escaped
 * @w:		the writer
 * @s:		the bytes
 * @n:		how many
 */
static void json_quote(struct json_wr *w, const char *s, size_t n)
{
	char esc[8];

	json_raw(w, "\"", 1);
	for (size_t i = 0; i < n && !w->overflow; i++) {
		unsigned char c = (unsigned char)s[i];
		size_t run = i;

		while (run < n && (unsigned char)s[run] >= 0x20 &&
		       (unsigned char)s[run] < 0x80 && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			json_raw(w, s + i, run - i);
			i = run - 1;
			continue;
		}
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c == '\t')
			snprintf(esc, sizeof(esc), "\\t");
		else
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		json_raw(w, esc, strlen(esc));
	}
	json_raw(w, "\"", 1);
}

/**
 * json_member() - start a value: the comma, and the key inside an object
 * @w:		the writer
 * @key:	the key, or NULL in an array or at the top
 */
static void json_member(struct json_wr *w, const char *key)
{
	uint64_t bit = 1ull << w->depth;

	if (!(w->first & bit))
		json_raw(w, ",", 1);
	w->first &= ~bit;
	if (key) {
		json_quote(w, key, strlen(key));
		json_raw(w, ":", 1);
	}
}

/**
 * json_open() - open an object or an array
 * @w:		the writer
 * @key:	its key inside an object, else NULL
 * @c:		'{' or '['
 */
static void json_open(struct json_wr *w, const char *key, char c)
{
	json_member(w, key);
	json_raw(w, &c, 1);
	if (w->depth + 1 >= JSON_MAX_DEPTH) {
		w->overflow = true;
		return;
	}
	w->depth++;
	w->first |= 1ull << w->depth;
}

/**
 * json_shut() - close the innermost object or array
 * @w:		the writer
 * @c:		'}' or ']'
 */
static void json_shut(struct json_wr *w, char c)
{
	if (w->depth)
		w->depth--;
	json_raw(w, &c, 1);
}

/**
 * json_obj_begin() - open an object
 * @w:		the writer
 * @key:	its key inside an object, else NULL
 */
void json_obj_begin(struct json_wr *w, const char *key)
{
	json_open(w, key, '{');
}

/**
 * json_obj_end() - close an object
 * @w:		the writer
 */
void json_obj_end(struct json_wr *w)
{
	json_shut(w, '}');
}

/**
 * json_arr_begin() - open an array
 * @w:		the writer
 * @key:	its key inside an object, else NULL
 */
void json_arr_begin(struct json_wr *w, const char *key)
{
	json_open(w, key, '[');
}

/**
 * json_arr_end() - close an array
 * @w:		the writer
 */
void json_arr_end(struct json_wr *w)
{
	json_shut(w, ']');
}

/**
 * json_put_strn() - write a string of known length
 * @w:		the writer
 * @key:	its key inside an object, else NULL
 * @s:		the bytes (any; see the theory of operation)
 * @n:		how many
 */
void json_put_strn(struct json_wr *w, const char *key, const char *s, size_t n)
{
	json_member(w, key);
	json_quote(w, s, n);
}

/**
 * json_put_str() - write a string
 * @w:		the writer
 * @key:	its key inside an object, else NULL
 * @s:		the NUL-terminated string
 */
void json_put_str(struct json_wr *w, const char *key, const char *s)
{
	json_put_strn(w, key, s, strlen(s));
}

/**
 * json_put_u64() - write an unsigned integer
 * @w:		the writer
 * @key:	its key inside an object, else NULL
 * @v:		the value
 */
void json_put_u64(struct json_wr *w, const char *key, uint64_t v)
{
	char num[24];

	json_member(w, key);
	json_raw(
	    w, num,
	    (size_t)snprintf(num, sizeof(num), "%llu", (unsigned long long)v));
}

/**
 * json_put_i64() - write a signed integer
 * @w:		the writer
 * @key:	its key inside an object, else NULL
 * @v:		the value
 */
void json_put_i64(struct json_wr *w, const char *key, int64_t v)
{
	char num[24];

	json_member(w, key);
	json_raw(w, num,
		 (size_t)snprintf(num, sizeof(num), "%lld", (long long)v));
}

/**
 * json_put_bool() - write true or false
 * @w:		the writer
 * @key:	its key inside an object, else NULL
 * @v:		the value
 */
void json_put_bool(struct json_wr *w, const char *key, bool v)
{
	json_member(w, key);
	json_raw(w, v ? "true" : "false", v ? 4 : 5);
}

/**
 * json_put_null() - write null
 * @w:		the writer
 * @key:	its key inside an object, else NULL
 */
void json_put_null(struct json_wr *w, const char *key)
{
	json_member(w, key);
	json_raw(w, "null", 4);
}
