"""Helpers for testing `reel capture` bundles (and for regenerating the sample
bundles in traces/): locating the tools, running a capture, a scripted
multi-client workload, a pcap reader with TCP stream reassembly, and the
bundle consistency checks the capture issue asks for.

Only the standard library: the pcap is parsed with struct, the event log is
read through `reel events --json`.
"""

import json
import os
import signal
import socket
import struct
import subprocess
import threading
import time

import harness
from harness import HOST, RespConnection, encode_command

# ----------------------------------------------------------------- tools


def tool_paths(server_path):
    """reel and libreel-preload.so live beside reel-server in the build dir."""
    d = os.path.dirname(os.path.abspath(server_path))
    reel = next((p for p in (os.path.join(d, "reel"), os.path.join(d, "capture", "reel"))
                 if os.access(p, os.X_OK)), None)
    preload = next((p for p in (os.path.join(d, "libreel-preload.so"),
                                os.path.join(d, "capture", "libreel-preload.so"))
                    if os.path.exists(p)), None)
    return reel, preload


def redis_server_cmd(port, workdir, extra=()):
    return [harness.redis_server_path(), "--port", str(port), "--bind", HOST, "--save", "",
            "--appendonly", "no", "--enable-debug-command", "local", "--daemonize", "no",
            "--dir", workdir, "--logfile", "", *extra]


def reel_server_cmd(server_path, port, extra=()):
    return [server_path, "--port", str(port), "--bind", HOST, "--loglevel", "warning", *extra]


def listening(port):
    """True when a TCP socket listens on port (from /proc/net/tcp{,6})."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def server_children(pid):
    """PIDs of pid's direct children (from /proc)."""
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


class Capture:
    """`reel capture --out DIR --port P ... -- CMD` as a child process."""

    def __init__(self, reel, out, port, command, extra_args=(), env=None):
        self.out = out
        self.port = port
        self.stdout_path = out.rstrip("/") + ".stdout"
        self.stderr_path = out.rstrip("/") + ".stderr"
        self._out = open(self.stdout_path, "wb")
        self._err = open(self.stderr_path, "wb")
        argv = [reel, "capture", "--out", out, "--port", str(port), *extra_args, "--", *command]
        self.proc = subprocess.Popen(argv, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, env=env)
        self.rc = None

    def wait_ready(self, timeout_s=harness.START_TIMEOUT_S):
        # Watch for the listening socket instead of connecting to it: a probe
        # connection would be recorded as one more (empty) client.
        if not wait_until(lambda: listening(self.port) or self.proc.poll() is not None,
                          timeout_s):
            raise RuntimeError(f"nothing listens on port {self.port} after {timeout_s}s")
        if self.proc.poll() is not None:
            raise RuntimeError(f"reel capture exited with code {self.proc.returncode} "
                               "before its server listened")

    def server_pid(self):
        kids = server_children(self.proc.pid)
        return kids[0] if kids else None

    def stop(self, sig=signal.SIGINT, timeout_s=30):
        if self.rc is None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.rc = self.proc.returncode
            self._out.close()
            self._err.close()
        return self.rc

    def wait(self, timeout_s=30):
        try:
            self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            return None
        return self.stop()

    def output(self):
        with open(self.stdout_path, "rb") as f:
            out = f.read().decode("utf-8", "replace")
        with open(self.stderr_path, "rb") as f:
            err = f.read().decode("utf-8", "replace")
        return out, err


# -------------------------------------------------------------- workload

def plain_client(port, name, rounds, errors):
    try:
        with RespConnection(port) as c:
            for i in range(rounds):
                k, v = f"{name}:k{i % 5}", f"v{i}-{name}"
                if c.call("SET", k, v) != b"+OK\r\n":
                    errors.append(f"{name}: SET failed")
                got = c.call("GET", k)
                if got != b"$%d\r\n%s\r\n" % (len(v), v.encode()):
                    errors.append(f"{name}: GET {k} = {got!r}")
    except Exception as e:  # reported by the caller
        errors.append(f"{name}: {e!r}")


def pipelined_client(port, name, n, errors):
    try:
        with RespConnection(port) as c:
            batch = b"".join(encode_command(["SET", f"{name}:{i}", str(i)]) for i in range(n))
            batch += b"".join(encode_command(["GET", f"{name}:{i}"]) for i in range(n))
            c.send(batch)
            replies = [c.read_reply() for _ in range(2 * n)]
            if replies[:n] != [b"+OK\r\n"] * n:
                errors.append(f"{name}: pipelined SET replies wrong")
            want = [b"$%d\r\n%d\r\n" % (len(str(i)), i) for i in range(n)]
            if replies[n:] != want:
                errors.append(f"{name}: pipelined GET replies wrong")
    except Exception as e:
        errors.append(f"{name}: {e!r}")


def large_value(port, size, errors, slow_reader=True):
    """SET a value of size bytes, then GET it through a client with a small
    receive buffer that starts reading late: the server's write of the reply
    cannot complete at once (partial writes / EAGAIN)."""
    value = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    try:
        with RespConnection(port, timeout_s=30) as c:
            if c.call("SET", "big", value) != b"+OK\r\n":
                errors.append("large SET failed")
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if slow_reader:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(30)
        s.connect((HOST, port))
        s.sendall(encode_command(["GET", "big"]))
        want = b"$%d\r\n" % size + value + b"\r\n"
        got = b""
        if slow_reader:
            time.sleep(0.2)
        while len(got) < len(want):
            chunk = s.recv(65536 if not slow_reader else 8192)
            if not chunk:
                break
            got += chunk
            if slow_reader and len(got) < 64 * 1024:
                time.sleep(0.01)
        s.close()
        if got != want:
            errors.append(f"large GET: got {len(got)} bytes, want {len(want)}")
    except Exception as e:
        errors.append(f"large value: {e!r}")


def disconnect_mid_request(port, errors):
    """Clients that send part of a command and hang up."""
    try:
        s = socket.create_connection((HOST, port), timeout=5)
        s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nhalf\r\n$10\r\nabc")
        time.sleep(0.05)
        s.close()
        s = socket.create_connection((HOST, port), timeout=5)
        s.sendall(b"*3\r\n$3\r\nSET\r\n$5\r\nhalf2\r\n$100000\r\n" + b"x" * 30000)
        time.sleep(0.05)
        s.close()
    except Exception as e:
        errors.append(f"disconnect mid-request: {e!r}")


def run_threads(targets):
    threads = [threading.Thread(target=f, args=a) for f, a in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)


def standard_workload(port, big=3 * 1024 * 1024):
    """The scripted multi-client workload of the capture tests. Returns a
    list of error strings (empty when every reply was right)."""
    errors = []
    run_threads([(plain_client, (port, f"plain{i}", 15, errors)) for i in range(4)] +
                [(pipelined_client, (port, f"pipe{i}", 100, errors)) for i in range(2)] +
                [(disconnect_mid_request, (port, errors))])
    large_value(port, big, errors)
    return errors


# ------------------------------------------------------------ pcap reader

def read_pcap(path):
    """Packets of a classic pcap file as dicts: ts (float seconds), src, dst
    ("ip:port"), seq, flags, payload (bytes) — TCP over IPv4/IPv6 only."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError(f"{path}: {len(data)} bytes, no pcap header")
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    else:
        magic = struct.unpack(">I", data[:4])[0]
        endian = ">"
    nano = magic == 0xA1B23C4D
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    packets, off, count = [], 24, 0
    while off + 16 <= len(data):
        sec, frac, caplen, _wirelen = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + caplen > len(data):
            raise ValueError(f"{path}: packet {count + 1} cut short")
        frame = data[off:off + caplen]
        off += caplen
        count += 1
        p = _decode_tcp(frame, linktype)
        if p is not None:
            p["ts"] = sec + frac / (1e9 if nano else 1e6)
            p["number"] = count
            packets.append(p)
    if off != len(data):
        raise ValueError(f"{path}: {len(data) - off} trailing bytes")
    return packets, count


def _decode_tcp(frame, linktype):
    if linktype == 1:  # Ethernet
        ethertype, off = struct.unpack(">H", frame[12:14])[0], 14
        while ethertype in (0x8100, 0x88A8):
            ethertype, off = struct.unpack(">H", frame[off + 2:off + 4])[0], off + 4
    elif linktype == 113:  # Linux cooked
        ethertype, off = struct.unpack(">H", frame[14:16])[0], 16
    elif linktype == 101:  # raw IP
        ethertype, off = (0x86DD if frame[0] >> 4 == 6 else 0x0800), 0
    else:
        return None
    if ethertype == 0x0800:
        ihl = (frame[off] & 0x0F) * 4
        if frame[off + 9] != 6:
            return None
        total = struct.unpack(">H", frame[off + 2:off + 4])[0]
        src_ip = socket.inet_ntop(socket.AF_INET, frame[off + 12:off + 16])
        dst_ip = socket.inet_ntop(socket.AF_INET, frame[off + 16:off + 20])
        tcp, end = off + ihl, off + total
        fmt = "{}:{}"
    elif ethertype == 0x86DD:
        if frame[off + 6] != 6:
            return None
        plen = struct.unpack(">H", frame[off + 4:off + 6])[0]
        src_ip = socket.inet_ntop(socket.AF_INET6, frame[off + 8:off + 24])
        dst_ip = socket.inet_ntop(socket.AF_INET6, frame[off + 24:off + 40])
        tcp, end = off + 40, off + 40 + plen
        fmt = "[{}]:{}"
    else:
        return None
    sport, dport, seq = struct.unpack(">HHI", frame[tcp:tcp + 8])
    doff = (frame[tcp + 12] >> 4) * 4
    flags = frame[tcp + 13]
    return {"src": fmt.format(src_ip, sport), "dst": fmt.format(dst_ip, dport), "seq": seq,
            "flags": flags, "payload": frame[tcp + doff:end]}


class Stream:
    """One direction of a TCP connection, reassembled by sequence number."""

    def __init__(self):
        self.isn = None
        self.chunks = {}
        self.first_data_ts = None
        self.syn_ts = None

    def add(self, p):
        if p["flags"] & 0x02:  # SYN: data starts at seq + 1
            self.isn = (p["seq"] + 1) & 0xFFFFFFFF
            self.syn_ts = p["ts"]
        if p["payload"]:
            if self.isn is None:  # capture began mid-stream
                self.isn = p["seq"]
            rel = (p["seq"] - self.isn) & 0xFFFFFFFF
            self.chunks[rel] = p["payload"]
            if self.first_data_ts is None:
                self.first_data_ts = p["ts"]

    def data(self):
        out = bytearray()
        for rel in sorted(self.chunks):
            chunk = self.chunks[rel]
            if rel > len(out):
                raise ValueError(f"gap in TCP stream at offset {len(out)} (next data at {rel})")
            out[rel:rel + len(chunk)] = chunk
        return bytes(out)


def tcp_flows(packets, server_port):
    """{(client "ip:port", server "ip:port"): {"c2s": Stream, "s2c": Stream}}."""
    flows = {}
    for p in packets:
        if p["dst"].endswith(f":{server_port}"):
            key, d = (p["src"], p["dst"]), "c2s"
        elif p["src"].endswith(f":{server_port}"):
            key, d = (p["dst"], p["src"]), "s2c"
        else:
            continue
        flows.setdefault(key, {"c2s": Stream(), "s2c": Stream()})[d].add(p)
    return flows


# ------------------------------------------------------------ event log

def load_events(reel, bundle):
    """(records, exit code, stderr) of `reel events --json bundle`; every
    line must be a JSON object (a ValueError otherwise)."""
    r = subprocess.run([reel, "events", "--json", bundle], capture_output=True, timeout=120)
    records = []
    for n, line in enumerate(r.stdout.decode().splitlines(), 1):
        obj = json.loads(line)
        if not isinstance(obj, dict):
            raise ValueError(f"line {n} is not a JSON object")
        records.append(obj)
    return records, r.returncode, r.stderr.decode("utf-8", "replace")


def connections(records):
    """Accepted connections in accept order, with bytes each way, and
    stream-offset errors (a read/write whose offset is not the sum so far)."""
    open_by_fd, done, offset_errors = {}, [], []
    for r in records:
        k = r["kind"]
        if k == "accept4" and r["ret"] >= 0:
            c = {"fd": r["ret"], "peer": r["peer"], "local": r["local"], "accept_ts": r["ts_ns"],
                 "in": 0, "out": 0, "first_read_ts": None, "first_write_ts": None,
                 "partial_writes": 0, "eagain_writes": 0}
            open_by_fd[r["ret"]] = c
            done.append(c)
        elif k in ("read", "write", "writev") and r["fd"] in open_by_fd:
            c = open_by_fd[r["fd"]]
            d = "in" if k == "read" else "out"
            if r["offset"] != c[d]:
                offset_errors.append(f"seq {r['seq']}: {k} fd {r['fd']} offset {r['offset']} "
                                     f"!= {c[d]}")
            if r["ret"] > 0:
                c[d] += r["ret"]
                key = "first_read_ts" if d == "in" else "first_write_ts"
                if c[key] is None:
                    c[key] = r["ts_ns"]
            if d == "out":
                if 0 <= r["ret"] < r["requested"]:
                    c["partial_writes"] += 1
                if r.get("error") == "EAGAIN":
                    c["eagain_writes"] += 1
        elif k == "close":
            open_by_fd.pop(r["fd"], None)
    return done, offset_errors


def unregistered_ready_events(records, initial=()):
    """epoll_wait entries whose data matches no fd registered on that epfd.
    initial: registrations in effect before the first record (a flight
    recorder window's meta.json lists them), as dicts {epfd, fd, data}."""
    regs, bad = {}, []
    for r in initial:
        regs.setdefault(r["epfd"], {})[r["fd"]] = r["data"]
    for r in records:
        k = r["kind"]
        if k == "epoll_ctl" and r["ret"] == 0:
            m = regs.setdefault(r["epfd"], {})
            if r["op"] in ("add", "mod"):
                m[r["fd"]] = r["data"]
            elif r["op"] == "del":
                m.pop(r["fd"], None)
        elif k == "close":
            for m in regs.values():
                m.pop(r["fd"], None)
        elif k == "epoll_wait" and r["ret"] > 0:
            datas = set(regs.get(r["epfd"], {}).values())
            for e in r["ready"]:
                if e["data"] not in datas:
                    bad.append(f"seq {r['seq']}: data {e['data']} not registered on "
                               f"epfd {r['epfd']}")
    return bad


# --------------------------------------------------------------- checks

def mono_to_real_offset(meta):
    """realtime - monotonic (ns), from the bundle's first clock pair."""
    pairs = meta.get("clock_pairs") or []
    if not pairs:
        return None
    return pairs[0]["realtime_ns"] - pairs[0]["monotonic_ns"]


def check_bundle(res, label, reel, bundle, port, expect_partial_writes=True, tol_s=0.005,
                 min_connections=5):
    """The capture issue's consistency checks on one bundle. Returns the
    connection list (for callers that check more)."""
    pcap = os.path.join(bundle, "packets.pcap")
    t = subprocess.run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.number"],
                       capture_output=True, timeout=120)
    res.eq(f"{label}: tshark -r reads packets.pcap", t.returncode, 0)
    packets, count = read_pcap(pcap)
    res.eq(f"{label}: tshark and the pcap parser count the same packets",
           len(t.stdout.split()), count)
    with open(os.path.join(bundle, "meta.json")) as f:
        meta = json.load(f)
    res.eq(f"{label}: meta.json pcap.captured", meta.get("pcap", {}).get("captured"), count)
    res.eq(f"{label}: no pcap drops",
           (meta["pcap"].get("dropped_by_kernel"), meta["pcap"].get("dropped_by_interface")),
           (0, 0))

    records, rc, err = load_events(reel, bundle)
    res.eq(f"{label}: reel events --json exit code ({err.strip()})", rc, 0)
    jq = subprocess.run(["jq", "-c", "."], input="\n".join(json.dumps(r) for r in records).encode(),
                        capture_output=True) if records else None
    if jq is not None:
        res.eq(f"{label}: jq parses reel events --json", jq.returncode, 0)
    conns, offset_errors = connections(records)
    res.eq(f"{label}: stream offsets are the running byte counts", offset_errors[:5], [])
    res.eq(f"{label}: every ready fd was registered with epoll_ctl",
           unregistered_ready_events(records)[:5], [])
    res.ok(f"{label}: connections were accepted", len(conns) >= min_connections,
           f"{len(conns)} accepted")

    flows = tcp_flows(packets, port)
    offset = mono_to_real_offset(meta)
    mismatches, unmapped, time_errors = [], [], []
    for c in conns:
        f = flows.get((c["peer"], c["local"]))
        if f is None:
            unmapped.append(f"fd {c['fd']} {c['peer']} -> {c['local']}")
            continue
        try:
            c2s, s2c = f["c2s"].data(), f["s2c"].data()
        except ValueError as e:
            mismatches.append(f"{c['peer']}: {e}")
            continue
        c["pcap_in"], c["pcap_out"] = len(c2s), len(s2c)
        if (c["in"], c["out"]) != (len(c2s), len(s2c)):
            mismatches.append(f"fd {c['fd']} {c['peer']}: log in/out {c['in']}/{c['out']}, "
                              f"pcap {len(c2s)}/{len(s2c)}")
        if offset is not None:
            acc = (c["accept_ts"] + offset) / 1e9
            if f["c2s"].syn_ts is not None and acc < f["c2s"].syn_ts - tol_s:
                time_errors.append(f"{c['peer']}: accept {acc:.6f} before SYN {f['c2s'].syn_ts:.6f}")
            if c["first_read_ts"] is not None and f["c2s"].first_data_ts is not None:
                rd = (c["first_read_ts"] + offset) / 1e9
                if rd < f["c2s"].first_data_ts - tol_s:
                    time_errors.append(f"{c['peer']}: first read {rd:.6f} before its first "
                                       f"packet {f['c2s'].first_data_ts:.6f}")
            if c["first_write_ts"] is not None and f["s2c"].first_data_ts is not None:
                wr = (c["first_write_ts"] + offset) / 1e9
                if f["s2c"].first_data_ts > wr + tol_s:
                    time_errors.append(f"{c['peer']}: first reply packet "
                                       f"{f['s2c'].first_data_ts:.6f} after the write "
                                       f"returned {wr:.6f}")
    res.eq(f"{label}: every accepted fd maps to a pcap flow (4-tuple)", unmapped, [])
    res.eq(f"{label}: bytes read/written per fd equal the flow's streams", mismatches[:5], [])
    res.eq(f"{label}: event and packet times interleave consistently", time_errors[:5], [])
    if expect_partial_writes:
        partial = sum(c["partial_writes"] + c["eagain_writes"] for c in conns)
        res.ok(f"{label}: the large reply needed partial writes or EAGAIN", partial > 0,
               "no write returned less than requested")
    return conns, meta


def wait_until(pred, timeout_s, step=0.02):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()
