#include "analyzers/timeline_reader.h"

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "replay/reel_replay.h"

namespace reel::analyzers {
namespace {

using nlohmann::json;

template <typename T>
void Get(const json& j, const char* key, T* out) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) *out = it->get<T>();
}

bool IsDirectory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

TimelineReader::~TimelineReader() {
  if (file_ != nullptr) std::fclose(file_);
}

bool TimelineReader::Open(const std::string& path, std::string* error) {
  if (IsDirectory(path)) {
    ReplayResult r = ReplayBundle(path);
    if (!r.loaded) {
      *error = path + ": " + r.error;
      return false;
    }
    OpenText(std::move(r.timeline));
    return true;
  }
  file_ = std::fopen(path.c_str(), "r");
  if (file_ == nullptr) {
    *error = path + ": cannot open (not a timeline file or a bundle directory)";
    return false;
  }
  return true;
}

void TimelineReader::OpenText(std::string text) {
  text_ = std::move(text);
  text_pos_ = 0;
}

bool TimelineReader::NextLine(std::string_view* line) {
  if (file_ != nullptr) {
    line_buf_.clear();
    int c;
    while ((c = std::getc(file_)) != EOF && c != '\n') line_buf_.push_back(static_cast<char>(c));
    if (c == EOF && line_buf_.empty()) return false;
    line_no_++;
    *line = line_buf_;
    return true;
  }
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
    *error = "empty timeline (no header line)";
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
    Get(j, "start_mono_ns", &header->start_mono_ns);
  } catch (const json::exception&) {
    *error = "line 1: malformed timeline header";
    return false;
  }
  return true;
}

bool TimelineReader::Next(TimelineEvent* event, std::string* error) {
  error->clear();
  std::string_view line;
  if (!NextLine(&line)) return false;
  if (!ParseTimelineEvent(line, event, error)) {
    *error = "line " + std::to_string(line_no_) + ": " + *error;
    return false;
  }
  return true;
}

bool ParseTimelineEvent(std::string_view line, TimelineEvent* e, std::string* error) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) {
    *error = "not a JSON object";
    return false;
  }
  *e = TimelineEvent{};
  try {
    Get(j, "seq", &e->seq);
    Get(j, "t_ns", &e->t_ns);
    Get(j, "kind", &e->kind);
    if (e->kind.empty()) {
      *error = "event without a kind";
      return false;
    }
    Get(j, "fd", &e->fd);
    Get(j, "conn", &e->conn);
    Get(j, "ret", &e->ret);
    Get(j, "errno", &e->err);
    Get(j, "requested", &e->requested);
    Get(j, "epfd", &e->epfd);
    Get(j, "maxevents", &e->maxevents);
    Get(j, "timeout_ms", &e->timeout_ms);
    Get(j, "wait_ns", &e->wait_ns);
    if (auto it = j.find("ready"); it != j.end() && it->is_array()) {
      for (const json& r : *it) {
        ReadyEntry entry;
        Get(r, "fd", &entry.fd);
        Get(r, "conn", &entry.conn);
        Get(r, "mask", &entry.mask);
        e->ready.push_back(std::move(entry));
      }
    }
    Get(j, "listen_fd", &e->listen_fd);
    Get(j, "peer", &e->peer);
    Get(j, "name", &e->name);
    Get(j, "argc", &e->argc);
    if (auto it = j.find("args"); it != j.end() && it->is_array()) {
      for (const json& a : *it) {
        if (a.is_string())
          e->args.push_back(a.get<std::string>());
        else if (a.is_object() && a.contains("len"))
          e->args.push_back("<len " + std::to_string(a["len"].get<uint64_t>()) + ">");
        else
          e->args.push_back(a.dump());
      }
    }
    Get(j, "bytes", &e->bytes);
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
