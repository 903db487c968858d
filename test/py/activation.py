#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Socket activation: the daemon takes its listening sockets from the service
manager (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES) instead of creating them.

Most tests use systemd's own activator, systemd-socket-activate (Debian
package systemd): it creates and listens on the socket, waits for the first
client, then runs the daemon with the socket as descriptor 3, as a .socket
unit does. A VM connects, gets a DHCP lease from the gateway and exchanges
frames with a second VM; the socket file is the activator's: same inode
while the daemon runs and after it stopped, and never removed. The other
tests hand the daemon descriptors by hand to check what it refuses.
No root needed.

    python3 test/py/activation.py [-k WORD] [--list]

Last line: "activation: N passed, N failed". Binary: $SOCKET_VMNET.
"""

import os
import re
import shutil
import socket
import subprocess
import sys

from svmlib import (ETH_P_TEST, SVM, Suite, TestFailure, TestSkip, check,
                    daemon_env, eth, mac, new_tag, wait_until)

ACTIVATOR = shutil.which("systemd-socket-activate")
GW = "10.46.0.1"
BASE = ["--vmnet-mode=isolated", "--vmnet-gateway=" + GW]

SUITE = Suite("activation", timeout=60, finish=True,
              daemon_defaults={"base_args": BASE})


def need_activator():
    if not ACTIVATOR:
        raise TestFailure("systemd-socket-activate not found "
                          "(apt-get install systemd)")


def activated(ctx, sock_path, listen, datagram=False, fdname=None,
              dgram=None, args=()):
    """A daemon run by systemd-socket-activate listening on @listen (the
    daemon's SOCKET is @sock_path); not started before the first client."""
    need_activator()
    wrapper = [ACTIVATOR, "-l", listen]
    if datagram:
        wrapper.append("--datagram")
    if fdname:
        wrapper.append("--fdname=" + fdname)
    return ctx.daemon(*args, wrapper=wrapper, sock=sock_path, dgram=dgram,
                      ready=False)


def wait_file(d, path):
    """The inode of @path once the activator listens on it (it says so
    after listen())."""
    d.wait_log(r"Listening on %s as" % re.escape(path))
    return os.stat(path).st_ino


def exchange(a, b):
    """@a sends @b a frame; it must arrive."""
    tag = new_tag("act")
    a.send(eth(b.mac, a.mac, ETH_P_TEST, tag))
    check(b.wait(lambda d, f: tag in f) is not None,
          "%s's frame never reached %s" % (a.name, b.name))


@SUITE.test("stream socket from systemd-socket-activate")
def t_stream(ctx):
    path = ctx.path("sock")
    d = activated(ctx, "sock", path)
    ino = wait_file(d, path)
    vm1 = d.connect("vm1", mac(1), learn_port=False)   # starts the daemon
    d.wait_ready()
    check(d.log_has(r"sock: socket passed by the service manager"),
          "the daemon did not say it took the passed socket")
    vm1.dhcp()
    vm2 = d.connect("vm2", mac(2), learn_port=False)
    vm2.dhcp()
    exchange(vm1, vm2)
    exchange(vm2, vm1)
    check(os.stat(path).st_ino == ino,
          "the socket file was recreated while the daemon ran")
    check(not d.log_has(r"stale socket", timeout=0),
          "the daemon treated the passed socket as stale")
    d.close_vms()
    check(d.stop() == 0, "the daemon did not exit 0 on SIGTERM")
    check(os.path.exists(path) and os.stat(path).st_ino == ino,
          "the daemon removed or replaced the socket it was given")


@SUITE.test("datagram socket from systemd-socket-activate --datagram")
def t_dgram(ctx):
    dpath = ctx.path("dgram")
    d = activated(ctx, "sock", dpath, datagram=True, dgram="dgram")
    ino = wait_file(d, dpath)
    vm1 = ctx.dgram(dpath, 1)
    vm1.gw = GW
    vm1.dhcp()                                          # starts the daemon
    d.wait_ready()
    check(d.log_has(r"dgram: socket passed by the service manager"),
          "the daemon did not say it took the passed datagram socket")
    vm2 = ctx.dgram(dpath, 2)
    vm2.gw = GW
    vm2.dhcp()
    exchange(vm1, vm2)
    exchange(vm2, vm1)
    vm3 = d.connect("vm3", mac(3), learn_port=False)   # its own SOCKET
    exchange(vm3, vm1)
    check(os.stat(dpath).st_ino == ino, "the datagram socket was recreated")
    for vm in (vm1, vm2):
        vm.close()
    d.close_vms()
    check(d.stop() == 0, "the daemon did not exit 0 on SIGTERM")
    check(os.path.exists(dpath) and os.stat(dpath).st_ino == ino,
          "the daemon removed the datagram socket it was given")
    check(not os.path.exists(ctx.path("sock")),
          "the daemon left the SOCKET it made itself behind")


@SUITE.test("a socket named \"socket\" serves SOCKET whatever its path")
def t_by_name(ctx):
    path = ctx.path("from-manager")
    d = activated(ctx, "never-made", path, fdname="socket")
    wait_file(d, path)
    vm1 = d.connect("vm1", mac(1), path=path, learn_port=False)
    d.wait_ready()
    vm1.dhcp()
    check(not os.path.exists(ctx.path("never-made")),
          "the daemon made SOCKET although it was passed by name")
    d.close_vms()
    check(d.stop() == 0, "the daemon did not exit 0 on SIGTERM")
    check(os.path.exists(path), "the passed socket was removed")


@SUITE.test("with --user the monitor leaves the passed socket alone")
def t_user(ctx):
    if os.geteuid() != 0:
        raise TestSkip("needs root (--user)")
    path = ctx.path("sock")
    d = activated(ctx, "sock", path, args=["--user=nobody"])
    ino = wait_file(d, path)
    vm1 = d.connect("vm1", mac(1), learn_port=False)
    d.wait_ready()
    check(d.log_has(r"running as user nobody"), "no privilege drop logged")
    vm1.dhcp()
    d.close_vms()
    check(d.stop() == 0, "the daemon did not exit 0 on SIGTERM")
    check(os.path.exists(path) and os.stat(path).st_ino == ino,
          "the monitor removed or replaced the socket it was given")


def run_with_fd3(ctx, sock, listen_env, args):
    """Start the daemon with @sock as descriptor 3 and the variables
    @listen_env, where a LISTEN_PID of "self" becomes the daemon's own pid
    (a small launcher sets it, then execs the daemon, keeping its pid);
    return the Popen, its output in ctx.path("log")."""
    argv = [SVM] + BASE + list(args)
    launcher = ("import os\n"
                "os.dup2(%d, 3)\n"
                "env = %r\n"
                "if env.get('LISTEN_PID') == 'self':\n"
                "    env['LISTEN_PID'] = str(os.getpid())\n"
                "os.environ.update(env)\n"
                "os.execv(%r, %r)\n" % (sock.fileno(), listen_env, SVM, argv))
    log = ctx.own(open(ctx.path("log"), "wb"))
    return ctx.own(subprocess.Popen(
        [sys.executable, "-c", launcher], stdin=subprocess.DEVNULL,
        stdout=log, stderr=subprocess.STDOUT, pass_fds=(sock.fileno(),),
        env=daemon_env(), cwd=ctx.dir))


def read_log(ctx):
    with open(ctx.path("log"), errors="replace") as f:
        return f.read()


@SUITE.test("a stream socket that does not listen is refused")
def t_not_listening(ctx):
    a, b = socket.socketpair()
    ctx.own(a, b)
    p = run_with_fd3(ctx, a, {"LISTEN_PID": "self", "LISTEN_FDS": "1",
                              "LISTEN_FDNAMES": "socket"},
                     [ctx.path("sock")])
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        raise TestFailure("the daemon ran with a non-listening socket")
    check(rc == 1, "exit %d, not 1" % rc)
    check("is not listening" in read_log(ctx),
          "no message about the socket:\n" + read_log(ctx))


@SUITE.test("sockets meant for another process are left alone")
def t_other_pid(ctx):
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ctx.own(other)
    other.bind(ctx.path("other"))
    other.listen(4)
    sock = ctx.path("sock")
    p = run_with_fd3(ctx, other, {"LISTEN_PID": "1", "LISTEN_FDS": "1",
                                  "LISTEN_FDNAMES": "socket"},
                     ["--pidfile=" + ctx.path("pid"), sock])
    check(wait_until(lambda: os.path.exists(ctx.path("pid")), 10),
          "the daemon did not start:\n" + read_log(ctx))
    check(os.path.exists(sock), "the daemon did not make its own SOCKET")
    check("passed by the service manager" not in read_log(ctx),
          "the daemon took a socket meant for pid 1")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    ctx.own(s)
    s.connect(sock)
    p.terminate()
    check(p.wait(10) == 0, "the daemon did not exit 0 on SIGTERM")
    check(not os.path.exists(sock), "the daemon left its own SOCKET")
    check(os.path.exists(ctx.path("other")), "the other socket was touched")


@SUITE.test("a passed socket nothing uses is closed with a warning")
def t_unused(ctx):
    extra = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ctx.own(extra)
    extra.bind(ctx.path("extra"))
    p = run_with_fd3(ctx, extra, {"LISTEN_PID": "self", "LISTEN_FDS": "1",
                                  "LISTEN_FDNAMES": "stray"},
                     ["--pidfile=" + ctx.path("pid"), ctx.path("sock")])
    check(wait_until(lambda: os.path.exists(ctx.path("pid")), 10),
          "the daemon did not start:\n" + read_log(ctx))
    check(wait_until(lambda: "(stray) matches no socket" in read_log(ctx), 5),
          "no warning about the unused socket:\n" + read_log(ctx))
    p.terminate()
    check(p.wait(10) == 0, "the daemon did not exit 0 on SIGTERM")
    check(os.path.exists(ctx.path("extra")),
          "the daemon removed a socket file it was given")


if __name__ == "__main__":
    sys.exit(SUITE.main(sys.argv[1:]))
