#!/usr/bin/env bash
# QEMU helpers for the t_qemu_*.sh tests (sourced after lib.sh and e2e_init).
# They boot diskless VMs whose iPXE ROM PXE-boots on the given netdev, drive
# them through the HMP monitor, and read what the switch and QEMU saw.


# qemu_vm N MAC NETDEV: boot diskless VM N (TCG, 128 MB) whose virtio-net
# iPXE ROM PXE-boots from NETDEV, rebooting to PXE-boot again when that
# fails. HMP monitor on $T/mon-N.sock; QEMU's filter-dump writes every frame
# of the netdev (both directions) to $T/qemu-N.pcap; stderr goes to
# $T/qemu-N.err. Sets BG_PID to the QEMU process itself.
qemu_vm() {
	bg ip netns exec "$SBX" qemu-system-x86_64 -accel tcg -nodefaults -nographic \
		-display none -m 128 -serial "file:$T/serial-$1" \
		-monitor "unix:$T/mon-$1.sock,server=on,wait=off" \
		-boot order=n,reboot-timeout=0 \
		-netdev "$3" -device "virtio-net-pci,netdev=n0,mac=$2" \
		-object "filter-dump,id=d0,netdev=n0,file=$T/qemu-$1.pcap" 2>"$T/qemu-$1.err"
}

# hmp N CMD...: run HMP commands on QEMU N's monitor (bounded); fails on an
# error reply.
hmp() {
	local n=$1
	shift
	hmp_cmd "$T/mon-$n.sock" "$@" >/dev/null
}

# poked N CMD...: CMD succeeds. Until it does, ask QEMU N (unless N is -)
# for RARP announcements (HMP announce_self, at most every 2 s) so the check
# does not depend on where iPXE is in its DHCP/reboot cycle, and pause
# 0.4 s so that polling stays cheap next to the TCG guests.
LAST_POKE=0
poked() {
	local n=$1
	shift
	"$@" && return 0
	if [ "$n" != - ] && [ $((SECONDS - LAST_POKE)) -ge 2 ]; then
		LAST_POKE=$SECONDS
		hmp "$n" announce_self || true
	fi
	sleep 0.4
	return 1
}

# port_get MAC FIELD: FIELD of the /v1/ports entry for MAC (fails if none).
port_get() {
	api /v1/ports | json_get "[p['$2'] for p in j if p['mac'] == '$1'][0]"
}

# rx_above MAC N: the switch counted more than N frames from MAC.
rx_above() {
	local f
	f=$(port_get "$1" rx_frames) && [ "$f" -gt "$2" ]
}

# pcap_has_src PCAP MAC: the QEMU dump PCAP holds a frame from MAC.
pcap_has_src() {
	python3 - "$1" "$2" <<'EOF'
import struct, sys
try:
    data = open(sys.argv[1], "rb").read()
except OSError:
    sys.exit(1)
mac = bytes.fromhex(sys.argv[2].replace(":", ""))
end = "<" if data[:4] == b"\xd4\xc3\xb2\xa1" else ">"
off = 24
while off + 16 <= len(data):
    incl = struct.unpack(end + "I", data[off + 8:off + 12])[0]
    if data[off + 16 + 6:off + 16 + 12] == mac:
        sys.exit(0)
    off += 16 + incl
sys.exit(1)
EOF
}

