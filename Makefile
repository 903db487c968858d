# socket_vmnet: build, test and install.
#   make            build socket_vmnet and socket_vmnet_client (macOS:
#                   ad-hoc signed with macos/socket_vmnet.entitlements)
#   make check      build and run every test (unit, integration, doubles,
#                   and as root the namespace and QEMU suites)
#   make sanitize   the unit and integration tests against an ASan+UBSan build
#   make soak       the ASan+UBSan daemon under churn for SOAK_SECONDS (600)
#   make fuzz       build the libFuzzer harnesses (clang) and run each
#                   FUZZ_SECONDS (60), FUZZ_JOBS (2) at a time
#   make bench      compare with vde_switch, QEMU's hub and a socketpair
#   make macos-syntax  compile every macOS source against a macOS SDK
#                   (MACOS_SDK=DIR; default: xcrun's on a Mac, ../shared/macos-sdk
#                   elsewhere) for arm64 macOS 14 and x86_64 macOS 10.15

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -DVERSION='"$(VERSION)"' -Isrc
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(TARGET_FLAGS) $(CPPFLAGS)
DEPFLAGS = -MMD -MP
BUILD   ?= build
BINDIR  ?= .
UNAME_S := $(shell uname -s)
# /opt/socket_vmnet on macOS (Lima's place); /usr/local on Linux, where
# systemd finds the units (/usr for packages: debian/rules)
PREFIX  ?= $(if $(filter Darwin,$(UNAME_S)),/opt/socket_vmnet,/usr/local)
# Oldest macOS the build runs on (docs/MACOS.md); arm64 starts at 11.0
# whatever is asked. Without it clang targets the build machine's release.
MACOS_MIN ?= 10.15

# --- libslirp (the user-mode NAT, src/usernat.c, on every platform) -------------
# pkg-config slirp when it answers (Debian's slirp.pc also needs glib's .pc
# from libglib2.0-dev), otherwise the usual header directories and -lslirp.
SLIRP_CFLAGS ?= $(shell pkg-config --cflags-only-I slirp 2>/dev/null)
ifeq ($(strip $(SLIRP_CFLAGS)),)
SLIRP_CFLAGS := $(firstword $(foreach d,/usr/include/slirp \
		/usr/local/include/slirp /opt/homebrew/include/slirp,\
		$(if $(wildcard $(d)/libslirp.h),-I$(d))))
endif
SLIRP_LIBS ?= $(shell pkg-config --libs slirp 2>/dev/null || echo -lslirp)
CPPFLAGS += $(SLIRP_CFLAGS)

# --- sources -------------------------------------------------------------------
# Platform backends are chosen here, never with #ifdef in the core.
LINUX_ONLY_SRCS := src/loop_epoll.c src/tap.c src/nat.c src/sandbox_seccomp.c
MACOS_ONLY_SRCS := src/loop_kqueue.c src/vmnet.c src/vmnet_net.c src/sandbox_none.c
PROGRAM_SRCS    := src/main.c src/client.c src/vmnetctl.c
CORE_SRCS := $(filter-out $(LINUX_ONLY_SRCS) $(MACOS_ONLY_SRCS) $(PROGRAM_SRCS),\
	       $(wildcard src/*.c))
# Everything the macOS build compiles (also what `make macos-syntax` checks).
MACOS_SRCS := $(CORE_SRCS) $(MACOS_ONLY_SRCS) $(PROGRAM_SRCS)

# macOS: socket_vmnet and socket_vmnet_client are signed once linked, ad
# hoc (CODESIGN_ID=-) unless given a certificate, with the entitlements
# that let macOS 26 start vmnet without root (docs/MACOS.md).
ENTITLEMENTS := macos/socket_vmnet.entitlements
CODESIGN     ?= codesign
CODESIGN_ID  ?= -

ifeq ($(UNAME_S),Darwin)
PLATFORM_SRCS := $(MACOS_ONLY_SRCS)
TARGET_FLAGS := -mmacosx-version-min=$(MACOS_MIN)
# vmnet.c: vmnet.framework (xpc and dispatch are in libSystem)
LDLIBS += -framework vmnet
SIGNED_DEPS := $(ENTITLEMENTS)
SIGN = $(CODESIGN) --force --sign $(CODESIGN_ID) --entitlements $(ENTITLEMENTS) $@
else
PLATFORM_SRCS := $(LINUX_ONLY_SRCS)
TARGET_FLAGS :=
SIGNED_DEPS :=
SIGN = @:
endif

LIB_SRCS := $(CORE_SRCS) $(PLATFORM_SRCS)
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/%.o)

UNIT_SRCS := $(wildcard test/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:test/unit/%.c=$(BUILD)/%)

all: $(BINDIR)/socket_vmnet $(BINDIR)/socket_vmnet_client $(BINDIR)/socket_vmnetctl

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/usernat.o: src/usernat.c | $(BUILD)
	@$(if $(SLIRP_CFLAGS),:,echo "usernat.c needs libslirp 4.7 or later" \
		"(Debian: apt-get install libslirp-dev; macOS: brew install" \
		"libslirp pkg-config)" >&2; exit 1)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

# The names of the system calls, for the sandbox's SIGSYS message
# (src/sandbox_seccomp.c), from the compiler's own kernel headers.
SYSCALL_NAMES = printf '\043include <sys/syscall.h>\n' | $(CC) -dM -E - | \
	sed -n 's/^\#define __NR_\([a-z0-9_]*\) .*/SANDBOX_NAME(\1)/p' | sort -u
CPPFLAGS += -I$(BUILD)/gen
$(BUILD)/gen/syscall_names.h:
	@mkdir -p $(@D)
	$(SYSCALL_NAMES) > $@.tmp && mv $@.tmp $@
$(BUILD)/sandbox_seccomp.o: $(BUILD)/gen/syscall_names.h

$(BUILD)/test_%.o: test/unit/test_%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itest/unit -c -o $@ $<

$(BUILD)/unit.o: test/unit/unit.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itest/unit -c -o $@ $<

$(BUILD)/libsvmnet.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BINDIR)/socket_vmnet: $(BUILD)/main.o $(BUILD)/libsvmnet.a $(SIGNED_DEPS)
	$(CC) $(CFLAGS) $(TARGET_FLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS) $(SLIRP_LIBS)
	$(SIGN)

$(BINDIR)/socket_vmnet_client: $(BUILD)/client.o $(BUILD)/libsvmnet.a $(SIGNED_DEPS)
	$(CC) $(CFLAGS) $(TARGET_FLAGS) $(LDFLAGS) -o $@ $(filter %.o %.a,$^) $(LDLIBS)
	$(SIGN)

$(BINDIR)/socket_vmnetctl: $(BUILD)/vmnetctl.o $(BUILD)/libsvmnet.a
	$(CC) $(CFLAGS) $(TARGET_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/test_%: $(BUILD)/test_%.o $(BUILD)/unit.o $(BUILD)/libsvmnet.a
	$(CC) $(CFLAGS) $(TARGET_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SLIRP_LIBS)

$(BUILD):
	mkdir -p $(BUILD)

unit: $(UNIT_BINS)

# --- test drivers and doubles ----------------------------------------------------
# A small program the namespace suite uses to open the host side alone.
$(BUILD)/uplink_driver: test/sh/uplink_driver.c $(BUILD)/libsvmnet.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LDLIBS) $(SLIRP_LIBS)

# The daemon with the sandbox's test hook (SIGUSR2 makes the switch make a
# forbidden system call), for test/py/sandbox.py; never installed.
$(BUILD)/main_hook.o: src/main.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -DSANDBOX_TEST_HOOK -c -o $@ $<

$(BUILD)/socket_vmnet_hook: $(BUILD)/main_hook.o $(BUILD)/libsvmnet.a
	$(CC) $(CFLAGS) $(TARGET_FLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(SLIRP_LIBS)

drivers: $(BUILD)/uplink_driver $(BUILD)/socket_vmnet_hook

# The macOS backends built on Linux against test doubles (test/doubles):
# vmnet.framework, xpc and dispatch as a shared library (once as macOS 15,
# once as an older macOS without the newer keys, once as macOS 26 with the
# network-configuration API), kqueue emulated over
# poll(). Needs clang with -fblocks and a blocks runtime.
DBL       := $(BUILD)/doubles
DBL_CC    ?= clang
SAN_RT    := -fsanitize=address,undefined -fno-omit-frame-pointer \
	     -fno-sanitize-recover=all
DBL_FLAGS := -std=c11 $(WARN) -D_GNU_SOURCE -DVERSION='"double"' -O1 -g \
	     -fblocks -Isrc -Itest/unit -Itest/doubles/vmnet -DVMNET_NET_SDK_CHECK \
	     $(SLIRP_CFLAGS)
DBL_LIBS  := -lBlocksRuntime -lpthread $(SLIRP_LIBS)
VMNET_DOUBLE_SRCS := test/doubles/vmnet/vmnet_double.c \
		     test/doubles/vmnet/xpc_dispatch_double.c
KQUEUE_DOUBLE_SRCS := test/doubles/kqueue/kqueue_double.c
# vmnet_check: the daemon's library as on macOS, but with the epoll loop
VMNET_CHECK_SRCS := $(CORE_SRCS) src/vmnet.c src/vmnet_net.c src/loop_epoll.c \
		    src/sandbox_none.c
# the whole daemon as on macOS, over the kqueue double
MACOS_DAEMON_SRCS := $(CORE_SRCS) $(MACOS_ONLY_SRCS) src/main.c

$(DBL)/libvmnet_double.so: $(VMNET_DOUBLE_SRCS) test/doubles/vmnet/vmnet/vmnet.h
	@mkdir -p $(@D)
	$(DBL_CC) $(DBL_FLAGS) -fPIC -shared -Wl,-soname,libvmnet_double.so \
		-o $@ $(VMNET_DOUBLE_SRCS) $(DBL_LIBS)

$(DBL)/old/libvmnet_double.so: $(VMNET_DOUBLE_SRCS) test/doubles/vmnet/vmnet/vmnet.h
	@mkdir -p $(@D)
	$(DBL_CC) $(DBL_FLAGS) -DVMNET_DOUBLE_OLD -fPIC -shared \
		-Wl,-soname,libvmnet_double.so -o $@ $(VMNET_DOUBLE_SRCS) $(DBL_LIBS)

$(DBL)/v26/libvmnet_double.so: $(VMNET_DOUBLE_SRCS) test/doubles/vmnet/vmnet/vmnet.h
	@mkdir -p $(@D)
	$(DBL_CC) $(DBL_FLAGS) -DVMNET_DOUBLE_26 -fPIC -shared \
		-Wl,-soname,libvmnet_double.so -o $@ $(VMNET_DOUBLE_SRCS) $(DBL_LIBS)

$(DBL)/vmnet_check: $(VMNET_CHECK_SRCS) test/doubles/vmnet_check.c \
		test/unit/unit.c $(DBL)/libvmnet_double.so
	$(DBL_CC) $(DBL_FLAGS) $(SAN_RT) -o $@ $(VMNET_CHECK_SRCS) \
		test/unit/unit.c test/doubles/vmnet_check.c \
		-L$(DBL) -lvmnet_double $(DBL_LIBS)

$(DBL)/socket_vmnet: $(MACOS_DAEMON_SRCS) $(KQUEUE_DOUBLE_SRCS) \
		$(DBL)/libvmnet_double.so
	$(DBL_CC) $(DBL_FLAGS) $(SAN_RT) -Itest/doubles/kqueue -o $@ \
		$(MACOS_DAEMON_SRCS) $(KQUEUE_DOUBLE_SRCS) \
		-L$(DBL) -lvmnet_double $(DBL_LIBS)

# Batched datagram I/O (compat.c) as on macOS: on Linux over the
# recvmsg_x()/sendmsg_x() double (COMPAT_MSG_X=1), and the datagram unit
# tests again over it with every send partial (MSGX_DOUBLE_PARTIAL); on
# macOS against the real calls.
MSGX_FLAGS := -DCOMPAT_MSG_X=1 -DMSGX_DOUBLE -Itest/doubles/msgx
MSGX_DBL   := test/doubles/msgx/msgx_double.c
# the core without a host side (no uplink backend is linked)
MSGX_SRCS  := $(filter-out src/host.c src/uplink.c src/usernat.c src/monitor.c \
		src/priv.c,$(CORE_SRCS))
ifeq ($(UNAME_S),Darwin)
$(DBL)/msgx_check: $(MSGX_SRCS) src/loop_kqueue.c test/doubles/msgx_check.c \
		test/unit/unit.c
	@mkdir -p $(@D)
	$(CC) -std=c11 $(WARN) $(TARGET_FLAGS) -D_GNU_SOURCE -DVERSION='"double"' \
		-O1 -g -Isrc -Itest/unit -o $@ $^ -lpthread
else
$(DBL)/msgx_check: $(MSGX_SRCS) src/loop_epoll.c test/doubles/msgx_check.c \
		test/unit/unit.c $(MSGX_DBL) test/doubles/msgx/msgx_double.h
	@mkdir -p $(@D)
	$(DBL_CC) $(DBL_FLAGS) $(SAN_RT) $(MSGX_FLAGS) -o $@ \
		$(filter %.c,$^) -lpthread
endif

$(DBL)/test_dgram_msgx: $(MSGX_SRCS) src/loop_epoll.c test/unit/test_dgram.c \
		test/unit/unit.c $(MSGX_DBL) test/doubles/msgx/msgx_double.h
	@mkdir -p $(@D)
	$(DBL_CC) $(DBL_FLAGS) $(SAN_RT) $(MSGX_FLAGS) -o $@ \
		$(filter %.c,$^) -lpthread

# kqueue loop check: the system's kqueue on macOS and the BSDs, the
# emulation elsewhere
ifneq ($(filter Darwin %BSD DragonFly,$(UNAME_S)),)
KQ_CHECK_SRCS := src/loop.c src/loop_kqueue.c test/unit/unit.c \
		 test/doubles/loop_kqueue_check.c
KQ_CHECK_FLAGS := -std=c11 $(WARN) $(TARGET_FLAGS) -D_GNU_SOURCE -O1 -g -Isrc \
		  -Itest/unit
else
KQ_CHECK_SRCS := src/loop.c src/loop_kqueue.c test/unit/unit.c \
		 test/doubles/loop_kqueue_check.c $(KQUEUE_DOUBLE_SRCS)
KQ_CHECK_FLAGS := -std=c11 $(WARN) -D_GNU_SOURCE -O1 -g $(SAN_RT) -Isrc \
		  -Itest/unit -Itest/doubles/kqueue
endif
$(DBL)/loop_kqueue_check: $(KQ_CHECK_SRCS)
	@mkdir -p $(@D)
	$(CC) $(KQ_CHECK_FLAGS) -o $@ $(KQ_CHECK_SRCS)

ifeq ($(UNAME_S),Linux)
doubles: $(DBL)/libvmnet_double.so $(DBL)/old/libvmnet_double.so \
	 $(DBL)/v26/libvmnet_double.so $(DBL)/vmnet_check $(DBL)/socket_vmnet $(DBL)/loop_kqueue_check \
	 $(DBL)/msgx_check $(DBL)/test_dgram_msgx
else
doubles: $(DBL)/loop_kqueue_check $(DBL)/msgx_check
endif

# --- compile check of the macOS build ----------------------------------------------
# Every source the macOS build compiles (MACOS_SRCS), with its flags and
# -Werror, against a macOS SDK: for the newest runners (arm64, macOS 14) and
# for the oldest release the build targets (x86_64, MACOS_MIN), where a call
# or key newer than MACOS_MIN outside an availability check is an error.
# Syntax only: nothing is linked, nothing runs (docs/MACOS.md).
ifeq ($(UNAME_S),Darwin)
MACOS_SDK ?= $(shell xcrun --show-sdk-path 2>/dev/null)
else
MACOS_SDK ?= $(abspath ../shared/macos-sdk)
endif
MACOS_SYNTAX_CC ?= clang
MACOS_SYNTAX_TARGETS := arm64-apple-macos14 x86_64-apple-macos$(MACOS_MIN)
# An SDK that declares the macOS 26 vmnet calls also checks vmnet_net.c's
# types of them (VMNET_NET_SDK_CHECK).
MACOS_SDK_NET = $(shell grep -qs vmnet_network_create \
		  "$(MACOS_SDK)/System/Library/Frameworks/vmnet.framework/Headers/vmnet.h" \
		  && echo -DVMNET_NET_SDK_CHECK)
MACOS_SYNTAX_FLAGS = -std=c11 $(WARN) -Wunguarded-availability \
		     -Werror=unguarded-availability-new $(CFLAGS) $(CPPFLAGS) \
		     $(MACOS_SDK_NET)

# libslirp's headers are not in the SDK: SLIRP_CFLAGS points -I at the ones
# this machine has (libslirp.h needs only POSIX headers, which come from the
# SDK); with none, usernat.c is left out of the check and it says so.
MACOS_SYNTAX_SRCS = $(if $(SLIRP_CFLAGS),$(MACOS_SRCS),\
		    $(filter-out src/usernat.c,$(MACOS_SRCS)))

macos-syntax:
	@$(if $(SLIRP_CFLAGS),:,echo "macos-syntax: no libslirp headers here:" \
		"src/usernat.c left out")
	@if [ -z "$(MACOS_SDK)" ] || [ ! -d "$(MACOS_SDK)/usr/include" ]; then \
		echo "macos-syntax: no macOS SDK at '$(MACOS_SDK)': pass" \
		     "MACOS_SDK=DIR (a macOS sysroot; on a Mac" \
		     "xcrun --show-sdk-path), or SKIP_MACOS_SYNTAX=1 to" \
		     "leave it out of make check" >&2; \
		exit 1; \
	fi
	@rc=0; for t in $(MACOS_SYNTAX_TARGETS); do \
		echo "macos-syntax: $$t, $(words $(MACOS_SYNTAX_SRCS)) sources, SDK $(MACOS_SDK)"; \
		$(MACOS_SYNTAX_CC) -target $$t -isysroot "$(MACOS_SDK)" \
			$(MACOS_SYNTAX_FLAGS) -fsyntax-only $(MACOS_SYNTAX_SRCS) || rc=1; \
	done; \
	if [ $$rc -ne 0 ]; then echo "macos-syntax: FAILED" >&2; exit 1; fi; \
	echo "macos-syntax: ok"

# make check runs it wherever clang and an SDK are; otherwise it names it
# among what it left out (SKIP_MACOS_SYNTAX=1 leaves it out too).
HAVE_SYNTAX_CC := $(if $(SKIP_MACOS_SYNTAX),,$(shell command -v $(MACOS_SYNTAX_CC) 2>/dev/null))
HAVE_SYNTAX := $(if $(HAVE_SYNTAX_CC),$(wildcard $(MACOS_SDK)/usr/include))
SYNTAX_LEFT_OUT := $(if $(HAVE_SYNTAX),,macos-syntax: $(if $(SKIP_MACOS_SYNTAX),SKIP_MACOS_SYNTAX=1,$(if $(HAVE_SYNTAX_CC),no macOS SDK at $(MACOS_SDK) (MACOS_SDK=DIR),no $(MACOS_SYNTAX_CC))))

# --- packages ----------------------------------------------------------------------
# make check and make demo first install the Debian packages they need
# (scripts/deps; the list: scripts/packages): as root with apt-get, else
# they print the command and stop. As root make check needs the root suites'
# packages too. SKIP_DEPS=1 leaves the check out.
DEPS_CHECK := check $(if $(filter 0,$(shell id -u)),check-root)
deps.check deps.demo:
	$(if $(filter Linux,$(UNAME_S)),scripts/deps $(if $(filter deps.demo,$@),build demo,build $(DEPS_CHECK)))

# --- test runs ---------------------------------------------------------------------
# After the packages, a new make: it sees the tools they brought.
check: deps.check
	$(MAKE) check.run

check.run: all unit drivers doubles $(if $(HAVE_SYNTAX),macos-syntax)
	BUILD=$(BUILD) LEFT_OUT="$(SYNTAX_LEFT_OUT)" test/run-tests

# Sanitizer pass: a separate build tree (binaries included), the unit tests,
# the integration and activation tests against the instrumented daemon.
SAN_FLAGS = -O1 -g $(SAN_RT)
sanitize:
	$(MAKE) BUILD=build-san BINDIR=build-san CFLAGS="$(SAN_FLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" all unit
	BUILD=build-san SUITES="unit integration activation" \
		SOCKET_VMNET=build-san/socket_vmnet \
		SOCKET_VMNET_CLIENT=build-san/socket_vmnet_client test/run-tests

# Fuzzing: the libFuzzer harnesses of test/fuzz (clang), in a build tree
# of their own: the code under test with coverage and ASan+UBSan, each
# harness linked with libFuzzer. `make fuzz` builds them and runs each for
# FUZZ_SECONDS on a copy of its seed corpus (test/fuzz/corpus/NAME),
# FUZZ_JOBS at a time, and fails on any crash, leak, sanitizer report or
# timeout; `make fuzz-build` only builds. A harness NAME is
# test/fuzz/fuzz_NAME.c linked with FUZZ_SRCS_NAME: the one list of both.
FUZZ_BUILD   := build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_JOBS    ?= 2
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS  := -std=c11 $(WARN) -D_GNU_SOURCE -DVERSION='"fuzz"' -Isrc $(SLIRP_CFLAGS) \
		-g -O1 -fno-omit-frame-pointer $(FUZZ_SAN) \
		-fsanitize=fuzzer-no-link $(SLIRP_CFLAGS)
FUZZ_BASE    := src/pkt.c src/addr.c src/err.c src/log.c src/sandbox_seccomp.c
FUZZ_PORTS   := src/port.c src/switch.c src/fdb.c src/guard.c src/dhcpmsg.c \
		src/exhaust.c src/activate.c \
		src/queue.c src/sock.c src/loop.c src/compat.c \
		$(filter src/loop_%.c,$(PLATFORM_SRCS)) $(FUZZ_BASE)
FUZZ_FILES   := src/dhcp_file.c src/dhcp_pool.c src/file.c $(FUZZ_BASE)
FUZZ_DHCP    := src/dhcp.c src/dhcpmsg.c $(FUZZ_FILES)

FUZZ_HARNESSES      := stream dgram guard dhcp gw nd leasefile bootptab conf ctl
FUZZ_SRCS_stream    := src/stream.c $(FUZZ_PORTS)
FUZZ_SRCS_dgram     := src/dgram.c $(FUZZ_PORTS)
FUZZ_SRCS_guard     := src/guard.c src/dhcpmsg.c $(FUZZ_BASE)
FUZZ_SRCS_dhcp      := $(FUZZ_DHCP)
FUZZ_SRCS_gw        := src/gw.c src/arp.c src/icmp.c src/ndp.c src/ra.c src/net.c \
		       $(FUZZ_DHCP)
FUZZ_SRCS_nd        := src/gw.c src/arp.c src/icmp.c src/ndp.c src/ra.c src/net.c \
		       src/guard.c $(FUZZ_DHCP)
FUZZ_SRCS_leasefile := $(FUZZ_FILES)
FUZZ_SRCS_bootptab  := $(FUZZ_FILES)
FUZZ_SRCS_conf      := src/conf.c src/fwd.c src/net.c src/guard.c src/dhcpmsg.c $(FUZZ_BASE)
# the request parser links with the whole library (ctl.c calls into it)
FUZZ_SRCS_ctl       := $(LIB_SRCS)

FUZZ_BINS := $(FUZZ_HARNESSES:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -I$(FUZZ_BUILD)/gen -c -o $@ $<
$(FUZZ_BUILD)/obj/sandbox_seccomp.o: $(FUZZ_BUILD)/gen/syscall_names.h
$(FUZZ_BUILD)/gen/syscall_names.h:
	@mkdir -p $(@D)
	$(SYSCALL_NAMES) > $@.tmp && mv $@.tmp $@

$(FUZZ_BUILD)/harness/%.o: test/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -Itest/fuzz -c -o $@ $<

# fuzz_NAME: its harness and the objects of FUZZ_SRCS_NAME
define FUZZ_LINK
$(FUZZ_BUILD)/fuzz_$(1): $(FUZZ_BUILD)/harness/fuzz_$(1).o \
		$(patsubst src/%.c,$(FUZZ_BUILD)/obj/%.o,$(sort $(FUZZ_SRCS_$(1))))
	$$(FUZZ_CC) -g $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ -lpthread \
		$(if $(filter src/usernat.c,$(FUZZ_SRCS_$(1))),$$(SLIRP_LIBS))
endef
$(foreach h,$(FUZZ_HARNESSES),$(eval $(call FUZZ_LINK,$(h))))

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) \
		test/fuzz/run $(FUZZ_BUILD) $(FUZZ_HARNESSES)

# Soak run (test/py/soak.py): the ASan+UBSan daemon of build-san/ under
# every kind of churn for SOAK_SECONDS (default 600; CI runs 120), checked
# for lost frames, descriptor and memory growth and sanitizer reports.
SOAK_SECONDS ?= 600
soak:
	$(MAKE) BUILD=build-san BINDIR=build-san CFLAGS="$(SAN_FLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" all
	SOAK_SECONDS=$(SOAK_SECONDS) SOCKET_VMNET=build-san/socket_vmnet \
		python3 test/py/soak.py

# Benchmarks against vde_switch, QEMU's hub and a bare socketpair
# (docs/PERFORMANCE.md): make bench (about 9 min; root for the end-to-end
# part), make bench-smoke (every case once, seconds; run by CI).
VDEPLUG := $(if $(wildcard /usr/include/libvdeplug.h),1)
$(BUILD)/bench-gen: bench/gen.c | $(BUILD)
	$(CC) -O2 -g -Wall -Wextra -std=gnu11 $(if $(VDEPLUG),-DHAVE_VDEPLUG) \
		-o $@ $< $(if $(VDEPLUG),-lvdeplug)

bench: $(BINDIR)/socket_vmnet $(BUILD)/bench-gen
	BUILD=$(BUILD) bench/run

bench-smoke: $(BINDIR)/socket_vmnet $(BUILD)/bench-gen
	BUILD=$(BUILD) bench/run --smoke

# Real guests (QEMU + Debian's cloud kernel, built into .cache/guest on
# first use): make demo shows two guests on one switch, make e2e runs the
# end-to-end suite (root).
demo: deps.demo
	$(MAKE) all
	test/guest/demo.sh

e2e: all
	SOCKET_VMNET=$(BINDIR)/socket_vmnet \
		SOCKET_VMNET_CLIENT=$(BINDIR)/socket_vmnet_client \
		python3 test/py/e2e.py

# --- formatting ------------------------------------------------------------------
FORMAT_FILES = $(wildcard src/*.c src/*.h test/unit/*.c test/unit/*.h \
	       test/fuzz/*.c test/fuzz/*.h test/doubles/*.c test/sh/*.c \
	       test/doubles/msgx/*.c test/doubles/msgx/*.h)

format:
	clang-format -i $(FORMAT_FILES)

format-check:
	clang-format --dry-run --Werror $(FORMAT_FILES)

# --- install -----------------------------------------------------------------------
# macOS: the copies are new files (a signed binary overwritten in place
# can be killed by the kernel's signature cache) and must still carry the
# signature and its entitlements.
install.bin: all
	install -d $(DESTDIR)$(PREFIX)/bin
	@if [ "$(UNAME_S)" = Darwin ]; then cd $(DESTDIR)$(PREFIX)/bin && \
		rm -f socket_vmnet socket_vmnet_client socket_vmnetctl; fi
	install -m 0755 socket_vmnet socket_vmnet_client socket_vmnetctl $(DESTDIR)$(PREFIX)/bin/
	@if [ "$(UNAME_S)" = Darwin ]; then \
		for f in socket_vmnet socket_vmnet_client; do \
			b=$(DESTDIR)$(PREFIX)/bin/$$f; \
			$(CODESIGN) --verify --strict "$$b" && \
			$(CODESIGN) -d --entitlements - "$$b" 2>/dev/null | \
				grep -q com.apple.security.virtualization || \
				{ echo "install: $$b lost its signature or" \
				       "entitlements" >&2; exit 1; }; \
		done; \
	fi

install.doc:
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 docs/socket_vmnet.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 docs/socket_vmnet_client.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 docs/socket_vmnetctl.1 $(DESTDIR)$(PREFIX)/share/man/man1/

LAUNCHD_DIR   ?= /Library/LaunchDaemons
LAUNCHD_LABEL := io.github.socket-vmnet
LAUNCHD_PLIST := $(LAUNCHD_DIR)/$(LAUNCHD_LABEL).plist

install.launchd:
	@[ "$(UNAME_S)" = Darwin ] || { echo "install.launchd: macOS only" >&2; exit 1; }
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/doc/socket_vmnet/launchd
	install -m 0644 launchd/*.plist $(DESTDIR)$(PREFIX)/share/doc/socket_vmnet/launchd/
	install -m 0644 etc/sudoers.d/socket_vmnet docs/MACOS.md $(DESTDIR)$(PREFIX)/share/doc/socket_vmnet/
	install -d -m 0755 $(DESTDIR)/var/log/socket_vmnet $(DESTDIR)$(LAUNCHD_DIR)
	sed -e 's@/opt/socket_vmnet@$(PREFIX)@g' launchd/$(LAUNCHD_LABEL).plist \
		> $(DESTDIR)$(LAUNCHD_PLIST)
	chmod 0644 $(DESTDIR)$(LAUNCHD_PLIST)
	if [ -z "$(DESTDIR)" ]; then \
		launchctl bootout system $(LAUNCHD_PLIST) 2>/dev/null || true; \
		launchctl bootstrap system $(LAUNCHD_PLIST) && \
		launchctl enable system/$(LAUNCHD_LABEL) && \
		launchctl kickstart -kp system/$(LAUNCHD_LABEL); \
	fi

uninstall.launchd:
	@[ "$(UNAME_S)" = Darwin ] || { echo "uninstall.launchd: macOS only" >&2; exit 1; }
	if [ -z "$(DESTDIR)" ]; then \
		launchctl bootout system $(LAUNCHD_PLIST) 2>/dev/null || true; \
	fi
	rm -f $(DESTDIR)$(LAUNCHD_PLIST)
	rm -rf $(DESTDIR)$(PREFIX)/share/doc/socket_vmnet
	rmdir $(DESTDIR)/var/log/socket_vmnet 2>/dev/null || true

# systemd (Linux): the units, with the binary's path and the sandbox
# (systemd/sandbox.conf) filled in, and the socket_vmnet user and group
# (sysusers.d). Under /usr or /usr/local they go where systemd looks for
# that prefix, for any other prefix under /etc. Without DESTDIR, as root,
# install makes the user and group, uninstall stops the units and removes
# them (not if the socket-vmnet package is installed).
SYSTEMD_UNITS  := socket_vmnet.service socket_vmnet.socket \
		  socket_vmnet@.service socket_vmnet@.socket
SYSTEMD_LIB    := $(if $(filter /usr /usr/local,$(PREFIX)),$(PREFIX)/lib,/etc)
UNITDIR        ?= $(if $(filter /usr /usr/local,$(PREFIX)),$(PREFIX)/lib/systemd,/etc/systemd)/system
SYSUSERSDIR    ?= $(SYSTEMD_LIB)/sysusers.d
DOCDIR         ?= $(PREFIX)/share/doc/socket_vmnet
SYSTEMD_FILTER  = sed -e 's|@BINDIR@|$(PREFIX)/bin|g' \
		  -e '/@SANDBOX@/{r systemd/sandbox.conf' -e 'd;}'
SYSTEMD_LIVE    = [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && [ -d /run/systemd/system ]

install.systemd:
	@[ "$(UNAME_S)" = Linux ] || { echo "install.systemd: Linux only" >&2; exit 1; }
	install -d $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(DOCDIR)/examples
	for u in $(SYSTEMD_UNITS); do \
		$(SYSTEMD_FILTER) systemd/$$u > $(DESTDIR)$(UNITDIR)/$$u && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	install -m 0644 systemd/socket_vmnet.sysusers $(DESTDIR)$(SYSUSERSDIR)/socket_vmnet.conf
	$(SYSTEMD_FILTER) systemd/isolated.conf > $(DESTDIR)$(DOCDIR)/examples/isolated.conf
	install -m 0644 systemd/example.conf $(DESTDIR)$(DOCDIR)/examples/NAME.conf
	chmod 0644 $(DESTDIR)$(DOCDIR)/examples/isolated.conf
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ]; then \
		systemd-sysusers $(SYSUSERSDIR)/socket_vmnet.conf 2>/dev/null || \
		getent passwd socket_vmnet >/dev/null || \
		useradd --system --user-group --home-dir /nonexistent \
			--shell /usr/sbin/nologin socket_vmnet; \
	fi
	if $(SYSTEMD_LIVE); then systemctl daemon-reload; fi

uninstall.systemd:
	if $(SYSTEMD_LIVE); then \
		systemctl stop 'socket_vmnet@*.socket' 'socket_vmnet@*.service' \
			socket_vmnet.socket socket_vmnet.service; \
		systemctl disable $(SYSTEMD_UNITS); true; \
	fi
	rm -f $(addprefix $(DESTDIR)$(UNITDIR)/,$(SYSTEMD_UNITS))
	rm -f $(DESTDIR)$(SYSUSERSDIR)/socket_vmnet.conf
	rm -rf $(DESTDIR)$(DOCDIR)
	# the directories install made, if nothing else uses them
	rmdir $(DESTDIR)$(UNITDIR) $(dir $(DESTDIR)$(UNITDIR)) \
		$(DESTDIR)$(SYSUSERSDIR) 2>/dev/null || true
	if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && \
	   ! dpkg-query -W socket-vmnet >/dev/null 2>&1 && \
	   getent passwd socket_vmnet >/dev/null; then \
		userdel socket_vmnet; \
		! getent group socket_vmnet >/dev/null || groupdel socket_vmnet; \
	fi
	if $(SYSTEMD_LIVE); then systemctl daemon-reload; fi

ifeq ($(UNAME_S),Darwin)
install: install.bin install.doc install.launchd
uninstall: uninstall.launchd
else
install: install.bin install.doc install.systemd
uninstall: uninstall.systemd
endif

uninstall.bin:
	rm -f $(DESTDIR)$(PREFIX)/bin/socket_vmnet $(DESTDIR)$(PREFIX)/bin/socket_vmnet_client
	rm -f $(DESTDIR)$(PREFIX)/bin/socket_vmnetctl

uninstall.doc:
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/socket_vmnet.8 $(DESTDIR)$(PREFIX)/share/man/man1/socket_vmnet_client.1
	rm -f $(DESTDIR)$(PREFIX)/share/man/man1/socket_vmnetctl.1

# A prefix of our own (/opt/socket_vmnet) goes once it is empty.
uninstall: uninstall.bin uninstall.doc
	case "$(PREFIX)" in */socket_vmnet) [ ! -d $(DESTDIR)$(PREFIX) ] || \
		find $(DESTDIR)$(PREFIX) -depth -type d -empty -delete;; esac

# The package built, linted, installed with apt, checked and purged (CI:
# it changes the system; root).
check-deb:
	BUILD=$(BUILD) test/sh/deb.sh

# The Debian package, built from a copy of the tree (the files git knows)
# so nothing is written beside it: $(BUILD)/deb/socket-vmnet_*.deb.
deb:
	scripts/deps build deb
	rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src
	git ls-files -co --exclude-standard | tar -cf - -T - | tar -xf - -C $(BUILD)/deb/src
	cd $(BUILD)/deb/src && dpkg-buildpackage -b -us -uc
	ls $(BUILD)/deb/*.deb

clean:
	rm -rf build build-san $(FUZZ_BUILD) socket_vmnet socket_vmnet_client \
		socket_vmnetctl

.PHONY: all unit drivers doubles check check.run deps.check deps.demo \
	macos-syntax sanitize soak fuzz fuzz-build bench bench-smoke demo e2e \
	format format-check install install.bin install.doc install.launchd \
	install.systemd uninstall uninstall.bin uninstall.doc uninstall.launchd \
	uninstall.systemd deb check-deb clean

-include $(wildcard $(BUILD)/*.d $(FUZZ_BUILD)/obj/*.d $(FUZZ_BUILD)/harness/*.d)
