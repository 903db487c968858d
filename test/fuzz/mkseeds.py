#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Write the seed corpora of the libFuzzer harnesses: test/fuzz/corpus/NAME/.

Run it from anywhere (standard library only); it replaces the corpora
with the same files every time. Each harness's input layout is described
in the header comment of test/fuzz/fuzz_NAME.c; the seeds are small,
meaningful inputs in that layout: real DHCP, ARP, ICMP and IPv6 frames, a
stream of several frames, lease files, bootptabs and command lines.
"""

import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")

NET = bytes([192, 168, 105, 0])
GW_MAC = bytes([0x5A, 0x94, 0xEF, 0, 0, 1])
VM_MAC = bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56])  # guard, gw: the VM
VM2_MAC = bytes([0x52, 0x54, 0, 0x12, 0x34, 0x57])  # guard: another VM
BCAST = b"\xff" * 6


def ip(last):
    """192.168.105.LAST as bytes."""
    return NET[:3] + bytes([last])


def csum(data):
    """Internet checksum (RFC 1071) of DATA."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, etype, payload):
    """An Ethernet frame."""
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, frag=0):
    """An IPv4 datagram with a good header checksum."""
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, frag,
                      64, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, payload):
    """A UDP datagram with a good checksum (for SRC and DST)."""
    ln = 8 + len(payload)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, ln)
    hdr = struct.pack("!HHHH", sport, dport, ln, 0)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return struct.pack("!HHHH", sport, dport, ln, c) + payload


def dhcp(op, mtype, chaddr, xid, ciaddr=b"\0" * 4, yiaddr=b"\0" * 4,
         opts=b"", flags=0):
    """A BOOTP/DHCP message (300 bytes at least) with option 53 first."""
    m = struct.pack("!BBBBIHH4s4s4s4s", op, 1, 6, 0, xid, 0, flags,
                    ciaddr, yiaddr, b"\0" * 4, b"\0" * 4)
    m += chaddr + b"\0" * 10 + b"\0" * 192 + b"\x63\x82\x53\x63"
    m += bytes([53, 1, mtype]) + opts + b"\xff"
    return m + b"\0" * max(0, 300 - len(m))


def opt(code, val):
    """One DHCP option."""
    return bytes([code, len(val)]) + val


def arp(op, sha, spa, tha, tpa):
    """An Ethernet/IPv4 ARP body."""
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sha, spa,
                       tha, tpa)


def icmp_echo(ident, seq, data):
    """An ICMP echo request with a good checksum."""
    m = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + data
    return m[:2] + struct.pack("!H", csum(m)) + m[4:]


def ipv6(nh, payload, src=b"\xfe\x80" + b"\0" * 13 + b"\x01",
         dst=b"\xff\x02" + b"\0" * 13 + b"\x01"):
    """An IPv6 packet."""
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, 255) + src + dst \
        + payload


def ra():
    """An ICMPv6 router advertisement (checksum left 0: not checked)."""
    return struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)


def ext(nh, body=b"\x01\x04\0\0\0\0"):
    """An IPv6 hop-by-hop or destination options header (8 bytes)."""
    return bytes([nh, 0]) + body


def write(name, files):
    """Replace corpus NAME with FILES (a dict of file name -> bytes)."""
    d = os.path.join(CORPUS, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for fname, data in sorted(files.items()):
        with open(os.path.join(d, fname), "wb") as f:
            f.write(data)


def arp_request_frame(src_mac, spa, tpa):
    """A broadcast ARP request, padded to 60 bytes."""
    f = eth(BCAST, src_mac, 0x0806,
            arp(1, src_mac, spa, b"\0" * 6, tpa))
    return f + b"\0" * (60 - len(f))


def stream_seeds():
    """stream: max_frame - 14, a read-size seed, length-prefixed frames."""
    frames = [
        arp_request_frame(VM_MAC, ip(2), ip(1)),
        eth(GW_MAC, VM_MAC, 0x0800,
            ipv4(ip(2), ip(1), 1, icmp_echo(1, 1, b"ping" * 8))),
        eth(BCAST, VM_MAC, 0x0800,
            ipv4(b"\0" * 4, b"\xff" * 4, 17,
                 udp(b"\0" * 4, b"\xff" * 4, 68, 67,
                     dhcp(1, 1, VM_MAC, 0x1234)))),
    ]

    def stream(fs):
        return b"".join(struct.pack("!I", len(f)) + f for f in fs)

    head = struct.pack("!H", 1500) + bytes(range(1, 9))
    return {
        "three-frames": head + stream(frames),
        "partial-last": head + stream(frames[:2]) + stream(frames[2:])[:30],
        "bad-length": head + stream(frames[:1]) + struct.pack("!I", 5)
        + b"\0" * 5,
        "small-max": struct.pack("!H", 50) + b"\xff" * 8
        + stream(frames[:1]),
    }


def dgram_record(op, data):
    """dgram: one record."""
    return bytes([op]) + struct.pack("!H", len(data)) + data


def dgram_seeds():
    """dgram: --max-frame choice, then records (op, length, bytes)."""
    arp_f = arp_request_frame(b"\2\0\0\0\0\1", ip(2), ip(3))
    reply = eth(b"\2\0\0\0\0\1", b"\2\0\0\0\0\2", 0x0806,
                arp(2, b"\2\0\0\0\0\2", ip(3), b"\2\0\0\0\0\1", ip(2)))
    reply += b"\0" * (60 - len(reply))
    ping = eth(BCAST, b"\2\0\0\0\0\4", 0x0800,
               ipv4(ip(4), ip(255), 1, icmp_echo(7, 1, b"x" * 32)))
    # op: sender in bits 0-2 (0, 1: --fd dgram, 2: --fd seqpacket, 3, 4:
    # peers, 5: unnamed, 6: close), 0x80 stamp own source MAC, 0x40 stamp
    # destination 02:00:00:00:00:(1 + ((op >> 3) & 7) % 5)
    return {
        "fd-arp-and-reply": b"\x01" + dgram_record(0x80, arp_f)
        + dgram_record(0xC1, reply),
        "peers-hello-unicast": b"\x01" + dgram_record(3, b"VFKT")
        + dgram_record(4, b"VFKT") + dgram_record(0x83, ping)
        + dgram_record(0xC4 | (3 << 3), reply),
        "runt-and-oversize": b"\x00" + dgram_record(0, b"\1" * 10)
        + dgram_record(1, ping + b"\0" * 40),
        "seqpacket-end": b"\x02" + dgram_record(0x82, arp_f)
        + dgram_record(2, b""),
        "peer-gone": b"\x01" + dgram_record(0x83, ping)
        + dgram_record(0x84, ping) + dgram_record(6 | 8, b"")
        + dgram_record(0xC3 | (4 << 3), reply),
        "unnamed": b"\x01" + dgram_record(5, ping),
    }


def guard_conf(flags, nrules, nstatics, dhcp_clients, lease, rules=b"",
               statics=b""):
    """guard: configuration bytes."""
    counts = nrules | nstatics << 2 | (dhcp_clients - 1) << 4
    return bytes([flags, counts]) + lease + rules + statics


def guard_rec(op, frame):
    """guard: one record (op 0 check, 1 snoop, 2 forward, 3 side)."""
    return bytes([op]) + struct.pack("!H", len(frame)) + frame


def guard_seeds():
    """guard: configurations and frames a VM sends or gets."""
    lease = ip(10)
    strict = guard_conf(2 | 0x10, 0, 1, 2, lease,
                        statics=b"\0" + ip(200))
    ping = eth(GW_MAC, VM_MAC, 0x0800,
               ipv4(lease, ip(1), 1, icmp_echo(1, 1, b"abcd" * 4)))
    spoof = eth(GW_MAC, VM_MAC, 0x0800,
                ipv4(ip(11), ip(1), 1, icmp_echo(1, 1, b"abcd" * 4)))
    discover = eth(BCAST, VM_MAC, 0x0800,
                   ipv4(b"\0" * 4, b"\xff" * 4, 17,
                        udp(b"\0" * 4, b"\xff" * 4, 68, 67,
                            dhcp(1, 1, VM_MAC, 9,
                                 opts=opt(61, b"\1" + VM_MAC)))))
    release = eth(GW_MAC, VM_MAC, 0x0800,
                  ipv4(lease, ip(1), 17,
                       udp(lease, ip(1), 68, 67,
                           dhcp(1, 7, VM_MAC, 10, ciaddr=lease,
                                opts=opt(54, ip(1))))))
    ack = eth(VM_MAC, GW_MAC, 0x0800,
              ipv4(ip(1), lease, 17,
                   udp(ip(1), lease, 67, 68,
                       dhcp(2, 5, VM_MAC, 9, yiaddr=lease,
                            opts=opt(54, ip(1))))))
    # a VM forging an ACK for another VM's MAC (the guard must drop it)
    forged = eth(VM2_MAC, VM_MAC, 0x0800,
                 ipv4(lease, ip(12), 17,
                      udp(lease, ip(12), 67, 68,
                          dhcp(2, 5, VM2_MAC, 3, yiaddr=ip(11),
                               opts=opt(54, ip(1))))))
    arp_f = arp_request_frame(VM_MAC, lease, ip(1))
    arp_gw = arp_request_frame(VM_MAC, ip(1), ip(3))
    ra_f = eth(b"\x33\x33\0\0\0\1", VM_MAC, 0x86DD,
               ipv6(0, ext(60) + ext(58) + ra()))
    ra_frag = eth(b"\x33\x33\0\0\0\1", VM_MAC, 0x86DD,
                  ipv6(44, struct.pack("!BBHI", 58, 0, 0, 7) + ra()))
    vlan = eth(BCAST, VM_MAC, 0x8100, b"\0\x05\x08\x06" + arp_f[14:])
    rules = (b"\x0a\0\0\0" + bytes([8]) + b"\x0a\x01\0\0" + bytes([0x80 | 16]))
    to_host = eth(GW_MAC, VM_MAC, 0x0800,
                  ipv4(lease, b"\x0a\x02\0\1", 6, b"\0" * 20))
    return {
        "strict-traffic": strict + guard_rec(0x10, ping)
        + guard_rec(0x10, spoof) + guard_rec(0x10, arp_f)
        + guard_rec(0x10, arp_gw),
        "strict-dhcp": guard_conf(2 | 0x10, 0, 0, 2, b"\0" * 4)
        + guard_rec(0x10, discover) + guard_rec(1, ack)
        + guard_rec(0x10, ping) + guard_rec(0x10, release),
        "strict-forged-ack": strict + guard_rec(0x10, forged),
        "mac-ra": guard_conf(1, 0, 0, 1, b"\0" * 4) + guard_rec(0x10, ra_f)
        + guard_rec(0x10, ra_frag) + guard_rec(0x10, vlan),
        "rules-isolate": guard_conf(1 | 0x08, 2, 0, 1, b"\0" * 4, rules)
        + guard_rec(2 | 0x40, to_host) + guard_rec(2 | 0xC0, to_host),
        "side": guard_conf(0, 0, 0, 1, b"\0" * 4)
        + guard_rec(3, b"10.1.0.0/16") + guard_rec(3, b"\x20" + b"\7" * 30),
    }


def dhcp_rec(op, dt, body):
    """dhcp: one record (op: client 0-3, type - 1 << 2, 0x20 raw, 0x40
    restart, 0x80 small reply buffer; 0x3f: a VM uses an address, and
    the hosts file is reloaded)."""
    return bytes([op, dt]) + struct.pack("!H", len(body)) + body


def dhcp_msg(client, mtype, fl, ra=0, ci=0, si=1, sp=0, extra=b"",
             dt=1, more=0):
    """dhcp: a structured client message (fl: 1 broadcast, 2 option 50,
    4 option 54, 8 ciaddr, 0x10 option 55, 0x20 giaddr, 0xc0 client id)."""
    op = (client - 1) | (mtype - 1) << 2 | more
    return dhcp_rec(op, dt, bytes([fl, ra, ci, si, sp]) + extra)


def dhcp_seeds():
    """dhcp: exchanges with the server."""
    raw = udp(b"\0" * 4, b"\xff" * 4, 68, 67,
              dhcp(1, 1, bytes([0x52, 0x54, 0, 0, 0, 2]), 0xABCD,
                   opts=opt(55, bytes([1, 3, 6, 12, 15, 26]))))
    dora = dhcp_msg(1, 1, 0x12, ra=2) + dhcp_msg(1, 3, 0x16, ra=2)
    many = b"".join(dhcp_msg(c, 1, 0x02 | fl, ra=c + 1)
                    + dhcp_msg(c, 3, 0x06 | fl, ra=c + 1)
                    for fl in (0x00, 0x40, 0x80, 0xC0) for c in (1, 2))
    return {
        "dora": dora,
        "dora-release-reuse": dora + dhcp_msg(1, 7, 0x0C, ci=2)
        + dhcp_msg(2, 1, 0x02, ra=2) + dhcp_msg(2, 3, 0x06, ra=2),
        "reserved": dhcp_msg(3, 1, 0x10) + dhcp_msg(3, 3, 0x06, ra=5)
        + dhcp_msg(4, 1, 0) + dhcp_msg(4, 3, 0x06, ra=20),
        "inform-decline": dhcp_msg(1, 8, 0x08, ci=7, sp=250)
        + dora + dhcp_msg(1, 4, 0x06, ra=2),
        "renew-expire-restart": dora + dhcp_msg(1, 3, 0x08, ci=2, dt=120)
        + dhcp_msg(1, 3, 0x08, ci=2, dt=255, more=0x40)
        + dhcp_msg(2, 1, 0, dt=255),
        "exhaust": many,
        "raw-discover": dhcp_rec(0x20, 1, raw),
        "small-buffer": dhcp_msg(1, 1, 0, more=0x80),
        "in-use-reload": dhcp_rec(0x3F, 1, bytes([6, 1]))
        + dhcp_msg(1, 1, 0) + dhcp_msg(2, 1, 0x02, ra=6),
    }


def gw_rec(framing, dt, body):
    """gw: one record (0 raw, 1 DHCP broadcast, 2 DHCP unicast, 3 ICMP,
    4 ARP)."""
    return bytes([framing, dt]) + struct.pack("!H", len(body)) + body


def gw_seeds():
    """gw: what a VM sends the gateway."""
    vm = bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56])
    disc = dhcp(1, 1, vm, 0x11, opts=opt(55, bytes([1, 3, 6])))
    req = dhcp(1, 3, vm, 0x11, opts=opt(50, ip(2)) + opt(54, ip(1)))
    renew = dhcp(1, 3, vm, 0x12, ciaddr=ip(2))
    return {
        "arp": gw_rec(4, 1, arp(1, vm, ip(3), b"\0" * 6, ip(1))
                      + b"\0" * 18),
        "arp-raw": gw_rec(0, 1, arp_request_frame(vm, ip(3), ip(1))),
        "ping": gw_rec(3, 1, icmp_echo(0x77, 1, b"0123456789abcdef")),
        "dhcp-dora": gw_rec(1, 1, disc) + gw_rec(1, 1, req)
        + gw_rec(2, 200, renew),
    }


def nd_seeds():
    """nd: ICMPv6 messages a VM sends (1 to the gateway, 2 DAD from ::,
    3 to all routers; checksums are fixed up by the harness)."""
    vm = bytes([0x52, 0x54, 0, 0x12, 0x34, 0x56])
    gw_ula = bytes([0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a]) + bytes(9) + b"\1"
    mine = bytes([0xfd, 0x12, 0x34, 0x56, 0x78, 0x9a]) + bytes(9) + b"\7"
    ns = bytes([135, 0, 0, 0, 0, 0, 0, 0]) + gw_ula + bytes([1, 1]) + vm
    dad = bytes([135, 0, 0, 0, 0, 0, 0, 0]) + mine
    rs = bytes([133, 0, 0, 0, 0, 0, 0, 0, 1, 1]) + vm
    echo = bytes([128, 0, 0, 0, 0, 1, 0, 1]) + b"ping6"
    return {
        "ns": gw_rec(1, 1, ns),
        "dad-then-ping": gw_rec(2, 1, dad) + gw_rec(0x82, 1, dad)
        + gw_rec(1, 1, echo),
        "rs-periodic": gw_rec(3, 1, rs) + gw_rec(3, 200, rs)
        + gw_rec(3, 255, rs),
    }


def leasefile_seeds():
    """leasefile: lease files."""
    key1 = "00525400000001"
    key2 = "035254000000020152540000000002"
    return {
        "leases": (
            "# socket_vmnet DHCP leases: address mac expiry(unix time) "
            "client-key\n"
            "192.168.105.2 52:54:00:00:00:01 1900000000 %s\n"
            "192.168.105.3 52:54:00:00:00:02 1600000000 %s\n"
            "192.168.105.4 52:54:00:00:00:03 1800000000 "
            "0052540000000003\n" % (key1, key2)).encode(),
        "damaged": (
            "192.168.105.2 52:54:00:00:00:01 1900000000 %s\n"
            "192.168.105.2 52:54:00:00:00:09 1900000000 0052540000000009\n"
            "192.168.105.5 52:54:00:00:00:05 1900000000 0052540000000005\n"
            "10.0.0.1 52:54:00:00:00:04 1900000000 0052540000000004\n"
            "192.168.105.6 52:54:00:00:00:06 -5 0052540000000006\n"
            "192.168.105.7 zz 1900000000 00\n"
            "\n   \n" % key1).encode(),
    }


def bootptab_seeds():
    """bootptab: prefix length byte, gateway pick, the file."""
    head = bytes([24 - 8]) + struct.pack("!I", 0)  # 192.168.105.1/24
    text = ("# reservations\nbootptab-style header lines are ignored\n"
            "%%\n"
            "vm1 1 52:54:00:12:34:01 192.168.105.10\n"
            "vm2\t1\t52:54:0:12:34:2\t192.168.105.11   # comment\n"
            "db.example 1 52-54-00-12-34-03 192.168.105.200 boot.img\n")
    return {
        "hosts": head + text.encode(),
        "duplicate": head + b"%%\nvm1 1 52:54:00:12:34:01 192.168.105.10\n"
        b"vm2 1 52:54:00:12:34:01 192.168.105.11\n",
        "no-separator": head + b"vm1 1 52:54:00:12:34:01 192.168.105.10\n",
        "wide-net": bytes([16 - 8]) + struct.pack("!I", 5000)
        + b"%%\nvm1 1 52:54:00:12:34:01 192.168.2.3\n",
    }


def conf_seeds():
    """conf: NUL-separated arguments."""
    lines = {
        "shared": ["--vmnet-gateway=192.168.105.1",
                   "--vmnet-dhcp-end=192.168.105.254",
                   "/var/run/socket_vmnet"],
        "isolated-strict": ["--vmnet-mode=isolated", "--guard=strict",
                            "--static=52:54:00:12:34:56=192.168.105.200",
                            "--dhcp-hosts=/etc/bootptab",
                            "--lease-file=/var/db/leases",
                            "--lease-time=3600", "--dns=1.1.1.1,8.8.8.8",
                            "--vmnet-gateway=10.0.0.1",
                            "--vmnet-mask=255.255.0.0", "--block=10.0.0.0/8",
                            "--allow=10.1.0.0/16", "--isolate",
                            "--dhcp-clients=4", "sock"],
        "fds": ["--fd=3,mac=52:54:00:12:34:56", "--fd=4", "--max-frame=9014",
                "--mtu=9000", "--queue-size=4M", "--max-ports=64",
                "--mac-age=60", "--allow-vlan"],
        "dgram-connect-tap": ["--dgram-socket=/tmp/d.sock",
                              "--connect=/tmp/vm.sock", "--tap=tap0", "-p",
                              "/run/x.pid", "--debug", "--user=nobody",
                              "--socket-group=staff", "sock"],
        "bridged": ["--vmnet-mode=bridged", "--vmnet-interface=en0",
                    "--vmnet-interface-id=6f2b1c4e-8d3a-4b5e-9f10-"
                    "123456789abc", "--vmnet-network-identifier=random",
                    "sock"],
        "limits-high": ["--max-frame=69632", "--queue-size=1G",
                        "--max-ports=65535", "--mac-age=86400",
                        "--mtu=65535", "--lease-time=604800",
                        "--dhcp-clients=8", "--fd=2147483647", "sock"],
        "limits-low": ["--max-frame=590", "--mtu=576", "--queue-size=1188",
                       "--max-ports=2", "--mac-age=1", "--lease-time=60",
                       "--dhcp-clients=1", "--fd=3", "sock"],
        "max-frame-min": ["--max-frame=64", "--queue-size=136", "sock"],
        "help": ["-h"],
        "version": ["--version"],
        "bad-frame": ["--max-frame=63", "sock"],
        "small-frame": ["--max-frame=600", "sock"],
    }
    return {k: b"\0".join(a.encode() for a in v) for k, v in lines.items()}


def ctl_seeds():
    """Control requests, one JSON object per line (docs/CONTROL.md)."""
    reqs = {
        "status": '{"v":1,"cmd":"status"}',
        "ports": '{"v":1,"cmd":"ports"}',
        "disconnect": '{"v":1,"cmd":"disconnect","port":3}',
        "capture": '{"v":1,"cmd":"capture","action":"start","port":1,'
                   '"mac":"52:54:00:12:34:56","max_bytes":1048576}',
        "forward": '{"v":1,"cmd":"forward","action":"add",'
                   '"spec":"tcp:127.0.0.1:8080:192.168.105.2:80"}',
        "escapes": '{"v":1,"cmd":"st\\u0061tus","x":[1,{"y":null}],'
                   '"z":"\\n\\t\\"","f":-1.5e3,"t":true}',
    }
    return {k: v.encode() + b"\n" for k, v in reqs.items()}


def main():
    """Write every corpus."""
    write("stream", stream_seeds())
    write("dgram", dgram_seeds())
    write("guard", guard_seeds())
    write("dhcp", dhcp_seeds())
    write("gw", gw_seeds())
    write("nd", nd_seeds())
    write("leasefile", leasefile_seeds())
    write("bootptab", bootptab_seeds())
    write("conf", conf_seeds())
    write("ctl", ctl_seeds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
