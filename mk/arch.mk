# Toolchain per ARCH for the static musl release build.
ifeq ($(ARCH),x86_64)
CC := musl-gcc
AR := gcc-ar
STRIP := strip
LTO := -flto
else ifeq ($(ARCH),aarch64)
CC := aarch64-linux-musl-gcc
AR := aarch64-linux-gnu-gcc-ar
STRIP := aarch64-linux-gnu-strip
LTO := -flto
ARCH_LDFLAGS := -Wl,-z,max-page-size=4096
else ifeq ($(ARCH),armhf)
CC := arm-linux-musleabihf-gcc
AR := arm-linux-gnueabihf-gcc-ar
STRIP := arm-linux-gnueabihf-strip
LTO := -flto
ARCH_CFLAGS := -march=armv7-a -mthumb
ARCH_LDFLAGS := -Wl,-z,max-page-size=4096
else ifeq ($(ARCH),mipsel)
# Soft-float musl built from Debian's source package (see scripts/musl-mips.sh): router SoCs
# often have no FPU.
CC := $(CURDIR)/build/sysroot-mipsel/bin/musl-gcc
AR := mipsel-linux-gnu-gcc-ar
STRIP := mipsel-linux-gnu-strip
LTO := -flto
ARCH_CFLAGS := -msoft-float -march=mips32r2
ARCH_LDFLAGS := -Wl,-z,max-page-size=4096
else ifeq ($(ARCH),mips)
CC := $(CURDIR)/build/sysroot-mips/bin/musl-gcc
AR := mips-linux-gnu-gcc-ar
STRIP := mips-linux-gnu-strip
LTO := -flto
ARCH_CFLAGS := -msoft-float -march=mips32r2
ARCH_LDFLAGS := -Wl,-z,max-page-size=4096
else
$(error unknown ARCH '$(ARCH)': use x86_64, aarch64, armhf, mipsel or mips)
endif
