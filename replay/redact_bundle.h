// `reel capture --redact keys|values|all`: the pass that rewrites a finished
// bundle directory so it no longer holds the redacted strings.
//
//   packets.pcap  payload rewritten (redaction_pcap.h), same lengths;
//   meta.json     command-line credentials (--requirepass X, --masterauth X,
//                 --requirepass=X) replaced by their placeholders, and a
//                 "redaction" object: the mode, what was redacted (counts),
//                 what was failed closed, the pcap statistics;
//   events.reel   unchanged: read/write records carry sizes and stream
//                 offsets, never payload (docs/trace-format.md); the only
//                 byte payload it holds is `random` records, the random
//                 bytes the server drew (hash seeds), not client data.
//
// The placeholders are derived from `secret`, which the caller draws once
// per capture (so the flight recorder's dumps agree with each other) and
// never writes anywhere. docs/capture.md, "Redaction", is the user guide.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "replay/redaction_placeholder.h"
#include "replay/redaction_roles.h"

namespace reel::replay {

struct BundleRedactionResult {
  nlohmann::json meta;  // the "redaction" object written into meta.json
  std::string summary;  // one line for the capture's output
};

// Redacts the bundle in `dir` in place. False with *error when the pcap
// could not be redacted; packets.pcap is then removed (fail closed) and
// meta.json says so.
bool RedactBundle(const std::string& dir, const RedactMode& mode, const RedactionSecret& secret,
                  BundleRedactionResult* result, std::string* error);

// The `reel capture` hook (CaptureOptions::redactor): mode is "keys",
// "values" or "all"; *summary gets one line for the capture's output.
bool RedactBundleForCapture(const std::string& dir, const std::string& mode,
                            const RedactionSecret& secret, std::string* summary,
                            std::string* error);

}  // namespace reel::replay
