#!/usr/bin/env bash
# Bulk guest TCP through vgate's flows, from a guest namespace configured
# by --netns-configure, to servers on the sandbox's 127.0.0.1 reached
# through the host alias 192.168.127.254:
#   - curl downloads a 50 MB random file from python's http.server: same
#     sha256 as the file
#   - curl uploads (PUT) the same 50 MB to a server that hashes the body:
#     same sha256 and length
#   - iperf3 -t 10 guest -> host and host -> guest (-R) succeed with a
#     non-zero throughput
#   - vgate is still alive afterwards
. "$(dirname "$0")/lib.sh"
command -v curl >/dev/null || skip "needs curl"
command -v iperf3 >/dev/null || skip "needs iperf3"
e2e_init

HOST=192.168.127.254
TOOL=$E2E_DIR/tcp_tool.py
HTTP_PORT=8080
PUT_PORT=8081
IPERF_PORT=5201

# listening PORT: something in the sandbox listens on 127.0.0.1:PORT.
listening() { sx ss -Hltn "sport = :$1" | grep -q LISTEN; }

ns=$(guest_ns a)
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure

# --- download -----------------------------------------------------------------
mkdir "$T/www"
head -c 50M /dev/urandom >"$T/www/blob"
want=$(sha256sum <"$T/www/blob" | cut -d' ' -f1)
bg sx python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$HTTP_PORT" >"$T/http.log" 2>&1
wait_until 10 listening "$HTTP_PORT" || fail "http.server did not listen"
gx "$ns" curl -sS -f --max-time 60 -o "$T/down" "http://$HOST:$HTTP_PORT/blob" ||
	fail "download through the host alias failed"
got=$(sha256sum <"$T/down" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "download: sha256 $got, want $want ($(stat -c %s "$T/down") bytes)"
rm -f "$T/down"
pass "50 MB download through the host alias: sha256 equal"

# --- upload -------------------------------------------------------------------
bg sx python3 "$TOOL" put-server "$PUT_PORT" "$T/put.ready"
wait_until 10 test -e "$T/put.ready" || fail "put server did not start"
answer=$(gx "$ns" curl -sS -f --max-time 60 -T "$T/www/blob" "http://$HOST:$PUT_PORT/up") ||
	fail "upload through the host alias failed"
[ "$answer" = "$want 52428800" ] || fail "upload: server saw '$answer', want '$want 52428800'"
pass "50 MB upload through the host alias: sha256 and length equal"

# --- iperf3 both ways -----------------------------------------------------------
bg sx iperf3 -s -B 127.0.0.1 -p "$IPERF_PORT" >"$T/iperf-server.log" 2>&1
wait_until 10 listening "$IPERF_PORT" || fail "iperf3 server did not listen"
for dir in up down; do
	flag=()
	[ "$dir" = down ] && flag=(-R)
	rc=0
	gx "$ns" timeout 40 iperf3 -c "$HOST" -p "$IPERF_PORT" -t 10 -J "${flag[@]}" >"$T/iperf-$dir.json" || rc=$?
	[ "$rc" -eq 0 ] || fail "iperf3 $dir exited $rc: $(head -c 600 "$T/iperf-$dir.json")"
	bps=$(json_get 'int(j["end"]["sum_received"]["bits_per_second"])' <"$T/iperf-$dir.json") ||
		fail "iperf3 $dir: no throughput in its JSON"
	[ "$bps" -gt 0 ] || fail "iperf3 $dir: zero throughput"
	log "iperf3 $dir: $((bps / 1000000)) Mbit/s"
done
pass "iperf3 -t 10 guest->host and host->guest (-R) succeed"

vgate_alive || fail "vgate died"
stop_vgate
pass "vgate exits cleanly after bulk traffic"
