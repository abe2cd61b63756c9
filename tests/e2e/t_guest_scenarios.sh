#!/usr/bin/env bash
# The test guest's other scenarios (tests/e2e/guest/README.md), as the
# libvirt and QMP tests use them:
#   - hotplug: QEMU boots without a NIC; one is hot-plugged later through
#     the monitor (netdev socket to vgate's -listen-qemu tcp:// plus a
#     virtio-net-pci device_add); the waiting guest finds eth0, gets its
#     lease, downloads a URL given on the command line (sha256 checked),
#     and powers off: QEMU (-no-reboot) exits by itself.
#   - serve: the guest leases, serves, reports its address and stays up;
#     the host reads /ip through a forward, then GET /cgi-bin/poweroff ends
#     the guest and QEMU exits.
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"
guest_build
guest_fixtures

MAC_H=52:54:00:00:00:0d
MAC_S=5a:94:ef:e4:0c:ee
PORT=15604

start_vgate -listen-qemu "tcp://127.0.0.1:$PORT" -listen-qemu "unix://$T/q.sock" \
	-listen "unix://$T/api.sock" "${GUEST_VGATE_ARGS[@]}"

# --- hotplug ---------------------------------------------------------------------
guest_boot h "vgate.scenario=hotplug vgate.get=http://192.168.127.254:$GUEST_HTTP_PORT/file vgate.sha256=$GUEST_FILE_SHA"
guest_expect h modules 60
guest_line h link | grep -q . && fail "the guest found a NIC before one was plugged: $(guest_line h link)"
# HMP's netdev_add cannot build a `stream` netdev in QEMU 7.2 (its addr.*
# keys); `socket` is the same be32 framing.
guest_hmp h "netdev_add socket,id=n1,connect=127.0.0.1:$PORT" >/dev/null ||
	fail "netdev_add failed"
guest_hmp h "device_add virtio-net-pci,netdev=n1,mac=$MAC_H,id=nic1,romfile=" >/dev/null ||
	fail "device_add failed"
for s in link dhcp get:1 "done" poweroff; do
	guest_expect h "$s" 150
done
guest_gone h 30 || fail "QEMU did not exit after the hotplug guest powered off"
pass "hotplug: NIC plugged after boot, lease, 1 MiB download intact, poweroff ended QEMU (${SECONDS}s)"

# --- serve -----------------------------------------------------------------------
guest_boot_nic s "$MAC_S" "stream,server=off,addr.type=unix,addr.path=$T/q.sock" "vgate.scenario=serve"
guest_expect s serve 120
ip=$(guest_field s serve ip)
sx curl -sf --max-time 10 --unix-socket "$T/api.sock" -X POST \
	-d "{\"local\":\"127.0.0.1:8080\",\"remote\":\"$ip:80\"}" http://vgate/services/forwarder/expose ||
	fail "expose"
got=$(sx curl -sf --max-time 30 http://127.0.0.1:8080/ip) || fail "GET /ip through the forward"
[ "$got" = "$ip" ] || fail "/ip says '$got', the serve step said $ip"
got=$(sx curl -sf --max-time 30 http://127.0.0.1:8080/cgi-bin/poweroff) || fail "GET /cgi-bin/poweroff"
[ "$got" = "powering off" ] || fail "/cgi-bin/poweroff answered '$got'"
guest_gone s 30 || fail "QEMU did not exit after /cgi-bin/poweroff"
pass "serve: $ip served /ip through a forward; /cgi-bin/poweroff ended the guest (${SECONDS}s)"

stop_vgate
pass "vgate exited cleanly"
