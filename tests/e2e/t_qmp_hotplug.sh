#!/usr/bin/env bash
# Hot-plugging a NIC wired to vgate into a running VM, through QMP, with the
# real test guest (tests/e2e/guest/: Debian kernel, virtio-net, busybox;
# QEMU 7.2 under TCG). QEMU starts with no NIC and two QMP sockets (one
# client each): one for `vgate --qmp`, one for vgatectl. The guest boots
# the `hotplug` scenario, which waits for eth0.
#   1. vgate (no QEMU listener yet) follows QEMU through --qmp.
#   2. `vgatectl attach` opens a QEMU listener through the API, adds the
#      stream netdev and a virtio-net-pci NIC with the first free static
#      lease's MAC; the guest's eth0 appears, gets 192.168.127.2 by DHCP,
#      resolves names and fetches a 1 MiB file through the gateway (sha256
#      checked). vgate --qmp logged the netdev's connection and, after
#      NIC_RX_FILTER_CHANGED, the NIC's MAC and its reserved address.
#   3. A second NIC is attached and detached again: DEVICE_DELETED (the
#      guest kernel released it), netdev removed, vgate's port gone.
#   4. The first NIC is detached as well (DEVICE_DELETED from the guest);
#      then the guest powers off (its kernel, through the ACPI S5 the
#      keyboard's SysRq-o triggers, since it has no network any more) and
#      `vgate --qmp` exits 0 on QEMU's SHUTDOWN event.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"
guest_build
guest_fixtures
VGATECTL=${VGATECTL:-$VGATE_BUILD/vgatectl}
[ -x "$VGATECTL" ] || fail "no vgatectl binary at $VGATECTL (run make first)"

MAC=5a:94:ef:e4:0c:ee
IP=192.168.127.2
MAC2=5a:94:ef:00:00:02

logged() { grep -qF -- "$1" "$T/vgate.log"; }
ctl() { timeout 60 "$VGATECTL" --socket "$T/api.sock" --timeout 30 "$@"; }
nports() { api /v1/ports | json_get "len(j)"; }

# --- 1. vgate follows a QEMU that has no NIC -------------------------------------------
start_vgate -listen "unix://$T/api.sock" "${GUEST_VGATE_ARGS[@]}" --qmp "$T/qmp-vgate.sock"
guest_boot g "vgate.scenario=hotplug vgate.ip=$IP $GUEST_CHECK vgate.hold=forever" \
	-qmp "unix:$T/qmp-vgate.sock,server=on,wait=off" -qmp "unix:$T/qmp-ctl.sock,server=on,wait=off"
wait_until 30 logged "--qmp $T/qmp-vgate.sock: following QEMU 7.2" || fail "vgate did not follow QEMU"
guest_expect g modules 90
out=$(api /v1/listeners)
json_get "[l['kind'] for l in j]" <<<"$out" | grep -qxF "['api']" || fail "listeners: $out"
pass "vgate follows QEMU (no NIC, no QEMU listener); the guest waits for eth0 (${SECONDS}s)"

# --- 2. attach: the guest gets its NIC, a lease and the file ---------------------------------
out=$(ctl attach --qmp "$T/qmp-ctl.sock" 2>"$T/attach.err") || fail "attach: $(cat "$T/attach.err")"
[ "$out" = "attached vgate0: virtio-net-pci, MAC $MAC (static lease $IP), netdev stream to unix://$T/qemu.sock" ] ||
	fail "attach printed: $out"
grep -qF "vgate now listens for QEMU on unix://$T/qemu.sock" "$T/attach.err" ||
	fail "attach did not open a listener: $(cat "$T/attach.err")"
log "$out"
guest_expect g link 60
[ "$(guest_field g link mac)" = "$MAC" ] || fail "eth0 has MAC $(guest_field g link mac)"
guest_expect_check g 120
pass "hot-plugged NIC: eth0 $MAC, lease $IP, DNS, 1 MiB via the host alias intact (${SECONDS}s)"

wait_until 10 logged "QEMU netdev vgate0-net connected (unix $T/qemu.sock)" ||
	fail "vgate --qmp did not log NETDEV_STREAM_CONNECTED"
wait_until 10 logged "NIC vgate0 has MAC $MAC: $IP reserved for it (its static lease)" ||
	fail "vgate --qmp did not learn the NIC's MAC (NIC_RX_FILTER_CHANGED, query-rx-filter)"
pass "vgate --qmp: NETDEV_STREAM_CONNECTED logged, MAC learnt from query-rx-filter, lease $IP held"

# --- 3. a second NIC in and out ----------------------------------------------------------------
out=$(ctl --json attach --qmp "$T/qmp-ctl.sock" --mac "$MAC2") || fail "attach 2: $out"
json_get "(j['id'], j['mac'])" <<<"$out" | grep -qxF "('vgate1', '$MAC2')" || fail "attach 2: $out"
wait_until 10 test "$(nports)" = 2 || fail "vgate does not see the second NIC: $(api /v1/ports)"
out=$(ctl detach --qmp "$T/qmp-ctl.sock" --id vgate1) || fail "detach vgate1: $out"
[ "$out" = "detached vgate1" ] || fail "detach printed: $out"
wait_until 10 logged "QEMU device vgate1 deleted" || fail "vgate --qmp saw no DEVICE_DELETED"
wait_until 10 test "$(nports)" = 1 || fail "vgate still has the second NIC's port: $(api /v1/ports)"
pass "second NIC: attached, detached (DEVICE_DELETED from the guest), its netdev and port gone"

# --- 4. the first NIC out, then the guest powers off ------------------------------------------
out=$(ctl detach --qmp "$T/qmp-ctl.sock" --id vgate0) || fail "detach vgate0: $out"
[ "$out" = "detached vgate0" ] || fail "detach printed: $out"
wait_until 10 test "$(nports)" = 0 || fail "vgate still has a port: $(api /v1/ports)"
rc=0
ctl detach --qmp "$T/qmp-ctl.sock" --id vgate0 2>"$T/err" || rc=$?
if [ "$rc" != 1 ] || ! grep -q "DeviceNotFound" "$T/err"; then
	fail "second detach: exit $rc: $(cat "$T/err")"
fi
pass "first NIC detached (DEVICE_DELETED); detaching it again: DeviceNotFound, exit 1"

# The guest's network is gone: Alt-SysRq-O on its keyboard makes its kernel power off.
guest_hmp g "sendkey alt-sysrq-o" >/dev/null || fail "sendkey"
guest_gone g 60 || fail "the guest did not power off: $(guest_log g | tail -n 5)"
rc=0
wait_until 20 eval "! kill -0 $VGATE_PID" || fail "vgate --qmp did not exit after the guest powered off"
wait "$VGATE_PID" || rc=$?
VGATE_PID=""
[ "$rc" = 0 ] || fail "vgate exit status $rc"
logged "QEMU reports SHUTDOWN (guest-shutdown, by the guest)" || fail "no guest SHUTDOWN logged"
logged "exited cleanly" || fail "vgate did not exit cleanly"
pass "guest powered off: vgate --qmp saw SHUTDOWN (guest-shutdown) and exited 0 (${SECONDS}s)"
