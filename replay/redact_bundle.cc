#include "replay/redact_bundle.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "capture/trace_reader.h"
#include "replay/redaction_pcap.h"

namespace reel::replay {

namespace {

constexpr const char* kPcapName = "packets.pcap";
constexpr const char* kMetaName = "meta.json";
// Server options whose value is a secret, wherever a command line appears.
constexpr const char* kSecretOptions[] = {"--requirepass", "--masterauth", "--masteruser"};

bool ReadWhole(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  std::ostringstream ss;
  ss << f.rdbuf();
  *out = ss.str();
  return true;
}

// path.tmp (0600) + fsync + rename: a reader never sees half a file.
bool WriteAtomically(const std::string& path, std::string_view data, std::string* error) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot write " + tmp + ": " + std::strerror(errno);
    return false;
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = "cannot write " + tmp + ": " + std::strerror(errno);
      ::close(fd);
      ::unlink(tmp.c_str());
      return false;
    }
    done += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot rename " + tmp + ": " + std::strerror(errno);
    ::unlink(tmp.c_str());
    return false;
  }
  return true;
}

// Every array of strings in meta.json that holds "--requirepass X" (the
// recorded command lines: "command_line", "capture.command_line") gets X's
// placeholder — the same one AUTH X gets in the pcap, so replay still
// authenticates.
void RedactCommandLines(nlohmann::json* j, PlaceholderTable* table, uint64_t* count) {
  if (j->is_object()) {
    for (auto& item : j->items()) RedactCommandLines(&item.value(), table, count);
    return;
  }
  if (!j->is_array()) return;
  bool next_is_secret = false;
  for (auto& e : *j) {
    if (!e.is_string()) {
      next_is_secret = false;
      RedactCommandLines(&e, table, count);
      continue;
    }
    std::string s = e.get<std::string>();
    if (next_is_secret) {
      e = table->Get(s);
      (*count)++;
      next_is_secret = false;
      continue;
    }
    for (const char* opt : kSecretOptions) {
      std::string o = opt;
      if (s == o) {
        next_is_secret = true;
      } else if (s.rfind(o + "=", 0) == 0) {
        e = o + "=" + table->Get(s.substr(o.size() + 1));
        (*count)++;
      }
    }
  }
}

// The server ports the reassembler should know (mid-stream flows).
ReassemblerOptions PortsOf(const std::string& dir, const nlohmann::json& meta) {
  ReassemblerOptions options;
  TraceFile log;
  std::string error;
  if (ReadTraceFile(dir, &log, &error))
    for (const TraceRecord& r : log.records)
      if (const auto* b = std::get_if<trace::BindRec>(&r.call); b && r.result.ok())
        options.server_ports.push_back(b->addr.port);
  if (meta.contains("capture") && meta["capture"].is_object() && meta["capture"].contains("port") &&
      meta["capture"]["port"].is_number_integer())
    options.server_ports.push_back(static_cast<uint16_t>(meta["capture"]["port"].get<int>()));
  return options;
}

std::string Summary(const RedactMode& mode, const RedactionCounts& c, const PcapRedactionStats& s,
                    uint64_t command_line) {
  uint64_t fail_closed = c.fail_closed_request_bytes + c.fail_closed_reply_bytes +
                         s.unmapped_bytes + s.conflicting_bytes + s.gap_bytes;
  std::string out = "redacted " + RedactModeName(mode) + ": " + std::to_string(c.keys) + " keys, " +
                    std::to_string(c.values) + " values, " +
                    std::to_string(c.credentials + command_line) + " credentials in " +
                    std::to_string(c.commands) + " commands; " +
                    std::to_string(c.reply_keys + c.reply_values + c.reply_credentials) +
                    " reply strings; " + std::to_string(s.segments_changed) + " segments rewritten";
  if (fail_closed > 0) out += "; " + std::to_string(fail_closed) + " bytes failed closed";
  return out;
}

}  // namespace

bool RedactBundle(const std::string& dir, const RedactMode& mode, const RedactionSecret& secret,
                  BundleRedactionResult* result, std::string* error) {
  const std::string meta_path = dir + "/" + kMetaName;
  std::string meta_text;
  nlohmann::json meta = nlohmann::json::object();
  if (ReadWhole(meta_path, &meta_text)) {
    meta = nlohmann::json::parse(meta_text, nullptr, /*allow_exceptions=*/false);
    if (meta.is_discarded() || !meta.is_object()) meta = nlohmann::json::object();
  }
  PlaceholderTable table(secret);
  table.set_reserved_words(AllKeywords());

  uint64_t command_line = 0;
  RedactCommandLines(&meta, &table, &command_line);

  RedactionCounts counts;
  PcapRedactionStats stats;
  bool ok = true;
  const std::string pcap_path = dir + "/" + kPcapName;
  std::string image;
  bool has_pcap = ReadWhole(pcap_path, &image);
  if (has_pcap) {
    std::string redacted;
    if (!RedactPcapImage(image, &table, mode, PortsOf(dir, meta), &redacted, &counts, &stats,
                         error) ||
        !WriteAtomically(pcap_path, redacted, error)) {
      // Fail closed: a pcap that could not be redacted does not stay.
      ::unlink(pcap_path.c_str());
      *error = "packets.pcap removed: " + *error;
      ok = false;
    }
  }

  // The final keyspace digest hashes the original keys and values without a
  // key: with a small keyspace it would let a guess ("is the PIN 1234?") be
  // checked offline. Replay cannot compare it anyway once anything stored
  // was redacted.
  const bool stored_redacted =
      counts.keys + counts.values + counts.unclassified + counts.range_bounds > 0;
  bool digest_removed = false;
  if (stored_redacted && meta.contains("final_keyspace_digest")) {
    meta.erase("final_keyspace_digest");
    digest_removed = true;
  }

  nlohmann::json r = {
      {"mode", RedactModeName(mode)},
      {"status", ok ? "redacted" : "failed: " + *error},
      {"placeholders",
       "same length, characters [A-Za-z0-9], keyed SipHash-2-4 of the original bytes under a "
       "random per-capture secret that is not stored"},
      {"redacted", counts.ToJson()},
      {"command_line_credentials", command_line},
      {"placeholder_collisions", table.collisions()},
      {"events_log", "unchanged: read/write records carry sizes and offsets, not payload"},
      {"final_keyspace_digest_removed", digest_removed},
  };
  r["pcap"] = has_pcap ? stats.ToJson() : nlohmann::json(nullptr);
  meta["redaction"] = r;
  std::string meta_error;
  if (!WriteAtomically(meta_path, meta.dump(2) + "\n", &meta_error)) {
    *error = ok ? meta_error : *error + "; " + meta_error;
    ok = false;
  }
  result->meta = r;
  result->summary = has_pcap ? Summary(mode, counts, stats, command_line)
                             : "redacted " + RedactModeName(mode) + ": no packets.pcap; " +
                                   std::to_string(command_line) +
                                   " credentials on meta.json's command lines";
  return ok;
}

bool RedactBundleForCapture(const std::string& dir, const std::string& mode,
                            const RedactionSecret& secret, std::string* summary,
                            std::string* error) {
  RedactMode m;
  if (!ParseRedactMode(mode, &m)) {
    *error = "unknown redaction mode \"" + mode + "\" (keys, values or all)";
    return false;
  }
  BundleRedactionResult result;
  bool ok = RedactBundle(dir, m, secret, &result, error);
  *summary = result.summary;
  return ok;
}

}  // namespace reel::replay
