#!/usr/bin/env bash
# A real Linux guest (tests/e2e/guest/) on `-netdev stream,server=on`: QEMU
# listens on a unix socket and vgate dials it (--connect-qemu).
#  1. QEMU and its guest start first: the guest's DHCP discovers go out
#     (QEMU's filter-dump shows them) while no vgate exists. vgate started
#     then dials QEMU, and the guest, still retrying, gets its lease and
#     passes the standard check (DNS local and upstream, 1 MiB through the
#     host alias with its sha256).
#  2. QEMU is SIGKILLed; vgate stays up and redials. A new QEMU on the same
#     path boots a new guest, vgate reconnects, and that guest passes the
#     check again; the host reaches its httpd through a forward; /stats
#     counts the bytes.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"
. "$E2E_DIR/qemu.sh"
guest_build
guest_fixtures

MAC=5a:94:ef:e4:0c:ee
IP=192.168.127.2
SRV=$T/qemu-srv.sock
NETDEV="stream,server=on,addr.type=unix,addr.path=$SRV"
APPEND="vgate.ip=$IP vgate.mtu=1500 $GUEST_CHECK vgate.hold=600"

# --- 1. the guest first, vgate later --------------------------------------------
guest_boot_nic a "$MAC" "$NETDEV" "$APPEND" -object "filter-dump,id=d0,netdev=n0,file=$T/a.pcap"
qa=$GUEST_PID
guest_expect a link 60
wait_until 30 pcap_has_src "$T/a.pcap" "$MAC" || fail "the guest sent nothing before vgate existed"
pass "the guest is sending (DHCP) into QEMU's server=on socket with no vgate connected"

start_vgate --connect-qemu "unix://$SRV" -listen "unix://$T/api.sock" "${GUEST_VGATE_ARGS[@]}"
guest_expect_check a 120
pass "vgate started late dialled QEMU; the guest's lease, DNS and download followed (${SECONDS}s)"

# --- 2. QEMU's side restarts while vgate stays up ---------------------------------
kill -KILL "$qa"
wait "$qa" 2>/dev/null || true
no_ports() { [ "$(api /v1/ports | json_get 'len(j)')" -eq 0 ]; }
wait_until 10 no_ports || fail "port still listed after QEMU died: $(api /v1/ports)"
vgate_alive || fail "vgate died with QEMU"
rm -f "$SRV" # QEMU 7.2 does not bind over a stale socket file
guest_boot_nic b "$MAC" "$NETDEV" "$APPEND"
guest_expect_check b 120
grep -q "qemu-srv.sock #2" "$T/vgate.log" || fail "vgate.log does not show connection #2"
pass "QEMU SIGKILLed and restarted: vgate reconnected and the new guest passed the check (${SECONDS}s)"

guest_forward b "$IP" 8080
guest_stats "$MAC" $((1024 * 1024)) $((256 * 1024))

guest_stop b
stop_vgate
pass "vgate exited cleanly"
