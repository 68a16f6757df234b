#!/usr/bin/env bash
# The main job of the quick start: start reel-server on a free loopback port,
# drive it with redis-cli and a short redis-benchmark run, print what
# happened, stop it by PID. (Capture -> replay -> verdict joins this demo as
# those parts land.)
set -euo pipefail
BUILD="${1:-build}"
SERVER="$BUILD/reel-server"
WORK="$(mktemp -d)"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$SERVER" --port 0 --bind 127.0.0.1 --port-file "$WORK/port" --loglevel warning &
PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/port" ] && break; sleep 0.05; done
PORT="$(cat "$WORK/port")"
echo "reel-server (pid $PID) listening on 127.0.0.1:$PORT"

cli() { echo "> $*"; redis-cli -p "$PORT" "$@"; }
cli PING
cli SET greeting "hello from reel"
cli GET greeting
cli RPUSH queue a b c
cli LRANGE queue 0 -1
cli HSET user:1 name ada lang c++
cli HGETALL user:1
cli ZADD board 10 alice 20 bob
cli ZRANGE board 0 -1 WITHSCORES
cli INCR counter
cli DBSIZE

echo "> redis-benchmark -q -n 20000 -c 20 -t ping,set,get,incr,lpush,lrange_100"
redis-benchmark -p "$PORT" -q -n 20000 -c 20 -t ping,set,get,incr,lpush,lrange_100 2>&1 |
  tr '\r' '\n' | grep -E 'requests per second' || true

kill -TERM "$PID"
wait "$PID" && echo "reel-server stopped cleanly (exit 0)"
