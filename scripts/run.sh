#!/usr/bin/env bash
# `make run`: start vgate in the foreground with defaults and say how to
# attach a VM. State lives in $XDG_RUNTIME_DIR/vgate (or /run/vgate as root).
set -euo pipefail

vgate=${1:?usage: run.sh PATH_TO_VGATE}
if [ "$(id -u)" -eq 0 ]; then
	dir=/run/vgate
elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then
	dir=$XDG_RUNTIME_DIR/vgate
else
	dir=/tmp/vgate-$(id -u)
fi
mkdir -p "$dir"
chmod 700 "$dir"

cat <<MSG
vgate: QEMU socket $dir/qemu.sock, API socket $dir/api.sock

Attach a QEMU VM (any number may attach) with:
  -netdev stream,id=vgate0,server=off,addr.type=unix,addr.path=$dir/qemu.sock \\
  -device virtio-net-pci,netdev=vgate0,mac=5a:94:ef:e4:0c:ee

Traffic counters:
  curl --unix-socket $dir/api.sock http://vgate/stats
  curl --unix-socket $dir/api.sock http://vgate/v1/ports

Stop with Ctrl-C.
MSG
exec "$vgate" -listen-qemu "unix://$dir/qemu.sock" -listen "unix://$dir/api.sock" \
	-pid-file "$dir/vgate.pid"
