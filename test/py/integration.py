#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Integration tests: the real socket_vmnet daemon, real UNIX sockets.

Every test runs in a fresh temporary directory with its own daemon(s),
started with --vmnet-mode=isolated and stopped (and checked to exit 0 with a
clean log) at the end, or killed if anything went wrong.  Python 3.11
standard library only.

    python3 test/py/integration.py            run everything
    python3 test/py/integration.py -k switch  tests whose name has "switch"
    python3 test/py/integration.py --list     list the tests

Binaries come from $SOCKET_VMNET and $SOCKET_VMNET_CLIENT (default: the
repository's top directory).  The last line is
"integration: N passed, N failed"; the exit code is 1 if anything failed.
"""

import grp
import os
import re
import select
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import time

from svmlib import (BCAST, CLIENT, ETH_P_TEST, QUIET, RECV_TIMEOUT,
                    SANITIZER_RE, SVM, DgramVM, StreamVM, Suite, TestFailure,
                    check, daemon_env, fmt_mac, indent, mac)

DEFAULT_MAX_FRAME = 65549
LIMIT_MAX_FRAME = 69632
TEST_TIMEOUT = 90        # seconds, whole test (a hang fails, never blocks)

MCAST4 = bytes.fromhex("01005e000001")
MCAST6 = bytes.fromhex("333300000001")

# Every daemon: isolated mode, socket "sock" and pidfile "pid" in the test's
# directory unless the test names others; each test ends with ctx.finish().
SUITE = Suite("integration", TEST_TIMEOUT, prefix="svm-it-",
              binaries=(SVM, CLIENT), finish=True,
              daemon_defaults=dict(base_args=["--vmnet-mode=isolated"],
                                   sock="sock", pidfile="pid"))
test = SUITE.test


# ---------------------------------------------------------------------------
# Ethernet frames
# ---------------------------------------------------------------------------

_seq = [0]


def frame(dst, src, tag="", size=None):
    """An Ethernet frame dst/src/ETH_P_TEST whose payload starts with a
    unique tag; padded with a pattern to @size bytes (default: 60)."""
    _seq[0] += 1
    head = dst + src + struct.pack(">H", ETH_P_TEST)
    body = ("#%d %s|" % (_seq[0], tag)).encode()
    size = 60 if size is None else size
    out = head + body
    if len(out) > size:
        return out[:size] if size >= 14 else out[:14]
    pad = size - len(out)
    return out + bytes((i * 7 + 3) & 0xFF for i in range(pad))


def describe(f):
    if f is None:
        return "nothing"
    if len(f) < 14:
        return "runt %r" % f
    tag = f[14:60].split(b"|", 1)[0].decode(errors="replace")
    return "[%s -> %s %r len=%d]" % (fmt_mac(f[6:12]), fmt_mac(f[0:6]), tag,
                                     len(f))


# ---------------------------------------------------------------------------
# What the VMs must receive
# ---------------------------------------------------------------------------

def expect(vm, f, timeout=RECV_TIMEOUT):
    """The next frame @vm receives must be exactly @f."""
    try:
        got = vm.recv(timeout)
    except EOFError as e:
        raise TestFailure("%s: connection closed while waiting for %s (%s)" %
                          (vm.name, describe(f), e))
    check(got is not None, "%s: timed out waiting for %s" %
          (vm.name, describe(f)))
    check(got == f, "%s: expected %s, got %s" %
          (vm.name, describe(f), describe(got)))


def quiet(vms, window=QUIET):
    """None of @vms receives anything within @window seconds."""
    deadline = time.monotonic() + window
    for vm in vms:
        left = max(0.0, deadline - time.monotonic())
        try:
            got = vm.recv(left)
        except EOFError as e:
            raise TestFailure("%s: unexpectedly closed (%s)" % (vm.name, e))
        check(got is None, "%s: expected nothing, got %s" %
              (vm.name, describe(got)))


def flood(sender, f, receivers):
    """@sender sends @f; every one of @receivers gets it as its next frame."""
    sender.send(f)
    for r in receivers:
        expect(r, f)


def only_to(sender, f, target, others):
    """@sender sends @f, which must reach @target only: a broadcast marker
    sent afterwards by @sender must be the next frame of each of @others
    (they would have got @f before it).  @sender's own echo is caught by the
    next step or the final quiet()."""
    sender.send(f)
    expect(target, f)
    marker = frame(BCAST, sender.mac, "marker after %s" % describe(f))
    sender.send(marker)
    expect(target, marker)
    for o in others:
        expect(o, marker)


# ---------------------------------------------------------------------------
# The learning switch
# ---------------------------------------------------------------------------

@test
def switch_broadcast_unicast_flood_move(ctx):
    # --guard=off: a MAC moving to a port while its first port is still
    # open is what the default guard forbids (see test/py/guard_attacks.py);
    # here the switch itself is tested.
    d = ctx.daemon("--guard=off", dgram="dgram")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    v = ctx.dgram(d, 3, "D")       # datagram VM
    vms = [a, b, v]

    # Broadcast from each reaches the other two, never the sender: an echo
    # would show up ahead of the next step's frame (or in the final quiet).
    flood(v, frame(BCAST, v.mac, "bcast from D"), [a, b])
    flood(a, frame(BCAST, a.mac, "bcast from A"), [b, v])
    flood(b, frame(BCAST, b.mac, "bcast from B"), [a, v])
    flood(v, frame(BCAST, v.mac, "bcast2 from D"), [a, b])
    quiet(vms)

    # Known unicast reaches only its learned port, in every direction.
    only_to(a, frame(b.mac, a.mac, "A->B"), b, [v])
    only_to(a, frame(v.mac, a.mac, "A->D"), v, [b])
    only_to(b, frame(a.mac, b.mac, "B->A"), a, [v])
    only_to(v, frame(a.mac, v.mac, "D->A"), a, [b])
    only_to(v, frame(b.mac, v.mac, "D->B"), b, [a])
    quiet(vms)

    # Unknown unicast and multicast flood (never back to the sender).
    flood(a, frame(mac(0x99), a.mac, "A->unknown"), [b, v])
    flood(v, frame(mac(0x98), v.mac, "D->unknown"), [a, b])
    flood(a, frame(MCAST4, a.mac, "A->mcast4"), [b, v])
    flood(v, frame(MCAST6, v.mac, "D->mcast6"), [a, b])
    flood(b, frame(MCAST4, b.mac, "B->mcast4"), [a, v])
    quiet(vms)

    # B's MAC moves to a new port E: unicast to it now goes to E only.
    e = ctx.stream(d, 2, "E")
    flood(e, frame(BCAST, b.mac, "B's MAC now on E"), [a, b, v])
    only_to(a, frame(b.mac, a.mac, "A->B's MAC (on E)"), e, [b, v])
    only_to(v, frame(b.mac, v.mac, "D->B's MAC (on E)"), e, [a, b])
    # ... and back again.
    flood(b, frame(BCAST, b.mac, "B's MAC back on B"), [a, v, e])
    only_to(a, frame(b.mac, a.mac, "A->B again"), b, [v, e])
    quiet(vms + [e])


@test
def dgram_stuck_peer_keeps_socket_alive(ctx):
    """A datagram peer that never reads must not make the shared datagram
    socket deaf to everyone else, nor make the daemon spin."""
    d = ctx.daemon(dgram="dgram")
    stuck = ctx.dgram(d, 60, "STUCK")
    sender = ctx.dgram(d, 61, "SENDER")
    reader = ctx.stream(d, 62, "READER")
    flood(sender, frame(BCAST, sender.mac, "sender joins"), [reader])
    flood(stuck, frame(BCAST, stuck.mac, "stuck joins"), [sender, reader])
    for i in range(400):
        sender.send(frame(BCAST, sender.mac, "burst %d" % i, size=1514))
        reader.recv()
    time.sleep(0.5)   # let the retries back off
    t0 = d.cpu_seconds()
    time.sleep(1.0)
    spent = d.cpu_seconds() - t0
    check(spent < 0.5, "daemon used %.2f s of CPU in 1 s while idle" % spent)
    late = ctx.dgram(d, 63, "LATE")
    flood(late, frame(BCAST, late.mac, "late peer"), [reader, sender])


@test
def switch_fifty_vms(ctx):
    d = ctx.daemon(dgram="dgram")
    vms = [ctx.stream(d, 100 + i, "S%d" % i) for i in range(40)]
    vms += [ctx.dgram(d, 200 + i, "G%d" % i) for i in range(10)]
    # Datagram peers become ports when they first speak.
    for i, v in enumerate(vms[40:]):
        flood(v, frame(BCAST, v.mac, "hello %d" % i),
              vms[:40] + vms[40:40 + i])
    for v in vms[:40]:
        flood(v, frame(BCAST, v.mac, "bcast"), [o for o in vms if o is not v])
    # Some pairs by unicast: only the target gets it, all others only the
    # marker that follows.
    for i in range(0, 50, 7):
        src, dst = vms[i], vms[(i * 3 + 5) % 50]
        if src is dst:
            continue
        others = [o for o in vms if o is not src and o is not dst]
        only_to(src, frame(dst.mac, src.mac, "uni %d" % i), dst, others)
    quiet(vms, window=0.5)


@test
def switch_unicast_to_own_port_not_echoed(ctx):
    d = ctx.daemon()
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    flood(a, frame(BCAST, a.mac, "learn A"), [b])
    flood(b, frame(BCAST, b.mac, "learn B"), [a])
    # A sends to its own MAC: must go nowhere (not back, not flooded).
    a.send(frame(a.mac, a.mac, "A->A"))
    m1 = frame(BCAST, a.mac, "marker from A")
    flood(a, m1, [b])          # B's next frame is the marker: not flooded
    flood(b, frame(BCAST, b.mac, "marker from B"), [a])  # not echoed to A
    quiet([a, b])


@test
def switch_mac_aging(ctx):
    d = ctx.daemon("--mac-age=1")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    c = ctx.stream(d, 3, "C")
    flood(a, frame(BCAST, a.mac, "learn A"), [b, c])
    flood(b, frame(BCAST, b.mac, "learn B"), [a, c])
    # Freshly learned: unicast to A does not reach C.
    only_to(b, frame(a.mac, b.mac, "fresh"), a, [c])
    # A stays silent; within a few seconds its entry ages out and unicast
    # to A floods (reaches C too).
    deadline = time.monotonic() + 6
    aged = False
    i = 0
    while time.monotonic() < deadline and not aged:
        time.sleep(0.25)
        i += 1
        u = frame(a.mac, b.mac, "probe %d" % i)
        b.send(u)
        marker = frame(BCAST, b.mac, "marker %d" % i)
        b.send(marker)
        expect(a, u)
        expect(a, marker)
        got = c.recv()
        if got == u:
            aged = True
            got = c.recv()
        check(got == marker, "C: expected %s, got %s" %
              (describe(marker), describe(got)))
    check(aged, "unicast to a silent MAC still not flooded 6s after "
          "--mac-age=1")
    quiet([a, b, c])


@test
def switch_forgets_macs_of_closed_port(ctx):
    d = ctx.daemon()
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    c = ctx.stream(d, 3, "C")
    flood(a, frame(BCAST, a.mac, "learn A"), [b, c])
    flood(b, frame(BCAST, b.mac, "learn B"), [a, c])
    flood(c, frame(BCAST, c.mac, "learn C"), [a, b])
    b.close()
    d.wait_log(r"disconnect", 1)
    # A newcomer (likely reusing B's port slot) has not spoken yet.
    n = ctx.stream(d, 4, "N")
    d.wait_log(r"(?<!dis)connected", 4)
    # B's MAC is unknown again: unicast to it floods to C and N alike.
    flood(a, frame(b.mac, a.mac, "A->gone B"), [c, n])
    only_to(a, frame(c.mac, a.mac, "A->C"), c, [n])
    quiet([a, c, n])


# ---------------------------------------------------------------------------
# Datagram ports
# ---------------------------------------------------------------------------

@test
def dgram_vfkt_hello_consumed(ctx):
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    v = ctx.dgram(d, 3, "D")
    w = ctx.dgram(d, 4, "W")          # only ever says hello, then listens
    v.send_raw(b"VFKT")
    w.send_raw(b"VFKT")
    # The hellos are not forwarded: the next frame A and B see is D's; W's
    # hello (queued before D's frame) made W a port, so W gets it too.
    flood(v, frame(BCAST, v.mac, "after hello"), [a, b, w])
    flood(a, frame(BCAST, a.mac, "to all incl. W"), [b, v, w])
    only_to(a, frame(v.mac, a.mac, "A->D"), v, [b, w])
    quiet([a, b, v, w])


@test
def dgram_peer_gone_is_forgotten(ctx):
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    keep = ctx.dgram(d, 3, "D")
    flood(keep, frame(BCAST, keep.mac, "D joins"), [a, b])
    flood(a, frame(BCAST, a.mac, "learn A"), [b, keep])
    flood(b, frame(BCAST, b.mac, "learn B"), [a, keep])
    before = len(d.log_lines(r"disconnect|forg[eo]t|gone"))
    for unlink in (True, False):      # ENOENT, then ECONNREFUSED
        gone = ctx.dgram(d, 10 if unlink else 11,
                         "gone-" + ("enoent" if unlink else "econnrefused"))
        flood(gone, frame(BCAST, gone.mac, "about to vanish"), [a, b, keep])
        gone.close(unlink=unlink)
        for i in range(3):
            flood(a, frame(BCAST, a.mac, "to vanished peer %d" % i),
                  [b, keep])
        before += 1
        d.wait_log(r"disconnect|forg[eo]t|gone", before)
        check(d.alive(), "daemon died after a datagram peer went away")
    # Later frames still flow, in both directions.
    only_to(a, frame(keep.mac, a.mac, "A->D"), keep, [b])
    only_to(keep, frame(b.mac, keep.mac, "D->B"), b, [a])
    quiet([a, b, keep])


@test
def dgram_abstract_and_autobound_peers_are_distinct(ctx):
    """Linux abstract addresses ("\\0name") and autobind are peers too; two
    of them must be two ports, not one."""
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    peers = []
    for i, addr in enumerate(("\0svm-test-%d-x" % os.getpid(),
                              "\0svm-test-%d-y" % os.getpid(), "", "")):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind(addr)                 # "" = autobind to a kernel-made name
        s.connect(d.dgram)
        vm = DgramVM(s, "P%d(%r)" % (i, s.getsockname()), mac(10 + i))
        ctx.own(vm)
        peers.append(vm)
        flood(vm, frame(BCAST, vm.mac, "%s joins" % vm.name),
              [a] + peers[:-1])
    flood(a, frame(BCAST, a.mac, "to all"), peers)
    for vm in peers:
        only_to(a, frame(vm.mac, a.mac, "A->" + vm.name), vm,
                [p for p in peers if p is not vm])
    quiet([a] + peers)


@test
def dgram_runts_dropped_and_counted(ctx):
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    v = ctx.dgram(d, 3, "D")
    flood(v, frame(BCAST, v.mac, "D joins"), [a])
    for junk in (b"", b"x", b"VFKT", b"\xff" * 13, frame(BCAST, v.mac)[:13]):
        v.send_raw(junk)
    # Bigger than any buffer: truncated by the kernel (MSG_TRUNC), dropped.
    v.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    v.send_raw(frame(BCAST, v.mac, "huge", size=100000))
    # A sender with no address (unbound socket): nowhere to answer; it must
    # not disturb the others.
    anon = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ctx.own(anon)
    anon.sendto(frame(BCAST, mac(0x66), "anonymous"), d.dgram)
    # A newcomer whose very first datagram is garbage.
    w = ctx.dgram(d, 4, "W")
    w.send_raw(b"\x01\x02\x03\x04\x05")
    # None of it was forwarded: A's next frame is W's, then D's.
    anon_f = a.recv(0.3)      # forwarded or not: either is fine
    if anon_f is not None:
        check(b"anonymous" in anon_f, "A got %s" % describe(anon_f))
        v.recv(0.3)
    flood(w, frame(BCAST, w.mac, "W after junk"), [a, v])
    flood(v, frame(BCAST, v.mac, "after junk"), [a, w])
    only_to(a, frame(v.mac, a.mac, "A->D"), v, [w])
    quiet([a, v, w])
    check(d.alive(), "daemon died on garbage datagrams")
    # Counted: each port's closing line (at shutdown) has its bad count.
    ctx.finish()
    # D sent 4 runts plus a repeated "VFKT" (a restarted vfkit says hello
    # again from the same path: consumed, not forwarded, not counted).
    # and the 100000-byte one.
    for vm, want in ((v, 5), (w, 1)):
        line = port_line(d, vm.path, "disconnect")
        m = re.search(r"(\d+)\s*bad|bad\W{0,3}(\d+)", line, re.I)
        check(m, "no bad-frame counter in: " + line)
        got = int(m.group(1) or m.group(2))
        check(got == want, "%s: %d bad datagrams counted, sent %d: %s" %
              (vm.name, got, want, line))


# ---------------------------------------------------------------------------
# --fd: inherited connected sockets
# ---------------------------------------------------------------------------

def _fd_ports(ctx, with_socket):
    s_daemon, s_vm = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    g_daemon, g_vm = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    ctx.own(s_daemon, s_vm, g_daemon, g_vm)
    fds = [s_daemon.fileno(), g_daemon.fileno()]
    d = ctx.daemon(*["--fd=%d" % fd for fd in fds],
                   sock="sock" if with_socket else None, pass_fds=fds)
    s_daemon.close()
    g_daemon.close()
    sp = StreamVM(s_vm, "fd-stream", mac(1))
    dp = DgramVM(g_vm, "fd-dgram", mac(2))
    ctx.own(sp, dp)
    return d, sp, dp


@test
def fd_socketpairs_without_socket(ctx):
    d, sp, dp = _fd_ports(ctx, with_socket=False)
    check(not os.path.exists(ctx.path("sock")), "a socket file appeared")
    flood(sp, frame(BCAST, sp.mac, "fd stream bcast"), [dp])
    flood(dp, frame(BCAST, dp.mac, "fd dgram bcast"), [sp])
    only_to(sp, frame(dp.mac, sp.mac, "stream->dgram"), dp, [])
    only_to(dp, frame(sp.mac, dp.mac, "dgram->stream"), sp, [])
    quiet([sp, dp])


@test
def fd_socketpairs_with_socket(ctx):
    d, sp, dp = _fd_ports(ctx, with_socket=True)
    a = ctx.stream(d, 3, "A")
    flood(sp, frame(BCAST, sp.mac, "fd stream bcast"), [dp, a])
    flood(dp, frame(BCAST, dp.mac, "fd dgram bcast"), [sp, a])
    flood(a, frame(BCAST, a.mac, "A bcast"), [sp, dp])
    only_to(a, frame(sp.mac, a.mac, "A->fd stream"), sp, [dp])
    only_to(a, frame(dp.mac, a.mac, "A->fd dgram"), dp, [sp])
    only_to(dp, frame(a.mac, dp.mac, "fd dgram->A"), a, [sp])
    quiet([a, sp, dp])


@test
def fd_seqpacket_refused_or_works(ctx):
    """A SOCK_SEQPACKET end keeps message boundaries: the daemon may refuse
    it (exit 1 with a message) or run it with datagram framing; either way
    nothing half-works."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ctx.own(mine, theirs)
    d = ctx.daemon("--fd=%d" % theirs.fileno(), pass_fds=[theirs.fileno()],
                   ready=False)
    theirs.close()
    if not d.wait_ready(exit_ok=True):
        d.expect_dead = True
        check(d.proc.returncode == 1 and d.log().strip(),
              "refused with exit %d, log %r" % (d.proc.returncode, d.log()))
        print("    refused: %s" % d.log().strip().splitlines()[-1])
        return
    sp = DgramVM(mine, "seqpacket", mac(1))
    ctx.own(sp)
    a = ctx.stream(d, 2, "A")
    flood(sp, frame(BCAST, sp.mac, "from seqpacket"), [a])
    flood(a, frame(BCAST, a.mac, "to seqpacket"), [sp])
    only_to(a, frame(sp.mac, a.mac, "unicast to seqpacket"), sp, [])
    quiet([a, sp])
    print("    accepted, datagram framing")


# ---------------------------------------------------------------------------
# Stream framing and bad input
# ---------------------------------------------------------------------------

@test
def stream_many_frames_one_write(ctx):
    d = ctx.daemon()
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    sizes = [14, 15, 60, 64, 1514, 9000, 60, 65549, 14, 1500, 300, 60]
    frames = [frame(BCAST, a.mac, "burst %d" % i, size=s)
              for i, s in enumerate(sizes * 10)]
    a.send_raw(b"".join(struct.pack(">I", len(f)) + f for f in frames))
    for f in frames:
        expect(b, f)
    quiet([a, b])


@test
def stream_frames_split_byte_by_byte(ctx):
    d = ctx.daemon()
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    frames = [frame(BCAST, a.mac, "split %d" % i, size=s)
              for i, s in enumerate((14, 60, 200))]
    data = b"".join(struct.pack(">I", len(f)) + f for f in frames)
    for i in range(len(data)):
        a.send_raw(data[i:i + 1])
        time.sleep(0.0005)
    for f in frames:
        expect(b, f)
    # A frame whose header and body arrive in two odd pieces.
    f = frame(BCAST, a.mac, "two pieces", size=1514)
    data = struct.pack(">I", len(f)) + f
    a.send_raw(data[:3])
    time.sleep(0.05)
    a.send_raw(data[3:700])
    time.sleep(0.05)
    a.send_raw(data[700:])
    expect(b, f)
    quiet([a, b])


@test
def stream_stalled_half_frame_does_not_block_others(ctx):
    d = ctx.daemon()
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    x = ctx.stream(d, 3, "X")
    f = frame(BCAST, x.mac, "slowly", size=1000)
    wire = struct.pack(">I", len(f)) + f
    x.send_raw(wire[:2])                # half a length ...
    flood(a, frame(BCAST, a.mac, "meanwhile 1"), [b, x])
    x.send_raw(wire[2:500])             # ... half a frame ...
    flood(b, frame(BCAST, b.mac, "meanwhile 2"), [a, x])
    only_to(a, frame(b.mac, a.mac, "meanwhile 3"), b, [x])
    x.send_raw(wire[500:])              # ... and the rest.
    expect(a, f)
    expect(b, f)
    quiet([a, b, x])


@test
def fdb_overflow_keeps_switching(ctx):
    """Far more source MACs than the table holds: no crash, and frames
    still reach their targets (learned or flooded).  One port sends from
    all of them, so the one-MAC-per-VM guard is turned off."""
    d = ctx.daemon("--guard=off")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    c = ctx.stream(d, 3, "C")
    n = 20000
    frames = [frame(BCAST, mac(0x8000 + i), "many %d" % i) for i in range(n)]
    wire = b"".join(struct.pack(">I", len(f)) + f for f in frames)
    for i in range(0, len(wire), 1 << 18):
        a.send_raw(wire[i:i + (1 << 18)])
        # keep B and C drained as we go
    for vm in (b, c):
        for i, f in enumerate(frames):
            expect(vm, f)
    check(d.alive(), "daemon died")
    flood(b, frame(BCAST, b.mac, "learn B"), [a, c])
    flood(c, frame(BCAST, c.mac, "learn C"), [a, b])
    only_to(b, frame(c.mac, b.mac, "B->C after overflow"), c, [a])
    only_to(c, frame(b.mac, c.mac, "C->B after overflow"), b, [a])
    # One of the early, evicted or not, MACs still reaches A.
    u = frame(mac(0x8000), b.mac, "to an early MAC")
    b.send(u)
    expect(a, u)
    got = c.recv(0.3)
    check(got in (None, u), "C got %s" % describe(got))
    quiet([a, b, c])


@test
def stream_bad_lengths_close_only_that_connection(ctx):
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    v = ctx.dgram(d, 3, "D")
    flood(v, frame(BCAST, v.mac, "D joins"), [a, b])
    bad_lengths = [0, 13, DEFAULT_MAX_FRAME + 1, 0xFFFFFFFF]
    for i, n in enumerate(bad_lengths):
        x = ctx.stream(d, 0x50 + i, "X(len=%d)" % n)
        # A valid frame first (the connection works), then the bad length.
        flood(x, frame(BCAST, x.mac, "x good"), [a, b, v])
        x.send_raw(struct.pack(">I", n) + b"\x00" * min(n, 64))
        check(x.wait_eof(5), "length %d: connection not closed" % n)
        d.wait_log(r"bad frame length", i + 1)
        check(d.alive(), "daemon died on length %d" % n)
        # The others are unaffected (and got nothing from X's junk).
        flood(a, frame(BCAST, a.mac, "after len %d" % n), [b, v])
        only_to(b, frame(a.mac, b.mac, "B->A after %d" % n), a, [v])
    quiet([a, b, v])
    lines = d.log_lines(r"bad frame length")
    for n in bad_lengths:
        check(any(str(n) in ln for ln in lines),
              "no 'bad frame length' line names %d:\n%s" %
              (n, indent("\n".join(lines))))


@test
def stream_max_frame_boundaries(ctx):
    for max_frame in (None, 1514, LIMIT_MAX_FRAME):
        args = [] if max_frame is None else ["--max-frame=%d" % max_frame]
        limit = DEFAULT_MAX_FRAME if max_frame is None else max_frame
        d = ctx.daemon(*args, dgram="dgram-%d" % limit,
                       sock="sock-%d" % limit, pidfile="pid-%d" % limit)
        a = ctx.stream(d, 1, "A(max %d)" % limit)
        b = ctx.stream(d, 2, "B(max %d)" % limit)
        v = ctx.dgram(d, 3, "D(max %d)" % limit)
        flood(v, frame(BCAST, v.mac, "D joins"), [a, b])
        for size in (14, limit - 1, limit):
            flood(a, frame(BCAST, a.mac, "size %d" % size, size=size), [b, v])
            flood(v, frame(BCAST, v.mac, "dsize %d" % size, size=size),
                  [a, b])
        # One byte more closes the stream connection ...
        x = ctx.stream(d, 9, "X(max %d)" % limit)
        x.send(frame(BCAST, x.mac, "too big", size=limit + 1))
        check(x.wait_eof(5), "frame of %d bytes (max %d) did not close the "
              "connection" % (limit + 1, limit))
        # ... and as a datagram it is dropped, not forwarded.
        v.send(frame(BCAST, v.mac, "too big dgram", size=limit + 1))
        flood(a, frame(BCAST, a.mac, "still fine"), [b, v])
        flood(v, frame(BCAST, v.mac, "still fine"), [a, b])
        quiet([a, b, v])
        ctx.finish()


# ---------------------------------------------------------------------------
# A VM that never reads
# ---------------------------------------------------------------------------

FRAME_SIZE = 1514
N_UNICAST = 20000
WINDOW = 300          # frames to B in flight (< 1 MiB queue)


def pump(a, b, n_unicast, bcast_every, deadline_s=30):
    """A sends n_unicast frames to B plus a broadcast after every
    @bcast_every-th; B drains.  At most WINDOW frames for B are in flight, so
    B's queue can never legitimately overflow.  Returns (elapsed, unicast
    seqs, broadcast seqs) as received by B."""
    plan = []
    for i in range(n_unicast):
        plan.append((b.mac, i))
        if bcast_every and i % bcast_every == 0:
            plan.append((BCAST, i))
    pad = bytes(FRAME_SIZE - 22)
    hdr_u = b.mac + a.mac + struct.pack(">H", ETH_P_TEST)
    hdr_b = BCAST + a.mac + struct.pack(">H", ETH_P_TEST)
    wire_len = struct.pack(">I", FRAME_SIZE)

    def wire(dst, i):
        return wire_len + (hdr_u if dst != BCAST else hdr_b) + \
            struct.pack(">Q", i) + pad

    got_u, got_b = [], []
    sent = 0                     # plan entries handed to the kernel
    out = b""
    rbuf = bytearray()
    a.sock.setblocking(False)
    b.sock.setblocking(False)
    t0 = time.monotonic()
    end = t0 + deadline_s
    try:
        while len(got_u) + len(got_b) < len(plan):
            if time.monotonic() > end:
                raise TestFailure(
                    "B got %d unicast and %d broadcast frames of %d/%d "
                    "within %ds" % (len(got_u), len(got_b), n_unicast,
                                    len(plan) - n_unicast, deadline_s))
            in_flight = sent - len(got_u) - len(got_b)
            if not out and sent < len(plan) and in_flight < WINDOW:
                k = min(len(plan) - sent, WINDOW - in_flight, 32)
                out = b"".join(wire(*plan[j]) for j in range(sent, sent + k))
                sent += k
            wl = [a.sock] if out else []
            r, w, _ = select.select([b.sock], wl, [], 1.0)
            if w:
                try:
                    n = a.sock.send(out)
                    out = out[n:]
                except BlockingIOError:
                    pass
            if r:
                try:
                    data = b.sock.recv(4 << 20)
                except BlockingIOError:
                    data = None
                if data == b"":
                    raise TestFailure("B was disconnected")
                if data:
                    rbuf += data
                    pos = 0
                    while len(rbuf) - pos >= 4:
                        n = struct.unpack_from(">I", rbuf, pos)[0]
                        if len(rbuf) - pos < 4 + n:
                            break
                        f = bytes(rbuf[pos + 4:pos + 4 + n])
                        pos += 4 + n
                        check(n == FRAME_SIZE and f[6:12] == a.mac,
                              "B: unexpected frame %s" % describe(f))
                        seq = struct.unpack_from(">Q", f, 14)[0]
                        (got_b if f[:6] == BCAST else got_u).append(seq)
                    del rbuf[:pos]
    finally:
        a.sock.setblocking(True)
        b.sock.setblocking(True)
    elapsed = time.monotonic() - t0
    return elapsed, got_u, got_b


def _check_pump(got_u, got_b, n_unicast, bcast_every):
    check(got_u == list(range(n_unicast)),
          "B's unicast frames incomplete or out of order: got %d of %d" %
          (len(got_u), n_unicast))
    want_b = [i for i in range(n_unicast) if i % bcast_every == 0]
    check(got_b == want_b, "B's broadcast frames incomplete: got %d of %d" %
          (len(got_b), len(want_b)))


def port_line(d, peer, what):
    """The last log line saying @what ("connect", "disconnect") about the
    port whose connect line names @peer (a datagram peer's path)."""
    conn = d.log_lines(r"port \d+ connected.*" + re.escape(peer))
    check(conn, "no connect line names %s:\n%s" % (peer, indent(d.log())))
    port = re.search(r"port (\d+)", conn[-1]).group(1)
    lines = d.log_lines(r"port %s %s" % (port, what))
    check(lines, "no 'port %s %s' line:\n%s" % (port, what, indent(d.log())))
    return lines[-1]


def _drops_in(line):
    m = re.search(r"drop\w*\W{0,3}(\d+)|(\d+)\W{0,3}drop", line, re.I)
    return int(m.group(1) or m.group(2)) if m else None


@test
def slow_reader_does_not_slow_others(ctx):
    d = ctx.daemon()
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    flood(a, frame(BCAST, a.mac, "learn A"), [b])
    flood(b, frame(BCAST, b.mac, "learn B"), [a])
    bcast_every = 2
    t1, got_u, got_b = pump(a, b, N_UNICAST, bcast_every)
    _check_pump(got_u, got_b, N_UNICAST, bcast_every)

    c = ctx.stream(d, 3, "C (never reads)")
    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    flood(c, frame(BCAST, c.mac, "C joins"), [a, b])
    t2, got_u, got_b = pump(a, b, N_UNICAST, bcast_every)
    _check_pump(got_u, got_b, N_UNICAST, bcast_every)
    mb = N_UNICAST * (1 + 1 / bcast_every) * FRAME_SIZE / 1e6
    print("    A->B %d frames of %d B (+%d broadcasts): %.2fs alone "
          "(%.0f MB/s), %.2fs with a VM that never reads (%.0f MB/s)" %
          (N_UNICAST, FRAME_SIZE, N_UNICAST // bcast_every, t1, mb / t1, t2,
           mb / t2))
    check(d.alive(), "daemon died")
    # C's disconnect line reports the frames dropped for it.
    n = len(d.log_lines(r"disconnect"))
    c.close()
    line = d.wait_log(r"disconnect", n + 1)[-1]
    drops = _drops_in(line)
    check(drops is not None and drops > 0,
          "C's disconnect line shows no drops: %s" % line)
    print("    C's disconnect line: %s" % line.strip())
    # B's own line: nothing dropped for B.
    n += 1
    b.close()
    line = d.wait_log(r"disconnect", n + 1)[-1]
    check(_drops_in(line) in (0, None),
          "frames to B (which kept reading) were dropped: %s" % line)


@test
def dgram_reader_that_never_reads_does_not_block(ctx):
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    v = ctx.dgram(d, 3, "D (never reads)")
    v.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    flood(v, frame(BCAST, v.mac, "D joins"), [a, b])
    flood(a, frame(BCAST, a.mac, "learn A"), [b])
    flood(b, frame(BCAST, b.mac, "learn B"), [a])
    t, got_u, got_b = pump(a, b, 5000, 2, deadline_s=30)
    _check_pump(got_u, got_b, 5000, 2)
    print("    A->B 5000+2500 frames with a stuck datagram VM: %.2fs" % t)
    check(d.alive(), "daemon died")


def _counters(line):
    """(tx frames, tx dropped) from a port's closing log line."""
    m = re.search(r"tx\W{0,3}(\d+)\s*frames", line, re.I)
    dr = _drops_in(line)
    check(m and dr is not None, "no tx/dropped counters in: " + line)
    return int(m.group(1)), dr


def _slow_drain(ctx, kind):
    """A blasts 1500 frames of random sizes at B, which reads slowly through
    a small queue (--queue-size=65536), so the queue fills, wraps and drops.
    What B gets must be an in-order subsequence of what A sent, byte-exact,
    and B's closing log line must account for every frame: delivered +
    dropped == sent."""
    import random
    opts = ["--queue-size=65536", "--max-frame=9014"]
    if kind == "stream":
        d = ctx.daemon(*opts)
        a = ctx.stream(d, 1, "A")
        b = ctx.stream(d, 2, "B")
    elif kind == "dgram":
        d = ctx.daemon(*opts, dgram="dgram")
        a = ctx.stream(d, 1, "A")
        b = ctx.dgram(d, 2, "B")
        flood(b, frame(BCAST, b.mac, "B joins"), [a])
    else:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        ctx.own(mine, theirs)
        d = ctx.daemon(*opts, "--fd=%d" % theirs.fileno(),
                       pass_fds=[theirs.fileno()])
        theirs.close()
        a = ctx.stream(d, 1, "A")
        b = DgramVM(mine, "B(fd)", mac(2))
        ctx.own(b)
    b.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    flood(a, frame(BCAST, a.mac, "learn A"), [b])
    flood(b, frame(BCAST, b.mac, "learn B"), [a])
    rng = random.Random(20261123)
    frames = [frame(b.mac, a.mac, "q%d" % i, size=rng.randint(40, 9014))
              for i in range(1500)]
    out = b"".join(struct.pack(">I", len(f)) + f for f in frames)
    got = []
    rbuf = bytearray()
    a.sock.setblocking(False)
    b.sock.setblocking(False)
    last_rx = time.monotonic()
    end = time.monotonic() + 30
    n_reads = 0
    try:
        while out or time.monotonic() - last_rx < 0.5:
            check(time.monotonic() < end, "A could not send its frames "
                  "within 30s: is the daemon blocked on slow B?")
            r, w, _ = select.select([b.sock], [a.sock] if out else [], [],
                                    0.1)
            if w:
                try:
                    out = out[a.sock.send(out[:262144]):]
                except BlockingIOError:
                    pass
            if r:
                n_reads += 1
                if n_reads % 4 == 0:
                    time.sleep(0.001)       # a slow reader
                try:
                    data = b.sock.recv(16384 if kind == "stream" else 65536)
                except BlockingIOError:
                    continue
                last_rx = time.monotonic()
                if kind != "stream":
                    got.append(data)
                    continue
                check(data, "B disconnected")
                rbuf += data
                while len(rbuf) >= 4:
                    n = struct.unpack_from(">I", rbuf)[0]
                    if len(rbuf) < 4 + n:
                        break
                    got.append(bytes(rbuf[4:4 + n]))
                    del rbuf[:4 + n]
    finally:
        a.sock.setblocking(True)
        b.sock.setblocking(True)
    # In order, byte-exact, nothing invented.
    i = 0
    for g in got:
        while i < len(frames) and frames[i] != g:
            i += 1
        check(i < len(frames), "B got a frame that is not one of A's, or "
              "out of order: %s" % describe(g))
        i += 1
    check(not rbuf, "B was left with a partial frame (%d bytes)" % len(rbuf))
    check(got, "B got nothing")
    # Every frame accounted for in B's closing line.
    ctx.finish()
    if kind == "stream":
        lines = d.log_lines(r"port \d+ disconnected")
        conn = d.log_lines(r"port \d+ connected")
        port = re.search(r"port (\d+)", conn[1]).group(1)
        line = [ln for ln in lines if "port %s " % port in ln][-1]
    elif kind == "dgram":
        line = port_line(d, b.path, "disconnect")
    else:
        line = d.log_lines(r"port \d+ disconnected: fd-dgram")[-1]
    tx, dropped = _counters(line)
    sent = len(frames) + 1          # and "learn A"
    check(tx == len(got) + 1, "B received %d frames, its log line says %d "
          "sent: %s" % (len(got) + 1, tx, line))
    check(tx + dropped == sent, "A sent %d frames to B; B's line counts %d "
          "sent + %d dropped: %s" % (sent, tx, dropped, line))
    print("    %s B: %d of %d delivered, %d dropped" %
          (kind, tx, sent, dropped))


@test
def slow_stream_reader_queue_integrity(ctx):
    _slow_drain(ctx, "stream")


@test
def slow_dgram_reader_queue_integrity(ctx):
    _slow_drain(ctx, "dgram")


@test
def slow_fd_dgram_reader_queue_integrity(ctx):
    _slow_drain(ctx, "fd-dgram")


# ---------------------------------------------------------------------------
# Resource leaks
# ---------------------------------------------------------------------------

def _settled_fd_count(d, want=None, timeout=10.0):
    deadline = time.monotonic() + timeout
    last = d.fd_count()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = d.fd_count()
        if (want is not None and now == want) or \
                (want is None and now == last):
            return now
        last = now
    return last


@test
def connect_disconnect_cycles_leak_no_fds(ctx):
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    flood(a, frame(BCAST, a.mac, "learn A"), [b])
    before = _settled_fd_count(d)
    for i in range(1000):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(d.sock)
            if i % 3 == 0:
                f = frame(mac(0x7F), mac(0x100 + i % 200), "cycle %d" % i)
                s.sendall(struct.pack(">I", len(f)) + f)
            if i % 7 == 0:
                s.sendall(b"\x00\x00")       # half a length, then gone
        finally:
            s.close()
    # Then 300 at once, all open together, closed together.
    many = []
    for i in range(300):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        many.append(s)
        s.settimeout(5)
        s.connect(d.sock)
    d.wait_log(r"(?<!dis)connected", 1300 + 2, timeout=30)
    check(d.fd_count() >= before + 300, "300 open connections but only %d "
          "fds (was %d)" % (d.fd_count(), before))
    for s in many:
        s.close()
    # A few datagram peers come and go too.
    for i in range(50):
        p = ctx.dgram(d, 0x300 + i, "dg%d" % i)
        p.send(frame(BCAST, p.mac, "dgram cycle %d" % i))
        p.close(unlink=(i % 2 == 0))
    d.wait_log(r"disconnect", 1300, timeout=30)
    after = _settled_fd_count(d, want=before)
    check(after == before, "daemon had %d fds before 1300 connect/disconnect"
          " cycles and %d after" % (before, after))
    check(d.alive(), "daemon died")
    # Still switching (skip whatever the cycles flooded to A and B).
    for vm in (a, b):
        while vm.recv(0.5) is not None:
            pass
    flood(a, frame(BCAST, a.mac, "after cycles"), [b])
    only_to(b, frame(a.mac, b.mac, "B->A after cycles"), a, [])
    print("    fds before %d, after %d" % (before, after))


@test
def dgram_peer_cycles_free_their_ports(ctx):
    d = ctx.daemon("--max-ports=8", dgram="dgram")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    flood(a, frame(BCAST, a.mac, "learn A"), [b])
    before = _settled_fd_count(d)
    # 60 peers come, talk, and vanish; only 8 ports exist, so each must be
    # forgotten (found dead when A's broadcast is sent to it) for the next
    # one to get a port.
    for i in range(60):
        p = ctx.dgram(d, 0x400 + i, "peer%d" % i)
        flood(p, frame(BCAST, p.mac, "peer %d" % i), [a, b])
        p.close(unlink=(i % 2 == 0))
        flood(a, frame(BCAST, a.mac, "after peer %d left" % i), [b])
    last = ctx.dgram(d, 0x4FF, "last")
    flood(last, frame(BCAST, last.mac, "last peer"), [a, b])
    only_to(a, frame(last.mac, a.mac, "A->last"), last, [b])
    after = _settled_fd_count(d, want=before)
    check(after == before, "fds %d before, %d after" % (before, after))


# ---------------------------------------------------------------------------
# socket_vmnet_client
# ---------------------------------------------------------------------------

CHILD = r"""
import fcntl, os, select, stat, struct, sys
fl = fcntl.fcntl(3, fcntl.F_GETFD)
print("cloexec=%d" % (fl & fcntl.FD_CLOEXEC))
print("issock=%d" % stat.S_ISSOCK(os.fstat(3).st_mode))
print("fds=%s" % ",".join(sorted(os.listdir("/proc/self/fd"), key=int)))
f = bytes.fromhex(sys.argv[1])
data = struct.pack(">I", len(f)) + f
while data:
    data = data[os.write(3, data):]
buf = b""
while True:
    if len(buf) >= 4:
        n = struct.unpack(">I", buf[:4])[0]
        if len(buf) >= 4 + n:
            print("got=" + buf[4:4 + n].hex())
            break
    r, _, _ = select.select([3], [], [], 10)
    if not r:
        print("timeout")
        break
    chunk = os.read(3, 65536)
    if not chunk:
        print("eof")
        break
    buf += chunk
sys.stdout.flush()
"""


@test
def client_hands_working_fd3_to_child(ctx):
    d = ctx.daemon()
    b = ctx.stream(d, 2, "B")
    child_mac = mac(0x77)
    out_frame = frame(BCAST, child_mac, "from child via fd 3")
    p = subprocess.Popen([CLIENT, d.sock, sys.executable, "-c", CHILD,
                          out_frame.hex()], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ctx.own(p)
    expect(b, out_frame)
    reply = frame(child_mac, b.mac, "reply to child")
    b.send(reply)
    try:
        out, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        raise TestFailure("child did not finish")
    out = out.decode(errors="replace")
    check(p.returncode == 0, "child exited %d: %s %s" %
          (p.returncode, out, err.decode(errors="replace")))
    check("cloexec=0" in out, "FD_CLOEXEC set on fd 3: " + out)
    check("issock=1" in out, "fd 3 is not a socket: " + out)
    check("got=" + reply.hex() in out, "child did not receive the reply "
          "frame on fd 3: " + out)
    fds = re.search(r"fds=(\S+)", out).group(1).split(",")
    check("3" in fds, "fd 3 missing: " + out)
    print("    child's fds: %s" % ",".join(fds))
    d.wait_log(r"disconnect", 1)


@test
def client_with_stdin_and_stderr_closed(ctx):
    """socket() then returns 0: the client must still put the socket on 3
    and leave 0 and 2 closed (never write error text into the socket)."""
    d = ctx.daemon()
    b = ctx.stream(d, 2, "B")
    f = frame(BCAST, mac(0x78), "std fds closed")
    script = 'exec 0<&- 2>&-; exec "$@"'
    p = subprocess.Popen(["sh", "-c", script, "sh", CLIENT, d.sock,
                          sys.executable, "-c", CHILD, f.hex()],
                         stdout=subprocess.PIPE)
    ctx.own(p)
    expect(b, f)
    b.send(frame(mac(0x78), b.mac, "reply"))
    try:
        out, _ = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        raise TestFailure("child did not finish")
    out = out.decode(errors="replace")
    check("got=" in out, "child got no reply on fd 3: " + out)
    fds = re.search(r"fds=(\S+)", out).group(1).split(",")
    check("2" not in fds, "fd 2 open in the child: %s" % fds)


@test
def socket_permissions_enforced(ctx):
    """Mode 0770 means something: a user outside the group is refused, a
    member gets in."""
    if os.geteuid() != 0:
        print("    (not root: skipped)")
        return
    import pwd
    try:
        nobody = pwd.getpwnam("nobody")
    except KeyError:
        print("    (no user nobody: skipped)")
        return
    os.chmod(ctx.dir, 0o755)
    group, gid = _group_candidates()[0]
    d = ctx.daemon("--socket-group=" + group)
    b = ctx.stream(d, 2, "B")
    f = frame(BCAST, mac(0x79), "as nobody")

    def as_nobody(groups):
        # sh's printf, not python: nobody may not reach our interpreter.
        wire = struct.pack(">I", len(f)) + f
        fmt = "".join("\\%03o" % c for c in wire)
        return subprocess.run(
            [CLIENT, d.sock, "sh", "-c", "printf '%s' >&3" % fmt],
            user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=groups,
            capture_output=True, timeout=10)

    p = as_nobody([])
    err = p.stderr.decode(errors="replace")
    check(p.returncode == 1 and "permission denied" in err.lower(),
          "nobody outside group %s: exit %d (%s)" % (group, p.returncode,
                                                     err))
    p = as_nobody([gid])
    check(p.returncode == 0, "nobody in group %s: exit %d (%s)" %
          (group, p.returncode, p.stderr.decode(errors="replace")))
    expect(b, f)
    line = d.wait_log(r"(?<!dis)connected.*uid\W{0,3}%d\b" % nobody.pw_uid)
    print("    %s" % line[-1].strip())


def _client(ctx, args, timeout=10):
    try:
        p = subprocess.run([CLIENT] + args, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TestFailure("socket_vmnet_client %s hung" % args)
    return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


@test
def client_errors(ctx):
    d = ctx.daemon()
    marker = ctx.path("ran")
    touch = ["touch", marker]
    # Command not found: 127, after connecting.
    rc, out = _client(ctx, [d.sock, "no-such-command-svm-test"])
    check(rc == 127, "missing command: exit %d, want 127 (%s)" % (rc, out))
    check("no-such-command-svm-test" in out, "missing command not named: " +
          out)
    rc, out = _client(ctx, [d.sock, ctx.path("nope/cmd")])
    check(rc == 127, "missing command path: exit %d, want 127" % rc)
    # Missing socket.
    missing = ctx.path("no-such.sock")
    rc, out = _client(ctx, [missing] + touch)
    check(rc == 1, "missing socket: exit %d, want 1 (%s)" % (rc, out))
    check(missing in out, "missing socket: path not in message: " + out)
    # Path too long for sun_path.
    long_path = ctx.path("x" * 200)
    rc, out = _client(ctx, [long_path] + touch)
    check(rc == 1, "long path: exit %d, want 1 (%s)" % (rc, out))
    check("too long" in out.lower(), "long path: no 'too long': " + out)
    # A socket file nobody listens on.
    stale = ctx.path("stale.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(stale)
    s.close()
    rc, out = _client(ctx, [stale] + touch)
    check(rc == 1, "refused: exit %d, want 1 (%s)" % (rc, out))
    check("refused" in out.lower(), "refused: no 'refused': " + out)
    # Usage errors.
    rc, out = _client(ctx, [])
    check(rc == 1 and "usage" in out.lower(), "no args: exit %d %s" %
          (rc, out))
    rc, out = _client(ctx, [d.sock])
    check(rc == 1, "no command: exit %d, want 1" % rc)
    check(not os.path.exists(marker), "the command ran after an error")
    rc, out = _client(ctx, ["-v"])
    check(rc == 0 and out.strip(), "client -v: exit %d %r" % (rc, out))
    check(d.alive(), "daemon died")


# ---------------------------------------------------------------------------
# Daemon life cycle: socket, pidfile, signals
# ---------------------------------------------------------------------------

def _exchange(ctx, d, tag):
    a = ctx.stream(d, None, "A(%s)" % tag)
    b = ctx.stream(d, None, "B(%s)" % tag)
    flood(a, frame(BCAST, a.mac, tag), [b])
    flood(b, frame(BCAST, b.mac, tag), [a])
    a.close()
    b.close()


@test
def pidfile_holds_pid(ctx):
    d = ctx.daemon(pidfile="my.pid", short_p=True)
    with open(ctx.path("my.pid")) as f:
        content = f.read()
    check(content.strip() == str(d.pid), "pidfile has %r, pid is %d" %
          (content, d.pid))
    check(content.endswith("\n"), "pidfile does not end with a newline: %r"
          % content)


@test
def second_daemon_on_live_socket_refused(ctx):
    d1 = ctx.daemon()
    ino = os.stat(d1.sock).st_ino
    rc, out = ctx.run_daemon(["--vmnet-mode=isolated",
                              "--pidfile=" + ctx.path("pid2"), d1.sock])
    check(rc == 1, "second daemon on a live socket: exit %d, want 1 (%s)" %
          (rc, out))
    check(out.strip(), "second daemon gave no message")
    print("    second daemon said: %s" % out.strip().splitlines()[-1])
    check(d1.alive(), "first daemon died")
    check(os.stat(d1.sock).st_ino == ino, "the live socket was replaced")
    check(not os.path.exists(ctx.path("pid2")), "refused daemon left a "
          "pidfile")
    _exchange(ctx, d1, "first daemon still serves")


@test
def second_daemon_on_live_dgram_socket_refused(ctx):
    d1 = ctx.daemon(dgram="dgram")
    ino = os.stat(d1.dgram).st_ino
    rc, out = ctx.run_daemon(["--vmnet-mode=isolated",
                              "--pidfile=" + ctx.path("pid2"),
                              "--dgram-socket=" + d1.dgram,
                              ctx.path("sock2")])
    check(rc == 1, "second daemon on a live datagram socket: exit %d, want "
          "1 (%s)" % (rc, out))
    check(d1.alive(), "first daemon died")
    check(os.stat(d1.dgram).st_ino == ino, "the live socket was replaced")
    check(not os.path.exists(ctx.path("sock2")), "refused daemon left its "
          "stream socket file")
    a = ctx.stream(d1, 1, "A")
    v = ctx.dgram(d1, 2, "D")
    flood(v, frame(BCAST, v.mac, "first daemon's dgram still works"), [a])
    flood(a, frame(BCAST, a.mac, "and back"), [v])


@test
def socket_path_safety(ctx):
    # A regular file where the socket should go is never removed.
    victim = ctx.path("precious")
    with open(victim, "w") as f:
        f.write("keep me\n")
    rc, out = ctx.run_daemon(["--vmnet-mode=isolated", victim])
    check(rc == 1, "regular file as SOCKET: exit %d, want 1 (%s)" % (rc, out))
    with open(victim) as f:
        check(f.read() == "keep me\n", "regular file was clobbered")
    rc, out = ctx.run_daemon(["--vmnet-mode=isolated", "--dgram-socket=" +
                              victim, ctx.path("s1")])
    check(rc == 1, "regular file as --dgram-socket: exit %d (%s)" % (rc, out))
    with open(victim) as f:
        check(f.read() == "keep me\n", "regular file was clobbered")
    check(not os.path.exists(ctx.path("s1")), "socket file left behind")
    # Too long for sun_path.
    long_path = ctx.path("y" * 200)
    rc, out = ctx.run_daemon(["--vmnet-mode=isolated", long_path])
    check(rc == 1 and "too long" in out.lower(),
          "long SOCKET: exit %d (%s)" % (rc, out))
    # A pidfile that cannot be written: exit 1, and no socket left behind.
    rc, out = ctx.run_daemon(["--vmnet-mode=isolated",
                              "--pidfile=" + ctx.path("no/such/dir/pid"),
                              "--dgram-socket=" + ctx.path("d2"),
                              ctx.path("s2")])
    check(rc == 1 and "no/such/dir" in out, "unwritable pidfile: exit %d "
          "(%s)" % (rc, out))
    check(not os.path.exists(ctx.path("s2")), "unwritable pidfile: socket "
          "file left behind")
    check(not os.path.exists(ctx.path("d2")), "unwritable pidfile: datagram "
          "socket file left behind")


@test
def max_ports_limit(ctx):
    d = ctx.daemon("--max-ports=2")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    flood(a, frame(BCAST, a.mac, "A"), [b])
    c = ctx.stream(d, 3, "C (one too many)")
    check(c.wait_eof(5), "a third VM was accepted with --max-ports=2")
    check(d.alive(), "daemon died")
    flood(b, frame(BCAST, b.mac, "still two"), [a])
    # Once a port is free again, a newcomer gets it.
    a.close()
    d.wait_log(r"disconnect", 1)
    e = ctx.stream(d, 4, "E")
    flood(e, frame(BCAST, e.mac, "E got the free port"), [b])
    flood(b, frame(BCAST, b.mac, "B to E"), [e])


@test
def debug_logging(ctx):
    env = daemon_env()
    env["DEBUG"] = "1"
    for args, e, tag in (([], env, "DEBUG=1"), (["--debug"], None, "--debug"),
                         ([], None, "default")):
        d = ctx.daemon(*args, env=e, sock="s-" + tag, pidfile="p-" + tag,
                       name="d-" + tag)
        a = ctx.stream(d, 1, "A")
        b = ctx.stream(d, 2, "B")
        flood(a, frame(BCAST, a.mac, "x"), [b])
        only_to(b, frame(a.mac, b.mac, "y"), a, [])
        d.wait_log(r"(?<!dis)connected", 2)
        has_debug = bool(d.log_lines(r"\bdebug\b"))
        check(has_debug == (tag != "default"), "%s: debug lines %s" %
              (tag, "missing" if tag != "default" else "present"))


@test
def stale_socket_replaced(ctx):
    d1 = ctx.daemon(pidfile="pid1")
    d1.kill()
    check(os.path.exists(d1.sock), "SIGKILL left no socket file (test bug)")
    d2 = ctx.daemon(pidfile="pid2")
    check(d2.sock == d1.sock, "test bug")
    _exchange(ctx, d2, "new daemon on the stale socket")


@test
def stale_pidfile_replaced(ctx):
    d1 = ctx.daemon(sock="sock1", pidfile="pid")
    d1.kill()
    d2 = ctx.daemon(sock="sock2", pidfile="pid")   # waits for its own pid
    _exchange(ctx, d2, "new daemon with the stale pidfile")


@test
def same_pidfile_other_socket_refused(ctx):
    d1 = ctx.daemon(sock="sock1", pidfile="pid")
    rc, out = ctx.run_daemon(["--vmnet-mode=isolated",
                              "--pidfile=" + d1.pidfile,
                              ctx.path("sock2")])
    check(rc == 1, "second daemon with a locked pidfile: exit %d, want 1 "
          "(%s)" % (rc, out))
    check(out.strip(), "no message")
    print("    second daemon said: %s" % out.strip().splitlines()[-1])
    check(d1.alive(), "first daemon died")
    with open(d1.pidfile) as f:
        check(f.read().strip() == str(d1.pid), "pidfile was overwritten")
    check(not os.path.exists(ctx.path("sock2")), "refused daemon left its "
          "socket file behind")
    _exchange(ctx, d1, "first daemon still serves")


def _signal_stops_cleanly(ctx, sig):
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    v = ctx.dgram(d, 2, "D")
    flood(v, frame(BCAST, v.mac, "D joins"), [a])
    rc = d.stop(sig)
    check(rc == 0, "%s: exit %s, want 0" % (sig.name, rc))
    check(not os.path.exists(d.sock), "%s: socket file left" % sig.name)
    check(not os.path.exists(d.pidfile), "%s: pidfile left" % sig.name)
    check(a.wait_eof(2), "%s: stream VM not disconnected" % sig.name)
    check(not SANITIZER_RE.search(d.log()), "sanitizer report")
    # The same paths can be used again right away.
    d2 = ctx.daemon(dgram="dgram", name="restarted")
    _exchange(ctx, d2, "restarted")
    v2 = ctx.dgram(d2, 5, "D2")
    a2 = ctx.stream(d2, 6, "A2")
    flood(v2, frame(BCAST, v2.mac, "dgram after restart"), [a2])


@test
def sigterm_removes_socket_and_pidfile(ctx):
    _signal_stops_cleanly(ctx, signal.SIGTERM)


@test
def sigint_removes_socket_and_pidfile(ctx):
    _signal_stops_cleanly(ctx, signal.SIGINT)


@test
def sigterm_with_full_queues_exits_promptly(ctx):
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    c = ctx.stream(d, 3, "C (never reads)")
    g = ctx.dgram(d, 4, "G (never reads)")
    flood(g, frame(BCAST, g.mac, "G joins"), [a, c])
    c.recv(0.1)
    burst = frame(BCAST, a.mac, "fill", size=9000)
    a.send_raw((struct.pack(">I", len(burst)) + burst) * 600)
    a.wait_read(5)      # the daemon has read all: the queues are full
    t0 = time.monotonic()
    rc = d.stop(signal.SIGTERM, timeout=5)
    dt = time.monotonic() - t0
    check(rc == 0, "exit %s on SIGTERM with full queues" % rc)
    check(dt < 3, "took %.1fs to stop" % dt)


@test
def restart_after_sigkill_with_dgram_socket(ctx):
    d = ctx.daemon(dgram="dgram")
    d.kill()
    d2 = ctx.daemon(dgram="dgram", name="after-kill")
    a = ctx.stream(d2, 1, "A")
    v = ctx.dgram(d2, 2, "D")
    flood(v, frame(BCAST, v.mac, "dgram after SIGKILL restart"), [a])
    flood(a, frame(BCAST, a.mac, "stream after SIGKILL restart"), [v])


def _group_candidates():
    out = []
    for g in ("daemon", "nogroup", "staff", "users"):
        try:
            gid = grp.getgrnam(g).gr_gid
        except KeyError:
            continue
        if gid != os.getegid():
            out.append((g, gid))
    return out


@test
def socket_mode_and_group(ctx):
    cands = _group_candidates()
    check(cands, "no usable group on this system (test bug)")
    name, gid = cands[0]
    for group, want_gid, tag in (("root", 0, "root"), (name, gid, name)):
        d = ctx.daemon("--socket-group=" + group, sock="sock-" + tag,
                       pidfile="pid-" + tag)
        st = os.stat(d.sock)
        check(stat.S_ISSOCK(st.st_mode), "not a socket")
        check(stat.S_IMODE(st.st_mode) == 0o770, "--socket-group=%s: mode %o"
              ", want 770" % (group, stat.S_IMODE(st.st_mode)))
        check(st.st_gid == want_gid, "--socket-group=%s: gid %d, want %d" %
              (group, st.st_gid, want_gid))
        _exchange(ctx, d, "group " + group)
    d = ctx.daemon(sock="sock-default", pidfile="pid-default")
    st = os.stat(d.sock)
    check(stat.S_IMODE(st.st_mode) == 0o770, "default: mode %o" %
          stat.S_IMODE(st.st_mode))
    print("    default socket group: %s" % grp.getgrgid(st.st_gid).gr_name)
    rc, out = ctx.run_daemon(["--vmnet-mode=isolated",
                              "--socket-group=no-such-group-svm",
                              ctx.path("sock-bad")])
    check(rc == 1 and "no-such-group-svm" in out,
          "unknown group: exit %d: %s" % (rc, out))
    check(not os.path.exists(ctx.path("sock-bad")),
          "unknown group: socket file left behind")


@test
def connect_and_disconnect_logged_with_peer_credentials(ctx):
    d = ctx.daemon(dgram="dgram")
    a = ctx.stream(d, 1, "A")
    b = ctx.stream(d, 2, "B")
    lines = d.wait_log(r"(?<!dis)connected", 2)
    for ln in lines:
        check(re.search(r"uid\W{0,3}%d\b" % os.getuid(), ln, re.I),
              "no uid %d in: %s" % (os.getuid(), ln))
        check(re.search(r"pid\W{0,3}%d\b" % os.getpid(), ln, re.I),
              "no pid %d in: %s" % (os.getpid(), ln))
    for i in range(3):
        flood(a, frame(BCAST, a.mac, "count %d" % i), [b])
    a.close()
    line = d.wait_log(r"disconnect", 1)[-1]
    check(re.search(r"uid", line, re.I) and
          re.search(r"pid\W{0,3}%d\b" % os.getpid(), line, re.I),
          "disconnect line lacks uid/pid: " + line)
    check(re.search(r"\b3\b", line), "disconnect line does not count A's 3 "
          "frames: " + line)
    print("    %s" % lines[0].strip())
    print("    %s" % line.strip())
    # A datagram peer's first frame makes it a port: logged too.
    v = ctx.dgram(d, 3, "D")
    flood(v, frame(BCAST, v.mac, "D joins"), [b])
    d.wait_log(r"(?<!dis)connected", 3)


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

@test
def cli_version_help_and_errors(ctx):
    for opt in ("-v", "--version"):
        rc, out = ctx.run_daemon([opt])
        check(rc == 0 and re.search(r"\d", out), "%s: exit %d, %r" %
              (opt, rc, out))
    for opt in ("-h", "--help"):
        rc, out = ctx.run_daemon([opt])
        check(rc == 0, "%s: exit %d" % (opt, rc))
        check("usage" in out.lower() and "--vmnet-mode" in out,
              "%s: no usage text: %r" % (opt, out[:200]))
    sock = ctx.path("cli.sock")
    bad = [
        (["--vmnet-mode=bogus", sock], r"bogus|mode"),
        (["--vmnet-mode=isolated", "--max-frame=70000", sock],
         r"max-frame|70000"),
        (["--vmnet-mode=isolated", "--max-frame=69633", sock],
         r"max-frame|69633"),
        (["--vmnet-mode=isolated", "--max-frame=abc", sock],
         r"max-frame|abc"),
        (["--vmnet-mode=isolated", "--no-such-option", sock], r"."),
        (["--vmnet-mode=isolated", "--queue-size=1000", sock],
         r"queue-size"),
        (["--vmnet-mode=isolated", "--max-ports=0", sock], r"max-ports"),
        (["--vmnet-mode=isolated", "--mac-age=abc", sock], r"mac-age"),
        (["--vmnet-mode=isolated", "--fd=abc", sock], r"fd"),
        (["--vmnet-mode=isolated"], r"."),
        (["--vmnet-mode=isolated", "--fd=97", ], r"97|fd"),
    ]
    r, w = os.pipe()
    reg = open(ctx.path("regular"), "w")
    ctx.own(os.fdopen(r, "rb"), os.fdopen(w, "wb"), reg)
    for fd, what in ((r, "a pipe"), (reg.fileno(), "a regular file")):
        rc, out = ctx.run_daemon(["--vmnet-mode=isolated", "--fd=%d" % fd],
                                 pass_fds=[fd])
        check(rc == 1 and out.strip(), "--fd=%d (%s): exit %d, %r" %
              (fd, what, rc, out))
    for args, want in bad:
        rc, out = ctx.run_daemon(args)
        check(rc == 1, "%s: exit %d, want 1 (%s)" % (" ".join(args), rc,
                                                      out.strip()))
        check(re.search(want, out, re.I), "%s: message %r lacks /%s/" %
              (" ".join(args), out.strip(), want))
        check(not os.path.exists(sock), "%s: left a socket file" %
              " ".join(args))


def _in_private_netns(args):
    """@args run by unshare(1) in a new, empty network namespace, so a mode
    with a host side can never touch this machine's interfaces."""
    return ["unshare", "--net", "--"] + args


@test
def cli_other_modes_run_or_refuse_clearly(ctx):
    """shared, host and bridged either exit 1 with "not supported yet on
    this platform" (or another clear message), or really run: then SIGTERM
    stops them with exit 0.  Run in a private network namespace."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("    (not root or no unshare: only checking -h mentions them)")
        return
    for mode, extra in (("shared", []), ("host", []),
                        ("bridged", ["--vmnet-interface=svmtest0"])):
        d = ctx.daemon("--vmnet-mode=" + mode, *extra, base_args=[],
                       name=mode, sock="sock-" + mode, pidfile="pid-" + mode,
                       wrapper=_in_private_netns([]), ready=False)
        ready = d.wait_ready(exit_ok=True)     # TestFailure if neither
        out = d.log()
        if not ready:
            d.expect_dead = True
            rc = d.proc.returncode
            check(rc == 1, "--vmnet-mode=%s: exit %d, want 1 (%s)"
                  % (mode, rc, out.strip()))
            check(out.strip(), "--vmnet-mode=%s: exit 1 with no message" %
                  mode)
            check(not os.path.exists(d.sock), "--vmnet-mode=%s: socket file "
                  "left behind" % mode)
            last = out.strip().splitlines()[-1]
            if mode != "bridged":
                check(re.search(r"not supported yet on this platform|"
                                r"error", last, re.I),
                      "--vmnet-mode=%s: unclear message: %s" % (mode, last))
            print("    %s: refused: %s" % (mode, last))
            continue
        rc = d.stop()
        check(rc is not None, "--vmnet-mode=%s hung on SIGTERM" % mode)
        check(rc == 0, "--vmnet-mode=%s: exit %d on SIGTERM" % (mode, rc))
        check(not os.path.exists(d.sock) and not os.path.exists(d.pidfile),
              "--vmnet-mode=%s: socket or pidfile left" % mode)
        print("    %s: runs (in a private netns), stops cleanly" % mode)


if __name__ == "__main__":
    sys.exit(SUITE.main(sys.argv[1:]))
