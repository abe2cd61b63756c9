#!/usr/bin/env python3
"""framecli - a test client for vgate's frame transports (stdlib only).

Used by the end-to-end tests, either imported by an inline script
(``sys.path.insert(0, E2E_DIR); import framecli``) or through its
subcommands (``python3 framecli.py --help``).

What it speaks:
  * endpoints: ``unix:///path``, ``unixpacket:///path``, ``tcp://host:port``
    or a bare filesystem path (a unix stream socket);
  * framings: ``be32`` (QEMU stream/socket), ``le16`` (vpnkit, /connect,
    stdio) and ``msg`` (one SEQPACKET message or datagram per frame);
  * the VPNKit handshake (49-byte hello echoed, 41-byte command, 258-byte
    reply) and the ``POST /connect`` request that turns an API connection
    into a le16 frame port;
  * plain ``GET`` requests on the API socket.

Every blocking operation takes a timeout (seconds) and raises
``TimeoutError`` when it passes, so a test can never hang on a socket.
"""

import argparse
import json
import os
import select
import socket
import struct
import sys
import time
import uuid as uuidlib

DEFAULT_TIMEOUT = 5.0
# Experimental ethertype (IEEE 802 "local experimental 1"): vgate's gateway
# has nothing to say about it, so test frames never get confused with real
# traffic (ARP, IPv6 router advertisements) that a future gateway may send.
TEST_ETHERTYPE = 0x88B5
BROADCAST = "ff:ff:ff:ff:ff:ff"

VPNKIT_MAGIC = b"VMN3T"
VPNKIT_HELLO_LEN = 49
VPNKIT_COMMAND_LEN = 41
VPNKIT_REPLY_LEN = 258

CONNECT_REQUEST = b"POST /connect HTTP/1.1\r\nHost: \r\nContent-Length: 0\r\n\r\n"

# --- addresses and sockets ---------------------------------------------------


def parse_url(url):
    """Return (family, type, address) for an endpoint URL or a bare path."""
    if url.startswith("unix://"):
        return socket.AF_UNIX, socket.SOCK_STREAM, url[len("unix://"):]
    if url.startswith("unixpacket://"):
        return socket.AF_UNIX, socket.SOCK_SEQPACKET, url[len("unixpacket://"):]
    if url.startswith("unixgram://"):
        return socket.AF_UNIX, socket.SOCK_DGRAM, url[len("unixgram://"):]
    if url.startswith("tcp://"):
        rest = url[len("tcp://"):].split("/", 1)[0]
        host, _, port = rest.rpartition(":")
        host = host.strip("[]") or "127.0.0.1"
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        return fam, socket.SOCK_STREAM, (host, int(port))
    if "://" in url:
        raise ValueError("unsupported URL %r" % url)
    return socket.AF_UNIX, socket.SOCK_STREAM, url


def connect(url, timeout=DEFAULT_TIMEOUT, rcvbuf=None):
    """Connect to an endpoint; returns a blocking socket (with a timeout)."""
    fam, typ, addr = parse_url(url)
    s = socket.socket(fam, typ)
    if rcvbuf is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    try:
        s.connect(addr)
    except BaseException:
        s.close()
        raise
    return s


def recv_exact(sock, n, timeout=DEFAULT_TIMEOUT):
    """Read exactly n bytes from a stream socket or raise.

    Raises EOFError if the peer closes first (with the bytes read so far in
    ``args[1]``) and TimeoutError when the deadline passes.
    """
    deadline = time.monotonic() + timeout
    buf = b""
    while len(buf) < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("wanted %d bytes, got %d" % (n, len(buf)))
        sock.settimeout(left)
        try:
            chunk = sock.recv(n - len(buf))
        except socket.timeout:
            raise TimeoutError("wanted %d bytes, got %d" % (n, len(buf))) from None
        if not chunk:
            raise EOFError("peer closed after %d of %d bytes" % (len(buf), n), buf)
        buf += chunk
    return buf


def wait_closed(sock, timeout=DEFAULT_TIMEOUT):
    """Wait until the peer closes the connection; discards anything received.

    Returns True on EOF or reset, False when the timeout passes first.
    """
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True


def wait_path(path, timeout=DEFAULT_TIMEOUT):
    """Wait until a filesystem path exists."""
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError("%s did not appear" % path)
        time.sleep(0.05)


def wait_log(path, needle, timeout=DEFAULT_TIMEOUT):
    """Wait until the file at path contains needle; returns its text."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            if needle in text:
                return text
        except FileNotFoundError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("%r never appeared in %s" % (needle, path))
        time.sleep(0.05)


# --- Ethernet frames -----------------------------------------------------------


def mac_bytes(mac):
    """'02:00:00:00:00:01' (or 6 bytes) -> 6 bytes."""
    if isinstance(mac, (bytes, bytearray)):
        if len(mac) != 6:
            raise ValueError("MAC must be 6 bytes")
        return bytes(mac)
    parts = mac.split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC %r" % mac)
    return bytes(int(p, 16) for p in parts)


def mac_str(mac):
    """6 bytes -> '02:00:00:00:00:01'."""
    return ":".join("%02x" % b for b in mac_bytes(mac))


def eth_frame(dst, src, payload=b"", ethertype=TEST_ETHERTYPE, pad=True):
    """Build an Ethernet II frame (no FCS), padded to 60 bytes unless pad=False."""
    if isinstance(payload, str):
        payload = payload.encode()
    f = mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", ethertype) + payload
    if pad and len(f) < 60:
        f += b"\0" * (60 - len(f))
    return f


def parse_eth(frame):
    """Frame -> (dst mac str, src mac str, ethertype, payload)."""
    if len(frame) < 14:
        raise ValueError("runt frame of %d bytes" % len(frame))
    return (mac_str(frame[0:6]), mac_str(frame[6:12]),
            struct.unpack("!H", frame[12:14])[0], frame[14:])


def sized_frame(dst, src, size, tag=b"", ethertype=TEST_ETHERTYPE):
    """A frame of exactly size bytes: header, tag, then a byte pattern."""
    if isinstance(tag, str):
        tag = tag.encode()
    body_len = size - 14
    if body_len < len(tag):
        raise ValueError("frame too small for its tag")
    fill = bytes((i * 7 + 3) & 0xFF for i in range(body_len - len(tag)))
    return eth_frame(dst, src, tag + fill, ethertype, pad=False)


# --- framings ----------------------------------------------------------------


def be32(frame):
    """QEMU stream framing: uint32 big-endian length, then the frame."""
    return struct.pack(">I", len(frame)) + frame


def le16(frame):
    """vpnkit / /connect / stdio framing: uint16 little-endian length, then the frame."""
    if len(frame) > 0xFFFF:
        raise ValueError("le16 cannot carry %d bytes" % len(frame))
    return struct.pack("<H", len(frame)) + frame


def encode(framing, frame):
    if framing == "be32":
        return be32(frame)
    if framing == "le16":
        return le16(frame)
    if framing == "msg":
        return frame
    raise ValueError("unknown framing %r" % framing)


def decode_all(framing, data):
    """Split a byte string into frames; returns (frames, leftover bytes)."""
    hdr = {"be32": 4, "le16": 2}[framing]
    frames = []
    off = 0
    while len(data) - off >= hdr:
        if framing == "be32":
            n = struct.unpack(">I", data[off:off + 4])[0]
        else:
            n = struct.unpack("<H", data[off:off + 2])[0]
        if len(data) - off - hdr < n:
            break
        frames.append(data[off + hdr:off + hdr + n])
        off += hdr + n
    return frames, data[off:]


class FrameStream:
    """Frames over a socket, or over a pair of file descriptors (stdio pipes).

    framing: 'be32', 'le16' or 'msg' (one message per frame).
    """

    def __init__(self, sock=None, framing="le16", rfd=None, wfd=None):
        self.sock = sock
        self.framing = framing
        if sock is not None:
            sock.setblocking(False)
            self.rfd = self.wfd = sock.fileno()
        else:
            self.rfd, self.wfd = rfd, wfd
            os.set_blocking(rfd, False)
        self.buf = b""
        self.pending = []
        self.eof = False

    def fileno(self):
        return self.rfd

    # sending
    def send_raw(self, data, timeout=DEFAULT_TIMEOUT):
        """Write bytes as they are (a stream), or one message (msg framing)."""
        deadline = time.monotonic() + timeout
        view = memoryview(data)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("send blocked: %d bytes left" % len(view))
            _, w, _ = select.select([], [self.wfd], [], left)
            if not w:
                continue
            try:
                n = os.write(self.wfd, view)
            except BlockingIOError:
                continue
            if self.framing == "msg":
                return
            view = view[n:]
            if not len(view):
                return

    def send(self, frame, timeout=DEFAULT_TIMEOUT):
        self.send_raw(encode(self.framing, frame), timeout)

    def send_many(self, frames, timeout=DEFAULT_TIMEOUT):
        """Send frames in batches; the deadline covers the whole lot."""
        deadline = time.monotonic() + timeout
        if self.framing == "msg":
            for f in frames:
                self.send_raw(f, max(deadline - time.monotonic(), 0.001))
            return
        batch = []
        size = 0
        for f in frames:
            batch.append(encode(self.framing, f))
            size += len(batch[-1])
            if size >= 256 * 1024:
                self.send_raw(b"".join(batch), max(deadline - time.monotonic(), 0.001))
                batch, size = [], 0
        if batch:
            self.send_raw(b"".join(batch), max(deadline - time.monotonic(), 0.001))

    # receiving
    def _fill(self, left):
        r, _, _ = select.select([self.rfd], [], [], max(left, 0))
        if not r:
            return False
        try:
            if self.sock is not None and self.framing == "msg":
                chunk = self.sock.recv(262144)
            else:
                chunk = os.read(self.rfd, 262144)
        except BlockingIOError:
            return True
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            self.eof = True
            return True
        if self.framing == "msg":
            self.pending.append(chunk)
        else:
            self.buf += chunk
            frames, self.buf = decode_all(self.framing, self.buf)
            self.pending.extend(frames)
        return True

    def recv(self, timeout=DEFAULT_TIMEOUT):
        """The next frame, or None when the timeout passes.

        Raises EOFError when the peer closed and no frame is left.
        """
        deadline = time.monotonic() + timeout
        while not self.pending:
            if self.eof:
                raise EOFError("peer closed")
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._fill(left)
        return self.pending.pop(0)

    def recv_match(self, pred=None, timeout=DEFAULT_TIMEOUT, ethertype=TEST_ETHERTYPE):
        """The next frame with the test ethertype (and pred(frame) true).

        Other frames are skipped. Returns None when the timeout passes.
        """
        deadline = time.monotonic() + timeout
        while True:
            f = self.recv(max(deadline - time.monotonic(), 0))
            if f is None:
                return None
            if ethertype is not None and (len(f) < 14 or
                                          struct.unpack("!H", f[12:14])[0] != ethertype):
                continue
            if pred is None or pred(f):
                return f

    def drain(self, timeout=0.2, ethertype=TEST_ETHERTYPE):
        """Every test frame that arrives within timeout (returns a list)."""
        out = []
        deadline = time.monotonic() + timeout
        while True:
            try:
                f = self.recv_match(timeout=max(deadline - time.monotonic(), 0),
                                    ethertype=ethertype)
            except EOFError:
                return out
            if f is None:
                return out
            out.append(f)

    def wait_closed(self, timeout=DEFAULT_TIMEOUT):
        """True once the peer has closed (frames received meanwhile are kept)."""
        deadline = time.monotonic() + timeout
        while not self.eof:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._fill(left)
        return True

    def close(self):
        if self.sock is not None:
            self.sock.close()
        else:
            for fd in {self.rfd, self.wfd}:
                try:
                    os.close(fd)
                except OSError:
                    pass


# --- VPNKit ------------------------------------------------------------------


def vpnkit_hello(version=22, commit=b"0" * 40, magic=VPNKIT_MAGIC):
    """The 49-byte client hello: magic[5], uint32 version LE, commit[40]."""
    commit = (commit + b"\0" * 40)[:40]
    return magic + struct.pack("<I", version) + commit


def vpnkit_command(uuid=None, ip=0, command=1):
    """The 41-byte command: uint8 command (1 = ethernet), uuid[36], uint32 ip LE."""
    if uuid is None:
        uuid = str(uuidlib.uuid4())
    u = uuid.encode() if isinstance(uuid, str) else uuid
    if len(u) != 36:
        raise ValueError("uuid must be 36 characters")
    return bytes([command]) + u + struct.pack("<I", ip)


def parse_vpnkit_reply(reply):
    """258-byte reply -> dict(status, mtu, max_frame, mac, tail_zero)."""
    if len(reply) != VPNKIT_REPLY_LEN:
        raise ValueError("reply is %d bytes" % len(reply))
    mtu, maxf = struct.unpack("<HH", reply[1:5])
    return {"status": reply[0], "mtu": mtu, "max_frame": maxf,
            "mac": mac_str(reply[5:11]), "tail_zero": not any(reply[11:])}


def vpnkit_handshake(sock, uuid=None, version=22, commit=b"0123456789abcdef0123456789abcdef01234567",
                     timeout=DEFAULT_TIMEOUT, extra=b""):
    """Run the client side of the handshake; returns the parsed reply.

    Checks that the hello echo is byte-identical (raises AssertionError if
    not). ``extra`` is sent in the same write as the command (frames a fast
    client may send before reading the reply).
    """
    hello = vpnkit_hello(version, commit)
    sock.sendall(hello)
    echo = recv_exact(sock, VPNKIT_HELLO_LEN, timeout)
    if echo != hello:
        raise AssertionError("hello echo differs: sent %s got %s" % (hello.hex(), echo.hex()))
    sock.sendall(vpnkit_command(uuid) + extra)
    reply = parse_vpnkit_reply(recv_exact(sock, VPNKIT_REPLY_LEN, timeout))
    reply["echo_ok"] = True
    return reply


def vpnkit_client(url, uuid=None, timeout=DEFAULT_TIMEOUT):
    """Connect, handshake; returns (FrameStream le16, reply dict)."""
    s = connect(url, timeout)
    reply = vpnkit_handshake(s, uuid=uuid, timeout=timeout)
    return FrameStream(s, "le16"), reply


# --- HTTP API ----------------------------------------------------------------


def connect_client(url, extra=b"", timeout=DEFAULT_TIMEOUT):
    """Open a /connect port: send the request head (plus ``extra`` in the same
    write); vgate answers nothing. Returns a le16 FrameStream."""
    s = connect(url, timeout)
    s.sendall(CONNECT_REQUEST + extra)
    return FrameStream(s, "le16")


def http_request(url, method, path, body=b"", timeout=DEFAULT_TIMEOUT):
    """One HTTP/1.1 request; returns (status, headers dict, body bytes)."""
    s = connect(url, timeout)
    try:
        req = ("%s %s HTTP/1.1\r\nHost: vgate\r\nContent-Length: %d\r\n"
               "Connection: close\r\n\r\n" % (method, path, len(body))).encode() + body
        s.sendall(req)
        data = b""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no complete answer to %s %s" % (method, path))
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/1."):
        raise ValueError("not an HTTP answer: %r" % data[:80])
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def api_get(url, path, timeout=DEFAULT_TIMEOUT):
    """GET a JSON API path; returns the decoded JSON (raises unless 200)."""
    status, _, body = http_request(url, "GET", path, timeout=timeout)
    if status != 200:
        raise ValueError("GET %s: %d %r" % (path, status, body))
    return json.loads(body)


def port_by_mac(url, mac, timeout=DEFAULT_TIMEOUT):
    """The /v1/ports entry whose MAC is mac, or None."""
    mac = mac_str(mac)
    for p in api_get(url, "/v1/ports", timeout):
        if p.get("mac") == mac:
            return p
    return None


def wait_for(pred, timeout=DEFAULT_TIMEOUT, what="condition", interval=0.05):
    """Poll pred() until it returns a true value (returned) or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise TimeoutError("timed out waiting for %s" % what)
        time.sleep(interval)


def vm_rss_kb(pid, key="VmRSS"):
    """A /proc/PID/status memory figure in kB (VmRSS, VmHWM, ...)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise ValueError("%s not in /proc/%d/status" % (key, pid))


# --- command line ------------------------------------------------------------


def _cmd_handshake(a):
    s = connect(a.url, a.timeout)
    reply = vpnkit_handshake(s, timeout=a.timeout)
    print(json.dumps(reply, sort_keys=True))
    s.close()


def _cmd_get(a):
    status, _, body = http_request(a.url, a.method, a.path, timeout=a.timeout)
    sys.stdout.write(body.decode("utf-8", "replace"))
    if status != a.expect:
        sys.stderr.write("framecli: %s %s: status %d, expected %d\n"
                         % (a.method, a.path, status, a.expect))
        sys.exit(1)


def _open_stream(a):
    if a.connect:
        return connect_client(a.url, timeout=a.timeout)
    if a.framing == "vpnkit":
        return vpnkit_client(a.url, timeout=a.timeout)[0]
    return FrameStream(connect(a.url, a.timeout), a.framing)


def _cmd_send(a):
    fs = _open_stream(a)
    for i in range(a.count):
        fs.send(eth_frame(a.dst, a.src, ("%s %d" % (a.payload, i)).encode()), a.timeout)
    fs.close()


def _cmd_recv(a):
    fs = _open_stream(a)
    got = 0
    deadline = time.monotonic() + a.timeout
    while got < a.count:
        f = fs.recv_match(timeout=max(deadline - time.monotonic(), 0))
        if f is None:
            sys.stderr.write("framecli: timed out after %d of %d frames\n" % (got, a.count))
            sys.exit(1)
        dst, src, et, payload = parse_eth(f)
        print("%s %s %04x %s" % (dst, src, et, payload.rstrip(b"\0").decode("latin-1")))
        got += 1
    fs.close()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT)
    sub = ap.add_subparsers(dest="cmd", required=True)

    p = sub.add_parser("handshake", help="VPNKit handshake; print the reply as JSON")
    p.add_argument("url")
    p.set_defaults(fn=_cmd_handshake)

    p = sub.add_parser("get", help="HTTP request on the API socket; print the body")
    p.add_argument("url")
    p.add_argument("path")
    p.add_argument("--method", default="GET")
    p.add_argument("--expect", type=int, default=200, help="expected status")
    p.set_defaults(fn=_cmd_get)

    for name, fn, hlp in (("send", _cmd_send, "send test frames"),
                          ("recv", _cmd_recv, "print received test frames")):
        p = sub.add_parser(name, help=hlp)
        p.add_argument("url")
        p.add_argument("--framing", choices=("be32", "le16", "msg", "vpnkit"), default="le16")
        p.add_argument("--connect", action="store_true", help="send POST /connect first")
        p.add_argument("--count", type=int, default=1)
        if name == "send":
            p.add_argument("--src", default="02:00:00:00:00:01")
            p.add_argument("--dst", default=BROADCAST)
            p.add_argument("--payload", default="framecli")
        p.set_defaults(fn=fn)

    a = ap.parse_args(argv)
    try:
        a.fn(a)
    except (OSError, TimeoutError, EOFError, ValueError, AssertionError) as e:
        sys.stderr.write("framecli %s: %s: %s\n" % (a.cmd, type(e).__name__, e))
        sys.exit(1)


if __name__ == "__main__":
    main()
