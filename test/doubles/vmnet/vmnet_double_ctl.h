/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Control side of the vmnet test double: what the test tells it to do and
 * what it saw. Only test drivers include this; src/vmnet.c sees nothing
 * but vmnet/vmnet.h.
 */
#ifndef VMNET_DOUBLE_CTL_H
#define VMNET_DOUBLE_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <vmnet/vmnet.h>

/* How the next vmnet_start_interface() behaves. */
struct vmnet_double_cfg {
	bool refuse;		  /* return NULL, never call the handler */
	vmnet_return_t status;	  /* given to the completion handler */
	uint64_t mtu;		  /* reported (default 1500) */
	uint64_t max_packet_size; /* reported (default mtu + 14) */
	uint64_t read_max;	  /* reported when non-zero (macOS 15) */
	uint64_t write_max;	  /* reported when non-zero (macOS 15) */
	const char *mac;	  /* reported (default "f2:0:1:a:bc:de") */
};

/* What the last vmnet_start_interface() was asked for. */
struct vmnet_double_start {
	bool called;
	uint64_t mode;
	bool have_mode;
	char shared_interface[64];
	char start[64], end[64], mask[64];
	char host_ip[64], host_mask[64];
	char nat66[64];
	bool have_nat66_len; /* the 10.15 key, vmnet_nat66_prefix_length_key */
	uint64_t nat66_len;
	bool have_interface_id;
	uint8_t interface_id[16];
	bool have_network_id;
	uint8_t network_id[16];
	bool have_mtu;
	uint64_t mtu;
	unsigned int nkeys;
};

/* What happened since the last reset. */
struct vmnet_double_counts {
	unsigned int read_calls;
	unsigned int read_packets;
	unsigned int read_max_asked;	/* largest *pktcnt given to read */
	unsigned int read_too_many;	/* reads refused: *pktcnt too big */
	unsigned int read_small_buffer; /* reads refused: buffer too small */
	unsigned int write_calls;
	unsigned int write_packets;
	unsigned int write_max_asked;
	unsigned int write_refused;    /* failed writes (nothing written) */
	unsigned int write_full;       /* ... for want of room */
	unsigned int out_sent;	       /* packets the network was given */
	unsigned int calls_off_thread; /* read/write not on the owner */
	unsigned int events;	       /* packets-available callbacks run */
	unsigned int events_on_owner;  /* ... on the owner thread (bad) */
	unsigned int handler_on_owner; /* completion handlers on owner */
	unsigned int stop_calls;
	unsigned int stops; /* that succeeded */
};

/* The macOS 26 calls (the double built with VMNET_DOUBLE_26): what was
 * configured, and every call of that API in order. */
struct vmnet_double_network {
	char calls[512];	/* names, each followed by a space */
	uint64_t mode;
	char subnet[64], mask[64];
	char prefix[64];
	unsigned int prefix_len;
	bool dhcp_disabled;
	uint32_t mtu;
	int configs_live;	/* created and not released */
	int networks_live;
	unsigned int bad_calls; /* against the documented contract */
};

void vmnet_double_reset(const struct vmnet_double_cfg *cfg);
const struct vmnet_double_network *vmnet_double_last_network(void);
/* Make the next vmnet_network_create() fail with @status. */
void vmnet_double_fail_network(vmnet_return_t status);
const struct vmnet_double_start *vmnet_double_last_start(void);
const struct vmnet_double_counts *vmnet_double_counts(void);
/* The thread that may call vmnet_read()/vmnet_write() (the loop's). */
void vmnet_double_set_owner(void);
/* The "network": datagrams sent here come out of vmnet_read(); what
 * vmnet_write() sends arrives here. -1 when no interface runs. */
int vmnet_double_net_fd(void);
/* Make the next @n vmnet_write() calls fail with @status. */
void vmnet_double_fail_writes(unsigned int n, vmnet_return_t status);
/* vmnet's output buffer holds @packets at most (0: the default, 512);
 * a write that does not fit whole fails with VMNET_BUFFER_EXHAUSTED. */
void vmnet_double_set_room(unsigned int packets);
/* While @on, nothing leaves the output buffer (the host is busy). */
void vmnet_double_hold(bool on);
/* Make the next vmnet_stop_interface() fail with @status: returned at
 * once (no handler) or, if @in_handler, given to the handler. The
 * interface stays up until the next vmnet_double_reset(). */
void vmnet_double_fail_stop(vmnet_return_t status, bool in_handler);
/* Dispatch semaphores created and not yet released for good (the
 * dispatch double counts them). */
unsigned int dispatch_double_live_semaphores(void);
/* Wait until @n packets-available callbacks have run (1 s at most). */
bool vmnet_double_wait_events(unsigned int n);

#endif /* VMNET_DOUBLE_CTL_H */
