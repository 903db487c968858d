# socket_vmnet: build, test and install.
#   make            build socket_vmnet and socket_vmnet_client
#   make check      build and run every test (unit, integration, QEMU smoke)
#   make sanitize   build and run the unit and integration tests with ASan+UBSan

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)
PREFIX  ?= /opt/socket_vmnet
CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
	   -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -D_GNU_SOURCE -DVERSION='"$(VERSION)"' -Isrc
ALL_CFLAGS = -std=c11 $(WARN) $(CFLAGS) $(CPPFLAGS)
DEPFLAGS = -MMD -MP
BUILD   ?= build
BINDIR  ?= .
UNAME_S := $(shell uname -s)

# Platform backends are chosen here, never with #ifdef in the core.
ALL_PLATFORM_SRCS := src/loop_epoll.c src/tap.c src/nat.c src/loop_kqueue.c src/vmnet.c
ifeq ($(UNAME_S),Linux)
PLATFORM_SRCS := src/loop_epoll.c src/tap.c src/nat.c
else
PLATFORM_SRCS := src/loop_kqueue.c src/vmnet.c
endif

# Everything in src/ except the two programs and the other platform's files.
PROGRAM_SRCS := src/main.c src/client.c
ifeq ($(UNAME_S),Darwin)
# vmnet.c: vmnet.framework (xpc and dispatch are in libSystem)
LDLIBS += -framework vmnet
endif

OTHER_PLATFORM := $(filter-out $(PLATFORM_SRCS),$(ALL_PLATFORM_SRCS))
LIB_SRCS := $(filter-out $(PROGRAM_SRCS) $(OTHER_PLATFORM),$(wildcard src/*.c))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/%.o)

UNIT_SRCS := $(wildcard test/test_*.c)
UNIT_BINS := $(UNIT_SRCS:test/%.c=$(BUILD)/%)

all: $(BINDIR)/socket_vmnet $(BINDIR)/socket_vmnet_client

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -c -o $@ $<

$(BUILD)/test_%.o: test/test_%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itest -c -o $@ $<

$(BUILD)/unit.o: test/unit.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) $(DEPFLAGS) -Itest -c -o $@ $<

$(BUILD)/libsvmnet.a: $(LIB_OBJS)
	$(AR) rcs $@ $^

$(BINDIR)/socket_vmnet: $(BUILD)/main.o $(BUILD)/libsvmnet.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BINDIR)/socket_vmnet_client: $(BUILD)/client.o $(BUILD)/libsvmnet.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/test_%: $(BUILD)/test_%.o $(BUILD)/unit.o $(BUILD)/libsvmnet.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD):
	mkdir -p $(BUILD)

unit: $(UNIT_BINS)

check: all unit
	BUILD=$(BUILD) test/run-tests

# Sanitizer pass: a separate build tree (binaries included), the unit tests
# and the integration tests against the instrumented daemon.
SAN_FLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	    -fno-sanitize-recover=all
sanitize:
	$(MAKE) BUILD=build-san BINDIR=build-san CFLAGS="$(SAN_FLAGS)" \
		LDFLAGS="-fsanitize=address,undefined" all unit
	BUILD=build-san SKIP_QEMU=1 SOCKET_VMNET=build-san/socket_vmnet \
		SOCKET_VMNET_CLIENT=build-san/socket_vmnet_client test/run-tests

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
demo: all
	test/guest/demo.sh

e2e: all
	SOCKET_VMNET=$(BINDIR)/socket_vmnet \
		SOCKET_VMNET_CLIENT=$(BINDIR)/socket_vmnet_client \
		python3 test/guest/e2e.py

format:
	clang-format -i src/*.c src/*.h test/*.c test/*.h

format-check:
	clang-format --dry-run --Werror src/*.c src/*.h test/*.c test/*.h

install.bin: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 socket_vmnet socket_vmnet_client $(DESTDIR)$(PREFIX)/bin/

install.doc:
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 docs/socket_vmnet.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 docs/socket_vmnet_client.1 $(DESTDIR)$(PREFIX)/share/man/man1/

LAUNCHD_DIR   ?= /Library/LaunchDaemons
LAUNCHD_LABEL := io.github.socket-vmnet
LAUNCHD_PLIST := $(LAUNCHD_DIR)/$(LAUNCHD_LABEL).plist

install.launchd:
	@[ "$(UNAME_S)" = Darwin ] || { echo "install.launchd: macOS only" >&2; exit 1; }
	install -d -m 0755 $(DESTDIR)$(PREFIX)/share/doc/socket_vmnet/launchd
	install -m 0644 launchd/*.plist $(DESTDIR)$(PREFIX)/share/doc/socket_vmnet/launchd/
	install -m 0644 etc_sudoers.d/socket_vmnet docs/MACOS.md $(DESTDIR)$(PREFIX)/share/doc/socket_vmnet/
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

ifeq ($(UNAME_S),Darwin)
install: install.bin install.doc install.launchd
uninstall: uninstall.launchd
else
install: install.bin install.doc
endif

uninstall.bin:
	rm -f $(DESTDIR)$(PREFIX)/bin/socket_vmnet $(DESTDIR)$(PREFIX)/bin/socket_vmnet_client

uninstall.doc:
	rm -f $(DESTDIR)$(PREFIX)/share/man/man8/socket_vmnet.8 $(DESTDIR)$(PREFIX)/share/man/man1/socket_vmnet_client.1

uninstall: uninstall.bin uninstall.doc

clean:
	rm -rf build build-san socket_vmnet socket_vmnet_client

.PHONY: all unit check sanitize bench bench-smoke demo e2e format format-check install install.bin install.doc \
	install.launchd uninstall uninstall.bin uninstall.doc uninstall.launchd clean

-include $(wildcard $(BUILD)/*.d)
