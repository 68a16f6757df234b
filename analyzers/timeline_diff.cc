// The alignment behind `reel diff` (see timeline_diff.h for the model).
//
// Both timelines stream through a ring of events per side. While the fronts
// have equal keys they align in place at O(1) per event. At a difference the
// diff looks ahead up to `window` events per side for the nearest point where
// kSyncRun consecutive keys agree again (minimising the events skipped), then
// aligns the skipped stretch by its longest common subsequence; what remains
// is unaligned. Unaligned events wait (bounded by the window) for a partner
// with the same key on the other side, which makes the pair one reordered
// event; unpaired ones become deletions or insertions when they expire.
#include "analyzers/timeline_diff.h"

#include <algorithm>
#include <cstdint>
#include <deque>
#include <unordered_map>

namespace reel::analyzers {
namespace {

// Consecutive equal keys that count as "back in step" after a difference:
// one is too few (common events such as an empty epoll_wait recur
// everywhere), and more delays re-synchronisation near the end of a stream.
constexpr size_t kSyncRun = 3;

// FNV-1a 64 over the fields that make up an event's key or content.
class Hasher {
 public:
  void Int(uint64_t v) {
    for (int i = 0; i < 8; i++) Byte(static_cast<unsigned char>(v >> (8 * i)));
  }
  void Str(std::string_view s) {
    Int(s.size());
    for (unsigned char c : s) Byte(c);
  }
  uint64_t value() const { return h_; }

 private:
  void Byte(unsigned char c) { h_ = (h_ ^ c) * 1099511628211ull; }
  uint64_t h_ = 1469598103934665603ull;
};

uint64_t U(int64_t v) {
  return static_cast<uint64_t>(v);
}

// Identity: what must agree for two events to be "the same event".
uint64_t KeyOf(const TimelineEvent& e, uint64_t answered_command) {
  Hasher h;
  h.Str(e.kind);
  const std::string& k = e.kind;
  if (k == "epoll_wait") {
    h.Str(e.err);
    for (const ReadyEntry& r : e.ready) {
      h.Int(U(r.fd));
      h.Int(r.conn);
      h.Str(r.mask);
    }
  } else if (k == "accept") {
    h.Int(U(e.listen_fd));
    h.Int(U(e.ret));
    h.Str(e.err);
    h.Int(U(e.fd));
    h.Int(e.conn);
  } else if (k == "read" || k == "write" || k == "close") {
    h.Int(U(e.fd));
    h.Int(e.conn);
  } else if (k == "command") {
    h.Int(e.conn);
    h.Str(e.name);
    h.Int(e.argc);
    for (const std::string& a : e.args) h.Str(a);
  } else if (k == "reply") {
    h.Int(e.conn);
    h.Int(answered_command);
  } else if (k == "timer") {
    h.Str(e.name);
  } else if (k != "end") {  // a kind from a later minor version
    h.Int(U(e.fd));
    h.Int(e.conn);
    h.Str(e.name);
  }
  return h.value();
}

// Content: the remaining non-timing fields (t_ns, timeout_ms and wait_ns
// are timing, which a what-if or model replay shifts).
uint64_t ContentOf(const TimelineEvent& e) {
  Hasher h;
  const std::string& k = e.kind;
  if (k == "epoll_wait") {
    h.Int(U(e.epfd));
    h.Int(U(e.maxevents));
    h.Int(U(e.ret));
  } else if (k == "accept") {
    h.Str(e.peer);
  } else if (k == "read" || k == "write") {
    h.Int(e.requested);
    h.Int(U(e.ret));
    h.Str(e.err);
  } else if (k == "reply") {
    h.Int(e.bytes);
    h.Str(e.head);
    h.Str(e.digest);
  } else if (k == "end") {
    h.Str(e.verdict);
  } else if (k != "command" && k != "close" && k != "timer") {
    h.Int(U(e.ret));
    h.Str(e.err);
    h.Int(e.requested);
    h.Int(e.bytes);
    h.Str(e.head);
    h.Str(e.digest);
    h.Str(e.verdict);
    h.Str(e.peer);
  }
  return h.value();
}

struct Item {
  TimelineEvent ev;
  uint64_t pos = 0;  // index among this side's compared events
  uint64_t key = 0;
  uint64_t content = 0;
  std::string command;  // reply: the command it answers
};

// One input: a ring of events holding the look-ahead window in front and a
// few consumed events behind (the context before a divergence).
class Side {
 public:
  Side(TimelineReader& reader, size_t lookahead, size_t history,
       const std::vector<std::string>& ignore_kinds)
      : reader_(reader), history_(history), ignore_kinds_(ignore_kinds) {
    size_t cap = 1;
    while (cap < lookahead + history + 1) cap *= 2;
    ring_.resize(cap);
  }

  // Makes up to n events available from the front. False on a read error.
  bool Fill(size_t n) {
    while (available() < n && !eof_) {
      if (!Load(&ring_[end_ & (ring_.size() - 1)])) return false;
    }
    return true;
  }
  size_t available() const { return static_cast<size_t>(end_ - front_); }
  bool eof() const { return eof_; }
  Item& at(size_t i) { return ring_[(front_ + i) & (ring_.size() - 1)]; }
  void Pop() { ++front_; }
  uint64_t loaded() const { return end_; }
  const std::string& error() const { return error_; }

  // The last up-to-n consumed events, oldest first.
  void History(size_t n, std::vector<TimelineEvent>* out) {
    size_t h = static_cast<size_t>(std::min<uint64_t>({n, history_, front_}));
    for (size_t i = h; i > 0; i--) out->push_back(ring_[(front_ - i) & (ring_.size() - 1)].ev);
  }

 private:
  bool Load(Item* item) {
    for (;;) {
      if (!reader_.Next(&item->ev, &error_)) {
        if (!error_.empty()) return false;
        eof_ = true;
        return true;
      }
      const TimelineEvent& e = item->ev;
      uint64_t answered = 0;
      item->command.clear();
      if (e.kind == "command") {
        LastCommand& c = last_command_[e.conn];
        c.key = KeyOf(e, 0);
        c.text = CommandText(e);
      } else if (e.kind == "reply") {
        if (auto it = last_command_.find(e.conn); it != last_command_.end()) {
          answered = it->second.key;
          item->command = it->second.text;
        }
      } else if (e.kind == "close") {
        last_command_.erase(e.conn);  // keeps the table as small as the open connections
      }
      if (std::find(ignore_kinds_.begin(), ignore_kinds_.end(), e.kind) != ignore_kinds_.end())
        continue;
      item->pos = end_++;
      item->key = KeyOf(e, answered);
      item->content = ContentOf(e);
      return true;
    }
  }

  struct LastCommand {
    uint64_t key = 0;
    std::string text;
  };

  TimelineReader& reader_;
  size_t history_;
  const std::vector<std::string>& ignore_kinds_;
  std::vector<Item> ring_;  // power-of-two size
  uint64_t front_ = 0;      // first unconsumed
  uint64_t end_ = 0;        // one past the last loaded
  bool eof_ = false;
  std::string error_;
  std::unordered_map<uint64_t, LastCommand> last_command_;  // by connection
};

class Differ {
 public:
  Differ(TimelineReader& a, TimelineReader& b, const DiffOptions& options, DiffResult* result)
      : opt_(options),
        window_(std::max(options.window, options.context + 1)),
        a_(a, window_ + kSyncRun, options.context, options.ignore_kinds),
        b_(b, window_ + kSyncRun, options.context, options.ignore_kinds),
        r_(*result) {}

  // False on a read error (error(), from A when a_failed()).
  bool Run() {
    for (;;) {
      if (!a_.Fill(1) || !b_.Fill(1)) return false;
      size_t la = a_.available(), lb = b_.available();
      if (la == 0 && lb == 0) break;
      if (la > 0 && lb > 0 && a_.at(0).key == b_.at(0).key) {
        if (!AlignInPlace()) return false;
      } else if (!Hunk()) {
        return false;
      }
    }
    ExpirePending(/*all=*/true);
    r_.a_events = a_.loaded();
    r_.b_events = b_.loaded();
    return true;
  }

  bool a_failed() const { return !a_.error().empty(); }
  const std::string& error() const { return a_failed() ? a_.error() : b_.error(); }

 private:
  struct Pending {
    char side;
    uint64_t stamp;  // ops_ when it became unaligned
    bool done = false;
    Item item;
  };

  // The fronts have equal keys: align them.
  bool AlignInPlace() {
    Item& x = a_.at(0);
    Item& y = b_.at(0);
    if (x.content != y.content) {
      if (!r_.first.found) {
        if (!a_.Fill(opt_.context + 1) || !b_.Fill(opt_.context + 1)) return false;
        CaptureFirst();
        r_.first.change = Change::kChanged;
        r_.first.side = 'a';
        r_.first.event = x.ev;
        r_.first.counterpart_seq = y.ev.seq;
      }
      Count(x.ev, &ChangeCounts::changed);
      if (x.ev.kind == "reply") NoteReply(Change::kChanged, false, &x, &y);
    }
    if (x.ev.t_ns != y.ev.t_ns) {
      r_.timing.shifted++;
      // In unsigned arithmetic: a damaged file's times may span all of int64.
      uint64_t ta = U(x.ev.t_ns) ^ (1ull << 63), tb = U(y.ev.t_ns) ^ (1ull << 63);
      uint64_t udt = ta > tb ? ta - tb : tb - ta;
      int64_t dt = static_cast<int64_t>(std::min<uint64_t>(udt, INT64_MAX));
      if (dt > r_.timing.max_abs_dt_ns) {
        r_.timing.max_abs_dt_ns = dt;
        r_.timing.a_seq = x.ev.seq;
        r_.timing.b_seq = y.ev.seq;
      }
    }
    r_.matched++;
    a_.Pop();
    b_.Pop();
    ops_ += 2;
    ExpirePending(false);
    return true;
  }

  // The fronts differ: find where the sides agree again and align the
  // stretch in between.
  bool Hunk() {
    if (!a_.Fill(window_ + kSyncRun) || !b_.Fill(window_ + kSyncRun)) return false;
    size_t na = std::min(a_.available(), window_);
    size_t nb = std::min(b_.available(), window_);
    if (na > 0 && nb > 0) FindSync(&na, &nb);
    if (!r_.first.found) {
      CaptureFirst();
      first_open_ = true;  // the first unaligned event below is the divergent one
    }
    return AlignStretch(na, nb);
  }

  // The nearest (fewest events skipped) i, j where kSyncRun keys agree, or
  // where agreeing keys run to the end of a side. Leaves *na, *nb (the
  // whole windows) when there is none.
  void FindSync(size_t* na, size_t* nb) {
    size_t la = a_.available(), lb = b_.available();
    size_t max_i = *na, max_j = *nb;
    for (size_t d = 1; d <= max_i + max_j; d++) {
      size_t i_lo = d > max_j ? d - max_j : 0;
      for (size_t i = i_lo; i <= std::min(d, max_i); i++) {
        size_t j = d - i;
        if (i >= la || j >= lb || a_.at(i).key != b_.at(j).key) continue;
        size_t run = 1;
        while (run < kSyncRun && i + run < la && j + run < lb &&
               a_.at(i + run).key == b_.at(j + run).key)
          run++;
        if (run == kSyncRun || (i + run == la && a_.eof()) || (j + run == lb && b_.eof())) {
          *na = i;
          *nb = j;
          return;
        }
      }
    }
  }

  // Aligns a_[0, na) with b_[0, nb) by their longest common subsequence of
  // keys; the rest is unaligned.
  bool AlignStretch(size_t na, size_t nb) {
    keys_a_.resize(na);
    keys_b_.resize(nb);
    for (size_t i = 0; i < na; i++) keys_a_[i] = a_.at(i).key;
    for (size_t j = 0; j < nb; j++) keys_b_[j] = b_.at(j).key;
    // lcs_[x * (nb + 1) + y] = LCS length of a[x, na) and b[y, nb).
    size_t w = nb + 1;
    lcs_.assign((na + 1) * w, 0);
    for (size_t x = na; x-- > 0;)
      for (size_t y = nb; y-- > 0;)
        lcs_[x * w + y] = keys_a_[x] == keys_b_[y]
                              ? lcs_[(x + 1) * w + y + 1] + 1
                              : std::max(lcs_[(x + 1) * w + y], lcs_[x * w + y + 1]);
    size_t x = 0, y = 0;
    while (x < na || y < nb) {
      if (x < na && y < nb && keys_a_[x] == keys_b_[y]) {
        if (!AlignInPlace()) return false;
        x++;
        y++;
      } else if (x < na && (y == nb || lcs_[(x + 1) * w + y] >= lcs_[x * w + y + 1])) {
        Unaligned(a_, 'a');
        x++;
      } else {
        Unaligned(b_, 'b');
        y++;
      }
    }
    return true;
  }

  // The front of `side` has no in-place partner: pair it with a waiting
  // event of the other side (a reorder) or make it wait.
  void Unaligned(Side& side, char name) {
    Item& it = side.at(0);
    if (first_open_) {
      first_open_ = false;
      r_.first.side = name;
      r_.first.change = name == 'a' ? Change::kDeleted : Change::kInserted;
      r_.first.event = it.ev;
      first_pos_ = it.pos;
    }
    auto found = waiting_.find(it.key);
    if (found != waiting_.end() && Waiting(found->second.front()).side != name) {
      Pending& p = Waiting(found->second.front());
      p.done = true;
      found->second.pop_front();
      if (found->second.empty()) waiting_.erase(found);
      if (name == 'a')
        Reordered(it, p.item);
      else
        Reordered(p.item, it);
    } else {
      waiting_[it.key].push_back(pending_base_ + pending_.size());
      pending_.push_back(Pending{name, ops_, false, it});
    }
    side.Pop();
    ops_++;
    ExpirePending(false);
  }

  Pending& Waiting(uint64_t id) { return pending_[static_cast<size_t>(id - pending_base_)]; }

  void Reordered(const Item& a, const Item& b) {
    Count(a.ev, &ChangeCounts::reordered);
    if (a.content != b.content) Count(a.ev, &ChangeCounts::changed);
    if (a.ev.kind == "reply" && a.content != b.content) NoteReply(Change::kChanged, true, &a, &b);
    if (r_.first.found && r_.first.change != Change::kChanged) {
      if (r_.first.side == 'a' && a.pos == first_pos_) {
        r_.first.change = Change::kReordered;
        r_.first.counterpart_seq = b.ev.seq;
      } else if (r_.first.side == 'b' && b.pos == first_pos_) {
        r_.first.change = Change::kReordered;
        r_.first.counterpart_seq = a.ev.seq;
      }
    }
  }

  // Unaligned events that waited longer than the window stay unpaired.
  void ExpirePending(bool all) {
    while (!pending_.empty()) {
      Pending& p = pending_.front();
      if (!p.done) {
        if (!all && p.stamp + 2 * window_ >= ops_) break;
        auto found = waiting_.find(p.item.key);
        found->second.pop_front();  // p is the oldest waiting event of its key
        if (found->second.empty()) waiting_.erase(found);
        bool deleted = p.side == 'a';
        Count(p.item.ev, deleted ? &ChangeCounts::deleted : &ChangeCounts::inserted);
        if (p.item.ev.kind == "reply")
          NoteReply(deleted ? Change::kDeleted : Change::kInserted, false,
                    deleted ? &p.item : nullptr, deleted ? nullptr : &p.item);
      }
      pending_.pop_front();
      pending_base_++;
    }
  }

  void CaptureFirst() {
    FirstDivergence& f = r_.first;
    f.found = true;
    f.matched_before = r_.matched;
    f.a_seq = a_.available() > 0 ? a_.at(0).ev.seq : 0;
    f.b_seq = b_.available() > 0 ? b_.at(0).ev.seq : 0;
    Context(a_, &f.context_a, &f.mark_a);
    Context(b_, &f.context_b, &f.mark_b);
  }

  void Context(Side& side, std::vector<TimelineEvent>* out, size_t* mark) {
    side.History(opt_.context, out);
    *mark = out->size();
    for (size_t i = 0; i < std::min(side.available(), opt_.context + 1); i++)
      out->push_back(side.at(i).ev);
  }

  void Count(const TimelineEvent& e, uint64_t ChangeCounts::*field) {
    r_.totals.*field += 1;
    r_.by_kind[e.kind].*field += 1;
    r_.by_conn[e.conn].*field += 1;
  }

  static ReplySide SideOf(const Item& i) {
    return ReplySide{i.ev.seq, i.ev.t_ns, i.ev.bytes, i.ev.head, i.ev.digest, i.command};
  }

  void NoteReply(Change change, bool reordered, const Item* a, const Item* b) {
    r_.replies_total++;
    if (r_.replies.size() >= opt_.max_replies) return;
    ReplyDifference d;
    d.change = change;
    d.reordered = reordered;
    d.conn = a ? a->ev.conn : b->ev.conn;
    if (a) d.a = SideOf(*a);
    if (b) d.b = SideOf(*b);
    r_.replies.push_back(std::move(d));
  }

  const DiffOptions& opt_;
  size_t window_;
  Side a_, b_;
  DiffResult& r_;
  uint64_t ops_ = 0;  // events consumed on both sides: the clock pending events expire by
  bool first_open_ = false;
  uint64_t first_pos_ = 0;
  std::deque<Pending> pending_;                                 // unaligned events, oldest first
  uint64_t pending_base_ = 0;                                   // id of pending_.front()
  std::unordered_map<uint64_t, std::deque<uint64_t>> waiting_;  // key -> pending ids
  std::vector<uint64_t> keys_a_, keys_b_;
  std::vector<uint32_t> lcs_;
};

DiffResult Diff(TimelineReader& a, TimelineReader& b, const DiffOptions& options,
                const std::string& label_a, const std::string& label_b) {
  DiffResult r;
  if (!a.ReadHeader(&r.a_header, &r.error)) {
    r.error = label_a + ": " + r.error;
    return r;
  }
  if (!b.ReadHeader(&r.b_header, &r.error)) {
    r.error = label_b + ": " + r.error;
    return r;
  }
  Differ differ(a, b, options, &r);
  if (!differ.Run()) {
    std::string error = (differ.a_failed() ? label_a : label_b) + ": " + differ.error();
    r = DiffResult{};
    r.error = std::move(error);
    return r;
  }
  r.ok = true;
  return r;
}

}  // namespace

const char* ChangeName(Change change) {
  switch (change) {
    case Change::kInserted: return "inserted";
    case Change::kDeleted: return "deleted";
    case Change::kReordered: return "reordered";
    case Change::kChanged: return "changed";
  }
  return "?";
}

DiffResult DiffTimelines(TimelineReader& a, TimelineReader& b, const DiffOptions& options,
                         const std::string& name_a, const std::string& name_b) {
  return Diff(a, b, options, name_a, name_b);
}

}  // namespace reel::analyzers
