#include "analyzers/timeline_reader.h"

#include <cstring>
#include <nlohmann/json.hpp>

namespace reel::analyzers {
namespace {

using nlohmann::json;

// Big enough that a million-line file costs a few hundred reads.
constexpr size_t kBlockBytes = 256 * 1024;

// A string field; the library throws type_error on another type.
void Get(const json& j, const char* key, std::string* out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) *out = it->get<std::string>();
}

// An integer field. A float or bool there is malformed, not converted: the
// library's conversion of a float such as 1e20 to an integer type is
// undefined behaviour.
template <typename T>
bool GetInt(const json& j, const char* key, T* out, std::string* error) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return true;
  if (!it->is_number_integer()) {
    *error = std::string("malformed event: ") + key + " is not an integer";
    return false;
  }
  *out = it->get<T>();
  return true;
}

}  // namespace

TimelineReader::~TimelineReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool TimelineReader::OpenFile(const std::string& path, std::string* error) {
  file_ = std::fopen(path.c_str(), "r");
  if (file_ == nullptr) {
    *error = path + ": cannot open (not a timeline file or a bundle directory)";
    return false;
  }
  block_.resize(kBlockBytes);
  return true;
}

void TimelineReader::OpenText(std::string text) {
  text_ = std::move(text);
  text_pos_ = 0;
}

bool TimelineReader::NextFileLine(std::string_view* line) {
  bool assembling = false;  // part of the line is already in line_buf_
  for (;;) {
    if (block_pos_ == block_len_) {
      block_len_ = std::fread(block_.data(), 1, block_.size(), file_);
      block_pos_ = 0;
      if (block_len_ == 0) {
        if (std::ferror(file_)) read_failed_ = true;
        if (!assembling) return false;
        break;  // the last line has no '\n'
      }
    }
    const char* start = block_.data() + block_pos_;
    size_t avail = block_len_ - block_pos_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', avail));
    if (nl != nullptr) {
      size_t n = static_cast<size_t>(nl - start);
      block_pos_ += n + 1;
      if (!assembling) {
        *line = std::string_view(start, n);  // valid until the next call
        line_no_++;
        return true;
      }
      line_buf_.append(start, n);
      break;
    }
    if (!assembling) line_buf_.clear();
    assembling = true;
    line_buf_.append(start, avail);
    block_pos_ = block_len_;
  }
  line_no_++;
  *line = line_buf_;
  return true;
}

bool TimelineReader::NextLine(std::string_view* line) {
  if (file_ != nullptr) return NextFileLine(line);
  if (text_pos_ >= text_.size()) return false;
  size_t nl = text_.find('\n', text_pos_);
  if (nl == std::string::npos) nl = text_.size();
  *line = std::string_view(text_).substr(text_pos_, nl - text_pos_);
  text_pos_ = nl + 1;
  line_no_++;
  return true;
}

bool TimelineReader::ReadHeader(TimelineHeader* header, std::string* error) {
  std::string_view line;
  if (!NextLine(&line)) {
    *error = read_failed_ ? "read error" : "empty timeline (no header line)";
    return false;
  }
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("timeline_version") || !j["timeline_version"].is_string()) {
    *error = "line 1: not a timeline header (no timeline_version)";
    return false;
  }
  header->version = j["timeline_version"].get<std::string>();
  if (header->version.rfind("1.", 0) != 0) {
    *error = "timeline version " + header->version + " is not supported (this reel reads 1.x)";
    return false;
  }
  try {
    Get(j, "source", &header->source);
    Get(j, "schedule", &header->schedule);
    if (!GetInt(j, "start_mono_ns", &header->start_mono_ns, error)) {
      *error = "line 1: malformed timeline header";
      return false;
    }
  } catch (const json::exception&) {
    *error = "line 1: malformed timeline header";
    return false;
  }
  return true;
}

bool TimelineReader::Next(TimelineEvent* event, std::string* error) {
  error->clear();
  std::string_view line;
  if (!NextLine(&line)) {
    if (read_failed_) *error = "read error after line " + std::to_string(line_no_);
    return false;
  }
  if (!ParseTimelineEvent(line, event, error)) {
    *error = "line " + std::to_string(line_no_) + ": " + *error;
    return false;
  }
  return true;
}

bool ParseTimelineEvent(std::string_view line, TimelineEvent* e, std::string* error) {
  // Every line reel writes takes the fast path; anything else (whitespace,
  // floats, nulls, non-ASCII text, damage) gets the JSON library's verdict.
  if (ParseTimelineEventFast(line, e)) return true;
  return ParseTimelineEventJson(line, e, error);
}

bool ParseTimelineEventJson(std::string_view line, TimelineEvent* e, std::string* error) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    *error = "not a JSON object";
    return false;
  }
  *e = TimelineEvent{};
  try {
    if (!GetInt(j, "seq", &e->seq, error) || !GetInt(j, "t_ns", &e->t_ns, error)) return false;
    Get(j, "kind", &e->kind);
    if (e->kind.empty()) {
      *error = "event without a kind";
      return false;
    }
    if (!GetInt(j, "fd", &e->fd, error) || !GetInt(j, "conn", &e->conn, error) ||
        !GetInt(j, "ret", &e->ret, error) || !GetInt(j, "requested", &e->requested, error) ||
        !GetInt(j, "epfd", &e->epfd, error) || !GetInt(j, "maxevents", &e->maxevents, error) ||
        !GetInt(j, "timeout_ms", &e->timeout_ms, error) ||
        !GetInt(j, "wait_ns", &e->wait_ns, error) ||
        !GetInt(j, "listen_fd", &e->listen_fd, error) || !GetInt(j, "argc", &e->argc, error) ||
        !GetInt(j, "bytes", &e->bytes, error))
      return false;
    Get(j, "errno", &e->err);
    if (auto it = j.find("ready"); it != j.end() && it->is_array()) {
      for (const json& r : *it) {
        ReadyEntry entry;
        if (!GetInt(r, "fd", &entry.fd, error) || !GetInt(r, "conn", &entry.conn, error))
          return false;
        Get(r, "mask", &entry.mask);
        e->ready.push_back(std::move(entry));
      }
    }
    Get(j, "peer", &e->peer);
    Get(j, "name", &e->name);
    if (auto it = j.find("args"); it != j.end() && it->is_array()) {
      for (const json& a : *it) {
        uint64_t len = 0;
        if (a.is_string()) {
          e->args.push_back(a.get<std::string>());
        } else if (a.is_object() && a.contains("len")) {
          if (!GetInt(a, "len", &len, error)) return false;
          e->args.push_back("<len " + std::to_string(len) + ">");
        } else {
          e->args.push_back(a.dump());
        }
      }
    }
    Get(j, "head", &e->head);
    Get(j, "digest", &e->digest);
    Get(j, "verdict", &e->verdict);
  } catch (const json::exception& ex) {
    *error = std::string("malformed event: ") + ex.what();
    return false;
  }
  return true;
}

}  // namespace reel::analyzers
