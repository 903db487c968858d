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
 * non-blocking pipe, and touches nothing else. The pipe's read end is the
 * descriptor uplink_open() returns, so the event loop wakes up like for any
 * socket, and host.c calls uplink_read() until it fails with EAGAIN.
 * vmnet_read() and vmnet_write() are only ever called from the loop's
 * thread.
 *
 * uplink_read() hands out one frame per call from a batch buffered here.
 * When the batch is used up it refills it: first it drains the pipe, then
 * it calls vmnet_read() once for up to read_max packets (vmnet's
 * vmnet_read_max_packets_key on macOS 15 and later; before that 200, or
 * fewer so that a batch stays within 256 KiB, the limits Apple documented
 * for one call). Draining *before* reading means that a callback racing
 * with the read leaves a byte behind, so no wake-up is lost. When the read
 * brings packets, one byte is written back to the pipe so that the loop
 * comes back for the rest of the batch even if host.c stops early (it
 * reads at most 64 frames per wake-up); when it brings none, uplink_read()
 * fails with EAGAIN and the pipe stays empty until vmnet calls back.
 *
 * uplink_write() and uplink_write_batch() hand frames to vmnet_write(), up
 * to write_max per call. vmnet gives no "writable again" signal, so the
 * backend never asks host.c to wait: VMNET_BUFFER_EXHAUSTED or a partial
 * write is retried a bounded number of times, then the frames are dropped
 * and counted; other errors drop (and count) the frame that caused them.
 * Neither is ever fatal. The counters are logged when the uplink closes.
 *
 * Identifiers that only newer macOS versions know (network identifier and
 * host address keys: macOS 11; packets per call: macOS 15) are looked up
 * at run time with dlsym(), so one binary builds and runs on every version
 * from 10.15 and simply does without what the system lacks.
 *
 * The interface belongs to the process that started it: GCD and vmnet do
 * not survive fork(). A forked process that calls uplink_read() gets an
 * error and a log line rather than a crash (see docs/MACOS.md about
 * --user).
 *
 * On Linux this file is compiled only by test/vmnet-check.sh, against a
 * test double of the documented vmnet API (test/vmnet-double/); that checks
 * our use of the documented contract, not Apple's implementation.
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
#include <sys/uio.h>

#include <dispatch/dispatch.h>
#include <vmnet/vmnet.h>
#include <xpc/xpc.h>

#include "err.h"
#include "log.h"
#include "loop.h"
#include "uplink.h"

/* Until it moves to uplink.h (see docs/MACOS.md). */
unsigned int uplink_write_batch(const struct iovec *frames, unsigned int n,
				unsigned int *dropped);

#define VMNET_ETH_HLEN	    14u
#define VMNET_OLD_MAX_PKTS  200u	 /* per call, before macOS 15 */
#define VMNET_OLD_MAX_BYTES (256u << 10) /* per call, before macOS 15 */
#define VMNET_BATCH_CAP	    256u	 /* our own cap on a batch */
#define VMNET_WRITE_TRIES   3		 /* calls for one batch, at most */
#define VMNET_START_TIMEOUT 30		 /* seconds for the completion */
#define VMNET_STOP_TIMEOUT  10		 /* seconds for the stop */
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
	unsigned long long tx_retries;
	unsigned long long tx_exhausted; /* dropped: vmnet had no room */
	unsigned long long tx_too_big;	 /* dropped: larger than vmnet takes */
	unsigned long long tx_errors;	 /* dropped: any other failure */
};

/* The one uplink of this process. */
static struct {
	interface_ref iface;
	dispatch_queue_t queue; /* vmnet's callbacks run there */
	int pipe_rd;		/* returned to the loop, -1 when closed */
	int pipe_wr;		/* written by the packets-available callback */
	pid_t pid;		/* the process that started vmnet */
	bool fork_warned;
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
	struct vmnet_stats st;
	struct log_limit lim;
} vm = {.pipe_rd = -1, .pipe_wr = -1};

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
		return geteuid() ? " (vmnet needs root, or the "
				   "com.apple.vm.networking entitlement: start "
				   "socket_vmnet with sudo or launchd)"
				 : " (check the flags; is another program "
				   "holding the same network?)";
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
	char a[INET_ADDRSTRLEN];
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
		const char *k =
		    vmnet_optional_key("vmnet_network_identifier_key");
		const char *kip =
		    vmnet_optional_key("vmnet_host_ip_address_key");
		const char *kmask =
		    vmnet_optional_key("vmnet_host_subnet_mask_key");

		if (!k) {
			err_set(err, errlen,
				"--vmnet-network-identifier needs macOS 11 "
				"or later");
			xpc_release(d);
			return NULL;
		}
		if (!strcmp(c->network_identifier, "random"))
			vmnet_random_uuid(uuid);
		else if (vmnet_parse_uuid(c->network_identifier, uuid) < 0)
			goto bad_uuid;
		xpc_dictionary_set_uuid(d, k, uuid);
		/* Such a network has no DHCP: the host just gets an address */
		if (c->gateway.s_addr && kip && kmask) {
			inet_ntop(AF_INET, &c->gateway, a, sizeof(a));
			xpc_dictionary_set_string(d, kip, a);
			inet_ntop(AF_INET, &c->mask, a, sizeof(a));
			xpc_dictionary_set_string(d, kmask, a);
		}
	} else if (c->mode != NET_MODE_BRIDGED && c->gateway.s_addr) {
		struct in_addr end = c->dhcp_end;

		if (!end.s_addr) /* the last address but the broadcast */
			end.s_addr = htonl(
			    ntohl(c->gateway.s_addr | ~c->mask.s_addr) - 1);
		/* vmnet's "start address" is the host's (the gateway); its
		 * DHCP pool runs from the next address to the end address. */
		inet_ntop(AF_INET, &c->gateway, a, sizeof(a));
		xpc_dictionary_set_string(d, vmnet_start_address_key, a);
		inet_ntop(AF_INET, &end, a, sizeof(a));
		xpc_dictionary_set_string(d, vmnet_end_address_key, a);
		inet_ntop(AF_INET, &c->mask, a, sizeof(a));
		xpc_dictionary_set_string(d, vmnet_subnet_mask_key, a);
	}
	if (c->interface_id) {
		if (vmnet_parse_uuid(c->interface_id, uuid) < 0)
			goto bad_uuid;
		xpc_dictionary_set_uuid(d, vmnet_interface_id_key, uuid);
	}
	if (c->mode == NET_MODE_SHARED && c->nat66_prefix)
		xpc_dictionary_set_string(d, vmnet_nat66_prefix_key,
					  c->nat66_prefix);
	if (c->mtu && c->mtu != 1500)
		xpc_dictionary_set_uint64(d, vmnet_mtu_key, c->mtu);
	return d;
bad_uuid:
	err_set(err, errlen, "bad UUID");
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
 * vmnet_notify() - mark the pipe readable (any thread)
 * @fd:		the pipe's write end
 *
 * A full pipe (EAGAIN) is already readable, which is all that matters.
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
 * vmnet_drain() - empty the notification pipe
 */
static void vmnet_drain(void)
{
	char buf[256];

	while (read(vm.pipe_rd, buf, sizeof(buf)) == (ssize_t)sizeof(buf))
		;
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
 * uplink_caps() - tell what this backend implements
 * @caps:	filled in: every mode, and the vmnet.framework identifiers
 *
 * Isolated mode needs no host side (the daemon never calls uplink_open()
 * for it); host, shared and bridged are vmnet's three modes.
 */
void uplink_caps(struct uplink_caps *caps)
{
	caps->modes =
	    NET_MODE_BIT(NET_MODE_SHARED) | NET_MODE_BIT(NET_MODE_HOST) |
	    NET_MODE_BIT(NET_MODE_BRIDGED) | NET_MODE_BIT(NET_MODE_ISOLATED);
	caps->vmnet_ids = true;
	caps->host_dhcp = true;
	caps->no_user = true;
}

/**
 * uplink_open() - start the vmnet interface
 * @c:		mode, addresses, interface, identifiers, MTU
 * @info:	filled with vmnet's MAC, MTU, largest packet and a name
 * @err:	where to write a one-line message on failure
 * @errlen:	size of @err
 *
 * Return: a non-blocking descriptor that becomes readable when frames
 * wait, -1 with @err set on failure (everything undone)
 */
int uplink_open(const struct uplink_conf *c, struct uplink_info *info,
		char *err, size_t errlen)
{
	dispatch_semaphore_t sem;
	xpc_object_t desc;
	int fds[2];
	unsigned int i;
	int wfd;

	if (vm.pipe_rd >= 0) {
		err_set(err, errlen, "the uplink is already open");
		return -1;
	}
	switch (c->mode) {
	case NET_MODE_HOST:
	case NET_MODE_SHARED:
		break;
	case NET_MODE_BRIDGED:
		if (!c->interface || !c->interface[0]) {
			err_set(err, errlen,
				"--vmnet-mode=bridged requires "
				"--vmnet-interface=IF (e.g. en0)");
			return -1;
		}
		break;
	default:
		err_set(err, errlen, "--vmnet-mode=%s has no host side",
			net_mode_name(c->mode));
		return -1;
	}
	vm.mode = c->mode;
	vm.pid = getpid();
	vm.fork_warned = false;
	desc = vmnet_describe(c, err, errlen);
	if (!desc)
		return -1;
	if (pipe(fds) < 0) {
		err_sys(err, errlen, "pipe");
		xpc_release(desc);
		return -1;
	}
	vm.pipe_rd = fds[0];
	vm.pipe_wr = fds[1];
	if (vmnet_set_nonblock(fds[0]) < 0 || vmnet_set_nonblock(fds[1]) < 0) {
		err_sys(err, errlen, "fcntl");
		xpc_release(desc);
		goto fail;
	}
	vm.queue = dispatch_queue_create("io.github.socket-vmnet.vmnet", NULL);
	sem = dispatch_semaphore_create(0);
	if (!vm.queue || !sem) {
		err_set(err, errlen, "cannot create a dispatch queue");
		xpc_release(desc);
		goto fail;
	}
	memset(&vmnet_res, 0, sizeof(vmnet_res));
	vm.iface = vmnet_start_interface(
	    desc, vm.queue, ^(vmnet_return_t status, xpc_object_t param) {
	      vmnet_record_start(status, param);
	      dispatch_semaphore_signal(sem);
	    });
	xpc_release(desc);
	if (!vm.iface) {
		/* The handler is not called when no interface comes back. */
		err_set(err, errlen,
			"vmnet_start_interface refused the request%s",
			vmnet_start_hint(VMNET_INVALID_ARGUMENT, c->mode));
		dispatch_release(sem);
		goto fail;
	}
	if (dispatch_semaphore_wait(
		sem,
		dispatch_time(DISPATCH_TIME_NOW,
			      (int64_t)VMNET_START_TIMEOUT * 1000000000))) {
		/* The handler may still run: it only writes vmnet_res and
		 * signals sem, which are left alone (sem leaks on purpose). */
		err_set(err, errlen,
			"vmnet did not start the interface within %d s",
			VMNET_START_TIMEOUT);
		goto fail;
	}
	dispatch_release(sem);
	if (vmnet_res.status != VMNET_SUCCESS) {
		err_set(err, errlen, "vmnet_start_interface: %s (status %d)%s",
			vmnet_status_str(vmnet_res.status),
			(int)vmnet_res.status,
			vmnet_start_hint(vmnet_res.status, c->mode));
		vm.iface = NULL; /* no interface to stop */
		goto fail;
	}

	vm.max_pkt = vmnet_res.max_packet_size;
	if (!vm.max_pkt)
		vm.max_pkt =
		    (vmnet_res.mtu ? vmnet_res.mtu : 1500) + VMNET_ETH_HLEN;
	if (vm.max_pkt < VMNET_ETH_HLEN || vm.max_pkt > (1u << 20)) {
		err_set(err, errlen, "vmnet reports a max packet size of %zu",
			vm.max_pkt);
		goto fail;
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
		goto fail;
	}
	for (i = 0; i < vm.rmax; i++) {
		vm.riov[i].iov_base = vm.rbuf + (size_t)i * vm.max_pkt;
		vm.rpk[i].vm_pkt_iov = &vm.riov[i];
	}
	vm.rcount = vm.rnext = 0;
	memset(&vm.st, 0, sizeof(vm.st));

	/* The callback captures the descriptor's value, nothing else. */
	wfd = vm.pipe_wr;
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
	if (c->mtu && info->mtu != c->mtu)
		log_warnx("vmnet: asked for MTU %u, got %u", c->mtu, info->mtu);
	/* Packets that came before the callback was set raise no event. */
	vmnet_notify(vm.pipe_wr);
	return vm.pipe_rd;
fail:
	uplink_close();
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
	vmnet_notify(vm.pipe_wr);
	return n;
}

/**
 * uplink_read() - take one frame the host sends to the VM network
 * @buf:	where the frame goes
 * @len:	size of @buf, at least uplink_info.max_frame
 *
 * Return: the frame's length, -1 with errno EAGAIN when none waits (EIO in
 * a forked process)
 */
ssize_t uplink_read(void *buf, size_t len)
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
 * vmnet_drop() - count frames given up on
 * @r:		why
 * @n:		how many
 */
static void vmnet_drop(vmnet_return_t r, unsigned int n)
{
	if (r == VMNET_BUFFER_EXHAUSTED || r == VMNET_SUCCESS)
		vm.st.tx_exhausted += n;
	else if (r == VMNET_PACKET_TOO_BIG)
		vm.st.tx_too_big += n;
	else
		vm.st.tx_errors += n;
	if (r != VMNET_SUCCESS && r != VMNET_BUFFER_EXHAUSTED &&
	    log_limit_ok(&vm.lim, loop_now()))
		log_warnx("vmnet_write: %s (status %d): frame dropped",
			  vmnet_status_str(r), (int)r);
}

/**
 * vmnet_write_chunk() - write prepared packets, retrying a bounded number of
 * times
 * @pk:		packet descriptors
 * @n:		how many, at most vm.wmax
 *
 * Return: how many were written; the others were dropped and counted
 */
static unsigned int vmnet_write_chunk(struct vmpktdesc *pk, int n)
{
	unsigned int written = 0;
	int off = 0, tries = 0;

	while (off < n) {
		int cnt = n - off;
		vmnet_return_t r = vmnet_write(vm.iface, pk + off, &cnt);

		vm.st.tx_calls++;
		if (r == VMNET_SUCCESS && cnt > 0) {
			if (cnt > n - off)
				cnt = n - off;
			off += cnt;
			written += (unsigned int)cnt;
			tries = 0;
			continue;
		}
		if (r == VMNET_SUCCESS || r == VMNET_BUFFER_EXHAUSTED) {
			/* No room: try again a little, then give up on all
			 * that is left rather than spin. */
			if (++tries < VMNET_WRITE_TRIES) {
				vm.st.tx_retries++;
				continue;
			}
			vmnet_drop(r, (unsigned int)(n - off));
			break;
		}
		/* Any other failure: give up on the first frame left (it is
		 * the likely cause) and carry on with the others. */
		vmnet_drop(r, 1);
		off++;
		tries = 0;
	}
	vm.st.tx_frames += written;
	return written;
}

/**
 * uplink_write_batch() - hand the host several frames from the VM network
 * @frames:	the frames, one Ethernet frame per iovec
 * @n:		how many
 * @dropped:	incremented by the number of frames dropped
 *
 * vmnet never makes the caller wait: every frame is written or dropped.
 *
 * Return: @n (frames taken from @frames)
 */
unsigned int uplink_write_batch(const struct iovec *frames, unsigned int n,
				unsigned int *dropped)
{
	unsigned int i = 0;

	if (vmnet_forked()) {
		*dropped += n;
		return n;
	}
	while (i < n) {
		unsigned int k = 0, written;

		for (; i < n && k < vm.wmax; i++) {
			if (frames[i].iov_len > vm.max_pkt ||
			    frames[i].iov_len < VMNET_ETH_HLEN) {
				vmnet_drop(VMNET_PACKET_TOO_BIG, 1);
				(*dropped)++;
				continue;
			}
			vm.wiov[k] = frames[i];
			vm.wpk[k].vm_pkt_iov = &vm.wiov[k];
			vm.wpk[k].vm_pkt_iovcnt = 1;
			vm.wpk[k].vm_pkt_size = frames[i].iov_len;
			vm.wpk[k].vm_flags = 0;
			k++;
		}
		if (!k)
			continue;
		written = vmnet_write_chunk(vm.wpk, (int)k);
		*dropped += k - written;
	}
	return n;
}

/**
 * uplink_write() - hand the host one frame from the VM network
 * @frame:	the Ethernet frame
 * @len:	its length
 *
 * Return: @len on success; -1 when the frame was dropped (errno EMSGSIZE
 * if it is too big, EIO otherwise), never EAGAIN: vmnet has no way to say
 * when it has room again, so a full vmnet is retried briefly, then dropped
 */
ssize_t uplink_write(const void *frame, size_t len)
{
	struct iovec iov = {.iov_base = (void *)frame, .iov_len = len};
	unsigned long long before = vm.st.tx_frames;
	unsigned int dropped = 0;

	if (len > vm.max_pkt) {
		vmnet_drop(VMNET_PACKET_TOO_BIG, 1);
		errno = EMSGSIZE;
		return -1;
	}
	uplink_write_batch(&iov, 1, &dropped);
	if (vm.st.tx_frames == before) {
		errno = EIO;
		return -1;
	}
	return (ssize_t)len;
}

/**
 * uplink_close() - stop the vmnet interface and release everything
 *
 * Safe after a failed uplink_open() and when called twice. In a forked
 * process, which cannot use GCD, only descriptors and memory are released.
 */
void uplink_close(void)
{
	bool owner = vm.pid == getpid();

	if (vm.iface && owner) {
		__block vmnet_return_t st = VMNET_FAILURE;
		dispatch_semaphore_t sem = dispatch_semaphore_create(0);
		vmnet_return_t r;

		vmnet_interface_set_event_callback(
		    vm.iface, VMNET_INTERFACE_PACKETS_AVAILABLE, NULL, NULL);
		r = vmnet_stop_interface(vm.iface, vm.queue,
					 ^(vmnet_return_t status) {
					   st = status;
					   dispatch_semaphore_signal(sem);
					 });
		if (r != VMNET_SUCCESS)
			log_warnx("vmnet_stop_interface: %s",
				  vmnet_status_str(r));
		else if (dispatch_semaphore_wait(
			     sem, dispatch_time(DISPATCH_TIME_NOW,
						(int64_t)VMNET_STOP_TIMEOUT *
						    1000000000)))
			log_warnx("vmnet: the interface did not stop within "
				  "%d s",
				  VMNET_STOP_TIMEOUT);
		else if (st != VMNET_SUCCESS)
			log_warnx("vmnet: stopping the interface: %s",
				  vmnet_status_str(st));
		else
			dispatch_release(sem);
		log_info("vmnet: interface stopped; rx %llu frames in %llu "
			 "reads (%llu errors, %llu oversized), tx %llu frames "
			 "in %llu writes (%llu retries), dropped %llu (no "
			 "room), %llu (too big), %llu (errors)",
			 vm.st.rx_frames, vm.st.rx_batches, vm.st.rx_errors,
			 vm.st.rx_truncated, vm.st.tx_frames, vm.st.tx_calls,
			 vm.st.tx_retries, vm.st.tx_exhausted, vm.st.tx_too_big,
			 vm.st.tx_errors);
	}
	vm.iface = NULL;
	if (vm.queue && owner) {
		/* Let a callback already running finish before the pipe
		 * closes. */
		dispatch_sync(vm.queue, ^(void){
			      });
		dispatch_release(vm.queue);
	}
	vm.queue = NULL;
	if (vm.pipe_rd >= 0)
		close(vm.pipe_rd);
	if (vm.pipe_wr >= 0)
		close(vm.pipe_wr);
	vm.pipe_rd = vm.pipe_wr = -1;
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
