/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packet capture to a pcap file (see capture.h).
 *
 * Theory of operation: the event loop must never wait for a disk, so a
 * capture has a writer thread of its own and a byte ring of CAPTURE_BUFFER
 * between them, with one producer (the loop thread, in capture_frame()) and
 * one consumer (the writer). The producer copies a pcap record header and
 * the frame into the ring if the whole record fits, else counts the frame
 * as dropped; then it publishes the new end with a release store. The
 * writer writes what is published, in at most two spans, with plain
 * blocking write()s, and publishes how far it got. Nothing is locked. When
 * the ring is empty the writer says it is going to sleep and sleeps in
 * poll() on a pipe; the loop's before-sleep hook (registered only while a
 * capture runs) writes one byte to that pipe if records were added during
 * the turn and the writer sleeps, so the loop makes at most one system call
 * per turn for the capture, and none when capture is off: the switch then
 * calls nothing at all. Descriptors that can block for ever (pipes, FIFOs,
 * sockets) are made non-blocking and the writer polls them together with
 * the pipe, so that a stop is heard even when the reader stopped reading.
 * A stop sets a flag and closes the pipe's write end; the writer drains
 * what it can, closes the file and frees the capture itself, so the loop
 * never joins a thread that may be stuck in a disk write (except at exit,
 * where capture_fini() waits a bounded time for the writer to finish).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#ifdef __APPLE__
#include <pthread/pthread.h> /* where the SDK's <pthread.h> points */
#else
#include <pthread.h>
#endif
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "compat.h"
#include "err.h"
#include "log.h"
#include "loop.h"

#define CAPTURE_HDR	 24u /* pcap file header */
#define CAPTURE_REC	 16u /* pcap record header */
#define CAPTURE_MAGIC	 0xa1b2c3d4u
#define CAPTURE_ETHERNET 1u /* LINKTYPE_ETHERNET */

/**
 * struct capture_run - one capture, shared by the loop and its writer
 * @fd:		the file (the writer's)
 * @wake:	pipe: the loop's write end wakes the writer (closed at stop)
 * @done:	pipe: the writer closes its write end when it has finished
 * @ring:	the buffer
 * @size:	its size
 * @head:	bytes the writer has taken (writer stores, loop loads)
 * @tail:	bytes the loop has published (loop stores, writer loads)
 * @sleeping:	the writer waits for the wake pipe
 * @stop:	the loop stopped the capture
 * @written:	bytes written to @fd
 * @error:	errno of a failed write
 * @filter:	which frames to keep (the loop's)
 * @st:		the loop's counters
 * @kick:	records were added since the last hook run
 */
struct capture_run {
	int fd;
	int wake[2];
	int done[2];
	uint8_t *ring;
	size_t size;
	_Atomic uint64_t head;
	_Atomic uint64_t tail;
	atomic_bool sleeping;
	atomic_bool stop;
	_Atomic uint64_t written;
	atomic_int error;
	struct capture_filter filter;
	struct capture_stats st;
	bool kick;
};

/**
 * struct capture_state - the module's state
 * @run:	the running capture, or NULL
 * @done_fd:	read end of the done pipe of the last capture stopped, -1
 * @last:	the counters of the last capture, once it stopped
 * @hook:	the loop hook that wakes the writer
 */
static struct capture_state {
	struct capture_run *run;
	int done_fd;
	struct capture_stats last;
	struct loop_hook hook;
} cap = {.done_fd = -1, .last = {.filter = {.port = CAPTURE_ANY_PORT}}};

/**
 * capture_free() - release a capture's resources
 * @r:		the capture (its pipes' loop ends are closed already)
 */
static void capture_free(struct capture_run *r)
{
	if (r->fd >= 0)
		close(r->fd);
	if (r->wake[0] >= 0)
		close(r->wake[0]);
	free(r->ring);
	if (r->done[1] >= 0)
		close(r->done[1]); /* last: capture_fini() waits for this */
	free(r);
}

/**
 * capture_wait() - the writer waits for the loop or for its descriptor
 * @r:		the capture
 * @out:	wait for @r->fd to take bytes too
 */
static void capture_wait(struct capture_run *r, bool out)
{
	struct pollfd p[2] = {{.fd = r->wake[0], .events = POLLIN},
			      {.fd = r->fd, .events = POLLOUT}};
	char buf[64];

	if (poll(p, out ? 2 : 1, -1) > 0 && (p[0].revents & POLLIN))
		while (read(r->wake[0], buf, sizeof(buf)) > 0)
			;
}

/**
 * capture_write_some() - write what the loop published
 * @r:		the capture
 * @h:		bytes taken so far
 * @t:		bytes published
 *
 * Return: bytes written, 0 if the descriptor is full, -1 on error
 */
static ssize_t capture_write_some(struct capture_run *r, uint64_t h, uint64_t t)
{
	size_t off = (size_t)(h % r->size), n = (size_t)(t - h);
	ssize_t w;

	if (n > r->size - off)
		n = r->size - off;
	w = write(r->fd, r->ring + off, n);
	if (w >= 0)
		return w;
	if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	atomic_store(&r->error, errno);
	return -1;
}

/**
 * capture_writer() - the writer thread
 * @arg:	the capture
 *
 * Return: NULL
 */
static void *capture_writer(void *arg)
{
	struct capture_run *r = arg;
	uint64_t h = 0;

	for (;;) {
		uint64_t t = atomic_load(&r->tail);
		ssize_t w;

		if (t == h) {
			if (atomic_load(&r->stop))
				break;
			atomic_store(&r->sleeping, true);
			if (atomic_load(&r->tail) == h &&
			    !atomic_load(&r->stop))
				capture_wait(r, false);
			atomic_store(&r->sleeping, false);
			continue;
		}
		w = capture_write_some(r, h, t);
		if (w < 0)
			break;
		if (w == 0) {
			if (atomic_load(&r->stop))
				break;
			capture_wait(r, true);
			continue;
		}
		h += (uint64_t)w;
		atomic_store(&r->head, h);
		atomic_fetch_add(&r->written, (uint64_t)w);
	}
	/* After a failed write the loop still fills the ring (and counts
	 * drops once it is full) until it stops the capture. */
	while (!atomic_load(&r->stop))
		capture_wait(r, false);
	capture_free(r);
	return NULL;
}

/**
 * capture_put() - copy bytes into the ring at a position
 * @r:		the capture
 * @pos:	where, as a byte count since the start
 * @data:	the bytes
 * @n:		how many (at most the ring's size)
 */
static void capture_put(struct capture_run *r, uint64_t pos, const void *data,
			size_t n)
{
	size_t off = (size_t)(pos % r->size), first = r->size - off;

	if (first > n)
		first = n;
	memcpy(r->ring + off, data, first);
	memcpy(r->ring, (const uint8_t *)data + first, n - first);
}

/**
 * capture_push() - add a record to the ring, or count it dropped
 * @r:		the capture
 * @hdr:	its first part
 * @hlen:	its length
 * @data:	its second part
 * @len:	its length
 */
static void capture_push(struct capture_run *r, const void *hdr, size_t hlen,
			 const void *data, size_t len)
{
	uint64_t t = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint64_t used =
	    t - atomic_load_explicit(&r->head, memory_order_acquire);

	if (r->size - used < hlen + len) {
		r->st.dropped++;
		return;
	}
	capture_put(r, t, hdr, hlen);
	capture_put(r, t + hlen, data, len);
	atomic_store(&r->tail, t + hlen + len);
	r->st.frames++;
	r->st.bytes += hlen + len;
	r->kick = true;
}

/**
 * capture_hook() - before the loop sleeps: wake the writer if needed
 * @h:		the hook
 */
static void capture_hook(struct loop_hook *h)
{
	struct capture_run *r = cap.run;

	if (!r || !r->kick)
		return;
	r->kick = false;
	if (atomic_exchange(&r->sleeping, false) &&
	    write(r->wake[1], "", 1) < 0) {
		/* Full: the writer has a wake-up pending already. */
	}
}

/**
 * capture_match() - tell whether a frame passes the filter
 * @f:		the filter
 * @src:	port it came from, or CAPTURE_PORT_NONE
 * @dst:	port it goes to, CAPTURE_ANY_PORT when flooded
 * @frame:	the frame (at least an Ethernet header)
 *
 * Return: true to keep it
 */
static bool capture_match(const struct capture_filter *f, int src, int dst,
			  const uint8_t *frame)
{
	if (f->port != CAPTURE_ANY_PORT && src != f->port && dst != f->port &&
	    dst != CAPTURE_ANY_PORT)
		return false;
	return !f->has_mac || !memcmp(frame, f->mac, 6) ||
	       !memcmp(frame + 6, f->mac, 6);
}

/**
 * capture_frame() - a frame passing the switch (the switch's tap)
 * @src:	port it came from, or CAPTURE_PORT_NONE (the gateway)
 * @dst:	port it goes to, or CAPTURE_ANY_PORT when flooded
 * @frame:	the frame
 * @len:	its length, at least an Ethernet header
 */
void capture_frame(int src, int dst, const uint8_t *frame, size_t len)
{
	struct capture_run *r = cap.run;
	struct timespec ts;
	uint32_t rec[4];
	size_t keep = len > CAPTURE_SNAPLEN ? CAPTURE_SNAPLEN : len;

	if (!r || r->st.full || len < 14 ||
	    !capture_match(&r->filter, src, dst, frame))
		return;
	if (r->filter.max_bytes &&
	    r->st.bytes + CAPTURE_REC + keep > r->filter.max_bytes) {
		r->st.full = true;
		log_info("capture: size limit of %llu bytes reached",
			 (unsigned long long)r->filter.max_bytes);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	rec[0] = (uint32_t)ts.tv_sec;
	rec[1] = (uint32_t)(ts.tv_nsec / 1000);
	rec[2] = (uint32_t)keep;
	rec[3] = (uint32_t)len;
	capture_push(r, rec, sizeof(rec), frame, keep);
}

/**
 * capture_run_new() - allocate a capture and its pipes
 * @fd:		the file
 * @f:		the filter
 *
 * Return: the capture, or NULL with errno set
 */
static struct capture_run *capture_run_new(int fd,
					   const struct capture_filter *f)
{
	struct capture_run *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->fd = fd;
	r->wake[0] = r->wake[1] = r->done[0] = r->done[1] = -1;
	r->filter = *f;
	r->size = CAPTURE_BUFFER;
	r->ring = malloc(r->size);
	if (!r->ring || compat_pipe(r->wake) || compat_pipe(r->done)) {
		int e = errno;

		r->fd = -1;
		if (r->wake[1] >= 0)
			close(r->wake[1]);
		if (r->done[0] >= 0)
			close(r->done[0]);
		capture_free(r);
		errno = e;
		return NULL;
	}
	r->st.running = true;
	r->st.filter = *f;
	return r;
}

/**
 * capture_spawn() - start the writer thread, with every signal blocked
 * @r:		the capture
 *
 * Return: 0, or an error number
 */
static int capture_spawn(struct capture_run *r)
{
	sigset_t all, old;
	pthread_t th;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&th, NULL, capture_writer, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!e)
		pthread_detach(th);
	return e;
}

/**
 * capture_start() - start writing frames to a file
 * @fd:		an open, writable descriptor; the capture owns it from now
 *		on (it is closed on failure too)
 * @f:		which frames to keep
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0, or -1 with @err set
 */
int capture_start(int fd, const struct capture_filter *f, char *err,
		  size_t errlen)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} hdr = {CAPTURE_MAGIC, 2, 4, 0, 0, CAPTURE_SNAPLEN, CAPTURE_ETHERNET};
	struct capture_run *r;
	struct stat sb;
	int e;

	if (cap.run) {
		close(fd);
		return err_set(err, errlen, "a capture is already running");
	}
	if (fstat(fd, &sb) || (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY) {
		close(fd);
		return err_set(err, errlen, "the capture file is not writable");
	}
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (!S_ISREG(sb.st_mode))
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	r = capture_run_new(fd, f);
	if (!r) {
		close(fd);
		return err_sys(err, errlen, "capture");
	}
	/* The file header (pcap 2.4, native byte order) goes first. */
	capture_put(r, 0, &hdr, CAPTURE_HDR);
	atomic_store(&r->tail, CAPTURE_HDR);
	r->st.bytes = CAPTURE_HDR;
	e = capture_spawn(r);
	if (e) {
		close(r->wake[1]);
		close(r->done[0]);
		capture_free(r);
		errno = e;
		return err_sys(err, errlen, "capture thread");
	}
	cap.run = r;
	r->kick = true;
	cap.hook.fn = capture_hook;
	loop_hook_add(&cap.hook);
	return 0;
}

/**
 * capture_snapshot() - the counters of a running capture
 * @r:		the capture
 * @st:		filled in
 */
static void capture_snapshot(struct capture_run *r, struct capture_stats *st)
{
	*st = r->st;
	st->written = atomic_load(&r->written);
	st->write_error = atomic_load(&r->error);
}

/**
 * capture_stop() - stop the capture, if one runs
 *
 * Does not wait: the writer writes what it holds, closes the file and
 * ends by itself.
 *
 * Return: a descriptor that becomes readable (end of file) once the
 * writer has closed the file, for the caller to watch and close; -1 if no
 * capture ran or none could be made
 */
int capture_stop(void)
{
	struct capture_run *r = cap.run;
	int wake;

	if (!r)
		return -1;
	capture_snapshot(r, &cap.last);
	cap.last.running = false;
	loop_hook_del(&cap.hook);
	cap.run = NULL;
	if (cap.done_fd >= 0)
		close(cap.done_fd);
	cap.done_fd = r->done[0];
	wake = r->wake[1];
	/* From the store on, @r is the writer's: it may free it at once. */
	atomic_store(&r->stop, true);
	close(wake); /* the writer wakes up */
	log_info("capture stopped: %llu frames, %llu bytes, %llu dropped",
		 (unsigned long long)cap.last.frames,
		 (unsigned long long)cap.last.bytes,
		 (unsigned long long)cap.last.dropped);
	return fcntl(cap.done_fd, F_DUPFD_CLOEXEC, 0);
}

/**
 * capture_running() - tell whether a capture runs
 *
 * Return: true if one does
 */
bool capture_running(void)
{
	return cap.run != NULL;
}

/**
 * capture_get_stats() - the running capture's counters, else the last's
 * @st:		filled in (all zero if there never was a capture)
 */
void capture_get_stats(struct capture_stats *st)
{
	if (cap.run)
		capture_snapshot(cap.run, st);
	else
		*st = cap.last;
}

/**
 * capture_fini() - stop the capture and let its writer finish
 * @wait_ms:	longest wait for the writer (at exit)
 */
void capture_fini(unsigned int wait_ms)
{
	int fd = capture_stop();

	if (fd >= 0)
		close(fd);
	if (cap.done_fd < 0)
		return;
	if (wait_ms) {
		struct pollfd p = {.fd = cap.done_fd, .events = POLLIN};

		if (poll(&p, 1, (int)wait_ms) == 0)
			log_warnx("capture: the writer did not finish within "
				  "%u ms",
				  wait_ms);
	}
	close(cap.done_fd);
	cap.done_fd = -1;
}
