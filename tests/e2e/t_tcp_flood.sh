#!/usr/bin/env bash
# Hostile guest TCP against vgate's flows (guest namespace from
# --netns-configure; servers in the sandbox; --tcp-connect-timeout 2):
#   - 10000 raw SYNs (IP_HDRINCL, distinct source ports) from the guest, half
#     to a closed host port, half to 10.9.9.9:80 (routed into the sink
#     namespace, which drops it): vgate stays up, its open fds never exceed
#     idle + its TCP flow cap, a normal curl works, and once the unanswered
#     connects time out the fds are back to idle, /stats TCPFlows is 0 and
#     TCPRefused is 10000 (every SYN got its RST)
#   - the same with the flow cap lowered to 200 (hard open files limit
#     5320 = 5120 reserved + 200): 5000 SYNs to 10.9.9.9 hold at most 200
#     host sockets; each SYN is refused (cap or timeout) and counted; once
#     the flows are gone a normal curl works again
#   - a bare ACK for no connection is answered with a RST (seq = its ack)
#   - 8 guest connections that never read while the server sends as fast
#     as it can: once the server stalls, vgate's RSS is under 200 MB and
#     another connection (curl) still works; when the guest goes, the fds
#     return to idle
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "needs curl"
e2e_init

GUEST=192.168.127.2
HOST=192.168.127.254
BLACKHOLE=10.9.9.9
TOOL=$E2E_DIR/tcp_tool.py
HTTP_PORT=9201
CLOSED_PORT=9202
FLOOD_PORT=9203
LOW_CAP=200
HOLDERS=8 # each stalled flow may hold TCP_SND_BUF (4 MiB) in lwIP
RESERVED=5120 # FDS_RESERVED in backend/main.c
SLACK=16      # fds besides flows that may come and go (API, netlink, ...)

# client ARGS...: a tcp_tool.py client in the guest, under a time limit.
client() { gx "$ns" timeout 60 python3 "$TOOL" "$@"; }
fds() { find "/proc/$VGATE_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
fds_at_most() { [ "$(fds)" -le "$1" ]; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$VGATE_PID/status"; }
cap() { sed -n 's/.*at most \([0-9]*\) TCP flows.*/\1/p' "$T/vgate.log" | tail -n 1; }
stats_get() { api /stats | json_get "j[\"$1\"]"; }
no_flows() { [ "$(stats_get TCPFlows)" -eq 0 ]; }
curl_ok() { gx "$ns" curl -sf --max-time 10 -o /dev/null "http://$HOST:$HTTP_PORT/small"; }
# sample_fds FILE: append vgate's fd count to FILE until killed.
sample_fds() {
	while kill -0 "$VGATE_PID" 2>/dev/null; do
		fds >>"$1"
		sleep 0.02
	done
}
# flood N DST:PORT...: raw SYNs from the guest while the fd count is sampled;
# prints the largest count seen.
flood() {
	local n=$1 sampler
	shift
	: >"$T/fds.log"
	bg sample_fds "$T/fds.log"
	sampler=$BG_PID
	client syn-flood "$GUEST" "$n" "$@" >&2 || fail "syn-flood failed"
	kill "$sampler"
	wait "$sampler" 2>/dev/null || true
	# syn-flood returns once vgate took every SYN; the black-holed flows
	# (2 s connect timeout) are still pending: one more sample.
	fds >>"$T/fds.log"
	sort -n "$T/fds.log" | tail -n 1
}

ns=$(guest_ns a)
mkdir "$T/www"
head -c 100K /dev/urandom >"$T/www/small"
bg sx python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$HTTP_PORT" >"$T/http.log" 2>&1
wait_until 10 sx curl -sf -o /dev/null "http://127.0.0.1:$HTTP_PORT/small" || fail "http.server did not start"

# --- SYN flood, default cap ---------------------------------------------------------
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure --tcp-connect-timeout 2
idle=$(fds)
flows=$(cap)
[ -n "$flows" ] || fail "vgate did not log its TCP flow cap"
curl_ok || fail "curl before the flood"
max=$(flood 10000 "$HOST:$CLOSED_PORT" "$BLACKHOLE:80")
log "default cap $flows flows; idle $idle fds, at most $max during the flood"
vgate_alive || fail "vgate died in the SYN flood"
[ "$max" -le $((idle + flows + SLACK)) ] || fail "$max fds during the flood, cap $flows + idle $idle"
curl_ok || fail "curl after the SYN flood"
pass "10000 SYNs (closed and black-holed): vgate alive, fds bounded ($max), curl works"
wait_until 20 fds_at_most "$idle" || fail "fds stuck at $(fds) after the flood, idle $idle"
wait_until 20 no_flows || fail "/stats TCPFlows stuck at $(stats_get TCPFlows) after the flood"
refused=$(stats_get TCPRefused)
[ "$refused" -eq 10000 ] || fail "/stats TCPRefused $refused after 10000 SYNs, want 10000"
pass "fds back to idle ($idle), TCPFlows 0, all 10000 SYNs refused (RST) and counted"

# --- a RST for a segment of no flow --------------------------------------------------
out=$(client ack-probe "$GUEST" "$HOST" "$HTTP_PORT") || fail "ack-probe failed"
[ "$out" = rst ] || fail "bare ACK for no flow: $out, want a RST with seq = its ack"
pass "a segment for no flow gets a RST"

# --- a guest that never reads ----------------------------------------------------------
bg sx python3 "$TOOL" flood-server "$FLOOD_PORT" "$T/flood.ready" "$T/flood.sent"
wait_until 10 test -s "$T/flood.sent" || fail "flood server did not start"
bg gx "$ns" python3 "$TOOL" hold "$HOST" "$FLOOD_PORT" "$T/hold.ready" "$HOLDERS"
wait_until 20 test -s "$T/hold.ready" || fail "the non-reading guest could not connect"
# stalled: the server made no progress for a second (every buffer is full).
stalled() {
	local a b
	a=$(cat "$T/flood.sent")
	sleep 1
	b=$(cat "$T/flood.sent")
	[ "$a" = "$b" ] && [ "$a" -gt 0 ]
}
wait_until 30 stalled || fail "the server never stalled ($(cat "$T/flood.sent") bytes sent)"
rss=$(rss_kb)
log "server stalled after $(($(cat "$T/flood.sent") / 1048576)) MiB; vgate RSS ${rss} kB"
[ "$rss" -lt 204800 ] || fail "vgate RSS ${rss} kB with $HOLDERS non-reading guest connections"
curl_ok || fail "curl while $HOLDERS connections are stalled"
pass "$HOLDERS non-reading connections: the server stalls, vgate RSS ${rss} kB < 200 MB, curl works"
kill "$(cat "$T/hold.ready")" # the guest's python, not the gx wrapper
wait_until 20 fds_at_most "$idle" || fail "fds stuck at $(fds) after the non-reading guest left, idle $idle"
pass "the stalled flows are released when the guest goes"
stop_vgate

# --- SYN flood, low cap ------------------------------------------------------------------
# The cap comes from the open files limit: a wrapper lowers the hard limit
# and execs vgate (same PID).
cat >"$T/vgate-lowcap" <<EOF
#!/bin/sh
ulimit -n $((RESERVED + LOW_CAP))
exec "$VGATE" "\$@"
EOF
chmod +x "$T/vgate-lowcap"
VGATE=$T/vgate-lowcap start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	--tcp-connect-timeout 2
[ "$(cap)" = "$LOW_CAP" ] || fail "flow cap $(cap), want $LOW_CAP"
idle=$(fds)
max=$(flood 5000 "$BLACKHOLE:80")
log "cap $LOW_CAP flows; idle $idle fds, at most $max during the flood"
vgate_alive || fail "vgate died in the SYN flood at the cap"
[ "$max" -le $((idle + LOW_CAP + SLACK)) ] || fail "$max fds during the flood, cap $LOW_CAP + idle $idle"
wait_until 20 no_flows || fail "/stats TCPFlows stuck at $(stats_get TCPFlows) after the flood"
refused=$(stats_get TCPRefused)
[ "$refused" -eq 5000 ] || fail "/stats TCPRefused $refused after 5000 SYNs, want 5000"
curl_ok || fail "curl after the flood at the cap"
pass "5000 SYNs at cap $LOW_CAP: at most $max fds, all refused and counted, then curl works"
wait_until 20 fds_at_most "$idle" || fail "fds stuck at $(fds), idle $idle"
stop_vgate
