#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# One VM network over two hosts, as docs/MULTIHOST.md builds it: the
# kernel's VXLAN and bridge carry it, a socket_vmnet in bridged mode on each
# host attaches its VMs. Everything lives in network namespaces made here
# (svmmh-PID-*):
#
#   host A (ns ha)                               host B (ns hb)
#   br0 10.213.0.1/24 + dnsmasq (DHCP, MTU 1450) br0 10.213.0.2/24
#    |- vx0 (VXLAN 4242) ==== underlay veth ==== vx0 (VXLAN 4242) -|
#    |    10.212.0.1/24                             10.212.0.2/24  |
#    '- TAP of socket_vmnet A                  TAP of socket_vmnet B -'
#          ^ QEMU plug: VM a1 (ns)                 ^ QEMU plug: VM b1 (ns)
#          ^ QEMU plug: VM a2 (ns)
#
# Checks: both VMs get leases from the one DHCP server on host A (VM b1's
# crosses the tunnel), with the MTU that fits the tunnel (1450); they ping
# each other across hosts, at full size with DF set; a VM on host B that
# sends with VM a1's MAC is stopped by daemon B's guard (it never reaches
# host A, whose bridge keeps VM a1 where it is), and works again with its
# own; both daemons stop with exit 0 and take their TAPs with them.
#
# Needs root, /dev/net/tun, the kernel's vxlan and bridge, and ip, bridge,
# ping, busybox (udhcpc), dnsmasq, qemu-system-x86_64. Exits 77 when it
# cannot run (a failure with CI=true or REQUIRE_QEMU=1).
# Last line: "multihost: N passed, N failed".

set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DAEMON=${SOCKET_VMNET:-$ROOT/socket_vmnet}
. "$ROOT/test/sh/lib.sh"

NS=svmmh-$$
UL=10.212.0    # underlay
LAN=10.213.0   # the VM network
MTU=1450       # 1500 underlay - 50 bytes of VXLAN over IPv4
MAC_A1=02:5e:13:00:00:a1
MAC_A2=02:5e:13:00:00:a2
MAC_B1=02:5e:13:00:00:b1

skip() { cannot_run multihost "$@"; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for tool in ip bridge ping busybox dnsmasq qemu-system-x86_64; do
	command -v "$tool" >/dev/null 2>&1 || skip "no $tool"
done
[ -x "$DAEMON" ] || {
	echo "FAIL: $DAEMON is not built (run make)"
	echo "multihost: 0 passed, 1 failed"
	exit 1
}

TMP=$(mktemp -d /tmp/svm-multihost.XXXXXX)
chmod 755 "$TMP"
NAMESPACES=()
PIDS=()

cleanup() {
	local p ns
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for pf in "$TMP"/*.qpid; do [ -s "$pf" ] && kill -TERM "$(cat "$pf")" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "${NAMESPACES[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	done
	for ns in "${NAMESPACES[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ "${MULTIHOST_KEEP:-0}" = 1 ]; then echo "logs kept in $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

mkns() {
	ip netns add "$1" || skip "cannot create network namespaces"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
}

HA=$NS-ha HB=$NS-hb VA1=$NS-a1 VA2=$NS-a2 VB1=$NS-b1
for ns in "$HA" "$HB" "$VA1" "$VA2" "$VB1"; do mkns "$ns"; done

# --- the two hosts: underlay, VXLAN, bridge (docs/MULTIHOST.md, step 1-2) ---
ip -n "$HA" link add ul0 type veth peer name ul0 netns "$HB"
# host_net NS SELF PEER LANADDR: underlay address, VXLAN to PEER, bridge br0
host_net() {
	local ns=$1 self=$2 peer=$3 lan=$4
	ip -n "$ns" addr add "$UL.$self/24" dev ul0 &&
		ip -n "$ns" link set ul0 up &&
		ip -n "$ns" link add vx0 type vxlan id 4242 local "$UL.$self" \
			remote "$UL.$peer" dstport 4789 dev ul0 &&
		ip -n "$ns" link add br0 type bridge &&
		ip -n "$ns" link set vx0 master br0 &&
		ip -n "$ns" link set vx0 up &&
		ip -n "$ns" addr add "$LAN.$lan/24" dev br0 &&
		ip -n "$ns" link set br0 up
}
host_net "$HA" 1 2 1 || skip "cannot make a VXLAN port and a bridge (kernel modules vxlan, bridge)"
host_net "$HB" 2 1 2 || skip "cannot make a VXLAN port and a bridge (kernel modules vxlan, bridge)"
check "the kernel gives the VXLAN port MTU $MTU over a 1500 underlay" \
	sh -c "ip -n $HA -o link show vx0 | grep -q 'mtu $MTU '"
check "the hosts reach each other over the tunnel (br0 to br0)" \
	ip netns exec "$HA" ping -c1 -W2 $LAN.2

# --- DHCP from one place: dnsmasq on host A (step 3) ---
ip netns exec "$HA" dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
	--interface=br0 --bind-interfaces --dhcp-range=$LAN.100,$LAN.150,255.255.255.0,600 \
	--dhcp-option=option:mtu,$MTU --dhcp-option=option:router,$LAN.1 \
	--dhcp-leasefile="$TMP/dnsmasq.leases" --log-dhcp --log-facility=- \
	>"$TMP/dnsmasq.log" 2>&1 &
PIDS+=($!)

# --- one daemon per host, bridged onto br0 (step 4) ---
# daemon NS TAG: socket_vmnet --vmnet-mode=bridged --vmnet-interface=br0
daemon() {
	ip netns exec "$1" "$DAEMON" --vmnet-mode=bridged --vmnet-interface=br0 \
		--mtu=$MTU --pidfile="$TMP/$2.pid" "$TMP/$2.sock" >"$TMP/$2.log" 2>&1 &
	PIDS+=($!)
	eval "PID_$2=$!"
	for _ in $(seq 100); do
		[ -s "$TMP/$2.pid" ] && return 0
		kill -0 "$!" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
daemon "$HA" da && ok "daemon A starts, bridged onto br0 of host A" || bad "daemon A starts" "$TMP/da.log"
daemon "$HB" db && ok "daemon B starts, bridged onto br0 of host B" || bad "daemon B starts" "$TMP/db.log"

# --- VMs: a TAP in a namespace joined to a daemon by a QEMU plug (step 5) ---
# plug NS TAP MAC SOCK
plug() {
	ip -n "$1" tuntap add dev "$2" mode tap &&
		ip -n "$1" link set "$2" address "$3" &&
		ip -n "$1" link set "$2" up &&
		qemu_plug "$1" "$2" "$4" "$TMP/$1.qpid" "$TMP/qemu.log"
}
cat >"$TMP/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig) ip -4 addr flush dev "$interface"; ip link set dev "$interface" up ;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	printf 'ip=%s\nmtu=%s\nserverid=%s\n' "$ip" "$mtu" "$serverid" >"$HOOK_OUT"
	;;
esac
exit 0
EOF
chmod 755 "$TMP/udhcpc.sh"
# lease NS TAP TAG: a DHCP lease with busybox udhcpc, recorded in TAG.lease
lease() {
	HOOK_OUT=$TMP/$3.lease ip netns exec "$1" timeout 30 busybox udhcpc -i "$2" \
		-f -q -n -t 8 -T 1 -O mtu -s "$TMP/udhcpc.sh" >"$TMP/$3.out" 2>&1 && [ -s "$TMP/$3.lease" ]
}
get() { sed -n "s/^$2=//p" "$TMP/$1.lease" 2>/dev/null; }

plug "$VA1" tap0 $MAC_A1 "$TMP/da.sock" || bad "plug VM a1 into daemon A" "$TMP/qemu.log"
plug "$VA2" tap0 $MAC_A2 "$TMP/da.sock" || bad "plug VM a2 into daemon A" "$TMP/qemu.log"
plug "$VB1" tap0 $MAC_B1 "$TMP/db.sock" || bad "plug VM b1 into daemon B" "$TMP/qemu.log"

for v in a1:"$VA1" a2:"$VA2" b1:"$VB1"; do
	tag=${v%%:*} ns=${v#*:}
	if lease "$ns" tap0 "$tag"; then
		ok "VM $tag: lease $(get "$tag" ip) from $(get "$tag" serverid)"
		check "VM $tag: the lease comes from dnsmasq on host A" [ "$(get "$tag" serverid)" = $LAN.1 ]
		check "VM $tag: the lease's MTU is $MTU, the tunnel's" [ "$(get "$tag" mtu)" = $MTU ]
		check "VM $tag: its interface took MTU $MTU" \
			sh -c "ip -n $ns -o link show tap0 | grep -q 'mtu $MTU '"
	else
		bad "VM $tag: DHCP lease" "$TMP/$tag.out" "$TMP/dnsmasq.log"
	fi
done
IP_A1=$(get a1 ip) IP_A2=$(get a2 ip) IP_B1=$(get b1 ip)

# --- traffic across hosts ---
vping() { ip netns exec "$1" ping -c1 -W2 "${@:3}" "$2" >/dev/null 2>&1; }
check "VM a1 pings VM b1 across the tunnel" vping "$VA1" "$IP_B1"
check "VM b1 pings VM a1 across the tunnel" vping "$VB1" "$IP_A1"
check "VM b1 pings host A (10.213.0.1) across the tunnel" vping "$VB1" $LAN.1
check "full-size frames cross: ping -M do -s $((MTU - 28)) a1 -> b1" \
	vping "$VA1" "$IP_B1" -M do -s $((MTU - 28))
check "VM a1 pings VM a2 on the same host" vping "$VA1" "$IP_A2"
check "host B's bridge learned VM a1 behind the tunnel" \
	sh -c "bridge -n $HB fdb show br br0 | grep -i '$MAC_A1' | grep -q 'dev vx0'"

# --- a spoof across the tunnel: VM b1 takes VM a1's MAC ---
ip -n "$VB1" link set tap0 address $MAC_A1
ip -n "$VB1" neigh flush dev tap0
if vping "$VB1" $LAN.1 || vping "$VB1" "$IP_A2"; then
	bad "VM b1 with VM a1's MAC got through daemon B" "$TMP/db.log"
else
	ok "VM b1 with VM a1's MAC reaches nothing across the tunnel"
fi
check "daemon B's guard said why it dropped the spoofed frames" \
	grep -qi "dropped a frame" "$TMP/db.log"
check "host A's bridge still has VM a1 on its own daemon's TAP, not on vx0" \
	sh -c "bridge -n $HA fdb show br br0 | grep -i '$MAC_A1' | grep -vq 'dev vx0'"
check "VM a1 still reaches host A (nothing hijacked it)" vping "$VA1" $LAN.1
ip -n "$VB1" link set tap0 address $MAC_B1
ip -n "$VB1" neigh flush dev tap0
check "VM b1 with its own MAC again reaches VM a1 (the positive control)" vping "$VB1" "$IP_A1"

# --- stop ---
for t in da db; do
	pid=$(eval echo "\$PID_$t")
	kill -TERM "$pid"
	rc=
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; rc=$?; break; }
		sleep 0.1
	done
	check "daemon ${t#d} exits 0 on SIGTERM" [ "$rc" = 0 ]
done
check "no daemon TAP is left on either bridge" \
	sh -c "! ip -n $HA -o link show master br0 | grep -qv vx0 && ! ip -n $HB -o link show master br0 | grep -qv vx0"

echo "multihost: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
