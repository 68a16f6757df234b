#!/usr/bin/python3
"""Hostile and heavy clients against reel-server, bounded in count and time.

  1. maxclients: with --maxclients 10000 (and a raised fd limit), 10,000
     connections are served; further clients get Redis's
     `-ERR max number of clients reached` and are closed; the 10,000 keep
     working. The same scenario on Debian's redis-server gives the same bytes.
  2. slow clients: 1,000 connections that each dribble one byte per second
     for ~5 s (from a separate process, so they do not share the measuring
     client's interpreter) must not delay a normal client: its PING/SET p99
     latency with them is within a few ms of its p99 without them.
  3. a 2 GB bulk announcement (`$2147483648`, over proto-max-bulk-len 512 MB)
     gets `-ERR Protocol error: invalid bulk length` and a close, as from
     redis-server; 100 of them leave the server's RSS (VmRSS) flat. Bulks
     announced at exactly 512 MB, with only 1 MB sent, reserve no memory.
  4. a client that pipelines GETs of a 1 MB value and never reads: with
     client-output-buffer-limit "normal 16mb 8mb 10" it is disconnected and
     the server's peak RSS (VmHWM) grows by tens of MB, not by the size of
     the replies; without a limit (Redis's default, 0 = unlimited) the same
     client makes the server hold the whole reply (printed, for comparison).
  5. requirepass (-NOAUTH before AUTH, -WRONGPASS, the unauthenticated
     multibulk/bulk limits): covered byte-for-byte against redis-server by
     tests/integration/test_malformed_input.py (test_requirepass); not
     repeated here.
"""

import multiprocessing
import resource
import socket
import time

import harness
from harness import RespConnection, encode_command

PONG = b"+PONG\r\n"
MAXCLIENTS_ERR = b"-ERR max number of clients reached\r\n"
BULK_ERR = b"-ERR Protocol error: invalid bulk length\r\n"
NOFILE = 32768  # wanted for the test process and the servers: 10,000 clients + headroom
NOFILE_NEEDED = 10500  # 10,000 sockets + extras + the test's own files


# ----------------------------------------------------------------- helpers

def proc_status_kb(pid, field):
    """VmRSS / VmHWM of a process, in kB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def memory_factor(pid):
    """3 for a sanitizer build of the server (ASan's shadow memory, redzones
    and quarantine inflate RSS: measured 2-3x on these cases), else 1. RSS
    bounds below are multiplied by it."""
    try:
        with open(f"/proc/{pid}/maps") as f:
            return 3 if "libasan" in f.read() else 1
    except OSError:
        return 1


def raise_own_nofile():
    """Raises this process's fd limit towards NOFILE: the hard limit too where
    the process may (CAP_SYS_RESOURCE), else up to the hard limit. Returns
    the soft limit now in force, which start_with_nofile also gives servers."""
    global NOFILE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(NOFILE, soft), max(NOFILE, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    NOFILE = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    return NOFILE


def start_with_nofile(start, *args):
    """Starts a server through harness (start_reel/start_redis) with a
    preexec_fn that raises its RLIMIT_NOFILE before exec."""
    original = harness._die_with_parent

    def preexec():
        resource.setrlimit(resource.RLIMIT_NOFILE, (NOFILE, NOFILE))
        original()

    harness._die_with_parent = preexec  # ServerProcess looks the name up at spawn time
    try:
        return start(*args)
    finally:
        harness._die_with_parent = original


def recv_until_closed(sock, timeout_s=5.0):
    """(bytes received, closed?) until EOF/RST or timeout."""
    sock.settimeout(timeout_s)
    data = b""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return data, False
        except ConnectionResetError:
            return data, True
        if not chunk:
            return data, True
        data += chunk
    return data, False


def info_on_socket(sock, field):
    """A field of INFO clients asked on an already open raw socket."""
    sock.settimeout(10)
    sock.sendall(encode_command(["INFO", "clients"]))
    buf = b""
    while b"\r\n" not in buf:
        buf += sock.recv(65536)
    head, rest = buf.split(b"\r\n", 1)
    need = int(head[1:]) + 2
    while len(rest) < need:
        rest += sock.recv(65536)
    for line in rest.decode().split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    return None


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p / 100.0))]


# ------------------------------------------------------------ 1. maxclients

def maxclients_scenario(port, n, extra=5, sample=20):
    """Opens n connections, checks them all with a pipelined PING, then
    `extra` more. Returns observations."""
    out = {}
    socks = []
    t0 = time.monotonic()
    try:
        for _ in range(n):
            s = socket.create_connection((harness.HOST, port), timeout=30)
            socks.append(s)
        out["connect_s"] = time.monotonic() - t0
        # Every one of the n must be a served client, not a rejected one.
        for s in socks:
            s.sendall(encode_command(["PING"]))
        ok = 0
        for s in socks:
            buf = b""
            while len(buf) < len(PONG):
                chunk = s.recv(64)
                if not chunk:
                    break
                buf += chunk
            ok += buf == PONG
        out["served"] = ok
        extras = []
        for _ in range(extra):
            with socket.create_connection((harness.HOST, port), timeout=10) as e:
                extras.append(recv_until_closed(e, 5.0))
        out["extras"] = extras
        step = max(1, n // sample)
        sampled = []
        for s in socks[::step][:sample]:
            s.sendall(encode_command(["PING"]))
            sampled.append(s.recv(64))
        out["sampled_after"] = sampled
        out["connected_clients"] = int(info_on_socket(socks[len(socks) // 2], "connected_clients"))
    finally:
        for s in socks:
            s.close()
    time.sleep(0.5)  # let the server see the closes
    with RespConnection(port) as c:
        out["after_closing_all"] = c.call("PING")
    return out


def test_maxclients(results, server_path):
    limit = raise_own_nofile()
    if not results.ok("test process fd limit raised for 10,000+ sockets", limit >= NOFILE_NEEDED,
                      f"RLIMIT_NOFILE is {limit}"):
        return
    n = 10000
    reel = start_with_nofile(harness.start_reel, server_path, ["--maxclients", str(n)])
    try:
        got = maxclients_scenario(reel.port, n)
        print(f"maxclients: reel: {n} connections opened in {got['connect_s']:.1f}s, "
              f"{got['served']} answered PING; extras got {got['extras'][0]!r}", flush=True)
        results.eq("maxclients: all 10,000 connections are served", got["served"], n)
        results.eq("maxclients: INFO connected_clients", got["connected_clients"], n)
        results.eq("maxclients: each extra client gets the error and is closed", got["extras"],
                   [(MAXCLIENTS_ERR, True)] * 5)
        results.eq("maxclients: sampled old connections still answer",
                   got["sampled_after"], [PONG] * 20)
        results.eq("maxclients: served after all close", got["after_closing_all"], PONG)
        with RespConnection(reel.port) as c:
            results.eq("maxclients: INFO rejected_connections",
                       harness.info_field(c, "rejected_connections", "stats"), "5")
    except Exception as e:
        results.error("maxclients on reel", e)
    results.check_stopped_cleanly(reel)
    try:
        redis = start_with_nofile(harness.start_redis, ["--maxclients", str(n)])
    except Exception as e:
        results.error("maxclients: start redis-server", e)
        return
    try:
        rgot = maxclients_scenario(redis.port, n)
        results.eq("maxclients: redis-server serves 10,000 too", rgot["served"], n)
        results.eq("maxclients: extra clients see the same bytes as from redis-server",
                   got.get("extras"), rgot["extras"])
    except Exception as e:
        results.error("maxclients on redis-server", e)
    redis.stop()


# --------------------------------------------------------- 2. slow clients

def slow_clients_process(port, n, seconds, ready, go, done):
    """Child process: n connections; each sends one byte per second of a
    never-finished command, spread over the second in 10 groups."""
    socks = [socket.create_connection((harness.HOST, port), timeout=10) for _ in range(n)]
    ready.set()
    go.wait(30)
    payload = b"*2\r\n$3\r\nGET\r\n"  # 1 byte per second: never completes in the window
    groups = 10
    t0 = time.monotonic()
    sent = 0
    for sec in range(seconds):
        for g in range(groups):
            target = t0 + sec + g / groups
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for s in socks[g::groups]:
                s.send(payload[sec % len(payload):sec % len(payload) + 1])
                sent += 1
    done.value = sent
    for s in socks:
        s.close()


def measure_latency(port, seconds):
    """PING/SET round trips for `seconds`; returns latencies in ms."""
    lat = []
    with RespConnection(port, timeout_s=10) as c:
        ping = encode_command(["PING"])
        setc = encode_command(["SET", "lat:k", "v" * 32])
        end = time.monotonic() + seconds
        i = 0
        while time.monotonic() < end:
            cmd = ping if i % 2 == 0 else setc
            t = time.perf_counter_ns()
            c.send(cmd)
            c.read_reply()
            lat.append((time.perf_counter_ns() - t) / 1e6)
            i += 1
    return lat


def test_slow_clients(results, server_path):
    reel = harness.start_reel(server_path)
    try:
        measure_latency(reel.port, 0.5)  # warm up
        base = measure_latency(reel.port, 3.0)
        ctx = multiprocessing.get_context("fork")
        ready, go = ctx.Event(), ctx.Event()
        done = ctx.Value("i", 0)
        n, seconds = 1000, 5
        child = ctx.Process(target=slow_clients_process,
                            args=(reel.port, n, seconds, ready, go, done), daemon=True)
        child.start()
        results.ok("slow clients: 1,000 connected", ready.wait(60), "not ready within 60s")
        go.set()
        time.sleep(0.3)
        loaded = measure_latency(reel.port, seconds - 1.0)
        child.join(30)
        if child.is_alive():
            child.kill()
        time.sleep(0.5)  # let the server see the slow connections close
        with RespConnection(reel.port) as c:
            clients_after = int(harness.info_field(c, "connected_clients", "clients"))
        b99, l99 = percentile(base, 99), percentile(loaded, 99)
        b50, l50 = percentile(base, 50), percentile(loaded, 50)
        print(f"slow clients: normal client without: {len(base)} requests, p50 {b50:.3f} ms, "
              f"p99 {b99:.3f} ms, max {max(base):.3f} ms; with {n} slow clients "
              f"({done.value} one-byte sends): {len(loaded)} requests, p50 {l50:.3f} ms, "
              f"p99 {l99:.3f} ms, max {max(loaded):.3f} ms", flush=True)
        results.eq("slow clients: the slow process finished its sends", done.value, n * seconds)
        results.ok("slow clients: p99 with 1,000 slow clients within 5 ms of p99 without",
                   l99 <= b99 + 5.0, f"p99 {l99:.3f} ms vs {b99:.3f} ms")
        results.ok("slow clients: the slow connections were closed afterwards",
                   clients_after <= 2, f"connected_clients {clients_after}")
    except Exception as e:
        results.error("slow clients", e)
    results.check_stopped_cleanly(reel)


# ------------------------------------------------------ 3. huge bulk length

def huge_bulk(port):
    with socket.create_connection((harness.HOST, port), timeout=10) as s:
        s.sendall(b"*2\r\n$3\r\nSET\r\n$2147483648\r\n")
        try:
            s.sendall(b"x" * 65536)  # the start of the "value"
        except OSError:
            pass
        return recv_until_closed(s, 5.0)


def test_huge_bulk(results, server_path):
    reel = harness.start_reel(server_path)
    try:
        rss0 = proc_status_kb(reel.pid, "VmRSS")
        first = huge_bulk(reel.port)
        results.eq("2 GB bulk: error reply and close", first, (BULK_ERR, True))
        bad = sum(huge_bulk(reel.port) != (BULK_ERR, True) for _ in range(99))
        results.eq("2 GB bulk: 99 more get the same", bad, 0)
        rss1 = proc_status_kb(reel.pid, "VmRSS")
        mf = memory_factor(reel.pid)
        print(f"2 GB bulk x100: VmRSS {rss0} kB -> {rss1} kB", flush=True)
        results.ok(f"2 GB bulk: RSS flat (grew < {4 * mf} MB)", rss1 - rss0 < 4096 * mf,
                   f"{rss0} -> {rss1}")
        # At the limit (512 MB is allowed): 20 clients announce it and send
        # 1 MB each; the server must hold about what arrived, not reserve.
        clients = []
        for i in range(20):
            s = socket.create_connection((harness.HOST, reel.port), timeout=10)
            s.sendall(b"*3\r\n$3\r\nSET\r\n$4\r\nbig%d\r\n$536870912\r\n" % (i % 10)
                      + b"y" * (1024 * 1024))
            clients.append(s)
        time.sleep(0.5)
        with RespConnection(reel.port) as c:
            results.eq("512 MB announced x20: other clients served", c.call("PING"), PONG)
        rss2 = proc_status_kb(reel.pid, "VmRSS")
        for s in clients:
            s.close()
        time.sleep(0.3)
        rss3 = proc_status_kb(reel.pid, "VmRSS")
        print(f"512 MB bulk announced by 20 clients, 1 MB sent each: VmRSS {rss1} kB -> "
              f"{rss2} kB while connected, {rss3} kB after close", flush=True)
        results.ok(f"512 MB announced x20: RSS grew by about the 20 MB sent (< {64 * mf} MB, "
                   "not 20 x 512 MB)", rss2 - rss1 < 64 * 1024 * mf, f"{rss1} -> {rss2}")
    except Exception as e:
        results.error("huge bulk on reel", e)
    results.check_stopped_cleanly(reel)
    try:
        redis = harness.start_redis()
        rgot = huge_bulk(redis.port)
        redis.stop()
        results.eq("2 GB bulk: same reply as redis-server", rgot, (BULK_ERR, True))
    except Exception as e:
        results.error("huge bulk on redis-server", e)


# ------------------------------------------------- 4. client that never reads

VALUE_MB = 1
GETS = 200


def never_reading_client(server, limit):
    """Sets the limit, stores a 1 MB value, pipelines GETS GETs without
    reading. Returns observations including the server's peak RSS growth."""
    out = {}
    with RespConnection(server.port) as admin:
        out["config"] = admin.call("CONFIG", "SET", "client-output-buffer-limit", limit)
        admin.call("SET", "big", "z" * (VALUE_MB * 1024 * 1024))
        hwm0 = proc_status_kb(server.pid, "VmHWM")
        conns0 = int(harness.info_field(admin, "total_connections_received", "stats"))
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # keep the kernel out of it
        s.connect((harness.HOST, server.port))
        s.sendall(encode_command(["GET", "big"]) * GETS)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # wait until the server has run them all or closed
            # Once the server has accepted it, either it is gone again or
            # its replies pile up.
            accepted = int(harness.info_field(admin, "total_connections_received",
                                              "stats")) > conns0
            n = int(harness.info_field(admin, "connected_clients", "clients"))
            if accepted and n == 1:
                break
            if proc_status_kb(server.pid, "VmRSS") - hwm0 > GETS * VALUE_MB * 1024 * 0.9:
                break
            time.sleep(0.1)
        time.sleep(0.3)
        out["hwm_growth_kb"] = proc_status_kb(server.pid, "VmHWM") - hwm0
        out["clients"] = int(harness.info_field(admin, "connected_clients", "clients"))
        data, closed = recv_until_closed(s, 2.0 if out["clients"] == 1 else 0.5)
        out["closed"] = closed
        out["received"] = len(data)
        s.close()
        out["ping"] = admin.call("PING")
    return out


def test_never_reading_client(results, server_path):
    total_mb = GETS * VALUE_MB
    reel = harness.start_reel(server_path)
    try:
        got = never_reading_client(reel, "normal 16mb 8mb 10")
        print(f"never-reading client, limit normal 16mb 8mb 10: {total_mb} MB of replies "
              f"requested; server VmHWM grew {got['hwm_growth_kb'] // 1024} MB; received "
              f"{got['received']} bytes before the close", flush=True)
        mf = memory_factor(reel.pid)
        limited = got["hwm_growth_kb"]
        results.eq("output limit: CONFIG SET accepted", got["config"], b"+OK\r\n")
        results.ok("output limit: the client was disconnected", got["closed"] and
                   got["clients"] == 1, str(got))
        results.ok(f"output limit: peak RSS grew < {48 * mf} MB (not the 200 MB of replies)",
                   limited < 48 * 1024 * mf, f"{limited} kB")
        results.eq("output limit: other clients still served", got["ping"], PONG)
    except Exception as e:
        results.error("never-reading client with a limit", e)
        limited = None
    results.check_stopped_cleanly(reel)
    reel = harness.start_reel(server_path)
    try:
        got = never_reading_client(reel, "normal 0 0 0")
        print(f"never-reading client, no limit (Redis's default): server VmHWM grew "
              f"{got['hwm_growth_kb'] // 1024} MB for {total_mb} MB of replies; connection "
              f"{'closed' if got['closed'] else 'still open'}", flush=True)
        # Shows what the limit prevents: without it the server holds it all.
        results.ok("no output limit: the server holds the replies (RSS grew > 150 MB)",
                   got["hwm_growth_kb"] > 150 * 1024, f"{got['hwm_growth_kb']} kB")
        results.ok("no output limit: the client stays connected", not got["closed"], str(got))
        if limited is not None:  # the same build's own yardstick (ASan or not)
            results.ok("output limit: peak growth under a quarter of the unlimited run's",
                       limited * 4 < got["hwm_growth_kb"],
                       f"{limited} kB vs {got['hwm_growth_kb']} kB")
    except Exception as e:
        results.error("never-reading client without a limit", e)
    results.check_stopped_cleanly(reel)
    try:
        redis = harness.start_redis()
        rgot = never_reading_client(redis, "normal 16mb 8mb 10")
        redis.stop()
        print(f"never-reading client on redis-server, same limit: VmHWM grew "
              f"{rgot['hwm_growth_kb'] // 1024} MB; disconnected: {rgot['closed']}", flush=True)
        results.ok("output limit: redis-server disconnects the same client too",
                   rgot["closed"] and rgot["clients"] == 1, str(rgot))
    except Exception as e:
        results.error("never-reading client on redis-server", e)


def main(args, results):
    t0 = time.monotonic()
    for name, case in (("maxclients", test_maxclients), ("slow clients", test_slow_clients),
                       ("huge bulk", test_huge_bulk),
                       ("never-reading client", test_never_reading_client)):
        t = time.monotonic()
        case(results, args.server)
        print(f"[{name}: {time.monotonic() - t:.1f}s]", flush=True)
    print(f"[all cases: {time.monotonic() - t0:.1f}s]", flush=True)


if __name__ == "__main__":
    harness.run_main(main, __doc__)
