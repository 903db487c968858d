#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# make demo: two real Linux guests (QEMU, software emulation) on one
# socket_vmnet switch.  Builds the guest if needed (test/guest/build-guest.sh),
# starts the daemon in isolated mode with its DHCP server and gateway (in a
# private network namespace when run as root), boots one guest attached with
# -netdev stream and one through socket_vmnet_client, and shows them getting
# addresses and pinging the gateway and each other.  Then everything stops.
#
# Needs qemu-system-x86_64 (apt-get install qemu-system-x86) and a built
# daemon (make).  No root needed.  Exit 0 when both guests reached each other.

set -u

cd "$(dirname "$0")/../.." || exit 1
SVM=${SOCKET_VMNET:-./socket_vmnet}
CLIENT=${SOCKET_VMNET_CLIENT:-./socket_vmnet_client}
QEMU=${QEMU:-qemu-system-x86_64}
NET=192.168.107
GW=$NET.1
END=$NET.9
TIMEOUT=${DEMO_TIMEOUT:-120}

say() { printf '%-7s %s\n' "$1" "$2"; }
die() {
	echo "demo: $*" >&2
	exit 1
}

command -v "$QEMU" >/dev/null || die "$QEMU not found (apt-get install qemu-system-x86)"
[[ -x $SVM && -x $CLIENT ]] || die "socket_vmnet is not built (run make)"

echo "== socket_vmnet demo: two QEMU guests on one switch"
say guest "building the guest kernel and initramfs (cached after the first time)..."
TMP=$(mktemp -d /tmp/svm-demo.XXXXXX)
guest_env=$(test/guest/build-guest.sh 2>"$TMP/build.log")
rc=$?
sed 's/^/        /' "$TMP/build.log"
[[ $rc -eq 0 ]] || {
	rm -rf "$TMP"
	die "guest build failed"
}
KERNEL=$(sed -n 's/^KERNEL=//p' <<<"$guest_env")
INITRD=$(sed -n 's/^INITRD=//p' <<<"$guest_env")

SOCK=$TMP/socket_vmnet
DAEMON_PID=
T0=$(date +%s.%N)

# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	local f pid
	for f in "$TMP"/vm*.pid; do
		[[ -f $f ]] || continue
		pid=$(cat "$f" 2>/dev/null)
		[[ -n $pid ]] && kill "$pid" 2>/dev/null
	done
	if [[ -n $DAEMON_PID ]] && kill -0 "$DAEMON_PID" 2>/dev/null; then
		kill -TERM "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null
	fi
	wait 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- the switch ---------------------------------------------------------------
daemon=("$SVM" --vmnet-mode=isolated "--vmnet-gateway=$GW" "--vmnet-dhcp-end=$END"
	--pidfile="$TMP/daemon.pid" "$SOCK")
where="as $(id -un), isolated mode: no host interface involved"
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
	# A network namespace of its own: the daemon cannot touch the host's.
	daemon=(unshare --net "${daemon[@]}")
	where="in a private network namespace, isolated mode"
fi
shown_cmd=${daemon[*]}
say daemon "${shown_cmd//$TMP\//}"
say "" "($where)"
"${daemon[@]}" </dev/null >"$TMP/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 100); do
	[[ -s $TMP/daemon.pid ]] && break
	kill -0 "$DAEMON_PID" 2>/dev/null || break
	sleep 0.1
done
[[ -s $TMP/daemon.pid ]] || {
	cat "$TMP/daemon.log"
	die "the daemon did not start"
}

# --- two guests ---------------------------------------------------------------
# Each guest gets a lease, pings the gateway, then looks for the other guest
# in the DHCP range and stays up a few seconds so the other finds it too.
job="svm.scan=$NET.2-9 svm.want=1 svm.wait=60 svm.linger=4"
boot() { # boot NAME MAC NETDEV [WRAPPER...]
	local name=$1 mac=$2 netdev=$3
	shift 3
	"$@" "$QEMU" -M q35 -accel tcg -m 256 -nographic -no-reboot \
		-pidfile "$TMP/$name.pid" -kernel "$KERNEL" -initrd "$INITRD" \
		-append "console=ttyS0 quiet panic=-1 ipv6.disable=1 svm.name=$name $job" \
		-netdev "$netdev" -device "virtio-net-pci,netdev=n0,mac=$mac,romfile=" \
		</dev/null >"$TMP/$name.console" 2>&1 &
}
say vm1 "qemu -netdev stream,addr.path=SOCKET              mac 52:54:00:de:00:01"
boot vm1 52:54:00:de:00:01 "stream,id=n0,server=off,addr.type=unix,addr.path=$SOCK"
VM1=$!
say vm2 "socket_vmnet_client SOCKET qemu -netdev socket,fd=3  mac 52:54:00:de:00:02"
boot vm2 52:54:00:de:00:02 "socket,id=n0,fd=3" "$CLIENT" "$SOCK"
VM2=$!
echo "        booting (a few seconds under software emulation)..."

# --- the transcript -------------------------------------------------------------
declare -A shown=([vm1]=0 [vm2]=0) who=([$GW]=gateway)
declare -A leased=() found=()
console() { # console NAME: the serial output, without CRs and escape sequences
	# and with each SVM- line on a line of its own, even after firmware
	# output that had no newline
	sed -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' \
		-e 's/\(.\)\(SVM-[A-Z]* \)/\1\n\2/g' "$TMP/$1.console"
}
name_of() { # name_of IP: gateway, vm1, vm2 or "another guest"
	local n
	[[ -n ${who[$1]:-} ]] && {
		echo "${who[$1]}"
		return
	}
	for n in vm1 vm2; do
		if console "$n" | grep -q "^SVM-LEASE ip=$1 "; then
			echo "$n"
			return
		fi
	done
	echo "another guest"
}
show() { # show NAME: print the new SVM- lines of NAME's console
	local name=$1 line n=0 k v ip
	while IFS= read -r line; do
		n=$((n + 1))
		[[ $n -le ${shown[$name]} ]] && continue
		shown[$name]=$n
		line=${line//$'\r'/}
		case $line in
		SVM-BOOT*) say "$name" "booted, MAC ${line##*mac=}" ;;
		SVM-LEASE*)
			declare -A l=()
			for kv in ${line#SVM-LEASE }; do
				l[${kv%%=*}]=${kv#*=}
			done
			who[${l[ip]}]=$name
			leased[$name]=${l[ip]}
			say "$name" "DHCP lease ${l[ip]}/${l[mask]}, gateway ${l[router]}, MTU ${l[mtu]}"
			;;
		SVM-NOLEASE*) say "$name" "no DHCP lease" ;;
		SVM-PING*)
			read -r _ ip v _ <<<"$line"
			k=$(name_of "$ip")
			say "$name" "ping $ip ($k): $v"
			[[ $v == ok && $k == vm? ]] && found[$name]=$k
			;;
		SVM-SCAN*) say "$name" "found no other guest" ;;
		SVM-POWEROFF*) say "$name" "powered off" ;;
		esac
	done < <(console "$name")
}
end=$(($(date +%s) + TIMEOUT))
while :; do
	show vm1
	show vm2
	running=0
	kill -0 "$VM1" 2>/dev/null && running=1
	kill -0 "$VM2" 2>/dev/null && running=1
	[[ $running -eq 0 || $(date +%s) -ge $end ]] && break
	sleep 0.2
done
show vm1
show vm2

echo "== daemon log"
sed -e 's/^[0-9:.]* socket_vmnet: [A-Z]*: /        /' "$TMP/daemon.log" |
	grep -E 'ready|connected|dhcp' | sed "s|$TMP/||g"

elapsed=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
if [[ ${found[vm1]:-} == vm2 && ${found[vm2]:-} == vm1 ]]; then
	echo "== ok: vm1 (${leased[vm1]}) and vm2 (${leased[vm2]}) got leases and pinged each other (${elapsed}s)"
	exit 0
fi
echo "== FAILED: the guests did not both reach each other (${elapsed}s)"
for n in vm1 vm2; do
	echo "--- console of $n"
	console "$n" | tail -n 30 | sed 's/^/    | /'
done
exit 1
