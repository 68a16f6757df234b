#!/usr/bin/python3
"""traces/redis_shim_session: Debian's redis-server 7.0 recorded through
libreel-preload.so: two clients, plain commands and a small pipeline."""
import trace_common as tc
from harness import RespConnection, encode_command


def workload(port):
    with RespConnection(port) as a, RespConnection(port) as b:
        assert a.call("SET", "k", "v1") == b"+OK\r\n"
        assert b.call("GET", "k") == b"$2\r\nv1\r\n"
        assert a.call("RPUSH", "list", "x", "y", "z") == b":3\r\n"
        b.send(b"".join(encode_command(["LPOP", "list"]) for _ in range(3)))
        assert [b.read_reply() for _ in range(3)] == [b"$1\r\nx\r\n", b"$1\r\ny\r\n",
                                                      b"$1\r\nz\r\n"]
        assert a.call("DEL", "k") == b":1\r\n"


def check(records):
    if not any(r["kind"] == "accept4" and r["ret"] >= 0 for r in records):
        return "no accepted connection in the shim's log"
    return None


tc.record("redis_shim_session", "redis-server", workload, check)
