#!/usr/bin/env python3
"""A small DNS server for vgate's end-to-end tests (standard library only).

It stands in for the host's resolver: vgate forwards to it over UDP and TCP
on the sandbox's loopback. Answers come from a table built from the command
line and/or a JSON file; every query received is logged, one line each.

  dnsserver.py --listen 127.0.0.1:5300 --log q.log --ready ready \
      --record fwd.example.test. A 1234 10.9.8.7 \
      --record fwd.example.test. AAAA 4321 fd00::7 \
      --many big.example.test. 120 \
      --drop silent.example.test.

JSON file (--json FILE), every key optional:
  {"records": [["name.", "A", 60, "10.0.0.1"], ["name.", "TXT", 60, "text"]],
   "many": {"big.example.test.": 120},
   "drop": ["silent.example.test."]}

Answers: a name in the table gets its records of the asked type (NOERROR,
possibly empty); --many NAME N gives N A records 10.77.x.y (TTL 60); a
--drop name is never answered; any other name is NXDOMAIN. Answers are sent
whole over UDP too (no truncation, EDNS ignored), so vgate has to truncate
for the guest. Log lines: "<proto> <id> <qname> <qtype>", qname lower case
with a trailing dot, qtype as a number.
"""
import argparse
import ipaddress
import json
import socket
import socketserver
import struct
import sys
import threading

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "TXT": 16, "AAAA": 28}


def rdata(rtype, value):
    if rtype == TYPES["A"]:
        return ipaddress.IPv4Address(value).packed
    if rtype == TYPES["AAAA"]:
        return ipaddress.IPv6Address(value).packed
    if rtype == TYPES["TXT"]:
        out = b""
        data = value.encode()
        for i in range(0, max(len(data), 1), 255):
            chunk = data[i : i + 255]
            out += bytes([len(chunk)]) + chunk
        return out
    raise ValueError("unsupported type %d" % rtype)


class Table:
    def __init__(self):
        self.records = {}  # name -> list of (type, ttl, rdata)
        self.drop = set()
        self.lock = threading.Lock()
        self.log = None

    def add(self, name, rtype, ttl, value):
        name = name.lower()
        if not name.endswith("."):
            name += "."
        t = TYPES[rtype.upper()] if not str(rtype).isdigit() else int(rtype)
        self.records.setdefault(name, []).append((t, int(ttl), rdata(t, value)))

    def many(self, name, count):
        for i in range(int(count)):
            self.add(name, "A", 60, "10.77.%d.%d" % (i // 250, i % 250 + 1))

    def add_drop(self, name):
        name = name.lower()
        self.drop.add(name if name.endswith(".") else name + ".")

    def note(self, proto, qid, qname, qtype):
        if not self.log:
            return
        with self.lock:
            self.log.write("%s %d %s %d\n" % (proto, qid, qname, qtype))
            self.log.flush()


def parse_question(msg):
    """Return (id, flags, qname, qtype, end of question) or None."""
    if len(msg) < 12:
        return None
    qid, flags, qdcount = struct.unpack("!HHH", msg[:6])
    if qdcount < 1 or flags & 0x8000:
        return None
    pos, labels = 12, []
    while True:
        if pos >= len(msg):
            return None
        n = msg[pos]
        pos += 1
        if n == 0:
            break
        if n & 0xC0 or pos + n > len(msg):
            return None
        labels.append(msg[pos : pos + n].decode("ascii", "replace").lower())
        pos += n
    if pos + 4 > len(msg):
        return None
    qtype = struct.unpack("!H", msg[pos : pos + 2])[0]
    return qid, flags, ".".join(labels) + ".", qtype, pos + 4


def respond(table, msg, proto):
    q = parse_question(msg)
    if q is None:
        return None
    qid, flags, qname, qtype, end = q
    table.note(proto, qid, qname, qtype)
    if qname in table.drop:
        return None
    rflags = 0x8000 | (flags & 0x7900) | 0x0080  # QR, opcode, RD; RA
    answers = []
    if qname in table.records:
        answers = [r for r in table.records[qname] if r[0] == qtype]
    else:
        rflags |= 3  # NXDOMAIN
    out = bytearray(struct.pack("!HHHHHH", qid, rflags, 1, len(answers), 0, 0))
    out += msg[12:end]
    for rtype, ttl, data in answers:
        out += struct.pack("!HHHIH", 0xC00C, rtype, 1, ttl, len(data)) + data
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--listen", required=True, help="ADDR:PORT (UDP and TCP)")
    ap.add_argument("--log", help="append one line per query here")
    ap.add_argument("--ready", help="create this file once both sockets are bound")
    ap.add_argument("--json", help="table as JSON (see the module text)")
    ap.add_argument("--record", nargs=4, action="append", default=[],
                    metavar=("NAME", "TYPE", "TTL", "VALUE"))
    ap.add_argument("--many", nargs=2, action="append", default=[], metavar=("NAME", "COUNT"))
    ap.add_argument("--drop", action="append", default=[], metavar="NAME")
    a = ap.parse_args()

    table = Table()
    if a.json:
        with open(a.json) as f:
            j = json.load(f)
        for r in j.get("records", []):
            table.add(*r)
        for name, count in j.get("many", {}).items():
            table.many(name, count)
        for name in j.get("drop", []):
            table.add_drop(name)
    for r in a.record:
        table.add(*r)
    for name, count in a.many:
        table.many(name, count)
    for name in a.drop:
        table.add_drop(name)
    if a.log:
        table.log = open(a.log, "a")

    host, port = a.listen.rsplit(":", 1)
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET

    class UDPHandler(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            out = respond(table, data, "udp")
            if out:
                sock.sendto(out, self.client_address)

    class TCPHandler(socketserver.StreamRequestHandler):
        def handle(self):
            self.connection.settimeout(30)
            try:
                while True:
                    hdr = self.rfile.read(2)
                    if len(hdr) < 2:
                        return
                    n = struct.unpack("!H", hdr)[0]
                    msg = self.rfile.read(n)
                    if len(msg) < n:
                        return
                    out = respond(table, msg, "tcp")
                    if out:
                        self.wfile.write(struct.pack("!H", len(out)) + out)
                        self.wfile.flush()
            except OSError:
                return

    class UDPServer(socketserver.ThreadingUDPServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True

    class TCPServer(socketserver.ThreadingTCPServer):
        address_family = family
        allow_reuse_address = True
        daemon_threads = True

    udp = UDPServer((host, int(port)), UDPHandler)
    tcp = TCPServer((host, int(port)), TCPHandler)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    if a.ready:
        open(a.ready, "w").close()
    try:
        udp.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
