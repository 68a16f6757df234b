#!/usr/bin/env bash
# The quick start's main job: capture -> replay -> verdict on the bundled
# reel-server.
#   1. `reel capture` starts reel-server on a free loopback port, recording
#      every kernel call (event log) and the packets (pcap on lo);
#   2. redis-cli and redis-benchmark drive it with several clients;
#   3. capture stops; `reel inspect` summarises the bundle;
#   4. `reel replay` re-runs the server's own code on the recording and
#      prints the verdict; the model schedule measures the kernel model;
#   5. `reel report` writes the one-page incident report (+ report.html).
# The bundle is left in BUILD/demo-bundle for you to explore.
set -euo pipefail
BUILD="$(cd "${1:-build}" && pwd)"
REEL="$BUILD/reel"
SERVER="$BUILD/reel-server"
BUNDLE="$BUILD/demo-bundle"
rm -rf "$BUNDLE"

PORT="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
echo "== 1. capture: reel-server on 127.0.0.1:$PORT, recorded into $BUNDLE"
"$REEL" capture --pcap-buffered --out "$BUNDLE" --port "$PORT" -- "$SERVER" --port "$PORT" --loglevel warning &
CAP=$!
trap 'kill -INT "$CAP" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do redis-cli -p "$PORT" ping >/dev/null 2>&1 && break; sleep 0.05; done

echo "== 2. workload"
cli() { echo "> $*"; redis-cli -p "$PORT" "$@"; }
cli SET greeting "hello from reel"
cli GET greeting
cli RPUSH queue a b c
cli LRANGE queue 0 -1
cli HSET user:1 name ada lang c++
cli ZADD board 10 alice 20 bob
cli ZRANGE board 0 -1 WITHSCORES
echo "> redis-benchmark -c 10 -n 5000 -P 4 -t set,get,incr,lpush,lrange_100"
redis-benchmark -p "$PORT" -q -c 10 -n 5000 -P 4 -t set,get,incr,lpush,lrange_100 2>&1 |
  tr '\r' '\n' | grep -E 'requests per second' || true
cli DBSIZE

echo "== 3. stop the capture"
kill -INT "$CAP"
trap - EXIT
wait "$CAP" || true
"$REEL" inspect "$BUNDLE" || true

echo "== 4. replay"
echo "> reel replay $BUNDLE --timeline $BUNDLE/timeline.jsonl"
verdict=0
"$REEL" replay "$BUNDLE" --timeline "$BUNDLE/timeline.jsonl" || verdict=$?
echo "> reel replay $BUNDLE --schedule model"
"$REEL" replay "$BUNDLE" --schedule model | tail -n 6 || true

echo "== 5. report"
echo "> reel report $BUNDLE --out-dir $BUNDLE.report --html"
# The page's head: summary, findings, replay; the full page (latency and
# fairness per command and connection) is in report.html.
"$REEL" report "$BUNDLE" --out-dir "$BUNDLE.report" --html >"$BUNDLE.report.txt" || true
sed -n '1,/^reel latency/p' "$BUNDLE.report.txt" | sed '$d'
echo "(full page: $BUNDLE.report.txt)"
echo
echo "bundle: $BUNDLE (events.reel, packets.pcap, meta.json, timeline.jsonl)"
echo "report: $BUNDLE.report/report.html, timeline.html, timeline.perfetto.json"
exit $verdict
