# Compiles one variant of the tree. Called by the top-level Makefile after deps and fetch,
# so that the wildcards below see the fetched sources.
#   VARIANT=release  static musl, -Os, gc-sections, stripped (ARCH selects the toolchain)
#   VARIANT=host     glibc-dynamic gcc build for cmocka unit tests and valgrind
#   VARIANT=asan     clang, AddressSanitizer + UndefinedBehaviorSanitizer, dynamic
#   VARIANT=fuzz     clang, libFuzzer + ASan + UBSan
VARIANT ?= release
ARCH ?= x86_64
include third_party/versions.sh
include mk/version.mk
# The floor for "the local clock is wrong": the date of the source, never the moment of
# compiling: SOURCE_DATE_EPOCH, else the date make dist recorded in an unpacked tarball, else the
# last commit's date in a checkout.
ECS_BUILD_TIME ?= $(or $(SOURCE_DATE_EPOCH),$(shell cat .source-date-epoch 2>/dev/null),$(shell git log -1 --format=%ct 2>/dev/null),1767225600)
ECS_TARGET ?= $(ARCH)-linux-$(if $(filter release,$(VARIANT)),musl-static,$(VARIANT))

TP := third_party/build
MBED := $(TP)/mbedtls-$(MBEDTLS_VERSION)
JSMN := $(TP)/jsmn-$(JSMN_VERSION)

ifeq ($(VARIANT),release)
B := build/$(ARCH)
include mk/arch.mk
OPT := -Oz -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables \
	$(ARCH_CFLAGS) $(LTO) $(if $(LTO),-flto-partition=one)
RELEASE_DEFS := -DECS_TINY_MALLOC -DECS_TINY_PRINTF -DECS_TINY_LIBC
# make size reads the link map: which bytes came from the C library
MAPFLAG := -Wl,-Map=
# common-page-size: ld would otherwise pad the file up to a page boundary before the small data
# segment so that it takes one page less of memory (3 KB of zeros in the file)
LDFLAGS_V := -static -Wl,--gc-sections -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,--build-id=none \
	-Wl,-z,common-page-size=512 \
	$(ARCH_LDFLAGS) $(LTO)
else ifeq ($(VARIANT),host)
B := build/host
CC := gcc
AR := ar
OPT := -O1 -g
LDFLAGS_V :=
else ifeq ($(VARIANT),asan)
B := build/asan
CC := clang
AR := ar
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT := -O1 -g $(SAN) -DECS_SYSTEM_HEAP
LDFLAGS_V := $(SAN)
else ifeq ($(VARIANT),fuzz)
B := build/fuzz
CC := clang
AR := ar
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
OPT := -O1 -g $(SAN) -fsanitize=fuzzer-no-link -DECS_SYSTEM_HEAP -DECS_FUZZ
LDFLAGS_V := $(SAN)
else
$(error unknown VARIANT $(VARIANT))
endif

CONFIG := -Ithird_party -DMBEDTLS_CONFIG_FILE='"ecs_mbedtls_config.h"'
INC := -Isrc -Iport -I$(B)/gen -isystem $(MBED)/include -isystem $(JSMN) $(CONFIG)
# No stack frame of ours over 8 KiB (issue 9: the program must run under ulimit -s 32): big
# buffers live in caller-owned structs, not in frames.
STACK_LIMIT := 8192
STACK_WARN = $(if $(findstring clang,$(CC)),-Wframe-larger-than=$(STACK_LIMIT),-Wstack-usage=$(STACK_LIMIT))
WARN := -std=c11 -Wall -Wextra -Werror -Wconversion -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral \
	$(if $(findstring clang,$(CC)),,-Wno-format-truncation)
DEFS := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DECS_VERSION='"$(ECS_VERSION)"' \
	-DECS_TARGET='"$(ECS_TARGET)"' \
	-DECS_BUILD_TIME=$(ECS_BUILD_TIME)
# Reproducible: no build path in any output (__FILE__, debug info), whatever directory the tree
# is unpacked in; the link uses no build id and the sources no __DATE__/__TIME__.
REPRO := -ffile-prefix-map=$(CURDIR)/=
CFLAGS_OWN := $(OPT) $(REPRO) $(WARN) $(DEFS) $(RELEASE_DEFS) $(INC) $(EXTRA_CFLAGS)
CFLAGS_TP := $(OPT) $(REPRO) $(INC) -w

# A change of flags rebuilds everything compiled with them.
FLAGS_DEPS := mk/build.mk mk/arch.mk
MBED_SRC := $(wildcard $(MBED)/library/*.c)
MBED_OBJ := $(patsubst $(MBED)/library/%.c,$(B)/mbedtls/%.o,$(MBED_SRC))
PORT_SRC := $(wildcard port/*.c port/posix/*.c)
LIB_SRC := $(filter-out src/main.c,$(wildcard src/*.c))
# port_libc.c (the release build's own libc functions) is linked only as the plain object
# FMT_OBJ below: an LTO archive member defining a builtin would lose to libc, or half win.
LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC) $(filter-out port/posix/port_libc.c,$(PORT_SRC)))
MAIN_OBJ := $(B)/obj/src/main.o
# mbedTLS calls back into the port (mbedtls_hardware_poll): link the two as a group.
LIBS = -Wl,--start-group $(B)/libecs.a $(B)/libmbed.a -Wl,--end-group

.PHONY: all bin lib tools unit fuzzers
all: bin tools

bin: $(B)/ecs-ca-status
lib: $(B)/libecs.a $(B)/libmbed.a

# Built-in trust anchors: a header generated from the DER files fetch.sh verified.
ANCHORS_H := $(B)/gen/ecs_anchors.h
$(ANCHORS_H): $(TP)/anchors/list third_party/gen_anchors.sh
	@mkdir -p $(dir $@)
	sh third_party/gen_anchors.sh $(TP)/anchors $@
$(B)/obj/src/tls.o: $(ANCHORS_H)
$(B)/su/src/tls.o: $(ANCHORS_H)

# The --help text, packed by a tool built for the build machine.
# (musl-gcc: the build has it on every host; plain cc may have no C library headers)
HOSTCC ?= musl-gcc
USAGE_H := $(B)/gen/usage.h
$(B)/gen/pack_text: scripts/pack_text.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -O2 -o $@ $<
$(USAGE_H): src/usage.txt $(B)/gen/pack_text
	$(B)/gen/pack_text CLI_USAGE <src/usage.txt >$@.tmp && mv -f $@.tmp $@
$(B)/obj/src/cli.o $(B)/su/src/cli.o: $(USAGE_H)

# $(TP)/.stamp: a new fetch (a patch added or dropped) rebuilds mbedTLS; tar restores the
# sources' old times, so an unpatched file would otherwise keep its patched object.
$(B)/mbedtls/%.o: $(MBED)/library/%.c third_party/ecs_mbedtls_config.h $(FLAGS_DEPS) $(wildcard $(TP)/.stamp)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_TP) -I$(MBED)/library -c $< -o $@

# aesni.c sets its instruction set with "#pragma GCC target", which LTO drops: no LTO for it.
$(B)/mbedtls/aesni.o: $(MBED)/library/aesni.c third_party/ecs_mbedtls_config.h $(FLAGS_DEPS) \
		     $(wildcard $(TP)/.stamp)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -flto -flto-partition=one,$(CFLAGS_TP)) -fno-lto -I$(MBED)/library -c $< -o $@

$(B)/obj/%.o: %.c $(wildcard src/*.h port/*.h port/posix/*.h) third_party/ecs_mbedtls_config.h $(FLAGS_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_OWN) $(if $(filter tests/%,$<),,$(STACK_WARN)) -c $< -o $@

$(B)/libmbed.a: $(MBED_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(B)/libecs.a: $(LIB_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# The release build's snprintf/vsnprintf (port/posix/port_fmt.c, no floating point) and its
# other small libc functions (port/posix/port_libc.c) must win over libc's, also for libc's
# own callers: plain objects ahead of the libraries, without LTO (an LTO object's definition
# of a builtin is not seen in time by the linker).
ifeq ($(VARIANT),release)
FMT_OBJ := $(B)/obj/port_fmt_nolto.o $(B)/obj/port_libc_nolto.o
$(B)/obj/port_%_nolto.o: port/posix/port_%.c port/port.h $(FLAGS_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(filter-out -flto -flto-partition=one,$(CFLAGS_OWN)) -fno-lto -c $< -o $@
endif

$(B)/ecs-ca-status.unstripped: $(MAIN_OBJ) $(FMT_OBJ) $(B)/libecs.a $(B)/libmbed.a $(FLAGS_DEPS)
	$(CC) $(OPT) $(LDFLAGS_V) $(if $(filter release,$(VARIANT)),$(MAPFLAG)$@.map) -o $@ $(MAIN_OBJ) $(FMT_OBJ) $(LIBS)

$(B)/ecs-ca-status: $(B)/ecs-ca-status.unstripped
ifeq ($(VARIANT),release)
	$(STRIP) -o $@ $<
else
	cp $< $@
endif

# make size: the stack frame of every function of ours, from a compile without LTO (with LTO
# the frames are only known at link time); the largest is reported.
SU_OBJ := $(patsubst %.c,$(B)/su/%.o,$(LIB_SRC) $(PORT_SRC) src/main.c)
$(B)/su/%.o: %.c $(wildcard src/*.h port/*.h port/posix/*.h) third_party/ecs_mbedtls_config.h $(FLAGS_DEPS)
	@mkdir -p $(dir $@)
	@$(CC) $(filter-out -flto -flto-partition=one,$(CFLAGS_OWN)) -fno-lto -fstack-usage -c $< -o $@
.PHONY: stack-report
stack-report: $(SU_OBJ)
	@cat $(SU_OBJ:.o=.su) | sort -t '	' -k2 -n | tail -n 1 | \
		awk -F '\t' '{printf "%-24s largest stack frame %d bytes (%s), limit $(STACK_LIMIT)\n", "", $$2, $$1}'

# Test tools built from the product's own layers.
TOOLS := $(B)/ecs-fetch
tools: $(TOOLS)
$(B)/ecs-fetch: $(B)/obj/tests/tools/ecs_fetch.o $(B)/libecs.a $(B)/libmbed.a
	$(CC) $(OPT) $(LDFLAGS_V) -o $@ $< $(LIBS)

# cmocka unit tests (host and asan variants only: Debian ships cmocka as a shared library).
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(B)/unit/%,$(UNIT_SRC))
unit: $(UNIT_BIN)
$(B)/unit/%: $(B)/obj/tests/unit/%.o $(B)/libecs.a $(B)/libmbed.a
	@mkdir -p $(dir $@)
	$(CC) $(OPT) $(LDFLAGS_V) -o $@ $< $(LIBS) -lcmocka

# libFuzzer targets.
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN := $(patsubst tests/fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
fuzzers: $(FUZZ_BIN)
$(B)/fuzz/%: $(B)/obj/tests/fuzz/%.o $(B)/libecs.a $(B)/libmbed.a
	@mkdir -p $(dir $@)
	$(CC) $(OPT) $(SAN) -fsanitize=fuzzer -o $@ $< $(LIBS)
