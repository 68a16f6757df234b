#!/usr/bin/env bash
# Rewrites traces/*/timeline.golden.jsonl from the current replay. Run after a
# trace is re-recorded or the timeline format changes on purpose, and review
# the diff before committing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
REEL="${1:-$ROOT/build/reel}"
for meta in "$ROOT"/traces/*/meta.json; do
  dir="$(dirname "$meta")"
  if jq -e '.command_line[0] | endswith("reel-server")' "$meta" >/dev/null; then
    "$REEL" replay "$dir" --quiet --timeline "$dir/timeline.golden.jsonl"
    echo "updated $(basename "$dir")/timeline.golden.jsonl ($(wc -l <"$dir/timeline.golden.jsonl") events)"
  fi
done
