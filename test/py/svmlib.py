# SPDX-License-Identifier: Apache-2.0
"""The one helper of the Python test suites (integration.py,
guard_attacks.py, e2e.py and test/doubles/vmnet_e2e.py).  Standard library
only.

    checks      TestFailure, TestTimeout, TestSkip, Closed, check
    frames      mac, fmt_mac, ip4, csum, new_tag, eth, arp_body, ipv4, udp,
                icmp_echo, dhcp_msg, parse
    processes   wait_until, run, indent, pid_alive, kill_pid, netns_add,
                netns_del
    the daemon  Daemon: start it in a directory, wait until it is ready,
                read and wait for its log, its ports, its SIGUSR1 status
                dump; signal, stop, kill
    VMs         VM (the common part), StreamVM (4-byte length + frame),
                DgramVM (one frame per datagram)
    runner      Ctx (one test's directory, daemons and VMs, cleaned up),
                Suite (registration, -k, --list, per-test timeout, the
                final "NAME: N passed, N failed" line), summary

Every wait here is bounded: by an event (a process exit, a frame, a log
line), checked again in a loop until a deadline.
"""

import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def binary(env, name):
    """The program named by $@env, else @name in the repository's top
    directory; a relative path is taken from the repository's top."""
    path = os.environ.get(env) or os.path.join(REPO, name)
    if not os.path.isabs(path):
        path = os.path.join(REPO, path)
    return path


SVM = binary("SOCKET_VMNET", "socket_vmnet")
CLIENT = binary("SOCKET_VMNET_CLIENT", "socket_vmnet_client")

RECV_TIMEOUT = 3.0       # seconds to wait for a frame that must arrive
QUIET = 0.3              # seconds in which nothing may arrive
DGRAM_MAX = 1 << 17      # receive buffer of a datagram VM (> any frame)

BCAST = b"\xff" * 6
ZERO_MAC = b"\x00" * 6
ETH_P_IP, ETH_P_ARP, ETH_P_IPV6 = 0x0800, 0x0806, 0x86DD
ETH_P_TEST = 0x88B5      # IEEE local experimental


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

class TestFailure(Exception):
    """A test's assertion failed; the message says what was wrong."""


class TestTimeout(Exception):
    """A test ran longer than its suite allows (raised by SIGALRM)."""


class TestSkip(Exception):
    """A test cannot run here (no root, a missing tool); a failure in CI."""


class Closed(TestFailure, EOFError):
    """The daemon closed (or reset) a VM's connection: a TestFailure, and an
    EOFError for the tests that expect it."""


def check(cond, msg):
    """Raise TestFailure(@msg) unless @cond holds."""
    if not cond:
        raise TestFailure(msg)


# ---------------------------------------------------------------------------
# Addresses and frames
# ---------------------------------------------------------------------------

def mac(n):
    """A locally administered unicast MAC 02:00:00:00:xx:yy."""
    return bytes([0x02, 0x00, 0x00, 0x00, (n >> 8) & 0xFF, n & 0xFF])


def fmt_mac(m):
    """A MAC as text, aa:bb:cc:dd:ee:ff."""
    return ":".join("%02x" % b for b in m)


def ip4(s):
    """An IPv4 address as 4 bytes (they compare in address order)."""
    return socket.inet_aton(s)


def csum(b):
    """The Internet checksum (RFC 1071) of @b."""
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


_tags = [0]


def new_tag(what):
    """A tag unique in this run, to put in a frame and find it again."""
    _tags[0] += 1
    return ("<%s#%d#%d>" % (what, os.getpid(), _tags[0])).encode()


def eth(dst, src, etype, payload, tag=b""):
    """An Ethernet frame; @tag goes after the payload, then zero padding to
    60 bytes."""
    f = dst + src + struct.pack("!H", etype) + payload + tag
    return f + b"\0" * max(0, 60 - len(f))


def arp_body(op, sha, spa, tha, tpa):
    """An Ethernet/IPv4 ARP message (@op 1 request, 2 reply)."""
    return (struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, op) + sha + ip4(spa) +
            tha + ip4(tpa))


def ipv4(src, dst, proto, payload, frag=0, ident=None):
    """An IPv4 packet with a right header checksum (random id by default)."""
    ident = random.randrange(65536) if ident is None else ident
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                    frag, 64, proto, 0, ip4(src), ip4(dst))
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def udp(src, dst, sport, dport, payload):
    """A UDP datagram in IPv4, with a right checksum."""
    u = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ph = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, len(u))
    c = csum(ph + u) or 0xFFFF
    return ipv4(src, dst, 17, u[:6] + struct.pack("!H", c) + u[8:])


def icmp_echo(src, dst, ident, seq, typ=8, data=b"guard-test"):
    """An ICMP echo request (or reply, @typ 0) in IPv4."""
    m = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + data
    m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
    return ipv4(src, dst, 1, m)


def dhcp_msg(mtype, xid, chaddr, client_id=None, req_ip=None, server_id=None,
             ciaddr="0.0.0.0", yiaddr="0.0.0.0", op=1, bcast=True,
             extra=b""):
    """A DHCP message of type @mtype (option 53) with the options given,
    padded to 300 bytes; @extra holds more raw options."""
    m = struct.pack("!BBBBIHH", op, 1, 6, 0, xid, 0, 0x8000 if bcast else 0)
    m += ip4(ciaddr) + ip4(yiaddr) + ip4("0.0.0.0") + ip4("0.0.0.0")
    m += chaddr + b"\0" * 10 + b"\0" * 192 + b"\x63\x82\x53\x63"
    m += bytes([53, 1, mtype])
    if client_id is not None:
        m += bytes([61, len(client_id)]) + client_id
    if req_ip:
        m += bytes([50, 4]) + ip4(req_ip)
    if server_id:
        m += bytes([54, 4]) + ip4(server_id)
    m += extra + b"\xff"
    return m + b"\0" * max(0, 300 - len(m))


def parse(f):
    """A dict describing a frame: eth fields, and ARP/IPv4/UDP/ICMP/DHCP/
    IPv6 fields where they apply."""
    d = {"dst": f[0:6], "src": f[6:12], "type": struct.unpack("!H",
                                                            f[12:14])[0]}
    p = f[14:]
    if d["type"] == ETH_P_ARP and len(p) >= 28:
        d["arp"] = dict(op=struct.unpack("!H", p[6:8])[0], sha=p[8:14],
                        spa=socket.inet_ntoa(p[14:18]), tha=p[18:24],
                        tpa=socket.inet_ntoa(p[24:28]))
    elif d["type"] == ETH_P_IP and len(p) >= 20:
        hl = (p[0] & 15) * 4
        d["ip"] = dict(src=socket.inet_ntoa(p[12:16]),
                       dst=socket.inet_ntoa(p[16:20]), proto=p[9])
        l4 = p[hl:]
        if p[9] == 17 and len(l4) >= 8:
            sport, dport = struct.unpack("!HH", l4[:4])
            d["udp"] = (sport, dport)
            b = l4[8:]
            if sport == 67 and len(b) >= 240:
                opts, o = {}, 240
                while o + 2 <= len(b) and b[o] != 255:
                    if b[o] == 0:
                        o += 1
                        continue
                    opts[b[o]] = b[o + 2:o + 2 + b[o + 1]]
                    o += 2 + b[o + 1]
                d["dhcp"] = dict(xid=struct.unpack("!I", b[4:8])[0],
                                 yiaddr=socket.inet_ntoa(b[16:20]),
                                 chaddr=b[28:34],
                                 mtype=opts.get(53, b"\0")[0],
                                 server=socket.inet_ntoa(opts[54])
                                 if len(opts.get(54, b"")) == 4 else None)
        elif p[9] == 1 and len(l4) >= 8:
            d["icmp"] = dict(type=l4[0], id=struct.unpack("!H", l4[4:6])[0],
                             seq=struct.unpack("!H", l4[6:8])[0])
    elif d["type"] == ETH_P_IPV6 and len(p) >= 40:
        d["ip6"] = dict(src=socket.inet_ntop(socket.AF_INET6, p[8:24]),
                        dst=socket.inet_ntop(socket.AF_INET6, p[24:40]),
                        nh=p[6])
        if p[6] == 58 and len(p) > 40:
            d["icmp6"] = p[40]
    return d


# ---------------------------------------------------------------------------
# Processes and namespaces
# ---------------------------------------------------------------------------

def wait_until(fn, timeout, step=0.02):
    """Call fn() until it returns something true or @timeout seconds have
    passed; return its last value."""
    end = time.monotonic() + timeout
    while True:
        v = fn()
        if v or time.monotonic() >= end:
            return v
        time.sleep(min(step, max(0.0, end - time.monotonic())))


def run(argv, check=True, timeout=30, **kw):
    """Run @argv (stdin from /dev/null, stdout and stderr together as
    text); TestFailure if it exits non-zero and @check."""
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       stdin=subprocess.DEVNULL, text=True, timeout=timeout,
                       **kw)
    if check and r.returncode != 0:
        raise TestFailure("%s: exit %d: %s" % (" ".join(argv), r.returncode,
                                               r.stdout.strip()))
    return r


def indent(text, prefix="    | ", last=40):
    """@text with @prefix on each line; only its @last lines (None: all)."""
    lines = text.splitlines()
    if last is not None and len(lines) > last:
        lines = ["... (%d lines before)" % (len(lines) - last)] + \
            lines[-last:]
    return "\n".join(prefix + ln for ln in lines)


def pid_alive(pid):
    """True if process @pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def kill_pid(pid, timeout=5.0):
    """SIGTERM to a process we did not start as a child; SIGKILL if it is
    still there after @timeout."""
    if not pid or not pid_alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    if not wait_until(lambda: not pid_alive(pid), timeout):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def netns_add(name):
    """Make network namespace @name with its loopback up."""
    run(["ip", "netns", "add", name])
    run(["ip", "-n", name, "link", "set", "lo", "up"])
    return name


def netns_del(name):
    """End every process in network namespace @name, then delete it."""
    r = run(["ip", "netns", "pids", name], check=False)
    for p in r.stdout.split():
        if p.isdigit():
            kill_pid(int(p), 2)
    run(["ip", "netns", "del", name], check=False)


# ---------------------------------------------------------------------------
# The daemon
# ---------------------------------------------------------------------------

def proc_children(pid):
    """The pids of @pid's children (empty once it is gone)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def proc_uid(pid):
    """The real uid of process @pid, or None once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for ln in f:
                if ln.startswith("Uid:"):
                    return int(ln.split()[1])
    except OSError:
        pass
    return None


def switch_pid_of(pid):
    """The pid of the process that runs the switch of the daemon @pid:
    started as root, its unprivileged child (the worker; the NAT keeper is
    a root child), else @pid itself."""
    for k in proc_children(pid):
        if proc_uid(k) not in (None, 0):
            return k
    return pid


def daemon_env():
    """The environment for a daemon: ours without DEBUG (tests that want
    debug logging ask for it)."""
    env = dict(os.environ)
    env.pop("DEBUG", None)
    return env


STATUS_RE = re.compile(r"INFO: status: (\d+) ports")
PORT_STATUS_RE = re.compile(r"port (\d+) status: ([^\n]*)\n")


class Daemon:
    """One socket_vmnet (or another build of it, @binary) run in directory
    @workdir, its stdout and stderr in @workdir/NAME.log.

    The command line is [wrapper...] [ip netns exec NETNS] BINARY
    --pidfile=PIDFILE [--dgram-socket=DGRAM] ARGS... [SOCK]; @pidfile
    defaults to @workdir/NAME.pid.  @popen starts it (subprocess.Popen, or a
    function with its signature).  With @ready the constructor waits until
    the pidfile holds the daemon's pid (it writes it once it listens).
    Each start appends a line "=== start N: COMMAND" to the log; log() and
    the methods that search the log leave those lines out.  Log regexes
    match with @log_flags (default: case-insensitive)."""

    def __init__(self, workdir, name="daemon", args=(), *, binary=None,
                 sock=None, pidfile=None, dgram=None, short_p=False,
                 netns=None, wrapper=(), env=None, pass_fds=(),
                 new_session=False, popen=subprocess.Popen,
                 log_flags=re.I, ready=True, ready_timeout=10.0):
        self.workdir = workdir
        self.name = name
        self.binary = binary or SVM
        self.sock = sock
        self.dgram = dgram
        self.pidfile = pidfile or os.path.join(workdir, name + ".pid")
        self.short_p = short_p
        self.netns = netns
        self.wrapper = list(wrapper)
        self.env = env
        self.new_session = new_session
        self.popen = popen
        self.log_flags = log_flags
        self.ready_timeout = ready_timeout
        self.log_path = os.path.join(workdir, name + ".log")
        self.proc = None
        self.pid = None
        self.starts = 0
        self.returncode = None
        self.expect_dead = False   # a test killed it: no exit code check
        self.vms = []
        self.args = list(args)
        self.start(pass_fds=pass_fds, ready=ready)

    @property
    def gateway(self):
        """The --vmnet-gateway address of the command line, or None."""
        gw = None
        for a in self.args:
            if a.startswith("--vmnet-gateway="):
                gw = a.split("=", 1)[1]
        return gw

    def command(self):
        """The command line of the next start."""
        argv = list(self.wrapper)
        if self.netns:
            argv += ["ip", "netns", "exec", self.netns]
        argv.append(self.binary)
        argv += ["-p", self.pidfile] if self.short_p else \
            ["--pidfile=" + self.pidfile]
        if self.dgram:
            argv.append("--dgram-socket=" + self.dgram)
        argv += self.args
        if self.sock:
            argv.append(self.sock)
        return argv

    def start(self, args=None, pass_fds=(), ready=True):
        """Start the daemon (again, with new @args if given); with @ready
        wait until it is ready."""
        if args is not None:
            self.args = list(args)
        self.starts += 1
        self.returncode = None
        argv = self.command()
        with open(self.log_path, "ab") as log:
            log.write(("=== start %d: %s\n" % (self.starts, " ".join(argv)))
                      .encode())
            log.flush()
            self.proc = self.popen(argv, stdin=subprocess.DEVNULL,
                                   stdout=log, stderr=subprocess.STDOUT,
                                   pass_fds=tuple(pass_fds),
                                   env=self.env or daemon_env(),
                                   start_new_session=self.new_session)
        self.pid = self.proc.pid
        if ready:
            self.wait_ready()

    def _said_ready(self):
        """True once the current start logged "socket_vmnet ... ready"."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            return False
        last = text.rfind("=== start %d:" % self.starts)
        return last >= 0 and re.search(r"socket_vmnet \S+ ready: ",
                                       text[last:]) is not None

    def _pidfile_is_ours(self):
        try:
            with open(self.pidfile) as f:
                return f.read().strip() == str(self.pid)
        except OSError:
            return False

    def wait_ready(self, timeout=None, exit_ok=False):
        """Wait until the pidfile holds our pid and this start logged its
        "ready" line (which comes from the process that runs the switch,
        once privileges are dropped): True.  If the daemon exits
        first: False with @exit_ok, else TestFailure; TestFailure after
        @timeout (default: the constructor's ready_timeout)."""
        timeout = self.ready_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not (self._pidfile_is_ours() and self._said_ready()):
            if self.proc.poll() is not None:
                if exit_ok:
                    return False
                raise TestFailure("%s exited with %d before it was ready:\n%s"
                                  % (self.name, self.proc.returncode,
                                     self.tail()))
            left = deadline - time.monotonic()
            if left <= 0:
                raise TestFailure("%s: no pidfile with pid %d after %.0fs:\n%s"
                                  % (self.name, self.pid, timeout,
                                     self.tail()))
            try:        # the exit is an event: wake up at once on it
                self.proc.wait(min(0.01, left))
            except subprocess.TimeoutExpired:
                pass
        return True

    # -- the process ---------------------------------------------------------

    def alive(self):
        """True while the daemon runs."""
        return self.proc is not None and self.proc.poll() is None

    def switch_pid(self):
        """The process that runs the switch: started as root, the daemon's
        unprivileged worker (switch_pid_of()), else the daemon itself."""
        return switch_pid_of(self.pid)

    def fd_count(self):
        """How many file descriptors the switch process has open."""
        return len(os.listdir("/proc/%d/fd" % self.switch_pid()))

    def cpu_seconds(self):
        """User plus system CPU time of the switch process, in seconds."""
        with open("/proc/%d/stat" % self.switch_pid()) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def send_signal(self, sig):
        """Send @sig to the daemon."""
        os.kill(self.pid, sig)

    def close_vms(self):
        """Close the VMs made by connect()."""
        for vm in self.vms:
            try:
                vm.close()
            except OSError:
                pass

    def stop(self, sig=signal.SIGTERM, timeout=20.0):
        """Send @sig (if still running) and wait up to @timeout; return the
        exit code, or None if it did not exit (it is then killed)."""
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(sig)
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                if self.new_session:
                    try:
                        os.killpg(self.proc.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.proc.kill()
                self.proc.wait()
                self.returncode = None
                return None
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self):
        """SIGKILL, as a crash would; the exit code is not checked.  The
        switch process a root daemon runs as its child follows it (it is
        told of its parent's death); it is waited for (at most 10 s), so
        that the next daemon finds the sockets free."""
        self.expect_dead = True
        kids = proc_children(self.pid) if self.pid else []
        self.stop(signal.SIGKILL)
        wait_until(lambda: not any(pid_alive(k) for k in kids), 10.0)

    # -- the log -------------------------------------------------------------

    def log(self):
        """The daemon's output so far, without our "=== start" lines."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""
        return "".join(ln for ln in text.splitlines(keepends=True)
                       if not ln.startswith("=== start "))

    def tail(self, n=25):
        """The last @n lines of the log file (with the start lines),
        indented for a message."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except FileNotFoundError:
            text = ""
        return indent(text, last=n)

    def log_lines(self, regex):
        """The log lines matching @regex."""
        r = re.compile(regex, self.log_flags)
        return [ln for ln in self.log().splitlines() if r.search(ln)]

    def log_count(self, regex):
        """How many log lines match @regex."""
        return len(self.log_lines(regex))

    def log_has(self, regex, count=1, timeout=3.0):
        """True once @count log lines match @regex, False if they do not
        within @timeout."""
        return bool(wait_until(lambda: self.log_count(regex) >= count,
                               timeout, 0.01))

    def wait_log(self, regex, count=1, timeout=5.0):
        """Wait until @count log lines match @regex and return them all;
        TestFailure with the log if they do not within @timeout."""
        def enough():
            lines = self.log_lines(regex)
            return lines if len(lines) >= count else None
        lines = wait_until(enough, timeout, 0.02)
        if lines:
            return lines
        have = self.log_lines(regex)
        raise TestFailure("%s: %d log line(s) matching /%s/ after %.0fs, "
                          "wanted %d; log:\n%s" % (
                              self.name, len(have), regex, timeout, count,
                              indent(self.log())))

    def ports(self, what="connected", detail=""):
        """The port numbers of the log lines "port N WHAT" followed by
        regex @detail (e.g. ": stream"), in log order."""
        r = re.compile(r"port (\d+) %s%s" % (what, detail), self.log_flags)
        return [int(m.group(1)) for m in map(r.search, self.log().splitlines())
                if m]

    def wait_port(self, before, what="connected", detail="", timeout=3.0):
        """The port number of the (@before + 1)-th "port N WHAT DETAIL"
        line once it is logged, or None after @timeout."""
        def logged():
            ids = self.ports(what, detail)
            return ids if len(ids) > before else None
        ids = wait_until(logged, timeout, 0.01)
        return ids[before] if ids else None

    # -- VMs and the status dump ----------------------------------------------

    def connect(self, name, mac=None, path=None, learn_port=True,
                timeout=3.0):
        """A StreamVM on the daemon's socket (or @path).  With
        @learn_port, wait for its "port N connected: stream" line and set
        vm.port (None if it does not come within @timeout)."""
        before = len(self.ports("connected", ": stream")) if learn_port \
            else 0
        vm = StreamVM.connect(path or self.sock, name, mac, gw=self.gateway)
        self.vms.append(vm)
        if learn_port:
            vm.port = self.wait_port(before, "connected", ": stream",
                                     timeout)
        return vm

    def status(self, timeout=3.0):
        """SIGUSR1, then wait for the whole status dump (its header says
        how many port lines follow).  Returns {port: counters}; counters:
        rx (frames received), tx (frames sent), dropped (tx drops) and
        guard ({reason: frames dropped by the guard})."""
        before = len(STATUS_RE.findall(self.log()))
        self.send_signal(signal.SIGUSR1)

        def dump():
            text = self.log()
            heads = list(STATUS_RE.finditer(text))
            if len(heads) <= before:
                return None
            want = int(heads[before].group(1))
            lines = PORT_STATUS_RE.findall(text, heads[before].end())[:want]
            return lines if len(lines) == want else None
        lines = wait_until(dump, timeout, 0.01)
        check(lines is not None, "%s: no complete status dump %.0fs after "
              "SIGUSR1:\n%s" % (self.name, timeout, self.tail()))
        out = {}
        for port, text in lines:
            c = {"guard": {}}
            for key, rx in (("rx", r"rx (\d+) frames"),
                            ("tx", r"tx (\d+) frames"),
                            ("dropped", r"(\d+) dropped")):
                m = re.search(rx, text)
                c[key] = int(m.group(1)) if m else None
            g = re.search(r", guard dropped \d+ \((.*)\)$", text)
            if g:
                for item in g.group(1).split(", "):
                    k, v = item.rsplit(": ", 1)
                    c["guard"][k] = int(v)
            out[int(port)] = c
        return out

    def wait_rx(self, port, n=1, timeout=3.0):
        """Wait until the status dump shows port @port has received @n
        frames, so the daemon has handled them (it handles a frame as it
        counts it): TestFailure if not within @timeout."""
        got = wait_until(lambda: (self.status().get(port) or {}).get(
            "rx", 0) >= n, timeout, 0.05)
        check(got, "%s: port %s did not receive %d frame(s) within %.0fs\n%s"
              % (self.name, port, n, timeout, self.tail()))


# ---------------------------------------------------------------------------
# VMs
# ---------------------------------------------------------------------------

class VM:
    """A VM's end of a port: sends frames, receives them with a timeout and
    keeps every frame it received (history).  StreamVM and DgramVM supply
    the transport; @gw is the gateway it expects DHCP from (or None), @ip
    its address once it has one, @port the daemon's port number if known."""

    def __init__(self, sock, name, mac=None, path=None, gw=None):
        self.sock = sock
        self.name = name
        self.mac = mac
        self.path = path
        self.gw = gw
        self.ip = None
        self.port = None
        self.history = []
        self.closed = False

    def send(self, f):
        """Send one frame."""
        raise NotImplementedError

    def recv(self, timeout=RECV_TIMEOUT):
        """The next frame, or None after @timeout; Closed if the daemon
        closed the connection."""
        raise NotImplementedError

    def close(self):
        """Close the socket (once)."""
        if not self.closed:
            self.closed = True
            self.sock.close()

    def wait(self, pred, timeout=RECV_TIMEOUT):
        """The first frame for which pred(parse(f), f) holds, or None."""
        deadline = time.monotonic() + timeout
        while True:
            f = self.recv(max(0.0, deadline - time.monotonic()))
            if f is None:
                return None
            try:
                if pred(parse(f), f):
                    return f
            except (KeyError, TypeError, IndexError, struct.error):
                pass

    def drain(self, window=QUIET):
        """Receive until nothing comes for @window seconds."""
        while self.recv(window) is not None:
            pass

    def got(self, tag):
        """True if a frame received so far holds @tag."""
        return any(tag in f for f in self.history)

    # -- building blocks --------------------------------------------------------

    def marker(self):
        """Send a harmless broadcast from our own MAC; returns its tag."""
        t = new_tag("marker-" + self.name)
        self.send(eth(BCAST, self.mac, ETH_P_TEST, b"", t))
        return t

    def sync(self, *receivers):
        """Marker to @receivers: afterwards each has seen all we sent."""
        t = self.marker()
        for r in receivers:
            check(r.wait(lambda d, f: t in f) is not None,
                  "%s never got %s's marker (the positive control of the "
                  "delivery path)" % (r.name, self.name))

    def dhcp(self, chaddr=None, client_id=None, req_ip=None):
        """DISCOVER/OFFER/REQUEST/ACK with the daemon (the OFFER must come
        from self.gw if set); returns the address."""
        chaddr = chaddr or self.mac
        xid = random.randrange(1 << 32)
        self.send(eth(BCAST, self.mac, ETH_P_IP, udp(
            "0.0.0.0", "255.255.255.255", 68, 67,
            dhcp_msg(1, xid, chaddr, client_id, req_ip))))
        off = self.wait(lambda d, f: d["dhcp"]["xid"] == xid and
                        d["dhcp"]["mtype"] == 2)
        check(off is not None, "%s: no DHCP OFFER" % self.name)
        o = parse(off)["dhcp"]
        server = o["server"]
        if self.gw:
            check(server == self.gw and parse(off)["ip"]["src"] == self.gw,
                  "%s: OFFER not from the gateway: %r" % (self.name, o))
        self.send(eth(BCAST, self.mac, ETH_P_IP, udp(
            "0.0.0.0", "255.255.255.255", 68, 67,
            dhcp_msg(3, xid, chaddr, client_id, o["yiaddr"], server))))
        ack = self.wait(lambda d, f: d["dhcp"]["xid"] == xid and
                        d["dhcp"]["mtype"] in (5, 6))
        check(ack is not None and parse(ack)["dhcp"]["mtype"] == 5,
              "%s: no DHCP ACK for %s" % (self.name, o["yiaddr"]))
        if chaddr == self.mac:
            self.ip = o["yiaddr"]
        return o["yiaddr"]

    def arp_resolve(self, ip, spa=None):
        """The MAC that answers an ARP request for @ip, or None."""
        spa = spa or self.ip or "0.0.0.0"
        self.send(eth(BCAST, self.mac, ETH_P_ARP,
                      arp_body(1, self.mac, spa, ZERO_MAC, ip)))
        f = self.wait(lambda d, f: d["arp"]["op"] == 2 and
                      d["arp"]["spa"] == ip and d["dst"] == self.mac)
        return parse(f)["arp"]["sha"] if f else None

    def ping(self, ip, dst_mac, answer_arp=False, timeout=RECV_TIMEOUT):
        """ICMP echo to @ip via @dst_mac; True if the reply came. With
        @answer_arp, ARP requests for our address are answered meanwhile."""
        ident, seq = random.randrange(65536), random.randrange(65536)
        self.send(eth(dst_mac, self.mac, ETH_P_IP,
                      icmp_echo(self.ip, ip, ident, seq)))

        def pred(d, f):
            a = d.get("arp")
            if answer_arp and a and a["op"] == 1 and a["tpa"] == self.ip:
                self.send(eth(a["sha"], self.mac, ETH_P_ARP, arp_body(
                    2, self.mac, self.ip, a["sha"], a["spa"])))
                return False
            i = d.get("icmp")
            return (i and i["type"] == 0 and i["id"] == ident and
                    d["ip"]["src"] == ip)
        return self.wait(pred, timeout) is not None


class StreamVM(VM):
    """A VM on a stream socket: each frame is a 4-byte big-endian length
    and the frame."""

    @classmethod
    def connect(cls, path, name, mac=None, gw=None):
        """Connect to the daemon's stream socket @path."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        s.settimeout(5)
        try:
            s.connect(path)
        except BaseException:
            s.close()
            raise
        return cls(s, name, mac, gw=gw)

    def __init__(self, sock, name, mac=None, path=None, gw=None):
        super().__init__(sock, name, mac, path, gw)
        self.buf = b""

    def send(self, f):
        """Send one frame with its length."""
        self.send_raw(struct.pack(">I", len(f)) + f)

    def send_raw(self, data):
        """Send bytes as they are (bad lengths, partial frames...)."""
        self.sock.settimeout(10)
        self.sock.sendall(data)

    def recv(self, timeout=RECV_TIMEOUT):
        """The next frame, or None after @timeout; Closed when the daemon
        closed or reset the connection."""
        deadline = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 4:
                n = struct.unpack(">I", self.buf[:4])[0]
                if len(self.buf) >= 4 + n:
                    f = self.buf[4:4 + n]
                    self.buf = self.buf[4 + n:]
                    self.history.append(f)
                    return f
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(1 << 20)
            except socket.timeout:
                return None
            except ConnectionResetError:
                raise Closed("%s: the daemon reset the connection" %
                             self.name)
            if not data:
                raise Closed("%s: the daemon closed the connection" %
                             self.name)
            self.buf += data

    def wait_eof(self, timeout=5.0):
        """True if the daemon closes this connection within @timeout
        (whatever arrives meanwhile is dropped)."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.sock.settimeout(max(0.01, deadline - time.monotonic()))
                try:
                    data = self.sock.recv(1 << 16)
                except socket.timeout:
                    return False
                if not data:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        return False

    def unsent(self):
        """Bytes we sent that the daemon has not read yet (SIOCOUTQ)."""
        import fcntl
        import termios
        buf = fcntl.ioctl(self.sock.fileno(), termios.TIOCOUTQ,
                          struct.pack("i", 0))
        return struct.unpack("i", buf)[0]

    def wait_read(self, timeout=5.0):
        """True once the daemon has read everything we sent, False if it
        has not within @timeout."""
        return bool(wait_until(lambda: self.unsent() == 0, timeout, 0.01))


class DgramVM(VM):
    """A VM on a datagram socket: one frame per datagram, from its own bound
    address (@path, if it has one)."""

    @classmethod
    def connect(cls, server_path, local_path, name, mac=None, gw=None):
        """Bind @local_path and connect to the daemon's --dgram-socket."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
            s.bind(local_path)
            # The daemon's switch process writes to this socket file; as
            # root it runs as nobody (docs/SECURITY.md): let it.
            os.chmod(local_path, 0o666)
            s.connect(server_path)
        except BaseException:
            s.close()
            raise
        return cls(s, name, mac, local_path, gw)

    def send(self, f):
        """Send one frame (or any bytes) as one datagram."""
        self.sock.settimeout(10)
        self.sock.send(f)

    send_raw = send

    def recv(self, timeout=RECV_TIMEOUT):
        """The next datagram, or None after @timeout."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            f = self.sock.recv(DGRAM_MAX)
        except (socket.timeout, BlockingIOError):
            return None
        self.history.append(f)
        return f

    def close(self, unlink=True):
        """Close the socket; with @unlink remove its bound path too."""
        if not self.closed:
            super().close()
            if unlink and self.path:
                try:
                    os.unlink(self.path)
                except FileNotFoundError:
                    pass


# ---------------------------------------------------------------------------
# One test's world, and the runner
# ---------------------------------------------------------------------------

SANITIZER_RE = re.compile(r"Sanitizer|runtime error:|LeakSanitizer")


class Ctx:
    """One test's world: a temporary directory (mode 755, so another user
    can be let in), its daemons and VMs, and whatever else is handed to
    own() or defer(); cleanup() undoes it all, last made first.

    @daemon_defaults are the keywords of daemon() a suite always uses
    (base_args, sock, pidfile, name, ...); "{name}" in sock and pidfile is
    the daemon's name, "{n}" in name its number."""

    def __init__(self, name, prefix="svm-test-", daemon_defaults=None):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=prefix)
        os.chmod(self.dir, 0o755)
        self.daemon_defaults = dict(daemon_defaults or {})
        self.daemons = []
        self.vms = []
        self._undo = []
        self._n = 0

    def path(self, name):
        """@name in the test's directory."""
        return os.path.join(self.dir, name)

    def defer(self, fn, *args):
        """Call fn(*args) at cleanup."""
        self._undo.append((fn, args))

    def own(self, *objs):
        """Close (files, sockets, VMs) or kill (processes) @objs at
        cleanup; returns the first."""
        for o in objs:
            if isinstance(o, VM):
                self.vms.append(o)
            if isinstance(o, subprocess.Popen):
                self.defer(self._end_proc, o)
            else:
                self.defer(o.close)
        return objs[0] if objs else None

    @staticmethod
    def _end_proc(p):
        if p.poll() is None:
            p.kill()
        p.wait()

    def daemon(self, *args, ready=True, **opts):
        """Start a Daemon in the test's directory with the suite's
        defaults, then @opts (Daemon's keywords, and base_args: arguments
        before @args); relative sock, pidfile and dgram names are in the
        directory.  With @ready, wait until it is ready."""
        o = dict(self.daemon_defaults)
        o.update(opts)
        name = (o.pop("name", None) or "daemon{n}").format(
            n=len(self.daemons))
        base = list(o.pop("base_args", None) or [])
        for k in ("sock", "pidfile", "dgram"):
            if o.get(k):
                o[k] = self.path(o[k].format(name=name))
        d = Daemon(self.dir, name, base + list(args), ready=False, **o)
        self.daemons.append(d)
        self.defer(self._end_daemon, d)
        if ready:
            d.wait_ready()
        return d

    @staticmethod
    def _end_daemon(d):
        d.close_vms()
        if d.alive():
            d.stop(timeout=10)

    def run_daemon(self, args, timeout=10, pass_fds=()):
        """Run the daemon expecting it to exit; return (exit code, output)."""
        try:
            p = subprocess.run([SVM] + list(args), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=timeout,
                               env=daemon_env(), cwd=self.dir,
                               pass_fds=pass_fds)
        except subprocess.TimeoutExpired:
            raise TestFailure("socket_vmnet %s did not exit within %ds" %
                              (" ".join(args), timeout))
        return p.returncode, p.stdout.decode(errors="replace")

    def stream(self, d, n=None, name=None):
        """A StreamVM on daemon @d with MAC mac(@n) (default: the next
        number)."""
        self._n += 1
        n = self._n if n is None else n
        return d.connect(name or "stream%d" % n, mac(n), learn_port=False)

    def dgram(self, d, n=None, name=None, m=None):
        """A DgramVM bound in the test's directory, to daemon @d's
        --dgram-socket (or the socket path @d), with MAC @m or mac(@n)."""
        self._n += 1
        n = self._n if n is None else n
        server = d if isinstance(d, str) else d.dgram
        local = self.path("vm%d-%d.dgram" % (n, len(self.vms)))
        gw = None if isinstance(d, str) else d.gateway
        vm = DgramVM.connect(server, local, name or "dgram%d" % n,
                             m or mac(n), gw)
        return self.own(vm)

    def all_vms(self):
        """Every VM of the test."""
        return self.vms + [vm for d in self.daemons for vm in d.vms]

    def finish(self):
        """Close the VMs and stop every daemon still running with SIGTERM:
        each must exit 0 and its log must hold no sanitizer report (the
        ones a test killed are not checked)."""
        for vm in self.all_vms():
            vm.close()
        problems = []
        for d in self.daemons:
            if d.expect_dead:
                continue
            rc = d.stop()
            if rc is None:
                problems.append("%s hung on SIGTERM" % d.name)
            elif rc != 0:
                problems.append("%s exited with %d, not 0" % (d.name, rc))
            if SANITIZER_RE.search(d.log()):
                problems.append("%s: sanitizer report in its log" % d.name)
        if problems:
            raise TestFailure("; ".join(problems))

    def logs(self, n=25):
        """The tails of every daemon's log, for a failure report."""
        return "\n".join("    --- %s log (tail) ---\n%s" % (d.name, d.tail(n))
                         for d in self.daemons)

    def cleanup(self):
        """Undo everything, last made first, whatever fails; then remove
        the directory."""
        while self._undo:
            fn, args = self._undo.pop()
            try:
                fn(*args)
            except Exception as e:  # keep cleaning
                print("    cleanup: %s: %s" % (getattr(fn, "__name__", fn),
                                               e), file=sys.stderr)
        shutil.rmtree(self.dir, ignore_errors=True)


def summary(name, passed, failed):
    """Print the last line of a suite, the one test/run-tests reads."""
    print("%s: %d passed, %d failed" % (name, passed, failed), flush=True)


class _Interrupted(Exception):
    pass


class Suite:
    """A list of tests and the runner of test/py suites:

        SUITE = Suite("guard", timeout=60)
        @SUITE.test("a name")   or   @SUITE.test   (the function's name)
        def t(ctx): ...
        sys.exit(SUITE.main(sys.argv[1:]))

    Each test gets a fresh Ctx and at most @timeout seconds (SIGALRM), and
    prints "ok", "skip" or "FAIL" with its time; a failure shows where and
    the daemons' logs.  With @finish, ctx.finish() ends each test (daemons
    must stop cleanly).  A skip counts as a failure when CI=true or
    REQUIRE_QEMU=1 (test/run-tests sets it as root).
    Arguments: -k WORD (or WORD) runs the tests whose name has WORD (any of
    them), --list lists them.  The last line is "NAME: N passed, N
    failed"; the exit code 1 if anything failed.  @binaries must exist
    before anything runs."""

    def __init__(self, name, timeout, prefix="svm-test-", binaries=(SVM,),
                 daemon_defaults=None, finish=False):
        self.name = name
        self.timeout = timeout
        self.prefix = prefix
        self.binaries = list(binaries)
        self.daemon_defaults = daemon_defaults or {}
        self.finish = finish
        self.tests = []

    def test(self, name_or_fn):
        """Register a test: @test (named after the function) or
        @test("name")."""
        if callable(name_or_fn):
            self.tests.append((name_or_fn.__name__, name_or_fn))
            return name_or_fn

        def deco(fn):
            self.tests.append((name_or_fn, fn))
            return fn
        return deco

    def _alarm(self, signum, frame_):
        raise TestTimeout("test took longer than %ds" % self.timeout)

    @staticmethod
    def _terminate(signum, frame_):
        raise _Interrupted("signal %d" % signum)

    def run_one(self, name, fn):
        """Run one test; returns "ok", "skip" or "FAIL"."""
        ctx = Ctx(name, self.prefix, self.daemon_defaults)
        t0 = time.monotonic()
        status, err, tb = "ok", None, ""
        signal.alarm(self.timeout)
        try:
            fn(ctx)
            if self.finish:
                ctx.finish()
        except TestSkip as e:
            status, err = "skip", e
        except _Interrupted:
            raise
        except Exception as e:
            status, err, tb = "FAIL", e, traceback.format_exc()
        finally:
            signal.alarm(0)
            logs = ctx.logs() if status == "FAIL" else ""
            ctx.cleanup()
        if status == "skip" and (os.environ.get("CI") == "true" or
                                 os.environ.get("REQUIRE_QEMU") == "1"):
            status = "FAIL"
        dt = time.monotonic() - t0
        if status == "ok":
            print("ok   %s (%.2fs)" % (name, dt), flush=True)
            return status
        if status == "skip" or not tb:     # a skip, or a skip made a failure
            print("%-4s %s (%.2fs): %s" % (status, name, dt, err), flush=True)
            return status
        print("FAIL %s (%.2fs)" % (name, dt))
        self._report(fn, err, tb)
        if logs and "\n    |" not in str(err):   # no log in the message yet
            print(logs)
        sys.stdout.flush()
        return status

    @staticmethod
    def _report(fn, err, tb):
        print("    %s: %s" % (type(err).__name__, err))
        if isinstance(err, (TestFailure, TestTimeout)):
            # Where in the test it failed: the frames in the test's file.
            src = os.path.basename(fn.__code__.co_filename)
            where = [ln.strip() for ln in tb.splitlines()
                     if ln.strip().startswith('File "') and src in ln]
            if where:
                print("    at %s" % " <- ".join(
                    w.split(", ", 1)[1] for w in reversed(where)))
        else:
            print(indent(tb, "    ", last=None))

    def main(self, argv):
        """Run the selected tests; returns the exit code."""
        if "--list" in argv:
            for name, _ in self.tests:
                print(name)
            return 0
        words, i = [], 0
        while i < len(argv):
            if argv[i] == "-k" and i + 1 < len(argv):
                words.append(argv[i + 1])
                i += 2
            else:
                words.append(argv[i])
                i += 1
        for path in self.binaries:
            if not os.access(path, os.X_OK):
                print("FAIL setup: %s is not an executable (run make)" % path)
                summary(self.name, 0, 1)
                return 1
        signal.signal(signal.SIGALRM, self._alarm)
        signal.signal(signal.SIGTERM, self._terminate)
        signal.signal(signal.SIGHUP, self._terminate)
        count = {"ok": 0, "FAIL": 0, "skip": 0}
        t0 = time.monotonic()
        try:
            for name, fn in self.tests:
                if not words or any(w in name for w in words):
                    count[self.run_one(name, fn)] += 1
        except (KeyboardInterrupt, _Interrupted) as e:
            print("interrupted (%s)" % (e or "SIGINT"))
            count["FAIL"] += 1
        print("%s: total %.1fs%s" % (self.name, time.monotonic() - t0,
                                     ", %d skipped" % count["skip"]
                                     if count["skip"] else ""))
        summary(self.name, count["ok"], count["FAIL"])
        return 1 if count["FAIL"] else 0
