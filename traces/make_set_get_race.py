#!/usr/bin/python3
"""traces/set_get_race: one client's SET and another client's GET of the
same key land in the same epoll_wait batch, so the GET's reply depends on the
order the event loop serves the batch: "old" when the GET goes first, "new"
when the SET does. A third client holds the server in DEBUG SLEEP while both
send. Material for `reel whatif --explore` and `reel minimize`."""
import threading
import time

import trace_common as tc
from harness import RespConnection, encode_command


def workload(port):
    with RespConnection(port) as a, RespConnection(port) as b, RespConnection(port) as c:
        assert a.call("SET", "race", "old") == b"+OK\r\n"
        assert b.call("PING") == b"+PONG\r\n"
        assert a.call("SET", "other", "x") == b"+OK\r\n"
        t = threading.Thread(target=lambda: c.call("DEBUG", "SLEEP", "0.2"))
        t.start()
        time.sleep(0.05)
        a.send(encode_command(["SET", "race", "new"]))
        b.send(encode_command(["GET", "race"]))
        ra = a.read_reply()
        rb = b.read_reply()
        t.join()
        assert ra == b"+OK\r\n"
        assert rb in (b"$3\r\nold\r\n", b"$3\r\nnew\r\n"), rb
        assert b.call("GET", "other") == b"$1\r\nx\r\n"


def check(records):
    accepted = [r["ret"] for r in records if r["kind"] == "accept4" and r["ret"] >= 0]
    racers = set(accepted[:2])
    for r in records:
        if r["kind"] == "epoll_wait" and r["ret"] >= 2:
            ready = {e["data"] for e in r["ready"]}
            if racers <= ready:
                return None
    return "the SET and the GET never appeared in the same epoll_wait batch"


tc.record("set_get_race", "reel-server", workload, check)
