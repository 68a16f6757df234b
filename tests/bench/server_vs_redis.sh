#!/usr/bin/env bash
# Throughput of reel-server vs Debian's redis-server under redis-benchmark.
#
#   tests/bench/server_vs_redis.sh [path/to/reel-server]
#
# Not a test: it prints a table and exits 0 unless something failed to run.
# Both servers listen on free loopback ports and are stopped by PID on exit.
# For each (test, pipeline depth) it alternates reel and redis runs,
# ROUNDS times each (default 2), so drift on a shared machine hits both
# alike, and reports the BEST requests/s of the rounds for each server.
#
# Environment:
#   ROUNDS=2        runs per server per configuration (best is reported)
#   BENCH_SCALE=1   multiplies the request counts (e.g. 0.1 for a quick look)
#   RUN_TIMEOUT=120 seconds allowed for one redis-benchmark run
#   BUDGET=600      seconds for all runs; runs that would start later are
#                   skipped and their cells print as 0
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REEL="${1:-$ROOT/build/reel-server}"
ROUNDS="${ROUNDS:-2}"
SCALE="${BENCH_SCALE:-1}"
RUN_TIMEOUT="${RUN_TIMEOUT:-120}"
BUDGET="${BUDGET:-600}"
CLIENTS=50
# depth:requests
CONFIGS=("1:200000" "16:2000000")
TESTS=(SET GET)

for tool in redis-server redis-benchmark redis-cli; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: $tool not found (apt-get install redis-server redis-tools)" >&2
    exit 2
  fi
done
[[ -x "$REEL" ]] || { echo "error: reel-server not found at $REEL (pass its path)" >&2; exit 2; }

WORK="$(mktemp -d -t reel-bench.XXXXXX)"
REEL_PID=""
REDIS_PID=""
cleanup() {
  for pid in $REEL_PID $REDIS_PID; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  # Bind port 0, report the port the kernel chose, close it.
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

wait_ping() {  # port pid name
  for _ in $(seq 300); do
    kill -0 "$2" 2>/dev/null || { echo "error: $3 exited during start-up" >&2; exit 1; }
    [[ "$(redis-cli -h 127.0.0.1 -p "$1" PING 2>/dev/null)" == PONG ]] && return 0
    sleep 0.05
  done
  echo "error: $3 did not answer PING on port $1" >&2
  exit 1
}

# --- reel-server: --port 0, the bound port comes back through a file.
"$REEL" --port 0 --bind 127.0.0.1 --port-file "$WORK/reel.port" --loglevel warning \
  >"$WORK/reel.log" 2>&1 &
REEL_PID=$!
for _ in $(seq 300); do [[ -s "$WORK/reel.port" ]] && break; sleep 0.05; done
REEL_PORT="$(cat "$WORK/reel.port" 2>/dev/null || true)"
if [[ -z "$REEL_PORT" ]]; then
  echo "error: reel-server wrote no port file" >&2
  cat "$WORK/reel.log" >&2
  exit 1
fi
wait_ping "$REEL_PORT" "$REEL_PID" reel-server

# --- redis-server: no persistence, same machine, same loopback.
REDIS_PORT="$(free_port)"
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
  --daemonize no --dir "$WORK" --logfile "$WORK/redis.log" &
REDIS_PID=$!
wait_ping "$REDIS_PORT" "$REDIS_PID" redis-server

# bench PORT DEPTH REQUESTS -> lines "SET 123456.78" / "GET ..."
bench() {
  timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$1" -t set,get -c "$CLIENTS" \
    -P "$2" -n "$3" -q </dev/null 2>&1 |
    tr '\r' '\n' | sed -n 's/^\([A-Z_]*\): \([0-9.]*\) requests per second.*/\1 \2/p'
}

max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

declare -A REEL_BEST REDIS_BEST
REDIS_VERSION="$(redis-server --version | awk '{sub("v=", "", $3); print $3}')"
echo "reel-server $REEL on port $REEL_PORT, redis-server $REDIS_VERSION on port $REDIS_PORT"
echo "redis-benchmark -t set,get -c $CLIENTS -q; best of $ROUNDS alternating rounds per server"
for cfg in "${CONFIGS[@]}"; do
  depth="${cfg%%:*}"
  requests="$(awk -v n="${cfg##*:}" -v s="$SCALE" \
    'BEGIN { r = int(n * s); print (r < 1000 ? 1000 : r) }')"
  for round in $(seq "$ROUNDS"); do
    for server in reel redis; do
      if [[ $server == reel ]]; then port=$REEL_PORT; else port=$REDIS_PORT; fi
      if ((SECONDS > BUDGET)); then
        echo "  budget of ${BUDGET}s used up: skipping the -P $depth $server run" >&2
        continue
      fi
      out="$(bench "$port" "$depth" "$requests" || true)"
      echo "  round $round -P $depth -n $requests $server: $(echo "$out" | tr '\n' ' ')" >&2
      for t in "${TESTS[@]}"; do
        v="$(echo "$out" | awk -v t="$t" '$1 == t { print $2 }')"
        v="${v:-0}"
        key="$t:$depth"
        if [[ $server == reel ]]; then
          REEL_BEST[$key]="$(max "${REEL_BEST[$key]:-0}" "$v")"
        else
          REDIS_BEST[$key]="$(max "${REDIS_BEST[$key]:-0}" "$v")"
        fi
      done
    done
  done
done

if ! kill -0 "$REEL_PID" 2>/dev/null; then
  echo "error: reel-server died during the benchmark" >&2
  exit 1
fi

echo
printf '%-5s %6s %14s %14s %12s\n' test depth "reel req/s" "redis req/s" "reel/redis"
for cfg in "${CONFIGS[@]}"; do
  depth="${cfg%%:*}"
  for t in "${TESTS[@]}"; do
    r="${REEL_BEST[$t:$depth]:-0}"
    d="${REDIS_BEST[$t:$depth]:-0}"
    ratio="$(awk -v r="$r" -v d="$d" 'BEGIN { if (d > 0) printf "%.2f", r / d; else print "n/a" }')"
    printf '%-5s %6s %14.0f %14.0f %12s\n' "$t" "$depth" "$r" "$d" "$ratio"
  done
done
