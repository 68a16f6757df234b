"""The kill campaign's load: clients that pipeline SET/GET/INCR batches and
note when each batch was acknowledged (every reply received and checked), so
what a killed recording lost can be measured in acknowledged operations."""

import socket
import threading
import time

from harness import HOST, encode_command


def mono_ns():
    """CLOCK_MONOTONIC: the clock the event log's timestamps use."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


class Client(threading.Thread):
    """Sends `pipeline` SET/GET/INCR triples per batch and reads every reply
    (checking its exact bytes) before the next batch. After each batch it
    notes (ack time, bytes sent so far, bytes received so far)."""

    def __init__(self, port, n, pipeline, pause_s, max_batches, end_at, stop):
        super().__init__(daemon=True)
        self.port, self.n, self.pipeline = port, n, pipeline
        self.pause_s, self.max_batches, self.end_at, self.stop = pause_s, max_batches, end_at, stop
        self.acks = []  # (t_ack_mono_ns, sent_total, received_total)
        self.local_port = None
        self.connected = threading.Event()
        self.ended_by = "not started"
        self.wrong_reply = None

    def run(self):
        counter, sent, received = 0, 0, 0
        try:
            s = socket.create_connection((HOST, self.port), timeout=10)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.local_port = s.getsockname()[1]
        except OSError as e:
            self.ended_by = f"connect: {e}"
            self.connected.set()
            return
        self.connected.set()
        try:
            for b in range(self.max_batches):
                if self.stop.is_set() or mono_ns() >= self.end_at:
                    self.ended_by = "time"
                    return
                req, want = [], []
                for j in range(self.pipeline):
                    i = b * self.pipeline + j
                    key, value = f"c{self.n}:k{i % 1000}", f"v{i}"
                    counter += 1
                    req += [encode_command(["SET", key, value]), encode_command(["GET", key]),
                            encode_command(["INCR", f"c{self.n}:n"])]
                    want += [b"+OK\r\n", b"$%d\r\n%s\r\n" % (len(value), value.encode()),
                             b":%d\r\n" % counter]
                req, want = b"".join(req), b"".join(want)
                s.sendall(req)
                sent += len(req)
                got = b""
                while len(got) < len(want):
                    chunk = s.recv(65536)
                    if not chunk:
                        self.ended_by = "closed by server"
                        return
                    got += chunk
                received += len(got)
                if got != want:
                    self.wrong_reply = f"batch {b}: {got[:80]!r} != {want[:80]!r}"
                    self.ended_by = "wrong reply"
                    return
                self.acks.append((mono_ns(), sent, received))
                if self.pause_s:
                    time.sleep(self.pause_s)
            self.ended_by = "batches"
        except OSError as e:
            self.ended_by = f"{type(e).__name__}"  # the server dies under us: expected
        finally:
            s.close()
