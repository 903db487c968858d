/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared mode on Linux: IPv4 forwarding plus masquerading NAT for the VM
 * subnet, with nftables.
 *
 * What is changed, and how it is undone:
 *
 * - An nftables table of our own, "ip socket_vmnet_A_B_C_D_P" (named after the
 *   subnet A.B.C.D/P, so one table per subnet), loaded with "nft -f -". Its
 *   postrouting chain masquerades what the subnet sends out of any interface
 *   but the TAP; its forward chain accepts traffic from and to the TAP.
 * - net.ipv4.ip_forward, set to 1 when it was not. The value found is kept
 *   in NAT_STATE_DIR/ip_forward-NETNS.orig; it is put back when the last
 *   shared-mode daemon of that network namespace is gone, and only if the
 *   value is still the 1 we wrote.
 * - With IPv6: a table "ip6 socket_vmnet_A_B_C_D_P" of the same name,
 *   made in the same nft transaction, masquerading the network's /64
 *   (NAT66) and accepting forwarded traffic from and to the TAP; and
 *   net.ipv6.conf.all.forwarding, kept and restored as ip_forward is (in
 *   NAT_STATE_DIR/ipv6_forwarding-NETNS.orig). Deleting a table always
 *   deletes both families, so the state file needs no new field and
 *   recovery is the same. Note that turning IPv6 forwarding on makes the
 *   kernel ignore router advertisements on every interface whose
 *   accept_ra is 1 (the host's own IPv6 autoconfiguration); see
 *   socket_vmnet(8).
 *
 * Each daemon records, before it changes anything, a state file
 * NAT_STATE_DIR/nat-NETNS-A.B.C.D-P.state (pid, process start time, table,
 * TAP name), written atomically. All of this is done under an flock() on
 * NAT_STATE_DIR/lock. On a clean stop the table is deleted, the state file
 * removed and ip_forward restored if we were the last user.
 *
 * After setup, nat_start() forks a small "keeper" process that keeps the
 * privileges it was started with, holds no descriptor but a pipe from the
 * daemon (and stderr), and ignores SIGTERM/SIGINT/SIGHUP/SIGUSR1. When the pipe
 * reaches end of file (every process holding its write end called
 * nat_stop(), exited, or was killed, even with SIGKILL) the keeper undoes
 * the changes and exits; nat_stop() waits for that. So a daemon killed with
 * SIGKILL, or the OOM killer, leaves nothing behind for long, and a daemon
 * that gave up root can still clean up. If the keeper dies too (SIGKILL to
 * the whole process group), the next start finds the state file whose
 * process is dead (nat_recover(), in every mode) and undoes what it lists;
 * after a reboot, /run is empty and so is the ruleset.
 *
 * Setup is a transaction: the state file is written before ip_forward or
 * the ruleset changes, so a kill at any step leaves a record. When nft
 * fails, or is killed (possibly after its transaction went in), the table
 * is deleted at once; a record whose table could not be deleted is kept
 * with pid 0 (nat_orphan()), which no live process has, for the next start
 * to retry. A host-mode start also deletes its subnet's table when no live
 * daemon owns it, record or not (nat_recover_net()). Rules added to our
 * table later (port forwards) go with it. The TAP needs no record: it is
 * not persistent, and the kernel deletes it with the last descriptor.
 *
 * Other firewalls: nftables evaluates every base chain registered on a hook.
 * An "accept" in our forward chain ends evaluation of our chain only; a
 * packet that another base chain drops (for example iptables' FORWARD chain
 * with policy DROP, as Docker installs it) is still dropped. Our chain
 * cannot override that; the administrator must allow the TAP in the other
 * firewall (with Docker: iptables -I DOCKER-USER -i TAP -j ACCEPT and
 * iptables -I DOCKER-USER -o TAP -j ACCEPT).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "addr.h"
#include "err.h"
#include "file.h"
#include "fwd.h"
#include "log.h"
#include "nat.h"

#define NAT_LOCK_FILE	   NAT_STATE_DIR "/lock"
#define NAT_IP_FORWARD	   "/proc/sys/net/ipv4/ip_forward"
#define NAT_IP6_FORWARD	   "/proc/sys/net/ipv6/conf/all/forwarding"
#define NAT_KEEPER_WAIT_MS 5000 /* longest nat_stop() waits for the keeper */

/**
 * struct nat_state - what one daemon changed, as kept in its state file
 * @pid:	the daemon's process id
 * @start:	its start time (field 22 of /proc/PID/stat), against pid reuse
 * @table:	name of its nftables table (family ip)
 * @ifname:	its TAP device
 */
struct nat_state {
	long pid;
	unsigned long long start;
	char table[64];
	char ifname[IFNAMSIZ];
};

/**
 * struct nat_sysctl - a forwarding switch we turn on and restore
 * @path:	its file under /proc
 * @tag:	name of the file keeping its original value
 * @name:	its name, for logs
 */
struct nat_sysctl {
	const char *path;
	const char *tag;
	const char *name;
};

static const struct nat_sysctl nat_fwd4 = {NAT_IP_FORWARD, "ip_forward",
					   "net.ipv4.ip_forward"};
static const struct nat_sysctl nat_fwd6 = {NAT_IP6_FORWARD, "ipv6_forwarding",
					   "net.ipv6.conf.all.forwarding"};

/* This process's shared-mode setup, if any. */
static struct {
	bool active;
	bool masquerade; /* shared mode (false: host mode, forwards only) */
	unsigned long long netns;
	char path[PATH_MAX];
	struct nat_state st;
	pid_t keeper;	 /* -1 when none */
	int keeper_pipe; /* our end of the keeper's pipe, -1 when none */
} nat = {.keeper = -1, .keeper_pipe = -1};

/**
 * nat_netns() - identify the network namespace this process is in
 *
 * Return: the inode number of /proc/self/ns/net, 0 if it cannot be read
 */
static unsigned long long nat_netns(void)
{
	struct stat sb;

	if (stat("/proc/self/ns/net", &sb) < 0)
		return 0;
	return (unsigned long long)sb.st_ino;
}

/**
 * nat_proc_start() - read the start time of a running process
 * @pid:	the process
 *
 * Return: field 22 of /proc/PID/stat, 0 when the process does not exist or
 * is a zombie (dead, not yet reaped)
 */
static unsigned long long nat_proc_start(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: skip to the last
	 * ')', after which fields are plain: " S ppid ..." (field 3 on). */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X' || p[2] == 'x')
		return 0;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

/**
 * nat_alive() - tell whether the daemon a state file names still runs
 * @st:		the state
 *
 * Return: true if a process with that pid and start time exists
 */
static bool nat_alive(const struct nat_state *st)
{
	return st->pid > 0 && st->start && nat_proc_start(st->pid) == st->start;
}

/**
 * nat_close_from() - close every descriptor from a number up
 * @lowfd:	first descriptor closed
 */
static void nat_close_from(int lowfd)
{
	long max, fd;

	if (close_range((unsigned int)lowfd, ~0U, 0) == 0)
		return;
	max = sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = lowfd; fd < max; fd++)
		close((int)fd);
}

/**
 * nat_run_nft() - run "nft -f -" with a ruleset on its standard input
 * @script:	the ruleset text (well under a pipe's capacity)
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * The script is written into the pipe before the fork, so nft finds it all
 * and no SIGPIPE can reach us. The child closes every other descriptor.
 *
 * Return: 0 when nft succeeded, -1 with @err set otherwise
 */
static int nat_run_nft(const char *script, char *err, size_t errlen)
{
	static const char *const paths[] = {"/usr/sbin/nft", "/sbin/nft",
					    "/usr/local/sbin/nft"};
	char out[512];
	size_t len = strlen(script), got = 0;
	int in[2], outp[2], status;
	unsigned int i;
	ssize_t n;
	pid_t pid;

	log_debug("nft -f - <<EOF\n%sEOF", script);
	if (pipe2(in, O_CLOEXEC) < 0) {
		err_sys(err, errlen, "pipe");
		return -1;
	}
	if (pipe2(outp, O_CLOEXEC) < 0) {
		err_sys(err, errlen, "pipe");
		close(in[0]);
		close(in[1]);
		return -1;
	}
	n = write(in[1], script, len);
	close(in[1]);
	if (n < 0 || (size_t)n != len) {
		err_set(err, errlen, "writing the nft ruleset: %s",
			n < 0 ? strerror(errno) : "short write");
		close(in[0]);
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		err_sys(err, errlen, "fork");
		close(in[0]);
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(in[0], 0) < 0 || dup2(outp[1], 1) < 0 ||
		    dup2(outp[1], 2) < 0)
			_exit(126);
		nat_close_from(3);
		for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
			execl(paths[i], "nft", "-f", "-", (char *)NULL);
		execlp("nft", "nft", "-f", "-", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(outp[1]);
	for (;;) {
		char sink[256];

		if (got < sizeof(out) - 1)
			n = read(outp[0], out + got, sizeof(out) - 1 - got);
		else
			n = read(outp[0], sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (got < sizeof(out) - 1)
			got += (size_t)n;
	}
	out[got] = '\0';
	close(outp[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			err_sys(err, errlen, "waitpid");
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
		err_set(err, errlen,
			"nft not found: shared mode needs nftables "
			"(apt-get install nftables)");
		return -1;
	}
	/* Keep nft's first line: it says what it rejected. */
	out[strcspn(out, "\n")] = '\0';
	err_set(err, errlen, "nft failed (%s%d): %s",
		WIFEXITED(status) ? "status " : "signal ",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		out[0] ? out : "no message");
	return -1;
}

/**
 * nat_delete_table() - delete an nftables table if it exists
 * @table:	its name (families ip and ip6: both go)
 *
 * "add" then "delete" in one transaction succeeds whether or not the table
 * was there (nft 1.0.6 has no "destroy").
 *
 * Return: 0 on success, -1 (logged) on failure
 */
static int nat_delete_table(const char *table)
{
	char script[256], err[600];

	snprintf(script, sizeof(script),
		 "add table ip %1$s\ndelete table ip %1$s\n"
		 "add table ip6 %1$s\ndelete table ip6 %1$s\n",
		 table);
	if (nat_run_nft(script, err, sizeof(err)) < 0) {
		log_warnx("deleting nft tables ip and ip6 %s: %s", table, err);
		return -1;
	}
	return 0;
}

/**
 * nat_read_file() - read a small text file
 * @path:	the file
 * @buf:	where its text goes, NUL-terminated
 * @len:	size of @buf
 *
 * Return: bytes read, -1 with errno set on failure
 */
static ssize_t nat_read_file(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/**
 * nat_state_read() - parse a state file
 * @path:	the file
 * @st:		filled with what it records
 *
 * Return: 0 on success, -1 if it cannot be read or names no table
 */
static int nat_state_read(const char *path, struct nat_state *st)
{
	char buf[1024], *line, *save = NULL;

	memset(st, 0, sizeof(*st));
	if (nat_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "pid=", 4))
			st->pid = strtol(line + 4, NULL, 10);
		else if (!strncmp(line, "start=", 6))
			st->start = strtoull(line + 6, NULL, 10);
		else if (!strncmp(line, "table=", 6))
			snprintf(st->table, sizeof(st->table), "%s", line + 6);
		else if (!strncmp(line, "ifname=", 7))
			snprintf(st->ifname, sizeof(st->ifname), "%s",
				 line + 7);
	}
	/* The table name goes into an nft script: accept only our own. */
	if (strncmp(st->table, "socket_vmnet_", 13) ||
	    strspn(st->table, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
		strlen(st->table))
		return -1;
	return 0;
}

/**
 * nat_state_write() - record a state atomically
 * @path:	the state file
 * @st:		what to record
 *
 * Return: 0 on success, -1 with errno set on failure
 */
static int nat_state_write(const char *path, const struct nat_state *st)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "# socket_vmnet shared mode: undone when this process is "
		 "gone\npid=%ld\nstart=%llu\ntable=%s\nifname=%s\n",
		 st->pid, st->start, st->table, st->ifname);
	return file_write_atomic(path, text, strlen(text), 0644);
}

/**
 * nat_lock() - create the state directory and take its lock
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * Return: the lock's descriptor (close it to unlock), -1 on failure
 */
static int nat_lock(char *err, size_t errlen)
{
	int fd;

	if (mkdir(NAT_STATE_DIR, 0755) < 0 && errno != EEXIST) {
		err_sys(err, errlen, "creating %s", NAT_STATE_DIR);
		return -1;
	}
	fd = open(NAT_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		err_sys(err, errlen, "opening %s", NAT_LOCK_FILE);
		return -1;
	}
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			err_sys(err, errlen, "locking %s", NAT_LOCK_FILE);
			close(fd);
			return -1;
		}
	}
	return fd;
}

/**
 * nat_forward_path() - name the file keeping a switch's original value
 * @buf:	where the path goes
 * @len:	size of @buf
 * @sc:		the switch
 * @netns:	the network namespace, from nat_netns()
 */
static void nat_forward_path(char *buf, size_t len, const struct nat_sysctl *sc,
			     unsigned long long netns)
{
	snprintf(buf, len, "%s/%s-%llu.orig", NAT_STATE_DIR, sc->tag, netns);
}

/**
 * nat_users() - count live shared-mode daemons of a network namespace
 * @netns:	the network namespace
 *
 * Must be called with the lock held.
 *
 * Return: how many state files of @netns name a live process
 */
static unsigned int nat_users(unsigned long long netns)
{
	char prefix[64], path[PATH_MAX];
	struct nat_state st;
	unsigned int users = 0;
	struct dirent *de;
	size_t plen;
	DIR *d;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "nat-%llu-", netns);
	d = opendir(NAT_STATE_DIR);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		size_t nlen = strlen(de->d_name);

		if (strncmp(de->d_name, prefix, plen) || nlen < 6 ||
		    strcmp(de->d_name + nlen - 6, ".state"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", NAT_STATE_DIR,
			 de->d_name);
		if (nat_state_read(path, &st) == 0 && nat_alive(&st))
			users++;
	}
	closedir(d);
	return users;
}

/**
 * nat_sysctl_release() - restore one forwarding switch once no daemon
 * needs it
 * @sc:		the switch
 * @netns:	the network namespace
 *
 * Must be called with the lock held, after the caller's own state file is
 * gone. Does nothing unless one of our daemons changed the value.
 */
static void nat_sysctl_release(const struct nat_sysctl *sc,
			       unsigned long long netns)
{
	char path[PATH_MAX], orig[16], cur[16];

	nat_forward_path(path, sizeof(path), sc, netns);
	if (nat_read_file(path, orig, sizeof(orig)) < 0)
		return;
	if (nat_users(netns) > 0)
		return;
	orig[strcspn(orig, "\n")] = '\0';
	if (strcmp(orig, "0") && strcmp(orig, "1")) {
		log_warnx("%s holds no 0/1 value: ignored", path);
	} else if (nat_read_file(sc->path, cur, sizeof(cur)) >= 0 &&
		   cur[0] == '1' && strcmp(orig, "1")) {
		int fd = open(sc->path, O_WRONLY | O_CLOEXEC);

		if (fd < 0 || write(fd, orig, strlen(orig)) < 0)
			log_warn("restoring %s=%s", sc->name, orig);
		else
			log_info("%s restored to %s", sc->name, orig);
		if (fd >= 0)
			close(fd);
	}
	unlink(path);
}

/**
 * nat_forward_release() - restore the forwarding switches once no daemon
 * needs them
 * @netns:	the network namespace
 *
 * Must be called with the lock held, after the caller's own state file is
 * gone.
 */
static void nat_forward_release(unsigned long long netns)
{
	nat_sysctl_release(&nat_fwd4, netns);
	nat_sysctl_release(&nat_fwd6, netns);
}

/**
 * nat_forward_enable() - set a forwarding switch to 1, remembering the old
 * value
 * @sc:		the switch
 * @netns:	the network namespace
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * Must be called with the lock held.
 *
 * Return: 0 on success, -1 with @err set on failure
 */
static int nat_forward_enable(const struct nat_sysctl *sc,
			      unsigned long long netns, char *err,
			      size_t errlen)
{
	char path[PATH_MAX], cur[16];
	struct stat sb;
	int fd;

	if (nat_read_file(sc->path, cur, sizeof(cur)) < 0) {
		err_sys(err, errlen, "reading %s", sc->path);
		return -1;
	}
	if (cur[0] == '1')
		return 0;
	nat_forward_path(path, sizeof(path), sc, netns);
	if (stat(path, &sb) < 0) {
		char text[4];

		snprintf(text, sizeof(text), "%c\n", cur[0]);

		if (file_write_atomic(path, text, strlen(text), 0644) < 0) {
			err_sys(err, errlen, "writing %s", path);
			return -1;
		}
	}
	fd = open(sc->path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		err_sys(err, errlen, "setting %s=1", sc->name);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	log_info("%s set to 1 (was 0; restored on exit)", sc->name);
	return 0;
}

/**
 * nat_orphan() - keep a state file whose table could not be deleted
 * @path:	the state file
 * @st:		what it records
 *
 * Rewritten with pid 0, which names no live process: ip_forward no longer
 * counts it as a user, and every later start (in any mode) tries again to
 * delete the table it lists. Must be called with the lock held.
 */
static void nat_orphan(const char *path, const struct nat_state *st)
{
	struct nat_state orphan = *st;

	orphan.pid = 0;
	orphan.start = 0;
	if (nat_state_write(path, &orphan) < 0)
		log_warn("%s: cannot record the leftover table ip %s", path,
			 st->table);
	else
		log_warnx("nft table ip %s may be left; the next start of "
			  "socket_vmnet deletes it",
			  st->table);
}

/**
 * nat_undo_locked() - undo one daemon's changes, as its state file lists
 * @path:	the state file
 * @st:		what it records
 * @netns:	the network namespace
 *
 * Must be called with the lock held. Deletes the table, removes the state
 * file and restores ip_forward when no other daemon needs it.
 */
static void nat_undo_locked(const char *path, const struct nat_state *st,
			    unsigned long long netns)
{
	if (nat_delete_table(st->table) == 0) {
		log_info("nft table ip %s deleted", st->table);
		unlink(path);
	} else {
		nat_orphan(path, st);
	}
	nat_forward_release(netns);
}

/**
 * nat_recover_locked() - undo what dead daemons of this namespace left
 * @netns:	the network namespace
 *
 * Must be called with the lock held.
 */
static void nat_recover_locked(unsigned long long netns)
{
	char prefix[64], path[PATH_MAX];
	struct nat_state st;
	struct dirent *de;
	size_t plen;
	DIR *d;

	plen = (size_t)snprintf(prefix, sizeof(prefix), "nat-%llu-", netns);
	d = opendir(NAT_STATE_DIR);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t nlen = strlen(de->d_name);

		if (strncmp(de->d_name, prefix, plen) || nlen < 6 ||
		    strcmp(de->d_name + nlen - 6, ".state"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", NAT_STATE_DIR,
			 de->d_name);
		if (nat_state_read(path, &st) < 0) {
			log_warnx("removing unreadable state file %s", path);
			unlink(path);
			continue;
		}
		if (nat_alive(&st))
			continue;
		log_warnx("socket_vmnet pid %ld (TAP %s) did not clean up; "
			  "undoing what %s lists",
			  st.pid, st.ifname, path);
		nat_undo_locked(path, &st, netns);
	}
	closedir(d);
	/* ip_forward may be left from a daemon whose state file was lost */
	nat_forward_release(netns);
}

/**
 * nat_recover() - undo what crashed shared-mode daemons left behind
 *
 * Best effort, for every mode: deletes the tables of dead daemons of this
 * network namespace and restores ip_forward. Does nothing when no state
 * directory exists or it cannot be locked.
 */
void nat_recover(void)
{
	char err[256];
	struct stat sb;
	int lock;

	if (stat(NAT_STATE_DIR, &sb) < 0)
		return;
	lock = nat_lock(err, sizeof(err));
	if (lock < 0) {
		log_debug("crash recovery skipped: %s", err);
		return;
	}
	nat_recover_locked(nat_netns());
	close(lock);
}

/**
 * nat_keeper() - body of the keeper process; never returns
 * @rfd:	read end of the pipe from the daemon
 * @wfd:	its write end, closed here so that end of file can come
 *
 * Waits for end of file on @rfd, then undoes the changes this daemon's
 * state file lists, if it still lists them (a newer daemon may have
 * recovered them already).
 */
static void nat_keeper(int rfd, int wfd)
{
	struct sigaction sa;
	struct nat_state st;
	char err[256], c;
	int lock, null;
	ssize_t n;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	prctl(PR_SET_NAME, "svmnet-nat", 0, 0, 0);
	close(wfd);
	if (dup2(rfd, 0) < 0)
		_exit(1);
	null = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (null >= 0)
		dup2(null, 1);
	nat_close_from(3);
	if (chdir("/") < 0)
		log_debug("chdir /: %s", strerror(errno));
	do
		n = read(0, &c, 1);
	while (n > 0 || (n < 0 && errno == EINTR));
	lock = nat_lock(err, sizeof(err));
	if (lock < 0) {
		log_warnx("cannot undo shared mode: %s", err);
		_exit(1);
	}
	if (nat_state_read(nat.path, &st) == 0 && st.pid == nat.st.pid &&
	    st.start == nat.st.start)
		nat_undo_locked(nat.path, &st, nat.netns);
	close(lock);
	_exit(0);
}

/**
 * nat_start_keeper() - fork the keeper that undoes the setup at the end
 *
 * On failure the daemon undoes the setup itself in nat_stop(), which then
 * needs the privileges it had at setup.
 */
static void nat_start_keeper(void)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("keeper pipe");
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("forking the NAT keeper");
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0)
		nat_keeper(p[0], p[1]);
	close(p[0]);
	nat.keeper = pid;
	nat.keeper_pipe = p[1];
	log_debug("NAT keeper is pid %ld", (long)pid);
}

/**
 * nat_names() - name the table and the state file of a subnet
 * @net:	the subnet's network address
 * @prefix:	its prefix length
 * @netns:	the network namespace, from nat_netns()
 * @table:	set to the table's name (64 bytes)
 * @path:	set to the state file's path (PATH_MAX bytes)
 */
static void nat_names(struct in_addr net, unsigned int prefix,
		      unsigned long long netns, char table[64],
		      char path[PATH_MAX])
{
	uint32_t a = ntohl(net.s_addr);
	char netstr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &net, netstr, sizeof(netstr));
	snprintf(table, 64, "socket_vmnet_%u_%u_%u_%u_%u", a >> 24,
		 (a >> 16) & 255, (a >> 8) & 255, a & 255, prefix);
	snprintf(path, PATH_MAX, "%s/nat-%llu-%s-%u.state", NAT_STATE_DIR,
		 netns, netstr, prefix);
}

/**
 * nat_recover_net() - undo what shared mode left for one subnet
 * @net:	the subnet's network address
 * @prefix:	its prefix length
 *
 * For a start in another mode on a subnet a shared-mode daemon served:
 * after nat_recover(), deletes the subnet's table unless a live daemon
 * owns it, also when no state file lists it (the state directory was
 * removed). Quiet when there is no such table or no nft at all.
 */
void nat_recover_net(struct in_addr net, unsigned int prefix)
{
	char table[64], path[PATH_MAX], script[160], err[600];
	struct nat_state st;
	bool orphan;
	int lock;

	lock = nat_lock(err, sizeof(err));
	if (lock < 0) {
		log_debug("leftover check skipped: %s", err);
		return;
	}
	nat_names(net, prefix, nat_netns(), table, path);
	orphan = nat_state_read(path, &st) < 0 || !nat_alive(&st);
	for (int i = 0; orphan && i < 2; i++) {
		const char *family = i ? "ip6" : "ip";

		snprintf(script, sizeof(script), "delete table %s %s\n", family,
			 table);
		if (nat_run_nft(script, err, sizeof(err)) == 0)
			log_warnx("deleted nft table %s %s, left by an earlier "
				  "shared-mode start on this subnet",
				  family, table);
		else
			log_debug("no leftover table %s %s: %s", family, table,
				  err);
	}
	close(lock);
}

/**
 * nat_base_script() - the nft script that creates the table
 * @buf:	where it goes
 * @len:	size of @buf
 * @netstr:	the subnet's network address, as text
 * @prefix:	its prefix length
 * @ifname:	the TAP device
 * @masquerade:	shared mode (masquerade the subnet, accept its forwarding);
 *		false in host mode
 *
 * For TAP svmnet0 and subnet 10.0.0.0/24 in shared mode (a table of that
 * name left by anyone is replaced in the same transaction):
 *
 *   table ip socket_vmnet_10_0_0_0_24 {
 *     chain postrouting {
 *       type nat hook postrouting priority srcnat; policy accept;
 *       ip saddr 10.0.0.0/24 oifname != "svmnet0" masquerade
 *       oifname "svmnet0" ip saddr 127.0.0.0/8 masquerade
 *     }
 *     chain forward {
 *       type filter hook forward priority filter - 5; policy accept;
 *       iifname "svmnet0" accept
 *       oifname "svmnet0" accept
 *     }
 *     chain fwd_pre { type nat hook prerouting priority dstnat; ... }
 *     chain fwd_out { type nat hook output priority -100; ... }
 *   }
 *
 * The accepts only matter in this chain: see the top of this file about
 * other firewalls whose FORWARD policy is drop. In host mode the subnet is
 * not masqueraded and only forwarded connections may cross the TAP (which
 * matters once a forward on a non-loopback address turned ip_forward on).
 * The two fwd_ chains hold the port forwards' DNAT rules
 * (nat_set_forwards()); the second masquerade gives a connection to a
 * forward on the host's loopback the gateway's address, which the guest
 * can answer.
 */
static void nat_base_script(char *buf, size_t len, const char *netstr,
			    unsigned int prefix, const char *ifname,
			    bool masquerade)
{
	char sub[160], fw[256];

	sub[0] = '\0';
	if (masquerade) {
		snprintf(sub, sizeof(sub),
			 "\t\tip saddr %s/%u oifname != \"%s\" masquerade\n",
			 netstr, prefix, ifname);
		snprintf(fw, sizeof(fw),
			 "\t\tiifname \"%1$s\" accept\n"
			 "\t\toifname \"%1$s\" accept\n",
			 ifname);
	} else {
		snprintf(fw, sizeof(fw),
			 "\t\tct status dnat accept\n"
			 "\t\tiifname \"%1$s\" drop\n"
			 "\t\toifname \"%1$s\" drop\n",
			 ifname);
	}
	snprintf(buf, len,
		 "add table ip %1$s\n"
		 "delete table ip %1$s\n"
		 "table ip %1$s {\n"
		 "\tchain postrouting {\n"
		 "\t\ttype nat hook postrouting priority srcnat; "
		 "policy accept;\n"
		 "%2$s"
		 "\t\toifname \"%3$s\" ip saddr 127.0.0.0/8 masquerade\n"
		 "\t}\n"
		 "\tchain forward {\n"
		 "\t\ttype filter hook forward priority filter - 5; "
		 "policy accept;\n"
		 "%4$s"
		 "\t}\n"
		 "\tchain fwd_pre {\n"
		 "\t\ttype nat hook prerouting priority dstnat; "
		 "policy accept;\n"
		 "\t}\n"
		 "\tchain fwd_out {\n"
		 "\t\ttype nat hook output priority -100; "
		 "policy accept;\n"
		 "\t}\n"
		 "}\n",
		 nat.st.table, sub, ifname, fw);
}

/**
 * nat_script6() - the nft script that creates the NAT66 table
 * @buf:	where it goes (appended to what is there)
 * @len:	size of @buf
 * @prefix6:	the network's /64 (16 bytes)
 * @ifname:	the TAP device
 *
 * The ip6 twin of nat_base_script()'s shared-mode table, under the same
 * name: masquerade of the /64 out of any interface but the TAP, accept
 * of what is forwarded from and to the TAP.
 */
static void nat_script6(char *buf, size_t len, const uint8_t *prefix6,
			const char *ifname)
{
	char pfx[INET6_ADDRSTRLEN];
	size_t used = strlen(buf);

	inet_ntop(AF_INET6, prefix6, pfx, sizeof(pfx));
	snprintf(buf + used, len - used,
		 "add table ip6 %1$s\n"
		 "delete table ip6 %1$s\n"
		 "table ip6 %1$s {\n"
		 "\tchain postrouting {\n"
		 "\t\ttype nat hook postrouting priority srcnat; "
		 "policy accept;\n"
		 "\t\tip6 saddr %2$s/64 oifname != \"%3$s\" masquerade\n"
		 "\t}\n"
		 "\tchain forward {\n"
		 "\t\ttype filter hook forward priority filter - 5; "
		 "policy accept;\n"
		 "\t\tiifname \"%3$s\" accept\n"
		 "\t\toifname \"%3$s\" accept\n"
		 "\t}\n"
		 "}\n",
		 nat.st.table, pfx, ifname);
}

/**
 * nat_start() - turn on forwarding and masquerading for the VM subnet
 * @ifname:	the TAP device carrying the subnet
 * @net:	the subnet's network address
 * @prefix:	its prefix length (0-32)
 * @prefix6:	shared mode with IPv6: the network's /64 (16 bytes), which
 *		gets IPv6 forwarding and NAT66 too; NULL for none
 * @masquerade:	shared mode: forwarding and masquerading; false in host
 *		mode, where the table only carries port forwards
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * First undoes what dead daemons left behind. Fails if a live daemon of
 * this network namespace already serves the same subnet. The ruleset is
 * nat_base_script()'s; nat_set_forwards() fills its forward chains.
 *
 * Return: 0 on success, -1 with @err set and nothing changed on failure
 */
int nat_start(const char *ifname, struct in_addr net, unsigned int prefix,
	      const uint8_t *prefix6, bool masquerade, char *err, size_t errlen)
{
	char netstr[INET_ADDRSTRLEN], script[3072];
	struct nat_state old;
	int lock;

	if (nat.active) {
		err_set(err, errlen, "NAT is already set up");
		return -1;
	}
	if (prefix > 32 || !ifname[0] ||
	    strspn(ifname, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
		strlen(ifname)) {
		err_set(err, errlen, "bad interface name or prefix for NAT");
		return -1;
	}
	inet_ntop(AF_INET, &net, netstr, sizeof(netstr));
	memset(&nat.st, 0, sizeof(nat.st));
	nat.netns = nat_netns();
	nat.st.pid = (long)getpid();
	nat.st.start = nat_proc_start(nat.st.pid);
	nat_names(net, prefix, nat.netns, nat.st.table, nat.path);
	snprintf(nat.st.ifname, sizeof(nat.st.ifname), "%s", ifname);

	lock = nat_lock(err, errlen);
	if (lock < 0)
		return -1;
	nat_recover_locked(nat.netns);
	if (nat_state_read(nat.path, &old) == 0 && nat_alive(&old)) {
		err_set(err, errlen,
			"subnet %s/%u is already served by socket_vmnet pid "
			"%ld (TAP %s)",
			netstr, prefix, old.pid, old.ifname);
		close(lock);
		return -1;
	}
	/* Record the intent first: a crash from here on is recovered. */
	if (nat_state_write(nat.path, &nat.st) < 0) {
		err_sys(err, errlen, "writing %s", nat.path);
		close(lock);
		return -1;
	}
	if (!masquerade)
		prefix6 = NULL;
	if ((masquerade &&
	     nat_forward_enable(&nat_fwd4, nat.netns, err, errlen) < 0) ||
	    (prefix6 &&
	     nat_forward_enable(&nat_fwd6, nat.netns, err, errlen) < 0)) {
		unlink(nat.path);
		nat_forward_release(nat.netns);
		close(lock);
		return -1;
	}
	nat_base_script(script, sizeof(script), netstr, prefix, ifname,
			masquerade);
	if (prefix6)
		nat_script6(script, sizeof(script), prefix6, ifname);
	if (nat_run_nft(script, err, errlen) < 0) {
		/* nft may have been killed after its transaction went in, or
		 * a table of that name may be a leftover: delete it, or keep
		 * the record for the next start (nat_undo_locked()). */
		nat_undo_locked(nat.path, &nat.st, nat.netns);
		close(lock);
		return -1;
	}
	close(lock);
	if (masquerade)
		log_info("shared mode: %s/%u masqueraded (nft table ip %s)%s",
			 netstr, prefix, nat.st.table,
			 prefix6 ? "; IPv6 /64 too (nft table ip6)" : "");
	else
		log_info("nft table ip %s set up for port forwards",
			 nat.st.table);
	nat.active = true;
	nat.masquerade = masquerade;
	nat_start_keeper();
	return 0;
}

/**
 * nat_fwd_rules() - the DNAT rules of one port forward
 * @buf:	where they go (appended as "add rule" lines)
 * @len:	room in @buf
 * @f:		the forward
 *
 * Connections from other hosts come through fwd_pre (not from the TAP:
 * a VM reaching the forward gets the host's port), the host's own through
 * fwd_out; a forward on every address (0.0.0.0) matches any local
 * destination address.
 *
 * Return: the length written (as snprintf() counts it)
 */
static size_t nat_fwd_rules(char *buf, size_t len, const struct fwd_spec *f)
{
	char dst[64], g[ADDR_IP4_STRLEN], rule[192];
	const char *proto = fwd_proto_name(f->proto);
	int n;

	if (f->host_addr)
		snprintf(dst, sizeof(dst), "ip daddr %s",
			 addr_ip4_fmt(f->host_addr, g));
	else
		snprintf(dst, sizeof(dst), "fib daddr type local");
	snprintf(rule, sizeof(rule), "%s %s dport %u dnat to %s:%u\n", dst,
		 proto, f->host_port, addr_ip4_fmt(f->guest_addr, g),
		 f->guest_port);
	if (fwd_host_is_loopback(f))
		n = snprintf(buf, len, "add rule ip %s fwd_out %s",
			     nat.st.table, rule);
	else
		n = snprintf(buf, len,
			     "add rule ip %1$s fwd_pre iifname != \"%2$s\" %3$s"
			     "add rule ip %1$s fwd_out %3$s",
			     nat.st.table, nat.st.ifname, rule);
	return n < 0 ? 0 : (size_t)n;
}

/**
 * nat_set_forwards() - make the table's forward chains hold these forwards
 * @s:		every forward that must be in force
 * @err:	where to write what went wrong
 * @errlen:	size of @err
 *
 * Both chains are flushed and refilled in one nft transaction, so a
 * failure leaves the forwards as they were. In host mode, a forward on an
 * address other hosts can reach turns ip_forward on (recorded and
 * restored as shared mode does); the table's forward chain still lets only
 * forwarded connections cross the TAP.
 *
 * Return: 0 on success, -1 with @err set
 */
int nat_set_forwards(const struct fwd_set *s, char *err, size_t errlen)
{
	size_t cap = 256 + (size_t)s->n * 512, off;
	bool external = false;
	char *script;
	int r, lock;

	if (!nat.active)
		return err_set(err, errlen, "no nft table to forward ports in");
	script = malloc(cap);
	if (!script)
		return err_set(err, errlen, "out of memory");
	off = (size_t)snprintf(script, cap,
			       "flush chain ip %1$s fwd_pre\n"
			       "flush chain ip %1$s fwd_out\n",
			       nat.st.table);
	for (unsigned int i = 0; i < s->n && off < cap; i++) {
		off += nat_fwd_rules(script + off, cap - off, &s->f[i]);
		external |= !fwd_host_is_loopback(&s->f[i]);
	}
	if (external && !nat.masquerade) {
		lock = nat_lock(err, errlen);
		r = lock < 0
			? -1
			: nat_forward_enable(&nat_fwd4, nat.netns, err, errlen);
		if (lock >= 0)
			close(lock);
		if (r < 0) {
			free(script);
			return -1;
		}
	}
	r = nat_run_nft(script, err, errlen);
	free(script);
	return r;
}

/**
 * nat_stop() - undo what nat_start() did
 *
 * Lets the keeper do it (it kept the privileges) and waits for it a few
 * seconds; without a keeper, does it here. Safe to call when nat_start()
 * failed or was never called.
 */
void nat_stop(void)
{
	struct nat_state st;
	char err[256];
	int lock, waited = 0;

	if (!nat.active)
		return;
	nat.active = false;
	if (nat.keeper > 0) {
		struct timespec ts = {0, 10 * 1000 * 1000};

		close(nat.keeper_pipe);
		nat.keeper_pipe = -1;
		for (;;) {
			pid_t r = waitpid(nat.keeper, NULL, WNOHANG);

			if (r == nat.keeper)
				break;
			/* SIGCHLD ignored: the kernel reaps it for us */
			if (r < 0 && errno == ECHILD && kill(nat.keeper, 0) < 0)
				break;
			if (waited >= NAT_KEEPER_WAIT_MS) {
				log_warnx("NAT keeper pid %ld still busy; not "
					  "waiting for it",
					  (long)nat.keeper);
				nat.keeper = -1;
				return;
			}
			nanosleep(&ts, NULL);
			waited += 10;
		}
		nat.keeper = -1;
		if (access(nat.path, F_OK) < 0)
			return; /* the keeper did it */
	}
	lock = nat_lock(err, sizeof(err));
	if (lock < 0) {
		log_warnx("cannot undo shared mode (the next start will): %s",
			  err);
		return;
	}
	if (nat_state_read(nat.path, &st) < 0 || st.pid != nat.st.pid ||
	    st.start != nat.st.start) {
		close(lock);
		return;
	}
	nat_undo_locked(nat.path, &nat.st, nat.netns);
	close(lock);
}
