#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The systemd units' privileges, run for real: the daemon started the way
socket_vmnet@.service starts it, under the unit's CapabilityBoundingSet and
NoNewPrivileges (setpriv, util-linux), in a network namespace made here.

The capability set and the fixed options are read from systemd/sandbox.conf,
systemd/socket_vmnet@.service and systemd/isolated.conf, so the test follows
the units. User and group socket_vmnet become nobody and nogroup (the test
creates no user). For host, shared and bridged modes the set must be
enough: the daemon starts, a VM gets a lease (bridged: a static address)
and pings the host side, SIGTERM stops it with exit 0 and nothing is left
(TAP, nftables table). And it must be the smallest: without any one of its
capabilities the daemon fails to start or to stop. An isolated network
runs as the user with no capability at all (isolated.conf).

Needs root, ip, setpriv and nft; exits 77 when it cannot run (a failure
with CI=true or REQUIRE_QEMU=1). Last line: "units: N passed, N failed".
"""

import glob
import os
import shutil
import signal
import subprocess
import sys

from svmlib import (REPO, SVM, Suite, TestFailure, check, mac, netns_add,
                    netns_del, run, wait_until)

NET = "10.203"
NAT_STATE_DIR = "/run/socket_vmnet-nat"   # src/nat.h
SUITE = Suite("units", timeout=60)


def unit_line(path, key):
    """The last value of @key= in the unit file @path."""
    val = None
    with open(os.path.join(REPO, "systemd", path)) as f:
        for line in f:
            if line.startswith(key + "="):
                val = line.rstrip("\n").split("=", 1)[1]
    if val is None:
        raise TestFailure("%s: no %s=" % (path, key))
    return val


def unit_caps(path):
    """The capabilities of CapabilityBoundingSet= in @path, setpriv style."""
    return [c[4:].lower() for c in unit_line(path, "CapabilityBoundingSet")
            .split()]


def unit_options(path):
    """The fixed options of ExecStart= in @path, with socket_vmnet's user
    and group replaced by nobody and nogroup."""
    words = unit_line(path, "ExecStart").split()
    opts = [w for w in words[1:] if w.startswith("--user=") or
            w.startswith("--socket-group=")]
    return [o.replace("=socket_vmnet", "=nobody" if o.startswith("--user")
                      else "=nogroup") for o in opts]


def setpriv(caps, user=None):
    """The setpriv command of a unit with bounding set @caps, and User=
    @user (None: root) and Group=nogroup."""
    argv = ["setpriv", "--no-new-privs", "--inh-caps=-all",
            "--bounding-set=" + ",".join(["-all"] + ["+" + c for c in caps])]
    if user:
        argv += ["--reuid=" + user]
    return argv + ["--regid=nogroup", "--clear-groups"]


def prerequisites():
    missing = [t for t in ("ip", "setpriv", "nft") if not shutil.which(t)]
    if os.geteuid() != 0:
        return "needs root"
    if missing:
        return "%s not found (apt-get install iproute2 util-linux nftables)" \
            % " ".join(missing)
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    return None


def start(ctx, ns, wrapper, opts, mode, n, extra=(), rundir="."):
    """A daemon in @ns under @wrapper, its socket and pidfile in @rundir
    (in the test's directory); not waited for."""
    args = list(opts) + ["--vmnet-mode=" + mode, "--tap=svmu%d" % n] + \
        list(extra)
    return ctx.daemon(*args, name="%s%d" % (mode, n),
                      sock=rundir + "/{name}.sock",
                      pidfile=rundir + "/{name}.pid",
                      wrapper=["ip", "netns", "exec", ns] + wrapper,
                      ready=False)


def worker_pids(pid):
    """The children of @pid (the worker, the NAT keeper)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def lifecycle(ctx, d, ns, vm_check):
    """Ready, @vm_check(d), clean stop: None, or what went wrong."""
    if not d.wait_ready(timeout=10, exit_ok=True):
        return "exited %s before it was ready: %s" % (
            d.proc.returncode, " / ".join(d.log_lines(r"ERROR")[-2:]))
    kids = worker_pids(d.pid)
    try:
        vm_check(d)
    except (TestFailure, OSError) as e:
        d.stop(timeout=5)
        return "the VM failed: %s" % e
    d.close_vms()
    rc = d.stop(timeout=5)
    if rc is None:
        # The monitor was killed: the worker follows it (PR_SET_PDEATHSIG)
        # and the NAT keeper undoes the setup; what is still there after
        # that is killed, by its id.
        wait_until(lambda: not any(os.path.exists("/proc/%d" % k)
                                   for k in kids), 5)
        for k in kids:
            try:
                os.kill(k, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return "did not stop on SIGTERM"
    if rc != 0:
        return "exit %d on SIGTERM" % rc
    links = run(["ip", "-n", ns, "-o", "link"], check=False).stdout
    if "svmu" in links:
        return "its TAP device is left"
    tables = run(["ip", "netns", "exec", ns, "nft", "list", "tables"],
                 check=False).stdout
    if "socket_vmnet" in tables:
        return "its nftables table is left"
    return None


def vm_lease_ping(d):
    """A VM gets a lease and pings the gateway (the host side's TAP)."""
    vm = d.connect("vm", mac(1), learn_port=False)
    vm.dhcp()
    gw = d.gateway
    gw_mac = vm.arp_resolve(gw)
    check(gw_mac is not None, "the host side did not answer ARP")
    check(vm.ping(gw, gw_mac), "the host side did not answer ping")


def vm_static_ping(peer):
    """A VM with a static address pings @peer on the bridge."""
    def fn(d):
        vm = d.connect("vm", mac(1), learn_port=False)
        vm.ip = NET + ".3.2"
        peer_mac = vm.arp_resolve(peer)
        check(peer_mac is not None, "the bridge did not answer ARP")
        check(vm.ping(peer, peer_mac, answer_arp=True),
              "the bridge did not answer ping")
    return fn


def forget_nat_state(ino):
    """Remove what shared mode recorded for the namespace with inode @ino
    in NAT_STATE_DIR, should a daemon have been killed before it could."""
    for f in glob.glob("%s/nat-%d-*" % (NAT_STATE_DIR, ino)) + \
            glob.glob("%s/ip_forward-%d.*" % (NAT_STATE_DIR, ino)):
        os.unlink(f)


def with_ns(fn):
    """Run @fn(ctx, ns) in a fresh namespace."""
    def t(ctx):
        ns = netns_add("svmu-%d" % os.getpid())
        ctx.defer(forget_nat_state, os.stat("/run/netns/" + ns).st_ino)
        ctx.defer(netns_del, ns)
        fn(ctx, ns)
    t.__name__ = fn.__name__
    return t


def tap_mode_test(mode, extra, vm_check, setup=None):
    """The unit's capabilities are enough for @mode."""
    @with_ns
    def t(ctx, ns):
        if setup:
            setup(ns)
        caps = unit_caps("sandbox.conf")
        d = start(ctx, ns, setpriv(caps), unit_options(
            "socket_vmnet@.service"), mode, 0, extra)
        why = lifecycle(ctx, d, ns, vm_check)
        check(why is None, "%s mode with %s: %s" % (mode, ",".join(caps),
                                                   why))
    return t


def make_bridge(ns):
    run(["ip", "-n", ns, "link", "add", "br0", "type", "bridge"])
    run(["ip", "-n", ns, "addr", "add", NET + ".3.1/24", "dev", "br0"])
    run(["ip", "-n", ns, "link", "set", "br0", "up"])


SUITE.test("host mode runs with the unit's capabilities")(tap_mode_test(
    "host", ["--vmnet-gateway=%s.1.1" % NET], vm_lease_ping))
SUITE.test("shared mode runs with the unit's capabilities")(tap_mode_test(
    "shared", ["--vmnet-gateway=%s.2.1" % NET, "--dns=192.0.2.53",
               "--nat=kernel"], vm_lease_ping))
SUITE.test("bridged mode runs with the unit's capabilities")(tap_mode_test(
    "bridged", ["--vmnet-interface=br0"], vm_static_ping(NET + ".3.1"),
    make_bridge))


@SUITE.test("each of the unit's capabilities is needed")
@with_ns
def t_minimal(ctx, ns):
    caps = unit_caps("sandbox.conf")
    opts = unit_options("socket_vmnet@.service")
    for n, cap in enumerate(caps, 1):
        fewer = [c for c in caps if c != cap]
        d = start(ctx, ns, setpriv(fewer), opts, "shared", n,
                  ["--vmnet-gateway=%s.%d.1" % (NET, 10 + n),
                   "--dns=192.0.2.53", "--nat=kernel"])
        why = lifecycle(ctx, d, ns, vm_lease_ping)
        d.expect_dead = True
        check(why is not None, "shared mode works without cap_%s: the "
              "unit's set is not the smallest" % cap)
        print("    without cap_%s: %s" % (cap, why))


@SUITE.test("an isolated network runs with no capability (isolated.conf)")
@with_ns
def t_isolated(ctx, ns):
    caps = unit_caps("isolated.conf") if unit_line(
        "isolated.conf", "CapabilityBoundingSet") else []
    check(caps == [], "isolated.conf grants %s" % caps)
    check(unit_line("isolated.conf", "User") == "socket_vmnet",
          "isolated.conf does not run the daemon as socket_vmnet")
    opts = unit_options("isolated.conf")
    check(not any(o.startswith("--user") for o in opts),
          "isolated.conf still asks for --user")
    os.mkdir(ctx.path("run"))       # as RuntimeDirectory=, the user's
    shutil.chown(ctx.path("run"), "nobody")
    d = start(ctx, ns, setpriv([], user="nobody"), opts, "isolated", 0,
              ["--vmnet-gateway=%s.4.1" % NET], rundir="run")

    def vm_check(dd):
        vm = dd.connect("vm", mac(1), learn_port=False)
        vm.dhcp()
        check(vm.ping(dd.gateway, vm.arp_resolve(dd.gateway)),
              "the gateway did not answer ping")
    why = lifecycle(ctx, d, ns, vm_check)
    check(why is None, "isolated mode with no capability: %s" % why)


if __name__ == "__main__":
    why = prerequisites()
    if why:
        print("units: cannot run: %s" % why)
        if os.environ.get("CI") == "true" or \
                os.environ.get("REQUIRE_QEMU") == "1":
            print("units: 0 passed, 1 failed")
            sys.exit(1)
        sys.exit(77)
    sys.exit(SUITE.main(sys.argv[1:]))
