#!/usr/bin/env bash
# Bad input from real guests (tests/e2e/guest/); vgate survives and the next
# guest works:
#  1. Guest F floods broadcast frames (300,000 frames to ff:ff:ff:ff:ff:ff
#     from the kernel's pktgen, as fast as TCG runs) on -netdev stream while
#     guest G, on -netdev socket, boots and passes the standard check (DHCP,
#     DNS local and upstream, 1 MiB through the host alias). The switch
#     counts F's frames; G's queue may drop (counted), vgate stays up.
#  2. Guest K downloads a 64 MiB file through the host alias from a server
#     that paces it (64 KiB every 10 ms, so it takes about 10 s and the
#     kill lands mid-transfer however fast the guest is) and its QEMU is
#     SIGKILLed mid-transfer: vgate stays up and drops K's port.
#  3. Guest N, same MAC and address as K, boots on the same listener and
#     passes the standard check; the host reaches it through a forward.
# (A guest sending before vgate is ready is in t_guest_connect.sh and
# t_guest_dgram.sh: their guests boot before vgate exists.)
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"
guest_build
guest_fixtures

MAC_F=52:54:00:00:00:0f
MAC_G=52:54:00:00:00:01
IP_G=192.168.127.10
MAC_K=5a:94:ef:e4:0c:ee
IP_K=192.168.127.2
PORT=15603
FLOOD=300000

SLOW_PORT=8001
# A paced HTTP server for /big: 64 MiB of zeros, 64 KiB every 10 ms.
bg sx python3 -c '
import http.server, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(64 << 20))
        self.end_headers()
        chunk = bytes(64 << 10)
        try:
            for _ in range(1024):
                self.wfile.write(chunk)
                time.sleep(0.01)
        except OSError:
            pass
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
' "$SLOW_PORT"
wait_until 10 sx python3 -c "import socket; socket.create_connection(('127.0.0.1', $SLOW_PORT), 1)" ||
	fail "the paced HTTP server did not start"

start_vgate -listen-qemu "unix://$T/q.sock" -listen-qemu "tcp://127.0.0.1:$PORT" \
	-listen "unix://$T/api.sock" --static-lease "$MAC_G=$IP_G" "${GUEST_VGATE_ARGS[@]}"
port_field() { api /v1/ports | json_get "sum(p['$2'] for p in j if p['mac'] == '$1')"; }

# --- 1. a broadcast flood beside a working guest -----------------------------------
guest_boot_nic f "$MAC_F" "stream,server=off,addr.type=unix,addr.path=$T/q.sock" \
	"vgate.flood=$FLOOD vgate.hold=600"
guest_boot_nic g "$MAC_G" "socket,connect=127.0.0.1:$PORT" \
	"vgate.ip=$IP_G $GUEST_CHECK vgate.timeout=90 vgate.hold=600"
guest_expect f flood 180
guest_expect_check g 180
vgate_alive || fail "vgate died in the flood"
rx=$(port_field "$MAC_F" rx_frames)
[ "$rx" -ge "$FLOOD" ] || fail "the switch counted $rx frames from the flooding guest, it sent $FLOOD"
pass "a guest flooded $(guest_field f flood frames) broadcast frames (switch counted $rx) while another passed the check; drops to it: $(port_field "$MAC_G" tx_drops) (${SECONDS}s)"
guest_expect f "done" 60
guest_stop f
guest_stop g

# --- 2. QEMU killed mid-transfer -----------------------------------------------------
guest_boot_nic k "$MAC_K" "stream,server=off,addr.type=unix,addr.path=$T/q.sock" \
	"vgate.ip=$IP_K vgate.get=http://192.168.127.254:$SLOW_PORT/big vgate.timeout=300"
qk=$GUEST_PID
guest_expect k dhcp 120
midway() { [ "$(port_field "$MAC_K" tx_bytes)" -gt $((8 * 1024 * 1024)) ]; }
wait_until 120 midway || fail "the 64 MiB download never got going: $(api /v1/ports)"
guest_line k get:1 | grep -q . && fail "the download finished before the kill: $(guest_line k get:1)"
sent=$(port_field "$MAC_K" tx_bytes)
kill -KILL "$qk" || fail "QEMU of guest k was gone before the kill: $(guest_log k | tail -n 5)"
wait "$qk" 2>/dev/null || true
gone() { [ "$(port_field "$MAC_K" rx_frames)" -eq 0 ]; }
wait_until 10 gone || fail "the killed guest's port is still listed: $(api /v1/ports)"
vgate_alive || fail "vgate died when QEMU was killed mid-transfer"
pass "QEMU SIGKILLed after $sent bytes of the download: vgate alive, port dropped, TCP flows open: $(api /stats | json_get "j['TCPFlows']")"

# --- 3. the next guest works ---------------------------------------------------------
guest_boot_nic n "$MAC_K" "stream,server=off,addr.type=unix,addr.path=$T/q.sock" \
	"vgate.ip=$IP_K $GUEST_CHECK vgate.hold=600"
guest_expect_check n 120
guest_forward n "$IP_K" 8080
pass "the next guest with the killed guest's MAC and address passed the check (${SECONDS}s)"

guest_stop n
stop_vgate
pass "vgate exited cleanly"
