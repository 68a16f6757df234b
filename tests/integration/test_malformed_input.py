#!/usr/bin/python3
"""Malformed and edge-case protocol input over raw sockets.

Each case is sent to reel-server and checked against Redis 7.0's exact reply
bytes; protocol errors must be followed by the server closing the connection
(recv returns b'' within a timeout), never a crash or a hang. Every case is
also sent to Debian's redis-server, which must produce the same bytes: that
both proves the expectation is real Redis behaviour and makes the test
differential. After each case a fresh connection and a long-lived bystander
connection must still be served.

Further sections: clients that vanish mid-command or with megabytes of
unread replies; maxclients (the 6th of 5 gets the error and is closed);
requirepass (NOAUTH and the tighter unauthenticated protocol limits); and
the limits that end a connection (idle timeout, client-output-buffer-limit,
client-query-buffer-limit, CLIENT KILL), each checked on reel and on
redis-server against the same expectations.
"""

import socket
import struct
import time

import harness
from harness import RespConnection, encode_command, parse_resp

PING_MB = encode_command(["PING"])
PONG = b"+PONG\r\n"
BIG = 70 * 1024  # over PROTO_INLINE_MAX_SIZE (64 KB)


def count_replies(data):
    """Number of top-level RESP replies in data."""
    n, p = 0, 0
    while p < len(data):
        p = _skip(data, p)
        n += 1
    return n


def _skip(data, p):
    kind = data[p:p + 1]
    eol = data.index(b"\r\n", p)
    if kind == b"$":
        n = int(data[p + 1:eol])
        return eol + 2 if n < 0 else eol + 2 + n + 2
    if kind == b"*":
        q = eol + 2
        for _ in range(max(int(data[p + 1:eol]), 0)):
            q = _skip(data, q)
        return q
    return eol + 2


# (name, payload, expected bytes, mode)
#   mode "close": the server replies `expected` and then closes the connection.
#   mode "reply": the server replies `expected` and keeps the connection open.
# "Ignored" inputs are written as the input followed by a PING whose +PONG
# proves the parser is back in a clean state.
CASES = [
    # --- multibulk count line
    ("multibulk count not a number", b"*abc\r\n",
     b"-ERR Protocol error: invalid multibulk length\r\n", "close"),
    ("multibulk count over INT_MAX", b"*2147483648\r\n",
     b"-ERR Protocol error: invalid multibulk length\r\n", "close"),
    ("multibulk count with trailing garbage", b"*1x\r\n",
     b"-ERR Protocol error: invalid multibulk length\r\n", "close"),
    ("too big mbulk count string", b"*" + b"1" * BIG,
     b"-ERR Protocol error: too big mbulk count string\r\n", "close"),
    ("*0 is ignored", b"*0\r\n" + PING_MB, PONG, "reply"),
    ("*-10 is ignored", b"*-10\r\n" + PING_MB, PONG, "reply"),
    ("*-1 is ignored", b"*-1\r\n" + PING_MB, PONG, "reply"),
    # --- bulk length lines
    ("expected '$', got 'x'", b"*1\r\nx\r\n",
     b"-ERR Protocol error: expected '$', got 'x'\r\n", "close"),
    ("expected '$', got ':'", b"*2\r\n$4\r\nECHO\r\n:5\r\n",
     b"-ERR Protocol error: expected '$', got ':'\r\n", "close"),
    ("negative bulk length", b"*1\r\n$-5\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n", "close"),
    ("bulk length not a number", b"*1\r\n$abc\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n", "close"),
    ("bulk length over proto-max-bulk-len (512mb)", b"*1\r\n$600000000\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n", "close"),
    ("too big bulk count string", b"*1\r\n$" + b"1" * BIG,
     b"-ERR Protocol error: too big bulk count string\r\n", "close"),
    ("the CRLF after bulk data is skipped unchecked", b"*1\r\n$4\r\nPINGxx" + PING_MB,
     PONG + PONG, "reply"),
    ("empty command name", b"*1\r\n$0\r\n\r\n",
     b"-ERR unknown command '', with args beginning with: \r\n", "reply"),
    ("100 KB bulk argument", encode_command(["ECHO", "b" * 100000]),
     b"$100000\r\n" + b"b" * 100000 + b"\r\n", "reply"),
    ("command names are case-insensitive", b"pInG\r\n" + encode_command(["eChO", "x"]),
     PONG + b"$1\r\nx\r\n", "reply"),
    ("inline trailing spaces", b"PING   \r\n", PONG, "reply"),
    ("error after a valid command in the same packet",
     encode_command(["PING"]) + b"*1\r\n$-1\r\n",
     PONG + b"-ERR Protocol error: invalid bulk length\r\n", "close"),
    # --- inline protocol
    ("unbalanced double quotes", b"\"unbalanced\r\n",
     b"-ERR Protocol error: unbalanced quotes in request\r\n", "close"),
    ("unbalanced single quotes", b"SET 'k v\r\n",
     b"-ERR Protocol error: unbalanced quotes in request\r\n", "close"),
    ("closing quote followed by a non-space", b"SET \"k\"x v\r\n",
     b"-ERR Protocol error: unbalanced quotes in request\r\n", "close"),
    ("too big inline request", b"A" * BIG,
     b"-ERR Protocol error: too big inline request\r\n", "close"),
    ("bare CRLF is ignored", b"\r\n" + PING_MB, PONG, "reply"),
    ("bare LF is ignored", b"\n" + PING_MB, PONG, "reply"),
    ("blank inline line is ignored", b"   \t \r\n" + PING_MB, PONG, "reply"),
    ("inline PING twice with LF only", b"PING\nPING\n", PONG + PONG, "reply"),
    ("inline PING twice with CRLF", b"PING\r\nPING\r\n", PONG + PONG, "reply"),
    ("inline quoting and escapes",
     b"SET \"in key\" \"a\\x41\\n\" \r\nGET 'in key'\r\nECHO 'it\\'s'\r\n",
     b"+OK\r\n$3\r\naA\n\r\n$4\r\nit's\r\n", "reply"),
    ("inline and multibulk mixed in one packet",
     b"ECHO one\r\n" + encode_command(["ECHO", "two"]) + b"ECHO three\n",
     b"$3\r\none\r\n$3\r\ntwo\r\n$5\r\nthree\r\n", "reply"),
    # --- command-level errors (the connection stays open)
    ("unknown command", b"foo a b\r\n",
     b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n", "reply"),
    ("unknown command without args", encode_command(["nosuchcmd"]),
     b"-ERR unknown command 'nosuchcmd', with args beginning with: \r\n", "reply"),
    ("unknown command: CR/LF in an argument become spaces",
     encode_command(["foo", "a\r\nb"]),
     b"-ERR unknown command 'foo', with args beginning with: 'a  b' \r\n", "reply"),
    ("unknown command: long arguments truncated at 128 chars",
     encode_command(["foo", "x" * 100, "y" * 100, "z"]),
     b"-ERR unknown command 'foo', with args beginning with: '" + b"x" * 100 + b"' '"
     + b"y" * 25 + b"' \r\n", "reply"),
    ("unknown command: long name truncated at 128 chars", encode_command(["q" * 200]),
     b"-ERR unknown command '" + b"q" * 128 + b"', with args beginning with: \r\n", "reply"),
    ("wrong number of arguments", encode_command(["GET"]),
     b"-ERR wrong number of arguments for 'get' command\r\n", "reply"),
    ("wrong number of arguments (mixed case name)", encode_command(["sEt", "k"]),
     b"-ERR wrong number of arguments for 'set' command\r\n", "reply"),
    ("wrong type", encode_command(["SET", "s", "v"]) + encode_command(["LPUSH", "s", "x"]),
     b"+OK\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n", "reply"),
    ("not an integer", encode_command(["SET", "n", "abc"]) + encode_command(["INCR", "n"]),
     b"+OK\r\n-ERR value is not an integer or out of range\r\n", "reply"),
    ("syntax error", encode_command(["SET", "k", "v", "XX", "NX"]),
     b"-ERR syntax error\r\n", "reply"),
    ("empty bulk argument is a valid command", encode_command(["ECHO", ""]),
     b"$0\r\n\r\n", "reply"),
    ("binary argument with CRLF and NUL", encode_command(["ECHO", b"a\r\n\x00b"]),
     b"$5\r\na\r\n\x00b\r\n", "reply"),
    ("QUIT replies OK and closes", encode_command(["QUIT"]) + PING_MB, b"+OK\r\n", "close"),
]


def run_case(port, payload, expected, mode):
    """Returns (reply bytes, closed?) for one case on a fresh connection."""
    with RespConnection(port) as c:
        try:
            c.send(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close while a big payload is still going out
        if mode == "close":
            return c.read_until_closed(timeout_s=5.0)
        got = b""
        try:
            for _ in range(count_replies(expected)):
                got += c.read_reply()
        except (socket.timeout, ConnectionError, ValueError) as e:
            return got + f"<{type(e).__name__}: {e}>".encode(), True
        # Still open: a PING must get a reply (+PONG, or -NOAUTH before AUTH).
        try:
            c.call("PING")
        except (socket.timeout, ConnectionError):
            return got, True
        return got, False


def run_byte_by_byte(port, payload):
    """Sends payload one byte per write (each a separate TCP segment) and
    returns the replies: the parser must resume across reads."""
    with RespConnection(port) as c:
        for b in payload:
            c.send(bytes([b]))
            time.sleep(0.001)
        return c.read_reply() + c.read_reply()


def check_serving(results, name, port, bystander):
    with RespConnection(port, timeout_s=5) as c:
        results.eq(f"{name}: a new connection is served afterwards", c.call("PING"), PONG)
    results.eq(f"{name}: the bystander connection is still served", bystander.call("PING"), PONG)


def test_cases(results, reel, redis):
    bystander = RespConnection(reel.port)
    for name, payload, expected, mode in CASES:
        try:
            got, closed = run_case(reel.port, payload, expected, mode)
            results.eq(f"{name}: reel reply", got, expected)
            if mode == "close":
                results.ok(f"{name}: reel closed the connection", closed,
                           "the connection was still open after 5s")
            else:
                results.ok(f"{name}: reel kept the connection open", not closed)
            if redis is not None:
                rgot, rclosed = run_case(redis.port, payload, expected, mode)
                results.eq(f"{name}: same bytes as redis-server", got, rgot)
                results.eq(f"{name}: same close behaviour as redis-server", closed, rclosed)
            results.ok(f"{name}: reel-server still running", reel.alive(), reel.log_tail())
            if not reel.alive():
                return
            check_serving(results, name, reel.port, bystander)
        except Exception as e:
            results.error(name, e)
    # Incremental parsing: a multibulk command split into one-byte writes.
    payload = encode_command(["SET", "split", "value"]) + encode_command(["GET", "split"])
    try:
        results.eq("multibulk split into 1-byte writes", run_byte_by_byte(reel.port, payload),
                   b"+OK\r\n$5\r\nvalue\r\n")
        results.eq("inline split into 1-byte writes",
                   run_byte_by_byte(reel.port, b"SET split2 v2\r\nGET split2\r\n"),
                   b"+OK\r\n$2\r\nv2\r\n")
    except Exception as e:
        results.error("split writes", e)
    test_abrupt_disconnects(results, reel, bystander)
    bystander.close()


def test_abrupt_disconnects(results, reel, bystander):
    """Clients that vanish mid-command or with megabytes of unread replies
    must not take the server down or stall other clients."""
    scenarios = [
        ("close after half a multibulk command", b"*3\r\n$3\r\nSET\r\n$1\r\n"),
        ("close after half an inline command", b"SET a"),
        ("close after a bulk length promising 100 MB", b"*2\r\n$4\r\nECHO\r\n$100000000\r\nxx"),
    ]
    for name, payload in scenarios:
        try:
            with RespConnection(reel.port) as c:
                c.send(payload)
            time.sleep(0.05)
            results.ok(f"{name}: reel-server still running", reel.alive(), reel.log_tail())
            check_serving(results, name, reel.port, bystander)
        except Exception as e:
            results.error(name, e)
    name = "close with 40 MB of replies unread"
    try:
        with RespConnection(reel.port) as c:
            c.call("SET", "big", "v" * (2 << 20))
            c.send(encode_command(["GET", "big"]) * 20)
            c.sock.recv(1024)  # some output has started flowing
            # SO_LINGER 0: close with a reset while the server is mid-write.
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        time.sleep(0.2)
        results.ok(f"{name}: reel-server still running", reel.alive(), reel.log_tail())
        check_serving(results, name, reel.port, bystander)
        with RespConnection(reel.port, timeout_s=30) as c:
            c.send(encode_command(["GET", "big"]) * 20)
            time.sleep(0.3)  # let the server hit a full socket buffer first
            got = [len(c.read_reply()) for _ in range(20)]
        results.eq("slow reader then reads 20 x 2 MB replies intact", got,
                   [len(b"$2097152\r\n") + (2 << 20) + 2] * 20)
    except Exception as e:
        results.error(name, e)


def test_maxclients(results, server_path):
    """With maxclients 5 the 6th connection gets the error and is closed;
    the first five keep working; closing one frees a slot."""
    def scenario(port):
        conns = []
        out = {}
        try:
            for _ in range(5):
                c = RespConnection(port)
                c.call("PING")  # make sure the server registered it
                conns.append(c)
            with RespConnection(port) as sixth:
                out["sixth"] = sixth.read_until_closed(timeout_s=5.0)
            out["others"] = [c.call("PING") for c in conns]
            conns.pop().close()
            deadline = time.monotonic() + 5
            while True:  # the server notices the close asynchronously
                with RespConnection(port) as again:
                    try:
                        r = again.call("PING")
                    except ConnectionError:
                        r = b""
                if r == PONG or time.monotonic() > deadline:
                    out["after_close"] = r
                    break
                time.sleep(0.05)
        finally:
            for c in conns:
                c.close()
        return out

    reel = harness.start_reel(server_path, ["--maxclients", "5"])
    try:
        got = scenario(reel.port)
        results.eq("maxclients: 6th connection gets the error and is closed", got["sixth"],
                   (b"-ERR max number of clients reached\r\n", True))
        results.eq("maxclients: the first five still work", got["others"], [PONG] * 5)
        results.eq("maxclients: a slot frees up after a close", got["after_close"], PONG)
    except Exception as e:
        results.error("maxclients scenario on reel", e)
    results.check_stopped_cleanly(reel)
    try:
        redis = harness.start_redis(["--maxclients", "5"])
        rgot = scenario(redis.port)
        redis.stop()
        results.eq("maxclients: same as redis-server", got, rgot)
    except Exception as e:
        results.error("maxclients scenario on redis-server", e)


def connection_limits_scenario(port):
    """Limits that end a connection: idle timeout, output buffer hard limit,
    query buffer limit, CLIENT KILL. Returns {step: observation}."""
    out = {}
    with RespConnection(port) as admin:
        out["CONFIG SET timeout 1"] = admin.call("CONFIG", "SET", "timeout", "1")
        idle = RespConnection(port)
        idle.call("PING")
        data, closed = idle.read_until_closed(timeout_s=6)
        out["an idle client is closed after the timeout"] = (data, closed)
        idle.close()
    with RespConnection(port) as admin:  # the old one was idle too long
        admin.call("CONFIG", "SET", "timeout", "0")
        out["CONFIG SET client-output-buffer-limit"] = admin.call(
            "CONFIG", "SET", "client-output-buffer-limit", "normal 1mb 0 0")
        admin.call("SET", "big", "x" * (512 * 1024))
        with RespConnection(port) as slow:
            slow.send(encode_command(["GET", "big"]) * 40)  # 20 MB of replies, unread
            time.sleep(1.0)
            data, closed = slow.read_until_closed(timeout_s=5)
        out["over the hard output limit the client is closed"] = (
            closed, len(data) < 40 * (512 * 1024 + 11))
        admin.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
        out["CONFIG SET client-query-buffer-limit 1mb"] = admin.call(
            "CONFIG", "SET", "client-query-buffer-limit", "1mb")
        with RespConnection(port) as big:
            try:
                big.send(b"*2\r\n$4\r\nECHO\r\n$3000000\r\n" + b"y" * 1500000)
            except OSError:
                pass
            out["over the query buffer limit the client is closed silently"] = (
                big.read_until_closed(timeout_s=5))
        admin.call("CONFIG", "SET", "client-query-buffer-limit", "1gb")
        with RespConnection(port) as victim:
            victim_id = parse_resp(victim.call("CLIENT", "ID"))
            out["CLIENT KILL ID"] = admin.call("CLIENT", "KILL", "ID", str(victim_id))
            out["the killed client is closed"] = victim.read_until_closed(timeout_s=3)
        out["CLIENT KILL ID of a gone client"] = admin.call("CLIENT", "KILL", "ID",
                                                            str(victim_id))
        out["CLIENT KILL of an unknown address"] = admin.call("CLIENT", "KILL", "1.2.3.4:5")
        out["the admin connection still works"] = admin.call("PING")
    return out


CONNECTION_LIMITS_EXPECTED = {
    "CONFIG SET timeout 1": b"+OK\r\n",
    "an idle client is closed after the timeout": (b"", True),
    "CONFIG SET client-output-buffer-limit": b"+OK\r\n",
    "over the hard output limit the client is closed": (True, True),
    "CONFIG SET client-query-buffer-limit 1mb": b"+OK\r\n",
    "over the query buffer limit the client is closed silently": (b"", True),
    "CLIENT KILL ID": b":1\r\n",
    "the killed client is closed": (b"", True),
    "CLIENT KILL ID of a gone client": b":0\r\n",
    "CLIENT KILL of an unknown address": b"-ERR No such client\r\n",
    "the admin connection still works": PONG,
}


def test_connection_limits(results, server_path):
    for label, start in (("reel", lambda: harness.start_reel(server_path)),
                         ("redis-server (oracle)", harness.start_redis)):
        try:
            server = start()
        except Exception as e:
            results.error(f"connection limits: start {label}", e)
            continue
        try:
            got = connection_limits_scenario(server.port)
            for step, want in CONNECTION_LIMITS_EXPECTED.items():
                results.eq(f"connection limits: {label}: {step}", got.get(step), want)
        except Exception as e:
            results.error(f"connection limits: {label}", e)
        if label == "reel":
            results.check_stopped_cleanly(server)
        else:
            server.stop()


def test_requirepass(results, server_path):
    """Before AUTH, Redis applies tighter protocol limits and NOAUTH."""
    cases = [
        ("NOAUTH before AUTH", encode_command(["GET", "k"]),
         b"-NOAUTH Authentication required.\r\n", "reply"),
        ("unauthenticated multibulk length", b"*11\r\n",
         b"-ERR Protocol error: unauthenticated multibulk length\r\n", "close"),
        ("unauthenticated bulk length", b"*1\r\n$16385\r\n",
         b"-ERR Protocol error: unauthenticated bulk length\r\n", "close"),
        ("AUTH with a wrong password", encode_command(["AUTH", "nope"]),
         b"-WRONGPASS invalid username-password pair or user is disabled.\r\n", "reply"),
        ("AUTH then a command", encode_command(["AUTH", "s3cret"]) + encode_command(["ECHO", "x"]),
         b"+OK\r\n$1\r\nx\r\n", "reply"),
        ("after AUTH the normal limits apply",
         encode_command(["AUTH", "s3cret"]) + encode_command(["ECHO", "y" * 20000]),
         b"+OK\r\n$20000\r\n" + b"y" * 20000 + b"\r\n", "reply"),
    ]
    reel = harness.start_reel(server_path, ["--requirepass", "s3cret"])
    try:
        redis = harness.start_redis(["--requirepass", "s3cret"])
    except Exception as e:
        results.error("requirepass: start redis-server", e)
        redis = None
    for name, payload, expected, mode in cases:
        try:
            got, closed = run_case(reel.port, payload, expected, mode)
            results.eq(f"requirepass: {name}: reel reply", (got, closed),
                       (expected, mode == "close"))
            if redis is not None:
                results.eq(f"requirepass: {name}: same as redis-server", (got, closed),
                           run_case(redis.port, payload, expected, mode))
        except Exception as e:
            results.error(f"requirepass: {name}", e)
    results.check_stopped_cleanly(reel)
    if redis is not None:
        redis.stop()


def main(args, results):
    reel = harness.start_reel(args.server)
    try:
        redis = harness.start_redis()
    except Exception as e:
        results.error("start redis-server (differential oracle)", e)
        redis = None
    test_cases(results, reel, redis)
    results.check_stopped_cleanly(reel)
    if redis is not None:
        redis.stop()
    test_maxclients(results, args.server)
    test_requirepass(results, args.server)
    test_connection_limits(results, args.server)


if __name__ == "__main__":
    harness.run_main(main, __doc__)
