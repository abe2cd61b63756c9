#!/usr/bin/env bash
# vgate's DNS server (gateway:53, UDP and TCP) against dig in a guest
# namespace. The upstream resolver is tests/e2e/dnsserver.py on the sandbox's
# loopback, never the machine's resolver.
#   - local zones: host/gateway in containers.internal. and docker.internal.,
#     a --dns-record, NXDOMAIN for unknown labels; all authoritative (aa)
#   - forwarding: A and AAAA answers with the upstream's TTLs, over UDP and
#     TCP; the upstream sees a random query id, not the guest's
#   - a UDP answer bigger than the link: tc set, dig retries over TCP and
#     gets every record
#   - failures: a dead upstream gives SERVFAIL at once, a silent one
#     SERVFAIL within ~10 s (never NXDOMAIN)
#   - garbage to port 53 (UDP and TCP) gets FORMERR or nothing, and vgate
#     keeps answering
#   - --resolv-conf: the file is re-read when it changes
. "$(dirname "$0")/lib.sh"
command -v dig >/dev/null || skip "needs dig (bind9-dnsutils)"
e2e_init

GW=192.168.127.1
UP=5300     # test upstream on the sandbox's 127.0.0.1
DEAD=5399   # nothing listens here
BIG=120     # A records in the large answer (> 1500 bytes)

# dnsserver NAME ADDR:PORT ARGS...: start a test DNS server in the sandbox,
# logging queries to $T/NAME.log; waits until it is bound.
dnsserver() {
	local name=$1 listen=$2
	shift 2
	bg sx python3 "$E2E_DIR/dnsserver.py" --listen "$listen" --log "$T/$name.log" \
		--ready "$T/$name.ready" "$@"
	wait_until 10 test -e "$T/$name.ready" || fail "test DNS server $name did not start"
}

dnsserver up "127.0.0.1:$UP" \
	--record fwd.example.test. A 1234 10.9.8.7 \
	--record fwd.example.test. AAAA 4321 fd00::7 \
	--record tcp.example.test. A 77 10.9.8.6 \
	--many big.example.test. "$BIG" \
	--drop silent.example.test.

# The resolv.conf vgate is given is never used while --dns-upstream is set;
# it points at the sandbox's loopback anyway, so nothing can leak.
echo "nameserver 127.0.0.1" >"$T/resolv.unused"

ns=$(guest_ns g)
start_vgate -listen "unix://$T/api.sock" --netns "$ns" --netns-configure \
	--resolv-conf "$T/resolv.unused" --dns-upstream "127.0.0.1:$UP" \
	--dns-record lab.internal.:db=192.168.127.3

# q ARGS...: dig from the guest against the gateway, bounded. Never fails
# (a timeout shows up as a wrong answer, with a message, not as set -e).
q() { gx "$ns" dig "@$GW" +time=3 +tries=1 "$@" || true; }
# answers ARGS...: the answer section, one "name ttl class type data" a line.
answers() { q +noall +answer "$@" | awk '{ print $1, $2, $3, $4, $5 }'; }
# status ARGS...: the rcode dig reports (NOERROR, NXDOMAIN, ...).
status() { q "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p'; }
# flags ARGS...: the header flags dig prints (qr aa rd ra ...).
flags() { q "$@" | sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p'; }

# --- local zones ---
a=$(answers host.containers.internal)
[ "$a" = "host.containers.internal. 0 IN A 192.168.127.254" ] || fail "host.containers.internal: '$a'"
f=$(flags host.containers.internal)
[[ " $f " == *" aa "* ]] || fail "host.containers.internal: no aa flag ('$f')"
a=$(answers gateway.docker.internal)
[ "$a" = "gateway.docker.internal. 0 IN A 192.168.127.1" ] || fail "gateway.docker.internal: '$a'"
a=$(answers host.docker.internal)
[ "$a" = "host.docker.internal. 0 IN A 192.168.127.254" ] || fail "host.docker.internal: '$a'"
s=$(status nope.containers.internal)
[ "$s" = NXDOMAIN ] || fail "nope.containers.internal: status '$s', expected NXDOMAIN"
f=$(flags nope.containers.internal)
[[ " $f " == *" aa "* ]] || fail "NXDOMAIN without aa ('$f')"
a=$(answers db.lab.internal)
[ "$a" = "db.lab.internal. 0 IN A 192.168.127.3" ] || fail "--dns-record db.lab.internal: '$a'"
s=$(status other.lab.internal)
[ "$s" = NXDOMAIN ] || fail "other.lab.internal: status '$s'"
a=$(answers GATEWAY.Containers.Internal)
[ "$a" = "GATEWAY.Containers.Internal. 0 IN A 192.168.127.1" ] || fail "mixed case: '$a'"
grep -q 'internal' "$T/up.log" 2>/dev/null && fail "a local-zone query reached upstream: $(cat "$T/up.log")"
pass "local zones: host/gateway in both zones, --dns-record, NXDOMAIN, aa, case-insensitive; none forwarded"

# --- forwarding over UDP ---
a=$(answers fwd.example.test A)
[ "$a" = "fwd.example.test. 1234 IN A 10.9.8.7" ] || fail "forwarded A: '$a'"
a=$(answers fwd.example.test AAAA)
[ "$a" = "fwd.example.test. 4321 IN AAAA fd00::7" ] || fail "forwarded AAAA: '$a'"
s=$(status nx.example.test)
[ "$s" = NXDOMAIN ] || fail "upstream NXDOMAIN came back as '$s'"
f=$(flags fwd.example.test)
[[ " $f " != *" aa "* ]] || fail "forwarded answer claims aa ('$f')"
grep -q '^udp [0-9]* fwd.example.test. 1$' "$T/up.log" || fail "upstream never saw the A query over UDP: $(cat "$T/up.log")"
grep -q '^udp [0-9]* fwd.example.test. 28$' "$T/up.log" || fail "upstream never saw the AAAA query"
pass "forwarded A (TTL 1234) and AAAA (TTL 4321) exactly as upstream sent them; upstream NXDOMAIN relayed"

# --- TCP from the guest ---
a=$(answers +tcp gateway.containers.internal)
[ "$a" = "gateway.containers.internal. 0 IN A 192.168.127.1" ] || fail "+tcp local: '$a'"
a=$(answers +tcp tcp.example.test)
[ "$a" = "tcp.example.test. 77 IN A 10.9.8.6" ] || fail "+tcp forwarded: '$a'"
grep -q '^tcp [0-9]* tcp.example.test. 1$' "$T/up.log" || fail "TCP query not forwarded over TCP: $(cat "$T/up.log")"
# Several queries on one TCP connection (dig keeps it open with +keepopen).
n=$(q +tcp +keepopen +noall +answer fwd.example.test gateway.docker.internal host.containers.internal | awk '$4 == "A"' | wc -l)
[ "$n" -eq 3 ] || fail "three queries on one TCP connection: $n answers"
pass "TCP: local and forwarded names (upstream over TCP), three queries on one connection"

# --- a large answer: truncated over UDP, complete over TCP ---
out=$(q +ignore +noedns big.example.test)
[[ $out == *"flags: qr tc"* ]] || fail "large answer over UDP without tc: $(head -c 600 <<<"$out")"
n=$(awk '$1 == "big.example.test." && $4 == "A"' <<<"$out" | wc -l)
[ "$n" -eq 0 ] || fail "truncated answer still carries $n records"
out=$(q big.example.test)
[[ $out == *"Truncated, retrying in TCP mode"* ]] || fail "dig did not fall back to TCP: $(head -c 600 <<<"$out")"
n=$(awk '$1 == "big.example.test." && $4 == "A" && $5 ~ /^10\.77\./' <<<"$out" | wc -l)
[ "$n" -eq "$BIG" ] || fail "large answer over TCP has $n of $BIG records"
grep -q '^tcp [0-9]* big.example.test. 1$' "$T/up.log" || fail "large answer never fetched over TCP upstream"
pass "large answer ($BIG A records): tc over UDP, all $BIG over TCP"

# --- the upstream sees random query ids ---
: >"$T/ids"
for i in 1 2 3; do
	out=$(q +noall +comments "id$i.example.test")
	gid=$(sed -n 's/.*, id: \([0-9]*\)$/\1/p' <<<"$out")
	uid=$(awk -v n="id$i.example.test." '$3 == n { print $2 }' "$T/up.log" | tail -n 1)
	[[ -n $gid && -n $uid ]] || fail "ids of query $i: guest '$gid', upstream '$uid'"
	echo "$gid $uid" >>"$T/ids"
done
same=$(awk '$1 == $2' "$T/ids" | wc -l)
[ "$same" -lt 3 ] || fail "upstream saw the guest's own query ids: $(tr '\n' ' ' <"$T/ids")"
pass "upstream query ids differ from the guest's (guest upstream: $(tr '\n' ' ' <"$T/ids"))"

# --- garbage ---
cat >"$T/garbage.py" <<'EOF'
import random, socket, struct, sys
gw = sys.argv[1]
random.seed(1234)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.5)
hdr = lambda qid, flags, qd: struct.pack("!HHHHHH", qid, flags, qd, 0, 0, 0)
# (payload, expected rcode or None for "no answer is fine too")
fixed = [
    (b"\x12", 1),                                   # one byte
    (b"\x12\x34" + b"\x01" * 9, 1),                 # 11 bytes: no header
    (hdr(0x1111, 0x0100, 0), 1),                    # no question
    (hdr(0x2222, 0x0100, 1) + b"\x05ab", 1),        # label runs past the end
    (hdr(0x3333, 0x0100, 1) + b"\xc0\x0c\x00\x01\x00\x01", 1),  # pointer loop
    (hdr(0x4444, 0x0100, 1) + b"\x03abc\x00\x00", 1),  # question cut short
    (hdr(0x5555, 0x2100, 1) + b"\x03abc\x00\x00\x01\x00\x01", 4),  # opcode 4: NOTIMP
]
bad = fixed_answers = 0
for payload, want in fixed:
    s.sendto(payload, (gw, 53))
    try:
        r, _ = s.recvfrom(4096)
    except socket.timeout:
        continue
    fixed_answers += 1
    if len(r) < 12 or not r[2] & 0x80 or r[3] & 0x0F != want:
        print("payload %r: answer %r (want rcode %d)" % (payload, r[:12], want))
        bad += 1
    elif len(payload) >= 2 and r[:2] != payload[:2]:
        print("payload %r: answer id %r" % (payload, r[:2]))
        bad += 1
for i in range(200):
    s.sendto(bytes(random.getrandbits(8) for _ in range(random.randint(1, 300))), (gw, 53))
s.settimeout(1.0)
answers = 0
try:
    while True:
        r, _ = s.recvfrom(4096)
        answers += 1
        if len(r) < 12 or not r[2] & 0x80:
            print("random garbage: a reply that is not a DNS response: %r" % r[:12])
            bad += 1
except socket.timeout:
    pass
# TCP: a framed message of garbage, then a zero-length one.
t = socket.create_connection((gw, 53), timeout=3)
t.sendall(struct.pack("!H", 5) + b"\xab\xcd\x00\x00\x07")
hd = t.recv(2)
if len(hd) == 2:
    r = t.recv(struct.unpack("!H", hd)[0])
    if len(r) < 12 or r[:2] != b"\xab\xcd" or r[3] & 0x0F != 1:
        print("tcp garbage: answer %r" % r[:12])
        bad += 1
t.close()
print("malformed: %d of %d answered; random: %d replies to 200 datagrams"
      % (fixed_answers, len(fixed), answers))
sys.exit(1 if bad else 0)
EOF
gx "$ns" python3 "$T/garbage.py" "$GW" >"$T/garbage.out" 2>&1 || fail "garbage: $(cat "$T/garbage.out")"
vgate_alive || fail "vgate died on garbage"
a=$(answers gateway.containers.internal)
[ "$a" = "gateway.containers.internal. 0 IN A 192.168.127.1" ] || fail "after garbage, local: '$a'"
a=$(answers fwd.example.test)
[ "$a" = "fwd.example.test. 1234 IN A 10.9.8.7" ] || fail "after garbage, forwarded: '$a'"
pass "garbage (UDP and TCP) gets FORMERR/NOTIMP or nothing; vgate keeps answering ($(tail -n 1 "$T/garbage.out"))"

# --- an upstream that never answers: SERVFAIL, bounded ---
start=$(date +%s%N)
s=$(q +time=15 silent.example.test)
took=$((($(date +%s%N) - start) / 1000000))
st=$(sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$s")
[ "$st" = SERVFAIL ] || fail "silent upstream: status '$st' after ${took} ms: $s"
[ "$took" -le 10000 ] || fail "silent upstream: SERVFAIL only after ${took} ms"
n=$(grep -c ' silent.example.test. ' "$T/up.log" || true)
pass "silent upstream: SERVFAIL after ${took} ms ($n upstream attempts)"

stats=$(api /stats) || fail "/stats does not answer"
read -r nq fwd sf < <(json_get "j['DNSQueries'], j['DNSForwarded'], j['DNSServfail']" <<<"$stats" | tr -d '(),') ||
	fail "/stats lacks DNS counters: $stats"
[[ $fwd -ge 10 && $sf -ge 1 && $nq -ge 230 ]] || fail "/stats DNS counters: $stats"
# No errors at all, and no warnings from the component under test (others
# may warn about the sandbox, e.g. ping sockets not permitted there).
if grep -E ' error |warn  dns:' "$T/vgate.log" >"$T/errors"; then
	fail "vgate logged errors: $(cat "$T/errors")"
fi
stop_vgate
pass "/stats: DNSQueries=$nq DNSForwarded=$fwd DNSServfail=$sf; no errors or warnings in vgate's log; clean exit"

# --- a dead upstream (nothing listens): SERVFAIL at once ---
start_vgate --netns "$ns" --netns-configure --resolv-conf "$T/resolv.unused" \
	--dns-upstream "127.0.0.1:$DEAD"
start=$(date +%s%N)
s=$(status dead.example.test)
took=$((($(date +%s%N) - start) / 1000000))
[ "$s" = SERVFAIL ] || fail "dead upstream: status '$s'"
[ "$took" -le 1500 ] || fail "dead upstream: SERVFAIL only after ${took} ms"
a=$(answers host.containers.internal)
[ "$a" = "host.containers.internal. 0 IN A 192.168.127.254" ] || fail "local zone with a dead upstream: '$a'"
stop_vgate
pass "dead upstream: SERVFAIL after ${took} ms; local zones still answered"

# --- --resolv-conf: re-read when it changes ---
dnsserver r2 127.0.0.2:53 --record which.example.test. A 30 10.0.0.2
dnsserver r3 127.0.0.3:53 --record which.example.test. A 30 10.0.0.3
printf 'nameserver 127.0.0.2\n' >"$T/resolv.conf"
start_vgate --netns "$ns" --netns-configure --resolv-conf "$T/resolv.conf"
a=$(answers which.example.test)
[ "$a" = "which.example.test. 30 IN A 10.0.0.2" ] || fail "via resolv.conf (127.0.0.2): '$a'"
grep -q 'which.example.test' "$T/r2.log" || fail "127.0.0.2 never saw the query"
printf '# switched\nnameserver 127.0.0.3\n' >"$T/resolv.new"
mv "$T/resolv.new" "$T/resolv.conf"
switched() { [ "$(answers which.example.test)" = "which.example.test. 30 IN A 10.0.0.3" ]; }
wait_until 5 switched || fail "after rewriting resolv.conf: '$(answers which.example.test)'"
grep -q 'which.example.test' "$T/r3.log" || fail "127.0.0.3 never saw the query"
grep -q "resolv: $T/resolv.conf: 1 nameserver" "$T/vgate.log" || fail "no resolv.conf reload logged"
# Rewritten in place (same inode) works too.
printf 'nameserver 127.0.0.2\n' >"$T/resolv.conf"
back() { [ "$(answers which.example.test)" = "which.example.test. 30 IN A 10.0.0.2" ]; }
wait_until 5 back || fail "after rewriting resolv.conf in place: '$(answers which.example.test)'"
stop_vgate
pass "--resolv-conf: queries follow the file when it is replaced and when it is rewritten in place"
