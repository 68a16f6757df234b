#include "capture/record_json.h"

#include <cstring>

namespace reel {

using nlohmann::json;

namespace {

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

json Addr(const SockAddr& a) {
  if (a.family == 0) return nullptr;
  return a.ToString();
}

json EpollOp(int op) {
  switch (op) {
    case kEpollCtlAdd: return "add";
    case kEpollCtlDel: return "del";
    case kEpollCtlMod: return "mod";
  }
  return op;
}

// Fills j with the kind-specific fields; one overload per record struct.
struct Fields {
  json& j;
  const TraceRecord& rec;

  void operator()(const trace::EpollCreateRec& r) { j["flags"] = r.flags; }
  void operator()(const trace::EpollCtlRec& r) {
    j["epfd"] = r.epfd;
    j["op"] = EpollOp(r.op);
    j["fd"] = r.fd;
    j["events"] = r.events;
    j["data"] = r.data;
  }
  void operator()(const trace::EpollWaitRec& r) {
    j["epfd"] = r.epfd;
    j["maxevents"] = r.maxevents;
    j["timeout_ms"] = r.timeout_ms;
    j["entry_ns"] = rec.ts_ns - r.wait_ns;
    j["wait_ns"] = r.wait_ns;
    json events = json::array();
    for (const EpollEvent& e : r.events) events.push_back({{"data", e.data}, {"events", e.events}});
    j["ready"] = std::move(events);
  }
  void operator()(const trace::SocketRec& r) {
    j["domain"] = r.domain;
    j["type"] = r.type;
    j["protocol"] = r.protocol;
  }
  void operator()(const trace::SetSockOptRec& r) {
    j["fd"] = r.fd;
    j["level"] = r.level;
    j["name"] = r.name;
    j["value"] = r.value;
  }
  void operator()(const trace::BindRec& r) {
    j["fd"] = r.fd;
    j["addr"] = Addr(r.addr);
  }
  void operator()(const trace::ListenRec& r) {
    j["fd"] = r.fd;
    j["backlog"] = r.backlog;
  }
  void operator()(const trace::Accept4Rec& r) {
    j["fd"] = r.fd;
    j["flags"] = r.flags;
    if (rec.result.ok()) {
      j["peer"] = Addr(r.peer);
      j["local"] = Addr(r.local);
    }
  }
  void operator()(const trace::GetSockNameRec& r) {
    j["fd"] = r.fd;
    if (rec.result.ok()) j["addr"] = Addr(r.addr);
  }
  void operator()(const trace::IoRec& r) {
    j["fd"] = r.fd;
    if (rec.kind_enum() == trace::Kind::kWritev) j["iovcnt"] = r.iovcnt;
    j["requested"] = r.requested;
    j["offset"] = r.stream_offset;
  }
  void operator()(const trace::CloseRec& r) { j["fd"] = r.fd; }
  void operator()(const trace::ShutdownRec& r) {
    j["fd"] = r.fd;
    j["how"] = r.how;
  }
  void operator()(const trace::ClockRec& r) {
    j["clock"] = r.clock == trace::kClockMonotonic  ? json("monotonic")
                 : r.clock == trace::kClockRealtime ? json("realtime")
                                                    : json(r.clock);
    j["value"] = r.value;
  }
  void operator()(const trace::RandomRec& r) {
    j["len"] = r.bytes.size();
    j["bytes"] = Hex(r.bytes);
  }
  void operator()(const trace::SleepRec& r) {
    j["requested_ns"] = r.requested_ns;
    j["slept_ns"] = r.slept_ns;
  }
  void operator()(const trace::ProcessIdRec& r) { j["pid"] = r.pid; }
  void operator()(const trace::StopRequestedRec&) {}
  void operator()(const trace::UnknownRec& r) {
    j["kind_id"] = r.kind;
    j["body"] = Hex(r.body);
  }
};

bool HasResult(trace::Kind k) {
  switch (k) {
    case trace::Kind::kClock:
    case trace::Kind::kRandom:
    case trace::Kind::kSleep:
    case trace::Kind::kProcessId:
    case trace::Kind::kStopRequested: return false;
    default: return trace::KindName(k) != std::string("unknown");
  }
}

}  // namespace

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name ? name : std::to_string(err);
}

json RecordToJson(const TraceRecord& rec) {
  json j;
  j["seq"] = rec.seq;
  j["ts_ns"] = rec.ts_ns;
  j["kind"] = rec.kind_name();
  std::visit(Fields{j, rec}, rec.call);
  if (HasResult(rec.kind_enum())) {
    j["ret"] = rec.result.value;
    if (!rec.result.ok()) {
      j["errno"] = rec.result.err;
      j["error"] = ErrnoName(rec.result.err);
    }
  }
  return j;
}

}  // namespace reel
