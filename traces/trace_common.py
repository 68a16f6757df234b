"""Shared by the traces/make_*.py scripts: records one sample bundle with
`reel capture` and installs it as traces/<name>/.

Each script: /usr/bin/python3 traces/make_<name>.py [--build DIR]
(DIR defaults to build/; it must hold reel-server, reel and
libreel-preload.so). The bundle is recorded into a temporary directory,
checked (reel capture exited 0, under 1 MB, `reel events` reads it), and
only then replaces the committed one.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import capture_harness as ch  # noqa: E402
import harness  # noqa: E402

MAX_BUNDLE_BYTES = 1024 * 1024


def build_dir():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    return os.path.abspath(p.parse_args().build)


def record(name, server, workload, check=None):
    """Records `workload(port)` against server ("reel-server" or
    "redis-server") and installs the bundle as traces/<name>/. check(records)
    may assert properties of the event log (returns an error string or None)."""
    build = build_dir()
    reel_server = os.path.join(build, "reel-server")
    reel, _ = ch.tool_paths(reel_server)
    tmp = tempfile.mkdtemp(prefix=f"reel-trace-{name}-")
    try:
        bundle = os.path.join(tmp, name)
        port = harness.free_port()
        if server == "reel-server":
            cmd = ch.reel_server_cmd(reel_server, port)
        else:
            cmd = ch.redis_server_cmd(port, tmp)
        cap = ch.Capture(reel, bundle, port, cmd)
        try:
            cap.wait_ready()
            workload(port)
        finally:
            rc = cap.stop(signal.SIGINT)
        out, err = cap.output()
        summary = [ln for ln in out.splitlines() if ln.startswith("reel capture:")]
        if rc != 0:
            sys.exit(f"{name}: reel capture exited {rc}: {err.strip()}")
        size = sum(os.path.getsize(os.path.join(bundle, f)) for f in os.listdir(bundle))
        if size >= MAX_BUNDLE_BYTES:
            sys.exit(f"{name}: bundle is {size} bytes, over the 1 MB limit")
        records, rc, err = ch.load_events(reel, bundle)
        if rc != 0:
            sys.exit(f"{name}: reel events failed: {err.strip()}")
        if check is not None:
            problem = check(records)
            if problem:
                sys.exit(f"{name}: {problem}")
        dest = os.path.join(ROOT, "traces", name)
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(bundle, dest)
        # Committed files: readable like the rest of the repository.
        os.chmod(dest, 0o755)
        for f in os.listdir(dest):
            os.chmod(os.path.join(dest, f), 0o644)
        print(f"traces/{name}: {size} bytes; {summary[0] if summary else ''}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def send_all_at_once(conns, payloads, barrier):
    """Each thread waits at barrier, then sends its payload in one write."""
    def go(c, data):
        barrier.wait()
        c.send(data)
    import threading
    ts = [threading.Thread(target=go, args=(c, d)) for c, d in zip(conns, payloads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
