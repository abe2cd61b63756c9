#!/usr/bin/env bash
# Install every Debian package vgate needs to build, test and run.
# As root: installs what is missing. Otherwise: prints the apt command and
# fails if anything is missing.
set -euo pipefail

pkgs=(
	# build
	build-essential pkg-config dpkg-dev xz-utils
	libcmocka-dev libyajl-dev libmicrohttpd-dev libxml2-dev liblwip-dev
	# lint
	clang-format clang-tidy cppcheck shellcheck
	# end-to-end peers and tools
	qemu-system-x86 ipxe-qemu busybox-static tshark iproute2 iputils-ping
	socat curl dnsutils iperf3 python3
	# libvirt: the hook's and vgatectl's library, and a real libvirtd for the
	# end-to-end test (-sysv keeps apt from pulling in systemd)
	libvirt-dev libvirt-daemon-system libvirt-daemon-system-sysv libvirt-clients
	# benchmark peers (make bench)
	passt slirp4netns
)

missing=()
for p in "${pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
cmd=(apt-get install -y --no-install-recommends "${missing[@]}")
if [ "$(id -u)" -ne 0 ]; then
	echo "vgate needs these Debian packages; run as root:" >&2
	echo "  apt-get update && ${cmd[*]}" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
"${cmd[@]}" -q
