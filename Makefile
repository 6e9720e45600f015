# Factory provisioning station: plain, non-recursive GNU make.
#   make            release build: build/bin/station, build/bin/station-signer, build/bin/firmware-stub
#   make test       unit tests, fuzz-corpus replay, freestanding check, integration tests,
#                   man pages, install, unit, udev rules, package (lintian)
#   make demo       provision simulated boards on the embedded default (SoftHSM2 under var/demo)
#   make asan       the same programs and tests under AddressSanitizer/UBSan (build/asan/)
#   make fuzz       libFuzzer targets under clang (FUZZ_SECONDS per target, default 60)
#   make campaign   the reliability campaign (kills, faults, CPU-timed fuzzing) -> docs/reliability.md
#   make lint       clang-format check and cppcheck
#   make install    PREFIX=/usr/local DESTDIR= (programs, man pages, docs, unit, udev rules)
#   make deb        the Debian package, build/deb/factory-station_<version>_<arch>.deb
#   make port-qemu  the mps2-an386 (Cortex-M4, QEMU) reference port of the device core
# V=1 shows commands. CI=1 turns warnings into errors.

VARIANT ?= release
B       := build/$(VARIANT)
BIN     := $(if $(filter release,$(VARIANT)),build/bin,$(B)/bin)
PREFIX  ?= /usr/local

ifeq ($(V),1)
Q :=
else
Q := @
endif

CC      ?= cc
PKGS    := openssl sqlite3 libserialport libusb-1.0 inih jansson libseccomp ncursesw \
           cairo cairo-ft freetype2 libqrencode libpq
P11INC  := $(shell pkg-config --cflags p11-kit-1 2>/dev/null)
UMOCK   := umockdev-1.0

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wvla -Wno-unused-parameter
ifdef CI
WARN    += -Werror
endif
OPT_release := -O2 -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
LDF_release := -pie -Wl,-z,relro,-z,now -Wl,--as-needed
OPT_asan    := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDF_asan    := -fsanitize=address,undefined
OPT_cover   := -O0 -g --coverage
LDF_cover   := --coverage

CFLAGS_ALL = -std=c11 -g $(WARN) $(OPT_$(VARIANT)) -D_GNU_SOURCE -DDEV_HOST_BUILD -MMD -MP \
             -Ifirmware-stub/core $(addprefix -I,$(SRC_DIRS)) $(P11INC) $(shell pkg-config --cflags $(PKGS))
LIBS     := $(shell pkg-config --libs $(PKGS)) -lpthread -ldl
LDFLAGS_ALL = $(LDF_$(VARIANT))

# The portable device core: C99, no heap, no stdio, freestanding. The host build (station, stub,
# tests) adds DEV_HOST_BUILD, which compiles in dev_factory_reset (P-21: production builds, and
# the freestanding check, do not have it).
CORE_SRC    := $(wildcard firmware-stub/core/*.c)
CORE_CFLAGS := -std=c99 -pedantic -ffreestanding -fno-builtin $(WARN) -Werror
# An EC-only port configuration without onboarding credentials (port-config.h), built by the
# freestanding check too.
CORE_EC_ONLY := -DDEV_CFG_KEY_RSA_2048=0 -DDEV_CFG_MAX_CHAIN=2048 -DDEV_CFG_CRED=0

# Library objects of each component (everything but the program entry points).
# Two programs and what they share (README "Layout"):
#   station/        the board-facing program: cli/ (commands), board/ (transports, link, flow),
#                   cred/ (Wi-Fi and Matter onboarding credentials, the CSPRNG sampler),
#                   signer-client/ (its side of the signer protocol), sandbox/ (privsep, sandbox),
#                   audit/ (the auditor's offline tools), conform/ (`station conform`, and the
#                   protocol's test vectors the codec's unit tests share)
#   station/fleet/  the people-facing fleet commands (status, verify, export; libpq by dlopen, read-only)
#   hsm/            the signer, the only program with the HSM and the record: signer/ (requests,
#                   policy decisions, checkpoints, ceremony), record/ (the audit store), issue/
#                   (certificates and CRLs), pkcs11/, fleet/ (the fleet registry's client, libpq)
#   station/common/ linked by both: the signer-protocol codec, profile, audit-entry format,
#                   Merkle/notes, CSR checks, log and util
STATION_DIRS := station/board station/cred station/line station/signer-client station/sandbox station/audit \
                station/conform station/fleet
HSM_DIRS     := hsm/signer hsm/record hsm/issue hsm/pkcs11 hsm/fleet
SRC_DIRS     := station/cli station/common $(STATION_DIRS) $(HSM_DIRS)
COMMON_LIB  := $(wildcard station/common/*.c)
STATION_LIB := $(wildcard $(addsuffix /*.c,$(STATION_DIRS)))
STATION_CLI := $(wildcard station/cli/*.c)
HSM_LIB     := $(filter-out hsm/signer/signer-main.c,$(wildcard $(addsuffix /*.c,$(HSM_DIRS))))
STUB_SRC    := $(wildcard firmware-stub/host/*.c)

obj = $(patsubst %.c,$(B)/%.o,$(1))

# `station version`: the git revision, written to a header only when it changed, so that only
# cli-version.o is rebuilt. Outside a git checkout (a tarball) it is "unknown"; GIT_REV=... on
# the command line or in the environment wins (make deb passes its own).
GIT_REV ?= $(shell [ -e .git ] && git describe --always --dirty 2>/dev/null || echo unknown)
GEN     := $(B)/gen

LIBCORE    := $(B)/libcore.a
LIBCOMMON  := $(B)/libcommon.a
LIBSTATION := $(B)/libstation.a
LIBHSM     := $(B)/libhsm.a
PROGS      := $(BIN)/station $(BIN)/station-signer $(BIN)/firmware-stub

UNIT_SRC   := $(wildcard tests/unit/test-*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRC))
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz-*.c)
REPLAY_BIN := $(patsubst tests/fuzz/%.c,$(B)/replay/%,$(FUZZ_SRC))

.PHONY: all test unit replay freestanding integration package-test demo demo-fleet bench asan fuzz campaign lint clean install deb deps \
        FORCE
.DEFAULT_GOAL := all
.SECONDARY:

all: $(PROGS)

deps:
	$(Q)scripts/deps.sh

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CFLAGS_ALL) -c $< -o $@

# The core is compiled with its own strict flags (it must stay portable).
$(B)/firmware-stub/core/%.o: firmware-stub/core/%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC core $<")
	$(Q)$(CC) $(CORE_CFLAGS) $(OPT_$(VARIANT)) -DDEV_HOST_BUILD -g -MMD -MP -Ifirmware-stub/core -c $< -o $@

$(B)/lib%.a:
	@mkdir -p $(dir $@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(GEN)/git-rev.h: FORCE
	@mkdir -p $(dir $@)
	@printf '#define STATION_GIT_REV "%s"\n' '$(GIT_REV)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(B)/station/cli/cli-version.o: CFLAGS_ALL += -I$(GEN)
$(B)/station/cli/cli-version.o: $(GEN)/git-rev.h

$(LIBCORE): $(call obj,$(CORE_SRC))
$(LIBCOMMON): $(call obj,$(COMMON_LIB))
$(LIBSTATION): $(call obj,$(STATION_LIB))
$(LIBHSM): $(call obj,$(HSM_LIB))

$(BIN)/station: $(call obj,$(STATION_CLI)) $(LIBSTATION) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(BIN)/station-signer: $(B)/hsm/signer/signer-main.o $(LIBHSM) $(LIBSTATION) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

$(B)/firmware-stub/host/%.o: CFLAGS_ALL += $(shell pkg-config --cflags $(UMOCK))
$(BIN)/firmware-stub: $(call obj,$(STUB_SRC)) $(LIBCORE)
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(shell pkg-config --libs openssl $(UMOCK)) -lpthread

# Unit tests: one cmocka binary per module, linked against the component libraries and the
# helpers the tests share (tests/unit/helpers.c: not a test-*.c, so no binary of its own).
$(B)/tests/%: $(B)/tests/unit/%.o $(B)/tests/unit/helpers.o $(LIBHSM) $(LIBSTATION) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS) $(shell pkg-config --libs cmocka)

# test-device also checks the crypto known-answer vectors (docs/protocol.md §7.6) against the
# reference board's crypto.
$(B)/tests/test-device: $(B)/firmware-stub/host/hcrypto.o
$(B)/tests/unit/test-device.o: CFLAGS_ALL += -Ifirmware-stub/host

# The board side's timings on this machine (docs/porting.md); built on demand, run by hand.
$(B)/tests/bench-core: $(B)/tests/bench/bench-core.o $(B)/firmware-stub/host/hcrypto.o $(LIBCORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(shell pkg-config --libs openssl)
$(B)/tests/bench/bench-core.o: CFLAGS_ALL += -Ifirmware-stub/host

# Fuzz targets built as plain corpus replayers (any compiler) ...
$(B)/replay/%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/replay-main.o $(LIBHSM) $(LIBSTATION) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# Sanitizer runs: full unwinding on malloc so third-party leaks carry their library's name for
# tests/lsan.supp (never project code).
SAN_ENV = ASAN_OPTIONS=verify_asan_link_order=0:fast_unwind_on_malloc=0 \
	  LSAN_OPTIONS=suppressions=$(abspath tests/lsan.supp):print_suppressions=0

unit: $(UNIT_BIN)
	@for t in $(UNIT_BIN); do echo "  UNIT    $$t"; $(SAN_ENV) $$t >$$t.log 2>&1 || { cat $$t.log; exit 1; }; done

replay: $(REPLAY_BIN)
	@for t in $(REPLAY_BIN); do n=$$(basename $$t); echo "  REPLAY  $$n"; \
	  $$t tests/fuzz/corpus/$${n#fuzz-} || exit 1; done

# The device core must build freestanding, C99, pedantic, with no libc symbol left undefined and
# without the host build's factory reset (P-21); in the default and an EC-only configuration.
freestanding:
	@mkdir -p $(B)/freestanding/default $(B)/freestanding/ec-only
	@echo "  CHECK   firmware-stub/core builds freestanding"
	$(Q)for cfg in default ec-only; do \
	  flags=; [ $$cfg = ec-only ] && flags='$(CORE_EC_ONLY)'; \
	  for f in $(CORE_SRC); do $(CC) $(CORE_CFLAGS) -O2 $$flags -Ifirmware-stub/core -c $$f \
	    -o $(B)/freestanding/$$cfg/$$(basename $$f .c).o || exit 1; done; \
	  o=$(B)/freestanding/$$cfg/core-all.o; rm -f $$o; \
	  ld -r -o $$o $$(ls $(B)/freestanding/$$cfg/*.o) || exit 1; \
	  und=$$(nm -u $$o | awk 'NF{print $$2}' | sort -u); \
	  if [ -n "$$und" ]; then echo "core ($$cfg) references outside symbols: $$und"; exit 1; fi; \
	  if nm $$o | grep -q dev_factory_reset; then echo "core ($$cfg) has dev_factory_reset"; exit 1; fi; \
	done

# Integration-test driver: station-side code only (no libhsm), talks to the real signer.
DRIVER := $(B)/tests/signer-driver
$(DRIVER): $(B)/tests/integration/signer-driver.o $(LIBSTATION) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# Privilege separation probe: drop, sandbox, list fixtures, HELLO (tests/integration/test-privsep.sh).
PROBE := $(B)/tests/privsep-probe
$(PROBE): $(B)/tests/integration/privsep-probe.o $(LIBSTATION) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# Line console on a scripted view, read back through tmux (tests/integration/test-console-render.sh).
CONSOLE_DEMO := $(B)/tests/console-demo
$(CONSOLE_DEMO): $(B)/tests/integration/console-demo.o $(LIBSTATION) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# Station side of the slot-control test (tests/integration/test-sim-slots.sh).
SLOT_PROBE := $(B)/tests/slot-probe
$(SLOT_PROBE): $(B)/tests/integration/slot-probe.o $(LIBSTATION) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# The credential library from the shell: decode a label's Matter QR, a verifier (issue #16).
CRED_PROBE := $(B)/tests/cred-probe
$(CRED_PROBE): $(B)/tests/integration/cred-probe.o $(LIBSTATION) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

# The fleet registry's client on a private PostgreSQL (tests/integration/test-fleet-pg.sh).
FLEET_DRIVER := $(B)/tests/fleet-driver
$(FLEET_DRIVER): $(B)/tests/integration/fleet-driver.o $(LIBHSM) $(LIBCOMMON) $(LIBCORE)
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS)

integration: $(PROGS) $(DRIVER) $(PROBE) $(CONSOLE_DEMO) $(SLOT_PROBE) $(CRED_PROBE) $(FLEET_DRIVER) port-qemu
	@BIN=$(abspath $(BIN)) SIGNER_DRIVER=$(abspath $(DRIVER)) PRIVSEP_PROBE=$(abspath $(PROBE)) \
	  CONSOLE_DEMO=$(abspath $(CONSOLE_DEMO)) SLOT_PROBE=$(abspath $(SLOT_PROBE)) \
	  CRED_PROBE=$(abspath $(CRED_PROBE)) FLEET_DRIVER=$(abspath $(FLEET_DRIVER)) \
	  $(SAN_ENV) sh tests/integration/run.sh

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory freestanding unit replay integration package-test

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

# Two stations and a private PostgreSQL fleet registry (issue #15, docs/fleet.md).
demo-fleet: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo-fleet.sh

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/bench.sh

asan: deps
	$(Q)$(MAKE) --no-print-directory VARIANT=asan all freestanding unit replay integration

fuzz: deps
	$(Q)scripts/fuzz.sh

# Issue #12: CAMPAIGN_KILLS (1000) kill -9 of the station and of the signer, the faults, every
# fuzz target for CAMPAIGN_FUZZ_CPU_SECONDS (1800) CPU-seconds; writes docs/reliability.md.
campaign: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/campaign.sh

# Style (STYLE.md): tabs, lines of at most 120 columns, no trailing blanks; then cppcheck.
# (clang-format has no preset for this OpenSSH/BSD layout, so it is not enforced.)
lint:
	$(Q)bad=$$(grep -nE '.{121,}|[[:space:]]+$$' station/*/*.[ch] hsm/*/*.[ch] firmware-stub/*/*.[ch] \
	  | head -20); if [ -n "$$bad" ]; then echo "$$bad"; echo "lint: lines over 120 \
	  columns or trailing blanks"; exit 1; fi
	$(Q)cppcheck -q --error-exitcode=1 --enable=warning,portability --inline-suppr \
	  --suppress=missingIncludeSystem -Ifirmware-stub/core $(addprefix -I,$(SRC_DIRS)) station hsm firmware-stub

# Install like a product (issue #13): programs, man pages, docs and the example profile, the
# systemd unit, udev rules and logrotate file. DESTDIR stages it (no root needed; the system
# users are then made by the package's postinst or scripts/users.sh on the station PC).
# With PREFIX=/usr (the package) system files go where Debian 12 looks for them (/lib/systemd,
# /lib/udev, /etc); with another PREFIX under it (systemd also reads /usr/local/lib/systemd/system;
# udev rules and logrotate files from there must be copied to /etc by hand).
MANPAGES     := $(wildcard docs/man/*.1)
DOCS         := README.md LICENSE $(wildcard docs/*.md)
SYSDIR_BASE  := $(if $(filter /usr,$(PREFIX)),,$(PREFIX))
BINDIR       ?= $(PREFIX)/bin
LIBEXECDIR   ?= $(PREFIX)/libexec/station
MANDIR       ?= $(PREFIX)/share/man
DOCDIR       ?= $(PREFIX)/share/doc/factory-station
UNITDIR      ?= $(SYSDIR_BASE)/lib/systemd/system
UDEVRULESDIR ?= $(SYSDIR_BASE)/lib/udev/rules.d
SYSCONFDIR   ?= $(if $(SYSDIR_BASE),$(PREFIX)/etc,/etc)
STATEDIR     ?= /var/lib/station

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
	  $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(UNITDIR) $(DESTDIR)$(UDEVRULESDIR) \
	  $(DESTDIR)$(SYSCONFDIR)/logrotate.d $(DESTDIR)$(STATEDIR)
	install -m 755 $(BIN)/station $(DESTDIR)$(BINDIR)/station
	install -m 755 $(BIN)/firmware-stub $(DESTDIR)$(BINDIR)/firmware-stub
	install -m 755 $(BIN)/station-signer $(DESTDIR)$(LIBEXECDIR)/station-signer
	install -m 755 scripts/users.sh scripts/service-dir.sh scripts/hsm-setup.sh $(DESTDIR)$(LIBEXECDIR)/
	install -m 644 $(MANPAGES) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 644 scripts/demo-profile.ini $(DESTDIR)$(DOCDIR)/examples/profile.ini
	install -m 644 scripts/system/station.env.example $(DESTDIR)$(DOCDIR)/examples/station.env
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@DOCDIR@|$(DOCDIR)|g' scripts/system/station@.service.in \
	  >$(DESTDIR)$(UNITDIR)/station@.service
	chmod 644 $(DESTDIR)$(UNITDIR)/station@.service
	install -m 644 scripts/system/70-factory-station.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 644 scripts/system/factory-station.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/factory-station
	$(if $(DESTDIR),@echo "  (staged install: the package's postinst, or scripts/users.sh as root, makes the users)",scripts/users.sh)

# Debian package (issue #13): the sources and scripts/debian/ (the tree has no top-level debian/)
# staged in build/deb/, built there by dpkg-buildpackage with debhelper. The staged tree gets a
# copy of this tree's release build, so that packaging after `make` compiles nothing again (same
# sources, same flags; delete build/deb/*/build for a build from scratch).
DEB_VERSION := $(shell sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' scripts/debian/changelog)
DEB_ARCH    := $(shell dpkg --print-architecture 2>/dev/null)
DEB_SRC     := build/deb/factory-station-$(DEB_VERSION)
DEB         := build/deb/factory-station_$(DEB_VERSION)_$(DEB_ARCH).deb

deb: all
	$(Q)rm -rf build/deb && mkdir -p $(DEB_SRC)/build
	$(Q)cp -a Makefile README.md LICENSE station firmware-stub hsm scripts docs $(DEB_SRC)/
	$(Q)cp -a scripts/debian $(DEB_SRC)/debian
	$(Q)tar -C build -cf - --exclude=release/tests --exclude=release/replay --exclude=release/freestanding \
	  release bin | tar -C $(DEB_SRC)/build -xf -
	@echo "  DPKG    $(DEB) (log: build/deb/build.log)"
	$(Q)cd $(DEB_SRC) && GIT_REV='$(GIT_REV)' dpkg-buildpackage -b -nc -us -uc >../build.log 2>&1 || \
	  { tail -40 ../build.log; exit 1; }

# Installing like a product (issue #13): man pages, the staged install, the systemd unit, the
# udev rules and the Debian package with lintian (tests/package/).
package-test: all
	$(Q)$(MAKE) --no-print-directory deb
	@for t in tests/package/test-*.sh; do echo "  PTEST   $$t"; \
	  BIN=$(abspath $(BIN)) DEB=$(abspath $(DEB)) sh $$t || exit 1; done

clean:
	rm -rf build

include firmware-stub/ports/mps2-an386/port.mk

-include $(shell find build -path build/deb -prune -o -name '*.d' -type f -print 2>/dev/null)
