// Minimizing an incident (`reel minimize`, docs/analyzers.md): delta
// debugging (Zeller and Hildebrandt's ddmin) over a bundle's client script,
// first over whole connections, then over the requests left on them, while a
// predicate says the problem is still there. Removed connections and
// requests vanish entirely; what is kept keeps its recorded times, so the
// smaller script still arrives at the server the way the incident did.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "replay/client_script.h"

namespace reel::analyzers {

// ddmin: from units for which test holds, a subset for which it still holds
// and that is 1-minimal — removing any single unit of it makes test fail.
// test receives the candidate subset in the order of units; it is never
// asked about the whole set or the empty set (the caller knows the first,
// ddmin does not try the second). Results are cached, so test runs at most
// once per distinct subset.
using SubsetTest = std::function<bool(const std::vector<size_t>& subset)>;
std::vector<size_t> DeltaDebug(const std::vector<size_t>& units, const SubsetTest& test);

// One request on one connection of a script: a RESP command as reel-server's
// parser frames it (blank lines and empty multibulks ride along with the
// command after them), or the bytes after the last whole command (a partial
// command or a protocol error: `command` is empty then).
struct ScriptRequest {
  size_t conn = 0;     // index in ClientScript::connections
  uint64_t begin = 0;  // offsets in that connection's client stream
  uint64_t end = 0;
  std::string command;    // printable command line ("" for unparsed bytes)
  std::string name, key;  // argv[0] lowercased, argv[1] as sent ("" if absent)
};

// Every request of every connection, in connection order then stream order;
// together they cover each client stream exactly.
std::vector<ScriptRequest> SplitScriptRequests(const replay::ClientScript& script);

// A script with only the kept connections, and on them only the kept
// requests' bytes. A chunk keeps its arrival time for whatever of its bytes
// survive (a request split across chunks keeps each part's time); chunks
// left empty disappear. Handshakes, FINs and RSTs of kept connections stay.
struct ScriptSelection {
  std::vector<bool> connections;  // by connection index
  std::vector<bool> requests;     // by index in the SplitScriptRequests list
};
replay::ClientScript EditScript(const replay::ClientScript& script,
                                const std::vector<ScriptRequest>& requests,
                                const ScriptSelection& keep);

// Client bytes in a script (the size the report shrinks).
uint64_t ScriptClientBytes(const replay::ClientScript& script);

// Minimization of a script under a predicate on candidate scripts.
using ScriptPredicate = std::function<bool(const replay::ClientScript& candidate)>;

struct MinimizeResult {
  replay::ClientScript script;  // the minimized script
  ScriptSelection kept;
  std::vector<ScriptRequest> requests;  // of the original script
  uint64_t connections_before = 0, connections_after = 0;
  uint64_t requests_before = 0, requests_after = 0;
  uint64_t bytes_before = 0, bytes_after = 0;
  uint64_t evaluations = 0;  // predicate runs (cached repeats not counted)
};

// Runs ddmin over connections, then over requests, then drops connections
// left without requests when the predicate allows it. The predicate must hold
// on the whole script; the caller checks that first.
MinimizeResult MinimizeScript(const replay::ClientScript& script, const ScriptPredicate& holds);

}  // namespace reel::analyzers
