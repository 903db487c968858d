#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Build the tiny Linux guest used by the end-to-end tests and `make demo`:
# Debian's cloud kernel and an initramfs of busybox-static, the virtio-net
# modules and a small /init.  Both packages are fetched with `apt-get
# download` and unpacked with `dpkg-deb -x`: nothing is installed, nothing
# prebuilt is kept in the repository.
#
#   test/guest/build-guest.sh [--force]
#
# Output directory (ignored by git):
#   $SVM_GUEST_DIR                      when set, else
#   $XDG_CACHE_HOME/socket_vmnet/guest  when XDG_CACHE_HOME is set, else
#   .cache/guest in the repository
# It holds vmlinuz, initrd.img and a stamp; the build is skipped when the
# stamp matches (same kernel package, busybox version and this script).
# The last two lines on stdout are KERNEL=path and INITRD=path.
#
# Needs: apt-get (with package lists: run apt-get update once), dpkg-deb,
# python3 (writes the cpio archive, so no cpio tool or root is needed), gzip.
#
# The guest's /init reads its job from the kernel command line (svm.KEY=VALUE,
# see GUEST PROTOCOL below) and prints machine-readable lines starting with
# "SVM-" on the serial console.

set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SELF="$ROOT/test/guest/build-guest.sh"
if [[ -n ${SVM_GUEST_DIR:-} ]]; then
	OUT=$SVM_GUEST_DIR
elif [[ -n ${XDG_CACHE_HOME:-} ]]; then
	OUT=$XDG_CACHE_HOME/socket_vmnet/guest
else
	OUT=$ROOT/.cache/guest
fi
FORCE=0
[[ ${1:-} == --force ]] && FORCE=1

# Modules, in load order (the package ships no modules.dep).
MODULES=(virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev
	virtio_pci failover net_failover virtio_net)

log() { echo "build-guest: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

finish() {
	echo "KERNEL=$OUT/vmlinuz"
	echo "INITRD=$OUT/initrd.img"
	exit 0
}

# --- which packages ----------------------------------------------------------
# linux-image-cloud-amd64 is a metapackage: the real, versioned package is
# its dependency (e.g. linux-image-6.1.0-56-cloud-amd64).
resolve_kernel() {
	apt-cache depends linux-image-cloud-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}
candidate() {
	apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }'
}

KPKG=${SVM_GUEST_KERNEL_PKG:-$(resolve_kernel)}
if [[ -z $KPKG && $(id -u) -eq 0 && -z ${SVM_GUEST_NO_UPDATE:-} ]]; then
	log "no package lists: apt-get update"
	apt-get update -q >&2 || true
	KPKG=$(resolve_kernel)
fi
if [[ -z $KPKG ]]; then
	if [[ -s $OUT/vmlinuz && -s $OUT/initrd.img ]]; then
		log "cannot resolve linux-image-cloud-amd64 (no package lists?); using the existing build"
		finish
	fi
	die "cannot resolve linux-image-cloud-amd64: run 'apt-get update' first"
fi
KVER=$(candidate "$KPKG")
BBVER=$(candidate busybox-static)
[[ -n $KVER && $KVER != "(none)" ]] || die "no candidate version for $KPKG"
[[ -n $BBVER && $BBVER != "(none)" ]] || die "no candidate version for busybox-static"
SCRIPT_SUM=$(sha256sum "$SELF" | cut -d' ' -f1)
STAMP="kernel=$KPKG/$KVER busybox=$BBVER script=$SCRIPT_SUM"

if [[ $FORCE -eq 0 && -s $OUT/vmlinuz && -s $OUT/initrd.img && -f $OUT/stamp &&
	$(cat "$OUT/stamp") == "$STAMP" ]]; then
	log "up to date in $OUT ($KPKG $KVER, busybox $BBVER)"
	finish
fi

log "building in $OUT: $KPKG $KVER, busybox-static $BBVER"
mkdir -p "$OUT"
WORK=$(mktemp -d "$OUT/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# --- fetch and unpack ----------------------------------------------------------
# Keep the .debs between builds: a rebuild for a new /init needs no download.
mkdir -p "$OUT/debs"
find_deb() { # find_deb PKG VERSION: the downloaded .deb of that version, if any
	local d
	for d in "$OUT/debs/${1}"_*.deb; do
		[[ -f $d && $(dpkg-deb -f "$d" Package) == "$1" &&
			$(dpkg-deb -f "$d" Version) == "$2" ]] && echo "$d" && return
	done
	return 0
}
fetch() { # fetch PKG VERSION: print the path of the .deb, downloading it if needed
	local pkg=$1 ver=$2 f
	f=$(find_deb "$pkg" "$ver")
	if [[ -z $f ]]; then
		local sandbox=()
		# As root apt drops to _apt, which may not write here.
		[[ $(id -u) -eq 0 ]] && sandbox=(-o APT::Sandbox::User=root)
		(cd "$OUT/debs" && apt-get download -q "${sandbox[@]}" "$pkg=$ver" >&2) ||
			die "apt-get download $pkg=$ver failed"
		f=$(find_deb "$pkg" "$ver")
		[[ -n $f ]] || die "apt-get download $pkg left no .deb"
	fi
	echo "$f"
}
KDEB=$(fetch "$KPKG" "$KVER")
BBDEB=$(fetch busybox-static "$BBVER")
[[ -n $KDEB && -n $BBDEB ]] || die "download failed"
# Drop older downloads.
find "$OUT/debs" -maxdepth 1 -name '*.deb' ! -path "$KDEB" ! -path "$BBDEB" -delete

dpkg-deb -x "$KDEB" "$WORK/kernel"
dpkg-deb -x "$BBDEB" "$WORK/busybox"
VMLINUZ=$(find "$WORK/kernel/boot" -name 'vmlinuz-*' | head -n 1)
[[ -n $VMLINUZ ]] || die "$KPKG has no /boot/vmlinuz-*"
BUSYBOX=$WORK/busybox/bin/busybox
[[ -x $BUSYBOX ]] || die "busybox-static has no /bin/busybox"

# --- the initramfs tree ----------------------------------------------------------
R=$WORK/root
mkdir -p "$R"/{bin,dev,proc,sys,tmp,run,etc,lib/modules}
cp "$BUSYBOX" "$R/bin/busybox"
# One symlink per applet, but not for "busybox" itself.
for a in $("$BUSYBOX" --list); do
	[[ $a == busybox ]] && continue
	ln -s busybox "$R/bin/$a"
done
ln -s bin "$R/sbin"
mkdir -p "$R/usr"
ln -s ../bin "$R/usr/bin"
ln -s ../bin "$R/usr/sbin"

for m in "${MODULES[@]}"; do
	f=$(find "$WORK/kernel/lib/modules" -name "$m.ko*" | head -n 1)
	[[ -n $f ]] || die "module $m not found in $KPKG"
	case $f in
	*.ko) cp "$f" "$R/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$f" >"$R/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -dc "$f" >"$R/lib/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$R/lib/modules/$m.ko" ;;
	*) die "unknown module format: $f" ;;
	esac
done
printf '%s\n' "${MODULES[@]}" >"$R/etc/modules"

# --- GUEST PROTOCOL ----------------------------------------------------------------
# Kernel command line (all optional):
#   svm.name=NAME        shown in the result lines
#   svm.ping=IP[,IP]     ping these after the lease (the gateway is always pinged)
#   svm.scan=A.B.C.X-Y   look for other guests: ping A.B.C.X .. A.B.C.Y (not
#                        itself) until svm.want=N of them answered, at most
#                        svm.wait=SECONDS (default 60)
#   svm.tcp=IP:PORT[,..] connect, send "hello NAME", print the reply
#   svm.big=SIZE         also ping the gateway and every peer with SIZE data
#                        bytes, and check that nothing was fragmented
#   svm.linger=SECONDS   stay up this long after the job (others may ping us)
#   svm.ctl=1            after the job, take commands on the console (below)
#                        instead of powering off
# Console lines (the guest prints; each alone on a line):
#   SVM-BOOT name=.. mac=..
#   SVM-LEASE ip=.. mask=.. router=.. mtu=<DHCP option 26 or none> ifmtu=.. dns=.. lease=..
#   SVM-NOLEASE
#   SVM-PING IP ok|fail [size=N frag=N reasm=N]
#   SVM-TCP IP:PORT ok|fail reply=...
#   SVM-READY                      (command mode)
#   SVM-RESULT ID ok|fail DETAIL   (answer to a command)
#   SVM-DONE / SVM-POWEROFF
# Commands (one line each on the console, ID is any word of the caller's):
#   ID ping IP [TRIES [SIZE]]   one echo per try, up to TRIES (default 3)
#                               tries; with SIZE data bytes, the result also
#                               gives the fragment counters (frag=N reasm=N)
#                               and is "fail" unless both stayed 0
#   ID tcp IP PORT              as svm.tcp
#   ID info                     ip, mac, ifmtu
#   ID sh COMMAND...            run a shell command (debugging)
#   ID off                      power off

cat >"$R/etc/svm-dhcp.sh" <<'EOF'
#!/bin/sh
# udhcpc hook: configure the interface from the lease (address, router, MTU).
case $1 in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set dev "$interface" up
	;;
bound | renew)
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" broadcast + dev "$interface"
	for r in $router; do
		ip route add default via "$r" dev "$interface"
		break
	done
	{
		echo "LEASE_IP=$ip"
		echo "LEASE_MASK=${mask:-}"
		echo "LEASE_ROUTER=$(echo $router | cut -d' ' -f1)"
		echo "LEASE_MTU=${mtu:-none}"
		echo "LEASE_DNS=$(echo ${dns:-none} | tr ' ' ',')"
		echo "LEASE_TIME=${lease:-}"
		echo "LEASE_SERVER=${serverid:-}"
	} >/run/lease.env
	;;
leasefail | nak)
	echo "SVM-DHCP $1"
	;;
esac
exit 0
EOF

cat >"$R/init" <<'EOF'
#!/bin/sh
# /init of the socket_vmnet test guest: load virtio-net, get a DHCP lease,
# do the job from the kernel command line, print SVM-* result lines.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /run

poweroff_now() {
	echo "SVM-POWEROFF"
	sync
	poweroff -f
	sleep 5
	exit 0 # panic=-1 and -no-reboot end QEMU then
}

# svm.KEY=VALUE -> SVM_KEY
for w in $(cat /proc/cmdline); do
	case $w in
	svm.*=*)
		k=${w%%=*}
		k=${k#svm.}
		case $k in *[!a-z0-9_]* | "") continue ;; esac
		eval "SVM_$k=\${w#*=}"
		;;
	esac
done
NAME=${SVM_name:-guest}

for m in $(cat /etc/modules); do
	insmod "/lib/modules/$m.ko" || echo "SVM-ERROR insmod $m"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
ip link set lo up
ip link set eth0 up
MAC=$(cat /sys/class/net/eth0/address)
echo "SVM-BOOT name=$NAME mac=$MAC"

# snmp KEY: a counter of the "Ip:" lines of /proc/net/snmp
snmp() {
	awk -v k="$1" '/^Ip:/ { if (!h) { for (i = 1; i <= NF; i++) n[i] = $i; h = 1 }
		else { for (i = 1; i <= NF; i++) if (n[i] == k) print $i } }' /proc/net/snmp
}

# do_ping IP [SIZE [TRIES]]: sets PING_DETAIL; 0 when an echo came back
do_ping() {
	local ip=$1 size=${2:-} tries=${3:-3} t=0 rc=1 f0 r0
	PING_DETAIL=
	if [ -n "$size" ]; then
		f0=$(snmp FragCreates)
		r0=$(snmp ReasmReqds)
	fi
	while [ $t -lt "$tries" ]; do
		if [ -n "$size" ]; then
			ping -q -c 1 -W 2 -s "$size" "$ip" >/dev/null 2>&1 && rc=0
		else
			ping -q -c 1 -W 1 "$ip" >/dev/null 2>&1 && rc=0
		fi
		[ $rc -eq 0 ] && break
		t=$((t + 1))
	done
	if [ -n "$size" ]; then
		PING_DETAIL="size=$size frag=$(($(snmp FragCreates) - f0)) reasm=$(($(snmp ReasmReqds) - r0))"
		# Sent or received in fragments: not the unfragmented ping asked for.
		case $PING_DETAIL in *" frag=0 reasm=0") ;; *) rc=1 ;; esac
	fi
	return $rc
}

report_ping() { # report_ping IP [SIZE]
	if do_ping "$1" "${2:-}" 5; then
		echo "SVM-PING $1 ok $PING_DETAIL"
	else
		echo "SVM-PING $1 fail $PING_DETAIL"
	fi
}

# do_tcp IP PORT: sets TCP_REPLY; 0 when the server answered
do_tcp() {
	TCP_REPLY=$(echo "hello $NAME" | timeout 15 nc -w 5 "$1" "$2" 2>&1 | head -n 1 | tr -d '\r')
	case $TCP_REPLY in pong*) return 0 ;; esac
	return 1
}

# --- DHCP ---
udhcpc -f -q -n -i eth0 -s /etc/svm-dhcp.sh -O mtu -t 15 -T 1 -A 1 >/dev/null 2>&1
if [ ! -s /run/lease.env ]; then
	echo "SVM-NOLEASE"
	[ "${SVM_ctl:-}" = 1 ] || poweroff_now
else
	. /run/lease.env
	echo "SVM-LEASE ip=$LEASE_IP mask=$LEASE_MASK router=$LEASE_ROUTER mtu=$LEASE_MTU ifmtu=$(cat /sys/class/net/eth0/mtu) dns=$LEASE_DNS lease=$LEASE_TIME server=$LEASE_SERVER"
	ROUTER=$LEASE_ROUTER
	MYIP=$LEASE_IP
fi

# --- the job from the command line ---
PEERS=
if [ -n "$ROUTER" ]; then
	report_ping "$ROUTER"
	for p in $(echo "${SVM_ping:-}" | tr ',' ' '); do
		report_ping "$p"
		PEERS="$PEERS $p"
	done
	if [ -n "${SVM_scan:-}" ]; then
		base=${SVM_scan%.*}
		range=${SVM_scan##*.}
		lo=${range%-*}
		hi=${range#*-}
		want=${SVM_want:-1}
		end=$(($(cut -d. -f1 /proc/uptime) + ${SVM_wait:-60}))
		found=0
		while [ "$found" -lt "$want" ] && [ "$(cut -d. -f1 /proc/uptime)" -lt "$end" ]; do
			x=$lo
			while [ "$x" -le "$hi" ]; do
				ip=$base.$x
				if [ "$ip" != "$MYIP" ] && [ ! -e "/run/found.$ip" ]; then
					(ping -q -c 1 -W 1 "$ip" >/dev/null 2>&1 && : >"/run/found.$ip") &
				fi
				x=$((x + 1))
			done
			wait
			found=$(ls /run | grep -c '^found\.')
		done
		for f in /run/found.*; do
			[ -e "$f" ] || continue
			p=${f#/run/found.}
			echo "SVM-PING $p ok"
			PEERS="$PEERS $p"
		done
		[ "$found" -ge "$want" ] || echo "SVM-SCAN fail found=$found want=$want"
	fi
	if [ -n "${SVM_big:-}" ]; then
		for p in $ROUTER $PEERS; do
			report_ping "$p" "$SVM_big"
		done
	fi
	for t in $(echo "${SVM_tcp:-}" | tr ',' ' '); do
		if do_tcp "${t%:*}" "${t##*:}"; then
			echo "SVM-TCP $t ok reply=$TCP_REPLY"
		else
			echo "SVM-TCP $t fail reply=$TCP_REPLY"
		fi
	done
fi
echo "SVM-DONE"
[ -n "${SVM_linger:-}" ] && sleep "$SVM_linger"
[ "${SVM_ctl:-}" = 1 ] || poweroff_now

# --- command mode: "ID COMMAND ARGS" lines on the console ---
stty -echo 2>/dev/null
echo "SVM-READY"
while read -r id cmd a1 a2 a3 rest; do
	case $cmd in
	ping)
		if do_ping "$a1" "$a3" "${a2:-3}"; then
			echo "SVM-RESULT $id ok $PING_DETAIL"
		else
			echo "SVM-RESULT $id fail $PING_DETAIL"
		fi
		;;
	tcp)
		if do_tcp "$a1" "$a2"; then
			echo "SVM-RESULT $id ok reply=$TCP_REPLY"
		else
			echo "SVM-RESULT $id fail reply=$TCP_REPLY"
		fi
		;;
	info)
		echo "SVM-RESULT $id ok ip=$MYIP mac=$MAC ifmtu=$(cat /sys/class/net/eth0/mtu)"
		;;
	sh)
		out=$(sh -c "$a1 $a2 $a3 $rest" 2>&1 | tr '\n' '|')
		echo "SVM-RESULT $id ok $out"
		;;
	off)
		echo "SVM-RESULT $id ok"
		break
		;;
	"") ;;
	*)
		echo "SVM-RESULT $id fail unknown command $cmd"
		;;
	esac
done
poweroff_now
EOF
chmod 0755 "$R/init" "$R/etc/svm-dhcp.sh"

# --- pack ------------------------------------------------------------------------
# A newc cpio written by Python (no cpio tool, no root for the device nodes),
# with fixed owners and times so the same inputs give the same archive.
python3 - "$R" "$WORK/initrd.img" <<'PY'
import gzip, os, stat, sys

root, out = sys.argv[1], sys.argv[2]
entries = []  # (name, mode, data, rdevmajor, rdevminor)
for d, dirs, files in os.walk(root):
    dirs.sort()
    for n in sorted(dirs) + sorted(files):
        p = os.path.join(d, n)
        rel = os.path.relpath(p, root)
        st = os.lstat(p)
        if stat.S_ISLNK(st.st_mode):
            entries.append((rel, stat.S_IFLNK | 0o777, os.readlink(p).encode(), 0, 0))
        elif stat.S_ISDIR(st.st_mode):
            entries.append((rel, stat.S_IFDIR | 0o755, b"", 0, 0))
        else:
            with open(p, "rb") as f:
                data = f.read()
            entries.append((rel, stat.S_IFREG | (st.st_mode & 0o777), data, 0, 0))
entries.append(("dev/console", stat.S_IFCHR | 0o600, b"", 5, 1))
entries.append(("dev/null", stat.S_IFCHR | 0o666, b"", 1, 3))
entries.sort(key=lambda e: e[0])

def pad(n):
    return b"\0" * ((4 - n % 4) % 4)

buf = bytearray()
def add(ino, name, mode, data, maj, mnr):
    nb = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino, mode, 0, 0, 1, 0, len(data), 0, 0, maj, mnr, len(nb), 0))
    buf.extend(hdr.encode() + nb)
    buf.extend(pad(110 + len(nb)))
    buf.extend(data)
    buf.extend(pad(len(data)))

for i, (name, mode, data, maj, mnr) in enumerate(entries, 1):
    add(i, name, mode, data, maj, mnr)
add(0, "TRAILER!!!", 0, b"", 0, 0)
with open(out, "wb") as f:
    f.write(gzip.compress(bytes(buf), compresslevel=6, mtime=0))
PY

cp "$VMLINUZ" "$WORK/vmlinuz"
mv -f "$WORK/vmlinuz" "$OUT/vmlinuz"
mv -f "$WORK/initrd.img" "$OUT/initrd.img"
echo "$STAMP" >"$OUT/stamp"
log "done: $(du -h "$OUT/vmlinuz" | cut -f1) kernel, $(du -h "$OUT/initrd.img" | cut -f1) initrd"
finish
