#!/usr/bin/env bash
# vgate-guest over a unix socket with its builtin DHCP client, in a guest
# namespace under the sandbox:
#   - the tap gets the lease vgate hands out (address, default route, MTU),
#     and -resolv writes the lease's DNS server (never the machine's file)
#   - curl in the guest reaches a python http.server on the sandbox's
#     loopback through the host alias 192.168.127.254
#   - vgate stopped: vgate-guest redials with bounded backoff and uses
#     almost no CPU meanwhile (a handful of wake-ups, not a spin); vgate
#     started again: the link comes back, the lease is confirmed with the new
#     vgate (INIT-REBOOT), and curl works again
#   - a second guest on the same socket with busybox udhcpc instead: it
#     gets its own lease, curls the host, and the two guests ping each
#     other through vgate's switch
#   - SIGTERM: vgate-guest releases its lease (vgate forgets it) and exits 0
. "$(dirname "$0")/lib.sh"
e2e_init

GUEST=${VGATE_GUEST:-$VGATE_BUILD/vgate-guest}
[ -x "$GUEST" ] || fail "no vgate-guest at $GUEST (run make first)"
MAC=02:00:00:00:00:21

start_vgate -listen "unix://$T/api.sock"
mkdir -p "$T/www"
echo "hello from the host" >"$T/www/index.html"
bg ip netns exec "$SBX" python3 -m http.server 8000 --bind 127.0.0.1 --directory "$T/www" \
	>"$T/http.log" 2>&1
wait_until 10 sx curl -sf -o /dev/null http://127.0.0.1:8000/ || fail "http.server did not start"

ns=$(guest_ns a)
bg ip netns exec "$ns" "$GUEST" -url "unix://$T/api.sock" -mac "$MAC" -dhcp builtin \
	-resolv "$T/guest-resolv.conf" -log-file "$T/guest.log" -debug
GUEST_PID=$BG_PID

guest_addr() { gx "$ns" ip -4 -o addr show dev tap0 | awk '{ print $4 }'; }
has_lease() { [ -n "$(guest_addr)" ]; }
fetch() { gx "$ns" curl -sf --max-time 5 http://192.168.127.254:8000/index.html; }
connects() { grep -c 'link: connected to' "$T/guest.log" || true; }
leases() { api /services/dhcp/leases; }
vgate_has_lease() { leases | grep -q "\"$MAC\""; }
released() { ! vgate_has_lease; }

wait_until 15 has_lease || fail "no lease on tap0: $(tail -5 "$T/guest.log")"
addr=$(guest_addr)
case $addr in 192.168.127.*/24) ;; *) fail "unexpected address $addr" ;; esac
gx "$ns" ip route show default | grep -q 'via 192.168.127.1 dev tap0' ||
	fail "no default route via the gateway: $(gx "$ns" ip route)"
[ "$(gx "$ns" cat /sys/class/net/tap0/address)" = "$MAC" ] || fail "tap MAC not set"
[ "$(gx "$ns" cat /sys/class/net/tap0/mtu)" = 1500 ] || fail "tap MTU not 1500"
grep -q '^nameserver 192.168.127.1$' "$T/guest-resolv.conf" ||
	fail "resolv.conf: $(cat "$T/guest-resolv.conf")"
leases | grep -q "\"${addr%/*}\":\"$MAC\"" || fail "vgate has no lease for us: $(leases)"
pass "builtin DHCP: $addr, default route via 192.168.127.1, MTU 1500, resolv.conf"

[ "$(fetch)" = "hello from the host" ] || fail "curl through 192.168.127.254 failed"
pass "curl from the guest reached the sandbox's loopback server via 192.168.127.254"

# --- a second guest, udhcpc over the same unix socket -----------------------------------
if command -v busybox >/dev/null; then
	ns2=$(guest_ns a2)
	bg ip netns exec "$ns2" "$GUEST" -url "unix://$T/api.sock" -mac 02:00:00:00:00:22 \
		-dhcp udhcpc -resolv none -log-file "$T/guest2.log" >"$T/guest2.out" 2>&1
	GUEST2_PID=$BG_PID
	has_lease2() { gx "$ns2" ip -4 -o addr show dev tap0 | grep -q 'inet 192\.168\.127\.'; }
	wait_until 20 has_lease2 || fail "udhcpc guest got no lease: $(tail -5 "$T/guest2.log")"
	addr2=$(gx "$ns2" ip -4 -o addr show dev tap0 | awk '{ print $4 }')
	[ "$(gx "$ns2" curl -sf --max-time 5 http://192.168.127.254:8000/index.html)" = \
		"hello from the host" ] || fail "udhcpc guest: curl failed"
	gx "$ns" ping -c 1 -W 5 "${addr2%/*}" >/dev/null || fail "guest 1 cannot ping guest 2"
	gx "$ns2" ping -c 1 -W 5 "${addr%/*}" >/dev/null || fail "guest 2 cannot ping guest 1"
	kill -TERM "$GUEST2_PID"
	wait "$GUEST2_PID" || fail "udhcpc guest did not exit 0"
	pass "second guest (udhcpc): $addr2, curl via 192.168.127.254, guests ping each other"
fi

# --- vgate goes away -------------------------------------------------------------
stop_vgate
wait_until 10 grep -q 'link to .* lost' "$T/guest.log" || fail "loss of the link not noticed"
# Redialling is bounded backoff: over 3 s the process wakes a few times
# (about 5 s between dials at most), where a busy loop would wake thousands.
ctxt() { awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$GUEST_PID/status"; }
sleep 3
c1=$(ctxt)
sleep 3
c2=$(ctxt)
[ $((c2 - c1)) -lt 100 ] || fail "$((c2 - c1)) context switches in 3 s while disconnected"
kill -0 "$GUEST_PID" || fail "vgate-guest died without vgate"
pass "while vgate is away: $((c2 - c1)) wake-ups in 3 s, still running"

before=$(connects)
start_vgate -listen "unix://$T/api.sock"
reconnected() { [ "$(connects)" -gt "$before" ]; }
wait_until 15 reconnected || fail "no reconnect: $(tail -5 "$T/guest.log")"
wait_until 15 fetch >/dev/null || fail "traffic did not flow again after the restart"
wait_until 10 vgate_has_lease ||
	fail "the new vgate never learnt our lease: $(leases)"
[ "$(guest_addr)" = "$addr" ] || fail "address changed across the restart: $(guest_addr)"
pass "after vgate restarted: reconnected, lease confirmed ($addr kept), curl works"

# --- clean exit ----------------------------------------------------------------------
kill -TERM "$GUEST_PID"
rc=0
wait "$GUEST_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "vgate-guest exited with $rc on SIGTERM"
wait_until 5 released ||
	fail "lease not released: $(leases)"
grep -q 'frames: ' "$T/guest.log" || fail "no statistics line at exit"
pass "SIGTERM: lease released, exit 0"
stop_vgate
