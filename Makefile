# ecs-ca-status: front door. The real compile rules are in mk/build.mk, run after the
# dependencies are installed and the pinned third-party sources fetched and verified.
#
#   make              static musl binary ./ecs-ca-status (ARCH=aarch64|armhf|mipsel|mips to cross)
#   make check        all tests (unit, integration, transport, sanitizers, fuzz corpora replay,
#                     install, completions, man page, dist + offline + reproducible build)
#   make unit | integration | transport   one group of those suites
#   make demo         build, start the local ECS emulator, run the real binary against it
#   make install      binary, man page, bash and zsh completions (DESTDIR, PREFIX=/usr/local,
#                     BINDIR, MANDIR, BASHCOMPDIR, ZSHCOMPDIR); make uninstall removes them
#   make dist         ecs-ca-status-VERSION.tar.gz: the tree plus the verified third-party
#                     sources, so that unpacking it and running make needs no network
#   make release      static binaries for every ARCH and SHA256SUMS in release/VERSION
#   make check-package  Debian package from the dist tarball, offline; dpkg -c and lintian
#   make size         stripped size of every built binary
#   make deps         install (as root on Debian/Ubuntu) or list what the build and tests need
#   make fuzz         run every libFuzzer target for FUZZ_SECONDS (default 60)
#   make bench        footprint and speed figures against the local emulator
#   make format       clang-format the tree
SHELL := /bin/sh
HOST_ARCH := $(shell uname -m)
ARCH ?= $(HOST_ARCH)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SUBMAKE = $(MAKE) --no-print-directory -j$(JOBS) -f mk/build.mk
TP := third_party/build
FETCHED := $(TP)/.stamp
FUZZ_SECONDS ?= 60
PYTHON ?= python3
include mk/version.mk
DIST := ecs-ca-status-$(ECS_VERSION)
RELEASE_ARCHES ?= x86_64 aarch64 armhf mipsel mips
RELEASE_DIR ?= release/$(ECS_VERSION)
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# zsh: Debian's zsh reads vendor-completions under /usr, site-functions under /usr/local
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/$(if $(filter /usr,$(PREFIX)),vendor-completions,site-functions)
INSTALLED := $(BINDIR)/ecs-ca-status $(MANDIR)/man1/ecs-ca-status.1 \
	$(BASHCOMPDIR)/ecs-ca-status $(ZSHCOMPDIR)/_ecs-ca-status

ifeq ($(ARCH),$(HOST_ARCH))
OUT := ecs-ca-status
else
OUT := ecs-ca-status-$(ARCH)
endif

.PHONY: all deps deps-build deps-demo fetch host asan fuzzers check unit integration transport \
	fuzz demo size bench format clean distclean check-cross install uninstall dist release \
	check-package

all: $(OUT)

deps:
	@sh scripts/deps.sh test

deps-build:
	@sh scripts/deps.sh build
	@if [ "$(ARCH)" != "$(HOST_ARCH)" ]; then sh scripts/deps.sh cross $(ARCH); fi

deps-demo:
	@sh scripts/deps.sh demo

$(FETCHED): third_party/versions.sh third_party/fetch.sh $(wildcard third_party/patches/*.patch)
	@sh third_party/fetch.sh $(CURDIR)/$(TP)

fetch: $(FETCHED)

$(OUT): deps-build $(FETCHED) FORCE
	@if [ "$(ARCH)" = mipsel ] || [ "$(ARCH)" = mips ]; then sh scripts/musl-mips.sh $(ARCH); fi
	@$(SUBMAKE) VARIANT=release ARCH=$(ARCH) all
	@cp build/$(ARCH)/ecs-ca-status $(OUT)
	@echo "built $(OUT): $$(wc -c < $(OUT)) bytes, $$(file -b $(OUT) 2>/dev/null | cut -d, -f1-2)"

host: $(FETCHED)
	@sh scripts/deps.sh test
	@$(SUBMAKE) VARIANT=host all unit

asan: $(FETCHED)
	@sh scripts/deps.sh test
	@$(SUBMAKE) VARIANT=asan all unit

fuzzers: $(FETCHED)
	@sh scripts/deps.sh test
	@$(SUBMAKE) VARIANT=fuzz lib fuzzers

check: deps
	@$(MAKE) --no-print-directory ARCH=$(HOST_ARCH) all host asan fuzzers
	@$(PYTHON) tests/run_all.py --root $(CURDIR)

# One group of make check's suites, each on the builds it runs.
unit: deps
	@$(MAKE) --no-print-directory host asan
	@$(PYTHON) tests/run_all.py --root $(CURDIR) --only unit

integration transport: deps
	@$(MAKE) --no-print-directory ARCH=$(HOST_ARCH) all asan
	@$(PYTHON) tests/run_all.py --root $(CURDIR) --only $@

demo: deps-demo all
	@$(PYTHON) tests/demo.py --bin ./$(OUT)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(OUT) $(DESTDIR)$(BINDIR)/ecs-ca-status
	install -m 0644 ecs-ca-status.1 $(DESTDIR)$(MANDIR)/man1/ecs-ca-status.1
	install -m 0644 completions/ecs-ca-status.bash $(DESTDIR)$(BASHCOMPDIR)/ecs-ca-status
	install -m 0644 completions/_ecs-ca-status $(DESTDIR)$(ZSHCOMPDIR)/_ecs-ca-status

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))

# The tree as git tracks it (working-tree contents) plus the fetched third-party files, each
# checked against a sum pinned in third_party/versions.sh; reproducible (sorted, fixed owner and
# mtime from the last commit, gzip -n).
dist: fetch
	@sh scripts/dist.sh $(DIST) $(TP)

release:
	@sh scripts/release.sh $(ECS_VERSION) $(RELEASE_DIR) $(RELEASE_ARCHES)

check-package: dist
	@sh scripts/deps.sh package
	@$(PYTHON) tests/ship/check_package.py --root $(CURDIR) --tarball $(DIST).tar.gz

size:
	@sh scripts/size.sh

fuzz: fuzzers
	@$(PYTHON) tests/fuzz/run_fuzz.py --root $(CURDIR) --seconds $(FUZZ_SECONDS)

bench: all
	@$(PYTHON) tests/bench/bench.py --root $(CURDIR)

check-cross:
	@fail=""; for a in $(or $(ARCHES),aarch64 armhf mipsel mips); do \
		t0=$$(date +%s); echo "=== check-cross $$a"; \
		if sh scripts/deps.sh cross $$a test && $(MAKE) --no-print-directory ARCH=$$a all && \
			{ case $$a in mips*) sh scripts/musl-mips.sh check-fpu $$a ecs-ca-status-$$a build/$$a/ecs-fetch ;; esac; } && \
			$(PYTHON) tests/run_all.py --root $(CURDIR) --cross $$a; then \
			echo "=== check-cross $$a: ok ($$(($$(date +%s) - t0)) s)"; \
		else \
			fail="$$fail $$a"; echo "=== check-cross $$a: FAILED ($$(($$(date +%s) - t0)) s)"; \
		fi; \
	done; \
	if [ -n "$$fail" ]; then echo "check-cross: FAILED:$$fail"; exit 1; fi; echo "check-cross: all passed"

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build ecs-ca-status ecs-ca-status-* $(DIST).tar.gz release

distclean: clean
	rm -rf $(TP)

FORCE:
