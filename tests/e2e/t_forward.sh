#!/usr/bin/env bash
# Port forwarding host -> guest and the forwarder API (guest namespace from
# --netns-configure at 192.168.127.2; "host" is the sandbox):
#   - expose 127.0.0.1:8080 -> guest:80 (busybox httpd) through the unix API
#     socket; a 10 MB file fetched through it has the same sha256;
#     /services/forwarder/all lists it, sorted, with the -ssh-port forward
#   - exposing the same local again: 500 "proxy already running ...\n";
#     bad specs (port out of range, unknown protocol, bad JSON) get 400/500
#   - half-close both ways and 300 sequential connections through a forward;
#     a guest port where nothing listens resets the host connection
#   - unexpose closes the listener (connect refused) and its live
#     connections; unexposing again: 500 "proxy not found\n"
#   - a UDP forward round trip (python echo server in the guest)
#   - a unix-socket forward under the API socket's directory; paths outside,
#     with "..", or with a NUL byte are refused
#   - the guest exposes its own port through http://192.168.127.1/services/
#     forwarder/expose with remote ":8081" and the host reaches it;
#     --guest-api-token: 401 without or with a wrong token, 200 with it;
#     other routes are 404 there
#   - -ssh-port: 127.0.0.1:N reaches a test listener on the guest's port 22
#   - 1,000 expose + unexpose calls leave vgate's fd count where it was
. "$(dirname "$0")/lib.sh"
e2e_init

TOOL=$E2E_DIR/tcp_tool.py
GW=192.168.127.1
SSH_PORT=2223
TOKEN=s3cr3t-$$

# post PATH BODY [SOCKET]: POST to the API; prints "<status> <body>".
post() {
	local out
	out=$(sx curl -s --max-time 10 --unix-socket "${3:-$T/api.sock}" -o "$T/post.out" \
		-w '%{http_code}' -X POST --data-binary "$2" "http://vgate$1") || true
	printf '%s %s' "$out" "$(cat "$T/post.out")"
}
# expect_post PATH BODY STATUS [TEXT]: the answer's status (and body) must match.
expect_post() {
	local got
	got=$(post "$1" "$2")
	if [ $# -ge 4 ]; then
		[ "$got" = "$3 $4" ] || fail "POST $1 $2: got '$got', want '$3 $4'"
	else
		[ "${got%% *}" = "$3" ] || fail "POST $1 $2: got '$got', want status $3"
	fi
}
expose() { expect_post /services/forwarder/expose "$1" 200 ""; }
unexpose() { expect_post /services/forwarder/unexpose "$1" 200 ""; }
fds() { find "/proc/$VGATE_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
guest_listens() { gx "$ns" ss -Hln "$1" | grep -q ":$2 "; }
refused() { ! sx curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$1/"; }

ns=$(guest_ns a)
printf '%s\n' "$TOKEN" >"$T/token"
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	-ssh-port "$SSH_PORT" --guest-api-token "$T/token"

# --- a TCP forward to busybox httpd -----------------------------------------------
mkdir -p "$T/www"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$T/www/file"
want=$(sha256sum <"$T/www/file" | cut -d' ' -f1)
bg gx "$ns" busybox httpd -f -p 80 -h "$T/www"
wait_until 10 guest_listens -t 80 || fail "httpd did not start in the guest"

expose '{"local":"127.0.0.1:8080","remote":"192.168.127.2:80"}'
got=$(sx curl -sf --max-time 60 "http://127.0.0.1:8080/file" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "10 MB through the forward: sha256 $got, want $want"
pass "10 MB from the guest's httpd through 127.0.0.1:8080 arrived intact"

all=$(api /services/forwarder/all)
[ "$all" = '[{"local":"127.0.0.1:2223","remote":"192.168.127.2:22","protocol":"tcp"},{"local":"127.0.0.1:8080","remote":"192.168.127.2:80","protocol":"tcp"}]' ] ||
	fail "/services/forwarder/all: $all"
pass "/services/forwarder/all lists both forwards, sorted"

expect_post /services/forwarder/expose '{"local":"127.0.0.1:8080","remote":"192.168.127.2:80"}' \
	500 "proxy already running for tcp on 127.0.0.1:8080"
expect_post /services/forwarder/expose '{"local":"127.0.0.1:70000","remote":"192.168.127.2:80"}' 500
expect_post /services/forwarder/expose '{"local":"127.0.0.1:8082","remote":"192.168.127.2:0"}' 500
expect_post /services/forwarder/expose '{"local":"127.0.0.1:8082","remote":"192.168.127.2"}' 400 \
	"address 192.168.127.2: missing port in address"
expect_post /services/forwarder/expose '{"local":"127.0.0.1:8082","remote":"10.0.0.1:80"}' 500
expect_post /services/forwarder/expose \
	'{"local":"127.0.0.1:8082","remote":"192.168.127.2:80","protocol":"sctp"}' 500 \
	"unknown protocol sctp"
expect_post /services/forwarder/expose '{"local":' 400
expect_post /services/forwarder/expose '' 400 "EOF"
expect_post /services/forwarder/expose '{"local":8082}' 400
# ":8080" is another key; binding all addresses then fails on the port.
expect_post /services/forwarder/expose '{"local":":8080","remote":"192.168.127.2:80"}' 500 \
	"listen tcp :8080: bind: address already in use"
sx curl -s --max-time 5 --unix-socket "$T/api.sock" -o "$T/get.out" -w '%{http_code}' \
	http://vgate/services/forwarder/expose >"$T/code"
[ "$(cat "$T/code") $(cat "$T/get.out")" = "400 post only" ] || fail "GET expose: $(cat "$T/code")"
pass "duplicate and bad exposes answered with gvproxy's texts and codes"

# --- relaying rules ------------------------------------------------------------------
bg gx "$ns" python3 "$TOOL" half-server 0.0.0.0:9001 "$T/half.ready"
bg gx "$ns" python3 "$TOOL" shut-server 0.0.0.0:9002 "$T/shut.ready" "$T/shut.out"
bg gx "$ns" python3 "$TOOL" echo-server 0.0.0.0:9003 "$T/echo.ready"
wait_until 10 test -e "$T/half.ready" -a -e "$T/shut.ready" -a -e "$T/echo.ready" ||
	fail "guest test servers did not start"
for p in 9001 9002 9003 9004; do
	expose "{\"local\":\"127.0.0.1:$p\",\"remote\":\"192.168.127.2:$p\"}"
done
out=$(sx timeout 60 python3 "$TOOL" half-client 127.0.0.1 9001) || fail "host-first half-close: $out"
sent=$(sx timeout 60 python3 "$TOOL" shut-client 127.0.0.1 9002 $((2 * 1024 * 1024))) ||
	fail "guest-first half-close: $sent"
wait_until 10 test -s "$T/shut.out" || fail "guest-first half-close: the guest never saw EOF"
[ "$(cat "$T/shut.out")" = "$sent" ] || fail "half-close: guest got $(cat "$T/shut.out"), sent $sent"
pass "half-close works both ways through a forward"
out=$(sx timeout 120 python3 "$TOOL" seq 127.0.0.1 9003 300) || fail "300 connections: $out"
out=$(sx timeout 30 python3 "$TOOL" connect 127.0.0.1 9004 10)
case $out in
ConnectionResetError | connected) ;;
*) fail "forward to a closed guest port: $out" ;;
esac
sx python3 - <<'EOF' 2>&1 || fail "a forward to a closed guest port was not reset"
import socket
try:
    s = socket.create_connection(("127.0.0.1", 9004), timeout=5)
    s.settimeout(15)
    data = s.recv(1)
    assert data == b"", data
except ConnectionResetError:
    pass  # the reset may even beat connect()'s SO_ERROR check
EOF
pass "300 sequential connections echoed; a closed guest port resets the host side"

# --- unexpose ----------------------------------------------------------------------
# A live connection (to the guest's echo server) dies with its forward.
sx python3 - >"$T/live.out" 2>&1 <<'EOF' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", 9003), timeout=10)
s.sendall(b"x")
assert s.recv(1) == b"x"
print("open", flush=True)
time.sleep(3)
s.settimeout(10)
try:
    s.sendall(b"y")
    d = s.recv(1)
    print("alive" if d else "eof")
except (ConnectionResetError, BrokenPipeError):
    print("reset")
EOF
live=$!
wait_until 10 grep -q open "$T/live.out" || fail "no live connection through 9003"
unexpose '{"local":"127.0.0.1:9003","protocol":"tcp"}'
wait "$live" || fail "live connection client: $(cat "$T/live.out")"
grep -Eq '^(reset|eof)$' "$T/live.out" || fail "a live connection survived unexpose: $(cat "$T/live.out")"
unexpose '{"local":"127.0.0.1:8080","protocol":"tcp"}'
refused 8080 || fail "127.0.0.1:8080 still accepts after unexpose"
expect_post /services/forwarder/unexpose '{"local":"127.0.0.1:8080","protocol":"tcp"}' 500 \
	"proxy not found"
pass "unexpose closed the listener and its live connection; again: proxy not found"

# --- UDP -----------------------------------------------------------------------------
bg gx "$ns" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7777))
while True:
    d, a = s.recvfrom(65535)
    s.sendto(b"echo:" + d, a)
'
wait_until 10 guest_listens -u 7777 || fail "UDP echo did not start in the guest"
expose '{"local":"127.0.0.1:7777","remote":"192.168.127.2:7777","protocol":"udp"}'
sx python3 - <<'EOF' || fail "UDP round trip through the forward"
import socket
for name in ("a", "b"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for i in range(5):
        msg = ("hello-%s-%d" % (name, i)).encode()
        s.sendto(msg, ("127.0.0.1", 7777))
        try:
            d, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        assert d == b"echo:" + msg, d
        break
    else:
        raise SystemExit("no UDP answer for client " + name)
EOF
pass "UDP forward: two clients each got their own echo"

# --- unix ----------------------------------------------------------------------------
expose "{\"local\":\"$T/fwd.sock\",\"remote\":\"tcp://192.168.127.2:80\",\"protocol\":\"unix\"}"
[ "$(stat -c %a "$T/fwd.sock")" = 600 ] || fail "unix forward socket is not 0600"
got=$(sx curl -sf --max-time 60 --unix-socket "$T/fwd.sock" "http://guest/file" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "unix forward: sha256 $got, want $want"
expect_post /services/forwarder/expose \
	'{"local":"/etc/vgate-x.sock","remote":"tcp://192.168.127.2:80","protocol":"unix"}' 500
expect_post /services/forwarder/expose \
	"{\"local\":\"$T/../x.sock\",\"remote\":\"tcp://192.168.127.2:80\",\"protocol\":\"unix\"}" 500
expect_post /services/forwarder/expose \
	"{\"local\":\"$T/y.sock\\u0000x\",\"remote\":\"tcp://192.168.127.2:80\",\"protocol\":\"unix\"}" 500
expect_post /services/forwarder/expose \
	"{\"local\":\"$T/z.sock\",\"remote\":\"ssh-tunnel://192.168.127.2:22/x\",\"protocol\":\"unix\"}" 500 \
	"remote protocol for unix forwarder is not implemented: ssh-tunnel"
if [ -e "$T/y.sock" ] || [ -e /etc/vgate-x.sock ]; then fail "a refused unix path was created"; fi
unexpose "{\"local\":\"$T/fwd.sock\",\"protocol\":\"unix\"}"
[ ! -e "$T/fwd.sock" ] || fail "unexpose left the unix socket file behind"
pass "unix forward: 10 MB intact; outside, '..' and NUL paths refused; socket removed on unexpose"

# --- the in-network API ----------------------------------------------------------------
guest_curl() { gx "$ns" curl -s --max-time 10 -o "$T/g.out" -w '%{http_code}' "$@"; }
[ "$(guest_curl "http://$GW/services/forwarder/all")" = 401 ] || fail "no token: not 401"
[ "$(guest_curl -H "Authorization: Bearer wrong" "http://$GW/services/forwarder/all")" = 401 ] ||
	fail "wrong token: not 401"
[ "$(guest_curl -H "Authorization: Bearer $TOKEN" "http://$GW/services/forwarder/all")" = 200 ] ||
	fail "right token: not 200"
grep -q '"local":"127.0.0.1:9001"' "$T/g.out" || fail "guest /all: $(cat "$T/g.out")"
[ "$(guest_curl -H "Authorization: Bearer $TOKEN" "http://$GW/stats")" = 404 ] ||
	fail "/stats served on the in-network API"
pass "in-network API: 401 without or with a wrong token, 200 with it, other routes 404"

bg gx "$ns" busybox httpd -f -p 8081 -h "$T/www"
wait_until 10 guest_listens -t 8081 || fail "httpd on 8081 did not start"
code=$(guest_curl -H "Authorization: Bearer $TOKEN" -X POST \
	-d '{"local":"127.0.0.1:8081","remote":":8081"}' "http://$GW/services/forwarder/expose")
[ "$code" = 200 ] || fail "guest expose: $code $(cat "$T/g.out")"
api /services/forwarder/all | grep -q '"local":"127.0.0.1:8081","remote":"192.168.127.2:8081"' ||
	fail "guest expose not listed with the guest's address: $(api /services/forwarder/all)"
got=$(sx curl -sf --max-time 60 "http://127.0.0.1:8081/file" | sha256sum | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "guest-exposed port: sha256 $got, want $want"
pass "the guest exposed :8081 through gateway:80 (remote filled in) and the host reached it"

# --- -ssh-port ---------------------------------------------------------------------------
bg gx "$ns" python3 -c '
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 22))
s.listen(8)
while True:
    c, _ = s.accept()
    c.sendall(b"SSH-2.0-vgate-test\r\n")
    c.close()
'
wait_until 10 guest_listens -t 22 || fail "test listener on guest port 22 did not start"
banner=$(sx python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", '"$SSH_PORT"'), timeout=10)
s.settimeout(10)
print(s.recv(100).decode().strip())
')
[ "$banner" = "SSH-2.0-vgate-test" ] || fail "-ssh-port: got '$banner'"
pass "-ssh-port $SSH_PORT reached the guest's port 22"

# --- 1,000 expose calls ------------------------------------------------------------------
idle=$(fds)
sx python3 - "$T/api.sock" <<'EOF' || fail "1000 expose/unexpose calls"
import http.client, json, socket, sys

class UnixConn(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("vgate", timeout=10)
        self.path = path
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)

c = UnixConn(sys.argv[1])
def call(path, body):
    c.request("POST", path, body=json.dumps(body))
    r = c.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit("%s %s: %d %r" % (path, body, r.status, data))
for i in range(1000):
    call("/services/forwarder/expose",
         {"local": "127.0.0.1:%d" % (20000 + i), "remote": "192.168.127.2:80"})
c.request("GET", "/services/forwarder/all")
n = len(json.loads(c.getresponse().read()))
if n < 1000:
    raise SystemExit("only %d forwards listed" % n)
for i in range(1000):
    call("/services/forwarder/unexpose", {"local": "127.0.0.1:%d" % (20000 + i)})
EOF
wait_until 10 test "$(fds)" -le "$idle" || fail "fds: $(fds) after 1000 expose/unexpose, $idle before"
vgate_alive || fail "vgate died"
pass "1000 exposes and unexposes: fds back to $idle"

stop_vgate

pass "vgate exited cleanly"
