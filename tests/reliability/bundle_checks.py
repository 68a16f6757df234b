"""Reading what a killed recording left: `reel inspect` (per-connection
bytes), `reel events` (record count, last record), packets.pcap (gap-free
bytes per connection, last packet), `reel replay --json`, and the measure of
loss in acknowledged operations."""

import json
import re
import subprocess

import capture_harness as ch

CLI_TIMEOUT_S = 120

INSPECT_CONN = re.compile(r"^\s+fd\s+-?\d+\s+(\S+) -> (\S+)\s+in (\d+) B \(\d+ reads\)\s+"
                          r"out (\d+) B")


def run_inspect(reel, bundle):
    p = subprocess.run([reel, "inspect", bundle], capture_output=True, timeout=CLI_TIMEOUT_S)
    out = p.stdout.decode("utf-8", "replace")
    by_port = {}
    drops = status = None
    for line in out.splitlines():
        m = INSPECT_CONN.match(line)
        if m:
            port = int(m.group(1).rsplit(":", 1)[1])
            cur = by_port.setdefault(port, [0, 0])
            cur[0] += int(m.group(3))
            cur[1] += int(m.group(4))
        elif line.startswith("drops:"):
            drops = line.split(":", 1)[1].strip()
        elif line.startswith("recorded by:"):
            status = line.rsplit("status ", 1)[-1].strip()
    return {"rc": p.returncode, "by_port": by_port, "drops": drops, "status": status,
            "stderr": p.stderr.decode("utf-8", "replace").strip()}


def run_events_tail(reel, bundle):
    """Streams `reel events DIR`: record count, last seq and time."""
    p = subprocess.Popen([reel, "events", bundle], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    lines, tail = 0, b""
    while True:
        chunk = p.stdout.read(1 << 20)
        if not chunk:
            break
        lines += chunk.count(b"\n")
        tail = (tail + chunk)[-4096:]
    err = p.stderr.read().decode("utf-8", "replace").strip()
    rc = p.wait(timeout=CLI_TIMEOUT_S)
    last = tail.rstrip(b"\n").rsplit(b"\n", 1)[-1].split(b" ", 2)
    last_seq = int(last[0]) if lines else 0
    last_ts = int(last[1]) if lines else None
    return {"rc": rc, "records": lines, "last_seq": last_seq, "last_ts_ns": last_ts,
            "stderr": err}


def pcap_streams(path, server_port):
    """Last packet time (realtime ns) and, per client port, the gap-free
    byte counts from stream offset 0 each way. Raises ValueError on a torn
    or damaged file (docs/capture.md promises whole packets)."""
    packets, _count = ch.read_pcap(path)
    last_ns = max((round(p["ts"] * 1e9) for p in packets), default=None)
    flows = {}
    for p in packets:
        if p["dst"].endswith(f":{server_port}"):
            port, d = int(p["src"].rsplit(":", 1)[1]), 0
        elif p["src"].endswith(f":{server_port}"):
            port, d = int(p["dst"].rsplit(":", 1)[1]), 1
        else:
            continue
        f = flows.setdefault(port, [{"isn": None, "chunks": []}, {"isn": None, "chunks": []}])[d]
        if p["flags"] & 0x02:
            f["isn"] = (p["seq"] + 1) & 0xFFFFFFFF
        if p["payload"] and f["isn"] is not None:
            rel = (p["seq"] - f["isn"]) & 0xFFFFFFFF
            f["chunks"].append((rel, rel + len(p["payload"])))
    out = {}
    for port, dirs in flows.items():
        ends = []
        for f in dirs:
            end = 0
            for a, b in sorted(f["chunks"]):
                if a > end:
                    break
                end = max(end, b)
            ends.append(end)
        out[port] = ends
    return last_ns, out


def ack_loss(clients, held_by_port, kill_ns):
    """(loss window ns or 0, missing acks, acks) given per-client-port
    (bytes in, bytes out) that the log or pcap holds."""
    earliest_missing, missing, total = None, 0, 0
    for c in clients:
        held_in, held_out = held_by_port.get(c.local_port, (0, 0))
        for t, sent, received in c.acks:
            if t > kill_ns:
                continue
            total += 1
            if sent > held_in or received > held_out:
                missing += 1
                if earliest_missing is None or t < earliest_missing:
                    earliest_missing = t
    window = 0 if earliest_missing is None else kill_ns - earliest_missing
    return window, missing, total


def run_replay(reel, bundle):
    """(exit code, verdict dict or None, the verdict's text, stderr)."""
    p = subprocess.run([reel, "replay", bundle, "--json"], capture_output=True,
                       timeout=CLI_TIMEOUT_S)
    try:
        verdict = json.loads(p.stdout.decode())
    except ValueError:
        verdict = None
    # The text names where the replay stopped (the JSON has no such field).
    t = subprocess.run([reel, "replay", bundle], capture_output=True, timeout=CLI_TIMEOUT_S)
    text = (t.stdout + t.stderr).decode("utf-8", "replace").strip()
    return p.returncode, verdict, text, p.stderr.decode("utf-8", "replace").strip()
