#!/usr/bin/env bash
# The real-libvirtd rig (TESTING.md, Rig 3) shared by t_libvirt.sh and
# t_libvirt_hotplug.sh. Source after lib.sh, e2e_init and guest.sh:
#
#   rig_init            prerequisites (skips without libvirt), waits (bounded)
#                       until no other libvirtd runs, installs the cleanup trap
#   rig_install         /etc/libvirt/qemu.conf for root's QEMU, libvirt's
#                       default network kept from autostarting, the hook
#                       (libvirt-hook/) as /etc/libvirt/hooks/qemu.d/vgate
#                       through a wrapper that says where vgate is
#   start_libvirtd      `libvirtd -d` inside the sandbox namespace, so QEMU,
#                       the hook and every vgate it starts live there too
#   stop_libvirtd       by the pid in /run/libvirtd.pid
#   define EX NAME [SED...], start NAME
#                       a domain from examples/libvirt/EX.xml under the test's
#                       name, guest and paths; `virsh start`
#   vgate_of DIR, vgate_gone DIR, vgate_back DIR, no_trace DOMAIN, qemu_log,
#   json_num KEY, wired WORD, rig_no_sanitizer_reports
#
# On exit every domain defined here is destroyed and undefined, libvirtd
# stopped, every file changed under /etc restored and the hook removed.
# Only one libvirtd can run on a machine (its sockets and pid file are
# global): tests using this rig take a lock, and wait at most
# LIBVIRT_RIG_WAIT seconds (default 240) for another libvirtd to end
# before they skip.

# Variables set here are read by the sourcing scripts.
# shellcheck disable=SC2034

# Absolute: libvirtd runs the hook from /.
HOOK=$(realpath -m "$VGATE_BUILD/vgate-libvirt-hook")
CTL=$(realpath -m "${VGATECTL:-$VGATE_BUILD/vgatectl}")
VGATE=$(realpath -m "$VGATE")
EX=$ROOT/examples/libvirt
HOOK_PATH=/etc/libvirt/hooks/qemu.d/vgate
QEMU_CONF=/etc/libvirt/qemu.conf
AUTOSTART=/etc/libvirt/qemu/networks/autostart/default.xml
RIG_LOCK=/run/lock/vgate-e2e-libvirt.lock
export LIBVIRT_DEFAULT_URI=qemu:///system
P=vgt$$
NET=${P}lab
DOMAINS=()
LIBVIRTD_PID=""
MADE_HOOK_DIR=""

libvirt_cleanup() {
	local rc=$? d
	set +e
	for d in "${DOMAINS[@]}"; do
		if [ -n "$LIBVIRTD_PID" ]; then
			virsh destroy "$d" >/dev/null 2>&1
			virsh undefine "$d" >/dev/null 2>&1
		fi
	done
	if [ -n "$LIBVIRTD_PID" ]; then
		kill -TERM "$LIBVIRTD_PID" 2>/dev/null
		for _ in $(seq 1 100); do
			kill -0 "$LIBVIRTD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$LIBVIRTD_PID" 2>/dev/null
	fi
	# Whatever libvirtd could not remove itself (it may have been down).
	for d in "${DOMAINS[@]}"; do
		rm -rf "/run/vgate/$d" "/var/log/libvirt/qemu/$d.log" "/etc/libvirt/qemu/$d.xml" \
			"/run/libvirt/qemu/$d.xml" "/run/libvirt/qemu/$d.pid"
	done
	rm -rf "/run/vgate-net/$NET"
	if [ -e "$T/etc/hook-installed" ]; then
		rm -f "$HOOK_PATH"
		[ -e "$T/etc/hook" ] && mv "$T/etc/hook" "$HOOK_PATH"
	fi
	[ -n "$MADE_HOOK_DIR" ] && rmdir "$MADE_HOOK_DIR" 2>/dev/null
	[ -e "$T/etc/qemu.conf" ] && cat "$T/etc/qemu.conf" >"$QEMU_CONF"
	[ -e "$T/etc/default.xml" ] && mv "$T/etc/default.xml" "$AUTOSTART"
	(exit "$rc")
	e2e_cleanup
}

# libvirtd_running: a libvirtd that is not a zombie (one that just daemonized
# can linger as one until its parent reaps it).
libvirtd_running() {
	local p st
	for p in $(pgrep -x libvirtd); do
		st=$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null || true)
		[ -n "$st" ] && [ "$st" != Z ] && return 0
	done
	return 1
}

# rig_init: skip without libvirt; one libvirt test at a time (bounded wait).
rig_init() {
	local wait=${LIBVIRT_RIG_WAIT:-240} t0=$SECONDS
	if ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
		skip "needs libvirt-daemon-system and libvirt-clients (make deps)"
	fi
	[ -x "$HOOK" ] || fail "no $HOOK (run make first)"
	[ -x "$CTL" ] || fail "no $CTL (run make first)"
	mkdir -p "${RIG_LOCK%/*}"
	exec {RIG_LOCK_FD}>>"$RIG_LOCK"
	flock -w "$wait" "$RIG_LOCK_FD" || skip "another libvirt test held $RIG_LOCK for $wait s"
	while libvirtd_running && [ $((SECONDS - t0)) -lt "$wait" ]; do
		sleep 1
	done
	if libvirtd_running; then
		skip "a libvirtd is still running after $wait s (pid $(pgrep -x libvirtd | head -n 1)); this test runs its own"
	fi
	[ $((SECONDS - t0)) -lt 2 ] || log "waited $((SECONDS - t0)) s for another libvirt test"
	trap libvirt_cleanup EXIT
	trap 'exit 143' TERM INT
}

# rig_install: the /etc changes (saved first) and the hook.
rig_install() {
	mkdir -p "$T/etc"
	cp "$QEMU_CONF" "$T/etc/qemu.conf"
	if [ -e "$AUTOSTART" ] || [ -L "$AUTOSTART" ]; then
		mv "$AUTOSTART" "$T/etc/default.xml"
	fi
	# Root's QEMU can open root's sockets; no re-probing; no virtlogd needed.
	printf '\n# added by vgate tests/e2e/%s.sh\nuser = "root"\ngroup = "root"\nstdio_handler = "file"\n' \
		"$TEST_NAME" >>"$QEMU_CONF"
	if [ ! -d "${HOOK_PATH%/*}" ]; then
		mkdir -p "${HOOK_PATH%/*}"
		MADE_HOOK_DIR=${HOOK_PATH%/*}
	fi
	if [ -e "$HOOK_PATH" ]; then
		mv "$HOOK_PATH" "$T/etc/hook"
	fi
	: >"$T/etc/hook-installed"
	# libvirt runs hooks with a cleared environment: the wrapper says where vgate is.
	cat >"$HOOK_PATH" <<EOF
#!/bin/sh
# Written by vgate's tests/e2e/$TEST_NAME.sh; removed when it ends.
echo "\$*" >>$T/hook-calls
export ASAN_OPTIONS=log_path=$T/sanitizer UBSAN_OPTIONS=log_path=$T/sanitizer:print_stacktrace=1
VGATE_BIN=$T/vgate-wrapper exec $HOOK "\$@"
EOF
	# The hook gives vgate a fixed environment (and its stderr is /dev/null): a
	# sanitized build (make SANITIZE=1) reports into $T/sanitizer.PID instead.
	cat >"$T/vgate-wrapper" <<EOF
#!/bin/sh
export ASAN_OPTIONS=log_path=$T/sanitizer UBSAN_OPTIONS=log_path=$T/sanitizer:print_stacktrace=1
exec $VGATE "\$@"
EOF
	chmod 755 "$HOOK_PATH" "$T/vgate-wrapper"
}

start_libvirtd() {
	# The rig's lock stays with this test, not with the daemon.
	LIBVIRT_LOG_OUTPUTS="3:file:$T/libvirtd.log" ip netns exec "$SBX" libvirtd -d \
		{RIG_LOCK_FD}>&- || fail "libvirtd -d failed"
	wait_until 30 virsh version || fail "libvirtd does not answer: $(tail -n 5 "$T/libvirtd.log")"
	LIBVIRTD_PID=$(cat /run/libvirtd.pid)
	[ "$(readlink "/proc/$LIBVIRTD_PID/ns/net")" = "$(readlink "/run/netns/$SBX")" ] ||
		[ "$(stat -L -c %i "/proc/$LIBVIRTD_PID/ns/net")" = "$(stat -L -c %i "/run/netns/$SBX")" ] ||
		fail "libvirtd is not in the sandbox namespace"
}
stop_libvirtd() {
	kill -TERM "$LIBVIRTD_PID"
	wait_until 15 sh -c "! kill -0 $LIBVIRTD_PID" || fail "libvirtd did not stop"
	LIBVIRTD_PID=""
}

# domain_xml EXAMPLE NAME [SED...]: an example with the test's name, guest and paths.
domain_xml() {
	local ex=$1 name=$2
	shift 2
	local old
	old=$(sed -n 's:.*<name>\(.*\)</name>.*:\1:p' "$EX/$ex.xml")
	sed -e "s#<name>$old</name>#<name>$name</name>#" \
		-e "s#/run/vgate/$old/#/run/vgate/$name/#" \
		-e "s#/run/vgate-net/lab/#/run/vgate-net/$NET/#" \
		-e "s#name=\"lab\"#name=\"$NET\"#" \
		-e "s#/var/lib/libvirt/images/vgate-guest/vmlinux#$GUEST_KERNEL#" \
		-e "s#/var/lib/libvirt/images/vgate-guest/initramfs.cpio#$GUEST_INITRD#" \
		-e "s#/var/log/libvirt/qemu/$old.serial#$T/$name.serial#" \
		"$@" "$EX/$ex.xml" >"$T/$name.xml"
}
define() {
	DOMAINS+=("$2")
	domain_xml "$@"
	virsh define "$T/$2.xml" >/dev/null || fail "virsh define $2"
}
start() {
	local t0=$SECONDS
	virsh start "$1" >"$T/$1.start" 2>&1 || fail "virsh start $1: $(cat "$T/$1.start")"
	log "virsh start $1 took $((SECONDS - t0)) s"
}
qemu_log() { tail -n 20 "/var/log/libvirt/qemu/$1.log" 2>/dev/null; }
vgate_of() { pgrep -f -- "-pid-file=$1/vgate.pid" || true; }
vgate_gone() { [ -z "$(vgate_of "$1")" ]; }
vgate_back() { [ -n "$(vgate_of "$1")" ]; }
no_trace() {
	[ ! -e "/run/vgate/$1" ] || fail "$1: /run/vgate/$1 left behind: $(ls -la "/run/vgate/$1")"
	[ -z "$(vgate_of "/run/vgate/$1")" ] || fail "$1: a vgate process is left behind"
}
json_num() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
wired() { grep -q "$1" <<<"$("$CTL" --help 2>&1)"; }

# rig_no_sanitizer_reports: no report of a sanitized hook or vgate (they write
# to $T/sanitizer.PID through the wrapper's ASAN_OPTIONS/UBSAN_OPTIONS).
rig_no_sanitizer_reports() {
	local f
	for f in "$T"/sanitizer.*; do
		[ -e "$f" ] || continue
		fail "a sanitizer report from the hook or vgate ($f): $(head -n 30 "$f")"
	done
}
