/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host side of the network on macOS: vmnet.framework (uplink.h).
 *
 * Theory of operation. uplink_open() builds an XPC dictionary from the
 * flags (mode; gateway, DHCP end and netmask; the interface to bridge;
 * interface id; network identifier; NAT66 prefix; MTU), calls
 * vmnet_start_interface() and waits on a dispatch semaphore for its
 * completion handler, which copies what vmnet answered (MTU, largest
 * packet, MAC, addresses, packets per call) into static storage; the
 * values are logged from the calling thread once the wait is over.
 *
 * vmnet runs its callbacks on a GCD queue, on threads of its own. The
 * daemon's switch is single-threaded and must stay so: the
 * packets-available callback does one thing only, write one byte to a
 * non-blocking socket (the "bell"), and touches nothing else. The other end
 * of that socketpair is the descriptor uplink_open() returns, so the event
 * loop wakes up like for any socket, and host.c calls uplink_read() until it
 * fails with EAGAIN. vmnet_read() and vmnet_write() are only ever called
 * from the loop's thread.
 *
 * uplink_read() hands out one frame per call from a batch buffered here.
 * When the batch is used up it refills it: first it drains the bell, then
 * it calls vmnet_read() once for up to read_max packets (vmnet's
 * vmnet_read_max_packets_key on macOS 15 and later; before that 200, or
 * fewer so that a batch stays within 256 KiB, the limits Apple documented
 * for one call). Draining *before* reading means that a callback racing
 * with the read leaves a byte behind, so no wake-up is lost. When the read
 * brings packets, one byte is rung again so that the loop comes back for
 * the rest of the batch even if host.c stops early (it reads at most 64
 * frames per wake-up); when it brings none, uplink_read() fails with
 * EAGAIN and the bell stays quiet until vmnet calls back.
 *
 * uplink_write() and uplink_write_batch() hand frames to vmnet_write(), up
 * to write_max per call, in order. vmnet_write() writes every packet given
 * or none. When vmnet has no room (VMNET_BUFFER_EXHAUSTED) nothing is
 * dropped: the frames stay with the caller (errno EAGAIN, as a full socket
 * says), and vmnet, which has no "room again" signal, is left alone for a
 * short back-off (1 ms, doubling up to 16 ms while it stays full) on a loop
 * timer. Meanwhile the returned descriptor reports itself not writable (its
 * outgoing direction is filled), and the timer empties it again, so the
 * loop's LOOP_OUT wakes host.c once the back-off is over, never before.
 * Other failures drop the frame that caused them (found by writing the
 * batch one frame per call) and are counted; none is ever fatal. The
 * counters are logged when the uplink closes.
 *
 * The build targets macOS 10.15 (the Makefile's -mmacosx-version-min).
 * Identifiers that only newer releases have (the network identifier and
 * host address keys: macOS 11; packets per call: macOS 15) and the NAT66
 * prefix length key, which only 10.15 needs (deprecated in 11), are looked
 * up at run time with dlsym(), never named directly: so any SDK builds it,
 * one binary runs on every release from 10.15 and does without what the
 * system lacks, and `make macos-syntax` (a 10.15 target, where a newer
 * identifier outside an availability check is an error) checks that none
 * slipped in. A system without the macOS 11 keys is taken for 10.15.
 *
 * The interface belongs to the process that started it: GCD and vmnet do
 * not survive fork(). A forked process that calls uplink_read() gets an
 * error and a log line rather than a crash (see docs/MACOS.md about
 * --user).
 *
 * On Linux this file is compiled by test/doubles/vmnet-check.sh, against
 * a test double of the documented vmnet API (test/doubles/vmnet/), and by
 * `make macos-syntax` against the real SDK headers (syntax only); neither
 * runs Apple's implementation.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <dispatch/dispatch.h>
#include <vmnet/vmnet.h>
#include <xpc/xpc.h>

#include "err.h"
#include "log.h"
#include "loop.h"
#include "uplink.h"
#include "vmnet_net.h"

/* Until it moves to uplink.h (see docs/MACOS.md). */
unsigned int uplink_write_batch(const struct iovec *frames, unsigned int n,
				unsigned int *dropped);

static void vmnet_uplink_close(void);

#define VMNET_ETH_HLEN	    14u
#define VMNET_DEFAULT_MTU   1500u	 /* vmnet's own: not asked for */
#define VMNET_OLD_MAX_PKTS  200u	 /* per call, before macOS 15 */
#define VMNET_OLD_MAX_BYTES (256u << 10) /* per call, before macOS 15 */
#define VMNET_BATCH_CAP	    256u	 /* our own cap on a batch */
#define VMNET_BACKOFF_MIN   1u	  /* ms: first pause when vmnet is full */
#define VMNET_BACKOFF_MAX   16u	  /* ms: longest pause */
#define VMNET_NAT66_PREFIX  64u	  /* the prefix length we use (/64) */
#define VMNET_FILL_CHUNK    4096u /* bytes per write to stall the fd */
#define VMNET_FILL_MAX	    128u  /* writes to stall it, at most */
#define VMNET_SOCKBUF	    4096  /* bell socket buffers */
#define VMNET_START_TIMEOUT 30	  /* seconds for the completion */
#define VMNET_STOP_TIMEOUT  10	  /* seconds for the stop */
/* Status codes newer than the oldest SDK we build with. */
#define VMNET_STATUS_SHARING_BUSY   1009
#define VMNET_STATUS_NOT_AUTHORIZED 1010

/* What the completion handler of vmnet_start_interface() reports. */
struct vmnet_started {
	vmnet_return_t status;
	bool have_param;
	uint64_t mtu;
	uint64_t max_packet_size;
	uint64_t read_max;
	uint64_t write_max;
	char mac[32];
	char start[INET_ADDRSTRLEN];
	char end[INET_ADDRSTRLEN];
	char mask[INET_ADDRSTRLEN];
	char nat66[INET6_ADDRSTRLEN];
	bool have_id;
	unsigned char id[16];
};

/* Counters, logged when the uplink closes. */
struct vmnet_stats {
	unsigned long long rx_frames;
	unsigned long long rx_batches;
	unsigned long long rx_errors;
	unsigned long long rx_truncated;
	unsigned long long tx_frames;
	unsigned long long tx_calls;
	unsigned long long tx_full;    /* calls vmnet had no room for */
	unsigned long long tx_too_big; /* dropped: larger than vmnet takes */
	unsigned long long tx_errors;  /* dropped: any other failure */
};

/* The one uplink of this process. */
static struct {
	interface_ref iface;
	dispatch_queue_t queue; /* vmnet's callbacks run there */
	int loop_fd;		/* returned to the loop, -1 when closed */
	int bell_fd;		/* its peer: rung by the callback */
	pid_t pid;		/* the process that started vmnet */
	bool fork_warned;
	bool no_access; /* the start failed for want of privileges */
	enum net_mode mode;
	size_t max_pkt;	   /* vmnet_max_packet_size_key */
	unsigned int rmax; /* packets per vmnet_read() */
	unsigned int wmax; /* packets per vmnet_write() */
	uint8_t *rbuf;	   /* rmax buffers of max_pkt bytes */
	struct vmpktdesc *rpk;
	struct iovec *riov;
	unsigned int rcount; /* packets in the current batch */
	unsigned int rnext;  /* next one to hand out */
	struct vmpktdesc *wpk;
	struct iovec *wiov;
	/* vmnet is full: retry fires at the end of the back-off, which was
	 * backoff_ms long (0 once vmnet took a write) */
	struct loop_timer retry;
	unsigned int backoff_ms;
	struct vmnet_stats st;
	struct log_limit lim;
} vm = {.loop_fd = -1, .bell_fd = -1};

/* Written by the completion handler, read after the semaphore. */
static struct vmnet_started vmnet_res;

/**
 * vmnet_status_str() - name a vmnet status
 * @s:		the status
 *
 * Return: a static string
 */
static const char *vmnet_status_str(vmnet_return_t s)
{
	switch ((int)s) {
	case VMNET_SUCCESS:
		return "success";
	case VMNET_FAILURE:
		return "general failure";
	case VMNET_MEM_FAILURE:
		return "out of memory";
	case VMNET_INVALID_ARGUMENT:
		return "invalid argument";
	case VMNET_SETUP_INCOMPLETE:
		return "setup incomplete";
	case VMNET_INVALID_ACCESS:
		return "permission denied";
	case VMNET_PACKET_TOO_BIG:
		return "packet larger than the interface takes";
	case VMNET_BUFFER_EXHAUSTED:
		return "buffers exhausted";
	case VMNET_TOO_MANY_PACKETS:
		return "too many packets in one call";
	case VMNET_STATUS_SHARING_BUSY:
		return "sharing service busy";
	case VMNET_STATUS_NOT_AUTHORIZED:
		return "not authorized";
	}
	return "unknown status";
}

/**
 * vmnet_start_hint() - say what to do about a failed start
 * @s:		the status vmnet_start_interface() reported
 * @mode:	the mode asked for
 *
 * Return: a static string, "" when there is nothing useful to add
 */
static const char *vmnet_start_hint(vmnet_return_t s, enum net_mode mode)
{
	switch ((int)s) {
	case VMNET_FAILURE:
	case VMNET_INVALID_ACCESS:
	case VMNET_STATUS_NOT_AUTHORIZED:
		if (!geteuid())
			return " (check the flags; is another program holding "
			       "the same network?)";
		return vmnet_net_available()
			   ? " (vmnet refused a normal user: start "
			     "socket_vmnet as root (sudo or launchd), or use "
			     "a binary signed with the "
			     "com.apple.security.virtualization entitlement, "
			     "as `make` signs it; `codesign -d --entitlements "
			     "- socket_vmnet` shows it)"
			   : " (this macOS starts vmnet for root only: start "
			     "socket_vmnet with sudo or launchd; from macOS "
			     "26 a binary signed with the "
			     "com.apple.security.virtualization entitlement "
			     "starts without root)";
	case VMNET_INVALID_ARGUMENT:
		return mode == NET_MODE_BRIDGED
			   ? " (is --vmnet-interface an existing interface "
			     "that can be bridged, e.g. en0?)"
			   : " (--vmnet-gateway, --vmnet-dhcp-end and "
			     "--vmnet-mask must make one private (RFC 1918) "
			     "subnet)";
	case VMNET_STATUS_SHARING_BUSY:
		return " (another program, or Internet Sharing, uses this "
		       "subnet: choose another --vmnet-gateway)";
	}
	return "";
}

/**
 * vmnet_optional_key() - look up a key that only newer macOS versions have
 * @symbol:	the name of the key's variable, e.g.
 * "vmnet_read_max_packets_key"
 *
 * Return: the key, or NULL when this system's vmnet does not define it
 */
static const char *vmnet_optional_key(const char *symbol)
{
	const char *const *p = dlsym(RTLD_DEFAULT, symbol);

	return p ? *p : NULL;
}

/**
 * vmnet_parse_uuid() - turn UUID text into its 16 bytes
 * @text:	xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (checked by conf.c too)
 * @out:	the bytes
 *
 * Return: 0 on success, -1 if @text is no UUID
 */
static int vmnet_parse_uuid(const char *text, unsigned char out[16])
{
	unsigned int i, n = 0;

	if (strlen(text) != 36)
		return -1;
	for (i = 0; i < 36; i++) {
		int v;
		char ch = text[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (ch != '-')
				return -1;
			continue;
		}
		if (ch >= '0' && ch <= '9')
			v = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v = ch - 'A' + 10;
		else
			return -1;
		if (n % 2 == 0)
			out[n / 2] = (unsigned char)(v << 4);
		else
			out[n / 2] |= (unsigned char)v;
		n++;
	}
	return 0;
}

/**
 * vmnet_random_uuid() - make a random (version 4) UUID
 * @out:	the bytes
 */
static void vmnet_random_uuid(unsigned char out[16])
{
	arc4random_buf(out, 16);
	out[6] = (unsigned char)((out[6] & 0x0f) | 0x40);
	out[8] = (unsigned char)((out[8] & 0x3f) | 0x80);
}

/**
 * vmnet_uuid_str() - format UUID bytes
 * @u:		the bytes
 * @buf:	at least 37 bytes
 *
 * Return: @buf
 */
static char *vmnet_uuid_str(const unsigned char u[16], char *buf)
{
	snprintf(buf, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
	return buf;
}

/**
 * vmnet_copy_str() - copy a string value of a dictionary, if present
 * @d:		the dictionary
 * @key:	the key
 * @buf:	where it goes ("" when absent)
 * @len:	size of @buf
 */
static void vmnet_copy_str(xpc_object_t d, const char *key, char *buf,
			   size_t len)
{
	const char *s = key ? xpc_dictionary_get_string(d, key) : NULL;

	snprintf(buf, len, "%s", s ? s : "");
}

/**
 * vmnet_record_start() - keep what vmnet answered (runs on vmnet's queue)
 * @status:	the start's status
 * @param:	the interface's parameters, valid only during this call
 *
 * Only writes vmnet_res; the thread that waits reads it after the
 * semaphore, which orders the two.
 */
static void vmnet_record_start(vmnet_return_t status, xpc_object_t param)
{
	const char *key;
	const uint8_t *id;

	memset(&vmnet_res, 0, sizeof(vmnet_res));
	vmnet_res.status = status;
	if (status != VMNET_SUCCESS || !param)
		return;
	vmnet_res.have_param = true;
	vmnet_res.mtu = xpc_dictionary_get_uint64(param, vmnet_mtu_key);
	vmnet_res.max_packet_size =
	    xpc_dictionary_get_uint64(param, vmnet_max_packet_size_key);
	key = vmnet_optional_key("vmnet_read_max_packets_key");
	if (key)
		vmnet_res.read_max = xpc_dictionary_get_uint64(param, key);
	key = vmnet_optional_key("vmnet_write_max_packets_key");
	if (key)
		vmnet_res.write_max = xpc_dictionary_get_uint64(param, key);
	vmnet_copy_str(param, vmnet_mac_address_key, vmnet_res.mac,
		       sizeof(vmnet_res.mac));
	vmnet_copy_str(param, vmnet_start_address_key, vmnet_res.start,
		       sizeof(vmnet_res.start));
	vmnet_copy_str(param, vmnet_end_address_key, vmnet_res.end,
		       sizeof(vmnet_res.end));
	vmnet_copy_str(param, vmnet_subnet_mask_key, vmnet_res.mask,
		       sizeof(vmnet_res.mask));
	vmnet_copy_str(param, vmnet_nat66_prefix_key, vmnet_res.nat66,
		       sizeof(vmnet_res.nat66));
	id = xpc_dictionary_get_uuid(param, vmnet_interface_id_key);
	if (id) {
		memcpy(vmnet_res.id, id, 16);
		vmnet_res.have_id = true;
	}
}

/**
 * vmnet_before_11() - tell whether this system is older than macOS 11
 *
 * The build targets 10.15, and vmnet exports the macOS 11 keys from 11 on,
 * so a system without them is 10.15 (the test double's "old" variant too).
 *
 * Return: true on macOS 10.15
 */
static bool vmnet_before_11(void)
{
	return !vmnet_optional_key("vmnet_network_identifier_key");
}

/**
 * vmnet_describe_network_id() - the keys of an isolated host-mode network
 * @c:		what the daemon asks for (host mode, network_identifier set)
 * @d:		the dictionary being built
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, -1 with @err set
 */
static int vmnet_describe_network_id(const struct uplink_conf *c,
				     xpc_object_t d, char *err, size_t errlen)
{
	const char *k = vmnet_optional_key("vmnet_network_identifier_key");
	const char *kip = vmnet_optional_key("vmnet_host_ip_address_key");
	const char *kmask = vmnet_optional_key("vmnet_host_subnet_mask_key");
	unsigned char uuid[16];
	char a[INET_ADDRSTRLEN];

	if (!k) {
		err_set(err, errlen,
			"--vmnet-network-identifier needs macOS 11 or later");
		return -1;
	}
	if (!strcmp(c->network_identifier, "random")) {
		vmnet_random_uuid(uuid);
	} else if (vmnet_parse_uuid(c->network_identifier, uuid) < 0) {
		err_set(err, errlen, "bad UUID");
		return -1;
	}
	xpc_dictionary_set_uuid(d, k, uuid);
	/* Such a network has no DHCP: the host just gets an address */
	if (c->gateway.s_addr && kip && kmask) {
		inet_ntop(AF_INET, &c->gateway, a, sizeof(a));
		xpc_dictionary_set_string(d, kip, a);
		inet_ntop(AF_INET, &c->mask, a, sizeof(a));
		xpc_dictionary_set_string(d, kmask, a);
	}
	return 0;
}

/**
 * vmnet_describe_range() - the host's address and vmnet's DHCP range
 * @c:		what the daemon asks for (host or shared mode)
 * @d:		the dictionary being built
 */
static void vmnet_describe_range(const struct uplink_conf *c, xpc_object_t d)
{
	struct in_addr end = c->dhcp_end;
	char a[INET_ADDRSTRLEN];

	if (!c->gateway.s_addr)
		return;
	if (!end.s_addr) /* the last address but the broadcast */
		end.s_addr =
		    htonl(ntohl(c->gateway.s_addr | ~c->mask.s_addr) - 1);
	/* vmnet's "start address" is the host's (the gateway); its DHCP pool
	 * runs from the next address to the end address. */
	inet_ntop(AF_INET, &c->gateway, a, sizeof(a));
	xpc_dictionary_set_string(d, vmnet_start_address_key, a);
	inet_ntop(AF_INET, &end, a, sizeof(a));
	xpc_dictionary_set_string(d, vmnet_end_address_key, a);
	inet_ntop(AF_INET, &c->mask, a, sizeof(a));
	xpc_dictionary_set_string(d, vmnet_subnet_mask_key, a);
}

/**
 * vmnet_describe_nat66() - the IPv6 prefix of shared mode
 * @c:		what the daemon asks for (shared mode, nat66_prefix set)
 * @d:		the dictionary being built
 * @err:	message buffer
 * @errlen:	its size
 *
 * macOS 10.15 wants the prefix length next to the prefix; from macOS 11
 * that key is deprecated and left out.
 *
 * Return: 0, -1 with @err set
 */
static int vmnet_describe_nat66(const struct uplink_conf *c, xpc_object_t d,
				char *err, size_t errlen)
{
	const char *klen;

	xpc_dictionary_set_string(d, vmnet_nat66_prefix_key, c->nat66_prefix);
	if (!vmnet_before_11())
		return 0;
	klen = vmnet_optional_key("vmnet_nat66_prefix_length_key");
	if (!klen) {
		err_set(err, errlen,
			"--vmnet-nat66-prefix: this macOS has no "
			"vmnet_nat66_prefix_length_key");
		return -1;
	}
	xpc_dictionary_set_uint64(d, klen, VMNET_NAT66_PREFIX);
	return 0;
}

/**
 * vmnet_describe() - build the dictionary vmnet_start_interface() takes
 * @c:		what the daemon asks for
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: the dictionary (xpc_release() it), NULL with @err set
 */
static xpc_object_t vmnet_describe(const struct uplink_conf *c, char *err,
				   size_t errlen)
{
	xpc_object_t d = xpc_dictionary_create(NULL, NULL, 0);
	unsigned char uuid[16];
	uint64_t mode;

	if (!d) {
		err_set(err, errlen, "out of memory");
		return NULL;
	}
	switch (c->mode) {
	case NET_MODE_HOST:
		mode = VMNET_HOST_MODE;
		break;
	case NET_MODE_SHARED:
		mode = VMNET_SHARED_MODE;
		break;
	default:
		mode = VMNET_BRIDGED_MODE;
		break;
	}
	xpc_dictionary_set_uint64(d, vmnet_operation_mode_key, mode);
	if (c->mode == NET_MODE_BRIDGED)
		xpc_dictionary_set_string(d, vmnet_shared_interface_name_key,
					  c->interface);

	if (c->mode == NET_MODE_HOST && c->network_identifier) {
		if (vmnet_describe_network_id(c, d, err, errlen) < 0)
			goto fail;
	} else if (c->mode != NET_MODE_BRIDGED) {
		vmnet_describe_range(c, d);
	}
	if (c->interface_id) {
		if (vmnet_parse_uuid(c->interface_id, uuid) < 0) {
			err_set(err, errlen, "bad UUID");
			goto fail;
		}
		xpc_dictionary_set_uuid(d, vmnet_interface_id_key, uuid);
	}
	if (c->mode == NET_MODE_SHARED && c->nat66_prefix &&
	    vmnet_describe_nat66(c, d, err, errlen) < 0)
		goto fail;
	/* Bridged mode takes the interface's MTU: the key is an error there
	 * (uplink_open() refuses --mtu for it). */
	if (c->mode != NET_MODE_BRIDGED && c->mtu &&
	    c->mtu != VMNET_DEFAULT_MTU)
		xpc_dictionary_set_uint64(d, vmnet_mtu_key, c->mtu);
	return d;
fail:
	xpc_release(d);
	return NULL;
}

/**
 * vmnet_batch_size() - packets per vmnet_read() or vmnet_write() call
 * @reported:	what vmnet said (0 when it says nothing, before macOS 15)
 * @max_pkt:	largest packet
 *
 * Return: 1..VMNET_BATCH_CAP
 */
static unsigned int vmnet_batch_size(uint64_t reported, size_t max_pkt)
{
	uint64_t n = reported;

	if (!n) {
		n = VMNET_OLD_MAX_BYTES / max_pkt;
		if (n > VMNET_OLD_MAX_PKTS)
			n = VMNET_OLD_MAX_PKTS;
	}
	if (n < 1)
		n = 1;
	if (n > VMNET_BATCH_CAP)
		n = VMNET_BATCH_CAP;
	return (unsigned int)n;
}

/**
 * vmnet_set_nonblock() - make a descriptor non-blocking and close-on-exec
 * @fd:		the descriptor
 *
 * Return: 0 on success, -1 with errno set
 */
static int vmnet_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

/**
 * vmnet_open_bell() - make the descriptor the loop watches and its peer
 *
 * A stream socketpair, both ends non-blocking and close-on-exec, with small
 * buffers: vm.loop_fd is readable when the callback rang vm.bell_fd, and
 * writable unless vmnet_stall() filled its outgoing direction.
 *
 * Return: 0 on success, -1 with errno set (nothing left open)
 */
static int vmnet_open_bell(void)
{
	int fds[2], sz = VMNET_SOCKBUF;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) < 0)
		return -1;
	if (vmnet_set_nonblock(fds[0]) < 0 || vmnet_set_nonblock(fds[1]) < 0) {
		int saved = errno;

		close(fds[0]);
		close(fds[1]);
		errno = saved;
		return -1;
	}
	/* Only to make stalling cheap: the defaults work too. */
	(void)setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(fds[1], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	vm.loop_fd = fds[0];
	vm.bell_fd = fds[1];
	return 0;
}

/**
 * vmnet_notify() - make the loop's descriptor readable (any thread)
 * @fd:		the bell (vm.bell_fd, captured by the callback)
 *
 * A full socket (EAGAIN) is already readable, which is all that matters.
 */
static void vmnet_notify(int fd)
{
	static const char one = 1;
	int saved = errno;
	ssize_t r = write(fd, &one, 1);

	(void)r;
	errno = saved;
}

/**
 * vmnet_drain() - take the rings of the bell off the loop's descriptor
 */
static void vmnet_drain(void)
{
	char buf[256];

	while (read(vm.loop_fd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		;
}

/**
 * vmnet_stall() - make the loop's descriptor not writable
 *
 * Fills its outgoing direction (nobody reads it until vmnet_unstall()),
 * so a caller waiting for LOOP_OUT sleeps through the back-off.
 */
static void vmnet_stall(void)
{
	static const char fill[VMNET_FILL_CHUNK];
	unsigned int i;

	for (i = 0; i < VMNET_FILL_MAX; i++)
		if (write(vm.loop_fd, fill, sizeof(fill)) < 0)
			break;
}

/**
 * vmnet_unstall() - timer at the end of a back-off: writable again
 * @t:		vm.retry
 *
 * Empties what vmnet_stall() wrote; the loop then reports the descriptor
 * writable (LOOP_OUT) to a caller waiting to write.
 */
static void vmnet_unstall(struct loop_timer *t)
{
	char buf[VMNET_FILL_CHUNK];

	(void)t;
	while (read(vm.bell_fd, buf, sizeof(buf)) > 0)
		;
}

/**
 * vmnet_backoff() - vmnet is full: leave it alone for a while
 *
 * 1 ms after the first refusal, twice as long after each further one in a
 * row, VMNET_BACKOFF_MAX at most; a write vmnet takes starts over.
 */
static void vmnet_backoff(void)
{
	vm.backoff_ms = vm.backoff_ms ? vm.backoff_ms * 2u
				      : (unsigned int)VMNET_BACKOFF_MIN;
	if (vm.backoff_ms > VMNET_BACKOFF_MAX)
		vm.backoff_ms = VMNET_BACKOFF_MAX;
	vm.st.tx_full++;
	vmnet_stall();
	vm.retry.fn = vmnet_unstall;
	loop_timer_arm(&vm.retry, vm.backoff_ms);
}

/**
 * vmnet_log_started() - log what vmnet made of the request
 * @r:		what the completion handler recorded
 */
static void vmnet_log_started(const struct vmnet_started *r)
{
	char id[37];

	log_info("vmnet: interface started: MTU %llu, max packet size %llu, "
		 "MAC %s",
		 (unsigned long long)r->mtu,
		 (unsigned long long)r->max_packet_size,
		 r->mac[0] ? r->mac : "(none)");
	if (r->start[0])
		log_info("vmnet: host address %s, DHCP range up to %s, netmask "
			 "%s",
			 r->start, r->end[0] ? r->end : "?",
			 r->mask[0] ? r->mask : "?");
	if (r->nat66[0])
		log_info("vmnet: NAT66 prefix %s", r->nat66);
	if (r->have_id)
		log_info("vmnet: interface id %s", vmnet_uuid_str(r->id, id));
	log_info("vmnet: up to %u packets per read, %u per write%s", vm.rmax,
		 vm.wmax,
		 r->read_max ? ""
			     : " (this macOS does not say: using the "
			       "documented limits)");
}

/**
 * vmnet_uplink_caps() - tell what this backend implements
 * @caps:	filled in: every mode, and the vmnet.framework identifiers
 *
 * Isolated mode needs no host side (the daemon never calls uplink_open()
 * for it); host, shared and bridged are vmnet's three modes.
 */
static void vmnet_uplink_caps(struct uplink_caps *caps)
{
	caps->modes =
	    NET_MODE_BIT(NET_MODE_SHARED) | NET_MODE_BIT(NET_MODE_HOST) |
	    NET_MODE_BIT(NET_MODE_BRIDGED) | NET_MODE_BIT(NET_MODE_ISOLATED);
	caps->vmnet_ids = true;
	caps->host_dhcp = true;
	caps->no_user = true;
	caps->forwards = false;
	caps->own_ipv6 = true;
}

/**
 * vmnet_check_conf() - refuse what vmnet cannot do before asking it
 * @c:		what the daemon asks for
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, -1 with @err set
 */
static int vmnet_check_conf(const struct uplink_conf *c, char *err,
			    size_t errlen)
{
	switch (c->mode) {
	case NET_MODE_HOST:
	case NET_MODE_SHARED:
		return 0;
	case NET_MODE_BRIDGED:
		if (!c->interface || !c->interface[0]) {
			err_set(err, errlen,
				"--vmnet-mode=bridged requires "
				"--vmnet-interface=IF (e.g. en0)");
			return -1;
		}
		/* vmnet documents the MTU key as an error in bridged mode */
		if (c->mtu && c->mtu != VMNET_DEFAULT_MTU) {
			err_set(err, errlen,
				"--mtu=%u cannot be used with "
				"--vmnet-mode=bridged: vmnet gives the VMs the "
				"MTU of %s (leave --mtu out)",
				c->mtu, c->interface);
			return -1;
		}
		return 0;
	default:
		err_set(err, errlen, "--vmnet-mode=%s has no host side",
			net_mode_name(c->mode));
		return -1;
	}
}

/**
 * vmnet_wait() - wait for a completion handler, drop our reference
 * @sem:	signalled by the handler, which holds a reference of its own
 *		and releases it after signalling
 * @secs:	how long to wait
 *
 * Whatever happens, the semaphore is freed once both references are gone:
 * never under a handler that comes late, never leaked.
 *
 * Return: 0 once signalled, -1 on timeout
 */
static int vmnet_wait(dispatch_semaphore_t sem, int secs)
{
	intptr_t r = dispatch_semaphore_wait(
	    sem, dispatch_time(DISPATCH_TIME_NOW, (int64_t)secs * 1000000000));

	dispatch_release(sem);
	return r ? -1 : 0;
}

/**
 * vmnet_start() - start the interface and wait for vmnet's answer
 * @desc:	what to ask for
 * @mode:	the mode asked for (for the hints)
 * @on_network:	start it on vmnet_net.c's network (macOS 26), not with
 *		vmnet_start_interface()
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 with vm.iface set and vmnet_res filled, -1 with @err set
 * (vm.iface is then set only if the interface may still need stopping)
 */
static int vmnet_start(xpc_object_t desc, enum net_mode mode, bool on_network,
		       char *err, size_t errlen)
{
	dispatch_semaphore_t sem = dispatch_semaphore_create(0);
	const char *call = on_network ? "vmnet_interface_start_with_network"
				      : "vmnet_start_interface";
	vmnet_start_interface_completion_handler_t done;

	if (!sem) {
		err_set(err, errlen, "cannot create a dispatch semaphore");
		return -1;
	}
	memset(&vmnet_res, 0, sizeof(vmnet_res));
	dispatch_retain(sem); /* the handler's reference */
	done = ^(vmnet_return_t status, xpc_object_t param) {
	  vmnet_record_start(status, param);
	  dispatch_semaphore_signal(sem);
	  dispatch_release(sem);
	};
	vm.iface = on_network ? vmnet_net_start(desc, vm.queue, done)
			      : vmnet_start_interface(desc, vm.queue, done);
	if (!vm.iface) {
		/* The handler is not called when no interface comes back. */
		dispatch_release(sem);
		dispatch_release(sem);
		err_set(err, errlen, "%s refused the request%s", call,
			vmnet_start_hint(geteuid() ? VMNET_STATUS_NOT_AUTHORIZED
						   : VMNET_INVALID_ARGUMENT,
					 mode));
		return -1;
	}
	if (vmnet_wait(sem, VMNET_START_TIMEOUT) < 0) {
		err_set(err, errlen,
			"vmnet did not start the interface within %d s",
			VMNET_START_TIMEOUT);
		return -1;
	}
	if (vmnet_res.status != VMNET_SUCCESS) {
		vm.no_access =
		    geteuid() != 0 &&
		    (vmnet_res.status == VMNET_FAILURE ||
		     vmnet_res.status == VMNET_INVALID_ACCESS ||
		     vmnet_res.status == VMNET_STATUS_NOT_AUTHORIZED);
		err_set(err, errlen, "%s: %s (status %d)%s", call,
			vmnet_status_str(vmnet_res.status),
			(int)vmnet_res.status,
			vmnet_start_hint(vmnet_res.status, mode));
		vm.iface = NULL; /* no interface to stop */
		return -1;
	}
	return 0;
}

/**
 * vmnet_setup_batches() - size and allocate the read and write batches
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, -1 with @err set
 */
static int vmnet_setup_batches(char *err, size_t errlen)
{
	unsigned int i;

	vm.max_pkt = vmnet_res.max_packet_size;
	if (!vm.max_pkt)
		vm.max_pkt =
		    (vmnet_res.mtu ? vmnet_res.mtu : 1500) + VMNET_ETH_HLEN;
	if (vm.max_pkt < VMNET_ETH_HLEN || vm.max_pkt > (1u << 20)) {
		err_set(err, errlen, "vmnet reports a max packet size of %zu",
			vm.max_pkt);
		return -1;
	}
	vm.rmax = vmnet_batch_size(vmnet_res.read_max, vm.max_pkt);
	vm.wmax = vmnet_batch_size(vmnet_res.write_max, vm.max_pkt);
	vm.rbuf = malloc((size_t)vm.rmax * vm.max_pkt);
	vm.rpk = calloc(vm.rmax, sizeof(*vm.rpk));
	vm.riov = calloc(vm.rmax, sizeof(*vm.riov));
	vm.wpk = calloc(vm.wmax, sizeof(*vm.wpk));
	vm.wiov = calloc(vm.wmax, sizeof(*vm.wiov));
	if (!vm.rbuf || !vm.rpk || !vm.riov || !vm.wpk || !vm.wiov) {
		err_set(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < vm.rmax; i++) {
		vm.riov[i].iov_base = vm.rbuf + (size_t)i * vm.max_pkt;
		vm.rpk[i].vm_pkt_iov = &vm.riov[i];
	}
	vm.rcount = vm.rnext = 0;
	return 0;
}

/**
 * vmnet_fill_info() - tell the daemon what vmnet made of the request
 * @c:		what was asked for
 * @info:	filled in from vmnet_res
 */
static void vmnet_fill_info(const struct uplink_conf *c,
			    struct uplink_info *info)
{
	memset(info, 0, sizeof(*info));
	if (sscanf(vmnet_res.mac, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx",
		   &info->mac[0], &info->mac[1], &info->mac[2], &info->mac[3],
		   &info->mac[4], &info->mac[5]) != 6)
		log_warnx("vmnet: no usable MAC address in its answer (\"%s\")",
			  vmnet_res.mac);
	info->mtu = (unsigned int)(vmnet_res.mtu ? vmnet_res.mtu
						 : vm.max_pkt - VMNET_ETH_HLEN);
	info->max_frame = (unsigned int)vm.max_pkt;
	if (c->mode == NET_MODE_BRIDGED)
		snprintf(info->ifname, sizeof(info->ifname), "vmnet bridged %s",
			 c->interface);
	else
		snprintf(info->ifname, sizeof(info->ifname), "vmnet %s",
			 net_mode_name(c->mode));
	vmnet_log_started(&vmnet_res);
	if (c->mode == NET_MODE_BRIDGED && info->mtu != VMNET_DEFAULT_MTU)
		log_info("vmnet: MTU %u, the MTU of %s", info->mtu,
			 c->interface);
	else if (c->mode != NET_MODE_BRIDGED && c->mtu && info->mtu != c->mtu)
		log_warnx("vmnet: asked for MTU %u, got %u", c->mtu, info->mtu);
}

/**
 * vmnet_start_on_network() - start the interface on a macOS 26 network
 * @c:		what the daemon asks for (fit: vmnet_net_unfit() is NULL)
 * @err:	message buffer
 * @errlen:	its size
 *
 * The interface's own keys are only its identity (--vmnet-interface-id);
 * the rest is the network's (vmnet_net.c).
 *
 * Return: 0, -1 with @err set (vm.iface set if it may need stopping)
 */
static int vmnet_start_on_network(const struct uplink_conf *c, char *err,
				  size_t errlen)
{
	const char *call;
	vmnet_return_t st = vmnet_net_create(c, &call);
	unsigned char uuid[16];
	xpc_object_t desc;
	int r;

	if (st != VMNET_SUCCESS) {
		err_set(err, errlen, "%s: %s (status %d)%s", call,
			vmnet_status_str(st), (int)st,
			vmnet_start_hint(st, c->mode));
		return -1;
	}
	desc = xpc_dictionary_create(NULL, NULL, 0);
	if (!desc) {
		err_set(err, errlen, "out of memory");
		return -1;
	}
	if (c->interface_id && !vmnet_parse_uuid(c->interface_id, uuid))
		xpc_dictionary_set_uuid(desc, vmnet_interface_id_key, uuid);
	r = vmnet_start(desc, c->mode, true, err, errlen);
	xpc_release(desc);
	return r;
}

/**
 * vmnet_start_any() - start the interface the best way this macOS has
 * @c:		what the daemon asks for
 * @err:	message buffer
 * @errlen:	its size
 *
 * On a vmnet network (macOS 26) when the flags fit one (vmnet_net.c);
 * if that fails before an interface exists, or does not fit, with
 * vmnet_start_interface(). When the daemon's DHCP server runs and vmnet's
 * cannot be turned off that way, a warning says that both will answer.
 *
 * Return: 0, -1 with @err set
 */
static int vmnet_start_any(const struct uplink_conf *c, char *err,
			   size_t errlen)
{
	const char *why = vmnet_net_unfit(c);
	xpc_object_t desc;
	int r;

	if (!why) {
		if (!vmnet_start_on_network(c, err, errlen))
			return 0;
		if (vm.iface)
			return -1; /* no answer: it may still start */
		vmnet_net_release();
		log_warnx("vmnet: %s; starting the interface without a network "
			  "configuration",
			  err);
		why = "the network configuration failed";
	}
	if (c->own_dhcp && c->mode != NET_MODE_BRIDGED &&
	    !c->network_identifier)
		log_warnx("--vmnet-disable-dhcp: vmnet's own DHCP server stays "
			  "on, so both it and the daemon's may answer the VMs: "
			  "%s",
			  why);
	desc = vmnet_describe(c, err, errlen);
	if (!desc)
		return -1;
	r = vmnet_start(desc, c->mode, false, err, errlen);
	xpc_release(desc);
	return r;
}

/**
 * vmnet_uplink_open() - start the vmnet interface
 * @c:		mode, addresses, interface, identifiers, MTU
 * @info:	filled with vmnet's MAC, MTU, largest packet and a name
 * @err:	where to write a one-line message on failure
 * @errlen:	size of @err
 *
 * Return: a non-blocking descriptor that becomes readable when frames
 * wait (and, after uplink_write() failed with EAGAIN, writable when it is
 * worth trying again), -1 with @err set on failure (everything undone)
 */
static int vmnet_uplink_open(const struct uplink_conf *c,
			     struct uplink_info *info, char *err, size_t errlen)
{
	int wfd;

	if (vm.loop_fd >= 0) {
		err_set(err, errlen, "the uplink is already open");
		return -1;
	}
	if (vmnet_check_conf(c, err, errlen) < 0)
		return -1;
	vm.mode = c->mode;
	vm.no_access = false;
	vm.pid = getpid();
	vm.fork_warned = false;
	vm.backoff_ms = 0;
	memset(&vm.st, 0, sizeof(vm.st));
	if (vmnet_open_bell() < 0) {
		err_sys(err, errlen, "socketpair");
		return -1;
	}
	vm.queue = dispatch_queue_create("io.github.socket-vmnet.vmnet", NULL);
	if (!vm.queue) {
		err_set(err, errlen, "cannot create a dispatch queue");
		goto fail;
	}
	if (vmnet_start_any(c, err, errlen) < 0 ||
	    vmnet_setup_batches(err, errlen) < 0)
		goto fail;

	/* The callback captures the descriptor's value, nothing else. */
	wfd = vm.bell_fd;
	if (vmnet_interface_set_event_callback(
		vm.iface, VMNET_INTERFACE_PACKETS_AVAILABLE, vm.queue,
		^(interface_event_t event, xpc_object_t ev) {
		  (void)event;
		  (void)ev;
		  vmnet_notify(wfd);
		}) != VMNET_SUCCESS) {
		err_set(err, errlen,
			"vmnet: cannot watch the interface for packets");
		goto fail;
	}
	vmnet_fill_info(c, info);
	/* Packets that came before the callback was set raise no event. */
	vmnet_notify(vm.bell_fd);
	return vm.loop_fd;
fail:
	vmnet_uplink_close();
	errno = vm.no_access ? EPERM : EIO;
	return -1;
}

/**
 * vmnet_forked() - check that this process is the one that started vmnet
 *
 * Return: true (with errno EIO and a log line once) in a forked process
 */
static bool vmnet_forked(void)
{
	if (vm.pid == getpid())
		return false;
	if (!vm.fork_warned) {
		log_errx(
		    "vmnet: the interface was started by process %ld and "
		    "cannot be used from process %ld (vmnet and GCD do not "
		    "survive fork; see docs/MACOS.md about --user)",
		    (long)vm.pid, (long)getpid());
		vm.fork_warned = true;
	}
	errno = EIO;
	return true;
}

/**
 * vmnet_refill() - read the next batch from vmnet
 *
 * Return: packets read (> 0), or -1 with errno EAGAIN (none waiting) or EIO
 */
static int vmnet_refill(void)
{
	vmnet_return_t r;
	unsigned int i;
	int n;

	vm.rcount = vm.rnext = 0;
	vmnet_drain();
	if (vmnet_forked())
		return -1;
	for (i = 0; i < vm.rmax; i++) {
		vm.riov[i].iov_len = vm.max_pkt;
		vm.rpk[i].vm_pkt_size = vm.max_pkt;
		vm.rpk[i].vm_pkt_iovcnt = 1;
		vm.rpk[i].vm_flags = 0;
	}
	n = (int)vm.rmax;
	r = vmnet_read(vm.iface, vm.rpk, &n);
	if (r != VMNET_SUCCESS) {
		vm.st.rx_errors++;
		if (log_limit_ok(&vm.lim, loop_now()))
			log_warnx("vmnet_read: %s (status %d)",
				  vmnet_status_str(r), (int)r);
		errno = EAGAIN;
		return -1;
	}
	if (n <= 0) {
		errno = EAGAIN;
		return -1;
	}
	if ((unsigned int)n > vm.rmax)
		n = (int)vm.rmax;
	vm.rcount = (unsigned int)n;
	vm.st.rx_batches++;
	/* Come back for the rest even if the caller stops early. */
	vmnet_notify(vm.bell_fd);
	return n;
}

/**
 * vmnet_uplink_read() - take one frame the host sends to the VM network
 * @buf:	where the frame goes
 * @len:	size of @buf, at least uplink_info.max_frame
 *
 * Return: the frame's length, -1 with errno EAGAIN when none waits (EIO in
 * a forked process)
 */
static ssize_t vmnet_uplink_read(void *buf, size_t len)
{
	for (;;) {
		struct vmpktdesc *p;
		size_t n;

		if (vm.rnext == vm.rcount && vmnet_refill() < 0)
			return -1;
		p = &vm.rpk[vm.rnext++];
		n = p->vm_pkt_size;
		if (n > vm.max_pkt || n > len) {
			vm.st.rx_truncated++;
			continue;
		}
		memcpy(buf, p->vm_pkt_iov[0].iov_base, n);
		vm.st.rx_frames++;
		return (ssize_t)n;
	}
}

/**
 * vmnet_drop() - count a frame given up on
 * @r:		why: VMNET_PACKET_TOO_BIG or any other failure but no room
 *
 * Return: the errno that says it: EMSGSIZE (too big) or EIO
 */
static int vmnet_drop(vmnet_return_t r)
{
	if (r == VMNET_PACKET_TOO_BIG)
		vm.st.tx_too_big++;
	else
		vm.st.tx_errors++;
	if (log_limit_ok(&vm.lim, loop_now()))
		log_warnx("vmnet_write: %s (status %d): frame dropped",
			  vmnet_status_str(r), (int)r);
	return r == VMNET_PACKET_TOO_BIG ? EMSGSIZE : EIO;
}

/**
 * vmnet_frame_ok() - tell whether vmnet can take a frame of this size
 * @len:	the frame's length
 *
 * Return: true from an Ethernet header up to vmnet's largest packet
 */
static bool vmnet_frame_ok(size_t len)
{
	return len >= VMNET_ETH_HLEN && len <= vm.max_pkt;
}

/**
 * vmnet_prepare() - describe frames to vmnet_write() in vm.wpk
 * @frames:	the frames, one Ethernet frame per iovec
 * @n:		how many to take at most
 *
 * Stops before the first frame vmnet cannot take: that one goes alone.
 *
 * Return: packets prepared (0 if the first frame cannot be taken)
 */
static unsigned int vmnet_prepare(const struct iovec *frames, unsigned int n)
{
	unsigned int k;

	for (k = 0; k < n && k < vm.wmax && vmnet_frame_ok(frames[k].iov_len);
	     k++) {
		vm.wiov[k] = frames[k];
		vm.wpk[k].vm_pkt_iov = &vm.wiov[k];
		vm.wpk[k].vm_pkt_iovcnt = 1;
		vm.wpk[k].vm_pkt_size = frames[k].iov_len;
		vm.wpk[k].vm_flags = 0;
	}
	return k;
}

/**
 * vmnet_call_write() - one vmnet_write() of the prepared packets
 * @k:		how many (1..vm.wmax)
 * @written:	set to how many vmnet took, on success
 *
 * vmnet_write() writes every packet it is given or fails having written
 * none. A success that took nothing is taken as no room.
 *
 * Return: VMNET_SUCCESS with *@written in 1..@k, or why nothing went
 */
static vmnet_return_t vmnet_call_write(unsigned int k, unsigned int *written)
{
	int cnt = (int)k;
	vmnet_return_t r = vmnet_write(vm.iface, vm.wpk, &cnt);

	vm.st.tx_calls++;
	if (r != VMNET_SUCCESS)
		return r;
	if (cnt <= 0)
		return VMNET_BUFFER_EXHAUSTED;
	*written = (unsigned int)cnt < k ? (unsigned int)cnt : k;
	return VMNET_SUCCESS;
}

/**
 * vmnet_send() - write frames in order, keep them while vmnet is full
 * @frames:	the frames, one Ethernet frame per iovec
 * @n:		how many
 * @dropped:	incremented per frame dropped
 * @why:	set to the errno of a drop (EMSGSIZE or EIO)
 *
 * A batch vmnet refuses for another reason than room is written again one
 * frame per call, so that only the frame at fault is dropped.
 *
 * Return: frames taken (written or dropped), counted from the first; fewer
 * than @n, with errno EAGAIN, when vmnet is full or backing off: the rest
 * were not written and stay the caller's, to offer again in the same order
 * once the descriptor is writable
 */
static unsigned int vmnet_send(const struct iovec *frames, unsigned int n,
			       unsigned int *dropped, int *why)
{
	unsigned int i = 0, solo = 0;

	while (i < n) {
		unsigned int k, w = 0;
		vmnet_return_t r;

		if (vm.retry.deadline_ms) { /* leave vmnet alone for now */
			errno = EAGAIN;
			return i;
		}
		k = vmnet_prepare(frames + i, solo ? 1 : n - i);
		r = k ? vmnet_call_write(k, &w) : VMNET_PACKET_TOO_BIG;
		if (r == VMNET_SUCCESS) {
			vm.st.tx_frames += w;
			vm.backoff_ms = 0;
			i += w;
		} else if (r == VMNET_BUFFER_EXHAUSTED) {
			vmnet_backoff();
			continue;
		} else if (k > 1) {
			/* Nothing went: fewer per call, or one by one. */
			if (r == VMNET_TOO_MANY_PACKETS)
				vm.wmax = k / 2;
			else
				solo = k;
			continue;
		} else {
			*why = vmnet_drop(r);
			(*dropped)++;
			i++;
		}
		if (solo)
			solo--;
	}
	return n;
}

/**
 * uplink_write_batch() - hand the host several frames from the VM network
 * @frames:	the frames, one Ethernet frame per iovec
 * @n:		how many
 * @dropped:	incremented by the number of frames dropped
 *
 * Return: frames taken from the start of @frames (written, or dropped and
 * counted in @dropped); fewer than @n with errno EAGAIN when vmnet is full:
 * keep the others, and offer them again when uplink_open()'s descriptor is
 * writable
 */
unsigned int uplink_write_batch(const struct iovec *frames, unsigned int n,
				unsigned int *dropped)
{
	int why = EIO;

	if (vmnet_forked()) {
		*dropped += n;
		return n;
	}
	return vmnet_send(frames, n, dropped, &why);
}

/**
 * vmnet_uplink_write() - hand the host one frame from the VM network
 * @frame:	the Ethernet frame
 * @len:	its length
 *
 * Return: @len on success; -1 with errno EAGAIN when vmnet is full (keep
 * the frame, wait for the descriptor to be writable: a short back-off), or
 * -1 when the frame was dropped (errno EMSGSIZE if it is too big, EIO
 * otherwise)
 */
static ssize_t vmnet_uplink_write(const void *frame, size_t len)
{
	struct iovec iov = {.iov_base = (void *)frame, .iov_len = len};
	unsigned int dropped = 0;
	int why = EIO;

	if (vmnet_forked())
		return -1;
	if (!vmnet_send(&iov, 1, &dropped, &why))
		return -1;
	if (dropped) {
		errno = why;
		return -1;
	}
	return (ssize_t)len;
}

/**
 * vmnet_stop() - stop the interface and wait for vmnet to confirm
 *
 * The semaphore is released on every path, failures included (see
 * vmnet_wait()); vmnet calls no handler when the stop fails at once.
 *
 * Return: true if vmnet confirmed the stop
 */
static bool vmnet_stop(void)
{
	__block vmnet_return_t st = VMNET_FAILURE;
	dispatch_semaphore_t sem = dispatch_semaphore_create(0);
	vmnet_return_t r;

	vmnet_interface_set_event_callback(
	    vm.iface, VMNET_INTERFACE_PACKETS_AVAILABLE, NULL, NULL);
	if (!sem) {
		log_warnx("vmnet: cannot create a dispatch semaphore: the "
			  "interface is left to the system");
		return false;
	}
	dispatch_retain(sem); /* the handler's reference */
	r = vmnet_stop_interface(vm.iface, vm.queue, ^(vmnet_return_t status) {
	  st = status;
	  dispatch_semaphore_signal(sem);
	  dispatch_release(sem);
	});
	if (r != VMNET_SUCCESS) {
		dispatch_release(sem); /* no handler will run */
		dispatch_release(sem);
		log_warnx("vmnet_stop_interface: %s (status %d)",
			  vmnet_status_str(r), (int)r);
	} else if (vmnet_wait(sem, VMNET_STOP_TIMEOUT) < 0) {
		log_warnx("vmnet: the interface did not stop within %d s",
			  VMNET_STOP_TIMEOUT);
	} else if (st != VMNET_SUCCESS) {
		log_warnx("vmnet: stopping the interface: %s (status %d)",
			  vmnet_status_str(st), (int)st);
	} else {
		return true;
	}
	return false;
}

/**
 * vmnet_uplink_close() - stop the vmnet interface and release everything
 *
 * Safe after a failed uplink_open() and when called twice. In a forked
 * process, which cannot use GCD, only descriptors and memory are released.
 */
static void vmnet_uplink_close(void)
{
	bool owner = vm.pid == getpid();

	bool stopped = !vm.iface;

	loop_timer_cancel(&vm.retry);
	vm.backoff_ms = 0;
	if (vm.iface && owner) {
		stopped = vmnet_stop();

		log_info("vmnet: interface %s; rx %llu frames in %llu "
			 "reads (%llu errors, %llu oversized), tx %llu frames "
			 "in %llu writes (vmnet full %llu times), dropped %llu "
			 "(too big), %llu (errors)",
			 stopped ? "stopped" : "closed, not stopped",
			 vm.st.rx_frames, vm.st.rx_batches, vm.st.rx_errors,
			 vm.st.rx_truncated, vm.st.tx_frames, vm.st.tx_calls,
			 vm.st.tx_full, vm.st.tx_too_big, vm.st.tx_errors);
	}
	vm.iface = NULL;
	/* The network outlives its interface; one still running keeps it. */
	if (owner && stopped)
		vmnet_net_release();
	if (vm.queue && owner) {
		/* Let a callback or handler already running finish before
		 * the bell closes. */
		dispatch_sync(vm.queue, ^(void){
			      });
		dispatch_release(vm.queue);
	}
	vm.queue = NULL;
	if (vm.loop_fd >= 0)
		close(vm.loop_fd);
	if (vm.bell_fd >= 0)
		close(vm.bell_fd);
	vm.loop_fd = vm.bell_fd = -1;
	free(vm.rbuf);
	free(vm.rpk);
	free(vm.riov);
	free(vm.wpk);
	free(vm.wiov);
	vm.rbuf = NULL;
	vm.rpk = NULL;
	vm.riov = NULL;
	vm.wpk = NULL;
	vm.wiov = NULL;
	vm.rcount = vm.rnext = 0;
}

const struct uplink_ops uplink_platform = {
    .name = "vmnet",
    .caps = vmnet_uplink_caps,
    .open = vmnet_uplink_open,
    .read = vmnet_uplink_read,
    .write = vmnet_uplink_write,
    .close = vmnet_uplink_close,
};
