#!/usr/bin/python3
"""traces/large_value: a 100 KB value SET, then fetched twice in one
pipeline by a client that starts reading late, with a 4 KB receive buffer and
a 536-byte MSS (TCP_MAXSEG before connect). The small MSS keeps the server's
auto-tuned send buffer small (on lo it would otherwise grow past a megabyte),
so reel-server's writes of the 200 KB of replies come back partial (or
EAGAIN) and the rest waits for EPOLLOUT — in a bundle well under 1 MB."""
import socket
import time

import trace_common as tc  # first: it puts tests/integration on sys.path
from harness import HOST, RespConnection, encode_command  # noqa: E402

SIZE, GETS = 100 * 1024, 2


def workload(port):
    value = (b"0123456789abcdef" * (SIZE // 16 + 1))[:SIZE]
    with RespConnection(port) as c:
        assert c.call("SET", "big", value) == b"+OK\r\n"
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
    s.settimeout(30)
    s.connect((HOST, port))
    s.sendall(encode_command(["GET", "big"]) * GETS)
    want = (b"$%d\r\n" % SIZE + value + b"\r\n") * GETS
    time.sleep(0.3)
    got = b""
    while len(got) < len(want):
        chunk = s.recv(8192)
        assert chunk, "connection closed early"
        got += chunk
    s.close()
    assert got == want


def check(records):
    partial = [r for r in records if r["kind"] in ("write", "writev") and
               (0 <= r["ret"] < r["requested"] or r.get("error") == "EAGAIN")]
    if not partial:
        return "no partial write or EAGAIN in the log"
    return None


tc.record("large_value", "reel-server", workload, check)
