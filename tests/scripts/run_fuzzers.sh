#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from the
# committed seed corpus (copied, so CI never writes into the tree).
set -uo pipefail
BUILD="$1"
SECONDS_EACH="${2:-60}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rc=0
for fuzzer in $(find "$BUILD" -type f -name '*_fuzz' -perm -u+x | sort); do
  name="$(basename "$fuzzer")"
  seeds="$ROOT/tests/fuzz/corpus/${name%_fuzz}"
  work="$(mktemp -d)"
  [ -d "$seeds" ] && cp -r "$seeds/." "$work/"
  if "$fuzzer" -max_total_time="$SECONDS_EACH" -max_len=65536 -print_final_stats=1 \
      -artifact_prefix="$work/" "$work" >"$work.log" 2>&1; then
    echo "fuzz $name: ok, $(grep -oE 'stat::number_of_executed_units: [0-9]+' "$work.log" | awk '{print $2}') executions in ${SECONDS_EACH}s"
  else
    echo "fuzz $name: FAILED"; tail -n 40 "$work.log"; rc=1
  fi
  rm -rf "$work" "$work.log"
done
exit $rc
