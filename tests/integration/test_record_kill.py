#!/usr/bin/python3
"""SIGKILL a recording reel-server: the bundle stays readable and loses at
most the records of the last flush interval (docs/trace-format.md §5).

  1. Idle kill: after some traffic the server sits idle for 4 flush
     intervals, then gets SIGKILL. Everything it did must already be in the
     log (the recorder flushes at the deadline even while epoll_wait blocks):
     `reel events` exits 0, and every connection's reads are there in full.
  2. Busy kill: SIGKILL while clients pipeline continuously. The log may end
     in a torn record; `reel events` prints every whole record (exit 0 or 1,
     never 2), sequence numbers have no gaps, and the last record is no older
     than the flush interval (plus scheduling slack) before the kill.
In both, meta.json still says "recording" (the server never finished).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import harness

FLUSH_INTERVAL_S = 0.050  # TraceWriterOptions' default
CLI_TIMEOUT_S = 30


def reel_path(server_path):
    return os.environ.get("REEL_CLI") or os.path.join(os.path.dirname(server_path), "reel")


def events_of(reel, bundle):
    p = subprocess.run([reel, "events", bundle, "--json"], capture_output=True,
                       timeout=CLI_TIMEOUT_S)
    return p.returncode, [json.loads(l) for l in p.stdout.decode().splitlines()], p.stderr.decode()


def kill9(sp):
    os.kill(sp.pid, signal.SIGKILL)
    code = sp.stop()
    return code


def idle_kill(args, r, reel, work):
    bundle = os.path.join(work, "idle")
    sp = harness.start_reel(args.server, ["--record", bundle])
    sent = []
    for i in range(5):
        with harness.RespConnection(sp.port) as c:
            req = harness.encode_command(["SET", f"key{i}", "x" * (100 * i + 1)])
            r.eq(f"idle run: SET {i}", c.call(*["SET", f"key{i}", "x" * (100 * i + 1)]),
                 b"+OK\r\n")
            sent.append(len(req))
    time.sleep(4 * FLUSH_INTERVAL_S + 0.3)
    r.eq("idle run: killed by SIGKILL", kill9(sp), -signal.SIGKILL)
    code, events, err = events_of(reel, bundle)
    r.eq("idle run: reel events exit code (nothing torn)", code, 0)
    r.eq("idle run: no warning", err, "")
    reads = {}
    fd_conn = {}
    conns = []
    for e in events:
        if e["kind"] == "accept4" and e["ret"] >= 0:
            fd_conn[e["ret"]] = len(conns)
            conns.append(0)
        elif e["kind"] == "read" and e["ret"] > 0 and e["fd"] in fd_conn:
            conns[fd_conn[e["fd"]]] += e["ret"]
        elif e["kind"] == "close":
            fd_conn.pop(e["fd"], None)
    # The first connection is the harness's readiness probe (sends nothing).
    r.eq("idle run: every connection's reads are in the log", conns, [0] + sent)
    r.eq("idle run: every connection's close is in the log", fd_conn, {})
    with open(os.path.join(bundle, "meta.json")) as f:
        r.eq("idle run: meta.json status", json.load(f)["status"], "recording")


def busy_kill(args, r, reel, work):
    bundle = os.path.join(work, "busy")
    sp = harness.start_reel(args.server, ["--record", bundle])
    stop = threading.Event()
    errors = []

    def client(n):
        try:
            s = socket.create_connection((harness.HOST, sp.port), timeout=5)
            batch = b"".join(harness.encode_command(["INCR", f"c{n}"]) for _ in range(50))
            while not stop.is_set():
                s.sendall(batch)
                got = 0
                while got < 50 and not stop.is_set():
                    chunk = s.recv(65536)
                    if not chunk:
                        return
                    got += chunk.count(b"\r\n")
        except OSError:
            pass  # the server dies under us: expected
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.7)
    with open("/proc/%d/stat" % sp.pid) as f:
        r.ok("busy run: server alive before the kill", f.read() != "")
    # CLOCK_MONOTONIC here and in the server are the same clock.
    kill_ns = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
    r.eq("busy run: killed by SIGKILL", kill9(sp), -signal.SIGKILL)
    stop.set()
    for t in threads:
        t.join(timeout=5)
    r.eq("busy run: client errors", errors, [])
    code, events, err = events_of(reel, bundle)
    r.ok("busy run: reel events exit code is 0 or 1 (torn tail)", code in (0, 1), f"{code} {err}")
    if code == 1:
        r.ok("busy run: the warning names a torn record", "torn record" in err, err)
    r.ok("busy run: thousands of records survived", len(events) > 1000, len(events))
    r.eq("busy run: sequence numbers without gaps", [e["seq"] for e in events],
         list(range(1, len(events) + 1)))
    if events:
        lag_ms = (kill_ns - events[-1]["ts_ns"]) / 1e6
        # The promise is one flush interval; allow generous slack for a loaded
        # 2-core machine (the kill itself, scheduling).
        r.ok("busy run: the log reaches to within the flush interval of the kill",
             lag_ms < FLUSH_INTERVAL_S * 1000 + 150, f"last record {lag_ms:.1f} ms before kill")


def body(args, r):
    reel = reel_path(args.server)
    if not os.access(reel, os.X_OK):
        r.ok(f"reel CLI found at {reel}", False, "build the `reel` target")
        return
    work = tempfile.mkdtemp(prefix="reel-kill-it-")
    try:
        idle_kill(args, r, reel, work)
        busy_kill(args, r, reel, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if "--reel" in sys.argv:
        i = sys.argv.index("--reel")
        if i + 1 < len(sys.argv):
            os.environ["REEL_CLI"] = os.path.abspath(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    harness.run_main(body, __doc__.splitlines()[0])
