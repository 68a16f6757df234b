#!/usr/bin/python3
"""traces/two_clients_race: two clients race SET/GET on one key and land in
the same epoll_wait batch. A third client holds the server in DEBUG SLEEP
while both send "SET race <me>; GET race", so the next epoll_wait returns
both sockets ready at once; which SET wins is decided by the order of that
batch (material for what-if replays that reorder it)."""
import threading
import time

import trace_common as tc
from harness import RespConnection, encode_command


def workload(port):
    with RespConnection(port) as a, RespConnection(port) as b, RespConnection(port) as c:
        assert a.call("PING") == b"+PONG\r\n" and b.call("PING") == b"+PONG\r\n"
        t = threading.Thread(target=lambda: c.call("DEBUG", "SLEEP", "0.2"))
        t.start()
        time.sleep(0.05)
        a.send(encode_command(["SET", "race", "a"]) + encode_command(["GET", "race"]))
        b.send(encode_command(["SET", "race", "b"]) + encode_command(["GET", "race"]))
        ra = [a.read_reply(), a.read_reply()]
        rb = [b.read_reply(), b.read_reply()]
        t.join()
        assert ra[0] == rb[0] == b"+OK\r\n"
        assert ra[1] in (b"$1\r\na\r\n", b"$1\r\nb\r\n") and rb[1] in (b"$1\r\na\r\n",
                                                                        b"$1\r\nb\r\n")


def check(records):
    accepted = [r["ret"] for r in records if r["kind"] == "accept4" and r["ret"] >= 0]
    racers = set(accepted[:2])
    for r in records:
        if r["kind"] == "epoll_wait" and r["ret"] >= 2:
            ready = {e["data"] for e in r["ready"]}
            if racers <= ready:
                return None
    return "the two racing clients never appeared in the same epoll_wait batch"


tc.record("two_clients_race", "reel-server", workload, check)
