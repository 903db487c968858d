/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of socket activation (activate.c): which passed socket stands
 * for which socket file, what is refused, what is closed. activate.c reads
 * the environment once per process, so every test runs in a child of its
 * own, with its sockets moved to descriptors 3 and up as a service manager
 * passes them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "activate.h"
#include "unit.h"

static char test_dir[] = "/tmp/svm-activate-XXXXXX";

/**
 * test_path() - a file name in the test's directory
 * @name:	its last part
 *
 * Return: a static buffer (one at a time)
 */
static const char *test_path(const char *name)
{
	static char buf[sizeof(test_dir) + 32];

	snprintf(buf, sizeof(buf), "%s/%s", test_dir, name);
	return buf;
}

/**
 * test_bound() - a UNIX socket bound to a file, listening if a stream
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @name:	the file, in the test's directory
 * @listening:	call listen() (streams)
 * @at:		the descriptor number it must end up as
 *
 * Return: @at
 */
static int test_bound(int type, const char *name, int listening, int at)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", test_path(name));
	unlink(sa.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    (listening && listen(fd, 4)) || dup2(fd, at) != at)
		_exit(99);
	if (fd != at)
		close(fd);
	return at;
}

/**
 * test_env() - the variables a service manager sets
 * @pid_self:	LISTEN_PID is this process (else pid 1)
 * @n:		LISTEN_FDS
 * @names:	LISTEN_FDNAMES, or NULL for none
 */
static void test_env(int pid_self, int n, const char *names)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", pid_self ? (long)getpid() : 1L);
	setenv("LISTEN_PID", buf, 1);
	snprintf(buf, sizeof(buf), "%d", n);
	setenv("LISTEN_FDS", buf, 1);
	if (names)
		setenv("LISTEN_FDNAMES", names, 1);
	else
		unsetenv("LISTEN_FDNAMES");
}

static char take_err[256];

/**
 * take() - activate_take() for a file of the test's directory
 * @file:	its last part
 * @type:	SOCK_STREAM or SOCK_DGRAM
 * @role:	"socket" or "dgram"
 *
 * Return: the descriptor handed out, -1 for none, -2 for an error (the
 * message in take_err)
 */
static int take(const char *file, int type, const char *role)
{
	int fd = -1;

	take_err[0] = '\0';
	if (activate_take(test_path(file), type, role, &fd, take_err,
			  sizeof(take_err)))
		return -2;
	return fd;
}

/**
 * test_child() - fork: the test's body runs in the child
 *
 * The parent waits for the child and checks it ended well (its failed
 * checks make it exit 1); the child starts with no failed checks and ends
 * with test_child_end().
 *
 * Return: true in the child, false in the parent once the child ended
 */
static bool test_child(void)
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		unit_failed_checks = 0;
		return true;
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	return false;
}

/**
 * test_child_end() - end the child, exit 1 if a check failed in it
 */
static void test_child_end(void)
{
	_exit(unit_failed_checks ? 1 : 0);
}

/**
 * test_by_path() - each passed socket goes to its own file, once
 */
static void test_by_path(void)
{
	if (!test_child())
		return;
	test_bound(SOCK_STREAM, "s", 1, 3);
	test_bound(SOCK_DGRAM, "d", 0, 4);
	test_env(1, 2, NULL);
	activate_init();
	CHECK(!getenv("LISTEN_PID") && !getenv("LISTEN_FDS"));
	CHECK(fcntl(3, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(take("d", SOCK_DGRAM, "dgram"), 4);
	CHECK_EQ(take("s", SOCK_STREAM, "socket"), 3);
	CHECK(fcntl(3, F_GETFL) & O_NONBLOCK);
	/* Taken once only; a file no socket stands for gets none. */
	CHECK_EQ(take("s", SOCK_STREAM, "socket"), -1);
	activate_done();
	CHECK(fcntl(3, F_GETFD) >= 0 && fcntl(4, F_GETFD) >= 0);
	test_child_end();
}

/**
 * test_by_name() - a name stands for a role, the type must match, and what
 * nothing took is closed
 */
static void test_by_name(void)
{
	if (!test_child())
		return;
	test_bound(SOCK_DGRAM, "named-d", 0, 3);
	test_bound(SOCK_STREAM, "named-s", 1, 4);
	test_env(1, 2, "socket:socket");
	/* The dgram socket is named "socket" but is not a stream: not it. */
	CHECK_EQ(take("elsewhere", SOCK_STREAM, "socket"), 4);
	CHECK_EQ(take("other", SOCK_DGRAM, "dgram"), -1);
	activate_done();
	CHECK(fcntl(3, F_GETFD) < 0 && errno == EBADF); /* closed */
	CHECK(fcntl(4, F_GETFD) >= 0);
	test_child_end();
}

/**
 * test_other_pid() - sockets meant for another process are not touched
 */
static void test_other_pid(void)
{
	if (!test_child())
		return;
	test_bound(SOCK_STREAM, "o", 1, 3);
	test_env(0, 1, "socket");
	CHECK_EQ(take("o", SOCK_STREAM, "socket"), -1);
	activate_done();
	CHECK(fcntl(3, F_GETFD) == 0); /* left alone: open, no close-on-exec */
	CHECK(!getenv("LISTEN_FDS"));
	test_child_end();
}

/**
 * test_not_listening() - a stream socket that does not listen is an error
 */
static void test_not_listening(void)
{
	if (!test_child())
		return;
	test_bound(SOCK_STREAM, "nl", 0, 3);
	test_env(1, 1, NULL);
	CHECK_EQ(take("nl", SOCK_STREAM, "socket"), -2);
	CHECK_STR_CONTAINS(take_err, "not listening");
	test_child_end();
}

/**
 * test_bad_env() - a LISTEN_PID that is not a number passes nothing
 */
static void test_bad_env(void)
{
	if (!test_child())
		return;
	test_bound(SOCK_STREAM, "b", 1, 3);
	setenv("LISTEN_PID", "12x", 1);
	setenv("LISTEN_FDS", "1", 1);
	CHECK_EQ(take("b", SOCK_STREAM, "socket"), -1);
	CHECK(!getenv("LISTEN_PID"));
	test_child_end();
}

static const struct unit_test tests[] = {
    {"by_path", test_by_path},	   {"by_name", test_by_name},
    {"other_pid", test_other_pid}, {"not_listening", test_not_listening},
    {"bad_env", test_bad_env},
};

/**
 * main() - make the test's directory, run the tests, remove it
 *
 * Return: 0 if every check passed
 */
int main(void)
{
	int ret;

	if (!mkdtemp(test_dir)) {
		perror("mkdtemp");
		return 1;
	}
	ret = unit_main("activate", tests, sizeof(tests) / sizeof(tests[0]));
	for (const char *const *n =
		 (const char *const[]){"s", "d", "named-d", "named-s", "o",
				       "nl", "b", NULL};
	     *n; n++)
		unlink(test_path(*n));
	rmdir(test_dir);
	return ret;
}
