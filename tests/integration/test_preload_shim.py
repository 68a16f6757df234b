#!/usr/bin/python3
"""libreel-preload.so semantics, with Debian's python3 as the host program
(dynamically linked; its socket, select.epoll and os.read/os.write go
through the libc entry points the shim interposes).

A child python runs a scenario under LD_PRELOAD and reports what it saw; the
test then reads the log with `reel events --json` and checks:
  * results and errno are exactly what libc returned (EAGAIN on an empty
    non-blocking recv, EBADF from close/epoll_ctl on a bad fd, ...);
  * only sockets are recorded for reads/writes (a pipe's and a file's
    traffic are not), epoll calls are;
  * threads writing concurrently lose no record and keep per-fd offsets
    right (thread safety);
  * a forked child records nothing into the parent's log;
  * an exec'd process gets its own log (events.<pid>.reel);
  * without REEL_TRACE_DIR/REEL_TRACE_FILE nothing is written;
  * a clean exit leaves <log>.stats.json with matching counts.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

import capture_harness as ch
import harness

SCENARIO = r'''
import errno, json, os, select, socket, sys, threading, time
out = {}
lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
lsock.bind(("127.0.0.1", 0))
lsock.listen(16)
port = lsock.getsockname()[1]
out["listen_fd"] = lsock.fileno()
ep = select.epoll()
ep.register(lsock.fileno(), select.EPOLLIN)
out["epfd"] = ep.fileno()

clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
ready = ep.poll(1.0)
out["ready"] = [[fd, ev] for fd, ev in ready]
conns = []
for _ in range(4):
    c, peer = lsock.accept()
    conns.append(c)
out["accepted"] = [c.fileno() for c in conns]
out["peers"] = ["%s:%d" % c.getpeername() for c in conns]

# errno preservation
conns[0].setblocking(False)
try:
    conns[0].recv(10)
    out["eagain"] = None
except BlockingIOError as e:
    out["eagain"] = e.errno
try:
    os.close(987)
except OSError as e:
    out["close_ebadf"] = e.errno
try:
    ep.register(986, select.EPOLLIN)
except OSError as e:
    out["ctl_ebadf"] = e.errno
conns[0].setblocking(True)

# pipes and files are not recorded
r, w = os.pipe()
os.write(w, b"pipe-bytes")
os.read(r, 100)
with open(sys.argv[1] + "/plain-file", "wb") as f:
    f.write(b"file-bytes" * 100)
out["pipe"] = [r, w]

# threads: each client sends N messages, each server conn reads them
N, MSG = 200, b"x" * 37
def sender(s):
    for _ in range(N):
        s.sendall(MSG)
def reader(c, got, i):
    total = 0
    while total < N * len(MSG):
        total += len(c.recv(65536))
    got[i] = total
got = [0] * 4
ts = [threading.Thread(target=sender, args=(s,)) for s in clients]
ts += [threading.Thread(target=reader, args=(c, got, i)) for i, c in enumerate(conns)]
for t in ts: t.start()
for t in ts: t.join()
out["got"] = got
for c in conns:
    c.sendall(b"bye")
for s in clients:
    s.recv(10)

# fork: the child's socket calls must not reach our log
pid = os.fork()
if pid == 0:
    s = socket.socket(); s.close()
    conns[1].send(b"from-child")
    os._exit(0)
os.waitpid(pid, 0)
out["fork_child"] = pid
clients[1].recv(100)

# exec: a new program image writes its own log
rc = os.spawnv(os.P_WAIT, sys.executable, [sys.executable, "-c",
               "import socket; s = socket.socket(); s.close()"])
out["exec_rc"] = rc

for c in conns + clients:
    c.close()
ep.close()
lsock.close()
out["pid"] = os.getpid()
print(json.dumps(out))
'''


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--reel")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    reel, preload = ch.tool_paths(args.server)
    reel = args.reel or reel
    res = harness.Results(verbose=args.verbose)
    workdir = tempfile.mkdtemp(prefix="reel-preload-it-")
    try:
        if not preload:
            raise RuntimeError("libreel-preload.so not found beside " + args.server)
        bundle = os.path.join(workdir, "bundle")
        script = os.path.join(workdir, "scenario.py")
        with open(script, "w") as f:
            f.write(SCENARIO)
        env = dict(os.environ, LD_PRELOAD=preload, REEL_TRACE_DIR=bundle)
        r = subprocess.run(["/usr/bin/python3", script, workdir], env=env, capture_output=True,
                           timeout=120)
        res.eq("scenario under the shim exits 0 (stderr: %s)" % r.stderr.decode()[-500:],
               r.returncode, 0)
        out = json.loads(r.stdout.decode().strip().splitlines()[-1])
        res.eq("EAGAIN preserved", out["eagain"], 11)
        res.eq("EBADF from close preserved", out["close_ebadf"], 9)
        res.eq("EBADF from epoll_ctl preserved", out["ctl_ebadf"], 9)
        res.eq("threads read everything", out["got"], [200 * 37] * 4)

        files = sorted(os.listdir(bundle))
        res.ok("one log for the process, one for the exec'd child",
               "events.reel" in files and any(f.startswith("events.") and f != "events.reel"
                                              and f.endswith(".reel") for f in files), str(files))
        res.ok("stats file written at exit", "events.reel.stats.json" in files, str(files))
        res.ok("no log for the forked child", f"events.{out['fork_child']}.reel" not in files,
               str(files))
        mode = oct(os.stat(os.path.join(bundle, "events.reel")).st_mode & 0o777)
        res.eq("log file mode", mode, oct(0o600))

        records, rc, err = ch.load_events(reel, os.path.join(bundle, "events.reel"))
        res.eq(f"reel events reads the shim's log ({err.strip()})", rc, 0)
        kinds = {}
        for rec in records:
            kinds[rec["kind"]] = kinds.get(rec["kind"], 0) + 1
        with open(os.path.join(bundle, "events.reel.stats.json")) as f:
            stats = json.load(f)
        res.eq("stats.json records == records in the log", stats["records"], len(records))
        res.eq("stats.json by_kind == kinds in the log", stats["by_kind"], kinds)
        res.eq("no records dropped", stats["records_dropped"], 0)

        pipe_fds = set(out["pipe"])
        io = [r for r in records if r["kind"] in ("read", "write", "writev")]
        res.eq("pipe I/O is not recorded", [r for r in io if r["fd"] in pipe_fds], [])
        accepted = set(out["accepted"])
        # accepted fds: every byte the 4 senders sent was read, with offsets.
        conns, offset_errors = ch.connections(records)
        res.eq("offsets are running byte counts under concurrency", offset_errors[:5], [])
        res.eq("accepted connections recorded with their peers",
               sorted(c["peer"] for c in conns), sorted(out["peers"]))
        res.eq("bytes read per accepted fd", sorted(c["in"] for c in conns), [200 * 37] * 4)
        res.eq("bytes written per accepted fd (bye; the child's write not logged)",
               sorted(c["out"] for c in conns), [3] * 4)
        res.ok("accept fds match", {c["fd"] for c in conns} == accepted)
        sends = [r for r in records if r["kind"] == "write" and r["fd"] not in accepted]
        res.eq("client sends recorded (4 x 200 sendall)", len(sends), 800)
        reads_eagain = [r for r in records if r["kind"] == "read" and r.get("error") == "EAGAIN"]
        res.eq("the EAGAIN recv is in the log", len(reads_eagain), 1)
        closes = [r for r in records if r["kind"] == "close" and r.get("error") == "EBADF"]
        res.eq("close(987) on an untracked fd is not recorded", closes, [])
        ctl_bad = [r for r in records if r["kind"] == "epoll_ctl" and r["fd"] == 986]
        res.ok("the failed epoll_ctl is recorded with EBADF",
               len(ctl_bad) == 1 and ctl_bad[0].get("error") == "EBADF", str(ctl_bad))
        waits = [r for r in records if r["kind"] == "epoll_wait"]
        res.ok("epoll_wait recorded with its ready array",
               # python fills only epoll_data.fd: the upper bytes are whatever
               any(w["ready"] and w["ready"][0]["data"] & 0xFFFFFFFF == out["listen_fd"]
                   for w in waits),
               str(waits[:3]))
        res.eq("unregistered ready events", ch.unregistered_ready_events(records), [])
        res.eq("record kinds present",
               sorted(k for k in kinds if k in ("socket", "bind", "listen", "setsockopt",
                                                "accept4", "epoll_create", "epoll_ctl",
                                                "epoll_wait", "read", "write", "close")),
               sorted(["socket", "bind", "listen", "setsockopt", "accept4", "epoll_create",
                       "epoll_ctl", "epoll_wait", "read", "write", "close"]))

        # Not configured: nothing is written anywhere.
        env2 = dict(os.environ, LD_PRELOAD=preload)
        env2.pop("REEL_TRACE_DIR", None)
        env2.pop("REEL_TRACE_FILE", None)
        before = set(os.listdir(workdir))
        r2 = subprocess.run(["/usr/bin/python3", script, workdir], env=env2, capture_output=True,
                            timeout=120, cwd=workdir)
        res.eq("unconfigured shim: scenario exits 0", r2.returncode, 0)
        res.eq("unconfigured shim: no new files", sorted(set(os.listdir(workdir)) - before), [])

        # REEL_TRACE_FILE names the log directly.
        logfile = os.path.join(workdir, "direct.reel")
        env3 = dict(os.environ, LD_PRELOAD=preload, REEL_TRACE_FILE=logfile)
        r3 = subprocess.run(["/usr/bin/python3", "-c",
                             "import socket; s = socket.socket(); s.close()"],
                            env=env3, capture_output=True, timeout=60)
        recs3, rc3, _ = ch.load_events(reel, logfile)
        # (python's startup may add an epoll instance of its own first)
        res.eq("REEL_TRACE_FILE: socket and close recorded",
               (r3.returncode, rc3, [r["kind"] for r in recs3][-2:]), (0, 0, ["socket", "close"]))
    except Exception as e:
        res.error("test body", e)
        traceback.print_exc()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        res.finish()


if __name__ == "__main__":
    main()
