/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket's commands (see ctl_cmd.h, docs/CONTROL.md).
 *
 * Theory of operation: one table maps a command name to the function that
 * writes its answer into a JSON writer, and says whether the command
 * changes nothing (only those may be run again when the answer needs a
 * bigger buffer). The commands only read other modules through their
 * read-only functions (port_active(), switch_port_info(), fdb_next(),
 * dhcp_lease_next(), capture_get_stats()...); the ones that act do so
 * through those modules' own functions (port_close(), capture_start()) or
 * through the callbacks main registered (reload, forward). The capture tap
 * is registered with the switch here, by the capture's owner, and taken
 * away when the capture stops.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "addr.h"
#include "capture.h"
#include "ctl_cmd.h"
#include "dhcp.h"
#include "err.h"
#include "fdb.h"
#include "guard.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "port.h"
#include "switch.h"

#define CTL_CMD_MACS 4u /* MACs shown per port */
#define CTL_CMD_IPS  8u /* IPv4 addresses shown per port */

_Static_assert(SWITCH_TAP_ALL == CAPTURE_ANY_PORT &&
		   SWITCH_TAP_LOCAL == CAPTURE_PORT_NONE,
	       "the capture reads the switch's tap arguments as they are");

/**
 * struct ctl_cmd_port - what a "ports" answer gathers per port
 * @mac:	MACs bound or learned
 * @nmac:	how many
 * @ip:		IPv4 addresses seen or leased, host order
 * @nip:	how many
 */
struct ctl_cmd_port {
	uint8_t mac[CTL_CMD_MACS][6];
	unsigned int nmac;
	uint32_t ip[CTL_CMD_IPS];
	unsigned int nip;
};

/**
 * struct ctl_cmd_text - a text that grows (the metrics)
 * @buf:	the text
 * @len:	its length
 * @cap:	room in @buf
 * @failed:	out of memory or too long
 */
struct ctl_cmd_text {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;
};

/**
 * struct ctl_cmd_state - the commands' state
 * @info:	what main told about the daemon
 * @start_ms:	when the daemon started
 */
static struct ctl_cmd_state {
	struct ctl_cmd_info info;
	uint64_t start_ms;
} cc;

/**
 * ctl_cmd_init() - remember what the daemon is
 * @info:	copied; the strings must outlive the daemon
 */
void ctl_cmd_init(const struct ctl_cmd_info *info)
{
	cc.info = *info;
	cc.start_ms = loop_now();
}

/* --- status ------------------------------------------------------------ */

/**
 * ctl_cmd_ip() - write an IPv4 address
 * @w:		the writer
 * @key:	its key, or NULL in an array
 * @ip:		the address, host order
 */
static void ctl_cmd_ip(struct json_wr *w, const char *key, uint32_t ip)
{
	char buf[ADDR_IP4_STRLEN];

	json_put_str(w, key, addr_ip4_fmt(ip, buf));
}

/**
 * ctl_cmd_mac() - write a MAC address
 * @w:		the writer
 * @key:	its key, or NULL in an array
 * @mac:	the address
 */
static void ctl_cmd_mac(struct json_wr *w, const char *key, const uint8_t *mac)
{
	char buf[ADDR_MAC_STRLEN];

	json_put_str(w, key, addr_mac_fmt(mac, buf));
}

/**
 * ctl_cmd_capture_stats() - write the capture's state
 * @w:		the writer
 * @key:	its key
 */
static void ctl_cmd_capture_stats(struct json_wr *w, const char *key)
{
	struct capture_stats st;

	capture_get_stats(&st);
	json_obj_begin(w, key);
	json_put_bool(w, "running", st.running);
	json_put_bool(w, "full", st.full);
	json_put_u64(w, "frames", st.frames);
	json_put_u64(w, "bytes", st.bytes);
	json_put_u64(w, "written", st.written);
	json_put_u64(w, "dropped", st.dropped);
	if (st.write_error)
		json_put_str(w, "write_error", strerror(st.write_error));
	if (st.filter.port != CAPTURE_ANY_PORT)
		json_put_i64(w, "port", st.filter.port);
	if (st.filter.has_mac)
		ctl_cmd_mac(w, "mac", st.filter.mac);
	if (st.filter.max_bytes)
		json_put_u64(w, "max_bytes", st.filter.max_bytes);
	json_obj_end(w);
}

/**
 * ctl_cmd_totals() - write the switch's counters and the ports' sums
 * @w:		the writer
 */
static void ctl_cmd_totals(struct json_wr *w)
{
	const struct switch_stats *s = switch_get_stats();
	const struct fdb *f = switch_get_fdb();
	struct port_stats sum = {0};

	for (unsigned int i = 0; i < port_count(); i++) {
		const struct port_stats *p = &port_active(i)->st;

		sum.rx_frames += p->rx_frames;
		sum.rx_bytes += p->rx_bytes;
		sum.tx_frames += p->tx_frames;
		sum.tx_bytes += p->tx_bytes;
		sum.tx_dropped += p->tx_dropped;
		sum.rx_bad += p->rx_bad;
	}
	json_obj_begin(w, "totals");
	json_put_u64(w, "rx_frames", sum.rx_frames);
	json_put_u64(w, "rx_bytes", sum.rx_bytes);
	json_put_u64(w, "tx_frames", sum.tx_frames);
	json_put_u64(w, "tx_bytes", sum.tx_bytes);
	json_put_u64(w, "queue_full", sum.tx_dropped);
	json_put_u64(w, "bad", sum.rx_bad);
	json_put_u64(w, "unicast", s->unicast);
	json_put_u64(w, "flooded", s->flooded);
	json_put_u64(w, "local", s->local);
	json_put_u64(w, "bad_source", s->bad_src);
	json_put_u64(w, "waits", s->waits);
	json_put_u64(w, "fdb_learned", f->learned);
	json_put_u64(w, "fdb_moved", f->moved);
	json_put_u64(w, "fdb_evicted", f->evicted);
	json_obj_end(w);
}

/**
 * ctl_cmd_status() - "status": what the daemon is and its totals
 * @r:		the request
 * @w:		the answer
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0
 */
static int ctl_cmd_status(struct ctl_req *r, struct json_wr *w, char *err,
			  size_t errlen)
{
	const struct ctl_cmd_info *i = &cc.info;

	json_put_str(w, "version", i->version);
	json_put_i64(w, "pid", (int64_t)getpid());
	json_put_u64(w, "uptime_s", (loop_now() - cc.start_ms) / 1000);
	json_put_str(w, "mode", i->mode);
	json_put_str(w, "uplink", i->uplink);
	if (i->ifname && i->ifname[0])
		json_put_str(w, "interface", i->ifname);
	if (i->have_net) {
		json_obj_begin(w, "network");
		ctl_cmd_ip(w, "gateway", i->gateway);
		ctl_cmd_ip(w, "mask", i->mask);
		if (i->dhcp) {
			ctl_cmd_ip(w, "dhcp_first", i->dhcp_first);
			ctl_cmd_ip(w, "dhcp_last", i->dhcp_last);
		}
		json_obj_end(w);
	}
	json_put_bool(w, "dhcp", i->dhcp);
	json_put_bool(w, "forward", i->forward != NULL);
	json_put_u64(w, "ports", port_count());
	json_put_u64(w, "max_ports", port_max());
	ctl_cmd_totals(w);
	ctl_cmd_capture_stats(w, "capture");
	return 0;
}

/* --- ports ------------------------------------------------------------- */

/**
 * ctl_cmd_add_mac() - add a MAC to a port's list, once
 * @x:		the port's list
 * @mac:	the address
 */
static void ctl_cmd_add_mac(struct ctl_cmd_port *x, const uint8_t *mac)
{
	for (unsigned int i = 0; i < x->nmac; i++)
		if (!memcmp(x->mac[i], mac, 6))
			return;
	if (x->nmac < CTL_CMD_MACS)
		memcpy(x->mac[x->nmac++], mac, 6);
}

/**
 * ctl_cmd_add_ip() - add an address to a port's list, once
 * @x:		the port's list
 * @ip:		the address, host order (0 is ignored)
 */
static void ctl_cmd_add_ip(struct ctl_cmd_port *x, uint32_t ip)
{
	for (unsigned int i = 0; i < x->nip; i++)
		if (x->ip[i] == ip)
			return;
	if (ip && x->nip < CTL_CMD_IPS)
		x->ip[x->nip++] = ip;
}

/**
 * ctl_cmd_gather() - find every port's MACs and addresses
 * @x:		one entry per port id, zeroed
 *
 * MACs: the one the guards bound and the ones learned on the port.
 * Addresses: announced by ARP, the strict guards' lease, and the running
 * DHCP leases of the port's MACs.
 */
static void ctl_cmd_gather(struct ctl_cmd_port *x)
{
	const struct fdb *f = switch_get_fdb();
	uint64_t now = loop_now();
	struct dhcp_pool_info l;
	struct fdb_entry e;
	uint32_t pos = 0;

	for (unsigned int i = 0; i < port_count(); i++) {
		struct port *p = port_active(i);
		const struct guard_port *g = switch_port_guard(p);
		struct switch_port_info si;

		if (g->bound)
			ctl_cmd_add_mac(&x[p->id], g->mac);
		switch_port_info(p, &si);
		for (unsigned int k = 0; k < si.nip4; k++)
			ctl_cmd_add_ip(&x[p->id], si.ip4[k]);
		ctl_cmd_add_ip(&x[p->id], g->lease);
	}
	while (fdb_next(f, &pos, now, &e))
		if (e.port < port_max())
			ctl_cmd_add_mac(&x[e.port], e.mac);
	pos = 0;
	while (dhcp_lease_next(&pos, now, &l)) {
		int id = fdb_lookup(f, l.mac, now);

		if (l.leased && id >= 0)
			ctl_cmd_add_ip(&x[id], l.addr);
	}
}

/**
 * ctl_cmd_drops() - write a port's drops by reason
 * @w:		the writer
 * @p:		the port
 */
static void ctl_cmd_drops(struct json_wr *w, const struct port *p)
{
	const struct guard_port *g = switch_port_guard(p);

	json_obj_begin(w, "drops");
	json_put_u64(w, "queue_full", p->st.tx_dropped);
	json_put_u64(w, "bad_length", p->st.rx_bad);
	json_put_u64(w, "busy", p->st.rx_dropped);
	for (int k = GUARD_PASS + 1; k < GUARD_NREASONS; k++)
		json_put_u64(w, guard_reason_key((enum guard_reason)k),
			     g->drops[k]);
	json_obj_end(w);
}

/**
 * ctl_cmd_port() - write one port
 * @w:		the writer
 * @p:		the port
 * @x:		its MACs and addresses
 */
static void ctl_cmd_port(struct json_wr *w, const struct port *p,
			 const struct ctl_cmd_port *x)
{
	struct switch_port_info si;

	switch_port_info(p, &si);
	json_obj_begin(w, NULL);
	json_put_u64(w, "id", p->id);
	json_put_str(w, "kind", p->ops->name);
	json_put_i64(w, "uid", p->uid);
	json_put_i64(w, "pid", p->pid);
	json_arr_begin(w, "macs");
	for (unsigned int i = 0; i < x->nmac; i++)
		ctl_cmd_mac(w, NULL, x->mac[i]);
	json_arr_end(w);
	json_arr_begin(w, "ipv4");
	for (unsigned int i = 0; i < x->nip; i++)
		ctl_cmd_ip(w, NULL, x->ip[i]);
	json_arr_end(w);
	json_arr_begin(w, "ipv6");
	for (unsigned int i = 0; i < si.nip6; i++) {
		char text[INET6_ADDRSTRLEN];

		inet_ntop(AF_INET6, si.ip6[i], text, sizeof(text));
		json_put_str(w, NULL, text);
	}
	json_arr_end(w);
	json_put_u64(w, "rx_frames", p->st.rx_frames);
	json_put_u64(w, "rx_bytes", p->st.rx_bytes);
	json_put_u64(w, "tx_frames", p->st.tx_frames);
	json_put_u64(w, "tx_bytes", p->st.tx_bytes);
	ctl_cmd_drops(w, p);
	json_put_u64(w, "queue_used", p->txq.used);
	json_put_u64(w, "queue_size", p->txq.cap);
	json_put_u64(w, "queue_frames", p->txq.frames);
	json_put_u64(w, "waits", si.waits);
	json_put_bool(w, "stalled", si.stalled);
	json_obj_end(w);
}

/**
 * ctl_cmd_ports() - "ports": every open port, by id
 * @r:		the request
 * @w:		the answer
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 if out of memory
 */
static int ctl_cmd_ports(struct ctl_req *r, struct json_wr *w, char *err,
			 size_t errlen)
{
	struct ctl_cmd_port *x = calloc(port_max(), sizeof(*x));

	if (!x)
		return err_set(err, errlen, "out of memory");
	ctl_cmd_gather(x);
	json_arr_begin(w, "ports");
	for (unsigned int id = 0; id < port_max(); id++) {
		struct port *p = port_get(id);

		if (p)
			ctl_cmd_port(w, p, &x[id]);
	}
	json_arr_end(w);
	free(x);
	return 0;
}

/* --- fdb, leases --------------------------------------------------------- */

/**
 * ctl_cmd_fdb() - "fdb": the MAC table
 * @r:		the request
 * @w:		the answer
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0
 */
static int ctl_cmd_fdb(struct ctl_req *r, struct json_wr *w, char *err,
		       size_t errlen)
{
	uint64_t now = loop_now();
	struct fdb_entry e;
	uint32_t pos = 0;

	json_arr_begin(w, "fdb");
	while (fdb_next(switch_get_fdb(), &pos, now, &e)) {
		struct port *p = port_get(e.port);

		json_obj_begin(w, NULL);
		ctl_cmd_mac(w, "mac", e.mac);
		json_put_u64(w, "port", e.port);
		if (p)
			json_put_str(w, "kind", p->ops->name);
		json_put_u64(w, "age_ms", now - e.seen_ms);
		json_obj_end(w);
	}
	json_arr_end(w);
	return 0;
}

/**
 * ctl_cmd_hex() - write bytes as colon-separated hexadecimal
 * @w:		the writer
 * @key:	its key
 * @b:		the bytes
 * @n:		how many (at most DHCP_POOL_KEY_MAX)
 */
static void ctl_cmd_hex(struct json_wr *w, const char *key, const uint8_t *b,
			size_t n)
{
	char buf[DHCP_POOL_KEY_MAX * 3 + 1] = "";
	size_t len = 0;

	for (size_t i = 0; i < n && len + 3 < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%02x",
					i ? ":" : "", b[i]);
	json_put_str(w, key, buf);
}

/**
 * ctl_cmd_leases() - "leases": DHCP leases and reservations
 * @r:		the request
 * @w:		the answer
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0
 */
static int ctl_cmd_leases(struct ctl_req *r, struct json_wr *w, char *err,
			  size_t errlen)
{
	uint64_t now = loop_now();
	struct dhcp_pool_info l;
	uint32_t pos = 0;

	json_arr_begin(w, "leases");
	while (dhcp_lease_next(&pos, now, &l)) {
		json_obj_begin(w, NULL);
		ctl_cmd_mac(w, "mac", l.mac);
		ctl_cmd_hex(w, "client_id", l.id, l.idlen);
		json_put_str(w, "hostname", l.host);
		ctl_cmd_ip(w, "address", l.addr);
		if (l.expire_ms)
			json_put_i64(w, "expires_in_s",
				     (l.expire_ms - (int64_t)now) / 1000);
		else
			json_put_null(w, "expires_in_s");
		json_put_str(w, "state",
			     l.leased	   ? "leased"
			     : l.expire_ms ? "expired"
					   : "unused");
		json_put_bool(w, "reserved", l.reserved);
		json_obj_end(w);
	}
	json_arr_end(w);
	return 0;
}

/* --- capture, forward, disconnect, reload --------------------------------- */

/**
 * ctl_cmd_capture_begin() - start a capture and put the tap in the switch
 * @fd:		the file (owned by the capture from now on)
 * @f:		the filter
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int ctl_cmd_capture_begin(int fd, const struct capture_filter *f,
				 char *err, size_t errlen)
{
	if (capture_start(fd, f, err, errlen))
		return -1;
	switch_set_tap(capture_frame);
	log_info("capture started");
	return 0;
}

/**
 * ctl_cmd_capture_fd() - capture every frame to a file from the start
 * (--pcap)
 * @fd:		the file, opened by the daemon
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
int ctl_cmd_capture_fd(int fd, char *err, size_t errlen)
{
	struct capture_filter f = {.port = CAPTURE_ANY_PORT};

	return ctl_cmd_capture_begin(fd, &f, err, errlen);
}

/**
 * ctl_cmd_capture() - "capture": start, stop, or tell the state
 * @r:		the request (start: the file comes as a descriptor)
 * @w:		the answer
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int ctl_cmd_capture(struct ctl_req *r, struct json_wr *w, char *err,
			   size_t errlen)
{
	struct capture_filter f = {.port = CAPTURE_ANY_PORT};
	int fd;

	if (!strcmp(r->action, "start")) {
		if (r->fd < 0)
			return err_set(err, errlen,
				       "capture start needs the file passed "
				       "as a descriptor with the request");
		if (r->has_port)
			f.port = (int)r->port;
		f.has_mac = r->has_mac;
		memcpy(f.mac, r->mac, 6);
		f.max_bytes = r->max_bytes;
		if (capture_running())
			return err_set(err, errlen,
				       "a capture is already running");
		fd = r->fd;
		r->fd = -1; /* the capture owns it, even if it fails */
		if (ctl_cmd_capture_begin(fd, &f, err, errlen))
			return -1;
	} else if (!strcmp(r->action, "stop")) {
		if (!capture_running())
			return err_set(err, errlen, "no capture is running");
		switch_set_tap(NULL);
		r->wait_fd = capture_stop(); /* answer once the file is whole */
	} else if (r->action[0] && strcmp(r->action, "status")) {
		return err_set(err, errlen,
			       "capture: start, stop or status, not \"%s\"",
			       r->action);
	}
	ctl_cmd_capture_stats(w, "capture");
	return 0;
}

/**
 * ctl_cmd_forward() - "forward": live port forwards, where there are any
 * @r:		the request
 * @w:		the answer
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int ctl_cmd_forward(struct ctl_req *r, struct json_wr *w, char *err,
			   size_t errlen)
{
	const char *a = r->action[0] ? r->action : "list";

	if (strcmp(a, "list") && strcmp(a, "add") && strcmp(a, "remove"))
		return err_set(err, errlen,
			       "forward: list, add or remove, not \"%s\"", a);
	if (strcmp(a, "list") && !r->spec[0])
		return err_set(err, errlen, "forward %s needs a SPEC", a);
	if (!cc.info.forward)
		return err_set(err, errlen,
			       "forward: not available: this daemon's host "
			       "side forwards no ports (it needs the user-mode "
			       "NAT, or shared or host mode on Linux)");
	if (!r->action[0])
		snprintf(r->action, sizeof(r->action), "list");
	return cc.info.forward(r, w, err, errlen);
}

/**
 * ctl_cmd_disconnect() - "disconnect": close one port
 * @r:		the request ("port")
 * @w:		the answer
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int ctl_cmd_disconnect(struct ctl_req *r, struct json_wr *w, char *err,
			      size_t errlen)
{
	struct port *p = r->has_port && r->port < port_max()
			     ? port_get((unsigned int)r->port)
			     : NULL;
	char why[64];

	if (!r->has_port)
		return err_set(err, errlen, "disconnect needs a \"port\"");
	if (!p)
		return err_set(err, errlen, "no port %llu is open",
			       (unsigned long long)r->port);
	if (p->kind == PORT_HOST)
		return err_set(err, errlen,
			       "port %u is the host side; it cannot be "
			       "disconnected",
			       p->id);
	snprintf(why, sizeof(why), "disconnected by control request (uid %ld)",
		 r->uid);
	json_put_u64(w, "port", p->id);
	json_put_str(w, "kind", p->ops->name);
	port_close(p, why);
	return 0;
}

/**
 * ctl_cmd_reload() - "reload": what SIGHUP does
 * @r:		the request
 * @w:		the answer
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int ctl_cmd_reload(struct ctl_req *r, struct json_wr *w, char *err,
			  size_t errlen)
{
	if (!cc.info.reload)
		return err_set(err, errlen, "nothing to reload");
	return cc.info.reload(err, errlen);
}

/* --- metrics ------------------------------------------------------------- */

/**
 * ctl_cmd_printf() - append to a text
 * @t:		the text
 * @fmt:	format
 */
static void __attribute__((format(printf, 2, 3)))
ctl_cmd_printf(struct ctl_cmd_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < t->cap - t->len)
			break;
		if (n < 0 || t->cap >= CTL_ANSWER_MAX / 2) {
			t->failed = true;
			return;
		}
		char *b = realloc(t->buf, t->cap * 2);

		if (!b) {
			t->failed = true;
			return;
		}
		t->buf = b;
		t->cap *= 2;
	}
	t->len += (size_t)n;
}

/**
 * ctl_cmd_family() - start a metric family
 * @t:		the text
 * @name:	its name (after "socket_vmnet_")
 * @type:	"counter" or "gauge"
 * @help:	its help line
 */
static void ctl_cmd_family(struct ctl_cmd_text *t, const char *name,
			   const char *type, const char *help)
{
	ctl_cmd_printf(t,
		       "# HELP socket_vmnet_%s %s\n# TYPE socket_vmnet_%s %s\n",
		       name, help, name, type);
}

/**
 * ctl_cmd_label() - copy a label value, escaped for the exposition format
 * @dst:	where it goes
 * @cap:	its size
 * @src:	the value
 *
 * Return: @dst
 */
static const char *ctl_cmd_label(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	for (; *src && n + 3 < cap; src++) {
		if (*src == '"' || *src == '\\' || *src == '\n')
			dst[n++] = '\\';
		dst[n++] = *src == '\n' ? 'n' : *src;
	}
	dst[n] = '\0';
	return dst;
}

/**
 * ctl_cmd_port_metric() - one per-port family
 * @t:		the text
 * @name:	its name
 * @help:	its help line
 * @off:	offset of the counter in struct port_stats
 */
static void ctl_cmd_port_metric(struct ctl_cmd_text *t, const char *name,
				const char *help, size_t off)
{
	ctl_cmd_family(t, name, "counter", help);
	for (unsigned int i = 0; i < port_count(); i++) {
		const struct port *p = port_active(i);

		uint64_t v;

		memcpy(&v, (const char *)&p->st + off, sizeof(v));
		ctl_cmd_printf(
		    t, "socket_vmnet_%s{port=\"%u\",kind=\"%s\"} %llu\n", name,
		    p->id, p->ops->name, (unsigned long long)v);
	}
}

/**
 * ctl_cmd_port_drops() - the per-port drops family
 * @t:		the text
 */
static void ctl_cmd_port_drops(struct ctl_cmd_text *t)
{
	ctl_cmd_family(t, "port_drops_total", "counter",
		       "Frames dropped, by port and reason.");
	for (unsigned int i = 0; i < port_count(); i++) {
		const struct port *p = port_active(i);
		const struct guard_port *g = switch_port_guard(p);
		const char *fmt = "socket_vmnet_port_drops_total{port=\"%u\","
				  "kind=\"%s\",reason=\"%s\"} %llu\n";

		ctl_cmd_printf(t, fmt, p->id, p->ops->name, "queue_full",
			       (unsigned long long)p->st.tx_dropped);
		ctl_cmd_printf(t, fmt, p->id, p->ops->name, "bad_length",
			       (unsigned long long)p->st.rx_bad);
		ctl_cmd_printf(t, fmt, p->id, p->ops->name, "busy",
			       (unsigned long long)p->st.rx_dropped);
		for (int k = GUARD_PASS + 1; k < GUARD_NREASONS; k++)
			ctl_cmd_printf(t, fmt, p->id, p->ops->name,
				       guard_reason_key((enum guard_reason)k),
				       (unsigned long long)g->drops[k]);
	}
}

/**
 * ctl_cmd_port_gauges() - queue fill and waits per port
 * @t:		the text
 */
static void ctl_cmd_port_gauges(struct ctl_cmd_text *t)
{
	ctl_cmd_family(t, "port_queue_bytes", "gauge",
		       "Bytes waiting in the port's output queue.");
	for (unsigned int i = 0; i < port_count(); i++) {
		const struct port *p = port_active(i);

		ctl_cmd_printf(t,
			       "socket_vmnet_port_queue_bytes{port=\"%u\","
			       "kind=\"%s\"} %zu\n",
			       p->id, p->ops->name, p->txq.used);
	}
	ctl_cmd_family(t, "port_waits_total", "counter",
		       "Times the port waited for a busy destination.");
	for (unsigned int i = 0; i < port_count(); i++) {
		const struct port *p = port_active(i);
		struct switch_port_info si;

		switch_port_info(p, &si);
		ctl_cmd_printf(t,
			       "socket_vmnet_port_waits_total{port=\"%u\","
			       "kind=\"%s\"} %llu\n",
			       p->id, p->ops->name,
			       (unsigned long long)si.waits);
	}
}

/**
 * ctl_cmd_switch_metrics() - the daemon's and the switch's families
 * @t:		the text
 */
static void ctl_cmd_switch_metrics(struct ctl_cmd_text *t)
{
	const struct switch_stats *s = switch_get_stats();
	const struct fdb *f = switch_get_fdb();
	struct capture_stats cs;
	char v[64], m[32];

	capture_get_stats(&cs);
	ctl_cmd_family(t, "info", "gauge", "Version, mode and host side.");
	ctl_cmd_printf(t,
		       "socket_vmnet_info{version=\"%s\",mode=\"%s\","
		       "uplink=\"%s\"} 1\n",
		       ctl_cmd_label(v, sizeof(v), cc.info.version),
		       ctl_cmd_label(m, sizeof(m), cc.info.mode),
		       cc.info.uplink);
	ctl_cmd_family(t, "uptime_seconds", "gauge", "Seconds since start.");
	ctl_cmd_printf(t, "socket_vmnet_uptime_seconds %llu\n",
		       (unsigned long long)(loop_now() - cc.start_ms) / 1000);
	ctl_cmd_family(t, "ports", "gauge", "Open ports.");
	ctl_cmd_printf(t, "socket_vmnet_ports %u\n", port_count());
	ctl_cmd_family(t, "switched_frames_total", "counter",
		       "Frames switched, by how.");
	ctl_cmd_printf(t,
		       "socket_vmnet_switched_frames_total{how=\"unicast\"} "
		       "%llu\nsocket_vmnet_switched_frames_total{how="
		       "\"flooded\"} %llu\nsocket_vmnet_switched_frames_total"
		       "{how=\"local\"} %llu\n",
		       (unsigned long long)s->unicast,
		       (unsigned long long)s->flooded,
		       (unsigned long long)s->local);
	ctl_cmd_family(t, "bad_source_frames_total", "counter",
		       "Frames dropped for a group or zero source MAC.");
	ctl_cmd_printf(t, "socket_vmnet_bad_source_frames_total %llu\n",
		       (unsigned long long)s->bad_src);
	ctl_cmd_family(t, "fdb_learned_total", "counter",
		       "MAC addresses learned.");
	ctl_cmd_printf(t, "socket_vmnet_fdb_learned_total %llu\n",
		       (unsigned long long)f->learned);
	ctl_cmd_family(t, "capture_frames_total", "counter",
		       "Frames handed to the capture writer.");
	ctl_cmd_printf(t, "socket_vmnet_capture_frames_total %llu\n",
		       (unsigned long long)cs.frames);
	ctl_cmd_family(t, "capture_dropped_total", "counter",
		       "Frames the capture lost because the writer lagged.");
	ctl_cmd_printf(t, "socket_vmnet_capture_dropped_total %llu\n",
		       (unsigned long long)cs.dropped);
}

/**
 * ctl_cmd_metrics() - "metrics": the Prometheus text exposition format
 * @r:		the request
 * @w:		the answer ("text")
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 if out of memory
 */
static int ctl_cmd_metrics(struct ctl_req *r, struct json_wr *w, char *err,
			   size_t errlen)
{
	struct ctl_cmd_text t = {.buf = malloc(65536), .cap = 65536};

	t.failed = !t.buf;
	ctl_cmd_switch_metrics(&t);
	ctl_cmd_port_metric(&t, "port_rx_frames_total",
			    "Frames received from the port.",
			    offsetof(struct port_stats, rx_frames));
	ctl_cmd_port_metric(&t, "port_rx_bytes_total",
			    "Bytes received from the port.",
			    offsetof(struct port_stats, rx_bytes));
	ctl_cmd_port_metric(&t, "port_tx_frames_total",
			    "Frames queued to the port.",
			    offsetof(struct port_stats, tx_frames));
	ctl_cmd_port_metric(&t, "port_tx_bytes_total",
			    "Bytes queued to the port.",
			    offsetof(struct port_stats, tx_bytes));
	ctl_cmd_port_drops(&t);
	ctl_cmd_port_gauges(&t);
	if (t.failed) {
		free(t.buf);
		return err_set(err, errlen, "out of memory");
	}
	json_put_strn(w, "text", t.buf, t.len);
	free(t.buf);
	return 0;
}

/* --- the table ----------------------------------------------------------- */

/**
 * struct ctl_cmd - one command
 * @name:	its name
 * @fn:		what answers it
 * @reads_only:	it changes nothing (may run again for a bigger answer)
 */
struct ctl_cmd {
	const char *name;
	int (*fn)(struct ctl_req *r, struct json_wr *w, char *err,
		  size_t errlen);
	bool reads_only;
};

static const struct ctl_cmd ctl_cmds[] = {
    {"status", ctl_cmd_status, true},
    {"ports", ctl_cmd_ports, true},
    {"fdb", ctl_cmd_fdb, true},
    {"leases", ctl_cmd_leases, true},
    {"metrics", ctl_cmd_metrics, true},
    {"forward", ctl_cmd_forward, false},
    {"capture", ctl_cmd_capture, false},
    {"disconnect", ctl_cmd_disconnect, false},
    {"reload", ctl_cmd_reload, false},
};

/**
 * ctl_cmd_find() - look a command up
 * @name:	its name
 *
 * Return: its row, or NULL
 */
static const struct ctl_cmd *ctl_cmd_find(const char *name)
{
	for (size_t i = 0; i < sizeof(ctl_cmds) / sizeof(ctl_cmds[0]); i++)
		if (!strcmp(ctl_cmds[i].name, name))
			return &ctl_cmds[i];
	return NULL;
}

/**
 * ctl_cmd_answer() - carry out a request and write its answer's members
 * @r:		the request
 * @w:		the answer, inside its object
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
int ctl_cmd_answer(struct ctl_req *r, struct json_wr *w, char *err,
		   size_t errlen)
{
	const struct ctl_cmd *c = ctl_cmd_find(r->cmd);

	if (!c)
		return err_set(err, errlen, "unknown command \"%s\"", r->cmd);
	return c->fn(r, w, err, errlen);
}

/**
 * ctl_cmd_rerun() - tell whether a request may run again
 * @r:		the request, or NULL
 *
 * Return: true for a command that changes nothing
 */
bool ctl_cmd_rerun(const struct ctl_req *r)
{
	const struct ctl_cmd *c = r ? ctl_cmd_find(r->cmd) : NULL;

	return c && c->reads_only;
}

/**
 * ctl_cmd_fini() - stop the capture (at exit), waiting a little for it
 */
void ctl_cmd_fini(void)
{
	switch_set_tap(NULL);
	capture_fini(2000);
}
