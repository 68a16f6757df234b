#!/usr/bin/python3
"""Differential test: the same command lines to Debian's redis-server (Redis
7.0) and to reel-server, each freshly started, replies compared byte for
byte. Every mismatch is reported with the command and both replies.

A line may start with a comparison mode for replies that are legitimately
non-deterministic:
  sorted|  array replies compared as sorted multisets (set members, KEYS)
  shape|   only the reply type (and array length) must match
  scan|    a SCAN-family reply: cursor must be "0" on both (COUNT is large
           enough for one pass) and the elements equal as sorted multisets
  pairs|   a field/value array (HSCAN, ZSCAN) compared as sorted pairs
  cmdinfo| COMMAND INFO: name, arity, flags, first/last key and step only
Commands that are entirely non-deterministic (RANDOMKEY on a big db, SPOP
and SRANDMEMBER on many members, TIME, INFO, CLIENT LIST, COMMAND) are only
used where their reply is forced (one member) or compared by shape.

Before the reel run, the list is also replayed on a second fresh
redis-server: a line whose reply differs between two Redis instances is a
bug in this list, reported as such.

A structural phase compares what cannot be compared byte for byte: INFO
section and field names (in order), CLIENT LIST/INFO field names, and the
COMMAND INFO entry (arity, flags, key positions, ACL categories, tips, key
specs, subcommands) of every command reel implements.

A randomized phase then sends a seeded stream of commands to a fresh pair
of servers. Each family works on two keys of its own, with one key in ten
drawn from all families, so both success paths and type clashes
(WRONGTYPE, RENAME across types) are hit. A command reel does not know is
skipped on both sides (and listed), so one missing command cannot make the
two keyspaces drift apart; the fixed list already reports it. Only
deterministic commands and long TTLs are generated, and TTL replies may
differ by 2 s. REEL_DIFF_SEED picks the seed (default 1); the command count
(5000) scales with REEL_TEST_SCALE.
"""

import os
import random
import shlex

import harness
from harness import RespConnection, parse_resp

COMMANDS = r"""
# ---- connection / fresh-db behaviour
RANDOMKEY
DBSIZE
PING
PING hello
PING a b
ECHO "x y"
ECHO
SELECT 0
SELECT 16
SELECT abc
HELLO 4
AUTH foo
CLIENT SETNAME conn1
CLIENT GETNAME
CLIENT SETNAME "a b"
CLIENT NOSUCH
shape|CLIENT ID
nosuchcommand a b
GET
# ---- strings
SET k v
GET k
GET nokey
SET k v EX 0
SET k v EX abc
SET k v PX 100 EX 100
SET k v KEEPTTL EX 10
SET k v NX
SET k2 v NX
SET k3 v XX
GET k3
SET k v2 GET
SET k3 v GET
APPEND k xyz
APPEND newk abc
STRLEN k
STRLEN nokey
GETRANGE k 0 -1
GETRANGE k -2 -1
GETRANGE k 5 1
GETRANGE k 0 abc
GETRANGE nokey 0 -1
SETRANGE k 1 ZZ
SETRANGE k -1 x
SETRANGE k2 6 x
GET k2
SETRANGE nokey2 0 ""
EXISTS nokey2
INCR i
INCR i
INCRBY i 10
INCRBY i abc
DECR i
DECRBY i -5
INCR k
SET big 9223372036854775807
INCR big
DECRBY i -9223372036854775808
SET num 007
INCR num
SET sp " 1"
INCR sp
SET negz -0
INCR negz
INCRBYFLOAT f 1.1
INCRBYFLOAT f 2e2
INCRBYFLOAT f abc
INCRBYFLOAT f inf
GET f
SET f 5.0e3
INCRBYFLOAT f 0
MSET a 1 b 2
MSET a
MSET a 1 b
MGET a b nokey
MSETNX a 1 c 3
MSETNX c 3 d 4
GETSET a 11
GETDEL a
GETDEL a
GETEX b EX 100
TTL b
GETEX b PERSIST
TTL b
GETEX b EX 1 PX 1
SETNX n1 v
SETNX n1 v
SETEX se 100 v
TTL se
SETEX se -1 v
SETEX se abc v
PSETEX pse 100000 v
TTL pse
SET bin "a\x00b\r\nc"
GET bin
STRLEN bin
# ---- keys
EXISTS k nokey k
DEL k nokey
DEL
TYPE k2
TYPE nokey
RENAME k2 k2new
RENAME nokey x
RENAME k2new k2new
RENAMENX k2new c
RENAMENX k2new k2
EXPIRE n1 100
EXPIRE n1 100 NX
EXPIRE n1 200 GT
EXPIRE n1 50 LT
EXPIRE n1 10 NX XX
EXPIRE n1 abc
TTL n1
PEXPIRE n1 100000
shape|PTTL n1
PTTL nokey
PERSIST n1
PERSIST n1
TTL n1
EXPIRE n1 -1
EXISTS n1
SET x 1
EXPIREAT x 1
EXISTS x
SET hello 1
SET hallo 1
SET hxllo 1
sorted|KEYS h?llo
sorted|KEYS h[ae]llo
sorted|KEYS h[^e]llo
KEYS nomatch*
sorted|KEYS *
scan|SCAN 0 MATCH h*llo COUNT 1000
scan|SCAN 0 COUNT 1000 TYPE string
SCAN abc
TOUCH hello nokey
UNLINK hello hallo
DBSIZE
# ---- lists
RPUSH L a b c
LPUSH L x y
LRANGE L 0 -1
LRANGE L -100 100
LRANGE L 2 1
LRANGE L a b
LLEN L
LLEN nolist
LINDEX L 0
LINDEX L -1
LINDEX L 99
LINDEX L x
LSET L 0 Y
LSET L 99 x
LSET nolist 0 x
LINSERT L BEFORE a A
LINSERT L AFTER nope z
LINSERT L MIDDLE a z
LINSERT nolist BEFORE a b
RPUSH L a c a
LREM L 1 a
LREM L -1 c
LRANGE L 0 -1
LPOS L c
LPOS L a RANK -1
LPOS L nope
LPOS L a COUNT 0
LPOS L a RANK 0
LTRIM L 1 -1
LPOP L
RPOP L
LPOP L 0
LPOP nolist 2
LPOP L -1
RPOP L 2
RPOPLPUSH L L2
LMOVE L L2 RIGHT LEFT
LMOVE L L2 UP DOWN
LPUSHX nolist a
RPUSHX L2 z
LRANGE L2 0 -1
# No BLPOP (or any blocking command): reel deliberately does not support
# blocking commands; docs/server.md documents this.
TYPE L2
LPUSH k2new x
RPUSH L
# ---- hashes
HSET H f1 v1 f2 v2
HSET H f1
HSET H f1 v1 f2
HGET H f1
HGET H nope
HMSET H f3 v3
HMGET H f1 nope f3
HGETALL H
HKEYS H
HVALS H
HLEN H
HEXISTS H f1
HEXISTS H nope
HDEL H f2 nope
HDEL H
HGETALL H
HSET H f2 again
HGETALL H
HINCRBY H n 5
HINCRBY H n abc
HINCRBY H f1 1
HINCRBYFLOAT H fl 1.5
HINCRBYFLOAT H fl abc
HINCRBYFLOAT H f1 1
HSETNX H f1 x
HSETNX H f9 x
HSTRLEN H f1
HSTRLEN H nope
HRANDFIELD H 0
HGETALL nohash
HGET k2new f
pairs|HSCAN H 0 COUNT 1000
HSET one only v
HRANDFIELD one
HRANDFIELD one -2 WITHVALUES
# ---- sets
SADD S a b c
SADD S a
SADD S
SCARD S
SCARD noset
SISMEMBER S a
SISMEMBER S z
SMISMEMBER S a z
sorted|SMEMBERS S
SREM S a z
SADD T b x
sorted|SINTER S T
SINTERCARD 2 S T
SINTERCARD 0 S
sorted|SUNION S T
sorted|SDIFF S T
SINTER S noset
SINTERSTORE D S T
SUNIONSTORE D2 S T
SDIFFSTORE D3 S T
sorted|SMEMBERS D2
SMOVE S T b
SMOVE S T nope
SADD one1 m
SPOP one1
EXISTS one1
SADD one1 m
SRANDMEMBER one1
SRANDMEMBER one1 -3
SRANDMEMBER one1 0
SRANDMEMBER noset
SPOP noset
SPOP S 0
SADD I 3 1 2
sorted|SMEMBERS I
SISMEMBER I 2
SADD k2new x
sorted|SSCAN I 0 COUNT 1000
# ---- sorted sets
ZADD Z 1 a 2 b 3 c
ZADD Z
ZADD Z 1
ZADD Z NX XX 1 a
ZADD Z GT LT 1 a
ZADD Z INCR 1 a 2 b
ZADD Z nan a
ZADD Z CH 5 a 2 b
ZADD Z INCR 1.5 c
ZADD Z XX INCR 1 nope
ZSCORE Z a
ZSCORE Z nope
ZMSCORE Z a nope
ZINCRBY Z 2 b
ZINCRBY Z abc b
ZCARD Z
ZCARD nozset
ZCOUNT Z -inf +inf
ZCOUNT Z (1 4.5
ZCOUNT Z a b
ZRANK Z a
ZREVRANK Z a
ZRANK Z nope
ZRANGE Z 0 -1
ZRANGE Z 0 -1 WITHSCORES
ZRANGE Z 0 1 REV
ZRANGE Z (1 5 BYSCORE
ZRANGE Z 1 5 BYSCORE LIMIT 1 1
ZRANGE Z 0 -1 LIMIT 1 1
ZRANGEBYSCORE Z -inf +inf WITHSCORES LIMIT 0 2
ZREVRANGEBYSCORE Z +inf -inf
ZREVRANGE Z 0 0 WITHSCORES
ZADD LX 0 a 0 b 0 c 0 d 0 e
ZRANGEBYLEX LX - +
ZRANGEBYLEX LX [b (d
ZRANGEBYLEX LX b d
ZLEXCOUNT LX [b (d
ZREMRANGEBYLEX LX - [b
ZREMRANGEBYRANK LX 0 0
ZRANGE LX 0 -1
ZREM Z a nope
ZADD Z 7 q 8 r
ZREMRANGEBYSCORE Z 8 +inf
ZPOPMIN Z
ZPOPMAX Z 2
ZPOPMIN nozset
ZADD F 0.1 a 1e20 b 3.0 c -0 d 1.5e-7 e 123456789012345678 f
ZRANGE F 0 -1 WITHSCORES
ZINCRBY F +inf a
ZINCRBY F -inf a
ZSCORE F a
ZADD U1 1 a 2 b
ZADD U2 10 b 20 c
ZUNIONSTORE UD 2 U1 U2 WEIGHTS 1 2
ZRANGE UD 0 -1 WITHSCORES
ZINTERSTORE ID 2 U1 U2 AGGREGATE MAX
ZRANGE ID 0 -1 WITHSCORES
ZUNIONSTORE UD 0 U1
ZRANGESTORE RS U1 0 0
ZRANGE RS 0 -1 WITHSCORES
ZADD k2new 1 a
# ---- server
DBSIZE
CONFIG GET maxclients
CONFIG SET maxclients abc
CONFIG GET nosuchparam
CONFIG RESETSTAT
CONFIG
CONFIG FOO
shape|COMMAND COUNT
cmdinfo|COMMAND INFO get set ping nosuchcmd
SLOWLOG RESET
SLOWLOG GET
SLOWLOG LEN
FLUSHDB
DBSIZE
KEYS *
"""


def parse_lines(text):
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        mode = "exact"
        head = line.split("|", 1)[0]
        if "|" in line and head in ("sorted", "shape", "scan", "pairs", "cmdinfo"):
            mode, line = head, line.split("|", 1)[1]
        args = [a.encode("latin-1").decode("unicode_escape").encode("latin-1")
                for a in shlex.split(line)]
        out.append((line, mode, args))
    return out


def normalize(mode, reply):
    """The part of a reply that must match for mode."""
    if mode == "exact":
        return reply
    try:
        v = parse_resp(reply)
    except Exception:
        return reply
    if not isinstance(v, list):
        return reply if mode != "shape" else reply[:1]
    if mode == "sorted":
        return sorted(v, key=repr)
    if mode == "shape":
        return ("array", len(v))
    if mode == "scan":
        if len(v) == 2 and isinstance(v[1], list):
            return (v[0], sorted(v[1], key=repr))
        return v
    if mode == "pairs":
        if len(v) == 2 and isinstance(v[1], list):
            items = v[1]
            return (v[0], sorted(zip(items[::2], items[1::2])))
        return v
    if mode == "cmdinfo":
        return [e[:6] if isinstance(e, list) else e for e in v]
    return reply


def same(mode, want, got):
    """Whether two replies match under mode."""
    if mode == "ttl":  # seconds left: equal within 2 s (slow builds drift)
        try:
            w, g = parse_resp(want), parse_resp(got)
        except Exception:
            return want == got
        if isinstance(w, int) and isinstance(g, int) and w > 0 and g > 0:
            return abs(w - g) <= 2
        return want == got
    return normalize(mode, want) == normalize(mode, got)


def replay(port, lines):
    """Sends each line on one connection; returns the raw replies."""
    replies = []
    c = RespConnection(port)
    try:
        for _, _, args in lines:
            try:
                replies.append(c.call(*args))
            except (ConnectionError, OSError) as e:
                replies.append(f"<connection lost: {e}>".encode())
                c.close()
                c = RespConnection(port)
    finally:
        c.close()
    return replies


# ---- randomized phase

FUZZ_MEMBERS = ["a", "b", "c", "1", "2", "-1", "3.5", "", "10"]
FUZZ_NUMBERS = ["0", "1", "-1", "2", "5", "-5", "100", "abc", "3.5", "9223372036854775807",
                "-9223372036854775808", "1e3", "+inf", "-inf", "(1", "[a", "-", "+"]


# Each family mostly works on its own two keys, so most commands take their
# success paths; one key in ten is drawn from all of them, so type clashes
# (WRONGTYPE, RENAME across types) still happen.
FUZZ_KEYS = {"string": ["s0", "s1"], "list": ["l0", "l1"], "hash": ["h0", "h1"],
             "set": ["S0", "S1"], "zset": ["z0", "z1"]}
FUZZ_ALL_KEYS = sorted(k for keys in FUZZ_KEYS.values() for k in keys)
STRING_COMMANDS = {"SET", "SETNX", "SETRANGE", "STRLEN"}


def _family(name):
    if name[0] == "H":
        return "hash"
    if name[0] == "Z":
        return "zset"
    if name[0] == "S" and name not in STRING_COMMANDS:
        return "set"
    if name[0] == "L" or name in ("RPUSH", "RPOP", "RPOPLPUSH"):
        return "list"
    return "string"


def _fuzz_generators():
    family = ["string"]  # set by fuzz_stream before each generator call

    def k(r):
        if r.random() < 0.1:
            return r.choice(FUZZ_ALL_KEYS)
        return r.choice(FUZZ_KEYS[family[0]])

    def m(r):
        return r.choice(FUZZ_MEMBERS)

    def n(r):
        return r.choice(FUZZ_NUMBERS)

    def ms(r):
        return [m(r) for _ in range(r.randint(1, 3))]

    def end(r):
        return r.choice(["LEFT", "RIGHT"])

    # name -> (mode, argument generator). Short TTLs are never generated:
    # expiry would then depend on timing, not on the command stream.
    return family, {
        "SET": ("exact", lambda r: [k(r), m(r)] + r.choice(
            [[], ["NX"], ["XX"], ["GET"], ["EX", "100"], ["KEEPTTL"], ["PX", "100000"]])),
        "GET": ("exact", lambda r: [k(r)]),
        "APPEND": ("exact", lambda r: [k(r), m(r)]),
        "STRLEN": ("exact", lambda r: [k(r)]),
        "INCR": ("exact", lambda r: [k(r)]),
        "INCRBY": ("exact", lambda r: [k(r), n(r)]),
        "DECRBY": ("exact", lambda r: [k(r), n(r)]),
        "INCRBYFLOAT": ("exact", lambda r: [k(r), n(r)]),
        "GETRANGE": ("exact", lambda r: [k(r), n(r), n(r)]),
        "SETRANGE": ("exact", lambda r: [k(r), r.choice(["0", "1", "3", "-1"]), m(r)]),
        "MSET": ("exact", lambda r: [k(r), m(r), k(r), m(r)]),
        "MGET": ("exact", lambda r: [k(r), k(r)]),
        "GETDEL": ("exact", lambda r: [k(r)]),
        "GETEX": ("exact", lambda r: [k(r)] + r.choice([[], ["PERSIST"], ["EX", "200"]])),
        "SETNX": ("exact", lambda r: [k(r), m(r)]),
        "MSETNX": ("exact", lambda r: [k(r), m(r), k(r), m(r)]),
        "DEL": ("exact", lambda r: [k(r), k(r)]),
        "EXISTS": ("exact", lambda r: [k(r), k(r)]),
        "TYPE": ("exact", lambda r: [k(r)]),
        # No GT/LT: with equal durations they compare expiry times that
        # differ only by the milliseconds between two commands.
        "EXPIRE": ("exact", lambda r: [k(r), r.choice(["100", "-1", "abc", "200"])] + r.choice(
            [[], ["NX"], ["XX"]])),
        "TTL": ("ttl", lambda r: [k(r)]),
        "PERSIST": ("exact", lambda r: [k(r)]),
        "RENAME": ("exact", lambda r: [k(r), k(r)]),
        "RENAMENX": ("exact", lambda r: [k(r), k(r)]),
        "DBSIZE": ("exact", lambda r: []),
        "COPY": ("exact", lambda r: [k(r), k(r)] + r.choice([[], ["REPLACE"]])),
        "LPUSH": ("exact", lambda r: [k(r)] + ms(r)),
        "RPUSH": ("exact", lambda r: [k(r)] + ms(r)),
        "LPUSHX": ("exact", lambda r: [k(r)] + ms(r)),
        "LPOP": ("exact", lambda r: [k(r)] + r.choice([[], [n(r)]])),
        "RPOP": ("exact", lambda r: [k(r)] + r.choice([[], [n(r)]])),
        "LRANGE": ("exact", lambda r: [k(r), n(r), n(r)]),
        "LINDEX": ("exact", lambda r: [k(r), n(r)]),
        "LLEN": ("exact", lambda r: [k(r)]),
        "LSET": ("exact", lambda r: [k(r), n(r), m(r)]),
        "LREM": ("exact", lambda r: [k(r), n(r), m(r)]),
        "LTRIM": ("exact", lambda r: [k(r), n(r), n(r)]),
        "LINSERT": ("exact", lambda r: [k(r), r.choice(["BEFORE", "AFTER"]), m(r), m(r)]),
        "LPOS": ("exact", lambda r: [k(r), m(r)] + r.choice(
            [[], ["RANK", n(r)], ["COUNT", n(r)], ["MAXLEN", n(r)]])),
        "LMOVE": ("exact", lambda r: [k(r), k(r), end(r), end(r)]),
        "RPOPLPUSH": ("exact", lambda r: [k(r), k(r)]),
        "HSET": ("exact", lambda r: [k(r), m(r), m(r)]),
        "HGET": ("exact", lambda r: [k(r), m(r)]),
        "HDEL": ("exact", lambda r: [k(r)] + ms(r)),
        "HGETALL": ("exact", lambda r: [k(r)]),
        "HKEYS": ("exact", lambda r: [k(r)]),
        "HVALS": ("exact", lambda r: [k(r)]),
        "HLEN": ("exact", lambda r: [k(r)]),
        "HINCRBY": ("exact", lambda r: [k(r), m(r), n(r)]),
        "HINCRBYFLOAT": ("exact", lambda r: [k(r), m(r), n(r)]),
        "HMGET": ("exact", lambda r: [k(r)] + ms(r)),
        "HSETNX": ("exact", lambda r: [k(r), m(r), m(r)]),
        "HEXISTS": ("exact", lambda r: [k(r), m(r)]),
        "HSTRLEN": ("exact", lambda r: [k(r), m(r)]),
        "SADD": ("exact", lambda r: [k(r)] + ms(r)),
        "SREM": ("exact", lambda r: [k(r)] + ms(r)),
        "SCARD": ("exact", lambda r: [k(r)]),
        "SISMEMBER": ("exact", lambda r: [k(r), m(r)]),
        "SMISMEMBER": ("exact", lambda r: [k(r)] + ms(r)),
        "SMOVE": ("exact", lambda r: [k(r), k(r), m(r)]),
        "SMEMBERS": ("sorted", lambda r: [k(r)]),
        "SINTER": ("sorted", lambda r: [k(r), k(r)]),
        "SUNION": ("sorted", lambda r: [k(r), k(r)]),
        "SDIFF": ("sorted", lambda r: [k(r), k(r)]),
        "SINTERSTORE": ("exact", lambda r: [k(r), k(r), k(r)]),
        "SUNIONSTORE": ("exact", lambda r: [k(r), k(r), k(r)]),
        "SDIFFSTORE": ("exact", lambda r: [k(r), k(r), k(r)]),
        "SINTERCARD": ("exact", lambda r: ["2", k(r), k(r)]),
        "ZADD": ("exact", lambda r: [k(r)] + r.choice(
            [[], ["NX"], ["XX"], ["GT"], ["LT"], ["CH"], ["INCR"]]) + [n(r), m(r)]),
        "ZREM": ("exact", lambda r: [k(r)] + ms(r)),
        "ZSCORE": ("exact", lambda r: [k(r), m(r)]),
        "ZINCRBY": ("exact", lambda r: [k(r), n(r), m(r)]),
        "ZCARD": ("exact", lambda r: [k(r)]),
        "ZCOUNT": ("exact", lambda r: [k(r), n(r), n(r)]),
        "ZRANK": ("exact", lambda r: [k(r), m(r)]),
        "ZREVRANK": ("exact", lambda r: [k(r), m(r)]),
        "ZRANGE": ("exact", lambda r: [k(r), n(r), n(r)] + r.choice(
            [[], ["WITHSCORES"], ["REV"], ["BYSCORE"], ["BYLEX"],
             ["BYSCORE", "LIMIT", n(r), n(r)]])),
        "ZRANGEBYSCORE": ("exact", lambda r: [k(r), n(r), n(r)] + r.choice(
            [[], ["WITHSCORES"], ["LIMIT", n(r), n(r)]])),
        "ZREVRANGEBYSCORE": ("exact", lambda r: [k(r), n(r), n(r)]),
        "ZRANGEBYLEX": ("exact", lambda r: [k(r), n(r), n(r)]),
        "ZLEXCOUNT": ("exact", lambda r: [k(r), n(r), n(r)]),
        "ZPOPMIN": ("exact", lambda r: [k(r)] + r.choice([[], [n(r)]])),
        "ZPOPMAX": ("exact", lambda r: [k(r)] + r.choice([[], [n(r)]])),
        "ZMSCORE": ("exact", lambda r: [k(r)] + ms(r)),
        "ZREMRANGEBYSCORE": ("exact", lambda r: [k(r), n(r), n(r)]),
        "ZREMRANGEBYRANK": ("exact", lambda r: [k(r), n(r), n(r)]),
        "ZUNIONSTORE": ("exact", lambda r: [k(r), "2", k(r), k(r)]),
        "ZINTERSTORE": ("exact", lambda r: [k(r), "2", k(r), k(r)] + r.choice(
            [[], ["AGGREGATE", "MAX"], ["WEIGHTS", n(r), n(r)]])),
    }


def randomized_phase(results, server_path, seed, count):
    family, gens = _fuzz_generators()
    names = sorted(gens)
    rng = random.Random(seed)
    stream = []
    for _ in range(count):
        name = rng.choice(names)
        family[0] = _family(name)
        stream.append((gens[name][0], [name] + gens[name][1](rng)))
    redis = harness.start_redis()
    reel = harness.start_reel(server_path)
    missing, mismatches, history = set(), [], []
    with RespConnection(redis.port) as cd, RespConnection(reel.port) as cr:
        for i, (mode, argv) in enumerate(stream):
            g = cr.call(*argv)
            if g.startswith(b"-ERR unknown command"):
                missing.add(argv[0])
                continue
            w = cd.call(*argv)
            history.append((i, argv, w))
            if not same(mode, w, g):
                mismatches.append((i, argv, w, g, history[-8:]))
    redis.stop()
    print(f"randomized phase (seed {seed}): {count} commands, "
          f"{len(mismatches)} mismatches; skipped, unknown to reel: "
          f"{', '.join(sorted(missing)) or 'none'}", flush=True)
    for i, argv, w, g, recent in mismatches[:10]:
        print(f"MISMATCH (random #{i}) {' '.join(map(repr, argv))}\n    redis: {w!r}\n"
              f"    reel:  {g!r}\n    preceding commands:", flush=True)
        for j, a, rw in recent[:-1]:
            print(f"      #{j} {' '.join(map(repr, a))} -> {rw[:60]!r}")
    if len(mismatches) > 10:
        print(f"... {len(mismatches) - 10} more (later ones may follow from the first)")
    results.eq(f"randomized phase (seed {seed}, {count} commands): mismatches",
               [(i, a) for i, a, *_ in mismatches[:10]], [])
    results.check_stopped_cleanly(reel)


# ---- structural phase: replies whose values differ by nature

def info_layout(text):
    """[(section, [field names in order])] of an INFO reply."""
    layout = []
    for line in text.split("\r\n"):
        if line.startswith("# "):
            layout.append((line[2:], []))
        elif ":" in line and layout:
            layout[-1][1].append(line.split(":", 1)[0])
    return layout


def client_fields(line):
    return [kv.split("=", 1)[0] for kv in line.split(" ") if "=" in kv]


def structural_phase(results, server_path):
    """INFO sections and field names, CLIENT LIST/INFO field names, and the
    COMMAND INFO entry of every command reel implements."""
    redis = harness.start_redis()
    reel = harness.start_reel(server_path)
    with RespConnection(redis.port) as cd, RespConnection(reel.port) as cr:
        for c in (cd, cr):
            c.call("CLIENT", "SETNAME", "structure")
            c.call("SET", "k", "v", "EX", "100")
        for section in ([], ["everything"]):
            want = info_layout(parse_resp(cd.call("INFO", *section)).decode())
            got_reply = cr.call("INFO", *section)
            name = f"INFO {' '.join(section) or '(default)'}"
            if not results.ok(f"structure: {name} is a bulk reply", got_reply[:1] == b"$",
                              repr(got_reply[:200])):
                continue
            got = info_layout(parse_resp(got_reply).decode())
            if section:  # commandstats/latencystats list the commands each server ran
                want = [s for s in want if s[0] not in ("Commandstats", "Latencystats")]
                got = [s for s in got if s[0] not in ("Commandstats", "Latencystats")]
            results.eq(f"structure: {name}: section names", [s for s, _ in got],
                       [s for s, _ in want])
            wmap = dict(want)
            for sec, fields in got:
                if sec in wmap:
                    results.eq(f"structure: {name}: fields of # {sec}", fields, wmap[sec])
        for sub in ("LIST", "INFO"):
            w = parse_resp(cd.call("CLIENT", sub))
            g = parse_resp(cr.call("CLIENT", sub))
            results.eq(f"structure: CLIENT {sub} field names",
                       client_fields(g.decode()) if isinstance(g, bytes) else g,
                       client_fields(w.decode()))
        listing = parse_resp(cr.call("COMMAND"))
        names = sorted(e[0].decode() for e in listing) if isinstance(listing, list) else []
        results.ok("structure: COMMAND lists reel's commands", len(names) > 0, repr(listing)[:200])
        for n in names:
            w = parse_resp(cd.call("COMMAND", "INFO", n))[0]
            g = parse_resp(cr.call("COMMAND", "INFO", n))[0]
            if w is None:
                results.ok(f"structure: COMMAND INFO {n}: a Redis 7.0 command", False,
                           "redis-server does not know it")
                continue
            # Name, arity, flags, keys, ACL categories, tips, key specs; the
            # subcommand list is in Redis's (per-process seeded) dict order,
            # so each of reel's subcommands is compared by name.
            results.eq(f"structure: COMMAND INFO {n}", g[:9], w[:9])
            wsubs = {s[0]: s for s in w[9]}
            for s in g[9] if len(g) > 9 else []:
                results.eq(f"structure: COMMAND INFO {n}: subcommand {s[0].decode()}", s,
                           wsubs.get(s[0]))
    redis.stop()
    results.check_stopped_cleanly(reel)


def main(args, results):
    lines = parse_lines(COMMANDS)
    print(f"{len(lines)} command lines", flush=True)

    # Oracle stability: two fresh Redis instances must agree on every line.
    redis_a = harness.start_redis()
    want = replay(redis_a.port, lines)
    redis_a.stop()
    redis_b = harness.start_redis()
    again = replay(redis_b.port, lines)
    redis_b.stop()
    for (line, mode, _), w, a in zip(lines, want, again):
        results.ok(f"list self-check: '{line}' is deterministic on Redis",
                   same(mode, w, a), f"{w!r} vs {a!r}")

    reel = harness.start_reel(args.server)
    got = replay(reel.port, lines)
    mismatches = []
    for (line, mode, _), w, g in zip(lines, want, got):
        match = same(mode, w, g)
        results.passed += match
        if not match:
            results.failed += 1
            mismatches.append(line)
            results.failures.append(f"differential: {line}")
            print(f"MISMATCH {line}" + (f"   [{mode}]" if mode != "exact" else "") +
                  f"\n    redis: {w!r}\n    reel:  {g!r}", flush=True)
    print(f"{len(lines) - len(mismatches)}/{len(lines)} command lines match redis-server",
          flush=True)
    results.check_stopped_cleanly(reel)

    structural_phase(results, args.server)

    seed = int(os.environ.get("REEL_DIFF_SEED", "1"))
    randomized_phase(results, args.server, seed, max(500, int(5000 * harness.test_scale())))


if __name__ == "__main__":
    harness.run_main(main, __doc__)
