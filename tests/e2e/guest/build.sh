#!/usr/bin/env bash
# Build vgate's test guest (tests/e2e/guest/README.md) into OUTDIR
# (default build/guest): OUTDIR/vmlinux, OUTDIR/vmlinuz, OUTDIR/initramfs.cpio.
#
# Two cached stages:
#  1. the kernel: `apt-get download` of the linux-image-6.1.0-*-amd64
#     package that linux-image-amd64 depends on, in a temp dir, unpacked
#     with dpkg-deb (never installed); the ELF vmlinux is taken out of the
#     bzImage's XZ payload so QEMU can boot it through its PVH entry; the
#     virtio modules (and pktgen) are kept beside it in OUTDIR/kernel/.
#     Done once: later runs download nothing.
#  2. the initramfs: busybox-static, curl with its libraries and loader,
#     the modules, /init and the udhcpc script; rebuilt only when one of
#     those is newer than the archive.
# Runs are serialised with flock; outputs are replaced by rename.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
OUT=${1:-$ROOT/build/guest}
MODULES=(virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci
	failover net_failover virtio_net pktgen)

die() {
	echo "guest/build.sh: $*" >&2
	exit 1
}

for tool in apt-get apt-cache dpkg-deb python3 flock; do
	command -v "$tool" >/dev/null || die "needs $tool"
done
# (Not "busybox --list | grep -q": under pipefail, grep leaving early can
# kill the writer with SIGPIPE and fail the check on a good busybox.)
grep -qx udhcpc <<<"$(/bin/busybox --list 2>/dev/null)" ||
	die "needs busybox-static (/bin/busybox with udhcpc)"
CURL=$(command -v curl) || die "needs curl"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
exec 9>"$OUT/.lock"
flock -w 900 9 || die "another build holds $OUT/.lock"

WORK=""
cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }
trap cleanup EXIT

# --- 1. the kernel -------------------------------------------------------------
KDIR=$OUT/kernel
kernel_cached() {
	[ -s "$KDIR/vmlinux" ] && [ -s "$KDIR/vmlinuz" ] && [ -s "$KDIR/version" ] || return 1
	local m
	for m in "${MODULES[@]}"; do
		[ -s "$KDIR/modules/$m.ko" ] || return 1
	done
}

if ! kernel_cached; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-6\.1\.0-.*-amd64$/ { print $2; exit }')
	[ -n "$pkg" ] || die "apt knows no linux-image-6.1.0-*-amd64 behind linux-image-amd64 (apt-get update?)"
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/vgate-guest-kernel.XXXXXX")
	echo "guest: downloading $pkg (apt-get download, not installed)" >&2
	# As root, apt downloads as the _apt user: let it write there.
	if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$WORK"
	fi
	(cd "$WORK" && apt-get download -q "$pkg" >&2) || die "apt-get download $pkg failed"
	deb=$(find "$WORK" -maxdepth 1 -name '*.deb' | head -n 1)
	[ -n "$deb" ] || die "apt-get download left no .deb"
	mkdir "$WORK/root"
	dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$WORK/root" --wildcards \
		'./boot/vmlinuz-*' '*/virtio*.ko*' '*/failover.ko*' '*/net_failover.ko*' '*/pktgen.ko*'
	vmlinuz=$(find "$WORK/root/boot" -name 'vmlinuz-*' | head -n 1)
	[ -n "$vmlinuz" ] || die "$pkg holds no /boot/vmlinuz-*"
	version=${vmlinuz##*/vmlinuz-}

	new=$WORK/kernel
	mkdir -p "$new/modules"
	cp "$vmlinuz" "$new/vmlinuz"
	for m in "${MODULES[@]}"; do
		f=$(find "$WORK/root/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" | head -n 1)
		[ -n "$f" ] || die "$pkg has no module $m"
		case $f in
		*.xz) xz -dc "$f" >"$new/modules/$m.ko" ;;
		*) cp "$f" "$new/modules/$m.ko" ;;
		esac
	done
	# The bzImage's payload is one XZ stream; what follows it is padding.
	python3 - "$new/vmlinuz" "$new/vmlinux" <<'EOF' || die "no ELF vmlinux in $vmlinuz"
import lzma, sys
data = open(sys.argv[1], "rb").read()
off = data.find(b"\xfd7zXZ\x00")
if off < 0:
    sys.exit("no XZ payload")
elf = lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data[off:])
if elf[:4] != b"\x7fELF":
    sys.exit("payload is not ELF")
open(sys.argv[2], "wb").write(elf)
EOF
	printf '%s\n' "$version" >"$new/version"
	rm -rf "$KDIR"
	mv "$new" "$KDIR"
	rm -rf "$WORK"
	WORK=""
fi

# --- 2. the initramfs ----------------------------------------------------------
INITRD=$OUT/initramfs.cpio
inputs=("$HERE/init" "$HERE/udhcpc.script" "$HERE/build.sh" /bin/busybox "$CURL" "$KDIR/version")
stale=0
[ -s "$INITRD" ] || stale=1
for f in "${inputs[@]}"; do
	if [ "$f" -nt "$INITRD" ]; then stale=1; fi
done

if [ "$stale" = 1 ]; then
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/vgate-guest-initrd.XXXXXX")
	R=$WORK/root
	mkdir -p "$R"/{bin,sbin,dev,proc,sys,tmp,run,etc,www/cgi-bin,lib/modules,usr/bin}
	cp /bin/busybox "$R/bin/busybox"
	install -m 755 "$HERE/init" "$R/init"
	install -m 755 "$HERE/udhcpc.script" "$R/etc/udhcpc.script"
	cp "$KDIR"/modules/*.ko "$R/lib/modules/"
	# The load order: the list above, each module after what its
	# "depends=" names (6.1's virtio needs virtio_ring first).
	python3 - "$KDIR/modules" "${MODULES[@]}" >"$R/lib/modules/order" <<'EOF' ||
import re, sys
d, wanted = sys.argv[1], [m for m in sys.argv[2:] if m != "pktgen"]
deps = {}
for m in wanted:
    info = open("%s/%s.ko" % (d, m), "rb").read()
    found = re.search(rb"\0depends=([^\0]*)\0", info)
    deps[m] = [x for x in found.group(1).decode().split(",") if x] if found else []
done = []
def visit(m, path=()):
    if m in done:
        return
    if m in path or m not in deps:
        sys.exit("module dependency %s of %s is not in the list" % (m, "/".join(path)))
    for x in deps[m]:
        visit(x, path + (m,))
    done.append(m)
for m in wanted:
    visit(m)
print("\n".join(done))
EOF
		die "cannot order the modules"
	cp "$KDIR/version" "$R/etc/kernel-version"

	# curl and everything the loader maps for it, at the same paths.
	install -m 755 "$CURL" "$R/usr/bin/curl"
	ldd "$CURL" | awk '/=> \// { print $3 } /^\t\// { print $1 }' | while read -r lib; do
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
	# Debian's curl resolves names through glibc (files and dns are built in).
	printf 'hosts: files dns\n' >"$R/etc/nsswitch.conf"
	printf '127.0.0.1 localhost\n' >"$R/etc/hosts"

	printf 'vgate test guest\n' >"$R/www/index.html"
	cat >"$R/www/cgi-bin/poweroff" <<'EOF'
#!/bin/sh
printf 'Content-Type: text/plain\r\n\r\npowering off\n'
(sleep 1; echo "VGATE-STEP poweroff OK via=cgi" >/dev/console; poweroff -f) </dev/null >/dev/null 2>&1 &
EOF
	chmod 755 "$R/www/cgi-bin/poweroff"

	(cd "$R" && find . -mindepth 1 | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) \
		>"$WORK/initramfs.cpio" || die "cpio failed"
	mv "$WORK/initramfs.cpio" "$INITRD"
fi

# Top-level names the README promises; hard links keep them atomic and cheap.
for f in vmlinux vmlinuz; do
	if ! [ "$OUT/$f" -ef "$KDIR/$f" ]; then
		ln -f "$KDIR/$f" "$OUT/$f.new"
		mv -f "$OUT/$f.new" "$OUT/$f"
	fi
done
if ! cmp -s "$KDIR/version" "$OUT/kernel-version" 2>/dev/null; then
	cp "$KDIR/version" "$OUT/kernel-version"
fi
