#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Attack tests of the per-port guards, through real sockets.

Each test starts its own socket_vmnet (isolated mode, --vmnet-gateway=
10.44.0.1, so the DHCP server and the gateway's ARP/ping responder exist)
on sockets in a temporary directory.  A "VM" is a stream connection
(4-byte big-endian length + Ethernet frame) that sends crafted frames; a
"victim" or "observer" VM records everything it receives.  Every crafted
frame carries a unique tag in its trailing bytes (after the IP or ARP
payload, where no header check looks), so a receiver can tell exactly which
attack frames reached it.  After an attack the attacker sends a harmless
marker frame; a receiver that has the marker has seen everything the switch
would have delivered before it, so no test relies on sleeping.

Every attack test asserts three things: the victim got nothing harmful; the
daemon says why (the "port N: dropped a frame: REASON" log line and the
per-port counters of the SIGUSR1 status dump); and a positive control on
the same path (the same sender, the same receiver) got through, so the test
can fail.  The "[off]" variants run the same attacks with --guard=off and
assert that they do get through.

Besides the attacks the guards were designed for, a few tests probe known
ways around them (a port whose first frame uses another station's MAC, an
RA behind a fragment header, releasing another VM's DHCP lease in strict
mode, the --dgram-socket's owner with --socket-user): each asserts what a
guard should do, so a failing one names a hole, not a broken test.

Tests 10 (allow/block rules, host mode with namespaces) and 11
(--socket-user) need root; test 10 also needs `ip` and /dev/net/tun, and
uses a QEMU "-M none" plug when qemu-system-x86_64 exists (else a VM made of
raw frames; GUARD_RAW_VM=1 forces that).  Missing prerequisites skip those
tests (a failure with CI=true).

    python3 test/py/guard_attacks.py             run everything
    python3 test/py/guard_attacks.py -k dhcp     tests whose name has "dhcp"
    python3 test/py/guard_attacks.py --list

One line per test; the last line is "guard: N passed, N failed"; exit code 1
if anything failed.  Binary: $SOCKET_VMNET (default: ./socket_vmnet).
"""

import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import stat
import struct
import sys
import traceback

from svmlib import (BCAST, ETH_P_ARP, ETH_P_IP, ETH_P_IPV6, ETH_P_TEST,
                    QUIET, ZERO_MAC, StreamVM, Suite, TestFailure, TestSkip,
                    arp_body, check, csum, dhcp_msg, eth, fmt_mac, icmp_echo,
                    ip4, kill_pid, mac, netns_add, netns_del, new_tag, parse,
                    run, udp)

GW = "10.44.0.1"
NET_ARGS = ["--vmnet-mode=isolated", "--vmnet-gateway=" + GW]
TEST_TIMEOUT = 60

# Every daemon: NET_ARGS unless base_args=[]; NAME.sock, NAME.pid and
# NAME.log in the test's directory; its own session; log regexes match case.
SUITE = Suite("guard", TEST_TIMEOUT, prefix="svm-guard-",
              daemon_defaults=dict(base_args=NET_ARGS, name="d{n}",
                                   sock="{name}.sock", pidfile="{name}.pid",
                                   new_session=True, log_flags=0))
test = SUITE.test

# The daemon's reasons (guard.c), as they appear in the log and the counters.
R_SRC_MAC = "source MAC is not the port's"
R_VLAN = "VLAN tag"
R_ARP = "spoofed or malformed ARP"
R_GATEWAY = "claims the gateway address"
R_DHCP_SERVER = "DHCP server message"
R_RA = "IPv6 router advertisement or redirect"
R_IP_SRC = "IPv4 source is not the port's"
R_DHCP_LIMIT = "too many DHCP clients on the port"
R_ISOLATE = "VM to VM traffic (--isolate)"
R_BLOCKED = "destination blocked"
R_ND = "spoofed or malformed neighbour discovery"
R_IP6_SRC = "IPv6 source is not the port's"
R_IP6_TAKEN = "IPv6 address held by another port"
R_MAC_TAKEN = "MAC belongs to another port or the host"
R_DHCP_CHADDR = "DHCP message for another client's MAC"


# ---------------------------------------------------------------------------
# Packets
# ---------------------------------------------------------------------------

def gw_mac(gw=GW):
    """The isolated-mode gateway's MAC (main.c: 5a:94 + gateway ^ 0x5a)."""
    a = socket.inet_aton(gw)
    return bytes([0x5A, 0x94, a[0] ^ 0x5A, a[1], a[2], a[3]])


def ip6(s):
    return socket.inet_pton(socket.AF_INET6, s)


def vlan(dst, src, tpid, inner_type, payload, tag=b""):
    return eth(dst, src, tpid, struct.pack("!HH", 5, inner_type) + payload,
               tag)


def ll6(m):
    """The EUI-64 link-local address of a MAC."""
    e = bytes([m[0] ^ 2]) + m[1:3] + b"\xff\xfe" + m[3:6]
    return socket.inet_ntop(socket.AF_INET6, b"\xfe\x80" + b"\0" * 6 + e)


def sol_node(addr):
    a = ip6(addr)
    sn = ip6("ff02::1:ff00:0")[:13] + a[13:]
    return socket.inet_ntop(socket.AF_INET6, sn), b"\x33\x33\xff" + a[13:]


def icmp6(src, dst, typ, code, body, ext=b"", first_nh=58):
    """IPv6 + optional extension headers @ext (whose chain ends in 58, and
    whose first next-header is @first_nh) + ICMPv6 with a right checksum."""
    m = struct.pack("!BBH", typ, code, 0) + body
    ph = ip6(src) + ip6(dst) + struct.pack("!I3xB", len(m), 58)
    m = m[:2] + struct.pack("!H", csum(ph + m)) + m[4:]
    pl = ext + m
    h = struct.pack("!IHBB", 6 << 28, len(pl), first_nh if ext else 58, 255)
    return h + ip6(src) + ip6(dst) + pl


def hbh(nh):
    """A hop-by-hop (or destination) options header: PadN only."""
    return bytes([nh, 0, 1, 4, 0, 0, 0, 0])


def ra_body(m):
    prefix = ip6("2001:db8:bad::")
    return (struct.pack("!BBHII", 64, 0, 1800, 0, 0) +
            struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0) +
            prefix + bytes([1, 1]) + m)


def ns_body(target, m):
    return b"\0" * 4 + ip6(target) + bytes([1, 1]) + m


def na_body(target, m):
    return struct.pack("!I", 0x60000000) + ip6(target) + bytes([2, 1]) + m


# ---------------------------------------------------------------------------
# The guard's counters (the SIGUSR1 status dump)
# ---------------------------------------------------------------------------

def drops(d, vm):
    """{reason: frames the guard dropped} of @vm's port."""
    return (d.status().get(vm.port) or {}).get("guard", {})


def expect_drops(d, vm, want, logged=True):
    """@want: {reason: count or None (any > 0)} for @vm's port, which
    must have no drops for other reasons; each reason's log line too."""
    got = drops(d, vm)
    for r, n in want.items():
        check(got.get(r, 0) > 0 if n is None else got.get(r, 0) == n,
              "%s (port %s): counters %r, want %s for %r\n%s" % (
                  vm.name, vm.port, got, "some" if n is None else n, r,
                  d.tail()))
        if logged:
            check(d.log_has(r"port %d: dropped a frame: %s" % (
                vm.port, re.escape(r))),
                  "no log line 'port %s: dropped a frame: %s'\n%s" % (
                      vm.port, r, d.tail()))
    extra = {k: v for k, v in got.items() if k not in want}
    check(not extra, "%s (port %s): unexpected drops %r\n%s" % (
        vm.name, vm.port, extra, d.tail()))


def expect_no_drops(d):
    """No port has guard drops, and no drop was logged."""
    bad = {p: c["guard"] for p, c in d.status().items() if c["guard"]}
    check(not bad and "dropped a frame" not in d.log(),
          "unexpected guard drops %r\n%s" % (bad, d.tail()))


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------

def guarded(level):
    return level != "off"


def setup_vms(ctx, level, names, lease=True, extra=()):
    d = ctx.daemon("--guard=" + level, *extra)
    vms = []
    for i, n in enumerate(names):
        vm = d.connect(n, mac(0x10 + i))
        vm.marker()  # binds the port to its MAC at once
        vms.append(vm)
    for vm in vms:
        if lease:
            vm.dhcp()
    for vm in vms:
        vm.drain(0.05)
    return d, vms


# 1. MAC spoof ---------------------------------------------------------------

def mac_spoof(ctx, level):
    d, (v, a, c) = setup_vms(ctx, level, ["victim", "attacker", "observer"],
                             lease=False)
    v.sync(a, c)
    t_b, t_u = new_tag("spoof-bcast"), new_tag("spoof-uni")
    a.send(eth(BCAST, v.mac, ETH_P_TEST, b"", t_b))
    a.send(eth(c.mac, v.mac, ETH_P_TEST, b"", t_u))
    a.sync(v, c)  # positive control: a's own frames reach v and c
    spoof_got = v.got(t_b) or c.got(t_b) or c.got(t_u)
    # did the attacker steal the victim's fdb entry?
    t_to = new_tag("to-victim")
    c.send(eth(v.mac, c.mac, ETH_P_TEST, b"", t_to))
    c.sync(v, a)
    if guarded(level):
        check(not spoof_got, "spoofed frames were delivered")
        check(v.got(t_to), "unicast to the victim's MAC did not reach it")
        check(not a.got(t_to), "the attacker got the victim's unicast")
        expect_drops(d, a, {R_SRC_MAC: 2})
    else:
        check(c.got(t_b) and c.got(t_u),
              "with --guard=off the spoofed frames should pass")
        check(a.got(t_to) and not v.got(t_to),
              "with --guard=off the attacker should steal the victim's MAC")
        expect_no_drops(d)


for _lv in ("mac", "strict", "off"):
    test("1 mac-spoof [%s]" % _lv)(lambda ctx, lv=_lv: mac_spoof(ctx, lv))


@test("1 mac-spoof --fd=N,mac= binds before the first frame")
def fd_mac(ctx):
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    ctx.defer(mine.close)
    bound = mac(0x31)
    d = ctx.daemon("--fd=%d,mac=%s" % (theirs.fileno(), fmt_mac(bound)),
                   pass_fds=(theirs.fileno(),))
    theirs.close()
    fdvm = StreamVM(mine, "fd-vm", bound)
    st = d.status()
    check(len(st) == 1, "expected one --fd port, status %r" % st)
    fdvm.port = list(st)[0]
    v = d.connect("victim", mac(0x32))
    v.marker()
    t = new_tag("fd-other-mac")
    fdvm.send(eth(BCAST, mac(0x33), ETH_P_TEST, b"", t))  # its first frame
    fdvm.sync(v)
    check(not v.got(t), "a frame from a MAC other than --fd's was delivered")
    expect_drops(d, fdvm, {R_SRC_MAC: 1})


@test("1 mac-spoof over the --dgram-socket")
def dgram_mac_spoof(ctx):
    dg = ctx.path("d.dgram")
    d = ctx.daemon("--dgram-socket=" + dg)
    v = d.connect("victim", mac(0x70))
    v.marker()
    a = ctx.dgram(dg, name="dgram-attacker", m=mac(0x71))
    a.sync(v)  # binds the datagram port to its MAC
    a.port = [p for p in d.status() if p != v.port][0]
    t = new_tag("dgram-spoof")
    a.send(eth(BCAST, v.mac, ETH_P_TEST, b"", t))
    a.sync(v)
    check(not v.got(t), "a spoofed datagram frame was delivered")
    expect_drops(d, a, {R_SRC_MAC: 1})


@test("1 mac-spoof first frame from another VM's MAC does not steal it")
def mac_first_frame(ctx):
    """A guest whose very first frame uses the victim's MAC binds its port
    to that MAC; it must not take the victim's traffic."""
    d, (v, c) = setup_vms(ctx, "mac", ["victim", "observer"], lease=False)
    a = d.connect("attacker", v.mac)  # binds to the victim's MAC
    t = new_tag("first-spoof")
    a.send(eth(BCAST, v.mac, ETH_P_TEST, b"", t))
    d.wait_rx(a.port)  # the daemon has handled that first frame
    t_to = new_tag("to-victim")
    c.send(eth(v.mac, c.mac, ETH_P_TEST, b"", t_to))
    c.sync(v)
    a.drain(QUIET)
    check(v.got(t_to) and not a.got(t_to),
          "a port whose first frame used the victim's MAC took the victim's "
          "unicast (victim got it: %s, attacker got it: %s)" % (
              v.got(t_to), a.got(t_to)))


# 2. ARP spoofing ------------------------------------------------------------

def arp_spoof(ctx, level):
    d, (v, a, c) = setup_vms(ctx, level, ["victim", "attacker", "observer"])
    tags = {k: new_tag("arp-" + k) for k in
            ("sha-victim", "claim-victim", "claim-gw", "garp-own", "probe")}
    # sender hardware address = the victim's MAC, frame from the attacker
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(
        2, v.mac, v.ip, BCAST, v.ip), tags["sha-victim"]))
    # the attacker's own MAC claiming the victim's IP, to the observer
    a.send(eth(c.mac, a.mac, ETH_P_ARP, arp_body(
        2, a.mac, v.ip, c.mac, c.ip), tags["claim-victim"]))
    # the gateway's IP (gratuitous reply, broadcast)
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(
        2, a.mac, GW, BCAST, GW), tags["claim-gw"]))
    # legitimate: gratuitous ARP for its own address, and an ARP probe
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(
        1, a.mac, a.ip, ZERO_MAC, a.ip), tags["garp-own"]))
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(
        1, a.mac, "0.0.0.0", ZERO_MAC, a.ip), tags["probe"]))
    a.sync(v, c)
    got = {k: c.got(t) for k, t in tags.items()}
    check(got["garp-own"] and got["probe"],
          "legitimate gratuitous ARP / probe not delivered: %r" % got)
    # the gateway still answers for itself, with its own MAC
    check(v.arp_resolve(GW) == gw_mac(), "the gateway's ARP reply changed")
    if level == "off":
        check(got["sha-victim"] and got["claim-victim"] and got["claim-gw"],
              "with --guard=off the spoofed ARP should pass: %r" % got)
        expect_no_drops(d)
        return
    check(not got["sha-victim"] and not v.got(tags["sha-victim"]),
          "ARP with the victim's MAC as sender was delivered")
    check(not got["claim-gw"] and not v.got(tags["claim-gw"]),
          "ARP claiming the gateway's IP was delivered")
    want = {R_ARP: 1, R_GATEWAY: 1}
    if level == "mac":
        # documented: the mac level binds MACs, not IPs
        check(got["claim-victim"], "mac level: an ARP claiming another "
              "VM's IP with the sender's own MAC should pass (documented)")
    else:
        check(not got["claim-victim"],
              "strict: ARP claiming the victim's IP was delivered")
        want[R_IP_SRC] = 1
    expect_drops(d, a, want)


for _lv in ("mac", "strict", "off"):
    test("2 arp-spoof [%s]" % _lv)(lambda ctx, lv=_lv: arp_spoof(ctx, lv))


# 3. Rogue DHCP server -------------------------------------------------------

def rogue_dhcp(ctx, level):
    d, (v, a) = setup_vms(ctx, level, ["victim", "attacker"], lease=False)
    a.dhcp()
    xid = random.randrange(1 << 32)
    v.send(eth(BCAST, v.mac, ETH_P_IP, udp(
        "0.0.0.0", "255.255.255.255", 68, 67, dhcp_msg(1, xid, v.mac))))
    evil = dict(yiaddr="10.44.0.200", op=2,
                extra=bytes([3, 4]) + ip4(a.ip) + bytes([6, 4]) + ip4(a.ip))
    t_off, t_ack, t_gw, t_v6 = (new_tag("rogue-offer"), new_tag("rogue-ack"),
                                new_tag("rogue-gw"), new_tag("rogue-dhcpv6"))
    a.send(eth(BCAST, a.mac, ETH_P_IP, udp(a.ip, "255.255.255.255", 67, 68,
           dhcp_msg(2, xid, v.mac, server_id=a.ip, **evil)), t_off))
    a.send(eth(v.mac, a.mac, ETH_P_IP, udp(a.ip, "10.44.0.200", 67, 68,
           dhcp_msg(5, xid, v.mac, server_id=a.ip, **evil)), t_ack))
    a.send(eth(BCAST, a.mac, ETH_P_IP, udp(GW, "255.255.255.255", 67, 68,
           dhcp_msg(2, xid, v.mac, server_id=GW, **evil)), t_gw))
    # DHCPv6 ADVERTISE (UDP 547 -> 546)
    u6 = struct.pack("!HHHH", 547, 546, 12, 0) + b"\x02" + b"\0" * 3
    a.send(eth(b"\x33\x33\x00\x01\x00\x02", a.mac, ETH_P_IPV6, struct.pack(
        "!IHBB", 6 << 28, len(u6), 17, 255) + ip6(ll6(a.mac)) +
        ip6("ff02::1:2") + u6, t_v6))
    a.sync(v)
    # the daemon's OFFER for the victim arrives whatever the level
    check(any(parse(f).get("dhcp", {}).get("xid") == xid and
              parse(f)["dhcp"]["server"] == GW and parse(f)["src"] == gw_mac()
              for f in v.history) or
          v.wait(lambda dd, f: dd["dhcp"]["xid"] == xid and
                 dd["dhcp"]["server"] == GW) is not None,
          "the victim got no OFFER from the daemon")
    rogue = [t for t in (t_off, t_ack, t_gw, t_v6) if v.got(t)]
    if level == "off":
        check(rogue, "with --guard=off the rogue server messages should "
              "reach the victim")
        expect_no_drops(d)
    else:
        check(not rogue, "rogue DHCP messages reached the victim: %r" % rogue)
        expect_drops(d, a, {R_DHCP_SERVER: 3, R_GATEWAY: 1})
    check(v.dhcp() not in ("10.44.0.200", None), "victim's lease is wrong")


for _lv in ("mac", "strict", "off"):
    test("3 rogue-dhcp [%s]" % _lv)(lambda ctx, lv=_lv: rogue_dhcp(ctx, lv))


# 4. IPv6 router advertisements ---------------------------------------------

ALL_NODES_MAC = b"\x33\x33\x00\x00\x00\x01"


def ipv6_ra(ctx, level):
    d, (v, a) = setup_vms(ctx, level, ["victim", "attacker"], lease=False)
    src = ll6(a.mac)
    ra = ra_body(a.mac)
    frames = {
        "ra": icmp6(src, "ff02::1", 134, 0, ra),
        "ra-hbh": icmp6(src, "ff02::1", 134, 0, ra, hbh(58), 0),
        "ra-hbh-dstopt": icmp6(src, "ff02::1", 134, 0, ra,
                               hbh(60) + hbh(58), 0),
        "redirect": icmp6(src, ll6(v.mac), 137, 0, b"\0" * 4 +
                          ip6(src) + ip6("2001:db8::1")),
    }
    tags = {}
    for k, p in frames.items():
        tags[k] = new_tag(k)
        dst = v.mac if k == "redirect" else ALL_NODES_MAC
        a.send(eth(dst, a.mac, ETH_P_IPV6, p, tags[k]))
    # legitimate neighbour discovery between the two VMs
    sn, sn_mac = sol_node(ll6(v.mac))
    t_ns, t_na, t_dad = new_tag("ns"), new_tag("na"), new_tag("dad")
    a.send(eth(sn_mac, a.mac, ETH_P_IPV6,
               icmp6(src, sn, 135, 0, ns_body(ll6(v.mac), a.mac)), t_ns))
    a.send(eth(sn_mac, a.mac, ETH_P_IPV6,
               icmp6("::", sn, 135, 0, b"\0" * 4 + ip6(ll6(v.mac))), t_dad))
    a.sync(v)
    v.send(eth(a.mac, v.mac, ETH_P_IPV6, icmp6(
        ll6(v.mac), src, 136, 0, na_body(ll6(v.mac), v.mac)), t_na))
    v.sync(a)
    # strict: the probe claims the victim's link-local address, which the
    # victim holds: dropped (first come, first served)
    dad_ok = v.got(t_dad) != (level == "strict")
    check(v.got(t_ns) and dad_ok and a.got(t_na),
          "neighbour discovery between VMs did not pass (NS %s, DAD %s, "
          "NA %s)" % (v.got(t_ns), v.got(t_dad), a.got(t_na)))
    got = [k for k, t in tags.items() if v.got(t)]
    if level == "off":
        check(len(got) == len(tags), "with --guard=off every RA/redirect "
              "should pass, got only %r" % got)
        expect_no_drops(d)
    else:
        check(not got, "router advertisements/redirects delivered: %r" % got)
        expect_drops(d, a, {R_RA: 4, R_IP6_TAKEN: 1} if level == "strict"
                     else {R_RA: 4})


for _lv in ("mac", "strict", "off"):
    test("4 ipv6-ra [%s]" % _lv)(lambda ctx, lv=_lv: ipv6_ra(ctx, lv))


@test("4 ipv6-ra behind a fragment header")
def ra_fragment(ctx):
    """RFC 7113: an RA in an (atomic) fragment must not slip past RA guard."""
    d, (v, a) = setup_vms(ctx, "mac", ["victim", "attacker"], lease=False)
    frag = struct.pack("!BBHI", 58, 0, 0, random.randrange(1 << 32))
    t = new_tag("ra-frag")
    a.send(eth(ALL_NODES_MAC, a.mac, ETH_P_IPV6, icmp6(
        ll6(a.mac), "ff02::1", 134, 0, ra_body(a.mac), frag, 44), t))
    a.sync(v)
    check(not v.got(t), "an RA behind a fragment header (next header 44) "
          "reached the victim")
    expect_drops(d, a, {R_RA: 1})


# 4b. Neighbour discovery spoofing -------------------------------------------

PREFIX6 = "fd00:44::"
GW6 = PREFIX6 + "1"
ND_ARGS = ("--vmnet-nat66-prefix=" + PREFIX6,)


def dad(vm, addr):
    """@vm claims @addr: a duplicate address detection probe."""
    sn, sn_mac = sol_node(addr)
    vm.send(eth(sn_mac, vm.mac, ETH_P_IPV6,
                icmp6("::", sn, 135, 0, b"\0" * 4 + ip6(addr))))


def nd_na_spoof(ctx, level):
    """An NA for another VM's address: strict drops it (the address is the
    victim's, claimed first); a second claim of it is dropped too."""
    d, (v, a) = setup_vms(ctx, level, ["victim", "attacker"], lease=False,
                          extra=ND_ARGS)
    addr = PREFIX6 + "7"
    dad(v, addr)
    v.sync(a)
    t_dad, t_na, t_ok = new_tag("dad"), new_tag("na"), new_tag("own-na")
    sn, sn_mac = sol_node(addr)
    a.send(eth(sn_mac, a.mac, ETH_P_IPV6, icmp6(
        "::", sn, 135, 0, b"\0" * 4 + ip6(addr)), t_dad))
    a.send(eth(ALL_NODES_MAC, a.mac, ETH_P_IPV6, icmp6(
        ll6(a.mac), "ff02::1", 136, 0, na_body(addr, a.mac)), t_na))
    a.send(eth(ALL_NODES_MAC, a.mac, ETH_P_IPV6, icmp6(
        ll6(a.mac), "ff02::1", 136, 0, na_body(ll6(a.mac), a.mac)), t_ok))
    a.sync(v)
    check(v.got(t_ok), "the attacker's NA for its own address was dropped")
    if level == "off":
        check(v.got(t_na) and v.got(t_dad),
              "with --guard=off the spoofed NA and probe should pass")
        expect_no_drops(d)
    else:
        check(not v.got(t_na), "an NA for the victim's address was delivered")
        check(not v.got(t_dad), "a second claim of a held address passed")
        expect_drops(d, a, {R_IP6_SRC: 1, R_IP6_TAKEN: 1})


for _lv in ("strict", "off"):
    test("4b nd: NA spoofing another VM's address [%s]" % _lv)(
        lambda ctx, lv=_lv: nd_na_spoof(ctx, lv))


def nd_na_gateway(ctx, level):
    d, (v, a) = setup_vms(ctx, level, ["victim", "attacker"], lease=False,
                          extra=ND_ARGS)
    tags = {}
    for k, target in (("ula", GW6), ("ll", ll6(gw_mac()))):
        tags[k] = new_tag("na-gw-" + k)
        a.send(eth(ALL_NODES_MAC, a.mac, ETH_P_IPV6, icmp6(
            ll6(a.mac), "ff02::1", 136, 0, na_body(target, a.mac)),
            tags[k]))
    t_src = new_tag("from-gw6")
    a.send(eth(v.mac, a.mac, ETH_P_IPV6, icmp6(
        GW6, ll6(v.mac), 128, 0, b"\0\1\0\1"), t_src))
    a.sync(v)
    got = [k for k, t in tags.items() if v.got(t)]
    if level == "off":
        check(len(got) == 2 and v.got(t_src), "with --guard=off the NAs "
              "claiming the gateway should pass, got %r" % got)
        expect_no_drops(d)
    else:
        check(not got and not v.got(t_src),
              "frames claiming the gateway's IPv6 addresses delivered: %r"
              % got)
        expect_drops(d, a, {R_GATEWAY: 3})


for _lv in ("mac", "off"):
    test("4b nd: NA claiming the gateway [%s]" % _lv)(
        lambda ctx, lv=_lv: nd_na_gateway(ctx, lv))


def nd_forged_lladdr(ctx, level):
    d, (v, a) = setup_vms(ctx, level, ["victim", "attacker"], lease=False,
                          extra=ND_ARGS)
    sn, sn_mac = sol_node(ll6(v.mac))
    t_bad, t_ok, t_na = new_tag("ns-forged"), new_tag("ns-own"), \
        new_tag("na-forged")
    a.send(eth(sn_mac, a.mac, ETH_P_IPV6, icmp6(
        ll6(a.mac), sn, 135, 0, ns_body(ll6(v.mac), v.mac)), t_bad))
    a.send(eth(v.mac, a.mac, ETH_P_IPV6, icmp6(
        ll6(a.mac), ll6(v.mac), 136, 0, na_body(ll6(a.mac), v.mac)), t_na))
    a.send(eth(sn_mac, a.mac, ETH_P_IPV6, icmp6(
        ll6(a.mac), sn, 135, 0, ns_body(ll6(v.mac), a.mac)), t_ok))
    a.sync(v)
    check(v.got(t_ok), "an NS with the sender's own link-layer address "
          "was dropped")
    if level == "off":
        check(v.got(t_bad) and v.got(t_na),
              "with --guard=off the forged NS/NA should pass")
        expect_no_drops(d)
    else:
        check(not v.got(t_bad) and not v.got(t_na),
              "NS/NA with a forged link-layer option delivered")
        expect_drops(d, a, {R_ND: 2})


for _lv in ("mac", "off"):
    test("4b nd: NS/NA with a forged link-layer option [%s]" % _lv)(
        lambda ctx, lv=_lv: nd_forged_lladdr(ctx, lv))


def strict_ip6_src(ctx, level):
    d, (v, a) = setup_vms(ctx, level, ["victim", "attacker"], lease=False,
                          extra=ND_ARGS)
    vaddr, aaddr = PREFIX6 + "7", PREFIX6 + "8"
    dad(v, vaddr)
    dad(a, aaddr)
    v.sync(a)
    a.sync(v)
    t = {k: new_tag(k) for k in ("spoof", "unclaimed", "own", "ll")}
    for k, src in (("spoof", vaddr), ("unclaimed", PREFIX6 + "9"),
                   ("own", aaddr), ("ll", ll6(a.mac))):
        a.send(eth(v.mac, a.mac, ETH_P_IPV6, icmp6(
            src, vaddr, 128, 0, b"\0\1\0\1"), t[k]))
    a.sync(v)
    check(v.got(t["own"]) and v.got(t["ll"]), "the attacker's claimed and "
          "link-local sources were dropped")
    if level == "off":
        check(v.got(t["spoof"]) and v.got(t["unclaimed"]),
              "with --guard=off spoofed IPv6 sources should pass")
        expect_no_drops(d)
    else:
        check(not v.got(t["spoof"]) and not v.got(t["unclaimed"]),
              "spoofed IPv6 sources delivered")
        expect_drops(d, a, {R_IP6_SRC: 2})


for _lv in ("strict", "off"):
    test("5 strict: IPv6 source limited to claimed addresses [%s]" % _lv)(
        lambda ctx, lv=_lv: strict_ip6_src(ctx, lv))


# 5. IP source spoofing (strict) --------------------------------------------

@test("5 strict: IPv4 source limited to the lease")
def strict_ip_src(ctx):
    d, (v, a) = setup_vms(ctx, "strict", ["victim", "attacker"], lease=False)
    v.dhcp()
    t = {k: new_tag(k) for k in ("pre-udp", "pre-zero-icmp", "pre-arp",
                                 "pre-probe", "post-good", "post-spoof",
                                 "post-arp-good", "post-arp-spoof")}
    # before any lease: only DHCP (and ARP probes) from 0.0.0.0
    a.send(eth(v.mac, a.mac, ETH_P_IP, udp("10.44.0.77", v.ip, 5000, 5000,
                                            b"x"), t["pre-udp"]))
    a.send(eth(v.mac, a.mac, ETH_P_IP, icmp_echo("0.0.0.0", v.ip, 1, 1),
               t["pre-zero-icmp"]))
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(
        1, a.mac, "10.44.0.77", ZERO_MAC, v.ip), t["pre-arp"]))
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(
        1, a.mac, "0.0.0.0", ZERO_MAC, "10.44.0.77"), t["pre-probe"]))
    a.sync(v)
    check(v.got(t["pre-probe"]), "an ARP probe (sender 0.0.0.0) was dropped")
    lease = a.dhcp()  # DHCP from 0.0.0.0 passes
    other = str(ipaddress.ip_address(lease) + 50)
    a.send(eth(v.mac, a.mac, ETH_P_IP, udp(lease, v.ip, 5000, 5000, b"x"),
               t["post-good"]))
    a.send(eth(v.mac, a.mac, ETH_P_IP, udp(other, v.ip, 5000, 5000, b"x"),
               t["post-spoof"]))
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(
        1, a.mac, lease, ZERO_MAC, v.ip), t["post-arp-good"]))
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(
        1, a.mac, other, ZERO_MAC, v.ip), t["post-arp-spoof"]))
    a.sync(v)
    check(v.got(t["post-good"]) and v.got(t["post-arp-good"]),
          "traffic from the leased address %s was dropped" % lease)
    bad = [k for k in ("pre-udp", "pre-zero-icmp", "pre-arp", "post-spoof",
                       "post-arp-spoof") if v.got(t[k])]
    check(not bad, "spoofed sources delivered: %r" % bad)
    check(a.ping(GW, gw_mac()), "the attacker cannot ping the gateway from "
          "its lease")
    expect_drops(d, a, {R_IP_SRC: 5})


@test("5 strict: --static=MAC=IP lets that MAC use IP")
def strict_static(ctx):
    s_mac = mac(0x40)
    d = ctx.daemon("--guard=strict", "--vmnet-dhcp-end=10.44.0.100",
                   "--static=%s=10.44.0.200" % fmt_mac(s_mac))
    v = d.connect("victim", mac(0x41))
    v.marker()
    v.dhcp()
    s = d.connect("static", s_mac)
    o = d.connect("other", mac(0x42))
    t_ok, t_bad, t_other = (new_tag("static-ok"), new_tag("static-bad"),
                            new_tag("other-static"))
    s.send(eth(v.mac, s.mac, ETH_P_IP, udp("10.44.0.200", v.ip, 1, 1, b""),
               t_ok))
    s.send(eth(v.mac, s.mac, ETH_P_IP, udp("10.44.0.201", v.ip, 1, 1, b""),
               t_bad))
    s.sync(v)
    o.send(eth(v.mac, o.mac, ETH_P_IP, udp("10.44.0.200", v.ip, 1, 1, b""),
               t_other))
    o.sync(v)
    check(v.got(t_ok), "--static address of that MAC was dropped")
    check(not v.got(t_bad), "an address not in --static was delivered")
    check(not v.got(t_other), "another MAC used the --static address")
    s.ip = "10.44.0.200"
    check(s.ping(GW, gw_mac()), "the --static VM cannot ping the gateway")
    expect_drops(d, s, {R_IP_SRC: 1})
    expect_drops(d, o, {R_IP_SRC: 1})


@test("5 mac: IPv4 source not checked (documented) [mac]")
def mac_ip_src(ctx):
    d, (v, a) = setup_vms(ctx, "mac", ["victim", "attacker"])
    t = new_tag("mac-ipspoof")
    a.send(eth(v.mac, a.mac, ETH_P_IP, udp("10.44.0.123", v.ip, 1, 1, b""),
               t))
    a.sync(v)
    check(v.got(t), "mac level should not check IPv4 sources")
    expect_no_drops(d)


@test("5 strict: a VM cannot release another VM's lease and take its IP")
def strict_release_steal(ctx):
    """The attacker spends its second DHCP identity on the victim's chaddr,
    RELEASEs the victim's lease, then gets the address for itself: strict
    would then let it claim the victim's IP."""
    d, (v, a, c) = setup_vms(ctx, "strict", ["victim", "attacker",
                                             "observer"], lease=False)
    v.dhcp()
    c.dhcp()
    a.send(eth(gw_mac(), a.mac, ETH_P_IP, udp(
        "0.0.0.0", GW, 68, 67, dhcp_msg(7, random.randrange(1 << 32), v.mac,
                                        server_id=GW, ciaddr=v.ip,
                                        bcast=False))))
    a.sync(c)
    try:
        stolen = a.dhcp(req_ip=v.ip)
    except TestFailure:
        stolen = None
    t = new_tag("claim-stolen")
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(2, a.mac, v.ip, BCAST,
                                                  v.ip), t))
    a.sync(c)
    check(stolen != v.ip and not c.got(t),
          "the attacker released the victim's lease (chaddr %s) and got %s "
          "for itself; its ARP claiming %s reached the observer: %s" % (
              fmt_mac(v.mac), stolen, v.ip, c.got(t)))


# 6. DHCP starvation ---------------------------------------------------------

def starvation(ctx, level, clients=None):
    """100 DISCOVERs: 50 naming other chaddrs (refused outright when
    guarded), 50 from the port's own MAC with new client identifiers (only
    --dhcp-clients of them served)."""
    extra = ["--dhcp-clients=%d" % clients] if clients else []
    limit = clients or 2
    d, (a,) = setup_vms(ctx, level, ["attacker"], lease=False, extra=extra)
    offers = set()

    def cid(i):
        return b"\x01" + bytes([0x02, 0xBB, 0, 0, 0, i])

    for i in range(100):
        ch, c = bytes([0x02, 0xAA, 0, 0, 0, i]), None
        if i >= 50:  # same chaddr (its own), new client identifier
            ch, c = a.mac, cid(i)
        a.send(eth(BCAST, a.mac, ETH_P_IP, udp(
            "0.0.0.0", "255.255.255.255", 68, 67,
            dhcp_msg(1, 0x5000 + i, ch, c))))
    # the first served identity again: once its OFFER is back, all are
    # processed
    a.send(eth(BCAST, a.mac, ETH_P_IP, udp(
        "0.0.0.0", "255.255.255.255", 68, 67,
        dhcp_msg(1, 0x6000, a.mac, cid(50)))))
    check(a.wait(lambda dd, f: dd["dhcp"]["xid"] == 0x6000, 5) is not None,
          "no OFFER for the attacker's first identity")
    for f in a.history:
        p = parse(f).get("dhcp")
        if p and p["mtype"] == 2 and 0x5000 <= p["xid"] < 0x5064:
            offers.add(p["xid"])
    v = d.connect("victim", mac(0x50))
    lease = v.dhcp()
    check(ipaddress.ip_address(lease) in ipaddress.ip_network("10.44.0.0/24"),
          "victim got %s" % lease)
    if level == "off":
        check(len(offers) == 100, "with --guard=off every DISCOVER should "
              "get an OFFER, got %d" % len(offers))
        expect_no_drops(d)
    else:
        check(len(offers) == limit, "%d DHCP identities got OFFERs, want %d"
              % (len(offers), limit))
        check(all(x >= 0x5000 + 50 for x in offers),
              "an OFFER went to a foreign chaddr: %r" % sorted(offers))
        expect_drops(d, a, {R_DHCP_CHADDR: 50, R_DHCP_LIMIT: 50 - limit})


test("6 dhcp-starvation [mac]")(lambda ctx: starvation(ctx, "mac"))
test("6 dhcp-starvation [strict]")(lambda ctx: starvation(ctx, "strict"))
test("6 dhcp-starvation --dhcp-clients=3")(
    lambda ctx: starvation(ctx, "mac", 3))
test("6 dhcp-starvation [off]")(lambda ctx: starvation(ctx, "off"))


# 7. VLAN tags ---------------------------------------------------------------

def vlans(ctx, level, allow):
    d, (v, a) = setup_vms(ctx, level, ["victim", "attacker"], lease=False,
                          extra=["--allow-vlan"] if allow else [])
    tags = {}
    for tpid in (0x8100, 0x88A8, 0x9100):
        tags[tpid] = new_tag("vlan-%x" % tpid)
        a.send(vlan(BCAST, a.mac, tpid, ETH_P_TEST, b"", tags[tpid]))
    a.sync(v)
    got = [hex(k) for k, t in tags.items() if v.got(t)]
    if allow or level == "off":
        check(len(got) == 3, "VLAN-tagged frames should pass, got %r" % got)
        expect_no_drops(d)
    else:
        check(not got, "VLAN-tagged frames delivered: %r" % got)
        expect_drops(d, a, {R_VLAN: 3})


test("7 vlan [mac]")(lambda ctx: vlans(ctx, "mac", False))
test("7 vlan [strict]")(lambda ctx: vlans(ctx, "strict", False))
test("7 vlan --allow-vlan")(lambda ctx: vlans(ctx, "mac", True))
test("7 vlan [off]")(lambda ctx: vlans(ctx, "off", False))


# 9. --isolate ---------------------------------------------------------------

def isolate(ctx, on):
    d, (v, a) = setup_vms(ctx, "mac", ["vm1", "vm2"], lease=False,
                          extra=["--isolate"] if on else [])
    for vm in (v, a):
        vm.dhcp()
        check(vm.arp_resolve(GW) == gw_mac(), "%s: ARP for the gateway "
              "not answered" % vm.name)
        check(vm.ping(GW, gw_mac()), "%s: no ping reply from the gateway" %
              vm.name)
    check(v.ip != a.ip, "both VMs got %s" % v.ip)
    t_u, t_b, t_ip, t_arp = (new_tag("iso-uni"), new_tag("iso-bcast"),
                             new_tag("iso-ip"), new_tag("iso-arp"))
    a.send(eth(v.mac, a.mac, ETH_P_TEST, b"", t_u))
    a.send(eth(BCAST, a.mac, ETH_P_TEST, b"", t_b))
    a.send(eth(v.mac, a.mac, ETH_P_IP, icmp_echo(a.ip, v.ip, 7, 7), t_ip))
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(1, a.mac, a.ip, ZERO_MAC,
                                                  v.ip), t_arp))
    check(a.ping(GW, gw_mac()), "no ping reply from the gateway")  # a sync
    v.drain(QUIET)
    got = [t for t in (t_u, t_b, t_ip, t_arp) if v.got(t)]
    if on:
        check(not got, "VM-to-VM frames crossed --isolate: %r" % got)
        st = drops(d, a)
        check(st.get(R_ISOLATE, 0) >= 4, "isolate counters %r" % st)
    else:
        check(len(got) == 4, "without --isolate VM-to-VM frames should "
              "pass, got %r" % got)
        expect_no_drops(d)


test("9 isolate")(lambda ctx: isolate(ctx, True))
test("9 isolate control: without --isolate VMs reach each other")(
    lambda ctx: isolate(ctx, False))


@test("9 isolate drops are logged")
def isolate_logged(ctx):
    d, (v, a) = setup_vms(ctx, "mac", ["vm1", "vm2"], lease=False,
                          extra=["--isolate"])
    a.send(eth(v.mac, a.mac, ETH_P_TEST, b"", new_tag("iso")))
    check(d.log_has(r"port %d: dropped a frame: %s" % (
        a.port, re.escape(R_ISOLATE)), timeout=1.0),
          "an --isolate drop is counted but never logged (every other "
          "reason logs 'port N: dropped a frame: REASON')")


# 10. --allow/--block with plugged namespaces --------------------------------

def need_root_netns():
    if os.geteuid() != 0:
        raise TestSkip("needs root")
    if not os.path.exists("/dev/net/tun") or not shutil.which("ip"):
        raise TestSkip("needs ip and /dev/net/tun")


_ns_seq = [0]


def netns(ctx, tag):
    """A new network namespace, deleted at the end of the test."""
    _ns_seq[0] += 1
    name = "svmg%d-%s%d" % (os.getpid(), tag, _ns_seq[0])
    ctx.defer(netns_del, name)
    return netns_add(name)


def use_qemu():
    return (shutil.which("qemu-system-x86_64") and
            not os.environ.get("GUARD_RAW_VM"))


class Plug:
    """A VM as a namespace: a TAP joined to the daemon by QEMU -M none."""

    def __init__(self, ctx, ns, tap, m, ip, gw):
        self.ctx, self.ns, self.tap, self.m = ctx, ns, tap, m
        run(["ip", "-n", ns, "tuntap", "add", "dev", tap, "mode", "tap"])
        run(["ip", "-n", ns, "link", "set", tap, "address", fmt_mac(m)])
        run(["ip", "-n", ns, "addr", "add", ip + "/24", "dev", tap])
        run(["ip", "-n", ns, "link", "set", tap, "up"])
        run(["ip", "-n", ns, "route", "add", "default", "via", gw])
        self.pidfile = None

    def plug(self, d):
        self.unplug()
        self.pidfile = ctx_pf = self.ctx.path("plug-%s.pid" % d.name)
        before = len(d.ports("connected"))
        run(["ip", "netns", "exec", self.ns, "qemu-system-x86_64", "-M",
             "none", "-nodefaults", "-display", "none",
             "-netdev", "tap,id=t,ifname=%s,script=no,downscript=no" %
             self.tap, "-netdev", "hubport,id=h1,hubid=0,netdev=t",
             "-netdev", "stream,id=s,server=off,addr.type=unix,addr.path=%s"
             % d.sock, "-netdev", "hubport,id=h2,hubid=0,netdev=s",
             "-daemonize", "-pidfile", ctx_pf])
        self.ctx.defer(self.unplug)
        self.port = d.wait_port(before, "connected")
        check(self.port is not None,
              "the QEMU plug did not connect\n" + d.tail())

    def unplug(self):
        try:
            with open(self.pidfile or "") as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pid = None
        if pid:
            kill_pid(pid)  # QEMU removes its pidfile as it exits
        self.pidfile = None

    def ping(self, ip, count=2):
        r = run(["ip", "netns", "exec", self.ns, "ping", "-n", "-c",
                 str(count), "-i", "0.2", "-W", "1", ip], check=False)
        return r.returncode == 0


class RawPlug:
    """The same VM made of raw frames on a stream connection."""

    def __init__(self, ctx, m, ip, gw):
        self.ctx, self.m, self.ip, self.gw = ctx, m, ip, gw
        self.vm = None

    def plug(self, d):
        self.vm = d.connect("raw-vm", self.m)
        self.vm.ip = self.ip
        self.port = self.vm.port
        self.gw_mac = self.vm.arp_resolve(self.gw)
        check(self.gw_mac is not None, "no ARP reply from the host side")

    def unplug(self):
        if self.vm:
            self.vm.close()

    def ping(self, ip, count=2):
        return any(self.vm.ping(ip, self.gw_mac, answer_arp=True,
                                timeout=1.0) for _ in range(count))


def host_side(ctx):
    need_root_netns()
    h = netns(ctx, "h")
    dev = "d0"
    if run(["ip", "-n", h, "link", "add", "d0", "type", "dummy"],
           check=False).returncode:
        dev = "lo"  # no dummy driver: the host side's addresses on lo
    run(["ip", "-n", h, "addr", "add", "10.46.0.1/24", "dev", dev])
    run(["ip", "-n", h, "addr", "add", "10.47.0.1/24", "dev", dev])
    run(["ip", "-n", h, "link", "set", dev, "up"])
    if use_qemu():
        vm = Plug(ctx, netns(ctx, "v"), "tapg", mac(0x45), "10.45.0.2",
                  "10.45.0.1")
    else:
        vm = RawPlug(ctx, mac(0x45), "10.45.0.2", "10.45.0.1")
    return h, vm


def host_daemon(ctx, h, rules, name):
    return ctx.daemon("--vmnet-mode=host", "--vmnet-gateway=10.45.0.1",
                      "--tap=svmg0", *rules, name=name, netns=h, base_args=[])


@test("10 --block=10.46.0.0/24 (host mode, namespaces)")
def block_net(ctx):
    h, vm = host_side(ctx)
    d = host_daemon(ctx, h, ["--block=10.46.0.0/24"], "blk")
    vm.plug(d)
    check(vm.ping("10.45.0.1"), "cannot ping the gateway\n" + d.tail())
    check(vm.ping("10.47.0.1"), "cannot ping 10.47.0.1 (not blocked)\n" +
          d.tail())
    check(not vm.ping("10.46.0.1", 1), "pinged 10.46.0.1 through --block")
    check(d.log_has(r"port %d: dropped a frame: %s" % (vm.port, R_BLOCKED)),
          "no 'destination blocked' log line\n" + d.tail())
    st = drops(d, vm)
    check(set(st) == {R_BLOCKED} and st[R_BLOCKED] >= 1,
          "counters of the VM's port: %r" % st)


@test("10 --block=10.0.0.0/8 --allow=10.46.0.1/32 (host mode, namespaces)")
def allow_host(ctx):
    h, vm = host_side(ctx)
    d = host_daemon(ctx, h, ["--block=10.0.0.0/8", "--allow=10.46.0.1/32"],
                    "alw")
    vm.plug(d)
    check(vm.ping("10.46.0.1"), "cannot ping the allowed 10.46.0.1\n" +
          d.tail())
    check(not vm.ping("10.47.0.1", 1), "pinged 10.47.0.1 inside the "
          "blocked 10.0.0.0/8")
    check(d.log_has(r"port %d: dropped a frame: %s" % (vm.port, R_BLOCKED)),
          "no 'destination blocked' log line\n" + d.tail())


@test("10 host mode: a VM binding to the host side's MAC does not steal it")
def host_mac_steal(ctx):
    h, vm = host_side(ctx)
    d = host_daemon(ctx, h, [], "steal")
    vm.plug(d)
    check(vm.ping("10.47.0.1"), "cannot ping 10.47.0.1 before the attack")
    tap_mac = bytes.fromhex(json.loads(run(
        ["ip", "-j", "-n", h, "link", "show", "svmg0"]).stdout)[0]["address"]
        .replace(":", ""))
    a = d.connect("attacker", tap_mac)
    a.send(eth(BCAST, tap_mac, ETH_P_TEST, b"", new_tag("steal")))
    d.wait_rx(a.port)  # the daemon has handled that first frame
    ok = vm.ping("10.47.0.1")
    a.drain(QUIET)
    stolen = [f for f in a.history if parse(f).get("icmp", {}).get("type")
              == 8]
    check(ok and not stolen, "a VM whose first frame used the TAP's MAC %s "
          "took the VM->host traffic: ping ok %s, attacker got %d echo "
          "requests" % (fmt_mac(tap_mac), ok, len(stolen)))


# 11. --socket-user ----------------------------------------------------------

def nobody_ids():
    import pwd
    try:
        pw = pwd.getpwnam("nobody")
    except KeyError:
        raise TestSkip("no user nobody")
    return pw.pw_uid, pw.pw_gid


def as_user(uid, gid, fn):
    """Run fn() in a child as uid/gid; its return value (0..255)."""
    pid = os.fork()
    if pid == 0:
        rc = 1
        try:
            signal.alarm(0)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            rc = fn()
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(rc)
    _, st = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(st)


@test("11 --socket-user=nobody")
def socket_user(ctx):
    if os.geteuid() != 0:
        raise TestSkip("needs root")
    uid, gid = nobody_ids()
    d = ctx.daemon("--socket-user=nobody")
    st = os.stat(d.sock)
    check(st.st_uid == uid and stat.S_IMODE(st.st_mode) == 0o700,
          "socket owned by uid %d mode %o, want uid %d mode 700" % (
              st.st_uid, stat.S_IMODE(st.st_mode), uid))
    # root: the daemon refuses it and says who it was
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect(d.sock)
    f = eth(BCAST, mac(0x60), ETH_P_TEST, b"", new_tag("root"))
    try:
        s.sendall(struct.pack("!I", len(f)) + f)
        closed = s.recv(100) == b""
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    s.close()
    check(closed, "the daemon kept a connection from root")
    check(d.log_has(r"refused a connection from uid 0 pid %d\b" %
                     os.getpid()),
          "no 'refused a connection from uid 0 pid %d' line\n%s" % (
              os.getpid(), d.tail()))
    check(not re.search(r"connected: stream \(uid 0 ", d.log()),
          "a root connection became a port")

    # nobody: works (DHCP through the gateway)
    def nobody_vm():
        vm = StreamVM.connect(d.sock, "nobody-vm", mac(0x61), gw=GW)
        vm.dhcp()
        return 0
    check(as_user(uid, gid, nobody_vm) == 0,
          "a connection as nobody did not work\n" + d.tail())
    check(re.search(r"connected: stream \(uid %d " % uid, d.log()),
          "no port connected with uid %d" % uid)


@test("11 --socket-user: another uid cannot connect")
def socket_user_other(ctx):
    if os.geteuid() != 0:
        raise TestSkip("needs root")
    nobody_ids()
    d = ctx.daemon("--socket-user=nobody")

    def other():
        try:
            StreamVM.connect(d.sock, "other", mac(0x62))
        except PermissionError:
            return 0
        return 1
    check(as_user(54321, 54321, other) == 0,
          "uid 54321 could connect to a --socket-user=nobody socket")


@test("11 --socket-user applies to --dgram-socket too")
def socket_user_dgram(ctx):
    if os.geteuid() != 0:
        raise TestSkip("needs root")
    uid, _ = nobody_ids()
    dg = ctx.path("dgram.sock")
    ctx.daemon("--socket-user=nobody", "--dgram-socket=" + dg)
    st = os.stat(dg)
    check(st.st_uid == uid and stat.S_IMODE(st.st_mode) == 0o700,
          "--dgram-socket owned by uid %d gid %d mode %o with "
          "--socket-user=nobody; want uid %d mode 700" % (
              st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode), uid))


# 12. Legitimate traffic -----------------------------------------------------

def legit(ctx, level):
    d, (v, a) = setup_vms(ctx, level, ["vm1", "vm2"])
    # ARP between the VMs
    a.send(eth(BCAST, a.mac, ETH_P_ARP, arp_body(1, a.mac, a.ip, ZERO_MAC,
                                                  v.ip)))
    req = v.wait(lambda dd, f: dd["arp"]["op"] == 1 and
                 dd["arp"]["tpa"] == v.ip)
    check(req is not None, "ARP request did not reach the other VM")
    v.send(eth(a.mac, v.mac, ETH_P_ARP, arp_body(2, v.mac, v.ip, a.mac,
                                                  a.ip)))
    check(a.wait(lambda dd, f: dd["arp"]["op"] == 2 and
                 dd["arp"]["spa"] == v.ip and dd["arp"]["sha"] == v.mac)
          is not None, "ARP reply did not reach the asking VM")
    # IPv4: UDP and ping both ways
    t = new_tag("udp")
    a.send(eth(v.mac, a.mac, ETH_P_IP, udp(a.ip, v.ip, 4000, 5000, b"hi"), t))
    check(v.wait(lambda dd, f: t in f) is not None, "UDP between VMs lost")
    v.send(eth(a.mac, v.mac, ETH_P_IP, icmp_echo(v.ip, a.ip, 9, 1)))
    check(a.wait(lambda dd, f: dd["icmp"]["type"] == 8) is not None,
          "ICMP echo between VMs lost")
    a.send(eth(v.mac, a.mac, ETH_P_IP, icmp_echo(a.ip, v.ip, 9, 1, typ=0)))
    check(v.wait(lambda dd, f: dd["icmp"]["type"] == 0 and
                 dd["icmp"]["id"] == 9) is not None, "ICMP echo reply lost")
    # IPv6 ND between VMs: DAD, NS, NA
    sn, sn_mac = sol_node(ll6(v.mac))
    a.send(eth(sn_mac, a.mac, ETH_P_IPV6, icmp6(
        ll6(a.mac), sn, 135, 0, ns_body(ll6(v.mac), a.mac))))
    check(v.wait(lambda dd, f: dd["icmp6"] == 135) is not None, "NS lost")
    v.send(eth(a.mac, v.mac, ETH_P_IPV6, icmp6(
        ll6(v.mac), ll6(a.mac), 136, 0, na_body(ll6(v.mac), v.mac))))
    check(a.wait(lambda dd, f: dd["icmp6"] == 136) is not None, "NA lost")
    # the gateway: ARP and ping; a DHCP renewal from the leased address
    for vm in (v, a):
        check(vm.arp_resolve(GW) == gw_mac(), "%s: no ARP reply from the "
              "gateway" % vm.name)
        check(vm.ping(GW, gw_mac()), "%s: no ping reply" % vm.name)
    xid = random.randrange(1 << 32)
    v.send(eth(gw_mac(), v.mac, ETH_P_IP, udp(v.ip, GW, 68, 67, dhcp_msg(
        3, xid, v.mac, ciaddr=v.ip, bcast=False))))
    check(v.wait(lambda dd, f: dd["dhcp"]["xid"] == xid and
                 dd["dhcp"]["mtype"] == 5) is not None, "no renewal ACK")
    expect_no_drops(d)


for _lv in ("off", "mac", "strict"):
    test("12 legitimate traffic [%s]" % _lv)(lambda ctx, lv=_lv:
                                             legit(ctx, lv))


if __name__ == "__main__":
    sys.exit(SUITE.main(sys.argv[1:]))
