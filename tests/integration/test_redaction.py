#!/usr/bin/python3
"""`reel capture --redact keys|values|all` end to end on reel-server.

For each mode a redis-py workload full of known secret strings (keys,
values, hash fields, list elements, set members, a password given with
--requirepass and sent with AUTH) is captured; then:
  * no file in the bundle contains a secret the mode redacts (a byte search
    of every file, the pcap included), and the secrets the mode keeps are
    still there (so the search can fail);
  * tshark and tcpdump read the rewritten pcap, packet for packet;
  * meta.json says what was redacted and holds no password;
  * `reel replay` says REPRODUCED (exit 0): same calls, same (redacted)
    bytes; the keyspace digest is reported as not comparable.
A workload of about 70 command forms (strings, lists, sets, sorted sets,
hashes, keys, admin, errors) must replay every recorded call with no reply
difference left unexplained, in each mode.
A workload with INCR on a redacted number must replay as "NOT COMPARABLE
UNDER REDACTION" naming INCR (exit 3), and a bundle whose reply bytes were
tampered with must still be reported as DIVERGED (exit 1): redaction never
hides a real difference. Last, a flight-recorder dump (--ring) is redacted
like a bundle.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import capture_harness as ch
import harness

PASSWORD = "pw-Zebra-77-hunter2"
SECRET_VALUES = ["sk-live-VALUE-4f1a9c", "card-4111-1111-1111-1111", "fieldval-OPAL-93",
                 "listelem-GARNET-12", "member-QUARTZ-55", "echo-JADE-31"]
SECRET_KEYS = ["acct:KEYALPHA-alice", "hash:KEYBRAVO-bob", "list:KEYCHARLIE",
               "set:KEYDELTA", "zset:KEYECHO"]
SECRET_FIELD = "field-ONYX-08"


def start_capture(args, bundle, extra, server_extra=()):
    for _ in range(5):
        port = harness.free_port()
        cap = ch.Capture(args.reel, bundle, port,
                         ch.reel_server_cmd(args.server, port, server_extra), extra_args=extra)
        try:
            cap.wait_ready()
            return cap, port
        except RuntimeError:
            cap.stop(signal.SIGKILL)
            out, err = cap.output()
            if "already in use" not in err:
                raise RuntimeError(f"reel capture did not start: {err.strip()}")
            shutil.rmtree(bundle, ignore_errors=True)
    raise RuntimeError("no free port")


def workload(port):
    import redis
    r = redis.Redis(host=harness.HOST, port=port, password=PASSWORD, socket_timeout=10)
    k_acct, k_hash, k_list, k_set, k_zset = SECRET_KEYS
    v_api, v_card, v_field, v_elem, v_member, v_echo = SECRET_VALUES
    assert r.set(k_acct, v_api)
    assert r.get(k_acct) == v_api.encode()
    r.mset({"plain:card": v_card, "other": "x"})
    assert r.mget(["plain:card", "other"]) == [v_card.encode(), b"x"]
    r.hset(k_hash, mapping={SECRET_FIELD: v_field, "f2": "v2"})
    assert r.hget(k_hash, SECRET_FIELD) == v_field.encode()
    assert r.hmget(k_hash, [SECRET_FIELD, "f2"]) == [v_field.encode(), b"v2"]
    r.rpush(k_list, v_elem, "second", v_elem)
    assert r.lrange(k_list, 0, -1) == [v_elem.encode(), b"second", v_elem.encode()]
    r.sadd(k_set, v_member)
    assert r.sismember(k_set, v_member)
    r.zadd(k_zset, {v_member: 1.5, "z2": 2.5})
    assert r.zrange(k_zset, 0, -1, withscores=True) == [(v_member.encode(), 1.5), (b"z2", 2.5)]
    assert r.echo(v_echo) == v_echo.encode()
    assert r.exists(k_acct, k_hash) == 2
    assert r.strlen(k_acct) == len(v_api)
    p = r.pipeline(transaction=False)
    for i in range(50):
        p.set(f"{k_acct}:{i}", f"{v_api}-{i}")
        p.get(f"{k_acct}:{i}")
    res = p.execute()
    assert res[1::2] == [f"{v_api}-{i}".encode() for i in range(50)]
    r.delete(f"{k_acct}:0")
    r.close()


def incr_workload(port):
    import redis
    r = redis.Redis(host=harness.HOST, port=port, password=PASSWORD, socket_timeout=10)
    r.set("visits", "41")
    assert r.execute_command("INCR", "visits") == 42
    assert r.get("visits") == b"42"
    r.close()


def broad_workload(port):
    """About 70 command forms, then a pipelined burst, then the commands
    whose replies redaction changes (APPEND then GET, HGETALL order, KEYS)."""
    import redis
    r = redis.Redis(host=harness.HOST, port=port, password=PASSWORD, socket_timeout=10)

    def x(*a):
        try:
            return r.execute_command(*a)
        except redis.ResponseError as e:
            return e
    for c in [
        ("SET", "k1", "v-one", "EX", "100"), ("GETEX", "k1", "PERSIST"),
        ("MSETNX", "m1", "a", "m2", "b"), ("INCRBY", "ctr", "5"), ("INCR", "ctr"),
        ("STRLEN", "k1"), ("SET", "k2", "val2", "NX", "GET"), ("GETSET", "k2", "val3"),
        ("GETDEL", "k2"), ("RPUSH", "l", "a", "b", "c", "b"), ("LPOS", "l", "b", "RANK", "2"),
        ("LINSERT", "l", "BEFORE", "c", "x"), ("LSET", "l", "0", "first"), ("LREM", "l", "1", "b"),
        ("LRANGE", "l", "0", "-1"), ("LINDEX", "l", "1"), ("LMOVE", "l", "l2", "LEFT", "RIGHT"),
        ("RPOPLPUSH", "l", "l2"), ("LRANGE", "l2", "0", "-1"), ("LPOP", "l2"), ("RPOP", "l2", "1"),
        ("LLEN", "l2"), ("SADD", "s1", "a", "b", "c"), ("SADD", "s2", "b", "c", "d"),
        ("SINTERSTORE", "s3", "s1", "s2"), ("SCARD", "s3"), ("SISMEMBER", "s3", "b"),
        ("SMOVE", "s1", "s2", "a"), ("SMISMEMBER", "s2", "a", "z"), ("SREM", "s2", "d"),
        ("SINTERCARD", "2", "s1", "s2", "LIMIT", "5"),
        ("ZADD", "z", "1", "alice", "2", "bob", "3", "carol"), ("ZINCRBY", "z", "1.5", "alice"),
        ("ZSCORE", "z", "alice"), ("ZMSCORE", "z", "bob", "nobody"), ("ZCARD", "z"),
        ("ZCOUNT", "z", "-inf", "+inf"), ("ZREM", "z", "bob"), ("ZADD", "z", "XX", "CH", "5", "carol"),
        ("HSET", "h", "f1", "v1", "f2", "v2"), ("HINCRBY", "h", "cnt", "3"), ("HGET", "h", "cnt"),
        ("HSTRLEN", "h", "f1"), ("HEXISTS", "h", "f2"), ("HMGET", "h", "f1", "zz"), ("HDEL", "h", "f2"),
        ("HLEN", "h"), ("RENAME", "m1", "m1b"), ("COPY", "m2", "m2c"), ("EXPIRE", "m2c", "100"),
        ("TTL", "m2c"), ("PERSIST", "m2c"), ("TYPE", "h"), ("EXISTS", "k1", "nokey"), ("DBSIZE",),
        ("CLIENT", "SETNAME", "worker1"), ("CLIENT", "GETNAME"), ("CONFIG", "GET", "maxmemory"),
        ("ECHO", "echo-msg"), ("PING", "ping-msg"), ("FROBNICATE", "secretarg"), ("GET",),
        ("SET", "k"), ("EXPIRE", "k1", "soon"), ("MGET", "m1b", "m2", "none"), ("DEL", "ctr")]:
        x(*c)
    p = r.pipeline(transaction=False)
    for i in range(200):
        p.set(f"pk{i}", f"pv{i}")
        p.get(f"pk{i}")
    p.execute()
    for c in [("APPEND", "k1", "-more"), ("GET", "k1"), ("HGETALL", "h"),
              ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("SMEMBERS", "s3"), ("KEYS", "*")]:
        x(*c)
    r.close()


def files_of(bundle):
    for root, _, names in os.walk(bundle):
        for n in names:
            yield os.path.join(root, n)


def secrets_found(bundle, secrets):
    """{secret: [files holding it]} for every secret present in any file."""
    found = {}
    for path in files_of(bundle):
        with open(path, "rb") as f:
            data = f.read()
        for s in secrets:
            if s.encode() in data:
                found.setdefault(s, []).append(os.path.relpath(path, bundle))
    return found


def run(argv, timeout=120):
    p = subprocess.run(argv, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def capture_run(args, res, workdir, name, mode, body, extra=()):
    bundle = os.path.join(workdir, name)
    cap, port = start_capture(args, bundle, ["--redact", mode, *extra],
                              server_extra=["--requirepass", PASSWORD])
    try:
        body(port)
    finally:
        rc = cap.stop(signal.SIGINT)
    out, err = cap.output()
    # Exit 1 names its loss on stderr ("pcap dropped N packets", ...): show it.
    res.ok(f"{name}: reel capture exit code 0", rc == 0, f"exit {rc}\n{out}{err}")
    res.ok(f"{name}: capture prints the redaction line", f"redacted {mode}:" in out, out + err)
    return bundle, out


def check_bundle(args, res, name, bundle, mode):
    redacted = [PASSWORD]
    kept = []
    if mode in ("values", "all"):
        redacted += SECRET_VALUES + [SECRET_FIELD]
    else:
        kept += SECRET_VALUES
    if mode in ("keys", "all"):
        redacted += SECRET_KEYS
    else:
        kept += SECRET_KEYS
    found = secrets_found(bundle, redacted)
    res.eq(f"{name}: no redacted secret in any bundle file", found, {})
    still = secrets_found(bundle, kept)
    res.eq(f"{name}: the strings this mode keeps are still there (the search works)",
           sorted(still), sorted(kept))

    meta = json.load(open(os.path.join(bundle, "meta.json")))
    r = meta.get("redaction", {})
    res.eq(f"{name}: meta.json redaction mode", r.get("mode"), mode)
    res.eq(f"{name}: meta.json redaction status", r.get("status"), "redacted")
    res.ok(f"{name}: the unkeyed final keyspace digest is gone",
           "final_keyspace_digest" not in meta and r.get("final_keyspace_digest_removed"),
           json.dumps(r))
    req = r.get("redacted", {}).get("requests", {})
    if mode in ("values", "all"):
        res.ok(f"{name}: values counted", req.get("values", 0) >= 60, json.dumps(req))
    if mode in ("keys", "all"):
        res.ok(f"{name}: keys counted", req.get("keys", 0) >= 100, json.dumps(req))
    res.ok(f"{name}: the AUTH password counted", req.get("credentials", 0) >= 1, json.dumps(req))
    res.eq(f"{name}: --requirepass on the command lines redacted", r.get("command_line_credentials"),
           2)
    res.eq(f"{name}: nothing failed closed",
           r.get("redacted", {}).get("fail_closed_bytes"), {"requests": 0, "replies": 0})
    pc = r.get("pcap", {})
    res.ok(f"{name}: segments rewritten", pc.get("segments_changed", 0) > 0, json.dumps(pc))

    # tshark and tcpdump read it, every packet.
    rc, out, err = run(["tshark", "-r", os.path.join(bundle, "packets.pcap"), "-T", "fields",
                        "-e", "frame.number"])
    frames = len(out.split())
    res.ok(f"{name}: tshark reads the redacted pcap", rc == 0 and frames > 0, err)
    res.eq(f"{name}: tshark sees every captured packet", frames, meta["pcap"]["captured"])
    rc, out, err = run(["tcpdump", "-nn", "-r", os.path.join(bundle, "packets.pcap")])
    res.ok(f"{name}: tcpdump reads the redacted pcap", rc == 0 and len(out.splitlines()) == frames,
           f"rc {rc}, {len(out.splitlines())} lines; {err[-300:]}")
    return meta


def replay(args, bundle):
    return run([args.reel, "replay", bundle])


def body(args, res):
    workdir = tempfile.mkdtemp(prefix="reel-redaction-it-")
    try:
        for mode in ("values", "keys", "all"):
            name = f"--redact {mode}"
            bundle, _ = capture_run(args, res, workdir, f"b-{mode}", mode, workload)
            check_bundle(args, res, name, bundle, mode)
            rc, out, err = replay(args, bundle)
            res.eq(f"{name}: reel replay exit code", rc, 0)
            res.ok(f"{name}: replay says REPRODUCED", out.startswith("REPRODUCED"), out + err)
            res.ok(f"{name}: the digest is reported not comparable, not as a divergence",
                   "digest not comparable under redaction" in out, out)

        # INCR on a redacted number: not comparable, named, exit 3.
        bundle, _ = capture_run(args, res, workdir, "b-incr", "values", incr_workload)
        rc, out, err = replay(args, bundle)
        res.eq("INCR on a redacted value: reel replay exit code", rc, 3)
        res.ok("INCR on a redacted value: NOT COMPARABLE UNDER REDACTION naming INCR",
               out.startswith("NOT COMPARABLE UNDER REDACTION") and "INCR on conn" in out, out + err)
        res.ok("INCR on a redacted value: never reported as DIVERGED", "DIVERGED" not in out, out)
        rc, out, _ = run([args.reel, "replay", bundle, "--json"])
        j = json.loads(out) if rc == 3 else {}
        res.eq("INCR: --json verdict", j.get("verdict"), "not-comparable-under-redaction")
        res.eq("INCR: --json names INCR", j.get("redaction", {}).get("not_comparable_by_command"),
               {"INCR": 1})

        # Many command forms: every difference must be one redaction explains.
        explainable = {"GET", "HGET", "HGETALL", "KEYS", "SMEMBERS", "ZRANGE"}
        for mode in ("values", "keys", "all"):
            bundle, _ = capture_run(args, res, workdir, f"b-broad-{mode}", mode, broad_workload)
            rc, out, err = run([args.reel, "replay", bundle, "--json"])
            j = json.loads(out) if rc in (0, 3) else {}
            red = j.get("redaction", {})
            res.ok(f"broad --redact {mode}: every recorded call replayed (no early stop)",
                   j.get("records_matched") == j.get("records_total") and rc in (0, 3), out + err)
            res.eq(f"broad --redact {mode}: no reply difference left unexplained",
                   red.get("replies_diverging"), 0)
            res.ok(f"broad --redact {mode}: all {red.get('replies_compared')} replies compared",
                   red.get("replies_compared", 0) >= 450, json.dumps(red))
            res.ok(f"broad --redact {mode}: only the expected commands are not comparable",
                   set(red.get("not_comparable_by_command", {})) <= explainable, json.dumps(red))

        # A real difference in a redacted bundle is still a divergence.
        src = os.path.join(workdir, "b-values")
        tampered = os.path.join(workdir, "b-tampered")
        shutil.copytree(src, tampered)
        pcap = os.path.join(tampered, "packets.pcap")
        data = bytearray(open(pcap, "rb").read())
        at = data.find(b"+OK\r\n")
        res.ok("tamper: found a +OK reply in the pcap", at > 0)
        data[at:at + 5] = b"+NO\r\n"
        open(pcap, "wb").write(bytes(data))
        rc, out, err = replay(args, tampered)
        res.eq("tampered redacted bundle: reel replay exit code", rc, 1)
        res.ok("tampered redacted bundle: DIVERGED, not excused by redaction",
               out.startswith("DIVERGED") and "redaction does not explain" in out, out + err)

        # Flight recorder: a dump is redacted like a bundle.
        ring = os.path.join(workdir, "b-ring")
        cap, port = start_capture(args, ring, ["--redact", "all", "--ring", "4M"],
                                  server_extra=["--requirepass", PASSWORD])
        try:
            workload(port)
            cap.proc.send_signal(signal.SIGUSR1)
            ch.wait_until(lambda: any(n.startswith("dump-1") for n in os.listdir(ring))
                          and os.path.exists(os.path.join(
                              ring, next(n for n in os.listdir(ring) if n.startswith("dump-1")),
                              "meta.json")), 20)
            time.sleep(1.0)  # the dump and its redaction finish
        finally:
            rc = cap.stop(signal.SIGINT)
        out, err = cap.output()
        res.eq("--ring --redact all: exit code", rc, 0)
        dumps = [n for n in os.listdir(ring) if n.startswith("dump-")]
        res.eq("--ring: one dump", len(dumps), 1)
        if dumps:
            meta = json.load(open(os.path.join(ring, dumps[0], "meta.json")))
            res.eq("--ring: the dump's meta.json says redacted",
                   meta.get("redaction", {}).get("status"), "redacted")
        res.eq("--ring: no secret in any file of the run",
               secrets_found(ring, [PASSWORD] + SECRET_VALUES + SECRET_KEYS + [SECRET_FIELD]), {})
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def parse():
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server", required=True)
    p.add_argument("-v", "--verbose", action="store_true")
    a = p.parse_args()
    a.server = os.path.abspath(a.server)
    a.reel, _ = ch.tool_paths(a.server)
    if not a.reel:
        print("FATAL: reel not found beside --server", flush=True)
        sys.exit(2)
    return a


if __name__ == "__main__":
    args = parse()
    results = harness.Results(verbose=args.verbose)
    try:
        body(args, results)
    except Exception as e:
        results.error("test body", e)
        import traceback
        traceback.print_exc()
    finally:
        results.finish()
