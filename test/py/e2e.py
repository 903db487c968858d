#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of socket_vmnet with real guests.

Each guest is an unmodified QEMU 7.2 running Debian's cloud kernel and a
busybox initramfs (test/guest/build-guest.sh builds it into a cache
directory). The guest gets a DHCP lease from the daemon, then takes commands
on its serial console (ping, tcp) and answers with SVM-RESULT lines; the
protocol is described in build-guest.sh.

Scenarios (each line of output is one test, "ok" or "FAIL", with its time):

  attach   isolated daemon with --mtu=1400, one guest per way of attaching:
           stream socket, socket_vmnet_client (fd 3), -netdev dgram to
           --dgram-socket, a stream and a datagram socketpair end given
           with --fd, and a QEMU listening socket the daemon reaches with
           --connect. Each: lease in the range with the right gateway and
           MTU, pings the gateway and a guest attached another way.
  multi-vm the same six guests: distinct MACs, every guest pings every other.
  ipv6     two of them (IPv6 on in their kernels): SLAAC addresses in the
           gateway's prefix (--vmnet-nat66-prefix), ping6 each other and
           the gateway's PREFIX::1.
  faults   the same guests: the daemon is killed (SIGKILL, then SIGTERM) and
           restarted; the --connect guest must recover, the others are
           measured and compared with the documented behaviour
           (RESTART_EXPECTED below, printed at the end); a guest attached
           after the restart gets an address no running guest holds
           (--lease-file) and reaches the recovered guests.
  host     daemon in host mode inside a network namespace ("the host"):
           the guest reaches a TCP server there, the host pings the guest.
  shared   daemon in shared mode in namespace H, veth to namespace I (the
           "internet", no route back to the VM subnet): the guest reaches a
           TCP server in I through NAT; a --forward (DNAT) makes an HTTP
           server in the guest reachable from H's 127.0.0.1; SIGTERM removes
           the nft table.
  user     the user-mode NAT (libslirp): a daemon with no mode option run
           as nobody in namespace H (so it cannot make a TAP), routed to
           namespace I (the "internet"), with a resolv.conf of its own (a
           mount namespace) naming a DNS server the suite runs in I. Two
           guests get leases (DNS: the gateway), fetch a page from an HTTP
           server on H's 127.0.0.1 at the gateway address, resolve a name
           at the gateway, reach a TCP server in I at once, ping I; a
           --forward makes an HTTP server in a guest reachable from H's
           127.0.0.1.
  jumbo    host mode with --mtu=9000: DHCP option 26 sets the guests' MTU,
           8972-byte pings pass between guests and to the gateway, and the
           pinging guest's IP counters show no fragment created (requests
           left whole) and none reassembled (replies came back whole).

Everything runs in network namespaces made here, UNIX sockets and
socketpairs: no interface of the machine is touched. All QEMUs, daemons,
servers and namespaces are removed in finally blocks and at exit, even on
failure or SIGTERM; children also get SIGKILL if this process dies.

Needs root, qemu-system-x86_64, ip, nft (shared mode) and a built daemon.
When root or QEMU is missing it prints a skip and exits 77, unless CI=true
or REQUIRE_QEMU=1, where that is a failure. Last line:
"e2e: N passed, N failed".

Environment: SOCKET_VMNET, SOCKET_VMNET_CLIENT, QEMU (paths), E2E_ONLY
(comma-separated scenario names), E2E_VERBOSE=1 (print every console line),
E2E_ACCEL (default tcg), E2E_KEEP=1 (keep the logs and sockets directories).
"""

import atexit
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

from svmlib import (CLIENT, REPO, SVM, Daemon, TestFailure, ip4, netns_add,
                    netns_del, run, summary, wait_until)

QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
BUILD_GUEST = os.path.join(REPO, "test", "guest", "build-guest.sh")
STRICT = os.environ.get("CI") == "true" or os.environ.get("REQUIRE_QEMU") == "1"
VERBOSE = os.environ.get("E2E_VERBOSE") == "1"
KEEP = os.environ.get("E2E_KEEP") == "1"
ONLY = [s for s in os.environ.get("E2E_ONLY", "").split(",") if s]

# TCG by default: a /dev/kvm node may exist where KVM does not work (nested
# virtualisation); E2E_ACCEL=kvm uses it.
ACCEL = os.environ.get("E2E_ACCEL", "tcg")
BOOT_TIMEOUT = 150  # seconds from QEMU start to the SVM-READY line
T0 = time.monotonic()

# How each way of attaching behaves when the daemon is restarted under a
# running QEMU 7.2 guest (checked by the faults scenario, printed at the end):
RESTART_EXPECTED = {
    "stream": (False, "QEMU 7.2 -netdev stream client never reconnects: "
               "the link stays up and frames are dropped until QEMU restarts"),
    "client": (False, "the fd 3 socket_vmnet_client handed over is dead; "
               "QEMU keeps the link up and drops frames until it restarts"),
    "dgram": (True, "QEMU keeps sending to the --dgram-socket path; the new "
              "daemon binds it again and learns the guest from its next frame"),
    "fd-stream": (False, "the daemon's socketpair end is gone with it; a "
                  "restarted daemon cannot get it back"),
    "fd-dgram": (False, "as fd-stream: the socketpair is gone for good"),
    "connect": (True, "QEMU -netdev stream,server=on listens again; the "
                "daemon's --connect reaches it within about a second"),
}


# --- processes, namespaces, cleanup ------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Only the main thread spawns, so "the parent thread exits" means this
    # process ends: no QEMU outlives the suite even on SIGKILL.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Reaper:
    """Everything the suite starts or creates, undone at exit."""

    def __init__(self):
        self.procs = []
        self.netns = []
        self.dirs = []
        self.lock = threading.Lock()

    def spawn(self, argv, **kw):
        assert threading.current_thread() is threading.main_thread()
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(argv, preexec_fn=_die_with_parent, **kw)
        with self.lock:
            self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=5):
        if p.poll() is None:
            try:
                p.send_signal(sig)
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
            except ProcessLookupError:
                pass
        return p.returncode

    def add_netns(self, tag):
        name = "svm-e2e-%s-%d" % (tag, os.getpid())
        self.netns.append(name)
        return netns_add(name)

    def del_netns(self, name):
        netns_del(name)
        if name in self.netns:
            self.netns.remove(name)

    def tmpdir(self, tag):
        d = tempfile.mkdtemp(prefix="svm-e2e-%s-%d." % (tag, os.getpid()))
        self.dirs.append(d)
        return d

    @staticmethod
    def sweep():
        """Remove namespaces and directories of earlier runs that were killed
        with SIGKILL (their names end in the pid of a process now gone)."""
        def gone(pid):
            try:
                os.kill(int(pid), 0)
                return False
            except ProcessLookupError:
                return True
            except PermissionError:
                return False

        r = subprocess.run(["ip", "netns", "list"], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        for line in r.stdout.splitlines():
            m = re.match(r"(svm-e2e-[a-z-]+-(\d+))\b", line)
            if m and gone(m.group(2)):
                subprocess.run(["ip", "netns", "del", m.group(1)], stderr=subprocess.DEVNULL)
        tmp = tempfile.gettempdir()
        for n in os.listdir(tmp):
            m = re.match(r"svm-e2e-[a-z-]+-(\d+)\.", n)
            if m and gone(m.group(1)):
                shutil.rmtree(os.path.join(tmp, n), ignore_errors=True)

    def cleanup(self):
        with self.lock:
            procs = list(self.procs)
        for p in reversed(procs):
            if p.poll() is None:
                try:
                    p.terminate()
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 5
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        for ns in list(self.netns):
            self.del_netns(ns)
        for d in self.dirs:
            if KEEP:
                print("e2e: kept %s (E2E_KEEP=1)" % d)
            else:
                shutil.rmtree(d, ignore_errors=True)
        self.dirs = []


REAPER = Reaper()
atexit.register(REAPER.cleanup)


def _on_signal(sig, frame):
    raise SystemExit(128 + sig)


for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


def parallel(fns):
    """Run the callables in threads (they must not spawn); return results."""
    res = [None] * len(fns)

    def one(i, f):
        try:
            res[i] = f()
        except Exception as e:  # reported by the caller
            res[i] = e

    ts = [threading.Thread(target=one, args=(i, f), daemon=True) for i, f in enumerate(fns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return res


# --- a guest ---------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1bc")
SVM_SPLIT = re.compile(r"(?<=.)(?=SVM-[A-Z]+( |$))")


class Guest:
    """One QEMU with the test guest; its console is read by a thread."""

    def __init__(self, kernel, initrd, name, mac, netdev, wrapper=(), pass_fds=(),
                 append="", ipv6=False):
        self.name, self.mac = name, mac
        self.lines = []
        self.cond = threading.Condition()
        self.nextid = 0
        self.lease = None
        self.wlock = threading.Lock()
        accel = ACCEL
        argv = list(wrapper) + [
            QEMU, "-M", "q35", "-accel", accel, "-m", "256", "-smp", "1",
            "-nographic", "-no-reboot",
            "-kernel", kernel, "-initrd", initrd,
            "-append", "console=ttyS0 quiet panic=-1 %ssvm.name=%s svm.ctl=1 %s"
            % ("" if ipv6 else "ipv6.disable=1 ", name, append),
            "-netdev", netdev,
            "-device", "virtio-net-pci,netdev=n0,mac=%s,romfile=" % mac,
        ]
        self.argv = argv
        self.t_start = time.monotonic()
        self.proc = REAPER.spawn(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, pass_fds=pass_fds)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            text = ANSI.sub("", raw.decode(errors="replace")).replace("\r", "").rstrip("\n")
            # A result line may follow firmware or kernel output that had no
            # newline ("Booting from ROM..SVM-BOOT ..."): start it on its own.
            for line in SVM_SPLIT.sub("\n", text).split("\n"):
                if VERBOSE:
                    print("    [%s] %s" % (self.name, line), flush=True)
                with self.cond:
                    self.lines.append(line)
                    self.cond.notify_all()
        with self.cond:
            self.lines.append("(QEMU exited: %s)" % self.proc.wait())
            self.cond.notify_all()

    def alive(self):
        return self.proc.poll() is None

    def wait_for(self, pattern, timeout, start=0):
        """First console line from index start matching pattern: (index, match)."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    m = rx.search(self.lines[i])
                    if m:
                        return i, m
                    i += 1
                left = end - time.monotonic()
                if left <= 0 or (not self.reader.is_alive() and i >= len(self.lines)):
                    return None, None
                self.cond.wait(min(left, 0.5))

    def wait_ready(self, timeout=BOOT_TIMEOUT):
        """Wait for the lease and SVM-READY; returns the lease dict."""
        if self.lease is not None:
            return self.lease
        left = timeout - (time.monotonic() - self.t_start)
        i, m = self.wait_for(r"^SVM-(LEASE|NOLEASE)", max(left, 1))
        if m is None:
            raise TestFailure("%s: no DHCP result within %ds" % (self.name, timeout))
        if m.group(1) == "NOLEASE":
            raise TestFailure("%s: no DHCP lease (SVM-NOLEASE)" % self.name)
        self.lease = dict(kv.split("=", 1) for kv in self.lines[i].split()[1:] if "=" in kv)
        self.lease["boot_s"] = time.monotonic() - self.t_start
        _, m = self.wait_for(r"^SVM-READY", 60, i)
        if m is None:
            raise TestFailure("%s: leased but never ready" % self.name)
        return self.lease

    @property
    def ip(self):
        return self.lease["ip"]

    def cmd(self, text, timeout=60):
        """Run one console command; returns (ok, detail)."""
        with self.cond:
            self.nextid += 1
            cid = "%s.%d" % (self.name, self.nextid)
            start = len(self.lines)
        with self.wlock:
            try:
                self.proc.stdin.write(("%s %s\n" % (cid, text)).encode())
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                return False, "QEMU is gone"
        _, m = self.wait_for(r"^SVM-RESULT %s (ok|fail) ?(.*)$" % re.escape(cid), timeout, start)
        if m is None:
            return False, "no answer to '%s' within %ds" % (text, timeout)
        return m.group(1) == "ok", m.group(2)

    def ping(self, ip, tries=3, size=None, timeout=60):
        return self.cmd("ping %s %d%s" % (ip, tries, " %d" % size if size else ""), timeout)

    def boot_mac(self):
        _, m = self.wait_for(r"^SVM-BOOT .*mac=(\S+)", 1)
        return m.group(1) if m else None

    def console(self, n=60):
        with self.cond:
            lines = self.lines[-n:]
        return "\n".join(lines)

    def stop(self):
        if self.alive():
            with self.wlock:
                try:
                    self.proc.stdin.write(b"x off\n")
                    self.proc.stdin.flush()
                except (BrokenPipeError, ValueError):
                    pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        REAPER.stop(self.proc)


# --- results -------------------------------------------------------------------

class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.notes = []

    def record(self, name, ok, detail, t_start, guests=(), daemons=()):
        dt = time.monotonic() - t_start
        print("%-4s %s: %s  [%.1fs]" % ("ok" if ok else "FAIL", name, detail, dt), flush=True)
        if ok:
            self.passed += 1
            return
        self.failed += 1
        for g in guests:
            print("  --- console of guest %s (last lines)" % g.name)
            print("\n".join("    | " + l for l in g.console().splitlines()))
        for d in daemons:
            print("  --- log of daemon %s (last lines)" % d.name)
            print(d.tail(40))
        sys.stdout.flush()


R = Results()


class Check:
    """with Check(name, guests, daemons) as c: ... c.ok(detail) / c.fail(detail).

    An exception inside counts as a failure with its message."""

    def __init__(self, name, guests=(), daemons=()):
        self.name, self.guests, self.daemons = name, list(guests), list(daemons)
        self.done = False

    def __enter__(self):
        self.t0 = time.monotonic()
        return self

    def ok(self, detail=""):
        self._rec(True, detail)

    def fail(self, detail):
        self._rec(False, detail)

    def expect(self, cond, detail_ok, detail_fail):
        self._rec(bool(cond), detail_ok if cond else detail_fail)

    def _rec(self, ok, detail):
        if not self.done:
            self.done = True
            R.record(self.name, ok, detail, self.t0, self.guests, self.daemons)

    def __exit__(self, et, ev, tb):
        if et is not None and issubclass(et, SystemExit):
            self._rec(False, "interrupted (exit %s)" % ev)
            return False
        if et is not None:
            msg = "%s: %s" % (et.__name__, ev)
            if not isinstance(ev, TestFailure):
                msg += "\n" + "".join(traceback.format_exception(et, ev, tb))
            self._rec(False, msg)
            return True
        if not self.done:
            self._rec(False, "check recorded no result")
        return False


# --- checks shared by the scenarios ---------------------------------------------

def check_lease(g, gw, first, last, mtu, mask="24"):
    """Problems with g's lease (empty list when fine)."""
    lease = g.lease
    bad = []
    if not (ip4(first) <= ip4(lease.get("ip", "0.0.0.0")) <= ip4(last)):
        bad.append("ip %s not in %s..%s" % (lease.get("ip"), first, last))
    if lease.get("router") != gw:
        bad.append("router %s, want %s" % (lease.get("router"), gw))
    if lease.get("mask") != mask:
        bad.append("mask /%s, want /%s" % (lease.get("mask"), mask))
    if lease.get("mtu") != str(mtu):
        bad.append("DHCP MTU %s, want %s" % (lease.get("mtu"), mtu))
    if lease.get("ifmtu") != str(mtu):
        bad.append("interface MTU %s, want %s" % (lease.get("ifmtu"), mtu))
    return bad


def lease_text(g):
    return "lease %s via %s mtu %s (boot %.1fs)" % (
        g.lease["ip"], g.lease["router"], g.lease["mtu"], g.lease["boot_s"])


def ns_run(ns, argv, **kw):
    return run(["ip", "netns", "exec", ns] + argv, **kw)


SERVER_PY = r'''
import socket, sys, time
addr, port = sys.argv[1], int(sys.argv[2])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((addr, port))
s.listen(16)
s.settimeout(1)
print("LISTENING", flush=True)
end = time.monotonic() + 900  # never outlives a run
while time.monotonic() < end:
    try:
        c, a = s.accept()
    except socket.timeout:
        continue
    c.settimeout(10)
    data = b""
    try:
        while b"\n" not in data and len(data) < 512:
            b = c.recv(512)
            if not b:
                break
            data += b
        words = data.decode(errors="replace").split()
        who = words[1] if len(words) > 1 else "?"
        print("CONN from=%s data=%s" % (a[0], " ".join(words)), flush=True)
        c.sendall(("pong %s from %s\n" % (who, a[0])).encode())
    except OSError as e:
        print("ERROR %s" % e, flush=True)
    finally:
        c.close()
'''


def helper(tmp, ns, tag, script, args, ready="LISTENING"):
    """A helper process (DNS_PY, http.server...) in namespace ns; returns a
    function that reads its log. Waits until its log has @ready."""
    path = os.path.join(tmp, "%s.py" % tag)
    with open(path, "w") as f:
        f.write(script)
    out = os.path.join(tmp, "%s.log" % tag)
    with open(out, "w") as log:
        proc = REAPER.spawn(["ip", "netns", "exec", ns, sys.executable, "-u", path] + args,
                            stdout=log, stderr=subprocess.STDOUT)

    def text():
        with open(out, errors="replace") as f:
            return f.read()
    if not wait_until(lambda: ready in text() or proc.poll() is not None, 10) \
            or ready not in text():
        raise TestFailure("%s in %s did not start: %s" % (tag, ns, text()))
    return text


class Server:
    """The TCP server in a namespace: answers "hello NAME" with
    "pong NAME from PEER-IP", so the guest learns what address it came from."""

    def __init__(self, tmp, ns, addr, port):
        self.text = helper(tmp, ns, "server-%s" % ns, SERVER_PY, [addr, str(port)])


DNS_PY = r'''
import socket, struct, sys, time
addr, name, answer = sys.argv[1], sys.argv[2].lower(), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, 53))
s.settimeout(1)
print("LISTENING", flush=True)
end = time.monotonic() + 900  # never outlives a run
while time.monotonic() < end:
    try:
        q, a = s.recvfrom(512)
    except socket.timeout:
        continue
    i, labels = 12, []
    while i < len(q) and q[i]:
        labels.append(q[i + 1:i + 1 + q[i]].decode(errors="replace"))
        i += 1 + q[i]
    if len(q) < 12 or i + 5 > len(q):
        continue
    qname, qtype = ".".join(labels).lower(), struct.unpack("!H", q[i + 1:i + 3])[0]
    hit = qname == name and qtype == 1
    print("QUERY from=%s name=%s type=%d" % (a[0], qname, qtype), flush=True)
    hdr = struct.pack("!HHHHHH", struct.unpack("!H", q[:2])[0],
                      0x8180 if qname == name else 0x8183, 1, 1 if hit else 0, 0, 0)
    ans = (b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) +
           socket.inet_aton(answer)) if hit else b""
    s.sendto(hdr + q[12:i + 5] + ans, a)
'''


HTTP_PY = r'''
import http.server, os, sys
os.chdir(sys.argv[3])
srv = http.server.HTTPServer((sys.argv[1], int(sys.argv[2])),
                             http.server.SimpleHTTPRequestHandler)
print("LISTENING", flush=True)
srv.serve_forever()
'''


def http_get(ns, url):
    """GET url from namespace ns: the body, or "" on any failure."""
    r = ns_run(ns, [sys.executable, "-c",
                    "import sys, urllib.request as u; "
                    "sys.stdout.write(u.urlopen(sys.argv[1], timeout=10).read().decode())",
                    url], check=False, timeout=30)
    return r.stdout if r.returncode == 0 else ""


def guest_httpd(g, token):
    """Start busybox httpd on port 80 of guest g, serving @token."""
    return g.cmd("sh mkdir -p /www && echo %s >/www/index.html && httpd -p 80 -h /www "
                 "&& echo HTTPD-UP" % token)


# --- scenarios -------------------------------------------------------------------

class Scenario:
    name = "?"

    def __init__(self, kernel, initrd):
        self.kernel, self.initrd = kernel, initrd
        self.guests = []
        self.daemons = []
        self.tmp = REAPER.tmpdir(self.name)

    def guest(self, name, mac, netdev, **kw):
        g = Guest(self.kernel, self.initrd, name, mac, netdev, **kw)
        self.guests.append(g)
        return g

    def daemon(self, name, args, **kw):
        """A daemon started by the reaper; a restart under six booted
        guests may take a while, hence 15 s to get ready."""
        d = Daemon(self.tmp, name, args, popen=REAPER.spawn, ready_timeout=15,
                   **kw)
        self.daemons.append(d)
        return d

    def teardown(self):
        for g in self.guests:
            try:
                g.stop()
            except Exception:
                pass
        for d in self.daemons:
            if d.alive():
                d.stop()


class Attach(Scenario):
    """Every way of attaching, on one isolated daemon; then multi-VM and faults."""
    name = "attach"
    NET = "10.77.1"
    GW, FIRST, LAST, MTU = NET + ".1", NET + ".2", NET + ".9", 1400
    PREFIX6 = "fd00:77:1:0"

    def setup(self):
        t = self.tmp
        self.sock = os.path.join(t, "svm.sock")
        self.dgram = os.path.join(t, "svm.dgram")
        self.conn = os.path.join(t, "vm-connect.sock")
        self.leases = os.path.join(t, "leases")
        # socketpairs: the daemon gets one end of each with --fd, QEMU the other
        ss = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        sd = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.base_args = ["--vmnet-mode=isolated", "--vmnet-gateway=" + self.GW,
                          "--vmnet-dhcp-end=" + self.LAST, "--mtu=%d" % self.MTU,
                          "--dgram-socket=" + self.dgram, "--connect=" + self.conn,
                          # leases survive the restarts of the faults tests
                          "--lease-file=" + self.leases,
                          "--vmnet-nat66-prefix=" + self.PREFIX6 + "::"]
        try:
            self.d = self.daemon("attach", self.base_args + [
                "--fd=%d" % ss[0].fileno(), "--fd=%d" % sd[0].fileno(), self.sock],
                pass_fds=(ss[0].fileno(), sd[0].fileno()))
        finally:
            ss[0].close()
            sd[0].close()
        mac = "52:54:00:e2:01:%02x"
        self.specs = [
            ("stream", dict(netdev="stream,id=n0,server=off,addr.type=unix,addr.path=" + self.sock)),
            ("client", dict(netdev="socket,id=n0,fd=3", wrapper=(CLIENT, self.sock))),
            ("dgram", dict(netdev="dgram,id=n0,local.type=unix,local.path=%s,remote.type=unix,"
                           "remote.path=%s" % (os.path.join(t, "vm-dgram.sock"), self.dgram))),
            ("fd-stream", dict(netdev="stream,id=n0,server=off,addr.type=fd,addr.str=%d"
                               % ss[1].fileno(), pass_fds=(ss[1].fileno(),))),
            ("fd-dgram", dict(netdev="dgram,id=n0,local.type=fd,local.str=%d" % sd[1].fileno(),
                              pass_fds=(sd[1].fileno(),))),
            ("connect", dict(netdev="stream,id=n0,server=on,addr.type=unix,addr.path=" + self.conn)),
        ]
        self.by_name = {}
        # Boot three at a time (2 cores): start a batch, wait for its leases.
        for i in range(0, len(self.specs), 3):
            batch = []
            for j, (name, kw) in enumerate(self.specs[i:i + 3], i + 1):
                # the first two run IPv6 (SLAAC from the gateway)
                g = self.guest(name, mac % j, ipv6=j <= 2, **kw)
                self.by_name[name] = g
                batch.append(g)
            parallel([lambda g=g: g.wait_ready() for g in batch])
        ss[1].close()
        sd[1].close()

    def run(self):
        gs = [self.by_name[n] for n, _ in self.specs]
        # One test per way of attaching; the peer is the next guest in the ring.
        for i, g in enumerate(gs):
            peer = gs[(i + 1) % len(gs)]
            with Check("attach/%s" % g.name, [g, peer], [self.d]) as c:
                g.wait_ready()
                peer.wait_ready()
                bad = check_lease(g, self.GW, self.FIRST, self.LAST, self.MTU)
                ok, det = g.ping(self.GW)
                if not ok:
                    bad.append("gateway ping failed: " + det)
                ok, det = g.ping(peer.ip)
                if not ok:
                    bad.append("ping %s (%s) failed: %s" % (peer.ip, peer.name, det))
                if g.name == "stream":
                    # The daemon's own echo responder at the full MTU.
                    ok, det = g.ping(self.GW, 3, self.MTU - 28)
                    if not ok:
                        bad.append("%d-byte gateway ping: %s" % (self.MTU - 28, det))
                c.expect(not bad, "%s; pings gateway and %s (%s)" % (lease_text(g), peer.ip, peer.name),
                         "; ".join(bad))

        with Check("multi-vm: %d guests, distinct MACs and addresses, all reach each other"
                   % len(gs), gs, [self.d]) as c:
            for g in gs:
                g.wait_ready()
            macs = [g.boot_mac() for g in gs]
            ips = [g.ip for g in gs]
            bad = []
            if len(set(macs)) != len(gs) or None in macs:
                bad.append("MACs %s" % macs)
            if len(set(ips)) != len(gs):
                bad.append("addresses %s" % ips)

            def mesh(g):
                return [(g.name, h.name, g.ping(h.ip)) for h in gs if h is not g]

            for res in parallel([lambda g=g: mesh(g) for g in gs]):
                if isinstance(res, Exception):
                    bad.append(repr(res))
                    continue
                for a, b, (ok, det) in res:
                    if not ok:
                        bad.append("%s -> %s: %s" % (a, b, det))
            c.expect(not bad, "%d pings ok, %s" % (len(gs) * (len(gs) - 1), " ".join(ips)),
                     "; ".join(bad))

        self.ipv6(gs[:2])
        self.faults(gs)

    def slaac(self, g):
        """@g's global IPv6 address in PREFIX6 once its kernel configured it
        from the gateway's router advertisement (DAD done), or None after
        30 s."""
        want = "".join("%04x" % int(x, 16) for x in self.PREFIX6.split(":"))
        end = time.monotonic() + 30
        while time.monotonic() < end:
            ok, out = g.cmd("sh cat /proc/net/if_inet6")
            for line in out.split("|") if ok else ():
                f = line.split()
                # address, ifindex, prefix length, scope, flags (0x40: tentative)
                if (len(f) == 6 and f[0].startswith(want) and f[3] == "00"
                        and not int(f[4], 16) & 0x40):
                    return ":".join(f[0][i:i + 4] for i in range(0, 32, 4))
            time.sleep(0.5)
        return None

    def ipv6(self, gs):
        with Check("ipv6: SLAAC addresses in %s::/64, guests ping each other and the gateway"
                   % self.PREFIX6, gs, [self.d]) as c:
            addrs = [self.slaac(g) for g in gs]
            bad = ["%s: no SLAAC address" % g.name for g, a in zip(gs, addrs) if not a]
            if not bad:
                for g, target in ((gs[0], addrs[1]), (gs[1], addrs[0]),
                                  (gs[0], self.PREFIX6 + "::1")):
                    ok, out = g.cmd("sh ping -6 -c 2 -W 3 " + target)
                    if not (ok and " 0% packet loss" in out):
                        bad.append("%s: ping6 %s: %s" % (g.name, target, out))
            c.expect(not bad, " ".join(a or "-" for a in addrs), "; ".join(bad))

    def faults(self, gs):
        d = self.d
        restart_args = self.base_args + [self.sock]  # the --fd ends died with it
        for sig, label in ((signal.SIGKILL, "SIGKILL"), (signal.SIGTERM, "SIGTERM")):
            with Check("faults/%s: daemon stopped and restarted, --connect guest recovers" % label,
                       [self.by_name["connect"]], [d]) as c:
                # The daemon writes its lease file at most once a second: a
                # SIGKILL right after an ACK loses that lease (the address
                # may then be offered again). Kill once all leases are on disk.
                def saved():
                    try:
                        with open(self.leases) as f:
                            text = f.read().lower()
                    except OSError:
                        return False
                    return all(g.mac in text for g in gs)
                if not wait_until(saved, 5):
                    raise TestFailure("the lease file lacks some of %s after 5 s"
                                       % [g.mac for g in gs])
                rc = d.stop(sig)
                down = parallel([lambda g=g: g.ping(self.GW, 1) for g in gs])
                still = [g.name for g, r in zip(gs, down) if not isinstance(r, Exception) and r[0]]
                t_restart = time.monotonic()
                d.start(restart_args)
                # The --connect guest tries the gateway for up to 20 s, the
                # others for 10 s (they are expected to stay dead).
                recovered = {}

                def retry(g):
                    end = time.monotonic() + (20 if g.name == "connect" else 10)
                    while time.monotonic() < end:
                        ok, _ = g.ping(self.GW, 1)
                        if ok:
                            return time.monotonic() - t_restart
                    return None

                for g, r in zip(gs, parallel([lambda g=g: retry(g) for g in gs])):
                    recovered[g.name] = None if isinstance(r, Exception) else r
                bad = []
                if still:
                    bad.append("gateway answered while the daemon was down: %s" % still)
                if recovered["connect"] is None:
                    bad.append("the --connect guest did not reach the gateway within 20 s")
                else:
                    # and the switch works again between guests, not only the gateway
                    others = [g for g in gs if g.name != "connect" and recovered[g.name] is not None]
                    for o in others:
                        ok, det = self.by_name["connect"].ping(o.ip)
                        if not ok:
                            bad.append("connect -> %s after restart: %s" % (o.name, det))
                seen = " ".join("%s=%s" % (n, "%.1fs" % v if v is not None else "no")
                                for n, v in recovered.items())
                self.restart_seen = recovered
                if sig == signal.SIGTERM and rc != 0:
                    bad.append("daemon exit code %s on SIGTERM" % rc)
                c.expect(not bad, "recovered after restart: " + seen, "; ".join(bad) + " (" + seen + ")")
            if sig == signal.SIGKILL:
                with Check("faults: other attach styles behave as documented after a restart",
                           gs, [d]) as c:
                    diff = ["%s: %s, documented %s" % (n, "recovered" if v is not None else "dead",
                                                       "recovers" if RESTART_EXPECTED[n][0] else "dead")
                            for n, v in recovered.items()
                            if (v is not None) != RESTART_EXPECTED[n][0]]
                    R.notes.append(("restart", dict(recovered)))
                    c.expect(not diff, " ".join("%s=%s" % (n, "recovers" if v is not None else "dead")
                                                for n, v in recovered.items()), "; ".join(diff))
                self.late_guest(gs)


    def late_guest(self, gs):
        """A guest that attaches to the restarted daemon: its lease must not
        be one the running guests still use (the --lease-file kept them),
        and it reaches the guests that recovered."""
        conn, dg = self.by_name["connect"], self.by_name["dgram"]
        late = self.guest("late", "52:54:00:e2:01:07",
                          "stream,id=n0,server=off,addr.type=unix,addr.path=" + self.sock)
        with Check("faults: a guest attached after the restart gets a free address and "
                   "reaches the recovered guests", [late, conn, dg], [self.d]) as c:
            late.wait_ready()
            bad = check_lease(late, self.GW, self.FIRST, self.LAST, self.MTU)
            taken = {g.ip: g.name for g in gs}
            if late.ip in taken:
                bad.append("got %s, still used by guest %s" % (late.ip, taken[late.ip]))
            for g in (conn, dg):
                ok, det = late.ping(g.ip)
                if not ok:
                    bad.append("ping %s (%s): %s" % (g.ip, g.name, det))
            c.expect(not bad, "%s; pings %s (connect) and %s (dgram)" % (lease_text(late), conn.ip, dg.ip),
                     "; ".join(bad))


class HostMode(Scenario):
    """host mode in namespace H: the guest and the host reach each other."""
    name = "host"
    NET = "10.77.2"
    GW, FIRST, LAST = NET + ".1", NET + ".2", NET + ".9"
    TAP = "svme2e0"
    PORT = 8080

    def setup(self):
        self.ns = REAPER.add_netns("host")
        self.sock = os.path.join(self.tmp, "svm.sock")
        self.server = Server(self.tmp, self.ns, "0.0.0.0", self.PORT)
        self.d = self.daemon("host", ["--vmnet-mode=host", "--vmnet-gateway=" + self.GW,
                                      "--vmnet-dhcp-end=" + self.LAST, "--tap=" + self.TAP,
                                      self.sock], netns=self.ns)
        self.g = self.guest("host-vm", "52:54:00:e2:02:01",
                            "socket,id=n0,fd=3", wrapper=(CLIENT, self.sock))

    def run(self):
        g, d = self.g, self.d
        with Check("host/lease: lease from the TAP-side daemon, pings the gateway (TAP in netns)",
                   [g], [d]) as c:
            g.wait_ready()
            bad = check_lease(g, self.GW, self.FIRST, self.LAST, 1500)
            ok, det = g.ping(self.GW)
            if not ok:
                bad.append("gateway ping: " + det)
            c.expect(not bad, lease_text(g), "; ".join(bad))
        with Check("host/tcp: guest reaches a TCP server on the host (netns)", [g], [d]) as c:
            g.wait_ready()
            ok, det = g.cmd("tcp %s %d" % (self.GW, self.PORT))
            want = "reply=pong %s from %s" % (g.name, g.ip)
            c.expect(ok and det == want, det, "%s (want '%s'); server: %s"
                     % (det, want, self.server.text().strip()))
        with Check("host/ping: the host pings the guest", [g], [d]) as c:
            g.wait_ready()
            r = ns_run(self.ns, ["ping", "-c", "2", "-W", "2", g.ip], check=False)
            c.expect(r.returncode == 0, "ping %s from the host netns" % g.ip, r.stdout[-300:])
        with Check("host/stop: SIGTERM exits 0 and removes the TAP and socket", [g], [d]) as c:
            rc = d.stop()
            r = run(["ip", "-n", self.ns, "link", "show", self.TAP], check=False)
            bad = []
            if rc != 0:
                bad.append("exit %s" % rc)
            if r.returncode == 0:
                bad.append("TAP %s still there" % self.TAP)
            if os.path.exists(self.sock):
                bad.append("socket left")
            c.expect(not bad, "exit 0, TAP and socket gone", "; ".join(bad))


class SharedMode(Scenario):
    """shared mode: NAT from the VM subnet to an "internet" namespace."""
    name = "shared"
    NET = "10.77.3"
    GW, FIRST, LAST = NET + ".1", NET + ".2", NET + ".9"
    TAP = "svme2e1"
    H_ADDR, I_ADDR = "198.18.0.1", "198.18.0.2"
    PORT = 8081
    VM_IP, FWD_PORT = NET + ".5", 8093

    def setup(self):
        self.h, self.i = internet("shared", self.H_ADDR, self.I_ADDR)
        self.server = Server(self.tmp, self.i, self.I_ADDR, self.PORT)
        self.sock = os.path.join(self.tmp, "svm.sock")
        self.fwd0 = ns_run(self.h, ["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip()
        hosts = os.path.join(self.tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("%%%%\nshared-vm 1 52:54:00:e2:03:01 %s\n" % self.VM_IP)
        self.d = self.daemon("shared", ["--vmnet-mode=shared", "--vmnet-gateway=" + self.GW,
                                        "--vmnet-dhcp-end=" + self.LAST, "--tap=" + self.TAP,
                                        "--dns=" + self.I_ADDR, "--dhcp-hosts=" + hosts,
                                        "--forward=tcp:127.0.0.1:%d:%s:80"
                                        % (self.FWD_PORT, self.VM_IP), self.sock],
                             netns=self.h)
        self.g = self.guest("shared-vm", "52:54:00:e2:03:01",
                            "stream,id=n0,server=off,addr.type=unix,addr.path=" + self.sock)

    def run(self):
        g, d = self.g, self.d
        with Check("shared/lease: lease with gateway, MTU and --dns, pings the gateway", [g], [d]) as c:
            g.wait_ready()
            bad = check_lease(g, self.GW, self.FIRST, self.LAST, 1500)
            if g.lease.get("dns") != self.I_ADDR:
                bad.append("dns %s, want %s" % (g.lease.get("dns"), self.I_ADDR))
            ok, det = g.ping(self.GW)
            if not ok:
                bad.append("gateway ping: " + det)
            c.expect(not bad, lease_text(g), "; ".join(bad))
        with Check("shared/nat: guest reaches a TCP server in the 'internet' netns through NAT",
                   [g], [d]) as c:
            g.wait_ready()
            # The internet has no way back to the VM subnet: only NAT can work.
            r = run(["ip", "-n", self.i, "route", "get", g.ip], check=False)
            ok, det = g.cmd("tcp %s %d" % (self.I_ADDR, self.PORT))
            want = "reply=pong %s from %s" % (g.name, self.H_ADDR)
            pok, pdet = g.ping(self.I_ADDR)
            bad = []
            if r.returncode == 0:
                bad.append("the internet netns has a route to %s: %s" % (g.ip, r.stdout.strip()))
            if not (ok and det == want):
                bad.append("tcp: %s (want '%s'); server: %s" % (det, want, self.server.text().strip()))
            if not pok:
                bad.append("ping %s: %s" % (self.I_ADDR, pdet))
            c.expect(not bad, "%s; ping %s ok" % (det, self.I_ADDR), "; ".join(bad))
        with Check("shared/forward: --forward (DNAT) reaches the guest's HTTP server from "
                   "the host's 127.0.0.1", [g], [d]) as c:
            g.wait_ready()
            ok, det = guest_httpd(g, "shared-fwd-page")
            body = http_get(self.h, "http://127.0.0.1:%d/" % self.FWD_PORT)
            rules = ns_run(self.h, ["nft", "list", "ruleset"], check=False).stdout
            bad = []
            if "HTTPD-UP" not in det:
                bad.append("httpd in the guest: %s" % det)
            if "shared-fwd-page" not in body:
                bad.append("got %r from 127.0.0.1:%d" % (body[:200], self.FWD_PORT))
            if "dnat to %s:80" % self.VM_IP not in rules:
                bad.append("no DNAT rule in the ruleset")
            c.expect(not bad, "127.0.0.1:%d -> %s:80: %s" % (self.FWD_PORT, self.VM_IP,
                                                              body.strip()), "; ".join(bad))
        with Check("shared/stop: SIGTERM removes the nft table, TAP and ip_forward", [g], [d]) as c:
            before = ns_run(self.h, ["nft", "list", "tables"], check=False).stdout
            rc = d.stop()
            after = ns_run(self.h, ["nft", "list", "tables"], check=False).stdout
            fwd = ns_run(self.h, ["cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.strip()
            tap = run(["ip", "-n", self.h, "link", "show", self.TAP], check=False).returncode
            bad = []
            if "socket_vmnet" not in before:
                bad.append("no socket_vmnet nft table while running: %r" % before)
            if "socket_vmnet" in after:
                bad.append("nft table left: %r" % after)
            if fwd != self.fwd0:
                bad.append("ip_forward %s, was %s" % (fwd, self.fwd0))
            if tap == 0:
                bad.append("TAP left")
            if rc != 0:
                bad.append("exit %s" % rc)
            c.expect(not bad, "exit 0, table gone, ip_forward back to %s" % fwd, "; ".join(bad))


def internet(tag, h_addr, i_addr):
    """Namespaces H (where a daemon runs) and I (the "internet": a veth
    away, H's default route, no route back to any VM subnet)."""
    h = REAPER.add_netns(tag + "-h")
    i = REAPER.add_netns(tag + "-i")
    run(["ip", "-n", h, "link", "add", "vh", "type", "veth", "peer", "name", "vi", "netns", i])
    run(["ip", "-n", h, "addr", "add", h_addr + "/24", "dev", "vh"])
    run(["ip", "-n", i, "addr", "add", i_addr + "/24", "dev", "vi"])
    run(["ip", "-n", h, "link", "set", "vh", "up"])
    run(["ip", "-n", i, "link", "set", "vi", "up"])
    run(["ip", "-n", h, "route", "add", "default", "via", i_addr])
    return h, i


class UserNat(Scenario):
    """The user-mode NAT: a daemon as nobody with no mode option, in H."""
    name = "user"
    GW = "192.168.105.1"  # the default network of shared mode
    H_ADDR, I_ADDR = "198.18.1.1", "198.18.1.2"
    PORT, HTTP_PORT, FWD_PORT = 8082, 8090, 8091
    A_IP = "192.168.105.20"
    NAME, ANSWER = "svm-e2e.test", "203.0.113.9"

    def setup(self):
        self.h, self.i = internet("user", self.H_ADDR, self.I_ADDR)
        # libslirp pings with ICMP datagram sockets: let nobody open them
        ns_run(self.h, ["sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"])
        self.server = Server(self.tmp, self.i, self.I_ADDR, self.PORT)
        self.dns = helper(self.tmp, self.i, "dns", DNS_PY, [self.I_ADDR, self.NAME, self.ANSWER])
        www = os.path.join(self.tmp, "www")
        os.mkdir(www)
        with open(os.path.join(www, "page.txt"), "w") as f:
            f.write("user-nat-page-%d\n" % os.getpid())
        self.http = helper(self.tmp, self.h, "web", HTTP_PY,
                           ["127.0.0.1", str(self.HTTP_PORT), www], ready="LISTENING")
        # the daemon runs as nobody: its files in a directory it may write
        run_dir = os.path.join(self.tmp, "run")
        os.mkdir(run_dir)
        os.chmod(self.tmp, 0o755)
        os.chmod(run_dir, 0o777)
        resolv = os.path.join(self.tmp, "resolv.conf")
        hosts = os.path.join(self.tmp, "hosts")
        with open(resolv, "w") as f:
            f.write("nameserver %s\n" % self.I_ADDR)
        with open(hosts, "w") as f:
            f.write("%%%%\nuser-a 1 52:54:00:e2:05:01 %s\n" % self.A_IP)
        self.sock = os.path.join(run_dir, "svm.sock")
        wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                   'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv,
                   "ip", "netns", "exec", self.h,
                   "setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        self.d = self.daemon("user", ["--dhcp-hosts=" + hosts,
                                      "--forward=tcp:127.0.0.1:%d:%s:80"
                                      % (self.FWD_PORT, self.A_IP), self.sock],
                             wrapper=wrapper, pidfile=os.path.join(run_dir, "pid"))
        self.a = self.guest("user-a", "52:54:00:e2:05:01",
                            "stream,id=n0,server=off,addr.type=unix,addr.path=" + self.sock)
        self.b = self.guest("user-b", "52:54:00:e2:05:02", "socket,id=n0,fd=3",
                            wrapper=(CLIENT, self.sock))

    def run(self):
        a, b, d = self.a, self.b, self.d
        with Check("user/lease: as nobody, no mode option: user-mode NAT; both guests get "
                   "leases with the gateway as router and DNS, and ping it", [a, b], [d]) as c:
            a.wait_ready()
            b.wait_ready()
            bad = []
            for g in (a, b):
                bad += check_lease(g, self.GW, "192.168.105.2", "192.168.105.254", 1500)
                if g.lease.get("dns") != self.GW:
                    bad.append("%s: dns %s, want %s" % (g.name, g.lease.get("dns"), self.GW))
                ok, det = g.ping(self.GW)
                if not ok:
                    bad.append("%s: gateway ping: %s" % (g.name, det))
            if a.ip != self.A_IP:
                bad.append("user-a got %s, not its reservation %s" % (a.ip, self.A_IP))
            if not d.log_has(r"using the user-mode NAT instead"):
                bad.append("the log does not say the user-mode NAT was chosen")
            c.expect(not bad, "%s; %s" % (lease_text(a), lease_text(b)), "; ".join(bad))
        with Check("user/loopback: a guest fetches a page from an HTTP server on the host's "
                   "127.0.0.1 at the gateway address", [a], [d]) as c:
            a.wait_ready()
            ok, det = a.cmd("sh wget -q -O - http://%s:%d/page.txt" % (self.GW, self.HTTP_PORT))
            want = "user-nat-page-%d" % os.getpid()
            c.expect(want in det, det, "%s (want %s); server: %s"
                     % (det, want, self.http().strip()[-300:]))
        with Check("user/dns: a name resolves through DNS at the gateway (the daemon's "
                   "resolv.conf names the suite's server)", [a], [d]) as c:
            a.wait_ready()
            ok, det = a.cmd("sh nslookup %s %s" % (self.NAME, self.GW))
            log = self.dns()
            bad = []
            if self.ANSWER not in det:
                bad.append("nslookup: %s" % det)
            if "from=%s name=%s" % (self.H_ADDR, self.NAME) not in log:
                bad.append("the DNS server saw no query from H: %s" % log.strip()[-300:])
            c.expect(not bad, "%s -> %s" % (self.NAME, self.ANSWER), "; ".join(bad))
        with Check("user/internet: both guests reach a TCP server in the 'internet' netns at "
                   "once, and ping it", [a, b], [d]) as c:
            res = parallel([lambda g=g: g.cmd("tcp %s %d" % (self.I_ADDR, self.PORT))
                            for g in (a, b)])
            bad = []
            for g, r in zip((a, b), res):
                want = "reply=pong %s from %s" % (g.name, self.H_ADDR)
                if isinstance(r, Exception) or not r[0] or r[1] != want:
                    bad.append("%s: %s (want '%s')" % (g.name, r, want))
            pok, pdet = a.ping(self.I_ADDR)
            if not pok:
                bad.append("ping %s: %s" % (self.I_ADDR, pdet))
            c.expect(not bad, "both: pong from %s; ping ok" % self.H_ADDR,
                     "; ".join(bad) + "; server: " + self.server.text().strip()[-300:])
        with Check("user/vm-to-vm: the guests reach each other through the switch", [a, b],
                   [d]) as c:
            ok, det = a.ping(b.ip)
            c.expect(ok, "%s -> %s %s" % (a.ip, b.ip, det), det)
        with Check("user/forward: --forward reaches the guest's HTTP server from the host's "
                   "127.0.0.1 (libslirp host forward)", [a], [d]) as c:
            ok, det = guest_httpd(a, "user-fwd-page")
            body = http_get(self.h, "http://127.0.0.1:%d/" % self.FWD_PORT)
            bad = []
            if "HTTPD-UP" not in det:
                bad.append("httpd in the guest: %s" % det)
            if "user-fwd-page" not in body:
                bad.append("got %r from 127.0.0.1:%d" % (body[:200], self.FWD_PORT))
            c.expect(not bad, "127.0.0.1:%d -> %s:80: %s" % (self.FWD_PORT, self.A_IP,
                                                              body.strip()), "; ".join(bad))
        with Check("user/stop: SIGTERM exits 0, the forward's port is free again", [a, b],
                   [d]) as c:
            rc = d.stop()
            r = ns_run(self.h, [sys.executable, "-c",
                                "import socket; s = socket.socket(); "
                                # a connection of the forward may linger in
                                # TIME_WAIT; what must be gone is the listener
                                "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
                                "s.bind(('127.0.0.1', %d)); s.listen()" % self.FWD_PORT],
                       check=False)
            bad = []
            if rc != 0:
                bad.append("exit %s" % rc)
            if r.returncode != 0:
                bad.append("port %d still taken: %s" % (self.FWD_PORT, r.stdout[-200:]))
            c.expect(not bad, "exit 0, port %d free" % self.FWD_PORT, "; ".join(bad))


class Jumbo(Scenario):
    """--mtu=9000 in host mode: DHCP sets it, big pings go unfragmented."""
    name = "jumbo"
    NET = "10.77.4"
    GW, FIRST, LAST, MTU = NET + ".1", NET + ".2", NET + ".9", 9000
    TAP = "svme2e2"

    def setup(self):
        self.ns = REAPER.add_netns("jumbo")
        self.sock = os.path.join(self.tmp, "svm.sock")
        self.dgram = os.path.join(self.tmp, "svm.dgram")
        self.d = self.daemon("jumbo", ["--vmnet-mode=host", "--vmnet-gateway=" + self.GW,
                                       "--vmnet-dhcp-end=" + self.LAST, "--mtu=%d" % self.MTU,
                                       "--tap=" + self.TAP, "--dgram-socket=" + self.dgram,
                                       self.sock], netns=self.ns)
        self.a = self.guest("jumbo-a", "52:54:00:e2:04:01",
                            "stream,id=n0,server=off,addr.type=unix,addr.path=" + self.sock)
        self.b = self.guest("jumbo-b", "52:54:00:e2:04:02",
                            "dgram,id=n0,local.type=unix,local.path=%s,remote.type=unix,"
                            "remote.path=%s" % (os.path.join(self.tmp, "vm-b.sock"), self.dgram))

    def run(self):
        a, b, d = self.a, self.b, self.d
        size = self.MTU - 28
        with Check("jumbo/dhcp: --mtu=9000 reaches both guests (option 26) and the TAP",
                   [a, b], [d]) as c:
            a.wait_ready()
            b.wait_ready()
            bad = check_lease(a, self.GW, self.FIRST, self.LAST, self.MTU)
            bad += check_lease(b, self.GW, self.FIRST, self.LAST, self.MTU)
            tap = run(["ip", "-n", self.ns, "-o", "link", "show", self.TAP]).stdout
            if "mtu %d " % self.MTU not in tap:
                bad.append("TAP: %s" % tap.strip())
            c.expect(not bad, "%s; %s; TAP mtu %d" % (lease_text(a), lease_text(b), self.MTU),
                     "; ".join(bad))
        for src, dst, what in ((a, b, "stream guest -> dgram guest"),
                               (b, a, "dgram guest -> stream guest"),
                               (a, None, "stream guest -> gateway (TAP)"),
                               (b, None, "dgram guest -> gateway (TAP)")):
            ip = dst.ip if dst else self.GW
            with Check("jumbo/ping -s %d: %s, unfragmented" % (size, what),
                       [src] + ([dst] if dst else []), [d]) as c:
                src.wait_ready()
                if dst:
                    dst.wait_ready()
                ok, det = src.ping(ip, 3, size)
                c.expect(ok, "%s %s" % (ip, det), "%s: %s" % (ip, det))
        with Check("jumbo/control: a ping over the MTU (-s %d) is fragmented, so the counters see it"
                   % (size + 100), [a, b], [d]) as c:
            a.wait_ready()
            b.wait_ready()
            ok, det = a.ping(b.ip, 1, size + 100)
            m = re.search(r"frag=(\d+)", det)
            c.expect(m and int(m.group(1)) > 0, det, "counters did not move: " + det)


SCENARIOS = [Attach, HostMode, SharedMode, UserNat, Jumbo]


# --- main ------------------------------------------------------------------------

def cannot_run(why):
    if STRICT:
        print("e2e: cannot run: %s (CI=true or REQUIRE_QEMU=1: this is a failure)" % why)
        summary("e2e", 0, 1)
        sys.exit(1)
    print("e2e: skipped: %s" % why)
    sys.exit(77)


def preflight():
    if os.geteuid() != 0:
        cannot_run("needs root (network namespaces, TAP devices)")
    if not shutil.which(QEMU):
        cannot_run("%s not found (apt-get install qemu-system-x86)" % QEMU)
    missing = [t for t in ("ip", "apt-get", "dpkg-deb") if not shutil.which(t)]
    if missing:
        cannot_run("missing tools: %s" % " ".join(missing))
    for path in (SVM, CLIENT):
        if not os.access(path, os.X_OK):
            print("e2e: %s is not built (run make)" % path)
            summary("e2e", 0, 1)
            sys.exit(1)


def build_guest():
    t = time.monotonic()
    r = subprocess.run([BUILD_GUEST], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, stdin=subprocess.DEVNULL, timeout=600)
    out = dict(l.split("=", 1) for l in r.stdout.splitlines() if "=" in l)
    if r.returncode != 0 or "KERNEL" not in out:
        print("FAIL guest build: build-guest.sh exit %d\n%s" % (r.returncode, r.stderr))
        summary("e2e", 0, 1)
        sys.exit(1)
    print("guest: %s (%.1fs)" % (r.stderr.strip().splitlines()[-1] if r.stderr.strip() else "built",
                                 time.monotonic() - t), flush=True)
    return out["KERNEL"], out["INITRD"]


def run_scenarios(classes, kernel, initrd):
    """Set up the scenarios (their guests boot together), then run each."""
    objs = []
    try:
        for cls in classes:
            s = cls(kernel, initrd)
            objs.append(s)
            with Check("%s/setup" % s.name, [], []) as c:
                try:
                    s.setup()
                    s.setup_ok = True
                    print("--   %s: set up, %d guest(s) started in %.1fs" % (
                        s.name, len(s.guests), time.monotonic() - c.t0), flush=True)
                except Exception:
                    s.setup_ok = False
                    c.guests, c.daemons = list(s.guests), list(s.daemons)
                    raise
                c.done = True  # a setup that worked is not a test of its own
        for s in objs:
            if s.setup_ok:
                s.run()
    finally:
        for s in objs:
            s.teardown()


def main():
    preflight()
    REAPER.sweep()
    if STRICT and not shutil.which("nft"):
        print("e2e: nft not found: shared mode cannot be tested (apt-get install nftables)")
    kernel, initrd = build_guest()
    print("e2e: QEMU %s, accel %s, %d CPUs" % (
        run([QEMU, "--version"]).stdout.split("\n")[0].split("version ")[-1],
        ACCEL, os.cpu_count()), flush=True)
    wanted = [c for c in SCENARIOS if not ONLY or c.name in ONLY]
    if not shutil.which("nft") and SharedMode in wanted:
        if STRICT:
            R.record("shared/setup", False, "nft not found (apt-get install nftables)", time.monotonic())
        else:
            print("skip shared: nft not found (apt-get install nftables)")
        wanted.remove(SharedMode)
    interrupted = None
    try:
        # The attach scenario boots six guests (three at a time) and restarts
        # its daemon; the others boot four guests together afterwards.
        if Attach in wanted:
            run_scenarios([Attach], kernel, initrd)
        rest = [c for c in wanted if c is not Attach]
        if rest:
            run_scenarios(rest, kernel, initrd)
    except SystemExit as e:  # a signal: clean up, still print the counts
        interrupted = e.code
    finally:
        REAPER.cleanup()

    for kind, seen in R.notes:
        if kind == "restart":
            print("\nAfter a daemon restart, with QEMU 7.2 guests left running:")
            for n, (exp, why) in RESTART_EXPECTED.items():
                got = seen.get(n)
                print("  %-10s %-9s %s" % (n, "recovers" if got is not None else "dead", why))
    print("e2e: total %.1fs" % (time.monotonic() - T0))
    summary("e2e", R.passed, R.failed)
    if interrupted is not None:
        sys.exit(interrupted)
    sys.exit(1 if R.failed else 0)


if __name__ == "__main__":
    main()
