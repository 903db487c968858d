/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the libFuzzer harnesses share: an invariant check that aborts (so
 * libFuzzer records the input), a reader that takes fields off the front of
 * an input, exact-size copies (so AddressSanitizer sees any read past the
 * end), scratch files, and an independent check of the IPv4 and UDP headers
 * of a frame the daemon built (the checksums are recomputed here, not with
 * the packet layer under test).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* What the harnesses and libFuzzer call besides the switch's calls: the
 * harnesses set up sockets, loops and scratch files for each input (what
 * the daemon does before its filter), libFuzzer reads and writes its
 * corpus and starts llvm-symbolizer for its NEW_FUNC lines. */
/* clang-format off */
static const int fuzz_libfuzzer_calls[] = {
    __NR_getdents64,
#ifdef __NR_mkdir
    __NR_mkdir,
#endif
#ifdef __NR_rmdir
    __NR_rmdir,
#endif
#ifdef __NR_access
    __NR_access,
#endif
    __NR_faccessat,
    __NR_umask,
#ifdef __NR_chmod
    __NR_chmod,
#endif
    __NR_fchmod,
    __NR_fchmodat,
#ifdef __NR_chown
    __NR_chown,
#endif
    __NR_fchown,
    __NR_fchownat,
    __NR_socketpair,
    __NR_epoll_create1,
    __NR_pread64,
    __NR_getrusage,
    __NR_setitimer,
    __NR_getrlimit,
    __NR_setrlimit,
    __NR_prlimit64,
    __NR_sigaltstack,
    __NR_prctl,
    __NR_sched_getaffinity,
#ifdef __NR_fork
    __NR_fork,
#endif
#ifdef __NR_vfork
    __NR_vfork,
#endif
    __NR_execve,
    __NR_wait4,
#ifdef __NR_arch_prctl
    __NR_arch_prctl,
#endif
    __NR_set_tid_address,
};
/* clang-format on */

/**
 * LLVMFuzzerInitialize() - put the harness under the switch's seccomp
 * filter (sandbox.h), as the daemon's switch process runs, so that the
 * code under test makes no call the daemon's filter would kill it for
 * @argc:	unused
 * @argv:	unused
 *
 * Return: 0
 */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sandbox_conf sc = {
	    .files = true,
	    .extra = fuzz_libfuzzer_calls,
	    .nextra = sizeof(fuzz_libfuzzer_calls) / sizeof(int),
	};
	char err[256];

	if (sandbox_apply(&sc, err, sizeof(err))) {
		fprintf(stderr, "fuzz: %s\n", err);
		abort();
	}
	return 0;
}

/* Called before an invariant failure aborts (see fuzz_history_dump()) */
static void (*fuzz_fail_hook)(void);

#define FUZZ_ASSERT(cond)                                                      \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: invariant failed: %s\n",       \
				__FILE__, __LINE__, #cond);                    \
			if (fuzz_fail_hook)                                    \
				fuzz_fail_hook();                              \
			abort();                                               \
		}                                                              \
	} while (0)

/**
 * struct fuzz_in - the part of an input not read yet
 * @p:		next byte
 * @len:	bytes left
 */
struct fuzz_in {
	const uint8_t *p;
	size_t len;
};

/**
 * fuzz_u8() - take one byte
 * @in:		the input
 *
 * Return: the byte, 0 once the input is used up
 */
static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	if (!in->len)
		return 0;
	v = in->p[0];
	in->p++;
	in->len--;
	return v;
}

/**
 * fuzz_u16() - take a big-endian 16-bit number
 * @in:		the input
 *
 * Return: the number (missing bytes read as 0)
 */
static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/**
 * fuzz_u32() - take a big-endian 32-bit number
 * @in:		the input
 *
 * Return: the number (missing bytes read as 0)
 */
static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);

	return hi << 16 | fuzz_u16(in);
}

/**
 * fuzz_take() - take up to @n bytes
 * @in:		the input
 * @n:		how many are wanted
 * @p:		set to the first of them
 *
 * Return: how many were taken (fewer at the end of the input)
 */
static inline size_t fuzz_take(struct fuzz_in *in, size_t n, const uint8_t **p)
{
	if (n > in->len)
		n = in->len;
	*p = in->p;
	in->p += n;
	in->len -= n;
	return n;
}

/**
 * fuzz_dup() - copy bytes into a buffer of exactly their size
 * @p:		the bytes
 * @n:		how many
 *
 * Return: the copy (free() it); aborts if out of memory
 */
static inline uint8_t *fuzz_dup(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	FUZZ_ASSERT(c != NULL);
	if (n)
		memcpy(c, p, n);
	return c;
}

/**
 * fuzz_tmpdir() - where harnesses put their scratch files
 *
 * Return: $FUZZ_TMPDIR, else /dev/shm when writable (lease files are
 * synced: a disk would make a run crawl), else /tmp
 */
static inline const char *fuzz_tmpdir(void)
{
	const char *d = getenv("FUZZ_TMPDIR");

	if (d && *d)
		return d;
	return access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
}

/**
 * fuzz_write_file() - replace a file's contents
 * @path:	the file
 * @p:		the bytes
 * @n:		how many
 */
static inline void fuzz_write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	FUZZ_ASSERT(f != NULL);
	FUZZ_ASSERT(fwrite(p, 1, n, f) == n);
	FUZZ_ASSERT(fclose(f) == 0);
}

/**
 * fuzz_be16() - read a big-endian 16-bit field
 * @p:		its first byte
 *
 * Return: the value
 */
static inline uint16_t fuzz_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/**
 * fuzz_be32() - read a big-endian 32-bit field
 * @p:		its first byte
 *
 * Return: the value
 */
static inline uint32_t fuzz_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/**
 * fuzz_sum() - add bytes to a ones' complement sum (RFC 1071)
 * @sum:	the sum so far
 * @p:		the bytes, taken as big-endian 16-bit words
 * @n:		how many (an odd last byte is padded with zero)
 *
 * Return: the new sum, not folded
 */
static inline uint32_t fuzz_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += fuzz_be16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

/**
 * fuzz_fold() - fold a ones' complement sum to 16 bits
 * @sum:	the sum
 *
 * Return: the folded sum (0xffff when the summed data checks out)
 */
static inline uint16_t fuzz_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/**
 * fuzz_check_udp() - check a UDP/IPv4 frame the daemon built
 * @f:		the frame
 * @len:	its length
 * @src_ip:	the source address it must have, host order
 * @sport:	the source port it must have
 *
 * The frame must be an untagged IPv4 frame whose 20-byte header (no options,
 * not a fragment) has a good checksum and a total length that is the
 * frame's, carrying a UDP datagram whose length is the rest of the frame and
 * whose checksum (with the pseudo-header; never left out) is good.
 *
 * Return: the UDP payload's offset in @f (the length is @len minus that)
 */
static inline size_t fuzz_check_udp(const uint8_t *f, size_t len,
				    uint32_t src_ip, uint16_t sport)
{
	const uint8_t *ip = f + 14, *udp = f + 34;
	uint32_t sum;

	FUZZ_ASSERT(len >= 42 && fuzz_be16(f + 12) == 0x0800);
	FUZZ_ASSERT(ip[0] == 0x45 && fuzz_be16(ip + 2) == len - 14);
	FUZZ_ASSERT((fuzz_be16(ip + 6) & 0x3fff) == 0 && ip[9] == 17);
	FUZZ_ASSERT(fuzz_fold(fuzz_sum(0, ip, 20)) == 0xffff);
	FUZZ_ASSERT(fuzz_be32(ip + 12) == src_ip);
	FUZZ_ASSERT(fuzz_be16(udp) == sport);
	FUZZ_ASSERT(fuzz_be16(udp + 4) == len - 34);
	FUZZ_ASSERT(fuzz_be16(udp + 6) != 0); /* the daemon always sums */
	sum = fuzz_sum(0, ip + 12, 8) + 17 + (uint32_t)(len - 34);
	FUZZ_ASSERT(fuzz_fold(fuzz_sum(sum, udp, len - 34)) == 0xffff);
	return 42;
}

/*
 * Harnesses whose state lives across inputs (a server) keep the inputs of
 * the current epoch, which starts from scratch every FUZZ_EPOCH inputs; on
 * a failure they write them out, concatenated, as one input that replays
 * the whole epoch from scratch: $FUZZ_ARTIFACTS (the runner sets it to
 * libFuzzer's artifact prefix) followed by "history".
 */
#define FUZZ_EPOCH	 64u
#define FUZZ_HISTORY_MAX (1u << 20)

/**
 * struct fuzz_history - the inputs of the current epoch
 * @buf:	their bytes, concatenated
 * @len:	how many
 * @inputs:	how many inputs
 */
static struct fuzz_history {
	uint8_t buf[FUZZ_HISTORY_MAX];
	size_t len;
	unsigned int inputs;
} fuzz_hist;

/**
 * fuzz_history_dump() - write the epoch's inputs out (a fuzz_fail_hook)
 */
static inline void fuzz_history_dump(void)
{
	const char *pre = getenv("FUZZ_ARTIFACTS");
	char path[512];

	snprintf(path, sizeof(path), "%shistory", pre ? pre : "./");
	fuzz_write_file(path, fuzz_hist.buf, fuzz_hist.len);
	fprintf(stderr, "inputs since the state was fresh (%u): %s\n",
		fuzz_hist.inputs, path);
}

/**
 * fuzz_history_add() - start an epoch when due, and keep an input
 * @p:		the input, as whole records (so that inputs concatenate)
 * @n:		its length
 *
 * Return: true if a new epoch starts: the caller starts from scratch
 */
static inline bool fuzz_history_add(const uint8_t *p, size_t n)
{
	bool fresh = fuzz_hist.inputs % FUZZ_EPOCH == 0 ||
		     fuzz_hist.len + n > FUZZ_HISTORY_MAX;

	if (fresh)
		fuzz_hist.len = fuzz_hist.inputs = 0;
	fuzz_fail_hook = fuzz_history_dump;
	if (n <= FUZZ_HISTORY_MAX) {
		memcpy(fuzz_hist.buf + fuzz_hist.len, p, n);
		fuzz_hist.len += n;
	}
	fuzz_hist.inputs++;
	return fresh;
}

#endif /* FUZZ_H */
