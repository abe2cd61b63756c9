#!/usr/bin/env bash
# A real Linux guest (tests/e2e/guest/: Debian kernel, virtio-net, busybox,
# curl; QEMU 7.2 under TCG) on `-netdev stream,server=off,addr.type=unix`
# to vgate's -listen-qemu. In one boot the guest proves, and reports on its
# serial console:
#   - a DHCP lease of 192.168.127.2 with MTU 1500 (option 26), gateway and
#     resolver 192.168.127.1
#   - DNS: host.containers.internal (vgate's zone) and web.vgate.test (the
#     test resolver on the sandbox's loopback, through --dns-upstream)
#   - HTTP: a 1 MiB file from python's http.server on the sandbox's
#     127.0.0.1, fetched by curl through 192.168.127.254, same sha256
# then the host curls the guest's busybox httpd through a forward exposed
# on the API, /stats and /v1/ports count the guest's bytes, and SIGTERM
# ends vgate cleanly with the guest still attached.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"
guest_build
guest_fixtures

MAC=5a:94:ef:e4:0c:ee
IP=192.168.127.2

start_vgate -listen-qemu "unix://$T/q.sock" -listen "unix://$T/api.sock" "${GUEST_VGATE_ARGS[@]}"
guest_boot_nic a "$MAC" "stream,server=off,addr.type=unix,addr.path=$T/q.sock" \
	"vgate.ip=$IP vgate.mtu=1500 $GUEST_CHECK vgate.hold=600"
guest_expect_check a 120
pass "guest on -netdev stream (unix): lease $IP/MTU 1500, DNS local and upstream, 1 MiB via the host alias intact (${SECONDS}s)"

guest_forward a "$IP" 8080
guest_stats "$MAC" $((1024 * 1024)) $((256 * 1024))

stop_vgate
guest_stop a
pass "vgate exited cleanly with the guest attached"
