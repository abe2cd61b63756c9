#!/usr/bin/env python3
"""Helpers for `make bench` (tests/bench/run.sh). Python standard library only.

Subcommands (each prints one JSON object on stdout when it measures
something):
  serve MODE --bind ADDR --port P --ready FILE [--count FILE]
        MODE echo: echo bytes back (request/response latency)
        MODE close: accept and close at once (connections per second)
        MODE hold: accept and keep every connection open (memory per flow);
                   --count FILE gets the number of open connections
  rr    --host H --port P --count N      1-byte ping-pong over one connection
  cps   --host H --port P --seconds S    connect+close loop
  hold  --host H --port P --targets N1,N2,... --dir D --timeout S
        open connections up to each target in turn; after each one write
        D/ready.N (JSON) and wait for D/go.N (bounded by --timeout)
  dns   --server IP --name NAME --seconds S   UDP queries per second
  iperf FILE                          summary of an `iperf3 -J` result
  proc  PID                           cpu seconds, VmRSS, VmHWM of a process
  report --in results.jsonl --out results.json --meta meta.json
        print the table and write the JSON file
"""

import argparse
import json
import os
import random
import resource
import selectors
import socket
import statistics
import struct
import sys
import time


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def emit(obj):
    print(json.dumps(obj), flush=True)


# --- servers ---------------------------------------------------------------

def cmd_serve(a):
    raise_nofile()
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((a.bind, a.port))
    lsock.listen(4096)
    lsock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(lsock, selectors.EVENT_READ, None)
    with open(a.ready, "w", encoding="ascii") as f:
        f.write("ok\n")
    held = 0
    written = -1
    last_write = 0.0
    while True:
        for key, _ in sel.select(timeout=0.2):
            if key.data is None:
                # Drain the accept queue.
                for _ in range(256):
                    try:
                        conn, _ = lsock.accept()
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        # EMFILE and the like: leave it in the queue.
                        break
                    if a.mode == "close":
                        conn.close()
                        continue
                    conn.setblocking(False)
                    if a.mode == "echo":
                        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    sel.register(conn, selectors.EVENT_READ, "c")
                    held += 1
                continue
            conn = key.fileobj
            try:
                data = conn.recv(65536)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                sel.unregister(conn)
                conn.close()
                held -= 1
                continue
            if a.mode == "echo":
                try:
                    conn.sendall(data)
                except OSError:
                    pass
        now = time.monotonic()
        if a.count and held != written and now - last_write >= 0.1:
            tmp = a.count + ".tmp"
            with open(tmp, "w", encoding="ascii") as f:
                f.write(f"{held}\n")
            os.replace(tmp, a.count)
            written = held
            last_write = now


# --- clients ---------------------------------------------------------------

def cmd_rr(a):
    s = socket.create_connection((a.host, a.port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.settimeout(5)
    one = b"x"
    samples = []
    warmup = min(200, a.count // 10)
    clock = time.perf_counter_ns
    for i in range(a.count + warmup):
        t0 = clock()
        s.sendall(one)
        if not s.recv(1):
            raise SystemExit("rr: server closed the connection")
        t1 = clock()
        if i >= warmup:
            samples.append(t1 - t0)
    s.close()
    samples.sort()
    emit({
        "round_trips": len(samples),
        "median_us": statistics.median(samples) / 1000.0,
        "p99_us": samples[int(len(samples) * 0.99) - 1] / 1000.0,
        "mean_us": statistics.fmean(samples) / 1000.0,
    })


def cmd_cps(a):
    addr = (a.host, a.port)
    ok = 0
    errors = 0
    start = time.monotonic()
    deadline = start + a.seconds
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect(addr)
            ok += 1
        except OSError:
            errors += 1
            if errors > 1000:
                break
        finally:
            s.close()
    elapsed = time.monotonic() - start
    emit({"connections": ok, "errors": errors, "seconds": elapsed,
          "per_second": ok / elapsed if elapsed > 0 else 0.0})


def cmd_hold(a):
    raise_nofile()
    targets = [int(x) for x in a.targets.split(",") if x]
    addr = (a.host, a.port)
    socks = []
    failed = None
    for target in targets:
        t0 = time.monotonic()
        while len(socks) < target and failed is None:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(10)
            try:
                s.connect(addr)
            except OSError as e:
                s.close()
                failed = f"connection {len(socks) + 1}: {e}"
                break
            socks.append(s)
        info = {"target": target, "open": len(socks),
                "open_seconds": time.monotonic() - t0, "error": failed}
        ready = os.path.join(a.dir, f"ready.{target}")
        with open(ready + ".tmp", "w", encoding="ascii") as f:
            json.dump(info, f)
        os.replace(ready + ".tmp", ready)
        go = os.path.join(a.dir, f"go.{target}")
        deadline = time.monotonic() + a.timeout
        while not os.path.exists(go):
            if time.monotonic() > deadline:
                raise SystemExit(f"hold: nobody created {go} in {a.timeout} s")
            time.sleep(0.05)
        if failed is not None:
            break
    for s in socks:
        s.close()


def dns_query(qid, name):
    header = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q = b"".join(bytes([len(p)]) + p.encode() for p in name.strip(".").split("."))
    return header + q + b"\x00" + struct.pack("!HH", 1, 1)


def cmd_dns(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((a.server, 53))
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(s, selectors.EVENT_READ)
    pending = {}  # id -> send time
    answered = 0
    bad = 0
    lost = 0
    start = time.monotonic()
    deadline = start + a.seconds
    while True:
        now = time.monotonic()
        if now >= deadline:
            break
        for qid, t in list(pending.items()):
            if now - t > 1.0:
                del pending[qid]
                lost += 1
        while len(pending) < a.window:
            qid = random.randrange(65536)
            if qid in pending:
                continue
            try:
                s.send(dns_query(qid, a.name))
            except BlockingIOError:
                break
            pending[qid] = now
        if not sel.select(timeout=0.1):
            continue
        while True:
            try:
                data = s.recv(4096)
            except (BlockingIOError, InterruptedError):
                break
            if len(data) < 12:
                bad += 1
                continue
            qid, flags, _, ancount = struct.unpack("!HHHH", data[:8])
            if qid in pending:
                del pending[qid]
                if flags & 0x000F == 0 and ancount > 0:
                    answered += 1
                else:
                    bad += 1
    elapsed = time.monotonic() - start
    emit({"answered": answered, "bad": bad, "lost": lost, "seconds": elapsed,
          "window": a.window, "per_second": answered / elapsed})


# --- parsing ---------------------------------------------------------------

def cmd_iperf(a):
    with open(a.file, encoding="utf-8") as f:
        text = f.read()
    try:
        j = json.loads(text)
    except ValueError:
        emit({"error": "no JSON from iperf3: " + text[:200].strip()})
        return
    if j.get("error"):
        emit({"error": j["error"]})
        return
    end = j.get("end", {})
    udp = j.get("start", {}).get("test_start", {}).get("protocol") == "UDP"
    out = {}
    recv = end.get("sum_received")
    if recv is not None:
        out = {"bits_per_second": recv["bits_per_second"], "bytes": recv["bytes"],
               "seconds": recv.get("seconds")}
    if udp:
        # iperf3 3.12: end.sum has the receiver's loss figures; the sender's
        # rate times the delivered fraction is the received rate.
        s = end.get("sum", {})
        sent = end.get("sum_sent", s)
        if recv is None or recv.get("bytes", 0) == sent.get("bytes"):
            frac = 1.0 - s.get("lost_percent", 0.0) / 100.0
            out = {"bits_per_second": sent["bits_per_second"] * frac,
                   "bytes": int(sent["bytes"] * frac), "seconds": sent.get("seconds")}
        out["lost_percent"] = s.get("lost_percent")
        out["sent_bits_per_second"] = sent.get("bits_per_second")
    if not out:
        emit({"error": "no end.sum_received in iperf3 output"})
        return
    out["retransmits"] = end.get("sum_sent", {}).get("retransmits")
    emit(out)


def proc_stat(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    rss = hwm = 0
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return {"cpu_s": cpu, "rss_kib": rss, "hwm_kib": hwm}


def cmd_proc(a):
    emit(proc_stat(a.pid))


# --- the table -------------------------------------------------------------

BACKENDS = ["vgate", "pasta", "slirp4netns", "veth"]

# key, label, unit, better ("high" or "low"), format
ROWS = [
    ("tcp_up_1500", "TCP guest->host, MTU 1500, 1 stream", "Gbit/s", "high", "{:.2f}"),
    ("tcp_down_1500", "TCP host->guest, MTU 1500, 1 stream", "Gbit/s", "high", "{:.2f}"),
    ("tcp_up_65520", "TCP guest->host, MTU 65520, 1 stream", "Gbit/s", "high", "{:.2f}"),
    ("tcp_down_65520", "TCP host->guest, MTU 65520, 1 stream", "Gbit/s", "high", "{:.2f}"),
    ("tcp_up_65520_p4", "TCP guest->host, MTU 65520, 4 streams", "Gbit/s", "high", "{:.2f}"),
    ("udp_up_1500", "UDP guest->host, 1400 B, -b 0, received", "Gbit/s", "high", "{:.2f}"),
    ("cpu_tcp_up_1500", "CPU per GB: TCP guest->host, MTU 1500", "s/GB", "low", "{:.2f}"),
    ("cpu_tcp_down_1500", "CPU per GB: TCP host->guest, MTU 1500", "s/GB", "low", "{:.2f}"),
    ("cpu_tcp_up_65520", "CPU per GB: TCP guest->host, MTU 65520", "s/GB", "low", "{:.2f}"),
    ("cpu_tcp_down_65520", "CPU per GB: TCP host->guest, MTU 65520", "s/GB", "low", "{:.2f}"),
    ("cpu_tcp_up_65520_p4", "CPU per GB: TCP guest->host, 4 streams", "s/GB", "low", "{:.2f}"),
    ("cpu_udp_up_1500", "CPU per GB: UDP guest->host (received)", "s/GB", "low", "{:.2f}"),
    ("rr_median", "TCP request/response, 1 byte, median", "us", "low", "{:.1f}"),
    ("cps", "TCP connect+close from the guest", "conn/s", "high", "{:.0f}"),
    ("dns_qps", "DNS queries (local name), UDP", "q/s", "high", "{:.0f}"),
    ("peak_rss", "peak RSS after the MTU 65520 workloads", "MiB", "low", "{:.1f}"),
]


def mem_rows(keys):
    """memory-per-flow rows for whatever BENCH_FLOWS steps were measured."""
    steps = sorted(int(k.rsplit("_", 1)[1]) for k in keys if k.startswith("mem_flow_"))
    return [(f"mem_flow_{n}", f"memory per idle TCP flow, {n} flows", "KiB", "low", "{:.2f}")
            for n in steps]


def cmd_report(a):
    results = {}
    details = {}
    with open(a.inp, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            results.setdefault(r["row"], {})[r["backend"]] = r.get("value")
            details.setdefault(r["row"], {})[r["backend"]] = r.get("detail")
    meta = {}
    if a.meta and os.path.exists(a.meta):
        with open(a.meta, encoding="utf-8") as f:
            meta = json.load(f)

    def fmt(v, spec):
        return "-" if v is None else spec.format(v)

    def ratio(row, peer):
        v, p = results.get(row, {}).get("vgate"), results.get(row, {}).get(peer)
        if v is None or p is None or p == 0:
            return "-"
        r = v / p
        return f"{r:.2f}" if r >= 0.1 else f"{r:.2g}"

    notes = []

    def short(key, b):
        """a flow step that opened fewer flows than asked gets a footnote."""
        d = (details.get(key) or {}).get(b) or {}
        if key.startswith("mem_flow_") and d.get("open", 0) < d.get("target", 0):
            notes.append(f"{b}: {d['open']} of {d['target']} flows opened ({d.get('error')}); "
                         "the value is per opened flow")
            return "*"
        return ""

    rows = ROWS + mem_rows(results)
    head = ["workload", "unit", "better"] + BACKENDS + ["vgate/pasta", "vgate/slirp"]
    lines = []
    for key, label, unit, better, spec in rows:
        if key not in results:
            continue
        vals = [fmt(results[key].get(b), spec) + short(key, b) for b in BACKENDS]
        lines.append([label, unit, better] + vals + [ratio(key, "pasta"), ratio(key, "slirp4netns")])
    widths = [max(len(str(r[i])) for r in [head] + lines) for i in range(len(head))]

    def show(r):
        cells = [str(r[0]).ljust(widths[0]), str(r[1]).ljust(widths[1]), str(r[2]).ljust(widths[2])]
        cells += [str(c).rjust(w) for c, w in zip(r[3:], widths[3:])]
        return "  ".join(cells)

    print()
    print("vgate benchmark: " + ", ".join(f"{k}={v}" for k, v in meta.get("summary", {}).items()))
    print("Ratios are vgate/peer. 'better' says which way is better for the row:")
    print("for 'high' rows (throughput, conn/s, q/s) a ratio above 1 favours vgate;")
    print("for 'low' rows (latency, CPU per GB, memory) a ratio BELOW 1 favours vgate.")
    print("'-': not measured or not applicable (veth is the kernel: no process to measure).")
    print()
    print(show(head))
    print("  ".join("-" * w for w in widths))
    for r in lines:
        print(show(r))
    for n in notes:
        print("* " + n)
    print()
    out = {"meta": meta,
           "rows": [{"key": k, "label": lab, "unit": u, "better": b,
                     "values": results.get(k, {}),
                     "details": details.get(k, {})}
                    for k, lab, u, b, _ in rows if k in results]}
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(f"raw numbers: {a.out}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("serve")
    s.add_argument("mode", choices=["echo", "close", "hold"])
    s.add_argument("--bind", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--ready", required=True)
    s.add_argument("--count")
    s.set_defaults(fn=cmd_serve)

    s = sub.add_parser("rr")
    s.add_argument("--host", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--count", type=int, default=20000)
    s.set_defaults(fn=cmd_rr)

    s = sub.add_parser("cps")
    s.add_argument("--host", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--seconds", type=float, default=5)
    s.set_defaults(fn=cmd_cps)

    s = sub.add_parser("hold")
    s.add_argument("--host", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--targets", required=True)
    s.add_argument("--dir", required=True)
    s.add_argument("--timeout", type=float, default=120)
    s.set_defaults(fn=cmd_hold)

    s = sub.add_parser("dns")
    s.add_argument("--server", required=True)
    s.add_argument("--name", required=True)
    s.add_argument("--seconds", type=float, default=5)
    s.add_argument("--window", type=int, default=8)
    s.set_defaults(fn=cmd_dns)

    s = sub.add_parser("iperf")
    s.add_argument("file")
    s.set_defaults(fn=cmd_iperf)

    s = sub.add_parser("proc")
    s.add_argument("pid", type=int)
    s.set_defaults(fn=cmd_proc)

    s = sub.add_parser("report")
    s.add_argument("--in", dest="inp", required=True)
    s.add_argument("--out", required=True)
    s.add_argument("--meta")
    s.set_defaults(fn=cmd_report)

    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    sys.exit(main())
