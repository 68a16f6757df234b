#!/usr/bin/python3
"""Drives reel-server with the real redis-cli (Debian's, Redis 7.0).

Each case runs `redis-cli --no-raw` with one command and compares its stdout
exactly, so reply types (status, bulk, integer, nil, arrays, errors) must be
encoded as Redis does. The same sequence is run on a fresh Debian
redis-server, whose output must equal the expectation too: that keeps the
expectations honest Redis 7.0 behaviour. Also covers redis-cli's stdin line
mode, -x, -r, --pipe and --scan, and an inline `PING\\nPING\\n` over a raw
socket.
"""

import re
import shlex
import subprocess

import harness

CLI = "redis-cli"
CLI_TIMEOUT_S = 20


def cli(port, args, stdin=None, extra=("--no-raw",)):
    p = subprocess.run([CLI, "-h", harness.HOST, "-p", str(port), *extra, *args],
                       input=stdin, capture_output=True, timeout=CLI_TIMEOUT_S)
    return p.stdout.decode("utf-8", "replace"), p.returncode


def arr(*items):
    """redis-cli's --no-raw rendering of a flat array."""
    if not items:
        return "(empty array)\n"
    width = len(str(len(items)))
    return "".join(f"{str(i + 1).rjust(width)}) {v}\n" for i, v in enumerate(items))


def q(s):
    return f'"{s}"'


def integer(n):
    return f"(integer) {n}\n"


def err(msg):
    return f"(error) {msg}\n"


OK = "OK\n"
NIL = "(nil)\n"
WRONGTYPE = err("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_INT = err("ERR value is not an integer or out of range")

# (command line, expected stdout) run in order on one fresh server. An
# expected value may be a function(stdout) -> bool for non-deterministic
# replies.
CASES = [
    # connection
    ("PING", "PONG\n"),
    ("PING hello", q("hello") + "\n"),
    ("ECHO 'a b'", q("a b") + "\n"),
    ("SELECT 0", OK),
    ("SELECT 99", err("ERR DB index is out of range")),
    # strings
    ("SET str hello", OK),
    ("GET str", q("hello") + "\n"),
    ("GET missing", NIL),
    ("APPEND str ' world'", integer(11)),
    ("STRLEN str", integer(11)),
    ("GETRANGE str 0 4", q("hello") + "\n"),
    ("SETRANGE str 6 WORLD", integer(11)),
    ("GET str", q("hello WORLD") + "\n"),
    ("SET n 10", OK),
    ("INCR n", integer(11)),
    ("INCRBY n 5", integer(16)),
    ("DECR n", integer(15)),
    ("DECRBY n 20", integer(-5)),
    ("INCR str", NOT_INT),
    ("INCRBYFLOAT f 1.5", q("1.5") + "\n"),
    ("INCRBYFLOAT f 0.25", q("1.75") + "\n"),
    ("SETNX str x", integer(0)),
    ("MSET a 1 b 2 c 3", OK),
    ("MGET a b nokey c", arr(q(1), q(2), "(nil)", q(3))),
    ("MSETNX a 9 zz 9", integer(0)),
    ("GETSET a 100", q(1) + "\n"),
    ("GETDEL b", q(2) + "\n"),
    ("GET b", NIL),
    ("SET ex v EX 100", OK),
    ("TTL ex", integer(100)),
    ("GETEX ex PERSIST", q("v") + "\n"),
    ("TTL ex", integer(-1)),
    ("SET str v NX", NIL),
    ("SET str v2 XX GET", q("hello WORLD") + "\n"),
    ("SET k v XX NX", err("ERR syntax error")),
    ("SETEX se 100 v", OK),
    ("SETEX se 0 v", err("ERR invalid expire time in 'setex' command")),
    ("SET", err("ERR wrong number of arguments for 'set' command")),
    # keys
    ("EXISTS a str missing", integer(2)),
    ("TYPE str", "string\n"),
    ("TYPE missing", "none\n"),
    ("DEL a missing", integer(1)),
    ("UNLINK c", integer(1)),
    ("RENAME str str2", OK),
    ("RENAME missing x", err("ERR no such key")),
    ("RENAMENX str2 n", integer(0)),
    ("EXPIRE str2 100", integer(1)),
    ("TTL str2", integer(100)),
    ("PERSIST str2", integer(1)),
    ("TTL str2", integer(-1)),
    ("TTL missing", integer(-2)),
    ("EXPIRE str2 abc", NOT_INT),
    ("EXPIREAT str2 1", integer(1)),
    ("EXISTS str2", integer(0)),
    ("KEYS n", arr(q("n"))),
    ("KEYS nomatch*", arr()),
    # lists
    ("RPUSH l a b c", integer(3)),
    ("LPUSH l z", integer(4)),
    ("LRANGE l 0 -1", arr(q("z"), q("a"), q("b"), q("c"))),
    ("LLEN l", integer(4)),
    ("LINDEX l 1", q("a") + "\n"),
    ("LPOP l", q("z") + "\n"),
    ("RPOP l", q("c") + "\n"),
    ("LPOP l 5", arr(q("a"), q("b"))),
    ("LPOP l", NIL),
    ("TYPE l", "none\n"),
    ("RPUSH l2 1 2 3 2 1", integer(5)),
    ("LREM l2 0 2", integer(2)),
    ("LINSERT l2 BEFORE 3 x", integer(4)),
    ("LSET l2 0 first", OK),
    ("LSET l2 99 x", err("ERR index out of range")),
    ("LTRIM l2 0 1", OK),
    ("LRANGE l2 0 -1", arr(q("first"), q("x"))),
    ("LPOS l2 x", integer(1)),
    ("LRANGE nolist 0 -1", arr()),
    ("LPUSH n x", WRONGTYPE),
    # hashes
    ("HSET h f1 v1 f2 v2", integer(2)),
    ("HGET h f1", q("v1") + "\n"),
    ("HGET h nof", NIL),
    ("HMGET h f1 nof", arr(q("v1"), "(nil)")),
    ("HLEN h", integer(2)),
    ("HEXISTS h f1", integer(1)),
    ("HDEL h f2", integer(1)),
    ("HGETALL h", arr(q("f1"), q("v1"))),
    ("HINCRBY h cnt 5", integer(5)),
    ("HINCRBYFLOAT h fl 2.5", q("2.5") + "\n"),
    ("HSETNX h f1 x", integer(0)),
    ("HSTRLEN h f1", integer(2)),
    ("HINCRBY h f1 1", err("ERR hash value is not an integer")),
    ("HSET h f1", err("ERR wrong number of arguments for 'hset' command")),
    ("HGET n f", WRONGTYPE),
    # sets
    ("SADD s a b c", integer(3)),
    ("SADD s a", integer(0)),
    ("SCARD s", integer(3)),
    ("SISMEMBER s a", integer(1)),
    ("SMISMEMBER s a x", arr("(integer) 1", "(integer) 0")),
    ("SREM s b c", integer(2)),
    ("SMEMBERS s", arr(q("a"))),
    ("SADD s2 a x", integer(2)),
    ("SINTER s s2", arr(q("a"))),
    ("SDIFF s2 s", arr(q("x"))),
    ("SINTERSTORE dst s s2", integer(1)),
    ("SMOVE s2 s x", integer(1)),
    ("SCARD s", integer(2)),
    ("SADD n x", WRONGTYPE),
    # sorted sets
    ("ZADD z 1 a 2 b 3 c", integer(3)),
    ("ZSCORE z b", q("2") + "\n"),
    ("ZRANGE z 0 -1 WITHSCORES", arr(q("a"), q(1), q("b"), q(2), q("c"), q(3))),
    ("ZRANK z c", integer(2)),
    ("ZREVRANK z c", integer(0)),
    ("ZINCRBY z 1.5 a", q("2.5") + "\n"),
    ("ZCARD z", integer(3)),
    ("ZCOUNT z 2 3", integer(3)),
    ("ZRANGEBYSCORE z (2 +inf", arr(q("a"), q("c"))),
    ("ZREVRANGE z 0 0", arr(q("c"))),
    ("ZREM z b", integer(1)),
    ("ZPOPMIN z", arr(q("a"), q("2.5"))),
    ("ZSCORE z nomember", NIL),
    ("ZADD z NX XX 1 a",
     err("ERR XX and NX options at the same time are not compatible")),
    ("ZADD z abc a", err("ERR value is not a valid float")),
    ("ZADD n 1 a", WRONGTYPE),
    # server
    ("DBSIZE", integer(10)),  # n f ex se l2 h s s2 dst z
    ("CONFIG GET maxclients", arr(q("maxclients"), q("10000"))),
    ("CONFIG SET maxclients 9999", OK),
    ("CONFIG GET maxclients", arr(q("maxclients"), q("9999"))),
    ("CONFIG GET nosuchparam", arr()),
    ("INFO server", lambda out: out.startswith("# Server\r\n") and "redis_version:" in out),
    ("TIME", lambda out: re.fullmatch(r'1\) "\d{10}"\n2\) "\d{1,6}"\n', out) is not None),
    ("COMMAND COUNT", lambda out: re.fullmatch(r"\(integer\) \d+\n", out) is not None),
    ("CLIENT ID", lambda out: re.fullmatch(r"\(integer\) \d+\n", out) is not None),
    ("FLUSHDB", OK),
    ("DBSIZE", integer(0)),
    ("FLUSHALL", OK),
]


def run_cases(port):
    """Runs CASES; returns [(line, stdout, exit code)]."""
    out = []
    for line, _ in CASES:
        stdout, rc = cli(port, shlex.split(line))
        out.append((line, stdout, rc))
    return out


def matches(expected, got):
    return expected(got) if callable(expected) else got == expected


def check_cases(results, label, outputs):
    for (line, expected), (_, got, rc) in zip(CASES, outputs):
        name = f"{label}: redis-cli {line}"
        if callable(expected):
            results.ok(name, expected(got), f"unexpected output {got!r}")
        else:
            results.eq(name, got, expected)
        results.eq(f"{name}: exit code", rc, 0)


def run_extras(port):
    """Modes other than one-command-per-process; returns {name: output}."""
    out = {}
    # Several commands on stdin, one connection: CLIENT SETNAME sticks.
    out["stdin line mode"] = cli(
        port, [], stdin=b'CLIENT SETNAME itest\nCLIENT GETNAME\nSET sp "x y"\nGET sp\nDEL sp\n')
    out["-x reads the last argument from stdin"] = (
        cli(port, ["-x", "SET", "xk"], stdin=b"v\x01\nz"), cli(port, ["STRLEN", "xk"]))
    out["-r 3 repeats"] = cli(port, ["-r", "3", "PING"])
    pipe_in = b"".join(harness.encode_command(c) for c in
                       [["SET", "p1", "a"], ["INCR", "pc"], ["INCR", "pc"], ["GET", "p1"],
                        ["LPUSH", "p1", "x"]])
    pipe_in += b"PING\r\n"  # --pipe passes inline commands through as well
    out["--pipe"] = cli(port, ["--pipe"], stdin=pipe_in, extra=())
    out["--pipe result"] = cli(port, ["GET", "pc"])
    for k in ("scan:a", "scan:b", "scan:c", "other"):
        cli(port, ["SET", k, "1"])
    stdout, rc = cli(port, ["--scan", "--pattern", "scan:*"], extra=())
    out["--scan --pattern"] = ("".join(sorted(stdout.splitlines(keepends=True))), rc)
    out["--raw GET of binary"] = cli(port, ["GET", "xk"], extra=("--raw",))
    return out


EXTRAS_EXPECTED = {
    "stdin line mode": ('OK\n"itest"\nOK\n"x y"\n(integer) 1\n', 0),
    "-x reads the last argument from stdin": ((OK, 0), (integer(4), 0)),
    "-r 3 repeats": ("PONG\nPONG\nPONG\n", 0),
    "--pipe": ("All data transferred. Waiting for the last reply...\n"
               "Last reply received from server.\nerrors: 1, replies: 6\n", 1),
    "--pipe result": (q(2) + "\n", 0),
    "--scan --pattern": ("scan:a\nscan:b\nscan:c\n", 0),
    "--raw GET of binary": ("v\x01\nz\n", 0),
}


def check_inline_socket(results, port):
    with harness.RespConnection(port) as c:
        c.send(b"PING\nPING\n")
        got = c.read_reply() + c.read_reply()
    results.eq("raw socket: inline PING\\nPING\\n answers twice", got, b"+PONG\r\n+PONG\r\n")


def main(args, results):
    reel = harness.start_reel(args.server)
    try:
        check_cases(results, "reel", run_cases(reel.port))
        extras = run_extras(reel.port)
        for name, want in EXTRAS_EXPECTED.items():
            results.eq(f"reel: {name}", extras[name], want)
        check_inline_socket(results, reel.port)
    except Exception as e:
        results.error("reel cases", e)
    results.check_stopped_cleanly(reel)

    # The oracle: the same expectations must hold for Redis 7.0 itself.
    try:
        redis = harness.start_redis()
        check_cases(results, "redis-server (oracle)", run_cases(redis.port))
        extras = run_extras(redis.port)
        for name, want in EXTRAS_EXPECTED.items():
            results.eq(f"redis-server (oracle): {name}", extras[name], want)
        redis.stop()
    except Exception as e:
        results.error("redis-server oracle", e)


if __name__ == "__main__":
    harness.run_main(main, __doc__)
