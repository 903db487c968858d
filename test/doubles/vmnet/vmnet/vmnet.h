/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double of <vmnet/vmnet.h>: the types, constants, dictionary keys and
 * functions of Apple's vmnet.framework that src/vmnet.c uses, declared from
 * Apple's public documentation (developer.apple.com/documentation/vmnet) in
 * our own words, and implemented over a socketpair by ../vmnet_double.c.
 *
 * What passes against it is our use of the documented contract; it says
 * nothing about how Apple's implementation behaves beyond that.
 */
#ifndef VMNET_DOUBLE_VMNET_H
#define VMNET_DOUBLE_VMNET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <dispatch/dispatch.h>
#include <xpc/xpc.h>

/* An interface started by vmnet_start_interface(). */
typedef struct vmnet_interface *interface_ref;

/* Status of every call (the numbers are those of Apple's SDK). */
typedef enum {
	VMNET_SUCCESS = 1000,
	VMNET_FAILURE = 1001,
	VMNET_MEM_FAILURE = 1002,
	VMNET_INVALID_ARGUMENT = 1003,
	VMNET_SETUP_INCOMPLETE = 1004,
	VMNET_INVALID_ACCESS = 1005,
	VMNET_PACKET_TOO_BIG = 1006,
	VMNET_BUFFER_EXHAUSTED = 1007,
	VMNET_TOO_MANY_PACKETS = 1008,
	VMNET_SHARING_SERVICE_BUSY = 1009, /* macOS 11 */
	VMNET_NOT_AUTHORIZED = 1010,	   /* macOS 15 */
} vmnet_return_t;

/* Values of vmnet_operation_mode_key. */
typedef enum {
	VMNET_HOST_MODE = 1000,
	VMNET_SHARED_MODE = 1001,
	VMNET_BRIDGED_MODE = 1002, /* macOS 10.15 */
} operating_modes_t;

/* Events vmnet_interface_set_event_callback() can watch. */
typedef enum {
	VMNET_INTERFACE_PACKETS_AVAILABLE = 1 << 0,
} interface_event_t;

/*
 * One packet for vmnet_read()/vmnet_write(): its size (for a read: the
 * room given in, the length read out), its buffers, and flags (0).
 */
struct vmpktdesc {
	size_t vm_pkt_size;
	struct iovec *vm_pkt_iov;
	uint32_t vm_pkt_iovcnt;
	uint32_t vm_flags;
};

/* Keys of interface_desc (what is asked for). */
extern const char *vmnet_operation_mode_key;	    /* uint64 */
extern const char *vmnet_shared_interface_name_key; /* string, bridged */
extern const char *vmnet_start_address_key;	    /* string: the host */
extern const char *vmnet_end_address_key;	    /* string: DHCP end */
extern const char *vmnet_subnet_mask_key;	    /* string */
extern const char *vmnet_interface_id_key;	    /* uuid */
extern const char *vmnet_nat66_prefix_key;	    /* string, shared */
extern const char *vmnet_allocate_mac_address_key;  /* bool */
extern const char *vmnet_enable_isolation_key;	    /* bool, macOS 11 */
/* macOS 11 (absent from the double built with VMNET_DOUBLE_OLD) */
extern const char *vmnet_network_identifier_key; /* uuid, host mode */
extern const char *vmnet_host_ip_address_key;	 /* string */
extern const char *vmnet_host_subnet_mask_key;	 /* string */

/* Keys of interface_param (what the completion handler gets). */
extern const char *vmnet_mac_address_key;     /* string */
extern const char *vmnet_mtu_key;	      /* uint64, also asked */
extern const char *vmnet_max_packet_size_key; /* uint64 */
/* macOS 15 (absent from the double built with VMNET_DOUBLE_OLD) */
extern const char *vmnet_read_max_packets_key;	/* uint64 */
extern const char *vmnet_write_max_packets_key; /* uint64 */

/* Key of the packets-available event. */
extern const char *vmnet_estimated_packets_available_key; /* uint64 */

typedef void (^vmnet_start_interface_completion_handler_t)(
    vmnet_return_t vmnet_status, xpc_object_t interface_param);
typedef void (^vmnet_interface_event_callback_t)(interface_event_t event_id,
						 xpc_object_t event);

/*
 * Start an interface; @handler runs on @queue with the outcome. NULL when
 * the request is refused outright (the handler is then not called).
 */
interface_ref
vmnet_start_interface(xpc_object_t interface_desc, dispatch_queue_t queue,
		      vmnet_start_interface_completion_handler_t handler);
/* Stop it; @handler runs on @queue when done. */
vmnet_return_t vmnet_stop_interface(interface_ref interface,
				    dispatch_queue_t queue,
				    void (^handler)(vmnet_return_t status));
/* Have @callback run on @queue for the events in @event_mask (NULL: stop) */
vmnet_return_t vmnet_interface_set_event_callback(
    interface_ref interface, interface_event_t event_mask,
    dispatch_queue_t queue, vmnet_interface_event_callback_t callback);
/*
 * Read up to *@pktcnt packets into @packets, each buffer at least
 * max_packet_size bytes; *@pktcnt becomes the number read (0: none).
 */
vmnet_return_t vmnet_read(interface_ref interface, struct vmpktdesc *packets,
			  int *pktcnt);
/* Write *@pktcnt packets; *@pktcnt becomes the number written. */
vmnet_return_t vmnet_write(interface_ref interface, struct vmpktdesc *packets,
			   int *pktcnt);

#endif /* VMNET_DOUBLE_VMNET_H */
