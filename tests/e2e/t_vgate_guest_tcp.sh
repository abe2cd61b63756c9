#!/usr/bin/env bash
# vgate-guest over TCP with busybox udhcpc as its DHCP client. The guest
# namespace reaches vgate's TCP listener over a separate veth to the
# sandbox (10.77.0.0/30: like a VM's management link; its only route is that
# /30), while its real traffic goes through the tap:
#   - udhcpc (busybox, run as its applet) gets the lease and vgate-guest,
#     as udhcpc's script, configures it (address, route, -resolv file)
#   - curl reaches the sandbox's loopback server via 192.168.127.254
#   - vgate restarted: the link comes back, udhcpc is told to renew, curl
#     works again
#   - SIGTERM: udhcpc releases the lease through the link before
#     vgate-guest exits 0
#   - a second guest over TCP with the builtin client gets a lease and curls
. "$(dirname "$0")/lib.sh"
e2e_init

GUEST=${VGATE_GUEST:-$VGATE_BUILD/vgate-guest}
[ -x "$GUEST" ] || fail "no vgate-guest at $GUEST (run make first)"
command -v busybox >/dev/null || skip "needs busybox (udhcpc)"
MAC=02:00:00:00:00:31
PORT=17411

ns=$(guest_ns b)
ip link add "vgt$$m" netns "$SBX" type veth peer name mgmt0 netns "$ns"
ip -n "$SBX" addr add 10.77.0.1/30 dev "vgt$$m"
ip -n "$ns" addr add 10.77.0.2/30 dev mgmt0
ip -n "$SBX" link set "vgt$$m" up
ip -n "$ns" link set mgmt0 up

start_vgate -listen "tcp://10.77.0.1:$PORT"
mkdir -p "$T/www"
echo "hello over tcp" >"$T/www/index.html"
bg ip netns exec "$SBX" python3 -m http.server 8000 --bind 127.0.0.1 --directory "$T/www" \
	>"$T/http.log" 2>&1
wait_until 10 sx curl -sf -o /dev/null http://127.0.0.1:8000/ || fail "http.server did not start"

bg ip netns exec "$ns" "$GUEST" -url "tcp://10.77.0.1:$PORT/connect" -mac "$MAC" -dhcp udhcpc \
	-resolv "$T/guest-resolv.conf" -log-file "$T/guest.log" >"$T/guest.out" 2>&1
GUEST_PID=$BG_PID

guest_addr() { gx "$ns" ip -4 -o addr show dev tap0 | awk '{ print $4 }'; }
has_lease() { [ -n "$(guest_addr)" ]; }
fetch() { gx "$ns" curl -sf --max-time 5 http://192.168.127.254:8000/index.html; }
connects() { grep -c 'link: connected to' "$T/guest.log" || true; }
leases() { sx curl -sf --max-time 5 "http://10.77.0.1:$PORT/services/dhcp/leases"; }
vgate_has_lease() { leases | grep -q "\"$MAC\""; }
released() { ! vgate_has_lease; }

wait_until 20 has_lease || fail "no lease on tap0: $(tail -5 "$T/guest.log"; cat "$T/guest.out")"
addr=$(guest_addr)
grep -q 'started udhcpc' "$T/guest.log" || fail "udhcpc was not the client"
grep -q 'udhcpc bound' "$T/guest.log" || fail "vgate-guest did not run as udhcpc's script"
gx "$ns" ip route show default | grep -q 'via 192.168.127.1 dev tap0' ||
	fail "no default route via the gateway: $(gx "$ns" ip route)"
grep -q '^nameserver 192.168.127.1$' "$T/guest-resolv.conf" ||
	fail "resolv.conf: $(cat "$T/guest-resolv.conf" 2>&1)"
vgate_has_lease || fail "vgate has no lease for us: $(leases)"
[ "$(fetch)" = "hello over tcp" ] || fail "curl through 192.168.127.254 failed"
pass "TCP link + busybox udhcpc: $addr, default route, resolv.conf; curl via 192.168.127.254"

before=$(connects)
stop_vgate
wait_until 10 grep -q 'link to .* lost' "$T/guest.log" || fail "loss of the link not noticed"
start_vgate -listen "tcp://10.77.0.1:$PORT"
reconnected() { [ "$(connects)" -gt "$before" ]; }
wait_until 15 reconnected || fail "no reconnect: $(tail -5 "$T/guest.log")"
wait_until 15 fetch >/dev/null || fail "traffic did not flow again after the restart"
wait_until 15 vgate_has_lease || fail "udhcpc did not renew with the new vgate: $(leases)"
pass "vgate restarted: reconnected over TCP, udhcpc renewed, curl works"

kill -TERM "$GUEST_PID"
rc=0
wait "$GUEST_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "vgate-guest exited with $rc on SIGTERM"
wait_until 5 released || fail "udhcpc's release did not reach vgate: $(leases)"
pass "SIGTERM: udhcpc released the lease through the link, exit 0"

ns2=$(guest_ns b2)
ip link add "vgt$$n" netns "$SBX" type veth peer name mgmt0 netns "$ns2"
ip -n "$SBX" addr add 10.77.0.5/30 dev "vgt$$n"
ip -n "$ns2" addr add 10.77.0.6/30 dev mgmt0
ip -n "$SBX" link set "vgt$$n" up
ip -n "$ns2" link set mgmt0 up
# vgate listens on 10.77.0.1, another of the sandbox's own addresses.
ip -n "$ns2" route add 10.77.0.0/30 via 10.77.0.5
bg ip netns exec "$ns2" "$GUEST" -url "tcp://10.77.0.1:$PORT" -mac 02:00:00:00:00:32 \
	-dhcp=builtin -resolv=none -log-file "$T/guest2.log"
GUEST2_PID=$BG_PID
has_lease2() { gx "$ns2" ip -4 -o addr show dev tap0 | grep -q 'inet 192\.168\.127\.'; }
wait_until 20 has_lease2 || fail "builtin guest over TCP got no lease: $(tail -5 "$T/guest2.log")"
[ "$(gx "$ns2" curl -sf --max-time 5 http://192.168.127.254:8000/index.html)" = "hello over tcp" ] ||
	fail "builtin guest over TCP: curl failed"
kill -TERM "$GUEST2_PID"
wait "$GUEST2_PID" || fail "builtin guest did not exit 0"
pass "second guest over TCP (no path in the URL: POST /connect) with -dhcp=builtin: lease, curl"
stop_vgate
