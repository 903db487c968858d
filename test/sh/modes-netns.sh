#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# Root test of the daemon's network modes with real third-party clients, all
# inside network namespaces this script creates (svm-PID-*):
#
#   1. DHCP in isolated mode with busybox udhcpc and ISC dhclient: lease in
#      range, router, mask (/25), DNS, MTU 9000, lease time, server id.
#   2. --lease-file across a restart, distinct addresses for distinct MACs,
#      --dhcp-hosts reservations and their reload on SIGHUP.
#   3. host mode: the VM pings the gateway and talks TCP to the host side.
#   4. shared mode: the VM reaches a server in an "internet" namespace only
#      through NAT; everything is undone on SIGTERM, also with --user=nobody.
#   5. bridged mode: the VM gets its lease from dnsmasq behind the bridge;
#      a non-bridge interface is refused with help.
#   6. isolated mode run by an unprivileged user: two VMs and the gateway.
#   7. SIGKILL of the whole shared-mode daemon: the next start recovers and
#      its SIGTERM leaves nothing behind.
#   8. IPv6: SLAAC from the gateway's router advertisements in isolated
#      mode (VMs ping each other and the gateway; rdisc6 sees RDNSS and the
#      MTU; --ipv6=no sends none), host mode (the host pings a VM), shared
#      mode (NAT66 to a server in another namespace; the ip6 table and IPv6
#      forwarding gone after SIGTERM and after SIGKILL of the daemon), and
#      the user-mode NAT (libslirp the only router; ping6 to it).
#
# A "VM" is a namespace holding a TAP device that a QEMU "-M none" plug
# joins to the daemon's socket. Daemons of the host-side modes run inside a
# namespace too, so their TAP, addresses, nftables table and ip_forward
# never touch the machine's own network.
#
# Needs root, /dev/net/tun and the Debian packages busybox, isc-dhcp-client,
# dnsmasq-base, nftables, qemu-system-x86, iproute2, iputils-ping, ndisc6,
# util-linux (setpriv, setsid) and procps (ps).
#
# Prints one line per check and "modes: N passed, N failed" at the end.
# Exit status: 0 all passed, 1 some failed, 77 skipped (not root or tools
# missing; with CI=true that is a failure instead).
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DAEMON=${SOCKET_VMNET:-$ROOT/socket_vmnet}
STATE_DIR=/run/socket_vmnet-nat
NS=svm-$$
NET=10.201 # VM subnets are $NET.N.0/24, one per test, only inside namespaces

. "$(dirname "$0")/lib.sh"

skip() { cannot_run modes "$@"; }

[ "$(id -u)" = 0 ] || skip "needs root"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for tool in ip nft busybox dhclient dnsmasq qemu-system-x86_64 ping rdisc6 setpriv \
	setsid timeout ps; do
	command -v "$tool" >/dev/null 2>&1 || skip "no $tool"
done
id -u nobody >/dev/null 2>&1 || skip "no user nobody"
NOBODY_UID=$(id -u nobody)
NOBODY_GID=$(id -g nobody)
NOBODY_GROUP=$(id -gn nobody)
if [ ! -x "$DAEMON" ]; then
	echo "FAIL: $DAEMON is not built (run make)"
	echo "modes: 0 passed, 1 failed"
	exit 1
fi
ip netns add "$NS-probe" 2>/dev/null || skip "cannot create network namespaces"
ip netns del "$NS-probe"

TMP=$(mktemp -d /tmp/svm-modes.XXXXXX)
chmod 755 "$TMP"
NAMESPACES=()
INODES=()
DAEMONS=()
HELPERS=()

# ------------------------------------------------------------------ cleanup
cleanup() {
	local pf p ns ino
	trap - EXIT INT TERM
	for pf in "$TMP"/plug-*.pid; do
		[ -s "$pf" ] && kill -TERM "$(cat "$pf")" 2>/dev/null
	done
	for p in "${HELPERS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	# daemons: SIGTERM so they undo their setup, then SIGKILL what remains
	for p in "${DAEMONS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for _ in $(seq 30); do
		p=
		for p in "${DAEMONS[@]}"; do
			alive "$p" && break
			p=
		done
		[ -z "$p" ] && break
		sleep 0.1
	done
	for p in "${DAEMONS[@]}"; do
		alive "$p" && kill -KILL -- "-$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for ns in "${NAMESPACES[@]}"; do
		# every process left in one of our namespaces is one we started
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
	done
	sleep 0.1
	for ns in "${NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	for ino in "${INODES[@]}"; do
		rm -f "$STATE_DIR"/nat-"$ino"-* "$STATE_DIR"/ip_forward-"$ino".* \
			"$STATE_DIR"/ipv6_forwarding-"$ino".*
	done
	if [ "${MODES_KEEP:-0}" = 1 ]; then
		echo "modes: logs kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# ------------------------------------------------------------------ helpers
# alive PID: the process exists and is not a zombie
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# helper NS LOG COMMAND...: run a server in NS in the background; sets HPID
helper() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	HPID=$!
	disown "$HPID"
	HELPERS+=("$HPID")
}

mkns() {
	ip netns add "$1" || {
		echo "FAIL: cannot create namespace $1"
		exit 1
	}
	NAMESPACES+=("$1")
	INODES+=("$(stat -L -c %i "/run/netns/$1")")
	ip -n "$1" link set lo up
}

ino_of() { stat -L -c %i "/run/netns/$1"; }

# wan_link H I HADDR IADDR [FLAGS]: a veth from H (uplink0, HADDR) to the
# "internet" namespace I (wan0, IADDR)
wan_link() {
	ip -n "$1" link add uplink0 type veth peer name wan0 netns "$2"
	ip -n "$1" addr add "$3" dev uplink0 ${5:-}
	ip -n "$1" link set uplink0 up
	ip -n "$2" addr add "$4" dev wan0 ${5:-}
	ip -n "$2" link set wan0 up
}

# ip2int A.B.C.D
ip2int() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	echo $((($1 << 24) + ($2 << 16) + ($3 << 8) + $4))
}

# in_range IP LO HI
in_range() {
	[ -n "$1" ] || return 1
	local a lo hi
	a=$(ip2int "$1") lo=$(ip2int "$2") hi=$(ip2int "$3")
	[ "$a" -ge "$lo" ] && [ "$a" -le "$hi" ]
}

# Daemons. DDIR holds SOCKET (TAG.sock) and pidfile (TAG.pid); the log is
# $TMP/TAG.log. RUNAS (an array) goes between "ip netns exec NS" and the
# daemon. The daemon gets a session of its own (setsid), so its process
# group can be killed as a whole.
DDIR=$TMP
RUNAS=()

# start_daemon TAG NS ARGS...: start and wait for the pidfile; sets DPID
start_daemon() {
	local tag=$1 ns=$2
	shift 2
	rm -f "$DDIR/$tag.pid"
	echo "=== start $*" >>"$TMP/$tag.log"
	setsid ip netns exec "$ns" "${RUNAS[@]}" "$DAEMON" \
		--pidfile="$DDIR/$tag.pid" "$@" "$DDIR/$tag.sock" \
		>>"$TMP/$tag.log" 2>&1 &
	DPID=$!
	DAEMONS+=("$DPID")
	for _ in $(seq 100); do
		[ -s "$DDIR/$tag.pid" ] && return 0
		alive "$DPID" || break
		sleep 0.05
	done
	return 1
}

# stop_daemon PID [SIGNAL]: signal (default TERM), wait up to 10 s, SIGKILL
# the process group if it is still there; sets DRC to the exit status
stop_daemon() {
	local pid=$1 sig=${2:-TERM}
	kill -"$sig" "$pid" 2>/dev/null
	for _ in $(seq 100); do
		alive "$pid" || break
		sleep 0.1
	done
	alive "$pid" && kill -KILL -- "-$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	DRC=$?
}

# plug VNS TAP MAC SOCK: make the VM's TAP (first time) and start its QEMU
# plug to SOCK; a plug already running for that TAP is stopped first (QEMU
# 7.2 never reconnects, so a restarted daemon needs new plugs)
plug() {
	local ns=$1 tap=$2 mac=$3 sock=$4 pf=$TMP/plug-$1-$2.pid
	unplug "$ns" "$tap"
	if ! ip -n "$ns" link show "$tap" >/dev/null 2>&1; then
		ip -n "$ns" tuntap add dev "$tap" mode tap &&
			ip -n "$ns" link set "$tap" address "$mac" &&
			ip -n "$ns" link set "$tap" up || return 1
	fi
	qemu_plug "$ns" "$tap" "$sock" "$pf" "$TMP/qemu.log"
}

unplug() {
	local pf=$TMP/plug-$1-$2.pid p
	[ -s "$pf" ] || return 0
	p=$(cat "$pf")
	kill -TERM "$p" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.05
	done
	rm -f "$pf"
}

# The udhcpc hook: records the lease in $HOOK_OUT (key=value lines) and
# configures the interface as a guest would (address, MTU, default route).
cat >"$TMP/udhcpc.sh" <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set dev "$interface" up
	;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$mask" broadcast "${broadcast:-+}" dev "$interface"
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	[ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
	cat >"$HOOK_OUT.tmp" <<EOT
ip=$ip
subnet=$subnet
mask=$mask
router=$router
dns=$dns
mtu=$mtu
lease=$lease
serverid=$serverid
broadcast=$broadcast
EOT
	mv "$HOOK_OUT.tmp" "$HOOK_OUT"
	;;
esac
exit 0
EOF
# The dhclient script (-sf): the same for ISC dhclient's variables.
# dhclient runs it with a clean environment, so dhc() puts a copy with
# HOOK_OUT set in front for each run.
cat >"$TMP/dhclient.sh" <<'EOF'
case "$reason" in
PREINIT)
	ip link set dev "$interface" up
	;;
BOUND | RENEW | REBIND | REBOOT)
	ip -4 addr flush dev "$interface"
	ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
	[ -n "$new_interface_mtu" ] && ip link set dev "$interface" mtu "$new_interface_mtu"
	[ -n "$new_routers" ] && ip route replace default via "${new_routers%% *}" dev "$interface"
	cat >"$HOOK_OUT.tmp" <<EOT
ip=$new_ip_address
subnet=$new_subnet_mask
router=$new_routers
dns=$new_domain_name_servers
mtu=$new_interface_mtu
lease=$new_dhcp_lease_time
serverid=$new_dhcp_server_identifier
broadcast=$new_broadcast_address
EOT
	mv "$HOOK_OUT.tmp" "$HOOK_OUT"
	;;
esac
exit 0
EOF
chmod 755 "$TMP/udhcpc.sh"
cat >"$TMP/dhclient.conf" <<'EOF'
timeout 10;
retry 1;
request subnet-mask, broadcast-address, routers, domain-name-servers,
	interface-mtu, dhcp-lease-time, dhcp-server-identifier;
EOF

# udhcp VNS TAP TAG [UDHCPC OPTIONS...]: one udhcpc run (-q: exit once
# bound); the lease lands in $TMP/TAG.lease, the output in $TMP/TAG.out
udhcp() {
	local ns=$1 tap=$2 tag=$3
	shift 3
	rm -f "$TMP/$tag.lease"
	HOOK_OUT=$TMP/$tag.lease ip netns exec "$ns" timeout 20 \
		busybox udhcpc -i "$tap" -f -q -n -t 5 -T 1 -s "$TMP/udhcpc.sh" "$@" \
		>"$TMP/$tag.out" 2>&1 && [ -s "$TMP/$tag.lease" ]
}

# dhc VNS TAP TAG: one ISC dhclient run (-1: one try), stopped once bound
dhc() {
	local ns=$1 tap=$2 tag=$3 rc
	rm -f "$TMP/$tag.lease"
	{
		echo '#!/bin/sh'
		echo "HOOK_OUT='$TMP/$tag.lease'"
		cat "$TMP/dhclient.sh"
	} >"$TMP/$tag.sh"
	chmod 755 "$TMP/$tag.sh"
	ip netns exec "$ns" timeout 30 \
		dhclient -1 -v -cf "$TMP/dhclient.conf" -sf "$TMP/$tag.sh" \
		-lf "$TMP/$tag.leases" -pf "$TMP/$tag.dhcpid" "$tap" \
		>"$TMP/$tag.out" 2>&1
	rc=$?
	# it went to the background to renew: stop it
	[ -s "$TMP/$tag.dhcpid" ] && kill -TERM "$(cat "$TMP/$tag.dhcpid")" 2>/dev/null
	[ $rc = 0 ] && [ -s "$TMP/$tag.lease" ]
}

# get TAG KEY: a value of the recorded lease
get() { sed -n "s/^$2=//p" "$TMP/$1.lease" 2>/dev/null; }

# is TAG KEY VALUE: the recorded value is VALUE
is() { [ "$(get "$1" "$2")" = "$3" ]; }

# expect_lease TAG WHAT KEY=VALUE...: one check per key
expect_lease() {
	local tag=$1 what=$2 kv
	shift 2
	for kv in "$@"; do
		if is "$tag" "${kv%%=*}" "${kv#*=}"; then
			ok "$what: ${kv%%=*} ${kv#*=}"
		else
			bad "$what: ${kv%%=*} is '$(get "$tag" "${kv%%=*}")', expected '${kv#*=}'"
		fi
	done
}

vping() { ip netns exec "$1" ping -c1 -W2 "${@:2}"; }

# nothing_left NS TAG GWADDR: what a stopped host-side daemon must leave
# behind in namespace NS: nothing
nothing_left() {
	local ns=$1 tag=$2 gw=$3 what=$4 ino
	ino=$(ino_of "$ns")
	check "$what: no TAP left" \
		sh -c "[ -z \"\$(ip -n $ns -o link show type tun)\" ]"
	check "$what: no socket_vmnet nft table left" \
		sh -c "! ip netns exec $ns nft list tables | grep -q socket_vmnet"
	check "$what: gateway address $gw gone" \
		sh -c "! ip -n $ns -4 -o addr show | grep -q ' $gw/'"
	check "$what: no NAT state file left" \
		sh -c "! ls $STATE_DIR/nat-$ino-* $STATE_DIR/ip_forward-$ino.* $STATE_DIR/ipv6_forwarding-$ino.* 2>/dev/null | grep -q ."
	check "$what: socket removed" [ ! -e "$DDIR/$tag.sock" ]
	check "$what: pidfile removed" [ ! -e "$DDIR/$tag.pid" ]
	check "$what: no process left in the namespace" \
		sh -c "[ -z \"\$(ip netns pids $ns)\" ]"
}

fwd() { ip netns exec "$1" cat /proc/sys/net/ipv4/ip_forward; }

T0=$(date +%s)

# ======================================================== 1. DHCP clients
G=$NET.1
H=$NS-h1
VA=$NS-v1a
VB=$NS-v1b
mkns "$H"
mkns "$VA"
mkns "$VB"
if start_daemon d1 "$H" --vmnet-mode=isolated --vmnet-gateway=$G.1 \
	--vmnet-mask=255.255.255.128 --vmnet-dhcp-end=$G.100 \
	--dns=$G.53,192.0.2.53 --mtu=9000 --lease-time=120; then
	ok "dhcp: isolated daemon starts (/25, end $G.100, MTU 9000)"
	D1=$DPID
	plug "$VA" tapa 02:5e:00:01:00:0a "$TMP/d1.sock" || bad "dhcp: plug A" "$TMP/qemu.log"
	plug "$VB" tapb 02:5e:00:01:00:0b "$TMP/d1.sock" || bad "dhcp: plug B" "$TMP/qemu.log"
	if udhcp "$VA" tapa t1a; then
		ok "udhcpc: lease $(get t1a ip)"
		check "udhcpc: address in $G.2..$G.100" in_range "$(get t1a ip)" $G.2 $G.100
		expect_lease t1a udhcpc subnet=255.255.255.128 mask=25 router=$G.1 \
			"dns=$G.53 192.0.2.53" mtu=9000 lease=120 serverid=$G.1 \
			broadcast=$G.127
		check "udhcpc: VM pings the gateway" vping "$VA" $G.1
		check "udhcpc: VM pings the gateway with 8972 bytes, DF (MTU 9000)" \
			vping "$VA" -M "do" -s 8972 $G.1
	else
		bad "udhcpc: gets a lease" "$TMP/t1a.out" "$TMP/d1.log"
	fi
	if dhc "$VB" tapb t1b; then
		ok "dhclient: lease $(get t1b ip)"
		check "dhclient: address in $G.2..$G.100" in_range "$(get t1b ip)" $G.2 $G.100
		check "dhclient: address differs from udhcpc's" \
			[ "$(get t1b ip)" != "$(get t1a ip)" ]
		expect_lease t1b dhclient subnet=255.255.255.128 router=$G.1 \
			"dns=$G.53 192.0.2.53" mtu=9000 lease=120 serverid=$G.1 \
			broadcast=$G.127
		check "dhclient: lease file written by dhclient" \
			grep -q "fixed-address $(get t1b ip);" "$TMP/t1b.leases"
		check "dhclient VM and udhcpc VM ping each other" \
			vping "$VB" "$(get t1a ip)"
	else
		bad "dhclient: gets a lease" "$TMP/t1b.out" "$TMP/d1.log"
	fi
	stop_daemon "$D1"
	check "dhcp: daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
	check "dhcp: socket and pidfile removed" \
		sh -c "[ ! -e $TMP/d1.sock ] && [ ! -e $TMP/d1.pid ]"
else
	bad "dhcp: isolated daemon starts" "$TMP/d1.log"
fi
unplug "$VA" tapa
unplug "$VB" tapb

# ============================================ 2. restart, MACs, reservations
G=$NET.2
H=$NS-h2
VA=$NS-v2a
VB=$NS-v2b
VR=$NS-v2r
VX=$NS-v2x
mkns "$H"
mkns "$VA"
mkns "$VB"
mkns "$VR"
mkns "$VX"
cat >"$TMP/bootptab" <<EOF
# bootptab: everything before the %% line is not read
notread		1	de:ad:be:ef:00:09	$G.99
%%
# hostname	hwtype	hwaddr			ipaddr		bootfile
tmp-vm01	1	de:ad:be:ef:00:01	$G.50
EOF
D2ARGS=(--vmnet-mode=isolated "--vmnet-gateway=$G.1" --lease-file="$TMP/leases"
	--dhcp-hosts="$TMP/bootptab")
if start_daemon d2 "$H" "${D2ARGS[@]}"; then
	ok "restart: daemon starts with --lease-file and --dhcp-hosts"
	D2=$DPID
	plug "$VA" tapa 02:5e:00:02:00:0a "$TMP/d2.sock"
	plug "$VB" tapb 02:5e:00:02:00:0b "$TMP/d2.sock"
	udhcp "$VA" tapa t2a || bad "restart: VM A gets a lease" "$TMP/t2a.out" "$TMP/d2.log"
	udhcp "$VB" tapb t2b || bad "restart: VM B gets a lease" "$TMP/t2b.out" "$TMP/d2.log"
	IPA=$(get t2a ip)
	IPB=$(get t2b ip)
	check "defaults: VM A ($IPA) in $G.2..$G.254" in_range "$IPA" $G.2 $G.254
	expect_lease t2a "defaults" subnet=255.255.255.0 router=$G.1 dns= mtu=1500 \
		lease=600 broadcast=$G.255
	check "two MACs get two addresses ($IPA, $IPB)" \
		sh -c "[ -n '$IPA' ] && [ -n '$IPB' ] && [ '$IPA' != '$IPB' ]"
	stop_daemon "$D2"
	check "restart: daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
	check "restart: lease file holds both MACs" \
		sh -c "grep -q 02:5e:00:02:00:0a $TMP/leases && grep -q 02:5e:00:02:00:0b $TMP/leases"
	if start_daemon d2 "$H" "${D2ARGS[@]}"; then
		ok "restart: daemon starts again"
		D2=$DPID
		plug "$VA" tapa 02:5e:00:02:00:0a "$TMP/d2.sock"
		plug "$VB" tapb 02:5e:00:02:00:0b "$TMP/d2.sock"
		# B asks first: a server that forgot would hand out A's old address
		if udhcp "$VB" tapb t2b2; then
			check "restart: VM B (asks first, no -r) gets $IPB back" is t2b2 ip "$IPB"
		else
			bad "restart: VM B gets a lease after the restart" "$TMP/t2b2.out" "$TMP/d2.log"
		fi
		if udhcp "$VA" tapa t2a2; then
			check "restart: VM A (no -r) gets $IPA back" is t2a2 ip "$IPA"
		else
			bad "restart: VM A gets a lease after the restart" "$TMP/t2a2.out" "$TMP/d2.log"
		fi
		if udhcp "$VA" tapa t2a3 -r "$IPA"; then
			check "restart: VM A with -r $IPA gets it" is t2a3 ip "$IPA"
		else
			bad "restart: VM A with -r gets a lease" "$TMP/t2a3.out" "$TMP/d2.log"
		fi

		# reservations
		plug "$VR" tapr de:ad:be:ef:00:01 "$TMP/d2.sock"
		plug "$VX" tapx de:ad:be:ef:00:09 "$TMP/d2.sock"
		if udhcp "$VR" tapr t2r -R; then
			check "reservation: de:ad:be:ef:00:01 gets $G.50" is t2r ip $G.50
		else
			bad "reservation: reserved VM gets a lease" "$TMP/t2r.out" "$TMP/d2.log"
		fi
		if udhcp "$VX" tapx t2x -R; then
			check "reservation: a line before %% is ignored (not $G.99: $(get t2x ip))" \
				sh -c "[ '$(get t2x ip)' != $G.99 ]"
		else
			bad "reservation: unreserved VM gets a lease" "$TMP/t2x.out" "$TMP/d2.log"
		fi
		# edit: move the reservation, add one for a second MAC; SIGHUP
		cat >"$TMP/bootptab.new" <<EOF
# bootptab
%%
# hostname	hwtype	hwaddr			ipaddr		bootfile
tmp-vm01	1	de:ad:be:ef:00:01	$G.60
tmp-vm02	1	de:ad:be:ef:00:02	$G.61
EOF
		mv "$TMP/bootptab.new" "$TMP/bootptab"
		kill -HUP "$D2"
		for _ in $(seq 30); do
			grep -q 'reloaded' "$TMP/d2.log" && break
			sleep 0.1
		done
		check "SIGHUP: daemon still running" alive "$D2"
		if udhcp "$VR" tapr t2r2 -R; then
			check "SIGHUP: edited reservation takes effect ($G.60)" is t2r2 ip $G.60
		else
			bad "SIGHUP: reserved VM gets a lease" "$TMP/t2r2.out" "$TMP/d2.log"
		fi
		# the other VM becomes de:ad:be:ef:00:02, newly reserved; a port
		# keeps the first source MAC it saw (--guard=mac), so plug anew
		unplug "$VX" tapx
		ip -n "$VX" link set tapx address de:ad:be:ef:00:02
		plug "$VX" tapx de:ad:be:ef:00:02 "$TMP/d2.sock"
		if udhcp "$VX" tapx t2x2 -R; then
			check "SIGHUP: new reservation takes effect ($G.61)" is t2x2 ip $G.61
		else
			bad "SIGHUP: newly reserved VM gets a lease" "$TMP/t2x2.out" "$TMP/d2.log"
		fi
		stop_daemon "$D2"
		check "restart: second daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
	else
		bad "restart: daemon starts again" "$TMP/d2.log"
	fi
else
	bad "restart: daemon starts with --lease-file and --dhcp-hosts" "$TMP/d2.log"
fi
for v in "$VA:tapa" "$VB:tapb" "$VR:tapr" "$VX:tapx"; do
	unplug "${v%%:*}" "${v#*:}"
done

# ================================================================ 3. host
G=$NET.3
H=$NS-h3
V=$NS-v3
mkns "$H"
mkns "$V"
mkdir -p "$TMP/www"
echo "hello-$$" >"$TMP/www/hello.txt"
if start_daemon d3 "$H" --vmnet-mode=host --vmnet-gateway=$G.1; then
	ok "host: daemon starts in namespace H"
	D3=$DPID
	check "host: a TAP in H carries $G.1/24" \
		sh -c "ip -n $H -4 -o addr show | grep -q ' $G.1/24 '"
	check "host: no nft table, ip_forward 0" \
		sh -c "! ip netns exec $H nft list tables | grep -q socket_vmnet && [ \$(ip netns exec $H cat /proc/sys/net/ipv4/ip_forward) = 0 ]"
	helper "$H" "$TMP/httpd3.log" busybox httpd -f -p $G.1:8080 -h "$TMP/www"
	plug "$V" tapv 02:5e:00:03:00:0a "$TMP/d3.sock"
	if udhcp "$V" tapv t3; then
		check "host: lease $(get t3 ip) in $G.2..$G.254" in_range "$(get t3 ip)" $G.2 $G.254
		expect_lease t3 host router=$G.1 serverid=$G.1 subnet=255.255.255.0
		check "host: VM pings the gateway" vping "$V" $G.1
		check "host: H pings the VM" vping "$H" "$(get t3 ip)"
		check "host: TCP from the VM to a server on $G.1:8080 in H" \
			sh -c "ip netns exec $V timeout 10 busybox wget -q -O - http://$G.1:8080/hello.txt | grep -qx hello-$$"
	else
		bad "host: VM gets a lease" "$TMP/t3.out" "$TMP/d3.log"
	fi
	stop_daemon "$D3"
	check "host: daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
	check "host: TAP and address gone" \
		sh -c "[ -z \"\$(ip -n $H -o link show type tun)\" ] && ! ip -n $H -4 -o addr show | grep -q ' $G.1/'"
else
	bad "host: daemon starts" "$TMP/d3.log"
fi
unplug "$V" tapv

# ============================================================== 4. shared
G=$NET.4
H=$NS-h4
I=$NS-i4
V=$NS-v4
WAN=172.31.4
mkns "$H"
mkns "$I"
mkns "$V"
wan_link "$H" "$I" $WAN.1/30 $WAN.2/30
echo "internet-$$" >"$TMP/www/net.txt"
helper "$I" "$TMP/httpd4.log" busybox httpd -f -vv -p $WAN.2:8080 -h "$TMP/www"

# shared_run TAG WHAT: lease, reach the "internet" through NAT
shared_run() {
	local tag=$1 what=$2
	plug "$V" tapv 02:5e:00:04:00:0a "$DDIR/$tag.sock"
	if udhcp "$V" tapv "$tag-l"; then
		check "$what: lease $(get "$tag-l" ip) in $G.2..$G.254" \
			in_range "$(get "$tag-l" ip)" $G.2 $G.254
		expect_lease "$tag-l" "$what" router=$G.1
		check "$what: VM pings the gateway" vping "$V" $G.1
		: >"$TMP/httpd4.log"
		check "$what: VM reaches the server in I ($WAN.2:8080) through NAT" \
			sh -c "ip netns exec $V timeout 10 busybox wget -q -O - http://$WAN.2:8080/net.txt | grep -qx internet-$$"
		check "$what: the server saw the masqueraded source $WAN.1" \
			grep -q "$WAN.1" "$TMP/httpd4.log"
	else
		bad "$what: VM gets a lease" "$TMP/$tag-l.out" "$TMP/$tag.log"
	fi
}

check "shared: I has no route to the VM subnet" \
	sh -c "! ip -n $I route get $G.2 | grep -q ."
FWD0=$(fwd "$H")
if start_daemon d4 "$H" --vmnet-mode=shared --vmnet-gateway=$G.1; then
	ok "shared: daemon starts in namespace H"
	D4=$DPID
	check "shared: nft table socket_vmnet_* in H" \
		sh -c "ip netns exec $H nft list tables | grep -q socket_vmnet"
	check "shared: ip_forward 1 in H" [ "$(fwd "$H")" = 1 ]
	shared_run d4 shared
	check "shared: DNS handed out has no loopback resolver ('$(get d4-l dns)')" \
		sh -c "! echo '$(get d4-l dns)' | grep -q '127\\.'"
	stop_daemon "$D4"
	check "shared: daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
	nothing_left "$H" d4 $G.1 "shared SIGTERM"
	check "shared SIGTERM: ip_forward back to $FWD0" [ "$(fwd "$H")" = "$FWD0" ]
else
	bad "shared: daemon starts" "$TMP/d4.log"
fi

# the same with --user=nobody, ip_forward already 1 (must stay 1)
ip netns exec "$H" sysctl -qw net.ipv4.ip_forward=1
if start_daemon d4u "$H" --vmnet-mode=shared --vmnet-gateway=$G.1 --user=nobody; then
	ok "shared --user=nobody: daemon starts"
	D4U=$DPID
	check "shared --user=nobody: pidfile holds the started process ($D4U)" \
		[ "$(cat "$TMP/d4u.pid")" = "$D4U" ]
	eventually "shared --user=nobody: a worker child runs as nobody" \
		sh -c "ps -o user=,comm= --ppid $D4U | grep -q '^nobody *socket_vmnet'"
	shared_run d4u "shared --user=nobody"
	stop_daemon "$(cat "$TMP/d4u.pid")"
	check "shared --user=nobody: exits 0 on SIGTERM to the pidfile's pid" [ "$DRC" = 0 ]
	nothing_left "$H" d4u $G.1 "shared --user=nobody SIGTERM"
	check "shared --user=nobody SIGTERM: ip_forward that was 1 stays 1" [ "$(fwd "$H")" = 1 ]
else
	bad "shared --user=nobody: daemon starts" "$TMP/d4u.log"
fi
ip netns exec "$H" sysctl -qw net.ipv4.ip_forward=0
unplug "$V" tapv

# ============================================================= 5. bridged
G=$NET.5
H=$NS-h5
L=$NS-l5
V=$NS-v5
mkns "$H"
mkns "$L"
mkns "$V"
ip -n "$H" link add br0 type bridge
ip -n "$H" link set br0 up
ip -n "$H" link add lan0 type veth peer name lan1 netns "$L"
ip -n "$H" link set lan0 master br0
ip -n "$H" link set lan0 up
ip -n "$L" addr add $G.2/24 dev lan1
ip -n "$L" link set lan1 up
helper "$L" "$TMP/dnsmasq.log" dnsmasq --no-daemon --conf-file=/dev/null \
	--port=0 --user=root --group=root --interface=lan1 --bind-interfaces \
	--dhcp-range=$G.100,$G.150,255.255.255.0,2m \
	--dhcp-option=option:router,$G.2 --dhcp-leasefile="$TMP/dnsmasq.leases" \
	--pid-file="$TMP/dnsmasq.pid" --log-dhcp --log-facility=-
if start_daemon d5 "$H" --vmnet-mode=bridged --vmnet-interface=br0; then
	ok "bridged: daemon starts on br0"
	D5=$DPID
	check "bridged: the daemon's TAP is a port of br0" \
		sh -c "ip -n $H -o link show master br0 type tun | grep -q ."
	plug "$V" tapv 02:5e:00:05:00:0a "$TMP/d5.sock"
	if udhcp "$V" tapv t5; then
		check "bridged: lease $(get t5 ip) in dnsmasq's range $G.100..$G.150" \
			in_range "$(get t5 ip)" $G.100 $G.150
		expect_lease t5 bridged serverid=$G.2 router=$G.2 lease=120
		check "bridged: dnsmasq logged the ack" \
			grep -q "DHCPACK(lan1) $(get t5 ip) 02:5e:00:05:00:0a" "$TMP/dnsmasq.log"
		check "bridged: VM pings dnsmasq's address $G.2" vping "$V" $G.2
	else
		bad "bridged: VM gets a lease from dnsmasq" "$TMP/t5.out" "$TMP/d5.log" "$TMP/dnsmasq.log"
	fi
	stop_daemon "$D5"
	check "bridged: daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
	check "bridged: TAP gone, br0 left" \
		sh -c "[ -z \"\$(ip -n $H -o link show type tun)\" ] && ip -n $H link show br0"
else
	bad "bridged: daemon starts" "$TMP/d5.log"
fi
unplug "$V" tapv
ip -n "$H" link add nb0 type veth peer name nb1
ip netns exec "$H" timeout 10 "$DAEMON" --vmnet-mode=bridged \
	--vmnet-interface=nb0 "$TMP/d5b.sock" >"$TMP/d5b.log" 2>&1
rc=$?
if [ $rc = 1 ] && grep -q 'type bridge' "$TMP/d5b.log" && grep -q 'ip link' "$TMP/d5b.log"; then
	ok "bridged: a veth as --vmnet-interface exits 1, says how to make a bridge"
else
	bad "bridged: a veth as --vmnet-interface: exit $rc, expected 1 with 'ip link ... type bridge'" \
		"$TMP/d5b.log"
fi
check "bridged: the refused start left no TAP and no socket" \
	sh -c "[ -z \"\$(ip -n $H -o link show type tun)\" ] && [ ! -e $TMP/d5b.sock ]"

# ================================================= 6. isolated, non-root
G=$NET.6
H=$NS-h6
VA=$NS-v6a
VB=$NS-v6b
mkns "$H"
mkns "$VA"
mkns "$VB"
mkdir -p "$TMP/user"
cp "$DAEMON" "$TMP/socket_vmnet"
chmod 755 "$TMP/socket_vmnet"
chown "$NOBODY_UID:$NOBODY_GID" "$TMP/user"
chmod 755 "$TMP/user"
REAL_DAEMON=$DAEMON
DAEMON=$TMP/socket_vmnet
DDIR=$TMP/user
RUNAS=(setpriv --reuid="$NOBODY_UID" --regid="$NOBODY_GID" --clear-groups)
if start_daemon d6 "$H" --vmnet-mode=isolated --vmnet-gateway=$G.1 \
	--socket-group="$NOBODY_GROUP"; then
	ok "non-root: isolated daemon starts as nobody"
	D6=$DPID
	check "non-root: daemon runs as nobody" \
		sh -c "[ \"\$(ps -o user= -p $D6)\" = nobody ]"
	plug "$VA" tapa 02:5e:00:06:00:0a "$DDIR/d6.sock"
	plug "$VB" tapb 02:5e:00:06:00:0b "$DDIR/d6.sock"
	if udhcp "$VA" tapa t6a && udhcp "$VB" tapb t6b; then
		A=$(get t6a ip)
		B=$(get t6b ip)
		if [ "$A" != "$B" ] && in_range "$A" $G.2 $G.254 && in_range "$B" $G.2 $G.254; then
			ok "non-root: two distinct leases in range ($A, $B)"
		else
			bad "non-root: two distinct leases in range ($A, $B)"
		fi
		check "non-root: A pings B" vping "$VA" "$B"
		check "non-root: B pings A" vping "$VB" "$A"
		check "non-root: A pings the gateway" vping "$VA" $G.1
		check "non-root: B pings the gateway" vping "$VB" $G.1
	else
		bad "non-root: both VMs get leases" "$TMP/t6a.out" "$TMP/t6b.out" "$TMP/d6.log"
	fi
	stop_daemon "$D6"
	check "non-root: exits 0 on SIGTERM, socket and pidfile removed" \
		sh -c "[ $DRC = 0 ] && [ ! -e $DDIR/d6.sock ] && [ ! -e $DDIR/d6.pid ]"
else
	bad "non-root: isolated daemon starts as nobody" "$TMP/d6.log"
fi
unplug "$VA" tapa
unplug "$VB" tapb
DAEMON=$REAL_DAEMON
DDIR=$TMP
RUNAS=()

# ==================================================== 7. SIGKILL recovery
G=$NET.7
H=$NS-h7
V=$NS-v7
mkns "$H"
mkns "$V"
if start_daemon d7 "$H" --vmnet-mode=shared --vmnet-gateway=$G.1; then
	ok "SIGKILL: shared daemon starts"
	D7=$DPID
	plug "$V" tapv 02:5e:00:07:00:0a "$TMP/d7.sock"
	udhcp "$V" tapv t7a || bad "SIGKILL: VM gets a lease before the kill" "$TMP/t7a.out" "$TMP/d7.log"
	kill -KILL -- "-$D7"
	wait "$D7" 2>/dev/null
	check "SIGKILL: the whole process group is gone" \
		sh -c "[ -z \"\$(ip netns pids $H)\" ]"
	echo "    (left by the kill: table: $(ip netns exec "$H" nft list tables | grep -c socket_vmnet)," \
		"ip_forward $(fwd "$H"), state files: $(find "$STATE_DIR" -name "*-$(ino_of "$H")[-.]*" | wc -l)," \
		"pidfile: $([ -e "$TMP/d7.pid" ] && echo yes || echo no)," \
		"socket: $([ -e "$TMP/d7.sock" ] && echo yes || echo no))"
	if start_daemon d7 "$H" --vmnet-mode=shared --vmnet-gateway=$G.1; then
		ok "SIGKILL: daemon starts again on the same socket and pidfile"
		D7=$DPID
		check "SIGKILL: the restart logs that it undid the dead daemon's setup" \
			sh -c "sed -n '/^=== start/h; /^=== start/!H; \${x;p}' $TMP/d7.log | grep -q 'did not clean up'"
		check "SIGKILL: exactly one socket_vmnet table per family after the restart" \
			sh -c "[ \$(ip netns exec $H nft list tables | grep -c 'table ip socket_vmnet') = 1 ] && [ \$(ip netns exec $H nft list tables | grep -c 'table ip6 socket_vmnet') = 1 ]"
		check "SIGKILL: exactly one TAP after the restart" \
			[ "$(ip -n "$H" -o link show type tun | wc -l)" = 1 ]
		plug "$V" tapv 02:5e:00:07:00:0a "$TMP/d7.sock"
		if udhcp "$V" tapv t7b; then
			check "SIGKILL: VM gets its address back ($(get t7a ip))" is t7b ip "$(get t7a ip)"
			check "SIGKILL: VM pings the gateway after the restart" vping "$V" $G.1
		else
			bad "SIGKILL: VM gets a lease after the restart" "$TMP/t7b.out" "$TMP/d7.log"
		fi
		stop_daemon "$D7"
		check "SIGKILL: restarted daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
		nothing_left "$H" d7 $G.1 "SIGKILL then restart then SIGTERM"
		check "SIGKILL then restart then SIGTERM: ip_forward back to 0" [ "$(fwd "$H")" = 0 ]
	else
		bad "SIGKILL: daemon starts again" "$TMP/d7.log"
	fi
else
	bad "SIGKILL: shared daemon starts" "$TMP/d7.log"
fi
unplug "$V" tapv

# ================================================================ 8. IPv6
# wait_v6 NS DEV PREFIX: the VM's SLAAC address in PREFIX (bounded wait: the
# router advertisement comes when the VM's first frame reaches the daemon,
# or in answer to its solicitation); prints it
wait_v6() {
	local a
	for _ in $(seq 150); do
		a=$(ip -n "$1" -6 -o addr show dev "$2" scope global -tentative |
			awk '{print $4}' | sed -n "s|^\($3[0-9a-f:]*\)/64\$|\1|p" | head -1)
		[ -n "$a" ] && echo "$a" && return 0
		sleep 0.1
	done
	return 1
}
v6ping() { ip netns exec "$1" ping -6 -c1 -W2 "${@:2}"; }
fwd6() { ip netns exec "$1" cat /proc/sys/net/ipv6/conf/all/forwarding; }

G=$NET.8
H=$NS-h8
VA=$NS-v8a
VB=$NS-v8b
mkns "$H"
mkns "$VA"
mkns "$VB"
if start_daemon d8 "$H" --vmnet-mode=isolated --vmnet-gateway=$G.1 \
	--dns=fd00:53::1 --mtu=1400; then
	ok "IPv6 isolated: daemon starts"
	D8=$DPID
	P8=$(sed -n 's|.*IPv6 prefix \(.*\)::/64 (derived.*|\1|p' "$TMP/d8.log" | tail -1)
	check "IPv6 isolated: a derived unique local prefix is logged ($P8::/64)" \
		sh -c "echo '$P8' | grep -q '^fd'"
	plug "$VA" tapa 02:5e:00:08:00:0a "$TMP/d8.sock"
	plug "$VB" tapb 02:5e:00:08:00:0b "$TMP/d8.sock"
	A8=$(wait_v6 "$VA" tapa "$P8:") && ok "IPv6 isolated: VM A has a SLAAC address $A8" ||
		bad "IPv6 isolated: VM A gets a SLAAC address" "$TMP/d8.log"
	B8=$(wait_v6 "$VB" tapb "$P8:") && ok "IPv6 isolated: VM B has a SLAAC address $B8" ||
		bad "IPv6 isolated: VM B gets a SLAAC address" "$TMP/d8.log"
	check "IPv6 isolated: A's default route is the gateway's link-local address" \
		sh -c "ip -n $VA -6 route show default | grep -q 'via fe80::'"
	check "IPv6 isolated: A pings B ($B8)" v6ping "$VA" "$B8"
	check "IPv6 isolated: A pings the gateway $P8::1" v6ping "$VA" "$P8::1"
	if command -v rdisc6 >/dev/null; then
		ip netns exec "$VA" rdisc6 -1 tapa >"$TMP/rdisc6.out" 2>&1
		check "IPv6 isolated: the RA carries RDNSS fd00:53::1 (rdisc6)" \
			grep -q 'Recursive DNS server *: fd00:53::1' "$TMP/rdisc6.out"
		check "IPv6 isolated: the RA carries MTU 1400 (rdisc6)" \
			grep -Eq 'MTU *: *1400 bytes' "$TMP/rdisc6.out"
		check "IPv6 isolated: the RA carries the prefix (rdisc6)" \
			grep -q "Prefix *: $P8::/64" "$TMP/rdisc6.out"
	else
		bad "IPv6 isolated: rdisc6 (ndisc6) is installed"
	fi
	check "IPv6 isolated: A's kernel took MTU 1400 from the RA" \
		[ "$(ip netns exec "$VA" cat /proc/sys/net/ipv6/conf/tapa/mtu)" = 1400 ]
	stop_daemon "$D8"
	check "IPv6 isolated: daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
else
	bad "IPv6 isolated: daemon starts" "$TMP/d8.log"
fi
unplug "$VA" tapa
unplug "$VB" tapb
if start_daemon d8n "$H" --vmnet-mode=isolated --vmnet-gateway=$G.1 --ipv6=no; then
	D8=$DPID
	plug "$VA" tapa 02:5e:00:08:00:0a "$TMP/d8n.sock"
	ip -n "$VA" -6 addr flush dev tapa scope global
	ip -n "$VA" link set tapa down
	ip -n "$VA" link set tapa up
	ip netns exec "$VA" rdisc6 -1 -w 500 tapa >"$TMP/rdisc6n.out" 2>&1
	check "IPv6 --ipv6=no: no router advertisement answers (rdisc6)" \
		sh -c "! grep -q 'Prefix' $TMP/rdisc6n.out"
	check "IPv6 --ipv6=no: no IPv6 prefix logged" sh -c "! grep -q 'IPv6 prefix' $TMP/d8n.log"
	stop_daemon "$D8"
else
	bad "IPv6 --ipv6=no: daemon starts" "$TMP/d8n.log"
fi
unplug "$VA" tapa

# host mode: the TAP holds PREFIX::1, the host reaches the VM
G=$NET.9
H=$NS-h9
V=$NS-v9
P9=fd00:9:9:9
mkns "$H"
mkns "$V"
if start_daemon d9 "$H" --vmnet-mode=host --vmnet-gateway=$G.1 \
	--vmnet-nat66-prefix=$P9::; then
	ok "IPv6 host: daemon starts with --vmnet-nat66-prefix on Linux"
	D9=$DPID
	check "IPv6 host: the TAP carries $P9::1/64" \
		sh -c "ip -n $H -6 -o addr show | grep -q ' $P9::1/64 '"
	plug "$V" tapv 02:5e:00:09:00:0a "$TMP/d9.sock"
	if A9=$(wait_v6 "$V" tapv "$P9:"); then
		ok "IPv6 host: VM has a SLAAC address $A9"
		check "IPv6 host: the host pings the VM over IPv6" v6ping "$H" "$A9"
		check "IPv6 host: the VM pings the host at $P9::1" v6ping "$V" "$P9::1"
	else
		bad "IPv6 host: VM gets a SLAAC address" "$TMP/d9.log"
	fi
	stop_daemon "$D9"
	check "IPv6 host: TAP and its IPv6 address gone" \
		sh -c "! ip -n $H -6 -o addr show | grep -q '$P9::1/'"
else
	bad "IPv6 host: daemon starts" "$TMP/d9.log"
fi
unplug "$V" tapv

# shared mode, kernel NAT: NAT66 to a server in another namespace
G=$NET.10
H=$NS-h10
I=$NS-i10
V=$NS-v10
P10=fd00:10:10:10
mkns "$H"
mkns "$I"
mkns "$V"
wan_link "$H" "$I" fd99::1/64 fd99::2/64 nodad
helper "$I" "$TMP/httpd10.log" busybox httpd -f -vv -p 8080 -h "$TMP/www"
# shared6_start TAG: start the shared daemon, plug the VM, wait for SLAAC
shared6_start() {
	start_daemon "$1" "$H" --vmnet-mode=shared --vmnet-gateway=$G.1 \
		--vmnet-nat66-prefix=$P10:: || return 1
	plug "$V" tapv 02:5e:00:0a:00:0a "$TMP/$1.sock"
	# a fresh guest (the new TAP has a new MAC, so a new router address):
	# the link goes down (addresses and routes go) and up (solicitation)
	ip -n "$V" link set tapv down
	ip -n "$V" link set tapv up
	A10=$(wait_v6 "$V" tapv "$P10:")
}
# gone6 WHAT: the ip6 table and the IPv6 forwarding setting are gone
gone6() {
	eventually "$1: no ip6 socket_vmnet table left" \
		sh -c "! ip netns exec $H nft list tables | grep -q 'ip6 socket_vmnet'"
	eventually "$1: IPv6 forwarding back to $FWD6" [ "$(fwd6 "$H")" = "$FWD6" ]
}
FWD6=$(fwd6 "$H")
if shared6_start d10; then
	ok "IPv6 shared: VM has a SLAAC address $A10"
	D10=$DPID
	check "IPv6 shared: nft table ip6 socket_vmnet_* in H" \
		sh -c "ip netns exec $H nft list table ip6 socket_vmnet_10_201_10_0_24 | grep -q masquerade"
	check "IPv6 shared: IPv6 forwarding 1 in H" [ "$(fwd6 "$H")" = 1 ]
	: >"$TMP/httpd10.log"
	check "IPv6 shared: VM reaches the server [fd99::2]:8080 through NAT66" \
		sh -c "ip netns exec $V timeout 10 busybox wget -q -O - 'http://[fd99::2]:8080/net.txt' | grep -qx internet-$$"
	check "IPv6 shared: the server saw the masqueraded source fd99::1" \
		grep -q "fd99::1" "$TMP/httpd10.log"
	stop_daemon "$D10"
	check "IPv6 shared: daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
	gone6 "IPv6 shared SIGTERM"
else
	bad "IPv6 shared: daemon starts and the VM gets a SLAAC address" "$TMP/d10.log"
fi
if shared6_start d10k; then
	D10=$DPID
	check "IPv6 shared: VM pings the server before the kill" v6ping "$V" fd99::2
	kill -KILL "$D10"
	wait "$D10" 2>/dev/null
	gone6 "IPv6 shared SIGKILL (the keeper undoes it)"
else
	bad "IPv6 shared: second daemon starts" "$TMP/d10k.log"
fi
unplug "$V" tapv

# shared mode, user-mode NAT: libslirp is the one router of the prefix
P11=fd00:11:11:11
V=$NS-v11
mkns "$V"
if start_daemon d11 "$H" --nat=user --vmnet-gateway=$NET.11.1 \
	--vmnet-nat66-prefix=$P11::; then
	D11=$DPID
	plug "$V" tapv 02:5e:00:0b:00:0a "$TMP/d11.sock"
	if A11=$(wait_v6 "$V" tapv "$P11:"); then
		ok "IPv6 user NAT: VM has a SLAAC address $A11"
		check "IPv6 user NAT: VM pings libslirp at $P11::2" v6ping "$V" "$P11::2"
		ip netns exec "$V" rdisc6 tapv >"$TMP/rdisc6u.out" 2>&1
		check "IPv6 user NAT: router advertisements come from libslirp (fe80::2) only" \
			sh -c "grep -q 'from fe80::2' $TMP/rdisc6u.out && [ \$(grep -c '^ from ' $TMP/rdisc6u.out) = \$(grep -c '^ from fe80::2' $TMP/rdisc6u.out) ]"
	else
		bad "IPv6 user NAT: VM gets a SLAAC address" "$TMP/d11.log"
	fi
	stop_daemon "$D11"
	check "IPv6 user NAT: daemon exits 0 on SIGTERM" [ "$DRC" = 0 ]
else
	bad "IPv6 user NAT: daemon starts" "$TMP/d11.log"
fi
unplug "$V" tapv

echo "modes: took $(($(date +%s) - T0)) s"
echo "modes: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
