#!/usr/bin/python3
"""`reel replay`'s progress bar, on a real terminal (a pty) and off it.

A bundle big enough for a replay to take well over the bar's 300 ms delay is
captured here: reel-server under `reel capture`, driven by a bounded
redis-benchmark run on loopback. Then:
  - on a pty (stdout and stderr both on it, as in a shell), `--schedule
    model` draws the bar (`\r[###...]  NN%  a/b records, pass i/3  m:ss left`)
    and erases it (`\r\033[K`) before the verdict, which starts on a clean
    line and is followed by no bar;
  - the recorded schedule on a pty ends with its verdict on a clean line too;
  - with stderr on a pipe there is no `\r` byte and nothing at all on stderr;
    with --json or --quiet on a pty there is no bar;
  - the progress bar changes nothing else: the model timeline written from a
    pty run and from a piped run are byte-identical.
"""

import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
import tempfile
import termios
import time

import capture_harness
import harness

# redis-benchmark requests (x REEL_TEST_SCALE), pipelined so the capture is
# quick and the kernel keeps up with the packets; ~1.2M events.
BENCH_REQUESTS = 200000
BENCH_TIMEOUT_S = 120
REPLAY_TIMEOUT_S = 180
BAR_DELAY_S = 0.3  # the meter's delay (replay/progress_meter.h)

ERASE = b"\r\x1b[K"


def capture_bundle(r, reel, server, out):
    port = harness.free_port()
    cap = capture_harness.Capture(reel, out, port,
                                  capture_harness.reel_server_cmd(server, port),
                                  # Buffered delivery: immediate mode dropped
                                  # packets under CI's ASan load (567 in one run).
                                  extra_args=["--pcap-buffered", "--pcap-buffer-kb", "131072"])
    try:
        cap.wait_ready()
        n = max(20000, int(BENCH_REQUESTS * harness.test_scale()))
        bench = subprocess.run(
            ["redis-benchmark", "-h", harness.HOST, "-p", str(port), "-q", "-n", str(n),
             "-c", "2", "-P", "20", "-t", "set,get"],
            capture_output=True, timeout=BENCH_TIMEOUT_S, stdin=subprocess.DEVNULL)
        r.ok("redis-benchmark ran against the captured reel-server", bench.returncode == 0,
             bench.stderr.decode("utf-8", "replace")[-400:])
    finally:
        rc = cap.stop()
    out_text, err_text = cap.output()
    r.ok("reel capture wrote the bundle", rc == 0 and os.path.exists(
        os.path.join(out, "events.reel")), f"exit {rc}: {err_text[-400:]}")
    summary = [ln for ln in (out_text + err_text).splitlines() if " events, " in ln]
    if summary:
        print("  " + summary[0], flush=True)


def run_on_pty(argv, timeout_s=REPLAY_TIMEOUT_S):
    """Runs argv with stdin, stdout and stderr on a fresh pty; returns
    (exit code, every byte the terminal received, seconds)."""
    master, slave = pty.openpty()
    # Wide enough that the bar never wraps.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 200, 0, 0))
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = t0 + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every slave descriptor is closed, the child is gone
                break
            if not data:
                break
            chunks.append(data)
    finally:
        if p.poll() is None and time.monotonic() >= deadline:
            p.kill()
        rc = p.wait()
        os.close(master)
    return rc, b"".join(chunks), time.monotonic() - t0


def run_piped(argv):
    t0 = time.monotonic()
    p = subprocess.run(argv, capture_output=True, timeout=REPLAY_TIMEOUT_S,
                       stdin=subprocess.DEVNULL)
    return p, time.monotonic() - t0


def after_last_erase(out):
    i = out.rfind(ERASE)
    return out if i < 0 else out[i + len(ERASE):]


def main(args, r):
    reel, _ = capture_harness.tool_paths(args.server)
    r.ok("reel is built beside reel-server", reel is not None)
    if reel is None:
        return
    work = tempfile.mkdtemp(prefix="reel-progress-test-")
    try:
        bundle = os.path.join(work, "bench")
        capture_bundle(r, reel, args.server, bundle)
        if not os.path.exists(os.path.join(bundle, "events.reel")):
            return

        # Off a terminal first: how long the replay takes, and no bar at all.
        tl_pipe = os.path.join(work, "model.pipe.jsonl")
        model = [reel, "replay", bundle, "--schedule", "model"]
        p, piped_s = run_piped(model + ["--timeline", tl_pipe])
        print(f"  --schedule model, stderr on a pipe: {piped_s:.2f} s, exit {p.returncode}",
              flush=True)
        r.ok("model schedule runs (exit 0 or 1)", p.returncode in (0, 1),
             p.stderr.decode("utf-8", "replace"))
        r.ok("stderr on a pipe: no \\r byte", b"\r" not in p.stderr, repr(p.stderr[:200]))
        r.eq("stderr on a pipe: nothing on stderr", p.stderr, b"")
        r.ok(f"the bundle is big enough: the replay takes > {2 * BAR_DELAY_S} s",
             piped_s > 2 * BAR_DELAY_S,
             f"{piped_s:.2f} s; raise BENCH_REQUESTS so the bar has time to appear")
        piped_verdict = p.stdout

        # On a terminal: the bar, then a clean verdict.
        tl_pty = os.path.join(work, "model.pty.jsonl")
        rc, out, pty_s = run_on_pty(model + ["--timeline", tl_pty])
        print(f"  --schedule model on a pty: {pty_s:.2f} s, exit {rc}, {len(out)} bytes, "
              f"{out.count(b'[#') + out.count(b'[.')} bar draws", flush=True)
        r.eq("pty: same exit code as on a pipe", rc, p.returncode)
        r.ok("pty: the bar is drawn", b"\r[" in out and b" records, pass " in out
             and b" left" in out, repr(out[:300]))
        r.ok("pty: every draw ends by erasing the rest of the line",
             out.count(b"\r[") == out.count(b" left\x1b[K"), repr(out[:300]))
        r.ok("pty: the bar is erased", ERASE in out, repr(out[-300:]))
        tail = after_last_erase(out)
        r.ok("pty: after the erase comes the verdict, from the first column",
             tail.startswith(b"model schedule fidelity"), repr(tail[:200]))
        r.ok("pty: no bar after the verdict", b"\r[" not in tail, repr(tail[-300:]))
        # The terminal turns \n into \r\n; otherwise the verdict is the piped one.
        r.eq("pty: the verdict is the one printed on a pipe", tail.replace(b"\r\n", b"\n"),
             piped_verdict)
        r.ok("the timeline written with the bar on screen is byte-identical to the piped one",
             open(tl_pty, "rb").read() == open(tl_pipe, "rb").read()
             and os.path.getsize(tl_pipe) > 0)

        # The recorded schedule: whatever its length, a clean verdict line.
        rec = [reel, "replay", bundle]
        p, rec_s = run_piped(rec)
        r.ok("recorded schedule, stderr on a pipe: no \\r byte and nothing on stderr",
             p.stderr == b"", repr(p.stderr[:200]))
        rc, out, pty_s = run_on_pty(rec)
        print(f"  recorded schedule: {rec_s:.2f} s piped, {pty_s:.2f} s on a pty, "
              f"bar {'drawn' if b'[#' in out or b'[.' in out else 'not drawn'}", flush=True)
        # Its delay counts from the command's start, loading included; only a
        # very fast machine loads and replays this bundle within it. A replay
        # that diverged stopped ticking early (the rest was loading and
        # teardown), so the bar is owed only by a full replay.
        if min(rec_s, pty_s) > 2 * BAR_DELAY_S and p.stdout.startswith(b"REPRODUCED"):
            r.ok("recorded schedule on a pty: the bar is drawn",
                 b"\r[" in out and b" records  " in out, repr(out[:300]))
        tail = after_last_erase(out)
        r.ok("recorded schedule on a pty: the verdict on a clean line",
             tail.startswith(b"REPRODUCED") or tail.startswith(b"DIVERGED"), repr(tail[:200]))
        r.eq("recorded schedule on a pty: the verdict is the piped one",
             tail.replace(b"\r\n", b"\n"), p.stdout)

        # --json and --quiet keep the terminal free of the bar.
        rc, out, _ = run_on_pty(model + ["--json"])
        r.ok("--json on a pty: no bar, one JSON line", b"\r[" not in out and ERASE not in out
             and out.strip().startswith(b"{") and out.count(b"\n") == 1, repr(out[:200]))
        rc, out, _ = run_on_pty(model + ["--quiet"])
        r.eq("--quiet on a pty: nothing on the terminal", out, b"")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    harness.run_main(main, "reel replay's progress bar on a pty and on a pipe")
