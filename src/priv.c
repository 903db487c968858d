/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Privilege separation: on by default whenever the daemon starts as root.
 *
 * Theory of operation: everything that needs root (the TAP device, its
 * addresses, NAT rules, forwarding, socket files in root-owned places) is
 * set up first. Then the daemon forks. The child, the worker, enters the
 * sandbox's mount namespace while it still may (sandbox.h), becomes USER
 * (no supplementary groups, USER's gid and uid, with no way back, no new
 * privileges) and runs the switch with the descriptors it inherited. The
 * parent, the monitor, keeps root and does two things only: it passes
 * SIGINT, SIGTERM, SIGHUP and SIGUSR1 on to the worker, and it answers the
 * few requests of enum priv_req that the worker sends over a socket pair
 * (what needs root while the switch runs: a port forward of the kernel
 * NAT, the lease file in a root-owned directory). The monitor's @serve
 * callback checks each request against its own configuration. When the
 * worker ends, for whatever reason, its end of the pair closes; the
 * monitor reaps it and undoes the setup. So a guest that compromised the
 * switch holds only USER's rights, and a crash of the switch still leaves
 * nothing behind. The pidfile holds the monitor's pid, which is the one to
 * signal.
 *
 * The channel is a stream socket pair carrying fixed-size struct priv_msg
 * records, one answer per request, in order; a descriptor rides along with
 * an answer (SCM_RIGHTS) where the request asks for one.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

#include "compat.h"
#include "err.h"
#include "log.h"
#include "priv.h"
#include "sandbox.h"

/**
 * struct priv_state - this process's side of the separation
 * @child:	monitor: the worker's pid while it runs
 * @chan:	the channel to the other side, -1 when none
 */
static struct priv_state {
	volatile pid_t child;
	int chan;
} priv = {.chan = -1};

/**
 * priv_forward() - signal handler of the parent: pass the signal on
 * @sig:	signal number
 */
static void priv_forward(int sig)
{
	if (priv.child > 0)
		kill(priv.child, sig);
}

/**
 * priv_default_user() - the worker's user when --user is not given
 *
 * Return: "socket_vmnet" if that user exists, else "nobody" if it does,
 * else NULL
 */
const char *priv_default_user(void)
{
	if (getpwnam("socket_vmnet"))
		return "socket_vmnet";
	if (getpwnam("nobody"))
		return "nobody";
	return NULL;
}

/**
 * priv_become() - turn the calling process into a user, irreversibly
 * @pw:		the user
 * @err:	message buffer
 * @errlen:	its size
 *
 * The supplementary groups go: the worker needs none of them (it holds
 * its sockets already).
 *
 * Return: 0 on success, -1 with @err set
 */
static int priv_become(const struct passwd *pw, char *err, size_t errlen)
{
	if (setgroups(0, NULL) || setgid(pw->pw_gid) || setuid(pw->pw_uid))
		return err_sys(err, errlen, "cannot become user %s",
			       pw->pw_name);
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return err_set(err, errlen,
			       "could regain root after dropping to %s",
			       pw->pw_name);
#ifdef PR_SET_NO_NEW_PRIVS
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return err_sys(err, errlen, "PR_SET_NO_NEW_PRIVS");
#endif
	return 0;
}

/**
 * priv_io() - send or receive a whole record, with a descriptor
 * @send:	true to send
 * @m:		the record
 * @fd:		send: a descriptor to pass or -1; receive: where to put one
 *		(-1 when none came), or NULL to refuse any
 *
 * Return: 1 when done, 0 at end of file, -1 with errno set
 */
static int priv_io(bool send, struct priv_msg *m, int *fd)
{
	char *p = (char *)m;
	size_t done = 0;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} cm;

	if (!send && fd)
		*fd = -1;
	while (done < sizeof(*m)) {
		struct iovec iov = {p + done, sizeof(*m) - done};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n;

		memset(&cm, 0, sizeof(cm));
		if (done == 0 && (!send || (fd && *fd >= 0))) {
			mh.msg_control = cm.buf;
			mh.msg_controllen = sizeof(cm.buf);
		}
		if (send && mh.msg_control) {
			cm.h.cmsg_level = SOL_SOCKET;
			cm.h.cmsg_type = SCM_RIGHTS;
			cm.h.cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(&cm.h), fd, sizeof(int));
		}
		n = send ? sendmsg(priv.chan, &mh, MSG_NOSIGNAL)
			 : recvmsg(priv.chan, &mh, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : 0;
		if (!send && mh.msg_controllen >= CMSG_LEN(sizeof(int))) {
			int got;

			memcpy(&got, CMSG_DATA(&cm.h), sizeof(int));
			if (fd && compat_flags(got, 0) >= 0)
				*fd = got;
			else if (!fd)
				close(got);
		}
		done += (size_t)n;
	}
	return 1;
}

/**
 * priv_ask() - worker: ask the monitor, and wait for its answer
 * @m:		the request, overwritten by the answer
 * @fd:		where a descriptor that came with the answer goes (-1 if
 *		none), or NULL
 *
 * Return: 0 with the answer in @m (check @m->status), -1 with errno set
 * when there is no monitor to ask (ENOTCONN) or it went away
 */
int priv_ask(struct priv_msg *m, int *fd)
{
	uint32_t req = m->req;
	int r;

	if (priv.chan < 0) {
		errno = ENOTCONN;
		return -1;
	}
	if (priv_io(true, m, NULL) <= 0)
		return -1;
	r = priv_io(false, m, fd);
	if (r <= 0 || m->req != req) {
		if (r == 0 || (r > 0 && m->req != req))
			errno = EPROTO;
		return -1;
	}
	m->text[PRIV_TEXT - 1] = '\0';
	return 0;
}

/**
 * priv_serve() - monitor: answer the worker's requests until it is gone
 * @serve:	what answers one request
 */
static void priv_serve(priv_serve_fn serve)
{
	struct priv_msg m;
	int fd;

	while (priv_io(false, &m, NULL) > 0) {
		m.text[PRIV_TEXT - 1] = '\0';
		fd = -1;
		m.status = -1;
		if (serve)
			serve(&m, &fd);
		else
			snprintf(m.text, sizeof(m.text), "no such request");
		if (priv_io(true, &m, &fd) <= 0)
			break;
		if (fd >= 0)
			close(fd);
	}
}

/**
 * priv_worker() - in the child: confine it, then become @pw
 * @pc:		what to do
 * @pw:		the user
 * @monitor:	the parent's pid
 */
static void priv_worker(const struct priv_conf *pc, const struct passwd *pw,
			pid_t monitor)
{
	char err[256];

	if (pc->sandbox)
		sandbox_enter_namespaces();
	if (priv_become(pw, err, sizeof(err))) {
		log_errx("%s", err);
		_exit(1);
	}
#ifdef PR_SET_PDEATHSIG
	/* If the monitor dies, stop too: nobody would clean up. Set after
	 * the uid change, which clears it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
#if defined(PR_SET_DUMPABLE) && defined(SANDBOX_SANITIZER)
	/* Sanitizer builds only: LeakSanitizer stops the process from a
	 * traced clone at exit, which the uid change forbade. */
	prctl(PR_SET_DUMPABLE, 1);
#endif
	if (getppid() != monitor)
		raise(SIGTERM);
	log_info("switch running as user %s (uid %ld gid %ld), monitor pid "
		 "%ld keeps root",
		 pw->pw_name, (long)pw->pw_uid, (long)pw->pw_gid,
		 (long)monitor);
}

/**
 * priv_monitor() - in the parent: serve the worker until it ends
 * @pc:		what to do
 * @status:	set to the worker's exit code (128+N if killed by N)
 * @old:	the signal mask to restore
 * @err:	message buffer
 * @errlen:	its size
 */
static void priv_monitor(const struct priv_conf *pc, int *status,
			 const sigset_t *old, char *err, size_t errlen)
{
	struct sigaction sa;
	pid_t pid = priv.child;
	int ws;

	if (pc->parent_init)
		pc->parent_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = priv_forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigprocmask(SIG_SETMASK, old, NULL);
	priv_serve(pc->serve); /* until the worker's end closes */
	close(priv.chan);
	priv.chan = -1;
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR) {
			err_sys(err, errlen, "waitpid");
			*status = 1;
			return;
		}
	}
	priv.child = 0;
	if (WIFEXITED(ws)) {
		*status = WEXITSTATUS(ws);
	} else {
		*status = 128 + WTERMSIG(ws);
		log_errx("the switch process died of signal %d (%s)",
			 WTERMSIG(ws), strsignal(WTERMSIG(ws)));
	}
}

/**
 * priv_separate() - fork an unprivileged worker, keep a privileged monitor
 * @pc:		the worker's user, the sandbox, the monitor's callbacks
 *		(@parent_init runs in the parent right after the fork, to
 *		close what only the worker needs; @serve answers requests)
 * @status:	monitor: set to the worker's exit code (128+N if killed by N)
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: PRIV_WORKER in the child, PRIV_MONITOR in the parent once the
 * child has ended, PRIV_ERROR with @err set if no worker could be started
 */
enum priv_role priv_separate(const struct priv_conf *pc, int *status, char *err,
			     size_t errlen)
{
	struct passwd *pw = getpwnam(pc->user);
	sigset_t block, old;
	int sv[2];
	pid_t pid, monitor = getpid();

	if (!pw) {
		err_set(err, errlen, "--user: no such user \"%s\"", pc->user);
		return PRIV_ERROR;
	}
	if (geteuid() != 0) {
		err_set(err, errlen,
			"--user needs the daemon to start as root");
		return PRIV_ERROR;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) ||
	    compat_flags(sv[0], 0) < 0 || compat_flags(sv[1], 0) < 0) {
		err_sys(err, errlen, "socketpair");
		return PRIV_ERROR;
	}
	/* Hold the signals until each side has its handlers in place. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
	pid = fork();
	if (pid < 0) {
		err_sys(err, errlen, "fork");
		sigprocmask(SIG_SETMASK, &old, NULL);
		close(sv[0]);
		close(sv[1]);
		return PRIV_ERROR;
	}
	priv.chan = sv[pid == 0 ? 1 : 0];
	close(sv[pid == 0 ? 0 : 1]);
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		priv_worker(pc, pw, monitor);
		return PRIV_WORKER;
	}
	priv.child = pid;
	priv_monitor(pc, status, &old, err, errlen);
	return PRIV_MONITOR;
}
