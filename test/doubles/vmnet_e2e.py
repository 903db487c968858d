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
import shutil
import socket
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "py"))
from svmlib import (BCAST, ETH_P_ARP, ETH_P_TEST, ZERO_MAC,  # noqa: E402
                    Closed, Daemon, StreamVM, TestFailure, arp_body, eth,
                    summary)

passed = failed = 0


def report(name, ok, detail=""):
    """One result line; the steps go on after a failure."""
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   vmnet-e2e/{name}")
    else:
        failed += 1
        print(f"FAIL vmnet-e2e/{name} {detail}")


def recv(vm):
    """The VM's next frame, or b"" if none comes within 3 s."""
    try:
        return vm.recv(3.0) or b""
    except (Closed, OSError):
        return b""


def main():
    binary, libdir = sys.argv[1], sys.argv[2]
    tmp = tempfile.mkdtemp(prefix="vmnet-e2e.")
    netpath = os.path.join(tmp, "net")
    net = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    net.bind(netpath)
    net.settimeout(3.0)
    env = dict(os.environ, LD_LIBRARY_PATH=libdir, VMNET_DOUBLE_NET=netpath)
    d = Daemon(tmp, "daemon", [
        "--vmnet-mode=shared", "--vmnet-gateway=192.168.105.1",
        "--vmnet-dhcp-end=192.168.105.100",
        "--vmnet-interface-id=5e1c4f6a-2b3d-4c5e-8f90-a1b2c3d4e5f6",
        "--vmnet-nat66-prefix=fd00:1:2:3::"], binary=binary,
        sock=os.path.join(tmp, "sock"), env=env, ready=False)
    try:
        try:
            up = d.wait_ready(timeout=5.0, exit_ok=True)
        except TestFailure:
            up = False
        log = d.log()
        report("starts", up and d.alive(), log)
        report("start_parameters",
               "vmnet-double: start mode=1001 interface= "
               "start=192.168.105.1 end=192.168.105.100 mask=255.255.255.0 "
               "nat66=fd00:1:2:3:: mtu=0 interface_id=1" in log, log)
        report("logs_vmnet_answer",
               "vmnet: interface started: MTU 1500, max packet size 1514"
               in log, log)
        if not d.alive():
            return
        vm_mac = bytes.fromhex("525400123456")
        before = len(d.ports("connected", ": stream"))
        vm = StreamVM.connect(d.sock, "vm", vm_mac)
        d.wait_port(before, "connected", ": stream")  # accepted: a port
        # ARP request from the VM: broadcast, so it goes to vmnet too
        arp = eth(BCAST, vm_mac, ETH_P_ARP, arp_body(
            1, vm_mac, "192.168.105.50", ZERO_MAC, "192.168.105.1"))
        vm.send(arp)
        try:
            got = net.recv(4096)
        except socket.timeout:
            got = b""
        report("vm_to_vmnet", got == arp, repr(got[:20]))
        # a reply from "the host", unicast to the VM's learned MAC
        host_mac = bytes.fromhex("f2000100bcde")
        reply = eth(vm_mac, host_mac, ETH_P_ARP, b"")
        net.sendto(reply, netpath + ".vmnet")
        back = recv(vm)
        report("vmnet_to_vm", back == reply, repr(back[:20]))
        # a burst: all of it arrives, in order
        for i in range(100):
            net.sendto(eth(BCAST, host_mac, ETH_P_TEST, bytes([i])),
                       netpath + ".vmnet")
        ids = []
        for _ in range(100):
            f = recv(vm)
            if not f:
                break
            ids.append(f[14])
        report("vmnet_burst_in_order", ids == list(range(100)),
               f"{len(ids)} frames")
        vm.close()
    finally:
        rc = d.stop(timeout=10)
        log = d.log()
        report("stops_cleanly", rc == 0, log[-2000:])
        report("stops_vmnet", "vmnet: interface stopped" in log, log[-2000:])
        summary("vmnet-e2e", passed, failed)
        net.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
    sys.exit(1 if failed else 0)
