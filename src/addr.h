/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Addresses as text: MAC and IPv4 parsing and printing, one set of rules
 * for the command line, the DHCP files and the logs. IPv4 addresses are
 * host-order uint32_t values.
 */
#ifndef ADDR_H
#define ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define ADDR_MAC_LEN	6u
#define ADDR_MAC_STRLEN 18u /* "aa:bb:cc:dd:ee:ff" and its NUL */
#define ADDR_IP4_STRLEN 16u /* "255.255.255.255" and its NUL */

bool addr_mac_parse(const char *text, uint8_t mac[ADDR_MAC_LEN]);
char *addr_mac_fmt(const uint8_t *mac, char buf[ADDR_MAC_STRLEN]);
bool addr_mac_is_unicast(const uint8_t *mac);
bool addr_ip4_parse(const char *text, uint32_t *ip);
char *addr_ip4_fmt(uint32_t ip, char buf[ADDR_IP4_STRLEN]);
int addr_mask_plen(uint32_t mask);

#endif /* ADDR_H */
