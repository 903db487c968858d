/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket (see ctl.h, docs/CONTROL.md).
 *
 * Theory of operation: the control socket is served from the same event
 * loop as the ports, and nothing it does may hold up a frame. Every
 * client has a fixed slot (CTL_MAX_CLIENTS; one more is told "busy" and
 * closed), a line buffer of CTL_LINE_MAX bytes and at most one answer
 * being written. A client is read only while it has no answer waiting:
 * a client that does not read its answers stops being read, its requests
 * stay in its own socket buffer, and after CTL_TIMEOUT_MS without progress
 * it is closed. A wake-up handles at most CTL_BURST requests of a client
 * before the loop goes on with other work (a zero-delay timer continues),
 * so a flood of requests is served between frames, not instead of them. A
 * line longer than CTL_LINE_MAX is answered with an error and the
 * connection is closed; a malformed line is answered with an error and the
 * connection goes on. Peers are checked once, at accept(): root, the
 * daemon's own uid and members of --control-group may use the socket,
 * others get one error line. A request may carry a descriptor (SCM_RIGHTS):
 * "capture start" writes to the file the client opened, with the client's
 * rights, never to a path the daemon opens for it. Answers are written
 * into a scratch buffer that grows to CTL_ANSWER_MAX (only listing
 * commands are long, and they change nothing, so they can be run again
 * with more room) and copied to the client's own answer buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "addr.h"
#include "compat.h"
#include "ctl.h"
#include "ctl_cmd.h"
#include "err.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "sock.h"

#define CTL_BURST   16u		 /* requests of one client per wake-up */
#define CTL_ACCEPTS 16u		 /* connections accepted per wake-up */
#define CTL_SCRATCH (256u << 10) /* first size of the answer buffer */
#define CTL_MAX_FDS 4u		 /* descriptors read from one message */

#ifdef MSG_NOSIGNAL
#define CTL_NOSIGNAL MSG_NOSIGNAL
#else
#define CTL_NOSIGNAL 0 /* SIGPIPE is ignored anyway */
#endif
#ifdef MSG_CMSG_CLOEXEC
#define CTL_CLOEXEC MSG_CMSG_CLOEXEC
#else
#define CTL_CLOEXEC 0 /* set right after */
#endif

/**
 * struct ctl_client - one control connection
 * @src:	its descriptor in the loop (fd -1: slot free)
 * @timer:	idle timeout, or (with @more) the continuation of a burst
 * @wait:	what the answer waits for (fd -1: nothing)
 * @hold:	the answer is ready but waits for @wait
 * @more:	the timer continues a burst rather than ending the client
 * @uid:	peer uid
 * @pid:	peer pid (-1 if unknown)
 * @in:		the line buffer (CTL_LINE_MAX bytes)
 * @inlen:	bytes in it
 * @out:	the answer being written, or NULL
 * @outlen:	its length
 * @outoff:	bytes of it written
 * @fd:		a descriptor the client passed, or -1
 * @closing:	close once the answer is written
 */
struct ctl_client {
	struct loop_source src;
	struct loop_timer timer;
	struct loop_source wait;
	bool hold;
	bool more;
	long uid;
	long pid;
	char *in;
	size_t inlen;
	char *out;
	size_t outlen;
	size_t outoff;
	int fd;
	bool closing;
};

/**
 * struct ctl_state - the control socket
 * @lis:	the listener
 * @conf:	settings
 * @cl:		the client slots
 * @scratch:	where answers are written first
 * @scratch_cap: its size
 * @log:	rate limit of warnings a client can trigger
 * @uid:	the uid served besides root: the socket file's owner, else
 *		the daemon's uid at start (not an unprivileged switch's)
 */
static struct ctl_state {
	struct sock_listener lis;
	struct ctl_conf conf;
	struct ctl_client *cl;
	char *scratch;
	size_t scratch_cap;
	struct log_limit log;
	long uid;
} ctl = {.lis = {.src = {.fd = -1}}};

static void ctl_serve(struct ctl_client *c);

/* --- requests ---------------------------------------------------------- */

/**
 * ctl_get_name() - copy a short string member of the request
 * @line:	the text
 * @t:		its tokens
 * @key:	the member
 * @buf:	where it goes (empty if absent)
 * @len:	its size
 *
 * Return: 0, or -1 if present but not a string of printable ASCII that fits
 */
static int ctl_get_name(const char *line, const struct json_tok *t,
			const char *key, char *buf, size_t len)
{
	int i = json_get(line, t, 0, key);
	bool ok = true;

	buf[0] = '\0';
	if (i >= 0)
		json_str(line, &t[i], buf, len, &ok);
	/* Names and specs are printable ASCII words: nothing else is ever
	 * valid, and it keeps log lines and answers plain. */
	for (const char *c = buf; ok && *c; c++)
		ok = *c > 0x20 && *c < 0x7f;
	return ok ? 0 : -1;
}

/**
 * ctl_get_num() - read an unsigned integer member of the request
 * @line:	the text
 * @t:		its tokens
 * @key:	the member
 * @v:		the value, left alone if absent
 *
 * Return: 1 if present, 0 if absent, -1 if not a non-negative integer
 */
static int ctl_get_num(const char *line, const struct json_tok *t,
		       const char *key, uint64_t *v)
{
	int i = json_get(line, t, 0, key);

	if (i < 0)
		return 0;
	return json_u64(line, &t[i], v) ? 1 : -1;
}

/**
 * ctl_parse_args() - the members every command may take
 * @line:	the text
 * @t:		its tokens
 * @r:		the request, filled in
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
static int ctl_parse_args(const char *line, const struct json_tok *t,
			  struct ctl_req *r, char *err, size_t errlen)
{
	char mac[ADDR_MAC_STRLEN + 1];
	int n;

	if (ctl_get_name(line, t, "cmd", r->cmd, sizeof(r->cmd)) || !r->cmd[0])
		return err_set(err, errlen, "\"cmd\" must be a command name");
	if (ctl_get_name(line, t, "action", r->action, sizeof(r->action)))
		return err_set(err, errlen,
			       "\"action\" must be a short string");
	if (ctl_get_name(line, t, "spec", r->spec, sizeof(r->spec)))
		return err_set(err, errlen,
			       "\"spec\" must be a string of at "
			       "most %u bytes",
			       CTL_SPEC_MAX - 1);
	if ((n = ctl_get_num(line, t, "port", &r->port)) < 0 ||
	    r->port > UINT32_MAX)
		return err_set(err, errlen, "\"port\" must be a port number");
	r->has_port = n > 0;
	if (ctl_get_num(line, t, "max_bytes", &r->max_bytes) < 0)
		return err_set(err, errlen, "\"max_bytes\" must be a number");
	if ((n = ctl_get_num(line, t, "id", &r->id)) < 0)
		return err_set(err, errlen, "\"id\" must be a number");
	r->has_id = n > 0;
	if (ctl_get_name(line, t, "mac", mac, sizeof(mac)))
		return err_set(err, errlen, "\"mac\" must be a MAC address");
	if (mac[0] && !addr_mac_parse(mac, r->mac))
		return err_set(err, errlen, "\"mac\" must be a MAC address");
	r->has_mac = mac[0] != '\0';
	return 0;
}

/**
 * ctl_parse_request() - read one request line
 * @line:	the line, without its newline (need not be NUL-terminated)
 * @len:	its length
 * @r:		the request, filled in (@r->fd and @r->uid are left alone)
 * @err:	message buffer
 * @errlen:	its size
 *
 * A request is one flat JSON object: strings, numbers, booleans and null
 * only; members this version does not know are ignored.
 *
 * Return: 0, or -1 with @err set
 */
int ctl_parse_request(const char *line, size_t len, struct ctl_req *r,
		      char *err, size_t errlen)
{
	struct json_tok t[CTL_MAX_TOKENS];
	uint64_t v = CTL_VERSION;
	int n = json_parse(line, len, t, CTL_MAX_TOKENS);
	int fd = r->fd;
	long uid = r->uid;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->uid = uid;
	if (n < 0)
		return err_set(err, errlen,
			       "not a JSON text (or more than %u "
			       "values)",
			       CTL_MAX_TOKENS);
	if (t[0].type != JSON_OBJECT)
		return err_set(err, errlen, "a request is a JSON object");
	for (int i = 1; i < n; i++)
		if (t[i].type == JSON_OBJECT || t[i].type == JSON_ARRAY)
			return err_set(err, errlen,
				       "a request is a flat "
				       "object");
	if (ctl_get_num(line, t, "v", &v) < 0 || v != CTL_VERSION)
		return err_set(err, errlen,
			       "unsupported protocol version "
			       "(this daemon speaks %u)",
			       CTL_VERSION);
	return ctl_parse_args(line, t, r, err, errlen);
}

/* --- answers --------------------------------------------------------- */

/**
 * ctl_build() - write the whole answer to a request into the scratch
 * @r:		the request, or NULL if it could not be parsed
 * @perr:	the parse error when @r is NULL
 *
 * Return: the answer's length (newline included), 0 if out of memory
 */
static size_t ctl_build(struct ctl_req *r, const char *perr)
{
	char err[256] = "";
	struct json_wr w;

	for (;;) {
		int rc = -1;

		json_wr_init(&w, ctl.scratch, ctl.scratch_cap - 1);
		json_obj_begin(&w, NULL);
		json_put_u64(&w, "v", CTL_VERSION);
		if (r && r->has_id)
			json_put_u64(&w, "id", r->id);
		if (r) {
			json_put_str(&w, "cmd", r->cmd);
			rc = ctl_cmd_answer(r, &w, err, sizeof(err));
		} else {
			snprintf(err, sizeof(err), "%s", perr);
		}
		json_put_bool(&w, "ok", rc == 0);
		if (rc)
			json_put_str(&w, "error", err);
		json_obj_end(&w);
		if (!w.overflow)
			break;
		if (ctl.scratch_cap >= CTL_ANSWER_MAX || !ctl_cmd_rerun(r)) {
			json_wr_init(&w, ctl.scratch, ctl.scratch_cap - 1);
			json_obj_begin(&w, NULL);
			json_put_u64(&w, "v", CTL_VERSION);
			json_put_bool(&w, "ok", false);
			json_put_str(&w, "error", "answer too long");
			json_obj_end(&w);
			break;
		} else {
			char *b = realloc(ctl.scratch, ctl.scratch_cap * 2);

			if (!b)
				return 0;
			ctl.scratch = b;
			ctl.scratch_cap *= 2;
		}
	}
	ctl.scratch[w.len] = '\n';
	return w.len + 1;
}

/**
 * ctl_close() - end a control connection
 * @c:		the client
 */
static void ctl_close(struct ctl_client *c)
{
	if (c->src.fd < 0)
		return;
	loop_timer_cancel(&c->timer);
	if (c->wait.fd >= 0) {
		loop_del(&c->wait);
		close(c->wait.fd);
		c->wait.fd = -1;
	}
	loop_del(&c->src);
	close(c->src.fd);
	c->src.fd = -1;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->in);
	free(c->out);
	c->in = c->out = NULL;
}

/**
 * ctl_write() - write what is left of the answer
 * @c:		the client
 *
 * Return: 0 (maybe with bytes left), -1 if the client was closed
 */
static int ctl_write(struct ctl_client *c)
{
	if (c->hold) {
		if (!loop_mod(&c->src, 0))
			return 0;
		ctl_close(c);
		return -1;
	}
	while (c->out && c->outoff < c->outlen) {
		ssize_t n = send(c->src.fd, c->out + c->outoff,
				 c->outlen - c->outoff, CTL_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			ctl_close(c);
			return -1;
		}
		c->outoff += (size_t)n;
		loop_timer_arm(&c->timer, CTL_TIMEOUT_MS);
	}
	if (c->out && c->outoff == c->outlen) {
		free(c->out);
		c->out = NULL;
		if (c->closing) {
			ctl_close(c);
			return -1;
		}
	}
	if (loop_mod(&c->src, c->out ? LOOP_OUT : LOOP_IN)) {
		ctl_close(c);
		return -1;
	}
	return 0;
}

/**
 * ctl_waited() - loop callback: what an answer waited for happened
 * @src:	the client's wait source
 * @events:	what is ready
 */
static void ctl_waited(struct loop_source *src, unsigned int events)
{
	struct ctl_client *c = container_of(src, struct ctl_client, wait);

	loop_del(&c->wait);
	close(c->wait.fd);
	c->wait.fd = -1;
	c->hold = false;
	ctl_serve(c);
}

/**
 * ctl_hold() - keep a client's answer until a descriptor is readable
 * @c:		the client
 * @fd:		the descriptor (the client's from now on)
 */
static void ctl_hold(struct ctl_client *c, int fd)
{
	c->wait.fd = fd;
	c->wait.fn = ctl_waited;
	if (loop_add(&c->wait, LOOP_IN)) {
		close(fd);
		c->wait.fd = -1;
		return;
	}
	c->hold = true;
}

/**
 * ctl_answer() - answer one request line
 * @c:		the client
 * @line:	the line, without its newline
 * @len:	its length
 *
 * Return: 0, or -1 if the client was closed
 */
static int ctl_answer(struct ctl_client *c, const char *line, size_t len)
{
	struct ctl_req r = {.fd = c->fd, .uid = c->uid};
	char err[256];
	bool ok = !ctl_parse_request(line, len, &r, err, sizeof(err));
	size_t n;

	r.wait_fd = -1;
	n = ctl_build(ok ? &r : NULL, err);
	if (c->fd >= 0 && r.fd < 0)
		c->fd = -1; /* the command kept the descriptor */
	if (r.wait_fd >= 0)
		ctl_hold(c, r.wait_fd);
	if (!n || !(c->out = malloc(n))) {
		ctl_close(c);
		return -1;
	}
	memcpy(c->out, ctl.scratch, n);
	c->outlen = n;
	c->outoff = 0;
	return ctl_write(c);
}

/**
 * ctl_too_long() - answer a line that does not fit, then close
 * @c:		the client
 */
static void ctl_too_long(struct ctl_client *c)
{
	size_t n = ctl_build(NULL, "request line too long");

	c->closing = true;
	c->inlen = 0;
	if (!n || !(c->out = malloc(n))) {
		ctl_close(c);
		return;
	}
	memcpy(c->out, ctl.scratch, n);
	c->outlen = n;
	c->outoff = 0;
	ctl_write(c);
}

/**
 * ctl_lines() - answer the complete lines in a client's buffer
 * @c:		the client
 *
 * Stops while an answer waits to be written, and after CTL_BURST requests
 * (the client's timer goes on at once, after the loop's other work).
 *
 * Return: 0, or -1 if the client was closed
 */
static int ctl_lines(struct ctl_client *c)
{
	for (unsigned int k = 0; !c->out; k++) {
		char *nl = memchr(c->in, '\n', c->inlen);
		size_t len;

		if (!nl) {
			if (c->inlen == CTL_LINE_MAX)
				ctl_too_long(c);
			return c->src.fd < 0 ? -1 : 0;
		}
		if (k == CTL_BURST) {
			c->more = true;
			loop_timer_arm(&c->timer, 0);
			if (!loop_mod(&c->src, 0))
				return 0;
			ctl_close(c);
			return -1;
		}
		len = (size_t)(nl - c->in);
		if (len && c->in[len - 1] == '\r')
			len--;
		if (len && ctl_answer(c, c->in, len) < 0)
			return -1;
		c->inlen -= (size_t)(nl + 1 - c->in);
		memmove(c->in, nl + 1, c->inlen);
	}
	return 0;
}

/**
 * ctl_take_fds() - keep the descriptor a message carried
 * @c:		the client
 * @msg:	the message received
 */
static void ctl_take_fds(struct ctl_client *c, struct msghdr *msg)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm;
	     cm = CMSG_NXTHDR(msg, cm)) {
		size_t n;
		int fds[CTL_MAX_FDS];

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		if (n > CTL_MAX_FDS)
			n = CTL_MAX_FDS;
		memcpy(fds, CMSG_DATA(cm), n * sizeof(int));
		for (size_t i = 0; i < n; i++) {
			fcntl(fds[i], F_SETFD, FD_CLOEXEC);
			if (c->fd >= 0)
				close(c->fd);
			c->fd = fds[i];
		}
	}
}

/**
 * ctl_read() - read what a client sent
 * @c:		the client
 *
 * Return: bytes read, 0 if nothing now, -1 if the client was closed
 */
static ssize_t ctl_read(struct ctl_client *c)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(CTL_MAX_FDS * sizeof(int))];
	} cbuf;
	struct iovec iov = {c->in + c->inlen, CTL_LINE_MAX - c->inlen};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf.buf,
			     .msg_controllen = sizeof(cbuf.buf)};
	ssize_t n = recvmsg(c->src.fd, &msg, CTL_CLOEXEC);

	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (msg.msg_controllen && n >= 0)
		ctl_take_fds(c, &msg);
	if (n <= 0) {
		ctl_close(c);
		return -1;
	}
	c->inlen += (size_t)n;
	loop_timer_arm(&c->timer, CTL_TIMEOUT_MS);
	return n;
}

/**
 * ctl_serve() - go on with a client: write, then read and answer
 * @c:		the client
 */
static void ctl_serve(struct ctl_client *c)
{
	if (ctl_write(c) < 0 || c->out)
		return;
	if (ctl_lines(c) < 0 || c->out || c->more)
		return;
	if (ctl_read(c) > 0)
		ctl_lines(c);
}

/**
 * ctl_ready() - loop callback of a client
 * @src:	its descriptor
 * @events:	what is ready
 */
static void ctl_ready(struct loop_source *src, unsigned int events)
{
	struct ctl_client *c = container_of(src, struct ctl_client, src);

	if (!c->more)
		ctl_serve(c);
}

/**
 * ctl_timer() - a client's timer: go on with a burst, or end an idle client
 * @t:		the timer
 */
static void ctl_timer(struct loop_timer *t)
{
	struct ctl_client *c = container_of(t, struct ctl_client, timer);

	if (!c->more) {
		ctl_close(c);
		return;
	}
	c->more = false;
	loop_timer_arm(&c->timer, CTL_TIMEOUT_MS);
	if (!loop_mod(&c->src, LOOP_IN))
		ctl_serve(c);
	else
		ctl_close(c);
}

/**
 * ctl_allowed() - tell whether a peer may use the control socket
 * @fd:		its connection
 * @uid:	its uid
 *
 * Return: true for root, the daemon's own uid (the socket file's owner)
 * and --control-group members
 */
static bool ctl_allowed(int fd, long uid)
{
	if (uid == 0 || uid == ctl.uid)
		return true;
	return ctl.conf.has_group && sock_peer_in_group(fd, ctl.conf.group);
}

/**
 * ctl_refuse() - tell a peer why it is turned away, and close it
 * @fd:		its connection
 * @why:	the reason
 */
static void ctl_refuse(int fd, const char *why)
{
	size_t n = ctl_build(NULL, why);

	if (n && send(fd, ctl.scratch, n, CTL_NOSIGNAL) < 0) {
		/* Best effort: the peer learns it from the closed socket. */
	}
	close(fd);
}

/**
 * ctl_add() - give a new connection a slot
 * @fd:		the connection
 * @uid:	its peer's uid
 * @pid:	its peer's pid
 */
static void ctl_add(int fd, long uid, long pid)
{
	struct ctl_client *c = NULL;

	for (unsigned int i = 0; i < CTL_MAX_CLIENTS && !c; i++)
		if (ctl.cl[i].src.fd < 0)
			c = &ctl.cl[i];
	if (!c) {
		ctl_refuse(fd, "busy: too many control connections");
		return;
	}
	memset(c, 0, sizeof(*c));
	c->wait.fd = -1;
	c->in = malloc(CTL_LINE_MAX);
	c->src.fd = fd;
	c->src.fn = ctl_ready;
	c->timer.fn = ctl_timer;
	c->uid = uid;
	c->pid = pid;
	c->fd = -1;
	if (!c->in || loop_add(&c->src, LOOP_IN)) {
		free(c->in);
		c->in = NULL;
		c->src.fd = -1;
		ctl_refuse(fd, "out of memory");
		return;
	}
	loop_timer_arm(&c->timer, CTL_TIMEOUT_MS);
}

/**
 * ctl_accept() - loop callback of the listener
 * @src:	the listener
 * @events:	what is ready
 */
static void ctl_accept(struct loop_source *src, unsigned int events)
{
	for (unsigned int i = 0; i < CTL_ACCEPTS; i++) {
		int fd = compat_accept(src->fd);
		long uid = -1, pid = -1;

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED &&
			    log_limit_ok(&ctl.log, loop_now()))
				log_warn("control: accept");
			return;
		}
		sock_peer_creds(fd, &uid, &pid);
		if (!ctl_allowed(fd, uid)) {
			if (log_limit_ok(&ctl.log, loop_now()))
				log_warnx("control: refused uid %ld pid %ld",
					  uid, pid);
			ctl_refuse(fd, "permission denied: this uid may not "
				       "use the control socket");
			continue;
		}
		ctl_add(fd, uid, pid);
	}
}

/**
 * ctl_listen() - create the control socket and serve it
 * @c:		settings (copied; the strings must outlive the daemon)
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
int ctl_listen(const struct ctl_conf *c, char *err, size_t errlen)
{
	ctl.conf = *c;
	ctl.cl = calloc(CTL_MAX_CLIENTS, sizeof(*ctl.cl));
	ctl.scratch = malloc(CTL_SCRATCH);
	if (!ctl.cl || !ctl.scratch) {
		free(ctl.cl);
		free(ctl.scratch);
		ctl.cl = NULL;
		ctl.scratch = NULL;
		return err_set(err, errlen, "out of memory");
	}
	ctl.scratch_cap = CTL_SCRATCH;
	for (unsigned int i = 0; i < CTL_MAX_CLIENTS; i++)
		ctl.cl[i].src.fd = ctl.cl[i].wait.fd = -1;
	ctl.uid = c->owner.uid >= 0 ? c->owner.uid : (long)geteuid();
	return sock_listener_open(&ctl.lis, c->path, SOCK_STREAM, &c->owner,
				  ctl_accept, err, errlen);
}

/**
 * ctl_drop_fd() - close the listener's descriptor but keep the file
 *
 * For the privileged monitor after the fork (priv.c).
 */
void ctl_drop_fd(void)
{
	sock_listener_drop_fd(&ctl.lis);
}

/**
 * ctl_close_clients() - end every control connection (the worker, at exit)
 */
void ctl_close_clients(void)
{
	for (unsigned int i = 0; ctl.cl && i < CTL_MAX_CLIENTS; i++)
		ctl_close(&ctl.cl[i]);
}

/**
 * ctl_unlisten() - close the control socket, remove its file, free all
 */
void ctl_unlisten(void)
{
	ctl_close_clients();
	sock_listener_close(&ctl.lis);
	free(ctl.cl);
	free(ctl.scratch);
	ctl.cl = NULL;
	ctl.scratch = NULL;
}
