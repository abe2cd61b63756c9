#!/usr/bin/env bash
# -listen-vpnkit: the VPNKit handshake as hyperkit/wsl-vpnkit clients speak
# it (49-byte hello echoed byte for byte, 41-byte command, 258-byte reply
# with status 1, MTU 1500, 1514 and a MAC, zeros after it), then two
# clients exchange le16 frames through the switch (broadcast flooded,
# unicast to a learnt MAC). A client with a wrong magic or a wrong command
# is closed alone; the others and new clients keep working.
. "$(dirname "$0")/lib.sh"
e2e_init

start_vgate -listen "unix://$T/api.sock" -listen-vpnkit "unix://$T/vpnkit.sock"

sx timeout 40 python3 - "$E2E_DIR" "$T" <<'EOF' || fail "vpnkit handshake and frame exchange"
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import framecli as fc

T = sys.argv[2]
URL = "unix://%s/vpnkit.sock" % T

def client(uuid):
    s = fc.connect(URL)
    hello = fc.vpnkit_hello(version=22, commit=b"7c3f4a5e" * 5)
    s.sendall(hello)
    echo = fc.recv_exact(s, 49)
    assert echo == hello, "echo differs: %s vs %s" % (echo.hex(), hello.hex())
    s.sendall(fc.vpnkit_command(uuid))
    raw = fc.recv_exact(s, 258)
    assert raw[0] == 1, "reply byte 0 is %d" % raw[0]
    r = fc.parse_vpnkit_reply(raw)
    assert r["mtu"] == 1500, "MTU %d" % r["mtu"]
    assert r["max_frame"] == 1514, "max frame %d" % r["max_frame"]
    assert r["mac"] != "00:00:00:00:00:00", "zero MAC"
    assert not (fc.mac_bytes(r["mac"])[0] & 1), "group MAC %s" % r["mac"]
    assert r["tail_zero"], "bytes 11..257 not zero: %s" % raw[11:].hex()
    return fc.FrameStream(s, "le16"), r["mac"]

a, mac_a = client("11111111-2222-3333-4444-555555555555")
b, mac_b = client("66666666-7777-8888-9999-aaaaaaaaaaaa")
assert mac_a != mac_b, "both clients got %s" % mac_a
print("handshakes ok: A=%s B=%s" % (mac_a, mac_b))

# A broadcasts (the switch learns A's MAC); B gets it byte for byte.
bcast = fc.sized_frame(fc.BROADCAST, mac_a, 300, tag=b"A-broadcast")
a.send(bcast)
got = b.recv_match(timeout=5)
assert got is not None, "B did not receive A's broadcast"
assert got == bcast, "B got a different frame (%d bytes)" % len(got)

# B answers by unicast to A's learnt MAC.
ucast = fc.sized_frame(mac_a, mac_b, 1514, tag=b"B-unicast")
b.send(ucast)
got = a.recv_match(timeout=5)
assert got is not None, "A did not receive B's unicast"
assert got == ucast, "A got a different frame: %r" % got[:20]
# A's own broadcast never came back to it, and nothing else is pending.
assert a.drain(0.3) == [] and b.drain(0.1) == [], "unexpected extra frames"
print("broadcast and unicast ok")

# A wrong magic: that connection alone is closed, no echo.
bad = fc.connect(URL)
bad.sendall(fc.vpnkit_hello(magic=b"VMN2T"))
assert fc.wait_closed(bad, 5), "bad hello connection not closed"
bad.close()

# A wrong command byte after a good hello: closed too.
bad = fc.connect(URL)
hello = fc.vpnkit_hello()
bad.sendall(hello)
assert fc.recv_exact(bad, 49) == hello
bad.sendall(fc.vpnkit_command(command=9))
assert fc.wait_closed(bad, 5), "bad command connection not closed"
bad.close()

# A and B still talk, both ways.
f1 = fc.eth_frame(mac_b, mac_a, b"after-bad-hello A->B")
a.send(f1)
assert b.recv_match(timeout=5) == f1, "A->B after bad clients"
f2 = fc.eth_frame(mac_a, mac_b, b"after-bad-hello B->A")
b.send(f2)
assert a.recv_match(timeout=5) == f2, "B->A after bad clients"

# A new client still gets through the handshake, and frames it sends in the
# same write as its command (before reading the reply) are kept.
s = fc.connect(URL)
c_mac = "02:00:00:00:00:0c"
early = fc.eth_frame(fc.BROADCAST, c_mac, b"C-early")
r = fc.vpnkit_handshake(s, uuid="cccccccc-cccc-cccc-cccc-cccccccccccc", extra=fc.le16(early))
assert r["status"] == 1 and r["mtu"] == 1500
c = fc.FrameStream(s, "le16")
assert a.recv_match(timeout=5) == early, "A missed C's frame sent with its command"
assert b.recv_match(timeout=5) == early, "B missed C's frame sent with its command"
print("bad hellos closed alone; a new client works")
EOF
pass "handshake bytes, broadcast and unicast between two vpnkit clients"

vgate_alive || fail "vgate died"
grep -q 'bad vpnkit handshake' "$T/vgate.log" || fail "log does not name the bad handshake"
no_ports() { [ "$(api /v1/ports | json_get 'len(j)')" -eq 0 ]; }
wait_until 5 no_ports || fail "ports left after clients closed: $(api /v1/ports)"
pass "bad hellos closed only their connection; vgate kept serving"

stop_vgate
[ ! -e "$T/vpnkit.sock" ] || fail "vpnkit socket left behind"
pass "clean shutdown"
