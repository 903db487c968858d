#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Drive socket_vmnet built for macOS (vmnet.c, loop_kqueue.c) on Linux
against the vmnet and kqueue test doubles: the daemon starts "vmnet" with
the flags' parameters, a VM on the stream socket and the network behind
vmnet exchange frames both ways, SIGTERM stops the interface.

Run by test/doubles/vmnet-check.sh:  vmnet_e2e.py DAEMON LIBDIR
This checks the daemon's use of the documented vmnet contract, as the
double models it; it does not run Apple's code.
"""
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   vmnet-e2e/{name}")
    else:
        failed += 1
        print(f"FAIL vmnet-e2e/{name} {detail}")


def wait_for(pred, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def recv_stream_frame(s, timeout=3.0):
    s.settimeout(timeout)
    buf = b""
    while len(buf) < 4:
        buf += s.recv(4 - len(buf))
    (n,) = struct.unpack("!I", buf)
    body = b""
    while len(body) < n:
        body += s.recv(n - len(body))
    return body


def main():
    daemon, libdir = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="vmnet-e2e.")
    netpath = os.path.join(tmp, "net")
    sockpath = os.path.join(tmp, "sock")
    pidfile = os.path.join(tmp, "pid")
    errlog = os.path.join(tmp, "stderr")
    net = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    net.bind(netpath)
    net.settimeout(3.0)
    env = dict(os.environ, LD_LIBRARY_PATH=libdir, VMNET_DOUBLE_NET=netpath)
    args = [daemon, "--vmnet-mode=shared", "--vmnet-gateway=192.168.105.1",
            "--vmnet-dhcp-end=192.168.105.100",
            "--vmnet-interface-id=5e1c4f6a-2b3d-4c5e-8f90-a1b2c3d4e5f6",
            "--vmnet-nat66-prefix=fd00:1:2:3::", "--pidfile=" + pidfile,
            sockpath]
    with open(errlog, "w") as err:
        proc = subprocess.Popen(args, env=env, stdout=err, stderr=err)
    try:
        up = wait_for(lambda: os.path.exists(pidfile) or proc.poll() is not None)
        log = open(errlog).read()
        check("starts", up and proc.poll() is None, log)
        check("start_parameters",
              "vmnet-double: start mode=1001 interface= "
              "start=192.168.105.1 end=192.168.105.100 mask=255.255.255.0 "
              "nat66=fd00:1:2:3:: mtu=0 interface_id=1" in log, log)
        check("logs_vmnet_answer",
              "vmnet: interface started: MTU 1500, max packet size 1514"
              in log, log)
        if proc.poll() is not None:
            return
        vm = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        vm.connect(sockpath)
        vm_mac = bytes.fromhex("525400123456")
        # ARP request from the VM: broadcast, so it goes to vmnet too
        arp = (b"\xff" * 6 + vm_mac + b"\x08\x06" + bytes.fromhex(
            "0001080006040001") + vm_mac + bytes([192, 168, 105, 50]) +
            b"\x00" * 6 + bytes([192, 168, 105, 1]) + b"\x00" * 18)
        time.sleep(0.2)
        vm.sendall(struct.pack("!I", len(arp)) + arp)
        try:
            got = net.recv(4096)
        except socket.timeout:
            got = b""
        check("vm_to_vmnet", got == arp, repr(got[:20]))
        # a reply from "the host", unicast to the VM's learned MAC
        host_mac = bytes.fromhex("f2000100bcde")
        reply = vm_mac + host_mac + b"\x08\x06" + b"\x00" * 46
        net.sendto(reply, netpath + ".vmnet")
        try:
            back = recv_stream_frame(vm)
        except (socket.timeout, OSError):
            back = b""
        check("vmnet_to_vm", back == reply, repr(back[:20]))
        # a burst: all of it arrives, in order
        for i in range(100):
            net.sendto(b"\xff" * 6 + host_mac + b"\x88\xb5" + bytes([i]) +
                       b"\x00" * 45, netpath + ".vmnet")
        ids = []
        try:
            for _ in range(100):
                ids.append(recv_stream_frame(vm)[14])
        except (socket.timeout, OSError):
            pass
        check("vmnet_burst_in_order", ids == list(range(100)),
              f"{len(ids)} frames")
        vm.close()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log = open(errlog).read()
        check("stops_cleanly", proc.returncode == 0, log[-2000:])
        check("stops_vmnet", "vmnet: interface stopped" in log, log[-2000:])
        print(f"vmnet-e2e: {passed} passed, {failed} failed")


if __name__ == "__main__":
    main()
    sys.exit(1 if failed else 0)
