#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Fault tests: the daemon short of descriptors, disk space, devices or a
working nft, and guests that misbehave in ways that hold resources.

Each test starts its own socket_vmnet on sockets in a temporary directory
and asserts both sides: what must keep working (other VMs get served, the
daemon answers) and what must be left behind (nothing: no nft table, no
state file, ip_forward as it was, an intact lease file).

    1 descriptors    `ulimit -n 24` and 40 clients: accept pauses, one log
                     line per episode, the waiting clients get in once
                     others leave
    2 dhcp-decline   one VM repeating DISCOVER, DECLINE parks at most
                     --dhcp-clients + 3 addresses; others still get leases
    3 half-frame     a client that sends half a frame and then nothing
                     delays nobody; its port is freed when it closes or
                     after the partial-frame timeout (20 s)
    4 lease-enospc   the lease file on a full tmpfs (own mount namespace):
                     DHCP goes on, the old file stays whole, the next write
                     after space is back has everything
    5 pidfile-ro     a pidfile in a read-only directory: exit 1 with the
                     reason, the socket file and the host side undone
    6 no-tun         /dev/net/tun hidden: host mode exits 1 with the reason
    7 nft-fails      an nft that always fails: shared mode exits 1, no
                     table, no state file, ip_forward back to 0
    8 nft-killed     nft killed after its transaction went in: the daemon
                     deletes the table itself
    9 nft-leftover   nft killed at every run: the table stays, and the
                     next host-mode start on the subnet deletes it, with
                     or without the state file
   10 kill-mid-nft   the daemon SIGKILLed while nft runs: the next start
                     (host mode) undoes the table and ip_forward

Tests 4 to 10 need root (mount namespaces, network namespaces, nft); as
root a test that cannot run fails.  The last line is "faults: N passed, N
failed".  Binary: $SOCKET_VMNET (default: ./socket_vmnet).
"""

import os
import random
import re
import shutil
import signal
import socket
import sys

from svmlib import (BCAST, ETH_P_IP, ETH_P_TEST, Suite, TestSkip, check,
                    dhcp_msg, eth, fmt_mac, mac, netns_add, netns_del,
                    new_tag, parse, run, udp, wait_until)

TEST_TIMEOUT = 90
NAT_DIR = "/run/socket_vmnet-nat"
REAL_NFT = "/usr/sbin/nft"
PARTIAL_TIMEOUT = 20      # stream.c: STREAM_PARTIAL_MS

SUITE = Suite("faults", TEST_TIMEOUT, prefix="svm-faults-",
              daemon_defaults=dict(name="d{n}", sock="{name}.sock",
                                   pidfile="{name}.pid", new_session=True))
test = SUITE.test


def need_root(*tools):
    """TestSkip unless root and every tool in @tools is there."""
    if os.geteuid() != 0:
        raise TestSkip("needs root")
    for t in tools:
        if not shutil.which(t) and not os.path.exists(t):
            raise TestSkip("needs %s" % t)


def in_mount_ns(script):
    """A Daemon wrapper: a private mount namespace, @script (sh) run in it
    first, then the daemon's command ("$@")."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-ec",
            script + '\nexec "$@"', "sh"]


# --------------------------------------------------------------- descriptors

@test("1 descriptors: accept pauses on EMFILE, then takes the waiting")
def descriptors(ctx):
    d = ctx.daemon("--vmnet-mode=isolated",
                   wrapper=["sh", "-c", 'ulimit -n 24 && exec "$@"', "sh"])
    d.wait_log(r"--max-ports=1024 needs \d+ descriptors, but the limit is 24")
    clients = []
    for _ in range(40):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(d.sock)
        except BlockingIOError:
            pass
        clients.append(ctx.own(s))
    d.wait_log(r"accept on SOCKET: Too many open files; pausing")
    served = d.log_count(r"port \d+ connected")
    check(0 < served < 40, "%d of 40 clients connected under a limit of 24"
          % served)
    # 25 leave: the others must get in without anything new connecting
    for s in clients[:25]:
        s.close()
    d.wait_log(r"port \d+ connected", count=40, timeout=10)
    ends = d.wait_log(r"accept on SOCKET: works again after (\d+) failed "
                      r"attempts in (\d+) ms")
    # one line when an episode starts, one when it ends, alternating; the
    # last episode may still run (accept() fails with EMFILE before it
    # looks for a waiting connection, so a full table pauses it again)
    marks = ["pause" if "pausing" in ln else "end" for ln in
             d.log_lines(r"accept on SOCKET: (.*; pausing|works again)")]
    check(marks.count("end") >= 1 and
          marks == [("pause", "end")[i % 2] for i in range(len(marks))],
          "pause and end lines out of step: %s" % marks)
    # no spinning: retries are paced (10 ms doubling to 200 ms)
    for ln in ends:
        m = re.search(r"after (\d+) failed attempts in (\d+) ms", ln)
        n, ms = int(m.group(1)), int(m.group(2))
        check(n <= ms // 10 + 2, "episode: %d failed accepts in %d ms" %
              (n, ms))
    check(d.alive(), "daemon died")


# ---------------------------------------------------------------- dhcp bound

@test("2 dhcp-decline: one VM cannot park the pool")
def dhcp_decline(ctx):
    gw = "10.45.0.1"
    d = ctx.daemon("--vmnet-mode=isolated", "--vmnet-gateway=" + gw,
                   "--vmnet-dhcp-end=10.45.0.30")
    bad = ctx.stream(d, 1)
    offered = set()
    for i in range(60):
        xid = random.randrange(1 << 32)
        cid = b"\x01" + bytes([i & 1])
        bad.send(eth(BCAST, bad.mac, ETH_P_IP, udp(
            "0.0.0.0", "255.255.255.255", 68, 67,
            dhcp_msg(1, xid, bad.mac, client_id=cid))))
        off = bad.wait(lambda p, f: p["dhcp"]["xid"] == xid and
                       p["dhcp"]["mtype"] == 2)
        check(off is not None, "round %d: no OFFER to the attacker" % i)
        a = parse(off)["dhcp"]["yiaddr"]
        offered.add(a)
        bad.send(eth(BCAST, bad.mac, ETH_P_IP, udp(
            "0.0.0.0", "255.255.255.255", 68, 67,
            dhcp_msg(4, xid, bad.mac, client_id=cid, req_ip=a,
                     server_id=gw))))
    check(len(offered) <= 2 + 3, "one MAC parked %d addresses: %s"
          % (len(offered), sorted(offered)))
    d.wait_log(r"too many of its declined addresses rest already")
    for n in (2, 3, 4):
        vm = ctx.stream(d, n)
        vm.gw = gw
        vm.dhcp()


# ---------------------------------------------------------------- half frame

@test("3 half-frame: delays nobody, freed on close and after a timeout")
def half_frame(ctx):
    d = ctx.daemon("--vmnet-mode=isolated")
    a, b = ctx.stream(d, 1), ctx.stream(d, 2)
    a.sync(b)
    b.sync(a)
    halves = []
    for n in (3, 4):
        h = ctx.stream(d, n)
        h.send(eth(BCAST, h.mac, ETH_P_TEST, b"", new_tag("h")))
        h.send_raw(b"\x00\x00\x04\x00" + b"\x11" * 300)   # 1024 announced
        check(h.wait_read(), "daemon did not read the half frame")
        halves.append(h)
    # others go on at once
    t = new_tag("after-half")
    a.send(eth(b.mac, a.mac, ETH_P_TEST, b"", t))
    check(b.wait(lambda p, f: t in f) is not None,
          "a frame between two others was lost behind a half frame")
    # one closes: its port goes at once
    halves[0].close()
    d.wait_log(r"port \d+ disconnected", count=1)
    # the other waits: freed after the timeout
    d.wait_log(r"incomplete frame .* got no more bytes", timeout=
               PARTIAL_TIMEOUT + 10)
    check(halves[1].wait_eof(5), "the daemon kept the half-frame port")
    t = new_tag("still")
    b.send(eth(a.mac, b.mac, ETH_P_TEST, b"", t))
    check(a.wait(lambda p, f: t in f) is not None, "a and b no longer talk")


# ---------------------------------------------------------- lease file, full

@test("4 lease-enospc: DHCP goes on, the old lease file stays whole")
def lease_enospc(ctx):
    need_root("unshare", "mount")
    gw = "10.47.0.1"
    fsdir = ctx.path("fs")
    os.mkdir(fsdir)
    leases = os.path.join(fsdir, "leases")
    d = ctx.daemon("--vmnet-mode=isolated", "--vmnet-gateway=" + gw,
                   "--lease-file=" + leases,
                   wrapper=in_mount_ns("mount -t tmpfs -o size=64k tmpfs %s"
                                       % fsdir))
    root = "/proc/%d/root" % d.pid        # the daemon's view of the files
    a = ctx.stream(d, 1)
    a.gw = gw
    a.dhcp()
    view = root + leases
    check(wait_until(lambda: os.path.exists(view) and
                     fmt_mac(mac(1)) in open(view).read(), 5),
          "lease of vm 1 not in the lease file")
    before = open(view).read()
    # fill the file system
    fill = root + os.path.join(fsdir, "fill")
    try:
        with open(fill, "wb") as f:
            while True:
                f.write(b"\0" * 4096)
                f.flush()
    except OSError as e:
        check(e.errno == 28, "filling the tmpfs: %s" % e)
    for n in (2, 3, 4, 5):
        vm = ctx.stream(d, n)
        vm.gw = gw
        vm.dhcp()                        # served all the same
    d.wait_log(r"cannot write lease file .*No space left on device")
    check(open(view).read() == before, "the lease file changed on a full "
          "file system:\n%s" % open(view).read())
    check(d.log_count(r"cannot write lease file") <= 6,
          "%d lease write errors logged" % d.log_count(
              r"cannot write lease file"))
    os.unlink(fill)
    check(wait_until(lambda: fmt_mac(mac(5)) in open(view).read(), 10),
          "the lease file was not written once space came back")
    check(d.alive(), "daemon died")


# ------------------------------------------------------------------- pidfile

@test("5 pidfile-ro: exit 1, named reason, nothing left")
def pidfile_ro(ctx):
    need_root("unshare", "mount")
    ro = ctx.path("ro")
    os.mkdir(ro)
    d = ctx.daemon("--vmnet-mode=isolated", pidfile=os.path.join(ro, "d.pid"),
                   ready=False,
                   wrapper=in_mount_ns("mount -t tmpfs -o ro tmpfs " + ro))
    rc = d.proc.wait(10)
    d.expect_dead = True
    check(rc == 1, "exit %r, not 1" % rc)
    d.wait_log(r"cannot create pidfile %s" % re.escape(d.pidfile))
    check(not os.path.exists(d.sock), "socket file left behind")


# -------------------------------------------------------------------- no tun

def netns(ctx, tag):
    """A fresh network namespace, deleted at cleanup with the NAT state
    files that name it (a later namespace may get the same inode)."""
    name = "svmf-%s-%d" % (tag, os.getpid())
    netns_del(name)
    netns_add(name)
    ctx.defer(netns_del, name)
    ctx.defer(remove_state_files, name)
    return name


@test("6 no-tun: host mode exits 1 and says why")
def no_tun(ctx):
    need_root("unshare", "mount", "ip")
    ns = netns(ctx, "tun")
    d = ctx.daemon("--vmnet-mode=host", "--vmnet-gateway=10.48.0.1",
                   netns=ns, ready=False,
                   wrapper=in_mount_ns("mount -t tmpfs tmpfs /dev/net"))
    rc = d.proc.wait(10)
    d.expect_dead = True
    check(rc == 1, "exit %r, not 1" % rc)
    d.wait_log(r"/dev/net/tun")
    check(not os.path.exists(d.sock), "socket file left behind")


# ----------------------------------------------------------------------- nft

def nft_tables(ns):
    """The nft tables of network namespace @ns."""
    return run(["ip", "netns", "exec", ns, REAL_NFT, "list",
                "tables"]).stdout


def ip_forward(ns):
    return run(["ip", "netns", "exec", ns, "cat",
                "/proc/sys/net/ipv4/ip_forward"]).stdout.strip()


def state_files(ns):
    """The NAT state files of network namespace @ns."""
    ino = os.stat("/run/netns/" + ns).st_ino
    try:
        names = os.listdir(NAT_DIR)
    except FileNotFoundError:
        return []
    return [n for n in names if n.startswith("nat-%d-" % ino)]


def remove_state_files(ns):
    for n in state_files(ns):
        os.unlink(os.path.join(NAT_DIR, n))


def fake_nft(ctx, body):
    """A shell script to bind over REAL_NFT; the real one is copied to
    ctx/nft.real for it.  Returns the wrapper mounting it."""
    need_root("unshare", "mount", "ip", REAL_NFT)
    real = ctx.path("nft.real")
    shutil.copy(REAL_NFT, real)
    fake = ctx.path("nft.fake")
    with open(fake, "w") as f:
        f.write("#!/bin/sh\nREAL=%s\nDIR=%s\n%s\n" % (real, ctx.dir, body))
    os.chmod(fake, 0o755)
    return in_mount_ns("mount --bind %s %s" % (fake, REAL_NFT))


SHARED = ["--vmnet-mode=shared", "--vmnet-gateway=10.49.0.1"]
TABLE = "socket_vmnet_10_49_0_0_24"


def expect_clean(ns, what):
    check(TABLE not in nft_tables(ns), "%s: table left: %s"
          % (what, nft_tables(ns)))
    check(ip_forward(ns) == "0", "%s: ip_forward left at 1" % what)
    check(not state_files(ns), "%s: state files left: %s"
          % (what, state_files(ns)))


def start_fails(ctx, ns, wrapper, why):
    d = ctx.daemon(*SHARED, netns=ns, ready=False, wrapper=wrapper)
    rc = d.proc.wait(30)
    d.expect_dead = True
    check(rc == 1, "exit %r, not 1" % rc)
    d.wait_log(why)
    return d


def killed_nft(ctx, tag, script):
    """A shared-mode start in a new namespace, with @script as nft, that
    fails because nft was killed; returns the namespace and the wrapper."""
    w = fake_nft(ctx, script)
    ns = netns(ctx, tag)
    start_fails(ctx, ns, w, r"nft failed \(signal 9\)")
    return ns, w


@test("7 nft-fails: shared mode exits 1, nothing left")
def nft_fails(ctx):
    w = fake_nft(ctx, 'cat >/dev/null; echo "fake nft: refused" >&2; exit 1')
    ns = netns(ctx, "nftf")
    start_fails(ctx, ns, w, r"nft failed \(status 1\): fake nft: refused")
    check(TABLE not in nft_tables(ns), "a table after a failing nft")
    check(ip_forward(ns) == "0", "ip_forward left at 1")
    # whether a table is there nft could not tell: the record stays, with
    # no live owner, until a start with a working nft
    states = state_files(ns)
    check(len(states) == 1 and "pid=0\n" in open(
        os.path.join(NAT_DIR, states[0])).read(),
        "no orphaned record: %s" % states)
    ctx.daemon("--vmnet-mode=host", "--vmnet-gateway=10.49.0.1",
               netns=ns).stop()
    expect_clean(ns, "after a failing nft and a host-mode start")


@test("8 nft-killed: killed after its transaction, the daemon undoes it")
def nft_killed(ctx):
    # the run that creates the table is killed once it is in
    ns, _ = killed_nft(ctx, "nftk", 'S=$(cat); printf "%s\\n" "$S" | '
                       '"$REAL" "$@" || exit; case "$S" in *masquerade*) '
                       'kill -9 $$;; esac')
    expect_clean(ns, "after nft was killed")


@test("9 nft-leftover: the next host-mode start deletes the table")
def nft_leftover(ctx):
    # every run that creates the table is killed once it is in; every
    # other run is killed before doing anything
    ns, w = killed_nft(ctx, "nftl", 'S=$(cat); case "$S" in *masquerade*) '
                       'printf "%s\\n" "$S" | "$REAL" "$@";; esac; kill -9 $$')
    for keep_state in (True, False):
        if not keep_state:
            start_fails(ctx, ns, w, r"nft failed \(signal 9\)")
        check(TABLE in nft_tables(ns), "the fake nft did not leave a table")
        check(state_files(ns), "no state file records the leftover table")
        if not keep_state:
            remove_state_files(ns)
        h = ctx.daemon("--vmnet-mode=host", "--vmnet-gateway=10.49.0.1",
                       netns=ns)
        check(TABLE not in nft_tables(ns), "host-mode start left the table "
              "(state file %s)" % ("kept" if keep_state else "removed"))
        h.stop()
        expect_clean(ns, "after the host-mode start")


@test("10 kill-mid-nft: the daemon killed while nft runs")
def kill_mid_nft(ctx):
    # nft applies its script, says so, and waits to be killed
    w = fake_nft(ctx, 'S=$(cat); printf "%s\\n" "$S" | "$REAL" "$@"; '
                 'case "$S" in *masquerade*) echo $$ > "$DIR/nft.pid"; '
                 'exec sleep 60;; esac')
    ns = netns(ctx, "nftm")
    d = ctx.daemon(*SHARED, netns=ns, ready=False, wrapper=w)
    pidf = ctx.path("nft.pid")
    check(wait_until(lambda: os.path.exists(pidf) and
                     open(pidf).read().strip(), 10), "nft never ran")
    check(TABLE in nft_tables(ns), "no table while nft ran")
    d.kill()
    os.kill(int(open(pidf).read()), signal.SIGKILL)
    h = ctx.daemon("--vmnet-mode=host", "--vmnet-gateway=10.49.0.1",
                   netns=ns)
    h.wait_log(r"did not clean up|left by an earlier")
    check(TABLE not in nft_tables(ns), "table left after the next start")
    h.stop()
    expect_clean(ns, "after the next start")


if __name__ == "__main__":
    sys.exit(SUITE.main(sys.argv[1:]))
