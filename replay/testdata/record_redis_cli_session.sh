#!/usr/bin/env bash
# Regenerates redis_cli_session.pcap, the real capture behind
# TcpReassemblyRealCaptureTest: redis-cli talking to Debian's redis-server 7.0
# on loopback, recorded by tcpdump. Needs root (or CAP_NET_RAW) for tcpdump.
# The test's expected streams are written against exactly these commands.
set -euo pipefail
PORT="${PORT:-23911}"
OUT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/redis_cli_session.pcap"
TMP="$(mktemp -d)"
cleanup() {
  [ -n "${TCPDUMP:-}" ] && kill "$TCPDUMP" 2>/dev/null || true
  [ -n "${SERVER:-}" ] && kill "$SERVER" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

redis-server --port "$PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --dir "$TMP" >"$TMP/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 50); do redis-cli -p "$PORT" PING >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$PORT" DEL greeting big counter >/dev/null   # before the capture starts

tcpdump -i lo --immediate-mode -w "$TMP/capture.pcap" -U -Z root "tcp port $PORT" 2>"$TMP/tcpdump.log" &
TCPDUMP=$!
for _ in $(seq 50); do grep -q listening "$TMP/tcpdump.log" && break; sleep 0.1; done

# One connection per redis-cli run. Commands are given as arguments, never on
# stdin: reading stdin, redis-cli first fetches COMMAND DOCS (a 120 KB reply).
redis-cli -p "$PORT" SET greeting "hello world" >/dev/null
sleep 0.05
redis-cli -p "$PORT" GET greeting >/dev/null
sleep 0.05
head -c 5000 /dev/zero | tr '\0' x | redis-cli -p "$PORT" -x SET big >/dev/null
sleep 0.05
redis-cli -p "$PORT" GET big >/dev/null
sleep 0.05
redis-cli -p "$PORT" -r 3 INCR counter >/dev/null   # three commands, one connection
sleep 0.05
redis-cli -p "$PORT" INCR greeting >/dev/null || true
sleep 0.3

kill -INT "$TCPDUMP"
wait "$TCPDUMP" || true
TCPDUMP=
cp "$TMP/capture.pcap" "$OUT"
echo "wrote $OUT ($(stat -c %s "$OUT") bytes)"
