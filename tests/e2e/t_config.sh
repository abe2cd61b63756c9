#!/usr/bin/env bash
# vgate -config FILE (JSON; schema in backend/config.h) end to end:
#   - a 10.0.2.0/24 network (gateway .2 with its own MAC, first guest .15,
#     host alias .254), MTU, lease time, a static lease, search domains and
#     the upstream resolver all come from the file: udhcpc in two guest
#     namespaces gets exactly that, ping and ARP follow it
#   - DNS follows the file: exact, Regexp (matched against the name without
#     the zone, as gvproxy does) and DefaultIP records, an IPv6
#     record, a zone without DefaultIP (NXDOMAIN), the default zones naming
#     the configured gateway and host, forwarding to the file's dnsUpstream
#   - a flag overrides the file (-mtu)
#   - forwards from the file (gvproxy's map and the list form) answer
#   - broken JSON, an unknown key, a wrongly typed value, an address outside
#     the subnet, a bad regexp and a missing file: exit 1 naming the problem
. "$(dirname "$0")/lib.sh"
command -v busybox >/dev/null || skip "needs busybox (busybox-static)"
command -v dig >/dev/null || skip "needs dig (bind9-dnsutils)"
e2e_init

UP=5300
echo "nameserver 127.0.0.1" >"$T/resolv.conf"

cat >"$T/vgate.json" <<EOF
{
  "subnet": "10.0.2.0/24",
  "gatewayIP": "10.0.2.2",
  "gatewayMacAddress": "5a:94:ef:e4:0c:aa",
  "deviceIP": "10.0.2.15",
  "hostIP": "10.0.2.254",
  "mtu": 4000,
  "leaseTime": 600,
  "dhcpStaticLeases": {"10.0.2.20": "5a:94:ef:e4:0c:ef"},
  "dnsSearchDomains": ["lab.internal", "example.test"],
  "dnsUpstream": ["127.0.0.1:$UP"],
  "dns": [
    {"Name": "lab.internal.", "DefaultIP": "10.0.2.99",
     "Records": [{"Name": "db", "IP": "10.0.2.3"},
                 {"Regexp": "^web[0-9]+\$", "IP": "10.0.2.4"}]},
    {"Name": "strict.test.",
     "Records": [{"Name": "only", "IP": "10.0.2.5", "IPv6": "fd00::5"}]}
  ]
}
EOF
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$T/vgate.json" || fail "the test's own JSON is broken"

cat >"$T/udhcpc.script" <<'EOF'
#!/bin/sh
case "$1" in
bound | renew)
	for v in ip subnet mask router dns mtu domain search lease; do
		eval "echo $v=\$$v"
	done >"$UDHCPC_OUT.tmp"
	mv "$UDHCPC_OUT.tmp" "$UDHCPC_OUT"
	ip -4 addr flush dev "$interface"
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	ip addr add "$ip/$mask" dev "$interface"
	ip route replace default via "$router" dev "$interface"
	;;
esac
exit 0
EOF
chmod 755 "$T/udhcpc.script"
# dhcp NS NAME: udhcpc once in NS; the lease lands in $T/NAME.lease.
dhcp() {
	rm -f "$T/$2.lease"
	gx "$1" env UDHCPC_OUT="$T/$2.lease" timeout 20 busybox udhcpc -f -q -n -t 4 -T 1 \
		-i tap0 -s "$T/udhcpc.script" -O mtu -O search >"$T/$2.udhcpc" 2>&1 ||
		fail "udhcpc in $1: $(cat "$T/$2.udhcpc")"
}
lease() { sed -n "s/^$2=//p" "$T/$1.lease" 2>/dev/null || true; }

bg sx python3 "$E2E_DIR/dnsserver.py" --listen "127.0.0.1:$UP" --log "$T/up.log" \
	--ready "$T/up.ready" --record fwd.example.test. A 1234 10.9.8.7
wait_until 10 test -e "$T/up.ready" || fail "test DNS server did not start"

a=$(guest_ns a) # 5a:94:ef:e4:0c:ee: deviceIP
b=$(guest_ns b) # 5a:94:ef:e4:0c:ef: the file's static lease
start_vgate -listen "unix://$T/api.sock" -config "$T/vgate.json" --netns "$a" --netns "$b" \
	--resolv-conf "$T/resolv.conf"
grep -q 'ready (.*MTU 4000)' "$T/vgate.log" || fail "MTU from the file not in effect: $(grep ready "$T/vgate.log")"

dhcp "$a" a
for kv in ip=10.0.2.15 subnet=255.255.255.0 router=10.0.2.2 dns=10.0.2.2 mtu=4000 lease=600 \
	"search=lab.internal example.test" domain=lab.internal; do
	got=$(lease a "${kv%%=*}")
	[ "$got" = "${kv#*=}" ] || fail "lease ${kv%%=*}='$got', expected '${kv#*=}' ($(tr '\n' ' ' <"$T/a.lease"))"
done
dhcp "$b" b
[ "$(lease b ip)" = 10.0.2.20 ] || fail "static lease from the file: $(lease b ip)"
gx "$a" ping -n -c 2 -i 0.2 -W 2 10.0.2.2 >"$T/ping" || fail "ping gateway 10.0.2.2: $(cat "$T/ping")"
gx "$a" ping -n -c 2 -i 0.2 -W 2 10.0.2.254 >"$T/ping" || fail "ping host alias 10.0.2.254: $(cat "$T/ping")"
out=$(gx "$a" ip neigh show 10.0.2.2)
[[ $out == *"lladdr 5a:94:ef:e4:0c:aa "* ]] || fail "gateway MAC: $out"
gx "$a" ping -n -c 1 -W 2 10.0.2.20 >"$T/ping" || fail "guests cannot reach each other: $(cat "$T/ping")"
pass "DHCP from the file: .15 (router/dns .2, MTU 4000, lease 600, search list), static .20; gateway MAC 5a:94:ef:e4:0c:aa answers"

# --- DNS from the file ---
q() { gx "$a" dig @10.0.2.2 +time=3 +tries=1 "$@" || true; }
ans() { q +short "$@" | tr '\n' ' ' | sed 's/ $//'; }
status() { q "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
check() {
	local got
	got=$(ans "$1" "${3:-A}")
	[ "$got" = "$2" ] || fail "$1 ${3:-A}: '$got', expected '$2'"
}
check db.lab.internal 10.0.2.3
check web12.lab.internal 10.0.2.4
check webx.lab.internal 10.0.2.99
check anything.lab.internal 10.0.2.99
check only.strict.test 10.0.2.5
check only.strict.test fd00::5 AAAA
s=$(status nope.strict.test)
[ "$s" = NXDOMAIN ] || fail "nope.strict.test: '$s'"
check host.containers.internal 10.0.2.254
check gateway.docker.internal 10.0.2.2
check fwd.example.test 10.9.8.7
grep -q ' fwd.example.test. 1$' "$T/up.log" || fail "dnsUpstream from the file not used"
grep -q -E 'lab.internal|strict.test|containers.internal' "$T/up.log" && fail "a local name was forwarded: $(cat "$T/up.log")"
pass "DNS from the file: exact, Regexp, DefaultIP, IPv6, NXDOMAIN zone, default zones with the configured addresses, dnsUpstream"
stop_vgate

# --- a flag overrides the file ---
start_vgate -config "$T/vgate.json" --netns "$a" -mtu 1400 --resolv-conf "$T/resolv.conf"
dhcp "$a" a
[ "$(lease a mtu)" = 1400 ] || fail "-mtu 1400 over the file's 4000: mtu=$(lease a mtu)"
[ "$(lease a ip)" = 10.0.2.15 ] || fail "address with the flag: $(lease a ip)"
stop_vgate
pass "-mtu 1400 on the command line wins over the file's 4000"

# --- forwards from the file: gvproxy's map and the list form ---
python3 - "$T/vgate.json" "$T/fwd.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["forwards"] = {"127.0.0.1:18022": "10.0.2.15:8000"}
json.dump(c, open(sys.argv[2], "w"))
c["forwards"] = [{"local": "127.0.0.1:18023", "remote": ":8000"},
                 {"local": "127.0.0.1:18024", "remote": ":8001", "protocol": "udp"}]
json.dump(c, open(sys.argv[2] + ".list", "w"))
PY
start_vgate -listen "unix://$T/api.sock" -config "$T/fwd.json" --netns "$a" --resolv-conf "$T/resolv.conf"
dhcp "$a" a
echo "config-forward-ok" >"$T/index.html"
bg gx "$a" busybox httpd -f -p 10.0.2.15:8000 -h "$T" >"$T/guest-http.log" 2>&1
wait_until 10 sx curl -sf --max-time 2 -o /dev/null http://127.0.0.1:18022/index.html ||
	fail "the file's forward 127.0.0.1:18022 -> 10.0.2.15:8000 does not answer: $(cat "$T/guest-http.log")"
[ "$(sx curl -sf --max-time 5 http://127.0.0.1:18022/index.html)" = config-forward-ok ] ||
	fail "wrong page through the file's forward"
api /services/forwarder/all | grep -q '"local":"127.0.0.1:18022","remote":"10.0.2.15:8000","protocol":"tcp"' ||
	fail "the file's forward is not listed: $(api /services/forwarder/all)"
stop_vgate
start_vgate -listen "unix://$T/api.sock" -config "$T/fwd.json.list" --netns "$a" --resolv-conf "$T/resolv.conf"
dhcp "$a" a # a new tap: address and server again
bg gx "$a" busybox httpd -f -p 10.0.2.15:8000 -h "$T"
bg gx "$a" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("10.0.2.15", 8001))
while True:
    d, a = s.recvfrom(2048); s.sendto(b"echo:" + d, a)'
wait_until 10 sx curl -sf --max-time 2 -o /dev/null http://127.0.0.1:18023/index.html ||
	fail "the list form's tcp forward (remote :8000) does not answer"
got=$(sx python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
for _ in range(10):
    s.sendto(b"hi", ("127.0.0.1", 18024))
    try:
        print(s.recv(100).decode()); break
    except socket.timeout:
        pass')
[ "$got" = echo:hi ] || fail "the list form's udp forward: '$got'"
stop_vgate
pass "forwards from the file: gvproxy's map (tcp) and the list form (tcp with remote :PORT, udp), listed by the forwarder API"

# --- bad files: exit 1 with a message naming the problem ---
# bad NAME TEXT PATTERN: vgate -config with TEXT exits 1, stderr matches PATTERN.
bad() {
	local rc=0
	printf '%s\n' "$2" >"$T/$1.json"
	sx timeout 10 "$VGATE" -services "unix://$T/bad.sock" -config "$T/$1.json" \
		--resolv-conf "$T/resolv.conf" >"$T/$1.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "$1: exit $rc, expected 1 ($(cat "$T/$1.out"))"
	grep -q -E -e "$3" "$T/$1.out" || fail "$1: message does not match /$3/: $(cat "$T/$1.out")"
	log "  $1: $(grep -m 1 error "$T/$1.out" | cut -c 26-)"
}
bad broken '{"subnet": "10.0.2.0/24", "mtu": 1500' "-config $T/broken.json: .*(parse|premature|EOF|JSON)"
bad unknown '{"subnet": "10.0.2.0/24", "bogusKey": 1}' 'unknown key "bogusKey"'
bad type '{"mtu": "big"}' '"mtu" must be an integer'
bad outside '{"subnet": "10.0.2.0/24", "gatewayIP": "10.0.2.2", "deviceIP": "10.0.3.15", "hostIP": "10.0.2.254"}' \
	'is not a host address of the subnet'
bad regexp '{"dns": [{"Name": "x.test.", "Records": [{"Regexp": "(", "IP": "10.0.2.9"}]}]}' 'zone x.test.: bad record 0'
bad toplevel '["subnet"]' 'top level must be an object'
bad fwdshape '{"forwards": [{"local": "127.0.0.1:18030"}]}' '"forwards": each forward needs a local and a remote'
bad fwdaddr '{"forwards": {"127.0.0.1:18031": "10.9.9.9:22"}}' 'configuration forward tcp 127.0.0.1:18031 -> 10.9.9.9:22: '
bad fwdunix '{"forwards": [{"local": "/etc/vgate-x.sock", "remote": "tcp://192.168.127.2:22", "protocol": "unix"}]}' \
	'configuration forward unix /etc/vgate-x.sock'
rc=0
sx timeout 10 "$VGATE" -services "unix://$T/bad.sock" -config "$T/missing.json" >"$T/missing.out" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || fail "missing file: exit $rc: $(cat "$T/missing.out")"
grep -q "missing.json: No such file" "$T/missing.out" || fail "missing file: $(cat "$T/missing.out")"
[ ! -e "$T/bad.sock" ] || fail "a refused configuration left its socket behind"
pass "broken JSON, unknown key, wrong type, address outside the subnet, bad regexp, non-object, bad forwards, missing file: exit 1 with the reason"
