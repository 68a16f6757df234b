#!/usr/bin/env bash
# What recording costs: redis-benchmark SET/GET throughput with and without
# capture, for reel-server and Debian's redis-server, in one invocation.
#
#   tests/bench/capture_overhead.sh [BUILD_DIR]     (default: build/)
#
# Not a test: it prints a table and exits 0 unless something failed to run.
# For each server, every mode is started fresh on a free loopback port:
#   plain   the server alone
#   rec     recorder only: reel capture --no-pcap (reel-server through
#           --record, redis-server through libreel-preload.so)
#   rec+pcap  reel capture with pcap on lo (immediate mode, the default)
#   rec+pcapbuf  the same with --pcap-buffered (TPACKET_V3 block delivery)
#   strace  strace -f -e trace=epoll_wait,read,write (the peer ratio; its
#           request count is divided by STRACE_DIV, throughput is comparable)
# redis-benchmark -c 50 -t set,get at -P 1 and -P 16. Modes alternate within
# each round, ROUNDS rounds (default 2). Reported: the BEST req/s of the
# rounds, and as "ratio" the MEDIAN over rounds of mode/plain within the same
# round (robust against a shared machine's drift). Targets from the capture
# issue: rec >= 0.95, rec+pcap >= 0.85.
#
# Environment:
#   ROUNDS=2  BENCH_SCALE=1 (multiplies request counts)  STRACE_DIV=10
#   RUN_TIMEOUT=180 seconds per redis-benchmark run
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="${1:-$ROOT/build}"
REEL_SERVER="$BUILD/reel-server"
REEL="$BUILD/reel"
ROUNDS="${ROUNDS:-2}"
SCALE="${BENCH_SCALE:-1}"
STRACE_DIV="${STRACE_DIV:-10}"
RUN_TIMEOUT="${RUN_TIMEOUT:-180}"
CLIENTS=50
CONFIGS=("1:200000" "16:2000000")  # depth:requests
TESTS=(SET GET)
MODES=(plain rec rec+pcap rec+pcapbuf strace)
SERVERS=(reel-server redis-server)

for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install redis-server redis-tools)" >&2; exit 2; }
done
if ! command -v strace >/dev/null; then
  echo "strace not found; installing it (Debian package strace)" >&2
  apt-get install -y strace >/dev/null 2>&1 || { echo "error: cannot install strace" >&2; exit 2; }
fi
for f in "$REEL_SERVER" "$REEL"; do
  [[ -x "$f" ]] || { echo "error: $f not found (pass the build directory)" >&2; exit 2; }
done
[[ -f "$BUILD/libreel-preload.so" ]] || { echo "error: $BUILD/libreel-preload.so not found" >&2; exit 2; }

WORK="$(mktemp -d -t reel-capture-bench.XXXXXX)"
PID=""
stop_pid() {
  local pid="$1"
  [[ -n "$pid" ]] || return 0
  if kill -0 "$pid" 2>/dev/null; then
    # strace detaches on SIGINT and would leave the server running: stop
    # the traced server itself; strace exits with it.
    if [[ "$(ps -o comm= -p "$pid" 2>/dev/null)" == strace ]]; then
      for child in $(pgrep -P "$pid"); do kill -TERM "$child" 2>/dev/null || true; done
    else
      kill -INT "$pid" 2>/dev/null || true
    fi
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() { stop_pid "$PID"; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

server_cmd() {  # kind port
  if [[ $1 == reel-server ]]; then
    echo "$REEL_SERVER --port $2 --bind 127.0.0.1 --loglevel warning"
  else
    echo "redis-server --port $2 --bind 127.0.0.1 --save '' --appendonly no --daemonize no --dir $WORK --logfile $WORK/redis.log"
  fi
}

# start KIND MODE PORT: starts the server in the mode, sets PID, waits for PING.
start() {
  local kind="$1" mode="$2" port="$3" cmd
  cmd="$(server_cmd "$kind" "$port")"
  rm -rf "$WORK/bundle"
  case "$mode" in
    plain) eval "exec_cmd=($cmd)" ;;
    rec) eval "exec_cmd=($REEL capture --out $WORK/bundle --port $port --no-pcap -- $cmd)" ;;
    rec+pcap) eval "exec_cmd=($REEL capture --out $WORK/bundle --port $port -- $cmd)" ;;
    rec+pcapbuf) eval "exec_cmd=($REEL capture --out $WORK/bundle --port $port --pcap-buffered -- $cmd)" ;;
    strace) eval "exec_cmd=(strace -f -qq -o /dev/null -e trace=epoll_wait,read,write $cmd)" ;;
  esac
  "${exec_cmd[@]}" >"$WORK/run.log" 2>&1 &
  PID=$!
  for _ in $(seq 600); do
    kill -0 "$PID" 2>/dev/null || { echo "error: $kind ($mode) exited during start-up:" >&2; cat "$WORK/run.log" >&2; exit 1; }
    [[ "$(redis-cli -h 127.0.0.1 -p "$port" PING 2>/dev/null)" == PONG ]] && return 0
    sleep 0.05
  done
  echo "error: $kind ($mode) did not answer PING" >&2
  exit 1
}

bench() {  # port depth requests -> "SET 123.4" lines
  timeout "$RUN_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "$1" -t set,get -c "$CLIENTS" \
    -P "$2" -n "$3" -q </dev/null 2>&1 |
    tr '\r' '\n' | sed -n 's/^\([A-Z_]*\): \([0-9.]*\) requests per second.*/\1 \2/p'
}

# CPU time (clock ticks) used so far by pid and its children (the server
# under reel capture or strace): the benchmark's CPU cost, which a busy
# shared machine distorts far less than throughput.
cpu_ticks() {
  local total=0 p t
  for p in "$1" $(pgrep -P "$1"); do
    t="$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$p/stat" 2>/dev/null || echo 0)"
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }

declare -A BEST DROPS ROUND CPU
echo "redis-benchmark -t set,get -c $CLIENTS -q; best of $ROUNDS rounds; $(nproc) CPUs"
for round in $(seq "$ROUNDS"); do
  for kind in "${SERVERS[@]}"; do
    for mode in "${MODES[@]}"; do
      port="$(free_port)"
      start "$kind" "$mode" "$port"
      for cfg in "${CONFIGS[@]}"; do
        depth="${cfg%%:*}"
        n="$(awk -v n="${cfg##*:}" -v s="$SCALE" -v d="$([[ $mode == strace ]] && echo "$STRACE_DIV" || echo 1)" \
          'BEGIN { r = int(n * s / d); print (r < 1000 ? 1000 : r) }')"
        cpu0="$(cpu_ticks "$PID")"
        out="$(bench "$port" "$depth" "$n" || true)"
        cpu1="$(cpu_ticks "$PID")"
        # microseconds of CPU per request (SET and GET runs: 2n requests)
        CPU["$kind|$mode|$depth|$round"]="$(awk -v d=$((cpu1 - cpu0)) -v hz="$(getconf CLK_TCK)" \
          -v n="$n" 'BEGIN { printf "%.3f", d * 1e6 / hz / (2 * n) }')"
        echo "  round $round $kind $mode -P $depth -n $n: $(echo "$out" | tr '\n' ' ')" >&2
        for t in "${TESTS[@]}"; do
          v="$(echo "$out" | awk -v t="$t" '$1 == t { print $2 }')"
          key="$kind|$mode|$t|$depth"
          BEST[$key]="$(max "${BEST[$key]:-0}" "${v:-0}")"
          ROUND["$key|$round"]="${v:-0}"
        done
      done
      stop_pid "$PID"
      PID=""
      if [[ $mode == rec* && -f "$WORK/bundle/meta.json" ]]; then
        d="$(/usr/bin/python3 -c 'import json,sys; m = json.load(open(sys.argv[1]))
p = m.get("pcap") or {}; r = m.get("records") or {}
print("records %s dropped %s, pcap dropped %s/%s, bundle %s" % (r.get("total"), r.get("dropped"),
      p.get("dropped_by_kernel", "-"), p.get("dropped_by_interface", "-"), sys.argv[2]))' \
          "$WORK/bundle/meta.json" "$(du -sh "$WORK/bundle" | cut -f1)")"
        echo "    $d" >&2
        DROPS["$kind|$mode"]="${DROPS["$kind|$mode"]:-} [$d]"
      fi
    done
  done
done

echo
printf '%-13s %-5s %5s %12s %12s %7s %12s %7s %12s %7s %12s %7s\n' server test depth \
  "plain req/s" "rec req/s" "ratio" "+pcap req/s" "ratio" "+pcapbuf r/s" "ratio" "strace req/s" \
  "ratio"
for kind in "${SERVERS[@]}"; do
  for cfg in "${CONFIGS[@]}"; do
    depth="${cfg%%:*}"
    for t in "${TESTS[@]}"; do
      p="${BEST[$kind|plain|$t|$depth]}"
      row=""
      for mode in rec rec+pcap rec+pcapbuf strace; do
        v="${BEST[$kind|$mode|$t|$depth]}"
        # The median over rounds of (mode / plain of the same round): runs
        # of one round are minutes apart at most, so drift of a shared
        # machine cancels better than in a ratio of bests.
        pairs=""
        for round in $(seq "$ROUNDS"); do
          pairs+="${ROUND[$kind|$mode|$t|$depth|$round]:-0}:${ROUND[$kind|plain|$t|$depth|$round]:-0} "
        done
        ratio="$(echo "$pairs" | tr ' ' '\n' | awk -F: 'NF == 2 && $2 > 0 { print $1 / $2 }' |
          sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "n/a";
            else if (NR % 2) printf "%.3f", a[(NR + 1) / 2];
            else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }')"
        row+="$(printf ' %12.0f %7s' "$v" "$ratio")"
      done
      printf '%-13s %-5s %5s %12.0f%s\n' "$kind" "$t" "$depth" "$p" "$row"
    done
  done
done
echo
echo "CPU microseconds per request (server + reel capture or strace), median over rounds;"
echo "in parentheses the median per-round ratio to plain:"
printf '%-13s %5s %10s %18s %18s %18s %18s\n' server depth plain rec rec+pcap rec+pcapbuf strace
median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print "n/a";
  else if (NR % 2) printf "%.3f", a[(NR + 1) / 2]; else printf "%.3f", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
for kind in "${SERVERS[@]}"; do
  for cfg in "${CONFIGS[@]}"; do
    depth="${cfg%%:*}"
    vals=""
    for round in $(seq "$ROUNDS"); do vals+="${CPU[$kind|plain|$depth|$round]:-} "; done
    row="$(printf '%-13s %5s %10s' "$kind" "$depth" "$(echo "$vals" | median)")"
    for mode in rec rec+pcap rec+pcapbuf strace; do
      vals=""
      ratios=""
      for round in $(seq "$ROUNDS"); do
        v="${CPU[$kind|$mode|$depth|$round]:-}"
        b="${CPU[$kind|plain|$depth|$round]:-}"
        vals+="$v "
        ratios+="$(awk -v v="$v" -v b="$b" 'BEGIN { if (b > 0) print v / b }') "
      done
      row+="$(printf ' %10s (%5s)' "$(echo "$vals" | median)" "$(echo "$ratios" | median)")"
    done
    echo "$row"
  done
done
echo
echo "recorder statistics per run (records, drops, bundle size):"
for kind in "${SERVERS[@]}"; do
  for mode in rec rec+pcap rec+pcapbuf; do
    echo "  $kind $mode:${DROPS["$kind|$mode"]:-}"
  done
done
