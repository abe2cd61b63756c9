#!/usr/bin/env bash
# gvproxy's /tunnel: "GET /tunnel?ip=A&port=N" on the API socket is answered
# with the two raw bytes "OK" and then carries raw TCP to A:N, dialled from
# the gateway inside the virtual network. Bytes sent right behind the
# request are kept; data flows both ways byte-exact; half-close works;
# targets outside the network, the gateway itself and bad ports get 400.
. "$(dirname "$0")/lib.sh"
e2e_init

ns=$(guest_ns a)
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure

# The guest's "sshd": echoes until EOF, then sends a trailer and closes.
cat >"$T/guest_echo.py" <<'PY'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 22))
s.listen(4)
open(__import__("sys").argv[1], "w").close()
while True:
    c, _ = s.accept()
    c.settimeout(20)
    while True:
        d = c.recv(65536)
        if not d:
            break
        c.sendall(d)
    c.sendall(b"BYE")
    c.close()
PY
bg gx "$ns" python3 "$T/guest_echo.py" "$T/echo.ready"
wait_until 10 test -e "$T/echo.ready" || fail "guest echo server did not start"

cat >"$T/client.py" <<'PY'
import hashlib, os, socket, sys
path, query = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
s.settimeout(20)
s.connect(path)
first = os.urandom(1000)
# The head and the first tunnel bytes in one write: they must not be lost.
s.sendall(b"GET /tunnel?" + query.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n" + first)
ok = b""
while len(ok) < 2:
    d = s.recv(2 - len(ok))
    if not d:
        break
    ok += d
if ok != b"OK":
    got = ok + s.recv(200)
    print("answer:", got[:80])
    sys.exit(2)
blob = first + os.urandom(3 * 1024 * 1024)
s.sendall(blob[len(first):])
s.shutdown(socket.SHUT_WR)
back = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    back += d
if back != blob + b"BYE":
    print("mismatch: sent %d bytes, got %d" % (len(blob), len(back)))
    sys.exit(1)
print("ok %s" % hashlib.sha256(blob).hexdigest()[:16])
PY
out=$(sx python3 "$T/client.py" "$T/api.sock" "ip=192.168.127.2&port=22") ||
	fail "tunnel: $out"
pass "/tunnel: OK, then 3 MB echoed byte-exact, read-ahead bytes kept, half-close carried ($out)"

for q in "ip=10.0.0.1&port=22" "ip=192.168.127.1&port=22" "ip=192.168.127.2&port=0" \
	"ip=192.168.127.2" "port=22" "ip=nonsense&port=22"; do
	a=$(sx curl -s --max-time 5 -w ' %{http_code}' --unix-socket "$T/api.sock" \
		"http://vgate/tunnel?$q")
	[[ $a == *" 400" ]] || fail "/tunnel?$q answered '$a' (want 400)"
done
pass "/tunnel refuses addresses outside the network, the gateway and bad ports with 400"

vgate_alive || fail "vgate died"
stop_vgate
pass "clean exit with the tunnel machinery torn down"
