#!/usr/bin/env python3
"""TCP peers for vgate's end-to-end tests (t_tcp_*.sh).

Servers run in the sandbox namespace and listen on 127.0.0.1; clients run
in a guest namespace and reach them through the host alias. Every socket
operation has a timeout, so nothing here can hang a test.

Servers (each writes its PID to READY once it listens, then serves until killed;
PORT may be ADDR:PORT, the address defaults to 127.0.0.1):
  put-server PORT READY        HTTP PUT/POST: answers "<sha256> <length>"
                               of the body it received
  half-server PORT READY       guest closes first: read until EOF, then
                               send PATTERN (1 MiB), then close
  shut-server PORT READY OUT   server closes first: send 64 KiB, shut the
                               write side, read until EOF, write
                               "<sha256> <length>" of what arrived to OUT
  echo-server PORT READY       echo every byte back (threads)
  flood-server PORT READY [OUT]  send as fast as the peer takes, forever;
                               the bytes sent so far go to OUT (5 times/s)

Clients (print one result line; exit 0 unless the check failed):
  half-client HOST PORT        send 256 KiB, shut the write side, expect
                               PATTERN back
  shut-client HOST PORT N      expect 64 KiB then EOF, then send N bytes
                               more, shut, close; prints their sha256/length
  connect HOST PORT TIMEOUT    prints the outcome: connected,
                               ConnectionRefusedError, ConnectionResetError,
                               timeout, or another exception's name
  seq HOST PORT N              N connections one after another: connect,
                               send 1 byte, read the echo, close
  par HOST PORT N              N connections open at once (threads and a
                               barrier), then each echoes 1 byte, then close
  hold HOST PORT READY [N]     open N connections (small receive buffers),
                               never read; write the PID to READY; sleep
  syn-flood SRC N DST:PORT...  N raw SYNs (IP_HDRINCL) from SRC, distinct
                               source ports 1024-31023, round-robin over the
                               destinations, paced so that vgate takes every
                               one off the tap (fails on tap drops)
  ack-probe SRC DST PORT       a raw bare ACK for no connection; prints
                               "rst" if a RST for it comes back within 5 s
"""
import hashlib
import http.server
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time

PATTERN = random.Random(4242).randbytes(1 << 20)
SHUT_FIRST = random.Random(4343).randbytes(64 * 1024)
IO_TIMEOUT = 30


def bind_addr(port):
    """PORT or ADDR:PORT (default address 127.0.0.1)."""
    addr, _, port = ("127.0.0.1:" + port if ":" not in port else port).rpartition(":")
    return addr, int(port)


def listener(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(bind_addr(port))
    s.listen(1024)
    return s


def ready(path):
    with open(path + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.replace(path + ".tmp", path)


def recv_all(c):
    h, n = hashlib.sha256(), 0
    while True:
        d = c.recv(1 << 16)
        if not d:
            return h.hexdigest(), n
        h.update(d)
        n += len(d)


def serve_threads(port, path, handler):
    s = listener(port)
    ready(path)
    while True:
        c, _ = s.accept()
        c.settimeout(IO_TIMEOUT)
        threading.Thread(target=handler, args=(c,), daemon=True).start()


class PutHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_PUT(self):
        # "Expect: 100-continue" is answered by http.server itself.
        left = int(self.headers.get("Content-Length", "0"))
        h, n = hashlib.sha256(), 0
        while left:
            d = self.rfile.read(min(left, 1 << 16))
            if not d:
                break
            h.update(d)
            n += len(d)
            left -= len(d)
        body = ("%s %d\n" % (h.hexdigest(), n)).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT


def put_server(port, path):
    class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
        daemon_threads = True
        allow_reuse_address = True

    srv = Server(bind_addr(port), PutHandler)
    ready(path)
    srv.serve_forever()


def half_server(port, path):
    def handle(c):
        with c:
            recv_all(c)
            c.sendall(PATTERN)

    serve_threads(port, path, handle)


def shut_server(port, path, out):
    def handle(c):
        with c:
            c.sendall(SHUT_FIRST)
            c.shutdown(socket.SHUT_WR)
            sha, n = recv_all(c)
        with open(out, "w") as f:
            f.write("%s %d\n" % (sha, n))

    serve_threads(port, path, handle)


def echo_server(port, path):
    def handle(c):
        with c:
            try:
                while True:
                    d = c.recv(65536)
                    if not d:
                        return
                    c.sendall(d)
            except OSError:
                return

    serve_threads(port, path, handle)


def flood_server(port, path, out=None):
    chunk = b"F" * (1 << 16)
    total = [0]

    def handle(c):
        c.settimeout(None)  # blocks while the guest does not read
        with c:
            try:
                while True:
                    total[0] += c.send(chunk)
            except OSError:
                return

    def progress():
        while True:
            with open(out + ".tmp", "w") as f:
                f.write("%d\n" % total[0])
            os.replace(out + ".tmp", out)
            time.sleep(0.2)

    if out:
        threading.Thread(target=progress, daemon=True).start()
    serve_threads(port, path, handle)


def dial(host, port, timeout=IO_TIMEOUT):
    return socket.create_connection((host, int(port)), timeout=timeout)


def half_client(host, port):
    c = dial(host, port)
    c.sendall(os.urandom(256 * 1024))
    c.shutdown(socket.SHUT_WR)
    got = bytearray()
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        got += d
    c.close()
    ok = bytes(got) == PATTERN
    print("%s %d bytes after our FIN" % ("OK" if ok else "MISMATCH", len(got)))
    return 0 if ok else 1


def shut_client(host, port, n):
    c = dial(host, port)
    got = bytearray()
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        got += d
    if bytes(got) != SHUT_FIRST:
        print("MISMATCH before EOF: %d bytes" % len(got))
        return 1
    # The server's write side is shut; ours is still open.
    data = os.urandom(int(n))
    c.sendall(data)
    c.shutdown(socket.SHUT_WR)
    c.settimeout(IO_TIMEOUT)
    rest = c.recv(1)  # the server closes after reading our EOF
    c.close()
    print("%s %d" % (hashlib.sha256(data).hexdigest(), len(data)))
    return 0 if rest == b"" else 1


def outcome(host, port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(float(timeout))
    try:
        s.connect((host, int(port)))
        # A flow vgate accepted might still be reset right after.
        print("connected")
    except socket.timeout:
        print("timeout")
    except OSError as e:
        print(type(e).__name__)
    finally:
        s.close()
    return 0


def echo_once(host, port):
    c = dial(host, port, 10)
    try:
        c.sendall(b"x")
        if c.recv(1) != b"x":
            raise RuntimeError("bad echo")
    finally:
        c.close()


def seq(host, port, n):
    bad = 0
    for i in range(int(n)):
        try:
            echo_once(host, port)
        except Exception as e:
            bad += 1
            if bad <= 5:
                print("connection %d: %r" % (i, e), file=sys.stderr)
    print("%d ok %d failed" % (int(n) - bad, bad))
    return 1 if bad else 0


def par(host, port, n):
    n = int(n)
    barrier = threading.Barrier(n, timeout=60)
    errors = []

    def one(i):
        try:
            c = dial(host, port)
        except Exception as e:
            errors.append((i, repr(e)))
            barrier.abort()
            return
        try:
            barrier.wait()  # all n connections are open at once here
            c.sendall(b"%c" % (65 + i % 26))
            if c.recv(1) != b"%c" % (65 + i % 26):
                raise RuntimeError("bad echo")
        except Exception as e:
            errors.append((i, repr(e)))
        finally:
            c.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in errors[:5]:
        print("connection %d: %s" % e, file=sys.stderr)
    print("%d ok %d failed" % (n - len(errors), len(errors)))
    return 1 if errors else 0


def hold(host, port, path, n=1):
    conns = []
    for _ in range(int(n)):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.settimeout(IO_TIMEOUT)
        c.connect((host, int(port)))
        conns.append(c)
    ready(path)
    while True:
        time.sleep(60)


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_packet(src, dst, sport, dport, seq_no, ack_no, flags):
    s, d = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq_no, ack_no, 5 << 4, flags, 64240, 0, 0)
    c = csum(s + d + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), random.getrandbits(16), 0, 64,
                     socket.IPPROTO_TCP, 0, s, d)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ip + tcp


def raw_socket():
    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    r.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    return r


def tap_counter(name):
    with open("/sys/class/net/tap0/statistics/" + name) as f:
        return int(f.read())


def syn_flood(src, n, *dests):
    """Bursts of 200 (the tap queue holds 500 frames): before the next
    burst, wait until vgate has taken the last one off the tap, so all N
    reach it."""
    targets = []
    for d in dests:
        host, port = d.rsplit(":", 1)
        targets.append((host, int(port)))
    r = raw_socket()
    n = int(n)
    taken0, dropped0 = tap_counter("tx_packets"), tap_counter("tx_dropped")
    for i in range(n):
        host, port = targets[i % len(targets)]
        # Source ports outside the kernel's ephemeral range, never reused.
        pkt = tcp_packet(src, host, 1024 + i % 30000, port, random.getrandbits(32), 0, 0x02)
        r.sendto(pkt, (host, 0))
        if i % 200 == 199 or i == n - 1:
            deadline = time.monotonic() + 10
            while tap_counter("tx_packets") + tap_counter("tx_dropped") - taken0 - dropped0 < i + 1:
                if time.monotonic() > deadline:
                    print("vgate stopped reading the tap after %d SYNs" % (i + 1))
                    return 1
                time.sleep(0.001)
    taken = tap_counter("tx_packets") - taken0
    dropped = tap_counter("tx_dropped") - dropped0
    print("%d SYNs sent, %d frames taken by vgate, %d dropped" % (n, taken, dropped))
    return 1 if dropped else 0


def ack_probe(src, dst, port):
    port = int(port)
    sport = random.randint(40000, 60000)
    seq_no, ack_no = random.getrandbits(32), random.getrandbits(32)
    r = raw_socket()
    r.settimeout(0.5)
    deadline = time.monotonic() + 5
    r.sendto(tcp_packet(src, dst, sport, port, seq_no, ack_no, 0x10), (dst, 0))
    while time.monotonic() < deadline:
        try:
            pkt = r.recv(65535)
        except socket.timeout:
            continue
        ihl = (pkt[0] & 15) * 4
        psrc, pdst = socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20])
        sp, dp, sq = struct.unpack("!HHI", pkt[ihl:ihl + 8])
        flags = pkt[ihl + 13]
        if (psrc, pdst, sp, dp) == (dst, src, port, sport) and flags & 0x04:
            # RFC 793: a RST answering a bare ACK carries seq = its ack.
            print("rst" if sq == ack_no else "rst-bad-seq %d != %d" % (sq, ack_no))
            return 0
    print("no-rst")
    return 0


MODES = {
    "put-server": put_server,
    "half-server": half_server,
    "shut-server": shut_server,
    "echo-server": echo_server,
    "flood-server": flood_server,
    "half-client": half_client,
    "shut-client": shut_client,
    "connect": outcome,
    "seq": seq,
    "par": par,
    "hold": hold,
    "syn-flood": syn_flood,
    "ack-probe": ack_probe,
}

if __name__ == "__main__":
    sys.exit(MODES[sys.argv[1]](*sys.argv[2:]) or 0)
