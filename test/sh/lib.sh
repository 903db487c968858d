# SPDX-License-Identifier: Apache-2.0
#
# Shared helpers of the shell test suites (sourced): pass/fail counting and
# checks that retry. A suite may redefine bad() to show logs on failure.

PASSED=0
FAILED=0

# ok NAME: count a pass
ok() {
	PASSED=$((PASSED + 1))
	echo "ok: $*"
}

# bad NAME: count a failure
bad() {
	FAILED=$((FAILED + 1))
	echo "FAIL: $*"
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
