#!/usr/bin/env python3
"""`reel export` on the committed traces, checked from the outside.

HTML: `reel export traces/NAME/timeline.golden.jsonl --format html` (and the
bundle itself) is rendered by headless Chromium
(`--dump-dom`, no network) and the DOM it built must hold the drawing:
  - one <g class="iteration"> per epoll_wait in the timeline;
  - one <g class="connection"> per connection, holding one rect.request per
    command that connection sent;
  - one div.histogram per command name, with as many rect.bar as the 1-2-5
    buckets from its smallest to its largest latency, and the right counts
    (from the bundle, whose pcap moves arrivals earlier: the right total);
  - nothing to fetch: no http(s) URL, script, link, image or src attribute.
Perfetto: `reel export traces/NAME --format perfetto` is Trace Event JSON whose
events all carry name/ph/ts/pid/tid (dur for X, args for M), whose slices nest
on every track (times read back the way Perfetto reads them), and whose
iteration/command/request counts match the timeline; with the bundle's pcap
every request starts at its wire arrival, never after its read.

The expected numbers come from the committed timeline.golden.jsonl, read here
with its own small model of the spec (docs/timeline.md), not from reel's code.
Fails (does not skip) when /usr/bin/chromium is missing; waits a while for it
first, since a fresh machine may still be installing it.
"""

import bisect
import collections
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TRACES = os.path.join(ROOT, "traces")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_WAIT_S = 600
NAMES = ["set_get_session", "pipeline_burst", "large_value", "debug_sleep_stall",
         "two_clients_race"]


def run(cmd, timeout=120, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)


# ----------------------------------------------------------- expected model

class Expected:
    """Iterations, connections and per-request latency from a timeline."""

    def __init__(self, path):
        with open(path) as f:
            lines = f.read().splitlines()
        self.iterations = 0
        self.peers = {}                                   # conn -> peer
        self.requests = []                                # dicts, dispatch order
        last_read = {}                                    # conn -> t_ns
        awaiting = collections.defaultdict(collections.deque)
        unwritten = collections.defaultdict(collections.deque)  # (request, reply end)
        produced = collections.Counter()                  # reply bytes per conn
        written = collections.Counter()
        for line in lines[1:]:
            e = json.loads(line)
            kind, t, conn = e["kind"], e["t_ns"], e.get("conn", 0)
            if kind == "epoll_wait":
                self.iterations += 1
            elif kind == "accept" and e["ret"] >= 0:
                self.peers[conn] = e.get("peer", "")
            elif kind == "read" and e["ret"] > 0:
                last_read[conn] = t
            elif kind == "command":
                r = {"conn": conn, "command": e["name"], "arrival": last_read.get(conn, t),
                     "written": None}
                self.requests.append(r)
                awaiting[conn].append(r)
            elif kind == "reply":
                produced[conn] += e["bytes"]
                if awaiting[conn]:
                    r = awaiting[conn].popleft()
                    if produced[conn] <= written[conn]:
                        r["written"] = t
                    else:
                        unwritten[conn].append((r, produced[conn]))
            elif kind == "write" and e["ret"] > 0:
                written[conn] += e["ret"]
                while unwritten[conn] and unwritten[conn][0][1] <= written[conn]:
                    unwritten[conn].popleft()[0]["written"] = t
            elif kind == "close":
                awaiting.pop(conn, None)
                unwritten.pop(conn, None)
                produced.pop(conn, None)
                written.pop(conn, None)
        self.conns = set(self.peers) | {r["conn"] for r in self.requests}

    def requests_per_conn(self):
        return collections.Counter(r["conn"] for r in self.requests)

    def histograms(self):
        """command -> list of bar counts (1-2-5 ns buckets, smallest to largest used)."""
        by_command = collections.defaultdict(list)
        for r in self.requests:
            lat = None if r["written"] is None else r["written"] - r["arrival"]
            by_command[r["command"]].append(lat)
        out = {}
        for command, lats in by_command.items():
            lats = [v for v in lats if v is not None]
            if not lats:
                out[command] = []
                continue
            edges = [0]
            decade = 1
            while edges[-1] <= max(lats):
                edges += [decade, 2 * decade, 5 * decade]
                decade *= 10
            buckets = [bisect.bisect_right(edges, max(0, v)) - 1 for v in lats]
            lo, hi = min(buckets), max(buckets)
            counts = [0] * (hi - lo + 1)
            for b in buckets:
                counts[b - lo] += 1
            out[command] = counts
        return out


# ------------------------------------------------------------------- DOM

class DomCounter(html.parser.HTMLParser):
    """Collects what the checks need from Chromium's serialized DOM."""

    def __init__(self):
        super().__init__()
        self.stack = []               # (tag, attrs) of open elements
        self.iterations = 0
        self.requests = collections.Counter()   # data-conn -> rect.request count
        self.connections = []                   # data-conn of each g.connection
        self.bars = collections.defaultdict(list)  # data-command -> [data-count]
        self.histograms = []
        self.fetching = []            # elements that would fetch something

    def _inside(self, tag, cls):
        for t, a in reversed(self.stack):
            if t == tag and cls in a.get("class", "").split():
                return a
        return None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        classes = a.get("class", "").split()
        if tag in ("link", "img", "iframe", "object", "embed") or "src" in a:
            self.fetching.append(tag)
        if tag == "g" and "iteration" in classes:
            self.iterations += 1
        if tag == "g" and "connection" in classes:
            self.connections.append(a.get("data-conn"))
        if tag == "div" and "histogram" in classes:
            self.histograms.append(a.get("data-command"))
        if tag == "rect" and "request" in classes:
            conn = self._inside("g", "connection")
            self.requests[conn.get("data-conn") if conn else None] += 1
        if tag == "rect" and "bar" in classes:
            h = self._inside("div", "histogram")
            self.bars[h.get("data-command") if h else None].append(int(a.get("data-count", -1)))
        self.stack.append((tag, a))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return


def wait_for_chromium(r):
    deadline = time.monotonic() + CHROMIUM_WAIT_S
    while not os.access(CHROMIUM, os.X_OK) and time.monotonic() < deadline:
        time.sleep(5)
    return r.ok(f"{CHROMIUM} is installed (waited up to {CHROMIUM_WAIT_S}s)",
                os.access(CHROMIUM, os.X_OK),
                "install it: apt-get install chromium (tests/scripts/quickstart.sh does)")


def dump_dom(path, work):
    profile = tempfile.mkdtemp(prefix="chromium-profile-", dir=work)
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
           "--dump-dom", "file://" + path]
    return run(cmd, timeout=180)


def check_html(r, reel, name, src, exp, work, exact_bars):
    """exact_bars: src is the timeline file, whose arrivals (reads) the model
    knows; from a bundle the pcap moves arrivals earlier, so only the totals
    per command are compared."""
    name += " (timeline file)" if exact_bars else " (bundle)"
    out = os.path.join(work, name.replace(" ", "_").replace("(", "").replace(")", "") + ".html")
    p = run([reel, "export", src, "--format", "html", "--out", out])
    if not r.ok(f"{name}: reel export --format html exits 0", p.returncode == 0,
                p.stdout + p.stderr):
        return
    r.ok(f"{name}: prints the path it wrote", out in p.stdout, p.stdout)
    with open(out, encoding="utf-8") as f:
        page = f.read()
    for needle in ("http://", "https://", "<script src", "<link", "<img", " src=", "url(",
                   "@import"):
        r.ok(f"{name}: page has no {needle!r} (self-contained)", needle not in page)

    c = dump_dom(out, work)
    if not r.ok(f"{name}: chromium --dump-dom exits 0", c.returncode == 0,
                c.stderr[-2000:]):
        return
    dom = DomCounter()
    dom.feed(c.stdout)
    r.ok(f"{name}: chromium built a DOM with the timeline svg",
         "<svg" in c.stdout and 'id="timeline"' in c.stdout, c.stdout[:500])
    r.eq(f"{name}: one iteration group per epoll_wait", dom.iterations, exp.iterations)
    r.eq(f"{name}: one row per connection", sorted(int(x) for x in dom.connections),
         sorted(exp.conns))
    want = {str(k): v for k, v in exp.requests_per_conn().items()}
    got = {k: v for k, v in dom.requests.items()}
    r.eq(f"{name}: request rects per connection", got, want)
    hist = exp.histograms()
    r.eq(f"{name}: one histogram per command", sorted(dom.histograms), sorted(hist))
    for command, counts in sorted(hist.items()):
        if exact_bars:
            r.eq(f"{name}: {command} histogram bars (count per bucket)",
                 dom.bars.get(command, []), counts)
        else:
            r.eq(f"{name}: {command} histogram counts every answered request",
                 sum(dom.bars.get(command, [])), sum(counts))
    r.eq(f"{name}: nothing in the DOM fetches", dom.fetching, [])


def check_zoom(r, reel, work):
    """The inline zoom script works in Chromium: wheel events over the plot
    narrow the time axis and lay the rects out again."""
    out = os.path.join(work, "zoom.html")
    p = run([reel, "export", os.path.join(TRACES, "pipeline_burst"), "--format", "html",
             "--out", out])
    if not r.ok("zoom: export exits 0", p.returncode == 0, p.stderr):
        return
    with open(out, encoding="utf-8") as f:
        page = f.read()
    probe = ("<script>var svg = document.getElementById('timeline');"
             "var b = svg.getBoundingClientRect();"
             "for (var i = 0; i < 12; i++) svg.dispatchEvent(new WheelEvent('wheel', {deltaY: -100,"
             " clientX: b.left + b.width * 0.93, clientY: b.top + 40, bubbles: true,"
             " cancelable: true}));</script></body>")
    with open(out, "w", encoding="utf-8") as f:
        f.write(page.replace("</body>", probe))
    c = dump_dom(out, work)
    if not r.ok("zoom: chromium --dump-dom exits 0", c.returncode == 0, c.stderr[-2000:]):
        return
    labels = re.findall(r'<g class="axis">.*?<text[^>]*>([^<]*)</text>', c.stdout, re.S)
    r.ok("zoom: the axis starts later than 0 after zooming in near the end",
         bool(labels) and labels[0] != "0 ns", labels[:1])
    r.ok("zoom: rects outside the window are hidden", 'display="none"' in c.stdout)


def perfetto_ns(v):
    """A Trace Event time as Perfetto's importer reads it (µs, truncated ns)."""
    return v * 1000 if isinstance(v, int) else int(v * 1000.0)


def check_perfetto(r, reel, name, d, exp, work):
    out = os.path.join(work, name + ".perfetto.json")
    p = run([reel, "export", d, "--format", "perfetto", "--out", out])
    if not r.ok(f"{name}: reel export --format perfetto exits 0", p.returncode == 0,
                p.stdout + p.stderr):
        return
    with open(out) as f:
        doc = json.load(f)
    events = doc.get("traceEvents", [])
    r.eq(f"{name}: displayTimeUnit", doc.get("displayTimeUnit"), "ns")
    missing = []
    names = {}
    slices = collections.defaultdict(list)
    for i, e in enumerate(events):
        need = ["name", "ph", "pid", "tid"] + ([] if e.get("ph") == "M" else ["ts"])
        need += {"X": ["dur"], "M": ["args"]}.get(e.get("ph"), [])
        missing += [f"event {i} lacks {k}: {e}" for k in need if k not in e]
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            names[e["tid"]] = e["args"]["name"]
        if e.get("ph") == "X" and "ts" in e and "dur" in e:
            ts = perfetto_ns(e["ts"])
            slices[e["tid"]].append((ts, ts + perfetto_ns(e["dur"]), i, e))
    r.eq(f"{name}: every event has the required fields", missing[:3], [])
    misnested = []
    for tid, ss in slices.items():
        ss.sort(key=lambda s: (s[0], -s[1], s[2]))
        open_ends = []
        for start, end, i, e in ss:
            while open_ends and open_ends[-1] <= start and not (open_ends[-1] == start == end):
                open_ends.pop()
            if open_ends and end > open_ends[-1]:
                misnested.append(f"tid {tid}: {e}")
            open_ends.append(end)
    r.eq(f"{name}: slices nest on every track", misnested[:3], [])

    loop = [e for _, _, _, e in slices[1]]
    r.eq(f"{name}: iteration slices = epoll_waits",
         sum(1 for e in loop if e.get("cat") == "loop"), exp.iterations)
    r.eq(f"{name}: command slices = commands",
         sum(1 for e in loop if e.get("cat") == "command"), len(exp.requests))
    # The bundle has a pcap: every request starts at its wire arrival, which
    # is no later than the read that delivered it (the model's arrival).
    requests = sorted((e for ss in slices.values() for _, _, _, e in ss
                       if e.get("cat") == "request"), key=lambda e: e["args"]["request"])
    r.eq(f"{name}: every request's arrival comes from the pcap",
         sorted({e["args"].get("arrival") for e in requests}), ["pcap"])
    late = [e for e in requests
            if perfetto_ns(e["ts"]) > exp.requests[e["args"]["request"]]["arrival"]]
    r.eq(f"{name}: no request starts after the read that delivered it", late[:3], [])
    got = collections.Counter()
    for tid, tname in names.items():
        if tname.startswith("conn "):
            conn = int(tname.split()[1])
            peer = exp.peers.get(conn, "")
            r.ok(f"{name}: track {tname!r} names conn and peer",
                 tname == f"conn {conn} {peer}" or tname.startswith(f"conn {conn} {peer} ("))
            got[conn] += sum(1 for _, _, _, e in slices[tid] if e.get("cat") == "request")
    r.eq(f"{name}: requests per connection track", dict(got), dict(exp.requests_per_conn()))


def check_cli(r, reel, work):
    d = os.path.join(TRACES, "set_get_session")
    cwd = tempfile.mkdtemp(prefix="default-out-", dir=work)
    p = run([reel, "export", d, "--format", "perfetto"], cwd=cwd)
    r.ok("without --out: writes <bundle>.perfetto.json in the current directory",
         p.returncode == 0 and os.path.isfile(os.path.join(cwd, "set_get_session.perfetto.json")),
         p.stdout + p.stderr)
    r.ok("without --out: prints the path", "set_get_session.perfetto.json" in p.stdout, p.stdout)
    p = run([reel, "export", os.path.join(work, "no-such-bundle"), "--format", "html"], cwd=cwd)
    r.ok("missing input: exit 2, one line on stderr",
         p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr)
    p = run([reel, "export", d, "--format", "svg"], cwd=cwd)
    r.ok("unknown format: exit 2", p.returncode == 2, p.stderr)
    p = run([reel, "export", d, "--format", "html", "--out", os.path.join(work, "no", "dir.html")])
    r.ok("unwritable --out: exit 2, one line on stderr",
         p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1, p.stderr)
    # Same bundle, same bytes.
    a, b = os.path.join(work, "a.json"), os.path.join(work, "b.json")
    run([reel, "export", d, "--format", "perfetto", "--out", a])
    run([reel, "export", d, "--format", "perfetto", "--out", b])
    with open(a, "rb") as fa, open(b, "rb") as fb:
        r.ok("perfetto output is byte-identical across runs", fa.read() == fb.read())


def check_report_html(r, reel, work):
    """`reel report --html` on the stall trace: chromium renders the page, the
    verdict says REPRODUCED, the first finding names DEBUG SLEEP as the cause,
    and the page links the timelines written beside it."""
    out = os.path.join(work, "report-dss")
    p = run([reel, "report", os.path.join(TRACES, "debug_sleep_stall"), "--out-dir", out, "--html"])
    page = os.path.join(out, "report.html")
    if not r.ok("report --html: exit 0, report.html written",
                p.returncode == 0 and os.path.isfile(page), p.stdout[-500:] + p.stderr):
        return
    r.ok("report --html: the terminal page names report.html", page in p.stdout, p.stdout[-500:])
    c = dump_dom(page, work)
    if not r.ok("report --html: chromium --dump-dom exits 0", c.returncode == 0, c.stderr[-2000:]):
        return
    dom = c.stdout
    r.ok("report --html: verdict REPRODUCED", 'id="verdict" class="ok">replay: REPRODUCED' in dom,
         dom[:2000])
    items = re.findall(r'<ul class="findings" id="findings">(.*?)</ul>', dom, re.S)
    lis = re.findall(r"<li>(.*?)</li>", items[0], re.S) if items else []
    r.ok("report --html: the first finding is the DEBUG SLEEP stall",
         len(lis) >= 2 and lis[0].startswith("stall at") and "debug SLEEP" in lis[0], str(lis))
    r.ok("report --html: the head-of-line wait of conn 2 is listed",
         any(li.startswith("head_of_line: conn 2") for li in lis), str(lis))
    for target in ("timeline.html", "timeline.perfetto.json"):
        r.ok(f"report --html: links {target}, which exists",
             f'href="{target}"' in dom and os.path.isfile(os.path.join(out, target)))


def main(args, r):
    reel = os.path.join(os.path.dirname(args.server), "reel")
    work = tempfile.mkdtemp(prefix="reel-export-test-")
    try:
        check_cli(r, reel, work)
        have_chromium = wait_for_chromium(r)
        for name in NAMES:
            d = os.path.join(TRACES, name)
            exp = Expected(os.path.join(d, "timeline.golden.jsonl"))
            check_perfetto(r, reel, name, d, exp, work)
            if have_chromium:
                check_html(r, reel, name, os.path.join(d, "timeline.golden.jsonl"), exp, work,
                           exact_bars=True)
                check_html(r, reel, name, d, exp, work, exact_bars=False)
        if have_chromium:
            check_zoom(r, reel, work)
            check_report_html(r, reel, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    harness.run_main(main, __doc__)
