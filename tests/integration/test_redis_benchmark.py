#!/usr/bin/python3
"""redis-benchmark's whole default test set against reel-server.

Runs `redis-benchmark -q -n N` (N = 20000 x REEL_TEST_SCALE) without and with
`-P 16` pipelining. Every default test must print its requests-per-second
line, redis-benchmark must not report an error from the server (7.0 exits
on the first one), and the server's own INFO must show no error replies at
all (total_error_replies, errorstats) -- that includes the CONFIG GET
redis-benchmark sends at start-up. The INCR test's counter must equal the
number of requests sent, so no command is lost or doubled under load.
"""

import os
import re
import subprocess

import harness

BASE_REQUESTS = 20000
RUN_TIMEOUT_S = 240

# The default test set of Redis 7.0's redis-benchmark, as -q names them.
DEFAULT_TESTS = [
    "PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD",
    "HSET", "SPOP", "ZADD", "ZPOPMIN", "LPUSH (needed to benchmark LRANGE)",
    "LRANGE_100 (first 100 elements)", "LRANGE_300 (first 300 elements)",
    "LRANGE_500 (first 500 elements)", "LRANGE_600 (first 600 elements)", "MSET (10 keys)",
]

RESULT_LINE = re.compile(r"^\s*(.+?): ([0-9.]+) requests per second")


def run_benchmark(port, requests, pipeline):
    argv = ["redis-benchmark", "-h", harness.HOST, "-p", str(port), "-q", "-n", str(requests)]
    if pipeline > 1:
        argv += ["-P", str(pipeline)]
    p = subprocess.run(argv, capture_output=True, timeout=RUN_TIMEOUT_S,
                       stdin=subprocess.DEVNULL)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    # -q redraws a progress line with \r; the final result follows the last \r.
    lines = [seg for line in out.split("\n") for seg in line.split("\r")[-1:]]
    rates = {}
    for line in lines:
        m = RESULT_LINE.match(line)
        if m:
            rates[m.group(1)] = float(m.group(2))
    problems = [ln for ln in re.split(r"[\r\n]", out + "\n" + err)
                if re.search(r"Error from server|ERROR|WARNING|Could not", ln)]
    return p.returncode, rates, problems, out + err


def check_run(results, reel, requests, pipeline, expected_counter):
    label = f"redis-benchmark -n {requests}" + (f" -P {pipeline}" if pipeline > 1 else "")
    try:
        rc, rates, problems, text = run_benchmark(reel.port, requests, pipeline)
    except subprocess.TimeoutExpired:
        results.ok(f"{label}: finished within {RUN_TIMEOUT_S}s", False, "it hung")
        return
    results.eq(f"{label}: exit code", rc, 0)
    results.eq(f"{label}: no error or warning lines", problems, [])
    for name in DEFAULT_TESTS:
        results.ok(f"{label}: {name} printed a requests/s line", rates.get(name, 0) > 0,
                   f"output tail:\n{text[-1500:]}")
    for name in rates:
        results.ok(f"{label}: '{name}' is a known default test", name in DEFAULT_TESTS)
    if rates:
        print(f"{label}: " + ", ".join(f"{k.split(' ')[0]}={v:.0f}" for k, v in rates.items()),
              flush=True)
    results.ok(f"{label}: reel-server still running", reel.alive(), reel.log_tail())
    if not reel.alive():
        return
    with harness.RespConnection(reel.port) as c:
        results.eq(f"{label}: INFO total_error_replies",
                   harness.info_field(c, "total_error_replies", "stats"), "0")
        errorstats = c.call("INFO", "errorstats")
        body = harness.parse_resp(errorstats) if errorstats.startswith(b"$") else errorstats
        results.ok(f"{label}: INFO errorstats has no errorstat_ lines",
                   isinstance(body, bytes) and b"errorstat_" not in body, repr(body[:300]))
        results.eq(f"{label}: INCR test counted every request",
                   c.call("GET", "counter:__rand_int__"),
                   b"$%d\r\n%d\r\n" % (len(str(expected_counter)), expected_counter))
        value = c.call("GET", "key:__rand_int__")  # -d 3: a 3-byte payload
        results.ok(f"{label}: SET test stored a 3-byte value",
                   value.startswith(b"$3\r\n") and len(value) == 9, repr(value))


def main(args, results):
    scale = harness.test_scale()
    # A multiple of 16: with -P 16 redis-benchmark issues whole batches, so
    # the INCR counter check is exact only then.
    requests = max(512, int(BASE_REQUESTS * scale) // 16 * 16)
    print(f"REEL_TEST_SCALE={scale}: {requests} requests per test", flush=True)
    reel = harness.start_reel(args.server)
    check_run(results, reel, requests, 1, requests)
    check_run(results, reel, requests, 16, 2 * requests)
    results.check_stopped_cleanly(reel)


if __name__ == "__main__":
    os.environ.setdefault("LC_ALL", "C")
    harness.run_main(main, __doc__)
