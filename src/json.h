/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small, bounded JSON reader and writer for the control protocol
 * (docs/CONTROL.md): the reader cuts one JSON text into a caller's array of
 * tokens, allocating nothing; the writer appends to a caller's buffer and
 * remembers when it ran out of room.
 */
#ifndef JSON_H
#define JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 32u /* nesting the reader and the writer accept */

/**
 * enum json_type - what a token is
 */
enum json_type {
	JSON_NONE = 0,
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING, /* also every key of an object */
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL,
};

/**
 * struct json_tok - one value (or key) of a parsed text
 * @type:	what it is
 * @start:	offset of its first byte (a string: after the opening quote)
 * @end:	offset after its last byte (a string: at the closing quote)
 * @next:	index of the token after it and everything inside it
 * @count:	objects: members; arrays: elements; else 0
 *
 * An object's tokens are its keys, each followed by its value.
 */
struct json_tok {
	enum json_type type;
	uint32_t start;
	uint32_t end;
	uint32_t next;
	uint32_t count;
};

int json_parse(const char *text, size_t len, struct json_tok *t,
	       unsigned int max);
int json_get(const char *text, const struct json_tok *t, int obj,
	     const char *key);
size_t json_str(const char *text, const struct json_tok *t, char *buf,
		size_t len, bool *ok);
bool json_u64(const char *text, const struct json_tok *t, uint64_t *v);
bool json_i64(const char *text, const struct json_tok *t, int64_t *v);

/**
 * struct json_wr - a JSON text being written
 * @buf:	the buffer
 * @cap:	its size
 * @len:	bytes written (always NUL-terminated below @cap)
 * @overflow:	something did not fit; the text is cut and must not be used
 * @depth:	open objects and arrays
 * @first:	bit N: nothing written yet at depth N
 */
struct json_wr {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
	unsigned int depth;
	uint64_t first;
};

void json_wr_init(struct json_wr *w, char *buf, size_t cap);
void json_obj_begin(struct json_wr *w, const char *key);
void json_obj_end(struct json_wr *w);
void json_arr_begin(struct json_wr *w, const char *key);
void json_arr_end(struct json_wr *w);
void json_put_strn(struct json_wr *w, const char *key, const char *s, size_t n);
void json_put_str(struct json_wr *w, const char *key, const char *s);
void json_put_u64(struct json_wr *w, const char *key, uint64_t v);
void json_put_i64(struct json_wr *w, const char *key, int64_t v);
void json_put_bool(struct json_wr *w, const char *key, bool v);
void json_put_null(struct json_wr *w, const char *key);

#endif /* JSON_H */
