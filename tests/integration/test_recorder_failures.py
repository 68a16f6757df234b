#!/usr/bin/python3
"""A failing recorder never takes the server down (docs/capture.md, "When
recording fails").

Each failure is tried on reel-server's built-in recorder (--record) and on
the LD_PRELOAD shim recording Debian's redis-server (through `reel capture
--no-pcap`, or LD_PRELOAD directly where reel capture refuses the bundle
path or where there is no meta.json to write):
  * disk full: the bundle on a 256 KiB tmpfs (mount -t tmpfs; without
    permission to mount, RLIMIT_FSIZE instead, which gives EFBIG), filled by
    the recording itself; and a disk already full when the server starts;
  * unwritable output: a file where the bundle directory should be;
  * bundle removed while recording (rm -rf of the directory);
  * the write buffer cannot be allocated: REEL_TRACE_BUFFER_KB of 2 GiB
    under an address-space limit of 1 GiB (RLIMIT_AS, `ulimit -v`); in an
    ASan build, which cannot run under RLIMIT_AS, a 128 TiB buffer instead.
In every case: one client keeps getting correct replies before, during and
after the failure, and a new client connects afterwards; the server exits 0
on SIGTERM; exactly one line from the recorder says what failed; meta.json
(or, where it cannot be written, one more stderr line) reports the loss;
the counts add up (total = written + dropped) and the log holds exactly the
written records.
Also: bundle permissions (directory 0700, files 0600) for reel-server
--record and for `reel capture` of both servers.

--repeat N runs every case N times; a table of the numbers is printed at the
end (docs/capture.md quotes it).
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import tempfile
import time

import capture_harness as ch
import harness

TMPFS_SIZE = "256k"
BIG_BUFFER_KB = 2 * 1024 * 1024  # 2 GiB
AS_LIMIT = 1 << 30  # 1 GiB
ASAN_BUFFER_KB = 1 << 37  # 128 TiB: beyond any allocator


# ------------------------------------------------------------------ client

class Client:
    """One connection issuing pipelined SET/GET batches, checking every reply."""

    def __init__(self, port):
        self.conn = harness.RespConnection(port, timeout_s=30)
        self.i = 0
        self.commands = 0
        self.wrong = 0

    def batch(self, n=200):
        keys = [(f"k{j}", f"value-{j}-" + "x" * (j % 50)) for j in range(self.i, self.i + n)]
        req = b"".join(harness.encode_command(["SET", k, v]) + harness.encode_command(["GET", k])
                       for k, v in keys)
        self.conn.send(req)
        for _, v in keys:
            if self.conn.read_reply() != b"+OK\r\n":
                self.wrong += 1
            if self.conn.read_reply() != b"$%d\r\n%s\r\n" % (len(v), v.encode()):
                self.wrong += 1
        self.i += n
        self.commands += 2 * n

    def close(self):
        self.conn.close()


# ----------------------------------------------------------------- servers

def is_asan(binary):
    r = subprocess.run(["ldd", binary], capture_output=True, text=True)
    return "libasan" in r.stdout


class Run:
    """A recorded server: reel-server --record, redis-server under the shim
    (LD_PRELOAD), or either under `reel capture --no-pcap`. Stopped by PID."""

    def __init__(self, ctx, kind, record, via_capture, env_extra=None, limits=None, pcap=False):
        self.kind, self.record, self.via_capture = kind, record, via_capture
        self.workdir = tempfile.mkdtemp(prefix="reel-rf-run-", dir=ctx.work)
        env = dict(os.environ)
        for k in ("LD_PRELOAD", "REEL_TRACE_DIR", "REEL_TRACE_FILE", "REEL_TRACE_BUFFER_KB"):
            env.pop(k, None)
        env.update(env_extra or {})
        self.port = harness.free_port()
        if kind == "builtin":
            server = ch.reel_server_cmd(ctx.server, self.port)
        else:
            server = ch.redis_server_cmd(self.port, self.workdir)
        if via_capture:
            argv = [ctx.reel, "capture", "--pcap-buffered" if pcap else "--no-pcap", "--out",
                    record, "--port", str(self.port), "--", *server]
        elif kind == "builtin":
            argv = server + ["--record", record]
        else:
            argv = server
            env.update(LD_PRELOAD=ctx.preload, REEL_TRACE_DIR=record)
        self.out_path = os.path.join(self.workdir, "stdout")
        self.err_path = os.path.join(self.workdir, "stderr")

        def child_setup():
            harness._die_with_parent()
            for res_id, value in (limits or {}).items():
                resource.setrlimit(res_id, (value, value))
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(argv, env=env, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, preexec_fn=child_setup)
        if not ch.wait_until(lambda: ch.listening(self.port) or self.proc.poll() is not None,
                             harness.START_TIMEOUT_S):
            self.kill()
            raise RuntimeError(f"{argv[0]} does not listen on {self.port}")
        if self.proc.poll() is not None:
            raise RuntimeError(f"{argv} exited with {self.proc.returncode}: {self.stderr()}")
        self.server_pid = self.proc.pid
        if via_capture:
            self.server_pid = ch.server_children(self.proc.pid)[0]

    def stderr(self):
        with open(self.err_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stdout(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_fd_size(self, log_name="events.reel"):
        """Size of the file behind the server's log fd (also once unlinked)."""
        d = f"/proc/{self.server_pid}/fd"
        for fd in os.listdir(d):
            try:
                if os.readlink(f"{d}/{fd}").split("/")[-1].startswith(log_name):
                    return os.stat(f"{d}/{fd}").st_size
            except OSError:
                pass
        return None

    def stop(self):
        """SIGTERM to the server itself; returns (server exit code, reel
        capture's exit code or None)."""
        os.kill(self.server_pid, signal.SIGTERM)
        if not self.via_capture:
            return self._wait(self.proc), None
        # reel capture reaps the server and reports its exit in meta.json.
        tool = self._wait(self.proc)
        return None, tool

    @staticmethod
    def _wait(proc):
        try:
            return proc.wait(harness.STOP_TIMEOUT_S + 30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return "timeout"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def recorder_lines(text):
    return [l for l in text.splitlines()
            if re.match(r"(reel-server|reel-preload: pid \d+): recording (stopped|failed)", l)]


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------- cases

class Context:
    def __init__(self, args, res):
        self.server = args.server
        self.reel, self.preload = ch.tool_paths(args.server)
        if not (self.reel and self.preload):
            raise RuntimeError("reel and libreel-preload.so must sit beside " + args.server)
        self.res = res
        self.work = tempfile.mkdtemp(prefix="reel-recorder-failures-")
        self.mounts = []
        self.asan = is_asan(args.server) or is_asan(self.reel)
        self.rows = []
        self.full_mode = None
        self.seq = 0

    def fresh(self, name):
        """A path under the work directory no earlier case used."""
        self.seq += 1
        return os.path.join(self.work, f"{name}-{self.seq}")

    def small_disk(self, name):
        """(directory, rlimits): a fresh 256 KiB tmpfs, or without mount
        permission a plain directory and an RLIMIT_FSIZE of the same size."""
        d = self.fresh(name)
        os.mkdir(d)
        if self.full_mode != "fsize":
            r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", d],
                               capture_output=True, text=True)
            if r.returncode == 0:
                self.mounts.append(d)
                self.full_mode = "tmpfs"
                return d, {}
            print(f"NOTE: mount -t tmpfs failed ({r.stderr.strip()}): using RLIMIT_FSIZE",
                  flush=True)
            self.full_mode = "fsize"
        return d, {resource.RLIMIT_FSIZE: 256 * 1024}

    def nomem_setup(self):
        env = {"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
               ":allocator_may_return_null=1"}
        if self.asan:
            env["REEL_TRACE_BUFFER_KB"] = str(ASAN_BUFFER_KB)
            return env, {}, "128 TiB buffer (ASan build: no RLIMIT_AS)"
        env["REEL_TRACE_BUFFER_KB"] = str(BIG_BUFFER_KB)
        return env, {resource.RLIMIT_AS: AS_LIMIT}, "2 GiB buffer, RLIMIT_AS 1 GiB"

    def cleanup(self):
        for d in self.mounts:
            subprocess.run(["umount", "-l", d], capture_output=True)
        shutil.rmtree(self.work, ignore_errors=True)


def serve_through(ctx, label, run, until=None, batches_after=10, timeout_s=60):
    """Drives the server: batches until until() holds (the failure has
    happened), then batches_after more, then a second client. Returns
    (commands, wrong replies)."""
    res = ctx.res
    c = Client(run.port)
    deadline = time.monotonic() + timeout_s
    c.batch()
    if until is not None:
        while not until():
            if time.monotonic() > deadline:
                res.ok(f"{label}: the failure happened within {timeout_s} s", False,
                       run.stderr()[-500:])
                break
            c.batch()
    for _ in range(batches_after):
        c.batch()
    c2 = Client(run.port)  # a new connection after the failure
    c2.batch()
    c.batch()
    c.close()
    c2.close()
    commands, wrong = c.commands + c2.commands, c.wrong + c2.wrong
    res.ok(f"{label}: {commands} commands, every reply correct", wrong == 0, f"{wrong} wrong")
    return commands, wrong


def finish(ctx, label, run, meta_expected=True):
    """Stops the server and checks the exit; returns (stderr, meta or None)."""
    res = ctx.res
    server_code, tool_code = run.stop()
    err = run.stderr()
    meta = read_json(os.path.join(run.record, "meta.json")) if meta_expected else None
    if run.via_capture:
        res.eq(f"{label}: reel capture reports losses (exit 1)", tool_code, 1)
        res.ok(f"{label}: the server exited 0 on SIGTERM (reel capture's summary)",
               "; server exit code 0)" in run.stdout(), run.stdout())
    else:
        res.eq(f"{label}: the server exits 0 on SIGTERM", server_code, 0)
    return err, meta


def check_counts(ctx, label, meta, log_path):
    """meta.json's records add up and match the log; returns the records dict."""
    res = ctx.res
    rec = (meta or {}).get("records", {})
    total, written, dropped = rec.get("total"), rec.get("written"), rec.get("dropped")
    res.ok(f"{label}: total = written + dropped ({total} = {written} + {dropped})",
           None not in (total, written, dropped) and total == written + dropped and dropped > 0)
    if os.path.exists(log_path):
        records, rc, err = ch.load_events(ctx.reel, log_path)
        res.ok(f"{label}: the log is readable (reel events exit {rc}: {err.strip()[:120]})",
               rc in (0, 1))
        res.eq(f"{label}: the log holds exactly the records counted as written",
               len(records), written)
    return rec


def add_row(ctx, case, recorder, commands, wrong, rec, outcome):
    ctx.rows.append({"case": case, "recorder": recorder, "commands": commands, "wrong": wrong,
                     "total": rec.get("total"), "written": rec.get("written"),
                     "dropped": rec.get("dropped"), "outcome": outcome})


def case_disk_full(ctx, kind):
    res = ctx.res
    label = f"disk full [{kind}]"
    disk, limits = ctx.small_disk(f"full-{kind}")
    record = os.path.join(disk, "bundle")
    run = Run(ctx, kind, record, via_capture=(kind == "shim"), limits=limits)
    try:
        meta_inode = os.stat(os.path.join(record, "meta.json")).st_ino
        commands, wrong = serve_through(ctx, label, run,
                                        until=lambda: recorder_lines(run.stderr()))
        err, meta = finish(ctx, label, run)
    finally:
        run.kill()
    if ctx.full_mode == "tmpfs" and kind == "builtin":
        # No room for a temp file: meta.json was rewritten in place, in the
        # blocks its first version reserved (same inode). (Under reel capture
        # the shim's statistics file, removed at the end, leaves room.)
        res.eq(f"{label}: meta.json rewritten in place on the full disk",
               os.stat(os.path.join(record, "meta.json")).st_ino, meta_inode)
    lines = recorder_lines(err)
    errtext = "No space left on device" if ctx.full_mode == "tmpfs" else "File too large"
    res.ok(f"{label}: one recorder line: stopped, {errtext}",
           len(lines) == 1 and "recording stopped after" in lines[0] and errtext in lines[0],
           str(lines))
    res.eq(f"{label}: meta.json status", (meta or {}).get("status"), "complete")
    res.eq(f"{label}: meta.json write_error", (meta or {}).get("write_error"), errtext)
    stopped = (meta or {}).get("recording_stopped") or {}
    res.ok(f"{label}: meta.json recording_stopped says why",
           errtext in stopped.get("reason", ""), str(stopped))
    rec = check_counts(ctx, label, meta, os.path.join(record, "events.reel"))
    add_row(ctx, "disk full (recording fills it)", kind, commands, wrong, rec,
            f"stopped: {errtext}")


def fill(path):
    """Fills the file system holding path's directory."""
    with open(path, "wb") as f:
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass


def case_full_at_start(ctx, kind):
    res = ctx.res
    label = f"disk full at start [{kind}]"
    disk, limits = ctx.small_disk(f"fullstart-{kind}")
    if limits:
        res.ok(f"{label}: skipped (needs a real full file system)", True)
        return
    fill(os.path.join(disk, "filler"))
    record = os.path.join(disk, "bundle")
    run = Run(ctx, kind, record, via_capture=False)
    try:
        commands, wrong = serve_through(ctx, label, run)
        err, meta = finish(ctx, label, run, meta_expected=(kind == "builtin"))
    finally:
        run.kill()
    lines = recorder_lines(err)
    res.ok(f"{label}: one recorder line: recording failed, No space left on device",
           len(lines) == 1 and "recording failed" in lines[0] and
           "No space left on device" in lines[0], str(lines))
    if kind == "builtin":
        res.ok(f"{label}: stderr says meta.json could not be written",
               f"warning: cannot write {record}/meta.json: No space left on device" in err, err)
        m = re.search(r"warning: (\d+) of (\d+) recorded events were dropped", err)
    else:
        m = re.search(r"cannot write \S+events.reel.stats.json: No space left on device; "
                      r"(\d+) of (\d+) events were not recorded", err)
        res.ok(f"{label}: stderr gives the loss the stats file could not hold", m, err)
    res.ok(f"{label}: every event counted as lost", m and m.group(1) == m.group(2) and
           int(m.group(2)) > 0, err)
    rec = {"total": int(m.group(2)), "written": 0, "dropped": int(m.group(1))} if m else {}
    add_row(ctx, "disk full before start", kind, commands, wrong, rec,
            "never recorded; loss on stderr (no room for meta.json/stats)")


def case_unwritable(ctx, kind):
    res = ctx.res
    label = f"unwritable output [{kind}]"
    record = ctx.fresh(f"a-file-{kind}")
    with open(record, "w") as f:
        f.write("not a directory\n")
    if kind == "shim":
        # reel capture checks its bundle path before starting anything.
        port = harness.free_port()
        r = subprocess.run([ctx.reel, "capture", "--no-pcap", "--out", record, "--port",
                            str(port), "--", *ch.redis_server_cmd(port, ctx.work)],
                           capture_output=True, text=True, timeout=60)
        res.eq(f"{label}: reel capture refuses it before launching",
               (r.returncode, r.stderr.strip()),
               (2, f"reel capture: {record} exists and is not a directory"))
    run = Run(ctx, kind, record, via_capture=False)
    try:
        commands, wrong = serve_through(ctx, label, run)
        err, _ = finish(ctx, label, run, meta_expected=False)
    finally:
        run.kill()
    lines = recorder_lines(err)
    want = (f"{record} is not a directory" if kind == "builtin"
            else f"cannot create {record}/events.reel: Not a directory")
    res.ok(f"{label}: one recorder line: recording failed: {want}",
           len(lines) == 1 and "recording failed" in lines[0] and want in lines[0], str(lines))
    if kind == "builtin":
        res.ok(f"{label}: stderr says meta.json could not be written",
               f"warning: cannot write {record}/meta.json: Not a directory" in err, err)
        m = re.search(r"warning: (\d+) of (\d+) recorded events were dropped \(Not a directory\)",
                      err)
    else:
        m = re.search(r"cannot write \S+stats.json: Not a directory; (\d+) of (\d+) events were "
                      r"not recorded", err)
    res.ok(f"{label}: stderr counts every event as lost",
           m and m.group(1) == m.group(2) and int(m.group(2)) > 0, err)
    with open(record) as f:
        res.eq(f"{label}: the file is left alone", f.read(), "not a directory\n")
    rec = {"total": int(m.group(2)), "written": 0, "dropped": int(m.group(1))} if m else {}
    add_row(ctx, "a file where the bundle directory should be", kind, commands, wrong, rec,
            "never recorded; loss on stderr")


def case_removed(ctx, kind):
    res = ctx.res
    label = f"bundle removed [{kind}]"
    record = ctx.fresh(f"removed-{kind}")
    run = Run(ctx, kind, record, via_capture=(kind == "shim"))
    try:
        c = Client(run.port)
        for _ in range(5):
            c.batch()
        time.sleep(0.2)  # past the flush interval: the log has data
        res.ok(f"{label}: recording before the removal",
               (run.log_fd_size() or 0) > 40, str(run.log_fd_size()))
        shutil.rmtree(record)
        for _ in range(5):
            c.batch()
        time.sleep(0.2)  # the next flush finds the log unlinked
        c.batch()
        size1 = run.log_fd_size()
        for _ in range(20):
            c.batch()
        time.sleep(0.2)
        c.batch()
        size2 = run.log_fd_size()
        res.ok(f"{label}: nothing more written into the unlinked log ({size1} -> {size2} B)",
               size1 is not None and size1 == size2)
        c2 = Client(run.port)
        c2.batch()
        c.close()
        c2.close()
        commands, wrong = c.commands + c2.commands, c.wrong + c2.wrong
        res.ok(f"{label}: {commands} commands, every reply correct", wrong == 0)
        err, _ = finish(ctx, label, run, meta_expected=False)
    finally:
        run.kill()
    res.ok(f"{label}: the bundle is not re-created", not os.path.exists(record))
    lines = recorder_lines(err)
    res.ok(f"{label}: one recorder line: removed while recording",
           len(lines) == 1 and "was removed while recording" in lines[0], str(lines))
    if kind == "builtin":
        res.ok(f"{label}: ... and that meta.json could not be updated",
               lines and "(meta.json not updated: cannot write" in lines[0], str(lines))
        res.ok(f"{label}: stderr says the final meta.json could not be written",
               f"warning: cannot write {record}/meta.json: No such file or directory" in err, err)
        m = re.search(r"warning: (\d+) of (\d+) recorded events were dropped", err)
    else:
        m = re.search(r"cannot write \S+stats.json: No such file or directory; (\d+) of (\d+) "
                      r"events were not recorded", err)
        res.ok(f"{label}: reel capture says meta.json could not be written",
               "reel capture: WARNING: cannot write meta.json" in err, err[-800:])
    res.ok(f"{label}: stderr counts the lost events", m and int(m.group(1)) > 0, err[-800:])
    rec = {}
    if m:
        rec = {"total": int(m.group(2)), "dropped": int(m.group(1)),
               "written": int(m.group(2)) - int(m.group(1))}
    add_row(ctx, "bundle directory removed mid-run", kind, commands, wrong, rec,
            "stopped at the next flush; unlinked log not grown; loss on stderr")


def case_nomem(ctx, kind):
    res = ctx.res
    label = f"buffer allocation fails [{kind}]"
    env, limits, how = ctx.nomem_setup()
    record = ctx.fresh(f"nomem-{kind}")
    run = Run(ctx, kind, record, via_capture=(kind == "shim"), env_extra=env, limits=limits)
    try:
        commands, wrong = serve_through(ctx, label, run)
        err, meta = finish(ctx, label, run)
    finally:
        run.kill()
    lines = recorder_lines(err)
    res.ok(f"{label}: one recorder line: cannot allocate the buffer ({how})",
           len(lines) == 1 and "recording failed: cannot allocate the" in lines[0] and
           "Cannot allocate memory" in lines[0], str(lines))
    res.eq(f"{label}: meta.json write_error", (meta or {}).get("write_error"),
           "Cannot allocate memory")
    rec = check_counts(ctx, label, meta, os.path.join(record, "events.reel"))
    res.eq(f"{label}: nothing written, everything counted", rec.get("written"), 0)
    add_row(ctx, f"buffer allocation fails ({how})", kind, commands, wrong, rec,
            "never recorded; valid empty log; loss in meta.json")


def case_permissions(ctx):
    """Modes while the server runs (as created) and after it stopped."""
    res = ctx.res

    def private(label, bundle):
        st = os.stat(bundle)
        res.eq(f"permissions [{label}]: directory", oct(st.st_mode & 0o777), oct(0o700))
        for name in sorted(os.listdir(bundle)):
            st = os.stat(os.path.join(bundle, name))
            res.eq(f"permissions [{label}]: {name}", oct(st.st_mode & 0o777), oct(0o600))

    root = os.geteuid() == 0  # packet capture needs it
    for kind, via in (("builtin", False), ("builtin", True), ("shim", True)):
        record = ctx.fresh(f"perm-{kind}-{via}")
        label = ("reel capture of " if via else "") + kind
        run = Run(ctx, kind, record, via_capture=via, pcap=via and root)
        try:
            c = Client(run.port)
            c.batch()
            c.close()
            time.sleep(0.2)  # past the flush interval
            private(label + ", running", record)
            run.stop()
        finally:
            run.kill()
        private(label + ", finished", record)
        if via and root:
            res.ok(f"permissions [{label}]: packets.pcap checked",
                   os.path.exists(os.path.join(record, "packets.pcap")))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    args.server = os.path.abspath(args.server)
    res = harness.Results(verbose=args.verbose)
    ctx = None
    try:
        ctx = Context(args, res)
        if ctx.asan:
            print("NOTE: ASan build: buffer allocation fails through a 128 TiB buffer",
                  flush=True)
        for _ in range(args.repeat):
            for case in (case_disk_full, case_full_at_start, case_unwritable, case_removed,
                         case_nomem):
                for kind in ("builtin", "shim"):
                    try:
                        case(ctx, kind)
                    except Exception as e:  # one case's crash must not hide the others
                        res.error(f"{case.__name__} [{kind}]", e)
        case_permissions(ctx)
        print(f"full disk through: {ctx.full_mode}")
        print("| case | recorder | runs | commands (all replies correct?) | records total | "
              "written | dropped | outcome |")
        groups = {}
        for r in ctx.rows:
            groups.setdefault((r["case"], r["recorder"]), []).append(r)
        for (case, recorder), rows in groups.items():
            def span(key):
                vals = [r[key] for r in rows if r[key] is not None]
                if not vals:
                    return "?"
                return str(min(vals)) if min(vals) == max(vals) else f"{min(vals)}-{max(vals)}"
            wrong = sum(r["wrong"] for r in rows)
            print(f"| {case} | {recorder} | {len(rows)} | {span('commands')} "
                  f"({'yes' if wrong == 0 else f'{wrong} wrong'}) | {span('total')} | "
                  f"{span('written')} | {span('dropped')} | {rows[0]['outcome']} |")
    except Exception as e:
        res.error("test body", e)
    finally:
        if ctx:
            ctx.cleanup()
        res.finish()


if __name__ == "__main__":
    main()
