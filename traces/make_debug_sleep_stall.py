#!/usr/bin/python3
"""traces/debug_sleep_stall: one client runs DEBUG SLEEP 0.3 on reel-server;
two others send GETs while the server is blocked, and are answered late."""
import threading
import time

import trace_common as tc
from harness import RespConnection


def workload(port):
    with RespConnection(port) as a, RespConnection(port) as b, RespConnection(port) as c:
        assert a.call("SET", "k", "v") == b"+OK\r\n"
        t = threading.Thread(target=lambda: a.call("DEBUG", "SLEEP", "0.3"))
        t.start()
        time.sleep(0.05)
        start = time.monotonic()
        assert b.call("GET", "k") == b"$1\r\nv\r\n"
        assert c.call("PING") == b"+PONG\r\n"
        waited = time.monotonic() - start
        t.join()
        assert waited > 0.2, f"the stall did not delay the others ({waited:.3f} s)"


def check(records):
    waits = [r for r in records if r["kind"] == "epoll_wait"]
    # After the sleeping command the next epoll_wait finds the delayed clients.
    gaps = [b["entry_ns"] - a["ts_ns"] for a, b in zip(waits, waits[1:])]
    if not gaps or max(gaps) < 250_000_000:
        return "no event-loop iteration of at least 250 ms in the log"
    return None


tc.record("debug_sleep_stall", "reel-server", workload, check)
