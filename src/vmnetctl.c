/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socket_vmnetctl: look inside a running socket_vmnet and steer it through
 * its control socket (docs/CONTROL.md, socket_vmnetctl(1)). Sends one
 * request line, reads one answer line, and prints it as a table (or as it
 * came with --json). "capture start FILE" opens FILE here, with the rights
 * of whoever runs this program, and passes the descriptor to the daemon.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "addr.h"
#include "ctl.h"
#include "json.h"

#ifndef VERSION
#define VERSION "unknown"
#endif

#define VMNETCTL_DEFAULT "/var/run/socket_vmnet.ctl"
#define VMNETCTL_COLS	 12u  /* columns of a table, at most */
#define VMNETCTL_CELL	 160u /* bytes of a cell, at most */

/**
 * struct vmnetctl - the program's state
 * @path:	the control socket
 * @json:	print answers as they came
 * @timeout_ms:	longest wait for the answer
 * @text:	the answer
 * @len:	its length
 * @t:		its tokens
 * @ntok:	how many
 */
static struct vmnetctl {
	const char *path;
	bool json;
	int timeout_ms;
	char *text;
	size_t len;
	struct json_tok *t;
	int ntok;
} vc = {.path = VMNETCTL_DEFAULT, .timeout_ms = 10000};

/**
 * struct vmnetctl_table - rows of cells printed in aligned columns
 * @cell:	the cells, row by row
 * @rows:	rows filled
 * @cap:	rows allocated
 * @cols:	columns
 */
struct vmnetctl_table {
	char (*cell)[VMNETCTL_COLS][VMNETCTL_CELL];
	size_t rows;
	size_t cap;
	unsigned int cols;
};

/**
 * vmnetctl_usage() - print the help text
 * @f:		where
 */
static void vmnetctl_usage(FILE *f)
{
	fprintf(
	    f, "Usage: socket_vmnetctl [--control=PATH | SOCKET] [--json] "
	       "[--timeout=SECONDS] COMMAND [ARGS]\n"
	       "Look inside a running socket_vmnet and steer it.\n\n"
	       "Commands:\n"
	       "  status                    version, uptime, mode, network, "
	       "totals\n"
	       "  ports                     each port: kind, peer, MACs, "
	       "addresses, counters\n"
	       "  fdb                       the MAC table\n"
	       "  leases                    DHCP leases and reservations\n"
	       "  forward list|add SPEC|remove SPEC\n"
	       "                            live port forwards (list, add, "
	       "remove)\n"
	       "  capture start FILE [--port=N] [--mac=MAC] [--max-bytes=N]\n"
	       "                            write frames to FILE (pcap; - for "
	       "stdout)\n"
	       "  capture stop | capture [status]\n"
	       "                            stop the capture | show its state\n"
	       "  metrics                   counters, Prometheus text format\n"
	       "  disconnect PORT           close one port\n"
	       "  reload                    reread DHCP reservations (as "
	       "SIGHUP)\n\n"
	       "Options:\n"
	       "  --control=PATH            the control socket (default: "
	       "SOCKET.ctl, or " VMNETCTL_DEFAULT ")\n"
	       "  --json                    print the daemon's JSON answer\n"
	       "  --timeout=SECONDS         wait this long for an answer "
	       "(default: 10)\n"
	       "  -h, --help                show this text\n"
	       "  -v, --version             show the version\n");
}

/**
 * vmnetctl_die() - print a message and exit
 * @code:	exit status
 * @fmt:	format
 */
static void __attribute__((format(printf, 2, 3), noreturn))
vmnetctl_die(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("socket_vmnetctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

/* --- the exchange -------------------------------------------------------- */

/**
 * vmnetctl_connect() - connect to the control socket
 *
 * Return: the socket
 */
static int vmnetctl_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (strlen(vc.path) >= sizeof(sa.sun_path))
		vmnetctl_die(2, "%s: path too long", vc.path);
	strcpy(sa.sun_path, vc.path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		vmnetctl_die(1, "%s: %s", vc.path, strerror(errno));
	return fd;
}

/**
 * vmnetctl_send() - send the request line, with a descriptor if given
 * @s:		the socket
 * @line:	the line, newline included
 * @len:	its length
 * @fd:		descriptor to pass, or -1
 */
static void vmnetctl_send(int s, const char *line, size_t len, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct iovec iov = {(void *)line, len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};

	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf.buf;
		msg.msg_controllen = sizeof(cbuf.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	/* A refused client may find the connection closed already: the
	 * daemon's answer says why. */
	if (sendmsg(s, &msg, 0) != (ssize_t)len && errno != EPIPE &&
	    errno != ECONNRESET)
		vmnetctl_die(1, "sending the request: %s", strerror(errno));
}

/**
 * vmnetctl_receive() - read the answer line into vc.text
 * @s:		the socket
 */
static void vmnetctl_receive(int s)
{
	size_t cap = 65536;

	vc.text = malloc(cap);
	vc.len = 0;
	for (;;) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		char *nl;
		ssize_t n;

		if (!vc.text)
			vmnetctl_die(1, "out of memory");
		if (poll(&p, 1, vc.timeout_ms) == 0)
			vmnetctl_die(1, "no answer from %s", vc.path);
		n = read(s, vc.text + vc.len, cap - vc.len - 1);
		if (n <= 0)
			vmnetctl_die(1, "%s closed the connection", vc.path);
		vc.len += (size_t)n;
		vc.text[vc.len] = '\0';
		if ((nl = memchr(vc.text, '\n', vc.len))) {
			vc.len = (size_t)(nl - vc.text);
			return;
		}
		if (vc.len + 1 == cap) {
			if (cap >= CTL_ANSWER_MAX + 1u)
				vmnetctl_die(1, "answer too long");
			cap *= 2;
			vc.text = realloc(vc.text, cap);
		}
	}
}

/**
 * vmnetctl_parse() - cut the answer into tokens
 */
static void vmnetctl_parse(void)
{
	unsigned int max = (unsigned int)(vc.len / 2 + 4);

	vc.t = calloc(max, sizeof(*vc.t));
	if (!vc.t)
		vmnetctl_die(1, "out of memory");
	vc.ntok = json_parse(vc.text, vc.len, vc.t, max);
	if (vc.ntok < 1 || vc.t[0].type != JSON_OBJECT)
		vmnetctl_die(1, "the daemon's answer is not a JSON object");
}

/**
 * vmnetctl_get() - a member's value as text
 * @obj:	index of an object token
 * @key:	the member
 * @buf:	where the text goes ("" when absent)
 * @len:	its size
 *
 * Return: @buf
 */
static char *vmnetctl_get(int obj, const char *key, char *buf, size_t len)
{
	int i = json_get(vc.text, vc.t, obj, key);

	buf[0] = '\0';
	if (i < 0)
		return buf;
	if (vc.t[i].type == JSON_STRING) {
		json_str(vc.text, &vc.t[i], buf, len, NULL);
	} else {
		size_t n = vc.t[i].end - vc.t[i].start;

		if (n >= len)
			n = len - 1;
		memcpy(buf, vc.text + vc.t[i].start, n);
		buf[n] = '\0';
	}
	return buf;
}

/**
 * vmnetctl_exchange() - send a request and get its answer
 * @req:	the request, a JSON object without newline
 * @fd:		descriptor to pass with it, or -1
 *
 * Exits with status 1 when the daemon answers with an error (printed).
 */
static void vmnetctl_exchange(const char *req, int fd)
{
	char line[CTL_SPEC_MAX + 512], msg[512];
	int s = vmnetctl_connect();
	int n = snprintf(line, sizeof(line), "%s\n", req);

	vmnetctl_send(s, line, (size_t)n, fd);
	vmnetctl_receive(s);
	close(s);
	vmnetctl_parse();
	if (strcmp(vmnetctl_get(0, "ok", msg, sizeof(msg)), "true")) {
		if (vc.json)
			printf("%.*s\n", (int)vc.len, vc.text);
		vmnetctl_die(1, "%s",
			     vmnetctl_get(0, "error", msg, sizeof(msg)));
	}
}

/* --- tables ------------------------------------------------------------ */

/**
 * vmnetctl_row() - add a row to a table
 * @tb:		the table
 * @...:	@tb->cols strings
 */
static void vmnetctl_row(struct vmnetctl_table *tb, ...)
{
	va_list ap;

	if (tb->rows == tb->cap) {
		tb->cap = tb->cap ? tb->cap * 2 : 16;
		tb->cell = realloc(tb->cell, tb->cap * sizeof(*tb->cell));
		if (!tb->cell)
			vmnetctl_die(1, "out of memory");
	}
	va_start(ap, tb);
	for (unsigned int c = 0; c < tb->cols; c++)
		snprintf(tb->cell[tb->rows][c], VMNETCTL_CELL, "%s",
			 va_arg(ap, const char *));
	va_end(ap);
	tb->rows++;
}

/**
 * vmnetctl_print() - print a table, columns aligned, and free it
 * @tb:		the table
 */
static void vmnetctl_print(struct vmnetctl_table *tb)
{
	size_t w[VMNETCTL_COLS] = {0};

	for (size_t r = 0; r < tb->rows; r++)
		for (unsigned int c = 0; c < tb->cols; c++)
			if (strlen(tb->cell[r][c]) > w[c])
				w[c] = strlen(tb->cell[r][c]);
	for (size_t r = 0; r < tb->rows; r++) {
		for (unsigned int c = 0; c + 1 < tb->cols; c++)
			printf("%-*s  ", (int)w[c], tb->cell[r][c]);
		printf("%s\n", tb->cell[r][tb->cols - 1]);
	}
	free(tb->cell);
	tb->cell = NULL;
	tb->rows = tb->cap = 0;
}

/**
 * vmnetctl_list() - join the strings of an array member
 * @obj:	the object
 * @key:	the member
 * @buf:	the result ("-" when empty)
 * @len:	its size
 *
 * Return: @buf
 */
static char *vmnetctl_list(int obj, const char *key, char *buf, size_t len)
{
	int a = json_get(vc.text, vc.t, obj, key);
	size_t n = 0;

	snprintf(buf, len, "-");
	if (a < 0 || vc.t[a].type != JSON_ARRAY)
		return buf;
	for (uint32_t k = 0, i = (uint32_t)a + 1; k < vc.t[a].count;
	     k++, i = vc.t[i].next) {
		char item[64];

		json_str(vc.text, &vc.t[i], item, sizeof(item), NULL);
		n += (size_t)snprintf(buf + n, len > n ? len - n : 0, "%s%s",
				      k ? "," : "", item);
		if (n >= len)
			break;
	}
	return buf;
}

/**
 * vmnetctl_items() - the elements of an array member
 * @key:	member of the answer
 * @count:	set to how many
 *
 * Return: index of the first element's token (walk with .next)
 */
static int vmnetctl_items(const char *key, uint32_t *count)
{
	int a = json_get(vc.text, vc.t, 0, key);

	*count = a >= 0 && vc.t[a].type == JSON_ARRAY ? vc.t[a].count : 0;
	return a + 1;
}

/* --- the commands ----------------------------------------------------------
 */

/**
 * vmnetctl_status() - print "status"
 */
static void vmnetctl_status(void)
{
	struct vmnetctl_table tb = {.cols = 2};
	int net = json_get(vc.text, vc.t, 0, "network");
	int tot = json_get(vc.text, vc.t, 0, "totals");
	int cap = json_get(vc.text, vc.t, 0, "capture");
	char a[8][64], line[512];

	vmnetctl_row(&tb, "version", vmnetctl_get(0, "version", a[0], 64));
	vmnetctl_row(&tb, "pid", vmnetctl_get(0, "pid", a[0], 64));
	snprintf(line, sizeof(line), "%ss",
		 vmnetctl_get(0, "uptime_s", a[0], 64));
	vmnetctl_row(&tb, "uptime", line);
	vmnetctl_row(&tb, "mode", vmnetctl_get(0, "mode", a[0], 64));
	snprintf(line, sizeof(line), "%s%s%s",
		 vmnetctl_get(0, "uplink", a[0], 64),
		 vmnetctl_get(0, "interface", a[1], 64)[0] ? " " : "", a[1]);
	vmnetctl_row(&tb, "uplink", line);
	if (net >= 0) {
		snprintf(line, sizeof(line), "gateway %s mask %s%s%s%s%s",
			 vmnetctl_get(net, "gateway", a[0], 64),
			 vmnetctl_get(net, "mask", a[1], 64),
			 vmnetctl_get(net, "dhcp_first", a[2], 64)[0]
			     ? ", DHCP "
			     : "",
			 a[2], a[2][0] ? "-" : "",
			 vmnetctl_get(net, "dhcp_last", a[3], 64));
		vmnetctl_row(&tb, "network", line);
	}
	snprintf(line, sizeof(line), "%s open, at most %s",
		 vmnetctl_get(0, "ports", a[0], 64),
		 vmnetctl_get(0, "max_ports", a[1], 64));
	vmnetctl_row(&tb, "ports", line);
	snprintf(line, sizeof(line), "rx %s (%s bytes), tx %s (%s bytes)",
		 vmnetctl_get(tot, "rx_frames", a[0], 64),
		 vmnetctl_get(tot, "rx_bytes", a[1], 64),
		 vmnetctl_get(tot, "tx_frames", a[2], 64),
		 vmnetctl_get(tot, "tx_bytes", a[3], 64));
	vmnetctl_row(&tb, "frames", line);
	snprintf(line, sizeof(line), "unicast %s, flooded %s, local %s",
		 vmnetctl_get(tot, "unicast", a[0], 64),
		 vmnetctl_get(tot, "flooded", a[1], 64),
		 vmnetctl_get(tot, "local", a[2], 64));
	vmnetctl_row(&tb, "switched", line);
	snprintf(line, sizeof(line),
		 "queue full %s, bad %s, bad source %s; waits %s",
		 vmnetctl_get(tot, "queue_full", a[0], 64),
		 vmnetctl_get(tot, "bad", a[1], 64),
		 vmnetctl_get(tot, "bad_source", a[2], 64),
		 vmnetctl_get(tot, "waits", a[3], 64));
	vmnetctl_row(&tb, "drops", line);
	snprintf(line, sizeof(line), "learned %s, moved %s, evicted %s",
		 vmnetctl_get(tot, "fdb_learned", a[0], 64),
		 vmnetctl_get(tot, "fdb_moved", a[1], 64),
		 vmnetctl_get(tot, "fdb_evicted", a[2], 64));
	vmnetctl_row(&tb, "fdb", line);
	snprintf(line, sizeof(line), "%s: %s frames, %s bytes, %s dropped",
		 !strcmp(vmnetctl_get(cap, "running", a[0], 64), "true")
		     ? "running"
		     : "off (last)",
		 vmnetctl_get(cap, "frames", a[1], 64),
		 vmnetctl_get(cap, "bytes", a[2], 64),
		 vmnetctl_get(cap, "dropped", a[3], 64));
	vmnetctl_row(&tb, "capture", line);
	vmnetctl_print(&tb);
}

/**
 * vmnetctl_drops() - a port's drops as "N (reason=N,...)"
 * @obj:	the port's object
 * @buf:	the result
 * @len:	its size
 *
 * Return: @buf
 */
static char *vmnetctl_drops(int obj, char *buf, size_t len)
{
	int d = json_get(vc.text, vc.t, obj, "drops");
	unsigned long long sum = 0;
	char why[VMNETCTL_CELL] = "";
	size_t n = 0;

	for (uint32_t k = 0, i = (uint32_t)d + 1; d >= 0 && k < vc.t[d].count;
	     k++, i = vc.t[i + 1].next) {
		uint64_t v = 0;
		char key[32];

		json_str(vc.text, &vc.t[i], key, sizeof(key), NULL);
		if (!json_u64(vc.text, &vc.t[i + 1], &v) || !v)
			continue;
		sum += v;
		n += (size_t)snprintf(
		    why + n, n < sizeof(why) ? sizeof(why) - n : 0, "%s%s=%llu",
		    n ? "," : "", key, (unsigned long long)v);
	}
	snprintf(buf, len, sum ? "%llu (%s)" : "%llu%s", sum, why);
	return buf;
}

/**
 * vmnetctl_ports() - print "ports"
 */
static void vmnetctl_ports(void)
{
	struct vmnetctl_table tb = {.cols = 12};
	uint32_t n;
	int i = vmnetctl_items("ports", &n);

	vmnetctl_row(&tb, "ID", "KIND", "UID/PID", "MACS", "IPV4", "RX",
		     "RX-BYTES", "TX", "TX-BYTES", "DROPS", "QUEUE", "WAITS");
	for (uint32_t k = 0; k < n; k++, i = (int)vc.t[i].next) {
		char c[12][VMNETCTL_CELL];

		snprintf(c[2], sizeof(c[2]), "%s/%s",
			 vmnetctl_get(i, "uid", c[0], 32),
			 vmnetctl_get(i, "pid", c[1], 32));
		snprintf(c[10], sizeof(c[10]), "%s/%s",
			 vmnetctl_get(i, "queue_used", c[0], 32),
			 vmnetctl_get(i, "queue_size", c[1], 32));
		vmnetctl_row(&tb, vmnetctl_get(i, "id", c[0], 32),
			     vmnetctl_get(i, "kind", c[1], 32), c[2],
			     vmnetctl_list(i, "macs", c[3], VMNETCTL_CELL),
			     vmnetctl_list(i, "ipv4", c[4], VMNETCTL_CELL),
			     vmnetctl_get(i, "rx_frames", c[5], 32),
			     vmnetctl_get(i, "rx_bytes", c[6], 32),
			     vmnetctl_get(i, "tx_frames", c[7], 32),
			     vmnetctl_get(i, "tx_bytes", c[8], 32),
			     vmnetctl_drops(i, c[9], VMNETCTL_CELL), c[10],
			     vmnetctl_get(i, "waits", c[11], 32));
	}
	vmnetctl_print(&tb);
}

/**
 * vmnetctl_fdb() - print "fdb"
 */
static void vmnetctl_fdb(void)
{
	struct vmnetctl_table tb = {.cols = 4};
	uint32_t n;
	int i = vmnetctl_items("fdb", &n);

	vmnetctl_row(&tb, "MAC", "PORT", "KIND", "AGE");
	for (uint32_t k = 0; k < n; k++, i = (int)vc.t[i].next) {
		char c[4][64];
		uint64_t ms =
		    strtoull(vmnetctl_get(i, "age_ms", c[3], 64), NULL, 10);

		snprintf(c[3], sizeof(c[3]), "%llu.%llus",
			 (unsigned long long)ms / 1000,
			 (unsigned long long)(ms % 1000) / 100);
		vmnetctl_row(&tb, vmnetctl_get(i, "mac", c[0], 64),
			     vmnetctl_get(i, "port", c[1], 64),
			     vmnetctl_get(i, "kind", c[2], 64), c[3]);
	}
	vmnetctl_print(&tb);
}

/**
 * vmnetctl_leases() - print "leases"
 */
static void vmnetctl_leases(void)
{
	struct vmnetctl_table tb = {.cols = 7};
	uint32_t n;
	int i = vmnetctl_items("leases", &n);

	vmnetctl_row(&tb, "ADDRESS", "MAC", "HOSTNAME", "CLIENT-ID", "EXPIRES",
		     "STATE", "RESERVED");
	for (uint32_t k = 0; k < n; k++, i = (int)vc.t[i].next) {
		char c[7][VMNETCTL_CELL];

		vmnetctl_get(i, "expires_in_s", c[4], 64);
		if (strcmp(c[4], "null"))
			strcat(c[4], "s");
		else
			strcpy(c[4], "-");
		vmnetctl_row(
		    &tb, vmnetctl_get(i, "address", c[0], 64),
		    vmnetctl_get(i, "mac", c[1], 64),
		    vmnetctl_get(i, "hostname", c[2], 64)[0] ? c[2] : "-",
		    vmnetctl_get(i, "client_id", c[3], VMNETCTL_CELL)[0] ? c[3]
									 : "-",
		    c[4], vmnetctl_get(i, "state", c[5], 64),
		    strcmp(vmnetctl_get(i, "reserved", c[6], 64), "true")
			? "no"
			: "yes");
	}
	vmnetctl_print(&tb);
}

/**
 * vmnetctl_capture_open() - open the capture file as the user running us
 * @file:	the path, or "-" for standard output
 *
 * Return: the descriptor
 */
static int vmnetctl_capture_open(const char *file)
{
	int fd =
	    strcmp(file, "-")
		? open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
		: dup(STDOUT_FILENO);

	if (fd < 0)
		vmnetctl_die(1, "%s: %s", file, strerror(errno));
	return fd;
}

/**
 * vmnetctl_capture_args() - add capture start's options to the request
 * @w:		the request
 * @argc:	arguments after FILE
 * @argv:	them
 */
static void vmnetctl_capture_args(struct json_wr *w, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		uint8_t mac[6];
		char *end;
		unsigned long long v;

		if (!strncmp(a, "--mac=", 6)) {
			if (!addr_mac_parse(a + 6, mac))
				vmnetctl_die(2, "%s: not a MAC address", a);
			json_put_str(w, "mac", a + 6);
			continue;
		}
		if (strncmp(a, "--port=", 7) && strncmp(a, "--max-bytes=", 12))
			vmnetctl_die(2, "capture start: unknown option %s", a);
		errno = 0;
		v = strtoull(strchr(a, '=') + 1, &end, 10);
		if (errno || *end || end == strchr(a, '=') + 1)
			vmnetctl_die(2, "%s: not a number", a);
		json_put_u64(w, a[2] == 'p' ? "port" : "max_bytes", v);
	}
}

/**
 * vmnetctl_capture() - "capture start|stop|status"
 * @w:		the request, open
 * @argc:	arguments after "capture"
 * @argv:	them
 *
 * Return: the descriptor to pass, or -1
 */
static int vmnetctl_capture(struct json_wr *w, int argc, char **argv)
{
	const char *action = argc ? argv[0] : "status";

	json_put_str(w, "action", action);
	if (strcmp(action, "start")) {
		if (argc > 1 ||
		    (strcmp(action, "stop") && strcmp(action, "status")))
			vmnetctl_die(2, "usage: capture start FILE [OPTIONS] | "
					"capture stop | capture");
		return -1;
	}
	if (argc < 2)
		vmnetctl_die(2, "capture start needs a FILE");
	vmnetctl_capture_args(w, argc - 2, argv + 2);
	return vmnetctl_capture_open(argv[1]);
}

/**
 * vmnetctl_request() - build the request of a command line
 * @w:		the request, written
 * @argc:	the command and its arguments
 * @argv:	them
 *
 * Return: a descriptor to pass, or -1
 */
static int vmnetctl_request(struct json_wr *w, int argc, char **argv)
{
	const char *cmd = argv[0];
	int fd = -1;

	json_obj_begin(w, NULL);
	json_put_u64(w, "v", CTL_VERSION);
	json_put_str(w, "cmd", cmd);
	if (!strcmp(cmd, "capture")) {
		fd = vmnetctl_capture(w, argc - 1, argv + 1);
	} else if (!strcmp(cmd, "forward")) {
		if (argc < 2 || argc > 3 ||
		    (argc == 3) == !strcmp(argv[1], "list"))
			vmnetctl_die(2,
				     "usage: forward list | forward add SPEC "
				     "| forward remove SPEC");
		json_put_str(w, "action", argv[1]);
		if (argc == 3)
			json_put_str(w, "spec", argv[2]);
	} else if (!strcmp(cmd, "disconnect")) {
		char *end;
		unsigned long v = argc == 2 ? strtoul(argv[1], &end, 10) : 0;

		if (argc != 2 || !argv[1][0] || *end)
			vmnetctl_die(2, "usage: disconnect PORT");
		json_put_u64(w, "port", v);
	} else if (argc != 1) {
		vmnetctl_die(2, "%s takes no arguments", cmd);
	}
	json_obj_end(w);
	return fd;
}

/**
 * vmnetctl_forwards() - print the forwards in force, one a line
 */
static void vmnetctl_forwards(void)
{
	char spec[128];
	uint32_t n;
	int i = vmnetctl_items("forwards", &n);

	if (!n)
		printf("no forwards\n");
	for (uint32_t k = 0; k < n; k++, i = (int)vc.t[i].next) {
		json_str(vc.text, &vc.t[i], spec, sizeof(spec), NULL);
		printf("%s\n", spec);
	}
}

/**
 * vmnetctl_show() - print the answer for a person
 * @cmd:	the command
 */
static void vmnetctl_show(const char *cmd)
{
	char buf[256];
	int i;

	if (!strcmp(cmd, "status"))
		vmnetctl_status();
	else if (!strcmp(cmd, "ports"))
		vmnetctl_ports();
	else if (!strcmp(cmd, "fdb"))
		vmnetctl_fdb();
	else if (!strcmp(cmd, "leases"))
		vmnetctl_leases();
	else if (!strcmp(cmd, "forward"))
		vmnetctl_forwards();
	else if (!strcmp(cmd, "metrics") &&
		 (i = json_get(vc.text, vc.t, 0, "text")) >= 0) {
		size_t cap = vc.t[i].end - vc.t[i].start + 1;
		char *t = malloc(cap);

		if (t) {
			json_str(vc.text, &vc.t[i], t, cap, NULL);
			fputs(t, stdout);
		}
		free(t);
	} else if (!strcmp(cmd, "disconnect"))
		printf("port %s (%s) disconnected\n",
		       vmnetctl_get(0, "port", buf, 64),
		       vmnetctl_get(0, "kind", buf + 64, 64));
	else if ((i = json_get(vc.text, vc.t, 0, "capture")) >= 0)
		printf("capture %s: %s frames, %s bytes, %s dropped\n",
		       strcmp(vmnetctl_get(i, "running", buf, 64), "true")
			   ? "off"
			   : "running",
		       vmnetctl_get(i, "frames", buf + 64, 64),
		       vmnetctl_get(i, "bytes", buf + 128, 64),
		       vmnetctl_get(i, "dropped", buf + 192, 64));
	else
		printf("ok\n");
}

/**
 * vmnetctl_known() - tell whether a word is a command
 * @w:		the word
 *
 * Return: true if it is
 */
static bool vmnetctl_known(const char *w)
{
	static const char *const cmds[] = {"status",  "ports",	    "fdb",
					   "leases",  "forward",    "capture",
					   "metrics", "disconnect", "reload"};

	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(cmds[i], w))
			return true;
	return false;
}

/**
 * vmnetctl_options() - parse the options before the command
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: index of the command in @argv
 */
static int vmnetctl_options(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"control", required_argument, NULL, 'c'},
	    {"json", no_argument, NULL, 'j'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0}};
	static char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int o;

	while ((o = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		if (o == 'c') {
			vc.path = optarg;
		} else if (o == 'j') {
			vc.json = true;
		} else if (o == 't') {
			vc.timeout_ms = atoi(optarg) * 1000;
			if (vc.timeout_ms <= 0)
				vmnetctl_die(2,
					     "--timeout=%s: not a number of "
					     "seconds",
					     optarg);
		} else if (o == 'h') {
			vmnetctl_usage(stdout);
			exit(0);
		} else if (o == 'v') {
			printf("socket_vmnetctl version %s\n", VERSION);
			exit(0);
		} else {
			vmnetctl_usage(stderr);
			exit(2);
		}
	}
	if (optind < argc && !vmnetctl_known(argv[optind])) {
		if ((size_t)snprintf(path, sizeof(path), "%s.ctl",
				     argv[optind]) >= sizeof(path))
			vmnetctl_die(2, "%s.ctl: path too long", argv[optind]);
		vc.path = path;
		optind++;
	}
	if (optind >= argc) {
		vmnetctl_usage(stderr);
		exit(2);
	}
	if (!vmnetctl_known(argv[optind]))
		vmnetctl_die(2, "unknown command \"%s\"", argv[optind]);
	return optind;
}

/**
 * main() - entry point of socket_vmnetctl
 * @argc:	argument count
 * @argv:	arguments
 *
 * Return: 0 on success, 1 if the daemon refused or failed, 2 on usage
 * errors
 */
int main(int argc, char **argv)
{
	char req[CTL_SPEC_MAX + 256];
	struct json_wr w;
	int first = vmnetctl_options(argc, argv), fd;

	signal(SIGPIPE, SIG_IGN);
	json_wr_init(&w, req, sizeof(req));
	fd = vmnetctl_request(&w, argc - first, argv + first);
	if (w.overflow)
		vmnetctl_die(2, "arguments too long");
	vmnetctl_exchange(req, fd);
	if (fd >= 0)
		close(fd);
	if (vc.json)
		printf("%.*s\n", (int)vc.len, vc.text);
	else
		vmnetctl_show(argv[first]);
	free(vc.t);
	free(vc.text);
	return 0;
}
