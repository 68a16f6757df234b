#!/usr/bin/python3
"""redis-py (Debian's python3-redis 4.3.4) against reel-server.

Exercises the client library's own parsing of every reply family: strings,
keys with short TTLs (lazy and active expiry), lists, hashes, sets, sorted
sets, non-transactional pipelines, CLIENT SETNAME/LIST, INFO, CONFIG GET,
DBSIZE, FLUSHDB, SCAN iteration, big values and concurrent clients. Every
section runs on reel-server and then, unchanged, on Debian's redis-server,
so an expectation that is not real Redis 7.0 behaviour shows up as an
oracle failure.
"""

import threading
import time

import harness

try:
    import redis
except ImportError:  # run under /usr/bin/python3, which has python3-redis
    print("FATAL: the redis module is missing: run with /usr/bin/python3 "
          "(apt-get install python3-redis)")
    raise


class Section:
    """Checks named '<server>: <section>: <what>'."""

    def __init__(self, results, label, section):
        self.results, self.prefix = results, f"{label}: {section}"

    def eq(self, what, got, want):
        return self.results.eq(f"{self.prefix}: {what}", got, want)

    def ok(self, what, cond, detail=""):
        return self.results.ok(f"{self.prefix}: {what}", cond, detail)

    def raises(self, what, fn, message):
        try:
            got = fn()
        except redis.ResponseError as e:
            return self.eq(what, str(e), message)
        return self.ok(what, False, f"no error; returned {got!r}, wanted error {message!r}")


WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def strings(r, s):
    s.eq("set", r.set("s1", "hello"), True)
    s.eq("get", r.get("s1"), "hello")
    s.eq("get missing", r.get("nope"), None)
    s.eq("set nx on existing", r.set("s1", "x", nx=True), None)
    s.eq("set xx get", r.set("s1", "world", xx=True, get=True), "hello")
    s.eq("append", r.append("s1", "!"), 6)
    s.eq("getrange", r.getrange("s1", 1, 3), "orl")
    s.eq("strlen", r.strlen("s1"), 6)
    s.eq("mset", r.mset({"m1": "1", "m2": "2"}), True)
    s.eq("mget", r.mget(["m1", "nope", "m2"]), ["1", None, "2"])
    s.eq("incr", r.incr("m1"), 2)
    s.eq("incrby", r.incrby("m1", -5), -3)
    s.eq("decr", r.decr("ctr"), -1)
    s.eq("incrbyfloat", r.incrbyfloat("fl", 0.1), 0.1)
    s.eq("incrbyfloat again", r.incrbyfloat("fl", 0.2), 0.3)  # long double math, as Redis
    s.eq("get float text", r.get("fl"), "0.3")
    s.eq("setnx", r.setnx("s1", "z"), False)
    s.eq("getset", r.getset("m2", "20"), "2")
    s.eq("getdel", r.getdel("m2"), "20")
    s.raises("incr of a non-integer", lambda: r.incr("s1"),
             "value is not an integer or out of range")
    s.raises("incr overflow", lambda: (r.set("big", str(2**63 - 1)), r.incr("big")),
             "increment or decrement would overflow")
    big = "x" * (1 << 20) + "end"
    s.eq("set 1 MiB value", r.set("huge", big), True)
    s.ok("get 1 MiB value back intact", r.get("huge") == big)
    binary = bytes(range(256)) * 4
    rb = redis.Redis(connection_pool=r.connection_pool.__class__(
        **{**r.connection_pool.connection_kwargs, "decode_responses": False}))
    s.eq("binary-safe value", (rb.set(b"bin\x00key", binary), rb.get(b"bin\x00key")),
         (True, binary))
    rb.close()


def keys_and_expiry(r, s):
    r.set("k1", "v")
    s.eq("exists", r.exists("k1", "k1", "nope"), 2)
    s.eq("type string", r.type("k1"), "string")
    s.eq("type none", r.type("nope"), "none")
    s.eq("ttl without expiry", r.ttl("k1"), -1)
    s.eq("ttl of missing key", r.ttl("nope"), -2)
    s.eq("expire", r.expire("k1", 100), True)
    s.eq("ttl", r.ttl("k1"), 100)
    pttl = r.pttl("k1")
    s.ok("pttl in (99000, 100000]", 99000 < pttl <= 100000, f"pttl={pttl}")
    s.eq("persist", r.persist("k1"), True)
    s.eq("ttl after persist", r.ttl("k1"), -1)
    s.eq("rename", r.rename("k1", "k2"), True)
    s.eq("get after rename", r.get("k2"), "v")
    s.raises("rename missing", lambda: r.rename("nope", "x"), "no such key")
    s.eq("delete", r.delete("k2", "nope"), 1)
    # Lazy expiry: a 150 ms key is gone when read after 400 ms.
    s.eq("set px 150", r.set("short", "v", px=150), True)
    s.eq("short key readable at once", r.get("short"), "v")
    time.sleep(0.4)
    s.eq("short key gone after its TTL", r.get("short"), None)
    s.eq("exists after TTL", r.exists("short"), 0)
    # pexpire on an existing key, then a key set with ex.
    r.set("pe", "v")
    s.eq("pexpire", r.pexpire("pe", 200), True)
    r.set("ex1", "v", ex=1)
    ttl = r.ttl("ex1")
    s.ok("ttl of ex=1 is 0 or 1", ttl in (0, 1), f"ttl={ttl}")
    time.sleep(0.5)
    s.eq("pexpired key gone", r.get("pe"), None)
    # Active expiry: keys never touched again must disappear on their own
    # (the server's cron), so DBSIZE drops without any read of them.
    r.flushdb()
    for i in range(40):
        r.set(f"vol:{i}", "v", px=100)
    r.set("keep", "v")
    deadline = time.monotonic() + 6
    while r.dbsize() > 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    s.eq("active expiry removed untouched volatile keys", r.dbsize(), 1)
    s.eq("keys *", r.keys("*"), ["keep"])
    for i in range(30):
        r.set(f"scan:{i}", i)
    s.eq("scan_iter(match=) finds each key once",
         sorted(r.scan_iter(match="scan:*", count=7)), sorted(f"scan:{i}" for i in range(30)))
    s.eq("randomkey on a one-key db", (r.flushdb(), r.set("only", 1), r.randomkey())[2], "only")


def lists(r, s):
    s.eq("rpush", r.rpush("l", "a", "b", "c"), 3)
    s.eq("lpush", r.lpush("l", "z"), 4)
    s.eq("lrange", r.lrange("l", 0, -1), ["z", "a", "b", "c"])
    s.eq("lrange out of range", r.lrange("l", 10, 20), [])
    s.eq("llen", r.llen("l"), 4)
    s.eq("lindex", r.lindex("l", -1), "c")
    s.eq("lpop", r.lpop("l"), "z")
    s.eq("rpop count", r.rpop("l", 2), ["c", "b"])
    s.eq("lset", r.lset("l", 0, "A"), True)
    s.eq("linsert", r.linsert("l", "after", "A", "B"), 2)
    s.eq("rpush more", r.rpush("l", "x", "A", "x"), 5)
    s.eq("lrem", r.lrem("l", 0, "x"), 2)
    s.eq("ltrim", r.ltrim("l", 0, 1), True)
    s.eq("lrange after edits", r.lrange("l", 0, -1), ["A", "B"])
    s.eq("lpos", r.lpos("l", "B"), 1)
    s.eq("rpoplpush", r.rpoplpush("l", "l2"), "B")
    s.eq("lmove", r.lmove("l", "l2", "LEFT", "RIGHT"), "A")
    s.eq("emptied list is deleted", r.exists("l"), 0)
    s.eq("lrange of target", r.lrange("l2", 0, -1), ["B", "A"])
    s.eq("lpop of missing", r.lpop("l"), None)
    s.raises("lset out of range", lambda: r.lset("l2", 5, "x"), "index out of range")
    r.set("str", "v")
    s.raises("wrong type", lambda: r.lpush("str", "x"), WRONGTYPE)
    vals = [str(i) for i in range(1000)]
    r.rpush("long", *vals)
    s.eq("1000-element list round trip", r.lrange("long", 0, -1), vals)


def hashes(r, s):
    s.eq("hset mapping", r.hset("h", mapping={"f1": "v1", "f2": "v2", "f3": "v3"}), 3)
    s.eq("hset existing", r.hset("h", "f1", "V1"), 0)
    s.eq("hget", r.hget("h", "f1"), "V1")
    s.eq("hget missing field", r.hget("h", "nope"), None)
    s.eq("hmget", r.hmget("h", ["f2", "nope"]), ["v2", None])
    s.eq("hgetall", r.hgetall("h"), {"f1": "V1", "f2": "v2", "f3": "v3"})
    s.eq("hkeys", sorted(r.hkeys("h")), ["f1", "f2", "f3"])
    s.eq("hvals", sorted(r.hvals("h")), ["V1", "v2", "v3"])
    s.eq("hlen", r.hlen("h"), 3)
    s.eq("hexists", (r.hexists("h", "f1"), r.hexists("h", "zz")), (True, False))
    s.eq("hdel", r.hdel("h", "f2", "zz"), 1)
    s.eq("hincrby", r.hincrby("h", "n", 7), 7)
    s.eq("hincrbyfloat", r.hincrbyfloat("h", "x", 1.25), 1.25)
    s.eq("hsetnx", r.hsetnx("h", "f1", "no"), False)
    s.eq("hstrlen", r.hstrlen("h", "f3"), 2)
    s.raises("hincrby on a non-integer", lambda: r.hincrby("h", "f1", 1),
             "hash value is not an integer")
    s.eq("hgetall of missing", r.hgetall("nohash"), {})
    fields = {f"f{i}": str(i) for i in range(300)}
    r.hset("bigh", mapping=fields)
    s.eq("300-field hash via hscan_iter", dict(r.hscan_iter("bigh", count=50)), fields)


def sets(r, s):
    s.eq("sadd", r.sadd("s", "a", "b", "c", "a"), 3)
    s.eq("smembers", r.smembers("s"), {"a", "b", "c"})
    s.eq("sismember", (r.sismember("s", "a"), r.sismember("s", "z")), (True, False))
    s.eq("smismember", r.smismember("s", ["a", "z"]), [True, False])
    s.eq("scard", r.scard("s"), 3)
    s.eq("srem", r.srem("s", "c", "z"), 1)
    r.sadd("t", "b", "x")
    s.eq("sinter", r.sinter("s", "t"), {"b"})
    s.eq("sunion", r.sunion("s", "t"), {"a", "b", "x"})
    s.eq("sdiff", r.sdiff("s", "t"), {"a"})
    s.eq("sunionstore", r.sunionstore("u", "s", "t"), 3)
    s.eq("smove", r.smove("t", "s", "x"), True)
    popped = r.spop("u")
    s.ok("spop returns a member", popped in {"a", "b", "x"}, repr(popped))
    s.eq("spop removed it", r.scard("u"), 2)
    rnd = r.srandmember("s", 2)
    s.ok("srandmember 2 gives 2 distinct members",
         len(rnd) == 2 and len(set(rnd)) == 2 and set(rnd) <= {"a", "b", "x"}, repr(rnd))
    nums = [str(i) for i in range(200)]
    r.sadd("nums", *nums)
    s.eq("200-member set via sscan_iter", sorted(r.sscan_iter("nums", count=30), key=int), nums)
    s.eq("spop of missing", r.spop("noset"), None)


def zsets(r, s):
    s.eq("zadd", r.zadd("z", {"a": 1, "b": 2, "c": 3}), 3)
    s.eq("zrange withscores", r.zrange("z", 0, -1, withscores=True),
         [("a", 1.0), ("b", 2.0), ("c", 3.0)])
    s.eq("zscore", r.zscore("z", "b"), 2.0)
    s.eq("zincrby", r.zincrby("z", 2.5, "a"), 3.5)
    s.eq("zrank", r.zrank("z", "a"), 2)
    s.eq("zrevrank", r.zrevrank("z", "a"), 0)
    s.eq("zcard", r.zcard("z"), 3)
    s.eq("zcount", r.zcount("z", 2, "+inf"), 3)
    s.eq("zrangebyscore", r.zrangebyscore("z", "(2", 3.5), ["c", "a"])
    s.eq("zrevrange", r.zrevrange("z", 0, 1), ["a", "c"])
    s.eq("zadd gt ch", r.zadd("z", {"b": 10, "c": 1}, gt=True, ch=True), 1)
    s.eq("zadd xx incr", r.zadd("z", {"c": 1}, xx=True, incr=True), 4.0)
    s.eq("zadd nx on existing", r.zadd("z", {"c": 100}, nx=True), 0)
    s.eq("zrem", r.zrem("z", "a", "nope"), 1)
    s.eq("zpopmin", r.zpopmin("z"), [("c", 4.0)])
    s.eq("zpopmax", r.zpopmax("z"), [("b", 10.0)])
    s.eq("emptied zset is deleted", r.exists("z"), 0)
    r.zadd("lex", {"a": 0, "b": 0, "c": 0, "d": 0})
    s.eq("zrangebylex", r.zrangebylex("lex", "[b", "(d"), ["b", "c"])
    s.eq("inf scores", (r.zadd("inf", {"m": float("inf")}), r.zscore("inf", "m")),
         (1, float("inf")))
    s.raises("zadd nan-like score", lambda: r.execute_command("ZADD", "z", "nan", "m"),
             "value is not a valid float")
    members = {f"m{i}": i / 4 for i in range(200)}
    r.zadd("bigz", members)
    s.eq("200-member zset via zscan_iter", dict(r.zscan_iter("bigz", count=40)), members)


def pipelines(r, s):
    p = r.pipeline(transaction=False)
    p.set("p1", "a").get("p1").incr("pc").incr("pc").rpush("pl", 1, 2).lrange("pl", 0, -1)
    p.hset("ph", "f", "v").sadd("ps", "m").zadd("pz", {"m": 1}).dbsize()
    out = p.execute()
    s.eq("pipeline results", out[:9], [True, "a", 1, 2, 2, ["1", "2"], 1, 1, 1])
    s.ok("pipeline dbsize", isinstance(out[9], int) and out[9] >= 6, repr(out[9]))
    p = r.pipeline(transaction=False)
    for i in range(2000):
        p.set(f"bulk:{i}", i)
    for i in range(2000):
        p.get(f"bulk:{i}")
    out = p.execute()
    s.eq("2000 pipelined SETs then GETs", out, [True] * 2000 + [str(i) for i in range(2000)])
    p = r.pipeline(transaction=False)
    p.set("pe", "v").lpush("pe", "x").get("pe")
    out = p.execute(raise_on_error=False)
    s.eq("error inside a pipeline does not stop it",
         [out[0], type(out[1]).__name__, str(out[1]), out[2]],
         [True, "ResponseError", WRONGTYPE, "v"])


def server(r, s):
    s.eq("ping", r.ping(), True)
    s.eq("echo", r.echo("hi"), "hi")
    s.eq("client_setname", r.client_setname("itest-py"), True)
    s.eq("client_getname", r.client_getname(), "itest-py")
    mine = [c for c in r.client_list() if c.get("name") == "itest-py"]
    s.eq("client_list has our named connection once", len(mine), 1)
    if mine:
        c = mine[0]
        s.ok("client_list entry fields", all(k in c for k in ("id", "addr", "laddr", "fd",
                                                               "age", "idle", "db", "cmd")),
             repr(c))
        s.eq("client_list cmd of the caller", c.get("cmd"), "client|list")
        s.eq("client_list addr is loopback", c.get("addr", "").split(":")[0], "127.0.0.1")
        s.eq("client_id matches client_list", str(r.client_id()), c.get("id"))
    info = r.info()
    for key in ("redis_version", "uptime_in_seconds", "connected_clients", "used_memory",
                "total_commands_processed", "keyspace_hits", "role", "tcp_port"):
        s.ok(f"info has {key}", key in info, sorted(info)[:40])
    s.ok("info connected_clients >= 1", info.get("connected_clients", 0) >= 1,
         repr(info.get("connected_clients")))
    s.eq("info role", info.get("role"), "master")
    r.flushdb()
    r.set("a", 1)
    r.set("b", 1, ex=100)
    ks = r.info("keyspace")
    s.eq("info keyspace db0 keys/expires",
         {k: ks.get("db0", {}).get(k) for k in ("keys", "expires")}, {"keys": 2, "expires": 1})
    stats = r.info("stats")
    s.ok("info stats has total_error_replies", "total_error_replies" in stats, sorted(stats))
    s.eq("config_get maxclients", r.config_get("maxclients"), {"maxclients": "10000"})
    s.eq("config_set slowlog-log-slower-than", r.config_set("slowlog-log-slower-than", 5000), True)
    s.eq("config_get after set", r.config_get("slowlog-log-slower-than"),
         {"slowlog-log-slower-than": "5000"})
    s.raises("config_set unknown", lambda: r.config_set("no-such-param", 1),
             "Unknown option or number of arguments for CONFIG SET - 'no-such-param'")
    s.eq("dbsize", r.dbsize(), 2)
    s.eq("flushdb", r.flushdb(), True)
    s.eq("dbsize after flushdb", r.dbsize(), 0)
    t = r.time()
    s.ok("time is (seconds, microseconds) near now",
         abs(t[0] - time.time()) < 5 and 0 <= t[1] < 1000000, repr(t))


def concurrent_clients(r, s):
    """20 threads x 200 INCRs over a connection pool: no lost update."""
    pool = redis.ConnectionPool(**r.connection_pool.connection_kwargs)
    errors = []

    def worker():
        c = redis.Redis(connection_pool=pool)
        try:
            for _ in range(200):
                c.incr("shared")
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    s.eq("no errors from threads", errors, [])
    s.eq("every increment counted", r.get("shared"), "4000")
    pool.disconnect()


SECTIONS = [("strings", strings), ("keys+expiry", keys_and_expiry), ("lists", lists),
            ("hashes", hashes), ("sets", sets), ("zsets", zsets), ("pipelines", pipelines),
            ("server", server), ("concurrency", concurrent_clients)]


def run_all(results, label, port):
    r = redis.Redis(host=harness.HOST, port=port, decode_responses=True,
                    socket_timeout=30, socket_connect_timeout=10)
    for name, fn in SECTIONS:
        try:
            r.flushdb()
        except Exception:
            pass  # FLUSHDB itself is checked in "server"
        try:
            fn(r, Section(results, label, name))
        except Exception as e:
            results.error(f"{label}: {name}", e)
    r.close()


def main(args, results):
    reel = harness.start_reel(args.server)
    run_all(results, "reel", reel.port)
    results.check_stopped_cleanly(reel)
    try:
        redis_srv = harness.start_redis()
    except Exception as e:
        results.error("start redis-server (oracle)", e)
        return
    run_all(results, "redis-server (oracle)", redis_srv.port)
    redis_srv.stop()


if __name__ == "__main__":
    harness.run_main(main, __doc__)
