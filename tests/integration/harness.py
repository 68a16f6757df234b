"""Shared helpers for reel's integration tests.

Every test script starts its own servers on ephemeral loopback ports and
stops them by PID, even when a check fails or the script raises: a test must
never leave a server behind or depend on a fixed port.

  reel  -- reel-server started with `--port 0 --port-file F`; the port is read
           back from F, so there is no free-port race.
  redis -- Debian's redis-server, the oracle for differential checks. It has
           no --port 0 equivalent with a port file, so we pick a free port by
           binding port 0 and closing it, and retry on the rare collision.

Scripts run under /usr/bin/python3 (Debian's, which sees python3-redis).
"""

import argparse
import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

HOST = "127.0.0.1"

# Sanitizer builds start and answer slower; scale the waits with the same
# knob that scales benchmark request counts down.
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 15.0

_live_servers = []  # every ServerProcess not yet stopped, for atexit cleanup


def test_scale():
    """REEL_TEST_SCALE (float, default 1): <1 shrinks request counts for slow builds."""
    try:
        s = float(os.environ.get("REEL_TEST_SCALE", "1"))
    except ValueError:
        return 1.0
    return s if s > 0 else 1.0


def parse_args(description):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--server", required=True, help="path to the reel-server binary")
    p.add_argument("-v", "--verbose", action="store_true", help="print every check")
    args = p.parse_args()
    args.server = os.path.abspath(args.server)
    if not os.access(args.server, os.X_OK):
        print(f"FATAL: --server {args.server} is not an executable file", flush=True)
        sys.exit(2)
    return args


def free_port():
    """A port that was free a moment ago (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_accepting(port, proc, timeout_s, what):
    """Polls until HOST:port accepts a connection; fails fast if proc died."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before accepting")
        try:
            with socket.create_connection((HOST, port), timeout=1.0):
                return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"{what} did not accept connections on port {port} within {timeout_s}s")


def _die_with_parent():
    """Runs in the child before exec: if the test process is killed outright
    (a CTest timeout), the kernel sends the server SIGTERM, so no server
    outlives its test."""
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


class ServerProcess:
    """A server child process that we own and stop by its PID."""

    def __init__(self, name, argv, workdir):
        self.name = name
        self.argv = argv
        self.workdir = workdir
        self.log_path = os.path.join(workdir, f"{name}.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=workdir,
                                     preexec_fn=_die_with_parent)
        self.pid = self.proc.pid
        self.port = None
        self.exit_code = None
        _live_servers.append(self)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout_s=STOP_TIMEOUT_S):
        """SIGTERM, wait; SIGKILL after timeout_s. Returns the exit code
        (negative: killed by that signal). Idempotent."""
        if self.exit_code is not None:
            return self.exit_code
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                print(f"WARNING: {self.name} (pid {self.pid}) ignored SIGTERM for "
                      f"{timeout_s}s; sending SIGKILL", flush=True)
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        self.exit_code = self.proc.returncode
        self._log.close()
        if self in _live_servers:
            _live_servers.remove(self)
        return self.exit_code

    def log_tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").splitlines()
            return "\n".join(lines[-n:])
        except OSError:
            return ""


_workdirs = []  # removed at exit, after the servers using them are stopped


def _make_workdir(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    _workdirs.append(d)
    return d


def start_reel(server_path, extra_args=()):
    """Starts reel-server on an ephemeral port and waits until it accepts."""
    workdir = _make_workdir("reel-it-")
    port_file = os.path.join(workdir, "port")
    argv = [server_path, "--port", "0", "--bind", HOST, "--port-file", port_file,
            *extra_args]
    sp = ServerProcess("reel-server", argv, workdir)
    deadline = time.monotonic() + START_TIMEOUT_S
    try:
        while True:
            if sp.proc.poll() is not None:
                raise RuntimeError(f"reel-server exited with code {sp.proc.returncode} "
                                   f"before writing its port file:\n{sp.log_tail()}")
            try:
                with open(port_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    sp.port = int(text)
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("reel-server wrote no port file within "
                                   f"{START_TIMEOUT_S}s:\n{sp.log_tail()}")
            time.sleep(0.01)
        wait_accepting(sp.port, sp.proc, max(1.0, deadline - time.monotonic()), "reel-server")
    except Exception:
        sp.stop(timeout_s=2)
        raise
    return sp


def redis_server_path():
    return shutil.which("redis-server") or "/usr/bin/redis-server"


def start_redis(extra_args=()):
    """Starts Debian's redis-server (no persistence) on a free loopback port."""
    path = redis_server_path()
    if not os.access(path, os.X_OK):
        raise RuntimeError("redis-server not found: apt-get install redis-server")
    last_error = None
    for _ in range(5):  # the free-port probe can race with another process
        workdir = _make_workdir("redis-it-")
        port = free_port()
        argv = [path, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
                "--enable-debug-command", "local", "--daemonize", "no", "--dir", workdir,
                "--logfile", "", *extra_args]
        sp = ServerProcess("redis-server", argv, workdir)
        sp.port = port
        try:
            wait_accepting(port, sp.proc, START_TIMEOUT_S, "redis-server")
            return sp
        except RuntimeError as e:
            last_error = f"{e}\n{sp.log_tail()}"
            sp.stop(timeout_s=2)
    raise RuntimeError(f"could not start redis-server: {last_error}")


def stop_all():
    for sp in list(_live_servers):
        sp.stop(timeout_s=5)


def _cleanup_at_exit():
    stop_all()
    for d in _workdirs:
        shutil.rmtree(d, ignore_errors=True)


atexit.register(_cleanup_at_exit)


# ------------------------------------------------------------------ checks

def _show(v, limit=400):
    r = repr(v)
    return r if len(r) <= limit else r[:limit] + f"... ({len(r)} chars)"


class Results:
    """Counts checks; prints each failure with both sides; ends with the
    'N passed, M failed' line and the exit code."""

    def __init__(self, verbose=False):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose
        self.failures = []

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
            if self.verbose:
                print(f"  ok   {name}", flush=True)
        else:
            self.failed += 1
            self.failures.append(name)
            print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)
        return bool(cond)

    def eq(self, name, got, want):
        detail = f"\n     got:  {_show(got)}\n     want: {_show(want)}"
        if isinstance(got, list) and isinstance(want, list) and got != want:
            extra = [x for x in got if x not in want]
            missing = [x for x in want if x not in got]
            detail += f"\n     only in got:  {_show(extra)}\n     only in want: {_show(missing)}"
            if not extra and not missing:
                detail += "\n     (same items, different order)"
        return self.ok(name, got == want, detail)

    def error(self, name, exc):
        """An unexpected exception inside a group of checks counts as one failure."""
        self.failed += 1
        self.failures.append(name)
        print(f"FAIL {name}: unexpected {type(exc).__name__}: {exc}", flush=True)
        if self.verbose:
            traceback.print_exc()

    def check_stopped_cleanly(self, sp):
        """Stops a reel-server and checks that SIGTERM made it exit with 0."""
        alive_before = sp.alive()
        code = sp.stop()
        self.ok(f"{sp.name} still running at the end of the test", alive_before,
                f"it exited early with code {code}:\n{sp.log_tail()}")
        if alive_before:
            # A sanitizer report (leaks at exit, say) makes the code non-zero.
            self.ok(f"{sp.name} exit code after SIGTERM is 0", code == 0,
                    f"exit code {code}; log tail:\n{sp.log_tail(60)}")

    def finish(self):
        stop_all()
        if self.failures:
            print("Failed checks:", flush=True)
            for f in self.failures:
                print(f"  - {f}")
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


def run_main(body, description):
    """Parses --server, runs body(args, results) and always reports/cleans up."""
    args = parse_args(description)
    results = Results(verbose=args.verbose)

    def on_term(signum, frame):  # make SIGTERM unwind through finally/atexit
        results.ok("test ran to completion", False, f"terminated by signal {signum}")
        raise SystemExit(1)

    signal.signal(signal.SIGTERM, on_term)
    try:
        body(args, results)
    except Exception as e:  # a harness-level failure still prints the summary
        results.error("test body", e)
        traceback.print_exc()
    finally:
        results.finish()


# ------------------------------------------------------------- raw sockets

def encode_command(args):
    """RESP multibulk encoding of a command (str or bytes arguments)."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class RespConnection:
    """A raw RESP2 connection that returns each reply's exact bytes."""

    def __init__(self, port, timeout_s=10.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout_s)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed by server")
        self.buf += chunk

    def _line_end(self, start):
        while True:
            i = self.buf.find(b"\r\n", start)
            if i >= 0:
                return i
            self._fill()

    def _reply_end(self, pos):
        """Index just past the complete reply starting at pos (reads more as needed)."""
        while len(self.buf) <= pos:
            self._fill()
        kind = self.buf[pos:pos + 1]
        eol = self._line_end(pos)
        head = self.buf[pos + 1:eol]
        if kind in (b"+", b"-", b":"):
            return eol + 2
        if kind == b"$":
            n = int(head)
            if n < 0:
                return eol + 2
            end = eol + 2 + n + 2
            while len(self.buf) < end:
                self._fill()
            return end
        if kind == b"*":
            n = int(head)
            p = eol + 2
            for _ in range(max(n, 0)):
                p = self._reply_end(p)
            return p
        raise ValueError(f"unexpected reply type byte {kind!r} in {self.buf[pos:pos + 80]!r}")

    def read_reply(self):
        end = self._reply_end(0)
        reply, self.buf = self.buf[:end], self.buf[end:]
        return reply

    def call(self, *args):
        self.send(encode_command(args))
        return self.read_reply()

    def read_until_closed(self, timeout_s=5.0):
        """Everything the server sends until it closes the connection.
        Returns (bytes, closed) where closed is False on timeout."""
        data = self.buf
        self.buf = b""
        self.sock.settimeout(timeout_s)
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return data, False
            except ConnectionResetError:
                return data, True
            if not chunk:
                return data, True
            data += chunk
            if time.monotonic() > deadline:
                return data, False


def parse_resp(data):
    """Decodes RESP2 bytes into Python values (bytes, int, list, None,
    ('error', text), ('status', text)) for structural comparisons."""
    def parse(p):
        kind = data[p:p + 1]
        eol = data.index(b"\r\n", p)
        head = data[p + 1:eol]
        if kind == b"+":
            return ("status", head.decode()), eol + 2
        if kind == b"-":
            return ("error", head.decode()), eol + 2
        if kind == b":":
            return int(head), eol + 2
        if kind == b"$":
            n = int(head)
            if n < 0:
                return None, eol + 2
            return data[eol + 2:eol + 2 + n], eol + 2 + n + 2
        if kind == b"*":
            n = int(head)
            if n < 0:
                return None, eol + 2
            items, q = [], eol + 2
            for _ in range(n):
                v, q = parse(q)
                items.append(v)
            return items, q
        raise ValueError(f"bad RESP at {p}: {data[p:p + 40]!r}")

    value, _ = parse(0)
    return value


def info_field(conn, field, section=None):
    """A field of INFO (via a RespConnection), or None if absent/failed."""
    reply = conn.call("INFO", section) if section else conn.call("INFO")
    if not reply.startswith(b"$"):
        return None
    text = parse_resp(reply).decode("utf-8", "replace")
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return line[len(field) + 1:]
    return None
