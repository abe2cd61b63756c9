#!/usr/bin/env bash
# A real QEMU 7.2 `-netdev dgram` (unix datagrams, one frame each) attached
# to vgate's -listen-vfkit unixgram listener (TCG, no guest OS: the
# virtio-net iPXE ROM sends DHCP discovers and router solicitations; HMP
# announce_self makes QEMU send RARPs when a check needs a frame). The
# switch learns the MAC and the peer address from the first datagram; a
# second QEMU on a -listen-qemu stream proves both directions: vgate floods
# its broadcasts to the learnt datagram peer and back (QEMU's filter-dump
# shows what each QEMU received).
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64"
e2e_init

MAC_D=5a:94:ef:e4:0c:ee
MAC_S=52:54:00:12:34:56

. "$E2E_DIR/qemu.sh"

# vgate's datagram socket must exist before QEMU sends its first frame.
start_vgate -listen-vfkit "unixgram://$T/vgate.dgram" -listen-qemu "unix://$T/q.sock" \
	-listen "unix://$T/api.sock"
[ -S "$T/vgate.dgram" ] || fail "no datagram socket at $T/vgate.dgram"

qemu_vm 1 "$MAC_D" \
	"dgram,id=n0,local.type=unix,local.path=$T/qemu.dgram,remote.type=unix,remote.path=$T/vgate.dgram"
wait_until 30 poked 1 rx_above "$MAC_D" 0 ||
	fail "no frames from $MAC_D over dgram: $(api /v1/ports) $(cat "$T/qemu-1.err")"
transport=$(port_get "$MAC_D" transport)
pass "switch learnt $MAC_D over -netdev dgram (transport $transport, $(port_get "$MAC_D" rx_frames) frames, ${SECONDS}s)"

# Started only now: until the first datagram, vgate has no peer to send to.
qemu_vm 2 "$MAC_S" "stream,id=n0,server=off,addr.type=unix,addr.path=$T/q.sock"
wait_until 30 poked 2 rx_above "$MAC_S" 0 || fail "no frames from $MAC_S over stream: $(api /v1/ports)"
wait_until 20 poked 2 pcap_has_src "$T/qemu-1.pcap" "$MAC_S" ||
	fail "the dgram QEMU never received a frame from $MAC_S: $(api /v1/ports)"
wait_until 20 poked 1 pcap_has_src "$T/qemu-2.pcap" "$MAC_D" ||
	fail "the stream QEMU never received a frame from $MAC_D: $(api /v1/ports)"
ports=$(api /v1/ports)
tx=$(json_get "[p['tx_frames'] for p in j if p['mac'] == '$MAC_D'][0]" <<<"$ports")
drops=$(json_get "sum(p['tx_drops'] + p['rx_runts'] for p in j)" <<<"$ports")
[ "$tx" -gt 0 ] || fail "no frames sent to the dgram port: $ports"
[ "$drops" -eq 0 ] || fail "drops or runts: $ports"
pass "frames flow both ways between the dgram and stream QEMUs ($tx sent to the dgram peer, no drops, ${SECONDS}s)"

stop_vgate
[ ! -e "$T/vgate.dgram" ] || fail "datagram socket left behind after exit"
pass "SIGTERM: exit 0, datagram socket removed"
