/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MAC and IPv4 addresses as text.
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"

/**
 * addr_hexval() - value of one hexadecimal digit
 * @c:		the character
 *
 * Return: 0..15, or -1 if @c is not a hexadecimal digit
 */
static int addr_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * addr_mac_parse() - parse a MAC address such as 52:54:00:12:34:56
 * @text:	six groups of one or two hexadecimal digits, separated all by
 *		':' or all by '-' (bootptab files write "0:1b:..."), nothing
 *		before or after
 * @mac:	the address, set on success only
 *
 * Return: true if @text is a MAC address
 */
bool addr_mac_parse(const char *text, uint8_t mac[ADDR_MAC_LEN])
{
	uint8_t m[ADDR_MAC_LEN];
	char sep = 0;

	for (unsigned int i = 0; i < ADDR_MAC_LEN; i++) {
		int hi = addr_hexval(text[0]), lo;

		if (hi < 0)
			return false;
		lo = addr_hexval(text[1]);
		if (lo >= 0) {
			m[i] = (uint8_t)(hi << 4 | lo);
			text += 2;
		} else {
			m[i] = (uint8_t)hi;
			text++;
		}
		if (i == ADDR_MAC_LEN - 1)
			break;
		if (!sep && (*text == ':' || *text == '-'))
			sep = *text;
		if (!sep || *text++ != sep)
			return false;
	}
	if (*text)
		return false;
	memcpy(mac, m, ADDR_MAC_LEN);
	return true;
}

/**
 * addr_mac_fmt() - print a MAC address
 * @mac:	six bytes
 * @buf:	where to write "aa:bb:cc:dd:ee:ff"
 *
 * Return: @buf
 */
char *addr_mac_fmt(const uint8_t *mac, char buf[ADDR_MAC_STRLEN])
{
	snprintf(buf, ADDR_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

/**
 * addr_mac_is_unicast() - tell whether a MAC address can name one station
 * @mac:	six bytes
 *
 * Return: true unless it is a group address or all zero
 */
bool addr_mac_is_unicast(const uint8_t *mac)
{
	static const uint8_t zero[ADDR_MAC_LEN];

	return !(mac[0] & 1) && memcmp(mac, zero, ADDR_MAC_LEN) != 0;
}

/**
 * addr_ip4_parse() - parse a dotted-quad IPv4 address
 * @text:	the text ("a.b.c.d", decimal, nothing else)
 * @ip:		the address, host order, set on success only
 *
 * Return: true if @text is an IPv4 address
 */
bool addr_ip4_parse(const char *text, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, text, &a) != 1)
		return false;
	*ip = ntohl(a.s_addr);
	return true;
}

/**
 * addr_ip4_fmt() - print an IPv4 address
 * @ip:		the address, host order
 * @buf:	where to write "a.b.c.d"
 *
 * Return: @buf
 */
char *addr_ip4_fmt(uint32_t ip, char buf[ADDR_IP4_STRLEN])
{
	snprintf(buf, ADDR_IP4_STRLEN, "%u.%u.%u.%u", ip >> 24,
		 (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

/**
 * addr_mask_plen() - prefix length of a netmask
 * @mask:	the mask, host order
 *
 * Return: 0..32, or -1 if the ones of @mask are not contiguous
 */
int addr_mask_plen(uint32_t mask)
{
	int n = 0;

	while (n < 32 && (mask & (0x80000000u >> n)))
		n++;
	if (n < 32 && (mask << n))
		return -1;
	return n;
}
