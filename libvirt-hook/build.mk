# libvirt-hook/: vgate-libvirt-hook, and libvgatehook.a (metadata parser,
# planner, process and state handling) which vgatectl's libvirt commands
# (backend/ctl/ctl_virt.c) share. The hook talks to vgate's API with the
# HTTP client and JSON bodies vgatectl uses (common/).
#
#   make install [PREFIX=/usr/local] [DESTDIR=]   vgate, vgatectl, the hook
#   make uninstall
HOOK_SRCS := $(filter-out libvirt-hook/hook.c,$(wildcard libvirt-hook/*.c))
HOOK_HDRS := $(wildcard libvirt-hook/*.h)
HOOK_XML_CFLAGS := $(shell pkg-config --cflags libxml-2.0 2>/dev/null || echo -I/usr/include/libxml2)
HOOK_XML_LIBS := $(shell pkg-config --libs libxml-2.0 2>/dev/null || echo -lxml2)
# libvirt is optional for the build: without libvirt-dev, ctl_virt.c
# compiles to commands that say so.
HOOK_VIRT_CFLAGS := $(shell pkg-config --cflags libvirt 2>/dev/null)
HOOK_VIRT_LIBS := $(shell pkg-config --libs libvirt 2>/dev/null)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
HOOK_INSTALL_DIR ?= /etc/libvirt/hooks/qemu.d

$(OBJ)/libvirt-hook/%.o: CPPFLAGS += -Ilibvirt-hook $(HOOK_XML_CFLAGS)
# The hook runs $(BINDIR)/vgate; a stamp named for BINDIR rebuilds it when that changes.
HOOK_BINDIR_STAMP = $(OBJ)/libvirt-hook/bindir/$(subst /,_,$(BINDIR))
$(HOOK_BINDIR_STAMP):
	@rm -rf $(dir $@) && mkdir -p $(dir $@) && touch $@
$(OBJ)/libvirt-hook/hook.o: CPPFLAGS += -DVGATE_BIN_DEFAULT='"$(BINDIR)/vgate"'
$(OBJ)/libvirt-hook/hook.o: $(HOOK_BINDIR_STAMP)

$(OUT)/libvgatehook.a: $(call objs,$(HOOK_SRCS))

$(OUT)/vgate-libvirt-hook: $(OBJ)/libvirt-hook/hook.o $(OUT)/libvgatehook.a $(OUT)/libcommon.a
	$(CC) $(LDFLAGS) -o $@ $^ -lyajl $(HOOK_XML_LIBS)

# vgatectl: --domain, domains, forward add/remove, attach/detach.
$(OBJ)/ctl/ctl_virt.o: CPPFLAGS += -Ilibvirt-hook $(HOOK_XML_CFLAGS) $(HOOK_VIRT_CFLAGS)
CTL_EXTRA_LIBS += $(OUT)/libvgatehook.a
CTL_EXTRA_LDLIBS += $(HOOK_VIRT_LIBS) $(HOOK_XML_LIBS)

EXTRA_BINS += $(OUT)/vgate-libvirt-hook
EXTRA_LINT_SRCS += $(HOOK_SRCS) libvirt-hook/hook.c
EXTRA_LINT_HDRS += $(HOOK_HDRS)
LINT_CPPFLAGS += -Ilibvirt-hook $(HOOK_XML_CFLAGS) $(HOOK_VIRT_CFLAGS)
EXTRA_SHELL += $(wildcard examples/libvirt/*.sh)

# Unit tests (tests/unit/test_hook*.c are in UNIT_SRCS already): the
# library, vgatectl's HTTP pieces, libxml2.
$(OBJ)/tests/unit/test_hook%.o: CPPFLAGS += -Ilibvirt-hook $(HOOK_XML_CFLAGS)
$(OUT)/tests/test_hook%: $(OBJ)/tests/unit/test_hook%.o $(OUT)/libvgatehook.a \
		$(OUT)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lyajl $(HOOK_XML_LIBS) -lcmocka

.PHONY: install uninstall
install: $(OUT)/vgate $(OUT)/vgatectl $(OUT)/vgate-libvirt-hook
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(HOOK_INSTALL_DIR) $(DESTDIR)$(PREFIX)/share/vgate
	install -m 755 $(OUT)/vgate $(OUT)/vgatectl $(DESTDIR)$(BINDIR)/
	install -m 755 $(OUT)/vgate-libvirt-hook $(DESTDIR)$(HOOK_INSTALL_DIR)/vgate
	install -m 644 libvirt-hook/vgate.rng $(DESTDIR)$(PREFIX)/share/vgate/vgate.rng
	@pid=$$(cat /run/libvirtd.pid 2>/dev/null || true); \
	if [ -z "$(DESTDIR)" ] && [ -n "$$pid" ] && kill -0 "$$pid" 2>/dev/null; then \
		kill -HUP "$$pid" && echo "install: libvirtd ($$pid) told to reload its hooks (SIGHUP)"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/vgate $(DESTDIR)$(BINDIR)/vgatectl \
		$(DESTDIR)$(HOOK_INSTALL_DIR)/vgate $(DESTDIR)$(PREFIX)/share/vgate/vgate.rng
	-rmdir $(DESTDIR)$(PREFIX)/share/vgate 2>/dev/null

# Keep the test objects make would otherwise delete as intermediates.
.SECONDARY: $(patsubst tests/unit/%.c,$(OBJ)/tests/unit/%.o,$(wildcard tests/unit/test_hook*.c))
