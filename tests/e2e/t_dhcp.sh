#!/usr/bin/env bash
# vgate's DHCP server against busybox udhcpc in guest namespaces (taps
# opened by vgate with --netns, links only brought up):
#   - the first guest (5a:94:ef:e4:0c:ee) gets its static .2 with router,
#     DNS, MTU 9000, lease 3600 s, domain and search list (-O mtu -O search)
#     and can use the address (jumbo ping to the gateway)
#   - the second guest gets a different address (.3); a --static-lease is
#     honoured
#   - releases (kill -USR2, and udhcpc -R on exit) free addresses: a client
#     asking for a released address (-r) gets it; a released client's new
#     request works; an address asked for with -r is given when free
#   - no errors in vgate's log
#   - pool exhaustion on a /29: -hostIP must lie inside the subnet; with
#     only .3-.5 free, a raw-socket client's eight DISCOVERs get three
#     offers; an extra udhcpc gets nothing; vgate stays up; a RELEASE frees
#     an address for the next client
. "$(dirname "$0")/lib.sh"
command -v busybox >/dev/null || skip "needs busybox (busybox-static)"
e2e_init

NET=192.168.127
# No DNS query is made here, but the DHCP search list must not come from the
# machine's resolv.conf either.
echo "nameserver 127.0.0.1" >"$T/resolv.conf"

# The udhcpc script: records the environment udhcpc gives it in
# $UDHCPC_OUT (key=value lines, written atomically) and every event in
# $UDHCPC_OUT.events, and configures the interface.
cat >"$T/udhcpc.script" <<'EOF'
#!/bin/sh
out=${UDHCPC_OUT:?}
case "$1" in
bound | renew)
	{
		echo "ip=$ip"
		echo "subnet=$subnet"
		echo "mask=$mask"
		echo "router=$router"
		echo "dns=$dns"
		echo "mtu=$mtu"
		echo "domain=$domain"
		echo "search=$search"
		echo "lease=$lease"
		echo "serverid=$serverid"
	} >"$out.tmp"
	mv "$out.tmp" "$out"
	ip -4 addr flush dev "$interface"
	[ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
	ip addr add "$ip/$mask" dev "$interface"
	[ -n "$router" ] && ip route replace default via "$router" dev "$interface"
	echo "$1 $ip" >>"$out.events"
	;;
deconfig)
	ip -4 addr flush dev "$interface"
	echo "deconfig" >>"$out.events"
	;;
*)
	echo "$1" >>"$out.events"
	;;
esac
exit 0
EOF
chmod 755 "$T/udhcpc.script"

# dhcp NS NAME ARGS...: run udhcpc once in NS (exit after the lease, or
# fail after ~4 s of discovers); the lease is recorded in $T/NAME.lease.
dhcp() {
	local ns=$1 name=$2
	shift 2
	rm -f "$T/$name.lease"
	gx "$ns" env UDHCPC_OUT="$T/$name.lease" timeout 20 busybox udhcpc -f -q -n -t 4 -T 1 \
		-i tap0 -s "$T/udhcpc.script" -O mtu -O search "$@" >>"$T/$name.udhcpc" 2>&1
}
# lease NAME KEY: one value the last udhcpc script run recorded.
lease() { sed -n "s/^$2=//p" "$T/$1.lease" 2>/dev/null || true; }
# expect_ip NAME IP
expect_ip() {
	local got
	got=$(lease "$1" ip)
	[ "$got" = "$2" ] || fail "$1: got address '$got', expected $2 ($(tail -n 5 "$T/$1.udhcpc" 2>/dev/null | tr '\n' ' '))"
}

a=$(guest_ns a) # 5a:94:ef:e4:0c:ee: static .2
b=$(guest_ns b) # ...:ef
c=$(guest_ns c) # ...:f0
d=$(guest_ns d) # ...:f1: --static-lease .77
start_vgate -listen "unix://$T/api.sock" --netns "$a" --netns "$b" --netns "$c" --netns "$d" \
	-mtu 9000 --search-domain example.test --search-domain corp.example.test \
	--static-lease "5a:94:ef:e4:0c:f1=$NET.77" --resolv-conf "$T/resolv.conf"

# --- the first guest: everything the lease carries ---
dhcp "$a" a || fail "udhcpc in $a got no lease: $(cat "$T/a.udhcpc")"
expect_ip a "$NET.2"
for kv in "subnet=255.255.255.0" "mask=24" "router=$NET.1" "dns=$NET.1" "mtu=9000" \
	"lease=3600" "serverid=$NET.1" "domain=example.test" "search=example.test corp.example.test"; do
	got=$(lease a "${kv%%=*}")
	[ "$got" = "${kv#*=}" ] || fail "lease ${kv%%=*}='$got', expected '${kv#*=}' (lease: $(tr '\n' ' ' <"$T/a.lease"))"
done
# (Output is captured first: with pipefail, grep -q ending a pipe early can
# fail the pipe with SIGPIPE.)
out=$(gx "$a" ip -4 addr show tap0)
[[ $out == *"inet $NET.2/24 "* ]] || fail "tap0 not configured: $out"
out=$(gx "$a" ip link show tap0)
[[ $out == *" mtu 9000 "* ]] || fail "tap0 MTU not 9000: $out"
out=$(gx "$a" ip route)
[[ $out == *"default via $NET.1 "* ]] || fail "no default route: $out"
gx "$a" ping -c 2 -i 0.2 -W 2 "$NET.1" >"$T/ping" || fail "cannot ping the gateway after DHCP: $(cat "$T/ping")"
gx "$a" ping -c 2 -i 0.2 -W 2 -M "do" -s 8972 "$NET.1" >"$T/ping" ||
	fail "9000-byte ping to the gateway (MTU 9000 from DHCP): $(cat "$T/ping")"
pass "first guest: static $NET.2/24, router/dns/server id .1, MTU 9000 (jumbo ping works), lease 3600, domain and search list"

# --- a second guest, and a --static-lease ---
dhcp "$b" b || fail "udhcpc in $b got no lease: $(cat "$T/b.udhcpc")"
expect_ip b "$NET.3"
[[ $(lease b mtu) == 9000 && $(lease b router) == "$NET.1" ]] || fail "second guest's options: $(tr '\n' ' ' <"$T/b.lease")"
dhcp "$d" d || fail "udhcpc in $d got no lease"
expect_ip d "$NET.77"
pass "second guest got $NET.3; --static-lease gave $NET.77"

# --- releases and requested addresses ---
# (busybox 1.35's udhcpc -q -R says "entering released state" but sends no
# RELEASE: its state is no longer BOUND when it quits. Releases are tested
# with udhcpc running as a daemon: SIGUSR2, and -R on SIGTERM.)

# dhcp_release NS NAME ARGS...: udhcpc -R as a daemon in NS until it is
# bound, then SIGTERM: it must send a RELEASE and exit.
dhcp_release() {
	local ns=$1 name=$2 pid
	shift 2
	rm -f "$T/$name.lease" "$T/$name.lease.events" "$T/$name.pid"
	bg gx "$ns" env UDHCPC_OUT="$T/$name.lease" busybox udhcpc -f -R -t 4 -T 1 -i tap0 \
		-p "$T/$name.pid" -s "$T/udhcpc.script" "$@" >>"$T/$name.udhcpc" 2>&1
	wait_until 10 grep -q "^bound " "$T/$name.lease.events" ||
		fail "udhcpc $* in $ns got no lease: $(cat "$T/$name.udhcpc")"
	wait_until 5 test -s "$T/$name.pid" || fail "no udhcpc pid file"
	pid=$(cat "$T/$name.pid")
	kill -TERM "$pid"
	wait_until 5 eval "! kill -0 $pid" || fail "udhcpc $pid did not exit on SIGTERM"
	grep -q 'unicasting a release' "$T/$name.udhcpc" || fail "udhcpc -R sent no release: $(cat "$T/$name.udhcpc")"
}

# c runs as a daemon: bound, then released with SIGUSR2.
bg gx "$c" env UDHCPC_OUT="$T/c.lease" busybox udhcpc -f -t 4 -T 1 -i tap0 -p "$T/c.pid" \
	-s "$T/udhcpc.script" >>"$T/c.udhcpc" 2>&1
wait_until 10 grep -q "^bound " "$T/c.lease.events" || fail "udhcpc in $c got no lease: $(cat "$T/c.udhcpc")"
expect_ip c "$NET.4"
wait_until 5 test -s "$T/c.pid" || fail "no udhcpc pid file"
kill -USR2 "$(cat "$T/c.pid")"
released() { sed -n '/^bound/,$p' "$T/c.lease.events" | grep '^deconfig' >/dev/null; }
wait_until 5 released || fail "udhcpc did not release on SIGUSR2: $(cat "$T/c.lease.events")"
grep -q 'unicasting a release of 192.168.127.4' "$T/c.udhcpc" || fail "no RELEASE sent on SIGUSR2"
# b renews .3, then releases it on exit (-R, SIGTERM).
dhcp_release "$b" b
expect_ip b "$NET.3"
# b asks for .4 (-r): it gets it only if c's release freed .4 (otherwise the
# lowest free address, .3) and if b's own release freed its binding
# (otherwise a client keeps its live lease, .3).
dhcp_release "$b" b -r "$NET.4"
expect_ip b "$NET.4"
pass "SIGUSR2 and -R on exit released: a client asking for the released $NET.4 got it"

# A free address asked for with -r is given.
dhcp "$b" b -r "$NET.50" || fail "udhcpc -r $NET.50 in $b failed"
expect_ip b "$NET.50"
# A static client asking for it gets its own address.
dhcp "$d" d -r "$NET.50" || fail "udhcpc -r in $d failed"
expect_ip d "$NET.77"
pass "-r $NET.50 granted when free; a static client asking for it still gets its own"

# c asks again after its release (SIGUSR1) and gets a lease (.3 or its old
# .4, both free now).
: >"$T/c.lease.events"
kill -USR1 "$(cat "$T/c.pid")"
wait_until 10 grep -q "^bound " "$T/c.lease.events" || fail "no new lease after release + SIGUSR1: $(cat "$T/c.udhcpc")"
cip=$(lease c ip)
[[ $cip == "$NET."[34] ]] || fail "c's new lease: '$cip'"
pass "the released client's new request (SIGUSR1) got $cip"

acks=$(grep -c ' dhcp: ACK ' "$T/vgate.log" || true)
[ "$acks" -ge 8 ] || fail "only $acks ACKs logged"
stats=$(api /stats)
read -r rx sacks snaks < <(json_get "j['BytesReceived'], j['DHCPAcks'], j['DHCPNaks']" <<<"$stats" | tr -d '(),') ||
	fail "/stats lacks counters: $stats"
[ "$rx" -gt 0 ] || fail "/stats: $stats"
[ "$sacks" -eq "$acks" ] || fail "/stats DHCPAcks $sacks vs $acks ACKs logged: $stats"
[ "$snaks" -eq 0 ] || fail "/stats DHCPNaks: $stats"
# No errors at all, and no warnings from the component under test (others
# may warn about the sandbox, e.g. ping sockets not permitted there).
if grep -E ' error |warn  dhcp:' "$T/vgate.log" >"$T/errors"; then
	fail "vgate logged errors: $(cat "$T/errors")"
fi
kill -TERM "$(cat "$T/c.pid")"
stop_vgate
pass "$acks ACKs logged (and counted in /stats), no NAKs, no errors or warnings; /stats BytesReceived=$rx"

# --- a /29: the host alias must be inside the subnet ---
rc=0
sx timeout 10 "$VGATE" -services "unix://$T/sub.sock" -subnet "$NET.0/29" \
	--resolv-conf "$T/resolv.conf" 2>"$T/sub.err" || rc=$?
[ "$rc" -eq 1 ] || fail "-subnet /29 with the default host alias .254: exit $rc, expected 1"
grep -q 'is not a host address of the subnet' "$T/sub.err" || fail "no reason given: $(cat "$T/sub.err")"
pass "-subnet /29 without -hostIP refused (exit 1): $(head -n 1 "$T/sub.err" | cut -c 26-)"

# --- pool exhaustion: .1 gateway, .2 static, .6 host alias; .3-.5 free ---
cat >"$T/dhcpraw.py" <<'EOF'
"""Raw DHCP client on a tap: discover MAC... | bind MAC IP | release MAC IP."""
import random, socket, struct, sys, time

IFACE = "tap0"
GW = "192.168.127.1"

def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

def frame(src_mac, xid, chaddr, opts, ciaddr="0.0.0.0"):
    bootp = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                        socket.inet_aton(ciaddr), b"\0" * 4, b"\0" * 4, b"\0" * 4,
                        chaddr, b"", b"")
    payload = bootp + b"\x63\x82\x53\x63" + opts + b"\xff"
    udp = struct.pack("!HHHH", 68, 67, 8 + len(payload), 0) + payload
    src = socket.inet_aton(ciaddr)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, src,
                     b"\xff\xff\xff\xff")
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\xff" * 6 + src_mac + b"\x08\x00" + ip + udp

def replies(sock, xids, secs):
    """(xid, type, yiaddr) of DHCP replies with one of xids, for secs."""
    out, end = [], time.time() + secs
    while time.time() < end:
        sock.settimeout(max(0.01, end - time.time()))
        try:
            f = sock.recv(2048)
        except socket.timeout:
            break
        if len(f) < 14 + 20 + 8 + 240 or f[12:14] != b"\x08\x00" or f[23] != 17:
            continue
        ihl = (f[14] & 0x0F) * 4
        udp = f[14 + ihl:]
        if struct.unpack("!H", udp[2:4])[0] != 68:
            continue
        d = udp[8:]
        xid = struct.unpack("!I", d[4:8])[0]
        if d[0] != 2 or xid not in xids:
            continue
        yiaddr = socket.inet_ntoa(d[16:20])
        i, mtype = 240, None
        while i < len(d) and d[i] != 255:
            if d[i] == 0:
                i += 1
                continue
            if d[i] == 53:
                mtype = d[i + 2]
            i += 2 + d[i + 1]
        out.append((xid, mtype, yiaddr))
    return out

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((IFACE, 0))
src = s.getsockname()[4]
cmd = sys.argv[1]
if cmd == "discover":
    macs = sys.argv[2:]
    xids = {random.getrandbits(32): m for m in macs}
    for x, m in xids.items():
        s.send(frame(src, x, mac(m), b"\x35\x01\x01"))
    for x, t, y in replies(s, xids, 2.0):
        if t == 2:
            print("OFFER %s %s" % (xids[x], y))
elif cmd in ("bind", "release"):
    m, ip = sys.argv[2], sys.argv[3]
    x = random.getrandbits(32)
    if cmd == "bind":
        opts = b"\x35\x01\x03" + b"\x32\x04" + socket.inet_aton(ip) + b"\x36\x04" + socket.inet_aton(GW)
        s.send(frame(src, x, mac(m), opts))
        for _, t, y in replies(s, {x}, 2.0):
            print({5: "ACK", 6: "NAK"}.get(t, "type%s" % t), m, y)
    else:
        opts = b"\x35\x01\x07" + b"\x36\x04" + socket.inet_aton(GW)
        s.send(frame(src, x, mac(m), opts, ciaddr=ip))
EOF

start_vgate -listen "unix://$T/api.sock" --netns "$a" --netns "$b" -subnet "$NET.0/29" \
	-hostIP "$NET.6" --lease-time 120 --resolv-conf "$T/resolv.conf"
macs=()
for i in 1 2 3 4 5 6 7 8; do macs+=("02:00:00:00:01:0$i"); done
gx "$b" python3 "$T/dhcpraw.py" discover "${macs[@]}" >"$T/offers" 2>&1 || fail "raw client: $(cat "$T/offers")"
n=$(grep -c '^OFFER ' "$T/offers" || true)
[ "$n" -eq 3 ] || fail "$n offers to 8 clients on a /29 with 3 free addresses: $(cat "$T/offers")"
got=$(awk '{ print $3 }' "$T/offers" | sort | tr '\n' ' ')
[ "$got" = "$NET.3 $NET.4 $NET.5 " ] || fail "offered addresses: $got"
pass "8 DISCOVERs, 3 free addresses: offers $got, the other 5 clients got none"

# The offers are held: a real client gets nothing and gives up; vgate lives.
dhcp "$b" bx && fail "udhcpc in $b got a lease from an exhausted pool: $(cat "$T/bx.lease")"
vgate_alive || fail "vgate died when the pool ran out"
grep -q 'DISCOVER from 5a:94:ef:e4:0c:ef: no free address' "$T/vgate.log" || fail "exhaustion not logged"
# The static client is still served, with the configured lease time.
dhcp "$a" a || fail "static client not served on a full pool"
expect_ip a "$NET.2"
[ "$(lease a lease)" = 120 ] || fail "--lease-time 120: lease=$(lease a lease)"
[ "$(lease a subnet)" = 255.255.255.248 ] || fail "/29 netmask: $(lease a subnet)"
pass "exhausted pool: udhcpc got no offer, vgate alive and logged it; static client still got .2 (/29, lease 120)"

# An offered client binds its address, releases it, and the next one gets it.
first=$(awk 'NR == 1 { print $2, $3 }' "$T/offers")
read -r m ip <<<"$first"
gx "$b" python3 "$T/dhcpraw.py" bind "$m" "$ip" >"$T/bind" 2>&1
grep -q "^ACK $m $ip" "$T/bind" || fail "REQUEST for the offered $ip: $(cat "$T/bind")"
gx "$b" python3 "$T/dhcpraw.py" release "$m" "$ip" || fail "raw RELEASE"
dhcp "$b" bx || fail "no lease after a RELEASE freed $ip: $(cat "$T/bx.udhcpc")"
expect_ip bx "$ip"
stats=$(api /stats) || fail "/stats does not answer"
stop_vgate
pass "after $m bound and released $ip, the waiting client got it; clean exit"
