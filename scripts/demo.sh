#!/usr/bin/env bash
# make demo: a real VM on vgate, shown step by step, with nothing reaching a
# real network.
#
# Everything runs inside a sandbox network namespace made for the demo (as
# the end-to-end tests do, tests/e2e/lib.sh): its only links are loopback
# and a veth to an empty "sink" namespace. vgate, QEMU and the "outside
# world" (an HTTP server and a DNS server on the sandbox's 127.0.0.1) live
# in it. The VM is the test guest of tests/e2e/guest/ (Debian's kernel,
# busybox and curl, built from Debian packages and cached under
# build/guest/), booted under TCG on `-netdev stream` to vgate's
# -listen-qemu. The demo shows the guest's DHCP lease, its DNS answers, a
# download through the gateway's host alias, and a curl from the host into
# the guest's web server through a port forward; then the /stats command.
# Everything it started is stopped and removed on exit.
#
# Usage: bash scripts/demo.sh [path/to/vgate]    (as root; `make demo`
# installs the packages and builds first). DEMO_PAUSE=SECONDS keeps it all
# running that long at the end (default: 120 on a terminal, 0 otherwise) so
# the printed commands can be tried from another terminal; Enter ends it.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces); run: sudo make demo" >&2
	exit 1
fi
VGATE=$(realpath "${1:-$ROOT/build/vgate}")
[ -x "$VGATE" ] || {
	echo "demo: no vgate at $VGATE; run: make demo" >&2
	exit 1
}
export VGATE

# lib.sh: the sandbox, start_vgate, api, cleanup on exit; guest.sh: the VM.
# shellcheck source=tests/e2e/lib.sh
. "$ROOT/tests/e2e/lib.sh"
e2e_init
# shellcheck source=tests/e2e/guest.sh
. "$E2E_DIR/guest.sh"

say() { printf '%s\n' "$*"; }
step_or_die() {
	guest_wait vm "$1" "$2" >/dev/null || {
		say "demo: the guest failed at step '$1'; its console:" >&2
		guest_log vm | tail -n 30 >&2
		exit 1
	}
}

say "== vgate demo =="
say "Sandbox namespace $SBX: loopback and a veth into an empty namespace; nothing leaves it."
say "Building the test guest (Debian kernel + busybox + curl; the first time downloads the kernel package)..."
guest_build
guest_fixtures
MAC=5a:94:ef:e4:0c:ee

start_vgate -listen-qemu "unix://$T/qemu.sock" -listen "unix://$T/api.sock" "${GUEST_VGATE_ARGS[@]}"
say ""
say "vgate is running:"
say "  $VGATE -listen-qemu unix://$T/qemu.sock -listen unix://$T/api.sock --dns-upstream 127.0.0.1:$GUEST_DNS_PORT"
say "Host side (the sandbox's loopback): an HTTP server on 127.0.0.1:$GUEST_HTTP_PORT, a DNS server on 127.0.0.1:$GUEST_DNS_PORT"
say ""
say "Booting the VM (QEMU, software emulation):"
say "  qemu-system-x86_64 -accel tcg ... -netdev stream,id=n0,server=off,addr.type=unix,addr.path=$T/qemu.sock \\"
say "      -device virtio-net-pci,netdev=n0,mac=$MAC"
guest_boot_nic vm "$MAC" "stream,server=off,addr.type=unix,addr.path=$T/qemu.sock" \
	"$GUEST_CHECK vgate.hold=900"

step_or_die dhcp 120
say ""
say "[guest] DHCP lease from vgate: $(guest_field vm dhcp ip)/$(guest_field vm dhcp prefix)," \
	"router $(guest_field vm dhcp router), DNS $(guest_field vm dhcp dns), MTU $(guest_field vm dhcp mtu)," \
	"lease $(guest_field vm dhcp lease) s"
IP=$(guest_field vm dhcp ip)
step_or_die dns:host.containers.internal 60
say "[guest] nslookup host.containers.internal -> $(guest_field vm dns:host.containers.internal addr)" \
	"(vgate's own zone: the host)"
step_or_die dns:web.vgate.test 60
say "[guest] nslookup web.vgate.test -> $(guest_field vm dns:web.vgate.test addr)" \
	"(forwarded by vgate to the DNS server on the host's loopback)"
step_or_die get:1 120
say "[guest] curl $(guest_field vm get:1 url)"
say "        -> $(guest_field vm get:1 bytes) bytes, sha256 $(guest_field vm get:1 sha256)"
say "        (the host's file has sha256 $GUEST_FILE_SHA: identical)"
step_or_die "done" 60

say ""
say "[host] forward 127.0.0.1:8080 -> $IP:80 (the guest's busybox httpd):"
say "  curl --unix-socket $T/api.sock -X POST -d '{\"local\":\"127.0.0.1:8080\",\"remote\":\"$IP:80\"}' http://vgate/services/forwarder/expose"
sx curl -sf --max-time 10 --unix-socket "$T/api.sock" -X POST \
	-d "{\"local\":\"127.0.0.1:8080\",\"remote\":\"$IP:80\"}" http://vgate/services/forwarder/expose
say "[host] curl http://127.0.0.1:8080/index.html"
page=$(sx curl -sf --max-time 30 http://127.0.0.1:8080/index.html)
say "        -> \"$page\" (served by the guest)"
say "[host] curl http://127.0.0.1:8080/ip"
say "        -> \"$(sx curl -sf --max-time 30 http://127.0.0.1:8080/ip)\""

say ""
say "Traffic counters (vgate's API):"
say "  curl --unix-socket $T/api.sock http://vgate/stats"
api /stats | json_get "'  BytesSent=%s BytesReceived=%s TCPFlowsOpened=%s' % (j['BytesSent'], j['BytesReceived'], j.get('TCPFlowsOpened', '?'))"

pause=${DEMO_PAUSE:-}
if [ -z "$pause" ]; then
	if [ -t 0 ]; then pause=120; else pause=0; fi
fi
if [ "$pause" -gt 0 ]; then
	say ""
	say "Everything stays up for $pause s (Enter ends it sooner). From another terminal:"
	say "  curl --unix-socket $T/api.sock http://vgate/stats"
	say "  curl --unix-socket $T/api.sock http://vgate/v1/leases"
	say "  ip netns exec $SBX curl http://127.0.0.1:8080/index.html"
	read -r -t "$pause" _ || true
fi
guest_stop vm
stop_vgate
say ""
say "Done: QEMU and vgate stopped, namespaces and temp files removed."
