# SPDX-License-Identifier: Apache-2.0
#
# Shared helpers of the shell test suites (sourced): pass/fail counting and
# checks that retry, a QEMU plug, and the "cannot run here" exit.

PASSED=0
FAILED=0

# ok NAME: count a pass
ok() {
	PASSED=$((PASSED + 1))
	echo "ok: $*"
}

# bad NAME [LOGFILE...]: count a failure, show the end of the given logs
bad() {
	local name=$1 f
	shift
	FAILED=$((FAILED + 1))
	echo "FAIL: $name"
	for f in "$@"; do
		[ -f "$f" ] || continue
		echo "    --- $(basename "$f")"
		tail -n 15 "$f" | sed 's/^/    /'
	done
}

# cannot_run SUITE WHY: the suite cannot run here: exit 77 (skipped), or
# with CI=true or REQUIRE_QEMU=1 (test/run-tests as root) fail
cannot_run() {
	local suite=$1
	shift
	if [ "${CI:-}" = true ] || [ "${REQUIRE_QEMU:-}" = 1 ]; then
		echo "FAIL: cannot run: $* (CI=true or REQUIRE_QEMU=1)"
		echo "$suite: 0 passed, 1 failed"
		exit 1
	fi
	echo "$suite: skipped: $*"
	exit 77
}

# qemu_plug NS TAP SOCK PIDFILE LOG: a QEMU "-M none" plug in NS joining the
# TAP device TAP to the daemon's stream socket SOCK (a VM without a guest),
# in the background, its pid in PIDFILE
qemu_plug() {
	ip netns exec "$1" qemu-system-x86_64 -M none -nodefaults -display none \
		-netdev tap,id=t,ifname="$2",script=no,downscript=no \
		-netdev hubport,id=h1,hubid=0,netdev=t \
		-netdev stream,id=s,server=off,addr.type=unix,addr.path="$3" \
		-netdev hubport,id=h2,hubid=0,netdev=s \
		-daemonize -pidfile "$4" >>"$5" 2>&1
}

# check NAME COMMAND...: pass if the command succeeds
check() {
	local name=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name"; fi
}

# eventually NAME COMMAND...: pass if the command succeeds within 5 s
eventually() {
	local name=$1
	shift
	for _ in $(seq 50); do
		if "$@" >/dev/null 2>&1; then
			ok "$name"
			return 0
		fi
		sleep 0.1
	done
	bad "$name"
	return 1
}
