#!/usr/bin/env bash
# Shared helpers for vgate's end-to-end tests.
#
# Every test runs inside a sandbox network namespace whose only links are
# loopback and a veth to a "sink" namespace where nothing listens (the
# sandbox's default route points there). vgate, QEMU, the test servers and
# the guests' namespaces all hang off the sandbox, so "host loopback" is the
# sandbox's loopback and no test packet can reach a real network.
#
# Usage in a test:
#   . "$(dirname "$0")/lib.sh"
#   e2e_init            # skips (exit 77) without root or /dev/net/tun
#   start_vgate -listen-qemu "unix://$T/q.sock" ...
#   ...; pass "what was proven"
# Cleanup (processes, namespaces, temp dir) runs on EXIT, pass or fail.

set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E_DIR/../.." && pwd)
VGATE_BUILD=${VGATE_BUILD:-$ROOT/build}
VGATE=${VGATE:-$VGATE_BUILD/vgate}
TEST_NAME=$(basename "$0" .sh)
SBX=""
T=""
VGATE_PID=""
PIDS=()
NAMESPACES=()

log() { printf '[%s] %s\n' "$TEST_NAME" "$*" >&2; }
fail() {
	log "FAIL: $*"
	if [ -n "$T" ] && [ -f "$T/vgate.log" ]; then
		log "--- vgate.log (last 40 lines) ---"
		tail -n 40 "$T/vgate.log" >&2 || true
	fi
	exit 1
}
skip() {
	log "SKIP: $*"
	exit 77
}
pass() { log "ok: $*"; }

e2e_cleanup() {
	local rc=$?
	set +e
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	# Every namespace this test made starts with the sandbox's name (guest
	# namespaces are made in subshells, so they are found by name).
	for ns in "${NAMESPACES[@]}" $(ip netns list 2>/dev/null | awk -v p="$SBX-" 'index($1, p) == 1 { print $1 }'); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$T" ] && rm -rf "$T"
	exit "$rc"
}

# e2e_init: check prerequisites, create the sandbox and a temp dir.
e2e_init() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces)"
	[ -c /dev/net/tun ] || skip "needs /dev/net/tun"
	[ -x "$VGATE" ] || fail "no vgate binary at $VGATE (run make first)"
	trap e2e_cleanup EXIT
	T=$(mktemp -d "/tmp/vgate-e2e.XXXXXX")
	chmod 755 "$T"
	SBX="vgt-$$-sbx"
	ip netns add "$SBX"
	NAMESPACES+=("$SBX")
	ip netns add "$SBX-sink"
	NAMESPACES+=("$SBX-sink")
	ip -n "$SBX" link set lo up
	ip -n "$SBX-sink" link set lo up
	ip link add "vgt$$a" netns "$SBX" type veth peer name "vgt$$b" netns "$SBX-sink"
	ip -n "$SBX" addr add 10.254.254.1/30 dev "vgt$$a"
	ip -n "$SBX-sink" addr add 10.254.254.2/30 dev "vgt$$b"
	ip -n "$SBX" link set "vgt$$a" up
	ip -n "$SBX-sink" link set "vgt$$b" up
	ip -n "$SBX" route add default via 10.254.254.2
	# Unprivileged ping sockets are per namespace and off in a new one.
	ip netns exec "$SBX" sysctl -q -w net.ipv4.ping_group_range="0 2147483647" || true
	# vgate never reads the machine's resolver configuration in tests: it
	# gets this one (no upstream) unless a test passes --resolv-conf or
	# --dns-upstream itself.
	printf 'search test.internal\n' >"$T/resolv.conf"
}

# sx CMD...: run CMD inside the sandbox namespace.
sx() { ip netns exec "$SBX" "$@"; }

# guest_ns NAME: create an empty namespace for a guest; prints its name.
# (Usually called as ns=$(guest_ns a): cleanup finds it by its prefix.)
guest_ns() {
	local ns="$SBX-$1"
	ip netns add "$ns"
	NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
	echo "$ns"
}

# gx NS CMD...: run CMD inside guest namespace NS.
gx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# wait_until and bg come from tests/shell.sh.
. "$E2E_DIR/../shell.sh"

# start_vgate ARGS...: start vgate in the sandbox; waits until it is ready.
start_vgate() {
	: >"$T/vgate.log"
	bg ip netns exec "$SBX" "$VGATE" -debug -log-file "$T/vgate.log" -pid-file "$T/vgate.pid" \
		--resolv-conf "$T/resolv.conf" "$@"
	VGATE_PID=$BG_PID
	wait_until 10 grep -q ' ready ' "$T/vgate.log" || fail "vgate did not become ready"
}

# stop_vgate: SIGTERM; vgate must exit 0 and remove its pid file.
stop_vgate() {
	local rc=0
	kill -TERM "$VGATE_PID"
	wait "$VGATE_PID" || rc=$?
	[ "$rc" -eq 0 ] || fail "vgate exited with $rc on SIGTERM"
	[ ! -e "$T/vgate.pid" ] || fail "pid file left behind"
	VGATE_PID=""
}

# vgate_alive: the daemon is still running.
vgate_alive() { kill -0 "$VGATE_PID" 2>/dev/null; }

# hmp_cmd SOCKET CMD...: run HMP commands on the QEMU monitor at SOCKET in
# order (bounded); prints each reply, fails on an error reply, or when the
# monitor closes before answering anything but quit.
hmp_cmd() {
	timeout 15 python3 - "$@" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
def prompt(cmd):
    buf = b""
    while b"(qemu) " not in buf:
        d = s.recv(4096)
        if not d:
            if cmd != "quit":
                sys.exit(f"{cmd}: monitor closed")
            break
        buf += d
    return buf.decode(errors="replace").replace("\r", "")
prompt(None)
for cmd in sys.argv[2:]:
    s.sendall(cmd.encode() + b"\n")
    out = prompt(cmd)
    # The monitor echoes the command line first; the reply follows it.
    reply = out.split("\n", 1)[1] if "\n" in out else ""
    reply = reply.replace("(qemu) ", "").strip()
    if reply:
        print(reply)
    if "rror" in reply or "unknown command" in reply:
        sys.exit(f"{cmd}: {reply}")
EOF
}

# api PATH [SOCKET]: GET an API path over the unix socket.
api() { sx curl -sf --max-time 5 --unix-socket "${2:-$T/api.sock}" "http://vgate$1"; }

# json_get EXPR: evaluate a Python expression on JSON from stdin (bound as j).
json_get() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
