#!/usr/bin/env bash
# vgate --qmp against QEMU 7.2 (TCG, -S: no guest code runs) and against
# broken QMP peers, plus the /v1/listeners route vgatectl attach relies on.
#   1. --qmp-keep-running: while the socket is missing vgate waits; fake
#      peers on the socket send garbage, a greeting without capabilities,
#      a 2 MiB message, half a message: each is logged with its reason and
#      vgate retries, alive. Then a real QEMU with a NIC on vgate: vgate
#      follows it, reserves a DHCP address for the NIC's MAC (seen in
#      /v1/leases before the guest ever asked), vgatectl attach on the same
#      socket is refused within --timeout (QEMU serves one client per
#      socket); QEMU quits, vgate logs SHUTDOWN and stays; SIGTERM exits 0.
#   2. without it: QEMU killed (no SHUTDOWN): vgate exits 1, saying so.
#   3. without it: QEMU quits (SHUTDOWN): vgate exits 0.
#   4. vgatectl attach/detach against a QEMU with no guest: attach
#      hot-plugs (query-pci shows the device, vgate's port connects),
#      detach is refused cleanly after --timeout (no guest releases the
#      device), unknown ids and a bad --qmp give their exit codes.
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64"
e2e_init
VGATECTL=${VGATECTL:-$VGATE_BUILD/vgatectl}
[ -x "$VGATECTL" ] || fail "no vgatectl binary at $VGATECTL (run make first)"

QEMU_PID=""
MAC_DYN=52:54:00:12:34:56

# qemu_s NAME QMP_SOCKET [ARGS...]: QEMU stopped at reset (-S), QMP on the
# socket, HMP on $T/NAME.mon; sets QEMU_PID.
qemu_s() {
	local name=$1 qmp=$2
	shift 2
	bg ip netns exec "$SBX" qemu-system-x86_64 -accel tcg -nodefaults -display none -S -m 64 \
		-qmp "unix:$qmp,server=on,wait=off" -monitor "unix:$T/$name.mon,server=on,wait=off" \
		"$@" 2>"$T/$name.err"
	QEMU_PID=$BG_PID
}

# hmp_cmd NAME CMD: one HMP command; prints the monitor's answer.
hmp_cmd() {
	timeout 10 python3 - "$T/$1.mon" "$2" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
buf = b""
while b"(qemu) " not in buf:
    buf += s.recv(4096)
s.sendall(sys.argv[2].encode() + b"\n")
buf = b""
try:
    while b"(qemu) " not in buf:
        d = s.recv(4096)
        if not d:
            break
        buf += d
except OSError:
    pass
print(buf.decode(errors="replace"))
EOF
}

# vgate_exited: wait (bounded) for vgate to exit by itself; its status in VGATE_RC.
VGATE_RC=""
vgate_exited() {
	VGATE_RC=0
	wait_until 20 eval "! kill -0 $VGATE_PID" || fail "vgate did not exit by itself"
	wait "$VGATE_PID" || VGATE_RC=$?
	VGATE_PID=""
}

logged() { grep -qF -- "$1" "$T/vgate.log"; }
ctl() { timeout 30 "$VGATECTL" --socket "$T/api.sock" "$@"; }

# --- 1. keep-running: broken peers, then a real QEMU --------------------------------
start_vgate -listen "unix://$T/api.sock" -listen-qemu "unix://$T/q.sock" \
	--qmp "$T/qmp.sock" --qmp-keep-running
wait_until 10 logged "--qmp $T/qmp.sock: No such file or directory; waiting for QEMU" ||
	fail "no 'waiting for QEMU' line"

cat >"$T/fakeqmp.py" <<'EOF'
# A QMP server that misbehaves once per connection, in a fixed order.
import json, os, socket, sys
path = sys.argv[1]
l = socket.socket(socket.AF_UNIX)
l.bind(path)
l.listen(1)
l.settimeout(30)
GREET = b'{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}}, "capabilities": []}}\r\n'

def answer(c, f, result):
    line = f.readline()
    cmd = json.loads(line)
    c.sendall(json.dumps({"return": result, "id": cmd["id"]}).encode() + b"\r\n")

# 1: garbage instead of a greeting
c, _ = l.accept(); c.sendall(b"garbage\r\n"); c.close()
# 2: a greeting without capabilities
c, _ = l.accept(); c.sendall(b'{"QMP": {"version": {}}}\r\n'); c.close()
# 3: a proper session, then a 2 MiB message
c, _ = l.accept(); f = c.makefile("rb")
c.sendall(GREET)
answer(c, f, {})          # qmp_capabilities
answer(c, f, [])          # query-rx-filter
try:
    c.sendall(b'{"event": "X", "data": {"pad": "' + b"x" * (2 << 20) + b'"}}\r\n')
except OSError:
    pass
c.close()
# 4: half a message, then EOF
c, _ = l.accept(); c.sendall(GREET); f = c.makefile("rb")
answer(c, f, {}); answer(c, f, [])
c.sendall(b'{"event": "SHUTDOWN", "data": {"gue'); c.close()
l.close()
os.unlink(path)
EOF
bg sx python3 "$T/fakeqmp.py" "$T/qmp.sock"
FAKE_PID=$BG_PID
for want in "the QMP peer sent garbage between messages (byte 0x67); retrying" \
	'greeting without a "capabilities" array; retrying' \
	"the QMP peer sent a message larger than 1048576 bytes" \
	"closed the connection in the middle of a message"; do
	wait_until 30 logged "$want" || fail "vgate did not log: $want"
done
wait "$FAKE_PID" || fail "the fake QMP server failed"
vgate_alive || fail "vgate died on a misbehaving QMP peer"
pass "garbage, no capabilities, 2 MiB message, EOF mid-message: each logged, vgate retries (${SECONDS}s)"

qemu_s a "$T/qmp.sock" -netdev "stream,id=n0,server=off,addr.type=unix,addr.path=$T/q.sock" \
	-device "virtio-net-pci,netdev=n0,id=nic0,mac=$MAC_DYN,romfile="
wait_until 30 logged "--qmp $T/qmp.sock: following QEMU 7.2" || fail "vgate did not follow QEMU"
wait_until 10 logged "NIC nic0 has MAC $MAC_DYN: 192.168.127.3 reserved for it" ||
	fail "no reservation logged for $MAC_DYN"
leases=$(api /v1/leases)
ip=$(json_get "[l['ip'] for l in j if l['mac'] == '$MAC_DYN'][0]" <<<"$leases") ||
	fail "/v1/leases has no lease for $MAC_DYN: $leases"
[ "$ip" = 192.168.127.3 ] || fail "lease for $MAC_DYN is $ip: $leases"
pass "vgate follows QEMU 7.2: NIC nic0's MAC $MAC_DYN has $ip reserved before any DHCP"

# QEMU serves one client per QMP socket: vgatectl gets no greeting, within --timeout.
rc=0
ctl --timeout 2 attach --qmp "$T/qmp.sock" 2>"$T/err" || rc=$?
[ "$rc" = 4 ] || fail "attach on the socket vgate holds: exit $rc, expected 4: $(cat "$T/err")"
grep -q "no QMP greeting within 2000 ms" "$T/err" || fail "attach: $(cat "$T/err")"
pass "vgatectl attach on a QMP socket in use: exit 4 after --timeout ($(head -c 150 "$T/err"))"

hmp_cmd a quit >/dev/null || true
wait_until 20 eval "! kill -0 $QEMU_PID" || fail "QEMU did not quit"
wait_until 10 logged "QEMU reports SHUTDOWN (host-qmp-quit)" || fail "no SHUTDOWN logged"
wait_until 10 logged "QEMU went away (the QMP peer closed the connection); waiting" ||
	fail "no 'waiting for it to come back' line"
vgate_alive || fail "vgate exited despite --qmp-keep-running"
pass "--qmp-keep-running: SHUTDOWN logged, vgate stays and waits for the next QEMU"

# --- /v1/listeners ----------------------------------------------------------------------
# post BODY: POST /v1/listeners; prints "STATUS BODY".
post() {
	sx curl -s --max-time 5 --unix-socket "$T/api.sock" -X POST -d "$1" \
		-w ' %{http_code}' http://vgate/v1/listeners
}
out=$(api /v1/listeners)
json_get "sorted(l['kind'] for l in j) == ['api', 'qemu']" <<<"$out" | grep -qx True ||
	fail "GET /v1/listeners: $out"
out=$(post "{\"url\":\"unix://$T/new.sock\"}")
[[ $out == *'"created":true'*' 200' ]] || fail "POST new.sock: $out"
[ -S "$T/new.sock" ] || fail "no socket at $T/new.sock"
out=$(post "{\"url\":\"unix://$T/new.sock\",\"kind\":\"qemu\"}")
[[ $out == *'"created":false'*' 200' ]] || fail "POST new.sock again: $out"
: >"$T/plain-file"
for bad in '{"url":"unix:///etc/vgate-test.sock"}:400:not below a permitted' \
	"{\"url\":\"unix://$T/../x.sock\"}:400:permitted" \
	'{"url":"tcp://0.0.0.0:15999"}:400:loopback' \
	"{\"url\":\"unixgram://$T/g.sock\"}:400:unix:// or tcp://" \
	"{\"url\":\"unix://$T/x.sock\",\"kind\":\"vpnkit\"}:400:only \"qemu\"" \
	"{\"url\":\"unix://$T/x.sock\",\"extra\":1}:400:unknown key" \
	'{"url":5}:400:must be a string' '[1]:400:JSON object' 'nonsense:400:invalid JSON' \
	"{\"url\":\"unix://$T/plain-file\"}:409:not a socket"; do
	body=${bad%%:[0-9][0-9][0-9]:*}
	rest=${bad#"$body":}
	code=${rest%%:*}
	text=${rest#*:}
	out=$(post "$body")
	[[ $out == *" $code" ]] || fail "POST $body: expected $code, got: $out"
	[[ $out == *"$text"* ]] || fail "POST $body: no '$text' in: $out"
done
out=$(post '{"url":"tcp://127.0.0.1:15998"}')
[[ $out == *'"created":true'*' 200' ]] || fail "POST tcp loopback: $out"
code=$(sx curl -s --max-time 5 --unix-socket "$T/api.sock" -X PUT -o /dev/null -w '%{http_code}' \
	http://vgate/v1/listeners)
[ "$code" = 405 ] || fail "PUT /v1/listeners: $code"
pass "/v1/listeners: list, open (unix, tcp loopback), idempotent, refusals with 400/405/409"

stop_vgate
[ ! -e "$T/new.sock" ] || fail "the API-opened listener's socket was left behind"
pass "SIGTERM: exit 0, API-opened sockets removed"

# --- 2. QEMU killed: vgate exits 1 --------------------------------------------------------
start_vgate -listen "unix://$T/api.sock" -listen-qemu "unix://$T/q.sock" --qmp "$T/qmp.sock"
qemu_s b "$T/qmp.sock"
wait_until 30 logged "following QEMU 7.2" || fail "vgate did not follow QEMU b"
# Reaped here, so the shell does not report the kill.
{
	kill -KILL "$QEMU_PID"
	wait "$QEMU_PID"
} 2>/dev/null || true
vgate_exited
[ "$VGATE_RC" = 1 ] || fail "vgate exit status $VGATE_RC after QEMU was killed, expected 1"
logged "the monitor connection ended without a SHUTDOWN event" || fail "no reason logged"
pass "QEMU killed: vgate exits 1 (no SHUTDOWN event)"

# --- 3. QEMU quits: vgate exits 0 ----------------------------------------------------------
start_vgate -listen "unix://$T/api.sock" -listen-qemu "unix://$T/q.sock" --qmp "unix://$T/qmp.sock"
qemu_s c "$T/qmp.sock" -qmp "unix:$T/ctl.sock,server=on,wait=off"
wait_until 30 logged "following QEMU 7.2" || fail "vgate did not follow QEMU c"

# --- 4. attach / detach with no guest: hot-plug works, unplug needs a guest -----------------
out=$(ctl attach --qmp "$T/ctl.sock") || fail "attach: $out"
[[ $out == "attached vgate0: virtio-net-pci, MAC 5a:94:ef:e4:0c:ee (static lease 192.168.127.2), netdev stream to unix://$T/q.sock" ]] ||
	fail "attach printed: $out"
wait_until 10 logged "QEMU netdev vgate0-net connected (unix $T/q.sock)" ||
	fail "vgate --qmp did not log the netdev's connection"
hmp_cmd c "info pci" >"$T/pci" || fail "info pci"
grep -q "Ethernet controller" "$T/pci" || fail "no NIC in QEMU's info pci: $(cat "$T/pci")"
n=$(api /v1/ports | json_get "len(j)")
[ "$n" = 1 ] || fail "vgate has $n ports, expected the hot-plugged NIC's"
out=$(ctl --json attach --qmp "$T/ctl.sock" --mac 5a:94:ef:00:00:42) || fail "attach 2: $out"
json_get "(j['id'], j['mac'], j['netdev'])" <<<"$out" |
	grep -qxF "('vgate1', '5a:94:ef:00:00:42', 'unix://$T/q.sock')" || fail "attach --json: $out"
pass "attach with no guest: vgate0 (static lease MAC) and vgate1 (--mac), both connected to vgate"

rc=0
ctl attach --qmp "$T/ctl.sock" --id vgate0 2>"$T/err" || rc=$?
if [ "$rc" != 1 ] || ! grep -q "netdev_add: GenericError: Duplicate ID 'vgate0-net'" "$T/err"; then
	fail "attach with a taken --id: exit $rc: $(cat "$T/err")"
fi
rc=0
ctl --timeout 2 detach --qmp "$T/ctl.sock" --id vgate1 2>"$T/err" || rc=$?
if [ "$rc" != 1 ] || ! grep -q "QEMU did not report it deleted within 2 s" "$T/err"; then
	fail "detach without a guest: exit $rc: $(cat "$T/err")"
fi
rc=0
ctl detach --qmp "$T/ctl.sock" --id nosuch 2>"$T/err" || rc=$?
if [ "$rc" != 1 ] || ! grep -q "device_del: DeviceNotFound: Device 'nosuch' not found" "$T/err"; then
	fail "detach of an unknown id: exit $rc: $(cat "$T/err")"
fi
for bad in "attach" "attach --qmp $T/ctl.sock --mac 01:00:5e:00:00:01" \
	"attach --qmp $T/ctl.sock --id 0bad" "detach --qmp $T/ctl.sock" \
	"attach --qmp $T/ctl.sock --domain vm1" "stats --qmp $T/ctl.sock" \
	"attach --qmp $T/ctl.sock extra"; do
	rc=0
	# shellcheck disable=SC2086 # word splitting is the point
	ctl $bad >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" = 2 ] || fail "vgatectl $bad: exit $rc, expected 2: $(cat "$T/err")"
done
grep -q "needs libvirt support (see issue 8)" <(ctl attach --qmp "$T/ctl.sock" --domain vm1 2>&1) ||
	fail "--domain message"
rc=0
ctl attach --qmp "$T/nothing.sock" 2>/dev/null || rc=$?
[ "$rc" = 4 ] || fail "attach to a missing QMP socket: exit $rc, expected 4"
pass "attach/detach errors: duplicate id, unplug without a guest (bounded), unknown id (exit 1); usage (2); no QMP socket (4)"

hmp_cmd c quit >/dev/null || true
vgate_exited
[ "$VGATE_RC" = 0 ] || fail "vgate exit status $VGATE_RC after SHUTDOWN, expected 0"
logged "the VM is gone: exiting" || fail "no exit reason logged"
pass "QEMU quit (SHUTDOWN): vgate exits 0"
