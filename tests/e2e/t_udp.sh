#!/usr/bin/env bash
# Guest UDP through vgate's flows (host sockets), from a guest namespace
# configured by --netns-configure (.2/24, default route via .1):
#   - a round trip to the host alias 192.168.127.254 reaches an echo server
#     on the sandbox's 127.0.0.1 and the reply comes back from .254 (the
#     address the guest used, not the NAT target), with the same bytes;
#     datagrams of MTU - 28 bytes go both ways, a reply one byte larger is
#     dropped (vgate does not fragment)
#   - a closed host port gives the guest's connected socket ECONNREFUSED
#     (ICMP port unreachable) within 2 s
#   - dig through the NAT to a DNS test server on the host loopback works
#   - --no-host-loopback: the same round trip gets no reply
#   - --egress-deny 127.0.0.1/32: ICMP admin prohibited, which Linux
#     reports on a connected UDP socket as EHOSTUNREACH
#   - 3000 datagrams to 3000 ports: vgate survives, has at most
#     UDP_FLOWS_PER_GUEST (1024) flows (host sockets) open for the guest at
#     once, warns that the cap was reached, and is back to its idle fd
#     count after --udp-idle-timeout 2
. "$(dirname "$0")/lib.sh"
command -v dig >/dev/null || skip "needs dig"
e2e_init

NET=192.168.127
ECHO_PORT=7777
CLOSED_PORT=7778
DNS_PORT=5300
PER_GUEST=1024

cat >"$T/udptool.py" <<'EOF'
import errno, os, socket, struct, sys, time

def server(port, ready, log):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(port)))
    open(ready, "w").close()
    while True:
        data, peer = s.recvfrom(65535)
        with open(log, "a") as f:
            f.write("%s:%d %d\n" % (peer[0], peer[1], len(data)))
        if data == b"big":
            data = b"B" * int(os.environ.get("BIG", "1473"))
        elif data == b"fit":
            data = b"F" * int(os.environ.get("FIT", "1472"))
        s.sendto(data, peer)

def rt(host, port, size="32"):
    # Unconnected socket: recvfrom shows who answered.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    msg = os.urandom(int(size) // 2).hex().encode()
    s.sendto(msg, (host, int(port)))
    try:
        data, peer = s.recvfrom(65535)
    except socket.timeout:
        print("TIMEOUT")
        return 2
    print("%s %s %d" % ("OK" if data == msg else "MISMATCH", peer[0], peer[1]))
    return 0 if data == msg else 1

def size(host, port, what):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.sendto(what.encode(), (host, int(port)))
    try:
        data, _ = s.recvfrom(65535)
    except socket.timeout:
        print("TIMEOUT")
        return 0
    print(len(data))
    return 0

def connected(host, port):
    # Connected socket: ICMP errors become socket errors.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((host, int(port)))
    s.send(b"anyone?")
    try:
        s.recv(65535)
        print("DATA")
    except socket.timeout:
        print("TIMEOUT")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
    return 0

def flood(host, n, base):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(int(n)):
        s.sendto(b"x", (host, int(base) + i))
        if i % 50 == 49:
            time.sleep(0.005)  # let the tap drain: the point is flows, not loss
    return 0

sys.exit(globals()[sys.argv[1]](*sys.argv[2:]))
EOF

echo "nameserver 127.0.0.1" >"$T/resolv.conf"
bg sx python3 "$T/udptool.py" server "$ECHO_PORT" "$T/echo.ready" "$T/echo.log"
bg sx python3 "$E2E_DIR/dnsserver.py" --listen "127.0.0.1:$DNS_PORT" --ready "$T/dns.ready" \
	--log "$T/dns.log" --record fwd.example.test. A 60 10.9.8.7
wait_until 10 test -e "$T/echo.ready" || fail "echo server did not start"
wait_until 10 test -e "$T/dns.ready" || fail "DNS server did not start"
: >"$T/echo.log"

ns=$(guest_ns g)
gtool() { gx "$ns" python3 "$T/udptool.py" "$@"; }
fds() { find "/proc/$VGATE_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
fds_at_most() { [ "$(fds)" -le "$1" ]; }
echo_count() { wc -l <"$T/echo.log"; }

start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	--resolv-conf "$T/resolv.conf" --udp-idle-timeout 2
idle_fds=$(fds)

out=$(gtool rt "$NET.254" "$ECHO_PORT") || fail "round trip via $NET.254: $out"
[ "$out" = "OK $NET.254 $ECHO_PORT" ] || fail "round trip: $out"
grep -q "^127.0.0.1:" "$T/echo.log" || fail "echo server saw: $(cat "$T/echo.log")"
pass "UDP round trip to $NET.254:$ECHO_PORT reached 127.0.0.1; reply from $NET.254 with the same bytes"

out=$(gtool rt "$NET.254" "$ECHO_PORT" 1472) || fail "1472-byte round trip: $out"
out=$(gtool size "$NET.254" "$ECHO_PORT" fit)
[ "$out" = 1472 ] || fail "1472-byte reply: $out"
out=$(gtool size "$NET.254" "$ECHO_PORT" big)
[ "$out" = TIMEOUT ] || fail "1473-byte reply should be dropped, got: $out"
pass "1472-byte datagrams (MTU - 28) go both ways; a 1473-byte reply is dropped, not fragmented"

start=$SECONDS
out=$(gtool connected "$NET.254" "$CLOSED_PORT")
[ "$out" = ECONNREFUSED ] || fail "closed port: guest saw $out"
[ $((SECONDS - start)) -le 3 ] || fail "ECONNREFUSED took $((SECONDS - start)) s"
pass "closed host port: the guest's connected socket gets ECONNREFUSED"

out=$(gx "$ns" dig +short +time=2 +tries=1 -p "$DNS_PORT" @"$NET.254" fwd.example.test A) ||
	fail "dig via $NET.254: $out"
[ "$out" = 10.9.8.7 ] || fail "dig via $NET.254 answered '$out'"
grep -q "fwd.example.test." "$T/dns.log" || fail "DNS server saw no query"
pass "DNS over UDP through the NAT to a server on the host loopback"

# Flood: one datagram to each of 3000 ports (nothing listens on them),
# once the flows above have expired, so the cap is the only limit.
wait_until 10 fds_at_most "$idle_fds" || fail "earlier flows did not expire: $(fds) fds"
gtool flood "$NET.254" 3000 20000 || fail "flood client failed"
vgate_alive || fail "vgate died in the flood"
wait_until 5 grep -q "UDP_FLOWS_PER_GUEST reached" "$T/vgate.log" ||
	fail "no per-guest cap warning after 3000 flows"
peak=$(fds)
[ "$peak" -le $((idle_fds + PER_GUEST + 8)) ] ||
	fail "$peak fds open (idle $idle_fds): more than $PER_GUEST flows for one guest"
# Every "new flow" debug line ends with the number of flows open.
most=$(awk '/ udp: new flow / { if ($(NF - 1) > m) m = $(NF - 1) } END { print m + 0 }' "$T/vgate.log")
[ "$most" -eq "$PER_GUEST" ] || fail "at most $most flows were open at once (cap $PER_GUEST)"
wait_until 10 fds_at_most "$idle_fds" ||
	fail "fds did not return to $idle_fds after the idle timeout: $(fds)"
out=$(gtool rt "$NET.254" "$ECHO_PORT") || fail "round trip after the flood: $out"
pass "3000-port flood: $most flows at most (the cap), $((peak - idle_fds)) host sockets after it, back to $idle_fds fds after expiry, still working"
stop_vgate

start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	--resolv-conf "$T/resolv.conf" --no-host-loopback
before=$(echo_count)
out=$(gtool rt "$NET.254" "$ECHO_PORT") && fail "--no-host-loopback: got a reply: $out"
[ "$out" = TIMEOUT ] || fail "--no-host-loopback: $out"
[ "$(echo_count)" = "$before" ] || fail "--no-host-loopback: the echo server got the datagram"
pass "--no-host-loopback: no reply, nothing reached the host loopback"
stop_vgate

start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	--resolv-conf "$T/resolv.conf" --egress-deny 127.0.0.1/32
before=$(echo_count)
out=$(gtool connected "$NET.254" "$ECHO_PORT")
[ "$out" = EHOSTUNREACH ] || fail "--egress-deny: guest saw $out (expected EHOSTUNREACH from ICMP 3/13)"
[ "$(echo_count)" = "$before" ] || fail "--egress-deny: the echo server got the datagram"
grep -q "egress policy refuses 127.0.0.1:$ECHO_PORT" "$T/vgate.log" || fail "refusal not logged"
pass "--egress-deny 127.0.0.1/32: ICMP admin prohibited (EHOSTUNREACH in the guest), nothing sent"
stop_vgate
