#!/usr/bin/env bash
# vgate-guest against bad input and a misbehaving peer:
#   - malformed or unsupported -url values and unknown flags: exit 2 with a
#     message, before any tap is created
#   - the tap is attached to another process, the name belongs to a device
#     that is not a tap, -preexisting names nothing, the tap belongs to
#     another user (vgate-guest run without capabilities): exit 1 with a message naming
#     the cause
#   - nothing listens at the -url: it retries quietly (few wake-ups, one
#     warning), then connects when a peer appears
#   - a fake vgate that never answers DHCP: DISCOVERs back off (not a
#     storm), a warning says no server answers; the peer then dies in the
#     middle of a frame: vgate-guest says so and redials
#   - a frame longer than the tap's MTU: dropped with a warning, and the
#     link still carries the next frame (an ARP request the guest answers)
# The fake peer is a Python /connect server on a unix socket in $T.
. "$(dirname "$0")/lib.sh"
e2e_init

GUEST=${VGATE_GUEST:-$VGATE_BUILD/vgate-guest}
[ -x "$GUEST" ] || fail "no vgate-guest at $GUEST (run make first)"
ns=$(guest_ns e)

# expect_exit CODE TEXT ARGS...: vgate-guest ARGS exits with CODE, saying TEXT.
expect_exit() {
	local code=$1 text=$2 rc=0
	shift 2
	gx "$ns" timeout 10 "$GUEST" "$@" >"$T/out" 2>&1 || rc=$?
	[ "$rc" -eq "$code" ] || fail "vgate-guest $*: exit $rc, want $code: $(cat "$T/out")"
	grep -q -- "$text" "$T/out" || fail "vgate-guest $*: no '$text' in: $(cat "$T/out")"
}
expect_exit 2 "unsupported scheme" -url "http://10.0.0.1/connect"
expect_exit 2 "unsupported scheme" -url "unixgram:///tmp/x.sock"
expect_exit 2 "malformed" -url "vsock://:1024/connect"
expect_exit 2 "malformed" -url "tcp://10.0.0.1/connect"
expect_exit 2 "malformed" -url "tcp://10.0.0.1:99999"
expect_exit 2 "malformed" -url "tcp://10.0.0.1:80/con nect"
expect_exit 2 "malformed" -url "stdio:"
expect_exit 2 "malformed" -url "stdio:/bin/true?a=%zz"
# (Always an explicit unix -url: the vsock default is never in play.)
U=(-url "unix://$T/x.sock")
expect_exit 2 "flag provided but not defined: -nope" "${U[@]}" -nope
expect_exit 2 "flag needs an argument: -url" "${U[@]}" -url
expect_exit 2 "-mtu 70000" "${U[@]}" -mtu 70000
expect_exit 2 "-mac 01:00:00:00:00:01" "${U[@]}" -mac 01:00:00:00:00:01
expect_exit 2 "-dhcp maybe" "${U[@]}" -dhcp maybe
gx "$ns" ip link show tap0 >/dev/null 2>&1 && fail "a usage error created a tap"
pass "bad -url values and flags: exit 2 with a message, no tap created"

# --- taps that cannot be used -------------------------------------------------------
bg ip netns exec "$ns" "$GUEST" -url "unix://$T/nobody-here.sock" -dhcp none -log-file "$T/idle.log"
IDLE=$BG_PID
wait_until 10 gx "$ns" ip link show tap0 || fail "the first vgate-guest made no tap"
expect_exit 1 "tap tap0 is already attached to another process" -url "unix://$T/x.sock" -dhcp none
ip -n "$ns" link add tap1 type veth peer name tap1p
expect_exit 1 "tap1 exists and is not a tap device" -url "unix://$T/x.sock" -iface tap1
expect_exit 1 "-preexisting: there is no interface tap9" -url "unix://$T/x.sock" -iface tap9 -preexisting
ip -n "$ns" tuntap add dev tap2 mode tap user 4242
if command -v setpriv >/dev/null; then
	rc=0
	# root without any capability: the tap's owner check applies to it
	gx "$ns" timeout 10 setpriv --inh-caps=-all --bounding-set=-all "$GUEST" -url "unix://$T/x.sock" -iface tap2 -preexisting \
		>"$T/out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "tap of another user: exit $rc: $(cat "$T/out")"
	grep -q "tap tap2 belongs to another user" "$T/out" || fail "tap of another user: $(cat "$T/out")"
	pass "taps in use, not taps, missing with -preexisting, or another user's: exit 1, cause named"
else
	pass "taps in use, not taps, missing with -preexisting: exit 1, cause named (no setpriv)"
fi

# Nobody at the URL: the first vgate-guest retries with backoff.
ctxt() { awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$IDLE/status"; }
c1=$(ctxt)
sleep 3
c2=$(ctxt)
[ $((c2 - c1)) -lt 100 ] || fail "$((c2 - c1)) context switches in 3 s with nobody to connect to"
[ "$(grep -c 'cannot reach' "$T/idle.log")" -eq 1 ] || fail "expected one warning: $(cat "$T/idle.log")"
kill -TERM "$IDLE"
rc=0
wait "$IDLE" || rc=$?
[ "$rc" -eq 0 ] || fail "idle vgate-guest exited with $rc"
pass "nothing at the URL: $((c2 - c1)) wake-ups in 3 s, one warning, clean exit"

# --- a fake vgate -------------------------------------------------------------------
cat >"$T/fake.py" <<'PY'
import os, socket, struct, sys, time

path, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(4)
srv.settimeout(30)

def note(msg):
    with open(out, "a") as f:
        f.write(msg + "\n")

def accept():
    c, _ = srv.accept()
    c.settimeout(1)
    head = b""
    while b"\r\n\r\n" not in head:
        head += c.recv(1)
    assert head.startswith(b"POST /connect HTTP/1.1\r\n"), head
    note("connected")
    return c

def frames(c, seconds):
    """Yield frames (le16) arriving within @seconds."""
    buf, end = b"", time.time() + seconds
    while time.time() < end:
        try:
            d = c.recv(65536)
        except socket.timeout:
            continue
        if not d:
            return
        buf += d
        while len(buf) >= 2:
            n = struct.unpack("<H", buf[:2])[0]
            if len(buf) < 2 + n:
                break
            yield buf[2:2 + n]
            buf = buf[2 + n:]

def is_discover(f):
    return (len(f) > 282 and f[12:14] == b"\x08\x00" and f[14 + 9] == 17
            and f[36:38] == b"\x00\x43" and b"\x35\x01\x01" in f[278:])

def eth(dst, src, typ, payload):
    return bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", "")) + \
        struct.pack("!H", typ) + payload

def le16(f):
    return struct.pack("<H", len(f)) + f

GW = "5a:94:ef:e4:0c:dd"
if mode == "silent":
    c = accept()
    n = sum(1 for f in frames(c, 16) if is_discover(f))
    note("discovers %d" % n)
    c.sendall(struct.pack("<H", 100) + b"x" * 30)  # half a frame, then gone
    c.close()
    accept()
    time.sleep(60)
elif mode == "oversize":
    c = accept()
    while not os.path.exists(out + ".go"):
        time.sleep(0.05)
    c.sendall(le16(eth("ff:ff:ff:ff:ff:ff", GW, 0x88B5, b"\0" * 8986)))  # 9000 bytes
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + bytes.fromhex(GW.replace(":", "")) + \
        socket.inet_aton("192.168.127.1") + b"\0" * 6 + socket.inet_aton("192.168.127.9")
    c.sendall(le16(eth("ff:ff:ff:ff:ff:ff", GW, 0x0806, arp)))
    for f in frames(c, 10):
        if f[12:14] == b"\x08\x06" and f[20:22] == b"\x00\x02" and \
                f[28:32] == socket.inet_aton("192.168.127.9"):
            note("arp reply")
            break
    time.sleep(60)
PY

# DHCP nobody answers, then death in the middle of a frame.
bg ip netns exec "$ns" "$GUEST" -url "unix://$T/fake.sock" -dhcp builtin -resolv none \
	-log-file "$T/silent.log"
SILENT=$BG_PID
bg ip netns exec "$SBX" python3 "$T/fake.py" "$T/fake.sock" silent "$T/silent.out"
wait_until 30 grep -q '^discovers' "$T/silent.out" || fail "fake peer saw no DHCP: $(cat "$T/silent.log")"
n=$(awk '/^discovers/ { print $2 }' "$T/silent.out")
if [ "$n" -lt 2 ] || [ "$n" -gt 10 ]; then
	fail "$n DISCOVERs in 16 s: want a bounded retry (2-10)"
fi
grep -q 'no DHCP server has answered' "$T/silent.log" || fail "no warning about the silent DHCP server"
wait_until 15 grep -q 'in the middle of a frame' "$T/silent.log" || fail "mid-frame loss not reported"
reconnected() { [ "$(grep -c '^connected' "$T/silent.out")" -ge 2 ]; }
wait_until 15 reconnected || fail "no redial after the peer died: $(tail -3 "$T/silent.log")"
kill -0 "$SILENT" || fail "vgate-guest died"
kill -TERM "$SILENT"
wait "$SILENT" || fail "vgate-guest did not exit 0"
pass "silent DHCP: $n DISCOVERs in 16 s and a warning; peer gone mid-frame: reported, redialled"

# A 9000-byte frame for a 1500-byte tap, then an ARP request.
bg ip netns exec "$SBX" python3 "$T/fake.py" "$T/fake2.sock" oversize "$T/over.out"
wait_until 10 test -S "$T/fake2.sock" || fail "fake peer did not start"
bg ip netns exec "$ns" "$GUEST" -url "unix://$T/fake2.sock" -dhcp none -mtu 1500 \
	-log-file "$T/over.log"
OVER=$BG_PID
wait_until 10 grep -q connected "$T/over.out" || fail "no connection to the fake peer"
gx "$ns" ip addr add 192.168.127.9/24 dev tap0
touch "$T/over.out.go"
wait_until 15 grep -q 'arp reply' "$T/over.out" || fail "no ARP reply after the oversized frame"
grep -q 'dropped a 9000-byte frame from vgate' "$T/over.log" || fail "no warning about the frame"
kill -TERM "$OVER"
wait "$OVER" || fail "vgate-guest did not exit 0"
grep -q '1 over the MTU' "$T/over.log" || fail "oversized frame not counted: $(tail -2 "$T/over.log")"
pass "a frame over the tap's MTU: dropped, reported, counted; the next frame got through"
