#!/usr/bin/env bash
# Two real Linux guests (tests/e2e/guest/) on one vgate, on two transports:
# A on `-netdev stream` (unix) and B on `-netdev socket` (TCP), both to
# -listen-qemu, each with its static lease. They boot together; each pings
# the other and fetches the other's web page (sha256 checked on its serial
# console); A also passes the standard check (DNS local and upstream, 1 MiB
# through the host alias). The host then reaches each guest's httpd through
# its own forward, and /v1/ports and /stats count both guests' bytes.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"
guest_build
guest_fixtures

MAC_A=5a:94:ef:e4:0c:ee
IP_A=192.168.127.2
MAC_B=52:54:00:00:00:0b
IP_B=192.168.127.3
PORT=15602
peer() { echo "vgate.ping=$1 vgate.get=http://$1/index.html vgate.sha256=$GUEST_INDEX_SHA"; }

start_vgate -listen-qemu "unix://$T/q.sock" -listen-qemu "tcp://127.0.0.1:$PORT" \
	-listen "unix://$T/api.sock" --static-lease "$MAC_B=$IP_B" "${GUEST_VGATE_ARGS[@]}"
# A's gets: the host's file first, then B's page (GUEST_CHECK's lists extended).
a_args=${GUEST_CHECK/vgate.get=/vgate.get=http:\/\/$IP_B\/index.html,}
a_args=${a_args/vgate.sha256=/vgate.sha256=$GUEST_INDEX_SHA,}
guest_boot_nic a "$MAC_A" "stream,server=off,addr.type=unix,addr.path=$T/q.sock" \
	"vgate.ip=$IP_A $a_args vgate.ping=$IP_B vgate.timeout=90 vgate.hold=600"
guest_boot_nic b "$MAC_B" "socket,connect=127.0.0.1:$PORT" \
	"vgate.ip=$IP_B $(peer "$IP_A") vgate.blob=64 vgate.timeout=90 vgate.hold=600"

for s in dhcp httpd dns:host.containers.internal dns:web.vgate.test "ping:$IP_B" get:1 get:2 "done"; do
	guest_expect a "$s" 180
done
for s in dhcp httpd "ping:$IP_A" get:1 "done"; do
	guest_expect b "$s" 180
done
[ "$(guest_field a get:1 url)" = "http://$IP_B/index.html" ] || fail "A's get:1 was not B's page"
pass "A ($IP_A, stream) and B ($IP_B, socket) pinged each other and fetched each other's page (${SECONDS}s)"

n=$(api /v1/ports | json_get "len(j)")
[ "$n" -eq 2 ] || fail "expected 2 ports: $(api /v1/ports)"
guest_forward a "$IP_A" 8080
guest_forward b "$IP_B" 8081
guest_stats "$MAC_A" $((1024 * 1024)) $((256 * 1024))
guest_stats "$MAC_B" 1000 $((64 * 1024))

guest_stop a
guest_stop b
stop_vgate
pass "vgate exited cleanly"
