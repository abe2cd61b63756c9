#!/usr/bin/env bash
# vgate's egress policy and connect timeout for guest TCP (guest namespace
# from --netns-configure; servers in the sandbox). The sandbox's loopback
# also carries 169.254.169.254, with an echo server on port 80, so a
# connection the policy lets through succeeds and one it refuses cannot be
# mistaken for a network failure.
#   - every refusal below is counted in /stats TCPRefused
#   - 169.254.169.254:80 is refused (RST) by default although a server
#     listens there; with -ec2-metadata-access the same connection echoes
#   - --egress-deny 127.0.0.1/32:PORT refuses that port through the host
#     alias (RST) while another port on 127.0.0.1 still echoes
#   - --tcp-connect-timeout 2: a connection to 10.9.9.9:80 (routed into the
#     sink namespace, which drops it) is reset by vgate within a 15 s
#     socket timeout; with the default (30 s) it is still pending after 4 s
#   - --no-host-loopback: 192.168.127.254:PORT no longer reaches the echo
#     server on 127.0.0.1 (refused or reset; vgate currently dials the
#     address 192.168.127.254 itself, into the sink, so the RST comes from
#     --tcp-connect-timeout 2)
. "$(dirname "$0")/lib.sh"
e2e_init

HOST=192.168.127.254
META=169.254.169.254
TOOL=$E2E_DIR/tcp_tool.py
OK_PORT=9101
DENY_PORT=9102

# server NAME MODE PORT [ARGS...]: a tcp_tool.py server in the sandbox.
server() {
	local name=$1 mode=$2 port=$3
	shift 3
	bg sx python3 "$TOOL" "$mode" "$port" "$T/$name.ready" "$@"
	wait_until 10 test -e "$T/$name.ready" || fail "$mode did not start"
}
# client ARGS...: a tcp_tool.py client in the guest, under a time limit.
client() { gx "$ns" timeout 60 python3 "$TOOL" "$@"; }
# refused WHAT HOST PORT TIMEOUT OUTCOME...: connect must end in one of OUTCOMEs.
refused() {
	local what=$1 host=$2 port=$3 timeout=$4 out
	shift 4
	out=$(client connect "$host" "$port" "$timeout") || fail "$what: the client failed"
	for want in "$@"; do
		[ "$out" = "$want" ] && return 0
	done
	fail "$what: connect to $host:$port gave '$out', want one of: $*"
}
echoes() { client seq "$1" "$2" 1 >/dev/null || fail "$3: $1:$2 does not echo"; }
stats_get() { api /stats | json_get "j[\"$1\"]"; }
# counted WHAT N: /stats TCPRefused is N.
counted() {
	local got
	got=$(stats_get TCPRefused)
	[ "$got" -eq "$2" ] || fail "$1: /stats TCPRefused is $got, want $2"
}

sx ip addr add "$META/32" dev lo
server meta echo-server "$META:80"
server ok echo-server "$OK_PORT"
server deny echo-server "$DENY_PORT"
ns=$(guest_ns a)

# --- default policy, a deny rule, a short connect timeout --------------------
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	--egress-deny "127.0.0.1/32:$DENY_PORT" --tcp-connect-timeout 2
refused "link-local" "$META" 80 10 ConnectionRefusedError
counted "link-local" 1
pass "169.254.169.254:80 is refused by default (a server listens there)"

echoes "$HOST" "$OK_PORT" "--egress-deny of another port"
refused "--egress-deny" "$HOST" "$DENY_PORT" 10 ConnectionRefusedError
counted "--egress-deny" 2
pass "--egress-deny 127.0.0.1/32:$DENY_PORT refuses that port only"

refused "--tcp-connect-timeout 2" 10.9.9.9 80 15 ConnectionRefusedError ConnectionResetError
counted "--tcp-connect-timeout 2" 3
pass "an unanswered connect is reset after --tcp-connect-timeout"
stop_vgate

# --- -ec2-metadata-access --------------------------------------------------------
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure -ec2-metadata-access
echoes "$META" 80 "-ec2-metadata-access"
echoes "$HOST" "$DENY_PORT" "without --egress-deny"
counted "-ec2-metadata-access" 0
pass "-ec2-metadata-access lets 169.254.169.254:80 through; no deny rule, no refusal"
# The default connect timeout (30 s) keeps an unanswered connect pending.
refused "default connect timeout" 10.9.9.9 80 4 timeout
pass "with the default connect timeout, the unanswered connect is still pending after 4 s"
stop_vgate

# --- --no-host-loopback ------------------------------------------------------------
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure --no-host-loopback \
	--tcp-connect-timeout 2
refused "--no-host-loopback" "$HOST" "$OK_PORT" 15 ConnectionRefusedError ConnectionResetError
pass "--no-host-loopback: the host alias no longer reaches 127.0.0.1"
vgate_alive || fail "vgate died"
stop_vgate
