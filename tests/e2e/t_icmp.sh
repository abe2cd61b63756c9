#!/usr/bin/env bash
# ICMP echo through vgate's gateway, from a guest namespace configured by
# --netns-configure (.2/24, default route via .1):
#   - the gateway (.1) and the host alias (.254) answer ping, also with a
#     full-MTU payload (1472 bytes, DF) and a burst
#   - nobody else is answered for: a ping to an unused guest address (.99)
#     or to an outside address (10.1.2.3) gets no echo reply (gvproxy's
#     released versions fake one for every address)
#   - the replies come from the gateway's MAC with the address pinged
. "$(dirname "$0")/lib.sh"
command -v tshark >/dev/null || skip "needs tshark"
e2e_init
# Pings to the host alias may be relayed through unprivileged ping sockets:
# allow them, in the sandbox namespace only.
sx sysctl -q -w net.ipv4.ping_group_range="0 2147483647"

NET=192.168.127
echo "nameserver 127.0.0.1" >"$T/resolv.conf"
ns=$(guest_ns g)
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	--resolv-conf "$T/resolv.conf" -pcap "$T/cap.pcap"

# ping_ok DEST ARGS...: DEST answers every echo.
ping_ok() {
	local dst=$1
	shift
	gx "$ns" ping -n -c 3 -i 0.2 -W 2 "$@" "$dst" >"$T/ping" 2>&1 ||
		fail "ping $* $dst: $(cat "$T/ping")"
	grep -q ' 3 received, 0% packet loss' "$T/ping" || fail "ping $dst: $(tail -n 2 "$T/ping")"
}
ping_ok "$NET.1"
ping_ok "$NET.254"
pass "gateway $NET.1 and host alias $NET.254 answer ping"

ping_ok "$NET.1" -M "do" -s 1472
ping_ok "$NET.254" -M "do" -s 1472
gx "$ns" ping -n -q -c 50 -i 0.01 -W 2 "$NET.1" >"$T/burst" 2>&1 || fail "burst: $(cat "$T/burst")"
grep -q ' 50 received' "$T/burst" || fail "burst: $(tail -n 2 "$T/burst")"
pass "1500-byte (DF) echoes answered; 50 echoes at 10 ms all answered"

# no_reply DEST: no echo reply for DEST (ping fails, nothing received).
no_reply() {
	if gx "$ns" ping -n -c 2 -i 0.5 -W 1 "$1" >"$T/ping" 2>&1; then
		fail "ping $1 answered: $(cat "$T/ping")"
	fi
	grep -q ' 0 received' "$T/ping" || fail "ping $1: $(tail -n 2 "$T/ping")"
	grep -q 'bytes from' "$T/ping" && fail "ping $1 got a reply: $(cat "$T/ping")"
	return 0
}
no_reply "$NET.99"
no_reply 10.1.2.3
vgate_alive || fail "vgate died"
if grep ' error ' "$T/vgate.log" >"$T/errors"; then
	fail "vgate logged errors: $(cat "$T/errors")"
fi
ping_ok "$NET.1"
pass "no reply for the unused $NET.99 or the outside 10.1.2.3 (no fake echo replies); the gateway still answers"

stop_vgate
# Every echo reply in the capture comes from the gateway's MAC, from .1 or
# .254, to the guest; none from .99 or 10.1.2.3.
tshark -r "$T/cap.pcap" -Y 'icmp.type == 0' -T fields -e eth.src -e ip.src -e ip.dst \
	>"$T/replies" 2>"$T/tshark.err" || fail "tshark: $(cat "$T/tshark.err")"
[ -s "$T/replies" ] || fail "no echo replies in the capture"
bad=$(awk -F '\t' -v n="$NET" '!($1 == "5a:94:ef:e4:0c:dd" && ($2 == n ".1" || $2 == n ".254") && $3 == n ".2")' "$T/replies")
[ -z "$bad" ] || fail "unexpected echo replies: $bad"
pass "$(wc -l <"$T/replies") echo replies captured, all from the gateway's MAC as .1 or .254 to .2"
