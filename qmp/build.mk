# qmp/: the QMP client library (libqmp.a), linked by vgate (--qmp) and by
# vgatectl (attach, detach). It sees only common/ and yajl.
QMP_SRCS := $(wildcard qmp/*.c)
QMP_HDRS := $(wildcard qmp/*.h)

$(OBJ)/qmp/%.o: CPPFLAGS += -Iqmp
$(OUT)/libqmp.a: $(call objs,$(QMP_SRCS))

VGATE_EXTRA_LIBS += $(OUT)/libqmp.a
CTL_EXTRA_LIBS += $(OUT)/libqmp.a
EXTRA_LINT_SRCS += $(QMP_SRCS)
EXTRA_LINT_HDRS += $(QMP_HDRS)

# The QMP unit tests include qmp/ headers. test_qmp_wire and test_qmp_client
# need only the library (and common/); test_qmp_follow links the daemon
# through the generic rule.
$(OBJ)/tests/unit/test_qmp%.o: CPPFLAGS += -Iqmp
$(OUT)/tests/test_qmp_wire: $(OBJ)/tests/unit/test_qmp_wire.o $(OUT)/libqmp.a $(OUT)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lyajl -lcmocka
$(OUT)/tests/test_qmp_client: $(OBJ)/tests/unit/test_qmp_client.o $(OUT)/libqmp.a \
		$(OUT)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lyajl -lcmocka
# vgatectl's attach/detach: its objects, not the daemon's.
$(OBJ)/tests/unit/test_qmp_ctl.o: CPPFLAGS += -Ibackend/ctl
$(OUT)/tests/test_qmp_ctl: $(OBJ)/tests/unit/test_qmp_ctl.o $(OBJ)/ctl/ctl_qmp.o $(OBJ)/ctl/cli.o $(OUT)/libqmp.a \
		$(OUT)/libcommon.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lyajl -lcmocka
