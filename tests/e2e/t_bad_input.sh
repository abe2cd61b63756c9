#!/usr/bin/env bash
# Hostile and broken peers on /connect (le16) and -listen-qemu (be32):
#  (a) a length over 128 KiB or garbage closes only that connection and is
#      counted (/stats Oversize); 128 KiB exactly still passes;
#  (b) runts (< 14 bytes) are dropped, counted in /v1/ports rx_runts, and
#      the stream stays in sync;
#  (c) peers vanishing mid-frame, mid-header or mid-request are harmless;
#  (d) a peer that never reads costs bounded memory: its queue drops
#      (tx_drops grows), vgate's RSS stays small, the flooder is unaffected;
#  (e) a stale socket file is replaced, a live one or a regular file makes
#      vgate exit non-zero with the reason;
#  (f) an unknown URL scheme is refused with the reason;
#  (g) -notification: ready, connection_established/closed with the MAC,
#      hypervisor_error on an oversized frame.
. "$(dirname "$0")/lib.sh"
e2e_init

# py ARGS... <<'EOF': a Python script in the sandbox, under a time limit;
# sys.argv[1] is this directory (for framecli), sys.argv[2] is $T,
# sys.argv[3:] are ARGS.
py() { sx timeout 60 python3 - "$E2E_DIR" "$T" "$@"; }

start_vgate -listen "unix://$T/api.sock" -listen-qemu "unix://$T/qemu.sock"

# --- (a) oversize and garbage ------------------------------------------------
py <<'EOF' || fail "(a) oversize and garbage"
import sys, os, struct, time, threading, json
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import framecli as fc
T = sys.argv[2]
API, QEMU = "unix://%s/api.sock" % T, "unix://%s/qemu.sock" % T
q_ok = fc.FrameStream(fc.connect(QEMU), "be32")
c_ok = fc.connect_client(API)
fc.wait_for(lambda: len(fc.api_get(API, "/v1/ports")) == 2, 5, "two reader ports")
oversize0 = fc.api_get(API, "/stats")["Oversize"]

# 128 KiB exactly is a legal be32 frame: it reaches the other be32 peer.
bad = fc.FrameStream(fc.connect(QEMU), "be32")
big = fc.sized_frame(fc.BROADCAST, "02:00:00:00:0b:01", 128 * 1024, tag=b"exactly 128 KiB")
bad.send(big, timeout=10)
got = q_ok.recv_match(timeout=5)
assert got == big, "128 KiB frame: got %s" % (got and len(got))

# One byte more: that connection is closed and counted.
bad.send_raw(struct.pack(">I", 128 * 1024 + 1) + b"\x55" * 64)
assert bad.wait_closed(5), "be32 length 131073 did not close the connection"
bad.close()
fc.wait_for(lambda: fc.api_get(API, "/stats")["Oversize"] == oversize0 + 1, 5, "Oversize +1")

# Garbage on a qemu socket (a TLS ClientHello): 0x16030100 as a length.
g = fc.FrameStream(fc.connect(QEMU), "be32")
g.send_raw(bytes.fromhex("160301020001") + os.urandom(200))
assert g.wait_closed(5), "garbage did not close the be32 connection"
g.close()
fc.wait_for(lambda: fc.api_get(API, "/stats")["Oversize"] == oversize0 + 2, 5, "Oversize +2")

# Garbage on the API socket: 400, closed. An endless head: closed.
for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(100) + b"\r\n\r\n",
             b"GARBAGE\r\n\r\n", b"X" * 9000):
    s = fc.connect(API)
    s.sendall(junk)
    answer = b""
    s.settimeout(5)
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            answer += d
    except ConnectionResetError:
        pass
    s.close()
    assert answer.startswith(b"HTTP/1.1 400"), "junk %r answered %r" % (junk[:12], answer[:40])

# The well-behaved peers never noticed.
assert [p["transport"] for p in fc.api_get(API, "/v1/ports")] in (["qemu", "connect"], ["connect", "qemu"])
f = fc.eth_frame(fc.BROADCAST, "02:00:00:00:0a:01", b"qemu still works")
q_ok.send(f)
assert c_ok.recv_match(timeout=5) == f, "/connect peer after the bad ones"
f = fc.eth_frame("02:00:00:00:0a:01", "02:00:00:00:0a:02", b"connect still works")
c_ok.send(f)
assert q_ok.recv_match(timeout=5) == f, "qemu peer after the bad ones"
print("(a) oversize/garbage closed alone; Oversize", fc.api_get(API, "/stats")["Oversize"])
EOF
vgate_alive || fail "vgate died in (a)"
grep -q 'frame length over 131072 bytes: closing' "$T/vgate.log" || fail "(a) no oversize log line"
pass "(a) oversize and garbage close only their connection, counted"

# --- (b) runts ---------------------------------------------------------------
py <<'EOF' || fail "(b) runts"
import sys, os, struct, time, threading, json
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import framecli as fc
T = sys.argv[2]
API, QEMU = "unix://%s/api.sock" % T, "unix://%s/qemu.sock" % T
q = fc.FrameStream(fc.connect(QEMU), "be32")
c = fc.connect_client(API)
mac_q, mac_c = "02:00:00:00:0b:0e", "02:00:00:00:0b:0c"
fc.wait_for(lambda: len(fc.api_get(API, "/v1/ports")) == 2, 5, "two peers")
# Both learnt first, so the runts are charged to known ports.
q.send(fc.eth_frame(fc.BROADCAST, mac_q, b"hello from q"))
assert c.recv_match(timeout=5) is not None
c.send(fc.eth_frame(mac_q, mac_c, b"hello from c"))
assert q.recv_match(timeout=5) is not None
runts0 = fc.api_get(API, "/stats")["Runts"]

# le16 runts of 0, 1 and 13 bytes, then a frame, all in one write.
ok1 = fc.eth_frame(mac_q, mac_c, b"after le16 runts")
c.send_raw(b"\x00\x00" + fc.le16(b"\x01") + fc.le16(b"\x02" * 13) + fc.le16(ok1))
assert q.recv_match(timeout=5) == ok1, "le16 stream out of sync after runts"
# be32 runts, each in its own write, then a frame.
ok2 = fc.eth_frame(mac_c, mac_q, b"after be32 runts")
for r in (b"", b"\x01" * 5, b"\x02" * 13):
    q.send(r)
    time.sleep(0.02)
q.send(ok2)
assert c.recv_match(timeout=5) == ok2, "be32 stream out of sync after runts"
# Interleaved: runt, frame, runt, frame in one write on each side.
a1 = fc.eth_frame(mac_q, mac_c, b"i1")
a2 = fc.eth_frame(mac_q, mac_c, b"i2")
c.send_raw(fc.le16(b"\x03" * 7) + fc.le16(a1) + fc.le16(b"") + fc.le16(a2))
assert q.recv_match(timeout=5) == a1 and q.recv_match(timeout=5) == a2, "le16 interleaved"
b1 = fc.eth_frame(mac_c, mac_q, b"j1")
b2 = fc.eth_frame(mac_c, mac_q, b"j2")
q.send_raw(fc.be32(b"\x04" * 10) + fc.be32(b1) + fc.be32(b"\x05") + fc.be32(b2))
assert c.recv_match(timeout=5) == b1 and c.recv_match(timeout=5) == b2, "be32 interleaved"

pq = fc.port_by_mac(API, mac_q)
pc = fc.port_by_mac(API, mac_c)
assert pq and pq["rx_runts"] == 5, "qemu port: %s" % pq
assert pc and pc["rx_runts"] == 5, "connect port: %s" % pc
assert pq["rx_frames"] == 4 and pc["rx_frames"] == 4, (pq, pc)
runts = fc.api_get(API, "/stats")["Runts"]
assert runts == runts0 + 10, "/stats Runts %d, expected %d" % (runts, runts0 + 10)
print("(b) runts counted:", pq["rx_runts"], pc["rx_runts"], "total", runts)
EOF
pass "(b) runts are dropped and counted; streams stay in sync"

# --- (c) peers that vanish mid-frame ---------------------------------------------
py <<'EOF' || fail "(c) disconnect mid-frame"
import sys, os, struct, time, threading, json
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import framecli as fc
T = sys.argv[2]
API, QEMU = "unix://%s/api.sock" % T, "unix://%s/qemu.sock" % T
q = fc.FrameStream(fc.connect(QEMU), "be32")
c = fc.connect_client(API)
fc.wait_for(lambda: len(fc.api_get(API, "/v1/ports")) == 2, 5, "two peers")
for url, data in (
        (QEMU, fc.be32(fc.sized_frame(fc.BROADCAST, "02:00:00:00:0c:01", 1000))[:504]),
        (QEMU, b"\x00\x00"),
        (API, fc.CONNECT_REQUEST + fc.le16(fc.sized_frame(fc.BROADCAST, "02:00:00:00:0c:02", 1000))[:12]),
        (API, fc.CONNECT_REQUEST + b"\x10"),
        (API, b"POST /conn"),
        (QEMU, fc.be32(fc.sized_frame(fc.BROADCAST, "02:00:00:00:0c:03", 128 * 1024))[:70000])):
    s = fc.connect(url)
    s.sendall(data)
    time.sleep(0.05)
    s.close()
# A reset rather than a close, in the middle of a frame.
s = fc.connect(QEMU)
s.sendall(fc.be32(fc.sized_frame(fc.BROADCAST, "02:00:00:00:0c:04", 1500))[:800])
s.setsockopt(fc.socket.SOL_SOCKET, fc.socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
fc.wait_for(lambda: len(fc.api_get(API, "/v1/ports")) == 2, 5, "half-sent peers gone")
# Nothing half-sent leaked out as a frame.
assert q.drain(0.3) == [] and c.drain(0.1) == [], "a partial frame was forwarded"
f = fc.eth_frame(fc.BROADCAST, "02:00:00:00:0c:0e", b"still alive")
q.send(f)
assert c.recv_match(timeout=5) == f
print("(c) ok")
EOF
vgate_alive || fail "vgate died in (c)"
grep -q 'peer closed in the middle of a frame' "$T/vgate.log" || fail "(c) no mid-frame log line"
pass "(c) peers vanishing mid-frame or mid-request are harmless"

# --- (d) a peer that never reads --------------------------------------------------
vpid=$(cat "$T/vgate.pid")
py "$vpid" <<'EOF' || fail "(d) never-reading peer"
import sys, os, struct, time, threading, json
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import framecli as fc
T = sys.argv[2]
API, QEMU = "unix://%s/api.sock" % T, "unix://%s/qemu.sock" % T
vpid = int(sys.argv[3])
mac_r, mac_f, mac_w = "02:00:00:00:0d:01", "02:00:00:00:0d:02", "02:00:00:00:0d:03"
# R: a qemu peer with a small receive buffer that never reads.
rs = fc.connect(QEMU, rcvbuf=4096)
r = fc.FrameStream(rs, "be32")
f = fc.connect_client(API)   # F: the flooder
w = fc.connect_client(API)   # W: a peer that reads everything
fc.wait_for(lambda: len(fc.api_get(API, "/v1/ports")) == 3, 5, "three ports")
for fs, mac in ((r, mac_r), (f, mac_f), (w, mac_w)):
    fs.send(fc.eth_frame(fc.BROADCAST, mac, b"hello"))
fc.wait_for(lambda: all(fc.port_by_mac(API, m) for m in (mac_r, mac_f, mac_w)), 5, "three MACs")
w.drain(0.2)

# W reads in a thread and counts the flood frames.
counts = {"w": 0}
stop = threading.Event()
def reader():
    while not stop.is_set():
        try:
            fr = w.recv(0.1)
        except EOFError:
            return
        if fr is not None and fr[14:19] == b"flood":
            counts["w"] += 1
t = threading.Thread(target=reader, daemon=True)
t.start()

rss0 = fc.vm_rss_kb(vpid)
flood = fc.sized_frame(fc.BROADCAST, mac_f, 1400, tag=b"flood")
t0 = time.monotonic()
f.send_many([flood] * 10000, timeout=30)
fc.wait_for(lambda: fc.port_by_mac(API, mac_r)["tx_drops"] > 0, 10, "R's drops")
drops1 = fc.port_by_mac(API, mac_r)["tx_drops"]
rss_mid = fc.vm_rss_kb(vpid)
f.send_many([flood] * 10000, timeout=30)
took = time.monotonic() - t0
# vgate read the whole flood (the flooder's rx counter says so) ...
fc.wait_for(lambda: fc.port_by_mac(API, mac_f)["rx_frames"] >= 20001, 15,
            "vgate to read the whole flood")
# ... and R's queue stayed bounded: nearly all of it was dropped for R.
drops2 = fc.port_by_mac(API, mac_r)["tx_drops"]
assert drops2 > drops1, "R's tx_drops did not grow: %d then %d" % (drops1, drops2)
assert drops2 >= 20000 - (4 * 1024 * 1024) // 1404, "R's tx_drops only %d" % drops2
rss = fc.vm_rss_kb(vpid)
hwm = fc.vm_rss_kb(vpid, "VmHWM")
assert rss < 100 * 1024 and hwm < 100 * 1024, "vgate RSS %d kB, peak %d kB" % (rss, hwm)

# W was reading all along: wait until it has caught up (no news for 0.5 s).
last, quiet_since = -1, time.monotonic()
deadline = time.monotonic() + 15
while time.monotonic() < deadline and time.monotonic() - quiet_since < 0.5:
    if counts["w"] != last:
        last, quiet_since = counts["w"], time.monotonic()
    time.sleep(0.05)
stop.set()
t.join(5)
assert not t.is_alive()
assert counts["w"] > 0, "W got none of the flood"

# The flooder is unaffected: its connection still works both ways.
u = fc.eth_frame(mac_w, mac_f, b"F after the flood")
f.send(u)
assert w.recv_match(lambda x: x == u, timeout=5) == u, "unicast F->W after the flood"
v = fc.eth_frame(mac_f, mac_w, b"W to F")
w.send(v)
assert f.recv_match(lambda x: x == v, timeout=5) == v, "unicast W->F after the flood"
pw = fc.port_by_mac(API, mac_w)
print("(d) 20000 x 1400 B flood sent in %.2f s; R tx_drops %d -> %d; W read %d (W tx_drops %d); "
      "vgate RSS %d -> %d -> %d kB, peak %d kB"
      % (took, drops1, drops2, counts["w"], pw["tx_drops"], rss0, rss_mid, rss, hwm))
rs.close()
EOF
vgate_alive || fail "vgate died in (d)"
pass "(d) a peer that never reads costs bounded memory; others unaffected"
stop_vgate

# --- (e) what is already at the socket path ------------------------------------
stale="$T/stale.sock"
sx python3 -c 'import socket, sys; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' "$stale"
[ -S "$stale" ] || fail "(e) could not create a stale socket"
sx python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
try:
    s.connect(sys.argv[1])
except ConnectionRefusedError:
    sys.exit(0)
sys.exit(1)' "$stale" || fail "(e) the stale socket has a listener"
start_vgate -listen-qemu "unix://$stale" -listen "unix://$T/api.sock"
[ -S "$stale" ] || fail "(e) no socket at the stale path"
sx python3 "$E2E_DIR/framecli.py" send "unix://$stale" --framing be32 ||
	fail "(e) vgate does not serve the replaced socket"
wait_until 5 grep -q 'VM 02:00:00:00:00:01' "$T/vgate.log" || fail "(e) frame on the replaced socket not seen"
stop_vgate
pass "(e) a stale socket file is replaced"

live="$T/live.sock"
bg ip netns exec "$SBX" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
s.settimeout(1)
end = time.monotonic() + 60
while time.monotonic() < end:
    try:
        c = s.accept()[0]
        c.sendall(b"live")
        c.close()
    except (socket.timeout, OSError):
        pass
' "$live"
live_pid=$BG_PID
wait_until 5 test -S "$live" || fail "(e) live listener did not start"
rc=0
sx timeout 10 "$VGATE" -log-file "$T/live.log" -listen-qemu "unix://$live" 2>"$T/live.err" || rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then fail "(e) vgate on a live socket: exit $rc"; fi
grep -q 'address in use' "$T/live.log" || fail "(e) live socket: no 'address in use' in: $(cat "$T/live.log")"
answer=$(sx python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); print(s.recv(4).decode())
' "$live") || fail "(e) the live listener lost its socket"
[ "$answer" = live ] || fail "(e) the live listener answered '$answer'"
kill "$live_pid"
wait "$live_pid" 2>/dev/null || true
pass "(e) a live socket: exit $rc, 'address in use', the other listener untouched"

regular="$T/regular"
echo "not a socket" >"$regular"
rc=0
sx timeout 10 "$VGATE" -log-file "$T/regular.log" -listen-qemu "unix://$regular" 2>"$T/regular.err" || rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then fail "(e) vgate on a regular file: exit $rc"; fi
grep -q 'not a socket' "$T/regular.log" || fail "(e) regular file: no 'not a socket' in: $(cat "$T/regular.log")"
[ "$(cat "$regular")" = "not a socket" ] || fail "(e) the regular file was touched"
pass "(e) a regular file: exit $rc, 'not a socket', file untouched"

# --- (f) unknown URL scheme ------------------------------------------------------
rc=0
sx timeout 10 "$VGATE" -log-file "$T/scheme.log" -listen-qemu 'foo:///x' 2>"$T/scheme.err" || rc=$?
if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then fail "(f) unknown scheme: exit $rc"; fi
grep -q 'unknown URL scheme' "$T/scheme.log" || fail "(f) no 'unknown URL scheme' in: $(cat "$T/scheme.log")"
[ ! -e /x ] || fail "(f) something was created at /x"
pass "(f) unknown URL scheme: exit $rc with the reason"

# --- (g) -notification -------------------------------------------------------------
bg ip netns exec "$SBX" python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
s.settimeout(60)
c = s.accept()[0]
c.settimeout(60)
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        d = c.recv(4096)
        if not d:
            break
        out.write(d)
' "$T/notify.sock" "$T/notify.log"
wait_until 5 test -S "$T/notify.sock" || fail "(g) notification server did not start"
start_vgate -listen "unix://$T/api.sock" -listen-qemu "unix://$T/qemu.sock" \
	-notification "unix://$T/notify.sock"
py <<'EOF' || fail "(g) notifications"
import sys, os, struct, time, threading, json
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import framecli as fc
T = sys.argv[2]
API, QEMU = "unix://%s/api.sock" % T, "unix://%s/qemu.sock" % T
LOG = "%s/notify.log" % T
def events():
    with open(LOG) as f:
        text = f.read()
    assert text == "" or text.endswith("\n"), "partial line: %r" % text[-80:]
    return [json.loads(l) for l in text.splitlines()]
fc.wait_for(lambda: events(), 5, "the ready event")
assert events()[0] == {"notification_type": "ready"}, events()

mac = "02:00:00:00:00:01"
c = fc.connect_client(API)
c.send(fc.eth_frame(fc.BROADCAST, mac, b"hello"))
est = {"notification_type": "connection_established", "mac_address": mac}
fc.wait_for(lambda: est in events(), 5, "connection_established for %s" % mac)
assert all(e.get("notification_type") != "connection_closed" for e in events()), events()
c.close()
closed = {"notification_type": "connection_closed", "mac_address": mac}
fc.wait_for(lambda: closed in events(), 5, "connection_closed for %s" % mac)

# An oversized frame from a known VM is a hypervisor error, then a close.
mac2 = "02:00:00:00:00:02"
q = fc.FrameStream(fc.connect(QEMU), "be32")
q.send(fc.eth_frame(fc.BROADCAST, mac2, b"hello"))
fc.wait_for(lambda: {"notification_type": "connection_established", "mac_address": mac2} in events(),
            5, "connection_established for %s" % mac2)
q.send_raw(struct.pack(">I", 0x7FFFFFFF))
assert q.wait_closed(5)
err = {"notification_type": "hypervisor_error", "mac_address": mac2}
fc.wait_for(lambda: err in events(), 5, "hypervisor_error for %s" % mac2)
fc.wait_for(lambda: {"notification_type": "connection_closed", "mac_address": mac2} in events(),
            5, "connection_closed for %s" % mac2)
for e in events():
    assert set(e) <= {"notification_type", "mac_address"}, e
print("(g) events:", [(e["notification_type"], e.get("mac_address")) for e in events()])
EOF
pass "(g) -notification: ready, connection_established/closed with the MAC, hypervisor_error"
stop_vgate
