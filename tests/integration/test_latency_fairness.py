#!/usr/bin/env python3
"""`reel latency` and `reel fairness` on the committed traces.

- Wire latency, checked against an independent calculation: this script
  reads each packets.pcap itself (integer-nanosecond timestamps), puts every
  flow's bytes in sequence order, frames RESP requests and replies with its
  own parser, pairs them in order and takes last-request-byte -> last-reply-
  byte; every request `reel latency --json` lists must match to the
  nanosecond, and none may be missing.
- The stall in debug_sleep_stall is named (DEBUG SLEEP on conn 1, conn 2
  delayed); hol_blocking's GET is head-of-line blocked by the pipeline.
- Exit codes: 0 nothing found, 1 a stall / a fairness finding, 2 bad input
  with one line on stderr. A bundle from Debian's redis-server (no reel
  timeline) still gives wire latency and says what is missing.
"""

import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capture_harness as ch  # noqa: E402
import harness  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TRACES = os.path.join(ROOT, "traces")


def run(cmd, timeout=120):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def read_packets_ns(path):
    """(ts_ns, packet dict) for every TCP packet; timestamps kept as integers."""
    with open(path, "rb") as f:
        data = f.read()
    magic_le = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic_le in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    magic = struct.unpack(endian + "I", data[:4])[0]
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + caplen]
        off += 16 + caplen
        p = ch._decode_tcp(frame, linktype)
        if p is not None:
            out.append((sec * 1_000_000_000 + frac * (1 if nano else 1000), p))
    return out


class Direction:
    """One direction's bytes by stream offset, with each byte's packet time."""

    def __init__(self):
        self.isn = None
        self.segments = []  # (offset, payload, ts_ns) in capture order

    def add(self, ts, p):
        if p["flags"] & 0x02:
            self.isn = (p["seq"] + 1) & 0xFFFFFFFF
        if p["payload"] and self.isn is not None:
            self.segments.append(((p["seq"] - self.isn) & 0xFFFFFFFF, p["payload"], ts))

    def bytes_and_times(self):
        """The stream, the capture time of the packet that first carried each
        end offset, and when each byte was readable in order (running max)."""
        data = bytearray()
        sent_at = []  # per byte: the first packet that carried it
        for off, payload, ts in self.segments:
            for i, b in enumerate(payload):
                pos = off + i
                if pos < len(data):
                    continue  # a retransmission: the first copy wins
                if pos > len(data):
                    raise ValueError("gap")
                data.append(b)
                sent_at.append(ts)
        readable, latest = [], 0
        for ts in sent_at:
            latest = max(latest, ts)
            readable.append(latest)
        return bytes(data), sent_at, readable


def frame_request(data, p):
    """End of the request at p and its lowercased command, or None."""
    if data[p:p + 1] != b"*":
        nl = data.find(b"\n", p)
        if nl < 0:
            return None
        words = data[p:nl].split()
        return nl + 1, (words[0].decode().lower() if words else "")
    eol = data.find(b"\r\n", p)
    if eol < 0:
        return None
    n, q, name = int(data[p + 1:eol]), eol + 2, ""
    for i in range(n):
        eol = data.find(b"\r\n", q)
        if eol < 0:
            return None
        ln = int(data[q + 1:eol])
        if eol + 2 + ln + 2 > len(data):
            return None
        if i == 0:
            name = data[eol + 2:eol + 2 + ln].decode().lower()
        q = eol + 2 + ln + 2
    return q, name


def frame_reply(data, p):
    """End of the RESP2 reply at p, or None when incomplete."""
    eol = data.find(b"\r\n", p)
    if eol < 0:
        return None
    kind, head = data[p:p + 1], data[p + 1:eol]
    if kind in (b"+", b"-", b":"):
        return eol + 2
    if kind == b"$":
        n = int(head)
        return eol + 2 if n < 0 else (eol + 2 + n + 2 if eol + 2 + n + 2 <= len(data) else None)
    if kind == b"*":
        q = eol + 2
        for _ in range(max(int(head), 0)):
            q = frame_reply(data, q)
            if q is None:
                return None
        return q
    raise ValueError(f"unexpected reply byte {kind!r}")


def independent_wire_latencies(bundle, port):
    """[(peer, command, latency_ns)] straight from the pcap."""
    flows = {}
    for ts, p in read_packets_ns(os.path.join(bundle, "packets.pcap")):
        if p["dst"].endswith(f":{port}"):
            key, d = p["src"], "c2s"
        elif p["src"].endswith(f":{port}"):
            key, d = p["dst"], "s2c"
        else:
            continue
        flows.setdefault(key, {"c2s": Direction(), "s2c": Direction()})[d].add(ts, p)
    out = []
    for peer, f in flows.items():
        req, _, req_readable = f["c2s"].bytes_and_times()
        rep, rep_sent, _ = f["s2c"].bytes_and_times()
        p = q = 0
        while True:
            r = frame_request(req, p)
            if r is None:
                break
            p, name = r
            if not name:
                continue  # an empty request: no reply
            end = frame_reply(rep, q)
            if end is None:
                break
            q = end
            out.append((peer, name, rep_sent[end - 1] - req_readable[p - 1]))
    return sorted(out)


def main(args, r):
    reel = os.path.join(os.path.dirname(os.path.abspath(args.server)), "reel")
    if not r.ok("reel is beside reel-server", os.access(reel, os.X_OK), reel):
        return

    for name in sorted(os.listdir(TRACES)):
        bundle = os.path.join(TRACES, name)
        if not os.path.isfile(os.path.join(bundle, "packets.pcap")):
            continue
        with open(os.path.join(bundle, "meta.json")) as f:
            port = json.load(f)["capture"]["port"]
        p = run([reel, "latency", bundle, "--json", "--top", "1000000"])
        if not r.ok(f"{name}: reel latency exits 0 or 1", p.returncode in (0, 1), p.stderr):
            continue
        rep = json.loads(p.stdout)
        got = sorted((s["peer"], s["command"], s["latency_ns"]) for s in rep["wire"]["slowest"])
        want = independent_wire_latencies(bundle, port)
        r.ok(f"{name}: wire requests measured", len(want) > 0)
        r.eq(f"{name}: every wire latency equals the pcap's own", got, want)
        r.eq(f"{name}: wire count", rep["wire"]["all"]["count"], len(want))
        r.eq(f"{name}: exit 1 exactly when a stall is listed", p.returncode, 1 if rep["stalls"] else 0)

    # The stall and its cause.
    p = run([reel, "latency", os.path.join(TRACES, "debug_sleep_stall"), "--json"])
    rep = json.loads(p.stdout)
    r.eq("debug_sleep_stall: exit 1 (a stall)", p.returncode, 1)
    r.eq("debug_sleep_stall: one stall", len(rep["stalls"]), 1)
    if rep["stalls"]:
        s = rep["stalls"][0]
        r.eq("debug_sleep_stall: cause", (s["cause"]["conn"], s["cause"]["command"], s["cause"]["key"]),
             (1, "debug", "SLEEP"))
        r.eq("debug_sleep_stall: delayed", [d["conn"] for d in s["delayed"]], [2])
    p = run([reel, "latency", os.path.join(TRACES, "debug_sleep_stall")])
    r.ok("text output names DEBUG SLEEP as the cause",
         "cause: conn 1 127.0.0.1:33622 debug SLEEP" in p.stdout, p.stdout)
    p = run([reel, "latency", os.path.join(TRACES, "debug_sleep_stall"), "--stall-ms", "400"])
    r.eq("--stall-ms 400: no stall, exit 0", p.returncode, 0)

    # Fairness.
    p = run([reel, "fairness", os.path.join(TRACES, "hol_blocking"), "--json"])
    r.eq("hol_blocking: fairness exits 1 (a finding)", p.returncode, 1)
    rep = json.loads(p.stdout)
    f = rep["findings"][0] if rep["findings"] else {}
    r.eq("hol_blocking: GET client blocked by the pipeline",
         (f.get("kind"), f.get("conn"), (f.get("culprit") or {}).get("conn")), ("head_of_line", 2, 1))
    p = run([reel, "fairness", os.path.join(TRACES, "pipeline_burst")])
    r.eq("pipeline_burst: fairness exits 0", p.returncode, 0)
    r.ok("pipeline_burst: text shows a batch's service order", "service order" in p.stdout, p.stdout)

    # A foreign bundle: wire side only, and it says so.
    for tool in ("latency", "fairness"):
        p = run([reel, tool, os.path.join(TRACES, "redis_shim_session"), "--json"])
        r.eq(f"redis_shim_session: {tool} exits 0", p.returncode, 0)
        rep = json.loads(p.stdout)
        r.ok(f"redis_shim_session: {tool} says what is missing",
             any("not reel-server" in m for m in rep["missing"]), rep["missing"])

    # A timeline file works too (no pcap: said so).
    p = run([reel, "latency", os.path.join(TRACES, "debug_sleep_stall", "timeline.golden.jsonl"), "--json"])
    rep = json.loads(p.stdout)
    r.eq("timeline file: exit 1 and the same cause", (p.returncode, rep["stalls"][0]["cause"]["command"]),
         (1, "debug"))
    r.eq("timeline file: no wire side", rep["wire"]["available"], False)

    # Bad input: exit 2, one line on stderr.
    with tempfile.TemporaryDirectory() as tmp:
        junk = os.path.join(tmp, "junk.jsonl")
        with open(junk, "w") as f:
            f.write("not a timeline\n")
        for tool in ("latency", "fairness"):
            for bad in ([os.path.join(tmp, "missing")], [junk], [tmp]):
                p = run([reel, tool] + bad)
                r.eq(f"{tool} {os.path.basename(bad[0])}: exit 2", p.returncode, 2)
                r.eq(f"{tool} {os.path.basename(bad[0])}: one stderr line", len(p.stderr.splitlines()), 1)
    p = run([reel, "latency", os.path.join(TRACES, "set_get_session"), "--stall-ms", "0"])
    r.eq("--stall-ms 0: exit 2", p.returncode, 2)


if __name__ == "__main__":
    harness.run_main(main, __doc__)
