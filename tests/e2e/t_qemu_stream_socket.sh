#!/usr/bin/env bash
# Two real QEMU 7.2 VMs (TCG, no guest OS: the virtio-net iPXE ROM sends DHCP
# discovers and IPv6 router solicitations on its own) attach to vgate's
# -listen-qemu listeners: A with `-netdev stream` over a unix socket, B with
# the legacy `-netdev socket,connect=` over TCP (both be32 framing). The
# switch learns both MACs from iPXE's own traffic and counts their frames,
# /stats counts the bytes, each VM receives the other's broadcasts (QEMU's
# filter-dump shows it), SIGTERM exits 0 and removes the unix socket, and
# vgate's pcap holds DHCP discovers from both MACs.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64"
command -v tshark >/dev/null || skip "needs tshark"
e2e_init

MAC_A=5a:94:ef:e4:0c:ee
MAC_B=52:54:00:12:34:56
PORT=15558

. "$E2E_DIR/qemu.sh"

start_vgate -listen-qemu "unix://$T/q.sock" -listen-qemu "tcp://127.0.0.1:$PORT" \
	-listen "unix://$T/api.sock" -pcap "$T/cap.pcap"
[ -S "$T/q.sock" ] || fail "unix listener socket missing"

qemu_vm 1 "$MAC_A" "stream,id=n0,server=off,addr.type=unix,addr.path=$T/q.sock"
qemu_vm 2 "$MAC_B" "socket,id=n0,connect=127.0.0.1:$PORT"

# No pokes here: the frames must come from iPXE itself.
wait_until 45 poked - rx_above "$MAC_A" 0 ||
	fail "no frames from $MAC_A (stream/unix): $(api /v1/ports) $(cat "$T/qemu-1.err")"
wait_until 45 poked - rx_above "$MAC_B" 0 ||
	fail "no frames from $MAC_B (socket/tcp): $(api /v1/ports) $(cat "$T/qemu-2.err")"
ports=$(api /v1/ports)
n=$(json_get "len(j)" <<<"$ports")
[ "$n" -eq 2 ] || fail "expected 2 ports: $ports"
transports=$(json_get "' '.join(p['transport'] for p in j)" <<<"$ports")
[ "$transports" = "qemu qemu" ] || fail "transports '$transports': $ports"
pass "switch learnt $MAC_A (stream unix) and $MAC_B (socket tcp), both counting frames (${SECONDS}s)"

stats=$(api /stats)
rx=$(json_get "j['BytesReceived']" <<<"$stats")
vms=$(json_get "j['VMs']" <<<"$stats")
[ "$rx" -gt 0 ] || fail "/stats BytesReceived is $rx: $stats"
[ "$vms" -eq 2 ] || fail "/stats VMs is $vms: $stats"
pass "/stats BytesReceived=$rx VMs=$vms"

# Both QEMUs were connected before their guests sent anything, so each one
# received the other's flooded broadcasts.
wait_until 20 poked - pcap_has_src "$T/qemu-1.pcap" "$MAC_B" ||
	fail "QEMU A never received a frame from $MAC_B: $(api /v1/ports)"
wait_until 20 poked - pcap_has_src "$T/qemu-2.pcap" "$MAC_A" ||
	fail "QEMU B never received a frame from $MAC_A: $(api /v1/ports)"
ports=$(api /v1/ports)
drops=$(json_get "sum(p['tx_drops'] + p['rx_runts'] for p in j)" <<<"$ports")
[ "$drops" -eq 0 ] || fail "drops or runts: $ports"
pass "each QEMU received the other's broadcasts (unix stream <-> tcp socket), no drops"

stop_vgate
[ ! -e "$T/q.sock" ] || fail "unix socket $T/q.sock left behind after exit"
pass "SIGTERM: exit 0, pid file and unix socket removed"

# DHCP discovers (option 53 = 1) from each MAC, as tshark decodes them.
tshark -r "$T/cap.pcap" -Y 'dhcp.option.dhcp == 1' -T fields -e eth.src \
	>"$T/discovers" 2>"$T/tshark.err" || fail "tshark: $(cat "$T/tshark.err")"
for mac in "$MAC_A" "$MAC_B"; do
	grep -qx "$mac" "$T/discovers" ||
		fail "no DHCP Discover from $mac in the pcap ($(sort "$T/discovers" | uniq -c | tr '\n' ' '))"
done
pass "vgate's pcap holds DHCP Discovers from both MACs ($(wc -l <"$T/discovers") in all)"
