#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Soak run: the daemon (built with ASan+UBSan by `make soak`) under
everything at once for SOAK_SECONDS (default 600), in isolated mode on
sockets in a temporary directory (no root, no network).

    pair      two stream VMs; A sends B numbered unicast frames, at most
              WINDOW ahead of what B got; B checks that none is lost and
              that they come in order
    stream    clients connect, send a few frames from random MACs
              (broadcast and unicast), and leave: cleanly, with half a
              frame sent, or with a bad length
    dgram     datagram clients bind, send frames (some after vfkit's
              hello) and go away with their socket file removed
    dhcp      clients (40 MACs, in turn) take a lease, some release it,
              and leave; the lease file is rewritten all along
    malformed garbage: truncated and random frames, DHCP/ARP/IPv6 junk,
              runt datagrams
    reload    SIGHUP every 2 s, the --dhcp-hosts file rewritten now and
              then, and control socket requests (status, ports, fdb,
              leases, metrics, a malformed line, a capture started and
              stopped every fifth time)

Descriptors and RSS are sampled every second.  At the end of the warm-up
(max(10 s, 20 %)) and at the end, the churn pauses until only the pair is
connected; the daemon's descriptors and RSS there are the baseline and the
final figures.  Checks (each one pass or fail; the last line is "soak: N
passed, N failed"):

    no sanitizer report in the daemon's log, and a clean exit (SIGTERM, 0)
    the pair lost no frame and got them all in order
    the same descriptors open at the end as at the baseline
    RSS at the end at most 1 MiB above the baseline
    only the pair connected at both quiet points (no port leak)

Binary: $SOCKET_VMNET (default: build-san/socket_vmnet).
"""

import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import svmlib  # noqa: E402
from svmlib import (BCAST, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, ETH_P_TEST,  # noqa
                    Closed, Daemon, DgramVM, StreamVM, arp_body, dhcp_msg,
                    eth, fmt_mac, mac, summary, udp, wait_until)

GW = "10.77.0.1"
WINDOW = 256                  # pair frames in flight at most
PAIR_PAYLOAD = 1000
RSS_SLACK = 1 << 20           # bytes of RSS growth allowed after warm-up
SANITIZER_RE = re.compile(r"Sanitizer|runtime error:")
ASAN_OPTIONS = ("detect_leaks=1:abort_on_error=0:"
                # no quarantine, and free memory back to the system, so
                # that RSS shows what the daemon holds rather than what
                # ASan keeps of what it freed
                "quarantine_size_mb=0:thread_local_quarantine_size_kb=0:"
                "allocator_release_to_os_interval_ms=500")


class _Sink:
    """A history that keeps nothing."""

    def append(self, _):
        pass


def rand_mac():
    """A random locally administered unicast MAC."""
    return bytes([0x06]) + os.urandom(5)


class Soak:
    """The run: the daemon, the pair, the churn threads and the figures."""

    def __init__(self, seconds, binary):
        self.seconds = seconds
        self.dir = tempfile.mkdtemp(prefix="svm-soak-")
        # Started as root, the switch runs unprivileged: it must reach the
        # datagram clients' socket files here (svmlib makes them writable).
        os.chmod(self.dir, 0o755)
        self.hosts = os.path.join(self.dir, "hosts")
        self.write_hosts(0)
        env = dict(svmlib.daemon_env())
        env["ASAN_OPTIONS"] = ASAN_OPTIONS
        env["UBSAN_OPTIONS"] = "print_stacktrace=1"
        self.d = Daemon(self.dir, "soak", [
            "--vmnet-mode=isolated", "--vmnet-gateway=" + GW,
            "--lease-file=" + os.path.join(self.dir, "leases"),
            "--dhcp-hosts=" + self.hosts, "--lease-time=120"],
            binary=binary, sock=os.path.join(self.dir, "soak.sock"),
            dgram=os.path.join(self.dir, "soak.dgram"), env=env,
            ready_timeout=30)
        self.running = threading.Event()     # churn may run
        self.stop = threading.Event()        # everything ends
        self.busy = {}                       # churn thread -> in an iteration
        self.lock = threading.Lock()
        self.count = dict(stream=0, half=0, badlen=0, dgram=0, dhcp=0,
                          dhcp_failed=0, malformed=0, hup=0, control=0)
        self.samples = []                    # (t, fds, rss)
        self.errors = []
        # the pair
        self.sent = 0
        self.got = 0
        self.pair_error = None
        self.cond = threading.Condition()
        self.last_status = ""
        self.dhcp_why = {}                   # failed DHCP attempts, by why

    # -- helpers ----------------------------------------------------------------

    def rss(self):
        with open("/proc/%d/status" % self.d.switch_pid()) as f:
            for ln in f:
                if ln.startswith("VmRSS:"):
                    return int(ln.split()[1]) * 1024
        return 0

    def write_hosts(self, n):
        text = "%%\n" + "".join("vm%d 1 %s 10.77.0.%d\n" % (
            i, fmt_mac(mac(300 + i)), 200 + i) for i in range(n % 4))
        tmp = self.hosts + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.hosts)

    def bump(self, key, n=1):
        with self.lock:
            self.count[key] += n

    def churn(self, name, fn):
        """Run fn() in a loop while the churn may run."""
        def loop():
            while not self.stop.is_set():
                if not self.running.wait(0.1):
                    continue
                self.busy[name] = True
                try:
                    fn()
                except (OSError, Closed, svmlib.TestFailure) as e:
                    if not isinstance(e, (ConnectionError, Closed,
                                          socket.timeout,
                                          svmlib.TestFailure)):
                        self.errors.append("%s: %r" % (name, e))
                finally:
                    self.busy[name] = False
        t = threading.Thread(target=loop, name=name, daemon=True)
        t.start()
        return t

    # -- the checked pair -------------------------------------------------------

    def pair_start(self):
        self.a = StreamVM.connect(self.d.sock, "A", mac(1))
        self.b = StreamVM.connect(self.d.sock, "B", mac(2))
        self.a.sync(self.b)
        self.b.sync(self.a)
        threading.Thread(target=self.pair_send, daemon=True).start()
        threading.Thread(target=self.pair_recv, daemon=True).start()

    def pair_send(self):
        pad = os.urandom(PAIR_PAYLOAD)
        while not self.stop.is_set() and not self.pair_error:
            with self.cond:
                while self.sent - self.got >= WINDOW and \
                        not self.stop.is_set():
                    self.cond.wait(0.5)
            try:
                for _ in range(32):
                    self.a.send(eth(self.b.mac, self.a.mac, ETH_P_TEST,
                                    struct.pack(">Q", self.sent) + pad))
                    self.sent += 1
            except OSError as e:
                if not self.stop.is_set():   # not the daemon stopping
                    self.pair_error = "A: %r at %s" % (
                        e, time.strftime("%H:%M:%S"))
                return

    def pair_recv(self):
        self.b.history = _Sink()      # keep nothing: this runs for long
        while not self.stop.is_set():
            try:
                f = self.b.recv(0.5)
            except (OSError, Closed) as e:
                if not self.stop.is_set():   # not the daemon stopping
                    self.pair_error = "B: %r after %d frames, at %s" % (
                        e, self.got, time.strftime("%H:%M:%S"))
                return
            if f is None:
                continue
            if f[0:6] != self.b.mac or f[6:12] != self.a.mac or \
                    f[12:14] != b"\x88\xb5" or len(f) < 22:
                continue                # flooded by the churn
            seq = struct.unpack(">Q", f[14:22])[0]
            if seq != self.got:
                self.pair_error = ("B got frame %d, expected %d (lost or "
                                   "reordered), at %s" % (
                                       seq, self.got,
                                       time.strftime("%H:%M:%S")))
                return
            with self.cond:
                self.got += 1
                self.cond.notify()

    # -- churn ------------------------------------------------------------------

    def stream_client(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(self.d.sock)
            m = rand_mac()
            for _ in range(random.randrange(1, 6)):
                dst = random.choice([BCAST, mac(2), rand_mac()])
                src = m if random.random() < 0.8 else rand_mac()
                f = eth(dst, src, ETH_P_TEST, os.urandom(
                    random.randrange(46, 1500)))
                s.sendall(struct.pack(">I", len(f)) + f)
            r = random.random()
            if r < 0.3:                  # leave mid-frame
                f = eth(BCAST, m, ETH_P_TEST, os.urandom(800))
                cut = random.randrange(1, len(f) + 3)
                s.sendall((struct.pack(">I", len(f)) + f)[:cut])
                self.bump("half")
            elif r < 0.4:                # a length no frame has
                s.sendall(struct.pack(">I", random.choice(
                    [0, 3, 13, 1 << 20, 0xFFFFFFFF])) + b"x" * 20)
                self.bump("badlen")
        finally:
            s.close()
        self.bump("stream")
        time.sleep(random.uniform(0, 0.02))

    def dgram_client(self):
        n = self.count["dgram"]
        local = os.path.join(self.dir, "c%d.dgram" % (n % 64))
        try:
            os.unlink(local)
        except FileNotFoundError:
            pass
        vm = DgramVM.connect(self.d.dgram, local, "dg", rand_mac())
        try:
            if random.random() < 0.3:
                vm.send(b"VFKT")
            for _ in range(random.randrange(1, 6)):
                dst = random.choice([BCAST, mac(1), rand_mac()])
                vm.send(eth(dst, vm.mac, ETH_P_TEST, os.urandom(
                    random.randrange(46, 1400))))
            vm.drain(0.005)
        finally:
            vm.close()
        self.bump("dgram")
        time.sleep(random.uniform(0, 0.02))

    def dhcp_client(self):
        i = self.count["dhcp"] + self.count["dhcp_failed"]
        m = mac(100 + i % 40) if i % 10 else mac(300 + i % 4)  # reserved
        vm = StreamVM.connect(self.d.sock, "dhcp", m, gw=GW)
        vm.history = []
        try:
            try:
                ip = vm.dhcp()
            except svmlib.TestFailure as e:
                self.bump("dhcp_failed")
                why = "no ACK" if "ACK" in str(e) else "no OFFER"
                with self.lock:
                    self.dhcp_why[why] = self.dhcp_why.get(why, 0) + 1
                return
            if random.random() < 0.7:
                vm.send(eth(BCAST, vm.mac, ETH_P_IP, udp(
                    ip, GW, 68, 67, dhcp_msg(7, 1, vm.mac, ciaddr=ip,
                                             server_id=GW))))
            self.bump("dhcp")
        finally:
            vm.close()
        time.sleep(random.uniform(0, 0.05))

    def malformed(self):
        vm = StreamVM.connect(self.d.sock, "junk", rand_mac())
        try:
            for _ in range(50):
                k = random.randrange(7)
                if k == 0:      # truncated Ethernet in a valid length
                    vm.send(eth(BCAST, vm.mac, ETH_P_TEST, b"")[:14])
                elif k == 1:    # IPv4 with a broken header
                    vm.send(eth(BCAST, vm.mac, ETH_P_IP, os.urandom(
                        random.randrange(0, 80))))
                elif k == 2:    # DHCP junk to the server
                    b = bytearray(dhcp_msg(random.randrange(0, 12),
                                           random.randrange(1 << 32),
                                           vm.mac))
                    for _ in range(8):
                        b[random.randrange(240, len(b))] = \
                            random.randrange(256)
                    vm.send(eth(BCAST, vm.mac, ETH_P_IP, udp(
                        "0.0.0.0", "255.255.255.255", 68, 67,
                        bytes(b[:random.randrange(200, len(b) + 1)]))))
                elif k == 3:    # ARP junk
                    vm.send(eth(BCAST, vm.mac, ETH_P_ARP, arp_body(
                        random.randrange(4), rand_mac(), "10.77.0.%d" %
                        random.randrange(256), rand_mac(), GW)[:random.
                        randrange(0, 29)]))
                elif k == 4:    # IPv6 junk
                    vm.send(eth(b"\x33\x33\0\0\0\1", vm.mac, ETH_P_IPV6,
                                os.urandom(random.randrange(0, 120))))
                elif k == 5:    # VLAN tag
                    vm.send(eth(BCAST, vm.mac, 0x8100, os.urandom(60)))
                else:           # random bytes
                    vm.send(os.urandom(random.randrange(14, 200)))
            self.bump("malformed", 50)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                for _ in range(5):    # runt datagrams, no peer address
                    s.sendto(os.urandom(random.randrange(0, 14)),
                             self.d.dgram)
            finally:
                s.close()
            vm.drain(0.005)
        finally:
            vm.close()
        time.sleep(0.05)

    def control_requests(self):
        """The control socket's requests: the read-only ones every time,
        a malformed line (answered with an error, the connection kept),
        and every fifth time a capture started into a file and stopped.
        Each answer is checked; each request counts in
        self.count["control"]."""
        reqs = [{"cmd": c} for c in ("status", "ports", "fdb", "leases",
                                     "metrics")]
        capture = self.count["hup"] % 5 == 0
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(10)
                s.connect(self.d.sock + ".ctl")
                f = s.makefile("rb")
                for r in reqs:
                    self.control_ask(s, f, r, True)
                self.control_ask(s, f, b"{not json\n", False)
                if capture:
                    with open(os.path.join(self.dir, "soak.pcap"), "wb") as out:
                        s.sendmsg([json.dumps({"cmd": "capture",
                                               "action": "start"}).encode() +
                                   b"\n"], [(socket.SOL_SOCKET,
                                             socket.SCM_RIGHTS,
                                             struct.pack("i", out.fileno()))])
                        self.control_answer(f, "capture start", True)
                    self.control_ask(s, f, {"cmd": "capture", "action": "stop"},
                                     True)
        except (OSError, ValueError) as e:
            with self.lock:
                self.errors.append("control: %s" % e)

    def control_ask(self, s, f, req, ok):
        """Send @req (a dict, or raw bytes) on control connection @s and
        check that its answer (read from @f) says ok == @ok."""
        s.sendall(req if isinstance(req, bytes) else
                  json.dumps(req).encode() + b"\n")
        self.control_answer(f, req, ok)

    def control_answer(self, f, what, ok):
        """Read one answer line from @f; an error unless its ok is @ok."""
        line = f.readline()
        a = json.loads(line) if line else {}
        self.bump("control")
        if a.get("ok") is not ok:
            with self.lock:
                self.errors.append("control %r: answer %r" % (what, line[:200]))

    def burst(self, n=200):
        """Warm-up: @n stream and @n / 2 datagram clients at once, more
        than the churn ever has, so the allocator reaches its high-water
        mark before the baseline is taken."""
        socks, vms = [], []
        try:
            for _ in range(n):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                socks.append(s)
                s.settimeout(5)
                s.connect(self.d.sock)
                f = eth(BCAST, rand_mac(), ETH_P_TEST, os.urandom(1500))
                s.sendall(struct.pack(">I", len(f)) + f)
            for i in range(n // 2):
                local = os.path.join(self.dir, "burst%d.dgram" % i)
                vm = DgramVM.connect(self.d.dgram, local, "b", rand_mac())
                vms.append(vm)
                vm.send(eth(BCAST, vm.mac, ETH_P_TEST, os.urandom(1400)))
            wait_until(lambda: self.status_ports() >= n + n // 2 + 2, 20,
                       0.5)
        finally:
            for s in socks:
                s.close()
            for vm in vms:
                vm.close()

    # -- quiet points -----------------------------------------------------------

    def quiet(self, what):
        """Pause the churn until only the pair is connected; return
        (fds, rss, ports) there."""
        self.running.clear()
        wait_until(lambda: not any(self.busy.values()), 30, 0.05)
        # a broadcast from A makes the daemon find the datagram peers
        # whose sockets are gone
        self.a.send(eth(BCAST, self.a.mac, ETH_P_TEST, b"sweep"))
        ports = wait_until(lambda: self.status_ports() == 2 and 2, 15, 0.2)
        ports = ports or self.status_ports()
        if ports != 2:      # say which ports stayed
            for m in svmlib.PORT_STATUS_RE.findall(self.last_status)[:ports]:
                print("soak:   port %s: %s" % m)
        time.sleep(0.5)   # let the last closes settle before sampling
        fds, rss = self.d.fd_count(), self.rss()
        print("soak: %s: %d ports, %d descriptors, RSS %.1f MiB" % (
            what, ports, fds, rss / 1048576.0), flush=True)
        return fds, rss, ports

    def log_since(self, offset):
        """The daemon's log from byte @offset on (the log grows large:
        reading it whole in a loop would starve the pair's threads)."""
        with open(self.d.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode(errors="replace")

    def status_ports(self):
        """SIGUSR1; the number of open ports in the status it logs, and
        the status text (-1 and "" if none came)."""
        offset = os.path.getsize(self.d.log_path)
        self.d.send_signal(signal.SIGUSR1)
        m = wait_until(lambda: svmlib.STATUS_RE.search(
            self.log_since(offset)), 5, 0.05)
        self.last_status = self.log_since(offset)[m.start():] if m else ""
        return int(m.group(1)) if m else -1

    # -- the run ----------------------------------------------------------------

    def run(self):
        t0 = time.monotonic()
        warm = max(10.0, 0.2 * self.seconds)
        self.pair_start()
        self.burst()
        for name, fn in (("stream", self.stream_client),
                         ("dgram", self.dgram_client),
                         ("dhcp", self.dhcp_client),
                         ("malformed", self.malformed)):
            self.busy[name] = False
            self.churn(name, fn)
        self.running.set()
        base = None
        next_hup = next_sample = time.monotonic()
        while time.monotonic() - t0 < self.seconds and self.d.alive() and \
                not self.pair_error:
            now = time.monotonic()
            if base is None and now - t0 >= warm:
                base = self.quiet("baseline after %.0f s of warm-up" % warm)
                self.running.set()
            if now >= next_hup:
                if self.count["hup"] % 5 == 0:
                    self.write_hosts(self.count["hup"] // 5)
                self.d.send_signal(signal.SIGHUP)
                self.bump("hup")
                self.control_requests()
                next_hup = now + 2
            if now >= next_sample:
                self.samples.append((now - t0, self.d.fd_count(),
                                     self.rss()))
                next_sample = now + 1
            time.sleep(0.1)
        if base is None and self.d.alive():
            base = self.quiet("baseline (short run)")
        end = self.quiet("end") if self.d.alive() else None
        self.stop.set()
        elapsed = time.monotonic() - t0
        cpu = self.d.cpu_seconds() if self.d.alive() else 0.0
        rc = self.d.stop(timeout=30)
        return base, end, elapsed, cpu, rc

    def report(self, base, end, elapsed, cpu, rc):
        c = self.count
        fds = [s[1] for s in self.samples] or [0]
        rss = [s[2] for s in self.samples] or [0]
        print("soak: %.0f s, daemon CPU %.1f s (%.0f %%)" % (
            elapsed, cpu, 100.0 * cpu / max(elapsed, 1)))
        print("soak: pair: %d frames of %d bytes checked, none lost or "
              "out of order" % (self.got, PAIR_PAYLOAD + 22)
              if not self.pair_error else "soak: pair: %s" % self.pair_error)
        print("soak: churn: %d stream clients (%d left mid-frame, %d with a "
              "bad length), %d datagram clients, %d DHCP leases (%d "
              "attempts failed), %d malformed frames, %d SIGHUP, %d control "
              "requests" % (c["stream"], c["half"], c["badlen"], c["dgram"],
                            c["dhcp"], c["dhcp_failed"], c["malformed"],
                            c["hup"], c["control"]))
        if self.dhcp_why:
            print("soak: DHCP attempts that failed: %s (counted, not "
                  "checked: the reservations change under the clients)"
                  % ", ".join("%s %d" % kv for kv in
                                     sorted(self.dhcp_why.items())))
        print("soak: descriptors: min %d max %d; RSS min %.1f max %.1f MiB "
              "(%d samples)" % (min(fds), max(fds), min(rss) / 1048576.0,
                                max(rss) / 1048576.0, len(self.samples)))
        checks = []
        log = self.d.log()
        san = SANITIZER_RE.search(log)
        checks.append(("no sanitizer report, exit 0 on SIGTERM",
                       not san and rc == 0,
                       "exit %r; %s" % (rc, log[san.start():san.start() +
                                                2000] if san else "")))
        checks.append(("pair: no frame lost or reordered",
                       not self.pair_error and self.got > 0,
                       self.pair_error or "%d frames" % self.got))
        ok = base and end
        checks.append(("only the pair connected at both quiet points",
                       ok and base[2] == 2 and end[2] == 2,
                       "ports %s / %s" % (base and base[2], end and end[2])))
        checks.append(("descriptors: as many at the end as at the baseline",
                       ok and end[0] == base[0],
                       "%s -> %s" % (base and base[0], end and end[0])))
        growth = (end[1] - base[1]) if ok else None
        checks.append(("RSS growth after warm-up at most 1 MiB",
                       ok and growth <= RSS_SLACK,
                       "%s KiB" % (growth // 1024 if ok else None)))
        if self.errors:
            checks.append(("churn clients met no unexpected error", False,
                           "; ".join(self.errors[:5])))
        passed = failed = 0
        for name, good, detail in checks:
            print("%-4s %s (%s)" % ("ok" if good else "FAIL", name, detail))
            passed += bool(good)
            failed += not good
        if failed:
            print(svmlib.indent(self.d.log(), last=40))
        return passed, failed


def main():
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    binary = svmlib.binary("SOCKET_VMNET", "build-san/socket_vmnet")
    if not os.access(binary, os.X_OK):
        print("FAIL setup: %s is not an executable (make soak builds it)"
              % binary)
        summary("soak", 0, 1)
        return 1
    s = Soak(seconds, binary)
    print("soak: %s for %.0f s in %s" % (binary, seconds, s.dir), flush=True)
    try:
        passed, failed = 0, 1
        passed, failed = s.report(*s.run())
    finally:
        s.stop.set()
        if s.d.alive():
            s.d.stop(timeout=10)
        if failed or os.environ.get("SOAK_KEEP"):
            print("soak: files kept in %s" % s.dir)
        else:
            shutil.rmtree(s.dir, ignore_errors=True)
    summary("soak", passed, failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
