#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Build src/vmnet.c (the macOS host side) on Linux against the vmnet test
# double in test/vmnet-double/ and drive it with test/vmnet_check.c: start
# parameters, batch reads and writes, the packets-available hand-off to the
# event loop, errors, fork; once with the double as macOS 15 and once as an
# older macOS without the newer keys. The driver runs under ASan+UBSan.
#
# What this checks is our use of vmnet.framework's documented contract, as
# the double models it. It does not run Apple's code and proves nothing about
# Apple's implementation; the macOS workflow (.github/workflows/macos.yml)
# builds against the real framework.
#
# Needs clang with -fblocks and a blocks runtime (Debian: clang,
# libblocksruntime-dev). Without them: exit 77 (skipped), or failure when
# CI=true. Prints "vmnet: N passed, N failed".
#
#   BUILD=build    where the binaries go ($BUILD/vmnet-check)

set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
OUT=$BUILD/vmnet-check
CC=${VMNET_CHECK_CC:-clang}

skip() {
	echo "vmnet-check: $*"
	if [[ ${CI:-} == true ]]; then
		echo "vmnet: 0 passed, 1 failed"
		exit 1
	fi
	echo "vmnet-check: skipped"
	exit 77
}

if [[ $(uname -s) != Linux ]]; then
	echo "vmnet-check: only for Linux (macOS builds against the real framework)"
	exit 77
fi
command -v "$CC" >/dev/null 2>&1 || skip "no $CC (apt-get install clang)"
mkdir -p "$OUT/old" || exit 1
cat >"$OUT/blocks.c" <<'EOC'
#include <Block.h>
int main(void)
{
	int k = 2;
	int (^b)(int) = Block_copy(^(int x) { return x + k; });
	int r = b(1) == 3 ? 0 : 1;
	Block_release(b);
	return r;
}
EOC
if ! "$CC" -fblocks -o "$OUT/blocks" "$OUT/blocks.c" -lBlocksRuntime \
	>"$OUT/blocks.log" 2>&1 || ! "$OUT/blocks"; then
	cat "$OUT/blocks.log"
	skip "no blocks runtime (apt-get install libblocksruntime-dev)"
fi

WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
-Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter"
SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"
DEFS=(-D_GNU_SOURCE '-DVERSION="vmnet-check"')
INC="-Isrc -Itest -Itest/vmnet-double"
set -e
# The double is a shared library, like the framework: dlsym() finds the
# keys of newer macOS versions in it, or (the "old" build) does not.
# shellcheck disable=SC2086
"$CC" $WARN "${DEFS[@]}" -O1 -g -fblocks -fPIC -shared $INC \
	-Wl,-soname,libvmnet_double.so -o "$OUT/libvmnet_double.so" \
	test/vmnet-double/vmnet_double.c test/vmnet-double/xpc_dispatch_double.c \
	-lBlocksRuntime -lpthread
# shellcheck disable=SC2086
"$CC" $WARN "${DEFS[@]}" -O1 -g -fblocks -fPIC -shared $INC -DVMNET_DOUBLE_OLD \
	-Wl,-soname,libvmnet_double.so -o "$OUT/old/libvmnet_double.so" \
	test/vmnet-double/vmnet_double.c test/vmnet-double/xpc_dispatch_double.c \
	-lBlocksRuntime -lpthread
# The code under test, with the daemon's warnings and the sanitizers, and
# the rest of the daemon's library as the Makefile picks it on macOS, except
# that the event loop is epoll (loop_kqueue.c has test/loop_kqueue_check.sh).
LIB=()
for f in src/*.c; do
	case $f in
	src/main.c | src/client.c | src/tap.c | src/nat.c | src/loop_kqueue.c) ;;
	*) LIB+=("$f") ;;
	esac
done
# shellcheck disable=SC2086
"$CC" $WARN "${DEFS[@]}" -O1 -g -fblocks $SAN $INC -o "$OUT/vmnet_check" \
	"${LIB[@]}" test/unit.c test/vmnet_check.c \
	-L"$OUT" -lvmnet_double -lBlocksRuntime -lpthread
# The whole daemon as the Makefile builds it for macOS (vmnet.c and
# loop_kqueue.c), against the vmnet and kqueue doubles, for vmnet_e2e.py.
MAC=()
for f in src/*.c; do
	case $f in
	src/client.c | src/tap.c | src/nat.c | src/loop_epoll.c) ;;
	*) MAC+=("$f") ;;
	esac
done
# shellcheck disable=SC2086
"$CC" $WARN "${DEFS[@]}" -O1 -g -fblocks $SAN $INC -Itest/kqueue-double \
	-o "$OUT/socket_vmnet" "${MAC[@]}" test/kqueue-double/kqueue_double.c \
	-L"$OUT" -lvmnet_double -lBlocksRuntime -lpthread
set +e

passed=0
failed=0
rc=0
for variant in new old; do
	if [[ $variant == new ]]; then
		libdir=$OUT
		args=()
	else
		libdir=$OUT/old
		args=(old)
	fi
	log=$OUT/$variant.log
	LD_LIBRARY_PATH=$libdir timeout 120 "$OUT/vmnet_check" "${args[@]}" \
		>"$log" 2>&1
	r=$?
	cat "$log"
	line=$(grep -E '^vmnet[-a-z]*: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
		if [[ $r -ne 0 && ${BASH_REMATCH[2]} -eq 0 ]]; then
			failed=$((failed + 1))
		fi
	else
		echo "vmnet-check: the $variant run printed no result (exit $r)"
		failed=$((failed + 1))
	fi
	[[ $r -ne 0 ]] && rc=1
done
# The daemon end to end: flags to start parameters, frames both ways.
if command -v python3 >/dev/null 2>&1; then
	log=$OUT/e2e.log
	timeout 120 python3 test/vmnet_e2e.py "$OUT/socket_vmnet" "$OUT" \
		>"$log" 2>&1
	r=$?
	cat "$log"
	line=$(grep -E '^vmnet-e2e: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		passed=$((passed + BASH_REMATCH[1]))
		failed=$((failed + BASH_REMATCH[2]))
	else
		echo "vmnet-check: vmnet_e2e.py printed no result (exit $r)"
		failed=$((failed + 1))
	fi
	[[ $r -ne 0 ]] && rc=1
else
	echo "vmnet-check: no python3: end-to-end run skipped"
fi
echo "vmnet: $passed passed, $failed failed"
[[ $failed -eq 0 && $rc -eq 0 ]]
