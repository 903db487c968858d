#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Smoke test with real QEMU (no guest): each network namespace gets a TAP
# device, and a "qemu-system-x86_64 -M none" plug inside that namespace joins
# the TAP to socket_vmnet through a QEMU hub.  Addresses are set by hand;
# ping between the namespaces must cross socket_vmnet.
#
#   ns A: tap0 10.99.0.1/24 -- QEMU -netdev stream --\
#   ns B: tap0 10.99.0.2/24 -- QEMU -netdev stream ----> socket_vmnet
#   ns C: tap0 10.99.0.3/24 -- QEMU -netdev dgram  --/   (isolated mode)
#
# Checks: A<->B ping (stream plugs), C->A ping (datagram plug), the daemon
# logged the connected ports and stops with exit 0 on SIGTERM.  Everything
# lives in namespaces made here: no host interface is touched.
#
# Needs root and qemu-system-x86_64 (Debian: qemu-system-x86); exits 77 when
# it cannot run.  Last line: "smoke-qemu: N passed, N failed".

set -u

cd "$(dirname "$0")/../.." || exit 1
SVM=${SOCKET_VMNET:-./socket_vmnet}
QEMU=${QEMU:-qemu-system-x86_64}

skip() {
	echo "smoke-qemu: cannot run: $*"
	exit 77
}

[[ $(id -u) -eq 0 ]] || skip "needs root (network namespaces, TAP devices)"
command -v "$QEMU" >/dev/null || skip "$QEMU not found (apt-get install qemu-system-x86)"
command -v ip >/dev/null || skip "ip not found (apt-get install iproute2)"
command -v ping >/dev/null || skip "ping not found (apt-get install iputils-ping)"
[[ -c /dev/net/tun ]] || skip "/dev/net/tun missing"
[[ -x $SVM ]] || {
	echo "smoke-qemu: $SVM not built"
	echo "smoke-qemu: 0 passed, 1 failed"
	exit 1
}

TMP=$(mktemp -d /tmp/svm-smoke.XXXXXX)
NS_A=svm-smoke-a-$$
NS_B=svm-smoke-b-$$
NS_C=svm-smoke-c-$$
SOCK=$TMP/sock
DGRAM=$TMP/dgram
DAEMON_PID=
passed=0
failed=0

cleanup() {
	local f pid
	for f in "$TMP"/qemu-*.pid; do
		[[ -f $f ]] || continue
		pid=$(cat "$f" 2>/dev/null)
		[[ -n $pid ]] && kill "$pid" 2>/dev/null
	done
	if [[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -KILL "$DAEMON_PID" 2>/dev/null
		wait "$DAEMON_PID" 2>/dev/null
	fi
	sleep 0.2
	for f in "$TMP"/qemu-*.pid; do
		[[ -f $f ]] || continue
		pid=$(cat "$f" 2>/dev/null)
		[[ -n $pid ]] && kill -KILL "$pid" 2>/dev/null
	done
	for ns in "$NS_A" "$NS_B" "$NS_C"; do
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() {
	echo "ok   $*"
	passed=$((passed + 1))
}

fail() {
	echo "FAIL $*"
	failed=$((failed + 1))
}

finish() {
	if [[ $failed -gt 0 ]]; then
		echo "--- daemon log"
		sed 's/^/    | /' "$TMP/daemon.log" 2>/dev/null | tail -n 40
		for f in "$TMP"/qemu-*.log; do
			[[ -s $f ]] || continue
			echo "--- $(basename "$f")"
			sed 's/^/    | /' "$f" | tail -n 20
		done
	fi
	echo "smoke-qemu: $passed passed, $failed failed"
	[[ $failed -eq 0 ]]
	exit
}

# wait_for SECONDS COMMAND...: poll until COMMAND succeeds.
wait_for() {
	local limit=$(($1 * 10)) i
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

pidfile_ready() {
	[[ -s $TMP/pid && $(cat "$TMP/pid") == "$DAEMON_PID" ]]
}

connected_ports() {
	grep -ci 'port [0-9]* connected' "$TMP/daemon.log"
}

ports_at_least() {
	[[ $(connected_ports) -ge $1 ]]
}

# --- the switch -----------------------------------------------------------
"$SVM" --vmnet-mode=isolated --pidfile="$TMP/pid" --dgram-socket="$DGRAM" \
	"$SOCK" </dev/null >"$TMP/daemon.log" 2>&1 &
DAEMON_PID=$!
if ! wait_for 10 pidfile_ready; then
	fail "daemon did not start"
	finish
fi

# --- namespaces, TAPs, plugs ----------------------------------------------
# plug NS ADDR NETDEV: namespace NS with tap0 at ADDR, bridged by a QEMU plug
# whose switch-side netdev is NETDEV (id s).
plug() {
	local ns=$1 addr=$2 netdev=$3 name=$1
	ip netns add "$ns" || return 1
	ip -n "$ns" link set lo up || return 1
	# Created inside the namespace, so it never exists on the host.
	ip netns exec "$ns" ip tuntap add dev tap0 mode tap || return 1
	ip -n "$ns" addr add "$addr/24" dev tap0 || return 1
	ip -n "$ns" link set tap0 up || return 1
	ip netns exec "$ns" "$QEMU" -M none -nodefaults -display none \
		-pidfile "$TMP/qemu-$name.pid" \
		-netdev tap,id=t,ifname=tap0,script=no,downscript=no \
		-netdev hubport,id=h1,hubid=0,netdev=t \
		-netdev "$netdev" \
		-netdev hubport,id=h2,hubid=0,netdev=s \
		</dev/null >"$TMP/qemu-$name.log" 2>&1 &
	wait_for 10 test -s "$TMP/qemu-$name.pid"
}

if ! plug "$NS_A" 10.99.0.1 "stream,id=s,server=off,addr.type=unix,addr.path=$SOCK" ||
	! plug "$NS_B" 10.99.0.2 "stream,id=s,server=off,addr.type=unix,addr.path=$SOCK"; then
	fail "could not set up the stream plugs"
	finish
fi

if wait_for 10 ports_at_least 2; then
	ok "daemon logged two connected stream ports"
else
	fail "daemon logged $(connected_ports) connected ports, want 2"
fi

if ip netns exec "$NS_A" timeout 20 ping -c 3 -W 2 10.99.0.2; then
	ok "ping 10.99.0.1 -> 10.99.0.2 through socket_vmnet (stream plugs)"
else
	fail "ping 10.99.0.1 -> 10.99.0.2 (stream plugs)"
fi

# --- a datagram plug --------------------------------------------------------
if plug "$NS_C" 10.99.0.3 "dgram,id=s,local.type=unix,local.path=$TMP/plug-c.dgram,remote.type=unix,remote.path=$DGRAM"; then
	# The daemon learns a datagram peer from its first frame: C speaks first.
	if ip netns exec "$NS_C" timeout 20 ping -c 3 -W 2 10.99.0.1; then
		ok "ping 10.99.0.3 -> 10.99.0.1 through socket_vmnet (dgram plug)"
	else
		fail "ping 10.99.0.3 -> 10.99.0.1 (dgram plug)"
	fi
else
	fail "could not set up the datagram plug"
fi

# --- clean stop -------------------------------------------------------------
kill -TERM "$DAEMON_PID"
rc=0
wait_for 10 eval '! kill -0 $DAEMON_PID 2>/dev/null' || true
wait "$DAEMON_PID" 2>/dev/null
rc=$?
DAEMON_PID=
if [[ $rc -eq 0 && ! -e $SOCK && ! -e $TMP/pid ]]; then
	ok "daemon stopped on SIGTERM with exit 0, socket and pidfile removed"
else
	fail "daemon on SIGTERM: exit $rc, socket $([[ -e $SOCK ]] && echo left || echo removed)"
fi

finish
