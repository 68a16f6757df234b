#!/usr/bin/python3
"""traces/pipeline_burst: 20 clients connect, then all send a pipeline of 50
SET/GET commands at the same instant (a barrier) and read every reply."""
import threading

import trace_common as tc
from harness import RespConnection, encode_command

CLIENTS, DEPTH = 20, 50


def workload(port):
    conns = [RespConnection(port) for _ in range(CLIENTS)]
    payloads = []
    for i in range(CLIENTS):
        cmds = []
        for j in range(DEPTH // 2):
            cmds.append(encode_command(["SET", f"c{i}:k{j}", f"v{j}"]))
            cmds.append(encode_command(["GET", f"c{i}:k{j}"]))
        payloads.append(b"".join(cmds))
    tc.send_all_at_once([c.sock for c in conns], payloads, threading.Barrier(CLIENTS))
    for i, c in enumerate(conns):
        for j in range(DEPTH // 2):
            assert c.read_reply() == b"+OK\r\n"
            v = f"v{j}".encode()
            assert c.read_reply() == b"$%d\r\n%s\r\n" % (len(v), v)
        c.close()


def check(records):
    biggest = max((r["ret"] for r in records if r["kind"] == "epoll_wait"), default=0)
    if biggest < 2:
        return "no epoll_wait returned more than one ready client"
    return None


tc.record("pipeline_burst", "reel-server", workload, check)
