#!/usr/bin/env bash
# A real Linux guest (tests/e2e/guest/) on QEMU's legacy
# `-netdev socket,connect=127.0.0.1:PORT` (be32 frames over TCP) to vgate's
# -listen-qemu tcp://127.0.0.1:PORT, with a non-default MAC given a static
# lease and a 9000-byte MTU: the guest's lease must be that address and its
# interface MTU 9000 (DHCP option 26), then the standard check (DNS local
# and upstream, 1 MiB through the host alias with its sha256) runs over the
# jumbo link, the host fetches the guest's pages through a forward, and
# /stats counts the bytes.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"
guest_build
guest_fixtures

MAC=52:54:00:12:34:56
IP=192.168.127.50
PORT=15601

start_vgate -listen-qemu "tcp://127.0.0.1:$PORT" -listen "unix://$T/api.sock" -mtu 9000 \
	--static-lease "$MAC=$IP" "${GUEST_VGATE_ARGS[@]}"
guest_boot_nic a "$MAC" "socket,connect=127.0.0.1:$PORT" \
	"vgate.ip=$IP vgate.mtu=9000 $GUEST_CHECK vgate.hold=600"
guest_expect_check a 120
pass "guest on -netdev socket (tcp): static lease $IP, MTU 9000, DNS local and upstream, 1 MiB intact (${SECONDS}s)"

guest_forward a "$IP" 8080
guest_stats "$MAC" $((1024 * 1024)) $((256 * 1024))

guest_stop a
stop_vgate
pass "vgate exited cleanly"
