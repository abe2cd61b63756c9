# guest-tools/build.mk - vgate-guest, read by the top-level Makefile.
#
# vgate-guest links guest-tools/ (archived as libguest.a), stream/ and
# common/: never lwIP, never the daemon. `make STATIC=1` links it (and
# only it) statically, one binary to copy into any Linux guest; a stamp
# records which way it was linked, so switching STATIC relinks it.

GUEST_SRCS := $(filter-out guest-tools/main.c,$(wildcard guest-tools/*.c))
GUEST_TEST_SRCS := $(wildcard tests/unit/test_guest_*.c)
GUEST_LIBS = $(OUT)/libguest.a $(OUT)/libstream.a $(OUT)/libcommon.a
GUEST_LINK_STAMP = $(OBJ)/guest-tools/.link-$(if $(STATIC),static,dynamic)

$(OBJ)/guest-tools/%.o: CPPFLAGS += -Istream -Iguest-tools
$(OBJ)/tests/unit/test_guest_%.o: CPPFLAGS += -Iguest-tools

$(OUT)/libguest.a: $(call objs,$(GUEST_SRCS))

$(GUEST_LINK_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(OBJ)/guest-tools/.link-*
	@touch $@

$(OUT)/vgate-guest: $(OBJ)/guest-tools/main.o $(GUEST_LIBS) $(GUEST_LINK_STAMP)
	$(CC) $(LDFLAGS) $(STATIC_LDFLAGS) -o $@ $< $(GUEST_LIBS)

# The unit tests link what they test, not the daemon (this explicit rule
# overrides the pattern rule for tests/unit/test_*.c).
$(patsubst tests/unit/%.c,$(OUT)/tests/%,$(GUEST_TEST_SRCS)): $(OUT)/tests/%: \
		$(OBJ)/tests/unit/%.o $(GUEST_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(GUEST_LIBS) -lcmocka

EXTRA_BINS += $(OUT)/vgate-guest
EXTRA_LINT_SRCS += $(wildcard guest-tools/*.c)
EXTRA_LINT_HDRS += $(wildcard guest-tools/*.h)
LINT_CPPFLAGS += -Iguest-tools
