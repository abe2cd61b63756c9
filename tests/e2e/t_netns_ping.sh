#!/usr/bin/env bash
# Two network namespaces attached with --netns ping each other through the
# switch: vgate creates and configures the taps (static .2 and .3), ARP
# broadcasts are flooded, unicast follows the learnt MACs; /v1/ports shows
# both MACs; SIGTERM leaves nothing behind.
. "$(dirname "$0")/lib.sh"
e2e_init

ns1=$(guest_ns a)
ns2=$(guest_ns b)
start_vgate -listen "unix://$T/api.sock" --netns "$ns1" --netns "$ns2" --netns-configure

grep -q '192.168.127.2/24' <<<"$(gx "$ns1" ip -4 addr show tap0)" || fail "ns1 tap0 not configured"
grep -q '192.168.127.3/24' <<<"$(gx "$ns2" ip -4 addr show tap0)" || fail "ns2 tap0 not configured"
grep -q '5a:94:ef:e4:0c:ee' <<<"$(gx "$ns1" ip link show tap0)" || fail "ns1 MAC"
grep -q '5a:94:ef:e4:0c:ef' <<<"$(gx "$ns2" ip link show tap0)" || fail "ns2 MAC"
grep -q 'default via 192.168.127.1' <<<"$(gx "$ns1" ip route)" || fail "ns1 default route"

gx "$ns1" ping -c 3 -i 0.2 -W 2 192.168.127.3 >"$T/ping1" || fail "ns1 cannot ping ns2: $(cat "$T/ping1")"
gx "$ns2" ping -c 3 -i 0.2 -W 2 192.168.127.2 >"$T/ping2" || fail "ns2 cannot ping ns1"
pass "namespaces ping each other through the switch"

ports=$(api /v1/ports)
macs=$(json_get '" ".join(sorted(p["mac"] for p in j))' <<<"$ports")
[ "$macs" = "5a:94:ef:e4:0c:ee 5a:94:ef:e4:0c:ef" ] || fail "switch learnt '$macs'"
frames=$(json_get 'min(p["rx_frames"] for p in j)' <<<"$ports")
[ "$frames" -ge 3 ] || fail "port frame counters: $ports"
pass "switch learnt both MACs and counted frames"

stop_vgate
gx "$ns1" ip link show tap0 >/dev/null 2>&1 && fail "tap0 left in ns1 after exit"
pass "clean shutdown removed the taps"
