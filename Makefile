# vgate - user-mode network backend for QEMU and libvirt
#
#   make                 build everything into build/
#   make SANITIZE=1      the same with ASan+UBSan (into build/san/)
#   make LWIP=system     against Debian's liblwip-dev (into build/system/)
#   make check           install deps, build, run unit and end-to-end tests
#   make run             install deps, build, start vgate with defaults
#   make lint / format   clang-format, cppcheck, clang-tidy
#   make bench           vgate vs pasta, slirp4netns and veth (root, ~8 min; not part of check)

.DEFAULT_GOAL := all

LWIP ?= self
SANITIZE ?=
STATIC ?=

ifeq ($(LWIP),system)
  OUT_LWIP := system
else ifeq ($(LWIP),self)
  OUT_LWIP :=
else
  $(error LWIP must be self or system)
endif
OUT := build$(if $(SANITIZE),/san)$(if $(OUT_LWIP),/$(OUT_LWIP))
OBJ := $(OUT)/obj

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -fno-strict-aliasing \
	-D_GNU_SOURCE -MMD -MP
# Each layer sees only the layers below it (DESIGN.md: dependencies point one way).
CPPFLAGS += -Icommon
LDLIBS += -lyajl -lmicrohttpd -lm
ifneq ($(SANITIZE),)
  CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
endif
# STATIC=1 links vgate-guest statically (one binary to copy into any guest);
# the daemon and vgatectl link against Debian's shared libraries.
STATIC_LDFLAGS := $(if $(STATIC),-static)

# --- lwIP ------------------------------------------------------------------
LWIP_FETCH := build/lwip-src
LWIP_DIR := $(LWIP_FETCH)/src/lwip
ifeq ($(LWIP),self)
  LWIP_CPPFLAGS := -Ibackend/lwip -I$(LWIP_DIR)/src/include -DVGATE_LWIP_SELF=1
  LWIP_LIB := $(OUT)/liblwip.a
  LWIP_LDLIBS :=
else
  LWIP_CPPFLAGS := $(shell pkg-config --cflags lwip 2>/dev/null || echo -I/usr/include/lwip)
  LWIP_LIB :=
  LWIP_LDLIBS := $(shell pkg-config --libs lwip 2>/dev/null || echo -llwip) -lpthread
endif

$(LWIP_DIR)/src/core/tcp.c:
	bash scripts/fetch-lwip.sh $(LWIP_FETCH)

LWIP_SRCS = $(wildcard $(LWIP_DIR)/src/core/*.c $(LWIP_DIR)/src/core/ipv4/*.c \
	$(LWIP_DIR)/src/core/ipv6/*.c) $(LWIP_DIR)/src/netif/ethernet.c
LWIP_OBJS = $(patsubst $(LWIP_DIR)/%.c,$(OBJ)/lwip/%.o,$(LWIP_SRCS))

# Third-party code: built with our options, without our warning policy.
$(OBJ)/lwip/%.o: $(LWIP_DIR)/%.c backend/lwip/lwipopts.h backend/lwip/arch/cc.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -w $(filter -fsanitize% -fno-omit%,$(CFLAGS)) -D_GNU_SOURCE \
		$(LWIP_CPPFLAGS) -c -o $@ $<

# The source list is only known once the package is unpacked, so the
# archive is made by a second make that reads the tree afresh.
$(OUT)/liblwip.a: $(LWIP_DIR)/src/core/tcp.c backend/lwip/lwipopts.h backend/lwip/arch/cc.h
	@$(MAKE) --no-print-directory lwip-archive

.PHONY: lwip-archive
lwip-archive: $(LWIP_OBJS)
	@rm -f $(OUT)/liblwip.a
	$(AR) rcs $(OUT)/liblwip.a $(LWIP_OBJS)

# --- project code ----------------------------------------------------------
COMMON_SRCS := $(wildcard common/*.c)
STREAM_SRCS := $(wildcard stream/*.c)
BACKEND_SRCS := $(filter-out backend/main.c,$(wildcard backend/*.c))
UNIT_SRCS := $(wildcard tests/unit/test_*.c)

objs = $(patsubst %.c,$(OBJ)/%.o,$(1))

# The other programs live in their own directories, each with a build.mk
# that appends to these lists (guest-tools/, qmp/, libvirt-hook/,
# tests/e2e/guest/). The fragments are read here, before any rule uses them.
EXTRA_BINS :=
EXTRA_UNIT_BINS :=
EXTRA_LINT_SRCS :=
EXTRA_LINT_HDRS :=
EXTRA_SHELL :=
LINT_CPPFLAGS :=
VGATE_EXTRA_LIBS :=
CTL_EXTRA_LIBS :=
CTL_EXTRA_LDLIBS :=
include $(wildcard qmp/build.mk guest-tools/build.mk libvirt-hook/build.mk tests/e2e/guest/build.mk)

$(OBJ)/stream/%.o: CPPFLAGS += -Istream
$(OBJ)/backend/%.o: CPPFLAGS += -Istream -Iqmp -Ibackend $(LWIP_CPPFLAGS)
$(OBJ)/tests/%.o: CPPFLAGS += -Istream -Ibackend $(LWIP_CPPFLAGS)
$(OBJ)/%.o: %.c | lwip-headers
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

.PHONY: lwip-headers
ifeq ($(LWIP),self)
lwip-headers: $(LWIP_DIR)/src/core/tcp.c
else
lwip-headers:
endif

$(OUT)/libcommon.a: $(call objs,$(COMMON_SRCS))
$(OUT)/libstream.a: $(call objs,$(STREAM_SRCS))
$(OUT)/libvgate.a: $(call objs,$(BACKEND_SRCS))
$(OUT)/%.a:
	@rm -f $@
	$(AR) rcs $@ $^

VGATE_LIBS = $(OUT)/libvgate.a $(VGATE_EXTRA_LIBS) $(OUT)/libstream.a $(OUT)/libcommon.a $(LWIP_LIB)

# lwIP calls back into vgate (sys_now, LWIP_RAND): link the archives as a group.
$(OUT)/vgate: $(call objs,backend/main.c) $(VGATE_LIBS)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(VGATE_LIBS) -Wl,--end-group $(LWIP_LDLIBS) $(LDLIBS)

# vgatectl speaks the API and nothing else: common/ (and stream/ if it ever
# needs it) below it, never lwIP or libvgate.a. Its objects live apart from
# backend/'s so backend/'s include paths never reach them.
CTL_SRCS := $(wildcard backend/ctl/*.c)
CTL_LIB_SRCS := $(filter-out backend/ctl/vgatectl.c,$(CTL_SRCS))
ctl_objs = $(patsubst backend/ctl/%.c,$(OBJ)/ctl/%.o,$(1))

$(OBJ)/ctl/%.o: backend/ctl/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Istream -Iqmp $(CFLAGS) -c -o $@ $<

$(OUT)/vgatectl: $(call ctl_objs,$(CTL_SRCS)) $(CTL_EXTRA_LIBS) $(OUT)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ -lyajl $(CTL_EXTRA_LDLIBS)

UNIT_BINS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(UNIT_SRCS))
$(OUT)/tests/%: $(OBJ)/tests/unit/%.o $(VGATE_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(VGATE_LIBS) -Wl,--end-group $(LWIP_LDLIBS) $(LDLIBS) -lcmocka

# vgatectl's test links vgatectl's pieces, not the daemon's.
$(OBJ)/tests/unit/test_vgatectl.o: CPPFLAGS += -Ibackend/ctl
$(OUT)/tests/test_vgatectl: $(OBJ)/tests/unit/test_vgatectl.o $(call ctl_objs,$(CTL_LIB_SRCS)) \
		$(CTL_EXTRA_LIBS) $(OUT)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lyajl $(CTL_EXTRA_LDLIBS) -lcmocka

BINS := $(OUT)/vgate $(OUT)/vgatectl $(EXTRA_BINS)
UNIT_BINS += $(EXTRA_UNIT_BINS)

.PHONY: all
all: $(BINS) $(UNIT_BINS)

# --- using it --------------------------------------------------------------
.PHONY: deps run check unit e2e lint format clean bench
deps:
	@bash scripts/deps.sh

run: deps
	@$(MAKE) --no-print-directory $(OUT)/vgate
	@bash scripts/run.sh $(OUT)/vgate

unit: all
	@bash tests/run-unit.sh $(UNIT_BINS)

e2e: all
	@VGATE_BUILD=$(OUT) bash tests/e2e/run.sh

check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit e2e
ifeq ($(LWIP),self)
	@echo "== unit tests against Debian's liblwip-dev (LWIP=system) =="
	@$(MAKE) --no-print-directory LWIP=system unit
endif

C_LINT_SRCS = $(COMMON_SRCS) $(STREAM_SRCS) $(BACKEND_SRCS) backend/main.c $(CTL_SRCS) \
	$(EXTRA_LINT_SRCS)
PROJECT_SRCS = $(C_LINT_SRCS) $(UNIT_SRCS)
PROJECT_HDRS = $(wildcard common/*.h stream/*.h backend/*.h backend/ctl/*.h tests/unit/*.h) \
	$(EXTRA_LINT_HDRS)
LINT_INC = -Icommon -Istream -Iqmp -Ibackend $(LINT_CPPFLAGS)

lint: all
	clang-format --dry-run --Werror $(PROJECT_SRCS) $(PROJECT_HDRS)
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -D__GNUC__ \
		$(LINT_INC) $(C_LINT_SRCS)
	clang-tidy --quiet $(C_LINT_SRCS) -- $(LINT_INC) $(LWIP_CPPFLAGS) -std=gnu11 -D_GNU_SOURCE
	shellcheck -x scripts/*.sh tests/*.sh tests/e2e/*.sh tests/bench/*.sh examples/*.sh .ci/run \
		$(EXTRA_SHELL)

bench: deps
	@$(MAKE) --no-print-directory $(OUT)/vgate
	@bash tests/bench/run.sh $(OUT)/vgate

format:
	clang-format -i $(PROJECT_SRCS) $(PROJECT_HDRS)

clean:
	rm -rf build/obj build/san build/system build/*.a build/vgate build/vgatectl build/tests

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
