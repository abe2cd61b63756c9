#!/usr/bin/env bash
# make bench: vgate against pasta, slirp4netns and a veth pair (the kernel's
# ceiling), workload by workload, back to back in one run.
#
#   bash tests/bench/run.sh build/vgate
#
# Everything runs inside a sandbox network namespace whose only links are
# loopback and a veth to a "sink" namespace where nothing listens (default
# route into the sink), exactly like tests/e2e/lib.sh builds it. The servers
# (iperf3, echo, accept-and-close, accept-and-hold) listen on the sandbox's
# 127.0.0.1; each backend gives a guest namespace a link and maps an address
# to that loopback:
#   vgate        --netns G --netns-configure   192.168.127.254 -> 127.0.0.1
#   pasta        --netns /run/netns/G          its gateway (the sink's
#                                              address) -> 127.0.0.1
#   slirp4netns  --configure PID tap0          10.0.2.2 -> 127.0.0.1
#   veth         a veth pair G <-> sandbox     servers on the sandbox end
# No benchmark packet can leave the sandbox.
#
# Knobs (environment):
#   BENCH_SECONDS        iperf3 duration per run (default 10)
#   BENCH_SHORT_SECONDS  connect+close and DNS loops (default 5)
#   BENCH_RR_COUNT       request/response round trips (default 20000)
#   BENCH_FLOWS          idle-flow steps (default 1000,10000)
#   BENCH_BACKENDS       subset/order of "vgate pasta slirp4netns veth"
#   BENCH_PHASES         subset of "1 2 3" (1: MTU 1500 throughput,
#                        2: MTU 65520 throughput, latency, conn/s, DNS,
#                        3: memory per idle flow)
# Output: the table on stdout, raw numbers in build/bench/results.json,
# logs and iperf3 JSON of the last run in build/bench/logs/.
# No timing thresholds: this reports, it never fails on a number.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/../.." && pwd)
VGATE=${1:-$ROOT/build/vgate}
SECS=${BENCH_SECONDS:-10}
SHORT=${BENCH_SHORT_SECONDS:-5}
RR_COUNT=${BENCH_RR_COUNT:-20000}
FLOWS=${BENCH_FLOWS:-1000,10000}
read -r -a BACKENDS <<<"${BENCH_BACKENDS:-vgate pasta slirp4netns veth}"
PHASES=" ${BENCH_PHASES:-1 2 3} "
OUTDIR=$ROOT/build/bench
BIG_MTU=65520

P_IPERF=5201
P_ECHO=5301
P_CLOSE=5302
P_HOLD=5303

SBX=""
T=""
PIDS=()
NAMESPACES=()
SERVER_PIDS=()
BK=""
BK_PID=""
BK_AUX_PID=""
HOST=""
GNS=""

log() { printf '[bench] %s\n' "$*" >&2; }
die() {
	log "ERROR: $*"
	exit 1
}

cleanup() {
	local rc=$?
	set +e
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 1 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	if [ -n "$SBX" ]; then
		for ns in "${NAMESPACES[@]}" $(ip netns list 2>/dev/null | awk -v p="$SBX-" 'index($1, p) == 1 { print $1 }'); do
			ip netns pids "$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
			ip netns del "$ns" 2>/dev/null
		done
	fi
	if [ -n "$T" ]; then
		# Keep the backends' logs and iperf3 outputs of the last run.
		rm -rf "$OUTDIR/logs"
		mkdir -p "$OUTDIR/logs"
		find "$T" -maxdepth 1 -type f \( -name '*.log' -o -name '*.err' -o -name '*.json' -o -name '*.jsonl' \) \
			-exec cp -t "$OUTDIR/logs" {} +
		rm -rf "$T"
	fi
	exit "$rc"
}

# wait_until and bg come from tests/shell.sh.
. "$BENCH_DIR/../shell.sh"

# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; reaps it.
stop_pid() {
	local pid=$1
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

sx() { ip netns exec "$SBX" "$@"; }
gx() { ip netns exec "$GNS" "$@"; }

# bench ARGS...: the Python helper (the real interpreter, not a pyenv shim).
bench() { "$PY" "$BENCH_DIR/bench.py" "$@"; }

# record ROW BACKEND VALUE [DETAIL_JSON]: one raw result line.
record() {
	printf '{"row": "%s", "backend": "%s", "value": %s, "detail": %s}\n' \
		"$1" "$2" "${3:-null}" "${4:-null}" >>"$T/results.jsonl"
}

# jget EXPR: evaluate a Python expression on JSON from stdin (bound as j).
jget() { "$PY" -c "import json,sys; j=json.load(sys.stdin); v=($1); print('null' if v is None else v)"; }

# proc_field FIELD: cpu_s, rss_kib or hwm_kib of the current backend (null for veth).
proc_field() {
	local s
	if [ -z "$BK_PID" ] || ! s=$(bench proc "$BK_PID" 2>/dev/null); then
		echo null
		return 0
	fi
	jget "j['$1']" <<<"$s"
}

# cpu_delta C0 C1: CPU seconds between two proc_field cpu_s readings, or null.
cpu_delta() {
	if [ "$1" = null ] || [ "$2" = null ]; then
		echo null
	else
		"$PY" -c 'import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 3))' "$1" "$2"
	fi
}

# --- prerequisites -----------------------------------------------------------

[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, tap devices)"
[ -c /dev/net/tun ] || die "needs /dev/net/tun"
[ -x "$VGATE" ] || die "no vgate binary at $VGATE (run make first)"
for tool in iperf3 python3 ip ss; do
	command -v "$tool" >/dev/null || die "needs $tool"
done
PY=$(python3 -c 'import sys; print(sys.executable)')

# ensure_peer CMD PACKAGE: install PACKAGE if CMD is missing; false if it stays missing.
ensure_peer() {
	local cmd=$1 pkg=$2
	command -v "$cmd" >/dev/null && return 0
	if [ "$(id -u)" -ne 0 ]; then
		log "$cmd missing and not root: skipping it (apt-get install $pkg)"
		return 1
	fi
	log "installing $pkg"
	export DEBIAN_FRONTEND=noninteractive
	if ! timeout 600 apt-get install -y -q --no-install-recommends "$pkg" >/dev/null 2>&1; then
		timeout 300 apt-get update -q >/dev/null 2>&1 || true
		timeout 600 apt-get install -y -q --no-install-recommends "$pkg" >/dev/null 2>&1 || true
	fi
	command -v "$cmd" >/dev/null && return 0
	log "could not install $pkg: skipping $cmd"
	return 1
}

active=()
for b in "${BACKENDS[@]}"; do
	case $b in
	vgate | veth) active+=("$b") ;;
	pasta) ensure_peer pasta passt && active+=("$b") ;;
	slirp4netns) ensure_peer slirp4netns slirp4netns && active+=("$b") ;;
	*) die "unknown backend '$b' in BENCH_BACKENDS" ;;
	esac
done
BACKENDS=("${active[@]}")

# --- the sandbox -------------------------------------------------------------

trap cleanup EXIT
trap 'exit 130' INT TERM
T=$(mktemp -d /tmp/vgate-bench.XXXXXX)
chmod 755 "$T"
: >"$T/results.jsonl"
SBX="vgb-$$-sbx"
ip netns add "$SBX"
NAMESPACES+=("$SBX")
ip netns add "$SBX-sink"
NAMESPACES+=("$SBX-sink")
ip -n "$SBX" link set lo up
ip -n "$SBX-sink" link set lo up
ip link add "vgb$$a" netns "$SBX" type veth peer name "vgb$$b" netns "$SBX-sink"
SBX_ADDR=10.254.254.1
SINK_ADDR=10.254.254.2
ip -n "$SBX" addr add "$SBX_ADDR/30" dev "vgb$$a"
ip -n "$SBX-sink" addr add "$SINK_ADDR/30" dev "vgb$$b"
ip -n "$SBX" link set "vgb$$a" up
ip -n "$SBX-sink" link set "vgb$$b" up
ip -n "$SBX" route add default via "$SINK_ADDR"
# Room for the connect+close loop and 10k idle flows on every side.
sx sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1
# Run a private copy of vgate: the tree may be rebuilt while the bench runs.
snapshot_vgate() { cp "$VGATE" "$T/vgate" && "$T/vgate" -version >/dev/null; }
wait_until 60 snapshot_vgate || die "cannot run $VGATE"
VGATE=$T/vgate
# vgate's upstream resolver, never used (only local names are queried).
echo "nameserver 127.0.0.1" >"$T/resolv.conf"

VETH_SBX=10.77.0.1
VETH_GUEST=10.77.0.2

# --- servers (in the sandbox) ------------------------------------------------

listening() { [ -n "$(sx ss -Hltn "sport = :$1")" ]; }

# start_servers ADDR: echo, accept-and-close and accept-and-hold servers.
start_servers() {
	local addr=$1 mode port
	SERVER_PIDS=()
	rm -f "$T"/srv-*.ready "$T/hold.count"
	for mode in echo close hold; do
		case $mode in
		echo) port=$P_ECHO ;;
		close) port=$P_CLOSE ;;
		hold) port=$P_HOLD ;;
		esac
		bg ip netns exec "$SBX" "$PY" "$BENCH_DIR/bench.py" serve "$mode" --bind "$addr" --port "$port" \
			--ready "$T/srv-$mode.ready" --count "$T/$mode.count"
		SERVER_PIDS+=("$BG_PID")
	done
	for mode in echo close hold; do
		wait_until 15 test -e "$T/srv-$mode.ready" || die "$mode server did not start"
	done
}

stop_servers() {
	local pid
	for pid in "${SERVER_PIDS[@]}"; do
		stop_pid "$pid"
	done
	SERVER_PIDS=()
}

# --- backends ----------------------------------------------------------------

guest_can_connect() {
	gx timeout 5 "$PY" -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3).close()' "$HOST" "$P_ECHO"
}

# backend_up KIND MTU: a fresh guest namespace wired by KIND at MTU; sets
# BK, BK_PID (empty for veth), HOST (the address the guest uses for the
# sandbox's servers) and starts the servers. False if the guest never
# reaches the servers.
backend_up() {
	BK=$1
	local mtu=$2
	GNS="$SBX-g"
	BK_PID=""
	BK_AUX_PID=""
	ip netns add "$GNS"
	NAMESPACES+=("$GNS")
	ip -n "$GNS" link set lo up
	gx sysctl -qw net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1
	case $BK in
	vgate)
		HOST=192.168.127.254
		start_servers 127.0.0.1
		: >"$T/vgate-$mtu.log"
		bg ip netns exec "$SBX" "$VGATE" --netns "$GNS" --netns-configure -mtu "$mtu" -ssh-port -1 \
			--resolv-conf "$T/resolv.conf" -log-file "$T/vgate-$mtu.log"
		BK_PID=$BG_PID
		wait_until 15 grep -q ' ready ' "$T/vgate-$mtu.log" || {
			tail -n 20 "$T/vgate-$mtu.log" >&2
			die "vgate did not become ready"
		}
		;;
	pasta)
		HOST=$SINK_ADDR
		start_servers 127.0.0.1
		bg ip netns exec "$SBX" pasta --runas 0 -f -q -4 --config-net -m "$mtu" -I tap0 \
			-t none -u none -T none -U none -l "$T/pasta-$mtu.log" \
			--netns "/run/netns/$GNS" 2>>"$T/pasta-$mtu.err"
		BK_PID=$BG_PID
		;;
	slirp4netns)
		HOST=10.0.2.2
		start_servers 127.0.0.1
		bg ip netns exec "$GNS" sleep infinity
		BK_AUX_PID=$BG_PID
		bg ip netns exec "$SBX" slirp4netns --configure --mtu="$mtu" "$BK_AUX_PID" tap0 >"$T/slirp-$mtu.log" 2>&1
		BK_PID=$BG_PID
		;;
	veth)
		HOST=$VETH_SBX
		ip link add "vgb$$v" netns "$SBX" mtu "$mtu" type veth peer name "vgb$$w" netns "$GNS" mtu "$mtu"
		ip -n "$SBX" addr add "$VETH_SBX/30" dev "vgb$$v"
		ip -n "$GNS" addr add "$VETH_GUEST/30" dev "vgb$$w"
		ip -n "$SBX" link set "vgb$$v" up
		ip -n "$GNS" link set "vgb$$w" up
		ip -n "$GNS" route add default via "$VETH_SBX"
		start_servers "$VETH_SBX"
		;;
	esac
	if ! wait_until 20 guest_can_connect; then
		log "$BK (MTU $mtu): the guest cannot reach $HOST:$P_ECHO"
		backend_down
		return 1
	fi
}

backend_down() {
	[ -n "$BK_PID" ] && stop_pid "$BK_PID"
	[ -n "$BK_AUX_PID" ] && stop_pid "$BK_AUX_PID"
	BK_PID=""
	BK_AUX_PID=""
	stop_servers
	ip netns pids "$GNS" 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	ip netns del "$GNS" 2>/dev/null || true
	# The sandbox end of the veth pair goes with the guest namespace.
	GNS=""
}

# --- workloads ---------------------------------------------------------------

# iperf ROW ARGS...: one iperf3 run from the guest against a one-shot server
# on the sandbox; records Gbit/s in ROW and the backend's CPU
# seconds per GB moved in cpu_ROW.
iperf() {
	local row=$1
	shift
	local out="$T/iperf-$row-$BK.json" bind=127.0.0.1 spid c0 c1 dcpu sum gbit bytes cpu=null
	[ "$BK" = veth ] && bind=$VETH_SBX
	bg ip netns exec "$SBX" iperf3 -s -1 -B "$bind" -p "$P_IPERF" --logfile "$T/iperf-server.log"
	spid=$BG_PID
	if ! wait_until 10 listening "$P_IPERF"; then
		log "$row/$BK: iperf3 server did not start"
		stop_pid "$spid"
		record "$row" "$BK" null
		return 0
	fi
	c0=$(proc_field cpu_s)
	gx timeout $((SECS + 40)) iperf3 -c "$HOST" -p "$P_IPERF" -t "$SECS" -J \
		--connect-timeout 5000 "$@" >"$out" 2>&1 || true
	c1=$(proc_field cpu_s)
	wait_until 10 bash -c "! kill -0 $spid 2>/dev/null" || true
	stop_pid "$spid"
	sum=$(bench iperf "$out")
	gbit=$(jget "None if 'error' in j else round(j['bits_per_second'] / 1e9, 3)" <<<"$sum")
	bytes=$(jget "j.get('bytes')" <<<"$sum")
	if [ "$gbit" = null ]; then
		log "$row/$BK: $(jget "j.get('error')" <<<"$sum")"
	fi
	record "$row" "$BK" "$gbit" "$sum"
	dcpu=$(cpu_delta "$c0" "$c1")
	if [ "$dcpu" != null ] && [ "$bytes" != null ] && [ "$bytes" -gt 0 ]; then
		cpu=$("$PY" -c 'import sys; print(round(float(sys.argv[1]) / (int(sys.argv[2]) / 1e9), 3))' "$dcpu" "$bytes")
	fi
	record "cpu_$row" "$BK" "$cpu" "{\"cpu_s\": $dcpu, \"bytes\": $bytes}"
	log "$row/$BK: ${gbit} Gbit/s, backend CPU ${cpu} s/GB"
}

# guest_bench ROW FIELD ARGS...: run a bench.py client in the guest; records
# FIELD of its JSON output in ROW with the backend's CPU seconds as detail.
guest_bench() {
	local row=$1 field=$2
	shift 2
	local out c0 c1 v
	c0=$(proc_field cpu_s)
	out=$(gx timeout 120 "$PY" "$BENCH_DIR/bench.py" "$@" 2>"$T/$row-$BK.err") || out=""
	c1=$(proc_field cpu_s)
	if [ -z "$out" ]; then
		log "$row/$BK: failed: $(tail -n 3 "$T/$row-$BK.err")"
		record "$row" "$BK" null
		return 0
	fi
	v=$(jget "round(j['$field'], 2)" <<<"$out")
	out=$(jget "json.dumps(dict(j, backend_cpu_s=$(cpu_delta "$c0" "$c1" | sed 's/null/None/')))" <<<"$out")
	record "$row" "$BK" "$v" "$out"
	log "$row/$BK: $field $v"
}

# nfds: open file descriptors of the backend process.
nfds() { find "/proc/$BK_PID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# idle_flows: open BENCH_FLOWS idle connections from the guest to the hold
# server; records the backend's RSS growth per flow at each step.
idle_flows() {
	local dir="$T/hold-$BK" r0 r n open target cpid info f0 f
	mkdir -p "$dir"
	sleep 1
	r0=$(proc_field rss_kib)
	f0=$(nfds)
	bg ip netns exec "$GNS" timeout 900 "$PY" "$BENCH_DIR/bench.py" hold --host "$HOST" --port "$P_HOLD" \
		--targets "$FLOWS" --dir "$dir" --timeout 300
	cpid=$BG_PID
	IFS=, read -r -a targets <<<"$FLOWS"
	for target in "${targets[@]}"; do
		if ! wait_until 300 test -e "$dir/ready.$target"; then
			log "mem_flow_$target/$BK: client did not reach $target flows in 300 s"
			record "mem_flow_$target" "$BK" null
			break
		fi
		info=$(cat "$dir/ready.$target")
		open=$(jget "j['open']" <<<"$info")
		# All of them accepted on the host side, then a moment to settle.
		wait_until 60 bash -c "[ \"\$(cat '$T/hold.count' 2>/dev/null || echo 0)\" -ge $open ]" ||
			log "mem_flow_$target/$BK: the server holds only $(cat "$T/hold.count") of $open"
		sleep 1
		r=$(proc_field rss_kib)
		f=$(nfds)
		n=$("$PY" -c 'import sys; print(round((int(sys.argv[2]) - int(sys.argv[1])) / int(sys.argv[3]), 3) if int(sys.argv[3]) else "null")' "$r0" "$r" "$open")
		[ "$open" -ge "$target" ] || log "mem_flow_$target/$BK: only $open flows opened: $(jget "j['error']" <<<"$info")"
		record "mem_flow_$target" "$BK" "$n" "$(jget "json.dumps(dict(j, rss0_kib=$r0, rss_kib=$r, fds0=$f0, fds=$f))" <<<"$info")"
		log "mem_flow_$target/$BK: $open flows, RSS $r0 -> $r KiB, $n KiB/flow, fds $f0 -> $f"
		touch "$dir/go.$target"
		[ "$open" -ge "$target" ] || break
	done
	for target in "${targets[@]}"; do touch "$dir/go.$target"; done
	wait_until 60 bash -c "! kill -0 $cpid 2>/dev/null" || log "hold client still running; stopping it"
	stop_pid "$cpid"
}

# --- the run -----------------------------------------------------------------

START=$SECONDS
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
log "backends: ${BACKENDS[*]}; iperf3 ${SECS} s per run; sandbox $SBX"
log "load average at start: $LOAD0 (other work on this machine skews every column alike only if it is steady)"

[[ $PHASES == *" 1 "* ]] && log "== phase 1: MTU 1500 =="
for b in "${BACKENDS[@]}"; do
	[[ $PHASES == *" 1 "* ]] || break
	backend_up "$b" 1500 || continue
	iperf tcp_up_1500
	iperf tcp_down_1500 -R
	iperf udp_up_1500 -u -b 0 --length 1400
	backend_down
done

[[ $PHASES == *" 2 "* ]] && log "== phase 2: MTU $BIG_MTU =="
for b in "${BACKENDS[@]}"; do
	[[ $PHASES == *" 2 "* ]] || break
	backend_up "$b" "$BIG_MTU" || continue
	iperf tcp_up_65520
	iperf tcp_down_65520 -R
	iperf tcp_up_65520_p4 -P 4
	guest_bench rr_median median_us rr --host "$HOST" --port "$P_ECHO" --count "$RR_COUNT"
	guest_bench cps per_second cps --host "$HOST" --port "$P_CLOSE" --seconds "$SHORT"
	if [ "$b" = vgate ]; then
		guest_bench dns_qps per_second dns --server 192.168.127.1 \
			--name host.containers.internal --seconds "$SHORT"
	fi
	hwm=$(proc_field hwm_kib)
	if [ "$hwm" != null ]; then
		hwm=$("$PY" -c "print(round($hwm / 1024, 1))")
	fi
	record peak_rss "$b" "$hwm"
	backend_down
done

[[ $PHASES == *" 3 "* ]] && log "== phase 3: idle flows ($FLOWS), fresh backends at MTU $BIG_MTU =="
for b in "${BACKENDS[@]}"; do
	[[ $PHASES == *" 3 "* ]] || break
	[ "$b" = veth ] && continue # the kernel: no process RSS to measure
	backend_up "$b" "$BIG_MTU" || continue
	idle_flows
	backend_down
done

mkdir -p "$OUTDIR"
"$PY" - "$T/meta.json" <<EOF
import json, os, platform, subprocess, sys
def ver(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10).stdout.splitlines()[0].strip()
    except Exception:
        return None
meta = {
    "summary": {"iperf_seconds": $SECS, "rr_round_trips": $RR_COUNT, "short_seconds": $SHORT,
                "flows": "$FLOWS", "wall_seconds": $((SECONDS - START))},
    "backends": "${BACKENDS[*]}".split(),
    "kernel": platform.release(),
    "cpus": os.cpu_count(),
    "loadavg_start": "$LOAD0",
    "loadavg_end": open("/proc/loadavg").read().split()[:3],
    "vgate": ver(["$VGATE", "-version"]),
    "iperf3": ver(["iperf3", "--version"]),
    "slirp4netns": ver(["slirp4netns", "--version"]),
    "passt": subprocess.run(["dpkg-query", "-W", "-f", "\${Version}", "passt"], capture_output=True, text=True).stdout or None,
    "workloads": {
        "tcp": "iperf3 -c HOST -t SECONDS [-R] [-P 4]; end.sum_received.bits_per_second",
        "udp": "iperf3 -u -b 0 --length 1400, guest->host, rate the server received",
        "cpu": "backend utime+stime from /proc/PID/stat around the run / GB received",
        "rr": "1-byte ping-pong over one TCP connection, TCP_NODELAY, median",
        "cps": "guest connect()+close() loop against an accept-and-close server",
        "dns": "vgate only: UDP A queries for host.containers.internal, 8 outstanding",
        "peak_rss": "VmHWM of the backend after the MTU 65520 workloads",
        "mem_flow": "backend VmRSS growth / flows, idle TCP flows held open (fresh backend)",
    },
}
json.dump(meta, open(sys.argv[1], "w"))
EOF
bench report --in "$T/results.jsonl" --out "$OUTDIR/results.json" --meta "$T/meta.json"
log "done in $((SECONDS - START)) s"
