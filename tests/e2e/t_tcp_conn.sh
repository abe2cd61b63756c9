#!/usr/bin/env bash
# Guest TCP connection life cycles through vgate's flows (guest namespace
# from --netns-configure, servers on the sandbox's 127.0.0.1 reached
# through the host alias 192.168.127.254):
#   - half-close, guest first: the guest sends, shuts its write side, and
#     still receives the 1 MiB the server sends after seeing EOF
#   - half-close, server first: the server sends 64 KiB and shuts its write
#     side; the guest sees EOF, keeps sending 2 MiB, and the server
#     receives all of it (sha256 and length)
#   - a closed host port: connect() fails with ConnectionRefusedError (RST),
#     not a timeout (bounded by a 10 s socket timeout)
#   - 2000 sequential and 200 simultaneous connections to an echo server
#     all succeed (/stats TCPFlowsOpened counts them); afterwards vgate's
#     open fds return to their idle count and /stats TCPFlows to 0 (the
#     TIME_WAIT mappings are swept once lwIP drops its PCBs)
. "$(dirname "$0")/lib.sh"
e2e_init

HOST=192.168.127.254
TOOL=$E2E_DIR/tcp_tool.py
HALF_PORT=9001
SHUT_PORT=9002
ECHO_PORT=9003
CLOSED_PORT=9004

# server NAME MODE PORT [ARGS...]: a tcp_tool.py server in the sandbox.
server() {
	local name=$1 mode=$2 port=$3
	shift 3
	bg sx python3 "$TOOL" "$mode" "$port" "$T/$name.ready" "$@"
	wait_until 10 test -e "$T/$name.ready" || fail "$mode did not start"
}
# client ARGS...: a tcp_tool.py client in the guest, under a time limit.
client() { gx "$ns" timeout 120 python3 "$TOOL" "$@"; }
fds() { find "/proc/$VGATE_PID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
fds_at_most() { [ "$(fds)" -le "$1" ]; }
stats_get() { api /stats | json_get "j[\"$1\"]"; }
no_flows() { [ "$(stats_get TCPFlows)" -eq 0 ]; }

ns=$(guest_ns a)
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure
[ "$(cat "/proc/$VGATE_PID/comm")" = vgate ] || fail "VGATE_PID $VGATE_PID is not vgate"
idle=$(fds)
log "vgate idle: $idle open fds"

# --- half-close ----------------------------------------------------------------
server half half-server "$HALF_PORT"
out=$(client half-client "$HOST" "$HALF_PORT") || fail "guest-first half-close: $out"
pass "guest shut its write side and still received the server's 1 MiB ($out)"

server shut shut-server "$SHUT_PORT" "$T/shut.out"
sent=$(client shut-client "$HOST" "$SHUT_PORT" $((2 * 1024 * 1024))) ||
	fail "server-first half-close: $sent"
wait_until 10 test -s "$T/shut.out" || fail "server-first half-close: server never saw EOF"
[ "$(cat "$T/shut.out")" = "$sent" ] ||
	fail "server-first half-close: server got '$(cat "$T/shut.out")', guest sent '$sent'"
pass "server shut its write side first; the guest's 2 MiB after that arrived intact"

# --- connection refused ----------------------------------------------------------
sx python3 - "$CLOSED_PORT" <<'EOF' || fail "port $CLOSED_PORT is not closed in the sandbox"
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    sys.exit(1)
except ConnectionRefusedError:
    pass
EOF
out=$(client connect "$HOST" "$CLOSED_PORT" 10) || fail "closed host port: the client failed"
[ "$out" = ConnectionRefusedError ] || fail "closed host port: $out, want ConnectionRefusedError"
pass "a closed host port is refused (RST), not left to time out"

# --- many connections ------------------------------------------------------------
server echo echo-server "$ECHO_PORT"
opened0=$(stats_get TCPFlowsOpened)
out=$(client seq "$HOST" "$ECHO_PORT" 2000) || fail "2000 sequential connections: $out"
log "sequential: $out; vgate has $(fds) fds"
out=$(client par "$HOST" "$ECHO_PORT" 200) || fail "200 simultaneous connections: $out"
log "simultaneous: $out; vgate has $(fds) fds"
pass "2000 sequential and 200 simultaneous connections echoed"

log "right after: /stats TCPFlows $(stats_get TCPFlows) (mappings in TIME_WAIT)"
opened=$(($(stats_get TCPFlowsOpened) - opened0))
[ "$opened" -eq 2200 ] || fail "/stats TCPFlowsOpened grew by $opened, want 2200"
wait_until 20 fds_at_most "$idle" || fail "vgate still has $(fds) fds, $idle when idle"
wait_until 20 no_flows || fail "/stats TCPFlows stuck at $(stats_get TCPFlows)"
pass "vgate's fds are back to the idle count ($idle), no TCP flows or mappings left"
vgate_alive || fail "vgate died"
stop_vgate
