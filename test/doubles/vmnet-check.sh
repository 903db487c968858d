#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Run the checks of src/vmnet.c (the macOS host side) built on Linux
# against the vmnet test double (make doubles builds them into
# $BUILD/doubles): vmnet_check with the double as macOS 15, as an older
# macOS without the newer keys, and as macOS 26 with the network-
# configuration API (under ASan+UBSan), then the whole
# daemon built as for macOS (vmnet + kqueue doubles) driven by vmnet_e2e.py.
#
# What this checks is our use of vmnet.framework's documented contract, as
# the double models it. It does not run Apple's code and proves nothing about
# Apple's implementation; the macOS workflow builds against the real framework.
#
# Prints "vmnet: N passed, N failed".

set -u
cd "$(dirname "$0")/../.." || exit 1
OUT=${BUILD:-build}/doubles

for f in vmnet_check socket_vmnet libvmnet_double.so old/libvmnet_double.so \
	v26/libvmnet_double.so; do
	if [[ ! -e $OUT/$f ]]; then
		echo "vmnet-check: $OUT/$f is missing (make doubles; needs clang and libblocksruntime-dev)"
		echo "vmnet: 0 passed, 1 failed"
		exit 1
	fi
done

passed=0
failed=0
rc=0
# add_result LOG PATTERN EXIT: add the counts of the log's summary line
add_result() {
	local log=$1 pattern=$2 r=$3 line
	cat "$log"
	line=$(grep -E "^$pattern: [0-9]+ passed, [0-9]+ failed" "$log" | tail -n 1)
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		if [[ $r -ne 0 && ${BASH_REMATCH[2]} -eq 0 ]]; then
			failed=$((failed + 1))
		fi
	else
		echo "vmnet-check: $log has no result (exit $r)"
		failed=$((failed + 1))
	fi
	[[ $r -ne 0 ]] && rc=1
}

for variant in new old v26; do
	case $variant in
	new)
		libdir=$OUT
		args=()
		;;
	old)
		libdir=$OUT/old
		args=(old)
		;;
	v26)
		libdir=$OUT/v26
		args=(26)
		;;
	esac
	log=$OUT/$variant.log
	LD_LIBRARY_PATH=$libdir timeout 120 "$OUT/vmnet_check" "${args[@]}" \
		>"$log" 2>&1
	add_result "$log" 'vmnet[-a-z0-9]*' $?
done
log=$OUT/e2e.log
timeout 120 python3 test/doubles/vmnet_e2e.py "$OUT/socket_vmnet" "$OUT" >"$log" 2>&1
add_result "$log" vmnet-e2e $?
echo "vmnet: $passed passed, $failed failed"
[[ $failed -eq 0 && $rc -eq 0 ]]
