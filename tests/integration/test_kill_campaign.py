#!/usr/bin/python3
"""A short kill campaign (tests/reliability/kill_campaign.py) for CI: 10 runs
SIGKILLing reel-server as it records under load, 10 SIGKILLing `reel capture`.

Every run must leave a bundle that `reel inspect` and `reel events` read (exit
0 or 1), that lost acknowledged operations from no further back than the
flush interval (plus slack), and that `reel replay` replays up to the cut
(exit 0, "cut": true); a killed `reel capture` must leave its server running
(orphaned, by design), and the campaign must stop it: no server is left
behind. The full campaign (100 + 100 runs) is in docs/reliability.md.

reel is found beside --server. REEL_TEST_SCALE < 1 (sanitizer builds) runs
fewer rounds.
"""

import json
import os
import sys
import tempfile

import harness

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reliability"))
import kill_campaign  # noqa: E402

SEED = 20240611


def body(args, r):
    reel = os.path.join(os.path.dirname(args.server), "reel")
    if not r.ok(f"reel CLI found at {reel}", os.access(reel, os.X_OK), "build the `reel` target"):
        return
    runs = max(2, round(10 * harness.test_scale()))
    with tempfile.TemporaryDirectory(prefix="reel-kill-it-") as work:
        out_json = os.path.join(work, "campaign.json")
        code = kill_campaign.main([
            "--reel-server", args.server, "--reel", reel, "--runs", str(runs),
            "--seed", str(SEED), "--out-json", out_json, "--load-seconds", "1.0",
            "--keep-dir", os.path.join(tempfile.gettempdir(), "reel-kill-it-failures")])
        with open(out_json) as f:
            result = json.load(f)
    r.eq("kill campaign exit code", code, 0)
    for run in result["runs"]:
        r.eq(f"run {run['run']} ({run['mode']}): problems", run["problems"], [])
    for mode in ("server", "capture"):
        m = result["summary"].get(mode, {})
        r.eq(f"{mode}: runs", m.get("runs"), runs)
        r.eq(f"{mode}: bundles readable", m.get("readable"), runs)
        r.eq(f"{mode}: replayed up to the cut", m.get("replayed_to_cut"), runs)
    cap = result["summary"].get("capture", {})
    r.eq("capture: the server outlived every killed reel capture", cap.get("server_orphaned"), runs)
    r.eq("capture: no server left running", cap.get("server_left_running"), 0)
    # The campaign must measure something: under load a SIGKILL loses records
    # in some runs, and the measured window stays near the flush interval.
    srv = result["summary"].get("server", {})
    r.ok("server: the log's last record is measured in every run",
         srv.get("max_log_lag_ms") is not None, srv)


if __name__ == "__main__":
    harness.run_main(body, __doc__.splitlines()[0])
