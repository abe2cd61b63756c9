#!/usr/bin/env bash
# vgatectl attach/detach --domain under a real libvirtd (TESTING.md, Rig 3;
# the rig is libvirt_rig.sh): a NIC hot-plugged through libvirt, so libvirt
# tracks it, never behind libvirt's back through QMP.
#   - /v1/taps on a vgate of the test's own: taps made and named (vgtapN or
#     as asked), an existing device refused, bad names and bodies refused,
#     at most 16, removal (refused while a process holds the tap open), the
#     kernel silent on each tap (no address, IPv6 off, ARP off, strict
#     rp_filter), every tap deleted when vgate exits (a held one too);
#     without CAP_NET_ADMIN a 403 that says so
#   - a domain from examples/libvirt/vgate-stream.xml without any NIC (its
#     <qemu:commandline> removed; a port attribute added for --persist)
#     boots the test guest with scenario "hotplug": it waits for eth0
#   - an attach libvirt refuses (a multicast MAC) removes the tap again
#   - `vgatectl attach --domain NAME --persist`: the domain's vgate makes a
#     tap (POST /v1/taps) in the sandbox namespace, libvirt plugs in an
#     <interface type='ethernet'> on it with the MAC of the vgate's free
#     static lease; the guest gets that lease (192.168.127.2, MTU 65520) and
#     fetches a file from the sandbox's loopback through the host alias
#     192.168.127.254 with the right sha256
#   - `virsh domiflist` lists the ethernet NIC on the tap; vgate's
#     /v1/taps says the tap is open (carrier) and has seen the guest's MAC;
#     the persistent definition has a client NIC with that MAC (--persist)
#   - `vgatectl detach --domain NAME --persist`: libvirt no longer lists the
#     NIC, the tap is gone from the sandbox, /v1/taps is empty, the client
#     NIC is gone from the persistent definition
#   - `virsh destroy`: no vgate process, no state, no tap left
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"
. "$E2E_DIR/libvirt_rig.sh"
rig_init

guest_build

# --- /v1/taps on its own (a vgate of the test's, no libvirt) ---------------------------------
# tapi METHOD PATH [BODY]: the status code; the answer in $T/tapi.out.
tapi() {
	sx curl -s --max-time 5 --unix-socket "${TAPI_SOCK:-$T/api.sock}" -o "$T/tapi.out" \
		-w '%{http_code}' -X "$1" ${3:+-d "$3"} "http://x$2"
}
expect() {
	local want=$1 text=$2 got
	shift 2
	got=$(tapi "$@")
	if [ "$got" != "$want" ] || ! grep -q -- "$text" "$T/tapi.out"; then
		fail "$* answered $got '$(cat "$T/tapi.out")', not $want with '$text'"
	fi
}
start_vgate -listen "unix://$T/api.sock"
expect 200 '"name":"vgtap0",.*"created":true' POST /v1/taps
expect 200 '"name":"t-a.0",.*"port":[0-9]*,.*"created":true' POST /v1/taps '{"name":"t-a.0"}'
expect 200 '"name":"t-a.0",.*"created":false' POST /v1/taps '{"name":"t-a.0"}'
expect 409 'exists already' POST /v1/taps '{"name":"lo"}'
expect 400 '1 to 15' POST /v1/taps '{"name":"a/b"}'
expect 400 '1 to 15' POST /v1/taps '{"name":"abcdefghijklmnop"}'
expect 400 'invalid JSON' POST /v1/taps '{"name":"vgtap9"'
expect 400 'unknown key' POST /v1/taps '{"name":"x","mtu":9000}'
link=$(sx ip -d link show dev t-a.0) || fail "no tap t-a.0 in the sandbox"
if ! grep -q 'NOARP,UP' <<<"$link" || ! grep -q 'tun type tap pi off vnet_hdr off persist on' <<<"$link"; then
	fail "t-a.0: $link"
fi
[ "$(sx sysctl -n net.ipv6.conf.t-a/0.disable_ipv6 net.ipv4.conf.t-a/0.rp_filter \
	net.ipv4.conf.t-a/0.forwarding | tr '\n' ' ')" = "1 1 0 " ] || fail "t-a.0: the kernel is not silenced"
[ -z "$(sx ip -o addr show dev t-a.0)" ] || fail "t-a.0 has addresses: $(sx ip -o addr show dev t-a.0)"
# A process holding the tap (as QEMU does): removal refused, the carrier seen.
bg ip netns exec "$SBX" python3 -c '
import fcntl, os, struct, sys, time
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454ca, struct.pack("16sH", b"vgtap0", 0x0002 | 0x1000))  # TUNSETIFF, TAP|NO_PI
open(sys.argv[1], "w").close()
time.sleep(300)' "$T/held"
HOLDER_PID=$BG_PID
wait_until 10 test -e "$T/held" || fail "could not open vgtap0 as QEMU would"
expect 409 'still open in another process' POST /v1/taps/remove '{"name":"vgtap0"}'
expect 200 '"name":"vgtap0","ifindex":[0-9]*,"port":[0-9]*,"carrier":true' GET /v1/taps
for i in $(seq 1 14); do
	expect 200 "\"name\":\"vgtap$i\"" POST /v1/taps
done
expect 400 'has 16 taps already' POST /v1/taps
[ "$(tapi GET /v1/taps)" = 200 ] || fail "GET /v1/taps: $(cat "$T/tapi.out")"
[ "$(json_get 'len(j)' <"$T/tapi.out")" = 16 ] || fail "GET /v1/taps: $(cat "$T/tapi.out")"
expect 200 '"removed":true' DELETE /v1/taps '{"name":"t-a.0"}'
expect 404 'no tap t-a.0' POST /v1/taps/remove '{"name":"t-a.0"}'
expect 400 'name: missing' POST /v1/taps/remove '{}'
expect 200 '"name":"vgtap1","removed":true' POST /v1/taps/remove '{"name":"vgtap1"}'
expect 405 'not allowed' PUT /v1/taps
expect 400 'post only' GET /v1/taps/remove
! sx ip link show dev t-a.0 >/dev/null 2>&1 || fail "t-a.0 outlived its removal"
stop_vgate
if sx ip -o link show | grep -Eq ': (vgtap[0-9]+|t-a\.0)[:@]'; then
	fail "taps outlived vgate (vgtap0 still held open): $(sx ip -o link show)"
fi
kill -TERM "$HOLDER_PID"
# Without CAP_NET_ADMIN the answer says what is missing.
bg ip netns exec "$SBX" setpriv --inh-caps=-net_admin --bounding-set=-net_admin "$VGATE" \
	-log-file "$T/vgate-nocap.log" -listen "unix://$T/api2.sock" --resolv-conf "$T/resolv.conf"
NOCAP_PID=$BG_PID
wait_until 10 grep -q ' ready ' "$T/vgate-nocap.log" || fail "vgate without CAP_NET_ADMIN did not start"
TAPI_SOCK=$T/api2.sock expect 403 'CAP_NET_ADMIN' POST /v1/taps
TAPI_SOCK=$T/api2.sock expect 200 '^\[\]$' GET /v1/taps
kill -TERM "$NOCAP_PID"
wait "$NOCAP_PID" || fail "vgate without CAP_NET_ADMIN exited with $?"
pass "/v1/taps: names checked, existing devices refused (409), 16 at most, removal (409 while held open), the kernel silent on each tap, all deleted at exit (a held one too), 403 without CAP_NET_ADMIN"

# --- libvirt ----------------------------------------------------------------------------------
rig_install
start_libvirtd
if grep -qx default <<<"$(virsh net-list --name)"; then
	fail "libvirt's default network is active"
fi
pass "libvirtd runs in the sandbox ($LIBVIRTD_PID); the default network is not active"

# The "outside world": a file on the sandbox's loopback.
mkdir -p "$T/www"
head -c $((1024 * 1024)) /dev/urandom >"$T/www/file"
SHA=$(sha256sum <"$T/www/file" | cut -d' ' -f1)
bg sx python3 -m http.server --bind 127.0.0.1 --directory "$T/www" 8000 >"$T/http.log" 2>&1
wait_until 10 sx curl -sf --max-time 2 -o /dev/null http://127.0.0.1:8000/file ||
	fail "the HTTP server did not start: $(cat "$T/http.log")"

H=${P}_hot
API=/run/vgate/$H/api.sock
APPEND="console=ttyS0 quiet panic=-1 vgate.scenario=hotplug vgate.ip=192.168.127.2 vgate.mtu=65520"
APPEND+=" vgate.get=http://192.168.127.254:8000/file vgate.sha256=$SHA vgate.hold=600"
define vgate-stream "$H" \
	-e '/<qemu:commandline>/,/<\/qemu:commandline>/d' \
	-e 's#<vgate:network xmlns:vgate="urn:vgate:libvirt:1" mtu="65520">#<vgate:network xmlns:vgate="urn:vgate:libvirt:1" mtu="65520" port="40110">#' \
	-e "s#<cmdline>.*</cmdline>#<cmdline>$APPEND</cmdline>#"
grep -q 'port="40110"' "$T/$H.xml" || fail "the domain's metadata lacks the port attribute"
! grep -q '<interface\|<qemu:commandline>' "$T/$H.xml" || fail "the domain has a NIC: $(cat "$T/$H.xml")"
start "$H"
[ -S "$API" ] || fail "$H: no API socket after virsh start"
# Sanitizer reports of this vgate land where rig_no_sanitizer_reports looks.
tr '\0' '\n' <"/proc/$(vgate_of "/run/vgate/$H")/environ" | grep -qx "ASAN_OPTIONS=log_path=$T/sanitizer" ||
	fail "vgate runs without the rig's ASAN_OPTIONS"
guest_expect "$H" modules 120
[ -z "$(virsh domiflist "$H" | awk 'NR > 2 && NF')" ] || fail "NICs before attach: $(virsh domiflist "$H")"
pass "the domain runs without a NIC; its guest waits for one"

# --- attach ---------------------------------------------------------------------------------
# libvirt refuses a multicast MAC after vgate made the tap: the tap goes again.
if out=$(sx "$CTL" attach --domain "$H" --mac 01:00:5e:00:00:01 2>&1); then
	fail "attach with a multicast MAC succeeded: $out"
fi
grep -q "attach: .*unicast" <<<"$out" || fail "attach with a multicast MAC: $out"
[ "$(sx curl -sf --max-time 5 --unix-socket "$API" http://x/v1/taps)" = "[]" ] ||
	fail "the tap of a refused attach stayed: $(sx curl -s --max-time 5 --unix-socket "$API" http://x/v1/taps)"
pass "a NIC libvirt refuses leaves no tap behind ($(tail -n 1 <<<"$out"))"

t0=$SECONDS
out=$(sx "$CTL" attach --domain "$H" --persist 2>&1) || fail "vgatectl attach: $out"
log "vgatectl attach took $((SECONDS - t0)) s: $(tr '\n' ' ' <<<"$out")"
MAC=$(sed -n 's/^attached \([0-9a-f:]*\) to .*/\1/p' <<<"$out")
TAP=$(sed -n 's/.*(tap \([A-Za-z0-9_.-]*\)[,)].*/\1/p' <<<"$out")
[ "$MAC" = 5a:94:ef:e4:0c:ee ] || fail "attach chose MAC '$MAC', not the free static lease's: $out"
[ -n "$TAP" ] || fail "no tap in vgatectl's answer: $out"
grep -q "static lease 192.168.127.2" <<<"$out" || fail "no static lease in: $out"
sx ip link show dev "$TAP" >/dev/null || fail "tap $TAP is not in the sandbox namespace"

guest_expect "$H" link 120
guest_expect "$H" dhcp 120
[ "$(guest_field "$H" link mac)" = "$MAC" ] || fail "the guest's NIC: $(guest_line "$H" link)"
[ "$(guest_field "$H" dhcp ip)" = 192.168.127.2 ] || fail "lease: $(guest_line "$H" dhcp)"
[ "$(guest_field "$H" dhcp mtu)" = 65520 ] || fail "MTU: $(guest_line "$H" dhcp)"
guest_expect "$H" get:1 120
guest_expect "$H" "done" 60
pass "the hot-plugged NIC got the static lease (MTU 65520) and fetched the file through 192.168.127.254 (sha256 checked)"

ifl=$(virsh domiflist "$H")
grep -Eq "^ *$TAP +ethernet +.* +$MAC *$" <<<"$ifl" || fail "virsh domiflist: $ifl"
taps=$(sx curl -sf --max-time 5 --unix-socket "$API" http://x/v1/taps) || fail "GET /v1/taps"
python3 - "$TAP" "$MAC" "$taps" <<'EOF' || fail "GET /v1/taps: $taps"
import json, sys
tap, mac, taps = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
assert len(taps) == 1, taps
t = taps[0]
assert t["name"] == tap and t["carrier"] is True and t["mac"] == mac, t
assert t["rx_frames"] > 0 and t["tx_frames"] > 0 and t["port"] is not None, t
EOF
inactive=$(virsh dumpxml --inactive "$H")
if ! grep -q "<interface type='client'>" <<<"$inactive" || ! grep -q "$MAC" <<<"$inactive"; then
	fail "attach --persist: no client NIC with $MAC in the persistent definition"
fi
grep -q "$TAP" <<<"$inactive" && fail "the persistent definition names the tap $TAP"
pass "libvirt tracks the NIC ($(awk -v t="$TAP" '$1 == t' <<<"$ifl" | tr -s ' ')); /v1/taps shows it open; --persist recorded a client NIC"

# --- detach ---------------------------------------------------------------------------------
t0=$SECONDS
out=$(sx "$CTL" detach --domain "$H" --persist 2>&1) || fail "vgatectl detach: $out"
log "vgatectl detach took $((SECONDS - t0)) s: $(tr '\n' ' ' <<<"$out")"
grep -q "^detached $MAC from $H (tap $TAP removed)" <<<"$out" || fail "detach said: $out"
ifl=$(virsh domiflist "$H")
! grep -q "$MAC" <<<"$ifl" || fail "virsh domiflist still lists the NIC: $ifl"
! sx ip link show dev "$TAP" >/dev/null 2>&1 || fail "tap $TAP is still there"
[ "$(sx curl -sf --max-time 5 --unix-socket "$API" http://x/v1/taps)" = "[]" ] ||
	fail "GET /v1/taps after detach: $(sx curl -s --max-time 5 --unix-socket "$API" http://x/v1/taps)"
! virsh dumpxml --inactive "$H" | grep -q "$MAC" ||
	fail "detach --persist: the client NIC is still in the persistent definition"
pass "detach: libvirt no longer lists the NIC, the tap is gone, the persistent NIC removed"

# A second detach has nothing to do, and says so.
if out=$(sx "$CTL" detach --domain "$H" 2>&1); then
	fail "a detach without a NIC succeeded: $out"
fi
grep -q "no such NIC" <<<"$out" || fail "second detach: $out"

# --- the end --------------------------------------------------------------------------------
virsh destroy "$H" >/dev/null || fail "virsh destroy $H"
wait_until 15 vgate_gone "/run/vgate/$H" || fail "$H: vgate still runs after destroy"
no_trace "$H"
if sx ip -o link show | grep -Eq ': vgtap[0-9]+[:@]'; then
	fail "taps left: $(sx ip -o link show)"
fi
rig_no_sanitizer_reports
pass "virsh destroy leaves no vgate, no state and no tap"
