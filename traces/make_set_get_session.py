#!/usr/bin/python3
"""traces/set_get_session: one client, a plain SET/GET session on reel-server."""
import trace_common as tc
from harness import RespConnection


def workload(port):
    with RespConnection(port) as c:
        assert c.call("SET", "greeting", "hello") == b"+OK\r\n"
        assert c.call("GET", "greeting") == b"$5\r\nhello\r\n"
        assert c.call("INCR", "counter") == b":1\r\n"
        assert c.call("INCR", "counter") == b":2\r\n"
        assert c.call("GET", "missing") == b"$-1\r\n"
        assert c.call("DEL", "greeting") == b":1\r\n"
        assert c.call("GET", "greeting") == b"$-1\r\n"


tc.record("set_get_session", "reel-server", workload)
