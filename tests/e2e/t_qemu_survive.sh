#!/usr/bin/env bash
# Bad input: a QEMU dies mid-traffic. Two real QEMU 7.2 VMs (TCG, no guest
# OS) share one -listen-qemu unix listener and both flood the switch with
# RARP announcements (HMP announce_self, 1000 rounds 10 ms apart), so vgate
# is reading from and writing to both sockets when one QEMU is SIGKILLed.
# vgate stays up, drops the dead port, keeps switching the survivor's
# frames, and a third QEMU then attaches and exchanges frames with the
# survivor (QEMU's filter-dump shows what each QEMU received).
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64"
e2e_init

MAC_1=52:54:00:00:00:01 # killed
MAC_2=52:54:00:00:00:02 # survivor
MAC_3=52:54:00:00:00:03 # attaches later
NETDEV="stream,id=n0,server=off,addr.type=unix,addr.path=$T/q.sock"

. "$E2E_DIR/qemu.sh"

port_gone() { ! grep -q "\"$1\"" <<<"$(api /v1/ports)"; }

# flood N: QEMU N sends 1000 RARPs, one every 10 ms (10 s in all).
flood() {
	hmp "$1" "migrate_set_parameter announce-rounds 1000" \
		"migrate_set_parameter announce-initial 10" \
		"migrate_set_parameter announce-max 10" \
		"migrate_set_parameter announce-step 1" \
		announce_self
}

start_vgate -listen-qemu "unix://$T/q.sock" -listen "unix://$T/api.sock"
qemu_vm 1 "$MAC_1" "$NETDEV"
q1=$BG_PID
qemu_vm 2 "$MAC_2" "$NETDEV"
wait_until 30 poked 1 rx_above "$MAC_1" 0 || fail "$MAC_1 not learnt: $(api /v1/ports)"
wait_until 30 poked 2 rx_above "$MAC_2" 0 || fail "$MAC_2 not learnt: $(api /v1/ports)"
pass "two QEMUs attached to one listener (${SECONDS}s)"

flood 1 || fail "HMP announce flood on QEMU 1"
flood 2 || fail "HMP announce flood on QEMU 2"
base1=$(port_get "$MAC_1" rx_frames)
wait_until 10 rx_above "$MAC_1" $((base1 + 50)) || fail "QEMU 1 is not flooding: $(api /v1/ports)"
kill -KILL "$q1"
wait "$q1" 2>/dev/null || true
vgate_alive || fail "vgate died when a QEMU was killed mid-traffic"
wait_until 10 port_gone "$MAC_1" || fail "dead QEMU's port still listed: $(api /v1/ports)"
vgate_alive || fail "vgate died after a QEMU was killed mid-traffic"
ports=$(api /v1/ports)
pass "QEMU 1 SIGKILLed mid-flood: vgate alive, its port removed (ports now: $ports)"

after=$(port_get "$MAC_2" rx_frames) || fail "survivor's port is gone: $(api /v1/ports)"
wait_until 15 poked 2 rx_above "$MAC_2" $((after + 10)) ||
	fail "survivor's frames stopped counting after the kill (still $after): $(api /v1/ports)"
pass "survivor keeps counting frames after the kill ($after -> $(port_get "$MAC_2" rx_frames))"

qemu_vm 3 "$MAC_3" "$NETDEV"
wait_until 30 poked 3 rx_above "$MAC_3" 0 || fail "$MAC_3 not learnt: $(api /v1/ports)"
wait_until 15 poked 2 pcap_has_src "$T/qemu-3.pcap" "$MAC_2" ||
	fail "QEMU 3 never received a frame from the survivor: $(api /v1/ports)"
wait_until 15 poked 3 pcap_has_src "$T/qemu-2.pcap" "$MAC_3" ||
	fail "the survivor never received a frame from QEMU 3: $(api /v1/ports)"
ports=$(api /v1/ports)
n=$(json_get "len(j)" <<<"$ports")
runts=$(json_get "sum(p['rx_runts'] for p in j)" <<<"$ports")
[ "$n" -eq 2 ] || fail "expected 2 ports: $ports"
[ "$runts" -eq 0 ] || fail "runts: $ports"
pass "a third QEMU attached and exchanges frames with the survivor (${SECONDS}s)"

stop_vgate
pass "SIGTERM: exit 0"
