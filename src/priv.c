/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Privilege separation (--user).
 *
 * Theory of operation: everything that needs root (the TAP device, its
 * addresses, NAT rules, forwarding, socket files in root-owned places) is
 * set up first. Then the daemon forks. The child becomes USER (its groups,
 * gid and uid, with no way back) and runs the switch with the descriptors it
 * inherited. The parent keeps root, does nothing but wait, passes SIGINT,
 * SIGTERM, SIGHUP and SIGUSR1 on to the child, and when the child ends, for
 * whatever reason, undoes the setup. So a guest that compromised the switch
 * holds only USER's rights, and a crash of the switch still leaves nothing
 * behind. The pidfile holds the parent's pid, which is the one to signal.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/wait.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "priv.h"

static volatile pid_t priv_child;

/**
 * priv_forward() - signal handler of the parent: pass the signal on
 * @sig:	signal number
 */
static void priv_forward(int sig)
{
	if (priv_child > 0)
		kill(priv_child, sig);
}

/**
 * priv_become() - turn the calling process into a user, irreversibly
 * @pw:		the user
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: 0 on success, -1 with @err set
 */
static int priv_become(const struct passwd *pw, char *err, size_t errlen)
{
	if (initgroups(pw->pw_name, pw->pw_gid) || setgid(pw->pw_gid) ||
	    setuid(pw->pw_uid)) {
		err_sys(err, errlen, "cannot become user %s", pw->pw_name);
		return -1;
	}
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		err_set(err, errlen, "could regain root after dropping to %s",
			pw->pw_name);
		return -1;
	}
	return 0;
}

/**
 * priv_separate() - fork an unprivileged worker, keep a privileged monitor
 * @user:	user name for the worker
 * @monitor_init: run in the parent right after the fork, to close what
 *		only the worker needs
 * @status:	monitor: set to the worker's exit code (128+N if killed by N)
 * @err:	message buffer
 * @errlen:	its size
 *
 * Return: PRIV_WORKER in the child, PRIV_MONITOR in the parent once the
 * child has ended, PRIV_ERROR with @err set if no worker could be started
 */
enum priv_role priv_separate(const char *user, void (*monitor_init)(void),
			     int *status, char *err, size_t errlen)
{
	struct passwd *pw = getpwnam(user);
	struct sigaction sa;
	sigset_t block, old;
	int ws;
	pid_t pid;
#ifdef PR_SET_PDEATHSIG
	pid_t monitor; /* the worker checks it is still its parent */
#endif

	if (!pw) {
		err_set(err, errlen, "--user: no such user \"%s\"", user);
		return PRIV_ERROR;
	}
	if (geteuid() != 0) {
		err_set(err, errlen,
			"--user needs the daemon to start as "
			"root");
		return PRIV_ERROR;
	}
	/* Hold the signals until each side has its handlers in place. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &old);
#ifdef PR_SET_PDEATHSIG
	monitor = getpid();
#endif
	pid = fork();
	if (pid < 0) {
		err_sys(err, errlen, "fork");
		sigprocmask(SIG_SETMASK, &old, NULL);
		return PRIV_ERROR;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (priv_become(pw, err, errlen)) {
			log_errx("%s", err);
			_exit(1);
		}
#ifdef PR_SET_PDEATHSIG
		/* If the monitor dies, stop too: nobody would clean up. Set
		 * after the uid change, which clears it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != monitor)
			raise(SIGTERM);
#endif
		log_info("running as user %s (uid %ld gid %ld)", pw->pw_name,
			 (long)pw->pw_uid, (long)pw->pw_gid);
		return PRIV_WORKER;
	}

	priv_child = pid;
	if (monitor_init)
		monitor_init();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = priv_forward;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR) {
			err_sys(err, errlen, "waitpid");
			*status = 1;
			return PRIV_MONITOR;
		}
	}
	priv_child = 0;
	if (WIFEXITED(ws)) {
		*status = WEXITSTATUS(ws);
	} else {
		*status = 128 + WTERMSIG(ws);
		log_errx("the switch process died of signal %d", WTERMSIG(ws));
	}
	return PRIV_MONITOR;
}
