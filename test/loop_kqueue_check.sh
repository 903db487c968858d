#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# Build src/loop_kqueue.c with src/loop.c and run test/loop_kqueue_check.c.
# It uses the system's kqueue where there is one (macOS, the BSDs), else
# libkqueue if installed (/usr/include/kqueue), else test/kqueue-double, a
# small emulation over poll() that keeps kqueue's rules (add before enable,
# no EVFILT_WRITE on a pipe's read end, not inherited by fork). Against the
# double this checks our use of the kqueue API as documented, not a real
# kernel: the macOS workflow runs the same test on the real thing.
#
# Prints "loop_kqueue: N passed, N failed".
#
#   BUILD=build    where the binary goes ($BUILD/loop-kqueue)
#   CC=cc          compiler

set -u
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
OUT=$BUILD/loop-kqueue
CC=${CC:-cc}
mkdir -p "$OUT" || exit 1

WARN="-std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
-Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter"
SRCS=(src/loop.c src/loop_kqueue.c test/unit.c test/loop_kqueue_check.c)
EXTRA=()
SAN=()
case $(uname -s) in
Darwin | *BSD | DragonFly) native=1 ;;
*) native=0 ;;
esac
if [[ $native == 1 ]]; then
	what="the system's kqueue"
elif [[ -f /usr/include/kqueue/sys/event.h ]]; then
	what="libkqueue"
	EXTRA=(-I/usr/include/kqueue -lkqueue -lpthread)
else
	what="test/kqueue-double (emulation over poll)"
	EXTRA=(-Itest/kqueue-double)
	SRCS+=(test/kqueue-double/kqueue_double.c)
fi
if [[ $(uname -s) == Linux ]]; then
	# shellcheck disable=SC2054 # the commas belong to one option
	SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer
		-fno-sanitize-recover=all)
fi
echo "loop_kqueue: building against $what"
# shellcheck disable=SC2086
if ! "$CC" $WARN -D_GNU_SOURCE -O1 -g "${SAN[@]}" -Isrc -Itest \
	-o "$OUT/loop_kqueue_check" "${SRCS[@]}" "${EXTRA[@]}"; then
	echo "loop_kqueue: 0 passed, 1 failed"
	exit 1
fi
if command -v timeout >/dev/null 2>&1; then
	timeout 120 "$OUT/loop_kqueue_check"
else
	"$OUT/loop_kqueue_check"
fi
