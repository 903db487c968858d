#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Tests of shared mode's NAT backends and of port forwards, with VMs made
of raw frames (svmlib's StreamVM), each daemon in a network namespace of
its own.

The user-mode NAT (libslirp): a daemon run as nobody with no option picks
it; it answers ARP and ping as the gateway, hands a guest's UDP to the
gateway address to the host's 127.0.0.1 (not with --host-loopback=no),
forwards DNS at the gateway to the resolver of its own resolv.conf (a mount
namespace gives it one), sees no frame that is not addressed to it (VM-to-VM
traffic, floods, broadcasts but ARP), obeys --block, runs under --user, and
makes a --forward (UDP here, so a raw-frame VM can answer it) reach the
guest. The kernel NAT: the same --forward as DNAT rules in shared and in
host mode. Bad --forward specs, a busy host port and a guest outside the
network stop the daemon at start with a clear message and exit 1.

Every negative check has its positive control on the same path: a frame
that must not reach the host is followed by one that must, and the first
is known not to have arrived once the second has (same port, same order).

Needs root (namespaces, nobody, mount namespaces, TAP for the kernel
tests), ip, unshare, setpriv and nft. Without root it prints a skip and
exits 77 (a failure with CI=true or REQUIRE_QEMU=1). Last line:
"usernat: N passed, N failed".
"""

import os
import random
import socket
import struct
import subprocess
import sys

from svmlib import (BCAST, ETH_P_IP, SVM, Suite, arp_body, binary, check, eth,
                    mac, netns_add, netns_del, parse, run, summary, udp,
                    wait_until)

GW = "192.168.105.1"     # shared mode's default network
SLIRP_MAC = bytes([0x52, 0x55, 192, 168, 105, 1])
VM_IP = "192.168.105.20"  # reserved for mac(1) by hosts_file()
ECHO_PORT = 7070
CTL = binary("SOCKET_VMNETCTL", "socket_vmnetctl")
SUITE = Suite("usernat", timeout=60, finish=True)

ECHO_PY = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("LISTENING", flush=True)
while True:
    b, a = s.recvfrom(4096)
    print("GOT %s %s" % (a[0], b.decode(errors="replace")), flush=True)
    s.sendto(b"echo:" + b, a)
'''


# --- namespaces, helpers and daemons ---------------------------------------------

def ns_new(ctx, tag):
    """A network namespace for this test, deleted at cleanup."""
    name = "svm-un-%s-%d" % (tag, os.getpid())
    netns_add(name)
    ctx.defer(netns_del, name)
    return name


def echo_server(ctx, ns, addr, port=ECHO_PORT):
    """A UDP echo server on addr:port in namespace @ns; returns a function
    giving the payloads it received."""
    path = ctx.path("echo-%s-%d.py" % (addr, port))
    with open(path, "w") as f:
        f.write(ECHO_PY)
    out = ctx.path("echo-%s-%d.log" % (addr, port))
    log = open(out, "w")
    p = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-u", path,
                          addr, str(port)], stdout=log, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL)
    ctx.own(p, log)

    def got():
        with open(out, errors="replace") as f:
            return [l.split(" ", 2)[2] for l in f.read().splitlines()
                    if l.startswith("GOT ")]
    check(wait_until(lambda: "LISTENING" in open(out).read() or
                     p.poll() is not None, 10) and p.poll() is None,
          "echo server on %s:%d did not start: %s" % (addr, port, open(out).read()))
    return got


def hosts_file(ctx):
    """A --dhcp-hosts file reserving VM_IP for mac(1)."""
    path = ctx.path("hosts")
    with open(path, "w") as f:
        f.write("%%\nvm1 1 02:00:00:00:00:01 " + VM_IP + "\n")
    return path


def start(ctx, ns, args, nobody=False, resolv=None, ready=True):
    """A daemon in namespace @ns (as nobody with @nobody, with @resolv as
    its /etc/resolv.conf); its socket and pidfile in a directory anyone may
    write."""
    run_dir = ctx.path("run")
    if not os.path.isdir(run_dir):
        os.mkdir(run_dir)
        os.chmod(run_dir, 0o777)
    n = len(ctx.daemons)
    wrapper = []
    if resolv:
        wrapper += ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                    'mount --bind "$0" /etc/resolv.conf && exec "$@"', resolv]
    wrapper += ["ip", "netns", "exec", ns]
    if nobody:
        wrapper += ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    return ctx.daemon(*args, name="d%d" % n, wrapper=wrapper, ready=ready,
                      sock=os.path.join(run_dir, "s%d.sock" % n),
                      pidfile=os.path.join(run_dir, "d%d.pid" % n))


def refused(ctx, ns, args, nobody=False):
    """Run a daemon in @ns that must refuse to start: (exit code, output)."""
    argv = ["ip", "netns", "exec", ns]
    if nobody:
        argv += ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    d = ctx.path("run")
    if not os.path.isdir(d):
        os.mkdir(d)
        os.chmod(d, 0o777)
    r = run(argv + [SVM] + args + [os.path.join(d, "refused.sock")],
            check=False, timeout=20)
    return r.returncode, r.stdout


def vm_up(d, n=1):
    """A VM on daemon @d with a DHCP lease that knows the gateway's MAC."""
    vm = d.connect("vm%d" % n, mac(n), learn_port=False)
    vm.gw = GW
    vm.dhcp()
    gm = vm.arp_resolve(GW)
    check(gm == SLIRP_MAC, "%s: the gateway answers ARP with %r, want "
          "libslirp's %r" % (vm.name, gm, SLIRP_MAC))
    return vm


def dhcp_option(frame, code):
    """The value of DHCP option @code in @frame (an OFFER or ACK), or None."""
    p = frame[14:]
    b = p[(p[0] & 15) * 4 + 8:]
    o = 240
    while o + 2 <= len(b) and b[o] != 255:
        if b[o] == 0:
            o += 1
            continue
        if b[o] == code:
            return b[o + 2:o + 2 + b[o + 1]]
        o += 2 + b[o + 1]
    return None


def udp_to(vm, dst, dport, payload, dst_mac=SLIRP_MAC, sport=None):
    """Send a UDP datagram from @vm; returns its source port."""
    sport = sport or random.randrange(20000, 60000)
    vm.send(eth(dst_mac, vm.mac, ETH_P_IP, udp(vm.ip, dst, sport, dport, payload)))
    return sport


def udp_reply(vm, src, sport, dport, timeout=5.0):
    """The payload of the UDP datagram from src:sport to our dport."""
    f = vm.wait(lambda d, f: d["ip"]["src"] == src and d["udp"] == (sport, dport),
                timeout)
    if f is None:
        return None
    p = f[14:]
    hl = (p[0] & 15) * 4
    ulen = struct.unpack("!H", p[hl + 4:hl + 6])[0]
    return p[hl + 8:hl + ulen]


def echo_check(vm, dst, payload, got):
    """Send @payload from @vm to dst:ECHO_PORT and check that the echo
    comes back; @got (the server's log) is shown when it does not."""
    sp = udp_to(vm, dst, ECHO_PORT, payload)
    check(udp_reply(vm, dst, ECHO_PORT, sp) == b"echo:" + payload,
          "%s: no echo of %r from %s:%d; the server got %r"
          % (vm.name, payload, dst, ECHO_PORT, got()))


def answer_arp(vm, d):
    """Answer an ARP request for our address in frame dict @d; True if it
    was one."""
    a = d.get("arp")
    if a and a["op"] == 1 and a["tpa"] == vm.ip:
        vm.send(eth(a["sha"], vm.mac, 0x0806, arp_body(2, vm.mac, vm.ip, a["sha"],
                                                        a["spa"])))
        return True
    return False


def serve_udp_once(vm, port, timeout=5.0):
    """Wait for a UDP datagram to our @port (answering ARP meanwhile) and
    echo it back; returns (source address, payload) or None."""
    got = []

    def pred(d, f):
        if answer_arp(vm, d):
            return False
        return d.get("udp", (0, 0))[1] == port and d["ip"]["dst"] == vm.ip
    f = vm.wait(pred, timeout)
    if f is None:
        return None
    d = parse(f)
    p = f[14:]
    hl = (p[0] & 15) * 4
    ulen = struct.unpack("!H", p[hl + 4:hl + 6])[0]
    payload = p[hl + 8:hl + ulen]
    got.append((d["ip"]["src"], payload))
    vm.send(eth(d["src"], vm.mac, ETH_P_IP, udp(vm.ip, d["ip"]["src"], port,
                                                 d["udp"][0], b"vm:" + payload)))
    return got[0]


def host_udp(ns, addr, port, payload):
    """From namespace @ns: send @payload to addr:port over UDP and return
    the answer, or "" when none comes within 5 s."""
    code = ("import socket, sys; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); "
            "s.settimeout(5); s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2]))); "
            "print(s.recv(4096).decode())")
    return subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c", code,
                             addr, str(port), payload], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


# --- the user-mode NAT --------------------------------------------------------------

@SUITE.test
def nobody_default_is_user_nat(ctx):
    """As nobody with no option: the user-mode NAT, DHCP hands out the
    gateway as router and DNS, the gateway answers ARP and ping."""
    ns = ns_new(ctx, "def")
    d = start(ctx, ns, [], nobody=True)
    check(d.log_has(r"using the user-mode NAT instead") and
          d.log_has(r"shared mode: user-mode \(libslirp\) NAT"),
          "no word of the user-mode NAT in the log:\n" + d.tail())
    vm = vm_up(d)
    ack = [f for f in vm.history if parse(f).get("dhcp", {}).get("mtype") == 5]
    check(ack, "no DHCP ACK seen")
    check(dhcp_option(ack[-1], 6) == socket.inet_aton(GW),
          "DHCP DNS option %r, want the gateway" % dhcp_option(ack[-1], 6))
    check(dhcp_option(ack[-1], 3) == socket.inet_aton(GW), "router is not the gateway")
    check(vm.ping(GW, SLIRP_MAC), "no answer to a ping of the gateway")


@SUITE.test
def host_loopback_and_off(ctx):
    """UDP to the gateway reaches the host's 127.0.0.1; with
    --host-loopback=no it does not (and DNS still works)."""
    ns = ns_new(ctx, "lo")
    got = echo_server(ctx, ns, "127.0.0.1")
    d = start(ctx, ns, ["--nat=user"], nobody=True)
    vm = vm_up(d)
    echo_check(vm, GW, b"lo-yes", got)
    vm.close()
    d.stop()
    resolv = ctx.path("resolv.conf")
    with open(resolv, "w") as f:
        f.write("nameserver 127.0.0.2\n")
    dns = echo_server(ctx, ns, "127.0.0.2", 53)
    d = start(ctx, ns, ["--nat=user", "--host-loopback=no"], nobody=True,
              resolv=resolv)
    vm = vm_up(d, 2)
    udp_to(vm, GW, ECHO_PORT, b"lo-no")
    sp = udp_to(vm, GW, 53, b"dns-query")   # the positive control
    check(udp_reply(vm, GW, 53, sp) == b"echo:dns-query",
          "DNS at the gateway failed with --host-loopback=no: %r" % dns())
    check(b"lo-no" not in str(got()).encode(),
          "--host-loopback=no: the host's 127.0.0.1 got %r" % got())


@SUITE.test
def dns_at_gateway(ctx):
    """DNS to the gateway goes to the first nameserver of the daemon's own
    resolv.conf, and the answer comes from the gateway's address."""
    ns = ns_new(ctx, "dns")
    resolv = ctx.path("resolv.conf")
    with open(resolv, "w") as f:
        f.write("# ours\nnameserver 127.0.0.3\n")
    dns = echo_server(ctx, ns, "127.0.0.3", 53)
    lo = echo_server(ctx, ns, "127.0.0.1", 53)
    d = start(ctx, ns, [], nobody=True, resolv=resolv)
    vm = vm_up(d)
    sp = udp_to(vm, GW, 53, b"query-1")
    check(udp_reply(vm, GW, 53, sp) == b"echo:query-1",
          "no DNS answer at the gateway; resolver got %r" % dns())
    check(dns() == ["query-1"] and not lo(),
          "the query went to %r (resolver) and %r (127.0.0.1)" % (dns(), lo()))


@SUITE.test
def only_frames_for_libslirp(ctx):
    """Frames to another VM, floods of an unknown MAC and broadcasts (but
    ARP) never reach libslirp, even with the gateway's IP inside; the same
    datagram to libslirp's MAC does."""
    ns = ns_new(ctx, "flt")
    got = echo_server(ctx, ns, "127.0.0.1")
    d = start(ctx, ns, ["--nat=user"])
    a, b = vm_up(d, 1), vm_up(d, 2)
    b.sync(a)    # a learns nothing; the switch learns b's MAC
    for dst_mac in (b.mac, bytes([0x02, 0, 0, 0, 0x7f, 0x7f]), BCAST):
        udp_to(a, GW, ECHO_PORT, b"wrong-" + dst_mac.hex().encode(),
               dst_mac=dst_mac)
    echo_check(a, GW, b"right", got)   # the positive control
    check(got() == ["right"], "libslirp took frames not for it: %r" % got())


@SUITE.test
def block_applies(ctx):
    """--block drops a guest's traffic to a blocked address before it
    reaches libslirp (which reaches it without the rule); an address outside
    the block still passes."""
    ns = ns_new(ctx, "blk")
    run(["ip", "-n", ns, "link", "add", "v0", "type", "veth", "peer", "name", "v1"])
    run(["ip", "-n", ns, "addr", "add", "10.99.0.1/24", "dev", "v0"])
    run(["ip", "-n", ns, "link", "set", "v0", "up"])
    run(["ip", "-n", ns, "link", "set", "v1", "up"])
    far = echo_server(ctx, ns, "10.99.0.1")
    got = echo_server(ctx, ns, "127.0.0.1")
    for block in ([], ["--block=10.99.0.0/24"]):
        d = start(ctx, ns, ["--nat=user"] + block, nobody=True)
        vm = vm_up(d, len(block) + 1)
        if not block:
            echo_check(vm, "10.99.0.1", b"far-0", far)
            vm.close()
            d.stop()
            continue
        udp_to(vm, "10.99.0.1", ECHO_PORT, b"far-1")
        echo_check(vm, GW, b"allowed", got)   # the positive control
        check(far() == ["far-0"], "--block let through: %r" % far())


@SUITE.test
def user_privilege_drop(ctx):
    """--user with the user-mode NAT: started as root, the worker runs as
    nobody; the gateway, the host's loopback and a forward work."""
    ns = ns_new(ctx, "usr")
    got = echo_server(ctx, ns, "127.0.0.1")
    d = start(ctx, ns, ["--nat=user", "--user=nobody",
                        "--dhcp-hosts=" + hosts_file(ctx),
                        "--forward=udp:127.0.0.1:7171:%s:7" % VM_IP])
    kids = run(["pgrep", "-P", str(d.pid)], check=False).stdout.split()
    uids = [open("/proc/%s/status" % k).read().split("Uid:")[1].split()[0]
            for k in kids]
    check(uids == ["65534"], "the worker's uid: %r" % uids)
    owners = run(["ip", "netns", "exec", ns, "ss", "-H", "-lunp", "sport = :7171"]).stdout
    check("pid=%s," % kids[0] in owners and "pid=%d," % d.pid not in owners,
          "the forward's socket should be the worker's (%s) alone, not the "
          "monitor's (%d): %s" % (kids[0], d.pid, owners.strip()))
    vm = vm_up(d)
    check(vm.ip == VM_IP, "lease %s, want %s" % (vm.ip, VM_IP))
    echo_check(vm, GW, b"as-nobody", got)
    p = host_udp(ns, "127.0.0.1", 7171, "fwd-user")
    seen = serve_udp_once(vm, 7)
    out = p.communicate(timeout=10)[0]
    check(seen and seen[1] == b"fwd-user", "the VM got %r" % (seen,))
    check("vm:fwd-user" in out, "the host got %r" % out)


@SUITE.test
def forward_user_nat(ctx):
    """--forward=udp:127.0.0.1:P:VM:7: a datagram to the host's port
    reaches the guest, its answer comes back."""
    ns = ns_new(ctx, "fwu")
    d = start(ctx, ns, ["--dhcp-hosts=" + hosts_file(ctx),
                        "--forward=udp:127.0.0.1:7272:%s:7" % VM_IP], nobody=True)
    check(d.log_has(r"forward udp:127\.0\.0\.1:7272:%s:7 added" % VM_IP),
          "no log line of the forward")
    vm = vm_up(d)
    p = host_udp(ns, "127.0.0.1", 7272, "fwd-hello")
    seen = serve_udp_once(vm, 7)
    out = p.communicate(timeout=10)[0]
    check(seen and seen[1] == b"fwd-hello", "the VM got %r" % (seen,))
    check(seen[0] == GW, "the datagram came from %s, not the gateway" % seen[0])
    check("vm:fwd-hello" in out, "the host got %r" % out)


def vmnetctl(d, *args):
    """socket_vmnetctl ARGS on daemon @d: (exit code, stdout, stderr)."""
    p = subprocess.run([CTL, "--control=" + d.sock + ".ctl"] + list(args),
                       capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def udp_bound(ns, port):
    """Whether a UDP socket of namespace @ns is bound to @port."""
    out = run(["ip", "netns", "exec", ns, "ss", "-H", "-lun",
               "sport = :%d" % port]).stdout
    return bool(out.strip())


@SUITE.test
def forward_live(ctx):
    """socket_vmnetctl forward add/list/remove on a running daemon: an
    added forward carries a datagram to the guest like a --forward given
    at start; removed, its host port is free again. A duplicate, a guest
    outside the network and an unknown forward are refused and change
    nothing."""
    ns = ns_new(ctx, "fwl")
    d = start(ctx, ns, ["--dhcp-hosts=" + hosts_file(ctx)], nobody=True)
    spec = "udp:127.0.0.1:7575:%s:7" % VM_IP
    rc, out, err = vmnetctl(d, "forward", "list")
    check(rc == 0 and out.strip() == "no forwards", (rc, out, err))
    rc, out, err = vmnetctl(d, "forward", "add", spec)
    check(rc == 0 and out.split() == [spec], (rc, out, err))
    check(udp_bound(ns, 7575), "no socket bound to the added forward's port")
    vm = vm_up(d)
    p = host_udp(ns, "127.0.0.1", 7575, "fwd-live")
    seen = serve_udp_once(vm, 7)
    got = p.communicate(timeout=10)[0]
    check(seen and seen[1] == b"fwd-live", "the VM got %r" % (seen,))
    check("vm:fwd-live" in got, "the host got %r" % got)
    for args, says in ((("add", spec), "7575"),
                       (("add", "udp:127.0.0.1:7576:10.9.9.9:7"), "10.9.9.9"),
                       (("remove", "udp:127.0.0.1:7577:%s:7" % VM_IP), "7577"),
                       (("add", "udp:nonsense"), "nonsense")):
        rc, out, err = vmnetctl(d, "forward", *args)
        check(rc == 1 and says in err, "forward %s: %d %r %r" % (args, rc, out, err))
    rc, out, err = vmnetctl(d, "forward", "list")
    check(rc == 0 and out.split() == [spec], "after the refusals: %r" % out)
    rc, out, err = vmnetctl(d, "forward", "remove", spec)
    check(rc == 0 and out.strip() == "no forwards", (rc, out, err))
    check(not udp_bound(ns, 7575), "the removed forward's port is still bound")
    check(d.log_has(r"forward %s removed" % spec.replace(".", r"\.")),
          "no log line of the removal")


# --- forwards with the kernel NAT -------------------------------------------------

def kernel_forward(ctx, mode):
    """The UDP forward through the kernel NAT in @mode: DNAT rules in our
    table, answers back; the table goes with the daemon."""
    ns = ns_new(ctx, "fk" + mode[0])
    gw = "10.88.%d.1" % (1 if mode == "shared" else 2)
    vm_ip = gw[:-1] + "20"
    hosts = ctx.path("hosts")
    with open(hosts, "w") as f:
        f.write("%%\nvm1 1 02:00:00:00:00:01 " + vm_ip + "\n")
    fwd0 = run(["ip", "netns", "exec", ns, "cat", "/proc/sys/net/ipv4/ip_forward"]).stdout
    d = start(ctx, ns, ["--vmnet-mode=" + mode, "--vmnet-gateway=" + gw,
                        "--tap=svmfwd0", "--dhcp-hosts=" + hosts,
                        "--forward=udp:127.0.0.1:7373:%s:7" % vm_ip])
    if mode == "shared":
        check(d.log_has(r"shared mode: kernel NAT"), "not the kernel NAT")
    vm = d.connect("vm1", mac(1), learn_port=False)
    vm.gw = gw
    vm.dhcp()
    rules = run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"]).stdout
    check("dnat to %s:7" % vm_ip in rules, "no DNAT rule:\n" + rules)
    lnet = run(["ip", "netns", "exec", ns, "cat",
                "/proc/sys/net/ipv4/conf/svmfwd0/route_localnet"]).stdout.strip()
    check(lnet == "1", "route_localnet of the TAP is %s" % lnet)
    p = host_udp(ns, "127.0.0.1", 7373, "kfwd-" + mode)
    seen = serve_udp_once(vm, 7)
    out = p.communicate(timeout=10)[0]
    check(seen and seen[1] == ("kfwd-" + mode).encode(), "the VM got %r" % (seen,))
    check(seen[0] == gw, "from %s, not the gateway (masquerade)" % seen[0])
    check("vm:kfwd-" + mode in out, "the host got %r" % out)
    # the same through the control socket: a second forward added live
    live = "udp:127.0.0.1:7374:%s:7" % vm_ip
    rc, out, err = vmnetctl(d, "forward", "add", live)
    check(rc == 0 and live in out.split(), (rc, out, err))
    rules = run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"]).stdout
    check("dport 7374 dnat to %s:7" % vm_ip in rules, "no live DNAT rule:\n" + rules)
    p = host_udp(ns, "127.0.0.1", 7374, "klive-" + mode)
    seen = serve_udp_once(vm, 7)
    out = p.communicate(timeout=10)[0]
    check(seen and seen[1] == ("klive-" + mode).encode(), "the VM got %r" % (seen,))
    rc, out, err = vmnetctl(d, "forward", "remove", live)
    check(rc == 0 and live not in out.split(), (rc, out, err))
    rules = run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"]).stdout
    check("dport 7374" not in rules, "the removed DNAT rule stays:\n" + rules)
    vm.close()
    check(d.stop() == 0, "exit status")
    rules = run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"]).stdout
    check("socket_vmnet" not in rules, "table left:\n" + rules)
    fwd1 = run(["ip", "netns", "exec", ns, "cat", "/proc/sys/net/ipv4/ip_forward"]).stdout
    check(fwd1 == fwd0, "ip_forward %s, was %s" % (fwd1, fwd0))


@SUITE.test
def forward_kernel_shared(ctx):
    """--forward in shared mode with the kernel NAT (DNAT, masquerade of
    the host's loopback, route_localnet on the TAP)."""
    kernel_forward(ctx, "shared")


@SUITE.test
def forward_kernel_host(ctx):
    """--forward in host mode: the table is made for the forward alone."""
    kernel_forward(ctx, "host")


# --- errors at start ------------------------------------------------------------------

@SUITE.test
def forward_errors(ctx):
    """A malformed spec, a guest outside the network and a busy host port
    (user and kernel NAT): exit 1 with a message naming the problem, and
    nothing left behind."""
    ns = ns_new(ctx, "err")
    for spec, says in (("8080", "is not [tcp:|udp:]"),
                       ("tcp:8080:192.168.105.2:0", "bad guest port"),
                       ("sctp:1:192.168.105.2:80", "bad host address"),
                       ("8080:192.168.7.2:80", "not on the VM network")):
        rc, out = refused(ctx, ns, ["--forward=" + spec], nobody=True)
        check(rc == 1 and says in out, "--forward=%s: exit %d: %s" % (spec, rc, out))
    busy = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-c",
                             "import socket, sys; s = socket.socket(); "
                             "s.bind(('127.0.0.1', 7474)); s.listen(); print('UP', flush=True); "
                             "sys.stdin.read()"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    ctx.own(busy)
    check(busy.stdout.readline().strip() == "UP", "the busy port's listener did not start")
    for args, nobody in ((["--nat=user"], True),
                         (["--nat=kernel", "--tap=svmerr0"], False)):
        rc, out = refused(ctx, ns, args + ["--forward=7474:192.168.105.2:80"], nobody)
        check(rc == 1 and "host port 7474/tcp is already in use on 127.0.0.1" in out,
              "%s busy port: exit %d: %s" % (args[0], rc, out))
    rules = run(["ip", "netns", "exec", ns, "nft", "list", "ruleset"]).stdout
    tap = run(["ip", "-n", ns, "link", "show", "svmerr0"], check=False).returncode
    check("socket_vmnet" not in rules and tap != 0,
          "left behind: table %s, TAP %s" % ("socket_vmnet" in rules, tap == 0))


def main():
    strict = os.environ.get("CI") == "true" or os.environ.get("REQUIRE_QEMU") == "1"
    missing = [t for t in ("ip", "unshare", "setpriv", "nft")
               if not any(os.access(os.path.join(p, t), os.X_OK)
                          for p in os.environ.get("PATH", "").split(":") +
                          ["/usr/sbin", "/sbin"])]
    why = "needs root" if os.geteuid() != 0 else \
        ("missing " + " ".join(missing) if missing else None)
    if why:
        print("usernat: cannot run: %s" % why)
        if strict:
            summary("usernat", 0, 1)
            return 1
        return 77
    return SUITE.main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
