#include "analyzers/minimize.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <numeric>

#include "replay/model_replay.h"
#include "server/request_parser.h"

namespace reel::analyzers {

namespace {

// The n parts ddmin splits current into: contiguous, sizes differing by at most one.
std::vector<std::vector<size_t>> Split(const std::vector<size_t>& current, size_t n) {
  std::vector<std::vector<size_t>> parts;
  const size_t len = current.size();
  for (size_t i = 0; i < n; i++)
    parts.emplace_back(current.begin() + static_cast<std::ptrdiff_t>(i * len / n),
                       current.begin() + static_cast<std::ptrdiff_t>((i + 1) * len / n));
  return parts;
}

std::vector<size_t> Without(const std::vector<size_t>& current, const std::vector<size_t>& part) {
  std::vector<size_t> out;
  for (size_t u : current)
    if (!std::binary_search(part.begin(), part.end(), u)) out.push_back(u);
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string CommandLine(const std::vector<std::string_view>& argv) {
  std::string s;
  for (std::string_view a : argv) s += (s.empty() ? "" : " ") + replay::PrintableBytes(a, 40);
  return s;
}

}  // namespace

std::vector<size_t> DeltaDebug(const std::vector<size_t>& units, const SubsetTest& test) {
  // Parts are taken in unit order, so sorting the units once keeps every
  // part sorted for Without's binary search; the caller's order is restored
  // at the end.
  std::vector<size_t> current = units;
  std::sort(current.begin(), current.end());
  std::map<std::vector<size_t>, bool> cache;
  auto passes = [&](const std::vector<size_t>& subset) {
    auto it = cache.find(subset);
    if (it != cache.end()) return it->second;
    bool r = test(subset);
    cache.emplace(subset, r);
    return r;
  };
  size_t n = 2;
  while (current.size() >= 2) {
    std::vector<std::vector<size_t>> parts = Split(current, n);
    bool reduced = false;
    for (const std::vector<size_t>& part : parts) {
      if (passes(part)) {
        current = part;
        n = 2;
        reduced = true;
        break;
      }
    }
    // With two parts each complement is the other part, already tried.
    for (size_t i = 0; !reduced && n > 2 && i < parts.size(); i++) {
      std::vector<size_t> complement = Without(current, parts[i]);
      if (passes(complement)) {
        current = std::move(complement);
        n = std::max<size_t>(n - 1, 2);
        reduced = true;
      }
    }
    if (reduced) continue;
    if (n >= current.size()) break;  // every single removal failed: 1-minimal
    n = std::min(n * 2, current.size());
  }
  std::vector<size_t> out;
  for (size_t u : units)
    if (std::binary_search(current.begin(), current.end(), u)) out.push_back(u);
  return out;
}

std::vector<ScriptRequest> SplitScriptRequests(const replay::ClientScript& script) {
  std::vector<ScriptRequest> out;
  for (size_t ci = 0; ci < script.connections.size(); ci++) {
    std::string stream;
    for (const replay::ScriptChunk& ch : script.connections[ci].chunks) stream += ch.bytes;
    // reel-server's own parser, so a unit is exactly what the server runs as one command.
    RequestParser parser;
    ParserLimits limits;
    std::vector<std::string_view> argv;
    std::string error;
    size_t pos = 0, begin = 0;
    while (pos < stream.size()) {
      ParseStatus st = parser.Next(stream, &pos, limits, &argv, &error);
      if (st == ParseStatus::kEmpty) continue;  // rides along with the next command
      if (st != ParseStatus::kCommand) break;
      ScriptRequest r;
      r.conn = ci;
      r.begin = begin;
      r.end = pos;
      r.command = CommandLine(argv);
      if (!argv.empty()) r.name = Lower(std::string(argv[0]));
      if (argv.size() > 1) r.key = std::string(argv[1]);
      out.push_back(std::move(r));
      begin = pos;
    }
    if (begin < stream.size()) {
      ScriptRequest r;
      r.conn = ci;
      r.begin = begin;
      r.end = stream.size();
      out.push_back(std::move(r));
    }
  }
  return out;
}

replay::ClientScript EditScript(const replay::ClientScript& script,
                                const std::vector<ScriptRequest>& requests,
                                const ScriptSelection& keep) {
  replay::ClientScript out;
  out.start_mono_ns = script.start_mono_ns;
  out.end_mono_ns = script.end_mono_ns;
  out.real_minus_mono_ns = script.real_minus_mono_ns;
  out.problem = script.problem;
  // Kept byte ranges per connection, in stream order.
  std::map<size_t, std::vector<std::pair<uint64_t, uint64_t>>> ranges;
  for (size_t i = 0; i < requests.size(); i++)
    if (i < keep.requests.size() && keep.requests[i])
      ranges[requests[i].conn].push_back({requests[i].begin, requests[i].end});
  for (size_t ci = 0; ci < script.connections.size(); ci++) {
    if (ci >= keep.connections.size() || !keep.connections[ci]) continue;
    const replay::ScriptConnection& c = script.connections[ci];
    replay::ScriptConnection e = c;
    e.chunks.clear();
    const auto& kept = ranges[ci];
    uint64_t offset = 0;
    for (const replay::ScriptChunk& ch : c.chunks) {
      const uint64_t chunk_end = offset + ch.bytes.size();
      std::string bytes;
      for (const auto& [b, en] : kept) {
        uint64_t from = std::max(b, offset), to = std::min(en, chunk_end);
        if (from < to) bytes.append(ch.bytes, from - offset, to - from);
      }
      if (!bytes.empty()) e.chunks.push_back({ch.t_ns, std::move(bytes)});
      offset = chunk_end;
    }
    out.connections.push_back(std::move(e));
  }
  return out;
}

uint64_t ScriptClientBytes(const replay::ClientScript& script) {
  uint64_t n = 0;
  for (const replay::ScriptConnection& c : script.connections)
    for (const replay::ScriptChunk& ch : c.chunks) n += ch.bytes.size();
  return n;
}

MinimizeResult MinimizeScript(const replay::ClientScript& script, const ScriptPredicate& holds) {
  MinimizeResult r;
  r.requests = SplitScriptRequests(script);
  const size_t nconn = script.connections.size();
  r.kept.connections.assign(nconn, true);
  r.kept.requests.assign(r.requests.size(), true);
  auto evaluate = [&](const ScriptSelection& sel) {
    r.evaluations++;
    return holds(EditScript(script, r.requests, sel));
  };

  // 1. Whole connections.
  std::vector<size_t> conns(nconn);
  std::iota(conns.begin(), conns.end(), 0);
  std::vector<size_t> kept_conns = DeltaDebug(conns, [&](const std::vector<size_t>& subset) {
    ScriptSelection sel = r.kept;
    sel.connections.assign(nconn, false);
    for (size_t c : subset) sel.connections[c] = true;
    return evaluate(sel);
  });
  r.kept.connections.assign(nconn, false);
  for (size_t c : kept_conns) r.kept.connections[c] = true;

  // 2. The requests on the connections that stay.
  std::vector<size_t> units;
  for (size_t i = 0; i < r.requests.size(); i++)
    if (r.kept.connections[r.requests[i].conn]) units.push_back(i);
  std::vector<size_t> kept_requests = DeltaDebug(units, [&](const std::vector<size_t>& subset) {
    ScriptSelection sel = r.kept;
    sel.requests.assign(r.requests.size(), false);
    for (size_t i : subset) sel.requests[i] = true;
    return evaluate(sel);
  });
  r.kept.requests.assign(r.requests.size(), false);
  for (size_t i : kept_requests) r.kept.requests[i] = true;

  // 3. A connection whose requests all went may still matter (its
  // handshake, its FIN); drop it only if the predicate agrees.
  for (size_t c = 0; c < nconn; c++) {
    if (!r.kept.connections[c]) continue;
    bool has_request = false;
    for (size_t i = 0; i < r.requests.size(); i++)
      has_request |= r.kept.requests[i] && r.requests[i].conn == c;
    if (has_request || std::count(r.kept.connections.begin(), r.kept.connections.end(), true) < 2)
      continue;
    ScriptSelection sel = r.kept;
    sel.connections[c] = false;
    if (evaluate(sel)) r.kept = sel;
  }

  r.script = EditScript(script, r.requests, r.kept);
  r.connections_before = nconn;
  r.connections_after = r.script.connections.size();
  r.requests_before = r.requests.size();
  for (size_t i = 0; i < r.requests.size(); i++)
    r.requests_after += r.kept.requests[i] && r.kept.connections[r.requests[i].conn];
  r.bytes_before = ScriptClientBytes(script);
  r.bytes_after = ScriptClientBytes(r.script);
  return r;
}

}  // namespace reel::analyzers
