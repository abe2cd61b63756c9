#!/usr/bin/env bash
# vgate-guest -url vsock://1:1024/connect (CID 1: the local loopback
# transport) to vgate -listen vsock://:1024: the builtin client gets a lease
# over vsock and curl reaches the sandbox's loopback server.
#
# These machines are guests whose only vsock leads to their own hypervisor,
# so AF_VSOCK is never touched unless VGATE_TEST_VSOCK=1 says this machine
# has a vsock loopback transport (vsock_loopback) it is safe to use. The
# vsock dial is a thin layer over the same link code the unix, TCP and stdio
# tests exercise (t_vgate_guest.sh, t_vgate_guest_tcp.sh, t_vgate_guest_stdio.sh).
. "$(dirname "$0")/lib.sh"

[ "${VGATE_TEST_VSOCK:-}" = 1 ] ||
	skip "AF_VSOCK is off limits here (set VGATE_TEST_VSOCK=1 on a machine with vsock_loopback)"

e2e_init
GUEST=${VGATE_GUEST:-$VGATE_BUILD/vgate-guest}
[ -x "$GUEST" ] || fail "no vgate-guest at $GUEST (run make first)"
start_vgate -listen "unix://$T/api.sock" -listen "vsock://:1024"
mkdir -p "$T/www"
echo "hello over vsock" >"$T/www/index.html"
bg ip netns exec "$SBX" python3 -m http.server 8000 --bind 127.0.0.1 --directory "$T/www" \
	>"$T/http.log" 2>&1
wait_until 10 sx curl -sf -o /dev/null http://127.0.0.1:8000/ || fail "http.server did not start"

ns=$(guest_ns v)
bg ip netns exec "$ns" "$GUEST" -url "vsock://1:1024/connect" -dhcp builtin -resolv none \
	-log-file "$T/guest.log"
GUEST_PID=$BG_PID
has_lease() { gx "$ns" ip -4 -o addr show dev tap0 | grep -q 'inet 192\.168\.127\.'; }
wait_until 20 has_lease || fail "no lease over vsock: $(tail -5 "$T/guest.log")"
[ "$(gx "$ns" curl -sf --max-time 5 http://192.168.127.254:8000/index.html)" = "hello over vsock" ] ||
	fail "curl through 192.168.127.254 failed"
kill -TERM "$GUEST_PID"
wait "$GUEST_PID" || fail "vgate-guest did not exit 0"
pass "vsock: lease and curl via 192.168.127.254"
stop_vgate
