#!/usr/bin/env bash
# vgate as a drop-in for gvproxy under podman machine (Linux/QEMU):
#   - podman's full gvproxy command line, with its SSH unix-socket forwards
#     (-forward-sock/-dest/-user/-identity), is refused with a clear "not
#     supported yet" and no socket or pid file left behind
#   - the same command line without those four flags (-debug -mtu 1500
#     -ssh-port N -listen-qemu unix://... -pid-file -log-file) starts vgate,
#     and a QEMU guest wired as podman wires it (-netdev stream,server=off,
#     addr.type=unix, virtio-net-pci with mac 5a:94:ef:e4:0c:ee) gets
#     192.168.127.2 with MTU 1500, resolves host.containers.internal to the
#     host alias and downloads a file from a server on the host's loopback
#     through 192.168.127.254 (sha256 checked in the guest)
#   - -ssh-port's listener is up on 127.0.0.1; SIGTERM removes pid file and socket
. "$(dirname "$0")/lib.sh"
command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64"
e2e_init
. "$E2E_DIR/guest.sh"
guest_build
guest_fixtures

SSH_PORT=41117
SOCK=$T/podman-machine-default-gvproxy.sock

# --- podman's command line as it is: the SSH forwards are refused ---
ssh-keygen -q -t ed25519 -N '' -f "$T/machine" 2>/dev/null || : >"$T/machine"
rc=0
sx timeout 10 "$VGATE" -debug -mtu 1500 -ssh-port "$SSH_PORT" -listen-qemu "unix://$SOCK" \
	-forward-sock "$T/podman.sock" -forward-dest /run/podman/podman.sock \
	-forward-user core -forward-identity "$T/machine" \
	-pid-file "$T/refused.pid" -log-file "$T/refused.log" >"$T/refused.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "the -forward-* flags were accepted (they are not implemented)"
grep -q -- "-forward-sock.*not supported yet" "$T/refused.out" "$T/refused.log" 2>/dev/null ||
	fail "no clear refusal of -forward-sock: $(cat "$T/refused.out" "$T/refused.log" 2>/dev/null)"
if [ -e "$SOCK" ] || [ -e "$T/refused.pid" ]; then fail "a refused start left its socket or pid file"; fi
pass "podman's -forward-sock/-dest/-user/-identity: exit $rc, \"not supported yet\", nothing left behind"

# --- the rest of podman's command line, and a guest wired as podman does ---
start_vgate -mtu 1500 -ssh-port "$SSH_PORT" -listen-qemu "unix://$SOCK" "${GUEST_VGATE_ARGS[@]}"
[ "$(cat "$T/vgate.pid")" = "$VGATE_PID" ] || fail "pid file: $(cat "$T/vgate.pid"), vgate is $VGATE_PID"
guest_boot_nic podman 5a:94:ef:e4:0c:ee "stream,server=off,addr.type=unix,addr.path=$SOCK" \
	"vgate.scenario=check vgate.ip=192.168.127.2 vgate.mtu=1500 $GUEST_CHECK vgate.hold=forever"
guest_expect_check podman 120
pass "guest on podman's wiring: lease $(guest_field podman dhcp ip) (MTU $(guest_field podman dhcp mtu)), DNS, host loopback file via 192.168.127.254 (sha256 $(guest_field podman get:1 sha256 | cut -c 1-12)...)"

# The SSH forward podman relies on is in place.
grep -q "forward tcp 127.0.0.1:$SSH_PORT\|127.0.0.1:$SSH_PORT" "$T/vgate.log" ||
	fail "-ssh-port $SSH_PORT: no forward logged: $(grep -i forward "$T/vgate.log" | tail -5)"
sx python3 -c "import socket; socket.create_connection(('127.0.0.1', $SSH_PORT), 2)" ||
	fail "-ssh-port $SSH_PORT: nothing listens on 127.0.0.1:$SSH_PORT"
guest_stop podman
stop_vgate
[ ! -e "$SOCK" ] || fail "the -listen-qemu socket was left behind"
pass "-ssh-port listener up; SIGTERM: exit 0, pid file and socket removed"
