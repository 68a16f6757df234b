#include "analyzers/timeline_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace reel::analyzers {
namespace {

// Every committed trace with a golden timeline.
std::vector<std::string> TracesWithTimelines() {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(REEL_TRACES_DIR))
    if (std::filesystem::exists(entry.path() / "timeline.golden.jsonl"))
      names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string GoldenPath(const std::string& trace) {
  return std::string(REEL_TRACES_DIR) + "/" + trace + "/timeline.golden.jsonl";
}

std::string TempFile(const std::string& name, const std::string& content) {
  std::string path = testing::TempDir() + "/timeline_reader_test_" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

TEST(TimelineReaderTest, FastParserAgreesWithJsonOnEveryGoldenLine) {
  for (const std::string& trace : TracesWithTimelines()) {
    std::istringstream in(ReadFile(GoldenPath(trace)));
    std::string line;
    std::getline(in, line);  // header
    int lines = 0;
    while (std::getline(in, line)) {
      TimelineEvent fast, reference;
      std::string error;
      // Every line reel writes takes the fast path (or a diff would be slow)...
      ASSERT_TRUE(ParseTimelineEventFast(line, &fast)) << trace << ": " << line;
      // ...and reads exactly as the JSON library reads it.
      ASSERT_TRUE(ParseTimelineEventJson(line, &reference, &error)) << error;
      ASSERT_EQ(fast, reference) << line;
      lines++;
    }
    EXPECT_GT(lines, 10) << trace;
  }
}

TEST(TimelineReaderTest, ParsesEachKindsFields) {
  TimelineEvent e;
  std::string error;
  ASSERT_TRUE(ParseTimelineEvent(
      R"({"seq":3,"t_ns":7694884,"kind":"epoll_wait","epfd":5,"maxevents":10128,"timeout_ms":100,)"
      R"("ret":2,"ready":[{"fd":6,"conn":0,"mask":"IN"},{"fd":7,"conn":1,"mask":"IN|OUT"}],)"
      R"("wait_ns":5816445})",
      &e, &error));
  EXPECT_EQ(e.seq, 3u);
  EXPECT_EQ(e.t_ns, 7694884);
  EXPECT_EQ(e.kind, "epoll_wait");
  EXPECT_EQ(e.epfd, 5);
  EXPECT_EQ(e.maxevents, 10128);
  EXPECT_EQ(e.timeout_ms, 100);
  EXPECT_EQ(e.wait_ns, 5816445);
  ASSERT_EQ(e.ready.size(), 2u);
  EXPECT_EQ(e.ready[1].fd, 7);
  EXPECT_EQ(e.ready[1].conn, 1u);
  EXPECT_EQ(e.ready[1].mask, "IN|OUT");

  ASSERT_TRUE(ParseTimelineEvent(
      R"({"seq":5,"t_ns":7,"kind":"accept","listen_fd":6,"ret":-1,"errno":"EAGAIN"})", &e, &error));
  EXPECT_EQ(e.ret, -1);
  EXPECT_EQ(e.err, "EAGAIN");
  EXPECT_EQ(e.fd, -1);  // absent keys keep their defaults
  EXPECT_TRUE(e.ready.empty()) << "a reused event must not keep the previous line's fields";

  // Binary arguments are escaped byte by byte; \u00XX reads as the library
  // reads it (UTF-8), redacted ones as "<len N>".
  ASSERT_TRUE(
      ParseTimelineEvent(R"({"seq":9,"t_ns":1,"kind":"command","conn":2,"name":"set","argc":4,)"
                         R"("args":["a\"b\\c\n","\u0000\u00ff",{"len":17}]})",
                         &e, &error));
  ASSERT_EQ(e.args.size(), 3u);
  EXPECT_EQ(e.args[0], "a\"b\\c\n");
  EXPECT_EQ(e.args[1], std::string("\0\xc3\xbf", 3));
  EXPECT_EQ(e.args[2], "<len 17>");
  EXPECT_EQ(e.argc, 4u);

  ASSERT_TRUE(ParseTimelineEvent(
      R"({"seq":15,"t_ns":2,"kind":"reply","conn":1,"bytes":7,"head":"+PONG","digest":"ee77ab5309931065"})",
      &e, &error));
  EXPECT_EQ(e.bytes, 7u);
  EXPECT_EQ(e.head, "+PONG");
  EXPECT_EQ(e.digest, "ee77ab5309931065");
}

TEST(TimelineReaderTest, OtherValidJsonSpellingsFallBackToTheLibrary) {
  const char* lines[] = {
      // whitespace, another key order, a key from a later minor version, null
      R"( { "kind" : "read", "seq" : 4, "fd" : 7, "conn" : 1, "ret" : 14 } )",
      R"({"kind":"read","seq":4,"fd":7,"conn":1,"ret":14,"future":{"x":[1.5,null]}})",
      R"({"seq":4,"kind":"read","fd":7,"conn":1,"ret":14,"errno":null})",
  };
  for (const char* line : lines) {
    TimelineEvent e;
    std::string error;
    ASSERT_TRUE(ParseTimelineEvent(line, &e, &error)) << line << ": " << error;
    EXPECT_EQ(e.kind, "read");
    EXPECT_EQ(e.seq, 4u);
    EXPECT_EQ(e.fd, 7);
    EXPECT_EQ(e.ret, 14);
  }
  // The fast path handles unknown keys of simple shapes itself.
  TimelineEvent e;
  EXPECT_TRUE(
      ParseTimelineEventFast(R"({"seq":1,"kind":"timer","name":"x","new":[1,"a",{}]})", &e));
  EXPECT_EQ(e.name, "x");
}

TEST(TimelineReaderTest, MalformedLinesAreErrorsNotGuesses) {
  const char* lines[] = {
      "",
      "not json",
      R"({"seq":1,"t_ns":2})",                // no kind
      R"({"seq":1,"kind":""})",               // empty kind
      R"({"seq":"one","kind":"read"})",       // a number of the wrong type
      R"({"seq":1,"kind":"read","fd":7)",     // cut short
      R"({"seq":1,"kind":"read"} trailing)",  // garbage after the object
      R"([1,2,3])",
      R"({"seq":1e20,"kind":"read"})",        // no integer type holds it
      R"({"seq":1,"kind":"read","fd":1.5})",  // integers only
      R"({"seq":1,"kind":"read","fd":true})",
  };
  for (const char* line : lines) {
    TimelineEvent e;
    std::string error;
    EXPECT_FALSE(ParseTimelineEvent(line, &e, &error)) << line;
    EXPECT_FALSE(error.empty()) << line;
    EXPECT_EQ(error.find('\n'), std::string::npos);
  }
}

TEST(TimelineReaderTest, NextNamesTheLineOfAMalformedEvent) {
  TimelineReader reader;
  reader.OpenText(
      "{\"timeline_version\":\"1.1\",\"source\":\"x\",\"schedule\":\"recorded\"}\n"
      "{\"seq\":1,\"t_ns\":1,\"kind\":\"timer\",\"name\":\"serverCron\"}\n"
      "{\"seq\":2,\"t_ns\":1,\"kind\n");
  TimelineHeader header;
  std::string error;
  ASSERT_TRUE(reader.ReadHeader(&header, &error)) << error;
  EXPECT_EQ(header.source, "x");
  TimelineEvent e;
  ASSERT_TRUE(reader.Next(&e, &error));
  EXPECT_FALSE(reader.Next(&e, &error));
  EXPECT_EQ(error.rfind("line 3: ", 0), 0u) << error;
}

TEST(TimelineReaderTest, RefusesAnotherMajorVersionAndEmptyInput) {
  TimelineReader reader;
  reader.OpenText("{\"timeline_version\":\"2.0\"}\n");
  TimelineHeader header;
  std::string error;
  EXPECT_FALSE(reader.ReadHeader(&header, &error));
  EXPECT_NE(error.find("2.0"), std::string::npos) << error;

  TimelineReader empty;
  empty.OpenText("");
  EXPECT_FALSE(empty.ReadHeader(&header, &error));
  EXPECT_NE(error.find("empty"), std::string::npos) << error;
}

TEST(TimelineReaderTest, FileReadingMatchesTextReadingAcrossBlockBoundaries) {
  // Lines longer than the read block, and a last line without '\n'.
  std::string text = "{\"timeline_version\":\"1.1\",\"source\":\"long\"}\n";
  std::string long_arg(300 * 1024, 'x');
  for (int i = 1; i <= 3; i++)
    text += "{\"seq\":" + std::to_string(i) +
            ",\"t_ns\":5,\"kind\":\"command\",\"conn\":1,\"name\":\"set\",\"argc\":2,\"args\":[\"" +
            long_arg + "\"]}\n";
  for (int i = 4; i <= 2000; i++)
    text += "{\"seq\":" + std::to_string(i) + ",\"t_ns\":5,\"kind\":\"timer\",\"name\":\"c\"}\n";
  text += "{\"seq\":2001,\"t_ns\":6,\"kind\":\"end\",\"verdict\":\"reproduced\"}";
  std::string path = TempFile("blocks.jsonl", text);

  TimelineReader file, mem;
  std::string error;
  ASSERT_TRUE(file.Open(path, &error)) << error;
  mem.OpenText(text);
  TimelineHeader h1, h2;
  ASSERT_TRUE(file.ReadHeader(&h1, &error));
  ASSERT_TRUE(mem.ReadHeader(&h2, &error));
  TimelineEvent e1, e2;
  uint64_t n = 0;
  while (file.Next(&e1, &error)) {
    ASSERT_TRUE(mem.Next(&e2, &error));
    ASSERT_EQ(e1, e2) << "event " << n;
    ASSERT_EQ(e1.seq, ++n);
  }
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_FALSE(mem.Next(&e2, &error));
  EXPECT_EQ(n, 2001u);
  EXPECT_TRUE(e1.args.empty());  // e1 last held the end event
  EXPECT_EQ(e1.verdict, "reproduced");
  std::filesystem::remove(path);
}

TEST(TimelineReaderTest, OpenReportsAMissingPathInOneLine) {
  TimelineReader reader;
  std::string error;
  EXPECT_FALSE(reader.Open("/nonexistent/timeline.jsonl", &error));
  EXPECT_NE(error.find("/nonexistent/timeline.jsonl"), std::string::npos);
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(TimelineReaderTest, ABundleIsReplayedIntoItsGoldenTimeline) {
  std::string dir = std::string(REEL_TRACES_DIR) + "/two_clients_race";
  TimelineReader bundle, golden;
  std::string error;
  ASSERT_TRUE(bundle.Open(dir, &error)) << error;
  ASSERT_TRUE(golden.Open(dir + "/timeline.golden.jsonl", &error)) << error;
  TimelineHeader h1, h2;
  ASSERT_TRUE(bundle.ReadHeader(&h1, &error)) << error;
  ASSERT_TRUE(golden.ReadHeader(&h2, &error)) << error;
  EXPECT_EQ(h1.source, "two_clients_race");
  TimelineEvent e1, e2;
  size_t n = 0;
  while (golden.Next(&e2, &error)) {
    ASSERT_TRUE(bundle.Next(&e1, &error)) << error;
    ASSERT_EQ(e1, e2);
    n++;
  }
  EXPECT_FALSE(bundle.Next(&e1, &error));
  EXPECT_EQ(n, 52u);
}

}  // namespace
}  // namespace reel::analyzers
