#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The Debian package, built and installed for real (CI; it changes the
# system, so make check does not run it): make deb (dpkg-buildpackage -b
# -us -uc), lintian without errors, apt-get install of the .deb, then the
# installed files: socket_vmnet --version, man socket_vmnet finds the page
# and its socket activation section, systemd-analyze verify accepts every
# unit, the socket_vmnet user and group exist, the installed daemon serves
# a VM through systemd-socket-activate as socket_vmnet.socket would; then
# apt-get purge removes every file it installed.
#
# Needs root, apt-get, dpkg-dev, debhelper, lintian, man-db, systemd.
# Last line: "deb: N passed, N failed".

set -u
cd "$(dirname "$0")/../.." || exit 1
. test/sh/lib.sh

BUILD=${BUILD:-build}
PKG=socket-vmnet
T=$(mktemp -d /tmp/svm-deb.XXXXXX)
had_user=0
getent passwd socket_vmnet >/dev/null && had_user=1

cleanup() {
	if dpkg-query -W -f='${Status}' $PKG 2>/dev/null | grep -q installed; then
		apt-get purge -y -q $PKG >/dev/null 2>&1
	fi
	if [[ $had_user == 0 ]] && getent passwd socket_vmnet >/dev/null; then
		userdel socket_vmnet 2>/dev/null
		getent group socket_vmnet >/dev/null && groupdel socket_vmnet
	fi
	rm -rf "$T"
}
trap cleanup EXIT

if [[ $(id -u) -ne 0 ]]; then
	echo "deb: needs root (installs the package)"
	echo "deb: 0 passed, 1 failed"
	exit 1
fi

if make -s deb BUILD="$BUILD" >"$T/build.log" 2>&1; then
	ok "make deb (dpkg-buildpackage -b -us -uc)"
else
	bad "make deb"
	tail -n 30 "$T/build.log"
	echo "deb: $PASSED passed, $FAILED failed"
	exit 1
fi
deb=$(ls "$BUILD"/deb/${PKG}_*.deb | head -n 1)
echo "package: $deb ($(du -k "$deb" | cut -f1) KiB)"

lintian --fail-on error "$deb" >"$T/lintian" 2>&1
rc=$?
sed 's/^/    lintian: /' "$T/lintian" | grep -v 'running with root' | head -n 20
if [[ $rc -eq 0 ]] && ! grep -q '^E: ' "$T/lintian"; then ok "lintian: no errors"; else bad "lintian: errors (exit $rc)"; fi

if apt-get install -y -q -o Dpkg::Options::=--path-include='/usr/share/man/*' \
	"./$deb" >"$T/apt.log" 2>&1; then
	ok "apt-get install ./$(basename "$deb")"
else
	bad "apt-get install"
	tail -n 20 "$T/apt.log"
	echo "deb: $PASSED passed, $FAILED failed"
	exit 1
fi

ver=$(dpkg-query -W -f='${Version}' $PKG)
out=$(/usr/bin/socket_vmnet --version 2>&1)
if [[ $out == "socket_vmnet version $ver" ]]; then ok "socket_vmnet --version: $out"; else bad "socket_vmnet --version: '$out', want version $ver"; fi
check "socket_vmnet_client is installed" test -x /usr/bin/socket_vmnet_client
page=$(man -w socket_vmnet 2>&1)
if [[ $page == /usr/share/man/man8/socket_vmnet.8* ]]; then ok "man socket_vmnet finds $page"; else bad "man -w socket_vmnet: $page"; fi
check "the page has the socket activation section" \
	sh -c "MANPAGER=cat MANWIDTH=80 man socket_vmnet 2>/dev/null | grep -q 'SOCKET ACTIVATION'"
check "man socket_vmnet_client finds its page" man -w socket_vmnet_client
check "user socket_vmnet exists" getent passwd socket_vmnet
check "group socket_vmnet exists" getent group socket_vmnet

# Every unit, and an instance of each template with the isolated drop-in.
mkdir -p "$T/units/socket_vmnet@ci.service.d"
cp /lib/systemd/system/socket_vmnet@.service "$T/units/socket_vmnet@ci.service"
cp /lib/systemd/system/socket_vmnet@.socket "$T/units/socket_vmnet@ci.socket"
cp /usr/share/doc/$PKG/examples/isolated.conf "$T/units/socket_vmnet@ci.service.d/"
for u in /lib/systemd/system/socket_vmnet.service /lib/systemd/system/socket_vmnet.socket \
	"$T/units/socket_vmnet@ci.service" "$T/units/socket_vmnet@ci.socket"; do
	if out=$(systemd-analyze verify "$u" 2>&1) && [[ -z $out ]]; then
		ok "systemd-analyze verify $(basename "$u")"
	else
		bad "systemd-analyze verify $(basename "$u"): $out"
	fi
done

# The installed daemon, socket-activated as socket_vmnet.socket does it.
# A client's connection starts it; it answers DHCP.
sock=$T/run/sock
mkdir -p "$T/run"
systemd-socket-activate -l "$sock" /usr/bin/socket_vmnet --vmnet-mode=isolated \
	--vmnet-gateway=10.47.0.1 --pidfile="$T/run/pid" "$sock" >"$T/daemon.log" 2>&1 &
act=$!
if eventually "the activator listens on $sock" grep -q "Listening on $sock" "$T/daemon.log"; then
	check "a VM on the installed, socket-activated daemon gets a lease" \
		python3 - "$sock" <<'EOF'
import sys
sys.path.insert(0, "test/py")
from svmlib import StreamVM, mac
vm = StreamVM.connect(sys.argv[1], "vm", mac(1), gw="10.47.0.1")
print(vm.dhcp())
EOF
	check "the daemon says it took the passed socket" \
		grep -q "socket passed by the service manager" "$T/daemon.log"
fi
kill "$act" 2>/dev/null
wait "$act" 2>/dev/null

files=$(dpkg -L $PKG | while read -r f; do [[ -f $f ]] && echo "$f"; done)
if apt-get purge -y -q $PKG >"$T/apt.log" 2>&1; then
	left=$(for f in $files; do [[ -e $f ]] && echo "$f"; done)
	if [[ -z $left ]]; then ok "apt-get purge removed every file"; else bad "apt-get purge left: $left"; fi
else
	bad "apt-get purge"
	tail -n 20 "$T/apt.log"
fi

echo "deb: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
