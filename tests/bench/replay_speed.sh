#!/usr/bin/env bash
# Replay speed (a benchmark, not a test): model events per second and replay
# wall time divided by the original run's wall time, for the committed
# pipeline_burst trace and for a capture of ~1M requests made here.
#   bash tests/bench/replay_speed.sh [BUILD_DIR]      (root: pcap on lo)
# REQUESTS (default 1000000) sizes the capture; KEEP=DIR keeps the captured
# bundle in DIR (for profiling the replay of the same bundle again later).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
REEL="$BUILD/reel"
SERVER="$BUILD/reel-server"
REQUESTS="${REQUESTS:-1000000}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

now() { date +%s.%N; }

measure() {  # measure NAME BUNDLE CAPTURE_WALL_S
  local name="$1" bundle="$2" capture_s="$3"
  local records t0 t1 wall
  records="$(jq -r '.records.total // 0' "$bundle/meta.json")"
  # Warm the page cache, then time the best of 3 recorded-schedule replays.
  "$REEL" replay "$bundle" --quiet || true
  local best=""
  for _ in 1 2 3; do
    t0="$(now)"
    "$REEL" replay "$bundle" --quiet --timeline "$WORK/tl.jsonl" || true
    t1="$(now)"
    wall="$(echo "$t1 - $t0" | bc -l)"
    if [ -z "$best" ] || [ "$(echo "$wall < $best" | bc -l)" = 1 ]; then best="$wall"; fi
  done
  local events; events="$(wc -l <"$WORK/tl.jsonl")"
  local verdict; verdict="$("$REEL" replay "$bundle" --json | jq -r '"\(.verdict), \(.records_matched)/\(.records_total) records"')"
  echo "$name: $verdict" >&2
  printf '%-22s %10s %12s %10.3f %14.0f %14.0f %10s\n' "$name" "$records" "$events" "$best" \
    "$(echo "$records / $best" | bc -l)" "$(echo "$events / $best" | bc -l)" \
    "$( [ "$capture_s" = "-" ] && echo "-" || printf '%.1fx' "$(echo "$capture_s / $best" | bc -l)")"
}

command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
printf '%-22s %10s %12s %10s %14s %14s %10s\n' trace records timeline wall_s records/s events/s speedup
burst_span="$(jq -r '((.stop.monotonic_ns - .start.monotonic_ns) / 1e9)' "$ROOT/traces/pipeline_burst/meta.json")"
measure pipeline_burst "$ROOT/traces/pipeline_burst" "$burst_span"

# A fresh ~1M-request capture: redis-benchmark SET/GET, 50 clients, pipelined.
PORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BUNDLE="${KEEP:-$WORK/big}"
"$REEL" capture --pcap-buffered --out "$BUNDLE" --port "$PORT" -- "$SERVER" --port "$PORT" --loglevel warning \
  >"$WORK/capture.log" 2>&1 &
CAP=$!
for _ in $(seq 1 100); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done
t0="$(now)"
redis-benchmark -p "$PORT" -c 50 -P 16 -n "$((REQUESTS / 2))" -t set,get -q >/dev/null 2>&1
t1="$(now)"
kill -INT "$CAP"; wait "$CAP" || true
run_s="$(echo "$t1 - $t0" | bc -l)"
echo "captured $REQUESTS requests in ${run_s}s: $(tail -1 "$WORK/capture.log")"
measure "1M requests (-P 16)" "$BUNDLE" "$run_s"
echo "speedup = original run's wall time / replay wall time (target >= 10x); events/s counts timeline events (target >= 1M/s)"
