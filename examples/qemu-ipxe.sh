#!/usr/bin/env bash
# Attach a QEMU VM to a running vgate (started by `make run`) with no guest
# OS at all: QEMU's iPXE ROM brings the NIC up and sends DHCP requests, which
# vgate's switch learns and counts. Press Ctrl-A X to quit QEMU.
set -euo pipefail

if [ "$(id -u)" -eq 0 ]; then
	dir=/run/vgate
elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then
	dir=$XDG_RUNTIME_DIR/vgate
else
	dir=/tmp/vgate-$(id -u)
fi
sock=${1:-$dir/qemu.sock}
exec qemu-system-x86_64 -accel tcg -m 128 -nographic -nodefaults -serial mon:stdio \
	-netdev "stream,id=vgate0,server=off,addr.type=unix,addr.path=$sock" \
	-device virtio-net-pci,netdev=vgate0,mac=5a:94:ef:e4:0c:ee -boot n
