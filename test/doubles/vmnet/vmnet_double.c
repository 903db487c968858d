/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test double of vmnet.framework for Linux: the functions declared in
 * vmnet/vmnet.h, implemented over a socketpair. One end is the interface
 * (vmnet_read() receives from it, vmnet_write() sends on it), the other is
 * "the network", which the test drives through vmnet_double_ctl.h. A
 * thread of its own watches the interface end and runs the
 * packets-available callback on the caller's queue, as vmnet does from its
 * own threads.
 *
 * It enforces what Apple documents and what src/vmnet.c must respect:
 * start, end and mask come together and are private addresses; bridged
 * mode names an interface; a read gives buffers of at least the maximum
 * packet size and asks for at most read_max packets; a write gives packets
 * no larger than the maximum, flags 0 and (as QEMU found out) a single
 * iovec each; bridged mode takes no MTU key. A write is all or nothing:
 * packets go to a bounded output buffer (vmnet's), which drains into the
 * socket as it takes them; a write that does not fit whole fails with
 * VMNET_BUFFER_EXHAUSTED having written none. It records every call so the
 * test can check arguments, which thread called, and how often. It models
 * the contract, not Apple's implementation: passing here does not prove
 * anything about real vmnet.
 *
 * Built with -DVMNET_DOUBLE_OLD it is macOS 10.15: it lacks the keys of
 * macOS 11 and 15, and a NAT66 prefix needs its length key too. Built with
 * -DVMNET_DOUBLE_26 it is macOS 26: it has the network-configuration API
 * as well (at the end of this file), and records those calls in order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <Block.h>

#include "vmnet_double_ctl.h"

const char *vmnet_operation_mode_key = "operation_mode";
const char *vmnet_shared_interface_name_key = "shared_interface_name";
const char *vmnet_start_address_key = "start_address";
const char *vmnet_end_address_key = "end_address";
const char *vmnet_subnet_mask_key = "subnet_mask";
const char *vmnet_interface_id_key = "interface_id";
const char *vmnet_nat66_prefix_key = "nat66_prefix";
const char *vmnet_nat66_prefix_length_key = "nat66_prefix_length";
const char *vmnet_allocate_mac_address_key = "allocate_mac_address";
const char *vmnet_mac_address_key = "mac_address";
const char *vmnet_mtu_key = "mtu";
const char *vmnet_max_packet_size_key = "max_packet_size";
const char *vmnet_estimated_packets_available_key =
    "estimated_packets_available";
#ifndef VMNET_DOUBLE_OLD
const char *vmnet_enable_isolation_key = "enable_isolation";
const char *vmnet_network_identifier_key = "network_identifier";
const char *vmnet_host_ip_address_key = "host_ip_address";
const char *vmnet_host_subnet_mask_key = "host_subnet_mask";
const char *vmnet_read_max_packets_key = "read_max_packets";
const char *vmnet_write_max_packets_key = "write_max_packets";
#endif

#define VD_OLD_MAX_PKTS 200u
#define VD_OUT_SLOTS	512u /* packets vmnet holds for the host, at most */

struct vmnet_interface {
	bool running;
	int ifd; /* the interface's end */
	int nfd; /* the network's end */
	uint64_t mtu, max_pkt, read_max, write_max;
	/* packets-available callback */
	vmnet_interface_event_callback_t cb;
	dispatch_queue_t cbq;
	pthread_t watcher;
	bool watching;
	bool stop_watching;
	bool armed; /* fire on the next arrival */
	/* vmnet's output buffer: written packets the socket has not taken */
	uint8_t *out; /* VD_OUT_SLOTS buffers of max_pkt */
	size_t out_len[VD_OUT_SLOTS];
	unsigned int out_head, out_count;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct vmnet_double_cfg cfg;
	struct vmnet_double_start start;
	struct vmnet_double_counts n;
	bool have_owner;
	pthread_t owner;
	unsigned int fail_writes;
	vmnet_return_t fail_status;
	unsigned int room; /* output buffer size in packets (0: VD_OUT_SLOTS) */
	bool hold;	   /* the host takes nothing: the buffer fills */
	vmnet_return_t stop_status; /* non-zero: the next stop fails */
	bool stop_in_handler;	    /* ... through the handler, not at once */
	struct vmnet_double_network net; /* the macOS 26 calls */
	vmnet_return_t fail_network;	 /* non-zero: the next create fails */
	struct vmnet_interface ifc;
} vd = {
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .cv = PTHREAD_COND_INITIALIZER,
    .ifc = {.ifd = -1, .nfd = -1},
};

static bool vd_on_owner(void)
{
	return vd.have_owner && pthread_equal(pthread_self(), vd.owner);
}

static void vd_copy(xpc_object_t d, const char *key, char *buf, size_t len)
{
	const char *s = xpc_dictionary_get_string(d, key);

	snprintf(buf, len, "%s", s ? s : "");
}

static bool vd_private(const char *text)
{
	struct in_addr a;
	uint32_t v;

	if (inet_pton(AF_INET, text, &a) != 1)
		return false;
	v = ntohl(a.s_addr);
	return (v >> 24) == 10 || (v >> 20) == 0xac1 || (v >> 16) == 0xc0a8;
}

/* Fill in what the test left at 0 (also without any reset). */
static void vd_defaults(void)
{
	if (!vd.cfg.status)
		vd.cfg.status = VMNET_SUCCESS;
	if (!vd.cfg.mtu)
		vd.cfg.mtu = 1500;
	if (!vd.cfg.max_packet_size)
		vd.cfg.max_packet_size = vd.cfg.mtu + 14;
	if (!vd.cfg.mac)
		vd.cfg.mac = "f2:0:1:a:bc:de";
}

static void vd_teardown(struct vmnet_interface *ifc);

void vmnet_double_reset(const struct vmnet_double_cfg *cfg)
{
	vd_teardown(&vd.ifc); /* one that a failed stop left running */
	pthread_mutex_lock(&vd.mu);
	memset(&vd.cfg, 0, sizeof(vd.cfg));
	if (cfg)
		vd.cfg = *cfg;
	vd_defaults();
	memset(&vd.start, 0, sizeof(vd.start));
	memset(&vd.n, 0, sizeof(vd.n));
	vd.fail_writes = vd.room = 0;
	vd.hold = false;
	vd.stop_status = 0;
	vd.stop_in_handler = false;
	memset(&vd.net, 0, sizeof(vd.net));
	vd.fail_network = 0;
	pthread_mutex_unlock(&vd.mu);
}

const struct vmnet_double_network *vmnet_double_last_network(void)
{
	return &vd.net;
}

void vmnet_double_fail_network(vmnet_return_t status)
{
	vd.fail_network = status;
}

/* Note a call in vd.net.calls (called with vd.mu held or single-threaded) */
static void vd_call(const char *name)
{
	size_t len = strlen(vd.net.calls);

	snprintf(vd.net.calls + len, sizeof(vd.net.calls) - len, "%s ", name);
}

const struct vmnet_double_start *vmnet_double_last_start(void)
{
	return &vd.start;
}

const struct vmnet_double_counts *vmnet_double_counts(void)
{
	return &vd.n;
}

void vmnet_double_set_owner(void)
{
	vd.owner = pthread_self();
	vd.have_owner = true;
}

int vmnet_double_net_fd(void)
{
	return vd.ifc.running ? vd.ifc.nfd : -1;
}

void vmnet_double_fail_writes(unsigned int n, vmnet_return_t status)
{
	pthread_mutex_lock(&vd.mu);
	vd.fail_writes = n;
	vd.fail_status = status;
	pthread_mutex_unlock(&vd.mu);
}

void vmnet_double_set_room(unsigned int packets)
{
	pthread_mutex_lock(&vd.mu);
	vd.room = packets < VD_OUT_SLOTS ? packets : VD_OUT_SLOTS;
	pthread_mutex_unlock(&vd.mu);
}

void vmnet_double_hold(bool on)
{
	pthread_mutex_lock(&vd.mu);
	vd.hold = on;
	pthread_mutex_unlock(&vd.mu);
}

void vmnet_double_fail_stop(vmnet_return_t status, bool in_handler)
{
	pthread_mutex_lock(&vd.mu);
	vd.stop_status = status;
	vd.stop_in_handler = in_handler;
	pthread_mutex_unlock(&vd.mu);
}

bool vmnet_double_wait_events(unsigned int n)
{
	struct timespec ts;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	pthread_mutex_lock(&vd.mu);
	while (vd.n.events < n &&
	       pthread_cond_timedwait(&vd.cv, &vd.mu, &ts) != ETIMEDOUT)
		;
	ok = vd.n.events >= n;
	pthread_mutex_unlock(&vd.mu);
	return ok;
}

/* Record what was asked; say what is wrong with it, or VMNET_SUCCESS. */
static vmnet_return_t vd_record(xpc_object_t desc)
{
	struct vmnet_double_start *s = &vd.start;
	const uint8_t *u;
	int given;

	memset(s, 0, sizeof(*s));
	s->called = true;
	s->nkeys = (unsigned int)xpc_dictionary_get_count(desc);
	s->have_mode = xpc_dictionary_get_value(desc, vmnet_operation_mode_key);
	s->mode = xpc_dictionary_get_uint64(desc, vmnet_operation_mode_key);
	vd_copy(desc, vmnet_shared_interface_name_key, s->shared_interface,
		sizeof(s->shared_interface));
	vd_copy(desc, vmnet_start_address_key, s->start, sizeof(s->start));
	vd_copy(desc, vmnet_end_address_key, s->end, sizeof(s->end));
	vd_copy(desc, vmnet_subnet_mask_key, s->mask, sizeof(s->mask));
	vd_copy(desc, vmnet_nat66_prefix_key, s->nat66, sizeof(s->nat66));
	s->have_nat66_len =
	    xpc_dictionary_get_value(desc, vmnet_nat66_prefix_length_key);
	s->nat66_len =
	    xpc_dictionary_get_uint64(desc, vmnet_nat66_prefix_length_key);
	u = xpc_dictionary_get_uuid(desc, vmnet_interface_id_key);
	if (u) {
		memcpy(s->interface_id, u, 16);
		s->have_interface_id = true;
	}
#ifndef VMNET_DOUBLE_OLD
	vd_copy(desc, vmnet_host_ip_address_key, s->host_ip,
		sizeof(s->host_ip));
	vd_copy(desc, vmnet_host_subnet_mask_key, s->host_mask,
		sizeof(s->host_mask));
	u = xpc_dictionary_get_uuid(desc, vmnet_network_identifier_key);
	if (u) {
		memcpy(s->network_id, u, 16);
		s->have_network_id = true;
	}
#endif
	s->have_mtu = xpc_dictionary_get_value(desc, vmnet_mtu_key);
	s->mtu = xpc_dictionary_get_uint64(desc, vmnet_mtu_key);

	if (!s->have_mode || s->mode < VMNET_HOST_MODE ||
	    s->mode > VMNET_BRIDGED_MODE)
		return VMNET_INVALID_ARGUMENT;
	if (s->mode == VMNET_BRIDGED_MODE && !s->shared_interface[0])
		return VMNET_INVALID_ARGUMENT;
	/* the interface's MTU is the one: asking is an error */
	if (s->mode == VMNET_BRIDGED_MODE && s->have_mtu)
		return VMNET_INVALID_ARGUMENT;
#ifdef VMNET_DOUBLE_OLD
	/* 10.15 takes a NAT66 prefix only with its length */
	if (s->nat66[0] && (!s->have_nat66_len || s->nat66_len != 64))
		return VMNET_INVALID_ARGUMENT;
#endif
	given = !!s->start[0] + !!s->end[0] + !!s->mask[0];
	if (given != 0 && given != 3) /* all three or none */
		return VMNET_INVALID_ARGUMENT;
	if (s->start[0] && (!vd_private(s->start) || !vd_private(s->end)))
		return VMNET_INVALID_ARGUMENT;
	if (s->have_network_id && s->mode != VMNET_HOST_MODE)
		return VMNET_INVALID_ARGUMENT;
	if (s->have_network_id && s->start[0])
		return VMNET_INVALID_ARGUMENT; /* no DHCP on such a network */
	return VMNET_SUCCESS;
}

/* The answer a successful start gets. */
static xpc_object_t vd_param(void)
{
	xpc_object_t p = xpc_dictionary_create(NULL, NULL, 0);
	const struct vmnet_double_start *s = &vd.start;
	unsigned char id[16];

	xpc_dictionary_set_uint64(p, vmnet_mtu_key, vd.cfg.mtu);
	xpc_dictionary_set_uint64(p, vmnet_max_packet_size_key,
				  vd.cfg.max_packet_size);
	xpc_dictionary_set_string(p, vmnet_mac_address_key, vd.cfg.mac);
	if (s->mode != VMNET_BRIDGED_MODE && !s->have_network_id) {
		xpc_dictionary_set_string(p, vmnet_start_address_key,
					  s->start[0] ? s->start
						      : "192.168.64.1");
		xpc_dictionary_set_string(p, vmnet_end_address_key,
					  s->end[0] ? s->end
						    : "192.168.64.254");
		xpc_dictionary_set_string(p, vmnet_subnet_mask_key,
					  s->mask[0] ? s->mask
						     : "255.255.255.0");
	}
	if (s->have_interface_id) {
		xpc_dictionary_set_uuid(p, vmnet_interface_id_key,
					s->interface_id);
	} else {
		for (int i = 0; i < 16; i++)
			id[i] = (unsigned char)rand();
		xpc_dictionary_set_uuid(p, vmnet_interface_id_key, id);
	}
	if (s->nat66[0])
		xpc_dictionary_set_string(p, vmnet_nat66_prefix_key, s->nat66);
#ifndef VMNET_DOUBLE_OLD
	if (vd.cfg.read_max)
		xpc_dictionary_set_uint64(p, vmnet_read_max_packets_key,
					  vd.cfg.read_max);
	if (vd.cfg.write_max)
		xpc_dictionary_set_uint64(p, vmnet_write_max_packets_key,
					  vd.cfg.write_max);
#endif
	return p;
}

/*
 * The two ends. With VMNET_DOUBLE_NET=PATH in the environment (a daemon
 * run by a test in another process), the interface's end is a datagram
 * socket bound to PATH.vmnet and connected to PATH, where the test listens
 * as the network; the start request is printed on stderr.
 */
static int vd_net_socket(int sp[2])
{
	const char *path = getenv("VMNET_DOUBLE_NET");
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	const struct vmnet_double_start *s = &vd.start;
	int fd;

	if (!path || !*path)
		return socketpair(AF_UNIX, SOCK_DGRAM, 0, sp);
	fprintf(stderr,
		"vmnet-double: start mode=%llu interface=%s start=%s end=%s "
		"mask=%s nat66=%s mtu=%llu interface_id=%d\n",
		(unsigned long long)s->mode, s->shared_interface, s->start,
		s->end, s->mask, s->nat66, (unsigned long long)s->mtu,
		s->have_interface_id);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s.vmnet", path);
	unlink(a.sun_path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		goto fail;
	sp[0] = fd;
	sp[1] = open("/dev/null", O_RDONLY); /* no in-process network */
	return sp[1] < 0 ? -1 : 0;
fail:
	close(fd);
	return -1;
}

interface_ref
vmnet_start_interface(xpc_object_t interface_desc, dispatch_queue_t queue,
		      vmnet_start_interface_completion_handler_t handler)
{
	struct vmnet_interface *ifc = &vd.ifc;
	vmnet_start_interface_completion_handler_t h;
	vmnet_return_t status;
	xpc_object_t param = NULL;
	int sp[2], buf = 4 << 20;

	if (!interface_desc || !queue || !handler)
		return NULL;
	pthread_mutex_lock(&vd.mu);
	vd_defaults();
	status = vd_record(interface_desc);
	if (vd.cfg.refuse || ifc->running) {
		pthread_mutex_unlock(&vd.mu);
		return NULL;
	}
	if (status == VMNET_SUCCESS)
		status = vd.cfg.status;
	if (status == VMNET_SUCCESS) {
		if (vd_net_socket(sp) < 0) {
			status = VMNET_FAILURE;
		} else {
			for (int i = 0; i < 2; i++) {
				fcntl(sp[i], F_SETFL, O_NONBLOCK);
				fcntl(sp[i], F_SETFD, FD_CLOEXEC);
				setsockopt(sp[i], SOL_SOCKET, SO_SNDBUF, &buf,
					   sizeof(buf));
				setsockopt(sp[i], SOL_SOCKET, SO_RCVBUF, &buf,
					   sizeof(buf));
			}
			ifc->ifd = sp[0];
			ifc->nfd = sp[1];
			ifc->out =
			    malloc(VD_OUT_SLOTS * vd.cfg.max_packet_size);
			if (!ifc->out)
				abort();
			ifc->out_head = ifc->out_count = 0;
			ifc->running = true;
			ifc->mtu = vd.cfg.mtu;
			ifc->max_pkt = vd.cfg.max_packet_size;
#ifndef VMNET_DOUBLE_OLD
			ifc->read_max = vd.cfg.read_max;
			ifc->write_max = vd.cfg.write_max;
#else
			ifc->read_max = ifc->write_max = 0; /* 200 */
#endif
			param = vd_param();
		}
	}
	pthread_mutex_unlock(&vd.mu);

	h = Block_copy(handler);
	dispatch_async(queue, ^(void) {
	  if (vd_on_owner()) {
		  pthread_mutex_lock(&vd.mu);
		  vd.n.handler_on_owner++;
		  pthread_mutex_unlock(&vd.mu);
	  }
	  h(status, param);
	  if (param)
		  xpc_release(param);
	  Block_release(h);
	});
	return ifc;
}

/* Hand what the output buffer holds to the socket, as far as it takes
 * it (called with vd.mu held). */
static void vd_pump(struct vmnet_interface *ifc)
{
	while (ifc->out_count && !vd.hold) {
		unsigned int slot = ifc->out_head;

		if (send(ifc->ifd, ifc->out + slot * ifc->max_pkt,
			 ifc->out_len[slot], MSG_DONTWAIT) < 0)
			break; /* the network is slow: vmnet keeps it */
		ifc->out_head = (slot + 1) % VD_OUT_SLOTS;
		ifc->out_count--;
		vd.n.out_sent++;
	}
}

static void *vd_watch(void *arg)
{
	struct vmnet_interface *ifc = arg;

	pthread_mutex_lock(&vd.mu);
	while (!ifc->stop_watching) {
		struct pollfd p = {.fd = ifc->ifd, .events = POLLIN};
		int r;

		pthread_mutex_unlock(&vd.mu);
		r = poll(&p, 1, 5);
		pthread_mutex_lock(&vd.mu);
		vd_pump(ifc);
		/* Look again under the lock: a read may have emptied it. */
		if (r > 0)
			r = poll(&p, 1, 0);
		if (r > 0 && ifc->armed && ifc->cb && !ifc->stop_watching) {
			vmnet_interface_event_callback_t cb =
			    Block_copy(ifc->cb);
			xpc_object_t ev = xpc_dictionary_create(NULL, NULL, 0);

			ifc->armed = false;
			xpc_dictionary_set_uint64(
			    ev, vmnet_estimated_packets_available_key, 1);
			dispatch_async(ifc->cbq, ^(void) {
			  bool owner = vd_on_owner();

			  /* Counted before the callback runs: the loop may
			   * read everything and the test look at the count
			   * before this thread would get back here. */
			  pthread_mutex_lock(&vd.mu);
			  vd.n.events++;
			  vd.n.events_on_owner += owner;
			  pthread_cond_broadcast(&vd.cv);
			  pthread_mutex_unlock(&vd.mu);
			  cb(VMNET_INTERFACE_PACKETS_AVAILABLE, ev);
			  xpc_release(ev);
			  Block_release(cb);
			});
		}
	}
	pthread_mutex_unlock(&vd.mu);
	return NULL;
}

static void vd_stop_watching(struct vmnet_interface *ifc)
{
	pthread_mutex_lock(&vd.mu);
	if (!ifc->watching) {
		pthread_mutex_unlock(&vd.mu);
		return;
	}
	ifc->stop_watching = true;
	pthread_mutex_unlock(&vd.mu);
	pthread_join(ifc->watcher, NULL);
	pthread_mutex_lock(&vd.mu);
	ifc->watching = false;
	if (ifc->cb)
		Block_release(ifc->cb);
	ifc->cb = NULL;
	ifc->cbq = NULL;
	pthread_mutex_unlock(&vd.mu);
}

vmnet_return_t vmnet_interface_set_event_callback(
    interface_ref ifc, interface_event_t event_mask, dispatch_queue_t queue,
    vmnet_interface_event_callback_t callback)
{
	if (ifc != &vd.ifc || !ifc->running)
		return VMNET_INVALID_ARGUMENT;
	if (event_mask != VMNET_INTERFACE_PACKETS_AVAILABLE)
		return VMNET_INVALID_ARGUMENT;
	vd_stop_watching(ifc);
	if (!callback)
		return VMNET_SUCCESS;
	if (!queue)
		return VMNET_INVALID_ARGUMENT;
	pthread_mutex_lock(&vd.mu);
	ifc->cb = Block_copy(callback);
	ifc->cbq = queue;
	ifc->armed = true;
	ifc->stop_watching = false;
	ifc->watching = !pthread_create(&ifc->watcher, NULL, vd_watch, ifc);
	pthread_mutex_unlock(&vd.mu);
	return ifc->watching ? VMNET_SUCCESS : VMNET_FAILURE;
}

/* Stop watching, close both ends, drop what the output buffer holds. */
static void vd_teardown(struct vmnet_interface *ifc)
{
	vd_stop_watching(ifc);
	pthread_mutex_lock(&vd.mu);
	if (ifc->running) {
		close(ifc->ifd);
		close(ifc->nfd);
		ifc->ifd = ifc->nfd = -1;
		free(ifc->out);
		ifc->out = NULL;
		ifc->out_head = ifc->out_count = 0;
		ifc->running = false;
	}
	pthread_mutex_unlock(&vd.mu);
}

vmnet_return_t
vmnet_stop_interface(interface_ref ifc, dispatch_queue_t queue,
		     vmnet_interface_completion_handler_t handler)
{
	vmnet_interface_completion_handler_t h;
	vmnet_return_t status;
	bool in_handler;

	if (ifc != &vd.ifc || !ifc->running || !queue || !handler)
		return VMNET_INVALID_ARGUMENT;
	pthread_mutex_lock(&vd.mu);
	vd_call("stop");
	vd.n.stop_calls++;
	status = vd.stop_status ? vd.stop_status : VMNET_SUCCESS;
	in_handler = vd.stop_in_handler;
	vd.stop_status = 0;
	pthread_mutex_unlock(&vd.mu);
	/* A failed stop leaves the interface running. */
	if (status != VMNET_SUCCESS && !in_handler)
		return status; /* and calls no handler */
	if (status == VMNET_SUCCESS) {
		vd_teardown(ifc);
		pthread_mutex_lock(&vd.mu);
		vd.n.stops++;
		pthread_mutex_unlock(&vd.mu);
	}
	h = Block_copy(handler);
	dispatch_async(queue, ^(void) {
	  h(status);
	  Block_release(h);
	});
	return VMNET_SUCCESS;
}

static size_t vd_room(const struct vmpktdesc *p)
{
	size_t n = 0;

	for (uint32_t i = 0; i < p->vm_pkt_iovcnt; i++)
		n += p->vm_pkt_iov[i].iov_len;
	return n;
}

vmnet_return_t vmnet_read(interface_ref ifc, struct vmpktdesc *packets,
			  int *pktcnt)
{
	unsigned int limit, want, got = 0;
	vmnet_return_t r = VMNET_SUCCESS;

	pthread_mutex_lock(&vd.mu);
	if (ifc != &vd.ifc || !ifc->running || !packets || !pktcnt ||
	    *pktcnt < 0) {
		pthread_mutex_unlock(&vd.mu);
		return VMNET_INVALID_ARGUMENT;
	}
	vd.n.read_calls++;
	if (!vd_on_owner())
		vd.n.calls_off_thread++;
	want = (unsigned int)*pktcnt;
	if (want > vd.n.read_max_asked)
		vd.n.read_max_asked = want;
	limit = ifc->read_max ? (unsigned int)ifc->read_max : VD_OLD_MAX_PKTS;
	if (want > limit) {
		vd.n.read_too_many++;
		pthread_mutex_unlock(&vd.mu);
		return VMNET_TOO_MANY_PACKETS;
	}
	for (; got < want; got++) {
		struct vmpktdesc *p = &packets[got];
		struct msghdr m = {0};
		ssize_t n;

		if (p->vm_pkt_iovcnt < 1 || vd_room(p) < ifc->max_pkt ||
		    p->vm_pkt_size < ifc->max_pkt) {
			vd.n.read_small_buffer++;
			r = VMNET_INVALID_ARGUMENT;
			break;
		}
		m.msg_iov = p->vm_pkt_iov;
		m.msg_iovlen = p->vm_pkt_iovcnt;
		n = recvmsg(ifc->ifd, &m, MSG_DONTWAIT);
		if (n < 0)
			break;
		p->vm_pkt_size = (size_t)n;
	}
	*pktcnt = (int)got;
	vd.n.read_packets += got;
	if (got < want)
		ifc->armed = true; /* drained: the next arrival is an event */
	pthread_mutex_unlock(&vd.mu);
	return r;
}

/* What vmnet_write() refuses in a packet, or VMNET_SUCCESS. */
static vmnet_return_t vd_check_out(const struct vmnet_interface *ifc,
				   const struct vmpktdesc *p)
{
	if (p->vm_flags || p->vm_pkt_iovcnt != 1 ||
	    p->vm_pkt_size != vd_room(p))
		return VMNET_INVALID_ARGUMENT;
	if (p->vm_pkt_size > ifc->max_pkt)
		return VMNET_PACKET_TOO_BIG;
	return VMNET_SUCCESS;
}

/* Take all @want packets into the output buffer, or none (vd.mu held). */
static vmnet_return_t vd_take(struct vmnet_interface *ifc,
			      const struct vmpktdesc *packets,
			      unsigned int want)
{
	unsigned int room = vd.room ? vd.room : VD_OUT_SLOTS;

	for (unsigned int i = 0; i < want; i++) {
		vmnet_return_t r = vd_check_out(ifc, &packets[i]);

		if (r != VMNET_SUCCESS)
			return r;
	}
	vd_pump(ifc); /* make what room the socket allows */
	if (ifc->out_count + want > room) {
		vd.n.write_full++;
		return VMNET_BUFFER_EXHAUSTED;
	}
	for (unsigned int i = 0; i < want; i++) {
		unsigned int slot =
		    (ifc->out_head + ifc->out_count) % VD_OUT_SLOTS;

		memcpy(ifc->out + slot * ifc->max_pkt,
		       packets[i].vm_pkt_iov[0].iov_base,
		       packets[i].vm_pkt_size);
		ifc->out_len[slot] = packets[i].vm_pkt_size;
		ifc->out_count++;
	}
	vd_pump(ifc);
	return VMNET_SUCCESS;
}

vmnet_return_t vmnet_write(interface_ref ifc, struct vmpktdesc *packets,
			   int *pktcnt)
{
	unsigned int limit, want;
	vmnet_return_t r;

	pthread_mutex_lock(&vd.mu);
	if (ifc != &vd.ifc || !ifc->running || !packets || !pktcnt ||
	    *pktcnt < 0) {
		pthread_mutex_unlock(&vd.mu);
		return VMNET_INVALID_ARGUMENT;
	}
	vd.n.write_calls++;
	if (!vd_on_owner())
		vd.n.calls_off_thread++;
	want = (unsigned int)*pktcnt;
	if (want > vd.n.write_max_asked)
		vd.n.write_max_asked = want;
	limit = ifc->write_max ? (unsigned int)ifc->write_max : VD_OLD_MAX_PKTS;
	if (want > limit) {
		r = VMNET_TOO_MANY_PACKETS;
	} else if (vd.fail_writes) {
		vd.fail_writes--;
		r = vd.fail_status;
	} else {
		r = vd_take(ifc, packets, want);
	}
	/* All or nothing: a failure has written no packet. */
	if (r != VMNET_SUCCESS) {
		vd.n.write_refused++;
		want = 0;
	}
	*pktcnt = (int)want;
	vd.n.write_packets += want;
	pthread_mutex_unlock(&vd.mu);
	return r;
}

#ifdef VMNET_DOUBLE_26
/*
 * macOS 26: network configurations and networks. A configuration records
 * what is set; a network keeps a copy; an interface started on a network
 * goes through vmnet_start_interface() above with the keys the network
 * stands for, so reads, writes and the stop work as there. Both objects
 * are released with CFRelease(), which this double defines.
 */
#define VD_CONFIG_MAGIC	 0x636f6e66u
#define VD_NETWORK_MAGIC 0x6e657477u

struct vmnet_network_configuration_s {
	uint32_t magic;
	uint64_t mode;
	bool have_subnet;
	struct in_addr subnet, mask;
	bool have_prefix;
	struct in6_addr prefix;
	bool dhcp_off;
	uint32_t mtu;
};

struct vmnet_network_s {
	uint32_t magic;
	struct vmnet_network_configuration_s cfg;
};

static vmnet_return_t vd_bad(void)
{
	vd.net.bad_calls++;
	return VMNET_INVALID_ARGUMENT;
}

vmnet_network_configuration_ref
vmnet_network_configuration_create(vmnet_mode_t mode, vmnet_return_t *status)
{
	struct vmnet_network_configuration_s *c;
	vmnet_return_t st = VMNET_SUCCESS;

	vd_call("configuration_create");
	vd.net.mode = mode;
	if (mode != VMNET_HOST_MODE && mode != VMNET_SHARED_MODE)
		st = vd_bad(); /* shared or host only */
	c = st == VMNET_SUCCESS ? calloc(1, sizeof(*c)) : NULL;
	if (c) {
		c->magic = VD_CONFIG_MAGIC;
		c->mode = mode;
		vd.net.configs_live++;
	}
	if (status)
		*status = st;
	return c;
}

void vmnet_network_configuration_disable_dhcp(
    vmnet_network_configuration_ref config)
{
	vd_call("disable_dhcp");
	config->dhcp_off = true;
	vd.net.dhcp_disabled = true;
}

vmnet_return_t vmnet_network_configuration_set_ipv4_subnet(
    vmnet_network_configuration_ref config, const struct in_addr *subnet_addr,
    const struct in_addr *subnet_mask)
{
	uint32_t a = ntohl(subnet_addr->s_addr), m = ntohl(subnet_mask->s_addr);

	vd_call("set_ipv4_subnet");
	inet_ntop(AF_INET, subnet_addr, vd.net.subnet, sizeof(vd.net.subnet));
	inet_ntop(AF_INET, subnet_mask, vd.net.mask, sizeof(vd.net.mask));
	/* a subnet's own address, a contiguous mask, private, room for
	 * the host and one more */
	if ((a & m) != a || (m & (~m >> 1)) || (~m) < 3 ||
	    !vd_private(vd.net.subnet))
		return vd_bad();
	config->have_subnet = true;
	config->subnet = *subnet_addr;
	config->mask = *subnet_mask;
	return VMNET_SUCCESS;
}

vmnet_return_t vmnet_network_configuration_set_ipv6_prefix(
    vmnet_network_configuration_ref config, const struct in6_addr *prefix,
    uint8_t prefix_len)
{
	vd_call("set_ipv6_prefix");
	inet_ntop(AF_INET6, prefix, vd.net.prefix, sizeof(vd.net.prefix));
	vd.net.prefix_len = prefix_len;
	if (prefix_len != 64 || prefix->s6_addr[0] != 0xfd ||
	    config->mode != VMNET_SHARED_MODE)
		return vd_bad();
	config->have_prefix = true;
	config->prefix = *prefix;
	return VMNET_SUCCESS;
}

vmnet_return_t
vmnet_network_configuration_set_mtu(vmnet_network_configuration_ref config,
				    uint32_t mtu)
{
	vd_call("set_mtu");
	vd.net.mtu = mtu;
	if (mtu < 576 || mtu > 16384)
		return vd_bad();
	config->mtu = mtu;
	return VMNET_SUCCESS;
}

vmnet_network_ref vmnet_network_create(vmnet_network_configuration_ref config,
				       vmnet_return_t *status)
{
	struct vmnet_network_s *n = NULL;
	vmnet_return_t st = vd.fail_network ? vd.fail_network : VMNET_SUCCESS;

	vd_call("network_create");
	if (config->magic != VD_CONFIG_MAGIC)
		st = vd_bad();
	vd.fail_network = 0;
	if (st == VMNET_SUCCESS) {
		n = calloc(1, sizeof(*n));
		n->magic = VD_NETWORK_MAGIC;
		n->cfg = *config;
		vd.net.networks_live++;
	}
	if (status)
		*status = st;
	return n;
}

void vmnet_network_get_ipv4_subnet(vmnet_network_ref network,
				   struct in_addr *subnet, struct in_addr *mask)
{
	vd_call("get_ipv4_subnet");
	if (network->cfg.have_subnet) {
		*subnet = network->cfg.subnet;
		*mask = network->cfg.mask;
	} else { /* vmnet's choice */
		inet_pton(AF_INET, "192.168.64.0", subnet);
		inet_pton(AF_INET, "255.255.255.0", mask);
	}
}

/* The keys vmnet_start_interface() takes for what @n stands for. */
static xpc_object_t vd_network_desc(const struct vmnet_network_s *n,
				    xpc_object_t interface_desc)
{
	xpc_object_t d = xpc_dictionary_create(NULL, NULL, 0);
	const uint8_t *id =
	    xpc_dictionary_get_uuid(interface_desc, vmnet_interface_id_key);
	uint32_t net, mask;
	struct in_addr a;
	char text[64];

	xpc_dictionary_set_uint64(d, vmnet_operation_mode_key, n->cfg.mode);
	if (n->cfg.have_subnet) {
		net = ntohl(n->cfg.subnet.s_addr);
		mask = ntohl(n->cfg.mask.s_addr);
		a.s_addr = htonl(net + 1);
		inet_ntop(AF_INET, &a, text, sizeof(text));
		xpc_dictionary_set_string(d, vmnet_start_address_key, text);
		a.s_addr = htonl((net | ~mask) - 1);
		inet_ntop(AF_INET, &a, text, sizeof(text));
		xpc_dictionary_set_string(d, vmnet_end_address_key, text);
		inet_ntop(AF_INET, &n->cfg.mask, text, sizeof(text));
		xpc_dictionary_set_string(d, vmnet_subnet_mask_key, text);
	}
	if (n->cfg.have_prefix) {
		inet_ntop(AF_INET6, &n->cfg.prefix, text, sizeof(text));
		xpc_dictionary_set_string(d, vmnet_nat66_prefix_key, text);
	}
	if (n->cfg.mtu)
		xpc_dictionary_set_uint64(d, vmnet_mtu_key, n->cfg.mtu);
	if (id)
		xpc_dictionary_set_uuid(d, vmnet_interface_id_key, id);
	return d;
}

interface_ref vmnet_interface_start_with_network(
    vmnet_network_ref network, xpc_object_t interface_desc,
    dispatch_queue_t queue,
    vmnet_start_interface_completion_handler_t start_block)
{
	static const char *const *network_keys[] = {
	    &vmnet_operation_mode_key,	     &vmnet_start_address_key,
	    &vmnet_end_address_key,	     &vmnet_subnet_mask_key,
	    &vmnet_nat66_prefix_key,	     &vmnet_mtu_key,
	    &vmnet_shared_interface_name_key};
	xpc_object_t d;
	interface_ref r;

	vd_call("start_with_network");
	if (network->magic != VD_NETWORK_MAGIC) {
		vd_bad();
		return NULL;
	}
	/* what the network decides has no place in the interface's keys */
	for (size_t i = 0; i < sizeof(network_keys) / sizeof(*network_keys);
	     i++)
		if (xpc_dictionary_get_value(interface_desc,
					     *network_keys[i])) {
			vd_bad();
			return NULL;
		}
	d = vd_network_desc(network, interface_desc);
	r = vmnet_start_interface(d, queue, start_block);
	xpc_release(d);
	return r;
}

void CFRelease(const void *cf);

void CFRelease(const void *cf)
{
	const uint32_t *magic = cf;

	if (!cf) {
		vd_bad(); /* CFRelease(NULL) crashes */
		return;
	}
	if (*magic == VD_CONFIG_MAGIC) {
		vd_call("release_configuration");
		vd.net.configs_live--;
	} else if (*magic == VD_NETWORK_MAGIC) {
		vd_call("release_network");
		vd.net.networks_live--;
		/* the interface on it must be stopped first */
		if (vd.ifc.running)
			vd_bad();
	} else {
		vd_bad();
		return;
	}
	free((void *)cf);
}
#endif /* VMNET_DOUBLE_26 */
