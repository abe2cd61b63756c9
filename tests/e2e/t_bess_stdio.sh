#!/usr/bin/env bash
# -listen-bess (SOCK_SEQPACKET, one frame per message) and -listen-stdio
# accept (le16 frames on vgate's stdin/stdout, as gvforwarder's stdio: URL
# spawns it): a Python parent inside the sandbox runs vgate on pipes, and
# frames cross between a bess client and the stdio peer both ways; runt
# messages on bess are counted and dropped; SIGTERM still exits cleanly.
# start_vgate cannot hand out pipes, so this test starts vgate itself.
. "$(dirname "$0")/lib.sh"
e2e_init

sx timeout 40 python3 - "$E2E_DIR" "$T" "$VGATE" <<'EOF' || fail "bess <-> stdio"
import os, signal, subprocess, sys, time
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, sys.argv[1])
import framecli as fc

T, VGATE = sys.argv[2], sys.argv[3]
API = "unix://%s/api.sock" % T
BESS = "unixpacket://%s/bess.sock" % T
log = "%s/vgate.log" % T
pidfile = "%s/vgate.pid" % T

proc = subprocess.Popen(
    [VGATE, "-debug", "-log-file", log, "-pid-file", pidfile,
     "-listen", API, "-listen-bess", BESS, "-listen-stdio", "accept"],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None)
try:
    fc.wait_log(log, " ready ", 10)
    assert int(open(pidfile).read()) == proc.pid, "pid file does not hold vgate's pid"
    stdio = fc.FrameStream(framing="le16", rfd=proc.stdout.fileno(), wfd=proc.stdin.fileno())

    bess_sock = fc.connect(BESS)
    assert bess_sock.type == fc.socket.SOCK_SEQPACKET
    bess = fc.FrameStream(bess_sock, "msg")
    ports = fc.wait_for(lambda: len(fc.api_get(API, "/v1/ports")) == 2 and fc.api_get(API, "/v1/ports"),
                        5, "bess and stdio ports")
    kinds = sorted(p["transport"] for p in ports)
    assert kinds == ["bess", "stdio"], kinds

    mac_bess = "02:00:00:00:be:55"
    mac_stdio = "02:00:00:00:57:d1"

    # bess -> stdio: broadcast, one message per frame, several sizes.
    sent = [fc.sized_frame(fc.BROADCAST, mac_bess, n, tag=b"bess %d" % n) for n in (60, 61, 1000, 1514)]
    for f in sent:
        bess.send(f)
    for f in sent:
        got = stdio.recv_match(timeout=5)
        assert got == f, "stdio peer got %r for a %d-byte frame" % (got and got[:24], len(f))
    print("bess -> stdio: %d frames byte-exact" % len(sent))

    # stdio -> bess: unicast to the learnt bess MAC, several frames in one write.
    back = [fc.sized_frame(mac_bess, mac_stdio, n, tag=b"stdio %d" % n) for n in (60, 777, 1514)]
    stdio.send_raw(b"".join(fc.le16(f) for f in back))
    for f in back:
        got = bess.recv_match(timeout=5)
        assert got == f, "bess client got %r for a %d-byte frame" % (got and got[:24], len(f))
    print("stdio -> bess: %d frames byte-exact, one message each" % len(back))

    # Runt messages on bess are dropped and counted; the next frame passes.
    # (A zero-length message is not sent: on SEQPACKET recv() returns 0 for
    # it, which vgate reads as the peer closing.)
    bess.send_raw(b"\x01")
    bess.send_raw(b"\x01" * 13)
    ok = fc.eth_frame(mac_stdio, mac_bess, b"after runts")
    bess.send(ok)
    assert stdio.recv_match(timeout=5) == ok, "frame after bess runts"
    p = fc.port_by_mac(API, mac_bess)
    assert p and p["rx_runts"] == 2, p
    print("bess runts counted:", p)

    # A second bess client joins; broadcast from stdio reaches both.
    bess2 = fc.FrameStream(fc.connect(BESS), "msg")
    fc.wait_for(lambda: len(fc.api_get(API, "/v1/ports")) == 3, 5, "second bess client")
    b = fc.eth_frame(fc.BROADCAST, mac_stdio, b"stdio broadcast")
    stdio.send(b)
    assert bess.recv_match(timeout=5) == b and bess2.recv_match(timeout=5) == b
    bess2.close()
    bess.close()

    os.kill(proc.pid, signal.SIGTERM)
    rc = proc.wait(timeout=10)
    assert rc == 0, "vgate exited %d on SIGTERM" % rc
    assert not os.path.exists(pidfile), "pid file left behind"
    assert not os.path.exists(BESS[len("unixpacket://"):]), "bess socket left behind"
    print("SIGTERM: exit 0, files removed")
finally:
    if proc.poll() is None:
        proc.kill()
        proc.wait(timeout=5)
EOF
pass "frames cross between a bess client and the stdio peer"
