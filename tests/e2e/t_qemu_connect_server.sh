#!/usr/bin/env bash
# vgate --connect-qemu against a real QEMU 7.2 `-netdev stream,server=on`
# (TCG, no guest OS: the virtio-net iPXE ROM sends DHCP discovers and router
# solicitations; HMP announce_self makes QEMU send RARPs when a check needs
# a frame).
#  1. QEMU listens first, vgate dials it: the switch learns the MAC.
#  2. QEMU is SIGKILLed: vgate stays up, the port goes away, vgate redials.
#  3. A new QEMU listens on the same path: vgate reconnects (connection #2)
#     and learns the MAC again.
#  4. A vgate started while no QEMU exists keeps redialling and connects
#     once QEMU appears.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64"
e2e_init

MAC=5a:94:ef:e4:0c:ee
SRV=$T/qemu-srv.sock
NETDEV="stream,id=n0,server=on,addr.type=unix,addr.path=$SRV"

. "$E2E_DIR/qemu.sh"

n_ports() { api /v1/ports | json_get "len(j)"; }
no_ports() { [ "$(n_ports)" -eq 0 ]; }
# redials_since LINE: "retrying" lines in vgate.log after line LINE.
redials_since() { tail -n "+$(($1 + 1))" "$T/vgate.log" | grep -c 'retrying in' || true; }
redialled() { [ "$(redials_since "$1")" -ge "$2" ]; }
log_lines() { wc -l <"$T/vgate.log"; }

# --- 1. QEMU first, then vgate dials it -------------------------------------
qemu_vm 1 "$MAC" "$NETDEV"
q1=$BG_PID
wait_until 10 test -S "$SRV" || fail "QEMU did not create $SRV: $(cat "$T/qemu-1.err")"
start_vgate --connect-qemu "unix://$SRV" -listen "unix://$T/api.sock"
wait_until 20 poked 1 rx_above "$MAC" 0 || fail "$MAC not learnt over --connect-qemu: $(api /v1/ports)"
pass "vgate dialled QEMU's server=on socket and learnt $MAC on port $(port_get "$MAC" port) (${SECONDS}s)"

# --- 2. QEMU dies: vgate survives, drops the port, redials ------------------
mark=$(log_lines)
kill -KILL "$q1"
wait "$q1" 2>/dev/null || true
wait_until 10 no_ports || fail "port still listed after QEMU died: $(api /v1/ports)"
vgate_alive || fail "vgate died when QEMU was killed"
wait_until 10 redialled "$mark" 3 || fail "vgate is not redialling after QEMU died"
vgate_alive || fail "vgate died while redialling"
pass "QEMU SIGKILLed: vgate alive, port gone, redialling ($(redials_since "$mark") attempts)"

# --- 3. A new QEMU on the same path: vgate reconnects -----------------------
rm -f "$SRV" # QEMU 7.2 does not bind over a stale socket file
qemu_vm 2 "$MAC" "$NETDEV"
q2=$BG_PID
wait_until 10 test -S "$SRV" || fail "second QEMU did not create $SRV: $(cat "$T/qemu-2.err")"
wait_until 15 poked 2 rx_above "$MAC" 0 || fail "vgate did not reconnect and relearn $MAC: $(api /v1/ports)"
[ "$(n_ports)" -eq 1 ] || fail "expected one port: $(api /v1/ports)"
grep -q "qemu-srv.sock #2" "$T/vgate.log" || fail "vgate.log does not show connection #2"
pass "new QEMU on the same path: reconnected, $MAC learnt again (${SECONDS}s)"

stop_vgate
pass "SIGTERM with a connected QEMU: exit 0"

# --- 4. vgate first, QEMU later ---------------------------------------------
kill -KILL "$q2"
wait "$q2" 2>/dev/null || true
rm -f "$SRV"
start_vgate --connect-qemu "unix://$SRV" -listen "unix://$T/api.sock"
wait_until 10 redialled 0 5 || fail "vgate without QEMU is not redialling"
vgate_alive || fail "vgate exited while QEMU was missing"
[ "$(n_ports)" -eq 0 ] || fail "ports without QEMU: $(api /v1/ports)"
qemu_vm 3 "$MAC" "$NETDEV"
wait_until 10 test -S "$SRV" || fail "third QEMU did not create $SRV: $(cat "$T/qemu-3.err")"
wait_until 15 poked 3 rx_above "$MAC" 0 || fail "vgate started before QEMU never connected: $(api /v1/ports)"
pass "vgate started before QEMU kept redialling ($(redials_since 0) attempts) and connected (${SECONDS}s)"
stop_vgate
