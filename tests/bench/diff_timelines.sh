#!/usr/bin/env bash
# `reel diff` on two 1,000,000-event timelines (a benchmark, not a test).
#   bash tests/bench/diff_timelines.sh [BUILD_DIR]
# Builds timeline A by repeating the committed pipeline_burst replay timeline
# (connection ids and times shifted per repetition, seq renumbered) up to
# EVENTS events (default 1000000); B is A with one event, near the end,
# moved three places later. Runs `reel diff A B` (expects exit 1 and exactly
# one reordered event) and `reel diff A A` under /usr/bin/time -v, and prints
# wall time, peak RSS and the inputs' sizes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-$ROOT/build}" && pwd)"
REEL="$BUILD/reel"
EVENTS="${EVENTS:-1000000}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

/usr/bin/python3 - "$ROOT/traces/pipeline_burst/timeline.golden.jsonl" "$EVENTS" \
  "$WORK/a.jsonl" "$WORK/b.jsonl" <<'EOF'
import json, sys

golden, total, path_a, path_b = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
with open(golden) as f:
    header = f.readline()
    template = [json.loads(line) for line in f]
for e in template:
    del e["seq"]  # renumbered as written
# The replay's own start and end (listener closes, end) appear once.
body = [e for e in template if e["kind"] != "end" and not (e["kind"] == "close" and e["conn"] == 0)]
tail = [e for e in template if e["kind"] == "end" or (e["kind"] == "close" and e["conn"] == 0)]
conns = max(e.get("conn", 0) for e in template)
span = template[-1]["t_ns"] + 1000

def events():
    n, rep = 0, 0
    while True:
        for e in body:
            if n == total - len(tail):
                for t in tail:
                    t = dict(t)
                    t["t_ns"] += rep * span
                    yield t
                return
            e = dict(e)
            e["t_ns"] += rep * span
            if e.get("conn"):
                e["conn"] += rep * conns
            if "ready" in e:
                e["ready"] = [dict(r, conn=r["conn"] + rep * conns if r["conn"] else 0) for r in e["ready"]]
            n += 1
            yield e
        rep += 1

# B moves one event (the first write at or after total - 1000) three places later.
move_from = None
with open(path_a, "w") as fa, open(path_b, "w") as fb:
    fa.write(header)
    fb.write(header)
    held, after = None, 0
    seq_a = seq_b = 0
    def write_b(body_text):
        global seq_b
        seq_b += 1
        fb.write('{"seq":%d,%s\n' % (seq_b, body_text))
    for e in events():
        text = json.dumps(e, separators=(",", ":"))[1:]
        seq_a += 1
        fa.write('{"seq":%d,%s\n' % (seq_a, text))
        if move_from is None and seq_a >= total - 1000 and e["kind"] == "write":
            move_from, held, moved = seq_a, text, e
            continue
        write_b(text)
        if held is not None:
            after += 1
            if after == 3:
                write_b(held)
                held = None
print("moved A seq %d (%s conn %d) to B seq %d" % (move_from, moved["kind"], moved["conn"], move_from + 3),
      file=sys.stderr)
EOF

measure() {  # measure LABEL EXPECTED_EXIT A B
  local label="$1" expect="$2" a="$3" b="$4" rc=0
  /usr/bin/time -v "$REEL" diff "$a" "$b" >"$WORK/out.txt" 2>"$WORK/time.txt" || rc=$?
  if [ "$rc" != "$expect" ]; then
    echo "$label: reel diff exited $rc, expected $expect"; cat "$WORK/out.txt" "$WORK/time.txt"; exit 1
  fi
  local wall rss cpu
  wall="$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/time.txt")"
  rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")"
  # CPU time too: on a shared machine the wall time includes waiting for a core.
  cpu="$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$WORK/time.txt")"
  printf '%-36s wall %8s  cpu %5ss  peak RSS %6.1f MiB  exit %s\n' "$label" "$wall" "$cpu" \
    "$(echo "$rss / 1024" | bc -l)" "$rc"
}

command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
for f in a b; do
  printf 'input %s: %d lines (%d events), %.1f MiB\n' "$f" "$(wc -l <"$WORK/$f.jsonl")" \
    "$(($(wc -l <"$WORK/$f.jsonl") - 1))" "$(echo "$(stat -c %s "$WORK/$f.jsonl") / 1048576" | bc -l)"
done
cat "$WORK/a.jsonl" "$WORK/b.jsonl" >/dev/null  # warm the page cache
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
measure "reel diff A B (one reordered event)" 1 "$WORK/a.jsonl" "$WORK/b.jsonl"
grep -E '^DIFFERENT|^first divergence' "$WORK/out.txt"
grep -q ' 0 inserted, 0 deleted, 1 reordered, 0 changed$' "$WORK/out.txt" ||
  { echo "expected exactly one reordered event"; cat "$WORK/out.txt"; exit 1; }
cp "$WORK/a.jsonl" "$WORK/a2.jsonl"
measure "reel diff A A' (identical copy)" 0 "$WORK/a.jsonl" "$WORK/a2.jsonl"
cat "$WORK/out.txt"
