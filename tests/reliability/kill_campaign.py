#!/usr/bin/python3
"""Kill campaign: SIGKILL a recording at seeded random points under load, then
check that what is left is a usable bundle.

Each run starts `reel capture --pcap-buffered -- reel-server ...` (reel-server
records itself through the --record DIR that reel capture appends), drives it
with a few clients sending SET/GET/INCR pipelines (bounded in batches and
time), and at a seeded random moment of the load sends SIGKILL to

  server   -- reel-server, the process writing the event log. reel capture
              sees it die, keeps capturing for 100 ms and finishes the bundle.
  capture  -- `reel capture` itself. By design (docs/capture.md) the server
              runs on in its own process group and is orphaned; this script is
              a child subreaper, so the orphan becomes its child: it checks
              that the server was left running, then stops it by PID (SIGTERM
              or SIGKILL, seeded) a moment later, while the load still runs.

For every run:
  * `reel inspect DIR` exits 0 or 1 (never 2, never a crash) -- 1, with the
    possible loss on its drops line, for a log its recorder never closed --, and
    `reel events DIR` streams every record: exit 0 or 1, sequence numbers
    1..N without gaps.
  * Loss, measured two ways against the kill time K (CLOCK_MONOTONIC, the
    clock the event log uses):
      - lag: K minus the time of the last record the log (or the pcap) holds;
      - acknowledged-operation loss: every batch a client had its replies to
        is an acknowledged operation with a time a; it is in the log when the
        log's bytes read from (written to) that client's connection reach what
        the client had sent (received) by a. The loss window is K minus the
        earliest acknowledged batch the log lacks (0 when none is missing).
    The bound is the recorder's flush interval (meta.json
    event_log.flush_interval_ns, 50 ms; capture/trace_writer.h) for the event
    log, and the pcap's flush interval plus its block timeout (100 + 20 ms with
    --pcap-buffered; capture/pcap_capture.h) for packets.pcap, plus --slack-ms
    for the kill itself and scheduling on a loaded machine.
  * `reel replay DIR` exits 0 with "cut": true, and says where it stopped.
  * No reel-server is left running.

A run that fails keeps its bundle under --keep-dir; passing runs' bundles are
removed. The summary goes to stdout and, with every run's numbers, to
--out-json. Exit 0 when every run passed, 1 otherwise, 2 on bad arguments.
"""

import argparse
import ctypes
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, HERE)
import bundle_checks as bc  # noqa: E402
import capture_harness as ch  # noqa: E402
import harness  # noqa: E402
from campaign_load import Client, mono_ns  # noqa: E402

PR_SET_CHILD_SUBREAPER = 36
DEFAULT_PCAP_FLUSH_MS = 100  # PcapCaptureOptions::flush_interval_ms
DEFAULT_PCAP_BLOCK_TIMEOUT_MS = 20  # PcapCaptureOptions::block_timeout_ms (--pcap-buffered)

_known_servers = set()  # server pids to kill if the script itself is stopped


# ------------------------------------------------------------------ processes

def become_subreaper():
    """Orphans of our children (the server of a killed `reel capture`) are
    reparented to us, so we can see them and reap them."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def proc_state(pid):
    """(state letter, ppid) from /proc, or (None, None) when pid is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None, None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1])


def reap(pid, timeout_s):
    """Waits for our child pid to end; returns its wait status or None."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            return None
        if got == pid:
            return status
        if time.monotonic() > deadline:
            return None
        time.sleep(0.01)


def describe_status(status):
    if status is None:
        return "not reaped"
    if os.WIFSIGNALED(status):
        return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
    return f"exit code {os.WEXITSTATUS(status)}"


def stop_known_servers(*_):
    for pid in list(_known_servers):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _known_servers.clear()


# ------------------------------------------------------------------ one run

class Run:
    def __init__(self, index, mode, rng, args, workdir):
        self.index, self.mode, self.rng, self.args = index, mode, rng, args
        self.bundle = os.path.join(workdir, f"{mode}-{index:03d}")
        self.result = {"run": index, "mode": mode, "problems": []}

    def problem(self, text):
        self.result["problems"].append(text)

    def start_capture(self):
        for _ in range(5):
            port = harness.free_port()
            argv = ch.reel_server_cmd(self.args.reel_server, port)
            cap = ch.Capture(self.args.reel, self.bundle, port, argv, ["--pcap-buffered"])
            try:
                cap.wait_ready()
                return cap
            except RuntimeError as e:
                cap.stop(signal.SIGTERM, timeout_s=10)
                _out, err = cap.output()
                if "in use" not in err:
                    raise RuntimeError(f"{e}: {err.strip()}")
                shutil.rmtree(self.bundle, ignore_errors=True)
                for suffix in (".stdout", ".stderr"):
                    try:
                        os.unlink(self.bundle + suffix)
                    except OSError:
                        pass
        raise RuntimeError("no free port after 5 tries")

    def execute(self):
        a, r, rng = self.args, self.result, self.rng
        kill_frac = rng.uniform(0.1, 0.9)
        orphan_signal = rng.choice([signal.SIGTERM, signal.SIGKILL])
        orphan_delay_s = rng.uniform(0.05, 0.3)
        cap = self.start_capture()
        self.port = cap.port
        kids = ch.server_children(cap.proc.pid)
        server_pid = kids[0] if kids else None
        if server_pid is None:
            cap.stop(signal.SIGTERM)
            raise RuntimeError("reel capture has no server child")
        _known_servers.add(server_pid)
        stop = threading.Event()
        load_start = mono_ns()
        end_at = load_start + int(a.load_seconds * 1e9)
        clients = [Client(cap.port, n, a.pipeline, a.pause_ms / 1000, a.max_batches, end_at, stop)
                   for n in range(a.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.connected.wait(10)
        kill_at = load_start + int(kill_frac * a.load_seconds * 1e9)
        time.sleep(max(0, (kill_at - mono_ns()) / 1e9))
        r["kill_after_ms"] = round((mono_ns() - load_start) / 1e6, 1)

        if self.mode == "server":
            kill_ns, kill_real = mono_ns(), time.time_ns()
            os.kill(server_pid, signal.SIGKILL)
            rc = cap.wait(timeout_s=60)
            if rc is None:
                self.problem("reel capture did not finish within 60 s of its server's death")
                rc = cap.stop(signal.SIGKILL)
            r["capture_rc"] = rc
            out, err = cap.output()
            r["capture_summary"] = out.strip().splitlines()[-1] if out.strip() else ""
            if rc not in (0, 1):
                self.problem(f"reel capture exit code {rc} after its server was killed: {err}")
            if "killed by SIGKILL" not in out:
                self.problem(f"summary does not say the server was killed: {out!r}")
            _known_servers.discard(server_pid)
            stop.set()
            log_kill_ns = kill_ns
        else:
            kill_ns, kill_real = mono_ns(), time.time_ns()
            os.kill(cap.proc.pid, signal.SIGKILL)
            r["capture_rc"] = cap.stop(signal.SIGKILL)
            state, ppid = proc_state(server_pid)
            r["server_orphaned"] = state is not None and state != "Z"
            r["server_reparented_to_us"] = ppid == os.getpid()
            if not r["server_orphaned"]:
                self.problem(f"the server did not outlive reel capture (state {state})")
            # A moment more of recording without the capture, then stop it.
            time.sleep(orphan_delay_s)
            log_kill_ns = mono_ns()
            r["orphan_stopped_with"] = orphan_signal.name
            try:
                os.kill(server_pid, orphan_signal)
            except ProcessLookupError:
                pass
            status = reap(server_pid, 20)
            if status is None:
                self.problem(f"the orphaned server ignored {orphan_signal.name} for 20 s")
                os.kill(server_pid, signal.SIGKILL)
                status = reap(server_pid, 10)
            r["orphan_exit"] = describe_status(status)
            _known_servers.discard(server_pid)
            stop.set()
        for c in clients:
            c.join(timeout=30)
        state, _ = proc_state(server_pid)
        r["server_left_running"] = state is not None and state != "Z"
        if r["server_left_running"]:
            self.problem("a reel-server is still running after the run")
            os.kill(server_pid, signal.SIGKILL)
        wrong = [c.wrong_reply for c in clients if c.wrong_reply]
        if wrong:
            self.problem(f"wrong replies: {wrong}")
        r["acked_batches"] = sum(len(c.acks) for c in clients)
        if r["acked_batches"] == 0:
            self.problem("no batch was acknowledged before the kill")
        self.check_bundle(clients, kill_ns, kill_real, log_kill_ns, orphan_signal)

    def check_bundle(self, clients, kill_ns, kill_real, log_kill_ns, orphan_signal):
        a, r = self.args, self.result
        slack_ns = int(a.slack_ms * 1e6)
        meta = {}
        try:
            with open(os.path.join(self.bundle, "meta.json")) as f:
                meta = json.load(f)
        except (OSError, ValueError) as e:
            self.problem(f"meta.json unreadable: {e}")
        flush_ns = meta.get("event_log", {}).get("flush_interval_ns", 50_000_000)
        r["flush_interval_ms"] = flush_ns / 1e6

        ins = bc.run_inspect(a.reel, self.bundle)
        r["inspect_rc"], r["inspect_drops"], r["status"] = ins["rc"], ins["drops"], ins["status"]
        if ins["rc"] not in (0, 1):
            self.problem(f"reel inspect exit code {ins['rc']}: {ins['stderr']}")
        elif r["status"] == "recording" and (ins["rc"] != 1 or ins["drops"] == "none"):
            self.problem(f"reel inspect does not report the unclosed log's possible loss: exit "
                         f"{ins['rc']}, drops: {ins['drops']}")
        ev = bc.run_events_tail(a.reel, self.bundle)
        r["events_rc"], r["records"] = ev["rc"], ev["records"]
        if ev["rc"] not in (0, 1):
            self.problem(f"reel events exit code {ev['rc']}: {ev['stderr']}")
        if ev["last_seq"] != ev["records"]:
            self.problem(f"sequence gap: {ev['records']} records, last seq {ev['last_seq']}")
        r["readable"] = ins["rc"] in (0, 1) and ev["rc"] in (0, 1) and ev["records"] > 0

        # Event log loss. A server stopped with SIGTERM closed its log: nothing
        # may be missing; a SIGKILLed one may lose its last flush interval.
        log_killed = self.mode == "server" or orphan_signal == signal.SIGKILL
        window, missing, total = bc.ack_loss(clients, ins["by_port"], log_kill_ns)
        r["log_acks_missing"], r["log_acks_total"] = missing, total
        r["log_ack_loss_ms"] = round(window / 1e6, 2)
        if log_killed:
            # The server's quiet time before the kill (no reply reached any
            # client) adds to what a SIGKILL can lose: the writer flushes when
            # it appends, and a descheduled server appends nothing.
            last_ack = max((t for c in clients for t, _s, _r in c.acks if t <= log_kill_ns),
                           default=None)
            if last_ack is not None:
                r["quiet_before_kill_ms"] = round((log_kill_ns - last_ack) / 1e6, 2)
                r["log_loss_within_bound"] = window <= flush_ns + (log_kill_ns - last_ack) + 1e6
            if ev["last_ts_ns"] is not None:
                r["log_lag_ms"] = round((log_kill_ns - ev["last_ts_ns"]) / 1e6, 2)
            if window > flush_ns + slack_ns:
                self.problem(f"event log lost acknowledged operations from {window / 1e6:.1f} ms "
                             f"before the kill (flush interval {flush_ns / 1e6:.0f} ms)")
        else:
            if missing:
                self.problem(f"a cleanly stopped server's log lacks {missing} acknowledged "
                             "batches")
            if r["status"] != "complete":
                self.problem(f"SIGTERMed server left status {r['status']}")

        # Packet loss, when reel capture was the one killed.
        if self.mode == "capture":
            try:
                last_real, held = bc.pcap_streams(os.path.join(self.bundle, "packets.pcap"),
                                               self.port)
                pwin, pmissing, ptotal = bc.ack_loss(clients, held, kill_ns)
                r["pcap_acks_missing"], r["pcap_acks_total"] = pmissing, ptotal
                r["pcap_ack_loss_ms"] = round(pwin / 1e6, 2)
                if last_real is not None:
                    r["pcap_lag_ms"] = round((kill_real - last_real) / 1e6, 2)
                bound_ns = (DEFAULT_PCAP_FLUSH_MS + DEFAULT_PCAP_BLOCK_TIMEOUT_MS) * 1_000_000
                if pwin > bound_ns + slack_ns:
                    self.problem(f"packets.pcap lost acknowledged operations from "
                                 f"{pwin / 1e6:.1f} ms before the kill")
            except (OSError, ValueError) as e:
                self.problem(f"packets.pcap unreadable: {e}")

        code, verdict, text, err = bc.run_replay(a.reel, self.bundle)
        r["replay_rc"] = code
        if verdict:
            r["replay"] = {k: verdict.get(k) for k in (
                "verdict", "cut", "records_matched", "records_total", "commands",
                "bytes_compared", "byte_mismatches", "first_divergence")}
        cut_lines = [ln.strip() for ln in text.splitlines() if "stopped at the cut" in ln]
        r["replay_stopped"] = cut_lines[0] if cut_lines else None
        r["replayed"] = code == 0 and bool(verdict) and verdict.get("cut") is True
        if not r["replayed"]:
            self.problem(f"reel replay exit {code}: {text or err}")


# ------------------------------------------------------------------ campaign

def summarize(runs, args):
    s = {}
    for mode in ("server", "capture"):
        rs = [r for r in runs if r["mode"] == mode]
        if not rs:
            continue

        def mx(key):
            vals = [r[key] for r in rs if r.get(key) is not None]
            return max(vals) if vals else None

        killed = [r for r in rs if r.get("log_lag_ms") is not None]
        over = [r for r in killed if r["log_ack_loss_ms"] > r["flush_interval_ms"]]
        m = {"runs": len(rs), "passed": sum(not r["problems"] for r in rs),
             "log_killed_runs": len(killed),
             "runs_log_loss_over_flush_interval": len(over),
             "of_those_within_flush_interval_plus_quiet_time": sum(
                 bool(r.get("log_loss_within_bound")) for r in over),
             "readable": sum(bool(r.get("readable")) for r in rs),
             "replayed_to_cut": sum(bool(r.get("replayed")) for r in rs),
             "flush_interval_ms": mx("flush_interval_ms"),
             "max_log_ack_loss_ms": mx("log_ack_loss_ms"), "max_log_lag_ms": mx("log_lag_ms"),
             "runs_with_log_loss": sum(bool(r.get("log_acks_missing")) for r in rs),
             "median_records": sorted(r.get("records", 0) for r in rs)[len(rs) // 2]}
        if mode == "capture":
            m.update({"server_orphaned": sum(bool(r.get("server_orphaned")) for r in rs),
                      "server_left_running": sum(bool(r.get("server_left_running")) for r in rs),
                      "orphan_sigterm": sum(r.get("orphan_stopped_with") == "SIGTERM"
                                            for r in rs),
                      "orphan_sigkill": sum(r.get("orphan_stopped_with") == "SIGKILL"
                                            for r in rs),
                      "pcap_bound_ms": DEFAULT_PCAP_FLUSH_MS + DEFAULT_PCAP_BLOCK_TIMEOUT_MS,
                      "max_pcap_ack_loss_ms": mx("pcap_ack_loss_ms"),
                      "max_pcap_lag_ms": mx("pcap_lag_ms"),
                      "runs_with_pcap_loss": sum(bool(r.get("pcap_acks_missing")) for r in rs)})
        s[mode] = m
    return s


def print_summary(summary, args):
    print(f"kill campaign: seed {args.seed}, {args.runs} runs per mode, {args.clients} clients x "
          f"{args.pipeline}-triple pipelines, load {args.load_seconds} s", flush=True)
    for mode, m in summary.items():
        what = "reel-server --record" if mode == "server" else "reel capture"
        line = (f"  SIGKILL {what}: {m['runs']} runs, {m['passed']} passed; readable "
                f"{m['readable']}/{m['runs']}; replayed to the cut {m['replayed_to_cut']}/"
                f"{m['runs']}; event log: max acknowledged-op loss window "
                f"{m['max_log_ack_loss_ms']} ms, max lag of last record {m['max_log_lag_ms']} ms"
                f" (flush interval {m['flush_interval_ms']} ms; {m['runs_with_log_loss']} runs "
                f"lost acknowledged ops; {m['runs_log_loss_over_flush_interval']} of "
                f"{m['log_killed_runs']} SIGKILLed logs lost more than the flush interval, "
                f"{m['of_those_within_flush_interval_plus_quiet_time']} of them within the flush "
                f"interval plus the server's quiet time before the kill)")
        if mode == "capture":
            line += (f"; pcap: max acknowledged-op loss window {m['max_pcap_ack_loss_ms']} ms, "
                     f"max lag {m['max_pcap_lag_ms']} ms (bound {m['pcap_bound_ms']} ms); server "
                     f"orphaned {m['server_orphaned']}/{m['runs']} (stopped by PID: "
                     f"{m['orphan_sigterm']} SIGTERM, {m['orphan_sigkill']} SIGKILL), left "
                     f"running {m['server_left_running']}")
        print(line, flush=True)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reel-server", required=True)
    p.add_argument("--reel", required=True)
    p.add_argument("--runs", type=int, default=100, help="runs per mode")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out-json", required=True)
    p.add_argument("--modes", default="server,capture")
    p.add_argument("--clients", type=int, default=3)
    p.add_argument("--pipeline", type=int, default=20, help="SET/GET/INCR triples per batch")
    p.add_argument("--pause-ms", type=float, default=1.0, help="pause between a client's batches")
    p.add_argument("--max-batches", type=int, default=5000)
    p.add_argument("--load-seconds", type=float, default=1.5)
    p.add_argument("--slack-ms", type=float, default=100.0,
                   help="allowance beyond the flush interval for the kill and scheduling")
    p.add_argument("--keep-dir", default="/tmp/reel-kill-campaign-failures")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args(argv)
    for what in ("reel_server", "reel"):
        path = os.path.abspath(getattr(args, what))
        if not os.access(path, os.X_OK):
            print(f"kill_campaign: {path} is not an executable file", file=sys.stderr)
            sys.exit(2)
        setattr(args, what, path)
    args.modes = [m for m in args.modes.split(",") if m]
    if any(m not in ("server", "capture") for m in args.modes) or args.runs < 1:
        print("kill_campaign: --modes takes server,capture; --runs at least 1", file=sys.stderr)
        sys.exit(2)
    return args


def main(argv=None):
    args = parse_args(argv)
    become_subreaper()
    signal.signal(signal.SIGTERM, lambda *_: (stop_known_servers(), sys.exit(1)))
    rng = random.Random(args.seed)
    workdir = tempfile.mkdtemp(prefix="reel-kill-campaign-")
    runs = []
    try:
        for mode in args.modes:
            for i in range(args.runs):
                run = Run(i, mode, random.Random(rng.getrandbits(64)), args, workdir)
                started = time.monotonic()
                try:
                    run.execute()
                except Exception as e:  # a harness failure is a failed run, not a crash
                    run.problem(f"run aborted: {type(e).__name__}: {e}")
                    stop_known_servers()
                run.result["seconds"] = round(time.monotonic() - started, 2)
                if run.result["problems"]:
                    os.makedirs(args.keep_dir, exist_ok=True)
                    dest = os.path.join(args.keep_dir, f"seed{args.seed}-{mode}-{i:03d}")
                    shutil.rmtree(dest, ignore_errors=True)
                    if os.path.isdir(run.bundle):
                        shutil.move(run.bundle, dest)
                    run.result["kept_bundle"] = dest
                    print(f"FAIL run {i} ({mode}): " + "; ".join(run.result["problems"]) +
                          f" [bundle kept: {dest}]", flush=True)
                elif args.verbose:
                    print(f"ok   run {i} ({mode}): " + json.dumps(
                        {k: run.result.get(k) for k in (
                            "kill_after_ms", "records", "log_ack_loss_ms", "log_lag_ms",
                            "pcap_ack_loss_ms", "pcap_lag_ms")}), flush=True)
                shutil.rmtree(run.bundle, ignore_errors=True)
                for suffix in (".stdout", ".stderr"):
                    try:
                        os.unlink(run.bundle + suffix)
                    except OSError:
                        pass
                runs.append(run.result)
    finally:
        stop_known_servers()
        shutil.rmtree(workdir, ignore_errors=True)
    summary = summarize(runs, args)
    print_summary(summary, args)
    with open(args.out_json, "w") as f:
        json.dump({"config": {k: v for k, v in vars(args).items()}, "summary": summary,
                   "runs": runs}, f, indent=1)
        f.write("\n")
    return 0 if all(not r["problems"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
