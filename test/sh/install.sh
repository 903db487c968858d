#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# make install and make uninstall into a DESTDIR: the Linux install (binaries,
# man pages, systemd units with the binary's path and the sandbox filled in,
# sysusers.d, examples) for the default prefix and for PREFIX=/usr; every
# unit and the isolated drop-in accepted by systemd-analyze verify, with no
# warning; the macOS launchd install (plist, sudoers example) with
# UNAME_S=Darwin; after uninstall no file and no socket_vmnet directory is
# left. No root needed (nothing is installed outside the DESTDIR).
#
# Last line: "install: N passed, N failed".

set -u
cd "$(dirname "$0")/../.." || exit 1
. test/sh/lib.sh

T=$(mktemp -d /tmp/svm-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
MAKE=${MAKE:-make}
UNITS="socket_vmnet.service socket_vmnet.socket socket_vmnet@.service socket_vmnet@.socket"

# leftovers DIR: list files, links and socket_vmnet directories under DIR
leftovers() {
	find "$1" -mindepth 1 \( ! -type d -o -name '*socket_vmnet*' \) -print
}

# installs PREFIX UNITDIR SYSUSERSDIR: install into $T/PREFIX-NAME, check it,
# uninstall, check nothing is left
installs() {
	local prefix=$1 unitdir=$2 susers=$3 d
	d=$T/dest$(echo "$prefix" | tr / -)
	if ! $MAKE -s install DESTDIR="$d" PREFIX="$prefix" >"$T/log" 2>&1; then
		bad "make install PREFIX=$prefix"
		tail -n 20 "$T/log"
		return
	fi
	ok "make install PREFIX=$prefix"
	local want=(
		"$prefix/bin/socket_vmnet" "$prefix/bin/socket_vmnet_client"
		"$prefix/share/man/man8/socket_vmnet.8"
		"$prefix/share/man/man1/socket_vmnet_client.1"
		"$susers/socket_vmnet.conf"
		"$prefix/share/doc/socket_vmnet/examples/isolated.conf"
		"$prefix/share/doc/socket_vmnet/examples/NAME.conf")
	for u in $UNITS; do want+=("$unitdir/$u"); done
	local missing=()
	for f in "${want[@]}"; do [[ -f $d$f ]] || missing+=("$f"); done
	if [[ ${#missing[@]} -eq 0 ]]; then ok "$prefix: all ${#want[@]} files installed"; else bad "$prefix: missing ${missing[*]}"; fi
	check "$prefix: units run $prefix/bin/socket_vmnet" \
		grep -q "^ExecStart=$prefix/bin/socket_vmnet " "$d$unitdir/socket_vmnet.service" "$d$unitdir/socket_vmnet@.service"
	check "$prefix: no placeholder left" \
		sh -c "! grep -rn '@BINDIR@\|@SANDBOX@' '$d'"
	check "$prefix: the sandbox is in both services" \
		sh -c "[ \$(grep -l '^CapabilityBoundingSet=CAP_NET_ADMIN CAP_SETUID CAP_SETGID CAP_KILL\$' '$d$unitdir'/*.service | wc -l) = 2 ]"
	verify_units "$d" "$prefix" "$unitdir"
	if ! $MAKE -s uninstall DESTDIR="$d" PREFIX="$prefix" >"$T/log" 2>&1; then
		bad "make uninstall PREFIX=$prefix"
		tail -n 20 "$T/log"
		return
	fi
	local left
	left=$(leftovers "$d")
	if [[ -z $left ]]; then ok "$prefix: uninstall left nothing"; else bad "$prefix: uninstall left: $left"; fi
}

# verify_units DESTDIR PREFIX UNITDIR: systemd-analyze verify every unit (and
# an instance with the isolated drop-in), the binary and man pages taken from
# the DESTDIR; it must succeed and print nothing
verify_units() {
	local d=$1 prefix=$2 unitdir=$3 v=$T/verify out
	if ! command -v systemd-analyze >/dev/null; then
		bad "systemd-analyze not found (apt-get install systemd)"
		return
	fi
	rm -rf "$v"
	mkdir -p "$v/socket_vmnet@test.service.d"
	for u in $UNITS; do
		sed "s|$prefix/bin/|$d$prefix/bin/|g" "$d$unitdir/$u" >"$v/$u"
	done
	cp "$v/socket_vmnet@.service" "$v/socket_vmnet@test.service"
	cp "$v/socket_vmnet@.socket" "$v/socket_vmnet@test.socket"
	sed "s|$prefix/bin/|$d$prefix/bin/|g" "$d$prefix/share/doc/socket_vmnet/examples/isolated.conf" \
		>"$v/socket_vmnet@test.service.d/isolated.conf"
	for u in socket_vmnet.service socket_vmnet.socket socket_vmnet@test.service socket_vmnet@test.socket; do
		if out=$(MANPATH=$d$prefix/share/man systemd-analyze verify "$v/$u" 2>&1) && [[ -z $out ]]; then
			ok "$prefix: systemd-analyze verify $u"
		else
			bad "$prefix: systemd-analyze verify $u: $out"
		fi
	done
}

installs /usr/local /usr/local/lib/systemd/system /usr/local/lib/sysusers.d
installs /usr /usr/lib/systemd/system /usr/lib/sysusers.d
installs /opt/svm /etc/systemd/system /etc/sysusers.d

# The macOS install (launchd, sudoers example) needs no macOS to copy files.
d=$T/darwin
if $MAKE -s install.launchd install.doc UNAME_S=Darwin DESTDIR="$d" >"$T/log" 2>&1 &&
	$MAKE -s uninstall UNAME_S=Darwin DESTDIR="$d" >"$T/log" 2>&1; then
	ok "macOS: make install.launchd install.doc, then make uninstall, into a DESTDIR"
	left=$(leftovers "$d")
	if [[ -z $left ]]; then ok "macOS: uninstall left nothing"; else bad "macOS: uninstall left: $left"; fi
else
	bad "macOS: make install.launchd/uninstall.launchd"
	tail -n 20 "$T/log"
fi
d=$T/darwin2
if $MAKE -s install.launchd UNAME_S=Darwin DESTDIR="$d" >"$T/log" 2>&1; then
	check "macOS: sudoers example and plist installed" \
		test -f "$d/opt/socket_vmnet/share/doc/socket_vmnet/socket_vmnet" \
		-a -f "$d/Library/LaunchDaemons/io.github.socket-vmnet.plist"
else
	bad "macOS: make install.launchd"
	tail -n 20 "$T/log"
fi

echo "install: $PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
