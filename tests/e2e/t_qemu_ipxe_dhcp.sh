#!/usr/bin/env bash
# A real QEMU 7.2 VM (TCG, no disk: the virtio-net iPXE ROM network-boots)
# attached with -netdev stream to vgate -listen-qemu gets its DHCP lease
# from vgate: iPXE's serial console shows 192.168.127.2/24 with gateway .1,
# and vgate logs the OFFER and ACK to the VM's MAC. (iPXE then finds nothing
# to boot; the test ends there.)
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64"
e2e_init

MAC=5a:94:ef:e4:0c:ee
echo "nameserver 127.0.0.1" >"$T/resolv.conf"
start_vgate -listen-qemu "unix://$T/q.sock" -listen "unix://$T/api.sock" \
	--resolv-conf "$T/resolv.conf"

: >"$T/serial"
bg sx qemu-system-x86_64 -accel tcg -m 128 -nographic -nodefaults -serial "file:$T/serial" \
	-display none -monitor none -boot n \
	-netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$T/q.sock" \
	-device "virtio-net-pci,netdev=n0,mac=$MAC" 2>"$T/qemu.err"
QEMU_PID=$BG_PID

# console: the serial output without ANSI escapes and carriage returns.
console() { sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1bc//g' -e 's/\r//g' "$T/serial"; }
leased() { [[ $(console) == *"net0: 192.168.127.2/255.255.255.0 gw 192.168.127.1"* ]]; }
if ! wait_until 40 leased; then
	kill -0 "$QEMU_PID" 2>/dev/null || fail "QEMU exited: $(cat "$T/qemu.err")"
	fail "iPXE shows no lease after 40 s; console tail: $(console | tail -n 5 | tr '\n' ' ')"
fi
pass "iPXE's console: $(console | grep -m 1 -a -o 'net0: 192.168.127.2[^ ]* gw [0-9.]*') (${SECONDS}s)"

grep -q "dhcp: ACK 192.168.127.2 to $MAC" "$T/vgate.log" || fail "no ACK for $MAC in vgate's log"
grep -q "dhcp: OFFER 192.168.127.2 to $MAC" "$T/vgate.log" || fail "no OFFER for $MAC in vgate's log"
ports=$(api /v1/ports)
[ "$(json_get "[p['mac'] for p in j][0]" <<<"$ports")" = "$MAC" ] || fail "/v1/ports: $ports"
# No errors at all, and no warnings from the component under test (others
# may warn about the sandbox, e.g. ping sockets not permitted there).
if grep -E ' error |warn  dhcp:' "$T/vgate.log" >"$T/errors"; then
	fail "vgate logged errors: $(cat "$T/errors")"
fi
pass "vgate logged OFFER and ACK 192.168.127.2 to $MAC; no errors"

kill -TERM "$QEMU_PID"
wait_until 10 eval "! kill -0 $QEMU_PID" || fail "QEMU did not exit on SIGTERM"
stop_vgate
pass "QEMU and vgate stopped cleanly"
