#!/usr/bin/env bash
# POST /connect on a -listen socket, as gvforwarder sends it: no answer, and
# the le16 frames that follow the request head in the same write are kept
# (gvproxy loses them). Also a head split over two writes with frames
# behind the second part, and a frame split across writes. -services serves
# the same API without /connect: 404 there, GET /stats still works.
. "$(dirname "$0")/lib.sh"
e2e_init

start_vgate -listen "unix://$T/api.sock" -services "unix://$T/svc.sock"

sx timeout 40 python3 - "$E2E_DIR" "$T" <<'EOF' || fail "/connect read-ahead"
import sys, time
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import framecli as fc

T = sys.argv[2]
API = "unix://%s/api.sock" % T

def nports():
    return len(fc.api_get(API, "/v1/ports"))

# B attaches first and waits; it never sends, so only broadcast reaches it.
b = fc.connect_client(API)
fc.wait_for(lambda: nports() == 1, 5, "B to attach")
ports = fc.api_get(API, "/v1/ports")
assert ports[0]["transport"] == "connect", ports

# A: request head and two frames in one send().
mac_a = "02:00:00:00:0a:01"
f1 = fc.sized_frame(fc.BROADCAST, mac_a, 60, tag=b"first frame")
f2 = fc.sized_frame(fc.BROADCAST, mac_a, 1514, tag=b"second frame")
s = fc.connect(API)
s.sendall(fc.CONNECT_REQUEST + fc.le16(f1) + fc.le16(f2))
got1 = b.recv_match(timeout=5)
got2 = b.recv_match(timeout=2) if got1 else None
if got1 is None:
    s.settimeout(1)
    try:
        answer = s.recv(300)
    except OSError as e:
        answer = repr(e)
    raise AssertionError("B got no frame; A's connection got %r" % (answer,))
a = fc.FrameStream(s, "le16")
assert got1 == f1, "first read-ahead frame: %r" % (got1[:24] if got1 else None)
assert got2 == f2, "second read-ahead frame: %r" % (got2[:24] if got2 else None)
# /connect writes no response: A has received nothing at all.
assert a.recv(0.3) is None, "A received bytes after /connect"
print("two frames sent with the request head arrived at B")

# C: head split in two writes, the second carrying the rest of the head,
# one whole frame and half of another; the other half comes later.
mac_c = "02:00:00:00:0c:01"
g1 = fc.sized_frame(fc.BROADCAST, mac_c, 100, tag=b"C one")
g2 = fc.sized_frame(fc.BROADCAST, mac_c, 900, tag=b"C two")
s = fc.connect(API)
cut = 20
s.sendall(fc.CONNECT_REQUEST[:cut])
time.sleep(0.2)
rest = fc.CONNECT_REQUEST[cut:] + fc.le16(g1) + fc.le16(g2)[:300]
s.sendall(rest)
got = b.recv_match(timeout=5)
assert got == g1, "C's first frame: %r" % (got[:24] if got else None)
time.sleep(0.2)
s.sendall(fc.le16(g2)[300:])
got = b.recv_match(timeout=5)
assert got == g2, "C's split frame: %r" % (got[:24] if got else None)
got = a.recv_match(timeout=5)
assert got == g1, "A did not get C's broadcast"
assert a.recv_match(timeout=5) == g2
c = fc.FrameStream(s, "le16")

# Unicast back to A's learnt MAC reaches only A.
u = fc.eth_frame(mac_a, mac_c, b"C to A")
c.send(u)
assert a.recv_match(timeout=5) == u, "unicast to A"
assert b.drain(0.3) == [], "B saw a unicast meant for A"

ports = fc.api_get(API, "/v1/ports")
macs = sorted(p["mac"] for p in ports)
assert macs == ["", mac_a, mac_c], macs
pa = [p for p in ports if p["mac"] == mac_a][0]
assert pa["rx_frames"] == 2 and pa["rx_bytes"] == 60 + 1514, pa
pb = [p for p in ports if p["mac"] == ""][0]
assert pb["tx_frames"] == 4, pb
print("split head and split frame ok; counters", pa, pb)
EOF
pass "frames sent right behind the /connect head are kept"

# -services: same API, no /connect.
sx python3 "$E2E_DIR/framecli.py" get "unix://$T/svc.sock" /connect --method POST --expect 404 \
	>/dev/null || fail "-services must answer 404 to POST /connect"
stats=$(sx python3 "$E2E_DIR/framecli.py" get "unix://$T/svc.sock" /stats) || fail "GET /stats on -services"
sent=$(json_get 'j["BytesSent"]' <<<"$stats")
rcvd=$(json_get 'j["BytesReceived"]' <<<"$stats")
[ "$rcvd" -ge $((60 + 1514 + 100 + 900 + 60)) ] || fail "BytesReceived $rcvd: $stats"
[ "$sent" -ge "$rcvd" ] || fail "BytesSent $sent < BytesReceived $rcvd: $stats"
api /v1/ports "$T/svc.sock" >/dev/null || fail "GET /v1/ports on -services"
api /nope "$T/svc.sock" && fail "unknown path answered 200"
pass "-services refuses /connect (404) and serves /stats"

vgate_alive || fail "vgate died"
stop_vgate
[ ! -e "$T/api.sock" ] || fail "api.sock left behind"
[ ! -e "$T/svc.sock" ] || fail "svc.sock left behind"
pass "clean shutdown"
