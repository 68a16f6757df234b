#!/usr/bin/env python3
"""Generates command_docs_table.cc from Redis 7.0's command metadata.

Redis 7.0 describes every command in src/commands/*.json (summary, since,
complexity, flags, ACL categories, tips, key specs, history, arguments).
COMMAND, COMMAND INFO and COMMAND DOCS report exactly that metadata, and
clients (redis-cli's help and hints, cluster-aware clients) read it. This
script turns the JSON into a sorted, constant C++ table so reel reports the
same metadata without any runtime parsing.

Usage (from a Redis checkout at tag 7.0.15):
  git -C redis archive 7.0.15 src/commands | tar -x -C /tmp/redis-7.0.15
  python3 server/commands/command_docs_gen.py /tmp/redis-7.0.15/src/commands \
      > server/commands/command_docs_table.cc
  clang-format -i server/commands/command_docs_table.cc

Only the groups reel can serve are emitted (see GROUPS); add a group here
when reel gains its commands and regenerate.
"""
import glob
import json
import os
import sys

GROUPS = {"generic", "string", "list", "set", "sorted_set", "hash", "connection", "server",
          "transactions", "pubsub"}

# Output order and spelling of COMMAND's flags (server.c addReplyFlagsForCommand);
# hidden flags are omitted on purpose, as Redis does.
FLAG_ORDER = ["WRITE", "READONLY", "DENYOOM", "MODULE", "ADMIN", "PUBSUB", "NOSCRIPT", "BLOCKING",
              "LOADING", "STALE", "SKIP_MONITOR", "SKIP_SLOWLOG", "ASKING", "FAST", "NO_AUTH",
              "NO_MANDATORY_KEYS", "NO_ASYNC_LOADING", "NO_MULTI", "MOVABLE_KEYS", "ALLOW_BUSY"]
FLAG_NAME = {"MOVABLE_KEYS": "movablekeys"}

# ACL category output order (acl.c ACLCommandCategories).
ACL_ORDER = ["keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
             "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
             "dangerous", "connection", "transaction", "scripting"]

KEY_FLAG_ORDER = ["RO", "RW", "OW", "RM", "ACCESS", "UPDATE", "INSERT", "DELETE", "NOT_KEY",
                  "INCOMPLETE", "VARIABLE_FLAGS"]
KEY_FLAG_NAME = {"RO": "RO", "RW": "RW", "OW": "OW", "RM": "RM"}


def c_str(s):
    if s is None:
        return "nullptr"
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def acl_categories(cmd):
    """Explicit categories plus the implicit ones (server.c setImplicitACLCategories)."""
    cats = {c.lower() for c in cmd.get("acl_categories", [])}
    flags = set(cmd.get("command_flags", []))
    if "WRITE" in flags:
        cats.add("write")
    if "READONLY" in flags and "scripting" not in cats:
        cats.add("read")
    if "ADMIN" in flags:
        cats |= {"admin", "dangerous"}
    if "PUBSUB" in flags:
        cats.add("pubsub")
    if "FAST" in flags:
        cats.add("fast")
    if "BLOCKING" in flags:
        cats.add("blocking")
    if "fast" not in cats:
        cats.add("slow")
    return " ".join("@" + c for c in ACL_ORDER if c in cats)


def movable_keys(specs):
    """server.c populateCommandLegacyRangeSpec's movablekeys decision."""
    if not specs:
        return False
    def is_range(s):
        return "index" in s["begin_search"] and "range" in s["find_keys"]
    if len(specs) == 1 and is_range(specs[0]):
        return "INCOMPLETE" in specs[0]["flags"]
    movable = False
    prev_last = 0
    found = False
    for s in specs:
        if not is_range(s):
            movable = True
            continue
        pos = s["begin_search"]["index"]["pos"]
        rng = s["find_keys"]["range"]
        if rng["step"] != 1 or (prev_last and prev_last != pos - 1):
            movable = True
            continue
        if "INCOMPLETE" in s["flags"]:
            movable = True
        found = True
        last = rng["lastkey"]
        last_abs = last + pos if last >= 0 else last
        prev_last = max(prev_last & 0xffffffff, last_abs & 0xffffffff)
    return movable or not found


def command_flags(cmd):
    flags = set(cmd.get("command_flags", []))
    if movable_keys(cmd.get("key_specs", [])):
        flags.add("MOVABLE_KEYS")
    return " ".join(FLAG_NAME.get(f, f.lower()) for f in FLAG_ORDER if f in flags)


class Emitter:
    def __init__(self):
        self.out = []
        self.counter = 0

    def fresh(self, prefix):
        self.counter += 1
        return "k%s%d" % (prefix, self.counter)

    def key_specs(self, specs):
        if not specs:
            return "nullptr", 0
        name = self.fresh("Keys")
        rows = []
        for s in specs:
            flags = " ".join(KEY_FLAG_NAME.get(f, f.lower()) for f in KEY_FLAG_ORDER
                             if f in s["flags"])
            bs = s["begin_search"]
            if "index" in bs:
                begin = 'KeySpecDoc::kIndex, %d, nullptr' % bs["index"]["pos"]
            elif "keyword" in bs:
                begin = 'KeySpecDoc::kKeyword, %d, %s' % (bs["keyword"]["startfrom"],
                                                        c_str(bs["keyword"]["keyword"]))
            else:
                begin = 'KeySpecDoc::kUnknownBegin, 0, nullptr'
            fk = s["find_keys"]
            if "range" in fk:
                r = fk["range"]
                find = 'KeySpecDoc::kRange, %d, %d, %d' % (r["lastkey"], r["step"], r["limit"])
            elif "keynum" in fk:
                k = fk["keynum"]
                find = 'KeySpecDoc::kKeynum, %d, %d, %d' % (k["keynumidx"], k["firstkey"],
                                                          k["step"])
            else:
                find = 'KeySpecDoc::kUnknownFind, 0, 0, 0'
            rows.append("    {%s, %s, %s, %s}," % (c_str(s.get("notes")), c_str(flags), begin,
                                                   find))
        self.out.append("const KeySpecDoc %s[] = {\n%s\n};" % (name, "\n".join(rows)))
        return name, len(specs)

    def history(self, hist):
        if not hist:
            return "nullptr", 0
        name = self.fresh("History")
        rows = ["    {%s, %s}," % (c_str(v), c_str(t)) for v, t in hist]
        self.out.append("const HistoryDoc %s[] = {\n%s\n};" % (name, "\n".join(rows)))
        return name, len(hist)

    def args(self, args):
        if not args:
            return "nullptr", 0
        subs = [self.args(a.get("arguments", [])) for a in args]
        name = self.fresh("Args")
        rows = []
        for a, (sub, nsub) in zip(args, subs):
            flags = " ".join(f for f in ("optional", "multiple", "multiple_token") if a.get(f))
            rows.append("    {%s, %s, %d, %s, %s, %s, %s, %s, %d}," % (
                c_str(a["name"]), c_str(a["type"]), a.get("key_spec_index", -1),
                c_str(a["token"].upper() if "token" in a else None), c_str(a.get("since")),
                c_str(a.get("deprecated_since")),
                c_str(flags), sub, nsub))
        self.out.append("const ArgDoc %s[] = {\n%s\n};" % (name, "\n".join(rows)))
        return name, len(args)


def main():
    src = sys.argv[1]
    commands = []
    for path in sorted(glob.glob(os.path.join(src, "*.json"))):
        with open(path) as f:
            for name, cmd in json.load(f).items():
                if cmd["group"] not in GROUPS:
                    continue
                if "ONLY_SENTINEL" in cmd.get("command_flags", []):
                    continue
                full = name.lower()
                if "container" in cmd:
                    full = cmd["container"].lower() + "|" + full
                commands.append((full, cmd))
    commands.sort(key=lambda x: x[0])
    e = Emitter()
    rows = []
    for full, cmd in commands:
        ks, nks = e.key_specs(cmd.get("key_specs", []))
        hist, nhist = e.history(cmd.get("history", []))
        args, nargs = e.args(cmd.get("arguments", []))
        doc_flags = " ".join(f.lower() for f in ("DEPRECATED", "SYSCMD")
                             if f in cmd.get("doc_flags", []))
        tips = " ".join(t.lower() for t in cmd.get("command_tips", []))
        rows.append("    {%s, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %d, %s, %d, %s, %d}," % (
            c_str(full), cmd["arity"], c_str(cmd["summary"]), c_str(cmd["since"]),
            c_str(cmd["group"].replace("_", "-")), c_str(cmd.get("complexity")),
            c_str(command_flags(cmd)), c_str(acl_categories(cmd)), c_str(tips),
            c_str(doc_flags), c_str(cmd.get("deprecated_since")), c_str(cmd.get("replaced_by")),
            ks, nks, hist, nhist, args, nargs))
    print("// GENERATED by command_docs_gen.py from Redis 7.0.15's src/commands/*.json.")
    print("// Do not edit by hand: change the generator and regenerate.")
    print("// This is Redis's command metadata (summaries, arguments, key specs), not")
    print("// code: Copyright (c) Redis Ltd., BSD-3-Clause. reel reports it verbatim so")
    print("// COMMAND DOCS/INFO answer clients exactly as Redis 7.0 does.")
    print('#include "server/commands/command_docs.h"')
    print()
    print("namespace reel {")
    print()
    print("namespace {")
    print()
    print("\n".join(e.out))
    print()
    print("const CommandDoc kDocs[] = {")
    print("\n".join(rows))
    print("};")
    print()
    print("}  // namespace")
    print()
    print("std::span<const CommandDoc> AllCommandDocs() { return kDocs; }")
    print()
    print("}  // namespace reel")


if __name__ == "__main__":
    main()
