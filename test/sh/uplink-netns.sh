#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Root test of the Linux uplink (src/tap.c, src/nat.c) in network
# namespaces: host, shared (NAT, ip_forward, crash recovery) and bridged
# modes, MTUs, and the errors without privileges or without a bridge.
#
# Everything runs inside namespaces this script creates (svt-PID-*), so the
# machine's own interfaces, routes, nftables ruleset and sysctls are never
# touched. A small driver (test/sh/uplink_driver.c, built by make drivers) opens the
# uplink as the daemon does and plays a VM on the TAP descriptor.
#
# Exit status: 0 all passed, 1 some failed, 77 skipped (not root, no
# /dev/net/tun, missing tools).
set -u

skip() {
	echo "uplink: skipped: $*"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "needs root"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for tool in ip nft ping setpriv; do
	command -v "$tool" >/dev/null 2>&1 || skip "no $tool"
done

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d /tmp/svt-uplink.XXXXXX)
chmod 755 "$TMP"
NS=svt-$$
STATE_DIR=/run/socket_vmnet-nat
. "$(dirname "$0")/lib.sh"
PIDS=()
NAMESPACES=()
INODES=()

cleanup() {
	local p ns ino
	for p in "${PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	# The NAT keepers of killed drivers clean up and exit on their own.
	sleep 0.2
	for ns in "${NAMESPACES[@]}"; do
		# kill anything left in the namespace (only our processes)
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	for ino in "${INODES[@]}"; do
		rm -f "$STATE_DIR"/nat-"$ino"-* "$STATE_DIR"/ip_forward-"$ino".*
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

mkns() {
	ip netns add "$1" || { echo "cannot create namespace $1"; exit 1; }
	NAMESPACES+=("$1")
	ip netns exec "$1" ip link set lo up
	INODES+=("$(ip netns exec "$1" stat -L -c %i /proc/self/ns/net)")
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# start NS TAG ARGS... : run the driver, wait for OPEN or FAIL; sets DPID
start() {
	local ns=$1 tag=$2
	shift 2
	ip netns exec "$ns" "$TMP/drv" "$@" >"$TMP/$tag.out" 2>"$TMP/$tag.err" &
	DPID=$!
	PIDS+=("$DPID")
	for _ in $(seq 100); do
		grep -qE '^(OPEN|FAIL)' "$TMP/$tag.out" && break
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	if ! grep -q '^OPEN' "$TMP/$tag.out"; then
		sed 's/^/    /' "$TMP/$tag.out" "$TMP/$tag.err"
		return 1
	fi
	IFNAME=$(sed -n 's/^OPEN ifname=\([^ ]*\).*/\1/p' "$TMP/$tag.out")
}

# stop PID : SIGTERM and wait
stop() {
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# fails NS TAG ARGS... : run the driver expecting FAIL; sets FAILMSG.
# RUNAS (an array) is put before the driver's path.
RUNAS=()
fails() {
	local ns=$1 tag=$2
	shift 2
	ip netns exec "$ns" "${RUNAS[@]}" "$TMP/drv" "$@" >"$TMP/$tag.out" 2>"$TMP/$tag.err"
	FAILMSG=$(sed -n 's/^FAIL //p' "$TMP/$tag.out")
	[ -n "$FAILMSG" ]
}

no_link() { ! in_ns "$1" ip link show "$2"; }
no_table() { ! in_ns "$1" nft list table ip "$2"; }
fwd_is() { [ "$(in_ns "$1" cat /proc/sys/net/ipv4/ip_forward)" = "$2" ]; }
has() { grep -q -- "$2" "$1"; }
no_state() { ! ls "$STATE_DIR"/nat-"$1"-* >/dev/null 2>&1; }

# The driver links against the daemon's own library (make drivers builds it).
DRV="$ROOT/${BUILD:-build}/uplink_driver"
[[ -x $DRV ]] || make -C "$ROOT" -s "${BUILD:-build}/uplink_driver" >/dev/null
[[ -x $DRV ]] || { echo "uplink: driver build failed"; echo "uplink: 0 passed, 1 failed"; exit 1; }
cp "$DRV" "$TMP/drv"

# ---------------------------------------------------------------- host mode
H=$NS-h
mkns "$H"
if start "$H" host host -g 10.77.0.1 -a 10.77.0.2; then
	ok "host: uplink opens ($IFNAME)"
	check "host: TAP carries 10.77.0.1/24" \
		sh -c "ip netns exec $H ip -4 -o addr show dev $IFNAME | grep -q 'inet 10.77.0.1/24'"
	check "host: TAP is up" sh -c "ip netns exec $H ip -o link show $IFNAME | grep -q ',UP'"
	mac=$(sed -n 's/.* mac=\([^ ]*\).*/\1/p' "$TMP/host.out")
	check "host: info.mac is the TAP's MAC ($mac)" \
		sh -c "ip netns exec $H ip -o link show $IFNAME | grep -q 'link/ether $mac'"
	check "host: info.mac is locally administered" \
		sh -c "[ \$(( 0x${mac%%:*} & 3 )) = 2 ]"
	check "host: max_frame = mtu + 14" has "$TMP/host.out" "mtu=1500 max_frame=1514"
	check "host: ping from the host to the VM (frames flow both ways)" \
		in_ns "$H" ping -c1 -W2 10.77.0.2
	check "host: no forwarding, no nft table" \
		sh -c "[ \"\$(ip netns exec $H cat /proc/sys/net/ipv4/ip_forward)\" = 0 ] &&
		       [ -z \"\$(ip netns exec $H nft list tables)\" ]"
	stop "$DPID"
	check "host: clean close" has "$TMP/host.out" '^CLOSED'
	check "host: TAP gone after SIGTERM" no_link "$H" "$IFNAME"
else
	bad "host: uplink opens"
fi

# MTUs, read back with ip link; big pings prove big frames pass both ways.
for mtu in 9000 65520; do
	if start "$H" mtu$mtu host -g 10.77.0.1 -a 10.77.0.2 -t $mtu; then
		check "mtu $mtu: applied" \
			sh -c "ip netns exec $H ip -o link show $IFNAME | grep -q 'mtu $mtu '"
		check "mtu $mtu: uplink_info says mtu=$mtu max_frame=$((mtu + 14))" \
			has "$TMP/mtu$mtu.out" "mtu=$mtu max_frame=$((mtu + 14))"
		check "mtu $mtu: unfragmented ping of $((mtu - 28)) bytes" \
			in_ns "$H" ping -c1 -W2 -M "do" -s $((mtu - 28)) 10.77.0.2
		stop "$DPID"
	else
		bad "mtu $mtu: uplink opens"
	fi
done
if start "$H" mtu65535 host -g 10.77.0.1 -t 65535; then
	check "mtu 65535: lowered to the TAP maximum 65521 and reported" \
		sh -c "grep -q 'mtu=65521 max_frame=65535' $TMP/mtu65535.out &&
		       ip netns exec $H ip -o link show $IFNAME | grep -q 'mtu 65521 '"
	stop "$DPID"
else
	bad "mtu 65535: uplink opens"
fi
if start "$H" named host -g 10.77.0.1 -n svtest0; then
	check "named TAP svtest0" [ "$IFNAME" = svtest0 ]
	check "a second TAP of the same name is refused" \
		sh -c "ip netns exec $H $TMP/drv host -g 10.79.0.1 -n svtest0 | grep -q 'FAIL.*svtest0'"
	stop "$DPID"
else
	bad "named TAP: uplink opens"
fi

# ------------------------------------------------------- privileges, modes
RUNAS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
if fails "$H" nonroot shared -g 10.77.0.1; then
	case $FAILMSG in
	*"needs root or CAP_NET_ADMIN"*"--vmnet-mode=isolated"*)
		ok "non-root: clear error: \"$FAILMSG\"" ;;
	*) bad "non-root: unclear error: $FAILMSG" ;;
	esac
else
	bad "non-root: uplink_open should fail"
	cat "$TMP/nonroot.out" "$TMP/nonroot.err"
fi
if fails "$H" nonroothost host -g 10.77.0.1; then
	case $FAILMSG in
	*"--vmnet-mode=host needs root or CAP_NET_ADMIN"*) ok "non-root, host mode: clear error" ;;
	*) bad "non-root, host mode: unclear error: $FAILMSG" ;;
	esac
else
	bad "non-root, host mode: uplink_open should fail"
fi
RUNAS=()
check "non-root: left nothing behind" \
	sh -c "[ -z \"\$(ip netns exec $H ip -o link show type tun)\" ] &&
	       [ -z \"\$(ip netns exec $H nft list tables)\" ]"
if fails "$H" isolated isolated; then
	ok "isolated mode has no uplink: $FAILMSG"
else
	bad "isolated mode should be refused"
fi

# ------------------------------------------------------------- shared mode
# S is the host; I is "the internet" behind a veth, with no route back to
# the VM subnet: only masquerading lets the VM's ping come back.
S=$NS-s
I=$NS-i
mkns "$S"
mkns "$I"
S_INO=${INODES[1]}
ip link add svt$$a netns "$S" type veth peer name svt$$b netns "$I"
in_ns "$S" ip addr add 10.99.0.1/24 dev svt$$a
in_ns "$S" ip link set svt$$a up
in_ns "$I" ip addr add 10.99.0.2/24 dev svt$$b
in_ns "$I" ip link set svt$$b up
TABLE=socket_vmnet_10_78_0_0_24

check "shared: ip_forward starts at 0" fwd_is "$S" 0
if start "$S" shared shared -g 10.78.0.1 -a 10.78.0.2 -p 10.99.0.2; then
	ok "shared: uplink opens ($IFNAME)"
	check "shared: nft table $TABLE masquerades the subnet" \
		sh -c "ip netns exec $S nft list table ip $TABLE | grep -q 'ip saddr 10.78.0.0/24 oifname != \"$IFNAME\" masquerade'"
	check "shared: forward chain accepts from and to the TAP" \
		sh -c "ip netns exec $S nft list chain ip $TABLE forward | grep -q 'iifname \"$IFNAME\" accept'"
	check "shared: ip_forward set to 1" fwd_is "$S" 1
	check "shared: state file written" \
		sh -c "ls $STATE_DIR/nat-$S_INO-10.78.0.0-24.state"
	eventually "shared: the VM pings 10.99.0.2 through NAT" \
		has "$TMP/shared.out" '^PONG 10.99.0.2'
	check "shared: host pings the VM" in_ns "$S" ping -c1 -W2 10.78.0.2
	in_ns "$S" nft list table ip $TABLE >"$TMP/ruleset.txt"
	stop "$DPID"
	check "shared: TAP gone after SIGTERM" no_link "$S" "$IFNAME"
	check "shared: table gone after SIGTERM" no_table "$S" $TABLE
	check "shared: ip_forward restored to 0" fwd_is "$S" 0
	check "shared: state file removed" no_state "$S_INO"
else
	bad "shared: uplink opens"
fi

# host mode reaches nothing beyond the host
if start "$S" hostonly host -g 10.78.0.1 -a 10.78.0.2 -p 10.99.0.2; then
	sleep 1.5
	check "host: the VM does not reach beyond the host" \
		sh -c "! grep -q PONG $TMP/hostonly.out"
	stop "$DPID"
fi

# ip_forward already 1: left at 1
in_ns "$S" sysctl -qw net.ipv4.ip_forward=1
if start "$S" fwd1 shared -g 10.78.0.1; then
	stop "$DPID"
	check "shared: ip_forward that was 1 stays 1" fwd_is "$S" 1
	check "shared: table gone" no_table "$S" $TABLE
fi
in_ns "$S" sysctl -qw net.ipv4.ip_forward=0

# two instances: same subnet refused; ip_forward kept for the last one
if start "$S" one shared -g 10.78.0.1; then
	P1=$DPID
	if fails "$S" dup shared -g 10.78.0.1 -n svdup0; then
		case $FAILMSG in
		*"already served"*) ok "shared: same subnet twice refused: $FAILMSG" ;;
		*) bad "shared: same subnet twice: $FAILMSG" ;;
		esac
	else
		bad "shared: same subnet twice should fail"
	fi
	check "shared: the refused one left the first intact" \
		sh -c "ip netns exec $S nft list table ip $TABLE && ip netns exec $S ip link show svdup0; [ \$? = 1 ]"
	if start "$S" two shared -g 10.80.0.1; then
		P2=$DPID
		stop "$P1"
		check "shared: first stopped, ip_forward kept for the second" fwd_is "$S" 1
		check "shared: first's table gone, second's stays" \
			sh -c "! ip netns exec $S nft list table ip $TABLE >/dev/null 2>&1 &&
			       ip netns exec $S nft list table ip socket_vmnet_10_80_0_0_24 >/dev/null"
		stop "$P2"
		check "shared: last stopped, ip_forward restored" fwd_is "$S" 0
	else
		bad "shared: a second subnet opens"
		stop "$P1"
	fi
fi

# crash: SIGKILL of the daemon alone; its keeper cleans up at once
if start "$S" kill1 shared -g 10.78.0.1; then
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	eventually "crash (SIGKILL): table removed by the keeper" no_table "$S" $TABLE
	eventually "crash (SIGKILL): ip_forward restored" fwd_is "$S" 0
	check "crash (SIGKILL): TAP gone" no_link "$S" "$IFNAME"
	check "crash (SIGKILL): state file removed" no_state "$S_INO"
fi

# crash: SIGKILL of the daemon and its keeper; the next start recovers
if start "$S" kill2 shared -g 10.78.0.1 -G; then
	kill -KILL -- "-$DPID"
	wait "$DPID" 2>/dev/null
	sleep 0.3
	check "crash (SIGKILL to both): TAP gone with the process" no_link "$S" "$IFNAME"
	check "crash (SIGKILL to both): table and ip_forward left over" \
		sh -c "ip netns exec $S nft list table ip $TABLE >/dev/null &&
		       [ \"\$(ip netns exec $S cat /proc/sys/net/ipv4/ip_forward)\" = 1 ]"
	if start "$S" restart shared -g 10.78.0.1; then
		check "restart: logs the recovery" has "$TMP/restart.err" 'did not clean up'
		check "restart: fresh table in place" \
			sh -c "ip netns exec $S nft list table ip $TABLE | grep -q '\"$IFNAME\" masquerade'"
		stop "$DPID"
		check "restart: table gone after SIGTERM" no_table "$S" $TABLE
		check "restart: ip_forward restored to 0" fwd_is "$S" 0
		check "restart: state file removed" no_state "$S_INO"
	else
		bad "restart after crash: uplink opens"
	fi
fi
# the same after a crash, when the next start is in host mode
if start "$S" kill3 shared -g 10.78.0.1 -G; then
	kill -KILL -- "-$DPID"
	wait "$DPID" 2>/dev/null
	sleep 0.3
	if start "$S" restarthost host -g 10.78.0.1; then
		check "restart in host mode: table and ip_forward undone" \
			sh -c "! ip netns exec $S nft list table ip $TABLE >/dev/null 2>&1 &&
			       [ \"\$(ip netns exec $S cat /proc/sys/net/ipv4/ip_forward)\" = 0 ]"
		stop "$DPID"
	fi
fi

# ------------------------------------------------------------ bridged mode
B=$NS-b
mkns "$B"
in_ns "$B" ip link add br0 type bridge
in_ns "$B" ip link set br0 up
in_ns "$B" ip link add ve0 type veth peer name ve1
if start "$B" bridged bridged -b br0; then
	ok "bridged: uplink opens ($IFNAME)"
	check "bridged: TAP is a port of br0" \
		sh -c "ip netns exec $B ip -o link show master br0 | grep -q ' $IFNAME:'"
	check "bridged: no IPv4 address on the TAP" \
		sh -c "[ -z \"\$(ip netns exec $B ip -4 -o addr show dev $IFNAME)\" ]"
	check "bridged: TAP MAC starts with fe (keeps the bridge's MAC)" \
		sh -c "ip netns exec $B ip -o link show $IFNAME | grep -q 'link/ether fe:'"
	stop "$DPID"
	check "bridged: TAP gone, bridge left" \
		sh -c "! ip netns exec $B ip link show $IFNAME 2>/dev/null && ip netns exec $B ip link show br0"
else
	bad "bridged: uplink opens"
fi
if fails "$B" notbridge bridged -b ve0; then
	case $FAILMSG in
	*"not a Linux bridge"*"ip link add name br0 type bridge"*)
		ok "bridged: non-bridge refused with help: $FAILMSG" ;;
	*) bad "bridged: non-bridge: unhelpful: $FAILMSG" ;;
	esac
else
	bad "bridged: a non-bridge interface should fail"
fi
if fails "$B" nosuch bridged -b nosuch0; then
	case $FAILMSG in
	*"no interface nosuch0"*"type bridge"*) ok "bridged: missing interface refused with help" ;;
	*) bad "bridged: missing interface: $FAILMSG" ;;
	esac
else
	bad "bridged: a missing interface should fail"
fi
check "bridged: failures left no TAP" \
	sh -c "[ -z \"\$(ip netns exec $B ip -o link show type tun)\" ]"

if [ -s "$TMP/ruleset.txt" ]; then
	echo "ruleset installed in shared mode:"
	sed 's/^/    /' "$TMP/ruleset.txt"
fi
echo "uplink: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
