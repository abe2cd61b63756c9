#!/usr/bin/env bash
# A real Linux guest (tests/e2e/guest/) on QEMU's `-netdev dgram` with unix
# local and remote addresses, to vgate's -listen-vfkit unixgram:// (one
# frame per datagram, replies to the last sender). QEMU and its guest start
# before vgate's socket exists, so the guest's first DHCP discovers go
# nowhere; once vgate is up the guest gets 192.168.127.2 with MTU 1500,
# passes the standard check (DNS local and upstream, 1 MiB through the host
# alias with its sha256), the host fetches its pages through a forward, and
# /stats counts the bytes.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"
. "$E2E_DIR/qemu.sh"
guest_build
guest_fixtures

MAC=5a:94:ef:e4:0c:ee
IP=192.168.127.2

guest_boot_nic a "$MAC" \
	"dgram,local.type=unix,local.path=$T/qemu.dgram,remote.type=unix,remote.path=$T/vgate.dgram" \
	"vgate.ip=$IP vgate.mtu=1500 $GUEST_CHECK vgate.hold=600" \
	-object "filter-dump,id=d0,netdev=n0,file=$T/a.pcap"
guest_expect a link 60
wait_until 30 pcap_has_src "$T/a.pcap" "$MAC" || fail "the guest sent nothing before vgate existed"
pass "the guest is sending (DHCP) to a datagram path nobody has bound yet"

start_vgate -listen-vfkit "unixgram://$T/vgate.dgram" -listen "unix://$T/api.sock" \
	"${GUEST_VGATE_ARGS[@]}"
guest_expect_check a 120
pass "guest on -netdev dgram (unix): lease $IP/MTU 1500, DNS local and upstream, 1 MiB intact (${SECONDS}s)"

guest_forward a "$IP" 8080
guest_stats "$MAC" $((1024 * 1024)) $((256 * 1024))

guest_stop a
stop_vgate
pass "vgate exited cleanly"
