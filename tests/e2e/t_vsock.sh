#!/usr/bin/env bash
# -listen vsock://:1024 with a Python AF_VSOCK client on CID 1 (local
# loopback): POST /connect, then le16 frames to a unix /connect peer.
#
# These machines are guests whose only vsock leads to their own hypervisor,
# so AF_VSOCK is never touched unless VGATE_TEST_VSOCK=1 says this machine
# has a vsock loopback transport (vsock_loopback) it is safe to use. The
# vsock listener shares its framing code with the unix transports, which
# t_connect.sh and t_bad_input.sh cover.
. "$(dirname "$0")/lib.sh"

[ "${VGATE_TEST_VSOCK:-}" = 1 ] ||
	skip "AF_VSOCK is off limits here (set VGATE_TEST_VSOCK=1 on a machine with vsock_loopback)"

e2e_init
start_vgate -listen "unix://$T/api.sock" -listen "vsock://:1024"

sx timeout 30 python3 - "$E2E_DIR" "$T" <<'EOF' || fail "frames over vsock"
import socket, sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import framecli as fc

T = sys.argv[2]
u = fc.connect_client("unix://%s/api.sock" % T)
v = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
v.settimeout(5)
v.connect((socket.VMADDR_CID_LOCAL if hasattr(socket, "VMADDR_CID_LOCAL") else 1, 1024))
v.sendall(fc.CONNECT_REQUEST)
vs = fc.FrameStream(v, "le16")
fc.wait_for(lambda: len(fc.api_get("unix://%s/api.sock" % T, "/v1/ports")) == 2, 5, "vsock port")
f = fc.sized_frame(fc.BROADCAST, "02:00:00:00:05:01", 1514, tag=b"over vsock")
vs.send(f)
assert u.recv_match(timeout=5) == f, "vsock -> unix"
g = fc.eth_frame("02:00:00:00:05:01", "02:00:00:00:05:02", b"back over vsock")
u.send(g)
assert vs.recv_match(timeout=5) == g, "unix -> vsock"
EOF
pass "le16 frames cross between a vsock /connect client and a unix one"
stop_vgate
