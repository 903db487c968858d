/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The switch process's sandbox on Linux: a read-only view of the file
 * system in a mount namespace of its own, and a seccomp-bpf allowlist.
 *
 * Theory of operation. The worker (priv.c) enters the namespace while it
 * is still root, before it takes its user's uid: a private mount namespace
 * (mounts of the host still show up in it, none of its own leave it) where
 * every mount is read-only, nosuid and nodev. It is not an empty root: the
 * switch must go on reaching socket files by name for as long as it runs
 * (each peer of the shared datagram socket is a path it sends to, --connect
 * reconnects to a path, the user-mode NAT rereads /etc/resolv.conf), and a
 * socket file on a read-only mount still accepts connections. Writing is
 * what the view takes away; the lease file goes through the monitor. When
 * the kernel refuses (no CAP_SYS_ADMIN under a service manager, a
 * container), the log says so once and the other layers still apply.
 *
 * The allowlist is built at run time from the tables below, one per module
 * (or library) that makes the calls, with the architecture checked first:
 * a call of another architecture or ABI (x32, i386 on x86_64) kills the
 * process at once. Anything not listed raises SIGSYS (SECCOMP_RET_TRAP);
 * the handler writes the call's name and number to stderr, then lets the
 * signal kill the process, so the monitor logs the death by SIGSYS and
 * cleans up. A few calls are allowed with arguments checked: kill() and
 * tgkill() only to the process itself, openat() only to read unless the
 * process writes files itself (struct sandbox_conf). To allow a call a
 * module needs, add it to that module's table; calls that only some
 * architectures have go under #ifdef __NR_name.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "err.h"
#include "log.h"
#include "sandbox.h"

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000 /* <linux/fcntl.h> */
#endif

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define SANDBOX_ARCH AUDIT_ARCH_RISCV64
#else
#define SANDBOX_ARCH 0 /* no filter: sandbox_apply() says so */
#endif

/* The calls of every module and library the worker runs, by who needs them. */

/* One call a line, so that the tables merge line by line. */
/* clang-format off */
/* The event loop (loop.c, loop_epoll.c), the signal pipe and the log
 * (main.c, log.c): the calls of every frame come first, the filter checks
 * in this order. */
static const int sandbox_loop[] = {
    __NR_read,
    __NR_write,
    __NR_writev,
    __NR_epoll_pwait,
#ifdef __NR_epoll_wait
    __NR_epoll_wait,
#endif
    __NR_epoll_ctl,
    __NR_clock_gettime,
    __NR_gettimeofday,
    __NR_close,
    __NR_rt_sigreturn,
    __NR_rt_sigaction,
    __NR_rt_sigprocmask,
    __NR_getpid,
    __NR_gettid,
    __NR_exit_group,
    __NR_exit,
    __NR_restart_syscall,
};

/* Ports (stream.c, dgram.c, port.c, sock.c): frames, accepting and making
 * connections, buffer sizes, peer credentials; the control socket (ctl.c:
 * its peer check, the descriptors passed with requests); the monitor's
 * channel (priv.c, monitor.c). */
static const int sandbox_ports[] = {
    __NR_recvmmsg,
    __NR_sendmmsg,
    __NR_recvfrom,
    __NR_sendto,
    __NR_recvmsg,
    __NR_sendmsg,
    __NR_readv,
    __NR_accept4,
    __NR_connect,
    __NR_socket,
    __NR_getsockopt,
    __NR_setsockopt,
    __NR_getsockname,
    __NR_getpeername,
    __NR_shutdown,
    __NR_fcntl,
    __NR_ioctl,
    __NR_fstat,
    __NR_newfstatat,
    __NR_statx,
    __NR_lseek,
    __NR_pipe2,
    __NR_dup,
    __NR_dup3,
    __NR_getuid,
    __NR_geteuid,
    __NR_getgid,
    __NR_getegid,
#ifdef __NR_accept
    __NR_accept,
#endif
#ifdef __NR_dup2
    __NR_dup2,
#endif
#ifdef __NR_pipe
    __NR_pipe,
#endif
#ifdef __NR_stat
    __NR_stat,
    __NR_lstat,
#endif
};

/* Memory (malloc, the port table, the capture ring) and the capture's
 * writer thread (capture.c: pthread_create, futexes). */
static const int sandbox_memory[] = {
    __NR_brk,
    __NR_mmap,
    __NR_munmap,
    __NR_mremap,
    __NR_mprotect,
    __NR_madvise,
    __NR_futex,
    __NR_clone,
#ifdef __NR_clone3
    __NR_clone3,
#endif
    __NR_set_robust_list,
    __NR_rseq,
    __NR_sched_yield,
    __NR_sched_getaffinity,
    __NR_getrandom,
    __NR_nanosleep,
    __NR_clock_nanosleep,
};

/* The user-mode NAT (usernat.c, libslirp and glib): its sockets to the
 * outside world and for forwards; DNS (it rereads /etc/resolv.conf:
 * openat, read only, see sandbox_build()). */
static const int sandbox_usernat[] = {
    __NR_bind,
    __NR_listen,
    __NR_openat,
    __NR_uname,
#ifdef __NR_poll
    __NR_poll,
#endif
    __NR_ppoll,
};

/* Without a monitor (started as non-root): the lease file (file.c,
 * dhcp_file.c) and the socket files and pidfile removed at exit (sock.c,
 * pidfile.c). */
static const int sandbox_files[] = {
    __NR_fsync,
    __NR_fdatasync,
    __NR_ftruncate,
    __NR_unlinkat,
    __NR_renameat,
#ifdef __NR_renameat2
    __NR_renameat2,
#endif
#ifdef __NR_rename
    __NR_rename,
    __NR_unlink,
#endif
    __NR_flock,
};

#ifdef SANDBOX_SANITIZER
/* Sanitizer builds only (make sanitize, make soak): the ASan/UBSan/LSan
 * runtime's reports and its leak check at exit, which stops the process
 * from a traced clone. */
static const int sandbox_sanitizer[] = {
    __NR_kill, /* LSan's tracer is a process of its own */
    __NR_tgkill,
    __NR_tkill,
    __NR_sigaltstack,
    __NR_prctl,
    __NR_ptrace,
    __NR_wait4,
    __NR_getdents64,
    __NR_readlinkat,
    __NR_getppid,
    __NR_waitid,
    __NR_sched_setaffinity,
    __NR_process_vm_readv,
    __NR_getrlimit,
    __NR_prlimit64,
#ifdef __NR_readlink
    __NR_readlink,
#endif
#ifdef __NR_open
    __NR_open, /* GCC's runtime on x86_64: /proc/PID/task, maps */
#endif
#ifdef __NR_getdents
    __NR_getdents,
#endif
};
#endif
/* clang-format on */

/**
 * struct sandbox_group - one table and who needs it
 * @who:	for the log
 * @calls:	the calls
 * @n:		how many
 * @files:	only when the process writes files itself
 */
struct sandbox_group {
	const char *who;
	const int *calls;
	size_t n;
	bool files;
};

#define SANDBOX_GROUP(w, t, f)                                                 \
	{                                                                      \
		w, t, sizeof(t) / sizeof(t[0]), f                              \
	}

static const struct sandbox_group sandbox_groups[] = {
    SANDBOX_GROUP("loop", sandbox_loop, false),
    SANDBOX_GROUP("ports", sandbox_ports, false),
    SANDBOX_GROUP("memory", sandbox_memory, false),
    SANDBOX_GROUP("usernat", sandbox_usernat, false),
    SANDBOX_GROUP("files", sandbox_files, true),
#ifdef SANDBOX_SANITIZER
    SANDBOX_GROUP("sanitizer", sandbox_sanitizer, false),
#endif
};

/* Every name the kernel headers know, for the SIGSYS message (generated
 * by the Makefile from <sys/syscall.h>). */
static const struct {
	int nr;
	const char *name;
} sandbox_names[] = {
#define SANDBOX_NAME(n) {__NR_##n, #n},
#include "syscall_names.h"
#undef SANDBOX_NAME
};

#define SANDBOX_MAX_INSNS 512

/**
 * struct sandbox_prog - a filter being built
 * @insn:	its instructions
 * @n:		how many
 */
struct sandbox_prog {
	struct sock_filter insn[SANDBOX_MAX_INSNS];
	unsigned int n;
};

/**
 * sandbox_put() - append one instruction (ignored once full: checked after)
 * @p:		the filter
 * @code:	opcode
 * @k:		operand
 * @jt:		jump if true
 * @jf:		jump if false
 */
static void sandbox_put(struct sandbox_prog *p, uint16_t code, uint32_t k,
			uint8_t jt, uint8_t jf)
{
	if (p->n < SANDBOX_MAX_INSNS)
		p->insn[p->n] = (struct sock_filter){code, jt, jf, k};
	p->n++;
}

#define SANDBOX_LD(off)	  (BPF_LD | BPF_W | BPF_ABS), (uint32_t)(off)
#define SANDBOX_ARG_LO(i) offsetof(struct seccomp_data, args[i])

/**
 * sandbox_allow_if() - allow @nr only when its argument @arg matches
 * @p:		the filter
 * @nr:		system call
 * @arg:	which argument (its low 32 bits)
 * @eq:	true: allow if it equals @k; false: if none of the bits of @k
 *		is set
 * @k:		the value or the bits
 */
static void sandbox_allow_if(struct sandbox_prog *p, int nr, int arg, bool eq,
			     uint32_t k)
{
	sandbox_put(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)nr, 0, 4);
	sandbox_put(p, SANDBOX_LD(SANDBOX_ARG_LO(arg)), 0, 0);
	sandbox_put(p, BPF_JMP | (eq ? BPF_JEQ : BPF_JSET) | BPF_K, k,
		    eq ? 0 : 1, eq ? 1 : 0);
	sandbox_put(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	sandbox_put(p, SANDBOX_LD(offsetof(struct seccomp_data, nr)), 0, 0);
}

/**
 * sandbox_build() - the filter for this process
 * @p:		filled in
 * @sc:		what the process still does
 */
static void sandbox_build(struct sandbox_prog *p, const struct sandbox_conf *sc)
{
	p->n = 0;
	sandbox_put(p, SANDBOX_LD(offsetof(struct seccomp_data, arch)), 0, 0);
	sandbox_put(p, BPF_JMP | BPF_JEQ | BPF_K, SANDBOX_ARCH, 1, 0);
	sandbox_put(p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
	sandbox_put(p, SANDBOX_LD(offsetof(struct seccomp_data, nr)), 0, 0);
#ifdef __X32_SYSCALL_BIT
	sandbox_put(p, BPF_JMP | BPF_JGE | BPF_K, __X32_SYSCALL_BIT, 0, 1);
	sandbox_put(p, BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS, 0, 0);
#endif
	/* Signals to the process itself only (raise(), abort()). */
	sandbox_allow_if(p, __NR_kill, 0, true, (uint32_t)getpid());
	sandbox_allow_if(p, __NR_tgkill, 0, true, (uint32_t)getpid());
	/* Files opened to read only, unless the process writes its own. */
	if (!sc->files)
		sandbox_allow_if(p, __NR_openat, 2, false,
				 O_WRONLY | O_RDWR | O_CREAT | O_TRUNC |
				     O_APPEND);
	for (size_t g = 0;
	     g < sizeof(sandbox_groups) / sizeof(sandbox_groups[0]); g++) {
		const struct sandbox_group *gr = &sandbox_groups[g];

		if (gr->files && !sc->files)
			continue;
		for (size_t i = 0; i < gr->n; i++) {
			if (gr->calls[i] == __NR_openat && !sc->files)
				continue; /* checked above */
			sandbox_put(p, BPF_JMP | BPF_JEQ | BPF_K,
				    (uint32_t)gr->calls[i], 0, 1);
			sandbox_put(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0,
				    0);
		}
	}
	for (size_t i = 0; i < sc->nextra; i++) {
		sandbox_put(p, BPF_JMP | BPF_JEQ | BPF_K,
			    (uint32_t)sc->extra[i], 0, 1);
		sandbox_put(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW, 0, 0);
	}
	sandbox_put(p, BPF_RET | BPF_K, SECCOMP_RET_TRAP, 0, 0);
}

/**
 * sandbox_put_str() - async-signal-safe: append a string
 * @buf:	the line
 * @len:	its length so far, updated
 * @size:	its size
 * @s:		what to append
 */
static void sandbox_put_str(char *buf, size_t *len, size_t size, const char *s)
{
	while (*s && *len + 1 < size)
		buf[(*len)++] = *s++;
}

/**
 * sandbox_put_num() - async-signal-safe: append a number
 * @buf:	the line
 * @len:	its length so far, updated
 * @size:	its size
 * @v:		the number
 */
static void sandbox_put_num(char *buf, size_t *len, size_t size, long v)
{
	char d[24];
	int i = (int)sizeof(d) - 1;
	unsigned long u = v < 0 ? (unsigned long)-v : (unsigned long)v;

	d[i] = '\0';
	do {
		d[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u && i > 1);
	if (v < 0)
		d[--i] = '-';
	sandbox_put_str(buf, len, size, d + i);
}

/**
 * sandbox_sigsys() - SIGSYS handler: name the forbidden call, then die of it
 * @sig:	SIGSYS
 * @si:		what the kernel says: the call's number
 * @uc:		unused
 */
static void sandbox_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[256];
	size_t n = 0;
	const char *name = "unknown";
	struct sigaction sa;

	for (size_t i = 0; i < sizeof(sandbox_names) / sizeof(sandbox_names[0]);
	     i++)
		if (sandbox_names[i].nr == si->si_syscall)
			name = sandbox_names[i].name;
	sandbox_put_str(line, &n, sizeof(line),
			"socket_vmnet: error: sandbox: forbidden system call ");
	sandbox_put_str(line, &n, sizeof(line), name);
	sandbox_put_str(line, &n, sizeof(line), " (");
	sandbox_put_num(line, &n, sizeof(line), si->si_syscall);
	sandbox_put_str(line, &n, sizeof(line), ") in process ");
	sandbox_put_num(line, &n, sizeof(line), (long)getpid());
	sandbox_put_str(line, &n, sizeof(line),
			"; killed (add it to src/sandbox_seccomp.c if it is "
			"needed, or run with --sandbox=off)\n");
	if (write(STDERR_FILENO, line, n) < 0) {
		/* nothing more to say */
	}
	/* Die of SIGSYS once the handler returns: the monitor reports it. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGSYS, &sa, NULL);
	kill(getpid(), SIGSYS);
}

/**
 * sandbox_apply() - confine the calling process to the allowlist
 * @sc:		what the process still does
 * @err:	message buffer
 * @errlen:	its size
 *
 * Sets no_new_privs (needed without CAP_SYS_ADMIN) and installs the
 * filter; call it with one thread only, after setup.
 *
 * Return: 0, or -1 with @err set (the process is not confined)
 */
int sandbox_apply(const struct sandbox_conf *sc, char *err, size_t errlen)
{
	static struct sandbox_prog p;
	struct sock_fprog fp;
	struct sigaction sa;

	if (!SANDBOX_ARCH)
		return err_set(err, errlen,
			       "no seccomp filter for this architecture");
	sandbox_build(&p, sc);
	if (p.n > SANDBOX_MAX_INSNS)
		return err_set(err, errlen, "seccomp filter too long (%u)",
			       p.n);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return err_sys(err, errlen, "SIGSYS handler");
	fp.len = (unsigned short)p.n;
	fp.filter = p.insn;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp))
		return err_sys(err, errlen, "seccomp filter");
	log_info("sandbox: seccomp filter on (%u instructions%s)", p.n,
		 sc->files ? ", with file writes" : "");
	return 0;
}

/**
 * sandbox_enter_namespaces() - as root, before the uid change: a mount
 * namespace of its own where the whole file system is read-only
 *
 * Says once why not when the kernel refuses, and goes on.
 */
void sandbox_enter_namespaces(void)
{
	struct mount_attr ma = {
	    .attr_set =
		MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
	};

	if (unshare(CLONE_NEWNS)) {
		/* A service manager's own sandbox, a container: not an
		 * error, the other layers still apply. */
		log_info("sandbox: no mount namespace of its own (%s); the "
			 "switch sees the file system as its user does",
			 strerror(errno));
		return;
	}
	if (syscall(SYS_mount, NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) ||
	    syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ma,
		    sizeof(ma))) {
		log_warn("sandbox: cannot make the file system read-only in "
			 "the switch's mount namespace");
		return;
	}
	if (chdir("/")) {
		/* still confined: nothing to do about it */
	}
	log_info("sandbox: the switch sees the file system read-only");
}
