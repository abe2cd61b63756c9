#!/usr/bin/env bash
# The auto-forward agent: guest listeners become host ports without any API
# call from the test. vgate requires a token on its in-network API here
# (--guest-api-token); the agents get it with -api-token.
#   - vgate-guest -auto-forward: a busybox httpd started in the guest on
#     0.0.0.0:8080 becomes reachable on the host (the sandbox) at
#     127.0.0.1:8080; killed, it is unexposed (connect refused, gone from
#     /services/forwarder/all)
#   - a server bound to the guest's loopback only (127.0.0.1:8081) is not
#     exposed; a UDP socket on 0.0.0.0:7000 is (udp 127.0.0.1:7000)
#   - vgate restarted: the agent notices the forwards are gone and exposes
#     them again
#   - SIGTERM: vgate-guest unexposes what it exposed before it exits
#   - vgate-guest forward-ports (the agent alone) with -include 9000-9100
#     and -host-port-offset 1000: guest :9001 -> host 127.0.0.1:10001;
#     guest :8080 (not included) is left alone
. "$(dirname "$0")/lib.sh"
e2e_init

GUEST=${VGATE_GUEST:-$VGATE_BUILD/vgate-guest}
[ -x "$GUEST" ] || fail "no vgate-guest at $GUEST (run make first)"
command -v busybox >/dev/null || skip "needs busybox (httpd)"
TOKEN=tok-$$
printf '%s\n' "$TOKEN" >"$T/token"
VGATE_ARGS=(-listen "unix://$T/api.sock" --guest-api-token "$T/token" -ssh-port -1)
start_vgate "${VGATE_ARGS[@]}"

mkdir -p "$T/www"
echo "served by the guest" >"$T/www/index.html"
ns=$(guest_ns d)
bg ip netns exec "$ns" "$GUEST" -url "unix://$T/api.sock" -dhcp builtin -resolv none \
	-auto-forward -api-token "$T/token" -log-file "$T/guest.log" -debug
GUEST_PID=$BG_PID
wait_until 15 sh -c "ip -n '$ns' -4 -o addr show dev tap0 | grep -q 192.168.127." ||
	fail "no lease: $(tail -5 "$T/guest.log")"

forwards() { api /services/forwarder/all; }
listed() { forwards | grep -q "\"local\":\"$1\",\"remote\":\"[0-9.]*:$2\",\"protocol\":\"$3\""; }
not_listed() { ! listed "$@"; }
host_get() { sx curl -sf --max-time 5 "http://127.0.0.1:$1/index.html"; }
host_refused() { ! sx curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$1/"; }

guest_listens() { gx "$ns" ss -Hln "$1" | grep -q "$2"; }
# The loopback-only server first: every scan that exposes 8080 later saw it.
bg ip netns exec "$ns" busybox httpd -f -p 127.0.0.1:8081 -h "$T/www"
wait_until 10 guest_listens -t '127.0.0.1:8081 ' || fail "httpd on 127.0.0.1:8081 did not start"
bg ip netns exec "$ns" busybox httpd -f -p 0.0.0.0:8080 -h "$T/www"
HTTPD=$BG_PID
bg ip netns exec "$ns" python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7000))
time.sleep(600)
'
wait_until 20 listed 127.0.0.1:8080 8080 tcp || fail "8080 never exposed: $(forwards)"
[ "$(host_get 8080)" = "served by the guest" ] || fail "host 127.0.0.1:8080 does not reach the guest"
wait_until 20 listed 127.0.0.1:7000 7000 udp || fail "udp 7000 never exposed: $(forwards)"
not_listed 127.0.0.1:8081 8081 tcp || fail "a loopback-only port was exposed: $(forwards)"
pass "httpd on guest :8080 reachable at host 127.0.0.1:8080, udp :7000 exposed, loopback :8081 not"

kill -TERM "$HTTPD"
wait_until 20 not_listed 127.0.0.1:8080 8080 tcp || fail "8080 not unexposed: $(forwards)"
host_refused 8080 || fail "host 127.0.0.1:8080 still accepts"
grep -q 'unexposed tcp 127.0.0.1:8080' "$T/guest.log" || fail "no unexpose in the log"
pass "httpd killed: 127.0.0.1:8080 unexposed"

bg ip netns exec "$ns" busybox httpd -f -p 0.0.0.0:8080 -h "$T/www"
wait_until 20 listed 127.0.0.1:8080 8080 tcp || fail "8080 not exposed again: $(forwards)"
stop_vgate
start_vgate "${VGATE_ARGS[@]}"
wait_until 20 listed 127.0.0.1:8080 8080 tcp || fail "not exposed after vgate restarted: $(forwards)"
wait_until 10 host_get 8080 || fail "host 127.0.0.1:8080 unreachable after the restart"
pass "vgate restarted: the agent exposed :8080 again"

kill -TERM "$GUEST_PID"
rc=0
wait "$GUEST_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "vgate-guest exited with $rc"
[ "$(forwards)" = "[]" ] || fail "forwards left after vgate-guest exited: $(forwards)"
pass "SIGTERM: every forward the agent made was unexposed"

# --- the agent alone ------------------------------------------------------------------
bg ip netns exec "$ns" "$GUEST" -url "unix://$T/api.sock" -dhcp builtin -resolv none \
	-log-file "$T/guest2.log"
wait_until 15 sh -c "ip -n '$ns' -4 -o addr show dev tap0 | grep -q 192.168.127." ||
	fail "no lease for the second vgate-guest"
bg ip netns exec "$ns" "$GUEST" forward-ports -include 9000-9100 -host-port-offset 1000 \
	-scan-interval 1 -api-token "$T/token" -log-file "$T/agent.log"
AGENT_PID=$BG_PID
bg ip netns exec "$ns" busybox httpd -f -p 9001 -h "$T/www"
wait_until 20 listed 127.0.0.1:10001 9001 tcp || fail "9001 not exposed as 10001: $(forwards)"
[ "$(host_get 10001)" = "served by the guest" ] || fail "host 127.0.0.1:10001 does not reach :9001"
not_listed 127.0.0.1:9080 8080 tcp || fail "8080 exposed despite -include"
kill -TERM "$AGENT_PID"
rc=0
wait "$AGENT_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "forward-ports exited with $rc"
[ "$(forwards)" = "[]" ] || fail "forward-ports left forwards behind: $(forwards)"
pass "forward-ports -include 9000-9100 -host-port-offset 1000: :9001 at host :10001, unexposed on exit"
