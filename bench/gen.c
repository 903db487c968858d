/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gen: frame generator and sink for the socket_vmnet benchmarks.
 *
 *   gen pair [-s SIZE] [-t SECS] [-b BATCH] [-R FPS] [-B] A B
 *	throughput: a child process sends numbered frames on A for SECS
 *	seconds (as fast as it can, or paced at FPS frames/s), the parent
 *	receives them on B and prints one line of key=value results (frames
 *	sent and received, loss, frames/s, Gbit/s). -B sends broadcasts.
 *   gen ping [-s SIZE] [-n COUNT] A B
 *	latency: one frame A->B, echoed B->A, COUNT times; prints median and
 *	p99 round trip in microseconds.
 *   gen idle [-n COUNT] [-r] EP
 *	attach COUNT endpoints that each send one broadcast (so they are real
 *	ports) and then only read (or, with -r, never read) until killed.
 *	Prints "ready" on stdout once all are attached.
 *   gen plug TAPNAME EP
 *	a TAP <-> switch plug: frames read from the TAP device go to EP and
 *	back (any MTU up to 65535; used where QEMU's hub cannot go).
 *
 * Endpoints (EP, A, B):
 *   stream:PATH	UNIX stream socket, 4-byte big-endian length + frame
 *   dgram:PATH		UNIX datagram socket (autobound), one frame each
 *   vde:DIR		vde_switch through libvdeplug (if built with it)
 *   fd-stream:N, fd-dgram:N	inherited connected sockets
 *   direct-stream, direct-dgram	(as A, with B "-") a socketpair: no switch
 *
 * Frames: dst MAC, src MAC, ethertype 0x88b5, then a 64-bit sequence number
 * and padding. Every endpoint gets its own locally administered unicast MAC;
 * before measuring, B and then A send a broadcast so a learning switch knows
 * both, and the data then goes unicast A->B (or broadcast with -B).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#ifdef HAVE_VDEPLUG
#include <libvdeplug.h>
#endif

#define ETHERTYPE    0x88b5
#define HDR	     14
#define SEQ_OFF	     14 /* 8 bytes of sequence number */
#define KIND_OFF     22 /* 1 byte: 0 hello, 1 data, 2 ping, 3 pong */
#define MAX_FRAME    65535
#define RXBUF	     (4u << 20)
#define DGRAM_BATCH  64
#define SOCKBUF	     (4 << 20)

enum { K_HELLO, K_DATA, K_PING, K_PONG };
enum tr { T_STREAM, T_DGRAM, T_VDE };

struct ep {
	enum tr tr;
	int fd;
#ifdef HAVE_VDEPLUG
	VDECONN *vde;
#endif
	uint8_t mac[6];
	/* stream receive state */
	uint8_t *rx;
	size_t rxlen;
	/* dgram receive state */
	uint8_t *dbuf;
	struct mmsghdr msgs[DGRAM_BATCH];
	struct iovec iov[DGRAM_BATCH];
	int dn, di;
};

static size_t opt_size = 1514;
static double opt_secs = 2.0;
static int opt_batch;
static bool opt_bcast;
static long opt_count = 1000;
static bool opt_noread;
static double opt_rate; /* frames/s offered, 0 for as fast as possible */

static void die(const char *what)
{
	fprintf(stderr, "gen: %s: %s\n", what, strerror(errno));
	exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_bufs(int fd)
{
	int v = SOCKBUF;
	/* blocking sends wake up now and then to check for a stall */
	struct timeval tv = { 0, 200000 };

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static void make_mac(uint8_t mac[6], unsigned int idx)
{
	static unsigned int salt;

	if (!salt)
		salt = (unsigned int)getpid();
	mac[0] = 0x02;
	mac[1] = 0xbe;
	mac[2] = (uint8_t)(salt >> 8);
	mac[3] = (uint8_t)salt;
	mac[4] = (uint8_t)(idx >> 8);
	mac[5] = (uint8_t)idx;
}

static void ep_init(struct ep *e, enum tr tr, int fd, unsigned int idx)
{
	memset(e, 0, sizeof(*e));
	e->tr = tr;
	e->fd = fd;
	make_mac(e->mac, idx);
}

static int unix_connect(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket");
	set_bufs(fd);
	if (type == SOCK_DGRAM) {
		/* autobind: an abstract address the switch can answer to */
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa_family_t)))
			die("bind");
	}
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fprintf(stderr, "gen: connect %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return fd;
}

static void ep_open(struct ep *e, const char *spec, unsigned int idx)
{
	if (!strncmp(spec, "stream:", 7)) {
		ep_init(e, T_STREAM, unix_connect(spec + 7, SOCK_STREAM), idx);
	} else if (!strncmp(spec, "dgram:", 6)) {
		ep_init(e, T_DGRAM, unix_connect(spec + 6, SOCK_DGRAM), idx);
	} else if (!strncmp(spec, "fd-stream:", 10)) {
		ep_init(e, T_STREAM, atoi(spec + 10), idx);
		set_bufs(e->fd);
	} else if (!strncmp(spec, "fd-dgram:", 9)) {
		ep_init(e, T_DGRAM, atoi(spec + 9), idx);
		set_bufs(e->fd);
	} else if (!strncmp(spec, "vde:", 4)) {
#ifdef HAVE_VDEPLUG
		char url[512];

		ep_init(e, T_VDE, -1, idx);
		snprintf(url, sizeof(url), "vde://%s", spec + 4);
		e->vde = vde_open(url, "gen", NULL);
		if (!e->vde)
			die("vde_open");
		e->fd = vde_datafd(e->vde);
		set_bufs(e->fd);
#else
		fprintf(stderr, "gen: built without libvdeplug\n");
		exit(3);
#endif
	} else {
		fprintf(stderr, "gen: bad endpoint %s\n", spec);
		exit(2);
	}
}

/* Two endpoints joined by a socketpair (the "direct" baseline). */
static void ep_direct(struct ep *a, struct ep *b, const char *spec)
{
	int sv[2], type = strcmp(spec, "direct-dgram") ? SOCK_STREAM
							: SOCK_DGRAM;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	set_bufs(sv[0]);
	set_bufs(sv[1]);
	ep_init(a, type == SOCK_STREAM ? T_STREAM : T_DGRAM, sv[0], 1);
	ep_init(b, type == SOCK_STREAM ? T_STREAM : T_DGRAM, sv[1], 2);
}

static void frame_fill(uint8_t *f, size_t len, const uint8_t *dst,
		       const uint8_t *src, int kind, uint64_t seq)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	memcpy(f + SEQ_OFF, &seq, 8);
	f[KIND_OFF] = (uint8_t)kind;
	(void)len;
}

/* A sender gives up this long after its deadline if the switch stalls. */
static double send_giveup;

static void write_all(int fd, struct iovec *iov, int n)
{
	while (n) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
			    send_giveup && now() > send_giveup)
				return;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			die("writev");
		}
		while (n && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
}

/* Send @n frames laid out back to back in @frames, each @len bytes. */
static void ep_send(struct ep *e, uint8_t *frames, size_t len, int n)
{
	if (e->tr == T_STREAM) {
		/* frames are already prefixed: stride len + 4 */
		struct iovec iov = { frames, (len + 4) * (size_t)n };

		write_all(e->fd, &iov, 1);
		return;
	}
#ifdef HAVE_VDEPLUG
	if (e->tr == T_VDE) {
		for (int i = 0; i < n; i++)
			while (vde_send(e->vde, frames + i * (len + 4) + 4, len,
					0) < 0) {
				if (errno != EINTR && errno != EAGAIN &&
				    errno != ENOBUFS)
					die("vde_send");
			}
		return;
	}
#endif
	struct mmsghdr m[DGRAM_BATCH];
	struct iovec iov[DGRAM_BATCH];
	int done = 0;

	while (done < n) {
		int k = n - done > DGRAM_BATCH ? DGRAM_BATCH : n - done, s;

		memset(m, 0, sizeof(m[0]) * (size_t)k);
		for (int i = 0; i < k; i++) {
			iov[i].iov_base = frames + (size_t)(done + i) * (len + 4) + 4;
			iov[i].iov_len = len;
			m[i].msg_hdr.msg_iov = &iov[i];
			m[i].msg_hdr.msg_iovlen = 1;
		}
		s = sendmmsg(e->fd, m, (unsigned int)k, 0);
		if (s < 0) {
			if (send_giveup && now() > send_giveup)
				return;
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ENOBUFS) {
				if (errno != EINTR)
					usleep(50);
				continue;
			}
			die("sendmmsg");
		}
		done += s;
	}
}

static void ep_send1(struct ep *e, const uint8_t *dst, int kind, uint64_t seq,
		     size_t len)
{
	static uint8_t buf[MAX_FRAME + 4];

	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	frame_fill(buf + 4, len, dst, e->mac, kind, seq);
	ep_send(e, buf, len, 1);
}

/*
 * Receive the next frame into *f / *len. Waits at most @timeout_ms
 * (-1 forever). Return: 1 got one, 0 timeout, -1 end of stream.
 */
static int ep_recv(struct ep *e, const uint8_t **f, size_t *len, int timeout_ms)
{
	for (;;) {
		if (e->tr == T_STREAM) {
			if (e->rx && e->rxlen >= 4) {
				uint8_t *p = e->rx;
				size_t fl = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
					    (size_t)p[2] << 8 | p[3];
				/* consumed lazily: rx holds [pos..] */
				if (e->rxlen - 4 >= fl) {
					*f = p + 4;
					*len = fl;
					e->rx += 4 + fl;
					e->rxlen -= 4 + fl;
					return 1;
				}
			}
		} else if (e->di < e->dn) {
			*f = e->iov[e->di].iov_base;
			*len = e->msgs[e->di].msg_len;
			e->di++;
			return 1;
		}
		/* need more input */
		struct pollfd pfd = { .fd = e->fd, .events = POLLIN };
		int r = poll(&pfd, 1, timeout_ms);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (r == 0)
			return 0;
		if (e->tr == T_STREAM) {
			if (!e->dbuf) {
				e->dbuf = malloc(RXBUF + MAX_FRAME + 8);
				if (!e->dbuf)
					die("malloc");
				e->rx = e->dbuf;
			}
			if (e->rxlen && e->rx != e->dbuf)
				memmove(e->dbuf, e->rx, e->rxlen);
			e->rx = e->dbuf;
			ssize_t n = read(e->fd, e->dbuf + e->rxlen, RXBUF);

			if (n == 0)
				return -1;
			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				if (errno == ECONNRESET)
					return -1;
				die("read");
			}
			e->rxlen += (size_t)n;
		} else {
			if (!e->dbuf) {
				e->dbuf = malloc((size_t)DGRAM_BATCH * (MAX_FRAME + 1));
				if (!e->dbuf)
					die("malloc");
			}
			for (int i = 0; i < DGRAM_BATCH; i++) {
				e->iov[i].iov_base = e->dbuf + (size_t)i * (MAX_FRAME + 1);
				e->iov[i].iov_len = MAX_FRAME + 1;
				memset(&e->msgs[i].msg_hdr, 0, sizeof(struct msghdr));
				e->msgs[i].msg_hdr.msg_iov = &e->iov[i];
				e->msgs[i].msg_hdr.msg_iovlen = 1;
			}
			int n = recvmmsg(e->fd, e->msgs, DGRAM_BATCH,
					 MSG_DONTWAIT, NULL);

			if (n < 0) {
				if (errno == EINTR || errno == EAGAIN)
					continue;
				if (errno == ECONNREFUSED || errno == ECONNRESET)
					return -1;
				die("recvmmsg");
			}
			e->dn = n;
			e->di = 0;
		}
	}
}

static bool ours(const uint8_t *f, size_t len, int kind)
{
	return len >= KIND_OFF + 1 && f[12] == (ETHERTYPE >> 8) &&
	       f[13] == (ETHERTYPE & 0xff) && f[KIND_OFF] == kind;
}

static uint64_t seq_of(const uint8_t *f)
{
	uint64_t s;

	memcpy(&s, f + SEQ_OFF, 8);
	return s;
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Let a learning switch see both addresses: B then A send a broadcast. */
static void learn(struct ep *a, struct ep *b)
{
	send_giveup = now() + 2.0; /* a stalled switch must not hang us */
	ep_send1(b, bcast, K_HELLO, 0, 60);
	ep_send1(a, bcast, K_HELLO, 0, 60);
	/* B sees A's hello (flooded); wait for it, up to 1 s */
	const uint8_t *f;
	size_t len;
	double end = now() + 1.0;

	while (now() < end) {
		int r = ep_recv(b, &f, &len, 100);

		if (r < 0)
			break;
		if (r > 0 && ours(f, len, K_HELLO) && !memcmp(f + 6, a->mac, 6))
			break;
	}
}

static void parse_opts(int argc, char **argv, int *idx)
{
	int i = *idx;

	for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		char o = argv[i][1];

		if (o == 'B') {
			opt_bcast = true;
			continue;
		}
		if (o == 'r') {
			opt_noread = true;
			continue;
		}
		if (i + 1 >= argc)
			break;
		switch (o) {
		case 's': opt_size = strtoul(argv[++i], NULL, 0); break;
		case 't': opt_secs = atof(argv[++i]); break;
		case 'b': opt_batch = atoi(argv[++i]); break;
		case 'n': opt_count = atol(argv[++i]); break;
		case 'R': opt_rate = atof(argv[++i]); break;
		default:
			fprintf(stderr, "gen: bad option %s\n", argv[i]);
			exit(2);
		}
	}
	*idx = i;
	if (opt_size < 60 || opt_size > MAX_FRAME) {
		fprintf(stderr, "gen: size must be 60..%d\n", MAX_FRAME);
		exit(2);
	}
}

static void open_pair(const char *sa, const char *sb, struct ep *a,
		      struct ep *b)
{
	if (!strncmp(sa, "direct-", 7)) {
		ep_direct(a, b, sa);
		return;
	}
	ep_open(b, sb, 2);
	ep_open(a, sa, 1);
}

static pid_t child_pid;

static void on_alarm(int sig)
{
	static const char msg[] = "stalled=1 sent=0 recv=0 lost=0 loss_pct=100 "
				  "fps=0 gbps=0\n";

	(void)sig;
	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	if (child_pid > 0)
		kill(child_pid, SIGKILL);
	_exit(0);
}

static int cmd_pair(int argc, char **argv)
{
	int i = 0;
	struct ep a, b;
	int pfd[2], done[2];
	pid_t pid;

	parse_opts(argc, argv, &i);
	if (argc - i != 2) {
		fprintf(stderr, "usage: gen pair [opts] A B\n");
		return 2;
	}
	open_pair(argv[i], argv[i + 1], &a, &b);
	/* a switch that stalls completely is reported, not waited for */
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)(opt_secs + 8));
	if (strncmp(argv[i], "direct-", 7))
		learn(&a, &b);
	send_giveup = 0;
	if (pipe(pfd) || pipe(done))
		die("pipe");
	int batch = opt_batch;
	if (batch <= 0) {
		batch = (int)((256u << 10) / (opt_size + 4));
		if (batch > 64)
			batch = 64;
		if (batch < 1)
			batch = 1;
	}
	pid = fork();
	if (pid < 0)
		die("fork");
	child_pid = pid;
	if (pid == 0) {
		/* sender */
		size_t stride = opt_size + 4;
		uint8_t *frames = calloc((size_t)batch, stride);
		uint64_t seq = 0;
		double end;

		close(pfd[0]);
		close(done[1]);
		if (!frames)
			die("calloc");
		for (int k = 0; k < batch; k++) {
			uint8_t *p = frames + (size_t)k * stride;

			p[0] = (uint8_t)(opt_size >> 24);
			p[1] = (uint8_t)(opt_size >> 16);
			p[2] = (uint8_t)(opt_size >> 8);
			p[3] = (uint8_t)opt_size;
			frame_fill(p + 4, opt_size, opt_bcast ? bcast : b.mac,
				   a.mac, K_DATA, 0);
		}
		end = now() + opt_secs;
		send_giveup = end + 1.0;
		double start = now();

		do {
			for (int k = 0; k < batch; k++)
				memcpy(frames + (size_t)k * stride + 4 + SEQ_OFF,
				       &(uint64_t){ seq++ }, 8);
			ep_send(&a, frames, opt_size, batch);
			if (opt_rate > 0) {
				/* paced: wait until this batch is due */
				double due = start + (double)seq / opt_rate, t;

				while ((t = now()) < due && t < end) {
					if (due - t > 100e-6)
						usleep((useconds_t)((due - t) * 1e6 - 50));
				}
			}
		} while (now() < end);
		struct { uint64_t seq; double secs; } rep = { seq, now() - start };

		if (write(pfd[1], &rep, sizeof(rep)) != sizeof(rep))
			die("write");
		/* keep A open until the sink is done */
		char c;
		while (read(done[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(pfd[1]);
	close(done[0]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	/* sink */
	uint64_t recv = 0, ooo = 0, maxseq = 0, bytes = 0, sent = 0;
	struct { uint64_t seq; double secs; } rep = { 0, 0 };
	bool have_sent = false, any = false;
	double t0 = 0, t1 = 0, idle_since = 0;

	for (;;) {
		const uint8_t *f;
		size_t len;
		int r = ep_recv(&b, &f, &len, have_sent ? 20 : 200);

		if (r > 0) {
			if (!ours(f, len, K_DATA))
				continue;
			uint64_t s = seq_of(f);
			double t = now();

			if (!any) {
				t0 = t;
				any = true;
			} else if (s < maxseq) {
				ooo++;
			}
			if (s > maxseq)
				maxseq = s;
			t1 = t;
			recv++;
			bytes += len;
			if (have_sent && recv >= sent)
				break;
			continue;
		}
		if (r < 0)
			break;
		if (!have_sent) {
			if (read(pfd[0], &rep, sizeof(rep)) == sizeof(rep)) {
				sent = rep.seq;
				have_sent = true;
				idle_since = now();
				if (recv >= sent)
					break;
			}
			continue;
		}
		if (now() - (t1 > idle_since ? t1 : idle_since) > 0.25)
			break;
	}
	if (!have_sent) {
		fcntl(pfd[0], F_SETFL, 0);
		if (read(pfd[0], &rep, sizeof(rep)) == sizeof(rep))
			sent = rep.seq;
	}
	close(done[1]);
	waitpid(pid, NULL, 0);
	/* Delivered rate over the time frames arrived, but never over less
	 * time than the sender spent sending (a switch that stalls must not
	 * look fast because its few frames came in a burst). */
	double span = t1 - t0;

	if (span < rep.secs * 0.95)
		span = rep.secs;
	double fps = span > 0 && recv > 1 ? (double)(recv - 1) / span : 0;
	double gbps = fps * (double)opt_size * 8 / 1e9;
	uint64_t lost = sent > recv ? sent - recv : 0;

	printf("size=%zu batch=%d sent=%llu recv=%llu lost=%llu loss_pct=%.3f "
	       "ooo=%llu secs=%.3f fps=%.0f gbps=%.3f\n",
	       opt_size, batch, (unsigned long long)sent,
	       (unsigned long long)recv, (unsigned long long)lost,
	       sent ? 100.0 * (double)lost / (double)sent : 0.0,
	       (unsigned long long)ooo, span, fps, gbps);
	(void)bytes;
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

/* Wait for a frame of @kind with @seq on @e; 1 s timeout. */
static bool wait_for(struct ep *e, int kind, uint64_t seq)
{
	const uint8_t *f;
	size_t len;

	for (;;) {
		int r = ep_recv(e, &f, &len, 1000);

		if (r <= 0)
			return false;
		if (ours(f, len, kind) && seq_of(f) == seq)
			return true;
	}
}

static int cmd_ping(int argc, char **argv)
{
	int i = 0;
	struct ep a, b;
	long lost = 0, n = 0;

	opt_size = 60;
	parse_opts(argc, argv, &i);
	if (argc - i != 2) {
		fprintf(stderr, "usage: gen ping [opts] A B\n");
		return 2;
	}
	open_pair(argv[i], argv[i + 1], &a, &b);
	if (strncmp(argv[i], "direct-", 7))
		learn(&a, &b);
	long warm = opt_count / 10 + 10;
	double *rtt = calloc((size_t)opt_count, sizeof(double));

	if (!rtt)
		die("calloc");
	for (long k = 0; k < warm + opt_count; k++) {
		double t0 = now();

		ep_send1(&a, b.mac, K_PING, (uint64_t)k, opt_size);
		if (!wait_for(&b, K_PING, (uint64_t)k)) {
			lost++;
			continue;
		}
		ep_send1(&b, a.mac, K_PONG, (uint64_t)k, opt_size);
		if (!wait_for(&a, K_PONG, (uint64_t)k)) {
			lost++;
			continue;
		}
		if (k >= warm)
			rtt[n++] = (now() - t0) * 1e6;
	}
	qsort(rtt, (size_t)n, sizeof(double), cmp_double);
	printf("size=%zu count=%ld lost=%ld median_us=%.1f p99_us=%.1f "
	       "min_us=%.1f\n",
	       opt_size, n, lost, n ? rtt[n / 2] : 0.0,
	       n ? rtt[(long)((double)n * 0.99) < n ? (long)((double)n * 0.99)
						      : n - 1]
		 : 0.0,
	       n ? rtt[0] : 0.0);
	return 0;
}

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_idle(int argc, char **argv)
{
	int i = 0;

	opt_count = 1;
	parse_opts(argc, argv, &i);
	if (argc - i != 1) {
		fprintf(stderr, "usage: gen idle [-n COUNT] [-r] EP\n");
		return 2;
	}
	struct ep *e = calloc((size_t)opt_count, sizeof(*e));
	struct pollfd *p = calloc((size_t)opt_count, sizeof(*p));

	if (!e || !p)
		die("calloc");
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	for (long k = 0; k < opt_count; k++) {
		ep_open(&e[k], argv[i], 100 + (unsigned int)k);
		ep_send1(&e[k], bcast, K_HELLO, 0, 60);
		p[k].fd = e[k].fd;
		p[k].events = opt_noread ? 0 : POLLIN;
	}
	printf("ready\n");
	fflush(stdout);
	static uint8_t junk[1 << 16];

	while (!stop) {
		int r = poll(p, (nfds_t)opt_count, opt_noread ? 1000 : -1);

		if (r < 0 && errno != EINTR)
			die("poll");
		for (long k = 0; r > 0 && k < opt_count; k++) {
			if (p[k].revents & POLLIN) {
				ssize_t n = recv(p[k].fd, junk, sizeof(junk),
						 MSG_DONTWAIT);
				if (n == 0)
					p[k].events = 0;
			} else if (p[k].revents & (POLLHUP | POLLERR)) {
				p[k].events = 0;
			}
		}
	}
	return 0;
}

static int cmd_plug(int argc, char **argv)
{
	struct ifreq ifr = { 0 };
	struct ep e;
	int tap;
	static uint8_t buf[MAX_FRAME + 4 + 4];

	if (argc != 2) {
		fprintf(stderr, "usage: gen plug TAPNAME EP\n");
		return 2;
	}
	tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap < 0)
		die("/dev/net/tun");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, argv[0], IFNAMSIZ - 1);
	if (ioctl(tap, TUNSETIFF, &ifr))
		die("TUNSETIFF");
	fcntl(tap, F_SETFL, O_NONBLOCK);
	ep_open(&e, argv[1], 1);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	struct pollfd p[2] = { { tap, POLLIN, 0 }, { e.fd, POLLIN, 0 } };

	while (!stop) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (p[0].revents & POLLIN) {
			for (int k = 0; k < 64; k++) {
				ssize_t n = read(tap, buf + 4, MAX_FRAME);

				if (n <= 0)
					break;
				buf[0] = (uint8_t)(n >> 24);
				buf[1] = (uint8_t)(n >> 16);
				buf[2] = (uint8_t)(n >> 8);
				buf[3] = (uint8_t)n;
				ep_send(&e, buf, (size_t)n, 1);
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			const uint8_t *f;
			size_t len;
			int r;

			while ((r = ep_recv(&e, &f, &len, 0)) > 0)
				if (write(tap, f, len) < 0 && errno != EIO)
					die("tap write");
			if (r < 0)
				break;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2) {
		fprintf(stderr, "usage: gen pair|ping|idle|plug ...\n");
		return 2;
	}
	if (!strcmp(argv[1], "pair"))
		return cmd_pair(argc - 2, argv + 2);
	if (!strcmp(argv[1], "ping"))
		return cmd_ping(argc - 2, argv + 2);
	if (!strcmp(argv[1], "idle"))
		return cmd_idle(argc - 2, argv + 2);
	if (!strcmp(argv[1], "plug"))
		return cmd_plug(argc - 2, argv + 2);
	fprintf(stderr, "gen: unknown command %s\n", argv[1]);
	return 2;
}
