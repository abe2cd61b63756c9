#!/usr/bin/env bash
# vgatectl against a running vgate: every command's table and its --json
# (parsed with Python), dns add seen by dns list and answered by the DNS
# server, flows after a real guest TCP connection, the forwarder commands
# (a round trip when the routes exist, an API error when they do not), and
# the exit codes scripts rely on: 3 without a socket, 2 for bad usage, 1 for
# an API error or an answer that never comes.
. "$(dirname "$0")/lib.sh"

e2e_init
VGATECTL=${VGATECTL:-$VGATE_BUILD/vgatectl}
[ -x "$VGATECTL" ] || fail "no vgatectl binary at $VGATECTL (run make first)"
GW=192.168.127.1
HOST_PORT=18080

ns=$(guest_ns g)
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure

# ctl ARGS...: vgatectl against this test's socket, bounded.
ctl() { timeout 20 "$VGATECTL" --socket "$T/api.sock" "$@"; }
# rc_of ARGS...: vgatectl's exit status, output discarded.
rc_of() {
	local rc=0
	ctl "$@" >"$T/out" 2>"$T/err" || rc=$?
	echo "$rc"
}
# json_ok ARGS...: vgatectl --json ARGS prints JSON Python can load.
json_ok() {
	ctl --json "$@" >"$T/json" || fail "vgatectl --json $* failed"
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/json" ||
		fail "vgatectl --json $*: not JSON: $(head -c 300 "$T/json")"
}

# --- informational commands ---
"$VGATECTL" --help | grep -q 'dns add ZONE NAME=IP' || fail "--help lacks dns add"
"$VGATECTL" --version | grep -q '^vgatectl version ' || fail "--version"

out=$(ctl health) || fail "health failed"
grep -qE '^status +ok$' <<<"$out" || fail "health: $out"
ctl --json health | json_get 'j["status"]' | grep -qx ok || fail "health --json"

out=$(ctl version) || fail "version failed"
grep -q '^vgatectl ' <<<"$out" || fail "version: no vgatectl line: $out"
grep -q '^vgate 0\.' <<<"$out" || fail "version: no vgate line: $out"
json_ok version

out=$(ctl stats) || fail "stats failed"
grep -qE '^BytesSent +[0-9]+$' <<<"$out" || fail "stats: no BytesSent row"
grep -qE '^VMs +1$' <<<"$out" || fail "stats: VMs is not 1"
json_ok stats
json_get '"BytesReceived" in j and j["VMs"] == 1' <"$T/json" | grep -qx True || fail "stats --json keys"

out=$(ctl leases) || fail "leases failed"
grep -qE '^192\.168\.127\.2 +5a:94:ef:e4:0c:ee +.* static$' <<<"$out" || fail "leases: $out"
json_ok leases
pass "health, version, stats, leases (tables and --json)"

# --- DNS ---
out=$(ctl dns list) || fail "dns list failed"
grep -qE '^containers\.internal\. +gateway +192\.168\.127\.1' <<<"$out" || fail "dns list: $out"
json_ok dns list
out=$(ctl dns add lab.internal. db=192.168.127.3 v6=fd00::3) || fail "dns add failed"
out=$(ctl dns list)
grep -qE '^lab\.internal\. +db +192\.168\.127\.3 ' <<<"$out" || fail "dns add not listed: $out"
grep -qE '^lab\.internal\. +v6 +- +fd00::3$' <<<"$out" || fail "dns add v6 not listed: $out"
a=$(gx "$ns" dig "@$GW" +time=3 +tries=1 +short db.lab.internal || true)
[ "$a" = 192.168.127.3 ] || fail "db.lab.internal after dns add: '$a'"
printf '{"Name":"file.internal.","Records":[{"Name":"web","IP":"192.168.127.4"}]}\n' >"$T/zone.json"
ctl dns add --file "$T/zone.json" >/dev/null || fail "dns add --file failed"
ctl --json dns list | json_get '[z["Name"] for z in j]' | grep -q "file.internal." ||
	fail "dns add --file not listed"
pass "dns list, dns add (records listed and answered), dns add --file"

# --- flows: a real TCP flow from the guest to the host alias ---
bg sx python3 -m http.server --bind 127.0.0.1 "$HOST_PORT" >"$T/http.log" 2>&1
wait_until 10 sx python3 -c "import socket; socket.create_connection(('127.0.0.1', $HOST_PORT), 1)" ||
	fail "test HTTP server did not start"
gx "$ns" curl -sf --max-time 5 -o /dev/null "http://192.168.127.254:$HOST_PORT/" ||
	fail "guest could not reach the host alias"
# A connection held open (the guest's nc waits for the server's EOF; the
# server never sends one) so that the flow is listed as established.
sx python3 -c '
import socket, sys, os
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
if os.fork(): sys.exit(0)
held = []
while True:
    c, _ = s.accept(); c.sendall(b"hello\n"); held.append(c)
' "$((HOST_PORT + 2))" &
wait_until 10 sx python3 -c "import socket; socket.create_connection(('127.0.0.1', $((HOST_PORT + 2))), 1)" ||
	fail "held-open test server did not start"
bg gx "$ns" sh -c "(echo ping; sleep 20) | busybox nc 192.168.127.254 $((HOST_PORT + 2)) >/dev/null"
held_flow_listed() {
	local out
	out=$(ctl flows) || return 1
	grep -qE "^tcp +outbound +192\.168\.127\.2:[0-9]+ +192\.168\.127\.254:$((HOST_PORT + 2)) +127\.0\.0\.1:$((HOST_PORT + 2)) +- +established +5 +6 " <<<"$out"
}
wait_until 10 held_flow_listed ||
	fail "flows: the held-open TCP flow is not listed with its bytes: $(ctl flows 2>&1)"
json_ok flows
[ "$(ctl --json flows | json_get "len([f for f in j if f['proto'] == 'tcp' and f['state'] == 'established'])")" -ge 1 ] ||
	fail "flows --json: no established TCP flow"
pass "flows: a guest TCP flow listed with addresses, state and bytes (--json too)"

# --- forwarder ---
if ctl forwards >/dev/null 2>&1; then
	json_ok forwards
	ctl expose "127.0.0.1:$((HOST_PORT + 1))" "192.168.127.2:80" >/dev/null || fail "expose failed"
	ctl forwards | grep -qE "^127\.0\.0\.1:$((HOST_PORT + 1)) +192\.168\.127\.2:80 +tcp$" ||
		fail "expose not listed: $(ctl forwards)"
	ctl unexpose "127.0.0.1:$((HOST_PORT + 1))" >/dev/null || fail "unexpose failed"
	pass "forwards, expose, unexpose"
else
	log "forwarder routes not served by this vgate: checking the API error path only"
fi
rc=$(rc_of unexpose 127.0.0.1:1 --protocol udp)
[ "$rc" = 1 ] || fail "unexpose of an unknown forward: exit $rc, expected 1"
[ -s "$T/err" ] || fail "unexpose of an unknown forward: no server text on stderr"
rc=$(rc_of dns add --file "$T/zone.json.missing")
[ "$rc" = 2 ] || fail "dns add --file MISSING: exit $rc, expected 2"
printf '{"Name":5}' >"$T/bad.json"
rc=$(rc_of dns add --file "$T/bad.json")
[ "$rc" = 1 ] || fail "a zone the API refuses: exit $rc, expected 1"
grep -q 'HTTP 400' "$T/err" || fail "API 400 text not shown: $(cat "$T/err")"
pass "API errors exit 1 with the server's text"

# --- exit codes: usage, connection, timeout ---
for bad in "" "bogus" "stats extra" "dns" "dns frob" "dns add z" "dns add z noequals" \
	"expose onlyone" "unexpose" "--protocol sctp expose a b" "--timeout 0 stats" \
	"--nope stats" "stats --file x"; do
	# shellcheck disable=SC2086 # word splitting is the point
	rc=$(rc_of $bad)
	[ "$rc" = 2 ] || fail "vgatectl $bad: exit $rc, expected 2"
done
rc=0
timeout 10 "$VGATECTL" --socket "$T/nothing.sock" stats 2>/dev/null || rc=$?
[ "$rc" = 3 ] || fail "missing socket: exit $rc, expected 3"
rc=0
VGATE_SOCKET="$T/nothing.sock" timeout 10 "$VGATECTL" health 2>/dev/null || rc=$?
[ "$rc" = 3 ] || fail "VGATE_SOCKET to a missing socket: exit $rc, expected 3"
VGATE_SOCKET="$T/api.sock" timeout 10 "$VGATECTL" health >/dev/null || fail "VGATE_SOCKET ignored"
timeout 10 "$VGATECTL" --socket "unix://$T/api.sock" health >/dev/null || fail "--socket unix://"
# A listener that never answers: exit 1 after --timeout, not a hang.
bg python3 -c 'import socket,sys,time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
c = s.accept(); time.sleep(30)' "$T/mute.sock"
wait_until 10 test -S "$T/mute.sock" || fail "mute listener did not start"
start=$SECONDS
rc=0
timeout 10 "$VGATECTL" --socket "$T/mute.sock" --timeout 1 stats 2>/dev/null || rc=$?
[ "$rc" = 1 ] || fail "mute server: exit $rc, expected 1"
[ $((SECONDS - start)) -le 4 ] || fail "--timeout 1 took $((SECONDS - start)) s"
pass "exit codes: 2 usage, 3 no socket, 1 on timeout"

vgate_alive || fail "vgate died"
stop_vgate
pass "vgatectl"
