/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double of <vmnet/vmnet.h>: the types, constants, dictionary keys and
 * functions of Apple's vmnet.framework that src/vmnet.c uses, declared from
 * Apple's public documentation (developer.apple.com/documentation/vmnet) in
 * our own words, with the SDK's types (32-bit unsigned enumerations),
 * availability (the release each identifier appeared in) and nullability
 * (non-null unless marked), and implemented by ../vmnet_double.c.
 *
 * What passes against it is our use of the documented contract; it says
 * nothing about how Apple's implementation behaves beyond that.
 */
#ifndef VMNET_DOUBLE_VMNET_H
#define VMNET_DOUBLE_VMNET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>
#include <netinet/in.h>

#include <dispatch/dispatch.h>
#include <xpc/xpc.h>

/*
 * Availability as the SDK declares it, so that a call outside an
 * availability check is flagged the same way here (only with a Darwin
 * target: clang ignores macOS availability when building for Linux).
 */
#define VMNET_DBL_SINCE(v) __attribute__((availability(macos, introduced = v)))
#define VMNET_DBL_UNTIL(v, d)                                                  \
	__attribute__((availability(macos, introduced = v, deprecated = d)))

/* Every pointer is non-null unless marked _Nullable, as in the SDK. */
#pragma clang assume_nonnull begin

/* An interface started by vmnet_start_interface(). */
typedef struct vmnet_interface *interface_ref;

/*
 * The three enumerations are 32-bit unsigned types whose values are
 * constants (in C the SDK's enum macro gives a uint32_t typedef and an
 * anonymous enum); the numbers are those of Apple's SDK.
 */

/* Status of every call. */
typedef uint32_t vmnet_return_t;
enum {
	VMNET_SUCCESS = 1000,
	VMNET_FAILURE = 1001,
	VMNET_MEM_FAILURE = 1002,
	VMNET_INVALID_ARGUMENT = 1003,
	VMNET_SETUP_INCOMPLETE = 1004,
	VMNET_INVALID_ACCESS = 1005,
	VMNET_PACKET_TOO_BIG = 1006,
	VMNET_BUFFER_EXHAUSTED = 1007,
	VMNET_TOO_MANY_PACKETS = 1008,
	VMNET_SHARING_SERVICE_BUSY = 1009, /* returned from macOS 11 */
	VMNET_NOT_AUTHORIZED = 1010,	   /* returned from macOS 15 */
};

/* Values of vmnet_operation_mode_key. */
typedef uint32_t operating_modes_t;
enum {
	VMNET_HOST_MODE = 1000,
	VMNET_SHARED_MODE = 1001,
	VMNET_BRIDGED_MODE VMNET_DBL_SINCE(10.15) = 1002,
};

/* Events vmnet_interface_set_event_callback() can watch (bit flags). */
typedef uint32_t interface_event_t;
enum {
	VMNET_INTERFACE_PACKETS_AVAILABLE = 1 << 0,
};

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

/*
 * Keys of interface_desc (what is asked for). The double built with
 * VMNET_DOUBLE_OLD (macOS 10.15) does not define those from macOS 11 on.
 */
extern const char *vmnet_operation_mode_key VMNET_DBL_SINCE(10.10); /* u64 */
/* string, bridged mode: the interface to bridge */
extern const char *vmnet_shared_interface_name_key VMNET_DBL_SINCE(10.15);
/* string: the host's address (the DHCP pool starts after it) */
extern const char *vmnet_start_address_key VMNET_DBL_SINCE(10.15);
extern const char *vmnet_end_address_key VMNET_DBL_SINCE(10.15);  /* string */
extern const char *vmnet_subnet_mask_key VMNET_DBL_SINCE(10.15);  /* string */
extern const char *vmnet_interface_id_key VMNET_DBL_SINCE(10.10); /* uuid */
/* string, shared mode: the IPv6 prefix */
extern const char *vmnet_nat66_prefix_key VMNET_DBL_SINCE(10.15);
/* uint64: its length; needed on 10.15, deprecated (unused) from 11 */
extern const char *vmnet_nat66_prefix_length_key VMNET_DBL_UNTIL(10.15, 11.0);
/* bool */
extern const char *vmnet_allocate_mac_address_key VMNET_DBL_SINCE(10.15);
extern const char *vmnet_enable_isolation_key VMNET_DBL_SINCE(11.0); /* bool */
/* uuid, host mode: an isolated network (no DHCP) */
extern const char *vmnet_network_identifier_key VMNET_DBL_SINCE(11.0);
/* strings, with the network identifier: the host's address */
extern const char *vmnet_host_ip_address_key VMNET_DBL_SINCE(11.0);
extern const char *vmnet_host_subnet_mask_key VMNET_DBL_SINCE(11.0);

/*
 * Keys of interface_param (what the completion handler gets). The MTU key
 * may also be asked for, in host and shared mode only: in bridged mode
 * vmnet fails the start when it is given.
 */
extern const char *vmnet_mac_address_key VMNET_DBL_SINCE(10.10); /* string */
extern const char *vmnet_mtu_key VMNET_DBL_SINCE(10.10);	 /* uint64 */
extern const char *vmnet_max_packet_size_key VMNET_DBL_SINCE(10.10); /* u64 */
/* uint64: packets per vmnet_read()/vmnet_write() call */
extern const char *vmnet_read_max_packets_key VMNET_DBL_SINCE(15.0);
extern const char *vmnet_write_max_packets_key VMNET_DBL_SINCE(15.0);

/* Key of the packets-available event (uint64). */
extern const char *vmnet_estimated_packets_available_key VMNET_DBL_SINCE(10.10);

typedef void (^vmnet_start_interface_completion_handler_t)(
    vmnet_return_t vmnet_status, xpc_object_t _Nullable interface_param);
typedef void (^vmnet_interface_event_callback_t)(interface_event_t event_id,
						 xpc_object_t event);
typedef void (^vmnet_interface_completion_handler_t)(vmnet_return_t status);

/*
 * Start an interface; @handler runs on @queue with the outcome. NULL when
 * the request is refused outright (the handler is then not called).
 */
interface_ref _Nullable vmnet_start_interface(
    xpc_object_t interface_desc, dispatch_queue_t queue,
    vmnet_start_interface_completion_handler_t handler) VMNET_DBL_SINCE(10.10);
/*
 * Stop it; @handler runs on @queue when done, not at all when the call
 * itself fails.
 */
vmnet_return_t
vmnet_stop_interface(interface_ref interface, dispatch_queue_t queue,
		     vmnet_interface_completion_handler_t handler)
    VMNET_DBL_SINCE(10.10);
/* Have @callback run on @queue for the events in @event_mask (NULL: stop) */
vmnet_return_t vmnet_interface_set_event_callback(
    interface_ref interface, interface_event_t event_mask,
    dispatch_queue_t _Nullable queue,
    vmnet_interface_event_callback_t _Nullable callback);
/*
 * Read up to *@pktcnt packets into @packets, each buffer at least
 * max_packet_size bytes; *@pktcnt becomes the number read (0: none).
 */
vmnet_return_t vmnet_read(interface_ref interface, struct vmpktdesc *packets,
			  int *pktcnt) VMNET_DBL_SINCE(10.10);
/*
 * Write *@pktcnt packets: all of them, or none and a failure (e.g.
 * VMNET_BUFFER_EXHAUSTED when vmnet has no room for them all).
 */
vmnet_return_t vmnet_write(interface_ref interface, struct vmpktdesc *packets,
			   int *pktcnt) VMNET_DBL_SINCE(10.10);

/*
 * macOS 26: networks described by a configuration, and interfaces started
 * on them. Declared for every variant (as an SDK declares them for every
 * deployment target); only the double built with VMNET_DOUBLE_26 defines
 * them, so src/vmnet_net.c, which looks them up at run time, finds them
 * there alone. The configuration and the network are released with
 * CFRelease(), which that double defines too.
 */
typedef operating_modes_t vmnet_mode_t;
typedef struct vmnet_network_configuration_s *vmnet_network_configuration_ref;
typedef struct vmnet_network_s *vmnet_network_ref;

/* A configuration for a network in @mode (host or shared), with vmnet's
 * defaults (DHCP on, a /24 under 192.168/16, a random ULA prefix). */
vmnet_network_configuration_ref _Nullable vmnet_network_configuration_create(
    vmnet_mode_t mode, vmnet_return_t *_Nullable status) VMNET_DBL_SINCE(26.0);
/* No DHCP server on the network. */
void vmnet_network_configuration_disable_dhcp(
    vmnet_network_configuration_ref config) VMNET_DBL_SINCE(26.0);
/* The IPv4 subnet (its address and mask); the host gets the subnet's
 * second address, the first and last are nobody's. */
vmnet_return_t vmnet_network_configuration_set_ipv4_subnet(
    vmnet_network_configuration_ref config, const struct in_addr *subnet_addr,
    const struct in_addr *subnet_mask) VMNET_DBL_SINCE(26.0);
/* The IPv6 prefix of shared mode. */
vmnet_return_t vmnet_network_configuration_set_ipv6_prefix(
    vmnet_network_configuration_ref config, const struct in6_addr *prefix,
    uint8_t prefix_len) VMNET_DBL_SINCE(26.0);
vmnet_return_t
vmnet_network_configuration_set_mtu(vmnet_network_configuration_ref config,
				    uint32_t mtu) VMNET_DBL_SINCE(26.0);
/* The network itself, reserved until it is released. */
vmnet_network_ref _Nullable vmnet_network_create(
    vmnet_network_configuration_ref configuration,
    vmnet_return_t *_Nullable status) VMNET_DBL_SINCE(26.0);
void vmnet_network_get_ipv4_subnet(vmnet_network_ref network,
				   struct in_addr *subnet, struct in_addr *mask)
    VMNET_DBL_SINCE(26.0);
/* Start an interface on @network; @interface_desc holds only what
 * concerns the interface (not mode, addresses, prefix or MTU). */
interface_ref _Nullable vmnet_interface_start_with_network(
    vmnet_network_ref network, xpc_object_t interface_desc,
    dispatch_queue_t queue,
    vmnet_start_interface_completion_handler_t start_block)
    VMNET_DBL_SINCE(26.0);

#pragma clang assume_nonnull end

#endif /* VMNET_DOUBLE_VMNET_H */
