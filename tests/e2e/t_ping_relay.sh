#!/usr/bin/env bash
# Guest pings to destinations that are not the gateway's own go out through
# ping sockets (net.ipv4.ping_group_range, set per network namespace here in
# the sandbox), from a guest namespace configured by --netns-configure:
#   - `ping -c3` to the host alias 192.168.127.254 (NAT to 127.0.0.1), to a
#     --nat address outside the subnet (10.0.2.2=127.0.0.1) and to the sink
#     namespace's 10.254.254.2 (no NAT) are all answered through the relay
#     (its log line names each), with the guest's identifier restored (ping
#     counts the replies) and from the address pinged; a full-MTU echo too
#   - 169.254.169.254 (link-local, refused by the egress policy) gets ICMP
#     "administratively prohibited" ("Packet filtered"), logged
#   - with ping sockets not permitted ("1 0") the ping gets no reply and
#     vgate's log says why; no reply is ever faked
. "$(dirname "$0")/lib.sh"
e2e_init

NET=192.168.127
SINK=10.254.254.2
echo "nameserver 127.0.0.1" >"$T/resolv.conf"

probe='import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)'
sx sysctl -qw net.ipv4.ping_group_range="0 2147483647" 2>/dev/null ||
	skip "cannot set net.ipv4.ping_group_range in the sandbox"
sx python3 -c "$probe" 2>/dev/null || skip "ping sockets still refused in the sandbox"

ns=$(guest_ns g)
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	--resolv-conf "$T/resolv.conf" --nat 10.0.2.2=127.0.0.1

# ping_ok DEST ARGS...: three echoes to DEST, three replies from DEST.
ping_ok() {
	local dst=$1
	shift
	gx "$ns" ping -n -c 3 -i 0.2 -W 2 "$@" "$dst" >"$T/ping" 2>&1 ||
		fail "ping $* $dst: $(cat "$T/ping")"
	grep -q ' 3 received, 0% packet loss' "$T/ping" || fail "ping $dst: $(tail -n 2 "$T/ping")"
	[ "$(grep -c "bytes from $dst: icmp_seq=" "$T/ping")" -eq 3 ] ||
		fail "replies to $dst not from $dst: $(cat "$T/ping")"
}
relayed() { grep -q "icmp-relay: relaying pings $NET.2 id [0-9]* -> $1 (host $2)" "$T/vgate.log"; }

ping_ok "$NET.254"
relayed "$NET.254" 127.0.0.1 || fail "no relay socket for $NET.254 in the log"
ping_ok 10.0.2.2
relayed 10.0.2.2 127.0.0.1 || fail "no relay socket for 10.0.2.2 in the log"
ping_ok "$SINK"
relayed "$SINK" "$SINK" || fail "no relay socket for $SINK in the log"
pass "pings to $NET.254, 10.0.2.2 (NAT to 127.0.0.1) and $SINK answered through ping sockets"

ping_ok "$NET.254" -M "do" -s 1472
pass "a full-MTU echo (1472 bytes of data, DF) is relayed both ways"

if gx "$ns" ping -n -c 1 -W 2 169.254.169.254 >"$T/ping" 2>&1; then
	fail "169.254.169.254 answered: $(cat "$T/ping")"
fi
grep -q "From 169.254.169.254 icmp_seq=1 Packet filtered" "$T/ping" ||
	fail "169.254.169.254: $(cat "$T/ping")"
grep -q "egress policy refuses pings to 169.254.169.254" "$T/vgate.log" ||
	fail "refusal not logged"
pass "169.254.169.254 refused with ICMP admin prohibited (Packet filtered), logged"
stop_vgate

# Ping sockets not permitted: nothing comes back, and the log says why.
sx sysctl -qw net.ipv4.ping_group_range="1 0"
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	--resolv-conf "$T/resolv.conf"
grep -q "warn  icmp-relay: ping sockets are not permitted .*net.ipv4.ping_group_range" \
	"$T/vgate.log" || fail "no warning about ping_group_range"
if gx "$ns" ping -n -c 2 -i 0.5 -W 1 "$NET.254" >"$T/ping" 2>&1; then
	fail "ping answered without ping sockets: $(cat "$T/ping")"
fi
grep -q ' 0 received' "$T/ping" || fail "ping without ping sockets: $(tail -n 2 "$T/ping")"
vgate_alive || fail "vgate died"
gx "$ns" ping -n -c 1 -W 2 "$NET.1" >"$T/ping" 2>&1 || fail "gateway stopped answering: $(cat "$T/ping")"
pass "ping sockets not permitted: no reply (none faked), the log names net.ipv4.ping_group_range"
stop_vgate
