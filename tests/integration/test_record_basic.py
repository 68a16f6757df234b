#!/usr/bin/python3
"""reel-server --record, end to end.

Starts reel-server with --record DIR, drives it with redis-cli (single
commands, -r repeats, a large value through -x) and with raw sockets (a
pipelined burst, a large GET whose reply needs several writes, a client that
disconnects in the middle of a request), stops it with SIGTERM, then checks
the bundle through `reel events DIR --json` and `reel inspect DIR`:

  * every line is one JSON object (and jq parses the stream);
  * sequence numbers run 1..N without gaps, timestamps never go back;
  * for every accepted fd, the bytes read sum to exactly what that client
    sent, and each read's stream offset is the sum of the reads before it;
    for raw clients the bytes written sum to exactly what they received;
  * every fd in an epoll_wait result was registered with epoll_ctl on that
    epoll fd (and not deleted or closed since);
  * meta.json is complete: counts match the log, nothing dropped, keyspace
    digest present;
  * damaged logs: a torn tail still prints every whole record (exit 1), a
    garbage header and a missing bundle are one-line errors with exit 2.

The `reel` binary is expected beside reel-server (both are built into the
build directory's top level); --reel PATH overrides it.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import harness

CLI_TIMEOUT_S = 30
EPOLL_CTL_ADD, EPOLL_CTL_DEL = "add", "del"


def reel_path(server_path):
    return os.environ.get("REEL_CLI") or os.path.join(os.path.dirname(server_path), "reel")


def run_cli(port, args, stdin=None):
    p = subprocess.run(["redis-cli", "-h", harness.HOST, "-p", str(port), *args],
                       input=stdin, capture_output=True, timeout=CLI_TIMEOUT_S)
    return p.stdout, p.returncode


def body(args, r):
    reel = reel_path(args.server)
    if not os.access(reel, os.X_OK):
        r.ok(f"reel CLI found at {reel}", False, "build the `reel` target")
        return
    work = tempfile.mkdtemp(prefix="reel-record-it-")
    try:
        run(args, r, reel, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(args, r, reel, work):
    bundle = os.path.join(work, "bundle")
    server = harness.start_reel(args.server, ["--record", bundle])
    port = server.port

    # What each connection sends (and, for raw clients, receives), in
    # connection order. The harness's readiness probe connects once first.
    sent = [b""]
    received = [None]

    def cli(cli_args, stdin=None, repeat=1):
        out, code = run_cli(port, cli_args, stdin)
        r.eq(f"redis-cli {' '.join(a[:20] for a in cli_args)} exit code", code, 0)
        cmd = [a for a in cli_args if a not in ("-x",)]
        if "-r" in cmd:
            i = cmd.index("-r")
            repeat = int(cmd[i + 1])
            cmd = cmd[:i] + cmd[i + 2:]
        payload = [c.encode() for c in cmd]
        if stdin is not None:
            payload.append(stdin)
        sent.append(harness.encode_command(payload) * repeat)
        received.append(None)  # redis-cli's wire bytes are not visible to us
        return out

    r.eq("SET via redis-cli", cli(["SET", "greeting", "hello"]), b"OK\n")
    r.eq("GET via redis-cli", cli(["GET", "greeting"]), b"hello\n")
    r.eq("INCR repeated", cli(["-r", "5", "INCR", "counter"]), b"1\n2\n3\n4\n5\n")
    big = bytes((i * 7 + 3) % 251 for i in range(300_000))
    r.eq("SET a 300 KB value with -x", cli(["-x", "SET", "big"], stdin=big), b"OK\n")
    r.eq("RPUSH", cli(["RPUSH", "list", "a", "b", "c"]), b"3\n")

    # A pipelined burst on a raw connection.
    with harness.RespConnection(port) as c:
        burst = b"".join(harness.encode_command(["SET", f"k{i}", f"v{i}"]) for i in range(200))
        burst += harness.encode_command(["DBSIZE"])
        c.send(burst)
        got = b"".join(c.read_reply() for _ in range(201))
        r.eq("pipelined burst replies", got, b"+OK\r\n" * 200 + b":204\r\n")
        sent.append(burst)
        received.append(got)

    # A large GET: the 300 KB reply takes several (partial) writes.
    with harness.RespConnection(port) as c:
        req = harness.encode_command(["GET", "big"])
        got = c.call("GET", "big")
        r.eq("large GET reply", got, b"$300000\r\n" + big + b"\r\n")
        sent.append(req)
        received.append(got)

    # A client that leaves in the middle of a request.
    with harness.RespConnection(port) as c:
        partial = b"*3\r\n$3\r\nSET\r\n$4\r\nhalf"
        c.send(partial)
        sent.append(partial)
        received.append(b"")

    # Let the server see the last disconnect before stopping it.
    with harness.RespConnection(port) as c:
        last = harness.encode_command(["PING"])
        r.eq("PING", c.call("PING"), b"+PONG\r\n")
        sent.append(last)
        received.append(b"+PONG\r\n")

    r.check_stopped_cleanly(server)

    # ------------------------------------------------------------ the log
    p = subprocess.run([reel, "events", bundle, "--json"], capture_output=True,
                       timeout=CLI_TIMEOUT_S)
    r.eq("reel events exit code", p.returncode, 0)
    r.eq("reel events stderr", p.stderr, b"")
    lines = p.stdout.decode().splitlines()
    events = []
    for i, line in enumerate(lines):
        try:
            obj = json.loads(line)
        except ValueError as e:
            r.ok(f"line {i + 1} is JSON", False, f"{e}: {line[:200]}")
            return
        events.append(obj)
    r.ok("one JSON object per line", all(isinstance(e, dict) for e in events))
    if shutil.which("jq"):
        jq = subprocess.run(["jq", "-c", "select(.kind == \"accept4\") | .ret"], input=p.stdout,
                            capture_output=True, timeout=CLI_TIMEOUT_S)
        r.eq("jq parses the stream", jq.returncode, 0)
    r.eq("sequence numbers 1..N", [e["seq"] for e in events], list(range(1, len(events) + 1)))
    r.ok("timestamps never go back",
         all(a["ts_ns"] <= b["ts_ns"] for a, b in zip(events, events[1:])))
    kinds = {e["kind"] for e in events}
    for k in ("epoll_create", "socket", "bind", "listen", "epoll_ctl", "epoll_wait", "accept4",
              "read", "write", "close", "clock", "random", "stop_requested"):
        r.ok(f"log has {k} records", k in kinds, f"kinds: {sorted(kinds)}")

    # Per connection: reads and writes between accept4 and close.
    conns = []
    open_conn = {}
    for e in events:
        if e["kind"] == "accept4" and e["ret"] >= 0:
            c = {"fd": e["ret"], "peer": e.get("peer"), "in": 0, "out": 0, "offsets_ok": True,
                 "closed": False}
            open_conn[e["ret"]] = c
            conns.append(c)
        elif e["kind"] in ("read", "write", "writev") and e["fd"] in open_conn:
            c = open_conn[e["fd"]]
            key = "in" if e["kind"] == "read" else "out"
            if e["offset"] != c[key]:
                c["offsets_ok"] = False
            if e["ret"] > 0:
                c[key] += e["ret"]
        elif e["kind"] == "close" and e["fd"] in open_conn:
            open_conn.pop(e["fd"])["closed"] = True
    r.eq("accepted connections", len(conns), len(sent))
    for i, (c, want_in, want_out) in enumerate(zip(conns, sent, received)):
        r.eq(f"connection {i} (fd {c['fd']}): bytes read == bytes the client sent", c["in"],
             len(want_in))
        if want_out is not None:
            r.eq(f"connection {i}: bytes written == bytes the client received", c["out"],
                 len(want_out))
        r.ok(f"connection {i}: stream offsets are running sums", c["offsets_ok"])
        r.ok(f"connection {i}: closed", c["closed"])
        r.ok(f"connection {i}: peer address recorded",
             isinstance(c["peer"], str) and c["peer"].startswith("127.0.0.1:"), c["peer"])
    big_get = conns[len(conns) - 3] if len(conns) >= 3 else None
    if big_get is not None:
        writes = [e for e in events if e["kind"] in ("write", "writev") and e["fd"] ==
                  big_get["fd"] and e["ret"] > 0]
        r.ok("the large reply shows up as write records", len(writes) >= 1, writes[:3])

    # epoll: every ready fd was registered on that epoll fd.
    registered = {}
    bad, bad_len = [], []
    for e in events:
        if e["kind"] == "epoll_create" and e["ret"] >= 0:
            registered[e["ret"]] = set()
        elif e["kind"] == "epoll_ctl" and e["ret"] == 0:
            s = registered.setdefault(e["epfd"], set())
            if e["op"] == EPOLL_CTL_ADD:
                s.add(e["fd"])
            elif e["op"] == EPOLL_CTL_DEL:
                s.discard(e["fd"])
        elif e["kind"] == "close":
            for s in registered.values():
                s.discard(e["fd"])
        elif e["kind"] == "epoll_wait" and e["ret"] > 0:
            if len(e["ready"]) != e["ret"]:
                bad_len.append(e["seq"])
            for ev in e["ready"]:
                if ev["data"] not in registered.get(e["epfd"], set()):
                    bad.append((e["seq"], ev))
    r.eq("ready fds not registered with epoll_ctl", bad, [])
    r.eq("epoll_wait records whose ready array length != result", bad_len, [])
    r.ok("some epoll_wait returned ready fds",
         any(e["kind"] == "epoll_wait" and e["ret"] > 0 for e in events))

    # ------------------------------------------------------------ meta.json
    with open(os.path.join(bundle, "meta.json")) as f:
        meta = json.load(f)
    r.eq("meta status", meta.get("status"), "complete")
    r.eq("meta records.total == log records", meta.get("records", {}).get("total"), len(events))
    r.eq("meta records.dropped", meta.get("records", {}).get("dropped"), 0)
    r.eq("meta listen address", meta.get("listen_address"), f"{harness.HOST}:{port}")
    r.ok("meta keyspace digest", isinstance(meta.get("final_keyspace_digest"), str) and
         len(meta["final_keyspace_digest"]) >= 16, meta.get("final_keyspace_digest"))
    r.eq("meta clock pairs at start and stop", len(meta.get("clock_pairs", [])), 2)
    r.ok("meta command line", "--record" in meta.get("command_line", []))

    p = subprocess.run([reel, "inspect", bundle], capture_output=True, timeout=CLI_TIMEOUT_S)
    r.eq("reel inspect exit code", p.returncode, 0)
    text = p.stdout.decode()
    r.ok("inspect counts the connections", f"connections:  {len(sent)} accepted" in text, text)
    total_in = sum(len(s) for s in sent)
    r.ok("inspect sums the bytes read", f"bytes:        {total_in} client->server" in text, text)
    r.ok("inspect reports no drops", "drops:        none" in text, text)

    # ------------------------------------------------------------ damage
    log = os.path.join(bundle, "events.reel")
    with open(log, "rb") as f:
        data = f.read()
    torn = os.path.join(work, "torn.reel")
    with open(torn, "wb") as f:
        f.write(data[:-3])
    p = subprocess.run([reel, "events", torn, "--json"], capture_output=True,
                       timeout=CLI_TIMEOUT_S)
    r.eq("torn log: exit code 1", p.returncode, 1)
    r.eq("torn log: every whole record printed", len(p.stdout.decode().splitlines()),
         len(events) - 1)
    err = p.stderr.decode()
    r.ok("torn log: one warning line naming the damage",
         err.count("\n") == 1 and "torn record at offset" in err, err)

    garbage = os.path.join(work, "garbage.reel")
    with open(garbage, "wb") as f:
        f.write(b"this is not an event log\n")
    for name, argv in (("garbage header", [reel, "events", garbage, "--json"]),
                       ("missing bundle", [reel, "inspect", os.path.join(work, "nope")]),
                       ("newer major version", None)):
        if argv is None:
            newer = os.path.join(work, "v2.reel")
            with open(newer, "wb") as f:
                f.write(data[:8] + b"\x02\x00" + data[10:])
            argv = [reel, "events", newer]
        p = subprocess.run(argv, capture_output=True, timeout=CLI_TIMEOUT_S)
        err = p.stderr.decode()
        r.eq(f"{name}: exit code 2", p.returncode, 2)
        r.ok(f"{name}: one-line message", err.count("\n") == 1 and err.startswith("reel "), err)
        r.eq(f"{name}: nothing on stdout", p.stdout, b"")
    r.ok("newer major version message", "version 2.0 is not supported" in err, err)


if __name__ == "__main__":
    # harness.parse_args knows only --server and -v: take --reel PATH out first.
    if "--reel" in sys.argv:
        i = sys.argv.index("--reel")
        if i + 1 < len(sys.argv):
            os.environ["REEL_CLI"] = os.path.abspath(sys.argv[i + 1])
        del sys.argv[i:i + 2]
    harness.run_main(body, __doc__.splitlines()[0])
