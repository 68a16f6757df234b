#!/usr/bin/python3
"""reel-server under injected kernel faults (--inject-faults, docs/server.md).

A multi-client workload runs against a server whose Kernel returns EAGAIN,
EINTR, short reads and writes, short epoll_waits and ECONNRESET at a few
percent of its I/O calls. Each client does a few hundred SET/INCR/RPUSH (and
SETs of 20 KB values, whose requests and read-back replies span several
reads and writes) on keys of its own over a raw RESP socket. When its connection is closed under
it (an injected reset), it reconnects and retries the operation that was not
acknowledged -- only that one: acknowledged operations are never resent.

Checked:
  * the server does not crash and exits 0 on SIGTERM;
  * every request gets its reply or a closed connection, never silence
    (a 10 s socket timeout counts as a hang) and never an error reply;
  * every acknowledged write is present afterwards, read back through fresh
    connections with the faults still on: SET values exact; an INCR or RPUSH
    key holds exactly the value its acknowledged reply reported (a retry
    after a lost reply may have applied the command twice: at-least-once,
    counted and reported, and the acknowledged reply then says 2);
  * the server's shutdown line counts the faults, and each kind happened;
  * recorded as well (`reel capture`, which runs reel-server --record DIR
    and captures the pcap the replay takes request bytes from), stopped with
    SIGTERM: `reel replay DIR` (built beside reel-server) says REPRODUCED and
    exits 0 -- the faults sit inside the recorder, so the log holds them.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import capture_harness as ch
import harness
from harness import RespConnection, parse_resp

# REEL_FAULT_SPEC / REEL_FAULT_OPS override the spec and the per-client op
# count for longer manual campaigns (docs/server.md); ctest uses the defaults.
SPEC = os.environ.get("REEL_FAULT_SPEC", "seed=7,rate=0.03,kinds=eagain,eintr,short,reset")
CLIENTS = 8
OPS_PER_CLIENT = int(os.environ.get("REEL_FAULT_OPS", "300"))
REPLY_TIMEOUT_S = 10.0
WORKLOAD_DEADLINE_S = 120.0
MAX_ATTEMPTS = 50  # per operation; at 3% faults a run of 50 closes is impossible in practice

FAULT_LINE = re.compile(
    r"fault injection \((?P<spec>[^)]*)\): (?P<total>\d+) faults in (?P<calls>\d+) eligible "
    r"calls: eagain (?P<eagain>\d+), eintr (?P<eintr>\d+), short reads (?P<short_reads>\d+), "
    r"short writes (?P<short_writes>\d+), short epoll_waits (?P<short_waits>\d+), "
    r"resets (?P<resets>\d+)")


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.acked = 0
        self.closed = 0      # requests that saw the connection close instead of a reply
        self.reconnects = 0
        self.hangs = []      # (client, op) that got neither reply nor close
        self.errors = []     # unexpected error replies or give-ups
        self.duplicates = 0  # INCR/RPUSH applied twice (reply lost, then retried)

    def add(self, **kw):
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, getattr(self, k) + v)


BIG_VALUE = 20000  # every 4th op: big enough for multi-read requests and multi-write replies


def op_for(run, client, i):
    """(key, command) of client's i-th operation: SET, INCR, RPUSH, big SET."""
    key = f"fi:{run}:{client}:{i}"
    kind = i % 4
    if kind == 0:
        return key, ["SET", key, f"v{client}-{i}"]
    if kind == 1:
        return key, ["INCR", key]
    if kind == 2:
        return key, ["RPUSH", key, f"e{client}-{i}"]
    return key, ["SET", key, (f"{client}-{i}-" * BIG_VALUE)[:BIG_VALUE]]


def client_worker(port, run, client, stats, acked, deadline):
    """Runs OPS_PER_CLIENT operations; acked[i] = parsed reply of op i."""
    conn = None
    try:
        for i in range(OPS_PER_CLIENT):
            key, cmd = op_for(run, client, i)
            for attempt in range(1, MAX_ATTEMPTS + 1):
                if time.monotonic() > deadline:
                    stats.add(errors=[f"client {client}: workload deadline passed at op {i}"])
                    return
                try:
                    if conn is None:
                        conn = RespConnection(port, timeout_s=REPLY_TIMEOUT_S)
                        if attempt > 1 or i > 0:
                            stats.add(reconnects=1)
                    reply = parse_resp(conn.call(*cmd))
                except socket.timeout:
                    stats.add(hangs=[(client, i, cmd[0])])
                    if conn is not None:
                        conn.close()
                    conn = None
                    continue
                except ValueError as e:  # bytes that are not RESP: never acceptable
                    stats.add(errors=[f"client {client} op {i} {cmd[0]}: bad reply: {e}"])
                    return
                except (ConnectionError, OSError):
                    # Closed under us (reset, or EOF mid-reply): the op is not
                    # acknowledged; reconnect and retry just this one.
                    stats.add(closed=1)
                    if conn is not None:
                        conn.close()
                    conn = None
                    continue
                if isinstance(reply, tuple) and reply[0] == "error":
                    stats.add(errors=[f"client {client} op {i} {cmd[0]}: error reply {reply[1]}"])
                elif cmd[0] != "SET" and reply != 1:
                    stats.add(duplicates=1)
                acked[i] = reply
                stats.add(acked=1)
                break
            else:
                stats.add(errors=[f"client {client} op {i}: gave up after {MAX_ATTEMPTS} closes"])
                return
    finally:
        if conn is not None:
            conn.close()


def run_workload(port, run):
    """Returns (stats, acked per client)."""
    stats = Stats()
    acked = [dict() for _ in range(CLIENTS)]
    deadline = time.monotonic() + WORKLOAD_DEADLINE_S
    threads = [threading.Thread(target=client_worker,
                                args=(port, run, c, stats, acked[c], deadline), daemon=True)
               for c in range(CLIENTS)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(WORKLOAD_DEADLINE_S + REPLY_TIMEOUT_S * 2)
    stats.elapsed = time.monotonic() - t0
    stats.stuck_threads = sum(t.is_alive() for t in threads)
    return stats, acked


def read_back(port, commands, stats):
    """Runs read-only commands in pipelined batches with faults still on;
    a batch whose connection closes is redone on a new connection."""
    out = []
    batch = 50
    for start in range(0, len(commands), batch):
        chunk = commands[start:start + batch]
        for _ in range(MAX_ATTEMPTS):
            try:
                with RespConnection(port, timeout_s=REPLY_TIMEOUT_S) as c:
                    c.send(b"".join(harness.encode_command(cmd) for cmd in chunk))
                    replies = [parse_resp(c.read_reply()) for _ in chunk]
                out.extend(replies)
                break
            except socket.timeout:
                stats.add(hangs=[("read-back", start, "batch")])
            except (ConnectionError, OSError):
                stats.add(closed=1)
        else:
            raise RuntimeError(f"read-back batch at {start} failed {MAX_ATTEMPTS} times")
    return out


def check_acked_writes(results, label, port, run, stats, acked):
    """Every acknowledged op's effect is in the keyspace, exactly."""
    commands, expect = [], []
    for client in range(CLIENTS):
        for i, reply in sorted(acked[client].items()):
            key, cmd = op_for(run, client, i)
            if cmd[0] == "SET":
                commands.append(["GET", key])
                expect.append((key, cmd[2].encode()))
            elif cmd[0] == "INCR":
                commands.append(["GET", key])
                expect.append((key, str(reply).encode()))  # no later op touches the key
            else:
                commands.append(["LRANGE", key, "0", "-1"])
                expect.append((key, [cmd[2].encode()] * reply))
    got = read_back(port, commands, stats)
    missing = [(k, want, g) for (k, want), g in zip(expect, got) if g != want]
    results.ok(f"{label}: all {len(expect)} acknowledged writes present afterwards",
               not missing and len(got) == len(expect),
               f"{len(missing)} differ; first: {missing[:3]}")
    return len(expect)


def fault_counts(log_text):
    m = FAULT_LINE.search(log_text)
    if not m:
        return None
    return {k: (v if k == "spec" else int(v)) for k, v in m.groupdict().items()}


def check_run(results, label, port, run, log_text_fn, stop_fn):
    """The workload, the read-back and the fault counters for one server."""
    stats, acked = run_workload(port, run)
    total_acked = sum(len(a) for a in acked)
    results.eq(f"{label}: no client thread stuck", stats.stuck_threads, 0)
    results.eq(f"{label}: every op acknowledged", total_acked, CLIENTS * OPS_PER_CLIENT)
    results.eq(f"{label}: unexpected errors", stats.errors, [])
    verified = check_acked_writes(results, label, port, run, stats, acked)
    results.eq(f"{label}: requests that got neither a reply nor a close", stats.hangs, [])
    stop_fn()
    counts = fault_counts(log_text_fn())
    if results.ok(f"{label}: the server logged its fault counters", counts is not None,
                  log_text_fn()[-2000:]):
        for kind in ("eagain", "eintr", "short_reads", "short_writes", "short_waits", "resets"):
            results.ok(f"{label}: some {kind} were injected", counts[kind] > 0, str(counts))
    print(f"{label}: {CLIENTS} clients x {OPS_PER_CLIENT} ops in {stats.elapsed:.1f}s; "
          f"{total_acked} acknowledged, {verified} verified after the run; "
          f"{stats.closed} requests saw a closed connection, {stats.reconnects} reconnects, "
          f"{stats.duplicates} INCR/RPUSH applied twice after a lost reply; "
          f"{len(stats.hangs)} hangs", flush=True)
    if counts:
        print(f"{label}: server counters ({counts['spec']}): {counts['total']} faults in "
              f"{counts['calls']} eligible calls: eagain {counts['eagain']}, eintr "
              f"{counts['eintr']}, short reads {counts['short_reads']}, short writes "
              f"{counts['short_writes']}, short epoll_waits {counts['short_waits']}, resets "
              f"{counts['resets']}", flush=True)
    # The reconnect path must really have been exercised.
    results.ok(f"{label}: some requests saw their connection closed (resets reached clients)",
               stats.closed > 0, f"closed={stats.closed}")


def test_plain(results, server_path):
    reel = harness.start_reel(server_path, ["--inject-faults", SPEC])

    def log_text():
        with open(reel.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    check_run(results, "faults", reel.port, "a", log_text,
              lambda: results.check_stopped_cleanly(reel))


def test_recorded(results, server_path):
    """The same under `reel capture` (which adds --record DIR and captures
    the pcap the replay reads request bytes from); SIGTERM; `reel replay`."""
    reel_cli, _ = ch.tool_paths(server_path)
    if not results.ok("the reel CLI is built beside reel-server", reel_cli is not None,
                      os.path.dirname(server_path)):
        return
    workdir = harness._make_workdir("reel-fi-capture-")
    bundle = os.path.join(workdir, "bundle")
    cap = None
    for _ in range(5):  # the free-port probe can race with another process
        port = harness.free_port()
        # Buffered (TPACKET_V3) delivery and a larger buffer: on a busy 2-core
        # machine immediate mode, and buffered mode with the default 32 MiB,
        # dropped packets under the longer manual campaigns (docs/capture.md,
        # "Immediate mode vs buffered delivery").
        cap = ch.Capture(reel_cli, bundle, port,
                         ch.reel_server_cmd(server_path, port, ["--inject-faults", SPEC]),
                         extra_args=("--pcap-buffered", "--pcap-buffer-kb", "131072"))
        try:
            cap.wait_ready()
            break
        except RuntimeError:
            cap.stop(signal.SIGKILL)
            if "already in use" not in cap.output()[1]:
                raise
            shutil.rmtree(bundle, ignore_errors=True)
            cap = None
    if not results.ok("faults+record: reel capture started reel-server", cap is not None):
        return
    try:
        def stop():
            rc = cap.stop(signal.SIGTERM)
            out, err = cap.output()
            summary = [ln for ln in out.splitlines() if ln.startswith("reel capture:")]
            print(summary[0] if summary else f"reel capture printed no summary: {out[-500:]}",
                  flush=True)
            results.eq(f"faults+record: reel capture exit code (stderr: {err.strip()[-300:]})",
                       rc, 0)
            results.ok("faults+record: the server exited 0 on SIGTERM",
                       "server exit code 0" in out, out[-500:])

        check_run(results, "faults+record", port, "b", lambda: "".join(cap.output()), stop)
        t0 = time.monotonic()
        p = subprocess.run([reel_cli, "replay", bundle], capture_output=True, text=True,
                           timeout=240)
        out = (p.stdout + p.stderr).strip()
        print(f"reel replay ({time.monotonic() - t0:.1f}s): {out}", flush=True)
        reused = reused_client_ports(os.path.join(bundle, "packets.pcap"), port)
        print(f"faults+record: {reused} client 4-tuples used by more than one connection in "
              "the capture", flush=True)
        results.eq("reel replay of the faulted recording exits 0", p.returncode, 0)
        if not results.ok("reel replay says REPRODUCED", out.startswith("REPRODUCED"),
                          out[:2000]):
            keep = os.environ.get("REEL_FAULT_KEEP")  # a directory to keep failing bundles in
            if keep:
                dest = os.path.join(keep, os.path.basename(workdir))
                shutil.copytree(workdir, dest)
                print(f"kept the bundle in {dest}", flush=True)
    finally:
        cap.stop(signal.SIGKILL)


def reused_client_ports(pcap, server_port):
    """How many client ip:port opened more than one connection (SYN) to the
    server in the capture. With hundreds of reconnects Linux reuses a client
    port while the server's side of the old connection is in TIME_WAIT; a
    replay that keys connections by 4-tuple alone must still tell them apart,
    so a divergence next to a non-zero count points there."""
    syns = {}
    try:
        packets, _ = ch.read_pcap(pcap)
    except (OSError, ValueError):
        return -1
    for p in packets:
        if p["flags"] & 0x12 == 0x02 and p["dst"].endswith(f":{server_port}"):
            syns.setdefault(p["src"], set()).add(p["seq"])  # a retransmitted SYN keeps its ISN
    return sum(1 for isns in syns.values() if len(isns) > 1)


def main(args, results):
    test_plain(results, args.server)
    test_recorded(results, args.server)


if __name__ == "__main__":
    harness.run_main(main, __doc__)
