#!/usr/bin/env bash
# vgate under a real libvirtd (TESTING.md, Rig 3), driven by the hook
# (libvirt-hook/) as /etc/libvirt/hooks/qemu.d/vgate, with the domains of
# examples/libvirt/ booting the test guest (tests/e2e/guest/, scenario
# "serve": a DHCP lease, then busybox httpd on port 80):
#   - the examples' metadata validates against libvirt-hook/vgate.rng
#   - libvirtd runs inside the sandbox namespace (so do QEMU, the hook and
#     every vgate it starts); libvirt's default network is never started
#   - vgate-stream.xml (<qemu:commandline> -netdev stream): stale state of
#     an earlier run (a pid file naming no vgate, a file where the socket
#     goes) is cleaned; `virsh start` returns with vgate running; the guest
#     gets the static lease for its NIC's MAC; the host fetches the guest's
#     page through the forward 127.0.0.1:8080 -> guest:80; the API socket
#     /run/vgate/<domain>/api.sock serves /stats with bytes counted
#   - vgate-tcp.xml (<interface type='client'> to 127.0.0.1:40100), at the
#     same time: its own subnet, its forward, `virsh domiflist` lists the NIC
#   - vgatectl (once wired): `domains` lists both, `--domain NAME stats`
#     reaches the right vgate, `forward add --persist` works at once and is
#     in the persistent XML
#   - libvirtd restarted while a domain runs and its vgate was killed:
#     `reconnect` starts the vgate again
#   - `virsh destroy` leaves no vgate process and no state
#   - lab-a.xml and lab-b.xml share one vgate network: each guest gets its
#     own lease, each forward reaches its own guest; stopping one keeps the
#     network for the other, stopping the last removes it
#   - metadata with a port out of range: `virsh start` fails with the
#     hook's message; a forward whose host port is taken: it fails with
#     vgate's answer; neither leaves a vgate or state behind
#   - a domain without vgate metadata is left alone: no state, no output
# Every file changed under /etc is restored, the hook removed, libvirtd
# stopped by the pid in /run/libvirtd.pid (the rig: libvirt_rig.sh).
. "$(dirname "$0")/lib.sh"
e2e_init
. "$E2E_DIR/guest.sh"

. "$E2E_DIR/libvirt_rig.sh"
rig_init

guest_build

# The examples' metadata against the schema (xmllint comes with libxml2-utils).
if command -v xmllint >/dev/null; then
	for f in "$EX"/*.xml; do
		xmllint --xpath '/domain/metadata/*' "$f" >"$T/meta.xml" || fail "$f: no metadata"
		xmllint --noout --relaxng "$ROOT/libvirt-hook/vgate.rng" "$T/meta.xml" 2>"$T/rng.out" ||
			fail "$f: $(cat "$T/rng.out")"
		"$HOOK" --check "$f" >/dev/null || fail "vgate-libvirt-hook --check $f"
	done
	pass "the examples' metadata matches libvirt-hook/vgate.rng and passes --check"
fi

# --- the rig: /etc changes (saved first), the hook, libvirtd in the sandbox ---------------
rig_install
start_libvirtd
if grep -qx default <<<"$(virsh net-list --name)"; then
	fail "libvirt's default network is active"
fi
pass "libvirtd runs in the sandbox ($LIBVIRTD_PID); the default network is not active"

# --- stream and TCP wiring, two domains at once --------------------------------------------
S=${P}_stream
C=${P}_tcp
define vgate-stream "$S"
define vgate-tcp "$C"
# Stale state from an earlier life of the domain.
mkdir -p "/run/vgate/$S"
echo 999999 >"/run/vgate/$S/vgate.pid"
echo junk >"/run/vgate/$S/qemu.sock"
start "$S"
start "$C"
for d in "$S" "$C"; do
	[ -S "/run/vgate/$d/api.sock" ] || fail "$d: no API socket after virsh start"
	[ -n "$(vgate_of "/run/vgate/$d")" ] || fail "$d: no vgate running after virsh start"
done
pass "virsh start returns with each domain's vgate running (stale state replaced)"

line=$(guest_wait "$S" dhcp 180) || fail "$S: $line; $(qemu_log "$S")"
[ "$(guest_field "$S" dhcp ip)" = 192.168.127.2 ] || fail "$S: lease $line"
[ "$(guest_field "$S" dhcp mtu)" = 65520 ] || fail "$S: MTU $line"
line=$(guest_wait "$C" dhcp 180) || fail "$C: $line; $(qemu_log "$C")"
[ "$(guest_field "$C" dhcp ip)" = 10.77.0.2 ] || fail "$C: lease $line"
pass "each guest got the static lease of its NIC's MAC (stream: MTU 65520 from the metadata)"

guest_wait "$S" serve 60 >/dev/null || fail "$S: no httpd: $(guest_log "$S" | tail -n 5)"
guest_wait "$C" serve 60 >/dev/null || fail "$C: no httpd: $(guest_log "$C" | tail -n 5)"
page=$(sx curl -sf --max-time 20 http://127.0.0.1:8080/index.html) || fail "$S: forward 8080 failed"
[ "$page" = "vgate test guest" ] || fail "$S: page '$page'"
ip=$(sx curl -sf --max-time 20 http://127.0.0.1:8081/ip) || fail "$C: forward 8081 failed"
[ "$ip" = 10.77.0.2 ] || fail "$C: /ip says '$ip'"
pass "the host fetched each guest's page through its declared forward"

sent=$(sx curl -sf --max-time 5 --unix-socket "/run/vgate/$S/api.sock" http:/x/stats | json_num BytesSent)
[ "$sent" -gt 0 ] || fail "$S: /stats BytesSent $sent"
out=$(virsh domiflist "$C")
grep -q "client.*52:54:00:7a:00:02" <<<"$out" || fail "$C: domiflist: $out"
pass "/run/vgate/<domain>/api.sock serves /stats ($sent bytes sent); libvirt lists the client NIC"

if wired domains; then
	out=$("$CTL" domains) || fail "vgatectl domains: $out"
	grep -q "^$S .*running.*/run/vgate/$S/api.sock" <<<"$out" || fail "vgatectl domains: $out"
	grep -q "^$C " <<<"$out" || fail "vgatectl domains: $out"
	out=$("$CTL" --domain "$S" stats) || fail "vgatectl --domain $S stats: $out"
	grep -q BytesSent <<<"$out" || fail "vgatectl --domain $S stats: $out"
	out=$(ip netns exec "$SBX" "$CTL" forward add --domain "$S" --persist 127.0.0.1:8088 80) ||
		fail "forward add: $out"
	[ "$(sx curl -sf --max-time 20 http://127.0.0.1:8088/ip)" = 192.168.127.2 ] ||
		fail "the forward added by vgatectl does not reach the guest"
	out=$(virsh dumpxml --inactive "$S")
	grep -q 'host="127.0.0.1:8088"' <<<"$out" || fail "forward add --persist: not in the persistent XML"
	pass "vgatectl: domains, --domain, forward add --persist (live and in the metadata)"
else
	log "vgatectl's libvirt commands are not wired into vgatectl.c yet: not tested"
fi

# libvirtd restarts while the domain runs; its vgate died meanwhile.
old=$(vgate_of "/run/vgate/$S")
stop_libvirtd
kill -KILL "$old"
wait_until 10 vgate_gone "/run/vgate/$S" || fail "vgate $old did not die"
start_libvirtd
wait_until 30 vgate_back "/run/vgate/$S" ||
	fail "reconnect did not start vgate again: $(grep reconnect "$T/hook-calls")"
wait_until 10 sx curl -sf --max-time 2 --unix-socket "/run/vgate/$S/api.sock" http:/x/v1/health ||
	fail "the restarted vgate does not answer"
pass "after a libvirtd restart, reconnect started the dead vgate again"

for d in "$S" "$C"; do
	virsh destroy "$d" >/dev/null || fail "virsh destroy $d"
	no_trace "$d"
done
pass "virsh destroy leaves no vgate process and no state"

# --- a shared network -------------------------------------------------------------------
A=${P}_lab_a
B=${P}_lab_b
define lab-a "$A"
define lab-b "$B"
start "$A"
start "$B"
[ "$(find "/run/vgate-net/$NET/members" -type f | wc -l)" -eq 2 ] || fail "members: $(ls "/run/vgate-net/$NET/members")"
[ "$(vgate_of "/run/vgate-net/$NET" | wc -l)" -eq 1 ] || fail "not exactly one vgate for $NET"
line=$(guest_wait "$A" serve 180) || fail "$A: $line"
line=$(guest_wait "$B" serve 180) || fail "$B: $line"
[ "$(guest_field "$A" dhcp ip)" = 192.168.127.10 ] || fail "$A: $(guest_line "$A" dhcp)"
[ "$(guest_field "$B" dhcp ip)" = 192.168.127.11 ] || fail "$B: $(guest_line "$B" dhcp)"
[ "$(sx curl -sf --max-time 20 http://127.0.0.1:8082/ip)" = 192.168.127.10 ] || fail "8082 -> $A"
[ "$(sx curl -sf --max-time 20 http://127.0.0.1:8083/ip)" = 192.168.127.11 ] || fail "8083 -> $B"
pass "two domains on one shared vgate: each has its lease and its forward"
virsh destroy "$A" >/dev/null
no_trace "$A"
[ -n "$(vgate_of "/run/vgate-net/$NET")" ] || fail "the network stopped with a member left"
! sx curl -s --max-time 5 -o /dev/null http://127.0.0.1:8082/ || fail "$A's forward outlived it"
[ "$(sx curl -sf --max-time 20 http://127.0.0.1:8083/ip)" = 192.168.127.11 ] || fail "8083 after $A left"
virsh destroy "$B" >/dev/null
no_trace "$B"
[ ! -e "/run/vgate-net/$NET" ] || fail "/run/vgate-net/$NET left behind"
[ -z "$(vgate_of "/run/vgate-net/$NET")" ] || fail "the shared vgate outlived its last member"
pass "the shared network outlives one member and ends with the last"

# --- refusals -------------------------------------------------------------------------------
X=${P}_bad
define vgate-stream "$X" -e 's#host="127.0.0.1:8080"#host="127.0.0.1:80800"#'
if virsh start "$X" >"$T/bad.out" 2>&1; then
	fail "a domain with a forward to port 80800 started"
fi
grep -q "vgate: domain $X: invalid vgate metadata: line [0-9]*: <vgate:forward>: host '127.0.0.1:80800'" \
	"$T/bad.out" || fail "virsh's error lacks the hook's message: $(cat "$T/bad.out")"
no_trace "$X"
pass "invalid metadata: virsh start fails with the hook's message, nothing left"

Y=${P}_taken
define vgate-stream "$Y" -e 's#host="127.0.0.1:8080"#host="127.0.0.1:8090"#'
bg ip netns exec "$SBX" python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 8090)); s.listen(); time.sleep(600)'
wait_until 10 sx sh -c "ss -Hlnt | grep -q 127.0.0.1:8090" || fail "no listener on 8090"
if virsh start "$Y" >"$T/taken.out" 2>&1; then
	fail "a domain whose forward port is taken started"
fi
grep -q "vgate: domain $Y: forward tcp 127.0.0.1:8090 -> 192.168.127.2:80: vgate answered 500: .*address already in use" \
	"$T/taken.out" || fail "virsh's error: $(cat "$T/taken.out")"
no_trace "$Y"
pass "a forward vgate cannot open: virsh start fails with vgate's answer, nothing left"

Z=${P}_plain
DOMAINS+=("$Z")
sed -e '/<metadata>/,/<\/metadata>/d' -e '/<qemu:commandline>/,/<\/qemu:commandline>/d' \
	-e "s#<name>vgate-stream</name>#<name>$Z</name>#" \
	-e "s#/var/lib/libvirt/images/vgate-guest/vmlinux#$GUEST_KERNEL#" \
	-e "s#/var/lib/libvirt/images/vgate-guest/initramfs.cpio#$GUEST_INITRD#" \
	-e "s#/var/log/libvirt/qemu/vgate-stream.serial#$T/$Z.serial#" \
	"$EX/vgate-stream.xml" >"$T/$Z.xml"
virsh define "$T/$Z.xml" >/dev/null || fail "define $Z"
start "$Z"
[ ! -e "/run/vgate/$Z" ] || fail "a domain without vgate metadata got vgate state"
out=$(echo '<domain><name>x</name></domain>' | "$HOOK" x prepare begin - 2>&1) ||
	fail "the hook failed on a plain domain: $out"
[ -z "$out" ] || fail "the hook printed for a plain domain: $out"
virsh destroy "$Z" >/dev/null
pass "a domain without vgate metadata is left alone"
