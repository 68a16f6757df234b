#!/usr/bin/env python3
"""`reel minimize` end to end on the committed traces, through the CLI.

- traces/set_get_race under `--order reverse`: exit 0; the kept requests are
  the racing `SET race new` and `GET race` (and the DEBUG SLEEP that holds
  the loop); fewer requests and bytes than the original; the output bundle
  replays on its own (`reel replay` -> REPRODUCED, exit 0) and `reel whatif
  OUT --order reverse` still changes the GET's reply (exit 1); tcpdump reads
  its pcap; two runs write byte-identical bundles.
- Without policy flags the difference is found by exploring shuffle seeds.
- `--predicate CMD`: the candidate bundle's directory is in $REEL_BUNDLE;
  a predicate false on the original exits 1; a bundle with no reply
  difference exits 2 ("nothing to minimize"); bad input exits 2 with one
  line on stderr.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TRACES = os.path.join(ROOT, "traces")
RACE = os.path.join(TRACES, "set_get_race")


def run(cmd, timeout=300):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main(args, r):
    reel = os.path.join(os.path.dirname(args.server), "reel")
    work = tempfile.mkdtemp(prefix="reel-minimize-test-")
    try:
        out = os.path.join(work, "min")
        p = run([reel, "minimize", RACE, "--out", out, "--order", "reverse", "--json"])
        r.eq("minimize --order reverse exit code", p.returncode, 0)
        j = json.loads(p.stdout) if p.returncode == 0 else {}
        kept = [k["command"] for k in j.get("kept_requests", [])]
        r.ok("kept requests include SET race new", "SET race new" in kept, kept)
        r.ok("kept requests include GET race", "GET race" in kept, kept)
        r.eq("predicate target", (j.get("predicate", {}).get("name"),
                                  j.get("predicate", {}).get("key")), ("get", "race"))
        r.ok("requests shrank", j.get("requests", {}).get("kept", 99) <
             j.get("requests", {}).get("original", 0), j.get("requests"))
        r.ok("bytes shrank", j.get("bytes", {}).get("kept", 1 << 30) <
             j.get("bytes", {}).get("original", 0), j.get("bytes"))
        r.eq("kept request count matches the list", j.get("requests", {}).get("kept"), len(kept))
        r.ok("evaluations counted", j.get("evaluations", 0) > 1, j.get("evaluations"))
        r.ok("output verified", j.get("ok") is True, j.get("output"))

        meta = json.load(open(os.path.join(out, "meta.json")))
        r.eq("meta minimized_from", meta.get("minimized_from"), RACE)
        r.eq("meta status", meta.get("status"), "complete")
        r.eq("meta requests kept", meta.get("minimize", {}).get("requests", {}).get("kept"),
             len(kept))

        p = run([reel, "replay", out])
        r.eq("reel replay OUT exit code", p.returncode, 0)
        r.ok("reel replay OUT reproduces", p.stdout.startswith("REPRODUCED"), p.stdout + p.stderr)

        p = run([reel, "whatif", out, "--order", "reverse", "--json"])
        r.eq("reel whatif OUT --order reverse exit code (replies change)", p.returncode, 1)
        w = json.loads(p.stdout) if p.stdout else {}
        changed = [c["command"] for run_ in w.get("runs", []) for c in run_["reply_changes"]]
        r.ok("the what-if still changes GET race", "GET race" in changed, changed)
        r.ok("the what-if's base run reproduces the output's capture",
             w.get("base", {}).get("reproduces_capture") is True, w.get("base"))

        if shutil.which("tcpdump"):
            p = run(["tcpdump", "-nn", "-r", os.path.join(out, "packets.pcap")])
            lines = [x for x in p.stdout.splitlines() if " IP " in x]
            r.eq("tcpdump reads every synthesized packet", len(lines),
                 j.get("output", {}).get("packets"))

        again = os.path.join(work, "again")
        p = run([reel, "minimize", RACE, "--out", again, "--order", "reverse", "--json"])
        r.eq("second run exit code", p.returncode, 0)
        for f in ("events.reel", "packets.pcap", "meta.json"):
            r.ok(f"deterministic: {f} byte-identical across runs",
                 read(os.path.join(out, f)) == read(os.path.join(again, f)))

        # No policy: the first changing shuffle seed is kept fixed.
        p = run([reel, "minimize", RACE, "--out", os.path.join(work, "explore"), "--json"])
        r.eq("minimize without policy exit code", p.returncode, 0)
        e = json.loads(p.stdout) if p.returncode == 0 else {}
        r.ok("explored policy is a shuffle seed",
             e.get("predicate", {}).get("policy", "").startswith("order shuffle:"), e.get("predicate"))
        r.ok("explore keeps GET race", "GET race" in [k["command"] for k in e.get("kept_requests", [])])

        # A user predicate, reading the candidate from $REEL_BUNDLE.
        pred = f'"{reel}" whatif "$REEL_BUNDLE" --order reverse --json | grep -q "GET race"'
        p = run([reel, "minimize", RACE, "--out", os.path.join(work, "cmd"), "--predicate", pred,
                 "--json"])
        r.eq("minimize --predicate exit code", p.returncode, 0)
        c = json.loads(p.stdout) if p.returncode == 0 else {}
        r.eq("command predicate keeps the same requests",
             sorted(k["command"] for k in c.get("kept_requests", [])), sorted(kept))

        p = run([reel, "minimize", RACE, "--out", os.path.join(work, "f"), "--predicate", "false"])
        r.eq("predicate false on the original: exit 1", p.returncode, 1)
        r.ok("  one line on stderr", p.stderr.count("\n") == 1, p.stderr)

        p = run([reel, "minimize", os.path.join(TRACES, "set_get_session"), "--out",
                 os.path.join(work, "n")])
        r.eq("no difference to minimize: exit 2", p.returncode, 2)
        r.ok("  says nothing to minimize", "nothing to minimize" in p.stderr, p.stderr)

        p = run([reel, "minimize", os.path.join(work, "missing"), "--out", os.path.join(work, "m")])
        r.eq("missing bundle: exit 2", p.returncode, 2)
        r.ok("  one line on stderr", p.stderr.count("\n") == 1, p.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    harness.run_main(main, "reel minimize on the committed traces")
