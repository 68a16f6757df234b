#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "server/commands/memory_estimate.h"
#include "server/commands/server_test_peer.h"

namespace reel {
namespace {

using testing::ServerFixture;

std::string BulkBody(const std::string& reply) {
  size_t eol = reply.find("\r\n");
  EXPECT_EQ(reply[0], '$') << reply;
  size_t len = std::stoul(reply.substr(1, eol - 1));
  EXPECT_EQ(reply.size(), eol + 2 + len + 2);
  return reply.substr(eol + 2, len);
}

struct Info {
  std::vector<std::string> sections;          // "# Server", ... in order
  std::map<std::string, std::string> fields;  // name -> value
};

// Parses INFO text the way client libraries do, checking its shape: CRLF
// lines, a blank line between sections, "name:value" fields.
Info Parse(const std::string& text) {
  Info info;
  size_t pos = 0;
  bool expect_header = true;
  while (pos < text.size()) {
    size_t eol = text.find("\r\n", pos);
    EXPECT_NE(eol, std::string::npos) << "unterminated line";
    if (eol == std::string::npos) break;
    std::string line = text.substr(pos, eol - pos);
    pos = eol + 2;
    if (line.empty()) {
      expect_header = true;
      continue;
    }
    if (expect_header) {
      EXPECT_EQ(line[0], '#') << line;
      info.sections.push_back(line);
      expect_header = false;
      continue;
    }
    size_t colon = line.find(':');
    EXPECT_NE(colon, std::string::npos) << line;
    EXPECT_TRUE(info.fields.emplace(line.substr(0, colon), line.substr(colon + 1)).second) << line;
  }
  return info;
}

TEST(InfoCommand, DefaultSections) {
  ServerFixture f;
  Client* c = f.Connect();
  Info info = Parse(BulkBody(f.Run(c, {"INFO"})));
  EXPECT_EQ(info.sections,
            (std::vector<std::string>{"# Server", "# Clients", "# Memory", "# Persistence",
                                      "# Stats", "# Replication", "# CPU", "# Modules",
                                      "# Errorstats", "# Cluster", "# Keyspace"}));
  EXPECT_EQ(info.fields["redis_version"], "7.0.15");
  EXPECT_EQ(info.fields["redis_mode"], "standalone");
  EXPECT_EQ(info.fields["process_id"], "4242");  // from the Kernel
  EXPECT_EQ(info.fields["run_id"], f.server().run_id());
  EXPECT_EQ(info.fields["run_id"].size(), 40u);
  EXPECT_EQ(info.fields["tcp_port"], "6379");
  EXPECT_EQ(info.fields["hz"], "10");
  EXPECT_EQ(info.fields["arch_bits"], "64");
  EXPECT_EQ(info.fields["connected_clients"], "1");
  EXPECT_EQ(info.fields["maxclients"], "10000");
  EXPECT_EQ(info.fields["maxmemory_policy"], "noeviction");
  EXPECT_EQ(info.fields["role"], "master");
  EXPECT_EQ(info.fields["cluster_enabled"], "0");
  EXPECT_EQ(info.fields["aof_enabled"], "0");
  EXPECT_EQ(info.fields.count("cmdstat_info"), 0u);  // commandstats is not a default
}

TEST(InfoCommand, SectionSelection) {
  ServerFixture f;
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"INFO", "keyspace"}), "$12\r\n# Keyspace\r\n\r\n");
  EXPECT_EQ(f.Run(c, {"INFO", "KeySpace"}), "$12\r\n# Keyspace\r\n\r\n");
  EXPECT_EQ(f.Run(c, {"INFO", "foo"}), "$0\r\n\r\n");
  EXPECT_EQ(f.Run(c, {"INFO", "cluster", "keyspace"}),
            "$44\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\n\r\n");
  Info all = Parse(BulkBody(f.Run(c, {"INFO", "all"})));
  EXPECT_EQ(all.sections.size(), 13u);
  EXPECT_EQ(all.sections[8], "# Commandstats");
  EXPECT_EQ(all.sections[10], "# Latencystats");
  Info everything = Parse(BulkBody(f.Run(c, {"INFO", "everything"})));
  EXPECT_EQ(everything.sections, all.sections);
  Info both = Parse(BulkBody(f.Run(c, {"INFO", "default", "commandstats"})));
  EXPECT_EQ(both.sections.size(), 12u);
  EXPECT_EQ(Parse(BulkBody(f.Run(c, {"INFO", "module_list"}))).sections,
            std::vector<std::string>{"# Modules"});
}

TEST(InfoCommand, KeyspaceAndStats) {
  ServerFixture f;
  Client* c = f.Connect();
  Keyspace& db = f.server().db();
  db.Set("a", Object(std::string("1")));
  db.SetExpire(db.Set("b", Object(std::string("2"))), f.server().NowMs() + 100000);
  EXPECT_EQ(f.Run(c, {"INFO", "keyspace"}),
            "$44\r\n# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\n\r\n");
  EXPECT_EQ(f.Run(c, {"CONFIG", "RESETSTAT"}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"PING"}), "+PONG\r\n");
  EXPECT_EQ(f.Run(c, {"CLIENT", "NOPE"}).rfind("-ERR unknown subcommand", 0), 0u);
  Info info = Parse(BulkBody(f.Run(c, {"INFO", "stats", "commandstats"})));
  // resetstat, ping, client nope; INFO itself is counted after it replies.
  EXPECT_EQ(info.fields["total_commands_processed"], "3");
  EXPECT_EQ(info.fields["total_error_replies"], "1");
  EXPECT_EQ(info.fields["cmdstat_ping"],
            "calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0");
  EXPECT_EQ(info.fields["cmdstat_config|resetstat"],
            "calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=0");
  EXPECT_EQ(info.fields["cmdstat_client"],
            "calls=1,usec=0,usec_per_call=0.00,rejected_calls=0,failed_calls=1");
}

TEST(InfoCommand, UptimeFollowsTheClock) {
  ServerFixture f;
  Client* c = f.Connect();
  f.AdvanceMs(2 * 86400 * 1000 + 1500);
  Info info = Parse(BulkBody(f.Run(c, {"INFO", "server"})));
  EXPECT_EQ(info.fields["uptime_in_seconds"], "172801");
  EXPECT_EQ(info.fields["uptime_in_days"], "2");
  EXPECT_EQ(info.fields["server_time_usec"], std::to_string(f.server().NowMs() * 1000));
}

TEST(InfoCommand, MemoryIsDeterministicAndGrowsWithData) {
  ServerFixture f;
  Client* c = f.Connect();
  Info empty = Parse(BulkBody(f.Run(c, {"INFO", "memory"})));
  uint64_t used0 = std::stoull(empty.fields["used_memory"]);
  EXPECT_GT(used0, 0u);
  EXPECT_EQ(empty.fields["used_memory_dataset"], "0");
  EXPECT_EQ(empty.fields["used_memory_rss"], empty.fields["used_memory"]);
  EXPECT_EQ(empty.fields["mem_allocator"], "libc");
  // The same state gives the same figures, run after run (replay relies on
  // it); the client's grown reply buffer is part of that state.
  ServerFixture g;
  Client* d = g.Connect();
  EXPECT_EQ(Parse(BulkBody(g.Run(d, {"INFO", "memory"}))).fields["used_memory"],
            empty.fields["used_memory"]);
  EXPECT_EQ(Parse(BulkBody(g.Run(d, {"INFO", "memory"}))).fields["used_memory"],
            Parse(BulkBody(f.Run(c, {"INFO", "memory"}))).fields["used_memory"]);

  for (int i = 0; i < 1000; i++)
    f.server().db().Set("key:" + std::to_string(i), Object(std::string(100, 'x')));
  Info full = Parse(BulkBody(f.Run(c, {"INFO", "memory"})));
  uint64_t used1 = std::stoull(full.fields["used_memory"]);
  uint64_t dataset = std::stoull(full.fields["used_memory_dataset"]);
  // 1000 keys of ~100 bytes: at least the payload, at most a few times it.
  EXPECT_GE(dataset, 1000u * 100);
  EXPECT_LE(dataset, 1000u * 400);
  EXPECT_GT(used1, used0 + dataset - 1);
  EXPECT_EQ(full.fields["used_memory_peak"], full.fields["used_memory"]);

  f.server().db().Clear();
  Info after = Parse(BulkBody(f.Run(c, {"INFO", "memory"})));
  EXPECT_EQ(after.fields["used_memory_peak"], full.fields["used_memory"]);  // the peak stays
  EXPECT_LT(std::stoull(after.fields["used_memory"]), used1);
  EXPECT_EQ(after.fields["used_memory_human"].back(), 'K');
}

TEST(MemoryEstimate, SameDataSameEstimate) {
  Keyspace a(1), b(2);  // different hash seeds: different bucket order
  ListValue list;
  for (int i = 0; i < 300; i++) list.push_back("item" + std::to_string(i));
  for (Keyspace* db : {&a, &b}) {
    db->Set("s", Object(std::string("hello")));
    db->Set("l", Object(list));
    HashValue h;
    h.Set("f", "v");
    db->Set("h", Object(std::move(h)));
  }
  EXPECT_EQ(EstimateDatasetBytes(a), EstimateDatasetBytes(b));
  uint64_t before = EstimateDatasetBytes(a);
  a.Set("s", Object(std::string(1000, 'y')));
  EXPECT_GE(EstimateDatasetBytes(a), before + 990);
}

}  // namespace
}  // namespace reel
