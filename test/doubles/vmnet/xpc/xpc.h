/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double: the small part of Apple's XPC object API that src/vmnet.c
 * uses, so that it compiles and runs on Linux against vmnet_double.c.
 * Written from Apple's public documentation of these functions; this is
 * not Apple's header and implements only dictionaries of uint64, bool,
 * string and UUID values.
 */
#ifndef VMNET_DOUBLE_XPC_H
#define VMNET_DOUBLE_XPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct xpc_double_object *xpc_object_t;

xpc_object_t xpc_dictionary_create(const char *const *keys,
				   const xpc_object_t *values, size_t count);
void xpc_dictionary_set_uint64(xpc_object_t xdict, const char *key,
			       uint64_t value);
void xpc_dictionary_set_bool(xpc_object_t xdict, const char *key, bool value);
void xpc_dictionary_set_string(xpc_object_t xdict, const char *key,
			       const char *string);
void xpc_dictionary_set_uuid(xpc_object_t xdict, const char *key,
			     const unsigned char *uuid);
uint64_t xpc_dictionary_get_uint64(xpc_object_t xdict, const char *key);
bool xpc_dictionary_get_bool(xpc_object_t xdict, const char *key);
const char *xpc_dictionary_get_string(xpc_object_t xdict, const char *key);
const uint8_t *xpc_dictionary_get_uuid(xpc_object_t xdict, const char *key);
/* Non-NULL when @key is present (the double returns the dictionary). */
xpc_object_t xpc_dictionary_get_value(xpc_object_t xdict, const char *key);
size_t xpc_dictionary_get_count(xpc_object_t xdict);
xpc_object_t xpc_retain(xpc_object_t object);
void xpc_release(xpc_object_t object);

#endif /* VMNET_DOUBLE_XPC_H */
