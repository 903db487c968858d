/* SPDX-License-Identifier: Apache-2.0 */
/*
 * socket_vmnet_client - connect to a socket_vmnet socket, then run a command
 * with the connected socket as file descriptor 3.
 *
 * Typical use is wrapping QEMU so that "-netdev socket,id=net0,fd=3" finds
 * the switch connection already open.  This program only uses libc so that it
 * stays small and easy to audit; it never links the daemon's code paths.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifndef VERSION
#define VERSION "unknown"
#endif

#define PROG_NAME "socket_vmnet_client"

/* The descriptor the command finds the connection on (QEMU's fd=3). */
#define TARGET_FD 3

/* Buffer sizes asked of the kernel: 1 MiB send, 4 MiB receive. */
#define SEND_BUF_BYTES (1 << 20)
#define RECV_BUF_BYTES (4 << 20)

/* Exit codes, shaped like a POSIX shell's. */
#define EXIT_OWN_ERROR 1
#define EXIT_NOT_EXEC  126
#define EXIT_NOT_FOUND 127

/**
 * errmsg() - print one error line on stderr, prefixed with the program name
 * @fmt: printf format of the message, without a trailing newline
 * @...: arguments for @fmt
 *
 * If stderr is closed the line is silently lost; nothing else is affected.
 */
static void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void errmsg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", PROG_NAME);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/**
 * usage() - print the command line summary
 * @out: stream to print on (stdout for --help, stderr on misuse)
 */
static void usage(FILE *out)
{
	fputs("Usage: " PROG_NAME " SOCKET COMMAND [ARGS...]\n"
	      "       " PROG_NAME " -h|--help\n"
	      "       " PROG_NAME " -v|--version\n"
	      "\n"
	      "Connect to the socket_vmnet UNIX socket SOCKET, then run\n"
	      "COMMAND with ARGS; COMMAND finds the connected socket on\n"
	      "file descriptor 3. Options are only recognised as the first\n"
	      "argument; put \"--\" before a SOCKET starting with '-'.\n"
	      "\n"
	      "Example:\n"
	      "  " PROG_NAME " /var/run/socket_vmnet \\\n"
	      "    qemu-system-x86_64 -netdev socket,id=net0,fd=3 \\\n"
	      "    -device virtio-net-pci,netdev=net0,mac=52:54:00:12:34:56\n",
	      out);
}

/**
 * finish_stdout() - flush stdout and report a failed write
 *
 * Used after --help and --version so that "socket_vmnet_client -v >/dev/full"
 * does not claim success.
 *
 * Return: EXIT_SUCCESS if everything reached stdout, EXIT_OWN_ERROR if not.
 */
static int finish_stdout(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		errmsg("cannot write to stdout: %s", strerror(errno));
		return EXIT_OWN_ERROR;
	}
	return EXIT_SUCCESS;
}

/**
 * fill_address() - build the UNIX socket address for a path
 * @path: filesystem path of the socket_vmnet socket
 * @addr: address to fill in
 *
 * Return: 0 on success, -1 (after printing why) if @path is empty or does
 * not fit in sun_path with its terminating NUL.
 */
static int fill_address(const char *path, struct sockaddr_un *addr)
{
	size_t len = strlen(path);
	size_t max = sizeof(addr->sun_path) - 1;

	if (len == 0) {
		errmsg("socket path is empty");
		return -1;
	}
	if (len > max) {
		errmsg("socket path too long (%zu bytes, max %zu): %s", len,
		       max, path);
		return -1;
	}
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	memcpy(addr->sun_path, path, len + 1);
	return 0;
}

/**
 * move_to_target_fd() - make @fd available as TARGET_FD for the command
 * @fd: a descriptor opened with close-on-exec set
 *
 * When @fd is not already TARGET_FD it is duplicated onto TARGET_FD and the
 * original is closed.  Whatever TARGET_FD referred to before is replaced;
 * that is deliberate, since the command is told to use descriptor 3.  The
 * duplicate made by dup2() does not carry close-on-exec.  When @fd already is
 * TARGET_FD, its close-on-exec flag is cleared explicitly.  Either way, only
 * TARGET_FD changes; if @fd was 0, 1 or 2 (because stdin, stdout or stderr
 * was closed) that descriptor ends up closed again, as it was on entry.
 *
 * Return: 0 on success, -1 (after printing why) on failure; @fd is closed
 * on failure too.
 */
static int move_to_target_fd(int fd)
{
	int flags;

	if (fd != TARGET_FD) {
		if (dup2(fd, TARGET_FD) < 0) {
			int err = errno;

			close(fd);
			errmsg("cannot move the socket to fd %d: %s", TARGET_FD,
			       strerror(err));
			return -1;
		}
		close(fd);
		return 0;
	}

	flags = fcntl(fd, F_GETFD);
	if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) {
		int err = errno;

		close(fd);
		errmsg("cannot clear close-on-exec on fd %d: %s", TARGET_FD,
		       strerror(err));
		return -1;
	}
	return 0;
}

/**
 * set_buffer_sizes() - ask for large socket buffers
 * @fd: the stream socket
 *
 * A whole burst of frames then fits in the kernel's queues instead of
 * stalling the switch.  The kernel may clamp or refuse the sizes; that is not
 * an error, the defaults still work.
 */
static void set_buffer_sizes(int fd)
{
	int snd = SEND_BUF_BYTES;
	int rcv = RECV_BUF_BYTES;

	(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
}

/**
 * report_connect_error() - explain a failed connect() to the user
 * @path: the socket path that was tried
 * @err: the errno value connect() failed with
 *
 * The most common failures get a hint about their usual cause.
 */
static void report_connect_error(const char *path, int err)
{
	struct stat st;
	const char *what;

	switch (err) {
	case ENOENT:
		what = "no such socket (is socket_vmnet running?)";
		break;
	case ECONNREFUSED:
		/* Linux also refuses when the path is not a socket at all. */
		if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
			what = "not a socket";
		else
			what = "connection refused (socket_vmnet is not "
			       "listening: stale socket file?)";
		break;
	case EACCES:
		what = "permission denied (are you in the socket's group?)";
		break;
	default:
		what = strerror(err);
		break;
	}
	errmsg("cannot connect to %s: %s", path, what);
}

/**
 * connect_socket() - open a stream connection to socket_vmnet on TARGET_FD
 * @path: filesystem path of the socket_vmnet socket
 *
 * The socket is moved to TARGET_FD before connecting, so that if stderr was
 * closed (and socket() therefore handed out fd 2) no error text can end up
 * written into the socket.
 *
 * Return: 0 with the connected socket on TARGET_FD (close-on-exec clear), or
 * -1 after printing why.
 */
static int connect_socket(const char *path)
{
	struct sockaddr_un addr;
	int fd;
	int rc;

	if (fill_address(path, &addr) < 0)
		return -1;

	/* No SOCK_CLOEXEC (not portable): the socket ends up on fd 3,
	 * which must survive the exec anyway. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0) {
		errmsg("cannot create a UNIX socket: %s", strerror(errno));
		return -1;
	}
	if (move_to_target_fd(fd) < 0)
		return -1;

	set_buffer_sizes(TARGET_FD);

	/*
	 * A blocking connect to a UNIX socket can wait while the server's
	 * listen backlog is full; a signal may interrupt it, so try again.
	 */
	do {
		rc = connect(TARGET_FD, (const struct sockaddr *)&addr,
			     sizeof(addr));
	} while (rc < 0 && errno == EINTR);

	if (rc < 0) {
		int err = errno;

		close(TARGET_FD);
		report_connect_error(path, err);
		return -1;
	}
	return 0;
}

/**
 * run_command() - replace this process with the user's command
 * @argv: NULL-terminated argument vector; argv[0] is looked up in PATH
 *
 * Return: only on failure, with the exit status a shell would use:
 * EXIT_NOT_FOUND (127) if the command does not exist, EXIT_NOT_EXEC (126)
 * for any other reason it cannot be run.
 */
static int run_command(char *const argv[])
{
	int err;

	execvp(argv[0], argv);
	err = errno;
	if (err == ENOENT) {
		errmsg("%s: command not found", argv[0]);
		return EXIT_NOT_FOUND;
	}
	errmsg("%s: %s", argv[0], strerror(err));
	return EXIT_NOT_EXEC;
}

/**
 * main() - parse the command line, connect, and exec the command
 * @argc: argument count
 * @argv: SOCKET COMMAND [ARGS...], or a single -h/--help/-v/--version
 *
 * Return: EXIT_SUCCESS for --help/--version, EXIT_OWN_ERROR (1) on a usage
 * or connection error, 126/127 if COMMAND cannot be run.  On success the
 * process becomes COMMAND and never returns here.
 */
int main(int argc, char *argv[])
{
	int first = 1;

	if (argc >= 2) {
		const char *opt = argv[1];

		if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
			usage(stdout);
			return finish_stdout();
		}
		if (strcmp(opt, "-v") == 0 || strcmp(opt, "--version") == 0) {
			printf("%s version %s\n", PROG_NAME, VERSION);
			return finish_stdout();
		}
		if (strcmp(opt, "--") == 0) {
			first = 2;
		} else if (opt[0] == '-' && opt[1] != '\0') {
			errmsg("unknown option: %s", opt);
			usage(stderr);
			return EXIT_OWN_ERROR;
		}
	}

	if (argc - first < 2) {
		usage(stderr);
		return EXIT_OWN_ERROR;
	}

	if (connect_socket(argv[first]) < 0)
		return EXIT_OWN_ERROR;

	return run_command(&argv[first + 1]);
}
