# SPDX-License-Identifier: MIT
# vmm: build, test, demo, benchmarks. `make help` lists the targets.

PREFIX  ?= /usr/local
# glibc loads NSS modules from its own library folder (not /usr/local): enable the installed one
# with `hosts: files vmm dns` in /etc/nsswitch.conf.
NSS_LIBDIR ?= /lib/$(shell $(CC) -print-multiarch 2>/dev/null || echo .)
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
VERSION := 0.1.0

# Every library through pkg-config. Only the small ones every command needs are linked (PKGS);
# the heavy ones (PKGS_DLOPEN) are opened with dlopen by the command that first needs them
# (include/vmm/sys/dynlib.h): linking them made every command, `vmm version` included, map ~55
# shared objects. Their headers still come through pkg-config, and each is opened by the soname
# of the library found here (DL_SONAMES, read with readelf), so headers and code always agree.

PKGS := libconfig libacl libnl-3.0 libnl-route-3.0 libip4tc libip6tc json-c
PKGS_DLOPEN := libnftables libvncclient libisofs-1 libpng libcurl libcrypto libvirt
LIBVIRT_MIN := 6.0
TEST_PKGS := cmocka

# The Debian package with each pkg-config module's development files (add one for a new module).
DEB_libconfig       := libconfig-dev
DEB_libacl          := libacl1-dev
DEB_libnl-3.0       := libnl-3-dev
DEB_libnl-route-3.0 := libnl-route-3-dev
DEB_libip4tc        := libip4tc-dev
DEB_libip6tc        := libip6tc-dev
DEB_libnftables     := libnftables-dev
DEB_libvncclient    := libvncserver-dev
DEB_json-c          := libjson-c-dev
DEB_libisofs-1      := libisofs-dev
DEB_libpng          := libpng-dev
DEB_libcurl         := libcurl4-openssl-dev
DEB_libcrypto       := libssl-dev
DEB_libvirt         := libvirt-dev
DEB_cmocka          := libcmocka-dev

# Building never installs anything: a missing library is one line naming the -dev packages.
# The goals that set up a whole machine (the tests, the demo, the benchmarks, the test guest)
# first install what is missing of their own package groups (contrib/deps.sh --goal=GOAL: demo
# gets build + run + the tiny guest's, check everything the tests need), so that on a fresh
# Debian the README's two commands are the whole set-up; no installation starts or enables a
# service. `make deps` installs build + run. VMM_NO_DEPS=1 skips the installation.
GOALS         := $(or $(MAKECMDGOALS),all)
NOBUILD_GOALS := clean distclean help deps
INSTALL_GOALS := check demo bench guest
ifeq ($(VMM_NO_DEPS),)
ifneq ($(filter $(INSTALL_GOALS),$(GOALS)),)
DEPS_ARGS   := $(addprefix --goal=,$(filter $(INSTALL_GOALS),$(GOALS)))
DEPS_STATUS := $(shell contrib/deps.sh --if-missing $(DEPS_ARGS) >&2; echo $$?)
ifneq ($(DEPS_STATUS),0)
$(error vmm: contrib/deps.sh $(DEPS_ARGS) failed (run it as root to see why))
endif
endif
endif

ifneq ($(filter-out $(NOBUILD_GOALS),$(GOALS)),)
NEED_PKGS := $(PKGS) $(PKGS_DLOPEN) $(if $(filter unit asan check,$(GOALS)),$(TEST_PKGS))
HAVE_PKGCONFIG := $(shell command -v pkg-config >/dev/null 2>&1 && echo yes)
MISSING_DEBS := $(if $(HAVE_PKGCONFIG),,pkg-config) \
	$(if $(filter asan fuzz,$(GOALS)),$(if $(shell command -v clang),,clang)) \
	$(foreach p,$(NEED_PKGS),$(if $(shell pkg-config --exists $(p) 2>/dev/null && echo yes),,$(or $(DEB_$(p)),$(p).pc)))
ifeq ($(strip $(MISSING_DEBS)),)
ifneq ($(shell pkg-config --atleast-version=$(LIBVIRT_MIN) libvirt && echo ok),ok)
MISSING_DEBS := libvirt-dev (version $(LIBVIRT_MIN) or later)
endif
endif
ifneq ($(strip $(MISSING_DEBS)),)
$(error vmm: missing build dependencies: $(strip $(MISSING_DEBS)) (run "make deps" as root))
endif
endif

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) $(PKGS_DLOPEN) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_CFLAGS := $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
# test_render reads the PNG vmm wrote back with libpng itself: linked into that test only
TEST_LIBS   := $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)
$(BUILD)/tests/test_render: TEST_LIBS += $(shell pkg-config --libs libpng 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wno-unused-parameter -Wshadow -Wformat=2 -Wmissing-prototypes
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -Iinclude $(PKG_CFLAGS) \
              -DVMM_VERSION='"$(VERSION)"' -DVMM_DATADIR='"$(PREFIX)/share/vmm"' -MMD -MP
# --as-needed: no DT_NEEDED for a library nothing calls; -O1: smaller symbol hash chains. Binding
# stays lazy (no -z now): only the functions a command calls get resolved.
LDFLAGS_VMM := -Wl,--as-needed -Wl,-O1
LDLIBS  := $(PKG_LIBS) -ldl -lpthread

# DL_SONAME_<NAME>: the soname of each dlopen'ed library (the file lib<l>.so of its -l<l> in its
# pkg-config libdir, read with readelf), for the two files that name them. Expanded only when
# they are compiled.
dl_file = $(shell pkg-config --variable=libdir $(1))/$(patsubst -l%,lib%.so,$(firstword \
	$(shell pkg-config --libs-only-l $(1))))
dl_soname = $(shell readelf -d $(call dl_file,$(1)) 2>/dev/null | sed -n 's/.*soname: \[\(.*\)\]/\1/p')
dl_def = -DDL_SONAME_$(1)='"$(call dl_soname,$(2))"'
$(BUILD)/src/sys/dl_curl.o: ALL_CFLAGS += $(call dl_def,CURL,libcurl)
$(BUILD)/src/sys/dl_crypto.o: ALL_CFLAGS += $(call dl_def,CRYPTO,libcrypto)
$(BUILD)/src/sys/dl_isofs.o: ALL_CFLAGS += $(call dl_def,ISOFS,libisofs-1)
$(BUILD)/src/sys/dl_nftables.o: ALL_CFLAGS += $(call dl_def,NFTABLES,libnftables)
$(BUILD)/src/sys/dl_png.o: ALL_CFLAGS += $(call dl_def,PNG,libpng)
$(BUILD)/src/sys/dl_vncclient.o: ALL_CFLAGS += $(call dl_def,VNCCLIENT,libvncclient)
$(BUILD)/src/backend/libvirt_load.o: ALL_CFLAGS += $(call dl_def,LIBVIRT,libvirt)

LIB_SRC  := $(sort $(filter-out src/nss/%,$(wildcard src/*/*.c)))
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all clean help check unit asan fuzz install deps demo bench guest debian-guest man completion test-cmd test-net test-e2e layers
all: $(BUILD)/vmm $(BUILD)/libnss_vmm.so.2

# The NSS module (hosts: NAME.vmm from /etc/vmm's profiles): libc only, loaded by every process
# on the host that resolves a name. NSS_VMM_DIR is where it reads the profiles.
NSS_VMM_DIR ?= /etc/vmm
$(BUILD)/libnss_vmm.so.2: src/nss/nss_vmm.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -fPIC -shared -Wl,-soname,libnss_vmm.so.2 \
		-Wl,-z,relro,-z,now -DNSS_VMM_DIR='"$(NSS_VMM_DIR)"' $(LDFLAGS) -o $@ $<

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libvmm.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/vmm: $(BUILD)/src/main.o $(BUILD)/libvmm.a
	$(CC) $(CFLAGS) $(LDFLAGS_VMM) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvmm.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvmm.a $(LDLIBS) $(TEST_LIBS)

unit: $(UNIT_BIN)

# The test build: vmm with its test hooks (journal.h: crash points, injected failures) compiled
# in. The shipped $(BUILD)/vmm has none of them.
HOOK_SRC := src/net/hostnet.c src/net/journal.c
HOOK_OBJ := $(HOOK_SRC:%.c=$(BUILD)/hooks/%.o)
$(BUILD)/hooks/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -DVMM_TEST_HOOKS -c -o $@ $<

$(BUILD)/vmm-test: $(BUILD)/src/main.o $(HOOK_OBJ) $(BUILD)/libvmm.a
	$(CC) $(CFLAGS) $(LDFLAGS_VMM) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The test guest (kernel + busybox + modules initramfs, and a bootable ISO of it) in images/.
guest:
	contrib/build-guest.sh images

# A real Debian 12 cloud-init guest (debootstrap, as root) for the image/ssh tests, cached outside
# the tree and rebuilt only when the script changes.
debian-guest:
	contrib/build-debian-guest.sh /var/cache/vmm-test/debian12

# Everything that exists: unit, command-level, namespace and end-to-end tests. Golden files are
# never rewritten here (VMM_UPDATE_GOLDEN is dropped), and a skipped test fails the run (unless
# VMM_ALLOW_SKIP=1). The last line is the summary "N passed, N failed, N skipped".
check: $(BUILD)/vmm $(BUILD)/vmm-test $(BUILD)/libnss_vmm.so.2 unit guest
	env -u VMM_UPDATE_GOLDEN tests/run.sh $(BUILD)

# The layer picture (contrib/layers) as a test: every #include "vmm/..." points down it, no
# circle inside a folder, each declaration in its module's header (nm of the objects), HACKING.md's
# picture the table's. `make check` runs it too (tests/cmd/layers.sh, which also plants each kind
# of break in a copy of the tree and watches the checker name it).
layers: $(BUILD)/libvmm.a
	contrib/layers.sh check -b $(BUILD)

# Unit tests under ASan+UBSan, in their own build folder.
asan:
	$(MAKE) BUILD=build-asan CC=clang VMM_NO_DEPS=1 \
		CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
		LDFLAGS="-fsanitize=address,undefined" build-asan/vmm unit
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp env -u VMM_UPDATE_GOLDEN tests/run.sh build-asan unit

# libFuzzer targets: every tests/fuzz/fuzz_NAME.c (profile parser and validators, net.cfg parser,
# profile_set_key), seeded from tests/fuzz/corpus/fuzz_NAME/; FUZZ_SECS each (default 20).
FUZZ_SECS ?= 20
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang VMM_NO_DEPS=1 \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" build-fuzz/libvmm.a
	@mkdir -p build-fuzz/fuzz
	for f in tests/fuzz/fuzz_*.c; do \
		t=$$(basename $$f .c); b=build-fuzz/fuzz/$$t; \
		clang -std=c11 -D_GNU_SOURCE -Iinclude $(PKG_CFLAGS) -O1 -g -fsanitize=fuzzer,address,undefined \
			-o $$b $$f build-fuzz/libvmm.a $(LDLIBS) || exit 1; \
		mkdir -p build-fuzz/corpus/$$t tests/fuzz/corpus/$$t; \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/fuzz/lsan.supp $$b -max_total_time=$(FUZZ_SECS) -timeout=5 \
			-artifact_prefix=build-fuzz/$$t- build-fuzz/corpus/$$t tests/fuzz/corpus/$$t 2>build-fuzz/$$t.log \
			|| { tail -40 build-fuzz/$$t.log; exit 1; }; \
		echo "$$t: $$(grep -m1 "^Done" build-fuzz/$$t.log)"; \
	done

# The man page and the bash completion are generated from the option tables so they cannot
# drift (tests/cmd/help.sh compares them with the binary's output).
man: $(BUILD)/vmm
	$(BUILD)/vmm help --man > contrib/vmm.1

completion: $(BUILD)/vmm
	$(BUILD)/vmm help --bash-completion > contrib/vmm.bash-completion

# systemd units: vmm-net.service (the network at boot) and vmm@.service (one guest), and the same
# for a user's own manager (contrib/systemd/user/: without root), their
# ExecStart/ExecStop pointing at the installed binary.
SYSTEMD_UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSTEMD_USERUNITDIR ?= $(PREFIX)/lib/systemd/user
install: $(BUILD)/vmm $(BUILD)/libnss_vmm.so.2
	install -d $(DESTDIR)$(NSS_LIBDIR)
	install -m 0644 $(BUILD)/libnss_vmm.so.2 $(DESTDIR)$(NSS_LIBDIR)/libnss_vmm.so.2
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/vmm \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(SYSTEMD_UNITDIR) \
		$(DESTDIR)$(SYSTEMD_USERUNITDIR)
	install -m 0755 $(BUILD)/vmm $(DESTDIR)$(PREFIX)/bin/vmm
	install -m 0644 contrib/images.cfg $(DESTDIR)$(PREFIX)/share/vmm/images.cfg
	install -m 0644 contrib/vmm.1 $(DESTDIR)$(PREFIX)/share/man/man1/vmm.1
	install -m 0644 contrib/vmm.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/vmm
	for u in contrib/systemd/*.service; do \
		sed 's|/usr/local/bin/vmm|$(PREFIX)/bin/vmm|' $$u > $(DESTDIR)$(SYSTEMD_UNITDIR)/$$(basename $$u) && \
		chmod 0644 $(DESTDIR)$(SYSTEMD_UNITDIR)/$$(basename $$u) || exit 1; \
	done
	for u in contrib/systemd/user/*.service; do \
		d=$(DESTDIR)$(SYSTEMD_USERUNITDIR)/$$(basename $$u); \
		sed 's|/usr/local/bin/vmm|$(PREFIX)/bin/vmm|' $$u > $$d && chmod 0644 $$d || exit 1; \
	done

# The Debian packages vmm needs to build and run (needs root; contrib/deps.sh --list --goal=G
# shows what another goal installs).
deps:
	contrib/deps.sh --goal=deps

# The tutorial, narrated, inside namespaces it creates and removes.
demo: $(BUILD)/vmm guest
	contrib/demo.sh $(BUILD)/vmm

# bench/spawntime times commands started with posix_spawn (no shell in what is measured).
$(BUILD)/spawntime: bench/spawntime.c
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) -o $@ $<

bench: $(BUILD)/vmm $(BUILD)/spawntime guest
	bench/run.sh $(BUILD)/vmm

clean:
	rm -rf build build-asan build-fuzz

help:
	@echo "targets: all (default) check layers asan fuzz demo bench guest debian-guest man completion install deps clean"

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
