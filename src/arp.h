/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ARP_H
#define ARP_H

#include <stddef.h>
#include <stdint.h>

#include "pkt.h"

int arp_input(const uint8_t *frame, size_t len, uint32_t ip, const uint8_t *mac,
	      struct pkt_wr *out);

#endif /* ARP_H */
