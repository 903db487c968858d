#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Least privilege by default (docs/SECURITY.md): started as root with no
--user, the switch runs in a worker that is not root (no groups, no
capabilities, no new privileges), under the seccomp allowlist (Seccomp 2)
and in a read-only mount namespace, while the root monitor does what needs
root for it: the lease file, kernel NAT forwards, --connect targets and
datagram peers it may not reach. A forbidden system call (the test build's
hook, build/socket_vmnet_hook) kills the worker with SIGSYS and a message
naming the call, and the monitor cleans up. --sandbox=off and --user=root
are the opt-outs; a daemon started without root confines itself.

Needs root (the default only applies there; namespaces for the kernel
NAT).
"""

import os
import signal
import socket
import subprocess
import sys

from svmlib import (SVM, Suite, binary, check, eth, mac, netns_add, netns_del,
                    proc_children, proc_uid, run, summary, wait_until)

BUILD = os.environ.get("BUILD", "build")
HOOK = os.environ.get("SOCKET_VMNET_HOOK",
                      os.path.join(BUILD, "socket_vmnet_hook"))
CTL = binary("SOCKET_VMNETCTL", "socket_vmnetctl")
GW = "192.168.107.1"
NET = ["--vmnet-mode=isolated", "--vmnet-gateway=" + GW]
SUITE = Suite("sandbox", timeout=90, prefix="svm-sbx-", binaries=(SVM, HOOK, CTL),
              daemon_defaults=dict(sock="sock", pidfile="pid"))
SIGSYS = 31


def status(pid):
    """/proc/PID/status as a dict of its fields."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for ln in f:
            k, _, v = ln.partition(":")
            out[k] = v.strip()
    return out


def worker(d):
    """The daemon's worker: its one unprivileged child."""
    def find():
        kids = [k for k in proc_children(d.pid) if proc_uid(k) not in (None, 0)]
        return kids[0] if len(kids) == 1 else None
    check(wait_until(find, 5), "no worker under monitor %d:\n%s" % (d.pid, d.tail()))
    return find()


def root_dir(ctx):
    """A directory only root may write to (the lease file's)."""
    p = ctx.path("rootonly")
    os.mkdir(p, 0o755)
    return p


def check_confined(d, w):
    """The worker @w of daemon @d is confined: the issue's fields."""
    wait_until(lambda: status(w)["Seccomp"] == "2", 5)   # set once it runs
    st = status(w)
    uids, gids = st["Uid"].split(), st["Gid"].split()
    check("0" not in uids and "0" not in gids, "worker uid %s gid %s" % (uids, gids))
    check(st["Groups"] == "", "worker groups %r" % st["Groups"])
    check(int(st["CapEff"], 16) == 0 and int(st["CapPrm"], 16) == 0,
          "worker capabilities eff %s prm %s" % (st["CapEff"], st["CapPrm"]))
    check(st["NoNewPrivs"] == "1", "NoNewPrivs %s" % st["NoNewPrivs"])
    check(st["Seccomp"] == "2", "Seccomp %s" % st["Seccomp"])
    check(status(d.pid)["Uid"].split()[0] == "0", "the monitor is not root")


@SUITE.test("as root with no --user: the worker is confined, the monitor the only root process")
def default_confined(ctx):
    leases = os.path.join(root_dir(ctx), "leases")
    d = ctx.daemon(*NET, "--lease-file=" + leases)
    w = worker(d)
    check_confined(d, w)
    check(d.log_has(r"switch running as user (socket_vmnet|nobody)"), d.tail())
    # The monitor and the worker are all the daemon's processes.
    check(proc_children(d.pid) == [w] and proc_children(w) == [],
          "processes: monitor %d children %s" % (d.pid, proc_children(d.pid)))
    # Its own mount namespace, where / is read-only.
    check(os.readlink("/proc/%d/ns/mnt" % w) != os.readlink("/proc/%d/ns/mnt" % d.pid),
          "the worker shares the monitor's mount namespace")
    with open("/proc/%d/mountinfo" % w) as f:
        root = [ln.split() for ln in f if ln.split()[4] == "/"]
    check(root and root[0][5].startswith("ro"), "/ in the worker: %r" % root)
    # A lease, written by the monitor where the worker may not write.
    vm = ctx.stream(d, 1)
    vm.gw = GW
    ip = vm.dhcp()
    check(ip and ip.startswith("192.168.107."), "no lease: %r" % ip)
    check(wait_until(lambda: os.path.exists(leases) and ip in open(leases).read(), 5),
          "the lease file has no %s" % ip)
    check(os.stat(leases).st_uid == 0, "the lease file is not root's")
    d.stop()
    check(d.returncode == 0, "exit %s" % d.returncode)


@SUITE.test("a forbidden system call kills the worker with SIGSYS, named; the monitor cleans up")
def forbidden_call(ctx):
    d = ctx.daemon(*NET, binary=HOOK)
    w = worker(d)
    os.kill(w, signal.SIGUSR2)      # the hook: syslog(2), not on the list
    check(wait_until(lambda: not d.alive(), 10), "the daemon still runs\n" + d.tail())
    check(d.proc.returncode == 128 + SIGSYS, "exit %s, want %d" % (d.proc.returncode, 128 + SIGSYS))
    check(d.log_has(r"sandbox: forbidden system call syslog \(\d+\) in process %d" % w),
          "no message naming the call:\n" + d.tail())
    check(d.log_has(r"switch process died of signal %d" % SIGSYS), d.tail())
    check(not os.path.exists(d.sock) and not os.path.exists(d.pidfile),
          "socket or pidfile left behind")


@SUITE.test("--sandbox=off: no filter, no namespace; still unprivileged")
def sandbox_off(ctx):
    d = ctx.daemon(*NET, "--sandbox=off", binary=HOOK)
    w = worker(d)
    st = status(w)
    check(st["Seccomp"] == "0" and st["NoNewPrivs"] == "1", "Seccomp %s NoNewPrivs %s"
          % (st["Seccomp"], st["NoNewPrivs"]))
    check(st["Uid"].split()[0] != "0", "root worker")
    check(os.readlink("/proc/%d/ns/mnt" % w) == os.readlink("/proc/%d/ns/mnt" % d.pid),
          "a mount namespace of its own with --sandbox=off")
    os.kill(w, signal.SIGUSR2)      # the forbidden call is only refused by the kernel now
    d.send_signal(signal.SIGUSR1)
    check(d.wait_log(r"status: 0 ports"), "the worker died without its filter\n" + d.tail())
    check(d.alive(), "the daemon died")


@SUITE.test("--user=root: one root process, no filter, said so")
def user_root(ctx):
    d = ctx.daemon(*NET, "--user=root")
    check(d.log_has(r"--user=root: the switch keeps root"), d.tail())
    check(proc_children(d.pid) == [], "children %s" % proc_children(d.pid))
    st = status(d.pid)
    check(st["Uid"].split()[0] == "0" and st["Seccomp"] == "0", "uid %s seccomp %s"
          % (st["Uid"], st["Seccomp"]))


@SUITE.test("started without root: the daemon confines itself, writes its files, cleans up")
def non_root(ctx):
    run_dir = ctx.path("run")
    os.mkdir(run_dir)
    os.chmod(run_dir, 0o777)
    leases = os.path.join(run_dir, "leases")
    d = ctx.daemon(*NET, "--lease-file=" + leases,
                   wrapper=["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"],
                   sock=os.path.join(run_dir, "sock"), pidfile=os.path.join(run_dir, "pid"))
    wait_until(lambda: status(d.pid)["Seccomp"] == "2", 5)  # set once it runs
    st = status(d.pid)
    check(st["Seccomp"] == "2" and st["Uid"].split()[0] != "0", "uid %s Seccomp %s"
          % (st["Uid"], st["Seccomp"]))
    check(proc_children(d.pid) == [], "children %s" % proc_children(d.pid))
    vm = ctx.stream(d, 1)
    vm.gw = GW
    ip = vm.dhcp()
    check(wait_until(lambda: os.path.exists(leases) and ip in open(leases).read(), 5),
          "the lease file has no %s" % ip)
    d.stop()
    check(d.returncode == 0, "exit %s\n%s" % (d.returncode, d.tail()))
    check(not os.path.exists(d.sock) and not os.path.exists(d.pidfile),
          "socket or pidfile left behind")


@SUITE.test("peers the worker may not write to: the monitor connects them")
def peers_through_monitor(ctx):
    os.umask(0o022)
    conn = ctx.path("vm.listen")
    lst = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    lst.bind(conn)                       # root's, mode 0755: not the worker's
    lst.listen(1)
    ctx.defer(lst.close)
    d = ctx.daemon(*NET, "--dgram-socket=" + ctx.path("dg"), "--connect=" + conn)
    lst.settimeout(10)
    c, _ = lst.accept()                  # the monitor connected it for the worker
    ctx.defer(c.close)
    check(d.wait_log(r"connected to %s" % conn), d.tail())
    # An unconnected datagram peer with a root-only socket file (as QEMU's
    # -netdev dgram): frames reach it.
    p = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    p.bind(ctx.path("peer.dgram"))
    ctx.defer(p.close)
    p.sendto(eth(b"\xff" * 6, mac(0x21), 0x88b5, b"hello" * 10), ctx.path("dg"))
    frame = eth(b"\xff" * 6, mac(0x22), 0x88b5, b"from the stream peer" * 3)
    c.sendall(len(frame).to_bytes(4, "big") + frame)
    p.settimeout(5)
    got = p.recv(4096)
    check(got == frame, "the datagram peer got %r" % got[:40])
    check(d.log_has(r"sending through a socket the monitor connected"), d.tail())


@SUITE.test("shared mode, kernel NAT: forwards added live go through the monitor")
def kernel_forward_live(ctx):
    ns = "svm-sbx-%d" % os.getpid()
    netns_add(ns)
    ctx.defer(netns_del, ns)
    run_dir = ctx.path("run")
    os.mkdir(run_dir)
    d = ctx.daemon("--vmnet-mode=shared", "--vmnet-gateway=10.89.0.1", "--nat=kernel",
                   "--tap=svmsbx0", wrapper=["ip", "netns", "exec", ns],
                   sock=os.path.join(run_dir, "sock"), pidfile=os.path.join(run_dir, "pid"))
    w = worker(d)
    check_confined(d, w)
    # Root: the monitor, and the NAT keeper that holds nothing but its pipe.
    roots = [k for k in proc_children(d.pid) if proc_uid(k) == 0]
    check(len(roots) == 1 and len(os.listdir("/proc/%d/fd" % roots[0])) <= 4,
          "root children of the monitor: %s" % roots)
    spec = "udp:127.0.0.1:7474:10.89.0.20:7"
    r = subprocess.run([CTL, "--control=" + d.sock + ".ctl", "forward", "add", spec],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0 and spec in r.stdout, "add: %r %r" % (r.stdout, r.stderr))
    rules = run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"]).stdout
    check("dnat to 10.89.0.20:7" in rules, "no DNAT rule:\n" + rules)
    r = subprocess.run([CTL, "--control=" + d.sock + ".ctl", "forward", "remove", spec],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "remove: %r %r" % (r.stdout, r.stderr))
    rules = run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"]).stdout
    check("10.89.0.20" not in rules, "the DNAT rule stayed:\n" + rules)
    d.stop()
    check(d.returncode == 0, "exit %s" % d.returncode)


def main():
    if os.geteuid() != 0:
        print("sandbox: cannot run: needs root")
        if os.environ.get("CI") == "true" or os.environ.get("REQUIRE_QEMU") == "1":
            summary("sandbox", 0, 1)
            return 1
        return 77
    return SUITE.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
