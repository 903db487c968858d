#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The control socket and socket_vmnetctl against a running daemon
(docs/CONTROL.md):

  1. ports: the counters equal what the test's VMs sent and received.
  2. disconnect closes exactly that port.
  3. capture of frames the test sends, read back by tcpdump -r; the size
     limit holds; a reader that never reads costs frames of the capture
     (counted), never of the VMs.
  4. a real DHCP client (busybox udhcpc in a namespace plugged in by QEMU):
     leases and fdb show it; the capture of its exchange read by tcpdump
     shows DISCOVER/OFFER/REQUEST/ACK, and the --port and --mac filters
     hold.                                                          (root)
  5. uids: a uid that is not allowed is refused by the daemon itself; a
     --control-group member is let in.                              (root)
  6. abuse: 100 clients at once, garbage, half lines, a 10 MB line and a
     client that never reads, while frames flow between two VMs: frames
     keep flowing (the rate of each phase is printed, not judged).
  7. protocol: malformed requests get an error line and the connection
     goes on; --json output is the daemon's answer.

Needs socket_vmnet and socket_vmnetctl built; tests 4-5 need root, tests
3-4 tcpdump, test 4 busybox and qemu-system-x86_64.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from svmlib import (BCAST, ETH_P_TEST, Closed, Suite, TestSkip, binary,  # noqa: E402
                    check, eth, fmt_mac, kill_pid, mac, netns_add,
                    netns_del, run, wait_until)

CTL = binary("SOCKET_VMNETCTL", "socket_vmnetctl")
GW = "192.168.105.1"
NET_ARGS = ["--vmnet-mode=isolated", "--vmnet-gateway=" + GW]
SUITE = Suite("control", 120, prefix="svm-ctl-",
              binaries=(binary("SOCKET_VMNET", "socket_vmnet"), CTL),
              finish=True,
              daemon_defaults=dict(base_args=NET_ARGS, sock="sock",
                                   pidfile="pid"))
test = SUITE.test


def ctl(d, *args, raw=False, ok=True, user=None):
    """socket_vmnetctl --json ARGS on daemon @d; the parsed answer (or
    (exit code, stdout, stderr) with @raw).  With @user, run as that uid
    (setpriv)."""
    argv = [CTL, "--control=" + d.sock + ".ctl"]
    if not raw:
        argv.append("--json")
    argv += list(args)
    if user is not None:
        argv = ["setpriv", "--reuid=%d" % user, "--regid=%d" % user,
                "--clear-groups"] + argv
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    if raw:
        return p.returncode, p.stdout, p.stderr
    check(p.stdout.strip(), "socket_vmnetctl %s printed nothing: %s" %
          (" ".join(args), p.stderr))
    a = json.loads(p.stdout.splitlines()[-1])
    check(a.get("ok") == ok, "socket_vmnetctl %s: %s" % (" ".join(args), a))
    check((p.returncode == 0) == ok, "exit code %d for %s" %
          (p.returncode, a))
    return a


def port_of(d, vm_mac):
    """The id of the port whose MACs include @vm_mac."""
    for p in ctl(d, "ports")["ports"]:
        if fmt_mac(vm_mac) in p["macs"]:
            return p
    return None


class Conn:
    """A raw client of the control socket."""

    def __init__(self, d):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(d.sock + ".ctl")
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        """The next answer line, parsed; None if the daemon closed."""
        while b"\n" not in self.buf:
            try:
                b = self.s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                return None
            if not b:
                return None
            self.buf += b
        ln, self.buf = self.buf.split(b"\n", 1)
        return json.loads(ln)

    def ask(self, req):
        self.send((json.dumps(req) + "\n").encode())
        return self.line()

    def close(self):
        self.s.close()


# --- 1. counters ---------------------------------------------------------

@test("ports: counters equal what was sent and received")
def t_counters(ctx):
    # --ipv6=no: no router advertisement of the gateway's in the counts
    d = ctx.daemon("--ipv6=no")
    a, b = ctx.stream(d, 1), ctx.stream(d, 2)
    sent_a = sent_b = 0
    b.send(eth(BCAST, b.mac, ETH_P_TEST, b"learn-b"))
    sent_b += 1
    check(a.wait(lambda dd, f: b"learn-b" in f) is not None, "no flood")
    for i in range(57):
        a.send(eth(b.mac, a.mac, ETH_P_TEST, b"x" * (60 + i)))
        sent_a += 1
    got = 0
    while got < 57 and b.recv(3.0) is not None:
        got += 1
    check(got == 57, "b got %d of 57 frames" % got)
    pa, pb = port_of(d, a.mac), port_of(d, b.mac)
    check(pa and pb, "ports without their MACs: %s" % ctl(d, "ports"))
    check(pa["rx_frames"] == sent_a and pb["rx_frames"] == sent_b,
          "rx %d/%d, sent %d/%d" % (pa["rx_frames"], pb["rx_frames"],
                                    sent_a, sent_b))
    want_bytes = sum(14 + 60 + i for i in range(57))
    check(pa["rx_bytes"] == want_bytes, "rx_bytes %d != %d" %
          (pa["rx_bytes"], want_bytes))
    check(pb["tx_frames"] == len(b.history) == 57 and
          pa["tx_frames"] == len(a.history) == 1,
          "tx %d/%d, received %d/%d" % (pa["tx_frames"], pb["tx_frames"],
                                        len(a.history), len(b.history)))
    check(pb["tx_bytes"] == sum(len(f) for f in b.history), "tx_bytes")
    check(all(v == 0 for v in pa["drops"].values()), pa["drops"])
    check(pa["kind"] == "stream" and pa["pid"] == os.getpid(), pa)
    st = ctl(d, "status")
    check(st["ports"] == 2 and st["totals"]["rx_frames"] == 58 and
          st["totals"]["unicast"] == 57, st["totals"])
    fdb = {e["mac"]: e["port"] for e in ctl(d, "fdb")["fdb"]}
    check(fdb.get(fmt_mac(a.mac)) == pa["id"] and
          fdb.get(fmt_mac(b.mac)) == pb["id"], fdb)
    m = ctl(d, "metrics")["text"]
    check(re.search(r'socket_vmnet_port_rx_frames_total\{port="%d",'
                    r'kind="stream"\} %d' % (pa["id"], sent_a), m), m[:400])


# --- 2. disconnect -------------------------------------------------------

@test("disconnect closes exactly that port")
def t_disconnect(ctx):
    d = ctx.daemon()
    vms = [ctx.stream(d, n) for n in (1, 2, 3)]
    for vm in vms:
        vm.marker()
    ids = wait_until(lambda: [port_of(d, vm.mac) for vm in vms]
                     if all(port_of(d, vm.mac) for vm in vms) else None, 5)
    check(ids, "ports not learned")
    victim = ids[1]["id"]
    a = ctl(d, "disconnect", str(victim))
    check(a["port"] == victim, a)
    check(vms[1].wait_eof(), "the disconnected VM's connection stayed open")
    left = {p["id"] for p in ctl(d, "ports")["ports"]}
    check(left == {ids[0]["id"], ids[2]["id"]}, "ports left: %s" % left)
    vms[0].sync(vms[2])
    rc, out, err = ctl(d, "disconnect", str(victim), raw=True)
    check(rc == 1 and "no port" in err, (rc, err))


# --- 3. capture ----------------------------------------------------------

def need_tcpdump():
    if not shutil.which("tcpdump"):
        raise TestSkip("needs tcpdump")


def tcpdump(path, *args, every_line=False):
    """tcpdump -r @path: one line per frame (@every_line: all it
    printed)."""
    r = subprocess.run(["tcpdump", "-r", path, "-n", "-e"] + list(args),
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "tcpdump -r %s failed: %s" % (path, r.stderr))
    return [ln for ln in r.stdout.splitlines()
            if every_line or re.match(r"\d\d:\d\d:\d\d\.", ln)]


@test("capture: tcpdump reads what passed, filters and the size limit hold")
def t_capture(ctx):
    need_tcpdump()
    d = ctx.daemon()
    a, b, c = ctx.stream(d, 1), ctx.stream(d, 2), ctx.stream(d, 3)
    for vm in (a, b, c):
        vm.marker()
    pc = wait_until(lambda: port_of(d, c.mac), 3)
    f1 = ctx.path("all.pcap")
    ctl(d, "capture", "start", f1)
    rc, out, err = ctl(d, "capture", "start", ctx.path("2nd.pcap"),
                       raw=True)
    check(rc == 1 and "already" in err, "a second capture: %s" % err)
    for i in range(20):
        a.send(eth(b.mac, a.mac, ETH_P_TEST, b"ab%02d" % i))
    a.sync(b)
    st = ctl(d, "capture", "stop")["capture"]
    check(not st["running"] and st["frames"] == 21 and st["dropped"] == 0,
          st)
    lines = tcpdump(f1)
    check(len(lines) == 21, "tcpdump read %d frames:\n%s" %
          (len(lines), "\n".join(lines[:5])))
    check(all(fmt_mac(a.mac) in ln for ln in lines), lines[:3])
    # --port: frames from or to c only (a's broadcast marker reaches it)
    f2 = ctx.path("port.pcap")
    ctl(d, "capture", "start", f2, "--port=%d" % pc["id"])
    for i in range(5):
        a.send(eth(b.mac, a.mac, ETH_P_TEST, b"ab"))
    c.send(eth(b.mac, c.mac, ETH_P_TEST, b"cb"))
    a.sync(b, c)
    ctl(d, "capture", "stop")
    lines = tcpdump(f2)
    check(len(lines) == 2 and
          any("%s > " % fmt_mac(c.mac) in ln for ln in lines) and
          any("> ff:ff:ff:ff:ff:ff" in ln for ln in lines),
          "--port kept:\n%s" % "\n".join(lines))
    # --mac and --max-bytes
    f3 = ctx.path("mac.pcap")
    ctl(d, "capture", "start", f3, "--mac=" + fmt_mac(b.mac),
        "--max-bytes=%d" % (24 + 3 * (16 + 100)))
    for i in range(10):
        a.send(eth(b.mac, a.mac, ETH_P_TEST, b"m" * 86))
        c.send(eth(a.mac, c.mac, ETH_P_TEST, b"n" * 86))
    a.sync(b)
    st = ctl(d, "capture", "stop")["capture"]
    lines = tcpdump(f3)
    check(len(lines) == 3 and st["full"] and
          all(fmt_mac(b.mac) in ln for ln in lines),
          "--mac with a 3-frame limit kept %d: %s" % (len(lines), st))
    check(os.path.getsize(f3) == 24 + 3 * 116, "size %d" %
          os.path.getsize(f3))


@test("capture: a reader that never reads loses capture frames, not VM frames")
def t_capture_slow(ctx):
    d = ctx.daemon()
    a, b = ctx.stream(d, 1), ctx.stream(d, 2)
    a.sync(b)
    b.sync(a)
    fifo = ctx.path("fifo")
    os.mkfifo(fifo)
    rd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)   # never read
    ctx.defer(os.close, rd)
    ctl(d, "capture", "start", fifo)
    n, frame = 8000, eth(b.mac, a.mac, ETH_P_TEST, b"z" * 1400)
    got = [0]

    def reader():
        while got[0] < n and b.recv(5.0) is not None:
            got[0] += 1
    t = threading.Thread(target=reader)
    t.start()
    for _ in range(n):
        a.send(frame)
    t.join(60)
    st = ctl(d, "capture")["capture"]
    check(got[0] == n, "the VM got %d of %d frames" % (got[0], n))
    check(st["running"] and st["dropped"] > 0 and
          st["frames"] + st["dropped"] >= n,
          "capture counters: %s" % st)
    print("    capture to a stuck reader: %d frames kept, %d dropped" %
          (st["frames"], st["dropped"]))
    st = ctl(d, "capture", "stop")["capture"]
    check(not st["running"], st)


# --- 4. a real DHCP client -----------------------------------------------

def need_root_plug():
    if os.geteuid() != 0:
        raise TestSkip("needs root")
    for tool in ("ip", "busybox", "qemu-system-x86_64", "tcpdump"):
        if not shutil.which(tool):
            raise TestSkip("needs " + tool)
    if not os.path.exists("/dev/net/tun"):
        raise TestSkip("needs /dev/net/tun")


class Plug:
    """A VM as a namespace: a TAP joined to the daemon by QEMU -M none."""

    def __init__(self, ctx, d, m):
        self.ctx, self.m = ctx, m
        self.ns = "svmctl%d" % os.getpid()
        ctx.defer(netns_del, self.ns)
        netns_add(self.ns)
        run(["ip", "-n", self.ns, "tuntap", "add", "dev", "tapc",
             "mode", "tap"])
        run(["ip", "-n", self.ns, "link", "set", "tapc", "address",
             fmt_mac(m)])
        run(["ip", "-n", self.ns, "link", "set", "tapc", "up"])
        pf = ctx.path("plug.pid")
        before = len(d.ports("connected"))
        run(["ip", "netns", "exec", self.ns, "qemu-system-x86_64", "-M",
             "none", "-nodefaults", "-display", "none",
             "-netdev", "tap,id=t,ifname=tapc,script=no,downscript=no",
             "-netdev", "hubport,id=h1,hubid=0,netdev=t",
             "-netdev", "stream,id=s,server=off,addr.type=unix,"
             "addr.path=%s" % d.sock,
             "-netdev", "hubport,id=h2,hubid=0,netdev=s",
             "-daemonize", "-pidfile", pf])
        ctx.defer(self._stop, pf)
        self.port = d.wait_port(before, "connected")
        check(self.port is not None, "the QEMU plug did not connect")
        hook = ctx.path("udhcpc.sh")
        with open(hook, "w") as f:
            f.write('#!/bin/sh\n[ "$1" = bound ] && echo "$ip" > "%s"\n'
                    'exit 0\n' % ctx.path("lease"))
        os.chmod(hook, 0o755)
        self.hook = hook

    @staticmethod
    def _stop(pf):
        try:
            with open(pf) as f:
                kill_pid(int(f.read().split()[0]))
        except (OSError, ValueError, IndexError):
            pass

    def udhcpc(self, hostname):
        """One busybox udhcpc exchange; the address it was given."""
        lease = self.ctx.path("lease")
        if os.path.exists(lease):
            os.unlink(lease)
        r = run(["ip", "netns", "exec", self.ns, "timeout", "20", "busybox",
                 "udhcpc", "-i", "tapc", "-f", "-q", "-n", "-t", "5", "-T",
                 "1", "-s", self.hook, "-x", "hostname:" + hostname],
                check=False)
        check(r.returncode == 0 and os.path.exists(lease),
              "udhcpc got no lease: %s" % r.stdout[-500:])
        with open(lease) as f:
            return f.read().strip()


DHCP_RE = re.compile(r"DHCP-Message \(53\), length 1: (\w+)")


def dhcp_types(path):
    """The DHCP message types in a capture, in order (tcpdump -v)."""
    out = "\n".join(tcpdump(path, "-v", every_line=True))
    return DHCP_RE.findall(out)


@test("a real DHCP client: leases, fdb, and its capture read by tcpdump")
def t_udhcpc(ctx):
    need_root_plug()
    d = ctx.daemon()
    other = ctx.stream(d, 9)
    other.marker()
    m = mac(0x31)
    plug = Plug(ctx, d, m)
    f1 = ctx.path("dhcp.pcap")
    ctl(d, "capture", "start", f1, "--port=%d" % plug.port)
    addr = plug.udhcpc("ctl-test-vm")
    ctl(d, "capture", "stop")
    types = dhcp_types(f1)
    check(types[:4] == ["Discover", "Offer", "Request", "ACK"],
          "DHCP messages in the capture: %s" % types)
    leases = [le for le in ctl(d, "leases")["leases"]
              if le["mac"] == fmt_mac(m)]
    check(len(leases) == 1, "leases: %s" % leases)
    le = leases[0]
    check(le["address"] == addr and le["state"] == "leased" and
          le["hostname"] == "ctl-test-vm" and not le["reserved"] and
          0 < le["expires_in_s"] <= 600, "lease: %s (udhcpc got %s)" %
          (le, addr))
    fdb = {e["mac"]: e["port"] for e in ctl(d, "fdb")["fdb"]}
    check(fdb.get(fmt_mac(m)) == plug.port, "fdb: %s" % fdb)
    p = port_of(d, m)
    check(p and addr in p["ipv4"], "ports: %s" % p)
    # --port of another port: the flooded DISCOVER, never OFFER or ACK
    po = port_of(d, other.mac)
    f2 = ctx.path("other-port.pcap")
    ctl(d, "capture", "start", f2, "--port=%d" % po["id"])
    plug.udhcpc("ctl-test-vm")
    ctl(d, "capture", "stop")
    types = dhcp_types(f2)
    check("Discover" in types and "Offer" not in types and
          "ACK" not in types, "--port=%d kept %s" % (po["id"], types))
    # --mac of another VM: none of the exchange
    f3 = ctx.path("other-mac.pcap")
    ctl(d, "capture", "start", f3, "--mac=" + fmt_mac(other.mac))
    plug.udhcpc("ctl-test-vm")
    other.marker()
    wait_until(lambda: ctl(d, "capture")["capture"]["frames"] >= 1, 3)
    ctl(d, "capture", "stop")
    lines = tcpdump(f3)
    check(lines and not dhcp_types(f3) and
          all(fmt_mac(other.mac) in ln for ln in lines),
          "--mac kept:\n%s" % "\n".join(lines))


# --- 5. who may use it ------------------------------------------------------

@test("a uid that is not allowed is refused; a group member is let in")
def t_uids(ctx):
    if os.geteuid() != 0:
        raise TestSkip("needs root")
    if not shutil.which("setpriv"):
        raise TestSkip("needs setpriv")
    d = ctx.daemon("--control-group=nogroup")
    path = d.sock + ".ctl"
    st = os.stat(path)
    check(st.st_mode & 0o777 == 0o660 and st.st_gid == 65534,
          "mode %o gid %d" % (st.st_mode & 0o777, st.st_gid))
    # nobody's primary group is nogroup: let in
    a = ctl(d, "status", user=65534)
    check(a["ports"] == 0, a)
    # the file's mode is the first gate; open it to reach the daemon's
    os.chmod(path, 0o666)
    rc, out, err = ctl(d, "status", raw=True, user=4242)
    check(rc == 1 and "permission denied" in err, (rc, out, err))
    check(d.log_has("control: refused uid 4242"), d.tail())
    d2 = ctx.daemon(name="d2", sock="d2.sock", pidfile="d2.pid")
    check(os.stat(d2.sock + ".ctl").st_mode & 0o777 == 0o600, "not 0600")
    os.chmod(d2.sock + ".ctl", 0o666)
    rc, out, err = ctl(d2, "status", raw=True, user=65534)
    check(rc == 1 and "permission denied" in err, (rc, out, err))


@test("--user: the worker serves the control socket; --pcap from the start")
def t_user_pcap(ctx):
    if os.geteuid() != 0:
        raise TestSkip("needs root")
    pcap = ctx.path("start.pcap")
    # --ipv6=no: the capture holds the VM's frame alone, no router
    # advertisement of the gateway's
    d = ctx.daemon("--user=nobody", "--pcap=" + pcap, "--ipv6=no")
    path = d.sock + ".ctl"
    st = os.stat(path)
    check(st.st_uid == 65534 and st.st_mode & 0o777 == 0o600,
          "owner %d mode %o" % (st.st_uid, st.st_mode & 0o777))
    a = ctl(d, "status")
    check(a["pid"] != d.pid and a["capture"]["running"],
          "answered by pid %d (monitor %d): %s" % (a["pid"], d.pid, a))
    vm = ctx.stream(d, 4)
    vm.marker()
    check(wait_until(lambda: ctl(d, "status")["capture"]["frames"] >= 1, 3),
          "the marker was not captured")
    d.stop()
    check(not os.path.exists(path), "the monitor left the control socket")
    if shutil.which("tcpdump"):
        lines = tcpdump(pcap)
        check(len(lines) == 1 and fmt_mac(vm.mac) in lines[0], lines)


# --- 6. abuse ------------------------------------------------------------

class Flow:
    """Frames from VM a to VM b as fast as they go, counted at b."""

    def __init__(self, a, b):
        self.a, self.b = a, b
        self.got = 0
        self.stop = threading.Event()
        self.frame = eth(b.mac, a.mac, ETH_P_TEST, b"f" * 500)
        self.threads = [threading.Thread(target=self._send),
                        threading.Thread(target=self._recv)]
        for t in self.threads:
            t.start()

    def _send(self):
        self.a.sock.settimeout(1.0)
        deadline = time.monotonic() + 100
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                self.a.sock.sendall(len(self.frame).to_bytes(4, "big") +
                                    self.frame)
            except socket.timeout:
                pass

    def _recv(self):
        s = self.b.sock
        s.settimeout(0.5)
        while not self.stop.is_set():
            try:
                n = len(s.recv(1 << 20))
            except socket.timeout:
                continue
            if not n:
                return
            self.got += n / (4 + len(self.frame))

    def phase(self, name, fn, repeat=True):
        """Run @fn (again and again for a second with @repeat) while frames
        flow; print the rate and check that frames still flow."""
        n0, t0 = self.got, time.monotonic()
        fn()
        while repeat and time.monotonic() - t0 < 1.0:
            fn()
        # frames must keep arriving after the abuse too
        check(wait_until(lambda: self.got > n0 + 100, 10),
              "%s: frames stopped (%d frames)" % (name, self.got - n0))
        dt = time.monotonic() - t0
        print("    %-28s %8.0f frames/s over %.2fs" %
              (name, (self.got - n0) / dt, dt), flush=True)

    def end(self):
        self.stop.set()
        for t in self.threads:
            t.join(5)


@test("abuse of the control socket does not stop frames")
def t_abuse(ctx):
    d = ctx.daemon()
    a, b = ctx.stream(d, 1), ctx.stream(d, 2)
    b.sync(a)
    a.sync(b)
    flow = Flow(a, b)
    ctx.defer(flow.end)
    conns = []

    def many():
        cs = [Conn(d) for _ in range(100)]
        conns.extend(cs)
        for c in cs:
            c.send(b'{"v":1,"cmd":"ports"}\n')
        answers = [c.line() for c in cs]
        check(all(x and x["ok"] for x in answers), "100 clients: %s" %
              [x for x in answers if not (x and x["ok"])][:2])
        for c in cs:
            c.close()

    def garbage():
        c = Conn(d)
        lines = [os.urandom(60).replace(b"\n", b"x") + b"\n"
                 for _ in range(500)]
        c.send(b"".join(lines))
        answers = [c.line() for _ in lines]
        check(all(x and not x["ok"] for x in answers), "garbage answers")
        check(c.ask({"cmd": "status"})["ok"], "status after garbage")
        c.close()

    def half_lines():
        for _ in range(20):
            c = Conn(d)
            c.send(b'{"v":1,"cmd":"sta')
            c.close()
        for _ in range(20):
            c = Conn(d)
            c.send(b'{"v":1,"cmd":"sta')
            conns.append(c)     # left open

    def huge_line():
        c = Conn(d)
        err = []

        def push():
            try:
                c.send(b"x" * (10 << 20))
            except OSError as e:
                err.append(e)
        t = threading.Thread(target=push)
        t.start()
        ans = c.line()
        t.join(30)
        check(ans is None or (not ans["ok"] and "too long" in ans["error"]),
              "answer to a 10 MB line: %s" % ans)
        check(c.line() is None, "the connection stayed open")
        c.close()

    def never_reads():
        c = Conn(d)
        c.s.setblocking(False)
        sent = 0
        req = b'{"v":1,"cmd":"ports"}\n' * 100
        try:
            for _ in range(10000):
                sent += c.s.send(req)
        except BlockingIOError:
            pass
        conns.append(c)
        check(sent > 0, "nothing sent")

    flow.phase("no abuse", lambda: None)
    flow.phase("100 clients at once", many)
    flow.phase("500 garbage lines", garbage)
    flow.phase("40 half lines", half_lines, repeat=False)
    flow.phase("a 10 MB line", huge_line, repeat=False)
    flow.phase("a client that never reads", never_reads, repeat=False)
    flow.end()
    check(d.alive(), "the daemon died")
    st = ctl(d, "status")
    check(st["totals"]["rx_frames"] > 0, st)
    for c in conns:
        c.close()


# --- 7. protocol ---------------------------------------------------------

@test("protocol: errors keep the connection; ids are echoed; --json")
def t_protocol(ctx):
    d = ctx.daemon()
    c = ctx.own(Conn(d))
    for bad, want in ((b"{]\n", "not a JSON"), (b"[1]\n", "object"),
                      (b'{"v":9,"cmd":"status"}\n', "version"),
                      (b'{"cmd":"nope"}\n', "unknown command"),
                      (b'{"cmd":{"a":1}}\n', "flat"),
                      (b'{"cmd":"disconnect"}\n', "needs"),
                      (b'{"cmd":"capture","action":"start"}\n',
                       "descriptor")):
        c.send(bad)
        a = c.line()
        check(a and not a["ok"] and want in a["error"], (bad, a))
    a = c.ask({"v": 1, "cmd": "status", "id": 77})
    check(a["ok"] and a["id"] == 77 and a["v"] == 1 and
          a["mode"] == "isolated" and a["network"]["gateway"] == GW, a)
    a = c.ask({"cmd": "forward", "action": "list"})
    check(not a["ok"] and "not available" in a["error"], a)
    a = c.ask({"cmd": "reload"})
    check(a["ok"], a)
    rc, out, err = ctl(d, "status", raw=True)
    check(rc == 0 and re.search(r"mode\s+isolated", out), out)
    rc, out, err = ctl(d, "bogus", raw=True)
    check(rc == 2, (rc, err))
    rc, out, err = ctl(d, "forward", "list", raw=True)
    check(rc == 1 and "not available" in err, (rc, err))


if __name__ == "__main__":
    sys.exit(SUITE.main(sys.argv[1:]))
