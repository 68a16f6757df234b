#include "replay/redaction_roles.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <unordered_map>

#include "server/commands/command_docs.h"

namespace reel::replay {

namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool HasFlag(const char* flags, std::string_view flag) {
  if (flags == nullptr) return false;
  std::string_view f(flags);
  size_t pos = 0;
  while (pos < f.size()) {
    size_t end = f.find(' ', pos);
    if (end == std::string_view::npos) end = f.size();
    if (f.substr(pos, end - pos) == flag) return true;
    pos = end + 1;
  }
  return false;
}

bool IsInteger(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

// A double as Redis accepts it in scores and ranges: "1.5", "-inf", "(3".
bool IsDoubleLike(std::string_view s) {
  if (!s.empty() && s[0] == '(') s.remove_prefix(1);
  if (s.empty() || s.size() > 64) return false;
  std::string lower = Lower(s);
  if (lower == "inf" || lower == "+inf" || lower == "-inf") return true;
  std::string copy(s);
  char* end = nullptr;
  std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && !std::isspace(static_cast<unsigned char>(copy[0]));
}

// Groups whose string arguments are user data.
bool IsDataGroup(std::string_view group) {
  static const char* const kData[] = {"string",      "list",    "hash",   "set",
                                      "sorted-set",  "generic", "bitmap", "geo",
                                      "hyperloglog", "stream",  "pubsub", "scripting"};
  for (const char* g : kData)
    if (group == g) return true;
  return false;
}

// The role of a documented "string" argument.
ArgRole StringRole(const CommandDoc& doc, const ArgDoc& arg) {
  std::string_view name = arg.name;
  if (name == "password" || name == "rule") return ArgRole::kCredential;
  if (name == "min" || name == "max" || name == "start" || name == "stop")
    return ArgRole::kRangeBound;
  if (name == "prefix") return ArgRole::kKey;  // CLIENT TRACKING PREFIX: key prefixes
  // Names, addresses and selectors, not data.
  static const char* const kNotData[] = {
      "type",         "host",          "parameter",  "section",
      "command-name", "module-name",   "path",       "categoryname",
      "category",     "replicationid", "clientname", "connection-name",
      "username",     "event",         "command",    "name",
      "ip:port",      "laddr",         "addr",       "ip",
      "library-name", "function-name", "subcommand"};
  for (const char* n : kNotData)
    if (name == n) return ArgRole::kOther;
  return IsDataGroup(doc.group) || std::string_view(doc.name) == "echo" ||
                 std::string_view(doc.name) == "ping"
             ? ArgRole::kValue
             : ArgRole::kOther;
}

// Backtracking matcher of argv against a command's documented arguments.
class GrammarMatcher {
 public:
  // key_pos: positions the key specs name as keys; keys_complete: the specs
  // name every key (then a "key" argument can only be at such a position).
  GrammarMatcher(const CommandDoc& doc, const std::vector<std::string_view>& argv,
                 const std::vector<bool>& key_pos, bool keys_complete, std::vector<ArgRole>* roles)
      : doc_(doc),
        argv_(argv),
        key_pos_(key_pos),
        keys_complete_(keys_complete),
        roles_(*roles),
        budget_(20000 + 64 * static_cast<int>(argv.size())) {}

  bool Match(size_t start) {
    return Seq(doc_.args, doc_.num_args, 0, start, [this](size_t p) { return p == argv_.size(); });
  }

 private:
  using Cont = std::function<bool(size_t)>;
  bool Spend() { return ++steps_ <= budget_; }

  bool TokenAt(const char* token, size_t pos) const {
    return token != nullptr && pos < argv_.size() && EqualsNoCase(argv_[pos], token);
  }

  // Does the argument start with a token that argv[pos] matches?
  bool LeadingTokenMatches(const ArgDoc& a, size_t pos) const {
    if (a.token != nullptr) return TokenAt(a.token, pos);
    if (std::string_view(a.type) == "oneof") {
      for (int i = 0; i < a.num_args; i++)
        if (LeadingTokenMatches(a.args[i], pos)) return true;
      return false;
    }
    if (std::string_view(a.type) == "block" && a.num_args > 0)
      return LeadingTokenMatches(a.args[0], pos);
    return false;
  }
  static bool HasLeadingToken(const ArgDoc& a) {
    if (a.token != nullptr) return true;
    if (std::string_view(a.type) == "oneof") {
      if (a.num_args == 0) return false;
      for (int i = 0; i < a.num_args; i++)
        if (!HasLeadingToken(a.args[i])) return false;
      return true;
    }
    if (std::string_view(a.type) == "block" && a.num_args > 0) return HasLeadingToken(a.args[0]);
    return false;
  }
  static bool IsTokenOption(const ArgDoc& a) {
    return HasFlag(a.flags, "optional") && HasLeadingToken(a);
  }

  bool Seq(const ArgDoc* elems, int n, int i, size_t pos, const Cont& k) {
    if (!Spend()) return false;
    if (i == n) return k(pos);
    if (IsTokenOption(elems[i])) {
      // A run of token-led options: the server takes them in any order.
      int j = i;
      while (j < n && IsTokenOption(elems[j])) j++;
      std::vector<bool> used(static_cast<size_t>(j - i), false);
      return AnyOrder(elems + i, j - i, &used, pos,
                      [&, j](size_t p) { return Seq(elems, n, j, p, k); });
    }
    return Arg(elems[i], pos, [&](size_t p) { return Seq(elems, n, i + 1, p, k); });
  }

  bool AnyOrder(const ArgDoc* run, int n, std::vector<bool>* used, size_t pos, const Cont& k) {
    if (!Spend()) return false;
    for (int r = 0; r < n; r++) {
      if ((*used)[r] || !LeadingTokenMatches(run[r], pos)) continue;
      bool repeatable = HasFlag(run[r].flags, "multiple");
      if (!repeatable) (*used)[r] = true;
      bool ok = Present(run[r], pos, [&](size_t p) { return AnyOrder(run, n, used, p, k); });
      if (!repeatable) (*used)[r] = false;
      if (ok) return true;
    }
    return k(pos);
  }

  bool Arg(const ArgDoc& a, size_t pos, const Cont& k) {
    if (HasFlag(a.flags, "optional")) return Present(a, pos, k) || k(pos);
    return Present(a, pos, k);
  }

  // One or more occurrences (multiple), or exactly one.
  bool Present(const ArgDoc& a, size_t pos, const Cont& k) {
    if (!HasFlag(a.flags, "multiple")) return Once(a, pos, /*with_token=*/true, k);
    const bool token_each = HasFlag(a.flags, "multiple_token");
    // Repetitions are matched one at a time, iteratively (an MSET with
    // 100000 pairs must not recurse that deep), and the rest of the command
    // is tried after each: the fewest repetitions that let it match win, so
    // a trailing option's token ("WEIGHTS") is not taken for one more value.
    size_t p = pos;
    for (bool first = true;; first = false) {
      size_t next = 0;
      if (!Once(a, p, first || token_each, [&next](size_t q) {
            next = q;
            return true;
          }))
        return false;
      if (next == p) return false;
      p = next;
      if (k(p)) return true;
      if (!Spend()) return false;
    }
  }

  bool Once(const ArgDoc& a, size_t pos, bool with_token, const Cont& k) {
    if (!Spend()) return false;
    std::string_view type = a.type;
    if (a.token != nullptr && with_token) {
      if (!TokenAt(a.token, pos)) return false;
      roles_[pos] = ArgRole::kKeyword;
      pos++;
      if (type == "pure-token") return k(pos);
    } else if (type == "pure-token") {
      if (!TokenAt(a.token, pos)) return false;
      roles_[pos] = ArgRole::kKeyword;
      return k(pos + 1);
    }
    if (type == "oneof") {
      for (int i = 0; i < a.num_args; i++)
        if (Arg(a.args[i], pos, k)) return true;
      return false;
    }
    if (type == "block") return Seq(a.args, a.num_args, 0, pos, k);
    if (pos >= argv_.size()) return false;
    std::string_view v = argv_[pos];
    ArgRole role;
    // The key specs decide where keys are.
    if ((type == "key") != key_pos_[pos] && (key_pos_[pos] || keys_complete_)) return false;
    if (type == "key") {
      role = ArgRole::kKey;
    } else if (type == "integer") {
      // Documented "integer" arguments that take floats exist (ZINCRBY's
      // increment): any number will do.
      if (!IsDoubleLike(v)) return false;
      role = ArgRole::kNumber;
    } else if (type == "double") {
      if (!IsDoubleLike(v)) return false;
      role = ArgRole::kNumber;
    } else if (type == "unix-time") {
      if (!IsInteger(v)) return false;
      role = ArgRole::kNumber;
    } else if (type == "pattern") {
      role = ArgRole::kPattern;
    } else {
      role = StringRole(doc_, a);
    }
    roles_[pos] = role;
    return k(pos + 1);
  }

  const CommandDoc& doc_;
  const std::vector<std::string_view>& argv_;
  const std::vector<bool>& key_pos_;
  bool keys_complete_;
  std::vector<ArgRole>& roles_;
  int budget_;
  int steps_ = 0;
};

// Documented tokens of a command (any depth), upper case.
void CollectTokens(const ArgDoc* args, int n, std::unordered_set<std::string>* out) {
  for (int i = 0; i < n; i++) {
    if (args[i].token != nullptr && args[i].token[0] != '\0') {
      std::string t = args[i].token;
      for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      out->insert(t);
    }
    CollectTokens(args[i].args, args[i].num_args, out);
  }
}

bool HasStringArgs(const ArgDoc* args, int n) {
  for (int i = 0; i < n; i++) {
    std::string_view t = args[i].type;
    if (t == "string" || t == "pattern") return true;
    if (HasStringArgs(args[i].args, args[i].num_args)) return true;
  }
  return false;
}

bool WordIn(std::string_view word, std::initializer_list<const char*> list) {
  for (const char* w : list)
    if (word == w) return true;
  return false;
}

bool ArgvHasToken(const std::vector<std::string_view>& argv, const char* token) {
  for (size_t i = 1; i < argv.size(); i++)
    if (EqualsNoCase(argv[i], token)) return true;
  return false;
}

ReplyLayout LayoutFor(std::string_view name, const std::vector<std::string_view>& argv) {
  const bool withscores = ArgvHasToken(argv, "WITHSCORES");
  if (WordIn(name,
             {"get",      "getdel",      "getex", "getset",      "getrange",       "substr",
              "mget",     "lcs",         "echo",  "ping",        "hget",           "hmget",
              "hgetall",  "hkeys",       "hvals", "hrandfield",  "lrange",         "lindex",
              "lpop",     "rpop",        "lmove", "blmove",      "rpoplpush",      "brpoplpush",
              "smembers", "srandmember", "spop",  "sinter",      "sunion",         "sdiff",
              "sort",     "sort_ro",     "dump",  "zrangebylex", "zrevrangebylex", "set"}))
    return ReplyLayout::kValues;
  if (WordIn(name, {"zrange", "zrevrange", "zrangebyscore", "zrevrangebyscore", "zrandmember",
                    "zunion", "zinter", "zdiff"}))
    return withscores ? ReplyLayout::kValueScore : ReplyLayout::kValues;
  if (WordIn(name, {"zpopmin", "zpopmax"})) return ReplyLayout::kValueScore;
  if (WordIn(name, {"keys", "randomkey"})) return ReplyLayout::kKeys;
  if (name == "scan") return ReplyLayout::kCursorKeys;
  if (WordIn(name, {"sscan", "hscan"})) return ReplyLayout::kCursorValues;
  if (name == "zscan") return ReplyLayout::kCursorValueScore;
  if (WordIn(name, {"blpop", "brpop", "lmpop", "blmpop"})) return ReplyLayout::kKeyValues;
  if (WordIn(name, {"bzpopmin", "bzpopmax", "zmpop", "bzmpop"})) return ReplyLayout::kKeyValueScore;
  if (name == "config|get") return ReplyLayout::kConfigPairs;
  // Replies that echo what clients sent in ways this table does not model.
  if (WordIn(name, {"slowlog|get", "monitor", "client|list", "client|info", "acl|log", "xrange",
                    "xrevrange", "xread", "xreadgroup", "hello", "geopos", "georadius", "geosearch",
                    "function|list", "eval", "evalsha", "fcall"})) {
    // CLIENT LIST/INFO and HELLO carry only names and addresses reel keeps.
    if (WordIn(name, {"client|list", "client|info", "hello"})) return ReplyLayout::kNothing;
    return ReplyLayout::kEverything;
  }
  return ReplyLayout::kNothing;
}

// Per-command special cases of argument roles the grammar cannot express.
void AdjustRoles(std::string_view name, const std::vector<std::string_view>& argv,
                 std::vector<ArgRole>* roles) {
  if (name == "config|set") {
    // parameter value pairs: only credentials are secrets.
    for (size_t i = 2; i + 1 < argv.size(); i += 2) {
      std::string p = Lower(argv[i]);
      (*roles)[i] = ArgRole::kOther;
      bool secret = p == "requirepass" || p == "masterauth" || p == "masteruser";
      (*roles)[i + 1] = secret ? ArgRole::kCredential : ArgRole::kOther;
    }
  }
}

}  // namespace

const char* ArgRoleName(ArgRole r) {
  switch (r) {
    case ArgRole::kCommandName: return "command";
    case ArgRole::kSubcommand: return "subcommand";
    case ArgRole::kKeyword: return "keyword";
    case ArgRole::kNumber: return "number";
    case ArgRole::kOther: return "other";
    case ArgRole::kKey: return "key";
    case ArgRole::kValue: return "value";
    case ArgRole::kRangeBound: return "range-bound";
    case ArgRole::kPattern: return "pattern";
    case ArgRole::kCredential: return "credential";
    case ArgRole::kUnclassified: return "unclassified";
  }
  return "?";
}

bool ParseRedactMode(std::string_view text, RedactMode* out) {
  if (text == "keys") {
    *out = {true, false};
  } else if (text == "values") {
    *out = {false, true};
  } else if (text == "all") {
    *out = {true, true};
  } else {
    return false;
  }
  return true;
}

std::string RedactModeName(const RedactMode& m) {
  if (m.keys && m.values) return "all";
  if (m.keys) return "keys";
  if (m.values) return "values";
  return "none";
}

bool RoleRedacted(ArgRole role, std::string_view arg, const RedactMode& mode, size_t* keep_prefix) {
  if (keep_prefix) *keep_prefix = 0;
  if (!mode.any()) return false;
  switch (role) {
    case ArgRole::kKey: return mode.keys;
    case ArgRole::kValue: return mode.values;
    case ArgRole::kRangeBound:
      // "[member" / "(member": the bracket says inclusive or exclusive.
      if (arg == "-" || arg == "+" || arg.size() < 2) return false;
      if (keep_prefix) *keep_prefix = 1;
      return mode.values;
    case ArgRole::kPattern: return arg.find_first_not_of('*') != std::string_view::npos;
    case ArgRole::kCredential:
    case ArgRole::kUnclassified: return true;
    default: return false;
  }
}

bool KeyPositions(const std::vector<std::string_view>& argv, std::vector<size_t>* positions,
                  bool* complete) {
  positions->clear();
  bool all_known = true;
  if (argv.empty()) return false;
  const CommandDoc* doc = FindCommandDoc(argv[0]);
  if (doc == nullptr) return false;
  if (doc->num_key_specs == 0 && argv.size() > 1) {
    std::string sub = Lower(argv[0]) + "|" + Lower(argv[1]);
    if (const CommandDoc* s = FindCommandDoc(sub)) doc = s;
  }
  const int argc = static_cast<int>(argv.size());
  for (int s = 0; s < doc->num_key_specs; s++) {
    const KeySpecDoc& spec = doc->key_specs[s];
    int first = 0;
    if (spec.begin == KeySpecDoc::kIndex) {
      first = spec.begin_arg;
    } else if (spec.begin == KeySpecDoc::kKeyword) {
      int from = spec.begin_arg;
      int start = from > 0 ? from : argc + from;
      int end = from > 0 ? argc - 1 : 1;
      for (int i = start; i != end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (EqualsNoCase(argv[static_cast<size_t>(i)], spec.keyword)) {
          first = i + 1;
          break;
        }
      }
      if (first == 0) continue;  // keyword absent: this spec names no keys
    } else {
      all_known = false;  // found by code, not by spec (SORT ... STORE)
      continue;
    }
    int last = 0, step = 1;
    if (spec.find == KeySpecDoc::kRange) {
      step = spec.find_b;
      if (spec.find_a >= 0) {
        last = first + spec.find_a;
      } else if (spec.find_c == 0) {
        last = argc + spec.find_a;
      } else {
        last = first + ((argc - first) / spec.find_c + spec.find_a);
      }
    } else if (spec.find == KeySpecDoc::kKeynum) {
      step = spec.find_c;
      if (spec.find_a >= argc - first) return false;
      std::string_view n = argv[static_cast<size_t>(first + spec.find_a)];
      if (!IsInteger(n) || n[0] == '-' || n.size() > 9) return false;
      int numkeys = std::atoi(std::string(n).c_str());
      first += spec.find_b;
      last = first + numkeys - 1;
      if (numkeys == 0) continue;
    } else {
      all_known = false;
      continue;
    }
    if (step <= 0 || last >= argc || last < first || first >= argc) return false;
    for (int i = first; i <= last; i += step) positions->push_back(static_cast<size_t>(i));
  }
  if (complete) *complete = all_known;
  return true;
}

CommandRoles ClassifyCommand(const std::vector<std::string_view>& argv) {
  CommandRoles out;
  out.roles.assign(argv.size(), ArgRole::kUnclassified);
  if (argv.empty()) return out;
  const CommandDoc* doc = FindCommandDoc(argv[0]);
  if (doc == nullptr) {
    out.name = Lower(argv[0]);
    out.documented = false;
    out.grammar_matched = false;
    out.reply = ReplyLayout::kNothing;  // an error that echoes argv: handled with the request
    return out;
  }
  out.documented = true;
  out.roles[0] = ArgRole::kCommandName;
  size_t start = 1;
  out.name = doc->name;
  if (out.name == "debug") {
    // Redis documents no DEBUG arguments: its subcommands are server
    // internals (SLEEP, RELOAD, SET-ACTIVE-EXPIRE); OBJECT and DIGEST-VALUE
    // name keys. A digest of a value would let a guess be checked: dropped.
    std::string sub = argv.size() > 1 ? Lower(argv[1]) : "";
    for (size_t i = 1; i < argv.size(); i++)
      out.roles[i] = i == 1                                       ? ArgRole::kSubcommand
                     : (sub == "object" || sub == "digest-value") ? ArgRole::kKey
                                                                  : ArgRole::kOther;
    out.reply = (sub == "digest" || sub == "digest-value") ? ReplyLayout::kEverything
                                                           : ReplyLayout::kNothing;
    return out;
  }
  if (doc->num_args == 0 && argv.size() > 1) {
    // A container (CONFIG, OBJECT, CLIENT): the subcommand has the grammar.
    std::string sub = out.name + "|" + Lower(argv[1]);
    if (const CommandDoc* s = FindCommandDoc(sub)) {
      doc = s;
      out.name = sub;
      out.roles[1] = ArgRole::kSubcommand;
      start = 2;
    } else {
      out.grammar_matched = false;  // unknown subcommand: argv[1] onwards unclassified
      return out;
    }
  }
  out.write = HasFlag(doc->flags, "write");
  out.reply = LayoutFor(out.name, argv);

  std::vector<size_t> keys;
  bool keys_complete = false;
  bool keys_ok = KeyPositions(argv, &keys, &keys_complete);
  std::vector<bool> key_pos(argv.size(), false);
  for (size_t k : keys)
    if (k < argv.size()) key_pos[k] = true;
  std::vector<ArgRole> grammar_roles(argv.size(), ArgRole::kUnclassified);
  for (size_t i = 0; i < start; i++) grammar_roles[i] = out.roles[i];
  GrammarMatcher matcher(*doc, argv, key_pos, keys_ok && keys_complete, &grammar_roles);
  bool matched = matcher.Match(start);

  if (matched) {
    out.roles = grammar_roles;
    // Range bounds are lexicographic (a member with [ or ( in front) only
    // in the BYLEX forms; otherwise an index or a score.
    const bool lex = out.name.find("lex") != std::string::npos || ArgvHasToken(argv, "BYLEX");
    for (size_t i = 0; i < out.roles.size(); i++) {
      if (out.roles[i] != ArgRole::kRangeBound || lex) continue;
      out.roles[i] = IsDoubleLike(argv[i]) ? ArgRole::kNumber : ArgRole::kUnclassified;
    }
    // The key specs are the authority on keys: a position either names as a
    // key is a key (fail closed).
    for (size_t k : keys)
      if (k < out.roles.size()) out.roles[k] = ArgRole::kKey;
    AdjustRoles(out.name, argv, &out.roles);
    return out;
  }
  out.grammar_matched = false;
  std::unordered_set<std::string> tokens;
  CollectTokens(doc->args, doc->num_args, &tokens);
  const bool numbers_safe = !HasStringArgs(doc->args, doc->num_args);
  for (size_t i = start; i < argv.size(); i++) {
    std::string upper(argv[i]);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (tokens.count(upper))
      out.roles[i] = ArgRole::kKeyword;
    else if (numbers_safe && IsDoubleLike(argv[i]))
      out.roles[i] = ArgRole::kNumber;
    else
      out.roles[i] = ArgRole::kUnclassified;
  }
  if (keys_ok)
    for (size_t k : keys)
      if (k < out.roles.size()) out.roles[k] = ArgRole::kKey;
  return out;
}

std::unordered_set<std::string> AllKeywords() {
  std::unordered_set<std::string> words;
  for (const CommandDoc& d : AllCommandDocs()) {
    CollectTokens(d.args, d.num_args, &words);
    std::string n = d.name;
    size_t bar = n.find('|');
    if (bar != std::string::npos) n = n.substr(bar + 1);
    for (char& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    words.insert(n);  // subcommand names too (OBJECT ENCODING)
  }
  return words;
}

}  // namespace reel::replay
