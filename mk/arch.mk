# Toolchain per ARCH for the static musl release build.
#
# Cross builds (sh scripts/deps.sh cross ARCH installs what they need on Debian 12):
#   aarch64  musl-dev:arm64 (dpkg --add-architecture arm64) gives aarch64-linux-musl-gcc, a
#            wrapper around gcc-aarch64-linux-gnu with /usr/lib/aarch64-linux-musl/musl-gcc.specs.
#   armhf    musl-dev:armhf: arm-linux-musleabihf-gcc; ARMv7-A Thumb-2 with the VFPv3-D16 of
#            the armhf ABI (plain -march=armv7-a drops the FPU and fails with -mfloat-abi=hard).
#   mipsel, mips  MIPS32r2 soft-float (router CPUs often have no FPU): a musl built from Debian's
#            source package by scripts/musl-mips.sh, with glibc's soft-fp helpers ahead of the
#            hard-float Debian libgcc.a. Debian's own musl-dev:mipsel is hard-float.
# CROSS_PIE: the binaries (x86_64's too) are static non-PIE executables (ET_EXEC, loaded at a fixed address), so
# -fPIE code (Debian's gcc default) only costs size: -fno-pie saves 2-5 % (16 KiB on MIPS,
# whose PIC code goes through the GOT). max-page-size=4096 avoids 64 KiB segment padding.
CROSS_PIE := -fno-pie
CROSS_LDPIE := -no-pie -Wl,-z,max-page-size=4096
ifeq ($(ARCH),x86_64)
CC := musl-gcc
AR := gcc-ar
STRIP := strip
LTO := -flto
# non-PIE x86_64 code loads an address with a 5-byte mov instead of a 7-byte lea: -3.2 KB
ARCH_CFLAGS := $(CROSS_PIE)
ARCH_LDFLAGS := -no-pie
else ifeq ($(ARCH),aarch64)
CC := aarch64-linux-musl-gcc
AR := aarch64-linux-gnu-gcc-ar
STRIP := aarch64-linux-gnu-strip
LTO := -flto
ARCH_CFLAGS := $(CROSS_PIE)
ARCH_LDFLAGS := $(CROSS_LDPIE)
else ifeq ($(ARCH),armhf)
CC := arm-linux-musleabihf-gcc
AR := arm-linux-gnueabihf-gcc-ar
STRIP := arm-linux-gnueabihf-strip
LTO := -flto
ARCH_CFLAGS := -march=armv7-a+fp -mthumb $(CROSS_PIE)
ARCH_LDFLAGS := $(CROSS_LDPIE)
else ifeq ($(ARCH),mipsel)
CC := $(CURDIR)/build/sysroot-mipsel/bin/musl-gcc
AR := mipsel-linux-gnu-gcc-ar
STRIP := mipsel-linux-gnu-strip
LTO := -flto
ARCH_CFLAGS := -msoft-float -march=mips32r2 $(CROSS_PIE)
ARCH_LDFLAGS := $(CROSS_LDPIE)
else ifeq ($(ARCH),mips)
CC := $(CURDIR)/build/sysroot-mips/bin/musl-gcc
AR := mips-linux-gnu-gcc-ar
STRIP := mips-linux-gnu-strip
LTO := -flto
ARCH_CFLAGS := -msoft-float -march=mips32r2 $(CROSS_PIE)
ARCH_LDFLAGS := $(CROSS_LDPIE)
else
$(error unknown ARCH '$(ARCH)': use x86_64, aarch64, armhf, mipsel or mips)
endif
