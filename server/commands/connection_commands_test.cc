#include <gtest/gtest.h>

#include "server/commands/command_test_harness.h"
#include "server/commands/server_test_peer.h"

namespace reel {
namespace {

using testing::CommandHarness;
using testing::ServerFixture;

std::string HelloReply(int64_t id) {
  return "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:"
         "2\r\n$2\r\nid\r\n:" +
         std::to_string(id) +
         "\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*"
         "0\r\n";
}

constexpr const char* kWrongPass =
    "-WRONGPASS invalid username-password pair or user is disabled.\r\n";
constexpr const char* kHelloNoAuth =
    "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH "
    "<user> <pass> option can be used to authenticate the client and select the RESP protocol "
    "version at the same time\r\n";

TEST(ConnectionCommands, PingAndEcho) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"PING"}), "+PONG\r\n");
  EXPECT_EQ(h.Run({"ping", "hi"}), "$2\r\nhi\r\n");
  EXPECT_EQ(h.Run({"PING", "a", "b"}), "-ERR wrong number of arguments for 'ping' command\r\n");
  EXPECT_EQ(h.Run({"ECHO", ""}), "$0\r\n\r\n");
  EXPECT_EQ(h.Run({"echo"}), "-ERR wrong number of arguments for 'echo' command\r\n");
}

TEST(ConnectionCommands, SelectOnlyDatabaseZero) {
  CommandHarness h;
  EXPECT_EQ(h.Run({"SELECT", "0"}), "+OK\r\n");
  EXPECT_EQ(h.Run({"SELECT", "1"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(h.Run({"SELECT", "-1"}), "-ERR DB index is out of range\r\n");
  EXPECT_EQ(h.Run({"SELECT", "abc"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(h.Run({"SELECT", "99999999999"}),
            "-ERR value is out of range, value must between -2147483648 and 2147483647\r\n");
  EXPECT_EQ(h.Run({"SELECT", "0", "1"}), "-ERR wrong number of arguments for 'select' command\r\n");
}

TEST(ConnectionCommands, NeedAConnectionOutsideTheServer) {
  CommandHarness h;  // no server, no client
  EXPECT_EQ(h.Run({"HELLO"}), "-ERR 'hello' needs a server and a client connection\r\n");
  EXPECT_EQ(h.Run({"AUTH", "x"}), "-ERR 'auth' needs a server and a client connection\r\n");
}

TEST(ConnectionCommands, AuthWithoutRequirepass) {
  ServerFixture f;
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"AUTH", "x"}),
            "-ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?\r\n");
  // The default user has no password: any password authenticates it.
  EXPECT_EQ(f.Run(c, {"AUTH", "default", "anything"}), "+OK\r\n");
  EXPECT_EQ(f.Run(c, {"AUTH", "bob", "x"}), kWrongPass);
  EXPECT_EQ(f.Run(c, {"AUTH", "a", "b", "c"}), "-ERR syntax error\r\n");
  EXPECT_EQ(f.Run(c, {"AUTH"}), "-ERR wrong number of arguments for 'auth' command\r\n");
}

TEST(ConnectionCommands, AuthWithRequirepass) {
  ServerConfig config;
  config.requirepass = "secret";
  ServerFixture f(config);
  Client* c = f.Connect();
  EXPECT_FALSE(c->authenticated());
  EXPECT_EQ(f.Run(c, {"PING"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(f.Run(c, {"AUTH", "wrong"}), kWrongPass);
  EXPECT_EQ(f.Run(c, {"AUTH", "bob", "secret"}), kWrongPass);
  EXPECT_FALSE(c->authenticated());
  EXPECT_EQ(f.Run(c, {"AUTH", "secret"}), "+OK\r\n");
  EXPECT_TRUE(c->authenticated());
  EXPECT_EQ(f.Run(c, {"PING"}), "+PONG\r\n");
  // A failed AUTH does not log an authenticated client out (Redis neither).
  EXPECT_EQ(f.Run(c, {"AUTH", "wrong"}), kWrongPass);
  EXPECT_TRUE(c->authenticated());

  Client* d = f.Connect(50001);
  EXPECT_EQ(f.Run(d, {"AUTH", "default", "secret"}), "+OK\r\n");
  EXPECT_TRUE(d->authenticated());
}

TEST(ConnectionCommands, HelloReplyAndErrors) {
  ServerFixture f;
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"HELLO"}), HelloReply(static_cast<int64_t>(c->id())));
  EXPECT_EQ(f.Run(c, {"hello", "2"}), HelloReply(static_cast<int64_t>(c->id())));
  EXPECT_EQ(f.Run(c, {"HELLO", "3"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(f.Run(c, {"HELLO", "1"}), "-NOPROTO unsupported protocol version\r\n");
  EXPECT_EQ(f.Run(c, {"HELLO", "3x"}),
            "-ERR Protocol version is not an integer or out of range\r\n");
  EXPECT_EQ(f.Run(c, {"HELLO", "2", "foo"}), "-ERR Syntax error in HELLO option 'foo'\r\n");
  EXPECT_EQ(f.Run(c, {"HELLO", "2", "AUTH", "default"}),
            "-ERR Syntax error in HELLO option 'AUTH'\r\n");
  EXPECT_EQ(f.Run(c, {"HELLO", "2", "AUTH", "bob", "x"}), kWrongPass);
  EXPECT_EQ(f.Run(c, {"HELLO", "2", "SETNAME", "a b"}),
            "-ERR Client names cannot contain spaces, newlines or special characters.\r\n");
  EXPECT_EQ(f.Run(c, {"HELLO", "2", "setname", "conn1"}),
            HelloReply(static_cast<int64_t>(c->id())));
  EXPECT_EQ(c->name(), "conn1");
}

TEST(ConnectionCommands, HelloAuthenticates) {
  ServerConfig config;
  config.requirepass = "secret";
  ServerFixture f(config);
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"HELLO"}), kHelloNoAuth);
  // Like Redis, SETNAME is applied while parsing, before the auth check.
  EXPECT_EQ(f.Run(c, {"HELLO", "2", "SETNAME", "early"}), kHelloNoAuth);
  EXPECT_EQ(c->name(), "early");
  EXPECT_EQ(f.Run(c, {"HELLO", "2", "AUTH", "default", "wrong"}), kWrongPass);
  EXPECT_FALSE(c->authenticated());
  EXPECT_EQ(f.Run(c, {"HELLO", "2", "AUTH", "default", "secret", "SETNAME", "app"}),
            HelloReply(static_cast<int64_t>(c->id())));
  EXPECT_TRUE(c->authenticated());
  EXPECT_EQ(c->name(), "app");
}

TEST(ConnectionCommands, QuitClosesAfterReply) {
  ServerFixture f;
  Client* c = f.Connect();
  EXPECT_EQ(f.Run(c, {"QUIT"}), "+OK\r\n");
  EXPECT_TRUE(c->HasFlag(kClientCloseAfterReply));
  // The table entry behaves the same when reached directly.
  CommandHarness h;
  EXPECT_EQ(h.Run({"QUIT"}), "+OK\r\n");
}

TEST(ConnectionCommands, NoAuthFlags) {
  CommandHarness h;
  for (const char* name : {"auth", "hello", "quit"}) {
    const CommandSpec* spec = h.table().Find(name);
    ASSERT_NE(spec, nullptr) << name;
    EXPECT_TRUE(spec->flags & kCmdNoAuth) << name;
  }
  EXPECT_FALSE(h.table().Find("ping")->flags & kCmdNoAuth);
  EXPECT_FALSE(h.table().Find("client")->flags & kCmdNoAuth);
}

}  // namespace
}  // namespace reel
