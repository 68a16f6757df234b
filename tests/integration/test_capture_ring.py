#!/usr/bin/python3
"""`reel capture --ring` (the flight recorder) on reel-server and on Debian's
redis-server through the shim.

A long-lived client connects first; enough traffic follows to make the 1 MiB
ring evict its oldest records and packets; then SIGUSR1 must write a dump
whose window starts at a clean cut and lists the long-lived connection as
mid-stream with its exact stream offsets. A DEBUG SLEEP longer than
--trigger-stall must write a stall dump, and a SIGABRT of the server a
signal dump (SIGABRT rather than SIGSEGV: an ASan build of reel-server turns
SIGSEGV into a report and exit code 1). Every dump: tshark reads its pcap, `reel events --json` its
log, connections accepted inside the window match their pcap flows byte for
byte, and every ready fd is registered (counting the registrations the dump
lists as in effect at the cut).
"""

import argparse
import json
import os
import shutil
import signal
import stat
import subprocess
import tempfile
import time
import traceback

import capture_harness as ch
import harness
from harness import RespConnection, encode_command


def check_dump(res, label, reel, dump, port, reason):
    files = sorted(os.listdir(dump))
    res.eq(f"{label}: dump files", files, ["events.reel", "meta.json", "packets.pcap"])
    res.eq(f"{label}: dump directory mode", oct(stat.S_IMODE(os.stat(dump).st_mode)), oct(0o700))
    with open(os.path.join(dump, "meta.json")) as f:
        meta = json.load(f)
    fr = meta.get("flight_recorder", {})
    res.eq(f"{label}: meta reason", fr.get("reason", "")[:len(reason)], reason)
    t = subprocess.run(["tshark", "-r", os.path.join(dump, "packets.pcap")], capture_output=True)
    res.eq(f"{label}: tshark reads the pcap", t.returncode, 0)
    records, rc, err = ch.load_events(reel, dump)
    res.eq(f"{label}: reel events --json reads the window ({err.strip()})", rc, 0)
    res.eq(f"{label}: window record count", len(records), fr.get("records"))
    res.eq(f"{label}: every ready fd registered (cut registrations included)",
           ch.unregistered_ready_events(records, fr.get("epoll_registrations", []))[:5], [])
    packets, _ = ch.read_pcap(os.path.join(dump, "packets.pcap"))
    flows = ch.tcp_flows(packets, port)
    conns, offset_errors = ch.connections(records)
    res.eq(f"{label}: offsets of connections accepted in the window", offset_errors[:5], [])
    bad = []
    for c in conns:
        f = flows.get((c["peer"], c["local"]))
        if f is None:
            bad.append(f"{c['peer']}: no flow")
            continue
        if (c["in"], c["out"]) != (len(f["c2s"].data()), len(f["s2c"].data())):
            bad.append(f"{c['peer']}: log {c['in']}/{c['out']} pcap "
                       f"{len(f['c2s'].data())}/{len(f['s2c'].data())}")
    res.eq(f"{label}: window connections match their flows", bad[:5], [])
    return meta, records


def run(res, args, kind):
    workdir = tempfile.mkdtemp(prefix="reel-ring-it-")
    try:
        out = os.path.join(workdir, "ring")
        port = harness.free_port()
        cmd = (ch.reel_server_cmd(args.server, port) if kind == "reel-server"
               else ch.redis_server_cmd(port, workdir))
        cap = ch.Capture(args.reel, out, port, cmd,
                         extra_args=("--ring", "1M", "--trigger-stall", "150", "--pcap-buffered"))
        cap.wait_ready()
        long_lived = RespConnection(port)
        res.eq(f"{kind}: long-lived SET", long_lived.call("SET", "long", "x" * 10), b"+OK\r\n")
        sent_before = len(encode_command(["SET", "long", "x" * 10]))
        # Enough traffic to evict: 40 x 500 pipelined SETs of 100 bytes.
        with RespConnection(port) as c:
            for i in range(40):
                c.send(b"".join(encode_command(["SET", f"k{j}", "v" * 100]) for j in range(500)))
                for _ in range(500):
                    c.read_reply()
        res.eq(f"{kind}: long-lived GET", long_lived.call("GET", "long"), b"$10\r\n" + b"x" * 10 +
               b"\r\n")
        # The recorder hands its records to the ring asynchronously (its 50 ms
        # flush interval, then the pipe): give a slow (sanitizer) build time
        # to deliver the GET and the pipelining client's close before dumping.
        time.sleep(1.0)
        cap.proc.send_signal(signal.SIGUSR1)
        res.ok(f"{kind}: SIGUSR1 dump written",
               ch.wait_until(lambda: os.path.isdir(os.path.join(out, "dump-1-sigusr1")) and
                             os.path.exists(os.path.join(out, "dump-1-sigusr1", "meta.json")),
                             10))
        with RespConnection(port) as c:
            res.eq(f"{kind}: DEBUG SLEEP", c.call("DEBUG", "SLEEP", "0.4"), b"+OK\r\n")
        res.ok(f"{kind}: stall dump written",
               ch.wait_until(lambda: any(d.startswith("dump-2-stall-") for d in os.listdir(out)),
                             10), str(os.listdir(out)))
        time.sleep(0.3)
        os.kill(cap.server_pid(), signal.SIGABRT)
        rc = cap.wait(30)
        long_lived.close()
        stdout, err = cap.output()
        res.eq(f"{kind}: reel capture exit code (stderr {err.strip()[-300:]})", rc, 0)
        res.ok(f"{kind}: summary line", any(ln.startswith("reel capture:") and "3 dumps" in ln
                                            for ln in stdout.splitlines()), stdout[-300:])
        dumps = sorted(d for d in os.listdir(out) if d.startswith("dump-"))
        res.eq(f"{kind}: dumps", [d.split("-")[2] for d in dumps], ["sigusr1", "stall", "signal"])
        res.ok(f"{kind}: no spool left", ".spool" not in os.listdir(out), str(os.listdir(out)))

        meta, _ = check_dump(res, f"{kind} sigusr1", args.reel, os.path.join(out, dumps[0]), port,
                             "sigusr1")
        fr = meta["flight_recorder"]
        res.ok(f"{kind}: the ring evicted old records or packets",
               fr["events_evicted_before"] + fr["packets_evicted_before"] > 0, str(fr)[:300])
        mids = fr["mid_stream"]
        longs = [m for m in mids if m["read_offset"] == sent_before]
        res.ok(f"{kind}: the long-lived connection is mid-stream at read offset {sent_before}",
               len(longs) == 1, json.dumps(mids)[:400])
        if longs:
            res.eq(f"{kind}: its write offset (the +OK)", longs[0]["write_offset"], 5)
        check_dump(res, f"{kind} stall", args.reel, os.path.join(out, dumps[1]), port, "stall-")
        check_dump(res, f"{kind} signal", args.reel, os.path.join(out, dumps[2]), port,
                   "signal-SIGABRT")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--reel")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    args.reel = args.reel or ch.tool_paths(args.server)[0]
    res = harness.Results(verbose=args.verbose)
    try:
        for kind in ("reel-server", "redis-server"):
            try:
                run(res, args, kind)
            except Exception as e:
                res.error(f"ring ({kind})", e)
                traceback.print_exc()
    finally:
        res.finish()


if __name__ == "__main__":
    main()
