#!/usr/bin/python3
"""traces/hol_blocking: head-of-line blocking by a pipeline on reel-server.
Client A sends a pipeline of 50 SUNIONSTOREs over two 2000-member sets in one
write; client B sends a single GET a millisecond later. The server reads A's
whole pipeline in one turn and runs all 50 before it returns to epoll_wait,
so B's GET, already waiting in its socket, is answered only after them —
`reel fairness` reports B as blocked by A, `reel latency` the stall."""
import time

import trace_common as tc
from harness import RespConnection, encode_command

MEMBERS = 2000
PIPELINE = 50
MIN_WAIT_S = 0.02  # B must visibly wait behind the pipeline


def workload(port):
    with RespConnection(port) as a, RespConnection(port) as b:
        assert a.call("SADD", "s1", *[f"a{i}" for i in range(MEMBERS)]) == b":%d\r\n" % MEMBERS
        assert a.call("SADD", "s2", *[f"b{i}" for i in range(MEMBERS)]) == b":%d\r\n" % MEMBERS
        assert b.call("SET", "k", "v") == b"+OK\r\n"
        pipeline = b"".join(encode_command(["SUNIONSTORE", "u", "s1", "s2"]) for _ in range(PIPELINE))
        a.send(pipeline)
        time.sleep(0.001)
        start = time.monotonic()
        b.send(encode_command(["GET", "k"]))
        assert b.read_reply() == b"$1\r\nv\r\n"
        waited = time.monotonic() - start
        for _ in range(PIPELINE):
            assert a.read_reply() == b":%d\r\n" % (2 * MEMBERS)
        assert waited > MIN_WAIT_S, f"the GET was not held up by the pipeline ({waited:.4f} s)"


def check(records):
    waits = [r for r in records if r["kind"] == "epoll_wait"]
    gaps = [b["entry_ns"] - a["ts_ns"] for a, b in zip(waits, waits[1:])]
    if not gaps or max(gaps) < MIN_WAIT_S * 1e9:
        return "no event-loop iteration as long as the pipeline"
    return None


tc.record("hol_blocking", "reel-server", workload, check)
