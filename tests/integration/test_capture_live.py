#!/usr/bin/python3
"""`reel capture` end to end, on reel-server (through --record) and on
Debian's redis-server 7.0 (through libreel-preload.so).

For each server: a scripted multi-client workload (plain and pipelined
clients, a large value whose reply needs partial writes, clients that hang
up mid-request) is captured, then the bundle is checked: tshark reads the
pcap; `reel events --json` parses (and jq accepts it); every accepted fd
maps to a pcap flow by its 4-tuple; the bytes read and written per fd equal
that flow's client->server and server->client streams; the stream offsets
are running byte counts; every fd in an epoll_wait result was registered
with epoll_ctl; event and packet times interleave consistently.

Then the crash cases: SIGKILL the server mid-run, and separately SIGKILL
`reel capture` mid-run; either way the bundle stays readable. Last, the
setup errors exit 2 with one line.

reel and libreel-preload.so are found beside --server (the build dir), or
given with --reel.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback

import capture_harness as ch
import harness


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True, help="path to the reel-server binary")
    p.add_argument("--reel", help="path to the reel binary (default: beside --server)")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    args.server = os.path.abspath(args.server)
    reel, preload = ch.tool_paths(args.server)
    args.reel = os.path.abspath(args.reel) if args.reel else reel
    args.preload = preload
    for what, path in (("--server", args.server), ("reel", args.reel)):
        if not path or not os.access(path, os.X_OK):
            print(f"FATAL: {what} {path} is not an executable file", flush=True)
            sys.exit(2)
    return args


def server_command(kind, args, port, workdir):
    if kind == "reel-server":
        return ch.reel_server_cmd(args.server, port)
    return ch.redis_server_cmd(port, workdir)


def start_capture(args, kind, extra=()):
    workdir = tempfile.mkdtemp(prefix="reel-capture-it-")
    bundle = os.path.join(workdir, "bundle")
    for _ in range(5):  # the free-port probe can race with another process
        port = harness.free_port()
        cap = ch.Capture(args.reel, bundle, port, server_command(kind, args, port, workdir),
                         extra_args=extra)
        try:
            cap.wait_ready()
            return cap, workdir
        except RuntimeError:
            cap.stop(signal.SIGKILL)
            out, err = cap.output()
            if "already in use" not in err:
                raise RuntimeError(f"reel capture did not start {kind}: {err.strip()}")
            shutil.rmtree(bundle, ignore_errors=True)
    raise RuntimeError("no free port")


def capture_workload(res, args, kind):
    # One server with each packet delivery mode: immediate (the default) and
    # buffered; both must give a drop-free, consistent bundle.
    cap, workdir = start_capture(args, kind,
                                 extra=("--pcap-buffered",) if kind == "reel-server" else ())
    try:
        errors = ch.standard_workload(cap.port)
        res.eq(f"{kind}: every workload reply was right", errors, [])
        rc = cap.stop(signal.SIGINT)
        out, err = cap.output()
        res.eq(f"{kind}: reel capture exit code (stderr: {err.strip()[-300:]})", rc, 0)
        # The server's own output shares stdout; the summary is ours.
        lines = [ln for ln in out.splitlines() if ln.startswith("reel capture:")]
        res.eq(f"{kind}: one summary line", len(lines), 1)
        if lines:
            for word in ("connections", "packets", "events", "B in", "B out", "drops: none",
                         "bundle"):
                res.ok(f"{kind}: summary mentions '{word}'", word in lines[0], lines[0])
        mode = stat.S_IMODE(os.stat(cap.out).st_mode)
        res.eq(f"{kind}: bundle directory mode", oct(mode), oct(0o700))
        modes = {f: oct(stat.S_IMODE(os.stat(os.path.join(cap.out, f)).st_mode))
                 for f in os.listdir(cap.out)}
        res.eq(f"{kind}: bundle file modes", modes, {f: oct(0o600) for f in modes})
        res.ok(f"{kind}: bundle has events.reel, meta.json, packets.pcap",
               {"events.reel", "meta.json", "packets.pcap"} <= set(modes), str(sorted(modes)))
        conns, meta = ch.check_bundle(res, kind, args.reel, cap.out, cap.port)
        res.eq(f"{kind}: meta.json status", meta.get("status"), "complete")
        res.eq(f"{kind}: meta.json capture.stop_reason", meta["capture"]["stop_reason"],
               "SIGINT received")
        want_recorder = "reel-server --record" if kind == "reel-server" else "libreel-preload.so"
        res.eq(f"{kind}: meta.json recorder", meta.get("recorder"), want_recorder)
    finally:
        cap.stop(signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def background_load(port, stop):
    """Plain clients in a loop until stop is set; errors are expected once
    the server dies."""
    def loop(n):
        i = 0
        while not stop.is_set():
            try:
                ch.plain_client(port, f"bg{n}-{i}", 5, [])
            except Exception:
                pass
            i += 1
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    return threads


def bundle_readable(res, label, args, bundle):
    pcap = os.path.join(bundle, "packets.pcap")
    t = subprocess.run(["tshark", "-r", pcap], capture_output=True, timeout=120)
    res.eq(f"{label}: tshark -r reads the pcap (stderr: {t.stderr.decode()[-200:]})",
           t.returncode, 0)
    try:
        _, count = ch.read_pcap(pcap)
        res.ok(f"{label}: pcap holds packets and ends on a whole packet", count > 0)
    except ValueError as e:
        res.ok(f"{label}: pcap ends on a whole packet", False, str(e))
    records, rc, err = ch.load_events(args.reel, bundle)
    res.ok(f"{label}: reel events --json reads the log", rc in (0, 1) and records,
           f"rc {rc}, {len(records)} records, {err.strip()}")
    with open(os.path.join(bundle, "meta.json")) as f:
        meta = json.load(f)
    res.ok(f"{label}: meta.json is valid JSON with a status", "status" in meta, str(meta)[:200])
    return meta, records


def kill_server_mid_run(res, args, kind):
    cap, workdir = start_capture(args, kind)
    stop = threading.Event()
    threads = []
    try:
        threads = background_load(cap.port, stop)
        time.sleep(0.6)
        pid = cap.server_pid()
        res.ok(f"{kind} SIGKILLed: found the server pid", pid is not None)
        os.kill(pid, signal.SIGKILL)
        rc = cap.wait(30)
        stop.set()
        out, err = cap.output()
        res.eq(f"{kind} SIGKILLed: reel capture reports losses-possible (stderr: "
               f"{err.strip()[-300:]})", rc, 1)
        res.ok(f"{kind} SIGKILLed: warning names the signal", "SIGKILL" in err, err)
        meta, records = bundle_readable(res, f"{kind} SIGKILLed", args, cap.out)
        res.eq(f"{kind} SIGKILLed: meta.json server_signal", meta["capture"].get("server_signal"),
               9)
        res.ok(f"{kind} SIGKILLed: the log holds the accepted connections",
               any(r["kind"] == "accept4" and r["ret"] >= 0 for r in records))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        cap.stop(signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def kill_capture_mid_run(res, args, kind):
    cap, workdir = start_capture(args, kind)
    stop = threading.Event()
    threads = []
    server = None
    try:
        threads = background_load(cap.port, stop)
        time.sleep(0.6)
        server = cap.server_pid()
        res.ok(f"reel capture SIGKILLed ({kind}): found the server pid", server is not None)
        cap.stop(signal.SIGKILL)
        time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(timeout=30)
        # The server outlives its capture (own process group); stop it.
        res.ok(f"reel capture SIGKILLed ({kind}): the server keeps running",
               os.path.exists(f"/proc/{server}"))
        os.kill(server, signal.SIGTERM)
        gone = ch.wait_until(lambda: not _alive(server), 15)
        res.ok(f"reel capture SIGKILLed ({kind}): the server exits on SIGTERM", gone)
        server = None if gone else server
        bundle_readable(res, f"reel capture SIGKILLed ({kind})", args, cap.out)
    finally:
        stop.set()
        if server is not None and _alive(server):
            os.kill(server, signal.SIGKILL)
        cap.stop(signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def setup_errors(res, args):
    workdir = tempfile.mkdtemp(prefix="reel-capture-it-")
    try:
        def run(argv):
            r = subprocess.run([args.reel, "capture", *argv], capture_output=True, timeout=30)
            return r.returncode, r.stderr.decode().strip()

        with socket.socket() as busy:
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            busy.bind(("0.0.0.0", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            rc, err = run(["--out", os.path.join(workdir, "a"), "--port", str(port), "--",
                           args.server, "--port", str(port)])
            res.eq("port in use: exit code 2", rc, 2)
            res.ok("port in use: one-line message", "already in use" in err and "\n" not in err,
                   err)
            res.ok("port in use: no bundle left behind",
                   not os.path.exists(os.path.join(workdir, "a")))
        rc, err = run(["--out", os.path.join(workdir, "b"), "--port", str(harness.free_port()),
                       "--", "no-such-server-xyz"])
        res.eq("command not found: exit code 2", rc, 2)
        res.ok("command not found: one-line message", "command not found" in err and
               "\n" not in err, err)
        os.makedirs(os.path.join(workdir, "c"))
        open(os.path.join(workdir, "c", "x"), "w").close()
        rc, err = run(["--out", os.path.join(workdir, "c"), "--port", str(harness.free_port()),
                       "--", args.server])
        res.eq("non-empty bundle directory: exit code 2", rc, 2)
        rc, err = run(["--out", os.path.join(workdir, "d"), "--port", "1", "--iface",
                       "no-such-if0", "--", args.server])
        res.eq("bad interface: exit code 2", rc, 2)
        res.ok("bad interface: names it", "no-such-if0" in err, err)
        rc, err = run(["--port", "1", "--", args.server])
        res.eq("missing --out: exit code 2", rc, 2)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    args = parse_args()
    res = harness.Results(verbose=args.verbose)
    try:
        if shutil.which("tshark") is None:
            raise RuntimeError("tshark not found: apt-get install tshark")
        for kind in ("reel-server", "redis-server"):
            for body in (capture_workload, kill_server_mid_run, kill_capture_mid_run):
                try:
                    body(res, args, kind)
                except Exception as e:
                    res.error(f"{body.__name__} ({kind})", e)
                    traceback.print_exc()
        setup_errors(res, args)
    except Exception as e:
        res.error("test body", e)
        traceback.print_exc()
    finally:
        res.finish()


if __name__ == "__main__":
    main()
