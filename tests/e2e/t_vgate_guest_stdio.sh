#!/usr/bin/env bash
# vgate-guest -url stdio:PROG?k=v&...: it spawns vgate itself and carries
# the frames over vgate's stdin/stdout (vgate -listen-stdio accept), as
# gvforwarder's stdio: URLs do. The program is a wrapper that runs vgate in
# the sandbox namespace (the guest's own namespace has no host loopback);
# the query becomes vgate's flags, in order.
#   - the guest gets a lease and curls the sandbox's loopback server
#   - the spawned vgate is killed: vgate-guest starts a new one and traffic
#     flows again
#   - SIGTERM: vgate-guest stops its vgate and exits 0
. "$(dirname "$0")/lib.sh"
e2e_init

GUEST=${VGATE_GUEST:-$VGATE_BUILD/vgate-guest}
[ -x "$GUEST" ] || fail "no vgate-guest at $GUEST (run make first)"

cat >"$T/vgate-in-sandbox" <<WRAP
#!/bin/sh
exec ip netns exec $SBX $VGATE "\$@"
WRAP
chmod 755 "$T/vgate-in-sandbox"
mkdir -p "$T/www"
echo "hello over stdio" >"$T/www/index.html"
bg ip netns exec "$SBX" python3 -m http.server 8000 --bind 127.0.0.1 --directory "$T/www" \
	>"$T/http.log" 2>&1
wait_until 10 sx curl -sf -o /dev/null http://127.0.0.1:8000/ || fail "http.server did not start"

url="stdio:$T/vgate-in-sandbox?listen-stdio=accept&debug&log-file=$T/vgate.log"
url+="&pid-file=$T/vgate.pid&resolv-conf=$T/resolv.conf&listen=unix://$T/api.sock&ssh-port=-1"
ns=$(guest_ns c)
bg ip netns exec "$ns" "$GUEST" -url "$url" -dhcp=builtin -resolv=none -log-file "$T/guest.log"
GUEST_PID=$BG_PID

has_lease() { gx "$ns" ip -4 -o addr show dev tap0 | grep -q 'inet 192\.168\.127\.'; }
fetch() { gx "$ns" curl -sf --max-time 5 http://192.168.127.254:8000/index.html; }
vgate_pid() { cat "$T/vgate.pid" 2>/dev/null; }
connects() { grep -c 'link: connected to' "$T/guest.log" || true; }

wait_until 20 has_lease || fail "no lease: $(tail -5 "$T/guest.log")"
[ "$(fetch)" = "hello over stdio" ] || fail "curl through 192.168.127.254 failed"
first=$(vgate_pid)
[ -n "$first" ] || fail "the spawned vgate wrote no pid file"
grep -q ' ready ' "$T/vgate.log" || fail "the spawned vgate did not start"
api /v1/ports | grep -q '"transport":"stdio"' || fail "vgate has no stdio port: $(api /v1/ports)"
pass "stdio: vgate spawned with the query as flags; lease and curl via 192.168.127.254"

kill -KILL "$first"
respawned() { [ -n "$(vgate_pid)" ] && [ "$(vgate_pid)" != "$first" ] && [ "$(connects)" -ge 2 ]; }
wait_until 15 respawned || fail "no new vgate after the first was killed: $(tail -5 "$T/guest.log")"
wait_until 15 fetch >/dev/null || fail "traffic did not flow through the new vgate"
pass "the spawned vgate was killed: vgate-guest started another, curl works again"

second=$(vgate_pid)
kill -TERM "$GUEST_PID"
rc=0
wait "$GUEST_PID" || rc=$?
[ "$rc" -eq 0 ] || fail "vgate-guest exited with $rc on SIGTERM"
gone() { ! kill -0 "$second" 2>/dev/null; }
wait_until 5 gone || fail "the spawned vgate ($second) outlived vgate-guest"
pass "SIGTERM: the spawned vgate stopped too, exit 0"
