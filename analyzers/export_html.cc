#include "analyzers/export_html.h"

#include "analyzers/export_perfetto.h"
#include "analyzers/html_escape.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <numeric>

namespace reel::analyzers {
namespace {

// Layout of the timeline drawing, in px.
constexpr double kLabelWidth = 210;
constexpr double kPlotWidth = 1000;
constexpr double kAxisHeight = 22;
constexpr double kActivityHeight = 18;
constexpr double kLoopHeight = 34;
constexpr double kRowHeight = 14;
constexpr double kMinRectWidth = 1;  // a 200 ns command in a 2 s trace stays visible

// Histogram drawing.
constexpr double kHistWidth = 360;
constexpr double kHistHeight = 120;
constexpr double kHistBottom = 20;
constexpr double kHistMaxBar = 56;
constexpr double kHistMinWidth = 140;
constexpr size_t kHistMaxEdgeLabels = 6;

std::string Px(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

std::string Num(int64_t v) {
  return std::to_string(v);
}

// "1 request", "2 requests".
std::string Plural(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

class Scale {
 public:
  Scale(int64_t t0, int64_t t1) : t0_(t0), span_(std::max<int64_t>(1, t1 - t0)) {}
  double X(int64_t t) const {
    return kLabelWidth + static_cast<double>(t - t0_) * kPlotWidth / static_cast<double>(span_);
  }
  double W(int64_t a, int64_t b) const { return std::max(kMinRectWidth, X(b) - X(a)); }
  int64_t span() const { return span_; }

 private:
  int64_t t0_;
  int64_t span_;
};

std::string Rect(const std::string& cls, double x, double y, double w, double h,
                 const std::string& data, const std::string& title) {
  return "<rect class=\"" + cls + "\" x=\"" + Px(x) + "\" y=\"" + Px(y) + "\" width=\"" + Px(w) +
         "\" height=\"" + Px(h) + "\"" + data + "><title>" + HtmlEscape(title) +
         "</title></rect>\n";
}

// A rect placed by time: data-s/data-e keep its exact span (ns) so the
// page's zoom script can lay it out again.
std::string TimeRect(const std::string& cls, const Scale& s, int64_t start, int64_t end, double y,
                     double h, const std::string& data, const std::string& title) {
  return Rect(cls, s.X(start), y, s.W(start, end), h,
              " data-s=\"" + Num(start) + "\" data-e=\"" + Num(end) + "\"" + data, title);
}

std::string RequestTitle(const RequestSpan& r, const std::vector<int64_t>* wire) {
  std::string t = r.command;
  if (!r.key.empty()) t += " " + r.key;
  t += " (conn " + Num(static_cast<int64_t>(r.conn)) + ")";
  int64_t latency = RequestLatencyNs(r, wire);
  t += latency == kNoTime ? ": reply never written" : ": " + FormatDuration(latency);
  if (r.replied) t += " -> " + r.reply_head;
  return t;
}

// Indices of the `limit` items with the largest weight (ties: lower index),
// returned in index order; all of them when there are no more than limit.
std::vector<size_t> KeepHeaviest(const std::vector<int64_t>& weight, size_t limit) {
  std::vector<size_t> idx(weight.size());
  std::iota(idx.begin(), idx.end(), 0);
  if (idx.size() > limit) {
    std::stable_sort(idx.begin(), idx.end(),
                     [&](size_t a, size_t b) { return weight[a] > weight[b]; });
    idx.resize(limit);
    std::sort(idx.begin(), idx.end());
  }
  return idx;
}

std::string Axis(const Scale& s, double height) {
  std::string out = "<g class=\"axis\">\n";
  for (int i = 0; i <= 10; i++) {
    int64_t t = s.span() * i / 10;
    double x = s.X(t);
    out += "<line x1=\"" + Px(x) + "\" y1=\"" + Px(kAxisHeight - 4) + "\" x2=\"" + Px(x) +
           "\" y2=\"" + Px(height) + "\"/>";
    out += "<text x=\"" + Px(x) + "\" y=\"12\">" + HtmlEscape(FormatDuration(t)) + "</text>\n";
  }
  return out + "</g>\n";
}

std::string ActivityStrip(const RequestSpans& spans, const Scale& s, size_t bins, double y) {
  std::vector<int64_t> busy(bins, 0);
  double bin_ns = static_cast<double>(s.span()) / static_cast<double>(bins);
  for (const LoopIteration& it : spans.iterations) {
    // Spread the iteration's busy time over the bins it covers.
    int64_t a = it.t_start_ns, b = it.t_end_ns;
    size_t first = std::min(bins - 1, static_cast<size_t>(std::max(0.0, a / bin_ns)));
    size_t last = std::min(bins - 1, static_cast<size_t>(std::max(0.0, b / bin_ns)));
    for (size_t i = first; i <= last; i++) {
      double lo = std::max<double>(a, i * bin_ns), hi = std::min<double>(b, (i + 1) * bin_ns);
      if (hi > lo) busy[i] += static_cast<int64_t>(hi - lo);
    }
  }
  std::string out = "<g class=\"activity\"><text class=\"track-label\" x=\"4\" y=\"" +
                    Px(y + kActivityHeight - 5) + "\">loop busy (all iterations)</text>\n";
  for (size_t i = 0; i < bins; i++) {
    double frac = std::min(1.0, static_cast<double>(busy[i]) / bin_ns);
    double h = (kActivityHeight - 2) * frac;
    auto lo = static_cast<int64_t>(static_cast<double>(i) * bin_ns);
    auto hi = static_cast<int64_t>(static_cast<double>(i + 1) * bin_ns);
    out += TimeRect("activity-bin", s, lo, hi, y + kActivityHeight - 1 - h, h,
                    " data-busy-permille=\"" + Num(std::lround(frac * 1000)) + "\"",
                    Num(std::lround(frac * 100)) + "% busy");
  }
  return out + "</g>\n";
}

}  // namespace

int64_t RequestLatencyNs(const RequestSpan& r, const std::vector<int64_t>* wire_arrival_ns) {
  return r.complete() ? r.t_reply_written_ns - RequestArrivalNs(r, wire_arrival_ns) : kNoTime;
}

std::string FormatDuration(int64_t ns) {
  char buf[48];
  double v = static_cast<double>(ns);
  if (ns < 0) return "-" + FormatDuration(-ns);
  if (ns < 1000)
    std::snprintf(buf, sizeof buf, "%lld ns", static_cast<long long>(ns));
  else if (ns < 1000000)
    std::snprintf(buf, sizeof buf, "%.3g µs", v / 1e3);
  else if (ns < 1000000000)
    std::snprintf(buf, sizeof buf, "%.3g ms", v / 1e6);
  else
    std::snprintf(buf, sizeof buf, "%.3g s", v / 1e9);
  return buf;
}

std::vector<LatencyBucket> LatencyHistogram(const std::vector<int64_t>& latencies_ns) {
  if (latencies_ns.empty()) return {};
  // Edges 0, 1, 2, 5, 10, 20, 50, ... (ns).
  std::vector<int64_t> edges = {0};
  int64_t max = *std::max_element(latencies_ns.begin(), latencies_ns.end());
  for (int64_t decade = 1; edges.back() <= max; decade *= 10) {
    for (int64_t m : {1, 2, 5}) edges.push_back(m * decade);
  }
  auto bucket_of = [&](int64_t v) {
    return static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin()) - 1;
  };
  size_t lo = SIZE_MAX, hi = 0;
  for (int64_t v : latencies_ns) {
    lo = std::min(lo, bucket_of(std::max<int64_t>(0, v)));
    hi = std::max(hi, bucket_of(std::max<int64_t>(0, v)));
  }
  std::vector<LatencyBucket> out;
  for (size_t b = lo; b <= hi; b++) out.push_back({edges[b], edges[b + 1], 0});
  for (int64_t v : latencies_ns) out[bucket_of(std::max<int64_t>(0, v)) - lo].count++;
  return out;
}

std::string RenderTimelineSection(const RequestSpans& spans, const HtmlExportOptions& options,
                                  HtmlExportStats* stats_out) {
  HtmlExportStats stats;
  Scale scale(0, std::max<int64_t>(1, spans.t_last_ns));

  // What to draw: the longest iterations, the busiest connections, and the
  // slowest requests on them (an unanswered one counts as the slowest).
  std::vector<int64_t> busy;
  for (const LoopIteration& it : spans.iterations) busy.push_back(it.busy_ns());
  std::vector<size_t> iterations = KeepHeaviest(busy, options.max_iterations_drawn);

  std::vector<const ConnectionSpan*> conns;
  std::vector<int64_t> conn_requests;
  for (const auto& [id, c] : spans.connections) {
    conns.push_back(&c);
    conn_requests.push_back(static_cast<int64_t>(c.requests));
  }
  std::vector<size_t> drawn_conns = KeepHeaviest(conn_requests, options.max_connections_drawn);
  std::map<uint64_t, size_t> row_of;  // conn id -> row
  for (size_t i = 0; i < drawn_conns.size(); i++) row_of[conns[drawn_conns[i]]->conn] = i;

  std::vector<const RequestSpan*> candidates;
  std::vector<int64_t> slowness;
  for (const RequestSpan& r : spans.requests) {
    if (!row_of.count(r.conn)) continue;
    candidates.push_back(&r);
    int64_t latency = RequestLatencyNs(r, options.wire_arrival_ns);
    slowness.push_back(latency == kNoTime ? INT64_MAX : latency);
  }
  std::vector<size_t> requests = KeepHeaviest(slowness, options.max_requests_drawn);

  double y_activity = kAxisHeight;
  double y_loop = y_activity + kActivityHeight + 4;
  double y_rows = y_loop + kLoopHeight + 6;
  double height = y_rows + kRowHeight * static_cast<double>(drawn_conns.size()) + 4;
  double width = kLabelWidth + kPlotWidth + 40;  // room for the last axis label

  std::string svg = "<svg id=\"timeline\" class=\"timeline\" width=\"" + Px(width) +
                    "\" height=\"" + Px(height) + "\" viewBox=\"0 0 " + Px(width) + " " +
                    Px(height) + "\" data-t-last-ns=\"" + Num(scale.span()) +
                    "\" data-plot-left=\"" + Px(kLabelWidth) + "\" data-plot-width=\"" +
                    Px(kPlotWidth) + "\" data-axis-top=\"" + Px(kAxisHeight) + "\">\n";
  svg += Axis(scale, height);
  svg += ActivityStrip(spans, scale, std::max<size_t>(1, options.activity_bins), y_activity);

  svg += "<g class=\"track loop\"><text class=\"track-label\" x=\"4\" y=\"" +
         Px(y_loop + kLoopHeight / 2 + 4) + "\">event loop</text>\n";
  // Commands on the loop row: those of the drawn iterations, the longest
  // running ones when there are too many.
  std::vector<uint64_t> command_candidates;
  std::vector<int64_t> run_ns;
  for (size_t i : iterations) {
    for (uint64_t index : spans.iterations[i].requests) {
      const RequestSpan& r = spans.requests[index];
      command_candidates.push_back(index);
      run_ns.push_back(r.t_reply_produced_ns == kNoTime ? 0
                                                        : r.t_reply_produced_ns - r.t_dispatch_ns);
    }
  }
  std::vector<bool> draw_command(spans.requests.size(), false);
  for (size_t k : KeepHeaviest(run_ns, options.max_commands_drawn))
    draw_command[command_candidates[k]] = true;
  for (size_t i : iterations) {
    const LoopIteration& it = spans.iterations[i];
    int64_t wait_start = std::max<int64_t>(0, it.t_start_ns - it.wait_ns);
    if (it.wait_ns > 0) {
      svg += TimeRect(
          "wait", scale, wait_start, it.t_start_ns, y_loop + kLoopHeight / 2 - 1, 2, "",
          "epoll_wait blocked " + FormatDuration(it.wait_ns) + ", returned " + Num(it.ret));
    }
    svg += "<g class=\"iteration\" data-index=\"" + Num(static_cast<int64_t>(it.index)) +
           "\" data-start-ns=\"" + Num(it.t_start_ns) + "\" data-end-ns=\"" + Num(it.t_end_ns) +
           "\" data-commands=\"" + Num(static_cast<int64_t>(it.requests.size())) + "\">\n";
    svg += TimeRect("busy", scale, it.t_start_ns, it.t_end_ns, y_loop, kLoopHeight, "",
                    "iteration " + Num(static_cast<int64_t>(it.index)) + ": " +
                        FormatDuration(it.busy_ns()) + " busy, " +
                        Num(static_cast<int64_t>(it.ready_count())) + " ready, " +
                        Plural(it.requests.size(), "command"));
    for (uint64_t index : it.requests) {
      if (!draw_command[index]) continue;
      stats.commands_drawn++;
      const RequestSpan& r = spans.requests[index];
      int64_t end = r.t_reply_produced_ns == kNoTime ? r.t_dispatch_ns : r.t_reply_produced_ns;
      std::string title = r.command + (r.key.empty() ? "" : " " + r.key) + " (conn " +
                          Num(static_cast<int64_t>(r.conn)) + ") ran " +
                          FormatDuration(end - r.t_dispatch_ns);
      svg += TimeRect("command", scale, r.t_dispatch_ns, end, y_loop + 4, kLoopHeight - 8,
                      " data-request=\"" + Num(static_cast<int64_t>(r.index)) +
                          "\" data-command=\"" + HtmlEscape(r.command) + "\"",
                      title);
    }
    svg += "</g>\n";
  }
  svg += "</g>\n";

  std::vector<std::string> rows(drawn_conns.size());
  for (size_t i : requests) {
    const RequestSpan& r = *candidates[i];
    size_t row = row_of[r.conn];
    double y = y_rows + kRowHeight * static_cast<double>(row) + 2;
    int64_t latency = RequestLatencyNs(r, options.wire_arrival_ns);
    int64_t start = RequestArrivalNs(r, options.wire_arrival_ns);
    // Never answered: drawn up to its connection's close (or the end).
    int64_t end = r.t_reply_written_ns;
    if (latency == kNoTime) {
      auto c = spans.connections.find(r.conn);
      bool closed = c != spans.connections.end() && c->second.t_close_ns != kNoTime;
      end = std::max(start, closed ? c->second.t_close_ns : spans.t_last_ns);
    }
    rows[row] += TimeRect(
        latency == kNoTime ? "request unanswered" : "request", scale, start, end, y, kRowHeight - 4,
        " data-request=\"" + Num(static_cast<int64_t>(r.index)) + "\" data-command=\"" +
            HtmlEscape(r.command) + "\" data-latency-ns=\"" + Num(latency) + "\"",
        RequestTitle(r, options.wire_arrival_ns));
  }
  for (size_t row = 0; row < drawn_conns.size(); row++) {
    const ConnectionSpan& c = *conns[drawn_conns[row]];
    std::string label =
        "conn " + Num(static_cast<int64_t>(c.conn)) + (c.peer.empty() ? "" : " " + c.peer);
    double y = y_rows + kRowHeight * static_cast<double>(row);
    svg += "<g class=\"connection\" data-conn=\"" + Num(static_cast<int64_t>(c.conn)) +
           "\" data-requests=\"" + Num(static_cast<int64_t>(c.requests)) +
           "\"><text class=\"track-label\" x=\"4\" y=\"" + Px(y + kRowHeight - 3) + "\">" +
           HtmlEscape(label) + "</text>\n" + rows[row] + "</g>\n";
  }
  svg += "</svg>\n";

  stats.iterations_drawn = iterations.size();
  stats.connections_drawn = drawn_conns.size();
  stats.requests_drawn = requests.size();
  std::vector<std::string> left_out;
  if (iterations.size() < spans.iterations.size())
    left_out.push_back("the " + Num(iterations.size()) + " longest of " +
                       Num(spans.iterations.size()) + " iterations");
  if (stats.commands_drawn < spans.requests.size())
    left_out.push_back("the " + Num(stats.commands_drawn) + " longest-running of " +
                       Num(spans.requests.size()) + " commands on the loop row");
  if (drawn_conns.size() < conns.size())
    left_out.push_back("the " + Num(drawn_conns.size()) +
                       " connections with the most requests of " + Num(conns.size()));
  if (requests.size() < candidates.size())
    left_out.push_back("the " + Num(requests.size()) + " slowest of " + Num(candidates.size()) +
                       " requests on those connections");
  std::string note;
  if (!left_out.empty()) {
    stats.capped = true;
    note = "<p class=\"cap-note\">This timeline is too big to draw whole: showing ";
    for (size_t i = 0; i < left_out.size(); i++)
      note += (i == 0 ? "" : i + 1 == left_out.size() ? " and " : ", ") + left_out[i];
    note +=
        ". The busy strip counts every iteration; the histograms count every request. "
        "<code>reel export --format perfetto</code> has everything.</p>\n";
  }
  if (stats_out != nullptr) *stats_out = stats;
  return "<section id=\"timeline-section\">\n<h2>Timeline</h2>\n" + note +
         "<p class=\"legend\"><span class=\"key busy\"></span>loop busy (epoll_wait return to the "
         "next entry) <span class=\"key wait\"></span>epoll_wait blocked "
         "<span class=\"key command\"></span>command running "
         "<span class=\"key request\"></span>request: arrival to reply written "
         "<span class=\"key unanswered\"></span>reply never written. Hover for details; wheel to "
         "zoom, drag to pan, double-click to reset.</p>\n"
         "<div class=\"scroll\">\n" +
         svg + "</div>\n</section>\n";
}

std::string RenderHistogramSection(const RequestSpans& spans,
                                   const std::vector<int64_t>* wire_arrival_ns) {
  std::map<std::string, std::vector<int64_t>> latencies;  // by command, sorted by name
  std::map<std::string, uint64_t> unanswered;
  for (const RequestSpan& r : spans.requests) {
    std::vector<int64_t>& v = latencies[r.command];
    int64_t latency = RequestLatencyNs(r, wire_arrival_ns);
    if (latency == kNoTime)
      unanswered[r.command]++;
    else
      v.push_back(latency);
  }
  std::string out =
      "<section id=\"histograms\">\n<h2>Latency per command</h2>\n"
      "<p>Latency: from the request's arrival to the write that completed its reply. Arrival is "
      "when the capture saw its last byte reach the server, where the pcap gives it, else the "
      "read that delivered it. Buckets on a 1-2-5 scale.</p>\n";
  for (auto& [command, v] : latencies) {
    std::sort(v.begin(), v.end());
    std::vector<LatencyBucket> buckets = LatencyHistogram(v);
    uint64_t peak = 1;
    for (const LatencyBucket& b : buckets) peak = std::max(peak, b.count);
    out += "<div class=\"histogram\" data-command=\"" + HtmlEscape(command) +
           "\" data-requests=\"" + Num(static_cast<int64_t>(v.size())) + "\">\n<h3>" +
           HtmlEscape(command) + "</h3>\n";
    // Bars at most kHistMaxBar wide, so one bucket is not a wall.
    double bar_w = std::min(kHistMaxBar, kHistWidth / std::max<double>(1, buckets.size()));
    double chart_w = std::max(kHistMinWidth, bar_w * static_cast<double>(buckets.size()));
    std::string svg = "<svg class=\"histogram-chart\" width=\"" + Px(chart_w + 2) + "\" height=\"" +
                      Px(kHistHeight + kHistBottom) + "\">\n";
    for (size_t i = 0; i < buckets.size(); i++) {
      const LatencyBucket& b = buckets[i];
      double h = (kHistHeight - 12) * static_cast<double>(b.count) / static_cast<double>(peak);
      double x = bar_w * static_cast<double>(i);
      svg += Rect("bar", x + 1, kHistHeight - h, std::max(1.0, bar_w - 2), h,
                  " data-lo-ns=\"" + Num(b.lo_ns) + "\" data-hi-ns=\"" + Num(b.hi_ns) +
                      "\" data-count=\"" + Num(static_cast<int64_t>(b.count)) + "\"",
                  FormatDuration(b.lo_ns) + " to " + FormatDuration(b.hi_ns) + ": " +
                      Num(static_cast<int64_t>(b.count)));
      if (b.count > 0)
        svg += "<text class=\"count\" x=\"" + Px(x + bar_w / 2) + "\" y=\"" +
               Px(kHistHeight - h - 2) + "\">" + Num(static_cast<int64_t>(b.count)) + "</text>\n";
    }
    // Bucket edges under the bars; every k-th when there are many.
    size_t n = buckets.size();
    size_t every = std::max<size_t>(1, (n + kHistMaxEdgeLabels - 1) / kHistMaxEdgeLabels);
    for (size_t i = 0; i <= n && n > 0; i++) {
      if (i != n && (i % every != 0 || n - i < every)) continue;  // keep labels apart
      int64_t edge = i < buckets.size() ? buckets[i].lo_ns : buckets.back().hi_ns;
      const char* anchor = i == 0 ? "start" : i == buckets.size() ? "end" : "middle";
      svg += "<text class=\"edge\" text-anchor=\"" + std::string(anchor) + "\" x=\"" +
             Px(bar_w * static_cast<double>(i) + 1) + "\" y=\"" + Px(kHistHeight + 14) + "\">" +
             HtmlEscape(FormatDuration(edge)) + "</text>\n";
    }
    out += svg + "</svg>\n<p class=\"stats\">";
    if (v.empty()) {
      out += "no reply written";
    } else {
      auto pct = [&](double p) {
        size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
        return FormatDuration(v[std::min(v.size() - 1, rank == 0 ? 0 : rank - 1)]);
      };
      out += Plural(v.size(), "request") + "; p50 " + pct(0.5) + ", p90 " + pct(0.9) + ", p99 " +
             pct(0.99) + ", max " + FormatDuration(v.back());
    }
    if (unanswered.count(command))
      out += "; " + Num(static_cast<int64_t>(unanswered[command])) + " never answered";
    out += "</p>\n</div>\n";
  }
  return out + "</section>\n";
}

std::string HtmlExportStyle() {
  return "body{font:13px system-ui,sans-serif;margin:16px;color:#222}"
         "h2{margin-top:24px}.scroll{overflow-x:auto}"
         "svg text{font:11px system-ui,sans-serif;fill:#333}"
         ".axis line{stroke:#ddd}.axis text{text-anchor:middle;fill:#777}"
         "rect.busy{fill:#9ecae1}rect.wait{fill:#bbb}rect.command{fill:#08519c}"
         "rect.request{fill:#31a354;fill-opacity:.55}rect.request.unanswered{fill:#de2d26}"
         "rect.activity-bin{fill:#6baed6}rect.bar{fill:#756bb1}"
         ".histogram{display:inline-block;vertical-align:top;margin:0 24px 16px 0}"
         ".histogram h3{margin:4px 0}.histogram text.count{text-anchor:middle}"
         ".cap-note{background:#fff3cd;padding:6px}"
         ".key{display:inline-block;width:12px;height:10px;margin:0 4px 0 12px}"
         ".key.busy{background:#9ecae1}.key.wait{background:#bbb}.key.command{background:#08519c}"
         ".key.request{background:#31a354}.key.unanswered{background:#de2d26}";
}

// Zoom and pan for the timeline: re-lays out every rect with data-s/data-e
// for the visible window and redraws the axis. Nothing runs until the user
// zooms, so the DOM a test reads is the one written here.
std::string HtmlExportScript() {
  return R"JS(
(function () {
  var svg = document.getElementById('timeline');
  if (!svg) return;
  var NS = svg.namespaceURI;
  var L = +svg.getAttribute('data-plot-left'), W = +svg.getAttribute('data-plot-width');
  var A = +svg.getAttribute('data-axis-top'), H = +svg.getAttribute('height');
  var T = Math.max(1, +svg.getAttribute('data-t-last-ns'));
  var rects = Array.prototype.slice.call(svg.querySelectorAll('rect[data-s]'));
  var axis = svg.querySelector('g.axis');
  var t0 = 0, t1 = T;
  function fmt(ns) {
    var a = Math.abs(ns);
    if (a < 1e3) return Math.round(ns) + ' ns';
    if (a < 1e6) return +(ns / 1e3).toPrecision(3) + ' \u00b5s';
    if (a < 1e9) return +(ns / 1e6).toPrecision(3) + ' ms';
    return +(ns / 1e9).toPrecision(3) + ' s';
  }
  function draw() {
    var k = W / (t1 - t0);
    rects.forEach(function (r) {
      var x0 = L + (+r.getAttribute('data-s') - t0) * k;
      var x1 = L + (+r.getAttribute('data-e') - t0) * k;
      if (x1 < L || x0 > L + W) { r.setAttribute('display', 'none'); return; }
      r.removeAttribute('display');
      x0 = Math.max(x0, L);
      x1 = Math.min(x1, L + W);
      r.setAttribute('x', x0.toFixed(2));
      r.setAttribute('width', Math.max(1, x1 - x0).toFixed(2));
    });
    while (axis.firstChild) axis.removeChild(axis.firstChild);
    for (var i = 0; i <= 10; i++) {
      var x = L + W * i / 10;
      var line = document.createElementNS(NS, 'line');
      line.setAttribute('x1', x); line.setAttribute('x2', x);
      line.setAttribute('y1', A - 4); line.setAttribute('y2', H);
      var text = document.createElementNS(NS, 'text');
      text.setAttribute('x', x); text.setAttribute('y', 12);
      text.textContent = fmt(t0 + (t1 - t0) * i / 10);
      axis.appendChild(line); axis.appendChild(text);
    }
  }
  function svgX(clientX) {
    var b = svg.getBoundingClientRect();
    return (clientX - b.left) * svg.viewBox.baseVal.width / b.width;
  }
  function show(start, span) {
    span = Math.min(T, Math.max(100, span));
    t0 = Math.min(Math.max(0, start), T - span);
    t1 = t0 + span;
    draw();
  }
  svg.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var f = ev.deltaY < 0 ? 0.8 : 1.25;
    var tc = t0 + (svgX(ev.clientX) - L) / W * (t1 - t0);
    show(tc - (tc - t0) * f, (t1 - t0) * f);  // the time under the cursor stays put
  }, { passive: false });
  var drag = null;
  svg.addEventListener('mousedown', function (ev) {
    drag = { x: svgX(ev.clientX), t0: t0 };
    ev.preventDefault();
  });
  window.addEventListener('mousemove', function (ev) {
    if (drag) show(drag.t0 - (svgX(ev.clientX) - drag.x) / W * (t1 - t0), t1 - t0);
  });
  window.addEventListener('mouseup', function () { drag = null; });
  svg.addEventListener('dblclick', function () { show(0, T); });
})();
)JS";
}

std::string RenderHtmlPage(const RequestSpans& spans, const HtmlExportOptions& options,
                           HtmlExportStats* stats) {
  std::string source = HtmlEscape(spans.header.source);
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>reel export: " +
      source + "</title>\n<style>" + HtmlExportStyle() + "</style>\n</head>\n<body>\n<h1>" +
      source + "</h1>\n";
  page += "<p class=\"summary\">" + Num(static_cast<int64_t>(spans.iterations.size())) +
          " event-loop iterations, " + Num(static_cast<int64_t>(spans.requests.size())) +
          " requests on " + Num(static_cast<int64_t>(spans.connections.size())) +
          " connections over " + HtmlEscape(FormatDuration(spans.t_last_ns)) + " (" +
          HtmlEscape(spans.header.schedule) + " schedule" +
          (spans.verdict.empty() ? "" : ", replay " + HtmlEscape(spans.verdict)) +
          "). Times count from the start of the recording.</p>\n";
  page += RenderTimelineSection(spans, options, stats);
  page += RenderHistogramSection(spans, options.wire_arrival_ns);
  return page + "<script>" + HtmlExportScript() + "</script>\n</body>\n</html>\n";
}

}  // namespace reel::analyzers
