#!/usr/bin/python3
"""The committed sample bundles in traces/ stay readable and consistent:
tshark reads each pcap, `reel events --json` reads each log, every accepted
fd maps to a pcap flow with equal byte counts, every ready fd was
registered, times interleave, each bundle is under 1 MB, and each still
shows what it was recorded for (see traces/README.md)."""

import argparse
import json
import os
import sys
import traceback

import capture_harness as ch
import harness

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRACES = os.path.join(ROOT, "traces")

# name -> (minimum connections, expects partial writes)
EXPECTED = {
    "set_get_session": (1, False),
    "pipeline_burst": (20, False),
    "large_value": (2, True),
    "debug_sleep_stall": (3, False),
    "redis_shim_session": (2, False),
    "two_clients_race": (3, False),
}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("--reel")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    reel = args.reel or ch.tool_paths(args.server)[0]
    res = harness.Results(verbose=args.verbose)
    try:
        present = sorted(d for d in os.listdir(TRACES) if os.path.isdir(os.path.join(TRACES, d)))
        res.eq("the sample bundles are all present", sorted(set(EXPECTED) - set(present)), [])
        for name in present:
            if not os.path.exists(os.path.join(TRACES, name, "meta.json")):
                continue  # not a bundle
            d = os.path.join(TRACES, name)
            size = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
                       if f in ("events.reel", "packets.pcap", "meta.json"))
            res.ok(f"{name}: under 1 MB", size < 1024 * 1024, f"{size} bytes")
            res.ok(f"{name}: has a regeneration script",
                   os.path.exists(os.path.join(TRACES, f"make_{name}.py")))
            with open(os.path.join(d, "meta.json")) as f:
                meta = json.load(f)
            min_conns, partial = EXPECTED.get(name, (1, False))
            ch.check_bundle(res, name, reel, d, meta["capture"]["port"],
                            expect_partial_writes=partial, min_connections=min_conns)
            res.eq(f"{name}: recorded completely", meta.get("status"), "complete")
        records, _, _ = ch.load_events(reel, os.path.join(TRACES, "two_clients_race"))
        accepted = [r["ret"] for r in records if r["kind"] == "accept4" and r["ret"] >= 0][:2]
        res.ok("two_clients_race: both racers in one epoll_wait batch",
               any(r["kind"] == "epoll_wait" and
                   set(accepted) <= {e["data"] for e in r["ready"]} for r in records))
        records, _, _ = ch.load_events(reel, os.path.join(TRACES, "debug_sleep_stall"))
        waits = [r for r in records if r["kind"] == "epoll_wait"]
        gaps = [b["entry_ns"] - a["ts_ns"] for a, b in zip(waits, waits[1:])]
        res.ok("debug_sleep_stall: one loop iteration took >= 250 ms",
               gaps and max(gaps) >= 250_000_000)
        records, _, _ = ch.load_events(reel, os.path.join(TRACES, "pipeline_burst"))
        res.ok("pipeline_burst: an epoll_wait returned several clients",
               max(r["ret"] for r in records if r["kind"] == "epoll_wait") >= 2)
    except Exception as e:
        res.error("test body", e)
        traceback.print_exc()
    finally:
        res.finish()


if __name__ == "__main__":
    sys.exit(main())
