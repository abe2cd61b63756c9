#!/usr/bin/env bash
# Helpers for tests that boot the real test guest (tests/e2e/guest/README.md):
# a Debian kernel + busybox VM under QEMU (TCG) that reports each step of
# its scenario on the serial console as "VGATE-STEP <step> <OK|FAIL> ...".
# Source after lib.sh and e2e_init: QEMU runs in the sandbox ($SBX), its
# files live in $T, and `bg` records it for cleanup.

# Variables set here are read by the sourcing scripts.
# shellcheck disable=SC2034
GUEST_DIR=${GUEST_DIR:-$ROOT/build/guest}
GUEST_KERNEL=""
GUEST_INITRD=""
GUEST_PID=""
GUEST_MEM=${GUEST_MEM:-256}

# guest_build: build (or reuse) the guest; sets GUEST_KERNEL and GUEST_INITRD.
# Skips the test when QEMU or the kernel package cannot be had.
guest_build() {
	command -v qemu-system-x86_64 >/dev/null || skip "needs qemu-system-x86_64"
	bash "$E2E_DIR/guest/build.sh" "$GUEST_DIR" >"$T/guest-build.log" 2>&1 ||
		skip "cannot build the test guest: $(tail -n 5 "$T/guest-build.log")"
	GUEST_KERNEL=$GUEST_DIR/vmlinux
	GUEST_INITRD=$GUEST_DIR/initramfs.cpio
}

# guest_boot NAME APPEND [QEMU_ARG...]: boot the guest inside the sandbox.
# Serial console to $T/NAME.serial, HMP monitor on $T/NAME.mon, stderr to
# $T/NAME.err; APPEND follows "console=ttyS0 quiet panic=-1" on the kernel
# command line. Sets GUEST_PID to the QEMU process.
guest_boot() {
	local name=$1 append=$2
	shift 2
	[ -n "$GUEST_KERNEL" ] || guest_build
	: >"$T/$name.serial"
	bg ip netns exec "${GUEST_NETNS:-$SBX}" qemu-system-x86_64 -accel tcg -m "$GUEST_MEM" -smp 1 \
		-nodefaults -nographic -display none -no-reboot \
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" \
		-append "console=ttyS0 quiet panic=-1 $append" \
		-serial "file:$T/$name.serial" \
		-monitor "unix:$T/$name.mon,server=on,wait=off" \
		"$@" 2>"$T/$name.err"
	# shellcheck disable=SC2034 # read by the tests
	GUEST_PID=$BG_PID
	eval "GUEST_PID_$name=\$BG_PID"
}

# guest_boot_nic NAME MAC NETDEV APPEND [QEMU_ARG...]: guest_boot with one
# virtio-net NIC on "-netdev NETDEV,id=n0" (NETDEV without id=).
guest_boot_nic() {
	local name=$1 mac=$2 netdev=$3 append=$4
	shift 4
	guest_boot "$name" "$append" -netdev "$netdev,id=n0" \
		-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=" "$@"
}

# guest_log NAME: the serial log without carriage returns.
guest_log() { tr -d '\r' <"$T/$1.serial" 2>/dev/null; }

# guest_line NAME STEP: the last marker line of STEP (from "VGATE-STEP" on).
guest_line() {
	guest_log "$1" | grep -aF "VGATE-STEP $2 " | sed 's/.*VGATE-STEP /VGATE-STEP /' | tail -n 1
}

# guest_pid NAME: the QEMU process of guest NAME.
guest_pid() {
	local v="GUEST_PID_$1"
	echo "${!v:-}"
}

# guest_wait NAME STEP SECONDS: wait for STEP's marker. Returns 0 on OK and
# 1 on FAIL, on QEMU's exit or at the deadline; prints the marker line
# (or why there is none) on stdout.
guest_wait() {
	local name=$1 st=$2 deadline=$((SECONDS + $3)) line pid
	pid=$(guest_pid "$name")
	while :; do
		line=$(guest_line "$name" "$st")
		if [ -n "$line" ]; then
			echo "$line"
			case $line in "VGATE-STEP $st OK"*) return 0 ;; *) return 1 ;; esac
		fi
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			echo "guest $name: QEMU exited before step $st ($(tail -c 300 "$T/$name.err" 2>/dev/null))"
			return 1
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "guest $name: no step $st after $3 s"
			return 1
		fi
		sleep 0.2
	done
}

# guest_field NAME STEP KEY: KEY's value on STEP's marker line.
guest_field() {
	guest_line "$1" "$2" | tr ' ' '\n' | sed -n "s/^$3=//p" | head -n 1
}

# guest_hmp NAME CMD: one HMP command on the guest's monitor (bounded);
# prints QEMU's reply, fails when it reports an error.
guest_hmp() { hmp_cmd "$T/$1.mon" "$2"; }

# guest_stop NAME: quit QEMU through its monitor; SIGKILL after 10 s.
guest_stop() {
	local pid
	pid=$(guest_pid "$1")
	[ -n "$pid" ] || return 0
	guest_hmp "$1" quit >/dev/null 2>&1 || kill -TERM "$pid" 2>/dev/null || true
	wait_until 10 eval "! kill -0 $pid" || kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# guest_gone NAME SECONDS: QEMU of guest NAME exits by itself within SECONDS.
guest_gone() {
	local pid
	pid=$(guest_pid "$1")
	wait_until "$2" eval "! kill -0 $pid"
}

# guest_expect NAME STEP SECONDS: guest_wait or fail the test with the log.
guest_expect() {
	local out
	out=$(guest_wait "$1" "$2" "$3") || fail "guest $1, step $2: $out
--- serial log of $1 (last 30 lines) ---
$(guest_log "$1" | tail -n 30)"
	log "guest $1: $out"
}

# --- the standard check (the t_guest_*.sh scenarios) --------------------------------

GUEST_HTTP_PORT=8000
GUEST_DNS_PORT=5300
GUEST_FILE_SHA=""
GUEST_CHECK=""
GUEST_VGATE_ARGS=()

# guest_fixtures: the "outside world" on the sandbox's loopback: an HTTP
# server (python3 http.server on 127.0.0.1:8000 serving $T/www, with a 1 MiB
# random file) and the test DNS server (127.0.0.1:5300, web.vgate.test. A
# 10.11.12.13). Sets GUEST_CHECK (the kernel parameters of the standard
# check) and GUEST_VGATE_ARGS (vgate's upstream resolver).
guest_fixtures() {
	mkdir -p "$T/www"
	head -c $((1024 * 1024)) /dev/urandom >"$T/www/file"
	GUEST_FILE_SHA=$(sha256sum <"$T/www/file" | cut -d' ' -f1)
	bg sx python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$GUEST_HTTP_PORT" \
		>"$T/http.log" 2>&1
	bg sx python3 "$E2E_DIR/dnsserver.py" --listen "127.0.0.1:$GUEST_DNS_PORT" --log "$T/dns.log" \
		--ready "$T/dns.ready" --record web.vgate.test. A 60 10.11.12.13
	wait_until 10 sx curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$GUEST_HTTP_PORT/file" ||
		fail "the host's HTTP server did not start: $(cat "$T/http.log")"
	wait_until 10 test -e "$T/dns.ready" || fail "the test DNS server did not start"
	GUEST_CHECK="vgate.dns=host.containers.internal=192.168.127.254,web.vgate.test=10.11.12.13"
	GUEST_CHECK+=" vgate.get=http://192.168.127.254:$GUEST_HTTP_PORT/file vgate.sha256=$GUEST_FILE_SHA"
	GUEST_CHECK+=" vgate.blob=256"
	# shellcheck disable=SC2034 # read by the tests
	GUEST_VGATE_ARGS=(--dns-upstream "127.0.0.1:$GUEST_DNS_PORT")
}

# guest_expect_check NAME SECONDS: every step of the standard check is OK
# (dhcp, httpd, both lookups, the download with its sha256, done).
guest_expect_check() {
	local s
	for s in dhcp httpd dns:host.containers.internal dns:web.vgate.test get:1 "done"; do
		guest_expect "$1" "$s" "$2"
	done
}

# guest_forward NAME IP PORT: expose 127.0.0.1:PORT -> IP:80 through the API,
# fetch the guest's index.html and /blob through it (sha256 checked against
# the page's known sum and the one the guest reported), then unexpose.
guest_forward() {
	local name=$1 ip=$2 port=$3 want got
	sx curl -sf --max-time 10 --unix-socket "$T/api.sock" -X POST \
		-d "{\"local\":\"127.0.0.1:$port\",\"remote\":\"$ip:80\"}" \
		http://vgate/services/forwarder/expose || fail "expose 127.0.0.1:$port -> $ip:80"
	got=$(sx curl -sf --max-time 30 "http://127.0.0.1:$port/index.html" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$GUEST_INDEX_SHA" ] || fail "guest $name's index.html through 127.0.0.1:$port: sha256 $got"
	want=$(guest_field "$name" httpd blob_sha256)
	got=$(sx curl -sf --max-time 60 "http://127.0.0.1:$port/blob" | sha256sum | cut -d' ' -f1)
	[ -n "$want" ] || fail "guest $name reported no blob_sha256: $(guest_line "$name" httpd)"
	[ "$got" = "$want" ] ||
		fail "guest $name's /blob through 127.0.0.1:$port: sha256 $got, the guest has '$want'"
	sx curl -sf --max-time 10 --unix-socket "$T/api.sock" -X POST \
		-d "{\"local\":\"127.0.0.1:$port\"}" http://vgate/services/forwarder/unexpose ||
		fail "unexpose 127.0.0.1:$port"
	pass "host -> guest $name: index.html and $(guest_field "$name" httpd blob_bytes)-byte /blob intact through 127.0.0.1:$port -> $ip:80"
}
GUEST_INDEX_SHA=b6f3b2bf931253f0ffad0cab521f62472a3132728e3fadbeee3451cecf32d345

# guest_stats MAC TO FROM: vgate counted more than TO bytes sent to the
# guest with MAC and more than FROM bytes received from it, on its port in
# /v1/ports and in /stats (BytesSent, BytesReceived).
guest_stats() {
	local mac=$1 to=$2 from=$3 ports stats rx tx ok
	ports=$(api /v1/ports) || fail "/v1/ports"
	rx=$(json_get "sum(p['rx_bytes'] for p in j if p['mac'] == '$mac')" <<<"$ports")
	tx=$(json_get "sum(p['tx_bytes'] for p in j if p['mac'] == '$mac')" <<<"$ports")
	[ "$tx" -gt "$to" ] && [ "$rx" -gt "$from" ] && ok=1 || ok=0
	[ "$ok" = 1 ] ||
		fail "port of $mac: tx_bytes $tx (want > $to), rx_bytes $rx (want > $from): $ports"
	stats=$(api /stats) || fail "/stats"
	rx=$(json_get "j['BytesReceived']" <<<"$stats")
	tx=$(json_get "j['BytesSent']" <<<"$stats")
	[ "$tx" -gt "$to" ] && [ "$rx" -gt "$from" ] && ok=1 || ok=0
	[ "$ok" = 1 ] ||
		fail "/stats BytesSent $tx (want > $to), BytesReceived $rx (want > $from): $stats"
	pass "/stats: BytesSent=$tx BytesReceived=$rx; the port of $mac counts its bytes too"
}
