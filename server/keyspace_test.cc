#include "server/keyspace.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace reel {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

std::string Str(const Object* o) {
  return o ? std::get<std::string>(*o) : "<null>";
}

// Runs a whole SCAN, optionally calling between(step) after each step.
template <typename Between>
std::vector<std::string> ScanAll(const Keyspace& db, Between&& between) {
  std::vector<std::string> seen;
  uint64_t cursor = 0;
  int step = 0;
  do {
    cursor = db.Scan(cursor, [&](const Keyspace::Entry& e) { seen.push_back(e.key); });
    between(step++);
  } while (cursor != 0 && step < 1'000'000);
  return seen;
}

std::vector<std::string> ScanAll(const Keyspace& db) {
  return ScanAll(db, [](int) {});
}

TEST(Keyspace, AddFindDelete) {
  Keyspace db(7);
  db.set_now_ms(kNow);
  EXPECT_EQ(db.Find("a"), nullptr);
  Keyspace::Entry* e = db.Add("a", Object(std::string("1")));
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->key, "a");
  EXPECT_EQ(e->expire_ms, -1);
  db.Add("b", Object(ListValue{"x", "y"}));
  EXPECT_EQ(db.size(), 2u);
  EXPECT_EQ(db.Find("a"), e);
  EXPECT_EQ(Str(db.Lookup("a")), "1");
  EXPECT_EQ(TypeOf(*db.Lookup("b")), ValueType::kList);
  EXPECT_TRUE(db.Delete("a"));
  EXPECT_FALSE(db.Delete("a"));
  EXPECT_EQ(db.Find("a"), nullptr);
  EXPECT_EQ(db.size(), 1u);
  db.Delete(db.Find("b"));
  EXPECT_EQ(db.size(), 0u);
}

TEST(Keyspace, KeysAreBinarySafe) {
  Keyspace db(7);
  std::string with_nul("a\0b", 3);
  db.Add(with_nul, Object(std::string("1")));
  db.Add("a", Object(std::string("2")));
  EXPECT_EQ(Str(db.Lookup(with_nul)), "1");
  EXPECT_EQ(Str(db.Lookup("a")), "2");
  EXPECT_EQ(db.Lookup(std::string_view("a\0c", 3)), nullptr);
}

TEST(Keyspace, SetReplacesTheValueAndDropsTheTtlUnlessKept) {
  Keyspace db(7);
  db.set_now_ms(kNow);
  Keyspace::Entry* e = db.Set("k", Object(std::string("1")));
  db.SetExpire(e, kNow + 1000);
  EXPECT_EQ(db.expires_size(), 1u);
  EXPECT_EQ(db.Set("k", Object(std::string("2")), /*keep_ttl=*/true), e);
  EXPECT_EQ(e->expire_ms, kNow + 1000);
  db.Set("k", Object(std::string("3")));
  EXPECT_EQ(e->expire_ms, -1);
  EXPECT_EQ(db.expires_size(), 0u);
  EXPECT_EQ(Str(db.Lookup("k")), "3");
  EXPECT_EQ(db.size(), 1u);
}

TEST(Keyspace, LazyExpiryDeletesOnlyOnceTheExpireTimeHasPassed) {
  Keyspace db(7);
  db.set_now_ms(kNow);
  Keyspace::Entry* e = db.Add("k", Object(std::string("v")));
  db.SetExpire(e, kNow + 10);
  db.Add("other", Object(std::string("v")));
  // Redis's keyIsExpired is `now > when`: the key lives through kNow + 10.
  db.set_now_ms(kNow + 10);
  EXPECT_FALSE(db.IsExpired(e));
  EXPECT_EQ(db.Find("k"), e);
  db.set_now_ms(kNow + 11);
  EXPECT_TRUE(db.IsExpired(e));
  EXPECT_EQ(db.size(), 2u);  // nothing happens until the key is looked up
  EXPECT_EQ(db.Find("k"), nullptr);
  EXPECT_EQ(db.size(), 1u);
  EXPECT_EQ(db.expires_size(), 0u);
  EXPECT_FALSE(db.Delete("k"));
}

TEST(Keyspace, SetOnAnExpiredKeyDoesNotInheritItsTtl) {
  Keyspace db(7);
  db.set_now_ms(kNow);
  db.SetExpire(db.Add("k", Object(std::string("old"))), kNow + 5);
  db.set_now_ms(kNow + 6);
  Keyspace::Entry* e = db.Set("k", Object(std::string("new")), /*keep_ttl=*/true);
  EXPECT_EQ(e->expire_ms, -1);
  EXPECT_EQ(Str(db.Lookup("k")), "new");
}

TEST(Keyspace, ExpiringSetStaysConsistentUnderRemovals) {
  Keyspace db(7);
  db.set_now_ms(kNow);
  std::vector<Keyspace::Entry*> entries;
  for (int i = 0; i < 10; i++) {
    Keyspace::Entry* e = db.Add("k" + std::to_string(i), Object(std::string("v")));
    db.SetExpire(e, kNow + 100 + i);
    entries.push_back(e);
  }
  db.RemoveExpire(entries[3]);
  db.Delete(entries[0]);
  db.SetExpire(entries[5], kNow + 999);  // updating keeps a single slot
  EXPECT_EQ(db.expires_size(), 8u);
  std::set<std::string> sampled;
  for (uint64_t r = 0; r < 64; r++) sampled.insert(db.RandomExpiring(r)->key);
  EXPECT_EQ(sampled.size(), 8u);
  EXPECT_FALSE(sampled.count("k0"));
  EXPECT_FALSE(sampled.count("k3"));
}

TEST(Keyspace, RenameMovesValueAndTtlOntoTheTarget) {
  Keyspace db(7);
  db.set_now_ms(kNow);
  db.SetExpire(db.Add("a", Object(std::string("1"))), kNow + 50);
  db.SetExpire(db.Add("b", Object(std::string("2"))), kNow + 70);
  db.Rename(db.Find("a"), "b");
  EXPECT_EQ(db.Find("a"), nullptr);
  Keyspace::Entry* b = db.Find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(Str(&b->value), "1");
  EXPECT_EQ(b->expire_ms, kNow + 50);
  EXPECT_EQ(db.size(), 1u);
  EXPECT_EQ(db.expires_size(), 1u);
}

TEST(Keyspace, ScanOfAnEmptyKeyspaceEndsAtOnce) {
  Keyspace db(7);
  int visited = 0;
  EXPECT_EQ(db.Scan(0, [&](const Keyspace::Entry&) { visited++; }), 0u);
  EXPECT_EQ(db.Scan(12345, [&](const Keyspace::Entry&) { visited++; }), 0u);
  EXPECT_EQ(visited, 0);
}

TEST(Keyspace, ScanVisitsEveryKeyExactlyOnceWithoutResizes) {
  Keyspace db(99);
  std::set<std::string> all;
  for (int i = 0; i < 777; i++) {
    std::string key = "key:" + std::to_string(i);
    all.insert(key);
    db.Add(key, Object(std::string("v")));
  }
  std::vector<std::string> seen = ScanAll(db);
  EXPECT_EQ(seen.size(), all.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all);
}

TEST(Keyspace, ScanReturnsStableKeysWhileTheTableGrows) {
  Keyspace db(99);
  std::set<std::string> stable;
  for (int i = 0; i < 40; i++) {
    std::string key = "stable:" + std::to_string(i);
    stable.insert(key);
    db.Add(key, Object(std::string("v")));
  }
  int added = 0;
  std::vector<std::string> seen = ScanAll(db, [&](int step) {
    // Grow by a few hundred keys every few steps: several doublings mid-scan.
    if (step % 3 == 0 && added < 4000) {
      for (int i = 0; i < 300; i++)
        db.Add("grow:" + std::to_string(added++), Object(std::string()));
    }
  });
  std::set<std::string> seen_set(seen.begin(), seen.end());
  for (const std::string& key : stable) EXPECT_TRUE(seen_set.count(key)) << key;
}

TEST(Keyspace, ScanReturnsStableKeysWhileTheTableShrinks) {
  Keyspace db(99);
  std::set<std::string> stable;
  for (int i = 0; i < 40; i++) {
    std::string key = "stable:" + std::to_string(i);
    stable.insert(key);
    db.Add(key, Object(std::string("v")));
  }
  for (int i = 0; i < 5000; i++) db.Add("temp:" + std::to_string(i), Object(std::string()));
  int removed = 0;
  std::vector<std::string> seen = ScanAll(db, [&](int step) {
    if (step >= 10 && removed < 5000) {
      for (int i = 0; i < 500; i++) db.Delete("temp:" + std::to_string(removed++));
    }
  });
  EXPECT_EQ(db.size(), 40u);
  std::set<std::string> seen_set(seen.begin(), seen.end());
  for (const std::string& key : stable) EXPECT_TRUE(seen_set.count(key)) << key;
}

TEST(Keyspace, ScanSkipsExpiredKeysWithoutDeletingThem) {
  Keyspace db(7);
  db.set_now_ms(kNow);
  db.Add("live", Object(std::string("v")));
  db.SetExpire(db.Add("dead", Object(std::string("v"))), kNow - 1);
  EXPECT_EQ(ScanAll(db), std::vector<std::string>{"live"});
  EXPECT_EQ(db.size(), 2u);
}

TEST(Keyspace, RandomEntryIsDeterministicAndReachesEveryKey) {
  Keyspace a(5), b(5);
  EXPECT_EQ(a.RandomEntry(42), nullptr);
  for (int i = 0; i < 30; i++) {
    std::string key = "k" + std::to_string(i);
    a.Add(key, Object(std::string("v")));
    b.Add(key, Object(std::string("v")));
  }
  std::set<std::string> reached;
  uint64_t r = 0x9E3779B97F4A7C15ull;
  for (int i = 0; i < 2000; i++) {
    r = r * 6364136223846793005ull + 1442695040888963407ull;
    Keyspace::Entry* ea = a.RandomEntry(r);
    ASSERT_NE(ea, nullptr);
    EXPECT_EQ(ea->key, b.RandomEntry(r)->key);  // same seed and history, same pick
    EXPECT_EQ(a.RandomEntry(r), ea);            // and the same pick twice
    reached.insert(ea->key);
  }
  EXPECT_EQ(reached.size(), 30u);
}

TEST(Keyspace, DigestIgnoresInsertionOrderAndTableSeed) {
  Keyspace a(1), b(2);
  EXPECT_EQ(a.Digest(), std::string(32, '0'));
  a.set_now_ms(kNow);
  b.set_now_ms(kNow);
  for (int i = 0; i < 100; i++) a.Add("k" + std::to_string(i), Object(std::string("v")));
  for (int i = 99; i >= 0; i--) b.Add("k" + std::to_string(i), Object(std::string("v")));
  // Scratch keys added and removed again leave no trace.
  for (int i = 0; i < 50; i++) b.Add("tmp" + std::to_string(i), Object(std::string()));
  for (int i = 0; i < 50; i++) b.Delete("tmp" + std::to_string(i));
  EXPECT_EQ(a.Digest(), b.Digest());
  EXPECT_EQ(a.Digest().size(), 32u);
  EXPECT_NE(a.Digest(), std::string(32, '0'));
}

TEST(Keyspace, DigestIgnoresTheOrderOfHashAndSetElements) {
  Keyspace a(1), b(1);
  HashValue h1, h2;
  h1.Set("f1", "v1");
  h1.Set("f2", "v2");
  h2.Set("f2", "v2");
  h2.Set("f1", "v1");
  a.Add("h", Object(std::move(h1)));
  b.Add("h", Object(std::move(h2)));
  a.Add("s", Object(SetValue{"x", "y", "z"}));
  SetValue s2;
  for (const char* m : {"z", "x", "y"}) s2.insert(m);
  b.Add("s", Object(std::move(s2)));
  EXPECT_EQ(a.Digest(), b.Digest());
}

TEST(Keyspace, DigestSeesValuesTypesTtlsAndListOrder) {
  auto digest_of = [](auto&& fill) {
    Keyspace db(3);
    fill(db);
    return db.Digest();
  };
  std::string base = digest_of([](Keyspace& db) { db.Add("k", Object(std::string("v"))); });
  EXPECT_NE(base, digest_of([](Keyspace& db) { db.Add("k", Object(std::string("w"))); }));
  EXPECT_NE(base, digest_of([](Keyspace& db) { db.Add("j", Object(std::string("v"))); }));
  EXPECT_NE(base, digest_of([](Keyspace& db) { db.Add("k", Object(ListValue{"v"})); }));
  EXPECT_NE(base, digest_of([](Keyspace& db) {
              db.SetExpire(db.Add("k", Object(std::string("v"))), kNow);
            }));
  EXPECT_NE(digest_of([](Keyspace& db) {
              db.Add("l", Object(ListValue{"a", "b"}));
            }),
            digest_of([](Keyspace& db) {
              db.Add("l", Object(ListValue{"b", "a"}));
            }));
}

TEST(Keyspace, ReverseBitsMirrorsTheWord) {
  EXPECT_EQ(Keyspace::ReverseBits(0), 0u);
  EXPECT_EQ(Keyspace::ReverseBits(1), 1ull << 63);
  EXPECT_EQ(Keyspace::ReverseBits(0x00000000000000F0ull), 0x0F00000000000000ull);
  EXPECT_EQ(Keyspace::ReverseBits(Keyspace::ReverseBits(0x123456789abcdef0ull)),
            0x123456789abcdef0ull);
}

}  // namespace
}  // namespace reel
