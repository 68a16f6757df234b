#!/usr/bin/python3
"""libreel-preload.so never changes what its host program sees.

  1. shim_probe (tests/integration/shim_probe.cc, built beside reel-server)
     runs its `errors`, `signals` and `exec` scenarios without the shim, under
     the recording shim (a 4 KiB buffer and a 1 ms flush interval, so the
     shim writes between most calls), and under shims whose recording failed
     (REEL_TRACE_DIR naming a file; a buffer no allocator can provide). Every
     output line -- return value, errno (a success must leave errno as it
     was), fd numbers, EINTR from an interrupted epoll_wait, the host's own
     SIGPIPE handler, the signal dispositions, signal handlers calling
     interposed functions -- must be identical in all runs.
  2. The recording run's log holds the failing calls with the errno the host
     saw (epoll_wait EBADF, accept EINVAL, read EAGAIN).
  3. exec: the image that exec'd wrote its last records (still buffered at
     the exec) and a statistics file saying ended_by "exec"; the new image
     has no fd on the old log and records into events.<pid>.reel.
  4. fork: Debian's redis-server under the shim runs BGSAVE (a forked child)
     three times while a client keeps writing. The parent's log stays valid:
     no damage, gap-free sequence numbers, exact stream offsets, the client's
     bytes all there, and no log from the children (the documented policy:
     a forked child does not record).
  5. The directory the shim creates is 0700 and its files 0600.
"""

import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import capture_harness as ch
import harness

PROBE_TIMEOUT_S = 120


def run_probe(probe, mode, env_extra, cwd):
    env = dict(os.environ)
    for k in ("LD_PRELOAD", "REEL_TRACE_DIR", "REEL_TRACE_FILE", "REEL_TRACE_BUFFER_KB",
              "REEL_TRACE_FLUSH_MS"):
        env.pop(k, None)
    env.update(env_extra)
    r = subprocess.run([probe, mode], env=env, capture_output=True, timeout=PROBE_TIMEOUT_S,
                       cwd=cwd)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def without_pids(text):
    """The lines to compare: pids differ between runs, "info:" lines report
    scheduling accidents (a timer that fired before the call was made)."""
    return [l for l in text.splitlines()
            if " pid " not in l and not l.endswith(" pid") and not l.startswith("info:")]


def probe_checks(res, reel, preload, probe, work):
    a_file = os.path.join(work, "not-a-dir")
    with open(a_file, "w") as f:
        f.write("x")
    for mode in ("errors", "signals", "exec"):
        rc0, plain, err0 = run_probe(probe, "errors" if mode == "errors" else mode, {}, work)
        res.eq(f"{mode}: probe without the shim exits 0 ({err0.strip()})", rc0, 0)
        variants = {
            "recording": {"REEL_TRACE_DIR": os.path.join(work, f"rec-{mode}"),
                          "REEL_TRACE_BUFFER_KB": "4", "REEL_TRACE_FLUSH_MS": "1"},
            "recording, default buffer": {"REEL_TRACE_DIR": os.path.join(work, f"def-{mode}")},
            "log cannot be created": {"REEL_TRACE_DIR": a_file},
            "buffer cannot be allocated": {"REEL_TRACE_DIR": os.path.join(work, f"nomem-{mode}"),
                                           "REEL_TRACE_BUFFER_KB": str(1 << 37)},  # 128 TiB
        }
        for name, extra in variants.items():
            rc, out, err = run_probe(probe, mode, dict(extra, LD_PRELOAD=preload), work)
            res.eq(f"{mode} [{name}]: exit code", rc, rc0)
            res.eq(f"{mode} [{name}]: every result and errno as without the shim",
                   without_pids(out), without_pids(plain))
            failed_lines = [l for l in err.splitlines() if "recording failed" in l]
            if name.startswith("recording"):
                res.eq(f"{mode} [{name}]: nothing on stderr", err, "")
            else:
                # exec: one line per process image (the exec'd one fails too).
                want = 2 if mode == "exec" else 1
                res.eq(f"{mode} [{name}]: one 'recording failed' line per image",
                       len(failed_lines), want)
        if mode == "errors":
            records, rc, err = ch.load_events(reel, os.path.join(work, "rec-errors",
                                                                  "events.reel"))
            res.eq(f"errors: the recording is readable ({err.strip()})", rc, 0)

            def has(kind, error, **fields):
                return any(r["kind"] == kind and r.get("error") == error and
                           all(r.get(k) == v for k, v in fields.items()) for r in records)
            res.ok("errors: epoll_wait on a bad epfd recorded with EBADF",
                   has("epoll_wait", "EBADF", epfd=905))
            res.ok("errors: accept on a non-listening socket recorded with EINVAL",
                   has("accept4", "EINVAL"))
            res.ok("errors: read of an empty non-blocking socket recorded with EAGAIN",
                   has("read", "EAGAIN"))
            with open(os.path.join(work, "rec-errors", "events.reel.stats.json")) as f:
                stats = json.load(f)
            res.ok("errors: the 4 KiB buffer and 1 ms interval made the shim write between "
                   f"calls ({stats['flushes']} flushes)", stats["flushes"] >= 4)
            res.eq("errors: stats count every record", stats["records"], len(records))
            nomem = os.path.join(work, "nomem-errors")
            st = ch_read_json(os.path.join(nomem, "events.reel.stats.json"))
            res.ok("errors [buffer cannot be allocated]: every call counted as dropped",
                   st.get("records", 0) > 0 and st.get("records_dropped") == st["records"] and
                   st.get("write_error") == "Cannot allocate memory", str(st))
            r2, rc2, _ = ch.load_events(reel, os.path.join(nomem, "events.reel"))
            res.eq("errors [buffer cannot be allocated]: a valid, empty log",
                   (rc2, len(r2)), (0, 0))
        if mode == "exec":
            d = os.path.join(work, "rec-exec")
            files = sorted(os.listdir(d))
            others = [f for f in files if f.startswith("events.") and f.endswith(".reel") and
                      f != "events.reel"]
            res.eq("exec: one log per image (events.reel, events.<pid>.reel)", len(others), 1)
            records, rc, err = ch.load_events(reel, os.path.join(d, "events.reel"))
            res.eq(f"exec: the first image's log is whole ({err.strip()})", rc, 0)
            writes = [r["ret"] for r in records if r["kind"] == "write"]
            res.eq("exec: its last writes, buffered at the exec, reached the log",
                   writes[-2:], [12345, 777])
            stats = ch_read_json(os.path.join(d, "events.reel.stats.json"))
            res.eq("exec: statistics written at the exec",
                   (stats.get("ended_by"), stats.get("records")), ("exec", len(records)))
            res.ok("exec: the new image holds no fd on the old log",
                   "exec child: open .reel fds                   0" in plain and
                   "exec child: open .reel fds                   0" in out)
            if others:
                recs2, rc2, _ = ch.load_events(reel, os.path.join(d, others[0]))
                res.eq("exec: the new image recorded its socket()",
                       (rc2, [r["kind"] for r in recs2]), (0, ["socket"]))
                res.eq("exec: the new image's log is named by the same pid",
                       others[0], f"events.{stats.get('pid')}.reel")


def ch_read_json(path):
    """A JSON file's object, or {} when it is missing or unreadable."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def check_private(res, label, bundle):
    st = os.stat(bundle)
    res.eq(f"{label}: directory mode", oct(st.st_mode & 0o777), oct(0o700))
    for name in sorted(os.listdir(bundle)):
        st = os.stat(os.path.join(bundle, name))
        res.eq(f"{label}: {name} mode", oct(st.st_mode & 0o777), oct(0o600))


def bgsave_under_shim(res, reel, preload, probe, work):
    bundle = os.path.join(work, "bgsave-bundle")
    rdir = os.path.join(work, "bgsave-redis")
    os.mkdir(rdir)
    port = harness.free_port()
    env = dict(os.environ, LD_PRELOAD=preload, REEL_TRACE_DIR=bundle)
    log = open(os.path.join(work, "bgsave-redis.log"), "wb")
    proc = subprocess.Popen(ch.redis_server_cmd(port, rdir), env=env, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            preexec_fn=harness._die_with_parent)
    try:
        # Wait without connecting: a probe connection would be one more client.
        if not ch.wait_until(lambda: ch.listening(port) or proc.poll() is not None, 30):
            raise RuntimeError("redis-server under the shim did not listen")
        stop = threading.Event()
        state = {"sent": 0, "bytes": 0, "wrong": 0, "keys": 0}

        def writer():
            with harness.RespConnection(port, timeout_s=30) as c:
                i = 0
                while not stop.is_set():
                    req = harness.encode_command(["SET", f"k{i}", "v" * (i % 200)])
                    c.send(req)
                    state["bytes"] += len(req)
                    if c.read_reply() != b"+OK\r\n":
                        state["wrong"] += 1
                    i += 1
                state["keys"] = i
                req = harness.encode_command(["DBSIZE"])
                c.send(req)
                state["bytes"] += len(req)
                state["dbsize"] = c.read_reply()
        t = threading.Thread(target=writer)
        t.start()
        saves = []
        with harness.RespConnection(port, timeout_s=30) as c:
            for _ in range(3):
                time.sleep(0.2)
                saves.append(c.call("BGSAVE"))
                deadline = time.monotonic() + 30
                while harness.info_field(c, "rdb_bgsave_in_progress", "persistence") != "0":
                    if time.monotonic() > deadline:
                        raise RuntimeError("BGSAVE did not finish in 30 s")
                    time.sleep(0.02)
                res.eq("BGSAVE: child finished ok",
                       harness.info_field(c, "rdb_last_bgsave_status", "persistence"), "ok")
            rdb_saves = harness.info_field(c, "rdb_saves", "persistence")
        time.sleep(0.2)
        stop.set()
        t.join(60)
        res.eq("BGSAVE: three background saves started", saves,
               [b"+Background saving started\r\n"] * 3)
        res.eq("BGSAVE: redis counted three saves", rdb_saves, "3")
        res.eq("BGSAVE: every SET during the saves answered +OK", state["wrong"], 0)
        res.eq("BGSAVE: DBSIZE is the number of keys written",
               state.get("dbsize"), b":%d\r\n" % state["keys"])
        proc.send_signal(signal.SIGTERM)
        res.eq("BGSAVE: redis-server exits 0 on SIGTERM", proc.wait(30), 0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    files = sorted(os.listdir(bundle))
    res.eq("BGSAVE: only the parent's log and statistics", files,
           ["events.reel", "events.reel.stats.json"])
    records, rc, err = ch.load_events(reel, os.path.join(bundle, "events.reel"))
    res.eq(f"BGSAVE: log reads back without damage ({err.strip()[:200]})", (rc, err), (0, ""))
    res.eq("BGSAVE: sequence numbers 1..N without gaps", [r["seq"] for r in records],
           list(range(1, len(records) + 1)))
    with open(os.path.join(bundle, "events.reel.stats.json")) as f:
        stats = json.load(f)
    res.eq("BGSAVE: statistics match the log", (stats["records"], stats["records_dropped"]),
           (len(records), 0))
    conns, offset_errors = ch.connections(records)
    res.eq("BGSAVE: stream offsets are exact", offset_errors[:5], [])
    res.ok(f"BGSAVE: the writer's {state['bytes']} bytes are all in the log",
           state["bytes"] in [c["in"] for c in conns], str([c["in"] for c in conns]))
    res.ok(f"BGSAVE: {state['keys']} SETs recorded around three forks", state["keys"] > 100)
    check_private(res, "shim-created bundle", bundle)


def main():
    def body(args, res):
        reel, preload = ch.tool_paths(args.server)
        probe = os.path.join(os.path.dirname(args.server), "shim_probe")
        if not (reel and preload and os.access(probe, os.X_OK)):
            raise RuntimeError(f"need reel, libreel-preload.so and shim_probe beside "
                               f"{args.server}")
        work = tempfile.mkdtemp(prefix="reel-shim-transparency-")
        try:
            for section in (probe_checks, bgsave_under_shim):
                try:
                    section(res, reel, preload, probe, work)
                except Exception as e:  # one section's crash must not hide the others
                    res.error(section.__name__, e)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    harness.run_main(body, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
